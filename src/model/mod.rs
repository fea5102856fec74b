//! The simulated world: regions (aggregates) and firm, startup and investor agents stored as
//! struct-of-arrays columns.
//!
//! **Invariant:** nothing here does IO, reads a clock or the environment, or stores the
//! scenario. Row `i` of every column of one agent table belongs to the same agent; ids are
//! stable for an agent's life (random draws are keyed by id, not by row).

pub mod geo;
mod init;
pub mod venture;

pub use init::{AGE_TABLE, Derived, finish_spinup, init_world};
pub(crate) use init::{StartupSeed, cdf, pick, push_startup};

use geo::{N_REGIONS, N_SECTORS};

/// Firm status codes (column `status`).
pub mod status {
    /// A small or medium-sized enterprise.
    pub const SME: u8 = 0;
    /// Grown out of SME status; still simulated, no longer counted as an SME.
    pub const MID_SIZED: u8 = 1;
    /// Exited this year; removed at the year-end compaction.
    pub const DEAD: u8 = 2;
}

/// Startup status codes.
pub mod startup_status {
    pub const ACTIVE: u8 = 0;
    /// Ran out of cash this year.
    pub const DEAD: u8 = 1;
    /// Became an SME this year.
    pub const GRADUATED: u8 = 2;
}

/// Drops the rows of a column store whose `$key` column fails `$keep`, keeping the order of
/// the rest: one pass over the rows from the first dropped one, copying every column's value
/// down and advancing the write index only for kept rows (branch-free; all columns are cut
/// to one length, so a row costs a load and a store per column). `$key` must be listed among
/// the columns.
macro_rules! retain_rows {
    ($store:expr, $key:ident, $keep:expr, [$($col:ident),+]) => {{
        let store = $store;
        let keep = $keep;
        let n = store.$key.len();
        if let Some(first) = store.$key.iter().position(|&x| !keep(x)) {
            $(let $col = &mut store.$col[..n];)+
            let mut w = first;
            for r in first + 1..n {
                let kept = keep($key[r]);
                $($col[w] = $col[r];)+
                w += usize::from(kept);
            }
            $(store.$col.truncate(w);)+
        }
    }};
}

/// SMEs (and the few that grew into mid-sized firms), one row per firm.
#[derive(Debug, Clone, Default)]
pub struct Firms {
    /// Stable id (see [`birth_id`]): never reused, the same in two scenarios run with the
    /// same seed for the same birth, so random draws and treated-firm comparisons line up.
    pub id: Vec<u64>,
    pub region: Vec<u8>,
    pub sector: Vec<u8>,
    pub status: Vec<u8>,
    pub age_months: Vec<u16>,
    /// Consecutive months with a loss.
    pub loss_months: Vec<u8>,
    /// Programme flags (bit per programme; see `policy`).
    pub flags: Vec<u16>,
    pub employees: Vec<u32>,
    /// Log of the firm's scale: its market potential in worker-equivalents at reference
    /// demand and wage. Productivity shocks act on it.
    pub log_scale: Vec<f32>,
    /// Technology level, 0..1 (basic -> advanced).
    pub tech: Vec<f32>,
    pub cash_krw: Vec<f32>,
    /// Sales since January (real KRW of this firm, not weighted).
    pub sales_year_krw: Vec<f32>,
    /// Scratch for one step: employees the firm wants to add (negative: shed).
    pub want: Vec<i32>,
    /// Scratch for one step: `exp(log_scale)` after this month's shock (saves an `exp`).
    pub scale_now: Vec<f32>,
    /// Age in months until which the firm is in a high-growth phase (0: never); drawn at
    /// birth from the firm's id ([`high_growth_until`]).
    pub high_growth_until: Vec<u16>,
    /// Multiplier on sales and desired employment from the orders of the firm's customers
    /// (1 without a production network; set by `step::network`, ODD 7.11).
    pub order_factor: Vec<f32>,
}

impl Firms {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Makes room for `n` more firms in every column.
    pub fn reserve(&mut self, n: usize) {
        self.id.reserve(n);
        self.region.reserve(n);
        self.sector.reserve(n);
        self.status.reserve(n);
        self.age_months.reserve(n);
        self.loss_months.reserve(n);
        self.flags.reserve(n);
        self.employees.reserve(n);
        self.log_scale.reserve(n);
        self.tech.reserve(n);
        self.cash_krw.reserve(n);
        self.sales_year_krw.reserve(n);
        self.want.reserve(n);
        self.scale_now.reserve(n);
        self.high_growth_until.reserve(n);
        self.order_factor.reserve(n);
    }

