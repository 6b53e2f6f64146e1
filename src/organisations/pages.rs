//! Admin pages: the admin start page and the list of organisations.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::model::OrgKind;
use super::service::{self, NewOrganisation};
use crate::auth::CurrentUser;
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::schema::{organisations, users};
use crate::users::Role;
use crate::web::{redirect, redirect_with_flash, FieldErrors, Form, Page, PageQuery};

#[get("/admin")]
pub async fn admin_index(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    let user = user.0;
    authz::use_admin_area(&user)?;
    if user.role() == Role::OrgAdmin {
        return Ok(redirect(&format!(
            "/admin/organisations/{}/users",
            user.organisation_id
        )));
    }
    page.render(
        "admin/index",
        json!({ "title": "Admin", "own_users": format!("/admin/organisations/{}/users", user.organisation_id) }),
    )
}

fn kind_options(selected: &str) -> Vec<serde_json::Value> {
    OrgKind::ALL
        .iter()
        .map(|k| json!({ "value": k.as_str(), "label": k.label(), "selected": k.as_str() == selected }))
        .collect()
}

async fn render_list(
    page: &Page,
    query: &PageQuery,
    form: serde_json::Value,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let paging = query.paging(25);
    let (rows, total) = page
        .state()
        .db
        .run(move |conn| {
            let total: i64 = organisations::table.count().get_result(conn)?;
            let rows: Vec<(i64, String, String, String)> = organisations::table
                .select((
                    organisations::id,
                    organisations::name,
                    organisations::slug,
                    organisations::kind,
                ))
                .order(organisations::name.asc())
                .limit(paging.per_page)
                .offset(paging.offset())
                .load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let counts: Vec<(i64, i64)> = users::table
                .filter(users::organisation_id.eq_any(&ids))
                .group_by(users::organisation_id)
                .select((users::organisation_id, diesel::dsl::count_star()))
                .load(conn)?;
            let rows: Vec<_> = rows
                .into_iter()
                .map(|(id, name, slug, kind)| {
                    let people = counts.iter().find(|c| c.0 == id).map(|c| c.1).unwrap_or(0);
                    let kind = OrgKind::parse(&kind).map(OrgKind::label).unwrap_or("Other");
                    json!({ "id": id, "name": name, "slug": slug, "kind": kind, "people": people })
                })
                .collect();
            Ok((rows, total))
        })
        .await?;
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let selected = form["kind"].as_str().unwrap_or("").to_string();
    page.render_status(
        status,
        "admin/organisations",
        json!({
            "title": "Organisations",
            "organisations": rows,
            "pagination": paging.context(total, "/admin/organisations"),
            "kinds": kind_options(&selected),
            "form": form,
            "errors": errors.map(|e| e.to_json()),
        }),
    )
}

#[get("/admin/organisations")]
pub async fn list(
    page: Page,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    authz::manage_organisations(&user.0)?;
    render_list(&page, &query, json!({}), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrganisationForm {
    name: String,
    slug: String,
    kind: String,
}

#[post("/admin/organisations")]
pub async fn create(
    page: Page,
    user: CurrentUser,
    form: Form<OrganisationForm>,
) -> AppResult<HttpResponse> {
    let user = user.0;
    authz::manage_organisations(&user)?;
    let form = form.0;
    let echo = json!({ "name": form.name, "slug": form.slug, "kind": form.kind });
    let errors = match NewOrganisation::parse(&form.name, &form.slug, &form.kind) {
        Ok(new) => {
            let state = page.state();
            let ip = state.client_ip(page.request());
            let name = new.name.clone();
            match state
                .db
                .run(move |conn| service::create(conn, &user, &new, &ip))
                .await
            {
                Ok(_) => {
                    let message = format!("{name} has been added");
                    return Ok(redirect_with_flash(state, "/admin/organisations", &message));
                }
                Err(AppError::Validation { fields, .. }) => FieldErrors::from_map(fields),
                Err(e) => return Err(e),
            }
        }
        Err(errors) => errors,
    };
    render_list(&page, &PageQuery::default(), echo, Some(errors)).await
}
