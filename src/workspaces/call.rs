//! A JSON API call on one workspace, read from the request once: the application state,
//! the request, who is calling, the workspace's short name and the item's id where the path
//! has one. `WsCall<MaybeUser>` reads (anyone; invisible answers 404), `WsCall<ApiCaller>`
//! changes (a bearer token, or 401 before the body is read).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::queries::{self, Access};
use crate::auth::{Actor, ApiCaller, MaybeUser, Who};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::call::ApiCall;
use crate::web::{PageQuery, Paged, Paging, Reply};

/// An API call on a workspace: `{slug}` names it, `id` is the path's `{id}` or, where it has
/// none, its other id (like `{organisation_id}`).
pub struct WsCall<W>(ApiCall<W>);

impl<W> std::ops::Deref for WsCall<W> {
    type Target = ApiCall<W>;
    fn deref(&self) -> &ApiCall<W> {
        &self.0
    }
}

impl<W: Who + 'static> FromRequest for WsCall<W> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let call = ApiCall::<W>::from_request(req, payload);
        Box::pin(async move {
            let mut call = call.await?;
            if call.slug.is_none() {
                return Err(AppError::NotFound);
            }
            if call.id == 0 {
                call.id = call.part;
            }
            Ok(WsCall(call))
        })
    }
}

impl WsCall<MaybeUser> {
    /// Reads inside the workspace, if the caller may see it (404 if not), and answers 200.
    pub async fn read<T, F>(self, f: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &Access) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let ApiCall {
            state,
            caller,
            slug,
            ..
        } = self.0;
        let slug = slug.unwrap_or_default();
        let value = state
            .db
            .run(move |conn| {
                let access = queries::load(conn, &slug, caller.as_ref())?;
                f(conn, &access)
            })
            .await?;
        Ok(HttpResponse::Ok().json(value))
    }

    /// One page of a list inside the workspace: `load` reads the page in SQL.
    pub async fn page<T, F>(self, query: &PageQuery, per_page: i64, load: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &Access, Paging) -> diesel::QueryResult<Paged<T>> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let paging = query.paging(per_page);
        self.read(move |conn, access| Ok(load(conn, access, paging)?))
            .await
    }
}

impl WsCall<ApiCaller> {
    /// Runs a change on the workspace for the caller and answers `status` with what it
    /// returns.
    pub async fn change<T, F>(self, status: StatusCode, f: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let value = self.run(f).await?;
        Ok(HttpResponse::build(status).json(value))
    }

    /// Runs a change on the workspace for the caller and gives back what it returns.
    pub async fn run<T, F>(self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let ApiCall {
            state,
            req,
            caller,
            slug,
            ..
        } = self.0;
        let caller = caller.ok_or(AppError::Unauthorized)?;
        let slug = slug.unwrap_or_default();
        state
            .change(&req, caller, move |conn, actor| {
                let access = queries::load(conn, &slug, Some(actor.caller))?;
                f(conn, actor, &access)
            })
            .await
    }
}

/// A read by anyone.
pub type WsRead = WsCall<MaybeUser>;
/// A change by a bearer-token caller.
pub type WsWrite = WsCall<ApiCaller>;

/// Defines the API handler `$name`, `GET $path`: one page, 50 by default, of a list inside
/// the workspace in the path (see `WsCall::page`), described for the OpenAPI document as a
/// page of `$item`. `$page` reads the page of the workspace's list; with `$parent` first,
/// it reads the list of the item the path's `{id}` names, once `$parent` has found that
/// item in the workspace (404 if not). The module names `web`, `WsRead`, `PageQuery`,
/// `Paged`, `Problem` and `Reply`, as the handler would.
macro_rules! workspace_list {
    ($(#[doc = $doc:tt])* $name:ident, $path:tt, $item:ident, $page:path) => {
        $(#[doc = $doc])*
        #[utoipa::path(get, path = $path, tag = "workspaces", params(("slug" = String, Path), PageQuery),
            responses((status = 200, body = Paged<$item>), (status = 404, body = Problem)))]
        pub async fn $name(call: WsRead, query: web::Query<PageQuery>) -> Reply {
            call.page(&query, 50, |conn, a, p| $page(conn, a.ws.id, p))
                .await
        }
    };
    ($(#[doc = $doc:tt])* $name:ident, $path:tt, $item:ident, $parent:path, $page:path) => {
        $(#[doc = $doc])*
        #[utoipa::path(get, path = $path, tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path), PageQuery),
            responses((status = 200, body = Paged<$item>), (status = 404, body = Problem)))]
        pub async fn $name(call: WsRead, query: web::Query<PageQuery>) -> Reply {
            let id = call.id;
            call.page(&query, 50, move |conn, a, p| {
                $parent(conn, a.ws.id, id)?;
                $page(conn, id, p)
            })
            .await
        }
    };
}
pub(crate) use workspace_list;
