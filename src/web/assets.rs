//! Static assets, built into the binary: no CDN, no build step.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::AppError;

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "metro.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/css/metro.css"),
    ),
    (
        "print.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/css/print.css"),
    ),
    (
        "metro.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/metro.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/img/favicon.svg"),
    ),
];

pub async fn asset(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}
