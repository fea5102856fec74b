//! Calibration by the method of simulated moments (McFadden 1989; for agent-based models
//! Franke & Westerhoff 2012): choose the parameters (on the unit cube of their
//! `[uncertainty]` quantiles) that bring simulated moments closest to target moments,
//! loss = mean over moments of w_m (mean over seeds of m - target_m)^2.
//!
//! Every candidate runs the same seeds (common random numbers), so the loss is a
//! deterministic function of the parameters and differences between candidates are not seed
//! noise. The search is `analysis::optim::nelder_mead`; then the Jacobian of the moments by
//! central differences at the optimum gives the sandwich covariance and the curvature whose
//! small eigen-directions the moments do not pin down.
//!
//! Moments are `validate`'s targets (target = the band's middle, weight = 1 / half-band^2, so
//! a moment at its band's edge adds 1) or a user's table (`name,value,weight,source`; a name
//! is a `validate` target or `metric@region@year`). A moment that is not finite in a run
//! (e.g. a tail fit without enough firms) adds [`NAN_PENALTY`].
//!
//! Evaluations are staged one file each (`evals/eval-<n>.csv`, with the hash of the candidate
//! and the configuration): the search is deterministic, so `--resume` replays it and
//! recomputes only evaluations without a valid staged file.

use super::gsa::Output;
use super::store::{EnsembleError, config_hash, num, parse_num, read_staged, write_staged};
use crate::analysis::optim::{
    Minimum, NelderMead, curvature, msm_covariance, nelder_mead, symmetric_eigen,
};
use crate::scenario::Scenario;
use crate::sim::{RunResult, simulate_plain};
use crate::validate::TargetRow;
use std::path::{Path, PathBuf};

/// What a non-finite moment adds to the loss (as if 10 half-bands away).
pub const NAN_PENALTY: f64 = 100.0;
/// A parameter whose standard error exceeds this share of its range (unit-cube units) is
/// reported as not pinned down by the moments.
pub const WEAK_SE: f64 = 0.25;

/// Where a moment's simulated value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum MomentKind {
    /// A `validate` target, by its name.
    Target,
    Output(Output),
}

/// One target moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub name: String,
    pub source: String,
    pub target: f64,
    pub weight: f64,
    /// The band reported beside the fit: validate's band, or target +- 1/sqrt(weight).
    pub low: f64,
    pub high: f64,
    pub kind: MomentKind,
}

/// The `validate` targets with a finite band, as moments.
pub fn moments_from_targets(rows: &[TargetRow]) -> Vec<Moment> {
    rows.iter()
        .filter(|r| r.low.is_finite() && r.high.is_finite() && r.high > r.low)
        .map(|r| {
            let half = (r.high - r.low) / 2.0;
            Moment {
                name: r.target.clone(),
                source: r.source.to_string(),
                target: r.low + half,
                weight: 1.0 / (half * half),
                low: r.low,
                high: r.high,
                kind: MomentKind::Target,
            }
        })
        .collect()
}

/// Reads a user's moments (`name,value,weight,source`). `is_target` says whether a name is a
/// `validate` target; other names must be `metric@region@year`.
pub fn read_moments(
    file: &Path,
    scn: &Scenario,
    is_target: impl Fn(&str) -> bool,
) -> Result<Vec<Moment>, String> {
    let where_ = |line: u64| format!("{}: line {line}", file.display());
    let mut r = csv::Reader::from_path(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let headers = r
        .headers()
        .map_err(|e| format!("{}: {e}", file.display()))?
        .clone();
    let want = ["name", "value", "weight", "source"];
    if headers.iter().collect::<Vec<_>>() != want {
        return Err(format!(
            "{}: header `{}`; allowed: name,value,weight,source",
            file.display(),
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", file.display()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let number = |i: usize, what: &str| -> Result<f64, String> {
            rec[i]
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "{}: {what} `{}`; allowed: a finite number",
                        where_(line),
                        &rec[i]
                    )
                })
        };
        let (name, value, weight) = (
            rec[0].trim().to_string(),
            number(1, "value")?,
            number(2, "weight")?,
        );
        if weight <= 0.0 {
            return Err(format!("{}: weight {weight}; allowed: > 0", where_(line)));
        }
        let kind = match name.split('@').collect::<Vec<_>>()[..] {
            [metric, region, year] => {
                let year: i32 = year.parse().map_err(|_| {
                    format!(
                        "{}: name `{name}`: year `{year}`; allowed: a year",
                        where_(line)
                    )
                })?;
                MomentKind::Output(
                    Output::new(metric, region, year, scn)
                        .map_err(|e| format!("{}: name `{name}`: {e}", where_(line)))?,
                )
            }
            _ if is_target(&name) => MomentKind::Target,
            _ => {
                return Err(format!(
                    "{}: name `{name}`; allowed: metric@region@year (e.g. noncapital_sme_sales_krw@national@2025) or a target of `regsim validate` (its validation.csv `target` column)",
                    where_(line)
                ));
            }
        };
        let half = 1.0 / weight.sqrt();
        out.push(Moment {
            name,
            source: rec[3].trim().to_string(),
            target: value,
            weight,
            low: value - half,
            high: value + half,
            kind,
        });
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no moments; allowed: one row per moment",
            file.display()
        ));
    }
    Ok(out)
}

