//! Organisations registering interest in joining an opportunity: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Actor;
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::service::{change_opportunity, record};
use crate::schema::endorsements;
use crate::validate::Check;

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
    change_opportunity(conn, actor, id, authz::register_interest, |conn, o| {
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
    change_opportunity(conn, actor, id, authz::register_interest, |conn, o| {
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
