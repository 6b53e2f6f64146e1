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
