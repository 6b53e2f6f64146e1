//! Following workspaces, the register and opportunities; delivery settings, feed tokens and unsubscribe links: the pages.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::enums::SelectOption;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::notifications::feeds;
use crate::notifications::model::{Delivery, TargetKind, DEFAULT_DELIVERY};
use crate::notifications::subscriptions::{self, FollowInput};
use crate::notifications::unsubscribe;
use crate::notifications::view;
use crate::opportunities::model::{ServiceArea, Stage};
use crate::schema::subscriptions as subs_table;
use crate::web::arguments::SignedIn;
use crate::web::respond::form_outcome;
use crate::web::routes::Routes;
use crate::web::{safe_next, Choice, FieldErrors, Form, NoFields, Page, Reply};
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

fn delivery_options(selected: &str, with_default: Option<&str>) -> Vec<Choice> {
    let mut options = Vec::new();
    if let Some(default) = with_default {
        let label = Delivery::parse(default).map(Delivery::label).unwrap_or("");
        options.push(Choice::new(
            DEFAULT_DELIVERY,
            &format!("Your default ({})", label.to_lowercase()),
            selected == DEFAULT_DELIVERY,
        ));
    }
    options.extend(
        Delivery::options(selected)
            .into_iter()
            .map(|o| Choice::new(o.value, o.label, o.selected)),
    );
    options
}

// ---- Settings ----

/// A feed token just made, to show once, or form errors to show.
#[derive(Default)]
struct Extra {
    new_token: Option<String>,
    form: Value,
    errors: Option<FieldErrors>,
}

/// What the settings page reads: the subscriptions that reach the person, their default
/// delivery, the workspaces they can follow and when their feed token was made.
struct Settings {
    received: Vec<subscriptions::Received>,
    default: String,
    themes: Vec<(String, String)>,
    token_created: Option<chrono::NaiveDateTime>,
}

fn read_settings(conn: &mut DbConn, viewer: &Caller) -> AppResult<Settings> {
    Ok(Settings {
        received: subscriptions::received(conn, viewer)?,
        default: subscriptions::default_delivery(conn, viewer.user_id)?,
        themes: ws_queries::list_visible(conn, Some(viewer))?
            .into_iter()
            .filter(|a| !a.ws.is_archived())
            .map(|a| (a.ws.slug, a.ws.name))
            .collect(),
        token_created: feeds::token_created(conn, viewer.user_id)?,
    })
}

/// One of the person's own subscriptions, with its delivery choices.
#[derive(Serialize)]
struct OwnRow {
    id: i64,
    description: String,
    options: Vec<Choice>,
}

/// One of the organisation's subscriptions that reaches the person.
#[derive(Serialize)]
struct OrganisationRow {
    id: i64,
    description: String,
    reason: String,
    opted_out: bool,
    delivery: &'static str,
}

