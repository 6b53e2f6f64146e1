//! Imports a programme lead's spreadsheets into a workspace: its actions (a row with the
//! title of one of the workspace's actions updates it; others are new) and its measures'
//! readings by quarter (a reading for a quarter replaces that quarter's). The file is read,
//! its table found and its columns mapped as for the register (`tabular`); every row is
//! checked before anything is written, then all are written through the workspace's services
//! (events, audit, notifications), or none. A row as it already is writes nothing.

use diesel::prelude::*;

use super::fields::{self, ACTION_FIELDS, READING_FIELDS};
use crate::auth::{Actor, Caller};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::schema::{organisations, readings, workspace_members};
use crate::tabular::values::{normalise, Found, Names};
use crate::tabular::{
    self, memory, Action, Begun, Change, FieldChange, Mapping, Report, Row, RowReader,
};
use crate::workspaces::actions::service::{self as actions, ActionInput};
use crate::workspaces::measures::service::{self as measures, ReadingInput};
use crate::workspaces::model::{Action as WsAction, ActionStatus, Measure, Rag};
use crate::workspaces::queries::{self, Access};

pub const MAX_ROWS: usize = 2_000;

/// The two kinds of workspace import, as their mappings are remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Actions,
    Readings,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Actions => "actions",
            Kind::Readings => "readings",
        }
    }

    pub fn fields(self) -> &'static [tabular::Field] {
        match self {
            Kind::Actions => ACTION_FIELDS,
            Kind::Readings => READING_FIELDS,
        }
    }
}

/// One row to write.
enum Planned {
    Action(Option<Box<WsAction>>, Box<ActionInput>, Vec<FieldChange>),
    /// The measure, the quarter, the reading, and the value stored for that quarter, if any.
    Reading(
        Measure,
        crate::workspaces::model::Quarter,
        ReadingInput,
        Option<f64>,
        bool,
    ),
}

/// Imports `rows` into the workspace `slug` (a dry run writes nothing).
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    slug: &str,
    kind: Kind,
    rows: Vec<Row>,
    asked: Option<&Mapping>,
    dry_run: bool,
) -> AppResult<Report> {
    let access = queries::load(conn, slug, Some(actor.caller))?;
    crate::authz::contribute(actor.caller, &access.ws, access.membership)?;
    let organisation = actor.caller.organisation_id;
    let long = match kind {
        Kind::Readings => super::wide::long_from_wide(rows, asked),
        Kind::Actions => super::wide::Long {
            rows,
            mapping: asked.cloned(),
            quarters: Vec::new(),
        },
    };
    let begun = tabular::begin(
        conn,
        organisation,
        kind.key(),
        kind.fields(),
        long.rows,
        long.mapping.as_ref(),
        MAX_ROWS,
    )?;
    let Begun {
        table,
        columns,
        mapping,
        mut report,
    } = match begun {
        Ok(b) => b,
        Err(report) => {
            return Ok(Report {
                read_across: long.quarters,
                ..report
            })
        }
    };
    report.read_across = long.quarters;
    let look = Lookups::of(conn, &access, actor.caller)?;
    let (planned, problems) = plan_rows(&look, kind, &table, &columns, &mapping);
    report.skip(Vec::new());
    if !problems.is_empty() {
        report.problems = problems;
        return Ok(report);
    }
    let written = tabular::apply(
        conn,
        &planned,
        dry_run,
        &mut report,
        &|_, _| {},
        |conn, row, p| write(conn, actor, &access, row, p),
    )?;
    if written {
        // The rows are written; a mapping that cannot be kept only means it is proposed
        // afresh next time.
        if let Err(e) = memory::remember(
            conn,
            organisation,
            actor.caller.user_id,
            kind.key(),
            &table,
            &mapping,
        ) {
            tracing::warn!(error = %e, "the import's mapping was not kept");
        }
    }
    Ok(report)
}

/// Each row's plan, and the problems of the rows that cannot be planned.
fn plan_rows(
    look: &Lookups,
    kind: Kind,
    table: &tabular::Table,
    columns: &tabular::Columns,
    mapping: &Mapping,
) -> (Vec<(usize, Planned)>, Vec<tabular::RowProblem>) {
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    for row in &table.rows {
        let mut r = RowReader {
            table,
            columns,
            mapping,
            row,
            problems: &mut problems,
        };
        let p = match kind {
            Kind::Actions => plan_action(look, &mut r),
            Kind::Readings => plan_reading(look, &mut r),
        };
        if let Some(p) = p {
            planned.push((row.number, p));
        }
    }
    (planned, problems)
}

