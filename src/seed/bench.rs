//! `metro-portal seed-bench`: a large, realistic data set for load tests — tens of
//! organisations, thousands of people, ten thousand opportunities with savings, barriers and
//! history, and a hundred thousand events and notifications. Written in batches, straight
//! to the tables (no fan-out jobs), into an empty database.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::opportunities::model::{OpportunityKind, ServiceArea, Stage};
use crate::organisations::{self, OrgKind};
use crate::schema::{
    actions, barriers, events, measures, milestones, notifications, opportunities,
    opportunity_partners, opportunity_transitions, outcomes, posts, readings, savings,
    subscriptions, users, workspace_members, workspaces,
};

/// How much to make.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub organisations: usize,
    pub users: usize,
    pub workspaces: usize,
    pub opportunities: usize,
    pub events: usize,
}

impl Default for Size {
    fn default() -> Size {
        Size {
            organisations: 60,
            users: 2_000,
            workspaces: 20,
            opportunities: 10_000,
            events: 100_000,
        }
    }
}

/// Rows written in one statement: under SQLite's limit on bound values.
const BATCH: usize = 400;

/// Inserts a batch of rows on either engine.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConn::Pg(c) => diesel::insert_into($table).values($rows).execute(c),
            DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

const PLACES: &[&str] = &[
    "Derby",
    "Nottingham",
    "Erewash",
    "Broxtowe",
    "Gedling",
    "Amber Valley",
    "Rushcliffe",
    "Ashfield",
    "Bolsover",
    "Mansfield",
    "South Derbyshire",
    "High Peak",
    "Chesterfield",
    "Newark",
    "Bassetlaw",
];
const SERVICES: &[&str] = &[
    "legal services",
    "payroll",
    "procurement team",
    "ICT service desk",
    "building control",
    "pest control",
    "fleet maintenance",
    "trading standards",
    "occupational health",
    "internal audit",
    "school admissions",
    "parking enforcement",
    "revenues and benefits",
    "emergency planning",
    "archives",
    "translation service",
    "grounds maintenance",
    "licensing",
];
const KINDS: &[OrgKind] = &[
    OrgKind::CityCouncil,
    OrgKind::CountyCouncil,
    OrgKind::Nhs,
    OrgKind::Education,
    OrgKind::Business,
    OrgKind::Voluntary,
    OrgKind::Other,
];
const EVENT_KINDS: &[&str] = &[
    "opportunity.moved",
    "opportunity.saving_added",
    "opportunity.commented",
    "opportunity.barrier_added",
    "post.created",
    "action.rag_changed",
    "reading.recorded",
];

