//! The one place that answers "may this caller see or do this?". Handlers call these
//! before acting. A refusal about something the caller may not even know exists answers
//! 404 (`visible: false`); a refusal about something they can see answers 403.

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::users::{Role, User};

fn deny(action: &'static str) -> AppError {
    AppError::Denied {
        visible: false,
        action,
    }
}

fn refuse(action: &'static str) -> AppError {
    AppError::Denied {
        visible: true,
        action,
    }
}

fn is_platform_admin(caller: &Caller) -> bool {
    caller.role() == Role::PlatformAdmin
}

fn is_admin_of(caller: &Caller, organisation_id: i64) -> bool {
    is_platform_admin(caller)
        || (caller.role() == Role::OrgAdmin && caller.organisation_id == organisation_id)
}

/// The admin area exists only for organisation and platform admins.
pub fn use_admin_area(caller: &Caller) -> AppResult<()> {
    match caller.role() {
        Role::PlatformAdmin | Role::OrgAdmin => Ok(()),
        _ => Err(deny("admin.view")),
    }
}

/// Listing and adding organisations.
pub fn manage_organisations(caller: &Caller) -> AppResult<()> {
    if is_platform_admin(caller) {
        Ok(())
    } else {
        Err(deny("organisation.manage"))
    }
}

/// Seeing an organisation's people: its own admins and platform admins.
pub fn view_org_users(caller: &Caller, organisation_id: i64) -> AppResult<()> {
    if is_admin_of(caller, organisation_id) {
        Ok(())
    } else {
        Err(deny("organisation.users.view"))
    }
}

/// Inviting into an organisation, with a role an invitation may carry.
pub fn invite(caller: &Caller, organisation_id: i64, role: Role) -> AppResult<()> {
    view_org_users(caller, organisation_id)?;
    if role == Role::PlatformAdmin {
        return Err(refuse("organisation.users.invite_platform_admin"));
    }
    Ok(())
}

/// Disabling or re-enabling someone: an admin of their organisation, never oneself.
pub fn manage_user(caller: &Caller, target: &User) -> AppResult<()> {
    view_org_users(caller, target.organisation_id)?;
    if target.id == caller.user_id {
        return Err(refuse("user.manage_self"));
    }
    if target.role() == Role::PlatformAdmin && !is_platform_admin(caller) {
        return Err(refuse("user.manage_platform_admin"));
    }
    Ok(())
}

/// The roles an invitation from this caller may carry, for the invite form.
pub fn invitable_roles(_caller: &Caller) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| *r != Role::PlatformAdmin)
        .collect()
}
