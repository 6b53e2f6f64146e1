//! Planning an import: every row is checked and matched against the importer's own
//! opportunities before anything is written. A row with the reference (or, without one,
//! the title) of one of the importer's own opportunities updates it; any other row is a new
//! opportunity. A reference held by another organisation is answered exactly as a free one,
//! so an import tells nothing of others. A row the file itself says another organisation
//! leads (its `lead_organisation`, as in the whole register's export) is skipped and listed,
//! so a council can import the export it downloaded.

use std::collections::HashMap;

use diesel::prelude::*;

use super::import::{RowProblem, Skipped};
use super::sheet::{undefuse, Sheet};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::opportunities::service::{Actor, OpportunityInput};
use crate::schema::{opportunities, organisations};

/// One column an import reads: its heading, what to put in it, and the template's example.
pub struct Column {
    pub name: &'static str,
    pub about: &'static str,
    pub example: &'static str,
}

/// The columns a file may have, in the template's order. `title`, `summary`,
/// `service_area` and `type` are required.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "reference",
        about: "Like OPP-0042. A row whose reference (or, without one, whose title) matches one of your opportunities updates it; otherwise a new opportunity is made with the next free reference.",
        example: "",
    },
    Column {
        name: "your_reference",
        about: "Optional: your organisation's own reference for it, like DCC-SS-014, kept as it is and found by the search.",
        example: "",
    },
    Column {
        name: "title",
        about: "Required.",
        example: "Shared legal services",
    },
    Column {
        name: "summary",
        about: "Required. Markdown allowed.",
        example: "One legal team for both cities",
    },
    Column {
        name: "service_area",
        about: "Required: legal, procurement, ict_digital, hr_payroll, finance, highways_transport, waste, property_facilities, customer_services, social_care, public_health, regeneration or other.",
        example: "legal",
    },
    Column {
        name: "type",
        about: "Required: shared_service, joint_procurement, shared_staff, co_location, income_generation, joint_bid or other.",
        example: "shared_service",
    },
    Column {
        name: "stage",
        about: "idea, under_assessment, business_case, approved, in_delivery, realised, on_hold or declined. New rows start here; existing ones must make an allowed move.",
        example: "under_assessment",
    },
    Column {
        name: "visibility",
        about: "draft (your organisation only, the default), partnership or public.",
        example: "partnership",
    },
    Column {
        name: "lead_organisation",
        about: "Empty or your organisation's short name: imports are led by your organisation. A row another organisation leads (as in the whole register's export) is skipped and listed.",
        example: "",
    },
    Column {
        name: "partners",
        about: "Short names of partner organisations, separated by ; (like nottingham;derbyshire).",
        example: "nottingham",
    },
    Column {
        name: "theme",
        about: "A workspace's short name, like transport-connectivity.",
        example: "",
    },
    Column {
        name: "financial_year",
        about: "Like 2026/27. Needed when a savings column is filled.",
        example: "2026/27",
    },
    Column {
        name: "estimated_savings",
        about: "Pounds, like £12,500.00 or 12500. Importing again replaces that year's figure.",
        example: "£120,000.00",
    },
    Column {
        name: "validated_savings",
        about: "Pounds, like £12,500.00 or 12500. Importing again replaces that year's figure.",
        example: "",
    },
    Column {
        name: "realised_savings",
        about: "Pounds, like £12,500.00 or 12500. Importing again replaces that year's figure.",
        example: "",
    },
    Column {
        name: "cashable",
        about: "yes (the default) or no.",
        example: "yes",
    },
];

pub(super) struct Planned {
    pub(super) row: usize,
    pub(super) existing: Option<Opportunity>,
    pub(super) input: OpportunityInput,
    pub(super) stage: Option<Stage>,
    pub(super) savings: Vec<(i32, SavingKind, bool, i64)>,
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

/// What rows name by short name: organisations, and the workspaces the importer can see.
struct Lookups {
    lead: i64,
    lead_slug: String,
    organisations: HashMap<String, i64>,
    themes: HashMap<String, i64>,
}

fn lookups(conn: &mut DbConn, actor: &Actor) -> AppResult<Lookups> {
    let lead = actor.caller.organisation_id;
    let organisations: HashMap<String, i64> = organisations::table
        .select((organisations::slug, organisations::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let lead_slug = organisations
        .iter()
        .find(|(_, id)| **id == lead)
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    let themes = crate::workspaces::queries::list_visible(conn, Some(actor.caller))?
        .into_iter()
        .filter(|a| !a.ws.is_archived())
        .map(|a| (a.ws.slug, a.ws.id))
        .collect();
    Ok(Lookups {
        lead,
        lead_slug,
        organisations,
        themes,
    })
}

/// One row as the checks read it: its cells by column name, and the problems found so far.
struct RowReader<'a> {
    headers: &'a [String],
    row: usize,
    cells: &'a [String],
    problems: &'a mut Vec<RowProblem>,
}

impl RowReader<'_> {
    fn has(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h == name)
    }

