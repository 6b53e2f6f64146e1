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

/// A JSON number that is a whole number, as JSON Schema's `integer` has it: `3` and `3.0`
/// alike (generated clients and JavaScript may send either); `3.5` is refused. For
/// `#[serde(deserialize_with = "crate::validate::whole")]` on an `i64` field.
pub fn whole<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_i64() {
        return Ok(n);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!(
            "expected a whole number, got {number}"
        ))),
    }
}

#[derive(Deserialize)]
struct Whole(#[serde(deserialize_with = "whole")] i64);

/// `whole` for an `Option<i64>` (with `#[serde(default)]`).
pub fn whole_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Whole>::deserialize(d)?.map(|w| w.0))
}

/// `whole` for a list of ids (with `#[serde(default)]` when it may be left out).
pub fn wholes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    Ok(Option::<Vec<Whole>>::deserialize(d)?.map(|v| v.into_iter().map(|w| w.0).collect()))
}

/// `clearable` for a whole number.
pub fn clearable_whole<'de, D>(d: D) -> Result<Option<Option<i64>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    whole_opt(d).map(Some)
}

/// The schema of a date as the API takes it: `YYYY-MM-DD`, a real day from 2000 to 2100.
pub struct DateText;

impl utoipa::PartialSchema for DateText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(
                "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
            ))
            .examples(["2027-03-31"])
            .into()
    }
}

impl utoipa::ToSchema for DateText {}

/// Collects field errors while parsing input that arrives as text, so every form and
/// JSON body gets the same clear answer: each field with what is wrong with it.
#[derive(Default)]
pub struct Check(BTreeMap<String, String>, Vec<String>);

impl Check {
    pub fn fail(&mut self, field: &str, message: &str) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.to_string());
    }

    /// `field` names a record (an organisation, a person, a workspace) that does not exist
    /// or that the caller cannot see. When that is all that is wrong, the API answers 404,
    /// as for any invisible thing; a form shows the message by the field.
    pub fn unknown(&mut self, field: &str, message: &str) {
        self.fail(field, message);
        self.1.push(field.to_string());
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
        } else if self.0.keys().all(|field| self.1.contains(field)) {
            Err(AppError::unknown_references(self.0))
        } else {
            Err(AppError::validation(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Ids {
        #[serde(default, deserialize_with = "wholes")]
        ids: Option<Vec<i64>>,
    }

    #[test]
    fn whole_numbers_are_taken_as_json_schema_has_them() {
        let ids = |json: &str| serde_json::from_str::<Ids>(json).map(|i| i.ids);
        assert_eq!(
            ids(r#"{"ids": [3, 3.0, -5706, 4024030756646146.0, 15268247300995442]}"#).unwrap(),
            Some(vec![
                3,
                3,
                -5706,
                4_024_030_756_646_146,
                15_268_247_300_995_442
            ])
        );
        assert_eq!(ids("{}").unwrap(), None);
        for refused in [
            r#"{"ids": [2.5]}"#,
            r#"{"ids": [1e300]}"#,
            r#"{"ids": ["3"]}"#,
        ] {
            assert!(ids(refused).is_err(), "{refused}");
        }
    }
}
