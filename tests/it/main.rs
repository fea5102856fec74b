//! Integration tests, compiled as one binary. Index:
//! - `determinism`: byte-identical outputs at any thread count; common random numbers.
//! - `invariants`: money, jobs and people are accounted for every year.
//! - `scenario_errors`: bad scenario files and CLI arguments give one-line errors, exit 2.
//! - `precision`: the f32 firm passes against an f64 reference of the same equations.
//! - `plausibility`: the baseline's start year against CALIBRATION_FACTS.
//! - `cli`: output folders, manifests, atomic writes.
//! - `validation`: `regsim validate` bands on the baseline.
//! - `levers`: each policy lever moves its target against the baseline (same seed); budgets
//!   and the yearly cap hold; impossible schedules are rejected.
//! - `dynamics`: firm dynamics respond to performance: business stealing, shocks kill
//!   established firms, markets refill, the spin-up's hand-over.
//! - `network`: the production network (in the baseline): thread-count determinism of flows,
//!   neutrality when orders carry no weight, `network.enabled = false` as no network,
//!   purchase shares against the IO table, a shock on Ulsan's anchors reaching suppliers
//!   beyond Ulsan, one-line errors for bad network keys.
//! - `dose`: halving a programme's money lowers its effect, doubling it less than doubles it.
//! - `attribution`: compare's programme decomposition (Shapley adds up; stand-alone equals a
//!   separate comparison) and `--uncertainty` (shared samples, parameter ranking, bad input).
//! - `ensemble`: sweeps and comparisons: replicate seeds, resume after kill, self-comparison,
//!   CI width, refusals; smart factories' survival effect on the treated firms over 50 pairs
//!   (opt-in with REGSIM_SURVIVAL_PAIRS=50, 2 min).
//! - `target`: `regsim target`: what a lever scales, the bisection's bracket, refusals.
//! - `shards`: `--shard K/N` + `regsim merge` give the single-machine tables byte for byte;
//!   merge names missing runs; `regsim slurm` scripts.
//! - `slurm`: a real 4-task Slurm array (and a cancelled, resubmitted task) against the
//!   single-machine sweep; opt-in with REGSIM_SLURM_TESTS=1 (`.ci/run` sets it).
//! - `fuzz`: a mutation fuzzer over the shipped scenarios and `--set` values (in-process
//!   check and run; no panic, no NaN/inf); `REGSIM_FUZZ_CASES`/`REGSIM_FUZZ_RUNS` for the
//!   long campaign.
//! - `sensitivity`: Morris and Sobol estimators on Ishigami, Sobol G and a linear function
//!   against their analytic indices, against SALib on the same design (skipped with a note
//!   without python3 + SALib), and `regsim sensitivity` (`--against`, resume, refusals).
//! - `calibration`: two parameters recovered from moments simulated at known values (common
//!   random numbers); `regsim calibrate` writes a scenario extending its input; resume.
//! - `reliability`: issue 19's reproducers, one test each, named after the defect; output
//!   folder lock, `--force` by manifest, staged-run checksums, temp files, file modes.
//! - `venture`: startups and VC (issue 12): startups at their own scale, an undefined capital
//!   share of VC written empty.

// Region loops index several per-region arrays by the same index, as in the library.
#![allow(clippy::needless_range_loop)]

mod attribution;
mod calibration;
mod cli;
mod determinism;
mod dose;
mod dynamics;
mod ensemble;
mod fuzz;
mod invariants;
mod levers;
mod network;
mod plausibility;
mod precision;
mod reliability;
mod scenario_errors;
mod sensitivity;
mod shards;
mod slurm;
mod target;
mod validation;
mod venture;

use regsim::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's baseline scenario.
pub fn baseline_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml")
}

/// The baseline with overrides (e.g. a smaller scale for speed).
pub fn baseline(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::load(&baseline_path(), &sets).expect("baseline loads")
}

/// A policy file in `dir`: the baseline with `firms.exit_loss_months = 8`, named `exit8`.
pub fn exit8_policy(dir: &Path) -> PathBuf {
    let policy = dir.join("exit8.toml");
    std::fs::write(
        &policy,
        format!(
            "extends = {:?}\nname = \"exit8\"\n[firms]\nexit_loss_months = 8\n",
            baseline_path().to_str().unwrap()
        ),
    )
    .unwrap();
    policy
}

/// A national row's values for finiteness checks: the capital share of VC is undefined (NaN,
/// written empty; docs/OUTPUTS.md) in a year without VC money, and stands in as 0.5 then.
pub fn national_values(n: &regsim::metrics::NationalRow) -> Vec<f64> {
    let mut v = n.values();
    let i = regsim::metrics::NationalRow::header()
        .iter()
        .position(|c| *c == "capital_share_vc_investment")
        .expect("column")
        - 1;
    if v[i].is_nan() && n.totals.vc_investment_krw == 0.0 {
        v[i] = 0.5;
    }
    v
}

/// Runs the regsim binary.
pub fn regsim(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_regsim"));
    cmd.args(args)
        .env_remove("RAYON_NUM_THREADS")
        .env_remove("REGSIM_LANG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("regsim runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
