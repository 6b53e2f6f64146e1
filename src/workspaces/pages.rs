//! The workspace pages.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

use super::chart::format_number;
use super::model::*;
use super::queries::{self, Access};
use super::service::{self, *};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page};

pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub(super) fn when(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M").to_string()
}

fn visibility_label(v: WorkspaceVisibility) -> &'static str {
    match v {
        WorkspaceVisibility::Public => "Public",
        WorkspaceVisibility::Partners => "Partners",
        WorkspaceVisibility::Members => "Members only",
    }
}

/// What every workspace page shows: its name, sub-navigation and what the caller may do.
pub(super) fn ws_context(access: &Access, caller: Option<&Caller>, section: &str) -> Value {
    let ws = &access.ws;
    let base = format!("/workspaces/{}", ws.slug);
    let nav: Vec<Value> = [("", "Overview"), ("/updates", "Updates"), ("/actions", "Actions"), ("/outcomes", "Outcomes and measures"), ("/members", "Members")]
        .iter()
        .map(|(suffix, label)| json!({ "href": format!("{base}{suffix}"), "label": label, "current": *suffix == section }))
        .collect();
    let may = |f: fn(&Caller, &Workspace, authz::Membership) -> AppResult<()>| {
        caller.is_some_and(|c| f(c, ws, access.membership).is_ok())
    };
    json!({
        "name": ws.name,
        "slug": ws.slug,
        "base": base,
        "summary_html": to_safe_html(&ws.summary),
        "kind": ws.kind.label(),
        "visibility": visibility_label(ws.visibility),
        "archived": ws.is_archived(),
        "membership": access.membership.map(MemberRole::label),
        "nav": nav,
        "can_contribute": may(authz::contribute),
        "can_comment": may(authz::comment),
        "can_manage_members": may(authz::manage_members),
        "can_manage": caller.is_some_and(|c| authz::manage_workspaces(c).is_ok()),
    })
}

pub(super) fn crumbs(access: &Access) -> Value {
    json!([
        { "href": "/workspaces", "label": "Workspaces" },
        { "href": format!("/workspaces/{}", access.ws.slug), "label": access.ws.name },
    ])
}

pub(super) fn status_for(errors: &Option<FieldErrors>) -> StatusCode {
    if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// Runs a change for a signed-in caller on a workspace; field errors come back separately
/// so the form can be shown again with them.
pub(super) async fn submit<T, F>(
    page: &Page,
    caller: Caller,
    slug: String,
    change: F,
) -> AppResult<Result<T, FieldErrors>>
where
    F: FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let ip = page.state().client_ip(page.request());
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, Some(&caller))?;
            let actor = Actor {
                caller: &caller,
                ip: &ip,
            };
            change(conn, &actor, &access)
        })
        .await;
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(AppError::Validation { fields, .. }) => Ok(Err(FieldErrors::from_map(fields))),
        Err(e) => Err(e),
    }
}

pub(super) fn rag_counts(actions: &[queries::ActionView], today: NaiveDate) -> Value {
    let count = |rag: &str| {
        actions
            .iter()
            .filter(|a| a.action.rag == rag && a.action.status.is_open())
            .count()
    };
    json!({
        "red": count("red"),
        "amber": count("amber"),
        "green": count("green"),
        "overdue": actions.iter().filter(|a| a.action.is_overdue(today)).count(),
        "total": actions.len(),
    })
}

pub(super) fn action_row(a: &queries::ActionView, today: NaiveDate) -> Value {
    json!({
        "id": a.action.id,
        "title": a.action.title,
        "owner": a.owner_organisation,
        "person": a.owner_person,
        "due": a.action.due_date.map(date),
        "start": a.action.start_date.map(date),
        "status": a.action.status.label(),
        "progress": a.action.progress,
        "rag": a.action.rag,
        "rag_label": a.action.rag.label(),
        "rag_reason": a.action.rag_reason,
        "overdue": a.action.is_overdue(today),
        "description": a.action.description,
    })
}

/// A measure's latest reading against its target.
pub(super) fn measure_row(m: &Measure, readings: &[Reading]) -> Value {
    let mine: Vec<&Reading> = readings.iter().filter(|r| r.measure_id == m.id).collect();
    let latest = mine.last();
    let on_track = latest.map(|r| match m.direction.as_str() {
        "lower" => r.value <= m.target,
        _ => r.value >= m.target,
    });
    json!({
        "id": m.id,
        "name": m.name,
        "unit": m.unit,
        "direction": m.direction.label(),
        "baseline": format_number(m.baseline),
        "target": format_number(m.target),
        "target_date": date(m.target_date),
        "latest": latest.map(|r| format_number(r.value)),
        "latest_quarter": latest.map(|r| Quarter { year: r.year, quarter: r.quarter }.label()),
        "met": on_track,
    })
}

