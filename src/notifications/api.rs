//! Subscriptions and the inbox on the JSON API.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inbox::{self, InboxItem};
use crate::auth::ApiCaller;
use crate::error::Problem;
use crate::web::arguments::{ApiChange, ApiRead};
use crate::web::routes::Routes;
use crate::web::{PageQuery, Reply};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// `true`: only unread notifications.
    pub unread: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub page: i64,
    pub per_page: i64,
    /// How many there are to list (only the unread with `unread=true`): what you may see
    /// now, as the items are.
    pub total: i64,
    /// How many of what you may see now are unread.
    pub unread: i64,
}

/// Your notifications, newest first. Anything you can no longer see is left out of the
/// items and of both totals.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(InboxParams),
    responses((status = 200, body = InboxPage), (status = 401, body = Problem)))]
pub async fn list_notifications(read: ApiRead<ApiCaller>, query: web::Query<InboxParams>) -> Reply {
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(25);
    let unread_only = query.unread.unwrap_or(false);
    read.answer(move |conn, caller| {
        let inbox = inbox::page(conn, &caller.0, paging, unread_only)?;
        Ok(InboxPage {
            items: inbox.items,
            page: paging.page,
            per_page: paging.per_page,
            total: inbox.total,
            unread: inbox.unread,
        })
    })
    .await
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn mark_read(call: ApiChange, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    call.run(move |conn, actor| inbox::mark_read(conn, actor.caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    pub marked: usize,
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Marked)))]
pub async fn mark_all_read(read: ApiRead<ApiCaller>) -> Reply {
    read.answer(|conn, caller| {
        let marked = inbox::mark_all_read(conn, &caller.0)?;
        Ok(Marked { marked })
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_notifications, list_notifications)
        .api(__path_mark_all_read, mark_all_read)
        .api(__path_mark_read, mark_read);
}