/// A workspace whose feed the person can subscribe to.
#[derive(Serialize)]
struct FeedWorkspace {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct SettingsView {
    title: &'static str,
    default_options: Vec<SelectOption>,
    own: Vec<OwnRow>,
    organisation: Vec<OrganisationRow>,
    organisation_name: String,
    is_org_admin: bool,
    themes: Vec<Choice>,
    service_areas: Vec<SelectOption>,
    stages: Vec<SelectOption>,
    follow_delivery: Vec<Choice>,
    scope_organisation: bool,
    feed_workspaces: Vec<FeedWorkspace>,
    token_created: Option<String>,
    new_token: Option<String>,
    base_url: String,
    errors: Option<FieldErrors>,
}

fn settings_view(caller: &Caller, read: Settings, extra: Extra, base_url: String) -> SettingsView {
    let Settings {
        received,
        default,
        themes,
        token_created,
    } = read;
    let (own, organisation): (Vec<_>, Vec<_>) = received
        .into_iter()
        .partition(|r| !r.subscription.is_organisation_wide());
    let form = &extra.form;
    let selected = |key: &str| form[key].as_str().unwrap_or("").to_string();
    SettingsView {
        title: "What you receive",
        default_options: Delivery::options(&default),
        own: own
            .into_iter()
            .map(|r| OwnRow {
                id: r.subscription.id,
                options: delivery_options(&r.subscription.delivery, Some(&default)),
                description: r.description,
            })
            .collect(),
        organisation: organisation
            .into_iter()
            .map(|r| OrganisationRow {
                id: r.subscription.id,
                description: r.description,
                reason: r.reason,
                opted_out: r.opted_out,
                delivery: Delivery::parse(&r.effective_delivery)
                    .map(Delivery::label)
                    .unwrap_or(""),
            })
            .collect(),
        organisation_name: caller.organisation_name.clone(),
        is_org_admin: authz::manage_org_notifications(caller, caller.organisation_id).is_ok(),
        themes: themes
            .iter()
            .map(|(slug, name)| Choice::new(slug, name, *slug == selected("theme")))
            .collect(),
        service_areas: ServiceArea::options(&selected("service_area")),
        stages: Stage::options(&selected("stage")),
        follow_delivery: delivery_options(&selected("delivery"), Some(&default)),
        scope_organisation: selected("scope") == "organisation",
        feed_workspaces: themes
            .into_iter()
            .map(|(slug, name)| FeedWorkspace { slug, name })
            .collect(),
        token_created: token_created.map(view::when),
        new_token: extra.new_token,
        base_url,
        errors: extra.errors,
    }
}

async fn render_settings(page: &Page, caller: Caller, extra: Extra) -> AppResult<HttpResponse> {
    let viewer = caller.clone();
    let read = page
        .state()
        .db
        .run(move |conn| read_settings(conn, &viewer))
        .await?;
    let failed = extra.errors.is_some();
    let base = page.state().settings.base_url().to_string();
    let view = settings_view(&caller, read, extra, base);
    page.render_form(failed, "notifications/settings", view)
}

pub async fn settings_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    render_settings(&page, user.0, Extra::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeliveryForm {
    delivery: String,
}

pub async fn set_default(at: SignedIn, form: Form<DeliveryForm>) -> Reply {
    let delivery = form.0.delivery;
    settings_change(at, "Your default has been saved", move |conn, who| {
        subscriptions::set_default_delivery(conn, who, &delivery)
    })
    .await
}

/// Saves a change made on the settings page: back to it with `message`, or the page again
/// with the form's errors.
async fn settings_change<F>(at: SignedIn, message: &'static str, change: F) -> Reply
where
    F: FnOnce(&mut DbConn, &Caller) -> AppResult<()> + Send + 'static,
{
    let who = at.caller.clone();
    let outcome = at.page.state().db.run(move |conn| change(conn, &who)).await;
    match form_outcome(outcome)? {
        Ok(()) => Ok(at.done("/settings/subscriptions", message)),
        Err(errors) => render_errors(at, Value::Null, errors).await,
    }
}

/// The settings page again, with the errors of the form that was sent and what was in it.
async fn render_errors(at: SignedIn, form: Value, errors: FieldErrors) -> Reply {
    let extra = Extra {
        form,
        errors: Some(errors),
        ..Extra::default()
    };
    render_settings(&at.page, at.caller, extra).await
}

/// Where a form that may name its own page to return to goes back to: that page, or the
/// settings.
fn back_to(return_to: &str) -> String {
    if return_to.is_empty() {
        "/settings/subscriptions".to_string()
    } else {
        safe_next(Some(return_to))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowForm {
    #[serde(flatten)]
    input: FollowInput,
    return_to: String,
}

pub async fn follow(at: SignedIn, form: Form<FollowForm>) -> Reply {
    let FollowForm { input, return_to } = form.0;
    let echo = serde_json::to_value(&input)?;
    let outcome = at
        .attempt(move |conn, actor| {
            let (sub, created) = subscriptions::follow(conn, actor, &input)?;
            Ok((
                subscriptions::describe(conn, Some(actor.caller), &sub)?,
                sub.is_organisation_wide(),
                created,
            ))
        })
        .await?;
    match outcome {
        Ok((what, organisation_wide, created)) => {
            let message = match (organisation_wide, created) {
                (true, _) => format!("{} now follows {what}", at.caller.organisation_name),
                (false, true) => format!("You now follow {what}"),
                (false, false) => {
                    format!("You already follow {what}; your choice of delivery has been saved")
                }
            };
            Ok(at.done(&back_to(&return_to), &message))
        }
        Err(errors) => render_errors(at, echo, errors).await,
    }
}

pub async fn change_delivery(
    at: SignedIn,
    path: web::Path<i64>,
    form: Form<DeliveryForm>,
) -> Reply {
    let (id, delivery) = (path.into_inner(), form.0.delivery);
    settings_change(at, "Your choice has been saved", move |conn, who| {
        subscriptions::set_delivery(conn, who, id, &delivery).map(|_| ())
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    return_to: String,
}

pub async fn unfollow(at: SignedIn, path: web::Path<i64>, form: Form<ReturnForm>) -> Reply {
    let id = path.into_inner();
    let what = at
        .change(move |conn, actor| {
            let sub = subscriptions::find(conn, id)?;
            authz::manage_subscription(actor.caller, sub.organisation_id, sub.user_id)?;
            let what = subscriptions::describe(conn, Some(actor.caller), &sub)?;
            subscriptions::unfollow(conn, actor, id)?;
            Ok(what)
        })
        .await?;
    let message = format!("No longer following {what}");
    Ok(at.done(&back_to(&form.0.return_to), &message))
}

async fn set_opt_out(at: SignedIn, id: i64, out: bool) -> Reply {
    let message = if out {
        "You will no longer receive this"
    } else {
        "You will receive this again"
    };
    settings_change(at, message, move |conn, who| {
        subscriptions::opt_out(conn, who, id, out)
    })
    .await
}

pub async fn opt_out(at: SignedIn, path: web::Path<i64>, _form: Form<NoFields>) -> Reply {
    set_opt_out(at, path.into_inner(), true).await
}

pub async fn opt_in(at: SignedIn, path: web::Path<i64>, _form: Form<NoFields>) -> Reply {
    set_opt_out(at, path.into_inner(), false).await
}

pub async fn new_feed_token(at: SignedIn, _form: Form<NoFields>) -> Reply {
    let viewer = at.caller.clone();
    let token = at
        .page
        .state()
        .db
        .run(move |conn| feeds::new_token(conn, &viewer))
        .await?;
    let extra = Extra {
        new_token: Some(token),
        ..Extra::default()
    };
    render_settings(&at.page, at.caller, extra).await
}

pub async fn revoke_feed_token(at: SignedIn, _form: Form<NoFields>) -> Reply {
    at.change(|conn, actor| Ok(feeds::revoke(conn, actor.caller)?))
        .await?;
    Ok(at.done("/settings/subscriptions", "Your feed links no longer work"))
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

pub fn routes(r: &mut Routes) {
    r.get("/settings/subscriptions", settings_page)
        .post("/settings/subscriptions/default", set_default)
        .post("/subscriptions", follow)
        .post("/subscriptions/{id}/delivery", change_delivery)
        .post("/subscriptions/{id}/delete", unfollow)
        .post("/subscriptions/{id}/opt-out", opt_out)
        .post("/subscriptions/{id}/opt-in", opt_in)
        .post("/settings/feed-token", new_feed_token)
        .post("/settings/feed-token/revoke", revoke_feed_token)
        .get("/unsubscribe/{token}", unsubscribe_page)
        .post("/unsubscribe/{token}", unsubscribe_submit);
}
