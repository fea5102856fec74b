//! What a command will ask of the machine, estimated from the resolved scenario before
//! anything runs: agents, peak memory and work (firm-steps). The CLI compares the memory
//! with what the machine has (or `--max-memory`) and refuses a run that cannot fit, naming a
//! scale that would.
//!
//! **Invariant:** pure arithmetic on the `Scenario`; no IO (the CLI reads `/proc/meminfo`).

use crate::scenario::Scenario;

/// Bytes per firm agent at the peak of a run: 44 bytes of columns (docs/ARCHITECTURE.md,
/// "State per firm") with room for `Vec` growth; a full-scale run measured 50 bytes per firm.
pub const BYTES_PER_FIRM: f64 = 64.0;
/// Bytes per firm agent that a production network (`[network]`) adds, besides its links:
/// the per-row market and strength, reverse-index starts, supplier index and the month's
/// scratch. Fitted with [`BYTES_PER_LINK`] to peak RSS at scale 0.3 with 1, 2 and 4 links a
/// firm (126, 154 and 215 MB more than without a network; 2.99 M firm agents by this
/// estimate): 32 bytes plus 10 a link; rounded up to cover the full scale, where the network
/// adds about 600 MB (60 bytes a firm agent at 2 links).
pub const NETWORK_BYTES_PER_FIRM: f64 = 40.0;
/// Bytes per link slot of a firm agent (`network.links_per_firm` of them): supplier row,
/// its market, the reverse index's position and log (fitted with [`NETWORK_BYTES_PER_FIRM`]).
pub const BYTES_PER_LINK: f64 = 12.0;
/// Bytes per firm agent of the per-firm order columns (`orders_in`, `orders_ref`,
/// `order_gain`) and the suppliers' order bins, kept only when `own_orders_weight` is above 0:
/// 12 bytes of columns and 8 a link of bins, rounded up.
pub const OWN_ORDERS_BYTES_PER_FIRM: f64 = 32.0;
/// Bytes per startup agent (its columns and its share of the deal lists).
pub const BYTES_PER_STARTUP: f64 = 128.0;
/// Bytes per investor agent.
pub const BYTES_PER_INVESTOR: f64 = 256.0;
/// What a run needs besides its agents (regions, tables, buffers, the thread's stack).
pub const BYTES_PER_RUN: f64 = 16e6;
/// The process itself (binary, fonts, allocator).
pub const BYTES_BASE: f64 = 32e6;
/// What an ensemble keeps per run in flight of the whole: its id in the pending list and
/// the bookkeeping of the progress.
pub const BYTES_PER_QUEUED_RUN: f64 = 16.0;
/// What `summary.csv` holds per replicate while it assembles one (point, year): 423
/// metrics x 8 bytes.
pub const BYTES_PER_REPLICATE: f64 = 423.0 * 8.0;

/// The estimate for one command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Firm agents at the peak of one run.
    pub firms: f64,
    /// Startup and investor agents at the peak of one run.
    pub other_agents: f64,
    /// Runs held in memory at once.
    pub concurrent_runs: f64,
    /// Peak memory of the command, bytes.
    pub bytes: f64,
    /// Firm-steps of the whole command (firms x months x runs): the work.
    pub firm_steps: f64,
    /// The memory that does not scale with `scale` (per-run fixed costs, queues, summary).
    fixed_bytes: f64,
}

