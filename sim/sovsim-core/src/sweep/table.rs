//! Merging a sweep: every case of the plan found with a record that matches it, or the list of
//! those missing; then one table of inputs and outputs, a row per case in plan order, whatever
//! shard ran it and when.

use serde_json::Value;

use super::case::Record;
use super::plan::Case;
use super::spec::Spec;
use crate::catalog::Catalog;
use crate::rundir::schema::{self, Kind, TableSpec};
use crate::rundir::{Table, Values};

/// What merging found wrong: cases without a matching record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    /// Cases with no record.
    pub missing: Vec<String>,
    /// Cases whose record was made by another plan (other replications, seed, catalog, version
    /// or outputs).
    pub stale: Vec<String>,
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |ids: &[String]| {
            let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
            let more = ids.len().saturating_sub(shown.len());
            if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!(
                "{} case(s) have no result ({})",
                self.missing.len(),
                list(&self.missing)
            ));
        }
        if !self.stale.is_empty() {
            parts.push(format!(
                "{} case(s) have a result from another plan ({})",
                self.stale.len(),
                list(&self.stale)
            ));
        }
        write!(
            f,
            "{}; run `sovsim sweep run` again (it runs only what is missing)",
            parts.join("; ")
        )
    }
}

/// The record of every case of `plan`, in plan order; `find` gives the record stored for an id.
///
/// # Errors
/// Which cases have none, or one from another plan.
pub fn gather(
    spec: &Spec,
    plan: &[Case],
    catalog: &Catalog,
    mut find: impl FnMut(&str) -> Option<Record>,
) -> Result<Vec<Record>, Incomplete> {
    let mut records = Vec::with_capacity(plan.len());
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for case in plan {
        match find(&case.id) {
            None => missing.push(case.id.clone()),
            Some(r) if !r.matches(spec, case, catalog) => stale.push(case.id.clone()),
            Some(r) => records.push(r),
        }
    }
    if missing.is_empty() && stale.is_empty() {
        Ok(records)
    } else {
        Err(Incomplete { missing, stale })
    }
}

/// The merged table and its schema: the case's keys and inputs, then each output key. An output
/// is a date column (`OptText`) when any case gives it as text, numbers (`OptF64`) otherwise.
pub fn merged(spec: &Spec, plan: &[Case], records: &[Record]) -> (TableSpec, Table) {
    let levers = spec.lever_inputs();
    let keys = spec.output_keys();
    let kinds: Vec<Kind> = keys
        .iter()
        .map(|k| {
            if records
                .iter()
                .any(|r| r.outputs.get(*k).is_some_and(Value::is_string))
            {
                Kind::OptText
            } else {
                Kind::OptF64
            }
        })
        .collect();
    let text = |f: &dyn Fn(&Record) -> String| Values::Text(records.iter().map(f).collect());
    let mut table = Table::new()
        .column("case_id", text(&|r| r.id.clone()))
        .column(
            "index",
            Values::U64(records.iter().map(|r| r.index as u64).collect()),
        )
        .column(
            "seed",
            Values::U64(records.iter().map(|r| r.seed).collect()),
        )
        .column(
            "runs",
            Values::U64(records.iter().map(|r| r.runs).collect()),
        )
        .column("scenario", text(&|r| r.scenario.clone()))
        .column(
            "overrides",
            text(&|r| {
                if r.overrides.is_empty() {
                    "none".to_owned()
                } else {
                    r.overrides.join("+")
                }
            }),
        )
        .column(
            "case",
            text(&|r| r.case.clone().unwrap_or_else(|| "base".to_owned())),
        );
    for input in &levers {
        table = table.column(
            input.name(),
            Values::F64(
                plan.iter()
                    .zip(records)
                    .map(|(c, _)| c.change(*input))
                    .collect(),
            ),
        );
    }
    for (key, kind) in keys.iter().zip(&kinds) {
        let values = records.iter().map(|r| r.outputs.get(*key));
        table = table.column(
            key,
            match kind {
                Kind::OptText => Values::OptText(
                    values
                        .map(|v| v.and_then(Value::as_str).map(str::to_owned))
                        .collect(),
                ),
                _ => Values::OptF64(values.map(|v| v.and_then(Value::as_f64)).collect()),
            },
        );
    }
    let lever_names: Vec<&str> = levers.iter().map(|i| i.name()).collect();
    let columns: Vec<(&str, Kind)> = keys.iter().copied().zip(kinds).collect();
    (schema::sweep_table(&lever_names, &columns), table)
}
