//! The register through the real stack: the pipeline's moves, exact pence, drafts hidden
//! everywhere, search that answers the same on both engines, filters with totals, interest.

use crate::common::{
    answer, assert_ran, first_header, items, patch_json, post_json, problems_of, spawn_with_user,
    Browser, TestApp, TestUser,
};
use diesel::prelude::*;
use metro_portal::opportunities::model::Stage;
use metro_portal::organisations::OrgKind;
use metro_portal::schema::{audit_log, events, opportunities, savings};
use metro_portal::users::Role;
use reqwest::Method;
use serde_json::{json, Value};

struct Setup {
    app: TestApp,
    lead: TestUser,
    lead_token: String,
    other_token: String,
    own: i64,
    other: i64,
}

async fn setup() -> Setup {
    let (app, lead) = spawn_with_user(Role::Staff).await;
    let own = lead.organisation_id;
    let other = app.create_org("nottingham", OrgKind::CityCouncil);
    let other_user = app.create_user(other, Role::Staff);
    let lead_token = app.token(&lead).await;
    let other_token = app.token(&other_user).await;
    Setup {
        app,
        lead,
        lead_token,
        other_token,
        own,
        other,
    }
}

impl Setup {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        answer(post_json(&self.app, token, path, body).await).await
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        answer(self.app.api_get(token, path).await).await
    }

    async fn log(&self, title: &str, summary: &str, visibility: &str) -> i64 {
        let body = json!({ "title": title, "summary": summary, "service_area": "procurement", "kind": "joint_procurement", "visibility": visibility });
        let (status, o) = self
            .post(&self.lead_token, "/api/v1/opportunities", body)
            .await;
        assert_eq!(status, 201, "{o}");
        o["id"].as_i64().unwrap()
    }

    /// The register as downloaded by the holder of `token`: `format` is csv, xlsx or json.
    async fn export(&self, token: &str, format: &str) -> Vec<u8> {
        let path = format!("/api/v1/opportunities/export.{format}");
        let res = self.app.api_get(token, &path).await;
        assert_eq!(res.status(), 200, "{path}");
        res.bytes().await.unwrap().to_vec()
    }

    fn set_stage(&self, id: i64, stage: Stage) {
        let mut conn = self.app.db.get().unwrap();
        diesel::update(opportunities::table.find(id))
            .set(opportunities::stage.eq(stage.as_str()))
            .execute(&mut *conn)
            .unwrap();
        self.app.raise_version(&mut conn);
    }
}

#[tokio::test]
async fn references_are_unique_and_stable() {
    let s = setup().await;
    let a = s.log("First", "One", "partnership").await;
    let b = s.log("Second", "Two", "partnership").await;
    let (_, first) = s
        .get(&s.lead_token, &format!("/api/v1/opportunities/{a}"))
        .await;
    let (_, second) = s
        .get(&s.lead_token, &format!("/api/v1/opportunities/{b}"))
        .await;
    assert_eq!(first["reference"], "OPP-0001");
    assert_eq!(second["reference"], "OPP-0002");
    assert_eq!(first["stage"], "idea");
    let path = format!("/api/v1/opportunities/{a}");
    let renamed = json!({ "title": "First, renamed" });
    let res = patch_json(&s.app, &s.lead_token, &path, renamed).await;
    assert_eq!(res.status(), 200);
    let (_, again) = s
        .get(&s.lead_token, &format!("/api/v1/opportunities/{a}"))
        .await;
    assert_eq!(again["reference"], "OPP-0001");
}

#[tokio::test]
async fn every_pipeline_move_is_allowed_or_refused_as_the_rules_say() {
    let s = setup().await;
    let id = s.log("Shared legal team", "Lawyers", "partnership").await;
    let path = format!("/api/v1/opportunities/{id}/transitions");
    for from in Stage::ALL {
        for to in Stage::ALL {
            s.set_stage(id, *from);
            let (status, body) = s
                .post(
                    &s.lead_token,
                    &path,
                    json!({ "to": to.as_str(), "note": "Agreed at the programme board" }),
                )
                .await;
            if from.can_move_to(*to) {
                assert_eq!(status, 200, "{from:?} → {to:?}: {body}");
                assert_eq!(body["stage"], to.as_str());
            } else {
                // A well-formed request the present stage does not allow: a conflict.
                assert_eq!(status, 409, "{from:?} → {to:?} should be refused");
                assert!(body["message"].as_str().unwrap().contains("cannot move"));
            }
        }
    }
    // Declining needs a reason.
    s.set_stage(id, Stage::Idea);
    let (status, body) = s
        .post(&s.lead_token, &path, json!({ "to": "declined" }))
        .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["note"].is_string());
    // Each accepted move is on the timeline with who and the note.
    let (_, timeline) = s.get(&s.lead_token, &path).await;
    let moves = timeline["items"].as_array().unwrap().len()
        + (timeline["total"].as_i64().unwrap() as usize
            - timeline["items"].as_array().unwrap().len());
    let allowed: usize = Stage::ALL.iter().map(|s| s.next().len()).sum();
    assert_eq!(moves, allowed);
    assert_eq!(
        timeline["items"][0]["note"],
        "Agreed at the programme board"
    );
    assert_eq!(timeline["items"][0]["actor_user_id"], s.lead.id);
    // Only the lead organisation moves it; others may propose in a comment.
    let (status, _) = s
        .post(&s.other_token, &path, json!({ "to": "under_assessment" }))
        .await;
    assert_eq!(status, 403);
    let (status, comment) = s
        .post(
            &s.other_token,
            &format!("/api/v1/opportunities/{id}/comments"),
            json!({ "body": "Ready for assessment?", "proposed_stage": "under_assessment" }),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    assert_eq!(comment["proposed_stage"], "under_assessment");
}

