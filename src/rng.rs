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
fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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

/// Splits a draw into three independent f32 uniforms strictly inside (0, 1), 21 bits each
/// (resolution 4.8e-7; the firm passes take all their uniforms of a pass from one draw).
#[inline(always)]
pub fn three_units_f32(b: u64) -> (f32, f32, f32) {
    const S: f32 = 1.0 / 2_097_152.0; // 2^-21
    const M: u64 = (1 << 21) - 1;
    let u = |x: u64| ((x & M) as u32 as f32 + 0.5) * S;
    (u(b >> 43), u(b >> 22), u(b >> 1))
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
            let (p, q, r) = three_units_f32(b);
            for v in [p, q, r] {
                assert!(v > 0.0 && v < 1.0, "{b:x}: {v}");
            }
        }
        // The three parts use disjoint bits.
        assert_eq!(three_units_f32(1 << 43).1, three_units_f32(0).1);
        assert_ne!(three_units_f32(1 << 43).0, three_units_f32(0).0);
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
