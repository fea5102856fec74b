//! Checks of the `[policy]` section: raw levers -> [`crate::policy::Policy`].
//!
//! Years must lie in `start_year..=end_year`, regions, sectors and investor kinds must exist,
//! money and counts must be >= 0, shares in 0..1. Every problem is one line, like the rest of
//! the scenario checks.

use super::raw::{RawPolicy, RawScenario, RawSelection, YearMap};
use super::validate::{Checker, MAX_STARTUPS};
use crate::model::geo::{CAPITAL, N_REGIONS, N_SECTORS};
use crate::policy::levers::*;
use std::collections::BTreeMap;

struct Horizon {
    start: i64,
    end: i64,
}

impl Horizon {
    fn n(&self) -> usize {
        (self.end - self.start + 1).max(0) as usize
    }

    /// Year index of a key, or a problem.
    fn year(&self, c: &mut Checker, key: &str, text: &str) -> Option<usize> {
        match text.trim().parse::<i64>() {
            Ok(y) if (self.start..=self.end).contains(&y) => Some((y - self.start) as usize),
            Ok(y) => {
                c.push(
                    key,
                    format!(
                        "year {y} is outside the simulated horizon; allowed: {} to {}",
                        self.start, self.end
                    ),
                );
                None
            }
            Err(_) => {
                c.push(
                    key,
                    format!(
                        "`{text}` is not a year; allowed: {} to {}",
                        self.start, self.end
                    ),
                );
                None
            }
        }
    }

    /// A `{ year = value }` map -> one value per year (absent years get `absent`); values
    /// must be >= 0 (or shares when `share`).
    fn values(
        &self,
        c: &mut Checker,
        key: &str,
        map: &YearMap<f64>,
        absent: f64,
        share: bool,
    ) -> Vec<f64> {
        self.values_upto(c, key, map, absent, if share { 1.0 } else { f64::INFINITY })
    }

    /// Like [`Horizon::values`], values from 0 to `hi` (a share when `hi` is 1).
    fn values_upto(
        &self,
        c: &mut Checker,
        key: &str,
        map: &YearMap<f64>,
        absent: f64,
        hi: f64,
    ) -> Vec<f64> {
        let mut out = vec![absent; self.n()];
        for (y, &v) in map {
            let k = format!("{key}.{y}");
            if hi == 1.0 {
                c.share(&k, v);
            } else if hi.is_finite() {
                c.range(&k, v, 0.0, hi);
            } else {
                c.nonneg(&k, v);
            }
            if let Some(i) = self.year(c, &k, y) {
                out[i] = v;
            }
        }
        out
    }

    /// `{ year = [regions] }`, cumulative: a region listed in a year stays from then on.
    fn regions_from(
        &self,
        c: &mut Checker,
        key: &str,
        map: &YearMap<Vec<String>>,
    ) -> Vec<[bool; N_REGIONS]> {
        let mut first = [usize::MAX; N_REGIONS];
        for (y, list) in map {
            let k = format!("{key}.{y}");
            let idx = self.year(c, &k, y);
            let regions = region_list(c, &k, list, false);
            if let Some(i) = idx {
                for r in 0..N_REGIONS {
                    if regions[r] {
                        first[r] = first[r].min(i);
                    }
                }
            }
        }
        (0..self.n())
            .map(|i| std::array::from_fn(|r| first[r] <= i))
            .collect()
    }
}

fn region_list(c: &mut Checker, key: &str, list: &[String], empty_all: bool) -> [bool; N_REGIONS] {
    let mut out = [list.is_empty() && empty_all; N_REGIONS];
    for name in list {
        if let Some(r) = c.region(key, name) {
            out[r] = true;
        }
    }
    out
}

fn sector_list(c: &mut Checker, key: &str, list: &[String], empty_all: bool) -> [bool; N_SECTORS] {
    let mut out = [list.is_empty() && empty_all; N_SECTORS];
    for name in list {
        if let Some(s) = c.sector(key, name) {
            out[s] = true;
        }
    }
    out
}

