//! Web plumbing shared by every page: templates, the page context, forms with CSRF,
//! flash messages, error pages, security headers, static assets and pagination.

pub mod arguments;
pub mod assets;
pub mod call;
pub mod conditional;
pub mod errors;
pub mod forms;
pub mod import;
pub mod markdown;
pub mod page;
pub mod pagination;
pub mod respond;
pub mod routes;
pub mod templates;
pub mod upload;

use actix_web::http::header;
use actix_web::HttpResponse;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub use forms::{Button, Form, Posted};
pub use page::Page;
pub use pagination::{PageQuery, Paged, Paging};

/// What a handler answers: a response, or an error the error layer turns into one.
pub type Reply = crate::error::AppResult<HttpResponse>;

/// The strings of a form field that may be given several times (checkboxes, a multiple
/// select), as decoded into a JSON value: an array of strings, one string, or nothing.
pub fn strings(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        serde_json::Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// A one-time message shown on the next page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

impl Flash {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(value: &str) -> Option<Flash> {
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// 303 See Other: the answer to a successful form post.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub fn redirect_with_flash(state: &AppState, location: &str, message: &str) -> HttpResponse {
    let mut response = redirect(location);
    let flash = Flash {
        kind: "success".into(),
        message: message.into(),
    };
    let _ = response.add_cookie(&state.cookie("flash", flash.encode()));
    response
}

/// JSON answers, by what they depend on: 8 MB of them at most.
pub struct KeptAnswers;

impl crate::cache::Keep for KeptAnswers {
    type Key = String;
    type Value = actix_web::web::Bytes;
    fn store() -> crate::cache::Versioned<String, actix_web::web::Bytes> {
        crate::cache::Versioned::with_budget(1_000, 8 << 20, |k, v| k.len() + v.len())
    }
}

/// A JSON answer kept until the data version moves. `key` names what it is built from
/// besides the data and the caller's organisation and role (which are added here); `build`
/// runs only when nothing is kept.
pub async fn kept_json<T, F, Fut>(
    state: &AppState,
    caller: Option<&crate::auth::Caller>,
    version: i64,
    key: &str,
    build: F,
) -> crate::error::AppResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = crate::error::AppResult<T>>,
{
    let key = crate::cache::kept_key(caller, key);
    let body = state
        .cache
        .kept::<KeptAnswers>()
        .get_or_work(version, key, || async {
            let answer = build().await?;
            Ok::<_, crate::error::AppError>(actix_web::web::Bytes::from(serde_json::to_vec(
                &answer,
            )?))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}

/// A local path to return to after signing in; anything else becomes "/".
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Field errors for a form: shown in the error summary (linked to each field) and
/// beside the fields themselves.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }

    /// The fields of a validation error from a service, to show on its form.
    pub fn from_map(fields: std::collections::BTreeMap<String, String>) -> FieldErrors {
        FieldErrors(fields.into_iter().collect())
    }

    /// Records `Err` messages and passes on `Ok` values.
    pub fn check<T>(&mut self, field: &str, result: Result<T, &str>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    fn view(&self) -> serde_json::Value {
        let list: Vec<_> = self
            .0
            .iter()
            .map(|(f, m)| serde_json::json!({ "href": format!("#{f}"), "message": m }))
            .collect();
        let by_field: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(f, m)| (f.clone(), serde_json::Value::String(m.clone())))
            .collect();
        serde_json::json!({ "list": list, "by_field": by_field })
    }

    pub fn into_map(self) -> std::collections::BTreeMap<String, String> {
        self.0
            .into_iter()
            .map(|(f, m)| (f.to_string(), m))
            .collect()
    }
}

/// As the error summary and the fields read them: `list` (href, message) and `by_field`.
impl Serialize for FieldErrors {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

/// One `<option>` of a `<select>` whose values come from the data (organisations, years).
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: &str, label: &str, selected: bool) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// The view of a page that shows nothing but its own words: only its title.
#[derive(Serialize)]
pub struct Titled {
    pub title: &'static str,
}

/// A link in the breadcrumbs above a page's heading.
#[derive(Clone, Debug, Serialize)]
pub struct Crumb {
    pub href: String,
    pub label: String,
}

impl Crumb {
    pub fn new(href: &str, label: &str) -> Crumb {
        Crumb {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// The id named `name` in the request's path: 0 where the path has none, 404 where it is not
/// a number.
pub fn path_id(req: &actix_web::HttpRequest, name: &str) -> Result<i64, crate::error::AppError> {
    match req.match_info().get(name) {
        Some(v) => v.parse().map_err(|_| crate::error::AppError::NotFound),
        None => Ok(0),
    }
}

/// The path's `{id}` and its other id (like `{barrier}`; not the `{slug}`), 0 where it has
/// none.
pub fn path_ids(req: &actix_web::HttpRequest) -> Result<(i64, i64), crate::error::AppError> {
    let second = req
        .match_info()
        .iter()
        .find(|(name, _)| *name != "id" && *name != "slug")
        .map(|(name, _)| name.to_string());
    let part = match second {
        Some(name) => path_id(req, &name)?,
        None => 0,
    };
    Ok((path_id(req, "id")?, part))
}

/// A form with nothing in it but its CSRF token.
#[derive(Debug, Deserialize, Serialize)]
pub struct NoFields {}

/// Digits grouped in thousands: 1234567 → "1,234,567".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}
