//! The workspace pages: the list of workspaces, adding and editing one, archiving and
//! restoring it. The overview is in `overview`, the views every workspace page shares in
//! `views`.

use std::future::Future;

use actix_web::web;
use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::queries::{self, Access};
use super::service::{self, *};
use super::views::*;
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::web::arguments::SignedIn;
use crate::web::routes::Routes;
use crate::web::{Crumb, FieldErrors, Form, NoFields, Page, Posted, Reply};

/// Runs a change for the signed-in person on a workspace; field errors come back
/// separately so the form can be shown again with them.
pub(super) async fn submit<T, F>(
    at: &SignedIn,
    slug: String,
    change: F,
) -> AppResult<Result<T, FieldErrors>>
where
    F: FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    at.attempt(move |conn, actor| {
        let access = queries::load(conn, &slug, Some(actor.caller))?;
        change(conn, actor, &access)
    })
    .await
}

/// Reads a workspace the caller may see (404 if not) and what `f` reads inside it, in one
/// database call.
pub(super) async fn read_ws<T, F>(page: &Page, slug: String, f: F) -> AppResult<(Access, T)>
where
    F: FnOnce(&mut DbConn, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let caller = page.user.clone();
    page.state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, caller.as_ref())?;
            let read = f(conn, &access)?;
            Ok((access, read))
        })
        .await
}

/// A form posted on a workspace's page (see `web::Posted`); saving it answers 404 where the
/// path names no workspace.
pub type WsPost<I> = Posted<I>;

