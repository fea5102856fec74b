//! The command line: clap definitions and the subcommands. The only place that knows clap,
//! exit codes and the terminal.

mod bench;
mod calibrate;
mod compare;
mod merge;
mod run;
mod sensitivity;
mod shard;
mod slurm;
mod sweep;
mod target;
mod validate;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Agent-based simulator of Korea's regional economies.
#[derive(Debug, Parser)]
#[command(name = "regsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that load a scenario.
#[derive(Debug, clap::Args, Clone)]
pub struct ScenarioArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Override one scenario value, e.g. --set firms.displacement=0.3 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Agents per real firm (overrides the scenario's `scale`; 1.0 = one agent per firm).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Memory the command may use, e.g. 4G or 512M (default: MemAvailable in /proc/meminfo).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_memory: Option<u64>,
}

/// The most worker threads a command accepts (each is an OS thread with its own stack).
pub const MAX_THREADS: usize = 256;
/// The most replicates a sweep or comparison accepts.
pub const MAX_REPLICATES: u64 = 1_000_000;

/// `--threads`: 1 to [`MAX_THREADS`].
pub fn parse_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!("allowed: a whole number from 1 to {MAX_THREADS}")),
    }
}

/// `--max-memory`: bytes with an optional K, M, G or T suffix (powers of 1024), e.g. `4G`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim().trim_end_matches(['B', 'b']);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => 0,
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let allowed = "allowed: a size such as 4G, 512M or 2000000000 (bytes), at least 1M";
    let v: f64 = num.trim().parse().map_err(|_| allowed.to_string())?;
    let bytes = v * mult as f64;
    if mult == 0 || !bytes.is_finite() || bytes < (1u64 << 20) as f64 || bytes > 1e18 {
        return Err(allowed.into());
    }
    Ok(bytes as u64)
}

/// `--scale F` as the `--set scale=F` it stands for, written so TOML reads it as a number
/// (also `nan` and `inf`, which the checker then rejects as out of range).
pub fn scale_set(scale: f64) -> String {
    if scale.is_nan() {
        "scale=nan".into()
    } else if scale.is_infinite() {
        format!("scale={}inf", if scale < 0.0 { "-" } else { "" })
    } else {
        format!("scale={scale:?}")
    }
}

/// Takes the output folder for this command: the lock (refused when another regsim command
/// holds it), then the sweep of temporary files a killed command left. `create`: make the
/// folder if missing (run, sweep, compare); chart and report need an existing one.
pub fn take_folder(dir: &std::path::Path, create: bool) -> Result<regsim::output::DirLock> {
    let command: Vec<String> = std::env::args().collect();
    let lock = regsim::output::lock_dir(dir, &command.join(" "), create)?;
    regsim::output::sweep_temp_files(dir)?;
    Ok(lock)
}

