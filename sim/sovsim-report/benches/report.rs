//! Benchmarks of the report: rendering the EU scenario's run directory (15 charts as SVG and PNG,
//! `model.xlsx`, `report.pdf`) after the simulation (target: at most 3 s), and the whole of
//! `sovsim run eu-sovereign-2030 --runs 1000` — replications, dispatch, finance, the base case,
//! tornado and cases, the run directory and its report (target: at most 3 s on two cores).

use std::path::Path;

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

/// Loads the EU scenario, runs `runs` replications with everything `sovsim run` computes, and
/// writes the run directory `out` (without its report).
fn write_eu_run(catalog: &Catalog, runs: u64, out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let loaded = scenario::load(
        &root.join("scenarios/eu-sovereign-2030.toml"),
        &Disk,
        catalog,
        &[],
    );
    let stated = loaded.scenario.as_ref().expect("the EU scenario is valid");
    let cases = study::cases::scenarios(&loaded, catalog, &[], stated).expect("its cases");
    let request = study::run::Request {
        runs,
        ..Default::default()
    };
    let results =
        study::run::run(stated, &cases, catalog, &request, &Silent).expect("the EU scenario runs");
    let dir = RunDir::create(out).expect("a run directory");
    dir.write_contents(&sovsim_core::rundir::run::contents(&results))
        .expect("written");
    dir.write_json("manifest.json", &serde_json::json!({}))
        .expect("written");
}

/// `sovsim run scenarios/eu-sovereign-2030.toml --runs 1000` as the binary runs it, less printing.
fn eu_run_thousand(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let catalog = Catalog::embedded().expect("the shipped catalog");
    let template = Template::shipped();
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    let mut k = 0;
    group.bench_function("eu_sovereign_2030_1000_runs_with_report", |b| {
        b.iter(|| {
            k += 1;
            let out = dir.path().join(format!("run-{k}"));
            write_eu_run(&catalog, 1000, &out);
            sovsim_report::render(&out, &template).expect("the report renders")
        });
    });
    group.finish();
}

fn eu_report(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("eu");
    // The simulation is set-up, not measured: the library writes the run directory once.
    let catalog = Catalog::embedded().expect("the shipped catalog");
    write_eu_run(&catalog, 200, &out);
    let template = Template::shipped();
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("eu_sovereign_2030_render", |b| {
        b.iter(|| sovsim_report::render(&out, &template).expect("the report renders"));
    });
    group.finish();
}

criterion_group!(benches, eu_report, eu_run_thousand);
criterion_main!(benches);
