//! Following: a person's own subscriptions, an organisation's, opting out of those, and the
//! reasons shown for everything a person receives. Every description and reason is worded
//! for its reader as they may see things now.

pub mod api;
pub mod pages;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::model::*;
use super::visibility::{caller_for_organisation, caller_for_user, Sight};
use crate::audit::{self, Entry};
use crate::auth::{Actor, Caller};
use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult, Refusal};
use crate::opportunities::model::{ServiceArea, Stage};
use crate::opportunities::queries as opp_queries;
use crate::schema::{notifications, organisations, subscription_opt_outs, subscriptions, users};
use crate::validate::Check;
use crate::workspaces::queries as ws_queries;

/// What to follow, as forms and JSON send it.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct FollowInput {
    #[schema(required = true, value_type = TargetKind)]
    pub target: String,
    /// The workspace's short name, when following a workspace.
    #[schema(max_length = 100)]
    pub workspace: String,
    /// The opportunity's id or reference (OPP-0042), when following an opportunity.
    #[schema(max_length = 100)]
    pub opportunity: String,
    /// Register only: a theme's short name.
    #[schema(max_length = 100)]
    pub theme: String,
    /// Register only: a service area, e.g. `legal`.
    #[schema(value_type = ServiceArea)]
    pub service_area: String,
    /// Register only: a stage, e.g. `business_case`.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Left out: your default.
    #[schema(value_type = Delivery)]
    pub delivery: String,
    /// `organisation` to follow for the whole organisation (organisation admins); left out
    /// or `me` for yourself.
    #[schema(pattern = "^(me|organisation)?$")]
    pub scope: String,
}

struct Target {
    kind: TargetKind,
    id: Option<i64>,
    theme_id: Option<i64>,
    service_area: Option<String>,
    stage: Option<String>,
}

fn optional<T: Copy>(
    check: &mut Check,
    field: &str,
    value: &str,
    parse: fn(&str) -> Result<T, &'static str>,
) -> Option<T> {
    match value.trim() {
        "" => None,
        v => check.choice(field, parse(v)),
    }
}

fn parse_target(conn: &mut DbConn, caller: &Caller, input: &FollowInput) -> AppResult<Target> {
    let mut check = Check::default();
    let kind = check.choice("target", TargetKind::parse(input.target.trim()));
    let service_area = optional(
        &mut check,
        "service_area",
        &input.service_area,
        ServiceArea::parse,
    );
    let stage = optional(&mut check, "stage", &input.stage, Stage::parse);
    if kind == Some(TargetKind::Workspace) && input.workspace.trim().is_empty() {
        check.fail("workspace", "Choose a workspace");
    }
    if kind == Some(TargetKind::Opportunity) && input.opportunity.trim().is_empty() {
        check.fail("opportunity", "Choose an opportunity");
    }
    check.done()?;
    let Some(kind) = kind else {
        return Err(AppError::BadRequest("Choose what to follow".into()));
    };
    let mut target = Target {
        kind,
        id: None,
        theme_id: None,
        service_area: None,
        stage: None,
    };
    match kind {
        TargetKind::Workspace => {
            target.id = Some(
                ws_queries::load(conn, input.workspace.trim(), Some(caller))?
                    .ws
                    .id,
            );
        }
        TargetKind::Opportunity => {
            let given = input.opportunity.trim();
            let id = match given.parse::<i64>() {
                Ok(id) => id,
                Err(_) => opp_queries::find_by_reference(conn, &given.to_uppercase())?
                    .map(|o| o.id)
                    .ok_or(AppError::NotFound)?,
            };
            target.id = Some(opp_queries::load(conn, id, Some(caller))?.id);
        }
        TargetKind::Register => {
            if !input.theme.trim().is_empty() {
                target.theme_id = Some(
                    ws_queries::load(conn, input.theme.trim(), Some(caller))?
                        .ws
                        .id,
                );
            }
            target.service_area = service_area.map(|a| a.as_str().to_string());
            target.stage = stage.map(|s| s.as_str().to_string());
        }
    }
    Ok(target)
}

/// A follow's delivery. An organisation's follow takes no personal choice: asked for one,
/// `organisation_wide` says how that is refused (422 when the request asks for both at
/// once, 409 when the follow already is the organisation's).
fn parse_delivery(value: &str, organisation_wide: Option<Refusal>) -> AppResult<String> {
    let value = value.trim();
    if matches!(value, "" | DEFAULT_DELIVERY) {
        return Ok(DEFAULT_DELIVERY.to_string());
    }
    let delivery = Delivery::parse(value).map_err(|m| AppError::field("delivery", m))?;
    match organisation_wide {
        Some(why) => Err(AppError::refused(
            why,
            "delivery",
            "Each member of the organisation chooses how they receive what it follows",
        )),
        None => Ok(delivery.as_str().to_string()),
    }
}

