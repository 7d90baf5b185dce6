//! The buildout engine: hand-computed milestones with fixed durations, and one law per test over
//! replications of the shipped EU scenario.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Memory, catalog, parse, repo, shipped};
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
repair_days = 3
"#;

fn eu() -> Scenario {
    shipped("eu-sovereign-2030.toml")
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
    // Permit, grid, on-site power, power shortfall, shell, GPUs.
    assert_eq!(
        r.waits_gpu_hours[0],
        [
            0.0,
            waiting * (grid.0 - shell.0) as f64,
            0.0,
            0.0,
            waiting * (shell.0 - installed.0) as f64,
            0.0
        ]
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
    let mut repairs_seen = false;
    for month in &r.monthly {
        for site in month {
            assert!(site.gpus_operational + site.gpus_in_repair == site.gpus_energised);
            assert!(site.gpus_energised <= site.gpus_installed);
            let by_sku: u64 = site.skus.iter().map(|k| k.operational).sum();
            assert_eq!(by_sku, site.gpus_operational, "SKUs add up to the site");
            repairs_seen |= site.gpus_in_repair > 0;
        }
    }
    assert!(
        repairs_seen,
        "some GPUs are in repair at some month boundary"
    );
}

#[test]
fn energy_by_source_adds_up_and_emissions_follow_each_source() {
    let s = eu();
    let r = buildout::run(&s, 0);
    let end = r.monthly.last().expect("months");
    let mut total = 0.0;
    for (i, site) in end.iter().enumerate() {
        let by_source: f64 = site.energy_mwh_by_source.iter().sum();
        assert!(
            (by_source - site.energy_mwh).abs() <= 1e-9 * site.energy_mwh.max(1.0),
            "site {i}: sources give {by_source} MWh of {} MWh",
            site.energy_mwh
        );
        // Grid-only sites: emissions are grid energy × the connection's intensity.
        if s.power_assets.iter().all(|a| a.site.index() != i) {
            let carbon = s
                .grid_connections
                .iter()
                .find(|g| g.site.index() == i)
                .map_or(0.0, |g| g.carbon_g_per_kwh);
            let expected = site.energy_mwh * carbon / 1000.0;
            assert!((site.emissions_t - expected).abs() <= 1e-9 * expected.max(1.0));
        }
        total += site.energy_mwh;
    }
    assert!(total > 0.0);
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

/// Facility load changes only when GPUs are energised, fail, are repaired, curtailed, restored or
/// retire: rebuilds it from the log alone and integrates it between events; every month boundary's
/// energy must match. Returns the number of boundaries with energy.
fn assert_energy_is_the_integral_of_load(s: &Scenario, r: &buildout::Replication) -> usize {
    let kw_pue: Vec<f64> = s
        .clusters
        .iter()
        .map(|c| c.accelerator.all_in_power_kw * s.shells[c.shell.index()].kind.pue / 1000.0)
        .collect();
    // (energised, in repair as of the last month's end, curtailed) per cluster.
    let mut gpus = vec![(0u64, 0u64, 0u64); s.clusters.len()];
    // Between events GPUs in repair are powered; the GPU-hours they were out are booked at the
    // month's end.
    let load = |g: &[(u64, u64, u64)]| -> f64 {
        g.iter()
            .zip(&kw_pue)
            .map(|((e, _, c), k)| (e - c) as f64 * k)
            .sum()
    };
    let mut energy = 0.0;
    let mut last = SimTime::ZERO;
    let mut events = r.events.iter().peekable();
    let mut with_energy = 0;
    for (m, states) in r.monthly.iter().enumerate() {
        let boundary = SimTime::ZERO.after_months(m as f64);
        while let Some((t, e)) = events.peek() {
            if *t > boundary {
                break;
            }
            energy += load(&gpus) * (t.0 - last.0) as f64;
            last = *t;
            match *e {
                Event::ClusterEnergised { cluster, gpus: n } => gpus[cluster.index()].0 += n,
                Event::GpusFailed { cluster, gpus: n } => gpus[cluster.index()].1 += n,
                Event::GpusRepaired { cluster, gpus: n } => {
                    let g = &mut gpus[cluster.index()];
                    g.1 = g.1.saturating_sub(n);
                }
                Event::GpuHoursLost { cluster, gpu_hours } => {
                    energy -= gpu_hours * kw_pue[cluster.index()]
                }
                Event::GpusCurtailed { cluster, gpus: n } => gpus[cluster.index()].2 += n,
                Event::GpusRestored { cluster, gpus: n } => gpus[cluster.index()].2 -= n,
                Event::ClusterRetired { cluster, gpus: n } => {
                    let g = &mut gpus[cluster.index()];
                    g.0 -= n;
                    let excess = (g.1 + g.2).saturating_sub(g.0);
                    let from_curtailed = excess.min(g.2);
                    g.2 -= from_curtailed;
                    g.1 = g.1.saturating_sub(excess - from_curtailed);
                }
                _ => {}
            }
            events.next();
        }
        energy += load(&gpus) * (boundary.0 - last.0) as f64;
        last = boundary;
        let recorded: f64 = states.iter().map(|st| st.energy_mwh).sum();
        assert!(
            (recorded - energy).abs() <= 1e-9 * energy.max(1.0),
            "month {m}: engine {recorded} MWh, integral {energy} MWh"
        );
        with_energy += usize::from(energy > 0.0);
    }
    with_energy
}

#[test]
fn energy_equals_the_integral_of_load_rebuilt_from_the_event_log() {
    let s = eu();
    let r = buildout::run(&s, 1);
    assert!(assert_energy_is_the_integral_of_load(&s, &r) > 12);
    assert!(
        r.events
            .iter()
            .any(|(_, e)| matches!(e, Event::GpuHoursLost { .. })),
        "failures change the load"
    );
}

/// The fixed scenario powered only by an open-cycle gas plant whose outages are simulated.
fn gas_only(years: u32) -> Scenario {
    let text = FIXED
        .replace(
            "[[grid_connections]]\nid = \"grid\"\nsite = \"site\"\ncapacity_mw = 120\nqueue_wait_months = 12\n",
            "[[power_assets]]\nid = \"gas\"\nsite = \"site\"\ntech = \"ocgt\"\ncapacity_mw = 120\nbuild_months = 12\noutage_days = 2\n",
        )
        .replace("horizon_years = 5", &format!("horizon_years = {years}"))
        .replace("useful_life_years = 6", "useful_life_years = 40");
    assert!(text.contains("outage_days"), "the grid block was replaced");
    parse(&text)
}

#[test]
fn outages_take_the_share_of_time_availability_leaves_and_curtail_what_the_plant_powered() {
    let s = gas_only(30);
    let r = buildout::run(&s, 0);
    let availability = s.power_assets[0].tech.availability.expect("in the catalog");
    let end = SimTime::ZERO.after_months(30.0 * 12.0);
    let (mut up_since, mut down_hours, mut commissioned) = (None, 0i64, None);
    let mut down_since = None;
    for (t, e) in &r.events {
        match e {
            Event::PowerCommissioned { .. } => {
                commissioned = Some(*t);
                up_since = Some(*t);
            }
            Event::PowerOutageStarted { .. } => {
                assert!(up_since.take().is_some(), "an outage starts while up");
                down_since = Some(*t);
            }
            Event::PowerRestored { .. } => {
                down_hours += t.0 - down_since.take().expect("restored after an outage").0;
                up_since = Some(*t);
            }
            _ => {}
        }
    }
    if let Some(d) = down_since {
        down_hours += end.0 - d.0;
    }
    let span = (end.0 - commissioned.expect("the plant is built").0) as f64;
    let down_share = down_hours as f64 / span;
    // About 1,200 outages over 29 years: the share down is within a point of 1 − availability.
    assert!(
        (down_share - (1.0 - availability)).abs() < 0.01,
        "down {down_share:.4} of the time, availability {availability}"
    );
    let curtailed = r
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::GpusCurtailed { .. }))
        .count();
    assert!(curtailed > 100, "every outage powers the GPUs down");
    for (m, month) in r.monthly.iter().enumerate() {
        let site = &month[0];
        assert!(
            site.facility_load_mw <= site.firm_power_mw + 1e-6,
            "month {m}: {site:?}"
        );
        assert_eq!(
            site.gpus_operational + site.gpus_in_repair + site.gpus_curtailed,
            site.gpus_energised
        );
    }
    assert!(assert_energy_is_the_integral_of_load(&s, &r) > 12);
    // One source: emissions are its energy × the IPCC gas factor over the OCGT's efficiency.
    let last = &r.monthly.last().expect("months")[0];
    let efficiency = s.power_assets[0].tech.efficiency.expect("in the catalog");
    let g_per_kwh = 56.1 * 3.6 / efficiency;
    assert!((s.power_assets[0].carbon_g_per_kwh - g_per_kwh).abs() < 1e-9);
    assert!(
        (last.emissions_t - last.energy_mwh * g_per_kwh / 1000.0).abs() < 1e-6 * last.emissions_t
    );
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
fn one_and_four_threads_give_the_same_aggregate() {
    use sovsim_core::engine::aggregate::{Aggregate, SITE_SERIES};
    use sovsim_core::engine::replicate::replicate;
    let s = eu();
    let run = |threads| {
        replicate(&s, 70, threads, Aggregate::new(&s), |a, _, chunk| {
            a.add_chunk(chunk)
        })
        .expect("threads start")
    };
    let (one, four) = (run(1), run(4));
    assert_eq!(one.milestones(), four.milestones());
    assert_eq!(one.delays(), four.delays());
    let region = s.sites.len();
    for m in 0..=one.months() {
        for v in 0..SITE_SERIES.len() {
            assert_eq!(
                one.site_series(m, region, v).map(f64::to_bits),
                four.site_series(m, region, v).map(f64::to_bits)
            );
        }
    }
    // The replications differ, so the percentiles spread.
    let gw = &one.milestones()[2].percentiles;
    assert!(gw.p10 <= gw.p50 && gw.p50 <= gw.p90);
    assert_ne!(gw.p10, gw.p90);
}

#[test]
fn site_sketches_share_a_budget_that_a_continent_fits() {
    use sovsim_core::engine::aggregate::{
        Aggregate, MIN_SITE_SKETCH, SITE_SERIES, SITE_SKETCH_VALUES, SKETCH_CAPACITY, SKU_SERIES,
        SOURCE_SERIES,
    };
    use sovsim_core::engine::quantiles::Quantiles;
    use sovsim_core::engine::replicate::replicate;
    // Eight sites keep the region's size, so their percentiles are as exact as the region's.
    let s = eu();
    assert_eq!(Aggregate::new(&s).site_sketch_size(), SKETCH_CAPACITY);
    // A continent shares the budget: smaller sketches, above the floor, within the budget.
    let continent = Aggregate::new(&shipped("europe-200-sites.toml"));
    let k = continent.site_sketch_size();
    assert!(
        (MIN_SITE_SKETCH + 1..SKETCH_CAPACITY).contains(&k),
        "k = {k}"
    );
    assert!(continent.site_values_bound() <= SITE_SKETCH_VALUES);
    // What the budget leaves out never holds a value, and what a run holds is within what the
    // sizes promise: 300 replications of the EU scenario, past the point (256) where sketches
    // start compacting.
    let a = replicate(&s, 300, 2, Aggregate::new(&s), |a, _, chunk| {
        a.add_chunk(chunk)
    })
    .expect("threads start");
    assert_eq!(a.uncounted_cells_holding_values(), 0);
    let width = SITE_SERIES.len()
        + SOURCE_SERIES.len() * a.layout.sources.len()
        + SKU_SERIES.len() * a.layout.skus.len();
    let region_cells = (a.months() + 1) * width;
    let bound = a.site_values_bound() + region_cells * Quantiles::max_values(SKETCH_CAPACITY, 300);
    assert!(a.values_held() <= bound, "{} > {bound}", a.values_held());
    assert!(a.values_held() > 0);
}

#[test]
fn replications_are_folded_in_order() {
    use sovsim_core::engine::replicate::replicate;
    let order = replicate(&parse(FIXED), 150, 3, Vec::new(), |v, first, chunk| {
        v.extend(first..first + chunk.len() as u64)
    })
    .expect("threads start");
    assert_eq!(order, (0..150).collect::<Vec<u64>>());
}

#[test]
fn a_supply_cap_lets_through_its_quota_each_calendar_year_and_holds_the_rest() {
    let cap = 40_000.0;
    let s = parse(&format!(
        "{FIXED}\n[[supply_shocks]]\nid = \"cap\"\ncountry = \"FR\"\nfrom_date = 2026-01-01\ncap_h100e_per_year = {cap}\n"
    ));
    let weight = s.clusters[0].h100e_per_gpu;
    assert!(
        (weight - 2500.0 / 989.0).abs() < 1e-12,
        "GB300 dense BF16 over H100's"
    );
    let per_year = (cap / weight).floor() as u64;
    let r = buildout::run(&s, 0);
    let start = s.meta.start_date;
    let delivered: Vec<(String, u64)> = r
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::GpusDelivered { gpus, .. } => Some((t.date(start).to_string(), *gpus)),
            _ => None,
        })
        .collect();
    // Ordered 2026-03-01, due nine months later; then the rest on each 1 January.
    let due = SimTime(59 * 24 + hours(9.0)).date(start).to_string();
    let mut expected = vec![(due, per_year)];
    let mut left = 50_000 - per_year;
    for year in 2027.. {
        if left == 0 {
            break;
        }
        expected.push((format!("{year}-01-01"), left.min(per_year)));
        left -= left.min(per_year);
    }
    assert_eq!(expected.len(), 4, "15,824 a year: four deliveries");
    assert_eq!(delivered, expected);
    let held = r
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::GpusHeld { .. }))
        .count();
    assert_eq!(held, 3);
    assert!(
        r.waits_gpu_hours[0][5] > 0.0,
        "GPUs held past their planned date wait for GPUs"
    );
}

