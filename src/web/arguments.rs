//! Handlers' everyday arguments read as one: a change on the JSON API by a bearer-token
//! caller (`ApiChange`), a read on the JSON API (`ApiRead`), and a page for the signed-in
//! person (`SignedIn`). Each is read exactly as its parts were when a handler listed them
//! one by one, in the same order, so what answers first (401, a path that is not there, a
//! body that cannot be read) does not change. Each runs the read or change and answers.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::respond::form_outcome;
use super::{redirect_with_flash, FieldErrors, Page, Reply};
use crate::auth::{Actor, ApiCaller, Caller, CurrentUser, Who};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::state::AppState;

type Reading<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

/// A change on the JSON API: the application state, the request and the bearer-token
/// caller (401 without one).
pub struct ApiChange {
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
}

impl FromRequest for ApiChange {
    type Error = actix_web::Error;
    type Future = Reading<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(web::Data<AppState>, HttpRequest, ApiCaller)>::from_request(req, payload);
        Box::pin(async move {
            let (state, req, caller) = parts.await?;
            Ok(ApiChange {
                state,
                req,
                caller: caller.0,
            })
        })
    }
}

impl ApiChange {
    /// Runs `f` on the blocking pool as the caller, from this request's client address, and
    /// gives back what it returns.
    pub async fn run<T, F>(self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.state.change(&self.req, self.caller, f).await
    }

    /// Runs `f` as `run` does and answers `status` with what it returns, as JSON.
    pub async fn answer<T, F>(self, status: StatusCode, f: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let value = self.run(f).await?;
        Ok(HttpResponse::build(status).json(value))
    }
}

/// A read on the JSON API: the application state and who is calling, as `W` decides
/// (`MaybeUser`: anyone; `ApiCaller`: a bearer token, or 401).
pub struct ApiRead<W> {
    pub state: web::Data<AppState>,
    pub who: W,
}

impl<W: Who + 'static> FromRequest for ApiRead<W> {
    type Error = actix_web::Error;
    type Future = Reading<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(web::Data<AppState>, W)>::from_request(req, payload);
        Box::pin(async move {
            let (state, who) = parts.await?;
            Ok(ApiRead { state, who })
        })
    }
}

impl<W: Send + 'static> ApiRead<W> {
    /// Reads on the blocking pool as `who` and answers 200 with what `f` gives, as JSON.
    pub async fn answer<T, F>(self, f: F) -> Reply
    where
        F: FnOnce(&mut DbConn, &W) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let who = self.who;
        let value = self.state.db.run(move |conn| f(conn, &who)).await?;
        Ok(HttpResponse::Ok().json(value))
    }
}

/// A page for the signed-in person: the page and who is signed in (the sign-in page if no
/// one is).
pub struct SignedIn {
    pub page: Page,
    pub caller: Caller,
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Reading<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(Page, CurrentUser)>::from_request(req, payload);
        Box::pin(async move {
            let (page, user) = parts.await?;
            Ok(SignedIn {
                page,
                caller: user.0,
            })
        })
    }
}

impl SignedIn {
    /// Runs `f` on the blocking pool as the signed-in person and gives back what it returns.
    pub async fn change<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let caller = self.caller.clone();
        self.page
            .state()
            .change(self.page.request(), caller, f)
            .await
    }

    /// Runs `f` as `change` does, with its field errors split off to show on the form
    /// again (see `respond::form_outcome`).
    pub async fn attempt<T, F>(&self, f: F) -> AppResult<Result<T, FieldErrors>>
    where
        F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        form_outcome(self.change(f).await)
    }

    /// Goes to `location` with `message` shown there.
    pub fn done(&self, location: &str, message: &str) -> HttpResponse {
        redirect_with_flash(self.page.state(), location, message)
    }
}
