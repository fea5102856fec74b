//! Competition within a market (ODD 7.3a): each (region, sector) market's demand is shared
//! among its firms, so a firm that gains market potential takes part of its gain from its
//! competitors.
//!
//! After `plan`, the market's capacity `K_rs` (the sum of its live firms' `exp(log_scale)`) is
//! compared with the capacity it was sized for at the start, `Kref_rs`; the crowding factor
//! `pi_rs = (Kref_rs / K_rs)^displacement` multiplies this month's sales per unit of scale and
//! next month's desired employment. With `displacement = 0` demand follows capacity (no
//! business stealing); with 1 the market's real sales are fixed by its demand alone.

use super::StepCtx;
use crate::model::World;
use crate::model::geo::{N_REGIONS, N_SECTORS};

/// Sets this month's crowding of every market from the capacity `plan` summed, applies it to
/// the month's sales per unit of scale, and sets the market part of the exit hazard's
/// performance factor (ODD 7.4 step 6). During the spin-up the reference follows the capacity
/// (crowding 1), so the spin-up is the uncrowded steady state.
pub fn crowd(world: &mut World, ctx: &mut StepCtx, planned: &crate::step::produce::PlanAcc) {
    let delta = ctx.scn.firms.displacement;
    let kappa = ctx.scn.firms.exit_performance_elasticity;
    let capacity = &planned.capacity;
    world.market.capacity = *capacity;
    world.market.firms = planned.firms;
    for r in 0..N_REGIONS {
        for s in 0..N_SECTORS {
            let k_ref = ctx.derived.capacity_ref[r][s];
            let pi = if ctx.spinup || capacity[r][s] <= 0.0 || k_ref <= 0.0 {
                1.0
            } else {
                (k_ref / capacity[r][s]).powf(delta)
            };
            world.market.crowding[r][s] = pi;
            ctx.sales_month[r][s] = (f64::from(ctx.sales_month[r][s]) * pi) as f32;
            let conditions = conditions(world, r, s);
            ctx.exit_mult[r][s] = (kappa * ctx.derived.log_scale_ref[r][s]
                - kappa * conditions.max(1e-6).ln())
            .exp() as f32;
        }
    }
}

/// `A_rs`: how good a market is now relative to its start (crowding x the policy shocks' demand
/// and supply multipliers); the exit hazard (7.4) responds to it.
pub fn conditions(world: &World, r: usize, s: usize) -> f64 {
    world.market.crowding[r][s] * shock(world, r, s)
}

/// The policy shocks' demand x supply multiplier of a market (1 without shocks).
fn shock(world: &World, r: usize, s: usize) -> f64 {
    world.policy.demand_mult[r][s] * world.policy.supply_mult[r][s]
}

/// Entry multiplier of a market (7.7), as (room, shock): the room `(Nref_rs / N_rs)^eta`
/// (free entry: entrants compete for the niches of a market's small firms, so a market that
/// lost firms pulls entrants in and a crowded one deters them; at most 1e6) and the shocks'
/// multiplier (entry falls in proportion to the sales a shock takes away). Both 1 at the start.
pub fn entry_pull(world: &World, firms_ref: f64, r: usize, s: usize, eta: f64) -> (f64, f64) {
    let n = world.market.firms[r][s];
    let room = if n > 0.0 && firms_ref > 0.0 {
        (firms_ref / n).powf(eta)
    } else {
        1.0
    };
    (room.min(1e6), shock(world, r, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::init_world;
    use crate::rng::Streams;
    use crate::scenario::Scenario;

    fn acc(capacity: [[f64; N_SECTORS]; N_REGIONS]) -> crate::step::produce::PlanAcc {
        crate::step::produce::PlanAcc {
            capacity,
            ..Default::default()
        }
    }

    fn world(set: &[&str]) -> (Scenario, World, crate::model::Derived) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
        let mut sets = vec!["scale=0.001".to_string()];
        sets.extend(set.iter().map(|s| s.to_string()));
        let scn = Scenario::load(&path, &sets).expect("baseline loads");
        let streams = Streams::new(5);
        let (w, d) = init_world(&scn, &streams);
        (scn, w, d)
    }

    #[test]
    fn a_crowded_market_pays_less_per_unit_of_scale_by_the_displacement_power() {
        let (scn, mut w, d) = world(&["firms.displacement=0.5"]);
        let streams = Streams::new(5);
        let mut ctx = crate::step::ctx(&w, &scn, &d, &streams);
        let before = ctx.sales_month;
        // Every market holds 21% more capacity than it was sized for.
        let cap = std::array::from_fn(|r| std::array::from_fn(|s| d.capacity_ref[r][s] * 1.21));
        crowd(&mut w, &mut ctx, &acc(cap));
        for r in 0..N_REGIONS {
            for s in 0..N_SECTORS {
                if d.capacity_ref[r][s] > 0.0 {
                    let pi = w.market.crowding[r][s];
                    assert!((pi - 1.0 / 1.1).abs() < 1e-12, "{pi}");
                    let ratio = ctx.sales_month[r][s] / before[r][s];
                    assert!((ratio - 1.0 / 1.1).abs() < 1e-5, "{ratio}");
                }
            }
        }
    }

    #[test]
    fn without_displacement_demand_follows_capacity() {
        let (scn, mut w, d) = world(&["firms.displacement=0"]);
        let streams = Streams::new(5);
        let mut ctx = crate::step::ctx(&w, &scn, &d, &streams);
        let before = ctx.sales_month;
        let cap = std::array::from_fn(|r| std::array::from_fn(|s| d.capacity_ref[r][s] * 3.0));
        crowd(&mut w, &mut ctx, &acc(cap));
        assert_eq!(ctx.sales_month, before);
    }

    #[test]
    fn a_depressed_market_raises_the_exit_hazard_with_the_performance_elasticity() {
        let (scn, mut w, d) = world(&["firms.exit_performance_elasticity=0.5"]);
        let streams = Streams::new(5);
        let mut ctx = crate::step::ctx(&w, &scn, &d, &streams);
        let cap = acc(d.capacity_ref);
        crowd(&mut w, &mut ctx, &cap);
        let normal = ctx.exit_mult;
        w.policy.supply_mult[3][0] = 0.64;
        crowd(&mut w, &mut ctx, &cap);
        // A^-kappa with A = 0.64 and kappa = 0.5: the hazard rises by 1.25.
        let ratio = ctx.exit_mult[3][0] / normal[3][0];
        assert!((ratio - 1.25).abs() < 1e-4, "{ratio}");
        assert_eq!(ctx.exit_mult[3][1], normal[3][1]);
    }
}
