//! What the dashboard page shows, as typed views: each theme's RAG and measures, the
//! savings pipeline in pounds, and what is stuck, every figure linking to its list.

use serde::Serialize;

use super::chart;
use super::queries::STUCK_DAYS;
use super::queries::{Amounts, Dashboard, DashboardFilter, Line, StuckOpportunity, ThemeSummary};
use crate::notifications::view::EventView;
use crate::opportunities::model::format_pence;
use crate::web::Choice;
use crate::workspaces::chart::format_number;

/// Savings in pounds.
#[derive(Serialize)]
struct Money {
    estimated: String,
    validated: String,
    realised: String,
}

impl From<&Amounts> for Money {
    fn from(a: &Amounts) -> Money {
        Money {
            estimated: format_pence(a.estimated),
            validated: format_pence(a.validated),
            realised: format_pence(a.realised),
        }
    }
}

/// A row of a savings table, with the register list it stands for where there is one.
#[derive(Serialize)]
struct MoneyLine {
    key: String,
    label: String,
    #[serde(flatten)]
    money: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
}

fn money_line(line: &Line, href: Option<String>) -> MoneyLine {
    MoneyLine {
        key: line.key.clone(),
        label: line.label.clone(),
        money: Money::from(&line.amounts),
        href,
    }
}

#[derive(Serialize)]
struct MeasureLine {
    name: String,
    unit: String,
    href: String,
    target: String,
    latest: Option<String>,
    quarter: Option<String>,
    on_target: Option<bool>,
}

/// A theme's line: open actions by RAG, what is overdue, and its measures.
#[derive(Serialize)]
struct ThemeLine {
    name: String,
    href: String,
    red: i64,
    amber: i64,
    green: i64,
    red_href: String,
    amber_href: String,
    green_href: String,
    overdue: i64,
    overdue_href: String,
    overdue_milestones: i64,
    milestones_due_soon: i64,
    milestones_href: String,
    measures: Vec<MeasureLine>,
}

/// Actions links narrow to the organisation's own actions when the dashboard does.
fn theme_line(t: &ThemeSummary, owner: &str) -> ThemeLine {
    let base = format!("/workspaces/{}", t.slug);
    let actions = |rag: &str| format!("{base}/actions?rag={rag}&open=1{owner}");
    ThemeLine {
        name: t.name.clone(),
        red: t.rag.red,
        amber: t.rag.amber,
        green: t.rag.green,
        red_href: actions("red"),
        amber_href: actions("amber"),
        green_href: actions("green"),
        overdue: t.overdue_actions,
        overdue_href: format!("{base}/actions?overdue=1{owner}"),
        overdue_milestones: t.overdue_milestones,
        milestones_due_soon: t.milestones_due_soon,
        milestones_href: format!("{base}#milestones"),
        measures: t
            .measures
            .iter()
            .map(|m| MeasureLine {
                name: m.name.clone(),
                unit: m.unit.clone(),
                href: format!("{base}/measures/{}", m.id),
                target: format_number(m.target),
                latest: m.latest.map(format_number),
                quarter: m.latest_quarter.clone(),
                on_target: m.on_target,
            })
            .collect(),
        href: base,
    }
}

/// The filter as it was asked for.
#[derive(Serialize)]
pub(super) struct Asked {
    pub organisation: Option<String>,
    pub theme: Option<String>,
}

#[derive(Serialize)]
pub(super) struct DashboardView {
    title: &'static str,
    themes: Vec<ThemeLine>,
    rag_chart: String,
    savings_chart: String,
    total: Money,
    cashable: Money,
    non_cashable: Money,
    by_year: Vec<MoneyLine>,
    by_stage: Vec<MoneyLine>,
    by_organisation: Vec<MoneyLine>,
    register_href: String,
    stale: i64,
    stale_href: String,
    stuck_days: i64,
    open_high: i64,
    open_high_href: String,
    longest: Vec<StuckOpportunity>,
    activity: Vec<EventView>,
    query: Asked,
    organisations: Vec<Choice>,
    workspaces: Vec<Choice>,
}

/// The choices for the filter: organisations and the workspaces the viewer can see.
pub(super) struct Choices {
    pub organisations: Vec<Choice>,
    pub workspaces: Vec<Choice>,
}

pub(super) fn dashboard(
    d: &Dashboard,
    f: DashboardFilter,
    query: Asked,
    choices: Choices,
) -> DashboardView {
    // Register links carry the same narrowing as the dashboard.
    let mut narrowing = String::new();
    if let Some(org) = f.organisation {
        narrowing.push_str(&format!("&lead={org}"));
    }
    if let Some(theme) = f.theme {
        narrowing.push_str(&format!("&theme={theme}"));
    }
    let owner = f
        .organisation
        .map(|o| format!("&owner={o}"))
        .unwrap_or_default();
    let theme = f.theme.map(|t| format!("&theme={t}")).unwrap_or_default();
    let p = &d.pipeline;
    DashboardView {
        title: "Joint progress",
        themes: d.themes.iter().map(|t| theme_line(t, &owner)).collect(),
        rag_chart: chart::rag_by_theme("rag-chart", &d.themes),
        savings_chart: chart::savings_by_year("savings-chart", &p.by_year),
        total: Money::from(&p.total),
        cashable: Money::from(&p.cashable),
        non_cashable: Money::from(&p.non_cashable),
        by_year: p.by_year.iter().map(|l| money_line(l, None)).collect(),
        by_stage: p
            .by_stage
            .iter()
            .map(|l| {
                money_line(
                    l,
                    Some(format!("/opportunities?stage={}{narrowing}", l.key)),
                )
            })
            .collect(),
        by_organisation: p
            .by_organisation
            .iter()
            .map(|l| money_line(l, Some(format!("/opportunities?partner={}{theme}", l.key))))
            .collect(),
        register_href: format!("/opportunities?sort=savings{narrowing}"),
        stale: d.stuck.stale,
        stale_href: format!("/opportunities?stale={STUCK_DAYS}{narrowing}"),
        stuck_days: STUCK_DAYS,
        open_high: d.stuck.open_high_barriers,
        open_high_href: format!("/opportunities?barriers=open_high{narrowing}"),
        longest: d.stuck.longest.clone(),
        activity: d.activity.clone(),
        query,
        organisations: choices.organisations,
        workspaces: choices.workspaces,
    }
}
