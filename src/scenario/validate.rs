//! Range and name checks: [`Loaded`] (raw, as written) -> [`Scenario`] (typed, in range).
//!
//! Every problem is collected before returning, so a user fixes a file in one pass.

use super::error::{Problem, ScenarioError};
use super::load::Loaded;
use super::raw::{RawInvestorKind, RawRegion};
use super::{InvestorKind, MoneySource, RegionParams, Scenario};
use crate::model::geo::{N_REGIONS, N_SECTORS, REGION_IDS, SECTOR_IDS, region_index, sector_index};
use std::collections::BTreeMap;

/// The largest number any amount, count or rate may take ("a number >= 0" means up to this):
/// 1e15 is 1,000 trn KRW, above Korea's whole government budget; larger values only overflow.
pub const MAX_NUMBER: f64 = 1e15;
/// The smallest positive number accepted (0 is allowed where the key allows it): below it,
/// divisions by the value overflow to infinity.
pub const MIN_POSITIVE: f64 = 1e-9;
/// Upper bounds of the parameters that create agents (documented in README, "Reliability").
pub const MAX_REAL_FIRMS: f64 = 1e8;
pub const MAX_WORKERS: f64 = 1e9;
pub const MAX_POPULATION: f64 = 1e9;
/// A region needs some people for labour-force and migration shares to be defined.
pub const MIN_POPULATION: f64 = 1e3;
pub const MAX_STARTUPS: f64 = 1e7;
/// The smallest `scale` (agents per real firm); below it a run has almost no agents.
pub const MIN_SCALE: f64 = 1e-6;

/// A number as a user reads it: exponent form when very large or very small (`1e300`, not
/// three hundred digits).
pub(super) fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

pub(super) struct Checker<'a> {
    loaded: &'a Loaded,
    pub(super) problems: Vec<Problem>,
}

impl Checker<'_> {
    pub(super) fn push(&mut self, key: &str, message: String) {
        let (file, line) = self.loaded.locate(key);
        self.problems.push(Problem::new(&file, key, line, message));
    }

    /// The index of region `name`, or a problem at `key` naming the allowed ids.
    pub(super) fn region(&mut self, key: &str, name: &str) -> Option<usize> {
        let r = region_index(name);
        if r.is_none() {
            let allowed = REGION_IDS.join(", ");
            self.push(key, format!("unknown region `{name}`; allowed: {allowed}"));
        }
        r
    }

    /// The index of sector `name`, or a problem at `key` naming the allowed ids.
    pub(super) fn sector(&mut self, key: &str, name: &str) -> Option<usize> {
        let s = sector_index(name);
        if s.is_none() {
            let allowed = SECTOR_IDS.join(", ");
            self.push(key, format!("unknown sector `{name}`; allowed: {allowed}"));
        }
        s
    }

    pub(super) fn range(&mut self, key: &str, v: f64, lo: f64, hi: f64) {
        if !(v.is_finite() && v >= lo && v <= hi) {
            let allowed = match (lo, hi) {
                (0.0, 1.0) => "a share between 0 and 1".to_string(),
                (lo, hi) => format!("a number from {} to {}", show(lo), show(hi)),
            };
            self.push(
                key,
                format!("{} is out of range; allowed: {allowed}", show(v)),
            );
        }
    }

    pub(super) fn share(&mut self, key: &str, v: f64) {
        self.range(key, v, 0.0, 1.0);
    }

    /// 0, or from [`MIN_POSITIVE`] to [`MAX_NUMBER`].
    pub(super) fn nonneg(&mut self, key: &str, v: f64) {
        if v != 0.0 {
            self.amount(key, v, MAX_NUMBER, true);
        }
    }

    /// From [`MIN_POSITIVE`] to [`MAX_NUMBER`].
    pub(super) fn positive(&mut self, key: &str, v: f64) {
        self.positive_upto(key, v, MAX_NUMBER);
    }

    /// From [`MIN_POSITIVE`] to `hi`.
    pub(super) fn positive_upto(&mut self, key: &str, v: f64, hi: f64) {
        self.amount(key, v, hi, false);
    }

    /// From [`MIN_POSITIVE`] to `hi` (the message says whether 0 is allowed too).
    fn amount(&mut self, key: &str, v: f64, hi: f64, zero_ok: bool) {
        if !(v.is_finite() && (MIN_POSITIVE..=hi).contains(&v)) {
            let op = if zero_ok { ">=" } else { ">" };
            let allowed = if v < 0.0 || v.is_nan() {
                format!("a number {op} 0 (at most {hi:e})")
            } else if v < MIN_POSITIVE {
                format!("a number of at least {MIN_POSITIVE:e} (smaller values overflow)")
            } else {
                format!("a number of at most {hi:e}")
            };
            self.push(
                key,
                format!("{} is out of range; allowed: {allowed}", show(v)),
            );
        }
    }

    /// A whole number from `lo` to `hi` (a problem when `lo > hi`: then no value fits, and
    /// the key that set `lo` has its own problem). Returns a value in range either way.
    pub(super) fn whole(&mut self, key: &str, v: f64, lo: f64, hi: f64) -> u32 {
        let lo = lo.max(0.0);
        if lo.partial_cmp(&hi).is_none_or(|o| o.is_gt()) {
            self.push(
                key,
                format!(
                    "{} cannot be checked: its lower bound {lo} exceeds its upper bound {hi}",
                    show(v)
                ),
            );
            return lo.min(f64::from(u32::MAX)) as u32;
        }
        if !v.is_finite() || v.fract() != 0.0 {
            let v = show(v);
            self.push(key, format!("{v} must be a whole number from {lo} to {hi}"));
            return lo as u32;
        }
        self.range(key, v, lo, hi);
        v.clamp(lo, hi) as u32
    }

    /// A map keyed by region id -> array; unknown ids are problems, missing ones are zero.
    pub(super) fn per_region(
        &mut self,
        key: &str,
        map: &BTreeMap<String, f64>,
    ) -> [f64; N_REGIONS] {
        let mut out = [0.0; N_REGIONS];
        for (name, &v) in map {
            let k = format!("{key}.{name}");
            if let Some(r) = self.region(&k, name) {
                self.nonneg(&k, v);
                out[r] = v;
            }
        }
        out
    }
}

