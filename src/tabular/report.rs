//! What an import found and did, as the page, the API and the command line give it: the
//! table and mapping read, row by row what would happen (or happened), the rows passed
//! over, and the problems by row and column with what would be accepted. And the reading of
//! one row through the mapping, noting problems as it goes.

use serde::Serialize;
use utoipa::ToSchema;

use super::cell::{Cell, Row};
use super::detect::Table;
use super::mapping::{Columns, Mapping, Unit};
use super::values::undefuse;

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
    /// Your records (opportunities, actions, readings) the file changes.
    pub update: usize,
    /// Your records the file matches, as they already are.
    pub unchanged: usize,
    /// Rows passed over: blank, totals, the example, another organisation's.
    pub skip: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = RowAction)]
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
    /// The rows below the headings: the rows of data and the rows passed over (blank,
    /// totals, the example). Without problems, the counts add up to it.
    pub rows: usize,
    /// The headings read as quarters, in a file of readings kept a column a quarter: each
    /// filled cell under them is one reading, and `rows`, the counts and the columns are of
    /// those readings (under the headings "Quarter" and "Value"). Empty for any other file.
    pub read_across: Vec<String>,
    pub counts: Counts,
    /// Row by row: created, updated (with the fields that change) or unchanged.
    pub changes: Vec<Change>,
    pub problems: Vec<RowProblem>,
    /// Rows passed over, and why.
    pub skipped: Vec<Skipped>,
    /// True when nothing was written (a dry run, or problems were found).
    pub dry_run: bool,
}

/// One field a row changes: its label, and the values before and after, as people read them.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// A refused import, as documented: problems by row and column, or a problem with the file
/// itself (missing, empty, too large, not a spreadsheet, no headings).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ImportRefusal {
    Rows(Box<Report>),
    File(crate::error::Problem),
}

/// The dry run's way out of its transaction: everything it wrote is rolled back.
#[derive(Debug)]
pub struct DryRun;

impl std::fmt::Display for DryRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a dry run writes nothing")
    }
}

impl std::error::Error for DryRun {}

impl Report {
    /// The report of a table read through a mapping, before any row is checked: the rows
    /// the table passes over are listed as skipped.
    pub fn of(table: &Table, mapping: &Mapping) -> Report {
        Report {
            header_row: table.header_row,
            columns: columns_found(table, mapping),
            rows: table.rows.len() + table.passed.len(),
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
        }
    }

    /// A mapping that does not fit the table: its problems, on the heading row.
    pub fn mapping_problems(&mut self, messages: Vec<String>) {
        self.problems = messages
            .into_iter()
            .map(|message| RowProblem {
                row: self.header_row,
                column: String::new(),
                field: "mapping".into(),
                value: String::new(),
                message,
                choices: Vec::new(),
            })
            .collect();
    }

    /// Rows also passed over by the import itself (not the importer's), in row order.
    pub fn skip(&mut self, more: Vec<Skipped>) {
        self.skipped.extend(more);
        self.skipped.sort_by_key(|s| s.row);
        self.counts.skip = self.skipped.len();
    }

    /// The changes made (or that would be made), counted.
    pub fn record(&mut self, changes: Vec<Change>) {
        for c in &changes {
            match c.action {
                Action::Create => self.counts.create += 1,
                Action::Update => self.counts.update += 1,
                Action::Unchanged => self.counts.unchanged += 1,
            }
        }
        self.changes = changes;
    }
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

/// One row as the checks read it: its cells by field through the mapping, and the problems
/// found so far.
pub struct RowReader<'a> {
    pub table: &'a Table,
    pub columns: &'a Columns,
    pub mapping: &'a Mapping,
    pub row: &'a Row,
    pub problems: &'a mut Vec<RowProblem>,
}

impl RowReader<'_> {
    pub fn has(&self, field: &str) -> bool {
        self.columns.has(field)
    }

    pub fn cell(&self, field: &str) -> Cell {
        match self.columns.column(field) {
            Some(c) => self.row.get(c).clone(),
            None => Cell::Empty,
        }
    }

    pub fn get(&self, field: &str) -> String {
        undefuse(&self.cell(field).text()).to_string()
    }

    /// What the person said a value of `field` means (the mapping's `values`), or the value.
    pub fn meant(&self, field: &str, value: &str) -> String {
        self.mapping
            .values
            .get(field)
            .and_then(|v| v.get(value))
            .cloned()
            .unwrap_or_else(|| value.to_string())
    }

    pub fn fail(&mut self, field: &str, message: &str) {
        let value = self.get(field);
        self.problem(field, &value, message, Vec::new());
    }

    pub fn problem(&mut self, field: &str, value: &str, message: &str, choices: Vec<String>) {
        let column = self
            .columns
            .column(field)
            .and_then(|c| self.table.headings.get(c).cloned())
            .unwrap_or_else(|| field.to_string());
        self.problems.push(RowProblem {
            row: self.row.number,
            column,
            field: field.into(),
            value: value.into(),
            message: message.into(),
            choices,
        });
    }

    /// A value of a choice field, understood by `understand`; none when blank or not
    /// understood (noted, with the labels it takes).
    pub fn choice<T: Copy>(
        &mut self,
        field: &str,
        understand: fn(&str) -> Option<T>,
        labels: impl IntoIterator<Item = &'static str>,
    ) -> Option<T> {
        let value = self.get(field);
        if value.is_empty() {
            return None;
        }
        let found = understand(&self.meant(field, &value));
        if found.is_none() {
            let labels: Vec<String> = labels.into_iter().map(str::to_string).collect();
            let message = format!("\"{value}\" is not one of these: {}", labels.join(", "));
            self.problem(field, &value, &message, labels);
        }
        found
    }
}
