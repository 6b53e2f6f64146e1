//! Email: rendered from templates/email (subject, text, HTML), queued as a job in the
//! caller's transaction, and sent by the worker over SMTP or into .eml files.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Settings;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, Job};
use crate::web::templates::Templates;

pub const JOB_KIND: &str = "email";

/// A rendered message, as stored in the job queue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// A one-click unsubscribe link (RFC 8058), for mail people did not ask for each time.
    #[serde(default)]
    pub list_unsubscribe: Option<String>,
}

enum Delivery {
    Smtp(Box<SmtpTransport>),
    File(FileTransport),
}

pub struct Mailer {
    transport: Delivery,
    from: Mailbox,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .email
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("email.from is not a valid address: {e}"))?;
        let transport = match settings.email.transport.as_str() {
            "file" => {
                let dir: PathBuf = settings.data_dir.join("mail");
                std::fs::create_dir_all(&dir)?;
                Delivery::File(FileTransport::new(dir))
            }
            "smtp" => {
                let smtp = &settings.email.smtp;
                let mut builder = match smtp.tls.as_str() {
                    "none" => SmtpTransport::builder_dangerous(&smtp.host),
                    "starttls" => SmtpTransport::starttls_relay(&smtp.host)?,
                    "tls" => SmtpTransport::relay(&smtp.host)?,
                    other => {
                        anyhow::bail!("email.smtp.tls must be starttls, tls or none, not {other}")
                    }
                };
                builder = builder
                    .port(smtp.port)
                    .timeout(Some(Duration::from_secs(20)));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        smtp.username.clone(),
                        smtp.password.clone(),
                    ));
                }
                Delivery::Smtp(Box::new(builder.build()))
            }
            other => anyhow::bail!("email.transport must be smtp or file, not {other}"),
        };
        Ok(Mailer { transport, from })
    }

    /// Sends `email` for `job`. The Message-ID comes from the job, so a message sent again
    /// after a crash between the mail server's answer and the job's completion carries the
    /// same Message-ID and mail clients show it once.
    pub fn send(&self, email: &OutgoingEmail, job: &Job) -> anyhow::Result<()> {
        let to: Mailbox = email.to.parse()?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .message_id(Some(format!(
                "<job-{}-{}@{}>",
                job.id,
                job.created_at.and_utc().timestamp_micros(),
                self.from.email.domain()
            )))
            // Every message the portal sends is written by it, not by a person (RFC 3834):
            // mail servers then send it no out-of-office replies.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_string(),
            ));
        if let Some(link) = &email.list_unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{link}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        let message = builder.multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html.clone()),
                ),
        )?;
        match &self.transport {
            Delivery::Smtp(t) => {
                t.send(&message)?;
            }
            Delivery::File(t) => {
                t.send(&message)?;
            }
        }
        Ok(())
    }
}

/// Renders `email/<template>` with `data` and queues it; call inside the transaction of
/// the change that causes it, then wake the worker after commit.
pub fn enqueue(
    conn: &mut DbConn,
    templates: &Templates,
    settings: &Settings,
    to: &str,
    template: &str,
    data: &Value,
) -> AppResult<()> {
    let email = render(templates, to, template, data)?;
    jobs::enqueue(
        conn,
        JOB_KIND,
        &serde_json::to_value(&email)?,
        settings.jobs.max_attempts,
    )?;
    Ok(())
}

/// Renders `email/<template>.subject`, `.txt` and `.html` with `data`.
pub fn render(
    templates: &Templates,
    to: &str,
    template: &str,
    data: &Value,
) -> AppResult<OutgoingEmail> {
    let render = |suffix: &str, html: bool| -> AppResult<String> {
        let name = format!("email/{template}.{suffix}");
        let out = if html {
            templates.html(&name, data)
        } else {
            templates.text(&name, data)
        };
        out.map_err(AppError::Internal)
    };
    Ok(OutgoingEmail {
        to: to.to_string(),
        subject: render("subject", false)?.trim().to_string(),
        text: render("txt", false)?,
        html: render("html", true)?,
        list_unsubscribe: None,
    })
}
