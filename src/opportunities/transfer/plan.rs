//! Planning an import: every row is read through the confirmed mapping, its values
//! understood as the council wrote them, and matched against the importer's own
//! opportunities before anything is written. A row with the reference of one of the
//! importer's opportunities, or the same title, updates it; a row whose title only resembles
//! one is never merged silently: it is a problem offering "update OPP-0010" or "new" until
//! the person chooses. Any other row is a new opportunity. A reference held by another
//! organisation is answered exactly as a free one, so an import tells nothing of others. A
//! row the file says another organisation leads (as in the whole register's export) is
//! skipped and listed, so a council can import the export it downloaded.

use std::collections::HashMap;

use diesel::prelude::*;

use super::fields;
use super::reading::{changes, partners_of, savings_of, stage_of, theme_of};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::opportunities::service::{Actor, OpportunityInput};
use crate::schema::{opportunities, organisations};
use crate::tabular::values::{normalise, Found, Names};
use crate::tabular::{Columns, FieldChange, Mapping, RowProblem, RowReader, Skipped, Table};

/// How alike two titles must be (Sørensen–Dice on their letters) to be offered as the same.
const RESEMBLES: f64 = 0.7;

pub(super) struct Planned {
    pub(super) row: usize,
    pub(super) existing: Option<Opportunity>,
    pub(super) input: OpportunityInput,
    pub(super) stage: Option<Stage>,
    pub(super) savings: Vec<(i32, SavingKind, Option<bool>, i64)>,
    /// For a row that updates: what it changes.
    pub(super) changes: Vec<FieldChange>,
}

/// References keep their one form: OPP- and at least four digits.
pub fn valid_reference(value: &str) -> bool {
    value
        .strip_prefix("OPP-")
        .is_some_and(|n| n.len() >= 4 && n.len() <= 9 && n.chars().all(|c| c.is_ascii_digit()))
}

/// What rows name: organisations, the workspaces the importer can see, and the importer's
/// own opportunities.
pub(super) struct Lookups {
    pub(super) lead: i64,
    pub(super) organisations: Names<i64>,
    pub(super) organisation_names: HashMap<i64, String>,
    pub(super) themes: Names<i64>,
    pub(super) theme_names: HashMap<i64, String>,
    pub(super) own: Vec<Opportunity>,
    /// The financial year savings count in when the file gives none.
    pub(super) default_year: i32,
}

impl Lookups {
    pub(super) fn organisation_name(&self, id: i64) -> String {
        self.organisation_names
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }
}

fn lookups(conn: &mut DbConn, actor: &Actor) -> AppResult<Lookups> {
    let lead = actor.caller.organisation_id;
    let orgs: Vec<(i64, String, String)> = organisations::table
        .select((organisations::id, organisations::name, organisations::slug))
        .load(conn)?;
    let themes: Vec<(i64, String, String)> =
        crate::workspaces::queries::list_visible(conn, Some(actor.caller))?
            .into_iter()
            .filter(|a| !a.ws.is_archived())
            .map(|a| (a.ws.id, a.ws.name, a.ws.slug))
            .collect();
    let own = opportunities::table
        .filter(opportunities::lead_organisation_id.eq(lead))
        .select(Opportunity::as_select())
        .order(opportunities::id.asc())
        .load(conn)?;
    let today = chrono::Utc::now().date_naive();
    let default_year =
        chrono::Datelike::year(&today) - i32::from(chrono::Datelike::month(&today) < 4);
    Ok(Lookups {
        lead,
        organisations: Names::new(
            orgs.iter()
                .map(|(id, n, s)| (*id, n.clone(), vec![s.clone()])),
        ),
        organisation_names: orgs.into_iter().map(|(id, n, _)| (id, n)).collect(),
        themes: Names::new(
            themes
                .iter()
                .map(|(id, n, s)| (*id, n.clone(), vec![s.clone()])),
        ),
        theme_names: themes.into_iter().map(|(id, n, _)| (id, n)).collect(),
        own,
        default_year,
    })
}

/// The rows to write, and the rows passed over.
pub(super) struct Plan {
    pub rows: Vec<Planned>,
    pub skipped: Vec<Skipped>,
}

/// Every problem found, with the rows passed over.
pub(super) type Refused = (Vec<RowProblem>, Vec<Skipped>);

