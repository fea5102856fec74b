//! How the levers act on the world (ODD 7.10): once a month before the demand submodel
//! (shocks; in January also budgets, designations and the yearly selections), and in
//! December after the year-end submodels (the key-industry evaluation).
//!
//! The per-agent parts that happen during the month (TIPS selections and growth-fund deals in
//! `step::invest`, extra founders and birth boosts in `step::enter`, one-stop progress in
//! `step::startups`, key-industry drift in `step::produce`) read the modifiers set here in
//! [`crate::policy::PolicyState`].

use super::levers::{Policy, Selection, ShockKind, ShockTarget};
use super::{Program, flag};
use crate::model::geo::{CAPITAL, N_REGIONS, N_SECTORS};
use crate::model::{Derived, World, startup_status, status};
use crate::rng::{Stream, Streams};
use crate::scenario::Scenario;

/// Number of agents standing for `real` real units at `scale`: `floor(real * scale + u)`,
/// lowered until their weighted cost fits in `left_krw` (so spending never exceeds a budget).
pub fn agents_for(
    real: f64,
    scale: f64,
    u: f64,
    unit_cost_krw: f64,
    weight: f64,
    left_krw: f64,
) -> u64 {
    let mut n = (real.max(0.0) * scale + u).floor() as u64;
    while n > 0 && n as f64 * weight * unit_cost_krw > left_krw + 1e-9 * left_krw.abs() {
        n -= 1;
    }
    n
}

/// Start of a month: shock multipliers; in January, the year's budgets and programmes.
pub fn begin_month(world: &mut World, scn: &Scenario, derived: &Derived, streams: &Streams) {
    let policy = &scn.policy;
    let step = world.step;
    let ps = &mut world.policy;
    ps.demand_mult = [[1.0; N_SECTORS]; N_REGIONS];
    ps.supply_mult = [[1.0; N_SECTORS]; N_REGIONS];
    ps.anchor_mult = [[1.0; N_SECTORS]; N_REGIONS];
    ps.link_mult = [[1.0; N_SECTORS]; N_REGIONS];
    for sh in &policy.shocks {
        if step >= sh.start_step && step < sh.start_step + sh.months {
            let m = match (sh.target, sh.kind) {
                (ShockTarget::Anchors, _) => &mut ps.anchor_mult,
                (ShockTarget::Links, _) => &mut ps.link_mult,
                (ShockTarget::Firms, ShockKind::Demand) => &mut ps.demand_mult,
                (ShockTarget::Firms, ShockKind::Supply) => &mut ps.supply_mult,
            };
            for r in 0..N_REGIONS {
                for s in 0..N_SECTORS {
                    if sh.regions[r] && sh.sectors[s] {
                        m[r][s] *= 1.0 - sh.size;
                    }
                }
            }
        }
    }
    if step.is_multiple_of(12) {
        january(world, policy, scn, derived, streams, (step / 12) as usize);
    }
}

