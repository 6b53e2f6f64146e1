//! The organisations that are members of a workspace, and their roles: the pages.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, FieldErrors, Form, NoFields, Page};
use crate::workspaces::model::*;
use crate::workspaces::pages::{crumbs, status_for, submit, ws_context};
use crate::workspaces::queries;

async fn render_members(
    page: &Page,
    slug: String,
    form: Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let caller = page.user.clone();
    let (access, members, organisations) = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let members = queries::members(conn, access.ws.id)?;
            let organisations = crate::organisations::queries::list(conn)?;
            Ok((access, members, organisations))
        })
        .await?;
    let selected = form["organisation_id"].as_str().unwrap_or("").to_string();
    let status = status_for(&errors);
    let data = json!({
        "title": format!("Members of {}", access.ws.name),
        "breadcrumbs": crumbs(&access),
        "ws": ws_context(&access, page.user.as_ref(), "/members"),
        "members": members.iter().map(|m| json!({ "organisation_id": m.organisation_id, "organisation": m.organisation, "role": m.role.label() })).collect::<Vec<_>>(),
        "organisations": organisations.iter().map(|o| json!({ "value": o.id, "label": o.name, "selected": o.id.to_string() == selected })).collect::<Vec<_>>(),
        "roles": MemberRole::options(form["role"].as_str().unwrap_or("member")),
        "form": form,
        "errors": errors.map(|e| e.to_json()),
    });
    page.render_status(status, "workspaces/members", data)
}

pub async fn members_page(page: Page, path: web::Path<String>) -> AppResult<HttpResponse> {
    render_members(&page, path.into_inner(), json!({}), None).await
}

pub async fn set_member(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    form: Form<MemberInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.0;
    let echo = json!(&input);
    match submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::set_member(conn, actor, access, &input)
    })
    .await?
    {
        Ok(()) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{slug}/members"),
            "Membership saved",
        )),
        Err(errors) => render_members(&page, slug, echo, Some(errors)).await,
    }
}

pub async fn remove_member(
    page: Page,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let (slug, organisation_id) = path.into_inner();
    submit(&page, user.0, slug.clone(), move |conn, actor, access| {
        service::remove_member(conn, actor, access, organisation_id)
    })
    .await?
    .map_err(|_| AppError::NotFound)?;
    Ok(redirect_with_flash(
        page.state(),
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
