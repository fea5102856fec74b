//! Paired comparisons: replicate `i` of the baseline and of the policy scenario run with the
//! same seed (common random numbers), staged together as `pairs/pair-<i>.csv`, then reduced in
//! replicate order into `compare.csv` (per metric, region and year: means and the mean paired
//! difference with its 95% CI) and the planner's figures of `compare.json`.
//!
//! A staged pair holds both runs' region and national rows, their programme spending, the
//! treated-firm summary of that replicate and, with a programme decomposition, the summaries of
//! its coalition runs (`attribution.rs`). With parameter samples (`compare --uncertainty`) pair
//! `j` runs sample `j / replicates` on replicate `j % replicates`'s seed. The reduction streams the pairs one at a time into
//! Welford accumulators, so memory does not depend on the number of replicates.
//!
//! Treated firms: every firm that carries a programme flag at some year end of the policy run.
//! Its counterfactual is the firm with the same id in the paired baseline run (ids depend only
//! on when and where a firm was born, so it is the same agent with the same random draws); a
//! treated firm whose id never appears in the baseline run (born only under the policy) is
//! counted as unmatched and left out. Per replicate, the mean over matched firms of the policy
//! minus baseline outcome at the last year end (sales of that year, employees, alive 0/1; a
//! firm gone before then counts 0, 0, 0) is one observation; CIs are across replicates. The
//! observers hold one map entry per treated firm of the pair in flight.

use super::attribution::{self, Attribution, Coalition};
use super::network;
use super::stats::{MeanCi, Welford, quantile_sorted, spearman};
use super::store::{
    EnsembleError, Staging, io, num, open_staging, parse_num, read_staged, write_staged,
};
use super::{replicate_seed, run_parallel};
use crate::metrics::{NATIONAL_EXTRA, NationalRow, REGION_METRICS};
use crate::model::geo::{CAPITAL, N_REGIONS, REGION_IDS};
use crate::model::{World, status};
use crate::output::AtomicFile;
use crate::policy::flag;
use crate::scenario::Scenario;
use crate::sim::{RunResult, simulate};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The headline target: non-capital SME sales of 1,432 trn KRW in 2030.
pub const TARGET_YEAR: i32 = 2030;
pub const TARGET_SALES_KRW: f64 = 1432e12;

/// The capital-share (gap) metrics reported in `compare.json`.
pub const GAP_METRICS: [&str; 4] = [
    "capital_share_employment",
    "capital_share_sales",
    "capital_share_vc_investment",
    "capital_share_population_15_39",
];

/// What a comparison runs.
#[derive(Debug, Clone)]
pub struct ComparePlan {
    pub baseline: Scenario,
    pub policy: Scenario,
    /// Replicates (seeds) per parameter sample.
    pub replicates: u64,
    pub master_seed: u64,
    /// Which programmes are decomposed, and how (off: [`Attribution::off`]).
    pub attribution: Attribution,
    /// Parameter samples (`compare --uncertainty`); `None`: the scenarios as loaded.
    pub samples: Option<Samples>,
}

/// Parameter sets drawn from an uncertainty table, shared by both scenarios: pair `j` runs
/// sample `j / replicates` with replicate `j % replicates`'s seed.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The varied scenario keys.
    pub keys: Vec<String>,
    /// One value per key, per sample.
    pub values: Vec<Vec<f64>>,
    /// (baseline, policy) with the sample's values set.
    pub scenarios: Vec<(Scenario, Scenario)>,
}

impl ComparePlan {
    /// The configuration hash carried by staged pairs: both resolved scenarios, the
    /// replicates and the master seed.
    pub fn config_hash(&self) -> u64 {
        super::store::config_hash(&serde_json::json!({
            "baseline": self.baseline.raw,
            "policy": self.policy.raw,
            "replicates": self.replicates,
            "seed": self.master_seed,
        }))
    }

    fn years(&self) -> usize {
        (self.baseline.end_year - self.baseline.start_year + 1) as usize
    }

    /// Number of staged pairs: replicates times parameter samples.
    pub fn pairs(&self) -> u64 {
        self.replicates * self.samples.as_ref().map_or(1, |s| s.values.len() as u64)
    }

    /// The seed of pair `j` (the same for every parameter sample: common random numbers).
    pub fn pair_seed(&self, j: u64) -> u64 {
        replicate_seed(self.master_seed, j % self.replicates)
    }

    /// The scenarios of pair `j`.
    pub fn scenarios(&self, j: u64) -> (&Scenario, &Scenario) {
        match &self.samples {
            Some(s) => {
                let (b, p) = &s.scenarios[(j / self.replicates) as usize];
                (b, p)
            }
            None => (&self.baseline, &self.policy),
        }
    }

    fn target_index(&self) -> usize {
        (TARGET_YEAR - self.baseline.start_year).max(0) as usize
    }
}

/// Where replicate `i`'s pair is staged.
pub fn pair_file(dir: &Path, replicate: u64) -> PathBuf {
    dir.join("pairs").join(format!("pair-{replicate:06}.csv"))
}

/// Programmes that treat existing SMEs. Firms that carry only startup programmes' flags (they
/// graduated from a supported startup) are left out of the treated-firm comparison: support
/// changes when they graduate, so the same id in the baseline run is at another stage of life
/// (often still a startup, or an SME for fewer months), not their counterfactual.
pub const FIRM_PROGRAMMES: u16 = flag::SMART_FACTORY | flag::JUMP_UP | flag::AI_SUPPLY_CHAIN;

/// A treated firm's outcome at the last year end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    pub sales_krw: f64,
    pub employees: f64,
    pub alive: f64,
}

fn outcome(world: &World, i: usize) -> Outcome {
    let f = &world.firms;
    let alive = f.status[i] != status::DEAD;
    Outcome {
        sales_krw: f64::from(f.sales_year_krw[i]),
        employees: if alive {
            f64::from(f.employees[i])
        } else {
            0.0
        },
        alive: if alive { 1.0 } else { 0.0 },
    }
}

