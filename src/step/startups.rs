//! Startups' monthly rules: burn cash, make progress, close when cash runs out, graduate into
//! an SME when progress reaches 1.
//!
//! Startups are few (tens of thousands at full scale), so this runs sequentially in row order.
//!
//! Startups are sampled at `startup_scale` and firms at `scale` (ODD 2.7): a graduation is
//! counted at startup weight, and the graduate becomes a firm agent with probability
//! `scale / startup_scale` (a draw keyed on its id), so firm-population totals stay unbiased.

use super::StepCtx;
use super::invest::Seeker;
use super::venture;
use crate::model::venture::NONE;
use crate::model::{World, startup_status};
use crate::rng::Stream;

/// Per-region counts of this month's startup events (startup agents; `graduate_firms` in firm
/// agents).
#[derive(Debug, Default)]
pub struct StartupEvents {
    pub deaths: [f64; crate::model::geo::N_REGIONS],
    pub graduations: [f64; crate::model::geo::N_REGIONS],
    /// Graduates appended to the firm agents (each stands for `weight` real firms).
    pub graduate_firms: [f64; crate::model::geo::N_REGIONS],
    /// Graduates held by funds (fund exits), their cost and proceeds, and the cost written
    /// off with fund-held startups that died (real KRW; ODD 7.6a).
    pub fund_exits: [f64; crate::model::geo::N_REGIONS],
    pub fund_exit_cost_krw: [f64; crate::model::geo::N_REGIONS],
    pub fund_exit_proceeds_krw: [f64; crate::model::geo::N_REGIONS],
    pub fund_written_off_krw: [f64; crate::model::geo::N_REGIONS],
    /// Team members of the startups still active after the month (startup agents' members).
    pub team: [f64; crate::model::geo::N_REGIONS],
}

/// One month of every active startup. `make_firms`: whether graduates become firm agents
/// (false while the startups settle before the spin-up, ODD 3.3).
///
/// The same row loop lists, in row order, the startups that seek money this month (still
/// active, with less cash than `seek_runway_months` of burn) for `invest`, and sums the
/// active startups' teams by region: one pass over the rows instead of three.
pub fn progress(
    world: &mut World,
    ctx: &StepCtx,
    make_firms: bool,
    seekers: &mut Vec<Seeker>,
) -> StartupEvents {
    let p = &ctx.scn.startups;
    let mut ev = StartupEvents::default();
    let st = &mut world.startups;
    // The step key of the progress noise is the same for every startup: mixed once.
    let noise_key = ctx.streams.step_key(Stream::StartupProgress, ctx.step, 0);
    let one_stop = world.policy.one_stop_progress_month;
    // The columns of the row loop, cut to one length so that it needs no bounds checks.
    let n = st.len();
    let (status, age) = (&st.status[..n], &mut st.age_months[..n]);
    let (cash, burn) = (&mut st.cash_krw[..n], &st.burn_krw_month[..n]);
    let (ids, flags) = (&st.id[..n], &st.flags[..n]);
    let (quality, progress) = (&st.quality[..n], &mut st.progress[..n]);
    let (region, stage, team) = (&st.region[..n], &st.stage[..n], &st.team[..n]);
    let runway = p.seek_runway_months;
    seekers.clear();
    let mut ended = Vec::new();
    for j in 0..n {
        if status[j] != startup_status::ACTIVE {
            continue;
        }
        age[j] = age[j].saturating_add(1);
        cash[j] -= burn[j];
        let z = noise_key.normal(ctx.streams, Stream::StartupProgress, ids[j], ctx.step, 0);
        // One-stop support adds to the drift of the startups it serves (0 without levers).
        let support = if flags[j] & crate::policy::flag::ONE_STOP != 0 {
            one_stop
        } else {
            0.0
        };
        let drift = (p.progress_per_year + p.progress_quality_effect * f64::from(quality[j]))
            / 12.0
            + support;
        progress[j] =
            (f64::from(progress[j]) + drift + p.progress_sd_per_month * z).max(0.0) as f32;
        if cash[j] < 0.0 || progress[j] >= 1.0 {
            ended.push(j);
            continue;
        }
        ev.team[usize::from(region[j])] += f64::from(team[j]);
        if cash[j] < runway * burn[j] {
            seekers.push(Seeker {
                id: ids[j],
                row: j as u32,
                quality: quality[j],
                region: region[j],
                stage: stage[j],
                funded: false,
            });
        }
    }
    // Closures and graduations, in row order: no row's update above depends on them, so
    // the draws and sums happen as in one loop.
    end_startups(world, ctx, &ended, make_firms, &mut ev);
    ev
}

