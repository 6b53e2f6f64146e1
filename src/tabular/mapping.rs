//! Which column holds which field. A slice lists its fields (`Field`); `propose` reads the
//! headings and, where a heading says nothing, the values below it; the person confirms or
//! changes the `Mapping`, which `Mapping::columns` then checks against the table.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::detect::Table;
use super::values::normalise;

/// One field a slice takes from a table.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// Other headings people give it (compared without case or punctuation).
    pub headings: &'static [&'static str],
    /// Whether a value looks like this field's, for a column whose heading says nothing.
    pub looks_like: Option<fn(&str) -> bool>,
    pub required: bool,
    /// An amount of money, read in the column's unit.
    pub money: bool,
    /// What goes in it, for the column guide.
    pub about: &'static str,
    /// A value for the template's example row.
    pub example: &'static str,
    /// A heading claims this field only when the values below it look like it (a council's
    /// "Reference" column of its own references is not the portal's).
    pub strict: bool,
}

impl Field {
    /// A field with its name, label, the other headings people give it and its guide line;
    /// optional, not money, matched by its headings alone, with no example.
    pub const fn new(
        name: &'static str,
        label: &'static str,
        headings: &'static [&'static str],
        about: &'static str,
    ) -> Field {
        Field {
            name,
            label,
            headings,
            looks_like: None,
            required: false,
            money: false,
            about,
            example: "",
            strict: false,
        }
    }

    pub const fn example(mut self, example: &'static str) -> Field {
        self.example = example;
        self
    }

    pub const fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub const fn money(mut self) -> Field {
        self.money = true;
        self
    }

    /// A value looks like this field's when `like` says so (for a column whose heading
    /// names nothing).
    pub const fn looks(mut self, like: fn(&str) -> bool) -> Field {
        self.looks_like = Some(like);
        self
    }

    /// A heading claims this field only when the values below it look like it.
    pub const fn strict(mut self) -> Field {
        self.strict = true;
        self
    }
}

/// The unit a money column's plain numbers are in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    #[default]
    Pounds,
    Thousands,
    Millions,
}

impl Unit {
    pub fn pence(self) -> i128 {
        match self {
            Unit::Pounds => 100,
            Unit::Thousands => 100_000,
            Unit::Millions => 100_000_000,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Unit::Pounds => "pounds",
            Unit::Thousands => "£ thousands (£k)",
            Unit::Millions => "£ millions (£m)",
        }
    }

    /// The unit a heading names: "Est. saving £k", "Savings (£000s)", "Value £m".
    pub fn of_heading(heading: &str) -> Unit {
        let lower = heading.to_lowercase().replace([' ', '\''], "");
        if ["£k", "(k)", "£000", "000s", "thousand"]
            .iter()
            .any(|m| lower.contains(m))
        {
            Unit::Thousands
        } else if ["£m", "(m)", "million"].iter().any(|m| lower.contains(m)) {
            Unit::Millions
        } else {
            Unit::Pounds
        }
    }

    /// The unit of a money column: the one its heading names; else, where some of its
    /// amounts are written with a unit ("£12.5k", "1.2m") and none of its plain numbers
    /// reads as pounds (1,000 or more), the unit most of those are in, as the plain numbers
    /// beside them ("45") are in it too; else pounds.
    pub fn of_column(heading: &str, values: &[String]) -> Unit {
        let named = Unit::of_heading(heading);
        if named != Unit::Pounds {
            return named;
        }
        let (mut thousands, mut millions) = (0, 0);
        for v in values {
            let v = v
                .to_ascii_lowercase()
                .replace([',', ' ', '£', '\u{a0}'], "");
            let number = |d: &str| d.parse::<f64>().ok().filter(|n| n.is_finite());
            if v.strip_suffix('k').and_then(number).is_some() {
                thousands += 1;
            } else if v.strip_suffix('m').and_then(number).is_some() {
                millions += 1;
            } else if number(&v).is_some_and(|n| n.abs() >= 1000.0) {
                return Unit::Pounds;
            }
        }
        match (thousands, millions) {
            (0, 0) => Unit::Pounds,
            (k, m) if k >= m => Unit::Thousands,
            _ => Unit::Millions,
        }
    }
}

