//! Variance-based (Sobol) sensitivity indices from a Saltelli design.
//!
//! Design (Saltelli 2002, 2010): two independent quasi-random matrices A and B (N x k, the
//! first and last k dimensions of an Owen-scrambled Sobol sequence of 2k dimensions; crate
//! `sobol_burley`), and for each parameter i the matrix AB_i (A with column i from B), and
//! with second order BA_i (B with column i from A). Rows are laid out per base sample j as
//! SALib lays them out, so its `sobol.analyze` reads our `design.csv` as is:
//! `A_j, AB_1j .. AB_kj, [BA_1j .. BA_kj,] B_j` (k + 2 or 2k + 2 rows per j).
//!
//! Estimators, on outputs centred and scaled by their sd (as SALib does; the indices are
//! ratios, but the first-order estimator is not shift-invariant in finite samples):
//! - first order S_i = mean(f(B) (f(AB_i) - f(A))) / V (Saltelli et al. 2010, eq. (b) of
//!   table 2), V the variance of f over A and B;
//! - total S_Ti = mean((f(A) - f(AB_i))^2) / (2V) (Jansen 1999);
//! - second order S_ij = mean(f(BA_i) f(AB_j) - f(A) f(B)) / V - S_i - S_j (Saltelli 2002).
//!
//! CIs: the base samples are resampled with replacement (one set of resamples for all
//! indices) and the CI is value +- 1.96 sd of the resampled estimates (SALib's convention).

use super::{AnalysisError, Estimate, resample, with_ci};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The most parameters a Saltelli design takes (2k Sobol dimensions, 256 in `sobol_burley`).
pub const MAX_PARAMS: usize = 128;
/// The most base samples (the Sobol sequence's length in `sobol_burley`).
pub const MAX_BASE: usize = 1 << 16;

/// Rows per base sample: k + 2, or 2k + 2 with second order.
pub fn rows_per_base(k: usize, second_order: bool) -> usize {
    if second_order { 2 * k + 2 } else { k + 2 }
}

/// The Saltelli design on the unit cube: `n * rows_per_base(k, second_order)` rows of `k`
/// values in (0, 1), in SALib's order. `seed` chooses the scrambling.
pub fn saltelli_design(
    k: usize,
    n: usize,
    second_order: bool,
    seed: u64,
) -> Result<Vec<Vec<f64>>, AnalysisError> {
    if k == 0 || k > MAX_PARAMS {
        return Err(AnalysisError::Bad {
            what: "Sobol design: parameters",
            value: k.to_string(),
            allowed: format!("1 to {MAX_PARAMS}"),
        });
    }
    if !(2..=MAX_BASE).contains(&n) {
        return Err(AnalysisError::Bad {
            what: "Sobol design: base samples",
            value: n.to_string(),
            allowed: format!("2 to {MAX_BASE}"),
        });
    }
    let scramble = (seed ^ (seed >> 32)) as u32;
    // Half a step of sobol_burley's 24-bit grid keeps every value strictly inside (0, 1).
    let at = |j: usize, d: usize| {
        f64::from(sobol_burley::sample(j as u32, d as u32, scramble)) + 0.5 / f64::from(1 << 24)
    };
    let mut rows = Vec::with_capacity(n * rows_per_base(k, second_order));
    for j in 0..n {
        let a: Vec<f64> = (0..k).map(|d| at(j, d)).collect();
        let b: Vec<f64> = (0..k).map(|d| at(j, k + d)).collect();
        rows.push(a.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            rows.push(ab);
        }
        if second_order {
            for i in 0..k {
                let mut ba = b.clone();
                ba[i] = a[i];
                rows.push(ba);
            }
        }
        rows.push(b);
    }
    Ok(rows)
}

/// First-order, total and (optionally) second-order indices with their CIs.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    pub s1: Vec<Estimate>,
    pub st: Vec<Estimate>,
    /// `s2[i][j]` for i < j (empty without second order; other cells NaN).
    pub s2: Vec<Vec<Estimate>>,
}

