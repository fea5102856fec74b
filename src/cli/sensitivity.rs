//! `regsim sensitivity`: a global sensitivity study of a scenario over an `[uncertainty]`
//! table (Morris screening or Sobol indices) -> design.csv, outputs.csv, sensitivity.csv,
//! manifest.json, a chart per output, and the staged runs (`runs/`, `against/runs/`) that
//! `--resume` continues. The design's points run as a sweep (`ensemble::sweep`); the
//! estimators are `analysis::morris` and `analysis::sobol`.

use super::compare::has_key;
use super::{ScenarioArgs, load, with_threads};
use anyhow::{Context, Result, bail};
use regsim::analysis::morris::{morris_design, morris_indices};
use regsim::analysis::sobol::{saltelli_design, sobol_indices};
use regsim::ensemble::Staging;
use regsim::ensemble::gsa::{Output, design_values, morris_quantile, point_outputs};
use regsim::ensemble::sweep::{SweepPlan, pending_among, run_sweep};
use regsim::output::{build_info, write_bytes, write_json};
use regsim::scenario::Scenario;
use regsim::scenario::uncertainty::Uncertainty;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Parameter ranges (TOML, `[uncertainty]`, as for compare --uncertainty).
    #[arg(long, value_name = "FILE")]
    pub uncertainty: PathBuf,
    /// morris (elementary effects: screening, (k + 1) x trajectories points) or sobol
    /// (first-order and total indices: (k + 2) x samples points).
    #[arg(long, value_enum, default_value_t = Method::Morris)]
    pub method: Method,
    /// Morris trajectories.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub trajectories: u64,
    /// Morris grid levels (even).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub levels: u64,
    /// Sobol base samples N (a power of two is best; at most 65,536).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(2..=65_536))]
    pub samples: u64,
    /// Sobol: second-order indices too ((2k + 2) x samples points).
    #[arg(long)]
    pub second_order: bool,
    /// Output metric (repeatable; default noncapital_sme_sales_krw).
    #[arg(long = "metric", value_name = "METRIC")]
    pub metrics: Vec<String>,
    /// Region id or national (repeatable; default national).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Year (repeatable; default the scenario's last year).
    #[arg(long = "year", value_name = "YEAR")]
    pub years: Vec<i32>,
    /// Study the effect of the scenario against this one: the output is the paired
    /// difference scenario - against (same seeds per replicate).
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    /// Replicates (seeds) per design point, averaged.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=super::MAX_REPLICATES))]
    pub replicates: u64,
    /// Bootstrap resamples for the confidence intervals.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub resamples: u64,
    /// Master seed (design scrambling and replicate seeds; default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/<name>-sensitivity-<method>-seed<N>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write into a non-empty output folder (starts afresh).
    #[arg(long)]
    pub force: bool,
    /// Continue an interrupted study in --out: run only the missing runs (also: re-analyse
    /// finished runs for other --metric/--region/--year).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Skip charts.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub lang: super::LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Morris,
    Sobol,
}

/// The outputs asked for: every (metric, region, year) combination.
pub fn outputs(
    metrics: &[String],
    regions: &[String],
    years: &[i32],
    scn: &Scenario,
) -> Result<Vec<Output>> {
    let metrics = if metrics.is_empty() {
        vec!["noncapital_sme_sales_krw".to_string()]
    } else {
        metrics.to_vec()
    };
    let regions = if regions.is_empty() {
        vec!["national".to_string()]
    } else {
        regions.to_vec()
    };
    let years = if years.is_empty() {
        vec![scn.end_year]
    } else {
        years.to_vec()
    };
    let mut out = Vec::new();
    for m in &metrics {
        for r in &regions {
            for &y in &years {
                out.push(Output::new(m, r, y, scn).map_err(anyhow::Error::msg)?);
            }
        }
    }
    Ok(out)
}

