//! The import pages: choose a file; check how its columns were read and what would happen,
//! row by row, changing the mapping and previewing again without choosing the file again;
//! then confirm, and only then is anything written. The file is kept for its person while
//! it is previewed (`tabular::memory`), and forgotten once imported.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::fields::FIELDS;
use super::import::{Action, Change, Report, RowProblem, KIND};
use super::sheet;
use super::upload::{mapping_of, read_rows, run, Upload};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::tabular::{memory, Mapping, Unit};
use crate::web::{Choice, Crumb, FieldErrors, Form, Page};

/// How many rows of changes, and of one column's problems, the page shows at once.
const SHOWN: usize = 100;
const SHOWN_PER_COLUMN: usize = 10;

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

/// One column of the file, with the field it fills and its unit, as a form row.
#[derive(Serialize)]
struct ColumnRow {
    heading: String,
    examples: String,
    fields: Vec<Choice>,
    money: bool,
    units: Vec<Choice>,
}

/// A value that could mean several things, and what it could mean.
#[derive(Serialize)]
struct Meaning {
    name: String,
    label: String,
    value: String,
    rows: usize,
    options: Vec<Choice>,
}

/// A row whose title is like one of the importer's opportunities.
#[derive(Serialize)]
struct Alike {
    name: String,
    row: usize,
    value: String,
    message: String,
    options: Vec<Choice>,
}

/// One column's problems, the first few shown.
#[derive(Serialize)]
struct ProblemGroup {
    id: String,
    column: String,
    count: usize,
    shown: Vec<RowProblem>,
    more: usize,
}

/// Rows passed over for one reason.
#[derive(Serialize)]
struct SkipGroup {
    message: String,
    rows: String,
    count: usize,
    /// The first few titles of the rows, where they have one.
    titles: String,
}

#[derive(Serialize)]
struct ChangeRow {
    row: usize,
    action: &'static str,
    reference: String,
    title: String,
    fields: Vec<super::reading::FieldChange>,
}

/// The preview page.
#[derive(Serialize)]
struct PreviewView {
    title: &'static str,
    breadcrumbs: Vec<Crumb>,
    upload: String,
    filename: String,
    report: Report,
    /// The mapping previewed, as the confirm button sends it back.
    mapping_json: String,
    columns: Vec<ColumnRow>,
    meanings: Vec<Meaning>,
    alike: Vec<Alike>,
    problem_groups: Vec<ProblemGroup>,
    problem_count: usize,
    changes: Vec<ChangeRow>,
    more_changes: usize,
    skipped: Vec<SkipGroup>,
    errors: Option<FieldErrors>,
    done: bool,
}

fn field_choices(selected: Option<&str>) -> Vec<Choice> {
    std::iter::once(Choice::new("", "Not imported", selected.is_none()))
        .chain(
            FIELDS
                .iter()
                .map(|f| Choice::new(f.name, f.label, selected == Some(f.name))),
        )
        .collect()
}

fn unit_choices(selected: Unit) -> Vec<Choice> {
    [Unit::Pounds, Unit::Thousands, Unit::Millions]
        .into_iter()
        .map(|u| {
            let value = serde_json::to_value(u)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            Choice::new(&value, u.label(), u == selected)
        })
        .collect()
}

fn label_of(field: &str) -> String {
    FIELDS
        .iter()
        .find(|f| f.name == field)
        .map(|f| f.label.to_string())
        .unwrap_or_else(|| field.to_string())
}

