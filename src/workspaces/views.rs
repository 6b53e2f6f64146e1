//! What the workspace pages give their templates: typed views, so a field a template names
//! and a page does not give fails the tests instead of rendering blank. The header every
//! workspace page shows, its action and measure rows, and the frame (title, breadcrumbs,
//! header, form echo) that each page's own view is flattened into.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::Value;

use super::chart::format_number;
use super::model::*;
use super::queries::{self, Access};
use crate::auth::Caller;
use crate::authz;
use crate::error::AppResult;
use crate::web::markdown::to_safe_html;
use crate::web::{Crumb, FieldErrors, Page, Reply};

pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub(super) fn when(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M").to_string()
}

pub(super) fn visibility_label(v: WorkspaceVisibility) -> &'static str {
    match v {
        WorkspaceVisibility::Public => "Public",
        WorkspaceVisibility::Partners => "Partners",
        WorkspaceVisibility::Members => "Members only",
    }
}

/// A link in a list of tabs or filters, marked when it is the one shown.
#[derive(Serialize)]
pub(super) struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What every workspace page shows: its name, sub-navigation and what the caller may do.
#[derive(Serialize)]
pub(super) struct WsHeader {
    name: String,
    slug: String,
    base: String,
    summary_html: String,
    kind: &'static str,
    visibility: &'static str,
    archived: bool,
    membership: Option<&'static str>,
    nav: Vec<NavLink>,
    can_contribute: bool,
    can_comment: bool,
    can_manage_members: bool,
    can_manage: bool,
}

const SECTIONS: [(&str, &str); 5] = [
    ("", "Overview"),
    ("/updates", "Updates"),
    ("/actions", "Actions"),
    ("/outcomes", "Outcomes and measures"),
    ("/members", "Members"),
];

pub(super) fn ws_context(access: &Access, caller: Option<&Caller>, section: &str) -> WsHeader {
    let ws = &access.ws;
    let base = format!("/workspaces/{}", ws.slug);
    let nav = SECTIONS
        .iter()
        .map(|(suffix, label)| NavLink {
            href: format!("{base}{suffix}"),
            label,
            current: *suffix == section,
        })
        .collect();
    let may = |f: fn(&Caller, &Workspace, authz::Membership) -> AppResult<()>| {
        caller.is_some_and(|c| f(c, ws, access.membership).is_ok())
    };
    WsHeader {
        name: ws.name.clone(),
        slug: ws.slug.clone(),
        summary_html: to_safe_html(&ws.summary),
        kind: ws.kind.label(),
        visibility: visibility_label(ws.visibility),
        archived: ws.is_archived(),
        membership: access.membership.map(MemberRole::label),
        nav,
        can_contribute: may(authz::contribute),
        can_comment: may(authz::comment),
        can_manage_members: may(authz::manage_members),
        can_manage: caller.is_some_and(|c| authz::manage_workspaces(c).is_ok()),
        base,
    }
}

pub(super) fn crumbs(access: &Access) -> Vec<Crumb> {
    vec![
        Crumb::new("/workspaces", "Workspaces"),
        Crumb::new(&format!("/workspaces/{}", access.ws.slug), &access.ws.name),
    ]
}

/// Open actions by RAG, with the overdue count and the total.
#[derive(Serialize)]
pub(super) struct RagCounts {
    red: usize,
    amber: usize,
    green: usize,
    overdue: usize,
    total: usize,
}

pub(super) fn rag_counts(actions: &[queries::ActionView], today: NaiveDate) -> RagCounts {
    let count = |rag: Rag| {
        actions
            .iter()
            .filter(|a| a.action.rag == rag && a.action.status.is_open())
            .count()
    };
    RagCounts {
        red: count(Rag::Red),
        amber: count(Rag::Amber),
        green: count(Rag::Green),
        overdue: actions
            .iter()
            .filter(|a| a.action.is_overdue(today))
            .count(),
        total: actions.len(),
    }
}

