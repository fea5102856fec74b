//! `regsim calibrate`: fits the parameters of an `[uncertainty]` table to target moments (the
//! `validate` targets, or a user's table) by the method of simulated moments with common
//! random numbers -> calibrated.toml (`extends` the input, only the fitted keys),
//! calibration.csv (every evaluation), fit.csv (each moment before and after, against its
//! band), calibration.json (estimates, standard errors, what the moments do not pin down),
//! charts, and the staged evaluations (`evals/`) that `--resume` replays.

use super::compare::has_key;
use super::sensitivity::{checked_table, csv_text};
use super::{ScenarioArgs, load, with_threads};
use anyhow::{Result, bail};
use rayon::prelude::*;
use regsim::analysis::optim::NelderMead;
use regsim::ensemble::calibrate::{
    Fit, Moment, eval_config, fit, moments_from_targets, read_eval, read_moments, simulate_moments,
    write_eval,
};
use regsim::ensemble::replicate_seed;
use regsim::output::{build_info, write_bytes, write_json};
use regsim::scenario::Scenario;
use regsim::scenario::uncertainty::Uncertainty;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The parameters to fit and their ranges (TOML, `[uncertainty]`).
    #[arg(long, value_name = "FILE")]
    pub uncertainty: PathBuf,
    /// Target moments (CSV: name,value,weight,source; default: the `validate` targets).
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Seeds per candidate (the same for every candidate: common random numbers).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub seeds: u64,
    /// Most evaluations of the search (Nelder-Mead), before the 2k of the Jacobian.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub max_evals: u64,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/<name>-calibrate-seed<N>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write into a non-empty output folder (starts afresh).
    #[arg(long)]
    pub force: bool,
    /// Continue an interrupted calibration in --out: replay the search, rerunning only the
    /// evaluations not staged.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Skip charts.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub lang: super::LangArg,
}

/// Central-difference step of the Jacobian, in unit-cube units.
const JACOBIAN_STEP: f64 = 0.05;

/// The scenario's value of a dotted key, if it is a number.
fn value_of(scn: &Scenario, key: &str) -> Option<f64> {
    let v = serde_json::to_value(&scn.raw).ok()?;
    key.split('.')
        .try_fold(&v, |v, part| v.get(part))
        .and_then(Value::as_f64)
}

/// The candidate at unit point `u`: the parameters' values and the scenario with them.
fn candidate(
    file: &Path,
    sets: &[String],
    base: &Scenario,
    table: &Uncertainty,
    u: &[f64],
) -> Result<(Vec<f64>, Scenario)> {
    let values: Vec<f64> = table
        .params
        .iter()
        .zip(u)
        .map(|(p, &u)| p.value_at(u))
        .collect();
    let sets = table.apply(sets, &values, |k| has_key(base, k));
    Ok((values, Scenario::load(file, &sets)?))
}

