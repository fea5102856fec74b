//! The production network's figures in `compare` (docs/OUTPUTS.md, "compare.json: network"):
//! who the policy reached through links, and what it did to them and to the regions.
//!
//! Each pair follows, in the policy run, the *treated* firms (a firm programme's flag, as in
//! `compare.rs`) and their *network*: the firms linked to a treated firm (its suppliers and
//! its customers) at the year end before its treatment, not themselves treated, from its
//! treatment year on (links from before the programme acted on them, so a link lever's moves
//! do not select who is followed); the paired baseline run records the same ids. Per group and pair the sums over
//! matched firms (ids present in the baseline run) of the policy minus baseline sales (every
//! year from the firm's entry into the group) and employees (last year end) are staged, with
//! the anchors' purchases per year, weighted up to real units. [`NetAcc`] turns the pairs into
//! the leakage through purchases, output multipliers per region and jobs per 1 bn KRW for the
//! treated firms and for their network, each with a 95% CI across pairs.

use super::stats::{MeanCi, Welford};
use crate::metrics::REGION_METRICS;
use crate::model::geo::{CAPITAL, N_REGIONS, REGION_IDS};
use crate::model::{World, status};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The groups a pair stages, in `K` line order: treated firms, their network, the anchors
/// (whose "sales" are their purchases: the final demand they put into the network).
pub const GROUPS: [&str; 3] = ["treated", "network", "anchors"];

/// One group's staged sums: matched and unmatched firms (agents), the sales change summed over
/// years (real KRW, weighted), the employees' change at the last year end (real people), then
/// the sales change of each year (`4 + year index`).
pub type GroupSums = Vec<f64>;

/// What one run of a pair records at its year ends.
#[derive(Debug, Default)]
pub struct Follow {
    /// Per followed id: its group (0 treated, 1 network) and first year index in it.
    pub members: BTreeMap<u64, (u8, usize)>,
    /// Per followed id and year index: (sales of the year, employees at its end; 0 if dead).
    outcomes: BTreeMap<u64, Vec<Option<(f64, f64)>>>,
    /// Anchors' purchases per year index (real KRW, weighted).
    anchors_krw: Vec<f64>,
    /// Live firm links (supplier id, buyer id) at the last year end (policy run).
    prev_links: Vec<(u64, u64)>,
}

impl Follow {
    /// Policy run, year index `y` of `years`: adds newly treated firms and newly linked firms
    /// to the groups, then records every member's outcome.
    /// `weight`: real firms per agent.
    pub fn observe_policy(
        &mut self,
        w: &World,
        (y, years, weight): (usize, usize, f64),
        treated_bits: u16,
    ) {
        let f = &w.firms;
        let mut new = std::collections::BTreeSet::new();
        for i in 0..f.len() {
            if f.flags[i] & treated_bits != 0 {
                let e = self.members.entry(f.id[i]).or_insert((1, y));
                if e.0 != 0 {
                    *e = (0, y);
                    new.insert(f.id[i]);
                }
            }
        }
        // The network: the newly treated firms' suppliers and customers at the last year end,
        // before the programme acted on their links (a supplier a link lever moved to after
        // the treatment is not followed, nor is one it moved away from left out).
        let treated =
            |m: &BTreeMap<u64, (u8, usize)>, id: u64| m.get(&id).is_some_and(|e| e.0 == 0);
        for &(s, b) in &self.prev_links {
            if new.contains(&b) && !treated(&self.members, s) {
                self.members.entry(s).or_insert((1, y));
            } else if new.contains(&s) && !treated(&self.members, b) {
                self.members.entry(b).or_insert((1, y));
            }
        }
        self.prev_links = w
            .network
            .firm_links()
            .into_iter()
            .map(|(s, b)| (f.id[s as usize], f.id[b as usize]))
            .collect();
        self.record(w, y, years, weight);
    }

