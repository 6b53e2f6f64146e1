//! The register in and out of spreadsheets: exports of the current view (CSV, XLSX, JSON)
//! and imports of a council's own rows, planned in full before anything is written.

pub mod cli;
pub mod export;
pub mod fields;
pub mod import;
pub mod plan;
pub mod preview;
pub mod reading;
pub mod sheet;
pub mod upload;

use crate::web::routes::Routes;

pub fn routes(r: &mut Routes) {
    r.api(export::__path_api_export, export::api_export)
        .api(upload::__path_api_import, upload::api_import)
        .get("/opportunities/export.{format}", export::page_export)
        .get("/opportunities/import", preview::import_form)
        .post("/opportunities/import", preview::page_upload)
        .post("/opportunities/import/preview", preview::preview_again)
        .post("/opportunities/import/confirm", preview::confirm)
        .get("/opportunities/import/template.csv", preview::template_csv)
        .get(
            "/opportunities/import/template.xlsx",
            preview::template_xlsx,
        );
}
