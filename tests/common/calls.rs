//! Short forms of what tests do again and again: the usual fixtures started together,
//! requests with a bearer token or signed out (their answers read as JSON or text), the
//! links the portal emails, and the checks on a command's run.

use std::future::Future;

use metro_portal::auth::{Actor, Caller};
use metro_portal::db::DbConn;
use metro_portal::error::AppResult;
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;
use metro_portal::workspaces::queries::Access;
use reqwest::{Method, Response};
use serde_json::Value;

use super::{spawn_app, spawn_app_with_queue, Browser, Tenants, TestApp, TestUser, Workspaces};

/// A portal with one council ("derby") and one user of `role` in it.
pub async fn spawn_with_user(role: Role) -> (TestApp, TestUser) {
    spawn_with_user_in("derby", OrgKind::CityCouncil, role).await
}

/// A portal with one organisation and one user of `role` in it.
pub async fn spawn_with_user_in(slug: &str, kind: OrgKind, role: Role) -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let org = app.create_org(slug, kind);
    let user = app.create_user(org, role);
    (app, user)
}

/// A portal with `two_tenants`.
pub async fn spawn_tenants() -> (TestApp, Tenants) {
    let app = spawn_app().await;
    let t = app.two_tenants();
    (app, t)
}

/// A portal with `two_tenants` and their `workspaces`.
pub async fn spawn_with_workspaces() -> (TestApp, Tenants, Workspaces) {
    let (app, t) = spawn_tenants().await;
    let fx = app.workspaces(&t);
    (app, t, fx)
}

/// A portal whose queue the test runs, with `two_tenants` and their `workspaces`, and the
/// jobs the fixtures queued already run.
pub async fn spawn_queue_with_workspaces() -> (TestApp, Tenants) {
    let app = spawn_app_with_queue(|_| {}).await;
    let t = app.two_tenants();
    app.workspaces(&t);
    app.run_pending_jobs();
    (app, t)
}

/// A caller acting through the services directly, from no address in particular.
pub fn actor(caller: &Caller) -> Actor<'_> {
    Actor { caller, ip: "" }
}

/// Changes made straight through the services, as a person would through a page.
impl TestApp {
    /// Runs `change` as `user` in workspace `slug`, as they have access to it.
    pub fn in_workspace<R>(
        &self,
        user: &TestUser,
        slug: &str,
        change: impl FnOnce(&mut DbConn, &Actor, &Access) -> AppResult<R>,
    ) -> R {
        let caller = self.caller(user);
        let mut conn = self.db.get().unwrap();
        let access = metro_portal::workspaces::queries::load(&mut conn, slug, Some(&caller));
        change(&mut conn, &actor(&caller), &access.unwrap()).unwrap()
    }

    /// `user` posts an update with this title and body in workspace `slug`; gives its id.
    pub fn post_update_with(&self, user: &TestUser, slug: &str, title: &str, body: &str) -> i64 {
        use metro_portal::workspaces::posts::service::{create_post, PostInput};
        let input = PostInput {
            title: title.into(),
            body: body.into(),
        };
        self.in_workspace(user, slug, |conn, a, access| {
            create_post(conn, a, access, &input)
        })
    }

    /// `user` makes opportunity `id` (of the fixtures' kind, titled `title`) a draft.
    pub fn make_draft(&self, user: &TestUser, id: i64, title: &str) {
        use metro_portal::opportunities::service::{update, OpportunityInput};
        let caller = self.caller(user);
        let mut conn = self.db.get().unwrap();
        let input = OpportunityInput {
            title: title.into(),
            summary: "Share it".into(),
            service_area: "legal".into(),
            kind: "shared_service".into(),
            visibility: "draft".into(),
            ..OpportunityInput::default()
        };
        update(&mut conn, &actor(&caller), id, &input).unwrap();
    }

    /// `platform` (a platform admin) takes organisation `org` out of workspace `slug`.
    pub fn remove_member(&self, platform: &TestUser, slug: &str, org: i64) {
        use metro_portal::workspaces::members::service::remove_member;
        self.in_workspace(platform, slug, |conn, a, access| {
            remove_member(conn, a, access, org)
        })
    }
}

