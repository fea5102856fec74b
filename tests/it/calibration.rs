//! Calibration (method of simulated moments): two parameters are recovered from moments
//! simulated at known values with the same seeds, and `regsim calibrate` writes a scenario
//! that `extends` its input with only the fitted keys.

use rayon::prelude::*;
use regsim::analysis::optim::NelderMead;
use regsim::ensemble::calibrate::{Moment, MomentKind, fit, simulate_moments};
use regsim::ensemble::gsa::Output;
use regsim::ensemble::replicate_seed;
use regsim::scenario::Scenario;
use regsim::scenario::uncertainty::Uncertainty;
use std::path::Path;

const RANGES: &str = r#"
[uncertainty.labour]
participation_40_64 = { dist = "uniform", low = 0.74, high = 0.82 }
[uncertainty.firms]
hire_speed_per_month = { dist = "uniform", low = 0.05, high = 0.3 }
"#;

fn scenario_at(table: &Uncertainty, u: &[f64]) -> Scenario {
    let values: Vec<f64> = table
        .params
        .iter()
        .zip(u)
        .map(|(p, &u)| p.value_at(u))
        .collect();
    let sets = table.apply(&["scale=0.0005".to_string()], &values, |_| true);
    Scenario::load(&super::baseline_path(), &sets).unwrap()
}

#[test]
fn two_parameters_are_recovered_from_their_own_moments() {
    let table = Uncertainty::parse(Path::new("ranges.toml"), RANGES).unwrap();
    let base = scenario_at(&table, &[0.5, 0.5]);
    let seeds: Vec<u64> = (0..3).map(|i| replicate_seed(7, i)).collect();
    let outputs: Vec<Output> = [
        ("labour_force", 2026),
        ("employment", 2026),
        ("employment", 2028),
    ]
    .iter()
    .map(|(m, y)| Output::new(m, "national", *y, &base).unwrap())
    .collect();
    let mut moments: Vec<Moment> = outputs
        .iter()
        .map(|o| Moment {
            name: o.label(),
            source: "synthetic".into(),
            target: 0.0,
            weight: 1.0,
            low: 0.0,
            high: 0.0,
            kind: MomentKind::Output(o.clone()),
        })
        .collect();
    let run = |u: &[f64], moments: &[Moment]| -> Vec<Vec<f64>> {
        let scn = scenario_at(&table, u);
        seeds
            .par_iter()
            .map(|&s| simulate_moments(&scn, s, moments))
            .collect()
    };
    // Parameters in key order: firms.hire_speed_per_month, labour.participation_40_64.
    let truth = [0.3, 0.7];
    let at_truth = run(&truth, &moments);
    for (m, moment) in moments.iter_mut().enumerate() {
        let t = at_truth.iter().map(|s| s[m]).sum::<f64>() / seeds.len() as f64;
        // Relative errors: a 1% miss costs 1.
        moment.target = t;
        moment.weight = 1.0 / (0.01 * t).powi(2);
    }
    let opts = NelderMead {
        max_evals: 50,
        x_tol: 0.005,
        f_tol: 1e-9,
        ..NelderMead::default()
    };
    let f = fit(&[0.5, 0.5], &moments, opts, 0.05, |_, u| {
        Ok::<_, std::convert::Infallible>(run(u, &moments))
    })
    .unwrap();
    let best = &f.evaluations[f.best];
    for i in 0..2 {
        let se = f.cov_u[i][i].sqrt();
        println!(
            "{}: true u {:.3} ({}), recovered u {:.3} ({}) +- {:.3} (se, unit cube); weak {}",
            table.params[i].key,
            truth[i],
            table.params[i].value_at(truth[i]),
            best.u[i],
            table.params[i].value_at(best.u[i]),
            se,
            f.weak[i]
        );
        assert!(
            (best.u[i] - truth[i]).abs() < 0.05,
            "{:?} vs {truth:?}",
            best.u
        );
        // The standard error treats the targets as one realisation of the model (a seed's
        // whole noise), so it is wider than the recovery error under common random numbers.
        assert!(se.is_finite() && se > 0.0, "se {se}");
    }
    println!(
        "loss: start {:.3e}, end {:.3e} after {} evaluations",
        f.evaluations[0].loss,
        best.loss,
        f.evaluations.len()
    );
    assert!(best.loss < f.evaluations[0].loss);
}

#[test]
fn calibrate_writes_a_scenario_that_extends_its_input_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let u = dir.path().join("ranges.toml");
    std::fs::write(&u, RANGES).unwrap();
    let targets = dir.path().join("moments.csv");
    std::fs::write(
        &targets,
        "name,value,weight,source\nlabour_force@national@2026,15.2e6,1e-10,synthetic\nemployment@national@2026,20.0e6,1e-10,synthetic\n",
    )
    .unwrap();
    let out = dir.path().join("cal");
    let base = super::baseline_path();
    let args = |extra: &str| -> Vec<String> {
        let mut a: Vec<String> = [
            "calibrate",
            base.to_str().unwrap(),
            "--uncertainty",
            u.to_str().unwrap(),
            "--targets",
            targets.to_str().unwrap(),
            "--scale",
            "0.0005",
            "--seeds",
            "2",
            "--max-evals",
            "8",
            "--no-charts",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        if !extra.is_empty() {
            a.push(extra.into());
        }
        a
    };
    let run = |extra: &str| {
        let a = args(extra);
        let o = super::regsim(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        assert!(o.status.success(), "{}", super::stderr(&o));
        o
    };
    run("");
    let calibrated = out.join("calibrated.toml");
    let text = std::fs::read_to_string(&calibrated).unwrap();
    assert!(
        text.contains(&format!(
            "extends = {:?}",
            base.canonicalize().unwrap().to_str().unwrap()
        )),
        "{text}"
    );
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("extends") && !l.starts_with("name"))
        .collect();
    assert!(!keys.is_empty() && keys.len() <= 2, "{text}");
    assert!(
        keys.iter()
            .all(|l| l.starts_with("labour.participation_40_64 = ")
                || l.starts_with("firms.hire_speed_per_month = "))
    );
    // The calibrated scenario loads and carries the fitted values.
    let scn = Scenario::load(&calibrated, &[]).unwrap();
    let fit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("calibration.json")).unwrap())
            .unwrap();
    let est = fit["parameters"][1]["estimate"].as_f64().unwrap();
    assert_eq!(scn.raw.labour.participation_40_64, est);
    assert!(fit["loss_after"].as_f64().unwrap() <= fit["loss_before"].as_f64().unwrap());
    let table = std::fs::read(out.join("calibration.csv")).unwrap();
    let o = run("--resume");
    assert!(
        super::stderr(&o).contains("(12 staged before)"),
        "{}",
        super::stderr(&o)
    );
    assert_eq!(std::fs::read(out.join("calibration.csv")).unwrap(), table);
    let o = super::regsim(&["chart", out.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", super::stderr(&o));
    for name in ["calibration_loss", "calibration_moments"] {
        assert!(out.join(format!("charts/{name}.svg")).is_file(), "{name}");
    }
    // A moment name that is neither an output nor a target: one line, exit 2.
    std::fs::write(&targets, "name,value,weight,source\nno such moment,1,1,x\n").unwrap();
    let a = args("--force");
    let o = super::regsim(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        super::stderr(&o).contains("name `no such moment`; allowed: metric@region@year"),
        "{}",
        super::stderr(&o)
    );
}
