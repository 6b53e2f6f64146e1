//! Reading a row's cells that name things and amounts: the stage it asks for, partner
//! organisations and the theme by name, savings figures with their year, and what a row
//! changes in an opportunity it updates, field by field.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::fields;
use super::plan::{labels, Lookups};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::opportunities::model::*;
use crate::opportunities::service::{Actor, OpportunityInput};
use crate::schema::savings;
use crate::tabular::values::{self, Found};
use crate::tabular::{FieldChange, RowReader};

/// The stage the row asks for, if the importer may set it and the opportunity may move there.
pub(super) fn stage_of(
    actor: &Actor,
    r: &mut RowReader,
    existing: Option<&Opportunity>,
) -> Option<Stage> {
    let stage = r.choice("stage", fields::stage, labels(Stage::ALL, Stage::label))?;
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

/// Partner organisations by name, short name or initials, several to a cell; without the
/// column, an update keeps its partners.
pub(super) fn partners_of(
    lookups: &Lookups,
    r: &mut RowReader,
    old: &[(i64, String)],
) -> Vec<String> {
    if !r.has("partners") {
        return old.iter().map(|(id, _)| id.to_string()).collect();
    }
    let name = |id: &i64| lookups.organisation_name(*id);
    let text = r.get("partners");
    let one = |piece: &str| {
        matches!(
            lookups.organisations.find(&r.meant("partners", piece)),
            Found::One(_)
        )
    };
    let pieces = values::list(&text, one);
    let mut partners = Vec::new();
    for piece in pieces {
        match lookups.organisations.find(&r.meant("partners", &piece)) {
            Found::One(id) if id == lookups.lead => {}
            Found::One(id) => {
                if !partners.contains(&id.to_string()) {
                    partners.push(id.to_string());
                }
            }
            Found::Many(ids) => {
                let names: Vec<String> = ids.iter().map(name).collect();
                let message = format!("\"{piece}\" could be {}: choose which", names.join(" or "));
                r.problem("partners", &piece, &message, names);
            }
            Found::None => {
                let message = format!("No organisation is called \"{piece}\"");
                r.problem("partners", &piece, &message, Vec::new());
            }
        }
    }
    partners
}

/// The theme workspace by name or short name; without the column, an update keeps its theme.
pub(super) fn theme_of(
    lookups: &Lookups,
    r: &mut RowReader,
    existing: Option<&Opportunity>,
) -> String {
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
    match lookups.themes.find(&r.meant("theme", &theme)) {
        Found::One(id) => id.to_string(),
        Found::Many(ids) => {
            let names: Vec<String> = ids
                .iter()
                .filter_map(|id| lookups.theme_names.get(id).cloned())
                .collect();
            let message = format!("\"{theme}\" could be {}: choose which", names.join(" or "));
            r.problem("theme", &theme, &message, names);
            String::new()
        }
        Found::None => {
            r.fail(
                "theme",
                &format!("No workspace you can see is called \"{theme}\""),
            );
            String::new()
        }
    }
}

/// A financial year as people write it: 2026/27, 2026-27, 2026/2027, FY26/27.
pub(super) fn financial_year(text: &str) -> Result<i32, &'static str> {
    let digits: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|d| !d.is_empty())
        .collect();
    let first = match digits.first() {
        Some(d) if d.len() == 2 => format!("20{d}"),
        Some(d) => d.to_string(),
        None => String::new(),
    };
    let label = match digits.get(1) {
        Some(second) => format!("{first}/{second}"),
        None => first,
    };
    parse_financial_year(&label)
}

/// The row's savings figures: (financial year, kind, cashable if the row says, pence); a zero
/// is no figure.
pub(super) fn savings_of(
    lookups: &Lookups,
    r: &mut RowReader,
) -> Vec<(i32, SavingKind, Option<bool>, i64)> {
    let mut amounts = Vec::new();
    let mut filled = false;
    for (field, kind) in [
        ("estimated_savings", SavingKind::Estimated),
        ("validated_savings", SavingKind::Validated),
        ("realised_savings", SavingKind::Realised),
    ] {
        filled |= !r.cell(field).is_blank();
        match values::pence(&r.cell(field), r.columns.unit(field)) {
            Ok(Some(pence)) if pence > 0 => amounts.push((kind, pence)),
            Ok(_) => {}
            Err(message) => r.fail(field, &message),
        }
    }
    if !filled {
        return Vec::new();
    }
    let year = if r.has("financial_year") {
        match financial_year(&r.get("financial_year")) {
            Ok(y) => Some(y),
            Err(m) => {
                r.fail("financial_year", m);
                None
            }
        }
    } else {
        Some(lookups.default_year)
    };
    let cashable = match values::yes_no(&r.cell("cashable")) {
        Ok(c) => c,
        Err(m) => {
            r.fail("cashable", &m);
            None
        }
    };
    match year {
        Some(year) => amounts
            .into_iter()
            .map(|(kind, pence)| (year, kind, cashable, pence))
            .collect(),
        None => Vec::new(),
    }
}

