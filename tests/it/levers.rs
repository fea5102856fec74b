//! Each policy lever acts in the direction and roughly the magnitude its ODD submodel (7.10)
//! says, against the baseline run with the same seed (common random numbers); spending never
//! exceeds budgets or the overall cap; impossible schedules are rejected.

use super::{baseline_path, regsim, stderr};
use regsim::metrics::ProgramRow;
use regsim::model::geo::{CAPITAL, N_SECTORS, REGION_IDS, SECTOR_IDS};
use regsim::model::{World, status};
use regsim::policy::{Program, flag};
use regsim::scenario::Scenario;
use regsim::sim::{RunResult, simulate, simulate_plain};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"))
}

fn load(path: &Path, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::load(path, &sets).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The baseline plus a `[policy]` text (written to a temporary file that extends it).
fn with_policy(policy: &str, sets: &[&str]) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    let text = format!(
        "extends = {:?}\nname = \"lever-test\"\n{policy}\n",
        baseline_path().display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    load(&path, sets)
}

fn load_err(policy: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = format!(
        "extends = {:?}\nname = \"bad\"\n{policy}\n",
        baseline_path().display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    Scenario::load(&path, &[])
        .expect_err("must be rejected")
        .to_string()
}

fn base(sets: &[&str]) -> Scenario {
    load(&baseline_path(), sets)
}

/// Sum of a region column over the given regions and years 2026-2030.
fn sum_regions(r: &RunResult, regions: &[usize], f: fn(&regsim::metrics::RegionRow) -> f64) -> f64 {
    r.regions
        .iter()
        .filter(|x| x.year >= 2026)
        .filter(|x| regions.iter().any(|&i| REGION_IDS[i] == x.region))
        .map(f)
        .sum()
}

/// Money invested by angels homed outside the capital region over the whole run (real KRW).
fn noncapital_angel_invested(scn: &Scenario, seed: u64) -> f64 {
    let angel = scn
        .investors
        .iter()
        .position(|k| k.name == "angel")
        .expect("the baseline has angels") as u8;
    let mut total = 0.0;
    simulate::<std::convert::Infallible>(scn, seed, |year, w: &World| {
        if year == scn.end_year {
            let inv = &w.investors;
            total = (0..inv.len())
                .filter(|&i| inv.kind[i] == angel && usize::from(inv.home[i]) != CAPITAL)
                .map(|i| inv.invested_krw[i])
                .sum();
        }
        Ok(())
    })
    .unwrap_or_else(|e| match e {});
    total
}

fn program_rows<'a>(r: &'a RunResult, p: Program) -> impl Iterator<Item = &'a ProgramRow> + 'a {
    r.programs.iter().filter(move |x| x.program == p.name())
}

const HUBS: &str = r#"
[policy.hub_cities]
regions_by_year = { 2026 = ["busan", "daegu", "gwangju", "daejeon", "gyeongnam"] }
cost_krw_per_hub_year = 50e9
startup_birth_boost = 0.3
startup_quality_boost = 0.1
investor_distance_discount = 0.3
amenity_15_39_boost = 0.1
"#;

#[test]
fn hub_regions_get_more_startup_births() {
    let sets = ["scale=0.01"];
    let b = simulate_plain(&base(&sets), 5);
    let p = simulate_plain(&with_policy(HUBS, &sets), 5);
    let hubs = [1, 2, 3, 4, 13];
    let (bh, ph) = (
        sum_regions(&b, &hubs, |x| x.startup_births),
        sum_regions(&p, &hubs, |x| x.startup_births),
    );
    let ratio = ph / bh;
    eprintln!("hub startup births 2026-30: baseline {bh:.0}, hubs {ph:.0} (x{ratio:.3})");
    // ODD 7.10.1: births x (1 + 0.3); Poisson noise and the staffing cap allow some slack.
    assert!((1.15..1.45).contains(&ratio), "ratio {ratio}");
    // 2025 is before the designation: identical (common random numbers).
    let y25 = |r: &RunResult| -> Vec<f64> {
        r.regions
            .iter()
            .filter(|x| x.year == 2025)
            .map(|x| x.startup_births)
            .collect()
    };
    assert_eq!(y25(&b), y25(&p));
    // Hub spending: 5 hubs x 50 bn a year from 2026.
    let spend: f64 = program_rows(&p, Program::HubCities)
        .filter(|x| x.year == 2026)
        .map(|x| x.spend_krw)
        .sum();
    assert_eq!(spend, 5.0 * 50e9);
}

#[test]
fn growth_fund_lowers_the_capital_share_of_vc() {
    let fund = r#"
[policy.growth_fund]
budget_krw_by_year = { 2026 = 0.5e12, 2027 = 0.6e12, 2028 = 0.7e12, 2029 = 0.8e12, 2030 = 0.9e12 }
funds_per_region = 2
local_share = 0.6
private_match_ratio = 0.5
investor_kind = "vc"
"#;
    let sets = ["scale=0.005"];
    let b = simulate_plain(&base(&sets), 6);
    let p = simulate_plain(&with_policy(fund, &sets), 6);
    let share = |r: &RunResult| {
        let n: Vec<f64> = r
            .national
            .iter()
            .filter(|n| n.year >= 2026)
            .map(|n| n.capital_share_vc_investment)
            .collect();
        n.iter().sum::<f64>() / n.len() as f64
    };
    let (sb, sp) = (share(&b), share(&p));
    eprintln!("capital share of VC 2026-30: baseline {sb:.3}, growth fund {sp:.3}");
    // The effect over 50 pairs is -2.94 [-3.01, -2.88] pp (issue 12); one seed at this scale
    // lands within a few tenths of it, so 2.5 pp asserts the size without sitting on the mean.
    assert!(sp < sb - 0.025, "baseline {sb}, growth fund {sp}");
    // Public money committed equals the schedule (3.5 trn KRW by 2030), all outside the capital.
    let spend: f64 = program_rows(&p, Program::GrowthFund)
        .map(|x| x.spend_krw)
        .sum();
    assert!((spend - 3.5e12).abs() < 1e-6 * 3.5e12, "{spend}");
    assert!(
        program_rows(&p, Program::GrowthFund).all(|x| x.region != "capital" || x.spend_krw == 0.0)
    );
    // The ledger stays conserved with the funds' money in it.
    let l = &p.ledger;
    let out = l.received_by_startups_krw + l.outside_sample_krw;
    assert!((l.invested_krw - out).abs() <= 1e-9 * out, "{l:?}");
    assert!(l.invested_krw <= l.committed_krw, "{l:?}");
    assert!(l.committed_krw > b.ledger.committed_krw + 3.5e12 * 1.5 * 0.99);
}

/// log_scale by firm id at the 2026 year end (alive firms), and the ids with `bit` set.
fn snapshot(scn: &Scenario, seed: u64, bit: u16) -> (HashMap<u64, f32>, Vec<u64>) {
    let mut scale = HashMap::new();
    let mut flagged = Vec::new();
    simulate(scn, seed, |year, w: &World| -> Result<(), ()> {
        if year == 2026 {
            for i in 0..w.firms.len() {
                if w.firms.status[i] != status::DEAD {
                    scale.insert(w.firms.id[i], w.firms.log_scale[i]);
                    if w.firms.flags[i] & bit != 0 {
                        flagged.push(w.firms.id[i]);
                    }
                }
            }
        }
        Ok(())
    })
    .unwrap();
    (scale, flagged)
}

#[test]
fn smart_factory_adopters_gain_productivity_against_their_own_baseline_path() {
    // Exaggerated count (20,000 in 2026) so the sample holds ~100 adopters at scale 0.005.
    let sf = r#"
[policy.smart_factories.advanced_ai]
count_by_year = { 2026 = 20000 }
cost_krw_per_firm = 150e6
productivity_gain = 0.10
tech_gain = 0.3
sectors = ["traditional_mfg", "future_industry", "k_beauty"]
min_employees = 10
"#;
    let sets = ["scale=0.005", "end_year=2026"];
    let (b, _) = snapshot(&base(&sets), 8, 0);
    let (p, adopters) = snapshot(&with_policy(sf, &sets), 8, flag::SMART_FACTORY);
    let diffs: Vec<f64> = adopters
        .iter()
        .filter_map(|id| Some(f64::from(p[id] - *b.get(id)?)))
        .collect();
    assert!(diffs.len() >= 50, "only {} adopters matched", diffs.len());
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let expected = 1.1f64.ln();
    eprintln!(
        "smart-factory adopters: {} matched, mean log-productivity gain {mean:.4} (submodel: {expected:.4})",
        diffs.len()
    );
    // ODD 7.10.5: a one-off ln(1.1) on log_scale; shocks after it are the same draws, scaled
    // by a slightly smaller size-volatility factor, so the gap stays close to ln(1.1).
    assert!((0.8 * expected..1.2 * expected).contains(&mean), "{mean}");
    assert!(diffs.iter().filter(|&&d| d > 0.0).count() as f64 > 0.9 * diffs.len() as f64);
}

#[test]
fn tips_regional_share_raises_tips_funded_non_capital_startups() {
    let tips = |share: f64, relief: f64| {
        format!(
            r#"
[investors.tips]
annual_commitment_krw = 0.16e12
[policy.tips]
selections_by_year = {{ 2026 = 800, 2027 = 800, 2028 = 800, 2029 = 800, 2030 = 800 }}
match_krw_by_year = {{ 2026 = 800e6, 2027 = 800e6, 2028 = 800e6, 2029 = 800e6, 2030 = 800e6 }}
regional_share_by_year = {{ 2026 = {share}, 2027 = {share}, 2028 = {share}, 2029 = {share}, 2030 = {share} }}
regional_ticket_relief = {relief}
operator_kind = "tips"
"#
        )
    };
    let sets = ["scale=0.005"];
    let count = |r: &RunResult| {
        let rows: Vec<_> = program_rows(r, Program::Tips).collect();
        let non_capital: f64 = rows
            .iter()
            .filter(|x| x.region != "capital")
            .map(|x| x.startups_treated)
            .sum();
        let all: f64 = rows.iter().map(|x| x.startups_treated).sum();
        (non_capital, all)
    };
    // The reserved share alone (no ticket relief): 0 -> 0.5.
    let (n0, a0) = count(&simulate_plain(&with_policy(&tips(0.0, 0.0), &sets), 9));
    let (n5, a5) = count(&simulate_plain(&with_policy(&tips(0.5, 0.0), &sets), 9));
    // With the relaxed investment requirement too (the work plan).
    let (nr, ar) = count(&simulate_plain(&with_policy(&tips(0.5, 0.5), &sets), 9));
    eprintln!(
        "TIPS selections 2026-30 outside the capital: share 0 -> {n0:.0} of {a0:.0}; share 0.5 -> {n5:.0} of {a5:.0}; share 0.5 + relief 0.5 -> {nr:.0} of {ar:.0}"
    );
    assert!(n5 > 1.05 * n0, "{n0} -> {n5}");
    // Capital-region startups get at most (1 - share) of the selections (ODD 7.10.4); the
    // reserved half is not always filled (selections are "up to 50%" regional).
    assert!(
        a5 - n5 <= 0.5 * 5.0 * 800.0 + 1e-9,
        "{} capital selections",
        a5 - n5
    );
    assert!(
        a0 - n0 > 0.5 * 5.0 * 800.0,
        "the reserve would not bind: {}",
        a0 - n0
    );
    assert!(nr >= n5, "relief lowers regional selections: {n5} -> {nr}");
    assert!(a5 <= 5.0 * 800.0);
}

#[test]
fn jump_up_raises_mid_sized_firms() {
    // Exaggerated count so the sample holds enough supported firms at scale 0.005.
    let ju = r#"
[policy.jump_up]
count_by_year = { 2026 = 6000, 2027 = 6000, 2028 = 6000 }
cost_krw_per_firm = 1.0e9
productivity_gain = 0.25
tech_gain = 0.2
sectors = ["traditional_mfg", "future_industry", "k_beauty", "services"]
min_employees = 50
rank_noise_sd = 0.5
"#;
    let sets = ["scale=0.005"];
    let b = simulate_plain(&base(&sets), 10);
    let p = simulate_plain(&with_policy(ju, &sets), 10);
    let mid = |r: &RunResult| r.national.last().unwrap().totals.mid_sized_firms;
    eprintln!(
        "mid-sized firms 2030: baseline {:.0}, Jump-Up {:.0}",
        mid(&b),
        mid(&p)
    );
    assert!(mid(&p) > mid(&b) + 200.0, "{} vs {}", mid(&p), mid(&b));
}

#[test]
fn a_supply_chain_shock_lowers_the_shocked_sectors_sales() {
    let sector_sales = |scn: &Scenario| {
        let mut out = HashMap::new();
        simulate(scn, 12, |year, w: &World| -> Result<(), ()> {
            let mut s = [0.0f64; N_SECTORS];
            for i in 0..w.firms.len() {
                s[usize::from(w.firms.sector[i])] += f64::from(w.firms.sales_year_krw[i]);
            }
            out.insert(year, s);
            Ok(())
        })
        .unwrap();
        out
    };
    // The shock's own rule without the production network; with it (below) the shocked
    // firms also buy less from their suppliers, many of them manufacturers.
    let sets = ["scale=0.005", "end_year=2027", "network.enabled=false"];
    let b = sector_sales(&base(&sets));
    let p = sector_sales(&load(&scenario_path("supply-chain-shock"), &sets));
    let mfg = 0;
    assert_eq!(SECTOR_IDS[mfg], "traditional_mfg");
    let r25 = p[&2025][mfg] / b[&2025][mfg];
    let r26 = p[&2026][mfg] / b[&2026][mfg];
    let r27 = p[&2027][mfg] / b[&2027][mfg];
    eprintln!(
        "traditional_mfg sales, shock / baseline: 2025 {r25:.4}, 2026 {r26:.4}, 2027 {r27:.4}"
    );
    assert_eq!(r25, 1.0);
    // ODD 7.10.11: sales x (1 - 0.15)(1 - 0.05) = 0.81 while the shock lasts (6 of 12 months
    // in 2026 and in 2027), less what understaffing and exits add.
    assert!((0.85..0.95).contains(&r26), "{r26}");
    assert!((0.85..0.95).contains(&r27), "{r27}");
    // Services are not shocked: within 2%.
    let s26 = p[&2026][3] / b[&2026][3];
    assert!((0.98..1.02).contains(&s26), "{s26}");
    // The network carries the shock upstream: manufacturing falls further in 2027.
    let sets = ["scale=0.005", "end_year=2027"];
    let b = sector_sales(&base(&sets));
    let p = sector_sales(&load(&scenario_path("supply-chain-shock"), &sets));
    let n27 = p[&2027][mfg] / b[&2027][mfg];
    eprintln!("with the network: 2027 {n27:.4}");
    assert!(
        n27 < r27 - 0.002,
        "with the network {n27:.4}, without {r27:.4}"
    );
}

#[test]
fn the_budget_cap_binds_pro_rata() {
    let sets = ["scale=0.002"];
    let plan = scenario_path("work-plan-2026");
    let free = simulate_plain(&load(&plan, &sets), 13);
    let cap = 1.0e12;
    let capped_scn = load(
        &plan,
        &["scale=0.002", "policy.budget_cap_krw_per_year=1.0e12"],
    );
    let capped = simulate_plain(&capped_scn, 13);
    let by_year = |r: &RunResult, y: i32| -> f64 {
        r.programs
            .iter()
            .filter(|x| x.year == y)
            .map(|x| x.spend_krw)
            .sum()
    };
    for y in 2026..=2030 {
        let (f, c) = (by_year(&free, y), by_year(&capped, y));
        eprintln!(
            "{y}: uncapped spend {:.3} trn, capped {:.3} trn",
            f / 1e12,
            c / 1e12
        );
        assert!(c <= cap * (1.0 + 1e-9), "{y}: {c} > cap");
        assert!(c < f, "{y}: the cap does not bind ({c} vs {f})");
    }
}

#[test]
fn spending_never_exceeds_a_programmes_budget() {
    let scn = load(&scenario_path("work-plan-2026"), &["scale=0.002"]);
    let r = simulate_plain(&scn, 14);
    // The plan starts in 2026: 2025 is the baseline's year, draw for draw.
    let b = simulate_plain(&base(&["scale=0.002"]), 14);
    let y25 = |x: &RunResult| -> Vec<_> {
        x.regions
            .iter()
            .filter(|r| r.year == 2025)
            .cloned()
            .collect()
    };
    assert_eq!(y25(&r), y25(&b));
    assert!(
        r.programs
            .iter()
            .filter(|x| x.year == 2025)
            .all(|x| x.spend_krw == 0.0)
    );
    let mut checked = 0;
    for p in Program::ALL {
        for y in 0..6usize {
            let year = 2025 + y as i32;
            let spend: f64 = program_rows(&r, p)
                .filter(|x| x.year == year)
                .map(|x| x.spend_krw)
                .sum();
            let budget = scn.policy.planned_krw(p, y);
            assert!(
                spend <= budget * (1.0 + 1e-9),
                "{} {year}: {spend} > {budget}",
                p.name()
            );
            assert!(spend >= 0.0);
            checked += 1;
        }
    }
    assert_eq!(checked, 13 * 6);
    // Smart factories 2026: 430 + 585 + 270 planned at 150/100/150 M KRW.
    assert_eq!(
        scn.policy.planned_krw(Program::SmartFactoryAdvancedAi, 1),
        430.0 * 150e6
    );
    let total: f64 = (0..6)
        .map(|y| {
            scn.policy
                .smart_factories
                .iter()
                .flatten()
                .map(|s| s.count[y])
                .sum::<f64>()
        })
        .sum();
    assert_eq!(total, 12_000.0);
}

#[test]
fn every_scenario_file_loads_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        // Uncertainty tables are not scenarios (tests/it/attribution.rs checks them).
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("uncertainty")
        })
        .collect();
    names.sort();
    let stems: Vec<String> = names
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "baseline",
        "work-plan-2026",
        "key-industries-2023",
        "ai-supply-chains-2025",
        "supply-chain-shock",
    ] {
        assert!(
            stems.iter().any(|s| s == want),
            "scenarios/{want}.toml missing"
        );
    }
    for path in &names {
        let scn = load(path, &["scale=0.002"]);
        let r = simulate_plain(&scn, 1);
        assert_eq!(r.national.len(), 6, "{}", path.display());
        let active = scn.policy.active_programs().iter().filter(|&&a| a).count();
        assert_eq!(r.programs.len(), active * 6 * 15, "{}", path.display());
        // `network` is the baseline under another name (kept for existing commands), not a
        // policy.
        if scn.name != "baseline" && scn.name != "network" {
            assert!(scn.policy.is_active(), "{} has no levers", scn.name);
        }
    }
}

