//! Updates posted in a workspace, and the comments on them: the JSON API.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, *};
use crate::auth::{ApiCaller, MaybeUser};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::api::{change, page_of, read, text};
use crate::workspaces::model::*;
use crate::workspaces::queries;

/// Updates, newest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/posts", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Post>), (status = 404, body = Problem)))]
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
pub async fn list_comments(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> Reply {
    let (slug, id) = path.into_inner();
    page_of(&state, user, slug, &query, 50, move |conn, a, p| {
        queries::find_post(conn, a.ws.id, id)?;
        queries::comments_page(conn, id, p)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    pub body: Option<String>,
}

/// Comment on an update (any organisation in the workspace).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/posts/{id}/comments", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 201, body = Comment), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
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

pub fn routes(r: &mut Routes) {
    r.api(__path_list_posts, list_posts)
        .api(__path_create_post, create_post)
        .api(__path_show_post, show_post)
        .api(__path_update_post, update_post)
        .api(__path_list_comments, list_comments)
        .api(__path_create_comment, create_comment);
}
