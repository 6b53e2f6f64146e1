//! The dashboard on the JSON API: the same figures, amounts in pence.

use actix_web::{web, HttpResponse};

use super::pages::{filter, DashboardQuery};
use super::queries::{self, Dashboard};
use crate::auth::{ApiCaller, DataVersion};
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::web::routes::Routes;

/// Progress per theme, the savings pipeline, what is stuck and recent activity, counting
/// only what the caller may see.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn dashboard(
    state: web::Data<AppState>,
    caller: ApiCaller,
    version: DataVersion,
    query: web::Query<DashboardQuery>,
) -> AppResult<HttpResponse> {
    let cache = state.cache.clone();
    let version = version.0;
    let d = state
        .db
        .run(move |conn| {
            let f = filter(conn, &caller.0, &query)?;
            Ok(queries::dashboard_cached(
                conn,
                (&cache, version),
                &caller.0,
                f,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

pub fn routes(r: &mut Routes) {
    r.api(__path_dashboard, dashboard);
}
