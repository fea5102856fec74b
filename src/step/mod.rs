//! One month of the model, in the order of ODD section 3 ("Process overview and scheduling").
//!
//! `step_month` takes the world as `&mut` and everything else as `&`; the [`Pipeline`] owns
//! only reusable scratch buffers and phase timings. One file per submodel:
//!
//! | order | submodel | file |
//! |---|---|---|
//! | 0 | policy (levers: shocks; in January budgets and selections) | `policy/apply.rs` |
//! | 1 | demand | this file (`update_demand`) |
//! | 2 | plan (productivity shock, hiring plan) | `produce.rs` |
//! | 2a | market (crowding of each region-sector market) | `market.rs` |
//! | 3 | ration (labour pool) | `labour.rs` |
//! | 4 | operate (hire, produce, exit, relocate) | `produce.rs` |
//! | 5 | startups (burn, progress, close, graduate) | `startups.rs` |
//! | 6 | invest | `invest.rs` |
//! | 7 | enter (firm and startup births) | `enter.rs` |
//! | 8 | wages | `labour.rs` |
//! | December | mid-sized check, demography (ageing), migration | this file, `demography.rs` |
//!
//! [`spin_up_month`] runs the same schedule on a frozen calendar (ODD 3.3): no levers, no
//! trend, prices and wages, population and migration; entry replaces exits.

pub mod demography;
pub mod enter;
pub mod invest;
pub mod labour;
pub mod market;
pub mod network;
pub mod produce;
pub mod startups;
pub(crate) mod sums;
pub mod venture;

use crate::model::geo::{N_REGIONS, N_SECTORS};
use crate::model::{Derived, World, status};
use crate::rng::Streams;
use crate::scenario::Scenario;
use produce::{FirmRules, OperateAcc, PlanAcc};
use std::time::{Duration, Instant};

/// Names of the timed phases, in schedule order; `network` (1a, between demand and plan)
/// is listed last so the others keep their indices.
pub const PHASES: [&str; 8] = [
    "demand", "plan", "operate", "startups", "invest", "enter", "year_end", "network",
];

/// Index of the network pass in [`PHASES`].
const NETWORK_PHASE: usize = 7;

/// Everything a phase may read during one step. Built once per step.
pub struct StepCtx<'a> {
    pub scn: &'a Scenario,
    pub derived: &'a Derived,
    pub streams: &'a Streams,
    /// The month's key of random draws: `world.step`, or the spin-up month (with the spin-up's
    /// streams).
    pub step: u32,
    /// Bits or-ed into the ids of agents born this month (`SPINUP_ID_BIT` in the spin-up).
    pub id_base: u64,
    /// Whether this is a spin-up month (ODD 3.3).
    pub spinup: bool,
    pub rules: FirmRules,
    /// Monthly drift of log scale by region and sector: the sector's drift plus any policy
    /// bonus (key industries; exactly the sector's drift without levers).
    pub drift: [[f32; N_SECTORS]; N_REGIONS],
    /// Real demand x (real wage / start wage)^-elasticity: multiplies desired employment.
    pub labour_mult: [[f32; N_SECTORS]; N_REGIONS],
    /// Monthly sales per unit of scale (sales level / 12 x demand x price level).
    pub sales_month: [[f32; N_SECTORS]; N_REGIONS],
    pub wage: [f32; N_REGIONS],
    pub fixed_cost: [[f32; N_SECTORS]; N_REGIONS],
    /// Share of wanted hires each region can fill this month.
    pub ration: [f32; N_REGIONS],
    /// `exp(kappa * mean log scale_rs) * A_rs^-kappa`: the market part of the exit hazard's
    /// performance factor (set by `market::crowd`; ODD 7.4).
    pub exit_mult: [[f32; N_SECTORS]; N_REGIONS],
    pub relocation_cdf: &'a [[f64; N_REGIONS]; N_REGIONS],
}

