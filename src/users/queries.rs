use diesel::prelude::*;

use super::model::{Role, User, UserStatus};
use crate::db::{now, DbConn};
use crate::schema::{feed_tokens, sessions, users};
use crate::web::Paging;

pub struct NewUser<'a> {
    pub organisation_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

pub fn insert(conn: &mut DbConn, new: &NewUser) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values((
            users::organisation_id.eq(new.organisation_id),
            users::email.eq(new.email),
            users::name.eq(new.name),
            users::role.eq(new.role.as_str()),
            users::status.eq(UserStatus::Active.as_str()),
            users::password_hash.eq(new.password_hash),
            users::created_at.eq(now()),
        ))
        .returning(users::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn email_taken(conn: &mut DbConn, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)),
    ))
    .get_result(conn)
}

/// One page of an organisation's people by name, and how many there are in all.
pub fn page_for_org(
    conn: &mut DbConn,
    organisation_id: i64,
    paging: Paging,
) -> QueryResult<(Vec<User>, i64)> {
    let total: i64 = users::table
        .filter(users::organisation_id.eq(organisation_id))
        .count()
        .get_result(conn)?;
    let people = users::table
        .filter(users::organisation_id.eq(organisation_id))
        .select(User::as_select())
        .order((users::name.asc(), users::id.asc()))
        .limit(paging.per_page)
        .offset(paging.offset())
        .load(conn)?;
    Ok((people, total))
}

/// Sets a person's status; the data version is raised after it, so a kept session of a
/// disabled person is not used again.
pub fn set_status(conn: &mut DbConn, id: i64, status: UserStatus) -> QueryResult<usize> {
    let changed = diesel::update(users::table.find(id))
        .set(users::status.eq(status.as_str()))
        .execute(conn)?;
    crate::cache::bump_version(conn)?;
    Ok(changed)
}

pub fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

pub fn touch_sign_in(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::last_sign_in_at.eq(Some(now())))
        .execute(conn)
}

/// Ends every credential of a user but the password: every session, web and API token
/// alike, and the feed key (raising the data version after, as `auth::sessions::revoke`
/// does). Called when the password is reset, on "sign out everywhere" and when the person is
/// disabled. Gives the number of sessions ended.
pub fn revoke_all_sessions(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    let ended = diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now())))
    .execute(conn)?;
    diesel::update(
        feed_tokens::table
            .filter(feed_tokens::user_id.eq(user_id))
            .filter(feed_tokens::revoked_at.is_null()),
    )
    .set(feed_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    crate::cache::bump_version(conn)?;
    Ok(ended)
}
