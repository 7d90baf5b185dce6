//! Conversion of the wire structs into the domain model, with every semantic check: references,
//! catalog ids and overrides, quantities, dates, distributions, ownership, cooling, power and
//! correlation. Problems are collected; a scenario is returned only if there were none.

// `path!` builds a Vec because most paths are extended with `concat`; borrowing one as a slice is fine.
#![allow(clippy::useless_vec)]

use std::collections::BTreeMap;
use std::ops::Range;

use nalgebra::DMatrix;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::tree::{self, Node, Seg};
use super::wire;
use crate::catalog::{Catalog, Cooling};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{self as m, Attribute, AttributeKind, Distribution, FactorId, Test};
use crate::model::{CaseSpec, Change, Input, Range as InputRange};
use crate::units::{Date, Eur, Mw};

macro_rules! path {
    ($($seg:expr),* $(,)?) => { vec![$(Seg::from($seg)),*] };
}

impl From<&str> for Seg {
    fn from(key: &str) -> Self {
        Seg::Key(key.to_owned())
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Self {
        Seg::Index(index)
    }
}

/// Tolerance on ownership shares summing to 100 % [percentage points].
const OWNERSHIP_TOLERANCE_PCT: f64 = 0.01;

struct Ctx<'a, 'i> {
    root: &'a Node<'i>,
    catalog: &'a Catalog,
    out: &'a mut Vec<Diagnostic>,
    start: Date,
    end: Date,
    factors: Vec<String>,
    discarded: Diagnostic,
    /// What was dropped for wire errors already reported; problems that follow from it are not news.
    removed: &'a Removed<'a>,
    /// Keys of `defaults.csv` that filled a field the scenario left out, for the assumptions list.
    defaults_used: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

/// Entities and fields dropped before conversion because of errors already reported.
pub struct Removed<'a> {
    /// Ids of dropped entities: references to them are not reported again.
    pub ids: &'a [String],
    /// Field paths dropped: problems at, inside or around them are not reported again.
    pub paths: &'a [String],
}

impl Removed<'_> {
    fn covers(&self, path: &str) -> bool {
        self.paths.iter().any(|r| {
            r == path
                || path.starts_with(&format!("{r}."))
                || r.starts_with(&format!("{path}."))
                || r.starts_with(&format!("{path}["))
        })
    }
}

impl Ctx<'_, '_> {
    fn span(&self, path: &[Seg]) -> Option<Range<usize>> {
        tree::get(self.root, path)
            .map(toml::Spanned::span)
            .or_else(|| {
                // A field left out has no span; point at the closest enclosing table that exists.
                (1..path.len())
                    .rev()
                    .find_map(|n| tree::key_span(self.root, &path[..n]))
            })
    }

    fn error(
        &mut self,
        code: &'static str,
        path: &[Seg],
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let field = tree::path_string(path);
        let d = Diagnostic::error(code, message)
            .at(self.span(path))
            .field(field.clone());
        if self.removed.covers(&field) {
            // Hand back a diagnostic to fill in, but keep it out of the report: it follows from
            // a key already removed for an error reported before.
            self.discarded = d;
            return &mut self.discarded;
        }
        self.out.push(d);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    fn warning(
        &mut self,
        code: &'static str,
        path: &[Seg],
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = Diagnostic::warning(code, message)
            .at(self.span(path))
            .field(tree::path_string(path));
        self.out.push(d);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// A finite number, at least zero.
    fn quantity(&mut self, path: &[Seg], value: f64) -> Option<f64> {
        let name = tree::path_string(path);
        if !value.is_finite() {
            let d = self.error("not-finite", path, format!("`{name}` is {value}"));
            *d = d
                .clone()
                .expected("a finite number")
                .hint("`nan` and `inf` are valid TOML but not valid quantities");
            return None;
        }
        if value < 0.0 {
            let d = self.error("negative", path, format!("`{name}` is negative ({value})"));
            *d = d.clone().expected("zero or more");
            return None;
        }
        Some(value)
    }

    /// A finite number above zero.
    fn positive(&mut self, path: &[Seg], value: f64) -> Option<f64> {
        let v = self.quantity(path, value)?;
        if v == 0.0 {
            let name = tree::path_string(path);
            let d = self.error("zero", path, format!("`{name}` is zero"));
            *d = d.clone().expected("a number above zero");
            return None;
        }
        Some(v)
    }

    /// A probability or share in [0, 1].
    fn fraction(&mut self, path: &[Seg], value: f64) -> Option<f64> {
        let v = self.quantity(path, value)?;
        if v > 1.0 {
            let name = tree::path_string(path);
            let d = self.error(
                "not-a-fraction",
                path,
                format!("`{name}` is {v}, outside [0, 1]"),
            );
            let hint = format!("write shares as fractions: 24 % is `{}`", v / 100.0);
            *d = d.clone().expected("a fraction between 0 and 1").hint(hint);
            return None;
        }
        Some(v)
    }

    fn date(&mut self, path: &[Seg], value: &toml::value::Datetime) -> Option<Date> {
        let name = tree::path_string(path);
        let date = match (&value.date, &value.time, &value.offset) {
            (Some(d), None, None) => Date::new(i32::from(d.year), d.month, d.day),
            _ => None,
        };
        if date.is_none() {
            let d = self.error(
                "bad-date",
                path,
                format!("`{name}` = {value} is not a calendar date"),
            );
            *d = d
                .clone()
                .expected("a date such as 2027-01-01, without a time");
        }
        date
    }

    fn date_in_horizon(&mut self, path: &[Seg], value: &toml::value::Datetime) -> Option<Date> {
        let date = self.date(path, value)?;
        if date < self.start || date >= self.end {
            let (start, end) = (self.start, self.end);
            let name = tree::path_string(path);
            let d = self.error(
                "outside-horizon",
                path,
                format!("`{name}` = {date} is outside the horizon"),
            );
            let hint = "extend `scenario.horizon_years` or move the date";
            *d = d
                .clone()
                .expected(format!("a date from {start} to before {end}"))
                .hint(hint);
            return None;
        }
        Some(date)
    }

    fn uncertain(&mut self, path: &[Seg], value: &wire::Uncertain) -> Option<m::Uncertain> {
        let dist = match value {
            wire::Uncertain::Fixed(v) => return self.quantity(path, *v).map(m::Uncertain::fixed),
            wire::Uncertain::Dist(d) => d,
        };
        let mut ok = true;
        let mut param = |ctx: &mut Self, key: &str, v: Option<f64>, needed: bool| -> f64 {
            let p = [path.to_vec(), path!(key)].concat();
            match (v, needed) {
                (Some(v), true) => ctx.quantity(&p, v).unwrap_or_else(|| {
                    ok = false;
                    0.0
                }),
                (None, true) => {
                    ok = false;
                    let kind = format!("{:?}", dist.dist).to_lowercase();
                    let d = ctx.error(
                        "missing-parameter",
                        path,
                        format!("a `{kind}` distribution needs `{key}`"),
                    );
                    *d = d.clone().expected(format!("`{key} = …` in this table"));
                    0.0
                }
                (Some(_), false) => {
                    ok = false;
                    let kind = format!("{:?}", dist.dist).to_lowercase();
                    let d = ctx.error(
                        "unused-parameter",
                        &p,
                        format!("a `{kind}` distribution has no `{key}`"),
                    );
                    *d = d
                        .clone()
                        .expected(format!("only the parameters of a `{kind}` distribution"))
                        .hint("remove it, or change `dist`");
                    0.0
                }
                (None, false) => 0.0,
            }
        };
        use wire::DistKind as K;
        let k = dist.dist;
        let value = param(self, "value", dist.value, k == K::Fixed);
        let min = param(
            self,
            "min",
            dist.min,
            matches!(k, K::Uniform | K::Triangular | K::Pert),
        );
        let mode = param(
            self,
            "mode",
            dist.mode,
            matches!(k, K::Triangular | K::Pert),
        );
        let max = param(
            self,
            "max",
            dist.max,
            matches!(k, K::Uniform | K::Triangular | K::Pert),
        );
        let p50 = param(self, "p50", dist.p50, k == K::Lognormal);
        let p90 = param(self, "p90", dist.p90, k == K::Lognormal);
        let factor = dist.factor.as_ref().and_then(|f| {
            let found = self
                .factors
                .iter()
                .position(|x| x == f)
                .map(|i| FactorId(i as u32));
            if found.is_none() {
                ok = false;
                let known = self.factors.clone();
                let p = [path.to_vec(), path!("factor")].concat();
                let d = self.error("unknown-factor", &p, format!("no risk factor named `{f}`"));
                let expected = if known.is_empty() {
                    "a name listed in `uncertainty.factors` (none are declared)".to_owned()
                } else {
                    format!("one of {}", list(&known))
                };
                *d = d
                    .clone()
                    .expected(expected)
                    .hint("declare it in `[uncertainty] factors = [...]`");
            }
            found
        });
        if !ok {
            return None;
        }
        let dist = match k {
            K::Fixed => Distribution::Fixed(value),
            K::Uniform | K::Triangular | K::Pert => {
                let ordered = min <= max && (k == K::Uniform || (min <= mode && mode <= max));
                if !ordered {
                    let name = tree::path_string(path);
                    let d = self.error(
                        "bad-distribution",
                        path,
                        format!("`{name}` has its bounds out of order"),
                    );
                    let expected = if k == K::Uniform {
                        "min ≤ max"
                    } else {
                        "min ≤ mode ≤ max"
                    };
                    *d = d.clone().expected(expected);
                    return None;
                }
                match k {
                    K::Uniform => Distribution::Uniform { min, max },
                    K::Triangular => Distribution::Triangular { min, mode, max },
                    _ => Distribution::Pert { min, mode, max },
                }
            }
            K::Lognormal => {
                if p90 < p50 {
                    let p = [path.to_vec(), path!("p90")].concat();
                    let d = self.error(
                        "p90-below-p50",
                        &p,
                        format!("P90 ({}) is below P50 ({})", num(p90), num(p50)),
                    );
                    *d = d
                        .clone()
                        .expected("p90 ≥ p50")
                        .hint("P90 is the value exceeded only 10 % of the time");
                    return None;
                }
                if p50 <= 0.0 {
                    let p = [path.to_vec(), path!("p50")].concat();
                    let d = self.error("zero", &p, "a lognormal median must be above zero");
                    *d = d.clone().expected("p50 > 0");
                    return None;
                }
                Distribution::LogNormal { p50, p90 }
            }
        };
        Some(m::Uncertain { dist, factor })
    }

    fn unique_ids<'w>(&mut self, section: &str, ids: impl Iterator<Item = &'w str>) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, id) in ids.enumerate() {
            if let Some(first) = seen.get(id) {
                let first = *first;
                let d = self.error(
                    "duplicate-id",
                    &path!(section, i, "id"),
                    format!("`{id}` is used twice in `{section}`"),
                );
                *d = d
                    .clone()
                    .expected("a unique id")
                    .hint(format!("the first `{id}` is {section}[{first}]"));
            } else {
                seen.insert(id, i);
            }
        }
    }

    fn reference(&mut self, path: &[Seg], id: &str, section: &str, ids: &[&str]) -> Option<usize> {
        let found = ids.iter().position(|x| *x == id);
        if found.is_none() && !self.removed.ids.iter().any(|r| r == id) {
            let d = self.error(
                "unknown-reference",
                path,
                format!("no entry `{id}` in `{section}`"),
            );
            let mut fixed = d
                .clone()
                .expected(format!("the id of one of the `[[{section}]]` entries"));
            fixed = match did_you_mean(id, ids.iter().copied()) {
                Some(close) => fixed.hint(format!("did you mean `{close}`?")),
                None => fixed.hint(format!("defined ids: {}", list(ids))),
            };
            *d = fixed;
        }
        found
    }

    fn catalog_ref<'c, T>(
        &mut self,
        path: &[Seg],
        id: &str,
        table: &str,
        rows: &'c [T],
        key: fn(&T) -> &str,
    ) -> Option<&'c T> {
        let found = rows.iter().find(|r| key(r) == id);
        if found.is_none() {
            let ids: Vec<&str> = rows.iter().map(key).collect();
            let d = self.error(
                "unknown-catalog-id",
                path,
                format!("`{id}` is not in the {table} catalog"),
            );
            let mut fixed = d.clone().expected(format!("one of {}", list(&ids)));
            fixed = match did_you_mean(id, ids.iter().copied()) {
                Some(close) => fixed.hint(format!("did you mean `{close}`?")),
                None => fixed.hint(format!(
                    "`sovsim catalog {table}` lists them with their sources"
                )),
            };
            *d = fixed;
        }
        found
    }

    fn country(&mut self, path: &[Seg], code: &str) -> Option<crate::catalog::Country> {
        let countries = &self.catalog.countries;
        let found = countries.iter().find(|c| c.code == code).cloned();
        if found.is_none() {
            let codes: Vec<&str> = countries.iter().map(|c| c.code.as_str()).collect();
            let d = self.error(
                "unknown-country",
                path,
                format!("`{code}` is not a country in the catalog"),
            );
            let mut fixed = d
                .clone()
                .expected("an ISO 3166-1 alpha-2 code in data/countries.csv");
            if let Some(close) = did_you_mean(code, codes.iter().copied())
                .or_else(|| codes.iter().copied().find(|c| c.eq_ignore_ascii_case(code)))
            {
                fixed = fixed.hint(format!("did you mean `{close}`?"));
            } else {
                fixed = fixed.hint(
                    "add the country to data/countries.csv with its source, and pass `--data DIR`",
                );
            }
            *d = fixed;
        }
        found
    }

    /// A jurisdiction name in a rule or ownership table: a catalog country or `EU`.
    fn jurisdiction(&mut self, path: &[Seg], code: &str) -> bool {
        code == "EU" || self.country(path, code).is_some()
    }

    /// Applies a scenario's overrides to a catalog row, one key at a time so each bad key is reported.
    fn apply_overrides<T: Serialize + DeserializeOwned + Clone>(
        &mut self,
        path: &[Seg],
        row: &T,
        overrides: Option<&wire::Overrides>,
    ) -> (T, Vec<String>) {
        let Some(overrides) = overrides else {
            return (row.clone(), Vec::new());
        };
        let mut current = row.clone();
        let mut changed = Vec::new();
        for (key, value) in overrides {
            let p = [path.to_vec(), path!("overrides", key.as_str())].concat();
            let Ok(serde_json::Value::Object(mut fields)) = serde_json::to_value(&current) else {
                continue;
            };
            let fixed = ["id", "code", "estimated_fields", "source", "source_date"];
            if !fields.contains_key(key) || fixed.contains(&key.as_str()) {
                let names: Vec<&str> = fields
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !fixed.contains(k))
                    .collect();
                let d = self.error(
                    "unknown-catalog-field",
                    &p,
                    format!("`{key}` is not a catalog field that can be overridden"),
                );
                let mut fixed_d = d.clone().expected(format!("one of {}", list(&names)));
                if let Some(close) = did_you_mean(key, names.iter().copied()) {
                    fixed_d = fixed_d.hint(format!("did you mean `{close}`?"));
                }
                *d = fixed_d;
                continue;
            }
            let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
            // Every numeric catalog column is a quantity: finite and not negative. Check the TOML value,
            // since JSON turns NaN and infinities into null.
            let number = match value {
                toml::Value::Float(f) => Some(*f),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            if let Some(number) = number
                && self.quantity(&p, number).is_none()
            {
                continue;
            }
            fields.insert(key.clone(), json);
            match serde_json::from_value::<T>(serde_json::Value::Object(fields)) {
                Ok(next) => {
                    current = next;
                    changed.push(key.clone());
                }
                Err(e) => {
                    let d = self.error("bad-override", &p, format!("cannot set `{key}`: {e}"));
                    *d = d
                        .clone()
                        .hint("the type and unit of each column are documented in data/README.md");
                }
            }
        }
        (current, changed)
    }

    /// The default for `key`, recorded as used: call it only when the scenario left the field out.
    fn default(&self, key: &str) -> f64 {
        self.defaults_used.borrow_mut().insert(key.to_owned());
        // `defaults.csv` is checked by the test suite to hold every key asked for here.
        self.catalog.default_value(key).unwrap_or(f64::NAN)
    }
}

