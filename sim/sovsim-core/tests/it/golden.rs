//! Golden headline figures of every shipped scenario (GenX's golden objective values): the
//! `summary.json` figures a reader looks at first, for 20 replications with the scenario's seed,
//! kept in `tests/golden/<scenario>.txt`. A change that moves any of them fails here, listing each
//! figure that moved; when the change is meant, regenerate with
//! `SOVSIM_BLESS=1 cargo test -p sovsim-core --test it golden` and review the diff.
//!
//! Tolerance: numbers agree within 1e-6 of their size (1e-9 absolute near zero), which absorbs
//! floating-point noise across machines and nothing a reader would see; dates and words exactly.
//!
//! The same runs check every key of `summary.json`: documented, and null only where its
//! documentation says when (NaN and infinity, which JSON writes as null, never are).

use std::fmt::Write as _;

use serde_json::Value;
use sovsim_core::rundir;
use sovsim_core::study::{self, Silent};

use crate::{catalog, load, repo, shipped_scenarios};

/// Replications of each golden run: enough for stable P50s, few enough to take a second.
const RUNS: u64 = 20;

/// Relative tolerance of a number.
const RELATIVE: f64 = 1e-6;

/// The summary keys kept: exact names, or prefixes ending in `_`.
const KEPT: &[&str] = &[
    "planned_gpus",
    "planned_it_capacity_mw",
    "date_first_power_p50",
    "date_first_gpu_p50",
    "date_first_gw_p50",
    "date_full_capacity_p50",
    "date_full_capacity_p90",
    "it_capacity_mw_end_p50",
    "gpus_operational_end_p50",
    "energy_twh_total_p50",
    "emissions_mtco2_total_p50",
    "utilisation_mean_p50",
    "stranded_gpu_hours_share_p50",
    "gpu_hours_sold_total_p50",
    "tokens_served_total_p50",
    "training_runs_completed_p50",
    "sovereign_demand_served_share_",
    "reinvested_",
    "flywheel_revenue_gain_eur_",
    "capex_total_eur",
    "npv_eur",
    "npv_eur_p10",
    "npv_eur_p50",
    "npv_eur_p90",
    "project_irr",
    "equity_irr",
    "equity_irr_p50",
    "dscr_min",
    "dscr_min_p10",
    "llcr_min",
    "debt_eur",
    "equity_eur",
    "payback_years",
    "lcoc_eur_per_gpu_hour",
    "cost_eur_per_mtok",
    "debt_sizing_binding",
    "cod_date",
    "dscr_min_below_covenant_probability",
    "finance_checks_passed",
];

fn kept(key: &str) -> bool {
    KEPT.iter().any(|k| {
        if k.ends_with('_') {
            key.starts_with(k) && key.ends_with("_p50")
        } else {
            key == *k
        }
    })
}

/// The `summary.json` of a golden run of a shipped scenario.
fn summary(file: &std::path::Path) -> serde_json::Map<String, Value> {
    let loaded = load(file, &[]);
    let stated = loaded
        .scenario
        .clone()
        .expect("shipped scenarios are valid");
    let catalog = catalog();
    let cases = study::cases::scenarios(&loaded, &catalog, &[], &stated, &Default::default())
        .expect("cases");
    let request = study::run::Request {
        runs: RUNS,
        threads: 2,
        compare_dispatch: false,
        case: None,
        summary_only: false,
    };
    let results = study::run::run(&stated, &cases, &catalog, &request, &Silent).expect("runs");
    match rundir::run::contents(&results).json("summary.json") {
        Some(Value::Object(map)) => map,
        other => panic!("a summary object, not {other:?}"),
    }
}

/// The headline figures of a shipped scenario as `key = value` lines, keys in order.
fn figures(map: &serde_json::Map<String, Value>) -> String {
    let mut lines = String::new();
    for (key, value) in map.iter().filter(|(k, _)| kept(k)) {
        let _ = writeln!(lines, "{key} = {value}");
    }
    lines
}

/// Words with which a key's documentation says when it is empty.
const SAYS_WHEN_EMPTY: [&str; 5] = ["null", "empty", "not reached", "absent", "none"];

