//! Figures worked out from the data, kept until the data changes.
//!
//! Every change that writes an event (and every change to who may sign in or to an inbox)
//! also raises one number in the database (`data_version`), in the same transaction or
//! straight after the change. A reader takes that number first, then looks up or works out
//! its figure and keeps it under the number; once the number moves, everything kept is
//! dropped.
//!
//! Each instance knows the number without asking the database on every request
//! ([`VersionWatch`]): a change made in this process publishes the new number when its
//! connection goes back to the pool (`db::Conn`), after it has committed and before the
//! request that made it is answered, and a watcher thread reads the number every
//! `database.watch_ms` to learn of changes made elsewhere (other instances, the command
//! line). When the watcher has not read it lately (the database is down, or watching is
//! off) requests read the number themselves.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::auth::Caller;
use crate::db::DbConn;
use crate::schema::data_version;

thread_local! {
    /// Whether this thread has raised the data version since it last published it.
    static RAISED: Cell<bool> = const { Cell::new(false) };
}

/// Raises the data version; call inside the transaction of the change, or after the change
/// (never before it: a reader could keep what it read before the change under the new number).
pub fn bump_version(conn: &mut DbConn) -> QueryResult<()> {
    diesel::update(data_version::table.find(1))
        .set(data_version::version.eq(data_version::version + 1))
        .execute(conn)?;
    RAISED.set(true);
    Ok(())
}

/// Whether this thread raised the data version since the last call; forgets it.
pub fn take_raised() -> bool {
    RAISED.replace(false)
}

/// The data version now.
pub fn version(conn: &mut DbConn) -> QueryResult<i64> {
    data_version::table
        .find(1)
        .select(data_version::version)
        .first(conn)
}

/// The data version as this process last knew it.
pub struct VersionWatch {
    version: AtomicI64,
    /// Milliseconds after `epoch` until which `version` is known to be current.
    fresh_until: AtomicU64,
    epoch: Instant,
}