/// A number as people write it in scenario files: `2e11` rather than `200000000000`.
fn num(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn list(items: &[impl AsRef<str>]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !name.starts_with(['-', '.'])
}

/// Converts and checks; returns the scenario only if no error was found.
pub fn convert(
    file: &wire::ScenarioFile,
    root: &Node<'_>,
    catalog: &Catalog,
    removed: &Removed<'_>,
    out: &mut Vec<Diagnostic>,
) -> Option<m::Scenario> {
    let errors_before = out.iter().filter(|d| d.is_error()).count();
    let mut ctx = Ctx {
        root,
        catalog,
        out,
        start: Date {
            year: 2000,
            month: 1,
            day: 1,
        },
        end: Date {
            year: 9999,
            month: 12,
            day: 31,
        },
        factors: Vec::new(),
        discarded: Diagnostic::error("discarded", ""),
        removed,
        defaults_used: Default::default(),
    };
    let meta = convert_meta(&mut ctx, &file.scenario);
    if let Some(meta) = &meta {
        ctx.start = meta.start_date;
        ctx.end = meta.end_date();
    }
    let uncertainty = convert_uncertainty(&mut ctx, file.uncertainty.as_ref());
    let operators = convert_operators(&mut ctx, &file.operators);
    let sites = convert_sites(&mut ctx, &file.sites);
    let site_ids: Vec<&str> = file.sites.iter().map(|s| s.id.as_str()).collect();
    let grid = convert_grid(&mut ctx, &file.grid_connections, &site_ids, &sites);
    let power = convert_power(&mut ctx, &file.power_assets, &site_ids);
    let shells = convert_shells(&mut ctx, &file.shells, &site_ids);
    let clusters = convert_clusters(&mut ctx, file, &shells);
    let tiers = convert_tiers(&mut ctx, &file.tiers);
    let models = convert_models(&mut ctx, &file.models);
    let (training, inference) = convert_demand(&mut ctx, file, &models);
    let dispatch = convert_dispatch(&mut ctx, file, &clusters, &models, &inference);
    let finance = file
        .finance
        .as_ref()
        .and_then(|f| convert_finance(&mut ctx, f, &clusters, &power, &shells));
    // Refreshes replace the GPUs of the cluster they follow, so they take no capacity of their own.
    let originals = clusters.iter().filter(|c| c.refresh_of.is_none()).count();
    check_capacity(
        &mut ctx,
        file,
        &sites,
        &grid,
        &power,
        &shells,
        &clusters[..originals],
    );
    let supply_shocks = convert_supply_shocks(&mut ctx, &file.supply_shocks);
    let optimize = convert_optimize(&mut ctx, file, meta.as_ref(), &tiers);
    let sensitivity = convert_sensitivity(&mut ctx, file);
    let cases = convert_cases(&mut ctx, file);

    let errors_after = ctx.out.iter().filter(|d| d.is_error()).count();
    if errors_after > errors_before {
        return None;
    }
    Some(m::Scenario {
        meta: meta?,
        operators,
        sites: sites.into_iter().collect::<Option<Vec<_>>>()?,
        grid_connections: grid,
        power_assets: power,
        shells: shells.into_iter().collect::<Option<Vec<_>>>()?,
        clusters,
        supply_shocks,
        tiers,
        eu_members: catalog
            .countries
            .iter()
            .filter(|c| c.eu_member)
            .map(|c| c.code.clone())
            .collect(),
        models,
        training,
        inference,
        dispatch,
        finance,
        uncertainty,
        defaults_used: ctx.defaults_used.take().into_iter().collect(),
        optimize,
        sensitivity,
        cases,
    })
}

/// The input called `name`, or an error at `path` with the names there are.
fn sensitivity_input(ctx: &mut Ctx, path: &[Seg], name: &str) -> Option<Input> {
    let found = Input::parse(name);
    if found.is_none() {
        let names: Vec<&str> = Input::ALL.iter().map(|i| i.name()).collect();
        let d = ctx.error(
            "unknown-input",
            path,
            format!("no sensitivity input named `{name}`"),
        );
        let mut fixed = d.clone().expected(format!("one of {}", list(&names)));
        if let Some(close) = did_you_mean(name, names.iter().copied()) {
            fixed = fixed.hint(format!("did you mean `{close}`?"));
        }
        *d = fixed;
    }
    found
}

/// Checks that `value` is a change `input` can take.
fn sensitivity_value(ctx: &mut Ctx, path: &[Seg], input: Input, value: f64) -> bool {
    if input.accepts(value) {
        return true;
    }
    let d = ctx.error(
        "bad-change",
        path,
        format!("`{}` cannot change by {value}", input.name()),
    );
    *d = d
        .clone()
        .expected(match input.change() {
            Change::Relative => "a finite relative change above −1 (−0.4: 40 % lower)",
            Change::Rate => "a finite change of the rate (0.04: four points higher)",
            Change::Months => "a finite number of months",
        })
        .hint(format!("`{}` moves {}", input.name(), input.meaning()));
    false
}

/// The tornado's inputs and ranges: the scenario's, else every input over its range in
/// `data/defaults.csv`. Like the optimiser's settings, the defaults are not assumptions of a
/// simulation and are not recorded in `defaults_used`.
fn convert_sensitivity(ctx: &mut Ctx, file: &wire::ScenarioFile) -> Vec<InputRange> {
    let empty = wire::Sensitivity {
        inputs: None,
        ranges: BTreeMap::new(),
    };
    let w = file.sensitivity.as_ref().unwrap_or(&empty);
    let mut chosen: Vec<Input> = match &w.inputs {
        None => Input::ALL.to_vec(),
        Some(names) => names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| sensitivity_input(ctx, &path!("sensitivity", "inputs", i), n))
            .collect(),
    };
    chosen.sort();
    chosen.dedup();
    let mut given = BTreeMap::new();
    for (name, [low, high]) in &w.ranges {
        let at = path!("sensitivity", "ranges", name.as_str());
        let Some(input) = sensitivity_input(ctx, &at, name) else {
            continue;
        };
        let ok =
            sensitivity_value(ctx, &at, input, *low) & sensitivity_value(ctx, &at, input, *high);
        if ok && low > high {
            let d = ctx.error(
                "bad-range",
                &at,
                format!("the range of `{name}` runs backwards ({low} > {high})"),
            );
            *d = d.clone().expected("[low, high] with low ≤ high");
        } else if ok {
            given.insert(input, (*low, *high));
            if !chosen.contains(&input) {
                let d = ctx.warning(
                    "unused-range",
                    &at,
                    format!("`{name}` has a range but is not among `[sensitivity] inputs`"),
                );
                *d = d.clone().hint("add it to `inputs`, or remove its range");
            }
        }
    }
    chosen
        .into_iter()
        .map(|input| {
            let (low, high) = given.get(&input).copied().unwrap_or_else(|| {
                let (lk, hk) = input.default_keys();
                let value = |k: &str| ctx.catalog.default_value(k).unwrap_or(0.0);
                (value(&lk), value(&hk))
            });
            InputRange { input, low, high }
        })
        .collect()
}

