//! `manifest.json`: what produced a directory (version, command line, scenario files and hash,
//! seed, catalog version, wall time). The one file that differs between two identical runs, since
//! it records when and how they ran, not what they found.

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Catalog;
use crate::model::Scenario;
use crate::scenario::Loaded;

/// How a directory was made, beyond the scenario.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Subcommand name.
    pub command: &'static str,
    /// The command line, program first.
    pub command_line: Vec<String>,
    /// Replications, for commands that run them.
    pub runs: Option<u64>,
    /// Worker threads, for commands that run replications.
    pub threads: Option<usize>,
    /// Seconds from the command's start until the manifest was made.
    pub wall_time_s: f64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    sovsim_version: &'a str,
    command: &'a str,
    command_line: &'a [String],
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

/// The manifest of a directory made by `how` from `scenario` (loaded as `loaded`).
pub fn manifest(
    how: &Invocation,
    scenario: &Scenario,
    loaded: &Loaded,
    catalog: &Catalog,
) -> Value {
    let manifest = Manifest {
        sovsim_version: crate::VERSION,
        command: how.command,
        command_line: &how.command_line,
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
        wall_time_s: how.wall_time_s,
    };
    // A struct of plain fields always serialises.
    serde_json::to_value(&manifest).unwrap_or_default()
}
