//! The initial state: regions, firms, startups and investors drawn from the scenario's
//! per-region figures, plus the per-run constants derived from them ([`Derived`]).

use super::geo::{self, N_REGIONS, N_SECTORS};
use super::{
    AGE_0_14, AGE_15_39, AGE_40_64, AGE_65_PLUS, Firms, Investors, Ledger, Regions, Startups,
    World, YearFlows,
};
use crate::fastmath;
use crate::rng::{Stream, Streams};
use crate::scenario::Scenario;
use crate::step::produce;
use rayon::prelude::*;

/// Constants of one run computed from the scenario and the initial draws, and completed at the
/// end of the spin-up ([`finish_spinup`]). The step reads them; nothing changes them after.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Real firms per agent (1 / scale).
    pub weight: f64,
    /// Real startups per startup agent (1 / startup_scale; ODD 2.7): startups, their teams,
    /// births, deaths, graduations and deals are weighted by it, firms by `weight`.
    pub startup_weight: f64,
    /// Annual sales per worker-equivalent of scale, by region and sector, at the start
    /// (calibrated so the start year's regional sales per worker match the scenario).
    pub sales_level_krw_year: [[f64; N_SECTORS]; N_REGIONS],
    /// Fixed monthly cost of a firm, by region and sector.
    pub fixed_cost_krw_month: [[f64; N_SECTORS]; N_REGIONS],
    pub wage0: [f64; N_REGIONS],
    /// Employment / SME labour pool at the start.
    pub tightness0: [f64; N_REGIONS],
    /// Regional wage bill at the start (for local demand).
    pub wage_bill0: [f64; N_REGIONS],
    /// Population 15-64 at the start.
    pub working_age0: [f64; N_REGIONS],
    /// Population 15-39 at the start.
    pub youth0: [f64; N_REGIONS],
    /// Real firm entrants per month at the start population: the rate at which the spin-up
    /// replaced exits (before it: the initial firms' expected exogenous exits).
    pub firm_births_month: [f64; N_REGIONS],
    /// Real startup births per month at the start population.
    pub startup_births_month: [f64; N_REGIONS],
    /// Cumulative sector shares per region (for drawing a new firm's sector).
    pub sector_cdf: [[f64; N_SECTORS]; N_REGIONS],
    /// Cumulative destination weights for relocating firms, by origin.
    pub relocation_cdf: [[f64; N_REGIONS]; N_REGIONS],
    pub distance_km: [[f64; N_REGIONS]; N_REGIONS],
    /// Volatility multiplier by age in months, `1 + young_volatility_boost * exp(-age /
    /// young_age_months)`, for ages `0..AGE_TABLE` (older ages use the last entry).
    pub age_volatility: Vec<f32>,
    /// Monthly exogenous exit hazard by age in months, `(h_mature + (h_new - h_mature) *
    /// exp(-age / exit_hazard_age_months)) / 12`.
    pub hazard_month: Vec<f32>,
    /// `Kref_rs`: the market potential each (region, sector) market was sized for at the start
    /// (end of the spin-up): crowding is measured against it (ODD 7.3a).
    pub capacity_ref: [[f64; N_SECTORS]; N_REGIONS],
    /// Mean log scale of each market's firms at the start: the reference of the performance
    /// factor of the exit hazard (ODD 7.4).
    pub log_scale_ref: [[f64; N_SECTORS]; N_REGIONS],
    /// `Nref_rs`: live firms of each market at the start (end of the spin-up; ODD 7.7).
    pub firms_ref: [[f64; N_SECTORS]; N_REGIONS],
    /// Correction of each sector's scale drift found in the spin-up, so that the sector's
    /// capacity is stationary under start-year conditions (ODD 3.3; 0 before the spin-up).
    pub drift_adjust_per_year: [f64; N_SECTORS],
}

/// Length of the per-age tables (months); the last entry stands for all older ages, where the
/// exponential terms are below 1e-20 for the baseline's time constants.
pub const AGE_TABLE: usize = 2048;