    /// Appends one firm (every column gets exactly one value).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        id: u64,
        region: u8,
        sector: u8,
        age_months: u16,
        employees: u32,
        log_scale: f32,
        tech: f32,
        cash_krw: f32,
        flags: u16,
        high_growth_until: u16,
    ) {
        self.id.push(id);
        self.region.push(region);
        self.sector.push(sector);
        self.status.push(status::SME);
        self.age_months.push(age_months);
        self.loss_months.push(0);
        self.flags.push(flags);
        self.employees.push(employees);
        self.log_scale.push(log_scale);
        self.tech.push(tech);
        self.cash_krw.push(cash_krw);
        self.sales_year_krw.push(0.0);
        self.want.push(0);
        self.scale_now.push(log_scale.exp());
        self.high_growth_until.push(high_growth_until);
        self.order_factor.push(1.0);
    }

    /// Drops dead firms, keeping the order of the rest.
    pub fn compact(&mut self) {
        retain_rows!(
            self,
            status,
            |s| s != status::DEAD,
            [
                id,
                region,
                sector,
                status,
                age_months,
                loss_months,
                flags,
                employees,
                log_scale,
                tech,
                cash_krw,
                sales_year_krw,
                want,
                scale_now,
                high_growth_until,
                order_factor
            ]
        );
    }
}

/// Startups seeking to grow, one row per startup.
#[derive(Debug, Clone, Default)]
pub struct Startups {
    pub id: Vec<u64>,
    pub region: Vec<u8>,
    pub sector: Vec<u8>,
    pub status: Vec<u8>,
    pub age_months: Vec<u16>,
    /// Funding rounds raised so far (0 = pre-seed).
    pub stage: Vec<u8>,
    pub flags: Vec<u16>,
    pub team: Vec<u32>,
    /// Latent quality, standard normal at birth; investors see it with noise.
    pub quality: Vec<f32>,
    /// Progress toward a viable business; graduates into an SME at 1.
    pub progress: Vec<f32>,
    pub cash_krw: Vec<f64>,
    pub burn_krw_month: Vec<f64>,
    /// First of the startup's fund holdings (`venture::NONE`: no fund holds it; ODD 7.6a).
    pub holding: Vec<u32>,
}

impl Startups {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Makes room for `n` more startups in every column.
    pub fn reserve(&mut self, n: usize) {
        self.id.reserve(n);
        self.region.reserve(n);
        self.sector.reserve(n);
        self.status.reserve(n);
        self.age_months.reserve(n);
        self.stage.reserve(n);
        self.flags.reserve(n);
        self.team.reserve(n);
        self.quality.reserve(n);
        self.progress.reserve(n);
        self.cash_krw.reserve(n);
        self.burn_krw_month.reserve(n);
        self.holding.reserve(n);
    }

    pub fn compact(&mut self) {
        retain_rows!(
            self,
            status,
            |s| s == startup_status::ACTIVE,
            [
                id,
                region,
                sector,
                status,
                age_months,
                stage,
                flags,
                team,
                quality,
                progress,
                cash_krw,
                burn_krw_month,
                holding
            ]
        );
    }
}

/// Angels, VC funds and TIPS-style operators, one row per real investor (they are few, so
/// they are not sampled). Each holds a real fund's money and writes real tickets; a deal lands
/// on a startup of the agent sample with probability `scale`, otherwise on a startup outside
/// the sample (see `step::invest`).
#[derive(Debug, Clone, Default)]
pub struct Investors {
    pub id: Vec<u32>,
    /// Index into `Scenario::investors` (the kind).
    pub kind: Vec<u8>,
    pub home: Vec<u8>,
    /// Uninvested capital (never negative).
    pub capital_krw: Vec<f64>,
    /// Capital added per month.
    pub inflow_krw_month: Vec<f64>,
    /// Cumulative money invested.
    pub invested_krw: Vec<f64>,
    /// Share of deals that must go to startups of the home region (growth funds; 0 otherwise).
    pub local_share: Vec<f64>,
    /// Programme flag given to startups this investor funds (growth funds; 0 otherwise).
    pub program: Vec<u16>,
}

