//! Savings recorded against an opportunity: estimated, validated and realised: the JSON API.

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
    /// Savings lines.
    savings,
    "/api/v1/opportunities/{id}/savings",
    Saving,
    queries::savings_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SavingRequest {
    /// Like "2026/27", from 2000/01 to 2100/01.
    #[schema(required = true, value_type = FinancialYear)]
    pub financial_year: Option<String>,
    #[schema(required = true, value_type = SavingKind)]
    pub kind: Option<String>,
    #[schema(required = true)]
    pub cashable: Option<bool>,
    /// The organisation that saves.
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(required = true, minimum = 1)]
    pub organisation_id: Option<i64>,
    /// Pounds as text, like "£1,234.56" (never a float).
    #[schema(required = true, value_type = PoundsText)]
    pub amount: Option<String>,
    #[schema(value_type = Option<PoundsText>)]
    pub one_off_cost: Option<String>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// Add a savings line (staff and leaders of the lead organisation).
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/savings", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = SavingRequest,
    responses((status = 201, body = Saving), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_saving(call: OppWrite, body: web::Json<SavingRequest>) -> Reply {
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
    call.create(
        move |conn, actor, id| service::add_saving(conn, actor, id, &input),
        queries::saving,
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_savings, savings)
        .api(__path_create_saving, create_saving);
}
