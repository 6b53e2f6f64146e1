//! The inbox, the subscriptions settings page, follow buttons, unsubscribe links, and the
//! admin pages for webhooks and the job queue.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{Delivery, TargetKind, DEFAULT_DELIVERY};
use super::subscriptions::{self, FollowInput};
use super::unsubscribe;
use super::view::{self, KINDS};
use super::{feeds, inbox, webhooks};
use crate::auth::{Actor, Caller, CurrentUser};
use crate::authz;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::jobs::Job;
use crate::opportunities::model::{ServiceArea, Stage};
use crate::schema::{jobs, subscriptions as subs_table};
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, safe_next, FieldErrors, Form, NoFields, Page, PageQuery};
use crate::workspaces::queries as ws_queries;

/// What a follow button needs: the caller's own subscription, if any, and whether their
/// organisation already follows it for everyone.
pub fn follow_context(
    conn: &mut DbConn,
    caller: Option<&Caller>,
    kind: TargetKind,
    target_id: i64,
    value: &str,
    name: &str,
) -> AppResult<Value> {
    let Some(caller) = caller else {
        return Ok(Value::Null);
    };
    let own = subscriptions::own_subscription(conn, caller, kind, target_id)?;
    let organisation_follows: bool = diesel::select(diesel::dsl::exists(
        subs_table::table
            .filter(subs_table::organisation_id.eq(caller.organisation_id))
            .filter(subs_table::user_id.is_null())
            .filter(subs_table::target_kind.eq(kind.as_str()))
            .filter(subs_table::target_id.eq(target_id)),
    ))
    .get_result(conn)?;
    Ok(json!({
        "subscription": own,
        "target": kind.as_str(),
        "value": value,
        "name": name,
        "organisation": organisation_follows.then_some(&caller.organisation_name),
    }))
}

fn delivery_options(selected: &str, with_default: Option<&str>) -> Vec<Value> {
    let mut options = Vec::new();
    if let Some(default) = with_default {
        let label = Delivery::parse(default).map(Delivery::label).unwrap_or("");
        options.push(json!({
            "value": DEFAULT_DELIVERY,
            "label": format!("Your default ({})", label.to_lowercase()),
            "selected": selected == DEFAULT_DELIVERY,
        }));
    }
    options.extend(Delivery::options(selected).into_iter().map(|o| json!(o)));
    options
}

// ---- Inbox ----

pub async fn inbox_page(
    page: Page,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let paging = query.paging(25);
    let inbox = page
        .state()
        .db
        .run(move |conn| Ok(inbox::page(conn, &caller, paging, false)?))
        .await?;
    page.render(
        "notifications/inbox",
        json!({
            "title": "Notifications",
            "items": inbox.items,
            "unread": inbox.unread,
            "pagination": paging.context(inbox.total, "/notifications"),
        }),
    )
}

pub async fn read_one(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let caller = user.0;
    page.state()
        .db
        .run(move |conn| inbox::mark_read(conn, &caller, id))
        .await?;
    Ok(redirect_with_flash(
        page.state(),
        "/notifications",
        "Marked as read",
    ))
}

pub async fn read_all(
    page: Page,
    user: CurrentUser,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let marked = page
        .state()
        .db
        .run(move |conn| Ok(inbox::mark_all_read(conn, &caller)?))
        .await?;
    let message = match marked {
        0 => "Nothing was unread".to_string(),
        1 => "1 notification marked as read".to_string(),
        n => format!("{n} notifications marked as read"),
    };
    Ok(redirect_with_flash(
        page.state(),
        "/notifications",
        &message,
    ))
}

// ---- Settings ----

/// A feed token just made, to show once, or form errors to show.
#[derive(Default)]
struct Extra {
    new_token: Option<String>,
    form: Value,
    errors: Option<FieldErrors>,
}

