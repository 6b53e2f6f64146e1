//! The outcomes a workspace works towards: the JSON API.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, *};
use crate::auth::{ApiCaller, MaybeUser};
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::api::{change, page_of, text};
use crate::workspaces::model::*;
use crate::workspaces::queries;

/// Outcomes.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/outcomes", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Outcome>), (status = 404, body = Problem)))]
pub async fn list_outcomes(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Reply {
    page_of(&state, user, path.into_inner(), &query, 50, |conn, a, p| {
        queries::outcomes_page(conn, a.ws.id, p)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OutcomeRequest {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Add an outcome.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/outcomes", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = OutcomeRequest,
    responses((status = 201, body = Outcome), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
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

pub fn routes(r: &mut Routes) {
    r.api(__path_list_outcomes, list_outcomes)
        .api(__path_create_outcome, create_outcome);
}
