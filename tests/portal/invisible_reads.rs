//! Nothing a reader may no longer see shows anywhere: not in the words for what they follow
//! (the settings page, the API, the signed-out unsubscribe page), not in the inbox or any of
//! its counts (the list, its totals and pages, the unread badge), not in an Atom feed
//! (signed out or by feed key: every entry opens for its reader), and not in an import's
//! answers (a reference or theme that is not yours answers as one that does not exist).
//! Each is walked for every reader (each role of the lead organisation and of another, and
//! a platform admin) about a draft opportunity and a members-only workspace's update.

use diesel::prelude::*;
use metro_portal::notifications::subscriptions::{UNSEEN_OPPORTUNITY, UNSEEN_WORKSPACE};
use metro_portal::notifications::unsubscribe::{self, Scope};
use metro_portal::schema::{events, notifications, opportunities, workspaces};
use metro_portal::users::Role;
use serde_json::{json, Value};

use crate::common::*;

const OPP_TITLE: &str = "Joint legal team";
const MEM_WS: &str = "Workspace mem-ws";
const MEM_POST: &str = "Depot merger heads of terms";
const RETURN: &str = "Quarterly return submitted";

/// Which side of the two tenants a reader is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// The lead organisation of the draft; it leaves the members-only workspace.
    Own,
    /// Another organisation: it loses sight of the draft and stays in the workspace.
    Other,
    Platform,
}

struct Reader {
    side: Side,
    user: TestUser,
}

impl Reader {
    fn name(&self) -> String {
        format!("{:?} {}", self.side, self.user.role.as_str())
    }

    /// Drafts are for their lead organisation alone, platform admins included.
    fn loses_draft(&self) -> bool {
        self.side != Side::Own
    }

    fn loses_workspace(&self) -> bool {
        self.side == Side::Own
    }
}

/// Every role of both organisations, and a platform admin.
fn readers(t: &Tenants) -> Vec<Reader> {
    let mut out = vec![Reader {
        side: Side::Platform,
        user: t.platform.clone(),
    }];
    for role in [Role::OrgAdmin, Role::Leader, Role::Staff, Role::Partner] {
        out.push(Reader {
            side: Side::Own,
            user: t.own(role).clone(),
        });
        out.push(Reader {
            side: Side::Other,
            user: t.other(role).clone(),
        });
    }
    out
}

/// The two tenants, their workspaces and opportunities, and the people who act on them
/// (kept apart from the readers, who are never told of their own doings).
struct Scene {
    t: Tenants,
    o: Opportunities,
    reference: String,
    mem_ws: i64,
    opp_actor: TestUser,
    ws_actor: TestUser,
    return_actor: TestUser,
}

impl Scene {
    async fn new(app: &TestApp) -> Scene {
        let t = app.two_tenants();
        app.workspaces(&t);
        let o = app.opportunities(&t);
        let opp_actor = app.create_user(t.own, Role::Staff);
        let ws_actor = app.create_user(t.other, Role::Staff);
        let return_actor = app.create_user(t.own, Role::Staff);
        app.run_pending_jobs();
        let mut conn = app.db.get().unwrap();
        let reference = opportunities::table
            .find(o.own_opp)
            .select(opportunities::reference)
            .first(&mut *conn)
            .unwrap();
        let mem_ws = workspaces::table
            .filter(workspaces::slug.eq("mem-ws"))
            .select(workspaces::id)
            .first(&mut *conn)
            .unwrap();
        Scene {
            t,
            o,
            reference,
            mem_ws,
            opp_actor,
            ws_actor,
            return_actor,
        }
    }

    /// What must not reach `r` once the draft and the workspace are out of their sight.
    fn secrets(&self, r: &Reader) -> Vec<String> {
        let mut out = vec![];
        if r.loses_draft() {
            out.extend([
                OPP_TITLE.to_string(),
                self.reference.clone(),
                self.opp_actor.name.clone(),
                "Our draft idea".to_string(),
            ]);
        }
        if r.loses_workspace() {
            out.extend([
                MEM_WS.to_string(),
                MEM_POST.to_string(),
                self.ws_actor.name.clone(),
            ]);
        }
        if r.side != Side::Other {
            out.push(self.o.other_draft_title.clone());
        }
        out
    }

