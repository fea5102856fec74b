//! A tile map of the 15 regions laid out like Korea's geography (capital region north-west,
//! Gangwon north-east, the Chungcheong provinces in the middle, the Jeolla provinces south-west,
//! the Gyeongsang provinces south-east, Jeju apart at the bottom left), each tile coloured by an
//! effect: a diverging scale centred on zero for signed values, a sequential one otherwise.

use super::data::{CompareRow, PerBn, Sweep, Yearly, per_bn_rows};
use super::style::{self, Unit};
use super::timeseries::quantile;
use super::{Body, Chart, DrawResult, SINGLE};
use crate::labels::{Lang, label, labelf, region_name};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;
use std::collections::BTreeMap;

/// (region, column, row, width in tiles); Jeju's row is set apart from the peninsula.
pub const LAYOUT: [(&str, f64, f64, f64); 15] = [
    ("capital", 0.0, 0.0, 2.0),
    ("gangwon", 2.0, 0.0, 2.0),
    ("chungnam", 0.0, 1.0, 1.0),
    ("sejong", 1.0, 1.0, 1.0),
    ("chungbuk", 2.0, 1.0, 1.0),
    ("gyeongbuk", 3.0, 1.0, 1.0),
    ("jeonbuk", 0.0, 2.0, 1.0),
    ("daejeon", 1.0, 2.0, 1.0),
    ("daegu", 2.0, 2.0, 1.0),
    ("ulsan", 3.0, 2.0, 1.0),
    ("gwangju", 0.0, 3.0, 1.0),
    ("jeonnam", 1.0, 3.0, 1.0),
    ("gyeongnam", 2.0, 3.0, 1.0),
    ("busan", 3.0, 3.0, 1.0),
    ("jeju", 0.0, 4.4, 1.0),
];
const COLS: f64 = 4.0;
const ROWS: f64 = 5.4;

#[derive(Debug, Clone)]
pub struct Tile {
    pub region: String,
    pub value: f64,
    /// Drawn with a star: e.g. the 95% CI excludes zero.
    pub marked: bool,
}

#[derive(Debug, Clone)]
pub struct TileMap {
    pub tiles: Vec<Tile>,
    pub unit: Unit,
    /// Title of the colour bar, with the unit.
    pub scale_title: String,
    /// Signed values get a diverging scale centred on zero.
    pub signed: bool,
    /// A line under the colour bar explaining the star, if any tile is marked.
    pub mark_note: Option<String>,
}

