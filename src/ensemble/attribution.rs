//! Programme attribution by counterfactual runs: what each programme of a policy package does
//! on its own, what it adds to the rest of the package, and its Shapley share of the package's
//! effect. `compare` runs, on the same seed as replicate `i`'s pair, the policy with a subset
//! (a *coalition*) of its programmes switched on; the figures here are pure functions of those
//! coalition runs' summaries, so they are testable on hand-made values.
//!
//! A programme is one `[policy]` lever table (hub_cities, growth_fund, smart_factories with its
//! three types, ...) that the policy scenario sets differently from the baseline. The coalition
//! with no programme is the baseline run, the one with all of them the policy run; the two
//! scenarios must agree on everything else (checked by [`programmes`]).
//!
//! Modes (cost per replicate, p programmes): `oat` runs each programme alone and the package
//! without each (2p runs; the Shapley value is then approximated by the mean of the
//! stand-alone and marginal effects, exact when programmes interact at most in pairs);
//! `shapley` runs every coalition (2^p - 2 runs) when that fits in [`EXACT_MAX_RUNS`] over all
//! replicates, otherwise the prefixes of sampled orderings (at most `permutations * (p - 1)`
//! runs, plus the 2p of `oat`). Exact and sampled Shapley values add up to the package effect
//! in every replicate (efficiency holds per ordering).

use super::stats::Welford;
use super::store::num;
use crate::policy::{Policy, Program};
use crate::scenario::Scenario;
use crate::sim::RunResult;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The lever tables of `[policy]` that count as programmes, in ODD 7.10 order.
pub const LEVERS: [&str; 10] = [
    "hub_cities",
    "startup_parks",
    "growth_fund",
    "tips",
    "smart_factories",
    "jump_up",
    "local_entrepreneurs",
    "one_stop",
    "key_industries",
    "ai_supply_chains",
];

/// Exact Shapley values are computed when all coalitions over all replicates take at most
/// this many runs (about 4 minutes at the default scale on 2 cores); beyond it orderings are
/// sampled.
pub const EXACT_MAX_RUNS: u64 = 4096;

/// The programmes (`programs.csv` names) a lever pays for.
pub fn lever_programs(lever: usize) -> &'static [Program] {
    use Program::*;
    match LEVERS[lever] {
        "hub_cities" => &[HubCities],
        "startup_parks" => &[StartupParks],
        "growth_fund" => &[GrowthFund],
        "tips" => &[Tips],
        "smart_factories" => &[
            SmartFactoryAdvancedAi,
            SmartFactorySectorSpecialised,
            SmartFactoryCollaborative,
        ],
        "jump_up" => &[JumpUp],
        "local_entrepreneurs" => &[LocalEntrepreneurs, LocalCreators],
        "one_stop" => &[OneStop],
        "key_industries" => &[KeyIndustries],
        _ => &[AiSupplyChains],
    }
}

/// A lever's table as comparable text (Debug of the validated lever).
fn lever_text(p: &Policy, lever: usize) -> String {
    match LEVERS[lever] {
        "hub_cities" => format!("{:?}", p.hub_cities),
        "startup_parks" => format!("{:?}", p.startup_parks),
        "growth_fund" => format!("{:?}", p.growth_fund),
        "tips" => format!("{:?}", p.tips),
        "smart_factories" => format!("{:?}", p.smart_factories),
        "jump_up" => format!("{:?}", p.jump_up),
        "local_entrepreneurs" => format!("{:?}", p.local_entrepreneurs),
        "one_stop" => format!("{:?}", p.one_stop),
        "key_industries" => format!("{:?}", p.key_industries),
        _ => format!("{:?}", p.ai_supply_chains),
    }
}

