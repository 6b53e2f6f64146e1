//! Organisations, invitations, password rules, password resets, and org admins confined
//! to their own organisation.

use crate::common::{
    answer, answer_text, location, post_json, spawn_tenants, spawn_with_user, spawn_with_user_in,
    Browser, TestApp, TestUser,
};
use diesel::prelude::*;
use metro_portal::organisations::OrgKind;
use metro_portal::schema::{events, invitations, organisations, users};
use metro_portal::users::Role;
use serde_json::json;

/// `admin` invites `email` as `role` to their organisation, through the API.
async fn invite_by_api(app: &TestApp, admin: &TestUser, email: &str, role: &str) -> u16 {
    let token = app.token(admin).await;
    let path = format!(
        "/api/v1/organisations/{}/invitations",
        admin.organisation_id
    );
    let body = json!({ "email": email, "role": role });
    post_json(app, &token, &path, body).await.status().as_u16()
}

/// Invites `email` as `role` to organisation `org` on the users page.
async fn invite_on_page(browser: &Browser, org: i64, email: &str, role: &str) -> u16 {
    let path = format!("/admin/organisations/{org}/invitations");
    let res = browser
        .post(&path, &[("email", email), ("role", role)])
        .await;
    res.status().as_u16()
}

/// Accepts the invitation at `path` with this name and password.
async fn accept(browser: &Browser, path: &str, name: &str, password: &str) -> reqwest::Response {
    let fields = [
        ("name", name),
        ("password", password),
        ("confirm", password),
    ];
    browser.post(path, &fields).await
}

#[tokio::test]
async fn a_platform_admin_adds_an_organisation_and_bad_input_changes_nothing() {
    let (app, platform) =
        spawn_with_user_in("programme", OrgKind::Other, Role::PlatformAdmin).await;
    let browser = app.signed_in(&platform).await;

    let add = |name: &'static str, slug: &'static str, kind: &'static str| {
        let fields = [("name", name), ("slug", slug), ("kind", kind)];
        let browser = &browser;
        async move { browser.post("/admin/organisations", &fields).await }
    };
    let res = add("Leicester City Council", "", "city_council").await;
    assert_eq!(res.status(), 303);
    let mut conn = app.db.get().unwrap();
    let (name, kind): (String, String) = organisations::table
        .filter(organisations::slug.eq("leicester-city-council"))
        .select((organisations::name, organisations::kind))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(
        (name.as_str(), kind.as_str()),
        ("Leicester City Council", "city_council")
    );
    let kinds: Vec<String> = events::table.select(events::kind).load(&mut *conn).unwrap();
    assert_eq!(kinds, vec!["organisation.created"]);
    assert!(app
        .audit_actions()
        .contains(&"organisation.created".to_string()));

    let before = app.count("organisations");
    for (name, slug, kind, message) in [
        ("", "", "city_council", "Enter the organisation"),
        (
            "Somewhere",
            "Bad Slug!",
            "city_council",
            "Short name can only use",
        ),
        ("Somewhere", "somewhere", "castle", "Select the kind"),
        (
            "Leicester again",
            "leicester-city-council",
            "city_council",
            "already exists",
        ),
    ] {
        let res = add(name, slug, kind).await;
        assert_eq!(res.status(), 422, "{name:?} {slug:?} {kind:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message} not in the page");
        assert!(html.contains("There is a problem"));
    }
    assert_eq!(app.count("organisations"), before);

    // The API says the same in JSON.
    let token = app.token(&platform).await;
    let bad = json!({ "name": "", "kind": "nope" });
    let (status, body) = answer(post_json(&app, &token, "/api/v1/organisations", bad).await).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["name"].is_string() && body["fields"]["kind"].is_string());
    assert_eq!(app.count("organisations"), before);
}

#[tokio::test]
async fn an_invitation_is_emailed_single_use_and_stored_only_as_a_hash() {
    let (app, admin) = spawn_with_user(Role::OrgAdmin).await;
    let browser = app.signed_in(&admin).await;
    let org = admin.organisation_id;

    let status = invite_on_page(&browser, org, "New.Officer@Derby.test", "leader").await;
    assert_eq!(status, 303);
    let email = app.smtp.wait_for("new.officer@derby.test");
    assert!(email.data.contains("Subject:"));
    assert!(email.decoded().contains("Org derby"));
    let link = email
        .link(&format!("{}/invitations/", app.address))
        .expect("a link in the email");
    let token = link.rsplit('/').next().unwrap().to_string();

    let mut conn = app.db.get().unwrap();
    let stored: String = invitations::table
        .select(invitations::token_hash)
        .first(&mut *conn)
        .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, metro_portal::auth::tokens::hash_token(&token));

    let path = format!("/invitations/{token}");
    let newcomer = app.browser();
    let (status, html) = newcomer.get_html(&path).await;
    assert_eq!(status, 200);
    assert!(html.contains("new.officer@derby.test") && html.contains("Leader"));

    for (password, confirm, message) in [
        ("short", "short", "12 characters or more"),
        ("password1234", "password1234", "too common"),
        (
            &"x".repeat(129)[..],
            &"x".repeat(129)[..],
            "128 characters or fewer",
        ),
        (
            "a fine long password",
            "a different one here",
            "do not match",
        ),
    ] {
        let fields = [
            ("name", "Nia Officer"),
            ("password", password),
            ("confirm", confirm),
        ];
        let (status, html) = answer_text(newcomer.post(&path, &fields).await).await;
        assert_eq!(status, 422, "{message}");
        assert!(html.contains(message), "{message}");
    }
    assert_eq!(app.count("users"), 1);

    let res = accept(&newcomer, &path, "Nia Officer", "a fine long password").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let role: String = users::table
        .filter(users::email.eq("new.officer@derby.test"))
        .select(users::role)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(role, "leader");
    assert_eq!(
        app.token_status("new.officer@derby.test", "a fine long password")
            .await,
        200
    );

    // Used once: the link is dead.
    assert_eq!(newcomer.get(&path).await.status(), 400);
    let res = accept(&app.browser(), &path, "Again", "a fine long password").await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.count("users"), 2);
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"user.invited".to_string())
            && actions.contains(&"invitation.accepted".to_string())
    );
}

