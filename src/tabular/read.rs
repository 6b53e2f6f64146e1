//! Reading a file into rows of cells: CSV (UTF-8, with or without a byte-order mark) as
//! text, XLSX through `spreadsheet`, the one way into a workbook, with its cells typed.

use super::cell::{Cell, Row};
use crate::spreadsheet;

/// How large a file may be, and how many rows of data it may hold.
#[derive(Clone, Copy, Debug)]
pub struct FileLimits {
    pub max_bytes: usize,
    pub max_rows: usize,
}

/// Rows a heading may sit under (titles, notes, blank lines) besides the rows of data.
pub const ROWS_ABOVE: usize = 30;

/// The rows of a CSV or XLSX file that hold something, numbered as the spreadsheet shows
/// them; `Err` says in a sentence why the file cannot be read.
pub fn read(bytes: &[u8], filename: &str, limits: FileLimits) -> Result<Vec<Row>, String> {
    if bytes.len() > limits.max_bytes {
        return Err(format!(
            "The file is larger than {} MB",
            limits.max_bytes / 1024 / 1024
        ));
    }
    let lower = filename.to_ascii_lowercase();
    let rows = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK") {
        let sheet = spreadsheet::Limits::for_upload(limits.max_rows, limits.max_bytes);
        spreadsheet::first_sheet(bytes, &sheet).map_err(|r| r.0)?
    } else {
        csv_rows(bytes)?
    };
    let rows: Vec<Row> = rows.into_iter().filter(|r| !r.is_blank()).collect();
    if rows.is_empty() {
        return Err("The file is empty".into());
    }
    if rows.len() > limits.max_rows + ROWS_ABOVE {
        return Err(too_many(rows.len(), limits.max_rows));
    }
    Ok(rows)
}

pub fn too_many(rows: usize, max: usize) -> String {
    format!("The file has {rows} rows; import at most {max} at a time")
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Row>, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "The file is not UTF-8 text: save it as CSV UTF-8".to_string())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("The CSV could not be read: {e}"))?;
        // The reader passes over blank lines without counting them: count from the text.
        // (Its position is where it started reading, before any blank lines.)
        let mut offset = record.position().map(|p| p.byte() as usize).unwrap_or(0);
        while matches!(text.as_bytes().get(offset), Some(b'\n' | b'\r')) {
            offset += 1;
        }
        let line = text.as_bytes()[..offset.min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        rows.push(Row {
            number: line,
            cells: record.iter().map(|c| Cell::Text(c.to_string())).collect(),
            formulas: Vec::new(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FileLimits = FileLimits {
        max_bytes: 1024 * 1024,
        max_rows: 100,
    };

    #[test]
    fn rows_keep_their_spreadsheet_numbers_past_blank_lines() {
        let rows = read(b"title,summary\n\n\nBad,S\n", "r.csv", LIMITS).unwrap();
        assert_eq!(rows[1].number, 4);
        let rows = read("\u{feff}title,summary\nA,B\n".as_bytes(), "r.csv", LIMITS).unwrap();
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[0].cells[0], Cell::Text("title".into()));
        assert_eq!(rows[1].number, 2);
    }
}
