//! The workspace pages.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Deserialize;
use serde_json::{json, Value};

use super::chart::{format_number, trend_svg};
use super::model::*;
use super::queries::{self, Access};
use super::service::{self, *};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::web::markdown::to_safe_html;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page, PageQuery};

pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn when(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M").to_string()
}

fn visibility_label(v: &str) -> &'static str {
    match v {
        "public" => "Public",
        "partners" => "Partners",
        _ => "Members only",
    }
}

/// What every workspace page shows: its name, sub-navigation and what the caller may do.
fn ws_context(access: &Access, caller: Option<&Caller>, section: &str) -> Value {
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
        "kind": WorkspaceKind::parse(&ws.kind).map(WorkspaceKind::label).unwrap_or(""),
        "visibility": visibility_label(&ws.visibility),
        "archived": ws.is_archived(),
        "membership": access.membership.map(MemberRole::label),
        "nav": nav,
        "can_contribute": may(authz::contribute),
        "can_comment": may(authz::comment),
        "can_manage_members": may(authz::manage_members),
        "can_manage": caller.is_some_and(|c| authz::manage_workspaces(c).is_ok()),
    })
}

fn crumbs(access: &Access) -> Value {
    json!([
        { "href": "/workspaces", "label": "Workspaces" },
        { "href": format!("/workspaces/{}", access.ws.slug), "label": access.ws.name },
    ])
}

fn status_for(errors: &Option<FieldErrors>) -> StatusCode {
    if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// Runs a change for a signed-in caller on a workspace; field errors come back separately
/// so the form can be shown again with them.
async fn submit<T, F>(
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

fn rag_counts(actions: &[queries::ActionView], today: NaiveDate) -> Value {
    let count = |rag: &str| {
        actions
            .iter()
            .filter(|a| {
                a.action.rag == rag
                    && ActionStatus::parse(&a.action.status).is_ok_and(ActionStatus::is_open)
            })
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

fn action_row(a: &queries::ActionView, today: NaiveDate) -> Value {
    json!({
        "id": a.action.id,
        "title": a.action.title,
        "owner": a.owner_organisation,
        "person": a.owner_person,
        "due": a.action.due_date.map(date),
        "start": a.action.start_date.map(date),
        "status": ActionStatus::parse(&a.action.status).map(ActionStatus::label).unwrap_or(""),
        "progress": a.action.progress,
        "rag": a.action.rag,
        "rag_label": Rag::parse(&a.action.rag).map(Rag::label).unwrap_or(""),
        "rag_reason": a.action.rag_reason,
        "overdue": a.action.is_overdue(today),
        "description": a.action.description,
    })
}

/// A measure's latest reading against its target.
fn measure_row(m: &Measure, readings: &[Reading]) -> Value {
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
        "direction": Direction::parse(&m.direction).map(Direction::label).unwrap_or(""),
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

#[get("/workspaces")]
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
                let leads: Vec<String> = members.iter().filter(|m| m.role == "lead").map(|m| m.organisation.clone()).collect();
                rows.push(json!({
                    "name": access.ws.name,
                    "slug": access.ws.slug,
                    "kind": WorkspaceKind::parse(&access.ws.kind).map(WorkspaceKind::label).unwrap_or(""),
                    "visibility": visibility_label(&access.ws.visibility),
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

#[get("/workspaces/new")]
pub async fn new_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::create_workspace(&user.0)?;
    let mut data = ws_form_context("Add a workspace", "/workspaces", &json!({}), None, true);
    data["breadcrumbs"] = json!([{ "href": "/workspaces", "label": "Workspaces" }]);
    page.render("workspaces/form", data)
}

#[post("/workspaces")]
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

#[get("/workspaces/{slug}")]
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
            let follow = crate::notifications::pages::follow_context(
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
            a.action.is_overdue(today)
                || (a.action.rag != "green"
                    && ActionStatus::parse(&a.action.status).is_ok_and(ActionStatus::is_open))
        })
        .map(|a| action_row(a, today))
        .collect();
    let data = json!({
        "title": access.ws.name,
        "breadcrumbs": [{ "href": "/workspaces", "label": "Workspaces" }],
        "ws": ws_context(&access, page.user.as_ref(), ""),
        "follow": follow,
        "members": members.iter().map(|m| json!({ "organisation": m.organisation, "role": MemberRole::parse(&m.role).map(MemberRole::label).unwrap_or("") })).collect::<Vec<_>>(),
        "posts": posts.iter().map(|p| json!({ "id": p.item.id, "title": p.item.title, "author": p.author, "organisation": p.organisation, "when": when(p.item.created_at) })).collect::<Vec<_>>(),
        "rag": rag_counts(&actions, today),
        "attention": attention,
        "milestones": milestones.iter().map(|(m, action)| json!({ "title": m.title, "action": action, "action_id": m.action_id, "due": date(m.due_date), "overdue": m.is_overdue(today) })).collect::<Vec<_>>(),
        "measures": measures.iter().map(|m| measure_row(m, &readings)).collect::<Vec<_>>(),
        "activity": activity.iter().map(|(kind, payload, at)| json!({ "text": activity_sentence(kind, payload), "when": when(*at) })).collect::<Vec<_>>(),
    });
    page.render("workspaces/overview", data)
}

#[get("/workspaces/{slug}/edit")]
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

#[post("/workspaces/{slug}/edit")]
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

#[post("/workspaces/{slug}/archive")]
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

#[post("/workspaces/{slug}/restore")]
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

async fn render_members(
    page: &Page,
    slug: String,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, members, organisations) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let members = queries::members(conn, access.ws.id)?;
            let organisations = crate::organisations::queries::list(conn)?;
            Ok((access, members, organisations))
        })
        .await?;
    let selected = form["organisation_id"].as_str().unwrap_or("").to_string();
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Members of {}", access.ws.name),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/members"),
        "members": members.iter().map(|m| json!({ "organisation_id": m.organisation_id, "organisation": m.organisation, "role": MemberRole::parse(&m.role).map(MemberRole::label).unwrap_or("") })).collect::<Vec<_>>(),
        "organisations": organisations.iter().map(|o| json!({ "value": o.id, "label": o.name, "selected": o.id.to_string() == selected })).collect::<Vec<_>>(),
        "roles": MemberRole::options(form["role"].as_str().unwrap_or("member")),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/members", data)
}

#[get("/workspaces/{slug}/members")]
pub async fn members_page(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    render_members(&page, path.into_inner(), json!({}), None).await
}

#[post("/workspaces/{slug}/members")]
pub async fn set_member(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<MemberInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::set_member(conn, actor, access, &input)
    })
    .await?
    {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/members"),
            "Membership saved",
        )),
        Err(errors) => render_members(&page, slug, echo, Some(errors)).await,
    }
}

