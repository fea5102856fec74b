//! `--shard K/N`, `--shard-from-slurm` and `regsim merge`: shards staged one by one and merged
//! give tables byte-identical to the same sweep or comparison on one machine; merge refuses
//! (naming the missing ids) until every shard is done; `--resume --shard` recomputes only its
//! shard's missing runs; bad shards, foreign folders and changed definitions are refused;
//! `regsim slurm` writes scripts that pass the ensemble's arguments through.

use super::{baseline_path, regsim, stderr};
use std::fs;
use std::path::Path;
use std::process::Output;

/// 2 points x 4 replicates = 8 runs at 0.001 agents per firm, 2025-2026.
pub fn sweep_args(out: &Path) -> Vec<String> {
    [
        "sweep",
        baseline_path().to_str().unwrap(),
        "--scale",
        "0.001",
        "--set",
        "end_year=2026",
        "--replicates",
        "4",
        "--vary",
        "firms.exit_loss_months=4,8",
        "--no-charts",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}

pub fn run(args: &[String], extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(extra);
    regsim(&all, env)
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

/// An exit-2 refusal on one line containing `needle`.
fn refused(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
}

fn same_files(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn merge(dir: &Path) -> Output {
    regsim(&["merge", dir.to_str().unwrap(), "--no-charts"], &[])
}

#[test]
fn sharded_sweep_merges_to_the_single_machine_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (one, sharded) = (dir.path().join("one"), dir.path().join("sharded"));
    ok(&run(&sweep_args(&one), &[], &[]));
    let args = sweep_args(&sharded);
    // Shards 0/3 and 2/3 staged: merge names what shard 1/3 owns (ids 1, 4, 7).
    ok(&run(&args, &["--shard", "2/3"], &[]));
    ok(&run(&args, &["--shard", "0/3"], &[]));
    assert!(
        !sharded.join("runs.csv").exists(),
        "a shard does not assemble"
    );
    refused(&merge(&sharded), "3 of 8 runs not staged yet (ids 1-7:3)");
    assert!(!sharded.join("runs.csv").exists());
    // Shard 1/3 through the Slurm environment (an array started at 1).
    let env = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
    ];
    let o = run(&args, &["--shard-from-slurm"], &env);
    ok(&o);
    assert!(
        stderr(&o).contains("shard 1/3: 0 of 3 runs staged, 3 to run"),
        "{}",
        stderr(&o)
    );
    ok(&merge(&sharded));
    same_files(&one, &sharded, &["runs.csv", "summary.csv", "sweep.json"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(sharded.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "sweep");
    assert_eq!(manifest["replicates"], 4);
}

#[test]
fn resume_of_one_shard_recomputes_only_its_missing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (one, sharded) = (dir.path().join("one"), dir.path().join("sharded"));
    ok(&run(&sweep_args(&one), &[], &[]));
    let args = sweep_args(&sharded);
    for k in ["0/2", "1/2"] {
        ok(&run(&args, &["--shard", k], &[]));
    }
    // Lose run 3 (shard 1/2) and damage run 6 (shard 0/2).
    let staged = |id: u64| sharded.join("runs").join(format!("run-{id:06}.csv"));
    fs::remove_file(staged(3)).unwrap();
    let text = fs::read_to_string(staged(6)).unwrap();
    fs::write(staged(6), &text[..text.len() / 2]).unwrap();
    refused(&merge(&sharded), "2 of 8 runs not staged yet (ids 3, 6)");
    let o = run(&args, &["--resume", "--shard", "1/2"], &[]);
    ok(&o);
    assert!(
        stderr(&o).contains("shard 1/2: 3 of 4 runs staged, 1 to run"),
        "{}",
        stderr(&o)
    );
    refused(&merge(&sharded), "1 of 8 runs not staged yet (ids 6)");
    let o = run(&args, &["--resume", "--shard", "0/2"], &[]);
    ok(&o);
    assert!(stderr(&o).contains("1 to run"), "{}", stderr(&o));
    ok(&merge(&sharded));
    same_files(&one, &sharded, &["runs.csv", "summary.csv"]);
}

#[test]
fn sharded_comparison_merges_to_the_single_machine_tables() {
    let dir = tempfile::tempdir().unwrap();
    let policy = super::exit8_policy(dir.path());
    let args = |out: &Path| -> Vec<String> {
        [
            "compare",
            baseline_path().to_str().unwrap(),
            policy.to_str().unwrap(),
            "--scale",
            "0.001",
            "--set",
            "end_year=2026",
            "--replicates",
            "3",
            "--no-charts",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let (one, sharded) = (dir.path().join("one"), dir.path().join("sharded"));
    ok(&run(&args(&one), &[], &[]));
    ok(&run(&args(&sharded), &["--shard", "1/2"], &[]));
    refused(&merge(&sharded), "2 of 3 pairs not staged yet (ids 0, 2)");
    ok(&run(&args(&sharded), &["--shard", "0/2"], &[]));
    let o = merge(&sharded);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("exit8 vs baseline"));
    same_files(
        &one,
        &sharded,
        &["compare.csv", "compare.json", "pairs.json"],
    );
    let o = regsim(
        &["merge", sharded.to_str().unwrap(), "--format", "parquet"],
        &[],
    );
    refused(&o, "only a sweep folder");
}

#[test]
fn bad_shards_foreign_folders_and_other_ensembles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let args = sweep_args(&out);
    for bad in ["0/0", "5/4", "4/4", "garbage", "-1/4"] {
        let o = run(&args, &[&format!("--shard={bad}")], &[]);
        refused(&o, &format!("--shard {bad}: allowed: K/N"));
    }
    assert!(!out.exists(), "a refused shard writes nothing");
    refused(
        &run(&args, &["--shard-from-slurm"], &[]),
        "SLURM_ARRAY_TASK_ID is not set",
    );
    let env = [
        ("SLURM_ARRAY_TASK_ID", "5"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    refused(
        &run(&args, &["--shard-from-slurm"], &env),
        "does not map to a shard",
    );
    let o = run(&args, &["--shard", "0/2", "--force"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    ok(&run(&args, &["--shard", "0/2"], &[]));
    // Another seed is another sweep: refused, naming the key; nothing it owns is touched.
    let before = fs::read(out.join("sweep.json")).unwrap();
    refused(
        &run(&args, &["--shard", "1/2", "--seed", "9"], &[]),
        "differs in: seed",
    );
    assert_eq!(fs::read(out.join("sweep.json")).unwrap(), before);
    assert!(!out.join("runs/run-000001.csv").exists());

    // A folder some other command made.
    let foreign = dir.path().join("foreign");
    fs::create_dir_all(&foreign).unwrap();
    fs::write(foreign.join("national.csv"), "year\n").unwrap();
    refused(
        &run(&sweep_args(&foreign), &["--shard", "0/2"], &[]),
        "not a sweep folder",
    );
    refused(&merge(&foreign), "no sweep.json or pairs.json");
    refused(&merge(&dir.path().join("nope")), "no such folder");
}

#[test]
fn slurm_scripts_pass_the_arguments_through_and_submit_needs_sbatch() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let mut args = sweep_args(&out);
    args.insert(0, "slurm".into());
    let o = run(
        &args,
        &["--tasks", "3", "--partition", "short", "--mem", "1G"],
        &[],
    );
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("submit: jid=$(sbatch --parsable --array=0-2 "),
        "{stdout}"
    );
    let script = fs::read_to_string(out.join("slurm/sweep-array.sh")).unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_regsim"))
        .canonicalize()
        .unwrap();
    for needle in [
        "#SBATCH --array=0-2\n".to_string(),
        "#SBATCH --partition=short\n".into(),
        "#SBATCH --mem=1G\n".into(),
        format!("exec {} sweep ", exe.display()),
        "--vary firms.exit_loss_months=4,8".into(),
        "--shard \"${SLURM_ARRAY_TASK_ID}/3\"".into(),
    ] {
        assert!(script.contains(&needle), "`{needle}` not in\n{script}");
    }
    assert!(!script.contains("--tasks"), "{script}");
    let merge_script = fs::read_to_string(out.join("slurm/merge.sh")).unwrap();
    assert!(
        merge_script.contains(&format!("merge {}", out.display())),
        "{merge_script}"
    );
    assert!(
        out.join("sweep.json").exists(),
        "the folder is claimed before submission"
    );

    // The folder is now in use: a second `regsim slurm` without --resume refuses it.
    refused(&run(&args, &["--tasks", "3"], &[]), "not empty");
    refused(&run(&args, &["--tasks", "0", "--resume"], &[]), "--tasks 0");
    refused(
        &run(&args, &["--tasks", "9", "--resume"], &[]),
        "allowed: 1 to 8",
    );
    refused(
        &run(&args, &["--tasks", "2", "--resume", "--time", "1 day"], &[]),
        "--time",
    );
    refused(
        &run(&args, &["--tasks", "2", "--resume", "--shard", "0/2"], &[]),
        "not with `regsim slurm`",
    );
    // --resume --submit where there is no sbatch.
    refused(
        &run(
            &args,
            &["--tasks", "2", "--resume", "--submit"],
            &[("PATH", "")],
        ),
        "sbatch: not found",
    );
}

/// Regression: a starting shard removed the `.tmp-*` files in `runs/` as leftovers of a
/// killed process, but they were another shard's files being written (its rename then failed:
/// `run-000002.csv: No such file or directory`, seen on the 4-task Slurm array).
#[test]
fn a_shard_leaves_other_shards_temporary_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let args = sweep_args(&out);
    ok(&run(&args, &["--shard", "0/2"], &[]));
    let in_flight = out.join("runs/.tmp-another-shard");
    fs::write(&in_flight, "half a run").unwrap();
    ok(&run(&args, &["--shard", "1/2"], &[]));
    ok(&run(&args, &["--resume", "--shard", "1/2"], &[]));
    assert!(
        in_flight.exists(),
        "a shard removed another's temporary file"
    );
    // A whole (unsharded) --resume owns the folder and clears leftovers.
    ok(&run(&args, &["--resume"], &[]));
    assert!(!in_flight.exists());
}