/// The treated-firm figures of one replicate: (matched, unmatched, mean differences of sales,
/// employees and survival over matched firms; NaN when none matched).
pub fn treated_effect(
    policy: &BTreeMap<u64, Outcome>,
    baseline: &BTreeMap<u64, Outcome>,
) -> (u64, u64, [f64; 3]) {
    let (mut matched, mut unmatched) = (0u64, 0u64);
    let mut sums = [0.0; 3];
    for (id, p) in policy {
        match baseline.get(id) {
            Some(b) => {
                matched += 1;
                sums[0] += p.sales_krw - b.sales_krw;
                sums[1] += p.employees - b.employees;
                sums[2] += p.alive - b.alive;
            }
            None => unmatched += 1,
        }
    }
    let m = matched as f64;
    let means = if matched == 0 {
        [f64::NAN; 3]
    } else {
        sums.map(|s| s / m)
    };
    (matched, unmatched, means)
}

/// What one staged pair holds besides the two runs: the treated-firm figures and the
/// attribution coalitions (mask, outcomes, spending per programme).
type Extra = (
    (u64, u64, [f64; 3]),
    Vec<(u64, Coalition)>,
    [network::GroupSums; 3],
);

/// Runs pair `j`: the policy run records its treated firms, the baseline run the same ids;
/// then the attribution coalitions other than the empty (baseline) and full (policy) ones.
fn run_pair(plan: &ComparePlan, j: u64) -> (RunResult, RunResult, Extra) {
    let seed = plan.pair_seed(j);
    let (base_scn, policy_scn) = plan.scenarios(j);
    let last = policy_scn.end_year;
    let years = plan.years();
    let at = |scn: &Scenario, year: i32| ((year - scn.start_year) as usize, years, 1.0 / scn.scale);
    let mut treated: BTreeMap<u64, Outcome> = BTreeMap::new();
    let mut follow_p = network::Follow::default();
    let policy = simulate::<std::convert::Infallible>(policy_scn, seed, |year, w| {
        follow_p.observe_policy(w, at(policy_scn, year), FIRM_PROGRAMMES);
        let f = &w.firms;
        for i in 0..f.len() {
            if f.flags[i] & FIRM_PROGRAMMES != 0 {
                treated.entry(f.id[i]).or_default();
            }
        }
        if year == last {
            for i in 0..f.len() {
                if let Some(o) = treated.get_mut(&f.id[i]) {
                    *o = outcome(w, i);
                }
            }
        }
        Ok(())
    })
    .unwrap_or_else(|e| match e {});
    let mut seen: BTreeMap<u64, Outcome> = BTreeMap::new();
    let mut follow_b = network::Follow::default();
    let baseline = simulate::<std::convert::Infallible>(base_scn, seed, |year, w| {
        follow_b.observe_baseline(w, at(base_scn, year), &follow_p);
        if treated.is_empty() {
            return Ok(());
        }
        let f = &w.firms;
        for i in 0..f.len() {
            if treated.contains_key(&f.id[i]) {
                let o = seen.entry(f.id[i]).or_default();
                if year == last {
                    *o = outcome(w, i);
                }
            }
        }
        Ok(())
    })
    .unwrap_or_else(|e| match e {});
    let effect = treated_effect(&treated, &seen);
    let groups = network::group_sums(&follow_p, &follow_b, 1.0 / policy_scn.scale, years);
    let a = &plan.attribution;
    let (levers, t) = (&a.levers, plan.target_index());
    let full = a.full();
    let coalitions = a
        .coalitions(seed)
        .into_iter()
        .map(|mask| {
            let run = match mask {
                0 => attribution::summarise(&baseline, levers, t),
                m if m == full => attribution::summarise(&policy, levers, t),
                m => {
                    let scn = a.coalition_scenario(base_scn, policy_scn, m);
                    attribution::summarise(&crate::sim::simulate_plain(&scn, seed), levers, t)
                }
            };
            (mask, run)
        })
        .collect();
    (baseline, policy, (effect, coalitions, groups))
}

fn pair_text(baseline: &RunResult, policy: &RunResult, extra: &Extra) -> String {
    let (effect, coalitions, groups) = extra;
    let mut out = String::with_capacity(80_000);
    for (tag, run) in [("B", baseline), ("P", policy)] {
        for row in &run.regions {
            let _ = write!(out, "{tag},{},{}", row.year, row.region);
            for v in row.values() {
                out.push(',');
                out.push_str(&num(v));
            }
            out.push('\n');
        }
        for row in &run.national {
            let _ = write!(out, "{tag}N,{}", row.year);
            for v in row.values() {
                out.push(',');
                out.push_str(&num(v));
            }
            out.push('\n');
        }
        for row in &run.programs {
            let _ = writeln!(
                out,
                "{tag}G,{},{},{},{},{},{}",
                row.year,
                row.program,
                row.region,
                num(row.spend_krw),
                num(row.firms_treated),
                num(row.startups_treated)
            );
        }
    }
    let (matched, unmatched, d) = effect;
    let _ = writeln!(
        out,
        "T,{matched},{unmatched},{},{},{}",
        num(d[0]),
        num(d[1]),
        num(d[2])
    );
    network::pair_lines(&mut out, groups, num);
    for (mask, (outcomes, spend)) in coalitions {
        let _ = write!(out, "A,{mask}");
        for v in outcomes.iter().chain(spend) {
            out.push(',');
            out.push_str(&num(*v));
        }
        out.push('\n');
    }
    out
}

