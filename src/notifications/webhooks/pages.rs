//! An organisation's webhooks and their deliveries: the pages.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::notifications::view::{self, KINDS};
use crate::notifications::webhooks;
use crate::web::arguments::SignedIn;
use crate::web::routes::Routes;
use crate::web::{Button, Crumb, FieldErrors, Form, Page, PageQuery, Reply};

// ---- Webhooks (organisation admins) ----

/// A checkbox for one event kind.
#[derive(Serialize)]
struct KindOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn kind_options(selected: &[String]) -> Vec<KindOption> {
    KINDS
        .iter()
        .map(|k| KindOption {
            value: k,
            label: view::label(k),
            checked: selected.iter().any(|s| s == k),
        })
        .collect()
}

/// A webhook as its list and its page show it.
#[derive(Serialize)]
struct HookRow {
    id: i64,
    url: String,
    active: bool,
    kinds: String,
}

impl HookRow {
    fn new(h: &webhooks::Webhook) -> HookRow {
        HookRow {
            id: h.id,
            url: h.url.clone(),
            active: h.active,
            kinds: if h.event_kinds.is_empty() {
                "Every kind".to_string()
            } else {
                let labels: Vec<&str> = h.kinds().iter().map(|k| view::label(k)).collect();
                labels.join(", ")
            },
        }
    }
}

/// A webhook just made, with its secret to show once.
#[derive(Serialize)]
struct Created {
    id: i64,
    secret: String,
}

#[derive(Serialize)]
struct WebhooksView {
    title: &'static str,
    breadcrumbs: Vec<Crumb>,
    organisation: String,
    hooks: Vec<HookRow>,
    kinds: Vec<KindOption>,
    form: webhooks::WebhookInput,
    created: Option<Created>,
    errors: Option<FieldErrors>,
}

async fn render_webhooks(
    page: &Page,
    caller: Caller,
    created: Option<Created>,
    form: webhooks::WebhookInput,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    authz::manage_org_notifications(&caller, caller.organisation_id)?;
    let org = caller.organisation_id;
    let hooks = page
        .state()
        .db
        .run(move |conn| Ok(webhooks::list(conn, org)?))
        .await?;
    let view = WebhooksView {
        title: "Webhooks",
        breadcrumbs: vec![Crumb::new("/admin", "Admin")],
        organisation: caller.organisation_name,
        hooks: hooks.iter().map(HookRow::new).collect(),
        kinds: kind_options(&form.event_kinds),
        form,
        created,
        errors,
    };
    page.render_form(view.errors.is_some(), "notifications/webhooks", view)
}

pub async fn webhooks_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    render_webhooks(&page, user.0, None, Default::default(), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookForm {
    url: String,
    event_kinds: Vec<String>,
}

pub async fn create_webhook(at: SignedIn, form: Form<WebhookForm>) -> Reply {
    let input = webhooks::WebhookInput {
        url: form.0.url,
        event_kinds: form.0.event_kinds,
    };
    let echo = webhooks::WebhookInput {
        url: input.url.clone(),
        event_kinds: input.event_kinds.clone(),
    };
    let settings = at.page.state().settings.clone();
    // The address is looked up holding no database connection, and only for those who may
    // add webhooks.
    authz::manage_org_notifications(&at.caller, at.caller.organisation_id)?;
    let url = input.url.clone();
    let vetted = web::block(move || webhooks::vet(&settings, &url))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let outcome = at
        .attempt(move |conn, actor| webhooks::create(conn, actor, &input, &vetted))
        .await?;
    let SignedIn { page, caller } = at;
    match outcome {
        Ok(hook) => {
            let created = Created {
                id: hook.id,
                secret: hook.secret,
            };
            render_webhooks(&page, caller, Some(created), Default::default(), None).await
        }
        Err(errors) => render_webhooks(&page, caller, None, echo, Some(errors)).await,
    }
}

pub async fn webhook_page(
    at: SignedIn,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Reply {
    let SignedIn { page, caller } = at;
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
    page.render(
        "notifications/webhook",
        WebhookView {
            title: format!("Webhook to {}", hook.url),
            breadcrumbs: vec![
                Crumb::new("/admin", "Admin"),
                Crumb::new("/admin/webhooks", "Webhooks"),
            ],
            hook: HookRow::new(&hook),
            deliveries: deliveries.iter().map(DeliveryRow::new).collect(),
            pagination: paging.context(total, &format!("/admin/webhooks/{id}")),
        },
    )
}

/// One delivery of a webhook: what was sent and how it went.
#[derive(Serialize)]
struct DeliveryRow {
    id: i64,
    kind: &'static str,
    status: String,
    delivered: bool,
    failed: bool,
    attempts: i32,
    response_status: Option<i32>,
    response_ms: Option<i32>,
    error: Option<String>,
    when: String,
}

impl DeliveryRow {
    fn new(d: &webhooks::Delivery) -> DeliveryRow {
        DeliveryRow {
            id: d.id,
            kind: if d.event_kind == "test" {
                "Test event"
            } else {
                view::label(&d.event_kind)
            },
            status: d.status.clone(),
            delivered: d.status == "delivered",
            failed: d.status == "failed",
            attempts: d.attempts,
            response_status: d.response_status,
            response_ms: d.response_ms,
            error: d.error.clone(),
            when: view::when(d.last_attempt_at.unwrap_or(d.created_at)),
        }
    }
}

#[derive(Serialize)]
struct WebhookView {
    title: String,
    breadcrumbs: Vec<Crumb>,
    hook: HookRow,
    deliveries: Vec<DeliveryRow>,
    pagination: serde_json::Value,
}

pub async fn test_webhook(button: Button) -> Reply {
    let settings = button.page.state().settings.clone();
    let waker = button.page.state().jobs.clone();
    let back = format!("/admin/webhooks/{}", button.id);
    let message = "A test event is on its way; refresh to see how it went";
    let response = button
        .press(&back, message, move |conn, actor, id| {
            webhooks::send_test(conn, actor, &settings, id)
        })
        .await?;
    waker.wake();
    Ok(response)
}

/// Turns a webhook on or off, back on its page.
async fn set_active(button: Button, on: bool, message: &str) -> Reply {
    let back = format!("/admin/webhooks/{}", button.id);
    button
        .press(&back, message, move |conn, actor, id| {
            webhooks::set_active(conn, actor, id, on)
        })
        .await
}

pub async fn enable_webhook(button: Button) -> Reply {
    set_active(button, true, "Webhook turned on").await
}

pub async fn disable_webhook(button: Button) -> Reply {
    set_active(button, false, "Webhook turned off").await
}

pub async fn delete_webhook(button: Button) -> Reply {
    button
        .press("/admin/webhooks", "Webhook deleted", webhooks::delete)
        .await
}

pub fn routes(r: &mut Routes) {
    r.get("/admin/webhooks", webhooks_page)
        .post("/admin/webhooks", create_webhook)
        .get("/admin/webhooks/{id}", webhook_page)
        .post("/admin/webhooks/{id}/test", test_webhook)
        .post("/admin/webhooks/{id}/enable", enable_webhook)
        .post("/admin/webhooks/{id}/disable", disable_webhook)
        .post("/admin/webhooks/{id}/delete", delete_webhook);
}
