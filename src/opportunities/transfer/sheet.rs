//! Reading a register file, CSV (UTF-8, with or without a byte-order mark) or XLSX, into its
//! rows of cells (`tabular::read`); files too large or unreadable are refused whole. The
//! templates are `tabular::template`'s, from the register's fields.

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
