//! What the review pages show, as typed views: a review, its figures, the comparison with
//! the last signed-off review, and a workspace's return form.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{Content, Review, Submission};
use super::summary::{Comparison, SavingsTotals, Snapshot, StageCount};
use crate::db::enums::SelectOption;
use crate::opportunities::model::format_pence;
use crate::web::{Crumb, FieldErrors};
use crate::workspaces::chart::format_number;
use crate::workspaces::model::Rag;

pub(super) fn rag_label(rag: &str) -> &'static str {
    Rag::parse(rag).map(Rag::label).unwrap_or("")
}

pub(super) fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "Submitted",
        "returned" => "Sent back",
        "signed_off" => "Signed off",
        "open" => "Open",
        _ => "No return yet",
    }
}

/// The breadcrumbs above a page inside a review.
pub(super) fn crumbs(review: Option<&Review>) -> Vec<Crumb> {
    let mut list = vec![Crumb::new("/reviews", "Quarterly reviews")];
    if let Some(r) = review {
        list.push(Crumb::new(
            &format!("/reviews/{}", r.id),
            &format!("{} review", r.label()),
        ));
    }
    list
}

#[derive(Serialize)]
pub(super) struct ReviewView {
    id: i64,
    quarter: String,
    deadline: String,
    open: bool,
    status: &'static str,
}

impl ReviewView {
    pub(super) fn new(r: &Review) -> ReviewView {
        ReviewView {
            id: r.id,
            quarter: r.label(),
            deadline: r.deadline.format("%-d %B %Y").to_string(),
            open: r.is_open(),
            status: status_label(&r.status),
        }
    }
}

/// Savings in pounds, as the pages show them.
#[derive(Serialize)]
struct Money {
    estimated: String,
    validated: String,
    realised: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cashable_realised: Option<String>,
}

impl Money {
    fn new(s: &SavingsTotals, with_cashable: bool) -> Money {
        Money {
            estimated: format_pence(s.estimated),
            validated: format_pence(s.validated),
            realised: format_pence(s.realised),
            cashable_realised: with_cashable.then(|| format_pence(s.cashable_realised)),
        }
    }
}

#[derive(Serialize)]
struct ActionLine {
    title: String,
    rag: String,
    rag_label: &'static str,
    progress: i32,
}

#[derive(Serialize)]
struct MeasureLine {
    name: String,
    unit: String,
    value: Option<String>,
    target: String,
}

/// A workspace's line in the review: its return, or that none was made.
#[derive(Serialize)]
struct WorkspaceLine {
    name: String,
    slug: String,
    href: String,
    lead: String,
    status: &'static str,
    missing: bool,
    returned: bool,
    rag: Option<String>,
    rag_label: Option<&'static str>,
    commentary: String,
    decisions: String,
    submitted_by: Option<String>,
    return_comment: String,
    actions: Vec<ActionLine>,
    measures: Vec<MeasureLine>,
}

#[derive(Serialize)]
pub(super) struct FiguresView {
    workspaces: Vec<WorkspaceLine>,
    submitted: usize,
    total: usize,
    savings: Money,
    stages: Vec<StageCount>,
}