    /// Baseline run: records the outcomes of the ids the policy run followed.
    pub fn observe_baseline(
        &mut self,
        w: &World,
        (y, years, weight): (usize, usize, f64),
        policy: &Follow,
    ) {
        if self.members.is_empty() {
            self.members = policy.members.clone();
        }
        self.record(w, y, years, weight);
    }

    fn record(&mut self, w: &World, y: usize, years: usize, weight: f64) {
        let f = &w.firms;
        for i in 0..f.len() {
            if self.members.contains_key(&f.id[i]) {
                let alive = f.status[i] != status::DEAD;
                let v = self
                    .outcomes
                    .entry(f.id[i])
                    .or_insert_with(|| vec![None; years]);
                v[y] = Some((
                    f64::from(f.sales_year_krw[i]),
                    if alive {
                        f64::from(f.employees[i])
                    } else {
                        0.0
                    },
                ));
            }
        }
        self.anchors_krw.resize(years, 0.0);
        self.anchors_krw[y] = w.network.anchor_purchases_krw * weight;
    }
}

/// The staged sums of a pair: policy minus baseline per group (see the module comment).
/// `weight`: real firms per agent.
pub fn group_sums(policy: &Follow, baseline: &Follow, weight: f64, years: usize) -> [GroupSums; 3] {
    let mut out: [GroupSums; 3] = std::array::from_fn(|_| vec![0.0; 4 + years]);
    let none = Vec::new();
    for (id, &(g, entry)) in &policy.members {
        let Some(b) = baseline.outcomes.get(id) else {
            out[g as usize][1] += 1.0;
            continue;
        };
        let p = policy.outcomes.get(id).unwrap_or(&none);
        let at = |v: &Vec<Option<(f64, f64)>>, y: usize| v.get(y).copied().flatten();
        let o = &mut out[g as usize];
        o[0] += 1.0;
        for y in entry..years {
            // A firm gone from the rows (dead and compacted) counts 0.
            let (ps, bs) = (at(p, y).map_or(0.0, |v| v.0), at(b, y).map_or(0.0, |v| v.0));
            o[2] += (ps - bs) * weight;
            o[4 + y] += (ps - bs) * weight;
        }
        if years > 0 {
            let last = years - 1;
            let (pe, be) = (
                at(p, last).map_or(0.0, |v| v.1),
                at(b, last).map_or(0.0, |v| v.1),
            );
            o[3] += (pe - be) * weight;
        }
    }
    for y in 0..years {
        let at = |v: &Vec<f64>| v.get(y).copied().unwrap_or(0.0);
        let d = at(&policy.anchors_krw) - at(&baseline.anchors_krw);
        out[2][2] += d;
        out[2][4 + y] = d;
    }
    out
}

/// The staged `K` lines of a pair.
pub fn pair_lines(out: &mut String, sums: &[GroupSums; 3], num: impl Fn(f64) -> String) {
    for (g, s) in GROUPS.iter().zip(sums) {
        let _ = write!(out, "K,{g}");
        for v in s {
            out.push(',');
            out.push_str(&num(*v));
        }
        out.push('\n');
    }
}

/// Fields after the tag of a `K` line in a run of `years` years.
pub fn k_fields(years: usize) -> usize {
    5 + years
}

/// Parses a `K` line's fields after the tag into its group index and sums.
pub fn parse_line(fields: &[f64], group: &str) -> Option<(usize, GroupSums)> {
    let g = GROUPS.iter().position(|x| *x == group)?;
    (fields.len() >= 4).then(|| (g, fields.to_vec()))
}

/// The network figures over pairs.
#[derive(Debug, Default)]
pub struct NetAcc {
    /// Non-capital regions' purchases from capital-region suppliers, summed over the years.
    leak_krw: Welford,
    /// The capital region's share of non-capital regions' domestic purchases (policy minus
    /// baseline, percentage points).
    leak_share_pp: Welford,
    direct_krw: Welford,
    /// Per region (and national last): sales change over the years / direct change.
    multiplier: Vec<Welford>,
    /// The same over the years with a direct change only (a shock's window).
    multiplier_direct_years: Vec<Welford>,
    jobs_per_bn: [Welford; 2],
    firms: [Welford; 2],
}

