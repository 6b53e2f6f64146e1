//! The pages of every import, walked the same way whatever is imported: choose a file (and,
//! where the portal cannot find them, the row of its headings); check how its columns were
//! read and what would happen, row by row, changing the mapping and checking again without
//! choosing the file again; then confirm, and only then is anything written, all rows or
//! none. The file is kept for its person while it is checked (`tabular::memory`) and taken
//! when it is imported, so a second press imports nothing.
//!
//! A slice says what it imports through `Importer` (its fields, its words, how its rows are
//! written) and authorises the caller before handing over; this knows no slice.

mod view;

use std::future::Future;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::upload::{mapping_of, read_rows, read_upload, Upload};
use super::{Crumb, FieldErrors, Page};
use crate::auth::{Actor, Caller};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tabular::{memory, Field, FileLimits, Mapping, Report, Row};
use view::Guide;

/// What a slice's import pages say: their title, where they live, the way back.
pub struct Words {
    /// "Import opportunities".
    pub title: String,
    /// The upload page's path; the preview and confirm paths, and the templates, are below it.
    pub base: String,
    /// The links above the title, before the import's own.
    pub crumbs: Vec<Crumb>,
    /// What the upload page says a file holds, before the general words.
    pub about: String,
    /// Where to go once imported.
    pub done: Crumb,
    /// What one row is ("opportunity", "action", "reading").
    pub noun: &'static str,
}

/// One file's rows, checked as `caller` (from `ip`) through `mapping`, and written only
/// when `write` (all rows, or none).
pub struct Batch {
    pub caller: Caller,
    pub ip: String,
    pub rows: Vec<Row>,
    pub mapping: Option<Mapping>,
    pub write: bool,
}

impl Batch {
    /// Runs `f` as the batch's caller with its rows, its mapping and whether it is only a dry
    /// run.
    pub fn act<R>(self, f: impl FnOnce(&Actor, Vec<Row>, Option<&Mapping>, bool) -> R) -> R {
        let Batch {
            caller,
            ip,
            rows,
            mapping,
            write,
        } = self;
        let actor = Actor {
            caller: &caller,
            ip: &ip,
        };
        f(&actor, rows, mapping.as_ref(), !write)
    }

    fn of(req: &HttpRequest, state: &AppState, caller: Caller, rows: Vec<Row>) -> Self {
        Batch {
            ip: state.client_ip(req),
            caller,
            rows,
            mapping: None,
            write: false,
        }
    }
}

/// An API import's multipart body (`file`, optional `mapping`) as a batch to write, or only
/// to check when `dry_run` is asked in the query or the body.
pub async fn api_batch(
    state: &AppState,
    req: &HttpRequest,
    caller: Caller,
    payload: Multipart,
    limits: FileLimits,
) -> AppResult<Batch> {
    let upload = read_upload(payload, limits.max_bytes).await?;
    let write = !(upload.dry_run || super::upload::dry_run_asked(req));
    let rows = read_rows(upload.bytes, upload.filename, limits).await?;
    Ok(Batch {
        mapping: upload.mapping,
        write,
        ..Batch::of(req, state, caller, rows)
    })
}

/// The API's answer to an import: the report, 200 without problems and 422 with some.
pub fn api_answer(report: Report) -> HttpResponse {
    HttpResponse::build(status_of(&report)).json(report)
}

/// One kind of import, as a slice offers it.
pub trait Importer {
    /// What its kept files and remembered mappings are filed under.
    fn kind(&self) -> &'static str;
    fn fields(&self) -> &'static [Field];
    fn limits(&self) -> FileLimits;
    fn words(&self) -> &Words;
    /// Checks the batch's rows, writing them only when it says so.
    fn run(&self, state: &AppState, batch: Batch) -> impl Future<Output = AppResult<Report>>;
}

