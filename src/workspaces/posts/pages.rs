//! Updates posted in a workspace, and the comments on them: the pages.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, Page, PageQuery};
use crate::workspaces::pages::{crumbs, status_for, submit, when, ws_context};
use crate::workspaces::queries;

async fn render_updates(
    page: &Page,
    slug: String,
    query: &PageQuery,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let paging = query.paging(10);
    let (access, (posts, total)) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let posts = queries::posts_page(conn, access.ws.id, paging)?;
            Ok((access, posts))
        })
        .await?;
    let base = format!("/workspaces/{}/updates", access.ws.slug);
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Updates – {}", access.ws.name),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/updates"),
        "posts": posts.iter().map(|p| json!({
            "id": p.item.id, "title": p.item.title, "author": p.author, "organisation": p.organisation,
            "when": when(p.item.created_at), "edited": p.item.updated_at > p.item.created_at,
            "body_html": to_safe_html(&p.item.body),
        })).collect::<Vec<_>>(),
        "pagination": paging.context(total, &base),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/updates", data)
}

pub async fn updates_page(
    page: Page,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    render_updates(&page, path.into_inner(), &query, json!({}), None).await
}

pub async fn create_post(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<PostInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_post(conn, actor, access, &input)
    })
    .await?
    {
        Ok(id) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/updates/{id}"),
            "Your update has been posted",
        )),
        Err(errors) => render_updates(&page, slug, &PageQuery::default(), echo, Some(errors)).await,
    }
}

async fn render_post(
    page: &Page,
    slug: String,
    post_id: i64,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, post, comments) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let post = queries::find_post(conn, access.ws.id, post_id)?;
            let comments = queries::comments_for(conn, post_id)?;
            Ok((access, post, comments))
        })
        .await?;
    let can_edit = page.user.as_ref().is_some_and(|c| {
        authz::edit_post(c, &access.ws, access.membership, post.item.author_user_id).is_ok()
    });
    let status = status_for(&errors);
    let data = json!({
        "title": post.item.title,
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/updates"),
        "post": {
            "id": post.item.id, "title": post.item.title, "author": post.author, "organisation": post.organisation,
            "when": when(post.item.created_at), "edited": post.item.updated_at > post.item.created_at,
            "body_html": to_safe_html(&post.item.body), "can_edit": can_edit,
        },
        "comments": comments.iter().map(|c| json!({ "author": c.author, "organisation": c.organisation, "when": when(c.item.created_at), "body_html": to_safe_html(&c.item.body) })).collect::<Vec<_>>(),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/post", data)
}

pub async fn show_post(page: Page, path: web::Path<(String, i64)>) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_post(&page, slug, id, json!({}), None).await
}

pub async fn create_comment(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<CommentInput>,
) -> AppResult<HttpResponse> {
    let (slug, post_id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::create_comment(conn, actor, access, post_id, &input)
    })
    .await?
    {
        Ok(_) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/updates/{post_id}#comments"),
            "Your comment has been added",
        )),
        Err(errors) => render_post(&page, slug, post_id, echo, Some(errors)).await,
    }
}

async fn render_post_edit(
    page: &Page,
    slug: String,
    post_id: i64,
    form: Option<Value>,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, post) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let post = queries::find_post(conn, access.ws.id, post_id)?;
            Ok((access, post))
        })
        .await?;
    let caller = page.user.as_ref().ok_or(AppError::Unauthorized)?;
    authz::edit_post(
        caller,
        &access.ws,
        access.membership,
        post.item.author_user_id,
    )?;
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Edit: {}", post.item.title),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/updates"),
        "post_id": post_id,
        "form": form.unwrap_or_else(|| json!({ "title": post.item.title, "body": post.item.body })),
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/post_form", data)
}

pub async fn edit_post_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_post_edit(&page, slug, id, None, None).await
}

pub async fn update_post(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: Form<PostInput>,
) -> AppResult<HttpResponse> {
    let (slug, post_id) = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::update_post(conn, actor, access, post_id, &input)
    })
    .await?
    {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/updates/{post_id}"),
            "The update has been saved",
        )),
        Err(errors) => render_post_edit(&page, slug, post_id, Some(echo), Some(errors)).await,
    }
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/updates", updates_page)
        .post("/workspaces/{slug}/updates", create_post)
        .get("/workspaces/{slug}/updates/{id}", show_post)
        .post("/workspaces/{slug}/updates/{id}/comments", create_comment)
        .get("/workspaces/{slug}/updates/{id}/edit", edit_post_page)
        .post("/workspaces/{slug}/updates/{id}/edit", update_post);
}
