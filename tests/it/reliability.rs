//! Issue 19's reproducers, one test each, named after the defect it pins: inputs that
//! panicked, aborted, produced NaN or gave confusing messages; output folders written by two
//! commands at once, `--force` leaving another command's files, staged runs trusted after an
//! edit, temporary files left behind, tables and charts with different modes.

use super::{baseline_path, regsim, stderr};
use regsim::scenario::Scenario;
use std::path::{Path, PathBuf};

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Loads like `regsim check` and returns the error text (the case must be rejected).
fn rejected(file: &Path, sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let result = std::panic::catch_unwind(|| Scenario::load(file, &sets));
    let err = result
        .expect("must not panic")
        .expect_err("must be rejected")
        .to_string();
    assert!(!err.trim().is_empty());
    err
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The exit code and the stderr of the regsim binary.
fn cli(args: &[&str]) -> (i32, String) {
    let out = regsim(args, &[]);
    (out.status.code().unwrap_or(-1), stderr(&out))
}

/// A refusal: exit 2, one line starting with `error:`, no panic.
fn refused(args: &[&str]) -> String {
    let (code, err) = cli(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

// ---- crashes instead of errors ----

#[test]
fn tips_min_stage_above_max_is_an_error_not_a_panic() {
    let err = rejected(&baseline_path(), &["investors.tips.min_stage=1"]);
    assert!(err.contains("investors.tips.min_stage"), "{err}");
}

#[test]
fn policy_start_year_i64_min_is_an_error_not_an_index_panic() {
    let f = scenario("work-plan-2026.toml");
    let err = rejected(&f, &["start_year=-9223372036854775808"]);
    assert!(err.contains("`start_year`") && err.contains("allowed: a number from 2000 to 2100"));
    assert_eq!(
        err.lines().count(),
        1,
        "only the start year is wrong: {err}"
    );
}

#[test]
fn policy_end_year_i64_max_is_an_error_not_a_capacity_overflow() {
    let f = scenario("work-plan-2026.toml");
    let err = rejected(&f, &["end_year=9223372036854775807"]);
    assert!(
        err.contains("`end_year`") && err.contains("2025 to 2075"),
        "{err}"
    );
}

#[test]
fn policy_start_year_minus_1e12_is_an_error_not_a_15_tb_allocation() {
    let f = scenario("work-plan-2026.toml");
    let err = rejected(&f, &["start_year=-1000000000000"]);
    assert!(err.contains("`start_year`"), "{err}");
}

#[test]
fn sweep_replicates_2_pow_32_is_refused_not_an_abort() {
    let err = refused(&[
        "sweep",
        path_str(&baseline_path()),
        "--replicates",
        "4294967296",
    ]);
    assert!(err.contains("1..=1000000"), "{err}");
}

#[test]
fn sweep_replicates_u64_max_is_refused_not_a_panic() {
    let err = refused(&[
        "sweep",
        path_str(&baseline_path()),
        "--replicates",
        "18446744073709551615",
    ]);
    assert!(err.contains("--replicates"), "{err}");
}

// ---- bounds on the work a scenario asks for ----

#[test]
fn parameters_that_create_agents_have_upper_bounds() {
    for (set, key) in [
        ("firms.total_smes=1e10", "firms.total_smes"),
        ("firms.total_smes=1e15", "firms.total_smes"),
        ("firms.total_smes=1e300", "firms.total_smes"),
        ("startups.initial_total=1e12", "startups.initial_total"),
        (
            "regions.sejong.population=1e15",
            "regions.sejong.population",
        ),
        (
            "regions.gyeongbuk.smes_2021=1e308",
            "regions.gyeongbuk.smes_2021",
        ),
    ] {
        let err = rejected(&baseline_path(), &[set]);
        assert!(err.contains(key) && err.contains("allowed"), "{set}: {err}");
        // Numbers are shown in exponent form, not as three hundred digits.
        assert!(err.len() < 300, "{set}: {err}");
    }
    let err = rejected(
        &scenario("work-plan-2026.toml"),
        &["policy.local_entrepreneurs.founders_by_year.2026=1e12"],
    );
    assert!(err.contains("founders_by_year.2026"), "{err}");
}

#[test]
fn a_run_that_cannot_fit_in_memory_is_refused_naming_a_scale_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let err = refused(&[
        "run",
        path_str(&baseline_path()),
        "--scale",
        "1.0",
        "--max-memory",
        "256M",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--max-memory") && err.contains("needs about"),
        "{err}"
    );
    let fit: f64 = err
        .split("--scale ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no scale in {err}"));
    assert!(fit > 0.0 && fit < 1.0, "{err}");
    assert!(!out.join("regions.csv").exists(), "nothing was run");
    // The scale it names passes the same guard.
    let scn = super::baseline(&[&format!("scale={fit}")]);
    assert!(regsim::resources::estimate(&scn, 1, 1, 1).bytes <= 256.0 * 1048576.0);
}

// ---- accepted values that gave NaN, inf or nothing ----

#[test]
fn scale_5e_324_is_rejected_not_nan_rows() {
    let err = rejected(&baseline_path(), &["scale=5e-324"]);
    assert!(
        err.contains("`scale`") && err.contains("from 1e-6 to 1"),
        "{err}"
    );
}

#[test]
fn scale_1e_300_is_rejected_not_zero_firms() {
    let err = rejected(&baseline_path(), &["scale=1e-300"]);
    assert!(err.contains("`scale`"), "{err}");
    // A scale that leaves no firm agent at all is named as such.
    let err = rejected(&baseline_path(), &["scale=1e-6", "firms.total_smes=1000"]);
    assert!(err.contains("gives no firm agent"), "{err}");
}

#[test]
fn a_region_without_firm_agents_is_rejected_not_nan_sales() {
    // Found by the fuzzer: 8,299 real SMEs at scale 0.001 left Ulsan without a firm agent,
    // so its sales level was never calibrated and its later entrants' sales were NaN.
    let f = scenario("supply-chain-shock.toml");
    let err = rejected(&f, &["scale=0.001", "firms.total_smes=8298.915"]);
    assert!(
        err.contains("`scale`") && err.contains("gives no firm agent in"),
        "{err}"
    );
    assert!(err.contains("ulsan"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_huge_entrant_scale_spread_is_rejected_not_nan_sales() {
    // Found by the fuzzer: entrant_scale_sd = 500 overflowed exp() of an entrant's log scale.
    let f = scenario("key-industries-2023.toml");
    let err = rejected(&f, &["firms.entrant_scale_sd=500.0"]);
    assert!(
        err.contains("firms.entrant_scale_sd") && err.contains("from 0 to 3"),
        "{err}"
    );
    // The largest accepted spread runs with finite outputs.
    let scn = Scenario::load(
        &f,
        &["scale=0.001".into(), "firms.entrant_scale_sd=3".into()],
    )
    .unwrap();
    assert_finite(&scn);
}

#[test]
fn a_zero_sme_share_of_workers_is_rejected_not_an_infinite_output() {
    // Found by the fuzzer: labour.sme_share_of_workers = -0.0 gave `inf` in a run's output.
    let err = rejected(&baseline_path(), &["labour.sme_share_of_workers=-0.0"]);
    assert!(
        err.contains("labour.sme_share_of_workers") && err.contains("0.01 to 1"),
        "{err}"
    );
    assert_finite(&super::baseline(&[
        "scale=0.001",
        "labour.sme_share_of_workers=0.01",
    ]));
}

#[test]
fn fewer_people_than_sme_workers_is_rejected_not_an_infinite_output() {
    // Found by the fuzzer: 1,108 people in Ulsan beside its SME workers gave -inf.
    let f = scenario("work-plan-2026.toml");
    let err = rejected(&f, &["regions.ulsan.population=1107.687"]);
    assert!(
        err.contains("regions.ulsan.population") && err.contains("SME workers"),
        "{err}"
    );
}

#[test]
fn half_a_person_population_is_rejected_not_nan_migration() {
    let err = rejected(&baseline_path(), &["regions.chungbuk.population=0.5"]);
    assert!(err.contains("regions.chungbuk.population"), "{err}");
}

/// Every value of every table of a run is finite.
fn assert_finite(scn: &Scenario) {
    let r = regsim::sim::simulate_plain(scn, scn.seed);
    let values = r
        .regions
        .iter()
        .flat_map(|x| x.values())
        .chain(r.national.iter().flat_map(super::national_values))
        .chain(
            r.programs
                .iter()
                .flat_map(|p| [p.spend_krw, p.firms_treated, p.startups_treated]),
        );
    for v in values {
        assert!(v.is_finite(), "{v}");
    }
}

#[test]
fn a_small_region_population_is_rejected_not_nan_migration() {
    // Found by the fuzzer: 3,331 people beside 800,000 SME workers overflowed the migration
    // logit (which now also falls back to its max-shifted form when exp overflows).
    let f = scenario("work-plan-2026.toml");
    let err = rejected(&f, &["regions.busan.population=3330.946"]);
    assert!(
        err.contains("regions.busan.population") && err.contains("SME workers"),
        "{err}"
    );
}

#[test]
fn subnormal_key_industry_incentive_is_rejected_not_nan_sales() {
    let f = scenario("key-industries-2023.toml");
    let err = rejected(
        &f,
        &["policy.key_industries.incentive_krw_by_year.2025=5e-324"],
    );
    assert!(err.contains("incentive_krw_by_year.2025"), "{err}");
    assert!(err.contains("at least 1e-9"), "{err}");
}

#[test]
fn one_stop_cost_1e308_is_rejected_not_inf_spend() {
    let f = scenario("work-plan-2026.toml");
    let err = rejected(&f, &["policy.one_stop.cost_krw_by_year.2029=1e308"]);
    assert!(err.contains("at most 1e15"), "{err}");
    // The largest accepted amount runs with finite outputs.
    let scn = Scenario::load(
        &f,
        &[
            "scale=0.001".into(),
            "policy.one_stop.cost_krw_by_year.2029=1e15".into(),
        ],
    )
    .unwrap();
    assert_finite(&scn);
}

// ---- messages ----

#[test]
fn empty_extends_names_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("child.toml");
    std::fs::write(&f, "extends = \"\"\nname = \"x\"\n").unwrap();
    let err = rejected(&f, &[]);
    assert!(
        err.starts_with(&format!("{}:1: key `extends`", f.display())),
        "{err}"
    );
}

#[test]
fn set_unknown_key_on_an_extending_scenario_names_it_once_at_the_right_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("child.toml");
    let parent = baseline_path();
    std::fs::write(
        &f,
        format!("extends = \"{}\"\nname = \"child\"\n", parent.display()),
    )
    .unwrap();
    let err = rejected(&f, &["firms.foo=1"]);
    assert!(err.contains("key `firms.foo`:"), "{err}");
    assert!(!err.contains("firms.foo.foo"), "{err}");
    assert!(err.starts_with(&format!("{}: key", f.display())), "{err}");
}

#[test]
fn set_unknown_region_says_unknown_region() {
    let err = rejected(&baseline_path(), &["regions.nowhere.smes_2021=1"]);
    assert!(err.contains("unknown region `nowhere`"), "{err}");
    assert!(!err.contains("missing field"), "{err}");
}

#[test]
fn a_newline_in_a_value_stays_on_one_line() {
    let err = rejected(&baseline_path(), &["name=a\nb"]);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a\\nb"), "{err}");
}

#[test]
fn scale_nan_says_out_of_range_not_string() {
    let err = refused(&["check", path_str(&baseline_path()), "--scale", "nan"]);
    assert!(err.contains("`scale`: NaN is out of range"), "{err}");
    assert!(!err.contains("string"), "{err}");
}

#[test]
fn threads_100000_is_refused_at_once_with_the_bound() {
    let err = refused(&["run", path_str(&baseline_path()), "--threads", "100000"]);
    assert!(err.contains("from 1 to 256"), "{err}");
    // Refused while parsing arguments, before any thread is created.
    assert!(
        err.contains("invalid value '100000' for '--threads"),
        "{err}"
    );
}

#[test]
fn extends_dev_zero_is_refused_not_read_until_memory_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("child.toml");
    std::fs::write(&f, "extends = \"/dev/zero\"\nname = \"x\"\n").unwrap();
    let err = rejected(&f, &[]);
    assert!(err.contains("not a regular file"), "{err}");
    assert!(err.contains("key `extends`"), "{err}");
}

#[test]
fn extends_a_fifo_is_refused_not_blocking_forever() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    match std::process::Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("NOTE: mkfifo is not available; the FIFO case is not tested here");
            return;
        }
    }
    let f = dir.path().join("child.toml");
    std::fs::write(&f, "extends = \"fifo.toml\"\nname = \"x\"\n").unwrap();
    let err = rejected(&f, &[]);
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_scenario_file_larger_than_1_mib_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.toml");
    let mut text = std::fs::read_to_string(baseline_path()).unwrap();
    text.push_str(&"#".repeat(1 << 20));
    std::fs::write(&f, text).unwrap();
    let err = rejected(&f, &[]);
    assert!(err.contains("at most 1048576 bytes"), "{err}");
}