/// What rows name: the workspace's member organisations, actions and measures.
struct Lookups {
    owner: i64,
    members: Names<i64>,
    actions: Vec<WsAction>,
    measures: Vec<Measure>,
    /// The readings recorded: (measure, year, quarter) → (value, note).
    readings: std::collections::HashMap<(i64, i32, i32), (f64, String)>,
}

impl Lookups {
    fn of(conn: &mut DbConn, access: &Access, caller: &Caller) -> AppResult<Lookups> {
        let members: Vec<(i64, String, String)> = workspace_members::table
            .inner_join(
                organisations::table.on(organisations::id.eq(workspace_members::organisation_id)),
            )
            .filter(workspace_members::workspace_id.eq(access.ws.id))
            .select((organisations::id, organisations::name, organisations::slug))
            .load(conn)?;
        Ok(Lookups {
            owner: caller.organisation_id,
            members: Names::new(members.into_iter().map(|(id, n, s)| (id, n, vec![s]))),
            actions: crate::schema::actions::table
                .filter(crate::schema::actions::workspace_id.eq(access.ws.id))
                .select(WsAction::as_select())
                .load(conn)?,
            measures: queries::measures_for(conn, access.ws.id)?,
            readings: readings::table
                .inner_join(crate::schema::measures::table)
                .filter(crate::schema::measures::workspace_id.eq(access.ws.id))
                .select((
                    readings::measure_id,
                    readings::year,
                    readings::quarter,
                    readings::value,
                    readings::note,
                ))
                .load::<(i64, i32, i32, f64, String)>(conn)?
                .into_iter()
                .map(|(m, y, q, v, n)| ((m, y, q), (v, n)))
                .collect(),
        })
    }
}

fn plan_action(look: &Lookups, r: &mut RowReader) -> Option<Planned> {
    let title = r.get("title");
    if title.is_empty() {
        r.fail("title", "Enter the action");
        return None;
    }
    let existing = look
        .actions
        .iter()
        .find(|a| normalise(&a.title) == normalise(&title))
        .cloned();
    let mut input = existing
        .as_ref()
        .map(ActionInput::of)
        .unwrap_or_else(|| ActionInput {
            owner_organisation_id: look.owner.to_string(),
            ..ActionInput::starting()
        });
    input.title = title;
    if r.has("description") {
        input.description = r.get("description");
    }
    if r.has("owner") && !r.get("owner").is_empty() {
        let owner = r.get("owner");
        match look.members.find(&r.meant("owner", &owner)) {
            Found::One(id) => {
                input.owner_organisation_id = id.to_string();
                input.owner_user_id = String::new();
            }
            Found::Many(_) => r.fail(
                "owner",
                &format!(
                    "\"{owner}\" could be more than one member organisation: write its full name"
                ),
            ),
            Found::None => r.fail(
                "owner",
                &format!("\"{owner}\" is not an organisation in this workspace"),
            ),
        }
    }
    if let Some(d) = date_of(r, "start_date") {
        input.start_date = d;
    }
    if let Some(d) = date_of(r, "due_date") {
        input.due_date = d;
    }
    let labels = |all: &'static [ActionStatus]| all.iter().map(|s| s.label());
    if let Some(s) = r.choice("status", fields::status, labels(ActionStatus::ALL)) {
        input.status = s.as_str().into();
    }
    if let Some(g) = r.choice("rag", fields::rag, Rag::ALL.iter().map(|g| g.label())) {
        input.rag = g.as_str().into();
    }
    match fields::progress(&r.cell("progress")) {
        Ok(Some(p)) => input.progress = p.to_string(),
        Ok(None) => {}
        Err(m) => r.fail("progress", &m),
    }
    if r.has("rag_reason") {
        input.rag_reason = r.get("rag_reason");
    }
    let changes = existing
        .as_ref()
        .map(|a| action_changes(a, &input))
        .unwrap_or_default();
    Some(Planned::Action(
        existing.map(Box::new),
        Box::new(input),
        changes,
    ))
}

