//! Time-series charts: fan charts of national metrics (a line for one run; median with 50% and
//! 90% bands across sweep replicates), the capital-region shares, small multiples per region,
//! and policy-minus-baseline differences with their 95% CI from compare.csv.
//!
//! Builders here compute every number (quantiles, sums, shares, unit scaling); the draw
//! functions only place them.

use super::data::{self, CompareRow, REGIONS, SHARE_METRICS, Sweep, Yearly};
use super::style::{self, LegendEntry, Swatch, Unit};
use super::{Body, Chart, DrawResult, MULTIPLES, SINGLE};
use crate::labels::{Lang, label, labelf, programme_name, region_name};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The headline target: non-capital SME sales of 982 trn KRW (2025) reaching 1,432 trn KRW in
/// 2030 (POLICY_BRIEF.md).
pub const TARGET_START: (i32, f64) = (2025, 982.0);
pub const TARGET_END: (i32, f64) = (2030, 1432.0);

/// The target path in trn KRW per year, interpolated geometrically (constant growth rate).
pub fn target_path() -> Vec<(i32, f64)> {
    let (y0, v0) = TARGET_START;
    let (y1, v1) = TARGET_END;
    let rate = (v1 / v0).powf(1.0 / f64::from(y1 - y0));
    (y0..=y1).map(|y| (y, v0 * rate.powi(y - y0))).collect()
}

/// A shaded band between a low and a high value per year.
#[derive(Debug, Clone)]
pub struct Band {
    pub alpha: f64,
    pub points: Vec<(i32, f64, f64)>,
}

/// A line (with optional bands) in display units.
#[derive(Debug, Clone)]
pub struct Series {
    pub color: RGBColor,
    pub line: Vec<(i32, f64)>,
    pub bands: Vec<Band>,
    pub dashed: bool,
    /// Mark each year with a dot (single runs: shows which years exist).
    pub markers: bool,
}

#[derive(Debug, Clone)]
pub struct TimeChart {
    pub y_desc: String,
    pub unit: Unit,
    pub series: Vec<Series>,
    pub legend: Vec<LegendEntry>,
    pub zero_line: bool,
    /// Years the x axis must cover even without data (e.g. the target path).
    pub extra_years: Vec<i32>,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

/// A 5x3 grid of the 15 regions, each panel with its own y scale.
#[derive(Debug, Clone)]
pub struct Multiples {
    pub unit: Unit,
    pub panels: Vec<Panel>,
    pub legend: Vec<LegendEntry>,
}

/// Quantile by linear interpolation between order statistics (R type 7); `sorted` ascending.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// A group of runs drawn as one series: one run gives a line, several give a fan.
struct Group<'a> {
    label: String,
    members: Vec<&'a BTreeMap<i32, f64>>,
}

/// Builds the series of one group in display units (values times `scale`).
fn group_series(group: &Group, scale: f64, color: RGBColor, with_bands: bool) -> Series {
    let years: BTreeSet<i32> = group
        .members
        .iter()
        .flat_map(|m| m.keys().copied())
        .collect();
    let mut line = Vec::new();
    let (mut b50, mut b90) = (Vec::new(), Vec::new());
    for y in years {
        let mut values: Vec<f64> = group
            .members
            .iter()
            .filter_map(|m| m.get(&y))
            .map(|v| v * scale)
            .filter(|v| v.is_finite())
            .collect();
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        line.push((y, quantile(&values, 0.5)));
        b50.push((y, quantile(&values, 0.25), quantile(&values, 0.75)));
        b90.push((y, quantile(&values, 0.05), quantile(&values, 0.95)));
    }
    let fan = with_bands && group.members.len() > 1;
    Series {
        color,
        markers: group.members.len() == 1 && line.len() <= 15,
        line,
        bands: if fan {
            vec![
                Band {
                    alpha: 0.15,
                    points: b90,
                },
                Band {
                    alpha: 0.30,
                    points: b50,
                },
            ]
        } else {
            Vec::new()
        },
        dashed: false,
    }
}

