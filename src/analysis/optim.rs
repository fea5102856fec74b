//! Calibration numerics: a bounded Nelder-Mead minimiser on the unit cube, the symmetric
//! eigen-decomposition (cyclic Jacobi) and the sandwich covariance of the method of simulated
//! moments.
//!
//! Nelder-Mead (Nelder & Mead 1965; coefficients 1, 2, 1/2, 1/2 as in Gao & Han 2012 for
//! small k): the simplex starts at x0 and x0 +- `initial_step` along each axis (towards the
//! cube's inside); every trial point is projected onto [0, 1]^k (clamped), so the search stays
//! inside the parameters' ranges. It stops when the simplex's losses differ by less than
//! `f_tol` and its vertices by less than `x_tol` (max norm), or after `max_evals` evaluations.
//! No derivatives are used: with common random numbers the loss is a deterministic but
//! piecewise-rough function of the parameters, where gradient methods stall.
//!
//! MSM covariance (McFadden 1989; Lee & Ingram 1991; Franke & Westerhoff 2012): with G the
//! Jacobian of the simulated moments (M x k), W the diagonal weights, Sigma the covariance of
//! one realisation's moments and S simulated realisations per candidate,
//! Cov(theta) = (1 + 1/S) (G'WG)^-1 G'W Sigma W G (G'WG)^-1. G'WG is the Gauss-Newton
//! curvature of the loss; its small eigenvalues are directions the moments do not pin down.

/// Options of [`nelder_mead`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NelderMead {
    pub max_evals: usize,
    pub initial_step: f64,
    pub x_tol: f64,
    pub f_tol: f64,
}

impl Default for NelderMead {
    fn default() -> Self {
        NelderMead {
            max_evals: 60,
            initial_step: 0.25,
            x_tol: 0.01,
            f_tol: 1e-6,
        }
    }
}

/// The result of [`nelder_mead`].
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub f: f64,
    pub evals: usize,
    pub converged: bool,
}

