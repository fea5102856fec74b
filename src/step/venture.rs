//! The venture market's rules (ODD 7.6a): in January VC managers raise funds with the year's
//! private commitments, which respond to the funds' realised returns and to public money in
//! policy parent funds; a fund's deals become holdings; a portfolio startup's graduation is an
//! exit at a multiple of cost tied to its quality, its death a write-off, and funds past their
//! life sell what they still hold at cost.
//!
//! Sequential and small (hundreds of funds, a few thousand deals a year).

use crate::model::venture::{NONE, Venture};
use crate::model::{World, startup_status};
use crate::rng::{Stream, Streams};
use crate::scenario::Scenario;

/// Whether investor row `k` is a market VC manager (raises funds from private commitments).
fn is_market_manager(world: &World, scn: &Scenario, k: usize) -> bool {
    world.investors.program[k] == 0
        && scn.investors[usize::from(world.investors.kind[k])].counts_as_vc
}

/// The start of a venture month (settling, spin-up and reported months alike): in January
/// the year's funds are raised. `reported`: a month of the reported years (commitments
/// respond to returns and public money only then).
pub fn begin_month(world: &mut World, scn: &Scenario, reported: bool) {
    let v = &mut world.venture;
    if v.month == 0 {
        v.first_year =
            scn.start_year - scn.spinup_years as i32 - scn.startups.settle_years.round() as i32;
    }
    if v.month.is_multiple_of(12) {
        january(world, scn, reported);
    }
    world.venture.month += 1;
}

/// The realised multiple over the last `window` complete years: exit proceeds (and sales at
/// cost) per KRW of holdings resolved; NaN when nothing was resolved.
pub fn realised_multiple(v: &Venture, window: usize) -> f64 {
    let n = v.proceeds_by_year.len();
    let from = n.saturating_sub(window);
    let proceeds: f64 = v.proceeds_by_year[from..].iter().sum();
    let cost: f64 = v.resolved_cost_by_year[from..].iter().sum();
    if cost > 0.0 {
        proceeds / cost
    } else {
        f64::NAN
    }
}

/// A factor on private commitments: `(value / reference)^elasticity`, 1 when either is
/// undefined or the ratio not positive (ODD 7.6a; the realised multiple, the deal flow).
pub fn commitment_factor(multiple: f64, reference: f64, elasticity: f64) -> f64 {
    let ratio = multiple / reference;
    if ratio.is_finite() && ratio > 0.0 {
        ratio.powf(elasticity)
    } else {
        1.0
    }
}

fn january(world: &mut World, scn: &Scenario, reported: bool) {
    let p = &scn.venture;
    let invest_years = p.fund_investment_years.round().max(1.0) as u32;
    let y = world.venture.month / 12;
    let year = world.venture.year();
    let n_inv = world.investors.len();
    if world.venture.current_fund.len() < n_inv {
        world.venture.current_fund.resize(n_inv, NONE);
    }
    sell_old_holdings(world, year, p.fund_life_years.round() as i32);

    // Commitments respond to the realised multiple of the complete years of the window and
    // to the deal flow on offer (active startups), both relative to the first reported year.
    let startups = world
        .startups
        .status
        .iter()
        .filter(|&&s| s == startup_status::ACTIVE)
        .count() as f64;
    let v = &mut world.venture;
    let multiple = realised_multiple(v, p.return_window_years.round() as usize);
    if reported && !v.referenced {
        v.reference_multiple = multiple;
        v.reference_startups = startups;
        v.referenced = true;
    }
    let factor = if reported {
        commitment_factor(multiple, v.reference_multiple, p.return_elasticity)
            * commitment_factor(startups, v.reference_startups, p.deal_flow_elasticity)
    } else {
        1.0
    };
    let public = if reported { v.public_krw_year } else { 0.0 };
    v.public_krw_year = 0.0;
    v.proceeds_by_year.push(0.0);
    v.resolved_cost_by_year.push(0.0);

    let vc_total: f64 = scn
        .investors
        .iter()
        .filter(|k| k.counts_as_vc)
        .map(|k| k.annual_commitment_krw)
        .sum();
    let mut managers = vec![0u32; scn.investors.len()];
    for k in 0..n_inv {
        if is_market_manager(world, scn, k) {
            managers[usize::from(world.investors.kind[k])] += 1;
        }
    }
    for k in 0..n_inv {
        if !is_market_manager(world, scn, k) {
            continue;
        }
        let phase = world.investors.id[k] % invest_years;
        // A manager raises a fund every `invest_years` years, staggered by id; at the
        // market's first January every manager starts with one raised `phase` years ago.
        let raises = (y + phase).is_multiple_of(invest_years);
        if !(raises || y == 0) {
            continue;
        }
        let kind_ix = usize::from(world.investors.kind[k]);
        let kind = &scn.investors[kind_ix];
        let crowd = if vc_total > 0.0 {
            p.crowding_per_public_krw * public * kind.annual_commitment_krw / vc_total
        } else {
            0.0
        };
        let commitments = (kind.annual_commitment_krw * factor + crowd).max(0.0);
        let size = commitments * f64::from(invest_years) / f64::from(managers[kind_ix]);
        let vintage = if raises { year } else { year - phase as i32 };
        let home = world.investors.home[k];
        world.venture.raise(k, home, vintage, size, 0.0);
        world.investors.inflow_krw_month[k] = size / (12.0 * f64::from(invest_years));
    }
}

