//! Signing in on the page and the API, the generic failure, and throttling.

use crate::common::{location, spawn_app, spawn_app_with, PASSWORD};
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;
use serde_json::Value;

#[tokio::test]
async fn sign_in_page_starts_a_session_and_shows_who_is_signed_in() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let browser = app.browser();
    let res = browser
        .post(
            "/login",
            &[
                ("email", &user.email.to_uppercase()),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("metro_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (status, html) = browser.get_html("/account").await;
    assert_eq!(status, 200);
    assert!(html.contains(&user.email) && html.contains("Org derby"));
    assert_eq!(app.count("sessions"), 1);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_generic_answer() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let mut bodies = Vec::new();
    for (email, password) in [
        (user.email.as_str(), "not the right password"),
        ("nobody@nowhere.test", PASSWORD),
    ] {
        let browser = app.browser();
        let res = browser.login(email, password).await;
        assert_eq!(res.status(), 401);
        assert!(res
            .headers()
            .get("set-cookie")
            .map(|c| !c.to_str().unwrap().contains("metro_session"))
            .unwrap_or(true));
        let html = res.text().await.unwrap();
        assert!(html.contains("Enter a correct email address and password"));
        assert!(html.contains("There is a problem"));
        bodies.push(html);

        let res = app.token_response(email, password).await;
        assert_eq!(res.status(), 401);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_credentials");
    }
    assert_eq!(app.count("sessions"), 0);
}

#[tokio::test]
async fn the_open_redirect_after_sign_in_is_closed() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let browser = app.browser();
    let res = browser
        .post(
            "/login",
            &[
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn missing_fields_are_named() {
    let app = spawn_app().await;
    let res = app
        .api()
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "validation_failed");
    assert!(body["fields"]["email"].is_string() && body["fields"]["password"].is_string());

    let res = app
        .browser()
        .post("/login", &[("email", ""), ("password", "")])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("href=\"#email\"") && html.contains("Enter your password"));
}

#[tokio::test]
async fn an_account_is_locked_after_repeated_failures_even_for_the_right_password() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    for _ in 0..5 {
        let res = app
            .token_response(&user.email, "wrong password, again")
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("too many failed attempts"));

    let res = app.browser().login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("too many failed attempts"));
    assert_eq!(app.count("sessions"), 0);

    let actions = app.audit_actions();
    assert_eq!(actions.iter().filter(|a| *a == "sign_in.failed").count(), 5);
    assert!(actions.iter().any(|a| a == "sign_in.locked"));
    assert_eq!(
        actions.iter().filter(|a| *a == "sign_in.throttled").count(),
        2
    );
}

#[tokio::test]
async fn a_client_guessing_across_accounts_is_throttled() {
    let app = spawn_app_with(|s| s.security.max_failures_per_client = 3).await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    for n in 0..3 {
        let res = app
            .token_response(&format!("guess{n}@org.test"), "some guess or other")
            .await;
        assert_eq!(res.status(), 401);
    }
    // A different, real account from the same client is refused too.
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn a_success_clears_the_account_failures() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    for _ in 0..4 {
        assert_eq!(
            app.token_response(&user.email, "wrong password, again")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.token_response(&user.email, PASSWORD).await.status(),
        200
    );
    for _ in 0..4 {
        assert_eq!(
            app.token_response(&user.email, "wrong password, again")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.token_response(&user.email, PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let app = spawn_app().await;
    let res = app.browser().get("/account").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Faccount");
}
