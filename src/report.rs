//! One self-contained HTML report of an output folder: headline table, an interactive view
//! (tile map with a year slider and a metric picker, national series and regional bars with
//! values on hover; baseline / policy / difference for a comparison, the parameter point for a
//! sweep), every chart inlined as SVG for printing (A4 print stylesheet), the scenario(s) and
//! the manifest. Readable offline: no external URLs; the one script is [`explore`]'s small
//! hand-written JavaScript over the data embedded as JSON.
//!
//! **Invariant:** like the charts, the report reads only the output files (and the charts it
//! draws from them through [`crate::charts`]); the numbers in its tables and its interactive
//! view come from the same tables as the charts. Every text is a [`crate::labels`] label in
//! the report's [`Lang`].

pub mod explore;

use crate::charts::data::{self, CompareRow, Yearly, per_bn_rows};
use crate::charts::style::{self, thousands};
use crate::charts::timeseries::{TARGET_END, quantile};
use crate::charts::{self, ChartError, Holds};
use crate::labels::{Lang, label, labelf, programme_name, region_name};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes `<dir>/report.html` (atomically), drawing the charts first if any SVG is missing.
pub fn write_report(dir: &Path, lang: Lang) -> Result<PathBuf, ChartError> {
    let plan = charts::plan(dir, lang)?;
    let chart_dir = dir.join("charts");
    if plan
        .iter()
        .any(|c| !chart_dir.join(format!("{}.svg", c.name)).is_file())
    {
        charts::render_dir(dir, lang)?;
    }
    let manifest = data::read_json(&dir.join("manifest.json"))?;
    let compare_json = data::read_json(&dir.join("compare.json"))?;
    let holds = Holds::of(dir);

    let mut body = String::new();
    let kind = if holds.target {
        "target"
    } else if holds.compare {
        "compare"
    } else if holds.sweep {
        "sweep"
    } else if holds.run {
        "run"
    } else {
        "validation"
    };
    let source = style::source_line(kind, manifest.as_ref(), compare_json.as_ref(), lang);
    let title = title_of(kind, manifest.as_ref(), lang);
    let _ = writeln!(
        body,
        "<h1>{}</h1>",
        esc(&labelf(lang, "r.title", &[&title]))
    );
    let _ = writeln!(body, "<p class=\"source\">{}</p>", esc(&source));
    let explore = explore::section(dir, holds, lang)?;
    let _ = writeln!(
        body,
        "<nav><a href=\"#headline\">{}</a>{} · <a href=\"#charts\">{}</a> · <a href=\"#scenario\">{}</a> · <a href=\"#manifest\">{}</a></nav>",
        label(lang, "r.headline"),
        if explore.is_empty() {
            String::new()
        } else {
            format!(" · <a href=\"#explore\">{}</a>", label(lang, "r.explore"))
        },
        esc(&labelf(lang, "r.charts_n", &[&plan.len()])),
        label(lang, "r.scenario"),
        label(lang, "r.manifest"),
    );

    let _ = writeln!(
        body,
        "<section id=\"headline\"><h2>{}</h2>",
        label(lang, "r.headline")
    );
    // Regional figures resting on few simulated events (issue 12), in English in both
    // languages: they name output columns.
    for w in data::small_sample_warnings(dir)? {
        let _ = writeln!(body, "<p class=\"warning\">{}</p>", esc(&w));
    }
    let mut any_headline = false;
    if holds.compare {
        let rows = data::read_compare(&dir.join("compare.csv"))?;
        body.push_str(&compare_headline(&rows, compare_json.as_ref(), lang));
        any_headline = true;
    }
    if holds.run {
        let regions = data::read_regions(&dir.join("regions.csv"))?;
        let national_file = dir.join("national.csv");
        let national = if national_file.is_file() {
            data::read_national(&national_file)?
        } else {
            data::national_from_regions(&regions)
        };
        let _ = writeln!(body, "<h3>{}</h3>", label(lang, "r.national_run"));
        body.push_str(&first_last_table(&[national], None, lang));
        let programs = dir.join("programs.csv");
        if programs.is_file() {
            body.push_str(&spending_table(&data::read_programs(&programs)?, lang));
        }
        any_headline = true;
    }
    if holds.sweep {
        let sweep = data::read_sweep(&dir.join("runs.csv"))?;
        for point in sweep.points() {
            let nationals: Vec<Yearly> = sweep
                .runs
                .iter()
                .filter(|r| r.point == point)
                .map(|r| data::national_from_regions(&r.regions))
                .collect();
            let _ = writeln!(
                body,
                "<h3>{}</h3>",
                esc(&labelf(
                    lang,
                    "r.national_point",
                    &[&sweep.point_label(point, lang), &nationals.len()]
                )),
            );
            body.push_str(&first_last_table(&nationals, Some(point), lang));
        }
        any_headline = true;
    }
    if holds.target
        && let Some(target) = data::read_json(&dir.join("target.json"))?
    {
        body.push_str(&target_headline(&target, lang));
        any_headline = true;
    }
    if !any_headline {
        let _ = writeln!(body, "<p>{}</p>", label(lang, "r.validation_only"));
    }
    body.push_str("</section>\n");
    body.push_str(&explore);

    let _ = writeln!(
        body,
        "<section id=\"charts\"><h2>{}</h2>\n<p class=\"note noprint\">{}</p>\n<ol class=\"toc\">",
        label(lang, "r.charts"),
        label(lang, "r.print_note")
    );
    for chart in &plan {
        let _ = writeln!(
            body,
            "<li><a href=\"#chart-{}\">{}</a></li>",
            esc(&chart.name),
            esc(&chart.title)
        );
    }
    body.push_str("</ol>\n");
    for chart in &plan {
        let file = chart_dir.join(format!("{}.svg", chart.name));
        let svg = std::fs::read_to_string(&file).map_err(|source| ChartError::Io {
            file: file.clone(),
            source,
        })?;
        let _ = writeln!(
            body,
            "<figure id=\"chart-{}\">\n{}\n<figcaption>{} <span class=\"file\">(charts/{}.svg, .png)</span></figcaption>\n</figure>",
            esc(&chart.name),
            strip_prolog(&svg),
            esc(&chart.title),
            esc(&chart.name)
        );
    }
    body.push_str("</section>\n");

    let _ = writeln!(
        body,
        "<section id=\"scenario\"><h2>{}</h2>",
        label(lang, "r.scenario")
    );
    let scenarios = scenarios_of(manifest.as_ref(), compare_json.as_ref(), lang);
    if scenarios.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", label(lang, "r.no_scenario"));
    }
    for (label, scenario) in scenarios {
        let _ = writeln!(
            body,
            "<h3>{}</h3>\n<pre>{}</pre>",
            esc(&label),
            esc(&pretty(scenario))
        );
    }
    let _ = writeln!(
        body,
        "</section>\n<section id=\"manifest\"><h2>{}</h2>",
        label(lang, "r.manifest")
    );
    match &manifest {
        Some(m) => {
            let _ = writeln!(body, "<pre>{}</pre>", esc(&pretty(m)));
        }
        None => {
            let _ = writeln!(body, "<p>{}</p>", label(lang, "r.no_manifest"));
        }
    }
    body.push_str("</section>\n");

    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        lang.code(),
        esc(&title),
        match lang {
            Lang::En => "",
            Lang::Ko => CSS_KO,
        }
    );
    let target = dir.join("report.html");
    let tmp = dir.join(format!(
        "{}report.{}.html",
        crate::output::TEMP_PREFIX,
        std::process::id()
    ));
    // A full disk must not leave the temporary file behind.
    std::fs::write(&tmp, html)
        .and_then(|()| std::fs::rename(&tmp, &target))
        .map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            ChartError::Io {
                file: target.clone(),
                source,
            }
        })?;
    Ok(target)
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #1d1d1d;
  font: 16px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 1.8em; margin: 0.2em 0; }
