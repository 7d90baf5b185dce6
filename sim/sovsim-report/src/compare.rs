//! Buildouts compared side by side, from their run directories alone: the headline figures with
//! P10/P50/P90 and their differences from the first buildout, as a table (Parquet and CSV),
//! overlaid charts and a PDF typeset from `reports/templates/compare.typ`.
//!
//! Every value is read from a run's `summary.json` (or, for capacity by year, its `timeseries`
//! table) and every difference is that value minus the first run's, so a reader can check each one
//! against the files; dates differ in days.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::charts::{Chart, FanSeries, Kind, Series};
use crate::data::RunData;
use crate::typeset::Template;
use crate::{ReportError, RunDir, Table, Values, format};

/// How a figure is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// EUR.
    Money,
    /// A fraction shown as %.
    Percent,
    /// A ratio (×).
    Ratio,
    /// A date; differences in days.
    Date,
    /// EUR per GPU-hour.
    PricePerHour,
    /// A quantity with its unit.
    Quantity,
}

/// A headline figure: the `summary.json` key it comes from (without `_p10`…), label, unit, shape,
/// and whether the summary also has a base-case value under the bare key.
const FIGURES: &[(&str, &str, &str, Shape, bool)] = &[
    (
        "date_first_gpu",
        "First GPU energised",
        "date",
        Shape::Date,
        false,
    ),
    (
        "date_first_gw",
        "First GW online",
        "date",
        Shape::Date,
        false,
    ),
    (
        "date_full_capacity",
        "Full planned capacity",
        "date",
        Shape::Date,
        false,
    ),
    ("capex_total_eur", "Capex", "EUR", Shape::Money, true),
    ("npv_eur", "NPV", "EUR", Shape::Money, true),
    (
        "project_irr",
        "Project IRR",
        "fraction per year",
        Shape::Percent,
        true,
    ),
    (
        "equity_irr",
        "Equity IRR",
        "fraction per year",
        Shape::Percent,
        true,
    ),
    ("dscr_min", "Minimum DSCR", "ratio", Shape::Ratio, true),
    ("llcr_min", "Minimum LLCR", "ratio", Shape::Ratio, true),
    (
        "lcoc_eur_per_gpu_hour",
        "LCOC",
        "EUR per GPU-hour",
        Shape::PricePerHour,
        true,
    ),
    (
        "stranded_gpu_hours",
        "Stranded GPU-hours",
        "GPU-hours",
        Shape::Quantity,
        false,
    ),
    (
        "emissions_mtco2_total",
        "Emissions",
        "MtCO₂",
        Shape::Quantity,
        false,
    ),
];

/// The statistics of a figure, in table order.
const STATISTICS: [&str; 4] = ["base", "p10", "p50", "p90"];

/// One row of the comparison: a figure's statistic for one buildout.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Figure label ("NPV", "IT online 2030-01-01").
    pub figure: String,
    /// Where the value comes from: a `summary.json` key, or `timeseries:COLUMN@DATE`.
    pub key: String,
    /// Unit.
    pub unit: String,
    /// How to show it.
    pub shape: Shape,
    /// `base` (the base case), `p10`, `p50` or `p90`.
    pub statistic: String,
    /// The buildout (its label).
    pub buildout: String,
    /// The value, if a number.
    pub value: Option<f64>,
    /// The value, if a date.
    pub date: Option<String>,
    /// Value minus the first buildout's (days for dates); `None` where either is missing.
    pub difference: Option<f64>,
}

/// Buildouts compared.
#[derive(Debug)]
pub struct Comparison {
    /// Labels of the buildouts, first the reference.
    pub labels: Vec<String>,
    /// Rows, figure by figure, statistic by statistic, buildout by buildout.
    pub rows: Vec<Row>,
}

/// A `YYYY-MM-DD` date as days since 1970-01-01.
fn days(date: &str) -> Option<i64> {
    date.parse::<sovsim_core::units::Date>()
        .ok()
        .map(sovsim_core::units::Date::days_since_epoch)
}

