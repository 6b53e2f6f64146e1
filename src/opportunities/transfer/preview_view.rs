//! What the import's preview page shows, built from the report: each column with the
//! field it fills as a form row, the values and rows that need a choice, the problems
//! grouped by column, the changes row by row, the skipped rows by reason.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fields::FIELDS;
use crate::tabular::{Action, Change, FieldChange, Report, RowProblem, Skipped, Unit};
use crate::web::{Choice, Crumb, FieldErrors};

/// How many rows of changes, and of one column's problems, the page shows at once.
const SHOWN: usize = 100;
const SHOWN_PER_COLUMN: usize = 10;

/// One column of the file, with the field it fills and its unit, as a form row.
#[derive(Serialize)]
struct ColumnRow {
    heading: String,
    examples: String,
    fields: Vec<Choice>,
    money: bool,
    units: Vec<Choice>,
}

/// A value that could mean several things, and what it could mean.
#[derive(Serialize)]
struct Meaning {
    name: String,
    label: String,
    value: String,
    rows: usize,
    options: Vec<Choice>,
}

/// A row whose title is like one of the importer's opportunities.
#[derive(Serialize)]
struct Alike {
    name: String,
    row: usize,
    value: String,
    message: String,
    options: Vec<Choice>,
}

/// One column's problems, the first few shown.
#[derive(Serialize)]
struct ProblemGroup {
    id: String,
    column: String,
    count: usize,
    shown: Vec<RowProblem>,
    more: usize,
}

/// Rows passed over for one reason.
#[derive(Serialize)]
struct SkipGroup {
    message: String,
    rows: String,
    count: usize,
    /// The first few titles of the rows, where they have one.
    titles: String,
}

#[derive(Serialize)]
struct ChangeRow {
    row: usize,
    action: &'static str,
    reference: String,
    title: String,
    fields: Vec<FieldChange>,
}

/// The preview page.
#[derive(Serialize)]
pub(super) struct PreviewView {
    title: &'static str,
    breadcrumbs: Vec<Crumb>,
    upload: String,
    filename: String,
    report: Report,
    /// The mapping previewed, as the confirm button sends it back.
    mapping_json: String,
    columns: Vec<ColumnRow>,
    meanings: Vec<Meaning>,
    alike: Vec<Alike>,
    problem_groups: Vec<ProblemGroup>,
    problem_count: usize,
    changes: Vec<ChangeRow>,
    more_changes: usize,
    skipped: Vec<SkipGroup>,
    errors: Option<FieldErrors>,
    done: bool,
}

fn field_choices(selected: Option<&str>) -> Vec<Choice> {
    std::iter::once(Choice::new("", "Not imported", selected.is_none()))
        .chain(
            FIELDS
                .iter()
                .map(|f| Choice::new(f.name, f.label, selected == Some(f.name))),
        )
        .collect()
}

fn unit_choices(selected: Unit) -> Vec<Choice> {
    [Unit::Pounds, Unit::Thousands, Unit::Millions]
        .into_iter()
        .map(|u| {
            let value = serde_json::to_value(u)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            Choice::new(&value, u.label(), u == selected)
        })
        .collect()
}

fn label_of(field: &str) -> String {
    FIELDS
        .iter()
        .find(|f| f.name == field)
        .map(|f| f.label.to_string())
        .unwrap_or_else(|| field.to_string())
}