/// Legend entries for groups: a line per group, and the band meanings once.
fn group_legend(
    groups: &[Group],
    colors: &[RGBColor],
    with_bands: bool,
    lang: Lang,
) -> Vec<LegendEntry> {
    let mut legend: Vec<LegendEntry> = groups
        .iter()
        .zip(colors)
        .map(|(g, c)| {
            let label = if g.members.len() > 1 {
                labelf(lang, "median_of_n", &[&g.label, &g.members.len()])
            } else {
                g.label.clone()
            };
            LegendEntry::new(label, Swatch::Line(*c))
        })
        .collect();
    if with_bands && groups.iter().any(|g| g.members.len() > 1) {
        let c = if groups.len() == 1 {
            colors[0]
        } else {
            style::MUTED
        };
        legend.push(LegendEntry::new(
            label(lang, "band50"),
            Swatch::Band(c, 0.30),
        ));
        legend.push(LegendEntry::new(
            label(lang, "band90"),
            Swatch::Band(c, 0.15),
        ));
    }
    legend
}

/// A national metric shown as a fan chart (`title` and `y_desc` are label keys).
struct Metric {
    name: &'static str,
    column: &'static str,
    title: &'static str,
    y_desc: &'static str,
    unit: Unit,
    scale: f64,
}

const NATIONAL: [Metric; 4] = [
    Metric {
        name: "noncapital_sme_sales",
        column: "noncapital_sme_sales_krw",
        title: "t.noncapital_sme_sales",
        y_desc: "y.noncapital_sme_sales",
        unit: Unit::Plain,
        scale: 1e-12,
    },
    Metric {
        name: "employment",
        column: "employment",
        title: "t.employment",
        y_desc: "y.employment",
        unit: Unit::Count,
        scale: 1.0,
    },
    Metric {
        name: "startups",
        column: "startups",
        title: "t.startups",
        y_desc: "y.startups",
        unit: Unit::Count,
        scale: 1.0,
    },
    Metric {
        name: "vc_investment",
        column: "vc_investment_krw",
        title: "t.vc_investment",
        y_desc: "y.vc_investment",
        unit: Unit::Plain,
        scale: 1e-12,
    },
];

/// Label keys of the capital shares, in [`SHARE_METRICS`] order.
const SHARE_LABELS: [&str; 6] = [
    "share.firms",
    "share.employment",
    "share.sales",
    "share.vc_investment",
    "share.population",
    "share.population_15_39",
];

const REGIONAL: [Metric; 3] = [
    Metric {
        name: "regions_employment",
        column: "employment",
        title: "t.regions_employment",
        y_desc: "",
        unit: Unit::Count,
        scale: 1.0,
    },
    Metric {
        name: "regions_firms",
        column: "firms",
        title: "t.regions_firms",
        y_desc: "",
        unit: Unit::Count,
        scale: 1.0,
    },
    Metric {
        name: "regions_sales",
        column: "sales_krw",
        title: "t.regions_sales",
        y_desc: "",
        unit: Unit::Plain,
        scale: 1e-12,
    },
];

