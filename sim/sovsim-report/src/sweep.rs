//! Reading a sweep: from its merged table and `sweep.json` alone, the charts (each output against
//! each lever, its target drawn across; the share of cases meeting each target by lever level),
//! `sweep.pdf`, typeset from `reports/templates/sweep.typ`, and `sweep.html`, the same template
//! exported as HTML.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{Value, json};
use sovsim_core::rundir::schema::{self, Kind};
use sovsim_core::text::format;

use crate::charts::{Chart, Kind as ChartKind, Series};
use crate::data::{flags_of, numbers_of, texts_of};
use crate::document::year_of;
use crate::typeset::{self, Template};
use crate::{ReportError, RunDir};

/// Levels of a lever shown one by one; a lever with more (a Latin hypercube's) is cut into
/// [`BINS`] equal ranges.
const MAX_LEVELS: usize = 12;
/// Ranges a sampled lever is cut into for the share of cases meeting a target.
const BINS: usize = 5;
/// Most levels of another lever a scatter tells apart by marker.
const MAX_GROUP_LEVELS: usize = 6;
/// Cases listed in the PDF; a larger sweep is read from `sweep.csv`.
const MAX_LISTED: usize = 60;

/// A sweep's folder read back: `sweep.json` and the merged table, checked against the schema
/// `sweep.json` describes.
struct SweepData {
    summary: Value,
    frame: DataFrame,
    levers: Vec<String>,
    targets: Vec<Target>,
}

/// A target as `sweep.json` states it.
struct Target {
    name: String,
    output: String,
    test: String,
    threshold: Option<f64>,
}

