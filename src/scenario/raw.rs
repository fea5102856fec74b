//! The scenario file as written: serde structs that mirror the TOML one to one.
//!
//! Every field is required (no hidden defaults for model parameters), unknown keys are
//! rejected, and the only conversion done here is the one serde does. Validation of ranges and
//! names happens in `validate.rs`, which turns these into the typed [`super::Scenario`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole scenario file after `extends` and `--set` have been applied.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Short name used in output folder names.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Parent scenario this one overrides (resolved before deserialisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    pub start_year: i64,
    pub end_year: i64,
    /// Years simulated before `start_year` and discarded (ODD 3.3): the state in January of
    /// `start_year` is one the rules sustain, so the reported years carry no start-up transient.
    pub spinup_years: i64,
    /// Agents per real firm (1.0 = one agent per real firm).
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Startup (and startup-team) agents per real startup, independent of `scale` (1.0 = every
    /// real startup simulated; at least `scale`). Investors are never sampled.
    #[serde(default = "default_startup_scale")]
    pub startup_scale: f64,
    /// Consumer-price inflation: indexes sales, wages and fixed costs (nominal KRW outputs).
    pub inflation_per_year: f64,
    /// Default run seed (the CLI's --seed overrides it).
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub firms: FirmParams,
    pub startups: StartupParams,
    pub investors: BTreeMap<String, RawInvestorKind>,
    pub labour: LabourParams,
    pub demography: DemographyParams,
    pub migration: MigrationParams,
    pub sectors: BTreeMap<String, SectorParams>,
    pub regions: BTreeMap<String, RawRegion>,
    /// Policy levers (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<RawPolicy>,
    /// How outputs are presented (absent: defaults); never changes a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RawOutput>,
    /// The production network (absent: none; ODD 7.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<super::network::RawNetwork>,
    /// The venture market: funds, exits and commitments (absent: defaults; ODD 6.5a, 7.6a).
    #[serde(default)]
    pub venture: VentureParams,
}

/// `[venture]`: funds' life cycle, exits and how private commitments respond (ODD 6.5a).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VentureParams {
    /// Years a fund draws and invests its commitments (its investment period).
    pub fund_investment_years: f64,
    /// Years after its vintage at which a fund sells its remaining holdings at cost.
    pub fund_life_years: f64,
    /// Mean exit proceeds per KRW invested when a portfolio startup of quality 0 graduates.
    pub exit_multiple: f64,
    /// Log exit multiple per sd of the startup's quality.
    pub exit_multiple_quality_effect: f64,
    /// Sd of the log exit multiple's noise.
    pub exit_multiple_sd: f64,
    /// Years of exits and write-offs the realised multiple is taken over.
    pub return_window_years: f64,
    /// Elasticity of private commitments to the realised multiple (relative to the start).
    pub return_elasticity: f64,
    /// Elasticity of private commitments to the number of active startups (the deal flow on
    /// offer, relative to the start).
    pub deal_flow_elasticity: f64,
    /// Private commitments to market funds added (crowded in, > 0) or removed (crowded out,
    /// < 0) per KRW of public money committed to policy parent funds that year.
    pub crowding_per_public_krw: f64,
}

impl Default for VentureParams {
    fn default() -> Self {
        VentureParams {
            fund_investment_years: 4.0,
            fund_life_years: 10.0,
            exit_multiple: 3.0,
            exit_multiple_quality_effect: 0.5,
            exit_multiple_sd: 1.0,
            return_window_years: 3.0,
            return_elasticity: 0.5,
            deal_flow_elasticity: 0.5,
            crowding_per_public_krw: 0.0,
        }
    }
}

/// `[output]`: presentation of charts and the report.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// Language of charts and the report: "en" (default) or "ko"; `--lang` and REGSIM_LANG
    /// take precedence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

fn default_scale() -> f64 {
    0.01
}

fn default_startup_scale() -> f64 {
    1.0
}

