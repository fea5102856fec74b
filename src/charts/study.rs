//! The charts of a research study folder: `regsim sensitivity` (Morris: mu* against sigma per
//! parameter; Sobol: S1 and ST bars with CI whiskers, from sensitivity.csv) and
//! `regsim calibrate` (the loss per evaluation from calibration.csv; each moment's distance
//! from its target in half-bands, before and after, from fit.csv).

use super::data::Table;
use super::style::{self, LegendEntry, Swatch};
use super::{Body, Chart, ChartError, DrawResult, SINGLE};
use crate::labels::{Lang, label, labelf};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Morris screening of one output: (parameter, mu*, sigma).
#[derive(Debug, Clone, PartialEq)]
pub struct Screening {
    pub points: Vec<(String, f64, f64)>,
}

/// Sobol indices of one output, largest ST first: (parameter, [S1, lo, hi], [ST, lo, hi]).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexBars {
    pub params: Vec<(String, [f64; 3], [f64; 3])>,
}

/// The loss of every evaluation of a calibration, and the best so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LossCurve {
    pub losses: Vec<(f64, f64)>,
}

/// Per moment, its distance from the target in half-bands before and after calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct MomentFit {
    pub moments: Vec<(String, f64, f64)>,
}

/// The most parameters a bar chart shows (the largest by ST).
const MAX_BARS: usize = 15;

/// The charts of `sensitivity.csv` (one per output) and of `calibration.csv` + `fit.csv`.
pub fn charts(dir: &Path, source: &str, lang: Lang) -> Result<Vec<Chart>, ChartError> {
    let mut charts = Vec::new();
    let chart = |name: String, title: String, body: Body| Chart {
        name,
        title,
        size: SINGLE,
        source: source.to_string(),
        lang,
        body,
    };
    let file = dir.join("sensitivity.csv");
    if file.is_file() {
        let t = Table::read(&file)?;
        let [cp, cm, cr, cy, ci, cv, cl, ch] =
            crate::ensemble::gsa::SENSITIVITY_COLUMNS.map(|c| t.col(c));
        let (cp, cm, cr, cy, ci, cv, cl, ch) = (cp?, cm?, cr?, cy?, ci?, cv?, cl?, ch?);
        let mut outputs: Vec<String> = Vec::new();
        for r in 0..t.len() {
            let o = format!("{}@{}@{}", t.text(r, cm), t.text(r, cr), t.text(r, cy));
            if !outputs.contains(&o) {
                outputs.push(o);
            }
        }
        for (n, o) in outputs.iter().enumerate() {
            let rows: Vec<usize> = (0..t.len())
                .filter(|&r| format!("{}@{}@{}", t.text(r, cm), t.text(r, cr), t.text(r, cy)) == *o)
                .collect();
            let get = |param: &str, index: &str| -> Result<Option<[f64; 3]>, ChartError> {
                for &r in &rows {
                    if t.text(r, cp) == param && t.text(r, ci) == index {
                        return Ok(Some([t.num(r, cv)?, t.num(r, cl)?, t.num(r, ch)?]));
                    }
                }
                Ok(None)
            };
            let mut params: Vec<String> = Vec::new();
            for &r in &rows {
                let p = t.text(r, cp);
                let idx = t.text(r, ci);
                if (idx == "mu_star" || idx == "ST") && !params.iter().any(|q| q == p) {
                    params.push(p.to_string());
                }
            }
            let morris = rows.iter().any(|&r| t.text(r, ci) == "mu_star");
            if morris {
                let mut points = Vec::new();
                for p in &params {
                    if let (Some(m), Some(s)) = (get(p, "mu_star")?, get(p, "sigma")?) {
                        points.push((p.clone(), m[0], s[0]));
                    }
                }
                charts.push(chart(
                    format!("sensitivity_morris_{n}"),
                    labelf(lang, "t.morris", &[o]),
                    Body::Screening(Screening { points }),
                ));
            } else {
                let mut bars = Vec::new();
                for p in &params {
                    if let (Some(s1), Some(st)) = (get(p, "S1")?, get(p, "ST")?) {
                        bars.push((p.clone(), s1, st));
                    }
                }
                bars.sort_by(|a, b| b.2[0].total_cmp(&a.2[0]));
                bars.truncate(MAX_BARS);
                charts.push(chart(
                    format!("sensitivity_sobol_{n}"),
                    labelf(lang, "t.sobol", &[o]),
                    Body::IndexBars(IndexBars { params: bars }),
                ));
            }
        }
    }
    let file = dir.join("calibration.csv");
    if file.is_file() {
        let t = Table::read(&file)?;
        let (ce, cl) = (t.col("evaluation")?, t.col("loss")?);
        let losses = (0..t.len())
            .map(|r| Ok((t.num(r, ce)?, t.num(r, cl)?)))
            .collect::<Result<Vec<_>, ChartError>>()?;
        charts.push(chart(
            "calibration_loss".into(),
            label(lang, "t.calibration_loss").to_string(),
            Body::Loss(LossCurve { losses }),
        ));
    }
    let file = dir.join("fit.csv");
    if file.is_file() {
        let t = Table::read(&file)?;
        let [cm, ct, clo, chi, cb, ca] =
            ["moment", "target", "low", "high", "before", "after"].map(|c| t.col(c));
        let (cm, ct, clo, chi, cb, ca) = (cm?, ct?, clo?, chi?, cb?, ca?);
        let mut moments = Vec::new();
        for r in 0..t.len() {
            let half = (t.num(r, chi)? - t.num(r, clo)?) / 2.0;
            let target = t.num(r, ct)?;
            let z = |v: f64| {
                if half > 0.0 {
                    (v - target) / half
                } else {
                    f64::NAN
                }
            };
            moments.push((
                t.text(r, cm).to_string(),
                z(t.num(r, cb)?),
                z(t.num(r, ca)?),
            ));
        }
        charts.push(chart(
            "calibration_moments".into(),
            label(lang, "t.calibration_moments").to_string(),
            Body::Moments(MomentFit { moments }),
        ));
    }
    Ok(charts)
}

