//! Form posts: the body is read once, its CSRF token checked against the CSRF cookie, and
//! only then decoded into the handler's type. A post without a valid token changes nothing.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::state::AppState;

const FORM_LIMIT: usize = 64 * 1024;

pub struct Form<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Form<T>, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = AppState::of(&req)?;
            let body = body
                .await
                .map_err(|_| AppError::BadRequest("The form could not be read".into()))?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::BadRequest("The form is too large".into()));
            }
            let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
                .map_err(|_| AppError::BadRequest("The form could not be read".into()))?;
            let token = pairs
                .iter()
                .find(|(k, _)| k == "_csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            check_csrf(&req, &state, token)?;
            serde_html_form::from_bytes(&body)
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))
        })
    }
}

/// Refuses a post whose `token` does not match the request's CSRF cookie.
pub fn check_csrf(req: &HttpRequest, state: &AppState, token: &str) -> Result<(), AppError> {
    let cookie = req
        .cookie(&state.cookie_name("csrf"))
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if cookie.is_empty() || !state.keys.csrf_matches(&cookie, token) {
        return Err(AppError::Csrf);
    }
    Ok(())
}

/// A form post on a page, read from the request once: the page, who is signed in (or the
/// sign-in page, before the body is read), the path's `{slug}`, its `{id}` and a second id
/// (like `{barrier}`; 0 where the path has none), and the form.
pub struct Posted<I> {
    pub page: crate::web::Page,
    pub caller: crate::auth::Caller,
    pub slug: Option<String>,
    pub id: i64,
    pub part: i64,
    pub input: I,
}

impl<I: DeserializeOwned + 'static> FromRequest for Posted<I> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Posted<I>, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = crate::auth::CurrentUser::from_request(req, payload);
        let page = crate::web::Page::from_request(req, payload);
        let form = Form::<I>::from_request(req, payload);
        let slug = req.match_info().get("slug").map(String::from);
        let ids = crate::web::path_ids(req);
        Box::pin(async move {
            let caller = user.await?.0;
            let (id, part) = ids?;
            let page = page.await?;
            let input = form.await?.0;
            Ok(Posted {
                page,
                caller,
                slug,
                id,
                part,
                input,
            })
        })
    }
}

/// A button: a form with nothing in it but its CSRF token, posted on the path's `{id}`.
pub type Button = Posted<crate::web::NoFields>;

impl Button {
    /// Makes the change for the signed-in person on the path's `{id}`, then goes to `back`
    /// with `message`.
    pub async fn press<T, F>(self, back: &str, message: &str, change: F) -> crate::web::Reply
    where
        F: FnOnce(&mut crate::db::DbConn, &crate::auth::Actor, i64) -> crate::error::AppResult<T>
            + Send
            + 'static,
        T: Send + 'static,
    {
        let (page, id) = (self.page, self.id);
        page.state()
            .change(page.request(), self.caller, move |conn, actor| {
                change(conn, actor, id)
            })
            .await?;
        Ok(crate::web::redirect_with_flash(page.state(), back, message))
    }
}
