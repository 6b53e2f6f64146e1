//! The inbox: each person's notifications, newest first.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::Notification;
use super::view::{view, EventView};
use super::visibility::Sight;
use crate::auth::Caller;
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::events::Event;
use crate::schema::{events, notifications};
use crate::web::Paging;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InboxItem {
    pub id: i64,
    pub read: bool,
    /// Why this person was told, e.g. "because Derby City Council follows Skills".
    pub reason: String,
    #[schema(value_type = Object)]
    pub event: EventView,
}

pub fn unread_count(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// A page of the caller's notifications. Anything they can no longer see (an opportunity
/// made a draft, a workspace their organisation left) is left out.
pub fn page(
    conn: &mut DbConn,
    caller: &Caller,
    paging: Paging,
    unread_only: bool,
) -> QueryResult<(Vec<InboxItem>, i64)> {
    let mine = || {
        let mut q = notifications::table
            .filter(notifications::user_id.eq(caller.user_id))
            .into_boxed();
        if unread_only {
            q = q.filter(notifications::read_at.is_null());
        }
        q
    };
    let total = mine().count().get_result(conn)?;
    let rows: Vec<(Notification, Event)> = mine()
        .inner_join(events::table)
        .order(notifications::id.desc())
        .limit(paging.per_page)
        .offset(paging.offset())
        .select((Notification::as_select(), Event::as_select()))
        .load(conn)?;
    let mut sight = Sight::default();
    let events: Vec<Event> = rows.iter().map(|(_, e)| e.clone()).collect();
    sight.preload(conn, &events)?;
    let mut items = Vec::with_capacity(rows.len());
    for (n, event) in rows {
        if !sight.can_see(conn, Some(caller), &event)? {
            continue;
        }
        items.push(InboxItem {
            id: n.id,
            read: n.read_at.is_some(),
            reason: n.reason,
            event: view(conn, &mut sight, &event)?,
        });
    }
    Ok((items, total))
}

pub fn mark_read(conn: &mut DbConn, caller: &Caller, id: i64) -> AppResult<()> {
    let owner: i64 = notifications::table
        .find(id)
        .select(notifications::user_id)
        .first(conn)?;
    authz::read_notification(caller, owner)?;
    diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now())))
    .execute(conn)?;
    // Unread counts are kept by data version.
    crate::cache::bump_version(conn)?;
    Ok(())
}

pub fn mark_all_read(conn: &mut DbConn, caller: &Caller) -> QueryResult<usize> {
    let marked = diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(caller.user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now())))
    .execute(conn)?;
    crate::cache::bump_version(conn)?;
    Ok(marked)
}

/// Puts an event straight into one person's inbox, with no subscription behind it (a
/// reminder or a reply meant for them). Done at most once per person and event.
pub fn deliver_directly(
    conn: &mut DbConn,
    user_id: i64,
    event_id: i64,
    reason: &str,
) -> QueryResult<()> {
    let insert = diesel::insert_into(notifications::table).values((
        notifications::user_id.eq(user_id),
        notifications::event_id.eq(event_id),
        notifications::reason.eq(reason),
        notifications::delivery.eq("inbox"),
        notifications::created_at.eq(now()),
    ));
    crate::insert_ignore!(conn, insert)?;
    crate::cache::bump_version(conn)?;
    Ok(())
}
