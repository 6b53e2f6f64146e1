//! The register on the JSON API: the same filters, rules and validation as the pages.
//! Drafts never appear to anyone outside the lead organisation, in lists or by id.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::filter::RegisterQuery;
use super::model::*;
use super::queries::{self, Totals};
use super::service::{self, *};
use crate::auth::{Caller, DataVersion, MaybeUser};
use crate::db::DbConn;
use crate::error::{AppResult, Problem};
use crate::web::arguments::{ApiChange, ApiRead};
use crate::web::routes::Routes;
use crate::web::{kept_json, PageQuery, Reply};

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunitySummary {
    #[serde(flatten)]
    pub opportunity: Opportunity,
    pub lead: String,
    pub totals: Totals,
    pub open_high_barriers: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityList {
    pub items: Vec<OpportunitySummary>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// Savings of the whole filtered view, in pence.
    pub totals: Totals,
}

/// The register: opportunities the caller may see, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "opportunities", params(RegisterQuery),
    responses((status = 200, body = OpportunityList), (status = 422, description = "A filter value is not valid", body = Problem)))]
pub async fn list_opportunities(
    read: ApiRead<MaybeUser>,
    version: DataVersion,
    params: web::Query<RegisterQuery>,
) -> Reply {
    let query = params.into_inner();
    let (filter, sort) = query.filter()?;
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(25);
    let (state, caller) = (read.state, read.who.0);
    let version = version.0;
    // A view narrowed by staleness depends on the clock, so it is never kept.
    let keep = filter.stale_days.is_none();
    let build = {
        let state = state.clone();
        let caller = caller.clone();
        move || async move {
            let cache = state.cache.clone();
            let listing = state
                .db
                .run(move |conn| {
                    Ok(queries::list(
                        conn,
                        caller.as_ref(),
                        &filter,
                        sort,
                        Some(paging),
                        Some((&cache, version)),
                    )?)
                })
                .await?;
            Ok(list_answer(listing, paging))
        }
    };
    if !keep {
        return Ok(HttpResponse::Ok().json(build().await?));
    }
    kept_json(
        &state,
        caller.as_ref(),
        version,
        &format!("opportunities|{query:?}"),
        build,
    )
    .await
}

fn list_answer(listing: queries::Listing, paging: crate::web::Paging) -> OpportunityList {
    OpportunityList {
        items: listing
            .items
            .into_iter()
            .map(|i| OpportunitySummary {
                opportunity: i.opportunity,
                lead: i.lead,
                totals: i.totals,
                open_high_barriers: i.open_high_barriers,
            })
            .collect(),
        page: paging.page,
        per_page: paging.per_page,
        total: listing.total,
        totals: listing.totals,
    }
}

/// Log an opportunity, led by the caller's organisation. It starts as an idea.
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "opportunities", security(("bearer" = [])), request_body = NewOpportunityRequest,
    responses((status = 201, body = Opportunity), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_opportunity(call: ApiChange, body: web::Json<NewOpportunityRequest>) -> Reply {
    let input = body.into_inner().input();
    call.answer(StatusCode::CREATED, move |conn, actor| {
        service::create(conn, actor, &input)
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityDetail {
    #[serde(flatten)]
    pub opportunity: Opportunity,
    pub lead: String,
    pub partners: Vec<i64>,
    pub totals: Totals,
    pub transitions: Vec<Transition>,
    pub savings: Vec<Saving>,
    pub barriers: Vec<Barrier>,
    pub endorsements: Vec<Endorsement>,
    pub comments: Vec<OpportunityComment>,
}

pub(super) fn detail(
    conn: &mut DbConn,
    id: i64,
    caller: Option<&Caller>,
) -> AppResult<OpportunityDetail> {
    let o = queries::load(conn, id, caller)?;
    let d = queries::detail(conn, &o, caller)?;
    Ok(OpportunityDetail {
        opportunity: o,
        lead: d.lead,
        partners: d.partners.into_iter().map(|(id, _)| id).collect(),
        totals: d.totals,
        transitions: d.transitions.into_iter().map(|(t, _)| t).collect(),
        savings: d.savings.into_iter().map(|(s, _)| s).collect(),
        barriers: d.barriers,
        endorsements: d.endorsements.into_iter().map(|(e, _, _)| e).collect(),
        comments: d.comments.into_iter().map(|(c, _, _)| c).collect(),
    })
}

/// One opportunity with its pipeline, savings, barriers, interest and comments.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "opportunities", params(("id" = i64, Path)),
    responses((status = 200, body = OpportunityDetail), (status = 404, body = Problem)))]
pub async fn show_opportunity(read: ApiRead<MaybeUser>, path: web::Path<i64>) -> Reply {
    let id = path.into_inner();
    read.answer(move |conn, user| detail(conn, id, user.0.as_ref()))
        .await
}

/// Change an opportunity's details (staff and leaders of the lead organisation).
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = OpportunityRequest,
    responses((status = 200, body = Opportunity), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_opportunity(
    call: ApiChange,
    path: web::Path<i64>,
    body: web::Json<OpportunityRequest>,
) -> Reply {
    let id = path.into_inner();
    let changes = body.into_inner();
    call.answer(StatusCode::OK, move |conn, actor| {
        let current = queries::load(conn, id, Some(actor.caller))?;
        let partners = queries::partners(conn, id)?;
        let base = OpportunityInput::of(&current, &partners);
        service::update(conn, actor, id, &changes.over(base))
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list_opportunities, list_opportunities)
        .api(__path_create_opportunity, create_opportunity)
        .api(__path_show_opportunity, show_opportunity)
        .api(__path_update_opportunity, update_opportunity);
}
