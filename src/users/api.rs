//! An organisation's people on the API: its own admins and platform admins only.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Role, User};
use super::service::{self, Invite};
use crate::auth::ApiCaller;
use crate::authz;
use crate::db::rfc3339;
use crate::organisations;
use crate::state::AppState;
use crate::users;
use crate::web::arguments::ApiRead;
use crate::web::respond::invalid;
use crate::web::{PageQuery, Reply};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: crate::users::model::UserStatus,
    pub last_sign_in_at: Option<String>,
}

impl From<User> for UserSummary {
    fn from(u: User) -> UserSummary {
        UserSummary {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            status: u.status,
            last_sign_in_at: u.last_sign_in_at.map(rfc3339),
        }
    }
}

crate::api_list! {
    #[derive(Debug, Serialize, ToSchema)]
    pub struct UserList(UserSummary);
}

/// The people of one organisation.
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}/users",
    tag = "organisations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organisation id"), PageQuery),
    responses(
        (status = 200, description = "People by name", body = UserList),
        (status = 401, description = "No valid token", body = crate::error::Problem),
        (status = 404, description = "No such organisation, or not this caller's to see", body = crate::error::Problem),
    )
)]
pub async fn list_users(
    read: ApiRead<ApiCaller>,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Reply {
    let organisation_id = path.into_inner();
    authz::view_org_users(&read.who.0, organisation_id)?;
    let paging = query.paging(50);
    read.answer(move |conn, _| {
        organisations::queries::find(conn, organisation_id)?;
        let (items, total) = users::queries::page_for_org(conn, organisation_id, paging)?;
        let items = items.into_iter().map(UserSummary::from).collect();
        Ok(UserList::of(items, paging, total))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateInvitation {
    pub email: String,
    /// org_admin | leader | staff | partner
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationCreated {
    pub id: i64,
    pub email: String,
    pub role: String,
}

/// Invite someone into an organisation; they are emailed a single-use link.
#[utoipa::path(
    post,
    path = "/api/v1/organisations/{id}/invitations",
    tag = "organisations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organisation id")),
    request_body = CreateInvitation,
    responses(
        (status = 201, description = "Invitation sent", body = InvitationCreated),
        (status = 403, description = "Role not allowed", body = crate::error::Problem),
        (status = 404, description = "No such organisation, or not this caller's", body = crate::error::Problem),
        (status = 422, description = "Invalid input", body = crate::error::Problem),
    )
)]
pub async fn invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<CreateInvitation>,
) -> Reply {
    let caller = caller.0;
    let organisation_id = path.into_inner();
    authz::view_org_users(&caller, organisation_id)?;
    let invite = Invite::parse(&body.email, &body.role).map_err(invalid)?;
    let (email, role) = (invite.email.clone(), invite.role.as_str().to_string());
    let ip = state.client_ip(&req);
    let id = service::send_invitation(&state, caller, organisation_id, invite, ip).await?;
    Ok(HttpResponse::Created().json(InvitationCreated { id, email, role }))
}
