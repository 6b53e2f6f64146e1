//! Measures of a workspace and the readings recorded against them: the JSON API.

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

/// Measures of every outcome.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/measures", tag = "workspaces", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = Paged<Measure>), (status = 404, body = Problem)))]
pub async fn list_measures(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Reply {
    page_of(&state, user, path.into_inner(), &query, 50, |conn, a, p| {
        queries::measures_page(conn, a.ws.id, p)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MeasureRequest {
    pub outcome_id: Option<i64>,
    pub name: Option<String>,
    pub unit: Option<String>,
    /// higher | lower
    pub direction: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// YYYY-MM-DD
    pub target_date: Option<String>,
}

/// Add a measure to an outcome.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/measures", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = MeasureRequest,
    responses((status = 201, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_measure(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<MeasureRequest>,
) -> AppResult<HttpResponse> {
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
    let measure = change(
        &state,
        &req,
        caller.0,
        path.into_inner(),
        move |conn, actor, access| {
            let id = service::create_measure(conn, actor, access, &input)?;
            Ok(queries::find_measure(conn, access.ws.id, id)?)
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(measure))
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
pub async fn show_measure(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let detail = read(&state, user.0, slug, move |conn, access| {
        let measure = queries::find_measure(conn, access.ws.id, id)?;
        Ok(MeasureDetail {
            measure,
            readings: queries::readings_for(conn, &[id])?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Readings of a measure, oldest quarter first.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/measures/{id}/readings", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Reading>), (status = 404, body = Problem)))]
pub async fn list_readings(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> Reply {
    let (slug, id) = path.into_inner();
    page_of(&state, user, slug, &query, 50, move |conn, a, p| {
        queries::find_measure(conn, a.ws.id, id)?;
        queries::readings_page(conn, id, p)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadingRequest {
    /// Like "2026/27 Q3".
    pub quarter: Option<String>,
    pub value: Option<f64>,
    pub note: Option<String>,
}

/// Record a quarter's reading; one already recorded for that quarter is replaced.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/measures/{id}/readings", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = ReadingRequest,
    responses((status = 201, body = Reading), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_reading(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(String, i64)>,
    body: web::Json<ReadingRequest>,
) -> AppResult<HttpResponse> {
    let (slug, measure_id) = path.into_inner();
    let b = body.into_inner();
    let input = ReadingInput {
        quarter: text(b.quarter),
        value: b.value.map(|v| v.to_string()).unwrap_or_default(),
        note: text(b.note),
    };
    let reading = change(&state, &req, caller.0, slug, move |conn, actor, access| {
        let id = service::record_reading(conn, actor, access, measure_id, &input)?;
        queries::readings_for(conn, &[measure_id])?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Created().json(reading))
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_measures, list_measures)
        .api(__path_create_measure, create_measure)
        .api(__path_show_measure, show_measure)
        .api(__path_list_readings, list_readings)
        .api(__path_create_reading, create_reading);
}
