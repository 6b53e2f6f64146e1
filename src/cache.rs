//! Figures worked out from the data, kept until the data changes.
//!
//! Every change that writes an event also raises one number in the database (`data_version`)
//! in the same transaction. A reader takes that number first, then looks up or works out
//! its figure and keeps it under the number; once the number moves, everything kept is
//! dropped. Because the number lives in the database, several portal instances on one
//! database stay right: a change made through any of them moves it for all.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use diesel::prelude::*;

use crate::dashboard::queries::Dashboard;
use crate::db::DbConn;
use crate::opportunities::queries::Totals;
use crate::schema::data_version;

/// Raises the data version; call inside the transaction of the change.
pub fn bump_version(conn: &mut DbConn) -> QueryResult<()> {
    diesel::update(data_version::table.find(1))
        .set(data_version::version.eq(data_version::version + 1))
        .execute(conn)
        .map(|_| ())
}

/// The data version now.
pub fn version(conn: &mut DbConn) -> QueryResult<i64> {
    data_version::table
        .find(1)
        .select(data_version::version)
        .first(conn)
}

/// Values by key, all belonging to one data version; at most `capacity` are kept.
pub struct Versioned<K, V> {
    inner: Mutex<(i64, HashMap<K, V>)>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Versioned<K, V> {
    pub fn new(capacity: usize) -> Versioned<K, V> {
        Versioned {
            inner: Mutex::new((-1, HashMap::new())),
            capacity,
        }
    }

    /// The value kept for `key` at `version`, or `work`'s, kept for next time.
    pub fn get_or_try<E>(
        &self,
        version: i64,
        key: K,
        work: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Ok(kept) = self.inner.lock() {
            if kept.0 == version {
                if let Some(value) = kept.1.get(&key) {
                    return Ok(value.clone());
                }
            }
        }
        let value = work()?;
        if let Ok(mut kept) = self.inner.lock() {
            if version > kept.0 {
                *kept = (version, HashMap::new());
            }
            if version == kept.0 {
                if kept.1.len() >= self.capacity {
                    kept.1.clear();
                }
                kept.1.insert(key, value.clone());
            }
        }
        Ok(value)
    }
}

/// What the portal keeps between requests.
pub struct Cache {
    /// The register's count and totals, by the caller's organisation (none when signed
    /// out) and the filter.
    pub register_totals: Versioned<(Option<i64>, String), (i64, Totals)>,
    /// Leaders' dashboards, by organisation, role, filter and hour.
    pub dashboards: Versioned<(i64, String, String), Dashboard>,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache {
            register_totals: Versioned::new(2_000),
            dashboards: Versioned::new(500),
        }
    }
}
