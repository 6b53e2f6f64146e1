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
    let titles: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
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
