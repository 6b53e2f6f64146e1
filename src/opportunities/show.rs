//! The opportunity page as its template reads it: a typed view, so a field the template
//! names and the page does not give fails the tests instead of rendering blank.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::*;
use super::queries::{Detail, Totals};
use crate::db::enums::SelectOption;
use crate::organisations::model::Organisation;
use crate::web::markdown::to_safe_html;
use crate::web::{Choice, Crumb, FieldErrors};

/// What was typed into one of the page's forms, sent back with its errors.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Typed {
    pub financial_year: String,
    pub kind: String,
    pub cashable: String,
    pub organisation_id: String,
    pub amount: String,
    pub one_off_cost: String,
    pub note: String,
    pub category: String,
    pub description: String,
    pub severity: String,
    pub owner: String,
    pub mitigation: String,
    pub body: String,
}

/// Which form on the page an error belongs to, and what was typed.
pub struct Echo {
    pub section: &'static str,
    pub form: Value,
    pub errors: FieldErrors,
}

#[derive(Serialize)]
pub struct Heading {
    id: i64,
    reference: String,
    title: String,
    summary_html: String,
    stage: &'static str,
    visibility: &'static str,
    draft: bool,
    area: &'static str,
    kind: &'static str,
    updated: String,
}

#[derive(Serialize)]
pub struct Named {
    slug: String,
    name: String,
}

#[derive(Serialize)]
pub struct Move {
    from: &'static str,
    to: &'static str,
    who: String,
    when: String,
    note: String,
}

#[derive(Serialize)]
pub struct SavingRow {
    year: String,
    kind: &'static str,
    cashable: bool,
    organisation: String,
    amount: String,
    cost: String,
    note: String,
}

#[derive(Serialize)]
pub struct BarrierRow {
    id: i64,
    category_value: BarrierCategory,
    category: &'static str,
    description: String,
    severity_value: Severity,
    severity: &'static str,
    owner: String,
    status: &'static str,
    mitigation: String,
    statuses: Vec<SelectOption>,
}

#[derive(Serialize)]
pub struct InterestRow {
    organisation: String,
    who: String,
    note: String,
}

#[derive(Serialize)]
pub struct CommentRow {
    who: String,
    organisation: String,
    when: String,
    body_html: String,
    proposed: Option<&'static str>,
}

/// Totals as the page shows them, in pounds.
#[derive(Serialize)]
pub(super) struct TotalsView {
    estimated: String,
    validated: String,
    realised: String,
    cashable_realised: String,
    one_off_costs: String,
}

impl From<&Totals> for TotalsView {
    fn from(t: &Totals) -> TotalsView {
        TotalsView {
            estimated: format_pence(t.estimated),
            validated: format_pence(t.validated),
            realised: format_pence(t.realised),
            cashable_realised: format_pence(t.cashable_realised),
            one_off_costs: format_pence(t.one_off_costs),
        }
    }
}

/// The choices of the page's forms, with what was typed selected.
#[derive(Serialize)]
pub struct FormChoices {
    years: Vec<Choice>,
    saving_kinds: Vec<SelectOption>,
    organisations: Vec<Choice>,
    categories: Vec<SelectOption>,
    severities: Vec<SelectOption>,
    proposals: Vec<SelectOption>,
}

/// What the caller may do here.
#[derive(Serialize)]
pub struct Abilities {
    pub can_manage: bool,
    pub can_interest: bool,
    pub interested: bool,
    pub signed_in: bool,
}

#[derive(Serialize)]
pub struct ShowView {
    title: String,
    breadcrumbs: Vec<Crumb>,
    o: Heading,
    /// The opportunity as stored, for the fields the page shows as they are.
    record: Opportunity,
    lead: String,
    workspace: Option<Named>,
    contact: Option<String>,
    partners: Vec<String>,
    timeline: Vec<Move>,
    next: Vec<SelectOption>,
    savings: Vec<SavingRow>,
    totals: TotalsView,
    barriers: Vec<BarrierRow>,
    interest: Vec<InterestRow>,
    comments: Vec<CommentRow>,
    #[serde(flatten)]
    abilities: Abilities,
    follow: Value,
    section: &'static str,
    form: Typed,
    errors: Option<FieldErrors>,
    #[serde(flatten)]
    choices: FormChoices,
}

fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%-d %B %Y, %H:%M").to_string()
}

