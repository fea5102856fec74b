//! The levers as validated data: what a scenario's `[policy]` section asks for, with every
//! name resolved to an index and every year to an offset from `start_year`.
//!
//! Built by `scenario::validate`; read by `policy::apply`. Year-indexed vectors have one entry
//! per simulated year (`index = year - start_year`).

use super::{N_PROGRAMS, Program};
use crate::model::geo::{N_REGIONS, N_SECTORS};

/// All levers of a scenario; every one is off by default.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Cap on the sum of all programmes' spending per year (real KRW), if any.
    pub budget_cap_krw_per_year: Option<f64>,
    /// Elasticity of a programme's per-unit effect to its money per unit (see [`Policy::dose`]).
    pub dose_elasticity: f64,
    pub hub_cities: Option<HubCities>,
    pub startup_parks: Option<StartupParks>,
    pub growth_fund: Option<GrowthFund>,
    pub tips: Option<Tips>,
    /// Smart factories by type: advanced AI, sector-specialised, collaborative.
    pub smart_factories: [Option<Selection>; 3],
    pub jump_up: Option<Selection>,
    pub local_entrepreneurs: Option<LocalEntrepreneurs>,
    pub one_stop: Option<OneStop>,
    pub key_industries: Option<KeyIndustries>,
    pub ai_supply_chains: Option<Selection>,
    pub shocks: Vec<Shock>,
}

/// Startup hub cities: designated regions get more and better startup births, a smaller
/// investor distance penalty and a better amenity for young movers.
#[derive(Debug, Clone)]
pub struct HubCities {
    /// Whether each region is a hub in each year (designation is cumulative).
    pub hubs: Vec<[bool; N_REGIONS]>,
    pub cost_krw_per_hub_year: f64,
    pub startup_birth_boost: f64,
    pub startup_quality_boost: f64,
    pub investor_distance_discount: f64,
    pub amenity_15_39_boost: f64,
    pub reference_krw_per_hub_year: f64,
}

/// Startup parks and angel-investment hubs per region.
#[derive(Debug, Clone)]
pub struct StartupParks {
    pub parks: Vec<[bool; N_REGIONS]>,
    pub cost_krw_per_region_year: f64,
    pub angel_krw_per_region_year: f64,
    pub startup_birth_boost: f64,
    /// Index of the investor kind that receives the angel-hub money.
    pub angel_kind: u8,
    pub reference_krw_per_region_year: f64,
}

/// The regional growth fund: parent funds per region commit public money (plus private
/// co-investment) to VC-like funds that must invest a share of their deals locally.
#[derive(Debug, Clone)]
pub struct GrowthFund {
    pub budget_krw: Vec<f64>,
    pub regions: [bool; N_REGIONS],
    pub funds_per_region: u32,
    pub local_share: f64,
    pub private_match_ratio: f64,
    /// Investor kind whose tickets, stages and screening the funds use.
    pub investor_kind: u8,
}

/// TIPS: operator invests first, the government matches with an R&D grant.
#[derive(Debug, Clone)]
pub struct Tips {
    /// Selections (real firms) per year.
    pub selections: Vec<f64>,
    pub match_krw: Vec<f64>,
    /// Share of selections reserved for non-capital startups.
    pub regional_share: Vec<f64>,
    /// Operator ticket for non-capital startups is cut by this share.
    pub regional_ticket_relief: f64,
    pub operator_kind: u8,
    pub budget_krw: Vec<f64>,
}

/// A programme that selects firms once a year and gives each a one-off productivity and
/// technology boost (smart factories, Jump-Up, AI supply chains).
#[derive(Debug, Clone)]
pub struct Selection {
    /// Firms (real) selected per year.
    pub count: Vec<f64>,
    pub cost_krw_per_firm: f64,
    /// Relative productivity (scale) gain of an adopter: `log_scale += ln(1 + gain)`.
    pub productivity_gain: f64,
    pub tech_gain: f64,
    pub sectors: [bool; N_SECTORS],
    pub regions: [bool; N_REGIONS],
    pub min_employees: u32,
    /// `None`: random among the eligible; `Some(sd)`: the eligible with the highest
    /// `log_scale + sd * z` (growth-ready firms).
    pub rank_noise_sd: Option<f64>,
    pub budget_krw: Vec<f64>,
    /// Money per firm at which `productivity_gain` and `tech_gain` hold.
    pub reference_krw_per_firm: f64,
    /// Link levers (ODD 7.10.12; act only with `[network]`, 0 = off): the share of a treated
    /// buyer's productivity gain passed to its suppliers (weighted by the share of their
    /// orders it places), and the share of its links to other regions moved home.
    pub supplier_spillover: f64,
    pub local_sourcing_shift: f64,
}

