//! The register pages: the list with search, filters and totals; logging and editing an
//! opportunity; and its page with pipeline, savings, barriers, interest and comments.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use super::filter::RegisterQuery;
use super::model::*;
use super::queries::{self, Filter, Sort};
use super::service::{self, *};
use super::show::{show_view, Abilities, Echo};
use super::views::{self, Choices};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::arguments::SignedIn;
use crate::web::routes::Routes;
use crate::web::{FieldErrors, Form, Page, PageQuery, Posted, Reply};

pub(super) fn label<T>(parsed: Result<T, &str>, f: fn(T) -> &'static str) -> &'static str {
    parsed.map(f).unwrap_or("")
}

/// Organisations and visible themes, for filters and forms.
fn choices(conn: &mut DbConn, caller: Option<&Caller>) -> AppResult<(Choices, Choices)> {
    let organisations = crate::organisations::queries::list(conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let themes = crate::workspaces::queries::list_visible(conn, caller)?
        .into_iter()
        .filter(|a| !a.ws.is_archived())
        .map(|a| (a.ws.id, a.ws.name))
        .collect();
    Ok((organisations, themes))
}

pub async fn register(page: Page, query: web::Query<RegisterQuery>) -> AppResult<HttpResponse> {
    let (filter, sort) = query
        .filter()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    // A view narrowed by staleness depends on the clock, so it is never kept.
    if filter.stale_days.is_some() {
        let data = register_data(&page, &query, filter, sort).await?;
        return page.render("opportunities/index", data);
    }
    let key = page.request().query_string().to_string();
    page.render_kept("opportunities/index", &key, || {
        register_data(&page, &query, filter, sort)
    })
    .await
}

/// What the register page shows for this query.
async fn register_data(
    page: &Page,
    query: &RegisterQuery,
    filter: Filter,
    sort: Sort,
) -> AppResult<views::Register> {
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(25);
    let caller = page.user.clone();
    let cache = page.state().cache.clone();
    let version = page.version();
    let (listing, choices) = page
        .state()
        .db
        .run(move |conn| {
            let kept = Some((&*cache, version));
            let listing = queries::list(conn, caller.as_ref(), &filter, sort, Some(paging), kept)?;
            Ok((listing, choices(conn, caller.as_ref())?))
        })
        .await?;
    let can_log = page
        .user
        .as_ref()
        .is_some_and(|c| authz::log_opportunity(c).is_ok());
    Ok(views::register(query, listing, paging, choices, can_log))
}

/// What the form reads: the opportunity being edited (if any, and only if the caller may
/// manage it) and what the form offers.
fn form_data(
    conn: &mut DbConn,
    caller: &Caller,
    id: Option<i64>,
) -> AppResult<(Option<Opportunity>, views::FormChoices)> {
    let current = match id {
        Some(id) => {
            let o = queries::load(conn, id, Some(caller))?;
            authz::manage_opportunity(caller, &o)?;
            Some(o)
        }
        None => {
            authz::log_opportunity(caller)?;
            None
        }
    };
    let lead = current
        .as_ref()
        .map(|o| o.lead_organisation_id)
        .unwrap_or(caller.organisation_id);
    let (organisations, themes) = choices(conn, Some(caller))?;
    let everyone = crate::web::Paging {
        page: 1,
        per_page: 100,
    };
    let people = crate::users::queries::page_for_org(conn, lead, everyone)?
        .0
        .into_iter()
        .filter(|u| u.is_active())
        .map(|u| (u.id, u.name))
        .collect();
    let choices = views::FormChoices {
        organisations,
        themes,
        people,
    };
    Ok((current, choices))
}

/// The form as it first shows: the opportunity's values, or a new idea's defaults.
fn first_form(conn: &mut DbConn, current: Option<&Opportunity>) -> AppResult<Value> {
    let Some(o) = current else {
        return Ok(json!({ "visibility": "draft", "partners": [] }));
    };
    let partners = queries::partners(conn, o.id)?;
    Ok(json!(OpportunityInput::of(o, &partners)))
}

async fn render_form(
    page: &Page,
    id: Option<i64>,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let fresh = form.is_null();
    let (current, choices, form) = page
        .state()
        .db
        .run(move |conn| {
            let (current, choices) = form_data(conn, &caller, id)?;
            let form = if fresh {
                first_form(conn, current.as_ref())?
            } else {
                form
            };
            Ok((current, choices, form))
        })
        .await?;
    let own = page
        .user
        .as_ref()
        .map(|c| c.organisation_id)
        .unwrap_or_default();
    let lead = current
        .as_ref()
        .map(|o| o.lead_organisation_id)
        .unwrap_or(own);
    let failed = errors.is_some();
    let view = views::opportunity_form(current.as_ref(), lead, form, errors, choices);
    page.render_form(failed, "opportunities/form", view)
}

pub async fn new_page(page: Page, _user: CurrentUser) -> AppResult<HttpResponse> {
    render_form(&page, None, Value::Null, None).await
}

pub async fn create(at: SignedIn, form: Form<OpportunityInput>) -> Reply {
    let input = form.0;
    let echo = json!(&input);
    match at
        .attempt(move |conn, actor| service::create(conn, actor, &input))
        .await?
    {
        Ok(o) => Ok(at.done(
            &format!("/opportunities/{}", o.id),
            &format!("{} has been logged", o.reference),
        )),
        Err(errors) => render_form(&at.page, None, echo, Some(errors)).await,
    }
}

pub async fn edit_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render_form(&page, Some(path.into_inner()), Value::Null, None).await
}

pub async fn update(at: SignedIn, path: web::Path<i64>, form: Form<OpportunityInput>) -> Reply {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match at
        .attempt(move |conn, actor| service::update(conn, actor, id, &input))
        .await?
    {
        Ok(o) => Ok(at.done(
            &format!("/opportunities/{id}"),
            &format!("{} has been updated", o.reference),
        )),
        Err(errors) => render_form(&at.page, Some(id), echo, Some(errors)).await,
    }
}

async fn render_show(page: &Page, id: i64, echo: Option<Echo>) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (o, d, organisations, follow) = page
        .state()
        .db
        .run(move |conn| {
            let o = queries::load(conn, id, caller.as_ref())?;
            let d = queries::detail(conn, &o, caller.as_ref())?;
            let organisations = crate::organisations::queries::list(conn)?;
            let follow = crate::notifications::subscriptions::pages::follow_context(
                conn,
                caller.as_ref(),
                crate::notifications::model::TargetKind::Opportunity,
                o.id,
                &o.id.to_string(),
                &o.reference,
            )?;
            Ok((o, d, organisations, follow))
        })
        .await?;
    let user = page.user.as_ref();
    let abilities = Abilities {
        can_manage: user.is_some_and(|c| authz::manage_opportunity(c, &o).is_ok()),
        can_interest: user.is_some_and(|c| authz::register_interest(c, &o).is_ok()),
        interested: user.is_some_and(|c| {
            d.endorsements
                .iter()
                .any(|(e, _, _)| e.organisation_id == c.organisation_id)
        }),
        signed_in: user.is_some(),
    };
    let status = if echo.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = show_view(&o, d, organisations, follow, abilities, echo);
    page.render_status(status, "opportunities/show", view)
}

