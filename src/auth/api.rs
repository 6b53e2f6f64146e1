//! API sign-in: bearer tokens, and who am I.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::device;
use super::login::{self, Attempt};
use super::sessions::{self, SessionKind};
use super::ApiCaller;
use crate::db::rfc3339;
use crate::error::AppResult;
use crate::organisations::{self, Organisation};
use crate::state::AppState;
use crate::web::arguments::{ApiChange, ApiRead};
use crate::web::respond::invalid;
use crate::web::{FieldErrors, Reply};

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// Marks this client as one that signed in as you. Keep it and send it back in the
    /// `X-Device-Token` header when asking for a token again: while someone else is
    /// guessing at your password, a client with it is judged by its own failed attempts
    /// only, so you are not locked out. It grants no access on its own. Also set as a cookie.
    pub device_token: String,
}

/// Exchange an email address and password for a bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    request_body = TokenRequest,
    params(
        ("X-Device-Token" = Option<String>, Header,
            description = "The `device_token` of an earlier sign-in as this person (or the device cookie). Sign-in attempts that carry it are limited by this client's own failed attempts, not by the account's or the address's."),
    ),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong email address or password", body = crate::error::Problem),
        (status = 422, description = "Missing fields", body = crate::error::Problem),
        (status = 429, description = "Too many failed attempts", body = crate::error::Problem),
    )
)]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut errors = FieldErrors::default();
    if body.email.trim().is_empty() {
        errors.add("email", "Enter your email address");
    }
    if body.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let attempt = Attempt {
        email: body.email,
        password: body.password,
        ip: state.client_ip(&req),
        user_agent: AppState::user_agent(&req),
        kind: SessionKind::Api,
        device: device::presented(&state, &req),
    };
    let signed_in = login::sign_in(&state, attempt).await?;
    Ok(HttpResponse::Ok()
        .cookie(device::cookie(&state, signed_in.device_token.clone()))
        .json(TokenResponse {
            token: signed_in.token,
            expires_at: rfc3339(signed_in.expires_at),
            device_token: signed_in.device_token,
        }))
}

/// Revoke the token this request carries.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/token",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = crate::error::Problem),
    )
)]
pub async fn revoke_token(call: ApiChange) -> Reply {
    call.run(|conn, actor| sessions::sign_out(conn, actor.caller, "api_token.revoked", actor.ip))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: crate::identity::Role,
    pub organisation: Organisation,
}

/// The signed-in caller and their organisation.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No valid token", body = crate::error::Problem),
    )
)]
pub async fn me(read: ApiRead<ApiCaller>) -> Reply {
    read.answer(|conn, caller| {
        let caller = &caller.0;
        Ok(Me {
            organisation: organisations::queries::find(conn, caller.organisation_id)?,
            id: caller.user_id,
            email: caller.email.clone(),
            name: caller.name.clone(),
            role: caller.role,
        })
    })
    .await
}
