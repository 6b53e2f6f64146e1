//! Health, headers, error shapes, static assets, the API description and the CLI.

use crate::common::{answer, assert_ran, backend, first_header, spawn_app};
use metro_portal::db::Backend;
use serde_json::{json, Value};

#[tokio::test]
async fn healthz_names_the_database_in_use() {
    let app = spawn_app().await;
    let (status, body) = answer(app.get_anon("/healthz").await).await;
    assert_eq!(status, 200);
    let expected = match backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "database": expected })
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/login",
        "/no-such-page",
        "/api/v1/me",
        "/assets/metro.css",
    ] {
        let res = app.get_anon(path).await;
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {path}"))
            .to_str()
            .unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert!(h.get("referrer-policy").is_some(), "{path}");
        // Served over plain HTTP here, so no HSTS.
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
}

#[tokio::test]
async fn https_deployments_get_hsts_and_host_prefixed_secure_cookies() {
    let app =
        crate::common::spawn_app_with(|s| s.server.base_url = "https://metro.example".into()).await;
    let res = app.get_anon("/login").await;
    assert!(first_header(&res, "strict-transport-security").contains("max-age="));
    let cookie = first_header(&res, "set-cookie");
    assert!(cookie.starts_with("__Host-metro_csrf="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn unknown_pages_answer_404_in_the_layout_and_unknown_api_paths_in_json() {
    let app = spawn_app().await;
    let res = app.get_anon("/no-such-page").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found") && html.contains("Skip to main content"));

    let (status, body) = answer(app.get_anon("/api/v1/no-such-thing").await).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].is_string() && body["fields"].is_object());
}

#[tokio::test]
async fn malformed_json_is_a_clear_400_not_a_500() {
    let app = spawn_app().await;
    let res = app
        .api()
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = answer(res).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_request");
}

#[tokio::test]
async fn openapi_describes_the_api_that_is_served() {
    let app = spawn_app().await;
    let (status, doc) = answer(app.get_anon("/api/v1/openapi.json").await).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/organisations",
        "/api/v1/organisations/{id}/users",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the document"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The document holds every API operation of the route table, each exactly once, and
    // every schema an operation names.
    let table = metro_portal::startup::route_table().table();
    let api: Vec<_> = table.iter().filter(|r| r.api).collect();
    let mut described = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            assert!(
                api.iter()
                    .any(|r| r.path == *path && r.method.as_str().eq_ignore_ascii_case(method)),
                "{method} {path} is described but not served"
            );
            described += 1;
        }
    }
    assert_eq!(described, api.len());
    // As a validator reads it: operation ids are unique (generated clients name their
    // functions after them), and the path parameters are exactly the path's placeholders;
    // everything else (page, per_page, filters) is a query parameter.
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let placeholders: Vec<&str> = path
            .split('{')
            .skip(1)
            .map(|p| p.split('}').next().unwrap())
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_string()),
                "{method} {path}: operationId {id:?} twice"
            );
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut in_path: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            in_path.sort_unstable();
            let mut want = placeholders.clone();
            want.sort_unstable();
            assert_eq!(in_path, want, "{method} {path}: path parameters");
            for p in &params {
                assert!(
                    matches!(p["in"].as_str(), Some("path" | "query" | "header")),
                    "{method} {path}: {p}"
                );
            }
        }
    }
    // Request bodies say what the checks take: a required field is never null, free text
    // has the rule for control characters (and for being filled in, where required).
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "NewOpportunityRequest",
        "SavingRequest",
        "PostRequest",
        "FollowInput",
    ] {
        let schema = &schemas[name];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(!required.is_empty(), "{name} says what it needs");
        for (field, property) in schema["properties"].as_object().unwrap() {
            let text = property.to_string();
            if required.contains(&field.as_str()) {
                assert!(
                    !text.contains("\"null\""),
                    "{name}.{field} is required: {text}"
                );
                assert!(property.get("default").is_none(), "{name}.{field}: {text}");
            }
            let free_text = property["type"].as_str() == Some("string")
                || property["type"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("string")));
            if free_text && property.get("enum").is_none() && property.get("format").is_none() {
                assert!(property["pattern"].is_string(), "{name}.{field}: {text}");
            }
        }
    }
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name} is referred to but not in the document"
        );
    }
}