/// The outputs of one design split into A, B, AB_i and BA_i (columns by parameter).
struct Split {
    a: Vec<f64>,
    b: Vec<f64>,
    ab: Vec<Vec<f64>>,
    ba: Vec<Vec<f64>>,
}

fn split(y: &[f64], k: usize, second_order: bool) -> Split {
    let step = rows_per_base(k, second_order);
    let col = |off: usize| -> Vec<f64> { y.iter().skip(off).step_by(step).copied().collect() };
    Split {
        a: col(0),
        b: col(step - 1),
        ab: (0..k).map(|i| col(1 + i)).collect(),
        ba: if second_order {
            (0..k).map(|i| col(1 + k + i)).collect()
        } else {
            Vec::new()
        },
    }
}

/// Population variance of f over the rows `r` of A and B.
fn var_ab(s: &Split, r: &[usize]) -> f64 {
    let n = 2.0 * r.len() as f64;
    let mean = r.iter().map(|&j| s.a[j] + s.b[j]).sum::<f64>() / n;
    r.iter()
        .map(|&j| (s.a[j] - mean).powi(2) + (s.b[j] - mean).powi(2))
        .sum::<f64>()
        / n
}

fn ratio(x: f64, v: f64) -> f64 {
    if v > f64::EPSILON { x / v } else { 0.0 }
}

fn first(s: &Split, i: usize, r: &[usize], v: f64) -> f64 {
    let m = r
        .iter()
        .map(|&j| s.b[j] * (s.ab[i][j] - s.a[j]))
        .sum::<f64>()
        / r.len() as f64;
    ratio(m, v)
}

fn total(s: &Split, i: usize, r: &[usize], v: f64) -> f64 {
    let m = r
        .iter()
        .map(|&j| (s.a[j] - s.ab[i][j]).powi(2))
        .sum::<f64>()
        / r.len() as f64;
    ratio(0.5 * m, v)
}

fn second(s: &Split, i: usize, j2: usize, r: &[usize], v: f64) -> f64 {
    let m = r
        .iter()
        .map(|&j| s.ba[i][j] * s.ab[j2][j] - s.a[j] * s.b[j])
        .sum::<f64>()
        / r.len() as f64;
    ratio(m, v) - first(s, i, r, v) - first(s, j2, r, v)
}

/// The indices of outputs `y` of a [`saltelli_design`] of `k` parameters, with `resamples`
/// bootstrap resamples (drawn from `seed`) for the CIs.
pub fn sobol_indices(
    y: &[f64],
    k: usize,
    second_order: bool,
    resamples: usize,
    seed: u64,
) -> Result<SobolIndices, AnalysisError> {
    let step = rows_per_base(k, second_order);
    if k == 0 || y.is_empty() || !y.len().is_multiple_of(step) {
        return Err(AnalysisError::Bad {
            what: "Sobol analysis: outputs",
            value: format!("{} values for {k} parameters", y.len()),
            allowed: format!("a multiple of {step} (one per row of the design)"),
        });
    }
    if let Some(bad) = y.iter().find(|v| !v.is_finite()) {
        return Err(AnalysisError::Bad {
            what: "Sobol analysis: outputs",
            value: bad.to_string(),
            allowed: "finite numbers".into(),
        });
    }
    let n = y.len() / step;
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    let z: Vec<f64> = if sd > 0.0 {
        y.iter().map(|v| (v - mean) / sd).collect()
    } else {
        vec![0.0; y.len()]
    };
    let s = split(&z, k, second_order);
    let all: Vec<usize> = (0..n).collect();
    let v = var_ab(&s, &all);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx = Vec::with_capacity(n);
    let draws: Vec<Vec<usize>> = (0..resamples)
        .map(|_| {
            resample(&mut rng, n, &mut idx);
            idx.clone()
        })
        .collect();
    let vb: Vec<f64> = draws.iter().map(|r| var_ab(&s, r)).collect();
    let boot = |f: &dyn Fn(&[usize], f64) -> f64| -> Estimate {
        let reps: Vec<f64> = draws.iter().zip(&vb).map(|(r, &v)| f(r, v)).collect();
        with_ci(f(&all, v), &reps)
    };
    let s1 = (0..k).map(|i| boot(&|r, v| first(&s, i, r, v))).collect();
    let st = (0..k).map(|i| boot(&|r, v| total(&s, i, r, v))).collect();
    let nan = Estimate {
        value: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
    };
    let mut s2 = Vec::new();
    if second_order {
        s2 = vec![vec![nan; k]; k];
        for i in 0..k {
            for j in i + 1..k {
                s2[i][j] = boot(&|r, v| second(&s, i, j, r, v));
            }
        }
    }
    Ok(SobolIndices { s1, st, s2 })
}

