//! What users ask of a scenario, composed from the stages in one place: a run (replications, the
//! lender's base case, the representative replication, the tornado and the cases), a sensitivity,
//! a break-even, a comparison of buildouts. Each returns typed results; the binary writes and
//! prints them, and a Python binding or a server could call the same functions.
//!
//! [`pipeline`] is the one place where a replication goes engine → dispatch → finance. No I/O:
//! scenarios arrive loaded, and progress is reported through [`Progress`], which the caller draws
//! (or not).

pub mod cases;
pub mod compare;
pub mod defence;
pub mod flywheel;
pub mod pipeline;
pub mod run;
pub mod sensitivity;

/// Progress of a long question, reported as it goes; the binary draws a bar, tests ignore it.
/// Tasks run one after another; each starts, advances and finishes.
pub trait Progress: Sync {
    /// A task of `steps` steps starts, counting `what` ("replications", "evaluations").
    fn start(&self, _steps: u64, _what: &'static str) {}
    /// `n` more steps are done.
    fn advance(&self, _n: u64) {}
    /// The task needs `n` more steps than it announced (a search refining its answer).
    fn extend(&self, _n: u64) {}
    /// The task is over.
    fn finish(&self) {}
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A question that could not be answered, in words for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudyError(pub String);

impl std::fmt::Display for StudyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StudyError {}

impl From<crate::engine::replicate::ThreadPoolError> for StudyError {
    fn from(e: crate::engine::replicate::ThreadPoolError) -> Self {
        StudyError(e.to_string())
    }
}

/// A rayon pool of `threads` threads (0: one per core).
fn pool(threads: usize) -> Result<rayon::ThreadPool, StudyError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| StudyError(format!("cannot start the worker threads: {e}")))
}
