//! Writing an import: every planned row in one transaction, through the caller's own
//! services, or none. A dry run is the same writing rolled back, so what it reports is what
//! the real one would do; a rule the checks did not foresee writes nothing and is reported
//! as a problem on its row.

use super::report::{Action, Change, DryRun, Report, RowProblem};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

/// Writes `rows` (each with its row number) with `write`, recording the changes in the
/// report; true when they were written, false for a dry run or a refused row (its problem
/// is in the report). `progress` hears how many rows are done, of how many.
pub fn apply<P>(
    conn: &mut DbConn,
    rows: &[(usize, P)],
    dry_run: bool,
    report: &mut Report,
    progress: &dyn Fn(usize, usize),
    mut write: impl FnMut(&mut DbConn, usize, &P) -> AppResult<Change>,
) -> AppResult<bool> {
    let current_row = std::cell::Cell::new(0);
    let mut changes = Vec::with_capacity(rows.len());
    let outcome = write_tx(conn, |conn| {
        for (done, (row, p)) in rows.iter().enumerate() {
            current_row.set(*row);
            changes.push(write(conn, *row, p)?);
            progress(done + 1, rows.len());
        }
        if dry_run {
            return Err(AppError::Internal(DryRun.into()));
        }
        Ok(())
    });
    match outcome {
        Ok(()) => {
            report.record(changes);
            report.dry_run = false;
            Ok(true)
        }
        Err(AppError::Internal(e)) if e.is::<DryRun>() => {
            // What a new row would be called depends on everyone's records: a preview
            // does not say.
            for c in &mut changes {
                if c.action == Action::Create {
                    c.reference.clear();
                }
            }
            report.record(changes);
            Ok(false)
        }
        Err(AppError::Validation { fields, .. }) => {
            let row = current_row.get();
            report.problems = fields
                .into_iter()
                .map(|(field, message)| RowProblem {
                    row,
                    column: heading_of(report, &field),
                    field,
                    value: String::new(),
                    message,
                    choices: Vec::new(),
                })
                .collect();
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The file's heading of the column that fills `field`; a rule on a field no column fills
/// (a service's own, like a savings line's amount) is on the row as a whole.
fn heading_of(report: &Report, field: &str) -> String {
    report
        .columns
        .iter()
        .find(|c| c.field.as_deref() == Some(field))
        .map(|c| c.heading.clone())
        .unwrap_or_else(|| "The row as a whole".into())
}
