//! Leaders' joint progress through the real stack: the dashboard's figures against sums
//! worked out here from the same fixtures, quarterly reviews from opening to sign-off, the
//! frozen snapshot, the comparison, the board pack, and the audit log's search and check.

use diesel::prelude::*;
use metro_portal::schema::{actions, audit_log, opportunities, review_submissions, savings};
use metro_portal::users::Role;
use serde_json::{json, Value};

use crate::common::*;

fn add_saving(
    app: &TestApp,
    user: &TestUser,
    opportunity: i64,
    kind: &str,
    amount: &str,
    cashable: &str,
) {
    use metro_portal::opportunities::savings::service::{add_saving, SavingInput};
    let caller = app.caller(user);
    let mut conn = app.db.get().unwrap();
    let input = SavingInput {
        financial_year: "2026/27".into(),
        kind: kind.into(),
        cashable: cashable.into(),
        organisation_id: user.organisation_id.to_string(),
        amount: amount.into(),
        ..SavingInput::default()
    };
    add_saving(&mut conn, &actor(&caller), opportunity, &input).unwrap();
}

/// The estimated savings of every line of `list`, added up.
fn sum_estimated(list: &Value) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["estimated"].as_i64().unwrap())
        .sum()
}

/// Estimated savings on the opportunities a member of `organisation` may see, summed here
/// in SQL terms: not a draft, or a draft it leads.
fn estimated_visible_to(app: &TestApp, organisation: i64, saver: Option<i64>) -> i64 {
    let mut conn = app.db.get().unwrap();
    let rows: Vec<(String, i64, i64, i64)> = savings::table
        .inner_join(opportunities::table)
        .filter(savings::kind.eq("estimated"))
        .select((
            opportunities::visibility,
            opportunities::lead_organisation_id,
            savings::organisation_id,
            savings::amount_pence,
        ))
        .load(&mut *conn)
        .unwrap();
    rows.iter()
        .filter(|(v, lead, _, _)| v != "draft" || *lead == organisation)
        .filter(|(_, _, org, _)| saver.is_none_or(|s| s == *org))
        .map(|(_, _, _, p)| p)
        .sum()
}