h2 { font-size: 1.35em; border-bottom: 2px solid #0072b2; padding-bottom: 4px; margin-top: 2em; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
.source { color: #555; margin-top: 0; }
nav a, .toc a { color: #0060a0; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 12px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, .t { text-align: left; }
thead th { background: #eef3f8; border-bottom: 2px solid #bcc9d6; }
tr.key td { font-weight: bold; }
.note { color: #555; font-size: 0.92em; }
figure { margin: 1.5em 0 2.5em; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #e2e2e2; }
/* The charts were laid out with DejaVu Sans metrics; use it when the reader has it. */
figure svg text { font-family: "DejaVu Sans", "Verdana", sans-serif; }
figcaption { color: #444; font-size: 0.95em; margin-top: 6px; }
.file { color: #888; }
pre { background: #f4f4f2; border: 1px solid #e0e0dc; padding: 12px; overflow-x: auto;
  font: 13px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
#explore .controls { display: flex; flex-wrap: wrap; gap: 10px 28px; align-items: center;
  margin: 0.8em 0; }
#explore label { font-weight: bold; }
#explore input[type=range] { width: 260px; vertical-align: middle; }
#explore .views { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(360px, 1.3fr);
  gap: 18px; }
#explore svg { width: 100%; height: auto; background: #fff; }
#explore .tile rect { stroke: #787878; stroke-width: 1; }
#explore svg text { font-size: 13px; }
#explore .tile .name { font-weight: bold; }
#explore .ts circle:hover, #explore .bars rect:hover { stroke: #000; stroke-width: 2; }
#explore .hover-value { min-height: 1.5em; color: #0060a0; font-weight: bold; }
/* Print: the interactive view is for the screen; the static charts fill clean A4 pages. */
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav, #explore, .noprint, .toc { display: none; }
  figure { break-inside: avoid; page-break-inside: avoid; margin: 0 0 8mm; }
  figure svg { border: none; max-height: 240mm; }
  h2 { break-before: page; break-after: avoid; }
  table { break-inside: avoid; font-size: 9.5pt; }
  pre { white-space: pre-wrap; font-size: 8pt; }
}
"#;

/// Korean text: the system's Korean fonts (NanumSquare, the one the PNG charts embed, first).
const CSS_KO: &str = r#"
body, figure svg text { font-family: "NanumSquare", "NanumGothic", "Nanum Gothic",
  "Noto Sans KR", "Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo", sans-serif; }
"#;

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// Drops an XML prolog so the SVG can sit inside HTML.
fn strip_prolog(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn title_of(kind: &str, manifest: Option<&Value>, lang: Lang) -> String {
    let name = manifest
        .and_then(|m| m.get("scenario_name"))
        .and_then(Value::as_str);
    let kind = label(lang, &format!("r.kind.{kind}"));
    match name {
        Some(n) => labelf(lang, "r.kind_of", &[&kind, &n]),
        None => kind.to_string(),
    }
}

/// The resolved scenario(s) to print: `scenario` of a run or sweep manifest; for compare, the
/// `scenario` inside `baseline` and `policy` (of the manifest, else of compare.json).
fn scenarios_of<'a>(
    manifest: Option<&'a Value>,
    compare: Option<&'a Value>,
    lang: Lang,
) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    if let Some(s) = manifest.and_then(|m| m.get("scenario")) {
        out.push((label(lang, "r.resolved_scenario").to_string(), s));
        return out;
    }
    if let Some(list) = manifest
        .and_then(|m| m.get("scenarios"))
        .and_then(Value::as_array)
    {
        for (i, s) in list.iter().enumerate() {
            out.push((labelf(lang, "r.scenario_n", &[&(i + 1)]), s));
        }
        return out;
    }
    for role in ["baseline", "policy"] {
        let found = [manifest, compare].into_iter().flatten().find_map(|v| {
            let r = v.get(role)?;
            r.get("scenario").or_else(|| r.is_object().then_some(r))
        });
        if let Some(s) = found {
            let key = if role == "baseline" {
                "r.baseline_scenario"
            } else {
                "r.policy_scenario"
            };
            out.push((label(lang, key).to_string(), s));
        }
    }
    out
}

/// (metric column, multiplier, unit label key) of the headline rows; names are the labels
/// `metric.<column>`.
const HEADLINE: [(&str, f64, &str); 11] = [
    ("noncapital_sme_sales_krw", 1e-12, "unit.trn_krw"),
    ("employment", 1.0, "unit.people"),
    ("firms", 1.0, "unit.firms"),
    ("startups", 1.0, "unit.startups"),
    ("vc_investment_krw", 1e-12, "unit.trn_krw"),
    ("capital_share_firms", 100.0, "%"),
    ("capital_share_employment", 100.0, "%"),
    ("capital_share_sales", 100.0, "%"),
    ("capital_share_vc_investment", 100.0, "%"),
    ("capital_share_population", 100.0, "%"),
    ("capital_share_population_15_39", 100.0, "%"),
];

/// The unit shown for a unit key ("%" stays "%").
fn unit_text(unit: &str, lang: Lang) -> &'static str {
    if unit == "%" { "%" } else { label(lang, unit) }
}

fn fmt_num(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    match unit {
        "%" => format!("{}%", thousands(v, 1)),
        "unit.trn_krw" => thousands(v, if v.abs() >= 100.0 { 0 } else { 2 }),
        _ => thousands(v, 0),
    }
}

/// First and last year of the national metrics; medians when several runs are given.
fn first_last_table(nationals: &[Yearly], point: Option<i64>, lang: Lang) -> String {
    let mut out = String::new();
    let years = nationals
        .iter()
        .flat_map(|n| n.values().flat_map(|m| m.keys().copied()))
        .collect::<std::collections::BTreeSet<i32>>();
    let (Some(&y0), Some(&y1)) = (years.first(), years.last()) else {
        return format!("<p>{}</p>\n", label(lang, "r.no_years"));
    };
    let median_at = |metric: &str, year: i32| -> f64 {
        let mut v: Vec<f64> = nationals
            .iter()
            .filter_map(|n| n.get(metric)?.get(&year).copied())
            .filter(|v| v.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        quantile(&v, 0.5)
    };
    let _ = writeln!(
        out,
        "<table{}><thead><tr><th>{}</th><th>{}</th><th>{y0}</th><th>{y1}</th><th>{}</th></tr></thead><tbody>",
        point
            .map(|p| format!(" data-point=\"{p}\""))
            .unwrap_or_default(),
        label(lang, "r.metric"),
        label(lang, "r.unit"),
        label(lang, "r.change"),
    );
    for (metric, scale, unit) in HEADLINE {
        if !nationals.iter().any(|n| n.contains_key(metric)) {
            continue;
        }
        let a = median_at(metric, y0) * scale;
        let b = median_at(metric, y1) * scale;
        let change = if unit == "%" {
            format!("{:+.1} {}", b - a, label(lang, "unit.pp"))
        } else if a != 0.0 && a.is_finite() && b.is_finite() {
            format!("{:+.1}%", (b / a - 1.0) * 100.0)
        } else {
            "n/a".to_string()
        };
        let class = if metric == "noncapital_sme_sales_krw" {
            " class=\"key\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(label(lang, &format!("metric.{metric}"))),
            esc(unit_text(unit, lang)),
            fmt_num(a, unit),
            fmt_num(b, unit),
            esc(&change)
        );
    }
    out.push_str("</tbody></table>\n");
    if nationals
        .iter()
        .any(|n| n.contains_key("noncapital_sme_sales_krw"))
    {
        let _ = writeln!(
            out,
            "<p class=\"note\">{}</p>",
            esc(&labelf(
                lang,
                "r.target_note",
                &[&thousands(TARGET_END.1, 0), &TARGET_END.0]
            ))
        );
    }
    out
}

/// Flattens the scalar leaves of a JSON value into (path, value) pairs (objects in key order).
fn scalars(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                scalars(child, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                scalars(child, &format!("{path}[{i}]"), out);
            }
        }
        Value::Number(n) => {
            let text = n
                .as_f64()
                .map(|f| {
                    // Years, seeds and counts of replicates read as plain integers.
                    let plain = ["year", "seed", "replicates"]
                        .iter()
                        .any(|k| path.ends_with(k));
                    if plain && f.fract() == 0.0 {
                        format!("{f:.0}")
                    } else if f.fract() == 0.0 && f.abs() < 1e15 {
                        thousands(f, 0)
                    } else if f.abs() < 1.0 {
                        format!("{f:.4}")
                    } else {
                        thousands(f, 2)
                    }
                })
                .unwrap_or_else(|| n.to_string());
            out.push((path.to_string(), text));
        }
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Bool(b) => out.push((path.to_string(), b.to_string())),
        Value::Null => {}
    }
}

/// Public spending per programme (rows) and year (columns), bn KRW, with totals.
fn spending_table(spending: &data::Spending, lang: Lang) -> String {
    let years: std::collections::BTreeSet<i32> = spending
        .programs
        .iter()
        .flat_map(|(_, by_year)| by_year.keys().copied())
        .collect();
    // bn KRW; Korean shows 억 원 (ten to a bn).
    let per = match lang {
        Lang::En => 1.0,
        Lang::Ko => 10.0,
    };
    let mut out = format!(
        "<h3>{}</h3>\n<table><thead><tr><th class=\"t\">{}</th>",
        esc(label(lang, "r.spending")),
        label(lang, "r.programme")
    );
    for y in &years {
        let _ = write!(out, "<th>{y}</th>");
    }
    let _ = writeln!(
        out,
        "<th>{}</th></tr></thead><tbody>",
        label(lang, "r.total")
    );
    let mut totals = vec![0.0; years.len()];
    for (name, by_year) in &spending.programs {
        let _ = write!(
            out,
            "<tr><td class=\"t\">{}</td>",
            esc(&programme_name(lang, name))
        );
        for (i, y) in years.iter().enumerate() {
            let v = by_year.get(y).copied().unwrap_or(0.0) * per;
            totals[i] += v;
            let _ = write!(out, "<td>{}</td>", thousands(v, 1));
        }
        let _ = writeln!(
            out,
            "<td>{}</td></tr>",
            thousands(by_year.values().sum::<f64>() * per, 1)
        );
    }
    let _ = write!(
        out,
        "<tr><th class=\"t\">{}</th>",
        label(lang, "r.all_programmes")
    );
    for v in &totals {
        let _ = write!(out, "<th>{}</th>", thousands(*v, 1));
    }
    let _ = writeln!(
        out,
        "<th>{}</th></tr></tbody></table>",
        thousands(totals.iter().sum(), 1)
    );
    out
}

/// The figures of a `regsim target` folder (target.json without its evaluation list).
fn target_headline(target: &Value, lang: Lang) -> String {
    let mut all = Vec::new();
    if let Value::Object(map) = target {
        for (k, v) in map {
            if k != "evaluations" && k != "scaled_keys" {
                scalars(v, k, &mut all);
            }
        }
    }
    let mut out = format!(
        "<h3>target.json</h3>\n<table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>\n",
        label(lang, "r.figure"),
        label(lang, "r.value")
    );
    for (path, value) in &all {
        let key = ["outcome", "multiplier", "bracket"]
            .iter()
            .any(|k| path.starts_with(k));
        let class = if key { " class=\"key\"" } else { "" };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td></tr>",
            esc(path),
            esc(value)
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

fn ci(mean: f64, low: f64, high: f64, decimals: usize) -> String {
    format!(
        "{} <span class=\"note\">[{}, {}]</span>",
        thousands(mean, decimals),
        thousands(low, decimals),
        thousands(high, decimals)
    )
}

/// The planner's figures of a compare folder.
fn compare_headline(rows: &[CompareRow], json: Option<&Value>, lang: Lang) -> String {
    let mut out = String::new();
    if let Some(json) = json {
        let per_bn = per_bn_rows(json);
        if !per_bn.is_empty() {
            let _ = writeln!(
                out,
                "<h3>{}</h3>\n<table><thead><tr><th>{}</th><th class=\"t\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                esc(label(lang, "r.per_bn")),
                label(lang, "r.region"),
                label(lang, "r.programme"),
                label(lang, "net_jobs"),
                label(lang, "r.value_added_bn")
            );
            for r in &per_bn {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&region_name(lang, &r.region)),
                    esc(&programme_name(lang, &r.program)),
                    ci(r.jobs[0], r.jobs[1], r.jobs[2], 1),
                    ci(
                        r.value_added_krw[0] * 1e-9,
                        r.value_added_krw[1] * 1e-9,
                        r.value_added_krw[2] * 1e-9,
                        2
                    )
                );
            }
            out.push_str("</tbody></table>\n");
        }
        // Every other scalar the engine wrote; the target probability and gap figures first.
        let mut all = Vec::new();
        if let Value::Object(map) = json {
            for (k, v) in map {
                match k.as_str() {
                    // Drawn as charts (attribution_per_bn, uncertainty_fan); the table keeps
                    // P(target) and the three parameters that matter most.
                    "per_bn_krw" | "attribution" => {}
                    "uncertainty" => {
                        let mut u = v.clone();
                        if let Some(o) = u.as_object_mut() {
                            o.remove("noncapital_sme_sales_trn_krw_fan");
                            if let Some(Value::Array(p)) = o.get_mut("parameters_by_influence") {
                                p.truncate(3);
                            }
                        }
                        scalars(&u, k, &mut all);
                    }
                    _ => scalars(v, k, &mut all),
                }
            }
        }
        let is_key = |p: &str| {
            let p = p.to_ascii_lowercase();
            p.contains("prob") || p.contains("target") || p.contains("gap")
        };
        all.sort_by_key(|(p, _)| !is_key(p)); // stable: keeps key order within groups
        if !all.is_empty() {
            let _ = writeln!(
                out,
                "<h3>{}</h3>\n<table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
                esc(label(lang, "r.planner")),
                label(lang, "r.figure"),
                label(lang, "r.value")
            );
            for (path, value) in &all {
                let class = if is_key(path) { " class=\"key\"" } else { "" };
                let _ = writeln!(
                    out,
                    "<tr{class}><td>{}</td><td>{}</td></tr>",
                    esc(path),
                    esc(value)
                );
            }
            out.push_str("</tbody></table>\n");
        }
    }
    // Last year's national differences, including the capital-share (gap) metrics.
    let Some(year) = rows
        .iter()
        .filter(|r| r.region == "national")
        .map(|r| r.year)
        .max()
    else {
        return out;
    };
    let mut last: BTreeMap<&str, &CompareRow> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.region == "national" && r.year == year)
    {
        last.insert(r.metric.as_str(), r);
    }
    let _ = writeln!(
        out,
        "<h3>{}</h3>\n<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(&labelf(lang, "r.diff_national", &[&year])),
        label(lang, "r.metric"),
        label(lang, "r.unit"),
        label(lang, "r.baseline"),
        label(lang, "r.policy"),
        label(lang, "r.difference")
    );
    let mut shown = std::collections::BTreeSet::new();
    let known = HEADLINE
        .iter()
        .map(|(m, s, u)| (*m, label(lang, &format!("metric.{m}")).to_string(), *s, *u));
    let extra: Vec<(&str, String, f64, &str)> = last
        .keys()
        .filter(|m| !HEADLINE.iter().any(|h| h.0 == **m))
        .map(|m| {
            if m.ends_with("_krw") {
                (*m, m.replace('_', " "), 1e-12, "unit.trn_krw")
            } else {
                (*m, m.replace('_', " "), 1.0, "")
            }
        })
        .collect();
    for (metric, name, scale, unit) in known.chain(extra) {
        let Some(r) = last.get(metric) else { continue };
        if !shown.insert(metric) {
            continue;
        }
        let pp = label(lang, "unit.pp");
        let (unit_shown, diff) = if unit == "%" {
            (
                format!("% / {pp}"),
                format!(
                    "{:+.2} {pp} <span class=\"note\">[{:+.2}, {:+.2}]</span>",
                    r.diff_mean * scale,
                    r.diff_ci95_low * scale,
                    r.diff_ci95_high * scale
                ),
            )
        } else {
            let d = if unit == "unit.trn_krw" { 3 } else { 0 };
            (
                if unit.is_empty() {
                    String::new()
                } else {
                    unit_text(unit, lang).to_string()
                },
                ci(
                    r.diff_mean * scale,
                    r.diff_ci95_low * scale,
                    r.diff_ci95_high * scale,
                    d,
                ),
            )
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&name),
            esc(&unit_shown),
            fmt_num(r.baseline_mean * scale, unit),
            fmt_num(r.policy_mean * scale, unit),
            diff
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn prolog_is_dropped() {
        assert_eq!(strip_prolog("<?xml version=\"1.0\"?>\n<svg a>"), "<svg a>");
    }

    #[test]
    fn scalars_flatten_in_order() {
        let v = serde_json::json!({"a": {"p_reach": 0.25, "n": 3}, "b": "x"});
        let mut out = Vec::new();
        scalars(&v, "", &mut out);
        assert_eq!(
            out,
            vec![
                ("a.n".to_string(), "3".to_string()),
                ("a.p_reach".to_string(), "0.2500".to_string()),
                ("b".to_string(), "x".to_string())
            ]
        );
    }
}
