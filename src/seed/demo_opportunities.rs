//! About thirty shared-services opportunities drawn from the seeds: joint procurement across
//! the alliance councils, shared specialist staff as older workers retire, shared back office,
//! with savings by year, barriers and interest from partners. Written through the service.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::opportunities::service::{self, *};
use crate::opportunities::{barriers::service::BarrierInput, interest::service::InterestInput};
use crate::opportunities::{savings::service::SavingInput, stages::service::TransitionInput};
use crate::seed::demo_workspaces::caller;

struct Demo {
    lead: &'static str,
    title: &'static str,
    summary: &'static str,
    area: &'static str,
    kind: &'static str,
    visibility: &'static str,
    theme: Option<&'static str>,
    partners: &'static [&'static str],
    /// Stages to move through, in order, from "idea".
    path: &'static [&'static str],
    /// (financial year, kind, cashable, amount, organisation that saves)
    savings: &'static [(&'static str, &'static str, bool, &'static str, &'static str)],
    /// (category, description, severity, status)
    barriers: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// (organisation, note)
    interest: &'static [(&'static str, &'static str)],
}

const ASSESS: &[&str] = &["under_assessment"];
const CASE: &[&str] = &["under_assessment", "business_case"];
const APPROVED: &[&str] = &["under_assessment", "business_case", "approved"];
const DELIVERY: &[&str] = &[
    "under_assessment",
    "business_case",
    "approved",
    "in_delivery",
];
const REALISED: &[&str] = &[
    "under_assessment",
    "business_case",
    "approved",
    "in_delivery",
    "realised",
];
const HOLD: &[&str] = &["under_assessment", "on_hold"];
const DECLINED: &[&str] = &["under_assessment", "declined"];

