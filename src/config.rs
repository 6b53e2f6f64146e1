//! Typed settings, layered: built-in defaults -> optional file -> environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub email: EmailSettings,
    pub jobs: JobSettings,
    pub notifications: NotificationSettings,
    pub webhooks: WebhookSettings,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub base_url: String,
    pub trust_forwarded_for: bool,
    pub templates_dir: PathBuf,
    /// Fail a render that names a missing value (the tests turn this on).
    #[serde(default)]
    pub strict_templates: bool,
    pub workers: usize,
}

#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    /// How often `serve` reads the data version to learn of changes made elsewhere; 0
    /// reads it on every request instead.
    pub watch_ms: u64,
}

#[derive(Clone, Deserialize)]
pub struct SecuritySettings {
    pub jwt_secret: String,
    pub session_hours: i64,
    pub api_token_hours: i64,
    pub invitation_days: i64,
    pub password_reset_minutes: i64,
    /// Failures from clients without a device cookie before the account refuses them.
    pub max_failures_per_account: i64,
    /// Failures from one address before it is refused for accounts with failures of their own.
    pub max_failures_per_client: i64,
    /// Failures from one signed-in-before device before that device is refused.
    pub max_failures_per_device: i64,
    pub failure_window_minutes: i64,
    /// How long a device cookie marks a browser or API client as one that signed in before.
    pub device_cookie_days: i64,
    pub max_concurrent_hashes: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EmailSettings {
    pub transport: String,
    pub from: String,
    pub smtp: SmtpSettings,
}

#[derive(Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct JobSettings {
    pub poll_interval_ms: u64,
    pub max_attempts: i32,
    /// Seconds before the first retry; each later retry waits twice as long.
    pub retry_base_seconds: i64,
    /// Run the job worker inside `serve` (off when workers run as `metro-portal worker`).
    pub run_in_serve: bool,
    /// How many jobs each worker process runs at once. Sending mail is mostly waiting on
    /// the mail server, so a few at once go much faster.
    pub concurrency: usize,
    /// Let workers queue the daily and weekly digests and the review reminders when they
    /// fall due (off when `metro-portal send-digests` runs from a scheduler instead).
    pub schedule: bool,
    /// Database connections the jobs of one process share: a pool apart from the pages'
    /// one, so that no amount of work in the queue takes a connection from a page.
    pub pool_size: u32,
    /// At most this many jobs of a kind run at once in one process (kinds not named here
    /// are bounded only by `concurrency`). Jobs that wait on other servers (webhooks, mail)
    /// are bounded so that a receiver that never answers holds only its kind's share.
    pub limits: std::collections::HashMap<String, usize>,
    /// At most this many jobs of one lane (one organisation's webhook deliveries) at once.
    pub per_lane: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct NotificationSettings {
    /// The hour (UTC) at which daily digests go out; weekly ones go on Mondays.
    pub digest_hour: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WebhookSettings {
    /// Allow webhook addresses on private, loopback and link-local networks.
    pub allow_private_addresses: bool,
    pub timeout_seconds: u64,
    pub max_attempts: i32,
}

// Secrets never reach the logs: these Debug impls leave them out.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl std::fmt::Debug for SecuritySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecuritySettings")
            .field("jwt_secret", &"<redacted>")
            .field("session_hours", &self.session_hours)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A database URL with any password removed, for printing.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

impl Settings {
    /// Defaults, then `file` if given, then `METRO__…` and `DATABASE_URL` from the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, config::ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("METRO")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        builder.build()?.try_deserialize()
    }

    /// The database URL in force: the configured one or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        if self.database.url.trim().is_empty() {
            self.data_dir
                .join("metro.db")
                .to_string_lossy()
                .into_owned()
        } else if crate::db::Backend::from_url(&self.database.url) == crate::db::Backend::Sqlite {
            crate::db::Backend::sqlite_path(&self.database.url).to_string()
        } else {
            self.database.url.clone()
        }
    }

    pub fn uses_https(&self) -> bool {
        self.server.base_url.starts_with("https://")
    }

    pub fn base_url(&self) -> &str {
        self.server.base_url.trim_end_matches('/')
    }

    /// Settles `server.base_url`, the address people reach the portal at: every link in
    /// mail, feeds and webhooks starts with it, whichever command sends them. A configured
    /// address must be an absolute `http://` or `https://` one with a host. An empty one is
    /// `http://<host>:<port>`, where `port` is the port `serve` listens on (or the configured
    /// one, for the commands that only send); that works out only when the host is one
    /// address, not "all addresses", and the port is known.
    pub fn settle_base_url(&mut self, port: u16) -> anyhow::Result<()> {
        let configured = self.server.base_url.trim();
        if !configured.is_empty() {
            let parsed = url::Url::parse(configured).ok();
            let usable = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
                    && u.query().is_none()
                    && u.fragment().is_none()
            });
            anyhow::ensure!(
                usable,
                "server.base_url (METRO__SERVER__BASE_URL) is {configured:?}: it must be the \
                 address people use to reach the portal, like https://metro.example.gov.uk"
            );
            self.server.base_url = configured.trim_end_matches('/').to_string();
            return Ok(());
        }
        let host = self.server.host.trim();
        let all_addresses = host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified());
        anyhow::ensure!(
            !host.is_empty() && !all_addresses && port != 0,
            "set server.base_url (METRO__SERVER__BASE_URL) to the address people use to reach \
             the portal, like https://metro.example.gov.uk: links in emails are built from it, \
             and it cannot be worked out from host {host:?} and port {port}"
        );
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        self.server.base_url = format!("http://{host}:{port}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled(host: &str, base_url: &str, port: u16) -> anyhow::Result<String> {
        let mut settings = Settings::load(None).unwrap();
        settings.server.host = host.to_string();
        settings.server.base_url = base_url.to_string();
        settings.settle_base_url(port)?;
        Ok(settings.server.base_url)
    }

    #[test]
    fn the_public_address_is_configured_or_worked_out_from_one_listening_address() {
        let ok = |host, base, port| settled(host, base, port).unwrap();
        assert_eq!(
            ok("0.0.0.0", "https://metro.example.gov.uk/", 0),
            "https://metro.example.gov.uk"
        );
        assert_eq!(
            ok("127.0.0.1", " http://portal.derby.example/metro ", 8080),
            "http://portal.derby.example/metro"
        );
        assert_eq!(ok("127.0.0.1", "", 8321), "http://127.0.0.1:8321");
        assert_eq!(ok("localhost", "", 8080), "http://localhost:8080");
        assert_eq!(ok("::1", "", 8080), "http://[::1]:8080");
        for (host, base, port) in [
            ("0.0.0.0", "", 8080),
            ("::", "", 8080),
            ("[::]", "", 8080),
            ("", "", 8080),
            ("127.0.0.1", "", 0),
            ("127.0.0.1", "metro.example", 8080),
            ("127.0.0.1", "ftp://metro.example", 8080),
            ("127.0.0.1", "https://", 8080),
            ("127.0.0.1", "https://metro.example/?a=1", 8080),
        ] {
            let refused = settled(host, base, port);
            assert!(refused.is_err(), "{host:?} {base:?} {port}: {refused:?}");
            assert!(refused.unwrap_err().to_string().contains("server.base_url"));
        }
    }
}