pub fn run(args: CalibrateArgs) -> Result<()> {
    let base = load(&args.scenario)?;
    let mut sets = args.scenario.sets.clone();
    if let Some(scale) = args.scenario.scale {
        sets.push(super::scale_set(scale));
    }
    let table = checked_table(&args.uncertainty, &[&base])?;
    let k = table.params.len();
    let master = args.seed.unwrap_or(base.seed);
    let seeds: Vec<u64> = (0..args.seeds).map(|i| replicate_seed(master, i)).collect();
    let file = args.scenario.scenario.clone();
    // Start from the scenario's own values (their quantiles in the ranges).
    let u0: Vec<f64> = table
        .params
        .iter()
        .map(|p| value_of(&base, &p.key).map_or(0.5, |v| p.dist.cdf(v)))
        .collect();
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-calibrate-seed{master}", base.name))
    });
    let concurrent = args.threads.unwrap_or_else(rayon::current_num_threads) as u64;
    super::guard(
        &base,
        args.seeds * (args.max_evals + 2 * k as u64 + 1),
        concurrent.min(args.seeds),
        1,
        args.scenario.max_memory,
    )?;
    let _lock = super::take_folder(&out, true)?;
    // The moments: a user's table, else every validate target with a finite band (their
    // names come from one validate run of the input scenario).
    let started = Instant::now();
    let probe = || {
        with_threads(args.threads, || {
            regsim::validate::validate(&base, &seeds[..1])
        })
    };
    let moments: Vec<Moment> = match &args.targets {
        Some(f) => {
            let needs_probe = std::fs::read_to_string(f)
                .map(|t| t.lines().skip(1).any(|l| l.split('@').count() != 3))
                .unwrap_or(false);
            let names: Vec<String> = if needs_probe {
                probe()?.targets.into_iter().map(|t| t.target).collect()
            } else {
                Vec::new()
            };
            read_moments(f, &base, |n| names.iter().any(|t| t == n)).map_err(anyhow::Error::msg)?
        }
        None => moments_from_targets(&probe()?.targets),
    };
    if moments.is_empty() {
        bail!(
            "{}: no target with a finite band to calibrate to",
            file.display()
        );
    }
    let (version, commit) = build_info();
    let definition = json!({
        "regsim_version": version,
        "git_commit": commit,
        "scenario_file": super::shard::absolute(&file),
        "scenario": base.raw,
        "sets": sets,
        "uncertainty_file": super::shard::absolute(&args.uncertainty),
        "parameters": table.params.iter().map(|p| json!({"key": p.key, "dist": format!("{:?}", p.dist), "integer": p.integer})).collect::<Vec<_>>(),
        // Numbers as text: JSON floats need not read back to the same bits.
        "moments": moments.iter().map(|m| json!({"name": m.name, "target": m.target.to_string(), "weight": m.weight.to_string()})).collect::<Vec<_>>(),
        "seeds": seeds.iter().map(u64::to_string).collect::<Vec<_>>(),
    });
    super::shard::open_folder(
        &out,
        &out.join("calibrate.json"),
        &definition,
        "evals",
        "calibration",
        args.resume,
        args.force,
    )?;
    eprintln!(
        "calibrate: {k} parameters to {} moments, {} seeds per candidate, at most {} + {} evaluations",
        moments.len(),
        seeds.len(),
        args.max_evals,
        2 * k
    );
    let bar = super::progress_bar(args.max_evals + 2 * k as u64, "evaluations");
    bar.set_message(format!("calibrating {}", base.name));
    let opts = NelderMead {
        max_evals: args.max_evals as usize,
        ..NelderMead::default()
    };
    let mut reused = 0;
    let result: Fit = with_threads(args.threads, || {
        fit(
            &u0,
            &moments,
            opts,
            JACOBIAN_STEP,
            |n, u| -> Result<Vec<Vec<f64>>> {
                let (_, scn) = candidate(&file, &sets, &base, &table, u)?;
                let config = eval_config(&serde_json::to_value(&scn.raw)?, &seeds, &moments);
                bar.inc(1);
                if let Some(staged) = read_eval(&out, n, config, seeds.len(), moments.len())? {
                    reused += 1;
                    return Ok(staged);
                }
                let per_seed: Vec<Vec<f64>> = seeds
                    .par_iter()
                    .map(|&s| simulate_moments(&scn, s, &moments))
                    .collect();
                write_eval(&out, n, config, &per_seed)?;
                Ok(per_seed)
            },
        )
    })??;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    write_outputs(&out, &args, &base, &table, &moments, &result, &sets)?;
    let best = &result.evaluations[result.best];
    let files = [
        "calibration.csv",
        "fit.csv",
        "calibration.json",
        "calibrated.toml",
        "calibrate.json",
    ];
    let manifest = json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "calibrate",
        "scenario_name": base.name,
        "scenario_file": base.file.display().to_string(),
        "scenario": base.raw,
        "seeds": seeds,
        "scale": base.scale,
        "threads": args.threads.unwrap_or_else(rayon::current_num_threads),
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "evaluations": result.evaluations.len(),
        "files": files,
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    eprintln!(
        "{} calibrated in {} evaluations ({} staged before) x {} seeds in {wall:.1} s -> {}",
        base.name,
        result.evaluations.len(),
        reused,
        seeds.len(),
        out.display()
    );
    println!(
        "loss {:.4} -> {:.4} ({} moments; {})",
        result.evaluations[0].loss,
        best.loss,
        moments.len(),
        if result.converged {
            "converged"
        } else {
            "stopped at --max-evals"
        }
    );
    for (i, p) in table.params.iter().enumerate() {
        let se_u = result.cov_u[i][i].sqrt();
        let (start, est) = (p.value_at(u0[i]), p.value_at(best.u[i]));
        let slope = (p.value_at((best.u[i] + 0.01).min(1.0))
            - p.value_at((best.u[i] - 0.01).max(0.0)))
            / ((best.u[i] + 0.01).min(1.0) - (best.u[i] - 0.01).max(0.0));
        println!(
            "  {:<45} {start} -> {est} (se {:.3e}; {:.2} of its range){}",
            p.key,
            se_u * slope.abs(),
            se_u,
            if result.weak[i] {
                "  NOT PINNED DOWN by these moments"
            } else {
                ""
            }
        );
    }
    if !args.no_charts {
        let lang = super::lang_for_dir(args.lang, &out)?;
        let files = regsim::charts::render_dir(&out, lang)?;
        super::record_files(&out, &files, false)?;
        eprintln!("  {} chart files in charts/", files.len());
    }
    Ok(())
}