pub fn validate(loaded: &Loaded) -> Result<Scenario, ScenarioError> {
    let raw = &loaded.raw;
    let mut c = Checker {
        loaded,
        problems: loaded.problems.clone(),
    };
    if raw.name.trim().is_empty()
        || !raw
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
    {
        c.push(
            "name",
            format!(
                "`{}` is not allowed; use letters, digits, '-', '_' or '.' (it names output folders)",
                raw.name
            ),
        );
    }
    c.range("start_year", raw.start_year as f64, 2000.0, 2100.0);
    // The end year's range depends on the start year: checked only against a valid one.
    if (2000..=2100).contains(&raw.start_year) {
        c.range(
            "end_year",
            raw.end_year as f64,
            raw.start_year as f64,
            raw.start_year as f64 + 50.0,
        );
    }
    c.range("spinup_years", raw.spinup_years as f64, 1.0, 50.0);
    if !(raw.scale.is_finite() && (MIN_SCALE..=1.0).contains(&raw.scale)) {
        c.push(
            "scale",
            format!(
                "{} is out of range; allowed: agents per real firm, from {MIN_SCALE:e} to 1",
                show(raw.scale)
            ),
        );
    }
    // Checked against `scale` only when `scale` itself is valid (one problem per key).
    let scale_ok = raw.scale.is_finite() && (MIN_SCALE..=1.0).contains(&raw.scale);
    let lowest = if scale_ok { raw.scale } else { MIN_SCALE };
    if !(raw.startup_scale.is_finite() && (lowest..=1.0).contains(&raw.startup_scale)) {
        c.push(
            "startup_scale",
            format!(
                "{} is out of range; allowed: startup agents per real startup, from scale ({}) to 1",
                show(raw.startup_scale),
                show(raw.scale)
            ),
        );
    }
    c.range("inflation_per_year", raw.inflation_per_year, -0.2, 0.5);
    check_firms(&mut c, raw);
    check_startups(&mut c, raw);
    check_venture(&mut c, raw);
    check_labour_demography_migration(&mut c, raw);
    let sectors = check_sectors(&mut c, raw);
    let regions = check_regions(&mut c, &raw.regions);
    if let Some(regions) = &regions {
        check_agents_per_region(&mut c, raw, regions);
    }
    let investors: Vec<InvestorKind> = raw
        .investors
        .iter()
        .map(|(name, k)| check_investor(&mut c, name, k))
        .collect();
    if investors.is_empty() {
        c.push("investors", "at least one investor kind is required".into());
    }
    if let Some(lang) = raw.output.as_ref().and_then(|o| o.lang.as_deref())
        && crate::labels::Lang::parse(lang).is_none()
    {
        c.push(
            "output.lang",
            format!("{lang:?}: allowed: {}", crate::labels::LANG_ALLOWED),
        );
    }
    let policy = match &raw.policy {
        Some(p) => super::check_policy::check_policy(&mut c, raw, p),
        None => crate::policy::Policy::default(),
    };
    let network = raw
        .network
        .as_ref()
        .and_then(|n| super::network::check_network(&mut c, n));

    if !c.problems.is_empty() {
        return Err(ScenarioError::Invalid {
            problems: c.problems,
        });
    }
    Ok(Scenario {
        name: raw.name.clone(),
        description: raw.description.clone(),
        file: loaded.file.clone(),
        start_year: raw.start_year as i32,
        end_year: raw.end_year as i32,
        spinup_years: raw.spinup_years.clamp(1, 50) as u32,
        scale: raw.scale,
        startup_scale: raw.startup_scale,
        seed: raw.seed,
        inflation_per_year: raw.inflation_per_year,
        firms: raw.firms.clone(),
        startups: raw.startups.clone(),
        investors,
        labour: raw.labour.clone(),
        demography: raw.demography.clone(),
        migration: raw.migration.clone(),
        sectors: sectors.expect("checked"),
        regions: regions.expect("checked"),
        policy,
        network,
        venture: raw.venture.clone(),
        raw: raw.clone(),
    })
}