/// The region's rows of `timeseries`: (date, IT capacity online P10, P50, P90 [MW]).
fn region_it_online(run: &RunData) -> Vec<(String, [f64; 3])> {
    let sites = run.texts("timeseries", "site");
    let dates = run.texts("timeseries", "date");
    let q: Vec<Vec<f64>> = ["p10", "p50", "p90"]
        .iter()
        .map(|s| run.numbers("timeseries", &format!("it_online_mw_{s}")))
        .collect();
    (0..sites.len())
        .filter(|&i| sites[i] == "region")
        .map(|i| (dates[i].clone(), [q[0][i], q[1][i], q[2][i]]))
        .collect()
}

/// The region's IT capacity online at the end of each calendar year the run simulates through
/// December: (year, date of that last monthly row, [p10, p50, p90] in MW).
fn capacity_by_year(run: &RunData) -> Vec<(String, String, [f64; 3])> {
    let mut out: Vec<(String, String, [f64; 3])> = Vec::new();
    for (date, v) in region_it_online(run) {
        let Some(year) = date.get(..4).map(str::to_owned) else {
            continue;
        };
        match out.last_mut() {
            Some(last) if last.0 == year => *last = (year, date, v),
            _ => out.push((year, date, v)),
        }
    }
    out.retain(|(_, date, _)| date.get(5..7) == Some("12"));
    out
}

/// Compares the runs (labels and their data); the first is the reference.
pub fn compare(runs: &[(String, RunData)]) -> Comparison {
    let mut rows = Vec::new();
    let labels: Vec<String> = runs.iter().map(|(l, _)| l.clone()).collect();
    let mut push = |figure: &str,
                    key_of: &dyn Fn(&str) -> String,
                    unit: &str,
                    shape: Shape,
                    stats: &[&str]| {
        for stat in stats {
            let key = key_of(stat);
            let reference = runs.first().map(|(_, r)| r.summary.get(&key));
            for (label, run) in runs {
                let v = run.summary.get(&key);
                let (value, date) = match v {
                    Some(Value::String(s)) => (None, Some(s.clone())),
                    Some(Value::Number(n)) => (n.as_f64(), None),
                    _ => (None, None),
                };
                let difference = match (shape, reference.flatten(), v) {
                    (Shape::Date, Some(Value::String(a)), Some(Value::String(b))) => {
                        days(b).zip(days(a)).map(|(b, a)| (b - a) as f64)
                    }
                    (_, Some(a), Some(b)) => b.as_f64().zip(a.as_f64()).map(|(b, a)| b - a),
                    _ => None,
                };
                rows.push(Row {
                    figure: figure.to_owned(),
                    key: key.clone(),
                    unit: unit.to_owned(),
                    shape,
                    statistic: (*stat).to_owned(),
                    buildout: label.clone(),
                    value,
                    date,
                    difference,
                });
            }
        }
    };
    for (key, label, unit, shape, has_base) in FIGURES {
        let stats: &[&str] = if *has_base {
            &STATISTICS
        } else {
            &STATISTICS[1..]
        };
        push(
            label,
            &|s| {
                if s == "base" {
                    (*key).to_owned()
                } else {
                    format!("{key}_{s}")
                }
            },
            unit,
            *shape,
            stats,
        );
    }
    // Sovereign demand served, per tier any buildout has.
    let tiers: BTreeSet<String> = runs
        .iter()
        .flat_map(|(_, r)| r.summary.keys())
        .filter_map(|k| {
            k.strip_prefix("sovereign_demand_served_share_")
                .and_then(|t| t.strip_suffix("_p50"))
                .map(str::to_owned)
        })
        .collect();
    for tier in &tiers {
        push(
            &format!("Demand served, {tier}"),
            &|s| format!("sovereign_demand_served_share_{tier}_{s}"),
            "fraction",
            Shape::Percent,
            &STATISTICS[1..],
        );
    }
    // IT capacity online at the end of each calendar year any buildout simulated.
    let by_year: Vec<Vec<(String, String, [f64; 3])>> =
        runs.iter().map(|(_, r)| capacity_by_year(r)).collect();
    let years: BTreeSet<String> = by_year
        .iter()
        .flatten()
        .map(|(y, _, _)| y.clone())
        .collect();
    for year in &years {
        for (k, stat) in ["p10", "p50", "p90"].iter().enumerate() {
            let at = |i: usize| by_year[i].iter().find(|(y, _, _)| y == year);
            let reference = at(0).map(|(_, _, v)| v[k] / 1000.0);
            for (i, (label, _)) in runs.iter().enumerate() {
                let found = at(i);
                let value = found.map(|(_, _, v)| v[k] / 1000.0);
                rows.push(Row {
                    figure: format!("IT online, end of {year}"),
                    key: found.map_or(String::new(), |(_, date, _)| {
                        format!("timeseries:it_online_mw_{stat}@{date}")
                    }),
                    unit: "GW".to_owned(),
                    shape: Shape::Quantity,
                    statistic: (*stat).to_owned(),
                    buildout: label.clone(),
                    value,
                    date: None,
                    difference: value.zip(reference).map(|(v, r)| v - r),
                });
            }
        }
    }
    Comparison { labels, rows }
}

