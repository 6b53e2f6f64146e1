//! Email: one at once for people who want that, and daily or weekly digests for the rest,
//! grouped by workspace or opportunity, newest first, and never sent when empty.
//!
//! A digest run gathers each person's waiting notifications into one digest job in a single
//! transaction, so a retried send carries exactly the same items and a later run never
//! carries them again.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{json, Value};

use super::model::{Delivery, Notification};
use super::subscriptions::{find as find_subscription, reason_for};
use super::unsubscribe::{self, Scope};
use super::view::{view, EventView};
use super::visibility::{caller_for_user, Sight};
use super::{DIGEST_JOB, DIGEST_RUN_JOB};
use crate::config::Settings;
use crate::db::{write_tx, DbConn};
use crate::email::{self, OutgoingEmail};
use crate::error::AppResult;
use crate::events::Event;
use crate::jobs::{self, JobContext};
use crate::schema::jobs as queue;
use crate::schema::{events, notifications, subscription_opt_outs, subscriptions};

/// A digest lists at most this many items; the rest are counted and left to the inbox.
const DIGEST_ITEMS: usize = 50;

/// Queues today's daily run, and on Mondays the weekly one, once the digest hour has come.
/// Each run has a key for its day or week, so instances running together queue it once.
pub fn schedule(conn: &mut DbConn, settings: &Settings, at: NaiveDateTime) -> QueryResult<()> {
    if at.hour() < settings.notifications.digest_hour {
        return Ok(());
    }
    let day = at.format("%Y-%m-%d").to_string();
    let mut runs = vec![(Delivery::Daily, day)];
    if at.weekday() == chrono::Weekday::Mon {
        let week = at.iso_week();
        runs.push((
            Delivery::Weekly,
            format!("{}-W{:02}", week.year(), week.week()),
        ));
    }
    for (frequency, period) in runs {
        jobs::enqueue_once(
            conn,
            DIGEST_RUN_JOB,
            &json!({ "frequency": frequency.as_str(), "period": period }),
            &format!("digests:{}:{period}", frequency.as_str()),
            settings.jobs.max_attempts,
        )?;
    }
    Ok(())
}

/// Gathers every person's waiting `frequency` notifications into one digest job each;
/// gives the number of digests queued.
pub fn collect(
    conn: &mut DbConn,
    settings: &Settings,
    frequency: Delivery,
    period: &str,
) -> AppResult<usize> {
    write_tx(conn, |conn| {
        let waiting: Vec<i64> = notifications::table
            .filter(notifications::delivery.eq(frequency.as_str()))
            .filter(notifications::digest_job_id.is_null())
            .select(notifications::user_id)
            .distinct()
            .order(notifications::user_id.asc())
            .load(conn)?;
        let key = |user_id: i64| format!("digest:{}:{period}:{user_id}", frequency.as_str());
        let mut queued = 0;
        // In batches: thousands of people are a few statements per five hundred.
        for chunk in waiting.chunks(jobs::BATCH) {
            // A key already used (this period gathered before) keeps its notifications
            // waiting for the next period.
            let keys: Vec<String> = chunk.iter().map(|u| key(*u)).collect();
            let taken: HashSet<String> = queue::table
                .filter(queue::unique_key.eq_any(&keys))
                .select(queue::unique_key.assume_not_null())
                .load::<String>(conn)?
                .into_iter()
                .collect();
            let fresh: Vec<(i64, String)> = chunk
                .iter()
                .zip(keys)
                .filter(|(_, k)| !taken.contains(k))
                .map(|(u, k)| (*u, k))
                .collect();
            let new_jobs: Vec<(String, Value)> = fresh
                .iter()
                .map(|(user_id, k)| {
                    let payload = json!({ "user_id": user_id, "frequency": frequency.as_str() });
                    (k.clone(), payload)
                })
                .collect();
            jobs::enqueue_many_once(conn, DIGEST_JOB, &new_jobs, settings.jobs.max_attempts)?;
            // Each person's waiting notifications go into their new job, found by its key.
            let users: Vec<i64> = fresh.iter().map(|(u, _)| *u).collect();
            let job_for_user =
                sql::<Nullable<BigInt>>("(SELECT q.id FROM jobs q WHERE q.unique_key = ")
                    .bind::<Text, _>(format!("digest:{}:{period}:", frequency.as_str()))
                    .sql(" || notifications.user_id)");
            diesel::update(
                notifications::table
                    .filter(notifications::user_id.eq_any(&users))
                    .filter(notifications::delivery.eq(frequency.as_str()))
                    .filter(notifications::digest_job_id.is_null()),
            )
            .set(notifications::digest_job_id.eq(job_for_user))
            .execute(conn)?;
            queued += fresh.len();
        }
        Ok(queued)
    })
}

/// Whether a notification's subscription still reaches its recipient.
fn still_wanted(conn: &mut DbConn, n: &Notification) -> QueryResult<bool> {
    let Some(sub_id) = n.subscription_id else {
        return Ok(false);
    };
    let org_wide: Option<Option<i64>> = subscriptions::table
        .find(sub_id)
        .select(subscriptions::user_id)
        .first(conn)
        .optional()?;
    match org_wide {
        None => Ok(false),
        Some(Some(_)) => Ok(true),
        Some(None) => {
            let opted: bool = diesel::select(diesel::dsl::exists(
                subscription_opt_outs::table
                    .filter(subscription_opt_outs::subscription_id.eq(sub_id))
                    .filter(subscription_opt_outs::user_id.eq(n.user_id)),
            ))
            .get_result(conn)?;
            Ok(!opted)
        }
    }
}

