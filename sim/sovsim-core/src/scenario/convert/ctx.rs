//! The conversion context: the parsed tree, the catalog and the diagnostics being collected, with
//! one checking helper per kind of value (quantities, fractions, dates, distributions, references,
//! catalog rows and overrides), so that every section converts the same way. Its imports are the
//! sections' prelude.

pub(super) use std::collections::BTreeMap;
pub(super) use std::ops::Range;

pub(super) use nalgebra::DMatrix;
pub(super) use serde::Serialize;
pub(super) use serde::de::DeserializeOwned;

pub(super) use super::super::tree::{self, Node, Seg};
pub(super) use super::super::wire;
pub(super) use crate::catalog::{Catalog, Cooling};
pub(super) use crate::diagnostic::{Diagnostic, did_you_mean};
pub(super) use crate::model::{self as m, Attribute, AttributeKind, Distribution, FactorId, Test};
pub(super) use crate::model::{CaseSpec, Change, Input, Range as InputRange};
pub(super) use crate::units::{Date, Eur, Mw};

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
pub(super) const OWNERSHIP_TOLERANCE_PCT: f64 = 0.01;

pub(super) struct Ctx<'a, 'i> {
    pub(super) root: &'a Node<'i>,
    pub(super) catalog: &'a Catalog,
    pub(super) out: &'a mut Vec<Diagnostic>,
    pub(super) start: Date,
    pub(super) end: Date,
    pub(super) factors: Vec<String>,
    pub(super) discarded: Diagnostic,
    /// What was dropped for wire errors already reported; problems that follow from it are not news.
    pub(super) removed: &'a Removed<'a>,
    /// Keys of `defaults.csv` that filled a field the scenario left out, for the assumptions list.
    pub(super) defaults_used: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

/// Entities and fields dropped before conversion because of errors already reported.
pub struct Removed<'a> {
    /// Ids of dropped entities: references to them are not reported again.
    pub ids: &'a [String],
    /// Field paths dropped: problems at, inside or around them are not reported again.
    pub paths: &'a [String],
}

impl Removed<'_> {
    pub(super) fn covers(&self, path: &str) -> bool {
        self.paths.iter().any(|r| {
            r == path
                || path.starts_with(&format!("{r}."))
                || r.starts_with(&format!("{path}."))
                || r.starts_with(&format!("{path}["))
        })
    }
}

impl Ctx<'_, '_> {
    pub(super) fn span(&self, path: &[Seg]) -> Option<Range<usize>> {
        tree::get(self.root, path)
            .map(toml::Spanned::span)
            .or_else(|| {
                // A field left out has no span; point at the closest enclosing table that exists.
                (1..path.len())
                    .rev()
                    .find_map(|n| tree::key_span(self.root, &path[..n]))
            })
    }

    pub(super) fn error(
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

    pub(super) fn warning(
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

    /// Largest figure a scenario may state: ten times the largest in any shipped file (tokens a
    /// day, ~1e14) would be enough; 1e18 keeps every product of two figures, and sums of millions of
    /// them, far from overflow, so no NaN or infinity can reach an output.
    pub(super) const MAX_FIGURE: f64 = 1e18;

    /// A finite number, at least zero.
    pub(super) fn quantity(&mut self, path: &[Seg], value: f64) -> Option<f64> {
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
        if value > Self::MAX_FIGURE {
            let d = self.error(
                "too-large",
                path,
                format!("`{name}` is {value:e}, beyond any figure sovsim plans with"),
            );
            *d = d
                .clone()
                .expected(format!("at most {:e}", Self::MAX_FIGURE))
                .hint("products of figures this large overflow; check the unit in the key's name");
            return None;
        }
        Some(value)
    }

    /// A quantity of at most `max`, for figures whose size has a meaning (a ratio, a growth rate).
    pub(super) fn at_most(&mut self, path: &[Seg], value: f64, max: f64, why: &str) -> Option<f64> {
        let v = self.quantity(path, value)?;
        if v > max {
            let name = tree::path_string(path);
            let d = self.error("out-of-range", path, format!("`{name}` is {v}"));
            *d = d.clone().expected(format!("at most {max}")).hint(why);
            return None;
        }
        Some(v)
    }

    /// A finite number above zero.
    pub(super) fn positive(&mut self, path: &[Seg], value: f64) -> Option<f64> {
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
    pub(super) fn fraction(&mut self, path: &[Seg], value: f64) -> Option<f64> {
        let v = self.quantity(path, value)?;
        if v > 1.0 {
            let name = tree::path_string(path);
            let d = self.error(
                "not-a-fraction",
                path,
                format!("`{name}` is {v}, outside [0, 1]"),
            );
            let hint = format!("write shares as fractions: {v} % is `{}`", v / 100.0);
            *d = d.clone().expected("a fraction between 0 and 1").hint(hint);
            return None;
        }
        Some(v)
    }

    pub(super) fn date(&mut self, path: &[Seg], value: &toml::value::Datetime) -> Option<Date> {
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

    pub(super) fn date_in_horizon(
        &mut self,
        path: &[Seg],
        value: &toml::value::Datetime,
    ) -> Option<Date> {
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

    pub(super) fn uncertain(
        &mut self,
        path: &[Seg],
        value: &wire::Uncertain,
    ) -> Option<m::Uncertain> {
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

    pub(super) fn unique_ids<'w>(&mut self, section: &str, ids: impl Iterator<Item = &'w str>) {
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

    pub(super) fn reference(
        &mut self,
        path: &[Seg],
        id: &str,
        section: &str,
        ids: &[&str],
    ) -> Option<usize> {
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

    pub(super) fn catalog_ref<'c, T>(
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

    pub(super) fn country(&mut self, path: &[Seg], code: &str) -> Option<crate::catalog::Country> {
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
    pub(super) fn jurisdiction(&mut self, path: &[Seg], code: &str) -> bool {
        code == "EU" || self.country(path, code).is_some()
    }

    /// Applies a scenario's overrides to a catalog row, one key at a time so each bad key is reported.
    pub(super) fn apply_overrides<T: Serialize + DeserializeOwned + Clone>(
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
    pub(super) fn default(&self, key: &str) -> f64 {
        self.defaults_used.borrow_mut().insert(key.to_owned());
        // `defaults.csv` is checked by the test suite to hold every key asked for here.
        self.catalog.default_value(key).unwrap_or(f64::NAN)
    }
}

/// A number as people write it in scenario files: `2e11` rather than `200000000000`.
pub(super) fn num(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

pub(super) fn list(items: &[impl AsRef<str>]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !name.starts_with(['-', '.'])
}
