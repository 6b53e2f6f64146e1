//! Workspaces on the JSON API. Public workspaces can be read without a token; everything
//! else follows the same rules as the pages (invisible → 404, read-only → 403).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::*;
use super::queries::{self, Access, MemberView};
use super::service::{self, *};
use crate::auth::{ApiCaller, Caller, MaybeUser};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::web::{PageQuery, Paged};

async fn read<T, F>(state: &AppState, caller: Option<Caller>, slug: String, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    state
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            f(conn, &access)
        })
        .await
}

async fn change<T, F>(
    state: &AppState,
    req: &HttpRequest,
    caller: Caller,
    slug: String,
    f: F,
) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    state
        .change(req, caller, move |conn, actor| {
            let access = queries::load(conn, &slug, Some(actor.caller))?;
            f(conn, actor, &access)
        })
        .await
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceDetail {
    #[serde(flatten)]
    pub workspace: Workspace,
    /// The caller's organisation's role here: lead | member | observer, or null.
    pub your_role: Option<String>,
    pub members: Vec<MemberView>,
}

/// Workspaces the caller may see.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", params(PageQuery),
    responses((status = 200, description = "Workspaces by name", body = Paged<Workspace>)))]
#[get("/api/v1/workspaces")]
pub async fn list(
    state: web::Data<AppState>,
    user: MaybeUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(50);
    let caller = user.0;
    let all = state
        .db
        .run(move |conn| Ok(queries::list_visible(conn, caller.as_ref())?))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(
        all.into_iter().map(|a| a.ws).collect(),
        paging,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewWorkspace {
    pub name: String,
    /// Made from the name when left out.
    pub slug: Option<String>,
    /// Markdown.
    pub summary: String,
    /// theme | programme
    pub kind: String,
    /// public | partners | members
    pub visibility: String,
}

/// Add a workspace (platform admins).
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = [])), request_body = NewWorkspace,
    responses((status = 201, body = Workspace), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    body: web::Json<NewWorkspace>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let input = WorkspaceInput {
        name: b.name,
        slug: text(b.slug),
        summary: b.summary,
        kind: b.kind,
        visibility: b.visibility,
    };
    let ip = state.client_ip(&req);
    let caller = caller.0;
    let ws = state
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
        .await?;
    Ok(HttpResponse::Created().json(ws))
}

/// One workspace with its members.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}", tag = "workspaces", params(("slug" = String, Path)),
    responses((status = 200, body = WorkspaceDetail), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}")]
