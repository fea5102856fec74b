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
use super::sums::{MarketRuns, Runs};
use crate::fastmath;
use crate::model::geo::{N_REGIONS, N_SECTORS};
use crate::model::{AGE_TABLE, Firms, status};
use crate::rng::{StepKey, Stream, normal_f32, two_units_f32, unit_f32};
use rayon::prelude::*;

/// Rows per parallel work item.
pub const CHUNK: usize = 8192;

/// Rows per inner block of the firm passes (stack buffers of this length).
const BLOCK: usize = 64;

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
    /// Months of costs a firm keeps as cash; owners draw the rest of its profit.
    pub buffer_months: f32,
    /// Elasticity of the exit hazard to performance (ODD 7.4 step 6).
    pub perf_elasticity: f32,
    /// Monthly extra drift of log scale in a high-growth phase.
    pub high_growth_drift: f32,
    /// Half the variance of a month's shock before the age and size factors:
    /// `(shock_sd^2 + jump_p * 2 * jump_scale^2) / 2` (Gaussian part plus Laplace jumps).
    pub half_shock_var: f32,
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
    sales_units_from_scale(fastmath::exp(log_scale), employees, labour_mult, theta)
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
        fastmath::pow(n / desired, theta)
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
    /// Market capacity `K_rs`: live firms' `exp(log_scale)` after the shock (ODD 7.3a).
    pub capacity: [[f64; N_SECTORS]; N_REGIONS],
    /// Live firms per market (ODD 7.7).
    pub firms: [[f64; N_SECTORS]; N_REGIONS],
}

impl PlanAcc {
    fn add(&mut self, o: &PlanAcc) {
        for r in 0..N_REGIONS {
            self.hires[r] += o.hires[r];
            self.hiring_firms[r] += o.hiring_firms[r];
            for s in 0..N_SECTORS {
                self.capacity[r][s] += o.capacity[r][s];
                self.firms[r][s] += o.firms[r][s];
            }
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
    let env = PlanEnv::new(ctx);
    let isa = isa();
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
        (
            firms.high_growth_until.par_chunks(CHUNK),
            firms.order_factor.par_chunks(CHUNK),
        ),
    )
        .into_par_iter()
        .map(
            |(id, region, sector, st, age, emp, log_scale, want, scale_now, (hg, of))| {
                let cols = PlanCols {
                    id,
                    region,
                    sector,
                    st,
                    age,
                    emp,
                    log_scale,
                    want,
                    scale_now,
                    hg,
                    of,
                };
                plan_chunk_on(isa, cols, &env)
            },
        )
        .collect_into_vec(scratch);
    let mut total = PlanAcc::default();
    scratch.iter().for_each(|a| total.add(a));
    total
}

/// What every chunk of `plan` reads besides its rows.
struct PlanEnv<'a> {
    ctx: &'a StepCtx<'a>,
    /// `ctx.drift` and `ctx.labour_mult` by [`market_byte`].
    drift: [f32; BYTE],
    labour_mult: [f32; BYTE],
    age_volatility: &'a [f32; AGE_TABLE],
    shock_key: StepKey,
    jump_key: StepKey,
}

impl<'a> PlanEnv<'a> {
    fn new(ctx: &'a StepCtx<'a>) -> Self {
        PlanEnv {
            ctx,
            drift: by_market_byte(&ctx.drift),
            labour_mult: by_market_byte(&ctx.labour_mult),
            age_volatility: age_table(&ctx.derived.age_volatility),
            shock_key: ctx.streams.step_key(Stream::FirmShock, ctx.step, 0),
            jump_key: ctx.streams.step_key(Stream::FirmJump, ctx.step, 0),
        }
    }
}

/// One chunk of the columns `plan` reads and writes.
struct PlanCols<'a> {
    id: &'a [u64],
    region: &'a [u8],
    sector: &'a [u8],
    st: &'a [u8],
    age: &'a [u16],
    emp: &'a [u32],
    log_scale: &'a mut [f32],
    want: &'a mut [i32],
    scale_now: &'a mut [f32],
    hg: &'a [u16],
    /// Order factor (ODD 7.11): multiplies desired employment.
    of: &'a [f32],
}

/// [`plan_chunk`] compiled for AVX2 + FMA: the same IEEE operations in the same order (Rust
/// never contracts `a * b + c` into an FMA), so the same bits, with wider vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn plan_chunk_avx2(cols: PlanCols, env: &PlanEnv) -> PlanAcc {
    plan_chunk(cols, env)
}