impl SweepData {
    fn load(dir: &Path) -> Result<Self, ReportError> {
        let path = dir.join("sweep.json");
        let bytes = typeset::read_bounded(&path, 64 << 20).map_err(|e| {
            ReportError::new(format!(
                "cannot read `{}`: {e}; is `{}` a folder written by `sovsim sweep merge`?",
                path.display(),
                dir.display()
            ))
        })?;
        let summary: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ReportError::new(format!("`{}`: {e}", path.display())))?;
        let table = dir.join("sweep.parquet");
        let file = File::open(&table)
            .map_err(|e| ReportError::new(format!("cannot read `{}`: {e}", table.display())))?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| ReportError::new(format!("`{}`: {e}", table.display())))?;
        let strings = |v: &Value, k: &str| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.get(k).and_then(Value::as_str).map(str::to_owned))
                .collect()
        };
        let levers = strings(&summary["levers"], "lever");
        let outputs = strings(&summary["outputs"], "key");
        let targets: Vec<Target> = summary["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                let text = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
                let test = text("test");
                Target {
                    threshold: test
                        .rsplit(' ')
                        .next()
                        .and_then(|x| x.parse::<f64>().ok().or_else(|| year_of(x))),
                    name: text("name"),
                    output: text("output"),
                    test,
                }
            })
            .collect();
        // The table must be the one `sweep.json` describes, column for column.
        let kinds: Vec<(String, Kind)> = outputs
            .iter()
            .map(|k| {
                let text = frame
                    .column(k)
                    .is_ok_and(|c| c.dtype() == &DataType::String);
                (k.clone(), if text { Kind::OptText } else { Kind::OptF64 })
            })
            .collect();
        let lever_refs: Vec<&str> = levers.iter().map(String::as_str).collect();
        let output_refs: Vec<(&str, Kind)> = kinds.iter().map(|(k, t)| (k.as_str(), *t)).collect();
        let meets: Vec<String> = targets
            .iter()
            .map(|t| format!("meets_{}", t.name))
            .collect();
        let spec = schema::sweep_table(&lever_refs, &output_refs, &meets);
        let columns: Vec<(String, Kind)> = frame
            .columns()
            .iter()
            .map(|c| {
                let kind = match c.dtype() {
                    DataType::String => spec.column(c.name()).map_or(Kind::Text, |s| s.kind),
                    DataType::Boolean => Kind::Bool,
                    DataType::UInt64 => Kind::U64,
                    _ => spec.column(c.name()).map_or(Kind::F64, |s| s.kind),
                };
                (c.name().to_string(), kind)
            })
            .collect();
        spec.check(columns.iter().map(|(n, k)| (n.as_str(), *k)))
            .map_err(|problems| {
                ReportError::new(format!(
                    "`{}` is not the table `sweep.json` describes: {}",
                    table.display(),
                    problems.join("; ")
                ))
            })?;
        Ok(Self {
            summary,
            frame,
            levers,
            targets,
        })
    }

    /// A column as numbers; dates as fractional years.
    fn numbers(&self, column: &str) -> Vec<f64> {
        match self.frame.column(column) {
            Ok(c) if c.dtype() == &DataType::String => texts_of(c)
                .iter()
                .map(|v| year_of(v).unwrap_or(f64::NAN))
                .collect(),
            Ok(c) => numbers_of(c),
            Err(_) => Vec::new(),
        }
    }

    fn texts(&self, column: &str) -> Vec<String> {
        self.frame
            .column(column)
            .map_or_else(|_| Vec::new(), texts_of)
    }

    fn flags(&self, column: &str) -> Vec<bool> {
        self.frame
            .column(column)
            .map_or_else(|_| Vec::new(), flags_of)
    }

    /// The range `sweep.json` states for a lever.
    fn range(&self, lever: &str) -> Option<(f64, f64)> {
        let l = self.summary["levers"]
            .as_array()?
            .iter()
            .find(|l| l["lever"] == lever)?;
        Some((l["low"].as_f64()?, l["high"].as_f64()?))
    }

    /// Each case's group: its scenario, overrides and case, where any of them varies.
    fn groups(&self) -> Vec<String> {
        self.grouped_by(&[])
    }

    /// Each case's group in a chart against `lever`: its scenario, overrides and case, where any
    /// varies, and its level of the first other lever that takes a few levels (a factorial's),
    /// so that one chart shows two levers.
    fn groups_against(&self, lever: &str) -> Vec<String> {
        let other = self
            .levers
            .iter()
            .filter(|l| l.as_str() != lever)
            .find(|l| {
                let mut v = self.numbers(l);
                v.sort_by(f64::total_cmp);
                v.dedup();
                (2..=MAX_GROUP_LEVELS).contains(&v.len())
            });
        match other {
            Some(o) => {
                let levels: Vec<String> = self
                    .numbers(o)
                    .iter()
                    .map(|v| format!("{o} {}", format::significant(*v)))
                    .collect();
                self.grouped_by(&levels)
            }
            None => self.groups(),
        }
    }

    fn grouped_by(&self, extra: &[String]) -> Vec<String> {
        let columns = ["scenario", "overrides", "case"];
        let mut values: Vec<Vec<String>> = columns.iter().map(|c| self.texts(c)).collect();
        if !extra.is_empty() {
            values.push(extra.to_vec());
        }
        let varying: Vec<&Vec<String>> = values
            .iter()
            .filter(|v| v.iter().any(|x| Some(x) != v.first()))
            .collect();
        (0..self.frame.height())
            .map(|i| {
                let parts: Vec<&str> = varying.iter().map(|v| v[i].as_str()).collect();
                if parts.is_empty() {
                    "cases".to_owned()
                } else {
                    parts.join(" · ")
                }
            })
            .collect()
    }

    /// The outputs drawn: per output of `sweep.json`, the key a target tests, else its P50,
    /// else the key itself.
    fn drawn(&self) -> Vec<String> {
        let keys: Vec<String> = self.summary["outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["key"].as_str().map(str::to_owned))
            .collect();
        let mut out: Vec<String> = Vec::new();
        for key in &keys {
            let stem = key
                .strip_suffix("_p10")
                .or_else(|| key.strip_suffix("_p50"))
                .or_else(|| key.strip_suffix("_p90"))
                .unwrap_or(key);
            let family: Vec<&String> = keys
                .iter()
                .filter(|k| {
                    k.as_str() == stem
                        || k.strip_prefix(stem)
                            .is_some_and(|r| ["_p10", "_p50", "_p90"].contains(&r))
                })
                .collect();
            let chosen = family
                .iter()
                .find(|k| self.targets.iter().any(|t| t.output == ***k))
                .or_else(|| family.iter().find(|k| k.ends_with("_p50")))
                .or_else(|| family.first())
                .map(|k| (*k).clone());
            if let Some(c) = chosen
                && !out.contains(&c)
            {
                out.push(c);
            }
        }
        out
    }
}

/// A figure in words, by its unit in the schema.
fn show(key: &str, value: &Value) -> String {
    if let Some(text) = value.as_str() {
        return text.to_owned();
    }
    let Some(v) = value.as_f64() else {
        return "—".to_owned();
    };
    match schema::summary_key(key).map(|k| k.unit) {
        Some("fraction" | "fraction/yr") => format::percent(v),
        Some("EUR") => format::money(v),
        Some("ratio") => format::times(v),
        _ => format::significant(v),
    }
}

/// The unit of a key for an axis.
fn axis(key: &str) -> String {
    match schema::summary_key(key).map(|k| k.unit) {
        Some("date") => format!("{key} [year]"),
        Some(unit) => format!("{key} [{unit}]"),
        None => key.to_owned(),
    }
}

