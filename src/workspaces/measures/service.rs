//! Measures of a workspace and the readings recorded against them: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::schema::measures;
use crate::validate::Check;
use crate::workspaces::model::*;
use crate::workspaces::queries::{self, Access};

use crate::auth::Actor;
use crate::workspaces::service::record;

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
            check.unknown("outcome_id", "Choose the outcome this measures");
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