/// Named cases: their input changes (checked like ranges) and overrides (which must be defined).
fn convert_cases(ctx: &mut Ctx, file: &wire::ScenarioFile) -> Vec<CaseSpec> {
    let Some(cases) = &file.cases else {
        return Vec::new();
    };
    let defined: Vec<&str> = file
        .overrides
        .as_ref()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, case) in cases {
        let at = |k: &str| path!("cases", name.as_str(), k);
        if name == "base" {
            let d = ctx.error(
                "reserved-case",
                &path!("cases", "base"),
                "`base` is the scenario itself and cannot be declared as a case",
            );
            *d = d
                .clone()
                .expected("another name: `downside`, `upside`, `combined`…")
                .hint(
                    "the base case is every input as the scenario states it; reports list it first",
                );
            continue;
        }
        let mut changes = Vec::new();
        for (input_name, value) in &case.inputs {
            let p = path!("cases", name.as_str(), "inputs", input_name.as_str());
            if let Some(input) = sensitivity_input(ctx, &p, input_name)
                && sensitivity_value(ctx, &p, input, *value)
            {
                changes.push((input, *value));
            }
        }
        changes.sort_by_key(|(i, _)| *i);
        for (i, o) in case.overrides.iter().enumerate() {
            if !defined.contains(&o.as_str()) {
                let p = [at("overrides"), path!(i)].concat();
                let d = ctx.error(
                    "unknown-override",
                    &p,
                    format!("case `{name}` applies `{o}`, but no `[overrides.{o}]` is defined"),
                );
                let mut fixed = d.clone().expected(if defined.is_empty() {
                    "the name of an `[overrides.NAME]` table (this scenario defines none)"
                        .to_owned()
                } else {
                    format!("one of {}", list(&defined))
                });
                if let Some(close) = did_you_mean(o, defined.iter().copied()) {
                    fixed = fixed.hint(format!("did you mean `{close}`?"));
                }
                *d = fixed;
            }
        }
        out.push(CaseSpec {
            name: name.clone(),
            description: case.description.clone().unwrap_or_default(),
            changes,
            overrides: case.overrides.clone(),
        });
    }
    out
}

/// The optimiser's settings. Its defaults are not recorded in `defaults_used`: they are not
/// assumptions of a simulation, and `sovsim optimize` prints the settings it used.
fn convert_optimize(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    meta: Option<&m::Meta>,
    tiers: &[m::Tier],
) -> m::OptimizeSpec {
    let default = |key: &str| ctx.catalog.default_value(key).unwrap_or(f64::NAN);
    let (gap, limit, quantile, factor) = (
        default("optimize_mip_gap"),
        default("optimize_time_limit_s"),
        default("optimize_grid_wait_quantile"),
        default("optimize_shortfall_penalty_factor"),
    );
    let horizon = meta.map_or(1, |m| m.horizon_years);
    let empty = wire::Optimize {
        objective: None,
        period_years: None,
        periods: None,
        grid_wait_quantile: None,
        budget_eur_per_year: None,
        carbon_cap_t_per_year: None,
        sovereign_tiers: None,
        min_sovereign_share: None,
        committed: Vec::new(),
        mip_gap: None,
        time_limit_s: None,
    };
    let w = file.optimize.as_ref().unwrap_or(&empty);
    let at = |k: &str| path!("optimize", k);
    let tier_ids: Vec<&str> = tiers.iter().map(|t| t.id.as_str()).collect();
    let mut period_years = w.period_years.unwrap_or(1);
    if period_years == 0 || period_years > horizon {
        let d = ctx.error(
            "bad-period",
            &at("period_years"),
            format!("a period of {period_years} years does not fit a {horizon}-year horizon"),
        );
        *d = d
            .clone()
            .expected(format!("1 to {horizon} years"))
            .hint("periods are whole years; 1 plans year by year");
        period_years = 1;
    }
    let fit = horizon / period_years;
    let mut periods = w.periods.unwrap_or(fit);
    if periods == 0 || periods > fit {
        let d = ctx.error(
            "bad-period",
            &at("periods"),
            format!(
                "{periods} periods of {period_years} years do not fit a {horizon}-year horizon"
            ),
        );
        *d = d
            .clone()
            .expected(format!("1 to {fit} periods"))
            .hint("leave `periods` out to plan the whole horizon");
        periods = fit.max(1);
    }
    let mut probability = |k: &str, v: Option<f64>, fallback: f64| match v {
        Some(v) => match ctx.fraction(&at(k), v) {
            Some(v) => v,
            None => fallback,
        },
        None => fallback,
    };
    let grid_wait_quantile = probability("grid_wait_quantile", w.grid_wait_quantile, quantile);
    let mip_gap = probability("mip_gap", w.mip_gap, gap);
    let mut positive = |k: &str, v: Option<f64>| v.and_then(|v| ctx.quantity(&at(k), v));
    let budget_eur_per_year = positive("budget_eur_per_year", w.budget_eur_per_year);
    let carbon_cap_t_per_year = positive("carbon_cap_t_per_year", w.carbon_cap_t_per_year);
    let time_limit_s = positive("time_limit_s", w.time_limit_s).unwrap_or(limit);
    let sovereign_tiers = match &w.sovereign_tiers {
        None => (0..tiers.len() as u32).map(m::TierId).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                ctx.reference(
                    &path!("optimize", "sovereign_tiers", i),
                    id,
                    "tiers",
                    &tier_ids,
                )
                .map(|t| m::TierId(t as u32))
            })
            .collect(),
    };
    let min_sovereign_share = w.min_sovereign_share.as_ref().and_then(|s| {
        let tier = ctx.reference(
            &path!("optimize", "min_sovereign_share", "tier"),
            &s.tier,
            "tiers",
            &tier_ids,
        );
        let share = ctx.fraction(&path!("optimize", "min_sovereign_share", "share"), s.share);
        Some((m::TierId(tier? as u32), share?))
    });
    if w.objective == Some(m::Objective::MaxSovereign) && budget_eur_per_year.is_none() {
        let d = ctx.error(
            "missing-budget",
            &at("objective"),
            "`max_sovereign` serves as much sovereign demand as a budget buys, but no budget is set",
        );
        *d = d
            .clone()
            .expected("`budget_eur_per_year` in `[optimize]`")
            .hint("set `budget_eur_per_year`, or use `objective = \"min_cost\"`");
    }
    let ids: Vec<&str> = file
        .sites
        .iter()
        .map(|x| x.id.as_str())
        .chain(file.grid_connections.iter().map(|x| x.id.as_str()))
        .chain(file.power_assets.iter().map(|x| x.id.as_str()))
        .chain(file.shells.iter().map(|x| x.id.as_str()))
        .chain(file.clusters.iter().map(|x| x.id.as_str()))
        .collect();
    for (i, id) in w.committed.iter().enumerate() {
        ctx.reference(
            &path!("optimize", "committed", i),
            id,
            "sites, grid_connections, power_assets, shells or clusters",
            &ids,
        );
    }
    m::OptimizeSpec {
        objective: w.objective.unwrap_or_default(),
        period_years,
        periods,
        grid_wait_quantile,
        budget_eur_per_year,
        carbon_cap_t_per_year,
        sovereign_tiers,
        min_sovereign_share,
        committed: w.committed.clone(),
        mip_gap,
        time_limit_s,
        shortfall_penalty_factor: factor,
    }
}

fn convert_meta(ctx: &mut Ctx, w: &wire::Meta) -> Option<m::Meta> {
    let base = path!("scenario");
    let at = |k: &str| [base.clone(), path!(k)].concat();
    let mut ok = true;
    if !is_slug(&w.name) {
        ok = false;
        let d = ctx.error(
            "bad-name",
            &at("name"),
            format!("scenario name `{}` cannot name a folder", w.name),
        );
        let slug: String = w
            .name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        *d = d
            .clone()
            .expected("lowercase letters, digits, `-` and `.`")
            .hint(format!("try `{}`", slug.trim_matches('-')));
    }
    let start_date = ctx.date(&at("start_date"), &w.start_date);
    if !(1..=100).contains(&w.horizon_years) {
        ok = false;
        let d = ctx.error(
            "out-of-range",
            &at("horizon_years"),
            format!("a horizon of {} years", w.horizon_years),
        );
        *d = d.clone().expected("1 to 100 years");
    }
    if w.period_months == 0 || 12 % w.period_months != 0 {
        ok = false;
        let d = ctx.error(
            "bad-period",
            &at("period_months"),
            format!(
                "a period of {} months does not divide a year",
                w.period_months
            ),
        );
        *d = d
            .clone()
            .expected("1, 2, 3, 4, 6 or 12")
            .hint("reports aggregate periods into years, so a period must divide 12 months");
    }
    let currency = match w.currency.as_str() {
        "EUR" => Some(m::Currency::Eur),
        "USD" => Some(m::Currency::Usd),
        other => {
            let d = ctx.error(
                "unknown-currency",
                &at("currency"),
                format!("currency `{other}` is not supported"),
            );
            *d = d.clone().expected("`EUR` or `USD`");
            None
        }
    };
    let discount_rate = ctx.fraction(&at("discount_rate"), w.discount_rate);
    if !ok {
        return None;
    }
    Some(m::Meta {
        name: w.name.clone(),
        description: w.description.clone().unwrap_or_default(),
        start_date: start_date?,
        horizon_years: w.horizon_years,
        period_months: w.period_months,
        currency: currency?,
        discount_rate: discount_rate?,
        seed: w.seed,
    })
}

fn convert_uncertainty(ctx: &mut Ctx, w: Option<&wire::Uncertainty>) -> m::Uncertainty {
    let Some(w) = w else {
        return m::Uncertainty::default();
    };
    let mut seen: Vec<&str> = Vec::new();
    for (i, f) in w.factors.iter().enumerate() {
        if seen.contains(&f.as_str()) {
            let d = ctx.error(
                "duplicate-id",
                &path!("uncertainty", "factors", i),
                format!("risk factor `{f}` is listed twice"),
            );
            *d = d.clone().expected("unique factor names");
        }
        seen.push(f);
    }
    ctx.factors = w.factors.clone();
    let Some(rows) = &w.correlation else {
        return m::Uncertainty {
            factors: w.factors.clone(),
            cholesky: None,
        };
    };
    let n = w.factors.len();
    let at = path!("uncertainty", "correlation");
    if rows.len() != n || rows.iter().any(|r| r.len() != n) {
        let shape = rows
            .iter()
            .map(|r| r.len().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let d = ctx.error(
            "bad-correlation",
            &at,
            format!(
                "the correlation matrix has {} rows of lengths [{shape}]",
                rows.len()
            ),
        );
        *d = d.clone().expected(format!(
            "{n} rows of {n} numbers, one per factor in `uncertainty.factors`"
        ));
        return m::Uncertainty {
            factors: w.factors.clone(),
            cholesky: None,
        };
    }
    let mut ok = true;
    for (i, row) in rows.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let p = path!("uncertainty", "correlation", i, j);
            if !v.is_finite() || !(-1.0..=1.0).contains(&v) || (i == j && v != 1.0) {
                ok = false;
                let expected = if i == j {
                    "1 on the diagonal"
                } else {
                    "a number between -1 and 1"
                };
                let d = ctx.error(
                    "bad-correlation",
                    &p,
                    format!("correlation[{i}][{j}] is {v}"),
                );
                *d = d.clone().expected(expected);
            } else if j > i && (v - rows[j][i]).abs() > 1e-12 {
                ok = false;
                let (a, b) = (&w.factors[i], &w.factors[j]);
                let d = ctx.error(
                    "correlation-not-symmetric",
                    &p,
                    format!(
                        "correlation of `{a}` with `{b}` is {v}, but of `{b}` with `{a}` is {}",
                        rows[j][i]
                    ),
                );
                *d = d
                    .clone()
                    .expected("a symmetric matrix")
                    .hint(format!("set correlation[{j}][{i}] to {v} as well"));
            }
        }
    }
    if !ok {
        return m::Uncertainty {
            factors: w.factors.clone(),
            cholesky: None,
        };
    }
    let matrix = DMatrix::from_fn(n, n, |i, j| rows[i][j]);
    // Grow the leading block one factor at a time: the first factor whose addition breaks
    // positive-definiteness is the one to name.
    for k in 1..=n {
        if nalgebra::Cholesky::new(matrix.view((0, 0), (k, k)).into_owned()).is_none() {
            let name = &w.factors[k - 1];
            let d = ctx.error(
                "correlation-not-positive-definite",
                &at,
                format!(
                    "the correlation matrix is not positive-definite once factor `{name}` is added"
                ),
            );
            let hint = format!(
                "the correlations of `{name}` with the factors before it are inconsistent with each other; weaken them"
            );
            *d = d.clone().expected("a symmetric positive-definite matrix (one that a Cholesky factorisation accepts)").hint(hint);
            return m::Uncertainty {
                factors: w.factors.clone(),
                cholesky: None,
            };
        }
    }
    let cholesky = nalgebra::Cholesky::new(matrix).map(|c| c.l());
    m::Uncertainty {
        factors: w.factors.clone(),
        cholesky,
    }
}

