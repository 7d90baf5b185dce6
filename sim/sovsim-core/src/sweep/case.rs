//! One case of a sweep run, and its result as a record: the case's inputs, the `sovsim run`
//! arguments that run it alone, and the `summary.json` figures the sweep keeps, exactly as that
//! run writes them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::plan::Case;
use super::spec::Spec;
use crate::catalog::Catalog;
use crate::rundir;
use crate::scenario::Loaded;
use crate::study::cases::Restated;
use crate::study::run::{Request, run};
use crate::study::{Silent, StudyError};

/// The scenario a case runs: a base scenario of the sweep, loaded once with the case's named
/// overrides (see [`super::check_scenarios`]) and shared by every case that applies them.
pub struct Base<'a> {
    /// The scenario file, as the sweep names it.
    pub file: &'a str,
    /// What loading it with the case's overrides read and found.
    pub loaded: &'a Loaded,
}

/// A case's result, as `cases/<id>.json` holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The sweep's name.
    pub sweep: String,
    /// The case's id.
    pub id: String,
    /// Its place in the plan.
    pub index: usize,
    /// Its seed.
    pub seed: u64,
    /// Its replications.
    pub runs: u64,
    /// Its base scenario file, as the sweep names it.
    pub scenario_file: String,
    /// Its base scenario's `name`.
    pub scenario: String,
    /// The reference catalog it ran with (`manifest.json`'s `catalog_version`: a hash of its files).
    pub catalog_version: String,
    /// The sovsim version that ran it.
    pub version: String,
    /// Named overrides applied.
    pub overrides: Vec<String>,
    /// The named case run, if not the scenario as stated.
    pub case: Option<String>,
    /// Lever changes, by lever name, in the order of the levers.
    pub changes: Vec<(String, f64)>,
    /// `sovsim run <scenario_file>` and these arguments run the case alone.
    pub run_arguments: Vec<String>,
    /// The `summary.json` keys kept, with the values that run writes (null where it writes null
    /// or has no such key).
    pub outputs: Map<String, Value>,
}

impl Record {
    /// Whether this record is the result of `case` as the plan has it now: same id, seed,
    /// replications, catalog, version and kept outputs. A record that is not must be run again.
    pub fn matches(&self, spec: &Spec, case: &Case, catalog: &Catalog) -> bool {
        self.id == case.id
            && self.index == case.index
            && self.seed == case.seed
            && self.runs == spec.runs
            && self.catalog_version == catalog.version
            && self.version == crate::VERSION
            && self.sweep == spec.name
            && self
                .outputs
                .keys()
                .map(String::as_str)
                .eq(sorted(spec.output_keys()))
    }
}

fn sorted(mut keys: Vec<&str>) -> Vec<&str> {
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Runs `case` of `spec` on `base` (its scenario with its overrides) with `threads` worker threads (results do not
/// depend on them): the same scenario, seed, changes and replications as `sovsim run` with the
/// case's arguments, reduced to the figures of `summary.json`.
///
/// # Errors
/// If the case's overrides or named case make the scenario invalid, or the threads cannot start.
pub fn run_case(
    spec: &Spec,
    case: &Case,
    base: &Base<'_>,
    catalog: &Catalog,
    threads: usize,
) -> Result<Record, StudyError> {
    let loaded = base.loaded;
    let Some(scenario) = &loaded.scenario else {
        return Err(StudyError(format!(
            "{}`{}` is not valid with the overrides {}",
            loaded.sources.render(&loaded.diagnostics),
            base.file,
            case.overrides_label()
        )));
    };
    let restated = Restated {
        seed: Some(case.seed),
        policy: None,
        changes: case.changes.clone(),
    };
    let (stated, cases) = restated.apply(loaded, catalog, &case.overrides, scenario)?;
    let request = Request {
        runs: spec.runs,
        threads,
        compare_dispatch: false,
        case: case.case.clone(),
        summary_only: true,
    };
    let results = run(&stated, &cases, catalog, &request, &Silent)?;
    let summary = rundir::run::summary_json(&results);
    let outputs = spec
        .output_keys()
        .into_iter()
        .map(|k| (k.to_owned(), summary.get(k).cloned().unwrap_or(Value::Null)))
        .collect();
    Ok(Record {
        sweep: spec.name.clone(),
        id: case.id.clone(),
        index: case.index,
        seed: case.seed,
        runs: spec.runs,
        scenario_file: base.file.to_owned(),
        scenario: scenario.meta.name.clone(),
        catalog_version: catalog.version.clone(),
        version: crate::VERSION.to_owned(),
        overrides: case.overrides.clone(),
        case: case.case.clone(),
        changes: case
            .changes
            .iter()
            .map(|(i, v)| (i.name().to_owned(), *v))
            .collect(),
        run_arguments: case.run_arguments(spec.runs),
        outputs,
    })
}
