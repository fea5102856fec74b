//! The same scenario and seed give byte-identical tables at any thread count, and two
//! scenarios run with the same seed see the same draws until their paths diverge.

use super::{baseline, baseline_path, regsim, stderr};

fn run_tables(threads: Option<&str>, env: &[(&str, &str)]) -> Vec<Vec<u8>> {
    run_scenario_tables(&baseline_path(), threads, env, &[])
}

fn run_scenario_tables(
    scn: &std::path::Path,
    threads: Option<&str>,
    env: &[(&str, &str)],
    extra: &[&str],
) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec![
        "run",
        scn.to_str().unwrap(),
        "--scale",
        "0.003",
        "--seed",
        "7",
        "--firm-snapshots",
        "--no-charts",
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(t) = threads {
        args.extend(["--threads", t]);
    }
    let o = regsim(&args, env);
    assert!(o.status.success(), "{}", stderr(&o));
    [extra, &["regions.csv", "national.csv", "firms.csv"]]
        .concat()
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect()
}

#[test]
fn policy_outputs_are_byte_identical_across_thread_counts() {
    let plan =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/work-plan-2026.toml");
    let one = run_scenario_tables(&plan, Some("1"), &[], &["programs.csv"]);
    let two = run_scenario_tables(&plan, Some("2"), &[], &["programs.csv"]);
    for (i, name) in ["programs.csv", "regions.csv", "national.csv", "firms.csv"]
        .iter()
        .enumerate()
    {
        assert!(one[i].len() > 1000, "{name} is suspiciously small");
        assert!(one[i] == two[i], "{name} differs between 1 and 2 threads");
    }
    // The venture market's columns (money by source, fund exits) are among those compared,
    // and the growth fund's public money is in them.
    let regions = String::from_utf8_lossy(&one[1]);
    let header: Vec<&str> = regions.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).expect(name);
    let (public, exits) = (col("vc_public_krw"), col("fund_exits"));
    let sum = |c: usize| -> f64 {
        regions
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(c).unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert!(sum(public) > 0.0 && sum(exits) > 0.0);
    // Flags reach the firm snapshots.
    let firms = String::from_utf8_lossy(&one[3]);
    assert!(
        firms.contains("smart_factory"),
        "no smart-factory flags in firms.csv"
    );
}

#[test]
fn outputs_are_byte_identical_across_thread_counts() {
    let one = run_tables(Some("1"), &[]);
    let two = run_tables(Some("2"), &[]);
    let unset = run_tables(None, &[]);
    let env3 = run_tables(None, &[("RAYON_NUM_THREADS", "3")]);
    for (i, name) in ["regions.csv", "national.csv", "firms.csv"]
        .iter()
        .enumerate()
    {
        assert!(one[i].len() > 1000, "{name} is suspiciously small");
        assert!(one[i] == two[i], "{name} differs between 1 and 2 threads");
        assert!(
            one[i] == unset[i],
            "{name} differs with RAYON_NUM_THREADS unset"
        );
        assert!(one[i] == env3[i], "{name} differs with RAYON_NUM_THREADS=3");
    }
}

#[test]
fn different_seeds_give_different_paths() {
    let scn = baseline(&["scale=0.003"]);
    let a = regsim::sim::simulate_plain(&scn, 1);
    let b = regsim::sim::simulate_plain(&scn, 2);
    assert_ne!(a.regions, b.regions);
}

#[test]
fn common_random_numbers_until_paths_diverge() {
    // A change that acts only from the first December (migration) leaves the first year
    // untouched; a shorter horizon leaves every shared year untouched.
    let base = baseline(&["scale=0.003"]);
    let migr = baseline(&["scale=0.003", "migration.move_rate_15_39=0.2"]);
    let short = baseline(&["scale=0.003", "end_year=2026"]);
    let a = regsim::sim::simulate_plain(&base, 11);
    let b = regsim::sim::simulate_plain(&migr, 11);
    let c = regsim::sim::simulate_plain(&short, 11);
    let year = |r: &regsim::sim::RunResult, y: i32| {
        r.regions
            .iter()
            .filter(|x| x.year == y)
            .cloned()
            .collect::<Vec<_>>()
    };
    // Same firms, sales and investment in 2025; populations differ after December's moves.
    let (a25, b25) = (year(&a, 2025), year(&b, 2025));
    for (x, y) in a25.iter().zip(&b25) {
        assert_eq!(x.firms, y.firms);
        assert_eq!(x.sales_krw, y.sales_krw);
        assert_eq!(x.vc_investment_krw, y.vc_investment_krw);
    }
    assert_ne!(a25[0].population, b25[0].population);
    assert_eq!(year(&a, 2025), year(&c, 2025));
    assert_eq!(year(&a, 2026), year(&c, 2026));
    assert_eq!(c.national.len(), 2);
}

#[test]
fn a_birth_keeps_its_id_and_shocks_when_other_births_change() {
    // Different births (entry responds more strongly to the markets' room; the spin-up is
    // the same): the firms both runs create (same month, region and order) share ids, and
    // scale shocks depend only on id, month and age once volatility does not depend on
    // headcount (which the labour market changes), so the productivity paths of those that
    // entered the same sector agree.
    use std::collections::HashMap;
    let snapshot = |sets: &[&str]| {
        let scn = baseline(sets);
        let mut prod = HashMap::new();
        regsim::sim::simulate(&scn, 21, |year, w| -> Result<(), ()> {
            if year == 2025 {
                for i in 0..w.firms.len() {
                    let id = w.firms.id[i];
                    // Entrants of the reported year only: graduates' size depends on their
                    // funding history; spin-up entrants are the same in both runs.
                    let entrant = (1 << 40..regsim::model::SPINUP_ID_BIT).contains(&id);
                    if w.firms.status[i] != regsim::model::status::DEAD && entrant {
                        prod.insert(w.firms.id[i], (w.firms.sector[i], w.firms.log_scale[i]));
                    }
                }
            }
            Ok(())
        })
        .unwrap();
        prod
    };
    let base = [
        "scale=0.003",
        "end_year=2025",
        "firms.size_volatility_exponent=0",
    ];
    let a = snapshot(&base);
    let b = snapshot(&[&base[..], &["firms.entry_profit_elasticity=40"]].concat());
    let shared: Vec<_> = a
        .keys()
        .filter(|id| b.get(id).is_some_and(|x| x.0 == a[id].0))
        .collect();
    assert!(shared.len() > 100, "only {} shared entrants", shared.len());
    assert_ne!(b.len(), a.len());
    for id in shared {
        assert_eq!(a[id], b[id], "entrant {id:x} diverged");
    }
}
