//! `regsim target`: the smallest multiplier of some levers' budgets at which a policy reaches a
//! goal with a given probability (search in [`regsim::ensemble::target`]), the budget it
//! needs and its jobs per 1 bn KRW (a paired comparison at that multiplier, run by the
//! ensemble's compare engine) -> target.json, manifest.json, `at-multiplier/` (the
//! comparison's compare.csv and compare.json), a chart of the probability against the
//! multiplier and report.html.

use super::with_threads;
use anyhow::{Result, bail};
use regsim::ensemble::compare::{ComparePlan, assemble, run_compare};
use regsim::ensemble::target::{Goal, Levers, Outcome, evaluate, search};
use regsim::output::{build_info, prepare_dir, write_json};
use regsim::scenario::Scenario;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// Baseline scenario file (TOML): the counterfactual of the jobs per 1 bn KRW.
    pub baseline: PathBuf,
    /// Policy scenario file (TOML) whose levers are scaled.
    pub policy: PathBuf,
    /// A lever to scale: `all` or a programme table such as policy.growth_fund (repeatable).
    #[arg(long = "lever", value_name = "KEY", required = true)]
    pub levers: Vec<String>,
    /// The goal, e.g. "noncapital_sme_sales_krw >= 1.432e15 in 2030" (a national.csv column).
    #[arg(long)]
    pub goal: String,
    /// Required share of replicates that reach the goal (0 < p <= 1).
    #[arg(long, default_value_t = 0.5)]
    pub probability: f64,
    /// Replicates per multiplier (the same seeds at every multiplier).
    #[arg(long, default_value_t = 20)]
    pub replicates: u64,
    /// Agents per real firm for both scenarios (overrides their `scale`).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Override one value in both scenarios (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Largest multiplier tried.
    #[arg(long, default_value_t = 8.0)]
    pub max_multiplier: f64,
    /// Stop when the bracket is narrower than this (in multiplier units).
    #[arg(long, default_value_t = 0.05)]
    pub tolerance: f64,
    /// Master seed (default: the baseline's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/<policy>-target-seed<N>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write into a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// Skip the chart and the HTML report.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub lang: super::LangArg,
}

fn check_args(args: &TargetArgs) -> Result<()> {
    if args.replicates == 0 {
        bail!("--replicates 0: allowed: 1 or more");
    }
    if !(args.probability > 0.0 && args.probability <= 1.0) {
        bail!(
            "--probability {}: allowed: above 0 and at most 1",
            args.probability
        );
    }
    if !(args.max_multiplier.is_finite() && args.max_multiplier > 1.0) {
        bail!(
            "--max-multiplier {}: allowed: a number above 1",
            args.max_multiplier
        );
    }
    if !(args.tolerance.is_finite() && args.tolerance > 0.0) {
        bail!("--tolerance {}: allowed: a number above 0", args.tolerance);
    }
    Ok(())
}

