//! Import of a register the partners already keep, from CSV or XLSX: the file's rows are
//! read (`sheet`), the table found in them and its columns mapped to fields (proposed, or
//! remembered from the organisation's last import of a file with these headings, or as the
//! person set them), every row is checked and matched (`plan`), and only then are all rows
//! written in one transaction, or none, through the same services as the pages and the API,
//! so an import writes events and audit entries like any change. Importing the same file
//! again changes nothing and tells nobody: a row that matches what is stored writes nothing.
//! A dry run is the same import, rolled back, so its counts and changes are what the real
//! one would give: that is the preview.

use super::fields::FIELDS;
use super::plan::{plan, Plan, Planned};
use super::sheet::MAX_ROWS;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::opportunities::model::*;
use crate::opportunities::service::{self, Actor};
use crate::opportunities::stages::service::TransitionInput;
use crate::tabular::{self, memory, Action, Begun, Change, Mapping, Report, Row};

/// What the mappings of this import are remembered under.
pub const KIND: &str = "opportunities";

/// What writing a row did.
enum Written {
    Created(Opportunity),
    Updated,
    Unchanged,
}

/// Reads the rows through the mapping and writes them all in one transaction (rolled back
/// for a `dry_run`), or nothing when a problem is found. `progress` hears how many rows are
/// done, of how many.
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<Row>,
    asked: Option<&Mapping>,
    dry_run: bool,
    progress: &dyn Fn(usize, usize),
) -> AppResult<Report> {
    crate::authz::log_opportunity(actor.caller)?;
    let organisation = actor.caller.organisation_id;
    let begun = tabular::begin(conn, organisation, KIND, FIELDS, rows, asked, MAX_ROWS)?;
    let Begun {
        table,
        columns,
        mapping,
        mut report,
    } = match begun {
        Ok(begun) => begun,
        Err(report) => return Ok(report),
    };
    let Plan { rows, skipped } = match plan(conn, actor, &table, &columns, &mapping)? {
        Ok(plan) => plan,
        Err((problems, skipped)) => {
            report.problems = problems;
            report.skip(skipped);
            return Ok(report);
        }
    };
    report.skip(skipped);
    let rows: Vec<(usize, Planned)> = rows.into_iter().map(|p| (p.row, p)).collect();
    let written = tabular::apply(conn, &rows, dry_run, &mut report, progress, |conn, _, p| {
        write_row(conn, actor, p)
    })?;
    if written {
        // The rows are written; a mapping that cannot be kept only means it is proposed
        // afresh next time.
        if let Err(e) = memory::remember(
            conn,
            organisation,
            actor.caller.user_id,
            KIND,
            &table,
            &mapping,
        ) {
            tracing::warn!(error = %e, "the import's mapping was not kept");
        }
    }
    Ok(report)
}

/// One planned row, written through the services like any other change: each writes its
/// event and audit entry, and none when it changes nothing.
fn write_row(conn: &mut DbConn, actor: &Actor, p: &Planned) -> AppResult<Change> {
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
        // A line already there keeps its one-off cost and note, and whether it is cashable
        // when the row does not say.
        let kept = kept_line(conn, id, *year, *kind, actor.caller.organisation_id)?;
        let (kept_cashable, one_off, note) = match kept {
            Some((c, one_off, note)) => (c, super::export::pounds(one_off), note),
            None => (true, String::new(), "Imported".to_string()),
        };
        let input = savings::SavingInput {
            financial_year: financial_year_label(*year),
            kind: kind.as_str().into(),
            cashable: if cashable.unwrap_or(kept_cashable) {
                "yes"
            } else {
                "no"
            }
            .into(),
            organisation_id: actor.caller.organisation_id.to_string(),
            amount: super::export::pounds(*pence),
            one_off_cost: one_off,
            note,
        };
        let (_, changed) = savings::replace_saving(conn, actor, id, &input)?;
        if changed && matches!(written, Written::Unchanged) {
            written = Written::Updated;
        }
    }
    let (action, reference, title) = match written {
        Written::Created(o) => (Action::Create, o.reference, o.title),
        Written::Updated => (Action::Update, reference_of(p), p.input.title.clone()),
        Written::Unchanged => (Action::Unchanged, reference_of(p), p.input.title.clone()),
    };
    let fields = if action == Action::Update {
        p.changes.clone()
    } else {
        Vec::new()
    };
    Ok(Change {
        row: p.row,
        action,
        reference,
        title,
        fields,
    })
}

/// The one line of savings of this year and kind for the organisation, if there is exactly
/// one: (cashable, one-off cost in pence, note).
fn kept_line(
    conn: &mut DbConn,
    id: i64,
    year: i32,
    kind: SavingKind,
    organisation: i64,
) -> AppResult<Option<(bool, i64, String)>> {
    use crate::schema::savings as s;
    use diesel::prelude::*;
    let lines: Vec<(bool, i64, String)> = s::table
        .filter(s::opportunity_id.eq(id))
        .filter(s::financial_year.eq(year))
        .filter(s::kind.eq(kind.as_str()))
        .filter(s::organisation_id.eq(organisation))
        .select((s::cashable, s::one_off_cost_pence, s::note))
        .limit(2)
        .load(conn)?;
    Ok(match <[_; 1]>::try_from(lines) {
        Ok([line]) => Some(line),
        Err(_) => None,
    })
}

fn reference_of(p: &Planned) -> String {
    p.existing
        .as_ref()
        .map(|o| o.reference.clone())
        .unwrap_or_default()
}
