//! A programme lead's spreadsheets into a workspace: its actions and its measures' readings
//! by quarter, found, mapped and previewed like the register's import (`import`), on the API
//! and on pages (`pages`).

pub mod fields;
pub mod import;
mod pages;
pub mod wide;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::ApiCaller;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tabular::{FileLimits, Report};
use crate::web::import::{api_answer, api_batch, Batch};
use crate::web::routes::Routes;
use import::Kind;

const LIMITS: FileLimits = FileLimits {
    max_bytes: 5 * 1024 * 1024,
    max_rows: import::MAX_ROWS,
};

/// Imports the batch's rows of `kind` into the workspace `slug` (a dry run unless it says
/// to write).
async fn write(state: &AppState, slug: String, kind: Kind, batch: Batch) -> AppResult<Report> {
    state
        .db
        .run(move |conn| {
            batch.act(|actor, rows, mapping, dry_run| {
                import::import(conn, actor, &slug, kind, rows, mapping, dry_run)
            })
        })
        .await
}

async fn run(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    slug: String,
    kind: Kind,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let batch = api_batch(&state, &req, caller.0, payload, LIMITS).await?;
    Ok(api_answer(write(&state, slug, kind, batch).await?))
}

/// Import a workspace's actions from a CSV or XLSX file (multipart `file`, optional
/// `mapping` as JSON): a row with the title of one of its actions updates it, others are new
/// actions. `dry_run=true` answers what would happen, row by row, writing nothing; without
/// it every row is written, or none (422 with the problems).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/actions/import", tag = "workspaces", security(("bearer" = [])),
    params(("slug" = String, Path), ("dry_run" = Option<bool>, Query, description = "Preview only; write nothing")),
    request_body(content_type = "multipart/form-data", description = "field `file`: the CSV or XLSX; field `mapping` (optional): the mapping as JSON; field `header_row` (optional): the number of the row that holds the headings, as the spreadsheet numbers it"),
    responses((status = 200, body = Report), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, description = "Problems by row and column, with the mapping, or with the file itself; nothing written", body = crate::tabular::ImportRefusal)))]
pub async fn import_actions(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    slug: web::Path<String>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    run(
        state,
        req,
        caller,
        slug.into_inner(),
        Kind::Actions,
        payload,
    )
    .await
}

/// Import a workspace's measure readings by quarter from a CSV or XLSX file (multipart
/// `file`, optional `mapping`): a quarter's reading replaces the one recorded.
/// `dry_run=true` previews, writing nothing.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/readings/import", tag = "workspaces", security(("bearer" = [])),
    params(("slug" = String, Path), ("dry_run" = Option<bool>, Query, description = "Preview only; write nothing")),
    request_body(content_type = "multipart/form-data", description = "field `file`: the CSV or XLSX; field `mapping` (optional): the mapping as JSON; field `header_row` (optional): the number of the row that holds the headings, as the spreadsheet numbers it"),
    responses((status = 200, body = Report), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, description = "Problems by row and column, with the mapping, or with the file itself; nothing written", body = crate::tabular::ImportRefusal)))]
pub async fn import_readings(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    slug: web::Path<String>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    run(
        state,
        req,
        caller,
        slug.into_inner(),
        Kind::Readings,
        payload,
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_import_actions, import_actions)
        .api(__path_import_readings, import_readings);
    // Before the actions' own pages, so "import" is not taken for an action's id.
    for list in ["actions", "readings"] {
        let base = format!("/workspaces/{{slug}}/{list}/import");
        r.get(&base, pages::upload_form)
            .post(&base, pages::upload)
            .post(&format!("{base}/preview"), pages::check_again)
            .post(&format!("{base}/confirm"), pages::confirm)
            .get(&format!("{base}/template.{{format}}"), pages::template);
    }
}
