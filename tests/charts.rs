//! Integration tests of the charts and the report, on synthetic output folders written exactly
//! as docs/OUTPUTS.md describes them.
//!
//! Index:
//! - `run_folder_*`, `run_without_national_csv_*`: a `regsim run` folder with validation files;
//! - `sweep_folder_*`, `sweep_with_two_points_*`: sweeps with 3 replicates per point;
//! - `compare_folder_*`, `compare_json_*`, `compare_with_one_replicate_*`: compare.csv +
//!   compare.json, complete and with parts missing;
//! - `malformed_*`, `empty_folder_*`: typed errors that name the file and line;
//! - `text_renders_*`: the embedded font draws the title with no system fonts;
//! - `report_*`: the HTML report is one self-contained file;
//! - `report_in_headless_chromium`: screenshot, DOM and console checked; skipped (passes with
//!   a note) when chromium is absent;
//! - `slider_*`: the interactive report opened at three years (URL fragment) shows on its tile
//!   map the values of regions.csv / compare.csv (baseline, policy, difference), in English
//!   and in Korean; skipped with a note without chromium;
//! - `korean_*`: charts and report with `Lang::Ko`: Korean titles and names, no English left.
//!
//! Set `REGSIM_CHART_FIXTURES=/some/dir` to write the folders there (and keep them) to look at
//! the charts.

use regsim::charts::{self, Body, ChartError};
use regsim::labels::Lang;
use regsim::report::write_report;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const REGIONS: [&str; 15] = [
    "capital",
    "busan",
    "daegu",
    "gwangju",
    "daejeon",
    "ulsan",
    "sejong",
    "gangwon",
    "chungbuk",
    "chungnam",
    "jeonbuk",
    "jeonnam",
    "gyeongbuk",
    "gyeongnam",
    "jeju",
];

/// regions.csv columns in the order of docs/OUTPUTS.md.
const REGION_COLUMNS: [&str; 26] = [
    "year",
    "region",
    "firms",
    "startups",
    "startup_births",
    "startup_deaths",
    "startup_graduations",
    "firm_births",
    "firm_deaths",
    "firms_relocated_in",
    "firms_relocated_out",
    "employment",
    "labour_force",
    "wage_krw_month",
    "sales_krw",
    "value_added_krw",
    "vc_investment_krw",
    "vc_deals",
    "population",
    "population_0_14",
    "population_15_39",
    "population_40_64",
    "population_65_plus",
    "net_migration",
    "net_migration_15_39",
    "mid_sized_firms",
];

const YEARS: std::ops::RangeInclusive<i32> = 2025..=2030;

/// A deterministic wobble in [-1, 1] so replicates differ without a random number generator.
fn wobble(a: u64, b: u64) -> f64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x % 2001) as f64 / 1000.0 - 1.0
}

/// One region-year row of plausible size; `rep` shifts growth a little per replicate.
fn region_row(year: i32, r: usize, rep: u64) -> Vec<f64> {
    let size = if r == 0 {
        12.0
    } else {
        0.35 + 0.25 * ((r * 7) % 5) as f64
    };
    let growth = 0.012 * (((r * 5) % 7) as f64 - 2.5) / 2.5 + 0.004 * wobble(rep, r as u64);
    let t = f64::from(year - 2025);
    let level = size * (1.0 + growth).powf(t);
    let employment = 1.0e6 * level;
    // The capital region is denser in people than in firms, and younger: distinct shares.
    let capital = r == 0;
    let firms = 0.9e5 * level * if capital { 0.8 } else { 1.0 };
    let sales = if r == 0 {
        1.6e15
    } else {
        982e12 / 14.0 * size / 0.85
    } * (1.0 + growth + 0.05).powf(t);
    let population = 3.0e6 * size * (1.0 - 0.004 * t) * if capital { 1.1 } else { 1.0 };
    let young = if capital { 0.34 } else { 0.28 } - 0.002 * t;
    vec![
        firms,
        firms * 0.05,
        firms * 0.01,
        firms * 0.008,
        firms * 0.001,
        firms * 0.07,
        firms * 0.06,
        30.0,
        25.0,
        employment,
        employment * 1.6,
        3.1e6,
        sales,
        sales * 0.3,
        if r == 0 { 8.0e12 } else { 0.2e12 } * (1.0 + 0.1 * wobble(rep + 7, r as u64)),
        40.0,
        population,
        population * 0.11,
        population * young,
        population * 0.4,
        population * (0.49 - young),
        -1000.0 + 200.0 * r as f64,
        -800.0,
        12.0,
    ]
}