/// Whether a staged pair is complete: `coalitions` attribution lines of `programmes`
/// spending columns each.
fn valid_pair(body: &str, years: usize, coalitions: usize, programmes: usize) -> bool {
    let mut counts = [0usize; 7];
    for line in body.lines() {
        let (tag, rest) = line.split_once(',').unwrap_or((line, ""));
        let fields = rest.split(',').count();
        let (slot, want) = match tag {
            "B" | "P" => (usize::from(tag == "P"), 2 + REGION_METRICS.len()),
            "BN" | "PN" => (
                2 + usize::from(tag == "PN"),
                1 + NationalRow::header().len() - 1,
            ),
            "BG" | "PG" => continue,
            "T" => (4, 5),
            "A" => (5, 1 + attribution::OUTCOMES.len() + programmes),
            "K" => (6, network::k_fields(years)),
            _ => return false,
        };
        if fields != want {
            return false;
        }
        counts[slot] += 1;
    }
    counts
        == [
            years * N_REGIONS,
            years * N_REGIONS,
            years,
            years,
            1,
            coalitions,
            network::GROUPS.len(),
        ]
}

fn valid_pair_of(plan: &ComparePlan, j: u64) -> impl Fn(&str) -> bool + '_ {
    let coalitions = plan.attribution.coalitions(plan.pair_seed(j)).len();
    move |b| valid_pair(b, plan.years(), coalitions, plan.attribution.levers.len())
}

/// The replicates still to do (with `resume`, those without a complete staged pair).
pub fn pending_pairs(
    dir: &Path,
    plan: &ComparePlan,
    resume: bool,
) -> Result<Vec<u64>, EnsembleError> {
    pending_pairs_among(dir, plan, 0..plan.pairs(), resume)
}

/// [`pending_pairs`] among `replicates` only (a shard's pairs, or all before a merge).
pub fn pending_pairs_among(
    dir: &Path,
    plan: &ComparePlan,
    replicates: impl IntoIterator<Item = u64>,
    resume: bool,
) -> Result<Vec<u64>, EnsembleError> {
    let mut out = Vec::new();
    for i in replicates {
        if !resume
            || read_staged(
                &pair_file(dir, i),
                i,
                plan.config_hash(),
                valid_pair_of(plan, i),
            )?
            .is_none()
        {
            out.push(i);
        }
    }
    Ok(out)
}

/// Runs the pairs of `replicates` in parallel in the caller's pool, staging each as it
/// finishes; `on_done` is called once per staged pair. `staging`: as for `run_sweep`.
pub fn run_compare(
    dir: &Path,
    plan: &ComparePlan,
    replicates: &[u64],
    staging: Staging,
    on_done: &(dyn Fn() + Sync),
) -> Result<(), EnsembleError> {
    open_staging(&dir.join("pairs"), staging)?;
    run_parallel(replicates, |&i| {
        let (baseline, policy, extra) = run_pair(plan, i);
        let text = pair_text(&baseline, &policy, &extra);
        drop((baseline, policy));
        write_staged(&pair_file(dir, i), i, plan.config_hash(), &text)?;
        on_done();
        Ok(())
    })
}

/// One staged pair, parsed.
struct Pair {
    /// [scenario][year * 15 + region][metric]
    regions: [Vec<[f64; REGION_METRICS.len()]>; 2],
    /// [scenario][year][national metric]
    national: [Vec<Vec<f64>>; 2],
    /// [scenario]: (program, region index, spend)
    programs: [Vec<(String, usize, f64)>; 2],
    treated: (f64, f64, [f64; 3]),
    coalitions: BTreeMap<u64, Coalition>,
    /// Network groups' sums (`network.rs`).
    groups: [network::GroupSums; 3],
}

fn read_pair(dir: &Path, plan: &ComparePlan, i: u64) -> Result<Pair, EnsembleError> {
    let path = pair_file(dir, i);
    let body = read_staged(&path, i, plan.config_hash(), valid_pair_of(plan, i))?
        .ok_or_else(|| EnsembleError::Damaged(path.clone()))?;
    let mut pair = Pair {
        regions: [Vec::new(), Vec::new()],
        national: [Vec::new(), Vec::new()],
        programs: [Vec::new(), Vec::new()],
        treated: (0.0, 0.0, [f64::NAN; 3]),
        coalitions: BTreeMap::new(),
        groups: std::array::from_fn(|_| vec![0.0; 4 + plan.years()]),
    };
    for line in body.lines() {
        let mut fields = line.split(',');
        let tag = fields.next().unwrap_or("");
        let s = usize::from(tag.starts_with('P'));
        match tag {
            "B" | "P" => {
                let mut v = [0.0; REGION_METRICS.len()];
                for (slot, text) in v.iter_mut().zip(fields.skip(2)) {
                    *slot = parse_num(&path, text)?;
                }
                pair.regions[s].push(v);
            }
            "BN" | "PN" => {
                let v = fields
                    .skip(1)
                    .map(|t| parse_num(&path, t))
                    .collect::<Result<Vec<_>, _>>()?;
                pair.national[s].push(v);
            }
            "BG" | "PG" => {
                let f: Vec<&str> = fields.collect();
                if f.len() < 4 {
                    return Err(EnsembleError::Damaged(path));
                }
                let region = REGION_IDS
                    .iter()
                    .position(|r| *r == f[2])
                    .ok_or_else(|| EnsembleError::Damaged(path.clone()))?;
                pair.programs[s].push((f[1].to_string(), region, parse_num(&path, f[3])?));
            }
            "T" => {
                let f = fields
                    .map(|t| parse_num(&path, t))
                    .collect::<Result<Vec<_>, _>>()?;
                pair.treated = (f[0], f[1], [f[2], f[3], f[4]]);
            }
            "A" => {
                let f: Vec<&str> = fields.collect();
                let mask: u64 = f[0]
                    .parse()
                    .map_err(|_| EnsembleError::Damaged(path.clone()))?;
                let v = f[1..]
                    .iter()
                    .map(|t| parse_num(&path, t))
                    .collect::<Result<Vec<_>, _>>()?;
                let (outcomes, spend) = v.split_at(attribution::OUTCOMES.len());
                pair.coalitions
                    .insert(mask, (outcomes.to_vec(), spend.to_vec()));
            }
            "K" => {
                let f: Vec<&str> = fields.collect();
                let v = f[1..]
                    .iter()
                    .map(|t| parse_num(&path, t))
                    .collect::<Result<Vec<_>, _>>()?;
                let (g, sums) = network::parse_line(&v, f[0])
                    .ok_or_else(|| EnsembleError::Damaged(path.clone()))?;
                pair.groups[g] = sums;
            }
            _ => return Err(EnsembleError::Damaged(path)),
        }
    }
    Ok(pair)
}

