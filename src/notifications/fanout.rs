//! Fan-out: one job per event finds who follows what it is about, people and whole
//! organisations, and writes their inbox entries, the email jobs for those who want mail at
//! once, and the webhook deliveries, all in one transaction. Unique keys per
//! (event, recipient, channel) make a retried fan-out write nothing twice.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde_json::json;

use super::model::*;
use super::subscriptions::reason;
use super::visibility::{caller_for_organisation, readers, Sight};
use super::{webhooks, NOTIFY_JOB, WEBHOOK_JOB};
use crate::db::{now, write_tx, DbConn};
use crate::error::AppResult;
use crate::events::{self, Event};
use crate::jobs;
use crate::jobs::JobContext;
use crate::schema::{notifications, subscription_opt_outs, subscriptions, users};

/// The subscriptions an event matches.
fn matching(conn: &mut DbConn, sight: &mut Sight, event: &Event) -> QueryResult<Vec<Subscription>> {
    if let Some(id) = event.opportunity_id() {
        let Some(o) = sight.opportunity(conn, id)? else {
            return Ok(Vec::new());
        };
        let subs: Vec<Subscription> = subscriptions::table
            .filter(
                subscriptions::target_kind
                    .eq("register")
                    .or(subscriptions::target_kind
                        .eq("opportunity")
                        .and(subscriptions::target_id.eq(id))),
            )
            .select(Subscription::as_select())
            .load(conn)?;
        return Ok(subs
            .into_iter()
            .filter(|s| {
                s.target_kind == "opportunity"
                    || (s.theme_id.is_none_or(|t| Some(t) == o.workspace_id)
                        && s.service_area
                            .as_ref()
                            .is_none_or(|a| o.service_area == a.as_str())
                        && s.stage.as_ref().is_none_or(|st| o.stage == st.as_str()))
            })
            .collect());
    }
    match event.workspace_id {
        Some(ws) => subscriptions::table
            .filter(subscriptions::target_kind.eq("workspace"))
            .filter(subscriptions::target_id.eq(ws))
            .select(Subscription::as_select())
            .load(conn),
        None => Ok(Vec::new()),
    }
}

/// Personal subscriptions come before an organisation's, and an opportunity before the
/// register: the one that explains best why someone hears of it.
fn rank(sub: &Subscription) -> (bool, bool) {
    (sub.is_organisation_wide(), sub.target_kind != "opportunity")
}

/// Each recipient with the subscription that reaches them.
fn recipients(conn: &mut DbConn, subs: &[Subscription]) -> QueryResult<HashMap<i64, Subscription>> {
    let mut chosen: HashMap<i64, Subscription> = HashMap::new();
    let mut offer = |user: i64, sub: &Subscription| {
        let better = chosen
            .get(&user)
            .is_none_or(|current| rank(sub) < rank(current));
        if better {
            chosen.insert(user, sub.clone());
        }
    };
    for sub in subs {
        match sub.user_id {
            Some(user) => offer(user, sub),
            None => {
                let opted: HashSet<i64> = subscription_opt_outs::table
                    .filter(subscription_opt_outs::subscription_id.eq(sub.id))
                    .select(subscription_opt_outs::user_id)
                    .load::<i64>(conn)?
                    .into_iter()
                    .collect();
                let members: Vec<i64> = users::table
                    .filter(users::organisation_id.eq(sub.organisation_id))
                    .filter(users::status.eq("active"))
                    .select(users::id)
                    .load(conn)?;
                for user in members.into_iter().filter(|u| !opted.contains(u)) {
                    offer(user, sub);
                }
            }
        }
    }
    Ok(chosen)
}

/// One inbox entry to write: who, through which subscription, delivered how.
type InboxRow = (i64, i64, Delivery);

