//! Measures of a workspace and the readings recorded against them: the JSON API.

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

workspace_list! {
    /// Measures of every outcome.
    list_measures,
    "/api/v1/workspaces/{slug}/measures",
    Measure,
    queries::measures_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MeasureRequest {
    /// One of the workspace's outcomes.
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(required = true, minimum = 1)]
    pub outcome_id: Option<i64>,
    #[schema(required = true, max_length = 200)]
    pub name: Option<String>,
    #[schema(required = true, max_length = 40)]
    pub unit: Option<String>,
    #[schema(required = true, value_type = Direction)]
    pub direction: Option<String>,
    #[schema(required = true)]
    pub baseline: Option<f64>,
    #[schema(required = true)]
    pub target: Option<f64>,
    #[schema(required = true, value_type = crate::validate::DateText)]
    pub target_date: Option<String>,
}

/// Add a measure to an outcome.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/measures", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = MeasureRequest,
    responses((status = 201, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_measure(call: WsWrite, body: web::Json<MeasureRequest>) -> Reply {
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
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::create_measure(conn, actor, access, &input)?;
        Ok(queries::find_measure(conn, access.ws.id, id)?)
    })
    .await
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
pub async fn show_measure(call: WsRead) -> Reply {
    let id = call.id;
    call.read(move |conn, access| {
        let measure = queries::find_measure(conn, access.ws.id, id)?;
        Ok(MeasureDetail {
            measure,
            readings: queries::readings_for(conn, &[id])?,
        })
    })
    .await
}

workspace_list! {
    /// Readings of a measure, oldest quarter first.
    list_readings,
    "/api/v1/workspaces/{slug}/measures/{id}/readings",
    Reading,
    queries::find_measure,
    queries::readings_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadingRequest {
    #[schema(required = true, value_type = QuarterText)]
    pub quarter: Option<String>,
    #[schema(required = true)]
    pub value: Option<f64>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// Record a quarter's reading; one already recorded for that quarter is replaced.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/measures/{id}/readings", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = ReadingRequest,
    responses((status = 201, body = Reading), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_reading(call: WsWrite, body: web::Json<ReadingRequest>) -> Reply {
    let measure_id = call.id;
    let b = body.into_inner();
    let input = ReadingInput {
        quarter: text(b.quarter),
        value: b.value.map(|v| v.to_string()).unwrap_or_default(),
        note: text(b.note),
    };
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::record_reading(conn, actor, access, measure_id, &input)?;
        queries::readings_for(conn, &[measure_id])?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_measures, list_measures)
        .api(__path_create_measure, create_measure)
        .api(__path_show_measure, show_measure)
        .api(__path_list_readings, list_readings)
        .api(__path_create_reading, create_reading);
}
