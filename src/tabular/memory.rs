//! What an organisation told an import before: the mapping it confirmed for a file with
//! certain headings, proposed again when a file with the same headings comes; and a file
//! being previewed, kept for a day so its mapping can be changed without choosing it again.

use diesel::prelude::*;

use super::detect::Table;
use super::mapping::Mapping;
use super::values::normalise;
use crate::db::{now, DbConn};
use crate::schema::{import_mappings, import_uploads};

/// The headings as one key: each without case or punctuation, in order, hashed (a wide
/// sheet's headings would be longer than an index allows).
fn key(table: &Table) -> String {
    use sha2::{Digest, Sha256};
    let words: Vec<String> = table.headings.iter().map(|h| normalise(h)).collect();
    hex::encode(Sha256::digest(words.join("\t").as_bytes()))
}

/// A mapping kept for headings written otherwise ("Title" then, "TITLE" now), put onto this
/// table's headings; anything for a heading the table does not have is dropped.
fn onto(table: &Table, kept: Mapping) -> Mapping {
    let find = |h: &str| {
        let wanted = normalise(h);
        table
            .headings
            .iter()
            .find(|t| normalise(t) == wanted)
            .cloned()
    };
    Mapping {
        header_row: table.header_row,
        columns: kept
            .columns
            .into_iter()
            .filter_map(|(h, f)| find(&h).map(|h| (h, f)))
            .collect(),
        units: kept
            .units
            .into_iter()
            .filter_map(|(h, u)| find(&h).map(|h| (h, u)))
            .collect(),
        values: kept.values,
        matches: Default::default(),
    }
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
        .map(|m| onto(table, m)))
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
    let mut kept = onto(table, mapping.clone());
    kept.matches.clear();
    let json = serde_json::to_string(&kept).unwrap_or_default();
    if json.len() > MAX_KEPT_BYTES {
        return Ok(());
    }
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

/// The largest mapping kept (a page sends it back in a form of at most 64 KB).
const MAX_KEPT_BYTES: usize = 16 * 1024;

/// How long a previewed file is kept.
const KEPT_HOURS: i64 = 24;

/// Keeps a file for its person while they preview it, in place of one they kept before for
/// this kind of import; gives the key to find it again.
pub fn keep_upload(
    conn: &mut DbConn,
    user: i64,
    kind: &str,
    filename: &str,
    content: &[u8],
) -> QueryResult<String> {
    diesel::delete(
        import_uploads::table
            .filter(import_uploads::user_id.eq(user))
            .filter(import_uploads::kind.eq(kind)),
    )
    .execute(conn)?;
    let key = crate::auth::tokens::random_token(24);
    put(conn, &key, user, kind, filename, content)?;
    Ok(key)
}

fn put(
    conn: &mut DbConn,
    key: &str,
    user: i64,
    kind: &str,
    filename: &str,
    content: &[u8],
) -> QueryResult<usize> {
    diesel::insert_into(import_uploads::table)
        .values((
            import_uploads::upload_key.eq(key),
            import_uploads::user_id.eq(user),
            import_uploads::kind.eq(kind),
            import_uploads::filename.eq(filename),
            import_uploads::content.eq(content),
            import_uploads::created_at.eq(now()),
        ))
        .execute(conn)
}

/// Takes the file kept under `key` for this person (so a second confirm, or one from another
/// tab, finds nothing); `give_back` keeps it again if the import then writes nothing.
pub fn claim_upload(
    conn: &mut DbConn,
    user: i64,
    kind: &str,
    key: &str,
) -> QueryResult<Option<(String, Vec<u8>)>> {
    let found = kept_upload(conn, user, kind, key)?;
    if found.is_some() {
        let taken = diesel::delete(
            import_uploads::table
                .filter(import_uploads::upload_key.eq(key))
                .filter(import_uploads::user_id.eq(user)),
        )
        .execute(conn)?;
        if taken == 0 {
            return Ok(None);
        }
    }
    Ok(found)
}

/// Keeps a claimed file again under its key.
pub fn give_back(
    conn: &mut DbConn,
    user: i64,
    kind: &str,
    key: &str,
    (filename, content): (&str, &[u8]),
) -> QueryResult<()> {
    put(conn, key, user, kind, filename, content).map(|_| ())
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

/// Forgets every file kept for longer than a day (a periodic task).
pub fn forget_old_uploads(conn: &mut DbConn) -> QueryResult<usize> {
    let old = now() - chrono::Duration::hours(KEPT_HOURS);
    diesel::delete(import_uploads::table.filter(import_uploads::created_at.lt(old))).execute(conn)
}
