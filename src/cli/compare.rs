//! `regsim compare`: replicate i of a baseline and a policy scenario on the same seed ->
//! compare.csv (paired differences with 95% CIs), compare.json (the planner's figures, also
//! printed as a short table), attribution.csv (per programme, with 2+ programmes),
//! uncertainty.csv (with --uncertainty), manifest.json and the staged `pairs/`.

use super::with_threads;
use anyhow::{Result, bail};
use regsim::ensemble::attribution::{Attribution, Mode, programmes};
use regsim::ensemble::compare::{ComparePlan, Samples, assemble, pending_pairs_among, run_compare};
use regsim::ensemble::{Staging, replicate_seed};
use regsim::output::{build_info, write_json};
use regsim::scenario::Scenario;
use regsim::scenario::uncertainty::Uncertainty;
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
    #[command(flatten)]
    pub lang: super::LangArg,
    #[command(flatten)]
    pub shard: super::shard::ShardArgs,
    /// Programme decomposition: auto (oat with 2+ programmes), none, oat (each programme
    /// alone and the package without each: 2p extra runs per replicate) or shapley (every
    /// coalition when affordable, else sampled orderings).
    #[arg(long, default_value = "auto", value_name = "MODE")]
    pub attribution: String,
    /// Orderings per replicate when Shapley values are sampled.
    #[arg(long, default_value_t = 16)]
    pub permutations: u64,
    /// Parameter uncertainty table (TOML, `[uncertainty]`): draw --samples parameter sets
    /// shared by both scenarios, --replicates seeds each.
    #[arg(long, value_name = "FILE")]
    pub uncertainty: Option<PathBuf>,
    /// Parameter sets drawn from --uncertainty (Latin hypercube).
    #[arg(long, requires = "uncertainty")]
    pub samples: Option<u64>,
    /// Memory the command may use, e.g. 4G or 512M (default: MemAvailable in /proc/meminfo).
    #[arg(long, value_name = "BYTES", value_parser = super::parse_bytes)]
    pub max_memory: Option<u64>,
}

/// Whether a dotted key can be set in the resolved scenario: it has a value there, or it is an
/// optional policy key whose table exists (`policy.dose_elasticity` in a scenario with a
/// `[policy]` section; a misspelt one is caught by the scenario checks).
pub fn has_key(scn: &Scenario, key: &str) -> bool {
    let mut v = serde_json::to_value(&scn.raw).unwrap_or_default();
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        match v.get(part) {
            Some(x) if !x.is_null() => v = x.clone(),
            _ => return parts[0] == "policy" && i + 1 == parts.len() && i > 0 && v.is_object(),
        }
    }
    !v.is_object()
}