/// Builds the world at January of the start year and the run's derived constants.
pub fn init_world(scn: &Scenario, streams: &Streams) -> (World, Derived) {
    let weight = 1.0 / scn.scale;
    let weight_startups = 1.0 / scn.startup_scale;
    let regions = init_regions(scn);
    let total_smes_2021: f64 = scn.regions.iter().map(|r| r.smes_2021).sum();
    let workers = real_workers(scn);

    // Firms: counts and mean size per region from the data, sizes from a one-person mass plus
    // a power law whose tail share is solved to match the region's workers per firm.
    let mut firms = Firms::default();
    let mut next_firm_id = 0u64;
    let mut real_firms = [0.0; N_REGIONS];
    for (r, rp) in scn.regions.iter().enumerate() {
        real_firms[r] = scn.firms.total_smes * rp.smes_2021 / total_smes_2021;
        let table = SizeTable::new(&scn.firms, workers[r] / real_firms[r]);
        let n_agents = (real_firms[r] * scn.scale).round() as u64;
        let sector_cdf = cdf(&rp.sector_mix);
        // Each agent's attributes depend only on its id, so they are drawn in parallel and
        // appended in id order.
        let first_id = next_firm_id;
        next_firm_id += n_agents;
        let drawn: Vec<(u8, u16, u32, f32, u16)> = (first_id..next_firm_id)
            .into_par_iter()
            .map(|e| {
                let b = |k| streams.uniform(Stream::FirmInit, e, 0, k);
                let employees = table.draw(b(0));
                let sector = pick(&sector_cdf, b(1)) as u8;
                let age = (-scn.firms.initial_age_mean_months * (1.0 - b(2)).ln()).min(1200.0);
                let z = streams.normal(Stream::FirmInit, e, 0, 3);
                // Multi-person firms start at their size (mean-centred lognormal noise);
                // one-person firms' scale is not pinned by their size, so it has its own mean.
                let log_scale = if employees == 1 {
                    scn.firms.one_person_log_scale_mean + scn.firms.one_person_log_scale_sd * z
                } else {
                    let sd = scn.firms.initial_scale_sd;
                    (employees as f64).ln() - sd * sd / 2.0 + sd * z
                };
                let high_growth = super::high_growth_until(streams, &scn.firms, e);
                (sector, age as u16, employees, log_scale as f32, high_growth)
            })
            .collect();
        firms.reserve(drawn.len());
        for (k, &(sector, age, employees, log_scale, hg)) in drawn.iter().enumerate() {
            let id = first_id + k as u64;
            firms.push(
                id, r as u8, sector, age, employees, log_scale, 0.0, 0.0, 0, hg,
            );
        }
    }

    let (sales_level, fixed_cost) = calibrate_sales(&firms, scn);
    for i in 0..firms.len() {
        let (r, s) = (firms.region[i] as usize, firms.sector[i] as usize);
        let cost = regions.wage_krw_month[r] * f64::from(firms.employees[i]) + fixed_cost[r][s];
        // Established firms have filled their buffer (7.4 step 5); entrants start with
        // `initial_cash_months` (7.7). Starting them lower made cash exits a start-up transient.
        firms.cash_krw[i] = (scn.firms.cash_buffer_months * cost) as f32;
    }

    let youth0: [f64; N_REGIONS] = std::array::from_fn(|r| regions.population[r][AGE_15_39]);
    let working_age0: [f64; N_REGIONS] = std::array::from_fn(|r| {
        regions.population[r][AGE_15_39] + regions.population[r][AGE_40_64]
    });
    let startup_weight: [f64; N_REGIONS] =
        std::array::from_fn(|r| youth0[r] * scn.regions[r].startup_ecosystem);
    let startup_weight_sum: f64 = startup_weight.iter().sum();

    // Startups: the initial stock split by young population x local ecosystem.
    let mut startups = Startups::default();
    let mut next_startup_id = 0u64;
    for r in 0..N_REGIONS {
        let share = startup_weight[r] / startup_weight_sum;
        let n = (scn.startups.initial_total * share * scn.startup_scale).round() as u64;
        let sector_cdf = cdf(&scn.regions[r].sector_mix);
        for _ in 0..n {
            let id = next_startup_id;
            next_startup_id += 1;
            let e = id;
            let u = |k| streams.uniform(Stream::StartupInit, e, 0, k);
            let stage = if u(0) < 0.6 {
                0
            } else if u(0) < 0.9 {
                1
            } else {
                2
            };
            let age = (u(1) * 36.0) as u16;
            let progress = (u(2) * 0.8) as f32;
            let runway = 3.0 + u(3) * 21.0;
            push_startup(
                &mut startups,
                scn,
                StartupSeed {
                    id,
                    region: r as u8,
                    sector: pick(&sector_cdf, u(4)) as u8,
                    quality: streams.normal(Stream::StartupInit, e, 0, 5) as f32,
                    stage,
                    age,
                    progress,
                    runway_months: runway,
                },
            );
        }
    }

    // Investors: every real investor, with a real fund's inflow, starting at a random point of
    // its saving cycle. (Their deals are thinned by `startup_scale` in `invest`, not their
    // number.)
    let mut investors = Investors::default();
    for (k, kind) in scn.investors.iter().enumerate() {
        let total: u32 = kind.count_by_region.iter().sum();
        if total == 0 {
            continue;
        }
        let inflow = kind.annual_commitment_krw / f64::from(total) / 12.0;
        let max_ticket = kind.ticket_krw_by_stage.iter().copied().fold(0.0, f64::max);
        for (r, &count) in kind.count_by_region.iter().enumerate() {
            for _ in 0..count {
                let id = investors.id.len() as u32;
                let phase = streams.uniform(Stream::InvestorInit, u64::from(id), 0, 1);
                investors.id.push(id);
                investors.kind.push(k as u8);
                investors.home.push(r as u8);
                investors.capital_krw.push(phase * max_ticket);
                investors.inflow_krw_month.push(inflow);
                investors.invested_krw.push(0.0);
                investors.local_share.push(0.0);
                investors.program.push(0);
            }
        }
    }
    // Growth funds (policy): empty funds appended after the market's investors, so the
    // market's ids and draws are those of a run without them; money arrives each January.
    if let Some(g) = &scn.policy.growth_fund {
        for r in 0..N_REGIONS {
            if !g.regions[r] {
                continue;
            }
            for _ in 0..g.funds_per_region {
                investors.id.push(investors.id.len() as u32);
                investors.kind.push(g.investor_kind);
                investors.home.push(r as u8);
                investors.capital_krw.push(0.0);
                investors.inflow_krw_month.push(0.0);
                investors.invested_krw.push(0.0);
                investors.local_share.push(g.local_share);
                investors.program.push(crate::policy::flag::GROWTH_FUND);
            }
        }
    }

    let ledger = Ledger {
        committed_krw: investors.capital_krw.iter().sum(),
        ..Ledger::default()
    };
    let mut world = World {
        step: 0,
        firms,
        startups,
        investors,
        regions,
        flows: YearFlows::default(),
        ledger,
        policy: crate::policy::PolicyState::neutral(),
        market: super::Market::default(),
        network: Default::default(),
        venture: Default::default(),
    };
    crate::step::labour::update_employment(&mut world, weight, weight_startups);

    let mut tightness0 = [0.0; N_REGIONS];
    let mut wage_bill0 = [0.0; N_REGIONS];
    for r in 0..N_REGIONS {
        tightness0[r] = world.regions.employment[r]
            / crate::step::labour::sme_pool(&world.regions, r, &scn.labour);
        wage_bill0[r] = world.regions.employment[r] * world.regions.wage_krw_month[r];
    }

    let hazard_month = hazard_table(scn);
    // Until the spin-up measures the rate at which firms are replaced (`finish_spinup`), entry
    // replaces the initial firms' expected exogenous exits.
    let mut firm_births_month = [0.0; N_REGIONS];
    for i in 0..world.firms.len() {
        let age = usize::from(world.firms.age_months[i]).min(AGE_TABLE - 1);
        firm_births_month[world.firms.region[i] as usize] += f64::from(hazard_month[age]) * weight;
    }
    let (capacity_ref, log_scale_ref) = market_reference(&world.firms);
    let firms_ref = market_firms(&world.firms);
    let mut startup_births_month = [0.0; N_REGIONS];
    for r in 0..N_REGIONS {
        startup_births_month[r] =
            scn.startups.births_per_year * startup_weight[r] / startup_weight_sum / 12.0;
    }

    let derived = Derived {
        weight,
        startup_weight: weight_startups,
        sales_level_krw_year: sales_level,
        fixed_cost_krw_month: fixed_cost,
        wage0: world.regions.wage_krw_month,
        tightness0,
        wage_bill0,
        working_age0,
        youth0,
        firm_births_month,
        startup_births_month,
        sector_cdf: std::array::from_fn(|r| cdf(&scn.regions[r].sector_mix)),
        relocation_cdf: relocation_cdf(scn, &real_firms),
        distance_km: geo::distance_matrix(),
        age_volatility: (0..AGE_TABLE)
            .map(|a| {
                let f = &scn.firms;
                (1.0 + f.young_volatility_boost * (-(a as f64) / f.young_age_months).exp()) as f32
            })
            .collect(),
        hazard_month,
        capacity_ref,
        log_scale_ref,
        drift_adjust_per_year: [0.0; N_SECTORS],
        firms_ref,
    };
    (world, derived)
}

