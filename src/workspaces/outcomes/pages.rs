//! The outcomes a workspace works towards: the pages.

use actix_web::web;
use serde::Serialize;

use super::service::{self, *};
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{Page, Reply};
use crate::workspaces::pages::{read_ws, WsPost};
use crate::workspaces::queries;
use crate::workspaces::views::{measure_row, Echo, Frame, MeasureRow};

#[derive(Serialize)]
struct Outcomes {
    outcomes: Vec<OutcomeRow>,
}

#[derive(Serialize)]
struct OutcomeRow {
    id: i64,
    title: String,
    description_html: String,
    measures: Vec<MeasureRow>,
}

async fn render_outcomes(page: &Page, slug: String, echo: Echo) -> Reply {
    let (access, (outcomes, measures, readings)) = read_ws(page, slug, |conn, access| {
        let outcomes = queries::outcomes_for(conn, access.ws.id)?;
        let measures = queries::measures_for(conn, access.ws.id)?;
        let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
        let readings = queries::readings_for(conn, &ids)?;
        Ok((outcomes, measures, readings))
    })
    .await?;
    let outcomes = outcomes
        .into_iter()
        .map(|o| OutcomeRow {
            measures: measures
                .iter()
                .filter(|m| m.outcome_id == o.id)
                .map(|m| measure_row(m, &readings))
                .collect(),
            description_html: to_safe_html(&o.description),
            id: o.id,
            title: o.title,
        })
        .collect();
    let frame = Frame::new(page, &access, "/outcomes");
    let title = format!("Outcomes and measures – {}", access.ws.name);
    frame.render(
        "workspaces/outcomes",
        title,
        Some(echo),
        Outcomes { outcomes },
    )
}

pub async fn outcomes_page(page: Page, path: web::Path<String>) -> Reply {
    render_outcomes(&page, path.into_inner(), Echo::empty()).await
}

pub async fn create_outcome(post: WsPost<OutcomeInput>) -> Reply {
    post.save(
        service::create_outcome,
        |slug, _, _| {
            (
                format!("/workspaces/{slug}/outcomes"),
                "The outcome has been added",
            )
        },
        |page, slug, _, echo| async move { render_outcomes(&page, slug, echo).await },
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/outcomes", outcomes_page)
        .post("/workspaces/{slug}/outcomes", create_outcome);
}
