//! Barriers in the way of an opportunity, and how they are being dealt with: the JSON API.

use actix_web::http::StatusCode;
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
    /// Barriers.
    barriers,
    "/api/v1/opportunities/{id}/barriers",
    Barrier,
    queries::barriers_page
}

#[derive(Debug, Default, Deserialize, ToSchema)]
/// A barrier as sent; a new one needs its category, description and severity.
pub struct BarrierRequest {
    #[schema(value_type = Option<BarrierCategory>)]
    pub category: Option<String>,
    #[schema(min_length = 1, max_length = 2000)]
    pub description: Option<String>,
    #[schema(value_type = Option<Severity>)]
    pub severity: Option<String>,
    #[schema(max_length = 200)]
    pub owner: Option<String>,
    #[schema(value_type = Option<BarrierStatus>)]
    pub status: Option<String>,
    #[schema(max_length = 2000)]
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
pub async fn create_barrier(call: OppWrite, body: web::Json<BarrierRequest>) -> Reply {
    let input = body.into_inner().over(BarrierInput::default());
    call.create(
        move |conn, actor, id| service::add_barrier(conn, actor, id, &input),
        queries::barrier,
    )
    .await
}

/// Change a barrier: its status, mitigation or anything else.
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}/barriers/{barrier}", tag = "opportunities", security(("bearer" = [])),
    params(("id" = i64, Path), ("barrier" = i64, Path)), request_body = BarrierRequest,
    responses((status = 200, body = Barrier), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_barrier(call: OppWrite, body: web::Json<BarrierRequest>) -> Reply {
    let barrier_id = call.part;
    let changes = body.into_inner();
    call.change(StatusCode::OK, move |conn, actor, id| {
        queries::load(conn, id, Some(actor.caller))?;
        let current = queries::barrier(conn, id, barrier_id)?;
        let base = BarrierInput {
            category: current.category.to_string(),
            description: current.description,
            severity: current.severity.to_string(),
            owner: current.owner,
            status: current.status.to_string(),
            mitigation: current.mitigation,
        };
        service::update_barrier(conn, actor, id, barrier_id, &changes.over(base))?;
        Ok(queries::barrier(conn, id, barrier_id)?)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_barriers, barriers)
        .api(__path_create_barrier, create_barrier)
        .api(__path_update_barrier, update_barrier);
}
