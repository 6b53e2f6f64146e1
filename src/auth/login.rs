//! Signing in, shared by the sign-in page and the token API.
//!
//! An attempt is first judged by the throttle (see `throttle`): by its device's failures if
//! it presents a valid device cookie for the account, else by the account's and the
//! address's. A refused attempt never reaches the password hash, so it costs no argon2 time
//! and its timing says nothing about the password. Every success hands out a new device
//! token.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::device::{self, Device};
use super::sessions::{self, SessionKind};
use super::throttle::{self, Admission, Client, Limits, Scope};
use super::tokens;
use crate::audit::{self, Entry};
use crate::db::{lock_for_append, now, write_tx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::{self, User};

/// Serialises the count-and-record step of sign-in on PostgreSQL.
const THROTTLE_LOCK: i64 = 7_301_003;

pub struct SignedIn {
    pub user: User,
    pub token: String,
    pub expires_at: NaiveDateTime,
    /// Marks the client as one that signed in as this person (see `device`).
    pub device_token: String,
}

pub struct Attempt {
    pub email: String,
    pub password: String,
    pub ip: String,
    pub user_agent: String,
    pub kind: SessionKind,
    /// The device token the client presented, if any; checked here.
    pub device: Option<String>,
}

pub async fn sign_in(state: &AppState, attempt: Attempt) -> AppResult<SignedIn> {
    let limits = Limits::from_settings(&state.settings.security);
    let email = attempt.email.trim().to_lowercase();
    let ip = attempt.ip.clone();
    let device = attempt
        .device
        .as_deref()
        .and_then(|token| device::verify(&state.keys, token, now()));

    let (user, client, admission) = judge(state, limits, email.clone(), ip.clone(), device).await?;
    let (provisional, locks) = match admission {
        Admission::Refused(scope) => {
            return Err(refuse(state, user.as_ref(), &email, &ip, scope, &limits).await?)
        }
        Admission::Admitted { provisional, locks } => (provisional, locks),
    };

    let matches = state
        .hasher
        .verify(
            attempt.password.clone(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;

    match user {
        Some(user) if matches && user.is_active() => {
            succeed(state, &attempt, user, client, provisional).await
        }
        other => {
            let failure = Failure {
                user: other,
                email,
                ip,
                trusted: matches!(client, Client::Trusted { .. }),
                locks,
            };
            record_failure(state, failure).await?;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Finds the account and judges the attempt by the throttle, in one transaction that
/// serialises sign-ins so that concurrent attempts see each other's provisional failures.
async fn judge(
    state: &AppState,
    limits: Limits,
    email: String,
    ip: String,
    device: Option<Device>,
) -> AppResult<(Option<User>, Client, Admission)> {
    state
        .db
        .write(move |conn| {
            lock_for_append(conn, THROTTLE_LOCK)?;
            let user = users::queries::find_by_email(conn, &email)?;
            let client = judged_as(user.as_ref(), device, email, ip);
            let admission = throttle::admit(conn, &limits, &client)?;
            Ok((user, client, admission))
        })
        .await
}

/// A device token counts only for the account it was issued to; for any other (or an
/// unknown) account the attempt is untrusted, exactly as without one.
fn judged_as(user: Option<&User>, device: Option<Device>, email: String, ip: String) -> Client {
    match (user, device) {
        (Some(user), Some(device)) if device.user_id == user.id => Client::Trusted {
            device: device.key(),
        },
        _ => Client::Untrusted { email, ip },
    }
}

/// Audits a refused attempt and gives the answer: the same whichever limit refused it.
async fn refuse(
    state: &AppState,
    user: Option<&User>,
    email: &str,
    ip: &str,
    scope: Scope,
    limits: &Limits,
) -> AppResult<AppError> {
    let entry = Entry::new("sign_in.throttled")
        .target("user", user.map(|u| u.id.to_string()).unwrap_or_default())
        .ip(ip)
        .details(json!({ "email": email, "scope": scope.as_str() }));
    state
        .db
        .write(move |conn| Ok(audit::record(conn, entry)?))
        .await?;
    Ok(AppError::TooManyRequests {
        message: format!(
            "There have been too many failed attempts to sign in. Wait {} minutes, then try again.",
            limits.window.num_minutes()
        ),
        retry_after: limits.window.num_seconds(),
    })
}

/// Starts the session, forgets the failures this success answers for, and issues a new
/// device token.
async fn succeed(
    state: &AppState,
    attempt: &Attempt,
    user: User,
    client: Client,
    provisional: Vec<i64>,
) -> AppResult<SignedIn> {
    let security = &state.settings.security;
    let lifetime = match attempt.kind {
        SessionKind::Web => Duration::hours(security.session_hours),
        SessionKind::Api => Duration::hours(security.api_token_hours),
    };
    let (user_agent, ip, kind) = (attempt.user_agent.clone(), attempt.ip.clone(), attempt.kind);
    let (user, session) = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                throttle::succeeded(conn, &client, &provisional)?;
                let session = sessions::create(conn, user.id, kind, lifetime, &user_agent, &ip)?;
                users::queries::touch_sign_in(conn, user.id)?;
                let action = match kind {
                    SessionKind::Web => "sign_in.succeeded",
                    SessionKind::Api => "api_token.issued",
                };
                audit::record(
                    conn,
                    Entry::new(action)
                        .actor(user.id, user.organisation_id)
                        .target("user", user.id)
                        .ip(&ip),
                )?;
                Ok((user, session))
            })
        })
        .await?;
    let audience = match attempt.kind {
        SessionKind::Web => tokens::WEB_AUDIENCE,
        SessionKind::Api => tokens::API_AUDIENCE,
    };
    let token = state
        .keys
        .issue(user.id, &session.id, audience, now(), session.expires_at)
        .map_err(AppError::Internal)?;
    let device_expires = now() + Duration::days(security.device_cookie_days);
    let device_token = device::issue(&state.keys, user.id, device_expires);
    Ok(SignedIn {
        user,
        token,
        expires_at: session.expires_at,
        device_token,
    })
}

/// A failed attempt, for the audit.
struct Failure {
    user: Option<User>,
    email: String,
    ip: String,
    trusted: bool,
    /// The limits this failure reached.
    locks: Vec<Scope>,
}

async fn record_failure(state: &AppState, failure: Failure) -> AppResult<()> {
    let reason = match &failure.user {
        None => "unknown_account",
        Some(u) if !u.is_active() => "disabled",
        Some(_) => "wrong_password",
    };
    let target = failure
        .user
        .as_ref()
        .map(|u| u.id.to_string())
        .unwrap_or_default();
    let Failure {
        email,
        ip,
        trusted,
        locks,
        ..
    } = failure;
    state
        .db
        .write(move |conn| {
            audit::record(
                conn,
                Entry::new("sign_in.failed")
                    .target("user", &target)
                    .ip(&ip)
                    .details(json!({ "email": email, "reason": reason, "device": trusted })),
            )?;
            for scope in locks {
                audit::record(
                    conn,
                    Entry::new("sign_in.locked")
                        .target("user", &target)
                        .ip(&ip)
                        .details(json!({ "email": email, "scope": scope.as_str() })),
                )?;
            }
            Ok(())
        })
        .await
}
