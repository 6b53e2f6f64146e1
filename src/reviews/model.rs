//! A quarterly review and the workspaces' returns to it, as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::schema::{review_submissions, reviews};
use crate::workspaces::model::Quarter;

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = reviews)]
pub struct Review {
    pub id: i64,
    pub year: i32,
    pub quarter: i32,
    pub deadline: NaiveDate,
    /// open | signed_off
    pub status: String,
    pub opened_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String)]
    pub opened_at: NaiveDateTime,
    pub signed_off_by: Option<i64>,
    #[serde(serialize_with = "crate::db::serialize_utc_opt")]
    #[schema(value_type = Option<String>)]
    pub signed_off_at: Option<NaiveDateTime>,
    #[serde(skip)]
    pub snapshot: Option<String>,
    #[serde(skip)]
    pub reminded_at: Option<NaiveDateTime>,
    /// The organisation that opened the review (the programme office or a lead council):
    /// its leaders send returns back and sign the review off.
    pub organisation_id: i64,
}

impl Review {
    pub fn quarter(&self) -> Quarter {
        Quarter {
            year: self.year,
            quarter: self.quarter,
        }
    }

    pub fn label(&self) -> String {
        self.quarter().label()
    }

    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = review_submissions)]
pub struct Submission {
    pub id: i64,
    pub review_id: i64,
    pub workspace_id: i64,
    /// submitted | returned
    pub status: String,
    pub overall_rag: String,
    pub commentary: String,
    pub decisions: String,
    #[serde(skip)]
    pub content: String,
    pub submitted_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String)]
    pub submitted_at: NaiveDateTime,
    pub returned_by: Option<i64>,
    #[serde(serialize_with = "crate::db::serialize_utc_opt")]
    #[schema(value_type = Option<String>)]
    pub returned_at: Option<NaiveDateTime>,
    pub return_comment: String,
}

impl Submission {
    pub fn content(&self) -> Content {
        serde_json::from_str(&self.content).unwrap_or_default()
    }
}

/// A return's figures: each action's RAG and progress, each measure's reading.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Content {
    pub actions: Vec<ActionReturn>,
    pub measures: Vec<MeasureReturn>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionReturn {
    pub id: i64,
    pub title: String,
    pub rag: String,
    pub progress: i32,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MeasureReturn {
    pub id: i64,
    pub name: String,
    pub unit: String,
    /// higher | lower
    pub direction: String,
    pub target: f64,
    /// The quarter's reading, if there is one.
    pub value: Option<f64>,
}
