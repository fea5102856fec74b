//! Bars of net jobs and value added per 1 bn KRW of programme spending, by region and by
//! programme, with 95% CI whiskers, from compare.json's `per_bn_krw` rows.
//!
//! compare.json is written by the ensemble engine; missing keys mean the chart is skipped,
//! not an error.

use super::data::{PerBn, REGIONS, per_bn_rows};
use super::style;
use super::{Body, Chart, DrawResult, SINGLE};
use crate::labels::{Lang, label, programme_name, region_name};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;

/// One bar: mean with its 95% CI.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// Two panels of horizontal bars sharing the same categories.
#[derive(Debug, Clone)]
pub struct PerBnBars {
    pub jobs: Vec<Bar>,
    /// Value added in bn KRW per 1 bn KRW spent (a ratio).
    pub value_added: Vec<Bar>,
}

fn bars_of(rows: &[&PerBn], label: impl Fn(&PerBn) -> String) -> PerBnBars {
    let bar = |r: &PerBn, t: [f64; 3], scale: f64| Bar {
        label: label(r),
        mean: t[0] * scale,
        low: t[1] * scale,
        high: t[2] * scale,
    };
    PerBnBars {
        jobs: rows.iter().map(|r| bar(r, r.jobs, 1.0)).collect(),
        value_added: rows
            .iter()
            .map(|r| bar(r, r.value_added_krw, 1e-9))
            .collect(),
    }
}

fn is_total(region: &str) -> bool {
    region == "national" || region == "all"
}

/// The per-bn charts that compare.json supports: by region (all programmes) and by programme
/// (national).
pub fn compare_charts(json: &Value, source: &str, lang: Lang) -> Vec<Chart> {
    let rows = per_bn_rows(json);
    let mut charts = Vec::new();
    let rank = |region: &str| {
        REGIONS
            .iter()
            .position(|r| *r == region)
            .unwrap_or(REGIONS.len())
    };
    let mut by_region: Vec<&PerBn> = rows
        .iter()
        .filter(|r| r.program == "all" && !is_total(&r.region))
        .collect();
    by_region.sort_by_key(|r| (rank(&r.region), r.region.clone()));
    if !by_region.is_empty() {
        charts.push(Chart {
            name: "per_bn_region".to_string(),
            title: label(lang, "t.per_bn_region").to_string(),
            size: SINGLE,
            source: source.to_string(),
            lang,
            body: Body::Bars(bars_of(&by_region, |r| region_name(lang, &r.region))),
        });
    }
    let by_program: Vec<&PerBn> = rows
        .iter()
        .filter(|r| r.program != "all" && is_total(&r.region))
        .collect();
    if !by_program.is_empty() {
        charts.push(Chart {
            name: "per_bn_program".to_string(),
            title: label(lang, "t.per_bn_programme").to_string(),
            size: SINGLE,
            source: source.to_string(),
            lang,
            body: Body::Bars(bars_of(&by_program, |r| programme_name(lang, &r.program))),
        });
    }
    charts
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[Bar],
    caption: &str,
    x_desc: &str,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = bars.len();
    let (x0, x1) = style::padded_range(
        bars.iter()
            .flat_map(|b| [b.mean, b.low, b.high])
            .chain(std::iter::once(0.0)),
    );
    let label_font = style::font(16.0);
    let label_w = bars
        .iter()
        .map(|b| label_font.font.box_size(&b.label).map_or(100, |(w, _)| w))
        .max()
        .unwrap_or(60)
        + 24;
    // Category k occupies y in [n-1-k, n-k]: the first one at the top. The category labels
    // are drawn by hand, centred on each bar, so plotters draws no y ticks.
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .margin_right(30)
        .caption(caption, style::bold(20.0))
        .x_label_area_size(60)
        .y_label_area_size(label_w.clamp(60, 260))
        .build_cartesian_2d(x0..x1, 0.0..n as f64)?;
    let fmt = style::tick_formatter(style::Unit::Plain, x0, x1, 6);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(6)
        .x_label_formatter(&fmt)
        .x_desc(x_desc)
        .label_style(style::font(16.0))
        .axis_desc_style(style::font(17.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let base = area.get_base_pixel();
    for (k, bar) in bars.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        let mid = y + 0.5;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.15), (bar.mean, y + 0.85)],
            color.mix(0.85).filled(),
        )))?;
        if bar.low.is_finite() && bar.high.is_finite() {
            let whisker = BLACK.stroke_width(2);
            chart.draw_series([
                PathElement::new(vec![(bar.low, mid), (bar.high, mid)], whisker),
                PathElement::new(vec![(bar.low, mid - 0.12), (bar.low, mid + 0.12)], whisker),
                PathElement::new(
                    vec![(bar.high, mid - 0.12), (bar.high, mid + 0.12)],
                    whisker,
                ),
            ])?;
        }
        let (px, py) = chart.plotting_area().map_coordinate(&(x0, mid));
        area.draw(&Text::new(
            bar.label.clone(),
            (px - base.0 - 10, py - base.1),
            label_font.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, n as f64)],
        BLACK.stroke_width(1),
    )))?;
    Ok(())
}

/// Draws jobs on the left and value added on the right, with a one-line key below.
pub fn draw<DB: DrawingBackend>(c: &PerBnBars, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let (_, h) = area.dim_in_pixel();
    let (panels, key) = area.split_vertically(h.saturating_sub(36));
    let (left, right) = panels.split_horizontally(panels.dim_in_pixel().0 / 2);
    panel(
        &left,
        &c.jobs,
        label(lang, "net_jobs"),
        label(lang, "y.jobs_per_bn"),
        style::color(0),
    )?;
    panel(
        &right,
        &c.value_added,
        label(lang, "value_added"),
        label(lang, "y.va_per_bn"),
        style::color(2),
    )?;
    style::draw_legend_row(
        &key,
        &[
            style::LegendEntry::new(
                label(lang, "mean_over_replicates"),
                style::Swatch::Bar(style::MUTED),
            ),
            style::LegendEntry::new(label(lang, "ci95"), style::Swatch::Line(BLACK)),
        ],
    )
}
