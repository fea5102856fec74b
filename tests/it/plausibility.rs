//! The baseline's first year against the published figures in CALIBRATION_FACTS.md.
//! Bands here are the core's sanity bands; `regsim validate` holds the calibration targets.

use super::baseline;

#[test]
fn start_year_is_near_the_published_figures() {
    let scn = baseline(&[]);
    let r = regsim::sim::simulate_plain(&scn, 1);
    let y = &r.national[0];
    // SMEs: 8.30 M (2023), growing ~3% a year.
    assert!(
        (8.0e6..9.0e6).contains(&y.totals.firms),
        "firms {}",
        y.totals.firms
    );
    // Capital-region share of SMEs: 52.3-52.6%.
    assert!(
        (0.50..0.55).contains(&y.capital_share_firms),
        "{}",
        y.capital_share_firms
    );
    // Non-capital SME sales: 982 trn KRW.
    let nc = y.noncapital_sme_sales_krw / 1e12;
    assert!(
        (982.0 * 0.95..982.0 * 1.08).contains(&nc),
        "non-capital sales {nc} trn"
    );
    // SME workers: 19.1 M.
    assert!(
        (18.0e6..20.5e6).contains(&y.totals.employment),
        "{}",
        y.totals.employment
    );
    // Population: 51.2 M, capital share 50.9%.
    assert!((50.5e6..52.0e6).contains(&y.totals.population));
    assert!((0.49..0.52).contains(&y.capital_share_population));
    // VC investment: 10.9-11.95 trn KRW.
    let vc = y.totals.vc_investment_krw / 1e12;
    assert!((8.0..15.0).contains(&vc), "VC {vc} trn");
    // Firm birth and death rates: 12.1-12.7% and 10.2-10.5%, over the run's years (as
    // `validate` measures them: entry responds to the markets year by year).
    let per_year = |f: &dyn Fn(&regsim::metrics::NationalRow) -> f64| {
        r.national
            .iter()
            .map(|n| f(n) / n.totals.firms)
            .sum::<f64>()
            / r.national.len() as f64
    };
    let births = per_year(&|n| n.totals.firm_births);
    let deaths = per_year(&|n| n.totals.firm_deaths);
    assert!((0.10..0.16).contains(&births), "birth rate {births}");
    assert!((0.06..0.14).contains(&deaths), "death rate {deaths}");
    // Youth move to the capital region (+61.5k aged 19-34 in 2024).
    let cap = &r.regions[0];
    assert_eq!(cap.region, "capital");
    assert!(
        (20e3..100e3).contains(&cap.net_migration_15_39),
        "{}",
        cap.net_migration_15_39
    );
}

#[test]
fn outputs_are_comparable_across_scales() {
    let a = regsim::sim::simulate_plain(&baseline(&["scale=0.005"]), 4);
    let b = regsim::sim::simulate_plain(&baseline(&["scale=0.02"]), 4);
    let (x, y) = (&a.national[0].totals, &b.national[0].totals);
    let close = |p: f64, q: f64, tol: f64| (p - q).abs() / q < tol;
    assert!(close(x.firms, y.firms, 0.02), "{} vs {}", x.firms, y.firms);
    assert!(close(x.employment, y.employment, 0.03));
    assert!(close(x.sales_krw, y.sales_krw, 0.03));
    assert!(close(x.population, y.population, 1e-9));
}