pub fn run(args: TargetArgs) -> Result<()> {
    check_args(&args)?;
    let goal = Goal::parse(&args.goal)?;
    let mut sets = args.sets.clone();
    if let Some(scale) = args.scale {
        sets.push(format!("scale={scale}"));
    }
    let baseline = Scenario::load(&args.baseline, &sets)?;
    let policy = Scenario::load(&args.policy, &sets)?;
    if (baseline.start_year, baseline.end_year) != (policy.start_year, policy.end_year) {
        bail!(
            "{} and {}: compared scenarios need the same years",
            args.baseline.display(),
            args.policy.display()
        );
    }
    if goal.year < policy.start_year || goal.year > policy.end_year {
        return Err(regsim::ensemble::target::TargetError::GoalYear(
            goal.year,
            policy.start_year,
            policy.end_year,
        )
        .into());
    }
    let levers = Levers::find(&policy, &args.levers)?;
    let seed = args.seed.unwrap_or(baseline.seed);
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-target-seed{seed}", policy.name))
    });
    prepare_dir(&out, args.force)?;

    let started = Instant::now();
    let bar = super::progress_bar(0, "multipliers");
    let found = with_threads(args.threads, || {
        search(args.probability, args.max_multiplier, args.tolerance, |m| {
            bar.set_message(format!("x{m:.3}"));
            let e = evaluate(
                &args.policy,
                &sets,
                &levers,
                &goal,
                args.replicates,
                seed,
                m,
            );
            bar.inc(1);
            e
        })
    })??;
    bar.finish_and_clear();
    // Jobs per 1 bn KRW where the search ended (the multiplier found, else the largest tried),
    // from a paired comparison with the baseline run by the compare engine.
    let point = match found.outcome {
        Outcome::Found => found.bracket.1,
        Outcome::ReachedWithoutLevers => 0.0,
        Outcome::Unreachable => args.max_multiplier,
    };
    let mut scaled_sets = sets.clone();
    scaled_sets.extend(levers.sets(point));
    let plan = ComparePlan {
        baseline,
        policy: Scenario::load(&args.policy, &scaled_sets)?,
        replicates: args.replicates,
        master_seed: seed,
        // The jobs per 1 bn KRW of the whole package; no per-programme split here.
        attribution: regsim::ensemble::attribution::Attribution::off(),
        samples: None,
    };
    let at = out.join("at-multiplier");
    let ids: Vec<u64> = (0..args.replicates).collect();
    with_threads(args.threads, || {
        run_compare(
            &at,
            &plan,
            &ids,
            regsim::ensemble::Staging::Exclusive,
            &|| (),
        )
    })??;
    let compare = assemble(&at, &plan)?;
    std::fs::remove_dir_all(at.join("pairs"))?;
    let national_all = compare
        .get("per_bn_krw")
        .and_then(Value::as_array)
        .and_then(|rows| {
            rows.iter().find(|r| {
                r.get("region").and_then(Value::as_str) == Some("national")
                    && r.get("program").and_then(Value::as_str) == Some("all")
            })
        })
        .cloned();
    let wall = started.elapsed().as_secs_f64();

    let at_one = found.evaluations.iter().find(|e| e.multiplier == 1.0);
    let at_point = found.evaluations.iter().find(|e| e.multiplier == point);
    let figure = |e: Option<&regsim::ensemble::target::Evaluation>| e.map(|e| e.spend_krw_mean);
    let outcome = match found.outcome {
        Outcome::Found => "found",
        Outcome::ReachedWithoutLevers => "reached_without_levers",
        Outcome::Unreachable => "unreachable",
    };
    let target = json!({
        "baseline": plan.baseline.name,
        "policy": plan.policy.name,
        "levers": args.levers,
        "scaled_keys": levers.keys.iter().map(|(k, v, count)| json!({"key": k, "value_at_1": v, "count": count})).collect::<Vec<_>>(),
        "unscaled_levers": levers.unscaled,
        "goal": {"metric": goal.metric, "op": goal.op, "value": goal.value, "year": goal.year, "text": args.goal},
        "probability": args.probability,
        "replicates": args.replicates,
        "master_seed": seed,
        "scale": plan.baseline.scale,
        "max_multiplier": args.max_multiplier,
        "tolerance": args.tolerance,
        "outcome": outcome,
        "multiplier": (found.outcome != Outcome::Unreachable).then_some(point),
        "bracket": [found.bracket.0, found.bracket.1],
        "monotone": found.monotone,
        "spend_krw_at_1": figure(at_one),
        "spend_krw": figure(at_point),
        "jobs_per_bn_krw_at": point,
        "jobs_per_bn_krw": national_all.as_ref().map(|r| json!({
            "mean": r.get("jobs_mean"), "ci95_low": r.get("jobs_ci95_low"), "ci95_high": r.get("jobs_ci95_high")
        })),
        "evaluations": found.evaluations.iter().map(|e| json!({
            "multiplier": e.multiplier,
            "p_reach": e.p_reach,
            "reached": e.p_reach >= args.probability,
            "goal_metric_mean": e.goal_metric_mean,
            "spend_krw_mean": e.spend_krw_mean,
        })).collect::<Vec<_>>(),
    });
    write_json(&out.join("target.json"), &target)?;
    let (version, commit) = build_info();
    let manifest = json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "target",
        "baseline": {"scenario_name": plan.baseline.name, "scenario_file": args.baseline.display().to_string(), "scenario": plan.baseline.raw},
        "policy": {"scenario_name": policy_name(&target), "scenario_file": args.policy.display().to_string(), "scenario": policy.raw},
        "sets": sets,
        "master_seed": seed,
        "replicates": args.replicates,
        "scale": plan.baseline.scale,
        "start_year": plan.baseline.start_year,
        "end_year": plan.baseline.end_year,
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "files": ["target.json", "at-multiplier/compare.csv", "at-multiplier/compare.json"],
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    eprintln!(
        "{} ({}): {} evaluations x {} replicates in {wall:.1} s -> {}",
        plan.policy.name,
        args.levers.join(" "),
        found.evaluations.len(),
        args.replicates,
        out.display()
    );
    print!("{}", summary(&target));
    if !args.no_charts {
        super::charts_and_report(&out, args.lang)?;
    }
    Ok(())
}

fn policy_name(target: &Value) -> String {
    target["policy"].as_str().unwrap_or("policy").to_string()
}

/// The printed answer: the multiplier and its bracket (or unreachable), the budget, the jobs.
fn summary(t: &Value) -> String {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut s = format!(
        "goal: {} with probability >= {}\n",
        t["goal"]["text"].as_str().unwrap_or(""),
        f(&t["probability"])
    );
    match t["outcome"].as_str() {
        Some("unreachable") => s.push_str(&format!(
            "unreachable below x{}: P = {} at x{}\n",
            f(&t["max_multiplier"]),
            t["evaluations"]
                .as_array()
                .and_then(|e| e.last())
                .map_or(f64::NAN, |e| f(&e["p_reach"])),
            f(&t["max_multiplier"])
        )),
        Some("reached_without_levers") => s.push_str("reached with the levers at zero (x0)\n"),
        _ => s.push_str(&format!(
            "multiplier x{:.3} (bracket x{:.3} .. x{:.3}{})\n",
            f(&t["multiplier"]),
            f(&t["bracket"][0]),
            f(&t["bracket"][1]),
            if t["monotone"].as_bool() == Some(false) {
                "; probabilities not monotone in the evaluated points"
            } else {
                ""
            }
        )),
    }
    s.push_str(&format!(
        "public spending, all programmes, all years: {:.2} trn KRW at x1, {:.2} trn KRW at x{:.3}\n",
        f(&t["spend_krw_at_1"]) / 1e12,
        f(&t["spend_krw"]) / 1e12,
        f(&t["jobs_per_bn_krw_at"])
    ));
    let j = &t["jobs_per_bn_krw"];
    s.push_str(&format!(
        "net jobs per 1 bn KRW at x{:.3}: {:.2} [{:.2}, {:.2}]\n",
        f(&t["jobs_per_bn_krw_at"]),
        f(&j["mean"]),
        f(&j["ci95_low"]),
        f(&j["ci95_high"])
    ));
    s
}