/// Estimates a command that makes `runs` runs of `scn`, `concurrent` of them at once (the
/// thread count of an ensemble; 1 for `run`), with `replicates` replicates per point.
pub fn estimate(scn: &Scenario, runs: u64, concurrent: u64, replicates: u64) -> Estimate {
    let years = f64::from(scn.end_year - scn.start_year + 1).max(1.0);
    let initial = scn.firms.total_smes * scn.scale;
    // Rows are compacted every December, so the peak is a year's entrants on top of the
    // stock; entry replaces exits (about 11% of the stock a year at baseline, ODD 7.7), so
    // the stock stays near its start: a fifth of it bounds a year's entrants.
    let firms = initial * 1.2;
    let founders: f64 = scn
        .policy
        .local_entrepreneurs
        .as_ref()
        .map(|l| l.founders.iter().chain(&l.creators).sum())
        .unwrap_or(0.0);
    let startups = (scn.startups.initial_total + scn.startups.births_per_year * years + founders)
        * scn.startup_scale;
    let investors: f64 = scn
        .investors
        .iter()
        .flat_map(|k| k.count_by_region.iter())
        .map(|&c| f64::from(c))
        .sum();
    let concurrent = concurrent.clamp(1, runs.max(1)) as f64;
    // Startups (sampled at `startup_scale`) and investors (never sampled) do not change with
    // `scale`: they are part of the memory a smaller `scale` cannot reduce.
    // `network` is `None` when the scenario has none or switches it off.
    let network = scn.network.as_ref().map_or(0.0, |n| {
        let own = if n.own_orders_weight > 0.0 {
            OWN_ORDERS_BYTES_PER_FIRM
        } else {
            0.0
        };
        NETWORK_BYTES_PER_FIRM + BYTES_PER_LINK * f64::from(n.links_per_firm) + own
    });
    let per_run_agents = firms * (BYTES_PER_FIRM + network);
    let per_run_other = startups * BYTES_PER_STARTUP + investors * BYTES_PER_INVESTOR;
    let fixed_bytes = BYTES_BASE
        + concurrent * (BYTES_PER_RUN + per_run_other)
        + runs as f64 * BYTES_PER_QUEUED_RUN
        + replicates as f64 * BYTES_PER_REPLICATE;
    Estimate {
        firms,
        other_agents: startups + investors,
        concurrent_runs: concurrent,
        bytes: fixed_bytes + concurrent * per_run_agents,
        firm_steps: firms * (years + f64::from(scn.spinup_years)) * 12.0 * runs as f64,
        fixed_bytes,
    }
}

impl Estimate {
    /// The largest scale (two significant digits, rounded down) at which the command fits in
    /// `limit` bytes, if any: the agents' memory is proportional to the scale.
    pub fn scale_that_fits(&self, scale: f64, limit: f64) -> Option<f64> {
        let agents = self.bytes - self.fixed_bytes;
        let room = limit - self.fixed_bytes;
        if room <= 0.0 || agents <= 0.0 {
            return None;
        }
        let fit = scale * room / agents;
        let digits = 10f64.powf(fit.log10().floor() - 1.0);
        let fit = (fit / digits).floor() * digits;
        (fit > 0.0).then_some(fit)
    }
}

/// Bytes as a short text: `512 MB`, `3.2 GB`.
pub fn human_bytes(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", (bytes / 1e6).max(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(sets: &[&str]) -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Scenario::load(&path, &sets).unwrap()
    }

    #[test]
    fn memory_grows_with_scale_and_concurrent_runs() {
        let small = estimate(&baseline(&["scale=0.01"]), 1, 1, 1);
        let large = estimate(&baseline(&["scale=1.0"]), 1, 1, 1);
        // Firm agents: 8.3 M real SMEs x scale, plus growth and a year's entrants.
        assert!(large.firms > 8.2e6 && large.firms < 1e7, "{large:?}");
        assert!((large.firms / small.firms - 100.0).abs() < 1e-6);
        // A full-scale run measured 0.99-1.01 GB peak (0.46 GB without the network): the
        // estimate is above it, not wildly so.
        assert!(large.bytes > 1.06e9 && large.bytes < 1.6e9, "{large:?}");
        let off = estimate(&baseline(&["scale=1.0", "network.enabled=false"]), 1, 1, 1);
        assert!(off.bytes > 0.46e9 && off.bytes < 1e9, "{off:?}");
        // Each link a firm adds bytes.
        let more = estimate(
            &baseline(&["scale=1.0", "network.links_per_firm=4"]),
            1,
            1,
            1,
        );
        assert!(
            more.bytes > large.bytes + 2.0 * 10.0 * large.firms,
            "{more:?}"
        );
        let own = estimate(
            &baseline(&["scale=1.0", "network.own_orders_weight=0.5"]),
            1,
            1,
            1,
        );
        assert!(own.bytes > large.bytes + 12.0 * large.firms, "{own:?}");
        let two = estimate(&baseline(&["scale=1.0"]), 10, 2, 10);
        assert!(two.bytes > 1.9 * large.bytes, "{two:?}");
        assert_eq!(two.concurrent_runs, 2.0);
        assert!((two.firm_steps / large.firm_steps - 10.0).abs() < 1e-9);
    }

    #[test]
    fn the_scale_that_fits_does_fit() {
        let e = estimate(&baseline(&["scale=1.0"]), 1, 1, 1);
        let limit = 0.3e9;
        let fit = e.scale_that_fits(1.0, limit).unwrap();
        assert!(fit > 0.05 && fit < 1.0, "{fit}");
        let at_fit = estimate(&baseline(&[&format!("scale={fit}")]), 1, 1, 1);
        assert!(at_fit.bytes <= limit, "{at_fit:?}");
        assert!(
            e.scale_that_fits(1.0, 1e6).is_none(),
            "below the fixed costs"
        );
    }
}
