//! The fields an import of the register takes, with the headings councils give them, and
//! the words they use for stages, service areas, types and who may see an opportunity.

use crate::opportunities::model::*;
use crate::opportunities::service::OpportunityInput;
use crate::tabular::Field;

const fn field(
    name: &'static str,
    label: &'static str,
    headings: &'static [&'static str],
    about: &'static str,
    example: &'static str,
) -> Field {
    Field::new(name, label, headings, about).example(example)
}

const fn required(f: Field) -> Field {
    f.required()
}

const fn money(f: Field) -> Field {
    f.money()
}

const fn strict(f: Field) -> Field {
    f.strict()
}

const fn looks(f: Field, like: fn(&str) -> bool) -> Field {
    f.looks(like)
}

const AMOUNT: &str = "Pounds, like £12,500, 12,500, £12.5k or £1.2m. A column headed in £k or £m (\"Est. saving £k\") reads plain numbers in that unit. Importing again replaces that year's figure.";

/// The fields, in the template's order. Names are the template's and the export's headings;
/// a file may head its columns as the council does, and the portal proposes which is which.
pub const FIELDS: &[Field] = &[
    strict(looks(
        field(
            "reference",
            "Reference (OPP-)",
            &["opp reference", "opp ref", "portal reference"],
            "Like OPP-0042. A row whose reference (or, without one, whose title) matches one of your opportunities updates it; a title that only resembles one is offered to you to choose. Otherwise a new opportunity is made with the next free reference.",
            "",
        ),
        // The portal's references, or what is meant to be one (OPP-12 is then a problem).
        |v| v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("OPP-")),
    )),
    field(
        "your_reference",
        "Your reference",
        &["ref", "reference", "ref no", "reference no", "reference number", "our ref", "your ref", "id", "council reference", "local reference"],
        "Your organisation's own reference for it, like DCC-SS-014, kept as it is and found by the search.",
        "",
    ),
    required(field(
        "title",
        "Title",
        &["idea", "name", "opportunity", "project", "proposal", "idea title"],
        "Required.",
        "Shared legal services",
    )),
    required(field(
        "summary",
        "Summary",
        &["description", "details", "overview", "idea description", "summary of idea"],
        "Required. Markdown allowed.",
        "One legal team for both cities",
    )),
    required(looks(
        field(
            "service_area",
            "Service area",
            &["service", "area", "function", "department", "directorate", "service areas"],
            "Required: a service area by its name (Legal, HR and payroll, ICT and digital …) or as councils say it (HR, IT, Highways, Adult social care).",
            "Legal",
        ),
        |v| service_area(v).is_some(),
    )),
    looks(
        field(
            "type",
            "Type",
            &["kind", "opportunity type", "type of opportunity", "category"],
            "Shared service, Joint procurement, Shared staff or skills, Co-location, Income generation, Joint bid or Other. Left blank (or without the column) a new opportunity is Other and one you have keeps its type.",
            "Shared service",
        ),
        |v| kind(v).is_some(),
    ),
    looks(
        field(
            "stage",
            "Stage",
            &["status", "pipeline stage", "progress", "state", "current status"],
            "Idea, Under assessment (\"Assessing\"), Business case, Approved, In delivery, Realised (\"Complete\"), On hold or Declined (\"Not progressing\"). New rows start here; existing ones must make an allowed move.",
            "Under assessment",
        ),
        |v| stage(v).is_some(),
    ),
    looks(
        field(
            "visibility",
            "Who can see it",
            &["visibility", "sharing", "shared with", "who can see"],
            "Draft (your organisation only), Partnership or Public. Left blank, a new opportunity is a draft and one you have keeps who can see it.",
            "Partnership",
        ),
        |v| visibility(v).is_some(),
    ),
    field(
        "lead_organisation",
        "Lead organisation",
        &["lead council", "lead", "led by", "lead authority", "lead partner", "owner", "lead organisation"],
        "Empty, or your organisation by name, short name or initials: imports are led by your organisation. A row another organisation leads (as in the whole register's export) is skipped and listed.",
        "",
    ),
    field(
        "partners",
        "Partners",
        &["partner", "partner s", "partner organisations", "partner councils", "partners involved"],
        "Partner organisations by name, short name or initials, separated by ; / , or \"and\" (like Nottingham City Council; Derbyshire).",
        "Nottingham City Council",
    ),
    field(
        "theme",
        "Theme",
        &["workspace", "metro theme", "theme workspace"],
        "A theme workspace by its name or short name, like Transport and connectivity.",
        "",
    ),
    field(
        "financial_year",
        "Financial year",
        &["year", "fy", "savings year"],
        "Like 2026/27. Without this column, savings count in the present financial year.",
        "2026/27",
    ),
    money(field(
        "estimated_savings",
        "Estimated savings",
        &["estimated saving", "est saving", "est savings", "saving", "savings", "potential saving"],
        AMOUNT,
        "£120,000",
    )),
    money(field(
        "validated_savings",
        "Validated savings",
        &["validated saving", "agreed saving"],
        AMOUNT,
        "",
    )),
    money(field(
        "realised_savings",
        "Realised savings",
        &["realised saving", "realized saving", "actual saving", "achieved saving"],
        AMOUNT,
        "",
    )),
    field(
        "cashable",
        "Cashable",
        &["cashable saving", "cash"],
        "Yes (the default) or no.",
        "yes",
    ),
];

