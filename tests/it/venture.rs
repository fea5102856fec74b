//! Startups and venture capital (issue 12): startups at their own scale, undefined shares,
//! small-sample warnings.

use super::{baseline, baseline_path, regsim, stderr};

#[test]
fn a_year_without_vc_deals_has_an_empty_capital_share_not_zero() {
    // No VC deal can pass a minimum score of 10: the capital share of VC is undefined every
    // year, written as an empty cell, and charts and the report still render.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = regsim(
        &[
            "run",
            baseline_path().to_str().unwrap(),
            "--scale",
            "0.002",
            "--set",
            "investors.vc.min_score=10",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("capital share of VC undefined"),
        "{}",
        stderr(&o)
    );
    let text = std::fs::read_to_string(out.join("national.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|c| *c == "capital_share_vc_investment")
        .unwrap();
    let deals = header.iter().position(|c| *c == "vc_deals").unwrap();
    let mut years = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[deals].parse::<f64>().unwrap(), 0.0, "{line}");
        assert_eq!(cells[col], "", "{line}");
        // The other shares stay defined.
        assert!(cells[col - 1].parse::<f64>().unwrap() > 0.0, "{line}");
        years += 1;
    }
    assert_eq!(years, 6);
    assert!(out.join("report.html").exists());
}

#[test]
fn every_startup_is_simulated_at_any_firm_scale() {
    // startup_scale defaults to 1: the startup outputs do not depend on `scale` beyond the
    // firms' feedback (labour pool, wages), and the VC money equals the investors' spending.
    let a = regsim::sim::simulate_plain(&baseline(&["scale=0.002"]), 4);
    let b = regsim::sim::simulate_plain(&baseline(&["scale=0.01"]), 4);
    for (x, y) in a.national.iter().zip(&b.national) {
        let (x, y) = (&x.totals, &y.totals);
        let rel = |p: f64, q: f64| (p - q).abs() / q;
        assert!(
            rel(x.startups, y.startups) < 0.03,
            "{} vs {}",
            x.startups,
            y.startups
        );
        assert!(
            rel(x.vc_deals, y.vc_deals) < 0.03,
            "{} vs {}",
            x.vc_deals,
            y.vc_deals
        );
        // Every startup is an agent: counts are whole numbers.
        assert_eq!(x.startup_births.fract(), 0.0);
    }
    // No deal is thinned away at startup_scale 1.
    assert_eq!(a.ledger.outside_sample_krw, 0.0);
    assert!(a.ledger.received_by_startups_krw > 0.0);
}

#[test]
fn run_and_report_warn_when_a_regional_figure_rests_on_few_simulated_deals() {
    // At startup_scale 0.05 small regions see a handful of simulated deals a year: `run`
    // prints one line per figure naming them, and the report carries the same lines.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = regsim(
        &[
            "run",
            baseline_path().to_str().unwrap(),
            "--scale",
            "0.002",
            "--set",
            "startup_scale=0.05",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(warnings[0].contains("vc_deals") && warnings[0].contains("sejong"));
    assert!(warnings[1].contains("startup_births") && !warnings[1].contains("capital"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("class=\"warning\"").count(), 2);
}
