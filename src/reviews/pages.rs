//! The quarterly review pages: the list, a review with who has and has not submitted, a
//! workspace's return, sign-off, and the board pack (print view and workbook).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::model::{Content, Submission};
use super::service::{self, ActionInput, MeasureInput, OpenInput, SubmissionInput};
use super::summary;
use super::views::{self, Echo, ListView, PackView, ReturnRead, ReviewView, ShowView};
use crate::auth::{Actor, Caller};
use crate::authz;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::web::arguments::SignedIn;
use crate::web::routes::Routes;
use crate::web::{FieldErrors, Form, NoFields, Page, Reply};
use crate::workspaces::queries::Access;

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

pub async fn list_page(at: SignedIn) -> Reply {
    render_list(&at.page, at.caller, OpenInput::default(), None).await
}

pub async fn open(at: SignedIn, form: Form<OpenInput>) -> Reply {
    authz::open_review(&at.caller)?;
    let input = form.0;
    let echo = OpenInput {
        quarter: input.quarter.clone(),
        deadline: input.deadline.clone(),
    };
    match at
        .attempt(move |conn, actor| service::open(conn, actor, &input))
        .await?
    {
        Ok(r) => Ok(at.done(
            &format!("/reviews/{}", r.id),
            &format!("The {} review is open", r.label()),
        )),
        Err(errors) => render_list(&at.page, at.caller, echo, Some(errors)).await,
    }
}

// ---- A review ----

pub async fn show(SignedIn { page, caller }: SignedIn, path: web::Path<i64>) -> Reply {
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

pub async fn sign_off(at: SignedIn, path: web::Path<i64>, _form: Form<NoFields>) -> Reply {
    let id = path.into_inner();
    let review = at
        .change(move |conn, actor| service::sign_off(conn, actor, id))
        .await?;
    Ok(at.done(
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

pub async fn return_page(at: SignedIn, path: web::Path<(i64, String)>) -> Reply {
    let (id, slug) = path.into_inner();
    render_return(&at.page, at.caller, id, slug, None).await
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

/// Makes a change to a workspace's return; on success goes back to the review with
/// `message`, on field errors shows the return again with what was sent (`fields`).
async fn change_return<T, F>(
    at: SignedIn,
    (id, slug): (i64, String),
    fields: BTreeMap<String, String>,
    message: &str,
    change: F,
) -> Reply
where
    F: FnOnce(&mut DbConn, &Actor, i64, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let target = slug.clone();
    let outcome = at
        .attempt(move |conn, actor| {
            let access = service::workspace(conn, &target, actor.caller)?;
            change(conn, actor, id, &access)
        })
        .await?;
    match outcome {
        Ok(_) => Ok(at.done(&format!("/reviews/{id}"), message)),
        Err(errors) => {
            let echo = Echo {
                fields,
                errors: errors.into_map(),
            };
            render_return(&at.page, at.caller, id, slug, Some(echo)).await
        }
    }
}

pub async fn submit(
    at: SignedIn,
    path: web::Path<(i64, String)>,
    form: Form<Vec<(String, String)>>,
) -> Reply {
    let fields: BTreeMap<String, String> =
        form.0.into_iter().filter(|(k, _)| k != "_csrf").collect();
    let input = submission_from(&fields);
    let done = "Your return has been submitted";
    change_return(
        at,
        path.into_inner(),
        fields,
        done,
        move |conn, actor, id, access| service::submit(conn, actor, id, access, &input),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    comment: String,
}

pub async fn send_back(
    at: SignedIn,
    path: web::Path<(i64, String)>,
    form: Form<CommentForm>,
) -> Reply {
    let comment = form.0.comment;
    let fields = BTreeMap::from([("comment".to_string(), comment.clone())]);
    let done = "The return has been sent back";
    change_return(
        at,
        path.into_inner(),
        fields,
        done,
        move |conn, actor, id, access| service::send_back(conn, actor, id, access, &comment),
    )
    .await
}

// ---- The board pack ----

pub async fn board_pack(SignedIn { page, caller }: SignedIn, path: web::Path<i64>) -> Reply {
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

pub async fn board_pack_xlsx(SignedIn { page, caller }: SignedIn, path: web::Path<i64>) -> Reply {
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
