//! Criterion benchmark of the optimiser at the size the issue sets: the EU scenario extended to
//! 40 candidate sites, 8 power technologies (grid and seven on-site), 6 GPU SKUs and 10 yearly
//! periods. `build` times the model construction alone; `solve` the whole optimisation (HiGHS to
//! a 1 % gap, then the LP with integers fixed for the duals).
//!
//! Set `SOVSIM_WRITE_BENCH_SCENARIO=PATH` to write the generated scenario instead (to run
//! `sovsim optimize` on it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use sovsim_core::catalog::Catalog;
use sovsim_core::model::Scenario;
use sovsim_core::scenario::{self, SourceReader};

struct Memory(BTreeMap<PathBuf, String>);

impl SourceReader for Memory {
    fn read(&self, path: &Path) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "not found".to_owned())
    }
}

const COUNTRIES: [&str; 8] = ["FR", "DE", "NL", "SE", "FI", "ES", "IT", "PL"];
const POWER: [&str; 7] = [
    "ccgt",
    "ocgt",
    "recip-engine",
    "solar-battery",
    "wind-onshore",
    "nuclear-ppa",
    "smr",
];
const SKUS: [&str; 6] = [
    "h100-sxm",
    "h200-sxm",
    "b200-hgx",
    "gb200-nvl72",
    "gb300-nvl72",
    "mi300x",
];
const OPERATORS: [&str; 5] = [
    "eu-sovereign-cloud",
    "de-consortium",
    "nordic-compute",
    "us-hyperscaler-eu",
    "gulf-backed-ai",
];

/// The EU scenario with its eight sites replaced by 40 generated candidates.
fn scenario_text() -> String {
    let eu = include_str!("../../../scenarios/eu-sovereign-2030.toml");
    let head = &eu[..eu.find("[[sites]]").expect("sites")];
    let tail = &eu[eu.find("[[tiers]]").expect("tiers")..];
    let mut s = String::from(head);
    for i in 0..40 {
        let country = COUNTRIES[i % COUNTRIES.len()];
        let id = format!("site-{i:02}");
        let max_it = 400 + 100 * (i % 5);
        s += &format!(
            "[[sites]]\nid = \"{id}\"\ncountry = \"{country}\"\narea_ha = {}\nland_price_eur_per_ha = {}\nmax_it_mw = {max_it}\nacquisition_months = {}\npermit_months = {{ dist = \"pert\", min = 9, mode = {}, max = 30, factor = \"permitting\" }}\n\n",
            max_it * 30 / 100 + 20,
            100_000 + 10_000 * (i % 7),
            3 + i % 6,
            12 + i % 6,
        );
        s += &format!(
            "[[grid_connections]]\nid = \"{id}-grid\"\nsite = \"{id}\"\ncapacity_mw = {}\nqueue_wait_months = {{ dist = \"pert\", min = 12, mode = {}, max = 84, factor = \"grid-delay\" }}\n\n",
            max_it / 2 + 50 * (i % 4),
            24 + 6 * (i % 6),
        );
        // Seven on-site technologies per site, each up to a quarter of the site's IT.
        for tech in POWER {
            s += &format!(
                "[[power_assets]]\nid = \"{id}-{tech}\"\nsite = \"{id}\"\ntech = \"{tech}\"\ncapacity_mw = {}\nenergy_price_eur_per_mwh = {}\n",
                max_it / 4,
                match tech {
                    "ccgt" => 50,
                    "ocgt" => 70,
                    "recip-engine" => 65,
                    "nuclear-ppa" => 70,
                    "smr" => 30,
                    _ => 0,
                },
            );
            // ESTIMATE (benchmark only): figures the catalog lacks, so that every technology
            // is a candidate; they size the problem, they are not advice.
            s += match tech {
                "recip-engine" => {
                    "overrides = { capex_per_kw = 594, life_years = 25, efficiency = 0.42 }\n"
                }
                "solar-battery" | "wind-onshore" => {
                    "build_months = 18\noverrides = { life_years = 25 }\n"
                }
                "nuclear-ppa" => "build_months = 12\n",
                "smr" => "overrides = { life_years = 60 }\n",
                _ => "",
            };
            s += "\n";
        }
        s += &format!(
            "[[shells]]\nid = \"{id}-hall\"\nsite = \"{id}\"\ntype = \"liquid-hall\"\nphases = [{}]\n\n",
            vec!["{ it_mw = 100, build_months = { dist = \"triangular\", min = 18, mode = 24, max = 36, factor = \"construction\" } }"; max_it / 100].join(", ")
        );
        // Six SKUs, each offered by one of the operators in turn.
        for (k, sku) in SKUS.iter().enumerate() {
            let operator = OPERATORS[(i + k) % OPERATORS.len()];
            s += &format!(
                "[[clusters]]\nid = \"{id}-{sku}\"\nshell = \"{id}-hall\"\noperator = \"{operator}\"\nsku = \"{sku}\"\ngpus = 72\norder_date = 2027-04-01\nrepair_days = 3\nlead_time_months = {{ dist = \"pert\", min = 6, mode = 9, max = 18, factor = \"gpu-supply\" }}\ninstall_months = 2\n"
            );
            if *sku == "h200-sxm" {
                // ESTIMATE (benchmark only): no public H200 price in the catalog; the H100's.
                s += "overrides = { price_per_gpu = 30000 }\n";
            }
            s += "\n";
        }
    }
    // ESTIMATE (benchmark only): one rent for every SKU, in place of the EU scenario's prices and
    // release dates (which name its own SKUs); its contracts name its own clusters, so they go too.
    let prices: Vec<String> = SKUS.iter().map(|k| format!("{k} = 4.0")).collect();
    let tail: String = tail
        .split("\n\n")
        .filter(|block| !block.lines().any(|l| l == "[[contracts]]"))
        .collect::<Vec<_>>()
        .join("\n\n")
        .lines()
        .filter(|l| !l.starts_with("gpu_release_date = "))
        .map(|l| {
            if l.starts_with("gpu_hour_price_eur = ") {
                format!("gpu_hour_price_eur = {{ {} }}", prices.join(", "))
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // ESTIMATE (benchmark only): the SMR's capex is in Canadian dollars.
    let tail = tail.replace(
        "eur_per_currency = { USD = 0.87 }",
        "eur_per_currency = { USD = 0.87, CAD = 0.63 }",
    );
    s += &tail;
    s += "\n[optimize]\nperiods = 10\n";
    s
}

fn load() -> Scenario {
    let catalog = Catalog::embedded().expect("embedded catalog");
    let reader = Memory(BTreeMap::from([(
        PathBuf::from("eu40.toml"),
        scenario_text(),
    )]));
    let loaded = scenario::load(Path::new("eu40.toml"), &reader, &catalog, &[]);
    assert!(
        !loaded.has_errors(),
        "{}",
        loaded.sources.render(&loaded.diagnostics)
    );
    loaded.scenario.expect("valid")
}

fn bench(c: &mut Criterion) {
    if let Ok(path) = std::env::var("SOVSIM_WRITE_BENCH_SCENARIO") {
        std::fs::write(path, scenario_text()).expect("write");
        return;
    }
    let s = load();
    let size = sovsim_optimise::model_size(&s).expect("builds");
    assert!(size.integer_columns > 0 && size.rows > 1000);
    let mut group = c.benchmark_group("optimise/eu_40_sites");
    group.bench_function("build", |b| b.iter(|| sovsim_optimise::model_size(&s)));
    group.sample_size(10);
    group.bench_function("solve", |b| b.iter(|| sovsim_optimise::optimise(&s)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
