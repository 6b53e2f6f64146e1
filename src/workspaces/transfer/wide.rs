//! Readings kept wide, a column a quarter ("KPI, 2026/27 Q1, 2026/27 Q2, …", as a programme's
//! tracker often is): each filled cell under a quarter's heading is read as a reading of its
//! own (the row's measure, the heading's quarter, the cell's value), on its row's number, so
//! the rest of the import reads one reading a row and its problems name the spreadsheet's
//! rows. A file with no quarter among its headings is read as it is.

use super::fields::{quarter, READING_FIELDS};
use crate::tabular::{self, Cell, Mapping, Row};

/// A file of readings, one reading a row.
pub struct Long {
    pub rows: Vec<Row>,
    /// The heading row to read them from (found in the wide file), and the mapping asked.
    pub mapping: Option<Mapping>,
    /// The wide file's headings that were quarters; empty when it was not wide.
    pub quarters: Vec<String>,
}

/// The rows one reading each, and the heading row to read them from; or the rows as they
/// are when the file is not wide.
pub fn long_from_wide(rows: Vec<Row>, asked: Option<&Mapping>) -> Long {
    let as_it_is = |rows| Long {
        rows,
        mapping: asked.cloned(),
        quarters: Vec::new(),
    };
    let header_row = asked.map(|m| m.header_row).filter(|n| *n > 0);
    let Ok(table) = tabular::table(rows.clone(), READING_FIELDS, header_row) else {
        return as_it_is(rows);
    };
    let quarters: Vec<usize> = table
        .headings
        .iter()
        .enumerate()
        .filter(|(_, h)| quarter(&Cell::Text((*h).clone())).is_ok())
        .map(|(c, _)| c)
        .collect();
    if quarters.is_empty() {
        return as_it_is(rows);
    }
    let others: Vec<usize> = (0..table.headings.len())
        .filter(|c| !quarters.contains(c))
        .collect();
    let text = |s: &str| Cell::Text(s.to_string());
    let heading = Row {
        number: table.header_row,
        cells: others
            .iter()
            .map(|c| text(&table.headings[*c]))
            .chain([text("Quarter"), text("Value")])
            .collect(),
        formulas: Vec::new(),
    };
    let passed: Vec<usize> = table.passed.iter().map(|p| p.row).collect();
    let mut long: Vec<Row> = rows
        .into_iter()
        .filter(|r| r.number < table.header_row || passed.contains(&r.number))
        .collect();
    long.push(heading);
    for row in &table.rows {
        for q in &quarters {
            if row.get(*q).is_blank() {
                continue;
            }
            long.push(Row {
                number: row.number,
                cells: others
                    .iter()
                    .map(|c| row.get(*c).clone())
                    .chain([text(&table.headings[*q]), row.get(*q).clone()])
                    .collect(),
                formulas: Vec::new(),
            });
        }
    }
    long.sort_by_key(|r| r.number);
    Long {
        rows: long,
        mapping: Some(long_mapping(asked, table.header_row)),
        quarters: quarters
            .iter()
            .map(|q| table.headings[*q].clone())
            .collect(),
    }
}

/// The mapping to read the long rows with: the one asked, unless it was made for the wide
/// headings; and the heading row stays where it was found, whatever the new headings score.
fn long_mapping(asked: Option<&Mapping>, header_row: usize) -> Mapping {
    let mapping = match asked {
        // A mapping for the wide headings cannot fit the long ones: they are proposed.
        Some(m)
            if m.columns
                .keys()
                .any(|h| quarter(&Cell::Text(h.clone())).is_ok()) =>
        {
            Mapping::default()
        }
        Some(m) => m.clone(),
        None => Mapping::default(),
    };
    Mapping {
        header_row,
        ..mapping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: usize, cells: &[&str]) -> Row {
        Row {
            number,
            cells: cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect(),
            formulas: Vec::new(),
        }
    }

    #[test]
    fn a_column_a_quarter_becomes_a_reading_a_cell_on_its_own_row() {
        let rows = vec![
            row(1, &["Programme tracker"]),
            row(3, &["KPI", "2026/27 Q1", "2026/27 Q2", "Owner"]),
            row(4, &["Bus share", "20", "21", "Derby"]),
            row(5, &["Rail share", "", "8", "Nottingham"]),
        ];
        let Long {
            rows: long,
            mapping,
            quarters,
        } = long_from_wide(rows, None);
        assert_eq!(mapping.unwrap().header_row, 3);
        assert_eq!(quarters, ["2026/27 Q1", "2026/27 Q2"]);
        let cells: Vec<(usize, Vec<String>)> = long
            .iter()
            .map(|r| (r.number, r.cells.iter().map(Cell::text).collect()))
            .collect();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            cells,
            [
                (1, strings(&["Programme tracker"])),
                (3, strings(&["KPI", "Owner", "Quarter", "Value"])),
                (4, strings(&["Bus share", "Derby", "2026/27 Q1", "20"])),
                (4, strings(&["Bus share", "Derby", "2026/27 Q2", "21"])),
                (5, strings(&["Rail share", "Nottingham", "2026/27 Q2", "8"])),
            ]
        );
    }

    #[test]
    fn a_file_a_reading_a_row_is_read_as_it_is() {
        let rows = vec![
            row(1, &["Measure", "Quarter", "Value"]),
            row(2, &["Bus share", "2026/27 Q1", "20"]),
        ];
        let long = long_from_wide(rows.clone(), None);
        assert_eq!(long.rows, rows);
        assert!(long.mapping.is_none());
        assert!(long.quarters.is_empty());
    }
}