pub async fn show(page: Page, path: web::Path<i64>) -> AppResult<HttpResponse> {
    render_show(&page, path.into_inner(), None).await
}

/// A form posted to one part of an opportunity's page (see `web::Posted`): `id` is the
/// opportunity, `part` the path's second id (like `{barrier}`).
pub type OppPost<I> = Posted<I>;

impl<I: Serialize + Send + 'static> OppPost<I> {
    /// Makes the change, then goes back to `section` of the opportunity's page with
    /// `message`, or shows the page again with the form as sent and its errors.
    pub async fn save_section<T, F>(self, section: &'static str, message: &str, change: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor, i64, &I) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let Posted {
            page,
            caller,
            id,
            input,
            ..
        } = self;
        let form = json!(&input);
        let at = SignedIn { page, caller };
        match at
            .attempt(move |conn, actor| change(conn, actor, id, &input))
            .await?
        {
            Ok(_) => Ok(at.done(&format!("/opportunities/{id}#{section}"), message)),
            Err(errors) => {
                let echo = Echo {
                    section,
                    form,
                    errors,
                };
                render_show(&at.page, id, Some(echo)).await
            }
        }
    }
}

pub fn routes(r: &mut Routes) {
    r.get("/opportunities", register)
        .get("/opportunities/new", new_page)
        .post("/opportunities", create)
        .get("/opportunities/{id}", show)
        .get("/opportunities/{id}/edit", edit_page)
        .post("/opportunities/{id}/edit", update);
}
