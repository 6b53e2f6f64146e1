//! A council's own reference for an opportunity ("your reference"), kept beside the portal's
//! OPP- reference: typed on the form, sent by the API, read from an import, written to the
//! export, shown on the page and found by the search, on both engines.

use crate::common::{answer, items, spawn_with_user, TestApp, TestUser};
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;
use serde_json::{json, Value};

struct Setup {
    app: TestApp,
    lead: TestUser,
    token: String,
}

async fn setup() -> Setup {
    let (app, lead) = spawn_with_user(Role::Staff).await;
    app.create_org("nottingham", OrgKind::CityCouncil);
    let token = app.token(&lead).await;
    Setup { app, lead, token }
}

impl Setup {
    async fn get(&self, path: &str) -> Value {
        let res = self.app.api_get(&self.token, path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        res.json().await.unwrap()
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        answer(self.app.send_json(method, &self.token, path, &body).await).await
    }

    /// Imports `csv` as a file called `name`: the status and the report.
    async fn import(&self, name: &str, csv: &str) -> (u16, Value) {
        let bytes = csv.as_bytes().to_vec();
        self.app
            .import_file(&self.token, name, bytes, false, None)
            .await
    }

    /// The ids the register's search finds for `q`.
    async fn found(&self, q: &str) -> Vec<i64> {
        let list = self.get(&format!("/api/v1/opportunities?q={q}")).await;
        items(&list)
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    }
}

#[tokio::test]
async fn the_api_keeps_a_councils_own_reference_and_the_search_finds_it() {
    let s = setup().await;
    let body = json!({ "title": "Shared payroll", "summary": "One payroll team",
        "service_area": "finance", "kind": "shared_service", "visibility": "partnership",
        "your_reference": "DCC-SS-014" });
    let (status, o) = s
        .send(reqwest::Method::POST, "/api/v1/opportunities", body)
        .await;
    assert_eq!(status, 201, "{o}");
    let id = o["id"].as_i64().unwrap();
    assert_eq!(o["your_reference"], "DCC-SS-014");
    assert!(o["reference"].as_str().unwrap().starts_with("OPP-"));
    assert_eq!(s.found("dcc").await, vec![id], "its words are searched");
    assert_eq!(s.found("ss-014").await, vec![id]);
    // PATCH keeps it when left out, changes it when sent, and refuses one too long.
    let path = format!("/api/v1/opportunities/{id}");
    let (status, o) = s
        .send(reqwest::Method::PATCH, &path, json!({ "title": "Payroll" }))
        .await;
    assert_eq!(
        (status, o["your_reference"].as_str()),
        (200, Some("DCC-SS-014"))
    );
    let (status, o) = s
        .send(
            reqwest::Method::PATCH,
            &path,
            json!({ "your_reference": "FIN/2026/7" }),
        )
        .await;
    assert_eq!(
        (status, o["your_reference"].as_str()),
        (200, Some("FIN/2026/7"))
    );
    assert!(s.found("dcc").await.is_empty(), "the old words are gone");
    let (status, problem) = s
        .send(
            reqwest::Method::PATCH,
            &path,
            json!({ "your_reference": "x".repeat(61) }),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem.to_string().contains("60 characters"),
        "says why: {problem}"
    );
    assert_eq!(
        s.get(&path).await["your_reference"],
        "FIN/2026/7",
        "unchanged"
    );
}

#[tokio::test]
async fn the_form_takes_it_and_the_page_shows_it_as_the_lead_organisations() {
    let s = setup().await;
    let browser = s.app.signed_in(&s.lead).await;
    let res = browser
        .post(
            "/opportunities",
            &[
                ("title", "Joint fleet garage"),
                ("summary", "One garage for both cities"),
                ("service_area", "highways_transport"),
                ("kind", "shared_service"),
                ("visibility", "partnership"),
                ("your_reference", "FLEET-22"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let location = crate::common::location(&res);
    let (status, html) = browser.get_html(&location).await;
    assert_eq!(status, 200);
    assert!(html.contains("FLEET-22"), "shown on the page");
    assert!(html.contains("Reference at "), "labelled as the lead's own");
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let (status, form) = browser.get_html(&format!("/opportunities/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("name=\"your_reference\"") && form.contains("value=\"FLEET-22\""),
        "the edit form starts from it"
    );
    // Too long: the form comes back with the message and what was typed, nothing written.
    let long = "y".repeat(61);
    let res = browser
        .post(
            &format!("/opportunities/{id}/edit"),
            &[
                ("title", "Joint fleet garage"),
                ("summary", "One garage for both cities"),
                ("service_area", "highways_transport"),
                ("kind", "shared_service"),
                ("visibility", "partnership"),
                ("your_reference", &long),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Must be 60 characters or fewer") && html.contains(&long));
    let o = s.get(&format!("/api/v1/opportunities/{id}")).await;
    assert_eq!(o["your_reference"], "FLEET-22");
}

#[tokio::test]
async fn an_import_reads_it_and_the_export_writes_it_back() {
    let s = setup().await;
    let csv = "your_reference,title,summary,service_area,type,visibility\n\
               LEG-001,Shared legal team,One team for both cities,legal,shared_service,partnership\n\
               ,Joint procurement hub,One hub,procurement,joint_procurement,partnership\n";
    let (status, report) = s.import("register.csv", csv).await;
    assert_eq!(
        (status, report["counts"]["create"].as_u64()),
        (200, Some(2)),
        "{report}"
    );
    let legal = s.found("leg").await;
    assert_eq!(legal.len(), 1);
    let o = s.get(&format!("/api/v1/opportunities/{}", legal[0])).await;
    assert_eq!(o["your_reference"], "LEG-001");
    let res = s
        .app
        .api_get(&s.token, "/api/v1/opportunities/export.csv")
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    let mut reader =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = headers.iter().position(|h| h == "your_reference").unwrap();
    let title = headers.iter().position(|h| h == "title").unwrap();
    let mut refs: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[title].to_string(), r[column].to_string())
        })
        .collect();
    refs.sort();
    assert_eq!(
        refs,
        vec![
            ("Joint procurement hub".to_string(), String::new()),
            ("Shared legal team".to_string(), "LEG-001".to_string()),
        ]
    );
    // A file without the column leaves the references as they are.
    let again = "reference,title,summary,service_area,type\n\
                 OPP-0001,Shared legal team,One team for both cities,legal,shared_service\n";
    let (status, report) = s.import("again.csv", again).await;
    assert_eq!(status, 200, "{report}");
    let o = s.get(&format!("/api/v1/opportunities/{}", legal[0])).await;
    assert_eq!(o["your_reference"], "LEG-001");
}