/// Minimises `f` over [0, 1]^k from `x0`. `f` sees every trial point in order (for a log);
/// an error from it stops the search.
pub fn nelder_mead<E>(
    x0: &[f64],
    opts: NelderMead,
    mut f: impl FnMut(&[f64]) -> Result<f64, E>,
) -> Result<Minimum, E> {
    let k = x0.len();
    let clamp = |x: Vec<f64>| -> Vec<f64> { x.into_iter().map(|v| v.clamp(0.0, 1.0)).collect() };
    let mut evals = 0;
    let mut eval = |x: &[f64], evals: &mut usize| -> Result<f64, E> {
        *evals += 1;
        let v = f(x)?;
        Ok(if v.is_nan() { f64::INFINITY } else { v })
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(k + 1);
    let start = clamp(x0.to_vec());
    let f0 = eval(&start, &mut evals)?;
    simplex.push((start.clone(), f0));
    for i in 0..k {
        let mut x = start.clone();
        x[i] = if x[i] + opts.initial_step <= 1.0 {
            x[i] + opts.initial_step
        } else {
            x[i] - opts.initial_step
        };
        let fx = eval(&x, &mut evals)?;
        simplex.push((x, fx));
    }
    let mut converged = false;
    while evals < opts.max_evals {
        // Stable sort: ties keep their order, so the search is deterministic.
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[k].1);
        let spread = (1..=k)
            .flat_map(|v| (0..k).map(move |i| (v, i)))
            .map(|(v, i)| (simplex[v].0[i] - simplex[0].0[i]).abs())
            .fold(0.0, f64::max);
        if (worst - best).abs() <= opts.f_tol && spread <= opts.x_tol {
            converged = true;
            break;
        }
        let centroid: Vec<f64> = (0..k)
            .map(|i| simplex[..k].iter().map(|v| v.0[i]).sum::<f64>() / k as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            clamp(
                (0..k)
                    .map(|i| centroid[i] + t * (simplex[k].0[i] - centroid[i]))
                    .collect(),
            )
        };
        let xr = along(-1.0);
        let fr = eval(&xr, &mut evals)?;
        if fr < simplex[0].1 {
            let xe = along(-2.0);
            let fe = eval(&xe, &mut evals)?;
            simplex[k] = if fe < fr { (xe, fe) } else { (xr, fr) };
            continue;
        }
        if fr < simplex[k - 1].1 {
            simplex[k] = (xr, fr);
            continue;
        }
        let (xc, fc) = if fr < simplex[k].1 {
            let x = along(-0.5);
            let v = eval(&x, &mut evals)?;
            (x, v)
        } else {
            let x = along(0.5);
            let v = eval(&x, &mut evals)?;
            (x, v)
        };
        if fc < fr.min(simplex[k].1) {
            simplex[k] = (xc, fc);
            continue;
        }
        // Shrink towards the best vertex.
        for v in 1..=k {
            let x = clamp(
                (0..k)
                    .map(|i| simplex[0].0[i] + 0.5 * (simplex[v].0[i] - simplex[0].0[i]))
                    .collect(),
            );
            let fx = eval(&x, &mut evals)?;
            simplex[v] = (x, fx);
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, fx) = simplex.swap_remove(0);
    Ok(Minimum {
        x,
        f: fx,
        evals,
        converged,
    })
}

/// Eigenvalues (ascending) and unit eigenvectors (`vectors[j]` belongs to `values[j]`) of a
/// symmetric matrix, by cyclic Jacobi rotations.
pub fn symmetric_eigen(a: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    let mut m: Vec<Vec<f64>> = a.to_vec();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i][j] * m[i][j])
            .sum();
        let scale: f64 = (0..n).map(|i| m[i][i] * m[i][i]).sum::<f64>();
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if m[p][q] == 0.0 {
                    continue;
                }
                let theta = (m[q][q] - m[p][p]) / (2.0 * m[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..n {
                    let (mrp, mrq) = (m[r][p], m[r][q]);
                    m[r][p] = c * mrp - s * mrq;
                    m[r][q] = s * mrp + c * mrq;
                }
                for r in 0..n {
                    let (mpr, mqr) = (m[p][r], m[q][r]);
                    m[p][r] = c * mpr - s * mqr;
                    m[q][r] = s * mpr + c * mqr;
                }
                for r in 0..n {
                    let (vrp, vrq) = (v[r][p], v[r][q]);
                    v[r][p] = c * vrp - s * vrq;
                    v[r][q] = s * vrp + c * vrq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[i][i].total_cmp(&m[j][j]));
    let values = order.iter().map(|&i| m[i][i]).collect();
    let vectors = order
        .iter()
        .map(|&j| (0..n).map(|r| v[r][j]).collect())
        .collect();
    (values, vectors)
}

/// The Moore-Penrose inverse of a symmetric positive semi-definite matrix (eigenvalues
/// below `1e-12` times the largest are treated as zero).
pub fn pseudo_inverse(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let (values, vectors) = symmetric_eigen(a);
    let top = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut out = vec![vec![0.0; n]; n];
    for (l, vec) in values.iter().zip(&vectors) {
        if *l > 1e-12 * top && *l > 0.0 {
            for i in 0..n {
                for j in 0..n {
                    out[i][j] += vec[i] * vec[j] / l;
                }
            }
        }
    }
    out
}

/// G'WG for a Jacobian `g` (M rows of k) and diagonal weights `w`.
pub fn curvature(g: &[Vec<f64>], w: &[f64]) -> Vec<Vec<f64>> {
    let k = g.first().map_or(0, Vec::len);
    let mut h = vec![vec![0.0; k]; k];
    for (row, wm) in g.iter().zip(w) {
        for i in 0..k {
            for j in 0..k {
                h[i][j] += row[i] * wm * row[j];
            }
        }
    }
    h
}

/// The MSM sandwich covariance (k x k) of the estimates; `sigma` is the covariance of one
/// realisation's moments (M x M), `sims` the realisations averaged per candidate.
pub fn msm_covariance(g: &[Vec<f64>], w: &[f64], sigma: &[Vec<f64>], sims: usize) -> Vec<Vec<f64>> {
    let k = g.first().map_or(0, Vec::len);
    let m = g.len();
    let hinv = pseudo_inverse(&curvature(g, w));
    // B = G'W Sigma W G
    let mut wg = vec![vec![0.0; k]; m];
    for r in 0..m {
        for i in 0..k {
            wg[r][i] = w[r] * g[r][i];
        }
    }
    let mut b = vec![vec![0.0; k]; k];
    for r in 0..m {
        for s in 0..m {
            if sigma[r][s] == 0.0 {
                continue;
            }
            for i in 0..k {
                for j in 0..k {
                    b[i][j] += wg[r][i] * sigma[r][s] * wg[s][j];
                }
            }
        }
    }
    let factor = 1.0 + 1.0 / sims.max(1) as f64;
    let mul = |x: &[Vec<f64>], y: &[Vec<f64>]| -> Vec<Vec<f64>> {
        (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| (0..k).map(|l| x[i][l] * y[l][j]).sum())
                    .collect()
            })
            .collect()
    };
    let c = mul(&mul(&hinv, &b), &hinv);
    c.into_iter()
        .map(|row| row.into_iter().map(|v| v * factor).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_a_bowl_and_a_corner() {
        let bowl = |x: &[f64]| -> Result<f64, ()> {
            Ok((x[0] - 0.3).powi(2) + 10.0 * (x[1] - 0.7).powi(2))
        };
        let opts = NelderMead {
            max_evals: 400,
            x_tol: 1e-6,
            f_tol: 1e-12,
            ..NelderMead::default()
        };
        let m = nelder_mead(&[0.5, 0.5], opts, bowl).unwrap();
        assert!(m.converged);
        assert!(
            (m.x[0] - 0.3).abs() < 1e-3 && (m.x[1] - 0.7).abs() < 1e-3,
            "{m:?}"
        );
        // The unconstrained minimum is outside: the search stops on the boundary.
        let slope = |x: &[f64]| -> Result<f64, ()> { Ok(-x[0] + (x[1] - 0.5).powi(2)) };
        let m = nelder_mead(&[0.5, 0.5], opts, slope).unwrap();
        assert!((m.x[0] - 1.0).abs() < 1e-9, "{m:?}");
    }

    #[test]
    fn jacobi_reproduces_a_known_decomposition() {
        let a = vec![vec![2.0, 1.0], vec![1.0, 2.0]];
        let (values, vectors) = symmetric_eigen(&a);
        assert!((values[0] - 1.0).abs() < 1e-12 && (values[1] - 3.0).abs() < 1e-12);
        let v = &vectors[0];
        assert!(
            (v[0] + v[1]).abs() < 1e-12,
            "eigenvector of 1 is (1, -1)/sqrt 2"
        );
        let inv = pseudo_inverse(&a);
        assert!((inv[0][0] - 2.0 / 3.0).abs() < 1e-12 && (inv[0][1] + 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn sandwich_of_an_exactly_identified_model() {
        // One moment m = 2 theta with variance 4 per realisation: Var(theta) = (1 + 1/S) 4 / 4.
        let c = msm_covariance(&[vec![2.0]], &[1.0], &[vec![4.0]], 4);
        assert!((c[0][0] - 1.25).abs() < 1e-12);
    }
}
