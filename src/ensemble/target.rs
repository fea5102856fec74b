//! "What would it take": the smallest multiplier of some levers' budgets that reaches a goal
//! (e.g. non-capital SME sales >= 1,432 trn KRW in 2030) with a given probability.
//!
//! **Levers.** A lever is a programme table of the policy scenario (`policy.growth_fund`,
//! `policy.smart_factories.advanced_ai`, ...; `all` = every programme). Scaling it by `m`
//! multiplies its quantity schedules, the money and counts it buys each year, and nothing
//! else: the keys in [`SCALED_KEYS`] (counts rounded to whole numbers). Unit costs
//! (`cost_krw_per_firm`, `grant_krw_per_founder`, TIPS's `match_krw_by_year` per selection),
//! effect sizes and shares stay as written, and so does `budget_cap_krw_per_year`. A lever
//! with none of these keys (hub cities: their effect is set by `regions_by_year`) cannot be
//! scaled: named alone it is an error, under `all` it is listed as unscaled.
//!
//! **Search.** The probability at `m` is the share of `replicates` runs of the scaled policy
//! whose goal holds; replicate `i` runs with [`replicate_seed`]`(master, i)` at every `m`
//! (common random numbers), so two multipliers differ only by the levers. Multiplier 1 is
//! evaluated first: if it reaches the goal the bracket is [0, 1] (0 itself is tried: the goal
//! may need no lever at all), else [1, max] (if `max` fails: unreachable below x max).
//! Bisection then halves the bracket, keeping "lo fails, hi reaches", until it is narrower
//! than `tolerance`. The estimated probability is monotone in `m` only up to noise (a
//! different selection of firms, a replicate near the goal flipping). Bisection needs no
//! monotonicity to end with an observed crossing: every evaluated multiplier that failed lies
//! at or below `lo`, every one that reached at or above `hi`. [`Search::monotone`] says whether
//! the estimated probabilities themselves never fell as `m` rose; when they did, the
//! probability is noisy at this number of replicates and the crossing found may not be the
//! only one (more replicates settle it).
//!
//! **Invariant:** no IO, no clock; runs go through [`crate::sim::simulate`] in the caller's
//! rayon pool, in replicate order, so the result is the same at any thread count.

use super::{replicate_seed, run_parallel};
use crate::metrics::NationalRow;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::simulate;
use std::collections::BTreeMap;
use std::sync::Mutex;
use thiserror::Error;

/// Keys a lever's scaling multiplies, and whether they are counts (rounded).
pub const SCALED_KEYS: [(&str, bool); 10] = [
    ("budget_krw_by_year", false),
    ("cost_krw_by_year", false),
    ("incentive_krw_by_year", false),
    ("angel_krw_per_region_year", false),
    ("cost_krw_per_region_year", false),
    ("count_by_year", true),
    ("selections_by_year", true),
    ("founders_by_year", true),
    ("creators_by_year", true),
    ("advisors", true),
];

#[derive(Debug, Error)]
pub enum TargetError {
    #[error(
        "--goal {0:?}: expected \"METRIC >= VALUE in YEAR\" (operators >=, >, <=, <), e.g. \"noncapital_sme_sales_krw >= 1.432e15 in 2030\""
    )]
    GoalSyntax(String),
    #[error("--goal: unknown metric `{0}`; allowed: the columns of national.csv ({1})")]
    GoalMetric(String, String),
    #[error("--goal: year {0} is outside the scenario's years {1}-{2}")]
    GoalYear(i32, i32, i32),
    #[error("--lever {0}: {1}")]
    Lever(String, String),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

/// A goal on one national metric in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub metric: String,
    pub op: String,
    pub value: f64,
    pub year: i32,
}

impl Goal {
    pub fn parse(text: &str) -> Result<Goal, TargetError> {
        let bad = || TargetError::GoalSyntax(text.to_string());
        let words: Vec<&str> = text.split_whitespace().collect();
        let [metric, op, value, in_word, year] = words.as_slice() else {
            return Err(bad());
        };
        if !matches!(*op, ">=" | ">" | "<=" | "<") || *in_word != "in" {
            return Err(bad());
        }
        let value: f64 = value.parse().map_err(|_| bad())?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !value.is_finite() {
            return Err(bad());
        }
        let columns = NationalRow::header();
        if !columns[1..].contains(metric) {
            return Err(TargetError::GoalMetric(
                metric.to_string(),
                columns[1..].join(", "),
            ));
        }
        Ok(Goal {
            metric: metric.to_string(),
            op: op.to_string(),
            value,
            year,
        })
    }

