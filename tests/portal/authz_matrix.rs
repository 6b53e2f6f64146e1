//! The authorisation matrix: every route × every role × own and other organisation.
//! Later features add rows. Each row says what each caller gets; a refused change must
//! change nothing, and no answer may carry the other organisation's private data.

use std::collections::HashMap;

use crate::common::{location, spawn_app, Browser, Tenants, TestApp};
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
use Who::*;

const EVERYONE: [Who; 6] = [Anonymous, Platform, OrgAdmin, Leader, Staff, Partner];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Page,
    Form,
    Get,
    Post,
    Patch,
    Delete,
    /// A multipart upload to the API; the body's first pair is the file name and contents.
    Upload,
}

type Expect = fn(Who) -> u16;

struct Row {
    kind: Kind,
    /// Placeholders such as `{own}`, `{post}` and `{n}` are filled in per request.
    path: &'static str,
    body: &'static [(&'static str, &'static str)],
    expect: Expect,
    prepare: Prepare,
}

/// Something to put back before each request, so every caller meets the same state.
#[derive(Clone, Copy, PartialEq)]
enum Prepare {
    Nothing,
    /// The other organisation is an observer of pub-ws (for removals).
    OtherObservesPubWs,
    /// own_opp is back at "idea" (for moves).
    OwnOpportunityIsAnIdea,
    /// own has registered interest in other_opp (for withdrawals).
    OwnInterestInOtherOpp,
    /// The request ends the caller's session or token: sign in again after it.
    SignInAgainAfter,
    /// The archived workspace is archived again (for restores).
    ArchWsIsArchived,
}

fn row(
    kind: Kind,
    path: &'static str,
    body: &'static [(&'static str, &'static str)],
    expect: Expect,
) -> Row {
    Row {
        kind,
        path,
        body,
        expect,
        prepare: Prepare::Nothing,
    }
}
fn page(path: &'static str, expect: Expect) -> Row {
    row(Kind::Page, path, &[], expect)
}
fn form(path: &'static str, body: &'static [(&'static str, &'static str)], expect: Expect) -> Row {
    row(Kind::Form, path, body, expect)
}
fn get(path: &'static str, expect: Expect) -> Row {
    row(Kind::Get, path, &[], expect)
}

// Common answers.
fn ok_all(_: Who) -> u16 {
    200
}
fn signed_in_page(w: Who) -> u16 {
    if w == Anonymous {
        303
    } else {
        200
    }
}
fn form_anyone_signed_in(_: Who) -> u16 {
    303
}
fn platform_only_page(w: Who) -> u16 {
    match w {
        Anonymous => 303,
        Platform => 200,
        _ => 404,
    }
}
fn platform_only_form(w: Who) -> u16 {
    match w {
        Anonymous | Platform => 303,
        _ => 404,
    }
}
fn platform_edits_visible(w: Who) -> u16 {
    match w {
        Anonymous | Platform => 303,
        _ => 403,
    }
}
/// A page or form whose thing no signed-in caller here may see.
fn login_then_invisible(w: Who) -> u16 {
    if w == Anonymous {
        303
    } else {
        404
    }
}
/// An API read anyone with a token may make.
fn token_then_ok(w: Who) -> u16 {
    if w == Anonymous {
        401
    } else {
        200
    }
}
/// An API creation anyone with a token may make.
fn token_then_created(w: Who) -> u16 {
    if w == Anonymous {
        401
    } else {
        201
    }
}
/// An API call on something no caller here may see.
fn token_then_invisible(w: Who) -> u16 {
    if w == Anonymous {
        401
    } else {
        404
    }
}
/// Visible to anyone signed in, invisible (404) when signed out.
fn invisible_to_anonymous(w: Who) -> u16 {
    if w == Anonymous {
        404
    } else {
        200
    }
}
/// A form every signed-in caller is refused (403).
fn login_then_refused(w: Who) -> u16 {
    if w == Anonymous {
        303
    } else {
        403
    }
}
fn only_platform_sees(w: Who) -> u16 {
    if w == Platform {
        200
    } else {
        404
    }
}

const ACTION: &[(&str, &str)] = &[
    ("title", "Action {n}"),
    ("owner_organisation_id", "{own}"),
    ("status", "in_progress"),
    ("progress", "50"),
    ("rag", "amber"),
    ("rag_reason", "Waiting on a decision"),
    ("due_date", "2027-03-31"),
];
const OTHER_ACTION: &[(&str, &str)] = &[
    ("title", "Theirs {n}"),
    ("owner_organisation_id", "{other}"),
    ("status", "in_progress"),
    ("progress", "50"),
    ("rag", "green"),
];
const MEASURE: &[(&str, &str)] = &[
    ("outcome_id", "{outcome}"),
    ("name", "Measure {n}"),
    ("unit", "%"),
    ("direction", "higher"),
    ("baseline", "10"),
    ("target", "20"),
    ("target_date", "2028-03-31"),
];
const WORKSPACE: &[(&str, &str)] = &[
    ("name", "Workspace {n}"),
    ("slug", "ws-{n}"),
    ("summary", "What it is for"),
    ("kind", "programme"),
    ("visibility", "partners"),
];