/// Sets lever `lever` of `to` to `from`'s.
fn copy_lever(to: &mut Policy, from: &Policy, lever: usize) {
    match LEVERS[lever] {
        "hub_cities" => to.hub_cities = from.hub_cities.clone(),
        "startup_parks" => to.startup_parks = from.startup_parks.clone(),
        "growth_fund" => to.growth_fund = from.growth_fund.clone(),
        "tips" => to.tips = from.tips.clone(),
        "smart_factories" => to.smart_factories = from.smart_factories.clone(),
        "jump_up" => to.jump_up = from.jump_up.clone(),
        "local_entrepreneurs" => to.local_entrepreneurs = from.local_entrepreneurs.clone(),
        "one_stop" => to.one_stop = from.one_stop.clone(),
        "key_industries" => to.key_industries = from.key_industries.clone(),
        _ => to.ai_supply_chains = from.ai_supply_chains.clone(),
    }
}

/// The levers (indices into [`LEVERS`]) the policy sets differently from the baseline, or why
/// the package cannot be decomposed: the scenarios differ in something other than programme
/// levers (then no coalition run is the baseline plus programmes).
pub fn programmes(baseline: &Scenario, policy: &Scenario) -> Result<Vec<usize>, String> {
    let strip = |s: &Scenario| {
        let mut v = serde_json::to_value(&s.raw).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["name", "description", "seed", "policy", "extends"] {
                o.remove(k);
            }
        }
        v
    };
    if strip(baseline) != strip(policy) {
        return Err("the scenarios differ outside [policy]".into());
    }
    let (b, p) = (&baseline.policy, &policy.policy);
    if b.budget_cap_krw_per_year != p.budget_cap_krw_per_year {
        return Err("the scenarios have different policy.budget_cap_krw_per_year".into());
    }
    if format!("{:?}", b.shocks) != format!("{:?}", p.shocks) {
        return Err("the scenarios have different policy.shocks".into());
    }
    Ok((0..LEVERS.len())
        .filter(|&l| lever_text(b, l) != lever_text(p, l))
        .collect())
}

/// How the package is decomposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    None,
    /// One-at-a-time and leave-one-out runs.
    Oat,
    /// Every coalition.
    ShapleyExact,
    /// Prefixes of `permutations` sampled orderings per replicate (plus the `Oat` runs).
    ShapleySampled {
        permutations: u64,
    },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Oat => "oat+loo",
            Mode::ShapleyExact => "shapley-exact",
            Mode::ShapleySampled { .. } => "shapley-sampled",
        }
    }

    /// How the reported Shapley values are obtained.
    pub fn shapley_method(&self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Oat => {
                "approximate: mean of stand-alone and marginal effects (exact when programmes interact at most in pairs; need not add up to the package effect)"
            }
            Mode::ShapleyExact => "exact: every coalition run",
            Mode::ShapleySampled { .. } => {
                "sampled orderings: mean marginal contribution over random orderings per replicate; the CI covers ordering and Monte Carlo noise"
            }
        }
    }
}

/// What `compare` decomposes: the programmes and the mode.
#[derive(Debug, Clone)]
pub struct Attribution {
    /// Indices into [`LEVERS`]; bit `k` of a coalition mask is `levers[k]`.
    pub levers: Vec<usize>,
    pub mode: Mode,
}

impl Attribution {
    pub fn off() -> Self {
        Attribution {
            levers: Vec::new(),
            mode: Mode::None,
        }
    }

    /// Chooses the mode: `requested` is "auto" (oat+loo for 2 or more programmes), "none",
    /// "oat" or "shapley" (exact when affordable, else sampled with `permutations`).
    pub fn choose(
        levers: Vec<usize>,
        requested: &str,
        replicates: u64,
        permutations: u64,
    ) -> Result<Self, String> {
        let p = levers.len() as u32;
        let mode = match requested {
            "none" => Mode::None,
            _ if p < 2 => Mode::None,
            "auto" | "oat" => Mode::Oat,
            "shapley" => {
                let exact = ((1u64 << p.min(62)) - 2).saturating_mul(replicates);
                if exact <= EXACT_MAX_RUNS {
                    Mode::ShapleyExact
                } else {
                    Mode::ShapleySampled { permutations }
                }
            }
            other => {
                return Err(format!(
                    "--attribution `{other}`: allowed: auto, none, oat, shapley"
                ));
            }
        };
        Ok(Attribution { levers, mode })
    }

