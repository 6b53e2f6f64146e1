//! Importing through the API: a multipart body (the file, capped in size, an optional
//! `mapping` and a dry-run switch) checked and written as the pages do (`preview`); and the
//! templates.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};

use super::import;
use super::sheet;
use crate::auth::ApiCaller;
use crate::authz;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tabular::Report;
use crate::web::import::{api_answer, api_batch, Batch};

/// Imports the batch's rows (a dry run unless it says to write).
pub(super) async fn run(state: &AppState, batch: Batch) -> AppResult<Report> {
    state
        .db
        .run(move |conn| {
            batch.act(|actor, rows, mapping, dry_run| {
                import::import(conn, actor, rows, mapping, dry_run, &|_, _| {})
            })
        })
        .await
}

/// Import a CSV or XLSX file: multipart field `file`, and optionally `mapping`, the JSON
/// mapping a dry run answered, changed as wanted. The heading row is found, the columns are
/// mapped (from the headings and the values, or as the organisation last confirmed for these
/// headings) and every row is checked; `dry_run=true` answers what would happen, row by row,
/// and writes nothing. Without it, all rows are written, or none (422 with the problems).
#[utoipa::path(post, path = "/api/v1/opportunities/import", tag = "opportunities", security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Preview only; write nothing")),
    request_body(content_type = "multipart/form-data", description = "field `file`: the CSV or XLSX; field `mapping` (optional): the mapping as JSON; field `header_row` (optional): the number of the row that holds the headings, as the spreadsheet numbers it"),
    responses((status = 200, body = Report), (status = 403, body = crate::error::Problem), (status = 422, description = "Problems by row and column, with the mapping, or with the file itself; nothing written", body = crate::tabular::ImportRefusal)))]
pub async fn api_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    authz::log_opportunity(&caller.0)?;
    let batch = api_batch(&state, &req, caller.0, payload, sheet::LIMITS).await?;
    Ok(api_answer(run(&state, batch).await?))
}
