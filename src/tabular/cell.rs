//! A cell as the file holds it, and a row of them with its number as the spreadsheet shows it.

use chrono::NaiveDateTime;

/// One cell's value: text from a CSV, or what an XLSX cell holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell formatted as a date (or date and time).
    Date(NaiveDateTime),
    Bool(bool),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The value as a person reads it: text trimmed, numbers without a needless `.0`, dates
    /// as `2026-03-31` (with the time only when there is one), yes or no.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Date(d) if d.time() == chrono::NaiveTime::MIN => d.date().to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d %H:%M").to_string(),
            Cell::Bool(true) => "yes".into(),
            Cell::Bool(false) => "no".into(),
        }
    }
}

/// A row of a sheet: its number as the spreadsheet shows it (from 1), its cells from the
/// first column, and which columns hold a formula.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<Cell>,
    pub formulas: Vec<usize>,
}

impl Row {
    pub fn get(&self, column: usize) -> &Cell {
        self.cells.get(column).unwrap_or(&Cell::Empty)
    }

    /// The cells that hold something, with their columns.
    pub fn filled(&self) -> impl Iterator<Item = (usize, &Cell)> {
        self.cells.iter().enumerate().filter(|(_, c)| !c.is_blank())
    }

    pub fn is_blank(&self) -> bool {
        self.filled().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_people_write_them() {
        assert_eq!(Cell::Number(12500.0).text(), "12500");
        assert_eq!(Cell::Number(18.75).text(), "18.75");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(Cell::Date(day.into()).text(), "2026-03-31");
        assert_eq!(Cell::Text("  Legal ".into()).text(), "Legal");
        assert!(Cell::Text(" ".into()).is_blank());
    }
}
