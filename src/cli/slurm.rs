//! `regsim slurm <sweep|compare> [args] --tasks N`: writes a Slurm job-array script (task K
//! computes shard K/N) and a merge script, and with `--submit` submits both through `sbatch`,
//! the merge job depending on the array (`afterok`).
//!
//! The scripts are plain bash a user can read and edit: the ensemble's own arguments are
//! passed through as typed (minus the Slurm options and `--out/--force/--resume`, which this
//! command sets), the regsim binary is this executable's absolute path, the output folder is
//! absolute, and `--chdir` is the folder the command ran in (relative scenario paths keep
//! working). The folder is prepared here, before anything is submitted: a bad scenario or a
//! folder in use fails on the login node, not in 100 queued tasks.
//!
//! Task K runs `--shard "$SLURM_ARRAY_TASK_ID/N"` rather than `--shard-from-slurm`, so the
//! array index is the shard index whatever the array: one task resubmitted alone
//! (`sbatch --array=2`) sees `SLURM_ARRAY_TASK_COUNT=1` and would take itself for the only
//! shard. `--resume --submit` does exactly that: it submits only the tasks whose shards have
//! missing runs, and a new merge job.

use super::compare::{self, CompareArgs};
use super::sweep::{self, Format, SweepArgs};
use anyhow::{Context, Result, bail};
use clap::CommandFactory;
use regsim::ensemble::compare::pending_pairs_among;
use regsim::ensemble::shard::compact_ids;
use regsim::ensemble::sweep::pending_among;
use regsim::output::write_bytes;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    #[command(subcommand)]
    pub target: Target,
}

