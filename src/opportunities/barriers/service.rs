//! Barriers in the way of an opportunity, and how they are being dealt with: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Actor;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::search;
use crate::opportunities::service::{managing, record};
use crate::schema::{barriers, opportunities};
use crate::validate::Check;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct BarrierInput {
    pub category: String,
    pub description: String,
    pub severity: String,
    pub owner: String,
    pub status: String,
    pub mitigation: String,
}

/// A barrier's own fields, checked: both the insert of a new barrier and the update of one.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = barriers)]
struct BarrierFields {
    category: BarrierCategory,
    description: String,
    severity: Severity,
    owner: String,
    status: BarrierStatus,
    mitigation: String,
}

fn parse_barrier(input: &BarrierInput) -> AppResult<BarrierFields> {
    let mut check = Check::default();
    let category = check.choice("category", BarrierCategory::parse(&input.category));
    let description = check.text(
        "description",
        &input.description,
        2000,
        "Describe the barrier",
    );
    let severity = check.choice("severity", Severity::parse(&input.severity));
    let owner = check.text("owner", &input.owner, 200, "");
    let status = if input.status.trim().is_empty() {
        Some(BarrierStatus::Open)
    } else {
        check.choice("status", BarrierStatus::parse(&input.status))
    };
    let mitigation = check.text("mitigation", &input.mitigation, 2000, "");
    check.done()?;
    match (category, severity, status) {
        (Some(category), Some(severity), Some(status)) => Ok(BarrierFields {
            category,
            description,
            severity,
            owner,
            status,
            mitigation,
        }),
        _ => Err(AppError::BadRequest("Check the form".into())),
    }
}

pub fn add_barrier(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &BarrierInput,
) -> AppResult<i64> {
    managing(conn, actor, id, |conn, o| {
        let f = parse_barrier(input)?;
        let at = now();
        let barrier_id = diesel::insert_into(barriers::table)
            .values((
                barriers::opportunity_id.eq(id),
                &f,
                barriers::created_at.eq(at),
                barriers::updated_at.eq(at),
            ))
            .returning(barriers::id)
            .get_result(conn)?;
        diesel::update(opportunities::table.find(id))
            .set(opportunities::updated_at.eq(at))
            .execute(conn)?;
        search::reindex(conn, id)?;
        record(
            conn,
            actor,
            &o,
            "opportunity.barrier_added",
            json!({ "category": f.category.as_str(), "severity": f.severity.as_str() }),
        )?;
        Ok(barrier_id)
    })
}

pub fn update_barrier(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    barrier_id: i64,
    input: &BarrierInput,
) -> AppResult<()> {
    managing(conn, actor, id, |conn, o| {
        let f = parse_barrier(input)?;
        let changed = diesel::update(
            barriers::table
                .find(barrier_id)
                .filter(barriers::opportunity_id.eq(id)),
        )
        .set((&f, barriers::updated_at.eq(now())))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::NotFound);
        }
        search::reindex(conn, id)?;
        Ok(record(
            conn,
            actor,
            &o,
            "opportunity.barrier_updated",
            json!({ "barrier": barrier_id, "status": f.status.as_str() }),
        )?)
    })
}
