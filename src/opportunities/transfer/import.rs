//! Import of a register the partners already keep, from CSV or XLSX. Every row is checked
//! before anything is written; then all rows are written in one transaction, or none.
//! A row with the reference (or, without one, the title) of one of the importer's own
//! opportunities updates it, so importing the same file again changes nothing new; any other
//! row is a new opportunity with the next free reference. A reference held by another
//! organisation is answered exactly as a free one, so an import tells nothing of others.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::opportunities::service::{self, Actor, OpportunityInput};
use crate::opportunities::stages::service::TransitionInput;
use crate::schema::{opportunities, opportunity_transitions, organisations, savings};

pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_ROWS: usize = 5_000;

/// The columns a file may have. `title`, `summary`, `service_area` and `type` are required.
pub const TEMPLATE_COLUMNS: &[&str] = &[
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
    "financial_year",
    "estimated_savings",
    "validated_savings",
    "realised_savings",
    "cashable",
];
const REQUIRED: &[&str] = &["title", "summary", "service_area", "type"];

/// One thing wrong with the file, by row (as numbered in the spreadsheet) and column.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowProblem {
    /// The spreadsheet row: the header is row 1, the first opportunity row 2.
    pub row: usize,
    pub column: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Report {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// True when nothing was written (a dry run, or problems were found).
    pub dry_run: bool,
    pub problems: Vec<RowProblem>,
}

/// A file-level problem (format, size, headers): nothing is read further.
fn file_problem(message: impl Into<String>) -> AppError {
    AppError::field("file", &message.into())
}