/// National charts from groups of national tables (one group per sweep point, or the run).
fn national_charts(
    groups: &[(String, Vec<&Yearly>)],
    source: &str,
    with_bands: bool,
    lang: Lang,
) -> Vec<Chart> {
    let colors: Vec<RGBColor> = (0..groups.len()).map(style::color).collect();
    let mut charts = Vec::new();
    let group_of = |column: &str| -> Vec<Group> {
        groups
            .iter()
            .map(|(label, members)| Group {
                label: label.clone(),
                members: members.iter().filter_map(|m| m.get(column)).collect(),
            })
            .filter(|g| !g.members.is_empty())
            .collect()
    };
    for metric in &NATIONAL {
        let gs = group_of(metric.column);
        if gs.is_empty() {
            continue;
        }
        let mut series: Vec<Series> = gs
            .iter()
            .zip(&colors)
            .map(|(g, c)| group_series(g, metric.scale, *c, with_bands))
            .collect();
        let mut legend = group_legend(&gs, &colors, with_bands, lang);
        let mut extra_years = Vec::new();
        if metric.column == "noncapital_sme_sales_krw" {
            series.push(Series {
                color: style::MUTED,
                line: target_path(),
                bands: Vec::new(),
                dashed: true,
                markers: false,
            });
            legend.push(LegendEntry::new(
                labelf(
                    lang,
                    "target_path",
                    &[&format!(
                        "{:.1}",
                        ((TARGET_END.1 / TARGET_START.1).powf(0.2) - 1.0) * 100.0
                    )],
                ),
                Swatch::Dashed(style::MUTED),
            ));
            extra_years = vec![TARGET_START.0, TARGET_END.0];
        }
        charts.push(Chart {
            name: metric.name.to_string(),
            title: label(lang, metric.title).to_string(),
            size: SINGLE,
            source: source.to_string(),
            lang,
            body: Body::Time(TimeChart {
                y_desc: label(lang, metric.y_desc).to_string(),
                unit: metric.unit,
                series,
                legend,
                zero_line: false,
                extra_years,
            }),
        });
    }
    // Capital-region shares: one chart with all six for a single run or a single sweep point;
    // one chart per share when several points would make twelve-plus lines.
    let shares: Vec<(usize, &str)> = SHARE_METRICS
        .iter()
        .enumerate()
        .filter(|(_, (col, _))| !group_of(col).is_empty())
        .map(|(i, (col, _))| (i, *col))
        .collect();
    if shares.is_empty() {
        return charts;
    }
    if groups.len() == 1 {
        let mut series = Vec::new();
        let mut legend = Vec::new();
        let mut lines: Vec<(Series, LegendEntry)> = shares
            .iter()
            .enumerate()
            .map(|(k, (i, col))| {
                let c = style::color(k);
                (
                    group_series(&group_of(col)[0], 100.0, c, with_bands),
                    LegendEntry::new(label(lang, SHARE_LABELS[*i]), Swatch::Line(c)),
                )
            })
            .collect();
        // List the legend in the order the lines end, top to bottom, so it reads like the plot.
        let last = |s: &Series| s.line.last().map_or(f64::NEG_INFINITY, |p| p.1);
        lines.sort_by(|a, b| last(&b.0).total_cmp(&last(&a.0)));
        for (s, e) in lines {
            series.push(s);
            legend.push(e);
        }
        if with_bands && groups[0].1.len() > 1 {
            legend.push(LegendEntry::new(
                labelf(lang, "lines_median_n", &[&groups[0].1.len()]),
                Swatch::Line(style::MUTED),
            ));
            legend.push(LegendEntry::new(
                label(lang, "band50"),
                Swatch::Band(style::MUTED, 0.30),
            ));
            legend.push(LegendEntry::new(
                label(lang, "band90"),
                Swatch::Band(style::MUTED, 0.15),
            ));
        }
        charts.push(Chart {
            name: "capital_shares".to_string(),
            title: label(lang, "t.capital_shares").to_string(),
            size: SINGLE,
            source: source.to_string(),
            lang,
            body: Body::Time(TimeChart {
                y_desc: label(lang, "y.capital_share").to_string(),
                unit: Unit::Percent,
                series,
                legend,
                zero_line: false,
                extra_years: Vec::new(),
            }),
        });
    } else {
        for (i, col) in shares {
            let gs = group_of(col);
            let series = gs
                .iter()
                .zip(&colors)
                .map(|(g, c)| group_series(g, 100.0, *c, with_bands))
                .collect();
            charts.push(Chart {
                name: col.to_string(),
                title: labelf(lang, "t.capital_share_of", &[&label(lang, SHARE_LABELS[i])]),
                size: SINGLE,
                source: source.to_string(),
                lang,
                body: Body::Time(TimeChart {
                    y_desc: label(lang, "y.capital_share").to_string(),
                    unit: Unit::Percent,
                    series,
                    legend: group_legend(&gs, &colors, with_bands, lang),
                    zero_line: false,
                    extra_years: Vec::new(),
                }),
            });
        }
    }
    charts
}

