//! Barriers in the way of an opportunity, and how they are being dealt with: the pages.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::opportunities::pages::page_change;
use crate::web::routes::Routes;
use crate::web::{Form, Page};

pub async fn add_barrier(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<BarrierInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    page_change(
        page,
        user.0,
        id,
        "barriers",
        echo,
        "The barrier has been recorded",
        move |conn, actor| service::add_barrier(conn, actor, id, &input),
    )
    .await
}

pub async fn update_barrier(
    page: Page,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    form: Form<BarrierInput>,
) -> AppResult<HttpResponse> {
    let (id, barrier) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    page_change(
        page,
        user.0,
        id,
        "barriers",
        echo,
        "The barrier has been updated",
        move |conn, actor| service::update_barrier(conn, actor, id, barrier, &input),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/barriers", add_barrier)
        .post("/opportunities/{id}/barriers/{barrier}", update_barrier);
}