fn kind_index(c: &mut Checker, raw: &RawScenario, key: &str, name: &str) -> u8 {
    match raw.investors.keys().position(|k| k == name) {
        Some(i) => i as u8,
        None => {
            let kinds: Vec<&str> = raw.investors.keys().map(String::as_str).collect();
            c.push(
                key,
                format!(
                    "unknown investor kind `{name}`; allowed: {}",
                    kinds.join(", ")
                ),
            );
            0
        }
    }
}

/// Default money per unit at which a lever's effect sizes hold (the 2026 work plan's unit
/// costs; ODD 6.11).
const DEFAULT_REFERENCE_KRW_PER_HUB_YEAR: f64 = 50e9;
const DEFAULT_REFERENCE_KRW_PER_PARK_YEAR: f64 = 5e9;
const DEFAULT_REFERENCE_KRW_PER_FIRM: f64 = 150e6;
const DEFAULT_REFERENCE_KRW_PER_CENTRE_YEAR: f64 = 30e9 / 17.0;
const DEFAULT_REFERENCE_KRW_PER_KEY_FIRM_YEAR: f64 = 0.43e6;

/// An optional money reference: the default when absent; must be > 0.
fn reference(c: &mut Checker, key: &str, value: Option<f64>, default: f64) -> f64 {
    let v = value.unwrap_or(default);
    c.range(key, v, 1.0, 1e15);
    v
}

fn selection(c: &mut Checker, h: &Horizon, key: &str, s: &RawSelection) -> Selection {
    let k = |n: &str| format!("{key}.{n}");
    c.nonneg(&k("cost_krw_per_firm"), s.cost_krw_per_firm);
    c.range(&k("productivity_gain"), s.productivity_gain, 0.0, 5.0);
    c.share(&k("tech_gain"), s.tech_gain);
    let min_employees = c.whole(&k("min_employees"), s.min_employees, 0.0, 1e6);
    if let Some(sd) = s.rank_noise_sd {
        c.range(&k("rank_noise_sd"), sd, 0.0, 10.0);
    }
    let sectors = sector_list(c, &k("sectors"), &s.sectors, false);
    if s.sectors.is_empty() {
        c.push(&k("sectors"), "needs at least one eligible sector".into());
    }
    Selection {
        reference_krw_per_firm: reference(
            c,
            &k("reference_krw_per_firm"),
            s.reference_krw_per_firm,
            DEFAULT_REFERENCE_KRW_PER_FIRM,
        ),
        count: h.values(c, &k("count_by_year"), &s.count_by_year, 0.0, false),
        cost_krw_per_firm: s.cost_krw_per_firm,
        productivity_gain: s.productivity_gain,
        tech_gain: s.tech_gain,
        sectors,
        regions: region_list(c, &k("regions"), &s.regions, true),
        min_employees,
        rank_noise_sd: s.rank_noise_sd,
        budget_krw: h.values(
            c,
            &k("budget_krw_by_year"),
            &s.budget_krw_by_year,
            f64::INFINITY,
            false,
        ),
        supplier_spillover: link_share(c, &k("supplier_spillover"), s.supplier_spillover),
        local_sourcing_shift: link_share(c, &k("local_sourcing_shift"), s.local_sourcing_shift),
    }
}

/// A link lever's share (ODD 7.10.12): 0 when absent, else within 0..=1.
fn link_share(c: &mut Checker, key: &str, value: Option<f64>) -> f64 {
    let v = value.unwrap_or(0.0);
    c.share(key, v);
    v
}

/// The horizon checks of `validate` (start 2000..=2100, at most 51 years): schedules are
/// indexed by year, so a horizon outside them is not used to size or index anything.
pub(super) fn horizon_is_valid(start: i64, end: i64) -> bool {
    (2000..=2100).contains(&start) && (start..=start + 50).contains(&end)
}

