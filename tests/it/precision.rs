//! The firm passes keep state in f32 and use the inline f32 `exp`/`ln` of `fastmath`; here
//! they are checked against an f64 re-implementation of the same equations (ODD 7.2 and 7.4)
//! on every firm of a small world, with the same random draws.

use crate::baseline;
use regsim::model::{geo::N_REGIONS, init_world, status};
use regsim::rng::{Stream, Streams, normal_f32, unit_f32};
use regsim::step::{ctx, produce};

#[test]
fn f32_firm_passes_agree_with_an_f64_reference() {
    let scn = baseline(&["scale=0.005"]);
    let streams = Streams::new(11);
    let (mut world, derived) = init_world(&scn, &streams);
    let mut c = ctx(&world, &scn, &derived, &streams);
    c.ration = [1.0; N_REGIONS];
    let before = world.firms.clone();
    let f = &scn.firms;
    let theta = f.understaffing_elasticity;

    produce::plan(&mut world.firms, &c, &mut Vec::new());
    let mut worst_a = 0.0f64;
    let mut want_mismatch = 0usize;
    for i in 0..before.len() {
        let (e, r, s) = (
            before.id[i],
            before.region[i] as usize,
            before.sector[i] as usize,
        );
        let a0 = f64::from(before.log_scale[i]);
        let age = f64::from(before.age_months[i]);
        let age_f = 1.0 + f.young_volatility_boost * (-age / f.young_age_months).exp();
        let size_f = (-f.size_volatility_exponent * a0.max(0.25f64.ln())).exp();
        // The draws themselves (ODD 4.9); the inverse-CDF normal is checked in `rng`.
        let [w_z] = streams.step_key(Stream::FirmShock, 0, 0).words(e);
        let z = f64::from(normal_f32(w_z));
        let [w_occ, w_size, w_round] = streams.step_key(Stream::FirmJump, 0, 0).words(e);
        let (u_occ, u_size, u_round) = (unit_f32(w_occ), unit_f32(w_size), unit_f32(w_round));
        let jump = if f64::from(u_occ) < f64::from(f.jump_probability_per_month as f32) {
            let d = f64::from(u_size) - 0.5;
            -f.jump_scale * d.signum() * (1.0 - 2.0 * d.abs()).ln()
        } else {
            0.0
        };
        // Drift: the sector's trend, the spin-up's correction (0 before it), a high-growth
        // phase; minus half the firm's own shock variance (Gibrat in levels).
        let fast = if before.age_months[i] < before.high_growth_until[i] {
            f.high_growth_drift_per_year / 12.0
        } else {
            0.0
        };
        let drift = scn.sectors[s].scale_drift_per_year / 12.0
            + derived.drift_adjust_per_year[s] / 12.0
            + fast;
        let var = f.shock_sd_per_month.powi(2)
            + f.jump_probability_per_month * 2.0 * f.jump_scale.powi(2);
        let a = a0 + drift + age_f * size_f * (f.shock_sd_per_month * z + jump)
            - (age_f * size_f).powi(2) * var / 2.0;
        let err = (f64::from(world.firms.log_scale[i]) - a).abs() / a.abs().max(1.0);
        worst_a = worst_a.max(err);
        let desired = (a.exp() * f64::from(c.labour_mult[r][s])).max(1.0);
        let n = f64::from(before.employees[i]);
        let band = f.adjustment_band_workers;
        let gap = desired - n;
        let step = if gap > band {
            f.hire_speed_per_month * (gap - band)
        } else if gap < -band {
            f.fire_speed_per_month * (gap + band)
        } else {
            0.0
        };
        let want = ((step + f64::from(u_round)).floor() as i64).max(1 - n as i64);
        if want != i64::from(world.firms.want[i]) {
            want_mismatch += 1;
        }
    }
    // A few f32 roundings of numbers of order 1-10.
    assert!(worst_a < 1e-6, "worst log-scale error {worst_a:e}");
    // Hiring plans differ only where x + u falls within f32 rounding of an integer.
    assert!(
        (want_mismatch as f64) < 1e-3 * before.len() as f64,
        "{want_mismatch} of {} plans differ",
        before.len()
    );

    let planned = world.firms.clone();
    let acc = produce::operate(&mut world.firms, &c, &mut Vec::new());
    let mut worst_sales = 0.0f64;
    let mut worst_cash = 0.0f64;
    let mut sales_ref = [0.0f64; N_REGIONS];
    for i in 0..planned.len() {
        if planned.status[i] == status::DEAD {
            continue;
        }
        let (r, s) = (planned.region[i] as usize, planned.sector[i] as usize);
        // With a ration of 1 every firm gets its plan: n1 = n + want.
        let n1 = (i64::from(planned.employees[i]) + i64::from(planned.want[i])).max(1) as f64;
        let scale = f64::from(planned.log_scale[i]).exp();
        let desired = (scale * f64::from(c.labour_mult[r][s])).max(1.0);
        let q = if n1 < desired {
            (n1 / desired).powf(theta)
        } else {
            1.0
        };
        let sales = scale * q * f64::from(c.sales_month[r][s]);
        sales_ref[r] += sales;
        let got = f64::from(world.firms.sales_year_krw[i]);
        worst_sales = worst_sales.max((got - sales).abs() / sales);
        // Cash: profit added, anything above the buffer paid out (ODD 7.4 step 5).
        let costs = f64::from(c.wage[r]) * n1 + f64::from(c.fixed_cost[r][s]);
        let profit = sales * (1.0 - scn.sectors[s].materials_share) - costs;
        let cash = (f64::from(planned.cash_krw[i]) + profit).min(f.cash_buffer_months * costs);
        worst_cash = worst_cash.max((f64::from(world.firms.cash_krw[i]) - cash).abs() / costs);
    }
    assert!(
        worst_cash < 1e-4,
        "worst cash error {worst_cash:e} of a month's costs"
    );
    assert!(
        worst_sales < 1e-6,
        "worst per-firm sales error {worst_sales:e}"
    );
    for r in 0..N_REGIONS {
        let rel = (acc.sales[r] - sales_ref[r]).abs() / sales_ref[r];
        assert!(rel < 1e-6, "region {r}: sales sum off by {rel:e}");
    }
}