#[tokio::test]
async fn an_expired_invitation_cannot_be_used() {
    let (app, admin) = spawn_with_user(Role::OrgAdmin).await;
    let status = invite_by_api(&app, &admin, "late@derby.test", "staff").await;
    assert_eq!(status, 201);
    let path = app.emailed_path("late@derby.test", "/invitations/");

    let mut conn = app.db.get().unwrap();
    let past = metro_portal::db::now() - chrono::Duration::minutes(1);
    diesel::update(invitations::table)
        .set(invitations::expires_at.eq(past))
        .execute(&mut *conn)
        .unwrap();

    let browser = app.browser();
    let (status, html) = browser.get_html(&path).await;
    assert_eq!(status, 400);
    assert!(html.contains("expired"));
    let res = accept(&browser, &path, "Late", "a fine long password").await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.count("users"), 1);
}

#[tokio::test]
async fn nobody_can_be_invited_as_platform_admin() {
    let (app, admin) = spawn_with_user(Role::OrgAdmin).await;
    let org = admin.organisation_id;
    let status = invite_by_api(&app, &admin, "boss@derby.test", "platform_admin").await;
    assert_eq!(status, 403);
    let browser = app.signed_in(&admin).await;
    let status = invite_on_page(&browser, org, "boss@derby.test", "platform_admin").await;
    assert_eq!(status, 403);
    let (_, html) = browser
        .get_html(&format!("/admin/organisations/{org}/users"))
        .await;
    assert!(!html.contains("value=\"platform_admin\""));
    assert_eq!(app.count("invitations"), 0);
}

#[tokio::test]
async fn an_org_admin_is_confined_to_their_own_organisation() {
    let (app, t) = spawn_tenants().await;
    let admin = t.own(Role::OrgAdmin);
    let victim = t.other(Role::Staff);
    let browser = app.signed_in(admin).await;

    let (status, html) = browser
        .get_html(&format!("/admin/organisations/{}/users", t.own))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(&t.own(Role::Staff).email));
    assert!(!html.contains(&victim.email));

    let (status, html) = browser
        .get_html(&format!("/admin/organisations/{}/users", t.other))
        .await;
    assert_eq!(status, 404);
    assert!(!html.contains(&victim.email));

    assert_eq!(browser.user_action(victim.id, "disable").await, 404);
    let status = invite_on_page(&browser, t.other, "spy@other.test", "staff").await;
    assert_eq!(status, 404);

    let mut conn = app.db.get().unwrap();
    let status: String = users::table
        .find(victim.id)
        .select(users::status)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(status, "active");
    assert_eq!(app.count("invitations"), 0);

    // An admin cannot lock themselves out either.
    assert_eq!(browser.user_action(admin.id, "disable").await, 403);
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_old_sessions() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let old_session = app.signed_in(&user).await;

    let browser = app.browser();
    let res = browser.ask_password_reset(&user.email).await;
    assert_eq!(res.status(), 200);
    let unknown = browser.ask_password_reset("nobody@nowhere.test").await;
    assert_eq!(
        unknown.status(),
        200,
        "the same answer for unknown addresses"
    );

    let path = app.emailed_path(&user.email, "/password-reset/");
    let res = browser.set_password(&path, "password1234").await;
    assert_eq!(res.status(), 422);
    let res = browser.set_password(&path, "my brand new passphrase").await;
    assert_eq!(res.status(), 303);

    assert_eq!(old_session.get("/account").await.status(), 303);
    assert_eq!(app.token_status(&user.email, &user.password).await, 401);
    assert_eq!(
        app.token_status(&user.email, "my brand new passphrase")
            .await,
        200
    );
    let res = browser.set_password(&path, "another new passphrase").await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        app.smtp
            .messages()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == "nobody@nowhere.test"))
            .count(),
        0
    );
}

#[tokio::test]
async fn password_reset_emails_are_limited_per_account() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.browser();
    for _ in 0..5 {
        let res = browser.ask_password_reset(&user.email).await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.count("password_resets"), 3);
    assert_eq!(app.count("jobs"), 3);
}