/// The stages `stage` may move to, as choices.
fn moves_from(stage: Stage) -> Vec<SelectOption> {
    stage
        .next()
        .iter()
        .map(|s| SelectOption {
            value: s.as_str(),
            label: s.label(),
            selected: false,
        })
        .collect()
}

fn heading(o: &Opportunity) -> Heading {
    Heading {
        id: o.id,
        reference: o.reference.clone(),
        title: o.title.clone(),
        summary_html: to_safe_html(&o.summary),
        stage: o.stage.label(),
        visibility: o.visibility.label(),
        draft: o.visibility == OpportunityVisibility::Draft,
        area: o.service_area.label(),
        kind: o.kind.label(),
        updated: o.updated_at.format("%-d %B %Y").to_string(),
    }
}

fn choices(o: &Opportunity, organisations: Vec<Organisation>, typed: &Typed) -> FormChoices {
    let saving_org = if typed.organisation_id.is_empty() {
        o.lead_organisation_id.to_string()
    } else {
        typed.organisation_id.clone()
    };
    let or = |value: &str, default: &'static str| -> String {
        if value.is_empty() { default } else { value }.to_string()
    };
    let year = or(&typed.financial_year, "2026/27");
    FormChoices {
        years: (2024..=2030)
            .map(financial_year_label)
            .map(|y| Choice::new(&y, &y, y == year))
            .collect(),
        saving_kinds: SavingKind::options(&or(&typed.kind, "estimated")),
        organisations: organisations
            .into_iter()
            .map(|org| {
                Choice::new(
                    &org.id.to_string(),
                    &org.name,
                    org.id.to_string() == saving_org,
                )
            })
            .collect(),
        categories: BarrierCategory::options(&typed.category),
        severities: Severity::options(&or(&typed.severity, "medium")),
        proposals: moves_from(o.stage),
    }
}

fn barrier_row(b: &Barrier) -> BarrierRow {
    BarrierRow {
        id: b.id,
        category_value: b.category,
        category: b.category.label(),
        description: b.description.clone(),
        severity_value: b.severity,
        severity: b.severity.label(),
        owner: b.owner.clone(),
        status: b.status.label(),
        mitigation: b.mitigation.clone(),
        statuses: BarrierStatus::options(b.status.as_str()),
    }
}

/// The page for `o`, with what is attached to it, as the caller may see it.
pub fn show_view(
    o: &Opportunity,
    d: Detail,
    organisations: Vec<Organisation>,
    follow: Value,
    abilities: Abilities,
    echo: Option<Echo>,
) -> ShowView {
    let (section, form, errors) = match echo {
        Some(e) => (
            e.section,
            serde_json::from_value(e.form).unwrap_or_default(),
            Some(e.errors),
        ),
        None => ("", Typed::default(), None),
    };
    ShowView {
        title: format!("{}: {}", o.reference, o.title),
        breadcrumbs: vec![Crumb::new("/opportunities", "Opportunities")],
        o: heading(o),
        record: o.clone(),
        lead: d.lead,
        workspace: d.workspace.map(|(slug, name)| Named { slug, name }),
        contact: d.contact,
        partners: d.partners.into_iter().map(|(_, n)| n).collect(),
        timeline: d
            .transitions
            .into_iter()
            .map(|(t, who)| Move {
                from: t.from_stage.label(),
                to: t.to_stage.label(),
                who,
                when: when(t.created_at),
                note: t.note,
            })
            .collect(),
        next: moves_from(o.stage),
        savings: d
            .savings
            .into_iter()
            .map(|(s, organisation)| SavingRow {
                year: financial_year_label(s.financial_year),
                kind: s.kind.label(),
                cashable: s.cashable,
                organisation,
                amount: format_pence(s.amount_pence),
                cost: format_pence(s.one_off_cost_pence),
                note: s.note,
            })
            .collect(),
        totals: TotalsView::from(&d.totals),
        barriers: d.barriers.iter().map(barrier_row).collect(),
        interest: d
            .endorsements
            .into_iter()
            .map(|(e, organisation, who)| InterestRow {
                organisation,
                who,
                note: e.note,
            })
            .collect(),
        comments: d
            .comments
            .into_iter()
            .map(|(c, who, organisation)| CommentRow {
                who,
                organisation,
                when: when(c.created_at),
                body_html: to_safe_html(&c.body),
                proposed: c.proposed_stage.map(Stage::label),
            })
            .collect(),
        abilities,
        follow,
        section,
        choices: choices(o, organisations, &form),
        form,
        errors,
    }
}
