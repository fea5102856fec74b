//! Entry: new SMEs and new startups per region each month.
//!
//! Expected real births scale with the region's working-age (firms) or young (startups)
//! population relative to the start, and firm entry with the conditions of the region's
//! markets (crowding, shocks: free entry, ODD 7.7); the number of agents born is a Poisson draw
//! with mean `expected * scale` (firms) or `expected * startup_scale` (startups), keyed by
//! (region, step). Founders come from the free labour
//! pool. In the spin-up, firm entrants replace the month's exits instead (ODD 3.3).

use super::StepCtx;
use crate::model::geo::N_REGIONS;
use crate::model::geo::N_SECTORS;
use crate::model::{
    AGE_15_39, AGE_40_64, StartupSeed, World, birth_id, cdf, high_growth_until, pick, push_startup,
};
use crate::policy::{Program, flag};
use crate::rng::Stream;
use rand_distr::{Distribution, Poisson};

const LOCAL: Program = Program::LocalEntrepreneurs;

/// Agents born this month by region.
#[derive(Debug, Default)]
pub struct Births {
    pub firms: [f64; N_REGIONS],
    pub startups: [f64; N_REGIONS],
}

fn poisson_draw(ctx: &StepCtx, stream: Stream, region: usize, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let mut rng = ctx.streams.chacha(stream, region as u64, ctx.step);
    Poisson::new(mean)
        .map(|d| d.sample(&mut rng) as u64)
        .unwrap_or(0)
}

/// Births of one month. `replace` (spin-up only): the number of firm entrants per region, in
/// agents, instead of the Poisson draw.
pub fn enter(
    world: &mut World,
    ctx: &StepCtx,
    free_agents: &mut [f64],
    replace: Option<&[f64; N_REGIONS]>,
) -> Births {
    let fp = &ctx.scn.firms;
    let mut births = Births::default();
    for r in 0..N_REGIONS {
        let pop = &world.regions.population[r];
        let working_age = pop[AGE_15_39] + pop[AGE_40_64];
        let pop_factor = (working_age / ctx.derived.working_age0[r]).powf(fp.birth_pop_elasticity);
        let base = ctx.derived.firm_births_month[r] * pop_factor * ctx.scn.scale;
        let weight = entry_weights(world, ctx, r, base);
        let attract: f64 = weight.iter().sum();
        let entrant_cdf = if attract > 0.0 {
            cdf(&weight)
        } else {
            ctx.derived.sector_cdf[r]
        };
        let n = match replace {
            Some(counts) => counts[r].round() as u64,
            None => {
                let mean = base * attract;
                poisson_draw(ctx, Stream::FirmBirths, r, mean)
            }
        }
        .min(free_agents[r].max(0.0) as u64);
        free_agents[r] -= n as f64;
        for j in 0..n {
            let id = birth_id(ctx.step, r, j) | ctx.id_base;
            let e = id;
            let sector = pick(&entrant_cdf, ctx.streams.uniform(Stream::FirmInit, e, 0, 1));
            let z = ctx.streams.normal(Stream::FirmInit, e, 0, 3);
            let log_scale = fp.entrant_scale_median.ln() + fp.entrant_scale_sd * z;
            let cost =
                world.regions.wage_krw_month[r] + ctx.derived.fixed_cost_krw_month[r][sector];
            world.firms.push(
                id,
                r as u8,
                sector as u8,
                0,
                1,
                log_scale as f32,
                0.0,
                (fp.initial_cash_months * cost) as f32,
                0,
                high_growth_until(ctx.streams, fp, id),
            );
        }
        births.firms[r] = n as f64;

        births.startups[r] = startups_born(world, ctx, free_agents, r);
    }
    births
}

/// Each market's weight in region `r`'s firm entry (ODD 7.7 step 1), `base` being the region's
/// usual entrants a month (agents). Free entry: a market's share of the entrants, and their
/// number, rise with the room it has (crowding^eta) and fall with shocks (the sector shares at
/// the start and in the spin-up). A market's expected entrants, `base x weight`, are at most
/// its usual ones plus its whole shortfall of firms `max(Nref - N, 0)`: entry refills a market
/// that lost firms, it does not overshoot it.
fn entry_weights(world: &World, ctx: &StepCtx, r: usize, base: f64) -> [f64; N_SECTORS] {
    let eta = ctx.scn.firms.entry_profit_elasticity;
    let mut weight = [0.0; N_SECTORS];
    let mut prev = 0.0;
    for s in 0..N_SECTORS {
        let share = ctx.derived.sector_cdf[r][s] - prev;
        prev = ctx.derived.sector_cdf[r][s];
        if ctx.spinup {
            weight[s] = share;
            continue;
        }
        let firms_ref = ctx.derived.firms_ref[r][s];
        let shortfall = (firms_ref - world.market.firms[r][s]).max(0.0);
        let (room, shock) = super::market::entry_pull(world, firms_ref, r, s, eta);
        let refill = if base > 0.0 {
            share + shortfall / base
        } else {
            f64::INFINITY
        };
        weight[s] = if share * room <= refill {
            share * (room * shock)
        } else {
            refill * shock
        };
    }
    weight
}

