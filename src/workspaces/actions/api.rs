//! Actions (must-dos) of a workspace, with their milestones: the JSON API.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, *};
use crate::error::{AppError, Problem};
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};
use crate::workspaces::api::text;
use crate::workspaces::call::{workspace_list, WsRead, WsWrite};
use crate::workspaces::model::*;
use crate::workspaces::queries;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Only actions of this RAG.
    #[param(value_type = Option<Rag>)]
    pub rag: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Actions by due date.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/actions", tag = "workspaces", params(("slug" = String, Path), ActionQuery),
    responses((status = 200, body = Paged<Action>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_actions(call: WsRead, query: web::Query<ActionQuery>) -> Reply {
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(50);
    let rag = match query.rag.as_deref() {
        None | Some("") => None,
        Some(value) => Some(Rag::parse(value).map_err(|m| AppError::field("rag", m))?),
    };
    call.read(move |conn, access| {
        let filter = queries::ActionFilter {
            rag,
            ..queries::ActionFilter::default()
        };
        let (items, total) = queries::actions_page(conn, access.ws.id, &filter, paging)?;
        let items = items.into_iter().map(|a| a.action).collect();
        Ok(Paged::of(items, paging, total))
    })
    .await
}

/// An action as sent: dates as YYYY-MM-DD.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// An organisation in the workspace.
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(minimum = 1)]
    pub owner_organisation_id: Option<i64>,
    /// A person of the owning organisation.
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(minimum = 1)]
    pub owner_user_id: Option<i64>,
    #[schema(value_type = Option<crate::validate::DateText>)]
    pub start_date: Option<String>,
    /// On or after the start date.
    #[schema(value_type = Option<crate::validate::DateText>)]
    pub due_date: Option<String>,
    #[schema(value_type = Option<ActionStatus>)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::whole_opt")]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i64>,
    #[schema(value_type = Option<Rag>)]
    pub rag: Option<String>,
    /// Required for red and amber.
    #[schema(max_length = 1000)]
    pub rag_reason: Option<String>,
}

impl ActionRequest {
    /// The request over `base`: fields left out keep their current value.
    fn over(self, base: ActionInput) -> ActionInput {
        ActionInput {
            title: self.title.unwrap_or(base.title),
            description: self.description.unwrap_or(base.description),
            owner_organisation_id: self
                .owner_organisation_id
                .map(|v| v.to_string())
                .unwrap_or(base.owner_organisation_id),
            owner_user_id: self
                .owner_user_id
                .map(|v| v.to_string())
                .unwrap_or(base.owner_user_id),
            start_date: self.start_date.unwrap_or(base.start_date),
            due_date: self.due_date.unwrap_or(base.due_date),
            status: self.status.unwrap_or(base.status),
            progress: self
                .progress
                .map(|v| v.to_string())
                .unwrap_or(base.progress),
            rag: self.rag.unwrap_or(base.rag),
            rag_reason: self.rag_reason.unwrap_or(base.rag_reason),
        }
    }
}

fn action_input(a: &Action) -> ActionInput {
    ActionInput {
        title: a.title.clone(),
        description: a.description.clone(),
        owner_organisation_id: a.owner_organisation_id.to_string(),
        owner_user_id: a.owner_user_id.map(|v| v.to_string()).unwrap_or_default(),
        start_date: a.start_date.map(|d| d.to_string()).unwrap_or_default(),
        due_date: a.due_date.map(|d| d.to_string()).unwrap_or_default(),
        status: a.status.to_string(),
        progress: a.progress.to_string(),
        rag: a.rag.to_string(),
        rag_reason: a.rag_reason.clone(),
    }
}

/// Add an action (lead and member organisations).
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/actions", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path)), request_body = ActionRequest,
    responses((status = 201, body = Action), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_action(call: WsWrite, body: web::Json<ActionRequest>) -> Reply {
    let input = body.into_inner().over(ActionInput::starting());
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::create_action(conn, actor, access, &input)?;
        Ok(queries::find_action(conn, access.ws.id, id)?.action)
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub action: Action,
    pub milestones: Vec<Milestone>,
}

/// One action with its milestones.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}/actions/{id}", tag = "workspaces", params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = ActionDetail), (status = 404, body = Problem)))]
pub async fn show_action(call: WsRead) -> Reply {
    let id = call.id;
    call.read(move |conn, access| {
        let action = queries::find_action(conn, access.ws.id, id)?.action;
        Ok(ActionDetail {
            action,
            milestones: queries::milestones_for(conn, id)?,
        })
    })
    .await
}

/// Change an action: status, progress, RAG and the rest (a lead or the owning organisation).
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}/actions/{id}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = ActionRequest,
    responses((status = 200, body = Action), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_action(call: WsWrite, body: web::Json<ActionRequest>) -> Reply {
    let id = call.id;
    let changes = body.into_inner();
    call.change(StatusCode::OK, move |conn, actor, access| {
        let current = queries::find_action(conn, access.ws.id, id)?.action;
        let input = changes.over(action_input(&current));
        service::update_action(conn, actor, access, id, &input)?;
        Ok(queries::find_action(conn, access.ws.id, id)?.action)
    })
    .await
}

workspace_list! {
    /// Milestones of an action, by due date.
    list_milestones,
    "/api/v1/workspaces/{slug}/actions/{id}/milestones",
    Milestone,
    queries::find_action,
    queries::milestones_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MilestoneRequest {
    #[schema(required = true, max_length = 200)]
    pub title: Option<String>,
    #[schema(required = true, value_type = crate::validate::DateText)]
    pub due_date: Option<String>,
}

/// Add a milestone to an action.
#[utoipa::path(post, path = "/api/v1/workspaces/{slug}/actions/{id}/milestones", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = MilestoneRequest,
    responses((status = 201, body = Milestone), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_milestone(call: WsWrite, body: web::Json<MilestoneRequest>) -> Reply {
    let action_id = call.id;
    let b = body.into_inner();
    let input = MilestoneInput {
        title: text(b.title),
        due_date: text(b.due_date),
    };
    call.change(StatusCode::CREATED, move |conn, actor, access| {
        let id = service::create_milestone(conn, actor, access, action_id, &input)?;
        Ok(queries::find_milestone(conn, access.ws.id, id)?.0)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MilestoneDone {
    /// Today when left out.
    #[schema(value_type = Option<crate::validate::DateText>)]
    pub done_date: Option<String>,
}

/// Mark a milestone done.
#[utoipa::path(patch, path = "/api/v1/workspaces/{slug}/milestones/{id}", tag = "workspaces", security(("bearer" = [])), params(("slug" = String, Path), ("id" = i64, Path)), request_body = MilestoneDone,
    responses((status = 200, body = Milestone), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_milestone(call: WsWrite, body: web::Json<MilestoneDone>) -> Reply {
    let id = call.id;
    let input = MilestoneDoneInput {
        done_date: text(body.into_inner().done_date),
    };
    call.change(StatusCode::OK, move |conn, actor, access| {
        service::complete_milestone(conn, actor, access, id, &input)?;
        Ok(queries::find_milestone(conn, access.ws.id, id)?.0)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_actions, list_actions)
        .api(__path_create_action, create_action)
        .api(__path_show_action, show_action)
        .api(__path_update_action, update_action)
        .api(__path_list_milestones, list_milestones)
        .api(__path_create_milestone, create_milestone)
        .api(__path_complete_milestone, complete_milestone);
}
