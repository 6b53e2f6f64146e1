//! What the import's pages show, built from the fields and the report: the upload page's
//! column guide; on the preview, each column with the field it fills as a form row, the
//! values and rows that need a choice, the problems grouped by column, the changes row by
//! row, the skipped rows by reason. And the mapping the preview form sends back.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Words;
use crate::error::{AppError, AppResult};
use crate::tabular::{
    Action, Change, Field, FieldChange, Mapping, Report, RowProblem, Skipped, Unit,
};
use crate::web::upload::mapping_of;
use crate::web::{Choice, Crumb, FieldErrors};

/// A field as the upload page describes it.
#[derive(Serialize)]
pub(super) struct Guide {
    name: &'static str,
    label: &'static str,
    required: bool,
    about: &'static str,
}

pub(super) fn guide(fields: &[Field]) -> Vec<Guide> {
    fields
        .iter()
        .map(|f| Guide {
            name: f.name,
            label: f.label,
            required: f.required,
            about: f.about,
        })
        .collect()
}

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

/// A row whose title is like one of the importer's own records.
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
    base: String,
    noun: &'static str,
    /// The noun as the changes table heads its column.
    noun_heading: String,
    done_link: Crumb,
    breadcrumbs: Vec<Crumb>,
    upload: String,
    filename: String,
    /// What `report.rows` counts: "rows", or "readings" for a file read across.
    rows_word: &'static str,
    /// The headings read as quarters, as a list to read ("2030/31 Q1 and 2030/31 Q2").
    read_across: String,
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

/// Headings as a list to read: "A", "A and B", "A, B and C".
fn in_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn field_choices(fields: &[Field], selected: Option<&str>) -> Vec<Choice> {
    std::iter::once(Choice::new("", "Not imported", selected.is_none()))
        .chain(
            fields
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

fn label_of(fields: &[Field], field: &str) -> String {
    fields
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

fn columns_view(fields: &[Field], report: &Report) -> Vec<ColumnRow> {
    report
        .columns
        .iter()
        .map(|c| ColumnRow {
            heading: c.heading.clone(),
            examples: c.examples.join(" · "),
            fields: field_choices(fields, c.field.as_deref()),
            money: c
                .field
                .as_deref()
                .is_some_and(|f| fields.iter().any(|x| x.name == f && x.money)),
            units: unit_choices(c.unit.unwrap_or_default()),
        })
        .collect()
}

/// The problems that offer choices: values with a short list of meanings, once each; and
/// rows like the importer's own records, each.
fn choices_view(fields: &[Field], noun: &str, report: &Report) -> (Vec<Meaning>, Vec<Alike>) {
    let mut meanings: BTreeMap<(String, String), Meaning> = BTreeMap::new();
    let mut alike = Vec::new();
    for p in report.problems.iter().filter(|p| !p.choices.is_empty()) {
        if p.field == "title" {
            let options = p
                .choices
                .iter()
                .map(|c| {
                    let label = if c == "new" {
                        format!("Create a new {noun}")
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
                label: label_of(fields, &p.field),
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

pub(super) fn preview(
    fields: &[Field],
    words: &Words,
    upload: String,
    filename: String,
    report: Report,
    done: bool,
) -> PreviewView {
    let (meanings, alike) = choices_view(fields, words.noun, &report);
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
        base: words.base.clone(),
        noun: words.noun,
        noun_heading: capitalised(words.noun),
        done_link: words.done.clone(),
        breadcrumbs: words
            .crumbs
            .iter()
            .cloned()
            .chain([Crumb::new(&words.base, &words.title)])
            .collect(),
        upload,
        filename,
        rows_word: if report.read_across.is_empty() {
            "rows"
        } else {
            "readings"
        },
        read_across: in_words(&report.read_across),
        mapping_json: serde_json::to_string(&report.mapping).unwrap_or_default(),
        problem_count: report.problems.len(),
        columns: columns_view(fields, &report),
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

/// The mapping the preview form sends: the one it showed (`base`), with the heading row,
/// each column's field and unit as now chosen, and the meanings and matches chosen.
pub(super) fn mapping_from(fields: &[Field], pairs: &[(String, String)]) -> AppResult<Mapping> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mut mapping = mapping_of(get("base"))?;
    let header_row: usize = get("header_row")
        .trim()
        .parse()
        .map_err(|_| AppError::field("header_row", "Enter the number of the heading row"))?;
    if header_row != mapping.header_row {
        // Other headings: propose again for them.
        return Ok(Mapping {
            header_row,
            ..Mapping::default()
        });
    }
    for (k, v) in pairs {
        if let Some(heading) = k.strip_prefix("column:") {
            let field = (!v.is_empty()).then(|| v.clone());
            mapping.columns.insert(heading.to_string(), field);
        } else if let Some(heading) = k.strip_prefix("unit:") {
            if let Ok(unit) = serde_json::from_value::<Unit>(serde_json::Value::String(v.clone())) {
                mapping.units.insert(heading.to_string(), unit);
            }
        } else if let Some(rest) = k.strip_prefix("means:") {
            if let (Some((field, value)), false) = (rest.split_once(':'), v.is_empty()) {
                mapping
                    .values
                    .entry(field.to_string())
                    .or_default()
                    .insert(value.to_string(), v.clone());
            }
        } else if let Some(row) = k.strip_prefix("match:") {
            if let (Ok(row), false) = (row.parse::<usize>(), v.is_empty()) {
                mapping.matches.insert(row, v.clone());
            }
        }
    }
    // A money column's unit stays only while it is a money column.
    let money: Vec<String> = mapping
        .columns
        .iter()
        .filter(|(_, f)| {
            f.as_deref()
                .is_some_and(|f| fields.iter().any(|x| x.name == f && x.money))
        })
        .map(|(h, _)| h.clone())
        .collect();
    mapping.units.retain(|h, _| money.contains(h));
    for h in money {
        let unit = Unit::of_heading(&h);
        mapping.units.entry(h).or_insert(unit);
    }
    Ok(mapping)
}

pub(super) fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_numbers_read_as_ranges() {
        assert_eq!(row_list(&[4, 6, 7, 8, 12]), "4, 6–8, 12");
        assert_eq!(row_list(&[]), "");
    }

    #[test]
    fn headings_read_as_a_list() {
        let words = |v: &[&str]| in_words(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(words(&[]), "");
        assert_eq!(words(&["Q1"]), "Q1");
        assert_eq!(words(&["Q1", "Q2"]), "Q1 and Q2");
        assert_eq!(words(&["Q1", "Q2", "Q3"]), "Q1, Q2 and Q3");
    }
}
