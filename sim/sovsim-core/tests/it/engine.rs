//! The buildout engine: hand-computed milestones with fixed durations, and one law per test over
//! replications of the shipped EU scenario.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Memory, catalog, repo};
use sovsim_core::engine::buildout::{self, Event};
use sovsim_core::engine::time::{SimTime, hours};
use sovsim_core::model::Scenario;
use sovsim_core::scenario;

const FIXED: &str = r#"
[scenario]
name = "fixed"
start_date = 2026-01-01
horizon_years = 5
period_months = 1
currency = "EUR"
discount_rate = 0.08
seed = 1

[[operators]]
id = "op"
parent_jurisdiction = "FR"
ownership_pct = { FR = 100 }
key_custody_jurisdiction = "FR"
staff_jurisdictions = ["FR"]

[[sites]]
id = "site"
country = "FR"
area_ha = 40
land_price_eur_per_ha = 100000
max_it_mw = 100
acquisition_months = 2
permit_months = 4

[[grid_connections]]
id = "grid"
site = "site"
capacity_mw = 120
queue_wait_months = 12

[[shells]]
id = "hall"
site = "site"
type = "liquid-hall"
phases = [{ it_mw = 100, build_months = 10 }]

[[clusters]]
id = "c1"
shell = "hall"
operator = "op"
sku = "gb300-nvl72"
gpus = 50000
order_date = 2026-03-01
lead_time_months = 9
install_months = 1
useful_life_years = 6
"#;

fn parse(text: &str) -> Scenario {
    let path = PathBuf::from("fixed.toml");
    let reader = Memory(BTreeMap::from([(path.clone(), text.to_owned())]));
    let loaded = scenario::load(&path, &reader, &catalog(), &[]);
    loaded
        .scenario
        .unwrap_or_else(|| panic!("{}", loaded.sources.render(&loaded.diagnostics)))
}

fn eu() -> Scenario {
    let loaded = scenario::load(
        &repo().join("scenarios/eu-sovereign-2030.toml"),
        &super::Disk,
        &catalog(),
        &[],
    );
    loaded.scenario.expect("valid")
}

#[test]
fn fixed_durations_give_the_milestones_computed_by_hand() {
    let s = parse(FIXED);
    let r = buildout::run(&s, 0);
    // Land after 2 months, permit 4 months later, grid 12 months after the permit.
    let permit = hours(2.0) + hours(4.0);
    let grid = SimTime(permit + hours(12.0));
    let shell = SimTime(permit + hours(10.0));
    // Order on 2026-03-01 (59 days in), 9 months of lead time, 1 month of installation.
    let installed = SimTime(59 * 24 + hours(9.0) + hours(1.0));
    assert!(
        installed < shell && shell < grid,
        "GPUs wait for the shell, then for the grid"
    );
    assert_eq!(r.first_power, vec![Some(grid)]);
    assert_eq!(
        r.first_gpu,
        vec![Some(grid)],
        "everything fits once the grid is connected"
    );
    assert_eq!(r.full_capacity, Some(grid));
    assert_eq!(
        grid.date(s.meta.start_date).to_string(),
        "2027-07-02",
        "18 average months = 547.9 days"
    );
    assert!(r.gw_reached.is_empty(), "90 MW of IT never reaches a GW");
    let waiting = 50_000.0;
    assert_eq!(
        r.waits_gpu_hours[0],
        (
            waiting * (shell.0 - installed.0) as f64,
            waiting * (grid.0 - shell.0) as f64
        )
    );
    // Retirement six years after energisation falls beyond the five-year horizon.
    assert!(
        !r.events
            .iter()
            .any(|(_, e)| matches!(e, Event::ClusterRetired { .. }))
    );
}

#[test]
fn a_short_life_retires_gpus_and_frees_capacity() {
    let s = parse(&FIXED.replace("useful_life_years = 6", "useful_life_years = 1"));
    let r = buildout::run(&s, 0);
    let retired: u64 = r
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ClusterRetired { gpus, .. } => Some(*gpus),
            _ => None,
        })
        .sum();
    assert_eq!(retired, 50_000);
    assert_eq!(r.gpus[0].retired, 50_000);
    assert_eq!(r.monthly.last().expect("months")[0].gpus_energised, 0);
}

#[test]
fn gpus_ordered_equal_in_transit_plus_installed_plus_retired() {
    let s = eu();
    for replication in 0..3 {
        let r = buildout::run(&s, replication);
        for (c, counts) in r.gpus.iter().enumerate() {
            assert_eq!(
                counts.ordered,
                counts.in_transit + counts.installed + counts.retired,
                "cluster {c}"
            );
            assert_eq!(
                counts.ordered, s.clusters[c].gpus,
                "every order is placed within the horizon"
            );
        }
    }
}

#[test]
fn operational_gpus_never_exceed_installed() {
    let s = eu();
    let r = buildout::run(&s, 0);
    for month in &r.monthly {
        for site in month {
            assert!(site.gpus_energised <= site.gpus_installed);
        }
    }
}