/// [`plan_chunk`] compiled for AVX-512 (F, DQ, VL, BW): 16 f32 or u32 lanes (same bits; see
/// [`plan_chunk_avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")]
fn plan_chunk_avx512(cols: PlanCols, env: &PlanEnv) -> PlanAcc {
    plan_chunk(cols, env)
}

/// Runs [`plan_chunk`] in the build for `isa`.
fn plan_chunk_on(isa: Isa, cols: PlanCols, env: &PlanEnv) -> PlanAcc {
    match isa {
        // SAFETY: `isa()` and `Isa::available` return these only where the CPU has the features.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { plan_chunk_avx512(cols, env) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { plan_chunk_avx2(cols, env) },
        _ => plan_chunk(cols, env),
    }
}

#[inline(always)]
fn plan_chunk(cols: PlanCols, env: &PlanEnv) -> PlanAcc {
    let PlanCols {
        id,
        region,
        sector,
        st,
        age,
        emp,
        log_scale,
        want,
        scale_now,
        hg,
        of,
    } = cols;
    let ctx = env.ctx;
    let rules = &ctx.rules;
    let (age_volatility, shock_key, jump_key) = (env.age_volatility, env.shock_key, env.jump_key);
    let mut acc = PlanAcc::default();
    let mut sums = PlanSums::default();
    // (capacity, firms) by market.
    let mut by_market = MarketRuns::<2>::new();
    // Equal lengths, stated once, let the compiler drop per-column bounds checks.
    let len = id.len();
    let (region, sector, st, age, emp, hg, of) = (
        &region[..len],
        &sector[..len],
        &st[..len],
        &age[..len],
        &emp[..len],
        &hg[..len],
        &of[..len],
    );
    let (log_scale, want, scale_now) = (
        &mut log_scale[..len],
        &mut want[..len],
        &mut scale_now[..len],
    );
    // Blocks of rows in five loops: the draws (vectorised), the table look-ups
    // (branch-free gathers), the scale update with its two `exp`s (branch-free, so it
    // vectorises and overlaps across firms), the hiring plan (vectorised), then
    // the sums (scalar).
    let mut start = 0;
    while start < len {
        let end = (start + BLOCK).min(len);
        let m = end - start;
        let mut shock = [0.0f32; BLOCK];
        let mut drift = [0.0f32; BLOCK];
        let mut mult = [0.0f32; BLOCK];
        let mut u_round = [0.0f32; BLOCK];
        let mut age_var = [0.0f32; BLOCK];
        // Draws for every row of the block, dead or not: arithmetic on the ids only (32-bit
        // hashes, the inverse-CDF normal, the Laplace jump), so it runs on vector lanes.
        // (Zipped slices of the block's length: no bounds checks, which would stop the
        // vectoriser.)
        let (lo, hi) = split_ids(&id[start..end]);
        let draws = shock[..m].iter_mut().zip(&mut u_round[..m]);
        for (((shock, u_round), &lo), &hi) in draws.zip(&lo[..m]).zip(&hi[..m]) {
            let [w_z] = shock_key.words_of(lo, hi);
            // The jump (occurrence, size) and the rounding of the plan.
            let [w_occ, w_size, w_round] = jump_key.words_of(lo, hi);
            let jump = laplace(unit_f32(w_size), rules.jump_scale);
            let jump = if unit_f32(w_occ) < rules.jump_p {
                jump
            } else {
                0.0
            };
            *shock = rules.shock_sd * normal_f32(w_z) + jump;
            *u_round = unit_f32(w_round);
        }
        // Table look-ups, branch-free (gathers from byte-indexed tables, see `market_byte`,
        // so no index needs a bounds check); a dead row gets shock, drift, variance and
        // multiplier 0, which leaves its scale as it is.
        let rows = (region[start..end].iter().zip(&sector[start..end]))
            .zip(st[start..end].iter().zip(&age[start..end]))
            .zip(hg[start..end].iter().zip(&of[start..end]));
        let block = (shock[..m].iter_mut().zip(&mut age_var[..m]))
            .zip(drift[..m].iter_mut().zip(&mut mult[..m]));
        for (((shock, age_var), (drift, mult)), (((&r, &s), (&st, &age)), (&hg, &of))) in
            block.zip(rows)
        {
            let live = st != status::DEAD;
            let market = market_byte(r, s);
            let age_f = age_volatility[usize::from(age).min(AGE_TABLE - 1)];
            // High-growth phase (ODD 7.2 step 3): extra drift until its age limit.
            let fast = if age < hg {
                rules.high_growth_drift
            } else {
                0.0
            };
            *shock = if live { *shock * age_f } else { 0.0 };
            *age_var = if live {
                age_f * age_f * rules.half_shock_var
            } else {
                0.0
            };
            *drift = if live { env.drift[market] + fast } else { 0.0 };
            *mult = if live {
                env.labour_mult[market] * of
            } else {
                0.0
            };
        }
        let ls = &mut log_scale[start..end];
        let now = &mut scale_now[start..end];
        let (shock, drift, mult) = (&shock[..m], &drift[..m], &mut mult[..m]);
        let age_var = &age_var[..m];
        for k in 0..m {
            // Volatility falls with the firm's scale (its market), which varies
            // continuously even among one-person firms; floored at a quarter of a
            // worker-equivalent.
            let size_f = fastmath::exp(-rules.size_beta * ls[k].max(MIN_LOG_SCALE));
            // Gibrat in levels: minus half the firm's own shock variance, so that the
            // expected scale of every firm, small or large, grows at the drift.
            let a = ls[k] + drift[k] + size_f * shock[k] - size_f * size_f * age_var[k];
            ls[k] = a;
            let scale = fastmath::exp(a);
            now[k] = scale;
            mult[k] = (scale * mult[k]).max(1.0); // desired headcount
        }
        let want = &mut want[start..end];
        for i in start..end {
            let k = i - start;
            // (S,s) adjustment: a firm moves toward its desired headcount only for
            // the part of the gap beyond the band (hiring and firing have fixed
            // costs). Both sides computed and one selected, so the loop vectorises;
            // dead rows want 0.
            let n = emp[i];
            let gap = mult[k] - n as f32;
            let hire = rules.hire_speed * (gap - rules.band);
            let fire = rules.fire_speed * (gap + rules.band);
            let step = if gap > rules.band {
                hire
            } else if gap < -rules.band {
                fire
            } else {
                0.0
            };
            let w = fastmath::floor_i32(step + u_round[k]).max(1 - n as i32);
            want[k] = if st[i] == status::DEAD { 0 } else { w };
        }
        // Sums in row order. Capacity and firms by market go through `MarketRuns`, which
        // holds the current region's four markets in registers (rows are grouped by region,
        // and adding into the table row by row chained every add through a store and a load).
        for i in start..end {
            let k = i - start;
            if st[i] == status::DEAD {
                continue;
            }
            let r = usize::from(region[i]);
            by_market.add(r, usize::from(sector[i]), [f64::from(now[k]), 1.0]);
            let w = want[k];
            if w > 0 {
                sums.hires[r] += f64::from(w);
                sums.hiring_firms[r] += 1.0;
            }
        }
        start = end;
    }
    sums.fold_into(&mut acc);
    let by_market = by_market.table();
    acc.capacity = std::array::from_fn(|r| by_market[r][0]);
    acc.firms = std::array::from_fn(|r| by_market[r][1]);
    acc
}

