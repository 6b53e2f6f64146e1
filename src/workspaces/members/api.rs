//! The organisations that are members of a workspace, and their roles: the JSON API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, *};
use crate::error::Problem;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::call::{workspace_list, WsRead, WsWrite};
use crate::workspaces::queries::{self, MemberView};

workspace_list! {
    /// Member organisations.
    list_members,
    "/api/v1/workspaces/{slug}/members",
    MemberView,
    queries::members_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetMember {
    #[serde(deserialize_with = "crate::validate::whole")]
    #[schema(minimum = 1)]
    pub organisation_id: i64,
    #[schema(value_type = crate::workspaces::model::MemberRole)]
    pub role: String,
}

/// Add an organisation or change its role (leads and platform admins).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/members", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = SetMember,
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_member(call: WsWrite, body: web::Json<SetMember>) -> Reply {
    let input = MemberInput {
        organisation_id: body.organisation_id.to_string(),
        role: body.role.clone(),
    };
    call.change(StatusCode::OK, move |conn, actor, access| {
        service::set_member(conn, actor, access, &input)?;
        Ok(queries::members(conn, access.ws.id)?)
    })
    .await
}

/// Remove a member organisation.
#[utoipa::path(delete, path = "/api/v1/workspaces/{slug}/members/{organisation_id}", tag = "workspaces", security(("bearer" = [])),
    params(("slug" = String, Path), ("organisation_id" = i64, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_member(call: WsWrite) -> Reply {
    let organisation_id = call.id;
    call.run(move |conn, actor, access| {
        service::remove_member(conn, actor, access, organisation_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_members, list_members)
        .api(__path_set_member, set_member)
        .api(__path_remove_member, remove_member);
}