fn convert_operators(ctx: &mut Ctx, ops: &[wire::Operator]) -> Vec<m::Operator> {
    ctx.unique_ids("operators", ops.iter().map(|o| o.id.as_str()));
    let mut out = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        let at = |k: &str| path!("operators", i, k);
        ctx.country(&at("parent_jurisdiction"), &o.parent_jurisdiction);
        ctx.country(&at("key_custody_jurisdiction"), &o.key_custody_jurisdiction);
        for (j, s) in o.staff_jurisdictions.iter().enumerate() {
            ctx.jurisdiction(&path!("operators", i, "staff_jurisdictions", j), s);
        }
        for (j, s) in o.veto_jurisdictions.iter().enumerate() {
            ctx.jurisdiction(&path!("operators", i, "veto_jurisdictions", j), s);
        }
        let mut total = 0.0;
        let mut ok = true;
        for (jur, pct) in &o.ownership_pct {
            let p = path!("operators", i, "ownership_pct", jur.as_str());
            ok &= ctx.country(&p, jur).is_some();
            match ctx.quantity(&p, *pct) {
                Some(v) if v <= 100.0 => total += v,
                Some(v) => {
                    ok = false;
                    let d = ctx.error("out-of-range", &p, format!("a holding of {v} %"));
                    *d = d.clone().expected("a percentage from 0 to 100");
                }
                None => ok = false,
            }
        }
        if ok && (total - 100.0).abs() > OWNERSHIP_TOLERANCE_PCT {
            let d = ctx.error(
                "ownership-sum",
                &at("ownership_pct"),
                format!("ownership shares of `{}` sum to {total} %", o.id),
            );
            let hint = if total < 100.0 {
                format!("{:.2} % is unaccounted for", 100.0 - total)
            } else {
                format!("{:.2} % too much", total - 100.0)
            };
            *d = d.clone().expected("shares summing to 100 %").hint(hint);
        }
        out.push(m::Operator {
            id: o.id.clone(),
            name: o.name.clone().unwrap_or_else(|| o.id.clone()),
            parent_jurisdiction: o.parent_jurisdiction.clone(),
            ownership_pct: o.ownership_pct.clone(),
            key_custody_jurisdiction: o.key_custody_jurisdiction.clone(),
            staff_jurisdictions: o.staff_jurisdictions.clone(),
            veto_jurisdictions: o.veto_jurisdictions.clone(),
        });
    }
    out
}

fn convert_sites(ctx: &mut Ctx, sites: &[wire::Site]) -> Vec<Option<m::Site>> {
    ctx.unique_ids("sites", sites.iter().map(|s| s.id.as_str()));
    sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |k: &str| path!("sites", i, k);
            let country = ctx.country(&at("country"), &s.country);
            let area = ctx.quantity(&at("area_ha"), s.area_ha);
            let price = ctx.quantity(&at("land_price_eur_per_ha"), s.land_price_eur_per_ha);
            let max_it = ctx.positive(&at("max_it_mw"), s.max_it_mw);
            let water = s
                .water_m3_per_day_max
                .map(|w| ctx.quantity(&at("water_m3_per_day_max"), w));
            let acquisition = match &s.acquisition_months {
                Some(u) => ctx.uncertain(&at("acquisition_months"), u),
                None => Some(m::Uncertain::fixed(0.0)),
            };
            let permit = match &s.permit_months {
                Some(u) => ctx.uncertain(&at("permit_months"), u),
                None => Some(m::Uncertain::fixed(0.0)),
            };
            Some(m::Site {
                id: s.id.clone(),
                name: s.name.clone().unwrap_or_else(|| s.id.clone()),
                country: country?,
                area_ha: area?,
                land_cost: Eur(area? * price?),
                max_it: Mw(max_it?),
                water_m3_per_day_max: water.flatten(),
                acquisition_months: acquisition?,
                permit_months: permit?,
            })
        })
        .collect()
}

fn convert_grid(
    ctx: &mut Ctx,
    conns: &[wire::GridConnection],
    site_ids: &[&str],
    sites: &[Option<m::Site>],
) -> Vec<m::GridConnection> {
    ctx.unique_ids("grid_connections", conns.iter().map(|g| g.id.as_str()));
    let mut out = Vec::new();
    for (i, g) in conns.iter().enumerate() {
        let at = |k: &str| path!("grid_connections", i, k);
        let site = ctx.reference(&at("site"), &g.site, "sites", site_ids);
        let capacity = ctx.positive(&at("capacity_mw"), g.capacity_mw);
        let country = site
            .and_then(|s| sites[s].as_ref())
            .map(|s| s.country.clone());
        let wait = match (&g.queue_wait_months, &country) {
            (Some(u), _) => ctx.uncertain(&at("queue_wait_months"), u),
            (None, Some(c)) => from_country(
                ctx,
                &at("queue_wait_months"),
                c.grid_wait_months_min
                    .zip(c.grid_wait_months_max)
                    .map(|(min, max)| m::Uncertain {
                        dist: Distribution::Uniform { min, max },
                        factor: None,
                    }),
                ("grid-connection wait", &c.code),
                "e.g. `queue_wait_months = { dist = \"pert\", min = 24, mode = 36, max = 60 }`",
            ),
            (None, None) => None,
        };
        let price = match (&g.price_eur_per_mwh, &country) {
            (Some(u), _) => ctx.uncertain(&at("price_eur_per_mwh"), u),
            (None, Some(c)) => from_country(
                ctx,
                &at("price_eur_per_mwh"),
                c.industrial_power_price_eur_per_kwh
                    .map(|p| m::Uncertain::fixed(p * 1000.0)),
                ("electricity price", &c.code),
                "Eurostat publishes non-household prices per country (dataset nrg_pc_205)",
            ),
            (None, None) => None,
        };
        let carbon = match (g.carbon_g_per_kwh, &country) {
            (Some(v), _) => ctx.quantity(&at("carbon_g_per_kwh"), v),
            (None, Some(c)) => from_country(
                ctx,
                &at("carbon_g_per_kwh"),
                c.grid_carbon_g_per_kwh,
                ("grid carbon intensity", &c.code),
                "Ember publishes yearly figures per country (carbon_intensity_elec in OWID's energy data)",
            ),
            (None, None) => None,
        };
        if let (Some(site), Some(capacity), Some(wait), Some(price), Some(carbon)) =
            (site, capacity, wait, price, carbon)
        {
            out.push(m::GridConnection {
                id: g.id.clone(),
                site: m::SiteId(site as u32),
                capacity: Mw(capacity),
                queue_wait_months: wait,
                price_eur_per_mwh: price,
                carbon_g_per_kwh: carbon,
            });
        }
    }
    out
}

/// A grid connection's figure taken from its country in the catalog, or, where the catalog has none,
/// an error asking the connection for it. `what` names the figure and the country.
fn from_country<T>(
    ctx: &mut Ctx,
    path: &[Seg],
    value: Option<T>,
    what: (&str, &str),
    hint: &str,
) -> Option<T> {
    if value.is_none() {
        let field = tree::path_string(&path[path.len().saturating_sub(1)..]);
        let d = ctx.error(
            "missing-catalog-value",
            path,
            format!("the catalog has no {} for `{}`", what.0, what.1),
        );
        *d = d
            .clone()
            .expected(format!("`{field}` in this connection"))
            .hint(hint);
    }
    value
}

fn convert_power(
    ctx: &mut Ctx,
    assets: &[wire::PowerAsset],
    site_ids: &[&str],
) -> Vec<m::PowerAsset> {
    ctx.unique_ids("power_assets", assets.iter().map(|a| a.id.as_str()));
    let mut out = Vec::new();
    for (i, a) in assets.iter().enumerate() {
        let at = |k: &str| path!("power_assets", i, k);
        let site = ctx.reference(&at("site"), &a.site, "sites", site_ids);
        let catalog = ctx.catalog;
        let Some(tech) = ctx.catalog_ref(&at("tech"), &a.tech, "power", &catalog.power, |p| {
            p.id.as_str()
        }) else {
            continue;
        };
        let (tech, overridden) =
            ctx.apply_overrides(&path!("power_assets", i), tech, a.overrides.as_ref());
        let capacity = ctx.positive(&at("capacity_mw"), a.capacity_mw);
        let start = match &a.start_date {
            Some(d) => ctx.date_in_horizon(&at("start_date"), d),
            None => Some(ctx.start),
        };
        let build = match (&a.build_months, tech.build_time_months) {
            (Some(u), _) => ctx.uncertain(&at("build_months"), u),
            (None, Some(v)) => Some(m::Uncertain::fixed(v)),
            (None, None) => {
                let d = ctx.error(
                    "missing-catalog-value",
                    &at("build_months"),
                    format!("the catalog has no build time for `{}`", tech.id),
                );
                *d = d.clone().expected("`build_months` in this asset");
                None
            }
        };
        let price = a
            .energy_price_eur_per_mwh
            .as_ref()
            .map(|u| ctx.uncertain(&at("energy_price_eur_per_mwh"), u));
        let carbon = carbon_g_per_kwh(ctx, &at("tech"), &tech);
        let outage = a.outage_days.and_then(|days| {
            let days = ctx.positive(&at("outage_days"), days)?;
            let availability = tech.availability.unwrap_or(1.0);
            if !tech.dispatchable {
                let d = ctx.error(
                    "not-dispatchable",
                    &at("outage_days"),
                    format!("`{}` is weather-driven: its availability is a capacity factor, not time between outages", tech.id),
                );
                *d = d.clone().expected("no `outage_days` on solar or wind");
                return None;
            }
            if !(availability > 0.0 && availability < 1.0) {
                let d = ctx.error(
                    "out-of-range",
                    &at("outage_days"),
                    format!("`{}` has an availability of {availability}, which leaves no time for outages", tech.id),
                );
                *d = d.clone().expected("an availability strictly between 0 and 1 (`overrides = { availability = … }`)");
                return None;
            }
            Some(days)
        });
        if let (Some(site), Some(capacity), Some(start), Some(build), Some(carbon)) =
            (site, capacity, start, build, carbon)
        {
            out.push(m::PowerAsset {
                id: a.id.clone(),
                site: m::SiteId(site as u32),
                tech,
                capacity: Mw(capacity),
                start_date: start,
                build_months: build,
                energy_price_eur_per_mwh: price.flatten(),
                outage_days: outage,
                carbon_g_per_kwh: carbon,
                overridden,
            });
        }
    }
    out
}

