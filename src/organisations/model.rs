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
    /// city_council | county_council | nhs | education | business | voluntary | other
    pub kind: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgKind {
    CityCouncil,
    CountyCouncil,
    Nhs,
    Education,
    Business,
    Voluntary,
    Other,
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::CityCouncil,
        OrgKind::CountyCouncil,
        OrgKind::Nhs,
        OrgKind::Education,
        OrgKind::Business,
        OrgKind::Voluntary,
        OrgKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::CityCouncil => "city_council",
            OrgKind::CountyCouncil => "county_council",
            OrgKind::Nhs => "nhs",
            OrgKind::Education => "education",
            OrgKind::Business => "business",
            OrgKind::Voluntary => "voluntary",
            OrgKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::CityCouncil => "City council",
            OrgKind::CountyCouncil => "County council",
            OrgKind::Nhs => "NHS",
            OrgKind::Education => "Education",
            OrgKind::Business => "Business",
            OrgKind::Voluntary => "Voluntary sector",
            OrgKind::Other => "Other",
        }
    }

    pub fn parse(value: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

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
