//! Actions (must-dos) of a workspace, with their milestones: the pages.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, Page, PageQuery};
use crate::workspaces::model::*;
use crate::workspaces::pages::{
    action_row, crumbs, date, rag_counts, status_for, submit, ws_context,
};
use crate::workspaces::queries;

#[derive(Debug, Default, Deserialize)]
pub struct ActionsQuery {
    rag: Option<String>,
    /// "1": only open actions.
    open: Option<String>,
    /// "1": only overdue actions.
    overdue: Option<String>,
    /// An organisation id: only its actions.
    owner: Option<i64>,
    page: Option<i64>,
}

pub async fn actions_page(
    page: Page,
    path: web::Path<String>,
    query: web::Query<ActionsQuery>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let slug = path.into_inner();
    let rag = match query.rag.as_deref() {
        None | Some("") => None,
        Some(value) => Some(Rag::parse(value).map_err(|m| AppError::BadRequest(m.into()))?),
    };
    let paging = PageQuery {
        page: query.page,
        per_page: None,
    }
    .paging(25);
    let today = now().date();
    let filter = queries::ActionFilter {
        rag,
        open: query.open.as_deref() == Some("1"),
        overdue: query.overdue.as_deref() == Some("1"),
        owner: query.owner,
    };
    let (access, (list, total), all) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let list = queries::actions_page(conn, access.ws.id, &filter, paging)?;
            let all = queries::all_actions(conn, access.ws.id)?;
            Ok((access, list, all))
        })
        .await?;
    let mut narrowed: Vec<(&str, String)> = Vec::new();
    if let Some(r) = rag {
        narrowed.push(("rag", r.as_str().to_string()));
    }
    if filter.open {
        narrowed.push(("open", "1".into()));
    }
    if filter.overdue {
        narrowed.push(("overdue", "1".into()));
    }
    if let Some(owner) = filter.owner {
        narrowed.push(("owner", owner.to_string()));
    }
    let base = match serde_html_form::to_string(&narrowed).unwrap_or_default() {
        q if q.is_empty() => format!("/workspaces/{}/actions", access.ws.slug),
        q => format!("/workspaces/{}/actions?{q}", access.ws.slug),
    };
    let narrowing: Vec<&str> = [
        filter.open.then_some("open actions only"),
        filter.overdue.then_some("overdue actions only"),
        filter
            .owner
            .is_some()
            .then_some("one organisation's actions only"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let filters: Vec<Value> = std::iter::once(json!({ "href": format!("/workspaces/{}/actions", access.ws.slug), "label": "All", "current": rag.is_none() }))
        .chain(Rag::ALL.iter().map(|r| json!({ "href": format!("/workspaces/{}/actions?rag={}", access.ws.slug, r.as_str()), "label": r.label(), "current": rag == Some(*r) })))
        .collect();
    page.render(
        "workspaces/actions",
        json!({
            "title": format!("Actions – {}", access.ws.name),
            "breadcrumbs": crumbs(&access),
            "ws": ws_context(&access, page.user.as_ref(), "/actions"),
            "actions": list.iter().map(|a| action_row(a, today)).collect::<Vec<_>>(),
            "rag": rag_counts(&all, today),
            "filters": filters,
            "narrowing": (!narrowing.is_empty()).then(|| narrowing.join(", ")),
            "pagination": paging.context(total, &base),
        }),
    )
}

async fn render_action_form(
    page: &Page,
    slug: String,
    action_id: Option<i64>,
    form: Option<Value>,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let who = caller.clone();
    let (access, current, people, members) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, Some(&who))?;
            let current = match action_id {
                Some(id) => {
                    let a = queries::find_action(conn, access.ws.id, id)?;
                    authz::edit_action(
                        &who,
                        &access.ws,
                        access.membership,
                        a.action.owner_organisation_id,
                    )?;
                    Some(a)
                }
                None => {
                    authz::contribute(&who, &access.ws, access.membership)?;
                    None
                }
            };
            let members = queries::members(conn, access.ws.id)?;
            let org_ids: Vec<i64> = members.iter().map(|m| m.organisation_id).collect();
            let people = member_people(conn, &org_ids)?;
            Ok((access, current, people, members))
        })
        .await?;
    let form = form.unwrap_or_else(|| match &current {
        Some(a) => json!({
            "title": a.action.title, "description": a.action.description,
            "owner_organisation_id": a.action.owner_organisation_id.to_string(),
            "owner_user_id": a.action.owner_user_id.map(|i| i.to_string()).unwrap_or_default(),
            "start_date": a.action.start_date.map(|d| d.to_string()).unwrap_or_default(),
            "due_date": a.action.due_date.map(|d| d.to_string()).unwrap_or_default(),
            "status": a.action.status, "progress": a.action.progress.to_string(), "rag": a.action.rag, "rag_reason": a.action.rag_reason,
        }),
        None => json!({ "status": "not_started", "progress": "0", "rag": "green", "owner_organisation_id": caller.organisation_id.to_string() }),
    });
    let owner = form["owner_organisation_id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let person = form["owner_user_id"].as_str().unwrap_or("").to_string();
    let status = status_for(&errors);
    let (title, target) = match action_id {
        Some(id) => (
            format!(
                "Edit action: {}",
                current
                    .as_ref()
                    .map(|a| a.action.title.as_str())
                    .unwrap_or("")
            ),
            format!("/workspaces/{}/actions/{id}/edit", access.ws.slug),
        ),
        None => (
            "Add an action".to_string(),
            format!("/workspaces/{}/actions", access.ws.slug),
        ),
    };
    let data = json!({
        "title": title,
        "target": target,
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/actions"),
        "organisations": members.iter().map(|m| json!({ "value": m.organisation_id, "label": m.organisation, "selected": m.organisation_id.to_string() == owner })).collect::<Vec<_>>(),
        "people": people.iter().map(|(id, name, org)| json!({ "value": id, "label": format!("{name} ({org})"), "selected": id.to_string() == person })).collect::<Vec<_>>(),
        "statuses": ActionStatus::options(form["status"].as_str().unwrap_or("")),
        "rags": Rag::options(form["rag"].as_str().unwrap_or("")),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/action_form", data)
}

/// Active people of the given organisations: (id, name, organisation name).
fn member_people(conn: &mut DbConn, org_ids: &[i64]) -> AppResult<Vec<(i64, String, String)>> {
    use crate::schema::{organisations, users};
    use diesel::prelude::*;
    Ok(users::table
        .inner_join(organisations::table)
        .filter(users::organisation_id.eq_any(org_ids))
        .filter(users::status.eq("active"))
        .filter(users::role.ne("platform_admin"))
        .order((organisations::name.asc(), users::name.asc()))
        .select((users::id, users::name, organisations::name))
        .load(conn)?)
}

pub async fn new_action_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    render_action_form(&page, path.into_inner(), None, None, None).await
}

pub async fn create_action(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<ActionInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_action(conn, actor, access, &input)
    })
    .await?
    {
        Ok(id) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/actions/{id}"),
            "The action has been added",
        )),
        Err(errors) => render_action_form(&page, slug, None, Some(echo), Some(errors)).await,
    }
}

