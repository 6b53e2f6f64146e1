//! Signing in, shared by the sign-in page and the token API.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::sessions::{self, SessionKind};
use super::throttle::{self, Scope};
use super::tokens;
use crate::audit::{self, Entry};
use crate::db::{lock_for_append, now, write_tx};

/// Serialises the count-and-record step of sign-in on PostgreSQL.
const THROTTLE_LOCK: i64 = 7_301_003;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::{self, User};

pub struct SignedIn {
    pub user: User,
    pub token: String,
    pub expires_at: NaiveDateTime,
}

pub struct Attempt {
    pub email: String,
    pub password: String,
    pub ip: String,
    pub user_agent: String,
    pub kind: SessionKind,
}

pub async fn sign_in(state: &AppState, attempt: Attempt) -> AppResult<SignedIn> {
    let security = &state.settings.security;
    let window = Duration::minutes(security.failure_window_minutes);
    let (max_account, max_client) = (
        security.max_failures_per_account,
        security.max_failures_per_client,
    );
    let email = attempt.email.trim().to_lowercase();
    let ip = attempt.ip.clone();

    // Each attempt is counted as a failure before the password is checked (and taken
    // back if it succeeds), so a burst of parallel guesses cannot slip past the limit.
    let (account_failures, client_failures, user, provisional) = {
        let (email, ip) = (email.clone(), ip.clone());
        state
            .db
            .write(move |conn| {
                lock_for_append(conn, THROTTLE_LOCK)?;
                let since = now() - window;
                let account = throttle::failures_since(conn, Scope::Account, &email, since)?;
                let client = throttle::failures_since(conn, Scope::Client, &ip, since)?;
                let user = users::queries::find_by_email(conn, &email)?;
                let provisional = if account >= max_account || client >= max_client {
                    None
                } else {
                    Some([
                        throttle::record_failure(conn, Scope::Account, &email, since)?,
                        throttle::record_failure(conn, Scope::Client, &ip, since)?,
                    ])
                };
                Ok((account, client, user, provisional))
            })
            .await?
    };

    let Some(provisional) = provisional else {
        let scope = if account_failures >= max_account {
            "account"
        } else {
            "client"
        };
        let entry = Entry::new("sign_in.throttled")
            .target(
                "user",
                user.as_ref().map(|u| u.id.to_string()).unwrap_or_default(),
            )
            .ip(&ip)
            .details(json!({ "email": email, "scope": scope }));
        state
            .db
            .write(move |conn| Ok(audit::record(conn, entry)?))
            .await?;
        return Err(AppError::TooManyRequests {
            message: format!(
                "There have been too many failed attempts to sign in. Wait {} minutes, then try again.",
                security.failure_window_minutes
            ),
            retry_after: window.num_seconds(),
        });
    };

    let matches = state
        .hasher
        .verify(
            attempt.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;

    match user {
        Some(user) if matches && user.is_active() => {
            let lifetime = match attempt.kind {
                SessionKind::Web => Duration::hours(security.session_hours),
                SessionKind::Api => Duration::hours(security.api_token_hours),
            };
            let user_agent = attempt.user_agent.clone();
            let kind = attempt.kind;
            let (user, session) = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        throttle::remove(conn, &provisional)?;
                        throttle::clear(conn, Scope::Account, &user.email)?;
                        let session =
                            sessions::create(conn, user.id, kind, lifetime, &user_agent, &ip)?;
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
            Ok(SignedIn {
                user,
                token,
                expires_at: session.expires_at,
            })
        }
        other => {
            let reason = match &other {
                None => "unknown_account",
                Some(u) if !u.is_active() => "disabled",
                Some(_) => "wrong_password",
            };
            let target = other.as_ref().map(|u| u.id.to_string()).unwrap_or_default();
            let locks_account = account_failures + 1 >= max_account;
            let locks_client = client_failures + 1 >= max_client;
            state
                .db
                .write(move |conn| {
                    audit::record(
                        conn,
                        Entry::new("sign_in.failed")
                            .target("user", &target)
                            .ip(&ip)
                            .details(json!({ "email": email, "reason": reason })),
                    )?;
                    for (locked, scope) in [(locks_account, "account"), (locks_client, "client")] {
                        if locked {
                            audit::record(
                                conn,
                                Entry::new("sign_in.locked")
                                    .target("user", &target)
                                    .ip(&ip)
                                    .details(json!({ "email": email, "scope": scope })),
                            )?;
                        }
                    }
                    Ok(())
                })
                .await?;
            Err(AppError::InvalidCredentials)
        }
    }
}
