//! Observers: pure functions from the world at a year end to tidy rows.
//!
//! **Invariant:** no IO here; `output/` decides how rows are written.

use crate::model::geo::{CAPITAL, N_REGIONS, REGION_IDS, SECTOR_IDS};
use crate::model::{AGE_0_14, AGE_15_39, AGE_40_64, AGE_65_PLUS, World, startup_status, status};
use serde::Serialize;

/// One row of `regions.csv`: a region's year (flows) and its year-end state (stocks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRow {
    pub year: i32,
    pub region: &'static str,
    pub firms: f64,
    pub startups: f64,
    pub startup_births: f64,
    pub startup_deaths: f64,
    pub startup_graduations: f64,
    pub firm_births: f64,
    pub firm_deaths: f64,
    pub firms_relocated_in: f64,
    pub firms_relocated_out: f64,
    pub employment: f64,
    pub labour_force: f64,
    pub wage_krw_month: f64,
    pub sales_krw: f64,
    pub sme_sales_krw: f64,
    pub value_added_krw: f64,
    pub vc_investment_krw: f64,
    pub vc_deals: f64,
    pub other_investment_krw: f64,
    pub population: f64,
    pub population_0_14: f64,
    pub population_15_39: f64,
    pub population_40_64: f64,
    pub population_65_plus: f64,
    pub net_migration: f64,
    pub net_migration_15_39: f64,
    pub mid_sized_firms: f64,
    /// Intermediate purchases this year through the production network by origin (ODD 7.11;
    /// 0 without `[network]`): bought in the region, from the capital region (0 for the
    /// capital itself), from other regions, imported.
    pub purchases_local_krw: f64,
    pub purchases_from_capital_krw: f64,
    pub purchases_from_other_regions_krw: f64,
    pub purchases_imported_krw: f64,
    /// Money by source (ODD 7.6a): VC deals' private and public money (policy funds' deals
    /// split by their fund's public share), angels' and TIPS operators' investment.
    pub vc_private_krw: f64,
    pub vc_public_krw: f64,
    pub angel_krw: f64,
    pub tips_krw: f64,
    /// Fund exits: graduates held by funds, the holdings' cost and proceeds; cost written off
    /// with fund-held startups that died.
    pub fund_exits: f64,
    pub fund_exit_cost_krw: f64,
    pub fund_exit_proceeds_krw: f64,
    pub fund_written_off_krw: f64,
}

/// Names of the numeric columns of [`RegionRow`], in order (for summaries and comparisons).
pub const REGION_METRICS: [&str; 38] = [
    "firms",
    "startups",
    "startup_births",
    "startup_deaths",
    "startup_graduations",
    "firm_births",
    "firm_deaths",
    "firms_relocated_in",
    "firms_relocated_out",
    "employment",
    "labour_force",
    "wage_krw_month",
    "sales_krw",
    "sme_sales_krw",
    "value_added_krw",
    "vc_investment_krw",
    "vc_deals",
    "other_investment_krw",
    "population",
    "population_0_14",
    "population_15_39",
    "population_40_64",
    "population_65_plus",
    "net_migration",
    "net_migration_15_39",
    "mid_sized_firms",
    "purchases_local_krw",
    "purchases_from_capital_krw",
    "purchases_from_other_regions_krw",
    "purchases_imported_krw",
    "vc_private_krw",
    "vc_public_krw",
    "angel_krw",
    "tips_krw",
    "fund_exits",
    "fund_exit_cost_krw",
    "fund_exit_proceeds_krw",
    "fund_written_off_krw",
];

impl RegionRow {
    /// The numeric columns in [`REGION_METRICS`] order.
    pub fn values(&self) -> [f64; 38] {
        [
            self.firms,
            self.startups,
            self.startup_births,
            self.startup_deaths,
            self.startup_graduations,
            self.firm_births,
            self.firm_deaths,
            self.firms_relocated_in,
            self.firms_relocated_out,
            self.employment,
            self.labour_force,
            self.wage_krw_month,
            self.sales_krw,
            self.sme_sales_krw,
            self.value_added_krw,
            self.vc_investment_krw,
            self.vc_deals,
            self.other_investment_krw,
            self.population,
            self.population_0_14,
            self.population_15_39,
            self.population_40_64,
            self.population_65_plus,
            self.net_migration,
            self.net_migration_15_39,
            self.mid_sized_firms,
            self.purchases_local_krw,
            self.purchases_from_capital_krw,
            self.purchases_from_other_regions_krw,
            self.purchases_imported_krw,
            self.vc_private_krw,
            self.vc_public_krw,
            self.angel_krw,
            self.tips_krw,
            self.fund_exits,
            self.fund_exit_cost_krw,
            self.fund_exit_proceeds_krw,
            self.fund_written_off_krw,
        ]
    }
}

