//! A programme lead brings a quarter's actions and figures in from their own spreadsheet:
//! their headings, Excel dates and day-first dates, RAG as R/A/G, progress as 40%, owners by
//! name, quarters written as they write them; an unchanged file changes nothing.

use metro_portal::users::Role;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{json, Value};

use crate::common::*;

fn actions_workbook(progress: f64) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .write_string(0, 0, "Transport programme: must-dos")
        .unwrap();
    for (c, h) in [
        "Action",
        "Lead",
        "Start",
        "Deadline",
        "Status",
        "% complete",
        "RAG",
        "Commentary",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    sheet.write_string(3, 0, "Bus priority on the A52").unwrap();
    sheet.write_string(3, 1, "Org own-council").unwrap();
    sheet
        .write_datetime_with_format(3, 2, ExcelDateTime::from_ymd(2026, 4, 1).unwrap(), &date)
        .unwrap();
    sheet.write_string(3, 3, "31/03/2027").unwrap();
    sheet.write_string(3, 4, "Ongoing").unwrap();
    sheet.write_number(3, 5, progress).unwrap();
    sheet.write_string(3, 6, "A").unwrap();
    sheet
        .write_string(3, 7, "Utility works delayed the start")
        .unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn actions_come_in_from_a_programme_leads_workbook_and_again_change_nothing() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let token = app.token(t.own(Role::Staff)).await;
    let path = "/api/v1/workspaces/pub-ws/actions/import";
    let (status, report) = app
        .import_at(path, &token, "a.xlsx", actions_workbook(0.4), true, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["header_row"], 3);
    let columns = &report["mapping"]["columns"];
    for (heading, field) in [
        ("Action", "title"),
        ("Lead", "owner"),
        ("Start", "start_date"),
        ("Deadline", "due_date"),
        ("Status", "status"),
        ("% complete", "progress"),
        ("RAG", "rag"),
        ("Commentary", "rag_reason"),
    ] {
        assert_eq!(columns[heading], field, "{heading}: {report}");
    }
    let before = (app.count("actions"), app.count("events"));
    assert_eq!(report["counts"]["create"], 1);
    assert_eq!(before.0, app.count("actions"), "a preview writes nothing");

    let (status, report) = app
        .import_at(path, &token, "a.xlsx", actions_workbook(0.4), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    let list: Value = app
        .api_get(&token, "/api/v1/workspaces/pub-ws/actions?per_page=100")
        .await
        .json()
        .await
        .unwrap();
    let action = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Bus priority on the A52")
        .unwrap()
        .clone();
    assert_eq!(
        (
            &action["start_date"],
            &action["due_date"],
            &action["status"],
            &action["progress"],
            &action["rag"]
        ),
        (
            &json!("2026-04-01"),
            &json!("2027-03-31"),
            &json!("in_progress"),
            &json!(40),
            &json!("amber")
        ),
        "{action}"
    );

    // Again: remembered mapping, nothing changes, nobody told.
    let after = (app.count("actions"), app.count("events"));
    let (status, report) = app
        .import_at(path, &token, "a.xlsx", actions_workbook(0.4), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["counts"]["unchanged"], 1, "{report}");
    assert_eq!((app.count("actions"), app.count("events")), after);

    // A new figure: an update, old → new.
    let (status, report) = app
        .import_at(path, &token, "a.xlsx", actions_workbook(0.6), true, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["changes"][0]["action"], "update");
    assert_eq!(
        report["changes"][0]["fields"],
        json!([{ "field": "Progress", "old": "40", "new": "60" }])
    );
}

#[tokio::test]
async fn a_quarters_readings_come_in_and_bad_rows_say_what_was_found() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let token = app.token(t.own(Role::Staff)).await;
    let path = "/api/v1/workspaces/pub-ws/readings/import";
    let file = "KPI,Period,Actual,Comment\nPublic transport share,Q3 2026/27,21.5,Up after the timetable change\nPublic transport share,31/03/2027,22,\n";
    let (status, report) = app
        .import_at(path, &token, "r.csv", file.into(), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["counts"]["create"], 2, "{report}");
    assert_eq!(
        change_titles(&report),
        [
            "Public transport share for 2026/27 Q3",
            "Public transport share for 2026/27 Q4"
        ]
    );
    let events = app.count("events");
    let (status, report) = app
        .import_at(path, &token, "r.csv", file.into(), false, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(report["counts"]["unchanged"], 2, "{report}");
    assert_eq!(app.count("events"), events, "unchanged figures tell nobody");

    let bad =
        "KPI,Period,Actual\nBus punctuality,Q3 2026/27,90\nPublic transport share,soon,lots\n";
    let before = app.count("readings");
    let (status, report) = app
        .import_at(path, &token, "r.csv", bad.into(), false, None)
        .await;
    assert_eq!(status, 422, "{report}");
    let problems = problems_of(&report);
    assert_eq!(
        problems,
        ["2: KPI = Bus punctuality", "3: Period = soon"],
        "{report}"
    );
    assert_eq!(
        report["problems"][0]["choices"],
        json!(["Public transport share"])
    );
    assert_eq!(app.count("readings"), before, "all or nothing");
}

/// The value of the hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

/// Uploads `file` on the page at `base`, with its form token and the heading row given.
async fn upload_on_page(
    browser: &Browser,
    base: &str,
    header_row: &str,
    file: &str,
) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("_csrf", browser.csrf().await)
        .text("header_row", header_row.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(file.as_bytes().to_vec()).file_name("r.csv"),
        );
    let res = browser
        .client
        .post(format!("{}{base}", browser.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_programme_lead_imports_readings_on_the_page_from_the_heading_row_they_give() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let base = "/workspaces/pub-ws/readings/import";

    // The page offers its templates, with the readings' own columns.
    let (status, html) = browser.get_html(base).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Import readings") && html.contains("template.xlsx"));
    let (status, html) = browser.get_html("/workspaces/pub-ws/outcomes").await;
    assert_eq!(status, 200);
    assert!(html.contains(base), "the measures link to their import");
    let template = browser.get(&format!("{base}/template.csv")).await;
    assert_eq!(template.status(), 200);
    let template = template.text().await.unwrap();
    assert!(
        template.contains("measure,quarter,value") && template.contains("Example row"),
        "{template}"
    );

    // A title row that reads like headings: the person says where the headings are.
    let file = "Measure,Quarter,Value\nFigures for the board,,\nKPI,Period,Actual\n\
                Public transport share,Q3 2026/27,21.5\nPublic transport share,Q4 2026/27,22\n";
    let before = (app.count("readings"), app.count("import_uploads"));
    let (status, html) = upload_on_page(&browser, base, "three", file).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Enter the number of the row that holds the headings"));
    assert_eq!((app.count("readings"), app.count("import_uploads")), before);
    let (status, html) = upload_on_page(&browser, base, "3", file).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("headings on row 3"), "{html}");
    assert!(html.contains("Ready: 2 would be created"), "{html}");
    assert_eq!(app.count("readings"), before.0, "a preview writes nothing");

    let (upload, mapping) = (hidden(&html, "upload"), hidden(&html, "mapping"));
    let confirm = format!("{base}/confirm");
    let fields = [("upload", upload.as_str()), ("mapping", mapping.as_str())];
    let res = browser.post(&confirm, &fields).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Imported 2 rows from r.csv: 2 created"),
        "the counts add up to the rows: {html}"
    );
    assert!(html.contains("/workspaces/pub-ws/outcomes"), "the way back");
    assert_eq!(app.count("readings"), before.0 + 2);
    // Taken once imported: a second press imports nothing.
    let res = browser.post(&confirm, &fields).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("no longer kept"));
    assert_eq!(app.count("readings"), before.0 + 2);

    // An observer organisation's people may not import; a workspace out of sight is not there.
    let (status, _) = browser.get_html("/workspaces/obs-ws/actions/import").await;
    assert_eq!(status, 403);
    let (status, _) = browser
        .get_html("/workspaces/other-ws/actions/import")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn readings_kept_a_column_a_quarter_come_in_one_reading_a_cell() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let token = app.token(t.own(Role::Staff)).await;
    let path = "/api/v1/workspaces/pub-ws/readings/import";
    let file = "Transport tracker,,,\n,,,\nKPI,2026/27 Q1,2026/27 Q2,Commentary\n\
                Public transport share,20.5,,Before the timetable change\n\
                Bus punctuality,91,92,\n";
    let before = app.count("readings");
    let (status, report) = app
        .import_at(path, &token, "wide.csv", file.into(), true, None)
        .await;
    assert_eq!(status, 422, "{report}");
    assert_eq!(report["header_row"], 3, "{report}");
    assert_eq!(report["read_across"], json!(["2026/27 Q1", "2026/27 Q2"]));
    // The unknown measure is named on its own spreadsheet row, once for each of its quarters.
    assert_eq!(
        problems_of(&report),
        ["5: KPI = Bus punctuality", "5: KPI = Bus punctuality"],
        "{report}"
    );
    let file = "Transport tracker,,,\n,,,\nKPI,2026/27 Q1,2026/27 Q2,Commentary\n\
                Public transport share,20.5,21,Before the timetable change\n";
    let (status, report) = app
        .import_at(path, &token, "wide.csv", file.into(), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["mapping"]["columns"]["Commentary"], "note");
    assert_eq!(
        change_titles(&report),
        [
            "Public transport share for 2026/27 Q1",
            "Public transport share for 2026/27 Q2"
        ]
    );
    assert_eq!(app.count("readings"), before + 2);

    // The page says which columns were read as quarters, and counts readings, not rows.
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let next = file.replace("20.5,21", "22,23");
    let base = "/workspaces/pub-ws/readings/import";
    let (status, html) = upload_on_page(&browser, base, "", &next).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("2 readings."), "{html}");
    assert!(
        html.contains("Your columns 2026/27 Q1 and 2026/27 Q2 are quarters"),
        "{html}"
    );
    assert!(html.contains("0 would be created, 2 updated"), "{html}");
    assert!(html.contains("Import these readings</button>"), "{html}");
    // A file a reading a row says nothing of it.
    let long = "Measure,Quarter,Value\nPublic transport share,2026/27 Q3,20\n";
    let (status, report) = app
        .import_at(path, &token, "long.csv", long.into(), true, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["read_across"], json!([]), "{report}");
}

/// The titles of a report's changes, in row order.
fn change_titles(report: &Value) -> Vec<&str> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect()
}