/// The uncertainty table, refusing keys neither scenario has; keys of policy levers none of
/// the scenarios has are left out with a note (as `compare --uncertainty` does), so the
/// default ranges serve a baseline too.
pub fn checked_table(file: &Path, scenarios: &[&Scenario]) -> Result<Uncertainty> {
    let mut table = Uncertainty::load(file)?;
    let mut unused = Vec::new();
    for p in &table.params {
        if scenarios.iter().any(|s| has_key(s, &p.key)) {
            continue;
        }
        if p.key.starts_with("policy.") {
            unused.push(p.key.clone());
        } else {
            bail!(
                "{}: {}: not a value of the scenario{}; allowed: a scalar key such as firms.exit_loss_months",
                file.display(),
                p.key,
                if scenarios.len() > 1 { "s" } else { "" }
            );
        }
    }
    if !unused.is_empty() {
        eprintln!(
            "{}: {} keys of levers the scenario{} lack{} are left out: {}",
            file.display(),
            unused.len(),
            if scenarios.len() > 1 { "s" } else { "" },
            if scenarios.len() > 1 { "" } else { "s" },
            unused.join(", ")
        );
        table.params.retain(|p| !unused.contains(&p.key));
    }
    if table.params.is_empty() {
        bail!("{}: no parameter the scenario has", file.display());
    }
    Ok(table)
}

/// A sweep over the design's points of the keys `scn` has.
fn plan_for(
    file: &Path,
    scn: &Scenario,
    sets: &[String],
    table: &Uncertainty,
    values: &[Vec<f64>],
    replicates: u64,
    seed: u64,
) -> Result<SweepPlan> {
    let keep: Vec<usize> = (0..table.params.len())
        .filter(|&i| has_key(scn, &table.params[i].key))
        .collect();
    let keys = keep.iter().map(|&i| table.params[i].key.clone()).collect();
    let points = values
        .iter()
        .map(|row| keep.iter().map(|&i| format!("{}", row[i])).collect())
        .collect();
    Ok(SweepPlan::load(file, sets, keys, points, replicates, seed)?)
}

