//! A review's figures: worked out from live data while it is open, read from the frozen
//! snapshot once signed off, and compared with the previous signed-off review.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Content, Review, Submission};
use crate::auth::Caller;
use crate::authz;
use crate::db::{rfc3339, DbConn};
use crate::opportunities::model::{SavingKind, Stage};
use crate::opportunities::queries::Totals;
use crate::schema::{
    opportunities, organisations, review_submissions, reviews, savings, users, workspace_members,
    workspaces,
};
use crate::workspaces::model::Workspace;
use crate::workspaces::queries as ws_queries;

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct SavingsTotals {
    pub estimated: i64,
    pub validated: i64,
    pub realised: i64,
    pub cashable_realised: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StageCount {
    pub stage: String,
    pub label: String,
    pub count: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceReturn {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The lead organisations' names.
    pub lead: String,
    /// submitted | returned | missing
    pub status: String,
    pub overall_rag: Option<String>,
    pub commentary: String,
    pub decisions: String,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<String>,
    pub return_comment: String,
    pub content: Content,
}

/// Everything a review reports. Frozen as JSON at sign-off.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Snapshot {
    pub quarter: String,
    pub workspaces: Vec<WorkspaceReturn>,
    /// Savings on opportunities every partner can see (drafts left out), in pence.
    pub savings: SavingsTotals,
    pub stages: Vec<StageCount>,
}

fn names(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Every open workspace's return to the review, or "missing" where none was made.
fn returns(conn: &mut DbConn, review: &Review) -> QueryResult<Vec<WorkspaceReturn>> {
    let list: Vec<Workspace> = workspaces::table
        .filter(workspaces::archived_at.is_null())
        .order(workspaces::name.asc())
        .select(Workspace::as_select())
        .load(conn)?;
    let subs: Vec<Submission> = review_submissions::table
        .filter(review_submissions::review_id.eq(review.id))
        .select(Submission::as_select())
        .load(conn)?;
    let people = names(
        conn,
        &subs.iter().map(|s| s.submitted_by).collect::<Vec<_>>(),
    )?;
    let leads: Vec<(i64, String)> = workspace_members::table
        .inner_join(organisations::table)
        .filter(workspace_members::role.eq("lead"))
        .order(organisations::name.asc())
        .select((workspace_members::workspace_id, organisations::name))
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|ws| {
            let sub = subs.iter().find(|s| s.workspace_id == ws.id);
            let lead: Vec<&str> = leads
                .iter()
                .filter(|(w, _)| *w == ws.id)
                .map(|(_, n)| n.as_str())
                .collect();
            WorkspaceReturn {
                id: ws.id,
                slug: ws.slug,
                name: ws.name,
                lead: lead.join(", "),
                status: sub
                    .map(|s| s.status.clone())
                    .unwrap_or_else(|| "missing".into()),
                overall_rag: sub.map(|s| s.overall_rag.clone()),
                commentary: sub.map(|s| s.commentary.clone()).unwrap_or_default(),
                decisions: sub.map(|s| s.decisions.clone()).unwrap_or_default(),
                submitted_by: sub.and_then(|s| people.get(&s.submitted_by).cloned()),
                submitted_at: sub.map(|s| rfc3339(s.submitted_at)),
                return_comment: sub.map(|s| s.return_comment.clone()).unwrap_or_default(),
                content: sub.map(Submission::content).unwrap_or_default(),
            }
        })
        .collect())
}

/// Savings on opportunities every partner can see, in pence.
fn partnership_savings(conn: &mut DbConn) -> QueryResult<SavingsTotals> {
    let rows: Vec<(SavingKind, bool, i64)> = savings::table
        .inner_join(opportunities::table)
        .filter(crate::authz::partnership_opportunities())
        .select((savings::kind, savings::cashable, savings::amount_pence))
        .load(conn)?;
    let mut totals = Totals::default();
    for (kind, cashable, pence) in rows {
        totals.add(kind, cashable, pence, 0);
    }
    Ok(SavingsTotals {
        estimated: totals.estimated,
        validated: totals.validated,
        realised: totals.realised,
        cashable_realised: totals.cashable_realised,
    })
}