/// Direct emissions of an on-site technology [gCO₂/kWh]: the catalog's (or overridden) figure; for
/// gas plants without one, the IPCC emission factor of natural gas over the plant's efficiency; for
/// plants that burn nothing (sun, wind, nuclear), zero.
fn carbon_g_per_kwh(ctx: &mut Ctx, path: &[Seg], tech: &crate::catalog::PowerTech) -> Option<f64> {
    if let Some(g) = tech.carbon_intensity_g_per_kwh {
        return Some(g);
    }
    let burns_gas = matches!(
        tech.kind,
        crate::catalog::PowerKind::Ccgt
            | crate::catalog::PowerKind::Ocgt
            | crate::catalog::PowerKind::Recip
    );
    if !burns_gas {
        return Some(0.0);
    }
    match tech.efficiency {
        // kg/GJ of fuel ÷ efficiency = kg/GJ of electricity; × 3.6 GJ/MWh = kg/MWh = g/kWh.
        Some(e) if e > 0.0 => Some(ctx.default("natural_gas_co2_kg_per_gj") * 3.6 / e),
        _ => {
            let d = ctx.error(
                "missing-catalog-value",
                path,
                format!(
                    "the catalog has neither a carbon intensity nor an efficiency for `{}`",
                    tech.id
                ),
            );
            *d = d
                .clone()
                .expected("`overrides = { carbon_intensity_g_per_kwh = … }` or `{ efficiency = … }` in this asset")
                .hint("emissions of gas plants follow from their efficiency; state the plant's");
            None
        }
    }
}

fn convert_supply_shocks(ctx: &mut Ctx, shocks: &[wire::SupplyShock]) -> Vec<m::SupplyShock> {
    ctx.unique_ids("supply_shocks", shocks.iter().map(|s| s.id.as_str()));
    let mut out = Vec::new();
    for (i, w) in shocks.iter().enumerate() {
        let at = |k: &str| path!("supply_shocks", i, k);
        let country = ctx.country(&at("country"), &w.country);
        let from = ctx.date(&at("from_date"), &w.from_date);
        let until = w
            .until_date
            .as_ref()
            .map(|d| ctx.date(&at("until_date"), d));
        let cap = ctx.quantity(&at("cap_h100e_per_year"), w.cap_h100e_per_year);
        if let (Some(from), Some(Some(until))) = (from, until)
            && until <= from
        {
            let d = ctx.error(
                "out-of-range",
                &at("until_date"),
                format!("the cap is lifted on {until}, before it applies ({from})"),
            );
            *d = d.clone().expected("a date after `from_date`");
        }
        if let (Some(country), Some(from), Some(cap)) = (country, from, cap) {
            out.push(m::SupplyShock {
                id: w.id.clone(),
                country: country.code,
                from_date: from,
                until_date: until.flatten(),
                cap_h100e_per_year: cap,
            });
        }
    }
    out
}

fn convert_shells(
    ctx: &mut Ctx,
    shells: &[wire::Shell],
    site_ids: &[&str],
) -> Vec<Option<m::Shell>> {
    ctx.unique_ids("shells", shells.iter().map(|s| s.id.as_str()));
    shells
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |k: &str| path!("shells", i, k);
            let site = ctx.reference(&at("site"), &s.site, "sites", site_ids);
            let catalog = ctx.catalog;
            let kind = ctx.catalog_ref(&at("type"), &s.kind, "shells", &catalog.shells, |t| {
                t.id.as_str()
            });
            let (kind, overridden) = match kind {
                Some(k) => {
                    let (k, o) = ctx.apply_overrides(&path!("shells", i), k, s.overrides.as_ref());
                    (Some(k), o)
                }
                None => (None, Vec::new()),
            };
            if let Some(k) = &kind
                && !(k.pue.is_finite() && k.pue >= 1.0)
            {
                let d = ctx.error(
                    "out-of-range",
                    &path!("shells", i, "overrides", "pue"),
                    format!("a PUE of {}", k.pue),
                );
                *d = d
                    .clone()
                    .expected("1.0 or more: facility power includes the IT power");
            }
            if s.phases.is_empty() {
                let d = ctx.error(
                    "empty",
                    &at("phases"),
                    format!("hall `{}` has no phase", s.id),
                );
                *d = d
                    .clone()
                    .expected("at least one `[[shells.phases]]` with `it_mw`");
            }
            let mut phases = Vec::new();
            for (j, p) in s.phases.iter().enumerate() {
                let pat = |k: &str| path!("shells", i, "phases", j, k);
                let it = ctx.positive(&pat("it_mw"), p.it_mw);
                let start = p
                    .start_date
                    .as_ref()
                    .map(|d| ctx.date_in_horizon(&pat("start_date"), d));
                let build = match (&p.build_months, &kind) {
                    (Some(u), _) => ctx.uncertain(&pat("build_months"), u),
                    (None, Some(k)) => Some(m::Uncertain::fixed(k.build_time_months)),
                    (None, None) => None,
                };
                phases.push(Some(m::ShellPhase {
                    it: Mw(it?),
                    start_date: start.flatten(),
                    build_months: build?,
                }));
            }
            Some(m::Shell {
                id: s.id.clone(),
                site: m::SiteId(site? as u32),
                kind: kind?,
                phases: phases.into_iter().collect::<Option<Vec<_>>>()?,
                overridden,
            })
        })
        .collect()
}

fn convert_clusters(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    shells: &[Option<m::Shell>],
) -> Vec<m::Cluster> {
    ctx.unique_ids("clusters", file.clusters.iter().map(|c| c.id.as_str()));
    let shell_ids: Vec<&str> = file.shells.iter().map(|s| s.id.as_str()).collect();
    let operator_ids: Vec<&str> = file.operators.iter().map(|o| o.id.as_str()).collect();
    let mut out = Vec::new();
    for (i, c) in file.clusters.iter().enumerate() {
        let at = |k: &str| path!("clusters", i, k);
        let shell = ctx.reference(&at("shell"), &c.shell, "shells", &shell_ids);
        let operator = ctx.reference(&at("operator"), &c.operator, "operators", &operator_ids);
        let catalog = ctx.catalog;
        let sku = ctx.catalog_ref(
            &at("sku"),
            &c.sku,
            "accelerators",
            &catalog.accelerators,
            |a| a.id.as_str(),
        );
        let Some(sku) = sku else { continue };
        let (accelerator, overridden) =
            ctx.apply_overrides(&path!("clusters", i), sku, c.overrides.as_ref());
        if accelerator.all_in_power_kw <= 0.0 || !accelerator.all_in_power_kw.is_finite() {
            let d = ctx.error(
                "zero",
                &path!("clusters", i, "overrides", "all_in_power_kw"),
                "all-in power per GPU must be above zero",
            );
            *d = d.clone().expected("kW per GPU above zero");
        }
        if c.gpus == 0 {
            let d = ctx.error(
                "zero",
                &at("gpus"),
                format!("cluster `{}` has no GPUs", c.id),
            );
            *d = d.clone().expected("one GPU or more");
        }
        let order = ctx.date_in_horizon(&at("order_date"), &c.order_date);
        let lead = lead_time(
            ctx,
            &at("lead_time_months"),
            c.lead_time_months.as_ref(),
            &accelerator,
            "cluster",
        );
        let install = match &c.install_months {
            Some(u) => ctx.uncertain(&at("install_months"), u),
            None => Some(m::Uncertain::fixed(0.0)),
        };
        let life = useful_life(ctx, &at("useful_life_years"), c.useful_life_years);
        let resale = match c.resale_fraction {
            Some(v) => ctx.fraction(&at("resale_fraction"), v),
            None => Some(ctx.default("resale_fraction")),
        };
        let repair = repair_days(
            ctx,
            &at("repair_days"),
            c.repair_days.as_ref(),
            &accelerator,
        );
        // Cooling: a liquid-only accelerator cannot go into an air-cooled hall.
        let hall = shell.and_then(|s| shells.get(s).and_then(Option::as_ref));
        if let Some(hall) = hall
            && accelerator.cooling == Cooling::Liquid
            && hall.kind.cooling == Cooling::Air
        {
            let d = ctx.error(
                "cooling-mismatch",
                &at("sku"),
                format!(
                    "`{}` needs liquid cooling but hall `{}` is air-cooled (`{}`)",
                    accelerator.id, hall.id, hall.kind.id
                ),
            );
            *d = d.clone().expected("a hall whose type has `cooling = liquid`").hint("put the cluster in a liquid-cooled hall such as `liquid-hall`, or choose an air-cooled SKU");
        }
        if let (
            Some(shell),
            Some(hall),
            Some(operator),
            Some(order),
            Some(lead),
            Some(install),
            Some(life),
            Some(resale),
            Some(repair),
        ) = (
            shell, hall, operator, order, lead, install, life, resale, repair,
        ) {
            out.push(m::Cluster {
                id: c.id.clone(),
                shell: m::ShellId(shell as u32),
                site: hall.site,
                operator: m::OperatorId(operator as u32),
                useful_life_years: life,
                resale_fraction: resale,
                failure_rate_per_gpu_day: accelerator.failure_rate_per_gpu_day.unwrap_or(0.0),
                repair_days: repair,
                h100e_per_gpu: h100e_per_gpu(ctx, &accelerator),
                refresh_of: None,
                accelerator,
                gpus: c.gpus,
                order_date: order,
                lead_time_months: lead,
                install_months: install,
                overridden,
            });
        }
    }
    let originals = out.len();
    for (i, c) in file.clusters.iter().enumerate() {
        let Some(r) = &c.refresh else { continue };
        let Some(index) = out[..originals].iter().position(|o| o.id == c.id) else {
            continue;
        };
        if let Some(refresh) = convert_refresh(ctx, i, r, &out[index], index, shells) {
            out.push(refresh);
        }
    }
    out
}

/// Delivery lead time of a `place` (cluster or refresh): the scenario's, else the catalog's.
fn lead_time(
    ctx: &mut Ctx,
    path: &[Seg],
    given: Option<&wire::Uncertain>,
    accelerator: &crate::catalog::Accelerator,
    place: &str,
) -> Option<m::Uncertain> {
    match (given, accelerator.lead_time_months) {
        (Some(u), _) => ctx.uncertain(path, u),
        (None, Some(v)) => Some(m::Uncertain::fixed(v)),
        (None, None) => {
            let d = ctx.error(
                "missing-catalog-value",
                path,
                format!("the catalog has no lead time for `{}`", accelerator.id),
            );
            *d = d.clone().expected(format!("`lead_time_months` in this {place}")).hint("no public lead time was found for this SKU; state your own and mark it as an estimate");
            None
        }
    }
}

/// Useful life of GPUs [years]: the scenario's, else the default.
fn useful_life(ctx: &mut Ctx, path: &[Seg], given: Option<f64>) -> Option<f64> {
    match given {
        Some(v) => ctx.positive(path, v),
        None => Some(ctx.default("gpu_useful_life_years")),
    }
}

/// Repair time of a cluster's GPUs: required when the catalog has a failure rate for the SKU.
fn repair_days(
    ctx: &mut Ctx,
    path: &[Seg],
    given: Option<&wire::Uncertain>,
    accelerator: &crate::catalog::Accelerator,
) -> Option<m::Uncertain> {
    match (given, accelerator.failure_rate_per_gpu_day) {
        (Some(u), _) => ctx.uncertain(path, u),
        (None, None) => Some(m::Uncertain::fixed(0.0)),
        (None, Some(rate)) => {
            let d = ctx.error(
                "missing-field",
                path,
                format!(
                    "`{}` fails about {} times per GPU per day (catalog) but the cluster does not say how long a repair takes",
                    accelerator.id,
                    num(rate)
                ),
            );
            *d = d
                .clone()
                .expected("`repair_days = …` (days to repair or replace a failed GPU)")
                .hint("no sourced repair time exists; state your own, e.g. a distribution, and mark it as an estimate");
            None
        }
    }
}

