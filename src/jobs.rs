//! A job queue in the database. Jobs are written in the same transaction as the change
//! that causes them, so nothing is lost on a crash; workers claim them with a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances can work the queue).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::Value;

use crate::db::{now, write_tx, Db, DbConn};
use crate::email::Mailer;
use crate::error::AppResult;
use crate::schema::jobs;

/// How long a claimed job is reserved before another worker may retry it.
const LEASE_SECONDS: i64 = 300;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub run_at: NaiveDateTime,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

pub fn enqueue(
    conn: &mut DbConn,
    kind: &str,
    payload: &Value,
    max_attempts: i32,
) -> QueryResult<i64> {
    let at = now();
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind),
            jobs::payload.eq(payload.to_string()),
            jobs::status.eq("pending"),
            jobs::run_at.eq(at),
            jobs::max_attempts.eq(max_attempts),
            jobs::created_at.eq(at),
        ))
        .returning(jobs::id)
        .get_result(conn)
}

/// Takes the next due job, reserving it for the lease time.
pub fn claim(conn: &mut DbConn) -> AppResult<Option<Job>> {
    write_tx(conn, |conn| {
        let at = now();
        let due = jobs::table
            .select(jobs::id)
            .filter(jobs::status.eq("pending"))
            .filter(jobs::run_at.le(at))
            .filter(jobs::locked_until.is_null().or(jobs::locked_until.lt(at)))
            .order((jobs::run_at.asc(), jobs::id.asc()))
            .limit(1);
        let id: Option<i64> = match conn {
            DbConn::Pg(pg) => due.for_update().skip_locked().first(pg).optional()?,
            DbConn::Sqlite(sqlite) => due.first(sqlite).optional()?,
        };
        let Some(id) = id else { return Ok(None) };
        diesel::update(jobs::table.find(id))
            .set((
                jobs::locked_until.eq(Some(at + Duration::seconds(LEASE_SECONDS))),
                jobs::attempts.eq(jobs::attempts + 1),
            ))
            .execute(conn)?;
        Ok(Some(
            jobs::table.find(id).select(Job::as_select()).first(conn)?,
        ))
    })
}

pub fn complete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq("done"),
            // The payload may hold single-use links; nothing needs it once sent.
            jobs::payload.eq("{}"),
            jobs::finished_at.eq(Some(now())),
            jobs::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Records a failure: retried later with exponential backoff, or given up after the limit.
pub fn fail(conn: &mut DbConn, job: &Job, error: &str) -> QueryResult<usize> {
    let error: String = error.chars().take(1000).collect();
    if job.attempts >= job.max_attempts {
        diesel::update(jobs::table.find(job.id))
            .set((
                jobs::status.eq("failed"),
                jobs::payload.eq("{}"),
                jobs::last_error.eq(Some(error)),
                jobs::finished_at.eq(Some(now())),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    } else {
        let delay = 10i64
            .saturating_mul(1 << job.attempts.clamp(0, 12))
            .min(3600);
        diesel::update(jobs::table.find(job.id))
            .set((
                jobs::run_at.eq(now() + Duration::seconds(delay)),
                jobs::last_error.eq(Some(error)),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    }
}

/// Wakes the worker when new work is committed, instead of waiting for the next poll.
#[derive(Clone, Default)]
pub struct JobWaker(Arc<(Mutex<bool>, Condvar)>);

impl JobWaker {
    pub fn wake(&self) {
        let (flag, cvar) = &*self.0;
        if let Ok(mut pending) = flag.lock() {
            *pending = true;
            cvar.notify_all();
        }
    }

    fn wait(&self, timeout: StdDuration) {
        let (flag, cvar) = &*self.0;
        if let Ok(pending) = flag.lock() {
            if let Ok((mut pending, _)) = cvar.wait_timeout_while(pending, timeout, |p| !*p) {
                *pending = false;
            }
        }
    }
}

/// Runs jobs on its own thread until `stop` is set.
pub struct Worker {
    pub db: Db,
    pub mailer: Arc<Mailer>,
    pub waker: JobWaker,
    pub poll: StdDuration,
    pub stop: Arc<AtomicBool>,
}

impl Worker {
    pub fn spawn(self) -> std::thread::JoinHandle<()> {
        std::thread::Builder::new()
            .name("metro-jobs".into())
            .spawn(move || self.run())
            .expect("spawn the job worker")
    }

    fn run(self) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.run_one() {
                Ok(true) => continue,
                Ok(false) => self.waker.wait(self.poll),
                Err(e) => {
                    tracing::warn!(error = %e, "job worker: database problem");
                    self.waker.wait(self.poll);
                }
            }
        }
    }

    /// Runs one due job; `false` when there was none.
    pub fn run_one(&self) -> AppResult<bool> {
        let mut conn = self.db.get()?;
        let Some(job) = claim(&mut conn)? else {
            return Ok(false);
        };
        let outcome = self.perform(&job);
        match outcome {
            Ok(()) => {
                complete(&mut conn, job.id)?;
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                fail(&mut conn, &job, &e.to_string())?;
            }
        }
        Ok(true)
    }

    fn perform(&self, job: &Job) -> anyhow::Result<()> {
        let payload: Value = serde_json::from_str(&job.payload)?;
        match job.kind.as_str() {
            crate::email::JOB_KIND => self.mailer.send(&serde_json::from_value(payload)?),
            other => anyhow::bail!("unknown job kind {other}"),
        }
    }
}
