//! A workspace's overview page: its members, latest updates, actions that need attention,
//! milestones coming up, measures and what happened lately.

use actix_web::web;
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use super::model::*;
use super::queries::{self, ActionView, Authored, MemberView};
use super::views::*;
use crate::auth::Caller;
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::notifications::model::TargetKind;
use crate::web::{Crumb, Page, Paging, Reply};

#[derive(Serialize)]
struct Overview {
    title: String,
    breadcrumbs: Vec<Crumb>,
    ws: WsHeader,
    follow: Value,
    members: Vec<MemberLine>,
    posts: Vec<PostLine>,
    rag: RagCounts,
    attention: Vec<ActionRow>,
    milestones: Vec<MilestoneLine>,
    measures: Vec<MeasureRow>,
    activity: Vec<ActivityLine>,
}

#[derive(Serialize)]
struct MemberLine {
    organisation: String,
    role: &'static str,
}

#[derive(Serialize)]
struct PostLine {
    id: i64,
    title: String,
    author: String,
    organisation: String,
    when: String,
}

#[derive(Serialize)]
struct MilestoneLine {
    title: String,
    action: String,
    action_id: i64,
    due: String,
    overdue: bool,
}

#[derive(Serialize)]
struct ActivityLine {
    text: String,
    when: String,
}

/// What the overview reads, in one database call.
struct Read {
    access: queries::Access,
    follow: Value,
    members: Vec<MemberView>,
    posts: Vec<Authored<Post>>,
    actions: Vec<ActionView>,
    milestones: Vec<(Milestone, String)>,
    measures: Vec<Measure>,
    readings: Vec<Reading>,
    activity: Vec<(String, String, chrono::NaiveDateTime)>,
}

fn read(
    conn: &mut DbConn,
    slug: &str,
    caller: Option<&Caller>,
    today: NaiveDate,
) -> AppResult<Read> {
    let access = queries::load(conn, slug, caller)?;
    let id = access.ws.id;
    let follow = crate::notifications::subscriptions::pages::follow_context(
        conn,
        caller,
        TargetKind::Workspace,
        id,
        &access.ws.slug,
        &access.ws.name,
    )?;
    let latest = Paging {
        page: 1,
        per_page: 3,
    };
    let measures = queries::measures_for(conn, id)?;
    let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
    Ok(Read {
        members: queries::members(conn, id)?,
        posts: queries::posts_page(conn, id, latest)?.0,
        actions: queries::all_actions(conn, id)?,
        milestones: queries::open_milestones(conn, id, today + Duration::days(90))?,
        readings: queries::readings_for(conn, &ids)?,
        activity: queries::activity(conn, id, caller, 10)?,
        measures,
        follow,
        access,
    })
}

pub async fn overview_page(page: Page, path: web::Path<String>) -> Reply {
    let caller = page.user.clone();
    let slug = path.into_inner();
    let today = now().date();
    let r = page
        .state()
        .db
        .run(move |conn| read(conn, &slug, caller.as_ref(), today))
        .await?;
    let attention = r
        .actions
        .iter()
        .filter(|a| {
            a.action.is_overdue(today) || (a.action.rag != Rag::Green && a.action.status.is_open())
        })
        .map(|a| action_row(a, today))
        .collect();
    let data = Overview {
        title: r.access.ws.name.clone(),
        breadcrumbs: vec![Crumb::new("/workspaces", "Workspaces")],
        ws: ws_context(&r.access, page.user.as_ref(), ""),
        follow: r.follow,
        members: r
            .members
            .iter()
            .map(|m| MemberLine {
                organisation: m.organisation.clone(),
                role: m.role.label(),
            })
            .collect(),
        posts: r.posts.into_iter().map(post_line).collect(),
        rag: rag_counts(&r.actions, today),
        attention,
        milestones: r
            .milestones
            .into_iter()
            .map(|(m, action)| MilestoneLine {
                overdue: m.is_overdue(today),
                due: date(m.due_date),
                action_id: m.action_id,
                title: m.title,
                action,
            })
            .collect(),
        measures: r
            .measures
            .iter()
            .map(|m| measure_row(m, &r.readings))
            .collect(),
        activity: r
            .activity
            .iter()
            .map(|(kind, payload, at)| ActivityLine {
                text: activity_sentence(kind, payload),
                when: when(*at),
            })
            .collect(),
    };
    page.render("workspaces/overview", data)
}

fn post_line(p: Authored<Post>) -> PostLine {
    PostLine {
        id: p.item.id,
        when: when(p.item.created_at),
        title: p.item.title,
        author: p.author,
        organisation: p.organisation,
    }
}

fn activity_sentence(kind: &str, payload: &str) -> String {
    let p: Value = serde_json::from_str(payload).unwrap_or_default();
    let who = format!(
        "{} ({})",
        p["actor"].as_str().unwrap_or("Someone"),
        p["organisation"].as_str().unwrap_or("")
    );
    let title = p["title"].as_str().unwrap_or("");
    let verb = match kind {
        "workspace.created" => "created the workspace",
        "workspace.updated" => "edited the workspace",
        "workspace.archived" => "archived the workspace",
        "workspace.restored" => "restored the workspace",
        "workspace.member_added" => "added a member:",
        "workspace.member_changed" => "changed a member's role:",
        "workspace.member_removed" => "removed a member:",
        "post.created" => "posted an update:",
        "post.edited" => "edited an update:",
        "comment.created" => "commented on",
        "action.created" => "added an action:",
        "action.updated" => "updated an action:",
        "action.rag_changed" => "changed the RAG status of",
        "milestone.created" => "added a milestone:",
        "milestone.completed" => "completed a milestone:",
        "outcome.created" => "added an outcome:",
        "measure.created" => "added a measure:",
        "reading.recorded" => "recorded a reading:",
        _ => "changed",
    };
    if verb.ends_with(':') || verb.ends_with("of") || verb.ends_with("on") {
        format!("{who} {verb} {title}")
    } else {
        format!("{who} {verb}")
    }
}