/// A value for people.
pub fn show(shape: Shape, value: Option<f64>, date: Option<&str>, unit: &str) -> String {
    match (shape, value, date) {
        (Shape::Date, _, d) => format::month(d),
        (_, None, _) => "—".to_owned(),
        (Shape::Money, Some(v), _) => format::money(v),
        (Shape::Percent, Some(v), _) => format::percent(v),
        (Shape::Ratio, Some(v), _) => format::times(v),
        (Shape::PricePerHour, Some(v), _) => format::euros(v, 2),
        (Shape::Quantity, Some(v), _) if unit == "GW" => format!("{} GW", format::fixed(v, 2)),
        (Shape::Quantity, Some(v), _) if v.abs() >= 1e6 => format!("{} {unit}", format::large(v)),
        (Shape::Quantity, Some(v), _) => format!("{} {unit}", format::fixed(v, 2)),
    }
}

/// A difference for people: "+€1.20bn", "−2.3 points", "+45 days".
pub fn show_difference(shape: Shape, difference: Option<f64>, unit: &str) -> String {
    let Some(d) = difference else {
        return "—".to_owned();
    };
    let sign = if d < 0.0 {
        "−"
    } else if d > 0.0 {
        "+"
    } else {
        ""
    };
    let a = d.abs();
    match shape {
        Shape::Date => format!("{sign}{} days", format::fixed(a, 0)),
        Shape::Percent => format!("{sign}{} points", format::fixed(a * 100.0, 1)),
        _ => format!("{sign}{}", show(shape, Some(a), None, unit)),
    }
}

