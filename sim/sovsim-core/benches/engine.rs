//! Benchmarks of the engine. Targets (issue 3): the event queue sustains at least 10 million events
//! per second on the classic hold model; one replication of `scenarios/eu-sovereign-2030.toml`
//! (monthly, full horizon) takes at most 50 ms. Issue 4: dispatching one replication adds at most
//! 50 % to its time. Issue 5: the financial model adds at most 5 ms to one replication. Issue 21:
//! a replication with a reinvestment rule on takes at most twice one with it off. Run with
//! `cargo bench -p sovsim-core`.

use std::path::Path;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sovsim_core::catalog::Catalog;
use sovsim_core::engine::buildout;
use sovsim_core::engine::queue::EventQueue;
use sovsim_core::engine::random::Stream;
use sovsim_core::engine::time::SimTime;
use sovsim_core::model::Scenario;
use sovsim_core::scenario::{self, SourceReader};

/// Events handled per measured batch.
const HOLDS: u64 = 1_000_000;

/// The hold model: a queue kept at a steady population; each step takes the earliest event out and
/// schedules one at a random delay after it.
fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue_hold");
    group.throughput(Throughput::Elements(HOLDS));
    for population in [1_000usize, 100_000] {
        group.bench_function(format!("population_{population}"), |b| {
            b.iter_batched(
                || {
                    let mut stream = Stream::new(1, 0, "bench", "hold");
                    let delays: Vec<i64> = (0..HOLDS)
                        .map(|_| (stream.uniform() * 1000.0) as i64)
                        .collect();
                    let mut queue = EventQueue::with_capacity(population + 1);
                    for i in 0..population {
                        queue
                            .schedule(SimTime(delays[i % delays.len()]), i as u32)
                            .expect("future");
                    }
                    (queue, delays)
                },
                |(mut queue, delays)| {
                    for delay in &delays {
                        let (now, event) = queue.pop().expect("the population never drains");
                        queue
                            .schedule(SimTime(now.0 + delay), event)
                            .expect("future");
                    }
                    queue
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

struct Disk;

impl SourceReader for Disk {
    fn read(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

fn eu_scenario() -> Scenario {
    let catalog = Catalog::embedded().unwrap_or_else(|_| panic!("the shipped catalog is valid"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/eu-sovereign-2030.toml");
    scenario::load(&path, &Disk, &catalog, &[])
        .scenario
        .expect("the shipped scenario is valid")
}

/// One replication of the EU scenario: 8 sites, 16 clusters, 12 years of monthly state.
fn eu_replication(c: &mut Criterion) {
    let scenario = eu_scenario();
    let mut replication = 0;
    c.bench_function("eu_sovereign_2030_one_replication", |b| {
        b.iter(|| {
            replication += 1;
            buildout::run(&scenario, replication)
        });
    });
}

/// A thousand replications of the EU scenario on every core, folded into P10/P50/P90 of every
/// monthly series, milestone and delay (what `sovsim run --runs 1000` computes).
fn eu_thousand_replications(c: &mut Criterion) {
    use sovsim_core::engine::aggregate::Aggregate;
    use sovsim_core::engine::replicate::replicate;
    let scenario = eu_scenario();
    let mut group = c.benchmark_group("eu_sovereign_2030");
    group.sample_size(10);
    group.bench_function("thousand_replications", |b| {
        b.iter(|| {
            replicate(
                &scenario,
                1000,
                0,
                Aggregate::new(&scenario),
                |a, _, chunk| a.add_chunk(chunk),
            )
            .expect("threads start")
        });
    });
    group.finish();
}

/// Dispatch of one EU replication: demand draws and the monthly matching, under one policy and
/// under both (`--compare-dispatch`), against the replication it dispatches.
fn eu_dispatch(c: &mut Criterion) {
    use sovsim_core::dispatch::{self, Setup};
    use sovsim_core::model::Policy;
    let scenario = eu_scenario();
    let replication = buildout::simulate(&scenario, 1, false);
    let setups: Vec<Setup> = Policy::ALL
        .iter()
        .map(|p| Setup::new(&scenario, *p))
        .collect();
    let mut group = c.benchmark_group("eu_sovereign_2030_dispatch");
    let mut r = 0;
    group.bench_function("replication_without_dispatch", |b| {
        b.iter(|| {
            r += 1;
            buildout::simulate(&scenario, r, false)
        });
    });
    group.bench_function("siloed", |b| {
        b.iter(|| {
            let draws = dispatch::draw(&scenario, 1);
            dispatch::dispatch(
                &scenario,
                &setups[0],
                &replication.operational_gpu_hours,
                &draws,
            )
        });
    });
    group.bench_function("both_policies", |b| {
        b.iter(|| {
            let draws = dispatch::draw(&scenario, 1);
            setups
                .iter()
                .map(|s| {
                    dispatch::dispatch(&scenario, s, &replication.operational_gpu_hours, &draws)
                })
                .collect::<Vec<_>>()
        });
    });
    group.finish();
}

/// The financial model of one EU replication (inputs from the simulation and dispatch, waterfall,
/// figures) with the base case's debt; and sizing the debt on the base case, which a run does once.
fn eu_finance(c: &mut Criterion) {
    use sovsim_core::study::pipeline::{self, Pipeline};
    let scenario = eu_scenario();
    let policy = scenario.dispatch.policy;
    let replication = buildout::simulate(&scenario, 1, false);
    let base = pipeline::base_case(&scenario, policy).expect("the EU scenario is financed");
    let pipeline = Pipeline::new(&scenario, &[policy], Some(&base.financing));
    let outcome = pipeline.dispatch(1, &replication).remove(0);
    let mut group = c.benchmark_group("eu_sovereign_2030_finance");
    group.bench_function("one_replication", |b| {
        b.iter(|| pipeline.finance(1, &replication, &outcome));
    });
    group.sample_size(10);
    group.bench_function("base_case_with_sizing", |b| {
        b.iter(|| pipeline::base_case(&scenario, policy));
    });
    group.finish();
}

/// One replication of the flywheel scenario through the pipeline (engine, dispatch, financial
/// model with the base case's debt): the engine alone, as with reinvestment off, against the
/// engine, dispatch and financial inputs advanced together month by month with the rule ordering
/// GPUs from each quarter's margin; and the side-by-side with and without it a run adds.
fn flywheel(c: &mut Criterion) {
    use sovsim_core::study::pipeline::{self, Pipeline};
    let catalog = Catalog::embedded().unwrap_or_else(|_| panic!("the shipped catalog is valid"));
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/flywheel-inference-60mw.toml");
    let scenario = scenario::load(&path, &Disk, &catalog, &[])
        .scenario
        .expect("the shipped scenario is valid");
    let policy = scenario.dispatch.policy;
    let base = pipeline::base_case(&scenario, policy).expect("financed");
    let pipeline = Pipeline::new(&scenario, &[policy], Some(&base.financing));
    let mut group = c.benchmark_group("flywheel_inference_60mw");
    let mut r = 0;
    group.bench_function("replication_reinvestment_off", |b| {
        b.iter(|| {
            r += 1;
            let rep = buildout::simulate(&scenario, r, false);
            pipeline.through(r, &rep)
        });
    });
    group.bench_function("replication_reinvestment_on", |b| {
        b.iter(|| {
            r += 1;
            let (rep, _) = pipeline.simulate(r, false);
            pipeline.through(r, &rep)
        });
    });
    // The same orders replayed into the engine alone: what the GPUs bought cost to simulate,
    // without the month-by-month coupling that decided them.
    let orders: Vec<_> = (1..=16).map(|r| pipeline.simulate(r, false).1).collect();
    group.bench_function("replication_orders_replayed", |b| {
        b.iter(|| {
            r += 1;
            let k = (r % 16) as usize;
            let mut stepper = buildout::Stepper::new(&scenario, k as u64 + 1, false);
            for o in &orders[k].orders {
                stepper.run_to_month(o.month);
                stepper.order(o.cluster, o.gpus);
            }
            let rep = stepper.finish();
            pipeline.through(k as u64 + 1, &rep)
        });
    });
    // The EU programme with its sovereign operator reinvesting 30 % of its operating cash in
    // Vera Rubin in every campus (where room is left), against the programme as stated.
    let eu = eu_scenario();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/eu-sovereign-2030.toml"),
    )
    .expect("the shipped scenario reads");
    let halls: Vec<String> = eu.shells.iter().map(|h| format!("\"{}\"", h.id)).collect();
    let with_rule = format!(
        "{text}\n[[reinvestments]]\nid = \"bench\"\noperator = \"eu-sovereign-cloud\"\nbasis = \"operating_cash\"\nshare = 0.3\nsku = \"vera-rubin-nvl72\"\nmin_order_gpus = 1152\nhalls = [{}]\nlead_time_months = 9\nrepair_days = 3\n",
        halls.join(", ")
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/eu-bench.toml");
    let reader = scenario::InMemory(std::collections::BTreeMap::from([(
        path.clone(),
        with_rule,
    )]));
    let eu_rule = scenario::load(&path, &reader, &catalog, &[])
        .scenario
        .expect("the EU scenario with a rule is valid");
    for (name, s) in [
        ("eu_replication_reinvestment_off", &eu),
        ("eu_replication_reinvestment_on", &eu_rule),
    ] {
        let policy = s.dispatch.policy;
        let base = pipeline::base_case(s, policy).expect("financed");
        let p = Pipeline::new(s, &[policy], Some(&base.financing));
        group.bench_function(name, |b| {
            b.iter(|| {
                r += 1;
                let (rep, _) = p.simulate(r, false);
                p.through(r, &rep)
            });
        });
    }
    group.bench_function("replication_on_with_side_by_side", |b| {
        b.iter(|| {
            r += 1;
            let (rep, done) = pipeline.simulate(r, false);
            let case = pipeline.through(r, &rep).1.expect("financed");
            let wheel = pipeline.flywheel(r, &rep, &case.inputs, &done);
            (case, wheel)
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    flywheel,
    hold,
    eu_replication,
    eu_thousand_replications,
    eu_dispatch,
    eu_finance
);
criterion_main!(benches);
