//! The context every HTML page renders with: who is signed in, the CSRF token for its
//! forms, the flash message, and the navigation.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use super::templates::CONTENT_MARK;
use super::Flash;
use crate::auth;
use crate::cache::kept_key;
use crate::error::{AppError, AppResult};
use crate::identity::Caller;
use crate::identity::Role;
use crate::state::AppState;

/// A page whose main part depends only on the data and on who is asking as an
/// organisation and role: that part rendered once, and its layout fields (title,
/// breadcrumbs).
pub struct KeptPage {
    pub fields: Value,
    pub content: String,
}

/// Rendered pages, by what they depend on: 8 MB of them at most.
pub struct KeptPages;

impl crate::cache::Keep for KeptPages {
    type Key = String;
    type Value = Arc<KeptPage>;
    fn store() -> crate::cache::Versioned<String, Arc<KeptPage>> {
        crate::cache::Versioned::with_budget(500, 8 << 20, |k, v| k.len() + v.content.len() + 256)
    }
}

/// A count shown beside a navigation item (the unread badge), worked out by the slice that
/// owns the page it links to and wired in by `startup`, so this layer names no slice.
#[derive(Clone, Copy)]
pub struct NavCount {
    pub href: &'static str,
    pub count: fn(&mut crate::db::DbConn, &Caller) -> diesel::QueryResult<i64>,
}

/// Navigation counts kept by (link, person). The person is the whole key: their
/// organisation and role never change, and every change to what anyone may see (a draft, a
/// visibility, a membership) writes an event, which raises the version.
struct KeptCounts;

impl crate::cache::Keep for KeptCounts {
    type Key = (&'static str, i64);
    type Value = i64;
    fn store() -> crate::cache::Versioned<Self::Key, i64> {
        crate::cache::Versioned::new(10_000)
    }
}

/// Each registered navigation count for `user`, kept until the data version moves.
async fn nav_counts(
    state: &web::Data<AppState>,
    user: &Caller,
    version: i64,
) -> AppResult<Vec<(&'static str, i64)>> {
    let mut counts = Vec::new();
    for nav in state.nav_counts.iter().copied() {
        let reader = user.clone();
        let count = state
            .cache
            .kept::<KeptCounts>()
            .get_or_work(version, (nav.href, user.user_id), || {
                state.db.run(move |conn| Ok((nav.count)(conn, &reader)?))
            })
            .await?;
        counts.push((nav.href, count));
    }
    Ok(counts)
}

pub struct Page {
    req: HttpRequest,
    state: web::Data<AppState>,
    pub user: Option<Caller>,
    csrf_cookie: String,
    new_csrf: bool,
    flash: Option<Flash>,
    counts: Vec<(&'static str, i64)>,
    version: i64,
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Page, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = AppState::of(&req)?;
            let auth::Resolved {
                caller: user,
                version,
            } = auth::resolved(&req).await?;
            let counts = match &user {
                Some(u) => nav_counts(&state, u, version).await?,
                None => Vec::new(),
            };
            let (csrf_cookie, new_csrf) = csrf_cookie(&req, &state);
            let flash = req
                .cookie(&state.cookie_name("flash"))
                .and_then(|c| Flash::decode(c.value()));
            Ok(Page {
                req,
                state,
                user,
                csrf_cookie,
                new_csrf,
                flash,
                counts,
                version,
            })
        })
    }
}

/// The request's CSRF cookie value, or a new one (and `true`) when it has none.
pub fn csrf_cookie(req: &HttpRequest, state: &AppState) -> (String, bool) {
    match req.cookie(&state.cookie_name("csrf")) {
        Some(c) if c.value().len() >= 20 => (c.value().to_string(), false),
        _ => (auth::tokens::random_token(24), true),
    }
}

impl Page {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn request(&self) -> &HttpRequest {
        &self.req
    }

    /// Renders a page from its view model: a `#[derive(Serialize)]` struct of the page's
    /// own (the page layer adds `layout`).
    pub fn render(&self, template: &str, data: impl Serialize) -> AppResult<HttpResponse> {
        self.render_status(StatusCode::OK, template, data)
    }

    /// Renders a page that holds a form: 422 when the form came back with errors (`failed`),
    /// 200 when it is shown fresh.
    pub fn render_form(
        &self,
        failed: bool,
        template: &str,
        data: impl Serialize,
    ) -> AppResult<HttpResponse> {
        let status = if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        self.render_status(status, template, data)
    }

    /// The data version this request reads at.
    pub fn version(&self) -> i64 {
        self.version
    }

    pub fn render_status(
        &self,
        status: StatusCode,
        template: &str,
        data: impl Serialize,
    ) -> AppResult<HttpResponse> {
        let mut data = view(data)?;
        data["layout"] = self.layout()?;
        let body = self
            .state
            .templates
            .html(template, &data)
            .map_err(AppError::Internal)?;
        Ok(self.respond(status, body))
    }

