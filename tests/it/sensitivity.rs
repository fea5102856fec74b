//! Sensitivity estimators on analytic functions (Ishigami a=7 b=0.1, Sobol G, linear) against
//! their known indices, and against SALib on the same design (skipped with a note where
//! python3 or SALib is missing; `.ci/run` installs SALib).

use regsim::analysis::morris::{morris_design, morris_indices};
use regsim::analysis::sobol::{g_function, ishigami, saltelli_design, sobol_indices};
use std::path::Path;
use std::process::Command;

fn within(what: &str, est: regsim::analysis::Estimate, truth: f64) {
    assert!(
        est.ci_low <= truth && truth <= est.ci_high && (est.value - truth).abs() < 0.03,
        "{what}: estimate {:.4} [{:.4}, {:.4}], analytic {truth:.4}",
        est.value,
        est.ci_low,
        est.ci_high
    );
}

#[test]
fn ishigami_indices_are_recovered_within_their_cis() {
    let x = saltelli_design(3, 1 << 13, false, 1).unwrap();
    let y: Vec<f64> = x.iter().map(|r| ishigami::f(r, 7.0, 0.1)).collect();
    let s = sobol_indices(&y, 3, false, 300, 2).unwrap();
    let (s1, st) = ishigami::indices(7.0, 0.1);
    for i in 0..3 {
        println!(
            "ishigami x{}: S1 {:.4} [{:.4}, {:.4}] (analytic {:.4}), ST {:.4} [{:.4}, {:.4}] (analytic {:.4})",
            i + 1,
            s.s1[i].value,
            s.s1[i].ci_low,
            s.s1[i].ci_high,
            s1[i],
            s.st[i].value,
            s.st[i].ci_low,
            s.st[i].ci_high,
            st[i]
        );
        within(&format!("S1 x{}", i + 1), s.s1[i], s1[i]);
        within(&format!("ST x{}", i + 1), s.st[i], st[i]);
    }
}

#[test]
fn sobol_g_indices_are_recovered_within_their_cis() {
    let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
    let x = saltelli_design(a.len(), 1 << 12, true, 3).unwrap();
    let y: Vec<f64> = x.iter().map(|r| g_function::f(r, &a)).collect();
    let s = sobol_indices(&y, a.len(), true, 300, 4).unwrap();
    let (s1, st) = g_function::indices(&a);
    for i in 0..a.len() {
        println!(
            "G a={}: S1 {:.4} [{:.4}, {:.4}] (analytic {:.4}), ST {:.4} [{:.4}, {:.4}] (analytic {:.4})",
            a[i],
            s.s1[i].value,
            s.s1[i].ci_low,
            s.s1[i].ci_high,
            s1[i],
            s.st[i].value,
            s.st[i].ci_low,
            s.st[i].ci_high,
            st[i]
        );
        within(&format!("S1 x{i}"), s.s1[i], s1[i]);
        within(&format!("ST x{i}"), s.st[i], st[i]);
    }
    // The two most important inputs interact (S2 > 0); the two unimportant ones do not.
    assert!(s.s2[0][1].value > 0.02, "{:?}", s.s2[0][1]);
    assert!(s.s2[4][5].value.abs() < 0.01, "{:?}", s.s2[4][5]);
}

#[test]
fn morris_on_a_linear_function_gives_the_coefficients() {
    let c = [3.0, -2.0, 0.5, 0.0];
    let x = morris_design(c.len(), 10, 4, 5).unwrap();
    let y: Vec<f64> = x
        .iter()
        .map(|r| 1.0 + r.iter().zip(&c).map(|(x, c)| x * c).sum::<f64>())
        .collect();
    let m = morris_indices(&x, &y, c.len(), 100, 6).unwrap();
    for (i, c) in c.iter().enumerate() {
        assert!((m[i].mu_star.value - c.abs()).abs() < 1e-12, "{:?}", m[i]);
        assert!((m[i].mu - c).abs() < 1e-12);
        assert!(m[i].sigma < 1e-12, "a linear effect does not vary");
    }
}

