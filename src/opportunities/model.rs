//! The register as stored: opportunities and what is attached to them, with the typed
//! values their columns hold.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::{
    barriers, endorsements, opportunities, opportunity_comments, opportunity_transitions, savings,
};
use crate::text_enum;

text_enum!(ServiceArea, "a service area", {
    Legal => ("legal", "Legal"),
    Procurement => ("procurement", "Procurement"),
    IctDigital => ("ict_digital", "ICT and digital"),
    HrPayroll => ("hr_payroll", "HR and payroll"),
    Finance => ("finance", "Finance"),
    HighwaysTransport => ("highways_transport", "Highways and transport"),
    Waste => ("waste", "Waste"),
    PropertyFacilities => ("property_facilities", "Property and facilities"),
    CustomerServices => ("customer_services", "Customer services"),
    SocialCare => ("social_care", "Social care"),
    PublicHealth => ("public_health", "Public health"),
    Regeneration => ("regeneration", "Regeneration"),
    Other => ("other", "Other"),
});

text_enum!(OpportunityKind, "a type of opportunity", {
    SharedService => ("shared_service", "Shared service"),
    JointProcurement => ("joint_procurement", "Joint procurement"),
    SharedStaff => ("shared_staff", "Shared staff or skills"),
    CoLocation => ("co_location", "Co-location"),
    IncomeGeneration => ("income_generation", "Income generation"),
    JointBid => ("joint_bid", "Joint bid"),
    Other => ("other", "Other"),
});

text_enum!(OpportunityVisibility, "who can see it", {
    Draft => ("draft", "Draft: your organisation only"),
    Partnership => ("partnership", "Partnership: anyone signed in"),
    Public => ("public", "Public: anyone"),
});

text_enum!(Stage, "a stage", {
    Idea => ("idea", "Idea"),
    UnderAssessment => ("under_assessment", "Under assessment"),
    BusinessCase => ("business_case", "Business case"),
    Approved => ("approved", "Approved"),
    InDelivery => ("in_delivery", "In delivery"),
    Realised => ("realised", "Realised"),
    OnHold => ("on_hold", "On hold"),
    Declined => ("declined", "Declined"),
});

text_enum!(SavingKind, "estimated, validated or realised", {
    Estimated => ("estimated", "Estimated"),
    Validated => ("validated", "Validated"),
    Realised => ("realised", "Realised"),
});

text_enum!(BarrierCategory, "a category", {
    Legal => ("legal", "Legal"),
    HrTupe => ("hr_tupe", "HR and TUPE"),
    ItData => ("it_data", "IT and data"),
    Governance => ("governance", "Governance"),
    Procurement => ("procurement", "Procurement"),
    Finance => ("finance", "Finance"),
    Culture => ("culture", "Culture"),
    Other => ("other", "Other"),
});

text_enum!(Severity, "low, medium or high", {
    Low => ("low", "Low"),
    Medium => ("medium", "Medium"),
    High => ("high", "High"),
});

text_enum!(BarrierStatus, "open, mitigated or closed", {
    Open => ("open", "Open"),
    Mitigated => ("mitigated", "Mitigated"),
    Closed => ("closed", "Closed"),
});

impl Stage {
    /// The moves the pipeline allows from here.
    pub fn next(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Idea => &[UnderAssessment, OnHold, Declined],
            UnderAssessment => &[BusinessCase, Idea, OnHold, Declined],
            BusinessCase => &[Approved, UnderAssessment, OnHold, Declined],
            Approved => &[InDelivery, OnHold, Declined],
            InDelivery => &[Realised, OnHold],
            Realised => &[],
            OnHold => &[
                Idea,
                UnderAssessment,
                BusinessCase,
                Approved,
                InDelivery,
                Declined,
            ],
            Declined => &[Idea],
        }
    }

    pub fn can_move_to(self, to: Stage) -> bool {
        self.next().contains(&to)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = opportunities)]