pub async fn show(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let detail = read(&state, user.0, path.into_inner(), |conn, access| {
        Ok(WorkspaceDetail {
            workspace: access.ws.clone(),
            your_role: access.membership.map(|m| m.as_str().to_string()),
            members: queries::members(conn, access.ws.id)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WorkspaceChanges {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub visibility: Option<String>,
    /// true archives (read-only), false restores.
    pub archived: Option<bool>,
}

/// Edit a workspace or archive it (platform admins).
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = WorkspaceChanges,
    responses((status = 200, body = Workspace), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[patch("/api/v1/workspaces/{slug}")]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<WorkspaceChanges>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let ws = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            if b.name.is_some() || b.summary.is_some() || b.visibility.is_some() {
                let input = WorkspaceInput {
                    name: b.name.unwrap_or_else(|| access.ws.name.clone()),
                    slug: String::new(),
                    summary: b.summary.unwrap_or_else(|| access.ws.summary.clone()),
                    kind: String::new(),
                    visibility: b.visibility.unwrap_or_else(|| access.ws.visibility.clone()),
                };
                service::update_workspace(conn, actor, access, &input)?;
            }
            if let Some(archived) = b.archived {
                service::set_archived(conn, actor, access, archived)?;
            }
            Ok(queries::find_by_slug(conn, &access.ws.slug)?)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(ws))
}

/// Member organisations.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/members", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<MemberView>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(50);
    let all = read(&state, user.0, path.into_inner(), |conn, access| {
        Ok(queries::members(conn, access.ws.id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetMember {
    pub organisation_id: i64,
    /// lead | member | observer
    pub role: String,
}

/// Add an organisation or change its role (leads and platform admins).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/members", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = SetMember,
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/members")]
pub async fn set_member(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<SetMember>,
) -> AppResult<HttpResponse> {
    let input = MemberInput {
        organisation_id: body.organisation_id.to_string(),
        role: body.role.clone(),
    };
    let members = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            service::set_member(conn, actor, access, &input)?;
            Ok(queries::members(conn, access.ws.id)?)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(members))
}

/// Remove a member organisation.
#[utoipa::path(delete, path = "/api/v1/workspaces/{slug}/members/{organisation_id}", tag = "workspaces", security(("bearer" = [])),
    params(("slug" = String, Path), ("organisation_id" = i64, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[delete("/api/v1/workspaces/{slug}/members/{organisation_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, organisation_id) = path.into_inner();
    change(&state, &req, caller.0, slug, move |conn, actor, access| {
        service::remove_member(conn, actor, access, organisation_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Updates, newest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/posts", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Post>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(20);
    let (items, total) = read(&state, user.0, path.into_inner(), move |conn, access| {
        Ok(queries::posts_page(conn, access.ws.id, paging)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::of(
        items.into_iter().map(|p| p.item).collect(),
        paging,
        total,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostRequest {
    pub title: Option<String>,
    /// Markdown.
    pub body: Option<String>,
}

/// Post an update (lead and member organisations).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/posts", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = PostRequest,
    responses((status = 201, body = Post), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<PostRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let input = PostInput {
        title: text(b.title),
        body: text(b.body),
    };
    let post = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            let id = service::create_post(conn, actor, access, &input)?;
            Ok(queries::find_post(conn, access.ws.id, id)?.item)
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(post))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostDetail {
    #[serde(flatten)]
    pub post: Post,
    pub comments: Vec<Comment>,
}

/// One update with its comments.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/posts/{id}", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = PostDetail), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/posts/{id}")]
pub async fn show_post(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let detail = read(&state, user.0, slug, move |conn, access| {
        let post = queries::find_post(conn, access.ws.id, id)?.item;
        let comments = queries::comments_for(conn, id)?
            .into_iter()
            .map(|c| c.item)
            .collect();
        Ok(PostDetail { post, comments })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Edit an update (its author or a lead).
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}/posts/{id}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = PostRequest,
    responses((status = 200, body = Post), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[patch("/api/v1/workspaces/{slug}/posts/{id}")]
pub async fn update_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<PostRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let b = body.into_inner();
    let post = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        let current = queries::find_post(conn, access.ws.id, id)?.item;
        let input = PostInput {
            title: b.title.unwrap_or(current.title),
            body: b.body.unwrap_or(current.body),
        };
        service::update_post(conn, actor, access, id, &input)?;
        Ok(queries::find_post(conn, access.ws.id, id)?.item)
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Comments on an update, oldest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/posts/{id}/comments", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Comment>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/posts/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let paging = query.paging(50);
    let all = read(&state, user.0, slug, move |conn, access| {
        queries::find_post(conn, access.ws.id, id)?;
        Ok(queries::comments_for(conn, id)?
            .into_iter()
            .map(|c| c.item)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    pub body: Option<String>,
}

/// Comment on an update (any organisation in the workspace).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/posts/{id}/comments", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 201, body = Comment), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/posts/{id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<CommentRequest>,
) -> AppResult<HttpResponse> {
    let (slug, post_id) = path.into_inner();
    let input = CommentInput {
        body: text(body.into_inner().body),
    };
    let comment = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        let id = service::create_comment(conn, actor, access, post_id, &input)?;
        queries::comments_for(conn, post_id)?
            .into_iter()
            .map(|c| c.item)
            .find(|c| c.id == id)
            .ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Created().json(comment))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ActionQuery {
    /// Only actions of this RAG: red | amber | green.
    pub rag: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Actions by due date.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/actions", tag = "workspaces", params(("slug" = String, Path), ActionQuery),
    responses((status = 200, body = Paged<Action>), (status = 400, body = Problem), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/actions")]
pub async fn list_actions(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<ActionQuery>,
) -> AppResult<HttpResponse> {
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(50);
    let rag = match query.rag.as_deref() {
        None | Some("") => None,
        Some(value) => Some(Rag::parse(value).map_err(|m| AppError::field("rag", m))?),
    };
    let (items, total) = read(&state, user.0, path.into_inner(), move |conn, access| {
        let filter = queries::ActionFilter {
            rag,
            ..queries::ActionFilter::default()
        };
        Ok(queries::actions_page(conn, access.ws.id, &filter, paging)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::of(
        items.into_iter().map(|a| a.action).collect(),
        paging,
        total,
    )))
}

/// An action as sent: dates as YYYY-MM-DD.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_organisation_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
    /// not_started | in_progress | blocked | done | cancelled
    pub status: Option<String>,
    /// 0–100
    pub progress: Option<i64>,
    /// red | amber | green
    pub rag: Option<String>,
    /// Required for red and amber.
    pub rag_reason: Option<String>,
}

impl ActionRequest {
    /// The request over `base`: fields left out keep their current value.
    fn over(self, base: ActionInput) -> ActionInput {
        ActionInput {
            title: self.title.unwrap_or(base.title),
            description: self.description.unwrap_or(base.description),
            owner_organisation_id: self
                .owner_organisation_id
                .map(|v| v.to_string())
                .unwrap_or(base.owner_organisation_id),
            owner_user_id: self
                .owner_user_id
                .map(|v| v.to_string())
                .unwrap_or(base.owner_user_id),
            start_date: self.start_date.unwrap_or(base.start_date),
            due_date: self.due_date.unwrap_or(base.due_date),
            status: self.status.unwrap_or(base.status),
            progress: self
                .progress
                .map(|v| v.to_string())
                .unwrap_or(base.progress),
            rag: self.rag.unwrap_or(base.rag),
            rag_reason: self.rag_reason.unwrap_or(base.rag_reason),
        }
    }
}

fn action_input(a: &Action) -> ActionInput {
    ActionInput {
        title: a.title.clone(),
        description: a.description.clone(),
        owner_organisation_id: a.owner_organisation_id.to_string(),
        owner_user_id: a.owner_user_id.map(|v| v.to_string()).unwrap_or_default(),
        start_date: a.start_date.map(|d| d.to_string()).unwrap_or_default(),
        due_date: a.due_date.map(|d| d.to_string()).unwrap_or_default(),
        status: a.status.clone(),
        progress: a.progress.to_string(),
        rag: a.rag.clone(),
        rag_reason: a.rag_reason.clone(),
    }
}

/// Add an action (lead and member organisations).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/actions", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = ActionRequest,
    responses((status = 201, body = Action), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/actions")]
pub async fn create_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<ActionRequest>,
) -> AppResult<HttpResponse> {
    let defaults = ActionInput {
        status: "not_started".into(),
        progress: "0".into(),
        rag: "green".into(),
        ..ActionInput::default()
    };
    let input = body.into_inner().over(defaults);
    let action = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            let id = service::create_action(conn, actor, access, &input)?;
            Ok(queries::find_action(conn, access.ws.id, id)?.action)
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(action))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub action: Action,
    pub milestones: Vec<Milestone>,
}

/// One action with its milestones.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/actions/{id}", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = ActionDetail), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/actions/{id}")]
pub async fn show_action(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let detail = read(&state, user.0, slug, move |conn, access| {
        let action = queries::find_action(conn, access.ws.id, id)?.action;
        Ok(ActionDetail {
            action,
            milestones: queries::milestones_for(conn, id)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Change an action: status, progress, RAG and the rest (a lead or the owning organisation).
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}/actions/{id}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = ActionRequest,
    responses((status = 200, body = Action), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[patch("/api/v1/workspaces/{slug}/actions/{id}")]
pub async fn update_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<ActionRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let changes = body.into_inner();
    let action = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        let current = queries::find_action(conn, access.ws.id, id)?.action;
        let input = changes.over(action_input(&current));
        service::update_action(conn, actor, access, id, &input)?;
        Ok(queries::find_action(conn, access.ws.id, id)?.action)
    })
    .await?;
    Ok(HttpResponse::Ok().json(action))
}

/// Milestones of an action, by due date.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/actions/{id}/milestones", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Milestone>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/actions/{id}/milestones")]
pub async fn list_milestones(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let paging = query.paging(50);
    let all = read(&state, user.0, slug, move |conn, access| {
        queries::find_action(conn, access.ws.id, id)?;
        Ok(queries::milestones_for(conn, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MilestoneRequest {
    pub title: Option<String>,
    /// YYYY-MM-DD
    pub due_date: Option<String>,
}

/// Add a milestone to an action.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/actions/{id}/milestones", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = MilestoneRequest,
    responses((status = 201, body = Milestone), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/actions/{id}/milestones")]
pub async fn create_milestone(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<MilestoneRequest>,
) -> AppResult<HttpResponse> {
    let (slug, action_id) = path.into_inner();
    let b = body.into_inner();
    let input = MilestoneInput {
        title: text(b.title),
        due_date: text(b.due_date),
    };
    let milestone = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        let id = service::create_milestone(conn, actor, access, action_id, &input)?;
        Ok(queries::find_milestone(conn, access.ws.id, id)?.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(milestone))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MilestoneDone {
    /// YYYY-MM-DD; today when left out.
    pub done_date: Option<String>,
}

/// Mark a milestone done.
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}/milestones/{id}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = MilestoneDone,
    responses((status = 200, body = Milestone), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[patch("/api/v1/workspaces/{slug}/milestones/{id}")]
pub async fn complete_milestone(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<MilestoneDone>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = MilestoneDoneInput {
        done_date: text(body.into_inner().done_date),
    };
    let milestone = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        service::complete_milestone(conn, actor, access, id, &input)?;
        Ok(queries::find_milestone(conn, access.ws.id, id)?.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(milestone))
}

/// Outcomes.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/outcomes", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Outcome>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/outcomes")]
pub async fn list_outcomes(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(50);
    let all = read(&state, user.0, path.into_inner(), |conn, access| {
        Ok(queries::outcomes_for(conn, access.ws.id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OutcomeRequest {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Add an outcome.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/outcomes", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = OutcomeRequest,
    responses((status = 201, body = Outcome), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/outcomes")]
pub async fn create_outcome(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<OutcomeRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let input = OutcomeInput {
        title: text(b.title),
        description: text(b.description),
    };
    let outcome = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            let id = service::create_outcome(conn, actor, access, &input)?;
            Ok(queries::find_outcome(conn, access.ws.id, id)?)
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(outcome))
}

/// Measures of every outcome.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/measures", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Measure>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/measures")]
pub async fn list_measures(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(50);
    let all = read(&state, user.0, path.into_inner(), |conn, access| {
        Ok(queries::measures_for(conn, access.ws.id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MeasureRequest {
    pub outcome_id: Option<i64>,
    pub name: Option<String>,
    pub unit: Option<String>,
    /// higher | lower
    pub direction: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// YYYY-MM-DD
    pub target_date: Option<String>,
}

/// Add a measure to an outcome.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/measures", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = MeasureRequest,
    responses((status = 201, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/measures")]
pub async fn create_measure(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<MeasureRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let number = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    let input = MeasureInput {
        outcome_id: b.outcome_id.map(|v| v.to_string()).unwrap_or_default(),
        name: text(b.name),
        unit: text(b.unit),
        direction: text(b.direction),
        baseline: number(b.baseline),
        target: number(b.target),
        target_date: text(b.target_date),
    };
    let measure = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            let id = service::create_measure(conn, actor, access, &input)?;
            Ok(queries::find_measure(conn, access.ws.id, id)?)
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(measure))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureDetail {
    #[serde(flatten)]
    pub measure: Measure,
    pub readings: Vec<Reading>,
}

/// One measure with its readings, oldest quarter first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/measures/{id}", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = MeasureDetail), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/measures/{id}")]
pub async fn show_measure(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let detail = read(&state, user.0, slug, move |conn, access| {
        let measure = queries::find_measure(conn, access.ws.id, id)?;
        Ok(MeasureDetail {
            measure,
            readings: queries::readings_for(conn, &[id])?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Readings of a measure, oldest quarter first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/measures/{id}/readings", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Reading>), (status = 404, body = Problem)))]
#[get("/api/v1/workspaces/{slug}/measures/{id}/readings")]
pub async fn list_readings(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let paging = query.paging(50);
    let all = read(&state, user.0, slug, move |conn, access| {
        queries::find_measure(conn, access.ws.id, id)?;
        Ok(queries::readings_for(conn, &[id])?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadingRequest {
    /// Like "2026/27 Q3".
    pub quarter: Option<String>,
    pub value: Option<f64>,
    pub note: Option<String>,
}

/// Record a quarter's reading; one already recorded for that quarter is replaced.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/measures/{id}/readings", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = ReadingRequest,
    responses((status = 201, body = Reading), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/api/v1/workspaces/{slug}/measures/{id}/readings")]
pub async fn create_reading(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<ReadingRequest>,
) -> AppResult<HttpResponse> {
    let (slug, measure_id) = path.into_inner();
    let b = body.into_inner();
    let input = ReadingInput {
        quarter: text(b.quarter),
        value: b.value.map(|v| v.to_string()).unwrap_or_default(),
        note: text(b.note),
    };
    let reading = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        let id = service::record_reading(conn, actor, access, measure_id, &input)?;
        queries::readings_for(conn, &[measure_id])?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Created().json(reading))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(show)
        .service(update)
        .service(list_members)
        .service(set_member)
        .service(remove_member)
        .service(list_posts)
        .service(create_post)
        .service(show_post)
        .service(update_post)
        .service(list_comments)
        .service(create_comment)
        .service(list_actions)
        .service(create_action)
        .service(show_action)
        .service(update_action)
        .service(list_milestones)
        .service(create_milestone)
        .service(complete_milestone)
        .service(list_outcomes)
        .service(create_outcome)
        .service(list_measures)
        .service(create_measure)
        .service(show_measure)
        .service(list_readings)
        .service(create_reading);
}
