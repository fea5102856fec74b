//! Firms' monthly rules, as two parallel passes over the firm columns.
//!
//! `plan`: productivity (scale) shock, then the employment the firm wants at this month's
//! demand and wage. `operate`: rationed hiring or layoffs, sales, value added, profit into
//! cash, exit, ageing and relocation. Between the two, `labour::ration` caps each region's
//! hiring at its free labour pool.
//!
//! Chunks are fixed ranges of rows (never a thread's share), and per-chunk accumulators are
//! collected in chunk order and folded sequentially, so sums are identical at any thread count.

use super::StepCtx;
use crate::model::geo::{N_REGIONS, N_SECTORS};
use crate::model::{AGE_TABLE, Firms, status};
use crate::rng::{Stream, three_units_f32, two_units_f32};
use rayon::prelude::*;

/// Rows per parallel work item.
pub const CHUNK: usize = 8192;

/// ln(0.25): scales below a quarter worker-equivalent get no extra volatility.
const MIN_LOG_SCALE: f32 = -1.386_294_4;

/// Per-firm constants of one step, converted to f32 once.
#[derive(Debug, Clone, Copy)]
pub struct FirmRules {
    pub shock_sd: f32,
    pub jump_p: f32,
    pub jump_scale: f32,
    pub size_beta: f32,
    /// Headcount gap a firm tolerates before adjusting (adjustment costs).
    pub band: f32,
    pub hire_speed: f32,
    pub fire_speed: f32,
    pub theta: f32,
    pub exit_loss_months: u8,
    pub relocation_p: f32,
    /// Monthly drift of log scale by sector.
    pub drift: [f32; N_SECTORS],
    /// Value-added share of sales by sector.
    pub va_share: [f32; N_SECTORS],
}

/// Sales (in units of the region-sector sales level) and desired employment of a firm.
///
/// Desired employment is `max(1, exp(a) * m)`, where `m` is the demand-and-wage multiplier;
/// sales are `exp(a) * D * min(1, n / n*)^theta` (understaffed firms sell less; overstaffing
/// adds nothing). Returns (sales units before the demand factor, desired employment).
#[inline(always)]
pub fn sales_units(log_scale: f32, employees: u32, labour_mult: f32, theta: f32) -> (f32, f32) {
    sales_units_from_scale(log_scale.exp(), employees, labour_mult, theta)
}

/// [`sales_units`] from `exp(log_scale)`.
#[inline(always)]
pub fn sales_units_from_scale(
    scale: f32,
    employees: u32,
    labour_mult: f32,
    theta: f32,
) -> (f32, f32) {
    let desired = (scale * labour_mult).max(1.0);
    let n = employees as f32;
    let staffing = if n < desired {
        (n / desired).powf(theta)
    } else {
        1.0
    };
    (scale * staffing, desired)
}

/// Per-region sums from `plan`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanAcc {
    /// Workers wanted by hiring firms.
    pub hires: [f64; N_REGIONS],
    /// Number of hiring firms (bounds rounding up in `operate`).
    pub hiring_firms: [f64; N_REGIONS],
}

impl PlanAcc {
    fn add(&mut self, o: &PlanAcc) {
        for r in 0..N_REGIONS {
            self.hires[r] += o.hires[r];
            self.hiring_firms[r] += o.hiring_firms[r];
        }
    }
}

/// Per-region sums from `operate` (agent units; the caller weights them up).
#[derive(Debug, Clone, Copy, Default)]
pub struct OperateAcc {
    pub sales: [f64; N_REGIONS],
    pub sme_sales: [f64; N_REGIONS],
    pub value_added: [f64; N_REGIONS],
    pub employees: [f64; N_REGIONS],
    pub deaths: [f64; N_REGIONS],
    pub relocated_out: [f64; N_REGIONS],
    pub relocated_in: [f64; N_REGIONS],
}

impl OperateAcc {
    fn add(&mut self, o: &OperateAcc) {
        for r in 0..N_REGIONS {
            self.sales[r] += o.sales[r];
            self.sme_sales[r] += o.sme_sales[r];
            self.value_added[r] += o.value_added[r];
            self.employees[r] += o.employees[r];
            self.deaths[r] += o.deaths[r];
            self.relocated_out[r] += o.relocated_out[r];
            self.relocated_in[r] += o.relocated_in[r];
        }
    }
}

