//! No job can starve the web: webhook receivers and a mail server that accept and never
//! answer hold only their own kinds' places in the queue and no database connection, so
//! pages keep answering, and one organisation's hung receiver leaves the others' deliveries
//! going. Every server here is on loopback.

use std::time::{Duration, Instant};

use crate::common::hooks::{HookSink, Silent};
use crate::common::spawn_app_with;
use metro_portal::users::Role;

async fn until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hung_receivers_and_a_hung_mail_server_leave_pages_and_other_tenants_going() {
    let hung_hooks = Silent::start();
    let hung_mail = Silent::start();
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private_addresses = true;
        s.webhooks.timeout_seconds = 30;
        s.email.smtp.port = hung_mail.port;
    })
    .await;
    let t = app.two_tenants();
    app.workspaces(&t);
    let good = HookSink::start(vec![]);

    // One organisation points sixteen webhooks at a receiver that never answers; the other
    // has one that works.
    let hog = app.signed_in(t.other(Role::OrgAdmin)).await;
    for n in 0..16 {
        let url = format!("{}?n={n}", hung_hooks.url());
        let res = hog.add_webhook(&url, "post.created").await;
        assert_eq!(res.status(), 200);
    }
    let fair = app.signed_in(t.own(Role::OrgAdmin)).await;
    let res = fair.add_webhook(&good.url(), "post.created").await;
    assert_eq!(res.status(), 200);
    // Mail that will hang: password resets for several people.
    let anonymous = app.browser();
    for user in t.own_users.iter().chain(&t.other_users) {
        let res = anonymous.ask_password_reset(&user.email).await;
        assert_eq!(res.status(), 200);
    }

    app.post_update(t.own(Role::Staff), "pub-ws", "Everyone hears of this");
    until(
        "deliveries to the hung receiver",
        Duration::from_secs(20),
        || hung_hooks.open() >= 2,
    )
    .await;
    until("mail to the hung server", Duration::from_secs(20), || {
        hung_mail.open() >= 1
    })
    .await;
    // The other organisation's delivery goes while the first one's receiver hangs.
    until(
        "the working receiver's delivery",
        Duration::from_secs(20),
        || good.requests().len() == 1,
    )
    .await;

    let limits = &app.settings.jobs;
    assert!(
        hung_hooks.open() <= limits.per_lane,
        "one organisation holds at most its lane's places: {} open",
        hung_hooks.open()
    );
    assert!(
        hung_mail.open() <= limits.limits["email"],
        "{} open",
        hung_mail.open()
    );

    // Pages for everyone, many at once, while the receivers hang.
    let reader = app.signed_in(t.own(Role::Staff)).await;
    let pages = [
        "/workspaces",
        "/opportunities",
        "/dashboard",
        "/workspaces/pub-ws",
        "/notifications",
    ];
    let mut slowest = Duration::ZERO;
    for round in 0..20 {
        let mut batch = Vec::new();
        for page in pages {
            let reader = reader.clone();
            batch.push(tokio::spawn(async move {
                let started = Instant::now();
                let status = reader.get(page).await.status().as_u16();
                (page, status, started.elapsed())
            }));
        }
        for task in batch {
            let (page, status, took) = task.await.unwrap();
            assert_eq!(status, 200, "round {round}: {page}");
            slowest = slowest.max(took);
        }
    }
    // Waiting for a connection would take the pool's 5 s and then answer 503.
    assert!(slowest < Duration::from_secs(2), "slowest page {slowest:?}");
    assert!(
        hung_hooks.open() >= 1,
        "the receivers were still hanging throughout"
    );
}
