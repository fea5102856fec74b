//! `regsim validate` on the baseline: every calibration band of the validation issue holds,
//! and a scenario that breaks a fact is caught (exit code 1).

use super::{baseline, baseline_path, regsim, stderr};

#[test]
fn baseline_passes_every_validation_target() {
    let scn = baseline(&[]);
    let v = regsim::validate::validate(&scn, &[1, 2, 3, 4, 5]);
    let failed: Vec<String> = v
        .targets
        .iter()
        .filter(|t| !t.pass)
        .map(|t| format!("{}: {} not in [{}, {}]", t.target, t.model, t.low, t.high))
        .collect();
    assert!(failed.is_empty(), "failing targets:\n{}", failed.join("\n"));
    assert!(v.targets.len() >= 20);
    // The tail's Korean moment is checked in the start year.
    let mfg = v
        .targets
        .iter()
        .filter(|t| t.target.starts_with("mean employees of manufacturing SMEs"))
        .count();
    assert_eq!(mfg, 1);
    // The data behind the distributional targets is there and well-formed.
    assert!(v.size_ccdf.first().unwrap().ccdf == 1.0);
    assert!(
        v.size_ccdf
            .windows(2)
            .all(|w| w[1].ccdf < w[0].ccdf && w[1].employees > w[0].employees)
    );
    let mass: f64 = v.growth_hist.iter().map(|b| b.density * 0.05).sum();
    assert!((0.9..=1.0 + 1e-9).contains(&mass), "histogram mass {mass}");
    // Kaplan-Meier survival never rises.
    assert!(v.survival.windows(2).all(|w| w[1] <= w[0]));
}

#[test]
fn validate_writes_its_tables_and_exits_1_on_a_failing_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let scn = baseline_path();
    let o = regsim(
        &[
            "validate",
            scn.to_str().unwrap(),
            "--seeds",
            "1",
            "--scale",
            "0.003",
            "--set",
            "firms.exit_hazard_mature_per_year=0.3",
            "--out",
            out.to_str().unwrap(),
            "--no-charts",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("firm death rate per year"), "{stdout}");
    assert!(stdout.contains("FAIL"));
    let csv = std::fs::read_to_string(out.join("validation.csv")).unwrap();
    assert!(
        csv.starts_with("target,source,model,low,high,pass\n"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("firm birth rate per year") && l.ends_with(",false"))
    );
    let survival = std::fs::read_to_string(out.join("survival.csv")).unwrap();
    assert!(
        survival.starts_with("age_months,survival\n0,"),
        "{survival}"
    );
    for f in [
        "size_ccdf.csv",
        "size_tail_fit.csv",
        "growth_hist.csv",
        "survival.csv",
        "manifest.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
}
