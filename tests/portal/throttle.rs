//! A stranger cannot lock anyone out: a guessing attack and the account's owner side by
//! side, through HTTP. A browser or API client that signed in before carries a device
//! cookie (or token) and keeps signing in; guesses without one stay throttled per account
//! and per source; a busy shared address never refuses an account with no failures of its
//! own; a forged, expired or other account's device token is worth nothing.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use metro_portal::auth::device;
use metro_portal::auth::tokens::Keys;
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;
use serde_json::Value;

use crate::common::{
    assert_locked_out, set_cookie, spawn_app, spawn_app_with, statuses_at_once, Browser, TestApp,
    TestUser, PASSWORD,
};

const WRONG: &str = "a wrong guess at the password";

fn staff(app: &TestApp) -> TestUser {
    let org = app.create_org(
        &format!("council-{}", app.count("organisations")),
        OrgKind::CityCouncil,
    );
    app.create_user(org, Role::Staff)
}

/// A browser whose cookie jar already holds this device cookie value.
fn browser_with_device_cookie(app: &TestApp, value: &str) -> Browser {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.address.parse().unwrap();
    jar.add_cookie_str(&format!("metro_device={value}; Path=/"), &url);
    app.browser_with_jar(jar)
}

/// Asks for an API token, from `ip` (when the app trusts X-Forwarded-For) and with a device
/// token in `X-Device-Token` if given.
async fn token_from(
    app: &TestApp,
    ip: Option<&str>,
    email: &str,
    password: &str,
    device_token: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .api()
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({ "email": email, "password": password }));
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", ip);
    }
    if let Some(token) = device_token {
        req = req.header("x-device-token", token);
    }
    req.send().await.unwrap()
}

/// Signs in over the API and gives the device token from the answer.
async fn device_token_of(app: &TestApp, user: &TestUser) -> String {
    let res = app.token_response(&user.email, &user.password).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["device_token"]
        .as_str()
        .expect("a device token")
        .to_string()
}

/// Wrong guesses at `email` from a client with no device cookie until it is refused.
async fn lock_account(app: &TestApp, email: &str) {
    for _ in 0..5 {
        assert_eq!(app.token_status(email, WRONG).await, 401);
    }
    assert_eq!(app.token_status(email, PASSWORD).await, 429);
}

/// Asks for an API token with the right password from a client that keeps cookies.
async fn sign_in_keeping_cookies(
    client: &reqwest::Client,
    url: &str,
    email: &str,
) -> reqwest::Response {
    client
        .post(url)
        .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
}

fn audited(app: &TestApp, action: &str) -> usize {
    app.audit_actions().iter().filter(|a| *a == action).count()
}

#[tokio::test]
async fn the_owners_browser_keeps_signing_in_while_a_guessing_attack_runs() {
    let app = spawn_app().await;
    let user = staff(&app);
    let owner = app.browser();
    let res = owner.login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = set_cookie(&res, "metro_device").expect("a device cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(part), "{part} missing: {cookie}");
    }
    assert_eq!(owner.post("/logout", &[]).await.status(), 303);

    // The attacker: the same address, no device cookie.
    let attacker = app.browser();
    let mut answers = Vec::new();
    for _ in 0..12 {
        answers.push(attacker.login(&user.email, WRONG).await.status().as_u16());
    }
    assert_eq!(answers, [vec![401; 5], vec![429; 7]].concat());
    // And across other accounts, until the address is over its limit as well.
    for n in 0..20 {
        let email = format!("guess{n}@elsewhere.test");
        assert_eq!(attacker.login(&email, WRONG).await.status(), 401);
    }

    let res = owner.login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 303, "the owner was locked out");
    assert!(
        set_cookie(&res, "metro_device").is_some(),
        "a new device cookie"
    );
    assert_eq!(owner.get("/account").await.status(), 200);
    // The owner's browser is judged by its own failures: a typo is checked, not refused.
    assert_eq!(owner.login(&user.email, WRONG).await.status(), 401);
    assert_eq!(owner.login(&user.email, PASSWORD).await.status(), 303);

    // Without the cookie even the right password is refused, with the usual answer, and the
    // owner signing in has not reopened the account to guessing.
    assert_locked_out(attacker.login(&user.email, PASSWORD).await).await;
    assert_eq!(attacker.login(&user.email, WRONG).await.status(), 429);
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");

    assert_eq!(app.count("sessions"), 3);
    assert_eq!(audited(&app, "sign_in.failed"), 5 + 20 + 1);
    assert_eq!(audited(&app, "sign_in.throttled"), 7 + 3);
    assert!(
        audited(&app, "sign_in.locked") >= 2,
        "the account and the address"
    );
    assert_eq!(audited(&app, "sign_in.succeeded"), 3);
}