/// Runs tests/it/salib_check.py on `rows` (x then y); None (with a printed note) when python3
/// or SALib is missing.
fn salib(method: &str, x: &[Vec<f64>], y: &[f64], extra: &str) -> Option<serde_json::Value> {
    let have = Command::new("python3")
        .args(["-c", "import SALib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        println!(
            "SKIPPED: SALib comparison ({method}): python3 with SALib not found (pip3 install SALib; .ci/run does)"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("xy.csv");
    let k = x[0].len();
    let mut text: String = (0..k).map(|i| format!("x{i},")).collect::<String>() + "y\n";
    for (r, v) in x.iter().zip(y) {
        for xi in r {
            text.push_str(&format!("{xi:?},"));
        }
        text.push_str(&format!("{v:?}\n"));
    }
    std::fs::write(&file, text).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/salib_check.py");
    let out = Command::new("python3")
        .arg(script)
        .args([method, file.to_str().unwrap(), &k.to_string(), extra])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn largest_difference(ours: impl IntoIterator<Item = f64>, theirs: &serde_json::Value) -> f64 {
    ours.into_iter()
        .zip(theirs.as_array().unwrap())
        .map(|(a, b)| (a - b.as_f64().unwrap()).abs())
        .fold(0.0, f64::max)
}

#[test]
fn sobol_indices_agree_with_salib_on_the_same_design() {
    let x = saltelli_design(3, 1 << 10, true, 7).unwrap();
    let y: Vec<f64> = x.iter().map(|r| ishigami::f(r, 7.0, 0.1)).collect();
    let Some(theirs) = salib("sobol", &x, &y, "1") else {
        return;
    };
    let s = sobol_indices(&y, 3, true, 10, 1).unwrap();
    let d1 = largest_difference(s.s1.iter().map(|e| e.value), &theirs["S1"]);
    let dt = largest_difference(s.st.iter().map(|e| e.value), &theirs["ST"]);
    let mut d2: f64 = 0.0;
    for i in 0..3 {
        for j in i + 1..3 {
            d2 = d2.max((s.s2[i][j].value - theirs["S2"][i][j].as_f64().unwrap()).abs());
        }
    }
    println!("largest difference from SALib: S1 {d1:.2e}, ST {dt:.2e}, S2 {d2:.2e}");
    assert!(d1 < 1e-10 && dt < 1e-10 && d2 < 1e-10);
}

#[test]
fn morris_indices_agree_with_salib_on_the_same_design() {
    let x = morris_design(3, 20, 4, 8).unwrap();
    let y: Vec<f64> = x.iter().map(|r| ishigami::f(r, 7.0, 0.1)).collect();
    let Some(theirs) = salib("morris", &x, &y, "4") else {
        return;
    };
    let m = morris_indices(&x, &y, 3, 10, 1).unwrap();
    let d = [
        largest_difference(m.iter().map(|e| e.mu), &theirs["mu"]),
        largest_difference(m.iter().map(|e| e.mu_star.value), &theirs["mu_star"]),
        largest_difference(m.iter().map(|e| e.sigma), &theirs["sigma"]),
    ];
    println!(
        "largest difference from SALib: mu {:.2e}, mu* {:.2e}, sigma {:.2e}",
        d[0], d[1], d[2]
    );
    assert!(d.iter().all(|&v| v < 1e-10), "{d:?}");
}

fn ranges(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("ranges.toml");
    std::fs::write(
        &file,
        r#"[uncertainty.firms]
hire_speed_per_month = { dist = "triangular", low = 0.05, mode = 0.15, high = 0.3 }
exit_loss_months = { dist = "uniform", low = 3, high = 12, integer = true }
[uncertainty.policy.jump_up]
productivity_gain = { dist = "uniform", low = 0.1, high = 0.4 }
"#,
    )
    .unwrap();
    file
}

#[test]
fn sensitivity_runs_resumes_byte_identical_and_reads_against_as_a_difference() {
    let dir = tempfile::tempdir().unwrap();
    let u = ranges(dir.path());
    let out = dir.path().join("morris");
    let base = super::baseline_path();
    let policy = super::exit8_policy(dir.path());
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "sensitivity",
            policy.to_str().unwrap(),
            "--uncertainty",
            u.to_str().unwrap(),
            "--against",
            base.to_str().unwrap(),
            "--scale",
            "0.0005",
            "--trajectories",
            "3",
            "--replicates",
            "2",
            "--metric",
            "employment",
            "--region",
            "national",
            "--region",
            "busan",
            "--year",
            "2027",
            "--no-charts",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let o = super::regsim(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        assert!(o.status.success(), "{}", super::stderr(&o));
        o
    };
    let o = run(&[]);
    assert!(super::stderr(&o).contains("left out: policy.jump_up.productivity_gain"));
    let read = |f: &str| std::fs::read(out.join(f)).unwrap();
    let (design, sens) = (read("design.csv"), read("sensitivity.csv"));
    let text = String::from_utf8(sens.clone()).unwrap();
    // 2 parameters x (mu, mu*, sigma) + the Monte Carlo share, for 2 outputs.
    assert_eq!(text.lines().count(), 1 + 2 * 7, "{text}");
    assert!(text.contains("firms.hire_speed_per_month,employment,busan,2027,mu_star,"));
    // (2 + 1) x 3 points, run for both scenarios.
    assert_eq!(std::fs::read_dir(out.join("runs")).unwrap().count(), 18);
    assert_eq!(
        std::fs::read_dir(out.join("against/runs")).unwrap().count(),
        18
    );
    // The policy sets exit_loss_months = 8, but the design sets it in both: the paired
    // difference of a key both scenarios take is exactly zero at every point.
    let outputs = String::from_utf8(read("outputs.csv")).unwrap();
    for line in outputs.lines().skip(1) {
        assert_eq!(line.split(',').nth(4), Some("0"), "{line}");
    }
    // Damage one staged run: --resume recomputes it and writes the same bytes.
    std::fs::write(out.join("runs/run-000004.csv"), "x").unwrap();
    run(&["--resume"]);
    assert_eq!(read("design.csv"), design);
    assert_eq!(read("sensitivity.csv"), sens);
    // `regsim chart` draws one Morris chart per output, in both languages.
    for lang in ["en", "ko"] {
        let o = super::regsim(&["chart", out.to_str().unwrap(), "--lang", lang], &[]);
        assert!(o.status.success(), "{}", super::stderr(&o));
        for n in 0..2 {
            let png = out.join(format!("charts/sensitivity_morris_{n}.png"));
            assert!(
                std::fs::metadata(&png).unwrap().len() > 1000,
                "{}",
                png.display()
            );
        }
    }
}

#[test]
fn sensitivity_refuses_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let u = ranges(dir.path());
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[uncertainty.firms]\nno_such_key = { dist = \"uniform\", low = 0, high = 1 }\n",
    )
    .unwrap();
    let base = super::baseline_path();
    for (args, says) in [
        (
            vec!["--uncertainty", bad.to_str().unwrap()],
            "firms.no_such_key: not a value of the scenario",
        ),
        (
            vec!["--uncertainty", u.to_str().unwrap(), "--metric", "nope"],
            "--metric nope: not a national metric; allowed:",
        ),
        (
            vec!["--uncertainty", u.to_str().unwrap(), "--year", "2040"],
            "--year 2040: allowed: 2025 to 2030",
        ),
        (
            vec!["--uncertainty", u.to_str().unwrap(), "--levels", "5"],
            "levels: 5; allowed: an even number",
        ),
    ] {
        let mut a = vec!["sensitivity", base.to_str().unwrap(), "--scale", "0.0005"];
        a.extend(args);
        let o = super::regsim(&a, &[]);
        let err = super::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{err}");
        assert!(errors[0].contains(says), "{err}");
    }
}