/// 200 for a report with no problems, 422 for one with some.
pub fn status_of(report: &Report) -> StatusCode {
    if report.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The page to choose a file.
#[derive(Serialize)]
struct UploadView<'a> {
    title: &'a str,
    base: &'a str,
    about: &'a str,
    breadcrumbs: &'a [Crumb],
    columns: Vec<Guide>,
    /// "2,000".
    max_rows: String,
    max_mb: usize,
    errors: Option<FieldErrors>,
}

/// The upload page, with `error` (on the file, or on the field it names) when there is one.
pub fn upload_page(
    page: &Page,
    imp: &impl Importer,
    status: StatusCode,
    error: Option<(String, String)>,
) -> AppResult<HttpResponse> {
    let words = imp.words();
    let errors = error.map(|(field, m)| {
        let mut e = FieldErrors::default();
        e.add(&field, m);
        e
    });
    let limits = imp.limits();
    page.render_status(
        status,
        "imports/upload",
        UploadView {
            title: &words.title,
            base: &words.base,
            about: &words.about,
            breadcrumbs: &words.crumbs,
            columns: view::guide(imp.fields()),
            max_rows: crate::spreadsheet::grouped(limits.max_rows as u64),
            max_mb: limits.max_bytes / 1024 / 1024,
            errors,
        },
    )
}

/// A refusal of the file or of a field, shown on the upload page; other errors pass on.
fn refused(page: &Page, imp: &impl Importer, e: AppError) -> AppResult<HttpResponse> {
    match e {
        AppError::Validation {
            message, fields, ..
        } => {
            let field = fields
                .keys()
                .find(|f| *f == "header_row")
                .cloned()
                .unwrap_or_else(|| "file".to_string());
            upload_page(
                page,
                imp,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((field, message)),
            )
        }
        e => Err(e),
    }
}

fn show(
    page: &Page,
    imp: &impl Importer,
    upload: String,
    filename: String,
    report: Report,
    done: bool,
) -> AppResult<HttpResponse> {
    page.render_status(
        status_of(&report),
        "imports/preview",
        view::preview(imp.fields(), imp.words(), upload, filename, report, done),
    )
}

/// The page's upload: its form token checked, the file kept for its person and checked with
/// the proposed (or remembered) mapping, from the heading row given if one is; nothing is
/// written.
pub async fn upload(
    page: &Page,
    caller: Caller,
    payload: Multipart,
    imp: &impl Importer,
) -> AppResult<HttpResponse> {
    let upload = match read_upload(payload, imp.limits().max_bytes).await {
        Ok(upload) => upload,
        Err(e) => return refused(page, imp, e),
    };
    super::forms::check_csrf(page.request(), page.state(), &upload.csrf)?;
    match keep_and_check(page, caller, upload, imp).await {
        Err(e) => refused(page, imp, e),
        ok => ok,
    }
}

async fn keep_and_check(
    page: &Page,
    caller: Caller,
    upload: Upload,
    imp: &impl Importer,
) -> AppResult<HttpResponse> {
    let Upload {
        filename,
        bytes,
        mapping,
        ..
    } = upload;
    let rows = read_rows(bytes.clone(), filename.clone(), imp.limits()).await?;
    let state = page.state();
    let (user, name, kind) = (caller.user_id, filename.clone(), imp.kind());
    let key = state
        .db
        .run(move |conn| Ok(memory::keep_upload(conn, user, kind, &name, &bytes)?))
        .await?;
    let batch = Batch {
        mapping,
        ..Batch::of(page.request(), state, caller, rows)
    };
    let report = imp.run(state, batch).await?;
    show(page, imp, key, filename, report, false)
}

/// The file kept under `key` for this person, read again; or, when it is not kept (used,
/// too old, another person's), the upload page saying so.
async fn kept(
    page: &Page,
    imp: &impl Importer,
    caller: &Caller,
    key: &str,
) -> AppResult<Result<(String, Vec<Row>), HttpResponse>> {
    let (user, key, kind) = (caller.user_id, key.to_string(), imp.kind());
    let found = page
        .state()
        .db
        .run(move |conn| Ok(memory::kept_upload(conn, user, kind, &key)?))
        .await?;
    let Some((filename, bytes)) = found else {
        return gone(page, imp).map(Err);
    };
    let rows = read_rows(bytes, filename.clone(), imp.limits()).await?;
    Ok(Ok((filename, rows)))
}