fn mix(a: (f64, f64, f64), b: (f64, f64, f64), t: f64) -> RGBColor {
    let f = |x: f64, y: f64| (x + (y - x) * t).round().clamp(0.0, 255.0) as u8;
    RGBColor(f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
}

pub(super) fn ramp(stops: &[(f64, f64, f64)], t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let i = (t.floor() as usize).min(stops.len() - 2);
    mix(stops[i], stops[i + 1], t - i as f64)
}

/// Red-white-blue (ColorBrewer RdBu, colour-blind safe): negative red, positive blue.
const DIVERGING: [(f64, f64, f64); 5] = [
    (202.0, 0.0, 32.0),
    (244.0, 165.0, 130.0),
    (247.0, 247.0, 247.0),
    (146.0, 197.0, 222.0),
    (5.0, 113.0, 176.0),
];
/// ColorBrewer Blues.
pub(super) const SEQUENTIAL: [(f64, f64, f64); 3] = [
    (239.0, 243.0, 255.0),
    (107.0, 174.0, 214.0),
    (8.0, 81.0, 156.0),
];

/// The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) that is at
/// least `v` (> 0), so the colour bar ends on a round number instead of on the largest tile.
pub fn nice_ceil(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

impl TileMap {
    /// The value range the colours span: symmetric around zero when signed, from zero when
    /// not (unless values go below it), with round ends.
    pub fn domain(&self) -> (f64, f64) {
        let values = self.tiles.iter().map(|t| t.value).filter(|v| v.is_finite());
        if self.signed {
            let m = nice_ceil(values.fold(0.0, |a: f64, v| a.max(v.abs())));
            (-m, m)
        } else {
            let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
            if !lo.is_finite() {
                (0.0, 1.0)
            } else {
                (lo.min(0.0), nice_ceil(hi.max(lo.min(0.0) + f64::EPSILON)))
            }
        }
    }

    pub fn color_of(&self, v: f64) -> RGBColor {
        if !v.is_finite() {
            return RGBColor(200, 200, 200);
        }
        let (lo, hi) = self.domain();
        let t = (v - lo) / (hi - lo);
        if self.signed {
            ramp(&DIVERGING, t)
        } else {
            ramp(&SEQUENTIAL, t)
        }
    }
}

fn tile_chart(name: &str, title: String, source: &str, lang: Lang, map: TileMap) -> Chart {
    Chart {
        name: name.to_string(),
        title,
        size: SINGLE,
        source: source.to_string(),
        lang,
        body: Body::Tiles(map),
    }
}

/// Employment growth (%) of each region between its first and last year.
fn growth(metrics: &Yearly) -> Option<(i32, i32, f64)> {
    let e = metrics.get("employment")?;
    let (y0, v0) = e.first_key_value()?;
    let (y1, v1) = e.last_key_value()?;
    (*v0 != 0.0 && y1 > y0).then(|| (*y0, *y1, (v1 / v0 - 1.0) * 100.0))
}

/// A `regsim run`: employment growth by region over the run, in %.
pub fn run_charts(regions: &BTreeMap<String, Yearly>, source: &str, lang: Lang) -> Vec<Chart> {
    let mut years = None;
    let tiles: Vec<Tile> = regions
        .iter()
        .filter_map(|(region, metrics)| {
            let (y0, y1, g) = growth(metrics)?;
            years = Some((y0, y1));
            Some(Tile {
                region: region.clone(),
                value: g,
                marked: false,
            })
        })
        .collect();
    let Some((y0, y1)) = years else {
        return Vec::new();
    };
    vec![tile_chart(
        "tilemap_employment_growth",
        labelf(lang, "t.emp_growth", &[&y0, &y1]),
        source,
        lang,
        TileMap {
            tiles,
            unit: Unit::Percent,
            scale_title: labelf(lang, "scale.emp_change", &[&y0, &y1]),
            signed: true,
            mark_note: None,
        },
    )]
}

/// A `regsim sweep` with one parameter point: the median growth across replicates.
pub fn sweep_charts(sweep: &Sweep, source: &str, lang: Lang) -> Vec<Chart> {
    if sweep.points().len() != 1 {
        return Vec::new(); // one map per point would be a chart per point; left to compare
    }
    let mut by_region: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut years = None;
    for run in &sweep.runs {
        for (region, metrics) in &run.regions {
            if let Some((y0, y1, g)) = growth(metrics) {
                years = Some((y0, y1));
                by_region.entry(region).or_default().push(g);
            }
        }
    }
    let Some((y0, y1)) = years else {
        return Vec::new();
    };
    let n = sweep.runs.len();
    let tiles = by_region
        .into_iter()
        .map(|(region, mut values)| {
            values.sort_by(f64::total_cmp);
            Tile {
                region: region.to_string(),
                value: quantile(&values, 0.5),
                marked: false,
            }
        })
        .collect();
    vec![tile_chart(
        "tilemap_employment_growth",
        labelf(lang, "t.emp_growth_median", &[&y0, &y1, &n]),
        source,
        lang,
        TileMap {
            tiles,
            unit: Unit::Percent,
            scale_title: labelf(lang, "scale.emp_change", &[&y0, &y1]),
            signed: true,
            mark_note: None,
        },
    )]
}

/// Net jobs per 1 bn KRW by region: compare.json's `jobs_per_bn_krw` object (region -> value)
/// or its `per_bn_krw` rows for all programmes.
fn jobs_per_bn(json: &Value) -> Vec<(String, f64)> {
    if let Some(map) = json.get("jobs_per_bn_krw").and_then(Value::as_object) {
        return map
            .iter()
            .filter_map(|(r, v)| Some((r.clone(), v.as_f64()?)))
            .collect();
    }
    per_bn_rows(json)
        .into_iter()
        .filter(|r: &PerBn| r.program == "all" && LAYOUT.iter().any(|l| l.0 == r.region))
        .map(|r| (r.region, r.jobs[0]))
        .collect()
}

/// A `regsim compare`: last year's employment difference by region, and jobs per 1 bn KRW.
pub fn compare_charts(
    rows: &[CompareRow],
    json: Option<&Value>,
    source: &str,
    lang: Lang,
) -> Vec<Chart> {
    let mut charts = Vec::new();
    let employment: Vec<&CompareRow> = rows
        .iter()
        .filter(|r| r.metric == "employment" && LAYOUT.iter().any(|l| l.0 == r.region))
        .collect();
    if let Some(year) = employment.iter().map(|r| r.year).max() {
        let tiles: Vec<Tile> = employment
            .iter()
            .filter(|r| r.year == year)
            .map(|r| Tile {
                region: r.region.clone(),
                value: r.diff_mean,
                marked: r.diff_ci95_low > 0.0 || r.diff_ci95_high < 0.0,
            })
            .collect();
        let any_marked = tiles.iter().any(|t| t.marked);
        charts.push(tile_chart(
            "tilemap_employment_diff",
            labelf(lang, "t.diff_emp_region", &[&year]),
            source,
            lang,
            TileMap {
                tiles,
                unit: Unit::Count,
                scale_title: labelf(lang, "scale.diff_workers", &[&year]),
                signed: true,
                mark_note: any_marked.then(|| label(lang, "ci_excludes_zero").to_string()),
            },
        ));
    }
    if let Some(json) = json {
        let values = jobs_per_bn(json);
        if !values.is_empty() {
            let signed = values.iter().any(|(_, v)| *v < 0.0);
            charts.push(tile_chart(
                "tilemap_jobs_per_bn",
                label(lang, "t.jobs_per_bn_region").to_string(),
                source,
                lang,
                TileMap {
                    tiles: values
                        .into_iter()
                        .map(|(region, value)| Tile {
                            region,
                            value,
                            marked: false,
                        })
                        .collect(),
                    unit: Unit::Plain,
                    scale_title: label(lang, "scale.jobs_per_bn").to_string(),
                    signed,
                    mark_note: None,
                },
            ));
        }
    }
    charts
}

pub(super) fn luminance(c: RGBColor) -> f64 {
    0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2)
}

/// Draws the tiles on the left and the colour bar on the right.
pub fn draw<DB: DrawingBackend>(map: &TileMap, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    // The map and its colour bar are one block, centred: tiles, a gap, the bar with labels.
    let (w, h) = area.dim_in_pixel();
    let bar_block = 300.0;
    let u = ((f64::from(w) - 60.0 - bar_block) / COLS).min((f64::from(h) - 30.0) / ROWS);
    let x0 = (f64::from(w) - u * COLS - bar_block) / 2.0;
    let y0 = (f64::from(h) - u * ROWS) / 2.0;
    let tiles_area = area;
    let bar_x = (x0 + u * COLS + 70.0) as i32;
    let gap = 4.0;
    let name_font = style::bold((u * 0.15).clamp(13.0, 20.0));
    let value_font = style::font((u * 0.15).clamp(13.0, 20.0));
    for (region, col, row, width) in LAYOUT {
        let tile = map.tiles.iter().find(|t| t.region == region);
        let value = tile.map_or(f64::NAN, |t| t.value);
        let fill = map.color_of(value);
        let left = (x0 + col * u + gap) as i32;
        let top = (y0 + row * u + gap) as i32;
        let right = (x0 + (col + width) * u - gap) as i32;
        let bottom = (y0 + (row + 1.0) * u - gap) as i32;
        tiles_area.draw(&Rectangle::new(
            [(left, top), (right, bottom)],
            fill.filled(),
        ))?;
        tiles_area.draw(&Rectangle::new(
            [(left, top), (right, bottom)],
            RGBColor(120, 120, 120).stroke_width(1),
        ))?;
        let ink = if luminance(fill) < 120.0 {
            WHITE
        } else {
            BLACK
        };
        let cx = (left + right) / 2;
        let cy = (top + bottom) / 2;
        let lang = super::fonts::current_lang();
        let name = style::shorten(&region_name(lang, region), &name_font, right - left - 8);
        tiles_area.draw(&Text::new(
            name,
            (cx, cy - 12),
            name_font
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        let mut text = if value.is_finite() {
            style::format_value(value, map.unit)
        } else {
            label(lang, "no_data").to_string()
        };
        if matches!(map.unit, Unit::Count | Unit::Plain | Unit::Percent) && value > 0.0 {
            text.insert(0, '+');
        }
        if tile.is_some_and(|t| t.marked) {
            text.push('*');
        }
        tiles_area.draw(&Text::new(
            text,
            (cx, cy + 14),
            value_font
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    // Colour bar: a vertical gradient with ticks at the ends, the middle and zero.
    let (lo, hi) = map.domain();
    let bar_area = area;
    let bar_top = y0 as i32 + 60;
    let bar_bottom = (y0 + u * ROWS) as i32 - 40;
    let bar_left = bar_x;
    let bar_right = bar_x + 32;
    let title_font = style::font(16.0);
    for (i, line) in style::wrap(&map.scale_title, &title_font, 260)
        .into_iter()
        .enumerate()
    {
        bar_area.draw(&Text::new(
            line,
            (bar_left - 10, y0 as i32 + 4 + 20 * i as i32),
            title_font.clone(),
        ))?;
    }
    let steps = 60;
    for k in 0..steps {
        let t0 = f64::from(k) / f64::from(steps);
        let t1 = f64::from(k + 1) / f64::from(steps);
        let y_top = bar_bottom - ((bar_bottom - bar_top) as f64 * t1) as i32;
        let y_bot = bar_bottom - ((bar_bottom - bar_top) as f64 * t0) as i32;
        let v = lo + (hi - lo) * (t0 + t1) / 2.0;
        bar_area.draw(&Rectangle::new(
            [(bar_left, y_top), (bar_right, y_bot)],
            map.color_of(v).filled(),
        ))?;
    }
    bar_area.draw(&Rectangle::new(
        [(bar_left, bar_top), (bar_right, bar_bottom)],
        RGBColor(120, 120, 120).stroke_width(1),
    ))?;
    let fmt = style::tick_formatter(map.unit, lo, hi, 4);
    let mut ticks = vec![lo, (lo + hi) / 2.0, hi];
    if lo < 0.0 && hi > 0.0 && !ticks.contains(&0.0) {
        ticks.push(0.0);
    }
    for v in ticks {
        let y = bar_bottom - ((bar_bottom - bar_top) as f64 * (v - lo) / (hi - lo)) as i32;
        bar_area.draw(&PathElement::new(
            vec![(bar_right, y), (bar_right + 6, y)],
            BLACK.stroke_width(1),
        ))?;
        bar_area.draw(&Text::new(
            fmt(&v),
            (bar_right + 10, y),
            style::font(15.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    if let Some(note) = &map.mark_note {
        bar_area.draw(&Text::new(
            note.clone(),
            (bar_left - 10, bar_bottom + 24),
            style::font(15.0),
        ))?;
    }
    Ok(())
}

/// How far a policy or shock spread through the production network (issue 13): each region's
/// sales change (`sales_krw`, policy - baseline) as a share of its baseline sales, in the
/// year with the largest national change in absolute value (a shock's peak), `*` where the
/// 95% CI of the change excludes zero. `None` without `sales_krw` rows.
pub fn shock_spread_chart(rows: &[CompareRow], source: &str, lang: Lang) -> Option<Chart> {
    let sales: Vec<&CompareRow> = rows.iter().filter(|r| r.metric == "sales_krw").collect();
    let peak = sales
        .iter()
        .filter(|r| r.region == "national")
        .max_by(|a, b| {
            a.diff_mean
                .abs()
                .total_cmp(&b.diff_mean.abs())
                .then(b.year.cmp(&a.year))
        })?
        .year;
    let tiles: Vec<Tile> = sales
        .iter()
        .filter(|r| r.year == peak && LAYOUT.iter().any(|l| l.0 == r.region))
        .map(|r| Tile {
            region: r.region.clone(),
            value: if r.baseline_mean != 0.0 {
                100.0 * r.diff_mean / r.baseline_mean
            } else {
                f64::NAN
            },
            marked: r.diff_ci95_low > 0.0 || r.diff_ci95_high < 0.0,
        })
        .collect();
    let any_marked = tiles.iter().any(|t| t.marked);
    Some(tile_chart(
        "tilemap_sales_change_share",
        labelf(lang, "t.sales_change_region", &[&peak]),
        source,
        lang,
        TileMap {
            tiles,
            unit: Unit::Percent,
            scale_title: labelf(lang, "scale.sales_change_pct", &[&peak]),
            signed: true,
            mark_note: any_marked.then(|| label(lang, "ci_excludes_zero").to_string()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_holds_every_region_once() {
        for region in super::super::data::REGIONS {
            assert_eq!(
                LAYOUT.iter().filter(|l| l.0 == region).count(),
                1,
                "{region}"
            );
        }
    }

    #[test]
    fn diverging_scale_is_white_at_zero_and_symmetric() {
        let map = TileMap {
            tiles: vec![
                Tile {
                    region: "busan".into(),
                    value: -2.0,
                    marked: false,
                },
                Tile {
                    region: "jeju".into(),
                    value: 1.0,
                    marked: false,
                },
            ],
            unit: Unit::Percent,
            scale_title: String::new(),
            signed: true,
            mark_note: None,
        };
        assert_eq!(map.domain(), (-2.0, 2.0));
        assert_eq!(nice_ceil(9.9), 10.0);
        assert_eq!(nice_ceil(340.0), 400.0);
        assert_eq!(nice_ceil(0.21), 0.25);
        assert_eq!(map.color_of(0.0), RGBColor(247, 247, 247));
        assert_eq!(map.color_of(-2.0), RGBColor(202, 0, 32));
    }
}
