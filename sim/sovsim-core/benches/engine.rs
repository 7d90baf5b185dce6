//! Benchmarks of the engine's core. Target (issue 3): the event queue sustains at least 10 million
//! events per second on the classic hold model. Run with `cargo bench -p sovsim-core`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sovsim_core::engine::queue::EventQueue;
use sovsim_core::engine::random::Stream;
use sovsim_core::engine::time::SimTime;

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

criterion_group!(benches, hold);
criterion_main!(benches);
