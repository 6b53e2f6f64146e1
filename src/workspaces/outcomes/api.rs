//! The outcomes a workspace works towards: the JSON API.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, *};
use crate::error::Problem;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::api::text;
use crate::workspaces::call::{workspace_list, WsRead, WsWrite};
use crate::workspaces::model::*;
use crate::workspaces::queries;

workspace_list! {
    /// Outcomes.
    list_outcomes,
    "/api/v1/workspaces/{slug}/outcomes",
    Outcome,
    queries::outcomes_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OutcomeRequest {
    #[schema(required = true, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
}

/// Add an outcome.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/outcomes", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = OutcomeRequest,
    responses((status = 201, body = Outcome), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_outcome(call: WsWrite, body: web::Json<OutcomeRequest>) -> Reply {
    let b = body.into_inner();
    let input = OutcomeInput {
        title: text(b.title),
        description: text(b.description),
    };
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::create_outcome(conn, actor, access, &input)?;
        Ok(queries::find_outcome(conn, access.ws.id, id)?)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_outcomes, list_outcomes)
        .api(__path_create_outcome, create_outcome);
}
