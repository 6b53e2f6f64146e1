//! Notifications through the real stack: following, fan-out to people and organisations,
//! email at once and in digests, delivery through an SMTP outage, two workers at once,
//! signed webhooks with retries, one-click unsubscribe, feeds, and nothing told to anyone
//! who cannot see it.

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use metro_portal::notifications::digests;
use metro_portal::notifications::model::Delivery;
use metro_portal::schema::{
    events, jobs, notifications, subscriptions, users, webhook_deliveries, webhooks,
};
use metro_portal::users::Role;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::hooks::HookSink;
use crate::common::*;

async fn follow(app: &TestApp, user: &TestUser, body: Value) -> reqwest::Response {
    let token = app.token(user).await;
    post_json(app, &token, "/api/v1/subscriptions", body).await
}

async fn follows(app: &TestApp, user: &TestUser, body: Value) -> i64 {
    let res = follow(app, user, body).await;
    assert!(
        res.status().is_success(),
        "follow answered {}",
        res.status()
    );
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

fn set_default(app: &TestApp, user: &TestUser, delivery: &str) {
    let mut conn = app.db.get().unwrap();
    diesel::update(users::table.find(user.id))
        .set(users::default_delivery.eq(delivery))
        .execute(&mut *conn)
        .unwrap();
}

/// `user`, whose default delivery is now `delivery`, follows workspace `slug`.
async fn follows_workspace(app: &TestApp, user: &TestUser, slug: &str, delivery: &str) -> i64 {
    set_default(app, user, delivery);
    follows(
        app,
        user,
        json!({ "target": "workspace", "workspace": slug }),
    )
    .await
}

/// Who was told about events whose payload mentions `text`, with why and how.
fn told(app: &TestApp, text: &str) -> Vec<(i64, String, String)> {
    let mut conn = app.db.get().unwrap();
    notifications::table
        .inner_join(events::table)
        .filter(events::payload.like(format!("%{text}%")))
        .order(notifications::user_id.asc())
        .select((
            notifications::user_id,
            notifications::reason,
            notifications::delivery,
        ))
        .load(&mut *conn)
        .unwrap()
}

fn ids(told: &[(i64, String, String)]) -> Vec<i64> {
    told.iter().map(|t| t.0).collect()
}

fn header(message: &crate::common::smtp::Received, name: &str) -> Option<String> {
    let data = message.data.replace("\r\n ", " ");
    data.lines()
        .take_while(|l| !l.is_empty())
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

#[tokio::test]
async fn events_reach_followers_and_whole_organisations_but_not_those_who_opt_out_or_acted() {
    let (app, t) = spawn_queue_with_workspaces().await;

    let org_follow =
        json!({ "target": "workspace", "workspace": "pub-ws", "scope": "organisation" });
    let res = follow(&app, t.other(Role::OrgAdmin), org_follow.clone()).await;
    assert_eq!(res.status(), 201);
    let org_sub = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Following again is no error and makes no second subscription.
    assert_eq!(
        follow(&app, t.other(Role::OrgAdmin), org_follow.clone())
            .await
            .status(),
        200
    );
    // Only an organisation's admins follow for all of it.
    assert_eq!(
        follow(&app, t.other(Role::Staff), org_follow)
            .await
            .status(),
        403
    );

    let partner = app.signed_in(t.other(Role::Partner)).await;
    let res = partner
        .post(&format!("/subscriptions/{org_sub}/opt-out"), &[])
        .await;
    assert_eq!(res.status(), 303);
    follows(
        &app,
        t.own(Role::Leader),
        json!({ "target": "workspace", "workspace": "pub-ws", "delivery": "inbox" }),
    )
    .await;

    app.post_update(t.own(Role::Staff), "pub-ws", "Toton hub masterplan");
    app.run_pending_jobs();
    let first = told(&app, "Toton hub masterplan");
    let mut expected = vec![
        t.own(Role::Leader).id,
        t.other(Role::OrgAdmin).id,
        t.other(Role::Leader).id,
        t.other(Role::Staff).id,
    ];
    expected.sort_unstable();
    assert_eq!(
        ids(&first),
        expected,
        "the author and the partner who opted out are not told"
    );
    let leader = first
        .iter()
        .find(|n| n.0 == t.own(Role::Leader).id)
        .unwrap();
    assert_eq!(leader.1, "because you follow Workspace pub-ws");
    assert_eq!(leader.2, "inbox");
    let other_staff = first
        .iter()
        .find(|n| n.0 == t.other(Role::Staff).id)
        .unwrap();
    assert_eq!(
        other_staff.1,
        "because Org other-council follows Workspace pub-ws"
    );
    assert_eq!(
        other_staff.2, "daily",
        "an organisation's subscription uses each person's default"
    );

    // The settings page says why, and the opted-out partner can opt back in.
    let (status, html) = partner.get_html("/settings/subscriptions").await;
    assert_eq!(status, 200);
    assert!(html.contains("You have opted out"));
    partner
        .post(&format!("/subscriptions/{org_sub}/opt-in"), &[])
        .await;
    app.post_update(t.own(Role::Staff), "pub-ws", "Second masterplan note");
    app.run_pending_jobs();
    assert!(ids(&told(&app, "Second masterplan note")).contains(&t.other(Role::Partner).id));
}

#[tokio::test]
async fn immediate_email_and_a_grouped_digest_that_is_never_sent_empty() {
    let app = spawn_app_with_queue(|_| {}).await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let o = app.opportunities(&t);
    app.run_pending_jobs();
    let leader = t.own(Role::Leader);
    let partner = t.other(Role::Partner);
    follows_workspace(&app, leader, "pub-ws", "immediate").await;
    follows(
        &app,
        partner,
        json!({ "target": "workspace", "workspace": "pub-ws", "delivery": "daily" }),
    )
    .await;
    follows(&app, partner, json!({ "target": "opportunity", "opportunity": o.own_opp.to_string(), "delivery": "daily" })).await;

    app.post_update(t.own(Role::Staff), "pub-ws", "Older workspace news");
    std::thread::sleep(std::time::Duration::from_millis(5));
    app.comment_on(
        t.own(Role::Staff),
        o.own_opp,
        "Newest comment on the legal team",
    );
    app.run_pending_jobs();

    let mail = app.smtp.to(&leader.email);
    let subjects: Vec<_> = mail.iter().map(|m| header(m, "Subject")).collect();
    assert_eq!(
        mail.len(),
        1,
        "the leader follows only the workspace: {subjects:?}"
    );
    let text = mail[0].decoded();
    assert!(text.contains("New update: Older workspace news"));
    assert!(text.contains("because you follow Workspace pub-ws"));
    let unsubscribe = header(&mail[0], "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with(&format!("<{}/unsubscribe/", app.address)),
        "{unsubscribe}"
    );
    assert_eq!(
        header(&mail[0], "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    // The Message-ID names the job, so a send repeated after a crash is the same message.
    let job: i64 = jobs::table
        .filter(jobs::kind.eq("notify"))
        .select(jobs::id)
        .order(jobs::id.desc())
        .first(&mut *app.db.get().unwrap())
        .unwrap();
    let message_id = header(&mail[0], "Message-ID").expect("Message-ID");
    assert!(
        message_id.starts_with(&format!("<job-{job}-")) && message_id.ends_with(">"),
        "{message_id}"
    );
    assert!(
        app.smtp.to(&partner.email).is_empty(),
        "digest people get no mail at once"
    );

    let mut conn = app.db.get().unwrap();
    let queued = digests::collect(&mut conn, &app.settings, Delivery::Daily, "test-1").unwrap();
    assert!(queued >= 1, "the fixtures' authors have digests too");
    drop(conn);
    app.run_pending_jobs();
    let digest = app.smtp.to(&partner.email);
    assert_eq!(digest.len(), 1);
    let body = digest[0].decoded();
    assert!(header(&digest[0], "Subject").unwrap().contains("daily"));
    assert!(header(&digest[0], "List-Unsubscribe").is_some());
    let newest = body.find("== OPP-").expect("a group for the opportunity");
    let older = body
        .find("== Workspace pub-ws ==")
        .expect("a group for the workspace");
    assert!(newest < older, "the newest group comes first");
    assert!(body.contains("New comment: Joint legal team"));
    assert!(body.contains("New update: Older workspace news"));

    // Nothing new: no digest at all.
    let mut conn = app.db.get().unwrap();
    assert_eq!(
        digests::collect(&mut conn, &app.settings, Delivery::Daily, "test-2").unwrap(),
        0
    );
    drop(conn);
    app.run_pending_jobs();
    assert_eq!(app.smtp.to(&partner.email).len(), 1);

    // A digest whose only item the person may no longer see is not sent either.
    app.comment_on(t.own(Role::Staff), o.own_opp, "Soon hidden");
    app.run_pending_jobs();
    app.make_draft(t.own(Role::Staff), o.own_opp, "Joint legal team");
    let mut conn = app.db.get().unwrap();
    assert_eq!(
        digests::collect(&mut conn, &app.settings, Delivery::Daily, "test-3").unwrap(),
        1
    );
    drop(conn);
    app.run_pending_jobs();
    assert_eq!(
        app.smtp.to(&partner.email).len(),
        1,
        "an empty digest is never sent"
    );
}

/// `send-digests` as a council runs it from cron: a separate process, with the SMTP server
/// and the public address from its environment.
fn send_digests(app: &TestApp, env: &[(&str, &str)]) -> std::process::Output {
    let port = app.smtp.port.to_string();
    std::process::Command::new(env!("CARGO_BIN_EXE_metro-portal"))
        .args(["send-digests", "--frequency", "daily"])
        .env("DATABASE_URL", app.db_url())
        .env("METRO__DATA_DIR", &app.data_dir)
        .env("METRO__EMAIL__TRANSPORT", "smtp")
        .env("METRO__EMAIL__SMTP__HOST", "127.0.0.1")
        .env("METRO__EMAIL__SMTP__PORT", &port)
        .env("METRO__EMAIL__SMTP__TLS", "none")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[tokio::test]
async fn digests_sent_from_the_command_line_link_to_the_public_address() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let partner = t.other(Role::Partner);
    follows(
        &app,
        partner,
        json!({ "target": "workspace", "workspace": "pub-ws", "delivery": "daily" }),
    )
    .await;
    app.post_update(t.own(Role::Staff), "pub-ws", "Night bus pilot agreed");
    app.run_pending_jobs();

    // Listening on every address, with no public address set, the links cannot be worked
    // out: the command refuses to start and sends nothing.
    let refused = send_digests(&app, &[("METRO__SERVER__HOST", "0.0.0.0")]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("set server.base_url"), "{said}");
    let refused = send_digests(&app, &[("METRO__SERVER__BASE_URL", "metro.example")]);
    assert!(!refused.status.success(), "an address without a scheme");
    assert!(app.smtp.messages().is_empty());

    let sent = send_digests(
        &app,
        &[("METRO__SERVER__BASE_URL", "https://metro.example/")],
    );
    assert_ran(&sent);
    let mail = app.smtp.to(&partner.email);
    assert_eq!(mail.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(mail[0].data.as_bytes())
        .expect("a message mail software can read");
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(header("Auto-Submitted"), "auto-generated");
    assert!(
        header("List-Unsubscribe").starts_with("<https://metro.example/unsubscribe/"),
        "{}",
        header("List-Unsubscribe")
    );
    let text = message.body_text(0).expect("a plain text part");
    let html = message.body_html(0).expect("an HTML part");
    assert!(text.contains("Night bus pilot agreed"));
    assert!(
        text.contains("https://metro.example/settings/subscriptions"),
        "{text}"
    );
    // Every link in the HTML part is absolute and on the public address.
    let hrefs: Vec<&str> = html.split("href=\"").skip(1).collect();
    assert!(!hrefs.is_empty());
    for href in hrefs {
        assert!(href.starts_with("https://metro.example/"), "{href}");
    }
}

#[tokio::test]
async fn smtp_down_for_a_batch_then_up_delivers_every_message_exactly_once() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let people = [
        t.own(Role::Leader),
        t.own(Role::OrgAdmin),
        t.other(Role::Leader),
    ];
    for person in people {
        follows_workspace(&app, person, "pub-ws", "immediate").await;
    }
    app.smtp.set_down(true);
    app.post_update(t.own(Role::Staff), "pub-ws", "Outage one");
    app.post_update(t.own(Role::Staff), "pub-ws", "Outage two");
    let before = metro_portal::db::now();
    app.run_pending_jobs();
    let after = metro_portal::db::now();
    assert!(app.smtp.messages().is_empty());
    let mut conn = app.db.get().unwrap();
    let waiting: Vec<(i32, Option<String>, chrono::NaiveDateTime)> = jobs::table
        .filter(jobs::kind.eq("notify"))
        .filter(jobs::status.eq("pending"))
        .select((jobs::attempts, jobs::last_error, jobs::run_at))
        .load(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!(waiting.len(), 6, "every message waits for a retry");
    assert!(waiting
        .iter()
        .all(|(attempts, error, _)| *attempts == 1 && error.is_some()));
    // The first retry comes retry_base_seconds after the failure, as configured.
    let base = chrono::Duration::seconds(app.settings.jobs.retry_base_seconds);
    for (_, _, run_at) in &waiting {
        assert!(
            *run_at >= before + base && *run_at <= after + base,
            "retry at {run_at}, failed between {before} and {after}"
        );
    }

    app.smtp.set_down(false);
    app.make_jobs_due();
    app.run_pending_jobs();
    app.make_jobs_due();
    app.run_pending_jobs();
    for person in people {
        let mail = app.smtp.to(&person.email);
        assert_eq!(
            mail.len(),
            2,
            "{} got {} messages",
            person.email,
            mail.len()
        );
        assert!(mail.iter().any(|m| m.decoded().contains("Outage one")));
        assert!(mail.iter().any(|m| m.decoded().contains("Outage two")));
    }
    assert_eq!(app.smtp.messages().len(), 6);
}

#[tokio::test]
async fn two_workers_at_once_send_nothing_twice() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let people = [
        t.own(Role::Leader),
        t.own(Role::OrgAdmin),
        t.other(Role::Leader),
        t.other(Role::Partner),
    ];
    for person in people {
        follows_workspace(&app, person, "pub-ws", "immediate").await;
    }
    for n in 0..5 {
        app.post_update(t.own(Role::Staff), "pub-ws", &format!("Busy day {n}"));
    }
    let first = app.worker();
    let second = app.worker();
    let a = std::thread::spawn(move || first.drain().unwrap());
    let b = std::thread::spawn(move || second.drain().unwrap());
    let ran = a.join().unwrap() + b.join().unwrap();
    assert!(ran > 0);
    // One worker may stop when the other holds the last jobs; whatever is left runs now.
    app.run_pending_jobs();
    let mut conn = app.db.get().unwrap();
    let retried: Vec<(String, i32, Option<String>)> = jobs::table
        .filter(jobs::attempts.gt(1).or(jobs::status.ne("done")))
        .select((jobs::kind, jobs::attempts, jobs::last_error))
        .load(&mut *conn)
        .unwrap();
    drop(conn);
    assert!(retried.is_empty(), "{retried:?}");
    for person in people {
        assert_eq!(app.smtp.to(&person.email).len(), 5, "{}", person.email);
    }
    assert_eq!(app.smtp.messages().len(), 20);
    assert_eq!(told(&app, "Busy day").len(), 20);
}

fn verify(secret: &str, timestamp: &str, body: &str, signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected = hex::decode(signature.trim_start_matches("sha256=")).unwrap_or_default();
    mac.verify_slice(&expected).is_ok()
}

#[tokio::test]
async fn webhooks_are_signed_retried_after_a_500_and_logged() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let hook = HookSink::start(vec![500]);
    let admin = app.signed_in(t.other(Role::OrgAdmin)).await;
    let res = admin.add_webhook(&hook.url(), "post.created").await;
    let (status, page) = answer_text(res).await;
    assert_eq!(status, 200);
    let mut conn = app.db.get().unwrap();
    let (hook_id, secret): (i64, String) = webhooks::table
        .select((webhooks::id, webhooks::secret))
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    assert!(
        page.contains(&secret),
        "the secret is shown once, on creation"
    );
    let (_, again) = admin.get_html("/admin/webhooks").await;
    assert!(!again.contains(&secret), "and never again");

    app.post_update(t.own(Role::Staff), "pub-ws", "Hooked update");
    app.run_pending_jobs();
    assert_eq!(hook.requests().len(), 1);
    let mut conn = app.db.get().unwrap();
    let (status, attempts, code): (String, i32, Option<i32>) = webhook_deliveries::table
        .select((
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::response_status,
        ))
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!((status.as_str(), attempts, code), ("pending", 1, Some(500)));

    app.make_jobs_due();
    app.run_pending_jobs();
    let requests = hook.requests();
    assert_eq!(requests.len(), 2, "retried after the 500");
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(
        requests[0].headers["x-metro-delivery"],
        requests[1].headers["x-metro-delivery"]
    );
    for r in &requests {
        assert!(verify(
            &secret,
            &r.headers["x-metro-timestamp"],
            &r.body,
            &r.headers["x-metro-signature"]
        ));
        assert!(!verify(
            "wrong secret",
            &r.headers["x-metro-timestamp"],
            &r.body,
            &r.headers["x-metro-signature"]
        ));
        assert_eq!(r.headers["x-metro-event"], "post.created");
    }
    let body: Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(body["kind"], "post.created");
    assert_eq!(body["title"], "Hooked update");

    // Kinds it did not ask for are not sent; a test event is.
    {
        use metro_portal::workspaces::outcomes::service::{create_outcome, OutcomeInput};
        let input = OutcomeInput {
            title: "Not hooked".into(),
            description: String::new(),
        };
        app.in_workspace(t.own(Role::Staff), "pub-ws", |conn, a, access| {
            create_outcome(conn, a, access, &input)
        });
    }
    let res = admin
        .post(&format!("/admin/webhooks/{hook_id}/test"), &[])
        .await;
    assert_eq!(res.status(), 303);
    app.run_pending_jobs();
    let requests = hook.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].headers["x-metro-event"], "test");
    let (status, log) = admin.get_html(&format!("/admin/webhooks/{hook_id}")).await;
    assert_eq!(status, 200);
    assert!(log.contains("Delivered") && log.contains("<td>2</td>") && log.contains("Test event"));

    // Turned off: nothing more is sent.
    admin
        .post(&format!("/admin/webhooks/{hook_id}/disable"), &[])
        .await;
    app.post_update(t.own(Role::Staff), "pub-ws", "While off");
    app.run_pending_jobs();
    assert_eq!(hook.requests().len(), 3);
}

#[tokio::test]
async fn webhook_addresses_on_private_networks_are_refused_unless_allowed() {
    let (app, t) = spawn_tenants().await;
    let admin = app.signed_in(t.own(Role::OrgAdmin)).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "ftp://example.org/x",
    ] {
        let res = admin.post("/admin/webhooks", &[("url", url)]).await;
        assert_eq!(res.status(), 422, "{url}");
    }
    let res = admin
        .post("/admin/webhooks", &[("url", "http://127.0.0.1:9/hook")])
        .await;
    let (_, page) = answer_text(res).await;
    assert!(page.contains("private, loopback or link-local"));
    assert_eq!(app.count("webhooks"), 0);
    let staff = app.signed_in(t.own(Role::Staff)).await;
    assert_eq!(
        staff
            .post("/admin/webhooks", &[("url", "https://example.org/")])
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn the_unsubscribe_link_works_signed_out_and_changes_only_that_subscription() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let leader = t.own(Role::Leader);
    let ws_sub = follows_workspace(&app, leader, "pub-ws", "immediate").await;
    let register_sub = follows(&app, leader, json!({ "target": "register" })).await;
    app.post_update(t.own(Role::Staff), "pub-ws", "Unsubscribe me");
    app.run_pending_jobs();
    let mail = app.smtp.wait_for(&leader.email);
    let link = header(&mail, "List-Unsubscribe").unwrap();
    let link = link
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();

    let anonymous = reqwest::Client::new();
    let (status, page) = answer_text(anonymous.get(&link).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Emails about Workspace pub-ws"));
    let mut tampered = link.clone();
    tampered.pop();
    tampered.push('x');
    assert_eq!(anonymous.get(&tampered).send().await.unwrap().status(), 404);
    assert_eq!(
        anonymous
            .post(&tampered)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // RFC 8058: a POST with List-Unsubscribe=One-Click, no cookies, no form token.
    let done = anonymous
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    let (status, done) = answer_text(done).await;
    assert_eq!(status, 200);
    assert!(done.contains("You have unsubscribed"));
    let mut conn = app.db.get().unwrap();
    let left: Vec<i64> = subscriptions::table
        .filter(subscriptions::user_id.eq(leader.id))
        .select(subscriptions::id)
        .load(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!(left, vec![register_sub], "only {ws_sub} was ended");
    // Twice is harmless.
    assert_eq!(anonymous.post(&link).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn nobody_is_told_about_what_they_cannot_see() {
    let app = spawn_app_with_queue(|_| {}).await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let o = app.opportunities(&t);
    app.run_pending_jobs();
    let outsider = t.other(Role::Partner);
    set_default(&app, outsider, "immediate");
    follows(
        &app,
        outsider,
        json!({ "target": "opportunity", "opportunity": o.own_opp.to_string() }),
    )
    .await;
    follows(&app, outsider, json!({ "target": "register" })).await;
    // A draft cannot be followed by anyone outside its lead organisation.
    let res = follow(
        &app,
        outsider,
        json!({ "target": "opportunity", "opportunity": o.own_draft.to_string() }),
    )
    .await;
    assert_eq!(res.status(), 404);

    // Told of a comment, then the opportunity becomes a draft before the email goes.
    app.comment_on(t.own(Role::Staff), o.own_opp, "Before it was hidden");
    assert!(app.worker().run_one().unwrap(), "the fan-out runs first");
    assert_eq!(told(&app, "Joint legal team").len(), 1);
    app.make_draft(t.own(Role::Staff), o.own_opp, "Joint legal team");
    app.comment_on(t.own(Role::Staff), o.own_draft, "Inside the draft");
    app.comment_on(t.other(Role::Staff), o.other_draft, "Their own draft");
    app.run_pending_jobs();
    // Only their own organisation's draft reaches them.
    let mail = app.smtp.to(&outsider.email);
    assert_eq!(mail.len(), 1, "no email about another organisation's draft");
    assert!(mail[0]
        .decoded()
        .contains("Confidential draft of the other council"));
    assert!(ids(&told(&app, "Our draft idea")).is_empty());
    let token = app.token(outsider).await;
    let text = app
        .api_json(&token, "/api/v1/notifications")
        .await
        .to_string();
    assert!(
        !text.contains("Joint legal team") && !text.contains("Our draft idea"),
        "{text}"
    );
    let browser = app.signed_in(outsider).await;
    let (_, html) = browser.get_html("/notifications").await;
    assert!(!html.contains("Joint legal team"));

    // A members-only workspace stops telling an organisation that has left it.
    let member = t.own(Role::Leader);
    follows_workspace(&app, member, "mem-ws", "immediate").await;
    app.post_update(t.other(Role::Staff), "mem-ws", "Members only one");
    app.run_pending_jobs();
    assert_eq!(app.smtp.to(&member.email).len(), 1);
    app.remove_member(&t.platform, "mem-ws", t.own);
    app.post_update(t.other(Role::Staff), "mem-ws", "Members only two");
    app.run_pending_jobs();
    assert_eq!(app.smtp.to(&member.email).len(), 1);
    assert!(told(&app, "Members only two")
        .iter()
        .all(|n| n.0 != member.id));
    let (_, html) = app.signed_in(member).await.get_html("/notifications").await;
    assert!(
        !html.contains("Members only one"),
        "what they can no longer see leaves the inbox"
    );
}

#[tokio::test]
async fn subscriptions_and_notifications_on_the_api() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let leader = t.own(Role::Leader);
    let token = app.token(leader).await;

    let res = follow(&app, leader, json!({ "target": "nothing" })).await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["fields"]["target"].is_string());
    for (who, body, status, why) in [
        (
            leader,
            json!({ "target": "workspace", "workspace": "other-ws" }),
            404,
            "a workspace the caller cannot see",
        ),
        (
            leader,
            json!({ "target": "register", "stage": "nowhere" }),
            422,
            "a stage that does not exist",
        ),
        (
            t.own(Role::OrgAdmin),
            json!({ "target": "register", "scope": "organisation", "delivery": "immediate" }),
            422,
            "members choose their own delivery",
        ),
    ] {
        assert_eq!(follow(&app, who, body).await.status(), status, "{why}");
    }
    assert_eq!(app.count("subscriptions"), subscriptions_before(&app));

    let sub = follows(
        &app,
        leader,
        json!({ "target": "register", "service_area": "legal", "delivery": "weekly" }),
    )
    .await;
    let list = app.api_json(&token, "/api/v1/subscriptions").await;
    let mine = items(&list).iter().find(|s| s["id"] == sub).unwrap();
    assert_eq!(
        mine["description"],
        "the opportunity register (service area: Legal)"
    );
    assert_eq!(mine["delivery"], "weekly");
    let sub_path = format!("/api/v1/subscriptions/{sub}");
    let hourly = json!({ "delivery": "hourly" });
    assert_eq!(
        patch_json(&app, &token, &sub_path, hourly).await.status(),
        422
    );

    follows(
        &app,
        leader,
        json!({ "target": "workspace", "workspace": "pub-ws", "delivery": "inbox" }),
    )
    .await;
    app.post_update(t.own(Role::Staff), "pub-ws", "First for the API");
    app.post_update(t.own(Role::Staff), "pub-ws", "Second for the API");
    app.run_pending_jobs();
    let unread = "/api/v1/notifications?unread=true";
    let inbox = app.api_json(&token, unread).await;
    assert_eq!(inbox["unread"], 2);
    assert_eq!(
        inbox["items"][0]["event"]["title"], "Second for the API",
        "newest first"
    );
    let first = inbox["items"][0]["id"].as_i64().unwrap();
    let read = format!("/api/v1/notifications/{first}/read");

    // Someone else's notification and subscription are not there for others.
    let other_token = app.token(t.other(Role::Leader)).await;
    let res = app.api_send(Method::POST, &other_token, &read).await;
    assert_eq!(res.status(), 404);
    let res = app.api_send(Method::DELETE, &other_token, &sub_path).await;
    assert_eq!(res.status(), 404);

    assert_eq!(
        app.api_send(Method::POST, &token, &read).await.status(),
        204
    );
    assert_eq!(app.api_json(&token, unread).await["unread"], 1);
    let res = app
        .api_send(Method::POST, &token, "/api/v1/notifications/read-all")
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["marked"], 1);
    let res = app.api_send(Method::DELETE, &token, &sub_path).await;
    assert_eq!(res.status(), 204);

    // An organisation's subscription: members see it, only admins end it.
    let org_sub = follows(
        &app,
        t.own(Role::OrgAdmin),
        json!({ "target": "register", "scope": "organisation" }),
    )
    .await;
    let org_path = format!("/api/v1/subscriptions/{org_sub}");
    let res = app.api_send(Method::DELETE, &token, &org_path).await;
    assert_eq!(res.status(), 403);
    let res = app.api_send(Method::DELETE, &other_token, &org_path).await;
    assert_eq!(res.status(), 404);
}

fn subscriptions_before(app: &TestApp) -> i64 {
    // The fixtures' authors follow what they posted in; nothing else exists yet.
    let mut conn = app.db.get().unwrap();
    subscriptions::table.count().get_result(&mut *conn).unwrap()
}

#[tokio::test]
async fn the_inbox_page_counts_unread_and_marks_read() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let leader = t.own(Role::Leader);
    let browser = app.signed_in(leader).await;
    let res = browser
        .post(
            "/subscriptions",
            &[
                ("target", "workspace"),
                ("workspace", "pub-ws"),
                ("return_to", "/workspaces/pub-ws"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/workspaces/pub-ws");
    let (_, html) = browser.get_html("/workspaces/pub-ws").await;
    assert!(html.contains("Stop following"));
    app.post_update(t.own(Role::Staff), "pub-ws", "Inbox one");
    app.post_update(t.own(Role::Staff), "pub-ws", "Inbox two");
    // Not told yet: the count kept now must not outlast the fan-out.
    let (_, html) = browser.get_html("/notifications").await;
    assert!(!html.contains("nav-count"));
    app.run_pending_jobs();
    let (status, html) = browser.get_html("/notifications").await;
    assert_eq!(status, 200);
    assert!(html.contains("nav-count\">2<"), "the header shows 2 unread");
    assert!(html.contains("Inbox two") && html.contains("Inbox one"));
    assert!(html.find("Inbox two").unwrap() < html.find("Inbox one").unwrap());
    let mut conn = app.db.get().unwrap();
    let first: i64 = notifications::table
        .filter(notifications::user_id.eq(leader.id))
        .select(notifications::id)
        .order(notifications::id.asc())
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!(
        browser
            .post(&format!("/notifications/{first}/read"), &[])
            .await
            .status(),
        303
    );
    let (_, html) = browser.get_html("/notifications").await;
    assert!(html.contains("nav-count\">1<"));
    let intruder = app.signed_in(t.other(Role::Leader)).await;
    assert_eq!(
        intruder
            .post(&format!("/notifications/{first}/read"), &[])
            .await
            .status(),
        404
    );
    browser.post("/notifications/read-all", &[]).await;
    let (_, html) = browser.get_html("/notifications").await;
    assert!(!html.contains("nav-count"));
}

#[tokio::test]
async fn atom_feeds_show_the_public_to_anyone_and_more_with_a_personal_token() {
    let app = spawn_app_with_queue(|_| {}).await;
    let t = app.two_tenants();
    let w = app.workspaces(&t);
    app.opportunities(&t);
    let res = app.get_anon("/workspaces/pub-ws/feed.atom").await;
    assert_eq!(res.status(), 200);
    assert!(first_header(&res, "content-type").starts_with("application/atom+xml"));
    let feed = res.text().await.unwrap();
    assert!(feed.contains("<feed") && feed.contains("New update: Toton update"));
    let res = app.get_anon("/workspaces/mem-ws/feed.atom").await;
    assert_eq!(res.status(), 404);
    let (_, register) = answer_text(app.get_anon("/opportunities/feed.atom").await).await;
    assert!(
        !register.contains("Joint legal team"),
        "partnership opportunities need a reader"
    );
    assert!(!register.contains(&w.secret_title));

    let browser = app.signed_in(t.own(Role::Staff)).await;
    let token = browser.feed_key().await;
    let (_, again) = browser.get_html("/settings/subscriptions").await;
    assert!(!again.contains(&token), "the key is shown once");
    let mine = app
        .get_anon(&format!("/workspaces/mem-ws/feed.atom?token={token}"))
        .await;
    assert_eq!(mine.status(), 200);
    let register_path = format!("/opportunities/feed.atom?token={token}");
    let (_, register) = answer_text(app.get_anon(&register_path).await).await;
    assert!(register.contains("Joint legal team") && register.contains("Our draft idea"));
    assert!(!register.contains("Confidential draft of the other council"));
    browser.post("/settings/feed-token/revoke", &[]).await;
    let revoked = app.get_anon(&register_path).await;
    assert_eq!(revoked.status(), 401);
}

/// Every link in a signed-out feed, read by an independent Atom parser, opens for a reader
/// who is signed out: a feed tells nobody of a page they cannot see.
#[tokio::test]
async fn signed_out_feeds_link_only_to_pages_a_signed_out_reader_can_open() {
    let app = spawn_app_with_queue(|_| {}).await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let o = app.opportunities(&t);
    app.post_update(t.own(Role::Staff), "pub-ws", "Public masterplan note");
    app.comment_on(t.own(Role::Staff), o.own_opp, "Partnership-only comment");
    // A public opportunity, with its own activity.
    let token = app.token(t.own(Role::Staff)).await;
    let public = json!({
        "title": "Joint fleet maintenance",
        "summary": "One depot for both councils' fleets",
        "service_area": "highways_transport",
        "kind": "shared_service",
        "visibility": "public",
        "workspace_id": null
    });
    let res = post_json(&app, &token, "/api/v1/opportunities", public).await;
    assert_eq!(res.status(), 201);
    app.run_pending_jobs();
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut opened = 0;
    for path in ["/workspaces/pub-ws/feed.atom", "/opportunities/feed.atom"] {
        let body = anonymous
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let feed = feed_rs::parser::parse(&body[..]).expect("a feed an Atom reader can read");
        assert!(!feed.entries.is_empty(), "{path} has entries");
        let mut links: Vec<String> = feed.links.iter().map(|l| l.href.clone()).collect();
        for entry in &feed.entries {
            assert!(
                !entry.links.is_empty(),
                "{path}: every entry links somewhere"
            );
            links.extend(entry.links.iter().map(|l| l.href.clone()));
        }
        for link in links {
            assert!(link.starts_with(&app.address), "{path}: {link} is absolute");
            let status = anonymous.get(&link).send().await.unwrap().status();
            assert_eq!(
                status, 200,
                "{path} links to {link}, which answers {status}"
            );
            opened += 1;
        }
    }
    assert!(opened >= 4);
}

#[tokio::test]
async fn the_queue_page_shows_depth_failures_and_the_oldest_job() {
    let app = spawn_app_with_queue(|s| s.jobs.max_attempts = 1).await;
    let t = app.two_tenants();
    app.workspaces(&t);
    follows_workspace(&app, t.own(Role::Leader), "pub-ws", "immediate").await;
    app.smtp.set_down(true);
    app.post_update(t.own(Role::Staff), "pub-ws", "Queue check");
    app.run_pending_jobs();
    app.post_update(t.own(Role::Staff), "pub-ws", "Still waiting");
    let platform = app.signed_in(&t.platform).await;
    let (status, html) = platform.get_html("/admin/jobs").await;
    assert_eq!(status, 200);
    assert!(html.contains("Oldest waiting") && html.contains("fanout"));
    assert!(
        html.contains("notify") && html.contains("421"),
        "the failure and its error are shown"
    );
    let admin = app.signed_in(t.own(Role::OrgAdmin)).await;
    assert_eq!(admin.get_html("/admin/jobs").await.0, 404);
}

#[tokio::test]
async fn a_long_digest_lists_fifty_items_and_counts_the_rest() {
    let (app, t) = spawn_queue_with_workspaces().await;
    let reader = t.other(Role::Leader);
    follows_workspace(&app, reader, "pub-ws", "weekly").await;
    for n in 0..55 {
        app.post_update(t.own(Role::Staff), "pub-ws", &format!("Weekly item {n}"));
    }
    app.run_pending_jobs();
    let mut conn = app.db.get().unwrap();
    digests::collect(&mut conn, &app.settings, Delivery::Weekly, "week-1").unwrap();
    drop(conn);
    app.run_pending_jobs();
    let mail = app.smtp.to(&reader.email);
    assert_eq!(mail.len(), 1);
    let text = mail[0].decoded();
    assert!(header(&mail[0], "Subject").unwrap().contains("55 updates"));
    assert_eq!(text.matches("- New update: Weekly item").count(), 50);
    assert!(text.contains("Weekly item 54") && !text.contains("Weekly item 4 "));
    assert!(text.contains("and 5 more in your notifications"));
}

#[tokio::test]
async fn digest_runs_are_queued_once_a_period_from_the_digest_hour() {
    let app = spawn_app_with_queue(|_| {}).await;
    let mut conn = app.db.get().unwrap();
    let at = |day: u32, hour: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(hour, 30, 0)
            .unwrap()
    };
    let runs = |conn: &mut metro_portal::db::DbConn| -> Vec<String> {
        jobs::table
            .select(jobs::unique_key.assume_not_null())
            .order(jobs::id.asc())
            .load(conn)
            .unwrap()
    };
    let hour = app.settings.notifications.digest_hour;
    assert!(hour > 0, "the default digest hour leaves room before it");

    // Monday 23 November 2026: nothing before the hour; from it, the day's and the week's
    // runs, each once however often workers look.
    digests::schedule(&mut conn, &app.settings, at(23, hour - 1)).unwrap();
    assert!(runs(&mut conn).is_empty());
    for _ in 0..3 {
        digests::schedule(&mut conn, &app.settings, at(23, hour)).unwrap();
    }
    assert_eq!(
        runs(&mut conn),
        vec!["digests:daily:2026-11-23", "digests:weekly:2026-W48"]
    );
    // Tuesday: the day's run only.
    digests::schedule(&mut conn, &app.settings, at(24, 23)).unwrap();
    assert_eq!(runs(&mut conn).len(), 3);
    assert_eq!(runs(&mut conn)[2], "digests:daily:2026-11-24");
}