impl Default for VersionWatch {
    fn default() -> VersionWatch {
        VersionWatch {
            version: AtomicI64::new(-1),
            fresh_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl VersionWatch {
    fn millis(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The data version, when a recent reading vouches for it.
    pub fn current(&self) -> Option<i64> {
        (self.millis() < self.fresh_until.load(Ordering::Acquire))
            .then(|| self.version.load(Ordering::Acquire))
    }

    /// Takes a version read after a commit; versions only go up.
    pub fn publish(&self, version: i64) {
        self.version.fetch_max(version, Ordering::AcqRel);
    }

    /// Takes the watcher's reading, started at `read_at`, good for `good_for` milliseconds.
    fn watched(&self, version: i64, read_at: u64, good_for: u64) {
        self.publish(version);
        self.fresh_until
            .fetch_max(read_at + good_for, Ordering::AcqRel);
    }

    /// Stops vouching for the version (the database could not be read).
    fn lost(&self) {
        self.fresh_until.store(0, Ordering::Release);
    }

    /// Reads the version every `every` on a thread of its own, with a connection from
    /// `connect` (opened again after a failure), until `stop` is set. Each reading vouches
    /// for the version for five periods and 200 ms more: a change made elsewhere is usually
    /// seen within one period, and within that time at worst while the watcher is held up
    /// (a busy machine, a slow database); after it, requests read the version themselves
    /// until the watcher catches up.
    pub fn spawn_watcher<C>(
        self: &Arc<Self>,
        connect: C,
        every: Duration,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>>
    where
        C: Fn() -> Result<DbConn, diesel::r2d2::Error> + Send + 'static,
    {
        let watch = self.clone();
        let good_for = every.as_millis() as u64 * 5 + 200;
        std::thread::Builder::new()
            .name("metro-version-watch".into())
            .spawn(move || {
                // Kept between readings; a connection that failed is dropped and opened again.
                let mut conn: Option<DbConn> = None;
                let mut warned = false;
                while !stop.load(Ordering::Relaxed) {
                    let read_at = watch.millis();
                    let reading = conn
                        .take()
                        .map_or_else(|| connect().map_err(|e| e.to_string()), Ok)
                        .and_then(|mut c| {
                            let v = version(&mut c).map_err(|e| e.to_string())?;
                            conn = Some(c);
                            Ok(v)
                        });
                    match reading {
                        Ok(v) => {
                            watch.watched(v, read_at, good_for);
                            warned = false;
                        }
                        Err(error) => {
                            watch.lost();
                            if !warned {
                                tracing::warn!(%error, "cannot read the data version; reading it on each request until it can");
                                warned = true;
                            }
                        }
                    }
                    std::thread::sleep(every);
                }
            })
    }
}

/// Values by key, all belonging to one data version; at most `capacity` of them and, for
/// values that weigh something, at most `budget` bytes. When either would be passed,
/// everything kept is dropped and keeping starts again.
pub struct Versioned<K, V> {
    inner: Mutex<Kept<K, V>>,
    capacity: usize,
    budget: usize,
    weigh: fn(&K, &V) -> usize,
}

struct Kept<K, V> {
    version: i64,
    values: HashMap<K, V>,
    bytes: usize,
}

impl<K, V> Kept<K, V> {
    fn empty(version: i64) -> Kept<K, V> {
        Kept {
            version,
            values: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<K: Eq + Hash, V: Clone> Versioned<K, V> {
    pub fn new(capacity: usize) -> Versioned<K, V> {
        Versioned::with_budget(capacity, usize::MAX, |_, _| 0)
    }

    /// At most `capacity` values weighing `budget` bytes in all, each as `weigh` says.
    pub fn with_budget(
        capacity: usize,
        budget: usize,
        weigh: fn(&K, &V) -> usize,
    ) -> Versioned<K, V> {
        Versioned {
            inner: Mutex::new(Kept::empty(-1)),
            capacity,
            budget,
            weigh,
        }
    }

    /// The value kept for `key` at `version`.
    pub fn get<Q>(&self, version: i64, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let kept = self.inner.lock().ok()?;
        if kept.version != version {
            return None;
        }
        kept.values.get(key).cloned()
    }

    /// Keeps `value` for `key` at `version` (unless a later version is already kept).
    pub fn put(&self, version: i64, key: K, value: V) {
        let weight = (self.weigh)(&key, &value);
        if weight > self.budget {
            return;
        }
        if let Ok(mut kept) = self.inner.lock() {
            if version > kept.version {
                *kept = Kept::empty(version);
            }
            if version == kept.version {
                if kept.values.len() >= self.capacity || kept.bytes + weight > self.budget {
                    *kept = Kept::empty(version);
                }
                // A key kept twice (two requests worked it out at once) counts twice: the
                // budget errs on the safe side.
                kept.bytes += weight;
                kept.values.insert(key, value);
            }
        }
    }

    /// The value kept for `key` at `version`, or what `work` gives, kept for next time. The
    /// lock is not held while `work` runs.
    pub async fn get_or_work<E, Fut>(
        &self,
        version: i64,
        key: K,
        work: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.get(version, &key) {
            return Ok(value);
        }
        let value = work().await?;
        self.put(version, key, value.clone());
        Ok(value)
    }

    /// The value kept for `key` at `version`, or `work`'s, kept for next time.
    pub fn get_or_try<E>(
        &self,
        version: i64,
        key: K,
        work: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = self.get(version, &key) {
            return Ok(value);
        }
        let value = work()?;
        self.put(version, key, value.clone());
        Ok(value)
    }
}

/// The key for a page or answer that depends on the data, on the caller's organisation and
/// role (none when signed out) and on `what` (the template, the query, ...).
pub fn kept_key(caller: Option<&Caller>, what: &str) -> String {
    format!(
        "{:?}|{:?}|{what}",
        caller.map(|c| c.organisation_id),
        caller.map(|c| c.role.as_str())
    )
}

/// A kind of value kept until the data version moves, declared beside what makes it (a
/// slice's figures, live sessions, rendered pages): the cache itself knows none of them.
pub trait Keep: 'static {
    type Key: Eq + Hash + Send + 'static;
    type Value: Clone + Send + 'static;
    /// An empty store for this kind, with its limits.
    fn store() -> Versioned<Self::Key, Self::Value>;
}

/// What the portal keeps between requests: one store for each kind of kept value, made
/// when it is first asked for.
#[derive(Default)]
pub struct Cache {
    stores: Mutex<HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>,
}

impl Cache {
    /// The store of kind `K`.
    pub fn kept<K: Keep>(&self) -> Arc<Versioned<K::Key, K::Value>> {
        let store = {
            let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
            stores
                .entry(std::any::TypeId::of::<K>())
                .or_insert_with(|| Arc::new(K::store()))
                .clone()
        };
        store
            .downcast::<Versioned<K::Key, K::Value>>()
            .unwrap_or_else(|_| unreachable!("a kind's store is made by that kind"))
    }
}

#[cfg(test)]
mod tests {
    use super::Versioned;

    #[test]
    fn values_belong_to_one_version_and_stay_within_their_budget() {
        let kept: Versioned<&str, String> = Versioned::with_budget(10, 10, |_, v| v.len());
        kept.put(1, "a", "1234".into());
        assert_eq!(kept.get(1, "a").as_deref(), Some("1234"));
        assert_eq!(kept.get(2, "a"), None, "another version sees nothing");
        kept.put(1, "b", "5678".into());
        assert_eq!(kept.get(1, "a").as_deref(), Some("1234"));
        // 4 + 4 + 4 would pass 10 bytes: what was kept goes, the newest stays.
        kept.put(1, "c", "9abc".into());
        assert_eq!(
            (kept.get(1, "a"), kept.get(1, "c").as_deref()),
            (None, Some("9abc"))
        );
        // Heavier than the whole budget: never kept.
        kept.put(1, "d", "0123456789ab".into());
        assert_eq!(kept.get(1, "d"), None);
        // An older version's value is not kept over a newer one's.
        kept.put(2, "e", "e".into());
        kept.put(1, "f", "f".into());
        assert_eq!(
            (kept.get(2, "e").as_deref(), kept.get(1, "f")),
            (Some("e"), None)
        );
    }
}