fn fmt_row(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
}

fn manifest(command: &str, extra: &str) -> String {
    format!(
        r#"{{"regsim_version": "0.1.0", "git_commit": "0123456789abcdef", "command": "{command}",
  "scenario_name": "baseline", "scenario_file": "scenarios/baseline.toml", "seed": 42,
  "scale": 0.01, "threads": 2, "start_year": 2025, "end_year": 2030, "wall_time_s": 1.5,
  "scenario": {{"name": "baseline", "years": [2025, 2030], "note": "<smart & fair>"}},
  "files": ["regions.csv", "national.csv"]{extra}}}"#
    )
}

fn make_run(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let mut regions = REGION_COLUMNS.join(",") + "\n";
    let mut sums: Vec<Vec<f64>> = Vec::new();
    let mut capital: Vec<Vec<f64>> = Vec::new();
    for year in YEARS {
        let mut sum = vec![0.0; REGION_COLUMNS.len() - 2];
        for (r, region) in REGIONS.iter().enumerate() {
            let row = region_row(year, r, 0);
            let _ = writeln!(regions, "{year},{region},{}", fmt_row(&row));
            for (s, v) in sum.iter_mut().zip(&row) {
                *s += v;
            }
            if r == 0 {
                capital.push(row);
            }
        }
        sum[11] = 3.1e6; // wage: employment-weighted, all equal here
        sums.push(sum);
    }
    write(&dir.join("regions.csv"), &regions);
    let shares = [0usize, 9, 12, 14, 16, 18]; // firms, employment, sales, vc, population, 15-39
    let mut national = String::from("year");
    for c in &REGION_COLUMNS[2..] {
        national.push(',');
        national.push_str(c);
    }
    national.push_str(",capital_share_firms,capital_share_employment,capital_share_sales,capital_share_vc_investment,capital_share_population,capital_share_population_15_39,noncapital_sme_sales_krw\n");
    for (i, year) in YEARS.enumerate() {
        let mut row = sums[i].clone();
        for s in shares {
            row.push(capital[i][s] / sums[i][s]);
        }
        row.push(sums[i][12] - capital[i][12]);
        let _ = writeln!(national, "{year},{}", fmt_row(&row));
    }
    write(&dir.join("national.csv"), &national);
    write(&dir.join("manifest.json"), &manifest("run", ""));
    // Validation files: a Pareto-ish size CCDF and a Laplace-ish growth histogram.
    let mut ccdf = String::from("employees,ccdf\n");
    for k in 0..40 {
        let x = (1.25f64).powi(k).round().max(1.0);
        let y = if x < 10.0 {
            1.0 - 0.06 * x
        } else {
            0.4 * (x / 10.0).powf(-1.1)
        };
        let _ = writeln!(ccdf, "{x},{y}");
    }
    write(&dir.join("size_ccdf.csv"), &ccdf);
    write(
        &dir.join("size_tail_fit.csv"),
        "estimator,alpha,xmin,n_tail\nhill,1.1,10,5230\n",
    );
    let mut hist = String::from("bin_center,density\n");
    for k in -30..=30 {
        let x = f64::from(k) * 0.05;
        let d = (-(x - 0.02).abs() / 0.18).exp() / 0.36 * (1.0 + 0.1 * wobble(k as u64, 3));
        let _ = writeln!(hist, "{x:.2},{d}");
    }
    write(&dir.join("growth_hist.csv"), &hist);
}

/// A sweep of `points` parameter points with 3 replicates each.
fn make_sweep(dir: &Path, points: u64) {
    fs::create_dir_all(dir).unwrap();
    let mut runs = String::from("run_id,point,replicate,seed,firms.exit_loss_months,");
    runs.push_str(&REGION_COLUMNS.join(","));
    runs.push('\n');
    for point in 0..points {
        for rep in 0..3u64 {
            let run_id = point * 3 + rep;
            for year in YEARS {
                for (r, region) in REGIONS.iter().enumerate() {
                    let mut row = region_row(year, r, rep + 1);
                    row[9] *= 1.0 + 0.01 * point as f64 * f64::from(year - 2025);
                    let _ = writeln!(
                        runs,
                        "{run_id},{point},{rep},{},{},{year},{region},{}",
                        100 + rep,
                        6 + 6 * point,
                        fmt_row(&row)
                    );
                }
            }
        }
    }
    write(&dir.join("runs.csv"), &runs);
    // summary.csv is part of the contract; the charts compute their own quantiles from runs.csv.
    write(
        &dir.join("summary.csv"),
        "point,firms.exit_loss_months,year,region,metric,n,mean,sd,p05,p50,p95,ci95_low,ci95_high\n0,6,2025,national,employment,3,1,0,1,1,1,1,1\n",
    );
    write(
        &dir.join("manifest.json"),
        &manifest(
            "sweep",
            r#", "replicates": 3, "design": "grid", "points": [{"firms.exit_loss_months": 6}]"#,
        ),
    );
}

