//! Savings recorded against an opportunity: estimated, validated and realised: the JSON API.

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

/// Savings lines.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/savings", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Saving>), (status = 404, body = Problem)))]
pub async fn savings(
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
        queries::savings_page,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SavingRequest {
    /// Like "2026/27".
    pub financial_year: Option<String>,
    /// estimated | validated | realised
    pub kind: Option<String>,
    pub cashable: Option<bool>,
    pub organisation_id: Option<i64>,
    /// Pounds as text, like "£1,234.56" (never a float).
    pub amount: Option<String>,
    pub one_off_cost: Option<String>,
    pub note: Option<String>,
}

/// Add a savings line (staff and leaders of the lead organisation).
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/savings", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = SavingRequest,
    responses((status = 201, body = Saving), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_saving(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<SavingRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = SavingInput {
        financial_year: b.financial_year.unwrap_or_default(),
        kind: b.kind.unwrap_or_default(),
        cashable: b
            .cashable
            .map(|c| if c { "yes" } else { "no" }.to_string())
            .unwrap_or_default(),
        organisation_id: b.organisation_id.map(|v| v.to_string()).unwrap_or_default(),
        amount: b.amount.unwrap_or_default(),
        one_off_cost: b.one_off_cost.unwrap_or_default(),
        note: b.note.unwrap_or_default(),
    };
    let caller = caller.0;
    let viewer = caller.clone();
    let saving_id = state
        .change(&req, caller, move |conn, actor| {
            service::add_saving(conn, actor, id, &input)
        })
        .await?;
    let saving = state
        .db
        .run(move |conn| {
            Ok(detail(conn, id, Some(&viewer))?
                .savings
                .into_iter()
                .find(|s| s.id == saving_id))
        })
        .await?;
    Ok(HttpResponse::Created().json(saving))
}

pub fn routes(r: &mut Routes) {
    r.api(__path_savings, savings)
        .api(__path_create_saving, create_saving);
}
