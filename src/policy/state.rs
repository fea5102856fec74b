//! What the levers keep between steps: this year's accounts per programme and region, what
//! each programme may still spend, and the modifiers the step reads this month.
//!
//! Part of the [`crate::model::World`]; holds no scenario data beyond what the levers derived
//! from it in January.

use super::{N_PROGRAMS, Program};
use crate::metrics::ProgramRow;
use crate::model::geo::{N_REGIONS, N_SECTORS, REGION_IDS};

/// One programme's spending and reach in one region this year (real units, weighted up).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProgramAcc {
    pub spend_krw: f64,
    pub firms_treated: f64,
    pub startups_treated: f64,
}

/// Lever state and this month's modifiers. [`PolicyState::neutral`] changes nothing.
#[derive(Debug, Clone)]
pub struct PolicyState {
    /// This year's accounts by programme and region.
    pub acc: [[ProgramAcc; N_REGIONS]; N_PROGRAMS],
    /// Money each programme may still spend this year (real KRW).
    pub left_krw: [f64; N_PROGRAMS],
    /// Share of each programme's planned year funded after the overall cap (0..1).
    pub funded: [f64; N_PROGRAMS],
    /// Startup births multiplier by region (hub cities, startup parks).
    pub startup_birth_mult: [f64; N_REGIONS],
    /// Added to a new startup's quality, by region (hub cities).
    pub startup_quality_shift: [f64; N_REGIONS],
    /// Flags given to startups born in a region (hub city, one-stop).
    pub startup_birth_flags: [u16; N_REGIONS],
    /// Multiplies investors' distance penalty toward startups in a region (hub cities).
    pub distance_factor: [f64; N_REGIONS],
    /// Demand and supply multipliers by region and sector (shocks).
    pub demand_mult: [[f64; N_SECTORS]; N_REGIONS],
    pub supply_mult: [[f64; N_SECTORS]; N_REGIONS],
    /// Multipliers on anchor customers' purchases and on the network purchases of buyers, by
    /// region and sector (shocks with `target = "anchors"` or `"links"`; ODD 7.11).
    pub anchor_mult: [[f64; N_SECTORS]; N_REGIONS],
    pub link_mult: [[f64; N_SECTORS]; N_REGIONS],
    /// Extra monthly drift of log scale by region and sector (key industries).
    pub drift_bonus_month: [[f32; N_SECTORS]; N_REGIONS],
    /// Extra monthly progress of startups flagged `one_stop`.
    pub one_stop_progress_month: f64,
    /// Expected extra founders (real) per month by region (local entrepreneurs) and the
    /// grant each receives.
    pub founders_month: [f64; N_REGIONS],
    pub founder_grant_krw: f64,
    /// TIPS this year: whether selections run, selections (real) still open in total and for
    /// capital-region startups, the match per selection and the ticket cut for regional firms.
    pub tips_active: bool,
    pub tips_left: f64,
    pub tips_capital_left: f64,
    pub tips_match_krw: f64,
    pub tips_relief: f64,
    /// SME sales by region in each finished year (key-industry evaluation).
    pub sales_by_year: Vec<[f64; N_REGIONS]>,
    /// This January's link levers, in programme order, for the network pass to apply
    /// (ODD 7.10.12; empty without `[network]` or without link levers).
    pub link_actions: Vec<LinkAction>,
}

/// A selection programme's link levers on this year's treated firms (ODD 7.10.12).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkAction {
    /// Firm rows treated this January (ascending).
    pub rows: Vec<u32>,
    /// Relative scale gain of a supplier all of whose orders come from treated rows
    /// (`supplier_spillover x productivity_gain x dose`).
    pub spillover_gain: f64,
    /// Probability that a treated buyer's link to another region moves home.
    pub local_shift: f64,
    /// Programme index (keys the draws).
    pub program: u32,
}

impl PolicyState {
    pub fn neutral() -> Self {
        PolicyState {
            acc: [[ProgramAcc::default(); N_REGIONS]; N_PROGRAMS],
            left_krw: [0.0; N_PROGRAMS],
            funded: [1.0; N_PROGRAMS],
            startup_birth_mult: [1.0; N_REGIONS],
            startup_quality_shift: [0.0; N_REGIONS],
            startup_birth_flags: [0; N_REGIONS],
            distance_factor: [1.0; N_REGIONS],
            demand_mult: [[1.0; N_SECTORS]; N_REGIONS],
            supply_mult: [[1.0; N_SECTORS]; N_REGIONS],
            anchor_mult: [[1.0; N_SECTORS]; N_REGIONS],
            link_mult: [[1.0; N_SECTORS]; N_REGIONS],
            drift_bonus_month: [[0.0; N_SECTORS]; N_REGIONS],
            one_stop_progress_month: 0.0,
            founders_month: [0.0; N_REGIONS],
            founder_grant_krw: 0.0,
            tips_active: false,
            tips_left: 0.0,
            tips_capital_left: 0.0,
            tips_match_krw: 0.0,
            tips_relief: 0.0,
            sales_by_year: Vec::new(),
            link_actions: Vec::new(),
        }
    }

    /// Books spending against a programme's remaining money (the caller checked it fits).
    pub fn spend(&mut self, p: Program, region: usize, krw: f64) {
        self.left_krw[p as usize] -= krw;
        self.acc[p as usize][region].spend_krw += krw;
    }

    /// Whether `krw` more fits in what the programme may still spend this year (with a
    /// relative tolerance for rounding of the yearly split).
    pub fn fits(&self, p: Program, krw: f64) -> bool {
        let left = self.left_krw[p as usize];
        krw <= left + 1e-9 * left.abs()
    }

    /// The year's rows for the active programmes (every region, zeros included), then resets
    /// the accounts.
    pub fn take_rows(&mut self, year: i32, active: &[bool; N_PROGRAMS]) -> Vec<ProgramRow> {
        let mut rows = Vec::new();
        for p in Program::ALL {
            if !active[p as usize] {
                continue;
            }
            for (r, a) in self.acc[p as usize].iter().enumerate() {
                rows.push(ProgramRow {
                    year,
                    program: p.name(),
                    region: REGION_IDS[r],
                    spend_krw: a.spend_krw,
                    firms_treated: a.firms_treated,
                    startups_treated: a.startups_treated,
                });
            }
        }
        self.acc = [[ProgramAcc::default(); N_REGIONS]; N_PROGRAMS];
        rows
    }
}

impl Default for PolicyState {
    fn default() -> Self {
        Self::neutral()
    }
}
