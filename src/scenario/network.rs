//! The `[network]` section: how firms buy from firms (ODD 7.11). Its own file so the
//! production network's keys, defaults and checks sit together and merges elsewhere stay small.
//!
//! Absent `[network]`, or `enabled = false`: no links, every firm's order factor stays 1 (the
//! model of before).

use super::validate::Checker;
use crate::model::geo::{N_REGIONS, N_SECTORS, REGION_IDS, SECTOR_IDS, region_index, sector_index};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[network]` as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// `false`: the run is exactly as without `[network]` (the rest of the section is still
    /// checked). Default `true`. Kept as a TOML value so a bad one gets our one-line error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<toml::Value>,
    /// Supplier links each firm draws (1..8).
    pub links_per_firm: i64,
    /// Per buyer region: shares of intermediate inputs bought locally, from other regions and
    /// from abroad (each row sums to 1).
    pub input_shares: BTreeMap<String, [f64; 3]>,
    /// Per buyer sector: shares of its domestic purchases by supplier sector (sum to 1).
    pub purchase_mix: BTreeMap<String, [f64; N_SECTORS]>,
    /// Exponent of distance in the weight of another region as an origin.
    pub distance_decay: f64,
    /// Share of live links that switch supplier per year.
    pub rewire_per_year: f64,
    /// Mean months a buyer needs to replace a supplier that exited.
    pub search_months: f64,
    /// Cap on the order part `b` of a firm's sales, as a multiple of its calibrated sales
    /// (a firm whose customers buy more than its calibrated sales passes their changes
    /// through one for one up to this cap).
    pub max_order_share: f64,
    /// Months over which a supplier's reference orders follow a lasting change in its orders.
    pub adjust_months: f64,
    /// Weight of a firm's own orders against its reference in its order factor (0: orders
    /// move only its market's sales, shared by capacity; 1: its own fully).
    pub own_orders_weight: f64,
    /// Large buyers that are not agents (car, ship, chip makers).
    #[serde(default)]
    pub anchors: Vec<RawAnchor>,
}

impl RawNetwork {
    /// Whether the network acts: anything but `enabled = false` (a bad value is reported by
    /// [`check_network`]).
    pub fn is_enabled(&self) -> bool {
        !matches!(self.enabled, Some(toml::Value::Boolean(false)))
    }
}

/// `[[network.anchors]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnchor {
    pub region: String,
    pub sector: String,
    /// Purchases from domestic SMEs, real KRW per year at start prices.
    pub purchases_krw_year: f64,
    /// Real supplier firms it buys from (agents: this times `scale`, at least 8).
    pub suppliers: f64,
}

/// One anchor customer, validated.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub region: usize,
    pub sector: usize,
    pub purchases_krw_year: f64,
    pub suppliers: f64,
}

/// The production network's parameters (ODD 7.11).
#[derive(Debug, Clone)]
pub struct NetworkParams {
    pub links_per_firm: u32,
    /// [local, other regions, imported] by buyer region.
    pub input_shares: [[f64; 3]; N_REGIONS],
    /// Supplier-sector shares by buyer sector.
    pub purchase_mix: [[f64; N_SECTORS]; N_SECTORS],
    pub distance_decay: f64,
    pub rewire_per_year: f64,
    pub search_months: f64,
    pub max_order_share: f64,
    pub adjust_months: f64,
    pub own_orders_weight: f64,
    pub anchors: Vec<Anchor>,
}

fn shares_sum_to_one(c: &mut Checker, key: &str, v: &[f64]) {
    for (i, &x) in v.iter().enumerate() {
        c.share(&format!("{key}[{i}]"), x);
    }
    let sum: f64 = v.iter().sum();
    if (sum - 1.0).abs() > 1e-3 {
        c.push(
            key,
            format!("shares sum to {sum}; allowed: shares that sum to 1"),
        );
    }
}

