//! Following workspaces, the register and opportunities; delivery settings, feed tokens and unsubscribe links: the JSON API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::Problem;
use crate::notifications::subscriptions::{self, FollowInput, Received};
use crate::web::arguments::{ApiChange, ApiRead};
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};

/// Everything that reaches the caller: their own subscriptions and their organisation's.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "notifications", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Paged<Received>), (status = 401, body = Problem)))]
pub async fn list_subscriptions(read: ApiRead<ApiCaller>, query: web::Query<PageQuery>) -> Reply {
    let paging = query.paging(50);
    read.answer(move |conn, caller| {
        let all = subscriptions::received(conn, &caller.0)?;
        Ok(Paged::slice(all, paging))
    })
    .await
}

/// Follow a workspace, the register (optionally by theme, service area and stage) or an
/// opportunity; `scope: "organisation"` follows for the whole organisation (its admins).
/// Following again answers 200 with the existing subscription.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "notifications", security(("bearer" = [])), request_body = FollowInput,
    responses((status = 201, body = crate::notifications::model::Subscription), (status = 200, body = crate::notifications::model::Subscription),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_subscription(call: ApiChange, body: web::Json<FollowInput>) -> Reply {
    let input = body.into_inner();
    let (sub, created) = call
        .run(move |conn, actor| subscriptions::follow(conn, actor, &input))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(sub))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeliveryRequest {
    /// `default` for each person's own; an organisation's follow takes only that (409).
    #[schema(pattern = "^(inbox|immediate|daily|weekly|default)$")]
    pub delivery: String,
}

/// Change how one of your own subscriptions is delivered.
#[utoipa::path(patch, path = "/api/v1/subscriptions/{id}", tag = "notifications", security(("bearer" = [])), params(("id" = i64, Path)), request_body = DeliveryRequest,
    responses((status = 200, body = crate::notifications::model::Subscription), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_subscription(
    read: ApiRead<ApiCaller>,
    id: web::Path<i64>,
    body: web::Json<DeliveryRequest>,
) -> Reply {
    let id = id.into_inner();
    read.answer(move |conn, caller| {
        subscriptions::set_delivery(conn, &caller.0, id, &body.delivery)
    })
    .await
}

/// Stop following: your own subscription, or (organisation admins) the organisation's.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "notifications", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_subscription(call: ApiChange, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    call.run(move |conn, actor| subscriptions::unfollow(conn, actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_subscriptions, list_subscriptions)
        .api(__path_create_subscription, create_subscription)
        .api(__path_update_subscription, update_subscription)
        .api(__path_delete_subscription, delete_subscription);
}