/// A chunk's hiring sums of `plan` by region byte (see [`BYTE`]), added in row order (few
/// rows hire in a month, so these are added in the tables directly).
struct PlanSums {
    hires: [f64; BYTE],
    hiring_firms: [f64; BYTE],
}

impl Default for PlanSums {
    fn default() -> Self {
        PlanSums {
            hires: [0.0; BYTE],
            hiring_firms: [0.0; BYTE],
        }
    }
}

impl PlanSums {
    fn fold_into(&self, acc: &mut PlanAcc) {
        acc.hires.copy_from_slice(&self.hires[..N_REGIONS]);
        acc.hiring_firms
            .copy_from_slice(&self.hiring_firms[..N_REGIONS]);
    }
}

/// Pass 2: hire (rationed), produce, pay, exit, age, relocate.
pub fn operate(firms: &mut Firms, ctx: &StepCtx, scratch: &mut Vec<OperateAcc>) -> OperateAcc {
    let markets = Markets::new(ctx);
    let env = OperateEnv {
        ctx,
        markets: &markets,
        hazard_month: age_table(&ctx.derived.hazard_month),
        events_key: ctx.streams.step_key(Stream::FirmEvents, ctx.step, 1),
    };
    let isa = isa();
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
        (
            firms.want.par_chunks(CHUNK),
            firms.order_factor.par_chunks(CHUNK),
        ),
        firms.log_scale.par_chunks(CHUNK),
    )
        .into_par_iter()
        .map(
            |(
                id,
                region,
                sector,
                st,
                age,
                loss,
                emp,
                scale_now,
                cash,
                sales_year,
                (want, of),
                ls,
            )| {
                let cols = OperateCols {
                    id,
                    region,
                    sector,
                    st,
                    age,
                    loss,
                    emp,
                    scale_now,
                    cash,
                    sales_year,
                    want,
                    log_scale: ls,
                    of,
                };
                operate_chunk_on(isa, cols, &env)
            },
        )
        .collect_into_vec(scratch);
    let mut total = OperateAcc::default();
    scratch.iter().for_each(|a| total.add(a));
    total
}

