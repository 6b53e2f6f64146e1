//! The first steps of every import: the table found in the file's rows, the mapping to read
//! it by (the one asked for, else the one the organisation confirmed for these headings, else
//! the one proposed), checked against the table, and the report begun.

use super::detect::{table, Table};
use super::mapping::{propose, Columns, Field, Mapping};
use super::memory;
use super::report::Report;
use super::Row;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// A table ready to read: the table, its columns by field, and the report so far.
pub struct Begun {
    pub table: Table,
    pub columns: Columns,
    pub mapping: Mapping,
    pub report: Report,
}

/// Finds the table and its mapping. A file with no table, or with more than `max_rows` rows
/// of data, is refused whole (the `file` field); a mapping that does not fit is the report's
/// problems (`Err`), nothing being read further.
pub fn begin(
    conn: &mut DbConn,
    organisation: i64,
    kind: &str,
    fields: &[Field],
    rows: Vec<Row>,
    asked: Option<&Mapping>,
    max_rows: usize,
) -> AppResult<Result<Begun, Report>> {
    let file = |m: String| AppError::field("file", &m);
    let table =
        table(rows, fields, asked.map(|m| m.header_row).filter(|n| *n > 0)).map_err(file)?;
    if table.rows.len() > max_rows {
        return Err(file(super::too_many(table.rows.len(), max_rows)));
    }
    // A mapping that names no column (only a heading row, say) is proposed afresh.
    let mapping = match asked.filter(|m| !m.columns.is_empty()) {
        Some(m) => Mapping {
            header_row: table.header_row,
            ..m.clone()
        },
        None => memory::remembered(conn, organisation, kind, &table)?
            .unwrap_or_else(|| propose(&table, fields)),
    };
    let mut report = Report::of(&table, &mapping);
    match mapping.columns(&table, fields) {
        Ok(columns) => Ok(Ok(Begun {
            table,
            columns,
            mapping,
            report,
        })),
        Err(messages) => {
            report.mapping_problems(messages);
            Ok(Err(report))
        }
    }
}