#[derive(Debug, clap::Subcommand)]
pub enum Target {
    /// A sweep as a job array: `regsim sweep`'s arguments plus the Slurm options.
    Sweep {
        #[command(flatten)]
        args: SweepArgs,
        #[command(flatten)]
        slurm: SlurmOpts,
    },
    /// A comparison as a job array: `regsim compare`'s arguments plus the Slurm options.
    Compare {
        #[command(flatten)]
        args: CompareArgs,
        #[command(flatten)]
        slurm: SlurmOpts,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct SlurmOpts {
    /// Array tasks (shards); task K computes the runs with id % N == K.
    #[arg(long)]
    pub tasks: u64,
    /// Partition for both jobs (sbatch --partition).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task and for the merge job (sbatch --time), e.g. 02:00:00.
    #[arg(long)]
    pub time: Option<String>,
    /// Memory per task and for the merge job (sbatch --mem), e.g. 4G.
    #[arg(long)]
    pub mem: Option<String>,
    /// CPUs per task (sbatch --cpus-per-task); each task runs that many threads (default 1).
    #[arg(long)]
    pub cpus_per_task: Option<u32>,
    /// Submit both scripts with sbatch (else write them and print how to submit them).
    #[arg(long)]
    pub submit: bool,
}

/// Options of `regsim slurm <target>` that are not passed through to the tasks.
const OWN_OPTIONS: [&str; 9] = [
    "tasks",
    "partition",
    "time",
    "mem",
    "cpus-per-task",
    "submit",
    "out",
    "force",
    "resume",
];

/// What the scripts need to know about the ensemble.
struct Job {
    command: &'static str,
    out: PathBuf,
    /// Runs (sweep) or pairs (compare) in all.
    runs: u64,
    unit: &'static str,
    /// With `--resume`: the run ids not yet staged.
    missing: Option<Vec<u64>>,
    merge_flags: Vec<String>,
}

pub fn run(args: SlurmArgs) -> Result<()> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    match args.target {
        Target::Sweep { args: a, slurm } => {
            check(&slurm, a.shard.is_set())?;
            let mut p = sweep::prepare(&a)?;
            p.out = absolute_out(&p.out)?;
            check_tasks(&slurm, p.plan.runs(), "runs")?;
            sweep::open_folder(&p, a.resume, a.force)?;
            let missing = match a.resume {
                true => Some(pending_among(&p.out, &p.plan, 0..p.plan.runs(), true)?),
                false => None,
            };
            let mut merge_flags = Vec::new();
            if a.format == Format::Parquet {
                merge_flags.extend(["--format".into(), "parquet".into()]);
            }
            if a.no_charts {
                merge_flags.push("--no-charts".into());
            }
            let job = Job {
                command: "sweep",
                out: p.out.clone(),
                runs: p.plan.runs(),
                unit: "runs",
                missing,
                merge_flags,
            };
            write_and_submit(&job, &slurm, passthrough(&argv, "sweep")?)
        }
        Target::Compare { args: a, slurm } => {
            check(&slurm, a.shard.is_set())?;
            let mut p = compare::prepare(&a)?;
            p.out = absolute_out(&p.out)?;
            check_tasks(&slurm, p.plan.replicates, "pairs")?;
            compare::open_folder(&p, a.resume, a.force)?;
            let missing = match a.resume {
                true => Some(pending_pairs_among(
                    &p.out,
                    &p.plan,
                    0..p.plan.replicates,
                    true,
                )?),
                false => None,
            };
            let job = Job {
                command: "compare",
                out: p.out.clone(),
                runs: p.plan.replicates,
                unit: "pairs",
                missing,
                merge_flags: if a.no_charts {
                    vec!["--no-charts".into()]
                } else {
                    Vec::new()
                },
            };
            write_and_submit(&job, &slurm, passthrough(&argv, "compare")?)
        }
    }
}

fn absolute_out(out: &Path) -> Result<PathBuf> {
    std::path::absolute(out).with_context(|| out.display().to_string())
}

fn check(o: &SlurmOpts, sharded: bool) -> Result<()> {
    if sharded {
        bail!(
            "--shard/--shard-from-slurm: not with `regsim slurm`, which gives each array task its shard"
        );
    }
    if o.tasks == 0 {
        bail!("--tasks 0: allowed: 1 or more");
    }
    if o.cpus_per_task == Some(0) {
        bail!("--cpus-per-task 0: allowed: 1 or more");
    }
    for (name, value) in [
        ("--partition", &o.partition),
        ("--time", &o.time),
        ("--mem", &o.mem),
    ] {
        if let Some(v) = value
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_graphic()) || v.contains('#'))
        {
            bail!(
                "{name} {v:?}: allowed: one Slurm value without spaces, e.g. {name} {}",
                match name {
                    "--partition" => "debug",
                    "--time" => "02:00:00",
                    _ => "4G",
                }
            );
        }
    }
    Ok(())
}

fn check_tasks(o: &SlurmOpts, runs: u64, unit: &str) -> Result<()> {
    if o.tasks > runs {
        bail!(
            "--tasks {}: more tasks than the ensemble's {runs} {unit}; allowed: 1 to {runs}",
            o.tasks
        );
    }
    Ok(())
}

/// The ensemble's arguments as typed after `regsim slurm <target>`, without this command's
/// own options (and their values). Option names come from the clap definition, so flags
/// added to `sweep` or `compare` later pass through unchanged.
fn passthrough(argv: &[OsString], target: &str) -> Result<Vec<String>> {
    let cli = super::Cli::command();
    let cmd = cli
        .find_subcommand("slurm")
        .and_then(|s| s.find_subcommand(target))
        .expect("slurm subcommands are defined");
    let takes_value = |long: &str| {
        cmd.get_arguments()
            .find(|a| a.get_long() == Some(long))
            .map(|a| a.get_action().takes_values())
    };
    let args: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let start = args
        .iter()
        .position(|a| a == "slurm")
        .and_then(|i| (args.get(i + 1)? == target).then_some(i + 2))
        .ok_or_else(|| anyhow::anyhow!("regsim slurm {target}: arguments not found"))?;
    let mut out = Vec::new();
    let mut rest = args[start..].iter();
    while let Some(a) = rest.next() {
        if a == "--" {
            out.push(a.clone());
            out.extend(rest.by_ref().cloned());
            break;
        }
        let Some(long) = a.strip_prefix("--") else {
            out.push(a.clone());
            continue;
        };
        let (name, inline) = match long.split_once('=') {
            Some((n, _)) => (n, true),
            None => (long, false),
        };
        let value = if takes_value(name) == Some(true) && !inline {
            rest.next().cloned()
        } else {
            None
        };
        if !OWN_OPTIONS.contains(&name) {
            out.push(a.clone());
            out.extend(value);
        }
    }
    Ok(out)
}