/// Startup births of one month in region `r` (ODD 7.7 step 2): the market's Poisson births and
/// the local-entrepreneur founders (policy), staffed from `free_agents` (firm agents; a
/// startup worker takes `startup_weight / weight` of one). Returns the startups born.
pub fn startups_born(world: &mut World, ctx: &StepCtx, free_agents: &mut [f64], r: usize) -> f64 {
    let sp = &ctx.scn.startups;
    let pop = &world.regions.population[r];
    let youth_factor = pop[AGE_15_39] / ctx.derived.youth0[r];
    let ps = &world.policy;
    let mean = ctx.derived.startup_births_month[r]
        * youth_factor
        * ctx.scn.startup_scale
        * ps.startup_birth_mult[r];
    let team = sp.initial_team.round().max(1.0);
    // `free_agents` counts firm agents; a startup worker takes `sw / w` of one.
    let sw = ctx.derived.startup_weight;
    let per_worker = sw / ctx.derived.weight;
    let can_staff = (free_agents[r].max(0.0) / (team * per_worker)) as u64;
    let n = poisson_draw(ctx, Stream::StartupBirths, r, mean).min(can_staff);
    // Local entrepreneurs (policy): extra founders after the market's births, each with a
    // grant, as long as the programme's money lasts.
    let extra = if ps.founders_month[r] > 0.0 {
        let u = ctx
            .streams
            .uniform(Stream::PolicyDraw, 100 + r as u64, ctx.step, 0);
        crate::policy::apply::agents_for(
            ps.founders_month[r],
            ctx.scn.startup_scale,
            u,
            ps.founder_grant_krw,
            sw,
            ps.left_krw[LOCAL as usize],
        )
        .min(can_staff - n)
    } else {
        0
    };
    let (quality_shift, birth_flags, grant) = (
        ps.startup_quality_shift[r],
        ps.startup_birth_flags[r],
        ps.founder_grant_krw,
    );
    free_agents[r] -= (n + extra) as f64 * team * per_worker;
    let sector_cdf = cdf(&ctx.scn.regions[r].sector_mix);
    for j in 0..n + extra {
        let id = birth_id(ctx.step, r, j) | ctx.id_base;
        let e = id;
        let burn = team * sp.burn_per_member_krw_month;
        push_startup(
            &mut world.startups,
            ctx.scn,
            StartupSeed {
                id,
                region: r as u8,
                sector: pick(
                    &sector_cdf,
                    ctx.streams.uniform(Stream::StartupInit, e, 0, 4),
                ) as u8,
                quality: (ctx.streams.normal(Stream::StartupInit, e, 0, 5) + quality_shift) as f32,
                stage: 0,
                age: 0,
                progress: 0.0,
                runway_months: sp.seed_cash_krw / burn,
            },
        );
        let mut flags = birth_flags;
        if j >= n {
            flags |= flag::LOCAL_ENTREPRENEUR;
            *world.startups.cash_krw.last_mut().expect("just pushed") += grant;
            world.policy.spend(LOCAL, r, grant * sw);
            world.policy.acc[LOCAL as usize][r].startups_treated += sw;
        }
        *world.startups.flags.last_mut().expect("just pushed") = flags;
        if flags & flag::HUB_CITY != 0 {
            world.policy.acc[Program::HubCities as usize][r].startups_treated += sw;
        }
        if flags & flag::ONE_STOP != 0 {
            world.policy.acc[Program::OneStop as usize][r].startups_treated += sw;
        }
    }
    (n + extra) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::init_world;
    use crate::rng::Streams;
    use crate::scenario::Scenario;

    /// A market that lost most of its firms pulls at most its usual entrants plus its
    /// shortfall (before the cap, eta = 8 made a market at a fifth of its firms pull 390,625
    /// times its share: a region's births of a year in a month); a small shortfall keeps the
    /// uncapped pull.
    #[test]
    fn entry_refills_a_shortfall_without_overshooting_it() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
        let scn = Scenario::load(&path, &["scale=0.01".to_string()]).expect("baseline loads");
        let streams = Streams::new(1);
        let (mut world, derived) = init_world(&scn, &streams);
        let ctx = super::super::ctx_for(&world, &scn, &derived, &streams, super::super::Mode::Run);
        let r = 6;
        let share0 = derived.sector_cdf[r][0];
        let firms_ref = derived.firms_ref[r][0];
        let base = 2.0;
        // 10% short: the pull (1 / 0.9)^8 = 2.32, far below the refill cap.
        world.market.firms[r][0] = 0.9 * firms_ref;
        let w = entry_weights(&world, &ctx, r, base);
        let room = (1.0f64 / 0.9).powf(scn.firms.entry_profit_elasticity);
        assert!(
            (w[0] / share0 - room).abs() < 1e-9,
            "{} vs {room}",
            w[0] / share0
        );
        // A fifth of its firms left: expected entrants = usual + the whole shortfall.
        world.market.firms[r][0] = 0.2 * firms_ref;
        let w = entry_weights(&world, &ctx, r, base);
        let entrants = base * w[0];
        let cap = base * share0 + 0.8 * firms_ref;
        assert!((entrants - cap).abs() < 1e-9 * cap, "{entrants} vs {cap}");
        assert!(
            base * share0 * (5.0f64).powf(8.0) > 1e3 * cap,
            "the cap binds"
        );
        // Over-full markets are untouched by the cap.
        world.market.firms[r][0] = 1.5 * firms_ref;
        let w = entry_weights(&world, &ctx, r, base);
        assert!(w[0] < share0);
    }
}
