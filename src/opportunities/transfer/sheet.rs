//! Reading a register file, CSV (UTF-8, with or without a byte-order mark) or XLSX, into
//! its headings and rows, each row with its number as the spreadsheet shows it. Files too
//! large, too long or without the required headings are refused whole.

use super::plan::COLUMNS;
use crate::error::{AppError, AppResult};

pub const MAX_BYTES: usize = 5 * 1024 * 1024;

pub const MAX_ROWS: usize = 5_000;

const REQUIRED: &[&str] = &["title", "summary", "service_area", "type"];

/// A file-level problem (format, size, headers): nothing is read further.
pub(super) fn file_problem(message: impl Into<String>) -> AppError {
    AppError::field("file", &message.into())
}

pub struct Sheet {
    pub(super) headers: Vec<String>,
    /// (spreadsheet row number, cells)
    pub(super) rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    /// Rows of opportunities (the header not counted).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Reads a CSV (UTF-8, with or without a byte-order mark) or XLSX file.
pub fn read(bytes: &[u8], filename: &str) -> AppResult<Sheet> {
    if bytes.len() > MAX_BYTES {
        return Err(file_problem(format!(
            "The file is larger than {} MB",
            MAX_BYTES / 1024 / 1024
        )));
    }
    let lower = filename.to_ascii_lowercase();
    // Each row with its number as the spreadsheet shows it.
    let grid: Vec<(usize, Vec<String>)> = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK") {
        let limits = crate::spreadsheet::Limits::for_upload(MAX_ROWS, MAX_BYTES);
        crate::spreadsheet::first_sheet(bytes, &limits).map_err(|r| file_problem(r.0))?
    } else {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| file_problem("The file is not UTF-8 text: save it as CSV UTF-8"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut grid = Vec::new();
        for record in reader.records() {
            let record =
                record.map_err(|e| file_problem(format!("The CSV could not be read: {e}")))?;
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
            grid.push((line, record.iter().map(str::to_string).collect()));
        }
        grid
    };
    let mut grid: Vec<(usize, Vec<String>)> = grid
        .into_iter()
        .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
        .collect();
    if grid.is_empty() {
        return Err(file_problem("The file is empty"));
    }
    let headers: Vec<String> = grid
        .remove(0)
        .1
        .iter()
        .map(|h| h.trim().to_ascii_lowercase().replace(' ', "_"))
        .collect();
    if grid.len() > MAX_ROWS {
        return Err(file_problem(format!(
            "The file has {} rows; import at most {MAX_ROWS} at a time",
            grid.len()
        )));
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(file_problem(format!(
            "The file needs the columns: {}. Download the template for the headings.",
            missing.join(", ")
        )));
    }
    Ok(Sheet {
        headers,
        rows: grid,
    })
}

/// A cell the export defused ("'=…") comes back as it was.
pub(super) fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// The template: the headings and one example row (`plan::COLUMNS`).
pub fn template_csv() -> Vec<u8> {
    let names = COLUMNS.iter().map(|c| c.name);
    let examples = COLUMNS.iter().map(|c| c.example);
    super::export::csv_file([names.collect::<Vec<_>>(), examples.collect()])
        .expect("the template is written to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_spreadsheet_numbers_past_blank_lines() {
        let sheet = read(
            b"title,summary,service_area,type\n\n\nBad,S,moon,other\n",
            "r.csv",
        )
        .unwrap();
        assert_eq!(sheet.rows[0].0, 4);
        let sheet = read(
            "\u{feff}title,summary,service_area,type\nA,B,legal,other\n".as_bytes(),
            "r.csv",
        )
        .unwrap();
        assert_eq!(sheet.rows[0].0, 2);
        assert_eq!(sheet.headers[0], "title");
    }
}
