//! The import pages: choose a file; check how its columns were read and what would happen,
//! row by row, changing the mapping and previewing again without choosing the file again;
//! then confirm, and only then is anything written. The file is kept for its person while
//! it is previewed (`tabular::memory`), and forgotten once imported.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::fields::FIELDS;
use super::import::KIND;
use super::preview_view::preview_view;
use super::sheet;
use super::sheet::LIMITS;
use super::upload::run;
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::tabular::{memory, Mapping, Report, Unit};
use crate::web::upload::{mapping_of, read_rows, Upload};
use crate::web::{Crumb, FieldErrors, Form, Page};

#[derive(Serialize)]
struct Guide {
    name: &'static str,
    label: &'static str,
    required: bool,
    about: &'static str,
}

fn guide() -> Vec<Guide> {
    FIELDS
        .iter()
        .map(|f| Guide {
            name: f.name,
            label: f.label,
            required: f.required,
            about: f.about,
        })
        .collect()
}

/// The page to choose a file.
#[derive(Serialize)]
struct UploadView {
    title: &'static str,
    breadcrumbs: Vec<Crumb>,
    columns: Vec<Guide>,
    max_rows: usize,
    max_mb: usize,
    errors: Option<FieldErrors>,
}

pub(super) fn upload_page(
    page: &Page,
    status: StatusCode,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let errors = error.map(|m| {
        let mut e = FieldErrors::default();
        e.add("file", m);
        e
    });
    page.render_status(
        status,
        "opportunities/import",
        UploadView {
            title: "Import opportunities",
            breadcrumbs: vec![Crumb::new("/opportunities", "Opportunities")],
            columns: guide(),
            max_rows: sheet::MAX_ROWS,
            max_mb: sheet::MAX_BYTES / 1024 / 1024,
            errors,
        },
    )
}

fn show(
    page: &Page,
    upload: String,
    filename: String,
    report: Report,
    done: bool,
) -> AppResult<HttpResponse> {
    let status = super::upload::status_of(&report);
    page.render_status(
        status,
        "opportunities/import_preview",
        preview_view(upload, filename, report, done),
    )
}

/// Keeps a freshly chosen file for its person and previews it with the proposed mapping.
pub(super) async fn keep_and_preview(
    page: &Page,
    req: &HttpRequest,
    caller: Caller,
    upload: Upload,
) -> AppResult<HttpResponse> {
    let Upload {
        filename, bytes, ..
    } = upload;
    let rows = read_rows(bytes.clone(), filename.clone(), LIMITS).await?;
    let state = page.state();
    let (user, name) = (caller.user_id, filename.clone());
    let key = state
        .db
        .run(move |conn| Ok(memory::keep_upload(conn, user, KIND, &name, &bytes)?))
        .await?;
    let report = run(state, req, caller, rows, None, false).await?;
    show(page, key, filename, report, false)
}

/// The file kept under `key` for this person, read again; or, when it is not kept (used,
/// too old, another person's), the upload page saying so.
async fn kept(
    page: &Page,
    caller: &Caller,
    key: &str,
) -> AppResult<Result<(String, Vec<crate::tabular::Row>), HttpResponse>> {
    let (user, key) = (caller.user_id, key.to_string());
    let found = page
        .state()
        .db
        .run(move |conn| Ok(memory::kept_upload(conn, user, KIND, &key)?))
        .await?;
    let Some((filename, bytes)) = found else {
        let gone = "That file is no longer kept: choose it again".to_string();
        return upload_page(page, StatusCode::UNPROCESSABLE_ENTITY, Some(gone)).map(Err);
    };
    let rows = read_rows(bytes, filename.clone(), LIMITS).await?;
    Ok(Ok((filename, rows)))
}

