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
async fn a_wrong_password_an_unknown_account_and_a_disabled_one_get_the_same_answer() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let disabled = app.create_user(org, Role::Leader);
    {
        let mut conn = app.db.get().unwrap();
        metro_portal::users::queries::set_status(
            &mut conn,
            disabled.id,
            metro_portal::users::UserStatus::Disabled,
        )
        .unwrap();
    }
    let mut summaries = Vec::new();
    for (email, password) in [
        (user.email.as_str(), "not the right password"),
        ("nobody@nowhere.test", PASSWORD),
        (disabled.email.as_str(), PASSWORD),
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
        let start = html.find("There is a problem").expect("an error summary");
        let end = start + html[start..].find("</ul>").unwrap();
        summaries.push(html[start..end].to_string());

        let res = app.token_response(email, password).await;
        assert_eq!(res.status(), 401);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_credentials");
    }
    assert!(summaries[0].contains("Enter a correct email address and password"));
    assert!(
        summaries.windows(2).all(|w| w[0] == w[1]),
        "the answers differ: {summaries:?}"
    );
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
    // Signed in now, /login sends straight on: each of these must stay on the portal.
    for next in [
        "//evil.example",
        "/%09/evil.example",
        "/%5C/evil.example",
        "https://evil.example",
        "/%20/evil.example",
    ] {
        let res = browser.get(&format!("/login?next={next}")).await;
        assert_eq!(res.status(), 303, "{next}");
        assert_eq!(location(&res), "/", "{next}");
    }
    let res = browser.get("/login?next=%2Fworkspaces%3Fpage%3D2").await;
    assert_eq!(location(&res), "/workspaces?page=2");
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
    // Another guess at an account it has already tried is refused without a check.
    let res = app
        .token_response("guess0@org.test", "yet another guess")
        .await;
    assert_eq!(res.status(), 429);
    // A different, real account with no failures of its own still signs in from the same
    // client: the address's limit never refuses it the right password.
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 200);
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
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let browser = app.browser();
    let res = browser.get("/account").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Faccount");
    let (_, html) = browser.get_html(&location(&res)).await;
    assert!(html.contains("name=\"next\" value=\"/account\""));
    let res = browser
        .post(
            "/login",
            &[
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/account");
    assert_eq!(browser.get("/account").await.status(), 200);
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_account_limit() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let guesses = (0..12).map(|n| {
        app.token_response(
            &user.email,
            if n == 11 {
                PASSWORD
            } else {
                "a wrong guess at it"
            },
        )
    });
    let answers: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let let_through = answers.iter().filter(|s| **s != 429).count();
    assert!(
        let_through <= 5,
        "{let_through} attempts were checked: {answers:?}"
    );
    assert_eq!(
        app.count("sessions"),
        answers.iter().filter(|s| **s == 200).count() as i64
    );
}
