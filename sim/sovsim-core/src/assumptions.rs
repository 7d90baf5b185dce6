//! The assumptions of a resolved scenario: every catalog figure it uses and every default that
//! filled a field it left out, each with its source, and the financing terms it states itself.
//!
//! The report's appendix and the workbook's inputs sheet print this list, so a reader can trace
//! each number to a row of `data/` (or to the scenario file).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::{Catalog, TABLES};

use crate::model::{FigureOrigin, RateBasis, Scenario, StatedFigure, Uncertain};

/// One figure the run used.
#[derive(Clone, Debug, PartialEq)]
pub struct Assumption {
    /// What it describes: `accelerators gb300-nvl72`, `defaults`, `finance`.
    pub subject: String,
    /// Field (a catalog column, a default's key, a finance key).
    pub field: String,
    /// Value as written in the source.
    pub value: String,
    /// Unit (`-` for none).
    pub unit: String,
    /// Where it comes from: the catalog row's source, or the scenario.
    pub source: String,
    /// Date of the source (empty for the scenario).
    pub source_date: String,
    /// The figure is an ESTIMATE (derived, not read from the source).
    pub estimate: bool,
}

/// Columns that identify or describe a row rather than being a figure.
const NOT_FIGURES: [&str; 10] = [
    "id",
    "code",
    "name",
    "vendor",
    "currency",
    "estimated_fields",
    "source",
    "source_date",
    "model",
    "accelerator",
];

/// The figures `scenario` takes from `catalog` and the finance terms it states, in a stable order
/// (catalog tables in `data/README.md` order, then defaults, then finance), each listed once.
pub fn list(scenario: &Scenario, catalog: &Catalog) -> Vec<Assumption> {
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add_row = |table: &str, key: &str, value: Map<String, Value>, overridden: &[String]| {
        let Some(doc) = TABLES.iter().find(|t| t.name == table) else {
            return;
        };
        let source = value.get("source").map(text).unwrap_or_default();
        let date = value.get("source_date").map(text).unwrap_or_default();
        let estimated = value.get("estimated_fields").map(text).unwrap_or_default();
        let currency = value.get("currency").map(text);
        for column in doc.columns {
            if NOT_FIGURES.contains(&column.name) {
                continue;
            }
            let Some(v) = value.get(column.name) else {
                continue;
            };
            if v.is_null() {
                continue;
            }
            let changed = overridden.iter().any(|f| f == column.name);
            let subject = format!("{table} {key}");
            if !seen.insert((subject.clone(), column.name, text(v))) {
                continue;
            }
            let unit = match (&currency, column.unit) {
                (Some(c), u) if u.contains("currency") => u.replace("currency", c),
                (_, u) => u.to_owned(),
            };
            rows.push(Assumption {
                subject,
                field: column.name.to_owned(),
                value: text(v),
                unit,
                source: if changed {
                    "scenario (overrides the catalog)".to_owned()
                } else {
                    source.clone()
                },
                source_date: if changed { String::new() } else { date.clone() },
                estimate: !changed && estimated.split(';').any(|f| f.trim() == column.name),
            });
        }
    };
    for c in &scenario.clusters {
        add_row(
            "accelerators",
            &c.accelerator.id,
            fields(&c.accelerator),
            &c.overridden,
        );
    }
    for p in &scenario.power_assets {
        add_row(
            "power_technologies",
            &p.tech.id,
            fields(&p.tech),
            &p.overridden,
        );
    }
    for s in &scenario.shells {
        add_row("shells", &s.kind.id, fields(&s.kind), &s.overridden);
    }
    for s in &scenario.sites {
        add_row("countries", &s.country.code, fields(&s.country), &[]);
    }
    for m in &scenario.models {
        add_row("models", &m.spec.id, fields(&m.spec), &m.overridden);
    }
    for r in &scenario.dispatch.serving {
        let model = &scenario.models[r.model.index()].spec.id;
        let sku = &scenario.skus[r.sku.index()];
        if r.basis == RateBasis::Catalog
            && let Some(row) = catalog.throughput(model, sku)
        {
            add_row(
                "inference_throughput",
                &format!("{model} on {sku}"),
                fields(row),
                &[],
            );
        }
    }
    for e in &scenario.dispatch.efficiency {
        for row in catalog
            .efficiency
            .iter()
            .filter(|row| row.accelerator == scenario.skus[e.sku.index()])
        {
            let overridden = if e.overridden {
                vec!["efficiency".to_owned()]
            } else {
                Vec::new()
            };
            add_row(
                "workload_efficiency",
                &format!("{} on {}", row.workload.name(), row.accelerator),
                fields(row),
                &overridden,
            );
        }
    }
    for key in &scenario.defaults_used {
        if let Some(d) = catalog.defaults.iter().find(|d| &d.key == key) {
            rows.push(Assumption {
                subject: "defaults".to_owned(),
                field: d.key.clone(),
                value: number(d.value),
                unit: d.unit.clone(),
                source: d.source.clone(),
                source_date: d.source_date.clone(),
                estimate: d.estimated_fields.split(';').any(|f| f.trim() == "value"),
            });
        }
    }
    rows.extend(finance_terms(scenario));
    // The rest of what the scenario file states, finance aside (listed above in its units).
    rows.extend(
        scenario
            .stated
            .iter()
            .filter(|f| !f.path.starts_with("finance") && f.path != "scenario.discount_rate")
            .map(|f| Assumption {
                subject: "scenario".to_owned(),
                field: f.path.clone(),
                value: f.value.clone(),
                unit: "-".to_owned(),
                source: origin_text(f),
                source_date: String::new(),
                estimate: f.origin == FigureOrigin::Estimate,
            }),
    );
    rows
}