/// Baseline, policy and paired-difference accumulators of one cell.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    baseline: Welford,
    policy: Welford,
    diff: Welford,
}

impl Cell {
    fn push(&mut self, b: f64, p: f64) {
        self.baseline.push(b);
        self.policy.push(p);
        self.diff.push(p - b);
    }
}

fn ci_json(stem: &str, c: MeanCi, scale: f64) -> Vec<(String, Value)> {
    vec![
        (format!("{stem}mean"), json!(c.mean * scale)),
        (format!("{stem}ci95_low"), json!(c.ci95_low * scale)),
        (format!("{stem}ci95_high"), json!(c.ci95_high * scale)),
    ]
}

fn object(pairs: Vec<(String, Value)>) -> Value {
    Value::Object(pairs.into_iter().collect())
}

/// Sort key of a `per_bn_krw` row: regions in id order then `national`; `all` first.
type PerBnKey = (usize, (u8, String));

/// Writes `compare.csv` and `compare.json` from the staged pairs (replicate order) and returns
/// the JSON (for the printed table).
pub fn assemble(dir: &Path, plan: &ComparePlan) -> Result<Value, EnsembleError> {
    let years = plan.years();
    let start = plan.baseline.start_year;
    let last = years - 1;
    let nm = REGION_METRICS.len();
    // Cells: [metric][region 0 = national, 1..=15][year] for region metrics, then
    // [extra metric][year] for the national-only metrics.
    let region_cells = nm * (N_REGIONS + 1) * years;
    let mut cells = vec![Cell::default(); region_cells + NATIONAL_EXTRA.len() * years];
    let idx = |m: usize, r: usize, y: usize| (m * (N_REGIONS + 1) + r) * years + y;
    let target_year = (TARGET_YEAR - start) as usize;
    let has_target = TARGET_YEAR >= start && target_year < years;
    let noncap = NationalRow::header()
        .iter()
        .position(|c| *c == "noncapital_sme_sales_krw")
        .expect("column")
        - 1;
    let national_col = |name: &str| {
        NationalRow::header()
            .iter()
            .position(|c| *c == name)
            .expect("column")
            - 1
    };
    let metric = |name: &str| {
        REGION_METRICS
            .iter()
            .position(|c| *c == name)
            .expect("metric")
    };
    let (employment, value_added) = (metric("employment"), metric("value_added_krw"));
    let mut reach = [0u64; 2];
    let mut sales_2030 = [Welford::default(); 2];
    let mut gap = [Cell::default(); GAP_METRICS.len()];
    let leak_names = [
        "firms_relocated_to_capital",
        "startups_founded_in_capital",
        "startups_in_capital_at_end",
        "vc_investment_in_capital_krw",
    ];
    let mut leak = [Cell::default(); 4];
    let mut vc_split = VcSplit::default();
    let mut per_bn: BTreeMap<PerBnKey, (Welford, Welford)> = BTreeMap::new();
    let mut treated = [Welford::default(); 5];
    let mut treated_replicates = 0u64;
    let mut net_acc = network::NetAcc::default();
    let has_network = plan.baseline.network.is_some() || plan.policy.network.is_some();

    let mut sales_start = [Welford::default(); 2];
    let mut attr = attribution::Acc::new(&plan.attribution);
    let n_samples = plan.samples.as_ref().map_or(0, |s| s.values.len());
    // Per parameter sample: non-capital sales per year of both scenarios and the runs
    // reaching the target.
    let mut by_sample = vec![SampleAcc::new(years); n_samples];
    for i in 0..plan.pairs() {
        let pair = read_pair(dir, plan, i)?;
        if plan.attribution.mode != attribution::Mode::None {
            attr.push(&plan.attribution, plan.pair_seed(i), &pair.coalitions);
        }
        for m in 0..nm {
            for y in 0..years {
                cells[idx(m, 0, y)].push(pair.national[0][y][m], pair.national[1][y][m]);
                for r in 0..N_REGIONS {
                    let row = y * N_REGIONS + r;
                    cells[idx(m, r + 1, y)].push(pair.regions[0][row][m], pair.regions[1][row][m]);
                }
            }
        }
        for e in 0..NATIONAL_EXTRA.len() {
            for y in 0..years {
                cells[region_cells + e * years + y]
                    .push(pair.national[0][y][nm + e], pair.national[1][y][nm + e]);
            }
        }
        if has_target {
            for s in 0..2 {
                let v = pair.national[s][target_year][noncap];
                let hit = u64::from(v >= TARGET_SALES_KRW);
                reach[s] += hit;
                sales_2030[s].push(v);
                sales_start[s].push(pair.national[s][0][noncap]);
                if n_samples > 0 {
                    let acc = &mut by_sample[(i / plan.replicates) as usize];
                    for (y, w) in acc.sales[s].iter_mut().enumerate() {
                        w.push(pair.national[s][y][noncap]);
                    }
                    acc.reach[s] += hit;
                }
            }
        }
        for (g, name) in GAP_METRICS.iter().enumerate() {
            let c = national_col(name);
            gap[g].push(pair.national[0][last][c], pair.national[1][last][c]);
        }
        let capital = |s: usize, m: usize, y: usize| pair.regions[s][y * N_REGIONS + CAPITAL][m];
        let cum = |s: usize, m: usize| (0..years).map(|y| capital(s, m, y)).sum::<f64>();
        let (reloc, births, startups, vc) = (
            metric("firms_relocated_in"),
            metric("startup_births"),
            metric("startups"),
            metric("vc_investment_krw"),
        );
        leak[0].push(cum(0, reloc), cum(1, reloc));
        leak[1].push(cum(0, births), cum(1, births));
        leak[2].push(capital(0, startups, last), capital(1, startups, last));
        leak[3].push(cum(0, vc), cum(1, vc));
        let national_vc = |s: usize| (0..years).map(|y| pair.national[s][y][vc]).sum::<f64>();
        vc_split.push(cum(0, vc), national_vc(0), cum(1, vc), national_vc(1));

        // Extra programme spending of the policy over the baseline, per (programme, region).
        let mut spend: BTreeMap<&str, [f64; N_REGIONS]> = BTreeMap::new();
        for (s, sign) in [(1, 1.0), (0, -1.0)] {
            for (p, r, krw) in &pair.programs[s] {
                spend.entry(p.as_str()).or_insert([0.0; N_REGIONS])[*r] += sign * krw;
            }
        }
        for v in spend.values_mut() {
            for x in v.iter_mut() {
                *x = x.max(0.0);
            }
        }
        let mut by_region = [0.0; N_REGIONS];
        for v in spend.values() {
            for r in 0..N_REGIONS {
                by_region[r] += v[r];
            }
        }
        let total: f64 = by_region.iter().sum();
        if has_network {
            net_acc.push(&pair.regions, &pair.groups, total);
        }
        let diff_region = |r: usize| {
            let jobs = pair.regions[1][last * N_REGIONS + r][employment]
                - pair.regions[0][last * N_REGIONS + r][employment];
            let va: f64 = (0..years)
                .map(|y| {
                    pair.regions[1][y * N_REGIONS + r][value_added]
                        - pair.regions[0][y * N_REGIONS + r][value_added]
                })
                .sum();
            (jobs, va)
        };
        let mut push = |key: PerBnKey, effect: (f64, f64), spend_krw: f64| {
            let bn = spend_krw / 1e9;
            let e = per_bn.entry(key).or_default();
            e.0.push(effect.0 / bn);
            e.1.push(effect.1 / bn);
        };
        for r in 0..N_REGIONS {
            if by_region[r] > 0.0 {
                push((r, (0, String::new())), diff_region(r), by_region[r]);
            }
        }
        if total > 0.0 {
            let jobs = pair.national[1][last][employment] - pair.national[0][last][employment];
            let va: f64 = (0..years)
                .map(|y| pair.national[1][y][value_added] - pair.national[0][y][value_added])
                .sum();
            push((N_REGIONS, (0, String::new())), (jobs, va), total);
        }
        let (matched, unmatched, d) = pair.treated;
        if matched > 0.0 {
            treated_replicates += 1;
            treated[0].push(matched);
            treated[1].push(unmatched);
            for k in 0..3 {
                treated[2 + k].push(d[k]);
            }
        }
    }

    write_compare_csv(dir, &cells, years, start)?;
    let network_json = if has_network {
        write_text(&dir.join("compare_network.csv"), &net_acc.csv(num))?;
        net_acc.json()
    } else {
        Value::Null
    };

    let n = plan.pairs();
    let scenario_json = |s: usize, scn: &Scenario| {
        let mut o = vec![("scenario_name".to_string(), json!(scn.name))];
        if has_target {
            o.push((
                format!("p_reach_target_{TARGET_YEAR}"),
                json!(reach[s] as f64 / n as f64),
            ));
            o.extend(ci_json(
                &format!("noncapital_sme_sales_{TARGET_YEAR}_trn_krw_"),
                sales_2030[s].mean_ci(),
                1e-12,
            ));
            o.extend(distance_to_target(
                sales_start[s].mean(),
                sales_2030[s].mean(),
                (TARGET_YEAR - start) as f64,
            ));
        }
        object(o)
    };
    let gap_json = object(
        GAP_METRICS
            .iter()
            .zip(&gap)
            .map(|(name, c)| {
                let mut o = vec![
                    ("baseline_mean".to_string(), json!(c.baseline.mean())),
                    ("policy_mean".to_string(), json!(c.policy.mean())),
                ];
                o.extend(ci_json("change_pp_", c.diff.mean_ci(), 100.0));
                (name.to_string(), object(o))
            })
            .collect(),
    );
    let leak_json = object(
        leak_names
            .iter()
            .zip(&leak)
            .map(|(name, c)| {
                (
                    name.to_string(),
                    object(ci_json("diff_", c.diff.mean_ci(), 1.0)),
                )
            })
            .collect(),
    );
    let per_bn_json: Vec<Value> = per_bn
        .iter()
        .map(|((r, (_, program)), (jobs, va))| {
            let mut o = vec![
                (
                    "region".to_string(),
                    json!(if *r < N_REGIONS {
                        REGION_IDS[*r]
                    } else {
                        "national"
                    }),
                ),
                (
                    "program".to_string(),
                    json!(if program.is_empty() { "all" } else { program }),
                ),
                ("n".to_string(), json!(jobs.n())),
            ];
            o.extend(ci_json("jobs_", jobs.mean_ci(), 1.0));
            o.extend(ci_json("value_added_krw_", va.mean_ci(), 1.0));
            object(o)
        })
        .collect();
    let treated_json = if treated_replicates == 0 {
        Value::Null
    } else {
        let mut o = vec![
            ("replicates".to_string(), json!(treated_replicates)),
            ("matched_firms_mean".to_string(), json!(treated[0].mean())),
            ("unmatched_firms_mean".to_string(), json!(treated[1].mean())),
        ];
        o.extend(ci_json("sales_krw_diff_", treated[2].mean_ci(), 1.0));
        o.extend(ci_json("employees_diff_", treated[3].mean_ci(), 1.0));
        o.extend(ci_json("survival_diff_", treated[4].mean_ci(), 1.0));
        object(o)
    };
    let attribution_json = if plan.attribution.mode == attribution::Mode::None {
        Value::Null
    } else {
        let runs = plan
            .attribution
            .coalitions(plan.pair_seed(0))
            .len()
            .saturating_sub(2);
        write_text(&dir.join("attribution.csv"), &attr.csv(&plan.attribution))?;
        attr.json(&plan.attribution, runs)
    };
    let uncertainty_json = match &plan.samples {
        Some(samples) if has_target => {
            write_text(
                &dir.join("uncertainty.csv"),
                &uncertainty_csv(samples, &by_sample, target_year, plan.replicates),
            )?;
            uncertainty_json(samples, &by_sample, target_year, start, plan.replicates)
        }
        _ => Value::Null,
    };
    let out = json!({
        "baseline": scenario_json(0, &plan.baseline),
        "policy": scenario_json(1, &plan.policy),
        "replicates": n,
        "target": {"year": TARGET_YEAR, "noncapital_sme_sales_krw": TARGET_SALES_KRW, "reachable_in_horizon": has_target},
        "gap": gap_json,
        "leakage": leak_json,
        "vc_capital_share_split": vc_split.json(),
        "treated_firms": treated_json,
        "per_bn_krw": per_bn_json,
        "attribution": attribution_json,
        "uncertainty": uncertainty_json,
        "network": network_json,
    });
    crate::output::write_json(&dir.join("compare.json"), &out)?;
    Ok(out)
}

