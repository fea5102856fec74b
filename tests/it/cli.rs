//! `regsim run` and `regsim check` as a user meets them.

use super::{baseline_path, regsim, stderr};

#[test]
fn run_writes_documented_tables_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scn = baseline_path();
    let args = [
        "run",
        scn.to_str().unwrap(),
        "--scale",
        "0.002",
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ];
    let o = regsim(&args, &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    let regions = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    let header = regions.lines().next().unwrap();
    for col in [
        "year",
        "region",
        "firms",
        "startups",
        "startup_births",
        "startup_deaths",
        "firm_births",
        "firm_deaths",
        "employment",
        "sales_krw",
        "value_added_krw",
        "vc_investment_krw",
        "population",
        "population_15_39",
        "net_migration",
        "mid_sized_firms",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "regions.csv lacks {col}"
        );
    }
    assert_eq!(regions.lines().count(), 1 + 6 * 15);
    let national = std::fs::read_to_string(out.join("national.csv")).unwrap();
    let nh = national.lines().next().unwrap();
    for col in [
        "capital_share_firms",
        "capital_share_vc_investment",
        "noncapital_sme_sales_krw",
    ] {
        assert!(nh.contains(col), "national.csv lacks {col}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["scale"], 0.002);
    assert_eq!(manifest["scenario"]["name"], "baseline");
    assert!(manifest["git_commit"].as_str().is_some());
    assert!(manifest["wall_time_s"].as_f64().is_some());

    // A second run into the same folder is refused without --force, and leaves it untouched.
    let before = std::fs::read(out.join("regions.csv")).unwrap();
    let o = regsim(&args, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("regions.csv")).unwrap(), before);
    let mut forced = args.to_vec();
    forced.push("--force");
    assert!(regsim(&forced, &[]).status.success());
    // No temporary files are left behind.
    for e in std::fs::read_dir(&out).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".tmp"), "left {name}");
    }
}

#[test]
fn check_prints_the_resolved_scenario() {
    let scn = baseline_path();
    let o = regsim(
        &[
            "check",
            scn.to_str().unwrap(),
            "--set",
            "firms.entry_profit_elasticity=0.2",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("entry_profit_elasticity = 0.2"), "{text}");
    // The printed scenario is itself a valid scenario.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("resolved.toml");
    std::fs::write(&p, &text).unwrap();
    let s = regsim::scenario::Scenario::load(&p, &[]).unwrap();
    assert_eq!(s.firms.entry_profit_elasticity, 0.2);
}

#[test]
fn run_renders_charts_and_report_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scn = baseline_path();
    let o = regsim(
        &[
            "run",
            scn.to_str().unwrap(),
            "--scale",
            "0.002",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("charts/noncapital_sme_sales.png").exists());
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.matches("<svg").count() >= 5);
}

/// The report's language: `--lang` over REGSIM_LANG over the scenario's `[output] lang`;
/// bad values are one-line errors with exit 2. Tables are the same in both languages.
#[test]
fn lang_comes_from_flag_then_environment_then_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scn = baseline_path();
    let run = |out: &std::path::Path, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "run",
            scn.to_str().unwrap(),
            "--scale",
            "0.001",
            "--force",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        regsim(&args, env)
    };
    let lang_of = |out: &std::path::Path| {
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        html.split("<html lang=\"").nth(1).unwrap()[..2].to_string()
    };
    let (ko, en) = (dir.path().join("ko"), dir.path().join("en"));
    let o = run(&ko, &["--set", "output.lang=ko"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lang_of(&ko), "ko", "from the scenario");
    let o = run(&en, &[], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lang_of(&en), "en", "the default");
    for f in ["regions.csv", "national.csv"] {
        assert_eq!(
            std::fs::read(ko.join(f)).unwrap(),
            std::fs::read(en.join(f)).unwrap(),
            "{f} does not depend on the language"
        );
    }
    let dir_arg = ko.to_str().unwrap();
    let o = regsim(&["report", dir_arg], &[("REGSIM_LANG", "en")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lang_of(&ko), "en", "the environment over the scenario");
    let o = regsim(
        &["report", dir_arg, "--lang", "ko"],
        &[("REGSIM_LANG", "en")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lang_of(&ko), "ko", "the flag over the environment");
    let o = regsim(&["chart", dir_arg], &[("REGSIM_LANG", "kr")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("REGSIM_LANG=\"kr\": allowed: \"en\" or \"ko\""),
        "{}",
        stderr(&o)
    );
    let o = run(&en, &["--set", "output.lang=fr"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("output.lang"), "{}", stderr(&o));
    let o = regsim(&["report", dir_arg, "--lang", "jp"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

/// `regsim bench` appends one row per phase and thread count, plus the two bounds, to its CSV.
#[test]
fn bench_appends_phases_and_both_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bench.csv");
    let scn = baseline_path();
    let args = [
        "bench",
        scn.to_str().unwrap(),
        "--scale",
        "0.001",
        "--threads",
        "1",
        "--out",
        csv.to_str().unwrap(),
    ];
    let o = regsim(&args, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let phases: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap())
        .collect();
    for p in ["plan", "operate", "firm_update", "total", "memory_bound"] {
        assert!(phases.contains(&p), "{p} missing: {phases:?}");
    }
    // The baseline has a network: its parts are timed, and they add up to the phase at most.
    let seconds = |phase: &str| -> f64 {
        let row = text.lines().find(|l| l.split(',').nth(4) == Some(phase));
        row.unwrap_or_else(|| panic!("{phase} missing: {phases:?}"))
            .split(',')
            .nth(5)
            .unwrap()
            .parse()
            .unwrap()
    };
    let parts: Vec<f64> = regsim::step::network::PARTS
        .iter()
        .map(|p| seconds(&format!("network.{p}")))
        .collect();
    let network = seconds("network");
    assert!(parts.iter().all(|&s| s >= 0.0), "{parts:?}");
    assert!(
        parts.iter().sum::<f64>() <= network + 1e-6,
        "{parts:?} > {network}"
    );
    let orders = regsim::step::network::PARTS
        .iter()
        .position(|&p| p == "orders");
    assert!(
        parts[orders.unwrap()] > 0.0,
        "the order pass runs every month: {parts:?}"
    );
    let has_clock = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| c.contains("cpu MHz"));
    if has_clock {
        assert!(phases.contains(&"compute_bound"), "{phases:?}");
        assert!(stdout.contains("per cycle per core"), "{stdout}");
    } else {
        println!("NOTE: no clock rate in /proc/cpuinfo here; the compute bound is not checked");
    }
    // Bounds carry a positive rate.
    for l in text.lines().filter(|l| l.contains("_bound,")) {
        let rate: f64 = l.split(',').nth(7).unwrap().parse().unwrap();
        assert!(rate > 0.0, "{l}");
    }
    // A second run appends under the same header.
    let o = regsim(&args, &[]);
    assert!(o.status.success());
    let again = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(again.lines().count(), 2 * text.lines().count() - 1);
}