/// What every chunk of `operate` reads besides its rows.
struct OperateEnv<'a> {
    ctx: &'a StepCtx<'a>,
    markets: &'a Markets,
    hazard_month: &'a [f32; AGE_TABLE],
    events_key: StepKey,
}

/// One chunk of the columns `operate` reads and writes.
struct OperateCols<'a> {
    id: &'a [u64],
    region: &'a mut [u8],
    sector: &'a [u8],
    st: &'a mut [u8],
    age: &'a mut [u16],
    loss: &'a mut [u8],
    emp: &'a mut [u32],
    scale_now: &'a [f32],
    cash: &'a mut [f32],
    sales_year: &'a mut [f32],
    want: &'a [i32],
    log_scale: &'a [f32],
    /// Order factor (ODD 7.11): multiplies sales and desired employment.
    of: &'a [f32],
}

/// [`operate_chunk`] compiled for AVX2 + FMA (same bits; see [`plan_chunk_avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn operate_chunk_avx2(cols: OperateCols, env: &OperateEnv) -> OperateAcc {
    operate_chunk(cols, env)
}

/// [`operate_chunk`] compiled for AVX-512 (same bits; see [`plan_chunk_avx512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")]
fn operate_chunk_avx512(cols: OperateCols, env: &OperateEnv) -> OperateAcc {
    operate_chunk(cols, env)
}

/// Runs [`operate_chunk`] in the build for `isa`.
fn operate_chunk_on(isa: Isa, cols: OperateCols, env: &OperateEnv) -> OperateAcc {
    match isa {
        // SAFETY: `isa()` and `Isa::available` return these only where the CPU has the features.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { operate_chunk_avx512(cols, env) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { operate_chunk_avx2(cols, env) },
        _ => operate_chunk(cols, env),
    }
}

