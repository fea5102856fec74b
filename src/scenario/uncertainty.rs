//! Parameter uncertainty as an input: an `[uncertainty]` table (in a file of its own) gives a
//! distribution for any scalar scenario key; [`Uncertainty::sample_lhs`] draws a Latin
//! hypercube of parameter sets from it and [`Uncertainty::apply`] turns one set into
//! `--set key=value` overrides, validated like the scenario file.
//!
//! ```toml
//! [uncertainty]
//! "firms.exit_hazard_mature_per_year" = { dist = "uniform", low = 0.01, high = 0.04 }
//! "firms.hire_speed_per_month" = { dist = "triangular", low = 0.05, mode = 0.15, high = 0.3 }
//! "labour.wage_growth_per_year" = { dist = "normal", mean = 0.01, sd = 0.005, low = -0.01, high = 0.03 }
//! "startups.seed_cash_krw" = { dist = "lognormal", median = 150e6, sigma = 0.4, low = 50e6, high = 500e6 }
//! [uncertainty.migration]             # nested tables work too
//! distance_weight = { dist = "uniform", low = 1.0, high = 2.0, why = "unsourced; +-1/3" }
//! ```
//!
//! `normal` and `lognormal` take optional `low`/`high` bounds (the distribution is truncated
//! to them); `why` is free text (the reason for the range); `integer = true` rounds draws. Every problem is one line naming
//! the file, the key and what is allowed.
//!
//! **Invariant:** the draws are keyed: key `k`'s values depend only on the seed, the number of
//! samples and the key's name (a ChaCha8 stream per key), so adding or removing another key
//! leaves them unchanged. Shared by `compare --uncertainty` and the sensitivity tools.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// A distribution of one scenario value.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Uniform {
        low: f64,
        high: f64,
    },
    /// Normal, truncated to `[low, high]` (infinite when not given).
    Normal {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
    /// `ln x` normal with median `median` and sd `sigma`, truncated to `[low, high]`.
    LogNormal {
        median: f64,
        sigma: f64,
        low: f64,
        high: f64,
    },
    Triangular {
        low: f64,
        mode: f64,
        high: f64,
    },
}

/// One uncertain key.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Scenario key as `--set` takes it (e.g. `firms.exit_loss_months`).
    pub key: String,
    pub dist: Dist,
    /// Why this range (free text from `why`).
    pub why: String,
    /// Whole numbers only (`integer = true`): draws are rounded.
    pub integer: bool,
}

impl Param {
    /// The value at quantile `u` of the distribution, as a scenario takes it: rounded for
    /// `integer = true`, else to 9 significant digits (so it prints and re-parses exactly).
    /// Used by the Latin hypercube here and by the sensitivity and calibration designs,
    /// which work on the unit cube of quantiles.
    pub fn value_at(&self, u: f64) -> f64 {
        let x = self.dist.quantile(u.clamp(1e-12, 1.0 - 1e-12));
        if self.integer {
            x.round()
        } else {
            round_sig(x)
        }
    }
}

/// An uncertainty table: parameters in key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    pub file: PathBuf,
    pub params: Vec<Param>,
}

/// Why an uncertainty file cannot be used (one line each).
#[derive(Debug, thiserror::Error)]
pub enum UncertaintyError {
    #[error("{}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not valid TOML: {}", file.display(), message.lines().next().unwrap_or(""))]
    Toml { file: PathBuf, message: String },
    #[error("{}: {key}: {message}", file.display())]
    Bad {
        file: PathBuf,
        key: String,
        message: String,
    },
}

impl Dist {
    /// The value at quantile `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Dist::Uniform { low, high } => low + u * (high - low),
            Dist::Triangular { low, mode, high } => {
                let c = (mode - low) / (high - low);
                if u < c {
                    low + (u * (high - low) * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - u) * (high - low) * (high - mode)).sqrt()
                }
            }
            Dist::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                let z = truncated_z((low - mean) / sd, (high - mean) / sd, u);
                (mean + sd * z).clamp(low, high)
            }
            Dist::LogNormal {
                median,
                sigma,
                low,
                high,
            } => {
                let m = median.ln();
                let z = truncated_z((low.ln() - m) / sigma, (high.ln() - m) / sigma, u);
                (m + sigma * z).exp().clamp(low, high)
            }
        }
    }

    /// The probability of a value at most `x` (the inverse of [`Dist::quantile`]).
    pub fn cdf(&self, x: f64) -> f64 {
        let truncated = |z: f64, a: f64, b: f64| {
            let (pa, pb) = (normal_cdf(a), normal_cdf(b));
            ((normal_cdf(z) - pa) / (pb - pa)).clamp(0.0, 1.0)
        };
        match *self {
            Dist::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
            Dist::Triangular { low, mode, high } => {
                if x <= low {
                    0.0
                } else if x >= high {
                    1.0
                } else if x <= mode {
                    (x - low).powi(2) / ((high - low) * (mode - low))
                } else {
                    1.0 - (high - x).powi(2) / ((high - low) * (high - mode))
                }
            }
            Dist::Normal {
                mean,
                sd,
                low,
                high,
            } => truncated((x - mean) / sd, (low - mean) / sd, (high - mean) / sd),
            Dist::LogNormal {
                median,
                sigma,
                low,
                high,
            } => {
                let m = median.ln();
                let z = |v: f64| (v.max(f64::MIN_POSITIVE).ln() - m) / sigma;
                truncated(z(x), z(low), z(high))
            }
        }
    }

    /// The range the draws fall in.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Dist::Uniform { low, high }
            | Dist::Triangular { low, high, .. }
            | Dist::Normal { low, high, .. }
            | Dist::LogNormal { low, high, .. } => (low, high),
        }
    }
}

