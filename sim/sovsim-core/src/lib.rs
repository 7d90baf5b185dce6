//! sovsim's core: the scenario language, the reference catalog, the domain model and diagnostics.
//!
//! Light dependencies only and no I/O: callers hand in file contents (see
//! [`scenario::SourceReader`]) and get back data or diagnostics.

pub mod assumptions;
pub mod catalog;
pub mod diagnostic;
pub mod dispatch;
pub mod engine;
pub mod finance;
pub mod model;
pub mod rundir;
pub mod scenario;
pub mod sovereignty;
pub mod study;
pub mod sweep;
pub mod text;
pub mod units;
pub mod validation;
pub mod workload;

/// The sovsim version, as written into manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
