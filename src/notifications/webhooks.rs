//! Webhooks: an organisation's admins register an address and the event kinds they want.
//! Each delivery is a signed JSON POST, retried with exponential backoff, and logged with
//! its status and response time.
//!
//! Signature: `X-Metro-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
//! webhook's secret, where `<timestamp>` is the `X-Metro-Timestamp` header (Unix seconds).

pub mod pages;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use utoipa::ToSchema;

use super::addresses;
use super::view::{self, view, KINDS};
use super::visibility::{caller_for_organisation, Sight};
use super::WEBHOOK_JOB;
use crate::audit::{self, Entry};
use crate::auth::tokens::random_token;
use crate::auth::Actor;
use crate::authz;
use crate::config::Settings;
use crate::db::{now, rfc3339, write_tx, DbConn};
use crate::error::AppResult;
use crate::events;
use crate::jobs::{self, Job, JobContext};
use crate::schema::{webhook_deliveries, webhooks};
use crate::validate::Check;
use crate::web::Paging;

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub organisation_id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub event_kinds: String,
    pub active: bool,
    pub created_by: i64,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    pub created_at: NaiveDateTime,
}

impl Webhook {
    pub fn kinds(&self) -> Vec<&str> {
        self.event_kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .collect()
    }

    pub fn wants(&self, kind: &str) -> bool {
        self.event_kinds.is_empty() || self.kinds().contains(&kind)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: Option<i64>,
    pub event_kind: String,
    pub status: String,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub response_ms: Option<i32>,
    pub error: Option<String>,
    #[serde(serialize_with = "crate::db::serialize_utc")]
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::serialize_utc_opt")]
    #[schema(value_type = Option<String>)]
    pub last_attempt_at: Option<NaiveDateTime>,
}

/// Active webhooks that want events of `kind`.
pub fn listening(conn: &mut DbConn, kind: &str) -> QueryResult<Vec<Webhook>> {
    let all: Vec<Webhook> = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(Webhook::as_select())
        .load(conn)?;
    Ok(all.into_iter().filter(|w| w.wants(kind)).collect())
}

/// The delivery row for an event (one per webhook and event) or a test; gives its id.
pub fn record_delivery(
    conn: &mut DbConn,
    webhook_id: i64,
    event_id: Option<i64>,
    kind: &str,
) -> QueryResult<i64> {
    let insert = diesel::insert_into(webhook_deliveries::table).values((
        webhook_deliveries::webhook_id.eq(webhook_id),
        webhook_deliveries::event_id.eq(event_id),
        webhook_deliveries::event_kind.eq(kind),
        webhook_deliveries::status.eq("pending"),
        webhook_deliveries::created_at.eq(now()),
    ));
    match event_id {
        Some(event_id) => {
            crate::insert_ignore!(conn, insert)?;
            webhook_deliveries::table
                .filter(webhook_deliveries::webhook_id.eq(webhook_id))
                .filter(webhook_deliveries::event_id.eq(event_id))
                .select(webhook_deliveries::id)
                .first(conn)
        }
        None => insert.returning(webhook_deliveries::id).get_result(conn),
    }
}

/// The address a webhook may be sent to, resolved now: http(s) only, and every address the
/// host stands for public (`addresses::check`). `allow_loopback` is the
/// `webhooks.allow_private_addresses` setting: it lets loopback through and nothing else.
/// Checked when a webhook is saved and again before each delivery, whose connection is
/// pinned to the address given here.
pub fn resolve(url: &str, allow_loopback: bool) -> Result<(url::Url, SocketAddr), String> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|_| "Enter a full address, like https://example.org/hooks/metro")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("The address must start with https:// or http://".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("Leave passwords out of the address; the signature proves who sent it".into());
    }
    let port = parsed
        .port_or_known_default()
        .ok_or("The address needs a port")?;
    let found = socket_addresses(&parsed, port)?;
    for address in &found {
        if let Err(block) = addresses::check(address.ip(), allow_loopback) {
            return Err(refused(&parsed, address.ip(), block));
        }
    }
    let first = *found.first().ok_or("That host name cannot be found")?;
    Ok((parsed, first))
}

