//! Benchmark of the report: rendering the EU scenario's run directory (15 charts as SVG and PNG,
//! `model.xlsx`, `report.pdf`) after the simulation. Target: at most 3 s.

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use sovsim_report::typeset::Template;

fn eu_report(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("eu");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The simulation is set-up, not measured: the binary writes the run directory once.
    let status = Command::new(env!("CARGO_BIN_EXE_sovsim"))
        .current_dir(&root)
        .args([
            "run",
            "scenarios/eu-sovereign-2030.toml",
            "--runs",
            "200",
            "--out",
        ])
        .arg(&out)
        .status()
        .expect("sovsim runs");
    assert!(status.success(), "the EU scenario runs");
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