/// Small multiples from groups of regional tables (region -> metrics), one grid per metric.
fn regional_charts(
    groups: &[(String, Vec<&BTreeMap<String, Yearly>>)],
    source: &str,
    with_bands: bool,
    lang: Lang,
) -> Vec<Chart> {
    let colors: Vec<RGBColor> = (0..groups.len()).map(style::color).collect();
    let mut charts = Vec::new();
    for metric in &REGIONAL {
        let mut panels = Vec::new();
        let mut legend = Vec::new();
        for region in REGIONS {
            let gs: Vec<Group> = groups
                .iter()
                .map(|(label, members)| Group {
                    label: label.clone(),
                    members: members
                        .iter()
                        .filter_map(|m| m.get(region)?.get(metric.column))
                        .collect(),
                })
                .filter(|g| !g.members.is_empty())
                .collect();
            if gs.is_empty() {
                continue;
            }
            if legend.is_empty() {
                legend = group_legend(&gs, &colors, with_bands, lang);
            }
            panels.push(Panel {
                title: region_name(lang, region),
                series: gs
                    .iter()
                    .zip(&colors)
                    .map(|(g, c)| group_series(g, metric.scale, *c, with_bands))
                    .collect(),
            });
        }
        if panels.is_empty() {
            continue;
        }
        if legend.len() == 1 {
            legend.clear(); // a single line needs no legend
        }
        charts.push(Chart {
            name: metric.name.to_string(),
            title: label(lang, metric.title).to_string(),
            size: MULTIPLES,
            source: source.to_string(),
            lang,
            body: Body::Multiples(Multiples {
                unit: metric.unit,
                panels,
                legend,
            }),
        });
    }
    charts
}

/// Charts of a `regsim run` folder: national.csv (derived from regions.csv when absent) and
/// regions.csv.
pub fn run_charts(
    regions: &BTreeMap<String, Yearly>,
    national: &Yearly,
    source: &str,
    lang: Lang,
) -> Vec<Chart> {
    let simulated = label(lang, "simulated").to_string();
    let mut charts = national_charts(&[(simulated.clone(), vec![national])], source, false, lang);
    charts.extend(regional_charts(
        &[(simulated, vec![regions])],
        source,
        false,
        lang,
    ));
    charts
}

/// Charts of a `regsim sweep` folder: fans across replicates from runs.csv, per point.
pub fn sweep_charts(sweep: &Sweep, source: &str, lang: Lang) -> Vec<Chart> {
    let points = sweep.points();
    // Bands for more than three points would hide each other.
    let with_bands = points.len() <= 3;
    let nationals: Vec<(i64, Yearly)> = sweep
        .runs
        .iter()
        .map(|r| (r.point, data::national_from_regions(&r.regions)))
        .collect();
    let label = |p: i64| {
        if points.len() == 1 {
            label(lang, "simulated").to_string()
        } else {
            sweep.point_label(p, lang)
        }
    };
    let national_groups: Vec<(String, Vec<&Yearly>)> = points
        .iter()
        .map(|&p| {
            (
                label(p),
                nationals
                    .iter()
                    .filter(|(q, _)| *q == p)
                    .map(|(_, n)| n)
                    .collect(),
            )
        })
        .collect();
    let regional_groups: Vec<(String, Vec<&BTreeMap<String, Yearly>>)> = points
        .iter()
        .map(|&p| {
            (
                label(p),
                sweep
                    .runs
                    .iter()
                    .filter(|r| r.point == p)
                    .map(|r| &r.regions)
                    .collect(),
            )
        })
        .collect();
    let mut charts = national_charts(&national_groups, source, with_bands, lang);
    charts.extend(regional_charts(&regional_groups, source, with_bands, lang));
    charts
}

/// Display unit for an amount of KRW of this size: (multiplier, unit name). Korean uses its
/// own large-number units: 조 원 (10^12) and 억 원 (10^8).
pub fn money_unit(max_abs_krw: f64, lang: Lang) -> (f64, &'static str) {
    match lang {
        Lang::Ko if max_abs_krw >= 1e12 => (1e-12, "조 원"),
        Lang::Ko if max_abs_krw >= 1e8 => (1e-8, "억 원"),
        Lang::Ko => (1e-4, "만 원"),
        Lang::En if max_abs_krw >= 1e12 => (1e-12, label(lang, "unit.trn_krw")),
        Lang::En if max_abs_krw >= 1e9 => (1e-9, label(lang, "unit.bn_krw")),
        Lang::En => (1e-6, label(lang, "unit.mn_krw")),
    }
}

/// The compare.csv metrics charted as differences, in order, with a readable name.
fn diff_metrics(rows: &[CompareRow], lang: Lang) -> Vec<(String, String)> {
    let present: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.region == "national")
        .map(|r| r.metric.as_str())
        .collect();
    let mut out = Vec::new();
    let mut push = |m: &str, key: &str| {
        if present.contains(m) {
            out.push((m.to_string(), label(lang, key).to_string()));
        }
    };
    push("employment", "d.employment");
    if present.contains("noncapital_sme_sales_krw") {
        push("noncapital_sme_sales_krw", "d.noncapital_sme_sales");
    } else {
        push("sales_krw", "d.sales");
    }
    push("vc_investment_krw", "d.vc_investment");
    push("startups", "d.startups");
    push("firms", "d.firms");
    for ((col, _), key) in SHARE_METRICS.iter().zip(SHARE_LABELS) {
        if present.contains(col) {
            let text = labelf(lang, "d.capital_share_of", &[&label(lang, key)]);
            out.push((col.to_string(), text));
        }
    }
    out
}

