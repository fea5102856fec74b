//! `exp`, `ln` and `pow` in f32 for the firm passes: inline polynomials instead of libm calls.
//!
//! Why: in the firm passes libm's `expf` and `powf` were a sixth of all instructions (callgrind,
//! one year at scale 0.01: 60M + 42M of 617M). These inline versions cost a dozen
//! multiply-adds, are branch-free, and use only IEEE f32 `+ - * /` and bit operations, so they
//! give the same bits on every machine (libm's results may differ between libm versions).
//!
//! Accuracy (tested below against f64): relative error below 4e-7 (a few f32 ulps) for `exp`
//! on [-87, 88] and absolute error below 2e-7 for `ln` on normal positive numbers, which is
//! below the f32 resolution the firm state is kept in.

const LN2_HI: f32 = 0.693_145_75; // ln 2 split so that n * LN2_HI is exact for |n| < 2^8
const LN2_LO: f32 = 1.428_606_8e-6;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// 1.5 * 2^23: adding and subtracting it rounds an f32 below 2^22 to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// `e^x`. Inputs are clamped to [-87, 88] (results from 1.6e-38 to 1.65e38; never 0, inf or
/// NaN for finite input).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // x = n ln2 + r with |r| <= ln2 / 2.
    // t = 1.5 * 2^23 + n: its low mantissa bits hold n (no float-to-int conversion, which
    // keeps the function vectorisable on plain SSE2).
    let t = x * LOG2_E + ROUND;
    let n_bits = t.to_bits().wrapping_sub(ROUND.to_bits());
    let n = t - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Taylor series of e^r to degree 7 (truncation error < 5e-9 on |r| <= 0.347).
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // 2^n built from its exponent bits (n in -126..=127 after the clamp).
    let two_n = f32::from_bits(n_bits.wrapping_add(127) << 23);
    p * two_n
}

/// Natural logarithm of a positive normal f32 (callers pass values well above 1e-38).
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    // x = m 2^e with m in [sqrt(1/2), sqrt(2)): take the exponent relative to 0x3f3504f3.
    let off = bits.wrapping_sub(0x3f35_04f3);
    let e = (off as i32) >> 23;
    let m = f32::from_bits(bits.wrapping_sub((e as u32) << 23));
    // ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: odd series to s^9.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let q = 1.0 / 9.0;
    let q = q * s2 + 1.0 / 7.0;
    let q = q * s2 + 1.0 / 5.0;
    let q = q * s2 + 1.0 / 3.0;
    let q = q * s2 + 1.0;
    let e = e as f32;
    e * LN2_HI + (2.0 * s * q + e * LN2_LO)
}

/// `x^y` for positive normal `x` (as `exp(y ln x)`).
#[inline(always)]
pub fn pow(x: f32, y: f32) -> f32 {
    exp(y * ln(x))
}

/// `floor(x)` as an integer, for |x| < 2^31 (no libm call on targets without SSE4.1).
///
/// The truncation is Rust's saturating `x as i32` (NaN to 0, out-of-range values to the
/// nearest bound) written out with a clamp and an unchecked conversion: the saturating cast
/// itself is not vectorised on AVX2, this is, and it gives the same integer for every input.
#[inline(always)]
pub fn floor_i32(x: f32) -> i32 {
    // The largest f32 below 2^31, and -2^31.
    let c = x.clamp(-2_147_483_648.0, 2_147_483_520.0);
    let c = if c.is_nan() { 0.0 } else { c };
    // SAFETY: `c` is finite and within i32's range.
    let t = unsafe { c.to_int_unchecked::<i32>() }; // truncates toward zero
    let t = if x >= 2_147_483_648.0 { i32::MAX } else { t };
    t.wrapping_sub(i32::from(x < t as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread over [lo, hi], plus both ends.
    fn grid(lo: f32, hi: f32, n: usize) -> impl Iterator<Item = f32> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f32 / n as f32)
    }

    #[test]
    fn exp_matches_f64_to_a_few_ulps() {
        let mut worst = 0.0f64;
        for x in grid(-87.0, 88.0, 2_000_000).chain([0.0, -0.0, 1.0, -1.0, 1e-8]) {
            let want = f64::from(x).exp();
            let rel = ((f64::from(exp(x)) - want) / want).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 4e-7, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        // Clamped, never inf or 0.
        assert!(exp(1000.0).is_finite() && exp(-1000.0) > 0.0);
    }

    #[test]
    fn ln_matches_f64() {
        let mut worst = 0.0f64;
        let mut x = 1e-30f32;
        while x < 1e30 {
            for k in 0..50 {
                let v = x * (1.0 + k as f32 / 50.0);
                let err = (f64::from(ln(v)) - f64::from(v).ln()).abs();
                // Absolute error near ln = 0, relative elsewhere.
                let scale = f64::from(v).ln().abs().max(1.0);
                worst = worst.max(err / scale);
            }
            x *= 1.7;
        }
        assert!(worst < 2e-7, "worst error {worst:e}");
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn pow_matches_f64_on_staffing_ratios() {
        for x in grid(1e-3, 1.0, 100_000) {
            for y in [0.1f32, 0.35, 0.5, 0.9] {
                let want = f64::from(x).powf(f64::from(y));
                let rel = ((f64::from(pow(x, y)) - want) / want).abs();
                assert!(rel < 5e-7, "{x}^{y}: {rel:e}");
            }
        }
    }

    #[test]
    fn floor_i32_truncates_like_a_saturating_cast() {
        let reference = |x: f32| {
            let t = x as i32;
            t.wrapping_sub(i32::from(x < t as f32))
        };
        for x in [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            3e9,
            -3e9,
            2_147_483_520.0,
            2_147_483_648.0,
            -2_147_483_648.0,
            -2_147_483_904.0,
            1e-40,
            -1e-40,
            -0.0,
            12_345.67,
            -12_345.67,
        ] {
            assert_eq!(floor_i32(x), reference(x), "{x}");
        }
    }

    #[test]
    fn floor_i32_matches_floor() {
        for x in grid(-1000.0, 1000.0, 200_001).chain([-0.5, -1.0, -0.0, 0.999_999_9, -1e-9]) {
            assert_eq!(floor_i32(x), x.floor() as i32, "{x}");
        }
    }
}
