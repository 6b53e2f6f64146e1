//! Checking text input field by field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::error::{AppError, AppResult};

/// Text people type never holds control characters other than line breaks and tabs (NUL
/// cannot even be stored in PostgreSQL).
pub fn has_control_characters(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

pub const CONTROL_CHARACTERS: &str = "Remove the control characters (such as NUL) from this text";

/// For a JSON field that may be left out, set, or set to `null` to clear it, held as
/// `Option<Option<T>>` with `#[serde(default, deserialize_with = "clearable")]`: left out is
/// `None`, `null` is `Some(None)`, a value is `Some(Some(v))`.
pub fn clearable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Collects field errors while parsing input that arrives as text, so every form and
/// JSON body gets the same clear answer: each field with what is wrong with it.
#[derive(Default)]
pub struct Check(BTreeMap<String, String>);

impl Check {
    pub fn fail(&mut self, field: &str, message: &str) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.to_string());
    }

    pub fn text(&mut self, field: &str, value: &str, max: usize, missing: &str) -> String {
        let value = value.trim();
        if value.is_empty() && !missing.is_empty() {
            self.fail(field, missing);
        } else if has_control_characters(value) {
            self.fail(field, CONTROL_CHARACTERS);
        } else if value.chars().count() > max {
            self.fail(field, &format!("Must be {max} characters or fewer"));
        }
        value.to_string()
    }

    pub fn choice<T>(&mut self, field: &str, parsed: Result<T, &str>) -> Option<T> {
        parsed.map_err(|m| self.fail(field, m)).ok()
    }

    pub fn date(&mut self, field: &str, value: &str, required: bool) -> Option<NaiveDate> {
        let value = value.trim();
        if value.is_empty() {
            if required {
                self.fail(field, "Enter a date");
            }
            return None;
        }
        match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
            _ => {
                self.fail(field, "Enter a real date, like 2027-03-31");
                None
            }
        }
    }

    pub fn number(&mut self, field: &str, value: &str) -> f64 {
        match value.trim().replace(',', "").parse::<f64>() {
            Ok(n) if n.is_finite() => n,
            _ => {
                self.fail(field, "Enter a number, like 40000 or 12.5");
                0.0
            }
        }
    }

    /// A record's id: a positive whole number (records are numbered from 1).
    pub fn id(&mut self, field: &str, value: &str, missing: &str) -> i64 {
        match value.trim().parse::<i64>() {
            Ok(id) if id > 0 => id,
            _ => {
                self.fail(field, missing);
                0
            }
        }
    }

    pub fn optional_id(&mut self, field: &str, value: &str) -> Option<i64> {
        match value.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    self.fail(field, "Choose from the list");
                    None
                }
            },
        }
    }

    pub fn done(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(self.0))
        }
    }
}
