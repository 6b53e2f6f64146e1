//! Demo content for the workspaces, drawn from the Metro Strategy 2030, the East Midlands
//! alliance and the Go Ultra Low City Programme. Written through the same service functions
//! as the pages, so events, audit entries and the activity lists are real.

use chrono::Duration;
use diesel::prelude::*;

use crate::auth::Caller;
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::schema::{organisations, users};
use crate::workspaces::model::Quarter;
use crate::workspaces::queries::{self, Access};
use crate::workspaces::service::{self, *};
use crate::workspaces::{actions::service::*, measures::service::*, members::service::*};
use crate::workspaces::{outcomes::service::*, posts::service::*};

pub fn caller(conn: &mut DbConn, email: &str) -> AppResult<Caller> {
    let row: crate::identity::CallerRow = users::table
        .inner_join(organisations::table)
        .filter(users::email.eq(email))
        .select(crate::identity::CallerRow::as_select())
        .first(conn)?;
    Ok(row.caller(""))
}

pub fn org_id(conn: &mut DbConn, slug: &str) -> AppResult<i64> {
    Ok(organisations::table
        .filter(organisations::slug.eq(slug))
        .select(organisations::id)
        .first(conn)?)
}

fn access(conn: &mut DbConn, slug: &str, who: &Caller) -> AppResult<Access> {
    queries::load(conn, slug, Some(who))
}

fn day(offset: i64) -> String {
    (now().date() + Duration::days(offset)).to_string()
}

/// The last `n` quarters, oldest first, ending with the current one.
fn recent_quarters(n: i32) -> Vec<String> {
    let current = Quarter::containing(now().date());
    let index = current.year * 4 + current.quarter - 1;
    ((index - n + 1)..=index)
        .map(|i| {
            Quarter {
                year: i.div_euclid(4),
                quarter: i.rem_euclid(4) + 1,
            }
            .label()
        })
        .collect()
}

struct DemoAction<'a> {
    title: &'a str,
    owner: &'a str,
    start: i64,
    due: i64,
    status: &'a str,
    progress: u8,
    rag: &'a str,
    reason: &'a str,
    milestones: &'a [(&'a str, i64, bool)],
}

struct DemoMeasure<'a> {
    name: &'a str,
    unit: &'a str,
    direction: &'a str,
    baseline: f64,
    target: f64,
    readings: &'a [f64],
}

struct DemoWorkspace<'a> {
    slug: &'a str,
    /// Created here when it is not one of the four themes.
    create: Option<(&'a str, &'a str, &'a str)>,
    members: &'a [(&'a str, &'a str)],
    author: &'a str,
    posts: &'a [(&'a str, &'a str)],
    actions: &'a [DemoAction<'a>],
    outcome: (&'a str, &'a str),
    measures: &'a [DemoMeasure<'a>],
}

