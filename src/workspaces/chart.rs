//! A measure's trend as a server-rendered SVG line chart: readings by quarter, with the
//! baseline and target as labelled reference lines. Pages always show the same numbers in
//! a table beside it.

use std::fmt::Write;

use super::model::{Measure, Quarter, Reading};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 110.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 50.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number as people write it: 40,000 or 12.5.
pub fn format_number(value: f64) -> String {
    if value.fract().abs() < 1e-9 && value.abs() < 1e15 {
        let grouped = crate::web::group_thousands(value.abs() as u64);
        if value < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        format!("{value:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Where values and readings fall on the plot: the value range (padded by a tenth each way)
/// and the number of readings across.
struct Scale {
    low: f64,
    high: f64,
    pad: f64,
    n: usize,
}

const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;

impl Scale {
    fn of(measure: &Measure, readings: &[Reading]) -> Scale {
        let values = readings.iter().map(|r| r.value);
        let mut low = values
            .clone()
            .fold(measure.baseline.min(measure.target), f64::min);
        let mut high = values.fold(measure.baseline.max(measure.target), f64::max);
        if (high - low).abs() < f64::EPSILON {
            low -= 1.0;
            high += 1.0;
        }
        let pad = (high - low) * 0.1;
        Scale {
            low: low - pad,
            high: high + pad,
            pad,
            n: readings.len().max(1),
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + PLOT_H - (v - self.low) / (self.high - self.low) * PLOT_H
    }

    fn x(&self, i: usize) -> f64 {
        LEFT + if self.n == 1 {
            PLOT_W / 2.0
        } else {
            i as f64 * PLOT_W / (self.n - 1) as f64
        }
    }
}

pub fn trend_svg(measure: &Measure, readings: &[Reading]) -> String {
    let scale = Scale::of(measure, readings);
    let name = escape(&measure.name);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="chart-title-{id}" focusable="false" xmlns="http://www.w3.org/2000/svg"><title id="chart-title-{id}">Trend of {name}: {count} readings, target {target} {unit}</title>"#,
        id = measure.id,
        count = readings.len(),
        target = format_number(measure.target),
        unit = escape(&measure.unit),
    );
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#ffffff" stroke="#b1b4b6"/>"##
    );
    reference_lines(&mut svg, measure, &scale);
    if readings.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="14" text-anchor="middle" fill="#0b0c0c">No readings yet</text>"##,
            LEFT + PLOT_W / 2.0,
            TOP + PLOT_H / 2.0
        );
    } else {
        series(&mut svg, readings, &scale);
    }
    svg.push_str("</svg>");
    svg
}

/// The target and baseline lines, labelled, and the value axis's two labels.
fn reference_lines(svg: &mut String, measure: &Measure, scale: &Scale) {
    for (label, value, colour, dash) in [
        ("Target", measure.target, "#00703c", "6 4"),
        ("Baseline", measure.baseline, "#505a5f", "2 4"),
    ] {
        let ly = scale.y(value);
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" y1="{ly:.1}" x2="{x2}" y2="{ly:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{tx}" y="{ty:.1}" font-size="13" fill="{colour}">{label} {v}</text>"#,
            x2 = LEFT + PLOT_W,
            tx = LEFT + PLOT_W + 6.0,
            ty = ly + 4.0,
            v = format_number(value),
        );
    }
    for v in [scale.low + scale.pad, scale.high - scale.pad] {
        let _ = write!(
            svg,
            r##"<text x="{tx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#0b0c0c">{label}</text>"##,
            tx = LEFT - 6.0,
            ty = scale.y(v) + 4.0,
            label = format_number(v),
        );
    }
}

/// The readings: a line through them, and a dot and quarter label at each.
fn series(svg: &mut String, readings: &[Reading], scale: &Scale) {
    let points: Vec<String> = readings
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{:.1},{:.1}", scale.x(i), scale.y(r.value)))
        .collect();
    let _ = write!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#1d70b8" stroke-width="3"/>"##,
        points.join(" ")
    );
    for (i, r) in readings.iter().enumerate() {
        let label = Quarter {
            year: r.year,
            quarter: r.quarter,
        }
        .label();
        let _ = write!(
            svg,
            r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="5" fill="#1d70b8"/><text x="{cx:.1}" y="{ly}" font-size="12" text-anchor="middle" fill="#0b0c0c">{label}</text>"##,
            cx = scale.x(i),
            cy = scale.y(r.value),
            ly = HEIGHT - BOTTOM + 20.0,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspaces::model::Direction;
    use chrono::NaiveDate;

    fn measure() -> Measure {
        Measure {
            id: 7,
            outcome_id: 1,
            workspace_id: 1,
            name: "Commuters <by> rail".into(),
            unit: "people".into(),
            direction: Direction::Higher,
            baseline: 40000.0,
            target: 46000.0,
            target_date: NaiveDate::from_ymd_opt(2028, 3, 31).unwrap(),
            created_at: NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        }
    }

    fn reading(quarter: i32, value: f64) -> Reading {
        Reading {
            id: quarter as i64,
            measure_id: 7,
            year: 2026,
            quarter,
            value,
            note: String::new(),
            recorded_by: 1,
            created_at: measure().created_at,
        }
    }

    #[test]
    fn the_chart_plots_every_reading_and_escapes_names() {
        let svg = trend_svg(
            &measure(),
            &[
                reading(1, 40500.0),
                reading(2, 41200.0),
                reading(3, 42000.0),
            ],
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("2026/27 Q3"));
        assert!(svg.contains("Target 46,000"));
        assert!(svg.contains("Commuters &lt;by&gt; rail"));
        assert!(!svg.contains("<by>"));
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(40000.0), "40,000");
        assert_eq!(format_number(-1234567.0), "-1,234,567");
        assert_eq!(format_number(12.5), "12.5");
    }
}
