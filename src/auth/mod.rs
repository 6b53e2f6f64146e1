//! Who is calling: sessions, passwords, tokens, CSRF, throttling with device cookies, and
//! the extractors handlers use (`MaybeUser`, `CurrentUser`, `ApiCaller`).

pub mod api;
pub mod device;
pub mod login;
pub mod pages;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use crate::identity::{Actor, Caller};

/// The caller as resolved once per request, with the data version read before it, kept in
/// the request's extensions.
#[derive(Clone)]
pub struct Resolved {
    pub caller: Option<Caller>,
    pub version: i64,
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

fn state(req: &HttpRequest) -> AppResult<web::Data<AppState>> {
    AppState::of(req)
}

/// The caller from the session cookie (pages) or the bearer token (API), checked
/// against the sessions table (or a live session kept since the data version last moved).
pub async fn resolve(req: &HttpRequest) -> AppResult<Option<Caller>> {
    Ok(resolved(req).await?.caller)
}

/// The caller and the data version for this request, worked out once.
pub async fn resolved(req: &HttpRequest) -> AppResult<Resolved> {
    if let Some(resolved) = req.extensions().get::<Resolved>() {
        return Ok(resolved.clone());
    }
    let state = state(req)?;
    // First the version: whatever is read after it is at least as new.
    let version = state.db.version().await?;
    let is_api = req.path().starts_with("/api/");
    let presented = if is_api {
        bearer_token(req).map(|t| (t, tokens::API_AUDIENCE, sessions::SessionKind::Api))
    } else {
        req.cookie(&state.cookie_name("session")).map(|c| {
            (
                c.value().to_string(),
                tokens::WEB_AUDIENCE,
                sessions::SessionKind::Web,
            )
        })
    };
    let had_bearer = is_api && presented.is_some();
    let caller = match presented
        .and_then(|(token, aud, kind)| state.keys.verify(&token, aud).map(|c| (c, kind)))
    {
        Some((claims, kind)) => {
            let user_id: i64 = claims.sub.parse().unwrap_or(-1);
            let key = (claims.sid, kind.as_str(), user_id);
            match state
                .cache
                .kept::<sessions::LiveSessions>()
                .get(version, &key)
            {
                Some(live) if live.expires_at > crate::db::now() => Some(live.caller),
                _ => {
                    let sid = key.0.clone();
                    let live = state
                        .db
                        .run(move |conn| Ok(sessions::load_live(conn, &sid, user_id, kind)?))
                        .await?;
                    live.map(|live| {
                        let caller = live.caller.clone();
                        state
                            .cache
                            .kept::<sessions::LiveSessions>()
                            .put(version, key, live);
                        caller
                    })
                }
            }
        }
        None => None,
    };
    // A bearer token that does not work is an error, not a quiet fall back to anonymous.
    if had_bearer && caller.is_none() {
        return Err(AppError::Unauthorized);
    }
    let resolved = Resolved { caller, version };
    req.extensions_mut().insert(resolved.clone());
    Ok(resolved)
}

/// The data version this request reads at (see `crate::cache`).
pub struct DataVersion(pub i64);

impl FromRequest for DataVersion {
    type Error = AppError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(DataVersion(resolved(&req).await?.version)) })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Anyone: signed in or not.
pub struct MaybeUser(pub Option<Caller>);

/// A signed-in person; signed-out visitors to pages are sent to the sign-in page.
pub struct CurrentUser(pub Caller);

/// An API caller with a valid bearer token; anyone else gets 401.
pub struct ApiCaller(pub Caller);

/// Who may make an API call: anyone (reads) or a bearer-token caller (changes).
pub trait Who: FromRequest<Error = AppError> {
    fn caller(self) -> Option<Caller>;
}

impl Who for MaybeUser {
    fn caller(self) -> Option<Caller> {
        self.0
    }
}

impl Who for ApiCaller {
    fn caller(self) -> Option<Caller> {
        Some(self.0)
    }
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(resolve(&req).await?)) })
    }
}

/// The signed-in caller, wrapped, or 401 (which pages answer with the sign-in page).
fn signed_in<T: 'static>(req: &HttpRequest, wrap: fn(Caller) -> T) -> LocalFuture<T> {
    let req = req.clone();
    Box::pin(async move { resolve(&req).await?.map(wrap).ok_or(AppError::Unauthorized) })
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        signed_in(req, CurrentUser)
    }
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        signed_in(req, ApiCaller)
    }
}