/// One row of `national.csv`: national totals (a [`RegionRow`] with region `national`) plus
/// the capital region's shares.
#[derive(Debug, Clone, PartialEq)]
pub struct NationalRow {
    pub year: i32,
    pub totals: RegionRow,
    pub capital_share_firms: f64,
    pub capital_share_employment: f64,
    pub capital_share_sales: f64,
    pub capital_share_vc_investment: f64,
    pub capital_share_population: f64,
    pub capital_share_population_15_39: f64,
    pub noncapital_sme_sales_krw: f64,
}

/// Columns of `national.csv` after `year` and the [`REGION_METRICS`].
pub const NATIONAL_EXTRA: [&str; 7] = [
    "capital_share_firms",
    "capital_share_employment",
    "capital_share_sales",
    "capital_share_vc_investment",
    "capital_share_population",
    "capital_share_population_15_39",
    "noncapital_sme_sales_krw",
];

impl NationalRow {
    /// Header of `national.csv`.
    pub fn header() -> Vec<&'static str> {
        let mut h = vec!["year"];
        h.extend(REGION_METRICS);
        h.extend(NATIONAL_EXTRA);
        h
    }

    /// Values after `year`, in header order.
    pub fn values(&self) -> Vec<f64> {
        let mut v = self.totals.values().to_vec();
        v.extend([
            self.capital_share_firms,
            self.capital_share_employment,
            self.capital_share_sales,
            self.capital_share_vc_investment,
            self.capital_share_population,
            self.capital_share_population_15_39,
            self.noncapital_sme_sales_krw,
        ]);
        v
    }

    /// A value by column name (for summaries and tests).
    pub fn get(&self, column: &str) -> Option<f64> {
        let i = Self::header().iter().position(|c| *c == column)?;
        Some(self.values()[i - 1])
    }
}

/// The rows of one year, per region, from the year-end world (weighted to real units: firms
/// by `weight`, startups by `startup_weight`; flows are weighted when they are booked).
pub fn region_rows(year: i32, world: &World, weight: f64, startup_weight: f64) -> Vec<RegionRow> {
    let mut firms = [0.0; N_REGIONS];
    let mut mid = [0.0; N_REGIONS];
    for i in 0..world.firms.len() {
        let r = world.firms.region[i] as usize;
        match world.firms.status[i] {
            status::SME => firms[r] += 1.0,
            status::MID_SIZED => mid[r] += 1.0,
            _ => {}
        }
    }
    let mut startups = [0.0; N_REGIONS];
    for j in 0..world.startups.len() {
        if world.startups.status[j] == startup_status::ACTIVE {
            startups[world.startups.region[j] as usize] += 1.0;
        }
    }
    let f = &world.flows;
    let reg = &world.regions;
    (0..N_REGIONS)
        .map(|r| {
            let pop = reg.population[r];
            let bought = crate::step::network::purchases_by_origin(&world.network, r);
            RegionRow {
                year,
                region: REGION_IDS[r],
                firms: firms[r] * weight,
                startups: startups[r] * startup_weight,
                startup_births: f.startup_births[r],
                startup_deaths: f.startup_deaths[r],
                startup_graduations: f.startup_graduations[r],
                firm_births: f.firm_births[r],
                firm_deaths: f.firm_deaths[r],
                firms_relocated_in: f.relocated_in[r],
                firms_relocated_out: f.relocated_out[r],
                employment: reg.employment[r],
                labour_force: reg.labour_force[r],
                wage_krw_month: reg.wage_krw_month[r],
                sales_krw: f.sales_krw[r],
                sme_sales_krw: f.sme_sales_krw[r],
                value_added_krw: f.value_added_krw[r],
                vc_investment_krw: f.vc_investment_krw[r],
                vc_deals: f.vc_deals[r],
                other_investment_krw: f.other_investment_krw[r],
                population: pop.iter().sum(),
                population_0_14: pop[AGE_0_14],
                population_15_39: pop[AGE_15_39],
                population_40_64: pop[AGE_40_64],
                population_65_plus: pop[AGE_65_PLUS],
                net_migration: f.net_migration[r],
                net_migration_15_39: f.net_migration_15_39[r],
                mid_sized_firms: mid[r] * weight,
                purchases_local_krw: bought[0] * weight,
                purchases_from_capital_krw: bought[1] * weight,
                purchases_from_other_regions_krw: bought[2] * weight,
                purchases_imported_krw: bought[3] * weight,
                vc_private_krw: f.vc_private_krw[r],
                vc_public_krw: f.vc_public_krw[r],
                angel_krw: f.angel_krw[r],
                tips_krw: f.tips_krw[r],
                fund_exits: f.fund_exits[r],
                fund_exit_cost_krw: f.fund_exit_cost_krw[r],
                fund_exit_proceeds_krw: f.fund_exit_proceeds_krw[r],
                fund_written_off_krw: f.fund_written_off_krw[r],
            }
        })
        .collect()
}