#[test]
fn neutral_levers_leave_the_baseline_untouched() {
    // A shock of size 0 switches the policy code on without changing anything: every
    // modifier is exactly neutral, so the run is identical to the baseline.
    let sets = ["scale=0.003"];
    let zero = r#"
[[policy.shocks]]
kind = "demand"
start_year = 2026
start_month = 1
months = 12
size = 0.0
"#;
    let scn = with_policy(zero, &sets);
    assert!(scn.policy.is_active());
    let a = simulate_plain(&base(&sets), 15);
    let b = simulate_plain(&scn, 15);
    assert_eq!(a.regions, b.regions);
    assert!(b.programs.is_empty());
    // An empty [policy] section is no policy at all.
    assert!(!with_policy("[policy]", &sets).policy.is_active());
}

#[test]
fn key_industries_raise_designated_productivity_and_pay_by_performance() {
    let sets = ["scale=0.003"];
    let b = simulate_plain(&base(&sets), 16);
    let scn = load(&scenario_path("key-industries-2023"), &sets);
    let p = simulate_plain(&scn, 16);
    let nc: Vec<usize> = (1..15).collect();
    let (sb, sp) = (
        sum_regions(&b, &nc, |x| x.sales_krw),
        sum_regions(&p, &nc, |x| x.sales_krw),
    );
    eprintln!(
        "non-capital sales 2026-30: key industries / baseline = {:.4}",
        sp / sb
    );
    assert!(sp > sb, "{sp} vs {sb}");
    // Incentives go to designated regions only and differ by performance after the first year.
    let rows: Vec<_> = program_rows(&p, Program::KeyIndustries)
        .filter(|x| x.year == 2027)
        .collect();
    assert!(
        rows.iter()
            .any(|x| x.region == "capital" && x.spend_krw == 0.0)
    );
    let spends: Vec<f64> = rows
        .iter()
        .filter(|x| x.region != "capital")
        .map(|x| x.spend_krw)
        .collect();
    let (lo, hi) = spends
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
    assert!(
        hi > lo * 1.01,
        "incentives do not respond to performance: {spends:?}"
    );
    let total: f64 = spends.iter().sum();
    assert!((total - 0.3e12).abs() < 1e-6 * 0.3e12);
}

