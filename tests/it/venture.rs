//! Startups and venture capital (issue 12): startups at their own scale, undefined shares,
//! small-sample warnings.

use super::{baseline, baseline_path, regsim, stderr};

/// `regsim run` of the baseline at scale 0.002 with one `--set`, into a temporary folder
/// (kept alive by the returned guard).
fn run_small(set: &str) -> (tempfile::TempDir, std::path::PathBuf, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = regsim(
        &[
            "run",
            baseline_path().to_str().unwrap(),
            "--scale",
            "0.002",
            "--set",
            set,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    (dir, out, o)
}

#[test]
fn a_year_without_vc_deals_has_an_empty_capital_share_not_zero() {
    // No VC deal can pass a minimum score of 10: the capital share of VC is undefined every
    // year, written as an empty cell, and charts and the report still render.
    let (_dir, out, o) = run_small("investors.vc.min_score=10");
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
    // Summed over three seeds: one seed's last year moves by up to 3% through that feedback
    // (seed 4, 2030: startups 16,896 at scale 0.002 against 17,428 at 0.01).
    let runs = |scale: &str| -> Vec<_> {
        (4..=6)
            .map(|seed| regsim::sim::simulate_plain(&baseline(&[scale]), seed))
            .collect()
    };
    let (a, b) = (runs("scale=0.002"), runs("scale=0.01"));
    let sum =
        |rs: &[regsim::sim::RunResult], y: usize, f: fn(&regsim::metrics::RegionRow) -> f64| {
            rs.iter().map(|r| f(&r.national[y].totals)).sum::<f64>()
        };
    for y in 0..a[0].national.len() {
        let rel = |f: fn(&regsim::metrics::RegionRow) -> f64| {
            let (p, q) = (sum(&a, y, f), sum(&b, y, f));
            ((p - q).abs() / q, p, q)
        };
        let (r, p, q) = rel(|t| t.startups);
        assert!(r < 0.03, "year {y}: startups {p} vs {q}");
        let (r, p, q) = rel(|t| t.vc_deals);
        assert!(r < 0.03, "year {y}: VC deals {p} vs {q}");
        // Every startup is an agent: counts are whole numbers.
        for run in &a {
            assert_eq!(run.national[y].totals.startup_births.fract(), 0.0);
        }
    }
    let a = &a[0];
    // No deal is thinned away at startup_scale 1.
    assert_eq!(a.ledger.outside_sample_krw, 0.0);
    assert!(a.ledger.received_by_startups_krw > 0.0);
}

#[test]
fn run_and_report_warn_when_a_regional_figure_rests_on_few_simulated_deals() {
    // At startup_scale 0.05 small regions see a handful of simulated deals a year: `run`
    // prints one line per figure naming them, and the report carries the same lines.
    let (_dir, out, o) = run_small("startup_scale=0.05");
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(warnings[0].contains("vc_deals") && warnings[0].contains("sejong"));
    assert!(warnings[1].contains("startup_births") && !warnings[1].contains("capital"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("class=\"warning\"").count(), 2);
}

/// The growth-fund scenario with overrides.
fn growth_fund(sets: &[&str]) -> regsim::scenario::Scenario {
    let path = baseline_path().with_file_name("growth-fund-2026.toml");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    regsim::scenario::Scenario::load(&path, &sets).expect("growth fund loads")
}

/// The whole venture market of a run at its last year end (growth funds included).
fn market_at_end(scn: &regsim::scenario::Scenario, seed: u64) -> regsim::model::World {
    let mut last = None;
    regsim::sim::simulate::<std::convert::Infallible>(scn, seed, |_, w| {
        last = Some(w.clone());
        Ok(())
    })
    .unwrap();
    last.unwrap()
}

#[test]
fn every_vc_deal_is_booked_to_a_fund_and_every_holding_is_resolved_once() {
    let scn = growth_fund(&["scale=0.002"]);
    let w = market_at_end(&scn, 2);
    let v = &w.venture;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    // Every KRW a VC investor (market or policy fund) paid went through a fund.
    let vc_invested: f64 = (0..w.investors.len())
        .filter(|&k| scn.investors[usize::from(w.investors.kind[k])].counts_as_vc)
        .map(|k| w.investors.invested_krw[k])
        .sum();
    let fund_invested: f64 = v.funds.invested_krw.iter().sum();
    assert!(vc_invested > 0.0);
    assert!(
        close(fund_invested, vc_invested),
        "{fund_invested} vs {vc_invested}"
    );
    // At startup_scale 1 every deal is a holding; each is open or resolved, never both.
    let held: f64 = v.holdings.cost_krw.iter().sum();
    assert!(close(held, fund_invested), "{held} vs {fund_invested}");
    let open: f64 = (0..v.holdings.fund.len())
        .filter(|&h| v.holdings.fund[h] != regsim::model::venture::NONE)
        .map(|h| v.holdings.cost_krw[h])
        .sum();
    let resolved: f64 = v.resolved_cost_by_year.iter().sum();
    assert!(
        close(open + resolved, held),
        "{open} + {resolved} vs {held}"
    );
    // Write-offs are part of what was resolved; proceeds are booked to funds.
    let written_off: f64 = v.funds.written_off_krw.iter().sum();
    let distributed: f64 = v.funds.distributed_krw.iter().sum();
    assert!(written_off > 0.0 && written_off < resolved);
    assert!(close(distributed, v.proceeds_by_year.iter().sum()));
    // One history entry per year of the settling, the spin-up and the run.
    let years = scn.startups.settle_years as usize + scn.spinup_years as usize + 6;
    assert_eq!(v.proceeds_by_year.len(), years);
    // The policy funds' public money is the programme's spending: 1.4 trn KRW over 2026-2030.
    let public: f64 = v.funds.public_krw.iter().sum();
    assert!((public - 1.4e12).abs() < 1e3, "{public}");
    assert!(v.funds.vintage.iter().any(|&y| y < scn.start_year - 5));
}

#[test]
fn public_money_crowds_private_commitments_in_or_out_by_the_elasticity() {
    // Same seed, growth fund alone: private VC money over 2026-2030 rises with the crowding
    // elasticity (out at -1, neutral at 0, in at 0.5), by less than the public money itself
    // (commitments are drawn over the 4-year investment period).
    let private = |theta: &str| {
        let set = format!("venture.crowding_per_public_krw={theta}");
        let scn = growth_fund(&["scale=0.002", &set]);
        let r = regsim::sim::simulate_plain(&scn, 3);
        r.national
            .iter()
            .map(|n| n.totals.vc_private_krw)
            .sum::<f64>()
    };
    let (out, neutral, into) = (private("-1"), private("0"), private("0.5"));
    assert!(out < neutral && neutral < into, "{out} {neutral} {into}");
    assert!(neutral - out < 1.4e12, "{}", neutral - out);
    assert!(neutral - out > 0.2e12, "{}", neutral - out);
}

#[test]
fn hub_cities_add_national_vc_only_through_the_market_s_response() {
    // Hub cities bring no money of their own. With commitments that respond to deal flow and
    // returns they add national VC over 2026-2030 (same seed as the baseline); with both
    // elasticities at 0 the pool is fixed and they only move it.
    let national_vc = |scenario: &str, sets: &[&str]| {
        let path = baseline_path().with_file_name(scenario);
        let mut all = vec!["scale=0.002"];
        all.extend_from_slice(sets);
        let sets: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        let scn = regsim::scenario::Scenario::load(&path, &sets).unwrap();
        let r = regsim::sim::simulate_plain(&scn, 5);
        r.national
            .iter()
            .map(|n| n.totals.vc_investment_krw)
            .sum::<f64>()
    };
    let fixed = [
        "venture.return_elasticity=0",
        "venture.deal_flow_elasticity=0",
    ];
    let added = national_vc("hub-cities-2026.toml", &[]) - national_vc("baseline.toml", &[]);
    let moved = national_vc("hub-cities-2026.toml", &fixed) - national_vc("baseline.toml", &fixed);
    assert!(added > 0.1e12, "{added}");
    assert!(moved.abs() < 0.05e12, "{moved}");
}
