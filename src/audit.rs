//! The audit log: append-only (the database refuses updates and deletes), and each row
//! carries a hash over its content and the previous row's hash, so a changed or removed
//! row breaks the chain.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::{lock_for_append, now, DbConn};
use crate::schema::audit_log;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const AUDIT_LOCK: i64 = 7_301_002;

/// One thing to record. `actor` is (user id, organisation id) when someone is signed in.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub actor: Option<(i64, i64)>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub ip: String,
    pub details: Value,
}

impl Entry {
    pub fn new(action: &str) -> Entry {
        Entry {
            action: action.to_string(),
            details: Value::Object(Default::default()),
            ..Entry::default()
        }
    }

    pub fn actor(mut self, user_id: i64, organisation_id: i64) -> Entry {
        self.actor = Some((user_id, organisation_id));
        self
    }

    pub fn target(mut self, kind: &str, id: impl ToString) -> Entry {
        self.target_kind = kind.to_string();
        self.target_id = id.to_string();
        self
    }

    pub fn ip(mut self, ip: &str) -> Entry {
        self.ip = ip.to_string();
        self
    }

    pub fn details(mut self, details: Value) -> Entry {
        self.details = details;
        self
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Row {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_organisation_id: Option<i64>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub ip: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

#[allow(clippy::too_many_arguments)]
fn chain_hash(
    prev: &str,
    at: NaiveDateTime,
    actor_user_id: Option<i64>,
    actor_organisation_id: Option<i64>,
    action: &str,
    target_kind: &str,
    target_id: &str,
    ip: &str,
    details: &str,
) -> String {
    let fields = [
        prev.to_string(),
        at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        actor_user_id.map(|v| v.to_string()).unwrap_or_default(),
        actor_organisation_id
            .map(|v| v.to_string())
            .unwrap_or_default(),
        action.to_string(),
        target_kind.to_string(),
        target_id.to_string(),
        ip.to_string(),
        details.to_string(),
    ];
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends an entry; call inside the transaction that makes the change it records.
pub fn record(conn: &mut DbConn, entry: Entry) -> QueryResult<()> {
    lock_for_append(conn, AUDIT_LOCK)?;
    let prev: String = audit_log::table
        .select(audit_log::hash)
        .order(audit_log::id.desc())
        .first(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = now();
    let (user, org) = match entry.actor {
        Some((u, o)) => (Some(u), Some(o)),
        None => (None, None),
    };
    let details = entry.details.to_string();
    let hash = chain_hash(
        &prev,
        at,
        user,
        org,
        &entry.action,
        &entry.target_kind,
        &entry.target_id,
        &entry.ip,
        &details,
    );
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at),
            audit_log::actor_user_id.eq(user),
            audit_log::actor_organisation_id.eq(org),
            audit_log::action.eq(&entry.action),
            audit_log::target_kind.eq(&entry.target_kind),
            audit_log::target_id.eq(&entry.target_id),
            audit_log::ip.eq(&entry.ip),
            audit_log::details.eq(&details),
            audit_log::prev_hash.eq(&prev),
            audit_log::hash.eq(&hash),
        ))
        .execute(conn)?;
    Ok(())
}

/// Checks the whole chain; `Err(id)` names the first row that does not fit.
pub fn verify(conn: &mut DbConn) -> QueryResult<Result<usize, i64>> {
    let mut prev = GENESIS.to_string();
    let mut checked = 0usize;
    let mut after = 0i64;
    loop {
        let rows: Vec<Row> = audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(1000)
            .select(Row::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(Ok(checked));
        }
        for row in rows {
            let expected = chain_hash(
                &prev,
                row.at,
                row.actor_user_id,
                row.actor_organisation_id,
                &row.action,
                &row.target_kind,
                &row.target_id,
                &row.ip,
                &row.details,
            );
            if row.prev_hash != prev || row.hash != expected {
                return Ok(Err(row.id));
            }
            prev = row.hash;
            after = row.id;
            checked += 1;
        }
    }
}

/// The newest entries with a given action, newest first.
pub fn recent(conn: &mut DbConn, action: &str, limit: i64) -> QueryResult<Vec<Row>> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)
}

/// What the audit search narrows to; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Part of the actor's email address.
    pub person: Option<String>,
    pub organisation: Option<i64>,
    /// The start of an action, like `review.` or `login`.
    pub action: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    /// Inclusive.
    pub to: Option<chrono::NaiveDate>,
}

/// A page of matching entries, newest first, and how many match.
pub fn search(
    conn: &mut DbConn,
    s: &Search,
    paging: crate::web::Paging,
) -> QueryResult<(Vec<Row>, i64)> {
    use crate::schema::users;
    let people: Option<Vec<i64>> = match &s.person {
        Some(part) => Some(
            users::table
                .filter(users::email.like(format!("%{}%", part.to_lowercase())))
                .select(users::id)
                .load(conn)?,
        ),
        None => None,
    };
    macro_rules! narrowed {
        () => {{
            let mut q = audit_log::table.into_boxed();
            if let Some(ids) = &people {
                q = q.filter(audit_log::actor_user_id.eq_any(ids.clone()));
            }
            if let Some(org) = s.organisation {
                q = q.filter(audit_log::actor_organisation_id.eq(org));
            }
            if let Some(action) = &s.action {
                q = q
                    .filter(audit_log::action.like(format!("{}%", action.replace(['%', '_'], ""))));
            }
            if let Some(from) = s.from {
                q = q.filter(audit_log::at.ge(from.and_hms_opt(0, 0, 0).unwrap_or_default()));
            }
            if let Some(to) = s.to.and_then(|d| d.succ_opt()) {
                q = q.filter(audit_log::at.lt(to.and_hms_opt(0, 0, 0).unwrap_or_default()));
            }
            q
        }};
    }
    let total = narrowed!().count().get_result(conn)?;
    let rows = narrowed!()
        .order(audit_log::id.desc())
        .limit(paging.per_page)
        .offset(paging.offset())
        .select(Row::as_select())
        .load(conn)?;
    Ok((rows, total))
}