#[derive(Serialize)]
pub(super) struct ActionRow {
    id: i64,
    title: String,
    owner: String,
    person: Option<String>,
    due: Option<String>,
    start: Option<String>,
    status: &'static str,
    progress: i32,
    rag: Rag,
    rag_label: &'static str,
    rag_reason: String,
    overdue: bool,
    description: String,
}

pub(super) fn action_row(a: &queries::ActionView, today: NaiveDate) -> ActionRow {
    ActionRow {
        id: a.action.id,
        title: a.action.title.clone(),
        owner: a.owner_organisation.clone(),
        person: a.owner_person.clone(),
        due: a.action.due_date.map(date),
        start: a.action.start_date.map(date),
        status: a.action.status.label(),
        progress: a.action.progress,
        rag: a.action.rag,
        rag_label: a.action.rag.label(),
        rag_reason: a.action.rag_reason.clone(),
        overdue: a.action.is_overdue(today),
        description: a.action.description.clone(),
    }
}

/// A measure's latest reading against its target.
#[derive(Serialize)]
pub(super) struct MeasureRow {
    id: i64,
    name: String,
    unit: String,
    direction: &'static str,
    baseline: String,
    target: String,
    target_date: String,
    latest: Option<String>,
    latest_quarter: Option<String>,
    met: Option<bool>,
}

pub(super) fn measure_row(m: &Measure, readings: &[Reading]) -> MeasureRow {
    let latest = readings.iter().rfind(|r| r.measure_id == m.id);
    let met = latest.map(|r| match m.direction {
        Direction::Lower => r.value <= m.target,
        Direction::Higher => r.value >= m.target,
    });
    MeasureRow {
        id: m.id,
        name: m.name.clone(),
        unit: m.unit.clone(),
        direction: m.direction.label(),
        baseline: format_number(m.baseline),
        target: format_number(m.target),
        target_date: date(m.target_date),
        latest: latest.map(|r| format_number(r.value)),
        latest_quarter: latest.map(|r| {
            Quarter {
                year: r.year,
                quarter: r.quarter,
            }
            .label()
        }),
        met,
    }
}

/// What was typed into a page's form, sent back with its errors.
#[derive(Serialize)]
pub struct Echo {
    pub form: Value,
    pub errors: Option<Value>,
}

impl Echo {
    pub fn new(form: Value, errors: Option<FieldErrors>) -> Echo {
        Echo {
            form,
            errors: errors.map(|e| e.to_json()),
        }
    }

    /// A fresh form: nothing typed, no errors.
    pub fn empty() -> Echo {
        Echo::new(Value::Object(Default::default()), None)
    }
}

/// A workspace page: its title, breadcrumbs and header, the form echo where it has a form,
/// and the page's own view beside them.
#[derive(Serialize)]
pub(super) struct WsPage<T: Serialize> {
    pub title: String,
    pub breadcrumbs: Vec<Crumb>,
    pub ws: WsHeader,
    #[serde(flatten)]
    pub echo: Option<Echo>,
    #[serde(flatten)]
    pub body: T,
}

/// Where a workspace page is shown: the request's page context, the workspace as the caller
/// sees it, and the tab it sits under.
pub(super) struct Frame<'a> {
    page: &'a Page,
    access: &'a Access,
    section: &'static str,
}

impl<'a> Frame<'a> {
    pub fn new(page: &'a Page, access: &'a Access, section: &'static str) -> Frame<'a> {
        Frame {
            page,
            access,
            section,
        }
    }

    /// Renders `template` with the workspace frame around `body`: 422 when the form came back
    /// with errors.
    pub fn render<T: Serialize>(
        &self,
        template: &str,
        title: String,
        echo: Option<Echo>,
        body: T,
    ) -> Reply {
        let failed = echo.as_ref().is_some_and(|e| e.errors.is_some());
        let data = WsPage {
            title,
            breadcrumbs: crumbs(self.access),
            ws: ws_context(self.access, self.page.user.as_ref(), self.section),
            echo,
            body,
        };
        self.page.render_form(failed, template, data)
    }
}