#[test]
fn set_extends_is_rejected_not_silently_ignored() {
    let err = rejected(&baseline_path(), &["extends=work-plan-2026.toml"]);
    assert!(
        err.contains("--set extends=") && err.contains("cannot be set"),
        "{err}"
    );
}

#[test]
fn a_dangling_symlink_out_is_named_not_file_exists() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("out");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    let err = refused(&[
        "run",
        path_str(&baseline_path()),
        "--scale",
        "0.001",
        "--no-charts",
        "--out",
        path_str(&link),
    ]);
    assert!(
        err.contains("symbolic link") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("File exists"), "{err}");
}

// ---- output folders ----

fn sweep(out: &Path, extra: &[&str]) -> (i32, String) {
    let base = baseline_path();
    let mut args = vec![
        "sweep",
        path_str(&base),
        "--replicates",
        "2",
        "--scale",
        "0.001",
        "--no-charts",
        "--out",
        path_str(out),
    ];
    args.extend(extra);
    cli(&args)
}

#[test]
fn chart_and_report_refuse_garbage_summary_sweep_json_and_compare_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    assert_eq!(sweep(&out, &[]).0, 0);
    let good_summary = std::fs::read(out.join("summary.csv")).unwrap();
    let good_sweep = std::fs::read(out.join("sweep.json")).unwrap();
    for (file, garbage) in [
        ("summary.csv", "garbage\n"),
        (
            "summary.csv",
            "point,year,region,metric,n,mean,sd,p05,p50,p95,ci95_low,ci95_high\n0,2025,busan,firms,2,x,1,1,1,1,1,1\n",
        ),
        ("sweep.json", "{\"x\": 1}"),
        ("sweep.json", "nonsense"),
        ("compare.json", "[1, 2]"),
    ] {
        std::fs::write(out.join(file), garbage).unwrap();
        for cmd in ["chart", "report"] {
            let err = refused(&[cmd, path_str(&out)]);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(file), "{cmd} {file}: {err}");
        }
        std::fs::write(out.join("summary.csv"), &good_summary).unwrap();
        std::fs::write(out.join("sweep.json"), &good_sweep).unwrap();
        let _ = std::fs::remove_file(out.join("compare.json"));
    }
    let (code, err) = cli(&["report", path_str(&out)]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_second_command_into_a_locked_folder_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    // A first sweep in progress (its lock, held by this test process).
    let lock =
        regsim::output::lock_dir(&out, "regsim sweep --set firms.displacement=0.4", true).unwrap();
    let (code, err) = sweep(&out, &["--set", "firms.displacement=0.6"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("in use by another regsim command"), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(err.contains("firms.displacement=0.4"), "{err}");
    assert!(!out.join("runs").exists(), "the second sweep wrote nothing");
    drop(lock);
    // Once the first is done the folder is free (and empty apart from the lock file).
    assert_eq!(sweep(&out, &[]).0, 0);
    // A different --set into the finished sweep's folder is refused too (non-empty).
    let (code, err) = sweep(&out, &["--set", "firms.displacement=0.6"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty"), "{err}");
    // And --resume with a different --set names what differs.
    let (code, err) = sweep(&out, &["--resume", "--set", "firms.displacement=0.6"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("differs in"), "{err}");
}

#[test]
fn run_force_over_a_sweep_folder_leaves_only_the_runs_files_and_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    assert_eq!(sweep(&out, &[]).0, 0);
    let (code, err) = cli(&["chart", path_str(&out)]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("charts/mine.png"), "mine").unwrap();
    let (code, err) = cli(&[
        "run",
        path_str(&baseline_path()),
        "--scale",
        "0.001",
        "--force",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    for gone in ["runs.csv", "summary.csv", "sweep.json", "runs"] {
        assert!(!out.join(gone).exists(), "{gone} left behind");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(out.join("charts/mine.png").exists());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "run");
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(listed.contains(&"report.html") && listed.iter().any(|f| f.starts_with("charts/")));
    // Every chart in the folder is the run's (listed) or the user's.
    for entry in std::fs::read_dir(out.join("charts")).unwrap().flatten() {
        let name = format!("charts/{}", entry.file_name().to_string_lossy());
        assert!(
            listed.contains(&name.as_str()) || name == "charts/mine.png",
            "{name}"
        );
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!report.contains("sweep of"), "the report is the run's");
}

#[test]
fn an_edited_staged_run_is_recomputed_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    assert_eq!(sweep(&out, &[]).0, 0);
    let runs_csv = std::fs::read(out.join("runs.csv")).unwrap();
    let staged = out.join("runs/run-000001.csv");
    let text = std::fs::read_to_string(&staged).unwrap();
    assert!(
        text.lines().last().unwrap().split(',').count() == 5,
        "{text:.100}"
    );
    // One digit changed by hand in a value; the `#end` line intact.
    let at = text.find(",2025,busan,").unwrap() + ",2025,busan,".len();
    let digit = text[at..].find(|c: char| c.is_ascii_digit()).unwrap() + at;
    let mut edited = text.clone().into_bytes();
    edited[digit] = if edited[digit] == b'9' {
        b'8'
    } else {
        edited[digit] + 1
    };
    std::fs::write(&staged, &edited).unwrap();
    let (code, err) = sweep(&out, &["--resume"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 of 2 runs staged, 1 to run"), "{err}");
    assert_eq!(std::fs::read_to_string(&staged).unwrap(), text);
    assert_eq!(std::fs::read(out.join("runs.csv")).unwrap(), runs_csv);
}

#[test]
fn temp_files_a_killed_command_left_are_swept_by_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    assert_eq!(sweep(&out, &[]).0, 0);
    std::fs::create_dir_all(out.join("charts")).unwrap();
    let leftovers = [".tmp-abc123", "charts/.tmp-national.999.png", "runs/.tmp-x"];
    for f in leftovers {
        std::fs::write(out.join(f), "partial").unwrap();
    }
    let (code, err) = cli(&["report", path_str(&out)]);
    assert_eq!(code, 0, "{err}");
    for f in leftovers {
        assert!(!out.join(f).exists(), "{f} left");
    }
}

#[test]
fn tables_and_charts_get_the_same_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let (code, err) = cli(&[
        "run",
        path_str(&baseline_path()),
        "--scale",
        "0.001",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let table = mode(&out.join("regions.csv"));
    assert_eq!(table, mode(&out.join("report.html")));
    let chart = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    assert_eq!(table, mode(&chart));
    // The mode any program gets under this umask (tempfile's 0600 is what it was).
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "x").unwrap();
    assert_eq!(table, mode(&plain));
}