#[test]
fn ai_supply_chains_treat_regional_future_industry_smes() {
    let scn = load(&scenario_path("ai-supply-chains-2025"), &["scale=0.002"]);
    let r = simulate_plain(&scn, 17);
    let rows: Vec<_> = program_rows(&r, Program::AiSupplyChains).collect();
    let treated: f64 = rows.iter().map(|x| x.firms_treated).sum();
    eprintln!("AI supply chains: {treated:.0} SMEs treated 2026-30 (target ~30,000)");
    assert!((25_000.0..=30_000.0).contains(&treated), "{treated}");
    assert!(
        rows.iter()
            .all(|x| x.region != "capital" || x.firms_treated == 0.0)
    );
}

#[test]
fn local_entrepreneurs_are_mostly_regional() {
    let scn = load(&scenario_path("work-plan-2026"), &["scale=0.01"]);
    let r = simulate_plain(&scn, 18);
    let rows: Vec<_> = program_rows(&r, Program::LocalEntrepreneurs).collect();
    let all: f64 = rows.iter().map(|x| x.startups_treated).sum();
    let regional: f64 = rows
        .iter()
        .filter(|x| x.region != REGION_IDS[CAPITAL])
        .map(|x| x.startups_treated)
        .sum();
    eprintln!("local entrepreneurs 2026-30: {all:.0}, of which {regional:.0} outside the capital");
    assert!((8_000.0..=10_000.0).contains(&all), "{all}");
    assert!(regional / all > 0.8, "{regional} of {all}");
}

