use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use metro_portal::auth::passwords::{check_new_password, hash_password};
use metro_portal::auth::tokens::random_token;
use metro_portal::config::{redact_url, Settings};
use metro_portal::db::{write_tx, Db};
use metro_portal::error::AppError;
use metro_portal::jobs::{self, JobContext, JobWaker, Worker};
use metro_portal::notifications::digests;
use metro_portal::notifications::model::Delivery;
use metro_portal::organisations::{self, OrgKind};
use metro_portal::seed::demo::{self, Seeded};
use metro_portal::startup::Application;
use metro_portal::users::{self, model::parse_email, queries::NewUser, Role};

/// Metro Portal: the Derby–Nottingham Metro collaboration portal.
#[derive(Parser)]
#[command(name = "metro-portal", version, about, long_about = None)]
struct Cli {
    /// A settings file (TOML) layered over config/default.toml; METRO__SECTION__KEY
    /// environment variables and DATABASE_URL override both.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the portal and run its background jobs.
    Serve {
        /// Load the demo organisations and accounts first (only into an empty database).
        /// The password is METRO_DEMO_PASSWORD, or one generated and printed once.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import opportunities from a CSV or XLSX file, led by an organisation; or, with
    /// --workspace, a workspace's actions or its measures' readings. Every row is checked
    /// first; then all are written, or none. Rows whose reference exists are updated.
    Import {
        /// The CSV (UTF-8) or XLSX file.
        file: PathBuf,
        /// Short name of the lead organisation.
        #[arg(long)]
        org: String,
        /// Whose name the import goes in (staff, leader or admin of that organisation);
        /// by default its first administrator.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        /// Check the file and print what would happen, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// A JSON file with the column mapping to use (as a dry run prints it under
        /// "mapping" with --json); by default it is proposed from the headings, or taken
        /// from the organisation's last import of a file with the same headings.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
        /// Import into this workspace (its short name) instead of the register: its actions,
        /// or with --readings its measures' readings by quarter.
        #[arg(long, value_name = "SLUG")]
        workspace: Option<String>,
        /// With --workspace: the file holds readings, not actions.
        #[arg(long, requires = "workspace")]
        readings: bool,
    },
    /// Fill an empty database with a large realistic data set for load tests (60
    /// organisations, 2,000 people, 20 workspaces, 10,000 opportunities, 100,000 events and
    /// notifications by default). Everyone's password is METRO_BENCH_PASSWORD, or one
    /// generated and printed once.
    SeedBench {
        #[arg(long, default_value_t = 10_000)]
        opportunities: usize,
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        #[arg(long, default_value_t = 2_000)]
        users: usize,
    },
    /// The audit log: `audit verify` checks its hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run the job worker (fan-out, email, digests, webhooks) without the web server. Several
    /// may run at once on PostgreSQL; set jobs.run_in_serve = false on the servers to use
    /// only these. Stops cleanly on Ctrl-C.
    Worker,
    /// Gather and send digests now instead of waiting for the digest hour, then run
    /// everything else that is due.
    SendDigests {
        /// Which digests: daily, weekly or all.
        #[arg(long, default_value = "all", value_parser = ["daily", "weekly", "all"])]
        frequency: String,
    },
    /// Create a platform administrator. The password is METRO_ADMIN_PASSWORD, or one
    /// generated and printed once.
    CreateAdmin {
        /// Their email address (they sign in with it).
        #[arg(long)]
        email: String,
        /// Short name (slug) of their organisation; created if it does not exist.
        #[arg(long)]
        org: String,
        /// Their full name.
        #[arg(long, default_value = "Platform administrator")]
        name: String,
        /// Name for the organisation when it has to be created.
        #[arg(long)]
        org_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every entry's hash against the one before; names the first broken entry and
    /// exits with status 1 if the chain is broken.
    Verify,
}

/// The C library's allocator gives each thread that allocates an arena of its own, up to
/// eight per core; with the web workers, their database threads and the job workers that
/// is a third more resident memory for no gain once pages are kept. Two arenas are enough
/// (`MALLOC_ARENA_MAX` in the environment still decides, when set).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in main, before any other thread exists; M_ARENA_MAX
        // takes a count.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    let settings = Settings::load(cli.config.as_deref()).context("reading settings")?;
    match cli.command {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => {
            let db = connect(&settings)?;
            let applied = db.migrate()?;
            println!(
                "{} migration(s) applied to the {} database",
                applied.len(),
                db.backend().name()
            );
            Ok(())
        }
        Command::CreateAdmin {
            email,
            org,
            name,
            org_name,
        } => create_admin(&settings, &email, &org, &name, org_name),
        Command::Import {
            file,
            org,
            as_user,
            dry_run,
            mapping,
            json,
            workspace,
            readings,
        } => import(
            &settings,
            &file,
            &org,
            as_user.as_deref(),
            ImportRun {
                dry_run,
                mapping,
                json,
                into: workspace.map(|slug| (slug, readings)),
            },
        ),
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&settings),
        Command::SeedBench {
            opportunities,
            events,
            users,
        } => seed_bench(&settings, opportunities, events, users),
        Command::Worker => worker(settings),
        Command::SendDigests { frequency } => send_digests(settings, &frequency),
    }
}

