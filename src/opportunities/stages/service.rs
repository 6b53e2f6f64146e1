//! Moving an opportunity through the pipeline, and the moves it has made: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Actor;
use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::opportunities::service::{record, reload};
use crate::schema::{opportunities, opportunity_transitions};
use crate::validate::Check;

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