/// The startups of `ended` (rows, in order) whose cash ran out close, those whose progress
/// reached 1 graduate: events and fund exits into `ev`, and, with `make_firms`, graduates
/// kept as firm agents appended to the firms.
fn end_startups(
    world: &mut World,
    ctx: &StepCtx,
    ended: &[usize],
    make_firms: bool,
    ev: &mut StartupEvents,
) {
    let p = &ctx.scn.startups;
    // Probability that a graduate is kept as a firm agent (1 when both scales are equal).
    let keep = ctx.scn.scale / ctx.scn.startup_scale;
    let st = &mut world.startups;
    for &j in ended {
        let r = st.region[j] as usize;
        if st.cash_krw[j] < 0.0 {
            st.status[j] = startup_status::DEAD;
            ev.deaths[r] += 1.0;
            if st.holding[j] != NONE {
                let lost = venture::resolve(&mut world.venture, st.holding[j], None);
                ev.fund_written_off_krw[r] += lost.cost;
            }
        } else if st.progress[j] >= 1.0 {
            st.status[j] = startup_status::GRADUATED;
            ev.graduations[r] += 1.0;
            if st.holding[j] != NONE {
                // An exit (IPO or M&A) at a multiple of cost tied to the startup's quality.
                let m = venture::exit_multiple(
                    ctx.streams,
                    ctx.scn,
                    st.id[j],
                    f64::from(st.quality[j]),
                );
                let exit = venture::resolve(&mut world.venture, st.holding[j], Some(m));
                if exit.cost > 0.0 {
                    ev.fund_exits[r] += 1.0;
                    ev.fund_exit_cost_krw[r] += exit.cost;
                    ev.fund_exit_proceeds_krw[r] += exit.proceeds;
                }
            }
            if !make_firms {
                continue;
            }
            if keep < 1.0 && ctx.streams.uniform(Stream::GraduateSample, st.id[j], 0, 0) >= keep {
                continue;
            }
            ev.graduate_firms[r] += 1.0;
            let team = st.team[j].max(1);
            let log_scale =
                (team as f64).ln() + p.graduation_scale_quality_effect * f64::from(st.quality[j]);
            let id = crate::model::graduate_id(st.id[j]);
            let high_growth = graduate_high_growth(ctx, id, f64::from(st.quality[j]));
            world.firms.push(
                id,
                st.region[j],
                st.sector[j],
                0,
                team,
                log_scale as f32,
                0.0,
                st.cash_krw[j] as f32,
                st.flags[j],
                high_growth,
            );
        }
    }
}

/// The high-growth phase of a graduate's firm (ODD 7.5): as for any entrant (7.7), except that
/// the share with a phase is `high_growth_share x exp(graduate_high_growth_quality_effect q)`
/// (at most 1), so the graduate's quality sets how likely it is to grow fast. The same draws
/// as `high_growth_until` (FirmInit k = 4, 5): at `q = 0` the phase is an entrant's.
fn graduate_high_growth(ctx: &StepCtx, id: u64, quality: f64) -> u16 {
    let fp = &ctx.scn.firms;
    let effect = ctx.scn.startups.graduate_high_growth_quality_effect;
    let share = (fp.high_growth_share * (effect * quality).exp()).min(1.0);
    if ctx.streams.uniform(Stream::FirmInit, id, 0, 4) >= share {
        return 0;
    }
    let always = crate::scenario::FirmParams {
        high_growth_share: 1.0,
        ..fp.clone()
    };
    crate::model::high_growth_until(ctx.streams, &always, id)
}