impl Investors {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// Population age groups.
pub const AGE_0_14: usize = 0;
pub const AGE_15_39: usize = 1;
pub const AGE_40_64: usize = 2;
pub const AGE_65_PLUS: usize = 3;

/// Regional aggregates (not agents).
#[derive(Debug, Clone)]
pub struct Regions {
    /// Residents by age group (real people).
    pub population: [[f64; 4]; N_REGIONS],
    pub labour_force: [f64; N_REGIONS],
    pub wage_krw_month: [f64; N_REGIONS],
    /// Workers in simulated firms and startups (real people, weighted up).
    pub employment: [f64; N_REGIONS],
    /// Demand index by region and sector (1 at the start).
    pub demand: [[f64; N_SECTORS]; N_REGIONS],
    /// Attractiveness to movers aged 15-39 and to other movers.
    pub amenity_15_39: [f64; N_REGIONS],
    pub amenity_other: [f64; N_REGIONS],
}

/// Flows accumulated since January, per region (real-world units, weighted up).
#[derive(Debug, Clone, Default)]
pub struct YearFlows {
    pub firm_births: [f64; N_REGIONS],
    pub firm_deaths: [f64; N_REGIONS],
    pub relocated_in: [f64; N_REGIONS],
    pub relocated_out: [f64; N_REGIONS],
    pub startup_births: [f64; N_REGIONS],
    pub startup_deaths: [f64; N_REGIONS],
    pub startup_graduations: [f64; N_REGIONS],
    pub sales_krw: [f64; N_REGIONS],
    pub sme_sales_krw: [f64; N_REGIONS],
    pub value_added_krw: [f64; N_REGIONS],
    pub vc_investment_krw: [f64; N_REGIONS],
    pub vc_deals: [f64; N_REGIONS],
    pub other_investment_krw: [f64; N_REGIONS],
    /// Money by source (ODD 7.6a, docs/OUTPUTS.md).
    pub vc_private_krw: [f64; N_REGIONS],
    pub vc_public_krw: [f64; N_REGIONS],
    pub angel_krw: [f64; N_REGIONS],
    pub tips_krw: [f64; N_REGIONS],
    /// Fund exits (graduates held by funds), their cost and proceeds, and write-offs.
    pub fund_exits: [f64; N_REGIONS],
    pub fund_exit_cost_krw: [f64; N_REGIONS],
    pub fund_exit_proceeds_krw: [f64; N_REGIONS],
    pub fund_written_off_krw: [f64; N_REGIONS],
    pub net_migration: [f64; N_REGIONS],
    pub net_migration_15_39: [f64; N_REGIONS],
}

/// Money moved between agents over the whole run (real KRW of the agents, not weighted), for
/// the conservation checks: `invested = received_by_startups + outside_sample`.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Money committed to investors (starting capital plus inflows).
    pub committed_krw: f64,
    /// Money investors paid out.
    pub invested_krw: f64,
    /// Money simulated startups received.
    pub received_by_startups_krw: f64,
    /// Money paid to startups outside the agent sample (deals thinned away by `scale`).
    pub outside_sample_krw: f64,
}

/// The whole simulated world at one point in time.
#[derive(Debug, Clone)]
pub struct World {
    /// Months simulated so far (0 before the first step).
    pub step: u32,
    pub firms: Firms,
    pub startups: Startups,
    pub investors: Investors,
    pub regions: Regions,
    pub flows: YearFlows,
    pub ledger: Ledger,
    /// Policy accounts and this month's lever modifiers (neutral without levers).
    pub policy: crate::policy::PolicyState,
    /// Competition within each (region, sector) market.
    pub market: Market,
    /// Who buys from whom (empty without `[network]`; ODD 7.11).
    pub network: crate::step::network::Network,
    /// Funds, their holdings and returns (ODD 7.6a).
    pub venture: venture::Venture,
}

/// Market state of each (region, sector): the firms' summed market potential this month and
/// the crowding factor it implies (ODD 7.3a). Neutral (factor 1) during the spin-up.
#[derive(Debug, Clone)]
pub struct Market {
    /// `K_rs`: sum of `exp(log_scale)` over live firms after this month's shocks (agent units).
    pub capacity: [[f64; N_SECTORS]; N_REGIONS],
    /// `N_rs`: live firms this month (agent units).
    pub firms: [[f64; N_SECTORS]; N_REGIONS],
    /// `pi_rs = (Kref_rs / K_rs)^displacement`, this month's (sales) and, read by the next
    /// month's plan, last month's (desired employment).
    pub crowding: [[f64; N_SECTORS]; N_REGIONS],
}

