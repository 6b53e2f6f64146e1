//! The quarterly review pages: the list, a review with who has and has not submitted, a
//! workspace's return, sign-off, and the board pack (print view and workbook).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{Content, Review, Submission};
use super::service::{self, ActionInput, MeasureInput, OpenInput, SubmissionInput};
use super::summary::{self, Comparison, Snapshot};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::opportunities::model::format_pence;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page};
use crate::workspaces::chart::format_number;
use crate::workspaces::model::Rag;

fn rag_label(rag: &str) -> &'static str {
    Rag::parse(rag).map(Rag::label).unwrap_or("")
}

fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "Submitted",
        "returned" => "Sent back",
        "signed_off" => "Signed off",
        "open" => "Open",
        _ => "No return yet",
    }
}

fn review_json(r: &Review) -> Value {
    json!({
        "id": r.id,
        "quarter": r.label(),
        "deadline": r.deadline.format("%-d %B %Y").to_string(),
        "open": r.is_open(),
        "status": status_label(&r.status),
    })
}

fn figures_json(s: &Snapshot, review_id: i64) -> Value {
    json!({
        "workspaces": s.workspaces.iter().map(|w| json!({
            "name": w.name,
            "slug": w.slug,
            "href": format!("/reviews/{review_id}/workspaces/{}", w.slug),
            "lead": w.lead,
            "status": status_label(&w.status),
            "missing": w.status == "missing",
            "returned": w.status == "returned",
            "rag": w.overall_rag,
            "rag_label": w.overall_rag.as_deref().map(rag_label),
            "commentary": w.commentary,
            "decisions": w.decisions,
            "submitted_by": w.submitted_by,
            "return_comment": w.return_comment,
            "actions": w.content.actions.iter().map(|a| json!({ "title": a.title, "rag": a.rag, "rag_label": rag_label(&a.rag), "progress": a.progress })).collect::<Vec<_>>(),
            "measures": w.content.measures.iter().map(|m| json!({ "name": m.name, "unit": m.unit, "value": m.value.map(format_number), "target": format_number(m.target) })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "submitted": s.workspaces.iter().filter(|w| w.status == "submitted").count(),
        "total": s.workspaces.len(),
        "savings": {
            "estimated": format_pence(s.savings.estimated),
            "validated": format_pence(s.savings.validated),
            "realised": format_pence(s.savings.realised),
            "cashable_realised": format_pence(s.savings.cashable_realised),
        },
        "stages": s.stages,
    })
}

fn comparison_json(c: &Comparison) -> Value {
    json!({
        "previous": c.previous,
        "rag_changes": c.rag_changes.iter().map(|r| json!({ "workspace": r.workspace, "item": r.item, "from": r.from, "from_label": rag_label(&r.from), "to": r.to, "to_label": rag_label(&r.to) })).collect::<Vec<_>>(),
        "savings": {
            "estimated": format_pence(c.savings_moved.estimated),
            "validated": format_pence(c.savings_moved.validated),
            "realised": format_pence(c.savings_moved.realised),
        },
        "measures": c.measures.iter().map(|m| json!({ "workspace": m.workspace, "measure": m.measure, "unit": m.unit, "from": format_number(m.from), "to": format_number(m.to), "verdict": m.verdict, "improved": m.verdict == "improved", "worsened": m.verdict == "worsened" })).collect::<Vec<_>>(),
    })
}

// ---- The list, and opening a review ----

async fn render_list(
    page: &Page,
    caller: Caller,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let list = page.state().db.run(|conn| Ok(service::list(conn)?)).await?;
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render_status(
        status,
        "reviews/index",
        json!({
            "title": "Quarterly reviews",
            "reviews": list.iter().map(review_json).collect::<Vec<_>>(),
            "can_open": authz::open_review(&caller).is_ok(),
            "form": form,
            "errors": errors.map(|e| e.to_json()),
        }),
    )
}

pub async fn list_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    render_list(&page, user.0, json!({}), None).await
}

pub async fn open(page: Page, user: CurrentUser, form: Form<OpenInput>) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::open_review(&caller)?;
    let input = form.0;
    let echo = json!({ "quarter": input.quarter, "deadline": input.deadline });
    let outcome = page
        .state()
        .change(page.request(), caller.clone(), move |conn, actor| {
            service::open(conn, actor, &input)
        })
        .await;
    match outcome {
        Ok(r) => Ok(redirect_with_flash(
            page.state(),
            &format!("/reviews/{}", r.id),
            &format!("The {} review is open", r.label()),
        )),
        Err(AppError::Validation { fields, .. }) => {
            render_list(&page, caller, echo, Some(FieldErrors::from_map(fields))).await
        }
        Err(e) => Err(e),
    }
}

// ---- A review ----

pub async fn show(page: Page, user: CurrentUser, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let caller = user.0;
    let id = path.into_inner();
    let who = caller.clone();
    let (review, opener, figures, comparison) = page
        .state()
        .db
        .run(move |conn| {
            let review = service::find(conn, id)?;
            let opener = service::opener_name(conn, &review)?;
            let (figures, comparison) = summary::view(conn, &review, &who)?;
            Ok((review, opener, figures, comparison))
        })
        .await?;
    page.render(
        "reviews/show",
        json!({
            "title": format!("{} review", review.label()),
            "breadcrumbs": [{ "href": "/reviews", "label": "Quarterly reviews" }],
            "review": review_json(&review),
            "opened_by": opener,
            "figures": figures_json(&figures, review.id),
            "comparison": comparison.as_ref().map(comparison_json),
            "can_sign_off": review.is_open() && authz::sign_off_review(&caller, &review).is_ok(),
        }),
    )
}

pub async fn sign_off(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let id = path.into_inner();
    let review = page
        .state()
        .change(page.request(), caller, move |conn, actor| {
            service::sign_off(conn, actor, id)
        })
        .await?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/reviews/{id}"),
        &format!("The {} review is signed off", review.label()),
    ))
}