/// The parameter samples of `--uncertainty`: both scenarios loaded with each sample's values.
fn load_samples(
    args: &CompareArgs,
    sets: &[String],
    baseline: &Scenario,
    policy: &Scenario,
    seed: u64,
) -> Result<Option<Samples>> {
    let Some(file) = &args.uncertainty else {
        return Ok(None);
    };
    let table = Uncertainty::load(file)?;
    let k = args.samples.unwrap_or(0);
    if k < 2 {
        bail!("--samples {k}: allowed: 2 or more (parameter sets drawn from --uncertainty)");
    }
    let mut unused = Vec::new();
    for p in &table.params {
        if has_key(baseline, &p.key) || has_key(policy, &p.key) {
            continue;
        }
        if p.key.starts_with("policy.") {
            unused.push(p.key.as_str());
        } else {
            bail!(
                "{}: {}: not a value of either scenario; allowed: a scalar key such as firms.exit_loss_months",
                file.display(),
                p.key
            );
        }
    }
    if !unused.is_empty() {
        eprintln!(
            "{}: {} keys of levers neither scenario has are left out: {}",
            file.display(),
            unused.len(),
            unused.join(", ")
        );
    }
    let values = table.sample_lhs(k as usize, seed);
    let mut scenarios = Vec::with_capacity(values.len());
    for point in &values {
        let load = |path: &PathBuf, scn: &Scenario| {
            Scenario::load(path, &table.apply(sets, point, |key| has_key(scn, key)))
        };
        scenarios.push((load(&args.baseline, baseline)?, load(&args.policy, policy)?));
    }
    Ok(Some(Samples {
        keys: table.keys(),
        values,
        scenarios,
    }))
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

/// A comparison resolved from its arguments: the plan, the folder and the definition its
/// `pairs.json` holds (what `--resume`, every shard and `merge` must share).
pub struct Prepared {
    pub plan: ComparePlan,
    pub out: PathBuf,
    pub definition: Value,
    /// Why no programme decomposition is done (printed by `run`, not by `merge`).
    pub attribution_note: Option<String>,
}

impl Prepared {
    pub fn definition_file(&self) -> PathBuf {
        self.out.join("pairs.json")
    }
}

/// Loads both scenarios and builds the definition; touches no file.
pub fn prepare(args: &CompareArgs) -> Result<Prepared> {
    if args.replicates == 0 {
        bail!("--replicates 0: allowed: 1 or more");
    }
    if args.permutations == 0 {
        bail!("--permutations 0: allowed: 1 or more");
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
    let samples = load_samples(args, &sets, &baseline, &policy, seed)?;
    let mut attribution_note = None;
    let attribution = if samples.is_some() {
        if args.attribution != "auto" && args.attribution != "none" {
            bail!(
                "--attribution {} with --uncertainty: allowed: auto, none (programme attribution runs without parameter samples)",
                args.attribution
            );
        }
        Attribution::off()
    } else {
        match programmes(&baseline, &policy) {
            Ok(levers) => Attribution::choose(
                levers,
                &args.attribution,
                args.replicates,
                args.permutations,
            )
            .map_err(anyhow::Error::msg)?,
            Err(why) if args.attribution == "auto" || args.attribution == "none" => {
                attribution_note = Some(format!("attribution: none ({why})"));
                Attribution::off()
            }
            Err(why) => bail!("--attribution {}: {why}; allowed: none", args.attribution),
        }
    };
    let (version, commit) = build_info();
    let definition = json!({
        "regsim_version": version,
        "git_commit": commit,
        "baseline_file": super::shard::absolute(&args.baseline),
        "policy_file": super::shard::absolute(&args.policy),
        "baseline": plan_scenario(&baseline),
        "policy": plan_scenario(&policy),
        "sets": sets,
        "replicates": args.replicates,
        "seed": seed,
        "attribution": attribution.mode.name(),
        "permutations": args.permutations,
        "uncertainty": samples.as_ref().map(|s| json!({"keys": s.keys, "values": s.values})),
        "uncertainty_file": args.uncertainty.as_deref().map(super::shard::absolute),
        "samples": args.samples,
        "attribution_request": args.attribution,
    });
    let plan = ComparePlan {
        baseline,
        policy,
        replicates: args.replicates,
        master_seed: seed,
        attribution,
        samples,
    };
    Ok(Prepared {
        plan,
        out,
        definition,
        attribution_note,
    })
}

/// Makes `out` ready for this comparison on one machine (or for `regsim slurm`); writes
/// `pairs.json`.
pub fn open_folder(p: &Prepared, resume: bool, force: bool) -> Result<()> {
    let file = p.definition_file();
    super::shard::open_folder(
        &p.out,
        &file,
        &p.definition,
        "pairs",
        "comparison",
        resume,
        force,
    )
}

pub fn run(args: CompareArgs) -> Result<()> {
    let p = prepare(&args)?;
    if let Some(note) = &p.attribution_note {
        eprintln!("{note}");
    }
    let shard = args.shard.resolve()?;
    let out = &p.out;
    // A pair holds both scenarios' worlds (and its coalitions run one after another): the
    // larger world, twice, per pair in flight.
    let (baseline, policy) = (&p.plan.baseline, &p.plan.policy);
    let larger =
        if baseline.scale * baseline.firms.total_smes >= policy.scale * policy.firms.total_smes {
            baseline
        } else {
            policy
        };
    let concurrent = args.threads.unwrap_or_else(rayon::current_num_threads) as u64;
    super::guard(
        larger,
        p.plan.pairs().saturating_mul(2),
        concurrent.saturating_mul(2),
        args.replicates,
        args.max_memory,
    )?;
    let _lock = super::shard::lock_unless_shard(out, shard)?;
    if shard.is_some() {
        super::shard::claim_folder(out, &p.definition_file(), &p.definition, "comparison")?;
    } else {
        open_folder(&p, args.resume, args.force)?;
    }
    let plan = &p.plan;
    let runs_per_pair = 2 + plan
        .attribution
        .coalitions(plan.pair_seed(0))
        .len()
        .saturating_sub(2);
    eprintln!(
        "{} pairs x {} runs each{}: {} runs",
        plan.pairs(),
        runs_per_pair,
        match plan.attribution.mode {
            Mode::None => String::new(),
            m => format!(
                " (attribution {} over {} programmes: {} extra runs per replicate)",
                m.name(),
                plan.attribution.levers.len(),
                runs_per_pair - 2
            ),
        },
        plan.pairs() * runs_per_pair as u64
    );
    let started = Instant::now();
    let mine: Vec<u64> = match shard {
        Some(s) => s.ids(plan.pairs()).collect(),
        None => (0..plan.pairs()).collect(),
    };
    let pending = pending_pairs_among(out, plan, mine.iter().copied(), args.resume)?;
    if args.resume || shard.is_some() {
        eprintln!(
            "{}: {}{} of {} pairs staged, {} to run",
            out.display(),
            shard.map(|s| format!("shard {s}: ")).unwrap_or_default(),
            mine.len() - pending.len(),
            mine.len(),
            pending.len()
        );
    }
    // Shards share the staging folder: none may remove another's temporary files.
    let staging = match shard {
        Some(_) => Staging::Shared,
        None => Staging::Exclusive,
    };
    let bar = super::progress_bar(pending.len() as u64, "pairs");
    bar.set_message(format!("{} vs {}", plan.baseline.name, plan.policy.name));
    with_threads(args.threads, || {
        run_compare(out, plan, &pending, staging, &|| bar.inc(1))
    })??;
    bar.finish_and_clear();
    if let Some(s) = shard {
        super::shard::staged_note(out, s, pending.len(), "pairs", started);
        return Ok(());
    }
    finish(
        &p,
        args.threads,
        args.no_charts,
        args.lang,
        pending.len(),
        started,
    )
}

/// Assembles `compare.csv` and `compare.json` from the staged pairs (all present), writes the
/// manifest, prints the planner's table, and renders charts and the report unless `no_charts`.
pub fn finish(
    p: &Prepared,
    threads: Option<usize>,
    no_charts: bool,
    lang: super::LangArg,
    run_now: usize,
    started: Instant,
) -> Result<()> {
    let (out, plan) = (&p.out, &p.plan);
    let figures = assemble(out, plan)?;
    let wall = started.elapsed().as_secs_f64();
    let seed = plan.master_seed;
    let seeds: Vec<u64> = (0..plan.replicates)
        .map(|i| replicate_seed(seed, i))
        .collect();
    let mut files = vec!["compare.csv", "compare.json", "pairs.json"];
    if plan.attribution.mode != Mode::None {
        files.push("attribution.csv");
    }
    if plan.samples.is_some() {
        files.push("uncertainty.csv");
    }
    let (version, commit) = build_info();
    let manifest = json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "compare",
        "baseline": scenario_json(&plan.baseline),
        "policy": scenario_json(&plan.policy),
        "master_seed": seed,
        "seeds": seeds,
        "replicates": plan.replicates,
        "scale": plan.baseline.scale,
        "threads": threads.unwrap_or_else(rayon::current_num_threads),
        "start_year": plan.baseline.start_year,
        "end_year": plan.baseline.end_year,
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "attribution": plan.attribution.mode.name(),
        "uncertainty_file": p.definition["uncertainty_file"],
        "samples": plan.samples.as_ref().map(|s| s.values.len()),
        "files": files,
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    eprintln!(
        "{} vs {} seed {seed}: {} pairs ({run_now} run now) in {wall:.1} s -> {}",
        plan.baseline.name,
        plan.policy.name,
        plan.pairs(),
        out.display()
    );
    print!("{}", planner_table(&figures));
    for w in regsim::charts::data::small_sample_warnings(out)? {
        eprintln!("{w}");
    }
    if !no_charts {
        super::charts_and_report(out, lang)?;
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
            let v = &fig[k];
            s.push_str(&format!(
                "  P(non-capital SME sales >= 1,432 trn KRW in 2030), {:<8} {:.2}   (sales {} trn KRW; shortfall {:.0} trn; growth {:.2}%/yr, {:.2}%/yr needed: {:+.2} pp)\n",
                k,
                f(v, "p_reach_target_2030"),
                ci(v, "noncapital_sme_sales_2030_trn_krw_", 0),
                f(v, "shortfall_trn_krw"),
                100.0 * f(v, "growth_per_year_achieved"),
                100.0 * f(v, "growth_per_year_needed"),
                f(v, "growth_per_year_still_needed_pp")
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
    let v = &fig["vc_capital_share_split"];
    if v["n"].as_u64().unwrap_or(0) > 0 {
        s.push_str(&format!(
            "  VC over the run: national {} trn KRW; capital share {} pp = reallocated {} pp ({} trn KRW moved out of the capital region) + added money {} pp\n",
            ci(v, "national_vc_change_trn_krw_", 2),
            ci(v, "change_pp_", 2),
            ci(v, "reallocated_pp_", 2),
            ci(v, "reallocated_trn_krw_", 2),
            ci(v, "added_pp_", 2)
        ));
    }
    match fig["per_bn_krw"].as_array() {
        Some(rows) if !rows.is_empty() => {
            s.push_str("  per 1 bn KRW of programme spending (all programmes): region, net jobs, value added (bn KRW)\n");
            for r in rows {
                let va = |k: &str| f(r, k) * 1e-9;
                s.push_str(&format!(
                    "    {:<10} {}   {:.2} [{:.2}, {:.2}]\n",
                    r["region"].as_str().unwrap_or(""),
                    ci(r, "jobs_", 1),
                    va("value_added_krw_mean"),
                    va("value_added_krw_ci95_low"),
                    va("value_added_krw_ci95_high")
                ));
            }
        }
        _ => s.push_str("  per 1 bn KRW: no extra programme spending in the policy scenario\n"),
    }
    s.push_str(&attribution_table(&fig["attribution"]));
    s.push_str(&uncertainty_table(&fig["uncertainty"]));
    let t = &fig["treated_firms"];
    if t.is_object() {
        s.push_str(&format!(
            "  treated firms ({:.0} per replicate): sales {} M KRW, employees {}, survival {} pp\n",
            f(t, "matched_firms_mean"),
            ci_scaled(t, "sales_krw_diff_", 1, 1e-6),
            ci(t, "employees_diff_", 2),
            // Survival effects of programmes for established firms are hundredths of a point.
            ci_scaled(t, "survival_diff_", 3, 100.0)
        ));
    }
    s.push_str(&network_table(&fig["network"]));
    s
}

/// The production network's figures (docs/OUTPUTS.md, "compare.json: network"): leakage
/// through purchases, jobs per 1 bn KRW for treated firms and their network, the national
/// output multiplier and the regions' with a CI clear of zero.
fn network_table(n: &Value) -> String {
    if !n.is_object() {
        return String::new();
    }
    let mut s = format!(
        "  network: non-capital purchases from capital suppliers {} bn KRW over the run (capital share {} pp)
",
        ci_obj(&n["leakage_purchases_from_capital_krw"], 1, 1e-9),
        ci_obj(&n["capital_share_of_noncapital_purchases_change_pp"], 3, 1.0)
    );
    let j = &n["jobs_per_bn_krw"];
    if f(&n["followed_firms_mean"], "treated") > 0.0 && j["treated"]["mean"].is_number() {
        s.push_str(&format!(
            "  network: jobs per 1 bn KRW, treated firms {} ({:.0} firms), their network {} ({:.0} firms)
",
            ci_obj(&j["treated"], 2, 1.0),
            f(&n["followed_firms_mean"], "treated"),
            ci_obj(&j["network"], 2, 1.0),
            f(&n["followed_firms_mean"], "network")
        ));
    } else if f(&n["followed_firms_mean"], "treated") > 0.0 {
        s.push_str(&format!(
            "  network: jobs per 1 bn KRW: none (no programme spending; {:.0} treated firms, {:.0} in their network)\n",
            f(&n["followed_firms_mean"], "treated"),
            f(&n["followed_firms_mean"], "network")
        ));
    } else {
        s.push_str("  network: jobs per 1 bn KRW: no firms treated by a selection programme\n");
    }
    if f(&n["direct_change_krw"], "mean") == 0.0 {
        s.push_str(
            "  network: output multiplier: none (no direct change: no treated firms, anchors' purchases unchanged)\n",
        );
        return s;
    }
    s.push_str(&format!(
        "  network: output multiplier (sales change / direct change {} bn KRW):",
        ci_obj(&n["direct_change_krw"], 1, 1e-9)
    ));
    s.push_str(&format!(
        " national in the years with a direct change {};",
        ci_obj(
            &n["output_multiplier_direct_years"][regsim::model::geo::N_REGIONS],
            2,
            1.0
        )
    ));
    for m in n["output_multiplier"].as_array().into_iter().flatten() {
        let clear = f(m, "ci95_low") > 0.0 || f(m, "ci95_high") < 0.0;
        if m["region"] == "national" || clear {
            s.push_str(&format!(
                " {} {}",
                m["region"].as_str().unwrap_or(""),
                ci_obj(m, 2, 1.0)
            ));
        }
    }
    s.push('\n');
    s
}

/// `mean [low, high]` of a `{mean, ci95_low, ci95_high}` object times `scale`.
fn ci_obj(v: &Value, decimals: usize, scale: f64) -> String {
    ci_scaled(v, "", decimals, scale)
}

/// The programme decomposition: per programme, net jobs (stand-alone, marginal, Shapley) and
/// jobs and value added per 1 bn KRW.
fn attribution_table(a: &Value) -> String {
    let Some(rows) = a["by_programme"].as_array() else {
        return String::new();
    };
    let mut s = format!(
        "  programmes ({}; Shapley {}):\n",
        a["mode"].as_str().unwrap_or(""),
        a["shapley_method"].as_str().unwrap_or("")
    );
    let pkg = &a["package_effect"];
    s.push_str(&format!(
        "    package: net jobs {}, value added {} bn KRW; Shapley sum - package: jobs {}\n",
        ci_obj(&pkg["jobs"], 0, 1.0),
        ci_obj(&pkg["value_added_krw"], 0, 1e-9),
        ci_obj(&a["shapley_sum_minus_package_effect"]["jobs"], 1, 1.0)
    ));
    s.push_str("    programme             spend alone (bn)  net jobs alone | marginal | Shapley       jobs per bn alone | marginal | Shapley     VA (bn) per bn alone | Shapley\n");
    for r in rows {
        let j = &r["jobs"];
        let va = &r["value_added_krw"];
        let m = |o: &Value, k: &str| f(&o[k], "mean");
        s.push_str(&format!(
            "    {:<20} {:>8.0} {:>16.0} | {:>8.0} | {:>8.0}   {:>14.2} | {:>7.2} | {:>7.2}   {:>14.2} | {:>7.2}\n",
            r["programme"].as_str().unwrap_or(""),
            f(&r["spend_standalone_krw"], "mean") * 1e-9,
            m(j, "standalone"),
            m(j, "marginal"),
            m(j, "shapley"),
            m(j, "standalone_per_bn_krw"),
            m(j, "marginal_per_bn_krw"),
            m(j, "shapley_per_bn_krw"),
            m(va, "standalone_per_bn_krw") * 1e-9,
            m(va, "shapley_per_bn_krw") * 1e-9,
        ));
        s.push_str(&format!(
            "    {:<20} jobs per bn alone {}, Shapley {}\n",
            "",
            ci_obj(&j["standalone_per_bn_krw"], 2, 1.0),
            ci_obj(&j["shapley_per_bn_krw"], 2, 1.0)
        ));
    }
    s
}

/// P(target) and the policy effect over parameter and Monte Carlo uncertainty, and the
/// parameters the answer hangs on.
fn uncertainty_table(u: &Value) -> String {
    if !u.is_object() {
        return String::new();
    }
    let q = |v: &Value| {
        format!(
            "{:.0} [{:.0}, {:.0}]",
            f(v, "p50"),
            f(v, "p05"),
            f(v, "p95")
        )
    };
    let mut s = format!(
        "  over parameter uncertainty ({} samples x {} seeds): P(target) baseline {:.2}, policy {:.2}; policy 2030 sales p50 [p05, p95] {} trn KRW; effect {} trn KRW\n",
        u["samples"],
        u["replicates_per_sample"],
        f(u, "p_reach_target_baseline"),
        f(u, "p_reach_target_policy"),
        q(&u["policy_sales_trn_krw_across_samples"]),
        q(&u["effect_trn_krw_across_samples"])
    );
    s.push_str("    parameters by |Spearman rho| with policy 2030 sales (rho with the effect):\n");
    for p in u["parameters_by_influence"]
        .as_array()
        .into_iter()
        .flatten()
        .take(5)
    {
        s.push_str(&format!(
            "      {:<45} {:+.2} ({:+.2})\n",
            p["key"].as_str().unwrap_or(""),
            f(p, "spearman_policy_sales"),
            f(p, "spearman_effect")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::network_table;
    use serde_json::json;

    fn ci(mean: Option<f64>) -> serde_json::Value {
        match mean {
            Some(m) => json!({"n": 3, "mean": m, "ci95_low": m - 1.0, "ci95_high": m + 1.0}),
            None => json!({"n": 0, "mean": null, "ci95_low": null, "ci95_high": null}),
        }
    }

    fn network(treated: f64, jobs: Option<f64>, direct: f64) -> serde_json::Value {
        json!({
            "leakage_purchases_from_capital_krw": ci(Some(-1e9)),
            "capital_share_of_noncapital_purchases_change_pp": ci(Some(0.1)),
            "jobs_per_bn_krw": {"treated": ci(jobs), "network": ci(jobs)},
            "followed_firms_mean": {"treated": treated, "network": 5.0 * treated},
            "direct_change_krw": ci(Some(direct)),
            "output_multiplier_direct_years": (0..16).map(|_| ci(Some(1.5))).collect::<Vec<_>>(),
            "output_multiplier": [{"region": "national", "n": 3, "mean": 1.7, "ci95_low": 1.6, "ci95_high": 1.8}],
        })
    }

    /// A policy without treated firms, spending or a direct change reads as a sentence, never
    /// as NaN; one with all three prints the figures.
    #[test]
    fn network_lines_say_what_is_missing_instead_of_nan() {
        let full = network_table(&network(600.0, Some(1.01), 2e12));
        assert!(
            full.contains("treated firms 1.01 [0.01, 2.01] (600 firms)"),
            "{full}"
        );
        assert!(full.contains("national 1.70 [1.60, 1.80]"), "{full}");
        for (text, says) in [
            (network_table(&network(0.0, None, 0.0)), "no firms treated"),
            (
                network_table(&network(600.0, None, 2e12)),
                "none (no programme spending; 600 treated firms, 3000 in their network)",
            ),
            (
                network_table(&network(0.0, None, 0.0)),
                "output multiplier: none",
            ),
        ] {
            assert!(text.contains(says), "{text}");
            assert!(!text.contains("NaN"), "{text}");
        }
    }
}
