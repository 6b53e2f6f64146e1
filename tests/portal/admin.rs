//! Organisations, invitations, password rules, password resets, and org admins confined
//! to their own organisation.

use crate::common::{location, spawn_app};
use diesel::prelude::*;
use metro_portal::organisations::OrgKind;
use metro_portal::schema::{events, invitations, organisations, users};
use metro_portal::users::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn a_platform_admin_adds_an_organisation_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let home = app.create_org("programme", OrgKind::Other);
    let platform = app.create_user(home, Role::PlatformAdmin);
    let browser = app.signed_in(&platform).await;

    let res = browser
        .post(
            "/admin/organisations",
            &[
                ("name", "Leicester City Council"),
                ("slug", ""),
                ("kind", "city_council"),
            ],
        )
        .await;
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
    for (fields, message) in [
        (
            vec![("name", ""), ("slug", ""), ("kind", "city_council")],
            "Enter the organisation",
        ),
        (
            vec![
                ("name", "Somewhere"),
                ("slug", "Bad Slug!"),
                ("kind", "city_council"),
            ],
            "Short name can only use",
        ),
        (
            vec![
                ("name", "Somewhere"),
                ("slug", "somewhere"),
                ("kind", "castle"),
            ],
            "Select the kind",
        ),
        (
            vec![
                ("name", "Leicester again"),
                ("slug", "leicester-city-council"),
                ("kind", "city_council"),
            ],
            "already exists",
        ),
    ] {
        let res = browser.post("/admin/organisations", &fields).await;
        assert_eq!(res.status(), 422, "{fields:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message} not in the page");
        assert!(html.contains("There is a problem"));
    }
    assert_eq!(app.count("organisations"), before);

    // The API says the same in JSON.
    let token = app.token(&platform).await;
    let res = app
        .api()
        .post(app.url("/api/v1/organisations"))
        .bearer_auth(&token)
        .json(&json!({ "name": "", "kind": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["name"].is_string() && body["fields"]["kind"].is_string());
    assert_eq!(app.count("organisations"), before);
}

#[tokio::test]
async fn an_invitation_is_emailed_single_use_and_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let admin = app.create_user(org, Role::OrgAdmin);
    let browser = app.signed_in(&admin).await;

    let res = browser
        .post(
            &format!("/admin/organisations/{org}/invitations"),
            &[("email", "New.Officer@Derby.test"), ("role", "leader")],
        )
        .await;
    assert_eq!(res.status(), 303);
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
        let res = newcomer
            .post(
                &path,
                &[
                    ("name", "Nia Officer"),
                    ("password", password),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(app.count("users"), 1);

    let res = newcomer
        .post(
            &path,
            &[
                ("name", "Nia Officer"),
                ("password", "a fine long password"),
                ("confirm", "a fine long password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let role: String = users::table
        .filter(users::email.eq("new.officer@derby.test"))
        .select(users::role)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(role, "leader");
    assert_eq!(
        app.token_response("new.officer@derby.test", "a fine long password")
            .await
            .status(),
        200
    );

    // Used once: the link is dead.
    assert_eq!(newcomer.get(&path).await.status(), 400);
    let res = app
        .browser()
        .post(
            &path,
            &[
                ("name", "Again"),
                ("password", "a fine long password"),
                ("confirm", "a fine long password"),
            ],
        )
        .await;
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
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let admin = app.create_user(org, Role::OrgAdmin);
    let token = app.token(&admin).await;
    let res = app
        .api()
        .post(app.url(&format!("/api/v1/organisations/{org}/invitations")))
        .bearer_auth(&token)
        .json(&json!({ "email": "late@derby.test", "role": "staff" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let link = app
        .smtp
        .wait_for("late@derby.test")
        .link(&format!("{}/invitations/", app.address))
        .unwrap();

    let mut conn = app.db.get().unwrap();
    let past = metro_portal::db::now() - chrono::Duration::minutes(1);
    diesel::update(invitations::table)
        .set(invitations::expires_at.eq(past))
        .execute(&mut *conn)
        .unwrap();

    let path = link.trim_start_matches(&app.address).to_string();
    let browser = app.browser();
    let (status, html) = browser.get_html(&path).await;
    assert_eq!(status, 400);
    assert!(html.contains("expired"));
    let res = browser
        .post(
            &path,
            &[
                ("name", "Late"),
                ("password", "a fine long password"),
                ("confirm", "a fine long password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.count("users"), 1);
}

#[tokio::test]
async fn nobody_can_be_invited_as_platform_admin() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let admin = app.create_user(org, Role::OrgAdmin);
    let token = app.token(&admin).await;
    let res = app
        .api()
        .post(app.url(&format!("/api/v1/organisations/{org}/invitations")))
        .bearer_auth(&token)
        .json(&json!({ "email": "boss@derby.test", "role": "platform_admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let browser = app.signed_in(&admin).await;
    let res = browser
        .post(
            &format!("/admin/organisations/{org}/invitations"),
            &[("email", "boss@derby.test"), ("role", "platform_admin")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let (_, html) = browser
        .get_html(&format!("/admin/organisations/{org}/users"))
        .await;
    assert!(!html.contains("value=\"platform_admin\""));
    assert_eq!(app.count("invitations"), 0);
}

#[tokio::test]
async fn an_org_admin_is_confined_to_their_own_organisation() {
    let app = spawn_app().await;
    let t = app.two_tenants();
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

    let res = browser
        .post(&format!("/admin/users/{}/disable", victim.id), &[])
        .await;
    assert_eq!(res.status(), 404);
    let res = browser
        .post(
            &format!("/admin/organisations/{}/invitations", t.other),
            &[("email", "spy@other.test"), ("role", "staff")],
        )
        .await;
    assert_eq!(res.status(), 404);

    let mut conn = app.db.get().unwrap();
    let status: String = users::table
        .find(victim.id)
        .select(users::status)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(status, "active");
    assert_eq!(app.count("invitations"), 0);

    // An admin cannot lock themselves out either.
    let res = browser
        .post(&format!("/admin/users/{}/disable", admin.id), &[])
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_old_sessions() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let old_session = app.signed_in(&user).await;

    let browser = app.browser();
    let res = browser
        .post("/password-reset", &[("email", &user.email)])
        .await;
    assert_eq!(res.status(), 200);
    let unknown = browser
        .post("/password-reset", &[("email", "nobody@nowhere.test")])
        .await;
    assert_eq!(
        unknown.status(),
        200,
        "the same answer for unknown addresses"
    );

    let link = app
        .smtp
        .wait_for(&user.email)
        .link(&format!("{}/password-reset/", app.address))
        .unwrap();
    let path = link.trim_start_matches(&app.address).to_string();
    let res = browser
        .post(
            &path,
            &[("password", "password1234"), ("confirm", "password1234")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = browser
        .post(
            &path,
            &[
                ("password", "my brand new passphrase"),
                ("confirm", "my brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    assert_eq!(old_session.get("/account").await.status(), 303);
    assert_eq!(
        app.token_response(&user.email, &user.password)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.token_response(&user.email, "my brand new passphrase")
            .await
            .status(),
        200
    );
    let res = browser
        .post(
            &path,
            &[
                ("password", "another new passphrase"),
                ("confirm", "another new passphrase"),
            ],
        )
        .await;
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
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let user = app.create_user(org, Role::Staff);
    let browser = app.browser();
    for _ in 0..5 {
        let res = browser
            .post("/password-reset", &[("email", &user.email)])
            .await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.count("password_resets"), 3);
    assert_eq!(app.count("jobs"), 3);
}
