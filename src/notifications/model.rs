//! Subscriptions and notifications as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::{notifications, subscriptions};

crate::text_enum!(Delivery, "how to receive it", {
    Inbox => ("inbox", "In the inbox only"),
    Immediate => ("immediate", "Email at once"),
    Daily => ("daily", "Daily digest email"),
    Weekly => ("weekly", "Weekly digest email"),
});

crate::text_enum!(TargetKind, "what to follow", {
    Workspace => ("workspace", "A workspace"),
    Register => ("register", "The opportunity register"),
    Opportunity => ("opportunity", "An opportunity"),
});

/// The delivery a subscription asks for: its own, or the person's default.
pub const DEFAULT_DELIVERY: &str = "default";

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub organisation_id: i64,
    /// Empty for a subscription of the whole organisation.
    pub user_id: Option<i64>,
    /// `workspace`, `register` or `opportunity`.
    pub target_kind: String,
    /// The workspace or opportunity id; empty for the register.
    pub target_id: Option<i64>,
    /// Register subscriptions: only opportunities in this theme (a workspace id).
    pub theme_id: Option<i64>,
    /// Register subscriptions: only this service area.
    pub service_area: Option<String>,
    /// Register subscriptions: only opportunities at this stage.
    pub stage: Option<String>,
    /// `default`, `inbox`, `immediate`, `daily` or `weekly`.
    pub delivery: String,
    #[serde(skip)]
    pub created_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

impl Subscription {
    pub fn is_organisation_wide(&self) -> bool {
        self.user_id.is_none()
    }

    /// The delivery in force for a person whose default is `default`.
    pub fn delivery_for(&self, default: &str) -> Delivery {
        Delivery::parse(&self.delivery)
            .or_else(|_| Delivery::parse(default))
            .unwrap_or(Delivery::Daily)
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub event_id: i64,
    pub subscription_id: Option<i64>,
    pub reason: String,
    pub delivery: String,
    pub digest_job_id: Option<i64>,
    pub read_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}
