//! Values as people write them in their spreadsheets: words compared without case or
//! punctuation, amounts with their pound signs, thousands and `k` or `m`, dates as Excel
//! keeps them or written day first, lists of names in one cell, and names that may mean
//! more than one thing.

use chrono::{Datelike, NaiveDate};

use super::cell::Cell;
use super::mapping::Unit;

/// Lower case, `&` as "and", every run of other characters than letters and digits as one
/// space: "HR & Payroll", "hr_payroll" and "HR and payroll." all read "hr and payroll".
pub fn normalise(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut gap = false;
    for c in value.replace('&', " and ").chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// A cell a CSV export defused ("'=…", so no spreadsheet runs it) comes back as it was.
pub fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// What people write in an amount cell for "no figure".
fn is_no_figure(text: &str) -> bool {
    matches!(
        normalise(text).as_str(),
        "" | "n a" | "na" | "tbc" | "tbd" | "none" | "unknown" | "nil"
    ) || text
        .trim()
        .chars()
        .all(|c| matches!(c, '-' | '–' | '—' | '?'))
}

/// The largest amount the portal keeps: £9,999,999,999.99.
pub const MAX_PENCE: i64 = 999_999_999_999;

/// An amount in whole pence: `£1,234.56`, `12,500`, `£12.5k`, `£1.2m` or a number cell; a
/// plain number is in the column's `unit` (so `45` in a £k column is £45,000), a `k` or `m`
/// written in the cell says its own. `None` for a blank cell or "TBC", "n/a", "-".
pub fn pence(cell: &Cell, unit: Unit) -> Result<Option<i64>, String> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        // A figure a formula worked out may be a hair off the penny (1875.0000000000002).
        Cell::Number(n) => {
            return number_pence(*n, unit)
                .ok_or_else(|| amount_help_for(&cell.text(), unit))
                .map(Some)
        }
        Cell::Text(t) => t.trim().to_string(),
        _ => return Err(amount_help(unit)),
    };
    if is_no_figure(&text) {
        return Ok(None);
    }
    let mut rest = text.replace([',', ' ', '\u{a0}'], "");
    rest = rest.trim_start_matches('£').to_string();
    let lower = rest.to_ascii_lowercase();
    let (digits, scale) = if let Some(d) = lower.strip_suffix("bn") {
        (d.to_string(), 100_000_000_000i128)
    } else if let Some(d) = lower.strip_suffix('m') {
        (d.to_string(), Unit::Millions.pence())
    } else if let Some(d) = lower.strip_suffix('k') {
        (d.to_string(), Unit::Thousands.pence())
    } else {
        (lower, unit.pence())
    };
    let digits = digits.trim_start_matches('£');
    let value = exact_times(digits, scale).ok_or_else(|| amount_help_for(&text, unit))?;
    if value > i128::from(MAX_PENCE) {
        return Err(format!("\"{text}\" is more than £9,999,999,999.99"));
    }
    i64::try_from(value)
        .map(Some)
        .map_err(|_| amount_help_for(&text, unit))
}

/// A number cell in `unit`, in pence, when it is a whole number of pence (within a hair).
fn number_pence(n: f64, unit: Unit) -> Option<i64> {
    let pence = n * unit.pence() as f64;
    let whole = pence.round();
    (pence.is_finite()
        && (0.0..=MAX_PENCE as f64).contains(&whole)
        && (pence - whole).abs() < 1e-6 * whole.abs().max(1.0))
    .then_some(whole as i64)
}

