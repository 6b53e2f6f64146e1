use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::organisations;

#[derive(Clone, Debug, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub kind: OrgKind,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

crate::text_enum!(OrgKind, "the kind of organisation", {
    CityCouncil => ("city_council", "City council"),
    CountyCouncil => ("county_council", "County council"),
    Nhs => ("nhs", "NHS"),
    Education => ("education", "Education"),
    Business => ("business", "Business"),
    Voluntary => ("voluntary", "Voluntary sector"),
    Other => ("other", "Other"),
});

impl OrgKind {
    pub fn is_council(self) -> bool {
        matches!(self, OrgKind::CityCouncil | OrgKind::CountyCouncil)
    }
}

/// A validated organisation slug: 2–40 characters of a–z, 0–9 and single hyphens.
pub fn parse_slug(value: &str) -> Result<String, &'static str> {
    let slug = value.trim().to_ascii_lowercase();
    let valid_chars = slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if slug.len() < 2 || slug.len() > 40 {
        return Err("Enter a short name of 2 to 40 characters");
    }
    if !valid_chars || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Err("Short name can only use lower-case letters, numbers and single hyphens");
    }
    Ok(slug)
}

/// A slug made from a name: "Derby City Council" -> "derby-city-council".
pub fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_ascii_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
}