/// Where a stated figure comes from, in words: `quickstart.toml:57: ESTIMATE: …`.
fn origin_text(f: &StatedFigure) -> String {
    if f.comment.is_empty() {
        format!("{} (scenario; no source given)", f.location)
    } else {
        format!("{}: {}", f.location, f.comment)
    }
}

/// What a scenario's figures rest on: how many it states and of what origin, and how many catalog
/// figures it uses and how many of those are estimates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// Figures the scenario file states.
    pub stated: usize,
    /// Of those, marked `ESTIMATE`.
    pub stated_estimates: usize,
    /// Of those, with no comment at all.
    pub stated_unsourced: usize,
    /// Catalog figures and defaults the scenario uses.
    pub catalog: usize,
    /// Of those, estimates.
    pub catalog_estimates: usize,
}

impl Provenance {
    /// Counts the figures of `rows` (as [`list`] returns them) and of `scenario`'s file.
    pub fn of(scenario: &Scenario, rows: &[Assumption]) -> Self {
        let from_catalog = rows
            .iter()
            .filter(|r| r.subject != "scenario" && r.subject != "finance");
        Provenance {
            stated: scenario.stated.len(),
            stated_estimates: scenario
                .stated
                .iter()
                .filter(|f| f.origin == FigureOrigin::Estimate)
                .count(),
            stated_unsourced: scenario
                .stated
                .iter()
                .filter(|f| f.origin == FigureOrigin::Unstated)
                .count(),
            catalog: from_catalog.clone().count(),
            catalog_estimates: from_catalog.filter(|r| r.estimate).count(),
        }
    }

    /// Share of all the figures the run uses that are estimates [fraction]; `None` if none.
    pub fn estimated_share(&self) -> Option<f64> {
        let all = self.stated + self.catalog;
        (all > 0).then(|| (self.stated_estimates + self.catalog_estimates) as f64 / all as f64)
    }
}

