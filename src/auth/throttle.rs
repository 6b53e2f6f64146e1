//! Sign-in throttling, kept in the database so every instance sees the same counts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{now, DbConn};
use crate::schema::login_failures;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Account,
    Client,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Client => "client",
        }
    }
}

pub fn failures_since(
    conn: &mut DbConn,
    scope: Scope,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    login_failures::table
        .filter(login_failures::scope.eq(scope.as_str()))
        .filter(login_failures::key.eq(key))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)
}

/// Records a failure and forgets this key's failures older than `forget_before`.
/// Returns the new row's id.
pub fn record_failure(
    conn: &mut DbConn,
    scope: Scope,
    key: &str,
    forget_before: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::scope.eq(scope.as_str()))
            .filter(login_failures::key.eq(key))
            .filter(login_failures::at.le(forget_before)),
    )
    .execute(conn)?;
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::scope.eq(scope.as_str()),
            login_failures::key.eq(key),
            login_failures::at.eq(now()),
        ))
        .returning(login_failures::id)
        .get_result(conn)
}

/// Takes back failures recorded ahead of a check that then succeeded.
pub fn remove(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids))).execute(conn)
}

pub fn clear(conn: &mut DbConn, scope: Scope, key: &str) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::scope.eq(scope.as_str()))
            .filter(login_failures::key.eq(key)),
    )
    .execute(conn)
}