fn january(
    world: &mut World,
    policy: &Policy,
    scn: &Scenario,
    derived: &Derived,
    streams: &Streams,
    y: usize,
) {
    let f = policy.funded_share(y);
    let w = derived.weight;
    {
        let ps = &mut world.policy;
        for p in Program::ALL {
            let planned = policy.planned_krw(p, y);
            ps.left_krw[p as usize] = planned * f;
            ps.funded[p as usize] = if planned > 0.0 { f } else { 0.0 };
        }
        ps.startup_birth_mult = [1.0; N_REGIONS];
        ps.startup_quality_shift = [0.0; N_REGIONS];
        ps.startup_birth_flags = [0; N_REGIONS];
        ps.distance_factor = [1.0; N_REGIONS];
    }

    if let Some(h) = &policy.hub_cities {
        let fh = world.policy.funded[Program::HubCities as usize];
        // Dose: the boosts hold at the reference money per hub-year (ODD 7.10.0).
        let dh = policy.dose(h.cost_krw_per_hub_year * fh, h.reference_krw_per_hub_year);
        for r in 0..N_REGIONS {
            if !h.hubs[y][r] {
                continue;
            }
            world
                .policy
                .spend(Program::HubCities, r, h.cost_krw_per_hub_year * fh);
            let ps = &mut world.policy;
            ps.startup_birth_mult[r] *= 1.0 + h.startup_birth_boost * dh;
            ps.startup_quality_shift[r] += h.startup_quality_boost * dh;
            ps.distance_factor[r] *= 1.0 - (h.investor_distance_discount * dh).min(1.0);
            ps.startup_birth_flags[r] |= flag::HUB_CITY;
            let newly = y == 0 || !h.hubs[y - 1][r];
            if newly {
                world.regions.amenity_15_39[r] += h.amenity_15_39_boost * dh;
            }
        }
    }

    if let Some(sp) = &policy.startup_parks {
        let fp = world.policy.funded[Program::StartupParks as usize];
        let dp = policy.dose(
            sp.cost_krw_per_region_year * fp,
            sp.reference_krw_per_region_year,
        );
        for r in 0..N_REGIONS {
            if !sp.parks[y][r] {
                continue;
            }
            world
                .policy
                .spend(Program::StartupParks, r, sp.cost_krw_per_region_year * fp);
            world.policy.startup_birth_mult[r] *= 1.0 + sp.startup_birth_boost * dp;
            // Angel hub: money to the region's angels (none there: not spent).
            let angels: Vec<usize> = (0..world.investors.len())
                .filter(|&k| {
                    world.investors.kind[k] == sp.angel_kind
                        && usize::from(world.investors.home[k]) == r
                        && world.investors.program[k] == 0
                })
                .collect();
            if !angels.is_empty() {
                let money = sp.angel_krw_per_region_year * fp;
                for &k in &angels {
                    world.investors.capital_krw[k] += money / angels.len() as f64;
                }
                world.ledger.committed_krw += money;
                world.policy.spend(Program::StartupParks, r, money);
            }
        }
    }

    if let Some(g) = &policy.growth_fund {
        let public = world.policy.left_krw[Program::GrowthFund as usize];
        let n_regions = g.regions.iter().filter(|&&b| b).count();
        if public > 0.0 && n_regions > 0 {
            let per_region = public / n_regions as f64;
            let per_fund =
                per_region * (1.0 + g.private_match_ratio) / f64::from(g.funds_per_region);
            for r in 0..N_REGIONS {
                if !g.regions[r] {
                    continue;
                }
                world.policy.spend(Program::GrowthFund, r, per_region);
                // The parent fund's public money, matched by private money, is raised as a
                // new fund (vintage of this year) by each of the region's policy funds.
                world.venture.public_krw_year += per_region;
                let public_per_fund = per_region / f64::from(g.funds_per_region);
                let year = world.venture.year();
                for k in 0..world.investors.len() {
                    if world.investors.program[k] == flag::GROWTH_FUND
                        && usize::from(world.investors.home[k]) == r
                    {
                        world.investors.capital_krw[k] += per_fund;
                        world.ledger.committed_krw += per_fund;
                        let home = world.investors.home[k];
                        world
                            .venture
                            .raise(k, home, year, per_fund, public_per_fund);
                    }
                }
            }
        }
    }

    {
        let ps = &mut world.policy;
        ps.tips_active = false;
        if let Some(t) = &policy.tips {
            let m = t.match_krw[y];
            let affordable = if m > 0.0 {
                ps.left_krw[Program::Tips as usize] / m
            } else {
                t.selections[y] * f
            };
            ps.tips_left = t.selections[y].min(affordable);
            ps.tips_capital_left = ps.tips_left * (1.0 - t.regional_share[y]);
            ps.tips_match_krw = m;
            ps.tips_relief = t.regional_ticket_relief;
            ps.tips_active = ps.tips_left >= 1.0;
        }
    }

    for (t, sf) in policy.smart_factories.iter().enumerate() {
        if let Some(sel) = sf {
            let p = Program::ALL[Program::SmartFactoryAdvancedAi as usize + t];
            select_firms(world, scn, streams, w, sel, p, flag::SMART_FACTORY, y);
        }
    }
    if let Some(sel) = &policy.jump_up {
        select_firms(
            world,
            scn,
            streams,
            w,
            sel,
            Program::JumpUp,
            flag::JUMP_UP,
            y,
        );
    }
    if let Some(sel) = &policy.ai_supply_chains {
        select_firms(
            world,
            scn,
            streams,
            w,
            sel,
            Program::AiSupplyChains,
            flag::AI_SUPPLY_CHAIN,
            y,
        );
    }

    if let Some(l) = &policy.local_entrepreneurs {
        // Founders arrive through the year (step::enter); creators are chosen now.
        let left = world.policy.left_krw[Program::LocalEntrepreneurs as usize];
        let founders = if l.grant_krw_per_founder > 0.0 {
            left / l.grant_krw_per_founder
        } else {
            l.founders[y] * world.policy.funded[Program::LocalEntrepreneurs as usize]
        };
        let youth: f64 = (1..N_REGIONS).map(|r| derived.youth0[r]).sum();
        for r in 0..N_REGIONS {
            let share = if r == CAPITAL {
                1.0 - l.regional_share
            } else {
                l.regional_share * derived.youth0[r] / youth
            };
            world.policy.founders_month[r] = founders * share / 12.0;
        }
        world.policy.founder_grant_krw = l.grant_krw_per_founder;
        select_creators(
            world,
            scn,
            streams,
            derived.startup_weight,
            l.creators[y],
            l,
        );
    }

    if let Some(o) = &policy.one_stop {
        let money = world.policy.left_krw[Program::OneStop as usize];
        let centres: f64 = o.centres.iter().sum();
        let dose = policy.dose(money / centres.max(1.0), o.reference_krw_per_centre_year);
        world.policy.one_stop_progress_month = 0.0;
        if money > 0.0 && centres > 0.0 {
            for r in 0..N_REGIONS {
                if o.centres[r] > 0.0 {
                    world
                        .policy
                        .spend(Program::OneStop, r, money * o.centres[r] / centres);
                    world.policy.startup_birth_flags[r] |= flag::ONE_STOP;
                }
            }
            let st = &mut world.startups;
            let mut served = 0.0;
            for j in 0..st.len() {
                let r = usize::from(st.region[j]);
                if st.status[j] != startup_status::ACTIVE || o.centres[r] <= 0.0 {
                    continue;
                }
                served += derived.startup_weight;
                if st.flags[j] & flag::ONE_STOP == 0 {
                    st.flags[j] |= flag::ONE_STOP;
                    world.policy.acc[Program::OneStop as usize][r].startups_treated +=
                        derived.startup_weight;
                }
            }
            // Advisors' caseload: fewer advisors than the served startups need dilute the boost.
            let coverage = if served > 0.0 {
                (o.advisors * o.startups_per_advisor / served).min(1.0)
            } else {
                1.0
            };
            world.policy.one_stop_progress_month =
                o.progress_boost_per_year * dose * coverage / 12.0;
        }
    }

    if let Some(k) = &policy.key_industries {
        key_industries(world, policy, k, w, y);
    }
}

