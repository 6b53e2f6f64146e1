//! The fields a programme lead's spreadsheets hold: actions (the must-dos) with their owner,
//! dates, status, progress and RAG; and measures' readings by quarter.

use crate::tabular::values::normalise;
use crate::tabular::{Cell, Field};
use crate::workspaces::model::{ActionStatus, Quarter, Rag};

const fn field(
    name: &'static str,
    label: &'static str,
    headings: &'static [&'static str],
    about: &'static str,
    required: bool,
) -> Field {
    let f = Field::new(name, label, headings, about);
    if required {
        f.required()
    } else {
        f
    }
}

pub const ACTION_FIELDS: &[Field] = &[
    field("title", "Action", &["action", "task", "must do", "activity", "deliverable", "action title"], "Required. A row with the title of one of the workspace's actions updates it.", true),
    field("description", "Description", &["details", "action description", "summary"], "", false),
    field("owner", "Owner", &["owner organisation", "lead", "lead organisation", "responsible", "who", "owned by"], "A member organisation by name, short name or initials. Without the column, an update keeps its owner; a new action is yours.", false),
    field("start_date", "Start date", &["start", "starts", "from", "start date"], "A date, like 01/04/2026 or an Excel date.", false),
    field("due_date", "Due date", &["due", "deadline", "target date", "by when", "end date", "due by"], "A date, like 31/03/2027 or an Excel date; on or after the start.", false),
    field("status", "Status", &["action status", "state"], "Not started, In progress, Blocked, Done or Cancelled (\"Complete\" is done).", false),
    field("progress", "Progress", &["progress", "complete", "percent complete", "progress %", "done %"], "0 to 100, like 40 or 40%.", false),
    field("rag", "RAG", &["rag status", "rag rating", "red amber green", "rating"], "Red, amber or green (R, A, G).", false),
    field("rag_reason", "RAG reason", &["reason", "why", "commentary", "comments", "rag commentary", "explanation"], "Needed when red or amber.", false),
];

pub const READING_FIELDS: &[Field] = &[
    field(
        "measure",
        "Measure",
        &[
            "indicator",
            "kpi",
            "metric",
            "measure name",
            "performance indicator",
        ],
        "Required: a measure of this workspace by its name.",
        true,
    ),
    field(
        "quarter",
        "Quarter",
        &["period", "qtr", "reporting period", "quarter ending"],
        "Required: like 2026/27 Q3, Q3 2026/27, or a date in the quarter.",
        true,
    ),
    field(
        "value",
        "Value",
        &[
            "figure",
            "actual",
            "result",
            "reading",
            "amount",
            "actual value",
        ],
        "Required: a number, like 1,234 or 12.5.",
        true,
    ),
    field(
        "note",
        "Note",
        &["notes", "comment", "comments", "commentary"],
        "",
        false,
    ),
];

/// An action's status as people write it.
pub fn status(text: &str) -> Option<ActionStatus> {
    use ActionStatus::*;
    ActionStatus::understand(
        text,
        &[
            ("not yet started", NotStarted),
            ("planned", NotStarted),
            ("ongoing", InProgress),
            ("started", InProgress),
            ("underway", InProgress),
            ("on track", InProgress),
            ("stuck", Blocked),
            ("on hold", Blocked),
            ("complete", Done),
            ("completed", Done),
            ("finished", Done),
            ("delivered", Done),
            ("dropped", Cancelled),
            ("stopped", Cancelled),
            ("withdrawn", Cancelled),
        ],
    )
}

/// Red, amber or green as people write it.
pub fn rag(text: &str) -> Option<Rag> {
    Rag::understand(
        text,
        &[
            ("r", Rag::Red),
            ("a", Rag::Amber),
            ("g", Rag::Green),
            ("amber red", Rag::Red),
            ("amber green", Rag::Amber),
        ],
    )
}

/// Progress as people write it: 40, 40%, or a percentage cell (0.4).
pub fn progress(cell: &Cell) -> Result<Option<i32>, String> {
    let value = match cell {
        Cell::Empty => return Ok(None),
        Cell::Number(n) if *n > 0.0 && *n < 1.0 => n * 100.0,
        Cell::Number(n) => *n,
        other => {
            let text = other.text();
            let trimmed = text.trim().trim_end_matches('%').trim();
            if trimmed.is_empty() {
                return Ok(None);
            }
            trimmed
                .parse::<f64>()
                .map_err(|_| format!("\"{text}\" is not a percentage: write 0 to 100, like 40%"))?
        }
    };
    let rounded = value.round();
    if (0.0..=100.0).contains(&rounded) {
        Ok(Some(rounded as i32))
    } else {
        Err(format!("\"{}\" is not 0 to 100", cell.text()))
    }
}

/// A quarter as people write it: 2026/27 Q3, Q3 2026/27, Q3 26/27, 2026-27 Q3, or a date in
/// the quarter.
pub fn quarter(cell: &Cell) -> Result<Quarter, String> {
    let in_quarter = || match crate::tabular::values::date(cell) {
        Ok(Some(date)) => Some(Quarter::containing(date)),
        _ => None,
    };
    if !matches!(cell, Cell::Text(_)) {
        return in_quarter().ok_or_else(|| format!("\"{}\" is not a quarter", cell.text()));
    }
    let text = cell.text();
    let words = normalise(&text);
    let q = words
        .split(' ')
        .find_map(|w| w.strip_prefix('q').and_then(|n| n.parse::<i32>().ok()));
    let years: Vec<&str> = words
        .split(' ')
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let first = match years.first() {
        Some(y) if y.len() == 2 => format!("20{y}"),
        Some(y) => y.to_string(),
        None => String::new(),
    };
    let second = years.get(1).map(|y| {
        y.chars()
            .rev()
            .take(2)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    });
    let label = match (q, second) {
        (Some(q), Some(second)) => format!("{first}/{second} Q{q}"),
        _ => String::new(),
    };
    Quarter::parse(&label)
        .ok()
        .or_else(in_quarter)
        .ok_or_else(|| format!("\"{text}\" is not a quarter: write it like 2026/27 Q3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programme_words_mean_the_portals_values() {
        let q = |s: &str| quarter(&Cell::Text(s.into())).map(|q| q.label());
        assert_eq!(q("2026/27 Q3").as_deref(), Ok("2026/27 Q3"));
        assert_eq!(q("Q3 2026/27").as_deref(), Ok("2026/27 Q3"));
        assert_eq!(q("Q3 26/27").as_deref(), Ok("2026/27 Q3"));
        assert_eq!(q("2026-27 Q3").as_deref(), Ok("2026/27 Q3"));
        assert_eq!(q("31/12/2026").as_deref(), Ok("2026/27 Q3"));
        assert!(q("soon").unwrap_err().contains("\"soon\""));
        assert_eq!(progress(&Cell::Text("40%".into())), Ok(Some(40)));
        assert_eq!(progress(&Cell::Number(0.4)), Ok(Some(40)));
        assert!(progress(&Cell::Text("140".into())).is_err());
        assert_eq!(status("Complete"), Some(ActionStatus::Done));
        assert_eq!(rag("A"), Some(Rag::Amber));
    }
}
