//! Partner notifications. Every event queues a fan-out job in its own transaction; the
//! fan-out finds who follows what the event is about (people and whole organisations) and
//! writes their inbox entries, email jobs and webhook deliveries. Workers send them, checking
//! again that each recipient may still see what they are told about.

pub mod addresses;
pub mod api;
pub mod digests;
pub mod fanout;
pub mod feeds;
pub mod inbox;
pub mod model;
pub mod pages;
pub mod subscriptions;
pub mod unsubscribe;
pub mod view;
pub mod visibility;
pub mod webhooks;

use serde_json::Value;

use crate::jobs::{Job, JobContext};
use model::Delivery;

pub const FANOUT_JOB: &str = crate::events::EVENT_JOB;
/// One email sent at once, for one (event, person).
pub const NOTIFY_JOB: &str = "notify";
/// Gathers a day's or week's notifications into one digest job per person.
pub const DIGEST_RUN_JOB: &str = "digest_run";
pub const DIGEST_JOB: &str = "digest";
pub const WEBHOOK_JOB: &str = "webhook";
/// The job kinds this slice does through [`perform`]; webhook deliveries through
/// [`deliver_webhook`].
pub const JOB_KINDS: [&str; 4] = [FANOUT_JOB, NOTIFY_JOB, DIGEST_RUN_JOB, DIGEST_JOB];

fn number(payload: &Value, name: &str) -> anyhow::Result<i64> {
    payload
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| anyhow::anyhow!("the job has no {name}"))
}

fn frequency(payload: &Value) -> anyhow::Result<Delivery> {
    let value = payload
        .get("frequency")
        .and_then(Value::as_str)
        .unwrap_or("");
    match Delivery::parse(value) {
        Ok(d @ (Delivery::Daily | Delivery::Weekly)) => Ok(d),
        _ => anyhow::bail!("the job has no digest frequency"),
    }
}

/// Sends one webhook delivery (`{"delivery_id": …}`), taking connections only around the wait
/// for the receiver (see `webhooks::deliver`).
pub fn deliver_webhook(ctx: &JobContext, job: &Job, payload: &Value) -> anyhow::Result<()> {
    webhooks::deliver(ctx, job, number(payload, "delivery_id")?)
}

/// Runs one notification job.
pub fn perform(ctx: &JobContext, job: &Job, payload: &Value) -> anyhow::Result<()> {
    // Mail is rendered with a connection and sent after giving it back, so a slow mail
    // server never holds database connections.
    let mail = {
        let mut conn = ctx.db.get()?;
        let conn = &mut conn;
        match job.kind.as_str() {
            FANOUT_JOB => {
                fanout::run(conn, ctx, number(payload, "event_id")?)?;
                None
            }
            NOTIFY_JOB => digests::immediate_mail(
                conn,
                ctx,
                number(payload, "event_id")?,
                number(payload, "user_id")?,
            )?,
            DIGEST_RUN_JOB => {
                let period = payload.get("period").and_then(Value::as_str).unwrap_or("");
                digests::collect(conn, &ctx.settings, frequency(payload)?, period)?;
                None
            }
            DIGEST_JOB => digests::digest_mail(
                conn,
                ctx,
                job.id,
                number(payload, "user_id")?,
                frequency(payload)?,
            )?,
            other => anyhow::bail!("unknown job kind {other}"),
        }
    };
    match mail {
        Some(mail) => ctx.mailer.send(&mail, job),
        None => Ok(()),
    }
}

/// Every notifications page and API operation.
pub fn routes(r: &mut crate::web::routes::Routes) {
    api::routes(r);
    pages::routes(r);
    subscriptions::api::routes(r);
    subscriptions::pages::routes(r);
    webhooks::pages::routes(r);
}