/// Pass 1: scale shock and hiring plan. Writes `log_scale`, `scale_now` and `want`.
pub fn plan(firms: &mut Firms, ctx: &StepCtx, scratch: &mut Vec<PlanAcc>) -> PlanAcc {
    let rules = &ctx.rules;
    let age_volatility = &ctx.derived.age_volatility[..];
    (
        firms.id.par_chunks(CHUNK),
        firms.region.par_chunks(CHUNK),
        firms.sector.par_chunks(CHUNK),
        firms.status.par_chunks(CHUNK),
        firms.age_months.par_chunks(CHUNK),
        firms.employees.par_chunks(CHUNK),
        firms.log_scale.par_chunks_mut(CHUNK),
        firms.want.par_chunks_mut(CHUNK),
        firms.scale_now.par_chunks_mut(CHUNK),
    )
        .into_par_iter()
        .map(
            |(id, region, sector, st, age, emp, log_scale, want, scale_now)| {
                let mut acc = PlanAcc::default();
                // Equal lengths, stated once, let the compiler drop per-column bounds checks.
                let len = id.len();
                let (region, sector, st, age, emp) = (
                    &region[..len],
                    &sector[..len],
                    &st[..len],
                    &age[..len],
                    &emp[..len],
                );
                let (log_scale, want, scale_now) = (
                    &mut log_scale[..len],
                    &mut want[..len],
                    &mut scale_now[..len],
                );
                for i in 0..len {
                    if st[i] == status::DEAD {
                        want[i] = 0;
                        continue;
                    }
                    let e = id[i];
                    let (r, s) = (region[i] as usize, sector[i] as usize);
                    let n = emp[i];
                    let age_f = age_volatility[usize::from(age[i]).min(AGE_TABLE - 1)];
                    // Volatility falls with the firm's scale (its market), which varies continuously
                    // even among one-person firms; floored at a quarter of a worker-equivalent.
                    let size_f = (-rules.size_beta * log_scale[i].max(MIN_LOG_SCALE)).exp();
                    let z = ctx.streams.normal(Stream::FirmShock, e, ctx.step, 0) as f32;
                    // One draw for the jump (occurrence, size) and the rounding of the plan.
                    let (u_occ, u_size, u_round) =
                        three_units_f32(ctx.streams.bits(Stream::FirmJump, e, ctx.step, 0));
                    let jump = if u_occ < rules.jump_p {
                        laplace(u_size, rules.jump_scale)
                    } else {
                        0.0
                    };
                    let a = log_scale[i]
                        + ctx.drift[r][s]
                        + age_f * size_f * (rules.shock_sd * z + jump);
                    log_scale[i] = a;
                    // (S,s) adjustment: a firm moves toward its desired headcount only for the part
                    // of the gap beyond the band (hiring and firing have fixed costs).
                    let scale = a.exp();
                    scale_now[i] = scale;
                    let desired = (scale * ctx.labour_mult[r][s]).max(1.0);
                    let gap = desired - n as f32;
                    let step = if gap > rules.band {
                        rules.hire_speed * (gap - rules.band)
                    } else if gap < -rules.band {
                        rules.fire_speed * (gap + rules.band)
                    } else {
                        0.0
                    };
                    let w = ((step + u_round).floor() as i32).max(1 - n as i32);
                    want[i] = w;
                    if w > 0 {
                        acc.hires[r] += f64::from(w);
                        acc.hiring_firms[r] += 1.0;
                    }
                }
                acc
            },
        )
        .collect_into_vec(scratch);
    let mut total = PlanAcc::default();
    scratch.iter().for_each(|a| total.add(a));
    total
}