impl NetAcc {
    /// Adds one pair: `regions[s][y * N_REGIONS + r]` are the region rows of scenario `s`
    /// (0 baseline, 1 policy), `sums` its staged group sums, `spend_krw` its extra programme
    /// spending over the run.
    pub fn push(
        &mut self,
        regions: &[Vec<[f64; REGION_METRICS.len()]>; 2],
        sums: &[GroupSums; 3],
        spend_krw: f64,
    ) {
        let metric = |name: &str| REGION_METRICS.iter().position(|c| *c == name).unwrap();
        let (local, capital, other, sales) = (
            metric("purchases_local_krw"),
            metric("purchases_from_capital_krw"),
            metric("purchases_from_other_regions_krw"),
            metric("sales_krw"),
        );
        let years = regions[0].len() / N_REGIONS;
        let sum = |s: usize, m: usize, r: usize| -> f64 {
            (0..years).map(|y| regions[s][y * N_REGIONS + r][m]).sum()
        };
        let noncap = |s: usize, m: usize| -> f64 {
            (0..N_REGIONS)
                .filter(|&r| r != CAPITAL)
                .map(|r| sum(s, m, r))
                .sum()
        };
        let bought = |s: usize| noncap(s, capital);
        self.leak_krw.push(bought(1) - bought(0));
        let share = |s: usize| {
            let domestic = noncap(s, local) + noncap(s, capital) + noncap(s, other);
            if domestic > 0.0 {
                bought(s) / domestic
            } else {
                0.0
            }
        };
        self.leak_share_pp.push(100.0 * (share(1) - share(0)));
        let direct = sums[0][2] + sums[2][2];
        self.direct_krw.push(direct);
        let direct_y = |y: usize| {
            sums[0].get(4 + y).copied().unwrap_or(0.0) + sums[2].get(4 + y).copied().unwrap_or(0.0)
        };
        let window: Vec<usize> = (0..years).filter(|&y| direct_y(y) != 0.0).collect();
        let direct_window: f64 = window.iter().map(|&y| direct_y(y)).sum();
        for (acc, years_in, d) in [
            (&mut self.multiplier, (0..years).collect::<Vec<_>>(), direct),
            (&mut self.multiplier_direct_years, window, direct_window),
        ] {
            acc.resize(N_REGIONS + 1, Welford::default());
            if d == 0.0 {
                continue;
            }
            let mut national = 0.0;
            for r in 0..N_REGIONS {
                let change: f64 = years_in
                    .iter()
                    .map(|&y| {
                        regions[1][y * N_REGIONS + r][sales] - regions[0][y * N_REGIONS + r][sales]
                    })
                    .sum();
                national += change;
                acc[r].push(change / d);
            }
            acc[N_REGIONS].push(national / d);
        }
        if spend_krw > 0.0 {
            for g in 0..2 {
                self.jobs_per_bn[g].push(sums[g][3] / (spend_krw / 1e9));
            }
        }
        for g in 0..2 {
            self.firms[g].push(sums[g][0]);
        }
    }

