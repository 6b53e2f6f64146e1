//! Inviting people and disabling or re-enabling them, each with its audit entry and event.

use chrono::Duration;
use serde_json::json;

use super::model::{parse_email, Role, User, UserStatus};
use super::{invitations, queries};
use crate::audit::{self, Entry};
use crate::auth::tokens::new_secret_token;
use crate::auth::Caller;
use crate::authz;
use crate::config::Settings;
use crate::db::{now, write_tx, DbConn};
use crate::email;
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::organisations;
use crate::state::AppState;
use crate::web::templates::Templates;
use crate::web::FieldErrors;

pub struct Invite {
    pub email: String,
    pub role: Role,
}

impl Invite {
    pub fn parse(email: &str, role: &str) -> Result<Invite, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", parse_email(email));
        let role = errors.check("role", Role::parse(role).map_err(|_| "Select a role"));
        match (email, role) {
            (Some(email), Some(role)) => Ok(Invite { email, role }),
            _ => Err(errors),
        }
    }
}

pub struct Mail<'a> {
    pub templates: &'a Templates,
    pub settings: &'a Settings,
}

/// Checks, records and emails an invitation. Returns its id.
pub fn invite(
    conn: &mut DbConn,
    mail: &Mail,
    actor: &Caller,
    organisation_id: i64,
    invite: &Invite,
    ip: &str,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let organisation = organisations::queries::find(conn, organisation_id)?;
        authz::invite(actor, organisation_id, invite.role)?;
        // Whether the address has an account in another organisation is not this
        // organisation's business: that clash is explained to the invitee on acceptance.
        let existing = queries::find_by_email(conn, &invite.email)?;
        if existing.is_some_and(|u| u.organisation_id == organisation_id) {
            return Err(AppError::field(
                "email",
                "Someone with this email address is already in this organisation",
            ));
        }
        let (token, token_hash) = new_secret_token();
        let expires_at = now() + Duration::days(mail.settings.security.invitation_days);
        let id = invitations::insert(
            conn,
            &invitations::NewInvitation {
                organisation_id,
                email: &invite.email,
                role: invite.role.as_str(),
                token_hash: &token_hash,
                invited_by: actor.user_id,
                expires_at,
            },
        )?;
        audit::record(
            conn,
            Entry::new("user.invited")
                .actor(actor.user_id, actor.organisation_id)
                .target("invitation", id)
                .ip(ip)
                .details(json!({ "email": invite.email, "role": invite.role.as_str(), "organisation_id": organisation_id })),
        )?;
        events::emit(
            conn,
            NewEvent {
                kind: "user.invited",
                actor_user_id: Some(actor.user_id),
                organisation_id: Some(organisation_id),
                target_kind: "invitation",
                target_id: id.to_string(),
                workspace_id: None,
                visibility: Visibility::Private,
                payload: json!({ "role": invite.role.as_str() }),
            },
        )?;
        let link = format!("{}/invitations/{token}", mail.settings.base_url());
        email::enqueue(
            conn,
            mail.templates,
            mail.settings,
            &invite.email,
            "invitation",
            &json!({
                "inviter": actor.name,
                "organisation": organisation.name,
                "role": invite.role.label(),
                "link": link,
                "days": mail.settings.security.invitation_days,
            }),
        )?;
        Ok(id)
    })
}

/// Sends an invitation from a handler: the work on the blocking pool, then a nudge to
/// the mail worker once it is committed.
pub async fn send_invitation(
    state: &AppState,
    actor: Caller,
    organisation_id: i64,
    new: Invite,
    ip: String,
) -> AppResult<i64> {
    let (templates, settings) = (state.templates.clone(), state.settings.clone());
    let id = state
        .db
        .run(move |conn| {
            let mail = Mail {
                templates: &templates,
                settings: &settings,
            };
            invite(conn, &mail, &actor, organisation_id, &new, &ip)
        })
        .await?;
    state.jobs.wake();
    Ok(id)
}

/// Disables (ending every session) or re-enables a user. Returns the user as it was.
pub fn set_status(
    conn: &mut DbConn,
    actor: &Caller,
    user_id: i64,
    status: UserStatus,
    ip: &str,
) -> AppResult<User> {
    write_tx(conn, |conn| {
        let target = queries::find(conn, user_id)?;
        authz::manage_user(actor, &target)?;
        queries::set_status(conn, user_id, status)?;
        if status == UserStatus::Disabled {
            queries::revoke_all_sessions(conn, user_id)?;
        }
        let action = match status {
            UserStatus::Disabled => "user.disabled",
            UserStatus::Active => "user.enabled",
        };
        audit::record(
            conn,
            Entry::new(action)
                .actor(actor.user_id, actor.organisation_id)
                .target("user", user_id)
                .ip(ip),
        )?;
        events::emit(
            conn,
            NewEvent {
                kind: action,
                actor_user_id: Some(actor.user_id),
                organisation_id: Some(target.organisation_id),
                target_kind: "user",
                target_id: user_id.to_string(),
                workspace_id: None,
                visibility: Visibility::Private,
                payload: json!({}),
            },
        )?;
        Ok(target)
    })
}
