//! Reading XLSX workbooks that come from outside. An XLSX file is a zip of XML parts whose
//! sizes and counts are declared by the file itself, and a reader that trusts them can be made
//! to ask for gigabytes by a file of a few kilobytes. So every workbook is checked here before
//! any parsing: the number of parts, the unpacked size of each part and of the whole (counted
//! while unpacking, not taken from the headers), the sheets' declared dimensions, rows and
//! cells, and the counts declared by the shared strings and styles. Only a workbook within
//! those limits reaches the XLSX reader, and its first sheet is then read cell by cell, so
//! memory follows the cells a sheet really has. This is the one way into an XLSX file.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use chrono::Datelike;

use crate::tabular::{Cell, Row};
use quick_xml::events::{BytesStart, Event};

/// What a workbook may be. Derived from what the portal accepts (`for_upload`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_parts: usize,
    pub max_part_bytes: u64,
    pub max_total_bytes: u64,
    pub max_rows: u64,
    pub max_columns: u64,
    pub max_cells: u64,
    pub max_styles: u64,
}

impl Limits {
    /// Limits for a file of at most `max_bytes` holding at most `max_rows` rows of data.
    /// A real register of that many rows unpacks to well under 16 MB; room is left for
    /// blank and note rows (twice the rows), for a council's own extra columns (up to 256,
    /// the old Excel width), and for formats (64,000 is Excel's own limit on cell formats).
    pub fn for_upload(max_rows: usize, max_bytes: usize) -> Limits {
        let max_bytes = max_bytes as u64;
        let max_rows = 2 * (max_rows as u64 + 1);
        Limits {
            max_parts: 256,
            max_part_bytes: 3 * max_bytes,
            max_total_bytes: 6 * max_bytes,
            max_rows,
            max_columns: 256,
            max_cells: max_rows * 64,
            max_styles: 64_000,
        }
    }
}

/// A workbook refused, with a sentence for the person who sent it.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(message.into()))
}

fn not_readable<E>(_: E) -> Refusal {
    Refusal("The file is not a readable XLSX workbook".into())
}

/// The first sheet's rows that hold something, numbered as the sheet shows them, each cell
/// typed as the workbook holds it (numbers, dates, yes/no, text) and formulas marked.
pub fn first_sheet(bytes: &[u8], limits: &Limits) -> Result<Vec<Row>, Refusal> {
    check(bytes, limits)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(not_readable)?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Refusal("The workbook has no sheets".into()))?;
    let mut cells = book
        .worksheet_cells_reader(&name)
        .map_err(|_| Refusal("The first sheet could not be read".into()))?;
    let mut rows: std::collections::BTreeMap<u32, Row> = Default::default();
    while let Some(record) = cells
        .next_cell_with_formula()
        .map_err(|_| Refusal("The first sheet could not be read".into()))?
    {
        let (row, column) = record.pos;
        if u64::from(row) >= limits.max_rows || u64::from(column) >= limits.max_columns {
            return refuse(too_big_sheet(limits));
        }
        let value = typed(Data::from(record.value));
        let formula = record.formula.is_some_and(|f| !f.is_empty());
        if value.is_blank() && !formula {
            continue;
        }
        let entry = rows.entry(row).or_insert_with(|| Row {
            number: row as usize + 1,
            ..Row::default()
        });
        let column = column as usize;
        if entry.cells.len() <= column {
            entry.cells.resize(column + 1, Cell::Empty);
        }
        entry.cells[column] = value;
        if formula {
            entry.formulas.push(column);
        }
    }
    Ok(rows.into_values().collect())
}

/// A workbook value as a cell: dates the workbook formats as dates become dates.
fn typed(data: Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::Int(n) => Cell::Number(n as f64),
        Data::Float(n) => Cell::Number(n),
        Data::Bool(b) => Cell::Bool(b),
        Data::String(s) => Cell::Text(s),
        Data::DateTime(d) => match d.as_datetime() {
            Some(d) if d.date().year_ce().1 >= 1900 => Cell::Date(d),
            _ => Cell::Number(d.as_f64()),
        },
        Data::DateTimeIso(s) => chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .or_else(|| {
                chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .ok()
                    .map(|d| d.into())
            })
            .map_or(Cell::Text(s), Cell::Date),
        other => Cell::Text(other.to_string()),
    }
}