/// Monthly exogenous exit hazard by age (ODD 7.4 step 6), before the performance factor.
fn hazard_table(scn: &Scenario) -> Vec<f32> {
    let f = &scn.firms;
    let extra = f.exit_hazard_new_per_year - f.exit_hazard_mature_per_year;
    (0..AGE_TABLE)
        .map(|a| {
            ((f.exit_hazard_mature_per_year
                + extra * (-(a as f64) / f.exit_hazard_age_months).exp())
                / 12.0) as f32
        })
        .collect()
}

/// SME workers by region in the start year (real units): the national total shared out by
/// the regions' 2021 shares (ODD 5.2).
fn real_workers(scn: &Scenario) -> [f64; N_REGIONS] {
    let total: f64 = scn.regions.iter().map(|r| r.sme_workers_2021).sum();
    std::array::from_fn(|r| scn.firms.total_sme_workers * scn.regions[r].sme_workers_2021 / total)
}

/// Sales level per region and sector, calibrated so that the firms as they are sell the data's
/// sales, `sales_per_worker_krw_year` times the data's workers (ODD 5.3), and the fixed cost it
/// implies.
#[allow(clippy::type_complexity)]
fn calibrate_sales(
    firms: &Firms,
    scn: &Scenario,
) -> ([[f64; N_SECTORS]; N_REGIONS], [[f64; N_SECTORS]; N_REGIONS]) {
    let mut potential = [[0.0f64; N_SECTORS]; N_REGIONS];
    let theta = scn.firms.understaffing_elasticity as f32;
    let workers = real_workers(scn);
    for i in 0..firms.len() {
        if firms.status[i] == super::status::DEAD {
            continue;
        }
        let (r, s) = (firms.region[i] as usize, firms.sector[i] as usize);
        // Orders from customers are part of the sales (the network's order factor; 1 without).
        let scale = fastmath::exp(firms.log_scale[i]) * firms.order_factor[i];
        let (sales_units, _) =
            produce::sales_units_from_scale(scale, firms.employees[i], 1.0, theta);
        potential[r][s] += f64::from(sales_units);
    }
    let mut sales_level = [[0.0; N_SECTORS]; N_REGIONS];
    let mut fixed_cost = [[0.0; N_SECTORS]; N_REGIONS];
    for r in 0..N_REGIONS {
        // The data's workers, not the firms' headcount: the rules' steady state employs more
        // than the data (about 4% after the spin-up), and the target is the data's sales.
        let target = scn.regions[r].sales_per_worker_krw_year * workers[r] * scn.scale;
        let idx_sum: f64 = (0..N_SECTORS)
            .map(|s| potential[r][s] * scn.sectors[s].sales_per_worker_index)
            .sum();
        let level = if idx_sum > 0.0 { target / idx_sum } else { 0.0 };
        for s in 0..N_SECTORS {
            sales_level[r][s] = level * scn.sectors[s].sales_per_worker_index;
            fixed_cost[r][s] = scn.firms.fixed_cost_share
                * (1.0 - scn.sectors[s].materials_share)
                * sales_level[r][s]
                / 12.0;
        }
    }
    (sales_level, fixed_cost)
}

