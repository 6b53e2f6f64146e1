//! Importing through the web: the upload page and the API endpoint. Both read a multipart
//! body (the file, capped in size, and a dry-run switch); the page also checks its CSRF token.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;

use super::import::{self, Report};
use super::plan::COLUMNS;
use super::sheet;
use crate::auth::{ApiCaller, Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::opportunities::service::Actor;
use crate::state::AppState;
use crate::web::Page;

struct Upload {
    filename: String,
    bytes: Vec<u8>,
    dry_run: bool,
    csrf: String,
}

/// Reads the parts we know; the file is refused as soon as it passes the size cap.
async fn read_upload(mut payload: Multipart) -> AppResult<Upload> {
    let mut upload = Upload {
        filename: String::new(),
        bytes: Vec::new(),
        dry_run: false,
        csrf: String::new(),
    };
    let mut got_file = false;
    while let Some(field) = payload.next().await {
        let mut field = field
            .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
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
            let chunk = chunk
                .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
            data.extend_from_slice(&chunk);
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
        match name.as_str() {
            "file" => upload.bytes = data,
            "dry_run" => {
                upload.dry_run = matches!(
                    String::from_utf8_lossy(&data).trim(),
                    "true" | "on" | "yes" | "1"
                )
            }
            "_csrf" => upload.csrf = String::from_utf8_lossy(&data).trim().to_string(),
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

async fn run(
    state: &AppState,
    req: &HttpRequest,
    caller: Caller,
    upload: Upload,
) -> AppResult<Report> {
    let ip = state.client_ip(req);
    let sheet = read_sheet(upload.bytes, upload.filename).await?;
    let dry_run = upload.dry_run;
    state
        .db
        .run(move |conn| {
            import::import(
                conn,
                &Actor {
                    caller: &caller,
                    ip: &ip,
                },
                &sheet,
                dry_run,
                &|_| {},
            )
        })
        .await
}

/// Spreadsheets are read two at a time at most, on the blocking pool and holding no database
/// connection, so uploads can neither fill memory nor keep pages from the pool.
static READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn read_sheet(bytes: Vec<u8>, filename: String) -> AppResult<sheet::Sheet> {
    let _turn = READS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    web::block(move || sheet::read(&bytes, &filename))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
}

/// A refused import, as documented: problems by row and column, or a problem with the file
/// itself (missing, empty, too large, not a spreadsheet).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ImportRefusal {
    Rows(Report),
    File(crate::error::Problem),
}

/// Import a CSV or XLSX file (multipart field `file`; `dry_run=true` checks only). Every
/// row is checked first; then all are written, or none (422 with the problems by row).
#[utoipa::path(post, path = "/api/v1/opportunities/import", tag = "opportunities", security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check only; write nothing")),
    request_body(content_type = "multipart/form-data", description = "field `file`: the CSV or XLSX"),
    responses((status = 200, body = Report), (status = 403, body = crate::error::Problem), (status = 422, description = "Problems by row and column, or with the file itself; nothing written", body = ImportRefusal)))]
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
    let report = run(&state, &req, caller, upload).await?;
    let status = if report.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(HttpResponse::build(status).json(report))
}

fn columns() -> Vec<serde_json::Value> {
    COLUMNS
        .iter()
        .map(|c| json!({ "name": c.name, "about": c.about }))
        .collect()
}

fn import_page(
    page: &Page,
    status: StatusCode,
    report: Option<Report>,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let errors = error
        .map(|m| json!({ "list": [{ "href": "#file", "message": m }], "by_field": { "file": m } }));
    page.render_status(
        status,
        "opportunities/import",
        json!({
            "title": "Import opportunities",
            "breadcrumbs": [{ "href": "/opportunities", "label": "Opportunities" }],
            "columns": columns(),
            "max_rows": sheet::MAX_ROWS,
            "max_mb": sheet::MAX_BYTES / 1024 / 1024,
            "report": report,
            "errors": errors,
        }),
    )
}

pub async fn import_form(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::log_opportunity(&user.0)?;
    import_page(&page, StatusCode::OK, None, None)
}

pub async fn page_upload(
    page: Page,
    req: HttpRequest,
    user: CurrentUser,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::log_opportunity(&caller)?;
    let upload = match read_upload(payload).await {
        Ok(upload) => upload,
        Err(AppError::Validation { message, .. }) => {
            return import_page(&page, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message))
        }
        Err(e) => return Err(e),
    };
    let state = page.state();
    let cookie = req
        .cookie(&state.cookie_name("csrf"))
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if cookie.is_empty() || !state.keys.csrf_matches(&cookie, &upload.csrf) {
        return Err(AppError::Csrf);
    }
    match run(state, &req, caller, upload).await {
        Ok(report) => {
            let status = if report.problems.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            import_page(&page, status, Some(report), None)
        }
        Err(AppError::Validation { message, .. }) => {
            import_page(&page, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message))
        }
        Err(e) => Err(e),
    }
}

pub async fn template() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"opportunities-template.csv\"",
        ))
        .body(sheet::template_csv())
}
