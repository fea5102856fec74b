//! `regsim compare`: replicate i of a baseline and a policy scenario on the same seed ->
//! compare.csv (paired differences with 95% CIs), compare.json (the planner's figures, also
//! printed as a short table), manifest.json and the staged `pairs/`.

use super::with_threads;
use anyhow::{Result, bail};
use regsim::ensemble::compare::{ComparePlan, assemble, pending_pairs, run_compare};
use regsim::ensemble::replicate_seed;
use regsim::output::{build_info, prepare_dir, write_json};
use regsim::scenario::Scenario;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Baseline scenario file (TOML).
    pub baseline: PathBuf,
    /// Policy scenario file (TOML).
    pub policy: PathBuf,
    /// Override one value in both scenarios, e.g. --set scale=0.001 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Agents per real firm for both scenarios (overrides their `scale`).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Replicates (pairs of runs).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=super::MAX_REPLICATES))]
    pub replicates: u64,
    /// Master seed; pair i runs both scenarios with a seed derived from it and i (default: the
    /// baseline's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/<baseline>-vs-<policy>-seed<N>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write into a non-empty output folder (starts the comparison afresh).
    #[arg(long)]
    pub force: bool,
    /// Continue an interrupted comparison in --out: run only the missing pairs.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Skip charts and the HTML report.
    #[arg(long)]
    pub no_charts: bool,
    /// Memory the command may use, e.g. 4G or 512M (default: MemAvailable in /proc/meminfo).
    #[arg(long, value_name = "BYTES", value_parser = super::parse_bytes)]
    pub max_memory: Option<u64>,
}

/// What a resumed comparison must share with the first run: the resolved scenario.
fn plan_scenario(scn: &Scenario) -> Value {
    json!({"scenario_name": scn.name, "scenario": scn.raw})
}

fn scenario_json(scn: &Scenario) -> Value {
    json!({
        "scenario_name": scn.name,
        "scenario_file": scn.file.display().to_string(),
        "scenario": scn.raw,
    })
}

pub fn run(args: CompareArgs) -> Result<()> {
    if args.replicates == 0 {
        bail!("--replicates 0: allowed: 1 or more");
    }
    let mut sets = args.sets.clone();
    if let Some(scale) = args.scale {
        sets.push(super::scale_set(scale));
    }
    let baseline = Scenario::load(&args.baseline, &sets)?;
    let policy = Scenario::load(&args.policy, &sets)?;
    if (baseline.start_year, baseline.end_year) != (policy.start_year, policy.end_year) {
        bail!(
            "{} runs {}-{} but {} runs {}-{}: compared scenarios need the same years",
            args.baseline.display(),
            baseline.start_year,
            baseline.end_year,
            args.policy.display(),
            policy.start_year,
            policy.end_year
        );
    }
    let seed = args.seed.unwrap_or(baseline.seed);
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-vs-{}-seed{seed}", baseline.name, policy.name))
    });
    let (version, commit) = build_info();
    let definition = json!({
        "regsim_version": version,
        "git_commit": commit,
        "baseline": plan_scenario(&baseline),
        "policy": plan_scenario(&policy),
        "sets": sets,
        "replicates": args.replicates,
        "seed": seed,
    });
    let definition_file = out.join("pairs.json");
    // A pair holds both scenarios' worlds: the larger one, twice, per pair in flight.
    let larger =
        if baseline.scale * baseline.firms.total_smes >= policy.scale * policy.firms.total_smes {
            &baseline
        } else {
            &policy
        };
    let concurrent = args.threads.unwrap_or_else(rayon::current_num_threads) as u64;
    super::guard(
        larger,
        args.replicates.saturating_mul(2),
        concurrent.saturating_mul(2),
        args.replicates,
        args.max_memory,
    )?;
    let _lock = super::take_folder(&out, true)?;
    if args.resume {
        super::check_definition(&out, &definition_file, &definition, "comparison")?;
    } else {
        // With --force this removes the staged pairs of an earlier comparison (and only them).
        prepare_dir(&out, args.force)?;
    }
    write_json(&definition_file, &definition)?;
    let plan = ComparePlan {
        baseline,
        policy,
        replicates: args.replicates,
        master_seed: seed,
    };
    let started = Instant::now();
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let pending = pending_pairs(&out, &plan, args.resume)?;
    if args.resume {
        eprintln!(
            "{}: {} of {} pairs staged, {} to run",
            out.display(),
            args.replicates - pending.len() as u64,
            args.replicates,
            pending.len()
        );
    }
    let bar = super::progress_bar(pending.len() as u64, "pairs");
    bar.set_message(format!("{} vs {}", plan.baseline.name, plan.policy.name));
    with_threads(args.threads, || {
        run_compare(&out, &plan, &pending, &|| bar.inc(1))
    })??;
    bar.finish_and_clear();
    let figures = assemble(&out, &plan)?;
    let wall = started.elapsed().as_secs_f64();
    let seeds: Vec<u64> = (0..args.replicates)
        .map(|i| replicate_seed(seed, i))
        .collect();
    let manifest = json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "compare",
        "baseline": scenario_json(&plan.baseline),
        "policy": scenario_json(&plan.policy),
        "master_seed": seed,
        "seeds": seeds,
        "replicates": args.replicates,
        "scale": plan.baseline.scale,
        "threads": threads,
        "start_year": plan.baseline.start_year,
        "end_year": plan.baseline.end_year,
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "files": ["compare.csv", "compare.json", "pairs.json"],
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    eprintln!(
        "{} vs {} seed {seed}: {} pairs ({} run now) in {wall:.1} s -> {}",
        plan.baseline.name,
        plan.policy.name,
        args.replicates,
        pending.len(),
        out.display()
    );
    print!("{}", planner_table(&figures));
    if !args.no_charts {
        super::charts_and_report(&out)?;
    }
    Ok(())
}