/// Key industries (ODD 7.10.9): the year's incentive pool is split among designated regions
/// in proportion to their treated SMEs (SMEs in designated sectors) weighted by
/// `exp(sensitivity x (growth - mean growth))`; each designated (region, sector) cell's drift
/// is its gain at the reference incentive per firm times the dose of the region's incentive
/// per treated firm.
fn key_industries(
    world: &mut World,
    policy: &Policy,
    k: &super::levers::KeyIndustries,
    w: f64,
    y: usize,
) {
    let ps = &mut world.policy;
    ps.drift_bonus_month = [[0.0; N_SECTORS]; N_REGIONS];
    if y < k.from_year_index {
        return;
    }
    let pool = ps.left_krw[Program::KeyIndustries as usize];
    let mut firms = [0.0; N_REGIONS];
    let fi = &world.firms;
    for i in 0..fi.len() {
        let (r, s) = (usize::from(fi.region[i]), usize::from(fi.sector[i]));
        if fi.status[i] == status::SME && k.designation[r][s] > 0 {
            firms[r] += w;
        }
    }
    let n_total: f64 = firms.iter().sum();
    // Performance: growth of the region's SME sales in the last finished year.
    let h = &ps.sales_by_year;
    let growth: [f64; N_REGIONS] = std::array::from_fn(|r| {
        if h.len() >= 2 && h[h.len() - 2][r] > 0.0 && h[h.len() - 1][r] > 0.0 {
            (h[h.len() - 1][r] / h[h.len() - 2][r]).ln()
        } else {
            0.0
        }
    });
    let mean_g = (0..N_REGIONS)
        .filter(|&r| firms[r] > 0.0)
        .map(|r| growth[r] * firms[r])
        .sum::<f64>()
        / n_total.max(1.0);
    let weight: [f64; N_REGIONS] = std::array::from_fn(|r| {
        firms[r] * (k.performance_sensitivity * (growth[r] - mean_g)).exp()
    });
    let w_total: f64 = weight.iter().sum();
    for r in 0..N_REGIONS {
        if firms[r] == 0.0 {
            continue;
        }
        let incentive = if w_total > 0.0 {
            pool * weight[r] / w_total
        } else {
            0.0
        };
        ps.spend(Program::KeyIndustries, r, incentive);
        ps.acc[Program::KeyIndustries as usize][r].firms_treated += firms[r];
        let dose = policy.dose(incentive / firms[r], k.reference_krw_per_firm_year);
        for s in 0..N_SECTORS {
            let base = match k.designation[r][s] {
                1 => k.main_gain_per_year,
                2 => k.future_gain_per_year,
                _ => continue,
            };
            let gain = (base + k.performance_gain_per_year) * dose;
            ps.drift_bonus_month[r][s] = (gain / 12.0) as f32;
        }
    }
}

