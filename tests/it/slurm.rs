//! Real Slurm: `regsim slurm sweep --submit` on a running cluster (`.ci/slurm-up` starts a
//! single-node one) submits a 4-task array and a merge job; the merged tables are
//! byte-identical to the same sweep on one machine. Second test: one task is cancelled
//! (`scancel <array>_2`) before it starts, `regsim slurm ... --resume --submit` resubmits only
//! that shard and a new merge job, and the tables are again identical.
//!
//! Opt-in: runs only with `REGSIM_SLURM_TESTS=1` (`.ci/run` sets it once the cluster is up);
//! otherwise each test prints a SKIPPED note saying why and returns. With the variable set, a
//! cluster that does not answer is a failure, not a skip.

use super::shards::sweep_args;
use super::stderr;
use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Generous: the jobs take seconds, but CI machines are shared.
const TIMEOUT: Duration = Duration::from_secs(600);

/// Whether to run; prints why not.
fn cluster(test: &str) -> bool {
    if std::env::var("REGSIM_SLURM_TESTS").as_deref() != Ok("1") {
        // Straight to the stderr handle: libtest captures `eprintln!` of passing tests, and
        // a skip must show in the plain `cargo test` output.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: REGSIM_SLURM_TESTS is not 1 (bash .ci/slurm-up starts a one-node cluster; .ci/run sets it)"
        );
        return false;
    }
    let ping = Command::new("scontrol").arg("ping").output();
    match ping {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("is UP") => true,
        other => panic!("REGSIM_SLURM_TESTS=1 but the Slurm controller does not answer: {other:?}"),
    }
}

fn run(args: &[String], extra: &[&str]) -> Output {
    let o = super::shards::run(args, extra, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// The job id printed after `label` ("array job 12: ..." / "merge job 13: ...").
fn job_id(stdout: &str, label: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` in:\n{stdout}"));
    line[label.len()..]
        .trim_start()
        .split(':')
        .next()
        .unwrap()
        .to_string()
}

/// Jobs (or array tasks) of `id` still queued or running.
fn queued(id: &str) -> Vec<String> {
    let o = Command::new("squeue")
        .args(["-h", "-j", id, "-o", "%i %T"])
        .output()
        .expect("squeue runs");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn wait_until(what: &str, out: &Path, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > TIMEOUT {
            panic!("timed out waiting for {what}; logs:\n{}", logs(out));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn logs(out: &Path) -> String {
    let mut s = String::new();
    if let Ok(entries) = fs::read_dir(out.join("slurm/logs")) {
        for e in entries.flatten() {
            s.push_str(&format!(
                "== {}\n{}\n",
                e.path().display(),
                fs::read_to_string(e.path()).unwrap_or_default()
            ));
        }
    }
    s
}

fn same_tables(one: &Path, merged: &Path) {
    for f in ["runs.csv", "summary.csv"] {
        let (a, b) = (fs::read(one.join(f)).unwrap(), fs::read(merged.join(f)));
        let b = b.unwrap_or_else(|e| panic!("{f}: {e}; logs:\n{}", logs(merged)));
        assert!(a == b, "{f} differs from the single-machine sweep");
    }
}

fn scancel(id: &str) {
    let _ = Command::new("scancel").arg(id).status();
}

/// Cancels its jobs when dropped, so a failing test leaves nothing queued.
struct CancelOnDrop(Vec<String>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        for id in &self.0 {
            scancel(id);
        }
    }
}

#[test]
fn four_task_array_merges_to_the_single_machine_sweep() {
    if !cluster("four_task_array_merges_to_the_single_machine_sweep") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (one, array) = (dir.path().join("one"), dir.path().join("array"));
    run(&sweep_args(&one), &[]);
    let mut args = sweep_args(&array);
    args.insert(0, "slurm".into());
    let o = run(&args, &["--tasks", "4", "--time", "00:10:00", "--submit"]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let (array_id, merge_id) = (job_id(&stdout, "array job"), job_id(&stdout, "merge job"));
    let _guard = CancelOnDrop(vec![array_id.clone(), merge_id.clone()]);
    assert!(
        stdout.contains(&format!("squeue -j {array_id},{merge_id}")),
        "{stdout}"
    );
    wait_until("the merge job", &array, || queued(&merge_id).is_empty());
    same_tables(&one, &array);
    for k in 0..4 {
        let log = array.join(format!("slurm/logs/regsim-sweep-{array_id}_{k}.out"));
        let text = fs::read_to_string(&log).unwrap_or_default();
        assert!(
            text.contains(&format!("shard {k}/4: 0 of 2 runs staged, 2 to run")),
            "{}: {text}",
            log.display()
        );
    }
}

#[test]
fn cancelled_task_resubmitted_alone_merges_to_the_single_machine_sweep() {
    if !cluster("cancelled_task_resubmitted_alone_merges_to_the_single_machine_sweep") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (one, array) = (dir.path().join("one"), dir.path().join("array"));
    run(&sweep_args(&one), &[]);
    // A job holding the whole node keeps the array pending, so task 2 is cancelled before it
    // can start (not racing a task that takes a fraction of a second).
    let blocker = Command::new("sbatch")
        .args([
            "--parsable",
            "--exclusive",
            "--time=00:10:00",
            "--output=/dev/null",
        ])
        .args(["--job-name=regsim-test-blocker", "--wrap", "sleep 600"])
        .output()
        .expect("sbatch runs");
    let blocker = String::from_utf8_lossy(&blocker.stdout)
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(!blocker.is_empty(), "blocker job not submitted");
    let mut guard = CancelOnDrop(vec![blocker.clone()]);
    wait_until("the blocker to run", &array, || {
        queued(&blocker).iter().any(|l| l.ends_with("RUNNING"))
    });
    let mut args = sweep_args(&array);
    args.insert(0, "slurm".into());
    let o = run(&args, &["--tasks", "4", "--time", "00:10:00", "--submit"]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let (array_id, merge_id) = (job_id(&stdout, "array job"), job_id(&stdout, "merge job"));
    guard.0.extend([array_id.clone(), merge_id.clone()]);
    scancel(&format!("{array_id}_2"));
    scancel(&blocker);
    wait_until("the first array", &array, || queued(&array_id).is_empty());
    // The merge job never runs: its dependency failed (--kill-on-invalid-dep=yes).
    wait_until("the first merge job to be dropped", &array, || {
        queued(&merge_id).is_empty()
    });
    scancel(&merge_id);
    assert!(!array.join("runs.csv").exists(), "merged without shard 2");
    let staged = fs::read_dir(array.join("runs")).unwrap().count();
    assert_eq!(staged, 6, "shards 0, 1, 3 staged 2 runs each");

    let o = run(
        &args,
        &["--tasks", "4", "--time", "00:10:00", "--resume", "--submit"],
    );
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        stdout.contains("6 of 8 runs staged; tasks with missing runs: 2"),
        "{stdout}"
    );
    let (again, merge_id) = (job_id(&stdout, "array job"), job_id(&stdout, "merge job"));
    guard.0.extend([again.clone(), merge_id.clone()]);
    assert!(
        stdout.contains(&format!("array job {again}: tasks 2 ")),
        "{stdout}"
    );
    wait_until("the second merge job", &array, || {
        queued(&merge_id).is_empty()
    });
    same_tables(&one, &array);
    let log = array.join(format!("slurm/logs/regsim-sweep-{again}_2.out"));
    let text = fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("shard 2/4: 0 of 2 runs staged, 2 to run"),
        "{text}"
    );
}
