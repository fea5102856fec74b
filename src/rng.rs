//! The seeded random-stream scheme: every draw is a pure function of
//! (run seed, stream purpose, entity id, step, draw index).
//!
//! Why not one generator per thread or per chunk: results would then depend on how work is
//! split. Why not one ChaCha generator per agent per step: re-keying ChaCha8 and refilling its
//! block buffer costs far more than the agent's own update (measured in `benches/`), and the
//! firm loop runs hundreds of millions of agent-steps at full scale.
//!
//! So the scheme has two levels:
//! 1. **Named streams.** For each [`Stream`] purpose, a 64-bit stream key is drawn from
//!    `ChaCha8Rng` seeded with the run seed, on ChaCha stream number = the purpose's index.
//!    Keys of different purposes are independent ChaCha outputs.
//! 2. **Counter-based draws.** The stream key and (step, k) are mixed by one SplitMix64
//!    finaliser into a step key; draw `e` is then SplitMix64's `e`-th output from that step key
//!    (`splitmix(step_key + e * golden_gamma)`), one finaliser per draw. It needs no state, so
//!    any thread can compute any agent's draw, and two scenarios run with the same seed give
//!    the same draws to the same agent id at the same step (common random numbers).
//!    The firm passes take 32-bit words from the same step key instead
//!    ([`StepKey::words`]): 32-bit multiplies only, so their draw loops run on vector lanes.
//!
//! Low-volume draws that need a full distribution (Poisson counts of births per region and
//! month) seed a `ChaCha8Rng` from one counter-based draw via [`Streams::chacha`].

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;
use rand_chacha::rand_core::TryRng;
use rand_distr::{Distribution, StandardNormal};
use std::convert::Infallible;

/// The purposes that draw random numbers. Adding a purpose never changes the others' keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Initial firm attributes (size, productivity, sector, age, cash).
    FirmInit = 1,
    /// Monthly productivity shocks (Gaussian part).
    FirmShock = 2,
    /// Monthly productivity jumps (occurrence and size).
    FirmJump = 3,
    /// Hiring rounding, exogenous exit and relocation.
    FirmEvents = 4,
    /// Number of new firms per region and month.
    FirmBirths = 5,
    /// Initial startup attributes.
    StartupInit = 6,
    /// Monthly startup progress noise.
    StartupProgress = 7,
    /// Number of new startups per region and month.
    StartupBirths = 8,
    /// Investor screening noise per (investor, startup, step).
    Screening = 9,
    /// Relocation destinations.
    Relocation = 10,
    /// Which investors are sampled, and their starting capital.
    InvestorInit = 11,
    /// Which seeking startups an investor's proposals come from.
    DealFlow = 12,
    /// Policy selections: a firm's or startup's rank among the eligible, a growth fund's
    /// local-deal draw.
    PolicySelect = 13,
    /// Policy rounding: how many agents a programme's real count becomes this step.
    PolicyDraw = 14,
    /// Supplier choice, searches and rewiring of the production network (ODD 7.11).
    Network = 15,
    /// Whether a graduating startup becomes a firm agent (`scale / startup_scale`, ODD 7.5).
    /// (Numbers 15-19 are left to other purposes; keys are per number, so gaps cost nothing.)
    GraduateSample = 20,
    /// Noise of a portfolio startup's exit multiple at graduation (ODD 7.6a).
    FundExit = 21,
    /// Link levers of selection programmes on the production network: which of a treated
    /// buyer's links move to a supplier in its region, and the new supplier (ODD 7.10.12).
    NetworkLever = 25,
}

/// Stream keys of one run. Cheap to copy; holds no generator state.
#[derive(Debug, Clone, Copy)]
pub struct Streams {
    keys: [u64; 32],
}

#[inline(always)]
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijective 32-bit finaliser: Wellons' `lowbias32` with the constants his hash prospector
/// found best for this shape (shifts 16, 15, 15; bias 0.108).
#[inline(always)]
fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x21F0_AAAD);
    x ^= x >> 15;
    x = x.wrapping_mul(0x735A_2D97);
    x ^ (x >> 15)
}