/// Every region must start with at least one firm agent: its sales level is calibrated on
/// the agents it starts with, so a region without any would give its later entrants no
/// defined sales. Reported at `scale` with the scale that gives every region one.
fn check_agents_per_region(c: &mut Checker, raw: &super::RawScenario, regions: &[RegionParams]) {
    let total = raw.firms.total_smes;
    let sum: f64 = regions.iter().map(|r| r.smes_2021).sum();
    let in_range = |v: f64, hi: f64| v.is_finite() && (MIN_POSITIVE..=hi).contains(&v);
    let ok = (MIN_SCALE..=1.0).contains(&raw.scale)
        && in_range(total, MAX_REAL_FIRMS)
        && regions
            .iter()
            .all(|r| in_range(r.smes_2021, MAX_REAL_FIRMS));
    if !ok {
        return; // already a problem of its own
    }
    let real = |r: &RegionParams| total * r.smes_2021 / sum;
    let empty: Vec<&str> = regions
        .iter()
        .zip(REGION_IDS)
        .filter(|(r, _)| (real(r) * raw.scale).round() < 1.0)
        .map(|(_, id)| id)
        .collect();
    if !empty.is_empty() {
        let smallest = regions.iter().map(real).fold(f64::INFINITY, f64::min);
        c.push(
            "scale",
            format!(
                "{} gives no firm agent in {} ({} real firms in the smallest region); allowed: a scale of at least {}, or more firms",
                show(raw.scale),
                empty.join(", "),
                show(smallest.round()),
                show(0.5 / smallest)
            ),
        );
    }
}