#[post("/workspaces/{slug}/members/{organisation_id}/remove")]
pub async fn remove_member(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let (slug, organisation_id) = path.into_inner();
    submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::remove_member(conn, actor, access, organisation_id)
    })
    .await?
    .map_err(|_| AppError::NotFound)?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/workspaces/{slug}/members"),
        "The organisation is no longer a member",
    ))
}

async fn render_updates(
    page: &Page,
    slug: String,
    query: &PageQuery,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let paging = query.paging(10);
    let (access, (posts, total)) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let posts = queries::posts_page(conn, access.ws.id, paging)?;
            Ok((access, posts))
        })
        .await?;
    let base = format!("/workspaces/{}/updates", access.ws.slug);
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Updates – {}", access.ws.name),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/updates"),
        "posts": posts.iter().map(|p| json!({
            "id": p.item.id, "title": p.item.title, "author": p.author, "organisation": p.organisation,
            "when": when(p.item.created_at), "edited": p.item.updated_at > p.item.created_at,
            "body_html": to_safe_html(&p.item.body),
        })).collect::<Vec<_>>(),
        "pagination": paging.context(total, &base),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/updates", data)
}

#[get("/workspaces/{slug}/updates")]
pub async fn updates_page(
    page: Page,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    render_updates(&page, path.into_inner(), &query, json!({}), None).await
}

#[post("/workspaces/{slug}/updates")]
pub async fn create_post(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<PostInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_post(conn, actor, access, &input)
    })
    .await?
    {
        Ok(id) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/updates/{id}"),
            "Your update has been posted",
        )),
        Err(errors) => render_updates(&page, slug, &PageQuery::default(), echo, Some(errors)).await,
    }
}

