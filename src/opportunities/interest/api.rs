//! Organisations registering interest in joining an opportunity: the JSON API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
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
    /// Organisations that want in.
    endorsements,
    "/api/v1/opportunities/{id}/endorsements",
    Endorsement,
    queries::endorsements_page
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndorsementRequest {
    pub note: Option<String>,
}

/// Register the caller's organisation's interest ("we want in"); again replaces the note.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = EndorsementRequest,
    responses((status = 200, body = Vec<Endorsement>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_endorsement(call: OppWrite, body: web::Json<EndorsementRequest>) -> Reply {
    let input = InterestInput {
        note: body.into_inner().note.unwrap_or_default(),
    };
    call.change(StatusCode::OK, move |conn, actor, id| {
        service::register_interest(conn, actor, id, &input)?;
        Ok(queries::endorsements_of(conn, id)?)
    })
    .await
}

/// Withdraw the caller's organisation's interest.
#[utoipa::path(delete, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "Withdrawn"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_endorsement(call: OppWrite) -> Reply {
    call.run(service::withdraw_interest).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(r: &mut Routes) {
    r.api(__path_endorsements, endorsements)
        .api(__path_create_endorsement, create_endorsement)
        .api(__path_delete_endorsement, delete_endorsement);
}