/// Which column holds which field: the heading row, each heading with the field it fills
/// (or none: not imported), and the unit of each money column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mapping {
    /// The heading row, numbered as the spreadsheet shows it.
    pub header_row: usize,
    /// Heading → the field it fills, or null for a column not imported.
    pub columns: BTreeMap<String, Option<String>>,
    /// Money column's heading → the unit its plain numbers are in.
    #[serde(default)]
    pub units: BTreeMap<String, Unit>,
    /// Field → a value as the file has it → what the person said it means (one of the
    /// choices a problem offered: "DCC" → "Derby City Council").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Row → the record the person chose for a row that only resembles one (its reference),
    /// or "new".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, String>)]
    pub matches: BTreeMap<usize, String>,
}

/// A confirmed mapping, checked against the table: each field's column and unit.
#[derive(Debug, Default)]
pub struct Columns {
    by_field: BTreeMap<&'static str, (usize, Unit)>,
}

impl Columns {
    pub fn column(&self, field: &str) -> Option<usize> {
        self.by_field.get(field).map(|(c, _)| *c)
    }

    pub fn unit(&self, field: &str) -> Unit {
        self.by_field
            .get(field)
            .map(|(_, u)| *u)
            .unwrap_or_default()
    }

    pub fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }
}

/// How well a heading names a field: 3 exactly, 2 when all the words of one of its names of
/// two words or more are in it ("Est. saving £k"; but not "estimated_total_gbp" for the one
/// word "estimated").
fn heading_score(heading: &str, field: &Field) -> u8 {
    let heading = normalise(heading);
    if heading.is_empty() {
        return 0;
    }
    let names = [field.name, field.label]
        .into_iter()
        .chain(field.headings.iter().copied())
        .map(normalise);
    let words: BTreeSet<&str> = heading.split(' ').collect();
    let mut best = 0;
    for name in names {
        if name == heading {
            return 3;
        }
        if name.contains(' ') && name.split(' ').all(|w| words.contains(w)) {
            best = 2;
        }
    }
    best
}

/// Whether a heading names one of the fields, exactly or by a name's words (for finding the
/// heading row: "Est. saving £k" counts).
pub(super) fn names_a_field(heading: &str, fields: &[Field]) -> bool {
    fields.iter().any(|f| heading_score(heading, f) >= 2)
}

/// The mapping proposed for a table: each field to the column whose heading names it best;
/// then a column whose heading names nothing to a field its values look like (four in five
/// of them); units from the headings.
pub fn propose(table: &Table, fields: &[Field]) -> Mapping {
    let mut taken: BTreeMap<usize, &'static str> = BTreeMap::new();
    let values = |c: usize| -> Vec<String> {
        table
            .rows
            .iter()
            .map(|r| r.get(c).text())
            .filter(|v| !v.is_empty())
            .take(50)
            .collect()
    };
    let fits = |f: &Field, values: &[String]| {
        f.looks_like.is_some_and(|looks| {
            !values.is_empty() && values.iter().filter(|v| looks(v)).count() * 5 >= values.len() * 4
        })
    };
    for score in [3, 2] {
        for field in fields {
            if taken.values().any(|f| *f == field.name) {
                continue;
            }
            let column = (0..table.headings.len())
                .filter(|c| !taken.contains_key(c))
                .filter(|c| !field.strict || fits(field, &values(*c)))
                .find(|c| heading_score(&table.headings[*c], field) == score);
            if let Some(c) = column {
                taken.insert(c, field.name);
            }
        }
    }
    for c in 0..table.headings.len() {
        if taken.contains_key(&c) {
            continue;
        }
        let values = values(c);
        let found = fields
            .iter()
            .find(|f| !taken.values().any(|t| *t == f.name) && fits(f, &values));
        if let Some(f) = found {
            taken.insert(c, f.name);
        }
    }
    let mut mapping = Mapping {
        header_row: table.header_row,
        ..Mapping::default()
    };
    for (c, heading) in table.headings.iter().enumerate() {
        let field = taken.get(&c).copied();
        mapping
            .columns
            .insert(heading.clone(), field.map(str::to_string));
        if field.is_some_and(|f| fields.iter().any(|x| x.name == f && x.money)) {
            mapping
                .units
                .insert(heading.clone(), Unit::of_column(heading, &values(c)));
        }
    }
    mapping
}