/// Policy-minus-baseline charts (national rows of compare.csv) with the 95% CI band.
pub fn compare_charts(rows: &[CompareRow], source: &str, lang: Lang) -> Vec<Chart> {
    let mut charts = Vec::new();
    for (metric, name) in diff_metrics(rows, lang) {
        let mut national: Vec<&CompareRow> = rows
            .iter()
            .filter(|r| r.region == "national" && r.metric == metric)
            .collect();
        national.sort_by_key(|r| r.year);
        let n = national.iter().map(|r| r.n).fold(0.0, f64::max);
        let (scale, unit, y_desc) = if metric.starts_with("capital_share_") {
            (
                100.0,
                Unit::PercentPoints,
                label(lang, "y.diff_pp").to_string(),
            )
        } else if metric.ends_with("_krw") {
            let max = national
                .iter()
                .flat_map(|r| [r.diff_ci95_low, r.diff_ci95_high, r.diff_mean])
                .filter(|v| v.is_finite())
                .fold(0.0, |a: f64, v| a.max(v.abs()));
            let (s, unit_name) = money_unit(max, lang);
            (s, Unit::Plain, labelf(lang, "y.diff_money", &[&unit_name]))
        } else {
            (1.0, Unit::Count, label(lang, "y.diff_count").to_string())
        };
        let color = style::color(0);
        let series = Series {
            color,
            line: national
                .iter()
                .filter(|r| r.diff_mean.is_finite())
                .map(|r| (r.year, r.diff_mean * scale))
                .collect(),
            bands: vec![Band {
                alpha: 0.25,
                // A CI needs two replicates; years without one are left out of the band.
                points: national
                    .iter()
                    .filter(|r| r.diff_ci95_low.is_finite() && r.diff_ci95_high.is_finite())
                    .map(|r| (r.year, r.diff_ci95_low * scale, r.diff_ci95_high * scale))
                    .collect(),
            }],
            dashed: false,
            markers: national.len() <= 15,
        };
        let replicates = if n > 0.0 {
            labelf(lang, "over_n_pairs", &[&n])
        } else {
            String::new()
        };
        charts.push(Chart {
            name: format!("diff_{}", metric.trim_end_matches("_krw")),
            title: labelf(lang, "t.diff", &[&name]),
            size: SINGLE,
            source: source.to_string(),
            lang,
            body: Body::Time(TimeChart {
                y_desc,
                unit,
                series: vec![series],
                legend: vec![
                    LegendEntry::new(
                        labelf(lang, "mean_difference", &[&replicates]),
                        Swatch::Line(color),
                    ),
                    LegendEntry::new(label(lang, "ci_mean_difference"), Swatch::Band(color, 0.25)),
                    LegendEntry::new(label(lang, "no_effect"), Swatch::Line(BLACK)),
                ],
                zero_line: true,
                extra_years: Vec::new(),
            }),
        });
    }
    charts
}

// ---------------------------------------------------------------------------------------------
// Drawing

/// Sizes of text and margins, so single charts and small panels share one plotting function.
struct Scale {
    label: f64,
    desc: f64,
    caption: f64,
    x_area: u32,
    y_area: u32,
    max_x_labels: usize,
}

const SINGLE_SCALE: Scale = Scale {
    label: 17.0,
    desc: 19.0,
    caption: 0.0,
    x_area: 64,
    y_area: 110,
    max_x_labels: 12,
};

const PANEL_SCALE: Scale = Scale {
    label: 15.0,
    desc: 0.0,
    caption: 21.0,
    x_area: 34,
    y_area: 74,
    max_x_labels: 6,
};

/// What one plot shows besides its series.
struct Axes<'a> {
    unit: Unit,
    y_desc: &'a str,
    caption: Option<&'a str>,
    zero_line: bool,
    extra_years: &'a [i32],
}

