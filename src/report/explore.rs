//! The report's interactive view: a tile map of the regions with a year slider and a metric
//! picker, the national series of the metric and the regions as bars (values on hover), and
//! for a comparison the choice of baseline / policy / difference, for a sweep the parameter
//! point. The numbers are embedded as JSON; `explore.js` (hand-written, no library) draws them.
//!
//! The page reads its state from the URL fragment on load and writes it back on every change
//! (`#year=2027&metric=employment&view=diff`), so a link or a headless browser can open any
//! state. Every tile carries its raw value in `data-value` next to the formatted text.
//!
//! **Invariant:** the values come from the same tables as the charts (regions.csv and
//! national.csv of a run, the medians of runs.csv per point, compare.csv's means), unscaled.

use crate::charts::data::{self, Yearly};
use crate::charts::tilemap::LAYOUT;
use crate::charts::timeseries::quantile;
use crate::charts::{ChartError, Holds};
use crate::labels::{Lang, MAP_METRICS, REGIONS, label};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The script, kept in its own file so it reads as JavaScript.
const SCRIPT: &str = include_str!("explore.js");

/// The unit kind the script formats a metric with.
fn unit_of(metric: &str) -> &'static str {
    match metric {
        "wage_krw_month" => "krw",
        m if m.ends_with("_krw") => "krw",
        "firms" | "startups" => "firms",
        _ => "people",
    }
}

fn series(by_year: Option<&BTreeMap<i32, f64>>, years: &[i32]) -> Value {
    Value::Array(
        years
            .iter()
            .map(|y| {
                by_year
                    .and_then(|m| m.get(y))
                    .map_or(Value::Null, |v| json!(v))
            })
            .collect(),
    )
}

/// One view's data from regional and national tables: metric -> (region id or "national") ->
/// values in year order (null where missing).
fn view(regions: &BTreeMap<String, Yearly>, national: &Yearly, years: &[i32]) -> Value {
    let mut out = Map::new();
    for metric in MAP_METRICS {
        let mut m = Map::new();
        for r in REGIONS {
            let values = regions.get(r.id).and_then(|y| y.get(metric));
            m.insert(r.id.to_string(), series(values, years));
        }
        m.insert("national".to_string(), series(national.get(metric), years));
        out.insert(metric.to_string(), Value::Object(m));
    }
    Value::Object(out)
}

fn years_of(regions: &BTreeMap<String, Yearly>) -> Vec<i32> {
    regions
        .values()
        .flat_map(|m| m.values().flat_map(|y| y.keys().copied()))
        .collect::<BTreeSet<i32>>()
        .into_iter()
        .collect()
}

/// Element-wise medians of several tables (a sweep point's replicates).
fn median_of(tables: &[&Yearly]) -> Yearly {
    let mut cells: BTreeMap<(String, i32), Vec<f64>> = BTreeMap::new();
    for t in tables {
        for (metric, by_year) in *t {
            for (y, v) in by_year {
                if v.is_finite() {
                    cells.entry((metric.clone(), *y)).or_default().push(*v);
                }
            }
        }
    }
    let mut out = Yearly::new();
    for ((metric, y), mut values) in cells {
        values.sort_by(f64::total_cmp);
        out.entry(metric)
            .or_default()
            .insert(y, quantile(&values, 0.5));
    }
    out
}