/// Checks every row; returns the plan, or every problem found (with the rows passed over).
/// The mapping's matches hold the person's choices for rows whose title resembles one of
/// their opportunities: a reference, or "new".
pub(super) fn plan(
    conn: &mut DbConn,
    actor: &Actor,
    table: &Table,
    columns: &Columns,
    mapping: &Mapping,
) -> AppResult<Result<Plan, Refused>> {
    let lookups = lookups(conn, actor)?;
    let mut problems = Vec::new();
    let mut plan = Plan {
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut updated_by: HashMap<i64, usize> = HashMap::new();
    for row in &table.rows {
        let mut r = RowReader {
            table,
            columns,
            mapping,
            row,
            problems: &mut problems,
        };
        if let Some(message) = led_by_another(&lookups, &mut r) {
            plan.skipped.push(Skipped {
                row: row.number,
                reference: r.get("reference"),
                title: r.get("title"),
                message,
            });
            continue;
        }
        let planned = plan_row(conn, actor, &lookups, &mut r, &mut seen)?;
        if let Some(o) = &planned.existing {
            if let Some(first) = updated_by.insert(o.id, row.number) {
                let message = format!(
                    "Row {first} also updates {}: one row an opportunity",
                    o.reference
                );
                let title = r.get("title");
                r.problem("title", &title, &message, Vec::new());
            }
        }
        plan.rows.push(planned);
    }
    Ok(if problems.is_empty() {
        Ok(plan)
    } else {
        Err((problems, plan.skipped))
    })
}

/// Why the row is not the importer's to import, when the file names another lead.
fn led_by_another(lookups: &Lookups, r: &mut RowReader) -> Option<String> {
    let value = r.get("lead_organisation");
    if value.is_empty() {
        return None;
    }
    let name = |id: &i64| lookups.organisation_name(*id);
    match lookups
        .organisations
        .find(&r.meant("lead_organisation", &value))
    {
        Found::One(id) if id == lookups.lead => None,
        Found::One(id) => Some(format!("Led by {}: not yours, skipped", name(&id))),
        Found::Many(ids) if !ids.contains(&lookups.lead) => Some(format!(
            "Led by {value} ({}): not yours, skipped",
            ids.iter().map(name).collect::<Vec<_>>().join(" or ")
        )),
        Found::Many(ids) => {
            let names: Vec<String> = ids.iter().map(name).collect();
            let message = format!("\"{value}\" could be {}: choose which", names.join(" or "));
            r.problem("lead_organisation", &value, &message, names);
            None
        }
        Found::None => {
            r.fail(
                "lead_organisation",
                &format!("No organisation is called \"{value}\""),
            );
            None
        }
    }
}

fn plan_row(
    conn: &mut DbConn,
    actor: &Actor,
    lookups: &Lookups,
    r: &mut RowReader,
    seen: &mut HashMap<String, usize>,
) -> AppResult<Planned> {
    let existing = match_row(lookups, r, seen);
    check_text(r);
    let old_partners = match &existing {
        Some(o) => queries::partners(conn, o.id)?,
        None => Vec::new(),
    };
    // A blank cell (or no column) keeps what an update has; a new row is a draft.
    let visibility = r
        .choice(
            "visibility",
            fields::visibility,
            labels(OpportunityVisibility::ALL, OpportunityVisibility::label),
        )
        .or(existing.as_ref().map(|o| o.visibility));
    let stage = stage_of(actor, r, existing.as_ref());
    let partners = partners_of(lookups, r, &old_partners);
    let workspace_id = theme_of(lookups, r, existing.as_ref());
    let savings = savings_of(lookups, r);
    let service_area = r.choice(
        "service_area",
        fields::service_area,
        labels(ServiceArea::ALL, ServiceArea::label),
    );
    let kind = r.choice(
        "type",
        fields::kind,
        labels(OpportunityKind::ALL, OpportunityKind::label),
    );
    let code = |v: Option<&'static str>| v.unwrap_or_default().to_string();
    let mut input = OpportunityInput {
        service_area: code(service_area.map(ServiceArea::as_str)),
        kind: match (kind, r.get("type").is_empty()) {
            (Some(k), _) => k.as_str().to_string(),
            // Left blank (or no such column): an update keeps its type; a new row is Other,
            // as the column guide says.
            (None, true) => existing
                .as_ref()
                .map_or(OpportunityKind::Other, |o| o.kind)
                .as_str()
                .to_string(),
            (None, false) => String::new(),
        },
        visibility: code(Some(
            visibility.unwrap_or(OpportunityVisibility::Draft).as_str(),
        )),
        workspace_id,
        contact_user_id: existing
            .as_ref()
            .and_then(|o| o.contact_user_id)
            .map(|v| v.to_string())
            .unwrap_or_default(),
        partners,
        ..OpportunityInput::default()
    };
    let stored = existing
        .as_ref()
        .map(|o| OpportunityInput::of(o, &old_partners));
    read_texts(r, stored.as_ref(), &mut input);
    let changes = match &existing {
        Some(o) => changes(conn, lookups, o, &old_partners, &input, stage, &savings)?,
        None => Vec::new(),
    };
    Ok(Planned {
        row: r.row.number,
        existing,
        input,
        stage,
        savings,
        changes,
    })
}

pub(super) fn labels<T: Copy>(
    all: &'static [T],
    label: fn(T) -> &'static str,
) -> impl Iterator<Item = &'static str> {
    all.iter().map(move |v| label(*v))
}

