//! Importing through the web: the API endpoint and the page's upload. Both read a multipart
//! body (the file, capped in size, an optional `mapping` and a dry-run switch); the page
//! also checks its CSRF token, keeps the file while it is previewed and shows the preview
//! (`preview`).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::import;
use super::sheet;
use crate::auth::{ApiCaller, Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::opportunities::service::Actor;
use crate::state::AppState;
use crate::tabular::{Mapping, Report, Row};
use crate::web::upload::{read_rows, read_upload};
use crate::web::Page;

/// Imports `rows` as `caller` (a dry run unless `write`) through `mapping`.
pub(super) async fn run(
    state: &AppState,
    req: &HttpRequest,
    caller: Caller,
    rows: Vec<Row>,
    mapping: Option<Mapping>,
    write: bool,
) -> AppResult<Report> {
    let ip = state.client_ip(req);
    state
        .db
        .run(move |conn| {
            import::import(
                conn,
                &Actor {
                    caller: &caller,
                    ip: &ip,
                },
                rows,
                mapping.as_ref(),
                !write,
                &|_| {},
            )
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
    request_body(content_type = "multipart/form-data", description = "field `file`: the CSV or XLSX; field `mapping` (optional): the mapping as JSON"),
    responses((status = 200, body = Report), (status = 403, body = crate::error::Problem), (status = 422, description = "Problems by row and column, with the mapping, or with the file itself; nothing written", body = crate::tabular::ImportRefusal)))]
pub async fn api_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let caller = caller.0;
    authz::log_opportunity(&caller)?;
    let mut upload = read_upload(payload, sheet::MAX_BYTES).await?;
    upload.dry_run |= crate::web::upload::dry_run_asked(&req);
    let rows = read_rows(upload.bytes, upload.filename, sheet::LIMITS).await?;
    let report = run(&state, &req, caller, rows, upload.mapping, !upload.dry_run).await?;
    Ok(HttpResponse::build(status_of(&report)).json(report))
}

pub(super) fn status_of(report: &Report) -> StatusCode {
    if report.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub async fn import_form(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::log_opportunity(&user.0)?;
    super::preview::upload_page(&page, StatusCode::OK, None)
}

/// The page's upload: the file is kept for its person and previewed with the proposed (or
/// remembered) mapping; nothing is written.
pub async fn page_upload(
    page: Page,
    req: HttpRequest,
    user: CurrentUser,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::log_opportunity(&caller)?;
    let refused = |page: &Page, e: AppError| match e {
        AppError::Validation { message, .. } => {
            super::preview::upload_page(page, StatusCode::UNPROCESSABLE_ENTITY, Some(message))
        }
        e => Err(e),
    };
    let upload = match read_upload(payload, sheet::MAX_BYTES).await {
        Ok(upload) => upload,
        Err(e) => return refused(&page, e),
    };
    let state = page.state();
    let cookie = req
        .cookie(&state.cookie_name("csrf"))
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if cookie.is_empty() || !state.keys.csrf_matches(&cookie, &upload.csrf) {
        return Err(AppError::Csrf);
    }
    match super::preview::keep_and_preview(&page, &req, caller, upload).await {
        Err(e) => refused(&page, e),
        ok => ok,
    }
}

pub async fn template_csv() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"opportunities-template.csv\"",
        ))
        .body(sheet::template_csv())
}

pub async fn template_xlsx() -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"opportunities-template.xlsx\"",
        ))
        .body(sheet::template_xlsx().map_err(AppError::Internal)?))
}
