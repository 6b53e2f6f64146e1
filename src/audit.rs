//! The audit log: append-only (the database refuses updates and deletes), and each row
//! carries a hash over its content and the previous row's hash, so a changed or removed
//! row breaks the chain.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::{lock_for_append, now, DbConn};
use crate::identity::Actor;
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

    /// Done by `actor`, from their client address.
    pub fn by(self, actor: &Actor) -> Entry {
        self.actor(actor.caller.user_id, actor.caller.organisation_id)
            .ip(actor.ip)
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

/// Denials of signed-out requests, counted rather than written one by one: anyone on the
/// internet can ask for hidden pages as fast as they like, and the log keeps every row it is
/// given. The first denial from an address is written at once; those that follow within a
/// minute are counted and written as one row with their count, when the next denial from
/// that address comes after the minute, or when any denial comes after the minute and finds
/// the count waiting. At most `MAX_SOURCES` addresses are tallied apart; the rest share one
/// tally. (A count still waiting when the process stops is not written.)
#[derive(Debug, Default)]
pub struct AnonymousDenials {
    tallies: std::sync::Mutex<std::collections::HashMap<String, Tally>>,
}

#[derive(Debug)]
struct Tally {
    since: std::time::Instant,
    count: u64,
    paths: Vec<String>,
}

/// A denial tallied apart from others for this long before a row is written.
const DENIAL_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
const MAX_SOURCES: usize = 100;
/// Paths kept as examples on one row.
const EXAMPLE_PATHS: usize = 5;
const OTHER_SOURCES: &str = "(other addresses)";

impl AnonymousDenials {
    /// Counts one denial; gives the entries to write now (none while the address's minute
    /// is still running).
    pub fn count(&self, ip: &str, path: &str, action: &str) -> Vec<Entry> {
        self.count_at(ip, path, action, std::time::Instant::now())
    }

    fn count_at(&self, ip: &str, path: &str, action: &str, now: std::time::Instant) -> Vec<Entry> {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let mut due: Vec<(String, Tally)> = Vec::new();
        // Counts whose minute is over are written with this denial.
        let expired: Vec<String> = tallies
            .iter()
            .filter(|(_, t)| t.count > 0 && now.duration_since(t.since) >= DENIAL_WINDOW)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            if let Some(t) = tallies.remove(&key) {
                due.push((key, t));
            }
        }
        tallies.retain(|_, t| now.duration_since(t.since) < DENIAL_WINDOW);
        let key = if tallies.contains_key(ip) || tallies.len() < MAX_SOURCES {
            ip.to_string()
        } else {
            OTHER_SOURCES.to_string()
        };
        match tallies.get_mut(&key) {
            Some(t) => {
                t.count += 1;
                if t.paths.len() < EXAMPLE_PATHS && !t.paths.iter().any(|p| p == path) {
                    t.paths.push(path.to_string());
                }
            }
            None => {
                // The first from this address in its minute is written at once.
                let first = Tally {
                    since: now,
                    count: 1,
                    paths: vec![path.to_string()],
                };
                due.push((key.clone(), first));
                tallies.insert(
                    key,
                    Tally {
                        since: now,
                        count: 0,
                        paths: Vec::new(),
                    },
                );
            }
        }
        due.into_iter()
            .map(|(source, t)| {
                Entry::new("permission.denied.anonymous")
                    .target("path", t.paths.first().cloned().unwrap_or_default())
                    .ip(if source == OTHER_SOURCES { "" } else { &source })
                    .details(serde_json::json!({
                        "count": t.count,
                        "paths": t.paths,
                        "action": action,
                        "window_seconds": DENIAL_WINDOW.as_secs(),
                    }))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn counts(entries: &[Entry]) -> Vec<u64> {
        entries
            .iter()
            .map(|e| e.details["count"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn a_strangers_denials_are_written_once_a_minute_with_their_count() {
        let tally = AnonymousDenials::default();
        let start = Instant::now();
        assert_eq!(
            counts(&tally.count_at("192.0.2.1", "/a", "x", start)),
            vec![1]
        );
        for n in 1..200 {
            let at = start + Duration::from_millis(n * 100);
            assert!(tally.count_at("192.0.2.1", "/b", "x", at).is_empty());
        }
        // Another address in the same minute has its own first row.
        assert_eq!(
            counts(&tally.count_at("192.0.2.2", "/a", "x", start)),
            vec![1]
        );
        let later = start + DENIAL_WINDOW + Duration::from_secs(1);
        let written = tally.count_at("192.0.2.1", "/c", "x", later);
        // The 199 counted, then this one as the first of a new minute.
        assert_eq!(counts(&written), vec![199, 1]);
        assert_eq!(written[0].details["paths"], serde_json::json!(["/b"]));
    }

    #[test]
    fn past_the_tallied_addresses_the_rest_share_one_tally() {
        let tally = AnonymousDenials::default();
        let now = Instant::now();
        let mut written = 0;
        for n in 0..(MAX_SOURCES as u32 * 5) {
            let ip = std::net::Ipv4Addr::from(0xC000_0200 + n).to_string();
            written += tally.count_at(&ip, "/a", "x", now).len();
        }
        assert_eq!(written, MAX_SOURCES + 1);
    }
}