// ---- A workspace's return ----

struct Echo {
    fields: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

async fn render_return(
    page: &Page,
    caller: Caller,
    id: i64,
    slug: String,
    echo: Option<Echo>,
) -> AppResult<HttpResponse> {
    let who = caller.clone();
    let (review, access, sub, content) = page
        .state()
        .db
        .run(move |conn| {
            let review = service::find(conn, id)?;
            let access = service::workspace(conn, &slug, &who)?;
            let sub: Option<Submission> = service::submissions(conn, id)?
                .into_iter()
                .find(|s| s.workspace_id == access.ws.id);
            let content: Content = match (&sub, review.is_open()) {
                (Some(s), _) => s.content(),
                (None, true) => service::live_content(conn, access.ws.id, review.quarter())?,
                (None, false) => Content::default(),
            };
            Ok((review, access, sub, content))
        })
        .await?;
    let can_submit = review.is_open()
        && authz::submit_review(&caller, access.membership).is_ok()
        && !access.ws.is_archived();
    let can_send_back = review.is_open()
        && authz::send_back_return(&caller, &review).is_ok()
        && sub.as_ref().is_some_and(|s| s.status == "submitted");
    let (fields, errors) = match echo {
        Some(e) => (e.fields, e.errors),
        None => (BTreeMap::new(), BTreeMap::new()),
    };
    let value = |key: &str, live: String| fields.get(key).cloned().unwrap_or(live);
    let overall = value(
        "overall_rag",
        sub.as_ref()
            .map(|s| s.overall_rag.clone())
            .unwrap_or_default(),
    );
    let actions: Vec<Value> = content
        .actions
        .iter()
        .map(|a| {
            let rag_key = format!("rag_{}", a.id);
            let progress_key = format!("progress_{}", a.id);
            json!({
                "id": a.id,
                "title": a.title,
                "rag_label": rag_label(&a.rag),
                "rag": a.rag,
                "rag_options": Rag::options(&value(&rag_key, a.rag.clone())),
                "progress": value(&progress_key, a.progress.to_string()),
                "rag_error": errors.get(&rag_key),
                "progress_error": errors.get(&progress_key),
            })
        })
        .collect();
    let measures: Vec<Value> = content
        .measures
        .iter()
        .map(|m| {
            let key = format!("value_{}", m.id);
            json!({
                "id": m.id,
                "name": m.name,
                "unit": m.unit,
                "target": format_number(m.target),
                "value": value(&key, m.value.map(format_number).unwrap_or_default()),
                "error": errors.get(&key),
            })
        })
        .collect();
    let list: Vec<Value> = errors
        .iter()
        .map(|(f, m)| json!({ "href": format!("#{f}"), "message": m }))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.render_status(
        status,
        "reviews/return",
        json!({
            "title": format!("{} return – {}", review.label(), access.ws.name),
            "breadcrumbs": [{ "href": "/reviews", "label": "Quarterly reviews" }, { "href": format!("/reviews/{id}"), "label": format!("{} review", review.label()) }],
            "review": review_json(&review),
            "ws": { "name": access.ws.name, "slug": access.ws.slug },
            "submission": sub.as_ref().map(|s| json!({
                "status": status_label(&s.status),
                "returned": s.status == "returned",
                "rag": s.overall_rag,
                "rag_label": rag_label(&s.overall_rag),
                "commentary": s.commentary,
                "decisions": s.decisions,
                "return_comment": s.return_comment,
            })),
            "can_submit": can_submit,
            "can_send_back": can_send_back,
            "overall_options": Rag::options(&overall),
            "commentary": value("commentary", sub.as_ref().map(|s| s.commentary.clone()).unwrap_or_default()),
            "decisions": value("decisions", sub.as_ref().map(|s| s.decisions.clone()).unwrap_or_default()),
            "comment": value("comment", String::new()),
            "actions": actions,
            "measures": measures,
            "errors": (!errors.is_empty()).then(|| json!({ "list": list, "by_field": errors })),
        }),
    )
}

pub async fn return_page(
    page: Page,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (id, slug) = path.into_inner();
    render_return(&page, user.0, id, slug, None).await
}

/// The form's fields, by name: `rag_<action>`, `progress_<action>`, `value_<measure>`.
fn submission_from(fields: &BTreeMap<String, String>) -> SubmissionInput {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let mut input = SubmissionInput {
        overall_rag: get("overall_rag"),
        commentary: get("commentary"),
        decisions: get("decisions"),
        ..SubmissionInput::default()
    };
    for (key, value) in fields {
        if let Some(id) = key.strip_prefix("rag_").and_then(|v| v.parse::<i64>().ok()) {
            input.actions.push(ActionInput {
                id,
                rag: value.clone(),
                progress: get(&format!("progress_{id}")),
            });
        }
        if let Some(id) = key
            .strip_prefix("value_")
            .and_then(|v| v.parse::<i64>().ok())
        {
            input.measures.push(MeasureInput {
                id,
                value: value.clone(),
            });
        }
    }
    input
}

pub async fn submit(
    page: Page,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    form: Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let (id, slug) = path.into_inner();
    let fields: BTreeMap<String, String> =
        form.0.into_iter().filter(|(k, _)| k != "_csrf").collect();
    let input = submission_from(&fields);
    let target = slug.clone();
    let outcome = page
        .state()
        .change(page.request(), caller.clone(), move |conn, actor| {
            let access = service::workspace(conn, &target, actor.caller)?;
            service::submit(conn, actor, id, &access, &input)
        })
        .await;
    match outcome {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/reviews/{id}"),
            "Your return has been submitted",
        )),
        Err(AppError::Validation { fields: errors, .. }) => {
            render_return(&page, caller, id, slug, Some(Echo { fields, errors })).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    comment: String,
}

pub async fn send_back(
    page: Page,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    form: Form<CommentForm>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let (id, slug) = path.into_inner();
    let comment = form.0.comment;
    let target = slug.clone();
    let said = comment.clone();
    let outcome = page
        .state()
        .change(page.request(), caller.clone(), move |conn, actor| {
            let access = service::workspace(conn, &target, actor.caller)?;
            service::send_back(conn, actor, id, &access, &said)
        })
        .await;
    match outcome {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/reviews/{id}"),
            "The return has been sent back",
        )),
        Err(AppError::Validation { fields: errors, .. }) => {
            let mut fields = BTreeMap::new();
            fields.insert("comment".to_string(), comment);
            render_return(&page, caller, id, slug, Some(Echo { fields, errors })).await
        }
        Err(e) => Err(e),
    }
}

