//! Actions (must-dos) of a workspace, with their milestones: the pages.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::service::{self, *};
use crate::auth::CurrentUser;
use crate::authz;
use crate::db::enums::SelectOption;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::web::arguments::SignedIn;
use crate::web::markdown::to_safe_html;
use crate::web::routes::Routes;
use crate::web::{Choice, Form, Page, PageQuery, Reply};
use crate::workspaces::model::*;
use crate::workspaces::pages::{read_ws, submit, WsPost};
use crate::workspaces::queries::{self, Access, ActionView, MemberView};
use crate::workspaces::views::*;

#[derive(Debug, Default, Deserialize)]
pub struct ActionsQuery {
    rag: Option<String>,
    /// "1": only open actions.
    open: Option<String>,
    /// "1": only overdue actions.
    overdue: Option<String>,
    /// An organisation id: only its actions.
    owner: Option<i64>,
    page: Option<i64>,
}

#[derive(Serialize)]
struct Actions {
    actions: Vec<ActionRow>,
    rag: RagCounts,
    filters: Vec<NavLink>,
    narrowing: Option<String>,
    pagination: Value,
}

impl ActionsQuery {
    fn filter(&self) -> AppResult<queries::ActionFilter> {
        let rag = match self.rag.as_deref() {
            None | Some("") => None,
            Some(value) => Some(Rag::parse(value).map_err(|m| AppError::BadRequest(m.into()))?),
        };
        Ok(queries::ActionFilter {
            rag,
            open: self.open.as_deref() == Some("1"),
            overdue: self.overdue.as_deref() == Some("1"),
            owner: self.owner,
        })
    }
}

/// The list's address with the filter in force, for the page links.
fn list_base(slug: &str, filter: &queries::ActionFilter) -> String {
    let mut narrowed: Vec<(&str, String)> = Vec::new();
    if let Some(r) = filter.rag {
        narrowed.push(("rag", r.as_str().to_string()));
    }
    if filter.open {
        narrowed.push(("open", "1".into()));
    }
    if filter.overdue {
        narrowed.push(("overdue", "1".into()));
    }
    if let Some(owner) = filter.owner {
        narrowed.push(("owner", owner.to_string()));
    }
    match serde_html_form::to_string(&narrowed).unwrap_or_default() {
        q if q.is_empty() => format!("/workspaces/{slug}/actions"),
        q => format!("/workspaces/{slug}/actions?{q}"),
    }
}

/// Says which of the narrowing filters are in force, or nothing.
fn narrowing(filter: &queries::ActionFilter) -> Option<String> {
    let said: Vec<&str> = [
        filter.open.then_some("open actions only"),
        filter.overdue.then_some("overdue actions only"),
        filter
            .owner
            .is_some()
            .then_some("one organisation's actions only"),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!said.is_empty()).then(|| said.join(", "))
}

/// "All" and one tab per RAG.
fn rag_tabs(slug: &str, rag: Option<Rag>) -> Vec<NavLink> {
    let all = NavLink {
        href: format!("/workspaces/{slug}/actions"),
        label: "All",
        current: rag.is_none(),
    };
    std::iter::once(all)
        .chain(Rag::ALL.iter().map(|r| NavLink {
            href: format!("/workspaces/{slug}/actions?rag={}", r.as_str()),
            label: r.label(),
            current: rag == Some(*r),
        }))
        .collect()
}

pub async fn actions_page(
    page: Page,
    path: web::Path<String>,
    query: web::Query<ActionsQuery>,
) -> Reply {
    let filter = query.filter()?;
    let paging = PageQuery {
        page: query.page,
        per_page: None,
    }
    .paging(25);
    let today = now().date();
    let wanted = filter;
    let (access, ((list, total), all)) = read_ws(&page, path.into_inner(), move |conn, access| {
        let list = queries::actions_page(conn, access.ws.id, &wanted, paging)?;
        Ok((list, queries::all_actions(conn, access.ws.id)?))
    })
    .await?;
    let slug = &access.ws.slug;
    let view = Actions {
        actions: list.iter().map(|a| action_row(a, today)).collect(),
        rag: rag_counts(&all, today),
        filters: rag_tabs(slug, filter.rag),
        narrowing: narrowing(&filter),
        pagination: paging.context(total, &list_base(slug, &filter)),
    };
    let frame = Frame::new(&page, &access, "/actions");
    let title = format!("Actions – {}", access.ws.name);
    frame.render("workspaces/actions", title, None, view)
}

