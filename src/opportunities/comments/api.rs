//! Comments on an opportunity, which may propose a move: the JSON API.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, *};
use crate::auth::{ApiCaller, MaybeUser};
use crate::error::{AppResult, Problem};
use crate::opportunities::api::{attached, detail};
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::state::AppState;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged};

/// Comments, oldest first.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/comments", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<OpportunityComment>), (status = 404, body = Problem)))]
pub async fn comments(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    attached(
        &state,
        user,
        path.into_inner(),
        &query,
        queries::comments_page,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    pub body: Option<String>,
    /// A stage to propose moving to.
    pub proposed_stage: Option<String>,
}

/// Comment, and optionally propose a move.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/comments", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 201, body = OpportunityComment), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<CommentRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = CommentInput {
        body: b.body.unwrap_or_default(),
        proposed_stage: b.proposed_stage.unwrap_or_default(),
    };
    let comment = state
        .change(&req, caller.0, move |conn, actor| {
            let comment_id = service::comment(conn, actor, id, &input)?;
            detail(conn, id, Some(actor.caller))?
                .comments
                .into_iter()
                .find(|c| c.id == comment_id)
                .ok_or(crate::error::AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Created().json(comment))
}

pub fn routes(r: &mut Routes) {
    r.api(__path_comments, comments)
        .api(__path_create_comment, create_comment);
}
