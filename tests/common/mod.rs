//! The test harness: `spawn_app()` starts the real portal on a free port with a fresh
//! database (a temporary SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL
//! is set) and an SMTP sink it sends to over SMTP.

#![allow(dead_code)]

pub mod calls;
pub mod hooks;
pub mod smtp;

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use metro_portal::auth::passwords::hash_password;
use metro_portal::config::Settings;
use metro_portal::db::{Backend, Db};
use metro_portal::jobs::{JobContext, JobWaker, Worker};
use metro_portal::organisations::{self, OrgKind};
use metro_portal::schema::jobs;
use metro_portal::startup::Application;
use metro_portal::users::{self, queries::NewUser, Role};
use reqwest::redirect::Policy;
use serde_json::Value;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[allow(unused_imports)]
pub use calls::*;
pub use smtp::SmtpSink;

/// The password of every fixture user.
pub const PASSWORD: &str = "Derby-Nottingham metro 2030 test";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
}

pub struct TestApp {
    pub address: String,
    pub settings: Settings,
    pub db: Db,
    db_url: String,
    pub data_dir: std::path::PathBuf,
    pub smtp: SmtpSink,
    stop: metro_portal::startup::StopHandle,
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub organisation_id: i64,
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
}

pub fn backend() -> Backend {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Backend::from_url(&url),
        _ => Backend::Sqlite,
    }
}

/// Loopback needs no TLS; without it no TLS library is at work while the test process
/// exits with servers still running.
fn without_tls(server_url: &str) -> String {
    let mut url = url::Url::parse(server_url).expect("TEST_DATABASE_URL is a URL");
    if !url.query_pairs().any(|(k, _)| k == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    url.to_string()
}

fn fresh_postgres(server_url: &str) -> (String, String) {
    let name = format!(
        "metro_test_{}",
        metro_portal::auth::tokens::random_token(9)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let mut admin =
        diesel::PgConnection::establish(server_url).expect("connect to TEST_DATABASE_URL");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    let mut url = url::Url::parse(server_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    (url.to_string(), name)
}

/// Settings as the tests run them, with any overrides applied by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp = SmtpSink::start();
    let mut settings = Settings::load(None).expect("default settings");
    settings.data_dir = dir.path().to_path_buf();
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    settings.server.base_url = String::new();
    settings.server.workers = 1;
    // A page naming a value its view model lacks is a 500 (and says so on stderr), so a
    // renamed or missing key fails the test that opens the page instead of rendering blank.
    settings.server.strict_templates = true;
    settings.database.pool_size = 4;
    settings.email.transport = "smtp".into();
    settings.email.smtp.host = "127.0.0.1".into();
    settings.email.smtp.port = smtp.port;
    settings.email.smtp.tls = "none".into();
    settings.jobs.poll_interval_ms = 50;
    // Digests and reminders by the clock would make what a test sees depend on the hour it
    // runs; tests that need them call the scheduling functions with a time of their own.
    settings.jobs.schedule = false;
    let pg = match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let server = without_tls(&server);
            let (url, name) = fresh_postgres(&server);
            settings.database.url = url;
            Some((server, name))
        }
        _ => {
            settings.database.url = dir.path().join("metro.db").to_string_lossy().into_owned();
            None
        }
    };
    tweak(&mut settings);
    let url = settings.database_url();
    let mut kept = settings.clone();
    let app = Application::build(settings).expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    kept.server.base_url = address.clone();
    let stop = app.stop_handle();
    // The application's own pool: a change a test writes straight to the tables and marks
    // with `raise_version` is seen by the next request, as a change through the portal is.
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        settings: kept,
        db,
        db_url: url,
        data_dir: dir.path().to_path_buf(),
        smtp,
        stop,
        pg,
        _dir: dir,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some((server, name)) = &self.pg {
            if let Ok(mut admin) = diesel::PgConnection::establish(server) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Settings for tests that run the job queue themselves, step by step.
pub async fn spawn_app_with_queue(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.jobs.run_in_serve = false;
        s.webhooks.allow_private_addresses = true;
        tweak(s);
    })
    .await
}

