//! Finding the table in a sheet: the heading row under any title, notes and blank lines,
//! and the rows below it that are not data (blank, totals, formulas only, the template's
//! example), each passed over with its reason.

use serde::Serialize;
use utoipa::ToSchema;

use super::cell::{Cell, Row};
use super::mapping::{names_a_field, Field};
use super::values::normalise;

/// How many rows from the top may hold titles and notes above the headings.
const LOOK: usize = 30;

/// The table in a sheet.
#[derive(Debug, Default)]
pub struct Table {
    /// The heading row, numbered as the spreadsheet shows it.
    pub header_row: usize,
    /// Each column's heading, made unique ("Notes", "Notes (2)") and named by its letter
    /// where the heading cell is empty ("Column F").
    pub headings: Vec<String>,
    /// The rows of data below the headings.
    pub rows: Vec<Row>,
    /// The rows below the headings that are not data.
    pub passed: Vec<Passed>,
}

/// A row passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Passed {
    pub row: usize,
    pub reason: String,
}

/// The table in `rows` (rows that hold something, in order). The heading row is
/// `header_row` when given, or else found: of the first rows, the one with the most headings
/// that name a field, then with the most text cells (a title or a note fills one cell). `Err`
/// says what was found when no row can be the headings.
pub fn table(rows: Vec<Row>, fields: &[Field], header_row: Option<usize>) -> Result<Table, String> {
    let at = match header_row {
        Some(n) => rows
            .iter()
            .position(|r| r.number == n && text_cells(r) >= 2)
            .ok_or_else(|| format!("Row {n} does not hold headings"))?,
        None => find_headings(&rows, fields)?,
    };
    let heading = &rows[at];
    let width = rows[at..].iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let headings = unique_headings(heading, width);
    let mut table = Table {
        header_row: heading.number,
        headings,
        ..Table::default()
    };
    let mut last = heading.number;
    for row in rows.into_iter().skip(at + 1) {
        for blank in last + 1..row.number {
            table.passed.push(Passed {
                row: blank,
                reason: "blank".into(),
            });
        }
        last = row.number;
        match not_data(&row) {
            Some(reason) => table.passed.push(Passed {
                row: row.number,
                reason: reason.into(),
            }),
            None => table.rows.push(row),
        }
    }
    Ok(table)
}

fn text_cells(row: &Row) -> usize {
    row.filled()
        .filter(|(_, c)| matches!(c, Cell::Text(t) if t.trim().parse::<f64>().is_err()))
        .count()
}

fn find_headings(rows: &[Row], fields: &[Field]) -> Result<usize, String> {
    let best = rows
        .iter()
        .take(LOOK)
        .enumerate()
        .filter(|(_, r)| text_cells(r) >= 2)
        .map(|(i, r)| {
            let named = r
                .filled()
                .filter(|(_, c)| names_a_field(&c.text(), fields))
                .count();
            (named, text_cells(r), i)
        })
        // The most headings named, then the most text; the first row of those.
        .max_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(b.2.cmp(&a.2)));
    match best {
        Some((named, text, i)) if named > 0 || text >= 3 => Ok(i),
        _ => {
            let first = rows.first().map(|r| {
                let cells: Vec<String> = r.filled().map(|(_, c)| c.text()).take(6).collect();
                format!("row {} holds \"{}\"", r.number, cells.join("\", \""))
            });
            Err(format!(
                "No row in the first {LOOK} looks like the headings of a table ({}). Check that the file is the right one, or choose the heading row.",
                first.unwrap_or_default()
            ))
        }
    }
}

