//! The register pages: the list with search, filters and totals; logging and editing an
//! opportunity; and its page with pipeline, savings, barriers, interest and comments.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::filter::{present, RegisterQuery};
use super::model::*;
use super::queries::{self, Filter, Sort};
use super::service::{self, *};
use super::show::{show_view, Abilities, Echo};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, Page, PageQuery};

fn totals_json(t: &queries::Totals) -> Value {
    json!({
        "estimated": format_pence(t.estimated),
        "validated": format_pence(t.validated),
        "realised": format_pence(t.realised),
        "cashable_realised": format_pence(t.cashable_realised),
        "one_off_costs": format_pence(t.one_off_costs),
    })
}

pub(super) fn label<T>(parsed: Result<T, &str>, f: fn(T) -> &'static str) -> &'static str {
    parsed.map(f).unwrap_or("")
}

fn options(list: Vec<(i64, String)>, selected: &str) -> Vec<Value> {
    list.into_iter()
        .map(|(id, name)| json!({ "value": id, "label": name, "selected": id.to_string() == selected }))
        .collect()
}

/// (id, name) pairs for a <select>.
type Choices = Vec<(i64, String)>;

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
) -> AppResult<Value> {
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(25);
    let caller = page.user.clone();
    let cache = page.state().cache.clone();
    let version = page.version();
    let (listing, (organisations, themes)) = page
        .state()
        .db
        .run(move |conn| {
            let listing = queries::list(
                conn,
                caller.as_ref(),
                &filter,
                sort,
                Some(paging),
                Some((&cache, version)),
            )?;
            Ok((listing, choices(conn, caller.as_ref())?))
        })
        .await?;
    let q = query;
    let selected = |v: &Option<String>| present(v).unwrap_or("").to_string();
    let rows: Vec<Value> = listing
        .items
        .iter()
        .map(|item| {
            let o = &item.opportunity;
            json!({
                "id": o.id,
                "reference": o.reference,
                "title": o.title,
                "lead": item.lead,
                "stage": o.stage.label(),
                "draft": o.visibility == OpportunityVisibility::Draft,
                "area": o.service_area.label(),
                "estimated": format_pence(item.totals.estimated),
                "realised": format_pence(item.totals.realised),
                "high_barriers": item.open_high_barriers,
            })
        })
        .collect();
    let can_log = page
        .user
        .as_ref()
        .is_some_and(|c| authz::log_opportunity(c).is_ok());
    let sorts: Vec<Value> = [
        ("updated", "Recently updated"),
        ("reference", "Reference"),
        ("savings", "Estimated savings"),
    ]
    .iter()
    .map(|(v, l)| json!({ "value": v, "label": l, "selected": selected(&q.sort) == *v }))
    .collect();
    Ok(json!({
        "title": "Shared-services opportunities",
        "rows": rows,
        "total": listing.total,
        "totals": totals_json(&listing.totals),
        "pagination": paging.context(listing.total, &q.base_link()),
        "can_log": can_log,
        "q": q.q.clone().unwrap_or_default(),
        "stages": Stage::options(&selected(&q.stage)),
        "areas": ServiceArea::options(&selected(&q.service_area)),
        "kinds": OpportunityKind::options(&selected(&q.kind)),
        "leads": options(organisations.clone(), &selected(&q.lead)),
        "partners": options(organisations, &selected(&q.partner)),
        "themes": options(themes, &selected(&q.theme)),
        "open_high": present(&q.barriers) == Some("open_high"),
        "sorts": sorts,
        "export_query": q.base_link().split_once('?').map(|(_, query)| format!("?{query}")).unwrap_or_default(),
    }))
}