/// Whether two values of a golden line agree: numbers within the tolerance, the rest exactly.
fn agree(golden: &str, found: &str) -> bool {
    match (golden.parse::<f64>(), found.parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() <= RELATIVE * a.abs().max(b.abs()) + 1e-9,
        _ => golden == found,
    }
}

#[test]
fn golden_headline_figures_of_every_shipped_scenario() {
    let bless = std::env::var_os("SOVSIM_BLESS").is_some();
    let mut moved = Vec::new();
    for file in shipped_scenarios() {
        let name = file
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let golden_path = repo().join(format!("sim/sovsim-core/tests/golden/{name}.txt"));
        let map = summary(&file);
        // No documented key is null unless its documentation says when: an IRR that does not
        // exist, a milestone not reached. NaN and infinity, which JSON writes as null, never are.
        for (key, value) in &map {
            let Some(doc) = rundir::schema::summary_key(key) else {
                moved.push(format!("{name}: {key} is not documented"));
                continue;
            };
            if value.is_null() && !SAYS_WHEN_EMPTY.iter().any(|w| doc.meaning.contains(w)) {
                moved.push(format!(
                    "{name}: {key} is null, and its documentation does not say when: {}",
                    doc.meaning
                ));
            }
        }
        let found = figures(&map);
        let header = format!(
            "# Golden headline figures of scenarios/{name}.toml: {RUNS} replications, the scenario's seed.\n# Numbers agree within {RELATIVE:e} of their size; dates and words exactly (tests/it/golden.rs).\n"
        );
        if bless {
            std::fs::write(&golden_path, format!("{header}{found}")).expect("write golden file");
            continue;
        }
        let golden = std::fs::read_to_string(&golden_path).unwrap_or_default();
        let golden: Vec<(&str, &str)> = golden
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(" = "))
            .collect();
        let found: Vec<(&str, &str)> = found.lines().filter_map(|l| l.split_once(" = ")).collect();
        for (key, value) in &found {
            match golden.iter().find(|(k, _)| k == key) {
                Some((_, g)) if agree(g, value) => {}
                Some((_, g)) => moved.push(format!("{name}: {key} was {g}, is {value}")),
                None => moved.push(format!("{name}: {key} is new ({value})")),
            }
        }
        for (key, g) in &golden {
            if !found.iter().any(|(k, _)| k == key) {
                moved.push(format!("{name}: {key} was {g}, is gone"));
            }
        }
    }
    assert!(
        moved.is_empty(),
        "headline figures moved:\n  {}\nif the change is meant, regenerate with `SOVSIM_BLESS=1 cargo test -p sovsim-core --test it golden` and review the diff",
        moved.join("\n  ")
    );
}

/// Every file of a run of `scenarios/neocloud-1.3gw.toml` (its contents, before encoding) with
/// `runs` replications on `threads` threads and seed `seed`.
fn contents(runs: u64, threads: usize, seed: u64) -> rundir::Contents {
    let loaded = load(&repo().join("scenarios/neocloud-1.3gw.toml"), &[]);
    let mut stated = loaded.scenario.clone().expect("valid");
    stated.meta.seed = seed;
    let catalog = catalog();
    let cases = study::cases::scenarios(&loaded, &catalog, &[], &stated, &Default::default())
        .expect("cases");
    let request = study::run::Request {
        runs,
        threads,
        compare_dispatch: false,
        case: None,
        summary_only: false,
    };
    let results = study::run::run(&stated, &cases, &catalog, &request, &Silent).expect("runs");
    rundir::run::contents(&results)
}

#[test]
fn a_run_is_the_same_on_one_and_four_threads_and_another_seed_differs() {
    // More replications than one parallel chunk (64), so that chunks are folded in order.
    let one = contents(70, 1, 7);
    let four = contents(70, 4, 7);
    assert_eq!(one.json, four.json, "summary.json");
    for ((name, a), (_, b)) in one.tables.iter().zip(&four.tables) {
        assert!(a == b, "{name} differs between 1 and 4 threads");
    }
    assert_eq!(one.tables.len(), four.tables.len());
    assert_ne!(
        contents(70, 2, 8).json,
        one.json,
        "another seed draws other durations"
    );
}
