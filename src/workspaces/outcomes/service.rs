//! The outcomes a workspace works towards: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::AppResult;
use crate::schema::outcomes;
use crate::validate::Check;
use crate::workspaces::queries::Access;

use crate::auth::Actor;
use crate::workspaces::service::record;

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
