//! Tables as people keep them in spreadsheets, read for an import. This knows no feature: a
//! slice says which fields it takes (`Field`), and this reads the file into typed cells
//! (`read`), finds the heading row under any title and notes and says which rows below it
//! are passed over and why (`table`), proposes which column holds which field from the
//! headings, their synonyms and the values below them (`propose`), and understands values
//! as people write them (`values`).

mod begin;
mod cell;
mod detect;
mod mapping;
pub mod memory;
mod read;
mod report;
pub mod template;
pub mod values;
mod write;

pub use begin::{begin, Begun};
pub use cell::{Cell, Row};
pub use detect::{table, Passed, Table};
pub use mapping::{propose, Columns, Field, Mapping, Unit};
pub use read::{read, too_many, FileLimits};
pub use report::{
    Action, Change, ColumnFound, Counts, DryRun, FieldChange, ImportRefusal, Report, RowProblem,
    RowReader, Skipped,
};
pub use write::apply;
