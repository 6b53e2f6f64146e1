//! The inbox: each person's notifications, newest first. The list, its totals, its pages
//! and the unread count are all built from one list of what the person may see now, so
//! no count includes anything the list leaves out.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::Notification;
use super::subscriptions::{self, reason_for};
use super::view::{view, EventView};
use super::visibility::{Sight, Subject};
use crate::auth::Caller;
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
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

/// One page of the inbox with the totals of everything the person may see.
pub struct Inbox {
    pub items: Vec<InboxItem>,
    /// Everything listed (only the unread when asked for those).
    pub total: i64,
    pub unread: i64,
}

/// One of the person's notifications that they may see now.
#[derive(Clone, Copy)]
struct Visible {
    id: i64,
    unread: bool,
}

/// Every notification of the caller's that they may see now (only the unread, with
/// `unread_only`), newest first. Only what the visibility rule needs is read, so a long
/// inbox is judged without its events' text.
fn visible(conn: &mut DbConn, caller: &Caller, unread_only: bool) -> QueryResult<Vec<Visible>> {
    let mut query = notifications::table
        .inner_join(events::table)
        .filter(notifications::user_id.eq(caller.user_id))
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    let rows: Vec<(i64, Option<chrono::NaiveDateTime>, Subject)> = query
        .order(notifications::id.desc())
        .select((
            notifications::id,
            notifications::read_at,
            Subject::as_select(),
        ))
        .load(conn)?;
    let mut sight = Sight::default();
    let subjects: Vec<Subject> = rows.iter().map(|(_, _, s)| s.clone()).collect();
    sight.preload_subjects(conn, &subjects)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, read_at, subject) in rows {
        if sight.can_see_subject(conn, Some(caller), &subject)? {
            out.push(Visible {
                id,
                unread: read_at.is_none(),
            });
        }
    }
    Ok(out)
}

/// How many of the caller's notifications they may see are unread: the badge in the
/// page header.
pub fn unread_count(conn: &mut DbConn, caller: &Caller) -> QueryResult<i64> {
    Ok(visible(conn, caller, true)?.len() as i64)
}

/// A page of the caller's notifications. Anything they can no longer see (an opportunity
/// made a draft, a workspace their organisation left) is left out of the page and of
/// every total.
pub fn page(
    conn: &mut DbConn,
    caller: &Caller,
    paging: Paging,
    unread_only: bool,
) -> QueryResult<Inbox> {
    let all = visible(conn, caller, false)?;
    let unread = all.iter().filter(|v| v.unread).count() as i64;
    let listed: Vec<Visible> = all
        .into_iter()
        .filter(|v| v.unread || !unread_only)
        .collect();
    let ids: Vec<i64> = listed
        .iter()
        .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.per_page).unwrap_or(0))
        .map(|v| v.id)
        .collect();
    Ok(Inbox {
        items: items(conn, caller, &ids)?,
        total: listed.len() as i64,
        unread,
    })
}

/// The notifications `ids` (already judged visible), newest first, in words. Each reason
/// is said again from its subscription as the caller may see it now.
fn items(conn: &mut DbConn, caller: &Caller, ids: &[i64]) -> QueryResult<Vec<InboxItem>> {
    let rows: Vec<(Notification, Event)> = notifications::table
        .inner_join(events::table)
        .filter(notifications::id.eq_any(ids))
        .order(notifications::id.desc())
        .select((Notification::as_select(), Event::as_select()))
        .load(conn)?;
    let mut sight = Sight::default();
    let events: Vec<Event> = rows.iter().map(|(_, e)| e.clone()).collect();
    sight.preload(conn, &events)?;
    let mut reasons: HashMap<i64, String> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for (n, event) in rows {
        items.push(InboxItem {
            id: n.id,
            read: n.read_at.is_some(),
            reason: reason(conn, caller, &mut reasons, &n)?,
            event: view(conn, &mut sight, &event)?,
        });
    }
    Ok(items)
}

/// Why the caller has `n`: from its subscription while it lasts (once for all the
/// notifications it brought), or as stored for one delivered directly or whose
/// subscription has ended (stored words that name nothing; see `subscriptions::forget`).
fn reason(
    conn: &mut DbConn,
    caller: &Caller,
    reasons: &mut HashMap<i64, String>,
    n: &Notification,
) -> QueryResult<String> {
    let Some(sub_id) = n.subscription_id else {
        return Ok(n.reason.clone());
    };
    if let Some(known) = reasons.get(&sub_id) {
        return Ok(known.clone());
    }
    let said = match subscriptions::find(conn, sub_id).optional()? {
        Some(sub) => reason_for(conn, Some(caller), &sub)?,
        None => n.reason.clone(),
    };
    reasons.insert(sub_id, said.clone());
    Ok(said)
}

/// Whether notification `id` is the caller's and about something they may see now;
/// anything else is "not found", as a notification that does not exist.
fn visible_to(conn: &mut DbConn, caller: &Caller, id: i64) -> AppResult<()> {
    let found: Option<(i64, Subject)> = notifications::table
        .inner_join(events::table)
        .filter(notifications::id.eq(id))
        .select((notifications::user_id, Subject::as_select()))
        .first(conn)
        .optional()?;
    let (owner, subject) = found.ok_or(AppError::NotFound)?;
    authz::read_notification(caller, owner)?;
    if !Sight::default().can_see_subject(conn, Some(caller), &subject)? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub fn mark_read(conn: &mut DbConn, caller: &Caller, id: i64) -> AppResult<()> {
    visible_to(conn, caller, id)?;
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

/// Marks read everything unread the caller may see, and gives how many: what they cannot
/// see is neither counted nor touched (it stays unread, should it come back into sight).
pub fn mark_all_read(conn: &mut DbConn, caller: &Caller) -> QueryResult<usize> {
    let unread: Vec<i64> = visible(conn, caller, true)?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let mut marked = 0;
    for chunk in unread.chunks(1000) {
        marked += diesel::update(
            notifications::table
                .filter(notifications::id.eq_any(chunk))
                .filter(notifications::read_at.is_null()),
        )
        .set(notifications::read_at.eq(Some(now())))
        .execute(conn)?;
    }
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
