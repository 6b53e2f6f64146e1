//! The register on the JSON API: the same filters, rules and validation as the pages.
//! Drafts never appear to anyone outside the lead organisation, in lists or by id.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::filter::RegisterQuery;
use super::model::*;
use super::queries::{self, Totals};
use super::service::{self, *};
use crate::auth::{ApiCaller, Caller, DataVersion, MaybeUser};
use crate::db::DbConn;
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::web::routes::Routes;
use crate::web::{kept_json, PageQuery, Paged};

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
pub async fn list(
    state: web::Data<AppState>,
    user: MaybeUser,
    version: DataVersion,
    params: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    let query = params.into_inner();
    let (filter, sort) = query.filter()?;
    let paging = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .paging(25);
    let caller = user.0;
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

/// An opportunity as sent: ids as numbers, everything else as text.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OpportunityRequest {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub service_area: Option<String>,
    pub kind: Option<String>,
    /// draft | partnership | public
    pub visibility: Option<String>,
    pub workspace_id: Option<i64>,
    pub contact_user_id: Option<i64>,
    pub partners: Option<Vec<i64>>,
}

impl OpportunityRequest {
    fn over(self, base: OpportunityInput) -> OpportunityInput {
        OpportunityInput {
            title: self.title.unwrap_or(base.title),
            summary: self.summary.unwrap_or(base.summary),
            service_area: self.service_area.unwrap_or(base.service_area),
            kind: self.kind.unwrap_or(base.kind),
            visibility: self.visibility.unwrap_or(base.visibility),
            workspace_id: self
                .workspace_id
                .map(|v| v.to_string())
                .unwrap_or(base.workspace_id),
            contact_user_id: self
                .contact_user_id
                .map(|v| v.to_string())
                .unwrap_or(base.contact_user_id),
            partners: self
                .partners
                .map(|p| p.iter().map(|v| v.to_string()).collect())
                .unwrap_or(base.partners),
        }
    }
}