/// The mapping the preview form sends: the one it showed (`base`), with the heading row,
/// each column's field and unit as now chosen, and the meanings and matches chosen.
fn mapping_from(pairs: &[(String, String)]) -> AppResult<Mapping> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mut mapping = mapping_of(get("base"))?;
    let header_row: usize = get("header_row")
        .trim()
        .parse()
        .map_err(|_| AppError::field("header_row", "Enter the number of the heading row"))?;
    if header_row != mapping.header_row {
        // Other headings: propose again for them.
        return Ok(Mapping {
            header_row,
            ..Mapping::default()
        });
    }
    for (k, v) in pairs {
        if let Some(heading) = k.strip_prefix("column:") {
            let field = (!v.is_empty()).then(|| v.clone());
            mapping.columns.insert(heading.to_string(), field);
        } else if let Some(heading) = k.strip_prefix("unit:") {
            if let Ok(unit) = serde_json::from_value::<Unit>(serde_json::Value::String(v.clone())) {
                mapping.units.insert(heading.to_string(), unit);
            }
        } else if let Some(rest) = k.strip_prefix("means:") {
            if let (Some((field, value)), false) = (rest.split_once(':'), v.is_empty()) {
                mapping
                    .values
                    .entry(field.to_string())
                    .or_default()
                    .insert(value.to_string(), v.clone());
            }
        } else if let Some(row) = k.strip_prefix("match:") {
            if let (Ok(row), false) = (row.parse::<usize>(), v.is_empty()) {
                mapping.matches.insert(row, v.clone());
            }
        }
    }
    // A money column's unit stays only while it is a money column.
    let money: Vec<String> = mapping
        .columns
        .iter()
        .filter(|(_, f)| {
            f.as_deref()
                .is_some_and(|f| FIELDS.iter().any(|x| x.name == f && x.money))
        })
        .map(|(h, _)| h.clone())
        .collect();
    mapping.units.retain(|h, _| money.contains(h));
    for h in money {
        let unit = Unit::of_heading(&h);
        mapping.units.entry(h).or_insert(unit);
    }
    Ok(mapping)
}

/// Previews the kept file again with the mapping as changed on the page.
pub async fn preview_again(
    page: Page,
    req: HttpRequest,
    user: CurrentUser,
    form: Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::log_opportunity(&caller)?;
    let pairs = form.0;
    let key = pairs
        .iter()
        .find(|(k, _)| k == "upload")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (filename, rows) = match kept(&page, &caller, &key).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let report = match mapping_from(&pairs) {
        Ok(mapping) => run(page.state(), &req, caller, rows, Some(mapping), false).await,
        Err(e) => Err(e),
    };
    match report {
        Ok(report) => show(&page, key, filename, report, false),
        // A heading row that holds no headings, say: the file is still kept.
        Err(AppError::Validation { message, .. }) => {
            upload_page(&page, StatusCode::UNPROCESSABLE_ENTITY, Some(message))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct ConfirmInput {
    #[serde(default)]
    upload: String,
    #[serde(default)]
    mapping: String,
}

/// Imports the kept file exactly as previewed, all rows or none. The file is taken first,
/// so a second press of the button (or one in another tab) imports nothing; it is kept again
/// if nothing was written.
pub async fn confirm(
    page: Page,
    req: HttpRequest,
    user: CurrentUser,
    form: Form<ConfirmInput>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::log_opportunity(&caller)?;
    let ConfirmInput { upload, mapping } = form.0;
    let mapping = mapping_of(&mapping)?;
    let (user_id, key) = (caller.user_id, upload.clone());
    let state = page.state();
    let claimed = state
        .db
        .run(move |conn| Ok(memory::claim_upload(conn, user_id, KIND, &key)?))
        .await?;
    let Some((filename, bytes)) = claimed else {
        let gone = "That file is no longer kept: choose it again".to_string();
        return upload_page(&page, StatusCode::UNPROCESSABLE_ENTITY, Some(gone));
    };
    let rows = read_rows(bytes.clone(), filename.clone(), LIMITS).await;
    let report = match rows {
        Ok(rows) => run(state, &req, caller, rows, Some(mapping), true).await,
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
                    KIND,
                    &key,
                    (&name, &bytes),
                )?)
            })
            .await?;
    }
    show(&page, upload, filename, report?, done)
}