fn find_existing(
    conn: &mut DbConn,
    organisation_id: i64,
    user_id: Option<i64>,
    t: &Target,
) -> QueryResult<Option<Subscription>> {
    let mut query = subscriptions::table
        .filter(subscriptions::organisation_id.eq(organisation_id))
        .filter(subscriptions::target_kind.eq(t.kind.as_str()))
        .select(Subscription::as_select())
        .into_boxed();
    query = match user_id {
        Some(id) => query.filter(subscriptions::user_id.eq(id)),
        None => query.filter(subscriptions::user_id.is_null()),
    };
    query = match t.id {
        Some(id) => query.filter(subscriptions::target_id.eq(id)),
        None => query.filter(subscriptions::target_id.is_null()),
    };
    query = match t.theme_id {
        Some(id) => query.filter(subscriptions::theme_id.eq(id)),
        None => query.filter(subscriptions::theme_id.is_null()),
    };
    query = match &t.service_area {
        Some(a) => query.filter(subscriptions::service_area.eq(a.clone())),
        None => query.filter(subscriptions::service_area.is_null()),
    };
    query = match &t.stage {
        Some(s) => query.filter(subscriptions::stage.eq(s.clone())),
        None => query.filter(subscriptions::stage.is_null()),
    };
    query.first(conn).optional()
}

fn insert(
    conn: &mut DbConn,
    organisation_id: i64,
    user_id: Option<i64>,
    created_by: i64,
    t: &Target,
    delivery: &str,
) -> QueryResult<Subscription> {
    let insert = diesel::insert_into(subscriptions::table).values((
        subscriptions::organisation_id.eq(organisation_id),
        subscriptions::user_id.eq(user_id),
        subscriptions::target_kind.eq(t.kind.as_str()),
        subscriptions::target_id.eq(t.id),
        subscriptions::theme_id.eq(t.theme_id),
        subscriptions::service_area.eq(t.service_area.clone()),
        subscriptions::stage.eq(t.stage.clone()),
        subscriptions::delivery.eq(delivery),
        subscriptions::created_by.eq(created_by),
        subscriptions::created_at.eq(now()),
    ));
    crate::insert_ignore!(conn, insert)?;
    find_existing(conn, organisation_id, user_id, t)?.ok_or(diesel::result::Error::NotFound)
}

/// Follows something for the caller or, for an organisation admin, for the whole
/// organisation. Following what is already followed changes nothing but the delivery;
/// `true` when the subscription is new.
pub fn follow(
    conn: &mut DbConn,
    actor: &Actor,
    input: &FollowInput,
) -> AppResult<(Subscription, bool)> {
    let caller = actor.caller;
    let organisation_wide = match input.scope.trim() {
        "" | "me" => false,
        "organisation" => true,
        _ => {
            return Err(AppError::field(
                "scope",
                "Choose yourself or your organisation",
            ))
        }
    };
    if organisation_wide {
        authz::manage_org_notifications(caller, caller.organisation_id)?;
    }
    write_tx(conn, |conn| {
        let target = parse_target(conn, caller, input)?;
        let delivery = parse_delivery(
            &input.delivery,
            organisation_wide.then_some(Refusal::Invalid),
        )?;
        let user_id = (!organisation_wide).then_some(caller.user_id);
        let existing = find_existing(conn, caller.organisation_id, user_id, &target)?;
        if let Some(existing) = existing {
            if existing.delivery != delivery {
                diesel::update(subscriptions::table.find(existing.id))
                    .set(subscriptions::delivery.eq(&delivery))
                    .execute(conn)?;
            }
            let sub = find(conn, existing.id)?;
            return Ok((sub, false));
        }
        let sub = insert(
            conn,
            caller.organisation_id,
            user_id,
            caller.user_id,
            &target,
            &delivery,
        )?;
        if organisation_wide {
            audit_organisation_wide(conn, actor, "subscription.organisation_created", &sub)?;
        }
        Ok((sub, true))
    })
}

/// Records in the audit log a change by `actor` to a subscription of a whole organisation.
fn audit_organisation_wide(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    sub: &Subscription,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry::new(action)
            .by(actor)
            .target("subscription", sub.id)
            .details(json!({ "target": sub.target_kind, "target_id": sub.target_id })),
    )
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Subscription> {
    subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)
}

