//! The regional labour market: labour force, the SME labour pool, hiring rationing and wages.

use crate::model::geo::N_REGIONS;
use crate::model::{AGE_15_39, AGE_40_64, AGE_65_PLUS, Regions, World};
use crate::scenario::LabourParams;

/// Labour force from population by age and participation rates.
pub fn update_labour_force(regions: &mut Regions, p: &LabourParams) {
    for r in 0..N_REGIONS {
        let pop = &regions.population[r];
        regions.labour_force[r] = p.participation_15_39 * pop[AGE_15_39]
            + p.participation_40_64 * pop[AGE_40_64]
            + p.participation_65_plus * pop[AGE_65_PLUS];
    }
}

/// Workers SMEs and startups can employ in a region: the labour force net of frictional
/// unemployment, times the SME share of workers (the rest work for large firms and the state).
pub fn sme_pool(regions: &Regions, r: usize, p: &LabourParams) -> f64 {
    regions.labour_force[r] * (1.0 - p.frictional_unemployment) * p.sme_share_of_workers
}

/// Recounts employment from the agents (real people, weighted up).
pub fn update_employment(world: &mut World, weight: f64, startup_weight: f64) {
    let mut emp = [0.0; N_REGIONS];
    let mut team = [0.0; N_REGIONS];
    for (i, &n) in world.firms.employees.iter().enumerate() {
        emp[world.firms.region[i] as usize] += f64::from(n);
    }
    for (j, &t) in world.startups.team.iter().enumerate() {
        if world.startups.status[j] == crate::model::startup_status::ACTIVE {
            team[world.startups.region[j] as usize] += f64::from(t);
        }
    }
    for r in 0..N_REGIONS {
        world.regions.employment[r] = emp[r] * weight + team[r] * startup_weight;
    }
}

/// Share of wanted hires each region can fill: `min(1, (free - hiring_firms) / wanted)` in
/// agent units. Subtracting the number of hiring firms leaves room for each firm rounding its
/// rationed hires up by at most one, so hires never exceed the free pool.
pub fn ration(free_agents: f64, wanted: f64, hiring_firms: f64) -> f32 {
    if wanted <= 0.0 {
        return 1.0;
    }
    let rho = ((free_agents - hiring_firms) / wanted).clamp(0.0, 1.0);
    let r32 = rho as f32;
    // Round toward zero: a ration rounded up could let hires exceed the pool.
    if f64::from(r32) > rho {
        r32.next_down()
    } else {
        r32
    }
}

/// Monthly nominal wage update: inflation, real trend growth and a response to how tight the
/// pool is relative to the start: `w <- w * (1 + pi/12 + g/12 + phi * (tight - tight0) / 12)`.
pub fn update_wages(
    regions: &mut Regions,
    p: &LabourParams,
    inflation_per_year: f64,
    tightness0: &[f64; N_REGIONS],
) {
    for r in 0..N_REGIONS {
        let pool = sme_pool(regions, r, p);
        let tight = if pool > 0.0 {
            regions.employment[r] / pool
        } else {
            1.0
        };
        let growth = (inflation_per_year + p.wage_growth_per_year) / 12.0
            + p.wage_tightness_elasticity * (tight - tightness0[r]) / 12.0;
        regions.wage_krw_month[r] *= (1.0 + growth).max(0.5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ration_never_lets_rounding_exceed_the_pool() {
        // 100 free workers, 30 firms want 200 in total.
        let rho = ration(100.0, 200.0, 30.0);
        assert!((rho - 0.35).abs() < 1e-6);
        // Worst case: every hiring firm rounds up by one.
        assert!(f64::from(rho) * 200.0 + 30.0 <= 100.0 + 1e-6);
        assert_eq!(ration(100.0, 50.0, 10.0), 1.0);
        assert_eq!(ration(5.0, 50.0, 10.0), 0.0);
        assert_eq!(ration(5.0, 0.0, 0.0), 1.0);
    }
}