impl Default for Market {
    fn default() -> Self {
        Market {
            capacity: [[0.0; N_SECTORS]; N_REGIONS],
            firms: [[0.0; N_SECTORS]; N_REGIONS],
            crowding: [[1.0; N_SECTORS]; N_REGIONS],
        }
    }
}

/// The age until which a firm born with id `id` grows fast (ODD 7.7): with probability
/// `high_growth_share` a phase of exponential length with mean `high_growth_years_mean`, else
/// 0. A pure function of the id, so a firm has the same phase in every scenario.
pub fn high_growth_until(
    streams: &crate::rng::Streams,
    p: &crate::scenario::FirmParams,
    id: u64,
) -> u16 {
    use crate::rng::Stream;
    if streams.uniform(Stream::FirmInit, id, 0, 4) >= p.high_growth_share {
        return 0;
    }
    let u = streams.uniform(Stream::FirmInit, id, 0, 5);
    let months = -(1.0 - u).ln() * p.high_growth_years_mean * 12.0;
    months.round().clamp(1.0, f64::from(u16::MAX)) as u16
}

/// Id bit of agents born during the spin-up (ODD 2.8): they never share an id with an agent
/// born in the reported years.
pub const SPINUP_ID_BIT: u64 = 1 << 62;

/// Id of the `index`-th agent born in `region` during month `step` (0-based). Initial agents
/// have ids `0..n` (below 2^40), births `(step + 1) << 40 | region << 32 | index`, so an id
/// depends only on when and where an agent was born and in which order that month, never on
/// how many agents were born elsewhere or earlier.
pub fn birth_id(step: u32, region: usize, index: u64) -> u64 {
    debug_assert!(index < 1 << 32);
    (u64::from(step + 1) << 40) | ((region as u64) << 32) | index
}

/// Id of the firm a graduating startup becomes: the startup's id with the top bit set.
pub fn graduate_id(startup_id: u64) -> u64 {
    (1 << 63) | startup_id
}

#[cfg(test)]
mod tests {
    use super::{Firms, Startups, startup_status, status};

    /// Compaction keeps exactly the live rows, in order, with every column's values moving
    /// together, for every pattern of dead rows of a short table (none, first, last, all...).
    #[test]
    fn compact_keeps_the_live_rows_in_order_in_every_column() {
        for n in 0..10u32 {
            for mask in 0..1u32 << n {
                let live = |i: u32| mask >> i & 1 == 1;
                let mut f = Firms::default();
                let mut st = Startups::default();
                for i in 0..n {
                    f.push(
                        100 + u64::from(i),
                        i as u8,
                        0,
                        i as u16,
                        i,
                        0.5,
                        0.0,
                        0.0,
                        0,
                        0,
                    );
                    f.status[i as usize] = if live(i) { status::SME } else { status::DEAD };
                    st.id.push(100 + u64::from(i));
                    st.status.push(if live(i) {
                        startup_status::ACTIVE
                    } else {
                        startup_status::GRADUATED
                    });
                    st.region.push(0);
                    st.sector.push(0);
                    st.age_months.push(0);
                    st.stage.push(0);
                    st.flags.push(0);
                    st.team.push(i);
                    st.quality.push(0.0);
                    st.progress.push(0.0);
                    st.cash_krw.push(0.0);
                    st.burn_krw_month.push(0.0);
                    st.holding.push(0);
                }
                f.compact();
                st.compact();
                let want: Vec<u32> = (0..n).filter(|&i| live(i)).collect();
                let ids: Vec<u64> = want.iter().map(|&i| 100 + u64::from(i)).collect();
                assert_eq!(f.id, ids, "n {n}, mask {mask:b}");
                assert_eq!(f.employees, want);
                assert_eq!(
                    f.age_months,
                    want.iter().map(|&i| i as u16).collect::<Vec<_>>()
                );
                assert!(f.status.iter().all(|&s| s == status::SME));
                assert_eq!(f.order_factor.len(), want.len());
                assert_eq!(st.id, ids);
                assert_eq!(st.team, want);
                assert_eq!(st.holding.len(), want.len());
            }
        }
    }
}