impl Streams {
    /// Derives the stream keys of a run from its seed.
    pub fn new(seed: u64) -> Self {
        let mut keys = [0u64; 32];
        for (purpose, key) in keys.iter_mut().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(purpose as u64);
            *key = rng.next_u64();
        }
        Streams { keys }
    }

    /// The streams of the spin-up (ODD 3.3, 4.9): every purpose's key passed once more through
    /// the SplitMix64 finaliser with a fixed odd offset, so spin-up draws are independent of the
    /// reported months' draws for the same (entity, step, k).
    pub fn spin_up(&self) -> Streams {
        Streams {
            keys: self
                .keys
                .map(|k| splitmix(k ^ 0x5350_494E_5550_0001).wrapping_add(0x9E37_79B9_7F4A_7C15)),
        }
    }

    /// The key of (purpose, step, k): hoist it out of a loop over entities.
    #[inline(always)]
    pub fn step_key(&self, purpose: Stream, step: u32, k: u32) -> StepKey {
        let key = self.keys[purpose as usize];
        StepKey(splitmix(
            key ^ ((u64::from(step) << 32) | u64::from(k)).wrapping_mul(0xD6E8_FEB8_6659_FD93),
        ))
    }

    /// The raw 64-bit draw for (purpose, entity, step, k).
    #[inline(always)]
    pub fn bits(&self, purpose: Stream, entity: u64, step: u32, k: u32) -> u64 {
        self.step_key(purpose, step, k).bits(entity)
    }

    /// A uniform draw in [0, 1) with 53 bits of precision.
    #[inline(always)]
    pub fn uniform(&self, purpose: Stream, entity: u64, step: u32, k: u32) -> f64 {
        to_unit_f64(self.bits(purpose, entity, step, k))
    }

    /// A standard normal draw: `rand_distr`'s ziggurat fed by the counter-based draws
    /// (k, k + 2^24, k + 2*2^24, ... for the rare extra draws it needs).
    #[inline(always)]
    pub fn normal(&self, purpose: Stream, entity: u64, step: u32, k: u32) -> f64 {
        self.step_key(purpose, step, k)
            .normal(self, purpose, entity, step, k)
    }

    /// A ChaCha8 generator for (purpose, entity, step), for low-volume draws that need a full
    /// distribution from `rand_distr`.
    pub fn chacha(&self, purpose: Stream, entity: u64, step: u32) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.bits(purpose, entity, step, u32::MAX))
    }
}

/// The draws of one (purpose, step, k) across entities: draw `e` is SplitMix64's output number
/// `e` for the seed `splitmix(stream key ^ (step, k) * odd constant)`, i.e. one finaliser per
/// draw once the key is known. A loop over agents computes the key once.
#[derive(Debug, Clone, Copy)]
pub struct StepKey(u64);

impl StepKey {
    #[inline(always)]
    pub fn bits(self, entity: u64) -> u64 {
        splitmix(
            self.0
                .wrapping_add(entity.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        )
    }

    /// `N` 32-bit words for `entity` (the firm passes' draws; ODD 4.9): with the key split
    /// into `k_lo` (low half) and `k_hi`, and the entity into `e_lo`, `e_hi`,
    /// `c = mix32(mix32(e_lo ^ k_lo) ^ e_hi)` and word `j` is
    /// `mix32(mix32(c + k_hi + j * 0x9E3779B9))` (wrapping). Only 32-bit multiplies, shifts and
    /// xors, so a loop over entities runs on 8 (AVX2) or 16 (AVX-512) lanes, where the 64-bit
    /// multiplies of [`bits`](Self::bits) are emulated on AVX2.
    #[inline(always)]
    pub fn words<const N: usize>(self, entity: u64) -> [u32; N] {
        self.words_of(entity as u32, (entity >> 32) as u32)
    }

    /// [`words`](Self::words) of the entity with low half `e_lo` and high half `e_hi`. (A loop
    /// that splits u64 ids inside the hash is not vectorised; one that reads the halves from
    /// two u32 arrays is.)
    #[inline(always)]
    pub fn words_of<const N: usize>(self, e_lo: u32, e_hi: u32) -> [u32; N] {
        let (k_lo, k_hi) = (self.0 as u32, (self.0 >> 32) as u32);
        let c = mix32(mix32(e_lo ^ k_lo) ^ e_hi);
        std::array::from_fn(|j| {
            let offset = (j as u32).wrapping_mul(0x9E37_79B9);
            mix32(mix32(c.wrapping_add(k_hi).wrapping_add(offset)))
        })
    }

    /// A standard normal draw for `entity` (see [`Streams::normal`]).
    #[inline(always)]
    pub fn normal(self, streams: &Streams, purpose: Stream, entity: u64, step: u32, k: u32) -> f64 {
        let mut rng = CounterRng {
            streams,
            purpose,
            entity,
            step,
            k,
            first: Some(self.bits(entity)),
        };
        StandardNormal.sample(&mut rng)
    }
}

/// A generator over the counter-based draws of one (purpose, entity, step, k): the j-th
/// output is `bits(purpose, entity, step, k + j * 2^24)`. Lets `rand_distr` sample from keyed
/// draws without any state beyond the counter.
struct CounterRng<'a> {
    streams: &'a Streams,
    purpose: Stream,
    entity: u64,
    step: u32,
    k: u32,
    /// The first draw when its step key was already at hand.
    first: Option<u64>,
}

