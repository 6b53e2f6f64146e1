//! Uploads of spreadsheets for an import: the multipart body read with the file capped in
//! size (the file, an optional `mapping` as JSON, an optional `header_row`, a dry-run switch
//! and the page's CSRF token), and the file read into rows on the blocking pool, two at a time at most.

use actix_multipart::Multipart;
use actix_web::web;
use futures_util::StreamExt;

use crate::error::{AppError, AppResult};
use crate::tabular::{self, FileLimits, Mapping, Row};

pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub dry_run: bool,
    pub mapping: Option<Mapping>,
    pub csrf: String,
}

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("The upload could not be read: {e}"))
}

/// Reads the parts we know; the file is refused as soon as it passes the size cap.
pub async fn read_upload(mut payload: Multipart, max_bytes: usize) -> AppResult<Upload> {
    let mut upload = Upload {
        filename: String::new(),
        bytes: Vec::new(),
        dry_run: false,
        mapping: None,
        csrf: String::new(),
    };
    let mut got_file = false;
    let mut header_row = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            got_file = true;
            upload.filename = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .unwrap_or("")
                .to_string();
        }
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            data.extend_from_slice(&chunk.map_err(unreadable)?);
            if data.len() > max_bytes {
                return Err(AppError::field(
                    "file",
                    &format!("The file is larger than {} MB", max_bytes / 1024 / 1024),
                ));
            }
        }
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "file" => upload.bytes = data,
            "dry_run" => upload.dry_run = matches!(text().as_str(), "true" | "on" | "yes" | "1"),
            "mapping" if !text().is_empty() => upload.mapping = Some(mapping_of(&text())?),
            "_csrf" => upload.csrf = text(),
            "header_row" if !text().is_empty() => header_row = Some(header_row_of(&text())?),
            _ => {}
        }
    }
    if let Some(n) = header_row {
        // The row the person gave wins over the one a mapping sent with it names.
        let mapping = upload.mapping.get_or_insert_with(Mapping::default);
        mapping.header_row = n;
    }
    if !got_file || upload.bytes.is_empty() {
        return Err(AppError::field(
            "file",
            "Choose a CSV or XLSX file to import",
        ));
    }
    Ok(upload)
}

/// The number of the row that holds the headings, as the spreadsheet numbers its rows.
fn header_row_of(text: &str) -> AppResult<usize> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1_048_576).contains(&n) => Ok(n),
        _ => Err(AppError::field(
            "header_row",
            "Enter the number of the row that holds the headings, like 3",
        )),
    }
}

/// A mapping sent as JSON.
pub fn mapping_of(json: &str) -> AppResult<Mapping> {
    serde_json::from_str(json).map_err(|e| {
        AppError::field(
            "mapping",
            &format!("The mapping is not one this import reads: {e}"),
        )
    })
}

/// Spreadsheets are read two at a time at most, on the blocking pool and holding no database
/// connection, so uploads can neither fill memory nor keep pages from the pool.
static READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub async fn read_rows(
    bytes: Vec<u8>,
    filename: String,
    limits: FileLimits,
) -> AppResult<Vec<Row>> {
    let _turn = READS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    web::block(move || {
        tabular::read(&bytes, &filename, limits).map_err(|m| AppError::field("file", &m))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
}

/// Whether the query asks for a dry run: `dry_run` as true, 1, yes or on (any case). Any
/// other value, or none, is a real run.
pub fn dry_run_asked(req: &actix_web::HttpRequest) -> bool {
    url::form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, v)| {
        k == "dry_run" && matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
    })
}
