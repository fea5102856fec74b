//! `regsim bench`: times a whole run per phase at a scale and thread counts, reports agent-steps
//! per second, thread scaling and peak memory, and appends the figures to a CSV so runs can
//! be compared over time.

use super::{ScenarioArgs, load, with_threads};
use anyhow::{Context, Result};
use regsim::output::{build_info, write_bytes};
use regsim::step::PHASES;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Scenario file (TOML).
    #[arg(default_value = "scenarios/baseline.toml")]
    pub scenario: PathBuf,
    /// Agents per real firm (default: the scenario's).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Thread counts to time, comma-separated (default: 1 and all cores).
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// CSV the figures are appended to.
    #[arg(long, default_value = "bench.csv")]
    pub out: PathBuf,
}

const HEADER: &str =
    "unix_time,git_commit,scale,threads,phase,seconds,firm_steps,firm_steps_per_s,peak_rss_mb\n";

pub fn run(args: BenchArgs) -> Result<()> {
    let scn = load(&ScenarioArgs {
        scenario: args.scenario.clone(),
        sets: vec![],
        scale: args.scale,
    })?;
    let mut threads = args.threads.clone();
    if threads.is_empty() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        threads = if cores > 1 { vec![1, cores] } else { vec![1] };
    }
    let (_, commit) = build_info();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut rows = String::new();
    let mut totals = Vec::new();
    println!(
        "{} at scale {} ({} months), seed {}",
        scn.name,
        scn.scale,
        scn.months(),
        args.seed
    );
    for &t in &threads {
        let started = Instant::now();
        let result = with_threads(Some(t), || regsim::sim::simulate_plain(&scn, args.seed))?;
        let wall = started.elapsed().as_secs_f64();
        let peak = peak_rss_mb();
        let rows_stepped = result.firm_rows_stepped as f64;
        println!("threads {t}: {wall:.2} s wall, peak RSS {peak:.0} MB");
        println!("  {:<10} {:>9} {:>18}", "phase", "seconds", "firm-steps/s");
        for (phase, d) in PHASES.iter().zip(result.timings) {
            let s = d.as_secs_f64();
            let rate = if s > 0.0 { rows_stepped / s } else { 0.0 };
            println!("  {phase:<10} {s:>9.3} {:>18}", human(rate));
            rows.push_str(&format!(
                "{now},{commit},{},{t},{phase},{s:.6},{rows_stepped},{rate:.0},{peak:.1}\n",
                scn.scale
            ));
        }
        let firm = result.timings[1].as_secs_f64() + result.timings[2].as_secs_f64();
        println!(
            "  firm update (plan + operate): {} firm-steps/s",
            human(rows_stepped / firm)
        );
        rows.push_str(&format!(
            "{now},{commit},{},{t},firm_update,{firm:.6},{rows_stepped},{:.0},{peak:.1}\n",
            scn.scale,
            rows_stepped / firm
        ));
        rows.push_str(&format!(
            "{now},{commit},{},{t},total,{wall:.6},{rows_stepped},{:.0},{peak:.1}\n",
            scn.scale,
            rows_stepped / wall
        ));
        totals.push((t, wall, firm));
    }
    if let (Some(first), Some(last)) = (totals.first(), totals.last())
        && last.0 > first.0
    {
        println!(
            "speed-up {} -> {} threads: whole run {:.2}x, firm update {:.2}x",
            first.0,
            last.0,
            first.1 / last.1,
            first.2 / last.2
        );
    }
    let mut text = std::fs::read_to_string(&args.out).unwrap_or_default();
    if text.is_empty() {
        text.push_str(HEADER);
    } else if !text.starts_with(HEADER) {
        anyhow::bail!(
            "{}: not a regsim bench file (unexpected header); choose another --out",
            args.out.display()
        );
    }
    text.push_str(&rows);
    write_bytes(&args.out, text.as_bytes())
        .with_context(|| format!("appending to {}", args.out.display()))?;
    println!("appended to {}", args.out.display());
    Ok(())
}

/// Peak resident set size of this process (VmHWM), in MB; 0 where /proc is unavailable.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn human(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2} G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} M", x / 1e6)
    } else {
        format!("{:.0} k", x / 1e3)
    }
}
