//! Named cases (`[cases.NAME]`) as scenarios: each case's overrides applied to the files already
//! loaded (in memory: nothing is read again), then its input changes, with the seed and dispatch
//! policy of the scenario as stated.

use super::StudyError;
use crate::catalog::Catalog;
use crate::diagnostic::did_you_mean;
use crate::model::{CaseSpec, Scenario};
use crate::scenario::{Loaded, reload};

/// Each declared case of `stated` as a scenario. `loaded` is what `stated` was loaded from, with
/// the command line's `overrides`; `stated` may differ from it in seed and dispatch policy.
///
/// # Errors
/// If a case's overrides make the scenario invalid; the message carries the diagnostics.
pub fn scenarios(
    loaded: &Loaded,
    catalog: &Catalog,
    overrides: &[String],
    stated: &Scenario,
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
            s
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
