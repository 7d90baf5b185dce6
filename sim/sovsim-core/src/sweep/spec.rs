//! The sweep file: a TOML description of a scenario ensemble (base scenarios, the inputs varied and
//! their design, replications, seeds, the outputs kept), read into a [`Spec`] or into every problem
//! found, located like a scenario's.
//!
//! Read by walking the parsed tree rather than through serde, so that one pass finds every
//! problem: an unknown key, a value of the wrong kind and a lever out of range are all reported
//! together, each at its own line and column.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, SourceMap, did_you_mean};
use crate::engine::aggregate::MAX_RUNS;
use crate::model::Input;
use crate::rundir::schema;

/// Most cases a sweep may plan: each writes a file, and a million files is already more than a
/// shared file system likes in one folder.
pub const MAX_CASES: u64 = 1_000_000;

/// A value and where the sweep file states it (global span in the [`SourceMap`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Range<usize>,
}

/// How each case's seed is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seeds {
    /// Each case's own, derived from its id: cases are independent samples.
    PerCase,
    /// The sweep's seed for every case: common random numbers, so that two cases differ by their
    /// inputs and not by the luck of their draws.
    Common,
}

impl Seeds {
    /// The name sweep files use.
    pub fn name(self) -> &'static str {
        match self {
            Seeds::PerCase => "per-case",
            Seeds::Common => "common",
        }
    }
}

/// One point of a list design: the inputs of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Lever changes, in the order of [`Input::ALL`].
    pub changes: Vec<(Input, f64)>,
    /// Named overrides of the scenario, applied in order.
    pub overrides: Vec<String>,
    /// A named case of the scenario (`[cases.NAME]`), if not the scenario as stated.
    pub case: Option<String>,
    /// Where the point is written.
    pub span: Range<usize>,
}

/// How the inputs' values are combined into cases.
#[derive(Clone, Debug, PartialEq)]
pub enum Design {
    /// Every combination of every factor's levels.
    Factorial,
    /// `samples` cases, each lever's range cut into `samples` equal strata and each stratum
    /// sampled once (McKay, Beckman & Conover 1979); override sets and cases are spread evenly
    /// over the samples the same way.
    LatinHypercube {
        /// Cases per base scenario.
        samples: u64,
        /// Seed of the strata's order and of the draws within them.
        seed: u64,
    },
    /// The cases as listed.
    List(Vec<Point>),
}

impl Design {
    /// The name sweep files use.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Factorial => "factorial",
            Design::LatinHypercube { .. } => "latin-hypercube",
            Design::List(_) => "list",
        }
    }
}

/// A lever varied by the design.
#[derive(Clone, Debug, PartialEq)]
pub struct Lever {
    /// The input.
    pub input: Input,
    /// Its levels (factorial), or its range's two ends (Latin hypercube).
    pub values: Vec<f64>,
    /// Where it is written.
    pub span: Range<usize>,
}

/// An output kept per case: a `summary.json` figure, with its P10/P50/P90 when it has them.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// As the sweep file names it (`project_irr`).
    pub name: Located<String>,
    /// The `summary.json` keys it stands for (`project_irr_p10`, `_p50`, `_p90`).
    pub keys: Vec<String>,
}

/// What a target's figure is compared with: a number, or a date (`YYYY-MM-DD`).
#[derive(Clone, Debug, PartialEq)]
pub enum Threshold {
    /// A number in the figure's unit.
    Number(f64),
    /// A date.
    Date(String),
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Number(x) => write!(f, "{x}"),
            Threshold::Date(d) => f.write_str(d),
        }
    }
}

/// A test a case's output passes or not: what "holds up" means to this sweep (a lender's minimum
/// DSCR, a ministry's share of sovereign demand served, a first gigawatt by a date).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Its name: the table's column `meets_<name>`.
    pub name: String,
    /// The `summary.json` key tested: one the sweep keeps.
    pub output: String,
    /// Whether the figure must be at least the threshold (else at most).
    pub at_least: bool,
    /// The threshold.
    pub threshold: Threshold,
    /// Where it is written.
    pub span: Range<usize>,
}

impl Target {
    /// Whether a case whose output is `value` meets the target: a missing or null figure does
    /// not (a first gigawatt never reached is not one reached in time).
    pub fn meets(&self, value: Option<&serde_json::Value>) -> bool {
        let order = match (&self.threshold, value) {
            (Threshold::Number(t), Some(v)) => v.as_f64().and_then(|x| x.partial_cmp(t)),
            (Threshold::Date(t), Some(v)) => v.as_str().map(|d| d.cmp(t.as_str())),
            _ => None,
        };
        match order {
            Some(o) if self.at_least => o != std::cmp::Ordering::Less,
            Some(o) => o != std::cmp::Ordering::Greater,
            None => false,
        }
    }