/// Checks `[network]`; `None` when any problem was found (pushed to `c`) or when it is
/// switched off (`enabled = false`: every key is still checked).
pub(super) fn check_network(c: &mut Checker, n: &RawNetwork) -> Option<NetworkParams> {
    let before = c.problems.len();
    if let Some(v) = &n.enabled
        && !v.is_bool()
    {
        c.push("network.enabled", format!("{v}: allowed: true or false"));
    }
    let links = c.whole("network.links_per_firm", n.links_per_firm as f64, 1.0, 8.0);
    let input_shares = share_rows::<3, N_REGIONS>(
        c,
        "network.input_shares",
        &n.input_shares,
        Names::REGIONS,
        "one [local, other, imported] row per region",
    );
    let purchase_mix = share_rows::<N_SECTORS, N_SECTORS>(
        c,
        "network.purchase_mix",
        &n.purchase_mix,
        Names::SECTORS,
        "one row of supplier-sector shares per sector",
    );
    c.range("network.distance_decay", n.distance_decay, 0.0, 5.0);
    c.share("network.rewire_per_year", n.rewire_per_year);
    c.range("network.search_months", n.search_months, 1.0, 120.0);
    c.range("network.max_order_share", n.max_order_share, 0.0, 100.0);
    c.range("network.adjust_months", n.adjust_months, 1.0, 1200.0);
    c.share("network.own_orders_weight", n.own_orders_weight);
    let anchors = (n.anchors.iter().enumerate())
        .filter_map(|(i, a)| check_anchor(c, i, a))
        .collect();
    (c.problems.len() == before && n.is_enabled()).then_some(NetworkParams {
        links_per_firm: links,
        input_shares,
        purchase_mix,
        distance_decay: n.distance_decay,
        rewire_per_year: n.rewire_per_year,
        search_months: n.search_months,
        max_order_share: n.max_order_share,
        adjust_months: n.adjust_months,
        own_orders_weight: n.own_orders_weight,
        anchors,
    })
}

/// The names a table's rows may have: `kind` (in messages), the allowed `ids`, and `index`
/// from a name to its row.
struct Names {
    index: fn(&str) -> Option<usize>,
    kind: &'static str,
    ids: &'static [&'static str],
}

impl Names {
    const REGIONS: Names = Names {
        index: region_index,
        kind: "region",
        ids: &REGION_IDS,
    };
    const SECTORS: Names = Names {
        index: sector_index,
        kind: "sector",
        ids: &SECTOR_IDS,
    };
}

/// A table of share rows keyed by name (`key.<name> = [..]`, each summing to 1): every name
/// known (`names`) and every one present, else a problem saying what is allowed (`rows`).
fn share_rows<const M: usize, const N: usize>(
    c: &mut Checker,
    key: &str,
    table: &BTreeMap<String, [f64; M]>,
    names: Names,
    rows: &str,
) -> [[f64; M]; N] {
    let Names { index, kind, ids } = names;
    let mut out = [[0.0; M]; N];
    let mut seen = [false; N];
    for (name, v) in table {
        let key = format!("{key}.{name}");
        match index(name) {
            Some(r) => {
                shares_sum_to_one(c, &key, v);
                out[r] = *v;
                seen[r] = true;
            }
            None => c.push(
                &key,
                format!("unknown {kind} `{name}`; allowed: {}", ids.join(", ")),
            ),
        }
    }
    if let Some(r) = seen.iter().position(|s| !s) {
        c.push(
            key,
            format!("{kind} `{}` is missing; allowed: {rows}", ids[r]),
        );
    }
    out
}

/// Anchor `i` (`network.anchors[i]`): a known region and sector, purchases of 0 or more and
/// 1 to 10^6 suppliers; `None` if its region or sector is unknown.
fn check_anchor(c: &mut Checker, i: usize, a: &RawAnchor) -> Option<Anchor> {
    let k = |f: &str| format!("network.anchors[{i}].{f}");
    let region = c.region(&k("region"), &a.region);
    let sector = c.sector(&k("sector"), &a.sector);
    c.nonneg(&k("purchases_krw_year"), a.purchases_krw_year);
    c.range(&k("suppliers"), a.suppliers, 1.0, 1e6);
    Some(Anchor {
        region: region?,
        sector: sector?,
        purchases_krw_year: a.purchases_krw_year,
        suppliers: a.suppliers,
    })
}
