//! Importing the spreadsheet a council really keeps: its own headings under a merged title
//! and a note, blank rows, a totals row with a formula, Excel dates, amounts in £k and as
//! people write them, organisations by name and initials, statuses in its own words. The
//! file is generated as a workbook and read back through the API, as a council would send it.

use diesel::prelude::*;
use metro_portal::organisations::{self, OrgKind};
use metro_portal::users::Role;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use serde_json::{json, Value};

use crate::common::*;

const HEADINGS: [&str; 10] = [
    "Ref",
    "Idea",
    "Description",
    "Lead council",
    "Partner(s)",
    "Service",
    "Est. saving £k",
    "Date logged",
    "Status",
    "Notes",
];

const IDEAS: [&str; 38] = [
    "Legal services",
    "Payroll",
    "Pest control",
    "Dog wardens",
    "Building control",
    "Archives",
    "Coroner support",
    "Trading standards",
    "Licensing",
    "Parking enforcement",
    "CCTV monitoring",
    "Emergency planning",
    "Internal audit",
    "Insurance",
    "Treasury management",
    "Pensions administration",
    "Occupational health",
    "Translation",
    "Print unit",
    "Post room",
    "Fleet maintenance",
    "Grounds maintenance",
    "Street lighting",
    "Highway inspections",
    "School admissions",
    "Registrars",
    "Bereavement",
    "Land charges",
    "Planning policy",
    "Ecology advice",
    "Tree officers",
    "Noise nuisance",
    "Food safety",
    "Air quality",
    "Welfare rights",
    "Debt advice",
    "Procurement hub",
    "Data protection",
];

/// An amount as the council typed it into its £k column.
enum Amount {
    Number(f64),
    Text(&'static str),
    None,
}

const AMOUNTS: [Amount; 6] = [
    Amount::Number(45.0),
    Amount::Number(18.75),
    Amount::Text("£1.2m"),
    Amount::Text("12.5k"),
    Amount::Number(120.0),
    Amount::None,
];
const LEADS: [&str; 4] = ["Derby City", "Derby City Council", "derby", "Derby City"];
const PARTNERS: [&str; 4] = [
    "Nottingham / Leicester",
    "Nottingham City Council",
    "",
    "Derbyshire and Nottingham",
];
const SERVICES: [&str; 6] = [
    "Legal",
    "HR",
    "ICT and digital",
    "Waste",
    "Highways",
    "Property",
];
const STATUSES: [&str; 6] = [
    "Assessing",
    "Not progressing",
    "Complete",
    "New",
    "Idea",
    "Approved",
];

/// Where each idea's row is: the sheet numbers rows from 1; blank rows follow ideas 10 and 25.
fn row_of(i: usize) -> u32 {
    5 + i as u32 + u32::from(i >= 10) + u32::from(i >= 25)
}

/// The council's workbook. `dcc` are the ideas whose lead is written "DCC".
fn council_workbook(dcc: &[usize]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .merge_range(
            0,
            0,
            0,
            9,
            "Derby City Council: shared service ideas 2026",
            &bold,
        )
        .unwrap();
    sheet
        .write_string(
            1,
            0,
            "Savings in £k are estimates. Kept by the transformation team.",
        )
        .unwrap();
    for (c, h) in HEADINGS.iter().enumerate() {
        sheet
            .write_string_with_format(3, c as u16, *h, &bold)
            .unwrap();
    }
    for i in 0..IDEAS.len() {
        let r = row_of(i) - 1;
        let lead = if dcc.contains(&i) {
            "DCC"
        } else {
            LEADS[i % 4]
        };
        let text = [
            format!("DCC-SS-{:03}", i + 1),
            IDEAS[i].to_string(),
            format!("{} shared across the Metro councils", IDEAS[i]),
            lead.to_string(),
            PARTNERS[i % 4].to_string(),
            SERVICES[i % 6].to_string(),
        ];
        for (c, t) in text.iter().enumerate() {
            if !t.is_empty() {
                sheet.write_string(r, c as u16, t).unwrap();
            }
        }
        match AMOUNTS[i % 6] {
            Amount::Number(n) => sheet.write_number(r, 6, n).unwrap(),
            Amount::Text(t) => sheet.write_string(r, 6, t).unwrap(),
            Amount::None => sheet,
        };
        let logged = ExcelDateTime::from_ymd(2026, 1 + (i % 12) as u8, 1 + (i % 28) as u8).unwrap();
        sheet
            .write_datetime_with_format(r, 7, &logged, &date)
            .unwrap();
        sheet.write_string(r, 8, STATUSES[i % 6]).unwrap();
        sheet
            .write_string(r, 9, "Check with the service lead")
            .unwrap();
    }
    let total = row_of(IDEAS.len() - 1);
    sheet
        .write_string_with_format(total, 0, "Total", &bold)
        .unwrap();
    sheet
        .write_formula(
            total,
            6,
            Formula::new(format!("=SUM(G5:G{total})")).set_result("1000"),
        )
        .unwrap();
    book.save_to_buffer().unwrap()
}

struct Council {
    app: TestApp,
    derby: i64,
    token: String,
}

async fn council() -> Council {
    let app = spawn_app().await;
    let mut conn = app.db.get().unwrap();
    let derby = organisations::queries::insert(
        &mut conn,
        "Derby City Council",
        "derby",
        OrgKind::CityCouncil,
    )
    .unwrap();
    for (name, slug, kind) in [
        (
            "Derbyshire County Council",
            "derbyshire",
            OrgKind::CountyCouncil,
        ),
        (
            "Nottingham City Council",
            "nottingham",
            OrgKind::CityCouncil,
        ),
        ("Leicester City Council", "leicester", OrgKind::CityCouncil),
    ] {
        organisations::queries::insert(&mut conn, name, slug, kind).unwrap();
    }
    drop(conn);
    let staff = app.create_user(derby, Role::Staff);
    let token = app.token(&staff).await;
    Council { app, derby, token }
}

/// What an import may not touch when it writes nothing.
fn written(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("opportunities"),
        app.count("events"),
        app.count("jobs"),
        app.count("savings"),
    )
}