/// The moments of one run of `scn` with `seed` (a `validate` run when a moment needs one).
pub fn simulate_moments(scn: &Scenario, seed: u64, moments: &[Moment]) -> Vec<f64> {
    let needs_targets = moments.iter().any(|m| m.kind == MomentKind::Target);
    let (run, targets): (RunResult, Vec<TargetRow>) = if needs_targets {
        let v = crate::validate::validate(scn, &[seed]);
        (v.first_run, v.targets)
    } else {
        (simulate_plain(scn, seed), Vec::new())
    };
    moments
        .iter()
        .map(|m| match &m.kind {
            MomentKind::Output(o) => o.of_run(&run, scn.start_year),
            MomentKind::Target => targets
                .iter()
                .find(|t| t.target == m.name)
                .map_or(f64::NAN, |t| t.model),
        })
        .collect()
}

/// The loss of mean moments `mean`: the mean over moments of w (m - target)^2, a non-finite
/// moment counting [`NAN_PENALTY`].
pub fn loss(moments: &[Moment], mean: &[f64]) -> f64 {
    let sum: f64 = moments
        .iter()
        .zip(mean)
        .map(|(m, v)| {
            let d = m.weight * (v - m.target).powi(2);
            if d.is_finite() { d } else { NAN_PENALTY }
        })
        .sum();
    sum / moments.len().max(1) as f64
}

/// Which phase an evaluation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Search,
    Jacobian,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Search => "search",
            Phase::Jacobian => "jacobian",
        }
    }
}

/// One candidate: its unit-cube point, the moments of each seed, their mean and the loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub phase: Phase,
    pub u: Vec<f64>,
    pub per_seed: Vec<Vec<f64>>,
    pub mean: Vec<f64>,
    pub loss: f64,
}

/// The result of [`fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Every evaluation in order; the first is the start point.
    pub evaluations: Vec<Evaluation>,
    /// Index of the best search evaluation.
    pub best: usize,
    pub converged: bool,
    /// d moment / d u at the optimum (M rows of k).
    pub jacobian: Vec<Vec<f64>>,
    /// Sandwich covariance of the estimate in unit-cube units (k x k); NaN with one seed.
    pub cov_u: Vec<Vec<f64>>,
    /// Eigenvalues (ascending) and eigenvectors of the loss curvature G'WG (unit cube).
    pub eigenvalues: Vec<f64>,
    pub eigenvectors: Vec<Vec<f64>>,
    /// Per parameter: not pinned down (SE above [`WEAK_SE`] or on a flat direction).
    pub weak: Vec<bool>,
}