impl Mapping {
    /// Checks the mapping against the table: every heading it names is there, every field
    /// it gives is one of `fields` and is given once, every required field has a column.
    /// `Err` lists what is wrong, one sentence each.
    pub fn columns(&self, table: &Table, fields: &[Field]) -> Result<Columns, Vec<String>> {
        let mut problems = Vec::new();
        let mut columns = Columns::default();
        for (heading, field) in &self.columns {
            let Some(c) = table.headings.iter().position(|h| h == heading) else {
                problems.push(format!("The file has no column \"{heading}\""));
                continue;
            };
            let Some(name) = field.as_deref().filter(|f| !f.is_empty()) else {
                continue;
            };
            let Some(f) = fields.iter().find(|f| f.name == name) else {
                problems.push(format!("\"{name}\" is not a field this import takes"));
                continue;
            };
            if columns.by_field.contains_key(f.name) {
                problems.push(format!("Two columns are set to fill {}", f.label));
                continue;
            }
            let unit = self.units.get(heading).copied().unwrap_or_default();
            columns.by_field.insert(f.name, (c, unit));
        }
        for f in fields.iter().filter(|f| f.required) {
            if !columns.by_field.contains_key(f.name) {
                problems.push(format!("Choose the column that holds {}", f.label));
            }
        }
        if problems.is_empty() {
            Ok(columns)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_the_heading() {
        assert_eq!(Unit::of_heading("Est. saving £k"), Unit::Thousands);
        assert_eq!(Unit::of_heading("Savings (£'000)"), Unit::Thousands);
        assert_eq!(Unit::of_heading("Value £m"), Unit::Millions);
        assert_eq!(Unit::of_heading("Estimated saving"), Unit::Pounds);
    }

    #[test]
    fn a_column_whose_heading_names_no_unit_takes_the_one_its_amounts_are_written_in() {
        let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let of = |h: &str, v: &[&str]| Unit::of_column(h, &values(v));
        assert_eq!(
            of("Saving", &["45", "£12.5k", "18.75", "£120K"]),
            Unit::Thousands
        );
        assert_eq!(
            of("Saving", &["1.2m", "0.4", "£2M", "£45k"]),
            Unit::Millions
        );
        assert_eq!(of("Saving", &["12,500", "£120,000", "18.75"]), Unit::Pounds);
        // Plain numbers in pounds beside amounts with a unit: the column is in pounds.
        assert_eq!(
            of("Saving", &["£1,234.56", "12,500", "£12.5k", "£1.2m"]),
            Unit::Pounds
        );
        // The heading wins over the values.
        assert_eq!(of("Saving £m", &["45k", "12k"]), Unit::Millions);
        // Words ending in k or m are not amounts.
        assert_eq!(of("Saving", &["tbc", "Unknown", "pm"]), Unit::Pounds);
    }

    #[test]
    fn headings_name_fields_exactly_or_by_their_words() {
        let field = Field {
            name: "lead_organisation",
            label: "Lead organisation",
            headings: &["lead council", "lead"],
            looks_like: None,
            required: false,
            money: false,
            about: "",
            example: "",
            strict: false,
        };
        assert_eq!(heading_score("Lead council", &field), 3);
        assert_eq!(heading_score("lead_organisation", &field), 3);
        assert_eq!(heading_score("Lead council (main)", &field), 2);
        assert_eq!(heading_score("Lead partner", &field), 0);
        assert_eq!(heading_score("Partner(s)", &field), 0);
    }
}
