//! The flow matrix of a run with the production network (issue 13): an origin x destination
//! heat map of the last year's intermediate purchases from `flows.csv` (summed over sectors),
//! each cell the share of the destination region's purchases bought from that origin (so a
//! column sums to 100%), with imports as a last row. A matrix rather than a chord diagram:
//! 16 x 15 cells read exactly, and the diagonal (local purchases) stands out.

use super::data::Table;
use super::style;
use super::tilemap::{SEQUENTIAL, luminance, ramp};
use super::{Body, Chart, ChartError, DrawResult, SINGLE};
use crate::labels::{Lang, label, labelf, region_name};
use crate::model::geo::REGION_IDS;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The origin of imports in `flows.csv`.
pub const ABROAD: &str = "abroad";

#[derive(Debug, Clone)]
pub struct FlowMatrix {
    /// Row names: the 15 region ids, then [`ABROAD`].
    pub origins: Vec<String>,
    /// Column names: the 15 region ids.
    pub destinations: Vec<String>,
    /// `share[o][d]`: percent of destination `d`'s purchases bought from origin `o`.
    pub share: Vec<Vec<f64>>,
}

/// Reads `flows.csv` and returns the last year's matrix (`None` for a file without rows, e.g.
/// a run without `[network]` never writes one).
pub fn read_matrix(file: &Path) -> Result<Option<(i32, FlowMatrix)>, ChartError> {
    let table = Table::read(file)?;
    if table.is_empty() {
        return Ok(None);
    }
    let (year, origin, dest, krw) = (
        table.col("year")?,
        table.col("origin")?,
        table.col("destination")?,
        table.col("krw")?,
    );
    let mut last = i64::MIN;
    for row in 0..table.len() {
        last = last.max(table.int(row, year)?);
    }
    let n = REGION_IDS.len();
    let mut krw_od = vec![vec![0.0; n]; n + 1];
    for row in 0..table.len() {
        if table.int(row, year)? != last {
            continue;
        }
        let o = match table.text(row, origin) {
            ABROAD => Some(n),
            id => REGION_IDS.iter().position(|r| *r == id),
        };
        let d = REGION_IDS.iter().position(|r| *r == table.text(row, dest));
        if let (Some(o), Some(d)) = (o, d) {
            krw_od[o][d] += table.num(row, krw)?;
        }
    }
    let totals: Vec<f64> = (0..n)
        .map(|d| (0..=n).map(|o| krw_od[o][d]).sum())
        .collect();
    let share = krw_od
        .iter()
        .map(|row| {
            row.iter()
                .zip(&totals)
                .map(|(v, t)| if *t > 0.0 { 100.0 * v / t } else { f64::NAN })
                .collect()
        })
        .collect();
    let mut origins: Vec<String> = REGION_IDS.iter().map(|r| r.to_string()).collect();
    origins.push(ABROAD.to_string());
    Ok(Some((
        last as i32,
        FlowMatrix {
            origins,
            destinations: REGION_IDS.iter().map(|r| r.to_string()).collect(),
            share,
        },
    )))
}

/// The chart of a run folder with `flows.csv`.
pub fn run_chart(dir: &Path, source: &str, lang: Lang) -> Result<Option<Chart>, ChartError> {
    let file = dir.join("flows.csv");
    if !file.is_file() {
        return Ok(None);
    }
    Ok(read_matrix(&file)?.map(|(year, m)| Chart {
        name: "flow_matrix".to_string(),
        title: labelf(lang, "t.flow_matrix", &[&year]),
        size: SINGLE,
        source: source.to_string(),
        lang,
        body: Body::Flows(m),
    }))
}

/// The tile maps' Blues from white (0%) to dark blue (`top`% and above).
fn color(v: f64, top: f64) -> RGBColor {
    if !v.is_finite() {
        return RGBColor(200, 200, 200);
    }
    ramp(&SEQUENTIAL, v / top)
}