fn check_firms(c: &mut Checker, raw: &super::RawScenario) {
    let f = &raw.firms;
    let k = |s: &str| format!("firms.{s}");
    c.positive_upto(&k("total_smes"), f.total_smes, MAX_REAL_FIRMS);
    c.positive_upto(&k("total_sme_workers"), f.total_sme_workers, MAX_WORKERS);
    c.share(&k("one_person_share"), f.one_person_share);
    c.range(&k("size_tail_alpha"), f.size_tail_alpha, 0.3, 5.0);
    c.range(
        &k("size_tail_min_employees"),
        f.size_tail_min_employees,
        2.0,
        1000.0,
    );
    c.range(
        &k("max_initial_employees"),
        f.max_initial_employees,
        f.size_tail_min_employees,
        1e6,
    );
    c.range(
        &k("initial_age_mean_months"),
        f.initial_age_mean_months,
        1.0,
        1200.0,
    );
    // Log-scale spreads and the entrants' median scale: beyond these, exp() of a drawn log
    // scale overflows f32 (the fuzzer found NaN sales at entrant_scale_sd = 500).
    c.range(&k("initial_scale_sd"), f.initial_scale_sd, 0.0, 3.0);
    c.range(
        &k("one_person_log_scale_mean"),
        f.one_person_log_scale_mean,
        -3.0,
        3.0,
    );
    c.range(
        &k("one_person_log_scale_sd"),
        f.one_person_log_scale_sd,
        0.0,
        3.0,
    );
    c.nonneg(&k("initial_cash_months"), f.initial_cash_months);
    c.range(&k("cash_buffer_months"), f.cash_buffer_months, 0.0, 120.0);
    c.range(&k("birth_pop_elasticity"), f.birth_pop_elasticity, 0.0, 5.0);
    c.range(
        &k("entrant_scale_median"),
        f.entrant_scale_median,
        0.01,
        100.0,
    );
    c.range(&k("entrant_scale_sd"), f.entrant_scale_sd, 0.0, 3.0);
    c.range(&k("shock_sd_per_month"), f.shock_sd_per_month, 0.0, 1.0);
    c.share(
        &k("jump_probability_per_month"),
        f.jump_probability_per_month,
    );
    c.range(&k("jump_scale"), f.jump_scale, 0.0, 2.0);
    c.range(
        &k("size_volatility_exponent"),
        f.size_volatility_exponent,
        0.0,
        1.0,
    );
    c.range(
        &k("young_volatility_boost"),
        f.young_volatility_boost,
        0.0,
        10.0,
    );
    c.positive(&k("young_age_months"), f.young_age_months);
    c.range(
        &k("adjustment_band_workers"),
        f.adjustment_band_workers,
        0.0,
        100.0,
    );
    c.share(&k("hire_speed_per_month"), f.hire_speed_per_month);
    c.share(&k("fire_speed_per_month"), f.fire_speed_per_month);
    c.share(&k("understaffing_elasticity"), f.understaffing_elasticity);
    c.range(&k("wage_elasticity"), f.wage_elasticity, 0.0, 5.0);
    c.share(&k("fixed_cost_share"), f.fixed_cost_share);
    c.range(&k("exit_loss_months"), f.exit_loss_months, 1.0, 120.0);
    c.share(&k("exit_hazard_new_per_year"), f.exit_hazard_new_per_year);
    c.share(
        &k("exit_hazard_mature_per_year"),
        f.exit_hazard_mature_per_year,
    );
    c.positive(&k("exit_hazard_age_months"), f.exit_hazard_age_months);
    c.range(
        &k("exit_performance_elasticity"),
        f.exit_performance_elasticity,
        0.0,
        5.0,
    );
    c.share(&k("displacement"), f.displacement);
    c.range(
        &k("entry_profit_elasticity"),
        f.entry_profit_elasticity,
        0.0,
        50.0,
    );
    c.share(&k("high_growth_share"), f.high_growth_share);
    c.range(
        &k("high_growth_drift_per_year"),
        f.high_growth_drift_per_year,
        0.0,
        5.0,
    );
    c.range(
        &k("high_growth_years_mean"),
        f.high_growth_years_mean,
        0.01,
        50.0,
    );
    c.share(&k("relocation_rate_per_year"), f.relocation_rate_per_year);
    c.share(
        &k("relocation_to_capital_share"),
        f.relocation_to_capital_share,
    );
    c.range(&k("mid_sized_employees"), f.mid_sized_employees, 2.0, 1e6);
    c.positive(&k("mid_sized_sales_krw"), f.mid_sized_sales_krw);
}