/// Pass 2: hire (rationed), produce, pay, exit, age, relocate.
pub fn operate(firms: &mut Firms, ctx: &StepCtx, scratch: &mut Vec<OperateAcc>) -> OperateAcc {
    let rules = &ctx.rules;
    let hazard_month = &ctx.derived.hazard_month[..];
    (
        firms.id.par_chunks(CHUNK),
        firms.region.par_chunks_mut(CHUNK),
        firms.sector.par_chunks(CHUNK),
        firms.status.par_chunks_mut(CHUNK),
        firms.age_months.par_chunks_mut(CHUNK),
        firms.loss_months.par_chunks_mut(CHUNK),
        firms.employees.par_chunks_mut(CHUNK),
        firms.scale_now.par_chunks(CHUNK),
        firms.cash_krw.par_chunks_mut(CHUNK),
        firms.sales_year_krw.par_chunks_mut(CHUNK),
        firms.want.par_chunks(CHUNK),
    )
        .into_par_iter()
        .map(
            |(id, region, sector, st, age, loss, emp, scale_now, cash, sales_year, want)| {
                let mut acc = OperateAcc::default();
                let len = id.len();
                let (region, sector, st, age, loss, emp) = (
                    &mut region[..len],
                    &sector[..len],
                    &mut st[..len],
                    &mut age[..len],
                    &mut loss[..len],
                    &mut emp[..len],
                );
                let (scale_now, cash, sales_year, want) = (
                    &scale_now[..len],
                    &mut cash[..len],
                    &mut sales_year[..len],
                    &want[..len],
                );
                for i in 0..len {
                    if st[i] == status::DEAD {
                        continue;
                    }
                    let e = id[i];
                    let (r, s) = (region[i] as usize, sector[i] as usize);
                    // One draw for hiring, exit and whether the firm moves.
                    let events = ctx.streams.bits(Stream::FirmEvents, e, ctx.step, 1);
                    let (u_hire, u_exit, u_move) = three_units_f32(events);
                    let mut n = emp[i] as i64;
                    let w = want[i];
                    if w > 0 {
                        // In f64 so that rounding can never lift a hire past `w * ration + 1`.
                        n += (f64::from(w) * f64::from(ctx.ration[r]) + f64::from(u_hire)).floor()
                            as i64;
                    } else {
                        n += i64::from(w);
                    }
                    let n = n.max(1) as u32;
                    let (units, _) =
                        sales_units_from_scale(scale_now[i], n, ctx.labour_mult[r][s], rules.theta);
                    let sales = units * ctx.sales_month[r][s];
                    let va = sales * rules.va_share[s];
                    let profit = va - ctx.wage[r] * n as f32 - ctx.fixed_cost[r][s];
                    cash[i] += profit;
                    loss[i] = if profit < 0.0 {
                        loss[i].saturating_add(1)
                    } else {
                        0
                    };
                    sales_year[i] += sales;
                    age[i] = age[i].saturating_add(1);
                    acc.sales[r] += f64::from(sales);
                    acc.value_added[r] += f64::from(va);
                    if st[i] == status::SME {
                        acc.sme_sales[r] += f64::from(sales);
                    }
                    let hazard = hazard_month[usize::from(age[i]).min(AGE_TABLE - 1)];
                    let broke = cash[i] < 0.0 && loss[i] >= rules.exit_loss_months;
                    if broke || u_exit < hazard {
                        st[i] = status::DEAD;
                        emp[i] = 0;
                        acc.deaths[r] += 1.0;
                        continue;
                    }
                    emp[i] = n;
                    let mut r_now = r;
                    if u_move < rules.relocation_p {
                        let (u_dest, _) =
                            two_units_f32(ctx.streams.bits(Stream::Relocation, e, ctx.step, 0));
                        let d = crate::model::pick(&ctx.relocation_cdf[r], f64::from(u_dest));
                        if d != r {
                            region[i] = d as u8;
                            acc.relocated_out[r] += 1.0;
                            acc.relocated_in[d] += 1.0;
                            r_now = d;
                        }
                    }
                    acc.employees[r_now] += f64::from(n);
                }
                acc
            },
        )
        .collect_into_vec(scratch);
    let mut total = OperateAcc::default();
    scratch.iter().for_each(|a| total.add(a));
    total
}

/// Laplace draw with scale `b` from a uniform strictly inside (0, 1) (inverse CDF). With
/// 23-bit uniforms the largest draw is 15.9 b.
#[inline(always)]
fn laplace(u: f32, b: f32) -> f32 {
    let d = u - 0.5;
    -b * d.signum() * (1.0 - 2.0 * d.abs()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_units_penalise_understaffing_only() {
        // Scale 10 workers, multiplier 1: desired 10.
        let a = 10f32.ln();
        let (full, desired) = sales_units(a, 10, 1.0, 0.5);
        assert!((desired - 10.0).abs() < 1e-4);
        assert!((full - 10.0).abs() < 1e-4);
        let (over, _) = sales_units(a, 20, 1.0, 0.5);
        assert!((over - 10.0).abs() < 1e-4);
        // Half staffed: sales fall by 0.5^0.5.
        let (under, _) = sales_units(a, 5, 1.0, 0.5);
        assert!((under - 10.0 * 0.5f32.sqrt()).abs() < 1e-3);
        // One-person firms with a small scale: desired is 1, sales are the scale itself.
        let (tiny, d) = sales_units(0.5f32.ln(), 1, 1.0, 0.5);
        assert_eq!(d, 1.0);
        assert!((tiny - 0.5).abs() < 1e-5);
    }

    #[test]
    fn laplace_is_symmetric_with_scale_b() {
        let n = 100_000;
        let (mut m1, mut mabs) = (0.0f64, 0.0f64);
        for i in 0..n {
            let u = (i as f32 + 0.5) / n as f32;
            let x = laplace(u, 0.3) as f64;
            m1 += x;
            mabs += x.abs();
        }
        assert!((m1 / n as f64).abs() < 1e-3);
        // E|X| = b for a Laplace(0, b).
        assert!((mabs / n as f64 - 0.3).abs() < 2e-3, "{}", mabs / n as f64);
    }
}