/// MemAvailable from /proc/meminfo, bytes (None where the file is missing or unreadable).
fn mem_available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// The resource guard: refuses a command whose estimated memory exceeds `--max-memory` (or
/// the machine's available memory), naming a scale that fits. Returns the estimate.
pub fn guard(
    scn: &regsim::scenario::Scenario,
    runs: u64,
    concurrent: u64,
    replicates: u64,
    max_memory: Option<u64>,
) -> Result<regsim::resources::Estimate> {
    use regsim::resources::{estimate, human_bytes};
    let e = estimate(scn, runs, concurrent, replicates);
    let (limit, source) = match max_memory {
        Some(m) => (m as f64, "--max-memory".to_string()),
        None => match mem_available() {
            Some(m) => (m, "available (MemAvailable in /proc/meminfo)".to_string()),
            None => return Ok(e),
        },
    };
    if e.bytes > limit {
        let fit = match e.scale_that_fits(scn.scale, limit) {
            Some(f) => format!("--scale {f} or less fits"),
            None => "no scale fits; use fewer --threads or --replicates".into(),
        };
        anyhow::bail!(
            "{}: needs about {} ({:.1} M firm agents per run at scale {}, {} runs at once) but {} is {}; allowed: {fit}, or a larger --max-memory",
            scn.file.display(),
            human_bytes(e.bytes),
            e.firms / 1e6,
            scn.scale,
            e.concurrent_runs,
            human_bytes(limit),
            source
        );
    }
    Ok(e)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario with one seed and write its tables.
    Run(run::RunArgs),
    /// Validate a scenario and print it fully resolved.
    Check(ScenarioArgs),
    /// Run every (parameter point, replicate) of a scenario; summarise across replicates.
    Sweep(sweep::SweepArgs),
    /// Compare a policy scenario with a baseline on paired replicates (same seeds).
    Compare(compare::CompareArgs),
    /// Assemble a sharded sweep's or comparison's tables once every shard has staged its runs.
    Merge(merge::MergeArgs),
    /// Write (and with --submit, submit) a Slurm job array and merge job for a sweep or comparison.
    Slurm(slurm::SlurmArgs),
    /// Time a run per phase and thread count; append the figures to bench.csv.
    Bench(bench::BenchArgs),
    /// Compare a scenario (normally the baseline) with published figures; exit 1 if a target fails.
    Validate(validate::ValidateArgs),
    /// Render charts/*.png and charts/*.svg for an output folder (run, sweep or compare).
    Chart {
        /// Output folder written by run, sweep or compare.
        dir: PathBuf,
        #[command(flatten)]
        lang: LangArg,
    },
    /// Write report.html (charts inlined, headline table, scenario, manifest) for an output folder.
    Report {
        /// Output folder written by run, sweep or compare.
        dir: PathBuf,
        #[command(flatten)]
        lang: LangArg,
    },
    /// Search the smallest scaling of programme budgets that reaches a goal with a probability.
    Target(target::TargetArgs),
    /// Global sensitivity analysis (Morris or Sobol) of outputs over an [uncertainty] table.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Fit [uncertainty] parameters to target moments (method of simulated moments).
    Calibrate(calibrate::CalibrateArgs),
}

/// `--lang`: the language of charts and the report (CSV and JSON stay English).
#[derive(Debug, clap::Args, Clone, Copy, Default)]
pub struct LangArg {
    /// Language of charts and the report: en or ko (default: $REGSIM_LANG, else the
    /// scenario's `[output] lang`, else en).
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<regsim::labels::Lang>,
}

fn parse_lang(text: &str) -> Result<regsim::labels::Lang, String> {
    regsim::labels::Lang::parse(text)
        .ok_or_else(|| format!("allowed: {}", regsim::labels::LANG_ALLOWED))
}

/// The language for an output folder: `--lang`, else REGSIM_LANG, else `[output] lang` of the
/// scenario in the folder's manifest.json (for a comparison the policy's, then the
/// baseline's), else English.
pub fn lang_for_dir(flag: LangArg, dir: &std::path::Path) -> Result<regsim::labels::Lang> {
    use regsim::labels::{LANG_ALLOWED, Lang};
    if let Some(lang) = flag.lang {
        return Ok(lang);
    }
    if let Ok(text) = std::env::var("REGSIM_LANG") {
        return Lang::parse(&text)
            .ok_or_else(|| anyhow::anyhow!("REGSIM_LANG={text:?}: allowed: {LANG_ALLOWED}"));
    }
    let file = dir.join("manifest.json");
    let Some(manifest) = regsim::charts::data::read_json(&file)? else {
        return Ok(Lang::En);
    };
    let scenarios = [
        manifest.get("scenario"),
        manifest.pointer("/policy/scenario"),
        manifest.pointer("/baseline/scenario"),
    ];
    for scenario in scenarios.into_iter().flatten() {
        if let Some(text) = scenario.pointer("/output/lang").and_then(|v| v.as_str()) {
            return Lang::parse(text).ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: scenario.output.lang = {text:?}: allowed: {LANG_ALLOWED}",
                    file.display()
                )
            });
        }
    }
    Ok(Lang::En)
}

/// What a successful command tells `main` about the exit code.
pub enum Outcome {
    Ok,
    /// The command ran but found a failing check (exit code 1).
    ChecksFailed,
}

/// Parses arguments and runs the command. Errors are reported by `main`.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Validate(args) => Ok(if validate::run(args)? {
            Outcome::Ok
        } else {
            Outcome::ChecksFailed
        }),
        other => run_simple(other).map(|()| Outcome::Ok),
    }
}

