//! Validation charts: the firm-size CCDF on log-log axes with its fitted Pareto tail, and the
//! firm growth-rate histogram on a log y axis, where a Laplace ("tent") shape is a straight-sided
//! peak. Drawn only when the validation files exist.
//!
//! **Convention:** `size_tail_fit.csv`'s `alpha` is read as the CCDF exponent,
//! P(size >= x) ∝ x^-alpha, unless its `estimator` names a density-exponent estimator
//! ("clauset" or "pdf" in the name), whose alpha is the exponent of the density, so the CCDF
//! falls as x^-(alpha-1). The legend states the exponent drawn.

use super::data::{self, TailFit};
use super::style::{self, LegendEntry, Swatch};
use super::{Body, Chart, ChartError, DrawResult, SINGLE};
use crate::labels::{Lang, label, labelf};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Ccdf {
    /// (employees, P(size >= employees)), positive values only.
    pub points: Vec<(f64, f64)>,
    pub fit: Option<TailFit>,
    /// The straight line of the tail fit on log-log axes.
    pub fit_line: Vec<(f64, f64)>,
    /// The CCDF exponent the fit line uses.
    pub ccdf_exponent: f64,
}

#[derive(Debug, Clone)]
pub struct GrowthHist {
    /// (bin centre, density), densities > 0 only (a log axis cannot show zero).
    pub bins: Vec<(f64, f64)>,
    pub bin_width: f64,
    /// Laplace fit by weighted median and mean absolute deviation of the histogram.
    pub laplace_mu: f64,
    pub laplace_b: f64,
}

/// The CCDF exponent implied by a fit row (see the module's convention).
pub fn ccdf_exponent(fit: &TailFit) -> f64 {
    let e = fit.estimator.to_ascii_lowercase();
    if e.contains("clauset") || e.contains("pdf") {
        fit.alpha - 1.0
    } else {
        fit.alpha
    }
}

/// Builds the CCDF chart: points and, with a fit, the line through the empirical CCDF at xmin.
pub fn ccdf_chart(points: Vec<(f64, f64)>, fit: Option<TailFit>) -> Ccdf {
    let points: Vec<(f64, f64)> = points
        .into_iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .collect();
    let mut fit_line = Vec::new();
    let mut exponent = f64::NAN;
    if let Some(f) = &fit {
        exponent = ccdf_exponent(f);
        let anchor = points
            .iter()
            .filter(|(x, _)| *x >= f.xmin)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let x_max = points.iter().map(|p| p.0).fold(f.xmin, f64::max);
        if let Some(&(_, y0)) = anchor
            && f.xmin > 0.0
            && exponent.is_finite()
            && x_max > f.xmin
        {
            let steps = 40;
            fit_line = (0..=steps)
                .map(|k| {
                    let x = f.xmin * (x_max / f.xmin).powf(f64::from(k) / f64::from(steps));
                    (x, y0 * (x / f.xmin).powf(-exponent))
                })
                .collect();
        }
    }
    Ccdf {
        points,
        fit,
        fit_line,
        ccdf_exponent: exponent,
    }
}

/// Builds the histogram with its Laplace fit.
pub fn hist_chart(bins: Vec<(f64, f64)>) -> GrowthHist {
    let mut all: Vec<(f64, f64)> = bins
        .into_iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *y >= 0.0)
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut gaps: Vec<f64> = all.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_by(f64::total_cmp);
    let bin_width = gaps.get(gaps.len() / 2).copied().unwrap_or(1.0);
    let total: f64 = all.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    let mut mu = f64::NAN;
    for (x, y) in &all {
        acc += y;
        if acc >= total / 2.0 {
            mu = *x;
            break;
        }
    }
    let b = if total > 0.0 {
        all.iter().map(|(x, y)| y * (x - mu).abs()).sum::<f64>() / total
    } else {
        f64::NAN
    };
    GrowthHist {
        bins: all.into_iter().filter(|p| p.1 > 0.0).collect(),
        bin_width,
        laplace_mu: mu,
        laplace_b: b,
    }
}

/// The validation charts whose files exist in `dir`.
pub fn charts(dir: &Path, source: &str, lang: Lang) -> Result<Vec<Chart>, ChartError> {
    let mut charts = Vec::new();
    let ccdf_file = dir.join("size_ccdf.csv");
    if ccdf_file.is_file() {
        let fit_file = dir.join("size_tail_fit.csv");
        let fit = if fit_file.is_file() {
            Some(data::read_tail_fit(&fit_file)?)
        } else {
            None
        };
        let ccdf = ccdf_chart(data::read_ccdf(&ccdf_file)?, fit);
        if !ccdf.points.is_empty() {
            charts.push(Chart {
                name: "size_ccdf".to_string(),
                title: label(lang, "t.size_ccdf").to_string(),
                size: SINGLE,
                source: source.to_string(),
                lang,
                body: Body::Ccdf(ccdf),
            });
        }
    }
    let hist_file = dir.join("growth_hist.csv");
    if hist_file.is_file() {
        let hist = hist_chart(data::read_growth_hist(&hist_file)?);
        if !hist.bins.is_empty() {
            charts.push(Chart {
                name: "growth_hist".to_string(),
                title: label(lang, "t.growth_hist").to_string(),
                size: SINGLE,
                source: source.to_string(),
                lang,
                body: Body::GrowthHist(hist),
            });
        }
    }
    Ok(charts)
}

/// Tick labels for probabilities and densities spanning decades: "0.5", "0.001", "1e-4".
fn fmt_small(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 1000.0 {
        style::abbrev(v)
    } else if v.abs() >= 0.001 {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.1, 10.0);
    }
    (lo / 1.5, hi * 1.5)
}

