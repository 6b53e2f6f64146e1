//! Events: every change of interest writes one, in the same transaction as the change.
//! Notifications, feeds and webhooks read them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::{now, DbConn};
use crate::schema::events;

/// The job each event queues, `{"event_id": …}`, done by whoever registers this kind (the
/// notifications slice fans it out to inboxes, mail and webhooks).
pub const EVENT_JOB: &str = "fanout";
/// How often the fan-out of one event is tried before it is given up.
const FANOUT_ATTEMPTS: i32 = 10;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub target_kind: String,
    pub target_id: String,
    pub workspace_id: Option<i64>,
    pub visibility: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

impl Event {
    pub fn payload(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }

    /// The opportunity this event is about, if it is about one.
    pub fn opportunity_id(&self) -> Option<i64> {
        (self.target_kind == "opportunity")
            .then(|| self.target_id.parse().ok())
            .flatten()
    }
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Event>> {
    events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .optional()
}

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

/// Records the event and, in the same transaction, the job that tells its followers.
pub fn emit(conn: &mut DbConn, event: NewEvent) -> QueryResult<i64> {
    crate::cache::bump_version(conn)?;
    let id = diesel::insert_into(events::table)
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
        .get_result(conn)?;
    crate::jobs::enqueue_once(
        conn,
        EVENT_JOB,
        &json!({ "event_id": id }),
        &format!("fanout:{id}"),
        FANOUT_ATTEMPTS,
    )?;
    Ok(id)
}
