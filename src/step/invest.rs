//! Investment: investors, in a fixed order (by id), screen proposals from startups that seek
//! money and fund the best one they can afford, moving cash from investor to startup.
//!
//! All real investors are simulated with real money and real tickets, and a `startup_scale`
//! sample of startups exists (every startup at the default 1, whatever the firms' `scale`).
//! Below 1 each deal is thinned: it lands on the chosen startup with probability
//! `startup_scale`, otherwise the money goes to a like startup outside the sample (counted in
//! the ledger, not in the regional flows). Weighted up by 1/startup_scale, the expected
//! investment equals the real one, with the full investor landscape present.
//!
//! Sequential by design: investors compete for the same startups, and a fixed order makes the
//! outcome deterministic. The work is small (investors x deal flow per month).

use super::StepCtx;
use crate::model::World;
use crate::model::geo::{CAPITAL, N_REGIONS};
use crate::policy::{Program, flag};
use crate::rng::Stream;
use crate::scenario::{InvestorKind, MoneySource};

/// Reusable buffers for the investment phase.
#[derive(Debug, Default)]
pub struct InvestScratch {
    /// Startups seeking money this month, in row order (listed by `startups::progress`).
    pub seekers: Vec<Seeker>,
    /// Positions in `seekers` by region (filled only when growth funds exist).
    local: Vec<Vec<u32>>,
}

/// What a look at a proposal reads of a seeking startup, gathered once a month: looks land
/// on random seekers, so one record per seeker is one cache line instead of one per column.
/// An unfunded seeker's stage cannot change within the month (only a funded deal moves it).
#[derive(Debug, Clone, Copy)]
pub struct Seeker {
    pub id: u64,
    pub row: u32,
    pub quality: f32,
    pub region: u8,
    pub stage: u8,
    /// Funded this month (a second deal must wait for next month).
    pub funded: bool,
}

/// Per-region investment received this month (agent units).
#[derive(Debug, Default)]
pub struct InvestFlows {
    pub vc_krw: [f64; crate::model::geo::N_REGIONS],
    pub vc_deals: [f64; crate::model::geo::N_REGIONS],
    pub other_krw: [f64; crate::model::geo::N_REGIONS],
    /// Team members hired by funded startups (startup agents' members).
    pub hires: [f64; crate::model::geo::N_REGIONS],
    /// Money by source (agent units, like `vc_krw`): private and public VC (policy funds'
    /// deals split by their fund's public share), angels, TIPS operators (docs/OUTPUTS.md).
    pub vc_private_krw: [f64; crate::model::geo::N_REGIONS],
    pub vc_public_krw: [f64; crate::model::geo::N_REGIONS],
    pub angel_krw: [f64; crate::model::geo::N_REGIONS],
    pub tips_krw: [f64; crate::model::geo::N_REGIONS],
}

