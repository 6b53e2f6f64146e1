//! The audit log records sign-ins, failures, denials and admin changes, refuses edits,
//! and its hash chain shows tampering.

use crate::common::{spawn_with_user, spawn_with_workspaces};
use diesel::connection::SimpleConnection;
use metro_portal::audit;
use metro_portal::db::DbConn;
use metro_portal::users::Role;

#[tokio::test]
async fn sign_ins_failures_and_denials_are_recorded_in_an_intact_chain() {
    let (app, staff) = spawn_with_user(Role::Staff).await;
    let browser = app.signed_in(&staff).await;
    assert_eq!(
        app.token_status(&staff.email, "not the password!").await,
        401
    );
    assert_eq!(browser.get("/admin/organisations").await.status(), 404);

    // The denial is written just after the answer goes out.
    let mut actions = app.audit_actions();
    for _ in 0..100 {
        if actions.iter().any(|a| a == "permission.denied") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        actions = app.audit_actions();
    }
    for expected in ["sign_in.succeeded", "sign_in.failed", "permission.denied"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
    let mut conn = app.db.get().unwrap();
    let denied = audit::recent(&mut conn, "permission.denied", 1).unwrap();
    assert_eq!(denied[0].actor_user_id, Some(staff.id));
    assert!(denied[0].details.contains("organisation.manage"));
    assert_eq!(audit::verify(&mut conn).unwrap(), Ok(actions.len()));
}

#[tokio::test]
async fn the_log_refuses_changes_and_a_forced_change_breaks_the_chain() {
    let (app, staff) = spawn_with_user(Role::Staff).await;
    for _ in 0..3 {
        app.token(&staff).await;
    }
    let mut conn = app.db.get().unwrap();
    assert!(conn
        .batch_execute("UPDATE audit_log SET action = 'x'")
        .is_err());
    assert!(conn.batch_execute("DELETE FROM audit_log").is_err());
    assert_eq!(audit::verify(&mut conn).unwrap(), Ok(3));

    let second: i64 = {
        use diesel::prelude::*;
        use metro_portal::schema::audit_log;
        audit_log::table
            .select(audit_log::id)
            .order(audit_log::id.asc())
            .offset(1)
            .first(&mut *conn)
            .unwrap()
    };
    let bypass = match &mut *conn {
        DbConn::Sqlite(_) => "DROP TRIGGER audit_log_no_update",
        DbConn::Pg(_) => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    };
    conn.batch_execute(bypass).unwrap();
    conn.batch_execute(&format!(
        "UPDATE audit_log SET ip = '10.9.9.9' WHERE id = {second}"
    ))
    .unwrap();
    assert_eq!(audit::verify(&mut conn).unwrap(), Err(second));
}

/// Rows of the audit log with this action.
fn rows_of(app: &crate::common::TestApp, action: &str) -> Vec<audit::Row> {
    let mut conn = app.db.get().unwrap();
    audit::recent(&mut conn, action, 1_000).unwrap()
}

async fn settle(app: &crate::common::TestApp, action: &str, at_least: usize) {
    for _ in 0..100 {
        if rows_of(app, action).len() >= at_least {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Writes are made after the answers go: give any stragglers their moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_strangers_denials_are_counted_and_a_signed_in_persons_kept_one_by_one() {
    let (app, t, _) = spawn_with_workspaces().await;
    let hidden = "/workspaces/other-ws";
    let anonymous = app.browser();
    let before = app.count("audit_log");
    for _ in 0..200 {
        assert_eq!(anonymous.get(hidden).await.status(), 404);
    }
    settle(&app, "permission.denied.anonymous", 1).await;
    let counted = rows_of(&app, "permission.denied.anonymous");
    assert_eq!(
        counted.len(),
        1,
        "the first is written; the rest are counted for later"
    );
    assert!(
        counted[0].details.contains("\"count\":1"),
        "{}",
        counted[0].details
    );
    assert_eq!(
        app.count("audit_log") - before,
        1,
        "200 strangers' requests, one row"
    );
    assert!(rows_of(&app, "permission.denied").is_empty());

    // A signed-in person's denials are each kept, with who they were.
    let reader = app.signed_in(t.own(Role::Partner)).await;
    for _ in 0..3 {
        assert_eq!(reader.get(hidden).await.status(), 404);
    }
    settle(&app, "permission.denied", 3).await;
    let kept = rows_of(&app, "permission.denied");
    assert_eq!(kept.len(), 3);
    assert!(kept
        .iter()
        .all(|r| r.actor_user_id == Some(t.own(Role::Partner).id)));
    let mut conn = app.db.get().unwrap();
    let all = app.count("audit_log") as usize;
    assert_eq!(audit::verify(&mut conn).unwrap(), Ok(all));
}
