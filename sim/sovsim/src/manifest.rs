//! `manifest.json`: what produced a run directory (version, command line, scenario files and hash,
//! seed, catalog version, wall time). The one file of a run directory that differs between two
//! identical runs, since it records when and how they ran, not what they found.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use sovsim_core::catalog::Catalog;
use sovsim_core::model::Scenario;
use sovsim_core::scenario::Loaded;
use sovsim_report::RunDir;

use crate::Failure;

#[derive(Serialize)]
struct Manifest<'a> {
    sovsim_version: &'a str,
    command: &'a str,
    command_line: Vec<String>,
    scenario_name: &'a str,
    scenario_files: Vec<&'a str>,
    scenario_sha256: &'a str,
    seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    threads: Option<usize>,
    catalog_version: &'a str,
    wall_time_s: f64,
}

/// How a run was made, beyond the scenario.
pub(crate) struct Invocation<'a> {
    /// Subcommand name.
    pub command: &'a str,
    /// Replications, for commands that run them.
    pub runs: Option<u64>,
    /// Worker threads, for commands that run replications.
    pub threads: Option<usize>,
    /// When the command started.
    pub started: Instant,
}

/// Writes `manifest.json` into `run`.
pub(crate) fn write(
    run: &RunDir,
    how: &Invocation,
    scenario: &Scenario,
    loaded: &Loaded,
    catalog: &Catalog,
) -> Result<PathBuf, Failure> {
    let manifest = Manifest {
        sovsim_version: sovsim_core::VERSION,
        command: how.command,
        command_line: std::env::args().collect(),
        scenario_name: &scenario.meta.name,
        scenario_files: loaded
            .sources
            .files()
            .iter()
            .map(|f| f.name.as_str())
            .collect(),
        scenario_sha256: &loaded.hash,
        seed: scenario.meta.seed,
        runs: how.runs,
        threads: how.threads,
        catalog_version: &catalog.version,
        wall_time_s: how.started.elapsed().as_secs_f64(),
    };
    Ok(run.write_json("manifest.json", &manifest)?)
}