impl TestApp {
    /// A GET with no token and no cookie.
    pub async fn get_anon(&self, path: &str) -> Response {
        self.api().get(self.url(path)).send().await.unwrap()
    }

    /// The JSON body of a signed-out GET.
    pub async fn anon_json(&self, path: &str) -> Value {
        self.get_anon(path).await.json().await.unwrap()
    }

    /// The JSON body of a GET with a bearer token.
    pub async fn api_json(&self, token: &str, path: &str) -> Value {
        self.api_get(token, path).await.json().await.unwrap()
    }

    /// The status of `GET /api/v1/me` with `token`: 200 while the token works.
    pub async fn me_status(&self, token: &str) -> u16 {
        self.api_get(token, "/api/v1/me").await.status().as_u16()
    }

    /// The status of asking for an API token with this email and password.
    pub async fn token_status(&self, email: &str, password: &str) -> u16 {
        self.token_response(email, password).await.status().as_u16()
    }

    /// A JSON POST with no token.
    pub async fn post_anon(&self, path: &str, body: &Value) -> Response {
        self.api()
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A request with a bearer token and no body.
    pub async fn api_send(&self, method: Method, token: &str, path: &str) -> Response {
        self.api()
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// The path (after the address) of the link starting `{address}{prefix}` in the
    /// email sent to `to`.
    pub fn emailed_path(&self, to: &str, prefix: &str) -> String {
        let link = self
            .smtp
            .wait_for(to)
            .link(&format!("{}{prefix}", self.address))
            .expect("a link in the email");
        link.trim_start_matches(&self.address).to_string()
    }
}

impl Browser {
    /// Signs in with the form's `next` set.
    pub async fn login_next(&self, email: &str, password: &str, next: &str) -> Response {
        let fields = [("email", email), ("password", password), ("next", next)];
        self.post("/login", &fields).await
    }

    /// Asks for a password reset email for `email`.
    pub async fn ask_password_reset(&self, email: &str) -> Response {
        self.post("/password-reset", &[("email", email)]).await
    }

    /// Posts the admin page's button for a user: `disable` or `enable`; gives the status.
    pub async fn user_action(&self, user: i64, action: &str) -> u16 {
        let res = self
            .post(&format!("/admin/users/{user}/{action}"), &[])
            .await;
        res.status().as_u16()
    }

    /// Adds a webhook to `url` for these event kinds on the organisation's webhooks page.
    pub async fn add_webhook(&self, url: &str, event_kinds: &str) -> Response {
        let fields = [("url", url), ("event_kinds", event_kinds)];
        self.post("/admin/webhooks", &fields).await
    }

    /// Sets a new password (typed twice) on the password reset page at `path`.
    pub async fn set_password(&self, path: &str, password: &str) -> Response {
        let fields = [("password", password), ("confirm", password)];
        self.post(path, &fields).await
    }
}

/// The status of `post_json`.
pub async fn post_status(app: &TestApp, token: &str, path: &str, body: Value) -> u16 {
    super::post_json(app, token, path, body)
        .await
        .status()
        .as_u16()
}

/// `app.send_json` with PATCH.
pub async fn patch_json(app: &TestApp, token: &str, path: &str, body: Value) -> Response {
    app.send_json(Method::PATCH, token, path, &body).await
}

/// An answer's status and its body as text.
pub async fn answer_text(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// The first value of the header `name`, which must be there.
pub fn first_header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_string()
}

/// The `Set-Cookie` header that sets `name`, in full.
pub fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// A refusal of a sign-in because of too many failures: 429, saying so.
pub async fn assert_locked_out(res: Response) {
    let (status, text) = answer_text(res).await;
    assert_eq!(status, 429);
    assert!(text.contains("too many failed attempts"), "{text}");
}

/// The statuses of requests sent all at once.
pub async fn statuses_at_once<F>(requests: impl IntoIterator<Item = F>) -> Vec<u16>
where
    F: Future<Output = Response>,
{
    futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect()
}

/// A command that must have succeeded; its error output says why not.
pub fn assert_ran(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The items of a list answer.
pub fn items(list: &Value) -> &[Value] {
    list["items"].as_array().expect("a list of items")
}
