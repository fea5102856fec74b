//! Ensembles: many independent runs (sweeps over parameter points and replicates, paired
//! baseline/policy comparisons) run in parallel, each finished run staged to disk at once, and
//! the tables assembled afterwards by streaming the staged files in run order.
//!
//! Why stage every run in its own file: a sweep killed at any moment (Ctrl-C, kill -9) loses
//! only the runs in flight; `--resume` recomputes exactly the missing (or damaged) files; and
//! since assembly reads the files in run-id order, the final tables do not depend on thread
//! count, completion order or interruptions: they are byte-identical to an uninterrupted
//! sweep's. Memory stays flat: a run's `World` is dropped as soon as its rows are staged.
//! The same files let independent processes share an ensemble: a shard (`shard.rs`) stages
//! only its runs into the shared folder, and assembly later reads them all, in the same order.
//!
//! **Invariant:** replicate `i`'s seed is [`replicate_seed`]`(master, i)`, a pure function of
//! the master seed and `i`: the same run gives the same rows whether the ensemble has 10 or
//! 1,000 replicates, at any thread count, in any order. Every parameter point (and both
//! scenarios of a comparison) uses the same seed for replicate `i` (common random numbers).
//!
//! **Invariant:** no clap, no terminal, no clock here. The caller chooses the rayon pool
//! (runs are the outer parallelism; each simulation uses the same pool inside) and gets a
//! callback per finished run for its progress bar. `store.rs` is the one file that touches
//! the file system (staged run files and the assembled tables, written through `output::`).

pub mod attribution;
pub mod calibrate;
pub mod compare;
pub mod design;
pub mod gsa;
pub mod network;
pub mod shard;
pub mod stats;
mod store;
pub mod sweep;
pub mod target;

use rayon::prelude::*;

pub use store::{EnsembleError, Staging};

/// The seed of replicate `i`: the `i`-th output (0-based) of a SplitMix64 generator seeded with
/// the master seed, i.e. the SplitMix64 finaliser of `master + (i + 1) * 0x9E3779B97F4A7C15`.
/// Distinct replicates get well-mixed, distinct seeds; no replicate's seed depends on another.
pub fn replicate_seed(master: u64, replicate: u64) -> u64 {
    let mut z = master.wrapping_add(
        replicate
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs `work` for every job in parallel (one rayon task per job, in the caller's pool) and
/// stops at the first error. `work` must hand its result to a sink (a staged file); nothing is
/// collected here, so memory does not grow with the number of jobs.
pub fn run_parallel<J: Sync, E: Send>(
    jobs: &[J],
    work: impl Fn(&J) -> Result<(), E> + Sync + Send,
) -> Result<(), E> {
    jobs.par_iter().with_max_len(1).try_for_each(work)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_splitmix64_outputs() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        assert_eq!(replicate_seed(0, 0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(replicate_seed(0, 1), 0x6E78_9E6A_A1B9_65F4);
        assert_ne!(replicate_seed(1, 0), replicate_seed(2, 0));
    }
}
