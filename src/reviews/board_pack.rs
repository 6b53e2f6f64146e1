//! The board pack as a workbook: the same figures as the print view, one sheet each.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::summary::{Comparison, Snapshot};
use crate::opportunities::model::format_pence;

fn header(sheet: &mut Worksheet, names: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (c, name) in names.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

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
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    header(sheet, &["Item", "Value"], bold)?;
    let rows = [
        ("Quarter", s.quarter.clone()),
        ("Status", status.to_string()),
        ("Savings estimated", format_pence(s.savings.estimated)),
        ("Savings validated", format_pence(s.savings.validated)),
        ("Savings realised", format_pence(s.savings.realised)),
        (
            "Of which cashable",
            format_pence(s.savings.cashable_realised),
        ),
    ];
    for (r, (k, v)) in rows.iter().enumerate() {
        sheet.write_string(r as u32 + 1, 0, *k)?;
        sheet.write_string(r as u32 + 1, 1, v)?;
    }
    let base = rows.len() as u32 + 2;
    sheet.write_string_with_format(base, 0, "Stage", bold)?;
    sheet.write_string_with_format(base, 1, "Opportunities", bold)?;
    for (r, st) in s.stages.iter().enumerate() {
        sheet.write_string(base + 1 + r as u32, 0, &st.label)?;
        sheet.write_number(base + 1 + r as u32, 1, st.count as f64)?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 20)?;
    Ok(())
}

fn returns_sheet(sheet: &mut Worksheet, s: &Snapshot, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Returns")?;
    header(
        sheet,
        &[
            "Workspace",
            "Lead",
            "Return",
            "Overall RAG",
            "Commentary",
            "Decisions needed",
            "Submitted by",
        ],
        bold,
    )?;
    for (r, w) in s.workspaces.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, &w.name)?;
        sheet.write_string(r, 1, &w.lead)?;
        sheet.write_string(r, 2, &w.status)?;
        sheet.write_string(r, 3, rag_word(w.overall_rag.as_deref().unwrap_or("")))?;
        sheet.write_string(r, 4, &w.commentary)?;
        sheet.write_string(r, 5, &w.decisions)?;
        sheet.write_string(r, 6, w.submitted_by.as_deref().unwrap_or(""))?;
    }
    Ok(())
}

fn actions_sheet(sheet: &mut Worksheet, s: &Snapshot, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Actions")?;
    header(sheet, &["Workspace", "Action", "RAG", "Progress %"], bold)?;
    let mut r = 1u32;
    for w in &s.workspaces {
        for a in &w.content.actions {
            sheet.write_string(r, 0, &w.name)?;
            sheet.write_string(r, 1, &a.title)?;
            sheet.write_string(r, 2, rag_word(&a.rag))?;
            sheet.write_number(r, 3, f64::from(a.progress))?;
            r += 1;
        }
    }
    Ok(())
}

fn measures_sheet(sheet: &mut Worksheet, s: &Snapshot, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Measures")?;
    header(
        sheet,
        &["Workspace", "Measure", "Unit", "Reading", "Target"],
        bold,
    )?;
    let mut r = 1u32;
    for w in &s.workspaces {
        for m in &w.content.measures {
            sheet.write_string(r, 0, &w.name)?;
            sheet.write_string(r, 1, &m.name)?;
            sheet.write_string(r, 2, &m.unit)?;
            if let Some(v) = m.value {
                sheet.write_number(r, 3, v)?;
            }
            sheet.write_number(r, 4, m.target)?;
            r += 1;
        }
    }
    Ok(())
}

fn comparison_sheet(sheet: &mut Worksheet, c: &Comparison, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Since last quarter")?;
    header(sheet, &["Change", "Workspace", "Item", "Then", "Now"], bold)?;
    let mut r = 1u32;
    for ch in &c.rag_changes {
        sheet.write_string(r, 0, "RAG")?;
        sheet.write_string(r, 1, &ch.workspace)?;
        sheet.write_string(r, 2, &ch.item)?;
        sheet.write_string(r, 3, rag_word(&ch.from))?;
        sheet.write_string(r, 4, rag_word(&ch.to))?;
        r += 1;
    }
    for m in &c.measures {
        sheet.write_string(r, 0, format!("Measure {}", m.verdict))?;
        sheet.write_string(r, 1, &m.workspace)?;
        sheet.write_string(r, 2, &m.measure)?;
        sheet.write_number(r, 3, m.from)?;
        sheet.write_number(r, 4, m.to)?;
        r += 1;
    }
    for (name, moved) in [
        ("Savings estimated moved", c.savings_moved.estimated),
        ("Savings validated moved", c.savings_moved.validated),
        ("Savings realised moved", c.savings_moved.realised),
    ] {
        sheet.write_string(r, 0, name)?;
        sheet.write_string(r, 4, format_pence(moved))?;
        r += 1;
    }
    Ok(())
}

/// Text is written as text, so nothing in a cell is ever taken for a formula.
pub fn workbook(
    s: &Snapshot,
    comparison: Option<&Comparison>,
    status: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    summary_sheet(book.add_worksheet(), s, status, &bold)?;
    returns_sheet(book.add_worksheet(), s, &bold)?;
    actions_sheet(book.add_worksheet(), s, &bold)?;
    measures_sheet(book.add_worksheet(), s, &bold)?;
    if let Some(c) = comparison {
        comparison_sheet(book.add_worksheet(), c, &bold)?;
    }
    Ok(book.save_to_buffer()?)
}
