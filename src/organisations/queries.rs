use diesel::prelude::*;

use super::model::{OrgKind, Organisation};
use crate::db::{now, DbConn};
use crate::schema::organisations;

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Organisation>> {
    organisations::table
        .select(Organisation::as_select())
        .order(organisations::name.asc())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Organisation> {
    organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Organisation>> {
    organisations::table
        .filter(organisations::slug.eq(slug))
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    organisations::table.count().get_result(conn)
}

pub fn insert(conn: &mut DbConn, name: &str, slug: &str, kind: OrgKind) -> QueryResult<i64> {
    diesel::insert_into(organisations::table)
        .values((
            organisations::name.eq(name),
            organisations::slug.eq(slug),
            organisations::kind.eq(kind.as_str()),
            organisations::created_at.eq(now()),
        ))
        .returning(organisations::id)
        .get_result(conn)
}