/// Ends a subscription: one's own, or (organisation admins) the organisation's.
pub fn unfollow(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<()> {
    let caller = actor.caller;
    write_tx(conn, |conn| {
        let sub = find(conn, id)?;
        authz::manage_subscription(caller, sub.organisation_id, sub.user_id)?;
        end(conn, &sub)?;
        if sub.is_organisation_wide() {
            audit_organisation_wide(conn, actor, "subscription.organisation_deleted", &sub)?;
        }
        Ok(())
    })
}

/// Changes how one's own subscription is delivered.
pub fn set_delivery(
    conn: &mut DbConn,
    caller: &Caller,
    id: i64,
    delivery: &str,
) -> AppResult<Subscription> {
    write_tx(conn, |conn| {
        let sub = find(conn, id)?;
        authz::manage_subscription(caller, sub.organisation_id, sub.user_id)?;
        let delivery = parse_delivery(
            delivery,
            sub.is_organisation_wide().then_some(Refusal::Conflict),
        )?;
        diesel::update(subscriptions::table.find(id))
            .set(subscriptions::delivery.eq(delivery))
            .execute(conn)?;
        Ok(find(conn, id)?)
    })
}

/// Stops (or, with `out == false`, resumes) receiving one of one's organisation's
/// subscriptions.
pub fn opt_out(conn: &mut DbConn, caller: &Caller, id: i64, out: bool) -> AppResult<()> {
    write_tx(conn, |conn| {
        let sub = find(conn, id)?;
        authz::opt_out(caller, sub.organisation_id, sub.user_id)?;
        let mine = subscription_opt_outs::table
            .filter(subscription_opt_outs::subscription_id.eq(id))
            .filter(subscription_opt_outs::user_id.eq(caller.user_id));
        if out {
            let insert = diesel::insert_into(subscription_opt_outs::table).values((
                subscription_opt_outs::subscription_id.eq(id),
                subscription_opt_outs::user_id.eq(caller.user_id),
                subscription_opt_outs::created_at.eq(now()),
            ));
            crate::insert_ignore!(conn, insert)?;
        } else {
            diesel::delete(mine).execute(conn)?;
        }
        Ok(())
    })
}

pub fn default_delivery(conn: &mut DbConn, user_id: i64) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::default_delivery)
        .first(conn)
}