/// Scratch buffers reused across steps, and the time spent in each phase.
#[derive(Debug, Default)]
pub struct Pipeline {
    plan_acc: Vec<PlanAcc>,
    operate_acc: Vec<OperateAcc>,
    invest: invest::InvestScratch,
    /// Wall time per phase (same order as [`PHASES`]).
    pub timings: [Duration; PHASES.len()],
    /// Wall time per part of the network phase (same order as [`network::PARTS`]).
    pub network_timings: [Duration; network::PARTS.len()],
    /// Firm rows stepped (alive or not), for throughput figures.
    pub firm_rows_stepped: u64,
}

fn firm_rules(scn: &Scenario) -> FirmRules {
    let f = &scn.firms;
    FirmRules {
        shock_sd: f.shock_sd_per_month as f32,
        jump_p: f.jump_probability_per_month as f32,
        jump_scale: f.jump_scale as f32,
        size_beta: f.size_volatility_exponent as f32,
        band: f.adjustment_band_workers as f32,
        hire_speed: f.hire_speed_per_month as f32,
        fire_speed: f.fire_speed_per_month as f32,
        theta: f.understaffing_elasticity as f32,
        exit_loss_months: f.exit_loss_months.round().clamp(1.0, 255.0) as u8,
        buffer_months: f.cash_buffer_months as f32,
        perf_elasticity: f.exit_performance_elasticity as f32,
        high_growth_drift: (f.high_growth_drift_per_year / 12.0) as f32,
        half_shock_var: ((f.shock_sd_per_month.powi(2)
            + f.jump_probability_per_month * 2.0 * f.jump_scale.powi(2))
            / 2.0) as f32,
        relocation_p: (f.relocation_rate_per_year / 12.0) as f32,
        drift: std::array::from_fn(|s| (scn.sectors[s].scale_drift_per_year / 12.0) as f32),
        va_share: std::array::from_fn(|s| (1.0 - scn.sectors[s].materials_share) as f32),
    }
}

/// Submodel 1: real demand by region and sector: sector trend growth, times local demand (the
/// real regional wage bill relative to the start, for services only).
fn update_demand(world: &mut World, scn: &Scenario, derived: &Derived) {
    // The calendar: frozen at January of the start year during the spin-up (world.step = 0).
    let t_years = f64::from(world.step) / 12.0;
    let price = scn.price_level(world.step);
    for r in 0..N_REGIONS {
        let bill = world.regions.employment[r] * world.regions.wage_krw_month[r] / price;
        let local = (bill / derived.wage_bill0[r]).powf(scn.labour.local_demand_elasticity);
        for s in 0..N_SECTORS {
            let trend = (scn.sectors[s].demand_growth_per_year * t_years).exp();
            let is_local = crate::model::geo::SECTOR_IDS[s] == "services";
            world.regions.demand[r][s] =
                trend * if is_local { local } else { 1.0 } * world.policy.demand_mult[r][s];
        }
    }
}

/// Builds the read-only context of one step (public for benchmarks of single phases).
pub fn ctx<'a>(
    world: &World,
    scn: &'a Scenario,
    derived: &'a Derived,
    streams: &'a Streams,
) -> StepCtx<'a> {
    ctx_for(world, scn, derived, streams, Mode::Run)
}

/// Whether a month is reported or belongs to the spin-up (ODD 3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    /// Spin-up month `k` (0-based): draws keyed by `k` on the spin-up's streams, the calendar
    /// frozen at `world.step = 0`.
    SpinUp(u32),
}