fn check_startups(c: &mut Checker, raw: &super::RawScenario) {
    let s = &raw.startups;
    let k = |n: &str| format!("startups.{n}");
    c.range(&k("initial_total"), s.initial_total, 0.0, MAX_STARTUPS);
    c.range(&k("births_per_year"), s.births_per_year, 0.0, MAX_STARTUPS);
    c.nonneg(&k("seed_cash_krw"), s.seed_cash_krw);
    c.positive(&k("burn_per_member_krw_month"), s.burn_per_member_krw_month);
    c.range(&k("initial_team"), s.initial_team, 1.0, 1000.0);
    c.range(&k("settle_years"), s.settle_years, 0.0, 50.0);
    c.range(
        &k("round_size_elasticity"),
        s.round_size_elasticity,
        0.0,
        3.0,
    );
    c.positive(&k("reference_round_krw"), s.reference_round_krw);
    c.range(
        &k("graduate_high_growth_quality_effect"),
        s.graduate_high_growth_quality_effect,
        0.0,
        5.0,
    );
    c.range(&k("progress_per_year"), s.progress_per_year, 0.0, 10.0);
    c.range(
        &k("progress_quality_effect"),
        s.progress_quality_effect,
        0.0,
        10.0,
    );
    c.range(
        &k("progress_sd_per_month"),
        s.progress_sd_per_month,
        0.0,
        1.0,
    );
    c.range(
        &k("funding_progress_boost"),
        s.funding_progress_boost,
        0.0,
        10.0,
    );
    c.range(&k("seek_runway_months"), s.seek_runway_months, 0.0, 120.0);
    c.range(
        &k("team_growth_per_round"),
        s.team_growth_per_round,
        0.0,
        10.0,
    );
    c.range(
        &k("graduation_scale_quality_effect"),
        s.graduation_scale_quality_effect,
        0.0,
        5.0,
    );
}

fn check_venture(c: &mut Checker, raw: &super::RawScenario) {
    let v = &raw.venture;
    let k = |n: &str| format!("venture.{n}");
    c.whole(
        &k("fund_investment_years"),
        v.fund_investment_years,
        1.0,
        20.0,
    );
    c.range(
        &k("fund_life_years"),
        v.fund_life_years,
        v.fund_investment_years.max(1.0),
        50.0,
    );
    c.range(&k("exit_multiple"), v.exit_multiple, 0.0, 1000.0);
    c.range(
        &k("exit_multiple_quality_effect"),
        v.exit_multiple_quality_effect,
        0.0,
        5.0,
    );
    c.range(&k("exit_multiple_sd"), v.exit_multiple_sd, 0.0, 5.0);
    c.whole(&k("return_window_years"), v.return_window_years, 1.0, 20.0);
    c.range(&k("return_elasticity"), v.return_elasticity, 0.0, 5.0);
    c.range(&k("deal_flow_elasticity"), v.deal_flow_elasticity, 0.0, 5.0);
    c.range(
        &k("crowding_per_public_krw"),
        v.crowding_per_public_krw,
        -5.0,
        5.0,
    );
}

fn check_labour_demography_migration(c: &mut Checker, raw: &super::RawScenario) {
    let l = &raw.labour;
    c.share("labour.participation_15_39", l.participation_15_39);
    c.share("labour.participation_40_64", l.participation_40_64);
    c.share("labour.participation_65_plus", l.participation_65_plus);
    // SME jobs are the labour force times this share: 0 would leave no jobs to fill (and
    // the fuzzer found an infinite output there).
    c.range(
        "labour.sme_share_of_workers",
        l.sme_share_of_workers,
        0.01,
        1.0,
    );
    c.range(
        "labour.frictional_unemployment",
        l.frictional_unemployment,
        0.0,
        0.5,
    );
    c.range(
        "labour.wage_growth_per_year",
        l.wage_growth_per_year,
        -0.5,
        0.5,
    );
    c.range(
        "labour.wage_tightness_elasticity",
        l.wage_tightness_elasticity,
        0.0,
        10.0,
    );
    c.range(
        "labour.local_demand_elasticity",
        l.local_demand_elasticity,
        0.0,
        2.0,
    );
    let d = &raw.demography;
    c.range(
        "demography.fertility_per_15_39",
        d.fertility_per_15_39,
        0.0,
        0.5,
    );
    c.share("demography.mortality_0_14", d.mortality_0_14);
    c.share("demography.mortality_15_39", d.mortality_15_39);
    c.share("demography.mortality_40_64", d.mortality_40_64);
    c.share("demography.mortality_65_plus", d.mortality_65_plus);
    let m = &raw.migration;
    c.share("migration.move_rate_0_14", m.move_rate_0_14);
    c.share("migration.move_rate_15_39", m.move_rate_15_39);
    c.share("migration.move_rate_40_64", m.move_rate_40_64);
    c.share("migration.move_rate_65_plus", m.move_rate_65_plus);
    for (key, v) in [
        ("migration.wage_weight_15_39", m.wage_weight_15_39),
        ("migration.wage_weight_other", m.wage_weight_other),
        ("migration.jobs_weight_15_39", m.jobs_weight_15_39),
        ("migration.jobs_weight_other", m.jobs_weight_other),
        ("migration.distance_weight", m.distance_weight),
    ] {
        c.range(key, v, 0.0, 100.0);
    }
}