#[tokio::test]
async fn the_dashboard_counts_exactly_what_the_viewer_may_see() {
    let (app, t, _) = spawn_with_workspaces().await;
    let o = app.opportunities(&t);
    let (own_staff, other_staff) = (t.own(Role::Staff), t.other(Role::Staff));
    for (user, opportunity, kind, amount, cashable) in [
        (own_staff, o.own_opp, "estimated", "£1,000.10", "yes"),
        (own_staff, o.own_draft, "estimated", "£200.20", "no"),
        (other_staff, o.other_opp, "estimated", "£30.03", "yes"),
        (other_staff, o.other_draft, "estimated", "£4.04", "yes"),
        (other_staff, o.other_opp, "realised", "£5.00", "no"),
    ] {
        add_saving(&app, user, opportunity, kind, amount, cashable);
    }

    let own = app.token(t.own(Role::Staff)).await;
    let mine = app.api_json(&own, "/api/v1/dashboard").await;
    let expected = estimated_visible_to(&app, t.own, None);
    assert_eq!(expected, 100_010 + 20_020 + 3_003);
    assert_eq!(mine["pipeline"]["total"]["estimated"], expected);
    assert_eq!(mine["pipeline"]["total"]["realised"], 500);
    assert_eq!(mine["pipeline"]["cashable"]["estimated"], 100_010 + 3_003);
    assert_eq!(mine["pipeline"]["non_cashable"]["estimated"], 20_020);
    let by_stage = sum_estimated(&mine["pipeline"]["by_stage"]);
    let by_org = sum_estimated(&mine["pipeline"]["by_organisation"]);
    let by_year = sum_estimated(&mine["pipeline"]["by_year"]);
    assert_eq!((by_stage, by_org, by_year), (expected, expected, expected));

    let theirs = app.token(t.other(Role::Staff)).await;
    let other = app.api_json(&theirs, "/api/v1/dashboard").await;
    assert_eq!(
        other["pipeline"]["total"]["estimated"],
        estimated_visible_to(&app, t.other, None)
    );
    assert_eq!(
        other["pipeline"]["total"]["estimated"],
        100_010 + 3_003 + 404
    );

    // Narrowed to the organisation that saves.
    let narrowed = app
        .api_json(&own, &format!("/api/v1/dashboard?organisation={}", t.other))
        .await;
    assert_eq!(
        narrowed["pipeline"]["total"]["estimated"],
        estimated_visible_to(&app, t.own, Some(t.other))
    );

    // Themes: only workspaces the viewer may see, open actions by RAG as counted here.
    let slugs = |d: &Value| -> Vec<String> {
        d["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !slugs(&mine).contains(&"other-ws".to_string()),
        "a members-only workspace of others"
    );
    assert!(slugs(&other).contains(&"other-ws".to_string()));
    let mut conn = app.db.get().unwrap();
    let ws_id: i64 = metro_portal::workspaces::queries::find_by_slug(&mut conn, "pub-ws")
        .unwrap()
        .id;
    let red: i64 = actions::table
        .filter(actions::workspace_id.eq(ws_id))
        .filter(actions::rag.eq("red"))
        .filter(actions::status.ne_all(["done", "cancelled"]))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    drop(conn);
    let themes = mine["themes"].as_array().unwrap();
    let pub_ws = themes.iter().find(|t| t["slug"] == "pub-ws").unwrap();
    assert_eq!(pub_ws["rag"]["red"], red);
    assert!(red > 0);
    assert_eq!(
        pub_ws["overdue_actions"], 1,
        "the fixture's action was due in 2020"
    );
    assert_eq!(pub_ws["overdue_milestones"], 1);

    // Stuck: no stage change for 90 days. Written straight to the table to stand for time
    // passing, so the data version is raised by hand as every change through the portal does.
    let mut conn = app.db.get().unwrap();
    diesel::update(opportunities::table.find(o.own_opp))
        .set(
            opportunities::stage_changed_at
                .eq(metro_portal::db::now() - chrono::Duration::days(120)),
        )
        .execute(&mut *conn)
        .unwrap();
    app.raise_version(&mut conn);
    drop(conn);
    let stuck = app.api_json(&own, "/api/v1/dashboard").await;
    assert_eq!(stuck["stuck"]["stale"], 1);
    assert_eq!(stuck["stuck"]["longest"][0]["id"], o.own_opp);
    assert_eq!(stuck["stuck"]["open_high_barriers"], 1);
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let (status, register) = browser.get_html("/opportunities?stale=90").await;
    assert_eq!(status, 200);
    assert!(register.contains("Joint legal team") && !register.contains("Their shared payroll"));

    // The page: charts with tables, links to the lists behind the numbers.
    let (status, html) = browser.get_html("/dashboard").await;
    assert_eq!(status, 200);
    let html = html.replace("&#x3D;", "=").replace("&amp;", "&");
    assert!(html.contains("<svg") && html.contains("Savings by financial year"));
    assert!(html.contains("/workspaces/pub-ws/actions?rag=red&open=1"));
    assert!(html.contains("/opportunities?stale=90"));
    assert!(!html.contains(&o.other_draft_title));
    let (_, open_red) = browser
        .get_html("/workspaces/pub-ws/actions?rag=red&open=1")
        .await;
    assert_eq!(
        open_red
            .matches("class=\"tag tag--red\">Red</span></td>")
            .count() as i64,
        red
    );

    // Bad filters are clear errors.
    assert_eq!(
        app.api_get(&own, "/api/v1/dashboard?organisation=abc")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.api_get(&own, "/api/v1/dashboard?theme=other-ws")
            .await
            .status(),
        404
    );
    assert_eq!(app.browser().get("/dashboard").await.status(), 303);
}

#[tokio::test]
async fn a_quarterly_review_from_opening_to_a_frozen_sign_off() {
    let (app, t, w) = spawn_with_workspaces().await;
    let leader = app.token(t.own(Role::Leader)).await;
    let staff = app.token(t.own(Role::Staff)).await;
    let partner = app.token(t.own(Role::Partner)).await;
    let other_staff = app.token(t.other(Role::Staff)).await;

    // Only leaders and platform admins open reviews.
    let reviews = "/api/v1/reviews";
    let open = json!({ "quarter": "2026/27 Q2", "deadline": "2026-10-15" });
    assert_eq!(post_status(&app, &staff, reviews, open.clone()).await, 403);
    assert_eq!(
        post_status(&app, &partner, reviews, open.clone()).await,
        403
    );
    let bad = json!({ "quarter": "Q2", "deadline": "soon" });
    let (status, problem) = answer(post_json(&app, &leader, reviews, bad).await).await;
    assert_eq!(status, 422);
    let fields = &problem["fields"];
    assert!(fields["quarter"].is_string() && fields["deadline"].is_string());
    let first: Value = post_json(&app, &leader, reviews, open.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        post_status(&app, &leader, reviews, open).await,
        409,
        "one review a quarter: a second conflicts with the first"
    );
    let first_id = first["id"].as_i64().unwrap();

    // Only a lead organisation's people submit for a workspace (own leads pub-ws, where
    // the fixtures' action is).
    let action = w.action;
    let reading = std::cell::Cell::new("19");
    let submission = |rag: &str, action_rag: &str| {
        json!({ "workspace": "pub-ws", "overall_rag": rag, "commentary": "Toton on track",
                "actions": [{ "id": action, "rag": action_rag, "progress": "55" }],
                "measures": [{ "id": w.measure, "value": reading.get() }] })
    };
    let path = format!("/api/v1/reviews/{first_id}/submissions");
    let green = || submission("green", "green");
    assert_eq!(post_status(&app, &other_staff, &path, green()).await, 403);
    assert_eq!(post_status(&app, &partner, &path, green()).await, 403);
    let bad = post_json(&app, &staff, &path, json!({ "workspace": "pub-ws", "overall_rag": "blue", "actions": [{ "id": action, "rag": "red", "progress": "150" }] })).await;
    let (status, problem) = answer(bad).await;
    assert_eq!(status, 422);
    let fields = &problem["fields"];
    assert!(
        fields["overall_rag"].is_string()
            && fields["commentary"].is_string()
            && fields[format!("progress_{action}")].is_string()
    );
    let status = post_status(&app, &other_staff, &path, json!({ "workspace": "other-ws", "overall_rag": "green", "commentary": "x", "actions": [{ "id": action, "rag": "red", "progress": "1" }] })).await;
    assert_eq!(
        status, 404,
        "another workspace's action cannot be reported on: it is not there"
    );
    let elsewhere = json!({ "workspace": "other-ws", "overall_rag": "green", "commentary": "x" });
    assert_eq!(post_status(&app, &staff, &path, elsewhere).await, 404);
    let amber = || submission("amber", "amber");
    assert_eq!(post_status(&app, &staff, &path, amber()).await, 201);

    // Sent back with a comment; the submitter hears of it in their inbox.
    let back = format!("/api/v1/reviews/{first_id}/submissions/pub-ws/return");
    for (token, comment, status) in [
        (&staff, "More detail", 403),
        (&leader, "", 422),
        (&leader, "Add the Q2 readings", 204),
    ] {
        let body = json!({ "comment": comment });
        assert_eq!(
            post_status(&app, token, &back, body).await,
            status,
            "{comment:?}"
        );
    }
    let inbox = app.api_json(&staff, "/api/v1/notifications").await;
    assert!(inbox.to_string().contains("Add the Q2 readings"));
    assert_eq!(post_status(&app, &staff, &path, amber()).await, 201);

    // Sign-off freezes it; live edits later change nothing in it.
    let sign_off = format!("/api/v1/reviews/{first_id}/sign-off");
    assert_eq!(post_status(&app, &staff, &sign_off, json!({})).await, 403);
    assert_eq!(post_status(&app, &leader, &sign_off, json!({})).await, 200);
    let review = format!("/api/v1/reviews/{first_id}");
    let frozen = app.api_json(&leader, &review).await;
    let mut conn = app.db.get().unwrap();
    diesel::update(review_submissions::table)
        .set(review_submissions::overall_rag.eq("red"))
        .execute(&mut *conn)
        .unwrap();
    diesel::update(actions::table.find(action))
        .set(actions::title.eq("Renamed later"))
        .execute(&mut *conn)
        .unwrap();
    drop(conn);
    app.post_update_with(t.own(Role::Staff), "pub-ws", "Later news", "After sign-off");
    let later = app.api_json(&leader, &review).await;
    assert_eq!(
        frozen["figures"], later["figures"],
        "a signed-off review never changes"
    );
    assert_eq!(post_status(&app, &staff, &path, green()).await, 409);
    assert_eq!(post_status(&app, &leader, &sign_off, json!({})).await, 409);

    // The next quarter compares with it: a saving added since, a reading that went up.
    let o = app.opportunities(&t);
    add_saving(
        &app,
        t.own(Role::Staff),
        o.own_opp,
        "estimated",
        "£250.00",
        "yes",
    );
    reading.set("21");
    let second: Value = post_json(
        &app,
        &leader,
        "/api/v1/reviews",
        json!({ "quarter": "2026/27 Q3", "deadline": "2027-01-15" }),
    )
    .await
    .json()
    .await
    .unwrap();
    let second_id = second["id"].as_i64().unwrap();
    let path = format!("/api/v1/reviews/{second_id}/submissions");
    assert_eq!(post_status(&app, &staff, &path, green()).await, 201);
    let review = format!("/api/v1/reviews/{second_id}");
    let detail = app.api_json(&leader, &review).await;
    let changes = detail["comparison"]["rag_changes"].as_array().unwrap();
    assert_eq!(detail["comparison"]["previous"], "2026/27 Q2");
    assert!(changes
        .iter()
        .any(|c| c["item"] == "Overall" && c["from"] == "amber" && c["to"] == "green"));
    assert!(changes
        .iter()
        .any(|c| c["from"] == "amber" && c["to"] == "green" && c["item"] != "Overall"));
    assert_eq!(detail["comparison"]["savings_moved"]["estimated"], 25_000);
    assert_eq!(detail["comparison"]["savings_moved"]["realised"], 0);
    let measure = &detail["comparison"]["measures"][0];
    assert_eq!(measure["measure"], "Public transport share");
    assert_eq!(
        (measure["from"].as_f64(), measure["to"].as_f64()),
        (Some(19.0), Some(21.0))
    );
    assert_eq!(measure["verdict"], "improved");

    // Reviews show only the workspaces the reader may see.
    let theirs = app.api_json(&staff, &review).await;
    let names: Vec<&str> = theirs["figures"]["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["slug"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"pub-ws") && !names.contains(&"other-ws"));

    // The board pack, as a page and a workbook.
    let browser = app.signed_in(t.own(Role::Leader)).await;
    let (status, pack) = browser
        .get_html(&format!("/reviews/{second_id}/board-pack"))
        .await;
    assert_eq!(status, 200);
    assert!(pack.contains("Contents") && pack.contains("Since the 2026/27 Q2 review"));
    let res = browser
        .get(&format!("/reviews/{second_id}/board-pack.xlsx"))
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let returns = book.worksheet_range("Returns").unwrap();
    assert!(returns.rows().any(|r| r.iter().any(|c| *c == "Green")));
    // Money is a number of pounds, counts are numbers, the headings say which is which.
    let summary = book.worksheet_range("Summary").unwrap();
    let row = |name: &str| {
        summary
            .rows()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no {name} row"))
            .to_vec()
    };
    for name in ["Savings estimated (£)", "Savings realised (£)"] {
        assert!(
            matches!(row(name)[1], calamine::Data::Float(_)),
            "{name}: {:?}",
            row(name)[1]
        );
    }
    let stages: Vec<_> = summary
        .rows()
        .skip_while(|r| r[0] != "Stage")
        .skip(1)
        .collect();
    assert!(!stages.is_empty());
    assert!(stages
        .iter()
        .all(|r| matches!(r[1], calamine::Data::Float(_))));
}

#[tokio::test]
async fn leads_without_a_return_are_reminded_once_before_the_deadline() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let leader = app.token(t.own(Role::Leader)).await;
    let today = metro_portal::db::now().date();
    let deadline = (today + chrono::Duration::days(2)).to_string();
    let review: Value = post_json(
        &app,
        &leader,
        "/api/v1/reviews",
        json!({ "quarter": "2026/27 Q3", "deadline": deadline }),
    )
    .await
    .json()
    .await
    .unwrap();
    let mut conn = app.db.get().unwrap();
    let told = metro_portal::reviews::service::remind_due(&mut conn, today).unwrap();
    assert!(told > 0);
    assert_eq!(
        metro_portal::reviews::service::remind_due(&mut conn, today).unwrap(),
        0,
        "once"
    );
    drop(conn);
    // Own staff lead pub-ws; the other organisation's partner leads nothing.
    let staff = app.token(t.own(Role::Staff)).await;
    let text = app
        .api_json(&staff, "/api/v1/notifications")
        .await
        .to_string();
    assert!(
        text.contains("Quarterly return due") && text.contains("pub-ws"),
        "{text}"
    );
    assert!(text.contains(&format!("/reviews/{}", review["id"])));
    let partner = app.token(t.own(Role::Partner)).await;
    let inbox = app.api_json(&partner, "/api/v1/notifications").await;
    assert_eq!(inbox["total"], 0, "partners do not make returns");
}

#[tokio::test]
async fn the_audit_log_is_searched_and_a_tampered_row_is_found() {
    let (app, t) = spawn_tenants().await;
    let platform = app.signed_in(&t.platform).await;
    app.signed_in(t.own(Role::Leader)).await;
    let (status, html) = platform
        .get_html(&format!(
            "/admin/audit?person={}&action=login",
            t.own(Role::Leader).email
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("login.succeeded") || html.contains("login"),
        "{html}"
    );
    assert!(html.contains(&t.own(Role::Leader).email));
    let (status, _) = platform.get_html("/admin/audit?from=yesterday").await;
    assert_eq!(status, 422);
    let (_, none) = platform
        .get_html("/admin/audit?from=2001-01-01&to=2001-01-02")
        .await;
    assert!(none.contains("Nothing matches"));
    let leader = app.signed_in(t.own(Role::Leader)).await;
    assert_eq!(leader.get("/admin/audit").await.status(), 404);

    // The command line checks the chain and names the first broken entry.
    let bin = env!("CARGO_BIN_EXE_metro-portal");
    let run = || {
        std::process::Command::new(bin)
            .args(["audit", "verify"])
            .env("DATABASE_URL", app.db_url())
            .env("METRO__DATA_DIR", &app.data_dir)
            .output()
            .unwrap()
    };
    let ok = run();
    assert_ran(&ok);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    let mut conn = app.db.get().unwrap();
    let second: i64 = audit_log::table
        .select(audit_log::id)
        .order(audit_log::id.asc())
        .offset(1)
        .first(&mut *conn)
        .unwrap();
    let bypass = match &mut *conn {
        metro_portal::db::DbConn::Sqlite(_) => "DROP TRIGGER audit_log_no_update",
        metro_portal::db::DbConn::Pg(_) => "ALTER TABLE audit_log DISABLE TRIGGER USER",
    };
    {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "{bypass}; UPDATE audit_log SET ip = '6.6.6.6' WHERE id = {second};"
        ))
        .unwrap();
    }
    drop(conn);
    let broken = run();
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains(&format!("entry {second}")));
}
