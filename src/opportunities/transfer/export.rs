//! Export of the register's current filtered view as CSV, XLSX or JSON. The columns are
//! the import template's, with stored codes, so an export can be edited and imported back.
//! Cells are safe to open in spreadsheet software: nothing is written as a formula.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{Caller, MaybeUser};
use crate::db::{now, rfc3339, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::filter::RegisterQuery;
use crate::opportunities::queries::{self, ListItem};
use crate::schema::{opportunity_partners, organisations};
use crate::state::AppState;
use crate::workbook::{Cell, Styles, Table};

/// The columns, in order. The identifying and descriptive ones are the import template's,
/// so an export can be edited and imported back; the totals (across years, in pounds) are
/// for reading and are not imported. Columns added later go at the end, so tools that read the
/// file by position keep working.
pub const COLUMNS: &[&str] = &[
    "reference",
    "title",
    "summary",
    "service_area",
    "type",
    "stage",
    "visibility",
    "lead_organisation",
    "partners",
    "theme",
    "estimated_total_gbp",
    "validated_total_gbp",
    "realised_total_gbp",
    "open_high_barriers",
    "updated_at",
    "your_reference",
];

#[derive(Debug, Serialize)]
pub struct Row {
    pub reference: String,
    pub your_reference: String,
    pub title: String,
    pub summary: String,
    pub service_area: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub stage: String,
    pub visibility: String,
    pub lead_organisation: String,
    /// Organisation short names, separated by ";".
    pub partners: String,
    /// Workspace short name.
    pub theme: String,
    pub estimated_savings_pence: i64,
    pub validated_savings_pence: i64,
    pub realised_savings_pence: i64,
    pub open_high_barriers: i64,
    pub updated_at: String,
    #[serde(skip)]
    pub updated: chrono::NaiveDateTime,
}

/// Pence as an exact decimal in pounds: 123456 → "1234.56".
pub fn pounds(pence: i64) -> String {
    format!(
        "{}{}.{:02}",
        if pence < 0 { "-" } else { "" },
        pence.unsigned_abs() / 100,
        pence.unsigned_abs() % 100
    )
}

impl Row {
    fn cells(&self) -> [String; 16] {
        [
            self.reference.clone(),
            self.title.clone(),
            self.summary.clone(),
            self.service_area.clone(),
            self.kind.clone(),
            self.stage.clone(),
            self.visibility.clone(),
            self.lead_organisation.clone(),
            self.partners.clone(),
            self.theme.clone(),
            pounds(self.estimated_savings_pence),
            pounds(self.validated_savings_pence),
            pounds(self.realised_savings_pence),
            self.open_high_barriers.to_string(),
            self.updated_at.clone(),
            self.your_reference.clone(),
        ]
    }
}

pub fn rows(
    conn: &mut DbConn,
    caller: Option<&Caller>,
    query: &RegisterQuery,
) -> AppResult<Vec<Row>> {
    let (filter, sort) = query.filter()?;
    let listing = queries::list(conn, caller, &filter, sort, None, None)?;
    let ids: Vec<i64> = listing.items.iter().map(|i| i.opportunity.id).collect();
    let slugs: HashMap<i64, String> = organisations::table
        .select((organisations::id, organisations::slug))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut partners: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(5000) {
        let pairs: Vec<(i64, i64)> = opportunity_partners::table
            .filter(opportunity_partners::opportunity_id.eq_any(chunk))
            .select((
                opportunity_partners::opportunity_id,
                opportunity_partners::organisation_id,
            ))
            .load(conn)?;
        for (opportunity, organisation) in pairs {
            partners
                .entry(opportunity)
                .or_default()
                .push(slugs.get(&organisation).cloned().unwrap_or_default());
        }
    }
    // Only workspaces the caller may see are named.
    let themes: HashMap<i64, String> = crate::workspaces::queries::list_visible(conn, caller)?
        .into_iter()
        .map(|a| (a.ws.id, a.ws.slug))
        .collect();
    Ok(listing
        .items
        .into_iter()
        .map(
            |ListItem {
                 opportunity: o,
                 totals,
                 open_high_barriers,
                 ..
             }| {
                let mut names = partners.remove(&o.id).unwrap_or_default();
                names.sort();
                Row {
                    reference: o.reference,
                    your_reference: o.your_reference,
                    title: o.title,
                    summary: o.summary,
                    service_area: o.service_area.to_string(),
                    kind: o.kind.to_string(),
                    stage: o.stage.to_string(),
                    visibility: o.visibility.to_string(),
                    lead_organisation: slugs
                        .get(&o.lead_organisation_id)
                        .cloned()
                        .unwrap_or_default(),
                    partners: names.join(";"),
                    theme: o
                        .workspace_id
                        .and_then(|id| themes.get(&id).cloned())
                        .unwrap_or_default(),
                    estimated_savings_pence: totals.estimated,
                    validated_savings_pence: totals.validated,
                    realised_savings_pence: totals.realised,
                    open_high_barriers,
                    updated_at: rfc3339(o.updated_at),
                    updated: o.updated_at,
                }
            },
        )
        .collect())
}

/// A cell that spreadsheet software would run as a formula gets a leading apostrophe.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A CSV file as spreadsheet software and RFC 4180 readers both take it: a byte-order mark,
/// so the text is read as UTF-8, and rows that end in CRLF.
pub fn csv_file<R, C>(records: impl IntoIterator<Item = R>) -> anyhow::Result<Vec<u8>>
where
    R: IntoIterator<Item = C>,
    C: AsRef<[u8]>,
{
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        for record in records {
            writer.write_record(record)?;
        }
        writer.flush()?;
    }
    Ok(out)
}

