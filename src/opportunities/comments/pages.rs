//! Comments on an opportunity, which may propose a move: the pages.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::opportunities::pages::page_change;
use crate::web::routes::Routes;
use crate::web::{Form, Page};

pub async fn comment(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<CommentInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    page_change(
        page,
        user.0,
        id,
        "comments",
        echo,
        "Your comment has been added",
        move |conn, actor| service::comment(conn, actor, id, &input),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/comments", comment);
}