#[test]
fn it_load_never_exceeds_shell_capacity_and_facility_load_never_exceeds_firm_power() {
    let s = eu();
    for replication in 0..3 {
        let r = buildout::run(&s, replication);
        for (m, month) in r.monthly.iter().enumerate() {
            for (i, site) in month.iter().enumerate() {
                assert!(
                    site.it_load_mw <= site.shell_it_mw + 1e-6,
                    "month {m}, site {i}: {site:?}"
                );
                assert!(
                    site.facility_load_mw <= site.firm_power_mw + 1e-6,
                    "month {m}, site {i}: {site:?}"
                );
            }
        }
    }
}

#[test]
fn energy_grows_by_the_integral_of_load() {
    // With a load that only steps at events, each month's energy lies between the smallest and the
    // largest load of the month times its hours; with fixed durations it is exact once load is steady.
    let s = parse(FIXED);
    let r = buildout::run(&s, 0);
    let month_hours = |m: usize| {
        (SimTime::ZERO.after_months((m + 1) as f64).0 - SimTime::ZERO.after_months(m as f64).0)
            as f64
    };
    for m in 0..r.monthly.len() - 1 {
        let (a, b) = (&r.monthly[m][0], &r.monthly[m + 1][0]);
        let energy = b.energy_mwh - a.energy_mwh;
        let (lo, hi) = (
            a.facility_load_mw.min(b.facility_load_mw),
            a.facility_load_mw.max(b.facility_load_mw),
        );
        assert!(
            energy >= lo * month_hours(m) - 1e-6 && energy <= hi * month_hours(m) + 1e-6,
            "month {m}: {energy} MWh"
        );
        if a.facility_load_mw == b.facility_load_mw && m > 20 {
            assert!((energy - a.facility_load_mw * month_hours(m)).abs() < 1e-6);
        }
    }
}

#[test]
fn time_never_goes_back_in_the_event_log() {
    let r = buildout::run(&eu(), 0);
    assert!(r.events.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(r.events.len() > 100);
}

#[test]
fn the_same_seed_gives_the_same_replication_and_another_replication_differs() {
    let s = eu();
    let (a, b, c) = (
        buildout::run(&s, 5),
        buildout::run(&s, 5),
        buildout::run(&s, 6),
    );
    assert_eq!(a.events, b.events);
    assert_eq!(a.monthly, b.monthly);
    assert_ne!(a.events, c.events);
}

#[test]
fn changing_one_site_leaves_the_draws_of_the_others_alone() {
    // Common random numbers: a longer permit at one site must not move another site's grid date.
    let base = eu();
    let text =
        std::fs::read_to_string(repo().join("scenarios/eu-sovereign-2030.toml")).expect("readable");
    let changed_text = text.replacen("permit_months = { dist = \"pert\", min = 9, mode = 15, max = 30, factor = \"permitting\" }", "permit_months = 40", 1);
    let path = repo().join("scenarios/eu-sovereign-2030.toml");
    let changed = {
        let reader = Memory(BTreeMap::from([(path.clone(), changed_text)]));
        scenario::load(Path::new(&path), &reader, &catalog(), &[])
            .scenario
            .expect("valid")
    };
    let grid_times = |s: &Scenario| -> BTreeMap<u32, SimTime> {
        buildout::run(s, 0)
            .events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::GridConnected { connection } => Some((connection.0, *t)),
                _ => None,
            })
            .collect()
    };
    let (before, after) = (grid_times(&base), grid_times(&changed));
    assert_eq!(before.len(), base.grid_connections.len());
    assert_ne!(
        before[&0], after[&0],
        "the first site's own grid date moves"
    );
    before
        .iter()
        .skip(1)
        .for_each(|(c, t)| assert_eq!(after[c], *t, "connection {c} of another site moved"));
}

#[test]
fn one_and_four_threads_give_the_same_milestones() {
    use sovsim_core::engine::replicate::{Milestones, percentiles, replicate};
    let s = eu();
    let run = |threads| {
        replicate(&s, 100, threads, Milestones::default(), |m, _, r| m.add(&r))
            .expect("threads start")
    };
    let (one, four) = (run(1), run(4));
    assert_eq!(one, four);
    assert_eq!(one.first_gw.len(), 100);
    // The replications differ, so the percentiles spread.
    let gw = percentiles(&one.first_gw);
    assert!(gw.p10 <= gw.p50 && gw.p50 <= gw.p90);
    assert_ne!(gw.p10, gw.p90);
}

#[test]
fn replications_are_folded_in_order() {
    use sovsim_core::engine::replicate::replicate;
    let order =
        replicate(&parse(FIXED), 150, 3, Vec::new(), |v, i, _| v.push(i)).expect("threads start");
    assert_eq!(order, (0..150).collect::<Vec<u64>>());
}
