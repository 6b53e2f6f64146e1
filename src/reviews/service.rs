//! Changes to reviews: each checks permission, validates, writes, and records an event and
//! an audit entry in one transaction.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::model::*;
use super::summary;
use crate::audit::{self, Entry};
use crate::auth::Actor;
use crate::authz;
use crate::db::{lock_for_append, now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::schema::{
    measures, readings, review_submissions, reviews, users, workspace_members, workspaces,
};
use crate::validate::Check;
use crate::workspaces::model::{Action, Measure, Quarter, Rag, Workspace};
use crate::workspaces::queries::{self as ws_queries, Access};
use crate::workspaces::service::{record_change, Change};

/// How many days before the deadline leads are reminded.
pub const REMIND_DAYS: i64 = 3;
const REMIND_LOCK: i64 = 7_301_006;

fn record(
    conn: &mut DbConn,
    actor: &Actor,
    review: &Review,
    kind: &str,
    workspace: Option<&Workspace>,
    title: String,
) -> QueryResult<()> {
    let change = Change {
        kind,
        target: ("review", review.id),
        workspace,
        payload: json!({ "title": title, "review": review.id }),
        details: json!({ "quarter": review.label(), "workspace": workspace.map(|w| w.slug.clone()) }),
    };
    record_change(conn, actor, change)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Review> {
    reviews::table
        .find(id)
        .select(Review::as_select())
        .first(conn)
}

/// The name of the organisation that opened the review, for "Opened by …".
pub fn opener_name(conn: &mut DbConn, review: &Review) -> QueryResult<String> {
    Ok(crate::organisations::queries::find(conn, review.organisation_id)?.name)
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Review>> {
    reviews::table
        .order((reviews::year.desc(), reviews::quarter.desc()))
        .select(Review::as_select())
        .load(conn)
}

crate::children_list!(
    submissions,
    review_submissions,
    review_id,
    Submission,
    review_submissions::id.asc()
);

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct OpenInput {
    /// A quarter with no review yet (409 if it has one).
    #[schema(required = true, value_type = crate::workspaces::model::QuarterText)]
    pub quarter: String,
    /// The date returns are due.
    #[schema(required = true, value_type = crate::validate::DateText)]
    pub deadline: String,
}

/// Opens a review for a quarter. It belongs to the opener's organisation from then on.
pub fn open(conn: &mut DbConn, actor: &Actor, input: &OpenInput) -> AppResult<Review> {
    authz::open_review(actor.caller)?;
    write_tx(conn, |conn| {
        let mut check = Check::default();
        let quarter = check.choice("quarter", Quarter::parse(&input.quarter));
        let deadline = check.date("deadline", &input.deadline, true);
        check.done()?;
        let (Some(q), Some(deadline)) = (quarter, deadline) else {
            return Err(AppError::BadRequest("Check the form".into()));
        };
        let exists: bool = diesel::select(diesel::dsl::exists(
            reviews::table
                .filter(reviews::year.eq(q.year))
                .filter(reviews::quarter.eq(q.quarter)),
        ))
        .get_result(conn)?;
        if exists {
            return Err(AppError::conflict_on(
                "quarter",
                "There is already a review for this quarter",
            ));
        }
        let id: i64 = diesel::insert_into(reviews::table)
            .values((
                reviews::year.eq(q.year),
                reviews::quarter.eq(q.quarter),
                reviews::deadline.eq(deadline),
                reviews::status.eq("open"),
                reviews::opened_by.eq(actor.caller.user_id),
                reviews::opened_at.eq(now()),
                reviews::organisation_id.eq(actor.caller.organisation_id),
            ))
            .returning(reviews::id)
            .get_result(conn)?;
        let review = find(conn, id)?;
        record(
            conn,
            actor,
            &review,
            "review.opened",
            None,
            format!("{} review opened", review.label()),
        )?;
        Ok(review)
    })
}

fn open_review(conn: &mut DbConn, id: i64) -> AppResult<Review> {
    let review = find(conn, id)?;
    if review.is_open() {
        Ok(review)
    } else {
        Err(AppError::Conflict(
            "This review has been signed off and can no longer change".into(),
        ))
    }
}

/// One action's figures as sent.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ActionInput {
    /// One of the workspace's open actions.
    #[serde(deserialize_with = "crate::validate::whole")]
    #[schema(minimum = 1)]
    pub id: i64,
    #[schema(required = true, value_type = crate::workspaces::model::Rag)]
    pub rag: String,
    /// A whole number from 0 to 100, as text.
    #[schema(required = true, pattern = "^ *(100|[1-9]?[0-9]) *$")]
    pub progress: String,
}

/// One measure's reading for the quarter as sent; empty for none.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct MeasureInput {
    /// One of the workspace's measures.
    #[serde(deserialize_with = "crate::validate::whole")]
    #[schema(minimum = 1)]
    pub id: i64,
    /// A number as text, like 40000 or 12.5; empty for no reading.
    #[schema(pattern = "^ *(-?[0-9]{1,15}(\\.[0-9]{1,6})?)? *$")]
    pub value: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct SubmissionInput {
    #[schema(required = true, value_type = crate::workspaces::model::Rag)]
    pub overall_rag: String,
    #[schema(required = true, max_length = 5000)]
    pub commentary: String,
    /// Decisions the leaders are asked to take.
    #[schema(max_length = 5000)]
    pub decisions: String,
    /// Actions left out keep their live RAG and progress.
    pub actions: Vec<ActionInput>,
    /// Measures left out keep the quarter's recorded reading, if any.
    pub measures: Vec<MeasureInput>,
}

/// What the form starts from: the workspace's open actions and measures with their live
/// figures and the quarter's readings.
pub fn live_content(
    conn: &mut DbConn,
    workspace_id: i64,
    quarter: Quarter,
) -> QueryResult<Content> {
    let list: Vec<Action> = ws_queries::actions_of(conn, workspace_id)?;
    let ms: Vec<Measure> = measures::table
        .filter(measures::workspace_id.eq(workspace_id))
        .order(measures::id.asc())
        .select(Measure::as_select())
        .load(conn)?;
    let ids: Vec<i64> = ms.iter().map(|m| m.id).collect();
    let values: Vec<(i64, f64)> = readings::table
        .filter(readings::measure_id.eq_any(&ids))
        .filter(readings::year.eq(quarter.year))
        .filter(readings::quarter.eq(quarter.quarter))
        .select((readings::measure_id, readings::value))
        .load(conn)?;
    Ok(Content {
        actions: list
            .into_iter()
            .filter(|a| a.status.is_open())
            .map(|a| ActionReturn {
                id: a.id,
                title: a.title,
                rag: a.rag.to_string(),
                progress: a.progress,
            })
            .collect(),
        measures: ms
            .into_iter()
            .map(|m| MeasureReturn {
                value: values.iter().find(|(id, _)| *id == m.id).map(|(_, v)| *v),
                id: m.id,
                name: m.name,
                unit: m.unit,
                direction: m.direction.to_string(),
                target: m.target,
            })
            .collect(),
    })
}

fn parse_content(check: &mut Check, mut base: Content, input: &SubmissionInput) -> Content {
    for a in &mut base.actions {
        let Some(given) = input.actions.iter().find(|g| g.id == a.id) else {
            continue;
        };
        let field = format!("rag_{}", a.id);
        if let Some(rag) = check.choice(&field, Rag::parse(given.rag.trim())) {
            a.rag = rag.as_str().to_string();
        }
        let field = format!("progress_{}", a.id);
        match given.progress.trim().parse::<i32>() {
            Ok(p) if (0..=100).contains(&p) => a.progress = p,
            _ => check.fail(&field, "Enter progress as a whole number from 0 to 100"),
        }
    }
    for m in &mut base.measures {
        let Some(given) = input.measures.iter().find(|g| g.id == m.id) else {
            continue;
        };
        if given.value.trim().is_empty() {
            m.value = None;
        } else {
            m.value = Some(check.number(&format!("value_{}", m.id), &given.value));
        }
    }
    let known: Vec<i64> = base.actions.iter().map(|a| a.id).collect();
    if input.actions.iter().any(|a| !known.contains(&a.id)) {
        check.unknown(
            "actions",
            "Only this workspace's open actions can be reported on",
        );
    }
    let known: Vec<i64> = base.measures.iter().map(|m| m.id).collect();
    if input.measures.iter().any(|m| !known.contains(&m.id)) {
        check.unknown(
            "measures",
            "Only this workspace's measures can be reported on",
        );
    }
    base
}

/// A return's fields as sent: written the first time and again on each sending.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = review_submissions)]
struct Sent {
    status: &'static str,
    overall_rag: Rag,
    commentary: String,
    decisions: String,
    content: String,
    submitted_by: i64,
    submitted_at: chrono::NaiveDateTime,
}

/// The return as sent, checked: its RAG, words and figures, or the form's errors.
fn checked_return(
    conn: &mut DbConn,
    actor: &Actor,
    review: &Review,
    access: &Access,
    input: &SubmissionInput,
) -> AppResult<Sent> {
    let mut check = Check::default();
    let rag = check.choice("overall_rag", Rag::parse(input.overall_rag.trim()));
    let commentary = check.text(
        "commentary",
        &input.commentary,
        5000,
        "Say how the quarter went",
    );
    let decisions = check.text("decisions", &input.decisions, 5000, "");
    let base = live_content(conn, access.ws.id, review.quarter())?;
    let content = parse_content(&mut check, base, input);
    check.done()?;
    let Some(rag) = rag else {
        return Err(AppError::BadRequest("Check the form".into()));
    };
    Ok(Sent {
        status: "submitted",
        overall_rag: rag,
        commentary,
        decisions,
        content: serde_json::to_string(&content)?,
        submitted_by: actor.caller.user_id,
        submitted_at: now(),
    })
}

/// Writes the workspace's return to the review, replacing one sent before; its id.
fn save_return(conn: &mut DbConn, review_id: i64, ws_id: i64, sent: &Sent) -> QueryResult<i64> {
    let existing: Option<i64> = review_submissions::table
        .filter(review_submissions::review_id.eq(review_id))
        .filter(review_submissions::workspace_id.eq(ws_id))
        .select(review_submissions::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(review_submissions::table.find(id))
                .set(sent)
                .execute(conn)?;
            Ok(id)
        }
        None => diesel::insert_into(review_submissions::table)
            .values((
                review_submissions::review_id.eq(review_id),
                review_submissions::workspace_id.eq(ws_id),
                sent,
            ))
            .returning(review_submissions::id)
            .get_result(conn),
    }
}

/// A workspace's return, from one of its lead organisations. Sending again replaces it.
pub fn submit(
    conn: &mut DbConn,
    actor: &Actor,
    review_id: i64,
    access: &Access,
    input: &SubmissionInput,
) -> AppResult<Submission> {
    authz::submit_review(actor.caller, access.membership)?;
    write_tx(conn, |conn| {
        let review = open_review(conn, review_id)?;
        if access.ws.is_archived() {
            return Err(AppError::Conflict(
                "An archived workspace makes no return".into(),
            ));
        }
        let sent = checked_return(conn, actor, &review, access, input)?;
        let id = save_return(conn, review.id, access.ws.id, &sent)?;
        let title = format!("{} return for {}", review.label(), access.ws.name);
        record(
            conn,
            actor,
            &review,
            "review.submitted",
            Some(&access.ws),
            title,
        )?;
        Ok(review_submissions::table
            .find(id)
            .select(Submission::as_select())
            .first(conn)?)
    })
}

/// Sends a return back to its workspace with a comment; its submitter is told. Only those
/// who run the review (see `authz::send_back_return`).
pub fn send_back(
    conn: &mut DbConn,
    actor: &Actor,
    review_id: i64,
    access: &Access,
    comment: &str,
) -> AppResult<()> {
    // Who runs a review never changes, so this is asked before the write begins.
    authz::send_back_return(actor.caller, &find(conn, review_id)?)?;
    write_tx(conn, |conn| {
        let review = open_review(conn, review_id)?;
        let mut check = Check::default();
        let comment = check.text("comment", comment, 2000, "Say what needs to change");
        check.done()?;
        let sub: Submission = review_submissions::table
            .filter(review_submissions::review_id.eq(review.id))
            .filter(review_submissions::workspace_id.eq(access.ws.id))
            .select(Submission::as_select())
            .first(conn)?;
        diesel::update(review_submissions::table.find(sub.id))
            .set((
                review_submissions::status.eq("returned"),
                review_submissions::returned_by.eq(Some(actor.caller.user_id)),
                review_submissions::returned_at.eq(Some(now())),
                review_submissions::return_comment.eq(&comment),
            ))
            .execute(conn)?;
        let title = format!(
            "{} return for {} sent back: {comment}",
            review.label(),
            access.ws.name
        );
        audit::record(
            conn,
            Entry::new("review.returned")
                .actor(actor.caller.user_id, actor.caller.organisation_id)
                .target("review", review.id)
                .ip(actor.ip)
                .details(json!({ "workspace": access.ws.slug, "comment": comment })),
        )?;
        tell(
            conn,
            &review,
            "review.returned",
            &[sub.submitted_by],
            &title,
            actor.caller.user_id,
        )?;
        Ok(())
    })
}

/// Tells these people directly (in their inbox): a private event of each one's organisation.
fn tell(
    conn: &mut DbConn,
    review: &Review,
    kind: &str,
    people: &[i64],
    title: &str,
    actor: i64,
) -> QueryResult<()> {
    let orgs: Vec<(i64, i64)> = users::table
        .filter(users::id.eq_any(people))
        .select((users::id, users::organisation_id))
        .load(conn)?;
    for (user_id, organisation_id) in orgs {
        let event = events::emit(
            conn,
            NewEvent {
                kind,
                actor_user_id: Some(actor),
                organisation_id: Some(organisation_id),
                target_kind: "review",
                target_id: review.id.to_string(),
                workspace_id: None,
                visibility: Visibility::Private,
                payload: json!({ "title": title, "review": review.id }),
            },
        )?;
        crate::notifications::inbox::deliver_directly(
            conn,
            user_id,
            event,
            "because it is about your organisation's quarterly return",
        )?;
    }
    Ok(())
}

/// Freezes the review as it stands. Only those who run it (see `authz::sign_off_review`).
pub fn sign_off(conn: &mut DbConn, actor: &Actor, review_id: i64) -> AppResult<Review> {
    authz::sign_off_review(actor.caller, &find(conn, review_id)?)?;
    write_tx(conn, |conn| {
        let review = open_review(conn, review_id)?;
        let snapshot = summary::live(conn, &review)?;
        diesel::update(reviews::table.find(review.id))
            .set((
                reviews::status.eq("signed_off"),
                reviews::snapshot.eq(Some(serde_json::to_string(&snapshot)?)),
                reviews::signed_off_by.eq(Some(actor.caller.user_id)),
                reviews::signed_off_at.eq(Some(now())),
            ))
            .execute(conn)?;
        let review = find(conn, review.id)?;
        record(
            conn,
            actor,
            &review,
            "review.signed_off",
            None,
            format!("{} review signed off", review.label()),
        )?;
        Ok(review)
    })
}

/// Reminds the lead organisations of workspaces with no return when a deadline is near;
/// each review is reminded once. Gives how many people were told.
pub fn remind_due(conn: &mut DbConn, today: NaiveDate) -> AppResult<usize> {
    write_tx(conn, |conn| {
        // Workers in several instances remind one at a time, so nobody is reminded twice.
        lock_for_append(conn, REMIND_LOCK)?;
        let due: Vec<Review> = reviews::table
            .filter(reviews::status.eq("open"))
            .filter(reviews::reminded_at.is_null())
            .filter(reviews::deadline.le(today + Duration::days(REMIND_DAYS)))
            .select(Review::as_select())
            .load(conn)?;
        let mut told = 0;
        for review in due {
            let done: Vec<i64> = review_submissions::table
                .filter(review_submissions::review_id.eq(review.id))
                .filter(review_submissions::status.eq("submitted"))
                .select(review_submissions::workspace_id)
                .load(conn)?;
            let waiting: Vec<Workspace> = workspaces::table
                .filter(workspaces::archived_at.is_null())
                .filter(workspaces::id.ne_all(&done))
                .select(Workspace::as_select())
                .load(conn)?;
            for ws in waiting {
                let people: Vec<i64> = users::table
                    .inner_join(
                        workspace_members::table
                            .on(workspace_members::organisation_id.eq(users::organisation_id)),
                    )
                    .filter(workspace_members::workspace_id.eq(ws.id))
                    .filter(workspace_members::role.eq("lead"))
                    .filter(users::status.eq("active"))
                    .filter(users::role.eq_any(["org_admin", "leader", "staff"]))
                    .select(users::id)
                    .load(conn)?;
                let title = format!(
                    "{} return for {} is due by {}",
                    review.label(),
                    ws.name,
                    review.deadline.format("%-d %B %Y")
                );
                tell(
                    conn,
                    &review,
                    "review.reminder",
                    &people,
                    &title,
                    review.opened_by,
                )?;
                told += people.len();
            }
            diesel::update(reviews::table.find(review.id))
                .set(reviews::reminded_at.eq(Some(now())))
                .execute(conn)?;
        }
        Ok(told)
    })
}

/// A workspace for a review page: one the caller may see.
pub fn workspace(conn: &mut DbConn, slug: &str, caller: &crate::auth::Caller) -> AppResult<Access> {
    ws_queries::load(conn, slug, Some(caller))
}
