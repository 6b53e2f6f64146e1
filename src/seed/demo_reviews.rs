//! Demo quarterly reviews: the two quarters before this one signed off, and this quarter's
//! review open with some returns missing and one sent back, so the comparison and the
//! chase-up show at once. Derby City Council, a lead council of the Metro, opens and runs
//! them: its leader signs off and sends back. Written through the same services as the pages.

use chrono::Duration;

use crate::auth::{Actor, Caller};
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::reviews::service::{self, ActionInput, OpenInput, SubmissionInput};
use crate::seed::demo_workspaces::caller;
use crate::workspaces::model::Quarter;
use crate::workspaces::queries as ws_queries;

fn before(q: Quarter) -> Quarter {
    if q.quarter == 1 {
        Quarter {
            year: q.year - 1,
            quarter: 4,
        }
    } else {
        Quarter {
            year: q.year,
            quarter: q.quarter - 1,
        }
    }
}

/// Who returns for each workspace, and how the quarter went.
const RETURNS: &[(&str, &str, &str)] = &[
    ("business-investment", "staff@derby.example", "Inward investment enquiries are up; the Toton masterplan consultation closed on time."),
    ("skills", "staff@derby.example", "Employer pledges are behind plan; the post-16 transition pilot has started in both cities."),
    ("transport-connectivity", "staff@nottingham.example", "HS2 Toton station design work continues; smart ticketing operators are close to agreement."),
    ("city-living", "staff@derby.example", "Housing delivery is on track; the joint homelessness pathway is waiting on funding."),
    ("go-ultra-low", "staff@nottingham.example", "Charge point installation is ahead of the OLEV grant profile."),
    ("em-highways-alliance", "admin@derbyshire.example", "The alliance framework is agreed; the first joint resurfacing lots go out next quarter."),
];

fn submit(
    conn: &mut DbConn,
    review_id: i64,
    slug: &str,
    email: &str,
    commentary: &str,
    rags: &[&str],
    overall: &str,
) -> AppResult<()> {
    let who: Caller = caller(conn, email)?;
    let access = ws_queries::load(conn, slug, Some(&who))?;
    let review = service::find(conn, review_id)?;
    let live = service::live_content(conn, access.ws.id, review.quarter())?;
    let actions = live
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| ActionInput {
            id: a.id,
            rag: rags
                .get(i % rags.len().max(1))
                .map(|r| r.to_string())
                .unwrap_or_else(|| a.rag.clone()),
            progress: (a.progress - 10 * (rags.len() as i32 - 1))
                .clamp(0, 100)
                .to_string(),
        })
        .collect();
    let input = SubmissionInput {
        overall_rag: overall.into(),
        commentary: commentary.into(),
        decisions: String::new(),
        actions,
        measures: Vec::new(),
    };
    service::submit(
        conn,
        &Actor {
            caller: &who,
            ip: "127.0.0.1",
        },
        review_id,
        &access,
        &input,
    )?;
    Ok(())
}

pub fn seed(conn: &mut DbConn) -> AppResult<()> {
    // The reviews belong to the opener's organisation, so this leader's council runs them.
    let leader = caller(conn, "leader@derby.example")?;
    let lead = Actor {
        caller: &leader,
        ip: "127.0.0.1",
    };
    let today = now().date();
    let current = Quarter::containing(today);
    let last = before(current);
    let earlier = before(last);
    // The two past quarters: returns from every workspace, then sign-off. The earlier one
    // has more red and amber, so the comparison shows movement.
    for (q, rags, overall) in [
        (earlier, &["red", "amber"][..], "amber"),
        (last, &["amber", "green"][..], "green"),
    ] {
        let review = service::open(
            conn,
            &lead,
            &OpenInput {
                quarter: q.label(),
                deadline: (today - Duration::days(20)).to_string(),
            },
        )?;
        for (slug, email, commentary) in RETURNS {
            submit(conn, review.id, slug, email, commentary, rags, overall)?;
        }
        service::sign_off(conn, &lead, review.id)?;
    }
    // This quarter: open, half the returns in, one sent back.
    let review = service::open(
        conn,
        &lead,
        &OpenInput {
            quarter: current.label(),
            deadline: (today + Duration::days(10)).to_string(),
        },
    )?;
    for (slug, email, commentary) in &RETURNS[..3] {
        submit(
            conn,
            review.id,
            slug,
            email,
            commentary,
            &["green", "amber"],
            "amber",
        )?;
    }
    let access = ws_queries::load(conn, "skills", Some(&leader))?;
    service::send_back(
        conn,
        &lead,
        review.id,
        &access,
        "Please add the Q3 reading for 16 and 17 year olds not in education, employment or training.",
    )?;
    Ok(())
}