pub struct Opportunity {
    pub id: i64,
    /// Like OPP-0001: unique and stable.
    pub reference: String,
    pub title: String,
    pub summary: String,
    pub service_area: ServiceArea,
    pub kind: OpportunityKind,
    pub lead_organisation_id: i64,
    pub workspace_id: Option<i64>,
    pub contact_user_id: Option<i64>,
    pub visibility: OpportunityVisibility,
    pub stage: Stage,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub stage_changed_at: NaiveDateTime,
    pub created_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// The lead organisation's own reference for it, as its spreadsheets have it; may be
    /// empty.
    pub your_reference: String,
}

impl Opportunity {
    /// The opportunity's own words the register's search finds it by.
    pub fn search_text(&self) -> String {
        format!("{} {} {}", self.title, self.summary, self.your_reference)
    }
}

/// An opportunity's own details as a change writes them, checked: the same struct creates
/// a row and changes one. `None` clears the theme or the contact. Partners are written
/// apart, into their own table.
#[derive(Debug, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = opportunities, treat_none_as_null = true)]
pub struct OpportunityDetails {
    pub title: String,
    pub summary: String,
    pub service_area: ServiceArea,
    pub kind: OpportunityKind,
    pub visibility: OpportunityVisibility,
    pub workspace_id: Option<i64>,
    pub contact_user_id: Option<i64>,
    pub your_reference: String,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = opportunity_transitions)]
pub struct Transition {
    pub id: i64,
    #[serde(skip)]
    pub opportunity_id: i64,
    pub from_stage: Stage,
    pub to_stage: Stage,
    pub note: String,
    pub actor_user_id: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A move along the pipeline, as written.
#[derive(Debug, Insertable)]
#[diesel(table_name = opportunity_transitions)]
pub struct NewTransition<'a> {
    pub opportunity_id: i64,
    pub from_stage: Stage,
    pub to_stage: Stage,
    pub note: &'a str,
    pub actor_user_id: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = savings)]
pub struct Saving {
    pub id: i64,
    #[serde(skip)]
    pub opportunity_id: i64,
    /// First calendar year of the UK financial year: 2026 for 2026/27.
    pub financial_year: i32,
    /// estimated | validated | realised
    pub kind: SavingKind,
    pub cashable: bool,
    /// The organisation that saves.
    pub organisation_id: i64,
    /// Whole pence.
    pub amount_pence: i64,
    /// Whole pence.
    pub one_off_cost_pence: i64,
    pub note: String,
    pub created_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = barriers)]
pub struct Barrier {
    pub id: i64,
    #[serde(skip)]
    pub opportunity_id: i64,
    pub category: BarrierCategory,
    pub description: String,
    /// low | medium | high
    pub severity: Severity,
    pub owner: String,
    /// open | mitigated | closed
    pub status: BarrierStatus,
    pub mitigation: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = endorsements)]
pub struct Endorsement {
    pub id: i64,
    #[serde(skip)]
    pub opportunity_id: i64,
    pub organisation_id: i64,
    pub user_id: i64,
    pub note: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = opportunity_comments)]
pub struct OpportunityComment {
    pub id: i64,
    #[serde(skip)]
    pub opportunity_id: i64,
    pub author_user_id: i64,
    pub organisation_id: i64,
    pub body: String,
    /// A stage the author proposes moving to.
    pub proposed_stage: Option<Stage>,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// Money as people type it ("£1,234.56", "1234", "0.5") into whole pence. Never a float.
pub fn parse_pence(value: &str) -> Result<i64, &'static str> {
    const MESSAGE: &str = "Enter an amount in pounds, like £1,234.56";
    let cleaned: String = value
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',' && *c != ' ')
        .collect();
    if cleaned.is_empty() {
        return Err(MESSAGE);
    }
    let (pounds, pence) = match cleaned.split_once('.') {
        Some((p, d)) => (p, d),
        None => (cleaned.as_str(), ""),
    };
    if pounds.is_empty() && pence.is_empty() {
        return Err(MESSAGE);
    }
    if !pounds.chars().all(|c| c.is_ascii_digit()) || !pence.chars().all(|c| c.is_ascii_digit()) {
        return Err(MESSAGE);
    }
    if pence.len() > 2 {
        return Err("Amounts can have at most two decimal places (whole pence)");
    }
    if pounds.len() > 10 {
        return Err("That amount is too large (the most is £9,999,999,999.99)");
    }
    let whole: i64 = if pounds.is_empty() {
        0
    } else {
        pounds.parse().map_err(|_| MESSAGE)?
    };
    let fraction: i64 = match pence.len() {
        0 => 0,
        1 => pence.parse::<i64>().map_err(|_| MESSAGE)? * 10,
        _ => pence.parse().map_err(|_| MESSAGE)?,
    };
    Ok(whole * 100 + fraction)
}