    pub fn full(&self) -> u64 {
        (1u64 << self.levers.len()) - 1
    }

    /// The orderings of replicate `seed` (sampled mode only).
    pub fn orderings(&self, seed: u64) -> Vec<Vec<usize>> {
        let Mode::ShapleySampled { permutations } = self.mode else {
            return Vec::new();
        };
        let p = self.levers.len();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(0x5348_4150_4c45_5950); // "SHAPLEYP"
        (0..permutations)
            .map(|_| {
                let mut order: Vec<usize> = (0..p).collect();
                for i in (1..p).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                order
            })
            .collect()
    }

    /// Every coalition replicate `seed` needs, the empty and the full one included.
    pub fn coalitions(&self, seed: u64) -> BTreeSet<u64> {
        let mut out = BTreeSet::new();
        if self.mode == Mode::None {
            return out;
        }
        let full = self.full();
        out.insert(0);
        out.insert(full);
        match self.mode {
            Mode::ShapleyExact => out.extend(0..=full),
            _ => {
                for k in 0..self.levers.len() {
                    out.insert(1 << k);
                    out.insert(full ^ (1 << k));
                }
                for order in self.orderings(seed) {
                    let mut mask = 0;
                    for k in order {
                        mask |= 1 << k;
                        out.insert(mask);
                    }
                }
            }
        }
        out
    }

    /// The policy with the programmes of `mask` and the baseline's levers elsewhere.
    pub fn coalition_scenario(
        &self,
        baseline: &Scenario,
        policy: &Scenario,
        mask: u64,
    ) -> Scenario {
        let mut scn = policy.clone();
        scn.policy = baseline.policy.clone();
        for (k, &l) in self.levers.iter().enumerate() {
            if mask & (1 << k) != 0 {
                copy_lever(&mut scn.policy, &policy.policy, l);
            }
        }
        scn
    }
}

/// The outcomes of one run that attribution splits.
pub const OUTCOMES: [&str; 4] = [
    "jobs",
    "value_added_krw",
    "capital_share_employment_pp",
    "noncapital_sme_sales_target_year_krw",
];

/// One run's outcomes ([`OUTCOMES`]: employment at the last year end, value added summed over
/// the years, the capital share of employment at the last year end in percent, non-capital
/// SME sales in `target_year` (index; the last year when out of range)) and its spending per
/// programme of `levers` (real KRW over all years).
pub fn summarise(run: &RunResult, levers: &[usize], target_year: usize) -> (Vec<f64>, Vec<f64>) {
    let last = run.national.len().saturating_sub(1);
    let n = &run.national;
    let t = target_year.min(last);
    let outcomes = if n.is_empty() {
        vec![0.0; OUTCOMES.len()]
    } else {
        vec![
            n[last].totals.employment,
            n.iter().map(|r| r.totals.value_added_krw).sum(),
            100.0 * n[last].capital_share_employment,
            n[t].noncapital_sme_sales_krw,
        ]
    };
    let spend = levers
        .iter()
        .map(|&l| {
            let names: Vec<&str> = lever_programs(l).iter().map(|p| p.name()).collect();
            run.programs
                .iter()
                .filter(|r| names.contains(&r.program))
                .map(|r| r.spend_krw)
                .sum()
        })
        .collect();
    (outcomes, spend)
}

/// A coalition's value: outcome (and spending) minus the baseline's.
pub type Values = BTreeMap<u64, f64>;