    /// The test in words: `dscr_min_p10 ≥ 1.2`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} {}",
            self.output,
            if self.at_least { "≥" } else { "≤" },
            self.threshold
        )
    }
}

/// A sweep, as its file describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Its name: the default folder of its results.
    pub name: String,
    /// What it asks, in words.
    pub description: String,
    /// Base scenario files, relative to the sweep file.
    pub scenarios: Vec<Located<String>>,
    /// Replications per case.
    pub runs: u64,
    /// The sweep's seed.
    pub seed: u64,
    /// How each case's seed is chosen.
    pub seeds: Seeds,
    /// The outputs kept.
    pub outputs: Vec<Output>,
    /// How cases are made.
    pub design: Design,
    /// Levers varied (factorial, Latin hypercube).
    pub levers: Vec<Lever>,
    /// Sets of named overrides, one factor (factorial, Latin hypercube).
    pub overrides: Vec<Located<Vec<String>>>,
    /// Named cases of the scenario, one factor (factorial, Latin hypercube); `base` is the
    /// scenario as stated.
    pub cases: Vec<Located<Option<String>>>,
    /// What holding up means: each case meets each target or not.
    pub targets: Vec<Target>,
}

/// Columns every sweep table has before its levers and outputs (see `schema::sweep_table`).
const COLUMNS: [&str; 7] = [
    "case_id",
    "index",
    "seed",
    "runs",
    "scenario",
    "overrides",
    "case",
];

/// Top-level keys of a sweep file.
const KEYS: [&str; 12] = [
    "name",
    "description",
    "scenarios",
    "runs",
    "seed",
    "seeds",
    "outputs",
    "design",
    "levers",
    "overrides",
    "cases",
    "targets",
];

/// Reads the sweep file added to `sources` at `base` (see [`SourceMap::add`]): the spec, or every
/// problem found. Warnings may come with a spec.
pub fn parse(sources: &SourceMap, base: usize) -> (Option<Spec>, Vec<Diagnostic>) {
    let Some(file) = sources.files().iter().find(|f| f.base == base) else {
        return (
            None,
            vec![Diagnostic::error("file-unreadable", "no sweep file")],
        );
    };
    let mut r = Reader {
        base,
        diagnostics: Vec::new(),
    };
    let (doc, errors) = DeTable::parse_recoverable(&file.text);
    r.diagnostics
        .extend(errors.iter().map(|e| crate::scenario::syntax(e, base)));
    if !r.diagnostics.is_empty() {
        return (None, r.diagnostics);
    }
    let whole = r.span(&doc.span());
    let top = doc.get_ref();
    r.known_keys(top, "", &KEYS);
    let name = r.required(top, "name", whole.clone(), |r, v| r.name(v, "name"));
    let description = top
        .get("description")
        .and_then(|v| r.string(v, "description"))
        .unwrap_or_default();
    let scenarios = r
        .required(top, "scenarios", whole.clone(), |r, v| {
            r.strings(v, "scenarios", true)
        })
        .unwrap_or_default();
    let runs = r.required(top, "runs", whole.clone(), |r, v| {
        r.integer(v, "runs", 1, MAX_RUNS, "a number of replications")
    });
    let seed = r.required(top, "seed", whole.clone(), |r, v| {
        r.integer(v, "seed", 0, u64::MAX, "a seed")
    });
    let seeds = match top.get("seeds") {
        None => Some(Seeds::PerCase),
        Some(v) => r.choice(v, "seeds", &[Seeds::PerCase, Seeds::Common], Seeds::name),
    };
    let outputs = r
        .required(top, "outputs", whole.clone(), |r, v| r.outputs(v))
        .unwrap_or_default();
    let design = r.required(top, "design", whole.clone(), |r, v| r.design(v));
    // The levers' shape follows the kind named, even when the rest of `[design]` is wrong.
    let hypercube = top
        .get("design")
        .and_then(|d| d.get_ref().get("kind"))
        .and_then(|k| k.get_ref().as_str())
        == Some("latin-hypercube");
    let levers = top
        .get("levers")
        .map(|v| r.levers(v, hypercube))
        .unwrap_or_default();
    let overrides = top
        .get("overrides")
        .map(|v| r.override_sets(v))
        .unwrap_or_default();
    let cases = top
        .get("cases")
        .map(|v| {
            r.strings(v, "cases", true)
                .unwrap_or_default()
                .into_iter()
                .map(|c| Located {
                    value: (c.value != "base").then_some(c.value),
                    span: c.span,
                })
                .collect()
        })
        .unwrap_or_default();
    let targets = top
        .get("targets")
        .map(|v| r.targets(v, &outputs))
        .unwrap_or_default();
    if let Some(Design::List(_)) = &design {
        for key in ["levers", "overrides", "cases"] {
            if let Some((k, _)) = top.get_key_value(key) {
                r.diagnostics.push(
                    Diagnostic::error(
                        "list-with-factors",
                        format!(
                            "a list design takes its cases from `[[design.points]]`, not `{key}`"
                        ),
                    )
                    .at(Some(r.span(&k.span())))
                    .field(key)
                    .hint(format!(
                        "move `{key}` into each point, or use `kind = \"factorial\"`"
                    )),
                );
            }
        }
    }
    let spec = match (name, runs, seed, seeds, design) {
        (Some(name), Some(runs), Some(seed), Some(seeds), Some(design))
            if r.diagnostics.iter().all(|d| !d.is_error()) =>
        {
            Some(Spec {
                name,
                description,
                scenarios,
                runs,
                seed,
                seeds,
                outputs,
                design,
                levers,
                overrides,
                cases,
                targets,
            })
        }
        _ => None,
    };
    if let Some(s) = &spec {
        let per_scenario = s.cases_per_scenario();
        let total = per_scenario.saturating_mul(s.scenarios.len() as u64);
        if total > MAX_CASES {
            r.diagnostics.push(
                Diagnostic::error(
                    "too-many-cases",
                    format!("the design makes {total} cases; a sweep holds {MAX_CASES} at most"),
                )
                .at(top.get("design").map(|d| r.span(&d.span())))
                .field("design")
                .hint("fewer levels, or a Latin hypercube with fewer samples"),
            );
            return (None, r.diagnostics);
        }
    }
    let mut diagnostics = r.diagnostics;
    diagnostics.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    (spec, diagnostics)
}