impl TryRng for CounterRng<'_> {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        if let Some(b) = self.first.take() {
            self.k = self.k.wrapping_add(1 << 24);
            return Ok(b);
        }
        let b = self
            .streams
            .bits(self.purpose, self.entity, self.step, self.k);
        self.k = self.k.wrapping_add(1 << 24);
        Ok(b)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let b = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        Ok(())
    }
}

/// The top 23 bits of a word as an f32 uniform strictly inside (0, 1): `(w >> 9 + 0.5) / 2^23`
/// (a wider integer could round to exactly 1.0 in f32).
#[inline(always)]
pub fn unit_f32(w: u32) -> f32 {
    const S: f32 = 1.0 / 8_388_608.0; // 2^-23
    ((w >> 9) as i32 as f32 + 0.5) * S
}

/// A standard normal draw in f32 from one word, by the inverse CDF: the top 24 bits give
/// `u = (k + 1/2) 2^-24`, and `z = sqrt(2) erfinv(2u - 1)` with Giles' (2010) single-precision
/// `erfinv` ("Approximating the erfinv function", GPU Computing Gems Jade, ch. 10): two
/// polynomials in `w = -ln((1 - |x|)(1 + |x|))`, `x = 2u - 1`, both evaluated and one selected
/// (`w < 5`). Branch-free and built from IEEE f32 operations, [`fastmath::ln`] and `sqrt` only
/// (all exactly rounded or bit-defined), so it vectorises and gives the same bits on every
/// machine and instruction set. `|z| <= 5.42` (the mass beyond is 6e-8).
///
/// [`fastmath::ln`]: crate::fastmath::ln
#[inline(always)]
pub fn normal_f32(word: u32) -> f32 {
    const S: f32 = 1.0 / 16_777_216.0; // 2^-24
    // x = 2u - 1 = (2k + 1 - 2^24) 2^-24: an odd integer below 2^24 in magnitude, so exact.
    let x = ((((word >> 8) as i32) << 1) + 1 - (1 << 24)) as f32 * S;
    // 1 - |x| is exact too, so `w` (and `z`'s magnitude) depends on |x| only: z(1-u) = -z(u).
    let a = x.abs();
    let w = -crate::fastmath::ln((1.0 - a) * (1.0 + a));
    // Central branch (w < 5, |z| < 2.9).
    let c = w - 2.5;
    let p = 2.810_226_4e-8f32;
    let p = 3.432_739_4e-7 + p * c;
    let p = -3.523_387_7e-6 + p * c;
    let p = -4.391_506_5e-6 + p * c;
    let p = 2.185_808_7e-4 + p * c;
    let p = -1.253_725e-3 + p * c;
    let p = -4.177_681_6e-3 + p * c;
    let p = 0.246_640_73 + p * c;
    let p_mid = 1.501_409_4 + p * c;
    // Tail branch.
    let t = w.sqrt() - 3.0;
    let q = -2.002_142_6e-4f32;
    let q = 1.009_505_6e-4 + q * t;
    let q = 1.349_343_2e-3 + q * t;
    let q = -3.673_428_4e-3 + q * t;
    let q = 5.739_507_7e-3 + q * t;
    let q = -7.622_461_3e-3 + q * t;
    let q = 9.438_870_5e-3 + q * t;
    let q = 1.001_674 + q * t;
    let p_tail = 2.832_976_8 + q * t;
    let p = if w < 5.0 { p_mid } else { p_tail };
    std::f32::consts::SQRT_2 * (p * x)
}