fn too_big_sheet(limits: &Limits) -> String {
    format!(
        "The sheet is larger than an import can be: at most {} rows and {} columns",
        grouped(limits.max_rows),
        grouped(limits.max_columns)
    )
}

/// Checks the archive and every XML part in it against the limits, unpacking each part as a
/// stream (never more than the part limit) without keeping it.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_readable)?;
    if zip.len() > limits.max_parts {
        return refuse(format!(
            "The workbook has {} parts; a workbook may have at most {}",
            grouped(zip.len() as u64),
            grouped(limits.max_parts as u64)
        ));
    }
    let mut total = 0u64;
    for index in 0..zip.len() {
        let part = zip.by_index(index).map_err(not_readable)?;
        let name = part.name().map_err(not_readable)?.into_owned();
        if part.size() > limits.max_part_bytes {
            return refuse(part_too_big(&name, limits));
        }
        let mut counted = Counted {
            inner: part.take(limits.max_part_bytes + 1),
            read: 0,
        };
        let scanned = if name.ends_with(".xml") || name.ends_with(".rels") {
            scan_xml(&name, &mut counted, limits)
        } else {
            Ok(())
        };
        // A part cut short at the limit reads as broken XML: say what is really wrong.
        if counted.read > limits.max_part_bytes {
            return refuse(part_too_big(&name, limits));
        }
        // A refused part is not unpacked further; one that passed is counted to its end.
        scanned?;
        std::io::copy(&mut counted, &mut std::io::sink()).map_err(not_readable)?;
        if counted.read > limits.max_part_bytes {
            return refuse(part_too_big(&name, limits));
        }
        total += counted.read;
        if total > limits.max_total_bytes {
            return refuse(format!(
                "The workbook unpacks to more than {} MB; a workbook may unpack to at most that",
                limits.max_total_bytes / 1024 / 1024
            ));
        }
    }
    Ok(())
}

fn part_too_big(name: &str, limits: &Limits) -> String {
    format!(
        "The workbook's part {name} unpacks to more than {} MB; a part may unpack to at most that",
        limits.max_part_bytes / 1024 / 1024
    )
}

/// A reader that counts what it gives.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// What a part is, for what its XML may declare.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Sheet,
    SharedStrings,
    Styles,
    Other,
}

fn kind_of(name: &str) -> PartKind {
    let lower = name.to_ascii_lowercase();
    if lower.contains("worksheets/") && !lower.contains("_rels") {
        PartKind::Sheet
    } else if lower.ends_with("sharedstrings.xml") {
        PartKind::SharedStrings
    } else if lower.ends_with("styles.xml") {
        PartKind::Styles
    } else {
        PartKind::Other
    }
}

/// Counts kept while one part is scanned.
#[derive(Default)]
struct Tally {
    rows: u64,
    cells: u64,
    cells_in_row: u64,
    strings: u64,
    formats: u64,
}