const WORKSPACES: &[DemoWorkspace] = &[
    DemoWorkspace {
        slug: "business-investment",
        create: None,
        members: &[("derby", "lead"), ("nottingham", "lead"), ("d2n2", "member"), ("uni-derby", "member"), ("uni-nottingham", "observer")],
        author: "staff@derby.example",
        posts: &[
            ("Place-to-invest offer: first draft shared", "The joint **place to invest** prospectus for Derby and Nottingham is ready for partner comments.\n\n- transport engineering and advanced manufacturing in Derby\n- professional services and life sciences in Nottingham\n\nPlease send comments by the end of the month."),
            ("Follow-up to the China trade and investment mission", "Three leads from the November mission are being worked with the Department for International Trade under the Midlands Engine banner."),
        ],
        actions: &[
            DemoAction { title: "Publish a joint place-to-invest offer for Derby and Nottingham", owner: "derby", start: -200, due: -20, status: "in_progress", progress: 70, rag: "amber", reason: "Waiting for sign-off of the shared brand by both cabinets", milestones: &[("Draft prospectus to partners", -60, true), ("Cabinet sign-off in both cities", -10, false)] },
            DemoAction { title: "China trade and investment mission follow-up", owner: "nottingham", start: -300, due: -30, status: "done", progress: 100, rag: "green", reason: "", milestones: &[("Leads passed to DIT", -90, true)] },
            DemoAction { title: "Supply chain programme for advanced manufacturing SMEs", owner: "d2n2", start: -90, due: 180, status: "in_progress", progress: 35, rag: "green", reason: "", milestones: &[("First cohort of 20 firms", 45, false)] },
        ],
        outcome: ("More investment into the Metro area", "Businesses choose Derby and Nottingham to invest, innovate and grow."),
        measures: &[DemoMeasure { name: "Foreign direct investment projects landed", unit: "projects", direction: "higher", baseline: 12.0, target: 20.0, readings: &[12.0, 14.0, 13.0, 16.0, 17.0] }],
    },
    DemoWorkspace {
        slug: "skills",
        create: None,
        members: &[("derby", "lead"), ("nottingham", "member"), ("uni-derby", "member"), ("d2n2", "member"), ("cad", "observer")],
        author: "staff@derby.example",
        posts: &[("Post-16 transition: employer pledges", "Twelve cornerstone employers have pledged work placements for young people leaving school this summer.")],
        actions: &[
            DemoAction { title: "Map the skills local businesses need in the key sectors", owner: "d2n2", start: -150, due: 30, status: "in_progress", progress: 80, rag: "green", reason: "", milestones: &[("Employer survey closes", -30, true), ("Skills map published", 30, false)] },
            DemoAction { title: "Post-16 transition programme with cornerstone employers", owner: "derby", start: -120, due: -5, status: "blocked", progress: 40, rag: "red", reason: "Funding for the second year has not been confirmed", milestones: &[("Placements agreed with schools", -40, false)] },
            DemoAction { title: "Cover specialist skills as older workers retire: a shared specialist staff pool", owner: "nottingham", start: -60, due: 120, status: "in_progress", progress: 20, rag: "amber", reason: "HR terms for staff shared across councils still being agreed", milestones: &[] },
        ],
        outcome: ("Young people move into work or learning", "Every young person leaves school with a route into work, training or further learning."),
        measures: &[DemoMeasure { name: "16 and 17 year olds not in education, employment or training", unit: "%", direction: "lower", baseline: 6.1, target: 4.5, readings: &[6.1, 5.9, 5.6, 5.7, 5.2] }],
    },
    DemoWorkspace {
        slug: "transport-connectivity",
        create: None,
        members: &[("nottingham", "lead"), ("derby", "lead"), ("derbyshire", "member"), ("nottinghamshire", "member"), ("d2n2", "member")],
        author: "staff@nottingham.example",
        posts: &[
            ("Toton: connectivity study commissioned", "The study of how the proposed **HS2 station at Toton** and East Midlands Airport join up with tram, bus and rail across both cities has started."),
            ("Ticketing between the cities", "More than 40,000 people commute between Derby and Nottingham every day. Operators met to discuss a single fast, affordable ticket."),
        ],
        actions: &[
            DemoAction { title: "Integrate the HS2 station at Toton into the local transport network", owner: "nottinghamshire", start: -400, due: 500, status: "in_progress", progress: 25, rag: "amber", reason: "National decisions on HS2 phasing are still awaited", milestones: &[("Connectivity study report", 60, false), ("Tram extension options appraised", 240, false)] },
            DemoAction { title: "Surface access to East Midlands Airport", owner: "derbyshire", start: -200, due: 300, status: "in_progress", progress: 45, rag: "green", reason: "", milestones: &[("Bus link pilot starts", 20, false)] },
            DemoAction { title: "Fast, affordable ticketing between the two cities", owner: "nottingham", start: -250, due: -15, status: "in_progress", progress: 60, rag: "red", reason: "Operators have not agreed how to share revenue", milestones: &[("Operator agreement", -15, false), ("Fare offer launched", 75, false)] },
        ],
        outcome: ("Faster, cheaper travel between the two cities", "Commuters between Derby and Nottingham choose public transport because it is quick, simple and affordable."),
        measures: &[
            DemoMeasure { name: "Commuters between the cities travelling by public transport", unit: "%", direction: "higher", baseline: 18.0, target: 25.0, readings: &[18.0, 18.5, 19.2, 19.0, 20.1] },
            DemoMeasure { name: "Average peak rail journey time between the cities", unit: "minutes", direction: "lower", baseline: 21.0, target: 18.0, readings: &[21.0, 21.0, 20.0, 20.0] },
        ],
    },
    DemoWorkspace {
        slug: "city-living",
        create: None,
        members: &[("derby", "lead"), ("nottingham", "lead"), ("cad", "member")],
        author: "staff@derby.example",
        posts: &[("Shared leisure and cultural offer", "Residents of either city will be able to use parks, sports facilities, theatres, galleries and museums in both.")],
        actions: &[
            DemoAction { title: "A shared leisure card for residents of both cities", owner: "derby", start: -100, due: 150, status: "in_progress", progress: 30, rag: "green", reason: "", milestones: &[("Card design agreed", 10, false)] },
            DemoAction { title: "A joint events calendar for both cities", owner: "nottingham", start: -200, due: -50, status: "done", progress: 100, rag: "green", reason: "", milestones: &[] },
        ],
        outcome: ("Both cities are great places to live and visit", "Residents make use of what both cities offer."),
        measures: &[DemoMeasure { name: "Visits to venues in the other city by leisure card holders", unit: "visits", direction: "higher", baseline: 0.0, target: 50000.0, readings: &[0.0, 4200.0, 9800.0] }],
    },
    DemoWorkspace {
        slug: "go-ultra-low",
        create: Some(("Go Ultra Low City Programme", "programme", "public")),
        members: &[("nottingham", "lead"), ("derby", "member")],
        author: "staff@nottingham.example",
        posts: &[("£6m OLEV programme: year two", "Led by Nottingham with Derby, the **Go Ultra Low City Programme** uses £6m from the Office for Low Emission Vehicles to drive the uptake of low-emission vehicles and improve sustainable travel.")],
        actions: &[
            DemoAction { title: "Install rapid charge points across both cities", owner: "nottingham", start: -500, due: 200, status: "in_progress", progress: 65, rag: "green", reason: "", milestones: &[("100th charge point live", -30, true), ("200th charge point live", 120, false)] },
            DemoAction { title: "Convert council fleet vans to electric", owner: "derby", start: -300, due: 60, status: "in_progress", progress: 50, rag: "amber", reason: "Vehicle delivery times have slipped by three months", milestones: &[("First 30 vans in service", -20, false)] },
        ],
        outcome: ("More people drive ultra-low emission vehicles", "Charging is easy to find and council fleets lead the way."),
        measures: &[DemoMeasure { name: "Public charge points installed", unit: "charge points", direction: "higher", baseline: 40.0, target: 230.0, readings: &[90.0, 110.0, 128.0, 151.0, 170.0] }],
    },
    DemoWorkspace {
        slug: "em-highways-alliance",
        create: Some(("East Midlands highways alliance", "programme", "members")),
        members: &[("derbyshire", "lead"), ("derby", "member"), ("nottinghamshire", "member"), ("nottingham", "member"), ("leicestershire", "member"), ("leicester", "member"), ("lincolnshire", "member")],
        author: "staff@derbyshire.example",
        posts: &[("Alliance agreed", "The seven councils have agreed to work together on highways and infrastructure across borders. This workspace is for the member councils only.")],
        actions: &[
            DemoAction { title: "Joint procurement of highways maintenance across the seven councils", owner: "derbyshire", start: -60, due: 240, status: "in_progress", progress: 15, rag: "amber", reason: "Contract end dates differ between councils", milestones: &[("Common specification drafted", 40, false)] },
            DemoAction { title: "Shared winter gritting routes across county borders", owner: "nottinghamshire", start: -30, due: 45, status: "not_started", progress: 0, rag: "green", reason: "", milestones: &[] },
        ],
        outcome: ("Highways cost less to keep in good repair", "The alliance buys and works together where that saves money."),
        measures: &[DemoMeasure { name: "Cost per kilometre of resurfacing", unit: "£", direction: "lower", baseline: 52000.0, target: 47000.0, readings: &[52000.0, 51500.0] }],
    },
];

