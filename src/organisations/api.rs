//! Organisations on the API.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, NewOrganisation};
use super::Organisation;
use crate::auth::ApiCaller;
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::schema::organisations;
use crate::state::AppState;
use crate::web::PageQuery;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationList {
    pub items: Vec<Organisation>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Every organisation in the partnership (names are not private).
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "organisations",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "Organisations by name", body = OrganisationList),
        (status = 401, description = "No valid token", body = crate::error::Problem),
    )
)]
pub async fn list_organisations(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(50);
    let (items, total) = state
        .db
        .run(move |conn| {
            let total: i64 = organisations::table.count().get_result(conn)?;
            let items = organisations::table
                .select(Organisation::as_select())
                .order(organisations::name.asc())
                .limit(paging.per_page)
                .offset(paging.offset())
                .load(conn)?;
            Ok((items, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganisationList {
        items,
        page: paging.page,
        per_page: paging.per_page,
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrganisation {
    pub name: String,
    /// Short name used in addresses; made from the name when left out.
    #[serde(default)]
    pub slug: String,
    /// city_council | county_council | nhs | education | business | voluntary | other
    pub kind: String,
}

/// Add an organisation (platform admins).
#[utoipa::path(
    post,
    path = "/api/v1/organisations",
    tag = "organisations",
    security(("bearer" = [])),
    request_body = CreateOrganisation,
    responses(
        (status = 201, description = "Added", body = Organisation),
        (status = 404, description = "Not available to this caller", body = crate::error::Problem),
        (status = 422, description = "Invalid input or short name taken", body = crate::error::Problem),
    )
)]
pub async fn create_organisation(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    body: web::Json<CreateOrganisation>,
) -> AppResult<HttpResponse> {
    let caller = caller.0;
    authz::manage_organisations(&caller)?;
    let new = NewOrganisation::parse(&body.name, &body.slug, &body.kind)
        .map_err(|e| AppError::validation(e.into_map()))?;
    let ip = state.client_ip(&req);
    let organisation = state
        .db
        .run(move |conn| {
            let id = service::create(conn, &caller, &new, &ip)?;
            Ok(super::queries::find(conn, id)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(organisation))
}
