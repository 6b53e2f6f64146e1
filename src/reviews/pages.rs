//! The quarterly review pages: the list, a review with who has and has not submitted, a
//! workspace's return, sign-off, and the board pack (print view and workbook).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::model::{Content, Submission};
use super::service::{self, ActionInput, MeasureInput, OpenInput, SubmissionInput};
use super::summary;
use super::views::{self, Echo, ListView, PackView, ReturnRead, ReviewView, ShowView};
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page};

// ---- The list, and opening a review ----

async fn render_list(
    page: &Page,
    caller: Caller,
    form: OpenInput,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let list = page.state().db.run(|conn| Ok(service::list(conn)?)).await?;
    let view = ListView {
        title: "Quarterly reviews",
        reviews: list.iter().map(ReviewView::new).collect(),
        can_open: authz::open_review(&caller).is_ok(),
        form,
        errors,
    };
    page.render_form(view.errors.is_some(), "reviews/index", view)
}

pub async fn list_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    render_list(&page, user.0, OpenInput::default(), None).await
}

pub async fn open(page: Page, user: CurrentUser, form: Form<OpenInput>) -> AppResult<HttpResponse> {
    let caller = user.0;
    authz::open_review(&caller)?;
    let input = form.0;
    let echo = OpenInput {
        quarter: input.quarter.clone(),
        deadline: input.deadline.clone(),
    };
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
        ShowView {
            title: format!("{} review", review.label()),
            breadcrumbs: views::crumbs(None),
            review: ReviewView::new(&review),
            opened_by: opener,
            figures: views::figures(&figures, review.id),
            comparison: comparison.as_ref().map(views::comparison),
            can_sign_off: review.is_open() && authz::sign_off_review(&caller, &review).is_ok(),
        },
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

fn read_return(conn: &mut DbConn, id: i64, slug: &str, who: &Caller) -> AppResult<ReturnRead> {
    let review = service::find(conn, id)?;
    let access = service::workspace(conn, slug, who)?;
    let sub: Option<Submission> = service::submissions(conn, id)?
        .into_iter()
        .find(|s| s.workspace_id == access.ws.id);
    let content: Content = match (&sub, review.is_open()) {
        (Some(s), _) => s.content(),
        (None, true) => service::live_content(conn, access.ws.id, review.quarter())?,
        (None, false) => Content::default(),
    };
    Ok(ReturnRead {
        review,
        access,
        sub,
        content,
    })
}

async fn render_return(
    page: &Page,
    caller: Caller,
    id: i64,
    slug: String,
    echo: Option<Echo>,
) -> AppResult<HttpResponse> {
    let who = caller.clone();
    let read = page
        .state()
        .db
        .run(move |conn| read_return(conn, id, &slug, &who))
        .await?;
    let open = read.review.is_open();
    let can_submit = open
        && authz::submit_review(&caller, read.access.membership).is_ok()
        && !read.access.ws.is_archived();
    let can_send_back = open
        && authz::send_back_return(&caller, &read.review).is_ok()
        && read.sub.as_ref().is_some_and(|s| s.status == "submitted");
    let view = views::return_view(read, can_submit, can_send_back, echo);
    page.render_form(view.failed(), "reviews/return", view)
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
        PackView {
            title: format!("Board pack: {} review", review.label()),
            breadcrumbs: views::crumbs(Some(&review)),
            review: ReviewView::new(&review),
            figures: views::figures(&figures, review.id),
            comparison: comparison.as_ref().map(views::comparison),
        },
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
                views::status_label(&review.status),
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
        // A zip already: not gzipped again.
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
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