/// GPUs weighted by dense BF16 throughput relative to the H100 SXM, as export quotas count them.
fn h100e_per_gpu(ctx: &Ctx, accelerator: &crate::catalog::Accelerator) -> f64 {
    let h100 = ctx
        .catalog
        .accelerators
        .iter()
        .find(|a| a.id == "h100-sxm")
        .and_then(|a| a.bf16_dense_tflops);
    match (accelerator.bf16_dense_tflops, h100) {
        (Some(x), Some(h)) if h > 0.0 => x / h,
        // Without throughput figures a GPU counts as one H100: the quota still binds.
        _ => 1.0,
    }
}

/// The cluster replacing `original` (at `index` in the converted list) as its GPUs retire.
fn convert_refresh(
    ctx: &mut Ctx,
    i: usize,
    r: &wire::Refresh,
    original: &m::Cluster,
    index: usize,
    shells: &[Option<m::Shell>],
) -> Option<m::Cluster> {
    let at = |k: &str| path!("clusters", i, "refresh", k);
    let catalog = ctx.catalog;
    let sku = ctx.catalog_ref(
        &at("sku"),
        &r.sku,
        "accelerators",
        &catalog.accelerators,
        |a| a.id.as_str(),
    )?;
    let (accelerator, overridden) =
        ctx.apply_overrides(&path!("clusters", i, "refresh"), sku, r.overrides.as_ref());
    if accelerator.all_in_power_kw <= 0.0 || !accelerator.all_in_power_kw.is_finite() {
        let d = ctx.error(
            "zero",
            &path!("clusters", i, "refresh", "overrides", "all_in_power_kw"),
            "all-in power per GPU must be above zero",
        );
        *d = d.clone().expected("kW per GPU above zero");
        return None;
    }
    let hall = shells
        .get(original.shell.index())
        .and_then(Option::as_ref)?;
    if accelerator.cooling == Cooling::Liquid && hall.kind.cooling == Cooling::Air {
        let d = ctx.error(
            "cooling-mismatch",
            &at("sku"),
            format!(
                "`{}` needs liquid cooling but hall `{}` is air-cooled (`{}`)",
                accelerator.id, hall.id, hall.kind.id
            ),
        );
        *d = d.clone().expected("an air-cooled SKU for this hall").hint(
            "refresh into a SKU the hall can cool, or plan the cluster in a liquid-cooled hall",
        );
        return None;
    }
    let lead = lead_time(
        ctx,
        &at("lead_time_months"),
        r.lead_time_months.as_ref(),
        &accelerator,
        "refresh",
    );
    let install = match &r.install_months {
        Some(u) => ctx.uncertain(&at("install_months"), u),
        None => Some(original.install_months.clone()),
    };
    let life = useful_life(ctx, &at("useful_life_years"), r.useful_life_years);
    let repair = match (&r.repair_days, accelerator.failure_rate_per_gpu_day) {
        (None, Some(_)) if original.failure_rate_per_gpu_day > 0.0 => {
            Some(original.repair_days.clone())
        }
        (given, _) => repair_days(ctx, &at("repair_days"), given.as_ref(), &accelerator),
    };
    let (lead, install, life, repair) = (lead?, install?, life?, repair?);
    // The replacement draws the IT power the original frees, so it fits the same hall and supply.
    let gpus = (original.gpus as f64 * original.accelerator.all_in_power_kw
        / accelerator.all_in_power_kw
        + 1e-9)
        .floor() as u64;
    // Planned from median durations; the engine orders as the original's GPUs actually retire.
    let months = original.lead_time_months.dist.median()
        + original.install_months.dist.median()
        + original.useful_life_years * 12.0;
    let order_date = original.order_date.add_months(months.round() as i32);
    Some(m::Cluster {
        id: format!("{}.refresh", original.id),
        shell: original.shell,
        site: original.site,
        operator: original.operator,
        failure_rate_per_gpu_day: accelerator.failure_rate_per_gpu_day.unwrap_or(0.0),
        repair_days: repair,
        h100e_per_gpu: h100e_per_gpu(ctx, &accelerator),
        refresh_of: Some(m::ClusterId(index as u32)),
        accelerator,
        gpus,
        order_date,
        lead_time_months: lead,
        install_months: install,
        useful_life_years: life,
        resale_fraction: original.resale_fraction,
        overridden,
    })
}

fn convert_tiers(ctx: &mut Ctx, tiers: &[wire::Tier]) -> Vec<m::Tier> {
    ctx.unique_ids("tiers", tiers.iter().map(|t| t.id.as_str()));
    let mut out = Vec::new();
    for (i, t) in tiers.iter().enumerate() {
        let mut clauses = Vec::new();
        if let Some(preset) = &t.preset {
            let rows: Vec<crate::catalog::PresetClause> =
                ctx.catalog.preset(preset).into_iter().cloned().collect();
            if rows.is_empty() {
                let names: Vec<String> = ctx
                    .catalog
                    .preset_names()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let d = ctx.error(
                    "unknown-preset",
                    &path!("tiers", i, "preset"),
                    format!("no sovereignty preset named `{preset}`"),
                );
                let mut fixed = d.clone().expected(format!("one of {}", list(&names)));
                if let Some(close) = did_you_mean(preset, names.iter().map(String::as_str)) {
                    fixed = fixed.hint(format!("did you mean `{close}`?"));
                }
                *d = fixed;
            }
            for row in rows {
                let value = match row.value.as_str() {
                    "true" => wire::ClauseValue::Bool(true),
                    "false" => wire::ClauseValue::Bool(false),
                    v => v.parse::<f64>().map_or_else(
                        |_| wire::ClauseValue::Text(v.to_owned()),
                        wire::ClauseValue::Number,
                    ),
                };
                let p = path!("tiers", i, "preset");
                if let Some(c) =
                    convert_clause(ctx, &p, &p, &row.attribute, &row.op, &value, &row.source)
                {
                    clauses.push(c);
                }
            }
        }
        for (j, c) in t.clauses.iter().enumerate() {
            let base = path!("tiers", i, "clauses", j);
            let attr = [base.clone(), path!("attribute")].concat();
            if let Some(c) =
                convert_clause(ctx, &attr, &base, &c.attribute, &c.op, &c.value, "scenario")
            {
                clauses.push(c);
            }
        }
        if t.preset.is_none() && t.clauses.is_empty() {
            let d = ctx.warning(
                "empty-tier",
                &path!("tiers", i),
                format!("tier `{}` has no clause, so every cluster qualifies", t.id),
            );
            *d = d
                .clone()
                .hint("add `preset = \"secnumcloud-3.2\"` or `[[tiers.clauses]]`");
        }
        out.push(m::Tier {
            id: t.id.clone(),
            description: t.description.clone().unwrap_or_default(),
            clauses,
        });
    }
    out
}

fn convert_clause(
    ctx: &mut Ctx,
    attr_path: &[Seg],
    base: &[Seg],
    attribute: &str,
    op: &str,
    value: &wire::ClauseValue,
    source: &str,
) -> Option<m::Clause> {
    let Some(attr) = Attribute::parse(attribute) else {
        let names: Vec<&str> = Attribute::ALL.iter().map(|(_, n)| *n).collect();
        let d = ctx.error(
            "unknown-attribute",
            attr_path,
            format!("no operator or site attribute named `{attribute}`"),
        );
        let mut fixed = d.clone().expected(format!("one of {}", list(&names)));
        if let Some(close) = did_you_mean(attribute, names.iter().copied()) {
            fixed = fixed.hint(format!("did you mean `{close}`?"));
        }
        *d = fixed;
        return None;
    };
    let op_path = if base == attr_path {
        base.to_vec()
    } else {
        [base.to_vec(), path!("op")].concat()
    };
    let value_path = if base == attr_path {
        base.to_vec()
    } else {
        [base.to_vec(), path!("value")].concat()
    };
    let allowed: &[&str] = match attr.kind() {
        AttributeKind::Jurisdiction => &["in", "not_in"],
        AttributeKind::Jurisdictions => &["all_in", "none_in"],
        AttributeKind::Percent => &["le", "lt", "ge", "gt"],
        AttributeKind::Flag => &["eq"],
    };
    if !allowed.contains(&op) {
        let d = ctx.error(
            "bad-operator",
            &op_path,
            format!("`{op}` cannot compare `{attribute}`"),
        );
        *d = d.clone().expected(format!("one of {}", list(allowed)));
        return None;
    }
    let codes = |ctx: &mut Ctx, v: &wire::ClauseValue| -> Option<Vec<String>> {
        let items = match v {
            wire::ClauseValue::Text(s) => vec![s.clone()],
            wire::ClauseValue::List(l) => l.clone(),
            _ => {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is compared with countries"),
                );
                *d = d
                    .clone()
                    .expected("a country code, `EU`, or a list of them");
                return None;
            }
        };
        let ok = items.iter().all(|c| ctx.jurisdiction(&value_path, c));
        ok.then_some(items)
    };
    let test = match (attr.kind(), op) {
        (AttributeKind::Jurisdiction, "in") => Test::In(codes(ctx, value)?),
        (AttributeKind::Jurisdiction, _) => Test::NotIn(codes(ctx, value)?),
        (AttributeKind::Jurisdictions, "all_in") => Test::AllIn(codes(ctx, value)?),
        (AttributeKind::Jurisdictions, _) => Test::NoneIn(codes(ctx, value)?),
        (AttributeKind::Flag, _) => match value {
            wire::ClauseValue::Bool(b) => Test::Is(*b),
            _ => {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is true or false"),
                );
                *d = d.clone().expected("`true` or `false`");
                return None;
            }
        },
        (AttributeKind::Percent, op) => {
            let wire::ClauseValue::Number(v) = value else {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is a percentage"),
                );
                *d = d.clone().expected("a number from 0 to 100");
                return None;
            };
            let v = ctx.quantity(&value_path, *v)?;
            match op {
                "le" => Test::AtMost(v),
                "lt" => Test::Below(v),
                "ge" => Test::AtLeast(v),
                _ => Test::Above(v),
            }
        }
    };
    Some(m::Clause {
        attribute: attr,
        test,
        source: source.to_owned(),
    })
}

fn convert_models(ctx: &mut Ctx, models: &[wire::ModelUse]) -> Vec<m::Model> {
    ctx.unique_ids("models", models.iter().map(|m| m.id.as_str()));
    let mut out = Vec::new();
    for (i, w) in models.iter().enumerate() {
        let catalog = ctx.catalog;
        let Some(spec) = ctx.catalog_ref(
            &path!("models", i, "id"),
            &w.id,
            "models",
            &catalog.models,
            |m| m.id.as_str(),
        ) else {
            continue;
        };
        let (spec, overridden) =
            ctx.apply_overrides(&path!("models", i), spec, w.overrides.as_ref());
        if spec.active_params_b > spec.params_b {
            let d = ctx.error(
                "out-of-range",
                &path!("models", i, "overrides"),
                format!("`{}` has more active than total parameters", spec.id),
            );
            *d = d.clone().expected("active_params_b ≤ params_b");
        }
        out.push(m::Model { spec, overridden });
    }
    out
}

/// The operators a demand's owner uses under `siloed`: at least one, each declared.
fn demand_operators(
    ctx: &mut Ctx,
    path: &[Seg],
    ids: &[String],
    operator_ids: &[&str],
) -> Option<Vec<m::OperatorId>> {
    if ids.is_empty() {
        let d = ctx.error("empty", path, "a demand needs the operators its owner uses");
        *d = d
            .clone()
            .expected("one operator id or more")
            .hint("under the `siloed` policy a demand runs only on its own operators' clusters");
        return None;
    }
    let found: Vec<Option<usize>> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let at = [path.to_vec(), path!(k)].concat();
            ctx.reference(&at, id, "operators", operator_ids)
        })
        .collect();
    found
        .into_iter()
        .map(|o| o.map(|i| m::OperatorId(i as u32)))
        .collect()
}

