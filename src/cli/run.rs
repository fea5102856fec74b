//! `regsim run`: one scenario, one seed -> manifest.json, regions.csv, national.csv
//! (programs.csv when the scenario has programmes; firms.csv with --firm-snapshots).

use super::{ScenarioArgs, load, with_threads};
use anyhow::{Context, Result};
use regsim::metrics::firm_rows;
use regsim::output::{CsvFile, build_info, prepare_dir, write_csv, write_json, write_national};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Run seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: output/<scenario-name>-seed<N>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Also write firms.csv: every firm at every year end.
    #[arg(long)]
    pub firm_snapshots: bool,
    /// Write into a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// Skip charts and the HTML report.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub lang: super::LangArg,
}

pub fn run(args: RunArgs) -> Result<()> {
    let scn = load(&args.scenario)?;
    let seed = args.seed.unwrap_or(scn.seed);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-seed{seed}", scn.name)));
    super::guard(&scn, 1, 1, 1, args.scenario.max_memory)?;
    let _lock = super::take_folder(&out, true)?;
    prepare_dir(&out, args.force)?;

    let started = Instant::now();
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let mut firms_csv = if args.firm_snapshots {
        Some(CsvFile::create(&out.join("firms.csv"))?)
    } else {
        None
    };
    let bar = indicatif::ProgressBar::new(u64::from(scn.months() / 12));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} years, {elapsed}")
            .expect("valid template"),
    );
    bar.set_message(format!("{} seed {seed}", scn.name));
    let result = with_threads(args.threads, || {
        regsim::sim::simulate(&scn, seed, |year, world| -> Result<()> {
            if let Some(csv) = firms_csv.as_mut() {
                for row in firm_rows(year, world) {
                    csv.write(&row)?;
                }
            }
            bar.inc(1);
            Ok(())
        })
    })??;
    bar.finish_and_clear();
    if let Some(csv) = firms_csv {
        csv.commit()?;
    }
    write_csv(&out.join("regions.csv"), &result.regions)?;
    write_national(&out.join("national.csv"), &result.national)?;
    let has_programs = !result.programs.is_empty();
    if has_programs {
        write_csv(&out.join("programs.csv"), &result.programs)?;
    }
    let has_flows = !result.flows.is_empty();
    if has_flows {
        write_csv(&out.join("flows.csv"), &result.flows)?;
    }
    let wall = started.elapsed().as_secs_f64();
    let (version, commit) = build_info();
    let mut files = vec!["regions.csv", "national.csv"];
    if has_programs {
        files.push("programs.csv");
    }
    if has_flows {
        files.push("flows.csv");
    }
    if args.firm_snapshots {
        files.push("firms.csv");
    }
    let manifest = serde_json::json!({
        "regsim_version": version,
        "git_commit": commit,
        "command": "run",
        "scenario_name": scn.name,
        "scenario_file": scn.file.display().to_string(),
        "seed": seed,
        "scale": scn.scale,
        "threads": threads,
        "start_year": scn.start_year,
        "end_year": scn.end_year,
        "wall_time_s": (wall * 1000.0).round() / 1000.0,
        "scenario": scn.raw,
        "files": files,
    });
    write_json(&out.join("manifest.json"), &manifest)?;

    let first = result
        .national
        .first()
        .context("the run produced no years")?;
    let last = result
        .national
        .last()
        .context("the run produced no years")?;
    eprintln!(
        "{} seed {seed}: {} months in {wall:.1} s -> {}",
        scn.name,
        scn.months(),
        out.display()
    );
    eprintln!(
        "  non-capital SME sales {:.0} -> {:.0} trn KRW; employment {:.2} -> {:.2} M; capital share of VC {}",
        first.noncapital_sme_sales_krw / 1e12,
        last.noncapital_sme_sales_krw / 1e12,
        first.totals.employment / 1e6,
        last.totals.employment / 1e6,
        if last.capital_share_vc_investment.is_nan() {
            "undefined (no VC deal)".to_string()
        } else {
            format!("{:.0}%", 100.0 * last.capital_share_vc_investment)
        }
    );
    let cells: Vec<(&str, f64, f64)> = result
        .regions
        .iter()
        .map(|r| (r.region, r.vc_deals, r.startup_births))
        .collect();
    for w in regsim::metrics::small_sample_warnings(&cells, 1.0 / scn.startup_scale) {
        eprintln!("  {w}");
    }
    if !args.no_charts {
        super::charts_and_report(&out, args.lang)?;
    }
    Ok(())
}
