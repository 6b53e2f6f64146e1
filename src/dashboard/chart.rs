//! Server-rendered SVG bar charts for the dashboard. Each has a title and description for
//! screen readers, words beside the colours, and the page shows the same figures in a table.

use std::fmt::Write;

use super::queries::{Line, ThemeSummary};
use crate::opportunities::model::format_pence;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Estimated, validated and realised savings by financial year, as grouped bars.
pub fn savings_by_year(id: &str, lines: &[Line]) -> String {
    const WIDTH: f64 = 640.0;
    const LEFT: f64 = 100.0;
    const TOP: f64 = 30.0;
    const BAR: f64 = 14.0;
    const GAP: f64 = 18.0;
    let series = [
        ("Estimated", "#b1b4b6"),
        ("Validated", "#1d70b8"),
        ("Realised", "#00703c"),
    ];
    let max = lines
        .iter()
        .flat_map(|l| [l.amounts.estimated, l.amounts.validated, l.amounts.realised])
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let group = BAR * 3.0 + GAP;
    let height = TOP + group * lines.len().max(1) as f64 + 10.0;
    let plot = WIDTH - LEFT - 150.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">Savings by financial year</title><desc id="{id}-desc">Estimated, validated and realised savings for each financial year; the table beside the chart has the figures.</desc>"##
    );
    for (i, (name, colour)) in series.iter().enumerate() {
        let x = LEFT + i as f64 * 140.0;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/><text x="{}" y="14" font-size="13" fill="#0b0c0c">{name}</text>"##,
            x + 18.0
        );
    }
    for (row, line) in lines.iter().enumerate() {
        let y0 = TOP + row as f64 * group;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="13" text-anchor="end" fill="#0b0c0c">{}</text>"##,
            LEFT - 8.0,
            y0 + BAR * 1.5 + 4.0,
            escape(&line.label)
        );
        let values = [
            line.amounts.estimated,
            line.amounts.validated,
            line.amounts.realised,
        ];
        for (i, value) in values.iter().enumerate() {
            let w = (*value as f64 / max * plot).max(1.0);
            let y = y0 + i as f64 * BAR;
            let _ = write!(
                svg,
                r##"<rect x="{LEFT}" y="{y}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}" font-size="12" fill="#0b0c0c">{}</text>"##,
                BAR - 2.0,
                series[i].1,
                LEFT + w + 6.0,
                y + BAR - 4.0,
                escape(&format_pence(*value))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Open actions by RAG for each workspace, as stacked bars with the counts written on them.
pub fn rag_by_theme(id: &str, themes: &[ThemeSummary]) -> String {
    const WIDTH: f64 = 640.0;
    const LEFT: f64 = 200.0;
    const TOP: f64 = 30.0;
    const BAR: f64 = 22.0;
    const GAP: f64 = 10.0;
    let parts = [
        ("Red", "#d4351c", "#ffffff"),
        ("Amber", "#ffdd00", "#0b0c0c"),
        ("Green", "#00703c", "#ffffff"),
    ];
    let max = themes
        .iter()
        .map(|t| t.rag.red + t.rag.amber + t.rag.green)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = TOP + (BAR + GAP) * themes.len().max(1) as f64 + 10.0;
    let plot = WIDTH - LEFT - 20.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">Open actions by RAG status</title><desc id="{id}-desc">For each workspace, how many open actions are red, amber and green; the table has the figures.</desc>"##
    );
    for (i, (name, colour, _)) in parts.iter().enumerate() {
        let x = LEFT + i as f64 * 100.0;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="4" width="12" height="12" fill="{colour}" stroke="#0b0c0c" stroke-width="0.5"/><text x="{}" y="14" font-size="13" fill="#0b0c0c">{name}</text>"##,
            x + 18.0
        );
    }
    for (row, theme) in themes.iter().enumerate() {
        let y = TOP + row as f64 * (BAR + GAP);
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="13" text-anchor="end" fill="#0b0c0c">{}</text>"##,
            LEFT - 8.0,
            y + BAR - 7.0,
            escape(&theme.name)
        );
        let mut x = LEFT;
        for (count, (name, colour, ink)) in [theme.rag.red, theme.rag.amber, theme.rag.green]
            .iter()
            .zip(parts)
        {
            if *count == 0 {
                continue;
            }
            let w = *count as f64 / max * plot;
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{BAR}" fill="{colour}"><title>{name}: {count}</title></rect>"##
            );
            if w >= 18.0 {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle" fill="{ink}">{count}</text>"##,
                    x + w / 2.0,
                    y + BAR - 7.0
                );
            }
            x += w;
        }
    }
    svg.push_str("</svg>");
    svg
}
