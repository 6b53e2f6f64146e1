//! A JSON API call on what is attached to one opportunity (its moves, savings, barriers,
//! interest and comments), read from the request once: the application state, the request,
//! who is calling, the opportunity's `{id}` and a second id where the path has one.
//! `OppCall<MaybeUser>` reads (anyone; an opportunity they may not see answers 404),
//! `OppCall<ApiCaller>` changes (a bearer token, or 401).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::queries;
use crate::auth::{Actor, ApiCaller, MaybeUser, Who};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::call::ApiCall;
use crate::web::{PageQuery, Paged, Paging, Reply};

/// An API call on an opportunity: `id` is the opportunity, `part` the path's other id.
pub struct OppCall<W>(ApiCall<W>);

impl<W> std::ops::Deref for OppCall<W> {
    type Target = ApiCall<W>;
    fn deref(&self) -> &ApiCall<W> {
        &self.0
    }
}

impl<W: Who + 'static> FromRequest for OppCall<W> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let call = ApiCall::<W>::from_request(req, payload);
        Box::pin(async move { Ok(OppCall(call.await?)) })
    }
}

impl OppCall<MaybeUser> {
    /// One page of what is attached: 404 unless the caller may see the opportunity, then the
    /// page read in SQL by `page`.
    pub async fn page<T: Serialize + Send + 'static>(
        self,
        query: &PageQuery,
        page: fn(&mut DbConn, i64, Paging) -> diesel::QueryResult<Paged<T>>,
    ) -> Reply {
        let ApiCall {
            state, caller, id, ..
        } = self.0;
        let paging = query.paging(50);
        let found = state
            .db
            .run(move |conn| {
                queries::load(conn, id, caller.as_ref())?;
                Ok::<_, AppError>(page(conn, id, paging)?)
            })
            .await?;
        Ok(HttpResponse::Ok().json(found))
    }
}

impl OppCall<ApiCaller> {
    /// Runs a change on the opportunity for the caller and gives back what it returns.
    pub async fn run<T, F>(self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Actor, i64) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let ApiCall {
            state,
            req,
            caller,
            id,
            ..
        } = self.0;
        let caller = caller.ok_or(AppError::Unauthorized)?;
        state
            .change(&req, caller, move |conn, actor| f(conn, actor, id))
            .await
    }

    /// Runs a change and answers `status` with what it returns.
    pub async fn change<T, F>(self, status: StatusCode, f: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor, i64) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let value = self.run(f).await?;
        Ok(HttpResponse::build(status).json(value))
    }

    /// Makes a row attached to the opportunity (`make` gives its id) and answers 201 with the
    /// row as stored, read in the same transaction by `row`.
    pub async fn create<T, F>(
        self,
        make: F,
        row: fn(&mut DbConn, i64, i64) -> diesel::QueryResult<T>,
    ) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor, i64) -> AppResult<i64> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        self.change(StatusCode::CREATED, move |conn, actor, id| {
            let row_id = make(conn, actor, id)?;
            Ok(row(conn, id, row_id)?)
        })
        .await
    }
}

/// A read by anyone.
pub type OppRead = OppCall<MaybeUser>;
/// A change by a bearer-token caller.
pub type OppWrite = OppCall<ApiCaller>;

/// Defines the API handler `$name`, `GET $path`: one page of what `$page` reads as attached
/// to the opportunity in the path (see `OppCall::page`), described for the OpenAPI document
/// as a page of `$item`. The module names `web`, `OppRead`, `PageQuery`, `Paged`, `Problem`
/// and `Reply`, as the handler would.
macro_rules! attached_list {
    ($(#[doc = $doc:tt])* $name:ident, $path:tt, $item:ident, $page:path) => {
        $(#[doc = $doc])*
        #[utoipa::path(get, path = $path, tag = "opportunities", params(("id" = i64, Path), PageQuery),
            responses((status = 200, body = Paged<$item>), (status = 404, body = Problem)))]
        pub async fn $name(call: OppRead, query: web::Query<PageQuery>) -> Reply {
            call.page(&query, $page).await
        }
    };
}
pub(crate) use attached_list;