/// calibration.csv, fit.csv, calibration.json and calibrated.toml.
fn write_outputs(
    out: &Path,
    args: &CalibrateArgs,
    base: &Scenario,
    table: &Uncertainty,
    moments: &[Moment],
    result: &Fit,
    sets: &[String],
) -> Result<()> {
    let keys = table.keys();
    let mut header = vec!["evaluation".to_string(), "phase".to_string()];
    header.extend(keys.iter().cloned());
    header.push("loss".into());
    header.extend(moments.iter().map(|m| m.name.clone()));
    let rows: Vec<Vec<String>> = result
        .evaluations
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let mut r = vec![n.to_string(), e.phase.name().to_string()];
            r.extend(
                table
                    .params
                    .iter()
                    .zip(&e.u)
                    .map(|(p, &u)| p.value_at(u).to_string()),
            );
            r.push(e.loss.to_string());
            r.extend(e.mean.iter().map(|v| v.to_string()));
            r
        })
        .collect();
    write_bytes(&out.join("calibration.csv"), &csv_text(&header, rows)?)?;

    let (start, best) = (&result.evaluations[0], &result.evaluations[result.best]);
    let header: Vec<String> = [
        "moment",
        "source",
        "target",
        "low",
        "high",
        "weight",
        "before",
        "after",
        "in_band_before",
        "in_band_after",
    ]
    .map(String::from)
    .to_vec();
    let inside = |m: &Moment, v: f64| (v >= m.low && v <= m.high).to_string();
    let rows: Vec<Vec<String>> = moments
        .iter()
        .enumerate()
        .map(|(i, m)| {
            vec![
                m.name.clone(),
                m.source.clone(),
                m.target.to_string(),
                m.low.to_string(),
                m.high.to_string(),
                m.weight.to_string(),
                start.mean[i].to_string(),
                best.mean[i].to_string(),
                inside(m, start.mean[i]),
                inside(m, best.mean[i]),
            ]
        })
        .collect();
    write_bytes(&out.join("fit.csv"), &csv_text(&header, rows)?)?;

    let params: Vec<Value> = table
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let u = best.u[i];
            let se_u = result.cov_u[i][i].sqrt();
            let (lo, hi) = ((u - 1.96 * se_u).max(0.0), (u + 1.96 * se_u).min(1.0));
            json!({
                "key": p.key,
                "start": p.value_at(start.u[i]),
                "estimate": p.value_at(u),
                "estimate_unit": u,
                "se_unit": se_u,
                "ci95": if se_u.is_finite() { json!([p.value_at(lo), p.value_at(hi)]) } else { Value::Null },
                "not_pinned_down": result.weak[i],
            })
        })
        .collect();
    let summary = json!({
        "loss_before": start.loss,
        "loss_after": best.loss,
        "converged": result.converged,
        "evaluations": result.evaluations.len(),
        "best_evaluation": result.best,
        "parameters": params,
        "curvature_eigenvalues": result.eigenvalues,
        "curvature_eigenvectors": result.eigenvectors,
        "moments": moments.len(),
        "moments_in_band_before": moments.iter().zip(&start.mean).filter(|(m, v)| **v >= m.low && **v <= m.high).count(),
        "moments_in_band_after": moments.iter().zip(&best.mean).filter(|(m, v)| **v >= m.low && **v <= m.high).count(),
    });
    write_json(&out.join("calibration.json"), &summary)?;

    let mut toml = format!(
        "# Written by regsim calibrate from {} over {} (--seeds {}; loss {:.4} -> {:.4}).\n",
        args.scenario.scenario.display(),
        args.uncertainty.display(),
        args.seeds,
        start.loss,
        best.loss
    );
    if !sets.is_empty() {
        toml.push_str(&format!(
            "# Calibrated with --set {} (not written here).\n",
            sets.join(" --set ")
        ));
    }
    toml.push_str(&format!(
        "extends = {:?}\nname = {:?}\n",
        super::shard::absolute(&args.scenario.scenario),
        format!("{}-calibrated", base.name)
    ));
    for (i, p) in table.params.iter().enumerate() {
        let (was, now) = (value_of(base, &p.key), p.value_at(best.u[i]));
        if was != Some(now) {
            toml.push_str(&format!("{} = {now}\n", p.key));
        }
    }
    write_bytes(&out.join("calibrated.toml"), toml.as_bytes())?;
    Ok(())
}