fn convert_demand(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    models: &[m::Model],
) -> (Vec<m::TrainingCampaign>, Vec<m::InferenceDemand>) {
    let tier_ids: Vec<&str> = file.tiers.iter().map(|t| t.id.as_str()).collect();
    let operator_ids: Vec<&str> = file.operators.iter().map(|o| o.id.as_str()).collect();
    let model_ids: Vec<&str> = file.models.iter().map(|m| m.id.as_str()).collect();
    let ids = file
        .demand
        .training
        .iter()
        .map(|t| t.id.as_str())
        .chain(file.demand.inference.iter().map(|d| d.id.as_str()));
    let mut seen = Vec::new();
    for (n, id) in ids.enumerate() {
        if seen.contains(&id) {
            let (section, i) = if n < file.demand.training.len() {
                ("training", n)
            } else {
                ("inference", n - file.demand.training.len())
            };
            let d = ctx.error(
                "duplicate-id",
                &path!("demand", section, i, "id"),
                format!("demand `{id}` is defined twice"),
            );
            *d = d
                .clone()
                .expected("a unique id across training and inference demand");
        }
        seen.push(id);
    }
    let mut training = Vec::new();
    for (i, t) in file.demand.training.iter().enumerate() {
        let at = |k: &str| path!("demand", "training", i, k);
        let tier = ctx.reference(&at("tier"), &t.tier, "tiers", &tier_ids);
        let model = ctx.reference(&at("model"), &t.model, "models", &model_ids);
        let runs = ctx.uncertain(&at("runs_per_year"), &t.runs_per_year);
        let operators = demand_operators(ctx, &at("operators"), &t.operators, &operator_ids);
        let run_gpus = match &t.gpus {
            Some(u) => ctx.uncertain(&at("gpus"), u).map(Some),
            None => Some(None),
        };
        let post = ctx.fraction(
            &at("post_training_share"),
            t.post_training_share
                .unwrap_or_else(|| ctx.default("post_training_share")),
        );
        let mfu = ctx.fraction(&at("mfu"), t.mfu.unwrap_or_else(|| ctx.default("mfu")));
        let start = match &t.start_date {
            Some(d) => ctx.date_in_horizon(&at("start_date"), d),
            None => Some(ctx.start),
        };
        if t.min_cluster_gpus == 0 {
            let d = ctx.error(
                "zero",
                &at("min_cluster_gpus"),
                "a training run needs at least one GPU",
            );
            *d = d.clone().expected("one GPU or more");
        }
        // The model's compute; `models` lacks entries that failed, whose errors are already out.
        let flop = match (model, post) {
            (Some(k), Some(post)) => models.get(k).and_then(|m| {
                let flop = crate::workload::pretraining_flop(&m.spec).map(|f| f * (1.0 + post));
                if flop.is_none() {
                    let d = ctx.error(
                        "no-training-compute",
                        &at("model"),
                        format!("the catalog gives neither training FLOPs nor training tokens for `{}`", m.spec.id),
                    );
                    *d = d.clone().hint(format!(
                        "set them in the model entry: `overrides = {{ training_tokens_t = … }}` for `{}`",
                        m.spec.id
                    ));
                }
                flop
            }),
            _ => None,
        };
        if let (
            Some(tier),
            Some(model),
            Some(runs),
            Some(operators),
            Some(run_gpus),
            Some(run_flop),
            Some(post),
            Some(mfu),
            Some(start),
        ) = (
            tier, model, runs, operators, run_gpus, flop, post, mfu, start,
        ) {
            training.push(m::TrainingCampaign {
                id: t.id.clone(),
                tier: m::TierId(tier as u32),
                model: m::ModelId(model as u32),
                operators,
                runs_per_year: runs,
                arrivals: t.arrivals.unwrap_or_default(),
                run_gpus,
                run_flop,
                post_training_share: post,
                min_cluster_gpus: t.min_cluster_gpus,
                mfu,
                start_date: start,
            });
        }
    }
    let mut inference = Vec::new();
    for (i, d) in file.demand.inference.iter().enumerate() {
        let at = |k: &str| path!("demand", "inference", i, k);
        let tier = ctx.reference(&at("tier"), &d.tier, "tiers", &tier_ids);
        let model = ctx.reference(&at("model"), &d.model, "models", &model_ids);
        let tokens = ctx.uncertain(&at("tokens_per_day"), &d.tokens_per_day);
        let operators = demand_operators(ctx, &at("operators"), &d.operators, &operator_ids);
        let growth = match &d.growth_per_year {
            Some(u) => ctx.uncertain(&at("growth_per_year"), u),
            None => Some(m::Uncertain::fixed(0.0)),
        };
        let start = match &d.start_date {
            Some(x) => ctx.date_in_horizon(&at("start_date"), x),
            None => Some(ctx.start),
        };
        if let (Some(tier), Some(model), Some(tokens), Some(growth), Some(start), Some(operators)) =
            (tier, model, tokens, growth, start, operators)
        {
            inference.push(m::InferenceDemand {
                id: d.id.clone(),
                tier: m::TierId(tier as u32),
                model: m::ModelId(model as u32),
                operators,
                tokens_per_day: tokens,
                growth_per_year: growth,
                start_date: start,
            });
        }
    }
    (training, inference)
}

/// The dispatch rules: policy, the efficiency of each accelerator in use (catalog, then the
/// scenario's changes), and the serving rate of every inference model on every accelerator in use.
fn convert_dispatch(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    clusters: &[m::Cluster],
    models: &[m::Model],
    inference: &[m::InferenceDemand],
) -> m::DispatchRules {
    use crate::catalog::Workload;
    let empty = Vec::new();
    let overrides = file.dispatch.as_ref().map_or(&empty, |d| &d.efficiency);
    for (i, o) in overrides.iter().enumerate() {
        let at = |k: &str| path!("dispatch", "efficiency", i, k);
        if ctx.catalog.accelerator(&o.accelerator).is_none() {
            let ids: Vec<&str> = ctx
                .catalog
                .accelerators
                .iter()
                .map(|a| a.id.as_str())
                .collect();
            ctx.reference(
                &at("accelerator"),
                &o.accelerator,
                "accelerators (catalog)",
                &ids,
            );
        }
        ctx.fraction(&at("efficiency"), o.efficiency);
    }
    let mut skus: Vec<&crate::catalog::Accelerator> = Vec::new();
    for c in clusters {
        if !skus.iter().any(|a| a.id == c.accelerator.id) {
            skus.push(&c.accelerator);
        }
    }
    let efficiency = skus
        .iter()
        .map(|a| {
            let set = |w: Workload| {
                overrides
                    .iter()
                    .rev()
                    .find(|o| o.workload == w && o.accelerator == a.id)
                    .map(|o| o.efficiency)
            };
            let catalog = |w: Workload| ctx.catalog.efficiency(w, &a.id).unwrap_or(1.0);
            m::SkuEfficiency {
                accelerator: a.id.clone(),
                training: set(Workload::Training).unwrap_or_else(|| catalog(Workload::Training)),
                inference: set(Workload::Inference).unwrap_or_else(|| catalog(Workload::Inference)),
                overridden: set(Workload::Training).is_some() || set(Workload::Inference).is_some(),
            }
        })
        .collect();
    let mut serving: Vec<m::ServingRate> = Vec::new();
    for d in inference {
        let Some(model) = models.get(d.model.index()).map(|m| &m.spec) else {
            continue;
        };
        for a in &skus {
            if serving
                .iter()
                .any(|r| r.model == d.model && r.accelerator == a.id)
            {
                continue;
            }
            let rate = match ctx.catalog.throughput(&model.id, &a.id) {
                Some(t) => Some((t.output_tokens_per_s_per_gpu, m::RateBasis::Catalog)),
                None => crate::workload::roofline_tokens_per_s(
                    model,
                    a,
                    ctx.default("roofline_sequences_per_gpu"),
                ),
            };
            if let Some((tokens_per_s_per_gpu, basis)) = rate {
                serving.push(m::ServingRate {
                    model: d.model,
                    accelerator: a.id.clone(),
                    tokens_per_s_per_gpu,
                    basis,
                });
            }
        }
    }
    m::DispatchRules {
        policy: file
            .dispatch
            .as_ref()
            .and_then(|d| d.policy)
            .unwrap_or_default(),
        efficiency,
        serving,
    }
}