/// A field the import takes as the text written, and where an opportunity's input holds it.
pub struct Text {
    pub name: &'static str,
    /// The longest a value may be, in characters.
    pub max: usize,
    /// What a row without a value is told, or empty when the field may be blank.
    pub missing: &'static str,
    pub get: fn(&OpportunityInput) -> &str,
    pub set: fn(&mut OpportunityInput, String),
}

/// A `Text` for the input's field `$f`.
macro_rules! text {
    ($f:ident, $max:expr, $missing:expr) => {
        Text {
            name: stringify!($f),
            max: $max,
            missing: $missing,
            get: |i| &i.$f,
            set: |i, v| i.$f = v,
        }
    };
}

/// The text fields (each also one of `FIELDS`). One line here is all the import needs of a
/// text field: it is read, checked, kept on an update whose file has no column for it, and
/// compared old → new in the preview.
pub const TEXTS: &[Text] = &[
    text!(title, 200, "Enter a title"),
    text!(summary, 5000, "Enter a summary"),
    text!(your_reference, 60, ""),
];

/// The label people read for the field `name`.
pub fn label_of(name: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|f| f.name == name)
        .map_or("", |f| f.label)
}

/// A stage as councils write it: "Assessing", "Complete", "Not progressing".
pub fn stage(text: &str) -> Option<Stage> {
    use Stage::*;
    Stage::understand(
        text,
        &[
            ("new", Idea),
            ("proposed", Idea),
            ("suggested", Idea),
            ("idea logged", Idea),
            ("assessing", UnderAssessment),
            ("being assessed", UnderAssessment),
            ("assessment", UnderAssessment),
            ("under review", UnderAssessment),
            ("in review", UnderAssessment),
            ("scoping", UnderAssessment),
            ("bc", BusinessCase),
            ("business case in development", BusinessCase),
            ("developing business case", BusinessCase),
            ("agreed", Approved),
            ("signed off", Approved),
            ("in progress", InDelivery),
            ("delivering", InDelivery),
            ("implementation", InDelivery),
            ("implementing", InDelivery),
            ("underway", InDelivery),
            ("live", InDelivery),
            ("complete", Realised),
            ("completed", Realised),
            ("delivered", Realised),
            ("achieved", Realised),
            ("done", Realised),
            ("paused", OnHold),
            ("parked", OnHold),
            ("hold", OnHold),
            ("not progressing", Declined),
            ("not progressed", Declined),
            ("rejected", Declined),
            ("dropped", Declined),
            ("closed", Declined),
            ("stopped", Declined),
            ("withdrawn", Declined),
        ],
    )
}