fn activity_sentence(kind: &str, payload: &str) -> String {
    let p: Value = serde_json::from_str(payload).unwrap_or_default();
    let who = format!(
        "{} ({})",
        p["actor"].as_str().unwrap_or("Someone"),
        p["organisation"].as_str().unwrap_or("")
    );
    let title = p["title"].as_str().unwrap_or("");
    let verb = match kind {
        "workspace.created" => "created the workspace",
        "workspace.updated" => "edited the workspace",
        "workspace.archived" => "archived the workspace",
        "workspace.restored" => "restored the workspace",
        "workspace.member_added" => "added a member:",
        "workspace.member_changed" => "changed a member's role:",
        "workspace.member_removed" => "removed a member:",
        "post.created" => "posted an update:",
        "post.edited" => "edited an update:",
        "comment.created" => "commented on",
        "action.created" => "added an action:",
        "action.updated" => "updated an action:",
        "action.rag_changed" => "changed the RAG status of",
        "milestone.created" => "added a milestone:",
        "milestone.completed" => "completed a milestone:",
        "outcome.created" => "added an outcome:",
        "measure.created" => "added a measure:",
        "reading.recorded" => "recorded a reading:",
        _ => "changed",
    };
    if verb.ends_with(':') || verb.ends_with("of") || verb.ends_with("on") {
        format!("{who} {verb} {title}")
    } else {
        format!("{who} {verb}")
    }
}

pub async fn index_page(page: Page) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let today = now().date();
    let rows = page
        .state()
        .db
        .run(move |conn| {
            let visible = queries::list_visible(conn, caller.as_ref())?;
            let mut rows = Vec::new();
            for access in visible {
                let members = queries::members(conn, access.ws.id)?;
                let actions = queries::all_actions(conn, access.ws.id)?;
                let leads: Vec<String> = members
                    .iter()
                    .filter(|m| m.role == MemberRole::Lead)
                    .map(|m| m.organisation.clone())
                    .collect();
                rows.push(json!({
                    "name": access.ws.name,
                    "slug": access.ws.slug,
                    "kind": access.ws.kind.label(),
                    "visibility": visibility_label(access.ws.visibility),
                    "archived": access.ws.is_archived(),
                    "leads": leads.join(", "),
                    "members": members.len(),
                    "rag": rag_counts(&actions, today),
                }));
            }
            Ok(rows)
        })
        .await?;
    let can_create = page
        .user
        .as_ref()
        .is_some_and(|c| authz::create_workspace(c).is_ok());
    page.render(
        "workspaces/index",
        json!({ "title": "Workspaces", "workspaces": rows, "can_create": can_create }),
    )
}

fn ws_form_context(
    title: &str,
    action: &str,
    form: &Value,
    errors: Option<FieldErrors>,
    creating: bool,
) -> Value {
    json!({
        "title": title,
        "action": action,
        "creating": creating,
        "form": form,
        "kinds": WorkspaceKind::options(form["kind"].as_str().unwrap_or("programme")),
        "visibilities": WorkspaceVisibility::options(form["visibility"].as_str().unwrap_or("partners")),
        "errors": errors.map(|e| e.to_json()),
    })
}

pub async fn new_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::create_workspace(&user.0)?;
    let mut data = ws_form_context("Add a workspace", "/workspaces", &json!({}), None, true);
    data["breadcrumbs"] = json!([{ "href": "/workspaces", "label": "Workspaces" }]);
    page.render("workspaces/form", data)
}

pub async fn create(
    page: Page,
    user: CurrentUser,
    form: Form<WorkspaceInput>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::create_workspace(&caller)?;
    let input = form.0;
    let ip = page.state().client_ip(page.request());
    let echo = json!(&input);
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            service::create_workspace(
                conn,
                &Actor {
                    caller: &caller,
                    ip: &ip,
                },
                &input,
            )
        })
        .await;
    match outcome {
        Ok(ws) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{}", ws.slug),
            &format!("{} has been added", ws.name),
        )),
        Err(AppError::Validation { fields, .. }) => {
            let data = ws_form_context(
                "Add a workspace",
                "/workspaces",
                &echo,
                Some(FieldErrors::from_map(fields)),
                true,
            );
            page.render_status(StatusCode::UNPROCESSABLE_ENTITY, "workspaces/form", data)
        }
        Err(e) => Err(e),
    }
}

async fn load(page: &Page, slug: String) -> AppResult<Access> {
    let caller = page.user.clone();
    page.state()
        .db
        .run(move |conn| queries::load(conn, &slug, caller.as_ref()))
        .await
}