/// The standard normal quantile of `u` rescaled to the truncation `[a, b]` (in sd units).
fn truncated_z(a: f64, b: f64, u: f64) -> f64 {
    let (pa, pb) = (normal_cdf(a), normal_cdf(b));
    normal_quantile((pa + u * (pb - pa)).clamp(1e-12, 1.0 - 1e-12))
}

/// Standard normal CDF (complementary error function of Numerical Recipes, |error| < 1.2e-7).
pub fn normal_cdf(z: f64) -> f64 {
    if z.is_infinite() {
        return if z > 0.0 { 1.0 } else { 0.0 };
    }
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x);
    let erfc = t
        * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if z >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A stream id from a key's name (FNV-1a), so each key draws on its own stream.
fn key_stream(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Uncertainty {
    /// Reads and checks an uncertainty file.
    pub fn load(path: &Path) -> Result<Uncertainty, UncertaintyError> {
        let text = std::fs::read_to_string(path).map_err(|source| UncertaintyError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of an uncertainty file (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Uncertainty, UncertaintyError> {
        let file = path.to_path_buf();
        let bad = |key: &str, message: String| UncertaintyError::Bad {
            file: file.clone(),
            key: key.to_string(),
            message,
        };
        let doc: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| UncertaintyError::Toml {
                    file: file.clone(),
                    message: e.to_string(),
                })?;
        for k in doc.keys() {
            if k != "uncertainty" {
                return Err(bad(k, "unknown table; allowed: [uncertainty]".into()));
            }
        }
        let Some(table) = doc.get("uncertainty").and_then(toml::Value::as_table) else {
            return Err(bad(
                "uncertainty",
                "missing [uncertainty] table of `key = { dist = ... }` entries".into(),
            ));
        };
        let mut params = Vec::new();
        collect(table, "", &mut params, &bad)?;
        if params.is_empty() {
            return Err(bad("uncertainty", "no parameter given".into()));
        }
        params.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Uncertainty { file, params })
    }

    pub fn keys(&self) -> Vec<String> {
        self.params.iter().map(|p| p.key.clone()).collect()
    }

    /// `k` parameter sets (one value per parameter, in [`Uncertainty::params`] order) from a
    /// Latin hypercube: each parameter's range is cut into `k` strata of equal probability,
    /// one draw in each, in a random order; keyed by (seed, parameter name).
    pub fn sample_lhs(&self, k: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut out = vec![Vec::with_capacity(self.params.len()); k];
        for p in &self.params {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(key_stream(&p.key));
            let mut strata: Vec<usize> = (0..k).collect();
            for i in (1..k).rev() {
                strata.swap(i, rng.random_range(0..=i));
            }
            for (point, stratum) in out.iter_mut().zip(strata) {
                let u = (stratum as f64 + rng.random::<f64>()) / k as f64;
                point.push(p.value_at(u));
            }
        }
        out
    }

    /// The `--set key=value` overrides of one parameter set, appended to `base` (keys for
    /// which `has_key` is false are left out: e.g. a policy lever the scenario does not have).
    pub fn apply(
        &self,
        base: &[String],
        point: &[f64],
        has_key: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut sets = base.to_vec();
        for (p, v) in self.params.iter().zip(point) {
            if has_key(&p.key) {
                sets.push(format!("{}={v}", p.key));
            }
        }
        sets
    }
}

/// Rounds to 9 significant digits, so values print and re-parse exactly.
fn round_sig(x: f64) -> f64 {
    format!("{x:.8e}").parse().unwrap_or(x)
}

fn collect<E>(
    table: &toml::Table,
    prefix: &str,
    out: &mut Vec<Param>,
    bad: &impl Fn(&str, String) -> E,
) -> Result<(), E> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let Some(t) = value.as_table() else {
            return Err(bad(
                &key,
                "expected a table { dist = \"uniform\" | \"normal\" | \"lognormal\" | \"triangular\", ... }".into(),
            ));
        };
        if t.contains_key("dist") {
            out.push(param(&key, t, bad)?);
        } else {
            collect(t, &key, out, bad)?;
        }
    }
    Ok(())
}