/// The importer's own opportunity the row updates, if any: the one its reference names,
/// the one chosen for it, or the one with its title. A title that only resembles one of
/// theirs is a problem offering both until they choose.
fn match_row(
    lookups: &Lookups,
    r: &mut RowReader,
    seen: &mut HashMap<String, usize>,
) -> Option<Opportunity> {
    let reference = r.get("reference");
    if !reference.is_empty() {
        if !valid_reference(&reference) {
            r.fail("reference", "A reference looks like OPP-0042");
        } else if let Some(first) = seen.insert(reference.clone(), r.row.number) {
            r.fail(
                "reference",
                &format!("This reference is also on row {first}"),
            );
        } else if let Some(o) = lookups.own.iter().find(|o| o.reference == reference) {
            return Some(o.clone());
        }
    }
    let title = r.get("title");
    let wanted = normalise(&title);
    if wanted.is_empty() {
        return None;
    }
    match r.mapping.matches.get(&r.row.number).map(String::as_str) {
        Some("new") => return None,
        Some(chosen) => {
            if let Some(o) = lookups.own.iter().find(|o| o.reference == chosen) {
                return Some(o.clone());
            }
            let message = format!("{chosen} is not one of your opportunities");
            r.problem("title", &title, &message, Vec::new());
            return None;
        }
        None => {}
    }
    // So importing the same file twice does not duplicate what it added.
    let same: Vec<&Opportunity> = lookups
        .own
        .iter()
        .filter(|o| normalise(&o.title) == wanted)
        .collect();
    match same.len() {
        0 => {}
        1 => return Some(same[0].clone()),
        _ => {
            let choices = same
                .iter()
                .map(|o| o.reference.clone())
                .chain(["new".into()])
                .collect();
            r.problem("title", &title, "Several of your opportunities have this title: choose which this row updates, or add its reference", choices);
            return None;
        }
    }
    let alike = lookups
        .own
        .iter()
        .filter(|o| numbers(&o.title) == numbers(&title))
        .map(|o| (strsim::sorensen_dice(&normalise(&o.title), &wanted), o))
        .filter(|(score, _)| *score >= RESEMBLES)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, o)) = alike {
        let message = format!(
            "Looks like {} \"{}\": update it, or create a new opportunity",
            o.reference, o.title
        );
        r.problem(
            "title",
            &title,
            &message,
            vec![o.reference.clone(), "new".into()],
        );
    }
    None
}

/// The numbers in a title: "Phase 2" is not "Phase 3", however alike the words.
fn numbers(title: &str) -> Vec<&str> {
    title
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The row's text fields into `input`; an update (`stored`) whose file has no column for one
/// keeps what it holds.
fn read_texts(r: &RowReader, stored: Option<&OpportunityInput>, input: &mut OpportunityInput) {
    for t in fields::TEXTS {
        let value = match (stored, r.has(t.name)) {
            (Some(o), false) => (t.get)(o).to_string(),
            _ => r.get(t.name),
        };
        (t.set)(input, value);
    }
}

/// The text fields a row must give present, and none too long.
fn check_text(r: &mut RowReader) {
    for &fields::Text {
        name: field,
        max,
        missing,
        ..
    } in fields::TEXTS
    {
        let value = r.get(field);
        if value.is_empty() {
            if !missing.is_empty() {
                r.fail(field, missing);
            }
        } else if crate::validate::has_control_characters(&value) {
            r.fail(field, crate::validate::CONTROL_CHARACTERS);
        } else if value.chars().count() > max {
            r.fail(field, &format!("Must be {max} characters or fewer"));
        }
    }
    if r.get("service_area").is_empty() {
        r.fail("service_area", "Enter a service area");
    }
}