    fn get(&self, name: &str) -> String {
        self.headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.cells.get(i))
            .map(|v| undefuse(v.trim()).to_string())
            .unwrap_or_default()
    }

    fn fail(&mut self, column: &str, message: &str) {
        self.problems.push(RowProblem {
            row: self.row,
            column: column.into(),
            message: message.into(),
        });
    }

    /// The value of `column` parsed by `parse`; none when blank or not valid (noted).
    fn choice<T>(&mut self, column: &str, parse: fn(&str) -> Result<T, &'static str>) -> Option<T> {
        let value = self.get(column);
        if value.is_empty() {
            return None;
        }
        match parse(&value) {
            Ok(v) => Some(v),
            Err(m) => {
                self.fail(column, m);
                None
            }
        }
    }
}

/// The rows to write, and the rows led by others that are passed over.
pub(super) struct Plan {
    pub rows: Vec<Planned>,
    pub skipped: Vec<Skipped>,
}

/// Checks every row; returns the plan, or every problem found.
pub(super) fn plan(
    conn: &mut DbConn,
    actor: &Actor,
    sheet: &Sheet,
) -> AppResult<Result<Plan, Vec<RowProblem>>> {
    let lookups = lookups(conn, actor)?;
    let mut problems = Vec::new();
    let mut plan = Plan {
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &sheet.rows {
        let mut reader = RowReader {
            headers: &sheet.headers,
            row: *row,
            cells,
            problems: &mut problems,
        };
        let lead = reader.get("lead_organisation");
        if !lead.is_empty() && !lead.eq_ignore_ascii_case(&lookups.lead_slug) {
            plan.skipped.push(Skipped {
                row: *row,
                reference: reader.get("reference"),
                title: reader.get("title"),
                message: format!("Led by {lead}: not yours, skipped"),
            });
            continue;
        }
        plan.rows
            .push(plan_row(conn, actor, &lookups, &mut reader, &mut seen)?);
    }
    Ok(if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    })
}

fn plan_row(
    conn: &mut DbConn,
    actor: &Actor,
    lookups: &Lookups,
    r: &mut RowReader,
    seen: &mut HashMap<String, usize>,
) -> AppResult<Planned> {
    let existing = match_row(conn, lookups, r, seen)?;
    check_text(r);
    let visibility = match (&existing, r.has("visibility")) {
        (Some(o), false) => o.visibility.to_string(),
        _ => Some(r.get("visibility"))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "draft".into()),
    };
    if let Err(m) = OpportunityVisibility::parse(&visibility) {
        r.fail("visibility", m);
    }
    let stage = stage_of(actor, r, existing.as_ref());
    let partners = partners_of(conn, lookups, r, existing.as_ref())?;
    let workspace_id = theme_of(lookups, r, existing.as_ref());
    let savings = savings_of(r);
    let input = OpportunityInput {
        title: r.get("title"),
        summary: r.get("summary"),
        service_area: r.get("service_area"),
        kind: r.get("type"),
        visibility,
        workspace_id,
        contact_user_id: existing
            .as_ref()
            .and_then(|o| o.contact_user_id)
            .map(|v| v.to_string())
            .unwrap_or_default(),
        partners,
        your_reference: match (&existing, r.has("your_reference")) {
            (Some(o), false) => o.your_reference.clone(),
            _ => r.get("your_reference"),
        },
    };
    Ok(Planned {
        row: r.row,
        existing,
        input,
        stage,
        savings,
    })
}

/// The importer's own opportunity the row updates, if any; its reference is checked for
/// form and for appearing twice in the file.
fn match_row(
    conn: &mut DbConn,
    lookups: &Lookups,
    r: &mut RowReader,
    seen: &mut HashMap<String, usize>,
) -> AppResult<Option<Opportunity>> {
    let reference = r.get("reference");
    let mut named = None;
    if !reference.is_empty() {
        if !valid_reference(&reference) {
            r.fail("reference", "A reference looks like OPP-0042");
        } else if let Some(first) = seen.insert(reference.clone(), r.row) {
            r.fail(
                "reference",
                &format!("This reference is also on row {first}"),
            );
        } else {
            named = Some(reference.as_str());
        }
    }
    Ok(
        match own_match(conn, lookups.lead, named, &r.get("title"))? {
            Ok(found) => found,
            Err(message) => {
                r.fail("reference", message);
                None
            }
        },
    )
}