fn rows() -> Vec<Row> {
    use Kind::*;
    let mut rows = vec![
        // Foundation pages
        page("/", ok_all),
        page("/accessibility", ok_all),
        page("/login", |w| if w == Anonymous { 200 } else { 303 }),
        page("/account", signed_in_page),
        page("/logout", |w| if w == Anonymous { 303 } else { 200 }),
        page("/password-reset", ok_all),
        page("/password-reset/not-a-real-token", |_| 400),
        page("/invitations/not-a-real-token", |_| 400),
        page("/admin", |w| match w {
            Anonymous | OrgAdmin => 303,
            Platform => 200,
            _ => 404,
        }),
        page("/admin/organisations", platform_only_page),
        page("/admin/organisations/{own}/users", |w| match w {
            Anonymous => 303,
            Platform | OrgAdmin => 200,
            _ => 404,
        }),
        page("/admin/organisations/{other}/users", platform_only_page),
        page("/admin/organisations/999999/users", login_then_invisible),
        form(
            "/admin/organisations",
            &[
                ("name", "New body {n}"),
                ("slug", "new-body-{n}"),
                ("kind", "other"),
            ],
            platform_only_form,
        ),
        form(
            "/admin/organisations/{own}/invitations",
            &[("email", "invitee-{n}@own.test"), ("role", "staff")],
            |w| match w {
                Anonymous | Platform | OrgAdmin => 303,
                _ => 404,
            },
        ),
        form(
            "/admin/organisations/{other}/invitations",
            &[("email", "invitee-{n}@other.test"), ("role", "staff")],
            platform_only_form,
        ),
        form("/admin/users/{own_target}/enable", &[], |w| match w {
            Anonymous | Platform | OrgAdmin => 303,
            _ => 404,
        }),
        form(
            "/admin/users/{other_target}/enable",
            &[],
            platform_only_form,
        ),
        form(
            "/admin/users/{other_target}/disable",
            &[],
            platform_only_form,
        ),
        get("/api/v1/me", token_then_ok),
        get("/api/v1/organisations", token_then_ok),
        get("/api/v1/organisations/{own}/users", |w| match w {
            Anonymous => 401,
            Platform | OrgAdmin => 200,
            _ => 404,
        }),
        get("/api/v1/organisations/{other}/users", |w| match w {
            Anonymous => 401,
            Platform => 200,
            _ => 404,
        }),
        row(
            Post,
            "/api/v1/organisations",
            &[
                ("name", "Api body {n}"),
                ("slug", "api-body-{n}"),
                ("kind", "nhs"),
            ],
            |w| match w {
                Anonymous => 401,
                Platform => 201,
                _ => 404,
            },
        ),
        row(
            Post,
            "/api/v1/organisations/{own}/invitations",
            &[("email", "api-{n}@own.test"), ("role", "partner")],
            |w| match w {
                Anonymous => 401,
                Platform | OrgAdmin => 201,
                _ => 404,
            },
        ),
        row(
            Post,
            "/api/v1/organisations/{other}/invitations",
            &[("email", "api-{n}@other.test"), ("role", "partner")],
            |w| match w {
                Anonymous => 401,
                Platform => 201,
                _ => 404,
            },
        ),
    ];

    // Workspace pages: pub-ws is public and led by own; mem-ws has own as member;
    // obs-ws has own as observer; other-ws is the other organisation's alone.
    for path in [
        "/workspaces",
        "/workspaces/pub-ws",
        "/workspaces/pub-ws/updates",
        "/workspaces/pub-ws/updates/{post}",
        "/workspaces/pub-ws/actions",
        "/workspaces/pub-ws/actions?rag=red",
        "/workspaces/pub-ws/actions/{action}",
        "/workspaces/pub-ws/outcomes",
        "/workspaces/pub-ws/measures/{measure}",
        "/workspaces/pub-ws/members",
        "/workspaces/arch-ws",
    ] {
        rows.push(page(path, ok_all));
    }
    rows.extend([
        page("/workspaces/pub-ws/actions?rag=purple", |_| 400),
        page("/workspaces/pub-ws/updates/{obs_post}", |_| 404),
        page("/workspaces/new", platform_only_page),
        page("/workspaces/pub-ws/edit", |w| match w {
            Anonymous => 303,
            Platform => 200,
            _ => 403,
        }),
        page("/workspaces/pub-ws/actions/new", signed_in_page),
        page("/workspaces/pub-ws/measures/new", signed_in_page),
        page("/workspaces/pub-ws/actions/{action}/edit", signed_in_page),
        page("/workspaces/pub-ws/updates/{post}/edit", signed_in_page),
        page("/workspaces/mem-ws", invisible_to_anonymous),
        page("/workspaces/mem-ws/updates/{mem_post}/edit", |w| match w {
            Anonymous => 303,
            Platform | Staff => 200,
            _ => 403,
        }),
        page(
            "/workspaces/mem-ws/actions/{other_action}/edit",
            |w| match w {
                Anonymous => 303,
                Platform => 200,
                _ => 403,
            },
        ),
        page("/workspaces/obs-ws", invisible_to_anonymous),
        page("/workspaces/other-ws", only_platform_sees),
        page("/workspaces/other-ws/updates", only_platform_sees),
        page("/workspaces/other-ws/members", only_platform_sees),
        form("/workspaces", WORKSPACE, platform_only_form),
        form(
            "/workspaces/pub-ws/edit",
            &[
                ("name", "Workspace pub-ws"),
                ("summary", "Edited {n}"),
                ("visibility", "public"),
            ],
            platform_edits_visible,
        ),
        form("/workspaces/arch-ws/archive", &[], platform_edits_visible),
        form(
            "/workspaces/pub-ws/updates",
            &[("title", "Update {n}"), ("body", "Text")],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/mem-ws/updates",
            &[("title", "Update {n}"), ("body", "Text")],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/obs-ws/updates",
            &[("title", "Update {n}"), ("body", "Text")],
            platform_edits_visible,
        ),
        form(
            "/workspaces/obs-ws/updates/{obs_post}/comments",
            &[("body", "Comment {n}")],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/other-ws/updates",
            &[("title", "Update {n}"), ("body", "Text")],
            platform_only_form,
        ),
        form(
            "/workspaces/arch-ws/updates",
            &[("title", "Update {n}"), ("body", "Text")],
            login_then_refused,
        ),
        form(
            "/workspaces/pub-ws/updates/{post}/edit",
            &[("title", "Toton update {n}"), ("body", "Text")],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/mem-ws/updates/{mem_post}/edit",
            &[("title", "Member note {n}"), ("body", "Text")],
            |w| match w {
                Anonymous | Platform | Staff => 303,
                _ => 403,
            },
        ),
        form(
            "/workspaces/pub-ws/members",
            &[("organisation_id", "{other}"), ("role", "observer")],
            |w| if w == Partner { 403 } else { 303 },
        ),
        Row {
            prepare: Prepare::OtherObservesPubWs,
            ..form("/workspaces/pub-ws/members/{other}/remove", &[], |w| {
                if w == Partner {
                    403
                } else {
                    303
                }
            })
        },
        form("/workspaces/pub-ws/actions", ACTION, form_anyone_signed_in),
        form(
            "/workspaces/pub-ws/actions/{action}/edit",
            ACTION,
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/mem-ws/actions/{other_action}/edit",
            OTHER_ACTION,
            platform_edits_visible,
        ),
        form(
            "/workspaces/pub-ws/actions/{action}/milestones",
            &[("title", "Milestone {n}"), ("due_date", "2027-01-31")],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/pub-ws/milestones/{milestone}/done",
            &[],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/pub-ws/outcomes",
            &[("title", "Outcome {n}")],
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/pub-ws/measures",
            MEASURE,
            form_anyone_signed_in,
        ),
        form(
            "/workspaces/pub-ws/measures/{measure}/readings",
            &[("quarter", "2026/27 Q2"), ("value", "{n}")],
            form_anyone_signed_in,
        ),
    ]);

    // Workspace API: public content reads without a token.
    for path in [
        "/api/v1/workspaces",
        "/api/v1/workspaces/pub-ws",
        "/api/v1/workspaces/pub-ws/members",
        "/api/v1/workspaces/pub-ws/posts",
        "/api/v1/workspaces/pub-ws/posts/{post}",
        "/api/v1/workspaces/pub-ws/posts/{post}/comments",
        "/api/v1/workspaces/pub-ws/actions",
        "/api/v1/workspaces/pub-ws/actions/{action}",
        "/api/v1/workspaces/pub-ws/actions/{action}/milestones",
        "/api/v1/workspaces/pub-ws/outcomes",
        "/api/v1/workspaces/pub-ws/measures",
        "/api/v1/workspaces/pub-ws/measures/{measure}",
        "/api/v1/workspaces/pub-ws/measures/{measure}/readings",
    ] {
        rows.push(get(path, ok_all));
    }
    rows.extend([
        get("/api/v1/workspaces/other-ws", only_platform_sees),
        get("/api/v1/workspaces/other-ws/posts", only_platform_sees),
        get("/api/v1/workspaces/mem-ws/actions", invisible_to_anonymous),
        row(Post, "/api/v1/workspaces", WORKSPACE, |w| match w {
            Anonymous => 401,
            Platform => 201,
            _ => 404,
        }),
        row(
            Patch,
            "/api/v1/workspaces/pub-ws",
            &[("summary", "Edited {n}")],
            |w| match w {
                Anonymous => 401,
                Platform => 200,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/posts",
            &[("title", "Api update {n}"), ("body", "Text")],
            token_then_created,
        ),
        row(
            Post,
            "/api/v1/workspaces/obs-ws/posts",
            &[("title", "Api update {n}"), ("body", "Text")],
            |w| match w {
                Anonymous => 401,
                Platform => 201,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/workspaces/other-ws/posts",
            &[("title", "Api update {n}"), ("body", "Text")],
            |w| match w {
                Anonymous => 401,
                Platform => 201,
                _ => 404,
            },
        ),
        row(
            Patch,
            "/api/v1/workspaces/mem-ws/posts/{mem_post}",
            &[("title", "Patched {n}")],
            |w| match w {
                Anonymous => 401,
                Platform | Staff => 200,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/workspaces/obs-ws/posts/{obs_post}/comments",
            &[("body", "Api comment {n}")],
            token_then_created,
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/actions",
            ACTION,
            token_then_created,
        ),
        // Imports: lead and member organisations; an observer is refused, a workspace one
        // cannot see is not there. A platform admin's organisation is in none of these, so
        // the owner it would give a new action is refused (422).
        row(
            Upload,
            "/api/v1/workspaces/pub-ws/actions/import",
            &[(
                "a.csv",
                "Action,Due date\\nImported action {n},31/03/2027\\n",
            )],
            |w| match w {
                Anonymous => 401,
                Platform => 422,
                _ => 200,
            },
        ),
        row(
            Upload,
            "/api/v1/workspaces/obs-ws/actions/import",
            &[("a.csv", "Action\\nImported action {n}\\n")],
            |w| match w {
                Anonymous => 401,
                Platform => 422,
                _ => 403,
            },
        ),
        row(
            Upload,
            "/api/v1/workspaces/pub-ws/readings/import",
            &[(
                "r.csv",
                "Measure,Quarter,Value\\nPublic transport share,Q1 2026/27,2{n}\\n",
            )],
            |w| match w {
                Anonymous => 401,
                _ => 200,
            },
        ),
        row(
            Upload,
            "/api/v1/workspaces/other-ws/readings/import",
            &[("r.csv", "Measure,Quarter,Value\\nAnything,Q1 2026/27,1\\n")],
            |w| match w {
                Anonymous => 401,
                Platform => 422,
                _ => 404,
            },
        ),
        row(
            Patch,
            "/api/v1/workspaces/pub-ws/actions/{action}",
            &[("rag", "green")],
            token_then_ok,
        ),
        row(
            Patch,
            "/api/v1/workspaces/mem-ws/actions/{other_action}",
            &[("progress", "60")],
            |w| match w {
                Anonymous => 401,
                Platform => 200,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/actions/{action}/milestones",
            &[("title", "Api milestone {n}"), ("due_date", "2027-02-28")],
            token_then_created,
        ),
        row(
            Patch,
            "/api/v1/workspaces/pub-ws/milestones/{milestone}",
            &[],
            token_then_ok,
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/outcomes",
            &[("title", "Api outcome {n}")],
            token_then_created,
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/measures",
            MEASURE,
            token_then_created,
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/measures/{measure}/readings",
            &[("quarter", "2026/27 Q1"), ("value", "{n}")],
            token_then_created,
        ),
        row(
            Post,
            "/api/v1/workspaces/pub-ws/members",
            &[("organisation_id", "{other}"), ("role", "observer")],
            |w| match w {
                Anonymous => 401,
                Partner => 403,
                _ => 200,
            },
        ),
        Row {
            prepare: Prepare::OtherObservesPubWs,
            ..row(
                Delete,
                "/api/v1/workspaces/pub-ws/members/{other}",
                &[],
                |w| match w {
                    Anonymous => 401,
                    Partner => 403,
                    _ => 204,
                },
            )
        },
    ]);

    // The opportunity register. Drafts are the lead organisation's alone: 404 for
    // everyone else, platform admins included.
    let lead_staff = |w: Who| match w {
        OrgAdmin | Leader | Staff => 200,
        Anonymous => 303,
        _ => 403,
    };
    let lead_staff_form = |w: Who| match w {
        Anonymous | OrgAdmin | Leader | Staff => 303,
        _ => 403,
    };
    rows.extend([
        page("/opportunities", ok_all),
        page("/opportunities?q=legal&stage=idea&sort=savings", ok_all),
        page("/opportunities?stage=nonsense", |_| 400),
        page("/opportunities/new", |w| match w {
            Anonymous => 303,
            Platform => 403,
            _ => 200,
        }),
        page("/opportunities/{own_draft}", |w| match w {
            Anonymous | Platform => 404,
            _ => 200,
        }),
        page("/opportunities/{other_draft}", |_| 404),
        page("/opportunities/{other_opp}", invisible_to_anonymous),
        page("/opportunities/{own_opp}/edit", lead_staff),
        page("/opportunities/{other_draft}/edit", login_then_invisible),
        form(
            "/opportunities",
            &[
                ("title", "Idea {n}"),
                ("summary", "S"),
                ("service_area", "legal"),
                ("kind", "other"),
                ("visibility", "draft"),
            ],
            |w| match w {
                Platform => 403,
                _ => 303,
            },
        ),
        form(
            "/opportunities/{own_opp}/edit",
            &[
                ("title", "Joint legal team"),
                ("summary", "Edited {n}"),
                ("service_area", "legal"),
                ("kind", "shared_service"),
                ("visibility", "partnership"),
            ],
            lead_staff_form,
        ),
        Row {
            prepare: Prepare::OwnOpportunityIsAnIdea,
            ..form(
                "/opportunities/{own_opp}/transitions",
                &[("to", "under_assessment")],
                lead_staff_form,
            )
        },
        form(
            "/opportunities/{other_opp}/transitions",
            &[("to", "under_assessment")],
            login_then_refused,
        ),
        form(
            "/opportunities/{own_opp}/savings",
            &[
                ("financial_year", "2026/27"),
                ("kind", "estimated"),
                ("cashable", "yes"),
                ("organisation_id", "{own}"),
                ("amount", "£1,000"),
            ],
            lead_staff_form,
        ),
        form(
            "/opportunities/{own_opp}/barriers",
            &[
                ("category", "legal"),
                ("description", "Barrier {n}"),
                ("severity", "low"),
            ],
            lead_staff_form,
        ),
        form(
            "/opportunities/{own_opp}/barriers/{own_barrier}",
            &[
                ("category", "hr_tupe"),
                ("description", "TUPE transfer"),
                ("severity", "high"),
                ("status", "mitigated"),
            ],
            lead_staff_form,
        ),
        form(
            "/opportunities/{other_opp}/interest",
            &[("note", "We want in {n}")],
            |w| if w == Platform { 403 } else { 303 },
        ),
        form(
            "/opportunities/{own_opp}/interest",
            &[("note", "Ours already")],
            login_then_refused,
        ),
        form(
            "/opportunities/{other_opp}/comments",
            &[("body", "Comment {n}")],
            form_anyone_signed_in,
        ),
        form(
            "/opportunities/{other_draft}/comments",
            &[("body", "Comment {n}")],
            login_then_invisible,
        ),
        get("/api/v1/opportunities", ok_all),
        get("/api/v1/opportunities/export.csv", ok_all),
        get("/api/v1/opportunities/export.xlsx?q=legal", ok_all),
        get("/api/v1/opportunities/export.json?stage=idea", ok_all),
        page("/opportunities/export.csv?sort=reference", ok_all),
        page("/opportunities/import", |w| match w {
            Anonymous => 303,
            Platform => 403,
            _ => 200,
        }),
        page("/opportunities/import/template.csv", ok_all),
        page("/opportunities/import/template.xlsx", ok_all),
        get("/api/v1/opportunities?q=legal&per_page=5", ok_all),
        get("/api/v1/opportunities?sort=sideways", |_| 422),
        get("/api/v1/opportunities/{own_draft}", |w| match w {
            Anonymous | Platform => 404,
            _ => 200,
        }),
        get("/api/v1/opportunities/{other_draft}", |_| 404),
        get("/api/v1/opportunities/{other_draft}/savings", |_| 404),
        row(
            Post,
            "/api/v1/opportunities",
            &[
                ("title", "Api idea {n}"),
                ("summary", "S"),
                ("service_area", "waste"),
                ("kind", "other"),
            ],
            |w| match w {
                Anonymous => 401,
                Platform => 403,
                _ => 201,
            },
        ),
        row(
            Patch,
            "/api/v1/opportunities/{own_opp}",
            &[("summary", "Patched {n}")],
            |w| match w {
                Anonymous => 401,
                OrgAdmin | Leader | Staff => 200,
                _ => 403,
            },
        ),
        row(
            Patch,
            "/api/v1/opportunities/{other_draft}",
            &[("summary", "Patched {n}")],
            token_then_invisible,
        ),
        Row {
            prepare: Prepare::OwnOpportunityIsAnIdea,
            ..row(
                Post,
                "/api/v1/opportunities/{own_opp}/transitions",
                &[("to", "under_assessment")],
                |w| match w {
                    Anonymous => 401,
                    OrgAdmin | Leader | Staff => 200,
                    _ => 403,
                },
            )
        },
        row(
            Post,
            "/api/v1/opportunities/{own_opp}/savings",
            &[
                ("financial_year", "2026/27"),
                ("kind", "validated"),
                ("cashable", "true"),
                ("organisation_id", "{own}"),
                ("amount", "£250.50"),
            ],
            |w| match w {
                Anonymous => 401,
                OrgAdmin | Leader | Staff => 201,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/opportunities/{own_opp}/barriers",
            &[
                ("category", "it_data"),
                ("description", "Api barrier {n}"),
                ("severity", "medium"),
            ],
            |w| match w {
                Anonymous => 401,
                OrgAdmin | Leader | Staff => 201,
                _ => 403,
            },
        ),
        row(
            Patch,
            "/api/v1/opportunities/{own_opp}/barriers/{own_barrier}",
            &[("status", "closed")],
            |w| match w {
                Anonymous => 401,
                OrgAdmin | Leader | Staff => 200,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/opportunities/{other_opp}/endorsements",
            &[("note", "Api interest {n}")],
            |w| match w {
                Anonymous => 401,
                Platform => 403,
                _ => 200,
            },
        ),
        Row {
            prepare: Prepare::OwnInterestInOtherOpp,
            ..row(
                Delete,
                "/api/v1/opportunities/{other_opp}/endorsements",
                &[],
                |w| match w {
                    Anonymous => 401,
                    Platform => 403,
                    _ => 204,
                },
            )
        },
        row(
            Upload,
            "/api/v1/opportunities/import",
            &[(
                "r.csv",
                "reference,title,summary,service_area,type\\nOPP-90{n},Imported {n},S,legal,other\\n",
            )],
            |w| match w {
                Anonymous => 401,
                Platform => 403,
                _ => 200,
            },
        ),
        row(
            Post,
            "/api/v1/opportunities/{other_opp}/comments",
            &[("body", "Api comment {n}")],
            token_then_created,
        ),
    ]);
    rows.extend(own_rows());
    rows.extend(notification_rows());
    rows.extend(leader_rows());
    for path in [
        "transitions",
        "savings",
        "barriers",
        "endorsements",
        "comments",
    ] {
        let path: &'static str =
            Box::leak(format!("/api/v1/opportunities/{{other_opp}}/{path}").into_boxed_str());
        rows.push(get(path, invisible_to_anonymous));
    }
    rows
}

/// Signing in and out, the caller's own account, public plumbing, and forms whose thing is
/// named by a secret link.
fn own_rows() -> Vec<Row> {
    use Kind::*;
    let ends_session = |row: Row| Row {
        prepare: Prepare::SignInAgainAfter,
        ..row
    };
    vec![
        page("/healthz", ok_all),
        page("/assets/metro.css", ok_all),
        get("/api/v1/openapi.json", ok_all),
        form(
            "/login",
            &[
                ("email", "nobody-{n}@example.org"),
                ("password", "not the password"),
            ],
            |_| 401,
        ),
        ends_session(form("/logout", &[], |_| 303)),
        ends_session(form("/account/sign-out-everywhere", &[], |_| 303)),
        form(
            "/password-reset",
            &[("email", "nobody-{n}@example.org")],
            ok_all,
        ),
        form(
            "/password-reset/not-a-real-token",
            &[
                ("password", "a new long password {n}"),
                ("confirm", "a new long password {n}"),
            ],
            |_| 400,
        ),
        form(
            "/invitations/not-a-real-token",
            &[("name", "Someone"), ("password", "a new long password {n}")],
            |_| 400,
        ),
        form("/unsubscribe/not-a-signed-link", &[], |_| 404),
        row(
            Post,
            "/api/v1/auth/token",
            &[
                ("email", "nobody-{n}@example.org"),
                ("password", "not the password"),
            ],
            |_| 401,
        ),
        ends_session(row(Delete, "/api/v1/auth/token", &[], |w| {
            if w == Anonymous {
                401
            } else {
                204
            }
        })),
        Row {
            prepare: Prepare::ArchWsIsArchived,
            ..form("/workspaces/arch-ws/restore", &[], platform_edits_visible)
        },
        Row {
            prepare: Prepare::OwnInterestInOtherOpp,
            ..form("/opportunities/{other_opp}/interest/withdraw", &[], |w| {
                if w == Platform {
                    403
                } else {
                    303
                }
            })
        },
        form("/opportunities/import", &[], |w| match w {
            Anonymous => 303,
            Platform => 403,
            _ => 400,
        }),
        // A file kept for someone else (or for nobody) is not there: choose it again.
        form(
            "/opportunities/import/preview",
            &[("upload", "not-yours"), ("header_row", "1")],
            |w| match w {
                Anonymous => 303,
                Platform => 403,
                _ => 422,
            },
        ),
        form(
            "/opportunities/import/confirm",
            &[("upload", "not-yours"), ("mapping", "{}")],
            |w| match w {
                Anonymous => 303,
                Platform => 403,
                _ => 422,
            },
        ),
        // A workspace's import pages: lead and member organisations (and the platform
        // admin) may import, an observer is refused, a workspace one cannot see is not
        // there; a file kept for someone else is not there either.
        page("/workspaces/pub-ws/actions/import", |w| match w {
            Anonymous => 303,
            _ => 200,
        }),
        page("/workspaces/obs-ws/readings/import", |w| match w {
            Anonymous => 303,
            Platform => 200,
            _ => 403,
        }),
        page(
            "/workspaces/pub-ws/readings/import/template.csv",
            |w| match w {
                Anonymous => 303,
                _ => 200,
            },
        ),
        page(
            "/workspaces/other-ws/actions/import/template.xlsx",
            |w| match w {
                Anonymous => 303,
                Platform => 200,
                _ => 404,
            },
        ),
        form("/workspaces/pub-ws/actions/import", &[], |w| match w {
            Anonymous => 303,
            _ => 400,
        }),
        form("/workspaces/other-ws/readings/import", &[], |w| match w {
            Anonymous => 303,
            Platform => 400,
            _ => 404,
        }),
        form(
            "/workspaces/obs-ws/actions/import/preview",
            &[("upload", "not-yours"), ("header_row", "1")],
            |w| match w {
                Anonymous => 303,
                Platform => 422,
                _ => 403,
            },
        ),
        form(
            "/workspaces/pub-ws/readings/import/preview",
            &[("upload", "not-yours"), ("header_row", "1")],
            |w| match w {
                Anonymous => 303,
                _ => 422,
            },
        ),
        form(
            "/workspaces/pub-ws/actions/import/confirm",
            &[("upload", "not-yours"), ("mapping", "{}")],
            |w| match w {
                Anonymous => 303,
                _ => 422,
            },
        ),
        form(
            "/workspaces/other-ws/readings/import/confirm",
            &[("upload", "not-yours"), ("mapping", "{}")],
            |w| match w {
                Anonymous => 303,
                Platform => 422,
                _ => 404,
            },
        ),
        form(
            "/subscriptions/{other_org_sub}/delivery",
            &[("delivery", "daily")],
            login_then_invisible,
        ),
        form(
            "/subscriptions/{other_org_sub}/opt-in",
            &[],
            login_then_invisible,
        ),
        form(
            "/admin/webhooks/{other_hook}/enable",
            &[],
            login_then_invisible,
        ),
        row(
            Post,
            "/api/v1/reviews",
            &[("quarter", "Q{n}"), ("deadline", "2027-01-15")],
            |w| match w {
                Anonymous => 401,
                Platform | Leader => 422,
                _ => 403,
            },
        ),
    ]
}

fn own_admins(w: Who) -> u16 {
    match w {
        Anonymous | Platform | OrgAdmin => 303,
        _ => 403,
    }
}

fn notification_rows() -> Vec<Row> {
    use Kind::*;
    vec![
        page("/notifications", signed_in_page),
        page("/settings/subscriptions", signed_in_page),
        page("/admin/jobs", platform_only_page),
        page("/admin/webhooks", |w| match w {
            Anonymous => 303,
            Platform | OrgAdmin => 200,
            _ => 403,
        }),
        page("/admin/webhooks/{own_hook}", |w| match w {
            Anonymous => 303,
            OrgAdmin => 200,
            Platform => 404,
            _ => 403,
        }),
        page("/admin/webhooks/{other_hook}", login_then_invisible),
        page("/workspaces/pub-ws/feed.atom", ok_all),
        page("/workspaces/other-ws/feed.atom", |_| 404),
        page("/opportunities/feed.atom", ok_all),
        page("/opportunities/feed.atom?token=not-a-token", |_| 401),
        page("/unsubscribe/not-a-signed-link", |_| 404),
        form(
            "/subscriptions",
            &[("target", "workspace"), ("workspace", "pub-ws")],
            form_anyone_signed_in,
        ),
        form(
            "/subscriptions",
            &[("target", "workspace"), ("workspace", "other-ws")],
            |w| match w {
                Anonymous | Platform => 303,
                _ => 404,
            },
        ),
        form(
            "/subscriptions",
            &[("target", "register"), ("scope", "organisation")],
            own_admins,
        ),
        form(
            "/subscriptions/{other_org_sub}/delete",
            &[],
            login_then_invisible,
        ),
        form(
            "/subscriptions/{other_user_sub}/delete",
            &[],
            login_then_invisible,
        ),
        form(
            "/subscriptions/{other_org_sub}/opt-out",
            &[],
            login_then_invisible,
        ),
        form("/subscriptions/{own_org_sub}/opt-out", &[], |w| {
            if w == Platform {
                404
            } else {
                303
            }
        }),
        form(
            "/notifications/{other_note}/read",
            &[],
            login_then_invisible,
        ),
        form("/notifications/{own_note}/read", &[], |w| match w {
            Anonymous | Leader => 303,
            _ => 404,
        }),
        form("/notifications/read-all", &[], form_anyone_signed_in),
        form(
            "/settings/subscriptions/default",
            &[("delivery", "daily")],
            form_anyone_signed_in,
        ),
        form("/settings/feed-token", &[], signed_in_page),
        form("/settings/feed-token/revoke", &[], form_anyone_signed_in),
        form(
            "/admin/webhooks",
            &[("url", "http://127.0.0.1:9/hook")],
            |w| match w {
                Anonymous => 303,
                Platform | OrgAdmin => 422,
                _ => 403,
            },
        ),
        form("/admin/webhooks/{own_hook}/disable", &[], |w| match w {
            Anonymous | OrgAdmin => 303,
            Platform => 404,
            _ => 403,
        }),
        form(
            "/admin/webhooks/{other_hook}/test",
            &[],
            login_then_invisible,
        ),
        form(
            "/admin/webhooks/{other_hook}/delete",
            &[],
            login_then_invisible,
        ),
        get("/api/v1/subscriptions", token_then_ok),
        row(
            Post,
            "/api/v1/subscriptions",
            &[("target", "workspace"), ("workspace", "other-ws")],
            |w| match w {
                Anonymous => 401,
                // The form above already made it.
                Platform => 200,
                _ => 404,
            },
        ),
        row(
            Post,
            "/api/v1/subscriptions",
            &[
                ("target", "register"),
                ("stage", "idea"),
                ("scope", "organisation"),
            ],
            |w| match w {
                Anonymous => 401,
                Platform | OrgAdmin => 201,
                _ => 403,
            },
        ),
        row(
            Patch,
            "/api/v1/subscriptions/{other_user_sub}",
            &[("delivery", "inbox")],
            token_then_invisible,
        ),
        row(
            Delete,
            "/api/v1/subscriptions/{other_org_sub}",
            &[],
            token_then_invisible,
        ),
        get("/api/v1/notifications", token_then_ok),
        row(
            Post,
            "/api/v1/notifications/{other_note}/read",
            &[],
            token_then_invisible,
        ),
        row(Post, "/api/v1/notifications/read-all", &[], token_then_ok),
    ]
}

fn leaders_and_platform(w: Who) -> u16 {
    match w {
        Anonymous | Platform | Leader => 303,
        _ => 403,
    }
}

fn leader_rows() -> Vec<Row> {
    use Kind::*;
    let not_for_anyone_else = |w: Who| match w {
        Anonymous => 303,
        Platform => 200,
        _ => 404,
    };
    vec![
        page("/dashboard", signed_in_page),
        page("/dashboard?theme=pub-ws", signed_in_page),
        page("/dashboard?theme=other-ws", not_for_anyone_else),
        get("/api/v1/dashboard", token_then_ok),
        page("/admin/audit", platform_only_page),
        page("/reviews", signed_in_page),
        page("/reviews/{open_review}", signed_in_page),
        page("/reviews/{signed_review}", signed_in_page),
        page("/reviews/999999", login_then_invisible),
        page("/reviews/{open_review}/workspaces/pub-ws", signed_in_page),
        page(
            "/reviews/{open_review}/workspaces/other-ws",
            not_for_anyone_else,
        ),
        page("/reviews/{open_review}/board-pack", signed_in_page),
        page("/reviews/{signed_review}/board-pack.xlsx", signed_in_page),
        form(
            "/reviews",
            &[("quarter", "Q{n}"), ("deadline", "2027-01-15")],
            |w| match w {
                Anonymous => 303,
                Platform | Leader => 422,
                _ => 403,
            },
        ),
        form(
            "/reviews/{open_review}/workspaces/pub-ws",
            &[("overall_rag", "green"), ("commentary", "Return {n}")],
            |w| match w {
                Anonymous | OrgAdmin | Leader | Staff => 303,
                _ => 403,
            },
        ),
        form(
            "/reviews/{open_review}/workspaces/other-ws",
            &[("overall_rag", "green"), ("commentary", "Return {n}")],
            |w| match w {
                Anonymous => 303,
                Platform => 403,
                _ => 404,
            },
        ),
        form(
            "/reviews/{open_review}/workspaces/pub-ws/return",
            &[("comment", "Please add more {n}")],
            leaders_and_platform,
        ),
        form("/reviews/{signed_review}/sign-off", &[], |w| match w {
            Anonymous => 303,
            Platform | Leader => 409,
            _ => 403,
        }),
        get("/api/v1/reviews", token_then_ok),
        get("/api/v1/reviews/{open_review}", token_then_ok),
        get("/api/v1/reviews/{open_review}/submissions", token_then_ok),
        row(
            Post,
            "/api/v1/reviews/{signed_review}/sign-off",
            &[],
            |w| match w {
                Anonymous => 401,
                Platform | Leader => 409,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/reviews/{open_review}/submissions",
            &[
                ("workspace", "other-ws"),
                ("overall_rag", "green"),
                ("commentary", "x"),
            ],
            |w| match w {
                Anonymous => 401,
                Platform => 403,
                _ => 404,
            },
        ),
        // Who runs a review: the leaders of the organisation that opened it (own, for
        // {open_review} and {signed_review}; the other council, for {other_open_review} and
        // {other_signed_review}) and platform admins. Everyone else reads it.
        row(
            Post,
            "/api/v1/reviews/{open_review}/submissions/pub-ws/return",
            &[("comment", "Api comment {n}")],
            |w| match w {
                Anonymous => 401,
                Platform | Leader => 204,
                _ => 403,
            },
        ),
        form(
            "/reviews/{other_open_review}/workspaces/pub-ws/return",
            &[("comment", "Please add more {n}")],
            |w| match w {
                Anonymous | Platform => 303,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/reviews/{other_open_review}/submissions/pub-ws/return",
            &[("comment", "Api comment {n}")],
            |w| match w {
                Anonymous => 401,
                Platform => 204,
                _ => 403,
            },
        ),
        form(
            "/reviews/{other_signed_review}/sign-off",
            &[],
            |w| match w {
                Anonymous => 303,
                Platform => 409,
                _ => 403,
            },
        ),
        row(
            Post,
            "/api/v1/reviews/{other_signed_review}/sign-off",
            &[],
            |w| match w {
                Anonymous => 401,
                Platform => 409,
                _ => 403,
            },
        ),
        // A return the caller may not see is missing to them, even in a review they run.
        form(
            "/reviews/{open_review}/workspaces/other-ws/return",
            &[("comment", "Please add more {n}")],
            |w| match w {
                Anonymous | Platform => 303,
                _ => 404,
            },
        ),
        row(
            Post,
            "/api/v1/reviews/{open_review}/submissions/other-ws/return",
            &[("comment", "Api comment {n}")],
            |w| match w {
                Anonymous => 401,
                Platform => 204,
                _ => 404,
            },
        ),
    ]
}

/// An open review with a return for pub-ws, and a signed-off one.
fn review_fixtures(app: &TestApp, t: &Tenants) -> (i64, i64) {
    use metro_portal::auth::Actor;
    use metro_portal::reviews::service::{open, sign_off, submit, OpenInput, SubmissionInput};
    let mut conn = app.db.get().unwrap();
    let leader = app.caller(t.own(Role::Leader));
    let staff = app.caller(t.own(Role::Staff));
    let lead = Actor {
        caller: &leader,
        ip: "",
    };
    let quarter = |q: &str| OpenInput {
        quarter: q.into(),
        deadline: "2027-01-15".into(),
    };
    let signed = open(&mut conn, &lead, &quarter("2025/26 Q4")).unwrap().id;
    sign_off(&mut conn, &lead, signed).unwrap();
    let current = open(&mut conn, &lead, &quarter("2026/27 Q1")).unwrap().id;
    let access =
        metro_portal::workspaces::queries::load(&mut conn, "pub-ws", Some(&staff)).unwrap();
    let input = SubmissionInput {
        overall_rag: "amber".into(),
        commentary: "On track".into(),
        ..SubmissionInput::default()
    };
    submit(
        &mut conn,
        &Actor {
            caller: &staff,
            ip: "",
        },
        current,
        &access,
        &input,
    )
    .unwrap();
    (current, signed)
}

/// For who runs a review: the other council's return for other-ws in own's open review,
/// and two reviews the other council opened (one open, with own's return for pub-ws; one
/// signed off).
fn review_owner_fixtures(app: &TestApp, t: &Tenants, own_open: i64) -> (i64, i64) {
    use metro_portal::auth::Actor;
    use metro_portal::reviews::service::{open, sign_off, OpenInput};
    send_return(app, own_open, "other-ws", t.other(Role::Staff));
    let mut conn = app.db.get().unwrap();
    let leader = app.caller(t.other(Role::Leader));
    let lead = Actor {
        caller: &leader,
        ip: "",
    };
    let quarter = |q: &str| OpenInput {
        quarter: q.into(),
        deadline: "2027-01-15".into(),
    };
    let signed = open(&mut conn, &lead, &quarter("2025/26 Q2")).unwrap().id;
    sign_off(&mut conn, &lead, signed).unwrap();
    let current = open(&mut conn, &lead, &quarter("2025/26 Q3")).unwrap().id;
    drop(conn);
    send_return(app, current, "pub-ws", t.own(Role::Staff));
    (current, signed)
}

fn send_return(app: &TestApp, review: i64, slug: &str, user: &crate::common::TestUser) {
    use metro_portal::auth::Actor;
    use metro_portal::reviews::service::{submit, SubmissionInput};
    let mut conn = app.db.get().unwrap();
    let caller = app.caller(user);
    let access = metro_portal::workspaces::queries::load(&mut conn, slug, Some(&caller)).unwrap();
    let input = SubmissionInput {
        overall_rag: "green".into(),
        commentary: "Steady".into(),
        ..SubmissionInput::default()
    };
    let actor = Actor {
        caller: &caller,
        ip: "",
    };
    submit(&mut conn, &actor, review, &access, &input).unwrap();
}

/// Subscriptions, notifications and webhooks of both organisations, for the rows above.
struct NotificationFixtures {
    own_org_sub: i64,
    other_org_sub: i64,
    other_user_sub: i64,
    own_note: i64,
    other_note: i64,
    own_hook: i64,
    other_hook: i64,
}

const OTHER_HOOK_URL: &str = "https://private-hook.other-council.example/metro";

fn notification_fixtures(app: &TestApp, t: &Tenants) -> NotificationFixtures {
    use diesel::prelude::*;
    use metro_portal::auth::Actor;
    use metro_portal::notifications::subscriptions::{follow, FollowInput};
    use metro_portal::schema::{events, notifications, webhooks};
    let mut conn = app.db.get().unwrap();
    let mut sub = |user: &crate::common::TestUser, input: FollowInput| {
        let caller = app.caller(user);
        follow(
            &mut conn,
            &Actor {
                caller: &caller,
                ip: "",
            },
            &input,
        )
        .unwrap()
        .0
        .id
    };
    let register = |scope: &str| FollowInput {
        target: "register".into(),
        scope: scope.into(),
        ..FollowInput::default()
    };
    let own_org_sub = sub(t.own(Role::OrgAdmin), register("organisation"));
    let other_org_sub = sub(t.other(Role::OrgAdmin), register("organisation"));
    let other_user_sub = sub(t.other(Role::Leader), register("me"));
    let event: i64 = events::table.select(events::id).first(&mut *conn).unwrap();
    let mut note = |user: i64| -> i64 {
        diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(user),
                notifications::event_id.eq(event),
                notifications::reason.eq("because of a test"),
                notifications::delivery.eq("inbox"),
                notifications::created_at.eq(metro_portal::db::now()),
            ))
            .returning(notifications::id)
            .get_result(&mut *conn)
            .unwrap()
    };
    let own_note = note(t.own(Role::Leader).id);
    let other_note = note(t.other(Role::Leader).id);
    let mut hook = |org: i64, by: i64, url: &str| -> i64 {
        diesel::insert_into(webhooks::table)
            .values((
                webhooks::organisation_id.eq(org),
                webhooks::url.eq(url),
                webhooks::secret.eq("not shown"),
                webhooks::event_kinds.eq(""),
                webhooks::active.eq(false),
                webhooks::created_by.eq(by),
                webhooks::created_at.eq(metro_portal::db::now()),
            ))
            .returning(webhooks::id)
            .get_result(&mut *conn)
            .unwrap()
    };
    let own_hook = hook(
        t.own,
        t.own(Role::OrgAdmin).id,
        "https://hook.own-council.example/metro",
    );
    let other_hook = hook(t.other, t.other(Role::OrgAdmin).id, OTHER_HOOK_URL);
    app.raise_version(&mut conn);
    NotificationFixtures {
        own_org_sub,
        other_org_sub,
        other_user_sub,
        own_note,
        other_note,
        own_hook,
        other_hook,
    }
}

/// What a refused request must leave as it was.
fn fingerprint(app: &TestApp) -> Vec<i64> {
    [
        "events",
        "subscriptions",
        "subscription_opt_outs",
        "webhooks",
        "jobs",
    ]
    .iter()
    .map(|table| app.count(table))
    .collect()
}

struct Callers {
    browsers: HashMap<Who, Browser>,
    tokens: HashMap<Who, String>,
}

fn user_for(t: &Tenants, who: Who) -> &crate::common::TestUser {
    match who {
        Platform => &t.platform,
        OrgAdmin => t.own(Role::OrgAdmin),
        Leader => t.own(Role::Leader),
        Staff => t.own(Role::Staff),
        Partner => t.own(Role::Partner),
        Anonymous => unreachable!("the anonymous caller has no account"),
    }
}

async fn callers(app: &TestApp, t: &Tenants) -> Callers {
    let mut browsers = HashMap::new();
    let mut tokens = HashMap::new();
    browsers.insert(Anonymous, app.browser());
    for who in &EVERYONE[1..] {
        let user = user_for(t, *who);
        browsers.insert(*who, app.signed_in(user).await);
        tokens.insert(*who, app.token(user).await);
    }
    Callers { browsers, tokens }
}

/// A JSON body from form-like pairs: whole numbers become numbers, true/false booleans.
fn json_body(fields: &[(String, String)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| {
            let value = match v.as_str() {
                "true" => json!(true),
                "false" => json!(false),
                _ => v
                    .parse::<i64>()
                    .map(|n| json!(n))
                    .unwrap_or_else(|_| json!(v)),
            };
            (k.clone(), value)
        })
        .collect();
    serde_json::Value::Object(map)
}

#[tokio::test]
async fn every_route_answers_each_role_as_it_should_and_leaks_nothing() {
    let app = spawn_app().await;
    let t = app.two_tenants();
    let own_target = app.create_user(t.own, Role::Staff);
    let other_target = app.create_user(t.other, Role::Staff);
    let fx = app.workspaces(&t);
    let ox = app.opportunities(&t);
    let nx = notification_fixtures(&app, &t);
    let (open_review, signed_review) = review_fixtures(&app, &t);
    let (other_open_review, other_signed_review) = review_owner_fixtures(&app, &t, open_review);
    let mut callers = callers(&app, &t).await;
    // Nothing of the other organisation's people or private workspace may show.
    let mut secrets: Vec<String> = t.other_users.iter().map(|u| u.email.clone()).collect();
    secrets.push(other_target.email.clone());
    secrets.push(fx.secret_title.clone());
    secrets.push(ox.other_draft_title.clone());
    secrets.push(OTHER_HOOK_URL.to_string());
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
                    .replace("{post}", &fx.post.to_string())
                    .replace("{mem_post}", &fx.mem_post.to_string())
                    .replace("{obs_post}", &fx.obs_post.to_string())
                    .replace("{action}", &fx.action.to_string())
                    .replace("{other_action}", &fx.other_owned_action.to_string())
                    .replace("{milestone}", &fx.milestone.to_string())
                    .replace("{outcome}", &fx.outcome.to_string())
                    .replace("{measure}", &fx.measure.to_string())
                    .replace("{own_draft}", &ox.own_draft.to_string())
                    .replace("{own_opp}", &ox.own_opp.to_string())
                    .replace("{own_barrier}", &ox.own_barrier.to_string())
                    .replace("{other_draft}", &ox.other_draft.to_string())
                    .replace("{other_opp}", &ox.other_opp.to_string())
                    .replace("{own_org_sub}", &nx.own_org_sub.to_string())
                    .replace("{other_org_sub}", &nx.other_org_sub.to_string())
                    .replace("{other_user_sub}", &nx.other_user_sub.to_string())
                    .replace("{own_note}", &nx.own_note.to_string())
                    .replace("{other_note}", &nx.other_note.to_string())
                    .replace("{own_hook}", &nx.own_hook.to_string())
                    .replace("{other_hook}", &nx.other_hook.to_string())
                    .replace("{open_review}", &open_review.to_string())
                    .replace("{signed_review}", &signed_review.to_string())
                    .replace("{other_open_review}", &other_open_review.to_string())
                    .replace("{other_signed_review}", &other_signed_review.to_string())
                    .replace("{n}", &n.to_string())
            };
            prepare(&app, &t, &ox, row.prepare);
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
            let before = fingerprint(&app);
            let res = match row.kind {
                Kind::Page => callers.browsers[&who].get(&path).await,
                Kind::Form => callers.browsers[&who].post(&path, &field_refs).await,
                api => {
                    let url = app.url(&path);
                    let client = app.api();
                    let mut req = match api {
                        Kind::Get => client.get(url),
                        Kind::Post => client.post(url).json(&json_body(&fields)),
                        Kind::Patch => client.patch(url).json(&json_body(&fields)),
                        Kind::Upload => {
                            let (name, contents) = fields[0].clone();
                            let part = reqwest::multipart::Part::bytes(
                                contents.replace("\\n", "\n").into_bytes(),
                            )
                            .file_name(name);
                            client
                                .post(url)
                                .multipart(reqwest::multipart::Form::new().part("file", part))
                        }
                        _ => client.delete(url),
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
                failures.push(format!(
                    "{who:?} {} {path}: expected {expected}, got {status}",
                    method(row.kind)
                ));
            }
            let goes_to = location(&res);
            let mutation = !matches!(row.kind, Kind::Page | Kind::Get);
            // Signing out when not signed in has nothing to refuse: it goes home.
            let signs_out = row.path == "/logout";
            if who == Anonymous
                && status == 303
                && mutation
                && !signs_out
                && !goes_to.starts_with("/login")
            {
                failures.push(format!(
                    "Anonymous {path}: sent to {goes_to}, not to sign in"
                ));
            }
            // Every change writes an event; a refused one must write none.
            let refused = status >= 400 || (who == Anonymous && mutation);
            if mutation && refused && fingerprint(&app) != before {
                failures.push(format!(
                    "{who:?} {path}: refused ({status}) but something changed"
                ));
            }
            let body = res.text().await.unwrap();
            if row.prepare == Prepare::SignInAgainAfter && who != Anonymous {
                let user = user_for(&t, who);
                callers.browsers.insert(who, app.signed_in(user).await);
                callers.tokens.insert(who, app.token(user).await);
            }
            if who != Platform {
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

fn prepare(app: &TestApp, t: &Tenants, ox: &crate::common::Opportunities, what: Prepare) {
    use diesel::prelude::*;
    use metro_portal::schema::{endorsements, opportunities};
    let mut conn = app.db.get().unwrap();
    match what {
        Prepare::Nothing | Prepare::SignInAgainAfter => {}
        Prepare::ArchWsIsArchived => {
            use metro_portal::schema::workspaces;
            diesel::update(workspaces::table.filter(workspaces::slug.eq("arch-ws")))
                .set(workspaces::archived_at.eq(Some(metro_portal::db::now())))
                .execute(&mut *conn)
                .unwrap();
        }
        Prepare::OtherObservesPubWs => {
            let ws = metro_portal::workspaces::queries::find_by_slug(&mut conn, "pub-ws").unwrap();
            metro_portal::workspaces::queries::set_member(
                &mut conn,
                ws.id,
                t.other,
                metro_portal::workspaces::model::MemberRole::Observer,
            )
            .unwrap();
        }
        Prepare::OwnOpportunityIsAnIdea => {
            diesel::update(opportunities::table.find(ox.own_opp))
                .set(opportunities::stage.eq("idea"))
                .execute(&mut *conn)
                .unwrap();
        }
        Prepare::OwnInterestInOtherOpp => {
            let exists: i64 = endorsements::table
                .filter(endorsements::opportunity_id.eq(ox.other_opp))
                .filter(endorsements::organisation_id.eq(t.own))
                .count()
                .get_result(&mut *conn)
                .unwrap();
            if exists == 0 {
                diesel::insert_into(endorsements::table)
                    .values((
                        endorsements::opportunity_id.eq(ox.other_opp),
                        endorsements::organisation_id.eq(t.own),
                        endorsements::user_id.eq(t.own(Role::Staff).id),
                        endorsements::note.eq(""),
                        endorsements::created_at.eq(metro_portal::db::now()),
                    ))
                    .execute(&mut *conn)
                    .unwrap();
            }
        }
    }
    app.raise_version(&mut conn);
}

fn method(kind: Kind) -> &'static str {
    match kind {
        Kind::Page | Kind::Get => "GET",
        Kind::Form | Kind::Post | Kind::Upload => "POST",
        Kind::Patch => "PATCH",
        Kind::Delete => "DELETE",
    }
}

/// The route table is the list of what the server answers: every route in it must have its
/// row above, so a new endpoint cannot be added without saying who may use it.
#[test]
fn every_route_in_the_table_has_a_matrix_row() {
    use metro_portal::web::routes::matches;
    let rows = rows();
    let path_of = |row: &Row| row.path.split('?').next().unwrap_or_default().to_string();
    let table = metro_portal::startup::route_table().table();
    let missing: Vec<String> = table
        .iter()
        .filter(|route| {
            !rows.iter().any(|row| {
                method(row.kind) == route.method.as_str() && matches(&route.path, &path_of(row))
            })
        })
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} routes have no authorisation-matrix row:\n{}",
        missing.len(),
        table.len(),
        missing.join("\n")
    );
    // And no row asks for a route that is not served.
    let strays: Vec<&str> = rows
        .iter()
        .filter(|row| {
            !table.iter().any(|route| {
                method(row.kind) == route.method.as_str() && matches(&route.path, &path_of(row))
            })
        })
        .map(|row| row.path)
        .collect();
    assert!(
        strays.is_empty(),
        "rows for routes not in the table: {strays:?}"
    );
}