fn gone(page: &Page, imp: &impl Importer) -> AppResult<HttpResponse> {
    let gone = "That file is no longer kept: choose it again".to_string();
    upload_page(
        page,
        imp,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(("file".into(), gone)),
    )
}

/// Checks the kept file again with the mapping as changed on the page.
pub async fn check_again(
    page: &Page,
    caller: Caller,
    pairs: Vec<(String, String)>,
    imp: &impl Importer,
) -> AppResult<HttpResponse> {
    let key = pairs
        .iter()
        .find(|(k, _)| k == "upload")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (filename, rows) = match kept(page, imp, &caller, &key).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let report = match view::mapping_from(imp.fields(), &pairs) {
        Ok(mapping) => {
            let state = page.state();
            let batch = Batch {
                mapping: Some(mapping),
                ..Batch::of(page.request(), state, caller, rows)
            };
            imp.run(state, batch).await
        }
        Err(e) => Err(e),
    };
    match report {
        Ok(report) => show(page, imp, key, filename, report, false),
        // A heading row that holds no headings, say: the file is still kept.
        Err(e) => refused(page, imp, e),
    }
}

/// What the confirm button sends: the kept file, and the mapping it was checked with.
#[derive(Deserialize)]
pub struct ConfirmInput {
    #[serde(default)]
    upload: String,
    #[serde(default)]
    mapping: String,
}

/// Imports the kept file exactly as checked, all rows or none. The file is taken first, so a
/// second press of the button (or one in another tab) imports nothing; it is kept again if
/// nothing was written.
pub async fn confirm(
    page: &Page,
    caller: Caller,
    input: ConfirmInput,
    imp: &impl Importer,
) -> AppResult<HttpResponse> {
    let ConfirmInput { upload, mapping } = input;
    let mapping = mapping_of(&mapping)?;
    let (user_id, key, kind) = (caller.user_id, upload.clone(), imp.kind());
    let state = page.state();
    let claimed = state
        .db
        .run(move |conn| Ok(memory::claim_upload(conn, user_id, kind, &key)?))
        .await?;
    let Some((filename, bytes)) = claimed else {
        return gone(page, imp);
    };
    let rows = read_rows(bytes.clone(), filename.clone(), imp.limits()).await;
    let report = match rows {
        Ok(rows) => {
            let batch = Batch {
                mapping: Some(mapping),
                write: true,
                ..Batch::of(page.request(), state, caller, rows)
            };
            imp.run(state, batch).await
        }
        Err(e) => Err(e),
    };
    let done = matches!(&report, Ok(r) if !r.dry_run);
    if !done {
        let (key, name) = (upload.clone(), filename.clone());
        state
            .db
            .run(move |conn| {
                Ok(memory::give_back(
                    conn,
                    user_id,
                    kind,
                    &key,
                    (&name, &bytes),
                )?)
            })
            .await?;
    }
    show(page, imp, upload, filename, report?, done)
}

/// The import's template, as CSV or XLSX (with its column guide), to download.
pub fn template(imp: &impl Importer, xlsx: bool) -> AppResult<HttpResponse> {
    use crate::tabular::template;
    let kind = imp.kind();
    let (body, content_type, ext) = if xlsx {
        let sheet = view::capitalised(kind);
        let body = template::xlsx(imp.fields(), &sheet).map_err(AppError::Internal)?;
        let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        (body, xlsx, "xlsx")
    } else {
        let body = template::csv(imp.fields()).map_err(AppError::Internal)?;
        (body, "text/csv; charset=utf-8", "csv")
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{kind}-template.{ext}\""),
        ))
        .body(body))
}