/// Local entrepreneurs (extra young founders, 90% outside the capital) and local creators.
#[derive(Debug, Clone)]
pub struct LocalEntrepreneurs {
    pub founders: Vec<f64>,
    pub creators: Vec<f64>,
    pub regional_share: f64,
    pub grant_krw_per_founder: f64,
    pub grant_krw_per_creator: f64,
    pub creator_progress_boost: f64,
    pub budget_krw: Vec<f64>,
}

/// One-stop startup support centres and advisors.
#[derive(Debug, Clone)]
pub struct OneStop {
    pub cost_krw: Vec<f64>,
    pub centres: [f64; N_REGIONS],
    pub advisors: f64,
    pub startups_per_advisor: f64,
    pub progress_boost_per_year: f64,
    pub reference_krw_per_centre_year: f64,
}

/// Regional key-industry designations with performance-based incentives.
#[derive(Debug, Clone)]
pub struct KeyIndustries {
    pub from_year_index: usize,
    /// 0 = not designated, 1 = main industry, 2 = future industry.
    pub designation: [[u8; N_SECTORS]; N_REGIONS],
    pub main_gain_per_year: f64,
    pub future_gain_per_year: f64,
    pub incentive_krw: Vec<f64>,
    pub performance_gain_per_year: f64,
    pub performance_sensitivity: f64,
    /// Incentive per treated SME and year at which the gains hold.
    pub reference_krw_per_firm_year: f64,
}

/// Whether a shock cuts demand (sales and labour demand) or supply (sales only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShockKind {
    Demand,
    Supply,
}

/// What a shock hits (ODD 7.11): the simulated firms' markets, the anchor customers'
/// purchases, or the purchases through the network of buyers in its regions and sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShockTarget {
    Firms,
    Anchors,
    Links,
}

/// A sector or regional shock over a window of months.
#[derive(Debug, Clone)]
pub struct Shock {
    pub kind: ShockKind,
    pub target: ShockTarget,
    pub sectors: [bool; N_SECTORS],
    pub regions: [bool; N_REGIONS],
    /// First affected step (months since January of the start year) and length in months.
    pub start_step: u32,
    pub months: u32,
    /// Fractional loss, 0..1.
    pub size: f64,
}

/// The default [`Policy::dose_elasticity`]: halving the money per unit keeps 71% of the
/// effect, doubling it gives 141% (ODD 7.10.0; an assumption).
pub const DOSE_ELASTICITY: f64 = 0.5;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            budget_cap_krw_per_year: None,
            dose_elasticity: DOSE_ELASTICITY,
            hub_cities: None,
            startup_parks: None,
            growth_fund: None,
            tips: None,
            smart_factories: [None, None, None],
            jump_up: None,
            local_entrepreneurs: None,
            one_stop: None,
            key_industries: None,
            ai_supply_chains: None,
            shocks: Vec::new(),
        }
    }
}

impl Policy {
    /// How much of a per-unit effect `money_krw` per unit buys when the effect size holds at
    /// `reference_krw`: `(money / reference)^dose_elasticity` (1 at the reference; concave, so
    /// doubling the money per unit less than doubles the effect; 0 without money).
    pub fn dose(&self, money_krw: f64, reference_krw: f64) -> f64 {
        if money_krw <= 0.0 || reference_krw <= 0.0 {
            return 0.0;
        }
        (money_krw / reference_krw).powf(self.dose_elasticity)
    }

    /// Whether any lever is configured.
    pub fn is_active(&self) -> bool {
        self.active_programs().iter().any(|&a| a) || !self.shocks.is_empty()
    }