/// Picks this year's firms for a selection programme and applies the one-off boost:
/// `log_scale += ln(1 + productivity_gain)`, `tech += tech_gain` (at most 1), flag set.
#[allow(clippy::too_many_arguments)]
fn select_firms(
    world: &mut World,
    scn: &Scenario,
    streams: &Streams,
    weight: f64,
    sel: &Selection,
    p: Program,
    bit: u16,
    y: usize,
) {
    let step = world.step;
    let left = world.policy.left_krw[p as usize];
    let real = if sel.cost_krw_per_firm > 0.0 {
        left / sel.cost_krw_per_firm
    } else {
        sel.count[y] * world.policy.funded[p as usize]
    };
    let u = streams.uniform(Stream::PolicyDraw, p as u64, step, 0);
    let n = agents_for(real, scn.scale, u, sel.cost_krw_per_firm, weight, left) as usize;
    if n == 0 {
        return;
    }
    let fi = &mut world.firms;
    let mut cand: Vec<(f64, usize)> = (0..fi.len())
        .filter(|&i| {
            fi.status[i] == status::SME
                && fi.flags[i] & bit == 0
                && sel.sectors[usize::from(fi.sector[i])]
                && sel.regions[usize::from(fi.region[i])]
                && fi.employees[i] >= sel.min_employees
        })
        .map(|i| {
            let key = match sel.rank_noise_sd {
                None => streams.uniform(Stream::PolicySelect, fi.id[i], step, p as u32),
                Some(sd) => {
                    let z = streams.normal(Stream::PolicySelect, fi.id[i], step, p as u32);
                    -(f64::from(fi.log_scale[i]) + sd * z)
                }
            };
            (key, i)
        })
        .collect();
    let by_key = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if cand.len() > n {
        cand.select_nth_unstable_by(n - 1, by_key);
        cand.truncate(n);
    }
    cand.sort_by_key(|c| c.1);
    // Dose: the gains hold at the reference money per firm (ODD 7.10.0).
    let dose = scn
        .policy
        .dose(sel.cost_krw_per_firm, sel.reference_krw_per_firm);
    let log_gain = (1.0 + sel.productivity_gain * dose).ln() as f32;
    let tech_gain = (sel.tech_gain * dose) as f32;
    let links = sel.supplier_spillover > 0.0 || sel.local_sourcing_shift > 0.0;
    if links && scn.network.is_some() {
        world.policy.link_actions.push(super::state::LinkAction {
            rows: cand.iter().map(|c| c.1 as u32).collect(),
            spillover_gain: sel.supplier_spillover * sel.productivity_gain * dose,
            local_shift: sel.local_sourcing_shift,
            program: p as u32,
        });
    }
    for &(_, i) in &cand {
        fi.log_scale[i] += log_gain;
        fi.tech[i] = (fi.tech[i] + tech_gain).min(1.0);
        fi.flags[i] |= bit;
        let r = usize::from(fi.region[i]);
        world.policy.spend(p, r, sel.cost_krw_per_firm * weight);
        world.policy.acc[p as usize][r].firms_treated += weight;
    }
}

