//! Sensitivity studies on regsim runs: which output (metric, region, year) a study reads, the
//! design mapped from the unit cube to scenario values, and the per-point outputs read back
//! from a sweep's staged runs (so `regsim sensitivity` stages, resumes and assembles exactly
//! like `regsim sweep`; the estimators are in `analysis::`).
//!
//! A design point's output is the mean over its replicates (replicate i on
//! `replicate_seed(master, i)` at every point: common random numbers); with `--against` the
//! output is the paired difference scenario - against, replicate by replicate. The Monte
//! Carlo share of variance ([`PointOutputs::mc_share`]) is the part of the point means'
//! variance that is seed noise, not sensitivity.

use super::store::{EnsembleError, parse_num};
use super::sweep::{SweepPlan, run_file, staged};
use crate::metrics::{NationalRow, REGION_METRICS};
use crate::model::geo::{N_REGIONS, REGION_IDS};
use crate::scenario::Scenario;
use crate::scenario::uncertainty::Uncertainty;
use crate::sim::RunResult;
use std::path::Path;

/// Columns of `sensitivity.csv` (docs/OUTPUTS.md), written by `regsim sensitivity` and read
/// back by its charts.
pub const SENSITIVITY_COLUMNS: [&str; 8] = [
    "parameter",
    "metric",
    "region",
    "year",
    "index",
    "value",
    "ci_low",
    "ci_high",
];

/// One output of a run: a metric of a region (or `national`) in a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub metric: String,
    /// A region id, or `national`.
    pub region: String,
    pub year: i32,
}

impl Output {
    /// Checks the output against the scenario's years and the metric lists; one line per
    /// problem naming what is allowed.
    pub fn new(metric: &str, region: &str, year: i32, scn: &Scenario) -> Result<Output, String> {
        if region == "national" {
            if !NationalRow::header()[1..].contains(&metric) {
                return Err(format!(
                    "--metric {metric}: not a national metric; allowed: {}",
                    NationalRow::header()[1..].join(", ")
                ));
            }
        } else {
            if !REGION_IDS.contains(&region) {
                return Err(format!(
                    "--region {region}: allowed: national, {}",
                    REGION_IDS.join(", ")
                ));
            }
            if !REGION_METRICS.contains(&metric) {
                return Err(format!(
                    "--metric {metric}: not a regional metric; allowed: {}",
                    REGION_METRICS.join(", ")
                ));
            }
        }
        if !(scn.start_year..=scn.end_year).contains(&year) {
            return Err(format!(
                "--year {year}: allowed: {} to {} (the scenario's years)",
                scn.start_year, scn.end_year
            ));
        }
        Ok(Output {
            metric: metric.to_string(),
            region: region.to_string(),
            year,
        })
    }

    /// `metric@region@year`, the label in tables.
    pub fn label(&self) -> String {
        format!("{}@{}@{}", self.metric, self.region, self.year)
    }

    /// The output's value in a run's tables (`start_year` is the run's first year).
    pub fn of_run(&self, result: &RunResult, start_year: i32) -> f64 {
        let yi = (self.year - start_year) as usize;
        if self.region == "national" {
            return result.national[yi].get(&self.metric).unwrap_or(f64::NAN);
        }
        let r = REGION_IDS.iter().position(|id| *id == self.region);
        let m = REGION_METRICS.iter().position(|id| *id == self.metric);
        match (r, m) {
            (Some(r), Some(m)) => result.regions[yi * N_REGIONS + r].values()[m],
            _ => f64::NAN,
        }
    }
}

/// The outputs of staged run `id` of `plan` (a sweep's staged file), in `outputs` order.
pub fn run_outputs(
    dir: &Path,
    plan: &SweepPlan,
    id: u64,
    outputs: &[Output],
) -> Result<Vec<f64>, EnsembleError> {
    let body = staged(dir, plan, id)?;
    let file = run_file(dir, id);
    let start = plan.scenarios[plan.key(id).point as usize].start_year;
    let damaged = || EnsembleError::Damaged(file.clone());
    let national_header = NationalRow::header();
    outputs
        .iter()
        .map(|o| {
            let yi = (o.year - start) as usize;
            let text = if o.region == "national" {
                let m = national_header[1..]
                    .iter()
                    .position(|c| *c == o.metric)
                    .ok_or_else(damaged)?;
                let line = body
                    .lines()
                    .filter_map(|l| l.strip_prefix("#national,"))
                    .nth(yi)
                    .ok_or_else(damaged)?;
                line.split(',').nth(1 + m).ok_or_else(damaged)?
            } else {
                let r = REGION_IDS
                    .iter()
                    .position(|id| *id == o.region)
                    .ok_or_else(damaged)?;
                let m = REGION_METRICS
                    .iter()
                    .position(|c| *c == o.metric)
                    .ok_or_else(damaged)?;
                let line = body
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .nth(yi * N_REGIONS + r)
                    .ok_or_else(damaged)?;
                // The metrics are the last fields (varied values before them may be quoted).
                let fields: Vec<&str> = line.rsplitn(REGION_METRICS.len() + 1, ',').collect();
                fields
                    .get(REGION_METRICS.len() - 1 - m)
                    .copied()
                    .ok_or_else(damaged)?
            };
            parse_num(&file, text)
        })
        .collect()
}