fn convert_finance(
    ctx: &mut Ctx,
    f: &wire::Finance,
    clusters: &[m::Cluster],
    power: &[m::PowerAsset],
    shells: &[Option<m::Shell>],
) -> Option<m::Finance> {
    let at = |k: &str| path!("finance", k);
    let mut ok = true;
    let mut frac = |ctx: &mut Ctx, k: &str, v: f64| -> f64 {
        ctx.fraction(&at(k), v).unwrap_or_else(|| {
            ok = false;
            0.0
        })
    };
    let base_rate = frac(ctx, "base_rate", f.base_rate);
    let construction_margin = frac(ctx, "construction_margin", f.construction_margin);
    let term_margin = frac(ctx, "term_margin", f.term_margin);
    let max_gearing = frac(ctx, "max_gearing", f.max_gearing);
    let tax_rate = frac(ctx, "tax_rate", f.tax_rate);
    let spot_share = frac(
        ctx,
        "spot_share",
        f.spot_share.unwrap_or_else(|| ctx.default("spot_share")),
    );
    let decline = frac(
        ctx,
        "gpu_hour_price_decline_per_year",
        f.gpu_hour_price_decline_per_year
            .unwrap_or_else(|| ctx.default("gpu_hour_price_decline_per_year")),
    );
    let cash_sweep_share = frac(
        ctx,
        "cash_sweep_share",
        f.cash_sweep_share
            .unwrap_or_else(|| ctx.default("cash_sweep_share")),
    );
    let equity_hurdle_rate = f
        .equity_hurdle_rate
        .map(|v| frac(ctx, "equity_hurdle_rate", v));
    // Percentages: any non-negative figure (a fee or a rate above 100 % is odd but not absurd).
    let mut pct = |ctx: &mut Ctx, k: &str, v: f64| -> f64 {
        ctx.quantity(&at(k), v).unwrap_or_else(|| {
            ok = false;
            0.0
        }) / 100.0
    };
    let maintenance = pct(ctx, "maintenance_pct_per_year", f.maintenance_pct_per_year);
    let insurance = pct(ctx, "insurance_pct_per_year", f.insurance_pct_per_year);
    let fee = pct(
        ctx,
        "arrangement_fee_pct",
        f.arrangement_fee_pct
            .unwrap_or_else(|| ctx.default("arrangement_fee_pct")),
    );
    for (k, v) in [
        ("target_dscr", Some(f.target_dscr)),
        ("lockup_dscr", f.lockup_dscr),
        ("default_dscr", f.default_dscr),
    ] {
        let Some(v) = v else { continue };
        if v.is_finite() && v < 1.0 {
            ok = false;
            let d = ctx.error(
                "out-of-range",
                &at(k),
                format!("a DSCR of {v} means debt service exceeds cash flow"),
            );
            *d = d
                .clone()
                .expected("a ratio of 1.0 or more, e.g. 1.30")
                .hint("lenders size debt so that CFADS covers debt service with a margin");
        } else if ctx.positive(&at(k), v).is_none() {
            ok = false;
        }
    }
    ok &= ctx
        .positive(&at("gpu_depreciation_years"), f.gpu_depreciation_years)
        .is_some();
    let shell_years = f
        .shell_depreciation_years
        .unwrap_or_else(|| ctx.default("shell_depreciation_years"));
    ok &= ctx
        .positive(&at("shell_depreciation_years"), shell_years)
        .is_some();
    let spot_price_ratio = f
        .spot_price_ratio
        .unwrap_or_else(|| ctx.default("spot_price_ratio"));
    ok &= ctx
        .quantity(&at("spot_price_ratio"), spot_price_ratio)
        .is_some();
    let staff = ctx.quantity(&at("staff_eur_per_mw_year"), f.staff_eur_per_mw_year);
    let network = ctx.quantity(&at("network_eur_per_gpu_year"), f.network_eur_per_gpu_year);
    ok &= staff.is_some() && network.is_some();
    let token_price = f
        .token_price_eur_per_mtok
        .as_ref()
        .map(|u| ctx.uncertain(&at("token_price_eur_per_mtok"), u));
    if matches!(token_price, Some(None)) {
        ok = false;
    }
    if f.tenor_years == 0 {
        ok = false;
        let d = ctx.error("zero", &at("tenor_years"), "a term loan needs a tenor");
        *d = d.clone().expected("one year or more");
    }
    let equity = f.equity_eur.map(|v| ctx.quantity(&at("equity_eur"), v));
    let grants = f.grants_eur.map(|v| ctx.quantity(&at("grants_eur"), v));
    for (cur, rate) in &f.eur_per_currency {
        ok &= ctx
            .positive(&path!("finance", "eur_per_currency", cur.as_str()), *rate)
            .is_some();
    }
    let mut prices = BTreeMap::new();
    let catalog = ctx.catalog;
    for (sku, price) in &f.gpu_hour_price_eur {
        let p = path!("finance", "gpu_hour_price_eur", sku.as_str());
        ok &= ctx
            .catalog_ref(&p, sku, "accelerators", &catalog.accelerators, |a| {
                a.id.as_str()
            })
            .is_some();
        match ctx.uncertain(&p, price) {
            Some(u) => {
                prices.insert(sku.clone(), u);
            }
            None => ok = false,
        }
    }
    // Every price the model will convert must have an exchange rate.
    let mut needed: Vec<(String, String)> = Vec::new();
    needed.extend(
        clusters
            .iter()
            .filter(|c| c.accelerator.price_per_gpu.is_some())
            .map(|c| (c.accelerator.currency.clone(), c.accelerator.id.clone())),
    );
    needed.extend(
        power
            .iter()
            .filter(|p| p.tech.capex_per_kw.is_some())
            .map(|p| (p.tech.currency.clone(), p.tech.id.clone())),
    );
    needed.extend(
        shells
            .iter()
            .flatten()
            .map(|s| (s.kind.currency.clone(), s.kind.id.clone())),
    );
    needed.sort();
    needed.dedup_by(|a, b| a.0 == b.0);
    for (currency, example) in needed {
        if currency != "EUR" && !f.eur_per_currency.contains_key(&currency) {
            ok = false;
            let d = ctx.error(
                "missing-exchange-rate",
                &at("eur_per_currency"),
                format!(
                    "no exchange rate for {currency}, the currency of catalog entry `{example}`"
                ),
            );
            *d = d.clone().expected(format!("`{currency} = …` (EUR per {currency}) in `finance.eur_per_currency`")).hint("the catalog keeps prices in the currency they were published in; state the rate you plan with");
        }
    }
    // Every SKU in use earns at a stated price: the catalog has no rents (they move too fast).
    let mut unpriced: Vec<&str> = clusters
        .iter()
        .map(|c| c.accelerator.id.as_str())
        .filter(|sku| !f.gpu_hour_price_eur.contains_key(*sku))
        .collect();
    unpriced.sort_unstable();
    unpriced.dedup();
    for sku in unpriced {
        ok = false;
        let d = ctx.error(
            "missing-gpu-hour-price",
            &at("gpu_hour_price_eur"),
            format!("no GPU-hour price for `{sku}`, which clusters use"),
        );
        *d = d
            .clone()
            .expected(format!(
                "`{sku} = …` (EUR per GPU-hour at the start) in `finance.gpu_hour_price_eur`"
            ))
            .hint("a figure or a distribution; REFERENCE-DATA 2.4 lists observed rents");
    }
    // What finance needs of every plant: its capex and book life unless it is a contract, and the
    // price of its energy if it burns fuel (the catalog has no fuel prices).
    for (i, a) in power.iter().enumerate() {
        use crate::catalog::PowerKind as K;
        let contract = matches!(a.tech.kind, K::Grid | K::NuclearPpa);
        let mut missing = Vec::new();
        if !contract && a.tech.capex_per_kw.is_none() {
            missing.push(("capex_per_kw", "overrides = { capex_per_kw = … }"));
        }
        if !contract && a.tech.capex_per_kw.is_some() && a.tech.life_years.is_none() {
            missing.push(("life_years", "overrides = { life_years = … }"));
        }
        for (field, fix) in missing {
            ok = false;
            let d = ctx.error(
                "missing-catalog-value",
                &path!("power_assets", i, "tech"),
                format!("the catalog has no `{field}` for `{}`", a.tech.id),
            );
            *d = d
                .clone()
                .expected(format!("`{fix}` in this power asset"))
                .hint("finance needs it; state your own figure and mark it as an estimate");
        }
        let burns_fuel = matches!(a.tech.kind, K::Ccgt | K::Ocgt | K::Recip);
        if burns_fuel && a.energy_price_eur_per_mwh.is_none() {
            ok = false;
            let d = ctx.error(
                "missing-energy-price",
                &path!("power_assets", i, "tech"),
                format!(
                    "`{}` burns fuel, and the catalog has no fuel price",
                    a.tech.id
                ),
            );
            *d = d
                .clone()
                .expected("`energy_price_eur_per_mwh = …` in this power asset")
                .hint(
                    "fuel and variable O&M together per MWh delivered; a figure or a distribution",
                );
        }
    }
    for c in clusters {
        if c.accelerator.price_per_gpu.is_none() {
            let path = match c.refresh_of {
                Some(o) => path!(
                    "clusters",
                    ctx_cluster_index(ctx, &clusters[o.index()].id),
                    "refresh",
                    "sku"
                ),
                None => path!("clusters", ctx_cluster_index(ctx, &c.id), "sku"),
            };
            let d = ctx.error(
                "missing-catalog-value",
                &path,
                format!("the catalog has no price for `{}`", c.accelerator.id),
            );
            let place = if c.refresh_of.is_some() {
                "this refresh"
            } else {
                "this cluster"
            };
            *d = d.clone().expected(format!("`overrides = {{ price_per_gpu = … }}` in {place}")).hint("no public price was found for this SKU; state your own and mark it as an estimate");
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    Some(m::Finance {
        eur_per_currency: f.eur_per_currency.clone(),
        base_rate,
        construction_margin,
        term_margin,
        target_dscr: f.target_dscr,
        lockup_dscr: f.lockup_dscr,
        default_dscr: f.default_dscr,
        max_gearing,
        tenor_years: f.tenor_years,
        dsra_months: f
            .dsra_months
            .unwrap_or_else(|| ctx.default("dsra_months") as u32),
        tax_rate,
        gpu_depreciation_years: f.gpu_depreciation_years,
        equity: equity.flatten().map(Eur),
        grants: Eur(grants.flatten().unwrap_or(0.0)),
        gpu_hour_price_eur: prices,
        spot_share,
        spot_price_ratio,
        price_decline_per_year: decline,
        token_price_eur_per_mtok: token_price.flatten(),
        maintenance_per_year: maintenance,
        insurance_per_year: insurance,
        staff_eur_per_mw_year: staff.unwrap_or(0.0),
        network_eur_per_gpu_year: network.unwrap_or(0.0),
        arrangement_fee: fee,
        shell_depreciation_years: shell_years,
        cash_sweep_share,
        equity_hurdle_rate,
    })
}

fn ctx_cluster_index(ctx: &Ctx, id: &str) -> usize {
    let Some(clusters) =
        tree::get(ctx.root, &path!("clusters")).and_then(|c| c.get_ref().as_array())
    else {
        return 0;
    };
    clusters
        .iter()
        .position(|c| c.get_ref().get("id").and_then(|v| v.get_ref().as_str()) == Some(id))
        .unwrap_or(0)
}

/// Cross-entity capacity checks: halls within their site, clusters within their hall, and facility
/// power within the most the site can ever draw.
#[allow(clippy::too_many_arguments)]
fn check_capacity(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    sites: &[Option<m::Site>],
    grid: &[m::GridConnection],
    power: &[m::PowerAsset],
    shells: &[Option<m::Shell>],
    clusters: &[m::Cluster],
) {
    for (s, site) in sites.iter().enumerate() {
        let Some(site) = site else { continue };
        let id = m::SiteId(s as u32);
        let halls: Vec<&m::Shell> = shells.iter().flatten().filter(|h| h.site == id).collect();
        let hall_it: f64 = halls.iter().map(|h| h.it().0).sum();
        if hall_it > site.max_it.0 + 1e-9 {
            let d = ctx.error(
                "site-overfull",
                &path!("sites", s, "max_it_mw"),
                format!(
                    "halls on `{}` add up to {hall_it} MW of IT, above its {} MW",
                    site.id, site.max_it.0
                ),
            );
            *d = d
                .clone()
                .expected(format!("halls totalling at most {} MW", site.max_it.0))
                .hint("raise `max_it_mw` if the site allows it, or move a hall");
        }
        let land: f64 = halls
            .iter()
            .filter_map(|h| h.kind.land_ha_per_100mw.map(|r| r * h.it().0 / 100.0))
            .sum();
        if land > site.area_ha + 1e-9 {
            let d = ctx.warning(
                "land-short",
                &path!("sites", s, "area_ha"),
                format!(
                    "halls on `{}` need about {land:.1} ha but the site has {} ha",
                    site.id, site.area_ha
                ),
            );
            *d = d.clone().expected(format!("at least {land:.1} ha")).hint(
                "the land figure per 100 MW is a catalog ESTIMATE; multi-storey builds need less",
            );
        }
        let facility: f64 = clusters
            .iter()
            .filter(|c| c.site == id)
            .map(|c| {
                c.it_power().0
                    * shells
                        .get(c.shell.index())
                        .and_then(Option::as_ref)
                        .map_or(1.0, |h| h.kind.pue)
            })
            .sum();
        let supply: f64 = grid
            .iter()
            .filter(|g| g.site == id)
            .map(|g| g.capacity.0)
            .sum::<f64>()
            + power
                .iter()
                .filter(|p| p.site == id)
                .map(|p| p.capacity.0)
                .sum::<f64>();
        // A supply entity dropped for an earlier error would make this figure wrong, not news.
        let supply_complete = grid.len() == file.grid_connections.len()
            && power.len() == file.power_assets.len()
            && ctx.removed.ids.is_empty();
        if supply_complete && facility > supply + 1e-9 {
            let d = ctx.error(
                "power-shortfall",
                &path!("sites", s, "id"),
                format!("clusters on `{}` draw {facility:.1} MW (IT × PUE) but the site can never have more than {supply:.1} MW", site.id),
            );
            *d = d
                .clone()
                .expected(format!(
                    "grid connections and on-site power of at least {facility:.1} MW"
                ))
                .hint("add a grid connection or a power asset on this site, or move clusters");
        }
    }
    for (h, hall) in shells.iter().enumerate() {
        let Some(hall) = hall else { continue };
        let it: f64 = clusters
            .iter()
            .filter(|c| c.shell.index() == h)
            .map(|c| c.it_power().0)
            .sum();
        if it > hall.it().0 + 1e-9 {
            let index = file
                .clusters
                .iter()
                .position(|c| c.shell == hall.id)
                .unwrap_or(0);
            let d = ctx.error(
                "shell-overfull",
                &path!("clusters", index, "gpus"),
                format!(
                    "clusters in hall `{}` need {it:.1} MW of IT but its phases total {} MW",
                    hall.id,
                    hall.it().0
                ),
            );
            *d = d
                .clone()
                .expected(format!("at most {} MW of IT in this hall", hall.it().0))
                .hint("IT power = GPUs × the SKU's `all_in_power_kw`; add a phase or fewer GPUs");
        }
    }
}