/// `arg` quoted for bash where it needs quoting.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:,+@%-".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A command line, one option (with its value) per continued line.
fn command_lines(words: &[String]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            s.push_str(if w.starts_with("--") || w.starts_with("\"--") {
                " \\\n    "
            } else {
                " "
            });
        }
        s.push_str(w);
    }
    s
}

fn sbatch_header(
    s: &mut String,
    name: &str,
    o: &SlurmOpts,
    log: &Path,
    chdir: &Path,
    cpus: Option<u32>,
) {
    let _ = writeln!(s, "#SBATCH --job-name={name}");
    let _ = writeln!(
        s,
        "#SBATCH --output={}",
        shell_quote(&log.display().to_string())
    );
    let _ = writeln!(
        s,
        "#SBATCH --chdir={}",
        shell_quote(&chdir.display().to_string())
    );
    for (flag, v) in [
        ("partition", &o.partition),
        ("time", &o.time),
        ("mem", &o.mem),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "#SBATCH --{flag}={v}");
        }
    }
    if let Some(c) = cpus {
        let _ = writeln!(s, "#SBATCH --cpus-per-task={c}");
    }
}

/// The two scripts' text: (array script, merge script).
fn scripts(
    job: &Job,
    o: &SlurmOpts,
    passthrough: &[String],
    exe: &str,
    chdir: &Path,
) -> (String, String) {
    let n = o.tasks;
    let out = job.out.display().to_string();
    let slurm_dir = job.out.join("slurm");
    let array_file = slurm_dir.join(format!("{}-array.sh", job.command));
    let merge_file = slurm_dir.join("merge.sh");
    let (version, commit) = regsim::output::build_info();

    let mut a = String::from("#!/bin/bash\n");
    let _ = writeln!(
        a,
        "# regsim {} as a Slurm job array of {n} tasks: task K computes shard K/{n} (the {} with\n\
         # id % {n} == K) and stages them in {out}; merge.sh assembles the tables.\n\
         # Written by `regsim slurm {}` (regsim {version}, commit {commit}); edit freely.\n\
         # Rerun one shard (e.g. task 2 failed): sbatch --array=2 {}\n\
         # then: sbatch {}",
        job.command,
        job.unit,
        job.command,
        array_file.display(),
        merge_file.display()
    );
    sbatch_header(
        &mut a,
        &format!("regsim-{}", job.command),
        o,
        &slurm_dir.join("logs").join("%x-%A_%a.out"),
        chdir,
        o.cpus_per_task,
    );
    let _ = writeln!(a, "#SBATCH --array=0-{}", n - 1);
    a.push_str("set -euo pipefail\n");
    a.push_str("# One thread per allocated CPU.\n");
    a.push_str("export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n");
    let mut words = vec![shell_quote(exe), job.command.to_string()];
    words.extend(passthrough.iter().map(|w| shell_quote(w)));
    words.extend([
        "--out".into(),
        shell_quote(&out),
        "--resume".into(),
        "--shard".into(),
        format!("\"${{SLURM_ARRAY_TASK_ID}}/{n}\""),
    ]);
    let _ = writeln!(a, "exec {}", command_lines(&words));

    let mut m = String::from("#!/bin/bash\n");
    let _ = writeln!(
        m,
        "# Assembles the tables of {out} once every task of the array has succeeded\n\
         # (submitted with --dependency=afterok:<array job id>); refuses, naming the missing run\n\
         # ids, if some shard did not finish. Written by `regsim slurm {}`; edit freely.",
        job.command
    );
    sbatch_header(
        &mut m,
        "regsim-merge",
        o,
        &slurm_dir.join("logs").join("%x-%j.out"),
        chdir,
        None,
    );
    m.push_str("#SBATCH --kill-on-invalid-dep=yes\n");
    m.push_str("set -euo pipefail\n");
    let mut words = vec![shell_quote(exe), "merge".to_string(), shell_quote(&out)];
    words.extend(job.merge_flags.iter().map(|w| shell_quote(w)));
    let _ = writeln!(m, "exec {}", command_lines(&words));
    (a, m)
}