pub struct Sheet {
    headers: Vec<String>,
    /// (spreadsheet row number, cells)
    rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    /// Rows of opportunities (the header not counted).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Reads a CSV (UTF-8, with or without a byte-order mark) or XLSX file.
pub fn read(bytes: &[u8], filename: &str) -> AppResult<Sheet> {
    if bytes.len() > MAX_BYTES {
        return Err(file_problem(format!(
            "The file is larger than {} MB",
            MAX_BYTES / 1024 / 1024
        )));
    }
    let lower = filename.to_ascii_lowercase();
    // Each row with its number as the spreadsheet shows it.
    let grid: Vec<(usize, Vec<String>)> = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK") {
        let limits = crate::spreadsheet::Limits::for_upload(MAX_ROWS, MAX_BYTES);
        crate::spreadsheet::first_sheet(bytes, &limits).map_err(|r| file_problem(r.0))?
    } else {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| file_problem("The file is not UTF-8 text: save it as CSV UTF-8"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut grid = Vec::new();
        for record in reader.records() {
            let record =
                record.map_err(|e| file_problem(format!("The CSV could not be read: {e}")))?;
            // The reader passes over blank lines without counting them: count from the text.
            // (Its position is where it started reading, before any blank lines.)
            let mut offset = record.position().map(|p| p.byte() as usize).unwrap_or(0);
            while matches!(text.as_bytes().get(offset), Some(b'\n' | b'\r')) {
                offset += 1;
            }
            let line = text.as_bytes()[..offset.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            grid.push((line, record.iter().map(str::to_string).collect()));
        }
        grid
    };
    let mut grid: Vec<(usize, Vec<String>)> = grid
        .into_iter()
        .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
        .collect();
    if grid.is_empty() {
        return Err(file_problem("The file is empty"));
    }
    let headers: Vec<String> = grid
        .remove(0)
        .1
        .iter()
        .map(|h| h.trim().to_ascii_lowercase().replace(' ', "_"))
        .collect();
    if grid.len() > MAX_ROWS {
        return Err(file_problem(format!(
            "The file has {} rows; import at most {MAX_ROWS} at a time",
            grid.len()
        )));
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(file_problem(format!(
            "The file needs the columns: {}. Download the template for the headings.",
            missing.join(", ")
        )));
    }
    Ok(Sheet {
        headers,
        rows: grid,
    })
}

struct Planned {
    row: usize,
    existing: Option<Opportunity>,
    input: OpportunityInput,
    stage: Option<Stage>,
    savings: Vec<(i32, SavingKind, bool, i64)>,
}

/// References keep their one form: OPP- and at least four digits.
fn valid_reference(value: &str) -> bool {
    value
        .strip_prefix("OPP-")
        .is_some_and(|n| n.len() >= 4 && n.len() <= 9 && n.chars().all(|c| c.is_ascii_digit()))
}

/// The opportunity a row updates: the one of yours its reference names, or else the one of
/// yours with its title; `Err` when several of yours have the title. A reference that is
/// not one of your organisation's opportunities, free or another organisation's, is passed
/// over exactly as if the row had none, so no answer (and no write) can tell which
/// references others hold. Such a row becomes a new opportunity with the next reference,
/// and importing it again finds it by its title.
fn own_match(
    conn: &mut DbConn,
    lead: i64,
    reference: Option<&str>,
    title: &str,
) -> QueryResult<Result<Option<Opportunity>, &'static str>> {
    if let Some(r) = reference {
        let mine: Option<Opportunity> = opportunities::table
            .filter(opportunities::reference.eq(r))
            .filter(opportunities::lead_organisation_id.eq(lead))
            .select(Opportunity::as_select())
            .first(conn)
            .optional()?;
        if mine.is_some() {
            return Ok(Ok(mine));
        }
    }
    if title.is_empty() {
        return Ok(Ok(None));
    }
    // So importing the same file twice does not duplicate what it added.
    let same: Vec<Opportunity> = opportunities::table
        .filter(opportunities::lead_organisation_id.eq(lead))
        .filter(opportunities::title.eq(title))
        .select(Opportunity::as_select())
        .load(conn)?;
    Ok(match same.len() {
        0 | 1 => Ok(same.into_iter().next()),
        _ => Err("Several of your opportunities have this title: add the reference"),
    })
}

/// Checks every row; returns the plan, or every problem found.
fn plan(
    conn: &mut DbConn,
    actor: &Actor,
    sheet: &Sheet,
) -> AppResult<Result<Vec<Planned>, Vec<RowProblem>>> {
    let lead = actor.caller.organisation_id;
    let org_slugs: HashMap<String, i64> = organisations::table
        .select((organisations::slug, organisations::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let lead_slug = org_slugs
        .iter()
        .find(|(_, id)| **id == lead)
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    let theme_slugs: HashMap<String, i64> =
        crate::workspaces::queries::list_visible(conn, Some(actor.caller))?
            .into_iter()
            .filter(|a| !a.ws.is_archived())
            .map(|a| (a.ws.slug, a.ws.id))
            .collect();
    let column = |name: &str| sheet.headers.iter().position(|h| h == name);
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &sheet.rows {
        let row = *row;
        let get = |name: &str| {
            column(name)
                .and_then(|i| cells.get(i))
                .map(|v| undefuse(v.trim()).to_string())
                .unwrap_or_default()
        };
        let has = |name: &str| column(name).is_some();
        let mut fail = |column: &str, message: &str| {
            problems.push(RowProblem {
                row,
                column: column.into(),
                message: message.into(),
            })
        };
        let reference = get("reference");
        let mut named = None;
        if !reference.is_empty() {
            if !valid_reference(&reference) {
                fail("reference", "A reference looks like OPP-0042");
            } else if let Some(first) = seen.insert(reference.clone(), row) {
                fail(
                    "reference",
                    &format!("This reference is also on row {first}"),
                );
            } else {
                named = Some(reference.as_str());
            }
        }
        let existing = match own_match(conn, lead, named, &get("title"))? {
            Ok(found) => found,
            Err(message) => {
                fail("reference", message);
                None
            }
        };
        let lead_value = get("lead_organisation");
        if !lead_value.is_empty() && lead_value != lead_slug {
            fail(
                "lead_organisation",
                &format!("Rows you import are led by your organisation ({lead_slug})"),
            );
        }
        let mut checks = vec![
            ("title", get("title").is_empty().then_some("Enter a title")),
            (
                "summary",
                get("summary").is_empty().then_some("Enter a summary"),
            ),
            (
                "service_area",
                ServiceArea::parse(&get("service_area")).err(),
            ),
            ("type", OpportunityKind::parse(&get("type")).err()),
        ];
        let visibility = match (&existing, has("visibility")) {
            (Some(o), false) => o.visibility.clone(),
            _ => Some(get("visibility"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "draft".into()),
        };
        for column in ["title", "summary"] {
            if crate::validate::has_control_characters(&get(column)) {
                fail(column, crate::validate::CONTROL_CHARACTERS);
            }
        }
        if get("title").chars().count() > 200 {
            fail("title", "Must be 200 characters or fewer");
        }
        if get("summary").chars().count() > 5000 {
            fail("summary", "Must be 5000 characters or fewer");
        }
        checks.push((
            "visibility",
            OpportunityVisibility::parse(&visibility).err(),
        ));
        for (name, problem) in checks {
            if let Some(message) = problem {
                fail(name, message);
            }
        }
        let stage = match get("stage").as_str() {
            "" => None,
            s => match Stage::parse(s) {
                Ok(stage) => Some(stage),
                Err(m) => {
                    fail("stage", m);
                    None
                }
            },
        };
        if stage.is_some_and(|s| s != Stage::Idea)
            && !matches!(
                actor.caller.role(),
                crate::users::Role::OrgAdmin
                    | crate::users::Role::Leader
                    | crate::users::Role::Staff
            )
        {
            fail(
                "stage",
                "Only staff, leaders and administrators set the stage",
            );
        }
        if let (Some(o), Some(to)) = (&existing, stage) {
            let from = Stage::parse(&o.stage).unwrap_or(Stage::Idea);
            if from != to && !from.can_move_to(to) {
                fail(
                    "stage",
                    &format!(
                        "An opportunity cannot move from {} to {}",
                        from.label(),
                        to.label()
                    ),
                );
            }
        }
        let mut partners = Vec::new();
        for slug in get("partners")
            .split([';', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match org_slugs.get(slug) {
                Some(id) => partners.push(id.to_string()),
                None => fail(
                    "partners",
                    &format!("No organisation has the short name {slug}"),
                ),
            }
        }
        if let (Some(o), false) = (&existing, has("partners")) {
            partners = queries::partners(conn, o.id)?
                .into_iter()
                .map(|(id, _)| id.to_string())
                .collect();
        }
        let theme = get("theme");
        let workspace_id = if !has("theme") {
            existing
                .as_ref()
                .and_then(|o| o.workspace_id)
                .map(|id| id.to_string())
                .unwrap_or_default()
        } else if theme.is_empty() {
            String::new()
        } else {
            match theme_slugs.get(&theme) {
                Some(id) => id.to_string(),
                None => {
                    fail(
                        "theme",
                        &format!("No workspace you can see has the short name {theme}"),
                    );
                    String::new()
                }
            }
        };
        let mut savings = Vec::new();
        let amounts: Vec<(&str, SavingKind)> = vec![
            ("estimated_savings", SavingKind::Estimated),
            ("validated_savings", SavingKind::Validated),
            ("realised_savings", SavingKind::Realised),
        ];
        let any_amount = amounts.iter().any(|(c, _)| !get(c).is_empty());
        if any_amount {
            let year = match parse_financial_year(&get("financial_year")) {
                Ok(y) => Some(y),
                Err(m) => {
                    fail("financial_year", m);
                    None
                }
            };
            let cashable = match get("cashable").to_ascii_lowercase().as_str() {
                "" | "yes" | "y" | "true" => true,
                "no" | "n" | "false" => false,
                _ => {
                    fail("cashable", "Write yes or no");
                    true
                }
            };
            for (name, kind) in amounts {
                let value = get(name);
                if value.is_empty() {
                    continue;
                }
                match parse_pence(&value) {
                    Ok(pence) => {
                        if let Some(year) = year {
                            savings.push((year, kind, cashable, pence));
                        }
                    }
                    Err(m) => fail(name, m),
                }
            }
        }
        let input = OpportunityInput {
            title: get("title"),
            summary: get("summary"),
            service_area: get("service_area"),
            kind: get("type"),
            visibility,
            workspace_id,
            contact_user_id: existing
                .as_ref()
                .and_then(|o| o.contact_user_id)
                .map(|v| v.to_string())
                .unwrap_or_default(),
            partners,
        };
        planned.push(Planned {
            row,
            existing,
            input,
            stage,
            savings,
        });
    }
    Ok(if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    })
}

/// Checks the sheet and, unless `dry_run` or a problem is found, writes it all in one
/// transaction. `progress` hears how many rows are done.
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    sheet: &Sheet,
    dry_run: bool,
    progress: &dyn Fn(usize),
) -> AppResult<Report> {
    crate::authz::log_opportunity(actor.caller)?;
    let mut report = Report {
        rows: sheet.rows.len(),
        dry_run: true,
        ..Report::default()
    };
    let planned = match plan(conn, actor, sheet)? {
        Ok(planned) => planned,
        Err(problems) => {
            report.problems = problems;
            return Ok(report);
        }
    };
    report.created = planned.iter().filter(|p| p.existing.is_none()).count();
    report.updated = planned.len() - report.created;
    if dry_run {
        return Ok(report);
    }
    let current_row = std::cell::Cell::new(0);
    let outcome = write_tx(conn, |conn| {
        for (done, p) in planned.iter().enumerate() {
            current_row.set(p.row);
            write_row(conn, actor, p)?;
            progress(done + 1);
        }
        Ok(())
    });
    match outcome {
        Ok(()) => {
            report.dry_run = false;
            Ok(report)
        }
        // A rule the checks did not foresee: nothing was written; say where.
        Err(AppError::Validation { fields, .. }) => {
            let row = current_row.get();
            report.problems = fields
                .into_iter()
                .map(|(column, message)| RowProblem {
                    row,
                    column,
                    message,
                })
                .collect();
            Ok(report)
        }
        Err(e) => Err(e),
    }
}

fn write_row(conn: &mut DbConn, actor: &Actor, p: &Planned) -> AppResult<()> {
    let id = match &p.existing {
        Some(o) => {
            service::update(conn, actor, o.id, &p.input)?;
            if let Some(to) = p.stage.filter(|s| s.as_str() != o.stage) {
                crate::opportunities::stages::service::transition(
                    conn,
                    actor,
                    o.id,
                    &TransitionInput {
                        to: to.as_str().into(),
                        note: "Imported".into(),
                    },
                )?;
            }
            o.id
        }
        None => {
            // Always the next reference, taken under the reference lock: a new row never
            // asks for one, so none can meet another organisation's at write time.
            let o = service::create_with_reference(conn, actor, &p.input, None)?;
            if let Some(stage) = p.stage.filter(|s| *s != Stage::Idea) {
                // A register brought in from a spreadsheet starts where it already was.
                let at = now();
                diesel::update(opportunities::table.find(o.id))
                    .set((
                        opportunities::stage.eq(stage.as_str()),
                        opportunities::stage_changed_at.eq(at),
                    ))
                    .execute(conn)?;
                diesel::insert_into(opportunity_transitions::table)
                    .values((
                        opportunity_transitions::opportunity_id.eq(o.id),
                        opportunity_transitions::from_stage.eq(Stage::Idea.as_str()),
                        opportunity_transitions::to_stage.eq(stage.as_str()),
                        opportunity_transitions::note.eq("Imported at this stage"),
                        opportunity_transitions::actor_user_id.eq(actor.caller.user_id),
                        opportunity_transitions::created_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            o.id
        }
    };
    // Importing the same year's figures again replaces them rather than adding to them.
    for (year, kind, cashable, pence) in &p.savings {
        diesel::delete(
            savings::table
                .filter(savings::opportunity_id.eq(id))
                .filter(savings::financial_year.eq(*year))
                .filter(savings::kind.eq(kind.as_str()))
                .filter(savings::organisation_id.eq(actor.caller.organisation_id)),
        )
        .execute(conn)?;
        let input = crate::opportunities::savings::service::SavingInput {
            financial_year: financial_year_label(*year),
            kind: kind.as_str().into(),
            cashable: if *cashable { "yes" } else { "no" }.into(),
            organisation_id: actor.caller.organisation_id.to_string(),
            amount: super::export::pounds(*pence),
            one_off_cost: String::new(),
            note: "Imported".into(),
        };
        crate::opportunities::savings::service::add_saving(conn, actor, id, &input)?;
    }
    Ok(())
}

/// The template: the headings and one example row.
pub fn template_csv() -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let _ = writer.write_record(TEMPLATE_COLUMNS);
        let _ = writer.write_record([
            "",
            "Shared legal services",
            "One legal team for both cities",
            "legal",
            "shared_service",
            "under_assessment",
            "partnership",
            "",
            "nottingham",
            "",
            "2026/27",
            "£120,000.00",
            "",
            "",
            "yes",
        ]);
        let _ = writer.flush();
    }
    out
}

/// A cell the export defused ("'=…") comes back as it was.
fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_spreadsheet_numbers_past_blank_lines() {
        let sheet = read(
            b"title,summary,service_area,type\n\n\nBad,S,moon,other\n",
            "r.csv",
        )
        .unwrap();
        assert_eq!(sheet.rows[0].0, 4);
        let sheet = read(
            "\u{feff}title,summary,service_area,type\nA,B,legal,other\n".as_bytes(),
            "r.csv",
        )
        .unwrap();
        assert_eq!(sheet.rows[0].0, 2);
        assert_eq!(sheet.headers[0], "title");
    }
}
