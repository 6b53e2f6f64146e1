//! The import's report as the command line prints it: what the file was read as, what would
//! happen (or happened) row by row, what was skipped, and the problems grouped by column.

use std::fmt::Write;

use crate::tabular::{Action, Report};

/// How many rows of changes, and of one column's problems, are printed.
const SHOWN: usize = 50;

/// What the file was read as and what happens, row by row.
pub fn report_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Headings on row {}:", report.header_row);
    for c in &report.columns {
        let field = c.field.as_deref().unwrap_or("(not imported)");
        let unit = c
            .unit
            .map(|u| format!(", in {}", u.label()))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:<28} -> {field}{unit}", c.heading);
    }
    let mut counted = "rows";
    if !report.read_across.is_empty() {
        counted = "readings";
        let _ = writeln!(
            out,
            "Read as quarters, a reading a filled cell: {}",
            report.read_across.join(", ")
        );
    }
    let verb = if report.dry_run { "would be" } else { "were" };
    let n = &report.counts;
    let _ = writeln!(
        out,
        "{} {counted}: {} {verb} created, {} updated, {} left as they are; {} skipped",
        report.rows, n.create, n.update, n.unchanged, n.skip
    );
    let changed: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .collect();
    for c in changed.iter().take(SHOWN) {
        let action = if c.action == Action::Create {
            "create"
        } else {
            "update"
        };
        let _ = writeln!(out, "  row {}: {action} {} {}", c.row, c.reference, c.title);
        for f in &c.fields {
            let _ = writeln!(
                out,
                "      {}: {} -> {}",
                f.field,
                shorten(&f.old),
                shorten(&f.new)
            );
        }
    }
    if changed.len() > SHOWN {
        let _ = writeln!(out, "  … and {} more rows", changed.len() - SHOWN);
    }
    for s in &report.skipped {
        let _ = writeln!(out, "  row {} {}: {}", s.row, s.title, s.message);
    }
    out
}

/// The problems, grouped by column, with what each would accept; empty when there are none.
pub fn problems_text(report: &Report) -> String {
    let mut out = String::new();
    if !report.problems.is_empty() {
        let _ = writeln!(
            out,
            "Nothing was imported: {} problem(s) in {} rows",
            report.problems.len(),
            report.rows
        );
        let mut columns: Vec<&str> = Vec::new();
        for p in &report.problems {
            if !columns.contains(&p.column.as_str()) {
                columns.push(&p.column);
            }
        }
        for column in columns {
            let of: Vec<_> = report
                .problems
                .iter()
                .filter(|p| p.column == column)
                .collect();
            let name = if column.is_empty() {
                "the mapping"
            } else {
                column
            };
            let _ = writeln!(out, "  {name}: {} problem(s)", of.len());
            for p in of.iter().take(SHOWN) {
                let choices = if p.choices.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", p.choices.join(" | "))
                };
                let _ = writeln!(out, "    row {}: {}{choices}", p.row, p.message);
            }
            if of.len() > SHOWN {
                let _ = writeln!(out, "    … and {} more", of.len() - SHOWN);
            }
        }
    }
    out
}

fn shorten(text: &str) -> String {
    let text = text.replace('\n', " ");
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None if text.is_empty() => "(none)".into(),
        None => text,
    }
}

/// Whom an import from the command line runs as: the named person, or the organisation's
/// first active administrator, leader or staff member.
pub fn importer(
    conn: &mut crate::db::DbConn,
    org: &str,
    as_user: Option<&str>,
) -> anyhow::Result<String> {
    use crate::schema::{organisations, users};
    use diesel::prelude::*;
    let org_id: i64 = organisations::table
        .filter(organisations::slug.eq(org))
        .select(organisations::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| anyhow::anyhow!("--org: no organisation has the short name {org}"))?;
    let mut people = users::table
        .filter(users::organisation_id.eq(org_id))
        .filter(users::status.eq("active"))
        .filter(users::role.eq_any(["org_admin", "leader", "staff"]))
        .order((users::role.asc(), users::id.asc()))
        .select(users::email)
        .into_boxed();
    if let Some(email) = as_user {
        people = people.filter(users::email.eq(email.to_lowercase()));
    }
    people.first(conn).optional()?.ok_or_else(|| {
        anyhow::anyhow!("no active staff, leader or administrator of {org} to import as")
    })
}
