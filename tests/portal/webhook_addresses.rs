//! Webhook addresses through the real stack: an address that is not on the public internet
//! is refused when a webhook is saved (a 422 on the address field naming the block, nothing
//! written), and again at delivery, on what the host stands for then, before any
//! connection is made.
//!
//! Nothing here sends traffic anywhere: every hostile address is an IP literal or a
//! `localhost` name, which the portal answers without DNS, and the only listener is on
//! this machine's loopback, there to show that no connection reached it.

use std::net::TcpListener;

use diesel::prelude::*;
use metro_portal::schema::{webhook_deliveries, webhooks};
use metro_portal::users::Role;

use crate::common::*;

/// Hostile addresses, each class of refused block at least once, with the block the
/// refusal must name.
const HOSTILE: &[(&str, &str)] = &[
    ("http://[::127.0.0.1]/", "::/96"),
    ("http://[::8.8.8.8]:8080/hook", "::/96"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:0:0/96"),
    ("http://[::ffff:8.8.8.8]/", "::ffff:0:0/96"),
    ("http://[64:ff9b::7f00:1]/", "64:ff9b::/96"),
    ("http://[64:ff9b::808:808]/", "64:ff9b::/96"),
    ("http://[64:ff9b:1::1]/", "64:ff9b:1::/48"),
    ("http://[2002:7f00:1::]/", "2002::/16"),
    ("http://[2001:0::1]/", "2001::/32"),
    ("https://[2001:1::1]/", "2001:1::1/128"),
    ("http://[2001:5::1]/", "2001::/23"),
    ("http://[fec0::1]/", "fec0::/10"),
    ("http://[fc00::1]/", "fc00::/7"),
    ("http://[fd12:3456::1]/", "fc00::/7"),
    ("http://[fe80::1]/", "fe80::/10"),
    ("http://[::1]/", "::1/128"),
    ("http://[::]/", "::/128"),
    ("http://[ff02::1]/", "ff00::/8"),
    ("http://[ff0e::1]/", "ff00::/8"),
    ("http://[100::1]/", "100::/64"),
    ("http://[2001:db8::1]/", "2001:db8::/32"),
    ("http://[3fff::1]/", "3fff::/20"),
    ("http://[5f00::1]/", "5f00::/16"),
    ("http://[4000::1]/", "4000::/2"),
    ("http://127.0.0.1:9/hook", "127.0.0.0/8"),
    ("http://10.1.2.3/", "10.0.0.0/8"),
    ("http://172.16.0.1/", "172.16.0.0/12"),
    ("http://192.168.1.1/", "192.168.0.0/16"),
    ("http://100.64.0.1/", "100.64.0.0/10"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.0.0/16"),
    ("http://0.0.0.0/", "0.0.0.0/32"),
    ("http://0.1.2.3/", "0.0.0.0/8"),
    ("http://192.0.0.9/", "192.0.0.9/32"),
    ("http://192.0.2.1/", "192.0.2.0/24"),
    ("http://192.88.99.1/", "192.88.99.0/24"),
    ("http://198.18.0.1/", "198.18.0.0/15"),
    ("http://198.19.255.255/", "198.18.0.0/15"),
    ("http://240.0.0.1/", "240.0.0.0/4"),
    ("http://255.255.255.255/", "255.255.255.255/32"),
    ("http://224.0.0.1/", "224.0.0.0/4"),
    ("http://239.255.255.250/", "224.0.0.0/4"),
    // Other spellings of 127.0.0.1, which the URL parser reads as that address.
    ("http://2130706433/", "127.0.0.0/8"),
    ("http://0x7f.1/", "127.0.0.0/8"),
    ("http://017700000001/", "127.0.0.0/8"),
    ("http://127.1/", "127.0.0.0/8"),
    ("http://0x7f000001/", "127.0.0.0/8"),
    ("http://127.0.0.1./", "127.0.0.0/8"),
    // Names under localhost., loopback whatever DNS might say.
    ("http://localhost/", "127.0.0.0/8"),
    ("http://localhost./", "127.0.0.0/8"),
    ("http://LOCALHOST:8080/", "127.0.0.0/8"),
    ("http://metro.localhost/", "127.0.0.0/8"),
];

const REFUSED: &str = "Only public internet addresses are allowed";

/// True when the portal can judge the URL's host without asking DNS, so that trying it
/// sends nothing over the network.
fn needs_no_lookup(url: &str) -> bool {
    match url::Url::parse(url).unwrap().host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(_) => true,
        None => false,
    }
}

#[test]
fn every_hostile_address_is_judged_without_dns() {
    for (url, _) in HOSTILE {
        assert!(needs_no_lookup(url), "{url} would be looked up");
    }
}

async fn refused_on_save(browser: &Browser, url: &str, block: &str) {
    let res = browser.post("/admin/webhooks", &[("url", url)]).await;
    assert_eq!(res.status(), 422, "{url}");
    let page = res.text().await.unwrap();
    assert!(page.contains(REFUSED), "{url}: no refusal in the page");
    assert!(
        page.contains(&format!("in {block} (")),
        "{url}: the refusal does not name {block}"
    );
    assert!(page.contains("id=\"url-error\""), "{url}: not on the field");
}

#[tokio::test]
async fn every_non_public_address_is_refused_when_a_webhook_is_saved() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    let admin = app.signed_in(t.own(Role::OrgAdmin)).await;
    for (url, block) in HOSTILE {
        refused_on_save(&admin, url, block).await;
    }
    assert_eq!(app.count("webhooks"), 0);
    assert!(!app.audit_actions().iter().any(|a| a == "webhook.created"));
}