fn ctx_for<'a>(
    world: &World,
    scn: &'a Scenario,
    derived: &'a Derived,
    streams: &'a Streams,
    mode: Mode,
) -> StepCtx<'a> {
    let eps = scn.firms.wage_elasticity;
    let price = scn.price_level(world.step);
    let mut labour_mult = [[0.0; N_SECTORS]; N_REGIONS];
    let mut sales_month = [[0.0; N_SECTORS]; N_REGIONS];
    let mut fixed_cost = [[0.0; N_SECTORS]; N_REGIONS];
    let mut wage = [0.0; N_REGIONS];
    for r in 0..N_REGIONS {
        let w = world.regions.wage_krw_month[r];
        wage[r] = w as f32;
        let wage_factor = (w / price / derived.wage0[r]).powf(-eps);
        for s in 0..N_SECTORS {
            let d = world.regions.demand[r][s];
            // Firms plan on last month's crowding of their market (ODD 7.2 step 4).
            labour_mult[r][s] = (d * wage_factor * world.market.crowding[r][s]) as f32;
            // Supply shocks cut what firms can sell, not what they plan to employ.
            sales_month[r][s] = (derived.sales_level_krw_year[r][s] / 12.0
                * d
                * price
                * world.policy.supply_mult[r][s]) as f32;
            fixed_cost[r][s] = (derived.fixed_cost_krw_month[r][s] * price) as f32;
        }
    }
    let rules = firm_rules(scn);
    let drift = std::array::from_fn(|r| {
        std::array::from_fn(|s| {
            // The spin-up finds the stationary drift; the sector's own trend applies after it.
            let trend = if mode == Mode::Run {
                rules.drift[s]
            } else {
                0.0
            };
            trend
                + (derived.drift_adjust_per_year[s] / 12.0) as f32
                + world.policy.drift_bonus_month[r][s]
        })
    });
    let (step, id_base, spinup) = match mode {
        Mode::Run => (world.step, 0, false),
        Mode::SpinUp(k) => (k, crate::model::SPINUP_ID_BIT, true),
    };
    StepCtx {
        scn,
        derived,
        streams,
        step,
        id_base,
        spinup,
        rules,
        drift,
        labour_mult,
        sales_month,
        wage,
        fixed_cost,
        ration: [1.0; N_REGIONS],
        exit_mult: [[1.0; N_SECTORS]; N_REGIONS],
        relocation_cdf: &derived.relocation_cdf,
    }
}

/// Advances the world by one month. In December, also runs the yearly submodels; the caller
/// observes the year and then calls [`close_year`].
pub fn step_month(
    world: &mut World,
    scn: &Scenario,
    derived: &Derived,
    streams: &Streams,
    pipe: &mut Pipeline,
) {
    month(world, scn, derived, streams, pipe, Mode::Run);
}

/// One spin-up month `k` (ODD 3.3): `streams` are the spin-up's. Returns the firm entrants of
/// the month by region (real units), which replace that month's exits net of graduations.
pub fn spin_up_month(
    world: &mut World,
    scn: &Scenario,
    derived: &Derived,
    streams: &Streams,
    pipe: &mut Pipeline,
    k: u32,
) -> [f64; N_REGIONS] {
    month(world, scn, derived, streams, pipe, Mode::SpinUp(k))
}

