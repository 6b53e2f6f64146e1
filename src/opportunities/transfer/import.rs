//! Import of a register the partners already keep, from CSV or XLSX: the file is read
//! (`sheet`), every row is checked and matched (`plan`), and only then are all rows written
//! in one transaction, or none, through the same services as the pages and the API, so an
//! import writes events and audit entries like any change. Importing the same file again
//! changes nothing and tells nobody: a row that matches what is stored writes nothing. A dry
//! run is the same import, rolled back, so its counts are what the real one would give.

use serde::Serialize;
use utoipa::ToSchema;

use super::plan::{plan, Plan, Planned};
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

/// A row passed over: the file says another organisation leads it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Skipped {
    pub row: usize,
    pub reference: String,
    pub title: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Report {
    pub rows: usize,
    pub created: usize,
    /// Your opportunities the file changed.
    pub updated: usize,
    /// Your opportunities the file matched, as they already were.
    pub unchanged: usize,
    /// True when nothing was written (a dry run, or problems were found).
    pub dry_run: bool,
    pub problems: Vec<RowProblem>,
    /// Rows led by other organisations, not imported.
    pub skipped: Vec<Skipped>,
}

/// What writing a row did.
enum Written {
    Created,
    Updated,
    Unchanged,
}

/// The dry run's way out of its transaction: everything it wrote is rolled back.
#[derive(Debug)]
struct DryRun;

impl std::fmt::Display for DryRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a dry run writes nothing")
    }
}

impl std::error::Error for DryRun {}

/// Checks the sheet and writes it all in one transaction (rolled back for a `dry_run`), or
/// nothing when a problem is found. `progress` hears how many rows are done.
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
    let Plan { rows, skipped } = match plan(conn, actor, sheet)? {
        Ok(plan) => plan,
        Err(problems) => {
            report.problems = problems;
            return Ok(report);
        }
    };
    report.skipped = skipped;
    let current_row = std::cell::Cell::new(0);
    let tally = std::cell::Cell::new((0, 0, 0));
    let outcome = write_tx(conn, |conn| {
        for (done, p) in rows.iter().enumerate() {
            current_row.set(p.row);
            let (created, updated, unchanged) = tally.get();
            tally.set(match write_row(conn, actor, p)? {
                Written::Created => (created + 1, updated, unchanged),
                Written::Updated => (created, updated + 1, unchanged),
                Written::Unchanged => (created, updated, unchanged + 1),
            });
            progress(done + 1);
        }
        if dry_run {
            return Err(AppError::Internal(DryRun.into()));
        }
        Ok(())
    });
    (report.created, report.updated, report.unchanged) = tally.get();
    match outcome {
        Ok(()) => {
            report.dry_run = false;
            Ok(report)
        }
        Err(AppError::Internal(e)) if e.is::<DryRun>() => Ok(report),
        // A rule the checks did not foresee: nothing was written; say where.
        Err(AppError::Validation { fields, .. }) => {
            let row = current_row.get();
            report.created = 0;
            report.updated = 0;
            report.unchanged = 0;
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
/// event and audit entry, and none when it changes nothing.
fn write_row(conn: &mut DbConn, actor: &Actor, p: &Planned) -> AppResult<Written> {
    use crate::opportunities::{savings::service as savings, stages::service as stages};
    let (id, mut written) = match &p.existing {
        Some(o) => {
            let (_, changed) = service::update_checked(conn, actor, o.id, &p.input)?;
            let mut written = if changed {
                Written::Updated
            } else {
                Written::Unchanged
            };
            if let Some(to) = p.stage.filter(|s| *s != o.stage) {
                let input = TransitionInput {
                    to: to.as_str().into(),
                    note: "Imported".into(),
                };
                stages::transition(conn, actor, o.id, &input)?;
                written = Written::Updated;
            }
            (o.id, written)
        }
        None => {
            // Always the next reference, taken under the reference lock: a new row never
            // asks for one, so none can meet another organisation's at write time.
            let o = service::create_with_reference(conn, actor, &p.input, None)?;
            if let Some(stage) = p.stage.filter(|s| *s != Stage::Idea) {
                // A register brought in from a spreadsheet starts where it already was.
                stages::start_at(conn, actor, o.id, stage, "Imported at this stage")?;
            }
            (o.id, Written::Created)
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
        let (_, changed) = savings::replace_saving(conn, actor, id, &input)?;
        if changed && matches!(written, Written::Unchanged) {
            written = Written::Updated;
        }
    }
    Ok(written)
}