#[tokio::test]
async fn failures_from_a_shared_address_do_not_refuse_an_account_without_failures_of_its_own() {
    let app = spawn_app().await;
    let colleague = staff(&app);
    let guessed = staff(&app);
    // Everyone behind the council's NAT shares 127.0.0.1 here; 25 failures exceed its 20.
    let nat = app.browser();
    for n in 0..25 {
        let email = format!("typo{n}@council.test");
        assert_eq!(nat.login(&email, WRONG).await.status(), 401);
    }
    // The first try at an account is checked; after that a busy address is refused for it.
    assert_eq!(app.token_status(&guessed.email, WRONG).await, 401);
    assert_eq!(app.token_status(&guessed.email, PASSWORD).await, 429);
    assert_eq!(app.token_status("typo0@council.test", WRONG).await, 429);

    // A colleague with no failures of their own signs in from the same address, in a
    // browser and over the API, without any device cookie.
    let res = app.browser().login(&colleague.email, PASSWORD).await;
    assert_eq!(
        res.status(),
        303,
        "the shared address locked out a colleague"
    );
    assert_eq!(app.token_status(&colleague.email, PASSWORD).await, 200);
}

#[tokio::test]
async fn guesses_stay_throttled_per_account_and_per_source() {
    let app = spawn_app_with(|s| {
        s.server.trust_forwarded_for = true;
        s.security.max_failures_per_client = 4;
    })
    .await;
    let user = staff(&app);

    // Per account: five wrong guesses from five addresses, and every address is refused.
    for n in 0..5 {
        let ip = format!("198.51.100.{n}");
        let res = token_from(&app, Some(&ip), &user.email, WRONG, None).await;
        assert_eq!(res.status(), 401);
    }
    for n in 5..8 {
        let ip = format!("198.51.100.{n}");
        let res = token_from(&app, Some(&ip), &user.email, WRONG, None).await;
        assert_eq!(res.status(), 429);
    }
    let res = token_from(&app, Some("198.51.100.9"), &user.email, PASSWORD, None).await;
    assert_eq!(res.status(), 429);

    // Per source: one address guessing across accounts.
    let source = Some("203.0.113.7");
    for n in 0..4 {
        let email = format!("guess{n}@elsewhere.test");
        let res = token_from(&app, source, &email, WRONG, None).await;
        assert_eq!(res.status(), 401);
    }
    let res = token_from(&app, source, "guess0@elsewhere.test", WRONG, None).await;
    assert_eq!(res.status(), 429);
    // A first try at another account is checked once; then that account is refused too.
    let res = token_from(&app, source, "guess9@elsewhere.test", WRONG, None).await;
    assert_eq!(res.status(), 401);
    let res = token_from(&app, source, "guess9@elsewhere.test", WRONG, None).await;
    assert_eq!(res.status(), 429);
    // Another address is not held back by this one's guesses.
    let res = token_from(
        &app,
        Some("192.0.2.1"),
        "guess0@elsewhere.test",
        WRONG,
        None,
    )
    .await;
    assert_eq!(res.status(), 401);

    // Refused attempts were never checked: they are audited as throttled, not failed, and
    // add no failure to any count.
    let failed = 5 + 4 + 1 + 1;
    assert_eq!(audited(&app, "sign_in.failed"), failed);
    assert_eq!(audited(&app, "sign_in.throttled"), 3 + 1 + 1 + 1);
    assert_eq!(app.count("login_failures"), 2 * failed as i64);
    assert_eq!(app.count("sessions"), 0);
}

