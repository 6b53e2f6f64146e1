//! Admin pages: the admin start page and the list of organisations.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::OrgKind;
use super::service::{self, NewOrganisation};
use crate::auth::CurrentUser;
use crate::authz;
use crate::error::{AppError, AppResult};
use crate::schema::{organisations, users};
use crate::users::Role;
use crate::web::{redirect, redirect_with_flash, FieldErrors, Form, Page, PageQuery};

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
        json!({
            "title": "Admin",
            "own_users": format!("/admin/organisations/{}/users", user.organisation_id),
            "is_platform_admin": user.role() == crate::users::Role::PlatformAdmin,
        }),
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
    form: &OrganisationForm,
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
    let selected = form.kind.clone();
    page.render_status(
        status,
        "admin/organisations",
        json!({
            "title": "Organisations",
            "organisations": rows,
            "pagination": paging.context(total, "/admin/organisations"),
            "kinds": kind_options(&selected),
            "form": form,
            "errors": errors,
        }),
    )
}

pub async fn list(
    page: Page,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    authz::manage_organisations(&user.0)?;
    render_list(&page, &query, &OrganisationForm::default(), None).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrganisationForm {
    name: String,
    slug: String,
    kind: String,
}

pub async fn create(
    page: Page,
    user: CurrentUser,
    form: Form<OrganisationForm>,
) -> AppResult<HttpResponse> {
    let user = user.0;
    authz::manage_organisations(&user)?;
    let form = form.0;
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
    render_list(&page, &PageQuery::default(), &form, Some(errors)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    person: Option<String>,
    organisation: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Platform admins search the audit log by person, organisation, action and dates.
pub async fn audit_search(
    page: Page,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    authz::search_audit(&user.0)?;
    let q = query.into_inner();
    let mut errors = FieldErrors::default();
    let mut date = |field: &str, v: &Option<String>| {
        present(v).and_then(|s| {
            errors.check(
                field,
                chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|_| "Enter a real date, like 2026-11-01"),
            )
        })
    };
    let from = date("from", &q.from);
    let to = date("to", &q.to);
    let organisation = present(&q.organisation).and_then(|s| {
        errors.check(
            "organisation",
            s.parse::<i64>()
                .map_err(|_| "Choose an organisation from the list"),
        )
    });
    let search = crate::audit::Search {
        person: present(&q.person),
        organisation,
        action: present(&q.action),
        from,
        to,
    };
    let paging = PageQuery {
        page: q.page,
        per_page: Some(50),
    }
    .paging(50);
    let valid = errors.is_empty();
    let (rows, total, people, orgs) = page
        .state()
        .db
        .run(move |conn| {
            let (rows, total) = if valid {
                crate::audit::search(conn, &search, paging)?
            } else {
                (Vec::new(), 0)
            };
            let ids: Vec<i64> = rows.iter().filter_map(|r| r.actor_user_id).collect();
            let people: std::collections::HashMap<i64, String> = users::table
                .filter(users::id.eq_any(&ids))
                .select((users::id, users::email))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect();
            let orgs = crate::organisations::queries::list(conn)?;
            Ok((rows, total, people, orgs))
        })
        .await?;
    let org_name = |id: Option<i64>| {
        id.and_then(|id| orgs.iter().find(|o| o.id == id))
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let pairs: Vec<(&str, String)> = [
        ("person", present(&q.person)),
        ("organisation", present(&q.organisation)),
        ("action", present(&q.action)),
        ("from", present(&q.from)),
        ("to", present(&q.to)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let base = match serde_html_form::to_string(&pairs).unwrap_or_default() {
        s if s.is_empty() => "/admin/audit".to_string(),
        s => format!("/admin/audit?{s}"),
    };
    let chosen = organisation.unwrap_or(0);
    let status = if valid {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    page.render_status(
        status,
        "admin/audit",
        json!({
            "title": "Audit log",
            "breadcrumbs": [{ "href": "/admin", "label": "Admin" }],
            "rows": rows.iter().map(|r| json!({
                "id": r.id,
                "at": r.at.format("%-d %b %Y, %H:%M:%S").to_string(),
                "person": r.actor_user_id.and_then(|id| people.get(&id).cloned()).unwrap_or_default(),
                "organisation": org_name(r.actor_organisation_id),
                "action": r.action,
                "target": if r.target_kind.is_empty() { String::new() } else { format!("{} {}", r.target_kind, r.target_id) },
                "ip": r.ip,
            })).collect::<Vec<_>>(),
            "total": total,
            "organisations": orgs.iter().map(|o| json!({ "value": o.id, "label": o.name, "selected": o.id == chosen })).collect::<Vec<_>>(),
            "form": { "person": q.person, "action": q.action, "from": q.from, "to": q.to },
            "pagination": paging.context(total, &base),
            "errors": (!valid).then(|| errors.to_json()),
        }),
    )
}
