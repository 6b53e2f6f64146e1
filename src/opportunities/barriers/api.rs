//! Barriers in the way of an opportunity, and how they are being dealt with: the JSON API.

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

/// Barriers.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/barriers", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Barrier>), (status = 404, body = Problem)))]
pub async fn barriers(
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
        queries::barriers_page,
    )
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BarrierRequest {
    pub category: Option<String>,
    pub description: Option<String>,
    /// low | medium | high
    pub severity: Option<String>,
    pub owner: Option<String>,
    /// open | mitigated | closed
    pub status: Option<String>,
    pub mitigation: Option<String>,
}

impl BarrierRequest {
    fn over(self, base: BarrierInput) -> BarrierInput {
        BarrierInput {
            category: self.category.unwrap_or(base.category),
            description: self.description.unwrap_or(base.description),
            severity: self.severity.unwrap_or(base.severity),
            owner: self.owner.unwrap_or(base.owner),
            status: self.status.unwrap_or(base.status),
            mitigation: self.mitigation.unwrap_or(base.mitigation),
        }
    }
}

/// Record a barrier.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/barriers", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = BarrierRequest,
    responses((status = 201, body = Barrier), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_barrier(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<BarrierRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner().over(BarrierInput::default());
    let caller = caller.0;
    let viewer = caller.clone();
    let barrier_id = state
        .change(&req, caller, move |conn, actor| {
            service::add_barrier(conn, actor, id, &input)
        })
        .await?;
    let barrier = state
        .db
        .run(move |conn| {
            Ok(detail(conn, id, Some(&viewer))?
                .barriers
                .into_iter()
                .find(|b| b.id == barrier_id))
        })
        .await?;
    Ok(HttpResponse::Created().json(barrier))
}

/// Change a barrier: its status, mitigation or anything else.
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}/barriers/{barrier}", tag = "opportunities", security(("bearer" = [])),
    params(("id" = i64, Path), ("barrier" = i64, Path)), request_body = BarrierRequest,
    responses((status = 200, body = Barrier), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_barrier(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(i64, i64)>,
    body: web::Json<BarrierRequest>,
) -> AppResult<HttpResponse> {
    let (id, barrier_id) = path.into_inner();
    let changes = body.into_inner();
    let barrier = state
        .change(&req, caller.0, move |conn, actor| {
            let current = detail(conn, id, Some(actor.caller))?
                .barriers
                .into_iter()
                .find(|b| b.id == barrier_id)
                .ok_or(crate::error::AppError::NotFound)?;
            let base = BarrierInput {
                category: current.category.to_string(),
                description: current.description,
                severity: current.severity.to_string(),
                owner: current.owner,
                status: current.status.to_string(),
                mitigation: current.mitigation,
            };
            service::update_barrier(conn, actor, id, barrier_id, &changes.over(base))?;
            detail(conn, id, Some(actor.caller))?
                .barriers
                .into_iter()
                .find(|b| b.id == barrier_id)
                .ok_or(crate::error::AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(barrier))
}

pub fn routes(r: &mut Routes) {
    r.api(__path_barriers, barriers)
        .api(__path_create_barrier, create_barrier)
        .api(__path_update_barrier, update_barrier);
}
