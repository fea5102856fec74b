//! The chart of a `regsim target` folder: the share of replicates reaching the goal against
//! the multiplier of the levers' budgets, every evaluated multiplier a dot, the required
//! probability a dashed line and the multiplier found a marked point (target.json).

use super::style::{self, LegendEntry, Swatch};
use super::{Body, Chart, ChartError, DrawResult, SINGLE};
use crate::labels::{Lang, label, labelf};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;
use std::path::Path;

/// Evaluated multipliers with their probability (0..1), the required probability and the
/// multiplier found (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub points: Vec<(f64, f64)>,
    pub probability: f64,
    pub found: Option<f64>,
    /// The largest multiplier tried, when the goal was not reached there.
    pub unreachable_below: Option<f64>,
}

/// The chart of `dir/target.json`, or none when the file lacks evaluations.
pub fn charts(dir: &Path, source: &str, lang: Lang) -> Result<Vec<Chart>, ChartError> {
    let Some(json) = super::data::read_json(&dir.join("target.json"))? else {
        return Ok(Vec::new());
    };
    let points: Vec<(f64, f64)> = json
        .get("evaluations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e.get("multiplier")?.as_f64()?, e.get("p_reach")?.as_f64()?)))
        .collect();
    if points.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Chart {
        name: "target_probability".to_string(),
        title: label(lang, "t.target").to_string(),
        size: SINGLE,
        source: source.to_string(),
        lang,
        body: Body::Target(Curve {
            points,
            probability: json
                .get("probability")
                .and_then(Value::as_f64)
                .unwrap_or(0.5),
            found: json.get("multiplier").and_then(Value::as_f64),
            unreachable_below: (json.get("outcome").and_then(Value::as_str) == Some("unreachable"))
                .then(|| json.get("max_multiplier").and_then(Value::as_f64))
                .flatten(),
        }),
    }])
}

pub fn draw<DB: DrawingBackend>(c: &Curve, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(300));
    let x1 = c.points.iter().map(|p| p.0).fold(1.0, f64::max) * 1.05;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(14)
        .margin_right(28)
        .x_label_area_size(64)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.02 * x1..x1, -3.0..103.0)?;
    let xfmt = style::tick_formatter(style::Unit::Plain, 0.0, x1, 10);
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.multiplier"))
        .y_desc(label(lang, "y.probability"))
        .x_labels(10)
        .x_label_formatter(&xfmt)
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .label_style(style::font(17.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let line = style::color(0);
    let need = style::MUTED;
    chart.draw_series(DashedLineSeries::new(
        vec![(0.0, c.probability * 100.0), (x1, c.probability * 100.0)],
        12,
        8,
        need.stroke_width(2),
    ))?;
    let mut pts: Vec<(f64, f64)> = c.points.iter().map(|(m, p)| (*m, p * 100.0)).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    chart.draw_series(LineSeries::new(pts.clone(), line.stroke_width(2)))?;
    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 5, line.filled())))?;
    let found = style::color(5);
    let mut legend = vec![
        LegendEntry::new(label(lang, "evaluated"), Swatch::Marker(line)),
        LegendEntry::new(
            labelf(
                lang,
                "goal_probability",
                &[&format!("{:.0}", c.probability * 100.0)],
            ),
            Swatch::Dashed(need),
        ),
    ];
    if let Some(m) = c.found
        && let Some(p) = pts.iter().find(|p| p.0 == m)
    {
        chart.draw_series(std::iter::once(Circle::new(*p, 9, found.stroke_width(3))))?;
        legend.push(LegendEntry::new(
            labelf(lang, "found_multiplier", &[&format!("{m:.3}")]),
            Swatch::Marker(found),
        ));
    }
    if let Some(max) = c.unreachable_below {
        legend.push(LegendEntry::new(
            labelf(lang, "unreachable_below", &[&style::thousands(max, 1)]),
            Swatch::Marker(found),
        ));
    }
    style::draw_legend_column(&legend_area.margin(30, 0, 10, 10), &legend)
}