#[inline(always)]
fn operate_chunk(cols: OperateCols, env: &OperateEnv) -> OperateAcc {
    let OperateCols {
        id,
        region,
        sector,
        st,
        age,
        loss,
        emp,
        scale_now,
        cash,
        sales_year,
        want,
        log_scale,
        of,
    } = cols;
    let ctx = env.ctx;
    let rules = &ctx.rules;
    let (hazard_month, events_key, mk) = (env.hazard_month, env.events_key, env.markets);
    let mut acc = OperateAcc::default();
    // (sales, value added, SME sales, deaths) by region, and employees by the region after
    // a move.
    let (mut by_region, mut employees) = (Runs::<4>::new(), Runs::<1>::new());
    let len = id.len();
    let (region, sector, st, age, loss, emp) = (
        &mut region[..len],
        &sector[..len],
        &mut st[..len],
        &mut age[..len],
        &mut loss[..len],
        &mut emp[..len],
    );
    let (scale_now, cash, sales_year, want, log_scale, of) = (
        &scale_now[..len],
        &mut cash[..len],
        &mut sales_year[..len],
        &want[..len],
        &log_scale[..len],
        &of[..len],
    );
    // Blocks of rows in loops, as in `plan`: the draws (vectorised), the hiring, the
    // staffing ratio and the row's table values (scalar), the understaffing penalty
    // `ratio^theta` (branch-free, vectorises), sales, profit, cash and the exit test
    // (branch-free), then the sums, exits and relocation (scalar).
    let mut start = 0;
    while start < len {
        let end = (start + BLOCK).min(len);
        let m = end - start;
        let mut n_new = [0u32; BLOCK];
        let mut staffing = [1.0f32; BLOCK];
        let mut u_exit = [0.0f32; BLOCK];
        let mut u_move = [0.0f32; BLOCK];
        let mut perf = [1.0f32; BLOCK];
        let mut u_hire = [0.0f32; BLOCK];
        // The row's market values (0 for dead rows): sales per unit, value-added share, wage,
        // fixed cost, and the exit hazard before the performance factor.
        let mut sales_unit = [0.0f32; BLOCK];
        let mut va_share = [0.0f32; BLOCK];
        let mut wage = [0.0f32; BLOCK];
        let mut fixed = [0.0f32; BLOCK];
        let mut hazard = [0.0f32; BLOCK];
        // Hiring rounding, exit and whether the firm moves, for every row.
        let (lo, hi) = split_ids(&id[start..end]);
        let draws = u_hire[..m].iter_mut().zip(&mut u_exit[..m]);
        let draws = draws.zip(&mut u_move[..m]).zip(&lo[..m]).zip(&hi[..m]);
        for ((((u_hire, u_exit), u_move), &lo), &hi) in draws {
            let [w_hire, w_exit, w_move] = events_key.words_of(lo, hi);
            *u_hire = unit_f32(w_hire);
            *u_exit = unit_f32(w_exit);
            *u_move = unit_f32(w_move);
        }
        for i in start..end {
            let k = i - start;
            if st[i] == status::DEAD {
                continue;
            }
            let (r, rs) = (usize::from(region[i]), market_byte(region[i], sector[i]));
            let mut n = emp[i] as i64;
            let w = want[i];
            if w > 0 {
                // In f64 so that rounding can never lift a hire past
                // `w * ration + 1`; the sum is positive, so truncation is the floor.
                n += (f64::from(w) * f64::from(mk.ration[r]) + f64::from(u_hire[k])) as i64;
            } else {
                n += i64::from(w);
            }
            let n = n.max(1) as u32;
            n_new[k] = n;
            let desired = (scale_now[i] * mk.labour_mult[rs] * of[i]).max(1.0);
            staffing[k] = (n as f32 / desired).min(1.0);
            sales_unit[k] = mk.sales_month[rs];
            va_share[k] = mk.va_share[rs];
            wage[k] = mk.wage[r];
            fixed[k] = mk.fixed_cost[rs];
            // At the age the firm reaches this month.
            let aged = usize::from(age[i].saturating_add(1)).min(AGE_TABLE - 1);
            hazard[k] = hazard_month[aged] * mk.exit_mult[rs];
        }
        // Understaffed firms sell less (see `sales_units_from_scale`); 1^theta = 1
        // exactly, so fully staffed firms are unaffected.
        for v in &mut staffing[..m] {
            *v = fastmath::pow(*v, rules.theta);
        }
        // The firm's part of the exit hazard's performance factor, exp(-kappa * a): exit
        // falls with market potential (productivity and size). Bounded so it cannot overflow.
        for (p, &a) in perf[..m].iter_mut().zip(&log_scale[start..end]) {
            *p = fastmath::exp((-rules.perf_elasticity * a).clamp(-30.0, 30.0));
        }
        // Sales, profit, cash, losses, ageing and the exit test for every row, branch-free (so
        // it vectorises); dead rows keep their values. `sales` and `va` are kept for the sums.
        let mut sales = [0.0f32; BLOCK];
        let mut va = [0.0f32; BLOCK];
        let mut losing = [false; BLOCK];
        let mut exits = [false; BLOCK];
        let rows = start..end;
        let (buffer, loss_limit) = (rules.buffer_months, rules.exit_loss_months);
        let live = |st: u8| st != status::DEAD;
        {
            let cols = (scale_now[rows.clone()].iter().zip(&of[rows.clone()]))
                .zip(staffing[..m].iter().zip(&sales_unit[..m]))
                .zip(va_share[..m].iter().zip(&wage[..m]))
                .zip(fixed[..m].iter().zip(&n_new[..m]))
                .zip(cash[rows.clone()].iter_mut().zip(&st[rows.clone()]))
                .zip(sales.iter_mut().zip(va.iter_mut()).zip(losing.iter_mut()));
            for (
                (((((&sn, &of), (&sf, &su)), (&vs, &wg)), (&fc, &n)), (cash, &st)),
                ((s, v), lo),
            ) in cols
            {
                *s = sn * of * sf * su;
                *v = *s * vs;
                let costs = wg * n as f32 + fc;
                let profit = *v - costs;
                *lo = profit < 0.0;
                let c = (*cash + profit).min(buffer * costs);
                *cash = if live(st) { c } else { *cash };
            }
        }
        for ((l, &st), &lo) in loss[rows.clone()]
            .iter_mut()
            .zip(&st[rows.clone()])
            .zip(&losing[..m])
        {
            let next = if lo { l.saturating_add(1) } else { 0 };
            *l = if live(st) { next } else { *l };
        }
        for (a, &st) in age[rows.clone()].iter_mut().zip(&st[rows.clone()]) {
            *a = if live(st) { a.saturating_add(1) } else { *a };
        }
        for (y, (&st, &s)) in sales_year[rows.clone()]
            .iter_mut()
            .zip(st[rows.clone()].iter().zip(&sales[..m]))
        {
            *y = if live(st) { *y + s } else { *y };
        }
        {
            let cols = (exits[..m].iter_mut().zip(&st[rows.clone()]))
                .zip(cash[rows.clone()].iter().zip(&loss[rows]))
                .zip(u_exit[..m].iter().zip(hazard[..m].iter().zip(&perf[..m])));
            for (((e, &st), (&c, &l)), (&u, (&h, &p))) in cols {
                let broke = (c < 0.0) & (l >= loss_limit);
                *e = live(st) & (broke | (u < h * p));
            }
        }
        for i in start..end {
            let k = i - start;
            if st[i] == status::DEAD {
                continue;
            }
            let r = usize::from(region[i]);
            let (sales, va) = (f64::from(sales[k]), f64::from(va[k]));
            // Adding +0.0 leaves a sum of non-negative values bit for bit as it is.
            let sme_sales = if st[i] == status::SME { sales } else { 0.0 };
            let death = if exits[k] { 1.0 } else { 0.0 };
            by_region.add(r, [sales, va, sme_sales, death]);
            if exits[k] {
                st[i] = status::DEAD;
                emp[i] = 0;
                continue;
            }
            let n = n_new[k];
            emp[i] = n;
            if u_move[k] < rules.relocation_p {
                let (u_dest, _) =
                    two_units_f32(ctx.streams.bits(Stream::Relocation, id[i], ctx.step, 0));
                let d = crate::model::pick(&ctx.relocation_cdf[r], f64::from(u_dest));
                if d != r {
                    region[i] = d as u8;
                    acc.relocated_out[r] += 1.0;
                    acc.relocated_in[d] += 1.0;
                }
            }
            // After a move: the firm's new region.
            employees.add(usize::from(region[i]), [f64::from(n)]);
        }
        start = end;
    }
    let (by_region, employees) = (by_region.table(), employees.table());
    acc.sales = std::array::from_fn(|r| by_region[r][0]);
    acc.value_added = std::array::from_fn(|r| by_region[r][1]);
    acc.sme_sales = std::array::from_fn(|r| by_region[r][2]);
    acc.deaths = std::array::from_fn(|r| by_region[r][3]);
    acc.employees = std::array::from_fn(|r| employees[r][0]);
    acc
}