    /// Renders a page whose main part depends only on the data, on the caller's
    /// organisation and role, on the template and on `key` (what else it is built from:
    /// the path, the query). The main part is kept until the data version moves; `build`
    /// gives the template's data and runs only when nothing is kept. The layout around it
    /// (who is signed in, the form token, unread count and flash) is rendered for each
    /// request. The main part sees no `layout` fields, so a form that posts (and needs the
    /// person's own form token) has no place in a kept page.
    pub async fn render_kept<F, Fut, T>(
        &self,
        template: &str,
        key: &str,
        build: F,
    ) -> AppResult<HttpResponse>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<T>>,
        T: Serialize,
    {
        let key = kept_key(self.user.as_ref(), &format!("{template}|{key}"));
        let kept = self
            .state
            .cache
            .kept::<KeptPages>()
            .get_or_work(self.version, key, || async {
                let data = view(build().await?)?;
                let content = self
                    .state
                    .templates
                    .content(template, &data)
                    .map_err(AppError::Internal)?;
                Ok::<_, AppError>(Arc::new(KeptPage {
                    fields: json!({ "title": data["title"], "breadcrumbs": data["breadcrumbs"] }),
                    content,
                }))
            })
            .await?;
        let mut data = kept.fields.clone();
        data["layout"] = self.layout()?;
        let shell = self
            .state
            .templates
            .html("layout_shell", &data)
            .map_err(AppError::Internal)?;
        let (head, tail) = shell
            .split_once(CONTENT_MARK)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("layout_shell has no mark")))?;
        let mut body = String::with_capacity(shell.len() + kept.content.len());
        body.push_str(head);
        body.push_str(&kept.content);
        body.push_str(tail);
        Ok(self.respond(StatusCode::OK, body))
    }

    fn layout(&self) -> AppResult<Value> {
        let csrf = self.state.keys.csrf_token(&self.csrf_cookie);
        view(layout_context(
            &self.req,
            &self.state.nav,
            self.user.as_ref(),
            &csrf,
            self.flash.as_ref(),
            &self.counts,
        ))
    }

    fn respond(&self, status: StatusCode, body: String) -> HttpResponse {
        let mut response = html_response(status, body);
        if self.new_csrf {
            let _ = response.add_cookie(&self.state.cookie("csrf", self.csrf_cookie.clone()));
        }
        if self.flash.is_some() {
            let _ = response.add_cookie(&self.state.removal_cookie("flash"));
        }
        response
    }
}

/// A view model as the templates read it. A view model that is not a JSON object is a bug.
fn view(data: impl Serialize) -> AppResult<Value> {
    let value = serde_json::to_value(data).map_err(|e| AppError::Internal(e.into()))?;
    if !value.is_object() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a page's view model must be an object"
        )));
    }
    Ok(value)
}

pub fn html_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A link in the navigation, registered by `startup` (the page layer names no feature).
#[derive(Clone, Copy, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub shown_to: Audience,
}

/// Who sees a navigation link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    SignedIn,
    /// Platform and organisation administrators.
    Administrators,
}

impl Audience {
    fn includes(self, user: Option<&Caller>) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::SignedIn => user.is_some(),
            Audience::Administrators => {
                user.is_some_and(|u| matches!(u.role(), Role::PlatformAdmin | Role::OrgAdmin))
            }
        }
    }
}

/// What the layout template reads (`layout` in every page's data).
#[derive(Serialize)]
pub struct LayoutView<'a> {
    user: Option<LayoutUser<'a>>,
    csrf: &'a str,
    flash: Option<&'a Flash>,
    nav: Vec<NavLink>,
    path: &'a str,
}

#[derive(Serialize)]
struct LayoutUser<'a> {
    name: &'a str,
    organisation: &'a str,
    role: &'static str,
}

#[derive(Serialize)]
struct NavLink {
    href: &'static str,
    label: &'static str,
    current: bool,
    count: Option<i64>,
}

/// The layout's data for this request: who is signed in, the form token, the flash and the
/// navigation with its counts.
pub fn layout_context<'a>(
    req: &'a HttpRequest,
    nav: &[NavItem],
    user: Option<&'a Caller>,
    csrf: &'a str,
    flash: Option<&'a Flash>,
    counts: &[(&'static str, i64)],
) -> LayoutView<'a> {
    let path = req.path();
    let nav = nav
        .iter()
        .filter(|item| item.shown_to.includes(user))
        .map(|item| NavLink {
            href: item.href,
            label: item.label,
            current: path == item.href || (item.href != "/" && path.starts_with(item.href)),
            count: counts
                .iter()
                .find(|(of, _)| *of == item.href)
                .map(|(_, n)| *n)
                .filter(|n| *n > 0),
        })
        .collect();
    LayoutView {
        user: user.map(|u| LayoutUser {
            name: &u.name,
            organisation: &u.organisation_name,
            role: u.role().label(),
        }),
        csrf,
        flash,
        nav,
        path,
    }
}