    /// Whether `r` may no longer see an event about this target.
    fn hides(&self, r: &Reader, kind: &str, target: &str, workspace: Option<i64>) -> bool {
        let draft = kind == "opportunity" && target == self.o.own_opp.to_string();
        let left = kind != "opportunity" && workspace == Some(self.mem_ws);
        (r.loses_draft() && draft) || (r.loses_workspace() && left)
    }

    /// What `r` should be shown: (notifications, unread), from the tables, leaving out
    /// what is hidden from them once `hidden`.
    fn expected(&self, app: &TestApp, r: &Reader, hidden: bool) -> (i64, i64) {
        let mut conn = app.db.get().unwrap();
        let rows: Vec<(Option<chrono::NaiveDateTime>, String, String, Option<i64>)> =
            notifications::table
                .inner_join(events::table)
                .filter(notifications::user_id.eq(r.user.id))
                .select((
                    notifications::read_at,
                    events::target_kind,
                    events::target_id,
                    events::workspace_id,
                ))
                .load(&mut *conn)
                .unwrap();
        let shown: Vec<_> = rows
            .into_iter()
            .filter(|(_, kind, target, ws)| !(hidden && self.hides(r, kind, target, *ws)))
            .collect();
        let unread = shown.iter().filter(|(read, ..)| read.is_none()).count();
        (shown.len() as i64, unread as i64)
    }
}

/// The partnership opportunity becomes a draft of its lead organisation.
fn make_draft(app: &TestApp, s: &Scene) {
    app.make_draft(s.t.own(Role::Staff), s.o.own_opp, OPP_TITLE);
}

/// The lead organisation of the draft leaves the members-only workspace.
fn leave_mem_ws(app: &TestApp, s: &Scene) {
    app.remove_member(&s.t.platform, "mem-ws", s.t.own);
}

/// A return for pub-ws (a public workspace) in an open review.
fn submit_return(app: &TestApp, s: &Scene) {
    use metro_portal::reviews::service::{open, submit, OpenInput, SubmissionInput};
    let leader = app.caller(s.t.own(Role::Leader));
    let quarter = OpenInput {
        quarter: "2026/27 Q1".into(),
        deadline: "2027-01-15".into(),
    };
    let review = {
        let mut conn = app.db.get().unwrap();
        open(&mut conn, &actor(&leader), &quarter).unwrap().id
    };
    let input = SubmissionInput {
        overall_rag: "amber".into(),
        commentary: "On track".into(),
        ..SubmissionInput::default()
    };
    app.in_workspace(&s.return_actor, "pub-ws", |conn, a, access| {
        submit(conn, a, review, access, &input)
    });
}

async fn api_json(app: &TestApp, token: &str, path: &str) -> (u16, String, Value) {
    let res = app.api_get(token, path).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, text, value)
}

