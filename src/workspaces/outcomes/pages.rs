//! The outcomes a workspace works towards: the pages.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, Page};
use crate::workspaces::pages::{crumbs, measure_row, status_for, submit, ws_context};
use crate::workspaces::queries;

async fn render_outcomes(
    page: &Page,
    slug: String,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, outcomes, measures, readings) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let outcomes = queries::outcomes_for(conn, access.ws.id)?;
            let measures = queries::measures_for(conn, access.ws.id)?;
            let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
            let readings = queries::readings_for(conn, &ids)?;
            Ok((access, outcomes, measures, readings))
        })
        .await?;
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Outcomes and measures – {}", access.ws.name),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/outcomes"),
        "outcomes": outcomes.iter().map(|o| json!({
            "id": o.id, "title": o.title, "description_html": to_safe_html(&o.description),
            "measures": measures.iter().filter(|m| m.outcome_id == o.id).map(|m| measure_row(m, &readings)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/outcomes", data)
}

pub async fn outcomes_page(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    render_outcomes(&page, path.into_inner(), json!({}), None).await
}

pub async fn create_outcome(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<OutcomeInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_outcome(conn, actor, access, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/outcomes"),
            "The outcome has been added",
        )),
        Err(errors) => render_outcomes(&page, slug, echo, Some(errors)).await,
    }
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/outcomes", outcomes_page)
        .post("/workspaces/{slug}/outcomes", create_outcome);
}