fn seed_bench(
    settings: &Settings,
    opportunities: usize,
    events: usize,
    users: usize,
) -> anyhow::Result<()> {
    let db = connect(settings)?;
    db.migrate()?;
    let (password, generated) = password_from_env("METRO_BENCH_PASSWORD")?;
    let hash = hash_password(&password)?;
    let size = metro_portal::seed::bench::Size {
        opportunities,
        events,
        users: users.max(60),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let mut bar: Option<(String, indicatif::ProgressBar)> = None;
    let style =
        indicatif::ProgressStyle::with_template("{msg:>26} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let mut progress = |step: &str, done: usize, total: usize| {
        if bar.as_ref().is_none_or(|(s, _)| s != step) {
            if let Some((_, old)) = bar.take() {
                old.finish();
            }
            let new = indicatif::ProgressBar::new(total as u64);
            new.set_style(style.clone());
            new.set_message(step.to_string());
            bar = Some((step.to_string(), new));
        }
        if let Some((_, b)) = &bar {
            b.set_position(done as u64);
        }
    };
    let mut conn = db.get()?;
    let seeded = metro_portal::seed::bench::seed(&mut conn, size, &hash, &mut progress)?;
    if let Some((_, b)) = bar {
        b.finish();
    }
    println!(
        "Seeded {} organisations, {} people, {} opportunities, {} events and {} notifications in {:.0?} ({} database)",
        seeded.organisations,
        seeded.users,
        seeded.opportunities,
        seeded.events,
        seeded.notifications,
        started.elapsed(),
        db.backend().name()
    );
    println!("  Sign in as person-00000@bench.example (an organisation admin) or person-00060@bench.example (a council leader)");
    if generated {
        println!("  Password (shown once): {password}");
    } else {
        println!("  Password: the value of METRO_BENCH_PASSWORD");
    }
    Ok(())
}

fn audit_verify(settings: &Settings) -> anyhow::Result<()> {
    let db = connect(settings)?;
    db.migrate()?;
    let mut conn = db.get()?;
    match metro_portal::audit::verify(&mut conn)? {
        Ok(checked) => {
            println!("Audit log intact: {checked} entries checked");
            Ok(())
        }
        Err(row) => {
            eprintln!("Audit log broken: entry {row} does not match the chain before it");
            std::process::exit(1);
        }
    }
}

/// What `worker` and `send-digests` run jobs with. They send mail, so they refuse to start
/// without an address to build its links from.
fn job_context(mut settings: Settings) -> anyhow::Result<Arc<JobContext>> {
    let port = settings.server.port;
    settings.settle_base_url(port)?;
    let db = connect(&settings)?;
    db.migrate()?;
    Ok(Arc::new(JobContext::from_settings(
        db,
        Arc::new(settings),
        metro_portal::startup::job_kinds(),
    )?))
}

fn worker(settings: Settings) -> anyhow::Result<()> {
    let poll = Duration::from_millis(settings.jobs.poll_interval_ms.max(10));
    let ctx = job_context(settings)?;
    let stop = Arc::new(AtomicBool::new(false));
    let waker = JobWaker::default();
    let threads = Worker {
        ctx: ctx.clone(),
        waker: waker.clone(),
        poll,
        stop: stop.clone(),
    }
    .spawn();
    println!(
        "Metro Portal worker running on the {} database; Ctrl-C stops it",
        ctx.db.backend().name()
    );
    actix_web::rt::System::new().block_on(actix_web::rt::signal::ctrl_c())?;
    println!("Stopping after the current job…");
    stop.store(true, Ordering::Relaxed);
    waker.wake();
    for thread in threads {
        let _ = thread.join();
    }
    Ok(())
}

fn send_digests(settings: Settings, frequency: &str) -> anyhow::Result<()> {
    let ctx = job_context(settings)?;
    let worker = Worker {
        ctx: ctx.clone(),
        waker: JobWaker::default(),
        poll: Duration::from_millis(100),
        stop: Arc::new(AtomicBool::new(false)),
    };
    // Finish any fan-out first, so the digests carry everything that has happened.
    worker.drain()?;
    let frequencies = match frequency {
        "daily" => vec![Delivery::Daily],
        "weekly" => vec![Delivery::Weekly],
        _ => vec![Delivery::Daily, Delivery::Weekly],
    };
    let period = format!("manual-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"));
    let mut conn = ctx.db.get()?;
    let mut queued = 0;
    for f in frequencies {
        queued += digests::collect(&mut conn, &ctx.settings, f, &period)?;
    }
    drop(conn);
    let bar = indicatif::ProgressBar::new(queued as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("Sending digests");
    worker.drain_together(&|| {
        if bar.position() < bar.length().unwrap_or(0) {
            bar.inc(1);
        }
    })?;
    bar.finish_with_message("Digests sent");
    let mut conn = ctx.db.get()?;
    let failed = jobs::failed_count(&mut conn)?;
    println!("{queued} digest(s) gathered; jobs that have failed for good so far: {failed} (see /admin/jobs)");
    Ok(())
}

fn connect(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(&settings.database_url(), settings.database.pool_size)
}

/// A password from the environment, or a new one to print.
fn password_from_env(var: &str) -> anyhow::Result<(String, bool)> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => {
            check_new_password(&p).map_err(|m| anyhow::anyhow!("{var}: {m}"))?;
            Ok((p, false))
        }
        _ => Ok((random_token(15), true)),
    }
}