/// Whole pence as "£1,234.56".
pub fn format_pence(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let pence = pence.unsigned_abs();
    format!(
        "{sign}£{}.{:02}",
        crate::web::group_thousands(pence / 100),
        pence % 100
    )
}

/// The schema of a financial year as the API takes it: "2026/27", from 2000/01 to 2100/01.
pub struct FinancialYear;

impl utoipa::PartialSchema for FinancialYear {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some((2000..=2100).map(financial_year_label)))
            .into()
    }
}

impl utoipa::ToSchema for FinancialYear {}

/// The schema of an amount of pounds as text: "1234.56", "£1,234.56", "12" (whole pence at
/// most, up to £999,999,999.99 with separators or £9,999,999,999.99 without).
pub struct PoundsText;

impl utoipa::PartialSchema for PoundsText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(
                "^£?(?:[0-9]{1,3}(?:,[0-9]{3}){0,2}|[0-9]{1,10})(?:\\.[0-9]{1,2})?$",
            ))
            .examples(["£1,234.56"])
            .into()
    }
}

impl utoipa::ToSchema for PoundsText {}

/// "2026/27" (or 2026) into its first calendar year.
pub fn parse_financial_year(value: &str) -> Result<i32, &'static str> {
    const MESSAGE: &str = "Enter a financial year like 2026/27";
    let value = value.trim();
    let (first, second) = match value.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (value, None),
    };
    let year: i32 = first.parse().map_err(|_| MESSAGE)?;
    if !(2000..=2100).contains(&year) {
        return Err(MESSAGE);
    }
    if let Some(second) = second {
        let next: i32 = second.parse().map_err(|_| MESSAGE)?;
        if next != (year + 1) % 100 && next != year + 1 {
            return Err(MESSAGE);
        }
    }
    Ok(year)
}

pub fn financial_year_label(year: i32) -> String {
    format!("{}/{:02}", year, (year + 1) % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pence_are_exact() {
        assert_eq!(
            parse_pence("£0.10").unwrap() + parse_pence("£0.20").unwrap(),
            30
        );
        assert_eq!(parse_pence("£1,234.56"), Ok(123_456));
        assert_eq!(parse_pence("1234"), Ok(123_400));
        assert_eq!(parse_pence("0.5"), Ok(50));
        assert_eq!(parse_pence(".75"), Ok(75));
        assert!(parse_pence("12.345").is_err());
        assert!(parse_pence("-5").is_err());
        assert!(parse_pence("1e3").is_err());
        assert!(parse_pence("").is_err());
        assert!(parse_pence("£").is_err());
        assert_eq!(format_pence(123_456_789), "£1,234,567.89");
        assert_eq!(format_pence(5), "£0.05");
    }

    #[test]
    fn only_the_pipeline_moves_are_allowed() {
        assert!(Stage::Idea.can_move_to(Stage::UnderAssessment));
        assert!(!Stage::Idea.can_move_to(Stage::Realised));
        assert!(!Stage::Realised.can_move_to(Stage::Idea));
        assert!(Stage::OnHold.can_move_to(Stage::InDelivery));
    }

    #[test]
    fn financial_years() {
        assert_eq!(parse_financial_year("2026/27"), Ok(2026));
        assert_eq!(parse_financial_year("2026"), Ok(2026));
        assert!(parse_financial_year("2026/28").is_err());
        assert_eq!(financial_year_label(2099), "2099/00");
    }
}
