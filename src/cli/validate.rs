//! `regsim validate`: run a scenario for several seeds and compare it with published figures
//! and firm-dynamics facts; print the table, write validation.csv and the data behind the
//! distributional targets; exit 1 when a target fails.

use super::{ScenarioArgs, load, with_threads};
use anyhow::Result;
use regsim::output::{build_info, prepare_dir, write_csv, write_json, write_national};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    #[arg(default_value = "scenarios/baseline.toml")]
    pub scenario: PathBuf,
    /// Override one scenario value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Agents per real firm (overrides the scenario's `scale`).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Number of seeds (runs); seeds are --seed, --seed + 1, ...
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// First seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/validate-<scenario-name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write into a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// Skip charts and the HTML report.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub lang: super::LangArg,
}

/// Returns whether every target passed.
pub fn run(args: ValidateArgs) -> Result<bool> {
    anyhow::ensure!(
        args.seeds >= 1,
        "--seeds {}: allowed: 1 or more",
        args.seeds
    );
    let scn = load(&ScenarioArgs {
        scenario: args.scenario.clone(),
        sets: args.sets.clone(),
        scale: args.scale,
        max_memory: None,
    })?;
    anyhow::ensure!(
        args.seeds <= 10_000,
        "--seeds {}: allowed: 1 to 10000",
        args.seeds
    );
    let first = args.seed.unwrap_or(scn.seed);
    let seeds: Vec<u64> = (0..args.seeds).map(|i| first.wrapping_add(i)).collect();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("validate-{}", scn.name)));
    let _lock = super::take_folder(&out, true)?;
    prepare_dir(&out, args.force)?;
    let started = Instant::now();
    let v = with_threads(args.threads, || regsim::validate::validate(&scn, &seeds))?;

    write_csv(&out.join("validation.csv"), &v.targets)?;
    write_csv(&out.join("size_ccdf.csv"), &v.size_ccdf)?;
    write_csv(&out.join("size_tail_fit.csv"), [&v.tail_fit])?;
    write_csv(&out.join("growth_hist.csv"), &v.growth_hist)?;
    #[derive(serde::Serialize)]
    struct SurvivalRow {
        age_months: usize,
        survival: f64,
    }
    write_csv(
        &out.join("survival.csv"),
        v.survival
            .iter()
            .enumerate()
            .map(|(age_months, &survival)| SurvivalRow {
                age_months,
                survival,
            }),
    )?;
    write_csv(&out.join("regions.csv"), &v.first_run.regions)?;
    write_national(&out.join("national.csv"), &v.first_run.national)?;
    let (version, commit) = build_info();
    let passed = v.targets.iter().filter(|t| t.pass).count();
    write_json(
        &out.join("manifest.json"),
        &serde_json::json!({
            "regsim_version": version,
            "git_commit": commit,
            "command": "validate",
            "scenario_name": scn.name,
            "scenario_file": scn.file.display().to_string(),
            "seed": first,
            "seeds": seeds,
            "scale": scn.scale,
            "start_year": scn.start_year,
            "end_year": scn.end_year,
            "wall_time_s": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            "targets": v.targets.len(),
            "passed": passed,
            "scenario": scn.raw,
            "files": ["validation.csv", "size_ccdf.csv", "size_tail_fit.csv", "growth_hist.csv",
                      "survival.csv", "regions.csv", "national.csv"],
        }),
    )?;

    println!(
        "{:<78} {:>12} {:>12} {:>12}  result",
        "target", "model", "low", "high"
    );
    for t in &v.targets {
        println!(
            "{:<78} {:>12} {:>12} {:>12}  {}",
            t.target,
            fmt(t.model),
            fmt(t.low),
            fmt(t.high),
            if t.pass { "pass" } else { "FAIL" }
        );
    }
    println!(
        "{passed}/{} targets pass ({} seeds, scale {}); sources in validation.csv -> {}",
        v.targets.len(),
        seeds.len(),
        scn.scale,
        out.display()
    );
    if !args.no_charts {
        super::charts_and_report(&out, args.lang)?;
    }
    Ok(passed == v.targets.len())
}

fn fmt(x: f64) -> String {
    if x.is_infinite() {
        "inf".into()
    } else if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}
