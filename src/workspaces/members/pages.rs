//! The organisations that are members of a workspace, and their roles: the pages.

use actix_web::web;
use serde::Serialize;

use super::service::{self, *};
use crate::db::enums::SelectOption;
use crate::error::AppError;
use crate::web::arguments::SignedIn;
use crate::web::routes::Routes;
use crate::web::{Choice, Form, NoFields, Page, Reply};
use crate::workspaces::model::*;
use crate::workspaces::pages::{read_ws, submit, WsPost};
use crate::workspaces::queries;
use crate::workspaces::views::{Echo, Frame};

#[derive(Serialize)]
struct Members {
    members: Vec<MemberRow>,
    organisations: Vec<Choice>,
    roles: Vec<SelectOption>,
}

#[derive(Serialize)]
struct MemberRow {
    organisation_id: i64,
    organisation: String,
    role: &'static str,
}

async fn render_members(page: &Page, slug: String, echo: Echo) -> Reply {
    let (access, (members, organisations)) = read_ws(page, slug, |conn, access| {
        let members = queries::members(conn, access.ws.id)?;
        let organisations = crate::organisations::queries::list(conn)?;
        Ok((members, organisations))
    })
    .await?;
    let selected = echo.form["organisation_id"].as_str().unwrap_or("");
    let view = Members {
        members: members
            .into_iter()
            .map(|m| MemberRow {
                organisation_id: m.organisation_id,
                organisation: m.organisation,
                role: m.role.label(),
            })
            .collect(),
        organisations: organisations
            .iter()
            .map(|o| Choice::new(&o.id.to_string(), &o.name, o.id.to_string() == selected))
            .collect(),
        roles: MemberRole::options(echo.form["role"].as_str().unwrap_or("member")),
    };
    let frame = Frame::new(page, &access, "/members");
    let title = format!("Members of {}", access.ws.name);
    frame.render("workspaces/members", title, Some(echo), view)
}

pub async fn members_page(page: Page, path: web::Path<String>) -> Reply {
    render_members(&page, path.into_inner(), Echo::empty()).await
}

pub async fn set_member(post: WsPost<MemberInput>) -> Reply {
    post.save(
        service::set_member,
        |slug, _, ()| (format!("/workspaces/{slug}/members"), "Membership saved"),
        |page, slug, _, echo| async move { render_members(&page, slug, echo).await },
    )
    .await
}

pub async fn remove_member(
    at: SignedIn,
    path: web::Path<(String, i64)>,
    _form: Form<NoFields>,
) -> Reply {
    let (slug, organisation_id) = path.into_inner();
    submit(&at, slug.clone(), move |conn, actor, access| {
        service::remove_member(conn, actor, access, organisation_id)
    })
    .await?
    .map_err(|_| AppError::NotFound)?;
    Ok(at.done(
        &format!("/workspaces/{slug}/members"),
        "The organisation is no longer a member",
    ))
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/members", members_page)
        .post("/workspaces/{slug}/members", set_member)
        .post(
            "/workspaces/{slug}/members/{organisation_id}/remove",
            remove_member,
        );
}