fn month(
    world: &mut World,
    scn: &Scenario,
    derived: &Derived,
    streams: &Streams,
    pipe: &mut Pipeline,
    mode: Mode,
) -> [f64; N_REGIONS] {
    let w = derived.weight;
    // Startups, their teams and deals are weighted by their own weight (ODD 2.7); `free` is
    // in firm agents, so a startup worker takes `sw / w` of it.
    let sw = derived.startup_weight;
    let spinup = mode != Mode::Run;
    let mut clock = Instant::now();
    let mut lap = |pipe: &mut Pipeline, phase: usize| {
        let now = Instant::now();
        pipe.timings[phase] += now - clock;
        clock = now;
    };

    let levers = scn.policy.is_active() && !spinup;
    if levers {
        crate::policy::apply::begin_month(world, scn, derived, streams);
    }
    venture::begin_month(world, scn, !spinup);
    update_demand(world, scn, derived);
    let mut ctx = ctx_for(world, scn, derived, streams, mode);
    lap(pipe, 0);
    network::month(world, &ctx, &mut pipe.network_timings);
    lap(pipe, NETWORK_PHASE);
    let mut free: [f64; N_REGIONS] = std::array::from_fn(|r| {
        (labour::sme_pool(&world.regions, r, &scn.labour) - world.regions.employment[r]) / w
    });
    lap(pipe, 0);

    let planned = produce::plan(&mut world.firms, &ctx, &mut pipe.plan_acc);
    market::crowd(world, &mut ctx, &planned);
    for r in 0..N_REGIONS {
        ctx.ration[r] = labour::ration(free[r], planned.hires[r], planned.hiring_firms[r]);
    }
    lap(pipe, 1);

    let op = produce::operate(&mut world.firms, &ctx, &mut pipe.operate_acc);
    pipe.firm_rows_stepped += world.firms.len() as u64;
    lap(pipe, 2);

    let ev = startups::progress(world, &ctx, true, &mut pipe.invest.seekers);
    let startup_team = ev.team;
    // Graduates keep their team: they move from the startup count to the firm count (those
    // kept as firm agents, at firm weight: unbiased for the graduates' teams at startup weight).
    let mut grad_emp = [0.0; N_REGIONS];
    let grads_from = world.firms.len() - ev.graduate_firms.iter().sum::<f64>() as usize;
    for i in grads_from..world.firms.len() {
        grad_emp[world.firms.region[i] as usize] += f64::from(world.firms.employees[i]);
    }
    for r in 0..N_REGIONS {
        free[r] = (labour::sme_pool(&world.regions, r, &scn.labour) / w)
            - op.employees[r]
            - grad_emp[r]
            - startup_team[r] * sw / w;
    }
    lap(pipe, 3);

    let inv = invest::invest(world, &ctx, &mut pipe.invest, &mut free);
    lap(pipe, 4);

    // Spin-up: entrants replace this month's exits net of graduations, holding each region's
    // firm count (ODD 3.3).
    let replace: [f64; N_REGIONS] =
        std::array::from_fn(|r| (op.deaths[r] - ev.graduate_firms[r]).max(0.0));
    let births = enter::enter(world, &ctx, &mut free, spinup.then_some(&replace));
    for r in 0..N_REGIONS {
        let team_births = births.startups[r] * scn.startups.initial_team.round().max(1.0);
        world.regions.employment[r] = (op.employees[r] + grad_emp[r] + births.firms[r]) * w
            + (startup_team[r] + inv.hires[r] + team_births) * sw;
    }
    if !spinup {
        labour::update_wages(
            &mut world.regions,
            &scn.labour,
            scn.inflation_per_year,
            &derived.tightness0,
        );
    }

    let f = &mut world.flows;
    for r in 0..N_REGIONS {
        f.firm_births[r] += (births.firms[r] + ev.graduate_firms[r]) * w;
        f.firm_deaths[r] += op.deaths[r] * w;
        f.relocated_in[r] += op.relocated_in[r] * w;
        f.relocated_out[r] += op.relocated_out[r] * w;
        f.startup_births[r] += births.startups[r] * sw;
        f.startup_deaths[r] += ev.deaths[r] * sw;
        f.startup_graduations[r] += ev.graduations[r] * sw;
        f.sales_krw[r] += op.sales[r] * w;
        f.sme_sales_krw[r] += op.sme_sales[r] * w;
        f.value_added_krw[r] += op.value_added[r] * w;
        f.vc_investment_krw[r] += inv.vc_krw[r] * sw;
        f.vc_deals[r] += inv.vc_deals[r] * sw;
        f.other_investment_krw[r] += inv.other_krw[r] * sw;
        f.vc_private_krw[r] += inv.vc_private_krw[r] * sw;
        f.vc_public_krw[r] += inv.vc_public_krw[r] * sw;
        f.angel_krw[r] += inv.angel_krw[r] * sw;
        f.tips_krw[r] += inv.tips_krw[r] * sw;
        f.fund_exits[r] += ev.fund_exits[r] * sw;
        f.fund_exit_cost_krw[r] += ev.fund_exit_cost_krw[r];
        f.fund_exit_proceeds_krw[r] += ev.fund_exit_proceeds_krw[r];
        f.fund_written_off_krw[r] += ev.fund_written_off_krw[r];
    }
    lap(pipe, 5);

    match mode {
        Mode::Run => {
            world.step += 1;
            if world.step.is_multiple_of(12) {
                year_end(world, scn, derived);
                if levers {
                    crate::policy::apply::year_end(world);
                }
                lap(pipe, 6);
            }
        }
        Mode::SpinUp(k) => {
            if (k + 1).is_multiple_of(12) {
                mid_sized(world, scn);
                lap(pipe, 6);
            }
        }
    }
    births.firms.map(|n| n * w)
}

