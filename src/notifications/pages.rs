//! The inbox, the subscriptions settings page, follow buttons, unsubscribe links, and the
//! admin pages for webhooks and the job queue.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde_json::json;

use super::view;
use super::{feeds, inbox};
use crate::auth::CurrentUser;
use crate::authz;
use crate::error::AppResult;
use crate::jobs::Job;
use crate::schema::jobs;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, Form, NoFields, Page, PageQuery};

// ---- Inbox ----

pub async fn inbox_page(
    page: Page,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let paging = query.paging(25);
    let inbox = page
        .state()
        .db
        .run(move |conn| Ok(inbox::page(conn, &caller, paging, false)?))
        .await?;
    page.render(
        "notifications/inbox",
        json!({
            "title": "Notifications",
            "items": inbox.items,
            "unread": inbox.unread,
            "pagination": paging.context(inbox.total, "/notifications"),
        }),
    )
}

pub async fn read_one(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let caller = user.0;
    page.state()
        .db
        .run(move |conn| inbox::mark_read(conn, &caller, id))
        .await?;
    Ok(redirect_with_flash(
        page.state(),
        "/notifications",
        "Marked as read",
    ))
}

pub async fn read_all(
    page: Page,
    user: CurrentUser,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let marked = page
        .state()
        .db
        .run(move |conn| Ok(inbox::mark_all_read(conn, &caller)?))
        .await?;
    let message = match marked {
        0 => "Nothing was unread".to_string(),
        1 => "1 notification marked as read".to_string(),
        n => format!("{n} notifications marked as read"),
    };
    Ok(redirect_with_flash(
        page.state(),
        "/notifications",
        &message,
    ))
}

// ---- The job queue (platform admins) ----

pub async fn jobs_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    authz::view_queue(&user.0)?;
    let (depth, failed, oldest, recent) = page
        .state()
        .db
        .run(|conn| {
            let depth: Vec<(String, i64)> = jobs::table
                .filter(jobs::status.eq("pending"))
                .group_by(jobs::kind)
                .select((jobs::kind, diesel::dsl::count_star()))
                .order(jobs::kind.asc())
                .load(conn)?;
            let failed: i64 = jobs::table
                .filter(jobs::status.eq("failed"))
                .count()
                .get_result(conn)?;
            let oldest: Option<Job> = jobs::table
                .filter(jobs::status.eq("pending"))
                .order((jobs::created_at.asc(), jobs::id.asc()))
                .select(Job::as_select())
                .first(conn)
                .optional()?;
            let recent: Vec<Job> = jobs::table
                .filter(jobs::status.eq("failed"))
                .order(jobs::id.desc())
                .limit(20)
                .select(Job::as_select())
                .load(conn)?;
            Ok((depth, failed, oldest, recent))
        })
        .await?;
    let pending: i64 = depth.iter().map(|(_, n)| n).sum();
    page.render(
        "notifications/jobs",
        json!({
            "title": "Job queue",
            "breadcrumbs": [{ "href": "/admin", "label": "Admin" }],
            "pending": pending,
            "depth": depth.iter().map(|(kind, n)| json!({ "kind": kind, "count": n })).collect::<Vec<_>>(),
            "failed": failed,
            "oldest": oldest.map(|j| json!({ "kind": j.kind, "when": view::when(j.created_at), "attempts": j.attempts, "error": j.last_error })),
            "recent": recent.iter().map(|j| json!({ "id": j.id, "kind": j.kind, "attempts": j.attempts, "error": j.last_error, "when": j.finished_at.map(view::when) })).collect::<Vec<_>>(),
        }),
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