fn plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[Series],
    axes: &Axes,
    sc: &Scale,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let years: BTreeSet<i32> = series
        .iter()
        .flat_map(|s| s.line.iter().map(|p| p.0))
        .chain(axes.extra_years.iter().copied())
        .collect();
    let (mut x0, mut x1) = match (years.first(), years.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => (2025, 2030),
    };
    if x0 == x1 {
        x0 -= 1;
        x1 += 1;
    }
    let values = series.iter().flat_map(|s| {
        s.line.iter().map(|p| p.1).chain(
            s.bands
                .iter()
                .flat_map(|b| b.points.iter().flat_map(|p| [p.1, p.2])),
        )
    });
    let zero = if axes.zero_line { Some(0.0) } else { None };
    let (y0, y1) = style::padded_range(values.chain(zero));
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(14)
        .margin_right(28)
        .x_label_area_size(sc.x_area)
        .y_label_area_size(sc.y_area);
    if let Some(c) = axes.caption {
        builder.caption(c, style::bold(sc.caption));
    }
    let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
    let y_ticks = 8;
    let fmt = style::tick_formatter(axes.unit, y0, y1, y_ticks);
    let n_years = (x1 - x0 + 1) as usize;
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(n_years.min(sc.max_x_labels))
        .x_label_formatter(&|y| y.to_string())
        .y_labels(y_ticks)
        .y_label_formatter(&fmt)
        .label_style(style::font(sc.label))
        .axis_desc_style(style::font(sc.desc))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0));
    if sc.desc > 0.0 {
        mesh.x_desc(label(super::fonts::current_lang(), "year"))
            .y_desc(axes.y_desc);
    }
    mesh.draw()?;
    if axes.zero_line {
        chart.draw_series(LineSeries::new(
            [(x0, 0.0), (x1, 0.0)],
            BLACK.stroke_width(2),
        ))?;
    }
    for s in series {
        for band in &s.bands {
            let mut ring: Vec<(i32, f64)> = band.points.iter().map(|p| (p.0, p.2)).collect();
            ring.extend(band.points.iter().rev().map(|p| (p.0, p.1)));
            chart.draw_series(std::iter::once(Polygon::new(
                ring,
                s.color.mix(band.alpha).filled(),
            )))?;
        }
    }
    for s in series {
        let stroke = s.color.stroke_width(3);
        if s.dashed {
            chart.draw_series(DashedLineSeries::new(s.line.clone(), 12, 8, stroke))?;
        } else {
            chart.draw_series(LineSeries::new(s.line.clone(), stroke))?;
        }
        if s.markers {
            chart.draw_series(s.line.iter().map(|p| Circle::new(*p, 4, s.color.filled())))?;
        }
    }
    Ok(())
}

/// Draws a single time-series chart, with its legend in a column on the right.
pub fn draw_time<DB: DrawingBackend>(c: &TimeChart, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = if c.legend.len() > 1 {
        let (a, b) = area.split_horizontally(w.saturating_sub(320));
        (a, Some(b))
    } else {
        (area.clone(), None)
    };
    let axes = Axes {
        unit: c.unit,
        y_desc: &c.y_desc,
        caption: None,
        zero_line: c.zero_line,
        extra_years: &c.extra_years,
    };
    plot(&plot_area, &c.series, &axes, &SINGLE_SCALE)?;
    if let Some(legend_area) = legend_area {
        style::draw_legend_column(&legend_area.margin(30, 0, 10, 10), &c.legend)?;
    }
    Ok(())
}

/// Draws the 5x3 grid of regional panels, with a legend row above it when needed.
pub fn draw_multiples<DB: DrawingBackend>(
    c: &Multiples,
    area: &DrawingArea<DB, Shift>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let grid = if c.legend.is_empty() {
        area.clone()
    } else {
        let (legend, grid) = area.split_vertically(40);
        style::draw_legend_row(&legend, &c.legend)?;
        grid
    };
    let cells = grid.margin(0, 0, 6, 6).split_evenly((3, 5));
    for (panel, cell) in c.panels.iter().zip(cells.iter()) {
        let axes = Axes {
            unit: c.unit,
            y_desc: "",
            caption: Some(&panel.title),
            zero_line: false,
            extra_years: &[],
        };
        plot(cell, &panel.series, &axes, &PANEL_SCALE)?;
    }
    Ok(())
}

