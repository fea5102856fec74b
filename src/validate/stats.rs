//! Estimators used by validation: Kaplan-Meier survival, the Hill tail exponent, moments,
//! and an OLS slope. Plain functions on slices, unit-tested on hand-computed data.

/// Kaplan-Meier survival at the end of each month `0..=max_months` from (duration in months,
/// died) observations; censored observations leave the risk set after their duration.
pub fn kaplan_meier(obs: &[(u32, bool)], max_months: u32) -> Vec<f64> {
    let m = max_months as usize;
    let mut deaths = vec![0u64; m + 2];
    let mut exits = vec![0u64; m + 2];
    for &(d, died) in obs {
        let d = (d as usize).min(m + 1);
        exits[d] += 1;
        if died {
            deaths[d] += 1;
        }
    }
    let mut at_risk = obs.len() as f64;
    let mut s = 1.0;
    let mut out = Vec::with_capacity(m + 1);
    for t in 0..=m {
        if at_risk > 0.0 {
            s *= 1.0 - deaths[t] as f64 / at_risk;
        }
        at_risk -= exits[t] as f64;
        out.push(s);
    }
    out
}

/// Hill estimator of the CCDF exponent from values >= xmin: `n / sum ln(x / xmin)`.
pub fn hill(values: &[f64], xmin: f64) -> (f64, usize) {
    let tail: Vec<f64> = values.iter().copied().filter(|&x| x >= xmin).collect();
    let s: f64 = tail.iter().map(|x| (x / xmin).ln()).sum();
    let n = tail.len();
    (if s > 0.0 { n as f64 / s } else { f64::NAN }, n)
}

/// Maximum-likelihood CCDF exponent of a discrete power law on the integers
/// `xmin..=xmax` (xmax = the largest value), P(x) ~ x^-(alpha + 1): the exact MLE for data
/// truncated above, where Hill's estimator is biased upward. Golden-section search on
/// alpha in [0.05, 5]. Returns (alpha, n in the tail).
pub fn discrete_truncated_mle(values: &[f64], xmin: u32) -> (f64, usize) {
    let xmax = values.iter().map(|&x| x as u32).max().unwrap_or(0);
    discrete_truncated_mle_between(values, xmin, xmax)
}

/// CCDF exponent `alpha` of a discrete power law `P(x) ~ x^-(alpha+1)` truncated to
/// `xmin..=xmax`, by maximum likelihood on the values in that range (NaN with none).
pub fn discrete_truncated_mle_between(values: &[f64], xmin: u32, xmax: u32) -> (f64, usize) {
    let tail: Vec<u32> = values
        .iter()
        .map(|&x| x as u32)
        .filter(|&x| x >= xmin && x <= xmax)
        .collect();
    let n = tail.len();
    if n == 0 {
        return (f64::NAN, 0);
    }
    let sum_ln: f64 = tail.iter().map(|&x| f64::from(x).ln()).sum();
    let loglik = |alpha: f64| {
        let z: f64 = (xmin..=xmax)
            .map(|k| f64::from(k).powf(-(alpha + 1.0)))
            .sum();
        -(alpha + 1.0) * sum_ln - n as f64 * z.ln()
    };
    let (mut a, mut b) = (0.05f64, 5.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if loglik(c) > loglik(d) {
            b = d;
        } else {
            a = c;
        }
    }
    ((a + b) / 2.0, n)
}

/// Mean and excess kurtosis (Gaussian = 0).
pub fn mean_and_excess_kurtosis(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, m4 / (m2 * m2) - 3.0)
}

pub fn sd(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Ordinary least-squares slope of y on x.
pub fn ols_slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaplan_meier_matches_a_hand_computed_table() {
        // 4 firms: deaths at 1 and 3, one censored at 2, one alive past the end.
        let s = kaplan_meier(&[(1, true), (2, false), (3, true), (10, false)], 4);
        assert!((s[0] - 1.0).abs() < 1e-12);
        assert!((s[1] - 0.75).abs() < 1e-12);
        assert!((s[2] - 0.75).abs() < 1e-12);
        // At 3: 2 at risk, 1 dies.
        assert!((s[3] - 0.375).abs() < 1e-12);
    }

    #[test]
    fn hill_recovers_a_pareto_exponent() {
        // Deterministic Pareto quantiles with alpha = 1.
        let n = 20_000;
        let v: Vec<f64> = (0..n)
            .map(|i| 10.0 / (1.0 - (i as f64 + 0.5) / n as f64))
            .collect();
        let (a, k) = hill(&v, 10.0);
        assert_eq!(k, n);
        assert!((a - 1.0).abs() < 0.01, "{a}");
    }

    #[test]
    fn truncated_mle_recovers_the_exponent_that_hill_overstates() {
        // Exact expected counts of a discrete power law, alpha = 1.06, on 10..=299.
        let alpha = 1.06f64;
        let mut v = Vec::new();
        for k in 10u32..=299 {
            let count = (2e6 * f64::from(k).powf(-(alpha + 1.0))).round() as usize;
            v.extend(std::iter::repeat_n(f64::from(k), count));
        }
        let (mle, _) = discrete_truncated_mle(&v, 10);
        assert!((mle - alpha).abs() < 0.02, "{mle}");
        let (h, _) = hill(&v, 10.0);
        assert!(
            h > alpha + 0.1,
            "Hill should overstate under truncation: {h}"
        );
    }

    #[test]
    fn kurtosis_of_laplace_and_uniform() {
        let n = 100_000;
        let lap: Vec<f64> = (0..n)
            .map(|i| {
                let u = (i as f64 + 0.5) / n as f64 - 0.5;
                -u.signum() * (1.0 - 2.0 * u.abs()).ln()
            })
            .collect();
        assert!((mean_and_excess_kurtosis(&lap).1 - 3.0).abs() < 0.1);
        let uni: Vec<f64> = (0..n).map(|i| i as f64).collect();
        assert!((mean_and_excess_kurtosis(&uni).1 + 1.2).abs() < 0.01);
        assert!((ols_slope(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 2.0).abs() < 1e-12);
    }
}