/// The change in the capital region's share of VC (cumulated over the run) split into money
/// reallocated between regions and money added (docs/OUTPUTS.md, `vc_capital_share_split`):
/// with capital and national VC `C0, T0` (baseline) and `C1, T1` (policy), the reallocated
/// money is `M = max(0, min(C0 - C1, (T1 - C1) - (T0 - C0)))` (what the capital region lost
/// and the other regions gained), its share effect `-M / T0`; the rest of the share change
/// `C1/T1 - C0/T0` is the added (or withdrawn) money's. Pairs without VC in either run are
/// skipped.
#[derive(Debug, Default)]
struct VcSplit {
    national_change_krw: Welford,
    reallocated_krw: Welford,
    change: Welford,
    reallocated: Welford,
    added: Welford,
}

impl VcSplit {
    fn push(&mut self, c0: f64, t0: f64, c1: f64, t1: f64) {
        if t0 <= 0.0 || t1 <= 0.0 {
            return;
        }
        let moved = (c0 - c1).min((t1 - c1) - (t0 - c0)).max(0.0);
        let change = c1 / t1 - c0 / t0;
        let reallocated = -moved / t0;
        self.national_change_krw.push(t1 - t0);
        self.reallocated_krw.push(moved);
        self.change.push(change);
        self.reallocated.push(reallocated);
        self.added.push(change - reallocated);
    }

