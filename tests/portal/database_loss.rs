//! What the database's address means and what happens when it goes away: a lost PostgreSQL
//! server answers 503 at once, not after the pool's wait, and the portal recovers when it is
//! back; `sqlite://path` names that path.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{backend, spawn_app_with};
use metro_portal::db::Backend;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A loopback TCP proxy to the database server that can be cut (every connection closed, no
/// new ones taken) and put back on the same port.
struct Proxy {
    port: u16,
    target: String,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            target,
            cut: Arc::new(Notify::new()),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (target, cut) = (self.target.clone(), self.cut.clone());
        tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = cut.notified() => break,
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { break };
                        let target = target.clone();
                        pipes.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(&target).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
                    }
                }
            }
            // Dropping the set aborts every pipe: both sides of each see the connection close.
            pipes.abort_all();
        });
    }

    fn cut(&self) {
        self.cut.notify_one();
    }

    async fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

async fn page_status(client: &reqwest::Client, url: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = client
        .get(url)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_postgres_server_answers_503_at_once_and_the_portal_recovers() {
    if backend() != Backend::Postgres {
        // A SQLite file cannot be lost this way; this runs in the PostgreSQL suite.
        eprintln!("a_lost_postgres_server_answers_503_at_once: PostgreSQL suite only");
        return;
    }
    let server = url::Url::parse(&std::env::var("TEST_DATABASE_URL").unwrap()).unwrap();
    let target = format!(
        "{}:{}",
        server.host_str().unwrap_or("127.0.0.1"),
        server.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(target).await;
    let port = proxy.port;
    let app = spawn_app_with(|s| {
        let mut url = url::Url::parse(&s.database.url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(port)).unwrap();
        s.database.url = url.to_string();
    })
    .await;
    let client = reqwest::Client::new();
    let health = app.url("/healthz");
    assert_eq!(page_status(&client, &health).await.0, 200);

    proxy.cut();
    // The first request may be the one that finds out; every one after answers at once.
    let _ = page_status(&client, &health).await;
    for _ in 0..5 {
        let (status, took) = page_status(&client, &health).await;
        assert_eq!(status, 503);
        assert!(took < Duration::from_millis(1000), "took {took:?}");
    }
    // A page kept from before may still be shown; either way the answer is quick.
    let (status, took) = page_status(&client, &app.url("/workspaces")).await;
    assert!(matches!(status, 200 | 503), "{status}");
    assert!(took < Duration::from_millis(1000), "a page took {took:?}");

    proxy.restore().await;
    let started = Instant::now();
    loop {
        let (status, _) = page_status(&client, &health).await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not back after the database"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_sqlite_url_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portal.db");
    let url = format!("sqlite://{}", file.display());
    let app = spawn_app_with(|s| s.database.url = url.clone()).await;
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "sqlite");
    assert!(file.exists(), "the database is the file the URL names");
    assert!(
        !std::path::Path::new("sqlite:").exists(),
        "no folder named after the scheme"
    );
    let relative = metro_portal::db::Backend::sqlite_path("sqlite:data/metro.db");
    assert_eq!(relative, "data/metro.db");
}

/// libpq is built from source with OpenSSL, so `sslmode=require` still makes a TLS
/// connection (the server here is Debian's, with TLS on by default).
#[test]
fn a_postgres_url_that_requires_tls_gets_it() {
    use diesel::prelude::*;
    if backend() != Backend::Postgres {
        eprintln!("a_postgres_url_that_requires_tls_gets_it: PostgreSQL suite only");
        return;
    }
    let mut url = url::Url::parse(&std::env::var("TEST_DATABASE_URL").unwrap()).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "sslmode")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("sslmode", "require");
    let db = metro_portal::db::Db::connect(url.as_str(), 1).expect("a TLS connection");
    let mut conn = db.get().unwrap();
    #[derive(QueryableByName)]
    struct Tls {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    let tls: Tls = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut *conn)
        .unwrap();
    assert!(tls.ssl, "the connection is encrypted");
}
