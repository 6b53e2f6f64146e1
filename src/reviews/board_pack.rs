//! The board pack as a workbook: the same figures as the print view, one sheet each. Money
//! is pounds in currency cells, counts and readings are numbers (`workbook`).

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::summary::{Comparison, Snapshot};
use crate::workbook::{Cell, Styles, Table};

fn rag_word(rag: &str) -> &'static str {
    match rag {
        "red" => "Red",
        "amber" => "Amber",
        "green" => "Green",
        _ => "",
    }
}

fn summary_sheet(
    sheet: &mut Worksheet,
    s: &Snapshot,
    status: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let mut table = Table::new(sheet, styles, &[("Item", 28.0), ("Value", 20.0)])?;
    table.row(&[Cell::Text("Quarter"), Cell::Text(&s.quarter)])?;
    table.row(&[Cell::Text("Status"), Cell::Text(status)])?;
    for (name, pence) in [
        ("Savings estimated (£)", s.savings.estimated),
        ("Savings validated (£)", s.savings.validated),
        ("Savings realised (£)", s.savings.realised),
        ("Of which cashable (£)", s.savings.cashable_realised),
    ] {
        table.row(&[Cell::Text(name), Cell::Pence(pence)])?;
    }
    table.row(&[Cell::Empty])?;
    table.row(&[Cell::Heading("Stage"), Cell::Heading("Opportunities")])?;
    for st in &s.stages {
        table.row(&[Cell::Text(&st.label), Cell::Count(st.count)])?;
    }
    table.finish()
}

fn returns_sheet(sheet: &mut Worksheet, s: &Snapshot, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name("Returns")?;
    let mut table = Table::new(
        sheet,
        styles,
        &[
            ("Workspace", 30.0),
            ("Lead", 24.0),
            ("Return", 14.0),
            ("Overall RAG", 12.0),
            ("Commentary", 60.0),
            ("Decisions needed", 40.0),
            ("Submitted by", 24.0),
        ],
    )?;
    for w in &s.workspaces {
        table.row(&[
            Cell::Text(&w.name),
            Cell::Text(&w.lead),
            Cell::Text(&w.status),
            Cell::Text(rag_word(w.overall_rag.as_deref().unwrap_or(""))),
            Cell::Prose(&w.commentary),
            Cell::Prose(&w.decisions),
            Cell::Text(w.submitted_by.as_deref().unwrap_or("")),
        ])?;
    }
    table.finish()
}

fn actions_sheet(sheet: &mut Worksheet, s: &Snapshot, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name("Actions")?;
    let mut table = Table::new(
        sheet,
        styles,
        &[
            ("Workspace", 30.0),
            ("Action", 50.0),
            ("RAG", 10.0),
            ("Progress %", 12.0),
        ],
    )?;
    for w in &s.workspaces {
        for a in &w.content.actions {
            table.row(&[
                Cell::Text(&w.name),
                Cell::Text(&a.title),
                Cell::Text(rag_word(&a.rag)),
                Cell::Count(i64::from(a.progress)),
            ])?;
        }
    }
    table.finish()
}

fn measures_sheet(sheet: &mut Worksheet, s: &Snapshot, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name("Measures")?;
    let mut table = Table::new(
        sheet,
        styles,
        &[
            ("Workspace", 30.0),
            ("Measure", 40.0),
            ("Unit", 14.0),
            ("Reading", 14.0),
            ("Target", 14.0),
        ],
    )?;
    for w in &s.workspaces {
        for m in &w.content.measures {
            table.row(&[
                Cell::Text(&w.name),
                Cell::Text(&m.name),
                Cell::Text(&m.unit),
                m.value.map_or(Cell::Empty, Cell::Number),
                Cell::Number(m.target),
            ])?;
        }
    }
    table.finish()
}

fn comparison_sheet(
    sheet: &mut Worksheet,
    c: &Comparison,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name("Since last quarter")?;
    let mut table = Table::new(
        sheet,
        styles,
        &[
            ("Change", 30.0),
            ("Workspace", 30.0),
            ("Item", 40.0),
            ("Then", 16.0),
            ("Now", 16.0),
        ],
    )?;
    for ch in &c.rag_changes {
        table.row(&[
            Cell::Text("RAG"),
            Cell::Text(&ch.workspace),
            Cell::Text(&ch.item),
            Cell::Text(rag_word(&ch.from)),
            Cell::Text(rag_word(&ch.to)),
        ])?;
    }
    for m in &c.measures {
        let change = format!("Measure {}", m.verdict);
        table.row(&[
            Cell::Text(&change),
            Cell::Text(&m.workspace),
            Cell::Text(&m.measure),
            Cell::Number(m.from),
            Cell::Number(m.to),
        ])?;
    }
    for (name, moved) in [
        ("Savings estimated moved (£)", c.savings_moved.estimated),
        ("Savings validated moved (£)", c.savings_moved.validated),
        ("Savings realised moved (£)", c.savings_moved.realised),
    ] {
        table.row(&[
            Cell::Text(name),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Pence(moved),
        ])?;
    }
    table.finish()
}

/// Text is written as text, so nothing in a cell is ever taken for a formula.
pub fn workbook(
    s: &Snapshot,
    comparison: Option<&Comparison>,
    status: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let styles = Styles::default();
    summary_sheet(book.add_worksheet(), s, status, &styles)?;
    returns_sheet(book.add_worksheet(), s, &styles)?;
    actions_sheet(book.add_worksheet(), s, &styles)?;
    measures_sheet(book.add_worksheet(), s, &styles)?;
    if let Some(c) = comparison {
        comparison_sheet(book.add_worksheet(), c, &styles)?;
    }
    Ok(book.save_to_buffer()?)
}
