//! Parameter designs: which scenario values each point of a sweep sets.
//!
//! `--vary key=v1,v2,...` lists values; `--vary key=low..high` gives a range for a Latin
//! hypercube. A grid is the cartesian product of the listed values (the first key varies
//! slowest). A Latin hypercube of K samples splits every range into K equal strata and draws one
//! value per stratum, in an independent random order per key, from a ChaCha8 stream seeded
//! with the master seed (no OS randomness): the same command gives the same points.
//! Values are applied as `--set key=value`, so they are validated like the scenario file.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Why a design cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DesignError {
    #[error("--vary `{0}`: expected key=v1,v2,... or key=low..high")]
    Syntax(String),
    #[error("--vary `{0}`: a range low..high needs two numbers with low < high")]
    Range(String),
    #[error("--vary `{0}`: the key is varied twice")]
    Duplicate(String),
    #[error("--design grid takes value lists (key=v1,v2,...), not ranges: `{0}`")]
    RangeInGrid(String),
    #[error("--design lhs takes ranges (key=low..high), not value lists: `{0}`")]
    ListInLhs(String),
    #[error("--design lhs needs --samples K (K >= 1) and at least one --vary key=low..high")]
    LhsSamples,
    #[error("--samples is only used with --design lhs")]
    SamplesWithoutLhs,
    #[error("--design `{0}`: allowed: grid, lhs")]
    UnknownDesign(String),
}

/// What one `--vary` gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    List(Vec<String>),
    Range { low: f64, high: f64, integer: bool },
}

/// One varied key.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    pub key: String,
    pub values: Values,
}

impl Vary {
    /// Parses `key=v1,v2,...` or `key=low..high`.
    pub fn parse(text: &str) -> Result<Vary, DesignError> {
        let syntax = || DesignError::Syntax(text.to_string());
        let (key, rest) = text.split_once('=').ok_or_else(syntax)?;
        let key = key.trim();
        if key.is_empty() || rest.trim().is_empty() {
            return Err(syntax());
        }
        if let Some((lo, hi)) = rest.split_once("..") {
            let range = || DesignError::Range(text.to_string());
            let (lo, hi) = (lo.trim(), hi.trim());
            let low: f64 = lo.parse().map_err(|_| range())?;
            let high: f64 = hi.parse().map_err(|_| range())?;
            if low >= high || !low.is_finite() || !high.is_finite() {
                return Err(range());
            }
            let integer = lo.parse::<i64>().is_ok() && hi.parse::<i64>().is_ok();
            return Ok(Vary {
                key: key.to_string(),
                values: Values::Range { low, high, integer },
            });
        }
        let list: Vec<String> = rest.split(',').map(|v| v.trim().to_string()).collect();
        if list.iter().any(String::is_empty) {
            return Err(syntax());
        }
        Ok(Vary {
            key: key.to_string(),
            values: Values::List(list),
        })
    }
}

/// How points are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Design {
    Grid,
    Lhs { samples: u64 },
}

impl Design {
    pub fn parse(name: &str, samples: Option<u64>) -> Result<Design, DesignError> {
        match (name, samples) {
            ("grid", None) => Ok(Design::Grid),
            ("grid", Some(_)) => Err(DesignError::SamplesWithoutLhs),
            ("lhs", Some(k)) if k >= 1 => Ok(Design::Lhs { samples: k }),
            ("lhs", _) => Err(DesignError::LhsSamples),
            (other, _) => Err(DesignError::UnknownDesign(other.to_string())),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Lhs { .. } => "lhs",
        }
    }
}