const OPPORTUNITIES: &[Demo] = &[
    Demo { lead: "derby", title: "Joint legal services for Derby and Nottingham", summary: "One shared legal team for both city councils, covering planning, contracts and litigation, with specialist lawyers shared as older staff retire.", area: "legal", kind: "shared_service", visibility: "partnership", theme: None, partners: &["nottingham"], path: DELIVERY,
        savings: &[("2025/26", "validated", true, "£180,000", "derby"), ("2026/27", "realised", true, "£95,000.00", "derby"), ("2026/27", "realised", true, "£88,500", "nottingham"), ("2027/28", "estimated", true, "£210,000", "nottingham")],
        barriers: &[("hr_tupe", "TUPE transfer of 14 lawyers and differing pension terms", "high", "mitigated"), ("it_data", "Two case management systems", "medium", "open")], interest: &[("derbyshire", "Interested in planning law cover")] },
    Demo { lead: "derbyshire", title: "Highways maintenance procurement across the seven alliance councils", summary: "A single framework for resurfacing and street lighting maintenance across the East Midlands alliance.", area: "highways_transport", kind: "joint_procurement", visibility: "partnership", theme: Some("transport-connectivity"), partners: &["derby", "nottingham", "nottinghamshire", "leicestershire", "leicester", "lincolnshire"], path: CASE,
        savings: &[("2026/27", "estimated", true, "£1,200,000", "derbyshire"), ("2027/28", "estimated", true, "£2,400,000", "nottinghamshire")],
        barriers: &[("procurement", "Existing contracts end between 2027 and 2029", "high", "open"), ("governance", "Seven cabinets must sign off", "medium", "open")], interest: &[] },
    Demo { lead: "nottingham", title: "Shared specialist structural engineers", summary: "Cover specialist skills as older workers retire by sharing a pool of structural and bridge engineers across projects.", area: "highways_transport", kind: "shared_staff", visibility: "partnership", theme: None, partners: &["derby"], path: APPROVED,
        savings: &[("2026/27", "validated", false, "£65,000", "nottingham"), ("2026/27", "estimated", true, "£40,000", "derby")],
        barriers: &[("hr_tupe", "Different pay grades for the same role", "medium", "open")], interest: &[("nottinghamshire", "Would share two bridge engineers")] },
    Demo { lead: "derby", title: "Shared payroll service", summary: "One payroll service for both cities and interested partners, on a single system.", area: "hr_payroll", kind: "shared_service", visibility: "public", theme: None, partners: &["nottingham", "cad"], path: REALISED,
        savings: &[("2024/25", "realised", true, "£210,000", "derby"), ("2025/26", "realised", true, "£230,000", "nottingham"), ("2026/27", "validated", true, "£240,000", "derby")],
        barriers: &[("it_data", "Data migration from the old payroll system", "high", "closed")], interest: &[] },
    Demo { lead: "nottingham", title: "Joint ICT infrastructure and data centre", summary: "Move both councils' servers into one data centre and share the network operations team.", area: "ict_digital", kind: "shared_service", visibility: "partnership", theme: None, partners: &["derby"], path: CASE,
        savings: &[("2027/28", "estimated", true, "£350,000", "nottingham"), ("2027/28", "estimated", true, "£300,000", "derby")],
        barriers: &[("it_data", "Differing IT systems and security accreditation", "high", "open"), ("finance", "Up-front migration cost of £400,000", "medium", "open")], interest: &[("uni-nottingham", "Could host in the university data centre")] },
    Demo { lead: "leicestershire", title: "Alliance-wide fleet and vehicle procurement", summary: "Buy council vans, gritters and refuse vehicles together, moving to ultra-low emission models.", area: "procurement", kind: "joint_procurement", visibility: "partnership", theme: Some("go-ultra-low"), partners: &["derby", "nottingham", "leicester"], path: ASSESS,
        savings: &[("2027/28", "estimated", true, "£450,000", "leicestershire")], barriers: &[], interest: &[("lincolnshire", "Gritter fleet due for renewal in 2028")] },
    Demo { lead: "derby", title: "Co-located customer service centre", summary: "A joint customer contact centre and shared front desk for council and NHS enquiries.", area: "customer_services", kind: "co_location", visibility: "partnership", theme: Some("city-living"), partners: &["nhs-derbyshire"], path: HOLD,
        savings: &[("2027/28", "estimated", false, "£120,000", "derby")],
        barriers: &[("governance", "Different complaint procedures and sign-off", "high", "open"), ("culture", "Staff concerns about a merged service", "medium", "open")], interest: &[] },
    Demo { lead: "nottingham", title: "Shared waste collection round optimisation", summary: "Re-plan rounds across the city boundary so crews from either council serve the nearest streets.", area: "waste", kind: "shared_service", visibility: "public", theme: None, partners: &["derby", "nottinghamshire"], path: DELIVERY,
        savings: &[("2026/27", "realised", true, "£75,000", "nottingham"), ("2027/28", "estimated", true, "£150,000", "nottinghamshire")], barriers: &[("legal", "Waste collection authority duties differ", "low", "mitigated")], interest: &[] },
    Demo { lead: "nottinghamshire", title: "Joint social care brokerage", summary: "One brokerage team to buy home care places for both county and city, avoiding competing for the same providers.", area: "social_care", kind: "shared_service", visibility: "partnership", theme: None, partners: &["nottingham"], path: CASE,
        savings: &[("2027/28", "estimated", true, "£520,000", "nottinghamshire")], barriers: &[("governance", "Differing eligibility policies", "high", "open"), ("it_data", "Data sharing agreement for care records", "high", "open")], interest: &[("nhs-derbyshire", "Would like to link hospital discharge")] },
    Demo { lead: "derby", title: "Shared internal audit", summary: "One internal audit team for Derby, Nottingham and the county councils.", area: "finance", kind: "shared_service", visibility: "partnership", theme: None, partners: &["nottingham", "derbyshire"], path: APPROVED,
        savings: &[("2026/27", "validated", true, "£85,000", "derby"), ("2026/27", "validated", true, "£70,000", "derbyshire")], barriers: &[], interest: &[] },
    Demo { lead: "leicester", title: "Joint bid to the Levelling Up Fund for the Trent corridor", summary: "A single bid from the alliance for regeneration along the Trent, stronger than separate bids.", area: "regeneration", kind: "joint_bid", visibility: "public", theme: Some("business-investment"), partners: &["derby", "nottingham"], path: DECLINED,
        savings: &[], barriers: &[("governance", "No agreed lead authority for the bid", "high", "closed")], interest: &[] },
    Demo { lead: "nottingham", title: "Sell traffic signal maintenance to neighbouring councils", summary: "Nottingham's traffic signals team has spare capacity to maintain signals for others for a fee.", area: "highways_transport", kind: "income_generation", visibility: "partnership", theme: Some("transport-connectivity"), partners: &[], path: ASSESS,
        savings: &[("2027/28", "estimated", true, "£60,000", "nottingham")], barriers: &[("legal", "Trading powers and company structure", "medium", "open")], interest: &[("derbyshire", "Would buy signal maintenance"), ("leicester", "Interested from 2028")] },
    Demo { lead: "derby", title: "Shared public health intelligence team", summary: "Pool analysts to produce one joint strategic needs assessment for both cities.", area: "public_health", kind: "shared_staff", visibility: "partnership", theme: Some("city-living"), partners: &["nottingham", "nhs-derbyshire"], path: CASE,
        savings: &[("2026/27", "estimated", false, "£45,000", "derby")], barriers: &[("it_data", "Data sharing between NHS and councils", "high", "open")], interest: &[("uni-derby", "Research partnership on health inequalities")] },
    Demo { lead: "nottingham", title: "Joint energy procurement", summary: "Buy gas and electricity for council buildings together through one framework.", area: "procurement", kind: "joint_procurement", visibility: "public", theme: None, partners: &["derby", "nottinghamshire", "derbyshire"], path: REALISED,
        savings: &[("2025/26", "realised", true, "£310,000", "nottingham"), ("2025/26", "realised", true, "£260,000", "derby")], barriers: &[], interest: &[] },
    Demo { lead: "derbyshire", title: "Shared HR advisory service", summary: "One HR advisory team for schools and councils.", area: "hr_payroll", kind: "shared_service", visibility: "partnership", theme: None, partners: &["derby"], path: ASSESS,
        savings: &[("2027/28", "estimated", true, "£90,000", "derbyshire")], barriers: &[("hr_tupe", "TUPE for 22 HR staff", "high", "open")], interest: &[] },
    Demo { lead: "derby", title: "Shared property and estates management", summary: "Manage both councils' commercial property portfolio through one team.", area: "property_facilities", kind: "shared_service", visibility: "partnership", theme: Some("business-investment"), partners: &["nottingham"], path: ASSESS,
        savings: &[("2027/28", "estimated", true, "£130,000", "derby")], barriers: &[("governance", "Asset ownership stays separate", "low", "open")], interest: &[] },
    Demo { lead: "nottingham", title: "Joint apprenticeship academy for council trades", summary: "Train electricians, plumbers and surveyors together to fill the skills gap as older workers retire.", area: "hr_payroll", kind: "shared_staff", visibility: "public", theme: Some("skills"), partners: &["derby", "uni-derby"], path: DELIVERY,
        savings: &[("2026/27", "realised", false, "£55,000", "nottingham"), ("2027/28", "estimated", false, "£80,000", "derby")], barriers: &[], interest: &[("d2n2", "Could co-fund through skills budgets")] },
    Demo { lead: "lincolnshire", title: "Shared emergency planning team", summary: "A joint emergency planning and resilience team across county borders.", area: "other", kind: "shared_staff", visibility: "partnership", theme: None, partners: &["nottinghamshire", "leicestershire"], path: CASE,
        savings: &[("2026/27", "estimated", true, "£70,000", "lincolnshire")], barriers: &[("governance", "Local resilience forum boundaries differ", "medium", "open")], interest: &[] },
    Demo { lead: "derby", title: "Revenues and benefits shared service", summary: "Council tax and housing benefit processing for both cities on one system.", area: "finance", kind: "shared_service", visibility: "partnership", theme: None, partners: &["nottingham"], path: HOLD,
        savings: &[("2028/29", "estimated", true, "£600,000", "derby")], barriers: &[("it_data", "Two revenues systems with contracts to 2029", "high", "open"), ("hr_tupe", "TUPE for 120 staff", "high", "open")], interest: &[] },
    Demo { lead: "nottinghamshire", title: "Joint school transport procurement", summary: "Tender home-to-school transport routes that cross the city and county boundary together.", area: "highways_transport", kind: "joint_procurement", visibility: "partnership", theme: Some("transport-connectivity"), partners: &["nottingham"], path: APPROVED,
        savings: &[("2026/27", "validated", true, "£140,000", "nottinghamshire")], barriers: &[], interest: &[] },
    Demo { lead: "derby", title: "Shared translation and interpreting service", summary: "One contract and booking service for interpreters used by councils and NHS.", area: "customer_services", kind: "joint_procurement", visibility: "partnership", theme: None, partners: &["nhs-derbyshire", "nottingham"], path: REALISED,
        savings: &[("2025/26", "realised", true, "£48,000", "derby"), ("2025/26", "realised", true, "£36,000", "nottingham")], barriers: &[], interest: &[] },
    Demo { lead: "nottingham", title: "City centre CCTV control room sharing", summary: "Monitor both cities' CCTV from one control room out of hours.", area: "other", kind: "co_location", visibility: "partnership", theme: Some("city-living"), partners: &["derby"], path: ASSESS,
        savings: &[("2027/28", "estimated", true, "£110,000", "nottingham")], barriers: &[("legal", "Data protection for shared footage", "high", "open")], interest: &[] },
    Demo { lead: "d2n2", title: "Joint inward investment team for the Metro area", summary: "One investment team promoting Derby and Nottingham as a single place to invest.", area: "regeneration", kind: "shared_staff", visibility: "public", theme: Some("business-investment"), partners: &["derby", "nottingham"], path: CASE,
        savings: &[("2026/27", "estimated", false, "£90,000", "d2n2")], barriers: &[("governance", "Branding and who leads enquiries", "medium", "open")], interest: &[("uni-nottingham", "Life sciences offer")] },
    Demo { lead: "derby", title: "Shared licensing and trading standards", summary: "One licensing and trading standards service for both cities.", area: "legal", kind: "shared_service", visibility: "partnership", theme: None, partners: &[], path: &[],
        savings: &[("2027/28", "estimated", true, "£75,000", "derby")], barriers: &[], interest: &[("nottingham", "Open to it after our restructure")] },
    Demo { lead: "nottingham", title: "Electric pool cars shared between council offices", summary: "A pool of electric cars bookable by staff of both councils, replacing grey fleet mileage.", area: "highways_transport", kind: "shared_service", visibility: "public", theme: Some("go-ultra-low"), partners: &["derby"], path: DELIVERY,
        savings: &[("2026/27", "realised", true, "£32,000", "nottingham"), ("2027/28", "estimated", true, "£50,000", "derby")], barriers: &[], interest: &[] },
    Demo { lead: "leicester", title: "Shared procurement team for the alliance", summary: "One category management team for the seven councils' common spend.", area: "procurement", kind: "shared_staff", visibility: "partnership", theme: None, partners: &["leicestershire"], path: &[],
        savings: &[], barriers: &[("culture", "Councils used to buying alone", "medium", "open")], interest: &[] },
    Demo { lead: "derby", title: "Draft: shared out-of-hours social work team", summary: "Early thinking about one emergency duty team for both cities. Not ready to share.", area: "social_care", kind: "shared_service", visibility: "draft", theme: None, partners: &[], path: &[],
        savings: &[("2028/29", "estimated", true, "£150,000", "derby")], barriers: &[("hr_tupe", "Rotas and on-call allowances differ", "high", "open")], interest: &[] },
    Demo { lead: "nottingham", title: "Draft: merge the two archives services", summary: "Draft idea for a joint records office. Internal discussion only.", area: "other", kind: "co_location", visibility: "draft", theme: None, partners: &[], path: &[],
        savings: &[], barriers: &[], interest: &[] },
    Demo { lead: "nottinghamshire", title: "Draft: shared occupational health contract", summary: "Draft: one occupational health provider for county staff and partners.", area: "hr_payroll", kind: "joint_procurement", visibility: "draft", theme: None, partners: &[], path: &[],
        savings: &[], barriers: &[], interest: &[] },
    Demo { lead: "uni-derby", title: "Shared graduate scheme with the councils", summary: "Graduates rotate through the university, Derby City Council and the NHS.", area: "hr_payroll", kind: "shared_staff", visibility: "public", theme: Some("skills"), partners: &["derby", "nhs-derbyshire"], path: ASSESS,
        savings: &[], barriers: &[], interest: &[("nottingham", "Would join a second cohort")] },
];

