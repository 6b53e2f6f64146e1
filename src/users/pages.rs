//! Admin pages for an organisation's people: list, invite, disable and re-enable.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{Role, User, UserStatus};
use super::service::{self, Invite};
use super::{invitations, queries};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::organisations;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page, PageQuery};

fn user_row(u: &User, caller: &Caller) -> serde_json::Value {
    json!({
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "role": u.role().label(),
        "active": u.is_active(),
        "last_sign_in": u.last_sign_in_at.map(|t| t.format("%-d %B %Y %H:%M").to_string()),
        "manageable": authz::manage_user(caller, u).is_ok(),
    })
}

async fn render_users(
    page: &Page,
    caller: Caller,
    organisation_id: i64,
    query: &PageQuery,
    form: &InviteForm,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    authz::view_org_users(&caller, organisation_id)?;
    let paging = query.paging(25);
    let viewer = caller.clone();
    let (organisation, (people, total), pending) = page
        .state()
        .db
        .run(move |conn| {
            let organisation = organisations::queries::find(conn, organisation_id)?;
            let people = queries::page_for_org(conn, organisation_id, paging)?;
            let pending = invitations::pending_for_org(conn, organisation_id)?;
            Ok((organisation, people, pending))
        })
        .await?;
    let selected = form.role.clone();
    let roles: Vec<_> = authz::invitable_roles(&viewer)
        .into_iter()
        .map(|r| json!({ "value": r.as_str(), "label": r.label(), "selected": r.as_str() == selected }))
        .collect();
    let pending: Vec<_> = pending
        .iter()
        .map(|i| {
            json!({
                "email": i.email,
                "role": Role::parse(&i.role).map(Role::label).ok(),
                "expires": i.expires_at.format("%-d %B %Y").to_string(),
            })
        })
        .collect();
    let base = format!("/admin/organisations/{organisation_id}/users");
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render_status(
        status,
        "admin/users",
        json!({
            "title": format!("People at {}", organisation.name),
            "organisation": organisation,
            "people": people.iter().map(|u| user_row(u, &viewer)).collect::<Vec<_>>(),
            "pending": pending,
            "roles": roles,
            "pagination": paging.context(total, &base),
            "is_platform_admin": viewer.role() == Role::PlatformAdmin,
            "is_own_org": organisation.id == viewer.organisation_id,
            "form": form,
            "errors": errors,
        }),
    )
}

pub async fn list(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    render_users(
        &page,
        user.0,
        path.into_inner(),
        &query,
        &InviteForm::default(),
        None,
    )
    .await
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

pub async fn invite(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let organisation_id = path.into_inner();
    authz::view_org_users(&caller, organisation_id)?;
    let form = form.0;
    let errors = match Invite::parse(&form.email, &form.role) {
        Ok(invite) => {
            let state = page.state();
            let email = invite.email.clone();
            let ip = state.client_ip(page.request());
            match service::send_invitation(state, caller.clone(), organisation_id, invite, ip).await
            {
                Ok(_) => {
                    let back = format!("/admin/organisations/{organisation_id}/users");
                    let message = format!("An invitation has been sent to {email}");
                    return Ok(redirect_with_flash(state, &back, &message));
                }
                Err(AppError::Validation { fields, .. }) => FieldErrors::from_map(fields),
                Err(e) => return Err(e),
            }
        }
        Err(errors) => errors,
    };
    render_users(
        &page,
        caller,
        organisation_id,
        &PageQuery::default(),
        &form,
        Some(errors),
    )
    .await
}

async fn change_status(
    page: Page,
    caller: Caller,
    user_id: i64,
    status: UserStatus,
) -> AppResult<HttpResponse> {
    let state = page.state();
    let ip = state.client_ip(page.request());
    let target = state
        .db
        .run(move |conn| service::set_status(conn, &caller, user_id, status, &ip))
        .await?;
    let back = format!("/admin/organisations/{}/users", target.organisation_id);
    let message = match status {
        UserStatus::Disabled => format!("{} can no longer sign in", target.name),
        UserStatus::Active => format!("{} can sign in again", target.name),
    };
    Ok(redirect_with_flash(state, &back, &message))
}

pub async fn disable(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    change_status(page, user.0, path.into_inner(), UserStatus::Disabled).await
}

pub async fn enable(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    change_status(page, user.0, path.into_inner(), UserStatus::Active).await
}