fn default_seed() -> u64 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FirmParams {
    pub total_smes: f64,
    pub total_sme_workers: f64,
    pub one_person_share: f64,
    pub size_tail_alpha: f64,
    pub size_tail_min_employees: f64,
    pub max_initial_employees: f64,
    pub initial_age_mean_months: f64,
    pub initial_scale_sd: f64,
    pub one_person_log_scale_mean: f64,
    pub one_person_log_scale_sd: f64,
    pub initial_cash_months: f64,
    /// Owners draw the profit that lifts cash above this many months of costs (ODD 7.4).
    pub cash_buffer_months: f64,
    pub birth_pop_elasticity: f64,
    pub entrant_scale_median: f64,
    pub entrant_scale_sd: f64,
    pub shock_sd_per_month: f64,
    pub jump_probability_per_month: f64,
    pub jump_scale: f64,
    pub size_volatility_exponent: f64,
    pub young_volatility_boost: f64,
    pub young_age_months: f64,
    pub adjustment_band_workers: f64,
    pub hire_speed_per_month: f64,
    pub fire_speed_per_month: f64,
    pub understaffing_elasticity: f64,
    pub wage_elasticity: f64,
    pub fixed_cost_share: f64,
    pub exit_loss_months: f64,
    pub exit_hazard_new_per_year: f64,
    pub exit_hazard_mature_per_year: f64,
    pub exit_hazard_age_months: f64,
    /// Elasticity of the exit hazard to the firm's market potential relative to its market's
    /// typical firm, and to its market's conditions (ODD 7.4).
    pub exit_performance_elasticity: f64,
    /// Share of a firm's gain in market potential taken from the competitors in its (region,
    /// sector) market: 0 = demand follows capacity, 1 = fixed market demand (ODD 7.3a).
    pub displacement: f64,
    /// Elasticity of firm entry to the market's conditions (crowding, shocks) (ODD 7.7).
    pub entry_profit_elasticity: f64,
    /// Share of new firms that start with a high-growth phase (ODD 7.2, 7.7).
    pub high_growth_share: f64,
    /// Extra drift of log scale during a high-growth phase.
    pub high_growth_drift_per_year: f64,
    /// Mean length of a high-growth phase (exponential), years.
    pub high_growth_years_mean: f64,
    pub relocation_rate_per_year: f64,
    pub relocation_to_capital_share: f64,
    pub mid_sized_employees: f64,
    pub mid_sized_sales_krw: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StartupParams {
    pub initial_total: f64,
    pub births_per_year: f64,
    pub seed_cash_krw: f64,
    pub burn_per_member_krw_month: f64,
    pub initial_team: f64,
    pub progress_per_year: f64,
    pub progress_quality_effect: f64,
    pub progress_sd_per_month: f64,
    pub funding_progress_boost: f64,
    pub seek_runway_months: f64,
    pub team_growth_per_round: f64,
    pub graduation_scale_quality_effect: f64,
    /// Years the startups and investors alone run before the model's spin-up (ODD 3.3), so
    /// the startup stock starts the reported years settled (absent: 5).
    #[serde(default = "default_startup_settle_years")]
    pub settle_years: f64,
    /// Elasticity of a funded startup's team growth and progress boost to its round size
    /// relative to `reference_round_krw` (ODD 7.6; absent: 0.5).
    #[serde(default = "default_round_size_elasticity")]
    pub round_size_elasticity: f64,
    /// Round size at which team growth and progress boost take their base values (absent:
    /// 1e9 KRW, the VC seed ticket).
    #[serde(default = "default_reference_round_krw")]
    pub reference_round_krw: f64,
    /// Log of the factor on `firms.high_growth_share` per sd of a graduate's quality: better
    /// graduates more often enter the firm population growing fast (ODD 7.5; absent: 0.5).
    #[serde(default = "default_graduate_high_growth_quality_effect")]
    pub graduate_high_growth_quality_effect: f64,
}

fn default_graduate_high_growth_quality_effect() -> f64 {
    0.5
}

fn default_round_size_elasticity() -> f64 {
    0.5
}

fn default_reference_round_krw() -> f64 {
    1e9
}

fn default_startup_settle_years() -> f64 {
    5.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInvestorKind {
    /// Number of investor agents by home region (not scaled: investors are few).
    pub count_by_region: BTreeMap<String, f64>,
    /// Money committed to this kind per year, nationally, in real KRW.
    pub annual_commitment_krw: f64,
    /// Ticket size by funding stage (index = stage of the startup before the round).
    pub ticket_krw_by_stage: Vec<f64>,
    /// Lowest and highest stage this kind invests in.
    pub min_stage: f64,
    pub max_stage: f64,
    pub screening_noise_sd: f64,
    pub home_bias_per_100km: f64,
    pub min_score: f64,
    pub max_deals_per_month: f64,
    /// Proposals from seeking startups an investor screens per month.
    pub deal_flow_per_month: f64,
    /// Whether this kind's money counts as venture capital in outputs.
    pub counts_as_vc: bool,
    /// Source of the money in `regions.csv` (`vc`, `angel`, `tips` or `other`; absent: `vc`
    /// if `counts_as_vc`, else `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabourParams {
    pub participation_15_39: f64,
    pub participation_40_64: f64,
    pub participation_65_plus: f64,
    pub sme_share_of_workers: f64,
    pub frictional_unemployment: f64,
    pub wage_growth_per_year: f64,
    pub wage_tightness_elasticity: f64,
    pub local_demand_elasticity: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemographyParams {
    pub fertility_per_15_39: f64,
    pub mortality_0_14: f64,
    pub mortality_15_39: f64,
    pub mortality_40_64: f64,
    pub mortality_65_plus: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationParams {
    pub move_rate_0_14: f64,
    pub move_rate_15_39: f64,
    pub move_rate_40_64: f64,
    pub move_rate_65_plus: f64,
    pub wage_weight_15_39: f64,
    pub wage_weight_other: f64,
    pub jobs_weight_15_39: f64,
    pub jobs_weight_other: f64,
    pub distance_weight: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SectorParams {
    pub scale_drift_per_year: f64,
    pub demand_growth_per_year: f64,
    pub materials_share: f64,
    pub sales_per_worker_index: f64,
    pub capital_intensity: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    pub smes_2021: f64,
    pub sme_workers_2021: f64,
    pub population: f64,
    pub share_0_14: f64,
    pub share_15_39: f64,
    pub share_65_plus: f64,
    pub wage_krw_month: f64,
    pub sales_per_worker_krw_year: f64,
    pub amenity_15_39: f64,
    pub amenity_other: f64,
    pub startup_ecosystem: f64,
    pub sector_mix: BTreeMap<String, f64>,
}

/// A year-keyed schedule as written: `{ 2026 = 1.0e12, 2027 = ... }`.
pub type YearMap<T> = BTreeMap<String, T>;

/// `[policy]`: every lever is optional and off when absent (see docs/ODD.md 6.11).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Cap on the sum of all programmes' spending per year (real KRW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cap_krw_per_year: Option<f64>,
    /// Elasticity of a programme's per-unit effect to its money per unit (ODD 7.10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_elasticity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_cities: Option<RawHubCities>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_parks: Option<RawStartupParks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth_fund: Option<RawGrowthFund>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tips: Option<RawTips>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_factories: Option<RawSmartFactories>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump_up: Option<RawSelection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_entrepreneurs: Option<RawLocalEntrepreneurs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_stop: Option<RawOneStop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_industries: Option<RawKeyIndustries>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_supply_chains: Option<RawSelection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<RawShock>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHubCities {
    /// Regions designated from each year on (cumulative).
    pub regions_by_year: YearMap<Vec<String>>,
    pub cost_krw_per_hub_year: f64,
    pub startup_birth_boost: f64,
    pub startup_quality_boost: f64,
    pub investor_distance_discount: f64,
    pub amenity_15_39_boost: f64,
    /// Money per hub-year at which the boosts hold (dose-response, ODD 7.10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_krw_per_hub_year: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawStartupParks {
    pub regions_by_year: YearMap<Vec<String>>,
    pub cost_krw_per_region_year: f64,
    pub angel_krw_per_region_year: f64,
    pub startup_birth_boost: f64,
    pub angel_kind: String,
    /// Park money per region-year at which the birth boost holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_krw_per_region_year: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrowthFund {
    pub budget_krw_by_year: YearMap<f64>,
    /// Regions with a parent fund (empty: the 14 non-capital regions).
    #[serde(default)]
    pub regions: Vec<String>,
    pub funds_per_region: f64,
    pub local_share: f64,
    pub private_match_ratio: f64,
    pub investor_kind: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTips {
    pub selections_by_year: YearMap<f64>,
    pub match_krw_by_year: YearMap<f64>,
    #[serde(default)]
    pub regional_share_by_year: YearMap<f64>,
    pub regional_ticket_relief: f64,
    pub operator_kind: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budget_krw_by_year: YearMap<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmartFactories {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_ai: Option<RawSelection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_specialised: Option<RawSelection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaborative: Option<RawSelection>,
}

/// A programme that selects firms each year (smart factories, Jump-Up, AI supply chains).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelection {
    pub count_by_year: YearMap<f64>,
    pub cost_krw_per_firm: f64,
    pub productivity_gain: f64,
    pub tech_gain: f64,
    pub sectors: Vec<String>,
    /// Eligible regions (empty: all).
    #[serde(default)]
    pub regions: Vec<String>,
    pub min_employees: f64,
    /// Absent: random among the eligible; given: rank by `log_scale + sd * z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_noise_sd: Option<f64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budget_krw_by_year: YearMap<f64>,
    /// Money per firm at which the gains hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_krw_per_firm: Option<f64>,
    /// Share of a treated buyer's productivity gain its suppliers get, in proportion to the
    /// share of their orders it places (ODD 7.10.12; only with `[network]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_spillover: Option<f64>,
    /// Share of a treated buyer's links to suppliers in other regions moved to suppliers in
    /// its own region (ODD 7.10.12; only with `[network]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_sourcing_shift: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocalEntrepreneurs {
    pub founders_by_year: YearMap<f64>,
    pub creators_by_year: YearMap<f64>,
    pub regional_share: f64,
    pub grant_krw_per_founder: f64,
    pub grant_krw_per_creator: f64,
    pub creator_progress_boost: f64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budget_krw_by_year: YearMap<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOneStop {
    pub cost_krw_by_year: YearMap<f64>,
    pub centres_by_region: BTreeMap<String, f64>,
    pub advisors: f64,
    /// Startups one advisor can serve; fewer advisors than needed dilute the boost.
    pub startups_per_advisor: f64,
    pub progress_boost_per_year: f64,
    /// Money per centre-year at which the progress boost holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_krw_per_centre_year: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeyIndustries {
    pub from_year: i64,
    /// Sector groups designated as main / future industries, by region.
    pub main_industries: BTreeMap<String, Vec<String>>,
    pub future_industries: BTreeMap<String, Vec<String>>,
    pub main_gain_per_year: f64,
    pub future_gain_per_year: f64,
    pub incentive_krw_by_year: YearMap<f64>,
    pub performance_gain_per_year: f64,
    pub performance_sensitivity: f64,
    /// Incentive per treated SME and year at which the gains hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_krw_per_firm_year: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawShock {
    /// "demand" or "supply".
    pub kind: String,
    /// Affected sectors and regions (empty: all).
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    pub start_year: i64,
    /// 1..12.
    pub start_month: i64,
    pub months: i64,
    /// Fractional loss of demand or output, 0..1.
    pub size: f64,
    /// What the shock hits: "firms" (default), "anchors" (the anchor customers' purchases)
    /// or "links" (purchases through the network by buyers in the listed regions and sectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}