/// Fits the parameters from `u0`: Nelder-Mead with `opts`, then the Jacobian with central
/// steps of `step` (unit-cube units). `eval(n, u)` returns the moments of every seed at `u`
/// (the n-th evaluation; same seeds every time).
pub fn fit<E>(
    u0: &[f64],
    moments: &[Moment],
    opts: NelderMead,
    step: f64,
    mut eval: impl FnMut(usize, &[f64]) -> Result<Vec<Vec<f64>>, E>,
) -> Result<Fit, E> {
    let k = u0.len();
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let mut run =
        |u: &[f64], phase: Phase, evaluations: &mut Vec<Evaluation>| -> Result<usize, E> {
            let per_seed = eval(evaluations.len(), u)?;
            let mean: Vec<f64> = (0..moments.len())
                .map(|m| per_seed.iter().map(|s| s[m]).sum::<f64>() / per_seed.len() as f64)
                .collect();
            let l = loss(moments, &mean);
            evaluations.push(Evaluation {
                phase,
                u: u.to_vec(),
                per_seed,
                mean,
                loss: l,
            });
            Ok(evaluations.len() - 1)
        };
    let Minimum { converged, .. } = nelder_mead(u0, opts, |u| {
        let i = run(u, Phase::Search, &mut evaluations)?;
        Ok(evaluations[i].loss)
    })?;
    let best = (0..evaluations.len())
        .min_by(|&a, &b| evaluations[a].loss.total_cmp(&evaluations[b].loss))
        .unwrap_or(0);
    let ub = evaluations[best].u.clone();
    let nm = moments.len();
    let mut jacobian = vec![vec![0.0; k]; nm];
    for i in 0..k {
        let (mut up, mut dn) = (ub.clone(), ub.clone());
        up[i] = (ub[i] + step).min(1.0);
        dn[i] = (ub[i] - step).max(0.0);
        let h = up[i] - dn[i];
        let a = run(&up, Phase::Jacobian, &mut evaluations)?;
        let b = run(&dn, Phase::Jacobian, &mut evaluations)?;
        for m in 0..nm {
            jacobian[m][i] = (evaluations[a].mean[m] - evaluations[b].mean[m]) / h;
        }
    }
    // Moments usable for the covariance: finite everywhere it is needed.
    let at = &evaluations[best];
    let seeds = at.per_seed.len();
    let usable: Vec<bool> = (0..nm)
        .map(|m| {
            jacobian[m].iter().all(|g| g.is_finite())
                && at.per_seed.iter().all(|s| s[m].is_finite())
        })
        .collect();
    let w: Vec<f64> = (0..nm)
        .map(|m| if usable[m] { moments[m].weight } else { 0.0 })
        .collect();
    let g: Vec<Vec<f64>> = jacobian
        .iter()
        .zip(&usable)
        .map(|(row, &ok)| if ok { row.clone() } else { vec![0.0; k] })
        .collect();
    let mut sigma = vec![vec![0.0; nm]; nm];
    if seeds >= 2 {
        for a in 0..nm {
            for b in 0..nm {
                if usable[a] && usable[b] {
                    let cov: f64 = at
                        .per_seed
                        .iter()
                        .map(|s| (s[a] - at.mean[a]) * (s[b] - at.mean[b]))
                        .sum::<f64>()
                        / (seeds - 1) as f64;
                    sigma[a][b] = cov;
                }
            }
        }
    }
    let cov_u = if seeds >= 2 {
        msm_covariance(&g, &w, &sigma, seeds)
    } else {
        vec![vec![f64::NAN; k]; k]
    };
    let (eigenvalues, eigenvectors) = symmetric_eigen(&curvature(&g, &w));
    let top = eigenvalues.iter().fold(0.0f64, |a, &b| a.max(b));
    let weak = (0..k)
        .map(|i| {
            let flat = eigenvalues
                .iter()
                .zip(&eigenvectors)
                .any(|(&l, v)| l <= 1e-6 * top && v[i].abs() >= 0.3);
            let se = cov_u[i][i].sqrt();
            flat || top <= 0.0 || se > WEAK_SE
        })
        .collect();
    Ok(Fit {
        evaluations,
        best,
        converged,
        jacobian,
        cov_u,
        eigenvalues,
        eigenvectors,
        weak,
    })
}

/// Where evaluation `n` is staged.
pub fn eval_file(dir: &Path, n: usize) -> PathBuf {
    dir.join("evals").join(format!("eval-{n:06}.csv"))
}

/// The configuration hash of evaluation `n`: the candidate's resolved scenario and the seeds
/// and moments (a staged file of another candidate or configuration is recomputed).
pub fn eval_config(scenario: &serde_json::Value, seeds: &[u64], moments: &[Moment]) -> u64 {
    config_hash(&serde_json::json!({
        "scenario": scenario,
        "seeds": seeds,
        "moments": moments.iter().map(|m| &m.name).collect::<Vec<_>>(),
    }))
}

/// The staged moments of evaluation `n` (one line per seed), if complete and made by `config`.
pub fn read_eval(
    dir: &Path,
    n: usize,
    config: u64,
    seeds: usize,
    moments: usize,
) -> Result<Option<Vec<Vec<f64>>>, EnsembleError> {
    let file = eval_file(dir, n);
    let Some(body) = read_staged(&file, n as u64, config, |b| {
        b.lines().count() == seeds && b.lines().all(|l| l.split(',').count() == moments)
    })?
    else {
        return Ok(None);
    };
    body.lines()
        .map(|l| l.split(',').map(|t| parse_num(&file, t)).collect())
        .collect::<Result<Vec<Vec<f64>>, _>>()
        .map(Some)
}

/// Stages evaluation `n`'s moments (one line per seed).
pub fn write_eval(
    dir: &Path,
    n: usize,
    config: u64,
    per_seed: &[Vec<f64>],
) -> Result<(), EnsembleError> {
    std::fs::create_dir_all(dir.join("evals")).map_err(super::store::io(&dir.join("evals")))?;
    let mut body = String::new();
    for s in per_seed {
        body.push_str(&s.iter().map(|v| num(*v)).collect::<Vec<_>>().join(","));
        body.push('\n');
    }
    write_staged(&eval_file(dir, n), n as u64, config, &body)
}
