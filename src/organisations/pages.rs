//! Admin pages: the admin start page and the list of organisations.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::OrgKind;
use super::service::{self, NewOrganisation};
use crate::auth::CurrentUser;
use crate::authz;
use crate::error::AppResult;
use crate::schema::{organisations, users};
use crate::users::Role;
use crate::web::arguments::SignedIn;
use crate::web::respond::save_parsed;
use crate::web::{redirect, Choice, Crumb, FieldErrors, Form, Page, PageQuery, Reply};

#[derive(Serialize)]
struct AdminIndex {
    title: &'static str,
    own_users: String,
    is_platform_admin: bool,
}

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
        AdminIndex {
            title: "Admin",
            own_users: format!("/admin/organisations/{}/users", user.organisation_id),
            is_platform_admin: user.role() == Role::PlatformAdmin,
        },
    )
}

/// An organisation in the list, with how many people it has.
#[derive(Serialize)]
struct OrganisationRow {
    id: i64,
    name: String,
    slug: String,
    kind: &'static str,
    people: i64,
}

#[derive(Serialize)]
struct OrganisationsView<'a> {
    title: &'static str,
    organisations: Vec<OrganisationRow>,
    pagination: serde_json::Value,
    kinds: Vec<crate::db::enums::SelectOption>,
    form: &'a OrganisationForm,
    errors: Option<FieldErrors>,
}

/// A page of organisations by name, each with its count of people.
fn organisation_rows(
    conn: &mut crate::db::DbConn,
    paging: crate::web::Paging,
) -> AppResult<(Vec<OrganisationRow>, i64)> {
    let total: i64 = organisations::table.count().get_result(conn)?;
    let rows: Vec<(i64, String, String, OrgKind)> = organisations::table
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
    let rows = rows
        .into_iter()
        .map(|(id, name, slug, kind)| OrganisationRow {
            people: counts.iter().find(|c| c.0 == id).map(|c| c.1).unwrap_or(0),
            kind: kind.label(),
            id,
            name,
            slug,
        })
        .collect();
    Ok((rows, total))
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
        .run(move |conn| organisation_rows(conn, paging))
        .await?;
    let view = OrganisationsView {
        title: "Organisations",
        organisations: rows,
        pagination: paging.context(total, "/admin/organisations"),
        kinds: OrgKind::options(&form.kind),
        form,
        errors,
    };
    page.render_form(view.errors.is_some(), "admin/organisations", view)
}

pub async fn list(at: SignedIn, query: web::Query<PageQuery>) -> Reply {
    authz::manage_organisations(&at.caller)?;
    render_list(&at.page, &query, &OrganisationForm::default(), None).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrganisationForm {
    name: String,
    slug: String,
    kind: String,
}

pub async fn create(at: SignedIn, form: Form<OrganisationForm>) -> Reply {
    authz::manage_organisations(&at.caller)?;
    let form = form.0;
    let parsed = NewOrganisation::parse(&form.name, &form.slug, &form.kind);
    let added = save_parsed(parsed, |new| {
        at.change(move |conn, actor| {
            service::create(conn, actor.caller, &new, actor.ip)?;
            Ok(new.name)
        })
    })
    .await?;
    match added {
        Ok(name) => Ok(at.done("/admin/organisations", &format!("{name} has been added"))),
        Err(errors) => render_list(&at.page, &PageQuery::default(), &form, Some(errors)).await,
    }
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

/// The search the query asks for, or the errors in its dates and organisation.
fn audit_filter(q: &AuditQuery) -> (crate::audit::Search, FieldErrors) {
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
    (search, errors)
}

/// The address of this search without its page, for the page links.
fn audit_base(q: &AuditQuery) -> String {
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
    match serde_html_form::to_string(&pairs).unwrap_or_default() {
        s if s.is_empty() => "/admin/audit".to_string(),
        s => format!("/admin/audit?{s}"),
    }
}

/// A page of the audit log with the actors' email addresses, and every organisation.
struct AuditRead {
    rows: Vec<crate::audit::Row>,
    total: i64,
    people: std::collections::HashMap<i64, String>,
    orgs: Vec<super::model::Organisation>,
}

fn read_audit(
    conn: &mut crate::db::DbConn,
    search: Option<&crate::audit::Search>,
    paging: crate::web::Paging,
) -> AppResult<AuditRead> {
    let (rows, total) = match search {
        Some(search) => crate::audit::search(conn, search, paging)?,
        None => (Vec::new(), 0),
    };
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let people = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::email))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let orgs = crate::organisations::queries::list(conn)?;
    Ok(AuditRead {
        rows,
        total,
        people,
        orgs,
    })
}

/// One entry of the audit log as the page shows it.
#[derive(Serialize)]
struct AuditRowView {
    id: i64,
    at: String,
    person: String,
    organisation: String,
    action: String,
    target: String,
    ip: String,
}

/// The search form as it was filled in.
#[derive(Serialize)]
struct AuditForm {
    person: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct AuditView {
    title: &'static str,
    breadcrumbs: Vec<Crumb>,
    rows: Vec<AuditRowView>,
    total: i64,
    organisations: Vec<Choice>,
    form: AuditForm,
    pagination: serde_json::Value,
    errors: Option<FieldErrors>,
}

fn audit_rows(read: &AuditRead) -> Vec<AuditRowView> {
    let org_name = |id: Option<i64>| {
        id.and_then(|id| read.orgs.iter().find(|o| o.id == id))
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    read.rows
        .iter()
        .map(|r| AuditRowView {
            id: r.id,
            at: r.at.format("%-d %b %Y, %H:%M:%S").to_string(),
            person: r
                .actor_user_id
                .and_then(|id| read.people.get(&id).cloned())
                .unwrap_or_default(),
            organisation: org_name(r.actor_organisation_id),
            action: r.action.clone(),
            target: if r.target_kind.is_empty() {
                String::new()
            } else {
                format!("{} {}", r.target_kind, r.target_id)
            },
            ip: r.ip.clone(),
        })
        .collect()
}

/// Platform admins search the audit log by person, organisation, action and dates.
pub async fn audit_search(at: SignedIn, query: web::Query<AuditQuery>) -> Reply {
    authz::search_audit(&at.caller)?;
    let page = at.page;
    let q = query.into_inner();
    let (search, errors) = audit_filter(&q);
    let chosen = search.organisation.unwrap_or(0);
    let paging = PageQuery {
        page: q.page,
        per_page: Some(50),
    }
    .paging(50);
    let valid = errors.is_empty();
    let read = page
        .state()
        .db
        .run(move |conn| read_audit(conn, valid.then_some(&search), paging))
        .await?;
    let view = AuditView {
        title: "Audit log",
        breadcrumbs: vec![Crumb::new("/admin", "Admin")],
        rows: audit_rows(&read),
        total: read.total,
        organisations: read
            .orgs
            .iter()
            .map(|o| Choice::new(&o.id.to_string(), &o.name, o.id == chosen))
            .collect(),
        pagination: paging.context(read.total, &audit_base(&q)),
        form: AuditForm {
            person: q.person,
            action: q.action,
            from: q.from,
            to: q.to,
        },
        errors: (!valid).then_some(errors),
    };
    page.render_form(!valid, "admin/audit", view)
}
