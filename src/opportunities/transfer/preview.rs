//! The register's import pages (`web::import`): choose a file, check it, change the mapping
//! and check again, then confirm. Anyone who may log opportunities may import them.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::fields::FIELDS;
use super::import::KIND;
use super::sheet::LIMITS;
use super::upload::run;
use crate::authz;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tabular::{Field, FileLimits, Report};
use crate::web::arguments::SignedIn;
use crate::web::import::{self, Batch, ConfirmInput, Importer, Words};
use crate::web::{Crumb, Form};

/// The register's import, as its pages walk it.
struct Register(Words);

fn register() -> Register {
    Register(Words {
        title: "Import opportunities".into(),
        base: "/opportunities/import".into(),
        crumbs: vec![Crumb::new("/opportunities", "Opportunities")],
        about: "Bring in the register of shared-service ideas you already keep.".into(),
        done: Crumb::new("/opportunities", "Go to the register"),
        noun: "opportunity",
    })
}

impl Importer for Register {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn limits(&self) -> FileLimits {
        LIMITS
    }

    fn words(&self) -> &Words {
        &self.0
    }

    async fn run(&self, state: &AppState, batch: Batch) -> AppResult<Report> {
        run(state, batch).await
    }
}

pub async fn import_form(at: SignedIn) -> AppResult<HttpResponse> {
    authz::log_opportunity(&at.caller)?;
    import::upload_page(&at.page, &register(), StatusCode::OK, None)
}

/// The page's upload: kept and checked; nothing is written.
pub async fn page_upload(at: SignedIn, payload: Multipart) -> AppResult<HttpResponse> {
    authz::log_opportunity(&at.caller)?;
    import::upload(&at.page, at.caller, payload, &register()).await
}

/// Checks the kept file again with the mapping as changed on the page.
pub async fn preview_again(
    at: SignedIn,
    form: Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    authz::log_opportunity(&at.caller)?;
    import::check_again(&at.page, at.caller, form.0, &register()).await
}

/// Imports the kept file as checked, all rows or none.
pub async fn confirm(at: SignedIn, form: Form<ConfirmInput>) -> AppResult<HttpResponse> {
    authz::log_opportunity(&at.caller)?;
    import::confirm(&at.page, at.caller, form.0, &register()).await
}

/// The register's templates: CSV, and XLSX with a column guide.
pub async fn template_csv() -> AppResult<HttpResponse> {
    import::template(&register(), false)
}

pub async fn template_xlsx() -> AppResult<HttpResponse> {
    import::template(&register(), true)
}
