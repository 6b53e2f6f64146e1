//! A job queue in the database. Jobs are written in the same transaction as the change
//! that causes them, so nothing is lost on a crash; workers claim them with a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances can work the queue).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::Value;

use crate::auth::tokens::Keys;
use crate::config::Settings;
use crate::db::{now, write_tx, Db, DbConn};
use crate::email::Mailer;
use crate::error::AppResult;
use crate::schema::jobs;
use crate::text_enum;
use crate::web::templates::Templates;

text_enum!(JobStatus, "a job status", {
    Pending => ("pending", "Waiting"),
    Done => ("done", "Done"),
    Failed => ("failed", "Failed"),
});

/// How long a claimed job is reserved before another worker may retry it: longer than any
/// job may take (mail gives up after 20 s, webhooks after at most 30 s), short enough that
/// work held by a crashed worker is picked up within a minute.
const LEASE_SECONDS: i64 = 60;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub status: JobStatus,
    pub run_at: NaiveDateTime,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub lane: Option<String>,
}

pub fn enqueue(
    conn: &mut DbConn,
    kind: &str,
    payload: &Value,
    max_attempts: i32,
) -> QueryResult<()> {
    insert(conn, kind, payload, None, None, max_attempts).map(|_| ())
}

/// Queues a job unless one with the same key was ever queued; `true` when this call queued it.
/// The key names what the job does once, e.g. `email:<event>:<user>`, so a retried fan-out
/// never sends anything twice.
pub fn enqueue_once(
    conn: &mut DbConn,
    kind: &str,
    payload: &Value,
    key: &str,
    max_attempts: i32,
) -> QueryResult<bool> {
    Ok(insert(conn, kind, payload, Some(key), None, max_attempts)? > 0)
}

/// Queues a job in a lane: the jobs of one lane (say, one organisation's webhook
/// deliveries) take at most `jobs.per_lane` places at once, so one tenant's slow receiver
/// cannot hold up the others'. With a key, as [`enqueue_once`].
pub fn enqueue_in_lane(
    conn: &mut DbConn,
    kind: &str,
    payload: &Value,
    key: Option<&str>,
    lane: &str,
    max_attempts: i32,
) -> QueryResult<bool> {
    Ok(insert(conn, kind, payload, key, Some(lane), max_attempts)? > 0)
}

fn insert(
    conn: &mut DbConn,
    kind: &str,
    payload: &Value,
    key: Option<&str>,
    lane: Option<&str>,
    max_attempts: i32,
) -> QueryResult<usize> {
    let job = NewJob::due_now(kind, payload, key, lane, max_attempts);
    let insert = diesel::insert_into(jobs::table).values(&job);
    // Jobs without a key never clash.
    crate::insert_ignore!(conn, insert)
}

/// Queues many keyed jobs of one kind in a few statements; each is skipped if its key was
/// ever queued, as with [`enqueue_once`]. For fan-outs to thousands.
pub fn enqueue_many_once(
    conn: &mut DbConn,
    kind: &str,
    jobs_by_key: &[(String, Value)],
    max_attempts: i32,
) -> QueryResult<usize> {
    let mut queued = 0;
    for chunk in jobs_by_key.chunks(BATCH) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(key, payload)| NewJob::due_now(kind, payload, Some(key), None, max_attempts))
            .collect();
        queued += crate::insert_ignore!(conn, diesel::insert_into(jobs::table).values(&rows))?;
    }
    Ok(queued)
}

/// A job as queued: pending and due now.
#[derive(Insertable)]
#[diesel(table_name = jobs, treat_none_as_default_value = false)]
struct NewJob<'a> {
    kind: &'a str,
    payload: String,
    status: JobStatus,
    run_at: NaiveDateTime,
    max_attempts: i32,
    created_at: NaiveDateTime,
    unique_key: Option<&'a str>,
    lane: Option<&'a str>,
}

impl<'a> NewJob<'a> {
    fn due_now(
        kind: &'a str,
        payload: &Value,
        key: Option<&'a str>,
        lane: Option<&'a str>,
        max_attempts: i32,
    ) -> NewJob<'a> {
        let at = now();
        NewJob {
            kind,
            payload: payload.to_string(),
            status: JobStatus::Pending,
            run_at: at,
            max_attempts,
            created_at: at,
            unique_key: key,
            lane,
        }
    }
}

/// Rows per statement when writing many at once: well inside both engines' limits on
/// bound parameters.
pub const BATCH: usize = 500;

pub fn failed_count(conn: &mut DbConn) -> QueryResult<i64> {
    jobs::table
        .filter(jobs::status.eq(JobStatus::Failed))
        .count()
        .get_result(conn)
}

