//! Reading a register file, CSV (UTF-8, with or without a byte-order mark) or XLSX, into its
//! rows of cells (`tabular::read`); files too large or unreadable are refused whole. And the
//! templates: the fields' names as headings, an example row marked as one (never imported),
//! and in the XLSX a column guide.

use super::fields::FIELDS;
use crate::error::{AppError, AppResult};
use crate::tabular::{self, FileLimits, Row};

pub const MAX_BYTES: usize = 5 * 1024 * 1024;

pub const MAX_ROWS: usize = 5_000;

pub const LIMITS: FileLimits = FileLimits {
    max_bytes: MAX_BYTES,
    max_rows: MAX_ROWS,
};

/// A file-level problem (format, size, headings): nothing is read further.
pub(super) fn file_problem(message: impl Into<String>) -> AppError {
    AppError::field("file", &message.into())
}

/// Reads a CSV or XLSX file's rows.
pub fn read(bytes: &[u8], filename: &str) -> AppResult<Vec<Row>> {
    tabular::read(bytes, filename, LIMITS).map_err(file_problem)
}

/// The example row's first cell: a row that says so is passed over by every import.
const EXAMPLE: &str = "Example row: not imported";

/// The template's rows: the headings, and the example row.
fn template_rows() -> [Vec<&'static str>; 2] {
    let names = FIELDS.iter().map(|f| f.name).collect();
    let mut example: Vec<&str> = FIELDS.iter().map(|f| f.example).collect();
    example[0] = EXAMPLE;
    [names, example]
}

/// The CSV template.
pub fn template_csv() -> Vec<u8> {
    super::export::csv_file(template_rows()).expect("the template is written to memory")
}

/// The XLSX template: the headings and the example row, and a second sheet that says what
/// goes in each column.
pub fn template_xlsx() -> anyhow::Result<Vec<u8>> {
    use crate::workbook::{Cell, Styles, Table};
    let [names, example] = template_rows();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let styles = Styles::default();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Opportunities")?;
    let columns: Vec<(&str, f64)> = names.iter().map(|n| (*n, 22.0)).collect();
    let mut table = Table::new(sheet, &styles, &columns)?;
    table.row(&example.iter().map(|v| Cell::Text(v)).collect::<Vec<_>>())?;
    table.finish()?;
    let guide = workbook.add_worksheet();
    guide.set_name("Column guide")?;
    let columns = [
        ("column", 22.0),
        ("needed", 10.0),
        ("what goes in it", 100.0),
    ];
    let mut table = Table::new(guide, &styles, &columns)?;
    for f in FIELDS {
        let needed = if f.required { "Required" } else { "Optional" };
        table.row(&[Cell::Text(f.name), Cell::Text(needed), Cell::Prose(f.about)])?;
    }
    table.finish()?;
    Ok(workbook.save_to_buffer()?)
}
