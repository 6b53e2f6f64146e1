//! Changes to workspaces: each checks permission, validates, writes, and records an event
//! and an audit entry in one transaction. Inputs arrive as text (forms and JSON alike) and
//! are parsed here, so bad input gets the same clear answer everywhere.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::*;
use super::queries::{self, Access};
use crate::audit::{self, Entry};
use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::organisations::model::parse_slug;
use crate::schema::{actions, comments, measures, milestones, outcomes, posts, users, workspaces};
use crate::validate::Check;

pub use crate::auth::Actor;

fn event_visibility(ws: &Workspace) -> Visibility {
    match ws.visibility.as_str() {
        "public" => Visibility::Public,
        "partners" => Visibility::Partners,
        _ => Visibility::Members,
    }
}

/// People follow the workspaces they post in or own actions in.
fn follow(conn: &mut DbConn, user_id: i64, workspace_id: i64) -> QueryResult<()> {
    crate::notifications::subscriptions::auto_follow(
        conn,
        user_id,
        crate::notifications::model::TargetKind::Workspace,
        workspace_id,
    )
}

/// The event and the audit entry for a change.
fn record(
    conn: &mut DbConn,
    actor: &Actor,
    ws: &Workspace,
    kind: &str,
    target: (&str, i64),
    title: &str,
) -> QueryResult<()> {
    let caller = actor.caller;
    events::emit(
        conn,
        NewEvent {
            kind,
            actor_user_id: Some(caller.user_id),
            organisation_id: Some(caller.organisation_id),
            target_kind: target.0,
            target_id: target.1.to_string(),
            workspace_id: Some(ws.id),
            visibility: event_visibility(ws),
            payload: json!({
                "title": title,
                "actor": caller.name,
                "organisation": caller.organisation_name,
                "workspace": ws.slug,
            }),
        },
    )?;
    audit::record(
        conn,
        Entry::new(kind)
            .actor(caller.user_id, caller.organisation_id)
            .target(target.0, target.1)
            .ip(actor.ip)
            .details(json!({ "workspace": ws.slug, "title": title })),
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct WorkspaceInput {
    pub name: String,
    pub slug: String,
    pub summary: String,
    pub kind: String,
    pub visibility: String,
}

struct WorkspaceFields {
    name: String,
    summary: String,
    visibility: WorkspaceVisibility,
}

fn parse_workspace(check: &mut Check, input: &WorkspaceInput) -> Option<WorkspaceFields> {
    let name = check.text("name", &input.name, 120, "Enter a name");
    let summary = check.text("summary", &input.summary, 5000, "Enter a summary");
    let visibility = check.choice("visibility", WorkspaceVisibility::parse(&input.visibility))?;
    Some(WorkspaceFields {
        name,
        summary,
        visibility,
    })
}

pub fn create_workspace(
    conn: &mut DbConn,
    actor: &Actor,
    input: &WorkspaceInput,
) -> AppResult<Workspace> {
    authz::create_workspace(actor.caller)?;
    write_tx(conn, |conn| {
        let mut check = Check::default();
        let fields = parse_workspace(&mut check, input);
        let slug_source = if input.slug.trim().is_empty() {
            crate::organisations::model::slug_from_name(&input.name)
        } else {
            input.slug.clone()
        };
        let slug = check.choice("slug", parse_slug(&slug_source));
        let kind = check.choice("kind", WorkspaceKind::parse(&input.kind));
        if let Some(slug) = &slug {
            if queries::find_by_slug(conn, slug).optional()?.is_some() {
                check.fail("slug", "A workspace with this short name already exists");
            }
        }
        check.done()?;
        let (Some(fields), Some(slug), Some(kind)) = (fields, slug, kind) else {
            return Err(AppError::BadRequest("Check the form".into()));
        };
        let at = now();
        let id: i64 = diesel::insert_into(workspaces::table)
            .values((
                workspaces::slug.eq(&slug),
                workspaces::name.eq(&fields.name),
                workspaces::summary.eq(&fields.summary),
                workspaces::kind.eq(kind.as_str()),
                workspaces::visibility.eq(fields.visibility.as_str()),
                workspaces::created_at.eq(at),
                workspaces::updated_at.eq(at),
            ))
            .returning(workspaces::id)
            .get_result(conn)?;
        let ws = queries::find_by_slug(conn, &slug)?;
        record(
            conn,
            actor,
            &ws,
            "workspace.created",
            ("workspace", id),
            &ws.name,
        )?;
        Ok(ws)
    })
}

/// Name, summary and visibility; the short name and kind stay.
pub fn update_workspace(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &WorkspaceInput,
) -> AppResult<()> {
    authz::manage_workspaces(actor.caller)?;
    let mut check = Check::default();
    let fields = parse_workspace(&mut check, input);
    check.done()?;
    let fields = fields.ok_or_else(|| AppError::BadRequest("Check the form".into()))?;
    write_tx(conn, |conn| {
        diesel::update(workspaces::table.find(access.ws.id))
            .set((
                workspaces::name.eq(&fields.name),
                workspaces::summary.eq(&fields.summary),
                workspaces::visibility.eq(fields.visibility.as_str()),
                workspaces::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let updated = queries::find_by_slug(conn, &access.ws.slug)?;
        Ok(record(
            conn,
            actor,
            &updated,
            "workspace.updated",
            ("workspace", access.ws.id),
            &fields.name,
        )?)
    })
}

pub fn set_archived(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    archived: bool,
) -> AppResult<()> {
    authz::manage_workspaces(actor.caller)?;
    write_tx(conn, |conn| {
        diesel::update(workspaces::table.find(access.ws.id))
            .set((
                workspaces::archived_at.eq(archived.then(now)),
                workspaces::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let kind = if archived {
            "workspace.archived"
        } else {
            "workspace.restored"
        };
        Ok(record(
            conn,
            actor,
            &access.ws,
            kind,
            ("workspace", access.ws.id),
            &access.ws.name,
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MemberInput {
    pub organisation_id: String,
    pub role: String,
}

pub fn set_member(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &MemberInput,
) -> AppResult<()> {
    authz::manage_members(actor.caller, &access.ws, access.membership)?;
    let mut check = Check::default();
    let organisation_id = check.id(
        "organisation_id",
        &input.organisation_id,
        "Choose an organisation",
    );
    let role = check.choice("role", MemberRole::parse(&input.role));
    check.done()?;
    let role = role.ok_or_else(|| AppError::BadRequest("Check the form".into()))?;
    write_tx(conn, |conn| {
        let organisation = crate::organisations::queries::find(conn, organisation_id)
            .optional()?
            .ok_or_else(|| AppError::field("organisation_id", "Choose an organisation"))?;
        let added = queries::set_member(conn, access.ws.id, organisation_id, role)?;
        let kind = if added {
            "workspace.member_added"
        } else {
            "workspace.member_changed"
        };
        let title = format!("{} ({})", organisation.name, role.label());
        Ok(record(
            conn,
            actor,
            &access.ws,
            kind,
            ("organisation", organisation_id),
            &title,
        )?)
    })
}

pub fn remove_member(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    organisation_id: i64,
) -> AppResult<()> {
    authz::manage_members(actor.caller, &access.ws, access.membership)?;
    write_tx(conn, |conn| {
        let organisation = crate::organisations::queries::find(conn, organisation_id)?;
        if queries::remove_member(conn, access.ws.id, organisation_id)? == 0 {
            return Err(AppError::NotFound);
        }
        Ok(record(
            conn,
            actor,
            &access.ws,
            "workspace.member_removed",
            ("organisation", organisation_id),
            &organisation.name,
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PostInput {
    pub title: String,
    pub body: String,
}

fn parse_post(input: &PostInput) -> AppResult<(String, String)> {
    let mut check = Check::default();
    let title = check.text("title", &input.title, 200, "Enter a title");
    let body = check.text("body", &input.body, 20_000, "Enter the update");
    check.done()?;
    Ok((title, body))
}

pub fn create_post(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &PostInput,
) -> AppResult<i64> {
    authz::contribute(actor.caller, &access.ws, access.membership)?;
    let (title, body) = parse_post(input)?;
    write_tx(conn, |conn| {
        let at = now();
        let id = diesel::insert_into(posts::table)
            .values((
                posts::workspace_id.eq(access.ws.id),
                posts::author_user_id.eq(actor.caller.user_id),
                posts::organisation_id.eq(actor.caller.organisation_id),
                posts::title.eq(&title),
                posts::body.eq(&body),
                posts::created_at.eq(at),
                posts::updated_at.eq(at),
            ))
            .returning(posts::id)
            .get_result(conn)?;
        follow(conn, actor.caller.user_id, access.ws.id)?;
        record(
            conn,
            actor,
            &access.ws,
            "post.created",
            ("post", id),
            &title,
        )?;
        Ok(id)
    })
}

pub fn update_post(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    post_id: i64,
    input: &PostInput,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let post = queries::find_post(conn, access.ws.id, post_id)?;
        authz::edit_post(
            actor.caller,
            &access.ws,
            access.membership,
            post.item.author_user_id,
        )?;
        let (title, body) = parse_post(input)?;
        diesel::update(posts::table.find(post_id))
            .set((
                posts::title.eq(&title),
                posts::body.eq(&body),
                posts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(record(
            conn,
            actor,
            &access.ws,
            "post.edited",
            ("post", post_id),
            &title,
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CommentInput {
    pub body: String,
}

pub fn create_comment(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    post_id: i64,
    input: &CommentInput,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let post = queries::find_post(conn, access.ws.id, post_id)?;
        authz::comment(actor.caller, &access.ws, access.membership)?;
        let mut check = Check::default();
        let body = check.text("body", &input.body, 5000, "Enter a comment");
        check.done()?;
        let id = diesel::insert_into(comments::table)
            .values((
                comments::post_id.eq(post_id),
                comments::author_user_id.eq(actor.caller.user_id),
                comments::organisation_id.eq(actor.caller.organisation_id),
                comments::body.eq(&body),
                comments::created_at.eq(now()),
            ))
            .returning(comments::id)
            .get_result(conn)?;
        record(
            conn,
            actor,
            &access.ws,
            "comment.created",
            ("post", post_id),
            &post.item.title,
        )?;
        Ok(id)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ActionInput {
    pub title: String,
    pub description: String,
    pub owner_organisation_id: String,
    pub owner_user_id: String,
    pub start_date: String,
    pub due_date: String,
    pub status: String,
    pub progress: String,
    pub rag: String,
    pub rag_reason: String,
}

struct ActionFields {
    title: String,
    description: String,
    owner_organisation_id: i64,
    owner_user_id: Option<i64>,
    start_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    status: ActionStatus,
    progress: i32,
    rag: Rag,
    rag_reason: String,
}

fn parse_action(
    conn: &mut DbConn,
    access: &Access,
    input: &ActionInput,
) -> AppResult<ActionFields> {
    let mut check = Check::default();
    let title = check.text("title", &input.title, 200, "Enter a title");
    let description = check.text("description", &input.description, 5000, "");
    let owner_organisation_id = check.id(
        "owner_organisation_id",
        &input.owner_organisation_id,
        "Choose the organisation that owns this action",
    );
    let owner_user_id = match input.owner_user_id.trim() {
        "" => None,
        id => Some(check.id("owner_user_id", id, "Choose a person")),
    };
    let start_date = check.date("start_date", &input.start_date, false);
    let due_date = check.date("due_date", &input.due_date, false);
    if let (Some(start), Some(due)) = (start_date, due_date) {
        if due < start {
            check.fail(
                "due_date",
                "The due date must be on or after the start date",
            );
        }
    }
    let status = check.choice("status", ActionStatus::parse(&input.status));
    let progress = match input.progress.trim().parse::<i32>() {
        Ok(p) if (0..=100).contains(&p) => p,
        _ => {
            check.fail("progress", "Enter progress as a whole number from 0 to 100");
            0
        }
    };
    let rag = check.choice("rag", Rag::parse(&input.rag));
    let rag_reason = check.text("rag_reason", &input.rag_reason, 1000, "");
    if matches!(rag, Some(Rag::Red | Rag::Amber)) && rag_reason.is_empty() {
        check.fail("rag_reason", "Say why this action is red or amber");
    }
    if owner_organisation_id > 0
        && queries::membership(conn, access.ws.id, owner_organisation_id)?.is_none()
    {
        check.fail(
            "owner_organisation_id",
            "The owner must be an organisation in this workspace",
        );
    }
    if let Some(user_id) = owner_user_id.filter(|id| *id > 0) {
        let org: Option<i64> = users::table
            .find(user_id)
            .select(users::organisation_id)
            .first(conn)
            .optional()?;
        if org != Some(owner_organisation_id) {
            check.fail(
                "owner_user_id",
                "The person must work for the owning organisation",
            );
        }
    }
    check.done()?;
    match (status, rag) {
        (Some(status), Some(rag)) => Ok(ActionFields {
            title,
            description,
            owner_organisation_id,
            owner_user_id,
            start_date,
            due_date,
            status,
            progress,
            rag,
            rag_reason: if rag == Rag::Green {
                String::new()
            } else {
                rag_reason
            },
        }),
        _ => Err(AppError::BadRequest("Check the form".into())),
    }
}

pub fn create_action(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &ActionInput,
) -> AppResult<i64> {
    authz::contribute(actor.caller, &access.ws, access.membership)?;
    write_tx(conn, |conn| {
        let f = parse_action(conn, access, input)?;
        let at = now();
        let id = diesel::insert_into(actions::table)
            .values((
                actions::workspace_id.eq(access.ws.id),
                actions::title.eq(&f.title),
                actions::description.eq(&f.description),
                actions::owner_organisation_id.eq(f.owner_organisation_id),
                actions::owner_user_id.eq(f.owner_user_id),
                actions::start_date.eq(f.start_date),
                actions::due_date.eq(f.due_date),
                actions::status.eq(f.status.as_str()),
                actions::progress.eq(f.progress),
                actions::rag.eq(f.rag.as_str()),
                actions::rag_reason.eq(&f.rag_reason),
                actions::created_at.eq(at),
                actions::updated_at.eq(at),
            ))
            .returning(actions::id)
            .get_result(conn)?;
        follow(conn, actor.caller.user_id, access.ws.id)?;
        if let Some(owner) = f.owner_user_id {
            follow(conn, owner, access.ws.id)?;
        }
        record(
            conn,
            actor,
            &access.ws,
            "action.created",
            ("action", id),
            &f.title,
        )?;
        Ok(id)
    })
}

pub fn update_action(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    action_id: i64,
    input: &ActionInput,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let current = queries::find_action(conn, access.ws.id, action_id)?;
        authz::edit_action(
            actor.caller,
            &access.ws,
            access.membership,
            current.action.owner_organisation_id,
        )?;
        let f = parse_action(conn, access, input)?;
        diesel::update(actions::table.find(action_id))
            .set((
                actions::title.eq(&f.title),
                actions::description.eq(&f.description),
                actions::owner_organisation_id.eq(f.owner_organisation_id),
                actions::owner_user_id.eq(f.owner_user_id),
                actions::start_date.eq(f.start_date),
                actions::due_date.eq(f.due_date),
                actions::status.eq(f.status.as_str()),
                actions::progress.eq(f.progress),
                actions::rag.eq(f.rag.as_str()),
                actions::rag_reason.eq(&f.rag_reason),
                actions::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let kind = if current.action.rag != f.rag.as_str() {
            "action.rag_changed"
        } else {
            "action.updated"
        };
        Ok(record(
            conn,
            actor,
            &access.ws,
            kind,
            ("action", action_id),
            &f.title,
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MilestoneInput {
    pub title: String,
    pub due_date: String,
}

pub fn create_milestone(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    action_id: i64,
    input: &MilestoneInput,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let action = queries::find_action(conn, access.ws.id, action_id)?;
        authz::edit_action(
            actor.caller,
            &access.ws,
            access.membership,
            action.action.owner_organisation_id,
        )?;
        let mut check = Check::default();
        let title = check.text("title", &input.title, 200, "Enter a title");
        let due = check.date("due_date", &input.due_date, true);
        check.done()?;
        let due = due.ok_or_else(|| AppError::field("due_date", "Enter a date"))?;
        let id = diesel::insert_into(milestones::table)
            .values((
                milestones::action_id.eq(action_id),
                milestones::title.eq(&title),
                milestones::due_date.eq(due),
                milestones::created_at.eq(now()),
            ))
            .returning(milestones::id)
            .get_result(conn)?;
        record(
            conn,
            actor,
            &access.ws,
            "milestone.created",
            ("action", action_id),
            &title,
        )?;
        Ok(id)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MilestoneDoneInput {
    /// Empty: today.
    pub done_date: String,
}

pub fn complete_milestone(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    milestone_id: i64,
    input: &MilestoneDoneInput,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let (milestone, action) = queries::find_milestone(conn, access.ws.id, milestone_id)?;
        authz::edit_action(
            actor.caller,
            &access.ws,
            access.membership,
            action.owner_organisation_id,
        )?;
        let mut check = Check::default();
        let done = check
            .date("done_date", &input.done_date, false)
            .unwrap_or_else(|| now().date());
        check.done()?;
        diesel::update(milestones::table.find(milestone_id))
            .set(milestones::done_date.eq(Some(done)))
            .execute(conn)?;
        Ok(record(
            conn,
            actor,
            &access.ws,
            "milestone.completed",
            ("action", action.id),
            &milestone.title,
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OutcomeInput {
    pub title: String,
    pub description: String,
}

pub fn create_outcome(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &OutcomeInput,
) -> AppResult<i64> {
    authz::contribute(actor.caller, &access.ws, access.membership)?;
    let mut check = Check::default();
    let title = check.text("title", &input.title, 200, "Enter the outcome");
    let description = check.text("description", &input.description, 5000, "");
    check.done()?;
    write_tx(conn, |conn| {
        let id = diesel::insert_into(outcomes::table)
            .values((
                outcomes::workspace_id.eq(access.ws.id),
                outcomes::title.eq(&title),
                outcomes::description.eq(&description),
                outcomes::created_at.eq(now()),
            ))
            .returning(outcomes::id)
            .get_result(conn)?;
        record(
            conn,
            actor,
            &access.ws,
            "outcome.created",
            ("outcome", id),
            &title,
        )?;
        Ok(id)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MeasureInput {
    pub outcome_id: String,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub baseline: String,
    pub target: String,
    pub target_date: String,
}

pub fn create_measure(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &MeasureInput,
) -> AppResult<i64> {
    authz::contribute(actor.caller, &access.ws, access.membership)?;
    write_tx(conn, |conn| {
        let mut check = Check::default();
        let outcome_id = check.id(
            "outcome_id",
            &input.outcome_id,
            "Choose the outcome this measures",
        );
        if outcome_id > 0
            && queries::find_outcome(conn, access.ws.id, outcome_id)
                .optional()?
                .is_none()
        {
            check.fail("outcome_id", "Choose the outcome this measures");
        }
        let name = check.text("name", &input.name, 200, "Enter the measure's name");
        let unit = check.text("unit", &input.unit, 40, "Enter the unit, like % or people");
        let direction = check.choice("direction", Direction::parse(&input.direction));
        let baseline = check.number("baseline", &input.baseline);
        let target = check.number("target", &input.target);
        let target_date = check.date("target_date", &input.target_date, true);
        check.done()?;
        let (Some(direction), Some(target_date)) = (direction, target_date) else {
            return Err(AppError::BadRequest("Check the form".into()));
        };
        let id = diesel::insert_into(measures::table)
            .values((
                measures::outcome_id.eq(outcome_id),
                measures::workspace_id.eq(access.ws.id),
                measures::name.eq(&name),
                measures::unit.eq(&unit),
                measures::direction.eq(direction.as_str()),
                measures::baseline.eq(baseline),
                measures::target.eq(target),
                measures::target_date.eq(target_date),
                measures::created_at.eq(now()),
            ))
            .returning(measures::id)
            .get_result(conn)?;
        record(
            conn,
            actor,
            &access.ws,
            "measure.created",
            ("measure", id),
            &name,
        )?;
        Ok(id)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ReadingInput {
    /// Like "2026/27 Q3".
    pub quarter: String,
    pub value: String,
    pub note: String,
}

pub fn record_reading(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    measure_id: i64,
    input: &ReadingInput,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let measure = queries::find_measure(conn, access.ws.id, measure_id)?;
        authz::contribute(actor.caller, &access.ws, access.membership)?;
        let mut check = Check::default();
        let quarter = check.choice("quarter", Quarter::parse(&input.quarter));
        let value = check.number("value", &input.value);
        let note = check.text("note", &input.note, 1000, "");
        check.done()?;
        let quarter =
            quarter.ok_or_else(|| AppError::field("quarter", "Enter a quarter like 2026/27 Q3"))?;
        let id = queries::set_reading(
            conn,
            measure_id,
            quarter,
            value,
            &note,
            actor.caller.user_id,
        )?;
        let title = format!("{} for {}", measure.name, quarter.label());
        record(
            conn,
            actor,
            &access.ws,
            "reading.recorded",
            ("measure", measure_id),
            &title,
        )?;
        Ok(id)
    })
}
