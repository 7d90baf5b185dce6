//! Replications in parallel, with results that do not depend on the number of threads.
//!
//! Each replication depends only on the scenario and its index (its random streams are seeded from
//! both), so replications can run on any thread. Results are folded in replication order, a chunk
//! at a time: memory holds one chunk of replications, whatever the number of runs, and a chunk
//! holds fewer replications the more site-months each records ([`chunk_size`]).

use rayon::prelude::*;

use super::buildout::{self, Replication};
use super::time::SimTime;
use crate::model::Scenario;

/// Replications run in parallel before being folded, in order, into the result, at most.
const CHUNK: u64 = 64;

/// Site-months of monthly state a chunk may hold (64 replications of eight sites over twelve
/// years): a continent's replications come in smaller chunks, so memory stays bounded.
const CHUNK_SITE_MONTHS: u64 = 64 * 8 * 145;

/// Replications per chunk for `scenario`: as many as [`CHUNK_SITE_MONTHS`] allows, between 8 (work
/// for every core) and [`CHUNK`]. Chunking never changes results, only memory.
pub fn chunk_size(scenario: &Scenario) -> u64 {
    let site_months =
        (scenario.sites.len().max(1) * (scenario.meta.horizon_years as usize * 12 + 1)) as u64;
    (CHUNK_SITE_MONTHS / site_months).clamp(8, CHUNK)
}

/// Why replications could not run.
#[derive(Debug)]
pub struct ThreadPoolError(pub String);

impl std::fmt::Display for ThreadPoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot start the worker threads: {}", self.0)
    }
}

/// Runs replications `0..runs` on `threads` threads (0: one per core) and folds them, a chunk at a
/// time in replication order, into `acc` with `fold(acc, first replication of the chunk, chunk)`.
/// The fold runs on the same threads, so it may itself be parallel. Event logs are not kept.
///
/// # Errors
/// If the thread pool cannot be built.
pub fn replicate<A: Send>(
    scenario: &Scenario,
    runs: u64,
    threads: usize,
    acc: A,
    mut fold: impl FnMut(&mut A, u64, &[Replication]) + Send,
) -> Result<A, ThreadPoolError> {
    replicate_with(
        runs,
        threads,
        chunk_size(scenario),
        |r| buildout::simulate(scenario, r, false),
        acc,
        |a, first, chunk| fold(a, first, &chunk),
    )
}

/// As [`replicate`], `chunk` replications at a time, each made by `simulate` from its index (e.g.
/// with what the study layer couples to the engine), and each chunk handed to `fold` whole.
///
/// # Errors
/// If the thread pool cannot be built.
pub fn replicate_with<R: Send, A: Send>(
    runs: u64,
    threads: usize,
    chunk: u64,
    simulate: impl Fn(u64) -> R + Sync + Send,
    mut acc: A,
    mut fold: impl FnMut(&mut A, u64, Vec<R>) + Send,
) -> Result<A, ThreadPoolError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| ThreadPoolError(e.to_string()))?;
    let mut next = 0;
    while next < runs {
        let end = (next + chunk.max(1)).min(runs);
        pool.install(|| {
            let chunk: Vec<R> = (next..end).into_par_iter().map(&simulate).collect();
            fold(&mut acc, next, chunk);
        });
        next = end;
    }
    Ok(acc)
}

/// P10, P50 and P90 of a milestone over replications; `None` where that share of replications had
/// not reached it by the end of the horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percentiles {
    /// 10th percentile.
    pub p10: Option<SimTime>,
    /// Median.
    pub p50: Option<SimTime>,
    /// 90th percentile.
    pub p90: Option<SimTime>,
}

/// The `q`-quantile (in [0, 1]) of `sorted` values by nearest rank: the smallest value with at
/// least that share of values at or below it; `None` when there are none.
pub fn nearest_rank<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    let k = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(k.min(sorted.len()).checked_sub(1)?).copied()
}

/// Percentiles of milestone times (`None`: not reached within the horizon, counted as later than any time).
///
/// Uses the nearest-rank definition: the p-th percentile is the smallest value with at least p % of
/// the replications at or below it, so every reported date is one that a replication produced.
pub fn percentiles(times: &[Option<SimTime>]) -> Percentiles {
    let mut sorted: Vec<Option<SimTime>> = times.to_vec();
    // `None` sorts after every time: not reached within the horizon.
    sorted.sort_by_key(|t| t.map_or((1, 0), |t| (0, t.0)));
    let rank = |p: f64| nearest_rank(&sorted, p / 100.0).flatten();
    Percentiles {
        p10: rank(10.0),
        p50: rank(50.0),
        p90: rank(90.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_count_unreached_milestones_as_latest() {
        let times: Vec<Option<SimTime>> = (1..=10).map(|i| Some(SimTime(i))).collect();
        assert_eq!(
            percentiles(&times),
            Percentiles {
                p10: Some(SimTime(1)),
                p50: Some(SimTime(5)),
                p90: Some(SimTime(9))
            }
        );
        let mut late = times.clone();
        late[9] = None;
        late[8] = None;
        assert_eq!(percentiles(&late).p90, None, "two in ten never reached it");
        assert_eq!(
            percentiles(&[]),
            Percentiles {
                p10: None,
                p50: None,
                p90: None
            }
        );
    }
}