/// Log an opportunity, led by the caller's organisation. It starts as an idea.
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "opportunities", security(("bearer" = [])), request_body = OpportunityRequest,
    responses((status = 201, body = Opportunity), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    body: web::Json<OpportunityRequest>,
) -> AppResult<HttpResponse> {
    let input = body.into_inner().over(OpportunityInput {
        visibility: "draft".into(),
        ..OpportunityInput::default()
    });
    let o = state
        .change(&req, caller.0, move |conn, actor| {
            service::create(conn, actor, &input)
        })
        .await?;
    Ok(HttpResponse::Created().json(o))
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

fn detail(conn: &mut DbConn, id: i64, caller: Option<&Caller>) -> AppResult<OpportunityDetail> {
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
pub async fn show(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let caller = user.0;
    let d = state
        .db
        .run(move |conn| detail(conn, id, caller.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Change an opportunity's details (staff and leaders of the lead organisation).
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = OpportunityRequest,
    responses((status = 200, body = Opportunity), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<OpportunityRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let changes = body.into_inner();
    let o = state
        .change(&req, caller.0, move |conn, actor| {
            let current = queries::load(conn, id, Some(actor.caller))?;
            let partners = queries::partners(conn, id)?
                .into_iter()
                .map(|(p, _)| p.to_string())
                .collect();
            let base = OpportunityInput {
                title: current.title,
                summary: current.summary,
                service_area: current.service_area,
                kind: current.kind,
                visibility: current.visibility,
                workspace_id: current
                    .workspace_id
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                contact_user_id: current
                    .contact_user_id
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                partners,
            };
            service::update(conn, actor, id, &changes.over(base))
        })
        .await?;
    Ok(HttpResponse::Ok().json(o))
}

/// The pipeline so far, oldest move first.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/transitions", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Transition>), (status = 404, body = Problem)))]
pub async fn transitions(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, caller, paging) = (path.into_inner(), user.0, query.paging(50));
    let all = state
        .db
        .run(move |conn| Ok(detail(conn, id, caller.as_ref())?.transitions))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// The stage to move to.
    pub to: Option<String>,
    /// Required when declining.
    pub note: Option<String>,
}

/// Move along the pipeline. Moves the pipeline does not allow answer 422.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/transitions", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = TransitionRequest,
    responses((status = 200, body = Opportunity), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_transition(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<TransitionRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = TransitionInput {
        to: b.to.unwrap_or_default(),
        note: b.note.unwrap_or_default(),
    };
    let o = state
        .change(&req, caller.0, move |conn, actor| {
            service::transition(conn, actor, id, &input)
        })
        .await?;
    Ok(HttpResponse::Ok().json(o))
}

/// Savings lines.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/savings", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Saving>), (status = 404, body = Problem)))]
pub async fn savings(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, caller, paging) = (path.into_inner(), user.0, query.paging(50));
    let all = state
        .db
        .run(move |conn| Ok(detail(conn, id, caller.as_ref())?.savings))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SavingRequest {
    /// Like "2026/27".
    pub financial_year: Option<String>,
    /// estimated | validated | realised
    pub kind: Option<String>,
    pub cashable: Option<bool>,
    pub organisation_id: Option<i64>,
    /// Pounds as text, like "£1,234.56" (never a float).
    pub amount: Option<String>,
    pub one_off_cost: Option<String>,
    pub note: Option<String>,
}

/// Add a savings line (staff and leaders of the lead organisation).
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/savings", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = SavingRequest,
    responses((status = 201, body = Saving), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_saving(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<SavingRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = SavingInput {
        financial_year: b.financial_year.unwrap_or_default(),
        kind: b.kind.unwrap_or_default(),
        cashable: b
            .cashable
            .map(|c| if c { "yes" } else { "no" }.to_string())
            .unwrap_or_default(),
        organisation_id: b.organisation_id.map(|v| v.to_string()).unwrap_or_default(),
        amount: b.amount.unwrap_or_default(),
        one_off_cost: b.one_off_cost.unwrap_or_default(),
        note: b.note.unwrap_or_default(),
    };
    let caller = caller.0;
    let viewer = caller.clone();
    let saving_id = state
        .change(&req, caller, move |conn, actor| {
            service::add_saving(conn, actor, id, &input)
        })
        .await?;
    let saving = state
        .db
        .run(move |conn| {
            Ok(detail(conn, id, Some(&viewer))?
                .savings
                .into_iter()
                .find(|s| s.id == saving_id))
        })
        .await?;
    Ok(HttpResponse::Created().json(saving))
}

/// Barriers.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/barriers", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Barrier>), (status = 404, body = Problem)))]
pub async fn barriers(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, caller, paging) = (path.into_inner(), user.0, query.paging(50));
    let all = state
        .db
        .run(move |conn| Ok(detail(conn, id, caller.as_ref())?.barriers))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BarrierRequest {
    pub category: Option<String>,
    pub description: Option<String>,
    /// low | medium | high
    pub severity: Option<String>,
    pub owner: Option<String>,
    /// open | mitigated | closed
    pub status: Option<String>,
    pub mitigation: Option<String>,
}

impl BarrierRequest {
    fn over(self, base: BarrierInput) -> BarrierInput {
        BarrierInput {
            category: self.category.unwrap_or(base.category),
            description: self.description.unwrap_or(base.description),
            severity: self.severity.unwrap_or(base.severity),
            owner: self.owner.unwrap_or(base.owner),
            status: self.status.unwrap_or(base.status),
            mitigation: self.mitigation.unwrap_or(base.mitigation),
        }
    }
}

/// Record a barrier.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/barriers", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = BarrierRequest,
    responses((status = 201, body = Barrier), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_barrier(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<BarrierRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner().over(BarrierInput::default());
    let caller = caller.0;
    let viewer = caller.clone();
    let barrier_id = state
        .change(&req, caller, move |conn, actor| {
            service::add_barrier(conn, actor, id, &input)
        })
        .await?;
    let barrier = state
        .db
        .run(move |conn| {
            Ok(detail(conn, id, Some(&viewer))?
                .barriers
                .into_iter()
                .find(|b| b.id == barrier_id))
        })
        .await?;
    Ok(HttpResponse::Created().json(barrier))
}

/// Change a barrier: its status, mitigation or anything else.
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}/barriers/{barrier}", tag = "opportunities", security(("bearer" = [])),
    params(("id" = i64, Path), ("barrier" = i64, Path)), request_body = BarrierRequest,
    responses((status = 200, body = Barrier), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_barrier(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<(i64, i64)>,
    body: web::Json<BarrierRequest>,
) -> AppResult<HttpResponse> {
    let (id, barrier_id) = path.into_inner();
    let changes = body.into_inner();
    let barrier = state
        .change(&req, caller.0, move |conn, actor| {
            let current = detail(conn, id, Some(actor.caller))?
                .barriers
                .into_iter()
                .find(|b| b.id == barrier_id)
                .ok_or(crate::error::AppError::NotFound)?;
            let base = BarrierInput {
                category: current.category,
                description: current.description,
                severity: current.severity,
                owner: current.owner,
                status: current.status,
                mitigation: current.mitigation,
            };
            service::update_barrier(conn, actor, id, barrier_id, &changes.over(base))?;
            detail(conn, id, Some(actor.caller))?
                .barriers
                .into_iter()
                .find(|b| b.id == barrier_id)
                .ok_or(crate::error::AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(barrier))
}

/// Organisations that want in.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<Endorsement>), (status = 404, body = Problem)))]
pub async fn endorsements(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, caller, paging) = (path.into_inner(), user.0, query.paging(50));
    let all = state
        .db
        .run(move |conn| Ok(detail(conn, id, caller.as_ref())?.endorsements))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndorsementRequest {
    pub note: Option<String>,
}

/// Register the caller's organisation's interest ("we want in"); again replaces the note.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = EndorsementRequest,
    responses((status = 200, body = Vec<Endorsement>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_endorsement(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<EndorsementRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = InterestInput {
        note: body.into_inner().note.unwrap_or_default(),
    };
    let all = state
        .change(&req, caller.0, move |conn, actor| {
            service::register_interest(conn, actor, id, &input)?;
            Ok(detail(conn, id, Some(actor.caller))?.endorsements)
        })
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Withdraw the caller's organisation's interest.
#[utoipa::path(delete, path = "/api/v1/opportunities/{id}/endorsements", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "Withdrawn"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_endorsement(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    state
        .change(&req, caller.0, move |conn, actor| {
            service::withdraw_interest(conn, actor, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Comments, oldest first.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/comments", tag = "opportunities", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Paged<OpportunityComment>), (status = 404, body = Problem)))]
pub async fn comments(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (id, caller, paging) = (path.into_inner(), user.0, query.paging(50));
    let all = state
        .db
        .run(move |conn| Ok(detail(conn, id, caller.as_ref())?.comments))
        .await?;
    Ok(HttpResponse::Ok().json(Paged::slice(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    pub body: Option<String>,
    /// A stage to propose moving to.
    pub proposed_stage: Option<String>,
}

/// Comment, and optionally propose a move.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/comments", tag = "opportunities", security(("bearer" = [])), params(("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 201, body = OpportunityComment), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<i64>,
    body: web::Json<CommentRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = CommentInput {
        body: b.body.unwrap_or_default(),
        proposed_stage: b.proposed_stage.unwrap_or_default(),
    };
    let comment = state
        .change(&req, caller.0, move |conn, actor| {
            let comment_id = service::comment(conn, actor, id, &input)?;
            detail(conn, id, Some(actor.caller))?
                .comments
                .into_iter()
                .find(|c| c.id == comment_id)
                .ok_or(crate::error::AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Created().json(comment))
}

pub fn routes(r: &mut Routes) {
    r.api(__path_list, list)
        .api(super::export::__path_api_export, super::export::api_export)
        .api(super::upload::__path_api_import, super::upload::api_import)
        .api(__path_create, create)
        .api(__path_show, show)
        .api(__path_update, update)
        .api(__path_transitions, transitions)
        .api(__path_create_transition, create_transition)
        .api(__path_savings, savings)
        .api(__path_create_saving, create_saving)
        .api(__path_barriers, barriers)
        .api(__path_create_barrier, create_barrier)
        .api(__path_update_barrier, update_barrier)
        .api(__path_endorsements, endorsements)
        .api(__path_create_endorsement, create_endorsement)
        .api(__path_delete_endorsement, delete_endorsement)
        .api(__path_comments, comments)
        .api(__path_create_comment, create_comment);
}
