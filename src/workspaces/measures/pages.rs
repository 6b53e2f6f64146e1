//! Measures of a workspace and the readings recorded against them: the pages.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::authz;
use crate::db::enums::SelectOption;
use crate::db::now;
use crate::error::AppError;
use crate::web::routes::Routes;
use crate::web::{Choice, Page, Reply};
use crate::workspaces::chart::{format_number, trend_svg};
use crate::workspaces::model::*;
use crate::workspaces::pages::{read_ws, WsPost};
use crate::workspaces::queries;
use crate::workspaces::views::{measure_row, Echo, Frame, MeasureRow};

#[derive(Debug, Default, Deserialize)]
pub struct NewMeasureQuery {
    outcome: Option<i64>,
}

#[derive(Serialize)]
struct MeasureForm {
    outcomes: Vec<Choice>,
    directions: Vec<SelectOption>,
}

async fn render_measure_form(page: &Page, slug: String, echo: Echo) -> Reply {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let (access, outcomes) = read_ws(page, slug, move |conn, access| {
        authz::contribute(&caller, &access.ws, access.membership)?;
        Ok(queries::outcomes_for(conn, access.ws.id)?)
    })
    .await?;
    let selected = echo.form["outcome_id"].as_str().unwrap_or("");
    let view = MeasureForm {
        outcomes: outcomes
            .iter()
            .map(|o| Choice::new(&o.id.to_string(), &o.title, o.id.to_string() == selected))
            .collect(),
        directions: Direction::options(echo.form["direction"].as_str().unwrap_or("higher")),
    };
    let frame = Frame::new(page, &access, "/outcomes");
    frame.render(
        "workspaces/measure_form",
        "Add a measure".into(),
        Some(echo),
        view,
    )
}

pub async fn new_measure_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<NewMeasureQuery>,
) -> Reply {
    let form = json!(MeasureInput {
        outcome_id: query.outcome.map(|o| o.to_string()).unwrap_or_default(),
        ..MeasureInput::default()
    });
    render_measure_form(&page, path.into_inner(), Echo::new(form, None)).await
}

pub async fn create_measure(post: WsPost<MeasureInput>) -> Reply {
    post.save(
        service::create_measure,
        |slug, _, id| {
            (
                format!("/workspaces/{slug}/measures/{id}"),
                "The measure has been added",
            )
        },
        |page, slug, _, echo| async move { render_measure_form(&page, slug, echo).await },
    )
    .await
}

#[derive(Serialize)]
struct Shown {
    outcome: String,
    measure: MeasureRow,
    chart_svg: String,
    readings: Vec<ReadingRow>,
}

#[derive(Serialize)]
struct ReadingRow {
    quarter: String,
    value: String,
    note: String,
}

async fn render_measure(page: &Page, slug: String, measure_id: i64, mut echo: Echo) -> Reply {
    let (access, (measure, outcome, readings)) = read_ws(page, slug, move |conn, access| {
        let measure = queries::find_measure(conn, access.ws.id, measure_id)?;
        let outcome = queries::find_outcome(conn, access.ws.id, measure.outcome_id)?;
        let readings = queries::readings_for(conn, &[measure_id])?;
        Ok((measure, outcome, readings))
    })
    .await?;
    if echo.form["quarter"].is_null() {
        echo.form["quarter"] = json!(Quarter::containing(now().date()).label());
    }
    let view = Shown {
        outcome: outcome.title,
        measure: measure_row(&measure, &readings),
        chart_svg: trend_svg(&measure, &readings),
        readings: readings
            .iter()
            .map(|r| ReadingRow {
                quarter: Quarter {
                    year: r.year,
                    quarter: r.quarter,
                }
                .label(),
                value: format_number(r.value),
                note: r.note.clone(),
            })
            .collect(),
    };
    let frame = Frame::new(page, &access, "/outcomes");
    frame.render("workspaces/measure", measure.name, Some(echo), view)
}

pub async fn show_measure(page: Page, path: web::Path<(String, i64)>) -> Reply {
    let (slug, id) = path.into_inner();
    render_measure(&page, slug, id, Echo::empty()).await
}

pub async fn record_reading(post: WsPost<ReadingInput>) -> Reply {
    post.save_item(
        service::record_reading,
        |slug, id, _| {
            (
                format!("/workspaces/{slug}/measures/{id}"),
                "The reading has been recorded",
            )
        },
        |page, slug, id, echo| async move { render_measure(&page, slug, id, echo).await },
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/measures/new", new_measure_page)
        .post("/workspaces/{slug}/measures", create_measure)
        .get("/workspaces/{slug}/measures/{id}", show_measure)
        .post("/workspaces/{slug}/measures/{id}/readings", record_reading);
}
