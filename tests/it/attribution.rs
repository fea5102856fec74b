//! `compare` programme attribution and `compare --uncertainty`: Shapley values add up to the
//! package effect, a programme's stand-alone effect equals a separate comparison of a scenario
//! holding that programme alone (same seeds), and parameter samples give P(target) over
//! parameter and Monte Carlo uncertainty; bad inputs get one line and exit 2.

use super::{baseline_path, regsim, stderr};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const TINY: [&str; 2] = ["--scale", "0.001"];

/// Three programmes of the work plan (growth fund, smart factories, one-stop) as one package,
/// and the growth fund alone.
fn package(dir: &Path) -> (PathBuf, PathBuf) {
    let wp = fs::read_to_string(baseline_path().with_file_name("work-plan-2026.toml")).unwrap();
    let table = |name: &str| -> String {
        let start = wp.find(&format!("[policy.{name}")).unwrap();
        let rest = &wp[start..];
        let end = rest[1..]
            .find("\n[policy.")
            .map(|e| e + 1)
            .filter(|&e| !rest[e..].starts_with(&format!("\n[policy.{name}")))
            .unwrap_or(rest.len());
        rest[..end].to_string()
    };
    let sf: String = ["advanced_ai", "sector_specialised", "collaborative"]
        .iter()
        .map(|t| table(&format!("smart_factories.{t}")))
        .collect::<Vec<_>>()
        .join("\n");
    let head = |name: &str| {
        format!(
            "extends = {:?}\nname = {name:?}\n",
            baseline_path().display().to_string()
        )
    };
    let three = dir.join("three.toml");
    fs::write(
        &three,
        format!(
            "{}{}\n{sf}\n{}\n",
            head("three"),
            table("growth_fund"),
            table("one_stop")
        ),
    )
    .unwrap();
    let alone = dir.join("fund.toml");
    fs::write(
        &alone,
        format!("{}{}\n", head("fund"), table("growth_fund")),
    )
    .unwrap();
    (three, alone)
}

fn compare(base: &Path, policy: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "compare",
        base.to_str().unwrap(),
        policy.to_str().unwrap(),
        "--replicates",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ];
    args.extend(TINY);
    args.extend(extra);
    regsim(&args, &[])
}

fn json(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("compare.json")).unwrap()).unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

#[test]
fn exact_shapley_adds_up_and_stand_alone_matches_a_separate_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let (three, alone) = package(dir.path());
    let base = baseline_path();
    let out = dir.path().join("three");
    let o = compare(&base, &three, &out, &["--attribution", "shapley"]);
    ok(&o);
    assert!(
        stderr(&o).contains("shapley-exact over 3 programmes: 6 extra runs"),
        "{}",
        stderr(&o)
    );
    let a = &json(&out)["attribution"];
    assert_eq!(a["mode"], "shapley-exact");
    assert_eq!(
        a["programmes"],
        serde_json::json!(["growth_fund", "smart_factories", "one_stop"])
    );
    for outcome in ["jobs", "value_added_krw", "capital_share_employment_pp"] {
        let package = a["package_effect"][outcome]["mean"].as_f64().unwrap();
        let residual = &a["shapley_sum_minus_package_effect"][outcome];
        let scale = package.abs().max(1.0);
        for k in ["mean", "ci95_low", "ci95_high"] {
            let r = residual[k].as_f64().unwrap();
            assert!(
                r.abs() <= 1e-9 * scale,
                "{outcome}: Shapley sum - package {k} = {r}"
            );
        }
        assert!(package != 0.0, "{outcome}: the package has no effect");
    }
    // The package effect is the comparison's own national difference.
    let jobs = a["package_effect"]["jobs"]["mean"].as_f64().unwrap();
    let csv = fs::read_to_string(out.join("compare.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("employment,national,2030,"))
        .unwrap();
    let diff: f64 = row.split(',').nth(6).unwrap().parse().unwrap();
    assert!(
        (diff - jobs).abs() <= 1e-9 * jobs.abs().max(1.0),
        "{diff} vs {jobs}"
    );
    // attribution.csv has a row per programme, outcome and measure.
    let table = fs::read_to_string(out.join("attribution.csv")).unwrap();
    assert!(table.starts_with("programme,outcome,measure,n,mean,ci95_low,ci95_high\n"));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("one_stop,jobs,shapley_per_bn_krw,3,"))
    );

    // Resume after a lost pair recomputes its coalitions: byte-identical tables.
    let before = fs::read(out.join("attribution.csv")).unwrap();
    let json_before = fs::read(out.join("compare.json")).unwrap();
    fs::remove_file(out.join("pairs/pair-000001.csv")).unwrap();
    ok(&compare(
        &base,
        &three,
        &out,
        &["--attribution", "shapley", "--resume"],
    ));
    assert_eq!(fs::read(out.join("attribution.csv")).unwrap(), before);
    assert_eq!(fs::read(out.join("compare.json")).unwrap(), json_before);

    // The growth fund alone, compared separately on the same seeds: the same effect.
    let out_alone = dir.path().join("alone");
    let o = compare(&base, &alone, &out_alone, &[]);
    ok(&o);
    let single = json(&out_alone);
    assert!(
        single["attribution"].is_null(),
        "one programme: nothing to split"
    );
    let fund = a["by_programme"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["programme"] == "growth_fund")
        .unwrap();
    let standalone = fund["jobs"]["standalone_per_bn_krw"]["mean"]
        .as_f64()
        .unwrap();
    let national = single["per_bn_krw"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "national")
        .unwrap()["jobs_mean"]
        .as_f64()
        .unwrap();
    assert!(
        (standalone - national).abs() <= 1e-9 * national.abs().max(1.0),
        "stand-alone {standalone} vs separate compare {national}"
    );
    // Programmes in the same regions no longer share one figure.
    let per_bn: Vec<f64> = a["by_programme"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["jobs"]["standalone_per_bn_krw"]["mean"].as_f64().unwrap())
        .collect();
    assert!(per_bn[0] != per_bn[2], "{per_bn:?}");
}

