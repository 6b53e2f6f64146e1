//! Updates posted in a workspace, and the comments on them: the pages.

use actix_web::web;
use serde::Serialize;
use serde_json::json;

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::authz;
use crate::error::AppError;
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{Page, PageQuery, Paging, Reply};
use crate::workspaces::model::Post;
use crate::workspaces::pages::{read_ws, WsPost};
use crate::workspaces::queries::{self, Authored};
use crate::workspaces::views::{when, Echo, Frame};

#[derive(Serialize)]
struct PostRow {
    id: i64,
    title: String,
    author: String,
    organisation: String,
    when: String,
    edited: bool,
    body_html: String,
}

fn post_row(p: &Authored<Post>) -> PostRow {
    PostRow {
        id: p.item.id,
        title: p.item.title.clone(),
        author: p.author.clone(),
        organisation: p.organisation.clone(),
        when: when(p.item.created_at),
        edited: p.item.updated_at > p.item.created_at,
        body_html: to_safe_html(&p.item.body),
    }
}

#[derive(Serialize)]
struct Updates {
    posts: Vec<PostRow>,
    pagination: serde_json::Value,
}

async fn render_updates(page: &Page, slug: String, paging: Paging, echo: Echo) -> Reply {
    let (access, (posts, total)) = read_ws(page, slug, move |conn, access| {
        Ok(queries::posts_page(conn, access.ws.id, paging)?)
    })
    .await?;
    let base = format!("/workspaces/{}/updates", access.ws.slug);
    let view = Updates {
        posts: posts.iter().map(post_row).collect(),
        pagination: paging.context(total, &base),
    };
    let frame = Frame::new(page, &access, "/updates");
    let title = format!("Updates – {}", access.ws.name);
    frame.render("workspaces/updates", title, Some(echo), view)
}

pub async fn updates_page(
    page: Page,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Reply {
    render_updates(&page, path.into_inner(), query.paging(10), Echo::empty()).await
}

pub async fn create_post(post: WsPost<PostInput>) -> Reply {
    post.save(
        service::create_post,
        |slug, _, id| {
            (
                format!("/workspaces/{slug}/updates/{id}"),
                "Your update has been posted",
            )
        },
        |page, slug, _, echo| async move {
            render_updates(&page, slug, PageQuery::default().paging(10), echo).await
        },
    )
    .await
}

#[derive(Serialize)]
struct Shown {
    post: ShownPost,
    comments: Vec<CommentRow>,
}

#[derive(Serialize)]
struct ShownPost {
    #[serde(flatten)]
    row: PostRow,
    can_edit: bool,
}

#[derive(Serialize)]
struct CommentRow {
    author: String,
    organisation: String,
    when: String,
    body_html: String,
}

async fn render_post(page: &Page, slug: String, post_id: i64, echo: Echo) -> Reply {
    let (access, (post, comments)) = read_ws(page, slug, move |conn, access| {
        let post = queries::find_post(conn, access.ws.id, post_id)?;
        let comments = queries::comments_for(conn, post_id)?;
        Ok((post, comments))
    })
    .await?;
    let can_edit = page.user.as_ref().is_some_and(|c| {
        authz::edit_post(c, &access.ws, access.membership, post.item.author_user_id).is_ok()
    });
    let view = Shown {
        post: ShownPost {
            row: post_row(&post),
            can_edit,
        },
        comments: comments
            .into_iter()
            .map(|c| CommentRow {
                when: when(c.item.created_at),
                body_html: to_safe_html(&c.item.body),
                author: c.author,
                organisation: c.organisation,
            })
            .collect(),
    };
    let frame = Frame::new(page, &access, "/updates");
    frame.render("workspaces/post", post.item.title, Some(echo), view)
}

pub async fn show_post(page: Page, path: web::Path<(String, i64)>) -> Reply {
    let (slug, id) = path.into_inner();
    render_post(&page, slug, id, Echo::empty()).await
}

pub async fn create_comment(post: WsPost<CommentInput>) -> Reply {
    post.save_item(
        service::create_comment,
        |slug, id, _| {
            let to = format!("/workspaces/{slug}/updates/{id}#comments");
            (to, "Your comment has been added")
        },
        |page, slug, id, echo| async move { render_post(&page, slug, id, echo).await },
    )
    .await
}

#[derive(Serialize)]
struct Editing {
    post_id: i64,
}

async fn render_post_edit(page: &Page, slug: String, post_id: i64, echo: Option<Echo>) -> Reply {
    let (access, post) = read_ws(page, slug, move |conn, access| {
        Ok(queries::find_post(conn, access.ws.id, post_id)?)
    })
    .await?;
    let caller = page.user.as_ref().ok_or(AppError::Unauthorized)?;
    authz::edit_post(
        caller,
        &access.ws,
        access.membership,
        post.item.author_user_id,
    )?;
    let echo = echo.unwrap_or_else(|| {
        Echo::new(
            json!(PostInput {
                title: post.item.title.clone(),
                body: post.item.body.clone(),
            }),
            None,
        )
    });
    let frame = Frame::new(page, &access, "/updates");
    let title = format!("Edit: {}", post.item.title);
    frame.render(
        "workspaces/post_form",
        title,
        Some(echo),
        Editing { post_id },
    )
}

pub async fn edit_post_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Reply {
    let (slug, id) = path.into_inner();
    render_post_edit(&page, slug, id, None).await
}

pub async fn update_post(post: WsPost<PostInput>) -> Reply {
    post.save_item(
        service::update_post,
        |slug, id, ()| {
            (
                format!("/workspaces/{slug}/updates/{id}"),
                "The update has been saved",
            )
        },
        |page, slug, id, echo| async move { render_post_edit(&page, slug, id, Some(echo)).await },
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/updates", updates_page)
        .post("/workspaces/{slug}/updates", create_post)
        .get("/workspaces/{slug}/updates/{id}", show_post)
        .post("/workspaces/{slug}/updates/{id}/comments", create_comment)
        .get("/workspaces/{slug}/updates/{id}/edit", edit_post_page)
        .post("/workspaces/{slug}/updates/{id}/edit", update_post);
}
