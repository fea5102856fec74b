//! Morris elementary effects (Morris 1991), screened by mu* (Campolongo et al. 2007).
//!
//! Design: `r` trajectories of k + 1 points on the grid {0, 1/(p-1), ..., 1} of `p` levels
//! (p even). A trajectory starts at a random grid point and moves one parameter at a time, in
//! a random order, by delta = p / (2 (p - 1)): up where the level allows it, else down (so each
//! level is equally likely to start a step). The elementary effect of parameter i on a step is
//! (f(x + e_i delta) - f(x)) / delta, in unit-cube units (SALib's convention: for
//! f = sum c_i x_i it is exactly c_i). Per parameter: mu (mean effect), mu* (mean absolute
//! effect) and sigma (sd, n - 1) over the r effects; a CI for mu* from resampled effects.
//! Rows are laid out trajectory after trajectory, so SALib's `morris.analyze` reads our
//! `design.csv` as is.

use super::{AnalysisError, Estimate, mean_sd, resample, with_ci};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The Morris design on the unit cube: `r * (k + 1)` rows of `k` grid values.
pub fn morris_design(
    k: usize,
    r: usize,
    levels: usize,
    seed: u64,
) -> Result<Vec<Vec<f64>>, AnalysisError> {
    if levels < 2 || !levels.is_multiple_of(2) || levels > 1000 {
        return Err(AnalysisError::Bad {
            what: "Morris design: levels",
            value: levels.to_string(),
            allowed: "an even number from 2 to 1000".into(),
        });
    }
    if k == 0 || r < 2 {
        return Err(AnalysisError::Bad {
            what: "Morris design: trajectories and parameters",
            value: format!("{r} trajectories of {k} parameters"),
            allowed: "2 or more trajectories of 1 or more parameters".into(),
        });
    }
    let p = levels;
    let step = p / 2; // delta in grid steps
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = Vec::with_capacity(r * (k + 1));
    for _ in 0..r {
        let mut level: Vec<usize> = (0..k).map(|_| rng.random_range(0..p)).collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let grid =
            |l: &[usize]| -> Vec<f64> { l.iter().map(|&v| v as f64 / (p - 1) as f64).collect() };
        rows.push(grid(&level));
        for &i in &order {
            if level[i] + step < p {
                level[i] += step;
            } else {
                level[i] -= step;
            }
            rows.push(grid(&level));
        }
    }
    Ok(rows)
}

/// Morris measures of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: Estimate,
    pub sigma: f64,
}

/// The elementary effects per parameter of a Morris design `x` with outputs `y`.
pub fn elementary_effects(
    x: &[Vec<f64>],
    y: &[f64],
    k: usize,
) -> Result<Vec<Vec<f64>>, AnalysisError> {
    let bad = |value: String, allowed: &str| AnalysisError::Bad {
        what: "Morris analysis",
        value,
        allowed: allowed.to_string(),
    };
    if k == 0 || x.len() != y.len() || x.is_empty() || !x.len().is_multiple_of(k + 1) {
        return Err(bad(
            format!("{} rows, {} outputs, {k} parameters", x.len(), y.len()),
            "one output per row; rows a multiple of k + 1",
        ));
    }
    if let Some(v) = y.iter().find(|v| !v.is_finite()) {
        return Err(bad(v.to_string(), "finite outputs"));
    }
    let mut ee = vec![Vec::new(); k];
    for t in 0..x.len() / (k + 1) {
        for s in 0..k {
            let (a, b) = (t * (k + 1) + s, t * (k + 1) + s + 1);
            let moved: Vec<usize> = (0..k).filter(|&i| x[a][i] != x[b][i]).collect();
            let [i] = moved[..] else {
                return Err(bad(
                    format!("rows {a} and {b} differ in {} parameters", moved.len()),
                    "each step of a trajectory moves exactly one parameter",
                ));
            };
            ee[i].push((y[b] - y[a]) / (x[b][i] - x[a][i]));
        }
    }
    Ok(ee)
}

/// mu, mu* (with a CI from `resamples` bootstrap resamples drawn from `seed`) and sigma per
/// parameter.
pub fn morris_indices(
    x: &[Vec<f64>],
    y: &[f64],
    k: usize,
    resamples: usize,
    seed: u64,
) -> Result<Vec<MorrisIndex>, AnalysisError> {
    let ee = elementary_effects(x, y, k)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx = Vec::new();
    Ok(ee
        .iter()
        .map(|e| {
            let (mu, sigma) = mean_sd(e);
            let abs: Vec<f64> = e.iter().map(|v| v.abs()).collect();
            let mu_star = abs.iter().sum::<f64>() / abs.len().max(1) as f64;
            let boots: Vec<f64> = (0..resamples)
                .map(|_| {
                    resample(&mut rng, abs.len(), &mut idx);
                    idx.iter().map(|&j| abs[j]).sum::<f64>() / abs.len().max(1) as f64
                })
                .collect();
            MorrisIndex {
                mu,
                mu_star: with_ci(mu_star, &boots),
                sigma,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trajectories_move_one_parameter_by_delta() {
        let (k, p) = (5, 4);
        let x = morris_design(k, 8, p, 9).unwrap();
        assert_eq!(x.len(), 8 * 6);
        let delta = p as f64 / (2.0 * (p - 1) as f64);
        for t in 0..8 {
            let mut moved = vec![0; k];
            for s in 0..k {
                let (a, b) = (&x[t * 6 + s], &x[t * 6 + s + 1]);
                let d: Vec<usize> = (0..k).filter(|&i| a[i] != b[i]).collect();
                assert_eq!(d.len(), 1);
                assert!(((a[d[0]] - b[d[0]]).abs() - delta).abs() < 1e-12);
                moved[d[0]] += 1;
            }
            assert!(moved.iter().all(|&m| m == 1), "each parameter once");
        }
        assert!(x.iter().flatten().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(morris_design(3, 4, 3, 1).is_err(), "odd levels");
    }
}
