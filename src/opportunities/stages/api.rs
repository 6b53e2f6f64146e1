//! Moving an opportunity through the pipeline, and the moves it has made: the JSON API.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, *};
use crate::error::Problem;
use crate::opportunities::call::{attached_list, OppRead, OppWrite};
use crate::opportunities::model::*;
use crate::opportunities::queries;
use crate::web::routes::Routes;
use crate::web::{PageQuery, Paged, Reply};

attached_list! {
    /// The pipeline so far, oldest move first.
    transitions,
    "/api/v1/opportunities/{id}/transitions",
    Transition,
    queries::transitions_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// The stage to move to: one the pipeline allows from the present stage (409 if not).
    #[schema(required = true, value_type = Stage)]
    pub to: Option<String>,
    /// Required when declining.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Move along the pipeline. Moves the pipeline does not allow answer 422.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/transitions", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = TransitionRequest,
    responses((status = 200, body = Opportunity), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_transition(call: OppWrite, body: web::Json<TransitionRequest>) -> Reply {
    let b = body.into_inner();
    let input = TransitionInput {
        to: b.to.unwrap_or_default(),
        note: b.note.unwrap_or_default(),
    };
    call.change(StatusCode::OK, move |conn, actor, id| {
        service::transition(conn, actor, id, &input)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_transitions, transitions)
        .api(__path_create_transition, create_transition);
}
