//! Changes to the register: each checks permission, validates, writes, keeps the search
//! index current, and records an event and an audit entry in one transaction.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::*;
use super::queries;
use super::search;
use crate::audit::{self, Entry};
use crate::auth::Caller;
use crate::authz;
use crate::db::{lock_for_append, now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::schema::{
    barriers, endorsements, opportunities, opportunity_comments, opportunity_partners,
    opportunity_transitions, organisations, savings, users,
};
use crate::validate::Check;

const REFERENCE_LOCK: i64 = 7_301_004;

pub use crate::auth::Actor;

fn event_visibility(o: &Opportunity) -> Visibility {
    match o.visibility.as_str() {
        "public" => Visibility::Public,
        "partnership" => Visibility::Partners,
        _ => Visibility::Draft,
    }
}

fn record(
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
}

struct Fields {
    title: String,
    summary: String,
    service_area: ServiceArea,
    kind: OpportunityKind,
    visibility: OpportunityVisibility,
    workspace_id: Option<i64>,
    contact_user_id: Option<i64>,
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
            check.fail("workspace_id", "Choose a theme from the list");
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
            check.fail(
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
        check.fail("partners", "Choose partner organisations from the list");
    }
    check.done()?;
    match (service_area, kind, visibility) {
        (Some(service_area), Some(kind), Some(visibility)) => Ok(Fields {
            title,
            summary,
            service_area,
            kind,
            visibility,
            workspace_id,
            contact_user_id,
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

fn reload(conn: &mut DbConn, id: i64) -> QueryResult<Opportunity> {
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
                opportunities::reference.eq(&reference),
                opportunities::title.eq(&f.title),
                opportunities::summary.eq(&f.summary),
                opportunities::service_area.eq(f.service_area.as_str()),
                opportunities::kind.eq(f.kind.as_str()),
                opportunities::lead_organisation_id.eq(lead),
                opportunities::workspace_id.eq(f.workspace_id),
                opportunities::contact_user_id.eq(f.contact_user_id),
                opportunities::visibility.eq(f.visibility.as_str()),
                opportunities::stage.eq(Stage::Idea.as_str()),
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
    write_tx(conn, |conn| {
        let current = queries::load(conn, id, Some(actor.caller))?;
        authz::manage_opportunity(actor.caller, &current)?;
        let f = parse(conn, actor.caller, current.lead_organisation_id, input)?;
        diesel::update(opportunities::table.find(id))
            .set((
                opportunities::title.eq(&f.title),
                opportunities::summary.eq(&f.summary),
                opportunities::service_area.eq(f.service_area.as_str()),
                opportunities::kind.eq(f.kind.as_str()),
                opportunities::workspace_id.eq(f.workspace_id),
                opportunities::contact_user_id.eq(f.contact_user_id),
                opportunities::visibility.eq(f.visibility.as_str()),
                opportunities::updated_at.eq(now()),
            ))
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
        Ok(o)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TransitionInput {
    pub to: String,
    pub note: String,
}

/// Moves an opportunity along the pipeline; only the allowed moves are accepted.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &TransitionInput,
) -> AppResult<Opportunity> {
    write_tx(conn, |conn| {
        let current = queries::load(conn, id, Some(actor.caller))?;
        authz::manage_opportunity(actor.caller, &current)?;
        let mut check = Check::default();
        let to = check.choice("to", Stage::parse(&input.to));
        let note = check.text("note", &input.note, 2000, "");
        let from = Stage::parse(&current.stage)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("stored stage is invalid")))?;
        if let Some(to) = to {
            if !from.can_move_to(to) {
                check.fail(
                    "to",
                    &format!(
                        "An opportunity cannot move from {} to {}",
                        from.label(),
                        to.label()
                    ),
                );
            }
            if to == Stage::Declined && note.is_empty() {
                check.fail("note", "Give the reason it was declined");
            }
        }
        check.done()?;
        let to = to.ok_or_else(|| AppError::BadRequest("Check the form".into()))?;
        let at = now();
        diesel::update(opportunities::table.find(id))
            .set((
                opportunities::stage.eq(to.as_str()),
                opportunities::stage_changed_at.eq(at),
                opportunities::updated_at.eq(at),
            ))
            .execute(conn)?;
        diesel::insert_into(opportunity_transitions::table)
            .values((
                opportunity_transitions::opportunity_id.eq(id),
                opportunity_transitions::from_stage.eq(from.as_str()),
                opportunity_transitions::to_stage.eq(to.as_str()),
                opportunity_transitions::note.eq(&note),
                opportunity_transitions::actor_user_id.eq(actor.caller.user_id),
                opportunity_transitions::created_at.eq(at),
            ))
            .execute(conn)?;
        let o = reload(conn, id)?;
        record(
            conn,
            actor,
            &o,
            "opportunity.moved",
            json!({ "from": from.as_str(), "to": to.as_str(), "note": note }),
        )?;
        Ok(o)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SavingInput {
    /// Like 2026/27.
    pub financial_year: String,
    pub kind: String,
    /// "yes" or "no".
    pub cashable: String,
    pub organisation_id: String,
    /// Like £1,234.56.
    pub amount: String,
    /// Like £1,234.56; empty for none.
    pub one_off_cost: String,
    pub note: String,
}

fn parse_yes_no(value: &str) -> Result<bool, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" => Ok(true),
        "no" | "false" | "n" => Ok(false),
        _ => Err("Say whether the saving is cashable"),
    }
}

pub fn add_saving(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &SavingInput,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        authz::manage_opportunity(actor.caller, &o)?;
        let mut check = Check::default();
        let year = check.choice(
            "financial_year",
            parse_financial_year(&input.financial_year),
        );
        let kind = check.choice("kind", SavingKind::parse(&input.kind));
        let cashable = check.choice("cashable", parse_yes_no(&input.cashable));
        let organisation_id = check.optional_id("organisation_id", &input.organisation_id);
        let known = match organisation_id {
            Some(org) => {
                organisations::table
                    .find(org)
                    .count()
                    .get_result::<i64>(conn)?
                    == 1
            }
            None => false,
        };
        if !known {
            check.fail("organisation_id", "Choose the organisation that saves");
        }
        let amount = check.choice("amount", parse_pence(&input.amount));
        let cost = if input.one_off_cost.trim().is_empty() {
            Some(0)
        } else {
            check.choice("one_off_cost", parse_pence(&input.one_off_cost))
        };
        let note = check.text("note", &input.note, 1000, "");
        check.done()?;
        let (Some(year), Some(kind), Some(cashable), Some(org), Some(amount), Some(cost)) =
            (year, kind, cashable, organisation_id, amount, cost)
        else {
            return Err(AppError::BadRequest("Check the form".into()));
        };
        let saving_id = diesel::insert_into(savings::table)
            .values((
                savings::opportunity_id.eq(id),
                savings::financial_year.eq(year),
                savings::kind.eq(kind.as_str()),
                savings::cashable.eq(cashable),
                savings::organisation_id.eq(org),
                savings::amount_pence.eq(amount),
                savings::one_off_cost_pence.eq(cost),
                savings::note.eq(&note),
                savings::created_by.eq(actor.caller.user_id),
                savings::created_at.eq(now()),
            ))
            .returning(savings::id)
            .get_result(conn)?;
        diesel::update(opportunities::table.find(id))
            .set(opportunities::updated_at.eq(now()))
            .execute(conn)?;
        record(
            conn,
            actor,
            &o,
            "opportunity.saving_added",
            json!({ "financial_year": financial_year_label(year), "kind": kind.as_str(), "amount_pence": amount, "cashable": cashable }),
        )?;
        Ok(saving_id)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct BarrierInput {
    pub category: String,
    pub description: String,
    pub severity: String,
    pub owner: String,
    pub status: String,
    pub mitigation: String,
}

struct BarrierFields {
    category: BarrierCategory,
    description: String,
    severity: Severity,
    owner: String,
    status: BarrierStatus,
    mitigation: String,
}

fn parse_barrier(input: &BarrierInput) -> AppResult<BarrierFields> {
    let mut check = Check::default();
    let category = check.choice("category", BarrierCategory::parse(&input.category));
    let description = check.text(
        "description",
        &input.description,
        2000,
        "Describe the barrier",
    );
    let severity = check.choice("severity", Severity::parse(&input.severity));
    let owner = check.text("owner", &input.owner, 200, "");
    let status = if input.status.trim().is_empty() {
        Some(BarrierStatus::Open)
    } else {
        check.choice("status", BarrierStatus::parse(&input.status))
    };
    let mitigation = check.text("mitigation", &input.mitigation, 2000, "");
    check.done()?;
    match (category, severity, status) {
        (Some(category), Some(severity), Some(status)) => Ok(BarrierFields {
            category,
            description,
            severity,
            owner,
            status,
            mitigation,
        }),
        _ => Err(AppError::BadRequest("Check the form".into())),
    }
}

pub fn add_barrier(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &BarrierInput,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        authz::manage_opportunity(actor.caller, &o)?;
        let f = parse_barrier(input)?;
        let at = now();
        let barrier_id = diesel::insert_into(barriers::table)
            .values((
                barriers::opportunity_id.eq(id),
                barriers::category.eq(f.category.as_str()),
                barriers::description.eq(&f.description),
                barriers::severity.eq(f.severity.as_str()),
                barriers::owner.eq(&f.owner),
                barriers::status.eq(f.status.as_str()),
                barriers::mitigation.eq(&f.mitigation),
                barriers::created_at.eq(at),
                barriers::updated_at.eq(at),
            ))
            .returning(barriers::id)
            .get_result(conn)?;
        diesel::update(opportunities::table.find(id))
            .set(opportunities::updated_at.eq(at))
            .execute(conn)?;
        search::reindex(conn, id)?;
        record(
            conn,
            actor,
            &o,
            "opportunity.barrier_added",
            json!({ "category": f.category.as_str(), "severity": f.severity.as_str() }),
        )?;
        Ok(barrier_id)
    })
}

pub fn update_barrier(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    barrier_id: i64,
    input: &BarrierInput,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        authz::manage_opportunity(actor.caller, &o)?;
        let f = parse_barrier(input)?;
        let changed = diesel::update(
            barriers::table
                .find(barrier_id)
                .filter(barriers::opportunity_id.eq(id)),
        )
        .set((
            barriers::category.eq(f.category.as_str()),
            barriers::description.eq(&f.description),
            barriers::severity.eq(f.severity.as_str()),
            barriers::owner.eq(&f.owner),
            barriers::status.eq(f.status.as_str()),
            barriers::mitigation.eq(&f.mitigation),
            barriers::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::NotFound);
        }
        search::reindex(conn, id)?;
        Ok(record(
            conn,
            actor,
            &o,
            "opportunity.barrier_updated",
            json!({ "barrier": barrier_id, "status": f.status.as_str() }),
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InterestInput {
    pub note: String,
}

/// "We want in": one per organisation; registering again replaces the note.
pub fn register_interest(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &InterestInput,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        authz::register_interest(actor.caller, &o)?;
        let mut check = Check::default();
        let note = check.text("note", &input.note, 1000, "");
        check.done()?;
        let org = actor.caller.organisation_id;
        let updated = diesel::update(
            endorsements::table
                .filter(endorsements::opportunity_id.eq(id))
                .filter(endorsements::organisation_id.eq(org)),
        )
        .set((
            endorsements::note.eq(&note),
            endorsements::user_id.eq(actor.caller.user_id),
        ))
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(endorsements::table)
                .values((
                    endorsements::opportunity_id.eq(id),
                    endorsements::organisation_id.eq(org),
                    endorsements::user_id.eq(actor.caller.user_id),
                    endorsements::note.eq(&note),
                    endorsements::created_at.eq(now()),
                ))
                .execute(conn)?;
        }
        Ok(record(
            conn,
            actor,
            &o,
            "opportunity.interest_registered",
            json!({ "organisation": actor.caller.organisation_name }),
        )?)
    })
}

pub fn withdraw_interest(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<()> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        authz::register_interest(actor.caller, &o)?;
        let removed = diesel::delete(
            endorsements::table
                .filter(endorsements::opportunity_id.eq(id))
                .filter(endorsements::organisation_id.eq(actor.caller.organisation_id)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Err(AppError::NotFound);
        }
        Ok(record(
            conn,
            actor,
            &o,
            "opportunity.interest_withdrawn",
            json!({ "organisation": actor.caller.organisation_name }),
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CommentInput {
    pub body: String,
    /// A stage to propose moving to, or empty.
    pub proposed_stage: String,
}

/// Anyone who can see the opportunity may comment, and propose a move.
pub fn comment(conn: &mut DbConn, actor: &Actor, id: i64, input: &CommentInput) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let o = queries::load(conn, id, Some(actor.caller))?;
        let mut check = Check::default();
        let body = check.text("body", &input.body, 5000, "Enter a comment");
        let proposed = match input.proposed_stage.trim() {
            "" => None,
            value => check.choice("proposed_stage", Stage::parse(value)),
        };
        if let (Some(to), Ok(from)) = (proposed, Stage::parse(&o.stage)) {
            if !from.can_move_to(to) {
                check.fail(
                    "proposed_stage",
                    "That move is not possible from the current stage",
                );
            }
        }
        check.done()?;
        let comment_id = diesel::insert_into(opportunity_comments::table)
            .values((
                opportunity_comments::opportunity_id.eq(id),
                opportunity_comments::author_user_id.eq(actor.caller.user_id),
                opportunity_comments::organisation_id.eq(actor.caller.organisation_id),
                opportunity_comments::body.eq(&body),
                opportunity_comments::proposed_stage.eq(proposed.map(|s| s.as_str())),
                opportunity_comments::created_at.eq(now()),
            ))
            .returning(opportunity_comments::id)
            .get_result(conn)?;
        record(
            conn,
            actor,
            &o,
            "opportunity.commented",
            json!({ "proposed_stage": proposed.map(|s| s.as_str()) }),
        )?;
        Ok(comment_id)
    })
}
