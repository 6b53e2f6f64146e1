//! Who runs a quarterly review, through the real stack: the organisation that opened it.
//! Its leaders and platform admins send returns back and sign off, by page and by API;
//! everyone else who can see the review reads it, without the buttons, and is refused
//! (403) with nothing changed; a return or review they cannot see at all answers 404.

use diesel::prelude::*;
use metro_portal::schema::{review_submissions, reviews};
use metro_portal::users::Role;
use serde_json::{json, Value};

use crate::common::{location, post_json, spawn_app, Browser, Tenants, TestApp, TestUser};

/// Two open reviews opened by the other council's leader, so the other council runs them.
/// Each has a submitted return for pub-ws (which own leads) and for other-ws (the other
/// council's alone).
struct Setup {
    app: TestApp,
    t: Tenants,
    reviews: [i64; 2],
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let opener = app.token(t.other(Role::Leader)).await;
    let own_staff = app.token(t.own(Role::Staff)).await;
    let other_staff = app.token(t.other(Role::Staff)).await;
    let mut reviews = [0; 2];
    for (slot, quarter) in reviews.iter_mut().zip(["2026/27 Q1", "2026/27 Q2"]) {
        *slot = open_review(&app, &opener, quarter).await;
        submit(&app, &own_staff, *slot, "pub-ws").await;
        submit(&app, &other_staff, *slot, "other-ws").await;
    }
    Setup { app, t, reviews }
}

