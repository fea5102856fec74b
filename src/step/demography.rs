//! Yearly demography: natural change, ageing between the four age groups, and migration
//! between regions driven by wages, jobs, amenity and distance.
//!
//! Regions are aggregates, so these are deterministic expected flows in real people.

use crate::model::geo::N_REGIONS;
use crate::model::{AGE_0_14, AGE_15_39, Regions};
use crate::scenario::{DemographyParams, MigrationParams};

/// Years spent in each age group (for the yearly transition to the next group).
const GROUP_YEARS: [f64; 3] = [15.0, 25.0, 25.0];

/// Births, deaths and ageing of one year.
pub fn age(regions: &mut Regions, p: &DemographyParams) {
    let mortality = [
        p.mortality_0_14,
        p.mortality_15_39,
        p.mortality_40_64,
        p.mortality_65_plus,
    ];
    for pop in regions.population.iter_mut() {
        let births = p.fertility_per_15_39 * pop[AGE_15_39];
        let mut next = [0.0; 4];
        for g in 0..4 {
            let survivors = pop[g] * (1.0 - mortality[g]);
            let leaving = if g < 3 {
                survivors / GROUP_YEARS[g]
            } else {
                0.0
            };
            next[g] += survivors - leaving;
            if g < 3 {
                next[g + 1] += leaving;
            }
        }
        next[AGE_0_14] += births;
        *pop = next;
    }
}

/// Net migration of one year, all ages and ages 15-39, by region.
#[derive(Debug, Default, Clone)]
pub struct Migration {
    pub net: [f64; N_REGIONS],
    pub net_15_39: [f64; N_REGIONS],
}

/// A share `move_rate` of each age group considers moving and picks a region (possibly its
/// own) by a logit on `V_d - distance_weight * ln(1 + km / 100)`, where
/// `V_d = wage_weight * ln(w_d / mean w) + jobs_weight * (e_d - mean e) + amenity_d`, and
/// `e` is employment / labour force. Movers are those who pick another region.
pub fn migrate(
    regions: &mut Regions,
    p: &MigrationParams,
    dist: &[[f64; N_REGIONS]; N_REGIONS],
) -> Migration {
    let mean_w = regions.wage_krw_month.iter().sum::<f64>() / N_REGIONS as f64;
    let emp_rate: [f64; N_REGIONS] = std::array::from_fn(|r| {
        if regions.labour_force[r] > 0.0 {
            regions.employment[r] / regions.labour_force[r]
        } else {
            0.0
        }
    });
    let mean_e = emp_rate.iter().sum::<f64>() / N_REGIONS as f64;
    let rates = [
        p.move_rate_0_14,
        p.move_rate_15_39,
        p.move_rate_40_64,
        p.move_rate_65_plus,
    ];
    let mut delta = [[0.0f64; 4]; N_REGIONS];
    for g in 0..4 {
        let young = g == AGE_15_39;
        let (ww, wj) = if young {
            (p.wage_weight_15_39, p.jobs_weight_15_39)
        } else {
            (p.wage_weight_other, p.jobs_weight_other)
        };
        let v: [f64; N_REGIONS] = std::array::from_fn(|d| {
            let amenity = if young {
                regions.amenity_15_39[d]
            } else {
                regions.amenity_other[d]
            };
            ww * (regions.wage_krw_month[d] / mean_w).ln() + wj * (emp_rate[d] - mean_e) + amenity
        });
        for o in 0..N_REGIONS {
            let considering = regions.population[o][g] * rates[g];
            let x: [f64; N_REGIONS] =
                std::array::from_fn(|d| v[d] - p.distance_weight * (1.0 + dist[o][d] / 100.0).ln());
            let mut u: [f64; N_REGIONS] = x.map(f64::exp);
            let mut total: f64 = u.iter().sum();
            if !(total.is_finite() && total > 0.0) {
                // `exp` overflowed or underflowed (extreme wages or employment rates, e.g. a
                // tiny population): the same logit relative to its largest term. Normal
                // utilities never come here, so their results keep their bits.
                let top = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                u = x.map(|xd| (xd - top).exp());
                total = u.iter().sum();
                if !(total.is_finite() && total > 0.0) {
                    continue;
                }
            }
            for d in 0..N_REGIONS {
                if d != o {
                    let flow = considering * u[d] / total;
                    delta[o][g] -= flow;
                    delta[d][g] += flow;
                }
            }
        }
    }
    let mut m = Migration::default();
    for r in 0..N_REGIONS {
        for g in 0..4 {
            regions.population[r][g] = (regions.population[r][g] + delta[r][g]).max(0.0);
            m.net[r] += delta[r][g];
        }
        m.net_15_39[r] = delta[r][AGE_15_39];
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ageing_conserves_people_without_births_and_deaths() {
        let mut r = test_regions();
        let before: f64 = r.population.iter().flatten().sum();
        age(
            &mut r,
            &DemographyParams {
                fertility_per_15_39: 0.0,
                mortality_0_14: 0.0,
                mortality_15_39: 0.0,
                mortality_40_64: 0.0,
                mortality_65_plus: 0.0,
            },
        );
        let after: f64 = r.population.iter().flatten().sum();
        assert!((before - after).abs() < 1e-6);
        // A fifteenth of the children moved up.
        assert!((r.population[0][AGE_0_14] - 1000.0 * 14.0 / 15.0).abs() < 1e-9);
    }

    #[test]
    fn migration_moves_people_without_creating_any() {
        let mut r = test_regions();
        r.amenity_15_39[0] = 2.0;
        let before: f64 = r.population.iter().flatten().sum();
        let p = MigrationParams {
            move_rate_0_14: 0.02,
            move_rate_15_39: 0.08,
            move_rate_40_64: 0.03,
            move_rate_65_plus: 0.01,
            wage_weight_15_39: 1.0,
            wage_weight_other: 0.5,
            jobs_weight_15_39: 1.0,
            jobs_weight_other: 0.5,
            distance_weight: 1.0,
        };
        let m = migrate(&mut r, &p, &crate::model::geo::distance_matrix());
        let after: f64 = r.population.iter().flatten().sum();
        assert!((before - after).abs() < 1e-6);
        assert!(m.net.iter().sum::<f64>().abs() < 1e-6);
        // The attractive region gains young people.
        assert!(m.net_15_39[0] > 0.0);
    }

    fn test_regions() -> Regions {
        Regions {
            population: [[1000.0, 2000.0, 3000.0, 1500.0]; N_REGIONS],
            labour_force: [3000.0; N_REGIONS],
            wage_krw_month: [3.0e6; N_REGIONS],
            employment: [2000.0; N_REGIONS],
            demand: [[1.0; crate::model::geo::N_SECTORS]; N_REGIONS],
            amenity_15_39: [0.0; N_REGIONS],
            amenity_other: [0.0; N_REGIONS],
        }
    }
}