/// Row numbers as people read a list of them: "4, 6–8, 12".
fn row_list(rows: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let start = rows[i];
        let mut end = start;
        while i + 1 < rows.len() && rows[i + 1] == end + 1 {
            i += 1;
            end = rows[i];
        }
        out.push(if end > start {
            format!("{start}–{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    out.join(", ")
}

fn columns_view(report: &Report) -> Vec<ColumnRow> {
    report
        .columns
        .iter()
        .map(|c| ColumnRow {
            heading: c.heading.clone(),
            examples: c.examples.join(" · "),
            fields: field_choices(c.field.as_deref()),
            money: c
                .field
                .as_deref()
                .is_some_and(|f| FIELDS.iter().any(|x| x.name == f && x.money)),
            units: unit_choices(c.unit.unwrap_or_default()),
        })
        .collect()
}

/// The problems that offer choices: values with a short list of meanings, once each; and
/// rows like existing opportunities, each.
fn choices_view(report: &Report) -> (Vec<Meaning>, Vec<Alike>) {
    let mut meanings: BTreeMap<(String, String), Meaning> = BTreeMap::new();
    let mut alike = Vec::new();
    for p in report.problems.iter().filter(|p| !p.choices.is_empty()) {
        if p.field == "title" {
            let options = p
                .choices
                .iter()
                .map(|c| {
                    let label = if c == "new" {
                        "Create a new opportunity".to_string()
                    } else {
                        format!("Update {c}")
                    };
                    Choice::new(c, &label, false)
                })
                .collect();
            alike.push(Alike {
                name: format!("match:{}", p.row),
                row: p.row,
                value: p.value.clone(),
                message: p.message.clone(),
                options,
            });
            continue;
        }
        let entry = meanings
            .entry((p.field.clone(), p.value.clone()))
            .or_insert_with(|| Meaning {
                name: format!("means:{}:{}", p.field, p.value),
                label: label_of(&p.field),
                value: p.value.clone(),
                rows: 0,
                options: std::iter::once(Choice::new("", "Choose", true))
                    .chain(p.choices.iter().map(|c| Choice::new(c, c, false)))
                    .collect(),
            });
        entry.rows += 1;
    }
    (meanings.into_values().collect(), alike)
}

/// The problems by column, the first few of each shown.
fn problem_groups(report: &Report) -> Vec<ProblemGroup> {
    let mut groups: Vec<ProblemGroup> = Vec::new();
    for p in &report.problems {
        let column = if p.column.is_empty() {
            "The mapping".to_string()
        } else {
            p.column.clone()
        };
        match groups.iter_mut().find(|g| g.column == column) {
            Some(g) => {
                g.count += 1;
                if g.shown.len() < SHOWN_PER_COLUMN {
                    g.shown.push(p.clone());
                } else {
                    g.more += 1;
                }
            }
            None => groups.push(ProblemGroup {
                id: format!("problems-{}", groups.len() + 1),
                column,
                count: 1,
                shown: vec![p.clone()],
                more: 0,
            }),
        }
    }
    groups
}

/// The skipped rows by reason, with their numbers as ranges and their first few titles.
fn skipped_view(report: &Report) -> Vec<SkipGroup> {
    let mut by_reason: BTreeMap<&str, Vec<&super::import::Skipped>> = BTreeMap::new();
    for s in &report.skipped {
        by_reason.entry(&s.message).or_default().push(s);
    }
    by_reason
        .into_iter()
        .map(|(message, rows)| {
            let numbers: Vec<usize> = rows.iter().map(|s| s.row).collect();
            let titles: Vec<&str> = rows
                .iter()
                .map(|s| s.title.as_str())
                .filter(|t| !t.is_empty())
                .collect();
            let mut shown = titles
                .iter()
                .take(5)
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
            if titles.len() > 5 {
                shown.push_str(&format!(" and {} more", titles.len() - 5));
            }
            SkipGroup {
                message: message.to_string(),
                rows: row_list(&numbers),
                count: numbers.len(),
                titles: shown,
            }
        })
        .collect()
}

/// The rows that create or change something, the first `SHOWN` of them, and how many more.
fn changes_view(report: &Report) -> (Vec<ChangeRow>, usize) {
    let shown: Vec<&Change> = report
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .collect();
    let more = shown.len().saturating_sub(SHOWN);
    let rows = shown
        .into_iter()
        .take(SHOWN)
        .map(|c| ChangeRow {
            row: c.row,
            action: match c.action {
                Action::Create => "Create",
                Action::Update => "Update",
                Action::Unchanged => "Unchanged",
            },
            reference: c.reference.clone(),
            title: c.title.clone(),
            fields: c.fields.clone(),
        })
        .collect();
    (rows, more)
}

fn preview_view(upload: String, filename: String, report: Report, done: bool) -> PreviewView {
    let (meanings, alike) = choices_view(&report);
    let problem_groups = problem_groups(&report);
    let errors = (!problem_groups.is_empty()).then(|| {
        let mut e = FieldErrors::default();
        for g in &problem_groups {
            let s = if g.count == 1 { "" } else { "s" };
            e.add(&g.id, format!("{}: {} problem{s}", g.column, g.count));
        }
        e
    });
    let (changes, more_changes) = changes_view(&report);
    PreviewView {
        title: if done { "Imported" } else { "Check the import" },
        breadcrumbs: vec![
            Crumb::new("/opportunities", "Opportunities"),
            Crumb::new("/opportunities/import", "Import"),
        ],
        upload,
        filename,
        mapping_json: serde_json::to_string(&report.mapping).unwrap_or_default(),
        problem_count: report.problems.len(),
        columns: columns_view(&report),
        meanings,
        alike,
        problem_groups,
        changes,
        more_changes,
        skipped: skipped_view(&report),
        errors,
        done,
        report,
    }
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
    let rows = read_rows(bytes.clone(), filename.clone()).await?;
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
    let rows = read_rows(bytes, filename.clone()).await?;
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
        mapping.units.entry(h).or_default();
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
    let mapping = mapping_from(&pairs)?;
    let report = run(page.state(), &req, caller, rows, Some(mapping), false).await?;
    show(&page, key, filename, report, false)
}

#[derive(Deserialize)]
pub struct ConfirmInput {
    #[serde(default)]
    upload: String,
    #[serde(default)]
    mapping: String,
}

/// Imports the kept file exactly as previewed, all rows or none, then forgets the file.
pub async fn confirm(
    page: Page,
    req: HttpRequest,
    user: CurrentUser,
    form: Form<ConfirmInput>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::log_opportunity(&caller)?;
    let ConfirmInput { upload, mapping } = form.0;
    let (filename, rows) = match kept(&page, &caller, &upload).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let mapping = mapping_of(&mapping)?;
    let report = run(page.state(), &req, caller, rows, Some(mapping), true).await?;
    let done = !report.dry_run;
    if done {
        let key = upload.clone();
        page.state()
            .db
            .run(move |conn| Ok(memory::forget_upload(conn, &key)?))
            .await?;
    }
    show(&page, upload, filename, report, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_numbers_read_as_ranges() {
        assert_eq!(row_list(&[4, 6, 7, 8, 12]), "4, 6–8, 12");
        assert_eq!(row_list(&[]), "");
    }
}