async fn open_review(app: &TestApp, token: &str, quarter: &str) -> i64 {
    let body = json!({ "quarter": quarter, "deadline": "2027-01-15" });
    let res = post_json(app, token, "/api/v1/reviews", body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn submit(app: &TestApp, token: &str, review: i64, slug: &str) {
    let body = json!({ "workspace": slug, "overall_rag": "amber", "commentary": "On track" });
    let path = format!("/api/v1/reviews/{review}/submissions");
    assert_eq!(post_json(app, token, &path, body).await.status(), 201);
}

/// The form that signs a review off, as the review page has it.
fn sign_off_form(review: i64) -> String {
    format!("action=\"/reviews/{review}/sign-off\"")
}

/// The form that sends a return back, as the return page has it.
fn send_back_form(review: i64, slug: &str) -> String {
    format!("action=\"/reviews/{review}/workspaces/{slug}/return\"")
}

/// Everything sending back or signing off would change.
#[derive(Debug, PartialEq)]
struct ReviewState {
    status: String,
    signed_off_by: Option<i64>,
    /// Each return's workspace, status, who sent it back and why.
    returns: Vec<(i64, String, Option<i64>, String)>,
    events: i64,
    notifications: i64,
}

fn state(app: &TestApp, review: i64) -> ReviewState {
    let mut conn = app.db.get().unwrap();
    let (status, signed_off_by) = reviews::table
        .find(review)
        .select((reviews::status, reviews::signed_off_by))
        .first(&mut *conn)
        .unwrap();
    let returns = review_submissions::table
        .filter(review_submissions::review_id.eq(review))
        .order(review_submissions::id.asc())
        .select((
            review_submissions::workspace_id,
            review_submissions::status,
            review_submissions::returned_by,
            review_submissions::return_comment,
        ))
        .load(&mut *conn)
        .unwrap();
    drop(conn);
    ReviewState {
        status,
        signed_off_by,
        returns,
        events: app.count("events"),
        notifications: app.count("notifications"),
    }
}

/// pub-ws's return in a review: its status, who sent it back and why.
fn pub_ws_return(app: &TestApp, review: i64) -> (String, Option<i64>, String) {
    let mut conn = app.db.get().unwrap();
    let ws = metro_portal::workspaces::queries::find_by_slug(&mut conn, "pub-ws").unwrap();
    review_submissions::table
        .filter(review_submissions::review_id.eq(review))
        .filter(review_submissions::workspace_id.eq(ws.id))
        .select((
            review_submissions::status,
            review_submissions::returned_by,
            review_submissions::return_comment,
        ))
        .first(&mut *conn)
        .unwrap()
}

/// One who runs the reviews sees both buttons, then sends back and signs off the first
/// review by page and the second by API.
async fn runs_the_reviews(s: &Setup, user: &TestUser) {
    let app = &s.app;
    let [first, second] = s.reviews;
    let browser = app.signed_in(user).await;
    let token = app.token(user).await;
    let (_, html) = browser.get_html(&format!("/reviews/{first}")).await;
    assert!(
        html.contains(&sign_off_form(first)),
        "{}: no sign-off",
        user.email
    );
    let (_, html) = browser
        .get_html(&format!("/reviews/{first}/workspaces/pub-ws"))
        .await;
    assert!(html.contains(&send_back_form(first, "pub-ws")));

    let res = browser
        .post(
            &format!("/reviews/{first}/workspaces/pub-ws/return"),
            &[("comment", "Add the Q1 readings")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let sent_back = (
        "returned".to_string(),
        Some(user.id),
        "Add the Q1 readings".to_string(),
    );
    assert_eq!(pub_ws_return(app, first), sent_back);
    let res = browser
        .post(&format!("/reviews/{first}/sign-off"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/reviews/{first}"));
    let signed = state(app, first);
    assert_eq!(
        (signed.status.as_str(), signed.signed_off_by),
        ("signed_off", Some(user.id))
    );

    let path = format!("/api/v1/reviews/{second}/submissions/pub-ws/return");
    let res = post_json(
        app,
        &token,
        &path,
        json!({ "comment": "Add the Q2 readings" }),
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(pub_ws_return(app, second).1, Some(user.id));
    let path = format!("/api/v1/reviews/{second}/sign-off");
    let res = post_json(app, &token, &path, json!({})).await;
    assert_eq!(res.status(), 200);
    let review: Value = res.json().await.unwrap();
    assert_eq!(review["status"], "signed_off");
    assert_eq!(review["signed_off_by"], user.id);
    assert_eq!(review["organisation_id"], s.t.other, "still the opener's");
    assert_eq!(state(app, second).status, "signed_off");
}

/// One who does not run the reviews reads them without the buttons; every send-back and
/// sign-off, by page and by API, answers 403 and changes nothing.
async fn reads_but_is_refused(s: &Setup, user: &TestUser) {
    let app = &s.app;
    let browser = app.signed_in(user).await;
    let token = app.token(user).await;
    for review in s.reviews {
        let before = state(app, review);
        let (status, html) = browser.get_html(&format!("/reviews/{review}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Opened by Org other-council"));
        assert!(
            !html.contains(&sign_off_form(review)),
            "{}: sign-off shows",
            user.email
        );
        let (status, html) = browser
            .get_html(&format!("/reviews/{review}/workspaces/pub-ws"))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("On track"), "the return reads");
        assert!(
            !html.contains(&send_back_form(review, "pub-ws")),
            "{}: send-back shows",
            user.email
        );
        assert_eq!(
            refused_answers(s, &browser, &token, review).await,
            [403; 4],
            "{}",
            user.email
        );
        assert_eq!(
            state(app, review),
            before,
            "{}: refused but changed",
            user.email
        );
    }
}

/// The answers to sending pub-ws's return back and to signing off: by page, then by API.
async fn refused_answers(s: &Setup, browser: &Browser, token: &str, review: i64) -> [u16; 4] {
    let app = &s.app;
    let comment = [("comment", "Not yours to send back")];
    let back = browser
        .post(
            &format!("/reviews/{review}/workspaces/pub-ws/return"),
            &comment,
        )
        .await;
    let sign = browser
        .post(&format!("/reviews/{review}/sign-off"), &[])
        .await;
    let api_back = post_json(
        app,
        token,
        &format!("/api/v1/reviews/{review}/submissions/pub-ws/return"),
        json!({ "comment": "Not yours to send back" }),
    )
    .await;
    let api_sign = post_json(
        app,
        token,
        &format!("/api/v1/reviews/{review}/sign-off"),
        json!({}),
    )
    .await;
    [back, sign, api_back, api_sign].map(|r| r.status().as_u16())
}

#[tokio::test]
async fn the_opening_organisations_leader_sends_back_and_signs_off_by_page_and_api() {
    let s = setup().await;
    runs_the_reviews(&s, s.t.other(Role::Leader)).await;
}

#[tokio::test]
async fn a_platform_admin_sends_back_and_signs_off_any_review() {
    let s = setup().await;
    runs_the_reviews(&s, &s.t.platform).await;
}

#[tokio::test]
async fn a_leader_of_another_organisation_reads_the_review_and_is_refused() {
    let s = setup().await;
    // Own leads pub-ws, whose return this is: leading the workspace is not running the review.
    reads_but_is_refused(&s, s.t.own(Role::Leader)).await;
}

#[tokio::test]
async fn the_opening_organisations_staff_partners_and_admins_read_and_are_refused() {
    let s = setup().await;
    for role in [Role::Staff, Role::Partner, Role::OrgAdmin] {
        reads_but_is_refused(&s, s.t.other(role)).await;
    }
}

#[tokio::test]
async fn what_the_caller_cannot_see_answers_404_not_403() {
    let s = setup().await;
    let app = &s.app;
    let leader = s.t.own(Role::Leader);
    let browser = app.signed_in(leader).await;
    let token = app.token(leader).await;
    // Own opens a review, so runs it; the other council's return for other-ws is still not
    // theirs to see, in this review or in the other council's.
    let own_review = open_review(app, &token, "2026/27 Q3").await;
    let other_staff = app.token(s.t.other(Role::Staff)).await;
    submit(app, &other_staff, own_review, "other-ws").await;
    for review in [own_review, s.reviews[0]] {
        let before = state(app, review);
        let (status, _) = browser
            .get_html(&format!("/reviews/{review}/workspaces/other-ws"))
            .await;
        assert_eq!(status, 404);
        let res = browser
            .post(
                &format!("/reviews/{review}/workspaces/other-ws/return"),
                &[("comment", "Unseen")],
            )
            .await;
        assert_eq!(res.status(), 404);
        let path = format!("/api/v1/reviews/{review}/submissions/other-ws/return");
        let res = post_json(app, &token, &path, json!({ "comment": "Unseen" })).await;
        assert_eq!(res.status(), 404);
        assert_eq!(state(app, review), before);
    }
    // A review that does not exist, even to a platform admin.
    let platform = app.signed_in(&s.t.platform).await;
    let platform_token = app.token(&s.t.platform).await;
    assert_eq!(
        platform
            .post("/reviews/999999/sign-off", &[])
            .await
            .status(),
        404
    );
    let res = post_json(
        app,
        &platform_token,
        "/api/v1/reviews/999999/sign-off",
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_review_belongs_to_the_organisation_that_opened_it() {
    let s = setup().await;
    let app = &s.app;
    // A platform admin opens for the programme office, where they belong.
    let platform = app.token(&s.t.platform).await;
    let office_review = open_review(app, &platform, "2026/27 Q4").await;
    let detail: Value = app
        .api_get(&platform, &format!("/api/v1/reviews/{office_review}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["review"]["organisation_id"],
        s.t.platform.organisation_id
    );
    // A council leader opens on the page, for their council.
    let leader = app.signed_in(s.t.own(Role::Leader)).await;
    let res = leader
        .post(
            "/reviews",
            &[("quarter", "2027/28 Q1"), ("deadline", "2027-07-15")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    let council_review: i64 = page.trim_start_matches("/reviews/").parse().unwrap();
    let (_, html) = leader.get_html(&page).await;
    assert!(html.contains("Opened by Org own-council"), "{html}");
    assert!(html.contains(&sign_off_form(council_review)));
    let mut conn = app.db.get().unwrap();
    let owner: i64 = reviews::table
        .find(council_review)
        .select(reviews::organisation_id)
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!(owner, s.t.own);
    let (_, html) = leader.get_html(&format!("/reviews/{office_review}")).await;
    assert!(html.contains("Opened by Org programme"));
    assert!(!html.contains(&sign_off_form(office_review)));
    // The council's leader does not sign off the programme office's review.
    let token = app.token(s.t.own(Role::Leader)).await;
    let path = format!("/api/v1/reviews/{office_review}/sign-off");
    assert_eq!(post_json(app, &token, &path, json!({})).await.status(), 403);
    assert_eq!(state(app, office_review).status, "open");
    assert_eq!(
        post_json(app, &platform, &path, json!({})).await.status(),
        200
    );
}