pub fn set_default_delivery(conn: &mut DbConn, caller: &Caller, delivery: &str) -> AppResult<()> {
    let delivery = Delivery::parse(delivery.trim()).map_err(|m| AppError::field("delivery", m))?;
    diesel::update(users::table.find(caller.user_id))
        .set(users::default_delivery.eq(delivery.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Makes `user_id` follow an opportunity or workspace they created or were made owner of,
/// unless they already do. Called inside the change's transaction.
pub fn auto_follow(
    conn: &mut DbConn,
    user_id: i64,
    kind: TargetKind,
    target_id: i64,
) -> QueryResult<()> {
    let organisation_id: i64 = users::table
        .find(user_id)
        .select(users::organisation_id)
        .first(conn)?;
    let target = Target {
        kind,
        id: Some(target_id),
        theme_id: None,
        service_area: None,
        stage: None,
    };
    insert(
        conn,
        organisation_id,
        Some(user_id),
        user_id,
        &target,
        DEFAULT_DELIVERY,
    )
    .map(|_| ())
}

/// How something the reader cannot see now is named: the same whether it is hidden from
/// them or gone, and never by its name, reference or lead.
pub const UNSEEN_OPPORTUNITY: &str = "an opportunity you can no longer see";
pub const UNSEEN_WORKSPACE: &str = "a workspace you can no longer see";

fn workspace_name(
    conn: &mut DbConn,
    sight: &mut Sight,
    reader: Option<&Caller>,
    id: i64,
) -> QueryResult<String> {
    Ok(match sight.visible_workspace(conn, reader, id)? {
        Some(ws) => ws.name,
        None => UNSEEN_WORKSPACE.to_string(),
    })
}

fn opportunity_name(
    conn: &mut DbConn,
    sight: &mut Sight,
    reader: Option<&Caller>,
    id: i64,
) -> QueryResult<String> {
    Ok(match sight.visible_opportunity(conn, reader, id)? {
        Some(o) => format!("{} {}", o.reference, o.title),
        None => UNSEEN_OPPORTUNITY.to_string(),
    })
}

fn register_filters(
    conn: &mut DbConn,
    sight: &mut Sight,
    reader: Option<&Caller>,
    sub: &Subscription,
) -> QueryResult<String> {
    let mut filters = Vec::new();
    if let Some(theme) = sub.theme_id {
        filters.push(format!(
            "theme: {}",
            workspace_name(conn, sight, reader, theme)?
        ));
    }
    if let Some(area) = sub
        .service_area
        .as_deref()
        .and_then(|a| ServiceArea::parse(a).ok())
    {
        filters.push(format!("service area: {}", area.label()));
    }
    if let Some(stage) = sub.stage.as_deref().and_then(|s| Stage::parse(s).ok()) {
        filters.push(format!("stage: {}", stage.label()));
    }
    Ok(if filters.is_empty() {
        "the opportunity register".to_string()
    } else {
        format!("the opportunity register ({})", filters.join("; "))
    })
}

/// What a subscription follows, in words, as `reader` may see it now: "Transport and
/// connectivity", "OPP-0004 Shared legal services", "the opportunity register (theme:
/// Skills; stage: Idea)". A workspace or opportunity the reader can no longer see (a draft
/// now, a workspace their organisation left) is named by a neutral label.
pub fn describe(
    conn: &mut DbConn,
    reader: Option<&Caller>,
    sub: &Subscription,
) -> QueryResult<String> {
    let mut sight = Sight::default();
    match (sub.target_kind.as_str(), sub.target_id) {
        ("workspace", Some(id)) => workspace_name(conn, &mut sight, reader, id),
        ("opportunity", Some(id)) => opportunity_name(conn, &mut sight, reader, id),
        _ => register_filters(conn, &mut sight, reader, sub),
    }
}

/// "because you follow …" or "because <organisation> follows …", for `what` it follows.
fn because(conn: &mut DbConn, sub: &Subscription, what: &str) -> QueryResult<String> {
    if sub.is_organisation_wide() {
        let org: String = organisations::table
            .find(sub.organisation_id)
            .select(organisations::name)
            .first(conn)?;
        Ok(format!("because {org} follows {what}"))
    } else {
        Ok(format!("because you follow {what}"))
    }
}

/// Why `reader` receives what a subscription brings, in words they may see now.
pub fn reason_for(
    conn: &mut DbConn,
    reader: Option<&Caller>,
    sub: &Subscription,
) -> QueryResult<String> {
    let what = describe(conn, reader, sub)?;
    because(conn, sub, &what)
}

/// Why someone receives what a subscription brings, as its subscriber may see it now: the
/// person for their own, the organisation (as any of its members) for an organisation's.
/// Stored with each notification it brings.
pub fn reason(conn: &mut DbConn, sub: &Subscription) -> QueryResult<String> {
    let reader = match sub.user_id {
        Some(user_id) => caller_for_user(conn, user_id)?,
        None => Some(caller_for_organisation(conn, sub.organisation_id)?),
    };
    reason_for(conn, reader.as_ref(), sub)
}

/// Ends a subscription. The reasons stored with what it brought stop naming what it
/// followed: once it has ended they are never said again from the subscription, and what
/// it followed may later be hidden from the person.
pub fn end(conn: &mut DbConn, sub: &Subscription) -> QueryResult<()> {
    let followed = if sub.is_organisation_wide() {
        "because your organisation followed it then"
    } else {
        "because you followed it then"
    };
    diesel::update(notifications::table.filter(notifications::subscription_id.eq(sub.id)))
        .set(notifications::reason.eq(followed))
        .execute(conn)?;
    diesel::delete(subscriptions::table.find(sub.id)).execute(conn)?;
    Ok(())
}

/// One line of the settings page: a subscription that reaches the person, and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Received {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// What it follows, in words.
    pub description: String,
    /// Why the person receives it.
    pub reason: String,
    /// For organisation subscriptions: whether this person has opted out.
    pub opted_out: bool,
    /// The delivery in force for this person.
    pub effective_delivery: String,
}

/// Everything that reaches `caller`: their own subscriptions, then their organisation's.
pub fn received(conn: &mut DbConn, caller: &Caller) -> QueryResult<Vec<Received>> {
    let default = default_delivery(conn, caller.user_id)?;
    let subs: Vec<Subscription> = subscriptions::table
        .filter(subscriptions::organisation_id.eq(caller.organisation_id))
        .filter(
            subscriptions::user_id
                .eq(caller.user_id)
                .or(subscriptions::user_id.is_null()),
        )
        .order((subscriptions::user_id.is_null(), subscriptions::id.asc()))
        .select(Subscription::as_select())
        .load(conn)?;
    let opted: Vec<i64> = subscription_opt_outs::table
        .filter(subscription_opt_outs::user_id.eq(caller.user_id))
        .select(subscription_opt_outs::subscription_id)
        .load(conn)?;
    subs.into_iter()
        .map(|sub| {
            let description = describe(conn, Some(caller), &sub)?;
            Ok(Received {
                reason: because(conn, &sub, &description)?,
                description,
                opted_out: opted.contains(&sub.id),
                effective_delivery: sub.delivery_for(&default).as_str().to_string(),
                subscription: sub,
            })
        })
        .collect()
}

/// The caller's own subscription to a workspace or opportunity, if any, for follow buttons.
pub fn own_subscription(
    conn: &mut DbConn,
    caller: &Caller,
    kind: TargetKind,
    target_id: i64,
) -> QueryResult<Option<i64>> {
    subscriptions::table
        .filter(subscriptions::user_id.eq(caller.user_id))
        .filter(subscriptions::target_kind.eq(kind.as_str()))
        .filter(subscriptions::target_id.eq(target_id))
        .select(subscriptions::id)
        .first(conn)
        .optional()
}