/// `digits` (like `12.5`) times `unit` pence, when that is a whole number of pence.
fn exact_times(digits: &str, unit: i128) -> Option<i128> {
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 15
        || fraction.len() > 9
    {
        return None;
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let scaled = (whole * scale + fraction) * unit;
    (scaled % scale == 0).then_some(scaled / scale)
}

fn amount_help(unit: Unit) -> String {
    match unit {
        Unit::Pounds => "Write an amount in pounds, like £12,500 or £12.5k".into(),
        Unit::Thousands => "Write an amount in £ thousands, like 12.5 (for £12,500)".into(),
        Unit::Millions => "Write an amount in £ millions, like 1.2 (for £1,200,000)".into(),
    }
}

fn amount_help_for(text: &str, unit: Unit) -> String {
    format!(
        "\"{text}\" is not an amount of whole pence. {}",
        amount_help(unit)
    )
}

/// A date: a date cell, an Excel date number, or text written day first (`31/03/2027`,
/// `31-3-27`, `31 March 2027`, `31 Mar 2027`) or as `2027-03-31`. Years 2000 to 2100.
pub fn date(cell: &Cell) -> Result<Option<NaiveDate>, String> {
    let found = match cell {
        Cell::Empty => return Ok(None),
        Cell::Date(d) => Some(d.date()),
        // Excel counts days from 30 December 1899.
        Cell::Number(n) if n.fract() == 0.0 && (36_526.0..=73_051.0).contains(n) => {
            NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|d| d.checked_add_days(chrono::Days::new(*n as u64)))
        }
        Cell::Text(t) if t.trim().is_empty() => return Ok(None),
        Cell::Text(t) => text_date(t.trim()),
        _ => None,
    };
    match found {
        Some(d) if (2000..=2100).contains(&d.year()) => Ok(Some(d)),
        _ => Err(format!(
            "\"{}\" is not a date: write it like 31/03/2027 or 2027-03-31",
            cell.text()
        )),
    }
}

fn text_date(text: &str) -> Option<NaiveDate> {
    if text
        .get(..4)
        .is_some_and(|y| y.chars().all(|c| c.is_ascii_digit()))
    {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    }
    let parts: Vec<&str> = text
        .split(['/', '-', '.', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    let [day, month, year] = parts[..] else {
        return None;
    };
    let day: u32 = day
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .ok()?;
    let month = match month.parse::<u32>() {
        Ok(m) => m,
        Err(_) => month_number(month)?,
    };
    let year: i32 = match year.parse::<i32>().ok()? {
        y if year.len() == 2 => 2000 + y,
        y => y,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    let short = lower.get(..3)?;
    MONTHS
        .iter()
        .position(|m| *m == short)
        .map(|i| i as u32 + 1)
}

/// Yes or no as people write it; `None` for a blank cell.
pub fn yes_no(cell: &Cell) -> Result<Option<bool>, String> {
    if let Cell::Bool(b) = cell {
        return Ok(Some(*b));
    }
    match normalise(&cell.text()).as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" | "cashable" => Ok(Some(true)),
        "no" | "n" | "false" | "0" | "non cashable" | "not cashable" => Ok(Some(false)),
        _ => Err(format!("\"{}\" is not yes or no", cell.text())),
    }
}

/// The parts of a cell that lists several things: split on `;`, `/`, `,`, "and" and `&`.
/// `whole` says whether a piece is already one thing, so "Nottingham and Nottinghamshire
/// ICB" stays whole when that is a name.
pub fn list(text: &str, whole: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for piece in text.split([';', '/', ',', '\n']) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        if whole(piece) {
            out.push(piece.to_string());
            continue;
        }
        let words = piece.replace('&', " and ");
        let mut part = String::new();
        for word in words.split_whitespace() {
            if word.eq_ignore_ascii_case("and") {
                if !part.is_empty() {
                    out.push(std::mem::take(&mut part));
                }
            } else {
                if !part.is_empty() {
                    part.push(' ');
                }
                part.push_str(word);
            }
        }
        if !part.is_empty() {
            out.push(part);
        }
    }
    out
}

/// The option a person meant by `text`: an option's code or label (`options`), or one of
/// `synonyms`, with case and punctuation ignored.
pub fn choose<T: Copy>(
    text: &str,
    options: impl IntoIterator<Item = (T, &'static str, &'static str)>,
    synonyms: &[(&str, T)],
) -> Option<T> {
    let wanted = normalise(text);
    if wanted.is_empty() {
        return None;
    }
    options
        .into_iter()
        .find(|(_, code, label)| normalise(code) == wanted || normalise(label) == wanted)
        .map(|(value, _, _)| value)
        .or_else(|| {
            synonyms
                .iter()
                .find(|(s, _)| normalise(s) == wanted)
                .map(|(_, v)| *v)
        })
}

/// Names that things (organisations, workspaces) go by, to find which one a person meant.
pub struct Names<T> {
    entries: Vec<(T, Vec<String>, Vec<String>)>,
}

/// Who a name means.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<T> {
    One(T),
    /// Several at once: "DCC" is Derby City and Derbyshire County Council.
    Many(Vec<T>),
    None,
}

