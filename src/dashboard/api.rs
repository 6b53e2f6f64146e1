//! The dashboard on the JSON API: the same figures, amounts in pence.

use actix_web::web;

use super::pages::{filter, DashboardQuery};
use super::queries::{self, Dashboard};
use crate::auth::{ApiCaller, DataVersion};
use crate::error::Problem;
use crate::web::arguments::ApiRead;
use crate::web::routes::Routes;
use crate::web::Reply;

/// Progress per theme, the savings pipeline, what is stuck and recent activity, counting
/// only what the caller may see.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn dashboard(
    read: ApiRead<ApiCaller>,
    version: DataVersion,
    query: web::Query<DashboardQuery>,
) -> Reply {
    let cache = read.state.cache.clone();
    let version = version.0;
    read.answer(move |conn, caller| {
        let f = filter(conn, &caller.0, &query)?;
        Ok(queries::dashboard_cached(
            conn,
            (&cache, version),
            &caller.0,
            f,
        )?)
    })
    .await
}

pub fn routes(r: &mut Routes) {
    r.api(__path_dashboard, dashboard);
}