#[tokio::test]
async fn the_loopback_setting_lets_loopback_through_and_nothing_else() {
    let app = spawn_app_with(|s| s.webhooks.allow_private_addresses = true).await;
    let t = app.two_tenants();
    let admin = app.signed_in(t.own(Role::OrgAdmin)).await;
    // Saving connects to nothing, so these ports need no listener.
    let loopback = [
        "http://127.0.0.1:9/hook",
        "http://127.8.9.10:9/hook",
        "http://[::1]:9/hook",
        "http://localhost:9/hook",
    ];
    for url in loopback {
        let res = admin.post("/admin/webhooks", &[("url", url)]).await;
        assert_eq!(res.status(), 200, "{url}");
    }
    // Loopback in its plain forms passes; loopback inside another form does not.
    let still_refused = HOSTILE
        .iter()
        .filter(|(_, block)| !["127.0.0.0/8", "::1/128"].contains(block));
    for (url, block) in still_refused {
        refused_on_save(&admin, url, block).await;
    }
    assert_eq!(app.count("webhooks"), loopback.len() as i64);
}

/// A test event for the webhook, through its page.
async fn send_test_event(app: &TestApp, admin: &Browser, url: &str) {
    let mut conn = app.db.get().unwrap();
    let id: i64 = webhooks::table
        .filter(webhooks::url.eq(url))
        .select(webhooks::id)
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    let res = admin.post(&format!("/admin/webhooks/{id}/test"), &[]).await;
    assert_eq!(res.status(), 303, "{url}");
}

/// A webhook written straight to the table, as one saved under an earlier, looser rule.
fn saved_earlier(app: &TestApp, admin: &TestUser, url: &str) {
    let mut conn = app.db.get().unwrap();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::organisation_id.eq(admin.organisation_id),
            webhooks::url.eq(url),
            webhooks::secret.eq("secret"),
            webhooks::event_kinds.eq(""),
            webhooks::active.eq(true),
            webhooks::created_by.eq(admin.id),
            webhooks::created_at.eq(metro_portal::db::now()),
        ))
        .execute(&mut *conn)
        .unwrap();
    app.raise_version(&mut conn);
}

#[tokio::test]
async fn a_delivery_to_a_refused_address_fails_before_connecting() {
    let mut app = spawn_app_with_queue(|s| s.webhooks.max_attempts = 1).await;
    let t = app.two_tenants();
    let owner = t.own(Role::OrgAdmin);
    let admin = app.signed_in(owner).await;
    // Anything that did connect would land here, on this machine.
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    receiver.set_nonblocking(true).unwrap();
    let port = receiver.local_addr().unwrap().port();

    // Saved while loopback was allowed; the workers below run without that setting, so the
    // name now stands for a refused address, as a name pointed elsewhere after its check.
    let by_name = format!("http://localhost:{port}/hooks/metro");
    let res = admin.post("/admin/webhooks", &[("url", &by_name)]).await;
    assert_eq!(res.status(), 200);
    let mapped = format!("http://[::ffff:127.0.0.1]:{port}/hooks/metro");
    saved_earlier(&app, owner, &mapped);
    app.settings.webhooks.allow_private_addresses = false;

    for url in [&by_name, &mapped] {
        send_test_event(&app, &admin, url).await;
    }
    app.run_pending_jobs();

    let mut conn = app.db.get().unwrap();
    let outcomes: Vec<(String, String, Option<i32>, Option<String>)> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .order(webhook_deliveries::id.asc())
        .select((
            webhooks::url,
            webhook_deliveries::status,
            webhook_deliveries::response_status,
            webhook_deliveries::error,
        ))
        .load(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!(outcomes.len(), 2);
    let expected = [
        (
            &by_name,
            "localhost gives 127.0.0.1, which is in 127.0.0.0/8 (Loopback",
        ),
        (&mapped, "in ::ffff:0:0/96 (IPv4-mapped Address"),
    ];
    for ((url, status, code, error), (want_url, reason)) in outcomes.iter().zip(expected) {
        assert_eq!(url, want_url);
        assert_eq!((status.as_str(), *code), ("failed", None), "{url}");
        let error = error.as_deref().unwrap_or_default();
        assert!(error.starts_with("Not sent: "), "{url}: {error}");
        assert!(
            error.contains(REFUSED) && error.contains(reason),
            "{url}: {error}"
        );
    }
    assert_eq!(
        receiver.accept().map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::WouldBlock),
        "a refused delivery connected"
    );
}