async fn render_settings(page: &Page, caller: Caller, extra: Extra) -> AppResult<HttpResponse> {
    let viewer = caller.clone();
    let (received, default, themes, token_created) = page
        .state()
        .db
        .run(move |conn| {
            let received = subscriptions::received(conn, &viewer)?;
            let default = subscriptions::default_delivery(conn, viewer.user_id)?;
            let themes: Vec<(String, String)> = ws_queries::list_visible(conn, Some(&viewer))?
                .into_iter()
                .filter(|a| !a.ws.is_archived())
                .map(|a| (a.ws.slug, a.ws.name))
                .collect();
            let token_created = feeds::token_created(conn, viewer.user_id)?;
            Ok((received, default, themes, token_created))
        })
        .await?;
    let is_org_admin = authz::manage_org_notifications(&caller, caller.organisation_id).is_ok();
    let (own, organisation): (Vec<_>, Vec<_>) = received
        .into_iter()
        .partition(|r| !r.subscription.is_organisation_wide());
    let own: Vec<Value> = own
        .iter()
        .map(|r| {
            json!({
                "id": r.subscription.id,
                "description": r.description,
                "options": delivery_options(&r.subscription.delivery, Some(&default)),
            })
        })
        .collect();
    let organisation: Vec<Value> = organisation
        .iter()
        .map(|r| {
            json!({
                "id": r.subscription.id,
                "description": r.description,
                "reason": r.reason,
                "opted_out": r.opted_out,
                "delivery": Delivery::parse(&r.effective_delivery).map(Delivery::label).unwrap_or(""),
            })
        })
        .collect();
    let form = &extra.form;
    let selected = |key: &str| form[key].as_str().unwrap_or("").to_string();
    let theme_options: Vec<Value> = themes
        .iter()
        .map(|(slug, name)| json!({ "value": slug, "label": name, "selected": *slug == selected("theme") }))
        .collect();
    let feed_workspaces: Vec<Value> = themes
        .iter()
        .map(|(slug, name)| json!({ "slug": slug, "name": name }))
        .collect();
    let status = if extra.errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let base = page.state().settings.base_url().to_string();
    page.render_status(
        status,
        "notifications/settings",
        json!({
            "title": "What you receive",
            "default_options": Delivery::options(&default),
            "own": own,
            "organisation": organisation,
            "organisation_name": caller.organisation_name,
            "is_org_admin": is_org_admin,
            "themes": theme_options,
            "service_areas": ServiceArea::options(&selected("service_area")),
            "stages": Stage::options(&selected("stage")),
            "follow_delivery": delivery_options(&selected("delivery"), Some(&default)),
            "scope_organisation": selected("scope") == "organisation",
            "feed_workspaces": feed_workspaces,
            "token_created": token_created.map(view::when),
            "new_token": extra.new_token,
            "base_url": base,
            "errors": extra.errors.map(|e| e.to_json()),
        }),
    )
}