/// Takes the next due job, reserving it for the lease time; passes over the kinds and lanes
/// in `full`, which have as many jobs running as they may.
pub fn claim(conn: &mut DbConn, full: &Full) -> AppResult<Option<Job>> {
    write_tx(conn, |conn| {
        let at = now();
        // (An empty list excludes nothing: diesel writes `NOT IN ()` as true.)
        let due = jobs::table
            .select(jobs::id)
            .filter(jobs::status.eq(JobStatus::Pending))
            .filter(jobs::run_at.le(at))
            .filter(jobs::locked_until.is_null().or(jobs::locked_until.lt(at)))
            .filter(jobs::kind.ne_all(&full.kinds))
            .filter(
                jobs::lane
                    .is_null()
                    .or(jobs::lane.assume_not_null().ne_all(&full.lanes)),
            )
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

/// Kinds and lanes that may take no more jobs just now.
#[derive(Debug, Default)]
pub struct Full {
    pub kinds: Vec<String>,
    pub lanes: Vec<String>,
}

/// The jobs one process is running, by kind and by lane, against the limits.
pub struct Running {
    limits: std::collections::HashMap<String, usize>,
    per_lane: usize,
    now: Mutex<(
        std::collections::HashMap<String, usize>,
        std::collections::HashMap<String, usize>,
    )>,
}

impl Running {
    pub fn new(settings: &Settings) -> Running {
        Running {
            limits: settings.jobs.limits.clone(),
            per_lane: settings.jobs.per_lane.max(1),
            now: Mutex::default(),
        }
    }

    /// Claims the next job that fits the limits, counting it as running until `finish`.
    /// Claims are made one at a time, so two threads never both take the last place.
    fn claim(&self, db: &Db) -> AppResult<Option<Job>> {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        let (kinds, lanes) = &mut *now;
        let full = Full {
            kinds: self
                .limits
                .iter()
                .filter(|(kind, limit)| kinds.get(*kind).copied().unwrap_or(0) >= **limit)
                .map(|(kind, _)| kind.clone())
                .collect(),
            lanes: lanes
                .iter()
                .filter(|(_, n)| **n >= self.per_lane)
                .map(|(lane, _)| lane.clone())
                .collect(),
        };
        let job = claim(&mut *db.get()?, &full)?;
        if let Some(job) = &job {
            *kinds.entry(job.kind.clone()).or_default() += 1;
            if let Some(lane) = &job.lane {
                *lanes.entry(lane.clone()).or_default() += 1;
            }
        }
        Ok(job)
    }

    fn finish(&self, job: &Job) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        let (kinds, lanes) = &mut *now;
        let less = |map: &mut std::collections::HashMap<String, usize>, key: &str| {
            if let Some(n) = map.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(key);
                }
            }
        };
        less(kinds, &job.kind);
        if let Some(lane) = &job.lane {
            less(lanes, lane);
        }
    }
}

pub fn complete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq(JobStatus::Done),
            // The payload may hold single-use links; nothing needs it once sent.
            jobs::payload.eq("{}"),
            jobs::finished_at.eq(Some(now())),
            jobs::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Records a failure: retried later with exponential backoff, or given up after the limit.
