//! Moving an opportunity through the pipeline, and the moves it has made: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Actor;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::service::{managing, record, reload};
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
    managing(conn, actor, id, |conn, current| {
        let mut check = Check::default();
        let to = check.choice("to", Stage::parse(&input.to));
        let note = check.text("note", &input.note, 2000, "");
        let from = current.stage;
        if let Some(to) = to {
            if to == Stage::Declined && note.is_empty() {
                check.fail("note", "Give the reason it was declined");
            }
        }
        check.done()?;
        let to = to.ok_or_else(|| AppError::BadRequest("Check the form".into()))?;
        if !from.can_move_to(to) {
            // A well-formed request the opportunity's present stage does not allow.
            return Err(AppError::conflict_on(
                "to",
                &format!(
                    "An opportunity cannot move from {} to {}",
                    from.label(),
                    to.label()
                ),
            ));
        }
        move_to(conn, actor, &current, from, to, &note)
    })
}

/// An opportunity that has only just been logged, placed where a register brought in from
/// a spreadsheet already had it: from "idea" to any stage, as one recorded move.
pub fn start_at(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    stage: Stage,
    note: &str,
) -> AppResult<Opportunity> {
    managing(conn, actor, id, |conn, current| {
        if current.stage != Stage::Idea {
            return Err(AppError::field(
                "stage",
                "Only a new idea can be placed at a stage",
            ));
        }
        move_to(conn, actor, &current, Stage::Idea, stage, note)
    })
}

/// The move itself: the stage, the pipeline's record of it, the event and the audit entry.
fn move_to(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Opportunity,
    from: Stage,
    to: Stage,
    note: &str,
) -> AppResult<Opportunity> {
    let at = now();
    diesel::update(opportunities::table.find(current.id))
        .set((
            opportunities::stage.eq(to.as_str()),
            opportunities::stage_changed_at.eq(at),
            opportunities::updated_at.eq(at),
        ))
        .execute(conn)?;
    diesel::insert_into(opportunity_transitions::table)
        .values(NewTransition {
            opportunity_id: current.id,
            from_stage: from,
            to_stage: to,
            note,
            actor_user_id: actor.caller.user_id,
            created_at: at,
        })
        .execute(conn)?;
    let o = reload(conn, current.id)?;
    record(
        conn,
        actor,
        &o,
        "opportunity.moved",
        json!({ "from": from.as_str(), "to": to.as_str(), "note": note }),
    )?;
    Ok(o)
}