/// Entries of a table indexed by a byte: a `u8` index never needs a bounds check.
const BYTE: usize = 256;

/// A firm's market byte `region * N_SECTORS + sector` (below 60 for valid rows; any byte is a
/// valid index of a [`BYTE`]-entry table).
#[inline(always)]
fn market_byte(region: u8, sector: u8) -> usize {
    usize::from(region.wrapping_mul(N_SECTORS as u8).wrapping_add(sector))
}

/// The per-market and per-region values `operate` reads for every firm, as byte-indexed tables
/// (see [`market_byte`]): the scalar loops look them up with one load, without the two bounds
/// checks and the two-level address of `ctx.table[r][s]`. Built once per step.
struct Markets {
    labour_mult: [f32; BYTE],
    sales_month: [f32; BYTE],
    va_share: [f32; BYTE],
    fixed_cost: [f32; BYTE],
    exit_mult: [f32; BYTE],
    /// By region byte.
    wage: [f32; BYTE],
    /// By region byte.
    ration: [f32; BYTE],
}

impl Markets {
    fn new(ctx: &StepCtx) -> Box<Markets> {
        let mut m = Box::new(Markets {
            labour_mult: [0.0; BYTE],
            sales_month: [0.0; BYTE],
            va_share: [0.0; BYTE],
            fixed_cost: [0.0; BYTE],
            exit_mult: [0.0; BYTE],
            wage: [0.0; BYTE],
            ration: [0.0; BYTE],
        });
        for r in 0..N_REGIONS {
            m.wage[r] = ctx.wage[r];
            m.ration[r] = ctx.ration[r];
            for s in 0..N_SECTORS {
                let rs = market_byte(r as u8, s as u8);
                m.labour_mult[rs] = ctx.labour_mult[r][s];
                m.sales_month[rs] = ctx.sales_month[r][s];
                m.va_share[rs] = ctx.rules.va_share[s];
                m.fixed_cost[rs] = ctx.fixed_cost[r][s];
                m.exit_mult[rs] = ctx.exit_mult[r][s];
            }
        }
        m
    }
}

