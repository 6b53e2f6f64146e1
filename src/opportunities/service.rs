//! Changes to the register: each checks permission, validates, writes, keeps the search
//! index current, and records an event and an audit entry in one transaction.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::model::*;
use super::queries;
use super::search;
use crate::audit::{self, Entry};
use crate::auth::Caller;
use crate::authz;
use crate::db::{lock_for_append, now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::schema::{opportunities, opportunity_partners, organisations, users};
use crate::validate::Check;

const REFERENCE_LOCK: i64 = 7_301_004;

pub use crate::auth::Actor;

fn event_visibility(o: &Opportunity) -> Visibility {
    match o.visibility {
        OpportunityVisibility::Public => Visibility::Public,
        OpportunityVisibility::Partnership => Visibility::Partners,
        OpportunityVisibility::Draft => Visibility::Draft,
    }
}

pub(super) fn record(
    conn: &mut DbConn,
    actor: &Actor,
    o: &Opportunity,
    kind: &str,
    details: serde_json::Value,
) -> QueryResult<()> {
    let caller = actor.caller;
    events::emit(
        conn,
        NewEvent {
            kind,
            actor_user_id: Some(caller.user_id),
            organisation_id: Some(o.lead_organisation_id),
            target_kind: "opportunity",
            target_id: o.id.to_string(),
            workspace_id: o.workspace_id,
            visibility: event_visibility(o),
            payload: json!({
                "reference": o.reference,
                "title": o.title,
                "actor": caller.name,
                "organisation": caller.organisation_name,
                "details": details,
            }),
        },
    )?;
    audit::record(
        conn,
        Entry::new(kind)
            .actor(caller.user_id, caller.organisation_id)
            .target("opportunity", &o.reference)
            .ip(actor.ip)
            .details(details),
    )
}

/// Who may make a change to an opportunity: one of the rules in `authz`.
pub(super) type Rule = fn(&Caller, &Opportunity) -> AppResult<()>;

/// Runs `change` in one write transaction on opportunity `id` as the actor sees it (404
/// if they may not see it), once `may` allows them to make it.
pub(super) fn change_opportunity<T>(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    may: Rule,
    change: impl FnOnce(&mut DbConn, Opportunity) -> AppResult<T>,
) -> AppResult<T> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        may(actor.caller, &o)?;
        change(conn, o)
    })
}

/// As `change_opportunity`, for a change only those who manage the opportunity may make.
pub(super) fn managing<T>(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    change: impl FnOnce(&mut DbConn, Opportunity) -> AppResult<T>,
) -> AppResult<T> {
    change_opportunity(conn, actor, id, authz::manage_opportunity, change)
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OpportunityInput {
    pub title: String,
    pub summary: String,
    pub service_area: String,
    pub kind: String,
    pub visibility: String,
    /// A workspace id, or empty.
    pub workspace_id: String,
    /// A person in the lead organisation, or empty.
    pub contact_user_id: String,
    /// Organisation ids.
    pub partners: Vec<String>,
    /// The lead organisation's own reference, or empty.
    pub your_reference: String,
}

impl OpportunityInput {
    /// The opportunity's details as a form or a change starts from them.
    pub fn of(o: &Opportunity, partners: &[(i64, String)]) -> OpportunityInput {
        let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        OpportunityInput {
            title: o.title.clone(),
            summary: o.summary.clone(),
            service_area: o.service_area.to_string(),
            kind: o.kind.to_string(),
            visibility: o.visibility.to_string(),
            workspace_id: id(o.workspace_id),
            contact_user_id: id(o.contact_user_id),
            partners: partners.iter().map(|(p, _)| p.to_string()).collect(),
            your_reference: o.your_reference.clone(),
        }
    }
}

/// Changes to an opportunity as sent: ids as numbers, everything else as text; what is left
/// out stays as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OpportunityRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 5000)]
    pub summary: Option<String>,
    #[schema(value_type = Option<ServiceArea>)]
    pub service_area: Option<String>,
    #[schema(value_type = Option<OpportunityKind>)]
    pub kind: Option<String>,
    #[schema(value_type = Option<OpportunityVisibility>)]
    pub visibility: Option<String>,
    /// The theme workspace; `null` takes the opportunity out of its theme.
    #[serde(default, deserialize_with = "crate::validate::clearable_whole")]
    #[schema(value_type = Option<i64>, nullable, minimum = 1)]
    pub workspace_id: Option<Option<i64>>,
    /// A person in the lead organisation; `null` leaves it without a contact.
    #[serde(default, deserialize_with = "crate::validate::clearable_whole")]
    #[schema(value_type = Option<i64>, nullable, minimum = 1)]
    pub contact_user_id: Option<Option<i64>>,
    /// Partner organisations' ids.
    #[serde(default, deserialize_with = "crate::validate::wholes")]
    pub partners: Option<Vec<i64>>,
    /// The lead organisation's own reference, like "DCC-SS-014"; "" clears it.
    #[schema(max_length = 60)]
    pub your_reference: Option<String>,
}