/// What the URL's host stands for. An address in the URL is taken as written (the URL
/// parser has already read decimal, octal and hex IPv4 spellings into one); names under
/// `localhost.` are loopback by definition (RFC 6761) and are not asked of DNS, which could
/// answer `localhost.` or `x.localhost` with anything; other names are looked up.
fn socket_addresses(url: &url::Url, port: u16) -> Result<Vec<SocketAddr>, &'static str> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Domain(name)) if is_localhost(name) => Ok(vec![
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
        ]),
        Some(url::Host::Domain(name)) => (name, port)
            .to_socket_addrs()
            .map(Iterator::collect)
            .map_err(|_| "That host name cannot be found"),
        None => Err("The address needs a host name"),
    }
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Says which address was refused and names the block it is in.
fn refused(url: &url::Url, ip: IpAddr, block: &addresses::Block) -> String {
    let which = match url.host() {
        Some(url::Host::Domain(name)) => format!("{name} gives {ip}, which is"),
        _ => format!("{ip} is"),
    };
    format!(
        "Only public internet addresses are allowed, not private, loopback or link-local \
         ones: {which} in {} ({}, {})",
        block.prefix, block.name, block.rfc
    )
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct WebhookInput {
    pub url: String,
    /// Event kinds; none means every kind.
    pub event_kinds: Vec<String>,
}

/// Registers a webhook; gives it with its secret, which is shown only this once.
/// What looking up a webhook's address found: nothing wrong, or why it is refused. Made by
/// [`vet`] before a database connection is taken, since a name lookup can take seconds.
pub struct Vetted(Result<(), String>);

/// Checks an address as it will be sent to (its host looked up); see [`resolve`].
pub fn vet(settings: &Settings, url: &str) -> Vetted {
    let url = url.trim();
    if url.is_empty() {
        return Vetted(Ok(()));
    }
    Vetted(resolve(url, settings.webhooks.allow_private_addresses).map(|_| ()))
}

pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    input: &WebhookInput,
    vetted: &Vetted,
) -> AppResult<Webhook> {
    let caller = actor.caller;
    authz::manage_org_notifications(caller, caller.organisation_id)?;
    let mut check = Check::default();
    let url = check.text(
        "url",
        &input.url,
        500,
        "Enter the address to send events to",
    );
    if !url.is_empty() {
        if let Err(message) = &vetted.0 {
            check.fail("url", message);
        }
    }
    let mut kinds: Vec<&str> = Vec::new();
    for kind in &input.event_kinds {
        match KINDS.iter().find(|k| **k == kind.trim()) {
            Some(k) if !kinds.contains(k) => kinds.push(k),
            Some(_) => {}
            None => check.fail("event_kinds", "Choose event kinds from the list"),
        }
    }
    check.done()?;
    write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(webhooks::table)
            .values((
                webhooks::organisation_id.eq(caller.organisation_id),
                webhooks::url.eq(&url),
                webhooks::secret.eq(random_token(32)),
                webhooks::event_kinds.eq(kinds.join(",")),
                webhooks::active.eq(true),
                webhooks::created_by.eq(caller.user_id),
                webhooks::created_at.eq(now()),
            ))
            .returning(webhooks::id)
            .get_result(conn)?;
        audit::record(
            conn,
            Entry::new("webhook.created")
                .by(actor)
                .target("webhook", id)
                .details(json!({ "url": url, "event_kinds": kinds })),
        )?;
        Ok(find(conn, id)?)
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Webhook> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
}

/// A webhook of the caller's organisation that they may manage; 404 for other
/// organisations', 403 for their own organisation's non-admins.
pub fn load(conn: &mut DbConn, caller: &crate::auth::Caller, id: i64) -> AppResult<Webhook> {
    let hook = find(conn, id)?;
    authz::manage_org_notifications(caller, hook.organisation_id)?;
    Ok(hook)
}

