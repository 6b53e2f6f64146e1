//! Pages, answers and sessions kept in memory until the data changes: each organisation
//! gets its own, each person their own layout around them, and nothing kept outlives the
//! change that ends it, whichever process makes it.

use crate::common::{csrf_from, post_json, spawn_app_with, spawn_tenants, TestApp};
use metro_portal::users::Role;
use serde_json::{json, Value};

async fn json(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.api_get(token, path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn kept_register_pages_and_answers_belong_to_one_organisation_and_one_person() {
    let (app, t) = spawn_tenants().await;
    let ox = app.opportunities(&t);
    let first = t.own(Role::Staff);
    let second = app.create_user(t.own, Role::Staff);
    let theirs = t.other(Role::Staff);

    // The same address at the same data version, asked three ways (twice by one person).
    let first_browser = app.signed_in(first).await;
    let second_browser = app.signed_in(&second).await;
    let their_browser = app.signed_in(theirs).await;
    let (_, mine) = first_browser.get_html("/opportunities").await;
    let (_, again) = first_browser.get_html("/opportunities").await;
    let (_, colleague) = second_browser.get_html("/opportunities").await;
    let (_, other) = their_browser.get_html("/opportunities").await;

    for page in [&mine, &again, &colleague] {
        assert!(page.contains("Our draft idea"), "the lead sees its draft");
        assert!(!page.contains(&ox.other_draft_title));
    }
    assert!(other.contains(&ox.other_draft_title));
    assert!(
        !other.contains("Our draft idea"),
        "a kept page is not shown to another organisation"
    );

    // The layout around the kept part is each person's own: name and form token.
    let signed_in_as = |name: &str| format!("</span>{name} <span class=\"header-org\">");
    assert!(mine.contains(&signed_in_as(&first.name)));
    assert!(colleague.contains(&signed_in_as(&second.name)));
    assert!(!colleague.contains(&signed_in_as(&first.name)));
    assert_ne!(csrf_from(&mine), csrf_from(&colleague));
    let res = second_browser.post("/logout", &[]).await;
    assert_eq!(res.status(), 303, "the colleague's own token works");

    // The JSON list likewise, and signed out only what is public.
    let own_token = app.token(first).await;
    let their_token = app.token(theirs).await;
    for _ in 0..2 {
        let own = json(&app, &own_token, "/api/v1/opportunities").await;
        assert!(titles(&own).contains(&"Our draft idea".to_string()));
        let other = json(&app, &their_token, "/api/v1/opportunities").await;
        assert!(titles(&other).contains(&ox.other_draft_title));
        assert!(!titles(&other).contains(&"Our draft idea".to_string()));
    }
    let public = app.anon_json("/api/v1/opportunities").await;
    assert_eq!(public["total"], 0, "nothing is public: {public}");
}

#[tokio::test]
async fn a_change_shows_on_the_next_kept_page_and_answer() {
    let (app, t) = spawn_tenants().await;
    let ox = app.opportunities(&t);
    let reader = app.signed_in(t.other(Role::Staff)).await;
    let token = app.token(t.own(Role::Staff)).await;
    let (_, before) = reader.get_html("/opportunities?stage=idea").await;
    assert!(before.contains("Joint legal team"));
    let listed = json(&app, &token, "/api/v1/opportunities?stage=idea").await;
    assert_eq!(listed["totals"]["estimated"], 0);

    let path = format!("/api/v1/opportunities/{}/savings", ox.own_opp);
    let saving = json!({ "financial_year": "2026/27", "kind": "estimated", "cashable": true,
                         "organisation_id": t.own, "amount": "£4,321.09" });
    assert_eq!(post_json(&app, &token, &path, saving).await.status(), 201);
    let (_, after) = reader.get_html("/opportunities?stage=idea").await;
    assert!(after.contains("£4,321.09"), "the kept page was dropped");
    let listed = json(&app, &token, "/api/v1/opportunities?stage=idea").await;
    assert_eq!(listed["totals"]["estimated"], 432_109);
}

#[tokio::test]
async fn a_kept_session_ends_at_once_with_sign_out_or_disabling() {
    let (app, t) = spawn_tenants().await;
    let staff = t.own(Role::Staff);
    let admin = app.signed_in(t.own(Role::OrgAdmin)).await;

    // Used once, so it is kept, then ended.
    let token = app.token(staff).await;
    assert_eq!(app.me_status(&token).await, 200);
    let res = app.revoke_token(&token).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(app.me_status(&token).await, 401);

    let browser = app.signed_in(staff).await;
    let token = app.token(staff).await;
    assert_eq!(browser.get("/account").await.status(), 200);
    assert_eq!(app.me_status(&token).await, 200);
    assert_eq!(admin.user_action(staff.id, "disable").await, 303);
    assert_eq!(browser.get("/account").await.status(), 303);
    assert_eq!(app.me_status(&token).await, 401);
}

#[tokio::test]
async fn without_watching_each_request_reads_the_version_itself() {
    // `database.watch_ms = 0`: no watcher; a change written by another process (here a
    // connection of the test's own) shows on the very next request.
    let app = spawn_app_with(|s| s.database.watch_ms = 0).await;
    let t = app.two_tenants();
    let ox = app.opportunities(&t);
    let token = app.token(t.other(Role::Staff)).await;
    let listed = json(&app, &token, "/api/v1/opportunities").await;
    assert_eq!(listed["total"], 3);

    let elsewhere = metro_portal::db::Db::connect(&app.db_url(), 1).unwrap();
    let mut conn = elsewhere.get().unwrap();
    {
        use diesel::prelude::*;
        use metro_portal::schema::opportunities;
        diesel::update(opportunities::table.find(ox.other_opp))
            .set(opportunities::title.eq("Renamed elsewhere"))
            .execute(&mut *conn)
            .unwrap();
    }
    metro_portal::cache::bump_version(&mut conn).unwrap();
    drop(conn);
    let listed = json(&app, &token, "/api/v1/opportunities").await;
    assert!(titles(&listed).contains(&"Renamed elsewhere".to_string()));
}