fn run_simple(command: Command) -> Result<()> {
    match command {
        Command::Validate(_) => unreachable!("handled by run"),
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Slurm(args) => slurm::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Target(args) => target::run(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Chart { dir, lang } => {
            let _lock = take_folder(&dir, false)?;
            regsim::output::check_inputs(&dir)?;
            let files = regsim::charts::render_dir(&dir, lang_for_dir(lang, &dir)?)?;
            record_files(&dir, &files, false)?;
            eprintln!(
                "{}: wrote {} chart files in charts/",
                dir.display(),
                files.len()
            );
            Ok(())
        }
        Command::Report { dir, lang } => {
            let _lock = take_folder(&dir, false)?;
            regsim::output::check_inputs(&dir)?;
            let path = regsim::report::write_report(&dir, lang_for_dir(lang, &dir)?)?;
            record_files(&dir, &[], true)?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        Command::Check(args) => {
            let scn = load(&args)?;
            let e = regsim::resources::estimate(&scn, 1, 1, 1);
            print!("{}", scn.to_toml());
            eprintln!(
                "{}: ok ({} regions, {} sectors, {} investor kinds, {} months from {}-01; a run needs about {} for {:.2} M firm agents, {:.2} G firm-steps)",
                args.scenario.display(),
                scn.regions.len(),
                scn.sectors.len(),
                scn.investors.len(),
                scn.months(),
                scn.start_year,
                regsim::resources::human_bytes(e.bytes),
                e.firms / 1e6,
                e.firm_steps / 1e9
            );
            Ok(())
        }
    }
}

/// Adds chart files (paths under `dir`) and, with `report`, `report.html` to the manifest's
/// file list, so that a later `--force` removes them (and only them).
fn record_files(dir: &std::path::Path, charts: &[PathBuf], report: bool) -> Result<()> {
    let mut names: Vec<String> = charts
        .iter()
        .filter_map(|p| p.strip_prefix(dir).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if report {
        names.push("report.html".into());
    }
    regsim::output::record_files(dir, &names)?;
    Ok(())
}

/// Renders charts and the report for a finished output folder (what `--no-charts` skips).
pub fn charts_and_report(dir: &std::path::Path, lang: LangArg) -> Result<()> {
    let lang = lang_for_dir(lang, dir)?;
    let files = regsim::charts::render_dir(dir, lang)?;
    let report = regsim::report::write_report(dir, lang)?;
    record_files(dir, &files, true)?;
    eprintln!(
        "  {} chart files in charts/, report: {}",
        files.len(),
        report.display()
    );
    Ok(())
}

/// A progress bar with an ETA on a terminal; hidden (prints nothing) when stderr is not one.
pub fn progress_bar(len: u64, unit: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{elapsed}} elapsed, ETA {{eta}}"
        ))
        .expect("valid template"),
    );
    bar
}

/// `--resume` continues only a folder made by the same ensemble (or an empty one): `file`
/// holds the definition the folder was made with.
pub fn check_definition(
    out: &std::path::Path,
    file: &std::path::Path,
    definition: &serde_json::Value,
    what: &str,
) -> Result<()> {
    use anyhow::Context;
    let empty = !out.exists() || regsim::output::is_empty_dir(out)?;
    if empty {
        std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
        return Ok(());
    }
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "{}: not a {what} folder (no readable {name}); cannot --resume it",
            out.display()
        )
    })?;
    let stored: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", file.display()))?;
    if &stored != definition {
        let differ: Vec<String> = definition
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| stored.get(k.as_str()) != Some(v))
            .map(|(k, _)| k.clone())
            .collect();
        anyhow::bail!(
            "{}: made by a different {what} (differs in: {}); --resume, --shard and merge need the same scenarios, --set, --scale, --replicates, --seed and regsim build as the first run",
            out.display(),
            differ.join(", ")
        );
    }
    Ok(())
}

/// Loads a scenario with the command line's overrides (`--scale` is a `--set scale=`).
pub fn load(args: &ScenarioArgs) -> Result<regsim::scenario::Scenario> {
    let mut sets = args.sets.clone();
    if let Some(scale) = args.scale {
        sets.push(scale_set(scale));
    }
    Ok(regsim::scenario::Scenario::load(&args.scenario, &sets)?)
}

/// Runs `f` on a rayon pool with `threads` threads (rayon's default when `None`).
pub fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => anyhow::bail!("--threads 0: allowed: 1 or more"),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build()?;
            Ok(pool.install(f))
        }
    }
}