    fn json(&self) -> Value {
        let mut o = vec![("n".to_string(), json!(self.change.n()))];
        o.extend(ci_json(
            "national_vc_change_trn_krw_",
            self.national_change_krw.mean_ci(),
            1e-12,
        ));
        o.extend(ci_json(
            "reallocated_trn_krw_",
            self.reallocated_krw.mean_ci(),
            1e-12,
        ));
        o.extend(ci_json("change_pp_", self.change.mean_ci(), 100.0));
        o.extend(ci_json(
            "reallocated_pp_",
            self.reallocated.mean_ci(),
            100.0,
        ));
        o.extend(ci_json("added_pp_", self.added.mean_ci(), 100.0));
        object(o)
    }
}

/// Distance to the target of a scenario: the shortfall of its mean 2030 value and the annual
/// growth from the start year's mean that the target needs, against the growth achieved.
fn distance_to_target(start_krw: f64, end_krw: f64, years: f64) -> Vec<(String, Value)> {
    let rate = |to: f64| (to / start_krw).powf(1.0 / years) - 1.0;
    let (needed, achieved) = (rate(TARGET_SALES_KRW), rate(end_krw));
    vec![
        (
            "shortfall_trn_krw".to_string(),
            json!((TARGET_SALES_KRW - end_krw) * 1e-12),
        ),
        ("growth_per_year_needed".to_string(), json!(needed)),
        ("growth_per_year_achieved".to_string(), json!(achieved)),
        (
            "growth_per_year_still_needed_pp".to_string(),
            json!(100.0 * (needed - achieved)),
        ),
    ]
}

/// Writes a small text table atomically.
fn write_text(path: &Path, text: &str) -> Result<(), EnsembleError> {
    let mut file = AtomicFile::create(path)?;
    file.writer().write_all(text.as_bytes()).map_err(io(path))?;
    Ok(file.commit()?)
}

/// One parameter sample's figures: mean non-capital SME sales per year and scenario
/// (baseline, policy) over its seeds, and the seeds reaching the target.
#[derive(Debug, Clone)]
struct SampleAcc {
    sales: [Vec<Welford>; 2],
    reach: [u64; 2],
}

impl SampleAcc {
    fn new(years: usize) -> Self {
        SampleAcc {
            sales: [
                vec![Welford::default(); years],
                vec![Welford::default(); years],
            ],
            reach: [0; 2],
        }
    }
}

/// `uncertainty.csv`: one row per parameter sample: its values, then 2030 sales of both
/// scenarios (mean over seeds), the effect and the share of seeds reaching the target.
fn uncertainty_csv(samples: &Samples, acc: &[SampleAcc], t: usize, replicates: u64) -> String {
    let mut out = String::from("sample");
    for k in &samples.keys {
        out.push(',');
        out.push_str(k);
    }
    out.push_str(",baseline_sales_2030_krw,policy_sales_2030_krw,effect_krw,p_reach_target_baseline,p_reach_target_policy\n");
    for (i, (values, a)) in samples.values.iter().zip(acc).enumerate() {
        let _ = write!(out, "{i}");
        for v in values {
            let _ = write!(out, ",{}", num(*v));
        }
        let (b, p) = (a.sales[0][t].mean(), a.sales[1][t].mean());
        let _ = writeln!(
            out,
            ",{},{},{},{},{}",
            num(b),
            num(p),
            num(p - b),
            num(a.reach[0] as f64 / replicates as f64),
            num(a.reach[1] as f64 / replicates as f64)
        );
    }
    out
}