/// Per design point and output: the value of every replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct PointOutputs {
    /// `values[output][point][replicate]`
    pub values: Vec<Vec<Vec<f64>>>,
}

impl PointOutputs {
    /// The mean over replicates per point (the design's output).
    pub fn means(&self, output: usize) -> Vec<f64> {
        self.values[output]
            .iter()
            .map(|r| r.iter().sum::<f64>() / r.len() as f64)
            .collect()
    }

    /// The sd over replicates per point (the seed's whole effect, common to all points).
    pub fn sds(&self, output: usize) -> Vec<f64> {
        self.values[output]
            .iter()
            .map(|r| crate::analysis::mean_sd(r).1)
            .collect()
    }

    /// The share of the point means' variance that is Monte Carlo noise (NaN with one
    /// replicate). Every point runs the same seeds (common random numbers), so a seed's
    /// main effect shifts all points alike and does not blur the indices; what does is the
    /// seed-by-point interaction. Its variance is the residual of the two-way layout
    /// (point x replicate), sum (y_pr - y_p. - y_.r + y_..)^2 / ((P - 1)(R - 1)); over R
    /// replicates it adds sigma_e^2 / R to the variance of the point means.
    pub fn mc_share(&self, output: usize) -> f64 {
        let v = &self.values[output];
        let (p, r) = (v.len(), v.first().map_or(0, Vec::len));
        if p < 2 || r < 2 {
            return f64::NAN;
        }
        let means = self.means(output);
        let rep_means: Vec<f64> = (0..r)
            .map(|j| v.iter().map(|row| row[j]).sum::<f64>() / p as f64)
            .collect();
        let grand = means.iter().sum::<f64>() / p as f64;
        let mut ss = 0.0;
        for (i, row) in v.iter().enumerate() {
            for (j, y) in row.iter().enumerate() {
                ss += (y - means[i] - rep_means[j] + grand).powi(2);
            }
        }
        let residual = ss / ((p - 1) * (r - 1)) as f64;
        let (_, sd) = crate::analysis::mean_sd(&means);
        if sd > 0.0 {
            residual / r as f64 / (sd * sd)
        } else {
            f64::NAN
        }
    }
}

/// Reads every point's outputs from the staged runs of `plan` in `dir`, minus those of
/// `against` (same points and replicates, staged in `against_dir`) when given.
pub fn point_outputs(
    dir: &Path,
    plan: &SweepPlan,
    against: Option<(&Path, &SweepPlan)>,
    outputs: &[Output],
) -> Result<PointOutputs, EnsembleError> {
    let points = plan.points.len();
    let reps = plan.replicates;
    let mut values = vec![vec![Vec::with_capacity(reps as usize); points]; outputs.len()];
    for p in 0..points as u64 {
        for rep in 0..reps {
            let id = p * reps + rep;
            let mut v = run_outputs(dir, plan, id, outputs)?;
            if let Some((adir, aplan)) = against {
                let a = run_outputs(adir, aplan, id, outputs)?;
                v.iter_mut().zip(a).for_each(|(x, a)| *x -= a);
            }
            for (o, x) in v.into_iter().enumerate() {
                values[o][p as usize].push(x);
            }
        }
    }
    Ok(PointOutputs { values })
}

/// The scenario values of the design's unit-cube rows: `to_quantile` maps a unit value to
/// the quantile at which each parameter is read (identity for Sobol; the middle of the
/// level's stratum for Morris).
pub fn design_values(
    table: &Uncertainty,
    unit: &[Vec<f64>],
    to_quantile: impl Fn(f64) -> f64,
) -> Vec<Vec<f64>> {
    unit.iter()
        .map(|row| {
            table
                .params
                .iter()
                .zip(row)
                .map(|(p, &u)| p.value_at(to_quantile(u)))
                .collect()
        })
        .collect()
}

/// A Morris grid value in [0, 1] of a `levels`-level grid as the quantile in the middle of
/// its stratum: level l of p -> (l + 0.5) / p (so unbounded distributions stay finite).
pub fn morris_quantile(x: f64, levels: usize) -> f64 {
    let l = (x * (levels - 1) as f64).round();
    (l + 0.5) / levels as f64
}