impl Spec {
    /// Cases the design makes for each base scenario.
    pub fn cases_per_scenario(&self) -> u64 {
        match &self.design {
            Design::Factorial => self
                .levers
                .iter()
                .map(|l| l.values.len() as u64)
                .chain([
                    self.overrides.len().max(1) as u64,
                    self.cases.len().max(1) as u64,
                ])
                .fold(1u64, u64::saturating_mul),
            Design::LatinHypercube { samples, .. } => *samples,
            Design::List(points) => points.len() as u64,
        }
    }

    /// The levers a case states a value for, in the order of [`Input::ALL`]: the table's columns.
    pub fn lever_inputs(&self) -> Vec<Input> {
        let mut inputs: Vec<Input> = match &self.design {
            Design::List(points) => points
                .iter()
                .flat_map(|p| p.changes.iter().map(|c| c.0))
                .collect(),
            _ => self.levers.iter().map(|l| l.input).collect(),
        };
        inputs.sort();
        inputs.dedup();
        inputs
    }

    /// Every `summary.json` key kept, in the order of the outputs.
    pub fn output_keys(&self) -> Vec<&str> {
        self.outputs
            .iter()
            .flat_map(|o| o.keys.iter().map(String::as_str))
            .collect()
    }
}

/// Walks the parsed tree, collecting every problem.
struct Reader {
    /// Global offset of the file's first byte.
    base: usize,
    diagnostics: Vec<Diagnostic>,
}

type Node<'i> = Spanned<DeValue<'i>>;

impl Reader {
    fn span(&self, local: &Range<usize>) -> Range<usize> {
        self.base + local.start..self.base + local.end.max(local.start + 1)
    }