/// The inbox entries and immediate-mail jobs an event makes, and why each person hears of it.
#[derive(Default)]
struct Fanned {
    inbox: Vec<InboxRow>,
    mail: Vec<(String, serde_json::Value)>,
    reasons: HashMap<i64, String>,
}

/// Who hears of the event: everyone a subscription reaches who may see it, except its actor.
fn fan(conn: &mut DbConn, sight: &mut Sight, event: &Event) -> AppResult<Fanned> {
    let subs = matching(conn, sight, event)?;
    let chosen = recipients(conn, &subs)?;
    let mut ids: Vec<i64> = chosen.keys().copied().collect();
    ids.sort_unstable();
    let people = readers(conn, &ids)?;
    let mut out = Fanned::default();
    for user_id in ids {
        if Some(user_id) == event.actor_user_id {
            continue;
        }
        let sub = &chosen[&user_id];
        let Some((reader, default)) = people.get(&user_id) else {
            continue;
        };
        if !sight.can_see(conn, Some(reader), event)? {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = out.reasons.entry(sub.id) {
            slot.insert(reason(conn, sub)?);
        }
        let delivery = sub.delivery_for(default);
        out.inbox.push((user_id, sub.id, delivery));
        if delivery == Delivery::Immediate {
            out.mail.push((
                format!("email:{}:{user_id}", event.id),
                json!({ "event_id": event.id, "user_id": user_id }),
            ));
        }
    }
    Ok(out)
}

/// Writes the inbox entries in batches: a fan-out to thousands is a few statements, not
/// thousands.
fn write_inbox(conn: &mut DbConn, event_id: i64, fanned: &Fanned) -> AppResult<()> {
    let at = now();
    for chunk in fanned.inbox.chunks(jobs::BATCH) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(user_id, sub, delivery)| {
                (
                    notifications::user_id.eq(*user_id),
                    notifications::event_id.eq(event_id),
                    notifications::subscription_id.eq(Some(*sub)),
                    notifications::reason.eq(fanned.reasons[sub].as_str()),
                    notifications::delivery.eq(delivery.as_str()),
                    notifications::created_at.eq(at),
                )
            })
            .collect();
        crate::insert_ignore!(
            conn,
            diesel::insert_into(notifications::table).values(&rows)
        )?;
    }
    if !fanned.inbox.is_empty() {
        // Unread counts are kept by data version.
        crate::cache::bump_version(conn)?;
    }
    Ok(())
}

/// Queues a delivery for every webhook listening for the event whose organisation may see it.
fn queue_webhooks(
    conn: &mut DbConn,
    ctx: &JobContext,
    sight: &mut Sight,
    event: &Event,
) -> AppResult<()> {
    for hook in webhooks::listening(conn, &event.kind)? {
        let reader = caller_for_organisation(conn, hook.organisation_id)?;
        if !sight.can_see(conn, Some(&reader), event)? {
            continue;
        }
        let delivery_id = webhooks::record_delivery(conn, hook.id, Some(event.id), &event.kind)?;
        jobs::enqueue_in_lane(
            conn,
            WEBHOOK_JOB,
            &json!({ "delivery_id": delivery_id }),
            Some(&format!("webhook:{}:{}", event.id, hook.id)),
            &webhooks::lane(hook.organisation_id),
            ctx.settings.webhooks.max_attempts,
        )?;
    }
    Ok(())
}

pub fn run(conn: &mut DbConn, ctx: &JobContext, event_id: i64) -> AppResult<()> {
    write_tx(conn, |conn| {
        let Some(event) = events::find(conn, event_id)? else {
            return Ok(());
        };
        let mut sight = Sight::default();
        let fanned = fan(conn, &mut sight, &event)?;
        write_inbox(conn, event.id, &fanned)?;
        jobs::enqueue_many_once(
            conn,
            NOTIFY_JOB,
            &fanned.mail,
            ctx.settings.jobs.max_attempts,
        )?;
        queue_webhooks(conn, ctx, &mut sight, &event)
    })
}
