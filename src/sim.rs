//! The run driver: initialise, step month by month, observe each year end.
//!
//! **Invariant:** no IO and no clock here except the phase timings kept by the pipeline. The
//! caller chooses the thread pool (`rayon::ThreadPool::install`); results do not depend on it.

use crate::metrics::{
    FlowRow, NationalRow, ProgramRow, RegionRow, flow_rows, national_row, region_rows,
};
use crate::model::geo::{N_REGIONS, N_SECTORS};
use crate::model::{Derived, Ledger, World, finish_spinup, init_world};
use crate::rng::Streams;
use crate::scenario::Scenario;
use crate::step::{Pipeline, close_year, spin_up_month, step_month};

/// What a run produces besides what its observer took.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub regions: Vec<RegionRow>,
    pub national: Vec<NationalRow>,
    /// Programme spending per (year, programme, region); empty without programmes.
    pub programs: Vec<ProgramRow>,
    /// Network purchases per (year, origin, destination, sector); empty without `[network]`.
    pub flows: Vec<FlowRow>,
    pub ledger: Ledger,
    /// Wall time per phase (see `step::PHASES`).
    pub timings: [std::time::Duration; crate::step::PHASES.len()],
    /// Wall time per part of the network phase (see `step::network::PARTS`).
    pub network_timings: [std::time::Duration; crate::step::network::PARTS.len()],
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
    let (mut world, mut derived) = init_world(scn, &streams);
    let mut pipe = Pipeline::default();
    spin_up(&mut world, &mut derived, scn, &streams, &mut pipe);
    let mut regions = Vec::new();
    let mut national = Vec::new();
    let mut programs = Vec::new();
    let mut flows = Vec::new();
    let active = scn.policy.active_programs();
    for month in 0..scn.months() {
        step_month(&mut world, scn, &derived, &streams, &mut pipe);
        if (month + 1) % 12 == 0 {
            let year = scn.start_year + (month / 12) as i32;
            let rows = region_rows(year, &world, derived.weight, derived.startup_weight);
            national.push(national_row(&rows));
            regions.extend(rows);
            programs.extend(world.policy.take_rows(year, &active));
            flows.extend(flow_rows(year, &world, derived.weight));
            on_year_end(year, &world)?;
            close_year(&mut world);
        }
    }
    Ok(RunResult {
        regions,
        national,
        programs,
        flows,
        ledger: world.ledger.clone(),
        timings: pipe.timings,
        network_timings: pipe.network_timings,
        firm_rows_stepped: pipe.firm_rows_stepped,
    })
}

/// ODD 3.3: simulates `spinup_years` years before `start_year` on a frozen calendar, with
/// entry replacing exits, and discards them: the reported years start from a state the rules
/// sustain. Draws come from the spin-up's own streams (`Streams::spin_up`), so the first
/// reported month's draws are those of a run without a spin-up; agents born in the spin-up
/// carry `SPINUP_ID_BIT` in their ids. Policy scenarios and their baseline share the spin-up
/// (levers are off in it), so paired runs start from the same state.
pub fn spin_up(
    world: &mut World,
    derived: &mut Derived,
    scn: &Scenario,
    streams: &Streams,
    pipe: &mut Pipeline,
) {
    let spin = streams.spin_up();
    crate::step::settle_startups(world, scn, derived, &spin.spin_up(), pipe);
    let months = scn.spinup_years * 12;
    let mut entrants = [0.0; N_REGIONS];
    let mut year_start = sector_capacity(&derived.capacity_ref);
    for k in 0..months {
        let born = spin_up_month(world, scn, derived, &spin, pipe, k);
        // The last year's entrants per month set the run's entry rate (ODD 7.7).
        if k + 12 >= months {
            for r in 0..N_REGIONS {
                entrants[r] += born[r] / 12.0;
            }
        }
        if (k + 1) % 12 == 0 {
            // Each sector's drift is corrected by its capacity's growth over the year, so the
            // spin-up converges to a state where capacity is stationary (ODD 3.3).
            let now = sector_capacity(&world.market.capacity);
            for s in 0..N_SECTORS {
                if now[s] > 0.0 && year_start[s] > 0.0 {
                    derived.drift_adjust_per_year[s] -= (now[s] / year_start[s]).ln();
                }
            }
            year_start = now;
            close_year(world);
        }
    }
    finish_spinup(world, derived, scn, entrants);
}

fn sector_capacity(k: &[[f64; N_SECTORS]; N_REGIONS]) -> [f64; N_SECTORS] {
    std::array::from_fn(|s| k.iter().map(|row| row[s]).sum())
}

/// Runs without observing years (the common case for ensembles and tests).
pub fn simulate_plain(scn: &Scenario, seed: u64) -> RunResult {
    simulate::<std::convert::Infallible>(scn, seed, |_, _| Ok(())).unwrap_or_else(|e| match e {})
}