#[derive(Serialize)]
struct ActionForm {
    target: String,
    organisations: Vec<Choice>,
    people: Vec<Choice>,
    statuses: Vec<SelectOption>,
    rags: Vec<SelectOption>,
}

/// What the action form reads: the action being edited (if any) and who may own it.
type FormData = (
    Option<ActionView>,
    Vec<(i64, String, String)>,
    Vec<MemberView>,
);

fn form_data(
    conn: &mut DbConn,
    who: &crate::auth::Caller,
    access: &Access,
    action_id: Option<i64>,
) -> AppResult<FormData> {
    let current = match action_id {
        Some(id) => {
            let a = queries::find_action(conn, access.ws.id, id)?;
            let owner = a.action.owner_organisation_id;
            authz::edit_action(who, &access.ws, access.membership, owner)?;
            Some(a)
        }
        None => {
            authz::contribute(who, &access.ws, access.membership)?;
            None
        }
    };
    let members = queries::members(conn, access.ws.id)?;
    let org_ids: Vec<i64> = members.iter().map(|m| m.organisation_id).collect();
    let people = member_people(conn, &org_ids)?;
    Ok((current, people, members))
}

/// The form as it first shows: the action's values, or a new action's defaults.
fn first_form(current: Option<&ActionView>, organisation_id: i64) -> Value {
    let input = match current {
        Some(a) => ActionInput::of(&a.action),
        None => ActionInput {
            owner_organisation_id: organisation_id.to_string(),
            ..ActionInput::starting()
        },
    };
    json!(input)
}

async fn render_action_form(
    page: &Page,
    slug: String,
    action_id: Option<i64>,
    echo: Option<Echo>,
) -> Reply {
    let caller = page.user.clone().ok_or(AppError::Unauthorized)?;
    let who = caller.clone();
    let (access, (current, people, members)) = read_ws(page, slug, move |conn, access| {
        form_data(conn, &who, access, action_id)
    })
    .await?;
    let echo = echo
        .unwrap_or_else(|| Echo::new(first_form(current.as_ref(), caller.organisation_id), None));
    let field = |name: &str| echo.form[name].as_str().unwrap_or("").to_string();
    let (owner, person) = (field("owner_organisation_id"), field("owner_user_id"));
    let ws = &access.ws.slug;
    let (title, target) = match (action_id, &current) {
        (Some(id), Some(a)) => (
            format!("Edit action: {}", a.action.title),
            format!("/workspaces/{ws}/actions/{id}/edit"),
        ),
        _ => ("Add an action".into(), format!("/workspaces/{ws}/actions")),
    };
    let view = ActionForm {
        target,
        organisations: members
            .iter()
            .map(|m| {
                let id = m.organisation_id.to_string();
                Choice::new(&id, &m.organisation, id == owner)
            })
            .collect(),
        people: people
            .iter()
            .map(|(id, name, org)| {
                Choice::new(
                    &id.to_string(),
                    &format!("{name} ({org})"),
                    id.to_string() == person,
                )
            })
            .collect(),
        statuses: ActionStatus::options(&field("status")),
        rags: Rag::options(&field("rag")),
    };
    let frame = Frame::new(page, &access, "/actions");
    frame.render("workspaces/action_form", title, Some(echo), view)
}

/// Active people of the given organisations: (id, name, organisation name).
fn member_people(conn: &mut DbConn, org_ids: &[i64]) -> AppResult<Vec<(i64, String, String)>> {
    use crate::schema::{organisations, users};
    use diesel::prelude::*;
    Ok(users::table
        .inner_join(organisations::table)
        .filter(users::organisation_id.eq_any(org_ids))
        .filter(users::status.eq("active"))
        .filter(users::role.ne("platform_admin"))
        .order((organisations::name.asc(), users::name.asc()))
        .select((users::id, users::name, organisations::name))
        .load(conn)?)
}

pub async fn new_action_page(page: Page, _user: CurrentUser, path: web::Path<String>) -> Reply {
    render_action_form(&page, path.into_inner(), None, None).await
}

