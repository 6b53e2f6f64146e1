//! Changes to workspaces: each checks permission, validates, writes, and records an event
//! and an audit entry in one transaction. Inputs arrive as text (forms and JSON alike) and
//! are parsed here, so bad input gets the same clear answer everywhere.

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
use crate::schema::workspaces;
use crate::validate::Check;

pub use crate::auth::Actor;

/// Who sees an event about a workspace, as the workspace is seen; one about no workspace
/// in particular is seen by partners.
fn event_visibility(ws: Option<&Workspace>) -> Visibility {
    match ws.map(|w| w.visibility.as_str()) {
        None | Some("partners") => Visibility::Partners,
        Some("public") => Visibility::Public,
        _ => Visibility::Members,
    }
}

/// People follow the workspaces they post in or own actions in.
pub(super) fn follow(conn: &mut DbConn, user_id: i64, workspace_id: i64) -> QueryResult<()> {
    crate::notifications::subscriptions::auto_follow(
        conn,
        user_id,
        crate::notifications::model::TargetKind::Workspace,
        workspace_id,
    )
}

/// A change by a member organisation's person, as it is recorded: what it was made to, in
/// which workspace (if one), what its event says besides who made it, and what its audit
/// entry says.
pub(crate) struct Change<'a> {
    pub kind: &'a str,
    pub target: (&'a str, i64),
    pub workspace: Option<&'a Workspace>,
    pub payload: serde_json::Value,
    pub details: serde_json::Value,
}

/// The event (on behalf of the actor's organisation, seen as the workspace is) and the
/// audit entry for a change.
pub(crate) fn record_change(conn: &mut DbConn, actor: &Actor, change: Change) -> QueryResult<()> {
    let caller = actor.caller;
    let mut payload = change.payload;
    payload["actor"] = json!(caller.name);
    payload["organisation"] = json!(caller.organisation_name);
    events::emit(
        conn,
        NewEvent {
            kind: change.kind,
            actor_user_id: Some(caller.user_id),
            organisation_id: Some(caller.organisation_id),
            target_kind: change.target.0,
            target_id: change.target.1.to_string(),
            workspace_id: change.workspace.map(|w| w.id),
            visibility: event_visibility(change.workspace),
            payload,
        },
    )?;
    audit::record(
        conn,
        Entry::new(change.kind)
            .actor(caller.user_id, caller.organisation_id)
            .target(change.target.0, change.target.1)
            .ip(actor.ip)
            .details(change.details),
    )
}

/// The event and the audit entry for a change in the workspace.
pub(super) fn record(
    conn: &mut DbConn,
    actor: &Actor,
    ws: &Workspace,
    kind: &str,
    target: (&str, i64),
    title: &str,
) -> QueryResult<()> {
    let change = Change {
        kind,
        target,
        workspace: Some(ws),
        payload: json!({ "title": title, "workspace": ws.slug }),
        details: json!({ "workspace": ws.slug, "title": title }),
    };
    record_change(conn, actor, change)
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

/// What can change on a workspace, checked: the update's changeset and part of a new one.
#[derive(AsChangeset, Insertable)]
#[diesel(table_name = workspaces)]
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
                &fields,
                workspaces::slug.eq(&slug),
                workspaces::kind.eq(kind),
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
            .set((&fields, workspaces::updated_at.eq(now())))
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
