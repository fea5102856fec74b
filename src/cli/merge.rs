//! `regsim merge DIR`: assembles a sharded sweep's or comparison's tables (the same files a
//! run on one machine writes, byte for byte) once every shard has staged its runs; refuses,
//! naming the missing run ids, while some are not.
//!
//! The ensemble is rebuilt from the folder's own definition (`sweep.json` / `pairs.json`: the
//! scenario files, `--set`s, design, replicates and seed), and the rebuilt definition must equal
//! the stored one, so a scenario file edited since the shards ran is refused, not merged.

use super::compare::{self, CompareArgs};
use super::sweep::{self, Format, SweepArgs};
use anyhow::{Context, Result, anyhow, bail};
use regsim::ensemble::compare::pending_pairs_among;
use regsim::ensemble::shard::compact_ids;
use regsim::ensemble::sweep::pending_among;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Output folder the shards of a sweep or comparison staged into.
    pub dir: PathBuf,
    /// Table format of a sweep: csv (runs.csv, summary.csv), or parquet (runs.parquet as well).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Skip charts and the HTML report.
    #[arg(long)]
    pub no_charts: bool,
}

pub fn run(args: MergeArgs) -> Result<()> {
    let dir = &args.dir;
    if !dir.is_dir() {
        bail!("{}: no such folder", dir.display());
    }
    let started = Instant::now();
    let sweep_file = dir.join("sweep.json");
    let pairs_file = dir.join("pairs.json");
    if sweep_file.exists() {
        let def = read_definition(&sweep_file)?;
        let argv = sweep_argv(&def).ok_or_else(|| malformed(&sweep_file))?;
        let a: SweepArgs = rebuild("sweep", argv, dir, &sweep_file)?;
        let p = sweep::prepare(&a)?;
        super::check_definition(dir, &sweep_file, &p.definition, "sweep")?;
        let missing = pending_among(dir, &p.plan, 0..p.plan.runs(), true)?;
        refuse_missing(dir, &missing, p.plan.runs(), "runs")?;
        sweep::finish(&p, args.format, None, args.no_charts, a.lang, 0, started)
    } else if pairs_file.exists() {
        if args.format != Format::Csv {
            bail!(
                "--format parquet: only a sweep folder has a Parquet table; {} is a comparison",
                dir.display()
            );
        }
        let def = read_definition(&pairs_file)?;
        let argv = compare_argv(&def).ok_or_else(|| malformed(&pairs_file))?;
        let a: CompareArgs = rebuild("compare", argv, dir, &pairs_file)?;
        let p = compare::prepare(&a)?;
        super::check_definition(dir, &pairs_file, &p.definition, "comparison")?;
        let missing = pending_pairs_among(dir, &p.plan, 0..p.plan.pairs(), true)?;
        refuse_missing(dir, &missing, p.plan.pairs(), "pairs")?;
        compare::finish(&p, None, args.no_charts, a.lang, 0, started)
    } else {
        bail!(
            "{}: no sweep.json or pairs.json: not a sweep or comparison folder (allowed: a folder written by `regsim sweep` or `regsim compare`, e.g. with --shard K/N)",
            dir.display()
        )
    }
}

/// The arguments that rebuild the sweep a `sweep.json` describes (keys as `sweep::prepare`
/// writes them; `sets` already holds `--scale` as `scale=...`).
fn sweep_argv(def: &Value) -> Option<Vec<String>> {
    let mut argv = vec![def["scenario_file"].as_str()?.to_string()];
    for (flag, key) in [("--set", "sets"), ("--vary", "vary")] {
        for v in def[key].as_array()? {
            argv.extend([flag.to_string(), v.as_str()?.to_string()]);
        }
    }
    argv.extend(["--design".into(), def["design"].as_str()?.to_string()]);
    if let Some(n) = def["samples"].as_u64() {
        argv.extend(["--samples".into(), n.to_string()]);
    }
    argv.extend(replicates_and_seed(def)?);
    Some(argv)
}

/// The arguments that rebuild the comparison a `pairs.json` describes.
fn compare_argv(def: &Value) -> Option<Vec<String>> {
    let mut argv = vec![
        def["baseline_file"].as_str()?.to_string(),
        def["policy_file"].as_str()?.to_string(),
    ];
    for v in def["sets"].as_array()? {
        argv.extend(["--set".to_string(), v.as_str()?.to_string()]);
    }
    argv.extend(replicates_and_seed(def)?);
    argv.extend([
        "--attribution".to_string(),
        def["attribution_request"].as_str()?.to_string(),
        "--permutations".to_string(),
        def["permutations"].as_u64()?.to_string(),
    ]);
    if let Some(file) = def["uncertainty_file"].as_str() {
        argv.extend([
            "--uncertainty".to_string(),
            file.to_string(),
            "--samples".to_string(),
            def["samples"].as_u64()?.to_string(),
        ]);
    }
    Some(argv)
}

fn replicates_and_seed(def: &Value) -> Option<[String; 4]> {
    Some([
        "--replicates".into(),
        def["replicates"].as_u64()?.to_string(),
        "--seed".into(),
        def["seed"].as_u64()?.to_string(),
    ])
}

fn read_definition(file: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", file.display()))
}

fn malformed(file: &Path) -> anyhow::Error {
    anyhow!(
        "{}: lacks the keys merge rebuilds the ensemble from (scenario files, sets, replicates, seed); written by an older regsim? rerun the ensemble",
        file.display()
    )
}

/// Parses the rebuilt arguments with the command's own clap definition (so defaults of flags
/// the definition does not store apply as on the command line).
fn rebuild<T: clap::Args + clap::FromArgMatches>(
    name: &'static str,
    mut argv: Vec<String>,
    dir: &Path,
    file: &Path,
) -> Result<T> {
    argv.extend(["--out".to_string(), dir.display().to_string()]);
    let cmd = T::augment_args(clap::Command::new(name));
    let parsed = cmd
        .try_get_matches_from(std::iter::once(name.to_string()).chain(argv))
        .and_then(|m| T::from_arg_matches(&m));
    parsed.map_err(|e| {
        let first = e.to_string();
        anyhow!(
            "{}: cannot rebuild the {name} from it: {}",
            file.display(),
            first
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
        )
    })
}

/// The error when some runs are not staged: how many, which (compact ranges), what to do.
fn refuse_missing(dir: &Path, missing: &[u64], total: u64, unit: &str) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    bail!(
        "{}: {} of {total} {unit} not staged yet (ids {}); finish their shards (the same command with --resume --shard K/N, or `regsim slurm ... --resume --submit`), then merge again",
        dir.display(),
        missing.len(),
        compact_ids(missing, 12)
    )
}