pub async fn settings_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    render_settings(&page, user.0, Extra::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeliveryForm {
    delivery: String,
}

pub async fn set_default(
    page: Page,
    user: CurrentUser,
    form: Form<DeliveryForm>,
) -> AppResult<HttpResponse> {
    let delivery = form.0.delivery;
    settings_change(
        page,
        user.0,
        "Your default has been saved",
        move |conn, who| subscriptions::set_default_delivery(conn, who, &delivery),
    )
    .await
}

/// Saves a change made on the settings page: back to it with `message`, or the page again
/// with the form's errors.
async fn settings_change<F>(
    page: Page,
    caller: Caller,
    message: &'static str,
    change: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, &Caller) -> AppResult<()> + Send + 'static,
{
    let who = caller.clone();
    match page.state().db.run(move |conn| change(conn, &who)).await {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            "/settings/subscriptions",
            message,
        )),
        Err(AppError::Validation { fields, .. }) => {
            let errors = Some(FieldErrors::from_map(fields));
            render_settings(
                &page,
                caller,
                Extra {
                    errors,
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowForm {
    #[serde(flatten)]
    input: FollowInput,
    return_to: String,
}

pub async fn follow(
    page: Page,
    user: CurrentUser,
    form: Form<FollowForm>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let FollowForm { input, return_to } = form.0;
    let echo = serde_json::to_value(&input)?;
    let outcome = page
        .state()
        .change(page.request(), caller.clone(), move |conn, actor| {
            let (sub, created) = subscriptions::follow(conn, actor, &input)?;
            Ok((
                subscriptions::describe(conn, Some(actor.caller), &sub)?,
                sub.is_organisation_wide(),
                created,
            ))
        })
        .await;
    match outcome {
        Ok((what, organisation_wide, created)) => {
            let message = match (organisation_wide, created) {
                (true, _) => format!("{} now follows {what}", caller.organisation_name),
                (false, true) => format!("You now follow {what}"),
                (false, false) => {
                    format!("You already follow {what}; your choice of delivery has been saved")
                }
            };
            let back = if return_to.is_empty() {
                "/settings/subscriptions".to_string()
            } else {
                safe_next(Some(&return_to))
            };
            Ok(redirect_with_flash(page.state(), &back, &message))
        }
        Err(AppError::Validation { fields, .. }) => {
            let errors = Some(FieldErrors::from_map(fields));
            render_settings(
                &page,
                caller,
                Extra {
                    form: echo,
                    errors,
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn change_delivery(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<DeliveryForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let delivery = form.0.delivery;
    settings_change(
        page,
        user.0,
        "Your choice has been saved",
        move |conn, who| subscriptions::set_delivery(conn, who, id, &delivery).map(|_| ()),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    return_to: String,
}

pub async fn unfollow(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<ReturnForm>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let id = path.into_inner();
    let what = page
        .state()
        .change(page.request(), caller, move |conn, actor| {
            let sub = subscriptions::find(conn, id)?;
            authz::manage_subscription(actor.caller, sub.organisation_id, sub.user_id)?;
            let what = subscriptions::describe(conn, Some(actor.caller), &sub)?;
            subscriptions::unfollow(conn, actor, id)?;
            Ok(what)
        })
        .await?;
    let back = if form.0.return_to.is_empty() {
        "/settings/subscriptions".to_string()
    } else {
        safe_next(Some(&form.0.return_to))
    };
    Ok(redirect_with_flash(
        page.state(),
        &back,
        &format!("No longer following {what}"),
    ))
}

async fn set_opt_out(page: Page, caller: Caller, id: i64, out: bool) -> AppResult<HttpResponse> {
    let message = if out {
        "You will no longer receive this"
    } else {
        "You will receive this again"
    };
    settings_change(page, caller, message, move |conn, who| {
        subscriptions::opt_out(conn, who, id, out)
    })
    .await
}

pub async fn opt_out(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    set_opt_out(page, user.0, path.into_inner(), true).await
}

pub async fn opt_in(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    set_opt_out(page, user.0, path.into_inner(), false).await
}

pub async fn new_feed_token(
    page: Page,
    user: CurrentUser,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let viewer = caller.clone();
    let token = page
        .state()
        .db
        .run(move |conn| feeds::new_token(conn, &viewer))
        .await?;
    render_settings(
        &page,
        caller,
        Extra {
            new_token: Some(token),
            ..Extra::default()
        },
    )
    .await
}

pub async fn revoke_feed_token(
    page: Page,
    user: CurrentUser,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    page.state()
        .db
        .run(move |conn| Ok(feeds::revoke(conn, &caller)?))
        .await?;
    Ok(redirect_with_flash(
        page.state(),
        "/settings/subscriptions",
        "Your feed links no longer work",
    ))
}

// ---- Unsubscribe (signed links; no sign-in) ----

async fn unsubscribe_view(page: &Page, token: String, apply: bool) -> AppResult<HttpResponse> {
    let (user_id, scope) = unsubscribe::parse(&page.state().keys, &token)?;
    let what = page
        .state()
        .db
        .run(move |conn| {
            let what = unsubscribe::describe_scope(conn, user_id, scope)?;
            if apply {
                unsubscribe::apply(conn, user_id, scope)?;
            }
            Ok(what)
        })
        .await?;
    page.render(
        "notifications/unsubscribe",
        json!({
            "title": if apply { "You have unsubscribed" } else { "Unsubscribe" },
            "done": apply,
            "what": what,
            "token": token,
        }),
    )
}

pub async fn unsubscribe_page(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    unsubscribe_view(&page, path.into_inner(), false).await
}

/// The one-click POST (RFC 8058) from mail programs and the button on the page. The signed
/// link is the authority, so there is no form token to check.
pub async fn unsubscribe_submit(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    unsubscribe_view(&page, path.into_inner(), true).await
}

// ---- Webhooks (organisation admins) ----

fn kind_options(selected: &[String]) -> Vec<Value> {
    KINDS
        .iter()
        .map(|k| json!({ "value": k, "label": view::label(k), "checked": selected.iter().any(|s| s == k) }))
        .collect()
}

async fn render_webhooks(
    page: &Page,
    caller: Caller,
    created: Option<(i64, String)>,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    authz::manage_org_notifications(&caller, caller.organisation_id)?;
    let org = caller.organisation_id;
    let hooks = page
        .state()
        .db
        .run(move |conn| Ok(webhooks::list(conn, org)?))
        .await?;
    let selected: Vec<String> = form["event_kinds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let rows: Vec<Value> = hooks
        .iter()
        .map(|h| json!({
            "id": h.id,
            "url": h.url,
            "active": h.active,
            "kinds": if h.event_kinds.is_empty() { "Every kind".to_string() } else { h.kinds().iter().map(|k| view::label(k)).collect::<Vec<_>>().join(", ") },
        }))
        .collect();
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render_status(
        status,
        "notifications/webhooks",
        json!({
            "title": "Webhooks",
            "breadcrumbs": [{ "href": "/admin", "label": "Admin" }],
            "organisation": caller.organisation_name,
            "hooks": rows,
            "kinds": kind_options(&selected),
            "form": form,
            "created": created.map(|(id, secret)| json!({ "id": id, "secret": secret })),
            "errors": errors.map(|e| e.to_json()),
        }),
    )
}

pub async fn webhooks_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    render_webhooks(&page, user.0, None, json!({}), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookForm {
    url: String,
    event_kinds: Vec<String>,
}

pub async fn create_webhook(
    page: Page,
    user: CurrentUser,
    form: Form<WebhookForm>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let input = webhooks::WebhookInput {
        url: form.0.url,
        event_kinds: form.0.event_kinds,
    };
    let echo = serde_json::to_value(&input)?;
    let settings = page.state().settings.clone();
    // The address is looked up holding no database connection, and only for those who may
    // add webhooks.
    authz::manage_org_notifications(&caller, caller.organisation_id)?;
    let url = input.url.clone();
    let vetted = web::block(move || webhooks::vet(&settings, &url))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let outcome = page
        .state()
        .change(page.request(), caller.clone(), move |conn, actor| {
            webhooks::create(conn, actor, &input, &vetted)
        })
        .await;
    match outcome {
        Ok(hook) => {
            render_webhooks(&page, caller, Some((hook.id, hook.secret)), json!({}), None).await
        }
        Err(AppError::Validation { fields, .. }) => {
            render_webhooks(
                &page,
                caller,
                None,
                echo,
                Some(FieldErrors::from_map(fields)),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn webhook_page(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let id = path.into_inner();
    let paging = query.paging(25);
    let (hook, (deliveries, total)) = page
        .state()
        .db
        .run(move |conn| {
            let hook = webhooks::load(conn, &caller, id)?;
            let deliveries = webhooks::deliveries(conn, id, paging)?;
            Ok((hook, deliveries))
        })
        .await?;
    let rows: Vec<Value> = deliveries
        .iter()
        .map(|d| json!({
            "id": d.id,
            "kind": if d.event_kind == "test" { "Test event" } else { view::label(&d.event_kind) },
            "status": d.status,
            "delivered": d.status == "delivered",
            "failed": d.status == "failed",
            "attempts": d.attempts,
            "response_status": d.response_status,
            "response_ms": d.response_ms,
            "error": d.error,
            "when": view::when(d.last_attempt_at.unwrap_or(d.created_at)),
        }))
        .collect();
    page.render(
        "notifications/webhook",
        json!({
            "title": format!("Webhook to {}", hook.url),
            "breadcrumbs": [{ "href": "/admin", "label": "Admin" }, { "href": "/admin/webhooks", "label": "Webhooks" }],
            "hook": {
                "id": hook.id,
                "url": hook.url,
                "active": hook.active,
                "kinds": if hook.event_kinds.is_empty() { "Every kind".to_string() } else { hook.kinds().iter().map(|k| view::label(k)).collect::<Vec<_>>().join(", ") },
            },
            "deliveries": rows,
            "pagination": paging.context(total, &format!("/admin/webhooks/{id}")),
        }),
    )
}

async fn webhook_change<F>(
    page: Page,
    caller: Caller,
    back: String,
    message: &'static str,
    change: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, &Actor) -> AppResult<()> + Send + 'static,
{
    page.state().change(page.request(), caller, change).await?;
    Ok(redirect_with_flash(page.state(), &back, message))
}

pub async fn test_webhook(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let settings = page.state().settings.clone();
    let waker = page.state().jobs.clone();
    let response = webhook_change(
        page,
        user.0,
        format!("/admin/webhooks/{id}"),
        "A test event is on its way; refresh to see how it went",
        move |conn, actor| webhooks::send_test(conn, actor, &settings, id).map(|_| ()),
    )
    .await?;
    waker.wake();
    Ok(response)
}

pub async fn enable_webhook(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    webhook_change(
        page,
        user.0,
        format!("/admin/webhooks/{id}"),
        "Webhook turned on",
        move |conn, actor| webhooks::set_active(conn, actor, id, true).map(|_| ()),
    )
    .await
}

pub async fn disable_webhook(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    webhook_change(
        page,
        user.0,
        format!("/admin/webhooks/{id}"),
        "Webhook turned off",
        move |conn, actor| webhooks::set_active(conn, actor, id, false).map(|_| ()),
    )
    .await
}

pub async fn delete_webhook(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    webhook_change(
        page,
        user.0,
        "/admin/webhooks".into(),
        "Webhook deleted",
        move |conn, actor| webhooks::delete(conn, actor, id),
    )
    .await
}

// ---- The job queue (platform admins) ----

pub async fn jobs_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::view_queue(&user.0)?;
    let (depth, failed, oldest, recent) = page
        .state()
        .db
        .run(|conn| {
            let depth: Vec<(String, i64)> = jobs::table
                .filter(jobs::status.eq("pending"))
                .group_by(jobs::kind)
                .select((jobs::kind, diesel::dsl::count_star()))
                .order(jobs::kind.asc())
                .load(conn)?;
            let failed: i64 = jobs::table
                .filter(jobs::status.eq("failed"))
                .count()
                .get_result(conn)?;
            let oldest: Option<Job> = jobs::table
                .filter(jobs::status.eq("pending"))
                .order((jobs::created_at.asc(), jobs::id.asc()))
                .select(Job::as_select())
                .first(conn)
                .optional()?;
            let recent: Vec<Job> = jobs::table
                .filter(jobs::status.eq("failed"))
                .order(jobs::id.desc())
                .limit(20)
                .select(Job::as_select())
                .load(conn)?;
            Ok((depth, failed, oldest, recent))
        })
        .await?;
    let pending: i64 = depth.iter().map(|(_, n)| n).sum();
    page.render(
        "notifications/jobs",
        json!({
            "title": "Job queue",
            "breadcrumbs": [{ "href": "/admin", "label": "Admin" }],
            "pending": pending,
            "depth": depth.iter().map(|(kind, n)| json!({ "kind": kind, "count": n })).collect::<Vec<_>>(),
            "failed": failed,
            "oldest": oldest.map(|j| json!({ "kind": j.kind, "when": view::when(j.created_at), "attempts": j.attempts, "error": j.last_error })),
            "recent": recent.iter().map(|j| json!({ "id": j.id, "kind": j.kind, "attempts": j.attempts, "error": j.last_error, "when": j.finished_at.map(view::when) })).collect::<Vec<_>>(),
        }),
    )
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/feed.atom", feeds::workspace_feed)
        .get("/opportunities/feed.atom", feeds::register_feed)
        .get("/notifications", inbox_page)
        .post("/notifications/read-all", read_all)
        .post("/notifications/{id}/read", read_one)
        .get("/settings/subscriptions", settings_page)
        .post("/settings/subscriptions/default", set_default)
        .post("/subscriptions", follow)
        .post("/subscriptions/{id}/delivery", change_delivery)
        .post("/subscriptions/{id}/delete", unfollow)
        .post("/subscriptions/{id}/opt-out", opt_out)
        .post("/subscriptions/{id}/opt-in", opt_in)
        .post("/settings/feed-token", new_feed_token)
        .post("/settings/feed-token/revoke", revoke_feed_token)
        .get("/unsubscribe/{token}", unsubscribe_page)
        .post("/unsubscribe/{token}", unsubscribe_submit)
        .get("/admin/webhooks", webhooks_page)
        .post("/admin/webhooks", create_webhook)
        .get("/admin/webhooks/{id}", webhook_page)
        .post("/admin/webhooks/{id}/test", test_webhook)
        .post("/admin/webhooks/{id}/enable", enable_webhook)
        .post("/admin/webhooks/{id}/disable", disable_webhook)
        .post("/admin/webhooks/{id}/delete", delete_webhook)
        .get("/admin/jobs", jobs_page);
}