/// The national row of one year from its region rows.
pub fn national_row(rows: &[RegionRow]) -> NationalRow {
    let sum = |f: fn(&RegionRow) -> f64| rows.iter().map(f).sum::<f64>();
    let employment = sum(|r| r.employment);
    let totals = RegionRow {
        year: rows[0].year,
        region: "national",
        firms: sum(|r| r.firms),
        startups: sum(|r| r.startups),
        startup_births: sum(|r| r.startup_births),
        startup_deaths: sum(|r| r.startup_deaths),
        startup_graduations: sum(|r| r.startup_graduations),
        firm_births: sum(|r| r.firm_births),
        firm_deaths: sum(|r| r.firm_deaths),
        firms_relocated_in: sum(|r| r.firms_relocated_in),
        firms_relocated_out: sum(|r| r.firms_relocated_out),
        employment,
        labour_force: sum(|r| r.labour_force),
        wage_krw_month: if employment > 0.0 {
            sum(|r| r.wage_krw_month * r.employment) / employment
        } else {
            0.0
        },
        sales_krw: sum(|r| r.sales_krw),
        sme_sales_krw: sum(|r| r.sme_sales_krw),
        value_added_krw: sum(|r| r.value_added_krw),
        vc_investment_krw: sum(|r| r.vc_investment_krw),
        vc_deals: sum(|r| r.vc_deals),
        other_investment_krw: sum(|r| r.other_investment_krw),
        population: sum(|r| r.population),
        population_0_14: sum(|r| r.population_0_14),
        population_15_39: sum(|r| r.population_15_39),
        population_40_64: sum(|r| r.population_40_64),
        population_65_plus: sum(|r| r.population_65_plus),
        net_migration: sum(|r| r.net_migration),
        net_migration_15_39: sum(|r| r.net_migration_15_39),
        mid_sized_firms: sum(|r| r.mid_sized_firms),
        purchases_local_krw: sum(|r| r.purchases_local_krw),
        purchases_from_capital_krw: sum(|r| r.purchases_from_capital_krw),
        purchases_from_other_regions_krw: sum(|r| r.purchases_from_other_regions_krw),
        purchases_imported_krw: sum(|r| r.purchases_imported_krw),
        vc_private_krw: sum(|r| r.vc_private_krw),
        vc_public_krw: sum(|r| r.vc_public_krw),
        angel_krw: sum(|r| r.angel_krw),
        tips_krw: sum(|r| r.tips_krw),
        fund_exits: sum(|r| r.fund_exits),
        fund_exit_cost_krw: sum(|r| r.fund_exit_cost_krw),
        fund_exit_proceeds_krw: sum(|r| r.fund_exit_proceeds_krw),
        fund_written_off_krw: sum(|r| r.fund_written_off_krw),
    };
    let cap = &rows[CAPITAL];
    // A share of nothing is undefined, not 0 (NaN; written as an empty cell, skipped by every
    // reader): a year without any VC deal must not pull an average over seeds down.
    let share = |c: f64, t: f64| if t > 0.0 { c / t } else { f64::NAN };
    NationalRow {
        year: cap.year,
        capital_share_firms: share(cap.firms, totals.firms),
        capital_share_employment: share(cap.employment, totals.employment),
        capital_share_sales: share(cap.sales_krw, totals.sales_krw),
        capital_share_vc_investment: share(cap.vc_investment_krw, totals.vc_investment_krw),
        capital_share_population: share(cap.population, totals.population),
        capital_share_population_15_39: share(cap.population_15_39, totals.population_15_39),
        noncapital_sme_sales_krw: totals.sme_sales_krw - cap.sme_sales_krw,
        totals,
    }
}

/// Simulated events below which a regional figure is read as noise (issue 12): with n events
/// a count's relative sd is about 1/sqrt(n), 18% at 30.
pub const MIN_SIMULATED_EVENTS: f64 = 30.0;

