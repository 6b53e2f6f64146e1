//! The inbox, the subscriptions settings page, follow buttons, unsubscribe links, and the
//! admin pages for webhooks and the job queue.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use super::view;
use super::{feeds, inbox};
use crate::auth::CurrentUser;
use crate::authz;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::jobs::Job;
use crate::schema::jobs;
use crate::web::arguments::SignedIn;
use crate::web::routes::Routes;
use crate::web::{Button, Crumb, Form, NoFields, Page, PageQuery, Reply};

// ---- Inbox ----

#[derive(Serialize)]
struct InboxView {
    title: &'static str,
    items: Vec<inbox::InboxItem>,
    unread: i64,
    pagination: serde_json::Value,
}

pub async fn inbox_page(at: SignedIn, query: web::Query<PageQuery>) -> Reply {
    let SignedIn { page, caller } = at;
    let paging = query.paging(25);
    let inbox = page
        .state()
        .db
        .run(move |conn| Ok(inbox::page(conn, &caller, paging, false)?))
        .await?;
    page.render(
        "notifications/inbox",
        InboxView {
            title: "Notifications",
            pagination: paging.context(inbox.total, "/notifications"),
            items: inbox.items,
            unread: inbox.unread,
        },
    )
}

pub async fn read_one(button: Button) -> Reply {
    button
        .press("/notifications", "Marked as read", |conn, actor, id| {
            inbox::mark_read(conn, actor.caller, id)
        })
        .await
}

pub async fn read_all(at: SignedIn, _form: Form<NoFields>) -> Reply {
    let marked = at
        .change(|conn, actor| Ok(inbox::mark_all_read(conn, actor.caller)?))
        .await?;
    let message = match marked {
        0 => "Nothing was unread".to_string(),
        1 => "1 notification marked as read".to_string(),
        n => format!("{n} notifications marked as read"),
    };
    Ok(at.done("/notifications", &message))
}

// ---- The job queue (platform admins) ----

/// What the queue holds: pending jobs by kind, how many failed, the oldest waiting and the
/// latest failures.
struct Queue {
    depth: Vec<(String, i64)>,
    failed: i64,
    oldest: Option<Job>,
    recent: Vec<Job>,
}

fn read_queue(conn: &mut DbConn) -> QueryResult<Queue> {
    Ok(Queue {
        depth: jobs::table
            .filter(jobs::status.eq("pending"))
            .group_by(jobs::kind)
            .select((jobs::kind, diesel::dsl::count_star()))
            .order(jobs::kind.asc())
            .load(conn)?,
        failed: jobs::table
            .filter(jobs::status.eq("failed"))
            .count()
            .get_result(conn)?,
        oldest: jobs::table
            .filter(jobs::status.eq("pending"))
            .order((jobs::created_at.asc(), jobs::id.asc()))
            .select(Job::as_select())
            .first(conn)
            .optional()?,
        recent: jobs::table
            .filter(jobs::status.eq("failed"))
            .order(jobs::id.desc())
            .limit(20)
            .select(Job::as_select())
            .load(conn)?,
    })
}

#[derive(Serialize)]
struct KindCount {
    kind: String,
    count: i64,
}

/// A job as the queue page lists it; `when` is when it was made (waiting) or finished
/// (failed).
#[derive(Serialize)]
struct JobLine {
    id: i64,
    kind: String,
    attempts: i32,
    error: Option<String>,
    when: Option<String>,
}

#[derive(Serialize)]
struct QueueView {
    title: &'static str,
    breadcrumbs: Vec<Crumb>,
    pending: i64,
    depth: Vec<KindCount>,
    failed: i64,
    oldest: Option<JobLine>,
    recent: Vec<JobLine>,
}

fn job_line(j: Job, at: Option<chrono::NaiveDateTime>) -> JobLine {
    JobLine {
        id: j.id,
        kind: j.kind,
        attempts: j.attempts,
        error: j.last_error,
        when: at.map(view::when),
    }
}

pub async fn jobs_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::view_queue(&user.0)?;
    let q = page.state().db.run(|conn| Ok(read_queue(conn)?)).await?;
    page.render(
        "notifications/jobs",
        QueueView {
            title: "Job queue",
            breadcrumbs: vec![Crumb::new("/admin", "Admin")],
            pending: q.depth.iter().map(|(_, n)| n).sum(),
            depth: q
                .depth
                .into_iter()
                .map(|(kind, count)| KindCount { kind, count })
                .collect(),
            failed: q.failed,
            oldest: q.oldest.map(|j| {
                let at = Some(j.created_at);
                job_line(j, at)
            }),
            recent: q
                .recent
                .into_iter()
                .map(|j| {
                    let at = j.finished_at;
                    job_line(j, at)
                })
                .collect(),
        },
    )
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/feed.atom", feeds::workspace_feed)
        .get("/opportunities/feed.atom", feeds::register_feed)
        .get("/notifications", inbox_page)
        .post("/notifications/read-all", read_all)
        .post("/notifications/{id}/read", read_one)
        .get("/admin/jobs", jobs_page);
}
