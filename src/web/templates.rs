//! Handlebars templates: built into the binary, each overridable by a file of the same
//! name under the configured templates folder.

use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name, ".hbs")))),*]
    };
}

/// Page templates and partials (HTML-escaped).
const PAGES: &[(&str, &str)] = builtin!(
    "layout",
    "partials/error_summary",
    "partials/pagination",
    "partials/new_password",
    "home",
    "error",
    "accessibility",
    "auth/login",
    "auth/logout",
    "auth/account",
    "auth/password_reset_request",
    "auth/password_reset_sent",
    "auth/password_reset",
    "auth/invitation",
    "admin/index",
    "admin/organisations",
    "admin/users",
    "admin/audit",
    "partials/ws_header",
    "partials/field",
    "workspaces/index",
    "workspaces/form",
    "workspaces/overview",
    "workspaces/members",
    "workspaces/updates",
    "workspaces/post",
    "workspaces/post_form",
    "workspaces/actions",
    "workspaces/action",
    "workspaces/action_form",
    "workspaces/outcomes",
    "workspaces/measure",
    "workspaces/measure_form",
    "opportunities/index",
    "opportunities/form",
    "opportunities/show",
    "imports/upload",
    "imports/preview",
    "partials/follow",
    "notifications/inbox",
    "notifications/settings",
    "notifications/unsubscribe",
    "notifications/webhooks",
    "notifications/webhook",
    "notifications/jobs",
    "dashboard/index",
    "reviews/index",
    "reviews/show",
    "reviews/return",
    "reviews/board_pack",
    "email/invitation.html",
    "email/password_reset.html",
    "email/notification.html",
    "email/digest.html",
);

/// Email subjects and plain-text bodies (not escaped).
const TEXTS: &[(&str, &str)] = builtin!(
    "email/invitation.subject",
    "email/invitation.txt",
    "email/password_reset.subject",
    "email/password_reset.txt",
    "email/notification.subject",
    "email/notification.txt",
    "email/digest.subject",
    "email/digest.txt",
);

pub struct Templates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    /// The pages without their layout, for rendering a page's main part once and keeping it.
    content: Handlebars<'static>,
    strict: bool,
}

/// Where a kept main part goes in the layout (`layout_shell`).
pub const CONTENT_MARK: &str = "\u{1}metro-content\u{1}";

impl Templates {
    pub fn load(override_dir: &Path, strict: bool) -> anyhow::Result<Templates> {
        let mut html = Handlebars::new();
        let mut text = Handlebars::new();
        let mut content = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        let add = |registry: &mut Handlebars<'static>, name: &str, source: String| {
            registry
                .register_template_string(name.strip_prefix("partials/").unwrap_or(name), source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))
        };
        let source = |name: &str, builtin: &str| {
            std::fs::read_to_string(override_dir.join(format!("{name}.hbs")))
                .unwrap_or_else(|_| builtin.to_string())
        };
        for registry in [&mut html, &mut text, &mut content] {
            registry.set_strict_mode(strict);
        }
        let mut layout = String::new();
        for (name, builtin) in PAGES {
            let page = source(name, builtin);
            add(&mut html, name, page.clone())?;
            add(&mut content, name, page.clone())?;
            if *name == "layout" {
                layout = page;
            }
        }
        for (name, builtin) in TEXTS {
            add(&mut text, name, source(name, builtin))?;
        }
        // The layout twice more: around a main part rendered earlier (with a mark where it
        // goes), and as nothing at all, for rendering that main part alone.
        let block = "{{> @partial-block }}";
        if !layout.contains(block) {
            anyhow::bail!("template layout: it must contain {block} where each page goes");
        }
        add(
            &mut html,
            "layout_shell",
            layout.replacen(block, CONTENT_MARK, 1),
        )?;
        add(&mut content, "layout", block.to_string())?;
        Ok(Templates {
            html,
            text,
            content,
            strict,
        })
    }

    /// In strict mode (the tests) a failed render is written to stderr too, naming the
    /// template and the missing value, since the page itself only shows a 500.
    fn told(&self, e: &handlebars::RenderError) {
        if self.strict {
            eprintln!("template error: {e}");
        }
    }

    /// A page's main part alone, without the layout around it.
    pub fn content<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        Ok(self
            .content
            .render(name, data)
            .inspect_err(|e| self.told(e))?)
    }

    pub fn html<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        Ok(self.html.render(name, data).inspect_err(|e| self.told(e))?)
    }

    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        Ok(self.text.render(name, data).inspect_err(|e| self.told(e))?)
    }
}
