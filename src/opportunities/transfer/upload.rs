//! Importing through the web: the API endpoint and the page's upload. Both read a multipart
//! body (the file, capped in size, an optional `mapping` and a dry-run switch); the page
//! also checks its CSRF token, keeps the file while it is previewed and shows the preview
//! (`preview`).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::import::{self, Report};
use super::sheet;
use crate::auth::{ApiCaller, Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::opportunities::service::Actor;
use crate::state::AppState;
use crate::tabular::{Mapping, Row};
use crate::web::Page;

pub(super) struct Upload {
    pub(super) filename: String,
    pub(super) bytes: Vec<u8>,
    dry_run: bool,
    mapping: Option<Mapping>,
    csrf: String,
}

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("The upload could not be read: {e}"))
}

/// Reads the parts we know; the file is refused as soon as it passes the size cap.
async fn read_upload(mut payload: Multipart) -> AppResult<Upload> {
    let mut upload = Upload {
        filename: String::new(),
        bytes: Vec::new(),
        dry_run: false,
        mapping: None,
        csrf: String::new(),
    };
    let mut got_file = false;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            got_file = true;
            upload.filename = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .unwrap_or("")
                .to_string();
        }
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            data.extend_from_slice(&chunk.map_err(unreadable)?);
            if data.len() > sheet::MAX_BYTES {
                return Err(AppError::field(
                    "file",
                    &format!(
                        "The file is larger than {} MB",
                        sheet::MAX_BYTES / 1024 / 1024
                    ),
                ));
            }
        }
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "file" => upload.bytes = data,
            "dry_run" => upload.dry_run = matches!(text().as_str(), "true" | "on" | "yes" | "1"),
            "mapping" if !text().is_empty() => upload.mapping = Some(mapping_of(&text())?),
            "_csrf" => upload.csrf = text(),
            _ => {}
        }
    }
    if !got_file || upload.bytes.is_empty() {
        return Err(AppError::field(
            "file",
            "Choose a CSV or XLSX file to import",
        ));
    }
    Ok(upload)
}

/// A mapping sent as JSON.
pub(super) fn mapping_of(json: &str) -> AppResult<Mapping> {
    serde_json::from_str(json).map_err(|e| {
        AppError::field(
            "mapping",
            &format!("The mapping is not one this import reads: {e}"),
        )
    })
}

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

/// Spreadsheets are read two at a time at most, on the blocking pool and holding no database
/// connection, so uploads can neither fill memory nor keep pages from the pool.
static READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub(super) async fn read_rows(bytes: Vec<u8>, filename: String) -> AppResult<Vec<Row>> {
    let _turn = READS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    web::block(move || sheet::read(&bytes, &filename))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
}

/// A refused import, as documented: problems by row and column, or a problem with the file
/// itself (missing, empty, too large, not a spreadsheet, no headings).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ImportRefusal {
    Rows(Report),
    File(crate::error::Problem),
}

/// Import a CSV or XLSX file: multipart field `file`, and optionally `mapping`, the JSON
/// mapping a dry run answered, changed as wanted. The heading row is found, the columns are
/// mapped (from the headings and the values, or as the organisation last confirmed for these
/// headings) and every row is checked; `dry_run=true` answers what would happen, row by row,
/// and writes nothing. Without it, all rows are written, or none (422 with the problems).
#[utoipa::path(post, path = "/api/v1/opportunities/import", tag = "opportunities", security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Preview only; write nothing")),
    request_body(content_type = "multipart/form-data", description = "field `file`: the CSV or XLSX; field `mapping` (optional): the mapping as JSON"),
    responses((status = 200, body = Report), (status = 403, body = crate::error::Problem), (status = 422, description = "Problems by row and column, with the mapping, or with the file itself; nothing written", body = ImportRefusal)))]
pub async fn api_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let caller = caller.0;
    authz::log_opportunity(&caller)?;
    let mut upload = read_upload(payload).await?;
    upload.dry_run |= req.query_string().split('&').any(|p| p == "dry_run=true");
    let rows = read_rows(upload.bytes, upload.filename).await?;
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
    let upload = match read_upload(payload).await {
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
