//! Events: every change of interest writes one, in the same transaction as the change.
//! Notifications, feeds and webhooks read them.

use diesel::prelude::*;
use serde_json::Value;

use crate::db::{now, DbConn};
use crate::schema::events;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Partners,
    Members,
    Draft,
    /// Only the organisation concerned (and platform admins).
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Partners => "partners",
            Visibility::Members => "members",
            Visibility::Draft => "draft",
            Visibility::Private => "private",
        }
    }
}

pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub actor_user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub target_kind: &'a str,
    pub target_id: String,
    pub workspace_id: Option<i64>,
    pub visibility: Visibility,
    pub payload: Value,
}

pub fn emit(conn: &mut DbConn, event: NewEvent) -> QueryResult<i64> {
    diesel::insert_into(events::table)
        .values((
            events::kind.eq(event.kind),
            events::actor_user_id.eq(event.actor_user_id),
            events::organisation_id.eq(event.organisation_id),
            events::target_kind.eq(event.target_kind),
            events::target_id.eq(&event.target_id),
            events::workspace_id.eq(event.workspace_id),
            events::visibility.eq(event.visibility.as_str()),
            events::payload.eq(event.payload.to_string()),
            events::created_at.eq(now()),
        ))
        .returning(events::id)
        .get_result(conn)
}
