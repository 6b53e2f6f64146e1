//! Actions (must-dos) of a workspace, with their milestones: the changes.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::schema::{actions, milestones, users};
use crate::validate::Check;
use crate::workspaces::model::*;
use crate::workspaces::queries::{self, Access};

use crate::auth::Actor;
use crate::workspaces::service::{follow, record};

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

impl ActionInput {
    /// A new action's form: not started, no progress, green.
    pub fn starting() -> ActionInput {
        ActionInput {
            status: "not_started".into(),
            progress: "0".into(),
            rag: "green".into(),
            ..ActionInput::default()
        }
    }

    /// The action's values, as its form starts from them.
    pub fn of(a: &Action) -> ActionInput {
        let text = |v: Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
        ActionInput {
            title: a.title.clone(),
            description: a.description.clone(),
            owner_organisation_id: a.owner_organisation_id.to_string(),
            owner_user_id: a.owner_user_id.map(|i| i.to_string()).unwrap_or_default(),
            start_date: text(a.start_date),
            due_date: text(a.due_date),
            status: a.status.to_string(),
            progress: a.progress.to_string(),
            rag: a.rag.to_string(),
            rag_reason: a.rag_reason.clone(),
        }
    }
}

/// An action's own fields, checked: both the insert of a new action and the update of one.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = actions, treat_none_as_null = true)]
struct ActionDetails {
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
) -> AppResult<ActionDetails> {
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
    let (start_date, due_date) = dates(&mut check, input);
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
    check_owner(
        conn,
        &mut check,
        access,
        owner_organisation_id,
        owner_user_id,
    )?;
    check.done()?;
    match (status, rag) {
        (Some(status), Some(rag)) => Ok(ActionDetails {
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

/// The start and due dates, the due date on or after the start.
fn dates(check: &mut Check, input: &ActionInput) -> (Option<NaiveDate>, Option<NaiveDate>) {
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
    (start_date, due_date)
}

/// The owning organisation must be in the workspace, and the owning person must work for it.
fn check_owner(
    conn: &mut DbConn,
    check: &mut Check,
    access: &Access,
    owner_organisation_id: i64,
    owner_user_id: Option<i64>,
) -> AppResult<()> {
    if owner_organisation_id > 0
        && queries::membership(conn, access.ws.id, owner_organisation_id)?.is_none()
    {
        check.unknown(
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
            check.unknown(
                "owner_user_id",
                "The person must work for the owning organisation",
            );
        }
    }
    Ok(())
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
                &f,
                actions::workspace_id.eq(access.ws.id),
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
            .set((&f, actions::updated_at.eq(now())))
            .execute(conn)?;
        let kind = if current.action.rag != f.rag {
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