/// The data of the view: (kind, years, [(view id, view name, data)]).
fn gather(dir: &Path, holds: Holds, lang: Lang) -> Result<Option<Value>, ChartError> {
    let mut views = Vec::new();
    let (kind, years) = if holds.compare {
        let rows = data::read_compare(&dir.join("compare.csv"))?;
        let years: Vec<i32> = rows
            .iter()
            .map(|r| r.year)
            .collect::<BTreeSet<i32>>()
            .into_iter()
            .collect();
        for (id, key) in [
            ("baseline", "r.baseline"),
            ("policy", "r.policy"),
            ("diff", "r.difference"),
        ] {
            let mut regions: BTreeMap<String, Yearly> = BTreeMap::new();
            for r in &rows {
                let v = match id {
                    "baseline" => r.baseline_mean,
                    "policy" => r.policy_mean,
                    _ => r.diff_mean,
                };
                regions
                    .entry(r.region.clone())
                    .or_default()
                    .entry(r.metric.clone())
                    .or_default()
                    .insert(r.year, v);
            }
            let national = regions.remove("national").unwrap_or_default();
            views.push((
                id.to_string(),
                label(lang, key).to_string(),
                view(&regions, &national, &years),
            ));
        }
        ("compare", years)
    } else if holds.sweep {
        let sweep = data::read_sweep(&dir.join("runs.csv"))?;
        let mut years = Vec::new();
        for point in sweep.points() {
            let runs: Vec<&data::SweepRun> =
                sweep.runs.iter().filter(|r| r.point == point).collect();
            let nationals: Vec<Yearly> = runs
                .iter()
                .map(|r| data::national_from_regions(&r.regions))
                .collect();
            let mut regions = BTreeMap::new();
            for r in REGIONS {
                let tables: Vec<&Yearly> = runs
                    .iter()
                    .filter_map(|run| run.regions.get(r.id))
                    .collect();
                regions.insert(r.id.to_string(), median_of(&tables));
            }
            let national = median_of(&nationals.iter().collect::<Vec<_>>());
            years = years_of(&regions);
            views.push((
                point.to_string(),
                sweep.point_label(point, lang),
                view(&regions, &national, &years),
            ));
        }
        ("sweep", years)
    } else if holds.run {
        let regions = data::read_regions(&dir.join("regions.csv"))?;
        let national_file = dir.join("national.csv");
        let national = if national_file.is_file() {
            data::read_national(&national_file)?
        } else {
            data::national_from_regions(&regions)
        };
        let years = years_of(&regions);
        views.push((
            "run".to_string(),
            String::new(),
            view(&regions, &national, &years),
        ));
        ("run", years)
    } else {
        return Ok(None);
    };
    if years.is_empty() {
        return Ok(None);
    }
    let layout: Vec<Value> = REGIONS
        .iter()
        .map(|r| {
            let (_, col, row, w) = LAYOUT
                .iter()
                .find(|l| l.0 == r.id)
                .copied()
                .unwrap_or((r.id, 0.0, 0.0, 1.0));
            json!({"id": r.id, "name": r.name(lang), "col": col, "row": row, "w": w})
        })
        .collect();
    let metrics: Vec<Value> = MAP_METRICS
        .iter()
        .map(|m| json!({"id": m, "name": label(lang, &format!("metric.{m}")), "unit": unit_of(m)}))
        .collect();
    let mut data = Map::new();
    let mut view_list = Vec::new();
    for (id, name, values) in views {
        view_list.push(json!({"id": id, "name": name}));
        data.insert(id, values);
    }
    let texts: Map<String, Value> = [
        "r.year",
        "r.show",
        "r.point",
        "r.series",
        "r.hover",
        "r.map",
        "national",
        "no_data",
        "unit.people",
        "unit.firms",
    ]
    .iter()
    .map(|k| (k.to_string(), json!(label(lang, k))))
    .collect();
    Ok(Some(json!({
        "lang": lang.code(),
        "kind": kind,
        "years": years,
        "regions": layout,
        "metrics": metrics,
        "views": view_list,
        "data": data,
        "text": texts,
    })))
}

/// The `<section id="explore">` of the report, or "" when the folder holds no regional table.
pub fn section(dir: &Path, holds: Holds, lang: Lang) -> Result<String, ChartError> {
    let Some(payload) = gather(dir, holds, lang)? else {
        return Ok(String::new());
    };
    // `</` cannot end the script element early once escaped; JSON reads `<\/` as `</`.
    let json = payload.to_string().replace("</", "<\\/");
    let view_control = match payload["kind"].as_str() {
        Some("compare") => format!(
            "<label for=\"view\">{}</label> <select id=\"view\"></select>",
            label(lang, "r.show")
        ),
        Some("sweep") => format!(
            "<label for=\"view\">{}</label> <select id=\"view\"></select>",
            label(lang, "r.point")
        ),
        _ => "<select id=\"view\" hidden></select>".to_string(),
    };
    Ok(format!(
        "<section id=\"explore\"><h2>{explore}</h2>
<noscript><p class=\"note\">{nojs}</p></noscript>
<div class=\"controls\">
<span><label for=\"year\">{year}</label> <input type=\"range\" id=\"year\" step=\"1\"> <output id=\"year-out\"></output></span>
<span><label for=\"metric\">{metric}</label> <select id=\"metric\"></select></span>
<span>{view_control}</span>
</div>
<p class=\"note\">{hover}</p>
<div class=\"views\">
<div><h3>{map} <span id=\"map-caption\"></span></h3><svg id=\"tilemap\" viewBox=\"0 0 460 560\" role=\"img\"></svg></div>
<div><h3>{series} <span id=\"series-caption\"></span></h3><svg id=\"series\" viewBox=\"0 0 560 300\" role=\"img\"></svg>
<div class=\"hover-value\" id=\"hover-value\"></div>
<svg id=\"bars\" viewBox=\"0 0 560 400\" role=\"img\"></svg></div>
</div>
<script type=\"application/json\" id=\"regsim-data\">{json}</script>
<script>{SCRIPT}</script>
</section>
",
        explore = label(lang, "r.explore"),
        nojs = label(lang, "r.nojs"),
        year = label(lang, "r.year"),
        metric = label(lang, "r.metric"),
        hover = label(lang, "r.hover"),
        map = label(lang, "r.map"),
        series = label(lang, "r.series"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_are_taken_per_cell() {
        let a: Yearly = BTreeMap::from([("x".to_string(), BTreeMap::from([(2025, 1.0)]))]);
        let b: Yearly = BTreeMap::from([("x".to_string(), BTreeMap::from([(2025, 3.0)]))]);
        let c: Yearly = BTreeMap::from([("x".to_string(), BTreeMap::from([(2025, 10.0)]))]);
        assert_eq!(median_of(&[&a, &b, &c])["x"][&2025], 3.0);
    }

    #[test]
    fn units_by_metric() {
        assert_eq!(unit_of("sales_krw"), "krw");
        assert_eq!(unit_of("firms"), "firms");
        assert_eq!(unit_of("employment"), "people");
    }
}