async fn render_post(
    page: &Page,
    slug: String,
    post_id: i64,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, post, comments) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let post = queries::find_post(conn, access.ws.id, post_id)?;
            let comments = queries::comments_for(conn, post_id)?;
            Ok((access, post, comments))
        })
        .await?;
    let can_edit = page.user.as_ref().is_some_and(|c| {
        authz::edit_post(c, &access.ws, access.membership, post.item.author_user_id).is_ok()
    });
    let status = status_for(&errors);
    let data = json!({
        "title": post.item.title,
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/updates"),
        "post": {
            "id": post.item.id, "title": post.item.title, "author": post.author, "organisation": post.organisation,
            "when": when(post.item.created_at), "edited": post.item.updated_at > post.item.created_at,
            "body_html": to_safe_html(&post.item.body), "can_edit": can_edit,
        },
        "comments": comments.iter().map(|c| json!({ "author": c.author, "organisation": c.organisation, "when": when(c.item.created_at), "body_html": to_safe_html(&c.item.body) })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/post", data)
}

#[get("/workspaces/{slug}/updates/{id}")]
pub async fn show_post(page: Page, path: web::Path<(String, i64)>) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_post(&page, slug, id, json!({}), None).await
}

#[post("/workspaces/{slug}/updates/{id}/comments")]
pub async fn create_comment(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<CommentInput>,
) -> AppResult<HttpResponse> {
    let (slug, post_id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_comment(conn, actor, access, post_id, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/updates/{post_id}#comments"),
            "Your comment has been added",
        )),
        Err(errors) => render_post(&page, slug, post_id, echo, Some(errors)).await,
    }
}

async fn render_post_edit(
    page: &Page,
    slug: String,
    post_id: i64,
    form: Option<Value>,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, post) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let post = queries::find_post(conn, access.ws.id, post_id)?;
            Ok((access, post))
        })
        .await?;
    let caller = page.user.as_ref().ok_or(AppError::Unauthorized)?;
    authz::edit_post(
        caller,
        &access.ws,
        access.membership,
        post.item.author_user_id,
    )?;
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Edit: {}", post.item.title),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/updates"),
        "post_id": post_id,
        "form": form.unwrap_or_else(|| json!({ "title": post.item.title, "body": post.item.body })),
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/post_form", data)
}

#[get("/workspaces/{slug}/updates/{id}/edit")]
pub async fn edit_post_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_post_edit(&page, slug, id, None, None).await
}

#[post("/workspaces/{slug}/updates/{id}/edit")]
pub async fn update_post(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<PostInput>,
) -> AppResult<HttpResponse> {
    let (slug, post_id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::update_post(conn, actor, access, post_id, &input)
    })
    .await?
    {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/updates/{post_id}"),
            "The update has been saved",
        )),
        Err(errors) => render_post_edit(&page, slug, post_id, Some(echo), Some(errors)).await,
    }
}

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

#[get("/workspaces/{slug}/actions")]
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

#[get("/workspaces/{slug}/actions/new")]
pub async fn new_action_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    render_action_form(&page, path.into_inner(), None, None, None).await
}

#[post("/workspaces/{slug}/actions")]
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

#[get("/workspaces/{slug}/actions/{id}")]
pub async fn show_action(page: Page, path: web::Path<(String, i64)>) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_action(&page, slug, id, json!({}), None).await
}

#[get("/workspaces/{slug}/actions/{id}/edit")]
pub async fn edit_action_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_action_form(&page, slug, Some(id), None, None).await
}

#[post("/workspaces/{slug}/actions/{id}/edit")]
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

#[post("/workspaces/{slug}/actions/{id}/milestones")]
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

#[post("/workspaces/{slug}/milestones/{id}/done")]
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