pub(super) fn figures(s: &Snapshot, review_id: i64) -> FiguresView {
    let workspaces = s
        .workspaces
        .iter()
        .map(|w| WorkspaceLine {
            name: w.name.clone(),
            slug: w.slug.clone(),
            href: format!("/reviews/{review_id}/workspaces/{}", w.slug),
            lead: w.lead.clone(),
            status: status_label(&w.status),
            missing: w.status == "missing",
            returned: w.status == "returned",
            rag: w.overall_rag.clone(),
            rag_label: w.overall_rag.as_deref().map(rag_label),
            commentary: w.commentary.clone(),
            decisions: w.decisions.clone(),
            submitted_by: w.submitted_by.clone(),
            return_comment: w.return_comment.clone(),
            actions: w
                .content
                .actions
                .iter()
                .map(|a| ActionLine {
                    title: a.title.clone(),
                    rag: a.rag.clone(),
                    rag_label: rag_label(&a.rag),
                    progress: a.progress,
                })
                .collect(),
            measures: w
                .content
                .measures
                .iter()
                .map(|m| MeasureLine {
                    name: m.name.clone(),
                    unit: m.unit.clone(),
                    value: m.value.map(format_number),
                    target: format_number(m.target),
                })
                .collect(),
        })
        .collect();
    FiguresView {
        workspaces,
        submitted: s
            .workspaces
            .iter()
            .filter(|w| w.status == "submitted")
            .count(),
        total: s.workspaces.len(),
        savings: Money::new(&s.savings, true),
        stages: s.stages.clone(),
    }
}

#[derive(Serialize)]
struct RagChangeLine {
    workspace: String,
    item: String,
    from: String,
    from_label: &'static str,
    to: String,
    to_label: &'static str,
}

#[derive(Serialize)]
struct MeasureChangeLine {
    workspace: String,
    measure: String,
    unit: String,
    from: String,
    to: String,
    verdict: String,
    improved: bool,
    worsened: bool,
}

#[derive(Serialize)]
pub(super) struct ComparisonView {
    previous: String,
    rag_changes: Vec<RagChangeLine>,
    savings: Money,
    measures: Vec<MeasureChangeLine>,
}

pub(super) fn comparison(c: &Comparison) -> ComparisonView {
    ComparisonView {
        previous: c.previous.clone(),
        rag_changes: c
            .rag_changes
            .iter()
            .map(|r| RagChangeLine {
                workspace: r.workspace.clone(),
                item: r.item.clone(),
                from: r.from.clone(),
                from_label: rag_label(&r.from),
                to: r.to.clone(),
                to_label: rag_label(&r.to),
            })
            .collect(),
        savings: Money::new(&c.savings_moved, false),
        measures: c
            .measures
            .iter()
            .map(|m| MeasureChangeLine {
                workspace: m.workspace.clone(),
                measure: m.measure.clone(),
                unit: m.unit.clone(),
                from: format_number(m.from),
                to: format_number(m.to),
                verdict: m.verdict.clone(),
                improved: m.verdict == "improved",
                worsened: m.verdict == "worsened",
            })
            .collect(),
    }
}

/// The reviews, and the form to open one.
#[derive(Serialize)]
pub(super) struct ListView {
    pub title: &'static str,
    pub reviews: Vec<ReviewView>,
    pub can_open: bool,
    pub form: super::service::OpenInput,
    pub errors: Option<FieldErrors>,
}

/// A review: who has and has not made a return, its figures and how they moved.
#[derive(Serialize)]
pub(super) struct ShowView {
    pub title: String,
    pub breadcrumbs: Vec<Crumb>,
    pub review: ReviewView,
    pub opened_by: String,
    pub figures: FiguresView,
    pub comparison: Option<ComparisonView>,
    pub can_sign_off: bool,
}

/// The board pack's print view.
#[derive(Serialize)]
pub(super) struct PackView {
    pub title: String,
    pub breadcrumbs: Vec<Crumb>,
    pub review: ReviewView,
    pub figures: FiguresView,
    pub comparison: Option<ComparisonView>,
}

