//! The run driver: initialise, step month by month, observe each year end.
//!
//! **Invariant:** no IO and no clock here except the phase timings kept by the pipeline. The
//! caller chooses the thread pool (`rayon::ThreadPool::install`); results do not depend on it.

use crate::metrics::{NationalRow, ProgramRow, RegionRow, national_row, region_rows};
use crate::model::{Ledger, World, init_world};
use crate::rng::Streams;
use crate::scenario::Scenario;
use crate::step::{Pipeline, close_year, step_month};

/// What a run produces besides what its observer took.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub regions: Vec<RegionRow>,
    pub national: Vec<NationalRow>,
    /// Programme spending per (year, programme, region); empty without programmes.
    pub programs: Vec<ProgramRow>,
    pub ledger: Ledger,
    /// Wall time per phase (see `step::PHASES`).
    pub timings: [std::time::Duration; 7],
    pub firm_rows_stepped: u64,
}

/// Runs a scenario with a seed. `on_year_end(year, world)` sees the world after each December,
/// before exited agents are dropped; an error from it stops the run.
pub fn simulate<E>(
    scn: &Scenario,
    seed: u64,
    mut on_year_end: impl FnMut(i32, &World) -> Result<(), E>,
) -> Result<RunResult, E> {
    let streams = Streams::new(seed);
    let (mut world, derived) = init_world(scn, &streams);
    let mut pipe = Pipeline::default();
    let mut regions = Vec::new();
    let mut national = Vec::new();
    let mut programs = Vec::new();
    let active = scn.policy.active_programs();
    for month in 0..scn.months() {
        step_month(&mut world, scn, &derived, &streams, &mut pipe);
        if (month + 1) % 12 == 0 {
            let year = scn.start_year + (month / 12) as i32;
            let rows = region_rows(year, &world, derived.weight);
            national.push(national_row(&rows));
            regions.extend(rows);
            programs.extend(world.policy.take_rows(year, &active));
            on_year_end(year, &world)?;
            close_year(&mut world);
        }
    }
    Ok(RunResult {
        regions,
        national,
        programs,
        ledger: world.ledger.clone(),
        timings: pipe.timings,
        firm_rows_stepped: pipe.firm_rows_stepped,
    })
}

/// Runs without observing years (the common case for ensembles and tests).
pub fn simulate_plain(scn: &Scenario, seed: u64) -> RunResult {
    simulate::<std::convert::Infallible>(scn, seed, |_, _| Ok(())).unwrap_or_else(|e| match e {})
}