impl<I: Serialize + Send + 'static> WsPost<I> {
    /// Runs `change` with what was typed; on success goes to where `done` says (given the
    /// short name, the path's id and what the change returned) with its message; on field
    /// errors shows the form again through `again` with what was typed and the errors.
    pub async fn save<T, F, D, A, Fut>(self, change: F, done: D, again: A) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor, &Access, &I) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
        D: FnOnce(&str, i64, T) -> (String, &'static str),
        A: FnOnce(Page, String, i64, Echo) -> Fut,
        Fut: Future<Output = Reply>,
    {
        let Posted {
            page,
            caller,
            slug,
            id,
            input,
            ..
        } = self;
        let slug = slug.ok_or(AppError::NotFound)?;
        let echo = json!(&input);
        let at = SignedIn { page, caller };
        let change = move |conn: &mut DbConn, actor: &Actor, access: &Access| {
            change(conn, actor, access, &input)
        };
        match submit(&at, slug.clone(), change).await? {
            Ok(value) => {
                let (location, message) = done(&slug, id, value);
                Ok(at.done(&location, message))
            }
            Err(errors) => again(at.page, slug, id, Echo::new(echo, Some(errors))).await,
        }
    }

    /// As `save`, for a change to the item the path names: `change` is given its id.
    pub async fn save_item<T, F, D, A, Fut>(self, change: F, done: D, again: A) -> Reply
    where
        F: FnOnce(&mut DbConn, &Actor, &Access, i64, &I) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
        D: FnOnce(&str, i64, T) -> (String, &'static str),
        A: FnOnce(Page, String, i64, Echo) -> Fut,
        Fut: Future<Output = Reply>,
    {
        let id = self.id;
        let change = move |conn: &mut DbConn, actor: &Actor, access: &Access, input: &I| {
            change(conn, actor, access, id, input)
        };
        self.save(change, done, again).await
    }
}

#[derive(Serialize)]
struct Index {
    title: &'static str,
    workspaces: Vec<Listed>,
    can_create: bool,
}

/// A workspace in the list of workspaces.
#[derive(Serialize)]
struct Listed {
    name: String,
    slug: String,
    kind: &'static str,
    visibility: &'static str,
    archived: bool,
    leads: String,
    members: usize,
    rag: RagCounts,
}

fn listed(conn: &mut DbConn, access: Access, today: chrono::NaiveDate) -> AppResult<Listed> {
    let members = queries::members(conn, access.ws.id)?;
    let actions = queries::all_actions(conn, access.ws.id)?;
    let leads: Vec<String> = members
        .iter()
        .filter(|m| m.role == MemberRole::Lead)
        .map(|m| m.organisation.clone())
        .collect();
    Ok(Listed {
        kind: access.ws.kind.label(),
        visibility: visibility_label(access.ws.visibility),
        archived: access.ws.is_archived(),
        name: access.ws.name,
        slug: access.ws.slug,
        leads: leads.join(", "),
        members: members.len(),
        rag: rag_counts(&actions, today),
    })
}

pub async fn index_page(page: Page) -> Reply {
    let caller = page.user.clone();
    let today = now().date();
    let workspaces = page
        .state()
        .db
        .run(move |conn| {
            queries::list_visible(conn, caller.as_ref())?
                .into_iter()
                .map(|access| listed(conn, access, today))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let can_create = page
        .user
        .as_ref()
        .is_some_and(|c| authz::create_workspace(c).is_ok());
    page.render(
        "workspaces/index",
        Index {
            title: "Workspaces",
            workspaces,
            can_create,
        },
    )
}

/// The form to add or edit a workspace.
#[derive(Serialize)]
struct WsForm {
    title: String,
    action: String,
    creating: bool,
    breadcrumbs: Vec<Crumb>,
    ws: Option<WsHeader>,
    kinds: Vec<crate::db::enums::SelectOption>,
    visibilities: Vec<crate::db::enums::SelectOption>,
    #[serde(flatten)]
    echo: Echo,
}

fn render_ws_form(page: &Page, access: Option<&Access>, echo: Echo) -> Reply {
    let field =
        |name: &str, default: &'static str| echo.form[name].as_str().unwrap_or(default).to_string();
    let (kind, visibility) = (field("kind", "programme"), field("visibility", "partners"));
    let (title, action, breadcrumbs) = match access {
        Some(a) => (
            format!("Edit {}", a.ws.name),
            format!("/workspaces/{}/edit", a.ws.slug),
            crumbs(a),
        ),
        None => (
            "Add a workspace".to_string(),
            "/workspaces".to_string(),
            vec![Crumb::new("/workspaces", "Workspaces")],
        ),
    };
    let failed = echo.errors.is_some();
    let data = WsForm {
        title,
        action,
        creating: access.is_none(),
        breadcrumbs,
        ws: access.map(|a| ws_context(a, page.user.as_ref(), "edit")),
        kinds: WorkspaceKind::options(&kind),
        visibilities: WorkspaceVisibility::options(&visibility),
        echo,
    };
    page.render_form(failed, "workspaces/form", data)
}

pub async fn new_page(at: SignedIn) -> Reply {
    authz::create_workspace(&at.caller)?;
    render_ws_form(&at.page, None, Echo::empty())
}

pub async fn create(at: SignedIn, form: Form<WorkspaceInput>) -> Reply {
    authz::create_workspace(&at.caller)?;
    let input = form.0;
    let echo = json!(&input);
    match at
        .attempt(move |conn, actor| service::create_workspace(conn, actor, &input))
        .await?
    {
        Ok(ws) => Ok(at.done(
            &format!("/workspaces/{}", ws.slug),
            &format!("{} has been added", ws.name),
        )),
        Err(errors) => render_ws_form(&at.page, None, Echo::new(echo, Some(errors))),
    }
}

async fn load(page: &Page, slug: String) -> AppResult<Access> {
    let caller = page.user.clone();
    page.state()
        .db
        .run(move |conn| queries::load(conn, &slug, caller.as_ref()))
        .await
}

pub async fn edit_page(at: SignedIn, path: web::Path<String>) -> Reply {
    let access = load(&at.page, path.into_inner()).await?;
    authz::manage_workspaces(&at.caller)?;
    let ws = &access.ws;
    let form = json!(WorkspaceInput {
        name: ws.name.clone(),
        slug: ws.slug.clone(),
        summary: ws.summary.clone(),
        kind: ws.kind.to_string(),
        visibility: ws.visibility.to_string(),
    });
    render_ws_form(&at.page, Some(&access), Echo::new(form, None))
}

pub async fn update(post: WsPost<WorkspaceInput>) -> Reply {
    post.save(
        service::update_workspace,
        |slug, _, ()| {
            (
                format!("/workspaces/{slug}"),
                "The workspace has been updated",
            )
        },
        |page, slug, _, echo| async move {
            let access = load(&page, slug).await?;
            render_ws_form(&page, Some(&access), echo)
        },
    )
    .await
}

/// Archives the workspace (`archived`) or restores it, then goes back to it.
async fn change_archived(at: SignedIn, slug: String, archived: bool) -> Reply {
    let (failed, message) = if archived {
        (
            "Could not archive",
            "The workspace has been archived: it is now read-only",
        )
    } else {
        ("Could not restore", "The workspace has been restored")
    };
    submit(&at, slug.clone(), move |conn, actor, access| {
        service::set_archived(conn, actor, access, archived)
    })
    .await?
    .map_err(|_| AppError::BadRequest(failed.into()))?;
    Ok(at.done(&format!("/workspaces/{slug}"), message))
}

pub async fn archive(at: SignedIn, path: web::Path<String>, _form: Form<NoFields>) -> Reply {
    change_archived(at, path.into_inner(), true).await
}

pub async fn restore(at: SignedIn, path: web::Path<String>, _form: Form<NoFields>) -> Reply {
    change_archived(at, path.into_inner(), false).await
}

pub fn routes(r: &mut Routes) {
    r.get("/workspaces", index_page)
        .get("/workspaces/new", new_page)
        .post("/workspaces", create)
        .get("/workspaces/{slug}", super::overview::overview_page)
        .get("/workspaces/{slug}/edit", edit_page)
        .post("/workspaces/{slug}/edit", update)
        .post("/workspaces/{slug}/archive", archive)
        .post("/workspaces/{slug}/restore", restore);
}