/// What was typed into a return's form, and what was wrong with it.
pub(super) struct Echo {
    pub fields: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

/// What a return's page reads: the review, the workspace, its return if one was made, and
/// the figures it reports (as sent, or live while none is).
pub(super) struct ReturnRead {
    pub review: Review,
    pub access: crate::workspaces::queries::Access,
    pub sub: Option<Submission>,
    pub content: Content,
}

#[derive(Serialize)]
struct ActionField {
    id: i64,
    title: String,
    rag_label: &'static str,
    rag: String,
    rag_options: Vec<SelectOption>,
    progress: String,
    rag_error: Option<String>,
    progress_error: Option<String>,
}

#[derive(Serialize)]
struct MeasureField {
    id: i64,
    name: String,
    unit: String,
    target: String,
    value: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct SubmissionView {
    status: &'static str,
    returned: bool,
    rag: String,
    rag_label: &'static str,
    commentary: String,
    decisions: String,
    return_comment: String,
}

#[derive(Serialize)]
struct WsName {
    name: String,
    slug: String,
}

/// A workspace's return: the form to send it, or what was sent.
#[derive(Serialize)]
pub(super) struct ReturnView {
    title: String,
    breadcrumbs: Vec<Crumb>,
    review: ReviewView,
    ws: WsName,
    submission: Option<SubmissionView>,
    can_submit: bool,
    can_send_back: bool,
    overall_options: Vec<SelectOption>,
    commentary: String,
    decisions: String,
    comment: String,
    actions: Vec<ActionField>,
    measures: Vec<MeasureField>,
    errors: Option<FieldErrors>,
}

impl ReturnView {
    pub(super) fn failed(&self) -> bool {
        self.errors.is_some()
    }
}

/// The return's page from what was read, who may do what, and the form as sent.
pub(super) fn return_view(
    read: ReturnRead,
    can_submit: bool,
    can_send_back: bool,
    echo: Option<Echo>,
) -> ReturnView {
    let ReturnRead {
        review,
        access,
        sub,
        content,
    } = read;
    let (fields, errors) = echo.map(|e| (e.fields, e.errors)).unwrap_or_default();
    let value = |key: &str, live: String| fields.get(key).cloned().unwrap_or(live);
    let sent = |f: fn(&Submission) -> &String| sub.as_ref().map(f).cloned().unwrap_or_default();
    ReturnView {
        title: format!("{} return – {}", review.label(), access.ws.name),
        breadcrumbs: crumbs(Some(&review)),
        overall_options: Rag::options(&value("overall_rag", sent(|s| &s.overall_rag))),
        commentary: value("commentary", sent(|s| &s.commentary)),
        decisions: value("decisions", sent(|s| &s.decisions)),
        comment: value("comment", String::new()),
        review: ReviewView::new(&review),
        ws: WsName {
            name: access.ws.name,
            slug: access.ws.slug,
        },
        submission: sub.as_ref().map(|s| SubmissionView {
            status: status_label(&s.status),
            returned: s.status == "returned",
            rag: s.overall_rag.clone(),
            rag_label: rag_label(&s.overall_rag),
            commentary: s.commentary.clone(),
            decisions: s.decisions.clone(),
            return_comment: s.return_comment.clone(),
        }),
        can_submit,
        can_send_back,
        actions: content
            .actions
            .iter()
            .map(|a| {
                let rag_key = format!("rag_{}", a.id);
                let progress_key = format!("progress_{}", a.id);
                ActionField {
                    id: a.id,
                    title: a.title.clone(),
                    rag_label: rag_label(&a.rag),
                    rag: a.rag.clone(),
                    rag_options: Rag::options(&value(&rag_key, a.rag.clone())),
                    progress: value(&progress_key, a.progress.to_string()),
                    rag_error: errors.get(&rag_key).cloned(),
                    progress_error: errors.get(&progress_key).cloned(),
                }
            })
            .collect(),
        measures: content
            .measures
            .iter()
            .map(|m| {
                let key = format!("value_{}", m.id);
                MeasureField {
                    id: m.id,
                    name: m.name.clone(),
                    unit: m.unit.clone(),
                    target: format_number(m.target),
                    value: value(&key, m.value.map(format_number).unwrap_or_default()),
                    error: errors.get(&key).cloned(),
                }
            })
            .collect(),
        errors: (!errors.is_empty()).then(|| FieldErrors::from_map(errors.clone())),
    }
}