async fn render_outcomes(
    page: &Page,
    slug: String,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, outcomes, measures, readings) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let outcomes = queries::outcomes_for(conn, access.ws.id)?;
            let measures = queries::measures_for(conn, access.ws.id)?;
            let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
            let readings = queries::readings_for(conn, &ids)?;
            Ok((access, outcomes, measures, readings))
        })
        .await?;
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Outcomes and measures – {}", access.ws.name),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/outcomes"),
        "outcomes": outcomes.iter().map(|o| json!({
            "id": o.id, "title": o.title, "description_html": to_safe_html(&o.description),
            "measures": measures.iter().filter(|m| m.outcome_id == o.id).map(|m| measure_row(m, &readings)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/outcomes", data)
}

#[get("/workspaces/{slug}/outcomes")]
pub async fn outcomes_page(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    render_outcomes(&page, path.into_inner(), json!({}), None).await
}

#[post("/workspaces/{slug}/outcomes")]
pub async fn create_outcome(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<OutcomeInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_outcome(conn, actor, access, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/outcomes"),
            "The outcome has been added",
        )),
        Err(errors) => render_outcomes(&page, slug, echo, Some(errors)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewMeasureQuery {
    outcome: Option<i64>,
}

async fn render_measure_form(
    page: &Page,
    slug: String,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let (access, outcomes) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, Some(&caller))?;
            authz::contribute(&caller, &access.ws, access.membership)?;
            let outcomes = queries::outcomes_for(conn, access.ws.id)?;
            Ok((access, outcomes))
        })
        .await?;
    let selected = form["outcome_id"].as_str().unwrap_or("").to_string();
    let status = status_for(&errors);
    let data = json!({
        "title": "Add a measure",
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/outcomes"),
        "outcomes": outcomes.iter().map(|o| json!({ "value": o.id, "label": o.title, "selected": o.id.to_string() == selected })).collect::<Vec<_>>(),
        "directions": Direction::options(form["direction"].as_str().unwrap_or("higher")),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/measure_form", data)
}

#[get("/workspaces/{slug}/measures/new")]
pub async fn new_measure_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<NewMeasureQuery>,
) -> AppResult<HttpResponse> {
    let form = json!({ "outcome_id": query.outcome.map(|o| o.to_string()).unwrap_or_default() });
    render_measure_form(&page, path.into_inner(), form, None).await
}

#[post("/workspaces/{slug}/measures")]
pub async fn create_measure(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<MeasureInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_measure(conn, actor, access, &input)
    })
    .await?
    {
        Ok(id) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/measures/{id}"),
            "The measure has been added",
        )),
        Err(errors) => render_measure_form(&page, slug, echo, Some(errors)).await,
    }
}

async fn render_measure(
    page: &Page,
    slug: String,
    measure_id: i64,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, measure, outcome, readings) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let measure = queries::find_measure(conn, access.ws.id, measure_id)?;
            let outcome = queries::find_outcome(conn, access.ws.id, measure.outcome_id)?;
            let readings = queries::readings_for(conn, &[measure_id])?;
            Ok((access, measure, outcome, readings))
        })
        .await?;
    let status = status_for(&errors);
    let mut form = form;
    if form["quarter"].is_null() {
        form["quarter"] = json!(Quarter::containing(now().date()).label());
    }
    let data = json!({
        "title": measure.name,
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/outcomes"),
        "outcome": outcome.title,
        "measure": measure_row(&measure, &readings),
        "chart_svg": trend_svg(&measure, &readings),
        "readings": readings.iter().map(|r| json!({ "quarter": Quarter { year: r.year, quarter: r.quarter }.label(), "value": format_number(r.value), "note": r.note })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/measure", data)
}

#[get("/workspaces/{slug}/measures/{id}")]
pub async fn show_measure(page: Page, path: web::Path<(String, i64)>) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_measure(&page, slug, id, json!({}), None).await
}

#[post("/workspaces/{slug}/measures/{id}/readings")]
pub async fn record_reading(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<ReadingInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::record_reading(conn, actor, access, id, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/measures/{id}"),
            "The reading has been recorded",
        )),
        Err(errors) => render_measure(&page, slug, id, echo, Some(errors)).await,
    }
}

/// Every workspace page, in the order they must be matched (`new` before `{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(index_page)
        .service(new_page)
        .service(create)
        .service(overview_page)
        .service(edit_page)
        .service(update)
        .service(archive)
        .service(restore)
        .service(members_page)
        .service(set_member)
        .service(remove_member)
        .service(updates_page)
        .service(create_post)
        .service(show_post)
        .service(create_comment)
        .service(edit_post_page)
        .service(update_post)
        .service(actions_page)
        .service(new_action_page)
        .service(create_action)
        .service(show_action)
        .service(edit_action_page)
        .service(update_action)
        .service(create_milestone)
        .service(complete_milestone)
        .service(outcomes_page)
        .service(create_outcome)
        .service(new_measure_page)
        .service(create_measure)
        .service(show_measure)
        .service(record_reading);
}
