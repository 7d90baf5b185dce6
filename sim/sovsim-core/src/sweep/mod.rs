//! Sweeps: scenario ensembles too large for one question at a time — thousands of combinations of
//! levers, overrides, named cases and scenarios — planned, run in shards on any number of machines
//! (a Slurm array, a Kubernetes Indexed Job, one laptop) and merged into one table.
//!
//! - [`spec`] reads the sweep file, every problem at once, located like a scenario's.
//! - [`plan`] makes the cases of its design, each with a stable id and its own seed, and says
//!   which a shard runs.
//! - [`case`] runs one case as `sovsim run` would run it alone, and keeps its figures.
//! - [`table`] checks that every case of the plan has a matching result and merges them.
//! - [`scheduler`] writes what hands a sweep to Slurm or Kubernetes, its limits from a pilot.
//!
//! No I/O: the binary reads the files, writes each case's result atomically and skips those
//! already there, so a retried or pre-empted shard is safe.

pub mod case;
pub mod plan;
pub mod scheduler;
pub mod spec;
pub mod table;

use std::collections::BTreeSet;

use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::scenario::{Loaded, reload};
use spec::{Design, Spec};

/// A base scenario loaded again with a set of its named overrides, once for every case that
/// applies them.
pub struct Variant {
    /// Which base scenario (index into the spec's `scenarios`).
    pub scenario: usize,
    /// The overrides, in order.
    pub overrides: Vec<String>,
    /// The scenario with them (valid).
    pub loaded: Loaded,
}

/// Problems of `spec` that only its base scenarios reveal: an override a scenario does not
/// declare (or that makes it invalid), a named case it does not have; and each base scenario
/// with each set of overrides its cases apply, loaded once. `bases[i]` is the loaded
/// `spec.scenarios[i]`, `None` when it could not be loaded (its own diagnostics say why).
pub fn check_scenarios(
    spec: &Spec,
    bases: &[Option<&Loaded>],
    catalog: &Catalog,
) -> (Vec<Diagnostic>, Vec<Variant>) {
    let mut out = Vec::new();
    let mut variants = Vec::new();
    // Each override set with where the sweep states it, and each named case likewise.
    let (sets, cases): (Vec<_>, Vec<_>) = match &spec.design {
        Design::List(points) => (
            points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        p.overrides.clone(),
                        p.span.clone(),
                        format!("design.points[{i}].overrides"),
                    )
                })
                .collect(),
            points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    p.case
                        .clone()
                        .map(|c| (c, p.span.clone(), format!("design.points[{i}].case")))
                })
                .collect(),
        ),
        _ => (
            spec.overrides
                .iter()
                .enumerate()
                .map(|(i, o)| (o.value.clone(), o.span.clone(), format!("overrides[{i}]")))
                .collect(),
            spec.cases
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    c.value
                        .clone()
                        .map(|v| (v, c.span.clone(), format!("cases[{i}]")))
                })
                .collect(),
        ),
    };
    for (index, (s, base)) in spec.scenarios.iter().zip(bases).enumerate() {
        let Some(loaded) = base else { continue };
        let Some(scenario) = &loaded.scenario else {
            continue;
        };
        let mut tried: BTreeSet<Vec<String>> = BTreeSet::new();
        for (set, span, field) in &sets {
            if set.is_empty() || !tried.insert(set.clone()) {
                continue;
            }
            let again = reload(loaded, catalog, set);
            if let Some(first) = again.diagnostics.iter().find(|d| d.is_error()) {
                let errors = again.diagnostics.iter().filter(|d| d.is_error()).count();
                out.push(
                    Diagnostic::error(
                        "override-invalid",
                        format!(
                            "`{}` with the overrides {} is not valid: {}{}",
                            s.value,
                            set.join("+"),
                            first.message,
                            if errors > 1 {
                                format!(" (and {} more)", errors - 1)
                            } else {
                                String::new()
                            }
                        ),
                    )
                    .at(Some(span.clone()))
                    .field(field.clone())
                    .expected(format!(
                        "names of `[overrides.NAME]` tables of `{}` that leave it valid",
                        s.value
                    ))
                    .hint(format!(
                        "`sovsim validate {} --override NAME` shows every problem",
                        s.value
                    )),
                );
            } else {
                variants.push(Variant {
                    scenario: index,
                    overrides: set.clone(),
                    loaded: again,
                });
            }
        }
        let names: Vec<&str> = scenario.cases.iter().map(|c| c.name.as_str()).collect();
        for (case, span, field) in &cases {
            if names.contains(&case.as_str()) {
                continue;
            }
            let mut d = Diagnostic::error(
                "unknown-case",
                format!("`{}` declares no case `{case}`", s.value),
            )
            .at(Some(span.clone()))
            .field(field.clone())
            .expected(if names.is_empty() {
                "`base` (the scenario declares no `[cases.NAME]`)".to_owned()
            } else {
                format!(
                    "`base` or one of {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            if let Some(close) = crate::diagnostic::did_you_mean(case, names.iter().copied()) {
                d = d.hint(format!("did you mean `{close}`?"));
            }
            out.push(d);
        }
    }
    (out, variants)
}
