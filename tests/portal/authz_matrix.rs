//! The authorisation matrix: every route × every role × own and other organisation.
//! Later features add rows. Each row says what each caller gets; for reads it also checks
//! that nothing of the other organisation's people leaks into the answer.

use std::collections::HashMap;

use crate::common::{spawn_app, Browser, Tenants, TestApp};
use metro_portal::users::Role;
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Platform,
    OrgAdmin,
    Leader,
    Staff,
    Partner,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::Platform,
    Who::OrgAdmin,
    Who::Leader,
    Who::Staff,
    Who::Partner,
];

#[derive(Clone, Copy)]
enum Kind {
    Page,
    Form,
    ApiGet,
    ApiPost,
}

struct Row {
    kind: Kind,
    /// `{own}`, `{other}`, `{own_target}`, `{other_target}` and `{n}` are filled in.
    path: &'static str,
    /// Form fields or a JSON body, with the same placeholders.
    body: &'static [(&'static str, &'static str)],
    expect: fn(Who) -> u16,
}

fn rows() -> Vec<Row> {
    use Kind::*;
    use Who::*;
    vec![
        Row {
            kind: Page,
            path: "/",
            body: &[],
            expect: |_| 200,
        },
        Row {
            kind: Page,
            path: "/accessibility",
            body: &[],
            expect: |_| 200,
        },
        Row {
            kind: Page,
            path: "/login",
            body: &[],
            expect: |w| if w == Anonymous { 200 } else { 303 },
        },
        Row {
            kind: Page,
            path: "/account",
            body: &[],
            expect: |w| if w == Anonymous { 303 } else { 200 },
        },
        Row {
            kind: Page,
            path: "/admin",
            body: &[],
            expect: |w| match w {
                Anonymous | OrgAdmin => 303,
                Platform => 200,
                _ => 404,
            },
        },
        Row {
            kind: Page,
            path: "/admin/organisations",
            body: &[],
            expect: |w| match w {
                Anonymous => 303,
                Platform => 200,
                _ => 404,
            },
        },
        Row {
            kind: Page,
            path: "/admin/organisations/{own}/users",
            body: &[],
            expect: |w| match w {
                Anonymous => 303,
                Platform | OrgAdmin => 200,
                _ => 404,
            },
        },
        Row {
            kind: Page,
            path: "/admin/organisations/{other}/users",
            body: &[],
            expect: |w| match w {
                Anonymous => 303,
                Platform => 200,
                _ => 404,
            },
        },
        Row {
            kind: Page,
            path: "/admin/organisations/999999/users",
            body: &[],
            expect: |w| if w == Anonymous { 303 } else { 404 },
        },
        Row {
            kind: Form,
            path: "/admin/organisations",
            body: &[
                ("name", "New body {n}"),
                ("slug", "new-body-{n}"),
                ("kind", "other"),
            ],
            expect: |w| match w {
                Anonymous | Platform => 303,
                _ => 404,
            },
        },
        Row {
            kind: Form,
            path: "/admin/organisations/{own}/invitations",
            body: &[("email", "invitee-{n}@own.test"), ("role", "staff")],
            expect: |w| match w {
                Anonymous | Platform | OrgAdmin => 303,
                _ => 404,
            },
        },
        Row {
            kind: Form,
            path: "/admin/organisations/{other}/invitations",
            body: &[("email", "invitee-{n}@other.test"), ("role", "staff")],
            expect: |w| match w {
                Anonymous | Platform => 303,
                _ => 404,
            },
        },
        Row {
            kind: Form,
            path: "/admin/users/{own_target}/enable",
            body: &[],
            expect: |w| match w {
                Anonymous | Platform | OrgAdmin => 303,
                _ => 404,
            },
        },
        Row {
            kind: Form,
            path: "/admin/users/{other_target}/enable",
            body: &[],
            expect: |w| match w {
                Anonymous | Platform => 303,
                _ => 404,
            },
        },
        Row {
            kind: ApiGet,
            path: "/api/v1/me",
            body: &[],
            expect: |w| if w == Anonymous { 401 } else { 200 },
        },
        Row {
            kind: ApiGet,
            path: "/api/v1/organisations",
            body: &[],
            expect: |w| if w == Anonymous { 401 } else { 200 },
        },
        Row {
            kind: ApiGet,
            path: "/api/v1/organisations/{own}/users",
            body: &[],
            expect: |w| match w {
                Anonymous => 401,
                Platform | OrgAdmin => 200,
                _ => 404,
            },
        },
        Row {
            kind: ApiGet,
            path: "/api/v1/organisations/{other}/users",
            body: &[],
            expect: |w| match w {
                Anonymous => 401,
                Platform => 200,
                _ => 404,
            },
        },
        Row {
            kind: ApiPost,
            path: "/api/v1/organisations",
            body: &[
                ("name", "Api body {n}"),
                ("slug", "api-body-{n}"),
                ("kind", "nhs"),
            ],
            expect: |w| match w {
                Anonymous => 401,
                Platform => 201,
                _ => 404,
            },
        },
        Row {
            kind: ApiPost,
            path: "/api/v1/organisations/{own}/invitations",
            body: &[("email", "api-{n}@own.test"), ("role", "partner")],
            expect: |w| match w {
                Anonymous => 401,
                Platform | OrgAdmin => 201,
                _ => 404,
            },
        },
        Row {
            kind: ApiPost,
            path: "/api/v1/organisations/{other}/invitations",
            body: &[("email", "api-{n}@other.test"), ("role", "partner")],
            expect: |w| match w {
                Anonymous => 401,
                Platform => 201,
                _ => 404,
            },
        },
    ]
}