impl TestApp {
    /// A job worker like the one inside `serve`, for running the queue from a test.
    pub fn worker(&self) -> Worker {
        let ctx = JobContext::from_settings(
            self.db.clone(),
            Arc::new(self.settings.clone()),
            metro_portal::startup::job_kinds(),
        )
        .expect("job context");
        Worker {
            ctx: Arc::new(ctx),
            waker: JobWaker::default(),
            poll: std::time::Duration::from_millis(20),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs every job that is due until none is left; gives how many ran. The worker runs
    /// on a thread of its own, as in `serve`, outside the test's async runtime.
    pub fn run_pending_jobs(&self) -> usize {
        let worker = self.worker();
        std::thread::spawn(move || worker.drain().expect("run jobs"))
            .join()
            .expect("the worker thread")
    }

    /// Makes every waiting job due now, as if its retry time had come.
    pub fn make_jobs_due(&self) {
        let mut conn = self.db.get().unwrap();
        diesel::update(jobs::table.filter(jobs::status.eq("pending")))
            .set(jobs::run_at.eq(metro_portal::db::now() - chrono::Duration::seconds(1)))
            .execute(&mut *conn)
            .unwrap();
    }

    /// Raises the data version after a change written straight to the tables (standing for
    /// time passing), as every change through the portal does. The running portal is told
    /// when the connection goes back to the pool, as after any change.
    pub fn raise_version(&self, conn: &mut metro_portal::db::DbConn) {
        metro_portal::cache::bump_version(conn).unwrap();
    }

    pub fn db_url(&self) -> String {
        self.db_url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn create_org(&self, slug: &str, kind: OrgKind) -> i64 {
        let mut conn = self.db.get().unwrap();
        organisations::queries::insert(&mut conn, &format!("Org {slug}"), slug, kind).unwrap()
    }

    pub fn create_user(&self, organisation_id: i64, role: Role) -> TestUser {
        let mut conn = self.db.get().unwrap();
        let n: i64 = metro_portal::schema::users::table
            .count()
            .get_result(&mut *conn)
            .unwrap();
        let email = format!(
            "{}-{}@org{organisation_id}.test",
            role.as_str().replace('_', "-"),
            n + 1
        );
        let name = format!("Test {} {}", role.label(), n + 1);
        let id = users::queries::insert(
            &mut conn,
            &NewUser {
                organisation_id,
                email: &email,
                name: &name,
                role,
                password_hash: password_hash(),
            },
        )
        .unwrap();
        TestUser {
            id,
            organisation_id,
            email,
            name,
            password: PASSWORD.into(),
            role,
        }
    }

    /// Two organisations, each with one user of every role but platform admin, and a
    /// platform admin in a third.
    pub fn two_tenants(&self) -> Tenants {
        let own = self.create_org("own-council", OrgKind::CityCouncil);
        let other = self.create_org("other-council", OrgKind::CityCouncil);
        let home = self.create_org("programme", OrgKind::Other);
        let platform = self.create_user(home, Role::PlatformAdmin);
        let roles = [Role::OrgAdmin, Role::Leader, Role::Staff, Role::Partner];
        Tenants {
            own,
            other,
            platform,
            own_users: roles.iter().map(|r| self.create_user(own, *r)).collect(),
            other_users: roles.iter().map(|r| self.create_user(other, *r)).collect(),
        }
    }

    pub fn audit_actions(&self) -> Vec<String> {
        use metro_portal::schema::audit_log;
        let mut conn = self.db.get().unwrap();
        audit_log::table
            .order(audit_log::id.asc())
            .select(audit_log::action)
            .load(&mut *conn)
            .unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.get().unwrap();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut *conn)
            .unwrap()
            .n
    }

    /// A browser: its own cookie jar, redirects not followed.
    pub fn browser(&self) -> Browser {
        self.browser_with_jar(Arc::new(reqwest::cookie::Jar::default()))
    }

    /// A browser keeping its cookies in `jar`, redirects not followed.
    pub fn browser_with_jar(&self, jar: Arc<reqwest::cookie::Jar>) -> Browser {
        Browser {
            base: self.address.clone(),
            client: reqwest::Client::builder()
                .cookie_provider(jar)
                .redirect(Policy::none())
                .build()
                .unwrap(),
        }
    }

    pub async fn signed_in(&self, user: &TestUser) -> Browser {
        let browser = self.browser();
        let res = browser.login(&user.email, &user.password).await;
        assert_eq!(res.status(), 303, "sign-in of {} failed", user.email);
        browser
    }

    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub async fn token_response(&self, email: &str, password: &str) -> reqwest::Response {
        let body = serde_json::json!({ "email": email, "password": password });
        self.post_anon("/api/v1/auth/token", &body).await
    }

    pub async fn token(&self, user: &TestUser) -> String {
        let res = self.token_response(&user.email, &user.password).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Ends an API token (`DELETE /api/v1/auth/token`).
    pub async fn revoke_token(&self, token: &str) -> reqwest::Response {
        self.api()
            .delete(self.url("/api/v1/auth/token"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn api_get(&self, token: &str, path: &str) -> reqwest::Response {
        self.api_send(reqwest::Method::GET, token, path).await
    }

    /// A JSON body sent with a bearer token.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.api()
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Uploads a file to the register's import (a dry run when asked), with a mapping when
    /// given.
    pub async fn import_file(
        &self,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
        dry_run: bool,
        mapping: Option<&Value>,
    ) -> (u16, Value) {
        let path = "/api/v1/opportunities/import";
        self.import_at(path, token, name, bytes, dry_run, mapping)
            .await
    }

    /// Uploads a file to the import at `path`.
    pub async fn import_at(
        &self,
        path: &str,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
        dry_run: bool,
        mapping: Option<&Value>,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        if let Some(m) = mapping {
            form = form.text("mapping", m.to_string());
        }
        let path = if dry_run {
            format!("{path}?dry_run=true")
        } else {
            path.to_string()
        };
        let res = self
            .api()
            .post(self.url(&path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        answer(res).await
    }
}

/// `app.send_json` with POST.
pub async fn post_json(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_json(reqwest::Method::POST, token, path, &body)
        .await
}

/// An import report's problems, each as "row: column = value".
pub fn problems_of(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            format!(
                "{}: {} = {}",
                p["row"],
                p["column"].as_str().unwrap_or_default(),
                p["value"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// An answer's status and its JSON body (null when it has none).
pub async fn answer(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub struct Tenants {
    pub own: i64,
    pub other: i64,
    pub platform: TestUser,
    /// org_admin, leader, staff, partner
    pub own_users: Vec<TestUser>,
    pub other_users: Vec<TestUser>,
}

impl Tenants {
    pub fn own(&self, role: Role) -> &TestUser {
        self.own_users.iter().find(|u| u.role == role).unwrap()
    }
    pub fn other(&self, role: Role) -> &TestUser {
        self.other_users.iter().find(|u| u.role == role).unwrap()
    }
}

#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

/// The value of the first hidden `_csrf` field in a page.
pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    /// A CSRF token for this browser's cookie, read from a page with a form.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.get_html("/password-reset").await;
        csrf_from(&html).expect("the page has a CSRF field")
    }

    /// Posts a form with this browser's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// Posts exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.login_next(email, password, "/").await
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Workspace fixtures for a `Tenants` setup. `own` is lead of `pub-ws` (public), member of
/// `mem-ws` (members only), observer of `obs-ws` (partners); `other` alone is in `other-ws`
/// (members only); `arch-ws` (public, own lead) is archived.
pub struct Workspaces {
    pub post: i64,
    pub mem_post: i64,
    pub action: i64,
    pub other_owned_action: i64,
    pub milestone: i64,
    pub outcome: i64,
    pub measure: i64,
    pub obs_post: i64,
    pub secret_title: String,
}

impl TestApp {
    /// The library's view of a signed-in user, for calling services directly.
    pub fn caller(&self, user: &TestUser) -> metro_portal::auth::Caller {
        use metro_portal::schema::{organisations, users};
        let mut conn = self.db.get().unwrap();
        let (name, role, org_name, org_slug): (
            String,
            metro_portal::identity::Role,
            String,
            String,
        ) = users::table
            .inner_join(organisations::table)
            .filter(users::id.eq(user.id))
            .select((
                users::name,
                users::role,
                organisations::name,
                organisations::slug,
            ))
            .first(&mut *conn)
            .unwrap();
        metro_portal::auth::Caller {
            user_id: user.id,
            organisation_id: user.organisation_id,
            email: user.email.clone(),
            name,
            role,
            organisation_name: org_name,
            organisation_slug: org_slug,
            session_id: String::new(),
        }
    }

    pub fn workspaces(&self, t: &Tenants) -> Workspaces {
        use metro_portal::workspaces::queries;
        use metro_portal::workspaces::{
            actions::service::*, measures::service::*, members::service::*, outcomes::service::*,
            posts::service::*, service::*,
        };
        let mut conn = self.db.get().unwrap();
        let platform = self.caller(&t.platform);
        let staff = self.caller(t.own(Role::Staff));
        let other_staff = self.caller(t.other(Role::Staff));
        let p = Actor {
            caller: &platform,
            ip: "",
        };
        let make = |conn: &mut metro_portal::db::DbConn,
                    slug: &str,
                    visibility: &str,
                    members: &[(i64, &str)]| {
            let input = WorkspaceInput {
                name: format!("Workspace {slug}"),
                slug: slug.into(),
                summary: format!("About {slug}"),
                kind: "programme".into(),
                visibility: visibility.into(),
            };
            create_workspace(conn, &p, &input).unwrap();
            let access = queries::load(conn, slug, Some(&platform)).unwrap();
            for (org, role) in members {
                set_member(
                    conn,
                    &p,
                    &access,
                    &MemberInput {
                        organisation_id: org.to_string(),
                        role: role.to_string(),
                    },
                )
                .unwrap();
            }
        };
        make(&mut conn, "pub-ws", "public", &[(t.own, "lead")]);
        make(
            &mut conn,
            "mem-ws",
            "members",
            &[(t.own, "member"), (t.other, "lead")],
        );
        make(
            &mut conn,
            "obs-ws",
            "partners",
            &[(t.own, "observer"), (t.other, "lead")],
        );
        make(&mut conn, "other-ws", "members", &[(t.other, "lead")]);
        make(&mut conn, "arch-ws", "public", &[(t.own, "lead")]);

        let s = Actor {
            caller: &staff,
            ip: "",
        };
        let o = Actor {
            caller: &other_staff,
            ip: "",
        };
        let pub_ws = queries::load(&mut conn, "pub-ws", Some(&staff)).unwrap();
        let post = create_post(
            &mut conn,
            &s,
            &pub_ws,
            &PostInput {
                title: "Toton update".into(),
                body: "Study **started**".into(),
            },
        )
        .unwrap();
        let action_input = |owner: i64| ActionInput {
            title: "Smart ticketing".into(),
            owner_organisation_id: owner.to_string(),
            due_date: "2020-01-31".into(),
            status: "in_progress".into(),
            progress: "40".into(),
            rag: "red".into(),
            rag_reason: "Operators disagree".into(),
            ..ActionInput::default()
        };
        let action = create_action(&mut conn, &s, &pub_ws, &action_input(t.own)).unwrap();
        let milestone = create_milestone(
            &mut conn,
            &s,
            &pub_ws,
            action,
            &MilestoneInput {
                title: "Operator deal".into(),
                due_date: "2020-01-10".into(),
            },
        )
        .unwrap();
        let outcome = create_outcome(
            &mut conn,
            &s,
            &pub_ws,
            &OutcomeInput {
                title: "Faster travel".into(),
                description: String::new(),
            },
        )
        .unwrap();
        let measure = create_measure(
            &mut conn,
            &s,
            &pub_ws,
            &MeasureInput {
                outcome_id: outcome.to_string(),
                name: "Public transport share".into(),
                unit: "%".into(),
                direction: "higher".into(),
                baseline: "18".into(),
                target: "25".into(),
                target_date: "2028-03-31".into(),
            },
        )
        .unwrap();
        let mem_ws = queries::load(&mut conn, "mem-ws", Some(&staff)).unwrap();
        let mem_post = create_post(
            &mut conn,
            &s,
            &mem_ws,
            &PostInput {
                title: "Member note".into(),
                body: "Hello".into(),
            },
        )
        .unwrap();
        let mem_ws_other = queries::load(&mut conn, "mem-ws", Some(&other_staff)).unwrap();
        let other_owned_action =
            create_action(&mut conn, &o, &mem_ws_other, &action_input(t.other)).unwrap();
        let obs_ws = queries::load(&mut conn, "obs-ws", Some(&other_staff)).unwrap();
        let obs_post = create_post(
            &mut conn,
            &o,
            &obs_ws,
            &PostInput {
                title: "Observed".into(),
                body: "Read me".into(),
            },
        )
        .unwrap();
        let secret_title = "Confidential highways tender".to_string();
        let other_ws = queries::load(&mut conn, "other-ws", Some(&other_staff)).unwrap();
        create_post(
            &mut conn,
            &o,
            &other_ws,
            &PostInput {
                title: secret_title.clone(),
                body: "Only for us".into(),
            },
        )
        .unwrap();
        let arch = queries::load(&mut conn, "arch-ws", Some(&platform)).unwrap();
        set_archived(&mut conn, &p, &arch, true).unwrap();
        Workspaces {
            post,
            mem_post,
            action,
            other_owned_action,
            milestone,
            outcome,
            measure,
            obs_post,
            secret_title,
        }
    }
}

/// Register fixtures: `own` has a draft and a partnership opportunity (with a barrier);
/// `other` has a draft and a partnership opportunity.
pub struct Opportunities {
    pub own_draft: i64,
    pub own_opp: i64,
    pub own_barrier: i64,
    pub other_draft: i64,
    pub other_opp: i64,
    pub other_draft_title: String,
}

impl TestApp {
    pub fn opportunities(&self, t: &Tenants) -> Opportunities {
        use metro_portal::opportunities::{barriers::service::*, service::*};
        let mut conn = self.db.get().unwrap();
        let own = self.caller(t.own(Role::Staff));
        let other = self.caller(t.other(Role::Staff));
        let mine = Actor {
            caller: &own,
            ip: "",
        };
        let theirs = Actor {
            caller: &other,
            ip: "",
        };
        let input = |title: &str, visibility: &str| OpportunityInput {
            title: title.into(),
            summary: "Share it".into(),
            service_area: "legal".into(),
            kind: "shared_service".into(),
            visibility: visibility.into(),
            ..OpportunityInput::default()
        };
        let own_draft = create(&mut conn, &mine, &input("Our draft idea", "draft"))
            .unwrap()
            .id;
        let own_opp = create(&mut conn, &mine, &input("Joint legal team", "partnership"))
            .unwrap()
            .id;
        let own_barrier = add_barrier(
            &mut conn,
            &mine,
            own_opp,
            &BarrierInput {
                category: "hr_tupe".into(),
                description: "TUPE transfer".into(),
                severity: "high".into(),
                ..BarrierInput::default()
            },
        )
        .unwrap();
        let other_draft_title = "Confidential draft of the other council".to_string();
        let other_draft = create(&mut conn, &theirs, &input(&other_draft_title, "draft"))
            .unwrap()
            .id;
        let other_opp = create(
            &mut conn,
            &theirs,
            &input("Their shared payroll", "partnership"),
        )
        .unwrap()
        .id;
        Opportunities {
            own_draft,
            own_opp,
            own_barrier,
            other_draft,
            other_opp,
            other_draft_title,
        }
    }
}

/// Changes made straight through the services, as a person would through a page.
impl TestApp {
    /// `user` posts an update in workspace `slug`; gives the post's id.
    pub fn post_update(&self, user: &TestUser, slug: &str, title: &str) -> i64 {
        self.post_update_with(user, slug, title, "Progress this month")
    }

    /// `user` comments on an opportunity.
    pub fn comment_on(&self, user: &TestUser, opportunity: i64, body: &str) {
        use metro_portal::opportunities::comments::service::{comment, CommentInput};
        let caller = self.caller(user);
        let mut conn = self.db.get().unwrap();
        let input = CommentInput {
            body: body.into(),
            proposed_stage: String::new(),
        };
        comment(&mut conn, &actor(&caller), opportunity, &input).unwrap();
    }
}

impl Browser {
    /// A new feed key, as the subscriptions page shows it once.
    pub async fn feed_key(&self) -> String {
        let res = self.post("/settings/feed-token", &[]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let start = html.find("feed.atom?token=").expect("the new key") + "feed.atom?token=".len();
        html[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}