/// Small words left out of initials and not needed to name something.
const SMALL: &[&str] = &["of", "the", "and", "for"];

impl<T: Copy + PartialEq> Names<T> {
    /// `items`: each thing with its full name and its other exact names (a short name, a slug).
    pub fn new(items: impl IntoIterator<Item = (T, String, Vec<String>)>) -> Names<T> {
        let entries = items
            .into_iter()
            .map(|(id, name, others)| {
                let full = normalise(&name);
                let words: Vec<&str> = full.split(' ').collect();
                let mut exact = vec![full.clone()];
                exact.extend(others.iter().map(|o| normalise(o)));
                let mut initials: String = words
                    .iter()
                    .filter(|w| !SMALL.contains(w))
                    .filter_map(|w| w.chars().next())
                    .collect();
                let mut short = vec![initials.clone()];
                initials = words.iter().filter_map(|w| w.chars().next()).collect();
                short.push(initials);
                (id, exact, short.into_iter().chain([full]).collect())
            })
            .collect();
        Names { entries }
    }

    /// By exact name first (full, short or slug); then by initials ("DCC") or by the first
    /// words of the name ("Derby City" for Derby City Council); several at the first level
    /// that finds any are `Many`.
    pub fn find(&self, text: &str) -> Found<T> {
        let wanted = normalise(text);
        if wanted.is_empty() {
            return Found::None;
        }
        let exact: Vec<T> = self
            .entries
            .iter()
            .filter(|(_, exact, _)| exact.contains(&wanted))
            .map(|(id, _, _)| *id)
            .collect();
        if !exact.is_empty() {
            return found(exact);
        }
        let loose: Vec<T> = self
            .entries
            .iter()
            .filter(|(_, _, short)| {
                short[..2].contains(&wanted) || starts_with_words(&short[2], &wanted)
            })
            .map(|(id, _, _)| *id)
            .collect();
        found(loose)
    }
}