async fn render_action(
    page: &Page,
    slug: String,
    action_id: i64,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let today = now().date();
    let (access, action, milestones) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let action = queries::find_action(conn, access.ws.id, action_id)?;
            let milestones = queries::milestones_for(conn, action_id)?;
            Ok((access, action, milestones))
        })
        .await?;
    let can_edit = page.user.as_ref().is_some_and(|c| {
        authz::edit_action(
            c,
            &access.ws,
            access.membership,
            action.action.owner_organisation_id,
        )
        .is_ok()
    });
    let status = status_for(&errors);
    let data = json!({
        "title": action.action.title,
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/actions"),
        "action": action_row(&action, today),
        "description_html": to_safe_html(&action.action.description),
        "can_edit": can_edit,
        "milestones": milestones.iter().map(|m| json!({ "id": m.id, "title": m.title, "due": date(m.due_date), "done": m.done_date.map(date), "overdue": m.is_overdue(today) })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/action", data)
}

pub async fn show_action(page: Page, path: web::Path<(String, i64)>) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_action(&page, slug, id, json!({}), None).await
}

pub async fn edit_action_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_action_form(&page, slug, Some(id), None, None).await
}

pub async fn update_action(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<ActionInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::update_action(conn, actor, access, id, &input)
    })
    .await?
    {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/actions/{id}"),
            "The action has been updated",
        )),
        Err(errors) => render_action_form(&page, slug, Some(id), Some(echo), Some(errors)).await,
    }
}

pub async fn create_milestone(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<MilestoneInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_milestone(conn, actor, access, id, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/actions/{id}#milestones"),
            "The milestone has been added",
        )),
        Err(errors) => render_action(&page, slug, id, echo, Some(errors)).await,
    }
}

pub async fn complete_milestone(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<MilestoneDoneInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = form.0;
    let action_id = submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::complete_milestone(conn, actor, access, id, &input)?;
        Ok(queries::find_milestone(conn, access.ws.id, id)?.0.action_id)
    })
    .await?
    .map_err(|e| AppError::validation(e.into_map()))?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/workspaces/{slug}/actions/{action_id}#milestones"),
        "The milestone is done",
    ))
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/actions", actions_page)
        .get("/workspaces/{slug}/actions/new", new_action_page)
        .post("/workspaces/{slug}/actions", create_action)
        .get("/workspaces/{slug}/actions/{id}", show_action)
        .get("/workspaces/{slug}/actions/{id}/edit", edit_action_page)
        .post("/workspaces/{slug}/actions/{id}/edit", update_action)
        .post(
            "/workspaces/{slug}/actions/{id}/milestones",
            create_milestone,
        )
        .post(
            "/workspaces/{slug}/milestones/{id}/done",
            complete_milestone,
        );
}