#[test]
fn a_refresh_orders_replacements_drawing_the_power_the_retired_gpus_freed() {
    let s = parse(&FIXED.replace(
        "useful_life_years = 6",
        "useful_life_years = 1\nrefresh = { sku = \"b200-hgx\", lead_time_months = 2, install_months = 1 }",
    ).replace("type = \"liquid-hall\"", "type = \"air-hall\"").replace("gb300-nvl72", "h100-sxm").replace("gpus = 50000", "gpus = 60000"));
    let refresh = s.clusters.len() - 1;
    assert_eq!(s.clusters[refresh].refresh_of.map(|c| c.index()), Some(0));
    // 60,000 H100 at 1.275 kW free 76.5 MW: room for 42,737 B200 at 1.79 kW.
    assert_eq!(s.clusters[refresh].gpus, 42_737);
    let r = buildout::run(&s, 0);
    let ordered: u64 = r
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::GpusOrdered { cluster, gpus } if cluster.index() == refresh => Some(*gpus),
            _ => None,
        })
        .sum();
    assert_eq!(ordered, 42_737);
    assert_eq!(r.gpus[0].retired, 60_000);
    assert!(
        r.gpus[refresh].energised > 0,
        "the replacements come online"
    );
    for month in &r.monthly {
        assert!(month[0].it_online_mw <= month[0].shell_it_mw + 1e-6);
    }
}

