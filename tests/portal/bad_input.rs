//! A corpus of bad input thrown at the API and the forms: oversized bodies, broken UTF-8,
//! huge and negative numbers, unknown choices, control characters, deep JSON and large
//! uploads. Each must get a clear 4xx, never a 500, and write nothing.

use metro_portal::users::Role;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use crate::common::*;

const TABLES: &[&str] = &[
    "opportunities",
    "savings",
    "barriers",
    "events",
    "subscriptions",
    "reviews",
    "posts",
    "actions",
    "webhooks",
];

fn fingerprint(app: &TestApp) -> Vec<i64> {
    TABLES.iter().map(|t| app.count(t)).collect()
}

enum Body {
    Json(String),
    Bytes(&'static str, Vec<u8>),
    Upload(Vec<u8>),
    None,
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let (app, t, w) = spawn_with_workspaces().await;
    let o = app.opportunities(&t);
    let token = app.token(t.own(Role::Staff)).await;
    let leader = app.token(t.own(Role::Leader)).await;
    let opp = o.own_opp;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let long = "x".repeat(10_000);
    let cases: Vec<(&str, &str, String, Body)> = vec![
        ("oversized JSON", "POST", "/api/v1/opportunities".into(), Body::Json(format!("{{\"title\":\"{}\"}}", "a".repeat(2_000_000)))),
        ("broken UTF-8 JSON", "POST", "/api/v1/opportunities".into(), Body::Bytes("application/json", b"{\"title\":\"\xff\xfe\"}".to_vec())),
        ("deep JSON", "POST", "/api/v1/opportunities".into(), Body::Json(deep)),
        ("not JSON", "POST", "/api/v1/opportunities".into(), Body::Bytes("application/json", b"title=oops".to_vec())),
        ("wrong content type", "POST", "/api/v1/opportunities".into(), Body::Bytes("text/plain", b"{}".to_vec())),
        ("NUL in a title", "POST", "/api/v1/opportunities".into(), Body::Json(r#"{"title":"a\u0000b","summary":"s","service_area":"legal","kind":"other"}"#.into())),
        ("a very long title", "POST", "/api/v1/opportunities".into(), Body::Json(format!(r#"{{"title":"{long}","summary":"s","service_area":"legal","kind":"other"}}"#))),
        ("unknown service area", "POST", "/api/v1/opportunities".into(), Body::Json(r#"{"title":"t","summary":"s","service_area":"space","kind":"other"}"#.into())),
        ("a number for a text", "POST", "/api/v1/opportunities".into(), Body::Json(r#"{"title":12,"summary":"s"}"#.into())),
        ("huge id", "PATCH", format!("/api/v1/opportunities/{opp}"), Body::Json(r#"{"workspace_id":99999999999999999999999}"#.into())),
        ("huge pence", "POST", format!("/api/v1/opportunities/{opp}/savings"), Body::Json(r#"{"financial_year":"2026/27","kind":"estimated","cashable":"yes","organisation_id":1,"amount":"99999999999999999999999"}"#.into())),
        ("negative pence", "POST", format!("/api/v1/opportunities/{opp}/savings"), Body::Json(r#"{"financial_year":"2026/27","kind":"estimated","cashable":"yes","organisation_id":1,"amount":"-5.00"}"#.into())),
        ("fractions of a penny", "POST", format!("/api/v1/opportunities/{opp}/savings"), Body::Json(r#"{"financial_year":"2026/27","kind":"estimated","cashable":"yes","organisation_id":1,"amount":"1.001"}"#.into())),
        ("a year from another century", "POST", format!("/api/v1/opportunities/{opp}/savings"), Body::Json(r#"{"financial_year":"3026/27","kind":"estimated","cashable":"yes","organisation_id":1,"amount":"5"}"#.into())),
        ("unknown stage", "POST", format!("/api/v1/opportunities/{opp}/transitions"), Body::Json(r#"{"to":"heaven"}"#.into())),
        ("unknown severity", "POST", format!("/api/v1/opportunities/{opp}/barriers"), Body::Json(r#"{"category":"legal","description":"d","severity":"apocalyptic"}"#.into())),
        ("unknown register filter", "GET", "/api/v1/opportunities?stage=heaven".into(), Body::None),
        ("a page number that overflows", "GET", "/api/v1/opportunities?page=99999999999999999999".into(), Body::None),
        ("an id that overflows", "GET", "/api/v1/opportunities/99999999999999999999".into(), Body::None),
        ("unknown subscription target", "POST", "/api/v1/subscriptions".into(), Body::Json(r#"{"target":"everything"}"#.into())),
        ("unknown dashboard organisation", "GET", "/api/v1/dashboard?organisation=99999999999999999999".into(), Body::None),
        ("a quarter that does not exist", "POST", "/api/v1/reviews".into(), Body::Json(r#"{"quarter":"2026/27 Q5","deadline":"2026-02-30"}"#.into())),
        ("an action owned by a person who cannot exist", "PATCH", format!("/api/v1/workspaces/pub-ws/actions/{}", w.action), Body::Json(r#"{"owner_user_id":-3159,"owner_organisation_id":1,"rag":"green"}"#.into())),
        ("an action owned by an organisation that cannot exist", "PATCH", format!("/api/v1/workspaces/pub-ws/actions/{}", w.action), Body::Json(r#"{"owner_organisation_id":-1,"rag":"green"}"#.into())),
        ("an action RAG out of range", "PATCH", "/api/v1/workspaces/pub-ws/actions/999999".into(), Body::Json(r#"{"rag":"purple"}"#.into())),
        ("a reading that is not a number", "POST", "/api/v1/workspaces/pub-ws/measures/1/readings".into(), Body::Json(r#"{"quarter":"2026/27 Q1","value":"NaN"}"#.into())),
        ("a 10 MB upload", "UPLOAD", "/api/v1/opportunities/import".into(), Body::Upload(vec![b'a'; 10 * 1024 * 1024])),
        ("an upload that is not a spreadsheet", "UPLOAD", "/api/v1/opportunities/import".into(), Body::Upload(b"\x00\x01\x02PK not really".to_vec())),
    ];
    let before = fingerprint(&app);
    let mut failures = Vec::new();
    for (name, method, path, body) in cases {
        let client = app.api();
        let url = app.url(&path);
        let auth = if path.starts_with("/api/v1/reviews") {
            &leader
        } else {
            &token
        };
        let req = match (method, body) {
            ("GET", _) => client.get(url),
            ("UPLOAD", Body::Upload(bytes)) => {
                let part = reqwest::multipart::Part::bytes(bytes).file_name("big.csv");
                client
                    .post(url)
                    .multipart(reqwest::multipart::Form::new().part("file", part))
            }
            (m, Body::Json(json)) => client
                .request(m.parse().unwrap(), url)
                .header(CONTENT_TYPE, "application/json")
                .body(json),
            (m, Body::Bytes(kind, bytes)) => client
                .request(m.parse().unwrap(), url)
                .header(CONTENT_TYPE, kind)
                .body(bytes),
            (m, _) => client.request(m.parse().unwrap(), url),
        };
        let res = req.bearer_auth(auth).send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let clear = text.contains("\"error\"") && text.contains("\"message\"");
        if !(400..500).contains(&status) || !clear {
            failures.push(format!(
                "{name}: {status} {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        if fingerprint(&app) != before {
            failures.push(format!("{name}: something was written"));
        }
    }

    // The same on the pages: broken UTF-8 and NUL in a form, and a register query that overflows.
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let csrf = browser.csrf().await;
    let mut raw = format!("_csrf={csrf}&title=").into_bytes();
    raw.extend_from_slice(b"\xff\xfe&summary=s&service_area=legal&kind=other");
    let res = browser
        .client
        .post(app.url("/opportunities"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(raw)
        .send()
        .await
        .unwrap();
    if !(400..500).contains(&res.status().as_u16()) {
        failures.push(format!("broken UTF-8 form: {}", res.status()));
    }
    let res = browser
        .post(
            "/opportunities",
            &[
                ("title", "a\u{0}b"),
                ("summary", "s"),
                ("service_area", "legal"),
                ("kind", "other"),
                ("visibility", "draft"),
            ],
        )
        .await;
    if res.status() != 422 {
        failures.push(format!("NUL in a form: {}", res.status()));
    }
    let (status, _) = browser
        .get_html("/opportunities?page=99999999999999999999")
        .await;
    if !(status == 200 || (400..500).contains(&status)) {
        failures.push(format!("register page overflow: {status}"));
    }
    if fingerprint(&app) != before {
        failures.push("the forms wrote something".into());
    }
    assert!(
        failures.is_empty(),
        "bad input not handled:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_nul_in_the_address_is_a_clear_400_everywhere() {
    let (app, t, _) = spawn_with_workspaces().await;
    let token = app.token(t.own(Role::Staff)).await;
    let browser = app.signed_in(t.own(Role::Staff)).await;
    for path in [
        "/workspaces/a%00b",
        "/workspaces/pub-ws/feed.atom?token=a%00",
        "/opportunities?q=a%00b",
        "/unsubscribe/a%00b",
        "/dashboard?theme=%00",
        "/admin/audit?person=%00",
    ] {
        let (status, html) = browser.get_html(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("NUL"), "{path}: the page says why");
    }
    let (status, problem) = answer(app.api_get(&token, "/api/v1/workspaces/a%00b").await).await;
    assert_eq!(status, 400);
    assert_eq!(problem["error"], "bad_request");
}

#[tokio::test]
async fn a_reference_to_a_record_that_cannot_exist_is_named_not_a_server_error() {
    let (app, t, w) = spawn_with_workspaces().await;
    let token = app.token(t.own(Role::Staff)).await;
    let before = fingerprint(&app);
    let path = format!("/api/v1/workspaces/pub-ws/actions/{}", w.action);
    for (field, body) in [
        (
            "owner_user_id",
            json!({ "owner_user_id": -3159, "rag": "green" }),
        ),
        (
            "owner_organisation_id",
            json!({ "owner_organisation_id": 0, "rag": "green" }),
        ),
    ] {
        let (status, problem) = answer(patch_json(&app, &token, &path, body.clone()).await).await;
        assert_eq!(status, 422, "{body}");
        assert!(problem["fields"][field].is_string(), "{problem}");
    }
    assert_eq!(fingerprint(&app), before);
}