#[tokio::test]
async fn a_councils_own_workbook_is_found_mapped_previewed_and_imported_once() {
    let c = council().await;
    let app = &c.app;
    let file = council_workbook(&[4, 17]);
    let before = written(app);

    // The preview: the heading row under the title and note, the columns read from the
    // council's headings (the £k unit from its heading), blank and totals rows skipped, and
    // "DCC" a problem that offers both councils it could be.
    let (status, report) = app
        .import_file(&c.token, "ideas.xlsx", file.clone(), true, None)
        .await;
    assert_eq!(status, 422, "{report}");
    assert_eq!(report["header_row"], 4, "{report}");
    let columns = &report["mapping"]["columns"];
    for (heading, field) in [
        ("Ref", json!("your_reference")),
        ("Idea", json!("title")),
        ("Description", json!("summary")),
        ("Lead council", json!("lead_organisation")),
        ("Partner(s)", json!("partners")),
        ("Service", json!("service_area")),
        ("Est. saving £k", json!("estimated_savings")),
        ("Date logged", Value::Null),
        ("Status", json!("stage")),
        ("Notes", Value::Null),
    ] {
        assert_eq!(columns[heading], field, "{heading}: {report}");
    }
    assert_eq!(report["mapping"]["units"]["Est. saving £k"], "thousands");
    // 38 ideas, and the two blank rows and the totals row between and below them.
    assert_eq!(report["rows"], 41);
    let skipped: Vec<(u64, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["row"].as_u64().unwrap(),
                s["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (15, "Skipped: blank".to_string()),
            (31, "Skipped: blank".to_string()),
            (row_of(37) as u64 + 1, "Skipped: a totals row".to_string())
        ]
    );
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{report}");
    for (p, idea) in problems.iter().zip([4, 17]) {
        assert_eq!(p["row"], row_of(idea));
        assert_eq!(p["column"], "Lead council");
        assert_eq!(p["value"], "DCC");
        assert_eq!(
            p["choices"],
            json!(["Derby City Council", "Derbyshire County Council"])
        );
    }
    assert_eq!(written(app), before, "a preview writes nothing");

    // Saying what DCC means: the preview is clean, and still nothing is written.
    let mut mapping = report["mapping"].clone();
    mapping["values"] = json!({ "lead_organisation": { "DCC": "Derby City Council" } });
    let (status, report) = app
        .import_file(&c.token, "ideas.xlsx", file.clone(), true, Some(&mapping))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["counts"],
        json!({ "create": 38, "update": 0, "unchanged": 0, "skip": 3 })
    );
    assert_eq!(report["rows"], 38 + 3, "the counts add up to the rows");
    assert_eq!(written(app), before);

    // Confirmed: all 38 are written, with values read as the council wrote them.
    let (status, report) = app
        .import_file(&c.token, "ideas.xlsx", file.clone(), false, Some(&mapping))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["counts"]["create"], 38);
    let mut pooled = app.db.get().unwrap();
    let conn: &mut metro_portal::db::DbConn = &mut pooled;
    use metro_portal::schema::{opportunities as o, opportunity_partners as p, savings as s};
    let found = |conn: &mut metro_portal::db::DbConn, title: &str| -> (i64, String, String, i64) {
        o::table
            .filter(o::title.eq(title))
            .select((o::id, o::stage, o::your_reference, o::lead_organisation_id))
            .first::<(i64, String, String, i64)>(conn)
            .unwrap()
    };
    let pence = |conn: &mut metro_portal::db::DbConn, id: i64| -> Vec<i64> {
        s::table
            .filter(s::opportunity_id.eq(id))
            .select(s::amount_pence)
            .load(conn)
            .unwrap()
    };
    let (legal, stage, own_ref, lead) = found(conn, "Legal services");
    assert_eq!(
        (stage.as_str(), own_ref.as_str(), lead),
        ("under_assessment", "DCC-SS-001", c.derby)
    );
    assert_eq!(
        pence(conn, legal),
        [4_500_000],
        "45 in a £k column is £45,000"
    );
    let (payroll, stage, _, _) = found(conn, "Payroll");
    assert_eq!(stage, "declined", "Not progressing");
    assert_eq!(pence(conn, payroll), [1_875_000], "18.75 in £k");
    let (pest, stage, _, _) = found(conn, "Pest control");
    assert_eq!(stage, "realised", "Complete");
    assert_eq!(pence(conn, pest), [120_000_000], "£1.2m says its own unit");
    assert_eq!(
        {
            let id = found(conn, "Dog wardens").0;
            pence(conn, id)
        },
        [1_250_000],
        "12.5k"
    );
    let (dcc_row, _, _, lead) = found(conn, IDEAS[4]);
    assert_eq!(lead, c.derby, "DCC as the person said");
    let partners: i64 = p::table
        .filter(p::opportunity_id.eq(legal))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(partners, 2, "Nottingham / Leicester is two partners");
    assert!(dcc_row > 0);
    drop(pooled);

    // The same file again, with no mapping sent: the one confirmed is remembered for these
    // headings (what DCC means included), every row matches, nothing changes, nobody is told.
    let after = written(app);
    let (status, report) = app
        .import_file(&c.token, "ideas.xlsx", file, false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["mapping"]["values"], mapping["values"]);
    assert_eq!(
        report["counts"],
        json!({ "create": 0, "update": 0, "unchanged": 38, "skip": 3 })
    );
    assert_eq!(
        written(app),
        after,
        "an unchanged file writes nothing and sends nothing"
    );
}

