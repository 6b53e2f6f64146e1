//! Savings recorded against an opportunity: estimated, validated and realised: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Actor;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::*;
use crate::opportunities::service::{managing, record};
use crate::schema::{opportunities, organisations, savings};
use crate::validate::Check;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SavingInput {
    /// Like 2026/27.
    pub financial_year: String,
    pub kind: String,
    /// "yes" or "no".
    pub cashable: String,
    pub organisation_id: String,
    /// Like £1,234.56.
    pub amount: String,
    /// Like £1,234.56; empty for none.
    pub one_off_cost: String,
    pub note: String,
}

fn parse_yes_no(value: &str) -> Result<bool, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" => Ok(true),
        "no" | "false" | "n" => Ok(false),
        _ => Err("Say whether the saving is cashable"),
    }
}

/// A savings line as checked, ready to write.
#[derive(Insertable)]
#[diesel(table_name = savings)]
struct NewSaving {
    financial_year: i32,
    kind: SavingKind,
    cashable: bool,
    organisation_id: i64,
    amount_pence: i64,
    one_off_cost_pence: i64,
    note: String,
}

/// The line the form or file gives, checked: every field's error at once.
fn checked_saving(conn: &mut DbConn, input: &SavingInput) -> AppResult<NewSaving> {
    let mut check = Check::default();
    let year = check.choice(
        "financial_year",
        parse_financial_year(&input.financial_year),
    );
    let kind = check.choice("kind", SavingKind::parse(input.kind.trim()));
    let cashable = check.choice("cashable", parse_yes_no(&input.cashable));
    let organisation_id = check.optional_id("organisation_id", &input.organisation_id);
    let known = match organisation_id {
        Some(org) => {
            organisations::table
                .find(org)
                .count()
                .get_result::<i64>(conn)?
                == 1
        }
        None => false,
    };
    if !known {
        check.unknown("organisation_id", "Choose the organisation that saves");
    }
    let amount = check.choice("amount", parse_pence(&input.amount));
    let cost = if input.one_off_cost.trim().is_empty() {
        Some(0)
    } else {
        check.choice("one_off_cost", parse_pence(&input.one_off_cost))
    };
    let note = check.text("note", &input.note, 1000, "");
    check.done()?;
    let (Some(year), Some(kind), Some(cashable), Some(org), Some(amount), Some(cost)) =
        (year, kind, cashable, organisation_id, amount, cost)
    else {
        return Err(AppError::BadRequest("Check the form".into()));
    };
    Ok(NewSaving {
        financial_year: year,
        kind,
        cashable,
        organisation_id: org,
        amount_pence: amount,
        one_off_cost_pence: cost,
        note,
    })
}

/// Writes the line, touches the opportunity and records the event; the line's id.
fn insert_saving(
    conn: &mut DbConn,
    actor: &Actor,
    o: &Opportunity,
    new: &NewSaving,
) -> AppResult<i64> {
    let saving_id = diesel::insert_into(savings::table)
        .values((
            savings::opportunity_id.eq(o.id),
            new,
            savings::created_by.eq(actor.caller.user_id),
            savings::created_at.eq(now()),
        ))
        .returning(savings::id)
        .get_result(conn)?;
    diesel::update(opportunities::table.find(o.id))
        .set(opportunities::updated_at.eq(now()))
        .execute(conn)?;
    record(
        conn,
        actor,
        o,
        "opportunity.saving_added",
        json!({ "financial_year": financial_year_label(new.financial_year), "kind": new.kind.as_str(), "amount_pence": new.amount_pence, "cashable": new.cashable }),
    )?;
    Ok(saving_id)
}

pub fn add_saving(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &SavingInput,
) -> AppResult<i64> {
    managing(conn, actor, id, |conn, o| {
        let new = checked_saving(conn, input)?;
        insert_saving(conn, actor, &o, &new)
    })
}

/// The figure an organisation gives for one year and kind, in place of any it gave before:
/// importing the same year's figures again replaces them rather than adding to them. Gives
/// the line's id and whether anything changed: the same figure again writes nothing.
pub fn replace_saving(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &SavingInput,
) -> AppResult<(i64, bool)> {
    managing(conn, actor, id, |conn, o| {
        let new = checked_saving(conn, input)?;
        let same_year = savings::table
            .filter(savings::opportunity_id.eq(id))
            .filter(savings::financial_year.eq(new.financial_year))
            .filter(savings::kind.eq(new.kind))
            .filter(savings::organisation_id.eq(new.organisation_id));
        let given: Vec<Saving> = same_year.select(Saving::as_select()).load(conn)?;
        if let [line] = given.as_slice() {
            let same = (
                line.cashable,
                line.amount_pence,
                line.one_off_cost_pence,
                &line.note,
            ) == (
                new.cashable,
                new.amount_pence,
                new.one_off_cost_pence,
                &new.note,
            );
            if same {
                return Ok((line.id, false));
            }
        }
        diesel::delete(same_year).execute(conn)?;
        Ok((insert_saving(conn, actor, &o, &new)?, true))
    })
}
