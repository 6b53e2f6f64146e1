//! What the register page and the opportunity form give their templates: typed views, so a
//! field a template names and the page does not give fails the tests instead of rendering
//! blank.

use serde::Serialize;
use serde_json::Value;

use super::filter::{present, RegisterQuery};
use super::model::*;
use super::queries::Listing;
use super::show::TotalsView;
use crate::db::enums::SelectOption;
use crate::web::{Choice, Crumb, FieldErrors, Paging};

/// (id, name) pairs for a <select>.
pub(super) type Choices = Vec<(i64, String)>;

pub(super) fn options(list: Choices, selected: &str) -> Vec<Choice> {
    list.into_iter()
        .map(|(id, name)| {
            let value = id.to_string();
            let chosen = value == selected;
            Choice::new(&value, &name, chosen)
        })
        .collect()
}

/// One opportunity in the register.
#[derive(Serialize)]
struct Row {
    id: i64,
    reference: String,
    title: String,
    lead: String,
    stage: &'static str,
    draft: bool,
    area: &'static str,
    estimated: String,
    realised: String,
    high_barriers: i64,
}

/// The register page.
#[derive(Serialize)]
pub(super) struct Register {
    title: &'static str,
    rows: Vec<Row>,
    total: i64,
    totals: TotalsView,
    pagination: Value,
    can_log: bool,
    q: String,
    stages: Vec<SelectOption>,
    areas: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    leads: Vec<Choice>,
    partners: Vec<Choice>,
    themes: Vec<Choice>,
    open_high: bool,
    sorts: Vec<Choice>,
    export_query: String,
}

const SORTS: [(&str, &str); 3] = [
    ("updated", "Recently updated"),
    ("reference", "Reference"),
    ("savings", "Estimated savings"),
];

fn rows(listing: &Listing) -> Vec<Row> {
    listing
        .items
        .iter()
        .map(|item| {
            let o = &item.opportunity;
            Row {
                id: o.id,
                reference: o.reference.clone(),
                title: o.title.clone(),
                lead: item.lead.clone(),
                stage: o.stage.label(),
                draft: o.visibility == OpportunityVisibility::Draft,
                area: o.service_area.label(),
                estimated: format_pence(item.totals.estimated),
                realised: format_pence(item.totals.realised),
                high_barriers: item.open_high_barriers,
            }
        })
        .collect()
}

/// What the register page shows: the page of rows, their totals, and the filter form with
/// what this query chose.
pub(super) fn register(
    q: &RegisterQuery,
    listing: Listing,
    paging: Paging,
    (organisations, themes): (Choices, Choices),
    can_log: bool,
) -> Register {
    let selected = |v: &Option<String>| present(v).unwrap_or("").to_string();
    let sort = selected(&q.sort);
    Register {
        title: "Shared-services opportunities",
        rows: rows(&listing),
        total: listing.total,
        totals: (&listing.totals).into(),
        pagination: paging.context(listing.total, &q.base_link()),
        can_log,
        q: q.q.clone().unwrap_or_default(),
        stages: Stage::options(&selected(&q.stage)),
        areas: ServiceArea::options(&selected(&q.service_area)),
        kinds: OpportunityKind::options(&selected(&q.kind)),
        leads: options(organisations.clone(), &selected(&q.lead)),
        partners: options(organisations, &selected(&q.partner)),
        themes: options(themes, &selected(&q.theme)),
        open_high: present(&q.barriers) == Some("open_high"),
        sorts: SORTS
            .iter()
            .map(|(v, l)| Choice::new(v, l, sort == *v))
            .collect(),
        export_query: q
            .base_link()
            .split_once('?')
            .map(|(_, query)| format!("?{query}"))
            .unwrap_or_default(),
    }
}

/// A partner organisation's checkbox on the form.
#[derive(Serialize)]
struct PartnerBox {
    value: String,
    label: String,
    checked: bool,
}

/// The form to log an opportunity or edit one.
#[derive(Serialize)]
pub(super) struct OpportunityForm {
    title: String,
    action: String,
    breadcrumbs: Vec<Crumb>,
    form: Value,
    areas: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    visibilities: Vec<SelectOption>,
    themes: Vec<Choice>,
    people: Vec<Choice>,
    partners: Vec<PartnerBox>,
    errors: Option<Value>,
}

/// What the form offers: organisations and themes to choose from and the lead
/// organisation's people.
pub(super) struct FormChoices {
    pub organisations: Choices,
    pub themes: Choices,
    pub people: Choices,
}

pub(super) fn opportunity_form(
    current: Option<&Opportunity>,
    lead: i64,
    form: Value,
    errors: Option<FieldErrors>,
    choices: FormChoices,
) -> OpportunityForm {
    let chosen = crate::web::strings(&form["partners"]);
    let (title, action) = match current {
        Some(o) => (
            format!("Edit {}", o.reference),
            format!("/opportunities/{}/edit", o.id),
        ),
        None => (
            "Log a shared-services idea".to_string(),
            "/opportunities".to_string(),
        ),
    };
    let text = |k: &str| form[k].as_str().unwrap_or("").to_string();
    OpportunityForm {
        title,
        action,
        breadcrumbs: vec![Crumb::new("/opportunities", "Opportunities")],
        areas: ServiceArea::options(&text("service_area")),
        kinds: OpportunityKind::options(&text("kind")),
        visibilities: OpportunityVisibility::options(&text("visibility")),
        themes: options(choices.themes, &text("workspace_id")),
        people: options(choices.people, &text("contact_user_id")),
        partners: choices
            .organisations
            .into_iter()
            .filter(|(id, _)| *id != lead)
            .map(|(id, label)| PartnerBox {
                checked: chosen.contains(&id.to_string()),
                value: id.to_string(),
                label,
            })
            .collect(),
        errors: errors.map(|e| e.to_json()),
        form,
    }
}