#[tokio::test]
async fn a_title_that_only_resembles_one_is_offered_never_merged_silently() {
    let c = council().await;
    let app = &c.app;
    let csv = "Idea,Description,Service\nShared legal services,One legal team,Legal\n";
    let (status, report) = app
        .import_file(&c.token, "a.csv", csv.into(), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    let reference = report["changes"][0]["reference"]
        .as_str()
        .unwrap()
        .to_string();

    let like =
        "Idea,Description,Service\nShared legal service,One legal team for the Metro,Legal\n";
    let (status, report) = app
        .import_file(&c.token, "b.csv", like.into(), true, None)
        .await;
    assert_eq!(status, 422, "{report}");
    let p = &report["problems"][0];
    assert_eq!(
        (p["row"].as_u64(), p["column"].as_str()),
        (Some(2), Some("Idea"))
    );
    assert_eq!(p["choices"], json!([reference, "new"]));
    assert!(p["message"]
        .as_str()
        .unwrap()
        .contains(&format!("Looks like {reference}")));

    // Chosen as an update: the preview says what changes, old → new.
    let mut mapping = report["mapping"].clone();
    mapping["matches"] = json!({ "2": reference });
    let (status, report) = app
        .import_file(&c.token, "b.csv", like.into(), true, Some(&mapping))
        .await;
    assert_eq!(status, 200, "{report}");
    let change = &report["changes"][0];
    assert_eq!(
        (change["action"].as_str(), change["reference"].as_str()),
        (Some("update"), Some(reference.as_str()))
    );
    let fields: Vec<(&str, &str, &str)> = change["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap(),
                f["old"].as_str().unwrap(),
                f["new"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("Title", "Shared legal services", "Shared legal service"),
            ("Summary", "One legal team", "One legal team for the Metro")
        ]
    );
    // Chosen as new: a second opportunity.
    mapping["matches"] = json!({ "2": "new" });
    let (status, report) = app
        .import_file(&c.token, "b.csv", like.into(), false, Some(&mapping))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["counts"]["create"], 1);
    assert_eq!(app.count("opportunities"), 2);
}