/// Id bit of startups born while the startups settle (ODD 2.8, 3.3); with `SPINUP_ID_BIT`.
pub const SETTLE_ID_BIT: u64 = 1 << 61;

/// ODD 3.3, before the spin-up: the startups and investors alone run `startups.settle_years`
/// years (startup progress, investment and startup births; firms, wages and people frozen,
/// no labour limit, graduates leave without becoming firms), so the startup stock and the
/// investors' capital start the spin-up settled: startups live up to several years, longer
/// than the spin-up. `streams` are the settling's own (`Streams::spin_up` applied twice).
pub fn settle_startups(
    world: &mut World,
    scn: &Scenario,
    derived: &Derived,
    streams: &Streams,
    pipe: &mut Pipeline,
) {
    let months = scn.startups.settle_years.round() as u32 * 12;
    let mut free = [f64::INFINITY; N_REGIONS];
    for k in 0..months {
        let mut ctx = ctx_for(world, scn, derived, streams, Mode::SpinUp(k));
        ctx.id_base |= SETTLE_ID_BIT;
        venture::begin_month(world, scn, false);
        startups::progress(world, &ctx, false, &mut pipe.invest.seekers);
        invest::invest(world, &ctx, &mut pipe.invest, &mut free);
        for r in 0..N_REGIONS {
            enter::startups_born(world, &ctx, &mut free, r);
        }
        if (k + 1) % 12 == 0 {
            world.startups.compact();
        }
    }
    world.startups.compact();
    world.flows = Default::default();
}

/// December: firms grow out of SME status (7.9.1), then people age and move.
fn year_end(world: &mut World, scn: &Scenario, derived: &Derived) {
    mid_sized(world, scn);
    demography::age(&mut world.regions, &scn.demography);
    let m = demography::migrate(&mut world.regions, &scn.migration, &derived.distance_km);
    world.flows.net_migration = m.net;
    world.flows.net_migration_15_39 = m.net_15_39;
    labour::update_labour_force(&mut world.regions, &scn.labour);
}

/// ODD 7.9.1: SMEs past the employee or sales limit become mid-sized firms (permanently).
fn mid_sized(world: &mut World, scn: &Scenario) {
    let f = &mut world.firms;
    for i in 0..f.len() {
        if f.status[i] == status::SME
            && (f64::from(f.employees[i]) >= scn.firms.mid_sized_employees
                || f64::from(f.sales_year_krw[i]) >= scn.firms.mid_sized_sales_krw)
        {
            f.status[i] = status::MID_SIZED;
        }
    }
}

/// After the year has been observed: drop exited agents, reset yearly flows and sales.
pub fn close_year(world: &mut World) {
    network::compact(&mut world.network, &world.firms);
    world.firms.compact();
    world.startups.compact();
    world.firms.sales_year_krw.iter_mut().for_each(|s| *s = 0.0);
    world.flows = Default::default();
}