    pub fn holds(&self, x: f64) -> bool {
        match self.op.as_str() {
            ">=" => x >= self.value,
            ">" => x > self.value,
            "<=" => x <= self.value,
            _ => x < self.value,
        }
    }
}

/// One `--set` per scaled value: the resolved policy's quantity schedules times `m`.
#[derive(Debug, Clone, PartialEq)]
pub struct Levers {
    /// Dotted paths of the scaled keys with their values at multiplier 1.
    pub keys: Vec<(String, f64, bool)>,
    /// Levers under `all` that have nothing to scale.
    pub unscaled: Vec<String>,
}

impl Levers {
    /// Finds the keys of `names` (`all`, `policy.<lever>` or `<lever>`) in the policy scenario.
    pub fn find(policy: &Scenario, names: &[String]) -> Result<Levers, TargetError> {
        let table = toml::Value::try_from(&policy.raw)
            .ok()
            .and_then(|v| v.get("policy").cloned())
            .and_then(|v| v.as_table().cloned())
            .unwrap_or_default();
        let programmes: Vec<&String> = table.keys().filter(|k| table[*k].is_table()).collect();
        let allowed = || {
            let mut list = vec!["all".to_string()];
            list.extend(programmes.iter().map(|p| format!("policy.{p}")));
            format!("allowed: {}", list.join(", "))
        };
        let mut out = Levers {
            keys: Vec::new(),
            unscaled: Vec::new(),
        };
        for name in names {
            let all = name == "all";
            let paths: Vec<String> = if all {
                programmes.iter().map(|p| format!("policy.{p}")).collect()
            } else {
                let p = name.strip_prefix("policy.").unwrap_or(name);
                vec![format!("policy.{p}")]
            };
            for path in paths {
                let node = path
                    .split('.')
                    .skip(1)
                    .try_fold(&toml::Value::Table(table.clone()), |v, k| v.get(k))
                    .cloned();
                let Some(node) = node.filter(toml::Value::is_table) else {
                    return Err(TargetError::Lever(
                        name.clone(),
                        format!("no such programme in the policy scenario; {}", allowed()),
                    ));
                };
                let before = out.keys.len();
                collect(&node, &path, &mut out.keys);
                if out.keys.len() == before {
                    if all {
                        out.unscaled.push(path);
                    } else {
                        return Err(TargetError::Lever(
                            name.clone(),
                            "has no budget or count schedule to scale (its effect is set by where and when it runs)".to_string(),
                        ));
                    }
                }
            }
        }
        out.keys.sort_by(|a, b| a.0.cmp(&b.0));
        out.keys.dedup_by(|a, b| a.0 == b.0);
        if out.keys.is_empty() {
            return Err(TargetError::Lever(
                names.join(" "),
                format!("nothing to scale; {}", allowed()),
            ));
        }
        Ok(out)
    }

    /// The `--set`s that scale every key by `m`.
    pub fn sets(&self, m: f64) -> Vec<String> {
        self.keys
            .iter()
            .map(|(path, v, count)| {
                let x = if *count { (v * m).round() } else { v * m };
                format!("{path}={x:?}")
            })
            .collect()
    }
}