async fn render_form(
    page: &Page,
    id: Option<i64>,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let (current, organisations, themes, people) = page
        .state()
        .db
        .run(move |conn| {
            let current = match id {
                Some(id) => {
                    let o = queries::load(conn, id, Some(&caller))?;
                    authz::manage_opportunity(&caller, &o)?;
                    Some(o)
                }
                None => {
                    authz::log_opportunity(&caller)?;
                    None
                }
            };
            let lead = current
                .as_ref()
                .map(|o| o.lead_organisation_id)
                .unwrap_or(caller.organisation_id);
            let (organisations, themes) = choices(conn, Some(&caller))?;
            let people = crate::users::queries::page_for_org(
                conn,
                lead,
                crate::web::Paging {
                    page: 1,
                    per_page: 100,
                },
            )?
            .0
            .into_iter()
            .filter(|u| u.is_active())
            .map(|u| (u.id, u.name))
            .collect::<Vec<_>>();
            Ok((current, organisations, themes, people))
        })
        .await?;
    let form = if form.is_null() {
        match &current {
            Some(o) => {
                let partners = page.state().db.run({
                    let id = o.id;
                    move |conn| Ok(queries::partners(conn, id)?)
                });
                let partners: Vec<String> = partners
                    .await?
                    .into_iter()
                    .map(|(id, _)| id.to_string())
                    .collect();
                json!({
                    "title": o.title, "summary": o.summary, "service_area": o.service_area, "kind": o.kind,
                    "visibility": o.visibility, "workspace_id": o.workspace_id.map(|v| v.to_string()).unwrap_or_default(),
                    "contact_user_id": o.contact_user_id.map(|v| v.to_string()).unwrap_or_default(), "partners": partners,
                })
            }
            None => json!({ "visibility": "draft", "partners": [] }),
        }
    } else {
        form
    };
    let chosen: Vec<String> = form["partners"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let own = page
        .user
        .as_ref()
        .map(|c| c.organisation_id)
        .unwrap_or_default();
    let lead = current
        .as_ref()
        .map(|o| o.lead_organisation_id)
        .unwrap_or(own);
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (title, action) = match &current {
        Some(o) => (
            format!("Edit {}", o.reference),
            format!("/opportunities/{}/edit", o.id),
        ),
        None => (
            "Log a shared-services idea".to_string(),
            "/opportunities".to_string(),
        ),
    };
    let text = |k: &str| form[k].as_str().unwrap_or("").to_string();
    page.render_status(
        status,
        "opportunities/form",
        json!({
            "title": title,
            "action": action,
            "breadcrumbs": [{ "href": "/opportunities", "label": "Opportunities" }],
            "form": form,
            "areas": ServiceArea::options(&text("service_area")),
            "kinds": OpportunityKind::options(&text("kind")),
            "visibilities": OpportunityVisibility::options(&text("visibility")),
            "themes": options(themes, &text("workspace_id")),
            "people": options(people, &text("contact_user_id")),
            "partners": organisations.into_iter().filter(|(id, _)| *id != lead).map(|(id, name)| json!({ "value": id, "label": name, "checked": chosen.contains(&id.to_string()) })).collect::<Vec<_>>(),
            "errors": errors.map(|e| e.to_json()),
        }),
    )
}

pub async fn new_page(page: Page, _user: CurrentUser) -> AppResult<HttpResponse> {
    render_form(&page, None, Value::Null, None).await
}

/// Runs a change as the signed-in caller; field errors come back for the form.
async fn submit<T, F>(page: &Page, caller: Caller, change: F) -> AppResult<Result<T, FieldErrors>>
where
    F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let ip = page.state().client_ip(page.request());
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            change(
                conn,
                &Actor {
                    caller: &caller,
                    ip: &ip,
                },
            )
        })
        .await;
    match outcome {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Validation { fields, .. }) => Ok(Err(FieldErrors::from_map(fields))),
        Err(e) => Err(e),
    }
}

pub async fn create(
    page: Page,
    user: CurrentUser,
    form: Form<OpportunityInput>,
) -> AppResult<HttpResponse> {
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, move |conn, actor| {
        service::create(conn, actor, &input)
    })
    .await?
    {
        Ok(o) => Ok(redirect_with_flash(
            page.state(),
            &format!("/opportunities/{}", o.id),
            &format!("{} has been logged", o.reference),
        )),
        Err(errors) => render_form(&page, None, echo, Some(errors)).await,
    }
}

pub async fn edit_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render_form(&page, Some(path.into_inner()), Value::Null, None).await
}

pub async fn update(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<OpportunityInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, move |conn, actor| {
        service::update(conn, actor, id, &input)
    })
    .await?
    {
        Ok(o) => Ok(redirect_with_flash(
            page.state(),
            &format!("/opportunities/{id}"),
            &format!("{} has been updated", o.reference),
        )),
        Err(errors) => render_form(&page, Some(id), echo, Some(errors)).await,
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

/// Handles a form on the opportunity page: redirect on success, the page with the form's
/// errors otherwise.
pub(super) async fn page_change<T, F>(
    page: Page,
    caller: Caller,
    id: i64,
    section: &'static str,
    form: Value,
    message: &str,
    change: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    match submit(&page, caller, change).await? {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/opportunities/{id}#{section}"),
            message,
        )),
        Err(errors) => {
            render_show(
                &page,
                id,
                Some(Echo {
                    section,
                    form,
                    errors,
                }),
            )
            .await
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