fn f(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn ci(v: &Value, stem: &str, decimals: usize) -> String {
    ci_scaled(v, stem, decimals, 1.0)
}

/// [`ci`] with every value multiplied by `scale` (e.g. 1e-9 for bn KRW).
fn ci_scaled(v: &Value, stem: &str, decimals: usize, scale: f64) -> String {
    format!(
        "{:.d$} [{:.d$}, {:.d$}]",
        f(v, &format!("{stem}mean")) * scale,
        f(v, &format!("{stem}ci95_low")) * scale,
        f(v, &format!("{stem}ci95_high")) * scale,
        d = decimals
    )
}

/// The planner's figures as a short plain-text table (mean [95% CI]).
pub fn planner_table(fig: &Value) -> String {
    let mut s = String::new();
    let name = |k: &str| fig[k]["scenario_name"].as_str().unwrap_or(k).to_string();
    s.push_str(&format!(
        "{} vs {} ({} replicates; mean [95% CI] of policy - baseline)\n",
        name("policy"),
        name("baseline"),
        fig["replicates"]
    ));
    if fig["target"]["reachable_in_horizon"].as_bool() == Some(true) {
        for k in ["baseline", "policy"] {
            s.push_str(&format!(
                "  P(non-capital SME sales >= 1,432 trn KRW in 2030), {:<8} {:.2}   (sales {} trn KRW)\n",
                k,
                f(&fig[k], "p_reach_target_2030"),
                ci(&fig[k], "noncapital_sme_sales_2030_trn_krw_", 0)
            ));
        }
    }
    for (k, v) in fig["gap"].as_object().into_iter().flatten() {
        s.push_str(&format!(
            "  {k:<32} {:.3} -> {:.3}, change {} pp\n",
            f(v, "baseline_mean"),
            f(v, "policy_mean"),
            ci(v, "change_pp_", 3)
        ));
    }
    for (k, v) in fig["leakage"].as_object().into_iter().flatten() {
        let text = match k.strip_suffix("_krw") {
            Some(stem) => format!("{stem:<30} {} bn KRW", ci_scaled(v, "diff_", 0, 1e-9)),
            None => format!("{k:<30} {}", ci(v, "diff_", 0)),
        };
        s.push_str(&format!("  leakage: {text}\n"));
    }
    match fig["per_bn_krw"].as_array() {
        Some(rows) if !rows.is_empty() => {
            s.push_str("  per 1 bn KRW of programme spending: region, programme, net jobs, value added (bn KRW)\n");
            for r in rows {
                let va = |k: &str| f(r, k) * 1e-9;
                s.push_str(&format!(
                    "    {:<10} {:<20} {}   {:.2} [{:.2}, {:.2}]\n",
                    r["region"].as_str().unwrap_or(""),
                    r["program"].as_str().unwrap_or(""),
                    ci(r, "jobs_", 1),
                    va("value_added_krw_mean"),
                    va("value_added_krw_ci95_low"),
                    va("value_added_krw_ci95_high")
                ));
            }
        }
        _ => s.push_str("  per 1 bn KRW: no extra programme spending in the policy scenario\n"),
    }
    let t = &fig["treated_firms"];
    if t.is_object() {
        s.push_str(&format!(
            "  treated firms ({:.0} per replicate): sales {} M KRW, employees {}, survival {}\n",
            f(t, "matched_firms_mean"),
            ci_scaled(t, "sales_krw_diff_", 1, 1e-6),
            ci(t, "employees_diff_", 2),
            ci(t, "survival_diff_", 3)
        ));
    }
    s
}