/// The `uncertainty` object of compare.json: P(target) and the effect over parameter and
/// Monte Carlo uncertainty together, their spread across parameter samples (and the fan of
/// non-capital sales per year), and the Spearman rank correlation of each parameter with the
/// outcomes across samples.
fn uncertainty_json(
    samples: &Samples,
    acc: &[SampleAcc],
    t: usize,
    start: i32,
    replicates: u64,
) -> Value {
    let k = acc.len();
    let policy_sales: Vec<f64> = acc.iter().map(|s| s.sales[1][t].mean()).collect();
    let effect: Vec<f64> = acc
        .iter()
        .map(|s| s.sales[1][t].mean() - s.sales[0][t].mean())
        .collect();
    let p_policy: Vec<f64> = acc
        .iter()
        .map(|s| s.reach[1] as f64 / replicates as f64)
        .collect();
    let sorted = |v: &[f64], scale: f64| {
        let mut out: Vec<f64> = v.iter().map(|x| x * scale).collect();
        out.sort_by(f64::total_cmp);
        out
    };
    let quantiles = |v: &[f64], scale: f64| {
        let s = sorted(v, scale);
        json!({
            "p05": quantile_sorted(&s, 0.05),
            "p50": quantile_sorted(&s, 0.5),
            "p95": quantile_sorted(&s, 0.95),
        })
    };
    let fan = |scenario: usize| -> Value {
        let years = acc.first().map_or(0, |a| a.sales[scenario].len());
        (0..years)
            .map(|y| {
                let v: Vec<f64> = acc.iter().map(|a| a.sales[scenario][y].mean()).collect();
                let s = sorted(&v, 1e-12);
                json!({
                    "year": start + y as i32,
                    "p05": quantile_sorted(&s, 0.05),
                    "p25": quantile_sorted(&s, 0.25),
                    "p50": quantile_sorted(&s, 0.5),
                    "p75": quantile_sorted(&s, 0.75),
                    "p95": quantile_sorted(&s, 0.95),
                })
            })
            .collect()
    };
    let mut params: Vec<Value> = samples
        .keys
        .iter()
        .enumerate()
        .map(|(j, key)| {
            let x: Vec<f64> = samples.values.iter().map(|p| p[j]).collect();
            json!({
                "key": key,
                "spearman_policy_sales": spearman(&x, &policy_sales),
                "spearman_effect": spearman(&x, &effect),
            })
        })
        .collect();
    let strength = |v: &Value| v["spearman_policy_sales"].as_f64().unwrap_or(0.0).abs();
    params.sort_by(|a, b| strength(b).total_cmp(&strength(a)));
    let p_reach = |s: usize| {
        acc.iter().map(|x| x.reach[s]).sum::<u64>() as f64 / (k as u64 * replicates) as f64
    };
    json!({
        "samples": k,
        "replicates_per_sample": replicates,
        "p_reach_target_baseline": p_reach(0),
        "p_reach_target_policy": p_reach(1),
        "p_reach_target_policy_across_samples": quantiles(&p_policy, 1.0),
        "policy_sales_trn_krw_across_samples": quantiles(&policy_sales, 1e-12),
        "effect_trn_krw_across_samples": quantiles(&effect, 1e-12),
        "noncapital_sme_sales_trn_krw_fan": {"baseline": fan(0), "policy": fan(1)},
        "parameters_by_influence": params,
    })
}

