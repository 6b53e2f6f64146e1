//! A programme lead's import pages (`web::import`), for a workspace's actions and for its
//! measures' readings: choose a file, check it, change the mapping and check again, then
//! confirm. Lead and member organisations may import; an observer is refused, and a
//! workspace the caller cannot see is not found.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::import::Kind;
use super::LIMITS;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tabular::{Field, FileLimits, Report};
use crate::web::arguments::SignedIn;
use crate::web::import::{self as journey, Batch, ConfirmInput, Importer, Words};
use crate::web::{Crumb, Form};
use crate::workspaces::queries;

/// One workspace's import of one kind.
pub(super) struct WsImport {
    slug: String,
    kind: Kind,
    words: Words,
}

impl WsImport {
    /// The import of `kind` into the workspace `slug`, once the caller may contribute to it.
    async fn of(state: &AppState, caller: &Caller, slug: &str, kind: Kind) -> AppResult<Self> {
        let (c, s) = (caller.clone(), slug.to_string());
        let name = state
            .db
            .run(move |conn| {
                let access = queries::load(conn, &s, Some(&c))?;
                crate::authz::contribute(&c, &access.ws, access.membership)?;
                Ok(access.ws.name)
            })
            .await?;
        let home = format!("/workspaces/{slug}");
        let (path, title, about, list, noun) = match kind {
            Kind::Actions => (
                "actions",
                "Import actions",
                "Bring in the programme's actions from the spreadsheet you keep: a row with \
                 the title of one of its actions updates it, any other row is a new action.",
                ("actions", "Go to the actions"),
                "action",
            ),
            Kind::Readings => (
                "readings",
                "Import readings",
                "Bring in a quarter's figures for the programme's measures: one reading a \
                 row, by measure and quarter; a quarter already recorded is replaced.",
                ("outcomes", "Go to the outcomes and measures"),
                "reading",
            ),
        };
        Ok(WsImport {
            slug: slug.to_string(),
            kind,
            words: Words {
                title: title.into(),
                base: format!("{home}/{path}/import"),
                crumbs: vec![
                    Crumb::new("/workspaces", "Workspaces"),
                    Crumb::new(&home, &name),
                ],
                about: about.into(),
                done: Crumb::new(&format!("{home}/{}", list.0), list.1),
                noun,
            },
        })
    }
}

impl Importer for WsImport {
    fn kind(&self) -> &'static str {
        self.kind.key()
    }

    fn fields(&self) -> &'static [Field] {
        self.kind.fields()
    }

    fn limits(&self) -> FileLimits {
        LIMITS
    }

    fn words(&self) -> &Words {
        &self.words
    }

    async fn run(&self, state: &AppState, batch: Batch) -> AppResult<Report> {
        super::write(state, self.slug.clone(), self.kind, batch).await
    }
}

/// The kind an import page is for, from its path.
fn kind_of(req: &HttpRequest) -> Kind {
    if req.path().contains("/readings/") {
        Kind::Readings
    } else {
        Kind::Actions
    }
}

/// The import the page's path names, once the signed-in person may contribute to its
/// workspace.
async fn importer(at: &SignedIn) -> AppResult<WsImport> {
    let req = at.page.request();
    let slug = req.match_info().get("slug").unwrap_or_default();
    WsImport::of(at.page.state(), &at.caller, slug, kind_of(req)).await
}

pub async fn upload_form(at: SignedIn) -> AppResult<HttpResponse> {
    let imp = importer(&at).await?;
    journey::upload_page(&at.page, &imp, StatusCode::OK, None)
}

pub async fn upload(at: SignedIn, payload: Multipart) -> AppResult<HttpResponse> {
    let imp = importer(&at).await?;
    journey::upload(&at.page, at.caller, payload, &imp).await
}

pub async fn check_again(
    at: SignedIn,
    form: Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let imp = importer(&at).await?;
    journey::check_again(&at.page, at.caller, form.0, &imp).await
}

pub async fn confirm(at: SignedIn, form: Form<ConfirmInput>) -> AppResult<HttpResponse> {
    let imp = importer(&at).await?;
    journey::confirm(&at.page, at.caller, form.0, &imp).await
}

/// The templates, CSV or XLSX with a column guide, for a workspace one may import into.
pub async fn template(
    at: SignedIn,
    format: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let imp = importer(&at).await?;
    match format.1.as_str() {
        "csv" => journey::template(&imp, false),
        "xlsx" => journey::template(&imp, true),
        _ => Err(crate::error::AppError::NotFound),
    }
}