impl Comparison {
    /// The P50 of each figure (and the base case's financial figures), side by side, with each
    /// buildout's difference from the first.
    pub fn terminal_table(&self) -> String {
        let c = self;
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["P50 (base case where marked)".to_owned()];
        header.extend(c.labels.iter().cloned());
        header.extend(c.labels.iter().skip(1).map(|l| format!("Δ {l}")));
        rows.push(header);
        let base = c.grid("base");
        for (figure, cells) in c.grid("p50") {
            let mut row = vec![figure.clone()];
            row.extend(cells.iter().map(|(v, _)| v.clone()));
            row.extend(cells.iter().skip(1).map(|(_, d)| d.clone()));
            rows.push(row);
            if let Some((_, b)) = base.iter().find(|(f, _)| *f == figure) {
                let mut row = vec![format!("  {figure}, base case")];
                row.extend(b.iter().map(|(v, _)| v.clone()));
                row.extend(b.iter().skip(1).map(|(_, d)| d.clone()));
                rows.push(row);
            }
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut s = String::new();
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                if i == 0 {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad + 2));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                    line.push_str("  ");
                }
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
        s
    }

    /// The rows as a table.
    pub fn table(&self) -> Table {
        let r = &self.rows;
        Table::new()
            .column(
                "figure",
                Values::Text(r.iter().map(|x| x.figure.clone()).collect()),
            )
            .column(
                "key",
                Values::Text(r.iter().map(|x| x.key.clone()).collect()),
            )
            .column(
                "unit",
                Values::Text(r.iter().map(|x| x.unit.clone()).collect()),
            )
            .column(
                "statistic",
                Values::Text(r.iter().map(|x| x.statistic.clone()).collect()),
            )
            .column(
                "buildout",
                Values::Text(r.iter().map(|x| x.buildout.clone()).collect()),
            )
            .column("value", Values::OptF64(r.iter().map(|x| x.value).collect()))
            .column(
                "date",
                Values::OptText(r.iter().map(|x| x.date.clone()).collect()),
            )
            .column(
                "difference",
                Values::OptF64(r.iter().map(|x| x.difference).collect()),
            )
    }

    /// Figures with their rows for one statistic, one row per figure: (figure, unit, shape,
    /// [(value text, difference text)] per buildout).
    pub fn grid(&self, statistic: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for row in self.rows.iter().filter(|r| r.statistic == statistic) {
            let cell = (
                show(row.shape, row.value, row.date.as_deref(), &row.unit),
                show_difference(row.shape, row.difference, &row.unit),
            );
            match out.last_mut() {
                Some((f, cells)) if *f == row.figure => cells.push(cell),
                _ => out.push((row.figure.clone(), vec![cell])),
            }
        }
        out
    }

    /// "P50 (P10 to P90)" of each figure for each buildout, with the P50 difference.
    fn spread(&self) -> Vec<Value> {
        let p50 = self.grid("p50");
        let p10 = self.grid("p10");
        let p90 = self.grid("p90");
        let base = self.grid("base");
        p50.iter()
            .map(|(figure, cells)| {
                let find = |g: &Vec<(String, Vec<(String, String)>)>| {
                    g.iter().find(|(f, _)| f == figure).map(|(_, c)| c.clone())
                };
                let (lo, hi, b) = (find(&p10), find(&p90), find(&base));
                let values: Vec<Value> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, (v, d))| {
                        let range = lo
                            .as_ref()
                            .zip(hi.as_ref())
                            .map_or(String::new(), |(l, h)| format!("{} to {}", l[i].0, h[i].0));
                        json!({
                            "p50": v,
                            "range": range,
                            "base": b.as_ref().map(|b| b[i].0.clone()),
                            "difference": d,
                        })
                    })
                    .collect();
                json!({ "figure": figure, "values": values })
            })
            .collect()
    }
}

/// The overlaid charts: IT capacity online (P10–P90 bands and P50 lines) and the base case's
/// cumulative project cash flow by year.
fn charts(runs: &[(String, RunData)]) -> Vec<Chart> {
    let mut x: BTreeSet<i64> = BTreeSet::new();
    let mut per_run: Vec<Vec<(f64, [f64; 3])>> = Vec::new();
    for (_, run) in runs {
        let points: Vec<(f64, [f64; 3])> = region_it_online(run)
            .into_iter()
            .filter_map(|(date, v)| {
                Some((crate::document::year_of(&date)?, v.map(|mw| mw / 1000.0)))
            })
            .collect();
        x.extend(points.iter().map(|(y, _)| (y * 12.0).round() as i64));
        per_run.push(points);
    }
    let xs: Vec<f64> = x.iter().map(|m| *m as f64 / 12.0).collect();
    let fans: Vec<FanSeries> = runs
        .iter()
        .zip(&per_run)
        .map(|((label, _), points)| {
            let at = |k: usize| -> Vec<f64> {
                xs.iter()
                    .map(|t| {
                        points
                            .iter()
                            .find(|(y, _)| (y - t).abs() < 1e-6)
                            .map_or(f64::NAN, |(_, v)| v[k])
                    })
                    .collect()
            };
            FanSeries {
                label: label.clone(),
                p10: at(0),
                p50: at(1),
                p90: at(2),
            }
        })
        .collect();
    let mut out = vec![Chart {
        name: "compare_it_online".to_owned(),
        title: "IT capacity online".to_owned(),
        x_label: "year".to_owned(),
        y_label: "IT capacity [GW]".to_owned(),
        kind: Kind::Fans { x: xs, fans },
    }];
    // Cumulative project cash flow of each base case at each year end it reaches.
    let years: BTreeSet<String> = runs
        .iter()
        .flat_map(|(_, r)| r.texts("cashflows", "end_date"))
        .filter_map(|d| d.get(..4).map(str::to_owned))
        .collect();
    if !years.is_empty() {
        let categories: Vec<String> = years.iter().cloned().collect();
        let series = runs
            .iter()
            .map(|(label, r)| {
                let ends = r.texts("cashflows", "end_date");
                let flows = r.numbers("cashflows", "out_project_cf_eur");
                let values = categories
                    .iter()
                    .map(|y| {
                        let through: Vec<f64> = ends
                            .iter()
                            .zip(&flows)
                            .filter(|(e, _)| e.get(..4).is_some_and(|ey| ey <= y.as_str()))
                            .map(|(_, f)| *f)
                            .collect();
                        if through.is_empty() || !ends.iter().any(|e| e.starts_with(y.as_str())) {
                            f64::NAN
                        } else {
                            through.iter().sum()
                        }
                    })
                    .collect();
                Series {
                    label: label.clone(),
                    values,
                }
            })
            .collect();
        out.push(Chart {
            name: "compare_project_cash".to_owned(),
            title: "Cumulative project cash flow, base case".to_owned(),
            x_label: "year".to_owned(),
            y_label: "EUR".to_owned(),
            kind: Kind::Lines { categories, series },
        });
    }
    out
}