async fn follows(app: &TestApp, token: &str, body: Value) -> i64 {
    let res = app
        .api()
        .post(app.url("/api/v1/subscriptions"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success(),
        "follow answered {}",
        res.status()
    );
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// The unread count in the page header; 0 when it is not shown.
fn badge(html: &str) -> i64 {
    let marker = "class=\"nav-count\">";
    html.find(marker)
        .map(|i| &html[i + marker.len()..])
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Notes each secret `body` gives away.
fn leaks(failures: &mut Vec<String>, who: &str, place: &str, body: &str, secrets: &[String]) {
    for secret in secrets {
        if body.contains(secret.as_str()) {
            failures.push(format!("{who} {place}: shows {secret:?}"));
        }
    }
}

fn check(failures: &mut Vec<String>, ok: bool, what: String) {
    if !ok {
        failures.push(what);
    }
}

fn finish(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "shown past what the reader may see:\n{}",
        failures.join("\n")
    );
}

/// What one reader follows and can be signed in with.
struct Following {
    token: String,
    browser: Browser,
    opportunity: i64,
    workspace: i64,
    theme: i64,
}

async fn follow_all(app: &TestApp, r: &Reader, s: &Scene) -> Following {
    let token = app.token(&r.user).await;
    let inbox = |body: Value| {
        let mut body = body;
        body["delivery"] = json!("inbox");
        body
    };
    let opportunity = follows(
        app,
        &token,
        inbox(json!({ "target": "opportunity", "opportunity": s.o.own_opp.to_string() })),
    )
    .await;
    let workspace = follows(
        app,
        &token,
        inbox(json!({ "target": "workspace", "workspace": "mem-ws" })),
    )
    .await;
    let theme = follows(
        app,
        &token,
        inbox(json!({ "target": "register", "theme": "mem-ws" })),
    )
    .await;
    Following {
        browser: app.signed_in(&r.user).await,
        token,
        opportunity,
        workspace,
        theme,
    }
}

/// Marks read the reader's first notification of a comment, so unread and total differ.
async fn read_first_comment(app: &TestApp, r: &Reader, f: &Following) {
    let id: i64 = {
        let mut conn = app.db.get().unwrap();
        notifications::table
            .inner_join(events::table)
            .filter(notifications::user_id.eq(r.user.id))
            .filter(events::kind.eq("opportunity.commented"))
            .order(notifications::id.asc())
            .select(notifications::id)
            .first(&mut *conn)
            .unwrap()
    };
    let res = app
        .api()
        .post(app.url(&format!("/api/v1/notifications/{id}/read")))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// The words a reader should now see for what they follow.
fn labels(r: &Reader, s: &Scene) -> (String, String) {
    let opportunity = if r.loses_draft() {
        UNSEEN_OPPORTUNITY.to_string()
    } else {
        format!("{} {OPP_TITLE}", s.reference)
    };
    let workspace = if r.loses_workspace() {
        UNSEEN_WORKSPACE.to_string()
    } else {
        MEM_WS.to_string()
    };
    (opportunity, workspace)
}

async fn check_subscriptions(
    app: &TestApp,
    r: &Reader,
    s: &Scene,
    f: &Following,
    failures: &mut Vec<String>,
) {
    let who = r.name();
    let secrets = s.secrets(r);
    let (opportunity, workspace) = labels(r, s);
    let theme = format!("the opportunity register (theme: {workspace})");
    let (status, html) = f.browser.get_html("/settings/subscriptions").await;
    check(failures, status == 200, format!("{who} settings: {status}"));
    for label in [&opportunity, &workspace, &theme] {
        check(
            failures,
            html.contains(label.as_str()),
            format!("{who} settings: no {label:?}"),
        );
    }
    leaks(failures, &who, "settings page", &html, &secrets);

    let (_, text, list) = api_json(app, &f.token, "/api/v1/subscriptions?per_page=100").await;
    leaks(failures, &who, "GET /api/v1/subscriptions", &text, &secrets);
    for (id, label) in [
        (f.opportunity, &opportunity),
        (f.workspace, &workspace),
        (f.theme, &theme),
    ] {
        let item = list["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"] == id))
            .cloned()
            .unwrap_or(Value::Null);
        check(
            failures,
            item["description"] == label.as_str()
                && item["reason"] == format!("because you follow {label}").as_str(),
            format!("{who} subscription {id}: {item}"),
        );
    }

    let keys = app.worker().ctx.keys.clone();
    for (id, label) in [(f.opportunity, &opportunity), (f.workspace, &workspace)] {
        let link = unsubscribe::url(&app.address, &keys, r.user.id, Scope::Subscription(id));
        let (status, html) = app.browser().get_html(&link[app.address.len()..]).await;
        check(
            failures,
            status == 200 && html.contains(&format!("Emails about {label}")),
            format!("{who} unsubscribe page for {id}: {status}"),
        );
        leaks(failures, &who, "unsubscribe page", &html, &secrets);
    }
}

async fn check_inbox(
    app: &TestApp,
    r: &Reader,
    s: &Scene,
    f: &Following,
    failures: &mut Vec<String>,
) {
    let who = r.name();
    let secrets = s.secrets(r);
    let (total, unread) = s.expected(app, r, true);
    let (_, text, inbox) = api_json(app, &f.token, "/api/v1/notifications?per_page=100").await;
    leaks(failures, &who, "GET /api/v1/notifications", &text, &secrets);
    let items = inbox["items"].as_array().cloned().unwrap_or_default();
    let unread_items = items.iter().filter(|i| i["read"] == false).count() as i64;
    check(
        failures,
        inbox["total"] == total
            && inbox["unread"] == unread
            && items.len() as i64 == total
            && unread_items == unread,
        format!(
            "{who} API inbox: expected {total} ({unread} unread), got total {} unread {} with {} items ({unread_items} unread)",
            inbox["total"], inbox["unread"], items.len()
        ),
    );
    let (_, _, only_unread) = api_json(
        app,
        &f.token,
        "/api/v1/notifications?unread=true&per_page=100",
    )
    .await;
    check(
        failures,
        only_unread["total"] == unread
            && only_unread["items"].as_array().map(Vec::len) == Some(unread as usize),
        format!(
            "{who} API unread inbox: expected {unread}, got {}",
            only_unread["total"]
        ),
    );
    // One a page: every page up to the total has its item, and none after it.
    for n in 1..=total + 1 {
        let path = format!("/api/v1/notifications?per_page=1&page={n}");
        let (_, _, one) = api_json(app, &f.token, &path).await;
        let len = one["items"].as_array().map_or(0, Vec::len);
        check(
            failures,
            len == usize::from(n <= total) && one["total"] == total,
            format!("{who} {path}: {len} items, total {}", one["total"]),
        );
    }

    let (_, html) = f.browser.get_html("/notifications").await;
    leaks(failures, &who, "/notifications", &html, &secrets);
    let listed = html.matches("class=\"inbox__item").count() as i64;
    let said = if unread > 0 {
        format!("You have {unread} unread.")
    } else {
        "You are up to date.".to_string()
    };
    check(
        failures,
        listed == total && html.contains(&said) && badge(&html) == unread,
        format!(
            "{who} /notifications: {listed} listed, badge {}, expected {total} and {unread} unread",
            badge(&html)
        ),
    );
    let (_, home) = f.browser.get_html("/").await;
    check(
        failures,
        badge(&home) == unread,
        format!("{who} badge on /: {} for {unread}", badge(&home)),
    );
}

#[tokio::test]
async fn what_people_follow_and_their_inboxes_show_only_what_they_may_see_now() {
    let app = spawn_app_with_queue(|_| {}).await;
    let s = Scene::new(&app).await;
    let readers = readers(&s.t);
    let mut following = Vec::new();
    for r in &readers {
        following.push(follow_all(&app, r, &s).await);
    }
    app.comment_on(
        &s.opp_actor,
        s.o.own_opp,
        "Terms agreed with both legal teams",
    );
    app.comment_on(&s.opp_actor, s.o.own_opp, "Budget line confirmed");
    app.post_update(&s.ws_actor, "mem-ws", MEM_POST);
    app.run_pending_jobs();
    let mut failures = Vec::new();
    for (r, f) in readers.iter().zip(&following) {
        read_first_comment(&app, r, f).await;
        // Before: everything is in sight, so the checks below can tell a leak.
        let (_, text, inbox) = api_json(&app, &f.token, "/api/v1/notifications?per_page=100").await;
        let (total, unread) = s.expected(&app, r, false);
        check(
            &mut failures,
            inbox["total"] == total && inbox["unread"] == unread,
            format!("{} before: {} of {total}", r.name(), inbox["total"]),
        );
        check(
            &mut failures,
            text.contains(OPP_TITLE) && text.contains(MEM_POST),
            format!("{} before: the inbox lacks what it follows", r.name()),
        );
        let (_, home) = f.browser.get_html("/").await;
        check(
            &mut failures,
            badge(&home) == unread,
            format!("{} before: badge {} for {unread}", r.name(), badge(&home)),
        );
    }

    make_draft(&app, &s);
    leave_mem_ws(&app, &s);
    app.run_pending_jobs();
    for (r, f) in readers.iter().zip(&following) {
        check_subscriptions(&app, r, &s, f, &mut failures).await;
        check_inbox(&app, r, &s, f, &mut failures).await;
    }
    finish(failures);
}

const FEEDS: [&str; 5] = [
    "/workspaces/pub-ws/feed.atom",
    "/workspaces/mem-ws/feed.atom",
    "/workspaces/obs-ws/feed.atom",
    "/workspaces/other-ws/feed.atom",
    "/opportunities/feed.atom",
];

/// A feed reader: signed out, or a person's feed key (and their browser, to open links).
struct FeedReader {
    who: String,
    key: Option<String>,
    browser: Browser,
    secrets: Vec<String>,
}

async fn feed_readers(app: &TestApp, s: &Scene) -> Vec<FeedReader> {
    let mut out = vec![FeedReader {
        who: "Anonymous".into(),
        key: None,
        browser: app.browser(),
        // Signed out, nothing hidden from anyone shows, nor a return and who made it.
        secrets: readers(&s.t)
            .iter()
            .flat_map(|r| s.secrets(r))
            .chain([RETURN.to_string(), s.return_actor.name.clone()])
            .collect(),
    }];
    for r in readers(&s.t) {
        let browser = app.signed_in(&r.user).await;
        out.push(FeedReader {
            who: r.name(),
            key: Some(browser.feed_key().await),
            secrets: s.secrets(&r),
            browser,
        });
    }
    out
}

/// Every entry of `feed` must open for the reader it was written for.
async fn check_entries(reader: &FeedReader, path: &str, body: &str, failures: &mut Vec<String>) {
    let feed: atom_syndication::Feed = match body.parse() {
        Ok(feed) => feed,
        Err(e) => return failures.push(format!("{} {path}: not Atom: {e}", reader.who)),
    };
    for entry in feed.entries() {
        for link in entry.links() {
            let res = reader.browser.client.get(link.href()).send().await.unwrap();
            let status = res.status().as_u16();
            check(
                failures,
                status == 200,
                format!(
                    "{} {path}: {:?} links to {}, which answers {status}",
                    reader.who,
                    entry.title().as_str(),
                    link.href()
                ),
            );
        }
    }
}

#[tokio::test]
async fn feeds_list_only_entries_their_reader_can_open() {
    let app = spawn_app_with_queue(|_| {}).await;
    let s = Scene::new(&app).await;
    submit_return(&app, &s);
    app.comment_on(
        &s.opp_actor,
        s.o.own_opp,
        "Terms agreed with both legal teams",
    );
    app.post_update(&s.ws_actor, "mem-ws", MEM_POST);
    make_draft(&app, &s);
    leave_mem_ws(&app, &s);
    let mut failures = Vec::new();
    for reader in feed_readers(&app, &s).await {
        for path in FEEDS {
            let url = match &reader.key {
                Some(key) => app.url(&format!("{path}?token={key}")),
                None => app.url(path),
            };
            let res = app.api().get(url).send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            // A workspace's feed answers as its page does for the same reader.
            if let Some(page) = path
                .strip_suffix("/feed.atom")
                .filter(|p| p.starts_with("/workspaces"))
            {
                let (page_status, page_body) = reader.browser.get_html(page).await;
                // Its page's recent activity keeps the same rule as the feed.
                leaks(
                    &mut failures,
                    &reader.who,
                    page,
                    &page_body,
                    &reader.secrets,
                );
                check(
                    &mut failures,
                    status == page_status,
                    format!("{} {path}: {status}, its page {page_status}", reader.who),
                );
            }
            leaks(&mut failures, &reader.who, path, &body, &reader.secrets);
            if status == 200 {
                check_entries(&reader, path, &body, &mut failures).await;
            }
            // Those who may open the return see it: the check above has something to pass.
            if reader.key.is_some() && path == FEEDS[0] {
                check(
                    &mut failures,
                    body.contains(RETURN),
                    format!("{} {path}: no return for a signed-in reader", reader.who),
                );
            }
        }
    }
    finish(failures);
}

/// An import through the API: its status and the answer's exact bytes.
async fn import(app: &TestApp, token: &str, csv: String, dry_run: bool) -> (u16, String) {
    let path = if dry_run {
        "/api/v1/opportunities/import?dry_run=true"
    } else {
        "/api/v1/opportunities/import"
    };
    let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("register.csv");
    let res = app
        .api()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn row(reference: &str, title: &str, theme: &str) -> String {
    format!("reference,title,summary,service_area,type,theme\n{reference},{title},One team,waste,shared_service,{theme}\n")
}

fn reference_of(app: &TestApp, id: i64) -> String {
    let mut conn = app.db.get().unwrap();
    opportunities::table
        .find(id)
        .select(opportunities::reference)
        .first(&mut *conn)
        .unwrap()
}

const FREE: &str = "OPP-0999";

#[tokio::test]
async fn an_import_answers_what_is_not_yours_as_what_does_not_exist() {
    let app = spawn_app_with_queue(|_| {}).await;
    let s = Scene::new(&app).await;
    leave_mem_ws(&app, &s);
    let mut failures = Vec::new();
    for r in readers(&s.t) {
        let token = app.token(&r.user).await;
        // Another organisation's draft and partnership opportunity, by reference.
        let theirs = match r.side {
            Side::Own => [s.o.other_draft, s.o.other_opp],
            _ => [s.o.own_draft, s.o.own_opp],
        };
        let free = import(&app, &token, row(FREE, "Shared pest control", ""), true).await;
        for id in theirs {
            let held = reference_of(&app, id);
            let answer = import(&app, &token, row(&held, "Shared pest control", ""), true).await;
            check(
                &mut failures,
                (answer.0, answer.1.replace(&held, FREE)) == free,
                format!(
                    "{} dry run with {held}: {answer:?}, with a free one: {free:?}",
                    r.name()
                ),
            );
        }
        // A members-only workspace the reader is not in, as a theme.
        if r.side == Side::Own {
            let none = import(
                &app,
                &token,
                row("", "Shared pest control", "no-such-ws"),
                true,
            )
            .await;
            for slug in ["other-ws", "mem-ws"] {
                let answer = import(&app, &token, row("", "Shared pest control", slug), true).await;
                check(
                    &mut failures,
                    (answer.0, answer.1.replace(slug, "no-such-ws")) == none,
                    format!(
                        "{} theme {slug}: {answer:?}, a missing one: {none:?}",
                        r.name()
                    ),
                );
            }
        }
    }
    // Written: a reference held elsewhere makes a new opportunity with the next reference,
    // as a free one does, and importing it again updates it.
    for (uploader, held, held_title) in [
        (
            s.t.own(Role::Staff),
            s.o.other_draft,
            s.o.other_draft_title.as_str(),
        ),
        (s.t.other(Role::Staff), s.o.own_draft, "Our draft idea"),
    ] {
        let token = app.token(uploader).await;
        let held_ref = reference_of(&app, held);
        for (reference, title) in [
            (held_ref.as_str(), "Shared grounds team"),
            (FREE, "Shared fleet garage"),
        ] {
            let file = row(reference, title, "");
            let (status, body) = import(&app, &token, file.clone(), false).await;
            let report: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            check(
                &mut failures,
                status == 200 && report["counts"]["create"] == 1,
                format!(
                    "import of {reference} by {}: {status} {body}",
                    uploader.email
                ),
            );
            let (status, body) = import(&app, &token, file, false).await;
            let again: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            check(
                &mut failures,
                status == 200
                    && again["counts"]["unchanged"] == 1
                    && again["counts"]["create"] == 0,
                format!("import again of {reference}: {status} {body}"),
            );
            let mut conn = app.db.get().unwrap();
            let given: Vec<String> = opportunities::table
                .filter(opportunities::title.eq(title))
                .filter(opportunities::lead_organisation_id.eq(uploader.organisation_id))
                .select(opportunities::reference)
                .load(&mut *conn)
                .unwrap();
            check(
                &mut failures,
                given.len() == 1 && given[0] != reference,
                format!(
                    "{title} by {}: references {given:?}, asked for {reference}",
                    uploader.email
                ),
            );
        }
        let mut conn = app.db.get().unwrap();
        let kept: (String, String) = opportunities::table
            .find(held)
            .select((opportunities::reference, opportunities::title))
            .first(&mut *conn)
            .unwrap();
        check(
            &mut failures,
            kept == (held_ref.clone(), held_title.to_string()),
            format!("{held_ref} {held_title} became {kept:?}"),
        );
    }
    finish(failures);
}