#[test]
fn a_second_refresh_replaces_the_first_as_its_gpus_retire_in_the_same_hall() {
    // H100 for a year, then B200 for a year, then B200 again: two refreshes in sequence.
    let s = parse(&FIXED.replace(
        "useful_life_years = 6",
        "useful_life_years = 1\nrefreshes = [\n  { sku = \"b200-hgx\", lead_time_months = 2, install_months = 1, useful_life_years = 1 },\n  { sku = \"b200-hgx\", lead_time_months = 2, install_months = 1 },\n]",
    ).replace("type = \"liquid-hall\"", "type = \"air-hall\"").replace("gb300-nvl72", "h100-sxm").replace("gpus = 50000", "gpus = 60000"));
    let n = s.clusters.len();
    let (first, second) = (n - 2, n - 1);
    assert_eq!(s.clusters[first].refresh_of.map(|c| c.index()), Some(0));
    assert_eq!(
        s.clusters[second].refresh_of.map(|c| c.index()),
        Some(first),
        "the second replaces the first"
    );
    assert!(s.clusters[second].id.ends_with(".refresh2"));
    // The same power: 42,737 B200 replace 60,000 H100, and 42,737 B200 replace those.
    assert_eq!(s.clusters[second].gpus, 42_737);
    let r = buildout::run(&s, 0);
    let ordered = |c: usize| -> u64 {
        r.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::GpusOrdered { cluster, gpus } if cluster.index() == c => Some(*gpus),
                _ => None,
            })
            .sum()
    };
    assert_eq!(ordered(first), 42_737);
    assert_eq!(
        r.gpus[first].retired, 42_737,
        "the first refresh retires in turn"
    );
    assert_eq!(ordered(second), 42_737);
    assert!(
        r.gpus[second].energised > 0,
        "the second generation comes online"
    );
    for month in &r.monthly {
        assert!(month[0].it_online_mw <= month[0].shell_it_mw + 1e-6);
    }
}