#[tokio::test]
async fn a_forged_expired_or_other_accounts_device_token_gives_no_benefit() {
    let app = spawn_app().await;
    let owner = staff(&app);
    let other = staff(&app);
    let owner_token = device_token_of(&app, &owner).await;
    let other_token = device_token_of(&app, &other).await;

    // Someone holding a device token of their own account guesses at the owner's: the
    // guesses count against the owner's account like any untrusted client's.
    for _ in 0..5 {
        let res = token_from(&app, None, &owner.email, WRONG, Some(&other_token)).await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(app.token_status(&owner.email, PASSWORD).await, 429);

    let (data, signature) = other_token.split_once('.').unwrap();
    let data = String::from_utf8(URL_SAFE_NO_PAD.decode(data).unwrap()).unwrap();
    let renamed = data.replacen(&format!(":{}:", other.id), &format!(":{}:", owner.id), 1);
    assert_ne!(renamed, data);
    let relabelled = format!("{}.{signature}", URL_SAFE_NO_PAD.encode(renamed));
    let (data, signature) = owner_token.split_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{data}.{flipped}{}", &signature[1..]);
    let secret = std::fs::read_to_string(app.data_dir.join("signing.key")).unwrap();
    let keys = Keys::new(secret.trim().as_bytes());
    let yesterday = metro_portal::db::now() - chrono::Duration::days(1);
    let expired = device::issue(&keys, owner.id, yesterday);

    for (what, token) in [
        ("another account's", other_token.as_str()),
        ("a relabelled", relabelled.as_str()),
        ("a tampered", tampered.as_str()),
        ("an expired", expired.as_str()),
        ("a made-up", "not-a-device-token"),
    ] {
        let res = token_from(&app, None, &owner.email, PASSWORD, Some(token)).await;
        assert_eq!(res.status(), 429, "{what} device token was trusted");
        let res = browser_with_device_cookie(&app, token)
            .login(&owner.email, PASSWORD)
            .await;
        assert_eq!(res.status(), 429, "{what} device cookie was trusted");
    }
    assert_eq!(app.count("sessions"), 2);

    // The genuine ones still work, for their own accounts; so does one we sign ourselves,
    // which shows the key above was the portal's.
    let res = token_from(&app, None, &owner.email, PASSWORD, Some(&owner_token)).await;
    assert_eq!(res.status(), 200);
    let res = token_from(&app, None, &other.email, PASSWORD, Some(&other_token)).await;
    assert_eq!(res.status(), 200);
    let fresh = device::issue(&keys, owner.id, yesterday + chrono::Duration::days(30));
    let res = browser_with_device_cookie(&app, &fresh)
        .login(&owner.email, PASSWORD)
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn an_api_client_with_its_device_token_keeps_signing_in_during_an_attack() {
    let app = spawn_app().await;
    let user = staff(&app);
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res, "metro_device").expect("the device token as a cookie too");
    let body: Value = res.json().await.unwrap();
    let token = body["device_token"].as_str().unwrap().to_string();
    assert!(
        cookie.starts_with(&format!("metro_device={token};")),
        "{cookie}"
    );
    let jar_client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let url = app.url("/api/v1/auth/token");
    let res = sign_in_keeping_cookies(&jar_client, &url, &user.email).await;
    assert_eq!(res.status(), 200);

    lock_account(&app, &user.email).await;

    // With the token in the header: signed in, with a new device token.
    let res = token_from(&app, None, &user.email, PASSWORD, Some(&token)).await;
    assert_eq!(res.status(), 200, "the owner's API client was locked out");
    let body: Value = res.json().await.unwrap();
    let renewed = body["device_token"].as_str().unwrap().to_string();
    assert_ne!(renewed, token);
    assert_eq!(app.me_status(body["token"].as_str().unwrap()).await, 200);
    let res = token_from(&app, None, &user.email, PASSWORD, Some(&renewed)).await;
    assert_eq!(res.status(), 200);

    // A client that keeps cookies gets the same from the cookie alone.
    let res = sign_in_keeping_cookies(&jar_client, &url, &user.email).await;
    assert_eq!(res.status(), 200, "the device cookie alone was not enough");

    // Without a token, the attacker stays refused even with the right password.
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());

    // The header and the new field are in the API's description.
    let doc = app.anon_json("/api/v1/openapi.json").await;
    let parameters = doc["paths"]["/api/v1/auth/token"]["post"]["parameters"]
        .as_array()
        .expect("parameters");
    assert!(parameters
        .iter()
        .any(|p| p["name"] == "X-Device-Token" && p["in"] == "header"));
    assert!(
        doc["components"]["schemas"]["TokenResponse"]["properties"]["device_token"].is_object()
    );
}

#[tokio::test]
async fn a_device_that_keeps_failing_is_locked_out_alone() {
    let app = spawn_app().await;
    let user = staff(&app);
    let first = app.signed_in(&user).await;
    let second = app.signed_in(&user).await;
    for _ in 0..5 {
        assert_eq!(first.login(&user.email, WRONG).await.status(), 401);
    }
    assert_locked_out(first.login(&user.email, PASSWORD).await).await;
    // The person's other browser, and a new one, are not held back by the first's failures.
    assert_eq!(second.login(&user.email, PASSWORD).await.status(), 303);
    assert_eq!(
        app.browser().login(&user.email, PASSWORD).await.status(),
        303
    );
    assert!(audited(&app, "sign_in.locked") >= 1);
}

#[tokio::test]
async fn parallel_guesses_from_one_device_cannot_slip_past_its_limit() {
    let app = spawn_app().await;
    let user = staff(&app);
    let token = device_token_of(&app, &user).await;
    let guesses = (0..12).map(|n| {
        let password = if n == 11 { PASSWORD } else { WRONG };
        token_from(&app, None, &user.email, password, Some(&token))
    });
    let answers = statuses_at_once(guesses).await;
    let checked = answers.iter().filter(|s| **s != 429).count();
    assert!(checked <= 5, "{checked} attempts were checked: {answers:?}");
    assert_eq!(
        app.count("sessions"),
        1 + answers.iter().filter(|s| **s == 200).count() as i64
    );
}

#[tokio::test]
async fn over_https_the_device_cookie_is_host_prefixed_and_secure() {
    let app = spawn_app_with(|s| s.server.base_url = "https://metro.example".into()).await;
    let user = staff(&app);
    let res = app.token_response(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res, "__Host-metro_device").expect("a host-prefixed device cookie");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(part), "{part} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
}
