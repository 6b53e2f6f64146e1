//! The workspace pages: the list of workspaces, adding and editing one, archiving and
//! restoring it. The overview is in `overview`, the views every workspace page shares in
//! `views`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::queries::{self, Access};
use super::service::{self, *};
use super::views::*;
use crate::auth::{Caller, CurrentUser};
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::{redirect_with_flash, Crumb, FieldErrors, Form, NoFields, Page, Posted, Reply};

/// Runs a change for a signed-in caller on a workspace; field errors come back separately
/// so the form can be shown again with them.
pub(super) async fn submit<T, F>(
    page: &Page,
    caller: Caller,
    slug: String,
    change: F,
) -> AppResult<Result<T, FieldErrors>>
where
    F: FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let ip = page.state().client_ip(page.request());
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            let access = queries::load(conn, &slug, Some(&caller))?;
            let actor = Actor {
                caller: &caller,
                ip: &ip,
            };
            change(conn, &actor, &access)
        })
        .await;
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(AppError::Validation { fields, .. }) => Ok(Err(FieldErrors::from_map(fields))),
        Err(e) => Err(e),
    }
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

/// A form posted on a workspace's page (see `web::Posted`); 404 where the path names no
/// workspace.
pub struct WsPost<I>(Posted<I>);

impl<I: DeserializeOwned + 'static> FromRequest for WsPost<I> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let posted = Posted::from_request(req, payload);
        Box::pin(async move { Ok(WsPost(posted.await?)) })
    }
}

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
        } = self.0;
        let slug = slug.ok_or(AppError::NotFound)?;
        let echo = json!(&input);
        let change = move |conn: &mut DbConn, actor: &Actor, access: &Access| {
            change(conn, actor, access, &input)
        };
        match submit(&page, caller, slug.clone(), change).await? {
            Ok(value) => {
                let (location, message) = done(&slug, id, value);
                Ok(redirect_with_flash(page.state(), &location, message))
            }
            Err(errors) => again(page, slug, id, Echo::new(echo, Some(errors))).await,
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
        let id = self.0.id;
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

pub async fn new_page(page: Page, user: CurrentUser) -> Reply {
    authz::create_workspace(&user.0)?;
    render_ws_form(&page, None, Echo::empty())
}

pub async fn create(page: Page, user: CurrentUser, form: Form<WorkspaceInput>) -> Reply {
    authz::create_workspace(&user.0)?;
    let input = form.0;
    let caller = user.0;
    let ip = page.state().client_ip(page.request());
    let echo = json!(&input);
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            let actor = Actor {
                caller: &caller,
                ip: &ip,
            };
            service::create_workspace(conn, &actor, &input)
        })
        .await;
    match outcome {
        Ok(ws) => Ok(redirect_with_flash(
            page.state(),
            &format!("/workspaces/{}", ws.slug),
            &format!("{} has been added", ws.name),
        )),
        Err(AppError::Validation { fields, .. }) => {
            let errors = Some(FieldErrors::from_map(fields));
            render_ws_form(&page, None, Echo::new(echo, errors))
        }
        Err(e) => Err(e),
    }
}

async fn load(page: &Page, slug: String) -> AppResult<Access> {
    let caller = page.user.clone();
    page.state()
        .db
        .run(move |conn| queries::load(conn, &slug, caller.as_ref()))
        .await
}

pub async fn edit_page(page: Page, user: CurrentUser, path: web::Path<String>) -> Reply {
    let access = load(&page, path.into_inner()).await?;
    authz::manage_workspaces(&user.0)?;
    let ws = &access.ws;
    let form = json!(WorkspaceInput {
        name: ws.name.clone(),
        slug: ws.slug.clone(),
        summary: ws.summary.clone(),
        kind: ws.kind.to_string(),
        visibility: ws.visibility.to_string(),
    });
    render_ws_form(&page, Some(&access), Echo::new(form, None))
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

pub async fn archive(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> Reply {
    let slug = path.into_inner();
    submit(&page, user.0, slug.clone(), |conn, actor, access| {
        service::set_archived(conn, actor, access, true)
    })
    .await?
    .map_err(|_| AppError::BadRequest("Could not archive".into()))?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/workspaces/{slug}"),
        "The workspace has been archived: it is now read-only",
    ))
}

pub async fn restore(
    page: Page,
    user: CurrentUser,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> Reply {
    let slug = path.into_inner();
    submit(&page, user.0, slug.clone(), |conn, actor, access| {
        service::set_archived(conn, actor, access, false)
    })
    .await?
    .map_err(|_| AppError::BadRequest("Could not restore".into()))?;
    Ok(redirect_with_flash(
        page.state(),
        &format!("/workspaces/{slug}"),
        "The workspace has been restored",
    ))
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