struct Callers {
    browsers: HashMap<Who, Browser>,
    tokens: HashMap<Who, String>,
}

async fn callers(app: &TestApp, t: &Tenants) -> Callers {
    let mut browsers = HashMap::new();
    let mut tokens = HashMap::new();
    browsers.insert(Who::Anonymous, app.browser());
    for who in &EVERYONE[1..] {
        let user = match who {
            Who::Platform => &t.platform,
            Who::OrgAdmin => t.own(Role::OrgAdmin),
            Who::Leader => t.own(Role::Leader),
            Who::Staff => t.own(Role::Staff),
            Who::Partner => t.own(Role::Partner),
            Who::Anonymous => unreachable!(),
        };
        browsers.insert(*who, app.signed_in(user).await);
        tokens.insert(*who, app.token(user).await);
    }
    Callers { browsers, tokens }
}

#[tokio::test]
async fn every_route_answers_each_role_as_it_should_and_leaks_nothing() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    let own_target = app.create_user(t.own, Role::Staff);
    let other_target = app.create_user(t.other, Role::Staff);
    let callers = callers(&app, &t).await;
    // Nothing of the other organisation's people may show.
    let mut secrets: Vec<String> = t.other_users.iter().map(|u| u.email.clone()).collect();
    secrets.push(other_target.email.clone());
    let mut n = 0;
    let mut failures = Vec::new();

    for row in rows() {
        for who in EVERYONE {
            n += 1;
            let fill = |s: &str| {
                s.replace("{own}", &t.own.to_string())
                    .replace("{other}", &t.other.to_string())
                    .replace("{own_target}", &own_target.id.to_string())
                    .replace("{other_target}", &other_target.id.to_string())
                    .replace("{n}", &n.to_string())
            };
            let path = fill(row.path);
            let fields: Vec<(String, String)> = row
                .body
                .iter()
                .map(|(k, v)| (k.to_string(), fill(v)))
                .collect();
            let field_refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let events_before = app.count("events");
            let res = match row.kind {
                Kind::Page => callers.browsers[&who].get(&path).await,
                Kind::Form => callers.browsers[&who].post(&path, &field_refs).await,
                Kind::ApiGet | Kind::ApiPost => {
                    let mut req = match row.kind {
                        Kind::ApiGet => app.api().get(app.url(&path)),
                        _ => {
                            let body: serde_json::Map<String, serde_json::Value> =
                                fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                            app.api().post(app.url(&path)).json(&body)
                        }
                    };
                    if let Some(token) = callers.tokens.get(&who) {
                        req = req.bearer_auth(token);
                    }
                    req.send().await.unwrap()
                }
            };
            let status = res.status().as_u16();
            let expected = (row.expect)(who);
            if status != expected {
                failures.push(format!("{who:?} {path}: expected {expected}, got {status}"));
            }
            let goes_to = crate::common::location(&res);
            let mutation = matches!(row.kind, Kind::Form | Kind::ApiPost);
            if who == Who::Anonymous && status == 303 && mutation && !goes_to.starts_with("/login")
            {
                failures.push(format!(
                    "Anonymous {path}: sent to {goes_to}, not to sign in"
                ));
            }
            // Every change writes an event; a refused one must write none.
            let refused = status >= 400 || (who == Who::Anonymous && mutation);
            if mutation && refused && app.count("events") != events_before {
                failures.push(format!(
                    "{who:?} {path}: refused ({status}) but something changed"
                ));
            }
            let body = res.text().await.unwrap();
            let may_see_other = who == Who::Platform;
            if !may_see_other {
                for secret in &secrets {
                    if body.contains(secret.as_str()) {
                        failures.push(format!("{who:?} {path}: response contains {secret}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorisation matrix failures:\n{}",
        failures.join("\n")
    );
}
