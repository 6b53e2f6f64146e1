//! The organisations that are members of a workspace, and their roles: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::validate::Check;
use crate::workspaces::model::*;
use crate::workspaces::queries::{self, Access};

use crate::auth::Actor;
use crate::workspaces::service::record;

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
            .ok_or_else(|| AppError::unknown("organisation_id", "Choose an organisation"))?;
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
