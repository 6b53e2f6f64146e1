//! The audit log records sign-ins, failures, denials and admin changes, refuses edits,
//! and its hash chain shows tampering.

use crate::common::spawn_app;
use diesel::connection::SimpleConnection;
use metro_portal::audit;
use metro_portal::db::DbConn;
use metro_portal::organisations::OrgKind;
use metro_portal::users::Role;

#[tokio::test]
async fn sign_ins_failures_and_denials_are_recorded_in_an_intact_chain() {
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let staff = app.create_user(org, Role::Staff);
    let browser = app.signed_in(&staff).await;
    assert_eq!(
        app.token_response(&staff.email, "not the password!")
            .await
            .status(),
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
    let app = spawn_app().await;
    let org = app.create_org("derby", OrgKind::CityCouncil);
    let staff = app.create_user(org, Role::Staff);
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