fn short(name: &str) -> String {
    if name.chars().count() > 44 {
        format!(
            "…{}",
            name.chars()
                .skip(name.chars().count() - 43)
                .collect::<String>()
        )
    } else {
        name.to_string()
    }
}

pub fn draw_screening<DB: DrawingBackend>(
    c: &Screening,
    area: &DrawingArea<DB, Shift>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let finite = |v: &f64| v.is_finite();
    let x1 = c
        .points
        .iter()
        .map(|p| p.1)
        .filter(finite)
        .fold(0.0, f64::max)
        * 1.15;
    let y1 = c
        .points
        .iter()
        .map(|p| p.2)
        .filter(finite)
        .fold(0.0, f64::max)
        * 1.15;
    let (x1, y1) = (
        if x1 > 0.0 { x1 } else { 1.0 },
        if y1 > 0.0 { y1 } else { 1.0 },
    );
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .margin_right(40)
        .x_label_area_size(64)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..x1, 0.0..y1)?;
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.mu_star"))
        .y_desc(label(lang, "y.sigma"))
        .x_label_formatter(&|v| style::abbrev(*v))
        .y_label_formatter(&|v| style::abbrev(*v))
        .label_style(style::font(17.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let dot = style::color(0);
    let pts: Vec<(f64, f64)> = c
        .points
        .iter()
        .filter(|p| p.1.is_finite() && p.2.is_finite())
        .map(|p| (p.1, p.2))
        .collect();
    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 6, dot.filled())))?;
    // The line sigma = mu*: above it, effects are dominated by non-linearity or interactions.
    chart.draw_series(DashedLineSeries::new(
        vec![(0.0, 0.0), (x1, x1)],
        10,
        6,
        style::MUTED.stroke_width(1),
    ))?;
    let mut ranked: Vec<&(String, f64, f64)> = c
        .points
        .iter()
        .filter(|p| p.1.is_finite() && p.2.is_finite())
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    for p in ranked.iter().take(8) {
        chart.draw_series(std::iter::once(Text::new(
            short(&p.0),
            (p.1, p.2),
            style::font(14.0),
        )))?;
    }
    Ok(())
}