fn unique_headings(row: &Row, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(width);
    for c in 0..width {
        let text = row.get(c).text();
        let base = if text.is_empty() {
            format!("Column {}", letters(c))
        } else {
            text
        };
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// A column's letters as a spreadsheet names them: 0 is A, 26 is AA.
fn letters(mut column: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Why a row below the headings is not data, if it is not.
fn not_data(row: &Row) -> Option<&'static str> {
    let filled: Vec<(usize, &Cell)> = row.filled().collect();
    if filled.is_empty() {
        return Some("blank");
    }
    let words: Vec<String> = filled
        .iter()
        .filter(|(_, c)| matches!(c, Cell::Text(_)))
        .map(|(_, c)| normalise(&c.text()))
        .collect();
    // The templates' example row says so in its first cell.
    let first = normalise(&filled[0].1.text());
    if first == "example" || first.starts_with("example row") {
        return Some("the template's example row");
    }
    let totals = |w: &String| {
        [
            "total",
            "totals",
            "grand total",
            "sub total",
            "subtotal",
            "sum",
        ]
        .contains(&w.as_str())
            || w.starts_with("total ")
    };
    if words.first().is_some_and(totals) && words.len() <= 2 {
        return Some("a totals row");
    }
    if filled.iter().all(|(c, _)| row.formulas.contains(c)) {
        return Some("formulas only");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: usize, cells: &[&str]) -> Row {
        Row {
            number,
            cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
            formulas: Vec::new(),
        }
    }

    const FIELDS: &[Field] = &[Field {
        name: "title",
        label: "Title",
        headings: &["idea"],
        looks_like: None,
        required: true,
        money: false,
        about: "",
        example: "",
        strict: false,
    }];

    #[test]
    fn the_heading_row_is_found_under_a_title_and_a_note() {
        let mut total = row(9, &["Total", "", "450"]);
        total.cells[2] = Cell::Number(450.0);
        total.formulas = vec![2];
        let mut sum = row(10, &["", "", ""]);
        sum.cells[2] = Cell::Number(450.0);
        sum.formulas = vec![2];
        let rows = vec![
            row(1, &["Shared services ideas 2026"]),
            row(2, &["Figures are estimates; see notes"]),
            row(4, &["Ref", "Idea", "Est. saving £k", "Notes", "Notes"]),
            row(5, &["DCC-1", "Shared legal", "45", ""]),
            row(7, &["Example row: not imported", "x", "1"]),
            row(8, &["DCC-2", "Joint fleet", "100", "", ""]),
            total,
            sum,
        ];
        let table = table(rows, FIELDS, None).unwrap();
        assert_eq!(table.header_row, 4);
        assert_eq!(
            table.headings,
            ["Ref", "Idea", "Est. saving £k", "Notes", "Notes (2)"]
        );
        assert_eq!(table.rows.len(), 2);
        let passed: Vec<(usize, &str)> = table
            .passed
            .iter()
            .map(|p| (p.row, p.reason.as_str()))
            .collect();
        assert_eq!(
            passed,
            [
                (6, "blank"),
                (7, "the template's example row"),
                (9, "a totals row"),
                (10, "formulas only")
            ]
        );
    }

    /// A heading row with an empty cell and headings named only by their words still wins
    /// over the first row of data, which has more text.
    #[test]
    fn headings_named_by_their_words_win_over_a_row_of_data() {
        const SAVING: &[Field] = &[Field {
            name: "estimated_savings",
            label: "Estimated savings",
            headings: &["est saving"],
            looks_like: None,
            required: false,
            money: true,
            about: "",
            example: "",
            strict: false,
        }];
        let rows = vec![
            row(1, &["Est. saving £k", "", "Lead officer"]),
            row(2, &["Shared legal", "Legal", "Sam Jones", "Ask Sam"]),
        ];
        assert_eq!(table(rows, SAVING, None).unwrap().header_row, 1);
    }

    #[test]
    fn a_sheet_without_headings_says_what_it_found() {
        let err = table(vec![row(1, &["12", "13"])], FIELDS, None).unwrap_err();
        assert!(err.contains("row 1 holds \"12\", \"13\""), "{err}");
        assert_eq!(letters(0), "A");
        assert_eq!(letters(27), "AB");
    }
}
