//! Savings recorded against an opportunity: estimated, validated and realised: the pages.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::opportunities::pages::page_change;
use crate::web::routes::Routes;
use crate::web::{Form, Page};

pub async fn add_saving(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<SavingInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    page_change(
        page,
        user.0,
        id,
        "savings",
        echo,
        "The saving has been added",
        move |conn, actor| service::add_saving(conn, actor, id, &input),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/savings", add_saving);
}
