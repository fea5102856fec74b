//! `regsim sweep`: every (parameter point, replicate) of one scenario -> runs.csv, summary.csv,
//! manifest.json, sweep.json (the definition `--resume` checks) and the staged `runs/`.

use super::{ScenarioArgs, load, with_threads};
use anyhow::{Context, Result, bail};
use regsim::ensemble::design::{Design, Vary, points};
use regsim::ensemble::sweep::{SweepPlan, assemble, pending_runs, run_sweep, write_runs_parquet};
use regsim::output::{build_info, prepare_dir, write_json};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Replicates per parameter point.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=super::MAX_REPLICATES))]
    pub replicates: u64,
    /// A varied key: KEY=V1,V2,... (grid) or KEY=LOW..HIGH (lhs) (repeatable).
    #[arg(long = "vary", value_name = "KEY=V1,V2|KEY=LOW..HIGH")]
    pub vary: Vec<String>,
    /// How points are laid out: grid (cartesian product) or lhs (Latin hypercube).
    #[arg(long, default_value = "grid")]
    pub design: String,
    /// Number of Latin-hypercube points (with --design lhs), 1 to 10,000.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub samples: Option<u64>,
    /// Master seed; replicate i runs with a seed derived from it and i (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/<scenario-name>-sweep-seed<N>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write into a non-empty output folder (starts the sweep afresh).
    #[arg(long)]
    pub force: bool,
    /// Continue an interrupted sweep in --out: run only the missing runs.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Table format: csv (runs.csv, summary.csv), or parquet (runs.parquet as well).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Skip charts and the HTML report.
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

/// A varied value as JSON: a number when it reads as one, else the text.
pub fn value_json(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        json!(i)
    } else if let Ok(f) = text.parse::<f64>() {
        json!(f)
    } else {
        json!(text)
    }
}

pub fn run(args: SweepArgs) -> Result<()> {
    if args.replicates == 0 {
        bail!("--replicates 0: allowed: 1 or more");
    }
    let base = load(&args.scenario)?;
    let seed = args.seed.unwrap_or(base.seed);
    let varies = args
        .vary
        .iter()
        .map(|v| Vary::parse(v))
        .collect::<Result<Vec<_>, _>>()?;
    let design = Design::parse(&args.design, args.samples)?;
    let pts = points(&varies, design, seed)?;
    let keys: Vec<String> = varies.iter().map(|v| v.key.clone()).collect();
    let mut sets = args.scenario.sets.clone();
    if let Some(scale) = args.scenario.scale {
        sets.push(super::scale_set(scale));
    }
    let plan = SweepPlan::load(
        &args.scenario.scenario,
        &sets,
        keys.clone(),
        pts,
        args.replicates,
        seed,
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-sweep-seed{seed}", base.name)));
    let points_json: Vec<Value> = plan
        .points
        .iter()
        .map(|p| {
            Value::Object(
                keys.iter()
                    .zip(p)
                    .map(|(k, v)| (k.clone(), value_json(v)))
                    .collect(),
            )
        })
        .collect();
    let (version, commit) = build_info();
    let definition = json!({
        "regsim_version": version,
        "git_commit": commit,
        "scenario": base.raw,
        "sets": sets,
        "vary": args.vary,
        "design": design.name(),
        "samples": args.samples,
        "points": points_json,
        "replicates": args.replicates,
        "seed": seed,
    });
    let definition_file = out.join("sweep.json");
    let concurrent = args.threads.unwrap_or_else(rayon::current_num_threads) as u64;
    let runs = (plan.points.len() as u64)
        .checked_mul(args.replicates)
        .context("--replicates times the number of points overflows")?;
    let largest = plan
        .scenarios
        .iter()
        .max_by(|a, b| a.scale.total_cmp(&b.scale))
        .context("the sweep has no points")?;
    super::guard(
        largest,
        runs,
        concurrent,
        args.replicates,
        args.scenario.max_memory,
    )?;
    let _lock = super::take_folder(&out, true)?;
    if args.resume {
        super::check_definition(&out, &definition_file, &definition, "sweep")?;
    } else {
        // With --force this removes the staged runs of an earlier sweep (and only them).
        prepare_dir(&out, args.force)?;
    }
    write_json(&definition_file, &definition)?;

    let started = Instant::now();
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let pending = pending_runs(&out, &plan, args.resume)?;
    let total = plan.runs();
    if args.resume {
        eprintln!(
            "{}: {} of {total} runs staged, {} to run",
            out.display(),
            total - pending.len() as u64,
            pending.len()
        );
    }
    let bar = super::progress_bar(pending.len() as u64, "runs");
    bar.set_message(format!(
        "{} x {} replicates",
        plan.points.len(),
        args.replicates
    ));
    with_threads(args.threads, || {
        run_sweep(&out, &plan, &pending, &|| bar.inc(1))
    })??;
    bar.finish_and_clear();
    assemble(&out, &plan)?;
    let mut files = vec!["runs.csv", "summary.csv", "sweep.json"];
    if args.format == Format::Parquet {
        write_runs_parquet(&out, &plan)?;
        files.push("runs.parquet");
    }
    let wall = started.elapsed().as_secs_f64();
    let manifest = json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "sweep",
        "scenario_name": base.name,
        "scenario_file": base.file.display().to_string(),
        "seed": seed,
        "scale": base.scale,
        "threads": threads,
        "start_year": base.start_year,
        "end_year": base.end_year,
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "scenario": base.raw,
        "replicates": args.replicates,
        "design": design.name(),
        "varied_keys": keys,
        "points": points_json,
        "files": files,
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    eprintln!(
        "{} sweep seed {seed}: {} points x {} replicates = {total} runs ({} run now) in {wall:.1} s -> {}",
        base.name,
        plan.points.len(),
        args.replicates,
        pending.len(),
        out.display()
    );
    if !args.no_charts {
        super::charts_and_report(&out)?;
    }
    Ok(())
}