/// A date column's value as the form takes it (empty for a blank cell); none when the file
/// has no such column or the value is not a date (noted).
fn date_of(r: &mut RowReader, field: &str) -> Option<String> {
    if !r.has(field) {
        return None;
    }
    match tabular::values::date(&r.cell(field)) {
        Ok(d) => Some(d.map(|d| d.to_string()).unwrap_or_default()),
        Err(m) => {
            r.fail(field, &m);
            None
        }
    }
}

fn action_changes(a: &WsAction, input: &ActionInput) -> Vec<FieldChange> {
    let old = ActionInput::of(a);
    [
        ("Description", &old.description, &input.description),
        (
            "Owner",
            &old.owner_organisation_id,
            &input.owner_organisation_id,
        ),
        ("Start date", &old.start_date, &input.start_date),
        ("Due date", &old.due_date, &input.due_date),
        ("Status", &old.status, &input.status),
        ("Progress", &old.progress, &input.progress),
        ("RAG", &old.rag, &input.rag),
        ("RAG reason", &old.rag_reason, &input.rag_reason),
    ]
    .into_iter()
    .filter(|(_, o, n)| o != n)
    .map(|(field, o, n)| FieldChange {
        field: field.into(),
        old: o.clone(),
        new: n.clone(),
    })
    .collect()
}

fn plan_reading(look: &Lookups, r: &mut RowReader) -> Option<Planned> {
    let name = r.get("measure");
    let measure = look
        .measures
        .iter()
        .find(|m| normalise(&m.name) == normalise(&r.meant("measure", &name)));
    let Some(measure) = measure.cloned() else {
        let names: Vec<String> = look.measures.iter().map(|m| m.name.clone()).collect();
        let message = format!("\"{name}\" is not a measure of this workspace");
        r.problem("measure", &name, &message, names);
        return None;
    };
    let quarter = match fields::quarter(&r.cell("quarter")) {
        Ok(q) => q,
        Err(m) => {
            r.fail("quarter", &m);
            return None;
        }
    };
    let value = r.get("value").trim_end_matches('%').trim().replace(',', "");
    if value.parse::<f64>().map(f64::is_finite) != Ok(true) {
        let found = r.get("value");
        r.fail("value", &format!("\"{found}\" is not a number"));
        return None;
    }
    let note = r.get("note");
    let stored = look
        .readings
        .get(&(measure.id, quarter.year, quarter.quarter))
        .cloned();
    let same = stored
        .as_ref()
        .is_some_and(|(v, n)| Ok(*v) == value.parse::<f64>() && (*n == note || !r.has("note")));
    let old = stored.as_ref().map(|(v, _)| *v);
    let note = match (r.has("note"), stored) {
        (false, Some((_, kept))) => kept,
        _ => note,
    };
    let input = ReadingInput {
        quarter: quarter.label(),
        value,
        note,
    };
    Some(Planned::Reading(measure, quarter, input, old, same))
}

fn write(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    row: usize,
    p: &Planned,
) -> AppResult<Change> {
    let change = |action, title: String, fields| Change {
        row,
        action,
        reference: String::new(),
        title,
        fields,
    };
    Ok(match p {
        Planned::Action(None, input, _) => {
            actions::create_action(conn, actor, access, input)?;
            change(Action::Create, input.title.clone(), Vec::new())
        }
        Planned::Action(Some(a), _, fields) if fields.is_empty() => {
            change(Action::Unchanged, a.title.clone(), Vec::new())
        }
        Planned::Action(Some(a), input, fields) => {
            actions::update_action(conn, actor, access, a.id, input)?;
            change(Action::Update, a.title.clone(), fields.clone())
        }
        Planned::Reading(m, q, _, _, true) => change(
            Action::Unchanged,
            format!("{} for {}", m.name, q.label()),
            Vec::new(),
        ),
        Planned::Reading(m, q, input, old, false) => {
            measures::record_reading(conn, actor, access, m.id, input)?;
            let title = format!("{} for {}", m.name, q.label());
            match old {
                None => change(Action::Create, title, Vec::new()),
                Some(old) => change(
                    Action::Update,
                    title,
                    vec![FieldChange {
                        field: "Value".into(),
                        old: old.to_string(),
                        new: input.value.clone(),
                    }],
                ),
            }
        }
    })
}
