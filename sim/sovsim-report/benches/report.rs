//! Benchmarks of the report: rendering the EU scenario's run directory (15 charts as SVG and PNG,
//! `model.xlsx`, `report.pdf`) after the simulation (target: at most 3 s), and the whole of
//! `sovsim run` at 1,000 replications — replications, dispatch, finance, the base case, tornado
//! and cases, the run directory and its report — for `eu-sovereign-2030` (target: at most 3 s on
//! two cores) and for the 200 sites of `europe-200-sites` (target: at most 60 s; its peak memory,
//! at most 1 GB, is measured on the binary with `/usr/bin/time -v`).

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sovsim_core::catalog::Catalog;
use sovsim_core::scenario::{self, SourceReader};
use sovsim_core::study::{self, Silent};
use sovsim_report::RunDir;
use sovsim_report::typeset::Template;

struct Disk;

impl SourceReader for Disk {
    fn read(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// Loads a shipped scenario, runs `runs` replications with everything `sovsim run` computes, and
/// writes the run directory `out` (without its report).
fn write_run(catalog: &Catalog, file: &str, runs: u64, out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let loaded = scenario::load(&root.join("scenarios").join(file), &Disk, catalog, &[]);
    let stated = loaded
        .scenario
        .as_ref()
        .expect("a shipped scenario is valid");
    let cases = study::cases::scenarios(&loaded, catalog, &[], stated, &Default::default())
        .expect("its cases");
    let request = study::run::Request {
        runs,
        ..Default::default()
    };
    let results =
        study::run::run(stated, &cases, catalog, &request, &Silent).expect("the scenario runs");
    let dir = RunDir::create(out).expect("a run directory");
    dir.write_contents(&sovsim_core::rundir::run::contents(&results))
        .expect("written");
    dir.write_json("manifest.json", &serde_json::json!({}))
        .expect("written");
}

/// `sovsim run scenarios/<file> --runs 1000` as the binary runs it, less printing.
fn run_thousand(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let catalog = Catalog::embedded().expect("the shipped catalog");
    let template = Template::shipped();
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    let mut k = 0;
    for (name, file, seconds) in [
        (
            "eu_sovereign_2030_1000_runs_with_report",
            "eu-sovereign-2030.toml",
            20,
        ),
        (
            "europe_200_sites_1000_runs_with_report",
            "europe-200-sites.toml",
            500,
        ),
    ] {
        // Ten samples of one run each: a continent's run is most of a minute.
        group.measurement_time(Duration::from_secs(seconds));
        group.bench_function(name, |b| {
            b.iter(|| {
                k += 1;
                let out = dir.path().join(format!("run-{k}"));
                write_run(&catalog, file, 1000, &out);
                sovsim_report::render(&out, &template).expect("the report renders");
                // Runs of a continent are large: keep one on disk at a time.
                std::fs::remove_dir_all(&out).expect("removed")
            });
        });
    }
    group.finish();
}

fn eu_report(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("eu");
    // The simulation is set-up, not measured: the library writes the run directory once.
    let catalog = Catalog::embedded().expect("the shipped catalog");
    write_run(&catalog, "eu-sovereign-2030.toml", 200, &out);
    let template = Template::shipped();
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("eu_sovereign_2030_render", |b| {
        b.iter(|| sovsim_report::render(&out, &template).expect("the report renders"));
    });
    group.finish();
}

criterion_group!(benches, eu_report, run_thousand);
criterion_main!(benches);
