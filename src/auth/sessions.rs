//! Sessions: every signed token names a row here, so revoking the row ends the token.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::Caller;
use crate::audit::{self, Entry};
use crate::db::{now, write_tx, DbConn};
use crate::error::AppResult;
use crate::identity::CallerRow;
use crate::schema::{organisations, sessions, users};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

pub struct NewSession {
    pub id: String,
    pub expires_at: NaiveDateTime,
}

pub fn create(
    conn: &mut DbConn,
    user_id: i64,
    kind: SessionKind,
    lifetime: Duration,
    user_agent: &str,
    ip: &str,
) -> QueryResult<NewSession> {
    let id = super::tokens::random_token(32);
    let created = now();
    let expires_at = created + lifetime;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(user_id),
            sessions::kind.eq(kind.as_str()),
            sessions::created_at.eq(created),
            sessions::expires_at.eq(expires_at),
            sessions::user_agent.eq(user_agent.chars().take(200).collect::<String>()),
            sessions::ip.eq(ip),
        ))
        .execute(conn)?;
    Ok(NewSession { id, expires_at })
}

/// A session found live, kept so that the next request with it needs no database.
#[derive(Clone)]
pub struct LiveSession {
    pub caller: Caller,
    pub expires_at: NaiveDateTime,
}

/// The caller for a live session of an active user, if there is one, and when it ends.
pub fn load_live(
    conn: &mut DbConn,
    session_id: &str,
    user_id: i64,
    kind: SessionKind,
) -> QueryResult<Option<LiveSession>> {
    let row = sessions::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::kind.eq(kind.as_str()))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now()))
        .filter(users::status.eq("active"))
        .select((CallerRow::as_select(), sessions::expires_at))
        .first::<(CallerRow, NaiveDateTime)>(conn)
        .optional()?;
    Ok(row.map(|(row, expires_at)| LiveSession {
        caller: row.caller(session_id),
        expires_at,
    }))
}

/// Ends a session. The data version is raised after the change (or with it, inside a
/// transaction), so no session kept in memory outlives it.
pub fn revoke(conn: &mut DbConn, session_id: &str) -> QueryResult<usize> {
    let ended = diesel::update(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now())))
    .execute(conn)?;
    crate::cache::bump_version(conn)?;
    Ok(ended)
}

/// Ends the caller's own session, in one transaction with the audit entry `action` that
/// says so.
pub fn sign_out(conn: &mut DbConn, caller: &Caller, action: &str, ip: &str) -> AppResult<()> {
    write_tx(conn, |conn| {
        revoke(conn, &caller.session_id)?;
        audit::record(
            conn,
            Entry::new(action)
                .actor(caller.user_id, caller.organisation_id)
                .target("user", caller.user_id)
                .ip(ip),
        )?;
        Ok(())
    })
}

/// Live sessions kept by (session id, kind, user id). Ending a session or disabling its
/// person raises the version, so none outlives that.
pub struct LiveSessions;

impl crate::cache::Keep for LiveSessions {
    type Key = (String, &'static str, i64);
    type Value = LiveSession;
    fn store() -> crate::cache::Versioned<Self::Key, Self::Value> {
        crate::cache::Versioned::new(10_000)
    }
}