/// The financing terms and prices the scenario states (defaults are listed with the catalog's).
fn finance_terms(scenario: &Scenario) -> Vec<Assumption> {
    let Some(f) = &scenario.finance else {
        return Vec::new();
    };
    let median = |u: &Uncertain| u.dist.quantile(0.5);
    let mut terms: Vec<(String, f64, &str)> = vec![
        (
            "discount_rate".into(),
            scenario.meta.discount_rate,
            "fraction per year",
        ),
        ("base_rate".into(), f.base_rate, "fraction per year"),
        (
            "construction_margin".into(),
            f.construction_margin,
            "fraction per year",
        ),
        ("term_margin".into(), f.term_margin, "fraction per year"),
        ("target_dscr".into(), f.target_dscr, "ratio"),
        ("max_gearing".into(), f.max_gearing, "fraction"),
        ("tenor_years".into(), f64::from(f.tenor_years), "years"),
        ("tax_rate".into(), f.tax_rate, "fraction"),
        (
            "gpu_depreciation_years".into(),
            f.gpu_depreciation_years,
            "years",
        ),
        ("grants_eur".into(), f.grants.0, "EUR"),
        (
            "maintenance_per_year".into(),
            f.maintenance_per_year,
            "fraction of capex per year",
        ),
        (
            "insurance_per_year".into(),
            f.insurance_per_year,
            "fraction of capex per year",
        ),
        (
            "staff_eur_per_mw_year".into(),
            f.staff_eur_per_mw_year,
            "EUR/MW/year",
        ),
        (
            "network_eur_per_gpu_year".into(),
            f.network_eur_per_gpu_year,
            "EUR/GPU/year",
        ),
    ];
    if let Some(v) = f.lockup_dscr {
        terms.push(("lockup_dscr".into(), v, "ratio"));
    }
    if let Some(v) = f.default_dscr {
        terms.push(("default_dscr".into(), v, "ratio"));
    }
    if let Some(e) = f.equity {
        terms.push(("equity_eur".into(), e.0, "EUR"));
    }
    if let Some(h) = f.equity_hurdle_rate {
        terms.push(("equity_hurdle_rate".into(), h, "fraction per year"));
    }
    // By SKU id, as the scenario file keys them.
    let mut prices: Vec<(&String, &Uncertain)> =
        scenario.skus.iter().zip(&f.gpu_hour_price_eur).collect();
    prices.sort_by_key(|(sku, _)| *sku);
    for (sku, price) in prices {
        terms.push((
            format!("gpu_hour_price_eur {sku} (median)"),
            median(price),
            "EUR/GPU-hour",
        ));
    }
    if let Some(p) = &f.token_price_eur_per_mtok {
        terms.push((
            "token_price_eur_per_mtok (median)".into(),
            median(p),
            "EUR/Mtok",
        ));
    }
    // Each term's origin is its line in the file: the key as the file spells it.
    let stated = |field: &str| -> Option<&StatedFigure> {
        let key = field
            .trim_end_matches(" (median)")
            .replace("maintenance_per_year", "maintenance_pct_per_year")
            .replace("insurance_per_year", "insurance_pct_per_year")
            .replace(' ', ".");
        let path = if key == "discount_rate" {
            "scenario.discount_rate".to_owned()
        } else {
            format!("finance.{key}")
        };
        scenario.stated.iter().find(|f| f.path == path)
    };
    terms
        .into_iter()
        .map(|(field, value, unit)| {
            let line = stated(&field);
            Assumption {
                source: line.map_or_else(|| "scenario".to_owned(), origin_text),
                estimate: line.is_some_and(|f| f.origin == FigureOrigin::Estimate),
                subject: "finance".to_owned(),
                field,
                value: number(value),
                unit: unit.to_owned(),
                source_date: String::new(),
            }
        })
        .collect()
}

/// A catalog row as named fields.
fn fields(row: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(row) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), number),
        other => other.to_string(),
    }
}

/// A figure as a short decimal: no float noise (`0.07`, not `0.07000000000000001`).
fn number(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        // 3.8e24 FLOP, not 25 digits.
        return format!("{v:e}");
    }
    let rounded = format!("{v:.10}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}