fn check_sectors(
    c: &mut Checker,
    raw: &super::RawScenario,
) -> Option<[super::SectorParams; N_SECTORS]> {
    let mut out: [Option<super::SectorParams>; N_SECTORS] = Default::default();
    for (name, s) in &raw.sectors {
        let Some(i) = c.sector(&format!("sectors.{name}"), name) else {
            continue;
        };
        let k = |n: &str| format!("sectors.{name}.{n}");
        c.range(
            &k("scale_drift_per_year"),
            s.scale_drift_per_year,
            -0.5,
            0.5,
        );
        c.range(
            &k("demand_growth_per_year"),
            s.demand_growth_per_year,
            -0.5,
            0.5,
        );
        c.range(&k("materials_share"), s.materials_share, 0.0, 0.95);
        c.positive(&k("sales_per_worker_index"), s.sales_per_worker_index);
        c.nonneg(&k("capital_intensity"), s.capital_intensity);
        out[i] = Some(s.clone());
    }
    for (i, o) in out.iter().enumerate() {
        if o.is_none() {
            c.push(
                "sectors",
                format!(
                    "missing sector `{}`; every sector needs a [sectors.{}] table",
                    SECTOR_IDS[i], SECTOR_IDS[i]
                ),
            );
        }
    }
    if out.iter().any(Option::is_none) {
        return None;
    }
    Some(out.map(|o| o.expect("checked")))
}

fn check_regions(
    c: &mut Checker,
    raw: &BTreeMap<String, RawRegion>,
) -> Option<[RegionParams; N_REGIONS]> {
    let mut out: [Option<RegionParams>; N_REGIONS] = Default::default();
    for (name, r) in raw {
        let Some(i) = c.region(&format!("regions.{name}"), name) else {
            continue;
        };
        let k = |n: &str| format!("regions.{name}.{n}");
        c.positive_upto(&k("smes_2021"), r.smes_2021, MAX_REAL_FIRMS);
        c.positive_upto(&k("sme_workers_2021"), r.sme_workers_2021, MAX_WORKERS);
        c.range(
            &k("population"),
            r.population,
            MIN_POPULATION,
            MAX_POPULATION,
        );
        // A region's SME workers are some of its people (the fuzzer found -inf outputs
        // from 1,108 people beside 300,000 SME workers).
        if r.population.is_finite() && r.sme_workers_2021 > r.population {
            c.push(
                &k("population"),
                format!(
                    "{} is fewer people than the region's {} SME workers; allowed: at least sme_workers_2021",
                    show(r.population),
                    show(r.sme_workers_2021)
                ),
            );
        }
        c.share(&k("share_0_14"), r.share_0_14);
        c.share(&k("share_15_39"), r.share_15_39);
        c.share(&k("share_65_plus"), r.share_65_plus);
        if r.share_0_14 + r.share_15_39 + r.share_65_plus > 1.0 {
            c.push(
                &k("share_65_plus"),
                "share_0_14 + share_15_39 + share_65_plus must not exceed 1 (the rest is 40-64)"
                    .into(),
            );
        }
        c.positive(&k("wage_krw_month"), r.wage_krw_month);
        c.positive(&k("sales_per_worker_krw_year"), r.sales_per_worker_krw_year);
        c.range(&k("amenity_15_39"), r.amenity_15_39, -10.0, 10.0);
        c.range(&k("amenity_other"), r.amenity_other, -10.0, 10.0);
        c.nonneg(&k("startup_ecosystem"), r.startup_ecosystem);
        let mut mix = [0.0; N_SECTORS];
        for (s, &v) in &r.sector_mix {
            let key = format!("regions.{name}.sector_mix.{s}");
            if let Some(j) = c.sector(&key, s) {
                c.nonneg(&key, v);
                mix[j] = v;
            }
        }
        let total: f64 = mix.iter().sum();
        if total.is_nan() || total <= 0.0 {
            c.push(
                &k("sector_mix"),
                "needs at least one positive sector share".into(),
            );
        } else {
            mix.iter_mut().for_each(|m| *m /= total);
        }
        out[i] = Some(RegionParams {
            smes_2021: r.smes_2021,
            sme_workers_2021: r.sme_workers_2021,
            population: r.population,
            share_0_14: r.share_0_14,
            share_15_39: r.share_15_39,
            share_65_plus: r.share_65_plus,
            wage_krw_month: r.wage_krw_month,
            sales_per_worker_krw_year: r.sales_per_worker_krw_year,
            amenity_15_39: r.amenity_15_39,
            amenity_other: r.amenity_other,
            startup_ecosystem: r.startup_ecosystem,
            sector_mix: mix,
        });
    }
    for (i, o) in out.iter().enumerate() {
        if o.is_none() && region_index(REGION_IDS[i]).is_some() {
            c.push(
                "regions",
                format!(
                    "missing region `{}`; every region needs a [regions.{}] table",
                    REGION_IDS[i], REGION_IDS[i]
                ),
            );
        }
    }
    if out.iter().any(Option::is_none) {
        return None;
    }
    Some(out.map(|o| o.expect("checked")))
}