#[tokio::test]
async fn values_people_write_are_understood_and_the_rest_say_what_was_found() {
    let c = council().await;
    let app = &c.app;
    let csv = "Idea,Description,Service,Status,Estimated saving,Partners\n\
Shared pest control,One team,Pest control,Assessing,\"£120,000\",Nottingham\n\
Joint fleet,One garage,Highways,Sort of,12.345,Atlantis\n";
    let (status, report) = app
        .import_file(&c.token, "c.csv", csv.into(), true, None)
        .await;
    assert_eq!(status, 422, "{report}");
    let problems = problems_of(&report);
    assert_eq!(
        problems,
        [
            "2: Service = Pest control",
            "3: Status = Sort of",
            "3: Partners = Atlantis",
            "3: Estimated saving = 12.345",
        ],
        "{report}"
    );
    for p in report["problems"].as_array().unwrap() {
        let message = p["message"].as_str().unwrap();
        assert!(
            message.contains(p["value"].as_str().unwrap()),
            "the message shows the value: {message}"
        );
    }
    let stage = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["column"] == "Status")
        .unwrap();
    assert!(stage["choices"]
        .as_array()
        .unwrap()
        .contains(&json!("Under assessment")));
    assert_eq!(app.count("opportunities"), 0);

    // A money column whose heading names no unit takes the unit its amounts are written in,
    // unless one of its plain numbers reads as pounds.
    let csv = "Idea,Description,Service,Estimated saving\n\
Shared pest control,One team,Waste,£12.5k\n\
Joint fleet,One garage,Highways,45\n";
    let (status, report) = app
        .import_file(&c.token, "k.csv", csv.into(), true, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["mapping"]["units"]["Estimated saving"], "thousands");
    let csv = csv.replace(",45\n", ",\"12,500\"\n");
    let (status, report) = app
        .import_file(&c.token, "p.csv", csv.into(), true, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["mapping"]["units"]["Estimated saving"], "pounds");
    assert_eq!(app.count("opportunities"), 0);
}

#[tokio::test]
async fn the_templates_example_row_is_never_imported() {
    let c = council().await;
    let app = &c.app;
    for name in ["template.csv", "template.xlsx"] {
        let bytes = app
            .browser()
            .get(&format!("/opportunities/import/{name}"))
            .await
            .bytes()
            .await
            .unwrap();
        let (status, report) = app
            .import_file(&c.token, name, bytes.to_vec(), false, None)
            .await;
        assert_eq!(status, 200, "{name}: {report}");
        // The example row is the one row below the headings, and it is skipped.
        assert_eq!(report["rows"], 1, "{name}: {report}");
        assert_eq!(report["counts"]["skip"], 1, "{name}: {report}");
        assert_eq!(
            report["skipped"][0]["message"],
            "Skipped: the template's example row"
        );
    }
    assert_eq!(app.count("opportunities"), 0);
}

/// The rules an import keeps, each once: a mapping remembered for headings written
/// otherwise; an update keeps the type and who can see it when the file does not say; one
/// row an opportunity; a council's own "Reference" column is its reference; a preview does
/// not name the references new rows would get; `dry_run=1` is a dry run.
#[tokio::test]
async fn what_an_import_keeps_and_what_it_refuses() {
    let c = council().await;
    let app = &c.app;
    let first = "Reference,Idea,Description,Service,Type,Visibility\nDCC-SS-014,Shared legal services,Example rowing club partnership,Legal,Joint procurement,Public\n";
    let (status, report) = app
        .import_file(&c.token, "a.csv", first.into(), true, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["mapping"]["columns"]["Reference"], "your_reference",
        "{report}"
    );
    assert_eq!(
        report["changes"][0]["reference"], "",
        "a preview names no new reference"
    );
    let (status, report) = app
        .import_file(&c.token, "a.csv", first.into(), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    let reference = report["changes"][0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reference.starts_with("OPP-"), "{report}");

    // The same headings in capitals: the remembered mapping still fits. Without the type and
    // visibility columns, the opportunity keeps both.
    let again = "REFERENCE,IDEA,DESCRIPTION,SERVICE\nDCC-SS-014,Shared legal services,One legal team,Legal\n";
    let (status, report) = app
        .import_file(&c.token, "b.csv", again.into(), false, None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["counts"]["update"], 1, "{report}");
    use metro_portal::schema::opportunities as o;
    let mut conn = app.db.get().unwrap();
    let kept: (String, String, String) = o::table
        .filter(o::reference.eq(&reference))
        .select((o::kind, o::visibility, o::summary))
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    assert_eq!(
        kept,
        (
            "joint_procurement".into(),
            "public".into(),
            "One legal team".into()
        )
    );

    // Two rows for one opportunity: a problem, nothing written.
    let twice =
        "Idea,Description,Service\nShared legal services,A,Legal\nShared Legal Services.,B,Legal\n";
    let (status, report) = app
        .import_file(&c.token, "c.csv", twice.into(), false, None)
        .await;
    assert_eq!(status, 422, "{report}");
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("Row 2 also updates {reference}")),
        "{report}"
    );

    // dry_run=1 writes nothing.
    let new = "Idea,Description,Service\nJoint archive,One archive,Legal\n";
    let before = app.count("opportunities");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(new.as_bytes().to_vec()).file_name("d.csv"),
    );
    let res = app
        .api()
        .post(app.url("/api/v1/opportunities/import?dry_run=1"))
        .bearer_auth(&c.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.count("opportunities"), before, "dry_run=1 is a dry run");
}