/// How many opportunities every partner can see are at each stage, every stage listed.
fn stage_counts(conn: &mut DbConn) -> QueryResult<Vec<StageCount>> {
    let counts: Vec<(String, i64)> = opportunities::table
        .filter(crate::authz::partnership_opportunities())
        .group_by(opportunities::stage)
        .select((opportunities::stage, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(Stage::ALL
        .iter()
        .map(|s| StageCount {
            stage: s.as_str().into(),
            label: s.label().into(),
            count: counts
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map(|(_, n)| *n)
                .unwrap_or(0),
        })
        .collect())
}

/// The review as it stands now, from live data and the returns so far.
pub fn live(conn: &mut DbConn, review: &Review) -> QueryResult<Snapshot> {
    Ok(Snapshot {
        quarter: review.label(),
        workspaces: returns(conn, review)?,
        savings: partnership_savings(conn)?,
        stages: stage_counts(conn)?,
    })
}

/// The review's figures: frozen if signed off, live otherwise.
pub fn figures(conn: &mut DbConn, review: &Review) -> QueryResult<Snapshot> {
    match review
        .snapshot
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
    {
        Some(frozen) => Ok(frozen),
        None => live(conn, review),
    }
}

/// Only the workspaces `viewer` may see now.
pub fn for_viewer(conn: &mut DbConn, mut s: Snapshot, viewer: &Caller) -> QueryResult<Snapshot> {
    let mut keep = Vec::new();
    for w in s.workspaces {
        let ws: Option<Workspace> = workspaces::table
            .find(w.id)
            .select(Workspace::as_select())
            .first(conn)
            .optional()?;
        let Some(ws) = ws else { continue };
        let membership = ws_queries::membership(conn, ws.id, viewer.organisation_id)?;
        if authz::view_workspace(Some(viewer), &ws, membership).is_ok() {
            keep.push(w);
        }
    }
    s.workspaces = keep;
    Ok(s)
}

/// The signed-off review before this one, if any.
pub fn previous(conn: &mut DbConn, review: &Review) -> QueryResult<Option<Review>> {
    let key = review.year * 10 + review.quarter;
    reviews::table
        .filter(reviews::status.eq("signed_off"))
        .filter((reviews::year * 10 + reviews::quarter).lt(key))
        .order((reviews::year.desc(), reviews::quarter.desc()))
        .select(Review::as_select())
        .first(conn)
        .optional()
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RagChange {
    pub workspace: String,
    /// The workspace itself, or one of its actions.
    pub item: String,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeasureChange {
    pub workspace: String,
    pub measure: String,
    pub unit: String,
    pub from: f64,
    pub to: f64,
    /// improved | worsened | unchanged
    pub verdict: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Comparison {
    /// The previous review's quarter.
    pub previous: String,
    pub rag_changes: Vec<RagChange>,
    /// Savings now less savings then, in pence.
    pub savings_moved: SavingsTotals,
    pub measures: Vec<MeasureChange>,
}

/// How `now` differs from `before`, workspace by workspace.
pub fn compare(before: &Snapshot, now: &Snapshot) -> Comparison {
    let mut rag_changes = Vec::new();
    let mut measures = Vec::new();
    for w in &now.workspaces {
        let Some(old) = before.workspaces.iter().find(|o| o.id == w.id) else {
            continue;
        };
        if let (Some(from), Some(to)) = (&old.overall_rag, &w.overall_rag) {
            if from != to {
                rag_changes.push(RagChange {
                    workspace: w.name.clone(),
                    item: "Overall".into(),
                    from: from.clone(),
                    to: to.clone(),
                });
            }
        }
        for a in &w.content.actions {
            if let Some(prev) = old.content.actions.iter().find(|p| p.id == a.id) {
                if prev.rag != a.rag {
                    rag_changes.push(RagChange {
                        workspace: w.name.clone(),
                        item: a.title.clone(),
                        from: prev.rag.clone(),
                        to: a.rag.clone(),
                    });
                }
            }
        }
        for m in &w.content.measures {
            let prev = old
                .content
                .measures
                .iter()
                .find(|p| p.id == m.id)
                .and_then(|p| p.value);
            if let (Some(from), Some(to)) = (prev, m.value) {
                let better = if m.direction == "lower" {
                    to < from
                } else {
                    to > from
                };
                let verdict = if (to - from).abs() < f64::EPSILON {
                    "unchanged"
                } else if better {
                    "improved"
                } else {
                    "worsened"
                };
                measures.push(MeasureChange {
                    workspace: w.name.clone(),
                    measure: m.name.clone(),
                    unit: m.unit.clone(),
                    from,
                    to,
                    verdict: verdict.into(),
                });
            }
        }
    }
    Comparison {
        previous: before.quarter.clone(),
        rag_changes,
        savings_moved: SavingsTotals {
            estimated: now.savings.estimated - before.savings.estimated,
            validated: now.savings.validated - before.savings.validated,
            realised: now.savings.realised - before.savings.realised,
            cashable_realised: now.savings.cashable_realised - before.savings.cashable_realised,
        },
        measures,
    }
}

/// A review's figures as `viewer` may see them, and how they compare with the previous
/// signed-off review (seen the same way).
pub fn view(
    conn: &mut DbConn,
    review: &Review,
    viewer: &Caller,
) -> QueryResult<(Snapshot, Option<Comparison>)> {
    let current = figures(conn, review)?;
    let now = for_viewer(conn, current, viewer)?;
    let comparison = match previous(conn, review)? {
        Some(prev) => {
            let then = figures(conn, &prev)?;
            let before = for_viewer(conn, then, viewer)?;
            Some(compare(&before, &now))
        }
        None => None,
    };
    Ok((now, comparison))
}