/// The scaled keys under a table (nested tables too: smart-factory types).
fn collect(node: &toml::Value, path: &str, out: &mut Vec<(String, f64, bool)>) {
    let Some(table) = node.as_table() else { return };
    for (key, value) in table {
        let here = format!("{path}.{key}");
        match SCALED_KEYS.iter().find(|(k, _)| k == key) {
            Some((_, count)) => {
                if let Some(x) = number(value) {
                    out.push((here, x, *count));
                } else if let Some(years) = value.as_table() {
                    for (year, v) in years {
                        if let Some(x) = number(v) {
                            out.push((format!("{here}.{year}"), x, *count));
                        }
                    }
                }
            }
            None if value.is_table()
                && !key.ends_with("_by_year")
                && !key.ends_with("_by_region") =>
            {
                collect(value, &here, out)
            }
            None => {}
        }
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// What the policy scenario gave at one multiplier, over the replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub multiplier: f64,
    /// Share of replicates whose goal holds.
    pub p_reach: f64,
    /// Mean of the goal metric in the goal year.
    pub goal_metric_mean: f64,
    /// Mean public spending of all programmes, all years (KRW).
    pub spend_krw_mean: f64,
}

/// Runs the policy scaled by `m` for `replicates` seeds and evaluates the goal.
pub fn evaluate(
    policy_file: &std::path::Path,
    sets: &[String],
    levers: &Levers,
    goal: &Goal,
    replicates: u64,
    master_seed: u64,
    m: f64,
) -> Result<Evaluation, TargetError> {
    let mut all_sets = sets.to_vec();
    all_sets.extend(levers.sets(m));
    let scn = Scenario::load(policy_file, &all_sets)?;
    let results: Mutex<Vec<Option<(f64, f64)>>> = Mutex::new(vec![None; replicates as usize]);
    let ids: Vec<u64> = (0..replicates).collect();
    run_parallel(&ids, |&i| -> Result<(), std::convert::Infallible> {
        let seed = replicate_seed(master_seed, i);
        let run = simulate::<std::convert::Infallible>(&scn, seed, |_, _| Ok(()))?;
        let value = run
            .national
            .iter()
            .find(|r| r.year == goal.year)
            .and_then(|r| r.get(&goal.metric))
            .unwrap_or(f64::NAN);
        let spend: f64 = run.programs.iter().map(|p| p.spend_krw).sum();
        if let Ok(mut slots) = results.lock() {
            slots[i as usize] = Some((value, spend));
        }
        Ok(())
    })
    .unwrap_or_else(|never| match never {});
    let slots = results.into_inner().unwrap_or_default();
    let n = replicates as f64;
    // Summed in replicate order: the same figures at any thread count.
    let (mut reached, mut sum, mut spend) = (0.0, 0.0, 0.0);
    for (value, s) in slots.into_iter().flatten() {
        if goal.holds(value) {
            reached += 1.0;
        }
        sum += value;
        spend += s;
    }
    Ok(Evaluation {
        multiplier: m,
        p_reach: reached / n,
        goal_metric_mean: sum / n,
        spend_krw_mean: spend / n,
    })
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bracket [lo, hi] holds the crossing: lo fails, hi reaches.
    Found,
    /// Already reached with the levers at zero.
    ReachedWithoutLevers,
    /// Not reached at the largest multiplier allowed.
    Unreachable,
}

#[derive(Debug, Clone)]
pub struct Search {
    pub outcome: Outcome,
    /// [lo, hi]: lo fails (or is 0), hi reaches (or is the maximum).
    pub bracket: (f64, f64),
    /// Every evaluation, by multiplier.
    pub evaluations: Vec<Evaluation>,
    /// Whether the evaluated probabilities never decrease with the multiplier.
    pub monotone: bool,
}

/// Bisection for the smallest multiplier whose probability reaches `probability`, with
/// `eval(m)` giving the probability estimate at `m` (see the module docs).
pub fn search<E>(
    probability: f64,
    max_multiplier: f64,
    tolerance: f64,
    mut eval: impl FnMut(f64) -> Result<Evaluation, E>,
) -> Result<Search, E> {
    let mut seen: BTreeMap<u64, Evaluation> = BTreeMap::new();
    let mut at = |m: f64, seen: &mut BTreeMap<u64, Evaluation>| -> Result<bool, E> {
        let e = match seen.get(&m.to_bits()) {
            Some(e) => e.clone(),
            None => eval(m)?,
        };
        let ok = e.p_reach >= probability;
        seen.insert(m.to_bits(), e);
        Ok(ok)
    };
    let (mut lo, mut hi);
    let outcome;
    if at(1.0, &mut seen)? {
        if at(0.0, &mut seen)? {
            return Ok(finish(Outcome::ReachedWithoutLevers, (0.0, 0.0), seen));
        }
        (lo, hi) = (0.0, 1.0);
        outcome = Outcome::Found;
    } else if at(max_multiplier, &mut seen)? {
        (lo, hi) = (1.0, max_multiplier);
        outcome = Outcome::Found;
    } else {
        return Ok(finish(
            Outcome::Unreachable,
            (max_multiplier, max_multiplier),
            seen,
        ));
    }
    while hi - lo > tolerance {
        let mid = (lo + hi) / 2.0;
        if at(mid, &mut seen)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(finish(outcome, (lo, hi), seen))
}

fn finish(outcome: Outcome, bracket: (f64, f64), seen: BTreeMap<u64, Evaluation>) -> Search {
    let mut evaluations: Vec<Evaluation> = seen.into_values().collect();
    evaluations.sort_by(|a, b| a.multiplier.total_cmp(&b.multiplier));
    let monotone = evaluations.windows(2).all(|w| w[1].p_reach >= w[0].p_reach);
    Search {
        outcome,
        bracket,
        evaluations,
        monotone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(threshold: f64) -> impl FnMut(f64) -> Result<Evaluation, ()> {
        move |m| {
            Ok(Evaluation {
                multiplier: m,
                p_reach: if m >= threshold { 1.0 } else { 0.0 },
                goal_metric_mean: m,
                spend_krw_mean: m,
            })
        }
    }

    #[test]
    fn bisection_brackets_the_threshold_within_tolerance() {
        let s = search(0.5, 8.0, 0.05, fake(2.7)).unwrap();
        assert_eq!(s.outcome, Outcome::Found);
        let (lo, hi) = s.bracket;
        assert!(lo < 2.7 && 2.7 <= hi && hi - lo <= 0.05, "{lo}..{hi}");
        assert!(s.monotone);
        // 1, 8, then halvings of 7 down to 0.05: 8 halvings.
        assert_eq!(s.evaluations.len(), 2 + 8);
    }

    #[test]
    fn below_one_and_unreachable_and_free() {
        let s = search(0.5, 8.0, 0.1, fake(0.3)).unwrap();
        assert_eq!(s.outcome, Outcome::Found);
        assert!(s.bracket.0 < 0.3 && s.bracket.1 >= 0.3);
        let s = search(0.5, 4.0, 0.1, fake(5.0)).unwrap();
        assert_eq!(s.outcome, Outcome::Unreachable);
        assert_eq!(s.evaluations.len(), 2);
        let s = search(0.5, 4.0, 0.1, fake(0.0)).unwrap();
        assert_eq!(s.outcome, Outcome::ReachedWithoutLevers);
    }

    #[test]
    fn non_monotone_noise_is_reported() {
        // Noise: P falls from 0.4 at x1 to 0.2 at x4.5 (both below the 0.5 needed) before
        // rising; the search still ends with a crossing and says the points were not monotone.
        let mut eval = |m: f64| -> Result<Evaluation, ()> {
            let p = if m >= 6.0 {
                0.9
            } else if m > 1.0 {
                0.2
            } else {
                0.4
            };
            Ok(Evaluation {
                multiplier: m,
                p_reach: p,
                goal_metric_mean: 0.0,
                spend_krw_mean: 0.0,
            })
        };
        let s = search(0.5, 8.0, 0.1, &mut eval).unwrap();
        assert_eq!(s.outcome, Outcome::Found);
        assert!(!s.monotone);
        let (lo, hi) = s.bracket;
        assert!(lo < 6.0 && 6.0 <= hi && hi - lo <= 0.1, "{lo}..{hi}");
        // Failures all lie at or below lo, successes at or above hi.
        for e in &s.evaluations {
            assert_eq!(e.p_reach >= 0.5, e.multiplier >= hi, "{e:?}");
        }
    }

    #[test]
    fn goals_parse_and_fail_clearly() {
        let g = Goal::parse("noncapital_sme_sales_krw >= 1.432e15 in 2030").unwrap();
        assert_eq!((g.op.as_str(), g.value, g.year), (">=", 1.432e15, 2030));
        assert!(g.holds(1.5e15) && !g.holds(1.0e15));
        assert!(matches!(
            Goal::parse("sales >= 1 in 2030"),
            Err(TargetError::GoalMetric(..))
        ));
        assert!(matches!(
            Goal::parse("employment => 1 in 2030"),
            Err(TargetError::GoalSyntax(_))
        ));
        assert!(matches!(
            Goal::parse("employment >= x in 2030"),
            Err(TargetError::GoalSyntax(_))
        ));
    }
}