/// A new opportunity as sent: a title, a summary, a service area and a type, and what else
/// `OpportunityRequest` takes. It starts as a draft unless `visibility` says otherwise.
/// (Held as options, so that a body without them is answered field by field.)
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOpportunityRequest {
    #[schema(required = true, max_length = 200)]
    pub title: Option<String>,
    #[schema(required = true, max_length = 5000)]
    pub summary: Option<String>,
    #[schema(required = true, value_type = ServiceArea)]
    pub service_area: Option<String>,
    #[schema(required = true, value_type = OpportunityKind)]
    pub kind: Option<String>,
    #[schema(value_type = Option<OpportunityVisibility>)]
    pub visibility: Option<String>,
    /// The theme workspace.
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(minimum = 1)]
    pub workspace_id: Option<i64>,
    /// A person in the lead organisation.
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(minimum = 1)]
    pub contact_user_id: Option<i64>,
    /// Partner organisations' ids.
    #[serde(default, deserialize_with = "crate::validate::wholes")]
    pub partners: Option<Vec<i64>>,
    #[schema(max_length = 60)]
    pub your_reference: Option<String>,
}

impl NewOpportunityRequest {
    pub fn input(self) -> OpportunityInput {
        OpportunityRequest {
            title: self.title,
            summary: self.summary,
            service_area: self.service_area,
            kind: self.kind,
            visibility: self.visibility,
            workspace_id: self.workspace_id.map(Some),
            contact_user_id: self.contact_user_id.map(Some),
            partners: self.partners,
            your_reference: self.your_reference,
        }
        .over(OpportunityInput {
            visibility: "draft".into(),
            ..OpportunityInput::default()
        })
    }
}

/// A field that may be cleared, over what it was: left out keeps it, `null` clears it.
fn id_over(value: Option<Option<i64>>, base: String) -> String {
    match value {
        None => base,
        Some(None) => String::new(),
        Some(Some(id)) => id.to_string(),
    }
}

impl OpportunityRequest {
    pub fn over(self, base: OpportunityInput) -> OpportunityInput {
        OpportunityInput {
            title: self.title.unwrap_or(base.title),
            summary: self.summary.unwrap_or(base.summary),
            service_area: self.service_area.unwrap_or(base.service_area),
            kind: self.kind.unwrap_or(base.kind),
            visibility: self.visibility.unwrap_or(base.visibility),
            workspace_id: id_over(self.workspace_id, base.workspace_id),
            contact_user_id: id_over(self.contact_user_id, base.contact_user_id),
            partners: self
                .partners
                .map(|p| p.iter().map(|v| v.to_string()).collect())
                .unwrap_or(base.partners),
            your_reference: self.your_reference.unwrap_or(base.your_reference),
        }
    }
}

struct Fields {
    details: OpportunityDetails,
    partners: Vec<i64>,
}

