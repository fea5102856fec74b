//! Validation targets of the production network (ODD 7.11): each region's intermediate
//! inputs bought locally, from other regions and from abroad, against the regional
//! input-output table the scenario's `[network.input_shares]` cites.

use super::AddTarget;
use crate::model::geo::{N_REGIONS, REGION_IDS};
use crate::scenario::Scenario;
use crate::sim::RunResult;

/// Absolute band around each table share. Links are drawn from the table's shares, so the
/// model misses them only through anchors (which buy domestically by construction, grossed up
/// for imports), markets without suppliers of a sector, and the weighting by each buyer's
/// purchases; a 2005 table for a 2025 economy claims no more than this.
pub const SHARE_BAND: f64 = 0.08;

/// Adds one target per region and origin (first reported year, mean over seeds).
pub(super) fn network_targets(add: &mut AddTarget, scn: &Scenario, runs: &[RunResult]) {
    let Some(p) = scn.network.as_ref() else {
        return;
    };
    let source =
        "regional IO tables: 2005 MRIO (J. Econ. Structures 2021, Table 3); capital: BoK 2020";
    for r in 0..N_REGIONS {
        let mut shares = [0.0; 3];
        for run in runs {
            let row = &run.regions[r];
            let v = [
                row.purchases_local_krw,
                row.purchases_from_capital_krw + row.purchases_from_other_regions_krw,
                row.purchases_imported_krw,
            ];
            let total: f64 = v.iter().sum();
            for k in 0..3 {
                shares[k] += if total > 0.0 { v[k] / total } else { 0.0 } / runs.len() as f64;
            }
        }
        for (k, what) in ["bought locally", "from other regions", "imported"]
            .iter()
            .enumerate()
        {
            let table = p.input_shares[r][k];
            add(
                format!(
                    "{}: share of intermediate inputs {what}, {} (table {table:.3})",
                    REGION_IDS[r], scn.start_year
                ),
                source,
                shares[k],
                (table - SHARE_BAND).max(0.0),
                (table + SHARE_BAND).min(1.0),
            );
        }
    }
}