/// Exact Shapley value of player `k` of `p` from every coalition's value.
pub fn shapley_exact(v: &Values, p: usize, k: usize) -> f64 {
    let fact = |n: usize| (1..=n).map(|x| x as f64).product::<f64>();
    let total = fact(p);
    let bit = 1u64 << k;
    let mut phi = 0.0;
    for s in 0..(1u64 << p) {
        if s & bit != 0 {
            continue;
        }
        let size = s.count_ones() as usize;
        let w = fact(size) * fact(p - size - 1) / total;
        phi += w * (v[&(s | bit)] - v[&s]);
    }
    phi
}

/// Shapley value of player `k` as the mean marginal contribution over `orderings`.
pub fn shapley_sampled(v: &Values, orderings: &[Vec<usize>], k: usize) -> f64 {
    let mut sum = 0.0;
    for order in orderings {
        let mut mask = 0u64;
        for &j in order {
            if j == k {
                sum += v[&(mask | 1 << k)] - v[&mask];
                break;
            }
            mask |= 1 << j;
        }
    }
    sum / orderings.len().max(1) as f64
}

/// Per programme `k`: (stand-alone, marginal, Shapley) from the coalition values.
pub fn split(v: &Values, a: &Attribution, seed: u64, k: usize) -> [f64; 3] {
    let full = a.full();
    let standalone = v[&(1 << k)] - v[&0];
    let marginal = v[&full] - v[&(full ^ (1 << k))];
    let shapley = match a.mode {
        Mode::ShapleyExact => shapley_exact(v, a.levers.len(), k),
        Mode::ShapleySampled { .. } => shapley_sampled(v, &a.orderings(seed), k),
        _ => 0.5 * (standalone + marginal),
    };
    [standalone, marginal, shapley]
}

/// The measures reported per programme and outcome.
pub const MEASURES: [&str; 7] = [
    "standalone",
    "marginal",
    "interaction",
    "shapley",
    "standalone_per_bn_krw",
    "marginal_per_bn_krw",
    "shapley_per_bn_krw",
];

/// One coalition run's outcomes and spending per programme (see [`summarise`]).
pub type Coalition = (Vec<f64>, Vec<f64>);

/// Welford accumulators of the attribution figures over replicates.
#[derive(Debug, Clone)]
pub struct Acc {
    /// [(programme * OUTCOMES + outcome) * MEASURES + measure]
    cells: Vec<Welford>,
    /// Per programme: extra spending alone and within the package.
    spend: Vec<[Welford; 2]>,
    /// Per outcome: the package effect and the Shapley sum minus it.
    package: [[Welford; 2]; OUTCOMES.len()],
}

impl Acc {
    pub fn new(a: &Attribution) -> Self {
        let p = a.levers.len();
        Acc {
            cells: vec![Welford::default(); p * OUTCOMES.len() * MEASURES.len()],
            spend: vec![[Welford::default(); 2]; p],
            package: [[Welford::default(); 2]; OUTCOMES.len()],
        }
    }

    /// Adds one replicate's coalition runs (keyed by mask; `seed` is the replicate's seed).
    pub fn push(&mut self, a: &Attribution, seed: u64, runs: &BTreeMap<u64, Coalition>) {
        let p = a.levers.len();
        let full = a.full();
        let base = &runs[&0];
        let total = |m: u64| runs[&m].1.iter().sum::<f64>();
        let bn = |krw: f64| if krw.abs() > 1.0 { krw / 1e9 } else { f64::NAN };
        for k in 0..p {
            let alone = runs[&(1 << k)].1[k] - base.1[k];
            let within = runs[&full].1[k] - base.1[k];
            self.spend[k][0].push(alone);
            self.spend[k][1].push(within);
            let saved = bn(total(full) - total(full ^ (1 << k)));
            for o in 0..OUTCOMES.len() {
                let v: Values = runs.iter().map(|(m, r)| (*m, r.0[o] - base.0[o])).collect();
                let [st, m, phi] = split(&v, a, seed, k);
                let values = [
                    st,
                    m,
                    m - st,
                    phi,
                    st / bn(alone),
                    m / saved,
                    phi / bn(within),
                ];
                for (j, x) in values.into_iter().enumerate() {
                    if x.is_finite() {
                        self.cells[(k * OUTCOMES.len() + o) * MEASURES.len() + j].push(x);
                    }
                }
            }
        }
        for o in 0..OUTCOMES.len() {
            let v: Values = runs.iter().map(|(m, r)| (*m, r.0[o] - base.0[o])).collect();
            let sum: f64 = (0..p).map(|k| split(&v, a, seed, k)[2]).sum();
            self.package[o][0].push(v[&full]);
            self.package[o][1].push(sum - v[&full]);
        }
    }

