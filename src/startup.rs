//! Building the application: database, secrets, templates, mail, the job worker, and the
//! HTTP server bound to its port (port 0 picks a free one, as the tests do).

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, Condition, DefaultHeaders, ErrorHandlers, Logger};
use actix_web::{web, App, HttpServer};

use crate::auth::passwords::Hasher;
use crate::config::Settings;
use crate::db::{now, Db};
use crate::jobs::{JobContext, JobWaker, Kinds, Worker};
use crate::state::AppState;
use crate::web::errors::{
    audit_denials, json_config, not_found, path_config, query_config, refuse_nul, render_error,
};
use crate::web::page::{Audience, NavItem};
use crate::web::routes::Routes;
use crate::{
    auth, dashboard, notifications, openapi, opportunities, organisations, reviews, site, users,
    web as pages, workspaces,
};

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    settings: Arc<Settings>,
    worker_stop: Arc<AtomicBool>,
    workers: Vec<std::thread::JoinHandle<()>>,
    waker: JobWaker,
}

impl Application {
    /// Connects to the database and applies pending migrations, then builds.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url(), settings.database.pool_size)?;
        db.migrate()?;
        Application::build_with_db(settings, db)
    }

    pub fn build_with_db(mut settings: Settings, db: Db) -> anyhow::Result<Application> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        settings.settle_base_url(port)?;
        let settings = Arc::new(settings);
        // Jobs have connections of their own: however much work is queued, and however long
        // it waits on other servers, pages always find one in theirs.
        let jobs_db = db.another_pool(settings.jobs.pool_size)?;
        let ctx = Arc::new(JobContext::from_settings(
            jobs_db,
            settings.clone(),
            job_kinds(),
        )?);
        let waker = JobWaker::default();
        let worker_stop = Arc::new(AtomicBool::new(false));
        let workers = background(&settings, &ctx, &db, &waker, &worker_stop)?;
        let state = web::Data::new(app_state(&settings, &ctx, &db, &waker));
        let https = settings.uses_https();
        let access_log = tracing::level_enabled!(tracing::Level::INFO);
        let document = web::Data::new(crate::openapi::Document::of(&route_table()));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(json_config())
                .app_data(query_config())
                .app_data(path_config())
                .wrap(from_fn(audit_denials))
                .wrap(from_fn(refuse_nul))
                .wrap(ErrorHandlers::new().default_handler(render_error))
                .wrap(security_headers(https))
                .wrap(from_fn(crate::web::conditional::validators))
                // gzip for whoever asks for it (Accept-Encoding); answers that are already
                // compressed (XLSX) say Content-Encoding: identity and are sent as they are.
                .wrap(Compress::default())
                // The access log, when anything at info level is logged; paths that carry
                // a secret token are never written.
                .wrap(Condition::new(
                    access_log,
                    Logger::new("%a \"%r\" %s %b %Dms")
                        .exclude_regex("^/(invitations|password-reset|unsubscribe)/|feed\\.atom"),
                ))
                .app_data(document.clone())
                .service(route_table().into_services())
                .default_service(web::to(not_found))
        })
        .listen(listener)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        // Database work runs on each worker's blocking threads; more of them than there are
        // connections would only wait for one, each with memory of its own.
        server = server.worker_max_blocking_threads(settings.database.pool_size.max(2) as usize);
        Ok(Application {
            port,
            server: server.run(),
            db,
            settings,
            worker_stop,
            workers,
            waker,
        })
    }

    /// Stops the server and the job worker from elsewhere (tests, signal handlers).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            worker_stop: self.worker_stop.clone(),
            waker: self.waker.clone(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Serves until the server is stopped (Ctrl-C), then stops the job worker.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.worker_stop.store(true, Ordering::Relaxed);
        self.waker.wake();
        for worker in self.workers {
            let _ = worker.join();
        }
        result
    }
}

pub struct StopHandle {
    server: actix_web::dev::ServerHandle,
    worker_stop: Arc<AtomicBool>,
    waker: JobWaker,
}

impl StopHandle {
    pub fn stop(&self) {
        self.worker_stop.store(true, Ordering::Relaxed);
        self.waker.wake();
        // The stop command is sent at once; waiting for it to finish is not needed.
        drop(self.server.stop(false));
    }
}

fn security_headers(https: bool) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"));
    if https {
        headers = headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ));
    }
    headers
}

