//! Organisations registering interest in joining an opportunity: the pages.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::opportunities::pages::page_change;
use crate::web::routes::Routes;
use crate::web::{Form, NoFields, Page};

pub async fn register_interest(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<InterestInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    page_change(
        page,
        user.0,
        id,
        "interest",
        echo,
        "Your organisation's interest has been recorded",
        move |conn, actor| service::register_interest(conn, actor, id, &input),
    )
    .await
}

pub async fn withdraw_interest(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    page_change(
        page,
        user.0,
        id,
        "interest",
        json!({}),
        "Your organisation's interest has been withdrawn",
        move |conn, actor| service::withdraw_interest(conn, actor, id),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/interest", register_interest)
        .post("/opportunities/{id}/interest/withdraw", withdraw_interest);
}