pub fn to_csv(rows: &[Row]) -> anyhow::Result<Vec<u8>> {
    let body = rows
        .iter()
        .map(|row| row.cells().map(|c| defuse(&c)).to_vec());
    let heading = COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    csv_file(std::iter::once(heading).chain(body))
}

/// Widths of the columns in the workbook, in characters, in `COLUMNS` order.
const WIDTHS: [f64; 16] = [
    12.0, 40.0, 60.0, 18.0, 16.0, 14.0, 12.0, 18.0, 24.0, 22.0, 18.0, 18.0, 18.0, 10.0, 20.0, 16.0,
];

impl Row {
    /// The row as workbook cells: totals as pounds, the count as a number, the time as a
    /// date-time, everything else as text.
    fn typed(&self) -> [Cell<'_>; 16] {
        [
            Cell::Text(&self.reference),
            Cell::Text(&self.title),
            Cell::Prose(&self.summary),
            Cell::Text(&self.service_area),
            Cell::Text(&self.kind),
            Cell::Text(&self.stage),
            Cell::Text(&self.visibility),
            Cell::Text(&self.lead_organisation),
            Cell::Text(&self.partners),
            Cell::Text(&self.theme),
            Cell::Pence(self.estimated_savings_pence),
            Cell::Pence(self.validated_savings_pence),
            Cell::Pence(self.realised_savings_pence),
            Cell::Count(self.open_high_barriers),
            Cell::At(self.updated),
            Cell::Text(&self.your_reference),
        ]
    }
}

pub fn to_xlsx(rows: &[Row]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let styles = Styles::default();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Opportunities")?;
    let columns: Vec<(&str, f64)> = COLUMNS.iter().copied().zip(WIDTHS).collect();
    let mut table = Table::new(sheet, &styles, &columns)?;
    for row in rows {
        table.row(&row.typed())?;
    }
    table.finish()?;
    Ok(workbook.save_to_buffer()?)
}

fn download(format: &str, rows: &[Row]) -> AppResult<HttpResponse> {
    let stamp = now().format("%Y-%m-%d");
    let (content_type, body) = match format {
        "csv" => (
            "text/csv; charset=utf-8",
            to_csv(rows).map_err(AppError::Internal)?,
        ),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            to_xlsx(rows).map_err(AppError::Internal)?,
        ),
        "json" => ("application/json", serde_json::to_vec_pretty(rows)?),
        _ => return Err(AppError::NotFound),
    };
    let mut response = HttpResponse::Ok();
    if format == "xlsx" {
        // A zip already: not gzipped again.
        response.insert_header(header::ContentEncoding::Identity);
    }
    Ok(response
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"opportunities-{stamp}.{format}\""),
        ))
        // The reader's own client may keep it and ask again with its ETag.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(body))
}

async fn export(
    state: &AppState,
    caller: Option<Caller>,
    format: String,
    query: RegisterQuery,
) -> AppResult<HttpResponse> {
    if !matches!(format.as_str(), "csv" | "xlsx" | "json") {
        return Err(AppError::NotFound);
    }
    let rows = state
        .db
        .run(move |conn| rows(conn, caller.as_ref(), &query))
        .await?;
    download(&format, &rows)
}

/// The current view of the register, from the register page's links.
pub async fn page_export(
    state: web::Data<AppState>,
    user: MaybeUser,
    format: web::Path<String>,
    query: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    export(&state, user.0, format.into_inner(), query.into_inner()).await
}

/// The register as CSV, XLSX or JSON, with the list's filters.
#[utoipa::path(get, path = "/api/v1/opportunities/export.{format}", tag = "opportunities",
    params(("format" = String, Path, description = "csv | xlsx | json"), RegisterQuery),
    responses((status = 200, description = "The file"), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn api_export(
    state: web::Data<AppState>,
    user: MaybeUser,
    format: web::Path<String>,
    params: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    export(&state, user.0, format.into_inner(), params.into_inner()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_pounds_are_exact() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-2+3"), "'-2+3");
        assert_eq!(defuse("Plain"), "Plain");
        assert_eq!(pounds(123456), "1234.56");
        assert_eq!(pounds(5), "0.05");
    }
}