fn write_compare_csv(
    dir: &Path,
    cells: &[Cell],
    years: usize,
    start: i32,
) -> Result<(), EnsembleError> {
    let path = dir.join("compare.csv");
    let mut file = AtomicFile::create(&path)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, file.writer());
        let mut text = String::from(
            "metric,region,year,n,baseline_mean,policy_mean,diff_mean,diff_ci95_low,diff_ci95_high\n",
        );
        let row = |text: &mut String, metric: &str, region: &str, y: usize, c: &Cell| {
            let d = c.diff.mean_ci();
            let _ = writeln!(
                text,
                "{metric},{region},{},{},{},{},{},{},{}",
                start + y as i32,
                d.n,
                num(c.baseline.mean()),
                num(c.policy.mean()),
                num(d.mean),
                num(d.ci95_low),
                num(d.ci95_high)
            );
        };
        let nm = REGION_METRICS.len();
        for (m, metric) in REGION_METRICS.iter().enumerate() {
            for r in 0..=N_REGIONS {
                let region = if r == 0 {
                    "national"
                } else {
                    REGION_IDS[r - 1]
                };
                for y in 0..years {
                    row(
                        &mut text,
                        metric,
                        region,
                        y,
                        &cells[(m * (N_REGIONS + 1) + r) * years + y],
                    );
                }
            }
            w.write_all(text.as_bytes()).map_err(io(&path))?;
            text.clear();
        }
        let base = nm * (N_REGIONS + 1) * years;
        for (e, metric) in NATIONAL_EXTRA.iter().enumerate() {
            for y in 0..years {
                row(
                    &mut text,
                    metric,
                    "national",
                    y,
                    &cells[base + e * years + y],
                );
            }
        }
        w.write_all(text.as_bytes()).map_err(io(&path))?;
        w.flush().map_err(io(&path))?;
    }
    Ok(file.commit()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treated_effect_pairs_firms_by_id() {
        let o = |s, e, a| Outcome {
            sales_krw: s,
            employees: e,
            alive: a,
        };
        let policy = BTreeMap::from([
            (1, o(10.0, 3.0, 1.0)),
            (2, o(0.0, 0.0, 0.0)),
            (9, o(5.0, 1.0, 1.0)),
        ]);
        let baseline = BTreeMap::from([(1, o(6.0, 2.0, 1.0)), (2, o(4.0, 0.0, 0.0))]);
        let (matched, unmatched, d) = treated_effect(&policy, &baseline);
        assert_eq!((matched, unmatched), (2, 1));
        assert_eq!(d, [0.0, 0.5, 0.0]);
        assert!(treated_effect(&policy, &BTreeMap::new()).2[0].is_nan());
    }

    #[test]
    fn vc_share_change_splits_into_reallocated_and_added_money() {
        // Capital 75 of 100 -> 70 of 110: it lost 5 that the others gained (their 25 -> 40),
        // so -5 pp is reallocation and the rest of the -11.4 pp the added money's dilution.
        let mut s = VcSplit::default();
        s.push(75.0, 100.0, 70.0, 110.0);
        assert!((s.reallocated.mean() + 0.05).abs() < 1e-12);
        let change = 70.0 / 110.0 - 0.75;
        assert!((s.change.mean() - change).abs() < 1e-12);
        assert!((s.added.mean() - (change + 0.05)).abs() < 1e-12);
        // Pure addition outside the capital: nothing reallocated.
        let mut a = VcSplit::default();
        a.push(75.0, 100.0, 75.0, 110.0);
        assert_eq!(a.reallocated.mean(), 0.0);
        assert!((a.added.mean() - a.change.mean()).abs() < 1e-15 && a.change.mean() < 0.0);
        // No VC in a run: undefined, skipped.
        a.push(0.0, 0.0, 1.0, 2.0);
        assert_eq!(a.change.n(), 1);
    }

    fn close(a: &Value, b: f64) {
        let a = a.as_f64().unwrap_or(f64::NAN);
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
    }

    /// Per-bn-KRW arithmetic on a pair with hand-made spending and effects: extra spend is
    /// policy minus baseline; regions divide their own effect by their own spend; the national
    /// row divides the whole-country effect (spillovers included) by the total.
    #[test]
    fn per_bn_krw_divides_effects_by_extra_spending() {
        use crate::metrics::{ProgramRow, national_row};
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
        let sets = ["scale=0.001".to_string(), "end_year=2026".to_string()];
        let scn = Scenario::load(&path, &sets).unwrap();
        let baseline = crate::sim::simulate_plain(&scn, 5);
        let mut policy = baseline.clone();
        let region = |name: &str| REGION_IDS.iter().position(|r| *r == name).unwrap();
        let (busan, gangwon) = (region("busan"), region("gangwon"));
        let last = policy.regions.len() - N_REGIONS;
        policy.regions[last + busan].employment += 80.0;
        policy.regions[last + gangwon].employment += 10.0;
        policy.regions[last + CAPITAL].employment -= 30.0;
        policy.regions[busan].value_added_krw += 1e9;
        policy.regions[N_REGIONS + busan].value_added_krw += 1e9;
        policy.national = policy.regions.chunks(N_REGIONS).map(national_row).collect();
        let row = |year, program, region, spend_krw| ProgramRow {
            year,
            program,
            region,
            spend_krw,
            firms_treated: 1.0,
            startups_treated: 0.0,
        };
        policy.programs = vec![
            row(2025, "smart_factory", "busan", 2e9),
            row(2026, "smart_factory", "busan", 2e9),
            row(2025, "tips", "busan", 4e9),
            row(2025, "tips", "gangwon", 1e9),
        ];
        let mut baseline = baseline;
        baseline.programs = vec![row(2025, "tips", "gangwon", 0.5e9)];

        let dir = tempfile::tempdir().unwrap();
        open_staging(&dir.path().join("pairs"), Staging::Exclusive).unwrap();
        let plan = ComparePlan {
            baseline: scn.clone(),
            policy: scn,
            replicates: 2,
            master_seed: 5,
            attribution: Attribution::off(),
            samples: None,
        };
        for i in 0..2 {
            let text = pair_text(
                &baseline,
                &policy,
                &(
                    (3, 1, [100.0, 1.0, 0.5]),
                    Vec::new(),
                    std::array::from_fn(|_| vec![0.0; 4 + plan.years()]),
                ),
            );
            write_staged(&pair_file(dir.path(), i), i, plan.config_hash(), &text).unwrap();
        }
        let json = assemble(dir.path(), &plan).unwrap();
        let rows = json["per_bn_krw"].as_array().unwrap();
        let find = |region: &str, program: &str| {
            rows.iter()
                .find(|r| r["region"] == region && r["program"] == program)
                .unwrap_or_else(|| panic!("no row {region} {program}: {rows:?}"))
        };
        let names: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r["region"].to_string(), r["program"].to_string()))
            .collect();
        // No proportional split by programme: programmes get counterfactual runs instead.
        assert_eq!(rows.len(), 3, "{names:?}");
        assert!(rows.iter().all(|r| r["program"] == "all"));
        close(&find("busan", "all")["jobs_mean"], 80.0 / 8.0);
        close(&find("busan", "all")["value_added_krw_mean"], 2e9 / 8.0);
        close(&find("gangwon", "all")["jobs_mean"], 10.0 / 0.5);
        close(&find("national", "all")["jobs_mean"], 60.0 / 8.5);
        close(&find("national", "all")["value_added_krw_mean"], 2e9 / 8.5);
        // Identical replicates: a zero-width CI.
        let b = find("busan", "all");
        assert_eq!(b["jobs_ci95_low"], b["jobs_ci95_high"]);
        assert_eq!(
            rows[0]["region"], "busan",
            "regions in id order, national last"
        );
        assert_eq!(rows[2]["region"], "national");
        assert_eq!(json["treated_firms"]["sales_krw_diff_mean"], 100.0);
        assert_eq!(json["treated_firms"]["matched_firms_mean"], 3.0);
        close(
            &json["gap"]["capital_share_employment"]["change_pp_mean"],
            {
                let (b, p) = (&baseline.national[1], &policy.national[1]);
                100.0 * (p.capital_share_employment - b.capital_share_employment)
            },
        );
    }
}