fn manager_email(slug: &str) -> String {
    const COUNCILS: &[&str] = &[
        "derby",
        "nottingham",
        "derbyshire",
        "nottinghamshire",
        "leicester",
        "leicestershire",
        "lincolnshire",
    ];
    if COUNCILS.contains(&slug) {
        format!("staff@{slug}.example")
    } else {
        format!("admin@{slug}.example")
    }
}

fn workspace_id(conn: &mut DbConn, slug: &str) -> AppResult<String> {
    use crate::schema::workspaces;
    use diesel::prelude::*;
    Ok(workspaces::table
        .filter(workspaces::slug.eq(slug))
        .select(workspaces::id)
        .first::<i64>(conn)?
        .to_string())
}

pub fn seed(conn: &mut DbConn) -> AppResult<()> {
    for d in OPPORTUNITIES {
        let lead = caller(conn, &manager_email(d.lead))?;
        let actor = Actor {
            caller: &lead,
            ip: "",
        };
        let mut partners = Vec::new();
        for p in d.partners {
            partners.push(crate::seed::demo_workspaces::org_id(conn, p)?.to_string());
        }
        let input = OpportunityInput {
            title: d.title.into(),
            summary: d.summary.into(),
            service_area: d.area.into(),
            kind: d.kind.into(),
            visibility: d.visibility.into(),
            workspace_id: match d.theme {
                Some(slug) => workspace_id(conn, slug)?,
                None => String::new(),
            },
            contact_user_id: lead.user_id.to_string(),
            partners,
            ..OpportunityInput::default()
        };
        let o = service::create(conn, &actor, &input)?;
        for (category, description, severity, status) in d.barriers {
            let barrier = BarrierInput {
                category: category.to_string(),
                description: description.to_string(),
                severity: severity.to_string(),
                owner: lead.organisation_name.clone(),
                status: status.to_string(),
                mitigation: String::new(),
            };
            crate::opportunities::barriers::service::add_barrier(conn, &actor, o.id, &barrier)?;
        }
        for (year, kind, cashable, amount, org) in d.savings {
            let saving = SavingInput {
                financial_year: year.to_string(),
                kind: kind.to_string(),
                cashable: if *cashable { "yes" } else { "no" }.into(),
                organisation_id: crate::seed::demo_workspaces::org_id(conn, org)?.to_string(),
                amount: amount.to_string(),
                one_off_cost: String::new(),
                note: String::new(),
            };
            crate::opportunities::savings::service::add_saving(conn, &actor, o.id, &saving)?;
        }
        for stage in d.path {
            let note = if *stage == "declined" {
                "The alliance could not agree a lead authority in time"
            } else {
                ""
            };
            crate::opportunities::stages::service::transition(
                conn,
                &actor,
                o.id,
                &TransitionInput {
                    to: stage.to_string(),
                    note: note.into(),
                },
            )?;
        }
        for (org, note) in d.interest {
            let who = caller(conn, &manager_email(org))?;
            crate::opportunities::interest::service::register_interest(
                conn,
                &Actor {
                    caller: &who,
                    ip: "",
                },
                o.id,
                &InterestInput {
                    note: note.to_string(),
                },
            )?;
        }
    }
    Ok(())
}
