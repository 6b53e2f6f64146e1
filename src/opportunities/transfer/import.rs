//! Import of a register the partners already keep, from CSV or XLSX: the file's rows are
//! read (`sheet`), the table found in them and its columns mapped to fields (proposed, or
//! remembered from the organisation's last import of a file with these headings, or as the
//! person set them), every row is checked and matched (`plan`), and only then are all rows
//! written in one transaction, or none, through the same services as the pages and the API,
//! so an import writes events and audit entries like any change. Importing the same file
//! again changes nothing and tells nobody: a row that matches what is stored writes nothing.
//! A dry run is the same import, rolled back, so its counts and changes are what the real
//! one would give: that is the preview.

use serde::Serialize;
use utoipa::ToSchema;

use super::fields::FIELDS;
use super::plan::{plan, Plan, Planned};
use super::reading::FieldChange;
use super::sheet::{file_problem, MAX_ROWS};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::service::{self, Actor};
use crate::opportunities::stages::service::TransitionInput;
use crate::tabular::{self, memory, Mapping, Row, Table, Unit};

/// What the mappings of this import are remembered under.
pub const KIND: &str = "opportunities";

/// One thing wrong, by row (as numbered in the spreadsheet) and column.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowProblem {
    /// The spreadsheet row (the heading row for a problem with the mapping).
    pub row: usize,
    /// The file's heading of the column.
    pub column: String,
    /// The field the column fills (`mapping` for a problem with the mapping itself).
    pub field: String,
    /// The value found.
    pub value: String,
    pub message: String,
    /// What would be accepted, where there is a short list: the values to choose from, or
    /// for a row like an existing opportunity its reference and "new".
    pub choices: Vec<String>,
}

/// A row passed over: blank, a totals row, the template's example, or led by another
/// organisation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Skipped {
    pub row: usize,
    pub reference: String,
    pub title: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Counts {
    pub create: usize,
    /// Your opportunities the file changes.
    pub update: usize,
    /// Your opportunities the file matches, as they already are.
    pub unchanged: usize,
    pub skip: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

/// What one row does (or would do).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Change {
    pub row: usize,
    pub action: Action,
    /// The opportunity's reference; for a row that creates, the one it was given (in a dry
    /// run, the one it would be given now).
    pub reference: String,
    pub title: String,
    /// For an update, each field it changes.
    pub fields: Vec<FieldChange>,
}

/// A column of the file as the import reads it, in the file's order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ColumnFound {
    pub heading: String,
    /// The field it fills, or none (not imported).
    pub field: Option<String>,
    /// For a money column: the unit of its plain numbers.
    pub unit: Option<Unit>,
    /// The first few values below the heading.
    pub examples: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Report {
    /// The heading row found (or given), as the spreadsheet numbers it.
    pub header_row: usize,
    /// The mapping used: send it back, changed, to import differently.
    pub mapping: Mapping,
    /// The file's columns, in order, with the field each fills.
    pub columns: Vec<ColumnFound>,
    /// Rows of data below the headings.
    pub rows: usize,
    pub counts: Counts,
    /// Row by row: created, updated (with the fields that change) or unchanged.
    pub changes: Vec<Change>,
    pub problems: Vec<RowProblem>,
    /// Rows passed over, and why.
    pub skipped: Vec<Skipped>,
    /// True when nothing was written (a dry run, or problems were found).
    pub dry_run: bool,
}