/// The instruction sets the firm passes are built for. Every build gives the same bits (tested
/// below), so the choice changes speed only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Portable,
    Avx2,
    Avx512,
}

impl Isa {
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The builds this CPU can run, narrowest first.
    pub fn available() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                v.push(Isa::Avx2);
                if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx512bw") {
                    v.push(Isa::Avx512);
                }
            }
        }
        v
    }
}

/// The widest build this CPU runs (detected once).
pub fn isa() -> Isa {
    static ISA: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
    *ISA.get_or_init(|| *Isa::available().last().unwrap_or(&Isa::Portable))
}

/// A per-(region, sector) table laid out by [`market_byte`] (other entries 0).
fn by_market_byte(t: &[[f32; N_SECTORS]; N_REGIONS]) -> [f32; BYTE] {
    let mut out = [0.0; BYTE];
    for (r, row) in t.iter().enumerate() {
        for (s, &v) in row.iter().enumerate() {
            out[market_byte(r as u8, s as u8)] = v;
        }
    }
    out
}

/// A per-age table (built with `AGE_TABLE` entries by `init_world`) as a fixed-size array, so
/// look-ups at a clamped age need no bounds check.
fn age_table(v: &[f32]) -> &[f32; AGE_TABLE] {
    v.try_into()
        .expect("init_world builds per-age tables with AGE_TABLE entries")
}

/// The low and high 32-bit halves of a block's ids, for the draw loops (see
/// [`StepKey::words_of`]).
#[inline(always)]
fn split_ids(id: &[u64]) -> ([u32; BLOCK], [u32; BLOCK]) {
    let (mut lo, mut hi) = ([0u32; BLOCK], [0u32; BLOCK]);
    for ((lo, hi), &e) in lo.iter_mut().zip(&mut hi).zip(id) {
        *lo = e as u32;
        *hi = (e >> 32) as u32;
    }
    (lo, hi)
}

