//! Benchmark of sweeps (issue 24): the 1,000 cases of `sweeps/quickstart-1000.toml` (a Latin
//! hypercube over the quickstart factory, 50 replications each) run as one shard on one thread,
//! and as two shards on two threads at once — what two array tasks of a scheduler do, without
//! the processes. Cases per minute are 60,000 / the time in ms; the speed-up is one over the
//! other. Results are not written: `sovsim sweep run` adds a small JSON file per case. Run with
//! `cargo bench -p sovsim-core --bench sweep`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sovsim_core::catalog::Catalog;
use sovsim_core::diagnostic::SourceMap;
use sovsim_core::scenario::{self, Loaded, SourceReader};
use sovsim_core::sweep::case::{Base, run_case};
use sovsim_core::sweep::plan::{Case, Shard, plan};
use sovsim_core::sweep::spec::{self, Spec};

struct Disk;

impl SourceReader for Disk {
    fn read(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

fn sweep() -> (Catalog, Spec, Vec<Loaded>, Vec<Case>) {
    let catalog = Catalog::embedded().unwrap_or_else(|_| panic!("the shipped catalog is valid"));
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sweeps/quickstart-1000.toml");
    let mut sources = SourceMap::default();
    let base = sources.add(
        file.display().to_string(),
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}")),
    );
    let (spec, problems) = spec::parse(&sources, base);
    let spec = spec.unwrap_or_else(|| panic!("{}", sources.render(&problems)));
    let folder: PathBuf = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let bases: Vec<Loaded> = spec
        .scenarios
        .iter()
        .map(|s| scenario::load(&folder.join(&s.value), &Disk, &catalog, &[]))
        .collect();
    let hashes: Vec<String> = bases.iter().map(|b| b.hash.clone()).collect();
    let cases = plan(&spec, &hashes);
    assert_eq!(cases.len(), 1000);
    (catalog, spec, bases, cases)
}

/// Runs the cases `shard` holds, one after another, and returns how many.
fn run_shard(
    catalog: &Catalog,
    spec: &Spec,
    bases: &[Loaded],
    cases: &[Case],
    shard: Shard,
) -> usize {
    let mut done = 0;
    for case in cases.iter().filter(|c| shard.holds(c.index)) {
        let base = Base {
            file: &spec.scenarios[case.scenario].value,
            loaded: &bases[case.scenario],
        };
        let record = run_case(spec, case, &base, catalog, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(record.id, case.id);
        done += 1;
    }
    done
}

fn quickstart_1000(c: &mut Criterion) {
    let (catalog, spec, bases, cases) = sweep();
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(120));
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("quickstart_1000_cases_one_shard", |b| {
        b.iter(|| run_shard(&catalog, &spec, &bases, &cases, Shard::ALL));
    });
    group.bench_function("quickstart_1000_cases_two_shards", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                let shards: Vec<_> = (0..2)
                    .map(|index| {
                        let (catalog, spec, bases, cases) = (&catalog, &spec, &bases, &cases);
                        s.spawn(move || {
                            run_shard(catalog, spec, bases, cases, Shard { index, count: 2 })
                        })
                    })
                    .collect();
                let done: usize = shards.into_iter().map(|h| h.join().unwrap_or(0)).sum();
                assert_eq!(done, 1000);
            });
        });
    });
    group.finish();
}

criterion_group!(benches, quickstart_1000);
criterion_main!(benches);
