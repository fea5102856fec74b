//! Global sensitivity analysis and calibration estimators as pure functions over numbers:
//! designs on the unit cube in, indices or a fit out. They know nothing of scenarios, runs or
//! files, so they are tested on analytic functions (Ishigami, Sobol G, linear) and against
//! SALib on the same samples; `ensemble::gsa` and `cli/` map them onto regsim runs.
//!
//! - `sobol`: Saltelli design on an Owen-scrambled Sobol sequence, first-order (Saltelli
//!   2010), total (Jansen 1999) and second-order (Saltelli 2002) indices with bootstrap CIs;
//! - `morris`: Morris (1991) trajectories on a p-level grid, elementary effects, mu, mu*
//!   (Campolongo et al. 2007) and sigma;
//! - `optim`: a bounded Nelder-Mead on the unit cube, and the symmetric eigen-decomposition
//!   and sandwich covariance of the method of simulated moments (McFadden 1989).
//!
//! **Invariant:** no IO, no clock; every random choice comes from an explicit seed.

pub mod morris;
pub mod optim;
pub mod sobol;

/// A point estimate with a confidence interval (95% unless said otherwise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Why a design or an analysis cannot be made (one line each).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalysisError {
    #[error("{what}: {value}; allowed: {allowed}")]
    Bad {
        what: &'static str,
        value: String,
        allowed: String,
    },
}

/// The standard normal quantile for a two-sided level (1.96 for 0.95).
pub const Z95: f64 = 1.959_963_984_540_054;

/// Mean and sample standard deviation (n - 1) of `x`.
pub fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (mean, 0.0);
    }
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// A bootstrap resample of `0..n` (indices drawn with replacement) from `rng`.
pub(crate) fn resample(rng: &mut rand_chacha::ChaCha8Rng, n: usize, out: &mut Vec<usize>) {
    use rand::RngExt;
    out.clear();
    out.extend((0..n).map(|_| rng.random_range(0..n)));
}

/// An estimate with the normal-approximation CI of its bootstrap replicates
/// (`value +- 1.96 sd`), as SALib reports it.
pub(crate) fn with_ci(value: f64, boots: &[f64]) -> Estimate {
    let (_, sd) = mean_sd(boots);
    Estimate {
        value,
        ci_low: value - Z95 * sd,
        ci_high: value + Z95 * sd,
    }
}