const COMPARE_METRICS: [&str; 6] = [
    "employment",
    "noncapital_sme_sales_krw",
    "vc_investment_krw",
    "startups",
    "firms",
    "capital_share_employment",
];

fn make_compare(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let mut csv = String::from(
        "metric,region,year,n,baseline_mean,policy_mean,diff_mean,diff_ci95_low,diff_ci95_high\n",
    );
    for metric in COMPARE_METRICS {
        let (base, effect): (f64, f64) = match metric {
            "employment" => (18.0e6, 4000.0),
            "noncapital_sme_sales_krw" => (982e12, 3.0e12),
            "vc_investment_krw" => (10e12, 0.15e12),
            "startups" => (40_000.0, 300.0),
            "firms" => (1.2e6, 900.0),
            _ => (0.52, -0.002),
        };
        let mut regions: Vec<&str> = vec!["national"];
        if !metric.starts_with("capital_share") && metric != "noncapital_sme_sales_krw" {
            regions.extend(REGIONS);
        }
        for (ri, region) in regions.iter().enumerate() {
            let weight = if ri == 0 { 1.0 } else { 1.0 / 15.0 };
            for year in YEARS {
                let t = f64::from(year - 2025);
                let b = base * weight * (1.0 + 0.01 * t);
                // Non-capital regions gain, the capital loses a little: a signed map.
                let sign = if *region == "capital" { -0.5 } else { 1.0 };
                let d =
                    effect * weight * sign * t / 5.0 * (1.0 + 0.3 * wobble(ri as u64, year as u64));
                let half = effect.abs() * weight * (0.2 + 0.1 * t);
                let _ = writeln!(
                    csv,
                    "{metric},{region},{year},3,{b},{},{d},{},{}",
                    b + d,
                    d - half,
                    d + half
                );
            }
        }
    }
    write(&dir.join("compare.csv"), &csv);
    let mut per_bn = Vec::new();
    for (r, region) in REGIONS.iter().enumerate() {
        let jobs = 3.0 + 4.0 * wobble(r as u64, 11) - if r == 0 { 4.0 } else { 0.0 };
        let va = (0.4 + 0.3 * wobble(r as u64, 12)) * 1e9;
        per_bn.push(format!(
            r#"{{"region": "{region}", "program": "all", "jobs_mean": {jobs}, "jobs_ci95_low": {}, "jobs_ci95_high": {}, "value_added_krw_mean": {va}, "value_added_krw_ci95_low": {}, "value_added_krw_ci95_high": {}}}"#,
            jobs - 1.5,
            jobs + 1.5,
            va * 0.7,
            va * 1.3
        ));
    }
    for (p, program) in ["smart_factory", "regional_growth_fund", "tips_regional"]
        .iter()
        .enumerate()
    {
        let jobs = 2.0 + p as f64 * 1.5;
        per_bn.push(format!(
            r#"{{"region": "national", "program": "{program}", "jobs_mean": {jobs}, "jobs_ci95_low": {}, "jobs_ci95_high": {}, "value_added_krw_mean": 5.0e8, "value_added_krw_ci95_low": 3.0e8, "value_added_krw_ci95_high": 7.0e8}}"#,
            jobs - 1.0,
            jobs + 1.0
        ));
    }
    let json = format!(
        r#"{{"baseline": {{"scenario_name": "baseline", "p_reach_target_2030": 0.12, "noncapital_sme_sales_2030_trn_krw": 1210.5}},
  "policy": {{"scenario_name": "hub_cities", "p_reach_target_2030": 0.31, "noncapital_sme_sales_2030_trn_krw": 1262.0}},
  "replicates": 3, "capital_share_employment_gap_change_pp": -0.2,
  "per_bn_krw": [{}]}}"#,
        per_bn.join(",\n")
    );
    write(&dir.join("compare.json"), &json);
    write(
        &dir.join("manifest.json"),
        r#"{"regsim_version": "0.1.0", "git_commit": "0123456789abcdef", "command": "compare",
  "baseline": {"scenario_name": "baseline", "scenario": {"name": "baseline"}},
  "policy": {"scenario_name": "hub_cities", "scenario": {"name": "hub_cities", "hubs": 5}},
  "seeds": [100, 101, 102], "replicates": 3, "scale": 0.01}"#,
    );
}

