use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use metro_portal::auth::passwords::{check_new_password, hash_password};
use metro_portal::auth::tokens::random_token;
use metro_portal::config::{redact_url, Settings};
use metro_portal::db::{write_tx, Db};
use metro_portal::demo::{self, Seeded};
use metro_portal::error::AppError;
use metro_portal::organisations::{self, OrgKind};
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
    /// Import opportunities from a CSV or XLSX file, led by an organisation. Every row is
    /// checked first; then all are written, or none. Rows whose reference exists are updated.
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
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
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

fn main() -> anyhow::Result<()> {
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
        } => import(&settings, &file, &org, as_user.as_deref(), dry_run),
    }
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

fn import(
    settings: &Settings,
    file: &std::path::Path,
    org: &str,
    as_user: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<()> {
    use diesel::prelude::*;
    use metro_portal::opportunities::import;
    use metro_portal::opportunities::service::Actor;
    use metro_portal::schema::{organisations, users};

    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sheet = import::read(&bytes, &name).map_err(|e| anyhow::anyhow!("{}", problem_text(&e)))?;
    let db = connect(settings)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let org_id: i64 = organisations::table
        .filter(organisations::slug.eq(org))
        .select(organisations::id)
        .first(&mut conn)
        .optional()?
        .ok_or_else(|| anyhow::anyhow!("--org: no organisation has the short name {org}"))?;
    let mut people = users::table
        .filter(users::organisation_id.eq(org_id))
        .filter(users::status.eq("active"))
        .filter(users::role.eq_any(["org_admin", "leader", "staff"]))
        .order((users::role.asc(), users::id.asc()))
        .select(users::email)
        .into_boxed();
    if let Some(email) = as_user {
        people = people.filter(users::email.eq(email.to_lowercase()));
    }
    let email: String = people.first(&mut conn).optional()?.ok_or_else(|| {
        anyhow::anyhow!("no active staff, leader or administrator of {org} to import as")
    })?;
    let caller = metro_portal::demo_workspaces::caller(&mut conn, &email)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = indicatif::ProgressBar::new(sheet.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("Importing");
    let report = import::import(
        &mut conn,
        &Actor {
            caller: &caller,
            ip: "cli",
        },
        &sheet,
        dry_run,
        &|done| {
            bar.set_position(done as u64);
        },
    )
    .map_err(|e| anyhow::anyhow!("{}", problem_text(&e)))?;
    bar.finish_and_clear();
    if !report.problems.is_empty() {
        eprintln!(
            "Nothing was imported: {} problem(s) in {} rows",
            report.problems.len(),
            report.rows
        );
        for p in &report.problems {
            eprintln!("  row {}, {}: {}", p.row, p.column, p.message);
        }
        std::process::exit(1);
    }
    let verb = if report.dry_run { "would be" } else { "were" };
    println!(
        "{} rows checked: {} {verb} created and {} {verb} updated, as {email}",
        report.rows, report.created, report.updated
    );
    Ok(())
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