fn write_and_submit(job: &Job, o: &SlurmOpts, passthrough: Vec<String>) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the regsim executable's path")?;
    let exe = exe.display().to_string();
    let chdir = std::env::current_dir().context("cannot read the working folder")?;
    let slurm_dir = job.out.join("slurm");
    let logs = slurm_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("{}: cannot create", logs.display()))?;
    let (array_text, merge_text) = scripts(job, o, &passthrough, &exe, &chdir);
    let array_file = slurm_dir.join(format!("{}-array.sh", job.command));
    let merge_file = slurm_dir.join("merge.sh");
    write_bytes(&array_file, array_text.as_bytes())?;
    write_bytes(&merge_file, merge_text.as_bytes())?;

    // With --resume, only the tasks whose shards have missing runs.
    let tasks: Option<Vec<u64>> = job.missing.as_ref().map(|missing| {
        let mut t: Vec<u64> = missing.iter().map(|id| id % o.tasks).collect();
        t.sort_unstable();
        t.dedup();
        t
    });
    let array_spec = match &tasks {
        Some(t) => compact_ids(t, usize::MAX).replace(", ", ","),
        None => format!("0-{}", o.tasks - 1),
    };
    println!(
        "wrote {} ({} tasks) and {}",
        array_file.display(),
        o.tasks,
        merge_file.display()
    );
    if let (Some(missing), Some(t)) = (&job.missing, &tasks) {
        println!(
            "{} of {} {} staged; tasks with missing {}: {}",
            job.runs - missing.len() as u64,
            job.runs,
            job.unit,
            job.unit,
            if t.is_empty() {
                "none".into()
            } else {
                array_spec.clone()
            }
        );
    }
    let nothing_to_run = tasks.as_ref().is_some_and(|t| t.is_empty());
    if !o.submit {
        if nothing_to_run {
            println!("submit: sbatch {}", merge_file.display());
        } else {
            println!(
                "submit: jid=$(sbatch --parsable --array={array_spec} {}) && sbatch --dependency=afterok:${{jid%%;*}} {}",
                array_file.display(),
                merge_file.display()
            );
        }
        return Ok(());
    }
    let mut ids = Vec::new();
    let dependency = if nothing_to_run {
        None
    } else {
        let id = sbatch(&[&format!("--array={array_spec}")], &array_file)?;
        println!(
            "array job {id}: tasks {array_spec} (task K computes shard K/{})",
            o.tasks
        );
        ids.push(id.clone());
        Some(id)
    };
    let merge_id = match &dependency {
        Some(id) => sbatch(&[&format!("--dependency=afterok:{id}")], &merge_file).with_context(
            || {
                format!(
                    "array job {id} is submitted but its merge job is not (submit it: sbatch --dependency=afterok:{id} {})",
                    merge_file.display()
                )
            },
        )?,
        None => sbatch(&[], &merge_file)?,
    };
    match &dependency {
        Some(id) => println!("merge job {merge_id}: starts when every task of {id} has succeeded"),
        None => println!(
            "merge job {merge_id}: every {} is staged already",
            job.unit.trim_end_matches('s')
        ),
    }
    ids.push(merge_id);
    let list = ids.join(",");
    println!("follow: squeue -j {list}");
    println!(
        "        sacct -j {list} --format=JobID,JobName,State,Elapsed,ExitCode   (with accounting)"
    );
    println!("logs:   {}", logs.display());
    println!(
        "if a task fails: rerun this command with --resume --submit (submits only the shards with missing {})",
        job.unit
    );
    Ok(())
}