fn serve(settings: Settings, demo_data: bool) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let url = settings.database_url();
        let db = connect(&settings)?;
        db.migrate()?;
        if demo_data {
            let (password, generated) = password_from_env("METRO_DEMO_PASSWORD")?;
            match demo::seed(&db, &password)? {
                Seeded::Created { accounts } => {
                    println!("Demo data loaded: {} organisations, {} accounts", demo::ORGANISATIONS.len(), accounts.len());
                    println!("  e.g. platform@metro.example, admin@derby.example, leader@nottingham.example, partner@d2n2.example");
                    if generated {
                        println!("  Demo password (shown once): {password}");
                    } else {
                        println!("  Demo password: the value of METRO_DEMO_PASSWORD");
                    }
                }
                Seeded::Skipped => println!("Demo data not loaded: the database already has organisations"),
            }
        }
        let host = settings.server.host.clone();
        let app = Application::build_with_db(settings, db)?;
        println!(
            "Metro Portal listening on http://{host}:{} (database: {} {})",
            app.port(),
            app.db().backend().name(),
            redact_url(&url)
        );
        println!("  Links in emails use {}", app.settings().base_url());
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn create_admin(
    settings: &Settings,
    email: &str,
    org: &str,
    name: &str,
    org_name: Option<String>,
) -> anyhow::Result<()> {
    let email = parse_email(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let slug = organisations::model::parse_slug(org).map_err(|m| anyhow::anyhow!("--org: {m}"))?;
    let name = users::model::parse_name(name).map_err(|m| anyhow::anyhow!("--name: {m}"))?;
    let db = connect(settings)?;
    db.migrate()?;
    let (password, generated) = password_from_env("METRO_ADMIN_PASSWORD")?;
    let hash = hash_password(&password)?;
    let mut conn = db.get()?;
    let created_org = write_tx(&mut conn, |conn| {
        if users::queries::email_taken(conn, &email)? {
            return Err(AppError::Conflict(format!(
                "{email} already has an account"
            )));
        }
        let (org_id, created) = match organisations::queries::find_by_slug(conn, &slug)? {
            Some(o) => (o.id, false),
            None => {
                let display = org_name.clone().unwrap_or_else(|| slug.clone());
                (
                    organisations::queries::insert(conn, &display, &slug, OrgKind::Other)?,
                    true,
                )
            }
        };
        users::queries::insert(
            conn,
            &NewUser {
                organisation_id: org_id,
                email: &email,
                name: &name,
                role: Role::PlatformAdmin,
                password_hash: &hash,
            },
        )?;
        metro_portal::audit::record(
            conn,
            metro_portal::audit::Entry::new("user.created_by_cli").target("user", &email),
        )?;
        Ok(created)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if created_org {
        println!("Created organisation {slug}");
    }
    println!("Created platform administrator {email}");
    if generated {
        println!("Password (shown once): {password}");
    }
    Ok(())
}

/// How the command line runs an import.
struct ImportRun {
    dry_run: bool,
    mapping: Option<PathBuf>,
    json: bool,
    /// A workspace's short name, and whether the file holds readings (else actions).
    into: Option<(String, bool)>,
}

fn import(
    settings: &Settings,
    file: &std::path::Path,
    org: &str,
    as_user: Option<&str>,
    run: ImportRun,
) -> anyhow::Result<()> {
    use metro_portal::opportunities::service::Actor;
    use metro_portal::opportunities::transfer::{cli, import, sheet};
    use metro_portal::workspaces::transfer::import::{self as programme, Kind};

    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mapping = mapping_file(run.mapping.as_deref())?;
    let rows = sheet::read(&bytes, &name).map_err(|e| anyhow::anyhow!("{}", problem_text(&e)))?;
    let db = connect(settings)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let email = cli::importer(&mut conn, org, as_user)?;
    let caller = metro_portal::seed::demo_workspaces::caller(&mut conn, &email)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = rows_bar(rows.len(), "Checking");
    let actor = Actor {
        caller: &caller,
        ip: "cli",
    };
    let report = match &run.into {
        Some((slug, readings)) => {
            let kind = if *readings {
                Kind::Readings
            } else {
                Kind::Actions
            };
            let (rows, dry_run) = (rows, run.dry_run);
            programme::import(
                &mut conn,
                &actor,
                slug,
                kind,
                rows,
                mapping.as_ref(),
                dry_run,
            )
        }
        None => import::import(
            &mut conn,
            &actor,
            rows,
            mapping.as_ref(),
            run.dry_run,
            &|done, of| {
                // The rows to write are known once every row is checked.
                bar.set_message("Importing");
                bar.set_length(of as u64);
                bar.set_position(done as u64);
            },
        ),
    }
    .map_err(|e| anyhow::anyhow!("{}", problem_text(&e)))?;
    bar.finish_and_clear();
    if run.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", cli::report_text(&report));
        println!("as {email}");
    }
    if !report.problems.is_empty() {
        eprint!("{}", cli::problems_text(&report));
        std::process::exit(1);
    }
    Ok(())
}

/// The mapping in the file `--mapping` names, if it names one.
fn mapping_file(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<metro_portal::tabular::Mapping>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .map(Some)
        .with_context(|| format!("{} is not a mapping", path.display()))
}

/// A progress bar counting rows.
fn rows_bar(len: usize, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// An error as one line for the terminal, with its field messages.
fn problem_text(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, .. } => {
            fields.values().cloned().collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}