/// Local creators: the local entrepreneurs (flagged startups) with the most progress get a
/// second grant and a progress boost. `weight`: real startups per startup agent.
fn select_creators(
    world: &mut World,
    scn: &Scenario,
    streams: &Streams,
    weight: f64,
    creators: f64,
    l: &super::levers::LocalEntrepreneurs,
) {
    let p = Program::LocalCreators;
    let left = world.policy.left_krw[p as usize];
    let real = if l.grant_krw_per_creator > 0.0 {
        left / l.grant_krw_per_creator
    } else {
        creators * world.policy.funded[p as usize]
    };
    let u = streams.uniform(Stream::PolicyDraw, p as u64, world.step, 0);
    let n = agents_for(
        real,
        scn.startup_scale,
        u,
        l.grant_krw_per_creator,
        weight,
        left,
    ) as usize;
    if n == 0 {
        return;
    }
    let st = &mut world.startups;
    let mut cand: Vec<(f32, usize)> = (0..st.len())
        .filter(|&j| {
            st.status[j] == startup_status::ACTIVE && st.flags[j] & flag::LOCAL_ENTREPRENEUR != 0
        })
        .map(|j| (-st.progress[j], j))
        .collect();
    cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    cand.truncate(n);
    for &(_, j) in &cand {
        st.cash_krw[j] += l.grant_krw_per_creator;
        st.progress[j] += l.creator_progress_boost as f32;
        let r = usize::from(st.region[j]);
        world.policy.spend(p, r, l.grant_krw_per_creator * weight);
        world.policy.acc[p as usize][r].startups_treated += weight;
    }
}

/// December, after the year-end submodels: remember the year's SME sales by region (the
/// key-industry evaluation reads them next January).
pub fn year_end(world: &mut World) {
    let sales = world.flows.sme_sales_krw;
    world.policy.sales_by_year.push(sales);
}

#[cfg(test)]
mod tests {
    use super::agents_for;

    #[test]
    fn agent_counts_never_overspend() {
        // 430 firms at 150M each, scale 0.002 (weight 500): 0.86 agents expected.
        let budget = 430.0 * 150e6;
        assert_eq!(agents_for(430.0, 0.002, 0.1, 150e6, 500.0, budget), 0);
        // Rounding up to one agent would spend 75 bn > 64.5 bn: lowered to 0.
        assert_eq!(agents_for(430.0, 0.002, 0.5, 150e6, 500.0, budget), 0);
        assert_eq!(
            agents_for(4300.0, 0.002, 0.5, 150e6, 500.0, 20.0 * budget),
            9
        );
        assert_eq!(
            agents_for(4300.0, 0.002, 0.5, 150e6, 500.0, 10.0 * budget),
            8
        );
        assert_eq!(agents_for(100.0, 0.1, 0.0, 0.0, 10.0, 0.0), 10);
    }
}
