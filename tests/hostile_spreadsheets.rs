//! Hostile workbooks against the running portal: each kind of file that declares or unpacks
//! to more than an import can be is refused with a 422 that names the problem, nothing is
//! written, the process's memory stays within 100 MB of what it was before, and /healthz
//! answers throughout. The same files are refused by the reader the command-line import uses.
//! A test binary of its own, so the memory it measures is this portal's alone.

#[path = "common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{spawn_app, TestApp};
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Register" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// A header row and one opportunity, as inline strings.
fn good_rows() -> String {
    let row = |n: u32, cells: &[&str]| {
        let cells: String = cells
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let col = (b'A' + i as u8) as char;
                format!(r#"<c r="{col}{n}" t="inlineStr"><is><t>{v}</t></is></c>"#)
            })
            .collect();
        format!(r#"<row r="{n}">{cells}</row>"#)
    };
    row(1, &["title", "summary", "service_area", "type"])
        + &row(2, &["Shared legal", "One team", "legal", "other"])
}

fn sheet(dimension: &str, rows: &str) -> String {
    format!(
        r#"{SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
    )
}

const SST_SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>x</t></si></sst>"#;

/// A workbook from its parts; `big` parts are written in chunks so a large one is never whole
/// in memory here either.
fn workbook(
    parts: &[(&str, &str)],
    extra: impl FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>),
) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        zip.start_file(*name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    extra(&mut zip);
    zip.finish().unwrap().into_inner()
}

fn with_sheet(sheet_xml: &str, sst: &str, styles: &str) -> Vec<u8> {
    workbook(
        &[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/worksheets/sheet1.xml", sheet_xml),
            ("xl/sharedStrings.xml", sst),
            ("xl/styles.xml", styles),
        ],
        |_| {},
    )
}

fn base_parts() -> Vec<(&'static str, &'static str)> {
    vec![
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/sharedStrings.xml", SST_SMALL),
        ("xl/styles.xml", STYLES),
    ]
}

/// A sheet that unpacks to `mb` megabytes (blank space inside its data) from a small zip.
fn bomb(part: &'static str, mb: usize) -> Vec<u8> {
    let parts: Vec<_> = base_parts()
        .into_iter()
        .filter(|(n, _)| *n != part)
        .collect();
    workbook(&parts, |zip| {
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(part, options).unwrap();
        let (head, tail) = if part.contains("sheet") {
            (
                format!("{SHEET_HEAD}<sheetData>"),
                "</sheetData></worksheet>",
            )
        } else {
            (
                r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#.to_string(),
                "</t></si></sst>",
            )
        };
        zip.write_all(head.as_bytes()).unwrap();
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..mb {
            zip.write_all(&chunk).unwrap();
        }
        zip.write_all(tail.as_bytes()).unwrap();
        if !part.contains("sheet") {
            zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
            zip.write_all(sheet("A1:D2", &good_rows()).as_bytes())
                .unwrap();
        }
    })
}

/// A workbook whose headers declare a part far larger than it is (about 4 GB).
fn lying_sizes() -> Vec<u8> {
    let mut bytes = with_sheet(&sheet("A1:D2", &good_rows()), SST_SMALL, STYLES);
    let declared = 0xFFFF_FFF0u32.to_le_bytes();
    // Local headers (PK\x03\x04) keep the unpacked size at offset 22, central ones
    // (PK\x01\x02) at 24.
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let mut at = 0;
        while let Some(found) = bytes[at..].windows(4).position(|w| w == signature) {
            let start = at + found + offset;
            bytes[start..start + 4].copy_from_slice(&declared);
            at = at + found + 4;
        }
    }
    bytes
}

fn hostile_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let huge_count = SST_SMALL.replace(
        r#"count="1" uniqueCount="1""#,
        r#"count="4000000000" uniqueCount="4000000000""#,
    );
    let corners = format!(
        "{}<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>",
        good_rows()
    );
    let many_rows: String = (1..=30_000)
        .map(|n| format!("<row r=\"{n}\"><c><v>1</v></c></row>"))
        .collect();
    let wide_row: String = format!("<row r=\"3\">{}</row>", "<c><v>1</v></c>".repeat(20_000));
    let many_parts = workbook(&base_parts(), |zip| {
        let options = SimpleFileOptions::default();
        for n in 0..5_000 {
            zip.start_file(format!("xl/media/part{n}.bin"), options)
                .unwrap();
        }
    });
    vec![
        (
            "a shared-string count of four billion",
            with_sheet(&sheet("A1:D2", &good_rows()), &huge_count, STYLES),
            "shared strings",
        ),
        (
            "a dimension of the whole sheet",
            with_sheet(&sheet("A1:XFD1048576", &good_rows()), SST_SMALL, STYLES),
            "declares",
        ),
        (
            "cells at opposite corners",
            with_sheet(&sheet("A1:D2", &corners), SST_SMALL, STYLES),
            "larger than an import",
        ),
        (
            "thirty thousand rows",
            with_sheet(&sheet("A1:D2", &many_rows), SST_SMALL, STYLES),
            "larger than an import",
        ),
        (
            "a row twenty thousand cells wide",
            with_sheet(
                &sheet("A1:D3", &(good_rows() + &wide_row)),
                SST_SMALL,
                STYLES,
            ),
            "larger than an import",
        ),
        (
            "a style count of a billion",
            with_sheet(
                &sheet("A1:D2", &good_rows()),
                SST_SMALL,
                &STYLES.replace(r#"count="1""#, r#"count="1000000000""#),
            ),
            "styles",
        ),
        (
            "a sheet that unpacks to 500 MB",
            bomb("xl/worksheets/sheet1.xml", 500),
            "unpacks to more than",
        ),
        (
            "shared strings that unpack to 200 MB",
            bomb("xl/sharedStrings.xml", 200),
            "unpacks to more than",
        ),
        (
            "headers that declare 4 GB parts",
            lying_sizes(),
            "unpacks to more than",
        ),
        ("five thousand parts", many_parts, "parts"),
    ]
}