fn param<E>(key: &str, t: &toml::Table, bad: &impl Fn(&str, String) -> E) -> Result<Param, E> {
    let dist = t.get("dist").and_then(toml::Value::as_str).unwrap_or("");
    let allowed: &[&str] = match dist {
        "uniform" => &["low", "high"],
        "normal" => &["mean", "sd", "low", "high"],
        "lognormal" => &["median", "sigma", "low", "high"],
        "triangular" => &["low", "mode", "high"],
        other => {
            return Err(bad(
                &format!("{key}.dist"),
                format!("`{other}`; allowed: uniform, normal, lognormal, triangular"),
            ));
        }
    };
    for k in t.keys() {
        if !["dist", "why", "integer"].contains(&k.as_str()) && !allowed.contains(&k.as_str()) {
            return Err(bad(
                &format!("{key}.{k}"),
                format!(
                    "unknown field for dist = \"{dist}\"; allowed: {}, why, integer",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let num = |f: &str, default: Option<f64>| -> Result<f64, E> {
        match t.get(f) {
            Some(v) => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                Some(x) if x.is_finite() => Ok(x),
                _ => Err(bad(
                    &format!("{key}.{f}"),
                    "expected a finite number".into(),
                )),
            },
            None => default.ok_or_else(|| {
                bad(
                    &format!("{key}.{f}"),
                    format!("missing; dist = \"{dist}\" needs {}", allowed.join(", ")),
                )
            }),
        }
    };
    let order = |low: f64, high: f64| -> Result<(), E> {
        if low < high {
            Ok(())
        } else {
            Err(bad(key, format!("low {low} must be below high {high}")))
        }
    };
    let positive = |f: &str, x: f64| -> Result<(), E> {
        if x > 0.0 {
            Ok(())
        } else {
            Err(bad(&format!("{key}.{f}"), format!("{x}; allowed: > 0")))
        }
    };
    let dist = match dist {
        "uniform" => {
            let (low, high) = (num("low", None)?, num("high", None)?);
            order(low, high)?;
            Dist::Uniform { low, high }
        }
        "triangular" => {
            let (low, mode, high) = (num("low", None)?, num("mode", None)?, num("high", None)?);
            order(low, high)?;
            if !(low..=high).contains(&mode) {
                return Err(bad(
                    &format!("{key}.mode"),
                    format!("{mode}; allowed: low..=high ({low}..={high})"),
                ));
            }
            Dist::Triangular { low, mode, high }
        }
        "normal" => {
            let (mean, sd) = (num("mean", None)?, num("sd", None)?);
            positive("sd", sd)?;
            let (low, high) = (
                num("low", Some(f64::NEG_INFINITY))?,
                num("high", Some(f64::INFINITY))?,
            );
            order(low, high)?;
            Dist::Normal {
                mean,
                sd,
                low,
                high,
            }
        }
        _ => {
            let (median, sigma) = (num("median", None)?, num("sigma", None)?);
            positive("median", median)?;
            positive("sigma", sigma)?;
            let (low, high) = (num("low", Some(0.0))?, num("high", Some(f64::INFINITY))?);
            order(low, high)?;
            if low < 0.0 {
                return Err(bad(&format!("{key}.low"), format!("{low}; allowed: >= 0")));
            }
            Dist::LogNormal {
                median,
                sigma,
                low,
                high,
            }
        }
    };
    let why = t
        .get("why")
        .and_then(toml::Value::as_str)
        .unwrap_or("")
        .to_string();
    let integer = match t.get("integer") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad(&format!("{key}.integer"), "allowed: true, false".into()))?,
    };
    Ok(Param {
        key: key.to_string(),
        dist,
        why,
        integer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Uncertainty, String> {
        Uncertainty::parse(Path::new("u.toml"), text).map_err(|e| e.to_string())
    }

    const TEXT: &str = r#"
[uncertainty]
"firms.a" = { dist = "uniform", low = 1, high = 3 }
"firms.b" = { dist = "triangular", low = 0.0, mode = 0.2, high = 1.0 }
[uncertainty.labour]
c = { dist = "normal", mean = 0.0, sd = 1.0, low = -1.0, high = 2.0, why = "assumed" }
d = { dist = "lognormal", median = 100.0, sigma = 0.5, low = 50.0, high = 300.0 }
"#;

    #[test]
    fn parses_flat_and_nested_keys_in_key_order() {
        let u = parse(TEXT).unwrap();
        assert_eq!(u.keys(), ["firms.a", "firms.b", "labour.c", "labour.d"]);
        assert_eq!(u.params[2].why, "assumed");
        assert_eq!(
            u.params[0].dist,
            Dist::Uniform {
                low: 1.0,
                high: 3.0
            }
        );
    }

    #[test]
    fn lhs_fills_every_stratum_within_bounds_and_is_keyed() {
        let u = parse(TEXT).unwrap();
        let k = 20;
        let pts = u.sample_lhs(k, 7);
        assert_eq!(pts, u.sample_lhs(k, 7));
        assert_ne!(pts, u.sample_lhs(k, 8));
        // Uniform: exactly one value per stratum of width (3 - 1) / k.
        let mut strata: Vec<usize> = pts
            .iter()
            .map(|p| ((p[0] - 1.0) / 2.0 * k as f64) as usize)
            .collect();
        strata.sort();
        assert_eq!(strata, (0..k).collect::<Vec<_>>());
        for p in &pts {
            for (v, q) in p.iter().zip(&u.params) {
                let (lo, hi) = q.dist.bounds();
                assert!(*v >= lo && *v <= hi, "{} = {v}", q.key);
            }
        }
        // Keyed: dropping a key leaves the others' draws unchanged.
        let fewer = parse(&TEXT.replace(
            "\"firms.a\" = { dist = \"uniform\", low = 1, high = 3 }",
            "",
        ))
        .unwrap();
        let other = fewer.sample_lhs(k, 7);
        for (a, b) in pts.iter().zip(&other) {
            assert_eq!(&a[1..], &b[..]);
        }
    }

    #[test]
    fn quantiles_match_hand_values() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-6);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        let t = Dist::Triangular {
            low: 0.0,
            mode: 0.5,
            high: 1.0,
        };
        assert!((t.quantile(0.5) - 0.5).abs() < 1e-12);
        assert!((t.quantile(0.125) - 0.25).abs() < 1e-12);
        let l = Dist::LogNormal {
            median: 100.0,
            sigma: 0.5,
            low: 0.0,
            high: f64::INFINITY,
        };
        assert!((l.quantile(0.5) - 100.0).abs() < 1e-6);
    }

    #[test]
    fn apply_appends_sets_for_known_keys() {
        let u = parse(TEXT).unwrap();
        let sets = u.apply(&["scale=0.001".into()], &[2.0, 0.5, 0.1, 120.0], |k| {
            k != "labour.d"
        });
        assert_eq!(
            sets,
            ["scale=0.001", "firms.a=2", "firms.b=0.5", "labour.c=0.1"]
        );
    }

    #[test]
    fn bad_entries_get_one_line_naming_file_key_and_what_is_allowed() {
        let cases = [
            ("[x]\n", "u.toml: x: unknown table; allowed: [uncertainty]"),
            (
                "[uncertainty]\n\"a.b\" = { dist = \"beta\", low = 0, high = 1 }\n",
                "u.toml: a.b.dist: `beta`; allowed: uniform, normal, lognormal, triangular",
            ),
            (
                "[uncertainty]\n\"a.b\" = { dist = \"uniform\", low = 2, high = 1 }\n",
                "u.toml: a.b: low 2 must be below high 1",
            ),
            (
                "[uncertainty]\n\"a.b\" = { dist = \"uniform\", low = 0 }\n",
                "u.toml: a.b.high: missing; dist = \"uniform\" needs low, high",
            ),
            (
                "[uncertainty]\n\"a.b\" = { dist = \"normal\", mean = 0, sd = 0 }\n",
                "u.toml: a.b.sd: 0; allowed: > 0",
            ),
            (
                "[uncertainty]\n\"a.b\" = { dist = \"triangular\", low = 0, mode = 3, high = 1 }\n",
                "u.toml: a.b.mode: 3; allowed: low..=high (0..=1)",
            ),
            (
                "[uncertainty]\n\"a.b\" = { dist = \"uniform\", low = 0, high = 1, sd = 2 }\n",
                "u.toml: a.b.sd: unknown field for dist = \"uniform\"; allowed: low, high, why, integer",
            ),
            ("[uncertainty]\na = 3\n", "u.toml: a: expected a table"),
            ("[uncertainty\n", "u.toml: not valid TOML"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want), "{e}\n  want: {want}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