/// Top 53 bits of a draw as a uniform in [0, 1).
#[inline(always)]
pub fn to_unit_f64(b: u64) -> f64 {
    (b >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Splits a draw into two independent uniforms in (0, 1) with 32 bits each (never 0).
#[inline(always)]
pub fn two_units(b: u64) -> (f64, f64) {
    let hi = (b >> 32) as f64 + 0.5;
    let lo = (b & 0xFFFF_FFFF) as f64 + 0.5;
    let s = 1.0 / 4_294_967_296.0;
    (hi * s, lo * s)
}

/// Splits a draw into two independent f32 uniforms strictly inside (0, 1), 23 bits each.
/// (A wider integer could round to exactly 1.0 in f32.)
#[inline(always)]
pub fn two_units_f32(b: u64) -> (f32, f32) {
    const S: f32 = 1.0 / 8_388_608.0; // 2^-23
    let hi = (b >> 41) as u32 as f32;
    let lo = ((b >> 9) & 0x7F_FFFF) as u32 as f32;
    ((hi + 0.5) * S, (lo + 0.5) * S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_pure_functions_of_their_key() {
        let a = Streams::new(7);
        let b = Streams::new(7);
        for e in 0..100 {
            assert_eq!(
                a.bits(Stream::FirmShock, e, 3, 0),
                b.bits(Stream::FirmShock, e, 3, 0)
            );
        }
        let c = Streams::new(8);
        assert_ne!(
            a.bits(Stream::FirmShock, 1, 3, 0),
            c.bits(Stream::FirmShock, 1, 3, 0)
        );
        assert_ne!(
            a.bits(Stream::FirmShock, 1, 3, 0),
            a.bits(Stream::FirmJump, 1, 3, 0)
        );
    }

    #[test]
    fn uniforms_are_uniform_and_uncorrelated_across_neighbours() {
        // Chi-square on 20 bins over neighbouring entity ids and steps: structured counters
        // are the hard case for a hash-based generator.
        let s = Streams::new(42);
        let n = 200_000u64;
        let mut bins = [0u32; 20];
        let mut sum_xy = 0.0;
        let mut prev = s.uniform(Stream::FirmShock, 0, 0, 0);
        for i in 0..n {
            let u = s.uniform(Stream::FirmShock, i, (i % 72) as u32, 0);
            bins[(u * 20.0) as usize] += 1;
            sum_xy += (u - 0.5) * (prev - 0.5);
            prev = u;
        }
        let expected = n as f64 / 20.0;
        let chi2: f64 = bins
            .iter()
            .map(|&o| (o as f64 - expected).powi(2) / expected)
            .sum();
        // 19 degrees of freedom: the 99.9% quantile is 43.8.
        assert!(chi2 < 43.8, "chi2 = {chi2}");
        let corr = sum_xy / n as f64 / (1.0 / 12.0);
        assert!(corr.abs() < 0.01, "lag-1 correlation {corr}");
    }

    #[test]
    fn f32_uniforms_stay_strictly_inside_the_unit_interval() {
        for b in [0u64, u64::MAX, 1 << 63, (1 << 41) - 1, (1 << 43) - 1] {
            let (x, y) = two_units_f32(b);
            assert!(x > 0.0 && x < 1.0 && y > 0.0 && y < 1.0, "{b:x}: {x} {y}");
        }
        for w in [0u32, u32::MAX, 1 << 31, (1 << 9) - 1, 1 << 9] {
            let u = unit_f32(w);
            assert!(u > 0.0 && u < 1.0, "{w:x}: {u}");
        }
        // The low 9 bits are unused; the top 23 are all used.
        assert_eq!(unit_f32(0x1FF), unit_f32(0));
        assert_ne!(unit_f32(1 << 9), unit_f32(0));
        assert_eq!(unit_f32(u32::MAX), 1.0 - 0.5 / 8_388_608.0);
    }

    #[test]
    fn inverse_cdf_normal_has_known_quantiles_moments_and_symmetry() {
        // Quantiles: u -> z for u on the 2^-24 grid nearest to Phi(z).
        let at = |u: f64| {
            let k = (u * 16_777_216.0 - 0.5).round() as u32;
            let u_grid = (f64::from(k) + 0.5) / 16_777_216.0;
            (f64::from(normal_f32(k << 8)), u_grid)
        };
        for (z_true, phi) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_542_9),
            (1.959_963_984_540_054, 0.975),
            (-2.326_347_874_040_841, 0.01),
            (3.0, 0.998_650_101_968_369_9),
            (-4.0, 3.167_124_183_311_992e-5),
        ] {
            let (z, u) = at(phi);
            // The grid moves u by at most 2^-25; dz = du / pdf(z).
            let pdf = (-z_true * z_true / 2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let tol = 2e-6 * (1.0 + z_true.abs()) + (u - phi).abs() / pdf;
            assert!((z - z_true).abs() < tol, "z({phi}) = {z}, want {z_true}");
        }
        // Midpoint quadrature over the 2^-24 grid on a 2^-18 subgrid: mean 0, variance 1,
        // fourth moment 3; odd symmetry z(1 - u) = -z(u) exactly; the low 8 bits are unused.
        let (mut m1, mut m2, mut m4) = (0.0f64, 0.0f64, 0.0f64);
        let n = 1u32 << 18;
        for j in 0..n {
            let k = (j << 6) | 31;
            let z = f64::from(normal_f32(k << 8));
            let mirror = f64::from(normal_f32((((1 << 24) - 1 - k) << 8) | 0xFF));
            assert_eq!(z, -mirror, "symmetry at {k}");
            m1 += z;
            m2 += z * z;
            m4 += z.powi(4);
        }
        let nf = f64::from(n);
        assert!((m1 / nf).abs() < 1e-6, "mean {}", m1 / nf);
        assert!((m2 / nf - 1.0).abs() < 2e-4, "variance {}", m2 / nf);
        assert!((m4 / nf - 3.0).abs() < 1e-2, "fourth moment {}", m4 / nf);
        // Monotone over the whole grid, and bounded.
        let mut last = f32::NEG_INFINITY;
        for k in (0..1u32 << 24).step_by(97).chain([(1 << 24) - 1]) {
            let z = normal_f32(k << 8);
            assert!(z >= last, "not monotone at {k}");
            last = z;
        }
        assert!(normal_f32(u32::MAX).abs() < 5.5 && normal_f32(0) > -5.5);
    }

    #[test]
    fn words_are_uniform_independent_and_keyed_by_every_input() {
        // Neighbouring ids (low and high halves) at one step, and one id across steps: each
        // word's top 23 bits in 32 bins (chi-square), and the correlations between the words
        // of one draw and between neighbours.
        let s = Streams::new(42);
        let n = 200_000u64;
        let key = s.step_key(Stream::FirmJump, 5, 0);
        let mut bins = [[0u32; 32]; 3];
        let (mut c01, mut c12, mut c02, mut lag) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut prev = 0.5f64;
        for i in 0..n {
            // Half the ids differ in the low half, half in the high half (birth ids).
            let e = if i % 2 == 0 { i } else { (i << 32) | 7 };
            let w = key.words::<3>(e);
            let u = w.map(|x| f64::from(unit_f32(x)) - 0.5);
            for (b, x) in bins.iter_mut().zip(w) {
                b[(x >> 27) as usize] += 1;
            }
            c01 += u[0] * u[1];
            c12 += u[1] * u[2];
            c02 += u[0] * u[2];
            lag += u[0] * prev;
            prev = u[0];
        }
        let expected = n as f64 / 32.0;
        for b in &bins {
            let chi2: f64 = b
                .iter()
                .map(|&o| (f64::from(o) - expected).powi(2) / expected)
                .sum();
            // 31 degrees of freedom: the 99.9% quantile is 61.1.
            assert!(chi2 < 61.1, "chi2 = {chi2}");
        }
        for c in [c01, c12, c02, lag] {
            let corr = c / n as f64 * 12.0;
            assert!(corr.abs() < 0.01, "correlation {corr}");
        }
        // One id across steps and across streams gives different words.
        let e = 123_456;
        let a = s.step_key(Stream::FirmJump, 5, 0).words::<1>(e);
        assert_ne!(a, s.step_key(Stream::FirmJump, 6, 0).words::<1>(e));
        assert_ne!(a, s.step_key(Stream::FirmShock, 5, 0).words::<1>(e));
        assert_ne!(
            a,
            s.step_key(Stream::FirmJump, 5, 0).words::<1>(e | 1 << 63)
        );
        assert_eq!(
            a,
            Streams::new(42)
                .step_key(Stream::FirmJump, 5, 0)
                .words::<1>(e)
        );
        // The first words do not depend on how many are asked for.
        assert_eq!(a[0], s.step_key(Stream::FirmJump, 5, 0).words::<3>(e)[0]);
    }

    #[test]
    fn normals_have_unit_moments() {
        let s = Streams::new(1);
        let n = 200_000;
        let (mut m1, mut m2, mut m4) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let z = s.normal(Stream::FirmShock, i, 5, 1);
            m1 += z;
            m2 += z * z;
            m4 += z * z * z * z;
        }
        let n = n as f64;
        assert!((m1 / n).abs() < 0.01);
        assert!((m2 / n - 1.0).abs() < 0.02);
        assert!((m4 / n - 3.0).abs() < 0.1, "kurtosis {}", m4 / n);
    }
}