pub async fn overview_page(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let slug = path.into_inner();
    let today = now().date();
    let (access, members, posts, actions, milestones, measures, readings, activity, follow) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let id = access.ws.id;
            let follow = crate::notifications::subscriptions::pages::follow_context(
                conn,
                caller.as_ref(),
                crate::notifications::model::TargetKind::Workspace,
                id,
                &access.ws.slug,
                &access.ws.name,
            )?;
            let members = queries::members(conn, id)?;
            let (posts, _) = queries::posts_page(
                conn,
                id,
                crate::web::Paging {
                    page: 1,
                    per_page: 3,
                },
            )?;
            let actions = queries::all_actions(conn, id)?;
            let milestones = queries::open_milestones(conn, id, today + Duration::days(90))?;
            let measures = queries::measures_for(conn, id)?;
            let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
            let readings = queries::readings_for(conn, &ids)?;
            let activity = queries::activity(conn, id, caller.as_ref(), 10)?;
            Ok((
                access, members, posts, actions, milestones, measures, readings, activity, follow,
            ))
        })
        .await?;
    let attention: Vec<Value> = actions
        .iter()
        .filter(|a| {
            a.action.is_overdue(today) || (a.action.rag != Rag::Green && a.action.status.is_open())
        })
        .map(|a| action_row(a, today))
        .collect();
    let data = json!({
        "title": access.ws.name,
        "breadcrumbs": [{ "href": "/workspaces", "label": "Workspaces" }],
        "ws": ws_context(&access, page.user.as_ref(), ""),
        "follow": follow,
        "members": members.iter().map(|m| json!({ "organisation": m.organisation, "role": m.role.label() })).collect::<Vec<_>>(),
        "posts": posts.iter().map(|p| json!({ "id": p.item.id, "title": p.item.title, "author": p.author, "organisation": p.organisation, "when": when(p.item.created_at) })).collect::<Vec<_>>(),
        "rag": rag_counts(&actions, today),
        "attention": attention,
        "milestones": milestones.iter().map(|(m, action)| json!({ "title": m.title, "action": action, "action_id": m.action_id, "due": date(m.due_date), "overdue": m.is_overdue(today) })).collect::<Vec<_>>(),
        "measures": measures.iter().map(|m| measure_row(m, &readings)).collect::<Vec<_>>(),
        "activity": activity.iter().map(|(kind, payload, at)| json!({ "text": activity_sentence(kind, payload), "when": when(*at) })).collect::<Vec<_>>(),
    });
    page.render("workspaces/overview", data)
}

pub async fn edit_page(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let access = load(&page, path.into_inner()).await?;
    authz::manage_workspaces(&user.0)?;
    let form = json!({ "name": access.ws.name, "summary": access.ws.summary, "visibility": access.ws.visibility, "kind": access.ws.kind });
    render_edit(&page, &access, &form, None)
}

fn render_edit(
    page: &Page,
    access: &Access,
    form: &Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let status = status_for(&errors);
    let mut data = ws_form_context(
        &format!("Edit {}", access.ws.name),
        &format!("/workspaces/{}/edit", access.ws.slug),
        form,
        errors,
        false,
    );
    data["breadcrumbs"] = crumbs(access);
    data["ws"] = ws_context(access, page.user.as_ref(), "edit");
    page.render_status(status, "workspaces/form", data)
}

pub async fn update(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<WorkspaceInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::update_workspace(conn, actor, access, &input)
    })
    .await?
    {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}"),
            "The workspace has been updated",
        )),
        Err(errors) => render_edit(&page, &load(&page, slug).await?, &echo, Some(errors)),
    }
}

pub async fn archive(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    submit(&page, user.0, slug.clone(), |conn, actor, access| {
        service::set_archived(conn, actor, access, true)
    })
    .await?
    .map_err(|_| AppError::BadRequest("Could not archive".into()))?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/workspaces/{slug}"),
        "The workspace has been archived: it is now read-only",
    ))
}

pub async fn restore(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    submit(&page, user.0, slug.clone(), |conn, actor, access| {
        service::set_archived(conn, actor, access, false)
    })
    .await?
    .map_err(|_| AppError::BadRequest("Could not restore".into()))?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/workspaces/{slug}"),
        "The workspace has been restored",
    ))
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces", index_page)
        .get("/workspaces/new", new_page)
        .post("/workspaces", create)
        .get("/workspaces/{slug}", overview_page)
        .get("/workspaces/{slug}/edit", edit_page)
        .post("/workspaces/{slug}/edit", update)
        .post("/workspaces/{slug}/archive", archive)
        .post("/workspaces/{slug}/restore", restore);
}