/// RFC 9110: HEAD is answered wherever GET is, without a body; a method a path does not
/// serve is 405 with `Allow`, not 404; a path that does not exist stays 404.
#[tokio::test]
async fn head_is_served_and_a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let client = app.api();
    for path in [
        "/",
        "/opportunities",
        "/api/v1/opportunities",
        "/assets/metro.css",
    ] {
        let get = client.get(app.url(path)).send().await.unwrap();
        let head = client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has a body"
        );
    }
    for (method, path, allow) in [
        (
            reqwest::Method::DELETE,
            "/opportunities",
            "GET, HEAD, POST, OPTIONS",
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/opportunities",
            "GET, HEAD, POST, OPTIONS",
        ),
        (
            reqwest::Method::POST,
            "/accessibility",
            "GET, HEAD, OPTIONS",
        ),
        (reqwest::Method::GET, "/logout/", ""),
    ] {
        let res = client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        if allow.is_empty() {
            assert_eq!(res.status(), 404, "{method} {path}");
            continue;
        }
        assert_eq!(res.status(), 405, "{method} {path}");
        let mut got: Vec<&str> = res.headers()["allow"]
            .to_str()
            .unwrap()
            .split(", ")
            .collect();
        got.sort_unstable();
        let mut want: Vec<&str> = allow.split(", ").collect();
        want.sort_unstable();
        assert_eq!(got, want, "{method} {path}");
    }
    // A wrong method on the API is answered as a problem, like every API error.
    let res = client
        .patch(app.url("/api/v1/opportunities"))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(res).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "method_not_allowed");
}

#[tokio::test]
async fn pages_and_assets_are_served() {
    let app = spawn_app().await;
    for (path, needle) in [
        ("/", "Metro Portal"),
        ("/accessibility", "Accessibility statement"),
        ("/login", "Sign in"),
        ("/assets/metro.css", ".skip-link"),
        ("/assets/metro.js", "error-summary"),
    ] {
        let res = app.get_anon(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.unwrap().contains(needle), "{path}");
    }
    let res = app.get_anon("/assets/nothing.css").await;
    assert_eq!(res.status(), 404);
}

fn cli(data_dir: &std::path::Path, db_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_metro-portal"))
        .args(args)
        .env("METRO__DATA_DIR", data_dir)
        .env("DATABASE_URL", db_url)
        .env("METRO_ADMIN_PASSWORD", "a long admin password for tests")
        .output()
        .expect("run the binary")
}

#[tokio::test]
async fn cli_migrates_and_creates_a_platform_admin_who_can_sign_in() {
    let app = spawn_app().await;
    let url = app.db_url();
    let dir = tempfile::tempdir().unwrap();

    let out = cli(dir.path(), &url, &["migrate"]);
    assert_ran(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 migration(s) applied"));

    let out = cli(
        dir.path(),
        &url,
        &[
            "create-admin",
            "--email",
            "Chief@Metro.Example",
            "--org",
            "metro-office",
        ],
    );
    assert_ran(&out);
    let res = app
        .token_response("chief@metro.example", "a long admin password for tests")
        .await;
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me = app.api_json(&token, "/api/v1/me").await;
    assert_eq!(me["role"], "platform_admin");
    assert_eq!(me["organisation"]["slug"], "metro-office");

    // The same address twice is refused and changes nothing.
    let users_before = app.count("users");
    let out = cli(
        dir.path(),
        &url,
        &[
            "create-admin",
            "--email",
            "chief@metro.example",
            "--org",
            "metro-office",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has an account"));
    assert_eq!(app.count("users"), users_before);

    let out = cli(
        dir.path(),
        &url,
        &[
            "create-admin",
            "--email",
            "not-an-email",
            "--org",
            "metro-office",
        ],
    );
    assert!(!out.status.success());
}

#[test]
fn cli_help_explains_each_command() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_metro-portal"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "migrate", "create-admin", "--config"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_metro-portal"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--demo"));
}