/// The points of a design: one value (as text, applied with `--set`) per varied key, in key
/// order. No varied keys gives one point with no values.
pub fn points(varies: &[Vary], design: Design, seed: u64) -> Result<Vec<Vec<String>>, DesignError> {
    for (i, v) in varies.iter().enumerate() {
        if varies[..i].iter().any(|w| w.key == v.key) {
            return Err(DesignError::Duplicate(v.key.clone()));
        }
    }
    match design {
        Design::Grid => {
            let mut out = vec![Vec::new()];
            for v in varies {
                let Values::List(list) = &v.values else {
                    return Err(DesignError::RangeInGrid(v.key.clone()));
                };
                out = out
                    .into_iter()
                    .flat_map(|p| {
                        list.iter().map(move |x| {
                            let mut q = p.clone();
                            q.push(x.clone());
                            q
                        })
                    })
                    .collect();
            }
            Ok(out)
        }
        Design::Lhs { samples } => {
            if varies.is_empty() {
                return Err(DesignError::LhsSamples);
            }
            let k = samples as usize;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // A stream of its own, so no other use of the master seed shares these numbers.
            rng.set_stream(0x4c48_5344_4553_4947); // "LHSDESIG"
            let mut out = vec![Vec::with_capacity(varies.len()); k];
            for v in varies {
                let Values::Range { low, high, integer } = v.values else {
                    return Err(DesignError::ListInLhs(v.key.clone()));
                };
                let mut strata: Vec<usize> = (0..k).collect();
                for i in (1..k).rev() {
                    strata.swap(i, rng.random_range(0..=i));
                }
                for (point, stratum) in out.iter_mut().zip(strata) {
                    let u: f64 = rng.random();
                    let t = (stratum as f64 + u) / k as f64;
                    point.push(if integer {
                        let x = (low + t * (high - low + 1.0)).floor().min(high);
                        format!("{}", x as i64)
                    } else {
                        round6(low + t * (high - low)).to_string()
                    });
                }
            }
            Ok(out)
        }
    }
}

/// Rounds to 6 significant digits, so points read well in file names and legends.
fn round6(x: f64) -> f64 {
    format!("{x:.5e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(s: &str) -> Vary {
        Vary::parse(s).unwrap()
    }

    #[test]
    fn grid_is_the_cartesian_product_first_key_slowest() {
        let p = points(&[vary("a=1,2"), vary("b=x,y,z")], Design::Grid, 1).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], ["1", "x"]);
        assert_eq!(p[1], ["1", "y"]);
        assert_eq!(p[5], ["2", "z"]);
        assert_eq!(
            points(&[], Design::Grid, 1).unwrap(),
            vec![Vec::<String>::new()]
        );
    }

    #[test]
    fn lhs_puts_one_sample_in_each_stratum_and_is_reproducible() {
        let v = [vary("a=0.0..1.0"), vary("b=3..12")];
        let p = points(&v, Design::Lhs { samples: 10 }, 7).unwrap();
        assert_eq!(p, points(&v, Design::Lhs { samples: 10 }, 7).unwrap());
        assert_ne!(p, points(&v, Design::Lhs { samples: 10 }, 8).unwrap());
        let mut strata: Vec<usize> = p
            .iter()
            .map(|x| (x[0].parse::<f64>().unwrap() * 10.0) as usize)
            .collect();
        strata.sort();
        assert_eq!(strata, (0..10).collect::<Vec<_>>());
        // Integer ranges give integers, each of 3..=12 once.
        let mut b: Vec<i64> = p.iter().map(|x| x[1].parse().unwrap()).collect();
        b.sort();
        assert_eq!(b, (3..=12).collect::<Vec<_>>());
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(Vary::parse("a").is_err());
        assert!(Vary::parse("a=").is_err());
        assert!(Vary::parse("a=1,,2").is_err());
        assert!(Vary::parse("a=2..1").is_err());
        assert!(Vary::parse("a=x..1").is_err());
        assert_eq!(
            points(&[vary("a=1..2")], Design::Grid, 1),
            Err(DesignError::RangeInGrid("a".into()))
        );
        assert!(points(&[vary("a=1,2"), vary("a=3")], Design::Grid, 1).is_err());
        assert!(Design::parse("lhs", None).is_err());
        assert!(Design::parse("grid", Some(3)).is_err());
    }
}