/// Funds past their life sell their remaining holdings at cost (a secondary sale: proceeds
/// equal cost), so every holding is resolved within `life` years of its fund's vintage.
fn sell_old_holdings(world: &mut World, year: i32, life: i32) {
    let st = &world.startups;
    let v = &mut world.venture;
    let mut sold = 0.0;
    for j in 0..st.len() {
        if st.status[j] != startup_status::ACTIVE {
            continue;
        }
        let mut h = st.holding[j];
        while h != NONE {
            let hi = h as usize;
            let f = v.holdings.fund[hi];
            if f != NONE && v.funds.vintage[f as usize] + life <= year {
                let cost = v.holdings.cost_krw[hi];
                v.funds.distributed_krw[f as usize] += cost;
                v.holdings.fund[hi] = NONE;
                sold += cost;
            }
            h = v.holdings.next[hi];
        }
    }
    if let (Some(p), Some(c)) = (
        v.proceeds_by_year.last_mut(),
        v.resolved_cost_by_year.last_mut(),
    ) {
        *p += sold;
        *c += sold;
    }
}

/// Books a deal of investor row `k` (ticket `ticket`, real KRW) to its current fund; with
/// `startup` (the startup's row and head of its holdings) the deal landed in the sample and
/// becomes a holding of cost `ticket * startup_weight`. Returns the deal's public share.
pub fn book_deal(
    v: &mut Venture,
    k: usize,
    ticket: f64,
    startup: Option<&mut u32>,
    startup_weight: f64,
) -> f64 {
    let f = v.current_fund.get(k).copied().unwrap_or(NONE);
    if f == NONE {
        return 0.0;
    }
    let fi = f as usize;
    v.funds.invested_krw[fi] += ticket;
    if let Some(head) = startup {
        let h = v.holdings.fund.len() as u32;
        v.holdings.fund.push(f);
        v.holdings.cost_krw.push(ticket * startup_weight);
        v.holdings.next.push(*head);
        *head = h;
    }
    let size = v.funds.size_krw[fi];
    if size > 0.0 {
        v.funds.public_krw[fi] / size
    } else {
        0.0
    }
}

/// What resolving a startup's holdings returned: proceeds and the cost resolved (real KRW).
#[derive(Debug, Default, Clone, Copy)]
pub struct Resolved {
    pub proceeds: f64,
    pub cost: f64,
}