/// Submits `script` with `sbatch --parsable` and returns the job id.
fn sbatch(extra: &[&str], script: &Path) -> Result<String> {
    let output = Command::new("sbatch")
        .arg("--parsable")
        .args(extra)
        .arg(script)
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "sbatch: not found (not a Slurm login node?); the scripts are in {}: submit them where Slurm runs",
            script.parent().unwrap_or(script).display()
        ),
        Err(e) => bail!("sbatch: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let id = stdout.trim().split(';').next().unwrap_or("").to_string();
    if !output.status.success() || id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!(
            "sbatch {}: {}",
            script.display(),
            stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("failed")
                .trim()
        );
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn slurm_options_and_out_are_dropped_the_rest_passes_through() {
        let argv = os(&[
            "regsim",
            "slurm",
            "sweep",
            "s.toml",
            "--tasks",
            "4",
            "--vary",
            "scale=0.1,0.2",
            "--set=seed=3",
            "--partition",
            "debug",
            "--time=01:00:00",
            "--out",
            "o",
            "--submit",
            "--replicates",
            "3",
            "--resume",
            "--no-charts",
        ]);
        assert_eq!(
            passthrough(&argv, "sweep").unwrap(),
            [
                "s.toml",
                "--vary",
                "scale=0.1,0.2",
                "--set=seed=3",
                "--replicates",
                "3",
                "--no-charts"
            ]
        );
        // A value that looks like an option stays with its option.
        let argv = os(&[
            "regsim", "slurm", "compare", "a.toml", "b.toml", "--set", "--tasks", "--tasks", "2",
        ]);
        assert_eq!(
            passthrough(&argv, "compare").unwrap(),
            ["a.toml", "b.toml", "--set", "--tasks"]
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("--set=scale=0.01"), "--set=scale=0.01");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn scripts_run_one_shard_per_task_and_merge_after() {
        let job = Job {
            command: "sweep",
            out: PathBuf::from("/data/out dir"),
            runs: 40,
            unit: "runs",
            missing: None,
            merge_flags: vec!["--no-charts".into()],
        };
        let o = SlurmOpts {
            tasks: 4,
            partition: Some("short".into()),
            time: None,
            mem: Some("2G".into()),
            cpus_per_task: Some(2),
            submit: false,
        };
        let pass = vec!["s.toml".to_string(), "--replicates".into(), "10".into()];
        let (a, m) = scripts(&job, &o, &pass, "/opt/regsim", Path::new("/home/u"));
        assert!(a.starts_with("#!/bin/bash\n"));
        for line in [
            "#SBATCH --array=0-3\n",
            "#SBATCH --partition=short\n",
            "#SBATCH --mem=2G\n",
            "#SBATCH --cpus-per-task=2\n",
            "#SBATCH --chdir=/home/u\n",
            "#SBATCH --output='/data/out dir/slurm/logs/%x-%A_%a.out'\n",
            "exec /opt/regsim sweep s.toml \\\n    --replicates 10 \\\n    --out '/data/out dir' \\\n    --resume \\\n    --shard \"${SLURM_ARRAY_TASK_ID}/4\"\n",
        ] {
            assert!(a.contains(line), "{line} not in\n{a}");
        }
        assert!(!a.contains("--time"));
        assert!(
            m.contains("exec /opt/regsim merge '/data/out dir' \\\n    --no-charts\n"),
            "{m}"
        );
        assert!(m.contains("#SBATCH --kill-on-invalid-dep=yes\n"));
        assert!(!m.contains("--array"));
    }
}