/// One month of investment. `scratch.seekers` holds this month's seekers, listed by
/// `startups::progress` just before (nothing changes a startup between the two).
pub fn invest(
    world: &mut World,
    ctx: &StepCtx,
    scratch: &mut InvestScratch,
    free_agents: &mut [f64],
) -> InvestFlows {
    let sp = &ctx.scn.startups;
    let st = &mut world.startups;
    let inv = &mut world.investors;
    let mut flows = InvestFlows::default();
    debug_assert!(
        (scratch.seekers.iter())
            .all(|s| st.status.get(s.row as usize) == Some(&crate::model::startup_status::ACTIVE)),
        "invest needs this month's seekers, listed by startups::progress"
    );

    for k in 0..inv.len() {
        inv.capital_krw[k] += inv.inflow_krw_month[k];
        world.ledger.committed_krw += inv.inflow_krw_month[k];
    }
    if scratch.seekers.is_empty() {
        return flows;
    }
    let n_seekers = scratch.seekers.len() as u64;
    let has_local = inv.local_share.iter().any(|&l| l > 0.0);
    if has_local {
        scratch.local.resize(N_REGIONS, Vec::new());
        scratch.local.iter_mut().for_each(Vec::clear);
        for (pos, s) in scratch.seekers.iter().enumerate() {
            scratch.local[usize::from(s.region)].push(pos as u32);
        }
    }
    // `free_agents` counts firm agents; a startup worker takes `sw / w` of one.
    let sw = ctx.derived.startup_weight;
    let per_worker = sw / ctx.derived.weight;
    let ps = &mut world.policy;
    let tips_kind = ctx.scn.policy.tips.as_ref().map(|t| t.operator_kind);

    for k in 0..inv.len() {
        let kind = &ctx.scn.investors[inv.kind[k] as usize];
        let home = inv.home[k] as usize;
        let inv_id = u64::from(inv.id[k]);
        debug_assert!(kind.deal_flow_per_month < 1 << 16);
        // TIPS operators (policy): while selections are open, a deal is a selection.
        let is_tips = ps.tips_active && tips_kind == Some(inv.kind[k]);
        let relief = if is_tips { ps.tips_relief } else { 0.0 };
        // The score's distance penalty by the startup's region, and the key of this
        // investor's screening draws this month.
        let penalty: [f64; N_REGIONS] = std::array::from_fn(|r| {
            kind.home_bias_per_100km * ctx.derived.distance_km[home][r] / 100.0
                * ps.distance_factor[r]
        });
        let screen = ctx.streams.step_key(Stream::Screening, ctx.step, inv.id[k]);
        let Some((least, most)) = ticket_range(kind, relief) else {
            continue;
        };
        for deal in 0..kind.max_deals_per_month {
            // An investor that cannot afford the smallest ticket it writes would screen and
            // fund no one: skip its looks (draws are keyed, so skipping them moves no other).
            // One that affords the largest needs no test per look.
            if least > inv.capital_krw[k] {
                break;
            }
            let all_fit = most <= inv.capital_krw[k];
            // Growth funds (policy): a `local_share` of deals screen only home-region seekers.
            let pool: Option<&[u32]> = if inv.local_share[k] > 0.0
                && ctx
                    .streams
                    .uniform(Stream::PolicySelect, inv_id, ctx.step, deal)
                    < inv.local_share[k]
            {
                Some(&scratch.local[home])
            } else {
                None
            };
            if pool.is_some_and(|p| p.is_empty()) {
                break;
            }
            let selecting =
                is_tips && ps.tips_left >= 1.0 && ps.fits(Program::Tips, ps.tips_match_krw);
            // Screen `deal_flow` proposals drawn from the seekers (with replacement).
            let mut best: Option<(usize, f64)> = None;
            for look in 0..kind.deal_flow_per_month {
                let b = ctx
                    .streams
                    .bits(Stream::DealFlow, inv_id, ctx.step, (deal << 16) | look);
                let pos = match pool {
                    None => (((b >> 32) * n_seekers) >> 32) as usize,
                    Some(p) => p[(((b >> 32) * p.len() as u64) >> 32) as usize] as usize,
                };
                let s = scratch.seekers[pos];
                if s.funded {
                    continue;
                }
                let stage = s.stage;
                let regional = usize::from(s.region) != CAPITAL;
                if selecting && !regional && ps.tips_capital_left < 1.0 {
                    continue;
                }
                if stage < kind.min_stage
                    || stage > kind.max_stage
                    || (!all_fit && ticket(kind, stage, regional, relief) > inv.capital_krw[k])
                {
                    continue;
                }
                // One assessment per (startup, investor, month): seeing the same proposal
                // twice gives the same view of it.
                let noise =
                    screen.normal(ctx.streams, Stream::Screening, s.id, ctx.step, inv.id[k]);
                let score = f64::from(s.quality) + kind.screening_noise_sd * noise
                    - penalty[usize::from(s.region)];
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((pos, score));
                }
            }
            let Some((pos, score)) = best else { break };
            if score < kind.min_score {
                break;
            }
            let j = scratch.seekers[pos].row as usize;
            let r = st.region[j] as usize;
            let ticket = ticket(kind, st.stage[j], r != CAPITAL, relief);
            inv.capital_krw[k] -= ticket;
            inv.invested_krw[k] += ticket;
            world.ledger.invested_krw += ticket;
            // Deals are real (thinning only decides whether the startup is in the sample), so
            // programme counts and the TIPS match are booked for every deal, in real KRW.
            let mut grant = 0.0;
            if selecting {
                ps.tips_left -= 1.0;
                if r == CAPITAL {
                    ps.tips_capital_left -= 1.0;
                }
                grant = ps.tips_match_krw;
                ps.spend(Program::Tips, r, grant);
                ps.acc[Program::Tips as usize][r].startups_treated += 1.0;
            }
            if inv.program[k] == flag::GROWTH_FUND {
                ps.acc[Program::GrowthFund as usize][r].startups_treated += 1.0;
            }
            // Thinning: the seekers stand for the whole real pool; this deal lands on a startup
            // of the sample with probability `scale`, otherwise on a like one outside it.
            let u = ctx
                .streams
                .uniform(Stream::DealFlow, inv_id, ctx.step, (deal << 16) | 0xFFFF);
            if u >= ctx.scn.startup_scale {
                world.ledger.outside_sample_krw += ticket;
                super::venture::book_deal(&mut world.venture, k, ticket, None, sw);
                continue;
            }
            let public_share = super::venture::book_deal(
                &mut world.venture,
                k,
                ticket,
                Some(&mut st.holding[j]),
                sw,
            );
            scratch.seekers[pos].funded = true;
            world.ledger.received_by_startups_krw += ticket;
            st.cash_krw[j] += ticket + grant;
            st.flags[j] |= inv.program[k] | if selecting { flag::TIPS } else { 0 };
            st.stage[j] = st.stage[j].saturating_add(1);
            // Team growth and the progress boost scale with the round's size (ODD 7.6).
            let size_factor = (ticket / sp.reference_round_krw).powf(sp.round_size_elasticity);
            st.progress[j] += (sp.funding_progress_boost * size_factor) as f32;
            let grow = (f64::from(st.team[j]) * sp.team_growth_per_round * size_factor).round();
            let hire = grow.min((free_agents[r].max(0.0) / per_worker).floor());
            free_agents[r] -= hire * per_worker;
            flows.hires[r] += hire;
            st.team[j] += hire as u32;
            st.burn_krw_month[j] = f64::from(st.team[j]) * sp.burn_per_member_krw_month;
            if kind.counts_as_vc {
                flows.vc_krw[r] += ticket;
                flows.vc_deals[r] += 1.0;
            } else {
                flows.other_krw[r] += ticket;
            }
            match kind.source {
                MoneySource::Vc => {
                    flows.vc_public_krw[r] += ticket * public_share;
                    flows.vc_private_krw[r] += ticket * (1.0 - public_share);
                }
                MoneySource::Angel => flows.angel_krw[r] += ticket,
                MoneySource::Tips => flows.tips_krw[r] += ticket,
                MoneySource::Other => {}
            }
        }
    }
    flows
}

