//! Organisations on the API.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, NewOrganisation};
use super::Organisation;
use crate::auth::ApiCaller;
use crate::authz;
use crate::schema::organisations;
use crate::web::arguments::ApiRead;
use crate::web::respond::invalid;
use crate::web::{PageQuery, Reply};

crate::api_list! {
    #[derive(Debug, Serialize, ToSchema)]
    pub struct OrganisationList(Organisation);
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
pub async fn list_organisations(read: ApiRead<ApiCaller>, query: web::Query<PageQuery>) -> Reply {
    let paging = query.paging(50);
    read.answer(move |conn, _| {
        let total: i64 = organisations::table.count().get_result(conn)?;
        let items = organisations::table
            .select(Organisation::as_select())
            .order(organisations::name.asc())
            .limit(paging.per_page)
            .offset(paging.offset())
            .load(conn)?;
        Ok(OrganisationList::of(items, paging, total))
    })
    .await
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
    read: ApiRead<ApiCaller>,
    req: HttpRequest,
    body: web::Json<CreateOrganisation>,
) -> Reply {
    let caller = read.who.0;
    authz::manage_organisations(&caller)?;
    let new = NewOrganisation::parse(&body.name, &body.slug, &body.kind).map_err(invalid)?;
    let organisation = read
        .state
        .change(&req, caller, move |conn, actor| {
            let id = service::create(conn, actor.caller, &new, actor.ip)?;
            Ok(super::queries::find(conn, id)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(organisation))
}
