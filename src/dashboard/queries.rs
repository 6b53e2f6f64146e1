//! The dashboard's figures, computed from live data as the viewer may see it.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::authz;
use crate::cache::Cache;
use crate::db::{now, DbConn};
use crate::events::Event;
use crate::notifications::view::{view, EventView};
use crate::notifications::visibility::Sight;
use crate::opportunities::model::{financial_year_label, SavingKind, Stage};
use crate::opportunities::queries::{visible, Filter, Totals};
use crate::schema::{
    actions, events, measures, milestones, opportunities, organisations, readings, savings,
};
use crate::workspaces::model::{Action, Measure, Quarter, Reading};
use crate::workspaces::queries as ws_queries;

/// How long without a stage change makes an open opportunity "stuck".
pub const STUCK_DAYS: i64 = 90;
/// How far ahead "milestones due soon" looks.
pub const SOON_DAYS: i64 = 90;

#[derive(Clone, Copy, Debug, Default)]
pub struct DashboardFilter {
    /// Only actions owned by, and savings made by, this organisation.
    pub organisation: Option<i64>,
    /// Only this workspace.
    pub theme: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct RagCounts {
    pub red: i64,
    pub amber: i64,
    pub green: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeasureStatus {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub target: f64,
    /// The latest quarter with a reading, like "2026/27 Q2".
    pub latest_quarter: Option<String>,
    pub latest: Option<f64>,
    /// Whether the latest reading meets the target.
    pub on_target: Option<bool>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ThemeSummary {
    pub slug: String,
    pub name: String,
    /// Open actions (not done or cancelled) by RAG.
    pub rag: RagCounts,
    pub overdue_actions: i64,
    pub overdue_milestones: i64,
    /// Milestones not done and due within the next 90 days.
    pub milestones_due_soon: i64,
    pub measures: Vec<MeasureStatus>,
}

/// Savings in pence by kind.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Amounts {
    pub estimated: i64,
    pub validated: i64,
    pub realised: i64,
}

impl From<Totals> for Amounts {
    fn from(t: Totals) -> Amounts {
        Amounts {
            estimated: t.estimated,
            validated: t.validated,
            realised: t.realised,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Line {
    /// What the row is: a financial year, a stage, an organisation.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub amounts: Amounts,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Pipeline {
    pub total: Amounts,
    pub cashable: Amounts,
    pub non_cashable: Amounts,
    pub by_year: Vec<Line>,
    pub by_stage: Vec<Line>,
    pub by_organisation: Vec<Line>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StuckOpportunity {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub stage: String,
    pub days: i64,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Stuck {
    /// Open opportunities with no stage change for 90 days.
    pub stale: i64,
    /// Opportunities with an open high-severity barrier.
    pub open_high_barriers: i64,
    /// The longest-stuck, up to ten.
    pub longest: Vec<StuckOpportunity>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub themes: Vec<ThemeSummary>,
    pub pipeline: Pipeline,
    pub stuck: Stuck,
    #[schema(value_type = Vec<Object>)]
    pub activity: Vec<EventView>,
}

fn latest(readings: &[Reading], measure: &Measure) -> MeasureStatus {
    let last = readings
        .iter()
        .filter(|r| r.measure_id == measure.id)
        .max_by_key(|r| (r.year, r.quarter));
    let on_target = last.map(|r| {
        if measure.direction == "lower" {
            r.value <= measure.target
        } else {
            r.value >= measure.target
        }
    });
    MeasureStatus {
        id: measure.id,
        name: measure.name.clone(),
        unit: measure.unit.clone(),
        direction: measure.direction.to_string(),
        target: measure.target,
        latest_quarter: last.map(|r| {
            Quarter {
                year: r.year,
                quarter: r.quarter,
            }
            .label()
        }),
        latest: last.map(|r| r.value),
        on_target,
    }
}

fn themes(
    conn: &mut DbConn,
    caller: &Caller,
    f: DashboardFilter,
    today: NaiveDate,
) -> QueryResult<Vec<ThemeSummary>> {
    let shown: Vec<_> = ws_queries::list_visible(conn, Some(caller))?
        .into_iter()
        .map(|a| a.ws)
        .filter(|ws| !ws.is_archived() && f.theme.is_none_or(|t| t == ws.id))
        .collect();
    let ws_ids: Vec<i64> = shown.iter().map(|w| w.id).collect();
    // One query per kind of thing for all the workspaces shown, not one per workspace.
    let mut query = actions::table
        .filter(actions::workspace_id.eq_any(&ws_ids))
        .select(Action::as_select())
        .into_boxed();
    if let Some(org) = f.organisation {
        query = query.filter(actions::owner_organisation_id.eq(org));
    }
    let all_actions: Vec<Action> = query.load(conn)?;
    let action_ids: Vec<i64> = all_actions.iter().map(|a| a.id).collect();
    let mut open_milestones: Vec<(i64, NaiveDate)> = Vec::new();
    for chunk in action_ids.chunks(5000) {
        open_milestones.extend(
            milestones::table
                .filter(milestones::action_id.eq_any(chunk))
                .filter(milestones::done_date.is_null())
                .select((milestones::action_id, milestones::due_date))
                .load::<(i64, NaiveDate)>(conn)?,
        );
    }
    let all_measures: Vec<Measure> = measures::table
        .filter(measures::workspace_id.eq_any(&ws_ids))
        .order(measures::id.asc())
        .select(Measure::as_select())
        .load(conn)?;
    let measure_ids: Vec<i64> = all_measures.iter().map(|m| m.id).collect();
    let all_readings: Vec<Reading> = readings::table
        .filter(readings::measure_id.eq_any(&measure_ids))
        .select(Reading::as_select())
        .load(conn)?;
    let soon = today + Duration::days(SOON_DAYS);
    Ok(shown
        .into_iter()
        .map(|ws| {
            let list: Vec<&Action> = all_actions
                .iter()
                .filter(|a| a.workspace_id == ws.id)
                .collect();
            let mut rag = RagCounts::default();
            for a in list.iter().filter(|a| a.status.is_open()) {
                match a.rag.as_str() {
                    "red" => rag.red += 1,
                    "amber" => rag.amber += 1,
                    _ => rag.green += 1,
                }
            }
            let due: Vec<NaiveDate> = open_milestones
                .iter()
                .filter(|(action, _)| list.iter().any(|a| a.id == *action))
                .map(|(_, d)| *d)
                .collect();
            ThemeSummary {
                overdue_actions: list.iter().filter(|a| a.is_overdue(today)).count() as i64,
                overdue_milestones: due.iter().filter(|d| **d < today).count() as i64,
                milestones_due_soon: due.iter().filter(|d| **d >= today && **d <= soon).count()
                    as i64,
                measures: all_measures
                    .iter()
                    .filter(|m| m.workspace_id == ws.id)
                    .map(|m| latest(&all_readings, m))
                    .collect(),
                slug: ws.slug,
                name: ws.name,
                rag,
            }
        })
        .collect())
}

fn register_filter(f: DashboardFilter) -> Filter {
    Filter {
        theme: f.theme,
        ..Filter::default()
    }
}

/// One group of savings summed by the database: stage, year, kind, cashable, organisation
/// and pence.
type SavingGroup = (Stage, i32, SavingKind, bool, i64, i64);

/// The savings the caller can see, summed by the database, grouped finely enough for every
/// table on the page.
fn saving_groups(
    conn: &mut DbConn,
    caller: &Caller,
    f: DashboardFilter,
) -> QueryResult<Vec<SavingGroup>> {
    let mut query = savings::table
        .inner_join(opportunities::table)
        .group_by((
            opportunities::stage,
            savings::financial_year,
            savings::kind,
            savings::cashable,
            savings::organisation_id,
        ))
        .select((
            opportunities::stage,
            savings::financial_year,
            savings::kind,
            savings::cashable,
            savings::organisation_id,
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "CAST(SUM(savings.amount_pence) AS BIGINT)",
            ),
        ))
        .filter(authz::visible_opportunities(Some(caller)))
        .into_boxed();
    if let Some(theme) = f.theme {
        query = query.filter(opportunities::workspace_id.eq(theme));
    }
    if let Some(org) = f.organisation {
        query = query.filter(savings::organisation_id.eq(org));
    }
    query.load(conn)
}

/// The pipeline's totals, added up by year, stage and organisation.
#[derive(Default)]
struct Sums {
    total: Totals,
    cashable: Totals,
    non_cashable: Totals,
    years: BTreeMap<i32, Totals>,
    stages: BTreeMap<usize, (Stage, Totals)>,
    orgs: BTreeMap<String, (i64, Totals)>,
}

fn sum(rows: Vec<SavingGroup>, names: &BTreeMap<i64, String>) -> Sums {
    let mut s = Sums::default();
    for (stage, year, kind, cashable, org, pence) in rows {
        let add = |t: &mut Totals| t.add(kind, cashable, pence, 0);
        add(&mut s.total);
        add(if cashable {
            &mut s.cashable
        } else {
            &mut s.non_cashable
        });
        add(s.years.entry(year).or_default());
        let order = Stage::ALL.iter().position(|x| *x == stage).unwrap_or(0);
        add(&mut s
            .stages
            .entry(order)
            .or_insert((stage, Totals::default()))
            .1);
        let name = names.get(&org).cloned().unwrap_or_default();
        add(&mut s.orgs.entry(name).or_insert((org, Totals::default())).1);
    }
    s
}

fn pipeline(conn: &mut DbConn, caller: &Caller, f: DashboardFilter) -> QueryResult<Pipeline> {
    let rows = saving_groups(conn, caller, f)?;
    let names: BTreeMap<i64, String> = organisations::table
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let s = sum(rows, &names);
    Ok(Pipeline {
        total: Amounts::from(s.total),
        cashable: Amounts::from(s.cashable),
        non_cashable: Amounts::from(s.non_cashable),
        by_year: s
            .years
            .into_iter()
            .map(|(y, amounts)| Line {
                key: y.to_string(),
                label: financial_year_label(y),
                amounts: amounts.into(),
            })
            .collect(),
        by_stage: s
            .stages
            .into_values()
            .map(|(s, amounts)| Line {
                key: s.as_str().into(),
                label: s.label().into(),
                amounts: amounts.into(),
            })
            .collect(),
        by_organisation: s
            .orgs
            .into_iter()
            .map(|(name, (id, amounts))| Line {
                key: id.to_string(),
                label: name,
                amounts: amounts.into(),
            })
            .collect(),
    })
}

fn stuck(conn: &mut DbConn, caller: &Caller, f: DashboardFilter) -> QueryResult<Stuck> {
    let mut stale_filter = register_filter(f);
    stale_filter.lead = f.organisation;
    stale_filter.stale_days = Some(STUCK_DAYS);
    let stale_count: i64 = visible(conn, Some(caller), &stale_filter)
        .count()
        .get_result(conn)?;
    let stale: Vec<(i64, String, String, String, chrono::NaiveDateTime)> =
        visible(conn, Some(caller), &stale_filter)
            .limit(10)
            .order((
                opportunities::stage_changed_at.asc(),
                opportunities::id.asc(),
            ))
            .select((
                opportunities::id,
                opportunities::reference,
                opportunities::title,
                opportunities::stage,
                opportunities::stage_changed_at,
            ))
            .load(conn)?;
    let mut barrier_filter = register_filter(f);
    barrier_filter.lead = f.organisation;
    barrier_filter.open_high_barriers = true;
    let open_high: i64 = visible(conn, Some(caller), &barrier_filter)
        .count()
        .get_result(conn)?;
    let at = now();
    Ok(Stuck {
        stale: stale_count,
        open_high_barriers: open_high,
        longest: stale
            .into_iter()
            .map(|(id, reference, title, stage, changed)| StuckOpportunity {
                id,
                reference,
                title,
                stage: Stage::parse(&stage)
                    .map(Stage::label)
                    .unwrap_or("")
                    .to_string(),
                days: (at - changed).num_days(),
            })
            .collect(),
    })
}

/// The latest events the viewer may see, up to `limit`.
fn activity(
    conn: &mut DbConn,
    caller: &Caller,
    f: DashboardFilter,
    limit: usize,
) -> QueryResult<Vec<EventView>> {
    let mut query = events::table
        .order(events::id.desc())
        .limit(300)
        .select(Event::as_select())
        .into_boxed();
    if let Some(theme) = f.theme {
        query = query.filter(events::workspace_id.eq(theme));
    }
    if let Some(org) = f.organisation {
        query = query.filter(events::organisation_id.eq(org));
    }
    let recent: Vec<Event> = query.load(conn)?;
    let mut sight = Sight::default();
    sight.preload(conn, &recent)?;
    let mut out = Vec::new();
    for event in recent {
        if out.len() >= limit {
            break;
        }
        if sight.can_see(conn, Some(caller), &event)? {
            out.push(view(conn, &mut sight, &event)?);
        }
    }
    Ok(out)
}

/// The dashboard, kept until the data changes or the hour turns (overdue and stuck are
/// measured in days, so an hour is the most a kept one can lag the clock). It depends on
/// the viewer only through their organisation and role.
pub fn dashboard_cached(
    conn: &mut DbConn,
    (cache, version): (&Cache, i64),
    caller: &Caller,
    f: DashboardFilter,
) -> QueryResult<Dashboard> {
    let key = (
        caller.organisation_id,
        caller.role,
        format!("{f:?}@{}", now().format("%Y-%m-%dT%H")),
    );
    cache
        .kept::<Dashboards>()
        .get_or_try(version, key, || dashboard(conn, caller, f))
}

pub fn dashboard(conn: &mut DbConn, caller: &Caller, f: DashboardFilter) -> QueryResult<Dashboard> {
    let today = now().date();
    Ok(Dashboard {
        themes: themes(conn, caller, f, today)?,
        pipeline: pipeline(conn, caller, f)?,
        stuck: stuck(conn, caller, f)?,
        activity: activity(conn, caller, f, 10)?,
    })
}

/// Leaders' dashboards, kept by organisation, role, filter and hour.
pub struct Dashboards;

impl crate::cache::Keep for Dashboards {
    type Key = (i64, crate::identity::Role, String);
    type Value = Dashboard;
    fn store() -> crate::cache::Versioned<Self::Key, Self::Value> {
        crate::cache::Versioned::new(500)
    }
}