/// `name`'s first words are `wanted`'s (whole words, not "Nottingham" for Nottinghamshire).
fn starts_with_words(name: &str, wanted: &str) -> bool {
    name.strip_prefix(wanted)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

fn found<T: PartialEq>(mut ids: Vec<T>) -> Found<T> {
    ids.dedup();
    match ids.len() {
        0 => Found::None,
        1 => Found::One(ids.remove(0)),
        _ => Found::Many(ids),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn amounts_read_as_written() {
        let pounds = |s: &str| pence(&text(s), Unit::Pounds);
        assert_eq!(pounds("£1,234.56"), Ok(Some(123_456)));
        assert_eq!(pounds("12,500"), Ok(Some(1_250_000)));
        assert_eq!(pounds("£120,000"), Ok(Some(12_000_000)));
        assert_eq!(pounds("£12.5k"), Ok(Some(1_250_000)));
        assert_eq!(pounds("£1.2m"), Ok(Some(120_000_000)));
        assert_eq!(pounds("18.75"), Ok(Some(1_875)));
        assert_eq!(pounds("TBC"), Ok(None));
        assert_eq!(pounds("-"), Ok(None));
        assert!(pounds("12.345").is_err());
        assert!(pounds("lots").unwrap_err().contains("\"lots\""));
        assert_eq!(pence(&text("45"), Unit::Thousands), Ok(Some(4_500_000)));
        assert_eq!(
            pence(&Cell::Number(1.2), Unit::Millions),
            Ok(Some(120_000_000))
        );
        assert_eq!(pence(&text("£250k"), Unit::Millions), Ok(Some(25_000_000)));
        assert_eq!(pence(&Cell::Number(18.75), Unit::Pounds), Ok(Some(1_875)));
        assert_eq!(
            pence(&Cell::Number(1875.0000000000002), Unit::Pounds),
            Ok(Some(187_500))
        );
        assert!(
            pence(&Cell::Number(1.005), Unit::Pounds).is_err(),
            "half a penny"
        );
        assert!(pounds("£12bn").unwrap_err().contains("more than"));
        assert!(date(&text("日本")).is_err());
    }

    #[test]
    fn dates_read_day_first_or_as_excel_keeps_them() {
        let day = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
        assert_eq!(date(&text("31/03/2027")), Ok(Some(day)));
        assert_eq!(date(&text("31-3-27")), Ok(Some(day)));
        assert_eq!(date(&text("31 March 2027")), Ok(Some(day)));
        assert_eq!(date(&text("31st Mar 2027")), Ok(Some(day)));
        assert_eq!(date(&text("2027-03-31")), Ok(Some(day)));
        assert_eq!(date(&Cell::Number(46_477.0)), Ok(Some(day)));
        assert_eq!(date(&Cell::Date(day.into())), Ok(Some(day)));
        assert!(date(&text("31/02/2027")).is_err());
        assert!(date(&text("soon")).unwrap_err().contains("\"soon\""));
    }

    #[test]
    fn lists_split_on_what_people_use() {
        let none = |_: &str| false;
        assert_eq!(
            list("Nottingham / Leicester", none),
            ["Nottingham", "Leicester"]
        );
        assert_eq!(
            list("derby; nottingham, cad", none),
            ["derby", "nottingham", "cad"]
        );
        assert_eq!(
            list("Derby and Nottingham & Leicester", none),
            ["Derby", "Nottingham", "Leicester"]
        );
        let named = |s: &str| s == "Nottingham and Nottinghamshire ICB";
        assert_eq!(list("Nottingham and Nottinghamshire ICB", named).len(), 1);
    }

    #[test]
    fn names_find_one_or_say_which_they_could_be() {
        let names = Names::new([
            (
                1,
                "Derby City Council".to_string(),
                vec!["derby".to_string()],
            ),
            (
                2,
                "Derbyshire County Council".to_string(),
                vec!["derbyshire".to_string()],
            ),
            (
                3,
                "Nottingham City Council".to_string(),
                vec!["nottingham".to_string()],
            ),
            (
                4,
                "University of Derby".to_string(),
                vec!["uni-derby".to_string()],
            ),
        ]);
        assert_eq!(names.find("Derby City"), Found::One(1));
        assert_eq!(names.find("derby city council."), Found::One(1));
        assert_eq!(names.find("DCC"), Found::Many(vec![1, 2]));
        assert_eq!(names.find("Nottingham"), Found::One(3));
        assert_eq!(names.find("uni-derby"), Found::One(4));
        assert_eq!(names.find("UoD"), Found::One(4));
        assert_eq!(names.find("Leicester"), Found::None);
    }

    #[test]
    fn words_compare_without_case_or_punctuation() {
        assert_eq!(normalise("HR & Payroll"), "hr and payroll");
        assert_eq!(normalise("hr_payroll"), "hr payroll");
        assert_eq!(normalise(" Est. saving (£k) "), "est saving k");
    }
}
