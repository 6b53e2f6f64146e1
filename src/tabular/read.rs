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
        csv_rows(bytes, limits.max_rows + ROWS_ABOVE)?
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

/// The most columns a CSV may have (as many as a workbook may).
pub const MAX_COLUMNS: usize = 256;

/// A CSV's records as rows numbered as a spreadsheet shows them: a record is one row however
/// many line breaks its quoted cells hold, and each blank line is a row. Reading stops as soon
/// as the file has more rows than `max_rows` (or is wider than `MAX_COLUMNS`).
fn csv_rows(bytes: &[u8], max_rows: usize) -> Result<Vec<Row>, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "The file is not UTF-8 text: save it as CSV UTF-8".to_string())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let bytes = text.as_bytes();
    let is_break = |b: &u8| matches!(b, b'\r' | b'\n');
    // The row number so far, and where the last record's cells ended (before its line break).
    let (mut number, mut content_end) = (0usize, 0usize);
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| format!("The CSV could not be read: {e}"))?
    {
        // The reader's position for a record is before any blank lines ahead of it.
        let mut start = record.position().map_or(content_end, |p| p.byte() as usize);
        while bytes.get(start).is_some_and(is_break) {
            start += 1;
        }
        let breaks = line_breaks(&bytes[content_end.min(start)..start]);
        // After the first record, one of the breaks ends the record before.
        number += 1 + if number == 0 {
            breaks
        } else {
            breaks.saturating_sub(1)
        };
        let mut end = (reader.position().byte() as usize).min(bytes.len());
        while end > start && bytes.get(end - 1).is_some_and(is_break) {
            end -= 1;
        }
        content_end = end;
        if record.len() > MAX_COLUMNS {
            return Err(format!(
                "Row {number} has {} columns; a file may have at most {MAX_COLUMNS}",
                record.len()
            ));
        }
        if rows.len() > max_rows {
            return Err(too_many(rows.len(), max_rows.saturating_sub(ROWS_ABOVE)));
        }
        rows.push(Row {
            number,
            cells: record.iter().map(|c| Cell::Text(c.to_string())).collect(),
            formulas: Vec::new(),
        });
    }
    Ok(rows)
}

/// Line breaks in `gap` (CR LF, LF or CR alone, as a Mac's CSV has them).
fn line_breaks(gap: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < gap.len() {
        match gap[i] {
            b'\r' if gap.get(i + 1) == Some(&b'\n') => {
                n += 1;
                i += 1;
            }
            b'\r' | b'\n' => n += 1,
            _ => {}
        }
        i += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FileLimits = FileLimits {
        max_bytes: 1024 * 1024,
        max_rows: 100,
    };

    #[test]
    fn a_record_is_one_row_whatever_line_breaks_its_cells_hold() {
        let rows = read(b"a,b\n\"one\ntwo\nthree\",x\nc,d\n", "r.csv", LIMITS).unwrap();
        let numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 3]);
        let rows = read(b"a,b\rc,d\r\re,f\r", "mac.csv", LIMITS).unwrap();
        let numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 4], "carriage returns alone end rows");
        let wide = format!("a{}\n", ",".repeat(MAX_COLUMNS));
        assert!(read(wide.as_bytes(), "w.csv", LIMITS)
            .unwrap_err()
            .contains("at most 256"));
        let long = "a\n".repeat(LIMITS.max_rows + ROWS_ABOVE + 5);
        assert!(read(long.as_bytes(), "l.csv", LIMITS)
            .unwrap_err()
            .contains("import at most 100"));
    }

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
