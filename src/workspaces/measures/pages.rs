//! Measures of a workspace and the readings recorded against them: the pages.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::authz;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, Page};
use crate::workspaces::chart::{format_number, trend_svg};
use crate::workspaces::model::*;
use crate::workspaces::pages::{crumbs, measure_row, status_for, submit, ws_context};
use crate::workspaces::queries;

#[derive(Debug, Default, Deserialize)]
pub struct NewMeasureQuery {
    outcome: Option<i64>,
}

async fn render_measure_form(
    page: &Page,
    slug: String,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let (access, outcomes) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, Some(&caller))?;
            authz::contribute(&caller, &access.ws, access.membership)?;
            let outcomes = queries::outcomes_for(conn, access.ws.id)?;
            Ok((access, outcomes))
        })
        .await?;
    let selected = form["outcome_id"].as_str().unwrap_or("").to_string();
    let status = status_for(&errors);
    let data = json!({
        "title": "Add a measure",
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/outcomes"),
        "outcomes": outcomes.iter().map(|o| json!({ "value": o.id, "label": o.title, "selected": o.id.to_string() == selected })).collect::<Vec<_>>(),
        "directions": Direction::options(form["direction"].as_str().unwrap_or("higher")),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/measure_form", data)
}

pub async fn new_measure_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<NewMeasureQuery>,
) -> AppResult<HttpResponse> {
    let form = json!({ "outcome_id": query.outcome.map(|o| o.to_string()).unwrap_or_default() });
    render_measure_form(&page, path.into_inner(), form, None).await
}

pub async fn create_measure(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<MeasureInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_measure(conn, actor, access, &input)
    })
    .await?
    {
        Ok(id) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/measures/{id}"),
            "The measure has been added",
        )),
        Err(errors) => render_measure_form(&page, slug, echo, Some(errors)).await,
    }
}

async fn render_measure(
    page: &Page,
    slug: String,
    measure_id: i64,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, measure, outcome, readings) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let measure = queries::find_measure(conn, access.ws.id, measure_id)?;
            let outcome = queries::find_outcome(conn, access.ws.id, measure.outcome_id)?;
            let readings = queries::readings_for(conn, &[measure_id])?;
            Ok((access, measure, outcome, readings))
        })
        .await?;
    let status = status_for(&errors);
    let mut form = form;
    if form["quarter"].is_null() {
        form["quarter"] = json!(Quarter::containing(now().date()).label());
    }
    let data = json!({
        "title": measure.name,
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/outcomes"),
        "outcome": outcome.title,
        "measure": measure_row(&measure, &readings),
        "chart_svg": trend_svg(&measure, &readings),
        "readings": readings.iter().map(|r| json!({ "quarter": Quarter { year: r.year, quarter: r.quarter }.label(), "value": format_number(r.value), "note": r.note })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/measure", data)
}

pub async fn show_measure(page: Page, path: web::Path<(String, i64)>) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_measure(&page, slug, id, json!({}), None).await
}

pub async fn record_reading(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<ReadingInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::record_reading(conn, actor, access, id, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/measures/{id}"),
            "The reading has been recorded",
        )),
        Err(errors) => render_measure(&page, slug, id, echo, Some(errors)).await,
    }
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/measures/new", new_measure_page)
        .post("/workspaces/{slug}/measures", create_measure)
        .get("/workspaces/{slug}/measures/{id}", show_measure)
        .post("/workspaces/{slug}/measures/{id}/readings", record_reading);
}