/// Resolves the holdings listed from `head`: at `multiple` of cost (an exit) or written off
/// (`None`). Holdings already sold (fund `NONE`) are skipped.
pub fn resolve(v: &mut Venture, head: u32, multiple: Option<f64>) -> Resolved {
    let mut out = Resolved::default();
    let mut h = head;
    while h != NONE {
        let hi = h as usize;
        let f = v.holdings.fund[hi];
        if f != NONE {
            let cost = v.holdings.cost_krw[hi];
            let fi = f as usize;
            match multiple {
                Some(m) => v.funds.distributed_krw[fi] += cost * m,
                None => v.funds.written_off_krw[fi] += cost,
            }
            out.proceeds += cost * multiple.unwrap_or(0.0);
            out.cost += cost;
            v.holdings.fund[hi] = NONE;
        }
        h = v.holdings.next[hi];
    }
    if out.cost > 0.0
        && let (Some(p), Some(c)) = (
            v.proceeds_by_year.last_mut(),
            v.resolved_cost_by_year.last_mut(),
        )
    {
        *p += out.proceeds;
        *c += out.cost;
    }
    out
}

/// The exit multiple of a graduating startup with id `id` and quality `q` (ODD 7.6a):
/// `exit_multiple * exp(effect * q + sd * z - sd^2 / 2)`, `z = normal(FundExit, id, 0, 0)`.
pub fn exit_multiple(streams: &Streams, scn: &Scenario, id: u64, q: f64) -> f64 {
    let p = &scn.venture;
    let z = streams.normal(Stream::FundExit, id, 0, 0);
    let sd = p.exit_multiple_sd;
    p.exit_multiple * (p.exit_multiple_quality_effect * q + sd * z - sd * sd / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitments_follow_the_realised_multiple_relative_to_the_start() {
        assert!((commitment_factor(2.2, 2.0, 0.5) - 1.1f64.sqrt()).abs() < 1e-12);
        assert_eq!(commitment_factor(1.0, 2.0, 0.0), 1.0);
        assert!(commitment_factor(1.0, 2.0, 1.0) == 0.5);
        // Undefined multiples (no exits yet) leave commitments at their base.
        assert_eq!(commitment_factor(f64::NAN, 2.0, 0.5), 1.0);
        assert_eq!(commitment_factor(2.0, f64::NAN, 0.5), 1.0);
        assert_eq!(commitment_factor(0.0, 2.0, 0.5), 1.0);
    }

    #[test]
    fn a_startup_resolves_each_holding_once_and_books_it_to_its_fund() {
        let mut v = Venture::default();
        v.proceeds_by_year.push(0.0);
        v.resolved_cost_by_year.push(0.0);
        let a = v.raise(0, 0, 2020, 100.0, 0.0) as usize;
        let b = v.raise(1, 3, 2021, 50.0, 20.0) as usize;
        let mut head = NONE;
        assert_eq!(book_deal(&mut v, 0, 10.0, Some(&mut head), 1.0), 0.0);
        // A policy fund's deal carries its public share.
        assert!((book_deal(&mut v, 1, 5.0, Some(&mut head), 1.0) - 0.4).abs() < 1e-12);
        // A thinned deal is invested but not held.
        book_deal(&mut v, 1, 7.0, None, 1.0);
        assert_eq!(v.funds.invested_krw[a], 10.0);
        assert_eq!(v.funds.invested_krw[b], 12.0);
        let r = resolve(&mut v, head, Some(3.0));
        assert_eq!((r.cost, r.proceeds), (15.0, 45.0));
        assert_eq!(v.funds.distributed_krw[a], 30.0);
        assert_eq!(v.funds.distributed_krw[b], 15.0);
        assert_eq!(realised_multiple(&v, 3), 3.0);
        // Resolving again (a death after the exit cannot happen, but the list is spent).
        let again = resolve(&mut v, head, None);
        assert_eq!((again.cost, again.proceeds), (0.0, 0.0));
        assert_eq!(v.funds.written_off_krw[a] + v.funds.written_off_krw[b], 0.0);
    }

    #[test]
    fn the_realised_multiple_uses_only_the_window_and_is_undefined_without_exits() {
        let mut v = Venture::default();
        assert!(realised_multiple(&v, 3).is_nan());
        for (p, c) in [(100.0, 10.0), (2.0, 1.0), (6.0, 3.0), (0.0, 1.0)] {
            v.proceeds_by_year.push(p);
            v.resolved_cost_by_year.push(c);
        }
        assert_eq!(realised_multiple(&v, 3), 8.0 / 5.0);
        assert_eq!(realised_multiple(&v, 10), 108.0 / 15.0);
    }
}
