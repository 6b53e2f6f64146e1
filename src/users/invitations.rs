//! Invitations into an organisation: single use, expiring, stored only as a token hash.

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::{now, DbConn};
use crate::schema::invitations;

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i64,
    pub organisation_id: i64,
    pub email: String,
    pub role: String,
    #[serde(skip)]
    pub token_hash: String,
    pub invited_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub struct NewInvitation<'a> {
    pub organisation_id: i64,
    pub email: &'a str,
    pub role: &'a str,
    pub token_hash: &'a str,
    pub invited_by: i64,
    pub expires_at: NaiveDateTime,
}

/// Records an invitation, withdrawing any earlier pending one for the same address.
pub fn insert(conn: &mut DbConn, new: &NewInvitation) -> QueryResult<i64> {
    diesel::update(
        invitations::table
            .filter(invitations::organisation_id.eq(new.organisation_id))
            .filter(invitations::email.eq(new.email))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(Some(now())))
    .execute(conn)?;
    diesel::insert_into(invitations::table)
        .values((
            invitations::organisation_id.eq(new.organisation_id),
            invitations::email.eq(new.email),
            invitations::role.eq(new.role),
            invitations::token_hash.eq(new.token_hash),
            invitations::invited_by.eq(new.invited_by),
            invitations::created_at.eq(now()),
            invitations::expires_at.eq(new.expires_at),
        ))
        .returning(invitations::id)
        .get_result(conn)
}

/// An invitation that is still open: not yet accepted, not withdrawn and not expired.
type Open = dsl::And<
    dsl::And<dsl::IsNull<invitations::accepted_at>, dsl::IsNull<invitations::revoked_at>>,
    dsl::Gt<invitations::expires_at, NaiveDateTime>,
>;

/// The condition that an invitation is still open (see `Open`).
fn open() -> Open {
    invitations::accepted_at
        .is_null()
        .and(invitations::revoked_at.is_null())
        .and(invitations::expires_at.gt(now()))
}

/// The invitation behind a token, if it is unused, not withdrawn and not expired.
pub fn find_usable(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .filter(open())
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Marks it used; 0 rows means someone else used it first.
pub fn mark_accepted(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(invitations::table.find(id).filter(open()))
        .set(invitations::accepted_at.eq(Some(now())))
        .execute(conn)
}

pub fn pending_for_org(conn: &mut DbConn, organisation_id: i64) -> QueryResult<Vec<Invitation>> {
    invitations::table
        .filter(invitations::organisation_id.eq(organisation_id))
        .filter(open())
        .select(Invitation::as_select())
        .order(invitations::created_at.desc())
        .load(conn)
}
