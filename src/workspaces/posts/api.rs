//! Updates posted in a workspace, and the comments on them: the JSON API.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, *};
use crate::error::{AppError, Problem};
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::api::text;
use crate::workspaces::call::{workspace_list, WsRead, WsWrite};
use crate::workspaces::model::*;
use crate::workspaces::queries;

/// Updates, newest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/posts", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Post>), (status = 404, body = Problem)))]
pub async fn list_posts(call: WsRead, query: web::Query<PageQuery>) -> Reply {
    let paging = query.paging(20);
    call.read(move |conn, access| {
        let (items, total) = queries::posts_page(conn, access.ws.id, paging)?;
        let items = items.into_iter().map(|p| p.item).collect();
        Ok(Paged::of(items, paging, total))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostRequest {
    #[schema(required = true, max_length = 200)]
    pub title: Option<String>,
    /// Markdown.
    #[schema(required = true, max_length = 20000)]
    pub body: Option<String>,
}

/// Post an update (lead and member organisations).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/posts", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = PostRequest,
    responses((status = 201, body = Post), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_post(call: WsWrite, body: web::Json<PostRequest>) -> Reply {
    let b = body.into_inner();
    let input = PostInput {
        title: text(b.title),
        body: text(b.body),
    };
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::create_post(conn, actor, access, &input)?;
        Ok(queries::find_post(conn, access.ws.id, id)?.item)
    })
    .await
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
pub async fn show_post(call: WsRead) -> Reply {
    let id = call.id;
    call.read(move |conn, access| {
        let post = queries::find_post(conn, access.ws.id, id)?.item;
        let comments = queries::comments_for(conn, id)?
            .into_iter()
            .map(|c| c.item)
            .collect();
        Ok(PostDetail { post, comments })
    })
    .await
}

/// Edit an update (its author or a lead).
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}/posts/{id}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = PostRequest,
    responses((status = 200, body = Post), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_post(call: WsWrite, body: web::Json<PostRequest>) -> Reply {
    let id = call.id;
    let b = body.into_inner();
    call.change(StatusCode::OK, move |conn, actor, access| {
        let current = queries::find_post(conn, access.ws.id, id)?.item;
        let input = PostInput {
            title: b.title.unwrap_or(current.title),
            body: b.body.unwrap_or(current.body),
        };
        service::update_post(conn, actor, access, id, &input)?;
        Ok(queries::find_post(conn, access.ws.id, id)?.item)
    })
    .await
}

workspace_list! {
    /// Comments on an update, oldest first.
    list_comments,
    "/api/v1/workspaces/{slug}/posts/{id}/comments",
    Comment,
    queries::find_post,
    queries::comments_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    #[schema(required = true, max_length = 5000)]
    pub body: Option<String>,
}

/// Comment on an update (any organisation in the workspace).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/posts/{id}/comments", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 201, body = Comment), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_post_comment(call: WsWrite, body: web::Json<CommentRequest>) -> Reply {
    let post_id = call.id;
    let input = CommentInput {
        body: text(body.into_inner().body),
    };
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::create_comment(conn, actor, access, post_id, &input)?;
        queries::comments_for(conn, post_id)?
            .into_iter()
            .map(|c| c.item)
            .find(|c| c.id == id)
            .ok_or(AppError::NotFound)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_posts, list_posts)
        .api(__path_create_post, create_post)
        .api(__path_show_post, show_post)
        .api(__path_update_post, update_post)
        .api(__path_list_comments, list_comments)
        .api(__path_create_post_comment, create_post_comment);
}
