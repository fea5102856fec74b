//! Accounting: money moved between agents is conserved, employment never exceeds the
//! labour force, populations never go negative, investors never spend money they lack.

use super::baseline;
use regsim::model::geo::N_REGIONS;
use regsim::model::{startup_status, status};

#[test]
fn money_jobs_and_people_are_accounted_for_every_year() {
    // Startups at their own scale (thinned deals, graduates sampled into the firm agents):
    // the employment identity mixes the two weights.
    let scn = baseline(&["scale=0.005", "startup_scale=0.05"]);
    let mut years = 0;
    let result = regsim::sim::simulate(&scn, 3, |_year, world| -> Result<(), String> {
        years += 1;
        // Investors: capital is never negative and capital + invested = start + inflows.
        for k in 0..world.investors.len() {
            if world.investors.capital_krw[k] < 0.0 {
                return Err(format!("investor {k} has negative capital"));
            }
        }
        // Employment never exceeds the labour force; people never go negative.
        let mut workers = [0.0f64; N_REGIONS];
        let mut team = [0.0f64; N_REGIONS];
        for i in 0..world.firms.len() {
            if world.firms.status[i] != status::DEAD {
                workers[world.firms.region[i] as usize] += f64::from(world.firms.employees[i]);
            } else if world.firms.employees[i] != 0 {
                return Err(format!("dead firm {i} still employs people"));
            }
        }
        for j in 0..world.startups.len() {
            if world.startups.status[j] == startup_status::ACTIVE {
                team[world.startups.region[j] as usize] += f64::from(world.startups.team[j]);
            }
        }
        for r in 0..N_REGIONS {
            let emp = workers[r] / scn.scale + team[r] / scn.startup_scale;
            let reported = world.regions.employment[r];
            if (emp - reported).abs() > 1e-6 * reported.max(1.0) {
                return Err(format!(
                    "region {r}: employment {reported} but agents hold {emp}"
                ));
            }
            if emp > world.regions.labour_force[r] {
                return Err(format!("region {r}: employment {emp} > labour force"));
            }
            if world.regions.population[r].iter().any(|&p| p < 0.0) {
                return Err(format!("region {r}: negative population"));
            }
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(years, 6);

    // Investor capital out = startup cash in (in the sample) + money to startups outside it,
    // and what the sample received equals the reported flows.
    let l = &result.ledger;
    assert!(l.received_by_startups_krw > 0.0 && l.outside_sample_krw > 0.0);
    let out = l.received_by_startups_krw + l.outside_sample_krw;
    assert!((l.invested_krw - out).abs() <= 1e-9 * out, "{l:?}");
    // Thinning: the sample receives about `startup_scale` of the money.
    let share = l.received_by_startups_krw / l.invested_krw;
    assert!(
        (0.3 * scn.startup_scale..3.0 * scn.startup_scale).contains(&share),
        "sample share {share}"
    );
    let reported: f64 = result
        .national
        .iter()
        .map(|n| n.totals.vc_investment_krw + n.totals.other_investment_krw)
        .sum();
    let rel = (reported * scn.startup_scale - l.received_by_startups_krw).abs()
        / l.received_by_startups_krw;
    assert!(
        rel < 1e-9,
        "flows {reported} vs ledger {}",
        l.received_by_startups_krw
    );
    // No money from nowhere: investors never invest more than their starting capital plus
    // inflows (both counted as committed).
    assert!(l.invested_krw <= l.committed_krw, "{l:?}");
}

#[test]
fn regional_rows_sum_to_the_national_row() {
    let scn = baseline(&["scale=0.003"]);
    let r = regsim::sim::simulate_plain(&scn, 5);
    for n in &r.national {
        let rows: Vec<_> = r.regions.iter().filter(|x| x.year == n.year).collect();
        assert_eq!(rows.len(), N_REGIONS);
        let firms: f64 = rows.iter().map(|x| x.firms).sum();
        let emp: f64 = rows.iter().map(|x| x.employment).sum();
        assert!((firms - n.totals.firms).abs() <= 1e-9 * firms);
        assert!((emp - n.totals.employment).abs() < 1e-6 * emp);
        let moved_in: f64 = rows.iter().map(|x| x.firms_relocated_in).sum();
        let moved_out: f64 = rows.iter().map(|x| x.firms_relocated_out).sum();
        assert!(moved_in > 0.0);
        assert!(
            (moved_in - moved_out).abs() <= 1e-9 * moved_in,
            "relocations create or lose firms"
        );
        let net_mig: f64 = rows.iter().map(|x| x.net_migration).sum();
        assert!(net_mig.abs() < 1e-3, "migration creates people: {net_mig}");
        assert!(n.capital_share_firms > 0.0 && n.capital_share_firms < 1.0);
    }
}

#[test]
fn firm_stock_follows_births_and_deaths() {
    // firms(t) = firms(t-1) + births - deaths - newly mid-sized, in agent units; births
    // include the graduates sampled into the firm agents (startup_scale above scale).
    let scn = baseline(&["scale=0.005", "startup_scale=0.05"]);
    let r = regsim::sim::simulate_plain(&scn, 9);
    for w in r.national.windows(2) {
        let (a, b) = (&w[0].totals, &w[1].totals);
        let predicted = a.firms + b.firm_births - b.firm_deaths;
        let newly_mid = b.mid_sized_firms - a.mid_sized_firms;
        // Mid-sized firms that die leave the mid-sized count, so allow that slack.
        let gap = predicted - newly_mid - b.firms;
        assert!(
            gap.abs() <= (b.mid_sized_firms + 1.0) * 2.0,
            "gap {gap} in {}",
            w[1].year
        );
    }
}