    fn rows(&self) -> Vec<(String, String, MeanCi)> {
        let mut rows = vec![
            (
                "leakage_purchases_from_capital_krw".to_string(),
                "noncapital".to_string(),
                self.leak_krw.mean_ci(),
            ),
            (
                "capital_share_of_noncapital_purchases_pp".to_string(),
                "noncapital".to_string(),
                self.leak_share_pp.mean_ci(),
            ),
            (
                "direct_change_krw".to_string(),
                "national".to_string(),
                self.direct_krw.mean_ci(),
            ),
        ];
        for (name, acc) in [
            ("output_multiplier", &self.multiplier),
            (
                "output_multiplier_direct_years",
                &self.multiplier_direct_years,
            ),
        ] {
            for (r, w) in acc.iter().enumerate() {
                let region = if r < N_REGIONS {
                    REGION_IDS[r]
                } else {
                    "national"
                };
                rows.push((name.to_string(), region.to_string(), w.mean_ci()));
            }
        }
        for (g, w) in self.jobs_per_bn.iter().enumerate() {
            rows.push((
                format!("jobs_per_bn_krw_{}", GROUPS[g]),
                "national".to_string(),
                w.mean_ci(),
            ));
        }
        rows
    }

    /// `compare_network.csv`: one row per figure and region.
    pub fn csv(&self, num: impl Fn(f64) -> String) -> String {
        let mut out = String::from("measure,region,n,mean,ci95_low,ci95_high\n");
        for (m, r, c) in self.rows() {
            let _ = writeln!(
                out,
                "{m},{r},{},{},{},{}",
                c.n,
                num(c.mean),
                num(c.ci95_low),
                num(c.ci95_high)
            );
        }
        out
    }