// ---- The board pack ----

pub async fn board_pack(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let id = path.into_inner();
    let (review, figures, comparison) = page
        .state()
        .db
        .run(move |conn| {
            let review = service::find(conn, id)?;
            let (figures, comparison) = summary::view(conn, &review, &caller)?;
            Ok((review, figures, comparison))
        })
        .await?;
    page.render(
        "reviews/board_pack",
        json!({
            "title": format!("Board pack: {} review", review.label()),
            "breadcrumbs": [{ "href": "/reviews", "label": "Quarterly reviews" }, { "href": format!("/reviews/{id}"), "label": format!("{} review", review.label()) }],
            "review": review_json(&review),
            "figures": figures_json(&figures, review.id),
            "comparison": comparison.as_ref().map(comparison_json),
        }),
    )
}

pub async fn board_pack_xlsx(
    page: Page,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let caller = user.0;
    let id = path.into_inner();
    let (review, bytes) = page
        .state()
        .db
        .run(move |conn| {
            let review = service::find(conn, id)?;
            let (figures, comparison) = summary::view(conn, &review, &caller)?;
            let bytes = super::board_pack::workbook(
                &figures,
                comparison.as_ref(),
                status_label(&review.status),
            )
            .map_err(AppError::Internal)?;
            Ok((review, bytes))
        })
        .await?;
    let name = format!("metro-board-pack-{}-Q{}.xlsx", review.year, review.quarter);
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

pub fn routes(r: &mut Routes) {
    r.get("/reviews", list_page)
        .post("/reviews", open)
        .get("/reviews/{id}/board-pack.xlsx", board_pack_xlsx)
        .get("/reviews/{id}/board-pack", board_pack)
        .post("/reviews/{id}/sign-off", sign_off)
        .get("/reviews/{id}/workspaces/{slug}", return_page)
        .post("/reviews/{id}/workspaces/{slug}", submit)
        .post("/reviews/{id}/workspaces/{slug}/return", send_back)
        .get("/reviews/{id}", show);
}