/// A service area as councils write it: "HR", "IT", "Highways", "Adult social care".
pub fn service_area(text: &str) -> Option<ServiceArea> {
    use ServiceArea::*;
    ServiceArea::understand(
        text,
        &[
            ("legal services", Legal),
            ("legal and democratic", Legal),
            ("purchasing", Procurement),
            ("commissioning and procurement", Procurement),
            ("ict", IctDigital),
            ("it", IctDigital),
            ("digital", IctDigital),
            ("ict digital", IctDigital),
            ("it and digital", IctDigital),
            ("hr", HrPayroll),
            ("human resources", HrPayroll),
            ("payroll", HrPayroll),
            ("hr payroll", HrPayroll),
            ("finance and revenues", Finance),
            ("revenues and benefits", Finance),
            ("highways", HighwaysTransport),
            ("transport", HighwaysTransport),
            ("highways transport", HighwaysTransport),
            ("fleet", HighwaysTransport),
            ("waste management", Waste),
            ("refuse", Waste),
            ("recycling", Waste),
            ("property", PropertyFacilities),
            ("facilities", PropertyFacilities),
            ("estates", PropertyFacilities),
            ("property facilities", PropertyFacilities),
            ("customer service", CustomerServices),
            ("customer contact", CustomerServices),
            ("contact centre", CustomerServices),
            ("adult social care", SocialCare),
            ("adults social care", SocialCare),
            ("children s social care", SocialCare),
            ("childrens social care", SocialCare),
            ("care", SocialCare),
            ("health", PublicHealth),
            ("economic development", Regeneration),
            ("regeneration and growth", Regeneration),
            ("growth", Regeneration),
        ],
    )
}

/// A type of opportunity as councils write it: "Joint purchasing", "Shared post".
pub fn kind(text: &str) -> Option<OpportunityKind> {
    use OpportunityKind::*;
    OpportunityKind::understand(
        text,
        &[
            ("shared services", SharedService),
            ("joint service", SharedService),
            ("procurement", JointProcurement),
            ("joint purchasing", JointProcurement),
            ("collaborative procurement", JointProcurement),
            ("shared staff", SharedStaff),
            ("shared post", SharedStaff),
            ("shared posts", SharedStaff),
            ("joint team", SharedStaff),
            ("shared skills", SharedStaff),
            ("colocation", CoLocation),
            ("co located", CoLocation),
            ("shared building", CoLocation),
            ("shared office", CoLocation),
            ("income", IncomeGeneration),
            ("traded service", IncomeGeneration),
            ("commercial", IncomeGeneration),
            ("bid", JointBid),
            ("funding bid", JointBid),
            ("joint funding bid", JointBid),
        ],
    )
}

/// Who may see it as councils write it: "Private", "Partners", "Open".
pub fn visibility(text: &str) -> Option<OpportunityVisibility> {
    use OpportunityVisibility::*;
    OpportunityVisibility::understand(
        text,
        &[
            ("draft", Draft),
            ("private", Draft),
            ("internal", Draft),
            ("partnership", Partnership),
            ("partners", Partnership),
            ("shared", Partnership),
            ("public", Public),
            ("open", Public),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn councils_words_mean_the_portals_values() {
        assert_eq!(stage("Assessing"), Some(Stage::UnderAssessment));
        assert_eq!(stage("Not progressing"), Some(Stage::Declined));
        assert_eq!(stage("Complete"), Some(Stage::Realised));
        assert_eq!(stage("under_assessment"), Some(Stage::UnderAssessment));
        assert_eq!(stage("Under assessment"), Some(Stage::UnderAssessment));
        assert_eq!(service_area("HR & Payroll"), Some(ServiceArea::HrPayroll));
        assert_eq!(service_area("Legal"), Some(ServiceArea::Legal));
        assert_eq!(
            service_area("ICT and digital"),
            Some(ServiceArea::IctDigital)
        );
        assert_eq!(kind("Shared service"), Some(OpportunityKind::SharedService));
        assert_eq!(
            kind("Joint purchasing"),
            Some(OpportunityKind::JointProcurement)
        );
        assert_eq!(
            visibility("Partnership: anyone signed in"),
            Some(OpportunityVisibility::Partnership)
        );
        assert_eq!(stage("Moon"), None);
    }
}