/// What writing a row did.
enum Written {
    Created(Opportunity),
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

/// The table in the file's rows and the mapping to read it by: the one asked for, else the
/// one the organisation confirmed for these headings, else the one proposed.
fn prepare(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<Row>,
    asked: Option<&Mapping>,
) -> AppResult<(Table, Mapping)> {
    let table = tabular::table(rows, FIELDS, asked.map(|m| m.header_row).filter(|n| *n > 0))
        .map_err(file_problem)?;
    if table.rows.len() > MAX_ROWS {
        return Err(file_problem(tabular::too_many(table.rows.len(), MAX_ROWS)));
    }
    let mapping = match asked {
        Some(m) => Mapping {
            header_row: table.header_row,
            ..m.clone()
        },
        None => memory::remembered(conn, actor.caller.organisation_id, KIND, &table)?
            .unwrap_or_else(|| tabular::propose(&table, FIELDS)),
    };
    Ok((table, mapping))
}

fn columns_found(table: &Table, mapping: &Mapping) -> Vec<ColumnFound> {
    table
        .headings
        .iter()
        .enumerate()
        .map(|(c, heading)| ColumnFound {
            heading: heading.clone(),
            field: mapping.columns.get(heading).cloned().flatten(),
            unit: mapping.units.get(heading).copied(),
            examples: table
                .rows
                .iter()
                .map(|r| r.get(c).text())
                .filter(|v| !v.is_empty())
                .take(3)
                .collect(),
        })
        .collect()
}

/// Reads the rows through the mapping and writes them all in one transaction (rolled back
/// for a `dry_run`), or nothing when a problem is found. `progress` hears how many rows are
/// done.
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<Row>,
    asked: Option<&Mapping>,
    dry_run: bool,
    progress: &dyn Fn(usize),
) -> AppResult<Report> {
    crate::authz::log_opportunity(actor.caller)?;
    let (table, mapping) = prepare(conn, actor, rows, asked)?;
    let mut report = Report {
        header_row: table.header_row,
        columns: columns_found(&table, &mapping),
        rows: table.rows.len(),
        dry_run: true,
        skipped: table
            .passed
            .iter()
            .map(|p| Skipped {
                row: p.row,
                reference: String::new(),
                title: String::new(),
                message: format!("Skipped: {}", p.reason),
            })
            .collect(),
        mapping: mapping.clone(),
        ..Report::default()
    };
    let columns = match mapping.columns(&table, FIELDS) {
        Ok(columns) => columns,
        Err(messages) => {
            report.problems = messages
                .into_iter()
                .map(|message| RowProblem {
                    row: table.header_row,
                    column: String::new(),
                    field: "mapping".into(),
                    value: String::new(),
                    message,
                    choices: Vec::new(),
                })
                .collect();
            return Ok(report);
        }
    };
    let Plan { rows, skipped } = match plan(conn, actor, &table, &columns, &mapping)? {
        Ok(plan) => plan,
        Err(problems) => {
            report.problems = problems;
            report.counts.skip = report.skipped.len();
            return Ok(report);
        }
    };
    report.skipped.extend(skipped);
    report.skipped.sort_by_key(|s| s.row);
    report.counts.skip = report.skipped.len();
    let outcome = write_all(conn, actor, &rows, dry_run, &mut report, progress);
    match outcome {
        Ok(()) => {
            report.dry_run = false;
            memory::remember(
                conn,
                actor.caller.organisation_id,
                actor.caller.user_id,
                KIND,
                &table,
                &mapping,
            )?;
            Ok(report)
        }
        Err(AppError::Internal(e)) if e.is::<DryRun>() => Ok(report),
        Err(e) => Err(e),
    }
}

/// Writes every planned row in one transaction, noting what each did; a dry run ends by
/// rolling it all back. A rule the checks did not foresee writes nothing and is reported
/// as a problem on its row.
fn write_all(
    conn: &mut DbConn,
    actor: &Actor,
    rows: &[Planned],
    dry_run: bool,
    report: &mut Report,
    progress: &dyn Fn(usize),
) -> AppResult<()> {
    let current_row = std::cell::Cell::new(0);
    let changes = std::cell::RefCell::new(Vec::with_capacity(rows.len()));
    let outcome = write_tx(conn, |conn| {
        for (done, p) in rows.iter().enumerate() {
            current_row.set(p.row);
            let change = match write_row(conn, actor, p)? {
                Written::Created(o) => Change {
                    row: p.row,
                    action: Action::Create,
                    reference: o.reference,
                    title: o.title,
                    fields: Vec::new(),
                },
                written => {
                    let o = p.existing.as_ref().expect("only a match updates");
                    Change {
                        row: p.row,
                        action: if matches!(written, Written::Updated) {
                            Action::Update
                        } else {
                            Action::Unchanged
                        },
                        reference: o.reference.clone(),
                        title: p.input.title.clone(),
                        fields: p.changes.clone(),
                    }
                }
            };
            changes.borrow_mut().push(change);
            progress(done + 1);
        }
        if dry_run {
            return Err(AppError::Internal(DryRun.into()));
        }
        Ok(())
    });
    match outcome {
        Err(AppError::Validation { fields, .. }) => {
            let row = current_row.get();
            report.problems = fields
                .into_iter()
                .map(|(field, message)| RowProblem {
                    row,
                    column: field.clone(),
                    field,
                    value: String::new(),
                    message,
                    choices: Vec::new(),
                })
                .collect();
            Err(AppError::Internal(DryRun.into()))
        }
        other => {
            report.changes = changes.into_inner();
            for c in &report.changes {
                match c.action {
                    Action::Create => report.counts.create += 1,
                    Action::Update => report.counts.update += 1,
                    Action::Unchanged => report.counts.unchanged += 1,
                }
            }
            other
        }
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
            (o.id, Written::Created(o))
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
