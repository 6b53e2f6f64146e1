//! HTTP as clients and caches expect it (RFC 9110, RFC 9111): validators with 304 on
//! `If-None-Match`, gzip for those who ask, caching rules on every answer and `OPTIONS`.

use std::io::Read;

use metro_portal::users::Role;
use serde_json::json;

use crate::common::*;

/// A GET with optional bearer token and extra headers.
async fn fetch(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.api().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// A portal with two tenants, and an API token of the first's staff member.
async fn spawn_with_staff_token() -> (TestApp, String) {
    let (app, t) = spawn_tenants().await;
    let token = app.token(t.own(Role::Staff)).await;
    (app, token)
}

/// Every value the answer gives for `name`, joined as one list.
fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tag of a 200, after checking that asking again with it (GET and HEAD, alone or in a
/// list, weak or strong) is 304 with no body and the same tag.
async fn tag_of(app: &TestApp, path: &str, token: Option<&str>) -> String {
    let res = fetch(app, reqwest::Method::GET, path, token, &[]).await;
    assert_eq!(res.status(), 200, "{path}");
    let tag = header(&res, "etag");
    assert!(
        tag.starts_with("W/\"") && tag.ends_with('"'),
        "{path}: {tag:?}"
    );
    let strong = tag.trim_start_matches("W/").to_string();
    let listed = format!("\"something-else\", {tag}");
    for (method, asked) in [
        (reqwest::Method::GET, tag.as_str()),
        (reqwest::Method::GET, strong.as_str()),
        (reqwest::Method::GET, listed.as_str()),
        (reqwest::Method::HEAD, tag.as_str()),
    ] {
        let again = fetch(
            app,
            method.clone(),
            path,
            token,
            &[("If-None-Match", asked)],
        )
        .await;
        assert_eq!(again.status(), 304, "{method} {path} with {asked}");
        assert_eq!(header(&again, "etag"), tag, "{path}");
        assert!(!header(&again, "cache-control").is_empty(), "{path}");
        assert!(
            again.bytes().await.unwrap().is_empty(),
            "{path}: 304 has no body"
        );
    }
    let other = fetch(
        app,
        reqwest::Method::GET,
        path,
        token,
        &[("If-None-Match", "W/\"not-this-one\"")],
    )
    .await;
    assert_eq!(other.status(), 200, "{path}: another tag gets the answer");
    tag
}

#[tokio::test]
async fn unchanged_answers_are_304_and_a_change_gives_a_new_tag() {
    let (app, t, _) = spawn_with_workspaces().await;
    let staff = t.own(Role::Staff);
    let token = app.token(staff).await;
    let signed_out = [
        "/workspaces/pub-ws/feed.atom",
        "/opportunities/feed.atom",
        "/opportunities",
        "/api/v1/opportunities",
    ];
    let signed_in = [
        "/api/v1/opportunities",
        "/api/v1/opportunities/export.csv",
        "/api/v1/opportunities/export.json",
        "/api/v1/workspaces/pub-ws/posts",
    ];
    // Asked again, a list that did not change is still 304.
    let workspaces = tag_of(&app, "/api/v1/workspaces", Some(&token)).await;
    let mut before = Vec::new();
    for path in signed_out {
        before.push(tag_of(&app, path, None).await);
    }
    for path in signed_in {
        before.push(tag_of(&app, path, Some(&token)).await);
    }

    // An update in the workspace and a new public opportunity change what each one says.
    app.post_update(staff, "pub-ws", "Tram extension consultation opens");
    let public = json!({
        "title": "Shared occupational health service",
        "summary": "One occupational health contract for both cities",
        "service_area": "hr_payroll",
        "kind": "shared_service",
        "visibility": "public"
    });
    let res = post_json(&app, &token, "/api/v1/opportunities", public).await;
    let (status, text) = answer_text(res).await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(
        tag_of(&app, "/api/v1/workspaces", Some(&token)).await,
        workspaces
    );
    let mut after = Vec::new();
    for path in signed_out {
        after.push(tag_of(&app, path, None).await);
    }
    for path in signed_in {
        after.push(tag_of(&app, path, Some(&token)).await);
    }
    for (i, path) in signed_out.iter().chain(signed_in.iter()).enumerate() {
        assert_ne!(before[i], after[i], "{path} changed, and so did its tag");
        // The old tag no longer matches: the new answer is sent whole.
        let res = fetch(
            &app,
            reqwest::Method::GET,
            path,
            (i >= signed_out.len()).then_some(token.as_str()),
            &[("If-None-Match", before[i].as_str())],
        )
        .await;
        assert_eq!(res.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn text_is_gzipped_for_clients_that_ask_and_workbooks_are_not() {
    let (app, token) = spawn_with_staff_token().await;
    for path in [
        "/api/v1/opportunities",
        "/opportunities",
        "/api/v1/openapi.json",
        "/assets/metro.css",
    ] {
        let plain = fetch(&app, reqwest::Method::GET, path, Some(&token), &[]).await;
        assert_eq!(header(&plain, "content-encoding"), "", "{path}");
        let plain = plain.bytes().await.unwrap();
        let zipped = fetch(
            &app,
            reqwest::Method::GET,
            path,
            Some(&token),
            &[("Accept-Encoding", "gzip")],
        )
        .await;
        assert_eq!(zipped.status(), 200, "{path}");
        assert_eq!(header(&zipped, "content-encoding"), "gzip", "{path}");
        assert!(
            header(&zipped, "vary")
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{path}"
        );
        let bytes = zipped.bytes().await.unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        if path.ends_with("css") || path.ends_with(".json") {
            assert_eq!(unzipped, plain.to_vec(), "{path}");
        } else {
            assert!(!unzipped.is_empty(), "{path}");
        }
    }
    let book = fetch(
        &app,
        reqwest::Method::GET,
        "/api/v1/opportunities/export.xlsx",
        Some(&token),
        &[("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(book.status(), 200);
    assert_ne!(
        header(&book, "content-encoding"),
        "gzip",
        "a zip is not zipped again"
    );
    assert_eq!(&book.bytes().await.unwrap()[..2], b"PK");
}

#[tokio::test]
async fn answers_say_how_they_may_be_kept_and_every_path_answers_options() {
    let (app, token) = spawn_with_staff_token().await;
    // Bearer answers: only the client itself may keep them, and it must ask again first.
    for path in [
        "/api/v1/me",
        "/api/v1/opportunities",
        "/api/v1/notifications",
    ] {
        let res = fetch(&app, reqwest::Method::GET, path, Some(&token), &[]).await;
        assert_eq!(res.status(), 200, "{path}");
        let rule = header(&res, "cache-control");
        assert!(
            rule.contains("private") && rule.contains("no-cache"),
            "{path}: {rule}"
        );
        assert!(header(&res, "vary").contains("Authorization"), "{path}");
    }
    // Failures are not kept at all; pages are never stored; assets are public.
    let missing = fetch(
        &app,
        reqwest::Method::GET,
        "/api/v1/opportunities/999999",
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "cache-control"), "no-store");
    let page = fetch(&app, reqwest::Method::GET, "/opportunities", None, &[]).await;
    assert_eq!(header(&page, "cache-control"), "no-store");
    let asset = fetch(&app, reqwest::Method::GET, "/assets/metro.css", None, &[]).await;
    assert!(header(&asset, "cache-control").starts_with("public"));

    for (path, allow) in [
        ("/api/v1/opportunities", "GET, HEAD, POST, OPTIONS"),
        ("/opportunities", "GET, HEAD, POST, OPTIONS"),
        ("/opportunities/new", "GET, HEAD, OPTIONS"),
        ("/accessibility", "GET, HEAD, OPTIONS"),
        ("/api/v1/opportunities/{id}", "GET, HEAD, PATCH, OPTIONS"),
    ] {
        let concrete = path.replace("{id}", "1");
        let res = fetch(&app, reqwest::Method::OPTIONS, &concrete, None, &[]).await;
        assert_eq!(res.status(), 204, "OPTIONS {path}");
        let mut got: Vec<String> = header(&res, "allow")
            .split(", ")
            .map(String::from)
            .collect();
        got.sort();
        let mut want: Vec<String> = allow.split(", ").map(String::from).collect();
        want.sort();
        assert_eq!(got, want, "OPTIONS {path}");
    }
    let res = fetch(&app, reqwest::Method::OPTIONS, "/no-such-page", None, &[]).await;
    assert_eq!(res.status(), 404);
}

/// The status and problem of a JSON request.
async fn sent(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    answer(app.send_json(method, token, path, &body).await).await
}

/// A well-formed request that the record's present state does not allow is 409 (RFC 9110
/// §15.5.10) naming the field, as a 422 would; the same refusal on a form is shown by that
/// field, with the form kept, not as an error page; and nothing is written.
#[tokio::test]
async fn a_refusal_by_the_records_state_is_409_on_the_api_and_by_the_field_on_a_form() {
    use reqwest::Method;
    let (app, t) = spawn_tenants().await;
    let o = app.opportunities(&t);
    let refused = |(status, problem): (u16, serde_json::Value), field: &str| {
        assert_eq!(status, 409, "{problem}");
        assert_eq!(problem["error"], "conflict", "{problem}");
        assert!(problem["fields"][field].is_string(), "{problem}");
    };

    // A second review for the same quarter.
    let leader = app.token(t.own(Role::Leader)).await;
    let open = json!({ "quarter": "2026/27 Q2", "deadline": "2026-10-15" });
    let (status, _) = sent(&app, Method::POST, &leader, "/api/v1/reviews", open.clone()).await;
    assert_eq!(status, 201);
    refused(
        sent(&app, Method::POST, &leader, "/api/v1/reviews", open).await,
        "quarter",
    );
    let browser = app.signed_in(t.own(Role::Leader)).await;
    let fields = [("quarter", "2026/27 Q2"), ("deadline", "2026-10-15")];
    let (status, html) = answer_text(browser.post("/reviews", &fields).await).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"quarter-error\""), "{html}");
    assert!(html.contains("There is already a review for this quarter"));
    assert!(
        html.contains("value=\"2026/27 Q2\""),
        "the form keeps what was typed"
    );
    assert_eq!(app.count("reviews"), 1);

    // A pipeline move the present stage does not allow (a page left open while someone else
    // moved it, or a client that did not ask).
    let staff = app.token(t.own(Role::Staff)).await;
    let moves = app.count("opportunity_transitions");
    let path = format!("/opportunities/{}/transitions", o.own_opp);
    refused(
        sent(
            &app,
            Method::POST,
            &staff,
            &format!("/api/v1{path}"),
            json!({ "to": "realised" }),
        )
        .await,
        "to",
    );
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let fields = [("to", "realised"), ("note", "")];
    let (status, html) = answer_text(browser.post(&path, &fields).await).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"to-error\""), "{html}");
    assert!(html.contains("An opportunity cannot move from Idea to Realised"));
    assert_eq!(app.count("opportunity_transitions"), moves);

    // A comment proposing such a move, from a partner council.
    let other = app.token(t.other(Role::Staff)).await;
    let comments = app.count("opportunity_comments");
    refused(
        sent(
            &app,
            Method::POST,
            &other,
            &format!("/api/v1/opportunities/{}/comments", o.own_opp),
            json!({ "body": "Ready now?", "proposed_stage": "realised" }),
        )
        .await,
        "proposed_stage",
    );
    assert_eq!(app.count("opportunity_comments"), comments);

    // A personal delivery on a follow that is the organisation's.
    let admin = app.token(t.own(Role::OrgAdmin)).await;
    let (status, sub) = sent(
        &app,
        Method::POST,
        &admin,
        "/api/v1/subscriptions",
        json!({ "target": "register", "scope": "organisation" }),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    let path = format!("/api/v1/subscriptions/{}", sub["id"]);
    refused(
        sent(
            &app,
            Method::PATCH,
            &admin,
            &path,
            json!({ "delivery": "weekly" }),
        )
        .await,
        "delivery",
    );
    let (status, problem) = sent(
        &app,
        Method::PATCH,
        &admin,
        &path,
        json!({ "delivery": "hourly" }),
    )
    .await;
    assert_eq!(
        status, 422,
        "a value no follow takes is invalid first: {problem}"
    );
}