pub async fn create_action(post: WsPost<ActionInput>) -> Reply {
    post.save(
        service::create_action,
        |slug, _, id| (format!("/workspaces/{slug}/actions/{id}"), "The action has been added"),
        |page, slug, _, echo| async move { render_action_form(&page, slug, None, Some(echo)).await },
    )
    .await
}

#[derive(Serialize)]
struct Shown {
    action: ActionRow,
    description_html: String,
    can_edit: bool,
    milestones: Vec<MilestoneRow>,
}

#[derive(Serialize)]
struct MilestoneRow {
    id: i64,
    title: String,
    due: String,
    done: Option<String>,
    overdue: bool,
}

async fn render_action(page: &Page, slug: String, action_id: i64, echo: Echo) -> Reply {
    let today = now().date();
    let (access, (action, milestones)) = read_ws(page, slug, move |conn, access| {
        let action = queries::find_action(conn, access.ws.id, action_id)?;
        Ok((action, queries::milestones_for(conn, action_id)?))
    })
    .await?;
    let owner = action.action.owner_organisation_id;
    let can_edit = page
        .user
        .as_ref()
        .is_some_and(|c| authz::edit_action(c, &access.ws, access.membership, owner).is_ok());
    let view = Shown {
        action: action_row(&action, today),
        description_html: to_safe_html(&action.action.description),
        can_edit,
        milestones: milestones
            .into_iter()
            .map(|m| MilestoneRow {
                id: m.id,
                due: date(m.due_date),
                done: m.done_date.map(date),
                overdue: m.is_overdue(today),
                title: m.title,
            })
            .collect(),
    };
    let frame = Frame::new(page, &access, "/actions");
    frame.render("workspaces/action", action.action.title, Some(echo), view)
}

pub async fn show_action(page: Page, path: web::Path<(String, i64)>) -> Reply {
    let (slug, id) = path.into_inner();
    render_action(&page, slug, id, Echo::empty()).await
}

pub async fn edit_action_page(
    page: Page,
    _user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Reply {
    let (slug, id) = path.into_inner();
    render_action_form(&page, slug, Some(id), None).await
}

pub async fn update_action(post: WsPost<ActionInput>) -> Reply {
    post.save_item(
        service::update_action,
        |slug, id, ()| {
            (
                format!("/workspaces/{slug}/actions/{id}"),
                "The action has been updated",
            )
        },
        |page, slug, id, echo| async move {
            render_action_form(&page, slug, Some(id), Some(echo)).await
        },
    )
    .await
}

pub async fn create_milestone(post: WsPost<MilestoneInput>) -> Reply {
    post.save_item(
        service::create_milestone,
        |slug, id, _| {
            let to = format!("/workspaces/{slug}/actions/{id}#milestones");
            (to, "The milestone has been added")
        },
        |page, slug, id, echo| async move { render_action(&page, slug, id, echo).await },
    )
    .await
}

pub async fn complete_milestone(
    at: SignedIn,
    path: web::Path<(String, i64)>,
    form: Form<MilestoneDoneInput>,
) -> Reply {
    let (slug, id) = path.into_inner();
    let input = form.0;
    let action_id = submit(&at, slug.clone(), move |conn, actor, access| {
        service::complete_milestone(conn, actor, access, id, &input)?;
        Ok(queries::find_milestone(conn, access.ws.id, id)?.0.action_id)
    })
    .await?
    .map_err(|e| AppError::validation(e.into_map()))?;
    Ok(at.done(
        &format!("/workspaces/{slug}/actions/{action_id}#milestones"),
        "The milestone is done",
    ))
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces/{slug}/actions", actions_page)
        .get("/workspaces/{slug}/actions/new", new_action_page)
        .post("/workspaces/{slug}/actions", create_action)
        .get("/workspaces/{slug}/actions/{id}", show_action)
        .get("/workspaces/{slug}/actions/{id}/edit", edit_action_page)
        .post("/workspaces/{slug}/actions/{id}/edit", update_action)
        .post(
            "/workspaces/{slug}/actions/{id}/milestones",
            create_milestone,
        )
        .post(
            "/workspaces/{slug}/milestones/{id}/done",
            complete_milestone,
        );
}