/// Each case's level of a lever, as a category: its value where the sweep has few levels, else
/// which of [`BINS`] equal ranges it falls in; and the categories' labels.
fn levels(values: &[f64], range: Option<(f64, f64)>) -> (Vec<usize>, Vec<String>) {
    let mut distinct: Vec<f64> = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() <= MAX_LEVELS {
        let index = values
            .iter()
            .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0))
            .collect();
        return (
            index,
            distinct.iter().map(|d| format::significant(*d)).collect(),
        );
    }
    let (lo, hi) = range.unwrap_or((distinct[0], distinct[distinct.len() - 1]));
    let width = (hi - lo) / BINS as f64;
    let index = values
        .iter()
        .map(|v| (((v - lo) / width).floor() as usize).min(BINS - 1))
        .collect();
    let labels = (0..BINS)
        .map(|b| {
            format!(
                "{} to {}",
                format::significant(lo + width * b as f64),
                format::significant(lo + width * (b + 1) as f64)
            )
        })
        .collect();
    (index, labels)
}

fn charts(d: &SweepData) -> Vec<Chart> {
    let mut out = Vec::new();
    for key in d.drawn() {
        let y = d.numbers(&key);
        let references: Vec<(String, f64)> = d
            .targets
            .iter()
            .filter(|t| t.output == key)
            .filter_map(|t| t.threshold.map(|x| (format!("target: {}", t.test), x)))
            .collect();
        for lever in &d.levers {
            let x = d.numbers(lever);
            let groups = d.groups_against(lever);
            let mut order: Vec<String> = groups.clone();
            // Numeric levels in their order, not as text ("… 12" before "… 6").
            order.sort_by(|a, b| {
                let last = |s: &str| {
                    s.rsplit(' ')
                        .next()
                        .and_then(|v| v.replace('−', "-").parse::<f64>().ok())
                };
                match (last(a), last(b)) {
                    (Some(x), Some(y)) => a
                        .rsplit_once(' ')
                        .map(|p| p.0)
                        .cmp(&b.rsplit_once(' ').map(|p| p.0))
                        .then(x.total_cmp(&y)),
                    _ => a.cmp(b),
                }
            });
            order.dedup();
            let points: Vec<(String, Vec<(f64, f64)>)> = order
                .iter()
                .map(|g| {
                    let p = (0..y.len())
                        .filter(|i| &groups[*i] == g && y[*i].is_finite())
                        .map(|i| (x[i], y[i]))
                        .collect();
                    (g.clone(), p)
                })
                .collect();
            out.push(Chart {
                name: format!("sweep_{key}_by_{lever}"),
                title: format!("{key} against {lever}, one point per case"),
                x_label: format!("{lever} (change)"),
                y_label: axis(&key),
                kind: ChartKind::Scatter {
                    groups: points,
                    references: references.clone(),
                },
            });
        }
    }
    if !d.targets.is_empty() {
        let meets: Vec<Vec<bool>> = d
            .targets
            .iter()
            .map(|t| d.flags(&format!("meets_{}", t.name)))
            .collect();
        for lever in &d.levers {
            let (index, labels) = levels(&d.numbers(lever), d.range(lever));
            let series = d
                .targets
                .iter()
                .zip(&meets)
                .map(|(t, m)| Series {
                    label: t.test.clone(),
                    values: (0..labels.len())
                        .map(|l| {
                            let here: Vec<bool> = index
                                .iter()
                                .zip(m)
                                .filter(|(i, _)| **i == l)
                                .map(|(_, x)| *x)
                                .collect();
                            if here.is_empty() {
                                f64::NAN
                            } else {
                                100.0 * here.iter().filter(|x| **x).count() as f64
                                    / here.len() as f64
                            }
                        })
                        .collect(),
                })
                .collect();
            out.push(Chart {
                name: format!("sweep_targets_by_{lever}"),
                title: format!("Share of cases meeting each target, by {lever}"),
                x_label: format!("{lever} (change)"),
                y_label: "cases meeting the target [%]".to_owned(),
                kind: ChartKind::Lines {
                    categories: labels,
                    series,
                },
            });
        }
    }
    out
}

/// What [`render`] wrote.
#[derive(Debug)]
pub struct Written {
    /// Files written, `sweep.pdf` and `sweep.html` last.
    pub files: Vec<PathBuf>,
    /// The text of each PDF page.
    pub pages: Vec<String>,
    /// Charts drawn.
    pub charts: usize,
}