#[tokio::test]
async fn money_is_exact_pence_and_never_a_float() {
    let s = setup().await;
    let id = s
        .log("Joint energy", "Gas and electricity", "partnership")
        .await;
    let path = format!("/api/v1/opportunities/{id}/savings");
    for amount in ["£0.10", "£0.20"] {
        let (status, body) = s.post(&s.lead_token, &path, json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": s.own, "amount": amount })).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = s.post(&s.lead_token, &path, json!({ "financial_year": "2026/27", "kind": "realised", "cashable": false, "organisation_id": s.other, "amount": "£1,234.56", "one_off_cost": "£99.99" })).await;
    assert_eq!(status, 201);
    assert_eq!(body["amount_pence"], 123456);
    assert_eq!(body["one_off_cost_pence"], 9999);
    let before = s.app.count("savings");
    for bad in ["12.345", "£1.2.3", "-5", "ten pounds", "1e3", ""] {
        let (status, body) = s.post(&s.lead_token, &path, json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": s.own, "amount": bad })).await;
        assert_eq!(status, 422, "{bad}");
        assert!(body["fields"]["amount"].is_string(), "{bad}");
    }
    let (status, body) = s.post(&s.lead_token, &path, json!({ "financial_year": "2026/28", "kind": "guessed", "organisation_id": 999999, "amount": "1" })).await;
    assert_eq!(status, 422);
    for field in ["financial_year", "kind", "cashable", "organisation_id"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    assert_eq!(s.app.count("savings"), before);
    let (_, detail) = s
        .get(&s.lead_token, &format!("/api/v1/opportunities/{id}"))
        .await;
    assert_eq!(detail["totals"]["estimated"], 30);
    assert_eq!(detail["totals"]["realised"], 123456);
    assert_eq!(detail["totals"]["cashable_realised"], 0);
    let mut conn = s.app.db.get().unwrap();
    let stored: Vec<i64> = savings::table
        .filter(savings::opportunity_id.eq(id))
        .order(savings::id)
        .select(savings::amount_pence)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(stored, vec![10, 20, 123456]);
    // The page shows pounds and pence.
    let browser = s.app.signed_in(&s.lead).await;
    let (_, html) = browser.get_html(&format!("/opportunities/{id}")).await;
    assert!(html.contains("£1,234.56") && html.contains("£0.30"));
}

#[tokio::test]
async fn drafts_stay_inside_the_lead_organisation_everywhere() {
    let s = setup().await;
    let draft = s
        .log("Secret archive merger", "Draft thinking", "draft")
        .await;
    let shared = s
        .log("Shared archive service", "Archive for both", "partnership")
        .await;
    // The lead organisation sees both, in the list, in search and by id.
    let (_, list) = s
        .get(&s.lead_token, "/api/v1/opportunities?q=archive")
        .await;
    assert_eq!(list["total"], 2);
    // Everyone else: not in the list, not in search, not by id, not its sub-resources.
    let (_, list) = s
        .get(&s.other_token, "/api/v1/opportunities?q=archive")
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], shared);
    let (_, list) = s
        .get(&s.other_token, "/api/v1/opportunities?q=secret")
        .await;
    assert_eq!(list["total"], 0);
    for path in [
        "",
        "/savings",
        "/barriers",
        "/comments",
        "/transitions",
        "/endorsements",
    ] {
        let (status, _) = s
            .get(
                &s.other_token,
                &format!("/api/v1/opportunities/{draft}{path}"),
            )
            .await;
        assert_eq!(status, 404, "{path}");
    }
    let anon = s.app.anon_json("/api/v1/opportunities?q=archive").await;
    assert_eq!(anon["total"], 0, "partnership and drafts are not public");
    let browser = s.app.browser();
    let (_, html) = browser.get_html("/opportunities?q=secret").await;
    assert!(!html.contains("Secret archive merger"));
    // Published, it appears.
    let path = format!("/api/v1/opportunities/{draft}");
    let public = json!({ "visibility": "public" });
    let res = patch_json(&s.app, &s.lead_token, &path, public).await;
    assert_eq!(res.status(), 200);
    let anon = s.app.anon_json("/api/v1/opportunities?q=secret").await;
    assert_eq!(anon["total"], 1);
}

#[tokio::test]
async fn search_matches_words_and_prefixes_in_titles_summaries_and_barriers_alike_on_both_engines()
{
    let s = setup().await;
    let legal = s
        .log(
            "Joint legal services",
            "One legal team for both cities",
            "partnership",
        )
        .await;
    let procure = s
        .log(
            "Highways procurement framework",
            "Resurfacing across the alliance",
            "partnership",
        )
        .await;
    let colo = s
        .log(
            "Co-location of customer services",
            "One front desk",
            "partnership",
        )
        .await;
    let (status, _) = s.post(&s.lead_token, &format!("/api/v1/opportunities/{legal}/barriers"), json!({ "category": "hr_tupe", "description": "HR/TUPE transfer of 14 lawyers", "severity": "high" })).await;
    assert_eq!(status, 201);
    let ids = |v: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> = items(v).iter().map(|i| i["id"].as_i64().unwrap()).collect();
        ids.sort();
        ids
    };
    for (query, expected) in [
        ("legal", vec![legal]),
        ("procure", vec![procure]),
        ("tupe", vec![legal]),
        ("hr/tupe lawyers", vec![legal]),
        ("co-location", vec![colo]),
        ("LOCATION", vec![colo]),
        ("one", vec![legal, colo]),
        ("cure", vec![]),
        ("legal resurfacing", vec![]),
        ("'; DROP TABLE opportunities; --", vec![]),
        ("\"unbalanced", vec![]),
    ] {
        let (status, list) = s
            .get(
                &s.lead_token,
                &format!("/api/v1/opportunities?q={}", urlencode(query)),
            )
            .await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(ids(&list), expected, "{query}");
    }
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn filters_sorting_and_totals_of_the_view() {
    let s = setup().await;
    let small = s.log("Small saving", "A", "partnership").await;
    let big = s.log("Big saving", "B", "partnership").await;
    let blocked = s.log("Blocked idea", "C", "partnership").await;
    for (id, amount) in [(small, "£1,000"), (big, "£50,000"), (blocked, "£5,000")] {
        s.post(&s.lead_token, &format!("/api/v1/opportunities/{id}/savings"), json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": s.own, "amount": amount })).await;
    }
    s.post(
        &s.lead_token,
        &format!("/api/v1/opportunities/{blocked}/barriers"),
        json!({ "category": "governance", "description": "No sign-off", "severity": "high" }),
    )
    .await;
    s.post(
        &s.lead_token,
        &format!("/api/v1/opportunities/{big}/transitions"),
        json!({ "to": "under_assessment" }),
    )
    .await;

    let (_, sorted) = s
        .get(&s.lead_token, "/api/v1/opportunities?sort=savings")
        .await;
    let order: Vec<i64> = items(&sorted)
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![big, blocked, small]);
    assert_eq!(sorted["totals"]["estimated"], 5_600_000);

    let (_, high) = s
        .get(&s.lead_token, "/api/v1/opportunities?barriers=open_high")
        .await;
    assert_eq!(high["total"], 1);
    assert_eq!(high["items"][0]["id"], blocked);
    assert_eq!(high["totals"]["estimated"], 500_000);

    let (_, staged) = s
        .get(
            &s.lead_token,
            "/api/v1/opportunities?stage=under_assessment",
        )
        .await;
    assert_eq!(staged["total"], 1);
    let (_, led) = s
        .get(
            &s.lead_token,
            &format!("/api/v1/opportunities?lead={}", s.other),
        )
        .await;
    assert_eq!(led["total"], 0);
    let (_, paged) = s
        .get(
            &s.lead_token,
            "/api/v1/opportunities?per_page=2&page=2&sort=reference",
        )
        .await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged["items"][0]["id"], blocked);
    assert_eq!(paged["total"], 3);
    for bad in [
        "stage=someday",
        "sort=sideways",
        "lead=derby",
        "service_area=space",
    ] {
        let (status, body) = s
            .get(&s.lead_token, &format!("/api/v1/opportunities?{bad}"))
            .await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(body["error"], "validation_failed");
    }
    // The page shows the same totals.
    let (_, html) = s
        .app
        .signed_in(&s.lead)
        .await
        .get_html("/opportunities?barriers=open_high")
        .await;
    assert!(html.contains("£5,000.00") && html.contains("1 opportunity<"));
}

#[tokio::test]
async fn other_organisations_register_interest_once_and_may_withdraw() {
    let s = setup().await;
    let id = s.log("Shared payroll", "One payroll", "partnership").await;
    let path = format!("/api/v1/opportunities/{id}/endorsements");
    let (status, _) = s
        .post(&s.lead_token, &path, json!({ "note": "Our own" }))
        .await;
    assert_eq!(status, 403);
    let (status, list) = s
        .post(&s.other_token, &path, json!({ "note": "We want in" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = s
        .post(
            &s.other_token,
            &path,
            json!({ "note": "We really want in" }),
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["note"], "We really want in");
    let (_, html) = s
        .app
        .signed_in(&s.lead)
        .await
        .get_html(&format!("/opportunities/{id}"))
        .await;
    assert!(html.contains("We really want in") && html.contains("Org nottingham"));
    // Withdrawn once; a second time there is nothing to withdraw.
    for status in [204, 404] {
        let res = s.app.api_send(Method::DELETE, &s.other_token, &path).await;
        assert_eq!(res.status(), status);
    }
}

#[tokio::test]
async fn each_change_writes_an_event_and_an_audit_row_and_bad_input_writes_nothing() {
    let s = setup().await;
    let id = s.log("Shared audit", "Internal audit", "partnership").await;
    s.post(
        &s.lead_token,
        &format!("/api/v1/opportunities/{id}/transitions"),
        json!({ "to": "under_assessment", "note": "Go" }),
    )
    .await;
    let mut conn = s.app.db.get().unwrap();
    let kinds: Vec<String> = events::table
        .filter(events::target_kind.eq("opportunity"))
        .order(events::id)
        .select(events::kind)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(kinds, vec!["opportunity.created", "opportunity.moved"]);
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::target_kind.eq("opportunity"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(audited, kinds);
    let (events_before, opportunities_before) =
        (s.app.count("events"), s.app.count("opportunities"));
    let (status, body) = s.post(&s.lead_token, "/api/v1/opportunities", json!({ "title": "", "service_area": "space", "kind": "vibes", "visibility": "secret", "partners": [999999] })).await;
    assert_eq!(status, 422);
    for field in [
        "title",
        "summary",
        "service_area",
        "kind",
        "visibility",
        "partners",
    ] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    assert_eq!(
        (s.app.count("events"), s.app.count("opportunities")),
        (events_before, opportunities_before)
    );
}

#[tokio::test]
async fn exports_follow_the_filters_hide_drafts_and_cannot_run_formulas() {
    let s = setup().await;
    s.log(
        "=HYPERLINK(\"http://evil.example\",\"Click\")",
        "Shared grounds maintenance",
        "partnership",
    )
    .await;
    let draft = s.log("Private draft idea", "Secret", "draft").await;
    let shared = s.log("Shared grounds team", "Grounds", "partnership").await;
    s.post(&s.lead_token, &format!("/api/v1/opportunities/{shared}/savings"), json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": s.own, "amount": "£1,234.56" })).await;

    // The other organisation's export: no draft, formulas defused, exact pounds.
    let res = s
        .app
        .api_get(
            &s.other_token,
            "/api/v1/opportunities/export.csv?q=grounds&sort=reference",
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(first_header(&res, "content-disposition").contains("attachment"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "a UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "reference");
    assert_eq!(
        &headers[10], "estimated_total_gbp",
        "the heading says pounds"
    );
    let mut records: Vec<csv::StringRecord> = Vec::new();
    for record in reader.records() {
        records.push(record.expect("every row has the heading's number of fields"));
    }
    // RFC 4180: each record ends in CRLF, the last one too (no field here holds a line break).
    let bytes = text.as_bytes();
    let breaks: Vec<usize> = (0..bytes.len()).filter(|i| bytes[*i] == b'\n').collect();
    assert_eq!(
        breaks.len(),
        records.len() + 1,
        "a line break a record, and the heading's"
    );
    assert!(
        breaks.iter().all(|i| *i > 0 && bytes[i - 1] == b'\r'),
        "every one is CRLF"
    );
    assert!(text.ends_with("\r\n"), "the last row ends in CRLF too");
    assert_eq!(records.len(), 2);
    assert!(
        records[0][1].starts_with("'="),
        "formula defused: {:?}",
        &records[0][1]
    );
    assert_eq!(&records[1][1], "Shared grounds team");
    assert_eq!(&records[1][10], "1234.56");
    assert!(!text.contains("Private draft idea"));

    let json = s
        .app
        .api_json(&s.other_token, "/api/v1/opportunities/export.json")
        .await;
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["reference"] != format!("OPP-{draft:04}")));
    let json = s
        .app
        .api_json(
            &s.lead_token,
            "/api/v1/opportunities/export.json?sort=reference",
        )
        .await;
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[2]["estimated_savings_pence"], 123456);

    let res = s
        .app
        .api_get(
            &s.lead_token,
            "/api/v1/opportunities/export.xlsx?sort=reference",
        )
        .await;
    assert_eq!(res.status(), 200);
    let book = res.bytes().await.unwrap().to_vec();
    assert_eq!(&book[..2], b"PK");
    typed_workbook(&book);
    assert_eq!(
        s.app
            .api_get(&s.lead_token, "/api/v1/opportunities/export.exe")
            .await
            .status(),
        404
    );
    assert_eq!(
        s.app
            .api_get(
                &s.lead_token,
                "/api/v1/opportunities/export.csv?stage=later"
            )
            .await
            .status(),
        422
    );
}

/// The register workbook, read by an independent reader: numbers are number cells (pounds
/// with a currency format), the time a date-time cell, formula-like text plain text; the
/// heading row is frozen, filtered and the columns have widths.
fn typed_workbook(book: &[u8]) {
    use calamine::{Data, Reader, Xlsx};
    let mut xlsx = Xlsx::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let range = xlsx.worksheet_range("Opportunities").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows[0][10], Data::String("estimated_total_gbp".into()));
    assert_eq!(rows.len(), 4, "the heading and three opportunities");
    let shared = rows
        .iter()
        .find(|r| r[1] == Data::String("Shared grounds team".into()))
        .expect("the row with savings");
    assert_eq!(shared[10], Data::Float(1234.56), "pounds as a number");
    assert_eq!(shared[11], Data::Float(0.0));
    assert!(
        matches!(shared[13], Data::Float(n) if n == 0.0),
        "a count as a number"
    );
    assert!(
        matches!(shared[14], Data::DateTime(_)),
        "a time as a date-time: {:?}",
        shared[14]
    );
    let formula = rows
        .iter()
        .find(|r| matches!(&r[1], Data::String(t) if t.starts_with("=HYPERLINK")))
        .expect("formula-like text stays text, as typed");
    assert!(matches!(formula[10], Data::Float(_)));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let mut part = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let sheet = part("xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no formulas");
    assert!(
        sheet.contains("<autoFilter ref=\"A1:P4\""),
        "an autofilter over the table"
    );
    assert!(
        sheet.contains("state=\"frozen\""),
        "the heading row is frozen"
    );
    assert!(sheet.contains("<col "), "column widths");
    assert!(
        part("xl/styles.xml").contains("£"),
        "a pound currency format"
    );
}

/// Uploads `bytes` as `name` on the import page, with the page's CSRF token when asked.
async fn upload_on_page(
    browser: &Browser,
    with_csrf: bool,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    if with_csrf {
        form = form.text("_csrf", browser.csrf().await);
    }
    let file = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    browser
        .client
        .post(format!("{}/opportunities/import", browser.base))
        .multipart(form.part("file", file))
        .send()
        .await
        .unwrap()
}

async fn upload(s: &Setup, token: &str, name: &str, bytes: Vec<u8>, dry_run: bool) -> (u16, Value) {
    s.app.import_file(token, name, bytes, dry_run, None).await
}

const GOOD: &str = "reference,title,summary,service_area,type,stage,visibility,partners,financial_year,estimated_savings,cashable\n\
OPP-0101,Shared pest control,One team,waste,shared_service,under_assessment,partnership,nottingham,2026/27,\"£12,500.50\",yes\n\
OPP-0102,Joint fleet garage,One garage,highways_transport,shared_service,,draft,,,,\n";

#[tokio::test]
async fn an_import_with_bad_rows_writes_nothing_and_says_where_each_problem_is() {
    let s = setup().await;
    let file =
        "reference,title,summary,service_area,type,estimated_savings,financial_year,partners\n\
OPP-0201,Good row,Fine,legal,other,,,\n\
,Bad row,,space,vibes,12.345,2026/28,atlantis\n";
    let before = (s.app.count("opportunities"), s.app.count("events"));
    let (status, report) = upload(
        &s,
        &s.lead_token,
        "register.csv",
        file.as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    // Each problem as "row: column = value".
    let problems = problems_of(&report);
    for column in [
        "summary",
        "service_area",
        "type",
        "estimated_savings",
        "financial_year",
        "partners",
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("3: {column} = "))),
            "row 3, {column} missing from {problems:?}"
        );
    }
    assert!(
        problems.iter().all(|p| p.starts_with("3: ")),
        "the good row has no problems: {problems:?}"
    );
    assert_eq!(
        (s.app.count("opportunities"), s.app.count("events")),
        before,
        "all or nothing"
    );
    // A file without columns for the required fields: the mapping says which are missing.
    let (status, body) = upload(
        &s,
        &s.lead_token,
        "x.csv",
        b"name,notes\nA,B\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    let missing: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["field"] == "mapping")
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "Choose the column that holds Summary",
            "Choose the column that holds Service area"
        ],
        "{body}"
    );
    assert_eq!(body["mapping"]["columns"]["name"], "title", "{body}");
    // A file with no row of headings is refused as a whole, saying what it found.
    let (status, body) = upload(
        &s,
        &s.lead_token,
        "x.csv",
        b"12,13\n14,15\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    let message = body["fields"]["file"].as_str().unwrap();
    assert!(message.contains("row 1 holds \"12\", \"13\""), "{message}");
}

#[tokio::test]
async fn importing_the_same_file_again_updates_instead_of_duplicating() {
    let s = setup().await;
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(GOOD.as_bytes());
    let (status, report) = upload(&s, &s.lead_token, "register.csv", bom.clone(), true).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            report["counts"]["create"].as_u64(),
            report["dry_run"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(s.app.count("opportunities"), 0, "a dry run writes nothing");
    let (status, report) = upload(&s, &s.lead_token, "register.csv", bom.clone(), false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["counts"]["create"].as_u64(),
            report["counts"]["update"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let events_before = s.app.count("events");
    let jobs_before = s.app.count("jobs");
    let (status, report) = upload(&s, &s.lead_token, "register.csv", bom, false).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            report["counts"]["create"].as_u64(),
            report["counts"]["update"].as_u64(),
            report["counts"]["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2)),
        "the same file again matches both rows and changes neither"
    );
    assert_eq!(
        (s.app.count("events"), s.app.count("jobs")),
        (events_before, jobs_before),
        "an import that changes nothing records nothing and tells nobody"
    );
    assert_eq!(s.app.count("opportunities"), 2);
    let (_, list) = s.get(&s.lead_token, "/api/v1/opportunities?q=pest").await;
    let item = &list["items"][0];
    // A reference that is not one of yours is not taken (whether another organisation holds
    // it or not, the answer is the same): the row gets the next free one.
    assert_eq!(item["reference"], "OPP-0001");
    assert_eq!(item["stage"], "under_assessment");
    assert_eq!(item["totals"]["estimated"], 1_250_050, "not doubled");
    // Another organisation cannot update these by reference: its rows are its own new ones.
    let (status, report) = upload(
        &s,
        &s.other_token,
        "theirs.csv",
        GOOD.as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["counts"]["create"].as_u64(),
            report["counts"]["update"].as_u64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(s.app.count("opportunities"), 4);
    let (_, again) = s
        .get(
            &s.lead_token,
            &format!("/api/v1/opportunities/{}", item["id"]),
        )
        .await;
    assert_eq!(again["stage"], "under_assessment");
    assert_eq!(again["reference"], "OPP-0001", "ours is unchanged");
}

/// An import goes through the same services as the pages and the API: every opportunity
/// it logs, every stage it places and every figure it records is an event (so followers
/// and webhooks hear of it) with its audit entry, and the pipeline shows the move.
#[tokio::test]
async fn an_import_writes_events_and_moves_like_any_change() {
    use diesel::prelude::*;
    use metro_portal::schema::{audit_log, events};
    let s = setup().await;
    let (status, report) = upload(&s, &s.lead_token, "register.csv", GOOD.into(), false).await;
    assert_eq!(status, 200, "{report}");
    let (_, list) = s.get(&s.lead_token, "/api/v1/opportunities?q=pest").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let reference = list["items"][0]["reference"].as_str().unwrap().to_string();
    let mut conn = s.app.db.get().unwrap();
    let kinds: Vec<String> = events::table
        .filter(events::target_kind.eq("opportunity"))
        .filter(events::target_id.eq(id.to_string()))
        .order(events::id.asc())
        .select(events::kind)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(
        kinds,
        [
            "opportunity.created",
            "opportunity.moved",
            "opportunity.saving_added"
        ]
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::target_kind.eq("opportunity"))
        .filter(audit_log::target_id.eq(&reference))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(audited, 3, "each change is audited");
    let (_, moves) = s
        .get(
            &s.lead_token,
            &format!("/api/v1/opportunities/{id}/transitions"),
        )
        .await;
    assert_eq!(moves["items"][0]["from_stage"], "idea", "{moves}");
    assert_eq!(moves["items"][0]["to_stage"], "under_assessment");
    // Importing the same figures again replaces them: one more event, the same total.
    let (status, _) = upload(&s, &s.lead_token, "register.csv", GOOD.into(), false).await;
    assert_eq!(status, 200);
    let (_, list) = s.get(&s.lead_token, "/api/v1/opportunities?q=pest").await;
    assert_eq!(list["items"][0]["totals"]["estimated"], 1_250_050);
}

#[tokio::test]
async fn an_xlsx_register_imports_like_a_csv_one() {
    let s = setup().await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in GOOD.lines().enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        for (c, cell) in record.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let (status, report) = upload(&s, &s.lead_token, "register.xlsx", bytes, false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["counts"]["create"], 2);
    let (_, list) = s.get(&s.lead_token, "/api/v1/opportunities?q=garage").await;
    assert_eq!(
        list["items"][0]["reference"], "OPP-0002",
        "rows are written in file order"
    );
}

#[tokio::test]
async fn oversized_and_overlong_files_are_refused_with_a_clear_message() {
    let s = setup().await;
    let mut long = String::from("title,summary,service_area,type\n");
    for n in 0..=metro_portal::opportunities::transfer::sheet::MAX_ROWS {
        long.push_str(&format!("Idea {n},S,legal,other\n"));
    }
    let (status, body) = upload(&s, &s.lead_token, "long.csv", long.into_bytes(), false).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["file"]
        .as_str()
        .unwrap()
        .contains("at most 5000"));
    let big = vec![b'a'; metro_portal::opportunities::transfer::sheet::MAX_BYTES + 10];
    let (status, body) = upload(&s, &s.lead_token, "big.csv", big, false).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["file"]
        .as_str()
        .unwrap()
        .contains("larger than"));
    let (status, _) = upload(
        &s,
        &s.lead_token,
        "bad.csv",
        vec![0xff, 0xfe, 0x00, 0x41],
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(s.app.count("opportunities"), 0);
}

#[tokio::test]
async fn the_upload_page_needs_its_csrf_token_and_offers_the_template() {
    let s = setup().await;
    let browser = s.app.signed_in(&s.lead).await;
    let (status, html) = browser.get_html("/opportunities/import").await;
    assert_eq!(status, 200);
    assert!(html.contains("estimated_savings"));
    let res = browser.get("/opportunities/import/template.csv").await;
    let template = res.text().await.unwrap();
    assert!(template.contains("reference,title,summary,service_area,type"));
    let good = || GOOD.as_bytes().to_vec();
    let res = upload_on_page(&browser, false, "r.csv", good()).await;
    assert_eq!(res.status(), 403);
    assert_eq!(s.app.count("opportunities"), 0);
    let res = upload_on_page(&browser, true, "r.csv", good()).await;
    // The upload is a preview: nothing is written until it is confirmed.
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Ready: 2 would be created"), "{html}");
    assert_eq!(s.app.count("opportunities"), 0);
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker).unwrap() + marker.len();
        let end = start + html[start..].find('"').unwrap();
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    };
    let (upload, mapping) = (hidden("upload"), hidden("mapping"));
    let res = browser
        .post(
            "/opportunities/import/confirm",
            &[("upload", &upload), ("mapping", &mapping)],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("2 created"));
    assert_eq!(s.app.count("opportunities"), 2);
    // The kept file is gone once imported: confirming again imports nothing.
    let res = browser
        .post(
            "/opportunities/import/confirm",
            &[("upload", &upload), ("mapping", &mapping)],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("no longer kept"));
    assert_eq!(s.app.count("opportunities"), 2);
    // A file with problems: the page lists them by row and column.
    let bad = b"title,summary,service_area,type\nX,,legal,other\nY,S,moon,other\n";
    let res = upload_on_page(&browser, true, "r.csv", bad.to_vec()).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("2 problems to sort out")
            && html.contains("href=\"#problems-1\"")
            && html.contains("service_area: 1 problem"),
        "{html}"
    );
    assert!(
        !html.contains("id=\"confirm\""),
        "no import while there are problems"
    );
}

#[tokio::test]
async fn without_references_rows_match_by_title_and_bad_references_are_named() {
    let s = setup().await;
    let file =
        "title,summary,service_area,type\nShared grounds team,Grounds,other,shared_service\n";
    for expected_created in [1, 0] {
        let (status, report) =
            upload(&s, &s.lead_token, "r.csv", file.as_bytes().to_vec(), false).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["counts"]["create"], expected_created);
    }
    assert_eq!(s.app.count("opportunities"), 1);
    let (status, report) = upload(
        &s,
        &s.lead_token,
        "r.csv",
        b"reference,title,summary,service_area,type\nOPP-12,T,S,legal,other\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(report["problems"][0]["column"], "reference");
}

#[tokio::test]
async fn the_command_line_imports_checks_and_reports_by_row() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("register.csv");
    std::fs::write(&good, GOOD).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "title,summary,service_area,type\nOn the moon,S,moon,\n",
    )
    .unwrap();
    let run = |file: &std::path::Path, extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_metro-portal"))
            .arg("import")
            .arg(file)
            .args(["--org", "derby", "--as", &s.lead.email])
            .args(extra)
            .env("METRO__DATA_DIR", dir.path())
            .env("DATABASE_URL", s.app.db_url())
            .output()
            .unwrap()
    };
    let out = run(&good, &["--dry-run"]);
    assert_ran(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("Headings on row 1:"), "{stdout}");
    assert!(
        stdout.contains("2 rows: 2 would be created, 0 updated"),
        "{stdout}"
    );
    assert!(
        stdout.contains("row 2: create"),
        "the preview row by row: {stdout}"
    );
    assert_eq!(s.app.count("opportunities"), 0);
    let out = run(&good, &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 were created"));
    let out = run(&good, &[]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("2 rows: 0 were created, 0 updated, 2 left as they are"));
    let out = run(&bad, &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("service_area: 1 problem(s)"), "{stderr}");
    assert!(
        stderr.contains("row 2: \"moon\" is not one of these: Legal, Procurement"),
        "{stderr}"
    );
    assert_eq!(s.app.count("opportunities"), 2);
    // A mapping from a file: the heading "Idea" read as the title.
    let odd = dir.path().join("odd.csv");
    std::fs::write(
        &odd,
        "Idea,What,Area,Kind,Skip me\nShared dog wardens,One team,Waste,Shared service,x\n",
    )
    .unwrap();
    let mapping = dir.path().join("mapping.json");
    std::fs::write(
        &mapping,
        r#"{"header_row":1,"columns":{"Idea":"title","What":"summary","Area":"service_area","Kind":"type","Skip me":null}}"#,
    )
    .unwrap();
    let out = run(&odd, &["--mapping", mapping.to_str().unwrap(), "--json"]);
    assert_ran(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["counts"]["create"], 1, "{report}");
    assert_eq!(
        report["mapping"]["columns"]["Skip me"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn an_export_imports_back_unchanged_and_files_are_reported_by_their_own_row_numbers() {
    let s = setup().await;
    let file = "reference,title,summary,service_area,type,visibility,partners\n\
,Shared fleet garage,One garage,highways_transport,shared_service,partnership,nottingham\n\
OPP-0001,-5% on energy bills,Joint energy,procurement,joint_procurement,partnership,\n";
    let (status, report) =
        upload(&s, &s.lead_token, "r.csv", file.as_bytes().to_vec(), false).await;
    assert_eq!(status, 200, "{report}");
    let (_, list) = s
        .get(&s.lead_token, "/api/v1/opportunities?sort=reference")
        .await;
    let refs: Vec<&str> = items(&list)
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        vec!["OPP-0001", "OPP-0002"],
        "a reference that is not yours yet is not taken: rows get the next, in file order"
    );
    assert_eq!(list["items"][0]["title"], "Shared fleet garage");

    // Export, then import the export: nothing new, nothing changed, no problems.
    let csv = s.export(&s.lead_token, "csv").await;
    let (status, report) = upload(&s, &s.lead_token, "export.csv", csv, false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["counts"]["create"].as_u64(),
            report["counts"]["update"].as_u64(),
            report["counts"]["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    let (_, detail) = s
        .get(
            &s.lead_token,
            &format!("/api/v1/opportunities/{}", list["items"][1]["id"]),
        )
        .await;
    assert_eq!(
        detail["title"], "-5% on energy bills",
        "the defusing apostrophe is taken off again"
    );
    let (_, garage) = s
        .get(
            &s.lead_token,
            &format!("/api/v1/opportunities/{}", list["items"][0]["id"]),
        )
        .await;
    assert_eq!(garage["partners"].as_array().unwrap().len(), 1);

    // A file without the partners and visibility columns leaves them as they were.
    let (status, _) = upload(&s, &s.lead_token, "r.csv", b"reference,title,summary,service_area,type\nOPP-0001,Shared fleet garage,Edited,highways_transport,shared_service\n".to_vec(), false).await;
    assert_eq!(status, 200);
    let (_, garage) = s
        .get(
            &s.lead_token,
            &format!("/api/v1/opportunities/{}", list["items"][0]["id"]),
        )
        .await;
    assert_eq!(
        (
            garage["visibility"].as_str(),
            garage["partners"].as_array().unwrap().len()
        ),
        (Some("partnership"), 1)
    );

    // Blank lines do not shift the row numbers in the report.
    let (status, report) = upload(
        &s,
        &s.lead_token,
        "r.csv",
        b"title,summary,service_area,type\n\n\nBad,S,moon,other\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(report["problems"][0]["row"], 4);
}

#[tokio::test]
async fn a_draft_linked_to_a_public_theme_does_not_appear_in_its_activity() {
    let s = setup().await;
    let theme: i64 = {
        let mut conn = s.app.db.get().unwrap();
        metro_portal::workspaces::queries::find_by_slug(&mut conn, "skills")
            .unwrap()
            .id
    };
    let (status, _) = s
        .post(&s.lead_token, "/api/v1/opportunities", json!({ "title": "Secret apprenticeship merger", "summary": "S", "service_area": "hr_payroll", "kind": "shared_staff", "visibility": "draft", "workspace_id": theme }))
        .await;
    assert_eq!(status, 201);
    let (_, html) = s.app.browser().get_html("/workspaces/skills").await;
    assert!(!html.contains("Secret apprenticeship merger"));
    let other = s.app.create_user(s.other, Role::Leader);
    let (_, html) = s
        .app
        .signed_in(&other)
        .await
        .get_html("/workspaces/skills")
        .await;
    assert!(!html.contains("Secret apprenticeship merger"));
}

#[tokio::test]
async fn kept_totals_and_dashboards_follow_every_change_from_any_process() {
    let s = setup().await;
    let estimated = |v: &Value| v["totals"]["estimated"].as_i64().unwrap();
    let pipeline = |v: &Value| v["pipeline"]["total"]["estimated"].as_i64().unwrap();
    let id = s.log("Shared legal team", "A", "partnership").await;
    for _ in 0..2 {
        let (_, view) = s.get(&s.other_token, "/api/v1/opportunities").await;
        assert_eq!((view["total"].as_i64(), estimated(&view)), (Some(1), 0));
        let (status, d) = s.get(&s.lead_token, "/api/v1/dashboard").await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(pipeline(&d), 0);
    }

    // A change through the API shows in the next answer to everyone.
    let saving = json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": s.own, "amount": "£2,000" });
    let (status, _) = s
        .post(
            &s.lead_token,
            &format!("/api/v1/opportunities/{id}/savings"),
            saving,
        )
        .await;
    assert_eq!(status, 201);
    let (_, view) = s.get(&s.other_token, "/api/v1/opportunities").await;
    assert_eq!(estimated(&view), 200_000);
    let (_, d) = s.get(&s.lead_token, "/api/v1/dashboard").await;
    assert_eq!(pipeline(&d), 200_000);

    // So does one written by another process on the same database: the command-line import
    // adds a partnership opportunity with £12,500.50 and a draft the other council cannot see.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("register.csv");
    std::fs::write(&file, GOOD).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_metro-portal"))
        .arg("import")
        .arg(&file)
        .args(["--org", "derby", "--as", &s.lead.email])
        .env("METRO__DATA_DIR", dir.path())
        .env("DATABASE_URL", s.app.db_url())
        .output()
        .unwrap();
    assert_ran(&out);
    // Each instance reads the database's change counter every `database.watch_ms` (10 ms),
    // so a change made elsewhere shows within a few of those.
    let started = std::time::Instant::now();
    let view = loop {
        let (_, view) = s.get(&s.other_token, "/api/v1/opportunities").await;
        if view["total"] != 1 || started.elapsed() > std::time::Duration::from_secs(2) {
            break view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    assert_eq!(
        (view["total"].as_i64(), estimated(&view)),
        (Some(2), 200_000 + 1_250_050)
    );
    let (_, own) = s.get(&s.lead_token, "/api/v1/opportunities").await;
    assert_eq!(own["total"], 3, "the lead organisation sees its draft");
    let (_, d) = s.get(&s.lead_token, "/api/v1/dashboard").await;
    assert_eq!(pipeline(&d), 200_000 + 1_250_050);
}

/// PATCH changes only what it names: a field left out keeps its value, and `null` clears the
/// theme or the contact (the only details an opportunity may be without).
#[tokio::test]
async fn patch_keeps_what_it_leaves_out_and_null_clears_the_theme_and_contact() {
    let s = setup().await;
    let theme = {
        use diesel::prelude::*;
        use metro_portal::schema::workspaces;
        let mut conn = s.app.db.get().unwrap();
        workspaces::table
            .filter(workspaces::slug.eq("skills"))
            .select(workspaces::id)
            .first::<i64>(&mut *conn)
            .unwrap()
    };
    let body = json!({
        "title": "Shared payroll", "summary": "One payroll team", "service_area": "finance",
        "kind": "shared_service", "workspace_id": theme, "contact_user_id": s.lead.id,
    });
    let (status, created) = s.post(&s.lead_token, "/api/v1/opportunities", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["workspace_id"], theme);
    let patch = |body: Value| {
        let s = &s;
        async move {
            let res = s
                .app
                .api()
                .patch(s.app.url(&format!("/api/v1/opportunities/{id}")))
                .bearer_auth(&s.lead_token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, o) = patch(json!({ "title": "Shared payroll service" })).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["workspace_id"].as_i64(), o["contact_user_id"].as_i64()),
        (Some(theme), Some(s.lead.id)),
        "left out, kept"
    );
    let (status, o) = patch(json!({ "workspace_id": null })).await;
    assert_eq!(status, 200, "{o}");
    assert!(o["workspace_id"].is_null(), "{o}");
    assert_eq!(o["contact_user_id"], s.lead.id);
    assert_eq!(o["title"], "Shared payroll service");
    let (status, o) = patch(json!({ "contact_user_id": null })).await;
    assert_eq!(status, 200, "{o}");
    assert!(o["contact_user_id"].is_null(), "{o}");
    let (_, again) = s
        .get(&s.lead_token, &format!("/api/v1/opportunities/{id}"))
        .await;
    assert!(again["workspace_id"].is_null() && again["contact_user_id"].is_null());
    // A value that is neither an id nor null is refused and changes nothing.
    let (status, _) = patch(json!({ "workspace_id": "soon" })).await;
    assert!(status == 400 || status == 422, "{status}");
    let (_, after) = s
        .get(&s.lead_token, &format!("/api/v1/opportunities/{id}"))
        .await;
    assert!(after["workspace_id"].is_null());
}

/// Events, the fan-out jobs written with them (which go on to tell people), and savings.
fn written(s: &Setup) -> (i64, i64, i64) {
    use metro_portal::schema::jobs;
    let mut conn = s.app.db.get().unwrap();
    let telling: i64 = jobs::table
        .filter(jobs::kind.eq(metro_portal::events::EVENT_JOB))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    (s.app.count("events"), telling, s.app.count("savings"))
}

/// A council downloads the whole register (its own rows and its partners') and imports it
/// back, as CSV or XLSX: the partners' rows are skipped and listed as not its own, its own
/// are matched, and as nothing changed nothing is written and nobody is told. A dry run
/// reports the same.
#[tokio::test]
async fn a_council_imports_the_whole_register_it_exported() {
    let s = setup().await;
    let ours = s
        .log("Joint legal team", "One legal service", "partnership")
        .await;
    s.post(&s.lead_token, &format!("/api/v1/opportunities/{ours}/savings"), json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": s.own, "amount": "£12,500.50" })).await;
    let body = json!({ "title": "Shared fleet garage", "summary": "One garage", "service_area": "highways_transport", "kind": "shared_service", "visibility": "partnership" });
    let (status, theirs) = s.post(&s.other_token, "/api/v1/opportunities", body).await;
    assert_eq!(status, 201, "{theirs}");
    // Someone follows ours: an import that changed it would tell them.
    let (status, _) = s
        .post(
            &s.other_token,
            "/api/v1/subscriptions",
            json!({ "target": "opportunity", "opportunity": ours.to_string(), "delivery": "immediate" }),
        )
        .await;
    assert!((200..300).contains(&status));

    for format in ["csv", "xlsx"] {
        let file = s.export(&s.lead_token, format).await;
        let before = written(&s);
        for dry_run in [true, false] {
            let name = format!("register.{format}");
            let (status, report) = upload(&s, &s.lead_token, &name, file.clone(), dry_run).await;
            assert_eq!(status, 200, "{format}: {report}");
            assert_eq!(
                (
                    report["counts"]["create"].as_u64(),
                    report["counts"]["update"].as_u64(),
                    report["counts"]["unchanged"].as_u64(),
                    report["dry_run"].as_bool()
                ),
                (Some(0), Some(0), Some(1), Some(dry_run)),
                "{format}: {report}"
            );
            let skipped = report["skipped"].as_array().unwrap();
            assert_eq!(skipped.len(), 1, "{format}: {report}");
            assert_eq!(skipped[0]["title"], "Shared fleet garage");
            assert!(
                matches!(skipped[0]["row"].as_u64(), Some(2 | 3)),
                "the row as the spreadsheet numbers it: {report}"
            );
            assert!(skipped[0]["message"]
                .as_str()
                .unwrap()
                .contains("not yours, skipped"));
            assert_eq!(
                written(&s),
                before,
                "{format}: nothing written, nobody told"
            );
        }
    }
    // The page lists the skipped rows.
    let browser = s.app.signed_in(&s.lead).await;
    let csv = s.export(&s.lead_token, "csv").await;
    let res = upload_on_page(&browser, true, "register.csv", csv).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("not yours, skipped"), "{html}");
    assert!(html.contains("Shared fleet garage"));
    assert!(
        html.contains("Ready: 0 would be created, 0 updated, 1 left as they are and 1 skipped"),
        "{html}"
    );
}

/// JSON Schema's integers include 3.0: ids and counts sent so (as JavaScript and generated
/// clients may) are taken; 2.5 is not a whole number and is refused, writing nothing.
#[tokio::test]
async fn whole_numbers_may_come_as_3_0_but_not_as_2_5() {
    let s = setup().await;
    let id = s.log("Shared legal team", "Lawyers", "partnership").await;
    let path = format!("/api/v1/opportunities/{id}/savings");
    let line = |org: Value| json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true, "organisation_id": org, "amount": "£10.00" });
    let (status, body) = s
        .post(&s.lead_token, &path, line(json!(s.own as f64)))
        .await;
    assert_eq!(status, 201, "{body}");
    let before = s.app.count("savings");
    let (status, body) = s
        .post(&s.lead_token, &path, line(json!(s.own as f64 + 0.5)))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(s.app.count("savings"), before);
    // An organisation that does not exist is not found, like anything invisible.
    let (status, body) = s.post(&s.lead_token, &path, line(json!(987654))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    assert!(body["fields"]["organisation_id"].is_string());
    assert_eq!(s.app.count("savings"), before);
}
