//! Benchmark of the report: rendering the EU scenario's run directory (15 charts as SVG and PNG,
//! `model.xlsx`, `report.pdf`) after the simulation. Target: at most 3 s.

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

fn eu_report(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("eu");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The simulation is set-up, not measured: the library writes the run directory once.
    let catalog = Catalog::embedded().expect("the shipped catalog");
    let loaded = scenario::load(
        &root.join("scenarios/eu-sovereign-2030.toml"),
        &Disk,
        &catalog,
        &[],
    );
    let stated = loaded.scenario.as_ref().expect("the EU scenario is valid");
    let cases = study::cases::scenarios(&loaded, &catalog, &[], stated).expect("its cases");
    let request = study::run::Request {
        runs: 200,
        ..Default::default()
    };
    let results =
        study::run::run(stated, &cases, &catalog, &request, &Silent).expect("the EU scenario runs");
    let dir = RunDir::create(&out).expect("a run directory");
    dir.write_contents(&sovsim_core::rundir::run::contents(&results))
        .expect("written");
    dir.write_json("manifest.json", &serde_json::json!({}))
        .expect("written");
    let template = Template::shipped();
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("eu_sovereign_2030_render", |b| {
        b.iter(|| sovsim_report::render(&out, &template).expect("the report renders"));
    });
    group.finish();
}

criterion_group!(benches, eu_report);
criterion_main!(benches);