pub fn draw_ccdf<DB: DrawingBackend>(c: &Ccdf, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(320));
    let (x0, x1) = log_bounds(c.points.iter().map(|p| p.0));
    let lang = super::fonts::current_lang();
    let (y0, y1) = log_bounds(c.points.iter().map(|p| p.1));
    let y1 = y1.min(1.5);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(14)
        .margin_right(28)
        .x_label_area_size(64)
        .y_label_area_size(100)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.firm_size"))
        .y_desc(label(lang, "y.ccdf"))
        .x_label_formatter(&fmt_small)
        .y_label_formatter(&fmt_small)
        .label_style(style::font(17.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let dots = style::color(0);
    chart.draw_series(
        c.points
            .iter()
            .map(|p| Circle::new(*p, 4, dots.mix(0.8).filled())),
    )?;
    let line = style::color(5);
    let mut legend = vec![LegendEntry::new(
        labelf(lang, "simulated_firms", &[&c.points.len()]),
        Swatch::Marker(dots),
    )];
    if let Some(fit) = &c.fit
        && !c.fit_line.is_empty()
    {
        chart.draw_series(DashedLineSeries::new(
            c.fit_line.clone(),
            12,
            8,
            line.stroke_width(3),
        ))?;
        legend.push(LegendEntry::new(
            labelf(
                lang,
                "pareto_fit",
                &[
                    &fit.estimator,
                    &format!("{:.2}", c.ccdf_exponent),
                    &style::abbrev(fit.xmin),
                    &style::abbrev(fit.n_tail),
                ],
            ),
            Swatch::Dashed(line),
        ));
    }
    style::draw_legend_column(&legend_area.margin(30, 0, 10, 10), &legend)
}

pub fn draw_hist<DB: DrawingBackend>(c: &GrowthHist, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(320));
    let half = c.bin_width / 2.0;
    let xs = c.bins.iter().flat_map(|p| [p.0 - half, p.0 + half]);
    let (x0, x1) = style::padded_range(xs);
    let lang = super::fonts::current_lang();
    let (y0, y1) = log_bounds(c.bins.iter().map(|p| p.1));
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(14)
        .margin_right(28)
        .x_label_area_size(64)
        .y_label_area_size(100)
        .build_cartesian_2d(x0..x1, (y0..y1).log_scale())?;
    let xfmt = style::tick_formatter(style::Unit::Plain, x0, x1, 10);
    chart
        .configure_mesh()
        .x_desc(label(lang, "x.growth"))
        .y_desc(label(lang, "y.density"))
        .x_labels(10)
        .x_label_formatter(&xfmt)
        .y_label_formatter(&fmt_small)
        .label_style(style::font(17.0))
        .axis_desc_style(style::font(19.0))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let fill = style::color(0);
    chart.draw_series(c.bins.iter().map(|(x, y)| {
        Rectangle::new(
            [(x - half * 0.92, y0), (x + half * 0.92, *y)],
            fill.mix(0.7).filled(),
        )
    }))?;
    let mut legend = vec![LegendEntry::new(
        labelf(lang, "simulated_growth", &[&fmt_small(&c.bin_width)]),
        Swatch::Band(fill, 0.7),
    )];
    if c.laplace_b.is_finite() && c.laplace_b > 0.0 {
        let line = style::color(5);
        let steps = 200;
        let fit: Vec<(f64, f64)> = (0..=steps)
            .map(|k| x0 + (x1 - x0) * f64::from(k) / f64::from(steps))
            .map(|x| {
                let d = (-(x - c.laplace_mu).abs() / c.laplace_b).exp() / (2.0 * c.laplace_b);
                (x, d)
            })
            .filter(|(_, d)| *d >= y0 && *d <= y1)
            .collect();
        chart.draw_series(DashedLineSeries::new(fit, 12, 8, line.stroke_width(3)))?;
        legend.push(LegendEntry::new(
            labelf(
                lang,
                "laplace_fit",
                &[&fmt_small(&c.laplace_mu), &fmt_small(&c.laplace_b)],
            ),
            Swatch::Dashed(line),
        ));
    }
    style::draw_legend_column(&legend_area.margin(30, 0, 10, 10), &legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_line_starts_at_the_empirical_ccdf_at_xmin() {
        let pts = vec![(1.0, 1.0), (10.0, 0.1), (100.0, 0.01)];
        let fit = TailFit {
            estimator: "hill".into(),
            alpha: 1.0,
            xmin: 10.0,
            n_tail: 50.0,
        };
        let c = ccdf_chart(pts, Some(fit));
        assert_eq!(c.fit_line.first(), Some(&(10.0, 0.1)));
        let (x, y) = *c.fit_line.last().unwrap();
        assert!((x - 100.0).abs() < 1e-9 && (y - 0.01).abs() < 1e-12);
    }

    #[test]
    fn clauset_alpha_is_a_density_exponent() {
        let fit = TailFit {
            estimator: "clauset_mle".into(),
            alpha: 2.1,
            xmin: 5.0,
            n_tail: 10.0,
        };
        assert!((ccdf_exponent(&fit) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn laplace_fit_recovers_centre_and_scale() {
        let b = 0.2;
        let bins: Vec<(f64, f64)> = (-100..=100)
            .map(|k| {
                let x = f64::from(k) * 0.01;
                (x, (-(x.abs()) / b).exp() / (2.0 * b))
            })
            .collect();
        let h = hist_chart(bins);
        assert!(h.laplace_mu.abs() < 1e-9);
        assert!((h.laplace_b - b).abs() < 0.02, "{}", h.laplace_b);
        assert!((h.bin_width - 0.01).abs() < 1e-12);
    }
}