/// CSV text from a header and rows of fields.
pub(super) fn csv_text(
    header: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn run(args: SensitivityArgs) -> Result<()> {
    let base = load(&args.scenario)?;
    let mut sets = args.scenario.sets.clone();
    if let Some(scale) = args.scenario.scale {
        sets.push(super::scale_set(scale));
    }
    let against = match &args.against {
        Some(f) => {
            let a = Scenario::load(f, &sets)?;
            if (a.start_year, a.end_year) != (base.start_year, base.end_year) {
                bail!(
                    "{}: runs {}-{} but {} runs {}-{}: --against needs the same years",
                    f.display(),
                    a.start_year,
                    a.end_year,
                    args.scenario.scenario.display(),
                    base.start_year,
                    base.end_year
                );
            }
            Some(a)
        }
        None => None,
    };
    let mut scenarios = vec![&base];
    scenarios.extend(against.as_ref());
    let table = checked_table(&args.uncertainty, &scenarios)?;
    let outs = outputs(&args.metrics, &args.regions, &args.years, &base)?;
    let seed = args.seed.unwrap_or(base.seed);
    let k = table.params.len();
    let levels = args.levels as usize;
    let (unit, values) = match args.method {
        Method::Morris => {
            let unit = morris_design(k, args.trajectories as usize, levels, seed)?;
            let values = design_values(&table, &unit, |x| morris_quantile(x, levels));
            (unit, values)
        }
        Method::Sobol => {
            let unit = saltelli_design(k, args.samples as usize, args.second_order, seed)?;
            let values = design_values(&table, &unit, |u| u);
            (unit, values)
        }
    };
    let method = match args.method {
        Method::Morris => "morris",
        Method::Sobol => "sobol",
    };
    let plan = plan_for(
        &args.scenario.scenario,
        &base,
        &sets,
        &table,
        &values,
        args.replicates,
        seed,
    )?;
    let against_plan = match (&args.against, &against) {
        (Some(f), Some(a)) => Some(plan_for(
            f,
            a,
            &sets,
            &table,
            &values,
            args.replicates,
            seed,
        )?),
        _ => None,
    };
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-sensitivity-{method}-seed{seed}", base.name))
    });
    let against_dir = out.join("against");
    let (version, commit) = build_info();
    let definition = json!({
        "regsim_version": version,
        "git_commit": commit,
        "scenario_file": super::shard::absolute(&args.scenario.scenario),
        "scenario": base.raw,
        "against_file": args.against.as_deref().map(super::shard::absolute),
        "against": against.as_ref().map(|a| &a.raw),
        "sets": sets,
        "uncertainty_file": super::shard::absolute(&args.uncertainty),
        "parameters": table.params.iter().map(|p| json!({"key": p.key, "dist": format!("{:?}", p.dist), "integer": p.integer})).collect::<Vec<_>>(),
        "method": method,
        "trajectories": args.trajectories,
        "levels": args.levels,
        "samples": args.samples,
        "second_order": args.second_order,
        "replicates": args.replicates,
        "seed": seed,
    });
    let runs = plan.runs() * if against_plan.is_some() { 2 } else { 1 };
    let concurrent = args.threads.unwrap_or_else(rayon::current_num_threads) as u64;
    super::guard(
        &base,
        runs,
        concurrent,
        args.replicates,
        args.scenario.max_memory,
    )?;
    let _lock = super::take_folder(&out, true)?;
    super::shard::open_folder(
        &out,
        &out.join("sensitivity.json"),
        &definition,
        "runs",
        "sensitivity study",
        args.resume,
        args.force,
    )?;
    if !args.resume && against_dir.is_dir() {
        std::fs::remove_dir_all(&against_dir)
            .with_context(|| format!("{}: cannot clear", against_dir.display()))?;
    }
    let started = Instant::now();
    let pending = pending_among(&out, &plan, 0..plan.runs(), args.resume)?;
    let pending_against = match &against_plan {
        Some(a) => pending_among(&against_dir, a, 0..a.runs(), args.resume)?,
        None => Vec::new(),
    };
    let todo = pending.len() + pending_against.len();
    eprintln!(
        "{method}: {k} parameters, {} design points x {} replicates{} = {runs} runs ({todo} to run)",
        plan.points.len(),
        args.replicates,
        if against_plan.is_some() {
            " x 2 scenarios"
        } else {
            ""
        }
    );
    let bar = super::progress_bar(todo as u64, "runs");
    bar.set_message(format!("{method} on {}", base.name));
    with_threads(args.threads, || -> Result<()> {
        run_sweep(&out, &plan, &pending, Staging::Exclusive, &|| bar.inc(1))?;
        if let Some(a) = &against_plan {
            run_sweep(
                &against_dir,
                a,
                &pending_against,
                Staging::Exclusive,
                &|| bar.inc(1),
            )?;
        }
        Ok(())
    })??;
    bar.finish_and_clear();
    let against_ref = against_plan.as_ref().map(|a| (against_dir.as_path(), a));
    let po = point_outputs(&out, &plan, against_ref, &outs)?;
    let keys = table.keys();

    // design.csv: the unit-cube coordinates (what SALib reads) and the values applied.
    let mut header = vec!["point".to_string()];
    header.extend(keys.iter().map(|k| format!("unit:{k}")));
    header.extend(keys.iter().cloned());
    let rows = unit.iter().zip(&values).enumerate().map(|(i, (u, v))| {
        let mut r = vec![i.to_string()];
        r.extend(u.iter().map(|x| x.to_string()));
        r.extend(v.iter().map(|x| x.to_string()));
        r
    });
    write_bytes(&out.join("design.csv"), &csv_text(&header, rows)?)?;

    // outputs.csv: per point and output, the mean and sd over replicates.
    let header: Vec<String> = [
        "point",
        "metric",
        "region",
        "year",
        "mean",
        "sd",
        "replicates",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for (o, output) in outs.iter().enumerate() {
        let (means, sds) = (po.means(o), po.sds(o));
        for p in 0..plan.points.len() {
            rows.push(vec![
                p.to_string(),
                output.metric.clone(),
                output.region.clone(),
                output.year.to_string(),
                means[p].to_string(),
                sds[p].to_string(),
                args.replicates.to_string(),
            ]);
        }
    }
    write_bytes(&out.join("outputs.csv"), &csv_text(&header, rows)?)?;

    // sensitivity.csv
    let header: Vec<String> = regsim::ensemble::gsa::SENSITIVITY_COLUMNS
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    let mut table_text = String::new();
    for (o, output) in outs.iter().enumerate() {
        let row = |param: &str, index: &str, v: f64, lo: f64, hi: f64| {
            vec![
                param.to_string(),
                output.metric.clone(),
                output.region.clone(),
                output.year.to_string(),
                index.to_string(),
                v.to_string(),
                lo.to_string(),
                hi.to_string(),
            ]
        };
        let y = &po.means(o);
        let share = po.mc_share(o);
        let mut ranking: Vec<(String, f64, String)> = Vec::new();
        match args.method {
            Method::Morris => {
                let m = morris_indices(&unit, y, k, args.resamples as usize, seed)?;
                for (key, e) in keys.iter().zip(&m) {
                    rows.push(row(key, "mu", e.mu, f64::NAN, f64::NAN));
                    rows.push(row(
                        key,
                        "mu_star",
                        e.mu_star.value,
                        e.mu_star.ci_low,
                        e.mu_star.ci_high,
                    ));
                    rows.push(row(key, "sigma", e.sigma, f64::NAN, f64::NAN));
                    ranking.push((
                        key.clone(),
                        e.mu_star.value,
                        format!(
                            "mu* {:.4e} [{:.4e}, {:.4e}]  mu {:+.4e}  sigma {:.4e}",
                            e.mu_star.value, e.mu_star.ci_low, e.mu_star.ci_high, e.mu, e.sigma
                        ),
                    ));
                }
            }
            Method::Sobol => {
                let s = sobol_indices(y, k, args.second_order, args.resamples as usize, seed)?;
                for (i, key) in keys.iter().enumerate() {
                    let (s1, st) = (s.s1[i], s.st[i]);
                    rows.push(row(key, "S1", s1.value, s1.ci_low, s1.ci_high));
                    rows.push(row(key, "ST", st.value, st.ci_low, st.ci_high));
                    ranking.push((
                        key.clone(),
                        st.value,
                        format!(
                            "ST {:.3} [{:.3}, {:.3}]  S1 {:.3} [{:.3}, {:.3}]",
                            st.value, st.ci_low, st.ci_high, s1.value, s1.ci_low, s1.ci_high
                        ),
                    ));
                }
                for i in 0..s.s2.len() {
                    for j in i + 1..s.s2.len() {
                        let e = s.s2[i][j];
                        let pair = format!("{}:{}", keys[i], keys[j]);
                        rows.push(row(&pair, "S2", e.value, e.ci_low, e.ci_high));
                    }
                }
            }
        }
        rows.push(row(
            "monte_carlo",
            "mc_variance_share",
            share,
            f64::NAN,
            f64::NAN,
        ));
        ranking.sort_by(|a, b| b.1.total_cmp(&a.1));
        table_text.push_str(&format!(
            "{} ({}): Monte Carlo share of the design's variance {:.3}{}\n",
            output.label(),
            if args.against.is_some() {
                "scenario - against"
            } else {
                "mean over replicates"
            },
            share,
            if share.is_nan() {
                " (one replicate: unknown; use --replicates 2 or more)"
            } else if share > 0.2 {
                " (high: indices partly measure seed noise; add --replicates)"
            } else {
                ""
            }
        ));
        for (rank, (key, _, text)) in ranking.iter().enumerate().take(15) {
            table_text.push_str(&format!("  {:>2}. {key:<45} {text}\n", rank + 1));
        }
    }
    write_bytes(&out.join("sensitivity.csv"), &csv_text(&header, rows)?)?;
    let wall = started.elapsed().as_secs_f64();
    let files = vec![
        "design.csv",
        "outputs.csv",
        "sensitivity.csv",
        "sensitivity.json",
    ];
    let manifest = json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "sensitivity",
        "scenario_name": base.name,
        "scenario_file": base.file.display().to_string(),
        "scenario": base.raw,
        "against_file": args.against.as_ref().map(|f| f.display().to_string()),
        "method": method,
        "parameters": keys,
        "outputs": outs.iter().map(Output::label).collect::<Vec<_>>(),
        "design_points": plan.points.len(),
        "replicates": args.replicates,
        "runs": runs,
        "seed": seed,
        "scale": base.scale,
        "threads": args.threads.unwrap_or_else(rayon::current_num_threads),
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "files": files,
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    eprintln!(
        "{} sensitivity ({method}) seed {seed}: {runs} runs ({todo} run now) in {wall:.1} s -> {}",
        base.name,
        out.display()
    );
    print!("{table_text}");
    if !args.no_charts {
        let lang = super::lang_for_dir(args.lang, &out)?;
        let files = regsim::charts::render_dir(&out, lang)?;
        super::record_files(&out, &files, false)?;
        eprintln!("  {} chart files in charts/", files.len());
    }
    Ok(())
}