/// What was made.
#[derive(Debug, Default)]
pub struct Seeded {
    pub organisations: usize,
    pub users: usize,
    pub opportunities: usize,
    pub events: usize,
    pub notifications: usize,
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn ago(rng: &mut StdRng, at: NaiveDateTime, days: i64) -> NaiveDateTime {
    at - Duration::minutes(rng.gen_range(0..days * 24 * 60))
}

/// Fills an empty database. `progress(step, done, total)` is called as work is done.
pub fn seed(
    conn: &mut DbConn,
    size: Size,
    password_hash: &str,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> AppResult<Seeded> {
    if organisations::queries::count(conn)? > 0 {
        return Err(AppError::Conflict(
            "seed-bench fills an empty database only".into(),
        ));
    }
    let mut rng = StdRng::seed_from_u64(2030);
    let at = now();
    let mut seeded = Seeded::default();

    // Organisations and people.
    let mut orgs: Vec<(i64, OrgKind)> = Vec::new();
    write_tx(conn, |conn| {
        for n in 0..size.organisations {
            let kind = KINDS[n % KINDS.len()];
            let name = format!("{} {}", PLACES[n % PLACES.len()], kind.label());
            let id = organisations::queries::insert(
                conn,
                &format!("{name} {n}"),
                &format!("bench-org-{n:03}"),
                kind,
            )?;
            orgs.push((id, kind));
        }
        Ok::<_, AppError>(())
    })?;
    seeded.organisations = orgs.len();
    progress("organisations", orgs.len(), size.organisations);
    let mut people: Vec<(i64, i64)> = Vec::new();
    for chunk_start in (0..size.users).step_by(BATCH) {
        let rows: Vec<_> = (chunk_start..(chunk_start + BATCH).min(size.users))
            .map(|n| {
                let (org, kind) = orgs[n % orgs.len()];
                let role = match (n / orgs.len(), kind.is_council()) {
                    (0, _) => "org_admin",
                    (1, true) => "leader",
                    (_, true) => "staff",
                    (_, false) => "partner",
                };
                (
                    users::organisation_id.eq(org),
                    users::email.eq(format!("person-{n:05}@bench.example")),
                    users::name.eq(format!("Bench Person {n}")),
                    users::role.eq(role),
                    users::status.eq("active"),
                    users::password_hash.eq(password_hash),
                    users::created_at.eq(at),
                )
            })
            .collect();
        write_tx(conn, |conn| {
            Ok::<_, AppError>(insert_rows!(conn, users::table, &rows)?)
        })?;
        progress("people", (chunk_start + BATCH).min(size.users), size.users);
    }
    let person_rows: Vec<(i64, i64)> = users::table
        .select((users::id, users::organisation_id))
        .load(conn)?;
    people.extend(person_rows);
    seeded.users = people.len();

    // Workspaces: the four themes and programmes, with members, actions and measures.
    let existing: i64 = workspaces::table.count().get_result(conn)?;
    for n in existing as usize..size.workspaces {
        let visibility = ["partners", "public", "members"][n % 3];
        diesel::insert_into(workspaces::table)
            .values((
                workspaces::slug.eq(format!("bench-programme-{n:02}")),
                workspaces::name.eq(format!("{} {} programme", pick(&mut rng, PLACES), n)),
                workspaces::summary.eq("A joint programme of the Metro partners."),
                workspaces::kind.eq("programme"),
                workspaces::visibility.eq(visibility),
                workspaces::created_at.eq(at),
                workspaces::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    let ws_ids: Vec<i64> = workspaces::table.select(workspaces::id).load(conn)?;
    for (i, ws) in ws_ids.iter().enumerate() {
        write_tx(conn, |conn| {
            let mut chosen: Vec<i64> = Vec::new();
            while chosen.len() < 8.min(orgs.len()) {
                let org = pick(&mut rng, &orgs).0;
                if !chosen.contains(&org) {
                    chosen.push(org);
                }
            }
            let members: Vec<_> = chosen
                .iter()
                .enumerate()
                .map(|(k, org)| {
                    (
                        workspace_members::workspace_id.eq(*ws),
                        workspace_members::organisation_id.eq(*org),
                        workspace_members::role.eq(if k < 2 { "lead" } else { "member" }),
                        workspace_members::created_at.eq(at),
                    )
                })
                .collect();
            insert_rows!(conn, workspace_members::table, &members)?;
            let author = people
                .iter()
                .find(|(_, org)| *org == chosen[0])
                .map(|(u, _)| *u)
                .unwrap_or(people[0].0);
            let action_rows: Vec<_> = (0..20)
                .map(|k| {
                    let due = at.date() + Duration::days(rng.gen_range(-200..400));
                    (
                        actions::workspace_id.eq(*ws),
                        actions::title.eq(format!(
                            "Joint action {k} for the {}",
                            pick(&mut rng, SERVICES)
                        )),
                        actions::description.eq(""),
                        actions::owner_organisation_id.eq(chosen[k % chosen.len()]),
                        actions::due_date.eq(Some(due)),
                        actions::status.eq(*pick(
                            &mut rng,
                            &[
                                "not_started",
                                "in_progress",
                                "in_progress",
                                "blocked",
                                "done",
                            ],
                        )),
                        actions::progress.eq(rng.gen_range(0..=100)),
                        actions::rag.eq(*pick(&mut rng, &["red", "amber", "green", "green"])),
                        actions::rag_reason.eq("Waiting on partners"),
                        actions::created_at.eq(at),
                        actions::updated_at.eq(at),
                    )
                })
                .collect();
            insert_rows!(conn, actions::table, &action_rows)?;
            let action_ids: Vec<i64> = actions::table
                .filter(actions::workspace_id.eq(*ws))
                .select(actions::id)
                .load(conn)?;
            let milestone_rows: Vec<_> = action_ids
                .iter()
                .flat_map(|a| [0, 1].map(move |k| (*a, k)))
                .map(|(a, k)| {
                    let due = at.date() + Duration::days(rng.gen_range(-120..180));
                    (
                        milestones::action_id.eq(a),
                        milestones::title.eq(format!("Milestone {k}")),
                        milestones::due_date.eq(due),
                        milestones::done_date
                            .eq((due < at.date() && rng.gen_bool(0.6)).then_some(due)),
                        milestones::created_at.eq(at),
                    )
                })
                .collect();
            insert_rows!(conn, milestones::table, &milestone_rows)?;
            let post_rows: Vec<_> = (0..10)
                .map(|k| {
                    let when = ago(&mut rng, at, 700);
                    (
                        posts::workspace_id.eq(*ws),
                        posts::author_user_id.eq(author),
                        posts::organisation_id.eq(chosen[0]),
                        posts::title.eq(format!("Update {k} on the {}", pick(&mut rng, SERVICES))),
                        posts::body.eq(
                            "Progress this quarter, with **next steps** agreed by the partners.",
                        ),
                        posts::created_at.eq(when),
                        posts::updated_at.eq(when),
                    )
                })
                .collect();
            insert_rows!(conn, posts::table, &post_rows)?;
            for k in 0..3 {
                let outcome: i64 = diesel::insert_into(outcomes::table)
                    .values((
                        outcomes::workspace_id.eq(*ws),
                        outcomes::title.eq(format!("Outcome {k}")),
                        outcomes::description.eq(""),
                        outcomes::created_at.eq(at),
                    ))
                    .returning(outcomes::id)
                    .get_result(conn)?;
                let measure: i64 = diesel::insert_into(measures::table)
                    .values((
                        measures::outcome_id.eq(outcome),
                        measures::workspace_id.eq(*ws),
                        measures::name.eq(format!("Measure {k}")),
                        measures::unit.eq("%"),
                        measures::direction.eq("higher"),
                        measures::baseline.eq(20.0),
                        measures::target.eq(40.0),
                        measures::target_date.eq(at.date() + Duration::days(700)),
                        measures::created_at.eq(at),
                    ))
                    .returning(measures::id)
                    .get_result(conn)?;
                let reading_rows: Vec<_> = (0..8)
                    .map(|q| {
                        (
                            readings::measure_id.eq(measure),
                            readings::year.eq(2024 + q / 4),
                            readings::quarter.eq(q % 4 + 1),
                            readings::value
                                .eq(20.0 + f64::from(q) * 2.0 + rng.gen_range(-1.0..1.0)),
                            readings::note.eq(""),
                            readings::recorded_by.eq(author),
                            readings::created_at.eq(at),
                        )
                    })
                    .collect();
                insert_rows!(conn, readings::table, &reading_rows)?;
            }
            Ok::<_, AppError>(())
        })?;
        progress("workspaces", i + 1, ws_ids.len());
    }

    // Opportunities with partners, savings, barriers and their history.
    let areas = ServiceArea::ALL;
    let kinds = OpportunityKind::ALL;
    for chunk_start in (0..size.opportunities).step_by(BATCH) {
        let end = (chunk_start + BATCH).min(size.opportunities);
        write_tx(conn, |conn| {
            let rows: Vec<_> = (chunk_start..end)
                .map(|n| {
                    let (lead, _) = *pick(&mut rng, &orgs);
                    let creator = people.iter().find(|(_, o)| *o == lead).map(|(u, _)| *u).unwrap_or(people[0].0);
                    let created = ago(&mut rng, at, 1000);
                    let visibility = *pick(&mut rng, &["partnership", "partnership", "partnership", "public", "draft"]);
                    (
                        opportunities::reference.eq(format!("OPP-{:05}", n + 1)),
                        opportunities::title.eq(format!("Shared {} for {} and {}", pick(&mut rng, SERVICES), pick(&mut rng, PLACES), pick(&mut rng, PLACES))),
                        opportunities::summary.eq("One team serving several councils, with a single contract and shared specialist staff."),
                        opportunities::service_area.eq(pick(&mut rng, areas).as_str()),
                        opportunities::kind.eq(pick(&mut rng, kinds).as_str()),
                        opportunities::lead_organisation_id.eq(lead),
                        opportunities::workspace_id.eq(rng.gen_bool(0.6).then(|| *pick(&mut rng, &ws_ids))),
                        opportunities::visibility.eq(visibility),
                        opportunities::stage.eq(pick(&mut rng, Stage::ALL).as_str()),
                        opportunities::stage_changed_at.eq(created + Duration::days(rng.gen_range(0..200))),
                        opportunities::created_by.eq(creator),
                        opportunities::created_at.eq(created),
                        opportunities::updated_at.eq(created),
                    )
                })
                .collect();
            insert_rows!(conn, opportunities::table, &rows)?;
            let made: Vec<(i64, i64, i64)> = opportunities::table
                .order(opportunities::id.desc())
                .limit((end - chunk_start) as i64)
                .select((
                    opportunities::id,
                    opportunities::lead_organisation_id,
                    opportunities::created_by,
                ))
                .load(conn)?;
            let mut partner_rows = Vec::new();
            let mut saving_rows = Vec::new();
            let mut barrier_rows = Vec::new();
            let mut transition_rows = Vec::new();
            for (id, lead, creator) in &made {
                let mut partners: Vec<i64> = Vec::new();
                for _ in 0..rng.gen_range(0..4) {
                    let org = pick(&mut rng, &orgs).0;
                    if org != *lead && !partners.contains(&org) {
                        partners.push(org);
                    }
                }
                for org in &partners {
                    partner_rows.push((
                        opportunity_partners::opportunity_id.eq(*id),
                        opportunity_partners::organisation_id.eq(*org),
                    ));
                }
                for k in 0..rng.gen_range(1..4) {
                    saving_rows.push((
                        savings::opportunity_id.eq(*id),
                        savings::financial_year.eq(2024 + k),
                        savings::kind.eq(*pick(
                            &mut rng,
                            &["estimated", "estimated", "validated", "realised"],
                        )),
                        savings::cashable.eq(rng.gen_bool(0.7)),
                        savings::organisation_id.eq(*lead),
                        savings::amount_pence.eq(rng.gen_range(100_000..50_000_000_i64)),
                        savings::one_off_cost_pence.eq(0i64),
                        savings::note.eq(""),
                        savings::created_by.eq(*creator),
                        savings::created_at.eq(at),
                    ));
                }
                for _ in 0..rng.gen_range(0..3) {
                    barrier_rows.push((
                        barriers::opportunity_id.eq(*id),
                        barriers::category.eq(*pick(
                            &mut rng,
                            &["legal", "hr_tupe", "it_data", "governance", "finance"],
                        )),
                        barriers::description.eq(format!(
                            "{} to agree between partners",
                            pick(
                                &mut rng,
                                &[
                                    "TUPE transfer",
                                    "Data sharing",
                                    "Different IT systems",
                                    "Governance"
                                ]
                            )
                        )),
                        barriers::severity.eq(*pick(&mut rng, &["low", "medium", "high"])),
                        barriers::owner.eq(""),
                        barriers::status
                            .eq(*pick(&mut rng, &["open", "open", "mitigated", "closed"])),
                        barriers::mitigation.eq(""),
                        barriers::created_at.eq(at),
                        barriers::updated_at.eq(at),
                    ));
                }
                for k in 0..rng.gen_range(1..4) {
                    let stages = Stage::ALL;
                    transition_rows.push((
                        opportunity_transitions::opportunity_id.eq(*id),
                        opportunity_transitions::from_stage.eq(stages[k].as_str()),
                        opportunity_transitions::to_stage.eq(stages[k + 1].as_str()),
                        opportunity_transitions::note.eq(""),
                        opportunity_transitions::actor_user_id.eq(*creator),
                        opportunity_transitions::created_at.eq(ago(&mut rng, at, 900)),
                    ));
                }
            }
            for rows in partner_rows.chunks(BATCH) {
                insert_rows!(conn, opportunity_partners::table, rows)?;
            }
            for rows in saving_rows.chunks(BATCH) {
                insert_rows!(conn, savings::table, rows)?;
            }
            for rows in barrier_rows.chunks(BATCH) {
                insert_rows!(conn, barriers::table, rows)?;
            }
            for rows in transition_rows.chunks(BATCH) {
                insert_rows!(conn, opportunity_transitions::table, rows)?;
            }
            for (id, _, _) in &made {
                crate::opportunities::search::reindex(conn, *id)?;
            }
            Ok::<_, AppError>(())
        })?;
        progress("opportunities", end, size.opportunities);
    }
    seeded.opportunities = size.opportunities;

    // Events over three years, and an inbox entry for each.
    let opp_ids: Vec<(i64, String)> = opportunities::table
        .select((opportunities::id, opportunities::visibility))
        .load(conn)?;
    let per_event_people = people.len().max(1);
    for chunk_start in (0..size.events).step_by(BATCH) {
        let end = (chunk_start + BATCH).min(size.events);
        write_tx(conn, |conn| {
            let rows: Vec<_> = (chunk_start..end)
                .map(|n| {
                    let kind = EVENT_KINDS[n % EVENT_KINDS.len()];
                    let (actor, org) = people[n % per_event_people];
                    let when = at - Duration::minutes(((size.events - n) as i64) * 15);
                    if kind.starts_with("opportunity.") {
                        let (id, visibility) = pick(&mut rng, &opp_ids);
                        (
                            events::kind.eq(kind),
                            events::actor_user_id.eq(Some(actor)),
                            events::organisation_id.eq(Some(org)),
                            events::target_kind.eq("opportunity"),
                            events::target_id.eq(id.to_string()),
                            events::workspace_id.eq(None::<i64>),
                            events::visibility.eq(if visibility == "partnership" { "partners".to_string() } else { visibility.clone() }),
                            events::payload.eq(json!({ "title": format!("Opportunity {id}"), "reference": format!("OPP-{id:05}"), "actor": "Bench Person", "organisation": "Bench" }).to_string()),
                            events::created_at.eq(when),
                        )
                    } else {
                        let ws = *pick(&mut rng, &ws_ids);
                        (
                            events::kind.eq(kind),
                            events::actor_user_id.eq(Some(actor)),
                            events::organisation_id.eq(Some(org)),
                            events::target_kind.eq("workspace"),
                            events::target_id.eq(ws.to_string()),
                            events::workspace_id.eq(Some(ws)),
                            events::visibility.eq("partners".to_string()),
                            events::payload.eq(json!({ "title": format!("Workspace news {n}"), "actor": "Bench Person", "organisation": "Bench" }).to_string()),
                            events::created_at.eq(when),
                        )
                    }
                })
                .collect();
            insert_rows!(conn, events::table, &rows)?;
            let made: Vec<(i64, NaiveDateTime)> = events::table
                .order(events::id.desc())
                .limit((end - chunk_start) as i64)
                .select((events::id, events::created_at))
                .load(conn)?;
            let notes: Vec<_> = made
                .iter()
                .map(|(event, when)| {
                    let (user, _) = *pick(&mut rng, &people);
                    (
                        notifications::user_id.eq(user),
                        notifications::event_id.eq(*event),
                        notifications::reason.eq("because your organisation follows the register"),
                        notifications::delivery.eq("inbox"),
                        notifications::read_at.eq(rng.gen_bool(0.7).then_some(*when)),
                        notifications::created_at.eq(*when),
                    )
                })
                .collect();
            insert_rows!(conn, notifications::table, &notes)?;
            Ok::<_, AppError>(())
        })?;
        progress("events and notifications", end, size.events);
    }
    seeded.events = size.events;
    seeded.notifications = size.events;

    // Whole organisations follow the register and their workspaces.
    write_tx(conn, |conn| {
        let (admin, _) = people[0];
        let rows: Vec<_> = orgs
            .iter()
            .map(|(org, _)| {
                (
                    subscriptions::organisation_id.eq(*org),
                    subscriptions::target_kind.eq("register"),
                    subscriptions::delivery.eq("default"),
                    subscriptions::created_by.eq(admin),
                    subscriptions::created_at.eq(at),
                )
            })
            .collect();
        Ok::<_, AppError>(insert_rows!(conn, subscriptions::table, &rows)?)
    })?;
    Ok(seeded)
}
