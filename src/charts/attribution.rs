//! Charts of the programme decomposition and of parameter uncertainty, from compare.json's
//! `attribution` and `uncertainty` objects: per programme, net jobs and value added per 1 bn
//! KRW stand-alone, marginal (within the package) and Shapley, with 95% CI whiskers; and the
//! fan of non-capital SME sales across parameter samples with the 2030 target and P(target).
//!
//! Missing objects mean the chart is skipped, not an error.

use super::bars::{Bar, PerBnBars};
use super::style::{self, LegendEntry, Swatch, Unit};
use super::timeseries::{Band, Series, TimeChart};
use super::{Body, Chart, SINGLE};
use crate::labels::{Lang, label};
use serde_json::Value;

/// The measures drawn per programme, with their labels.
const MEASURES: [(&str, &str); 3] = [
    ("standalone_per_bn_krw", "alone"),
    ("marginal_per_bn_krw", "marginal"),
    ("shapley_per_bn_krw", "Shapley"),
];

fn bar(label: String, v: &Value, scale: f64) -> Option<Bar> {
    let get = |k: &str| v.get(k).and_then(Value::as_f64).map(|x| x * scale);
    Some(Bar {
        label,
        mean: get("mean")?,
        low: get("ci95_low").unwrap_or(f64::NAN),
        high: get("ci95_high").unwrap_or(f64::NAN),
    })
}

/// Bars per programme and measure (jobs and value added per 1 bn KRW).
pub fn attribution_bars(json: &Value) -> Option<PerBnBars> {
    let rows = json.get("attribution")?.get("by_programme")?.as_array()?;
    let mut out = PerBnBars {
        jobs: Vec::new(),
        value_added: Vec::new(),
    };
    for r in rows {
        let name = r.get("programme")?.as_str()?.replace('_', " ");
        for (key, label) in MEASURES {
            let text = format!("{name}: {label}");
            if let Some(b) = bar(text.clone(), &r["jobs"][key], 1.0) {
                out.jobs.push(b);
            }
            if let Some(b) = bar(text, &r["value_added_krw"][key], 1e-9) {
                out.value_added.push(b);
            }
        }
    }
    (!out.jobs.is_empty()).then_some(out)
}

/// The fan of non-capital SME sales (trn KRW) across parameter samples: median line, 25-75%
/// and 5-95% bands for the baseline and the policy, and the 2030 target as a marker.
pub fn uncertainty_fan(json: &Value) -> Option<TimeChart> {
    let u = json.get("uncertainty")?;
    let fan = u.get("noncapital_sme_sales_trn_krw_fan")?;
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (k, (scenario, color)) in [("baseline", style::MUTED), ("policy", style::color(0))]
        .into_iter()
        .enumerate()
    {
        let rows = fan.get(scenario)?.as_array()?;
        let pick = |q: &str| -> Vec<(i32, f64)> {
            rows.iter()
                .filter_map(|r| Some((r["year"].as_i64()? as i32, r[q].as_f64()?)))
                .collect()
        };
        let band = |lo: &str, hi: &str, alpha: f64| Band {
            alpha,
            points: pick(lo)
                .into_iter()
                .zip(pick(hi))
                .map(|((y, a), (_, b))| (y, a, b))
                .collect(),
        };
        series.push(Series {
            color,
            line: pick("p50"),
            bands: vec![band("p05", "p95", 0.15), band("p25", "p75", 0.3)],
            dashed: false,
            markers: false,
        });
        let p = u
            .get(format!("p_reach_target_{scenario}"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN);
        legend.push(LegendEntry::new(
            format!("{scenario}: median across parameter samples (P(target) = {p:.2})"),
            Swatch::Line(color),
        ));
        if k == 1 {
            legend.push(LegendEntry::new(
                "25-75% and 5-95% of samples",
                Swatch::Band(color, 0.3),
            ));
        }
    }
    series.push(Series {
        color: style::color(3),
        line: vec![(2030, 1432.0)],
        bands: Vec::new(),
        dashed: false,
        markers: true,
    });
    legend.push(LegendEntry::new(
        "target: 1,432 trn KRW in 2030",
        Swatch::Marker(style::color(3)),
    ));
    Some(TimeChart {
        y_desc: "Non-capital SME sales (trn KRW)".to_string(),
        unit: Unit::Plain,
        series,
        legend,
        zero_line: false,
        extra_years: vec![2030],
    })
}

/// The charts compare.json supports here.
pub fn compare_charts(json: &Value, source: &str, lang: Lang) -> Vec<Chart> {
    let mut charts = Vec::new();
    if let Some(bars) = attribution_bars(json) {
        charts.push(Chart {
            name: "attribution_per_bn".to_string(),
            title: label(lang, "t.attribution").to_string(),
            lang,
            size: (SINGLE.0, SINGLE.1.max(60 + 22 * bars.jobs.len() as u32)),
            source: source.to_string(),
            body: Body::Bars(bars),
        });
    }
    if let Some(fan) = uncertainty_fan(json) {
        charts.push(Chart {
            name: "uncertainty_fan".to_string(),
            title: label(lang, "t.uncertainty_fan").to_string(),
            lang,
            size: SINGLE,
            source: source.to_string(),
            body: Body::Time(fan),
        });
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bars_per_programme_and_measure_and_a_fan_per_scenario() {
        let ci = |m: f64| json!({"mean": m, "ci95_low": m - 1.0, "ci95_high": m + 1.0});
        let prog = |name: &str, m: f64| {
            json!({"programme": name,
                "jobs": {"standalone_per_bn_krw": ci(m), "marginal_per_bn_krw": ci(m / 2.0), "shapley_per_bn_krw": ci(m * 0.75)},
                "value_added_krw": {"standalone_per_bn_krw": ci(2e9), "marginal_per_bn_krw": ci(1e9), "shapley_per_bn_krw": ci(1.5e9)}})
        };
        let j = json!({"attribution": {"mode": "oat+loo", "by_programme": [prog("growth_fund", 4.0), prog("tips", 2.0)]}});
        let b = attribution_bars(&j).unwrap();
        assert_eq!(b.jobs.len(), 6);
        assert_eq!(b.jobs[1].label, "growth fund: marginal");
        assert_eq!(b.jobs[2].mean, 3.0);
        assert_eq!(b.value_added[0].mean, 2.0, "bn KRW per bn KRW");
        assert!(uncertainty_fan(&j).is_none());
        let row =
            |y: i64| json!({"year": y, "p05": 1.0, "p25": 2.0, "p50": 3.0, "p75": 4.0, "p95": 5.0});
        let u = json!({"uncertainty": {"p_reach_target_policy": 0.25, "p_reach_target_baseline": 0.0,
            "noncapital_sme_sales_trn_krw_fan": {"baseline": [row(2025), row(2026)], "policy": [row(2025), row(2026)]}}});
        let fan = uncertainty_fan(&u).unwrap();
        assert_eq!(fan.series.len(), 3);
        assert_eq!(
            fan.series[1].bands[0].points,
            vec![(2025, 1.0, 5.0), (2026, 1.0, 5.0)]
        );
        assert!(fan.legend[1].label.contains("P(target) = 0.25"));
        assert_eq!(compare_charts(&u, "s", Lang::En).len(), 1);
    }
}