#[test]
fn impossible_schedules_are_rejected_with_one_line_each() {
    let hub = |regions: &str, year: &str| {
        format!(
            "[policy.hub_cities]\nregions_by_year = {{ {year} = [{regions}] }}\ncost_krw_per_hub_year = 50e9\nstartup_birth_boost = 0.3\nstartup_quality_boost = 0.1\ninvestor_distance_discount = 0.3\namenity_15_39_boost = 0.1\n"
        )
    };
    let e = load_err(&hub("\"busan\", \"seoul\"", "2026"));
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("policy.hub_cities.regions_by_year.2026"), "{e}");
    assert!(
        e.contains("unknown region `seoul`; allowed: capital, busan"),
        "{e}"
    );

    let e = load_err(&hub("\"busan\"", "2031"));
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("year 2031 is outside the simulated horizon; allowed: 2025 to 2030"),
        "{e}"
    );

    let e = load_err(
        "[policy.growth_fund]\nbudget_krw_by_year = { 2026 = -1e12 }\nfunds_per_region = 2\nlocal_share = 1.5\nprivate_match_ratio = 0.5\ninvestor_kind = \"pe\"\n",
    );
    assert_eq!(e.lines().count(), 3, "{e}");
    assert!(
        e.contains("policy.growth_fund.budget_krw_by_year.2026`: -1000000000000 is out of range; allowed: a number >= 0"),
        "{e}"
    );
    assert!(
        e.contains("policy.growth_fund.local_share`: 1.5 is out of range"),
        "{e}"
    );
    assert!(
        e.contains("unknown investor kind `pe`; allowed: angel, tips, vc"),
        "{e}"
    );

    let e = load_err(
        "[[policy.shocks]]\nkind = \"meteor\"\nsectors = [\"steel\"]\nstart_year = 2024\nstart_month = 13\nmonths = 6\nsize = 0.2\n",
    );
    assert_eq!(e.lines().count(), 4, "{e}");
    assert!(e.contains("unknown shock kind `meteor`"), "{e}");
    assert!(e.contains("unknown sector `steel`"), "{e}");
    assert!(e.contains("year 2024 is outside"), "{e}");
    assert!(e.contains("start_month"), "{e}");

    let e = load_err("[policy.tips]\nselections = 800\n");
    assert!(e.contains("policy.tips.selections"), "{e}");

    // The CLI: exit code 2 and the same line, for a file value and a --set override.
    let plan = scenario_path("work-plan-2026");
    let o = regsim(
        &[
            "run",
            plan.to_str().unwrap(),
            "--no-charts",
            "--set",
            "policy.growth_fund.budget_krw_by_year.2026=-1",
            "--out",
            "/tmp/regsim-levers-never",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(
        e.contains("policy.growth_fund.budget_krw_by_year.2026`: -1 is out of range"),
        "{e}"
    );
    let o = regsim(
        &[
            "run",
            plan.to_str().unwrap(),
            "--no-charts",
            "--set",
            "policy.tips.selections_by_year.2035=800",
            "--out",
            "/tmp/regsim-levers-never",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("year 2035 is outside the simulated horizon"),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new("/tmp/regsim-levers-never/regions.csv").exists());
}

#[test]
fn programs_csv_is_written_and_listed_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let plan = scenario_path("work-plan-2026");
    let o = regsim(
        &[
            "run",
            plan.to_str().unwrap(),
            "--scale",
            "0.002",
            "--no-charts",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(out.join("programs.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("year,program,region,spend_krw,firms_treated,startups_treated")
    );
    // 11 programmes in the work plan (no key industries or AI supply chains) x 15 regions.
    assert_eq!(lines.count(), 6 * 11 * 15);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "programs.csv")
    );
    // The baseline has no programmes, hence no programs.csv.
    let out2 = dir.path().join("base");
    let o = regsim(
        &[
            "run",
            baseline_path().to_str().unwrap(),
            "--scale",
            "0.002",
            "--no-charts",
            "--out",
            out2.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out2.join("programs.csv").exists());
}

#[test]
fn one_stop_support_speeds_startups_up_and_parks_bring_angel_money() {
    let one_stop = r#"
[policy.one_stop]
cost_krw_by_year = { 2026 = 30e9, 2027 = 30e9, 2028 = 30e9, 2029 = 30e9, 2030 = 30e9 }
centres_by_region = { capital = 3, busan = 1, daegu = 1, gwangju = 1, daejeon = 1, ulsan = 1, sejong = 1, gangwon = 1, chungbuk = 1, chungnam = 1, jeonbuk = 1, jeonnam = 1, gyeongbuk = 1, gyeongnam = 1, jeju = 1 }
advisors = 1600
startups_per_advisor = 10
progress_boost_per_year = 0.05
[policy.startup_parks]
regions_by_year = { 2026 = ["busan", "daegu", "gwangju", "daejeon", "ulsan", "sejong", "gangwon", "chungbuk", "chungnam", "jeonbuk", "jeonnam", "gyeongbuk", "gyeongnam", "jeju"] }
cost_krw_per_region_year = 5e9
angel_krw_per_region_year = 5e9
startup_birth_boost = 0.05
angel_kind = "angel"
"#;
    let sets = ["scale=0.01"];
    let b = simulate_plain(&base(&sets), 19);
    let p = simulate_plain(&with_policy(one_stop, &sets), 19);
    let all: Vec<usize> = (0..15).collect();
    let (gb, gp) = (
        sum_regions(&b, &all, |x| x.startup_graduations),
        sum_regions(&p, &all, |x| x.startup_graduations),
    );
    // Angel money paid out by non-capital angels, in and outside the agent sample: the
    // in-sample share (`other_investment_krw`) is a handful of weighted-up deals at this scale,
    // too noisy for one seed.
    let (ab, ap) = (
        noncapital_angel_invested(&base(&sets), 19),
        noncapital_angel_invested(&with_policy(one_stop, &sets), 19),
    );
    eprintln!(
        "graduations 2026-30: baseline {gb:.0}, one-stop {gp:.0}; non-capital angels invested {:.1} -> {:.1} bn",
        ab / 1e9,
        ap / 1e9
    );
    assert!(gp > 1.03 * gb, "{gb} -> {gp}");
    // The parks add 5 bn KRW a year in each of 14 regions for 5 years (350 bn); most of it is
    // invested by 2030.
    assert!(ap - ab > 0.2 * 350e9, "{ab} -> {ap}");
    // Every startup in the 15 covered regions is served at some point.
    let served: f64 = program_rows(&p, Program::OneStop)
        .map(|x| x.startups_treated)
        .sum();
    assert!(served > 0.0);
}