pub fn list(conn: &mut DbConn, organisation_id: i64) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::organisation_id.eq(organisation_id))
        .order(webhooks::id.asc())
        .select(Webhook::as_select())
        .load(conn)
}

pub fn deliveries(
    conn: &mut DbConn,
    webhook_id: i64,
    paging: Paging,
) -> QueryResult<(Vec<Delivery>, i64)> {
    let total = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .count()
        .get_result(conn)?;
    let items = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(paging.per_page)
        .offset(paging.offset())
        .select(Delivery::as_select())
        .load(conn)?;
    Ok((items, total))
}

fn audited(conn: &mut DbConn, actor: &Actor, action: &str, hook: &Webhook) -> QueryResult<()> {
    audit::record(
        conn,
        Entry::new(action)
            .by(actor)
            .target("webhook", hook.id)
            .details(json!({ "url": hook.url })),
    )
}

pub fn set_active(conn: &mut DbConn, actor: &Actor, id: i64, active: bool) -> AppResult<Webhook> {
    write_tx(conn, |conn| {
        let hook = load(conn, actor.caller, id)?;
        diesel::update(webhooks::table.find(id))
            .set(webhooks::active.eq(active))
            .execute(conn)?;
        let action = if active {
            "webhook.enabled"
        } else {
            "webhook.disabled"
        };
        audited(conn, actor, action, &hook)?;
        Ok(find(conn, id)?)
    })
}

pub fn delete(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<()> {
    write_tx(conn, |conn| {
        let hook = load(conn, actor.caller, id)?;
        diesel::delete(webhooks::table.find(id)).execute(conn)?;
        audited(conn, actor, "webhook.deleted", &hook)?;
        Ok(())
    })
}

/// One organisation's deliveries share a lane, so they take a bounded number of places.
pub fn lane(organisation_id: i64) -> String {
    format!("organisation:{organisation_id}")
}

/// Queues a test delivery; gives its id.
pub fn send_test(conn: &mut DbConn, actor: &Actor, settings: &Settings, id: i64) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let hook = load(conn, actor.caller, id)?;
        let delivery = record_delivery(conn, hook.id, None, "test")?;
        jobs::enqueue_in_lane(
            conn,
            WEBHOOK_JOB,
            &json!({ "delivery_id": delivery }),
            None,
            &lane(hook.organisation_id),
            settings.webhooks.max_attempts,
        )?;
        Ok(delivery)
    })
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn body(
    conn: &mut DbConn,
    ctx: &JobContext,
    hook: &Webhook,
    d: &Delivery,
) -> anyhow::Result<Option<String>> {
    let Some(event_id) = d.event_id else {
        return Ok(Some(
            json!({
                "delivery": d.id,
                "kind": "test",
                "label": "Test event",
                "created_at": rfc3339(d.created_at),
                "message": "This is a test from Metro Portal. Your endpoint is receiving events.",
            })
            .to_string(),
        ));
    };
    let Some(event) = events::find(conn, event_id)? else {
        return Ok(None);
    };
    let mut sight = Sight::default();
    let reader = caller_for_organisation(conn, hook.organisation_id)?;
    if !sight.can_see(conn, Some(&reader), &event)? {
        return Ok(None);
    }
    let item = view(conn, &mut sight, &event)?;
    Ok(Some(
        json!({
            "delivery": d.id,
            "event": event.id,
            "kind": event.kind,
            "label": view::label(&event.kind),
            "created_at": item.at,
            "target": { "kind": event.target_kind, "id": event.target_id },
            "title": item.title,
            "place": item.place,
            "url": format!("{}{}", ctx.settings.base_url(), item.path),
            "actor": item.actor,
            "organisation": item.organisation,
        })
        .to_string(),
    ))
}

