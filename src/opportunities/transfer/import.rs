//! Import of a register the partners already keep, from CSV or XLSX: the file is read
//! (`sheet`), every row is checked and matched (`plan`), and only then are all rows written
//! in one transaction, or none, through the same services as the pages and the API, so an
//! import writes events and audit entries like any change. Importing the same file again
//! changes nothing new.

use serde::Serialize;
use utoipa::ToSchema;

use super::plan::{plan, Planned};
use super::sheet::Sheet;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::service::{self, Actor};
use crate::opportunities::stages::service::TransitionInput;

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

/// One planned row, written through the services like any other change: each writes its
/// event and audit entry.
fn write_row(conn: &mut DbConn, actor: &Actor, p: &Planned) -> AppResult<()> {
    use crate::opportunities::{savings::service as savings, stages::service as stages};
    let id = match &p.existing {
        Some(o) => {
            service::update(conn, actor, o.id, &p.input)?;
            if let Some(to) = p.stage.filter(|s| *s != o.stage) {
                let input = TransitionInput {
                    to: to.as_str().into(),
                    note: "Imported".into(),
                };
                stages::transition(conn, actor, o.id, &input)?;
            }
            o.id
        }
        None => {
            // Always the next reference, taken under the reference lock: a new row never
            // asks for one, so none can meet another organisation's at write time.
            let o = service::create_with_reference(conn, actor, &p.input, None)?;
            if let Some(stage) = p.stage.filter(|s| *s != Stage::Idea) {
                // A register brought in from a spreadsheet starts where it already was.
                stages::start_at(conn, actor, o.id, stage, "Imported at this stage")?;
            }
            o.id
        }
    };
    for (year, kind, cashable, pence) in &p.savings {
        let input = savings::SavingInput {
            financial_year: financial_year_label(*year),
            kind: kind.as_str().into(),
            cashable: if *cashable { "yes" } else { "no" }.into(),
            organisation_id: actor.caller.organisation_id.to_string(),
            amount: super::export::pounds(*pence),
            one_off_cost: String::new(),
            note: "Imported".into(),
        };
        savings::replace_saving(conn, actor, id, &input)?;
    }
    Ok(())
}
