//! A JSON API call on one workspace, read from the request once: the application state,
//! the request, who is calling, the workspace's short name and the item's id where the path
//! has one. `WsCall<MaybeUser>` reads (anyone; invisible answers 404), `WsCall<ApiCaller>`
//! changes (a bearer token, or 401 before the body is read).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::queries::{self, Access};
use crate::auth::{Actor, ApiCaller, Caller, MaybeUser, Who};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{PageQuery, Paged, Paging, Reply};

pub struct WsCall<W> {
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Option<Caller>,
    slug: String,
    /// The `{id}` in the path; 0 where the path has none.
    pub id: i64,
    who: std::marker::PhantomData<W>,
}

impl<W: Who + 'static> FromRequest for WsCall<W> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let who = W::from_request(&req, payload);
        Box::pin(async move {
            let caller = who.await?.caller();
            let state = AppState::of(&req)?;
            let info = req.match_info();
            let slug = info.get("slug").ok_or(AppError::NotFound)?.to_string();
            let id = match info.get("id").or_else(|| info.get("organisation_id")) {
                Some(id) => id.parse().map_err(|_| AppError::NotFound)?,
                None => 0,
            };
            Ok(WsCall {
                state,
                req,
                caller,
                slug,
                id,
                who: std::marker::PhantomData,
            })
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
        let (caller, slug) = (self.caller, self.slug);
        let value = self
            .state
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
        let caller = self.caller.ok_or(AppError::Unauthorized)?;
        let slug = self.slug;
        self.state
            .change(&self.req, caller, move |conn, actor| {
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