    /// `attribution.csv`: programme, outcome, measure, n, mean, ci95_low, ci95_high.
    pub fn csv(&self, a: &Attribution) -> String {
        let mut out = String::from("programme,outcome,measure,n,mean,ci95_low,ci95_high\n");
        let mut row = |prog: &str, outcome: &str, measure: &str, w: &Welford| {
            let c = w.mean_ci();
            out.push_str(&format!(
                "{prog},{outcome},{measure},{},{},{},{}\n",
                c.n,
                num(c.mean),
                num(c.ci95_low),
                num(c.ci95_high)
            ));
        };
        for (o, outcome) in OUTCOMES.iter().enumerate() {
            row("package", outcome, "effect", &self.package[o][0]);
            row(
                "package",
                outcome,
                "shapley_sum_minus_effect",
                &self.package[o][1],
            );
        }
        for (k, &l) in a.levers.iter().enumerate() {
            row(LEVERS[l], "spend_krw", "standalone", &self.spend[k][0]);
            row(LEVERS[l], "spend_krw", "in_package", &self.spend[k][1]);
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                for (j, measure) in MEASURES.iter().enumerate() {
                    let w = &self.cells[(k * OUTCOMES.len() + o) * MEASURES.len() + j];
                    row(LEVERS[l], outcome, measure, w);
                }
            }
        }
        out
    }

    /// The `attribution` object of compare.json.
    pub fn json(&self, a: &Attribution, runs_per_replicate: usize) -> Value {
        let ci = |w: &Welford| {
            let c = w.mean_ci();
            json!({"n": c.n, "mean": c.mean, "ci95_low": c.ci95_low, "ci95_high": c.ci95_high})
        };
        let per_outcome = |f: &dyn Fn(usize) -> Value| -> Value {
            Value::Object(
                OUTCOMES
                    .iter()
                    .enumerate()
                    .map(|(o, name)| (name.to_string(), f(o)))
                    .collect(),
            )
        };
        let programmes: Vec<Value> = a
            .levers
            .iter()
            .enumerate()
            .map(|(k, &l)| {
                let mut o = serde_json::Map::new();
                o.insert("programme".into(), json!(LEVERS[l]));
                o.insert("spend_standalone_krw".into(), ci(&self.spend[k][0]));
                o.insert("spend_in_package_krw".into(), ci(&self.spend[k][1]));
                for (oi, name) in OUTCOMES.iter().enumerate() {
                    let m: serde_json::Map<String, Value> = MEASURES
                        .iter()
                        .enumerate()
                        .map(|(j, measure)| {
                            let w = &self.cells[(k * OUTCOMES.len() + oi) * MEASURES.len() + j];
                            (measure.to_string(), ci(w))
                        })
                        .collect();
                    o.insert(name.to_string(), Value::Object(m));
                }
                Value::Object(o)
            })
            .collect();
        json!({
            "mode": a.mode.name(),
            "shapley_method": a.mode.shapley_method(),
            "programmes": a.levers.iter().map(|&l| LEVERS[l]).collect::<Vec<_>>(),
            "runs_per_replicate": runs_per_replicate,
            "package_effect": per_outcome(&|o| ci(&self.package[o][0])),
            "shapley_sum_minus_package_effect": per_outcome(&|o| ci(&self.package[o][1])),
            "by_programme": programmes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v(S) = sum of singles + pairwise interaction of players 0 and 1 + a three-way term.
    fn game(p: usize) -> Values {
        let single = [3.0, 5.0, -1.0, 2.0];
        (0..(1u64 << p))
            .map(|s| {
                let has = |k: usize| s & (1 << k) != 0;
                let mut v: f64 = (0..p).filter(|&k| has(k)).map(|k| single[k]).sum();
                if has(0) && has(1) {
                    v += 4.0;
                }
                if p >= 3 && has(0) && has(1) && has(2) {
                    v -= 6.0;
                }
                (s, v)
            })
            .collect()
    }

    #[test]
    fn exact_shapley_adds_up_and_splits_interactions_evenly() {
        let v = game(3);
        let phi: Vec<f64> = (0..3).map(|k| shapley_exact(&v, 3, k)).collect();
        // 0 and 1 share the pair term (+2 each) and, with 2, the three-way term (-2 each).
        assert!((phi[0] - (3.0 + 2.0 - 2.0)).abs() < 1e-12, "{phi:?}");
        assert!((phi[1] - (5.0 + 2.0 - 2.0)).abs() < 1e-12, "{phi:?}");
        assert!((phi[2] - (-1.0 - 2.0)).abs() < 1e-12, "{phi:?}");
        let sum: f64 = phi.iter().sum();
        assert!((sum - (v[&7] - v[&0])).abs() < 1e-12);
    }

    #[test]
    fn oat_mean_is_exact_with_pairwise_interactions_only() {
        let a = Attribution {
            levers: vec![0, 1, 2, 3],
            mode: Mode::Oat,
        };
        let mut v = game(4);
        // Remove the three-way term: then (stand-alone + marginal) / 2 is the Shapley value.
        for (s, x) in v.iter_mut() {
            if s & 7 == 7 {
                *x += 6.0;
            }
        }
        for k in 0..4 {
            let [st, m, phi] = split(&v, &a, 1, k);
            assert!((phi - shapley_exact(&v, 4, k)).abs() < 1e-12);
            assert!((phi - 0.5 * (st + m)).abs() < 1e-12);
        }
        assert_eq!(a.coalitions(1).len(), 2 + 4 + 4);
    }

    #[test]
    fn sampled_shapley_adds_up_in_every_replicate_and_is_reproducible() {
        let a = Attribution {
            levers: vec![0, 1, 2, 3],
            mode: Mode::ShapleySampled { permutations: 5 },
        };
        let v = game(4);
        assert_eq!(a.orderings(9), a.orderings(9));
        assert_ne!(a.orderings(9), a.orderings(10));
        for c in a.coalitions(9) {
            assert!(v.contains_key(&c));
        }
        let sum: f64 = (0..4).map(|k| split(&v, &a, 9, k)[2]).sum();
        assert!((sum - (v[&15] - v[&0])).abs() < 1e-12, "{sum}");
    }

    #[test]
    fn modes_follow_the_request_and_the_cost() {
        let ch = |p: usize, req: &str, reps| Attribution::choose((0..p).collect(), req, reps, 8);
        assert_eq!(ch(1, "auto", 10).unwrap().mode, Mode::None);
        assert_eq!(ch(8, "auto", 10).unwrap().mode, Mode::Oat);
        assert_eq!(ch(8, "shapley", 10).unwrap().mode, Mode::ShapleyExact);
        assert_eq!(
            ch(8, "shapley", 100).unwrap().mode,
            Mode::ShapleySampled { permutations: 8 }
        );
        assert!(ch(3, "all", 10).unwrap_err().contains("allowed: auto"));
    }
}