fn parse(
    conn: &mut DbConn,
    caller: &Caller,
    lead: i64,
    input: &OpportunityInput,
) -> AppResult<Fields> {
    let mut check = Check::default();
    let title = check.text("title", &input.title, 200, "Enter a title");
    let summary = check.text("summary", &input.summary, 5000, "Describe the idea");
    let your_reference = check.text("your_reference", &input.your_reference, 60, "");
    let service_area = check.choice("service_area", ServiceArea::parse(&input.service_area));
    let kind = check.choice("kind", OpportunityKind::parse(&input.kind));
    let visibility = check.choice(
        "visibility",
        OpportunityVisibility::parse(&input.visibility),
    );
    let workspace_id = check.optional_id("workspace_id", &input.workspace_id);
    if let Some(id) = workspace_id {
        let slug: Option<String> = crate::schema::workspaces::table
            .find(id)
            .select(crate::schema::workspaces::slug)
            .first(conn)
            .optional()?;
        let visible = match slug {
            Some(slug) => crate::workspaces::queries::load(conn, &slug, Some(caller)).is_ok(),
            None => false,
        };
        if !visible {
            check.unknown("workspace_id", "Choose a theme from the list");
        }
    }
    let contact_user_id = check.optional_id("contact_user_id", &input.contact_user_id);
    if let Some(id) = contact_user_id {
        let org: Option<i64> = users::table
            .find(id)
            .select(users::organisation_id)
            .first(conn)
            .optional()?;
        if org != Some(lead) {
            check.unknown(
                "contact_user_id",
                "The contact must work for the lead organisation",
            );
        }
    }
    let mut partners = Vec::new();
    for value in input.partners.iter().filter(|v| !v.trim().is_empty()) {
        match value.trim().parse::<i64>() {
            Ok(id) if id != lead => partners.push(id),
            Ok(_) => {}
            Err(_) => check.fail("partners", "Choose partner organisations from the list"),
        }
    }
    partners.sort_unstable();
    partners.dedup();
    let known: i64 = organisations::table
        .filter(organisations::id.eq_any(&partners))
        .count()
        .get_result(conn)?;
    if known != partners.len() as i64 {
        check.unknown("partners", "Choose partner organisations from the list");
    }
    check.done()?;
    match (service_area, kind, visibility) {
        (Some(service_area), Some(kind), Some(visibility)) => Ok(Fields {
            details: OpportunityDetails {
                title,
                summary,
                service_area,
                kind,
                visibility,
                workspace_id,
                contact_user_id,
                your_reference,
            },
            partners,
        }),
        _ => Err(AppError::BadRequest("Check the form".into())),
    }
}

