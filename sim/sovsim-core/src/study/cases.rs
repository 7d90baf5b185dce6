//! Named cases (`[cases.NAME]`) as scenarios: each case's overrides applied to the files already
//! loaded (in memory: nothing is read again), then its input changes, with the seed and dispatch
//! policy of the scenario as stated.

use super::StudyError;
use crate::catalog::Catalog;
use crate::diagnostic::did_you_mean;
use crate::model::{CaseSpec, Input, Policy, Scenario};
use crate::scenario::{Loaded, reload};

/// How the command line restates a scenario before it runs: what `sovsim run` and a sweep's case
/// change of the scenario as loaded.
#[derive(Clone, Debug, Default)]
pub struct Restated {
    /// The seed of every random stream, if not the scenario's.
    pub seed: Option<u64>,
    /// The dispatch policy, if not the scenario's.
    pub policy: Option<Policy>,
    /// Lever changes (`--change`), applied as if the file stated them: the debt is sized on the
    /// scenario so changed, and every named case starts from it.
    pub changes: Vec<(Input, f64)>,
}

impl Restated {
    /// `scenario` (loaded from `loaded`) restated, and its named cases: see [`scenarios`].
    ///
    /// # Errors
    /// As [`scenarios`].
    pub fn apply(
        &self,
        loaded: &Loaded,
        catalog: &Catalog,
        overrides: &[String],
        scenario: &Scenario,
    ) -> Result<(Scenario, Vec<(CaseSpec, Scenario)>), StudyError> {
        let mut stated = self.restate(scenario.clone());
        if let Some(p) = self.policy {
            stated.dispatch.policy = p;
        }
        let cases = scenarios(loaded, catalog, overrides, &stated, self)?;
        Ok((stated, cases))
    }

    fn restate(&self, scenario: Scenario) -> Scenario {
        let mut s = if self.changes.is_empty() {
            scenario
        } else {
            scenario.with_changes(&self.changes)
        };
        if let Some(seed) = self.seed {
            s.meta.seed = seed;
        }
        s
    }
}

/// Each declared case of `stated` as a scenario. `loaded` is what `stated` was loaded from, with
/// the command line's `overrides`; `stated` is it `restated` (a case loaded again with overrides
/// of its own is restated the same way).
///
/// # Errors
/// If a case's overrides make the scenario invalid; the message carries the diagnostics.
pub fn scenarios(
    loaded: &Loaded,
    catalog: &Catalog,
    overrides: &[String],
    stated: &Scenario,
    restated: &Restated,
) -> Result<Vec<(CaseSpec, Scenario)>, StudyError> {
    let mut out = Vec::new();
    for case in &stated.cases {
        let mut s = if case.overrides.is_empty() {
            stated.clone()
        } else {
            let all: Vec<String> = overrides.iter().chain(&case.overrides).cloned().collect();
            let again = reload(loaded, catalog, &all);
            let Some(s) = again.scenario else {
                return Err(StudyError(format!(
                    "{}case `{}` of `{}` is not valid with its overrides",
                    again.sources.render(&again.diagnostics),
                    case.name,
                    stated.meta.name
                )));
            };
            restated.restate(s)
        };
        s.meta.seed = stated.meta.seed;
        s.dispatch.policy = stated.dispatch.policy;
        out.push((case.clone(), s.with_changes(&case.changes)));
    }
    Ok(out)
}

/// The case called `name` among `cases`.
///
/// # Errors
/// If there is none, with the names there are and the closest one.
pub fn find<'a>(
    stated: &Scenario,
    cases: &'a [(CaseSpec, Scenario)],
    name: &str,
) -> Result<&'a Scenario, StudyError> {
    if let Some((_, s)) = cases.iter().find(|(c, _)| c.name == name) {
        return Ok(s);
    }
    let names: Vec<&str> = stated.cases.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        return Err(StudyError(format!(
            "no case named `{name}`: `{}` declares no `[cases.NAME]`",
            stated.meta.name
        )));
    }
    let hint = did_you_mean(name, names.iter().copied())
        .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
    Err(StudyError(format!(
        "no case named `{name}`; `{}` declares {}{hint}",
        stated.meta.name,
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}