/// A temp dir, or a kept folder under $REGSIM_CHART_FIXTURES for looking at the charts.
fn folder(name: &str) -> (Option<tempfile::TempDir>, PathBuf) {
    if let Ok(root) = std::env::var("REGSIM_CHART_FIXTURES") {
        let dir = Path::new(&root).join(name);
        let _ = fs::remove_dir_all(&dir);
        return (None, dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    (Some(tmp), dir)
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// Checks every expected chart exists as PNG and SVG with the right size and title.
fn check_charts(dir: &Path, written: &[PathBuf], expected: &[&str]) {
    let plan = charts::plan(dir, Lang::En).unwrap();
    let names: Vec<&str> = plan.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, expected, "charts planned for {}", dir.display());
    assert_eq!(written.len(), 2 * expected.len());
    for (i, chart) in plan.iter().enumerate() {
        let png = dir.join("charts").join(format!("{}.png", chart.name));
        let svg = dir.join("charts").join(format!("{}.svg", chart.name));
        assert_eq!(written[2 * i], png);
        assert_eq!(written[2 * i + 1], svg);
        let size = if chart.name.starts_with("regions_") {
            (1800, 1200)
        } else {
            (1200, 800)
        };
        assert_eq!(chart.size, size);
        assert_eq!(png_size(&png), size, "{}", png.display());
        let text = fs::read_to_string(&svg).unwrap();
        assert!(
            text.starts_with("<svg"),
            "{} does not start with <svg",
            svg.display()
        );
        assert!(text.contains(&format!("width=\"{}\"", size.0)));
        assert!(text.contains(&format!("height=\"{}\"", size.1)));
        assert!(text.trim_end().ends_with("</svg>"));
        let title = chart
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('\'', "&apos;");
        assert!(
            text.contains(&title),
            "{} lacks its title {title:?}",
            svg.display()
        );
        assert!(
            text.contains("Source: regsim"),
            "{} lacks the source line",
            svg.display()
        );
    }
    // No temporary files left behind.
    for entry in fs::read_dir(dir.join("charts")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left-over temp file {name}");
    }
}

const RUN_CHARTS: [&str; 9] = [
    "noncapital_sme_sales",
    "employment",
    "startups",
    "vc_investment",
    "capital_shares",
    "regions_employment",
    "regions_firms",
    "regions_sales",
    "tilemap_employment_growth",
];

#[test]
fn run_folder_renders_every_chart() {
    let (_keep, dir) = folder("run");
    make_run(&dir);
    let written = charts::render_dir(&dir, Lang::En).unwrap();
    let mut expected = RUN_CHARTS.to_vec();
    expected.extend(["size_ccdf", "growth_hist"]);
    check_charts(&dir, &written, &expected);
    // Rendering again gives the same list (deterministic order, overwrites in place).
    assert_eq!(charts::render_dir(&dir, Lang::En).unwrap(), written);
}

#[test]
fn sweep_folder_renders_fans_over_three_replicates() {
    let (_keep, dir) = folder("sweep");
    make_sweep(&dir, 1);
    let written = charts::render_dir(&dir, Lang::En).unwrap();
    check_charts(&dir, &written, &RUN_CHARTS);
    let svg = fs::read_to_string(dir.join("charts/employment.svg")).unwrap();
    assert!(svg.contains("median of 3 replicates"));
    assert!(svg.contains("90% of replicates (p05–p95)"));
    assert!(
        svg.contains("3 replicates"),
        "source line names the replicates"
    );
}

#[test]
fn sweep_with_two_points_draws_one_fan_per_point() {
    let (_keep, dir) = folder("sweep_two_points");
    make_sweep(&dir, 2);
    let names: Vec<String> = charts::plan(&dir, Lang::En)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    // Shares get a chart each (two fans of six shares would be unreadable); no tile map.
    assert!(
        names.contains(&"capital_share_employment".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"capital_shares".to_string()));
    assert!(!names.contains(&"tilemap_employment_growth".to_string()));
    charts::render_dir(&dir, Lang::En).unwrap();
    let svg = fs::read_to_string(dir.join("charts/employment.svg")).unwrap();
    // The legend column wraps long labels: the point and its values are on separate lines.
    assert!(
        svg.contains("(firms.exit_loss_months=12)"),
        "legend names the point"
    );
}

#[test]
fn run_without_national_csv_derives_it_from_regions() {
    let (_keep, dir) = folder("run_regions_only");
    make_run(&dir);
    let from_file = charts::plan(&dir, Lang::En).unwrap();
    fs::remove_file(dir.join("national.csv")).unwrap();
    let derived = charts::plan(&dir, Lang::En).unwrap();
    assert_eq!(from_file.len(), derived.len());
    // The derived national series equal the written ones (same sums, shares, non-capital
    // sales) up to rounding.
    for (a, b) in from_file.iter().zip(&derived) {
        assert_eq!(a.name, b.name);
        if let (Body::Time(a), Body::Time(b)) = (&a.body, &b.body) {
            for (sa, sb) in a.series.iter().zip(&b.series) {
                for (pa, pb) in sa.line.iter().zip(&sb.line) {
                    assert_eq!(pa.0, pb.0);
                    assert!(
                        (pa.1 - pb.1).abs() <= 1e-9 * pa.1.abs().max(1.0),
                        "{pa:?} {pb:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn compare_folder_renders_differences_maps_and_bars() {
    let (_keep, dir) = folder("compare");
    make_compare(&dir);
    let written = charts::render_dir(&dir, Lang::En).unwrap();
    check_charts(
        &dir,
        &written,
        &[
            "diff_employment",
            "diff_noncapital_sme_sales",
            "diff_vc_investment",
            "diff_startups",
            "diff_firms",
            "diff_capital_share_employment",
            "tilemap_employment_diff",
            "tilemap_jobs_per_bn",
            "per_bn_region",
            "per_bn_program",
        ],
    );
    let svg = fs::read_to_string(dir.join("charts/diff_employment.svg")).unwrap();
    assert!(svg.contains("baseline &quot;baseline&quot; vs policy &quot;hub_cities&quot;"));
    assert!(svg.contains("seeds 100–102"));
    let map = fs::read_to_string(dir.join("charts/tilemap_employment_diff.svg")).unwrap();
    for region in ["Capital region", "Gangwon", "Jeju", "Gyeongnam"] {
        assert!(map.contains(region), "tile map lacks {region}");
    }
}

#[test]
fn compare_json_without_per_bn_rows_skips_the_bars() {
    let (_keep, dir) = folder("compare_minimal");
    make_compare(&dir);
    write(&dir.join("compare.json"), r#"{"replicates": 3}"#);
    let names: Vec<String> = charts::plan(&dir, Lang::En)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("per_bn") || n == "tilemap_jobs_per_bn")
    );
    assert!(names.contains(&"tilemap_employment_diff".to_string()));
}

#[test]
fn compare_with_one_replicate_has_no_ci_and_still_renders() {
    // With n = 1 the engine cannot give a CI: empty cells read as NaN and the band is omitted.
    let (_keep, dir) = folder("compare_one_replicate");
    make_compare(&dir);
    let path = dir.join("compare.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells[3] = "1";
            cells[7] = "";
            cells[8] = "";
            out.push_str(&cells.join(","));
        }
        out.push('\n');
    }
    fs::write(&path, out).unwrap();
    let written = charts::render_dir(&dir, Lang::En).unwrap();
    assert!(written.iter().all(|p| p.is_file()));
    match &charts::plan(&dir, Lang::En).unwrap()[0].body {
        Body::Time(t) => {
            assert_eq!(t.series[0].line.len(), 6);
            assert!(t.series[0].bands[0].points.is_empty());
        }
        other => panic!("expected a time chart, got {other:?}"),
    }
}

#[test]
fn malformed_number_names_file_line_and_column() {
    let (_keep, dir) = folder("malformed");
    make_run(&dir);
    let path = dir.join("regions.csv");
    let mut lines: Vec<String> = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    // Line 4 is 2025's third region (busan is the second: line 3); spoil its `firms` cell.
    let mut cells: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(cells[1], "daegu");
    cells[2] = "12x";
    lines[3] = cells.join(",");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = charts::render_dir(&dir, Lang::En).unwrap_err();
    match &err {
        ChartError::BadNumber {
            file,
            line,
            column,
            value,
        } => {
            assert_eq!(file, &path);
            assert_eq!(*line, 4);
            assert_eq!(column, "firms");
            assert_eq!(value, "12x");
        }
        other => panic!("expected BadNumber, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("regions.csv") && text.contains("line 4"),
        "{text}"
    );
}

#[test]
fn malformed_row_length_names_file_and_line() {
    let (_keep, dir) = folder("ragged");
    make_run(&dir);
    let path = dir.join("national.csv");
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("2031,1,2\n");
    fs::write(&path, text).unwrap();
    let err = charts::plan(&dir, Lang::En).unwrap_err();
    assert!(
        matches!(&err, ChartError::BadCsv { file, line: 8, .. } if file == &path),
        "{err:?}"
    );
}

#[test]
fn missing_column_is_named() {
    let (_keep, dir) = folder("missing_column");
    make_compare(&dir);
    let path = dir.join("compare.csv");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replacen("diff_ci95_high", "diff_hi", 1);
    fs::write(&path, text).unwrap();
    let err = charts::plan(&dir, Lang::En).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: missing column `diff_ci95_high`", path.display())
    );
}

#[test]
fn empty_folder_says_what_it_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let err = charts::render_dir(tmp.path(), Lang::En).unwrap_err();
    assert!(matches!(err, ChartError::NoOutput { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: holds no regsim output (expected regions.csv, runs.csv, compare.csv or target.json)",
            tmp.path().display()
        )
    );
}

#[test]
fn text_renders_with_the_embedded_font() {
    // plotters is built without `ttf`, so no system font can be used: ink in the title band
    // proves the registered DejaVu font drew the title.
    let (_keep, dir) = folder("font");
    make_run(&dir);
    let plan = charts::plan(&dir, Lang::En).unwrap();
    let out = dir.join("charts");
    fs::create_dir_all(&out).unwrap();
    let chart = &plan[0];
    let mut pixels = vec![0u8; (chart.size.0 * chart.size.1 * 3) as usize];
    {
        use plotters::prelude::*;
        regsim::charts::fonts::ensure_registered();
        let root = BitMapBackend::with_buffer(&mut pixels, chart.size).into_drawing_area();
        charts::draw(chart, &root).unwrap();
        root.present().unwrap();
    }
    let w = chart.size.0 as usize;
    let dark = (10..60)
        .flat_map(|y| (0..w).map(move |x| (y * w + x) * 3))
        .filter(|&i| pixels[i] < 128 && pixels[i + 1] < 128 && pixels[i + 2] < 128)
        .count();
    assert!(dark > 500, "only {dark} dark pixels in the title band");
}

fn check_report(dir: &Path) -> String {
    let report = write_report(dir, Lang::En).unwrap();
    assert_eq!(report, dir.join("report.html"));
    let html = fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for chart in charts::plan(dir, Lang::En).unwrap() {
        assert!(
            html.contains(&format!("<figure id=\"chart-{}\">\n<svg", chart.name)),
            "report lacks the SVG of {}",
            chart.name
        );
    }
    // The static charts, plus the three drawing areas of the interactive view.
    let svgs = html.matches("<svg").count();
    assert_eq!(svgs, charts::plan(dir, Lang::En).unwrap().len() + 3);
    let cleaned = html
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("\"http://www.w3.org/2000/svg\";", ""); // the script's SVG namespace
    assert!(!cleaned.contains("http://"), "external http reference");
    assert!(!cleaned.contains("https://"), "external https reference");
    // One embedded data block and one inline script; nothing loaded from elsewhere.
    assert_eq!(html.matches("<script").count(), 2, "data and script");
    assert!(!html.contains("<script src"), "no external script");
    assert!(html.contains("id=\"regsim-data\""));
    assert!(!html.contains("<smart"), "scenario text must be escaped");
    html
}

#[test]
fn run_with_programs_csv_charts_and_tabulates_spending() {
    let (_keep, dir) = folder("run_programs");
    make_run(&dir);
    // Eight programmes over two regions: the chart shows the six largest, the rest summed.
    let mut csv = String::from("year,program,region,spend_krw,firms_treated,startups_treated\n");
    for year in YEARS {
        for p in 0..8u32 {
            for region in ["capital", "busan"] {
                let spend = if year == 2025 {
                    0.0
                } else {
                    f64::from(p + 1) * 10e9
                };
                let _ = writeln!(csv, "{year},program_{p},{region},{spend},1,0");
            }
        }
    }
    write(&dir.join("programs.csv"), &csv);
    let written = charts::render_dir(&dir, Lang::En).unwrap();
    let mut expected = RUN_CHARTS.to_vec();
    expected.extend(["programs_spend", "size_ccdf", "growth_hist"]);
    check_charts(&dir, &written, &expected);
    let plan = charts::plan(&dir, Lang::En).unwrap();
    let chart = plan.iter().find(|c| c.name == "programs_spend").unwrap();
    let regsim::charts::Body::Time(t) = &chart.body else {
        panic!("programs_spend is a time chart");
    };
    // Six programmes + "2 other programmes" + the total.
    assert_eq!(t.series.len(), 8);
    assert_eq!(t.legend[0].label, "program 7"); // the largest first
    assert_eq!(t.legend[6].label, "2 other programmes");
    let last = |i: usize| t.series[i].line.last().unwrap().1;
    assert!(
        (last(0) - 160.0).abs() < 1e-9,
        "program 7: 2 regions x 80 bn"
    );
    assert!(
        (last(6) - (20.0 + 40.0)).abs() < 1e-9,
        "programs 0 and 1 summed"
    );
    assert!(
        (last(7) - 720.0).abs() < 1e-9,
        "total: 2 x (10 + ... + 80) bn"
    );
    let html = check_report(&dir);
    assert!(html.contains("Public spending by programme"));
    // 5 years x 720 bn KRW in all.
    assert!(
        html.contains("<th>3,600.0</th>"),
        "grand total in the table"
    );
}

#[test]
fn report_of_a_run_renders_missing_charts_first() {
    let (_keep, dir) = folder("report_run");
    make_run(&dir);
    let html = check_report(&dir); // no charts/ yet: the report draws them
    assert!(dir.join("charts/employment.svg").is_file());
    assert!(html.contains("Non-capital SME sales"));
    assert!(
        html.contains("&lt;smart &amp; fair&gt;"),
        "scenario shown escaped"
    );
    assert!(html.contains("&quot;git_commit&quot;"), "manifest shown");
}

#[test]
fn report_of_a_compare_shows_planner_figures() {
    let (_keep, dir) = folder("report_compare");
    make_compare(&dir);
    charts::render_dir(&dir, Lang::En).unwrap();
    let html = check_report(&dir);
    assert!(html.contains("p_reach_target_2030"));
    assert!(html.contains("Effect per 1 bn KRW"));
    assert!(html.contains("Policy scenario") && html.contains("hub_cities"));
}

#[test]
fn report_of_a_sweep_shows_medians() {
    let (_keep, dir) = folder("report_sweep");
    make_sweep(&dir, 1);
    let html = check_report(&dir);
    assert!(html.contains("median of 3 replicates"));
}

/// Opens the report in headless chromium and checks the screenshot has content. Passes with a
/// note when chromium is not installed, so the suite runs anywhere; CI that wants this check
/// must install chromium.
#[test]
fn report_in_headless_chromium() {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(browser) = browser else {
        eprintln!("note: chromium not installed; skipping the browser check of report.html");
        return;
    };
    let (_keep, dir) = folder("report_browser");
    make_compare(&dir);
    let report = write_report(&dir, Lang::En).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let shot = dir.join("screenshot.png");
    let status = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,2000")
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(png_size(&shot), (1400, 2000));
    // The parsed DOM holds every chart as an SVG element: the markup did not break.
    let dom = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    // The page's one script logs nothing, so any console message (a script error, a blocked
    // resource) is a bug.
    let log = String::from_utf8_lossy(&dom.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    let charts = charts::plan(&dir, Lang::En).unwrap().len();
    // The static charts and the three drawn by the interactive view's script.
    assert_eq!(
        dom.matches("<svg").count(),
        charts + 3,
        "SVGs in the browser's DOM"
    );
    assert_eq!(
        dom.matches("class=\"tile\"").count(),
        15,
        "the script drew the map"
    );
    assert_eq!(dom.matches("</figure>").count(), charts);
    assert!(
        fs::metadata(&shot).unwrap().len() > 20_000,
        "screenshot looks blank"
    );
}

/// The first headless browser on PATH, or `None` (the caller prints a note and skips).
fn browser() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// The DOM of `url` after the page's scripts ran, and the console lines of the browser log.
fn dump_dom(browser: &str, url: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--run-all-compositor-stages-before-draw",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// (raw value, shown text) of a region's tile in a dumped DOM.
fn tile(dom: &str, region: &str) -> (f64, String) {
    let key = format!("class=\"tile\" data-region=\"{region}\" data-value=\"");
    let start = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no tile for {region}"))
        + key.len();
    let value: f64 = dom[start..start + dom[start..].find('"').unwrap()]
        .parse()
        .unwrap();
    let text_key = "class=\"v\"";
    let at = start + dom[start..].find(text_key).unwrap();
    let open = at + dom[at..].find('>').unwrap() + 1;
    let text = dom[open..open + dom[open..].find('<').unwrap()].to_string();
    (value, text)
}

/// `column` of regions.csv at (year, region).
fn csv_value(file: &Path, column: &str, year: i32, region: &str) -> f64 {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = headers.iter().position(|h| h == column).unwrap();
    let y = headers.iter().position(|h| h == "year").unwrap();
    let r = headers.iter().position(|h| h == "region").unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        if row[y].parse::<i32>().unwrap() == year && &row[r] == region {
            return row[col].parse().unwrap();
        }
    }
    panic!("{}: no row for {year} {region}", file.display());
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn slider_at_three_years_shows_regions_csv() {
    let Some(browser) = browser() else {
        eprintln!("note: chromium not installed; skipping the slider check of report.html");
        return;
    };
    let (_keep, dir) = folder("slider_run");
    make_run(&dir);
    let report = write_report(&dir, Lang::En).unwrap();
    let regions = dir.join("regions.csv");
    for (year, metric) in [(2026, "employment"), (2028, "firms"), (2030, "employment")] {
        let url = format!("file://{}#year={year}&metric={metric}", report.display());
        let (dom, console) = dump_dom(browser, &url);
        assert!(console.is_empty(), "console messages: {console:?}");
        assert!(
            dom.contains(&format!("<output id=\"year-out\">{year}</output>")),
            "the slider shows {year}"
        );
        for region in REGIONS {
            let expected = csv_value(&regions, metric, year, region);
            let (shown, text) = tile(&dom, region);
            assert!(
                close(shown, expected),
                "{year} {metric} {region}: {shown} vs {expected}"
            );
            let unit = if metric == "firms" { "firms" } else { "people" };
            assert_eq!(
                text,
                format!("{} {unit}", regsim::charts::style::thousands(expected, 0))
            );
        }
    }
}

#[test]
fn slider_toggles_baseline_policy_and_difference_of_a_compare() {
    let Some(browser) = browser() else {
        eprintln!("note: chromium not installed; skipping the compare toggle check");
        return;
    };
    let (_keep, dir) = folder("slider_compare");
    make_compare(&dir);
    let report = write_report(&dir, Lang::Ko).unwrap();
    let rows = regsim::charts::data::read_compare(&dir.join("compare.csv")).unwrap();
    for (year, view) in [(2026, "baseline"), (2028, "policy"), (2030, "diff")] {
        let url = format!(
            "file://{}#year={year}&metric=employment&view={view}",
            report.display()
        );
        let (dom, console) = dump_dom(browser, &url);
        assert!(console.is_empty(), "console messages: {console:?}");
        for region in ["capital", "busan", "jeju"] {
            let row = rows
                .iter()
                .find(|r| r.metric == "employment" && r.region == region && r.year == year)
                .unwrap();
            let expected = match view {
                "baseline" => row.baseline_mean,
                "policy" => row.policy_mean,
                _ => row.diff_mean,
            };
            let (shown, text) = tile(&dom, region);
            assert!(
                close(shown, expected),
                "{year} {view} {region}: {shown} vs {expected}"
            );
            assert!(text.ends_with('명'), "Korean unit on the tile: {text}");
        }
        assert!(
            dom.contains(">부산<") && dom.contains(">수도권<"),
            "Korean region names"
        );
    }
}

#[test]
fn korean_charts_and_report_carry_no_english_titles() {
    let (_keep, dir) = folder("korean_compare");
    make_compare(&dir);
    let written = charts::render_dir(&dir, Lang::Ko).unwrap();
    assert!(!written.is_empty());
    let plan = charts::plan(&dir, Lang::Ko).unwrap();
    for chart in &plan {
        assert!(
            chart
                .title
                .chars()
                .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{}: title not Korean: {}",
            chart.name,
            chart.title
        );
        assert!(chart.source.starts_with("출처: regsim"), "{}", chart.source);
    }
    // The same charts in both languages, under the same file names.
    let en: Vec<String> = charts::plan(&dir, Lang::En)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    let ko: Vec<String> = plan.iter().map(|c| c.name.clone()).collect();
    assert_eq!(en, ko);
    let svg = fs::read_to_string(dir.join("charts/tilemap_employment_diff.svg")).unwrap();
    assert!(
        svg.contains("부산") && svg.contains("NanumSquare"),
        "Korean text in the SVG"
    );
    let png = dir.join("charts/tilemap_employment_diff.png");
    assert_eq!(png_size(&png), (1200, 800));
    let html = fs::read_to_string(write_report(&dir, Lang::Ko).unwrap()).unwrap();
    assert!(html.contains("<html lang=\"ko\">"));
    for text in [
        "주요 수치",
        "지역별 지도",
        "정책 − 기준",
        "사업비 10억 원당 효과",
    ] {
        let text = text.replace('−', "-");
        assert!(html.contains(&text), "report lacks {text}");
    }
    // The tables keep English column names and keys where they are the API.
    assert!(html.contains("p_reach_target_2030"));
}