fn set_partners(conn: &mut DbConn, opportunity_id: i64, partners: &[i64]) -> QueryResult<()> {
    diesel::delete(
        opportunity_partners::table.filter(opportunity_partners::opportunity_id.eq(opportunity_id)),
    )
    .execute(conn)?;
    for partner in partners {
        diesel::insert_into(opportunity_partners::table)
            .values((
                opportunity_partners::opportunity_id.eq(opportunity_id),
                opportunity_partners::organisation_id.eq(*partner),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn next_reference(conn: &mut DbConn) -> QueryResult<String> {
    lock_for_append(conn, REFERENCE_LOCK)?;
    let mut number: i64 = opportunities::table.count().get_result(conn)?;
    loop {
        number += 1;
        let reference = format!("OPP-{number:04}");
        if queries::find_by_reference(conn, &reference)?.is_none() {
            return Ok(reference);
        }
    }
}

pub(super) fn reload(conn: &mut DbConn, id: i64) -> QueryResult<Opportunity> {
    opportunities::table
        .find(id)
        .select(Opportunity::as_select())
        .first(conn)
}

/// Logs a new idea, led by the caller's organisation. Returns it.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    input: &OpportunityInput,
) -> AppResult<Opportunity> {
    write_tx(conn, |conn| {
        let o = create_with_reference(conn, actor, input, None)?;
        // People follow what they log, and what they are named the contact for.
        follow(conn, actor.caller.user_id, o.id)?;
        if let Some(contact) = o.contact_user_id {
            follow(conn, contact, o.id)?;
        }
        Ok(o)
    })
}

fn follow(conn: &mut DbConn, user_id: i64, opportunity_id: i64) -> QueryResult<()> {
    crate::notifications::subscriptions::auto_follow(
        conn,
        user_id,
        crate::notifications::model::TargetKind::Opportunity,
        opportunity_id,
    )
}

/// As `create`, with a chosen reference (an import's) when it is free.
pub fn create_with_reference(
    conn: &mut DbConn,
    actor: &Actor,
    input: &OpportunityInput,
    reference: Option<&str>,
) -> AppResult<Opportunity> {
    authz::log_opportunity(actor.caller)?;
    write_tx(conn, |conn| {
        let lead = actor.caller.organisation_id;
        let f = parse(conn, actor.caller, lead, input)?;
        let reference = match reference {
            Some(wanted) => {
                lock_for_append(conn, REFERENCE_LOCK)?;
                if queries::find_by_reference(conn, wanted)?.is_some() {
                    return Err(AppError::field(
                        "reference",
                        "This reference is already in use",
                    ));
                }
                wanted.to_string()
            }
            None => next_reference(conn)?,
        };
        let at = now();
        let id: i64 = diesel::insert_into(opportunities::table)
            .values((
                &f.details,
                opportunities::reference.eq(&reference),
                opportunities::lead_organisation_id.eq(lead),
                opportunities::stage.eq(Stage::Idea),
                opportunities::stage_changed_at.eq(at),
                opportunities::created_by.eq(actor.caller.user_id),
                opportunities::created_at.eq(at),
                opportunities::updated_at.eq(at),
            ))
            .returning(opportunities::id)
            .get_result(conn)?;
        set_partners(conn, id, &f.partners)?;
        search::reindex(conn, id)?;
        let o = reload(conn, id)?;
        record(
            conn,
            actor,
            &o,
            "opportunity.created",
            json!({ "title": o.title }),
        )?;
        Ok(o)
    })
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &OpportunityInput,
) -> AppResult<Opportunity> {
    update_checked(conn, actor, id, input).map(|(o, _)| o)
}

/// As `update`, and whether anything changed. A change that changes nothing writes nothing:
/// no event, no notification, no audit entry, and the opportunity keeps its updated time.
pub fn update_checked(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &OpportunityInput,
) -> AppResult<(Opportunity, bool)> {
    managing(conn, actor, id, |conn, current| {
        let f = parse(conn, actor.caller, current.lead_organisation_id, input)?;
        if is_unchanged(conn, &current, &f)? {
            return Ok((current, false));
        }
        diesel::update(opportunities::table.find(id))
            .set((&f.details, opportunities::updated_at.eq(now())))
            .execute(conn)?;
        set_partners(conn, id, &f.partners)?;
        search::reindex(conn, id)?;
        let o = reload(conn, id)?;
        if let Some(contact) = o
            .contact_user_id
            .filter(|c| Some(*c) != current.contact_user_id)
        {
            follow(conn, contact, o.id)?;
        }
        record(
            conn,
            actor,
            &o,
            "opportunity.updated",
            json!({ "visibility": o.visibility }),
        )?;
        Ok((o, true))
    })
}

fn is_unchanged(conn: &mut DbConn, current: &Opportunity, f: &Fields) -> QueryResult<bool> {
    let stored = OpportunityDetails {
        title: current.title.clone(),
        summary: current.summary.clone(),
        service_area: current.service_area,
        kind: current.kind,
        visibility: current.visibility,
        workspace_id: current.workspace_id,
        contact_user_id: current.contact_user_id,
        your_reference: current.your_reference.clone(),
    };
    if stored != f.details {
        return Ok(false);
    }
    let mut partners: Vec<i64> = opportunity_partners::table
        .filter(opportunity_partners::opportunity_id.eq(current.id))
        .select(opportunity_partners::organisation_id)
        .load(conn)?;
    partners.sort_unstable();
    let mut wanted = f.partners.clone();
    wanted.sort_unstable();
    wanted.dedup();
    Ok(partners == wanted)
}
