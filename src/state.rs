//! What every handler can reach.

use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::auth::passwords::Hasher;
use crate::auth::tokens::Keys;
use crate::auth::{Actor, Caller};
use crate::config::Settings;
use crate::db::{Db, DbConn};
use crate::error::AppResult;
use crate::jobs::JobWaker;
use crate::web::templates::Templates;

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Arc<Keys>,
    pub templates: Arc<Templates>,
    pub hasher: Hasher,
    pub jobs: JobWaker,
    /// Figures kept until the data changes.
    pub cache: Arc<crate::cache::Cache>,
    /// Counts beside navigation items (the unread badge), from the slices that own them.
    /// The navigation links, in order (set by `startup`).
    pub nav: Vec<crate::web::page::NavItem>,
    pub nav_counts: Vec<crate::web::page::NavCount>,
    /// Signed-out requests refused, counted for the audit log.
    pub denials: Arc<crate::audit::AnonymousDenials>,
}

impl AppState {
    /// The application state a request is served with.
    pub fn of(req: &HttpRequest) -> AppResult<actix_web::web::Data<AppState>> {
        req.app_data::<actix_web::web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| {
                crate::error::AppError::Internal(anyhow::anyhow!("application state missing"))
            })
    }

    /// Cookie names carry the `__Host-` prefix when served over HTTPS.
    pub fn cookie_name(&self, base: &str) -> String {
        if self.settings.uses_https() {
            format!("__Host-metro_{base}")
        } else {
            format!("metro_{base}")
        }
    }

    pub fn cookie(&self, base: &str, value: String) -> Cookie<'static> {
        Cookie::build(self.cookie_name(base), value)
            .path("/")
            .http_only(true)
            .secure(self.settings.uses_https())
            .same_site(SameSite::Lax)
            .finish()
    }

    pub fn removal_cookie(&self, base: &str) -> Cookie<'static> {
        let mut cookie = self.cookie(base, String::new());
        cookie.make_removal();
        cookie
    }

    /// The client address: the peer, or X-Forwarded-For behind a trusted proxy.
    pub fn client_ip(&self, req: &HttpRequest) -> String {
        let forwarded = self
            .settings
            .server
            .trust_forwarded_for
            .then(|| req.headers().get("x-forwarded-for")?.to_str().ok())
            .flatten()
            // The last entry is the one our own proxy added; earlier ones are the client's word.
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
            .unwrap_or_default()
    }

    /// Runs a change on the blocking pool as `caller`, from this request's client address.
    pub async fn change<T, F>(&self, req: &HttpRequest, caller: Caller, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let ip = self.client_ip(req);
        self.db
            .run(move |conn| {
                f(
                    conn,
                    &Actor {
                        caller: &caller,
                        ip: &ip,
                    },
                )
            })
            .await
    }

    pub fn user_agent(req: &HttpRequest) -> String {
        req.headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}
