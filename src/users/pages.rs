//! Admin pages for an organisation's people: list, invite, disable and re-enable.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Role, User, UserStatus};
use super::service::{self, Invite};
use super::{invitations, queries};
use crate::auth::Caller;
use crate::authz;
use crate::error::AppResult;
use crate::organisations;
use crate::web::arguments::SignedIn;
use crate::web::respond::save_parsed;
use crate::web::{
    redirect_with_flash, Choice, FieldErrors, Form, NoFields, Page, PageQuery, Reply,
};

/// A person in the list, and whether the viewer may manage them.
#[derive(Serialize)]
struct PersonRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
    last_sign_in: Option<String>,
    manageable: bool,
}

fn user_row(u: &User, caller: &Caller) -> PersonRow {
    PersonRow {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role().label(),
        active: u.is_active(),
        last_sign_in: u
            .last_sign_in_at
            .map(|t| t.format("%-d %B %Y %H:%M").to_string()),
        manageable: authz::manage_user(caller, u).is_ok(),
    }
}

/// An invitation not yet accepted.
#[derive(Serialize)]
struct PendingRow {
    email: String,
    role: Option<&'static str>,
    expires: String,
}

#[derive(Serialize)]
struct UsersView<'a> {
    title: String,
    organisation: crate::organisations::model::Organisation,
    people: Vec<PersonRow>,
    pending: Vec<PendingRow>,
    roles: Vec<Choice>,
    pagination: serde_json::Value,
    is_platform_admin: bool,
    is_own_org: bool,
    form: &'a InviteForm,
    errors: Option<FieldErrors>,
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
    let base = format!("/admin/organisations/{organisation_id}/users");
    let view = UsersView {
        title: format!("People at {}", organisation.name),
        people: people.iter().map(|u| user_row(u, &caller)).collect(),
        pending: pending
            .iter()
            .map(|i| PendingRow {
                email: i.email.clone(),
                role: Role::parse(&i.role).map(Role::label).ok(),
                expires: i.expires_at.format("%-d %B %Y").to_string(),
            })
            .collect(),
        roles: authz::invitable_roles(&caller)
            .into_iter()
            .map(|r| Choice::new(r.as_str(), r.label(), r.as_str() == form.role))
            .collect(),
        pagination: paging.context(total, &base),
        is_platform_admin: caller.role() == Role::PlatformAdmin,
        is_own_org: organisation.id == caller.organisation_id,
        organisation,
        form,
        errors,
    };
    page.render_form(view.errors.is_some(), "admin/users", view)
}

pub async fn list(at: SignedIn, path: web::Path<i64>, query: web::Query<PageQuery>) -> Reply {
    let form = InviteForm::default();
    render_users(&at.page, at.caller, path.into_inner(), &query, &form, None).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

pub async fn invite(at: SignedIn, path: web::Path<i64>, form: Form<InviteForm>) -> Reply {
    let SignedIn { page, caller } = at;
    let organisation_id = path.into_inner();
    authz::view_org_users(&caller, organisation_id)?;
    let form = form.0;
    let state = page.state();
    let sent = save_parsed(Invite::parse(&form.email, &form.role), |invite| {
        let email = invite.email.clone();
        let ip = state.client_ip(page.request());
        let sent = service::send_invitation(state, caller.clone(), organisation_id, invite, ip);
        async move { sent.await.map(|_| email) }
    })
    .await?;
    match sent {
        Ok(email) => {
            let back = format!("/admin/organisations/{organisation_id}/users");
            let message = format!("An invitation has been sent to {email}");
            Ok(redirect_with_flash(state, &back, &message))
        }
        Err(errors) => {
            let query = PageQuery::default();
            render_users(&page, caller, organisation_id, &query, &form, Some(errors)).await
        }
    }
}

async fn change_status(at: SignedIn, user_id: i64, status: UserStatus) -> Reply {
    let target = at
        .change(move |conn, actor| {
            service::set_status(conn, actor.caller, user_id, status, actor.ip)
        })
        .await?;
    let back = format!("/admin/organisations/{}/users", target.organisation_id);
    let message = match status {
        UserStatus::Disabled => format!("{} can no longer sign in", target.name),
        UserStatus::Active => format!("{} can sign in again", target.name),
    };
    Ok(at.done(&back, &message))
}

pub async fn disable(at: SignedIn, path: web::Path<i64>, _form: Form<NoFields>) -> Reply {
    change_status(at, path.into_inner(), UserStatus::Disabled).await
}

pub async fn enable(at: SignedIn, path: web::Path<i64>, _form: Form<NoFields>) -> Reply {
    change_status(at, path.into_inner(), UserStatus::Active).await
}
