//! `seed-bench` at a small size: it fills an empty database consistently on either engine,
//! the portal serves what it made, and it refuses a database that already has data.

use metro_portal::seed::bench::{seed, Size};
use metro_portal::users::Role;

use crate::common::*;

#[tokio::test]
async fn seed_bench_fills_an_empty_database_that_the_portal_then_serves() {
    let app = spawn_app().await;
    let size = Size {
        organisations: 12,
        users: 60,
        workspaces: 6,
        opportunities: 450,
        events: 900,
    };
    let hash = metro_portal::auth::passwords::hash_password(PASSWORD).unwrap();
    let mut steps = Vec::new();
    let mut conn = app.db.get().unwrap();
    let made = seed(&mut conn, size, &hash, &mut |step, done, total| {
        steps.push((step.to_string(), done, total));
    })
    .unwrap();
    drop(conn);
    assert_eq!(made.opportunities, 450);
    assert_eq!(app.count("organisations"), 12);
    assert_eq!(app.count("users"), 60);
    assert_eq!(app.count("workspaces"), 6);
    assert_eq!(app.count("opportunities"), 450);
    assert_eq!(app.count("events"), 900);
    assert_eq!(app.count("notifications"), 900);
    assert!(app.count("savings") >= 450 && app.count("opportunity_transitions") >= 450);
    assert!(steps
        .iter()
        .any(|(s, done, total)| s == "opportunities" && done == total));

    // Search works on what it made, and the pages serve it.
    let staff = TestUser {
        id: 0,
        organisation_id: 0,
        email: "person-00024@bench.example".into(),
        name: String::new(),
        password: PASSWORD.into(),
        role: Role::Staff,
    };
    let browser = app.signed_in(&staff).await;
    let (status, html) = browser.get_html("/opportunities?q=payroll").await;
    assert_eq!(status, 200);
    assert!(html.contains("payroll"));
    for path in ["/dashboard", "/notifications", "/workspaces/skills"] {
        assert_eq!(browser.get(path).await.status(), 200, "{path}");
    }

    let mut conn = app.db.get().unwrap();
    let again = seed(&mut conn, size, &hash, &mut |_, _, _| {});
    assert!(again.is_err(), "only into an empty database");
    assert_eq!(app.count("opportunities"), 450);
}