/// The threads beside the server: the job worker (when `serve` runs jobs) and the watch on
/// the data version (when changes made elsewhere must be noticed).
fn background(
    settings: &Arc<Settings>,
    ctx: &Arc<JobContext>,
    db: &Db,
    waker: &JobWaker,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<Vec<std::thread::JoinHandle<()>>> {
    let mut workers = if settings.jobs.run_in_serve {
        Worker {
            ctx: ctx.clone(),
            waker: waker.clone(),
            poll: Duration::from_millis(settings.jobs.poll_interval_ms.max(10)),
            stop: stop.clone(),
        }
        .spawn()
    } else {
        Vec::new()
    };
    if settings.database.watch_ms > 0 {
        workers.push(db.watch_versions(
            Duration::from_millis(settings.database.watch_ms),
            stop.clone(),
        )?);
    }
    Ok(workers)
}

/// What every request shares, with the slices' navigation and its counts wired in.
fn app_state(settings: &Arc<Settings>, ctx: &JobContext, db: &Db, waker: &JobWaker) -> AppState {
    AppState {
        db: db.clone(),
        settings: settings.clone(),
        keys: ctx.keys.clone(),
        templates: ctx.templates.clone(),
        hasher: Hasher::new(settings.security.max_concurrent_hashes),
        jobs: waker.clone(),
        cache: Arc::default(),
        denials: Arc::default(),
        nav: navigation(),
        nav_counts: vec![crate::web::page::NavCount {
            href: "/notifications",
            count: crate::notifications::inbox::unread_count,
        }],
    }
}

/// The navigation, in order: each slice's front page, for whom it is shown.
pub fn navigation() -> Vec<NavItem> {
    let item = |href, label, shown_to| NavItem {
        href,
        label,
        shown_to,
    };
    vec![
        item("/", "Home", Audience::Everyone),
        item("/workspaces", "Workspaces", Audience::Everyone),
        item("/opportunities", "Opportunities", Audience::Everyone),
        item("/dashboard", "Progress", Audience::SignedIn),
        item("/reviews", "Reviews", Audience::SignedIn),
        item("/notifications", "Notifications", Audience::SignedIn),
        item("/account", "Your account", Audience::SignedIn),
        item("/admin", "Admin", Audience::Administrators),
    ]
}

/// Every route of the portal, as the server mounts it, the OpenAPI document describes it and
/// the authorisation matrix test checks it.
pub fn route_table() -> Routes {
    let mut table = Routes::default();
    routes(&mut table);
    table
}

fn routes(r: &mut Routes) {
    notifications::routes(r);
    dashboard::api::routes(r);
    dashboard::pages::routes(r);
    reviews::api::routes(r);
    reviews::pages::routes(r);
    r.get("/", site::home)
        .get("/accessibility", site::accessibility)
        .get("/healthz", site::healthz)
        .get("/assets/{name}", pages::assets::asset)
        .get("/login", auth::pages::login_page)
        .post("/login", auth::pages::login_submit)
        .get("/logout", auth::pages::logout_page)
        .post("/logout", auth::pages::logout_submit)
        .get("/account", auth::pages::account_page)
        .post(
            "/account/sign-out-everywhere",
            auth::pages::sign_out_everywhere,
        )
        .get("/password-reset", auth::pages::reset_request_page)
        .post("/password-reset", auth::pages::reset_request_submit)
        .get("/password-reset/{token}", auth::pages::reset_page)
        .post("/password-reset/{token}", auth::pages::reset_submit)
        .get("/invitations/{token}", auth::pages::invitation_page)
        .post("/invitations/{token}", auth::pages::invitation_submit)
        .get("/admin", organisations::pages::admin_index)
        .get("/admin/organisations", organisations::pages::list)
        .post("/admin/organisations", organisations::pages::create)
        .get("/admin/audit", organisations::pages::audit_search)
        .get("/admin/organisations/{id}/users", users::pages::list)
        .post(
            "/admin/organisations/{id}/invitations",
            users::pages::invite,
        )
        .post("/admin/users/{id}/disable", users::pages::disable)
        .post("/admin/users/{id}/enable", users::pages::enable)
        .get("/api/v1/openapi.json", openapi::openapi_json)
        .api(auth::api::__path_issue_token, auth::api::issue_token)
        .api(auth::api::__path_revoke_token, auth::api::revoke_token)
        .api(auth::api::__path_me, auth::api::me)
        .api(
            organisations::api::__path_list_organisations,
            organisations::api::list_organisations,
        )
        .api(
            organisations::api::__path_create_organisation,
            organisations::api::create_organisation,
        )
        .api(users::api::__path_list_users, users::api::list_users)
        .api(users::api::__path_invite, users::api::invite);
    workspaces::routes(r);
    opportunities::routes(r);
}

/// The job kinds and periodic tasks of every slice, for the workers of `serve`, of
/// `metro-portal worker` and of the tests.
pub fn job_kinds() -> Kinds {
    let mut kinds = Kinds::default().kind(crate::email::JOB_KIND, |ctx, job, payload| {
        ctx.mailer
            .send(&serde_json::from_value(payload.clone())?, job)
    });
    for kind in crate::notifications::JOB_KINDS {
        kinds = kinds.kind(kind, crate::notifications::perform);
    }
    kinds
        .kind(
            crate::notifications::WEBHOOK_JOB,
            crate::notifications::deliver_webhook,
        )
        .periodic("digests", |ctx| {
            let mut conn = ctx.db.get()?;
            crate::notifications::digests::schedule(&mut conn, &ctx.settings, now())?;
            Ok(())
        })
        .periodic("review reminders", |ctx| {
            crate::reviews::service::remind_due(&mut *ctx.db.get()?, now().date())?;
            Ok(())
        })
        .periodic("import files kept past a day", |ctx| {
            crate::tabular::memory::forget_old_uploads(&mut *ctx.db.get()?)?;
            Ok(())
        })
}