/// Reference market potential `Kref_rs` (sum of `exp(a)`) and mean log scale of the live firms
/// of each (region, sector) market (ODD 7.3a, 7.4).
#[allow(clippy::type_complexity)]
fn market_reference(
    firms: &Firms,
) -> ([[f64; N_SECTORS]; N_REGIONS], [[f64; N_SECTORS]; N_REGIONS]) {
    let mut capacity = [[0.0f64; N_SECTORS]; N_REGIONS];
    let mut log_sum = [[0.0f64; N_SECTORS]; N_REGIONS];
    let mut count = [[0.0f64; N_SECTORS]; N_REGIONS];
    for i in 0..firms.len() {
        if firms.status[i] == super::status::DEAD {
            continue;
        }
        let (r, s) = (firms.region[i] as usize, firms.sector[i] as usize);
        capacity[r][s] += f64::from(firms.log_scale[i]).exp();
        log_sum[r][s] += f64::from(firms.log_scale[i]);
        count[r][s] += 1.0;
    }
    let mean = std::array::from_fn(|r| {
        std::array::from_fn(|s| {
            if count[r][s] > 0.0 {
                log_sum[r][s] / count[r][s]
            } else {
                0.0
            }
        })
    });
    (capacity, mean)
}

/// Live firms per (region, sector) market.
fn market_firms(firms: &Firms) -> [[f64; N_SECTORS]; N_REGIONS] {
    let mut n = [[0.0; N_SECTORS]; N_REGIONS];
    for i in 0..firms.len() {
        if firms.status[i] != super::status::DEAD {
            n[firms.region[i] as usize][firms.sector[i] as usize] += 1.0;
        }
    }
    n
}