/// Renders the sweep merged in `dir`: its charts under `charts/` and `sweep.pdf`, typeset with
/// `template`, from `sweep.json` and `sweep.parquet` alone.
///
/// # Errors
/// If the files cannot be read or do not match, a chart or the template fails, or writing fails.
pub fn render(dir: &Path, template: &Template) -> Result<Written, ReportError> {
    let d = SweepData::load(dir)?;
    let charts = charts(&d);
    let out = RunDir::create(dir)?;
    let crate::Drawn {
        mut files,
        world,
        paths: chart_paths,
        figures,
    } = crate::draw(&out, &charts)?;
    let s = &d.summary;
    let outputs: Vec<Value> = s["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let key = o["key"].as_str().unwrap_or_default();
            json!({
                "key": key,
                "min": show(key, &o["min"]),
                "median": show(key, &o["median"]),
                "max": show(key, &o["max"]),
                "null_cases": o["null_cases"],
            })
        })
        .collect();
    let targets: Vec<Value> = s["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            json!({
                "test": t["test"],
                "cases_meeting": t["cases_meeting"],
                "share": format::percent(t["share"].as_f64().unwrap_or(0.0)),
            })
        })
        .collect();
    let levers: Vec<Value> = s["levers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let levels = match l["levels"].as_array() {
                Some(v) => v
                    .iter()
                    .map(|x| format::significant(x.as_f64().unwrap_or(f64::NAN)))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => format!(
                    "{} to {} (sampled)",
                    format::significant(l["low"].as_f64().unwrap_or(f64::NAN)),
                    format::significant(l["high"].as_f64().unwrap_or(f64::NAN))
                ),
            };
            json!({ "lever": l["lever"], "meaning": l["meaning"], "unit": l["unit"], "levels": levels })
        })
        .collect();
    let drawn = d.drawn();
    let listed = d.frame.height().min(MAX_LISTED);
    let group = d.groups();
    // Each column read once: its values as the table shows them.
    let lever_columns: Vec<Vec<f64>> = d.levers.iter().map(|l| d.numbers(l)).collect();
    let output_columns: Vec<Vec<Value>> = drawn
        .iter()
        .map(
            |k| match d.frame.column(k).ok().map(|c| c.dtype().clone()) {
                Some(DataType::String) => d.texts(k).into_iter().map(Value::from).collect(),
                _ => d
                    .numbers(k)
                    .into_iter()
                    .map(|v| if v.is_finite() { json!(v) } else { Value::Null })
                    .collect(),
            },
        )
        .collect();
    let cases: Vec<Value> = (0..listed)
        .map(|i| {
            let lever_values: Vec<String> = lever_columns
                .iter()
                .map(|c| format::significant(c[i]))
                .collect();
            let outputs: Vec<String> = drawn
                .iter()
                .zip(&output_columns)
                .map(|(k, c)| show(k, &c[i]))
                .collect();
            json!({ "index": i, "group": group[i], "levers": lever_values, "outputs": outputs })
        })
        .collect();
    let data = json!({
        "title": s["sweep"],
        "description": s["description"],
        "scenarios": s["scenarios"],
        "design": s["design"],
        "cases": s["cases"],
        "runs": s["runs"],
        "seed": s["seed"],
        "seeds": s["seeds"],
        "sovsim_version": s["sovsim_version"],
        "catalog_version": s["catalog_version"],
        "levers": levers,
        "outputs": outputs,
        "targets": targets,
        "drawn": drawn,
        "lever_names": d.levers,
        "listed": cases,
        "unlisted": d.frame.height().saturating_sub(listed),
        "charts": chart_paths,
    });
    let (written, pages) = crate::typeset_into(
        &out,
        "sweep",
        template,
        (world, &figures),
        &data,
        &format!("sovsim sweep: {}", s["sweep"].as_str().unwrap_or("")),
    )?;
    files.extend(written);
    Ok(Written {
        files,
        pages,
        charts: charts.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_levels_stay_levels_and_sampled_ones_fall_in_equal_ranges() {
        let (index, labels) = levels(&[0.0, 18.0, 36.0, 0.0], None);
        assert_eq!(index, vec![0, 1, 2, 0]);
        assert_eq!(labels.len(), 3);
        let sampled: Vec<f64> = (0..100).map(|i| f64::from(i) / 99.0).collect();
        let (index, labels) = levels(&sampled, Some((0.0, 1.0)));
        assert_eq!(labels.len(), BINS);
        assert_eq!(index[0], 0);
        assert_eq!(index[99], BINS - 1);
        assert_eq!(index.iter().filter(|i| **i == 2).count(), 20);
    }

    #[test]
    fn dates_become_fractional_years() {
        assert_eq!(year_of("2031-01-01"), Some(2031.0));
        assert!(year_of("2031-07-01").is_some_and(|y| (y - 2031.5).abs() < 1e-9));
        assert_eq!(year_of("soon"), None);
    }
}
