//! Moving an opportunity through the pipeline, and the moves it has made: the pages.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::opportunities::model::*;
use crate::opportunities::pages::{label, page_change};
use crate::web::routes::Routes;
use crate::web::{Form, Page};

pub async fn move_stage(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    form: Form<TransitionInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    let message = format!("Moved to {}", label(Stage::parse(&input.to), Stage::label));
    page_change(
        page,
        user.0,
        id,
        "pipeline",
        echo,
        &message,
        move |conn, actor| service::transition(conn, actor, id, &input),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/transitions", move_stage);
}