    /// The `network` object of compare.json.
    pub fn json(&self) -> Value {
        let ci = |c: MeanCi| json!({"n": c.n, "mean": c.mean, "ci95_low": c.ci95_low, "ci95_high": c.ci95_high});
        let multipliers = |acc: &[Welford]| -> Vec<Value> {
            acc.iter()
                .enumerate()
                .map(|(r, w)| {
                    let mut o = ci(w.mean_ci());
                    o["region"] = json!(if r < N_REGIONS {
                        REGION_IDS[r]
                    } else {
                        "national"
                    });
                    o
                })
                .collect()
        };
        json!({
            "leakage_purchases_from_capital_krw": ci(self.leak_krw.mean_ci()),
            "capital_share_of_noncapital_purchases_change_pp": ci(self.leak_share_pp.mean_ci()),
            "direct_change_krw": ci(self.direct_krw.mean_ci()),
            "output_multiplier": multipliers(&self.multiplier),
            "output_multiplier_direct_years": multipliers(&self.multiplier_direct_years),
            "jobs_per_bn_krw": {
                "treated": ci(self.jobs_per_bn[0].mean_ci()),
                "network": ci(self.jobs_per_bn[1].mean_ci()),
            },
            "followed_firms_mean": {
                "treated": self.firms[0].mean(),
                "network": self.firms[1].mean(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed pair: the policy moves 10 KRW of Busan's purchases from Busan to capital
    /// suppliers in each of two years and raises Busan's sales by 30 and the capital's by 15
    /// over them, against treated firms' direct sales change of 20 and anchors' of 5; treated
    /// firms gain 4 jobs, their network 2, for 2 bn KRW.
    #[test]
    fn leakage_multipliers_and_jobs_follow_their_definitions() {
        let m = |name: &str| REGION_METRICS.iter().position(|c| *c == name).unwrap();
        let busan = REGION_IDS.iter().position(|r| *r == "busan").unwrap();
        let years = 2;
        let mut regions = [
            vec![[0.0; REGION_METRICS.len()]; years * N_REGIONS],
            vec![[0.0; REGION_METRICS.len()]; years * N_REGIONS],
        ];
        for s in 0..2 {
            for y in 0..years {
                let row = &mut regions[s][y * N_REGIONS + busan];
                row[m("purchases_local_krw")] = if s == 0 { 60.0 } else { 50.0 };
                row[m("purchases_from_capital_krw")] = if s == 0 { 20.0 } else { 30.0 };
                row[m("purchases_from_other_regions_krw")] = 20.0;
                row[m("sales_krw")] = if s == 0 { 100.0 } else { 115.0 };
                regions[s][y * N_REGIONS + CAPITAL][m("sales_krw")] =
                    if s == 0 { 200.0 } else { 207.5 };
            }
        }
        // Direct change in the second year only: the window multiplier counts that year.
        let sums = [
            vec![3.0, 0.0, 20.0, 4.0, 0.0, 20.0],
            vec![5.0, 1.0, 7.0, 2.0, 3.0, 4.0],
            vec![0.0, 0.0, 5.0, 0.0, 0.0, 5.0],
        ];
        let mut acc = NetAcc::default();
        acc.push(&regions, &sums, 2e9);
        acc.push(&regions, &sums, 2e9);
        let j = acc.json();
        let mean = |v: &Value| v["mean"].as_f64().unwrap();
        assert_eq!(mean(&j["leakage_purchases_from_capital_krw"]), 20.0);
        // Capital's share of Busan's domestic purchases: 20% -> 30%.
        assert!((mean(&j["capital_share_of_noncapital_purchases_change_pp"]) - 10.0).abs() < 1e-9);
        assert_eq!(mean(&j["direct_change_krw"]), 25.0);
        let mult = j["output_multiplier"].as_array().unwrap();
        assert_eq!(mult.len(), N_REGIONS + 1);
        assert_eq!(mean(&mult[busan]), 30.0 / 25.0);
        assert_eq!(mean(&mult[CAPITAL]), 15.0 / 25.0);
        assert_eq!(mult[N_REGIONS]["region"], "national");
        assert_eq!(mean(&mult[N_REGIONS]), 45.0 / 25.0);
        let window = j["output_multiplier_direct_years"].as_array().unwrap();
        assert_eq!(mean(&window[busan]), 15.0 / 25.0);
        assert_eq!(mean(&window[N_REGIONS]), 22.5 / 25.0);
        assert_eq!(mean(&j["jobs_per_bn_krw"]["treated"]), 2.0);
        assert_eq!(mean(&j["jobs_per_bn_krw"]["network"]), 1.0);
        // Identical pairs: a zero-width CI.
        let t = &j["jobs_per_bn_krw"]["treated"];
        assert_eq!(t["ci95_low"], t["ci95_high"]);
        let csv = acc.csv(|v| format!("{v}"));
        assert!(
            csv.contains("output_multiplier,busan,2,1.2,1.2,1.2"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 1 + 3 + 2 * (N_REGIONS + 1) + 2);
    }

    /// A followed firm counts from the year it joined its group; one the baseline never had
    /// is unmatched; one gone from the rows counts 0.
    #[test]
    fn group_sums_match_ids_and_count_from_entry() {
        let mut p = Follow::default();
        let mut b = Follow::default();
        p.members.insert(1, (0, 1));
        p.members.insert(2, (1, 0));
        p.members.insert(3, (1, 0));
        p.outcomes
            .insert(1, vec![Some((5.0, 1.0)), Some((12.0, 3.0))]);
        p.outcomes.insert(2, vec![Some((4.0, 2.0)), None]);
        p.outcomes
            .insert(3, vec![Some((1.0, 1.0)), Some((1.0, 1.0))]);
        b.outcomes
            .insert(1, vec![Some((1.0, 1.0)), Some((10.0, 2.0))]);
        b.outcomes
            .insert(2, vec![Some((4.0, 2.0)), Some((3.0, 2.0))]);
        p.anchors_krw = vec![10.0, 8.0];
        b.anchors_krw = vec![10.0, 10.0];
        let s = group_sums(&p, &b, 10.0, 2);
        // Treated id 1 from year 1 only: sales +2, jobs +1 (x 10).
        assert_eq!(s[0], [1.0, 0.0, 20.0, 10.0, 0.0, 20.0]);
        // Network: id 2 matched (gone in year 1: -3 sales, -2 jobs), id 3 unmatched.
        assert_eq!(s[1], [1.0, 1.0, -30.0, -20.0, 0.0, -30.0]);
        assert_eq!(s[2], [0.0, 0.0, -2.0, 0.0, 0.0, -2.0]);
    }
}