fn check_investor(c: &mut Checker, name: &str, k: &RawInvestorKind) -> InvestorKind {
    let key = |n: &str| format!("investors.{name}.{n}");
    let counts = c.per_region(&key("count_by_region"), &k.count_by_region);
    let mut count_by_region = [0u32; N_REGIONS];
    for (r, &v) in counts.iter().enumerate() {
        count_by_region[r] = c.whole(
            &format!("investors.{name}.count_by_region.{}", REGION_IDS[r]),
            v,
            0.0,
            100_000.0,
        );
    }
    c.nonneg(&key("annual_commitment_krw"), k.annual_commitment_krw);
    if k.ticket_krw_by_stage.is_empty() || k.ticket_krw_by_stage.len() > 8 {
        c.push(
            &key("ticket_krw_by_stage"),
            "needs 1 to 8 ticket sizes, one per funding stage".into(),
        );
    }
    for (i, &t) in k.ticket_krw_by_stage.iter().enumerate() {
        c.positive(&format!("{}[{i}]", key("ticket_krw_by_stage")), t);
    }
    let n_stages = k.ticket_krw_by_stage.len().max(1) as f64;
    let min_stage = c.whole(&key("min_stage"), k.min_stage, 0.0, n_stages - 1.0);
    let max_stage = c.whole(
        &key("max_stage"),
        k.max_stage,
        k.min_stage.max(0.0),
        n_stages - 1.0,
    );
    c.range(&key("screening_noise_sd"), k.screening_noise_sd, 0.0, 10.0);
    c.range(
        &key("home_bias_per_100km"),
        k.home_bias_per_100km,
        0.0,
        10.0,
    );
    c.range(&key("min_score"), k.min_score, -10.0, 10.0);
    let max_deals = c.whole(
        &key("max_deals_per_month"),
        k.max_deals_per_month,
        1.0,
        1000.0,
    );
    let deal_flow = c.whole(
        &key("deal_flow_per_month"),
        k.deal_flow_per_month,
        1.0,
        60_000.0,
    );
    let source = match k.source.as_deref() {
        None if k.counts_as_vc => MoneySource::Vc,
        None | Some("other") => MoneySource::Other,
        Some("vc") => MoneySource::Vc,
        Some("angel") => MoneySource::Angel,
        Some("tips") => MoneySource::Tips,
        Some(s) => {
            c.push(
                &key("source"),
                format!("is \"{s}\"; allowed: \"vc\", \"angel\", \"tips\", \"other\""),
            );
            MoneySource::Other
        }
    };
    InvestorKind {
        name: name.to_string(),
        count_by_region,
        annual_commitment_krw: k.annual_commitment_krw,
        ticket_krw_by_stage: k.ticket_krw_by_stage.clone(),
        min_stage: min_stage as u8,
        max_stage: max_stage as u8,
        screening_noise_sd: k.screening_noise_sd,
        home_bias_per_100km: k.home_bias_per_100km,
        min_score: k.min_score,
        max_deals_per_month: max_deals,
        deal_flow_per_month: deal_flow,
        counts_as_vc: k.counts_as_vc,
        source,
    }
}