fn resident_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Samples resident memory every few milliseconds until stopped; gives the highest.
fn watch_memory(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(resident_kb());
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    })
}

/// Asks /healthz every 50 ms until stopped; counts answers that were not a quick 200.
fn watch_health(
    app: &TestApp,
    stop: Arc<AtomicBool>,
) -> (tokio::task::JoinHandle<()>, Arc<AtomicU64>, Arc<AtomicU64>) {
    let (bad, asked) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (client, url) = (app.api(), app.url("/healthz"));
    let (b, a) = (bad.clone(), asked.clone());
    let task = tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let ok = client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            a.fetch_add(1, Ordering::Relaxed);
            if !ok || started.elapsed() > Duration::from_secs(1) {
                b.fetch_add(1, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    (task, bad, asked)
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("register.xlsx"),
    );
    let res = app
        .api()
        .post(app.url("/api/v1/opportunities/import?dry_run=false"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_workbooks_are_refused_within_bounded_memory_while_the_portal_answers() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let staff = app.create_user(org, Role::Staff);
    let token = app.token(&staff).await;
    let files = hostile_files();
    for (what, bytes, _) in &files {
        assert!(
            bytes.len() <= metro_portal::opportunities::transfer::sheet::MAX_BYTES,
            "{what} is {} bytes",
            bytes.len()
        );
    }
    // Warm the paths once with a good workbook, then measure from there.
    let (status, body) = upload(
        &app,
        &token,
        with_sheet(&sheet("A1:D2", &good_rows()), SST_SMALL, STYLES),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let before = app.count("opportunities");
    let idle = resident_kb();

    let stop = Arc::new(AtomicBool::new(false));
    let memory = watch_memory(stop.clone());
    let (health, unhealthy, asked) = watch_health(&app, stop.clone());
    for (what, bytes, says) in &files {
        let (status, body) = upload(&app, &token, bytes.clone()).await;
        assert_eq!(status, 422, "{what}: {body}");
        let message = body["fields"]["file"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{what}: {message}");
    }
    // Several at once, as an attacker would send them.
    let mut at_once = Vec::new();
    for (_, bytes, _) in files.iter().take(8) {
        let (app_url, client, token, bytes) = (
            app.url("/api/v1/opportunities/import"),
            app.api(),
            token.clone(),
            bytes.clone(),
        );
        at_once.push(tokio::spawn(async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("r.xlsx"),
            );
            client
                .post(app_url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for task in at_once {
        assert_eq!(task.await.unwrap(), 422);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    health.await.unwrap();
    let peak = memory.join().unwrap();

    assert_eq!(app.count("opportunities"), before, "nothing is written");
    assert!(asked.load(Ordering::Relaxed) > 0);
    assert_eq!(
        unhealthy.load(Ordering::Relaxed),
        0,
        "/healthz answered throughout"
    );
    let above = peak.saturating_sub(idle) / 1024;
    assert!(
        above < 100,
        "resident memory rose {above} MB above idle ({idle} kB)"
    );
}

#[test]
fn the_reader_the_command_line_uses_refuses_the_same_files() {
    for (what, bytes, says) in hostile_files() {
        match metro_portal::opportunities::transfer::sheet::read(&bytes, "register.xlsx") {
            Ok(_) => panic!("{what} was read"),
            Err(e) => {
                let text = format!("{e:?}");
                assert!(text.contains(says), "{what}: {text}");
            }
        }
    }
}

/// The limits leave room for a real register: 5,000 rows, the template's columns and a
/// council's own extra ones.
#[test]
fn a_full_register_with_extra_columns_is_within_the_limits() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = ["title", "summary", "service_area", "type"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for c in 4..40u16 {
        sheet.write_string(0, c, format!("our column {c}")).unwrap();
    }
    for r in 1..=metro_portal::opportunities::transfer::sheet::MAX_ROWS as u32 {
        sheet.write_string(r, 0, format!("Idea {r}")).unwrap();
        sheet
            .write_string(
                r,
                1,
                "A shared service for the Metro, described at some length so the strings are real",
            )
            .unwrap();
        sheet.write_string(r, 2, "legal").unwrap();
        sheet.write_string(r, 3, "other").unwrap();
        for c in 4..40u16 {
            sheet
                .write_number(r, c, f64::from(r * u32::from(c)))
                .unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let read = metro_portal::opportunities::transfer::sheet::read(&bytes, "register.xlsx");
    let rows = read.unwrap_or_else(|e| panic!("refused: {e:?}"));
    assert_eq!(
        rows.len(),
        metro_portal::opportunities::transfer::sheet::MAX_ROWS + 1,
        "the headings and every row"
    );
}
