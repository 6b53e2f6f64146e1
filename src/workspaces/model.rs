use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::{
    actions, comments, measures, milestones, outcomes, posts, readings, workspaces,
};
use crate::text_enum;

text_enum!(WorkspaceKind, "a kind of workspace", {
    Theme => ("theme", "Metro theme"),
    Programme => ("programme", "Programme"),
});

text_enum!(WorkspaceVisibility, "who can see the workspace", {
    Public => ("public", "Public: anyone, signed in or not"),
    Partners => ("partners", "Partners: anyone signed in"),
    Members => ("members", "Members: member organisations only"),
});

text_enum!(MemberRole, "a membership role", {
    Lead => ("lead", "Lead"),
    Member => ("member", "Member"),
    Observer => ("observer", "Observer"),
});

text_enum!(ActionStatus, "a status", {
    NotStarted => ("not_started", "Not started"),
    InProgress => ("in_progress", "In progress"),
    Blocked => ("blocked", "Blocked"),
    Done => ("done", "Done"),
    Cancelled => ("cancelled", "Cancelled"),
});

text_enum!(Rag, "red, amber or green", {
    Red => ("red", "Red"),
    Amber => ("amber", "Amber"),
    Green => ("green", "Green"),
});

text_enum!(Direction, "whether higher or lower is better", {
    Higher => ("higher", "Higher is better"),
    Lower => ("lower", "Lower is better"),
});

impl ActionStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, ActionStatus::Done | ActionStatus::Cancelled)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Markdown.
    pub summary: String,
    pub kind: WorkspaceKind,
    pub visibility: WorkspaceVisibility,
    #[serde(serialize_with = "crate::db::serialize_utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl Workspace {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    #[serde(skip)]
    pub workspace_id: i64,
    pub author_user_id: i64,
    pub organisation_id: i64,
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub author_user_id: i64,
    pub organisation_id: i64,
    pub body: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = actions)]
pub struct Action {
    pub id: i64,
    #[serde(skip)]
    pub workspace_id: i64,
    pub title: String,
    pub description: String,
    pub owner_organisation_id: i64,
    pub owner_user_id: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub status: ActionStatus,
    /// 0–100
    pub progress: i32,
    pub rag: Rag,
    /// Why it is red or amber.
    pub rag_reason: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl Action {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_open() && self.due_date.is_some_and(|d| d < today)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = milestones)]
pub struct Milestone {
    pub id: i64,
    pub action_id: i64,
    pub title: String,
    pub due_date: NaiveDate,
    pub done_date: Option<NaiveDate>,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl Milestone {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.done_date.is_none() && self.due_date < today
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = outcomes)]
pub struct Outcome {
    pub id: i64,
    #[serde(skip)]
    pub workspace_id: i64,
    pub title: String,
    pub description: String,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = measures)]
pub struct Measure {
    pub id: i64,
    pub outcome_id: i64,
    #[serde(skip)]
    pub workspace_id: i64,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub baseline: f64,
    pub target: f64,
    pub target_date: NaiveDate,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = readings)]
pub struct Reading {
    pub id: i64,
    pub measure_id: i64,
    /// The financial year's first calendar year: 2026 for 2026/27.
    pub year: i32,
    /// 1–4; Q1 is April to June.
    pub quarter: i32,
    pub value: f64,
    pub note: String,
    pub recorded_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// The schema of a quarter as the API takes it: "2026/27 Q3", from 2000/01 to 2100/01.
pub struct QuarterText;

impl utoipa::PartialSchema for QuarterText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let quarters = (2000..=2100)
            .flat_map(|year| (1..=4).map(move |quarter| Quarter { year, quarter }.label()));
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(quarters))
            .into()
    }
}

impl utoipa::ToSchema for QuarterText {}

/// A quarter of the UK financial year (April to March), written "2026/27 Q3".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    pub quarter: i32,
}

impl Quarter {
    pub fn parse(value: &str) -> Result<Quarter, &'static str> {
        const MESSAGE: &str = "Enter a quarter like 2026/27 Q3";
        let value = value.trim().to_ascii_uppercase();
        let (years, q) = value.split_once(" Q").ok_or(MESSAGE)?;
        let (first, second) = years.split_once('/').ok_or(MESSAGE)?;
        let year: i32 = first.parse().map_err(|_| MESSAGE)?;
        let next: i32 = second.parse().map_err(|_| MESSAGE)?;
        let quarter: i32 = q.trim().parse().map_err(|_| MESSAGE)?;
        if !(2000..=2100).contains(&year) || next != (year + 1) % 100 || !(1..=4).contains(&quarter)
        {
            return Err(MESSAGE);
        }
        Ok(Quarter { year, quarter })
    }

    pub fn containing(date: NaiveDate) -> Quarter {
        let (year, quarter) = match date.month() {
            4..=6 => (date.year(), 1),
            7..=9 => (date.year(), 2),
            10..=12 => (date.year(), 3),
            _ => (date.year() - 1, 4),
        };
        Quarter { year, quarter }
    }

    pub fn label(self) -> String {
        format!(
            "{}/{:02} Q{}",
            self.year,
            (self.year + 1) % 100,
            self.quarter
        )
    }
}