pub fn draw_bars<DB: DrawingBackend>(c: &IndexBars, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let n = c.params.len().max(1);
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(260));
    let x1 = c
        .params
        .iter()
        .flat_map(|p| [p.1[2], p.2[2], p.2[0]])
        .filter(|v| v.is_finite())
        .fold(0.1, f64::max)
        .min(1.5);
    let names: Vec<String> = c.params.iter().map(|p| short(&p.0)).collect();
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(14)
        .x_label_area_size(64)
        .y_label_area_size(380)
        .build_cartesian_2d(-0.05..x1 * 1.05, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.sobol_index"))
        .y_labels(n)
        .y_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                names.get(n - 1 - i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style(style::font(15.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let (c1, ct) = (style::color(0), style::color(1));
    for (i, (_, s1, st)) in c.params.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        for (e, off, col) in [(s1, 0.18, c1), (st, -0.18, ct)] {
            let yc = y + off;
            if e[0].is_finite() {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, yc - 0.16), (e[0], yc + 0.16)],
                    col.filled(),
                )))?;
            }
            if e[1].is_finite() && e[2].is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(e[1], yc), (e[2], yc)],
                    BLACK.stroke_width(2),
                )))?;
            }
        }
    }
    let legend = vec![
        LegendEntry::new(label(lang, "s1"), Swatch::Bar(c1)),
        LegendEntry::new(label(lang, "st"), Swatch::Bar(ct)),
        LegendEntry::new(label(lang, "ci95"), Swatch::Line(BLACK)),
    ];
    style::draw_legend_column(&legend_area.margin(30, 0, 10, 10), &legend)
}

pub fn draw_loss<DB: DrawingBackend>(c: &LossCurve, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let finite: Vec<(f64, f64)> = c
        .losses
        .iter()
        .copied()
        .filter(|p| p.1.is_finite() && p.1 > 0.0)
        .collect();
    let x1 = finite.iter().map(|p| p.0).fold(1.0, f64::max);
    let lo = finite.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = finite.iter().map(|p| p.1).fold(0.0, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo / 1.5, hi * 1.5)
    } else {
        (1e-3, 1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .margin_right(40)
        .x_label_area_size(64)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..x1, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.evaluation"))
        .y_desc(label(lang, "y.loss"))
        .y_label_formatter(&|v| format!("{v:.3e}"))
        .label_style(style::font(17.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let dot = style::color(0);
    chart.draw_series(finite.iter().map(|p| Circle::new(*p, 4, dot.filled())))?;
    let mut best = f64::INFINITY;
    let running: Vec<(f64, f64)> = finite
        .iter()
        .map(|p| {
            best = best.min(p.1);
            (p.0, best)
        })
        .collect();
    chart.draw_series(LineSeries::new(running, style::color(5).stroke_width(2)))?;
    Ok(())
}

pub fn draw_moments<DB: DrawingBackend>(c: &MomentFit, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let n = c.moments.len().max(1);
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(260));
    let clip = |v: f64| v.clamp(-6.0, 6.0);
    let names: Vec<String> = c.moments.iter().map(|m| short(&m.0)).collect();
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(14)
        .x_label_area_size(64)
        .y_label_area_size(380)
        .build_cartesian_2d(-6.2..6.2, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.half_bands"))
        .y_labels(n.min(40))
        .y_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                names.get(n - 1 - i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style(style::font(13.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(-1.0, -0.5), (1.0, n as f64 - 0.5)],
        style::GRID.mix(0.6).filled(),
    )))?;
    let (cb, ca) = (style::MUTED, style::color(0));
    for (i, (_, before, after)) in c.moments.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        if before.is_finite() {
            chart.draw_series(std::iter::once(Circle::new(
                (clip(*before), y),
                5,
                cb.stroke_width(2),
            )))?;
        }
        if after.is_finite() {
            chart.draw_series(std::iter::once(Circle::new(
                (clip(*after), y),
                5,
                ca.filled(),
            )))?;
        }
    }
    let legend = vec![
        LegendEntry::new(label(lang, "before"), Swatch::Marker(cb)),
        LegendEntry::new(label(lang, "after"), Swatch::Marker(ca)),
        LegendEntry::new(label(lang, "band"), Swatch::Band(style::GRID, 0.6)),
    ];
    style::draw_legend_column(&legend_area.margin(30, 0, 10, 10), &legend)
}
