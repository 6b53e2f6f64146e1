//! Following workspaces, the register and opportunities; delivery settings, feed tokens and unsubscribe links: the JSON API.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Actor, ApiCaller};
use crate::error::{AppResult, Problem};
use crate::notifications::subscriptions::{self, FollowInput, Received};
use crate::state::AppState;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged};

/// Everything that reaches the caller: their own subscriptions and their organisation's.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "notifications", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Paged<Received>), (status = 401, body = Problem)))]
pub async fn list_subscriptions(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(50);
    let all = state
        .db
        .run(move |conn| Ok(subscriptions::received(conn, &caller.0)?))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

/// Follow a workspace, the register (optionally by theme, service area and stage) or an
/// opportunity; `scope: "organisation"` follows for the whole organisation (its admins).
/// Following again answers 200 with the existing subscription.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "notifications", security(("bearer" = [])), request_body = FollowInput,
    responses((status = 201, body = crate::notifications::model::Subscription), (status = 200, body = crate::notifications::model::Subscription),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_subscription(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    body: web::Json<FollowInput>,
) -> AppResult<HttpResponse> {
    let ip = state.client_ip(&req);
    let input = body.into_inner();
    let (sub, created) = state
        .db
        .run(move |conn| {
            let actor = Actor {
                caller: &caller.0,
                ip: &ip,
            };
            subscriptions::follow(conn, &actor, &input)
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(sub)
    } else {
        HttpResponse::Ok().json(sub)
    })
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
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    body: web::Json<DeliveryRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let sub = state
        .db
        .run(move |conn| subscriptions::set_delivery(conn, &caller.0, id, &body.delivery))
        .await?;
    Ok(HttpResponse::Ok().json(sub))
}

/// Stop following: your own subscription, or (organisation admins) the organisation's.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "notifications", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_subscription(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let ip = state.client_ip(&req);
    let id = id.into_inner();
    state
        .db
        .run(move |conn| {
            let actor = Actor {
                caller: &caller.0,
                ip: &ip,
            };
            subscriptions::unfollow(conn, &actor, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_subscriptions, list_subscriptions)
        .api(__path_create_subscription, create_subscription)
        .api(__path_update_subscription, update_subscription)
        .api(__path_delete_subscription, delete_subscription);
}