/// The ticket an investor kind writes for a startup at `stage` (the last size for later stages).
fn ticket_for(kind: &InvestorKind, stage: u8) -> f64 {
    let t = &kind.ticket_krw_by_stage;
    t[usize::from(stage).min(t.len() - 1)]
}

/// The smallest and largest [`ticket`] an investor kind writes to any stage it screens, for
/// capital and non-capital startups alike; `None` when it screens no stage.
fn ticket_range(kind: &InvestorKind, relief: f64) -> Option<(f64, f64)> {
    if kind.min_stage > kind.max_stage {
        return None;
    }
    // Stages past the table's end write its last ticket.
    let last = kind.ticket_krw_by_stage.len() - 1;
    let lo = usize::from(kind.min_stage).min(last);
    let hi = usize::from(kind.max_stage).min(last);
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for stage in lo..=hi {
        for regional in [false, true] {
            let t = ticket(kind, stage as u8, regional, relief);
            range = (range.0.min(t), range.1.max(t));
        }
    }
    Some(range)
}

/// [`ticket_for`], cut by `relief` for non-capital startups (TIPS's relaxed minimum).
fn ticket(kind: &InvestorKind, stage: u8, regional: bool, relief: f64) -> f64 {
    let t = ticket_for(kind, stage);
    if regional && relief > 0.0 {
        t * (1.0 - relief)
    } else {
        t
    }
}