pub fn seed(conn: &mut DbConn) -> AppResult<()> {
    let platform = caller(conn, "platform@metro.example")?;
    let actor = Actor {
        caller: &platform,
        ip: "",
    };
    for demo in WORKSPACES {
        if let Some((name, kind, visibility)) = demo.create {
            let input = WorkspaceInput {
                name: name.into(),
                slug: demo.slug.into(),
                summary: demo.posts[0].1.into(),
                kind: kind.into(),
                visibility: visibility.into(),
            };
            service::create_workspace(conn, &actor, &input)?;
        }
        let ws = access(conn, demo.slug, &platform)?;
        for (org, role) in demo.members {
            let input = MemberInput {
                organisation_id: org_id(conn, org)?.to_string(),
                role: role.to_string(),
            };
            crate::workspaces::members::service::set_member(conn, &actor, &ws, &input)?;
        }
        let author = caller(conn, demo.author)?;
        let as_author = Actor {
            caller: &author,
            ip: "",
        };
        let ws = access(conn, demo.slug, &author)?;
        for (title, body) in demo.posts {
            crate::workspaces::posts::service::create_post(
                conn,
                &as_author,
                &ws,
                &PostInput {
                    title: title.to_string(),
                    body: body.to_string(),
                },
            )?;
        }
        for a in demo.actions {
            let input = ActionInput {
                title: a.title.into(),
                description: String::new(),
                owner_organisation_id: org_id(conn, a.owner)?.to_string(),
                owner_user_id: String::new(),
                start_date: day(a.start),
                due_date: day(a.due),
                status: a.status.into(),
                progress: a.progress.to_string(),
                rag: a.rag.into(),
                rag_reason: a.reason.into(),
            };
            let action_id =
                crate::workspaces::actions::service::create_action(conn, &as_author, &ws, &input)?;
            for (title, due, done) in a.milestones {
                let id = crate::workspaces::actions::service::create_milestone(
                    conn,
                    &as_author,
                    &ws,
                    action_id,
                    &MilestoneInput {
                        title: title.to_string(),
                        due_date: day(*due),
                    },
                )?;
                if *done {
                    crate::workspaces::actions::service::complete_milestone(
                        conn,
                        &as_author,
                        &ws,
                        id,
                        &MilestoneDoneInput {
                            done_date: day(*due - 3),
                        },
                    )?;
                }
            }
        }
        let outcome_id = crate::workspaces::outcomes::service::create_outcome(
            conn,
            &as_author,
            &ws,
            &OutcomeInput {
                title: demo.outcome.0.into(),
                description: demo.outcome.1.into(),
            },
        )?;
        for m in demo.measures {
            let input = MeasureInput {
                outcome_id: outcome_id.to_string(),
                name: m.name.into(),
                unit: m.unit.into(),
                direction: m.direction.into(),
                baseline: m.baseline.to_string(),
                target: m.target.to_string(),
                target_date: day(730),
            };
            let measure_id = crate::workspaces::measures::service::create_measure(
                conn, &as_author, &ws, &input,
            )?;
            let quarters = recent_quarters(m.readings.len() as i32);
            for (quarter, value) in quarters.iter().zip(m.readings.iter()) {
                crate::workspaces::measures::service::record_reading(
                    conn,
                    &as_author,
                    &ws,
                    measure_id,
                    &ReadingInput {
                        quarter: quarter.clone(),
                        value: value.to_string(),
                        note: String::new(),
                    },
                )?;
            }
        }
    }
    Ok(())
}