/// Draws the matrix: origins as rows (imports last), destinations as columns, a cell's share
/// printed in it; colours saturate at the 95th percentile of off-diagonal cells' double, so
/// the other-region flows are not all white next to the local diagonal.
pub fn draw<DB: DrawingBackend>(m: &FlowMatrix, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lang = super::fonts::current_lang();
    let (w, h) = area.dim_in_pixel();
    let (left, top) = (150i32, 110i32);
    let cols = m.destinations.len() as i32;
    let rows = m.origins.len() as i32;
    let cw = ((w as i32 - left - 30) / cols).max(10);
    let ch = ((h as i32 - top - 20) / rows).max(10);
    let name = |id: &str| {
        if id == ABROAD {
            label(lang, "flow.abroad").to_string()
        } else {
            region_name(lang, id)
        }
    };
    let axis_font = style::bold(16.0);
    area.draw(&Text::new(
        label(lang, "flow.destination").to_string(),
        (left + cw * cols / 2, 14),
        axis_font.pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    area.draw(&Text::new(
        label(lang, "flow.origin").to_string(),
        (8, top - 22),
        axis_font.clone(),
    ))?;
    let head_font = style::font(13.0);
    for (d, id) in m.destinations.iter().enumerate() {
        // Column heads alternate between two lines so that 15 names fit side by side.
        let x = left + cw * d as i32 + cw / 2;
        let y = if d % 2 == 0 { top - 58 } else { top - 34 };
        let text = style::shorten(&name(id), &head_font, cw * 2 - 6);
        area.draw(&Text::new(
            text,
            (x, y),
            head_font.pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    let mut off: Vec<f64> = Vec::new();
    for (o, row) in m.share.iter().enumerate() {
        for (d, v) in row.iter().enumerate() {
            if o != d && v.is_finite() {
                off.push(*v);
            }
        }
    }
    off.sort_by(f64::total_cmp);
    let p95 = off
        .get(((off.len() as f64 * 0.95) as usize).min(off.len().saturating_sub(1)))
        .copied()
        .unwrap_or(1.0);
    let top_v = (2.0 * p95).max(1.0);
    let cell_font = style::font(11.0);
    for (o, id) in m.origins.iter().enumerate() {
        let y = top + ch * o as i32;
        area.draw(&Text::new(
            style::shorten(&name(id), &head_font, left - 14),
            (left - 8, y + ch / 2),
            head_font.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (d, v) in m.share[o].iter().enumerate() {
            let x = left + cw * d as i32;
            let fill = color(*v, top_v);
            area.draw(&Rectangle::new([(x, y), (x + cw, y + ch)], fill.filled()))?;
            area.draw(&Rectangle::new(
                [(x, y), (x + cw, y + ch)],
                RGBColor(220, 220, 220).stroke_width(1),
            ))?;
            if v.is_finite() && *v >= 0.05 {
                let ink = if luminance(fill) < 120.0 {
                    WHITE
                } else {
                    BLACK
                };
                let text = if *v >= 10.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                };
                area.draw(&Text::new(
                    text,
                    (x + cw / 2, y + ch / 2),
                    cell_font
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))?;
            }
        }
    }
    // The diagonal (local purchases) framed, and the unit under the heads.
    for d in 0..cols.min(rows) {
        let (x, y) = (left + cw * d, top + ch * d);
        area.draw(&Rectangle::new(
            [(x, y), (x + cw, y + ch)],
            BLACK.stroke_width(2),
        ))?;
    }
    area.draw(&Text::new(
        label(lang, "scale.flow_share").to_string(),
        (left + cw * cols / 2, top - 10),
        style::font(13.0)
            .color(&style::MUTED)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns sum to 100% over origins (imports included); only the last year counts.
    #[test]
    fn shares_are_of_the_destination_and_of_the_last_year() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flows.csv");
        std::fs::write(
            &file,
            "year,origin,destination,sector,krw\n\
             2025,busan,busan,services,999\n\
             2026,busan,busan,services,60\n\
             2026,capital,busan,services,30\n\
             2026,abroad,busan,services,10\n\
             2026,capital,capital,services,5\n",
        )
        .unwrap();
        let (year, m) = read_matrix(&file).unwrap().unwrap();
        assert_eq!(year, 2026);
        let at = |o: &str, d: &str| {
            let o = m.origins.iter().position(|x| x == o).unwrap();
            let d = m.destinations.iter().position(|x| x == d).unwrap();
            m.share[o][d]
        };
        assert_eq!(at("busan", "busan"), 60.0);
        assert_eq!(at("capital", "busan"), 30.0);
        assert_eq!(at(ABROAD, "busan"), 10.0);
        assert_eq!(at("capital", "capital"), 100.0);
        assert!(at("busan", "ulsan").is_nan(), "no purchases: no share");
        assert_eq!(m.origins.len(), REGION_IDS.len() + 1);
    }
}