/// Ends the spin-up (ODD 3.3): the calendar starts at January of `start_year` with the state
/// the rules reached. Sales levels and fixed costs are recalibrated on the spun-up firms (ODD
/// 5.3), the labour-market and local-demand anchors and the market references are taken from
/// the spun-up state, and entry is set to the rate at which the spin-up replaced exits.
pub fn finish_spinup(
    world: &mut World,
    derived: &mut Derived,
    scn: &Scenario,
    entrants_month: [f64; N_REGIONS],
) {
    let (sales_level, fixed_cost) = calibrate_sales(&world.firms, scn);
    derived.sales_level_krw_year = sales_level;
    derived.fixed_cost_krw_month = fixed_cost;
    crate::step::labour::update_employment(world, derived.weight, derived.startup_weight);
    for r in 0..N_REGIONS {
        derived.tightness0[r] = world.regions.employment[r]
            / crate::step::labour::sme_pool(&world.regions, r, &scn.labour);
        derived.wage_bill0[r] = world.regions.employment[r] * world.regions.wage_krw_month[r];
    }
    let (capacity_ref, log_scale_ref) = market_reference(&world.firms);
    derived.capacity_ref = capacity_ref;
    derived.log_scale_ref = log_scale_ref;
    derived.firms_ref = market_firms(&world.firms);
    derived.firm_births_month = entrants_month;
    world.market = super::Market::default();
    // The ledger covers the reported years: investors' capital now counts as committed.
    world.ledger = Ledger {
        committed_krw: world.investors.capital_krw.iter().sum(),
        ..Ledger::default()
    };
    world.step = 0;
    crate::step::network::take_reference(world, scn, derived);
}

fn init_regions(scn: &Scenario) -> Regions {
    let mut population = [[0.0; 4]; N_REGIONS];
    let mut wage = [0.0; N_REGIONS];
    let mut amenity_15_39 = [0.0; N_REGIONS];
    let mut amenity_other = [0.0; N_REGIONS];
    for (r, rp) in scn.regions.iter().enumerate() {
        population[r][AGE_0_14] = rp.population * rp.share_0_14;
        population[r][AGE_15_39] = rp.population * rp.share_15_39;
        population[r][AGE_65_PLUS] = rp.population * rp.share_65_plus;
        population[r][AGE_40_64] =
            rp.population * (1.0 - rp.share_0_14 - rp.share_15_39 - rp.share_65_plus);
        wage[r] = rp.wage_krw_month;
        amenity_15_39[r] = rp.amenity_15_39;
        amenity_other[r] = rp.amenity_other;
    }
    let mut regions = Regions {
        population,
        labour_force: [0.0; N_REGIONS],
        wage_krw_month: wage,
        employment: [0.0; N_REGIONS],
        demand: [[1.0; N_SECTORS]; N_REGIONS],
        amenity_15_39,
        amenity_other,
    };
    crate::step::labour::update_labour_force(&mut regions, &scn.labour);
    regions
}

/// What a new startup starts with (at initialisation or birth).
pub(crate) struct StartupSeed {
    pub id: u64,
    pub region: u8,
    pub sector: u8,
    pub quality: f32,
    pub stage: u8,
    pub age: u16,
    pub progress: f32,
    pub runway_months: f64,
}

pub(crate) fn push_startup(st: &mut Startups, scn: &Scenario, seed: StartupSeed) {
    let p = &scn.startups;
    let team = (p.initial_team * (1.0 + p.team_growth_per_round).powi(i32::from(seed.stage)))
        .round()
        .max(1.0);
    let burn = team * p.burn_per_member_krw_month;
    st.id.push(seed.id);
    st.region.push(seed.region);
    st.sector.push(seed.sector);
    st.status.push(super::startup_status::ACTIVE);
    st.age_months.push(seed.age);
    st.stage.push(seed.stage);
    st.flags.push(0);
    st.team.push(team as u32);
    st.quality.push(seed.quality);
    st.progress.push(seed.progress);
    st.cash_krw.push(burn * seed.runway_months);
    st.burn_krw_month.push(burn);
    st.holding.push(super::venture::NONE);
}

