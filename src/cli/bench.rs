//! `regsim bench`: times a whole run per phase at a scale and thread counts, reports agent-steps
//! per second, thread scaling and peak memory, and appends the figures to a CSV so runs can
//! be compared over time.

use super::{ScenarioArgs, load, with_threads};
use anyhow::{Context, Result};
use regsim::output::{build_info, write_bytes};
use regsim::step::PHASES;
use regsim::step::network::PARTS;
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
        max_memory: None,
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
        println!("threads {t}: {wall:.2} s wall, peak RSS {peak:.0} MiB");
        println!("  {:<10} {:>9} {:>18}", "phase", "seconds", "firm-steps/s");
        // One bench.csv row: the phase's seconds and firm-steps per second over them.
        let mut row = |phase: &str, s: f64| {
            let rate = if s > 0.0 { rows_stepped / s } else { 0.0 };
            rows.push_str(&format!(
                "{now},{commit},{},{t},{phase},{s:.6},{rows_stepped},{rate:.0},{peak:.1}\n",
                scn.scale
            ));
            rate
        };
        for (phase, d) in PHASES.iter().zip(result.timings) {
            if *phase == "network" && scn.network.is_none() {
                continue; // no network: the phase is only the timer's own laps
            }
            let s = d.as_secs_f64();
            println!("  {phase:<10} {s:>9.3} {:>18}", human(row(phase, s)));
            if *phase == "network" {
                // Its parts, as `network.<part>` rows (their sum is the phase less the
                // timer's own laps).
                for (part, d) in PARTS.iter().zip(result.network_timings) {
                    let s = d.as_secs_f64();
                    let rate = row(&format!("network.{part}"), s);
                    println!("    {part:<10} {s:>7.3} {:>18}", human(rate));
                }
            }
        }
        let firm = result.timings[1].as_secs_f64() + result.timings[2].as_secs_f64();
        println!(
            "  firm update (plan + operate): {} firm-steps/s",
            human(row("firm_update", firm))
        );
        row("total", wall);
        totals.push((t, wall, firm, rows_stepped));
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
    let cores = threads.iter().copied().max().unwrap_or(1);
    let achieved = totals.last().map_or(0.0, |t| result_rate((t.2, t.3)));
    for (phase, rate) in bounds(cores, achieved)? {
        rows.push_str(&format!(
            "{now},{commit},{},{cores},{phase},0,0,{rate:.0},0\n",
            scn.scale
        ));
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

/// Prints the memory-bandwidth bound and the compute bound of the firm passes on `cores`
/// threads against the `achieved` firm-steps per second (docs/ARCHITECTURE.md, "Performance
/// notes"); returns each bound's phase name and rate for bench.csv.
fn bounds(cores: usize, achieved: f64) -> Result<Vec<(&'static str, f64)>> {
    let gbs = with_threads(Some(cores), stream_bandwidth_gbs)?;
    let bound = gbs * 1e9 / FIRM_STEP_BYTES;
    println!(
        "memory bandwidth ({cores} threads, copy-add): {gbs:.1} GB/s; a firm-step moves \
         {FIRM_STEP_BYTES:.0} bytes, so the passes are bound at {} firm-steps/s; achieved {} ({:.0}%)",
        human(bound),
        human(achieved),
        100.0 * achieved / bound
    );
    let mut out = vec![("memory_bound", bound)];
    // Instructions per firm-step (a documented callgrind count) against what the cores can
    // retire.
    if let Some(ghz) = cpu_ghz() {
        let peak = cores as f64 * ghz * 1e9 * PEAK_IPC / FIRM_STEP_INSTRUCTIONS;
        let ipc = achieved * FIRM_STEP_INSTRUCTIONS / (cores as f64 * ghz * 1e9);
        println!(
            "compute: a firm-step retires ~{FIRM_STEP_INSTRUCTIONS:.0} instructions (callgrind \
             count); at {ghz:.2} GHz the passes retire {ipc:.1} per cycle per core, and at \
             {PEAK_IPC:.0} per cycle they would be bound at {} firm-steps/s; achieved {:.0}%",
            human(peak),
            100.0 * achieved / peak
        );
        out.push(("compute_bound", peak));
    } else {
        println!("compute: the clock rate is unknown here (/proc/cpuinfo), no compute bound");
    }
    Ok(out)
}

/// Bytes of memory traffic per firm-step of `plan` + `operate`: columns read (plan: id 8,
/// region, sector, status 1 each, age 2, employees 4, log_scale 4, high_growth_until 2 = 23;
/// operate: id 8, region, sector, status, loss 1 each, age 2, employees, scale_now, cash,
/// sales_year, want, log_scale 4 each = 38), write-allocate reads of the write-only columns (want, scale_now: 8) and write-backs
/// (plan: log_scale, want, scale_now 12; operate: region, status, loss 1 each, age 2,
/// employees, cash, sales_year 4 each = 17).
const FIRM_STEP_BYTES: f64 = (23 + 38 + 8 + 12 + 17) as f64;

/// Instructions retired per firm-step by `plan` + `operate`: 517 M instructions over 1,891,144
/// firm-steps (callgrind, `regsim run` of the baseline at scale 0.002, seed 1, one thread, the
/// AVX2 kernels, 30 November 2026, after `operate`'s branch-free block and `plan`'s
/// `MarketRuns`; 271 before them, 393 before issue 18's 32-bit-lane draws). Re-count after
/// changing the passes (docs/ARCHITECTURE.md).
const FIRM_STEP_INSTRUCTIONS: f64 = 273.0;

/// Instructions a core can retire per cycle at best: the dispatch width of the cores this was
/// measured on (AMD Zen 4: 6 macro-ops per cycle, AMD's Software Optimization Guide for
/// family 19h); an upper bound, not a sustained rate.
const PEAK_IPC: f64 = 6.0;

/// The first core's clock rate from /proc/cpuinfo (`cpu MHz`), in GHz.
fn cpu_ghz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let mhz: f64 = text
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    (mhz > 0.0).then_some(mhz / 1000.0)
}

/// Sustained memory bandwidth of a parallel copy-add (`a[i] += b[i]` over two 256 MB arrays;
/// 12 bytes of traffic per element with the write-back), best of 5, in GB/s.
fn stream_bandwidth_gbs() -> f64 {
    use rayon::prelude::*;
    const N: usize = 64 << 20;
    let mut a = vec![1.0f32; N];
    let b = vec![2.0f32; N];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        a.par_chunks_mut(1 << 16)
            .zip(b.par_chunks(1 << 16))
            .for_each(|(x, y)| x.iter_mut().zip(y).for_each(|(x, y)| *x += *y));
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(&a);
    (N * 12) as f64 / best / 1e9
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

fn result_rate(seconds_and_rows: (f64, f64)) -> f64 {
    let (seconds, rows) = seconds_and_rows;
    if seconds > 0.0 { rows / seconds } else { 0.0 }
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
