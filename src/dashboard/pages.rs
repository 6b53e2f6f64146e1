//! `/dashboard`: are we on track, what have we saved, what is stuck.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::queries::{self, DashboardFilter};
use super::views::{self, Asked, Choices};
use crate::auth::{Caller, CurrentUser};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::{Choice, Page};
use crate::workspaces::queries as ws_queries;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// An organisation id: only actions it owns, savings it makes and opportunities it leads.
    #[param(value_type = Option<i64>)]
    pub organisation: Option<String>,
    /// A workspace's short name: only that theme.
    pub theme: Option<String>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The filter from the query, checked: an organisation that is not a number is a clear 422;
/// one that does not exist, or a theme the caller may not see, a 404.
pub fn filter(
    conn: &mut DbConn,
    caller: &Caller,
    q: &DashboardQuery,
) -> AppResult<DashboardFilter> {
    let organisation = match present(&q.organisation) {
        Some(v) => {
            let id: i64 = v.parse().map_err(|_| {
                AppError::field("organisation", "Choose an organisation from the list")
            })?;
            crate::organisations::queries::find(conn, id).map_err(|_| {
                AppError::unknown("organisation", "Choose an organisation from the list")
            })?;
            Some(id)
        }
        None => None,
    };
    let theme = match present(&q.theme) {
        Some(slug) => Some(ws_queries::load(conn, slug, Some(caller))?.ws.id),
        None => None,
    };
    Ok(DashboardFilter {
        organisation,
        theme,
    })
}

pub async fn dashboard_page(
    page: Page,
    user: CurrentUser,
    query: web::Query<DashboardQuery>,
) -> AppResult<HttpResponse> {
    // Kept by organisation, role and query, and for the hour at most ("overdue" and
    // "stuck" are counted in days).
    let key = format!(
        "{}@{}",
        page.request().query_string(),
        crate::db::now().format("%Y-%m-%dT%H")
    );
    let page = &page;
    page.render_kept("dashboard/index", &key, || {
        dashboard_data(page, user.0, query.into_inner())
    })
    .await
}

async fn dashboard_data(
    page: &Page,
    caller: Caller,
    q: DashboardQuery,
) -> AppResult<views::DashboardView> {
    let query = Asked {
        organisation: q.organisation.clone(),
        theme: q.theme.clone(),
    };
    let cache = page.state().cache.clone();
    let version = page.version();
    let (d, f, organisations, workspaces) = page
        .state()
        .db
        .run(move |conn| {
            let f = filter(conn, &caller, &q)?;
            let d = queries::dashboard_cached(conn, (&cache, version), &caller, f)?;
            let organisations = crate::organisations::queries::list(conn)?;
            let workspaces = ws_queries::list_visible(conn, Some(&caller))?;
            Ok((d, f, organisations, workspaces))
        })
        .await?;
    let chosen_org = f.organisation.unwrap_or(0);
    let choices = Choices {
        organisations: organisations
            .iter()
            .map(|o| Choice::new(&o.id.to_string(), &o.name, o.id == chosen_org))
            .collect(),
        workspaces: workspaces
            .iter()
            .filter(|a| !a.ws.is_archived())
            .map(|a| Choice::new(&a.ws.slug, &a.ws.name, Some(a.ws.id) == f.theme))
            .collect(),
    };
    Ok(views::dashboard(&d, f, query, choices))
}

pub fn routes(r: &mut Routes) {
    r.get("/dashboard", dashboard_page);
}
