//! Scenarios: TOML file -> raw serde structs -> validated, typed [`Scenario`].
//!
//! **Invariant:** only this module knows TOML; the model receives a `&Scenario` and never
//! stores it. Validation reports every problem at once, each as one line naming the file,
//! the key (and line where known) and what is allowed.

mod check_policy;
mod error;
mod load;
pub mod network;
mod raw;
pub mod uncertainty;
mod validate;

pub use error::{Problem, ScenarioError};
pub use raw::{
    DemographyParams, FirmParams, LabourParams, MigrationParams, RawScenario, SectorParams,
    StartupParams, VentureParams,
};

use crate::model::geo::{N_REGIONS, N_SECTORS};
use std::path::{Path, PathBuf};

/// A validated scenario: every name resolved to an index, every value in range.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub file: PathBuf,
    pub start_year: i32,
    pub end_year: i32,
    /// Years simulated before `start_year` and discarded.
    pub spinup_years: u32,
    pub scale: f64,
    /// Startup agents per real startup (ODD 2.7); `scale <= startup_scale <= 1`.
    pub startup_scale: f64,
    pub seed: u64,
    pub inflation_per_year: f64,
    pub firms: FirmParams,
    pub startups: StartupParams,
    /// Investor kinds in name order.
    pub investors: Vec<InvestorKind>,
    pub labour: LabourParams,
    pub demography: DemographyParams,
    pub migration: MigrationParams,
    pub sectors: [SectorParams; N_SECTORS],
    pub regions: [RegionParams; N_REGIONS],
    /// Policy levers (all off when the file has no `[policy]` section).
    pub policy: crate::policy::Policy,
    /// The production network (`None`: firms buy from no one; ODD 7.11).
    pub network: Option<network::NetworkParams>,
    /// The venture market (ODD 6.5a).
    pub venture: VentureParams,
    /// The resolved scenario as written (after `extends` and `--set`), for manifests.
    pub raw: RawScenario,
}

/// One investor kind (angels, VC funds, TIPS operators, ...).
#[derive(Debug, Clone)]
pub struct InvestorKind {
    pub name: String,
    pub count_by_region: [u32; N_REGIONS],
    pub annual_commitment_krw: f64,
    pub ticket_krw_by_stage: Vec<f64>,
    pub min_stage: u8,
    pub max_stage: u8,
    pub screening_noise_sd: f64,
    pub home_bias_per_100km: f64,
    pub min_score: f64,
    pub max_deals_per_month: u32,
    pub deal_flow_per_month: u32,
    pub counts_as_vc: bool,
    /// Where its money is reported in `regions.csv` (by source).
    pub source: MoneySource,
}

/// Source of an investor kind's money in `regions.csv` (docs/OUTPUTS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneySource {
    Vc,
    Angel,
    Tips,
    Other,
}

/// Initial figures and fixed characteristics of one region.
#[derive(Debug, Clone)]
pub struct RegionParams {
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
    /// Sector shares of the region's firms, normalised to sum to 1.
    pub sector_mix: [f64; N_SECTORS],
}

impl Scenario {
    /// Loads, merges (`extends`), overrides (`--set key=value`) and validates a scenario file.
    pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
        let loaded = load::load(path, sets)?;
        validate::validate(&loaded)
    }

    /// The price level at `step` months after the start (1 at the start).
    pub fn price_level(&self, step: u32) -> f64 {
        ((1.0 + self.inflation_per_year).ln() * f64::from(step) / 12.0).exp()
    }

    /// Number of monthly steps from January of the start year to December of the end year.
    pub fn months(&self) -> u32 {
        ((self.end_year - self.start_year + 1) * 12) as u32
    }

    /// The resolved scenario as pretty TOML (what `regsim check` prints).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.raw).unwrap_or_else(|e| format!("# cannot render: {e}"))
    }
}
