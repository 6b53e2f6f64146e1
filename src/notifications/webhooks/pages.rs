//! An organisation's webhooks and their deliveries: the pages.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Actor, Caller, CurrentUser};
use crate::authz;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::notifications::view::{self, KINDS};
use crate::notifications::webhooks;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page, PageQuery};

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

pub fn routes(r: &mut Routes) {
    r.get("/admin/webhooks", webhooks_page)
        .post("/admin/webhooks", create_webhook)
        .get("/admin/webhooks/{id}", webhook_page)
        .post("/admin/webhooks/{id}/test", test_webhook)
        .post("/admin/webhooks/{id}/enable", enable_webhook)
        .post("/admin/webhooks/{id}/disable", disable_webhook)
        .post("/admin/webhooks/{id}/delete", delete_webhook);
}
