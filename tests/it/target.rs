//! `regsim target`: which keys a lever scales, and the search on the work plan at a tiny
//! scale (smart factories: they raise SME sales within the horizon): an unreachable goal,
//! then a goal placed between the outcomes at x1 and x2 that the bisection must bracket
//! within the tolerance.

use super::{regsim, stderr};
use regsim::ensemble::target::{Levers, TargetError};
use regsim::scenario::Scenario;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn work_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/work-plan-2026.toml")
}

fn levers(names: &[&str]) -> Result<Levers, TargetError> {
    let scn = Scenario::load(&work_plan(), &[]).unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    Levers::find(&scn, &names)
}

#[test]
fn a_lever_scales_its_budgets_and_counts_not_its_unit_costs() {
    let fund = levers(&["policy.growth_fund"]).unwrap();
    let keys: Vec<&str> = fund.keys.iter().map(|k| k.0.as_str()).collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| k.starts_with("policy.growth_fund.budget_krw_by_year."))
    );
    let sets = fund.sets(2.0);
    assert!(
        sets.contains(&"policy.growth_fund.budget_krw_by_year.2026=400000000000.0".to_string()),
        "{sets:?}"
    );
    // `all`: counts are rounded, unit costs untouched, hub cities have nothing to scale.
    let all = levers(&["all"]).unwrap();
    assert_eq!(all.unscaled, vec!["policy.hub_cities".to_string()]);
    let sets = all.sets(1.5);
    assert!(
        sets.contains(&"policy.smart_factories.advanced_ai.count_by_year.2026=645.0".to_string())
    );
    assert!(sets.contains(&"policy.jump_up.count_by_year.2026=255.0".to_string()));
    assert!(
        sets.iter()
            .all(|s| !s.contains("cost_krw_per_firm") && !s.contains("grant_krw"))
    );
    // A scaled scenario still validates.
    let scaled = Scenario::load(&work_plan(), &sets);
    assert!(scaled.is_ok(), "{:?}", scaled.err());
    assert!(matches!(
        levers(&["policy.hub_cities"]),
        Err(TargetError::Lever(..))
    ));
    let err = levers(&["policy.nope"]).unwrap_err().to_string();
    assert!(
        err.contains("allowed: all, policy.growth_fund") || err.contains("policy.growth_fund"),
        "{err}"
    );
}

fn target(out: &Path, goal: &str, extra: &[&str]) -> std::process::Output {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let mut args = vec![
        "target",
        base.to_str().unwrap(),
        work_plan().to_str().unwrap().to_string().leak(),
        "--lever",
        "policy.smart_factories",
        "--goal",
        goal,
        "--scale",
        "0.001",
        "--replicates",
        "1",
        "--max-multiplier",
        "2",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    regsim(&args, &[])
}

fn read(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("target.json")).unwrap()).unwrap()
}

#[test]
fn target_brackets_a_goal_between_x1_and_x2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let o = target(
        &out,
        "noncapital_sme_sales_krw >= 1e30 in 2030",
        &["--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let t = read(&out);
    assert_eq!(t["outcome"], "unreachable");
    assert!(t["multiplier"].is_null());
    let evals = t["evaluations"].as_array().unwrap();
    assert_eq!(evals.len(), 2, "x1 and x2 only");
    let (a, b) = (
        evals[0]["goal_metric_mean"].as_f64().unwrap(),
        evals[1]["goal_metric_mean"].as_f64().unwrap(),
    );
    assert!(t["spend_krw"].as_f64().unwrap() > t["spend_krw_at_1"].as_f64().unwrap());
    assert!(String::from_utf8_lossy(&o.stdout).contains("unreachable below x2"));
    assert_ne!(a, b, "doubling smart factories changes non-capital sales");

    // A goal half-way between the two outcomes: x1 fails, x2 reaches (one replicate, the
    // same seed), so the search must end with a bracket narrower than the tolerance.
    let op = if b > a { ">=" } else { "<=" };
    let goal = format!("noncapital_sme_sales_krw {op} {:e} in 2030", (a + b) / 2.0);
    let o = target(&out, &goal, &["--tolerance", "0.1", "--lang", "ko"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = read(&out);
    assert_eq!(t["outcome"], "found");
    let (lo, hi) = (
        t["bracket"][0].as_f64().unwrap(),
        t["bracket"][1].as_f64().unwrap(),
    );
    assert!(
        (1.0..2.0).contains(&lo) && lo < hi && hi <= 2.0 && hi - lo <= 0.1,
        "{lo}..{hi}"
    );
    assert_eq!(t["multiplier"].as_f64().unwrap(), hi);
    let p = |m: f64| {
        t["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["multiplier"].as_f64() == Some(m))
            .unwrap()["p_reach"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((p(lo), p(hi)), (0.0, 1.0));
    assert!(t["jobs_per_bn_krw"]["mean"].is_number());
    assert!(out.join("at-multiplier/compare.json").is_file());
    assert!(out.join("charts/target_probability.png").is_file());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("목표 달성 확률"),
        "Korean report of the search"
    );
    // The same search on one thread writes the same target.json, byte for byte.
    let one = dir.path().join("one");
    let o = target(
        &one,
        &goal,
        &["--tolerance", "0.1", "--threads", "1", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("target.json")).unwrap(),
        std::fs::read(one.join("target.json")).unwrap()
    );
}

#[test]
fn target_refuses_bad_arguments_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    for (goal, extra, expect) in [
        (
            "noncapital_sme_sales_krw >= 1 in 2030",
            vec!["--probability", "0"],
            "--probability 0",
        ),
        ("sales => 1 in 2030", vec![], "--goal"),
        (
            "noncapital_sme_sales_krw >= 1 in 2040",
            vec![],
            "outside the scenario's years",
        ),
    ] {
        let o = target(&out, goal, &extra);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(expect), "{err}");
    }
}