    /// Which programmes the scenario configures (they get rows in `programs.csv`).
    pub fn active_programs(&self) -> [bool; N_PROGRAMS] {
        let mut a = [false; N_PROGRAMS];
        a[Program::HubCities as usize] = self.hub_cities.is_some();
        a[Program::StartupParks as usize] = self.startup_parks.is_some();
        a[Program::GrowthFund as usize] = self.growth_fund.is_some();
        a[Program::Tips as usize] = self.tips.is_some();
        for (t, sf) in self.smart_factories.iter().enumerate() {
            a[Program::SmartFactoryAdvancedAi as usize + t] = sf.is_some();
        }
        a[Program::JumpUp as usize] = self.jump_up.is_some();
        a[Program::LocalEntrepreneurs as usize] = self.local_entrepreneurs.is_some();
        a[Program::LocalCreators as usize] = self.local_entrepreneurs.is_some();
        a[Program::OneStop as usize] = self.one_stop.is_some();
        a[Program::KeyIndustries as usize] = self.key_industries.is_some();
        a[Program::AiSupplyChains as usize] = self.ai_supply_chains.is_some();
        a
    }

    /// The most a programme may spend in year index `y` before the overall cap: its planned
    /// cost (counts x unit cost, or its fixed yearly amounts), limited by its own budget.
    pub fn planned_krw(&self, p: Program, y: usize) -> f64 {
        let sel = |s: &Option<Selection>| {
            s.as_ref().map_or(0.0, |s| {
                (s.count[y] * s.cost_krw_per_firm).min(s.budget_krw[y])
            })
        };
        let hubs = |h: &[bool; N_REGIONS]| h.iter().filter(|&&b| b).count() as f64;
        match p {
            Program::HubCities => self
                .hub_cities
                .as_ref()
                .map_or(0.0, |h| hubs(&h.hubs[y]) * h.cost_krw_per_hub_year),
            Program::StartupParks => self.startup_parks.as_ref().map_or(0.0, |s| {
                hubs(&s.parks[y]) * (s.cost_krw_per_region_year + s.angel_krw_per_region_year)
            }),
            Program::GrowthFund => self.growth_fund.as_ref().map_or(0.0, |g| g.budget_krw[y]),
            Program::Tips => self.tips.as_ref().map_or(0.0, |t| {
                (t.selections[y] * t.match_krw[y]).min(t.budget_krw[y])
            }),
            Program::SmartFactoryAdvancedAi => sel(&self.smart_factories[0]),
            Program::SmartFactorySectorSpecialised => sel(&self.smart_factories[1]),
            Program::SmartFactoryCollaborative => sel(&self.smart_factories[2]),
            Program::JumpUp => sel(&self.jump_up),
            Program::AiSupplyChains => sel(&self.ai_supply_chains),
            Program::LocalEntrepreneurs => self.local_entrepreneurs.as_ref().map_or(0.0, |l| {
                let creators = l.creators[y] * l.grant_krw_per_creator;
                (l.founders[y] * l.grant_krw_per_founder).min((l.budget_krw[y] - creators).max(0.0))
            }),
            Program::LocalCreators => self.local_entrepreneurs.as_ref().map_or(0.0, |l| {
                (l.creators[y] * l.grant_krw_per_creator).min(l.budget_krw[y])
            }),
            Program::OneStop => self.one_stop.as_ref().map_or(0.0, |o| o.cost_krw[y]),
            Program::KeyIndustries => self.key_industries.as_ref().map_or(0.0, |k| {
                if y >= k.from_year_index {
                    k.incentive_krw[y]
                } else {
                    0.0
                }
            }),
        }
    }

    /// Share of each programme's planned spending funded in year index `y` once the overall
    /// cap is applied (pro rata: every programme is cut by the same factor).
    pub fn funded_share(&self, y: usize) -> f64 {
        let Some(cap) = self.budget_cap_krw_per_year else {
            return 1.0;
        };
        let total: f64 = Program::ALL.iter().map(|&p| self.planned_krw(p, y)).sum();
        if total > cap { cap / total } else { 1.0 }
    }
}