fn finish(conn: &mut DbConn, id: i64, status: &str, error: Option<String>) -> QueryResult<usize> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::error.eq(error),
        ))
        .execute(conn)
}

/// The delivery, its webhook and the body to send, or `None` when there is nothing to send
/// (the delivery is then recorded as failed, with the reason).
fn prepare(
    conn: &mut DbConn,
    ctx: &JobContext,
    delivery_id: i64,
) -> anyhow::Result<Option<(Delivery, Webhook, String)>> {
    let found: Option<(Delivery, Webhook)> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq(delivery_id))
        .select((Delivery::as_select(), Webhook::as_select()))
        .first(conn)
        .optional()?;
    let Some((d, hook)) = found else {
        return Ok(None);
    };
    let payload = if hook.active {
        body(conn, ctx, &hook, &d)?.ok_or("The organisation can no longer see this event")
    } else {
        Err("The webhook is turned off")
    };
    match payload {
        Ok(payload) => Ok(Some((d, hook, payload))),
        Err(why) => {
            finish(conn, d.id, "failed", Some(why.into()))?;
            Ok(None)
        }
    }
}

/// Sends one delivery. A failure is logged on the delivery and returned, so the job is
/// retried with backoff; the last failure marks it failed. No database connection is held
/// while the receiver is waited on: one is taken to prepare the body and another to record
/// the outcome.
pub fn deliver(ctx: &JobContext, job: &Job, delivery_id: i64) -> anyhow::Result<()> {
    let prepared = prepare(&mut *ctx.db.get()?, ctx, delivery_id)?;
    let Some((d, hook, payload)) = prepared else {
        return Ok(());
    };
    let started = Instant::now();
    let outcome = post(ctx, &hook, &d, &payload);
    let elapsed = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let last = job.attempts >= job.max_attempts;
    let (status, code, error) = match &outcome {
        Ok(code) if (200..300).contains(code) => ("delivered", Some(*code), None),
        Ok(code) => (
            if last { "failed" } else { "pending" },
            Some(*code),
            Some(format!("The receiver answered {code}")),
        ),
        Err(e) => (
            if last { "failed" } else { "pending" },
            None,
            Some(e.clone()),
        ),
    };
    diesel::update(webhook_deliveries::table.find(d.id))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::response_status.eq(code),
            webhook_deliveries::response_ms.eq(Some(elapsed)),
            webhook_deliveries::error.eq(&error),
            webhook_deliveries::last_attempt_at.eq(Some(now())),
        ))
        .execute(&mut *ctx.db.get()?)?;
    match error {
        None => Ok(()),
        Some(e) => Err(anyhow::anyhow!(e)),
    }
}

/// POSTs the body, pinned to the address checked just now. Redirects are not followed (a
/// 3xx is an answer like any other) and proxies from the environment are not used, since
/// either would connect to an address that was never checked.
fn post(ctx: &JobContext, hook: &Webhook, d: &Delivery, payload: &str) -> Result<i32, String> {
    let (url, address) = resolve(&hook.url, ctx.settings.webhooks.allow_private_addresses)
        .map_err(|e| format!("Not sent: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(
            ctx.settings.webhooks.timeout_seconds.clamp(1, 30),
        ))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .resolve(&host, address)
        .user_agent("MetroPortal-Webhooks/1")
        .build()
        .map_err(|e| format!("Could not prepare the request: {e}"))?;
    let timestamp = chrono::Utc::now().timestamp();
    let response = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Metro-Event", &d.event_kind)
        .header("X-Metro-Delivery", d.id.to_string())
        .header("X-Metro-Timestamp", timestamp.to_string())
        .header(
            "X-Metro-Signature",
            signature(&hook.secret, timestamp, payload),
        )
        .body(payload.to_string())
        .send()
        .map_err(|e| format!("Could not reach the receiver: {e}"))?;
    Ok(i32::from(response.status().as_u16()))
}