/// The Ishigami function (a, b) and its analytic first-order and total indices.
pub mod ishigami {
    use std::f64::consts::PI;

    /// f(x) on the unit cube (x mapped to [-pi, pi]^3).
    pub fn f(x: &[f64], a: f64, b: f64) -> f64 {
        let [x1, x2, x3] = [x[0], x[1], x[2]].map(|u| -PI + 2.0 * PI * u);
        x1.sin() + a * x2.sin().powi(2) + b * x3.powi(4) * x1.sin()
    }

    /// (S1, ST) of the three inputs.
    pub fn indices(a: f64, b: f64) -> ([f64; 3], [f64; 3]) {
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
        let v = v1 + v2 + v13;
        ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
    }
}

/// The Sobol G function with coefficients `a` and its analytic indices.
pub mod g_function {
    /// f(x) = prod (|4 x_i - 2| + a_i) / (1 + a_i).
    pub fn f(x: &[f64], a: &[f64]) -> f64 {
        x.iter()
            .zip(a)
            .map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
            .product()
    }

    /// (S1, ST) per input.
    pub fn indices(a: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let vi: Vec<f64> = a.iter().map(|a| 1.0 / (3.0 * (1.0 + a).powi(2))).collect();
        let v = vi.iter().map(|v| 1.0 + v).product::<f64>() - 1.0;
        let s1 = vi.iter().map(|x| x / v).collect();
        let st = (0..a.len())
            .map(|i| {
                let others: f64 = (0..a.len())
                    .filter(|&j| j != i)
                    .map(|j| 1.0 + vi[j])
                    .product();
                vi[i] * others / v
            })
            .collect();
        (s1, st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_salibs() {
        let rows = saltelli_design(3, 4, true, 1).unwrap();
        assert_eq!(rows.len(), 4 * 8);
        let (a, b) = (&rows[0], &rows[7]);
        assert_eq!(rows[2][1], b[1], "AB_2 takes column 2 from B");
        assert_eq!(rows[2][0], a[0]);
        assert_eq!(rows[5][1], a[1], "BA_2 takes column 2 from A");
        assert_eq!(rows[5][2], b[2]);
        assert!(rows.iter().flatten().all(|&x| x > 0.0 && x < 1.0));
        assert!(saltelli_design(0, 4, false, 1).is_err());
        assert!(saltelli_design(129, 4, false, 1).is_err());
    }

    #[test]
    fn a_function_of_one_input_puts_everything_on_it() {
        let k = 3;
        let x = saltelli_design(k, 256, false, 3).unwrap();
        let y: Vec<f64> = x.iter().map(|r| 2.0 * r[1]).collect();
        let s = sobol_indices(&y, k, false, 100, 1).unwrap();
        assert!((s.s1[1].value - 1.0).abs() < 0.02, "{:?}", s.s1[1]);
        assert!((s.st[1].value - 1.0).abs() < 0.02);
        for i in [0, 2] {
            assert_eq!(s.s1[i].value, 0.0);
            assert_eq!(s.st[i].value, 0.0);
        }
        assert!(sobol_indices(&y[1..], k, false, 10, 1).is_err());
    }
}
