//! What an organisation told an import before: the mapping it confirmed for a file with
//! certain headings, proposed again when a file with the same headings comes; and a file
//! being previewed, kept for a day so its mapping can be changed without choosing it again.

use diesel::prelude::*;

use super::detect::Table;
use super::mapping::Mapping;
use super::values::normalise;
use crate::db::{now, DbConn};
use crate::schema::{import_mappings, import_uploads};

/// The headings as one key: each without case or punctuation, in order.
fn key(table: &Table) -> String {
    table
        .headings
        .iter()
        .map(|h| normalise(h))
        .collect::<Vec<_>>()
        .join("\t")
}

/// The mapping `organisation` confirmed for a `kind` of import of a file with these
/// headings, with the heading row this file has.
pub fn remembered(
    conn: &mut DbConn,
    organisation: i64,
    kind: &str,
    table: &Table,
) -> QueryResult<Option<Mapping>> {
    let stored: Option<String> = import_mappings::table
        .filter(import_mappings::organisation_id.eq(organisation))
        .filter(import_mappings::kind.eq(kind))
        .filter(import_mappings::headings.eq(key(table)))
        .select(import_mappings::mapping)
        .first(conn)
        .optional()?;
    Ok(stored
        .and_then(|json| serde_json::from_str::<Mapping>(&json).ok())
        .map(|mut m| {
            m.header_row = table.header_row;
            m
        }))
}

/// Keeps a confirmed mapping for the organisation (without the choices made for single rows).
pub fn remember(
    conn: &mut DbConn,
    organisation: i64,
    user: i64,
    kind: &str,
    table: &Table,
    mapping: &Mapping,
) -> QueryResult<()> {
    let mut kept = mapping.clone();
    kept.matches.clear();
    let json = serde_json::to_string(&kept).unwrap_or_default();
    let headings = key(table);
    let updated = diesel::update(
        import_mappings::table
            .filter(import_mappings::organisation_id.eq(organisation))
            .filter(import_mappings::kind.eq(kind))
            .filter(import_mappings::headings.eq(&headings)),
    )
    .set((
        import_mappings::mapping.eq(&json),
        import_mappings::updated_by.eq(user),
        import_mappings::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(import_mappings::table)
            .values((
                import_mappings::organisation_id.eq(organisation),
                import_mappings::kind.eq(kind),
                import_mappings::headings.eq(&headings),
                import_mappings::mapping.eq(&json),
                import_mappings::updated_by.eq(user),
                import_mappings::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How long a previewed file is kept.
const KEPT_HOURS: i64 = 24;

/// Keeps a file for its person while they preview it; gives the key to find it again.
pub fn keep_upload(
    conn: &mut DbConn,
    user: i64,
    kind: &str,
    filename: &str,
    content: &[u8],
) -> QueryResult<String> {
    let key = crate::auth::tokens::random_token(24);
    diesel::insert_into(import_uploads::table)
        .values((
            import_uploads::upload_key.eq(&key),
            import_uploads::user_id.eq(user),
            import_uploads::kind.eq(kind),
            import_uploads::filename.eq(filename),
            import_uploads::content.eq(content),
            import_uploads::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(key)
}

/// The file kept under `key` for this person and kind: (file name, content). Another
/// person's key, an old one or a used one finds nothing.
pub fn kept_upload(
    conn: &mut DbConn,
    user: i64,
    kind: &str,
    key: &str,
) -> QueryResult<Option<(String, Vec<u8>)>> {
    import_uploads::table
        .filter(import_uploads::upload_key.eq(key))
        .filter(import_uploads::user_id.eq(user))
        .filter(import_uploads::kind.eq(kind))
        .filter(import_uploads::created_at.gt(now() - chrono::Duration::hours(KEPT_HOURS)))
        .select((import_uploads::filename, import_uploads::content))
        .first(conn)
        .optional()
}

/// Forgets a kept file once it is imported.
pub fn forget_upload(conn: &mut DbConn, key: &str) -> QueryResult<usize> {
    diesel::delete(import_uploads::table.filter(import_uploads::upload_key.eq(key))).execute(conn)
}

/// Forgets every file kept for longer than a day (a periodic task).
pub fn forget_old_uploads(conn: &mut DbConn) -> QueryResult<usize> {
    let old = now() - chrono::Duration::hours(KEPT_HOURS);
    diesel::delete(import_uploads::table.filter(import_uploads::created_at.lt(old))).execute(conn)
}