/// `job.attempts` counts this attempt, so the first retry comes `base_delay` seconds later,
/// the next twice that, and so on.
pub fn fail(conn: &mut DbConn, job: &Job, error: &str, base_delay: i64) -> QueryResult<usize> {
    let error: String = error.chars().take(1000).collect();
    if job.attempts >= job.max_attempts {
        diesel::update(jobs::table.find(job.id))
            .set((
                jobs::status.eq(JobStatus::Failed),
                jobs::payload.eq("{}"),
                jobs::last_error.eq(Some(error)),
                jobs::finished_at.eq(Some(now())),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    } else {
        let delay = base_delay
            .max(0)
            .saturating_mul(1 << (job.attempts - 1).clamp(0, 12))
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

/// What a job of one kind does with its payload.
pub type Perform = fn(&JobContext, &Job, &Value) -> anyhow::Result<()>;
/// Work a worker does once a minute, such as queueing the digests that have fallen due.
pub type Periodic = fn(&JobContext) -> anyhow::Result<()>;

/// The job kinds and periodic tasks a worker runs, registered by those who define them (see
/// `startup::job_kinds`): the queue itself knows none of them.
#[derive(Default)]
pub struct Kinds {
    perform: std::collections::HashMap<&'static str, Perform>,
    periodic: Vec<(&'static str, Periodic)>,
}

impl Kinds {
    /// Jobs of `kind` are done by `perform`.
    pub fn kind(mut self, kind: &'static str, perform: Perform) -> Kinds {
        self.perform.insert(kind, perform);
        self
    }

    /// `task` runs once a minute on the first worker thread (when `jobs.schedule` is on).
    pub fn periodic(mut self, name: &'static str, task: Periodic) -> Kinds {
        self.periodic.push((name, task));
        self
    }
}

/// What jobs need to do their work.
pub struct JobContext {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub mailer: Mailer,
    pub templates: Arc<Templates>,
    pub keys: Arc<Keys>,
    /// What this process is running, against `jobs.limits` and `jobs.per_lane`.
    pub running: Running,
    pub kinds: Kinds,
}

impl JobContext {
    /// Everything from the settings: mail transport, templates and the signing secret.
    pub fn from_settings(
        db: Db,
        settings: Arc<Settings>,
        kinds: Kinds,
    ) -> anyhow::Result<JobContext> {
        let secret = crate::auth::tokens::load_or_create_secret(
            &settings.security.jwt_secret,
            &settings.data_dir,
        )?;
        Ok(JobContext {
            db,
            mailer: Mailer::from_settings(&settings)?,
            templates: Arc::new(Templates::load(
                &settings.server.templates_dir,
                settings.server.strict_templates,
            )?),
            keys: Arc::new(Keys::new(&secret)),
            running: Running::new(&settings),
            kinds,
            settings,
        })
    }
}

/// Runs jobs on threads of its own until `stop` is set.
#[derive(Clone)]
pub struct Worker {
    pub ctx: Arc<JobContext>,
    pub waker: JobWaker,
    pub poll: StdDuration,
    pub stop: Arc<AtomicBool>,
}

impl Worker {
    /// Starts `jobs.concurrency` threads on the queue; the first also queues the digests
    /// and reminders when they fall due.
    pub fn spawn(self) -> Vec<std::thread::JoinHandle<()>> {
        (0..self.threads())
            .map(|n| {
                let worker = self.clone();
                std::thread::Builder::new()
                    .name(format!("metro-jobs-{n}"))
                    .spawn(move || worker.run(n == 0))
                    .expect("spawn a job worker thread")
            })
            .collect()
    }

    fn threads(&self) -> usize {
        self.ctx.settings.jobs.concurrency.clamp(1, 64)
    }

    /// Works the queue until stopped, queueing the digest runs when they fall due if
    /// `schedules`.
    pub fn run(self, schedules: bool) {
        let schedules = schedules && self.ctx.settings.jobs.schedule;
        let mut last_schedule: Option<std::time::Instant> = None;
        while !self.stop.load(Ordering::Relaxed) {
            if schedules && last_schedule.is_none_or(|t| t.elapsed() >= StdDuration::from_secs(60))
            {
                last_schedule = Some(std::time::Instant::now());
                self.run_periodic();
            }
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

    fn run_periodic(&self) {
        for (name, task) in &self.ctx.kinds.periodic {
            if let Err(e) = task(&self.ctx) {
                tracing::warn!(error = %e, task = name, "job worker: a periodic task failed");
            }
        }
    }

    /// Runs due jobs until none is left, one at a time (tests; `send-digests` finishing
    /// fan-outs first).
    pub fn drain(&self) -> AppResult<usize> {
        let mut ran = 0;
        while self.run_one()? {
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs due jobs on `jobs.concurrency` threads until none is left, calling `done`
    /// after each; gives how many ran. For `send-digests`.
    pub fn drain_together(&self, done: &(dyn Fn() + Sync)) -> AppResult<usize> {
        let ran = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..self.threads())
                .map(|_| {
                    scope.spawn(|| -> AppResult<()> {
                        while self.run_one()? {
                            ran.fetch_add(1, Ordering::Relaxed);
                            done();
                        }
                        Ok(())
                    })
                })
                .collect();
            threads
                .into_iter()
                .try_for_each(|t| t.join().expect("a job worker thread"))
        })?;
        Ok(ran.into_inner())
    }

    /// Runs one due job; `false` when there was none.
    pub fn run_one(&self) -> AppResult<bool> {
        // No connection is held while the job runs: it takes its own.
        let Some(job) = self.ctx.running.claim(&self.ctx.db)? else {
            return Ok(false);
        };
        let outcome = self.perform(&job);
        self.ctx.running.finish(&job);
        let mut conn = self.ctx.db.get()?;
        match outcome {
            Ok(()) => {
                complete(&mut conn, job.id)?;
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                let base = self.ctx.settings.jobs.retry_base_seconds;
                fail(&mut conn, &job, &format!("{e:#}"), base)?;
            }
        }
        Ok(true)
    }

    fn perform(&self, job: &Job) -> anyhow::Result<()> {
        let payload: Value = serde_json::from_str(&job.payload)?;
        match self.ctx.kinds.perform.get(job.kind.as_str()) {
            Some(perform) => perform(&self.ctx, job, &payload),
            None => anyhow::bail!("unknown job kind {}", job.kind),
        }
    }
}
