//! Workspaces on the JSON API. Public workspaces can be read without a token; everything
//! else follows the same rules as the pages (invisible → 404, read-only → 403).

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::*;
use super::queries::{self, MemberView};
use super::service::{self, *};
use crate::auth::MaybeUser;
use crate::error::Problem;
use crate::web::arguments::{ApiChange, ApiRead};
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::call::{WsRead, WsWrite};

pub(super) fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceDetail {
    #[serde(flatten)]
    pub workspace: Workspace,
    /// The caller's organisation's role here: lead | member | observer, or null.
    pub your_role: Option<String>,
    pub members: Vec<MemberView>,
}

/// Workspaces the caller may see.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", params(PageQuery),
    responses((status = 200, description = "Workspaces by name", body = Paged<Workspace>)))]
pub async fn list_workspaces(read: ApiRead<MaybeUser>, query: web::Query<PageQuery>) -> Reply {
    let paging = query.paging(50);
    read.answer(move |conn, user| {
        let all = queries::list_visible(conn, user.0.as_ref())?;
        Ok(Paged::slice(
            all.into_iter().map(|a| a.ws).collect(),
            paging,
        ))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewWorkspace {
    pub name: String,
    /// Made from the name when left out.
    pub slug: Option<String>,
    /// Markdown.
    pub summary: String,
    /// theme | programme
    pub kind: String,
    /// public | partners | members
    pub visibility: String,
}

/// Add a workspace (platform admins).
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = [])), request_body = NewWorkspace,
    responses((status = 201, body = Workspace), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_workspace(call: ApiChange, body: web::Json<NewWorkspace>) -> Reply {
    let b = body.into_inner();
    let input = WorkspaceInput {
        name: b.name,
        slug: text(b.slug),
        summary: b.summary,
        kind: b.kind,
        visibility: b.visibility,
    };
    call.answer(StatusCode::CREATED, move |conn, actor| {
        service::create_workspace(conn, actor, &input)
    })
    .await
}

/// One workspace with its members.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}", tag = "workspaces", params(("slug" = String, Path)),
    responses((status = 200, body = WorkspaceDetail), (status = 404, body = Problem)))]
pub async fn show_workspace(call: WsRead) -> Reply {
    call.read(|conn, access| {
        Ok(WorkspaceDetail {
            workspace: access.ws.clone(),
            your_role: access.membership.map(|m| m.as_str().to_string()),
            members: queries::members(conn, access.ws.id)?,
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WorkspaceChanges {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub visibility: Option<String>,
    /// true archives (read-only), false restores.
    pub archived: Option<bool>,
}

/// Edit a workspace or archive it (platform admins).
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = WorkspaceChanges,
    responses((status = 200, body = Workspace), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_workspace(call: WsWrite, body: web::Json<WorkspaceChanges>) -> Reply {
    let b = body.into_inner();
    call.change(StatusCode::OK, move |conn, actor, access| {
        if b.name.is_some() || b.summary.is_some() || b.visibility.is_some() {
            let input = WorkspaceInput {
                name: b.name.unwrap_or_else(|| access.ws.name.clone()),
                slug: String::new(),
                summary: b.summary.unwrap_or_else(|| access.ws.summary.clone()),
                kind: String::new(),
                visibility: b
                    .visibility
                    .unwrap_or_else(|| access.ws.visibility.to_string()),
            };
            service::update_workspace(conn, actor, access, &input)?;
        }
        if let Some(archived) = b.archived {
            service::set_archived(conn, actor, access, archived)?;
        }
        Ok(queries::find_by_slug(conn, &access.ws.slug)?)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_workspaces, list_workspaces)
        .api(__path_create_workspace, create_workspace)
        .api(__path_show_workspace, show_workspace)
        .api(__path_update_workspace, update_workspace);
}
