//! Comments on an opportunity, which may propose a move: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Actor;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::opportunities::service::record;
use crate::schema::opportunity_comments;
use crate::validate::Check;

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
        check.done()?;
        if proposed.is_some_and(|to| !o.stage.can_move_to(to)) {
            // A well-formed proposal the opportunity's present stage does not allow.
            return Err(AppError::conflict_on(
                "proposed_stage",
                "That move is not possible from the current stage",
            ));
        }
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