/// What [`render`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The comparison.
    pub comparison: Comparison,
    /// Files written, `compare.pdf` and `compare.html` last.
    pub files: Vec<PathBuf>,
    /// The text of each PDF page.
    pub pages: Vec<String>,
}

/// Compares the runs in `dirs` (labelled `labels`) into `out`: `comparison.parquet`/`.csv`, the
/// overlaid charts, and `compare.pdf` typeset with `template`.
///
/// # Errors
/// If a run directory cannot be read, a chart or the template fails, or writing fails.
pub fn render(
    dirs: &[(String, PathBuf)],
    out: &Path,
    template: &Template,
) -> Result<Written, ReportError> {
    let mut runs = Vec::new();
    for (label, dir) in dirs {
        runs.push((label.clone(), RunData::load(dir)?));
    }
    let comparison = compare(&runs);
    let charts = charts(&runs);
    // Every figure above was read by name: a name the schema does not declare is a defect.
    for (_, r) in &runs {
        r.check()?;
    }
    let dir = RunDir::create(out)?;
    let mut files = dir.write_table("comparison", &comparison.table())?;
    let crate::Drawn {
        files: drawn,
        world,
        paths: chart_paths,
        figures,
    } = crate::draw(&dir, &charts)?;
    files.extend(drawn);
    let buildouts: Vec<Value> = runs
        .iter()
        .map(|(label, r)| {
            let text = |k: &str| r.summary.get(k).cloned().unwrap_or(Value::Null);
            json!({
                "label": label,
                "scenario": text("scenario_name"),
                "case": text("case"),
                "runs": text("runs"),
                "seed": text("seed"),
                "horizon": format!(
                    "{} to {}",
                    r.text("horizon_start_date").unwrap_or("?"),
                    r.text("horizon_end_date").unwrap_or("?")
                ),
                "dir": r.dir.display().to_string(),
            })
        })
        .collect();
    let seeds: BTreeSet<String> = runs
        .iter()
        .map(|(_, r)| {
            r.summary
                .get("seed")
                .map(Value::to_string)
                .unwrap_or_default()
        })
        .collect();
    let data = json!({
        "title": comparison.labels.join(" vs "),
        "sovsim_version": runs.first().and_then(|(_, r)| r.manifest.get("sovsim_version").cloned()),
        "buildouts": buildouts,
        "common_seed": seeds.len() == 1,
        "figures": comparison.spread(),
        "charts": chart_paths,
    });
    let (written, pages) = crate::typeset_into(
        &dir,
        "compare",
        template,
        (world, &figures),
        &data,
        &format!("sovsim comparison: {}", comparison.labels.join(" vs ")),
    )?;
    files.extend(written);
    Ok(Written {
        comparison,
        files,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::days;

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2000-03-01"), Some(11_017));
        assert_eq!(
            days("2030-04-16")
                .zip(days("2029-12-11"))
                .map(|(a, b)| a - b),
            Some(126)
        );
    }
}
