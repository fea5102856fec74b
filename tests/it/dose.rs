//! Dose-response of the levers (ODD 7.10.0): on a fixed seed against the baseline with the
//! same seed (common random numbers), halving a programme's money changes its effect, and
//! doubling it raises the effect by less than double (diminishing returns).

use super::{baseline, baseline_path};
use regsim::model::geo::CAPITAL;
use regsim::scenario::Scenario;
use regsim::sim::{RunResult, simulate_plain};
use std::path::Path;

/// Non-capital SME sales summed over 2026-2030 (real KRW).
fn noncapital_sales(r: &RunResult) -> f64 {
    // All firms' sales (SMEs and mid-sized), so a treated firm growing out of SME status
    // does not count as a loss (at small scales one such agent moves the SME total by
    // trillions of KRW).
    r.regions
        .iter()
        .filter(|x| x.region != "capital")
        .map(|x| x.sales_krw)
        .sum()
}

/// Startup births outside the capital region, 2026-2030.
fn noncapital_births(r: &RunResult) -> f64 {
    r.regions
        .iter()
        .filter(|x| x.year >= 2026 && x.region != regsim::model::geo::REGION_IDS[CAPITAL])
        .map(|x| x.startup_births)
        .sum()
}

/// The baseline plus a `[policy]` text with `{M}` replaced by `money`.
fn with_policy(policy: &str, money: f64, sets: &[&str]) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dose.toml");
    let text = format!(
        "extends = {:?}\nname = \"dose-test\"\n{}\n",
        baseline_path().display().to_string(),
        policy.replace("{M}", &format!("{money:e}"))
    );
    std::fs::write(&path, text).unwrap();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{e}"))
}

/// Effects at 0.5x, 1x and 2x the money: each larger than the last, and 2x below double 1x.
fn assert_diminishing(name: &str, effects: [f64; 3]) {
    let [half, full, double] = effects;
    eprintln!(
        "{name}: effect at 0.5x / 1x / 2x money = {half:.4e} / {full:.4e} / {double:.4e} (2x/1x = {:.2})",
        double / full
    );
    assert!(full > 0.0, "{name}: no effect at the full money");
    assert!(
        half < full,
        "{name}: halving the money does not lower the effect"
    );
    assert!(
        double > full,
        "{name}: doubling the money does not raise the effect"
    );
    assert!(
        double < 2.0 * full,
        "{name}: doubling the money doubles the effect"
    );
}

const SETS: [&str; 1] = ["scale=0.003"];
const SEED: u64 = 21;

fn effect(
    policy: &str,
    money: f64,
    sets: &[&str],
    outcome: fn(&RunResult) -> f64,
    base: &RunResult,
) -> f64 {
    outcome(&simulate_plain(&with_policy(policy, money, sets), SEED)) - outcome(base)
}

#[test]
fn key_industries_effect_depends_on_the_incentive_per_firm() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/key-industries-2023.toml");
    let base = simulate_plain(&baseline(&SETS), SEED);
    let run = |factor: f64| {
        let mut sets: Vec<String> = SETS.iter().map(|s| s.to_string()).collect();
        for y in 2025..=2030 {
            sets.push(format!(
                "policy.key_industries.incentive_krw_by_year.{y}={:e}",
                0.3e12 * factor
            ));
        }
        let scn = Scenario::load(&path, &sets).unwrap();
        noncapital_sales(&simulate_plain(&scn, SEED)) - noncapital_sales(&base)
    };
    let tenth = run(0.1);
    let effects = [run(0.5), run(1.0), run(2.0)];
    assert_diminishing("key industries", effects);
    eprintln!("key industries at 1/10 of the incentive: {tenth:.4e}");
    assert!(
        tenth < effects[0],
        "a tenth of the money: {tenth} vs half {}",
        effects[0]
    );
}

#[test]
fn hub_cities_boosts_depend_on_the_money_per_hub() {
    let hubs = r#"
[policy.hub_cities]
regions_by_year = { 2026 = ["busan", "daegu", "gwangju", "daejeon", "gyeongnam"] }
cost_krw_per_hub_year = {M}
reference_krw_per_hub_year = 50e9
startup_birth_boost = 0.3
startup_quality_boost = 0.1
investor_distance_discount = 0.3
amenity_15_39_boost = 0.1
"#;
    // Births are counted in agents: the default scale keeps their rounding small.
    let sets = ["scale=0.01"];
    let base = simulate_plain(&baseline(&sets), SEED);
    let effects = [25e9, 50e9, 100e9].map(|m| effect(hubs, m, &sets, noncapital_births, &base));
    assert_diminishing("hub cities (non-capital startup births)", effects);
}

#[test]
fn smart_factory_gains_depend_on_the_money_per_firm() {
    let sf = r#"
[policy.smart_factories.advanced_ai]
count_by_year = { 2026 = 3000, 2027 = 3000 }
cost_krw_per_firm = {M}
reference_krw_per_firm = 150e6
productivity_gain = 0.10
tech_gain = 0.3
sectors = ["traditional_mfg", "future_industry", "k_beauty"]
min_employees = 10
"#;
    let base = simulate_plain(&baseline(&SETS), SEED);
    let effects = [75e6, 150e6, 300e6].map(|m| effect(sf, m, &SETS, noncapital_sales, &base));
    assert_diminishing("smart factories (non-capital sales)", effects);
}

#[test]
fn the_dose_is_one_at_the_reference_and_zero_without_money() {
    let p = regsim::policy::Policy::default();
    assert_eq!(p.dose(50e9, 50e9), 1.0);
    assert_eq!(p.dose(0.0, 50e9), 0.0);
    assert!((p.dose(100e9, 50e9) - 2f64.sqrt()).abs() < 1e-12);
}
