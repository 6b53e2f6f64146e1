//! Templates for an import, from its fields: the fields' names as headings and an example
//! row marked as one (its first cell says so, and every import passes it over), as CSV; and
//! as XLSX, with a second sheet saying what goes in each column.

use super::mapping::Field;
use crate::workbook::{Cell, Styles, Table};

/// The example row's first cell: a row that says so is passed over by every import.
pub const EXAMPLE: &str = "Example row: not imported";

/// The template's rows: the headings, and the example row.
fn rows(fields: &[Field]) -> [Vec<&'static str>; 2] {
    let names = fields.iter().map(|f| f.name).collect();
    let mut example: Vec<&str> = fields.iter().map(|f| f.example).collect();
    if let Some(first) = example.first_mut() {
        *first = EXAMPLE;
    }
    [names, example]
}

/// The CSV template (UTF-8 with a byte-order mark, so spreadsheet software reads it as such).
pub fn csv(fields: &[Field]) -> anyhow::Result<Vec<u8>> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        for record in rows(fields) {
            writer.write_record(record)?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// The XLSX template: the headings and the example row on a sheet named `sheet`, and a
/// second sheet that says what goes in each column.
pub fn xlsx(fields: &[Field], sheet: &str) -> anyhow::Result<Vec<u8>> {
    let [names, example] = rows(fields);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let styles = Styles::default();
    let first = workbook.add_worksheet();
    first.set_name(sheet)?;
    let columns: Vec<(&str, f64)> = names.iter().map(|n| (*n, 22.0)).collect();
    let mut table = Table::new(first, &styles, &columns)?;
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
    for f in fields {
        let needed = if f.required { "Required" } else { "Optional" };
        table.row(&[Cell::Text(f.name), Cell::Text(needed), Cell::Prose(f.about)])?;
    }
    table.finish()?;
    Ok(workbook.save_to_buffer()?)
}
