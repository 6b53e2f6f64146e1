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
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
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
            let cookie = req
                .cookie(&state.cookie_name("csrf"))
                .map(|c| c.value().to_string())
                .unwrap_or_default();
            if cookie.is_empty() || !state.keys.csrf_matches(&cookie, token) {
                return Err(AppError::Csrf);
            }
            serde_html_form::from_bytes(&body)
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))
        })
    }
}