/// One-line warnings naming the regional figures that rest on fewer than
/// [`MIN_SIMULATED_EVENTS`] simulated events in some year: `cells` are (region id, VC deals,
/// startup births) of one region-year in real units (a run's rows, or an ensemble's means),
/// `startup_weight` the real startups per startup agent. One line per figure, listing the
/// regions and their fewest simulated events a year; empty when every figure is well founded.
pub fn small_sample_warnings(cells: &[(&str, f64, f64)], startup_weight: f64) -> Vec<String> {
    // (figure, its events, which field of a cell counts them)
    let figures = [
        ("vc_investment_krw and vc_deals", "VC deals", 0),
        ("startup_births", "startup births", 1),
    ];
    let mut out = Vec::new();
    for (figure, events, field) in figures {
        let mut fewest: Vec<(&str, f64)> = Vec::new();
        for c in cells {
            let n = if field == 0 { c.1 } else { c.2 } / startup_weight;
            match fewest.iter_mut().find(|(r, _)| *r == c.0) {
                Some(f) => f.1 = f.1.min(n),
                None => fewest.push((c.0, n)),
            }
        }
        let thin: Vec<String> = fewest
            .iter()
            .filter(|(_, n)| *n < MIN_SIMULATED_EVENTS)
            .map(|(r, n)| format!("{r} ({n:.0})"))
            .collect();
        if !thin.is_empty() {
            out.push(format!(
                "warning: regional {figure} rest on fewer than {MIN_SIMULATED_EVENTS} simulated {events} a year in {}: read them as noise",
                thin.join(", ")
            ));
        }
    }
    out
}

/// One row of `programs.csv`: a programme's spending and reach in one region and year.
/// Filled by the policy levers; empty in scenarios without programmes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramRow {
    pub year: i32,
    pub program: &'static str,
    pub region: &'static str,
    /// Public money spent (real KRW, weighted up).
    pub spend_krw: f64,
    /// Firms and startups newly treated this year (real units, weighted up).
    pub firms_treated: f64,
    pub startups_treated: f64,
}

/// One row of `firms.csv` (a firm at a year end).
#[derive(Debug, Clone, Serialize)]
pub struct FirmRow {
    pub year: i32,
    pub id: u64,
    pub region: &'static str,
    pub sector: &'static str,
    pub age_months: u16,
    pub employees: u32,
    pub sales_krw: f32,
    pub productivity: f32,
    pub alive: u8,
    pub mid_sized: u8,
    pub programs: String,
}

/// Firm rows of one year end, in row order (dead firms of this year included, alive = 0).
pub fn firm_rows(year: i32, world: &World) -> impl Iterator<Item = FirmRow> + '_ {
    let f = &world.firms;
    (0..f.len()).map(move |i| FirmRow {
        year,
        id: f.id[i],
        region: REGION_IDS[f.region[i] as usize],
        sector: SECTOR_IDS[f.sector[i] as usize],
        age_months: f.age_months[i],
        employees: f.employees[i],
        sales_krw: f.sales_year_krw[i],
        productivity: f.log_scale[i].exp(),
        alive: u8::from(f.status[i] != status::DEAD),
        mid_sized: u8::from(f.status[i] == status::MID_SIZED),
        programs: crate::policy::flag_names(f.flags[i]),
    })
}

/// One row of `flows.csv`: intermediate purchases in one year through the production network
/// (ODD 7.11), from suppliers in `origin` (or `abroad`) to buyers in `destination`, by the
/// supplier's sector (for imports, the buyer's). Nominal KRW, weighted to real units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowRow {
    pub year: i32,
    pub origin: &'static str,
    pub destination: &'static str,
    pub sector: &'static str,
    pub krw: f64,
}

/// The flow rows of one year (empty without a network): every (origin, destination, sector)
/// cell in index order, then imports by destination and sector.
pub fn flow_rows(year: i32, world: &World, weight: f64) -> Vec<FlowRow> {
    let net = &world.network;
    if net.flows.is_empty() {
        return Vec::new();
    }
    let mut rows = Vec::with_capacity((N_REGIONS + 1) * N_REGIONS * SECTOR_IDS.len());
    for (o, origin) in REGION_IDS.iter().enumerate() {
        for (d, destination) in REGION_IDS.iter().enumerate() {
            for (s, sector) in SECTOR_IDS.iter().enumerate() {
                rows.push(FlowRow {
                    year,
                    origin,
                    destination,
                    sector,
                    krw: net.flows[(o * N_REGIONS + d) * SECTOR_IDS.len() + s] * weight,
                });
            }
        }
    }
    for (d, destination) in REGION_IDS.iter().enumerate() {
        for (s, sector) in SECTOR_IDS.iter().enumerate() {
            rows.push(FlowRow {
                year,
                origin: "abroad",
                destination,
                sector,
                krw: net.imports[d][s] * weight,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_below_thirty_simulated_events_are_named_with_their_fewest() {
        // Weight 10: 250 real deals are 25 simulated ones; the lowest year counts.
        let cells = [
            ("busan", 250.0, 1000.0),
            ("busan", 400.0, 1000.0),
            ("capital", 5000.0, 6000.0),
        ];
        let w = small_sample_warnings(&cells, 10.0);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("vc_deals") && w[0].contains("busan (25)"),
            "{w:?}"
        );
        assert!(!w[0].contains("capital"));
        assert!(small_sample_warnings(&cells, 1.0).is_empty());
    }
}
