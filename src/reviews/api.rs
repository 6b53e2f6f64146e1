//! Quarterly reviews on the JSON API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Review, Submission};
use super::service::{self, OpenInput, SubmissionInput};
use super::summary::{self, Comparison, Snapshot};
use crate::auth::ApiCaller;
use crate::error::Problem;
use crate::web::arguments::{ApiChange, ApiRead};
use crate::web::routes::Routes;
use crate::web::Reply;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<Review>,
}

/// Every quarterly review, newest quarter first.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", security(("bearer" = [])),
    responses((status = 200, body = ReviewList), (status = 401, body = Problem)))]
pub async fn list_reviews(read: ApiRead<ApiCaller>) -> Reply {
    read.answer(|conn, _| {
        Ok(ReviewList {
            items: service::list(conn)?,
        })
    })
    .await
}

/// Open a review for a quarter (leaders and platform admins); it belongs to the opener's
/// organisation.
#[utoipa::path(post, path = "/api/v1/reviews", tag = "reviews", security(("bearer" = [])), request_body = OpenInput,
    responses((status = 201, body = Review), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open(call: ApiChange, body: web::Json<OpenInput>) -> Reply {
    let input = body.into_inner();
    call.answer(StatusCode::CREATED, move |conn, actor| {
        service::open(conn, actor, &input)
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDetail {
    pub review: Review,
    /// Frozen at sign-off; live while open. Only workspaces the caller may see.
    pub figures: Snapshot,
    /// Against the previous signed-off review.
    pub comparison: Option<Comparison>,
}

/// A review's figures and how they compare with the previous one.
#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReviewDetail), (status = 404, body = Problem)))]
pub async fn show_review(read: ApiRead<ApiCaller>, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    read.answer(move |conn, caller| {
        let review = service::find(conn, id)?;
        let (figures, comparison) = summary::view(conn, &review, &caller.0)?;
        Ok(ReviewDetail {
            review,
            figures,
            comparison,
        })
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionList {
    pub items: Vec<Submission>,
}

/// The returns so far, for the workspaces the caller may see.
#[utoipa::path(get, path = "/api/v1/reviews/{id}/submissions", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = SubmissionList), (status = 404, body = Problem)))]
pub async fn submissions(read: ApiRead<ApiCaller>, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    read.answer(move |conn, caller| {
        let review = service::find(conn, id)?;
        let live = summary::live(conn, &review)?;
        let visible: Vec<i64> = summary::for_viewer(conn, live, &caller.0)?
            .workspaces
            .iter()
            .map(|w| w.id)
            .collect();
        let items = service::submissions(conn, id)?
            .into_iter()
            .filter(|s| visible.contains(&s.workspace_id))
            .collect();
        Ok(SubmissionList { items })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SubmissionRequest {
    /// The workspace's short name.
    pub workspace: String,
    #[serde(flatten)]
    pub submission: SubmissionInput,
}

/// Submit (or replace) a workspace's return: staff, leaders and admins of its lead
/// organisations, while the review is open.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/submissions", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)), request_body = SubmissionRequest,
    responses((status = 201, body = Submission), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    call: ApiChange,
    id: web::Path<i64>,
    body: web::Json<SubmissionRequest>,
) -> Reply {
    let id = id.into_inner();
    let body = body.into_inner();
    call.answer(StatusCode::CREATED, move |conn, actor| {
        let access = service::workspace(conn, &body.workspace, actor.caller)?;
        service::submit(conn, actor, id, &access, &body.submission)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnRequest {
    /// What needs to change.
    pub comment: String,
}

/// Send a return back to its workspace with a comment (leaders of the organisation that
/// opened the review, and platform admins).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/submissions/{workspace}/return", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path), ("workspace" = String, Path, description = "The workspace's short name")), request_body = ReturnRequest,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn send_back(
    call: ApiChange,
    path: web::Path<(i64, String)>,
    body: web::Json<ReturnRequest>,
) -> Reply {
    let (id, slug) = path.into_inner();
    let comment = body.into_inner().comment;
    call.run(move |conn, actor| {
        let access = service::workspace(conn, &slug, actor.caller)?;
        service::send_back(conn, actor, id, &access, &comment)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign off: the review's figures are frozen (leaders of the organisation that opened the
/// review, and platform admins).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/sign-off", tag = "reviews", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Review), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn sign_off(call: ApiChange, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    call.answer(StatusCode::OK, move |conn, actor| {
        service::sign_off(conn, actor, id)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_reviews, list_reviews)
        .api(__path_open, open)
        .api(__path_show_review, show_review)
        .api(__path_submissions, submissions)
        .api(__path_submit, submit)
        .api(__path_send_back, send_back)
        .api(__path_sign_off, sign_off);
}
