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
    /// Agents per real firm (1.0 = one agent per real firm).
    #[serde(default = "default_scale")]
    pub scale: f64,
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
}

fn default_scale() -> f64 {
    0.01
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
    pub birth_rate_per_year: f64,
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