fn scan_xml(name: &str, part: &mut impl Read, limits: &Limits) -> Result<(), Refusal> {
    let kind = kind_of(name);
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let mut buf = Vec::new();
    let mut tally = Tally::default();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| Refusal(format!("The workbook's part {name} is not well-formed XML")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                element(kind, e, &mut tally, limits)?;
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// Judges one element of a part against the limits.
fn element(
    kind: PartKind,
    e: &BytesStart,
    tally: &mut Tally,
    limits: &Limits,
) -> Result<(), Refusal> {
    let local = e.local_name();
    match (kind, local.as_ref()) {
        (PartKind::Sheet, "dimension") => {
            if let Some(area) = attr(e, "ref") {
                let (rows, columns) = area_size(&area).ok_or_else(|| {
                    Refusal(format!("The sheet declares an unreadable dimension {area}"))
                })?;
                if rows > limits.max_rows || columns > limits.max_columns {
                    return refuse(format!(
                        "The sheet declares {} rows and {} columns ({area}); an \
                         import may have at most {} rows and {} columns. Delete the empty rows \
                         and columns around your data, or copy the data into a new sheet",
                        grouped(rows),
                        grouped(columns),
                        grouped(limits.max_rows),
                        grouped(limits.max_columns)
                    ));
                }
            }
        }
        (PartKind::Sheet, "row") => {
            tally.rows += 1;
            tally.cells_in_row = 0;
            let number = attr(e, "r").and_then(|r| r.parse::<u64>().ok());
            if tally.rows > limits.max_rows || number.is_some_and(|r| r > limits.max_rows) {
                return refuse(too_big_sheet(limits));
            }
        }
        (PartKind::Sheet, "c") => {
            tally.cells += 1;
            tally.cells_in_row += 1;
            if tally.cells > limits.max_cells {
                return refuse(format!(
                    "The sheet has more than {} cells; an import may have at most that",
                    grouped(limits.max_cells)
                ));
            }
            let beyond = attr(e, "r")
                .and_then(|r| cell_position(&r))
                .is_some_and(|(row, col)| row > limits.max_rows || col > limits.max_columns);
            if beyond || tally.cells_in_row > limits.max_columns {
                return refuse(too_big_sheet(limits));
            }
        }
        (PartKind::SharedStrings, "sst") => {
            for key in ["count", "uniqueCount"] {
                declared(e, key, limits.max_cells, "shared strings")?;
            }
        }
        (PartKind::SharedStrings, "si") => {
            tally.strings += 1;
            if tally.strings > limits.max_cells {
                return refuse(format!(
                    "The workbook has more than {} shared strings; it may have at most that",
                    grouped(limits.max_cells)
                ));
            }
        }
        (PartKind::Styles, "xf" | "numFmt" | "font" | "fill" | "border" | "dxf") => {
            tally.formats += 1;
            if tally.formats > limits.max_styles * 2 {
                return refuse(format!(
                    "The workbook has more than {} styles; it may have at most that",
                    grouped(limits.max_styles * 2)
                ));
            }
        }
        (PartKind::Styles, _) => declared(e, "count", limits.max_styles, "styles")?,
        _ => {}
    }
    Ok(())
}

/// A count as people write it: 640,128.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Refuses a count an element declares (for readers that make room for it in advance).
fn declared(e: &BytesStart, key: &str, max: u64, what: &str) -> Result<(), Refusal> {
    match attr(e, key) {
        None => Ok(()),
        Some(value) => match value.trim().parse::<u64>() {
            Ok(n) if n <= max => Ok(()),
            Ok(n) => refuse(format!(
                "The workbook declares {} {what}; it may have at most {}",
                grouped(n),
                grouped(max)
            )),
            Err(_) => refuse(format!(
                "The workbook declares an unreadable number of {what} ({value})"
            )),
        },
    }
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .map(|a| a.value.into_owned())
}

/// A cell reference like `AB12` as (row, column), both from 1.
fn cell_position(reference: &str) -> Option<(u64, u64)> {
    let reference = reference.trim().replace('$', "");
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 4 || digits.len() > 10 {
        return None;
    }
    let mut column = 0u64;
    for c in letters.chars() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        column = column * 26 + u64::from(c.to_ascii_uppercase() as u8 - b'A' + 1);
    }
    Some((digits.parse().ok()?, column))
}

/// The rows and columns an area like `A1:XFD1048576` spans (one cell: `A1`).
fn area_size(area: &str) -> Option<(u64, u64)> {
    let mut ends = area.split(':');
    let first = cell_position(ends.next()?)?;
    let last = match ends.next() {
        Some(end) => cell_position(end)?,
        None => first,
    };
    let rows = first.0.max(last.0) - first.0.min(last.0) + 1;
    let columns = first.1.max(last.1) - first.1.min(last.1) + 1;
    // A sheet whose data starts far down is as large as its far corner.
    Some((
        rows.max(first.0.max(last.0)),
        columns.max(first.1.max(last.1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every XLSX reader goes through the checks here: no other file opens a workbook.
    #[test]
    fn no_other_module_opens_a_workbook() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("spreadsheet.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if text.contains("calamine") || text.contains("zip::ZipArchive") {
                        found.push(path.display().to_string());
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "read workbooks through crate::spreadsheet: {found:?}"
        );
    }

    #[test]
    fn cell_references_read_as_row_and_column() {
        assert_eq!(cell_position("A1"), Some((1, 1)));
        assert_eq!(cell_position("$AB$12"), Some((12, 28)));
        assert_eq!(cell_position("XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(cell_position("12"), None);
        assert_eq!(cell_position("A"), None);
        assert_eq!(area_size("A1:O5001"), Some((5001, 15)));
        assert_eq!(area_size("C3"), Some((3, 3)));
        assert_eq!(area_size("A1:XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(grouped(4_000_000_000), "4,000,000,000");
        assert_eq!(grouped(640), "640");
    }
}
