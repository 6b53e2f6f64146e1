//! Sessions end when they are ended: sign-out, sign out everywhere, revoked tokens; and
//! tokens that are forged, expired or of the wrong kind are refused.

use crate::common::{location, set_cookie, spawn_with_user, TestApp, TestUser};
use jsonwebtoken::{encode, EncodingKey, Header};
use metro_portal::users::Role;
use serde_json::json;

fn session_cookie(res: &reqwest::Response) -> String {
    set_cookie(res, "metro_session")
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a session cookie")
}

async fn with_cookie(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_replayed_cookie_after_sign_out_is_signed_out() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.browser();
    let cookie = session_cookie(&browser.login(&user.email, &user.password).await);
    assert_eq!(with_cookie(&app, &cookie, "/account").await.status(), 200);

    let res = browser.post("/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");

    let res = with_cookie(&app, &cookie, "/account").await;
    assert_eq!(res.status(), 303, "the old cookie must no longer work");
    assert!(location(&res).starts_with("/login"));
    assert!(app.audit_actions().contains(&"sign_out".to_string()));
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_browser_session_and_api_token() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let first = app.signed_in(&user).await;
    let second = app.signed_in(&user).await;
    let token = app.token(&user).await;
    assert_eq!(app.me_status(&token).await, 200);

    let res = first.post("/account/sign-out-everywhere", &[]).await;
    assert_eq!(res.status(), 303);

    assert_eq!(second.get("/account").await.status(), 303);
    assert_eq!(first.get("/account").await.status(), 303);
    assert_eq!(app.me_status(&token).await, 401);
    assert!(app
        .audit_actions()
        .contains(&"sign_out.everywhere".to_string()));
}

#[tokio::test]
async fn a_revoked_api_token_is_refused() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let token = app.token(&user).await;
    let res = app.revoke_token(&token).await;
    assert_eq!(res.status(), 204);
    let res = app.api_get(&token, "/api/v1/me").await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "unauthorized"
    );
}

fn secret(app: &TestApp) -> Vec<u8> {
    std::fs::read_to_string(app.data_dir.join("signing.key"))
        .unwrap()
        .trim()
        .as_bytes()
        .to_vec()
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let good = app.token(&user).await;
    assert_eq!(app.me_status(&good).await, 200);

    // The real session id, so only the signature, algorithm, expiry or audience is wrong.
    let parts: Vec<&str> = good.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[1])
            .unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let with = |aud: &str, exp: i64| json!({ "sub": claims["sub"], "sid": claims["sid"], "aud": aud, "iat": now, "exp": exp });

    let wrong_key = encode(
        &Header::default(),
        &with("metro-portal/api", now + 600),
        &EncodingKey::from_secret(b"not the portal's key at all, no"),
    )
    .unwrap();
    let expired = encode(
        &Header::default(),
        &with("metro-portal/api", now - 5),
        &EncodingKey::from_secret(&secret(&app)),
    )
    .unwrap();
    let web_audience = encode(
        &Header::default(),
        &with("metro-portal/web", now + 600),
        &EncodingKey::from_secret(&secret(&app)),
    )
    .unwrap();
    let header_none = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"alg":"none","typ":"JWT"}"#,
    );
    let alg_none = format!("{header_none}.{}.", parts[1]);
    let tampered_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        with("metro-portal/api", now + 99_999).to_string(),
    );
    let tampered = format!("{}.{}.{}", parts[0], tampered_payload, parts[2]);

    for (name, token) in [
        ("wrong key", wrong_key),
        ("expired", expired),
        ("web token on the API", web_audience),
        ("alg none", alg_none),
        ("tampered payload", tampered),
        ("garbage", "not-a-token".to_string()),
    ] {
        assert_eq!(app.me_status(&token).await, 401, "{name}");
    }

    // An API token is no session cookie either.
    let res = with_cookie(&app, &format!("metro_session={good}"), "/account").await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn a_disabled_user_loses_their_sessions_and_cannot_sign_in() {
    let (app, admin) = spawn_with_user(Role::OrgAdmin).await;
    let staff = app.create_user(admin.organisation_id, Role::Staff);
    let staff_browser = app.signed_in(&staff).await;
    let staff_token = app.token(&staff).await;

    let admin_browser = app.signed_in(&admin).await;
    assert_eq!(admin_browser.user_action(staff.id, "disable").await, 303);

    assert_eq!(staff_browser.get("/account").await.status(), 303);
    assert_eq!(app.me_status(&staff_token).await, 401);
    assert_eq!(app.token_status(&staff.email, &staff.password).await, 401);

    assert_eq!(admin_browser.user_action(staff.id, "enable").await, 303);
    assert_eq!(app.token_status(&staff.email, &staff.password).await, 200);
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"user.disabled".to_string())
            && actions.contains(&"user.enabled".to_string())
    );
}

async fn feed_status(app: &TestApp, key: &str) -> u16 {
    reqwest::get(app.url(&format!("/opportunities/feed.atom?token={key}")))
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The ways a person's credentials end: each must end their feed key and API tokens too.
#[derive(Clone, Copy, Debug)]
enum Ending {
    PasswordReset,
    SignOutEverywhere,
    Disabled,
}

async fn end(app: &TestApp, user: &TestUser, browser: &crate::common::Browser, how: Ending) {
    match how {
        Ending::SignOutEverywhere => {
            assert_eq!(
                browser
                    .post("/account/sign-out-everywhere", &[])
                    .await
                    .status(),
                303
            );
        }
        Ending::Disabled => {
            let admin = app.create_user(user.organisation_id, metro_portal::users::Role::OrgAdmin);
            let admin = app.signed_in(&admin).await;
            assert_eq!(admin.user_action(user.id, "disable").await, 303);
        }
        Ending::PasswordReset => {
            let anonymous = app.browser();
            let res = anonymous.ask_password_reset(&user.email).await;
            assert_eq!(res.status(), 200);
            let path = app.emailed_path(&user.email, "/password-reset/");
            let new = "a brand new passphrase for the metro";
            assert_eq!(anonymous.set_password(&path, new).await.status(), 303);
        }
    }
}

#[tokio::test]
async fn feed_keys_and_api_tokens_end_with_the_credentials() {
    for how in [
        Ending::PasswordReset,
        Ending::SignOutEverywhere,
        Ending::Disabled,
    ] {
        let (app, user) = spawn_with_user(Role::Staff).await;
        let browser = app.signed_in(&user).await;
        let key = browser.feed_key().await;
        let token = app.token(&user).await;
        assert_eq!(
            feed_status(&app, &key).await,
            200,
            "{how:?}: the key works first"
        );
        assert_eq!(app.me_status(&token).await, 200);

        end(&app, &user, &browser, how).await;

        assert_eq!(
            feed_status(&app, &key).await,
            401,
            "{how:?}: the feed key has ended"
        );
        assert_eq!(
            app.me_status(&token).await,
            401,
            "{how:?}: the API token has ended"
        );
        let ended: i64 = {
            use diesel::prelude::*;
            use metro_portal::schema::feed_tokens;
            let mut conn = app.db.get().unwrap();
            feed_tokens::table
                .filter(feed_tokens::user_id.eq(user.id))
                .filter(feed_tokens::revoked_at.is_not_null())
                .count()
                .get_result(&mut *conn)
                .unwrap()
        };
        assert_eq!(ended, 1, "{how:?}");
    }
}