/// Title, summary, service area and type present and valid; they and the council's own
/// reference not too long.
fn check_text(r: &mut RowReader) {
    for (column, max, missing) in [
        ("title", 200, "Enter a title"),
        ("summary", 5000, "Enter a summary"),
        ("your_reference", 60, ""),
    ] {
        let value = r.get(column);
        if value.is_empty() {
            if !missing.is_empty() {
                r.fail(column, missing);
            }
        } else if crate::validate::has_control_characters(&value) {
            r.fail(column, crate::validate::CONTROL_CHARACTERS);
        } else if value.chars().count() > max {
            r.fail(column, &format!("Must be {max} characters or fewer"));
        }
    }
    if let Err(m) = ServiceArea::parse(&r.get("service_area")) {
        r.fail("service_area", m);
    }
    if let Err(m) = OpportunityKind::parse(&r.get("type")) {
        r.fail("type", m);
    }
}

/// The stage the row asks for, if the importer may set it and the opportunity may move there.
fn stage_of(actor: &Actor, r: &mut RowReader, existing: Option<&Opportunity>) -> Option<Stage> {
    let stage = r.choice("stage", Stage::parse)?;
    if stage != Stage::Idea && crate::authz::place_own_opportunities(actor.caller).is_err() {
        r.fail(
            "stage",
            "Only staff, leaders and administrators set the stage",
        );
    }
    if let Some(o) = existing {
        let from = o.stage;
        if from != stage && !from.can_move_to(stage) {
            let message = format!(
                "An opportunity cannot move from {} to {}",
                from.label(),
                stage.label()
            );
            r.fail("stage", &message);
        }
    }
    Some(stage)
}

/// Partner organisations by short name; without the column, an update keeps its partners.
fn partners_of(
    conn: &mut DbConn,
    lookups: &Lookups,
    r: &mut RowReader,
    existing: Option<&Opportunity>,
) -> AppResult<Vec<String>> {
    if let (Some(o), false) = (existing, r.has("partners")) {
        return Ok(queries::partners(conn, o.id)?
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect());
    }
    let mut partners = Vec::new();
    for slug in r
        .get("partners")
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match lookups.organisations.get(slug) {
            Some(id) => partners.push(id.to_string()),
            None => r.fail(
                "partners",
                &format!("No organisation has the short name {slug}"),
            ),
        }
    }
    Ok(partners)
}

/// The theme workspace by short name; without the column, an update keeps its theme.
fn theme_of(lookups: &Lookups, r: &mut RowReader, existing: Option<&Opportunity>) -> String {
    if !r.has("theme") {
        return existing
            .and_then(|o| o.workspace_id)
            .map(|id| id.to_string())
            .unwrap_or_default();
    }
    let theme = r.get("theme");
    if theme.is_empty() {
        return String::new();
    }
    match lookups.themes.get(&theme) {
        Some(id) => id.to_string(),
        None => {
            r.fail(
                "theme",
                &format!("No workspace you can see has the short name {theme}"),
            );
            String::new()
        }
    }
}

/// The row's savings figures: (financial year, kind, cashable, pence).
fn savings_of(r: &mut RowReader) -> Vec<(i32, SavingKind, bool, i64)> {
    let amounts = [
        ("estimated_savings", SavingKind::Estimated),
        ("validated_savings", SavingKind::Validated),
        ("realised_savings", SavingKind::Realised),
    ];
    if amounts.iter().all(|(c, _)| r.get(c).is_empty()) {
        return Vec::new();
    }
    let year = match parse_financial_year(&r.get("financial_year")) {
        Ok(y) => Some(y),
        Err(m) => {
            r.fail("financial_year", m);
            None
        }
    };
    let cashable = match r.get("cashable").to_ascii_lowercase().as_str() {
        "" | "yes" | "y" | "true" => true,
        "no" | "n" | "false" => false,
        _ => {
            r.fail("cashable", "Write yes or no");
            true
        }
    };
    let mut savings = Vec::new();
    for (column, kind) in amounts {
        let Some(pence) = r.choice(column, parse_pence) else {
            continue;
        };
        if let Some(year) = year {
            savings.push((year, kind, cashable, pence));
        }
    }
    savings
}