/// Public spending per programme and year from `programs.csv` (bn KRW): the six largest
/// programmes by total spend, the rest summed, and the total (dashed).
pub fn spending_chart(spending: &data::Spending, source: &str, lang: Lang) -> Option<Chart> {
    let mut ranked: Vec<(&String, &BTreeMap<i32, f64>, f64)> = spending
        .programs
        .iter()
        .map(|(name, by_year)| (name, by_year, by_year.values().sum::<f64>()))
        .filter(|(_, _, total)| *total > 0.0)
        .collect();
    if ranked.is_empty() {
        return None;
    }
    // Largest first; ties keep file order (stable sort).
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2));
    let years: BTreeSet<i32> = spending
        .programs
        .iter()
        .flat_map(|(_, by_year)| by_year.keys().copied())
        .collect();
    // bn KRW; Korean shows 억 원 (10^8 KRW), ten to a bn.
    let per = match lang {
        Lang::En => 1.0,
        Lang::Ko => 10.0,
    };
    let line = |f: &dyn Fn(i32) -> f64| years.iter().map(|&y| (y, f(y) * per)).collect::<Vec<_>>();
    let shown = ranked.len().min(if ranked.len() == 7 { 7 } else { 6 });
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (i, (name, by_year, _)) in ranked[..shown].iter().enumerate() {
        let color = style::color(i);
        series.push(Series {
            color,
            line: line(&|y| by_year.get(&y).copied().unwrap_or(0.0)),
            bands: Vec::new(),
            dashed: false,
            markers: true,
        });
        legend.push(LegendEntry::new(
            programme_name(lang, name),
            Swatch::Line(color),
        ));
    }
    if ranked.len() > shown {
        let rest = &ranked[shown..];
        let color = style::color(shown);
        series.push(Series {
            color,
            line: line(&|y| {
                rest.iter()
                    .map(|(_, m, _)| m.get(&y).copied().unwrap_or(0.0))
                    .sum()
            }),
            bands: Vec::new(),
            dashed: false,
            markers: true,
        });
        legend.push(LegendEntry::new(
            labelf(lang, "n_other_programmes", &[&rest.len()]),
            Swatch::Line(color),
        ));
    }
    series.push(Series {
        color: style::MUTED,
        line: line(&|y| {
            ranked
                .iter()
                .map(|(_, m, _)| m.get(&y).copied().unwrap_or(0.0))
                .sum()
        }),
        bands: Vec::new(),
        dashed: true,
        markers: false,
    });
    legend.push(LegendEntry::new(
        programme_name(lang, "all"),
        Swatch::Dashed(style::MUTED),
    ));
    Some(Chart {
        name: "programs_spend".to_string(),
        title: label(lang, "t.spending").to_string(),
        size: SINGLE,
        source: source.to_string(),
        lang,
        body: Body::Time(TimeChart {
            y_desc: label(lang, "y.spending").to_string(),
            unit: Unit::Plain,
            series,
            legend,
            zero_line: false,
            extra_years: Vec::new(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert!((quantile(&v, 0.25) - 1.75).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.9), 7.0);
    }

    #[test]
    fn target_path_runs_from_982_to_1432() {
        let path = target_path();
        assert_eq!(path.first(), Some(&(2025, 982.0)));
        let (y, v) = *path.last().unwrap();
        assert_eq!(y, 2030);
        assert!((v - 1432.0).abs() < 1e-9);
        // geometric: equal ratios year on year
        let r1 = path[1].1 / path[0].1;
        let r5 = path[5].1 / path[4].1;
        assert!((r1 - r5).abs() < 1e-12);
    }

    #[test]
    fn fan_of_three_replicates_has_median_and_bands() {
        let runs: Vec<BTreeMap<i32, f64>> = [1.0, 2.0, 3.0]
            .iter()
            .map(|v| BTreeMap::from([(2025, *v), (2026, v * 10.0)]))
            .collect();
        let group = Group {
            label: "x".into(),
            members: runs.iter().collect(),
        };
        let s = group_series(&group, 1.0, BLACK, true);
        assert_eq!(s.line, vec![(2025, 2.0), (2026, 20.0)]);
        assert_eq!(s.bands.len(), 2);
        assert_eq!(s.bands[1].points[0], (2025, 1.5, 2.5));
    }
}