/// What a row changes in one of the importer's opportunities, field by field.
pub(super) fn changes(
    conn: &mut DbConn,
    lookups: &Lookups,
    o: &Opportunity,
    old_partners: &[(i64, String)],
    input: &OpportunityInput,
    stage: Option<Stage>,
    savings: &[(i32, SavingKind, Option<bool>, i64)],
) -> AppResult<Vec<FieldChange>> {
    let mut out = Vec::new();
    detail_changes(lookups, o, old_partners, input, &mut out);
    if let Some(to) = stage {
        differs(&mut out, "Stage", o.stage.label(), to.label());
    }
    savings_changes(conn, lookups, o.id, savings, &mut out)?;
    Ok(out)
}

fn differs(
    out: &mut Vec<FieldChange>,
    field: &str,
    old: impl Into<String>,
    new: impl Into<String>,
) {
    let (old, new) = (old.into(), new.into());
    if old != new {
        out.push(FieldChange {
            field: field.into(),
            old,
            new,
        });
    }
}

/// The label of a stored value, as the form shows it.
fn label<T>(
    code: &str,
    parse: fn(&str) -> Result<T, &'static str>,
    label: fn(T) -> &'static str,
) -> &'static str {
    parse(code).map(label).unwrap_or_default()
}

fn detail_changes(
    lookups: &Lookups,
    o: &Opportunity,
    old_partners: &[(i64, String)],
    input: &OpportunityInput,
    out: &mut Vec<FieldChange>,
) {
    let stored = OpportunityInput::of(o, old_partners);
    for t in fields::TEXTS {
        differs(
            out,
            fields::label_of(t.name),
            (t.get)(&stored),
            (t.get)(input),
        );
    }
    differs(
        out,
        "Service area",
        o.service_area.label(),
        label(&input.service_area, ServiceArea::parse, ServiceArea::label),
    );
    differs(
        out,
        "Type",
        o.kind.label(),
        label(&input.kind, OpportunityKind::parse, OpportunityKind::label),
    );
    differs(
        out,
        "Who can see it",
        o.visibility.label(),
        label(
            &input.visibility,
            OpportunityVisibility::parse,
            OpportunityVisibility::label,
        ),
    );
    let theme = |id: Option<i64>| {
        id.and_then(|id| lookups.theme_names.get(&id).cloned())
            .unwrap_or_default()
    };
    differs(
        out,
        "Theme",
        theme(o.workspace_id),
        theme(input.workspace_id.parse().ok()),
    );
    let mut before: Vec<String> = old_partners.iter().map(|(_, n)| n.clone()).collect();
    let mut after: Vec<String> = input
        .partners
        .iter()
        .filter_map(|id| id.parse::<i64>().ok())
        .filter_map(|id| lookups.organisation_names.get(&id).cloned())
        .collect();
    before.sort();
    after.sort();
    differs(out, "Partners", before.join(", "), after.join(", "));
}

/// Each figure the row gives against the one stored for that year and kind.
fn savings_changes(
    conn: &mut DbConn,
    lookups: &Lookups,
    id: i64,
    savings: &[(i32, SavingKind, Option<bool>, i64)],
    out: &mut Vec<FieldChange>,
) -> AppResult<()> {
    if savings.is_empty() {
        return Ok(());
    }
    let stored: BTreeMap<(i32, String), i64> = savings::table
        .filter(savings::opportunity_id.eq(id))
        .filter(savings::organisation_id.eq(lookups.lead))
        .select((
            savings::financial_year,
            savings::kind,
            savings::amount_pence,
        ))
        .load::<(i32, String, i64)>(conn)?
        .into_iter()
        .map(|(y, k, p)| ((y, k), p))
        .collect();
    for (year, kind, _, pence) in savings {
        let old = stored
            .get(&(*year, kind.as_str().to_string()))
            .map(|p| format_pence(*p))
            .unwrap_or_default();
        let field = format!("{} savings {}", kind.label(), financial_year_label(*year));
        differs(out, &field, old, format_pence(*pence));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_years_read_as_written() {
        assert_eq!(financial_year("2026/27"), Ok(2026));
        assert_eq!(financial_year("2026-27"), Ok(2026));
        assert_eq!(financial_year("2026/2027"), Ok(2026));
        assert_eq!(financial_year("FY26/27"), Ok(2026));
        assert!(financial_year("2026/29").is_err());
        assert!(financial_year("soon").is_err());
    }
}