#[test]
fn bad_attribution_and_uncertainty_inputs_get_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (three, _) = package(dir.path());
    let base = baseline_path();
    let out = dir.path().join("x");
    let o = compare(&base, &three, &out, &["--attribution", "all"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--attribution `all`: allowed: auto, none, oat, shapley"));
    let bad = dir.path().join("u.toml");
    fs::write(
        &bad,
        "[uncertainty]\n\"firms.exit_loss_months\" = { dist = \"gamma\", low = 3, high = 9 }\n",
    )
    .unwrap();
    let u = bad.to_str().unwrap();
    let o = compare(&base, &three, &out, &["--uncertainty", u, "--samples", "3"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("u.toml: firms.exit_loss_months.dist: `gamma`; allowed: uniform, normal, lognormal, triangular"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    fs::write(
        &bad,
        "[uncertainty]\n\"firms.no_such_key\" = { dist = \"uniform\", low = 3, high = 9 }\n",
    )
    .unwrap();
    let o = compare(&base, &three, &out, &["--uncertainty", u, "--samples", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("firms.no_such_key: not a value of either scenario"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("compare.json").exists(), "no output on bad input");
}

#[test]
fn uncertainty_samples_are_shared_and_rank_the_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let (three, _) = package(dir.path());
    let table = dir.path().join("u.toml");
    fs::write(
        &table,
        "[uncertainty]\ninflation_per_year = { dist = \"uniform\", low = 0.0, high = 0.04 }\n\
         [uncertainty.labour]\nwage_growth_per_year = { dist = \"normal\", mean = 0.01, sd = 0.002, low = 0.005, high = 0.015 }\n\
         [uncertainty.policy.growth_fund]\nlocal_share = { dist = \"uniform\", low = 0.4, high = 0.8 }\n",
    )
    .unwrap();
    let out = dir.path().join("u");
    let args = ["--uncertainty", table.to_str().unwrap(), "--samples", "6"];
    let o = compare(&baseline_path(), &three, &out, &args);
    ok(&o);
    let j = json(&out);
    assert_eq!(j["replicates"], 18, "6 samples x 3 seeds");
    assert!(j["attribution"].is_null());
    let u = &j["uncertainty"];
    assert_eq!(u["samples"], 6);
    let p = u["p_reach_target_policy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    let params = u["parameters_by_influence"].as_array().unwrap();
    assert_eq!(params.len(), 3);
    // Inflation moves 2030 (nominal) sales far more than the other two (and raises them).
    assert_eq!(params[0]["key"], "inflation_per_year", "{params:?}");
    assert!(params[0]["spearman_policy_sales"].as_f64().unwrap() > 0.8);
    // The sampled values are in the definition, so --resume checks them.
    let def: Value =
        serde_json::from_str(&fs::read_to_string(out.join("pairs.json")).unwrap()).unwrap();
    assert_eq!(def["uncertainty"]["values"].as_array().unwrap().len(), 6);
    // Distance to target next to P(target).
    let pol = &j["policy"];
    let short = pol["shortfall_trn_krw"].as_f64().unwrap();
    let sales = pol["noncapital_sme_sales_2030_trn_krw_mean"]
        .as_f64()
        .unwrap();
    assert!(
        (short - (1432.0 - sales)).abs() < 1e-6,
        "{short} vs {sales}"
    );
    assert!(
        pol["growth_per_year_needed"].as_f64().unwrap()
            > pol["growth_per_year_achieved"].as_f64().unwrap()
    );
}

/// Every range of `scenarios/uncertainty-default.toml` is a valid value of a scenario that has
/// the key, at both ends, and every key is in some shipped scenario.
#[test]
fn the_default_uncertainty_ranges_are_valid_scenario_values() {
    use regsim::scenario::Scenario;
    use regsim::scenario::uncertainty::Uncertainty;
    let dir = baseline_path().parent().unwrap().to_path_buf();
    let table = Uncertainty::load(&dir.join("uncertainty-default.toml")).unwrap();
    assert!(table.params.len() >= 80, "{} keys", table.params.len());
    assert!(
        table.params.iter().all(|p| !p.why.is_empty()),
        "every range has a reason"
    );
    let files = [
        "baseline",
        "work-plan-2026",
        "key-industries-2023",
        "ai-supply-chains-2025",
    ];
    let holder = |key: &str| -> PathBuf {
        let name = match key.split('.').nth(1) {
            _ if !key.starts_with("policy.") => files[0],
            Some("key_industries") => files[2],
            Some("ai_supply_chains") => files[3],
            _ => files[1],
        };
        dir.join(format!("{name}.toml"))
    };
    for p in &table.params {
        let (low, high) = p.dist.bounds();
        let ends = [low, high].map(|x| {
            if x.is_finite() {
                x
            } else {
                p.dist.quantile(0.5)
            }
        });
        for x in ends {
            let sets = vec!["scale=0.001".to_string(), format!("{}={x}", p.key)];
            Scenario::load(&holder(&p.key), &sets)
                .unwrap_or_else(|e| panic!("{} = {x}: {e}", p.key));
        }
    }
}
