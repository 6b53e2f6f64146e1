//! One diesel code path over two engines: the connection enum, its pool, migrations,
//! and the helpers that run diesel on the blocking thread pool.

use std::time::Duration;

use actix_web::web;
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

pub mod enums;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Chosen from the URL scheme; SQLite accepts any path, so it is never a fallback guess.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The file a SQLite URL names: `sqlite:///var/lib/metro.db` and `sqlite:metro.db` mean
    /// those paths, as a plain path does.
    pub fn sqlite_path(url: &str) -> &str {
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url)
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Opens connections of the configured engine and prepares SQLite ones.
#[derive(Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url)
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// A pooled connection. When it is given back, a data version raised through it (on this
/// thread) is read as committed and published to the process (see `crate::cache`), so the
/// next request sees the change whoever made it: a page, the job worker, the command line.
pub struct Conn {
    inner: PooledConnection<Manager>,
    watch: std::sync::Arc<crate::cache::VersionWatch>,
}

impl std::ops::Deref for Conn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.inner
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.inner
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        publish_raised(&self.watch, &mut self.inner);
    }
}

/// If this thread raised the data version, reads the version now committed and publishes it.
fn publish_raised(watch: &crate::cache::VersionWatch, conn: &mut DbConn) {
    if crate::cache::take_raised() {
        match crate::cache::version(conn) {
            Ok(v) => watch.publish(v),
            Err(e) => tracing::warn!(error = %e, "cannot read the data version"),
        }
    }
}

/// Process-wide SQLite settings, made once before the first connection.
///
/// - SQLite counts every allocation under one process-wide lock unless told not to; with
///   several connections reading at once that lock is where they queued.
/// - Every connection is opened with the query planner's stability guarantee: otherwise a
///   statement with a bound `LIMIT` (every `.first()` and page) is planned again each time
///   it runs, and the statement cache saves nothing.
fn sqlite_process_settings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys as ffi;
        // SAFETY: sqlite3_config runs before any connection exists in this process (it
        // refuses, harmlessly, otherwise), with the int argument MEMSTATUS expects.
        let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite memory statistics left on");
        }
        // SAFETY: SQLite calls the entry point with a valid handle for each connection
        // opened after this.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(stable_plans)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite: could not register the connection settings");
        }
    });
}

/// Turns on SQLite's query planner stability guarantee for a new connection.
unsafe extern "C" fn stable_plans(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::ffi::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::ffi::c_int {
    use libsqlite3_sys as ffi;
    // SAFETY: `db` is the connection SQLite is opening; ENABLE_QPSG takes an int and an
    // optional int pointer for the previous setting.
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        );
    }
    ffi::SQLITE_OK
}

/// How long a caller waits for a connection when the database is up but every connection
/// is in use.
const POOL_WAIT: Duration = Duration::from_secs(5);

fn pool(
    manager: &Manager,
    size: u32,
    health: &std::sync::Arc<Health>,
) -> anyhow::Result<Pool<Manager>> {
    Pool::builder()
        .max_size(size.max(1))
        .connection_timeout(POOL_WAIT)
        .error_handler(Box::new(HealthRecorder(health.clone())))
        .build(manager.clone())
        .map_err(|e| anyhow::anyhow!("cannot open the {} database: {e}", manager.backend.name()))
}

/// When a connection to the database last failed to open (milliseconds since the epoch).
#[derive(Debug, Default)]
struct Health {
    failed_at_ms: std::sync::atomic::AtomicI64,
}

impl Health {
    fn failed_recently(&self) -> bool {
        let at = self.failed_at_ms.load(std::sync::atomic::Ordering::Relaxed);
        at > 0 && Utc::now().timestamp_millis() - at < 1000
    }
}

/// Told by the pool of every connection that could not be opened.
#[derive(Debug)]
struct HealthRecorder(std::sync::Arc<Health>);

