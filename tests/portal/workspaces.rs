//! Workspaces through the real stack: themes from the first start, validation that writes
//! nothing, Markdown sanitising, overdue flags, events and audit rows, pagination,
//! archiving, and the trend chart with its table.

use crate::common::{answer, items, patch_json, post_json, spawn_app, spawn_with_workspaces};
use diesel::prelude::*;
use metro_portal::schema::{actions, audit_log, events, readings};
use metro_portal::users::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn the_four_metro_themes_exist_from_the_first_start() {
    let app = spawn_app().await;
    let body = app.anon_json("/api/v1/workspaces").await;
    let names: Vec<&str> = items(&body)
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    for theme in [
        "Business & investment",
        "Skills",
        "Transport & connectivity",
        "City living",
    ] {
        assert!(names.contains(&theme), "{theme} missing from {names:?}");
    }
    assert_eq!(body["total"], 4);
    let (status, html) = app
        .browser()
        .get_html("/workspaces/transport-connectivity")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("HS2 station at Toton"));
}

#[tokio::test]
async fn bad_action_input_is_refused_field_by_field_and_writes_nothing() {
    let (app, t, _) = spawn_with_workspaces().await;
    let token = app.token(t.own(Role::Staff)).await;
    let actions_before = app.count("actions");
    let events_before = app.count("events");
    let cases = [
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "progress": 101 }),
            "progress",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "progress": -1 }),
            "progress",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "due_date": "2027-02-30" }),
            "due_date",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "start_date": "2027-05-01", "due_date": "2027-04-01" }),
            "due_date",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "rag": "red" }),
            "rag_reason",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "rag": "amber", "rag_reason": "  " }),
            "rag_reason",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "rag": "purple" }),
            "rag",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "status": "finished" }),
            "status",
        ),
        (
            json!({ "title": "", "owner_organisation_id": t.own }),
            "title",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.other }),
            "owner_organisation_id",
        ),
        (
            json!({ "title": "X", "owner_organisation_id": t.own, "owner_user_id": t.other(Role::Staff).id }),
            "owner_user_id",
        ),
    ];
    let path = "/api/v1/workspaces/pub-ws/actions";
    for (body, field) in cases {
        let res = post_json(&app, &token, path, body.clone()).await;
        // A record named that does not exist here (an owner outside the workspace, a person
        // of another organisation) is 404, like anything invisible; anything else is 422.
        let unknown = matches!(field, "owner_organisation_id" | "owner_user_id");
        let (status, code) = if unknown {
            (404, "not_found")
        } else {
            (422, "validation_failed")
        };
        assert_eq!(res.status(), status, "{body}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["error"], code);
        assert!(
            problem["fields"][field].is_string(),
            "{field} not named for {body}: {problem}"
        );
    }
    // The wrong JSON type is a clear 400, not a 500.
    let wrong_type = json!({ "title": "X", "progress": "lots" });
    assert_eq!(
        post_json(&app, &token, path, wrong_type).await.status(),
        400
    );

    // The form says the same, beside the fields.
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let own = t.own.to_string();
    let res = browser
        .post(
            "/workspaces/pub-ws/actions",
            &[
                ("title", "X"),
                ("owner_organisation_id", own.as_str()),
                ("status", "in_progress"),
                ("progress", "150"),
                ("rag", "red"),
                ("rag_reason", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Say why this action is red or amber"));
    assert!(html.contains("from 0 to 100"));
    assert!(html.contains("href=\"#rag_reason\""));
    assert_eq!(app.count("actions"), actions_before);
    assert_eq!(app.count("events"), events_before);
}

#[tokio::test]
async fn bad_measures_readings_and_workspaces_are_refused() {
    let (app, t, fx) = spawn_with_workspaces().await;
    let staff = app.token(t.own(Role::Staff)).await;
    let platform = app.token(&t.platform).await;
    let before = (
        app.count("measures"),
        app.count("readings"),
        app.count("workspaces"),
    );
    let post = |token: &str, path: &str, body: Value| {
        let token = token.to_string();
        let path = path.to_string();
        let app = &app;
        async move { answer(post_json(app, &token, &path, body).await).await }
    };
    let (status, body) = post(&staff, "/api/v1/workspaces/pub-ws/measures", json!({ "outcome_id": fx.outcome, "name": "M", "unit": "%", "direction": "sideways", "baseline": 1, "target": 2, "target_date": "soon" })).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["direction"].is_string() && body["fields"]["target_date"].is_string());
    let (status, body) = post(&staff, "/api/v1/workspaces/pub-ws/measures", json!({ "outcome_id": 999999, "name": "M", "unit": "%", "direction": "higher", "baseline": 1, "target": 2, "target_date": "2028-01-01" })).await;
    assert_eq!(status, 404, "an outcome that is not the workspace's");
    assert!(body["fields"]["outcome_id"].is_string());
    for quarter in ["2026/28 Q3", "2026/27 Q5", "Q3 2026", ""] {
        let (status, body) = post(
            &staff,
            &format!("/api/v1/workspaces/pub-ws/measures/{}/readings", fx.measure),
            json!({ "quarter": quarter, "value": 5 }),
        )
        .await;
        assert_eq!(status, 422, "{quarter}");
        assert!(body["fields"]["quarter"].is_string(), "{quarter}");
    }
    let (status, body) = post(
        &platform,
        "/api/v1/workspaces",
        json!({ "name": "New", "summary": "S", "kind": "empire", "visibility": "secret" }),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["kind"].is_string() && body["fields"]["visibility"].is_string());
    let (status, _) = post(&platform, "/api/v1/workspaces", json!({ "name": "Dup", "slug": "pub-ws", "summary": "S", "kind": "programme", "visibility": "public" })).await;
    assert_eq!(status, 422);
    assert_eq!(
        (
            app.count("measures"),
            app.count("readings"),
            app.count("workspaces")
        ),
        before
    );
}

#[tokio::test]
async fn markdown_is_rendered_and_nothing_executable_survives() {
    let (app, t, fx) = spawn_with_workspaces().await;
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let nasty = "**Bold plan**\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[click me](javascript:alert(2))\n\n<a href=\"#\" onclick=\"alert(3)\">link</a>";
    let res = browser
        .post(
            "/workspaces/pub-ws/updates",
            &[("title", "Sanitise me"), ("body", nasty)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let post_path = crate::common::location(&res);
    browser
        .post(
            &format!("/workspaces/pub-ws/updates/{}/comments", fx.post),
            &[("body", "*fine* <script>alert(4)</script>")],
        )
        .await;
    for path in [
        post_path.as_str(),
        "/workspaces/pub-ws/updates",
        &format!("/workspaces/pub-ws/updates/{}", fx.post),
    ] {
        let (status, html) = browser.get_html(path).await;
        assert_eq!(status, 200, "{path}");
        for bad in ["<script>alert", "onerror", "javascript:alert", "onclick"] {
            assert!(!html.contains(bad), "{bad} survived on {path}");
        }
    }
    let (_, html) = browser.get_html(&post_path).await;
    assert!(html.contains("<strong>Bold plan</strong>"));
    let (_, html) = browser
        .get_html(&format!("/workspaces/pub-ws/updates/{}", fx.post))
        .await;
    assert!(html.contains("<em>fine</em>"));
}

#[tokio::test]
async fn overdue_actions_and_milestones_are_flagged_with_words() {
    let (app, t, fx) = spawn_with_workspaces().await;
    let browser = app.signed_in(t.own(Role::Staff)).await;
    let (_, html) = browser.get_html("/workspaces/pub-ws/actions").await;
    assert!(html.contains("Overdue"));
    assert!(html.contains(">Red<"), "RAG shows its word");
    let (_, html) = browser
        .get_html(&format!("/workspaces/pub-ws/actions/{}", fx.action))
        .await;
    assert!(html.contains("Operators disagree"));
    assert!(
        html.matches("Overdue").count() >= 2,
        "the action and its milestone"
    );
    let (_, html) = browser.get_html("/workspaces/pub-ws").await;
    assert!(html.contains("1 overdue"));

    // Done: no longer overdue.
    let token = app.token(t.own(Role::Staff)).await;
    let path = format!("/api/v1/workspaces/pub-ws/actions/{}", fx.action);
    let done = json!({ "status": "done", "progress": 100, "rag": "green" });
    let (status, body) = answer(patch_json(&app, &token, &path, done).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["status"].as_str(), body["rag_reason"].as_str()),
        (Some("done"), Some(""))
    );
    let (_, html) = browser.get_html("/workspaces/pub-ws/actions").await;
    assert!(!html.contains("<strong class=\"overdue\">Overdue"));
}

#[tokio::test]
async fn every_change_writes_an_event_and_an_audit_row_together() {
    let (app, t, fx) = spawn_with_workspaces().await;
    let token = app.token(t.own(Role::Staff)).await;
    let path = format!("/api/v1/workspaces/pub-ws/actions/{}", fx.action);
    let green = json!({ "rag": "green" });
    assert_eq!(patch_json(&app, &token, &path, green).await.status(), 200);
    let mut conn = app.db.get().unwrap();
    let event: (String, String, Option<i64>) = events::table
        .order(events::id.desc())
        .select((events::kind, events::target_id, events::workspace_id))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(event.0, "action.rag_changed");
    assert_eq!(event.1, fx.action.to_string());
    assert!(event.2.is_some());
    let audit: (String, Option<i64>) = audit_log::table
        .order(audit_log::id.desc())
        .select((audit_log::action, audit_log::actor_user_id))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(
        audit,
        (
            "action.rag_changed".to_string(),
            Some(t.own(Role::Staff).id)
        )
    );
    let rag: String = actions::table
        .find(fx.action)
        .select(actions::rag)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(rag, "green");

    // The overview's activity list is built from those events.
    let (_, html) = app
        .signed_in(t.own(Role::Staff))
        .await
        .get_html("/workspaces/pub-ws")
        .await;
    assert!(html.contains("changed the RAG status of Smart ticketing"));
}

#[tokio::test]
async fn updates_are_newest_first_and_paginated() {
    let (app, t, _) = spawn_with_workspaces().await;
    let token = app.token(t.own(Role::Staff)).await;
    for n in 1..=24 {
        let post = json!({ "title": format!("Update number {n}"), "body": "Text" });
        let res = post_json(&app, &token, "/api/v1/workspaces/pub-ws/posts", post).await;
        assert_eq!(res.status(), 201);
    }
    let page = app
        .api_json(&token, "/api/v1/workspaces/pub-ws/posts?per_page=10&page=1")
        .await;
    assert_eq!(page["total"], 25);
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    assert_eq!(page["items"][0]["title"], "Update number 24");
    let last = app
        .api_json(&token, "/api/v1/workspaces/pub-ws/posts?per_page=10&page=3")
        .await;
    assert_eq!(last["items"].as_array().unwrap().len(), 5);
    assert_eq!(last["items"][4]["title"], "Toton update");

    let browser = app.signed_in(t.own(Role::Staff)).await;
    let (_, html) = browser.get_html("/workspaces/pub-ws/updates").await;
    assert!(html.contains("Page 1 of 3"));
    assert!(html
        .replace("&#x3D;", "=")
        .contains("/workspaces/pub-ws/updates?page=2"));
}

#[tokio::test]
async fn an_archived_workspace_is_read_only_until_restored() {
    let (app, t, _) = spawn_with_workspaces().await;
    let platform = app.token(&t.platform).await;
    let staff = app.token(t.own(Role::Staff)).await;
    let patch = |token: String, archived: bool| {
        let body = json!({ "archived": archived });
        let app = &app;
        async move { patch_json(app, &token, "/api/v1/workspaces/pub-ws", body).await }
    };
    let res = patch(platform.clone(), true).await;
    assert_eq!(res.status(), 200);
    assert!(res.json::<Value>().await.unwrap()["archived_at"].is_string());
    let post = |token: &str| {
        let token = token.to_string();
        let app = &app;
        async move {
            let body = json!({ "title": "T", "body": "B" });
            post_json(app, &token, "/api/v1/workspaces/pub-ws/posts", body)
                .await
                .status()
        }
    };
    assert_eq!(post(&staff).await, 403);
    assert_eq!(
        app.api_get(&staff, "/api/v1/workspaces/pub-ws/posts")
            .await
            .status(),
        200
    );
    assert_eq!(patch(staff.clone(), false).await.status(), 403);
    assert_eq!(patch(platform, false).await.status(), 200);
    assert_eq!(post(&staff).await, 201);
}

#[tokio::test]
async fn a_measure_shows_its_trend_as_a_chart_and_a_table_and_a_quarter_is_replaced() {
    let (app, t, fx) = spawn_with_workspaces().await;
    let token = app.token(t.own(Role::Staff)).await;
    let path = format!("/api/v1/workspaces/pub-ws/measures/{}/readings", fx.measure);
    for (quarter, value) in [
        ("2025/26 Q4", 18.4),
        ("2026/27 Q1", 19.25),
        ("2026/27 Q2", 20.0),
        ("2026/27 Q1", 19.5),
    ] {
        let reading = json!({ "quarter": quarter, "value": value });
        assert_eq!(post_json(&app, &token, &path, reading).await.status(), 201);
    }
    let mut conn = app.db.get().unwrap();
    let stored: Vec<(i32, i32, f64)> = readings::table
        .filter(readings::measure_id.eq(fx.measure))
        .order((readings::year, readings::quarter))
        .select((readings::year, readings::quarter, readings::value))
        .load(&mut *conn)
        .unwrap();
    assert_eq!(
        stored,
        vec![(2025, 4, 18.4), (2026, 1, 19.5), (2026, 2, 20.0)]
    );

    let (status, html) = app
        .browser()
        .get_html(&format!("/workspaces/pub-ws/measures/{}", fx.measure))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("<svg") && html.contains("role=\"img\""));
    assert_eq!(html.matches("<circle").count(), 3);
    for cell in ["2025/26 Q4", "18.4", "2026/27 Q1", "19.5", "2026/27 Q2"] {
        assert!(html.contains(cell), "{cell} missing");
    }
}

#[tokio::test]
async fn leads_manage_members_and_posts_are_edited_by_author_or_lead() {
    let (app, t, fx) = spawn_with_workspaces().await;
    let partner = app.signed_in(t.own(Role::Partner)).await;
    let other = t.other.to_string();
    let res = partner
        .post(
            "/workspaces/pub-ws/members",
            &[("organisation_id", other.as_str()), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let leader = app.signed_in(t.own(Role::Leader)).await;
    let res = leader
        .post(
            "/workspaces/pub-ws/members",
            &[("organisation_id", other.as_str()), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = leader.get_html("/workspaces/pub-ws/members").await;
    assert!(html.contains("Org other-council"));

    // The other organisation, now a member, may not edit own's update, but a lead may.
    let other_token = app.token(t.other(Role::Staff)).await;
    let path = format!("/api/v1/workspaces/pub-ws/posts/{}", fx.post);
    let hijack = json!({ "title": "Hijacked" });
    assert_eq!(
        patch_json(&app, &other_token, &path, hijack).await.status(),
        403
    );
    let res = leader
        .post(
            &format!("/workspaces/pub-ws/updates/{}/edit", fx.post),
            &[
                ("title", "Toton: study under way"),
                ("body", "Edited by a lead"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = leader
        .get_html(&format!("/workspaces/pub-ws/updates/{}", fx.post))
        .await;
    assert!(html.contains("Toton: study under way") && html.contains("(edited)"));

    let res = leader
        .post(&format!("/workspaces/pub-ws/members/{other}/remove"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let post = json!({ "title": "T", "body": "B" });
    let res = post_json(&app, &other_token, "/api/v1/workspaces/pub-ws/posts", post).await;
    assert_eq!(res.status(), 403);
}
