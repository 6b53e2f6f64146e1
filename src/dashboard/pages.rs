//! `/dashboard`: are we on track, what have we saved, what is stuck.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::chart;
use super::queries::{self, Dashboard, DashboardFilter, Line, STUCK_DAYS};
use crate::auth::{Caller, CurrentUser};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::opportunities::model::format_pence;
use crate::web::routes::Routes;
use crate::web::Page;
use crate::workspaces::chart::format_number;
use crate::workspaces::queries as ws_queries;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// An organisation id: only actions it owns, savings it makes and opportunities it leads.
    pub organisation: Option<String>,
    /// A workspace's short name: only that theme.
    pub theme: Option<String>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The filter from the query, checked: an unknown organisation is a clear 422, a theme the
/// caller may not see a 404.
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
                AppError::field("organisation", "Choose an organisation from the list")
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

fn money(line: &Line) -> Value {
    json!({
        "key": line.key,
        "label": line.label,
        "estimated": format_pence(line.amounts.estimated),
        "validated": format_pence(line.amounts.validated),
        "realised": format_pence(line.amounts.realised),
    })
}

fn context(d: &Dashboard, f: DashboardFilter, q: &DashboardQuery) -> Value {
    // Register links carry the same narrowing as the dashboard.
    let mut narrowing = String::new();
    if let Some(org) = f.organisation {
        narrowing.push_str(&format!("&lead={org}"));
    }
    if let Some(theme) = f.theme {
        narrowing.push_str(&format!("&theme={theme}"));
    }
    let owner = f
        .organisation
        .map(|o| format!("&owner={o}"))
        .unwrap_or_default();
    let themes: Vec<Value> = d
        .themes
        .iter()
        .map(|t| {
            let base = format!("/workspaces/{}", t.slug);
            json!({
                "name": t.name,
                "href": base,
                "red": t.rag.red, "amber": t.rag.amber, "green": t.rag.green,
                "red_href": format!("{base}/actions?rag=red&open=1{owner}"),
                "amber_href": format!("{base}/actions?rag=amber&open=1{owner}"),
                "green_href": format!("{base}/actions?rag=green&open=1{owner}"),
                "overdue": t.overdue_actions,
                "overdue_href": format!("{base}/actions?overdue=1{owner}"),
                "overdue_milestones": t.overdue_milestones,
                "milestones_due_soon": t.milestones_due_soon,
                "milestones_href": format!("{base}#milestones"),
                "measures": t.measures.iter().map(|m| json!({
                    "name": m.name,
                    "unit": m.unit,
                    "href": format!("{base}/measures/{}", m.id),
                    "target": format_number(m.target),
                    "latest": m.latest.map(format_number),
                    "quarter": m.latest_quarter,
                    "on_target": m.on_target,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let p = &d.pipeline;
    json!({
        "themes": themes,
        "rag_chart": chart::rag_by_theme("rag-chart", &d.themes),
        "savings_chart": chart::savings_by_year("savings-chart", &p.by_year),
        "total": { "estimated": format_pence(p.total.estimated), "validated": format_pence(p.total.validated), "realised": format_pence(p.total.realised) },
        "cashable": { "estimated": format_pence(p.cashable.estimated), "validated": format_pence(p.cashable.validated), "realised": format_pence(p.cashable.realised) },
        "non_cashable": { "estimated": format_pence(p.non_cashable.estimated), "validated": format_pence(p.non_cashable.validated), "realised": format_pence(p.non_cashable.realised) },
        "by_year": p.by_year.iter().map(money).collect::<Vec<_>>(),
        "by_stage": p.by_stage.iter().map(|l| {
            let mut v = money(l);
            v["href"] = json!(format!("/opportunities?stage={}{narrowing}", l.key));
            v
        }).collect::<Vec<_>>(),
        "by_organisation": p.by_organisation.iter().map(|l| {
            let mut v = money(l);
            let theme = f.theme.map(|t| format!("&theme={t}")).unwrap_or_default();
            v["href"] = json!(format!("/opportunities?partner={}{theme}", l.key));
            v
        }).collect::<Vec<_>>(),
        "register_href": format!("/opportunities?sort=savings{narrowing}"),
        "stale": d.stuck.stale,
        "stale_href": format!("/opportunities?stale={STUCK_DAYS}{narrowing}"),
        "stuck_days": STUCK_DAYS,
        "open_high": d.stuck.open_high_barriers,
        "open_high_href": format!("/opportunities?barriers=open_high{narrowing}"),
        "longest": d.stuck.longest,
        "activity": d.activity,
        "query": { "organisation": q.organisation, "theme": q.theme },
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

async fn dashboard_data(page: &Page, caller: Caller, q: DashboardQuery) -> AppResult<Value> {
    let selected = (q.organisation.clone(), q.theme.clone());
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
    let q = DashboardQuery {
        organisation: selected.0,
        theme: selected.1,
    };
    let mut data = context(&d, f, &q);
    let chosen_org = f.organisation.unwrap_or(0);
    data["organisations"] = json!(organisations
        .iter()
        .map(|o| json!({ "value": o.id, "label": o.name, "selected": o.id == chosen_org }))
        .collect::<Vec<_>>());
    data["workspaces"] = json!(workspaces
        .iter()
        .filter(|a| !a.ws.is_archived())
        .map(|a| json!({ "value": a.ws.slug, "label": a.ws.name, "selected": Some(a.ws.id) == f.theme }))
        .collect::<Vec<_>>());
    data["title"] = json!("Joint progress");
    Ok(data)
}

pub fn routes(r: &mut Routes) {
    r.get("/dashboard", dashboard_page);
}
