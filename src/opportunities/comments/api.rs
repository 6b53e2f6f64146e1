//! Comments on an opportunity, which may propose a move: the JSON API.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, *};
use crate::error::Problem;
use crate::opportunities::call::{attached_list, OppRead, OppWrite};
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};

attached_list! {
    /// Comments, oldest first.
    comments,
    "/api/v1/opportunities/{id}/comments",
    OpportunityComment,
    queries::comments_page
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = OpportunityCommentRequest)]
pub struct CommentRequest {
    #[schema(required = true, max_length = 5000)]
    pub body: Option<String>,
    /// A stage to propose moving to (one the opportunity can move to now).
    #[schema(value_type = Option<Stage>)]
    pub proposed_stage: Option<String>,
}

/// Comment, and optionally propose a move.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/comments", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 201, body = OpportunityComment), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_opportunity_comment(call: OppWrite, body: web::Json<CommentRequest>) -> Reply {
    let b = body.into_inner();
    let input = CommentInput {
        body: b.body.unwrap_or_default(),
        proposed_stage: b.proposed_stage.unwrap_or_default(),
    };
    call.create(
        move |conn, actor, id| service::comment(conn, actor, id, &input),
        queries::comment,
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_comments, comments).api(
        __path_create_opportunity_comment,
        create_opportunity_comment,
    );
}