impl r2d2::HandleError<r2d2::Error> for HealthRecorder {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(error = %error, "cannot connect to the database");
        self.0.failed_at_ms.store(
            Utc::now().timestamp_millis(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// The data version as this process knows it (see `crate::cache`).
    watch: std::sync::Arc<crate::cache::VersionWatch>,
    /// Opens connections outside the pool (the version watcher's own).
    manager: Manager,
    /// Whether the database could be reached lately; shared by every pool onto it.
    health: std::sync::Arc<Health>,
}

impl Db {
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        let backend = Backend::from_url(url);
        let url = match backend {
            Backend::Sqlite => Backend::sqlite_path(url),
            Backend::Postgres => url,
        };
        if backend == Backend::Sqlite {
            sqlite_process_settings();
            if let Some(parent) = std::path::Path::new(url).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
        }
        let manager = Manager {
            url: url.to_string(),
            backend,
        };
        let health = std::sync::Arc::new(Health::default());
        Ok(Db {
            pool: pool(&manager, pool_size, &health)?,
            backend,
            watch: Default::default(),
            manager,
            health,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A second pool of `size` connections to the same database, for work that must never
    /// take a connection from the first (jobs beside pages). Versions it raises are
    /// published to the same watch.
    pub fn another_pool(&self, size: u32) -> anyhow::Result<Db> {
        Ok(Db {
            pool: pool(&self.manager, size, &self.health)?,
            backend: self.backend,
            watch: self.watch.clone(),
            manager: self.manager.clone(),
            health: self.health.clone(),
        })
    }

    /// A connection for synchronous callers (CLI, workers). While the database cannot be
    /// reached (a connection failed within the last second), this answers at once rather
    /// than after the pool's wait, so a request gets its 503 straight away.
    pub fn get(&self) -> AppResult<Conn> {
        let inner = self.checkout().ok_or_else(|| {
            tracing::warn!("database unavailable");
            AppError::Unavailable
        })?;
        Ok(Conn {
            inner,
            watch: self.watch.clone(),
        })
    }

    fn checkout(&self) -> Option<PooledConnection<Manager>> {
        let deadline = std::time::Instant::now() + POOL_WAIT;
        loop {
            if let Some(conn) = self.pool.try_get() {
                return Some(conn);
            }
            if self.health.failed_recently() {
                return None;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            // A short wait lets the pool open a connection, or learn that it cannot.
            if let Ok(conn) = self.pool.get_timeout(left.min(Duration::from_millis(50))) {
                return Some(conn);
            }
        }
    }

    /// Runs `f` with a connection on the blocking pool. If `f` raised the data version, the
    /// new one is published before this returns (see `Conn`).
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        web::block(move || {
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// Runs `f` inside a write transaction on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_tx(conn, f)).await
    }

    /// The data version: as the watcher last read it, or from the database.
    pub async fn version(&self) -> AppResult<i64> {
        if let Some(v) = self.watch.current() {
            return Ok(v);
        }
        let v = self.run(|conn| Ok(crate::cache::version(conn)?)).await?;
        self.watch.publish(v);
        Ok(v)
    }

    /// Starts the thread that reads the data version every `every` on a connection of its
    /// own, so that it never waits for the pool (see `crate::cache`).
    pub fn watch_versions(
        &self,
        every: Duration,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let manager = self.manager.clone();
        self.watch
            .spawn_watcher(move || manager.connect(), every, stop)
    }

    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        run_migrations(&mut conn)
    }
}

thread_local! {
    /// How deep this thread is in SQLite write transactions (a connection is used by one
    /// thread at a time), so that a change made of smaller changes is still one transaction.
    static SQLITE_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A write transaction: `BEGIN IMMEDIATE` on SQLite so writers queue on the busy timeout
/// instead of failing when a read lock must be upgraded; an ordinary one on PostgreSQL.
/// Nested calls join the outer transaction (savepoints on PostgreSQL).
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn) -> AppResult<T>,
{
    match conn {
        DbConn::Pg(_) => conn.transaction(f),
        DbConn::Sqlite(_) if SQLITE_DEPTH.get() > 0 => f(conn),
        DbConn::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            SQLITE_DEPTH.set(1);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
            SQLITE_DEPTH.set(0);
            match outcome {
                Ok(Ok(value)) => match conn.batch_execute("COMMIT") {
                    Ok(()) => Ok(value),
                    Err(e) => {
                        let _ = conn.batch_execute("ROLLBACK");
                        Err(e.into())
                    }
                },
                Ok(Err(e)) => {
                    conn.batch_execute("ROLLBACK")?;
                    Err(e)
                }
                Err(panic) => {
                    let _ = conn.batch_execute("ROLLBACK");
                    std::panic::resume_unwind(panic)
                }
            }
        }
    }
}

pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConn::Pg(c) => {
            // Instances starting together must not race each other through the migrations.
            c.batch_execute("SELECT pg_advisory_lock(7301001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect());
            c.batch_execute("SELECT pg_advisory_unlock(7301001)")?;
            result
        }
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// The current UTC time at the precision both engines store.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Serialises a stored (UTC) timestamp as RFC 3339 with a `Z`.
pub fn serialize_utc<S: serde::Serializer>(
    at: &NaiveDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*at))
}

pub fn serialize_utc_opt<S: serde::Serializer>(
    at: &Option<NaiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&rfc3339(*at)),
        None => serializer.serialize_none(),
    }
}

/// A stored (UTC) timestamp as RFC 3339, e.g. `2026-11-22T09:30:00Z`.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Runs an insert that skips rows clashing with a unique index (`ON CONFLICT DO NOTHING`
/// on both engines), giving the number of rows written.
#[macro_export]
macro_rules! insert_ignore {
    ($conn:expr, $insert:expr) => {
        match $conn {
            $crate::db::DbConn::Pg(c) => {
                diesel::RunQueryDsl::execute($insert.on_conflict_do_nothing(), c)
            }
            $crate::db::DbConn::Sqlite(c) => {
                diesel::RunQueryDsl::execute($insert.on_conflict_do_nothing(), c)
            }
        }
    };
}

/// Serialises writers of a hash chain or counter on PostgreSQL for the rest of the transaction.
/// SQLite needs nothing: its write transactions are already exclusive.
pub fn lock_for_append(conn: &mut DbConn, key: i64) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => c.batch_execute(&format!("SELECT pg_advisory_xact_lock({key})")),
        DbConn::Sqlite(_) => Ok(()),
    }
}