/// Row numbers as people read a list of them: "4, 6–8, 12".
fn row_list(rows: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let start = rows[i];
        let mut end = start;
        while i + 1 < rows.len() && rows[i + 1] == end + 1 {
            i += 1;
            end = rows[i];
        }
        out.push(if end > start {
            format!("{start}–{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    out.join(", ")
}

fn columns_view(report: &Report) -> Vec<ColumnRow> {
    report
        .columns
        .iter()
        .map(|c| ColumnRow {
            heading: c.heading.clone(),
            examples: c.examples.join(" · "),
            fields: field_choices(c.field.as_deref()),
            money: c
                .field
                .as_deref()
                .is_some_and(|f| FIELDS.iter().any(|x| x.name == f && x.money)),
            units: unit_choices(c.unit.unwrap_or_default()),
        })
        .collect()
}

/// The problems that offer choices: values with a short list of meanings, once each; and
/// rows like existing opportunities, each.
fn choices_view(report: &Report) -> (Vec<Meaning>, Vec<Alike>) {
    let mut meanings: BTreeMap<(String, String), Meaning> = BTreeMap::new();
    let mut alike = Vec::new();
    for p in report.problems.iter().filter(|p| !p.choices.is_empty()) {
        if p.field == "title" {
            let options = p
                .choices
                .iter()
                .map(|c| {
                    let label = if c == "new" {
                        "Create a new opportunity".to_string()
                    } else {
                        format!("Update {c}")
                    };
                    Choice::new(c, &label, false)
                })
                .collect();
            alike.push(Alike {
                name: format!("match:{}", p.row),
                row: p.row,
                value: p.value.clone(),
                message: p.message.clone(),
                options,
            });
            continue;
        }
        let entry = meanings
            .entry((p.field.clone(), p.value.clone()))
            .or_insert_with(|| Meaning {
                name: format!("means:{}:{}", p.field, p.value),
                label: label_of(&p.field),
                value: p.value.clone(),
                rows: 0,
                options: std::iter::once(Choice::new("", "Choose", true))
                    .chain(p.choices.iter().map(|c| Choice::new(c, c, false)))
                    .collect(),
            });
        entry.rows += 1;
    }
    (meanings.into_values().collect(), alike)
}

/// The problems by column, the first few of each shown.
fn problem_groups(report: &Report) -> Vec<ProblemGroup> {
    let mut groups: Vec<ProblemGroup> = Vec::new();
    for p in &report.problems {
        let column = if p.column.is_empty() {
            "The mapping".to_string()
        } else {
            p.column.clone()
        };
        match groups.iter_mut().find(|g| g.column == column) {
            Some(g) => {
                g.count += 1;
                if g.shown.len() < SHOWN_PER_COLUMN {
                    g.shown.push(p.clone());
                } else {
                    g.more += 1;
                }
            }
            None => groups.push(ProblemGroup {
                id: format!("problems-{}", groups.len() + 1),
                column,
                count: 1,
                shown: vec![p.clone()],
                more: 0,
            }),
        }
    }
    groups
}

/// The skipped rows by reason, with their numbers as ranges and their first few titles.
fn skipped_view(report: &Report) -> Vec<SkipGroup> {
    let mut by_reason: BTreeMap<&str, Vec<&Skipped>> = BTreeMap::new();
    for s in &report.skipped {
        by_reason.entry(&s.message).or_default().push(s);
    }
    by_reason
        .into_iter()
        .map(|(message, rows)| {
            let numbers: Vec<usize> = rows.iter().map(|s| s.row).collect();
            let titles: Vec<&str> = rows
                .iter()
                .map(|s| s.title.as_str())
                .filter(|t| !t.is_empty())
                .collect();
            let mut shown = titles
                .iter()
                .take(5)
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
            if titles.len() > 5 {
                shown.push_str(&format!(" and {} more", titles.len() - 5));
            }
            SkipGroup {
                message: message.to_string(),
                rows: row_list(&numbers),
                count: numbers.len(),
                titles: shown,
            }
        })
        .collect()
}

/// The rows that create or change something, the first `SHOWN` of them, and how many more.
fn changes_view(report: &Report) -> (Vec<ChangeRow>, usize) {
    let shown: Vec<&Change> = report
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .collect();
    let more = shown.len().saturating_sub(SHOWN);
    let rows = shown
        .into_iter()
        .take(SHOWN)
        .map(|c| ChangeRow {
            row: c.row,
            action: match c.action {
                Action::Create => "Create",
                Action::Update => "Update",
                Action::Unchanged => "Unchanged",
            },
            reference: c.reference.clone(),
            title: c.title.clone(),
            fields: c.fields.clone(),
        })
        .collect();
    (rows, more)
}

pub(super) fn preview_view(
    upload: String,
    filename: String,
    report: Report,
    done: bool,
) -> PreviewView {
    let (meanings, alike) = choices_view(&report);
    let problem_groups = problem_groups(&report);
    let errors = (!problem_groups.is_empty()).then(|| {
        let mut e = FieldErrors::default();
        for g in &problem_groups {
            let s = if g.count == 1 { "" } else { "s" };
            e.add(&g.id, format!("{}: {} problem{s}", g.column, g.count));
        }
        e
    });
    let (changes, more_changes) = changes_view(&report);
    PreviewView {
        title: if done { "Imported" } else { "Check the import" },
        breadcrumbs: vec![
            Crumb::new("/opportunities", "Opportunities"),
            Crumb::new("/opportunities/import", "Import"),
        ],
        upload,
        filename,
        mapping_json: serde_json::to_string(&report.mapping).unwrap_or_default(),
        problem_count: report.problems.len(),
        columns: columns_view(&report),
        meanings,
        alike,
        problem_groups,
        changes,
        more_changes,
        skipped: skipped_view(&report),
        errors,
        done,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_numbers_read_as_ranges() {
        assert_eq!(row_list(&[4, 6, 7, 8, 12]), "4, 6–8, 12");
        assert_eq!(row_list(&[]), "");
    }
}