fn absolute(settings: &Settings, item: &EventView) -> Value {
    let mut value = serde_json::to_value(item).unwrap_or(Value::Null);
    value["url"] = Value::String(format!("{}{}", settings.base_url(), item.path));
    value
}

/// The email for one notification that asked for email at once, if its recipient may still
/// see it and still follows it.
pub fn immediate_mail(
    conn: &mut DbConn,
    ctx: &JobContext,
    event_id: i64,
    user_id: i64,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let found: Option<(Notification, Event)> = notifications::table
        .inner_join(events::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::event_id.eq(event_id))
        .select((Notification::as_select(), Event::as_select()))
        .first(conn)
        .optional()?;
    let Some((n, event)) = found else {
        return Ok(None);
    };
    let Some(reader) = caller_for_user(conn, user_id)? else {
        return Ok(None);
    };
    let mut sight = Sight::default();
    if !still_wanted(conn, &n)? || !sight.can_see(conn, Some(&reader), &event)? {
        tracing::info!(
            event = event_id,
            user = user_id,
            "notification no longer due; not sent"
        );
        return Ok(None);
    }
    let item = view(conn, &mut sight, &event)?;
    let sub_id = n.subscription_id.unwrap_or_default();
    // Said again as the reader may see things now, not as stored at the fan-out.
    let sub = find_subscription(conn, sub_id)?;
    let reason = reason_for(conn, Some(&reader), &sub)?;
    let settings = &ctx.settings;
    let scope = Scope::Subscription(sub_id);
    let unsubscribe_url = unsubscribe::url(settings.base_url(), &ctx.keys, user_id, scope);
    let data = json!({
        "name": reader.name,
        "item": absolute(settings, &item),
        "reason": reason,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": format!("{}/settings/subscriptions", settings.base_url()),
    });
    let mut mail = email::render(&ctx.templates, &reader.email, "notification", &data)?;
    mail.list_unsubscribe = Some(unsubscribe_url);
    Ok(Some(mail))
}

/// One person's digest: the notifications gathered into this job that they may still see
/// and still want, grouped by workspace or opportunity, newest first. Nothing left means
/// no email.
pub fn digest_mail(
    conn: &mut DbConn,
    ctx: &JobContext,
    job_id: i64,
    user_id: i64,
    frequency: Delivery,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(reader) = caller_for_user(conn, user_id)? else {
        return Ok(None);
    };
    let rows: Vec<(Notification, Event)> = notifications::table
        .inner_join(events::table)
        .filter(notifications::digest_job_id.eq(job_id))
        .filter(notifications::user_id.eq(user_id))
        .order((events::created_at.desc(), events::id.desc()))
        .select((Notification::as_select(), Event::as_select()))
        .load(conn)?;
    let mut sight = Sight::default();
    let mut groups: Vec<(String, String, String, Vec<Value>)> = Vec::new();
    let mut count = 0;
    let mut more = 0;
    for (n, event) in rows {
        if !still_wanted(conn, &n)? || !sight.can_see(conn, Some(&reader), &event)? {
            continue;
        }
        if count >= DIGEST_ITEMS {
            more += 1;
            continue;
        }
        let item = view(conn, &mut sight, &event)?;
        let value = absolute(&ctx.settings, &item);
        count += 1;
        match groups.iter_mut().find(|g| g.0 == item.group_key) {
            Some(group) => group.3.push(value),
            None => {
                let place_url = group_url(&ctx.settings, &item);
                groups.push((
                    item.group_key.clone(),
                    item.place.clone(),
                    place_url,
                    vec![value],
                ));
            }
        }
    }
    if count + more == 0 {
        tracing::info!(user = user_id, "digest empty; not sent");
        return Ok(None);
    }
    let unsubscribe_url = unsubscribe::url(
        ctx.settings.base_url(),
        &ctx.keys,
        user_id,
        Scope::Digest(frequency),
    );
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(_, place, url, items)| json!({ "place": place, "url": url, "items": items }))
        .collect();
    let data = json!({
        "name": reader.name,
        "frequency": frequency.as_str(),
        "count": count + more,
        "plural": count + more != 1,
        "more": more,
        "groups": groups,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": format!("{}/settings/subscriptions", ctx.settings.base_url()),
        "inbox_url": format!("{}/notifications", ctx.settings.base_url()),
    });
    let mut mail = email::render(&ctx.templates, &reader.email, "digest", &data)?;
    mail.list_unsubscribe = Some(unsubscribe_url);
    Ok(Some(mail))
}

/// The page of the workspace or opportunity a digest group is about.
fn group_url(settings: &Settings, item: &EventView) -> String {
    let path = match item.group_key.split_once(':') {
        Some(("opportunity", id)) => format!("/opportunities/{id}"),
        _ => item.path.split('/').take(3).collect::<Vec<_>>().join("/"),
    };
    format!("{}{path}", settings.base_url())
}