/// Checks the levers. With an invalid horizon (already a problem of `start_year` or
/// `end_year`) no year can be placed, so only that problem is reported.
pub(super) fn check_policy(c: &mut Checker, raw: &RawScenario, p: &RawPolicy) -> Policy {
    if !horizon_is_valid(raw.start_year, raw.end_year) {
        return Policy::default();
    }
    let h = Horizon {
        start: raw.start_year,
        end: raw.end_year,
    };
    let mut out = Policy::default();
    if let Some(cap) = p.budget_cap_krw_per_year {
        c.nonneg("policy.budget_cap_krw_per_year", cap);
        out.budget_cap_krw_per_year = Some(cap);
    }
    if let Some(e) = p.dose_elasticity {
        c.range("policy.dose_elasticity", e, 0.0, 1.0);
        out.dose_elasticity = e;
    }
    if let Some(x) = &p.hub_cities {
        let k = |n: &str| format!("policy.hub_cities.{n}");
        c.nonneg(&k("cost_krw_per_hub_year"), x.cost_krw_per_hub_year);
        c.range(&k("startup_birth_boost"), x.startup_birth_boost, 0.0, 5.0);
        c.range(
            &k("startup_quality_boost"),
            x.startup_quality_boost,
            0.0,
            3.0,
        );
        c.share(
            &k("investor_distance_discount"),
            x.investor_distance_discount,
        );
        c.range(&k("amenity_15_39_boost"), x.amenity_15_39_boost, 0.0, 5.0);
        out.hub_cities = Some(HubCities {
            hubs: h.regions_from(c, &k("regions_by_year"), &x.regions_by_year),
            cost_krw_per_hub_year: x.cost_krw_per_hub_year,
            startup_birth_boost: x.startup_birth_boost,
            startup_quality_boost: x.startup_quality_boost,
            investor_distance_discount: x.investor_distance_discount,
            amenity_15_39_boost: x.amenity_15_39_boost,
            reference_krw_per_hub_year: reference(
                c,
                &k("reference_krw_per_hub_year"),
                x.reference_krw_per_hub_year,
                DEFAULT_REFERENCE_KRW_PER_HUB_YEAR,
            ),
        });
    }
    if let Some(x) = &p.startup_parks {
        let k = |n: &str| format!("policy.startup_parks.{n}");
        c.nonneg(&k("cost_krw_per_region_year"), x.cost_krw_per_region_year);
        c.nonneg(&k("angel_krw_per_region_year"), x.angel_krw_per_region_year);
        c.range(&k("startup_birth_boost"), x.startup_birth_boost, 0.0, 5.0);
        out.startup_parks = Some(StartupParks {
            parks: h.regions_from(c, &k("regions_by_year"), &x.regions_by_year),
            cost_krw_per_region_year: x.cost_krw_per_region_year,
            angel_krw_per_region_year: x.angel_krw_per_region_year,
            startup_birth_boost: x.startup_birth_boost,
            angel_kind: kind_index(c, raw, &k("angel_kind"), &x.angel_kind),
            reference_krw_per_region_year: reference(
                c,
                &k("reference_krw_per_region_year"),
                x.reference_krw_per_region_year,
                DEFAULT_REFERENCE_KRW_PER_PARK_YEAR,
            ),
        });
    }
    if let Some(x) = &p.growth_fund {
        let k = |n: &str| format!("policy.growth_fund.{n}");
        c.share(&k("local_share"), x.local_share);
        c.range(&k("private_match_ratio"), x.private_match_ratio, 0.0, 10.0);
        let funds = c.whole(&k("funds_per_region"), x.funds_per_region, 1.0, 100.0);
        let mut regions = region_list(c, &k("regions"), &x.regions, false);
        if x.regions.is_empty() {
            regions = std::array::from_fn(|r| r != CAPITAL);
        }
        out.growth_fund = Some(GrowthFund {
            budget_krw: h.values(
                c,
                &k("budget_krw_by_year"),
                &x.budget_krw_by_year,
                0.0,
                false,
            ),
            regions,
            funds_per_region: funds,
            local_share: x.local_share,
            private_match_ratio: x.private_match_ratio,
            investor_kind: kind_index(c, raw, &k("investor_kind"), &x.investor_kind),
        });
    }
    if let Some(x) = &p.tips {
        let k = |n: &str| format!("policy.tips.{n}");
        c.share(&k("regional_ticket_relief"), x.regional_ticket_relief);
        out.tips = Some(Tips {
            selections: h.values(
                c,
                &k("selections_by_year"),
                &x.selections_by_year,
                0.0,
                false,
            ),
            match_krw: h.values(c, &k("match_krw_by_year"), &x.match_krw_by_year, 0.0, false),
            regional_share: h.values(
                c,
                &k("regional_share_by_year"),
                &x.regional_share_by_year,
                0.0,
                true,
            ),
            regional_ticket_relief: x.regional_ticket_relief,
            operator_kind: kind_index(c, raw, &k("operator_kind"), &x.operator_kind),
            budget_krw: h.values(
                c,
                &k("budget_krw_by_year"),
                &x.budget_krw_by_year,
                f64::INFINITY,
                false,
            ),
        });
    }
    if let Some(x) = &p.smart_factories {
        let types = [&x.advanced_ai, &x.sector_specialised, &x.collaborative];
        for (t, s) in types.iter().enumerate() {
            if let Some(s) = s {
                let key = format!(
                    "policy.smart_factories.{}",
                    crate::policy::SMART_FACTORY_TYPES[t]
                );
                out.smart_factories[t] = Some(selection(c, &h, &key, s));
            }
        }
    }
    if let Some(x) = &p.jump_up {
        out.jump_up = Some(selection(c, &h, "policy.jump_up", x));
    }
    if let Some(x) = &p.ai_supply_chains {
        out.ai_supply_chains = Some(selection(c, &h, "policy.ai_supply_chains", x));
    }
    if let Some(x) = &p.local_entrepreneurs {
        let k = |n: &str| format!("policy.local_entrepreneurs.{n}");
        c.share(&k("regional_share"), x.regional_share);
        c.nonneg(&k("grant_krw_per_founder"), x.grant_krw_per_founder);
        c.nonneg(&k("grant_krw_per_creator"), x.grant_krw_per_creator);
        c.range(
            &k("creator_progress_boost"),
            x.creator_progress_boost,
            0.0,
            1.0,
        );
        out.local_entrepreneurs = Some(LocalEntrepreneurs {
            founders: h.values_upto(
                c,
                &k("founders_by_year"),
                &x.founders_by_year,
                0.0,
                MAX_STARTUPS,
            ),
            creators: h.values_upto(
                c,
                &k("creators_by_year"),
                &x.creators_by_year,
                0.0,
                MAX_STARTUPS,
            ),
            regional_share: x.regional_share,
            grant_krw_per_founder: x.grant_krw_per_founder,
            grant_krw_per_creator: x.grant_krw_per_creator,
            creator_progress_boost: x.creator_progress_boost,
            budget_krw: h.values(
                c,
                &k("budget_krw_by_year"),
                &x.budget_krw_by_year,
                f64::INFINITY,
                false,
            ),
        });
    }
    if let Some(x) = &p.one_stop {
        let k = |n: &str| format!("policy.one_stop.{n}");
        c.nonneg(&k("advisors"), x.advisors);
        c.nonneg(&k("startups_per_advisor"), x.startups_per_advisor);
        c.range(
            &k("progress_boost_per_year"),
            x.progress_boost_per_year,
            0.0,
            1.0,
        );
        out.one_stop = Some(OneStop {
            cost_krw: h.values(c, &k("cost_krw_by_year"), &x.cost_krw_by_year, 0.0, false),
            centres: c.per_region(&k("centres_by_region"), &x.centres_by_region),
            advisors: x.advisors,
            startups_per_advisor: x.startups_per_advisor,
            progress_boost_per_year: x.progress_boost_per_year,
            reference_krw_per_centre_year: reference(
                c,
                &k("reference_krw_per_centre_year"),
                x.reference_krw_per_centre_year,
                DEFAULT_REFERENCE_KRW_PER_CENTRE_YEAR,
            ),
        });
    }
    if let Some(x) = &p.key_industries {
        let k = |n: &str| format!("policy.key_industries.{n}");
        let from = h
            .year(c, &k("from_year"), &x.from_year.to_string())
            .unwrap_or(0);
        c.range(&k("main_gain_per_year"), x.main_gain_per_year, 0.0, 0.5);
        c.range(&k("future_gain_per_year"), x.future_gain_per_year, 0.0, 0.5);
        c.range(
            &k("performance_gain_per_year"),
            x.performance_gain_per_year,
            0.0,
            0.5,
        );
        c.range(
            &k("performance_sensitivity"),
            x.performance_sensitivity,
            0.0,
            100.0,
        );
        let mut designation = [[0u8; N_SECTORS]; N_REGIONS];
        for (code, map) in [(1u8, &x.main_industries), (2u8, &x.future_industries)] {
            let table = if code == 1 {
                "main_industries"
            } else {
                "future_industries"
            };
            designate(c, &k(table), map, code, &mut designation);
        }
        out.key_industries = Some(KeyIndustries {
            from_year_index: from,
            designation,
            main_gain_per_year: x.main_gain_per_year,
            future_gain_per_year: x.future_gain_per_year,
            incentive_krw: h.values(
                c,
                &k("incentive_krw_by_year"),
                &x.incentive_krw_by_year,
                0.0,
                false,
            ),
            performance_gain_per_year: x.performance_gain_per_year,
            performance_sensitivity: x.performance_sensitivity,
            reference_krw_per_firm_year: reference(
                c,
                &k("reference_krw_per_firm_year"),
                x.reference_krw_per_firm_year,
                DEFAULT_REFERENCE_KRW_PER_KEY_FIRM_YEAR,
            ),
        });
    }
    for (i, s) in p.shocks.iter().enumerate() {
        let k = |n: &str| format!("policy.shocks[{i}].{n}");
        let kind = match s.kind.as_str() {
            "demand" => ShockKind::Demand,
            "supply" => ShockKind::Supply,
            other => {
                c.push(
                    &k("kind"),
                    format!("unknown shock kind `{other}`; allowed: demand, supply"),
                );
                ShockKind::Demand
            }
        };
        let y = h
            .year(c, &k("start_year"), &s.start_year.to_string())
            .unwrap_or(0);
        let month = c.whole(&k("start_month"), s.start_month as f64, 1.0, 12.0);
        let months = c.whole(&k("months"), s.months as f64, 1.0, 1200.0);
        c.share(&k("size"), s.size);
        let target = match s.target.as_deref() {
            None | Some("firms") => ShockTarget::Firms,
            Some("anchors") => ShockTarget::Anchors,
            Some("links") => ShockTarget::Links,
            Some(other) => {
                c.push(
                    &k("target"),
                    format!("unknown shock target `{other}`; allowed: firms, anchors, links"),
                );
                ShockTarget::Firms
            }
        };
        if target != ShockTarget::Firms && !raw.network.as_ref().is_some_and(|n| n.is_enabled()) {
            c.push(
                &k("target"),
                "needs a [network] section (not `enabled = false`); allowed without one: firms"
                    .to_string(),
            );
        }
        out.shocks.push(Shock {
            kind,
            target,
            sectors: sector_list(c, &k("sectors"), &s.sectors, true),
            regions: region_list(c, &k("regions"), &s.regions, true),
            start_step: (y * 12) as u32 + month.saturating_sub(1),
            months,
            size: s.size,
        });
    }
    out
}

fn designate(
    c: &mut Checker,
    key: &str,
    map: &BTreeMap<String, Vec<String>>,
    code: u8,
    out: &mut [[u8; N_SECTORS]; N_REGIONS],
) {
    for (region, sectors) in map {
        let k = format!("{key}.{region}");
        let Some(r) = c.region(&k, region) else {
            continue;
        };
        let s = sector_list(c, &k, sectors, false);
        for (j, &on) in s.iter().enumerate() {
            if on {
                out[r][j] = code;
            }
        }
    }
}
