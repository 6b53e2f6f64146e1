//! Every form post needs the CSRF token that goes with the browser's cookie; without it
//! nothing changes.

use crate::common::spawn_with_user;
use metro_portal::users::Role;

#[tokio::test]
async fn sign_in_without_the_token_is_refused_and_starts_no_session() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.browser();
    let _ = browser.get("/login").await;
    let res = browser
        .post_raw(
            "/login",
            &[("email", &user.email), ("password", &user.password)],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Your form has expired"));
    assert_eq!(app.count("sessions"), 0);
}

#[tokio::test]
async fn an_invitation_with_a_missing_wrong_or_foreign_token_changes_nothing() {
    let (app, admin) = spawn_with_user(Role::OrgAdmin).await;
    let browser = app.signed_in(&admin).await;
    let path = format!("/admin/organisations/{}/invitations", admin.organisation_id);

    // A token minted for another browser's cookie.
    let foreign = app.browser().csrf().await;

    for fields in [
        vec![("email", "new@derby.test"), ("role", "staff")],
        vec![
            ("_csrf", "00ff"),
            ("email", "new@derby.test"),
            ("role", "staff"),
        ],
        vec![
            ("_csrf", foreign.as_str()),
            ("email", "new@derby.test"),
            ("role", "staff"),
        ],
    ] {
        let res = browser.post_raw(&path, &fields).await;
        assert_eq!(res.status(), 403);
    }
    assert_eq!(app.count("invitations"), 0);
    assert_eq!(app.count("jobs"), 0);

    // With the right token it goes through.
    let res = browser
        .post(&path, &[("email", "new@derby.test"), ("role", "staff")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("invitations"), 1);
}

#[tokio::test]
async fn sign_out_without_the_token_leaves_the_session_alive() {
    let (app, user) = spawn_with_user(Role::Staff).await;
    let browser = app.signed_in(&user).await;
    let res = browser.post_raw("/logout", &[]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(browser.get("/account").await.status(), 200);
}
