//! Merging a sweep: every case of the plan found with a record that matches it, or the list of
//! those missing; then one table of inputs and outputs, a row per case in plan order, whatever
//! shard ran it and when.

use serde_json::{Value, json};

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
    let mut target_columns = Vec::new();
    for t in &spec.targets {
        let column = format!("meets_{}", t.name);
        table = table.column(
            &column,
            Values::Bool(
                records
                    .iter()
                    .map(|r| t.meets(r.outputs.get(&t.output)))
                    .collect(),
            ),
        );
        target_columns.push(column);
    }
    let lever_names: Vec<&str> = levers.iter().map(|i| i.name()).collect();
    let columns: Vec<(&str, Kind)> = keys.iter().copied().zip(kinds).collect();
    (
        schema::sweep_table(&lever_names, &columns, &target_columns),
        table,
    )
}

/// `sweep.json`: what the sweep was (design, levers and their levels, seeds) and what its cases
/// found — each output's least, median and greatest value over cases, and each target's share of
/// cases meeting it — for the report and for people.
pub fn summary(spec: &Spec, plan: &[Case], records: &[Record], catalog: &Catalog) -> Value {
    let levers: Vec<Value> = spec
        .lever_inputs()
        .into_iter()
        .map(|input| {
            let mut levels: Vec<f64> = plan.iter().map(|c| c.change(input)).collect();
            levels.sort_by(f64::total_cmp);
            levels.dedup();
            // A sampled lever's range is the one the sweep states, not its draws' extremes.
            let stated = match spec.design {
                super::spec::Design::LatinHypercube { .. } => spec
                    .levers
                    .iter()
                    .find(|l| l.input == input)
                    .map(|l| (l.values[0], l.values[1])),
                _ => None,
            };
            let (low, high) = stated.map_or((levels.first().copied(), levels.last().copied()), |(l, h)| (Some(l), Some(h)));
            json!({
                "lever": input.name(),
                "meaning": input.meaning(),
                "unit": input.unit(),
                "low": low,
                "high": high,
                "levels": if stated.is_none() && levels.len() <= 12 { json!(levels) } else { Value::Null },
            })
        })
        .collect();
    let outputs: Vec<Value> = spec
        .output_keys()
        .into_iter()
        .map(|key| {
            let values: Vec<&Value> = records
                .iter()
                .filter_map(|r| r.outputs.get(key))
                .filter(|v| !v.is_null())
                .collect();
            let (min, median, max) = if values.iter().all(|v| v.is_string()) {
                let mut d: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
                d.sort_unstable();
                (
                    d.first().map(|x| json!(x)),
                    nearest_rank(&d).map(|x| json!(x)),
                    d.last().map(|x| json!(x)),
                )
            } else {
                let mut n: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
                n.sort_by(f64::total_cmp);
                (
                    n.first().map(|x| json!(x)),
                    nearest_rank(&n).map(|x| json!(x)),
                    n.last().map(|x| json!(x)),
                )
            };
            json!({
                "key": key,
                "min": min,
                "median": median,
                "max": max,
                "null_cases": records.len() - values.len(),
            })
        })
        .collect();
    let targets: Vec<Value> = spec
        .targets
        .iter()
        .map(|t| {
            let meeting = records
                .iter()
                .filter(|r| t.meets(r.outputs.get(&t.output)))
                .count();
            json!({
                "name": t.name,
                "output": t.output,
                "test": t.describe(),
                "cases_meeting": meeting,
                "share": if records.is_empty() { 0.0 } else { meeting as f64 / records.len() as f64 },
            })
        })
        .collect();
    json!({
        "sweep": spec.name,
        "description": spec.description,
        "scenarios": spec.scenarios.iter().map(|s| s.value.clone()).collect::<Vec<_>>(),
        "design": spec.design.name(),
        "cases": records.len(),
        "runs": spec.runs,
        "seed": spec.seed,
        "seeds": spec.seeds.name(),
        "levers": levers,
        "outputs": outputs,
        "targets": targets,
        "sovsim_version": crate::VERSION,
        "catalog_version": catalog.version,
    })
}

/// The median by nearest rank of sorted values.
fn nearest_rank<T: Copy>(sorted: &[T]) -> Option<T> {
    crate::engine::replicate::nearest_rank(sorted, 0.5)
}