    fn wrong(&mut self, node: &Node<'_>, field: &str, expected: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                "wrong-type",
                format!("`{field}` is {}", node.get_ref().type_str()),
            )
            .at(Some(self.span(&node.span())))
            .field(field)
            .expected(expected),
        );
    }

    fn known_keys(&mut self, table: &DeTable<'_>, prefix: &str, known: &[&str]) {
        for (key, _) in table {
            let k = key.get_ref().as_ref();
            if known.contains(&k) {
                continue;
            }
            let mut d = Diagnostic::error("unknown-field", format!("unknown field `{k}`"))
                .at(Some(self.span(&key.span())))
                .field(format!("{prefix}{k}"))
                .expected(format!(
                    "one of {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            if let Some(close) = did_you_mean(k, known.iter().copied()) {
                d = d.hint(format!("did you mean `{close}`?"));
            }
            self.diagnostics.push(d);
        }
    }

    fn required<T>(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        whole: Range<usize>,
        read: impl FnOnce(&mut Self, &Node<'_>) -> Option<T>,
    ) -> Option<T> {
        match table.get(key) {
            Some(v) => read(self, v),
            None => {
                self.diagnostics.push(
                    Diagnostic::error("missing-field", format!("missing field `{key}`"))
                        .at(Some(whole.start..whole.start + 1))
                        .field(key)
                        .hint(format!("add `{key} = …` (see sweeps/README.md)")),
                );
                None
            }
        }
    }

    fn string(&mut self, node: &Node<'_>, field: &str) -> Option<String> {
        match node.get_ref().as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.wrong(node, field, "a string");
                None
            }
        }
    }

    /// A name usable as a folder: letters, digits, `-`, `_`, `.`, not starting with `.`.
    fn name(&mut self, node: &Node<'_>, field: &str) -> Option<String> {
        let s = self.string(node, field)?;
        let fine = !s.is_empty()
            && s.len() <= 100
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !fine {
            self.diagnostics.push(
                Diagnostic::error("bad-name", format!("`{s}` cannot name a sweep's folder"))
                    .at(Some(self.span(&node.span())))
                    .field(field)
                    .expected("1 to 100 letters, digits, `-`, `_` or `.`, not starting with `.`"),
            );
            return None;
        }
        Some(s)
    }

    fn strings(
        &mut self,
        node: &Node<'_>,
        field: &str,
        non_empty: bool,
    ) -> Option<Vec<Located<String>>> {
        let Some(items) = node.get_ref().as_array() else {
            self.wrong(node, field, "an array of strings");
            return None;
        };
        if non_empty && items.is_empty() {
            self.diagnostics.push(
                Diagnostic::error("empty", format!("`{field}` is empty"))
                    .at(Some(self.span(&node.span())))
                    .field(field)
                    .expected("at least one string"),
            );
        }
        let mut out: Vec<Located<String>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if let Some(s) = self.string(item, &at) {
                let span = self.span(&item.span());
                if out.iter().any(|o| o.value == s) {
                    self.diagnostics.push(
                        Diagnostic::error("duplicate", format!("`{s}` is listed twice"))
                            .at(Some(span.clone()))
                            .field(at)
                            .hint("remove one"),
                    );
                }
                out.push(Located { value: s, span });
            }
        }
        Some(out)
    }

    fn integer(
        &mut self,
        node: &Node<'_>,
        field: &str,
        low: u64,
        high: u64,
        what: &str,
    ) -> Option<u64> {
        let expected = format!("{what}: a whole number from {low} to {high}");
        let value = node.get_ref().as_integer().and_then(|i| {
            let digits = i.as_str().replace('_', "");
            u64::from_str_radix(digits.trim_start_matches('+'), i.radix()).ok()
        });
        match value {
            Some(v) if (low..=high).contains(&v) => Some(v),
            _ => {
                self.diagnostics.push(
                    Diagnostic::error("out-of-range", format!("`{field}` is not {what}"))
                        .at(Some(self.span(&node.span())))
                        .field(field)
                        .expected(expected),
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node<'_>, field: &str) -> Option<f64> {
        let v = node.get_ref();
        let parsed = if let Some(i) = v.as_integer() {
            let digits = i.as_str().replace('_', "");
            i64::from_str_radix(&digits, i.radix())
                .ok()
                .map(|n| n as f64)
        } else if let Some(f) = v.as_float() {
            f.as_str().replace('_', "").parse::<f64>().ok()
        } else {
            None
        };
        match parsed {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.wrong(node, field, "a finite number");
                None
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        node: &Node<'_>,
        field: &str,
        options: &[T],
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        let s = self.string(node, field)?;
        if let Some(o) = options.iter().find(|o| name(**o) == s) {
            return Some(*o);
        }
        let names: Vec<&str> = options.iter().map(|o| name(*o)).collect();
        let mut d = Diagnostic::error("unknown-value", format!("`{field}` cannot be `{s}`"))
            .at(Some(self.span(&node.span())))
            .field(field)
            .expected(format!(
                "one of {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        if let Some(close) = did_you_mean(&s, names.iter().copied()) {
            d = d.hint(format!("did you mean `{close}`?"));
        }
        self.diagnostics.push(d);
        None
    }

    fn outputs(&mut self, node: &Node<'_>) -> Option<Vec<Output>> {
        let names = self.strings(node, "outputs", true)?;
        let mut out = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            match output_keys(&name.value) {
                Some(keys) => {
                    let taken: Vec<&String> = keys
                        .iter()
                        .filter(|k| {
                            COLUMNS.contains(&k.as_str())
                                || out.iter().any(|o: &Output| o.keys.contains(k))
                        })
                        .collect();
                    if let Some(k) = taken.first() {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "duplicate",
                                format!("the sweep's table has a column `{k}` already"),
                            )
                            .at(Some(name.span.clone()))
                            .field(format!("outputs[{i}]"))
                            .hint(if COLUMNS.contains(&k.as_str()) {
                                "every sweep table has it: remove the output"
                            } else {
                                "another output keeps it: remove one"
                            }),
                        );
                        continue;
                    }
                    out.push(Output { name, keys });
                }
                None => {
                    let mut d = Diagnostic::error(
                        "unknown-output",
                        format!("`{}` is not a figure of `summary.json`", name.value),
                    )
                    .at(Some(name.span.clone()))
                    .field(format!("outputs[{i}]"))
                    .expected(
                        "a `summary.json` key, without `_p10`/`_p50`/`_p90` for one with percentiles (see `sovsim outputs`)",
                    );
                    let bases = output_names();
                    if let Some(close) = did_you_mean(&name.value, bases.iter().map(String::as_str))
                    {
                        d = d.hint(format!("did you mean `{close}`?"));
                    }
                    self.diagnostics.push(d);
                }
            }
        }
        Some(out)
    }

    fn targets(&mut self, node: &Node<'_>, outputs: &[Output]) -> Vec<Target> {
        let Some(items) = node.get_ref().as_array() else {
            self.wrong(node, "targets", "an array of tables: `[[targets]]`");
            return Vec::new();
        };
        let kept: Vec<&str> = outputs
            .iter()
            .flat_map(|o| o.keys.iter().map(String::as_str))
            .collect();
        let mut out: Vec<Target> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("targets[{i}]");
            let Some(table) = item.get_ref().as_table() else {
                self.wrong(
                    item,
                    &at,
                    "a table with `name`, `output` and `at_least` or `at_most`",
                );
                continue;
            };
            self.known_keys(
                table,
                &format!("{at}."),
                &["name", "output", "at_least", "at_most"],
            );
            let whole = self.span(&item.span());
            let name = self.required(table, "name", whole.clone(), |r, v| {
                r.name(v, &format!("{at}.name"))
            });
            if let Some(n) = &name
                && names.contains(n)
            {
                self.diagnostics.push(
                    Diagnostic::error("duplicate", format!("two targets are named `{n}`"))
                        .at(table.get("name").map(|v| self.span(&v.span())))
                        .field(format!("{at}.name"))
                        .hint("each target names a column of the table: give it another name"),
                );
            }
            names.extend(name.clone());
            let output = self.required(table, "output", whole.clone(), |r, v| {
                let key = r.string(v, &format!("{at}.output"))?;
                if kept.contains(&key.as_str()) {
                    return Some(key);
                }
                let mut d = Diagnostic::error(
                    "unknown-output",
                    format!("`{key}` is not an output this sweep keeps"),
                )
                .at(Some(r.span(&v.span())))
                .field(format!("{at}.output"))
                .expected(format!(
                    "one of {}",
                    kept.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                if let Some(close) = did_you_mean(&key, kept.iter().copied()) {
                    d = d.hint(format!("did you mean `{close}`?"));
                }
                r.diagnostics.push(d);
                None
            });
            let bound = match (table.get("at_least"), table.get("at_most")) {
                (Some(v), None) => Some((true, v)),
                (None, Some(v)) => Some((false, v)),
                (both, _) => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "bad-target",
                            if both.is_some() {
                                "a target is `at_least` or `at_most`, not both"
                            } else {
                                "a target needs `at_least` or `at_most`"
                            },
                        )
                        .at(Some(whole.clone()))
                        .field(at.clone())
                        .expected("`at_least = VALUE` or `at_most = VALUE`: a number, or a date for a date figure"),
                    );
                    None
                }
            };
            let threshold = bound.and_then(|(_, v)| {
                let field = format!(
                    "{at}.{}",
                    if bound.is_some_and(|b| b.0) {
                        "at_least"
                    } else {
                        "at_most"
                    }
                );
                let threshold = match v.get_ref().as_datetime() {
                    Some(d) if d.date.is_some() && d.time.is_none() => {
                        Some(Threshold::Date(d.to_string()))
                    }
                    _ => self.number(v, &field).map(Threshold::Number),
                }?;
                let is_date = output
                    .as_deref()
                    .and_then(schema::summary_key)
                    .is_some_and(|k| k.unit == "date");
                if output.is_some() && is_date != matches!(threshold, Threshold::Date(_)) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "bad-target",
                            format!(
                                "`{}` is {}, the threshold is not",
                                output.as_deref().unwrap_or(""),
                                if is_date { "a date" } else { "a number" }
                            ),
                        )
                        .at(Some(self.span(&v.span())))
                        .field(field)
                        .expected(if is_date {
                            "a date: `at_most = 2031-01-01`"
                        } else {
                            "a number in the figure's unit (a fraction for shares and IRRs)"
                        }),
                    );
                    return None;
                }
                Some(threshold)
            });
            if let (Some(name), Some(output), Some((at_least, _)), Some(threshold)) =
                (name, output, bound, threshold)
            {
                out.push(Target {
                    name,
                    output,
                    at_least,
                    threshold,
                    span: whole,
                });
            }
        }
        out
    }

    fn design(&mut self, node: &Node<'_>) -> Option<Design> {
        let Some(table) = node.get_ref().as_table() else {
            self.wrong(node, "design", "a table: `[design]` with `kind = …`");
            return None;
        };
        self.known_keys(table, "design.", &["kind", "samples", "seed", "points"]);
        let whole = self.span(&node.span());
        let kind = self.required(table, "kind", whole.clone(), |r, v| {
            r.choice(
                v,
                "design.kind",
                &["factorial", "latin-hypercube", "list"],
                |s| s,
            )
        })?;
        let only = |r: &mut Self, key: &str, kinds: &str| {
            if let Some((k, _)) = table.get_key_value(key) {
                r.diagnostics.push(
                    Diagnostic::error(
                        "unused-field",
                        format!("`design.{key}` means nothing to a {kind} design"),
                    )
                    .at(Some(r.span(&k.span())))
                    .field(format!("design.{key}"))
                    .hint(format!("only {kinds} designs take it; remove it")),
                );
            }
        };
        match kind {
            "factorial" => {
                only(self, "samples", "latin-hypercube");
                only(self, "seed", "latin-hypercube");
                only(self, "points", "list");
                Some(Design::Factorial)
            }
            "latin-hypercube" => {
                only(self, "points", "list");
                let samples = self.required(table, "samples", whole.clone(), |r, v| {
                    r.integer(v, "design.samples", 1, MAX_CASES, "a number of cases")
                });
                let seed = self.required(table, "seed", whole, |r, v| {
                    r.integer(v, "design.seed", 0, u64::MAX, "a seed")
                });
                Some(Design::LatinHypercube {
                    samples: samples?,
                    seed: seed?,
                })
            }
            _ => {
                only(self, "samples", "latin-hypercube");
                only(self, "seed", "latin-hypercube");
                let points = self.required(table, "points", whole, |r, v| r.points(v))?;
                Some(Design::List(points))
            }
        }
    }

    fn points(&mut self, node: &Node<'_>) -> Option<Vec<Point>> {
        let Some(items) = node.get_ref().as_array() else {
            self.wrong(
                node,
                "design.points",
                "an array of tables: `[[design.points]]`",
            );
            return None;
        };
        if items.is_empty() {
            self.diagnostics.push(
                Diagnostic::error("empty", "`design.points` is empty")
                    .at(Some(self.span(&node.span())))
                    .field("design.points")
                    .expected("at least one `[[design.points]]`"),
            );
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("design.points[{i}]");
            let Some(table) = item.get_ref().as_table() else {
                self.wrong(item, &at, "a table of lever values, `overrides` and `case`");
                continue;
            };
            let mut changes = Vec::new();
            let mut overrides = Vec::new();
            let mut case = None;
            for (key, value) in table {
                let k = key.get_ref().as_ref();
                let field = format!("{at}.{k}");
                match k {
                    "overrides" => {
                        overrides = self
                            .strings(value, &field, false)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|l| l.value)
                            .collect();
                    }
                    "case" => {
                        case = self.string(value, &field).filter(|c| c != "base");
                    }
                    _ => match self.lever(key, &format!("{at}.")) {
                        Some(input) => {
                            if let Some(x) = self.number(value, &field) {
                                self.accepts(input, x, value, &field);
                                changes.push((input, x));
                            }
                        }
                        None => continue,
                    },
                }
            }
            changes.sort_by_key(|c| c.0);
            out.push(Point {
                changes,
                overrides,
                case,
                span: self.span(&item.span()),
            });
        }
        Some(out)
    }

    /// The lever a key names, or a located problem with the closest name.
    fn lever(&mut self, key: &Spanned<std::borrow::Cow<'_, str>>, prefix: &str) -> Option<Input> {
        let k = key.get_ref().as_ref();
        if let Some(input) = Input::parse(k) {
            return Some(input);
        }
        let names = Input::ALL.map(Input::name);
        let mut d = Diagnostic::error("unknown-lever", format!("no lever named `{k}`"))
            .at(Some(self.span(&key.span())))
            .field(format!("{prefix}{k}"))
            .expected(format!(
                "one of {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        if let Some(close) = did_you_mean(k, names.iter().copied()) {
            d = d.hint(format!("did you mean `{close}`?"));
        }
        self.diagnostics.push(d);
        None
    }

    fn accepts(&mut self, input: Input, x: f64, node: &Node<'_>, field: &str) -> bool {
        if input.accepts(x) {
            return true;
        }
        self.diagnostics.push(
            Diagnostic::error(
                "out-of-range",
                format!(
                    "`{field}` = {x} is not a change `{}` can take",
                    input.name()
                ),
            )
            .at(Some(self.span(&node.span())))
            .field(field)
            .expected(format!("{} above −1", input.unit()))
            .hint("−1 would remove the figures it moves altogether"),
        );
        false
    }

    fn levers(&mut self, node: &Node<'_>, hypercube: bool) -> Vec<Lever> {
        let Some(table) = node.get_ref().as_table() else {
            self.wrong(
                node,
                "levers",
                "a table: `[levers]` with `lever = [values]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table {
            let Some(input) = self.lever(key, "levers.") else {
                continue;
            };
            let field = format!("levers.{}", input.name());
            let Some(items) = value.get_ref().as_array() else {
                self.wrong(
                    value,
                    &field,
                    if hypercube {
                        "an array `[low, high]`"
                    } else {
                        "an array of values"
                    },
                );
                continue;
            };
            let mut values = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let at = format!("{field}[{i}]");
                if let Some(x) = self.number(item, &at) {
                    if !self.accepts(input, x, item, &at) {
                        continue;
                    }
                    if values.contains(&x) {
                        self.diagnostics.push(
                            Diagnostic::error("duplicate", format!("{x} is listed twice"))
                                .at(Some(self.span(&item.span())))
                                .field(at)
                                .hint("each level once: a repeated level repeats cases"),
                        );
                    }
                    values.push(x);
                }
            }
            let span = self.span(&value.span());
            let bad_shape = if hypercube {
                values.len() != 2 || values[0] >= values[1]
            } else {
                items.is_empty()
            };
            if bad_shape && values.len() == items.len() {
                self.diagnostics.push(
                    Diagnostic::error(
                        "bad-levels",
                        if hypercube {
                            format!("`{field}` is not a range")
                        } else {
                            format!("`{field}` has no levels")
                        },
                    )
                    .at(Some(span.clone()))
                    .field(field)
                    .expected(if hypercube {
                        "`[low, high]` with low below high: a Latin hypercube samples the range"
                    } else {
                        "at least one value"
                    }),
                );
                continue;
            }
            out.push(Lever {
                input,
                values,
                span,
            });
        }
        out.sort_by_key(|l| l.input);
        out
    }

    fn override_sets(&mut self, node: &Node<'_>) -> Vec<Located<Vec<String>>> {
        let Some(items) = node.get_ref().as_array() else {
            self.wrong(
                node,
                "overrides",
                "an array of arrays of override names: `[[], [\"slow-grid\"]]`",
            );
            return Vec::new();
        };
        let mut out: Vec<Located<Vec<String>>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("overrides[{i}]");
            let Some(set) = self.strings(item, &field, false) else {
                continue;
            };
            let value: Vec<String> = set.into_iter().map(|l| l.value).collect();
            let span = self.span(&item.span());
            if out.iter().any(|o| o.value == value) {
                self.diagnostics.push(
                    Diagnostic::error("duplicate", "this set of overrides is listed twice")
                        .at(Some(span.clone()))
                        .field(field)
                        .hint("remove one"),
                );
            }
            out.push(Located { value, span });
        }
        out
    }
}