/// Laplace draw with scale `b` from a uniform strictly inside (0, 1) (inverse CDF). With
/// 23-bit uniforms the largest draw is 15.9 b.
#[inline(always)]
fn laplace(u: f32, b: f32) -> f32 {
    let d = u - 0.5;
    -b * d.signum() * fastmath::ln(1.0 - 2.0 * d.abs())
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

    /// Runs one `plan` and one `operate` over a whole small world with every build this CPU
    /// has, and compares each with the portable one bit for bit.
    #[test]
    fn every_build_gives_the_same_bits() {
        use crate::model::init_world;
        use crate::rng::Streams;
        use crate::scenario::Scenario;
        let builds = Isa::available();
        if builds.len() < 3 {
            eprintln!(
                "note: this CPU runs only the builds {:?}; the others are not compared",
                builds.iter().map(|b| b.name()).collect::<Vec<_>>()
            );
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
        let scn = Scenario::load(&path, &["scale=0.002".to_string()]).expect("baseline loads");
        let streams = Streams::new(3);
        let (world, derived) = init_world(&scn, &streams);
        let mut ctx = crate::step::ctx(&world, &scn, &derived, &streams);
        ctx.ration = [0.6; N_REGIONS]; // exercise rationed hiring
        assert!(world.firms.len() > 10_000);
        // Some dead rows, as before a year-end compaction.
        let mut start = world.firms.clone();
        for i in (0..start.len()).step_by(17) {
            start.status[i] = status::DEAD;
        }
        let plan_env = PlanEnv::new(&ctx);
        let markets = Markets::new(&ctx);
        let op_env = OperateEnv {
            ctx: &ctx,
            markets: &markets,
            hazard_month: age_table(&derived.hazard_month),
            events_key: streams.step_key(Stream::FirmEvents, 0, 1),
        };
        let run = |isa: Isa| {
            let mut f = start.clone();
            let p = plan_chunk_on(
                isa,
                PlanCols {
                    id: &f.id,
                    region: &f.region,
                    sector: &f.sector,
                    st: &f.status,
                    age: &f.age_months,
                    emp: &f.employees,
                    log_scale: &mut f.log_scale,
                    want: &mut f.want,
                    scale_now: &mut f.scale_now,
                    hg: &f.high_growth_until,
                    of: &f.order_factor,
                },
                &plan_env,
            );
            let o = operate_chunk_on(
                isa,
                OperateCols {
                    id: &f.id,
                    region: &mut f.region,
                    sector: &f.sector,
                    st: &mut f.status,
                    age: &mut f.age_months,
                    loss: &mut f.loss_months,
                    emp: &mut f.employees,
                    scale_now: &f.scale_now,
                    cash: &mut f.cash_krw,
                    sales_year: &mut f.sales_year_krw,
                    want: &f.want,
                    log_scale: &f.log_scale,
                    of: &f.order_factor,
                },
                &op_env,
            );
            (p, o, f)
        };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let (pa, oa, a) = run(Isa::Portable);
        // The step did something: some firms hired, some sales were made, some exited, and
        // the dead rows kept their scale and wanted nothing.
        assert!(pa.hires.iter().sum::<f64>() > 0.0 && oa.sales.iter().sum::<f64>() > 0.0);
        assert!(oa.deaths.iter().sum::<f64>() > 0.0);
        for i in (0..start.len()).step_by(17) {
            assert_eq!(a.log_scale[i].to_bits(), start.log_scale[i].to_bits());
            assert_eq!(a.want[i], 0);
        }
        for &isa in &builds[1..] {
            let (pb, ob, b) = run(isa);
            let name = isa.name();
            assert_eq!(pa.hires, pb.hires, "{name}");
            assert_eq!(pa.hiring_firms, pb.hiring_firms, "{name}");
            assert_eq!(pa.capacity, pb.capacity, "{name}");
            assert_eq!(pa.firms, pb.firms, "{name}");
            assert_eq!(oa.sales, ob.sales, "{name}");
            assert_eq!(oa.sme_sales, ob.sme_sales, "{name}");
            assert_eq!(oa.value_added, ob.value_added, "{name}");
            assert_eq!(oa.employees, ob.employees, "{name}");
            assert_eq!(oa.deaths, ob.deaths, "{name}");
            assert_eq!(oa.relocated_out, ob.relocated_out, "{name}");
            assert_eq!(bits(&a.log_scale), bits(&b.log_scale), "{name}");
            assert_eq!(bits(&a.scale_now), bits(&b.scale_now), "{name}");
            assert_eq!(bits(&a.cash_krw), bits(&b.cash_krw), "{name}");
            assert_eq!(bits(&a.sales_year_krw), bits(&b.sales_year_krw), "{name}");
            assert_eq!(a.want, b.want, "{name}");
            assert_eq!(a.employees, b.employees, "{name}");
            assert_eq!(a.status, b.status, "{name}");
            assert_eq!(a.loss_months, b.loss_months, "{name}");
            assert_eq!(a.age_months, b.age_months, "{name}");
            assert_eq!(a.region, b.region, "{name}");
        }
    }

    /// ODD 7.4 step 6: with the same exit draws, firms with a larger market potential (the
    /// performance factor exp(-kappa * a)) exit less; without the elasticity they exit alike.
    #[test]
    fn exit_falls_with_market_potential() {
        use crate::model::init_world;
        use crate::rng::Streams;
        use crate::scenario::Scenario;
        let deaths = |kappa: &str, lift: f32| {
            let path =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
            let sets = ["scale=0.005".to_string(), kappa.to_string()];
            let scn = Scenario::load(&path, &sets).expect("baseline loads");
            let streams = Streams::new(9);
            let (mut world, derived) = init_world(&scn, &streams);
            let ctx = crate::step::ctx(&world, &scn, &derived, &streams);
            // Only the hazard's performance factor reads log_scale in `operate`.
            world.firms.log_scale.iter_mut().for_each(|a| *a += lift);
            let acc = operate(&mut world.firms, &ctx, &mut Vec::new());
            acc.deaths.iter().sum::<f64>()
        };
        let (low, high) = (
            deaths("firms.exit_performance_elasticity=0.5", 0.0),
            deaths("firms.exit_performance_elasticity=0.5", 1.0),
        );
        assert!(high < 0.8 * low, "deaths {high} with +1 log scale vs {low}");
        let (a, b) = (
            deaths("firms.exit_performance_elasticity=0", 0.0),
            deaths("firms.exit_performance_elasticity=0", 1.0),
        );
        assert_eq!(a, b);
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