/// Firm sizes: P(1) = one_person_share; sizes >= 2 follow P(n) ~ n^-(alpha+1), with the
/// share of the tail (n >= size_tail_min_employees) solved so the mean matches the region's
/// workers per firm.
struct SizeTable {
    cdf: Vec<f64>,
}

impl SizeTable {
    fn new(p: &crate::scenario::FirmParams, mean_target: f64) -> Self {
        let max = p.max_initial_employees as usize;
        let xmin = p.size_tail_min_employees as usize;
        let pw = |n: usize| (n as f64).powf(-(p.size_tail_alpha + 1.0));
        let body: Vec<(usize, f64)> = (2..xmin).map(|n| (n, pw(n))).collect();
        let tail: Vec<(usize, f64)> = (xmin..=max).map(|n| (n, pw(n))).collect();
        let norm = |v: &[(usize, f64)]| v.iter().map(|x| x.1).sum::<f64>();
        let mean = |v: &[(usize, f64)]| v.iter().map(|&(n, w)| n as f64 * w).sum::<f64>() / norm(v);
        let (m_body, m_tail) = (mean(&body), mean(&tail));
        let p1 = p.one_person_share;
        let multi_target = (mean_target - p1) / (1.0 - p1).max(1e-9);
        let f = ((multi_target - m_body) / (m_tail - m_body)).clamp(0.0, 1.0);
        let mut pmf = vec![0.0; max + 1];
        pmf[1] = p1;
        let (nb, nt) = (norm(&body), norm(&tail));
        for &(n, w) in &body {
            pmf[n] = (1.0 - p1) * (1.0 - f) * w / nb;
        }
        for &(n, w) in &tail {
            pmf[n] = (1.0 - p1) * f * w / nt;
        }
        let mut acc = 0.0;
        let cdf = pmf
            .iter()
            .map(|x| {
                acc += x;
                acc
            })
            .collect();
        SizeTable { cdf }
    }

    fn draw(&self, u: f64) -> u32 {
        let total = *self.cdf.last().expect("non-empty");
        let i = self.cdf.partition_point(|&c| c <= u * total);
        i.clamp(1, self.cdf.len() - 1) as u32
    }
}

/// Cumulative sums of shares (the last element is the total).
pub(crate) fn cdf<const N: usize>(shares: &[f64; N]) -> [f64; N] {
    let mut acc = 0.0;
    shares.map(|s| {
        acc += s;
        acc
    })
}

/// Index drawn from cumulative weights with a uniform `u` in [0, 1).
pub(crate) fn pick(cdf: &[f64], u: f64) -> usize {
    let total = *cdf.last().expect("non-empty");
    cdf.partition_point(|&c| c <= u * total).min(cdf.len() - 1)
}

/// Where relocating firms go: from a non-capital region, to the capital with
/// `relocation_to_capital_share`, else to another non-capital region in proportion to its
/// firms; from the capital, to non-capital regions in proportion to their firms.
fn relocation_cdf(scn: &Scenario, real_firms: &[f64; N_REGIONS]) -> [[f64; N_REGIONS]; N_REGIONS] {
    let mut out = [[0.0; N_REGIONS]; N_REGIONS];
    for (o, row) in out.iter_mut().enumerate() {
        let mut w = [0.0; N_REGIONS];
        let others: f64 = (0..N_REGIONS)
            .filter(|&d| d != o && d != geo::CAPITAL)
            .map(|d| real_firms[d])
            .sum();
        for d in 0..N_REGIONS {
            if d == o {
                continue;
            }
            if d == geo::CAPITAL {
                w[d] = scn.firms.relocation_to_capital_share;
            } else {
                let rest = if o == geo::CAPITAL {
                    1.0
                } else {
                    1.0 - scn.firms.relocation_to_capital_share
                };
                w[d] = rest * real_firms[d] / others;
            }
        }
        *row = cdf(&w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_follows_weights() {
        let c = cdf(&[1.0, 0.0, 3.0]);
        assert_eq!(pick(&c, 0.0), 0);
        assert_eq!(pick(&c, 0.2), 0);
        assert_eq!(pick(&c, 0.26), 2);
        assert_eq!(pick(&c, 0.999), 2);
    }
}
