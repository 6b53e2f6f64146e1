//! Writing workbooks people open in spreadsheet software: every cell of its own kind, so
//! figures add up and sort as numbers and dates as dates. Money is a number of pounds shown
//! with the pound sign (stored from integer pence, so nothing is rounded on the way), times
//! are date-time cells in UTC, counts are whole numbers and text is text: a cell is never a
//! formula, whatever it holds. Each table has its heading row in bold, frozen, with an
//! autofilter, and columns wide enough to read. Reading workbooks is `spreadsheet`.

use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Worksheet, XlsxError};

/// The formats a table uses.
pub struct Styles {
    heading: Format,
    money: Format,
    datetime: Format,
    wrapped: Format,
}

impl Default for Styles {
    fn default() -> Styles {
        Styles {
            heading: Format::new().set_bold(),
            // Pounds, in the en-GB currency format, negative amounts with a minus sign.
            money: Format::new().set_num_format("[$£-809]#,##0.00;-[$£-809]#,##0.00"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            wrapped: Format::new().set_text_wrap(),
        }
    }
}

/// One cell's value, by kind.
pub enum Cell<'a> {
    Text(&'a str),
    /// Bold, as a heading inside a table.
    Heading(&'a str),
    /// Long text, wrapped in its column.
    Prose(&'a str),
    Pence(i64),
    Count(i64),
    Number(f64),
    Flag(bool),
    At(NaiveDateTime),
    Empty,
}

/// A table on `sheet` from row 0: `columns` are (heading, width in characters).
pub struct Table<'s> {
    sheet: &'s mut Worksheet,
    styles: &'s Styles,
    columns: usize,
    rows: u32,
}

impl<'s> Table<'s> {
    pub fn new(
        sheet: &'s mut Worksheet,
        styles: &'s Styles,
        columns: &[(&str, f64)],
    ) -> Result<Table<'s>, XlsxError> {
        for (c, (heading, width)) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *heading, &styles.heading)?;
            sheet.set_column_width(c as u16, *width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Table {
            sheet,
            styles,
            columns: columns.len(),
            rows: 0,
        })
    }

    /// Adds a row below the last.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        self.rows += 1;
        for (c, cell) in cells.iter().enumerate() {
            self.cell(self.rows, c as u16, cell)?;
        }
        Ok(())
    }

    fn cell(&mut self, r: u32, c: u16, cell: &Cell) -> Result<(), XlsxError> {
        let (sheet, styles) = (&mut *self.sheet, self.styles);
        match cell {
            Cell::Text(text) => sheet.write_string(r, c, *text)?,
            Cell::Heading(text) => sheet.write_string_with_format(r, c, *text, &styles.heading)?,
            Cell::Prose(text) => sheet.write_string_with_format(r, c, *text, &styles.wrapped)?,
            Cell::Pence(pence) => {
                sheet.write_number_with_format(r, c, *pence as f64 / 100.0, &styles.money)?
            }
            Cell::Count(n) => sheet.write_number(r, c, *n as f64)?,
            Cell::Number(n) => sheet.write_number(r, c, *n)?,
            Cell::Flag(b) => sheet.write_boolean(r, c, *b)?,
            Cell::At(at) => {
                sheet.write_datetime_with_format(r, c, excel_time(at)?, &styles.datetime)?
            }
            Cell::Empty => sheet,
        };
        Ok(())
    }

    /// Ends the table: an autofilter over the heading and every row.
    pub fn finish(self) -> Result<(), XlsxError> {
        if self.columns > 0 {
            self.sheet
                .autofilter(0, 0, self.rows, self.columns as u16 - 1)?;
        }
        Ok(())
    }
}

fn excel_time(at: &NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    let seconds = f64::from(at.second()) + f64::from(at.nanosecond() / 1_000_000) / 1000.0;
    ExcelDateTime::from_ymd(at.year() as u16, at.month() as u8, at.day() as u8)?.and_hms(
        at.hour() as u16,
        at.minute() as u8,
        seconds,
    )
}
