//! Signing in on the page and the API, the generic failure, and throttling.

use crate::common::{
    answer, answer_text, assert_locked_out, first_header, location, spawn_app, spawn_app_with,
    spawn_with_user, statuses_at_once, PASSWORD,
};
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn sign_in_page_starts_a_session_and_shows_who_is_signed_in() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.browser();
    let email = user.email.to_uppercase();
    let res = browser.login_next(&email, PASSWORD, "/account").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    let cookie = first_header(&res, "set-cookie");
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
    let (app, user) = spawn_with_user(Role::Staff).await;
    let disabled = app.create_user(user.organisation_id, Role::Leader);
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
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.browser();
    let res = browser
        .login_next(&user.email, PASSWORD, "//evil.example/x")
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
    let (status, body) = answer(app.post_anon("/api/v1/auth/token", &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "validation_failed");
    assert!(body["fields"]["email"].is_string() && body["fields"]["password"].is_string());

    let res = app
        .browser()
        .post("/login", &[("email", ""), ("password", "")])
        .await;
    let (status, html) = answer_text(res).await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#email\"") && html.contains("Enter your password"));
}

#[tokio::test]
async fn an_account_is_locked_after_repeated_failures_even_for_the_right_password() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    for _ in 0..5 {
        assert_eq!(
            app.token_status(&user.email, "wrong password, again").await,
            401
        );
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

    assert_locked_out(app.browser().login(&user.email, PASSWORD).await).await;
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
        assert_eq!(
            app.token_status(&format!("guess{n}@org.test"), "some guess or other")
                .await,
            401
        );
    }
    // Another guess at an account it has already tried is refused without a check.
    assert_eq!(
        app.token_status("guess0@org.test", "yet another guess")
            .await,
        429
    );
    // A different, real account with no failures of its own still signs in from the same
    // client: the address's limit never refuses it the right password.
    assert_eq!(app.token_status(&user.email, PASSWORD).await, 200);
}

#[tokio::test]
async fn a_success_clears_the_account_failures() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    // Four failures and a success, twice: the second four start from nothing.
    for _ in 0..2 {
        for _ in 0..4 {
            assert_eq!(
                app.token_status(&user.email, "wrong password, again").await,
                401
            );
        }
        assert_eq!(app.token_status(&user.email, PASSWORD).await, 200);
    }
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.browser();
    let res = browser.get("/account").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Faccount");
    let (_, html) = browser.get_html(&location(&res)).await;
    assert!(html.contains("name=\"next\" value=\"/account\""));
    let res = browser.login_next(&user.email, PASSWORD, "/account").await;
    assert_eq!(location(&res), "/account");
    assert_eq!(browser.get("/account").await.status(), 200);
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_account_limit() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let guesses = (0..12).map(|n| {
        let password = if n == 11 {
            PASSWORD
        } else {
            "a wrong guess at it"
        };
        app.token_response(&user.email, password)
    });
    let answers = statuses_at_once(guesses).await;
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
