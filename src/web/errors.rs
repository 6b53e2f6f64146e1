//! Turning errors into answers: a JSON problem on the API, a page in the layout elsewhere,
//! a redirect to sign in for signed-out visitors; and the audit of refused permissions.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde_json::json;

use super::page::{csrf_cookie, html_response, layout_context};
use crate::audit::{self, Entry};
use crate::auth::{MaybeUser, Resolved};
use crate::error::{AppError, Denial, ErrorInfo, Problem};
use crate::state::AppState;

/// Machine-read paths: the API and feeds answer errors in JSON, never with a sign-in page.
fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/") || req.path().ends_with(".atom")
}

/// For `ErrorHandlers::default_handler`: every 4xx/5xx response passes through here.
pub fn render_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let message = res
        .response()
        .extensions()
        .get::<ErrorInfo>()
        .map(|e| e.message.clone());

    if is_api(res.request()) || res.request().path() == "/healthz" {
        if is_json {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        // Framework-made errors (unknown route, wrong method): same JSON shape as ours.
        let problem = Problem {
            error: code_for(status).into(),
            message: status.canonical_reason().unwrap_or("Error").into(),
            fields: Default::default(),
        };
        let (req, old) = res.into_parts();
        let mut new = HttpResponse::build(status).json(problem);
        copy_headers(&old, &mut new);
        return Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, new).map_into_right_body(),
        ));
    }

    if is_html {
        // A page the handler rendered itself, such as a form with its errors.
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }

    let (req, old) = res.into_parts();
    let new = if status == StatusCode::UNAUTHORIZED {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let target = format!("/login?next={}", urlencode(next));
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .finish()
    } else {
        let mut page = error_page(&req, status, message);
        copy_headers(&old, &mut page);
        page
    };
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

fn copy_headers<B>(from: &actix_web::HttpResponse<B>, to: &mut HttpResponse) {
    for (name, value) in from.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            to.headers_mut().append(name.clone(), value.clone());
        }
    }
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    }
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn error_page(req: &HttpRequest, status: StatusCode, message: Option<String>) -> HttpResponse {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return HttpResponse::build(status).body(status.to_string());
    };
    let (title, detail) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found".to_string(),
            "If you typed the web address, check it is correct. If you pasted the web address, check you copied the entire address.".to_string(),
        ),
        StatusCode::FORBIDDEN => (
            "You cannot do that".to_string(),
            message.unwrap_or_else(|| "You do not have permission to do that.".into()),
        ),
        s if s.is_server_error() => (
            "Sorry, there is a problem with the service".to_string(),
            message
                .filter(|_| s == StatusCode::SERVICE_UNAVAILABLE)
                .unwrap_or_else(|| "Try again later.".into()),
        ),
        s => (
            s.canonical_reason().unwrap_or("Error").to_string(),
            message.unwrap_or_else(|| "Go back and try again.".into()),
        ),
    };
    let user = req
        .extensions()
        .get::<Resolved>()
        .and_then(|r| r.caller.clone());
    let (cookie, new_cookie) = csrf_cookie(req, state);
    let csrf = state.keys.csrf_token(&cookie);
    let data = json!({
        "title": title,
        "detail": detail,
        "status": status.as_u16(),
        "layout": layout_context(req, &state.nav, user.as_ref(), &csrf, None, &[]),
    });
    let body = state
        .templates
        .html("error", &data)
        .unwrap_or_else(|_| title.clone());
    let mut response = html_response(status, body);
    if new_cookie {
        let _ = response.add_cookie(&state.cookie("csrf", cookie));
    }
    response
}

/// A NUL in the address (`%00`) is refused before any handler sees it: no name, slug or
/// token has one, and PostgreSQL cannot even compare text holding one.
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let raw = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
    if raw.to_ascii_lowercase().contains("%00") {
        let refusal = AppError::BadRequest("The address contains a NUL character".into());
        let response = actix_web::ResponseError::error_response(&refusal);
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Every refused permission is written to the audit log, after the handler's own
/// transaction has rolled back.
pub async fn audit_denials(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let denial = res.response().extensions().get::<Denial>().copied();
    if let Some(denial) = denial {
        let request = res.request().clone();
        if let Some(state) = request.app_data::<web::Data<AppState>>() {
            let user = request
                .extensions()
                .get::<Resolved>()
                .and_then(|r| r.caller.clone());
            let ip = state.client_ip(&request);
            // A signed-in person's denials are kept one by one; a stranger's are counted.
            let entries = match user {
                Some(u) => vec![Entry::new("permission.denied")
                    .target("path", request.path())
                    .ip(&ip)
                    .actor(u.user_id, u.organisation_id)
                    .details(
                        json!({ "action": denial.action, "method": request.method().as_str() }),
                    )],
                None => state.denials.count(&ip, request.path(), denial.action),
            };
            // Written after the answer goes, so a refusal takes no longer than a miss and
            // the timing does not tell which things exist.
            if !entries.is_empty() {
                let db = state.db.clone();
                actix_web::rt::spawn(async move {
                    let written = db
                        .write(move |conn| {
                            for entry in entries {
                                audit::record(conn, entry)?;
                            }
                            Ok(())
                        })
                        .await;
                    if let Err(e) = written {
                        tracing::error!(error = %e, "could not audit a permission denial");
                    }
                });
            }
        }
    }
    Ok(res.map_into_left_body())
}

/// Anything no route matched.
pub async fn not_found(_user: MaybeUser) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Extractor failures (bad JSON, path or query) answer in our error shape.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(256 * 1024)
        .error_handler(|err, _| {
            AppError::BadRequest(format!("The request body is not valid JSON: {err}")).into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        AppError::BadRequest(format!("The query string is not valid: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}
