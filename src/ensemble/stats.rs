//! Estimators for ensembles: mean, sd, quantiles, the 95% CI of a mean, and a streaming
//! (Welford) accumulator for paired differences.
//!
//! **Invariant:** every function folds its input in the order given, so the same values in the
//! same (replicate) order give bit-identical results.

/// Two-sided 95% Student t quantiles for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706_204_736,
    4.302_652_730,
    3.182_446_305,
    2.776_445_105,
    2.570_581_836,
    2.446_911_851,
    2.364_624_252,
    2.306_004_135,
    2.262_157_163,
    2.228_138_852,
    2.200_985_160,
    2.178_812_830,
    2.160_368_656,
    2.144_786_688,
    2.131_449_546,
    2.119_905_299,
    2.109_815_578,
    2.100_922_040,
    2.093_024_054,
    2.085_963_447,
    2.079_613_845,
    2.073_873_068,
    2.068_657_610,
    2.063_898_562,
    2.059_538_553,
    2.055_529_439,
    2.051_830_516,
    2.048_407_142,
    2.045_229_642,
    2.042_272_456,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (NaN for df = 0). Exact
/// (table) up to 30, then the Cornish-Fisher expansion around the normal quantile, which is
/// within 1e-4 of the exact value from df = 30 on.
pub fn t975(df: u64) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df as usize - 1],
        _ => {
            let z = 1.959_963_984_540_054_f64;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// Mean, sample sd (n - 1) and the t-based 95% CI of the mean of `values`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

impl MeanCi {
    /// From n, mean and sd. With n < 2 the sd and the CI are NaN (undefined).
    pub fn new(n: u64, mean: f64, sd: f64) -> Self {
        let half = t975(n.saturating_sub(1)) * sd / (n as f64).sqrt();
        // A zero sd gives a zero-width CI exactly (no 0 * inf, no rounding).
        let (low, high) = if n >= 2 && sd == 0.0 {
            (mean, mean)
        } else {
            (mean - half, mean + half)
        };
        MeanCi {
            n,
            mean: if n == 0 { f64::NAN } else { mean },
            sd,
            ci95_low: low,
            ci95_high: high,
        }
    }

    /// The half width of the CI.
    pub fn half_width(&self) -> f64 {
        (self.ci95_high - self.ci95_low) / 2.0
    }
}

/// Streaming mean and variance (Welford), in the order values are pushed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Adds a value; NaN (undefined, e.g. a share of nothing) is skipped, so `n` counts the
    /// defined values.
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    pub fn n(&self) -> u64 {
        self.n
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// Sample sd (n - 1); NaN below two values.
    pub fn sd(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0).sqrt()
        }
    }

    pub fn mean_ci(&self) -> MeanCi {
        MeanCi::new(self.n, self.mean(), self.sd())
    }
}

/// Quantile of sorted values by linear interpolation between order statistics (R type 7, as
/// the charts use). NaN for no values.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The summary of one cell of `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub ci: MeanCi,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
}

/// Summarises values (replicates in order; NaN, undefined, skipped); `scratch` is reused for
/// sorting.
pub fn summarise(values: &[f64], scratch: &mut Vec<f64>) -> Summary {
    let mut w = Welford::default();
    for &v in values {
        w.push(v);
    }
    scratch.clear();
    scratch.extend(values.iter().copied().filter(|v| !v.is_nan()));
    scratch.sort_by(f64::total_cmp);
    Summary {
        ci: w.mean_ci(),
        p05: quantile_sorted(scratch, 0.05),
        p50: quantile_sorted(scratch, 0.5),
        p95: quantile_sorted(scratch, 0.95),
    }
}

/// Ranks 1..n of `x`, ties sharing their mean rank.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        for &o in &order[i..=j] {
            out[o] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    out
}

/// Spearman's rank correlation of `x` and `y` (Pearson's of their ranks); NaN when either
/// is constant or they hold fewer than 3 values.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() || x.len() < 3 {
        return f64::NAN;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let m = (x.len() as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - m) * (b - m);
        sxx += (a - m) * (a - m);
        syy += (b - m) * (b - m);
    }
    if sxx == 0.0 || syy == 0.0 {
        f64::NAN
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_summary() {
        let mut s = Vec::new();
        let x = summarise(&[1.0, 2.0, 3.0, 4.0], &mut s);
        assert_eq!(x.ci.mean, 2.5);
        // sd = sqrt(5/3); half width = t(3) * sd / 2.
        assert!((x.ci.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((x.ci.half_width() - 3.182_446_305 * (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-9);
        assert_eq!(x.p50, 2.5);
        assert!((x.p05 - 1.15).abs() < 1e-12);
        assert!((x.p95 - 3.85).abs() < 1e-12);
    }

    #[test]
    fn undefined_values_are_skipped_not_averaged() {
        let mut scratch = Vec::new();
        let s = summarise(&[0.7, f64::NAN, 0.8], &mut scratch);
        assert_eq!(s.ci.n, 2);
        assert!((s.ci.mean - 0.75).abs() < 1e-12 && (s.p50 - 0.75).abs() < 1e-12);
        let none = summarise(&[f64::NAN; 3], &mut scratch);
        assert_eq!(none.ci.n, 0);
        assert!(none.ci.mean.is_nan() && none.p50.is_nan());
    }

    #[test]
    fn one_value_has_no_spread_and_equal_values_a_zero_width_ci() {
        let mut s = Vec::new();
        let one = summarise(&[7.0], &mut s);
        assert_eq!(one.ci.mean, 7.0);
        assert!(one.ci.sd.is_nan() && one.ci.ci95_low.is_nan());
        let same = summarise(&[0.0; 5], &mut s);
        assert_eq!(
            (same.ci.mean, same.ci.ci95_low, same.ci.ci95_high),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn t_quantiles_join_smoothly() {
        assert!((t975(31) - 2.0395).abs() < 2e-4);
        assert!((t975(1000) - 1.9623).abs() < 1e-4);
        assert!(t975(0).is_nan());
    }
    #[test]
    fn spearman_ranks_monotone_relations_and_ties() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((spearman(&x, &[1.0, 8.0, 27.0, 64.0, 125.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // Hand-computed: ranks of y = [2, 1, 4, 3, 5] -> 1 - 6 * 4 / (5 * 24) = 0.8.
        assert!((spearman(&x, &[2.0, 1.0, 4.0, 3.0, 5.0]) - 0.8).abs() < 1e-12);
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
        assert!(spearman(&x, &[1.0; 5]).is_nan());
    }
}
