//! Organisations registering interest in joining an opportunity: the JSON API.

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

/// Organisations that want in.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Endorsement>), (status = 404, body = Problem)))]
pub async fn endorsements(
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
        queries::endorsements_page,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndorsementRequest {
    pub note: Option<String>,
}

/// Register the caller's organisation's interest ("we want in"); again replaces the note.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = EndorsementRequest,
    responses((status = 200, body = Vec<Endorsement>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_endorsement(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<EndorsementRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = InterestInput {
        note: body.into_inner().note.unwrap_or_default(),
    };
    let all = state
        .change(&req, caller.0, move |conn, actor| {
            service::register_interest(conn, actor, id, &input)?;
            Ok(detail(conn, id, Some(actor.caller))?.endorsements)
        })
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Withdraw the caller's organisation's interest.
#[utoipa::path(delete, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "Withdrawn"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_endorsement(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    state
        .change(&req, caller.0, move |conn, actor| {
            service::withdraw_interest(conn, actor, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(r: &mut Routes) {
    r.api(__path_endorsements, endorsements)
        .api(__path_create_endorsement, create_endorsement)
        .api(__path_delete_endorsement, delete_endorsement);
}