/// The `summary.json` keys an output name stands for: its three percentiles, or itself.
pub fn output_keys(name: &str) -> Option<Vec<String>> {
    let quantiles: Vec<String> = ["p10", "p50", "p90"]
        .iter()
        .map(|q| format!("{name}_{q}"))
        .collect();
    if quantiles
        .iter()
        .all(|k| schema::summary_key(k).is_some_and(|key| key.pattern.contains("{q}")))
    {
        Some(quantiles)
    } else if schema::is_summary_key(name) {
        Some(vec![name.to_owned()])
    } else {
        None
    }
}

/// Every output name without placeholders, for suggestions.
fn output_names() -> Vec<String> {
    schema::SUMMARY_KEYS
        .iter()
        .chain(schema::DISPATCH_KEYS)
        .chain(schema::FINANCE_KEYS)
        .flat_map(|k| k.pattern.split(", "))
        .map(|p| p.trim_end_matches("_{q}").to_owned())
        .filter(|p| !p.contains('{'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Option<Spec>, Vec<(&'static str, String)>) {
        let mut sources = SourceMap::default();
        let base = sources.add("s.toml", text);
        let (spec, problems) = parse(&sources, base);
        let found = problems
            .iter()
            .map(|d| {
                let at = d
                    .span
                    .as_ref()
                    .and_then(|s| sources.locate(s.start))
                    .map_or(String::new(), |l| format!("{}:{}", l.line, l.column));
                (d.code, at)
            })
            .collect();
        (spec, found)
    }

    const HEAD: &str = "name = \"t\"\nscenarios = [\"a.toml\"]\nruns = 5\nseed = 1\noutputs = [\"npv_eur\", \"date_first_gw\"]\n";

    #[test]
    fn a_list_design_reads_each_point_and_refuses_factors_beside_it() {
        let (spec, problems) = read(&format!(
            "{HEAD}[design]\nkind = \"list\"\n[[design.points]]\ngpu_rent = -0.2\noverrides = [\"slow\"]\n[[design.points]]\ncase = \"downside\"\ngrid_delay_months = 12\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        let spec = spec.unwrap_or_else(|| panic!("a spec"));
        let Design::List(points) = &spec.design else {
            panic!("a list")
        };
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].changes, vec![(Input::GpuRent, -0.2)]);
        assert_eq!(points[0].overrides, vec!["slow".to_owned()]);
        assert_eq!(points[1].case.as_deref(), Some("downside"));
        assert_eq!(spec.lever_inputs(), vec![Input::GpuRent, Input::GridDelay]);
        assert_eq!(spec.output_keys().len(), 6);
        let (spec, problems) = read(&format!(
            "{HEAD}cases = [\"base\"]\n[design]\nkind = \"list\"\npoints = [{{ gpu_rent = -1.5 }}]\n"
        ));
        assert!(spec.is_none());
        assert_eq!(
            problems,
            vec![
                ("list-with-factors", "6:1".to_owned()),
                ("out-of-range", "9:24".to_owned())
            ]
        );
    }

    #[test]
    fn a_latin_hypercube_needs_ranges_samples_and_a_seed() {
        let (spec, problems) = read(&format!(
            "{HEAD}[design]\nkind = \"latin-hypercube\"\n[levers]\ngpu_rent = [0.1, -0.1]\ndemand = [0.2]\n"
        ));
        assert!(spec.is_none());
        let codes: Vec<&str> = problems.iter().map(|p| p.0).collect();
        assert_eq!(
            codes,
            vec!["missing-field", "missing-field", "bad-levels", "bad-levels"],
            "{problems:?}"
        );
        let (spec, problems) = read(&format!(
            "{HEAD}seeds = \"comon\"\n[design]\nkind = \"latin-hypercube\"\nsamples = 10\nseed = 3\npoints = []\n"
        ));
        assert!(spec.is_none());
        assert_eq!(
            problems,
            vec![
                ("unknown-value", "6:9".to_owned()),
                ("unused-field", "11:1".to_owned())
            ]
        );
    }

    #[test]
    fn a_target_tests_a_kept_output_against_a_number_or_a_date() {
        let (spec, problems) = read(&format!(
            "{HEAD}design = {{ kind = \"factorial\" }}\n[[targets]]\nname = \"lender\"\noutput = \"npv_eur_p10\"\nat_least = 0\n[[targets]]\nname = \"gw\"\noutput = \"date_first_gw_p50\"\nat_most = 2031-12-31\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        let targets = spec.map(|s| s.targets).unwrap_or_default();
        assert_eq!(targets.len(), 2);
        let (lender, gw) = (&targets[0], &targets[1]);
        assert_eq!(lender.describe(), "npv_eur_p10 ≥ 0");
        assert!(lender.meets(Some(&serde_json::json!(0.0))));
        assert!(!lender.meets(Some(&serde_json::json!(-1.0))));
        assert!(
            !lender.meets(Some(&serde_json::Value::Null)),
            "null never meets"
        );
        assert!(gw.meets(Some(&serde_json::json!("2031-12-31"))));
        assert!(!gw.meets(Some(&serde_json::json!("2032-01-01"))));
        assert!(!gw.meets(None));
        let (spec, problems) = read(&format!(
            "{HEAD}design = {{ kind = \"factorial\" }}\n[[targets]]\nname = \"a\"\noutput = \"npv_eur_p10\"\nat_most = 2031-01-01\n[[targets]]\nname = \"a\"\noutput = \"npv_eur_p51\"\nat_least = 1\nat_most = 2\n"
        ));
        assert!(spec.is_none());
        let codes: Vec<&str> = problems.iter().map(|p| p.0).collect();
        assert_eq!(
            codes,
            vec!["bad-target", "bad-target", "duplicate", "unknown-output"],
            "{problems:?}"
        );
    }

    #[test]
    fn an_output_is_a_figure_with_its_percentiles_or_a_key_and_never_a_column_twice() {
        assert_eq!(
            output_keys("project_irr"),
            Some(vec![
                "project_irr_p10".to_owned(),
                "project_irr_p50".to_owned(),
                "project_irr_p90".to_owned()
            ])
        );
        assert_eq!(
            output_keys("project_irr_p50"),
            Some(vec!["project_irr_p50".to_owned()])
        );
        assert_eq!(output_keys("cod_date"), Some(vec!["cod_date".to_owned()]));
        assert_eq!(output_keys("no_such_figure"), None);
        let (spec, problems) = read(
            "name = \"t\"\nscenarios = [\"a.toml\"]\nruns = 5\nseed = 1\noutputs = [\"npv_eur\", \"npv_eur_p50\", \"seed\"]\ndesign = { kind = \"factorial\" }\n",
        );
        assert!(spec.is_none());
        assert_eq!(
            problems,
            vec![
                ("duplicate", "5:23".to_owned()),
                ("duplicate", "5:38".to_owned())
            ]
        );
    }
}