#[test]
fn failures_occur_at_the_catalog_rate_per_energised_gpu_day() {
    let s = eu();
    let r = buildout::run(&s, 2);
    // Energised GPU-days, rebuilt from the log.
    let mut energised = 0i64;
    let mut last = SimTime::ZERO;
    let mut gpu_days = 0.0;
    let mut failed = 0u64;
    let end = SimTime::ZERO.after_months(s.meta.horizon_years as f64 * 12.0);
    for (t, e) in &r.events {
        gpu_days += energised as f64 * (t.0 - last.0) as f64 / 24.0;
        last = *t;
        match *e {
            Event::ClusterEnergised { gpus, .. } => energised += gpus as i64,
            Event::ClusterRetired { gpus, .. } => energised -= gpus as i64,
            Event::GpusFailed { gpus, .. } => failed += gpus,
            _ => {}
        }
    }
    gpu_days += energised as f64 * (end.0 - last.0) as f64 / 24.0;
    let rate = s.clusters[0].failure_rate_per_gpu_day;
    let expected = rate * gpu_days;
    // Hundreds of thousands of failures: Poisson noise is well under 1 %.
    assert!(expected > 100_000.0, "{expected}");
    assert!(
        (failed as f64 - expected).abs() < 0.02 * expected,
        "{failed} failures, {expected:.0} expected"
    );
}

#[test]
fn stepping_a_month_at_a_time_gives_the_replication_run_at_once() {
    for name in ["eu-sovereign-2030.toml", "second-source-200mw.toml"] {
        let s = shipped(name);
        for replication in 0..2 {
            let whole = buildout::simulate(&s, replication, true);
            let mut stepper = buildout::Stepper::new(&s, replication, true);
            for month in 0..=stepper.months() {
                stepper.run_to_month(month);
                assert_eq!(stepper.recorded(), month + 1, "{name}: month {month}");
            }
            let stepped = stepper.finish();
            assert_eq!(
                format!("{stepped:?}"),
                format!("{whole:?}"),
                "{name}: replication {replication}"
            );
        }
    }
}
