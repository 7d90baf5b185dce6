//! What the report says: the charts and the figures handed to the template, made from a run
//! directory alone. Every number the template prints is formatted here, from `summary.json` or a
//! table, by the formatters in [`crate::format`]; the template only lays them out.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::charts::{Chart, GanttRow, Kind, Series, TornadoBar};
use crate::data::RunData;
use crate::format::{
    count, euros, fixed, large, money, month, percent, power_mw, significant, times,
};

/// Every chart the report may draw (`charts/<name>.svg` and `.png`), with what it shows; a chart
/// whose data the run lacks (no `[finance]`) is not drawn.
pub const CHARTS: [(&str, &str); 18] = [
    (
        "timeline",
        "Gantt per site: permit, grid, on-site power, first hall, first GPUs delivered, first GPU online, full capacity; P50 filled, P90 hollow",
    ),
    (
        "capacity_by_power",
        "available power by technology over time, region, stack of P50s [GW]",
    ),
    (
        "capacity_by_sku",
        "GPUs working by SKU over time, region, stack of P50s [thousands]",
    ),
    (
        "compute_delivered",
        "GPU-hours per year on training, inference and idle, scenario's policy, P50s [bn]",
    ),
    (
        "stranded",
        "stranded GPU-hours per year per dispatch policy, P50 [bn]",
    ),
    (
        "portability",
        "GPU-hours stranded by incompatibility at each portability level, P50 [M], and what each level recovers at market prices over the horizon, P50 [€m] (`--compare-dispatch`)",
    ),
    (
        "flywheel",
        "revenue per year with and without reinvestment, P50 [€m], and GPUs working with it, P50 [thousands] (scenarios with `[[reinvestments]]`)",
    ),
    (
        "energy_mix",
        "energy per year by power source, region, P50s [TWh]",
    ),
    ("emissions", "emissions per year, region, P50 [MtCO₂]"),
    (
        "capex_by_component",
        "base-case capex per year by component [€bn]",
    ),
    (
        "drawdown",
        "base-case funding drawn per year: grants, equity, senior debt [€bn]",
    ),
    (
        "cfads_dscr",
        "base-case CFADS and debt service per year [€bn], DSCR with target, lock-up and covenant lines [×]",
    ),
    (
        "debt_balance",
        "base-case senior debt and DSRA at each year's end [€bn]",
    ),
    (
        "fan_it_online",
        "IT online over time, region, P10–P90 band and P50 [GW]",
    ),
    (
        "fan_gpus",
        "GPUs working over time, region, P10–P90 band and P50 [thousands]",
    ),
    (
        "histogram_npv",
        "NPV of each replication with P10/P50/P90 [€bn]",
    ),
    (
        "histogram_equity_irr",
        "equity IRR of each replication with P10/P50/P90 [%]",
    ),
    (
        "tornado_equity_irr",
        "equity IRR of the base case with each `[sensitivity]` input at the ends of its range, inputs ranked by swing [%]",
    ),
];

/// The report's content: data for the template and the charts it shows.
#[derive(Debug)]
pub struct Document {
    /// Everything the template prints, as formatted text (`data.json` in the template's world).
    pub data: Value,
    /// The charts, in report order.
    pub charts: Vec<Chart>,
}

/// One headline figure: its name and its summary key (written by `headline_format`).
struct Headline {
    label: &'static str,
    key: String,
}

/// Builds the report's content from a run.
pub fn build(run: &RunData) -> Document {
    let mut d = Map::new();
    let mut charts = Vec::new();
    let policy = run.text("dispatch_policy").unwrap_or("siloed").to_owned();
    let text = |k: &str| run.text(k).unwrap_or_default().to_owned();
    d.insert("scenario".into(), json!(text("scenario_name")));
    d.insert(
        "sovsim_version".into(),
        json!(run.manifest.get("sovsim_version").and_then(Value::as_str)),
    );
    d.insert("seed".into(), json!(run.summary.get("seed")));
    d.insert("runs".into(), json!(run.num("runs").map(count)));
    d.insert(
        "catalog_version".into(),
        json!(run.manifest.get("catalog_version").and_then(Value::as_str)),
    );
    d.insert(
        "scenario_sha256".into(),
        json!(run.manifest.get("scenario_sha256").and_then(Value::as_str)),
    );
    d.insert(
        "horizon".into(),
        json!(format!(
            "{} to {}",
            month(run.text("horizon_start_date")),
            month(run.text("horizon_end_date"))
        )),
    );
    d.insert("policy".into(), json!(policy));
    d.insert(
        "planned_it".into(),
        json!(run.num("planned_it_capacity_mw").map(power_mw)),
    );
    d.insert(
        "planned_gpus".into(),
        json!(run.num("planned_gpus").map(count)),
    );

    let headlines = headlines(run, &policy);
    d.insert(
        "headline".into(),
        Value::Array(
            headlines
                .iter()
                .filter_map(|h| {
                    let [p10, p50, p90] = quantiles(run, &h.key, &policy);
                    let p50 = p50?;
                    Some(json!({
                        "figure": h.label,
                        "key": h.key,
                        "p50": p50,
                        "p10": p10.unwrap_or_else(|| "n/a".into()),
                        "p90": p90.unwrap_or_else(|| "n/a".into()),
                    }))
                })
                .collect(),
        ),
    );
    d.insert("paragraph".into(), json!(paragraph(run, &policy)));
    d.insert("milestones".into(), json!(milestones(run)));
    let (gantt_rows, gantt_chart) = gantt(run);
    d.insert("gantt".into(), json!(gantt_rows));
    charts.extend(gantt_chart);
    d.insert("delays".into(), json!(delays(run)));
    charts.extend(capacity(run));
    charts.extend(compute(run, &policy));
    d.insert("utilisation".into(), json!(utilisation(run)));
    d.insert("dispatch".into(), json!(dispatch_rows(run)));
    d.insert("forgone".into(), forgone(run));
    if let Some((rows, chart)) = portability(run) {
        d.insert("portability".into(), rows);
        charts.push(chart);
    }
    if let Some((rows, chart)) = flywheel(run) {
        d.insert("flywheel".into(), rows);
        charts.push(chart);
    }
    if let Some(rows) = defence(run) {
        d.insert("defence".into(), rows);
    }
    d.insert("demand".into(), json!(demand(run)));
    d.insert("sovereignty".into(), json!(sovereignty(run)));
    d.insert("seal".into(), seal(run));
    let (energy_rows, energy_charts) = energy(run);
    d.insert("energy".into(), json!(energy_rows));
    charts.extend(energy_charts);
    if run.financed() {
        let (finance, finance_charts) = finance(run);
        d.insert("finance".into(), finance);
        charts.extend(finance_charts);
    }
    charts.extend(risk(run));
    let (cases, tornado) = sensitivities(run);
    d.insert("cases".into(), json!(cases));
    charts.extend(tornado);

    d.insert("trust".into(), trust(run));
    d.insert("assumptions".into(), json!(assumptions(run)));
    d.insert("checks".into(), json!(checks(run)));
    d.insert(
        "charts".into(),
        Value::Object(
            charts
                .iter()
                .map(|c| (c.name.clone(), json!(format!("/charts/{}.svg", c.name))))
                .collect(),
        ),
    );
    Document {
        data: Value::Object(d),
        charts,
    }
}

fn headlines(run: &RunData, policy: &str) -> Vec<Headline> {
    let h = |label, key: &str| Headline {
        label,
        key: key.to_owned(),
    };
    let mut out = vec![
        h("IT capacity online at the end", "it_capacity_mw_end"),
        h("GPUs working at the end", "gpus_operational_end"),
        h("Energy over the horizon", "energy_twh_total"),
        h("Emissions over the horizon", "emissions_mtco2_total"),
        h("Stranded GPU-hours", "stranded_gpu_hours_share"),
    ];
    let prefix = "sovereign_demand_served_share_";
    let mut tiers: Vec<String> = run
        .summary
        .keys()
        .filter_map(|k| k.strip_prefix(prefix)?.strip_suffix("_p50"))
        .filter_map(|t| match t.strip_suffix(&format!("_{policy}")) {
            Some(t) => Some(t.to_owned()),
            None if !t.ends_with("_siloed") && !t.ends_with("_grid") => Some(t.to_owned()),
            None => None,
        })
        .collect();
    tiers.dedup();
    for t in tiers {
        out.push(h("Demand served", &format!("{prefix}{t}")));
    }
    if run.financed() {
        out.extend([
            h("Capex", "capex_total_eur"),
            h("NPV", "npv_eur"),
            h("Project IRR", "project_irr"),
            h("Equity IRR", "equity_irr"),
            h("Minimum DSCR", "dscr_min"),
            h("Minimum LLCR", "llcr_min"),
            h("Senior debt", "debt_eur"),
            h("Levelised cost of compute", "lcoc_eur_per_gpu_hour"),
            h("Cost per million tokens", "cost_eur_per_mtok"),
            h("Payback", "payback_years"),
        ]);
    }
    out
}

/// P10/P50/P90 of a headline key, formatted; a dispatch key may carry the policy (`--compare-dispatch`).
fn quantiles(run: &RunData, key: &str, policy: &str) -> [Option<String>; 3] {
    let show = headline_format(key);
    ["p10", "p50", "p90"].map(|q| {
        let value = run
            .num(&format!("{key}_{q}"))
            .or_else(|| run.num(&format!("{key}_{policy}_{q}")));
        value.map(show)
    })
}

/// The formatter of a headline key (the same one the table and the test use).
pub fn headline_format(key: &str) -> fn(f64) -> String {
    match key {
        "it_capacity_mw_end" => power_mw,
        "gpus_operational_end" => count,
        "energy_twh_total" => |v| format!("{} TWh", fixed(v, 1)),
        "emissions_mtco2_total" => |v| format!("{} MtCO₂", fixed(v, 1)),
        "capex_total_eur" | "npv_eur" | "debt_eur" | "equity_eur" => money,
        "project_irr" | "equity_irr" => percent,
        "dscr_min" | "dscr_avg" | "llcr_min" => times,
        "lcoc_eur_per_gpu_hour" => |v| format!("{}/GPU-h", euros(v, 2)),
        "cost_eur_per_mtok" => |v| euros(v, 3),
        "payback_years" => |v| format!("{} years", fixed(v, 1)),
        _ => percent,
    }
}

/// One paragraph that says what the numbers say.
fn paragraph(run: &RunData, policy: &str) -> String {
    let p = |key: &str| quantiles(run, key, policy);
    let date = |key: &str| {
        [
            month(run.text(&format!("{key}_p50"))),
            month(run.text(&format!("{key}_p10"))),
            month(run.text(&format!("{key}_p90"))),
        ]
    };
    let mut s = String::new();
    let full = date("date_full_capacity");
    // A buildout under a gigawatt never reaches one: name its first GPU online instead.
    let (first, what) = if run.text("date_first_gw_p50").is_some() {
        (date("date_first_gw"), "its first gigawatt of IT")
    } else {
        (date("date_first_gpu"), "its first GPU online")
    };
    s.push_str(&format!(
        "The buildout reaches {what} in {} (P50; P10 {}, P90 {}) and full capacity in {} (P10 {}, P90 {}).",
        first[0], first[1], first[2], full[0], full[1], full[2]
    ));
    let [_, it, _] = p("it_capacity_mw_end");
    let [_, twh, _] = p("energy_twh_total");
    let [_, mt, _] = p("emissions_mtco2_total");
    // A horizon of one GPU generation ends with its GPUs retired, not with a buildout that failed.
    let retired = run.num("gpus_installed_end_p50") == Some(0.0)
        && run.num("energy_twh_total_p50").is_some_and(|e| e > 0.0);
    if let (Some(it), Some(twh), Some(mt)) = (it, twh, mt) {
        let online = if retired {
            "every GPU has retired at the end of its useful life".to_owned()
        } else {
            format!("{it} of IT is online")
        };
        s.push_str(&format!(
            " At the end of the horizon {online}; over the horizon the sites use {twh} and emit {mt} (P50)."
        ));
    }
    if let Some((cause, months)) = main_delay(run) {
        s.push_str(&format!(
            " The main cause of delay is {cause}: on average {} months per site.",
            fixed(months, 1)
        ));
    }
    let [_, stranded, _] = p("stranded_gpu_hours_share");
    if let Some(stranded) = stranded {
        s.push_str(&format!(
            " Under {policy} dispatch {stranded} of GPU-hours are stranded (idle while eligible demand goes unserved)."
        ));
    }
    if let Some(forgone) = run
        .num("revenue_forgone_eur_p50")
        .filter(|v| *v > 0.0)
        .map(money)
    {
        s.push_str(&format!(
            " Demand left unserved forgoes {forgone} of revenue for lack of compute (P50)."
        ));
    }
    if let (Some(gpus), Some(eur), Some(gain)) = (
        run.num("reinvested_gpus_p50")
            .filter(|v| *v > 0.0)
            .map(count),
        run.num("reinvested_eur_p50").map(money),
        run.num("flywheel_revenue_gain_eur_p50").map(money),
    ) {
        s.push_str(&format!(
            " Reinvestment buys {gpus} more GPUs for {eur} from operating cash and changes revenue over the horizon by {gain} against the same replications without it (P50)."
        ));
    }
    if let Some(value) = run
        .num("portability_value_eur_per_year_p50")
        .filter(|v| *v > 0.0)
        .map(money)
    {
        s.push_str(&format!(
            " A compute portability standard would be worth {value} a year (P50)."
        ));
    }
    if run.financed() {
        let [irr10, irr, irr90] = p("project_irr");
        let [_, capex, _] = p("capex_total_eur");
        if let (Some(capex), Some(irr)) = (&capex, irr) {
            s.push_str(&format!(
                " Capex of {capex} earns a project IRR of {irr} (P10 {}, P90 {}).",
                irr10.unwrap_or_else(|| "n/a".into()),
                irr90.unwrap_or_else(|| "n/a".into())
            ));
        } else if let Some(capex) = &capex {
            s.push_str(&format!(
                " Capex is {capex}; the project cash flows have no IRR."
            ));
        }
        if let (Some(debt), Some(binding)) = (run.num("debt_eur"), run.text("debt_sizing_binding"))
        {
            s.push_str(&format!(
                " The lender's base case supports {} of senior debt, sized by {binding}.",
                money(debt)
            ));
        }
        if let (Some(prob), Some(cov)) = (
            run.num("dscr_min_below_covenant_probability"),
            run.num("dscr_covenant"),
        ) {
            s.push_str(&format!(
                " The minimum DSCR falls below the {} covenant in {} of replications.",
                times(cov),
                percent(prob)
            ));
        }
        match run
            .summary
            .get("finance_checks_passed")
            .and_then(Value::as_bool)
        {
            Some(true) => s.push_str(" Every check of the financial model passes."),
            Some(false) => {
                s.push_str(" Some checks of the financial model fail: see the checks page.")
            }
            None => {}
        }
    }
    s
}

/// The cause with the most months of delay summed over sites, and its mean per site.
fn main_delay(run: &RunData) -> Option<(String, f64)> {
    let causes = run.texts("delays", "cause");
    let months = run.numbers("delays", "months_mean");
    let sites = run.texts("delays", "site");
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    let mut site_set = std::collections::BTreeSet::new();
    for ((c, m), s) in causes.iter().zip(&months).zip(&sites) {
        if c != "total" && m.is_finite() {
            *sums.entry(c).or_default() += m;
            site_set.insert(s);
        }
    }
    let (cause, total) = sums
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))?;
    (total > 0.0).then(|| (cause_words(cause), total / site_set.len().max(1) as f64))
}

fn cause_words(cause: &str) -> String {
    match cause {
        "permit" => "waiting for permits",
        "grid" => "waiting for the grid connection",
        "onsite_power" => "waiting for on-site power",
        "power_shortfall" => "too little firm power",
        "shell" => "waiting for the halls",
        "gpus" => "waiting for GPU deliveries",
        other => other,
    }
    .to_owned()
}

/// Fractional year of an ISO date (`2030-07-01` → 2030.5).
pub fn year_of(date: &str) -> Option<f64> {
    let mut parts = date.split('-').map(str::parse::<f64>);
    let (y, m, d) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    Some(y + (m - 1.0) / 12.0 + (d - 1.0) / 365.25)
}

fn milestones(run: &RunData) -> Vec<Value> {
    let sites = run.texts("milestones", "site");
    let names = run.texts("milestones", "milestone");
    let q: Vec<Vec<String>> = ["date_p10", "date_p50", "date_p90"]
        .iter()
        .map(|c| run.texts("milestones", c))
        .collect();
    (0..sites.len())
        .filter(|&i| sites[i] == "region")
        .map(|i| {
            json!({
                "milestone": milestone_words(&names[i]),
                "p10": month_cell(&q[0][i]),
                "p50": month_cell(&q[1][i]),
                "p90": month_cell(&q[2][i]),
            })
        })
        .collect()
}

/// A date cell of a table (empty when the milestone was not reached) as its month.
fn month_cell(date: &str) -> String {
    month((!date.is_empty()).then_some(date))
}

fn milestone_words(name: &str) -> String {
    match name {
        "first_power" => "first power".into(),
        "first_gpu" => "first GPU online".into(),
        "full_capacity" => "full capacity".into(),
        "permit" => "permit".into(),
        "grid" => "grid connection".into(),
        "onsite_power" => "on-site power".into(),
        "shell" => "first hall".into(),
        "gpus_delivered" => "first GPUs delivered".into(),
        other => match other.strip_prefix("gw_") {
            Some(n) => format!("{n} GW of IT online"),
            None => other.into(),
        },
    }
}

const GANTT_STAGES: [&str; 7] = [
    "permit",
    "grid",
    "onsite_power",
    "shell",
    "gpus_delivered",
    "first_gpu",
    "full_capacity",
];

fn gantt(run: &RunData) -> (Vec<Value>, Option<Chart>) {
    let sites = run.texts("milestones", "site");
    let names = run.texts("milestones", "milestone");
    let p50 = run.texts("milestones", "date_p50");
    let p90 = run.texts("milestones", "date_p90");
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for i in 0..sites.len() {
        if sites[i] == "region" {
            continue;
        }
        if !order.contains(&sites[i]) {
            order.push(sites[i].clone());
        }
        found.insert(
            (sites[i].clone(), names[i].clone()),
            (p50[i].clone(), p90[i].clone()),
        );
    }
    // Stages that no site ever passes (a scenario without on-site power) are left out.
    let stages: Vec<&str> = GANTT_STAGES
        .iter()
        .copied()
        .filter(|s| {
            order.iter().any(|site| {
                found
                    .get(&(site.clone(), (*s).to_owned()))
                    .is_some_and(|(a, _)| !a.is_empty())
            })
        })
        .collect();
    let mut rows = Vec::new();
    let mut chart_rows = Vec::new();
    for site in &order {
        let mut row = Map::new();
        row.insert("site".into(), json!(site));
        let mut stages_out = Vec::new();
        for s in &stages {
            let (a, b) = found
                .get(&(site.clone(), (*s).to_owned()))
                .cloned()
                .unwrap_or_default();
            let show = |v: &str| month((!v.is_empty()).then_some(v));
            row.insert(
                (*s).to_owned(),
                json!(format!("{} / {}", show(&a), show(&b))),
            );
            stages_out.push((milestone_words(s), year_of(&a), year_of(&b)));
        }
        rows.push(Value::Object(row));
        chart_rows.push(GanttRow {
            site: site.clone(),
            stages: stages_out,
        });
    }
    let start = run.text("horizon_start_date").and_then(year_of);
    let end = run.text("horizon_end_date").and_then(year_of);
    let chart = match (start, end, chart_rows.is_empty()) {
        (Some(start), Some(end), false) => Some(Chart {
            name: "timeline".into(),
            title: "Buildout timeline per site: P50 (filled) and P90 (hollow)".into(),
            x_label: "year".into(),
            y_label: "site".into(),
            kind: Kind::Gantt {
                rows: chart_rows.into_iter().rev().collect(),
                start,
                end,
            },
        }),
        _ => None,
    };
    let header: Vec<String> = stages.iter().map(|s| milestone_words(s)).collect();
    let mut out = vec![json!({"header": header, "keys": stages})];
    out.extend(rows);
    (out, chart)
}

fn delays(run: &RunData) -> Vec<Value> {
    let sites = run.texts("delays", "site");
    let causes = run.texts("delays", "cause");
    let months = run.numbers("delays", "months_mean");
    let mut by_site: Vec<(String, Map<String, Value>)> = Vec::new();
    for i in 0..sites.len() {
        if by_site.last().is_none_or(|(s, _)| *s != sites[i]) {
            let mut m = Map::new();
            m.insert("site".into(), json!(sites[i]));
            by_site.push((sites[i].clone(), m));
        }
        if let Some((_, m)) = by_site.last_mut() {
            m.insert(causes[i].clone(), json!(fixed(months[i], 1)));
        }
    }
    by_site.into_iter().map(|(_, m)| Value::Object(m)).collect()
}

/// Rows of `table` for the region (or every row if it has no `site` column), as (date, row index).
fn region_rows(run: &RunData, table: &str) -> Vec<usize> {
    let sites = run.texts(table, "site");
    (0..run.rows(table))
        .filter(|&i| sites.get(i).is_none_or(|s| s == "region"))
        .collect()
}

/// A region series of `table` split by `by` (`source`, `sku`): (x in years, series).
fn split_series(
    run: &RunData,
    table: &str,
    by: &str,
    column: &str,
    scale: f64,
) -> (Vec<f64>, Vec<Series>) {
    let rows = region_rows(run, table);
    let dates = run.texts(table, "date");
    let keys = run.texts(table, by);
    let values = run.numbers(table, column);
    let mut x: Vec<f64> = Vec::new();
    let mut series: Vec<Series> = Vec::new();
    for i in rows {
        let Some(t) = year_of(&dates[i]) else {
            continue;
        };
        if x.last() != Some(&t) {
            x.push(t);
        }
        let k = match series.iter().position(|s| s.label == keys[i]) {
            Some(k) => k,
            None => {
                series.push(Series {
                    label: keys[i].clone(),
                    values: Vec::new(),
                });
                series.len() - 1
            }
        };
        let s = &mut series[k];
        s.values.resize(x.len() - 1, 0.0);
        s.values.push(values[i] * scale);
    }
    for s in &mut series {
        s.values.resize(x.len(), 0.0);
    }
    (x, series)
}

/// Sums a monthly series into calendar years (months starting in that year).
fn yearly(dates: &[String], values: &[f64], rows: &[usize]) -> BTreeMap<i32, f64> {
    let mut out = BTreeMap::new();
    for &i in rows {
        if let Some(y) = dates[i].get(..4).and_then(|y| y.parse::<i32>().ok()) {
            let v = values[i];
            *out.entry(y).or_insert(0.0) += if v.is_finite() { v } else { 0.0 };
        }
    }
    out
}

fn capacity(run: &RunData) -> Vec<Chart> {
    let mut charts = Vec::new();
    let (x, series) = split_series(run, "timeseries_power", "source", "available_mw_p50", 1e-3);
    if !x.is_empty() {
        charts.push(Chart {
            name: "capacity_by_power".into(),
            title: "Available power by technology, region (P50 of each)".into(),
            x_label: "year".into(),
            y_label: "available power [GW]".into(),
            kind: Kind::StackedArea { x, series },
        });
    }
    let (x, series) = split_series(run, "timeseries_gpus", "sku", "gpus_operational_p50", 1e-3);
    if !x.is_empty() {
        charts.push(Chart {
            name: "capacity_by_sku".into(),
            title: "GPUs working by SKU, region (P50 of each)".into(),
            x_label: "year".into(),
            y_label: "GPUs working [thousands]".into(),
            kind: Kind::StackedArea { x, series },
        });
    }
    charts
}

fn policy_rows(run: &RunData, table: &str, policy: &str) -> Vec<usize> {
    let policies = run.texts(table, "policy");
    (0..run.rows(table))
        .filter(|&i| policies.get(i).is_none_or(|p| p == policy))
        .collect()
}

fn compute(run: &RunData, policy: &str) -> Vec<Chart> {
    let mut charts = Vec::new();
    let rows = policy_rows(run, "dispatch", policy);
    if rows.is_empty() {
        return charts;
    }
    let dates = run.texts("dispatch", "date");
    let sum = |c: &str| yearly(&dates, &run.numbers("dispatch", c), &rows);
    let training = sum("training_gpu_hours_p50");
    let inference = sum("inference_gpu_hours_p50");
    let available = sum("available_gpu_hours_p50");
    let years: Vec<i32> = available.keys().copied().collect();
    let get = |m: &BTreeMap<i32, f64>, y: &i32| m.get(y).copied().unwrap_or(0.0) / 1e9;
    charts.push(Chart {
        name: "compute_delivered".into(),
        title: format!("GPU-hours delivered per year ({policy} dispatch, P50 of each)"),
        x_label: "year".into(),
        y_label: "GPU-hours [bn]".into(),
        kind: Kind::StackedBars {
            categories: years.iter().map(i32::to_string).collect(),
            series: vec![
                Series {
                    label: "training".into(),
                    values: years.iter().map(|y| get(&training, y)).collect(),
                },
                Series {
                    label: "inference".into(),
                    values: years.iter().map(|y| get(&inference, y)).collect(),
                },
                Series {
                    label: "idle".into(),
                    values: years
                        .iter()
                        .map(|y| {
                            (get(&available, y) - get(&training, y) - get(&inference, y)).max(0.0)
                        })
                        .collect(),
                },
            ],
        },
    });
    let policies: Vec<String> = {
        let mut p = run.texts("dispatch", "policy");
        p.dedup();
        p
    };
    let stranded: Vec<Series> = policies
        .iter()
        .map(|p| {
            let rows = policy_rows(run, "dispatch", p);
            let m = yearly(
                &dates,
                &run.numbers("dispatch", "stranded_gpu_hours_p50"),
                &rows,
            );
            Series {
                label: format!("{p} (P50)"),
                values: years.iter().map(|y| get(&m, y)).collect(),
            }
        })
        .collect();
    charts.push(Chart {
        name: "stranded".into(),
        title: "Stranded GPU-hours per year: idle while eligible demand is unserved".into(),
        x_label: "year".into(),
        y_label: "GPU-hours [bn]".into(),
        kind: Kind::Lines {
            categories: years.iter().map(i32::to_string).collect(),
            series: stranded,
        },
    });
    charts
}

/// Demand forgone for lack of compute: the totals of `summary.json`, and per owner the P50 of each
/// year (EUR when priced, else GPU-hours) from the `forgone` table; `null` without it.
fn forgone(run: &RunData) -> Value {
    let t = "forgone";
    if !run.has(t) {
        return Value::Null;
    }
    let q = |key: &str, f: &dyn Fn(f64) -> String| {
        ["p50", "p10", "p90"].map(|k| run.num(&format!("{key}_{k}")).map(f))
    };
    let [h50, h10, h90] = q("compute_forgone_gpu_hours", &large);
    let [e50, e10, e90] = q("revenue_forgone_eur", &money);
    let owner = run.texts(t, "owner");
    let kind = run.texts(t, "kind");
    let year = run.numbers(t, "year");
    let priced = run.num("revenue_forgone_eur_p50").is_some();
    let values = if priced {
        run.numbers(t, "revenue_eur_p50")
    } else {
        run.numbers(t, "gpu_hours_p50")
    };
    let years = year.iter().fold(0.0_f64, |a, b| a.max(*b)) as usize + 1;
    let mut rows: Vec<Value> = Vec::new();
    let mut i = 0;
    while i < owner.len() {
        let cells: Vec<String> = (i..(i + years).min(owner.len()))
            .map(|j| {
                if priced {
                    money(values[j])
                } else {
                    large(values[j])
                }
            })
            .collect();
        if values[i..(i + years).min(owner.len())]
            .iter()
            .any(|v| *v > 0.0)
        {
            rows.push(json!({ "owner": owner[i], "kind": kind[i], "cells": cells }));
        }
        i += years;
    }
    json!({
        "start": run.text("horizon_start_date").unwrap_or_default(),
        "hours": h50, "hours_p10": h10, "hours_p90": h90,
        "eur": e50, "eur_p10": e10, "eur_p90": e90,
        "priced": priced,
        "years": (1..=years).map(|y| format!("Y{y}")).collect::<Vec<_>>(),
        "rows": rows,
    })
}

/// The value of a portability standard (`--compare-dispatch`): each level's row, the headline
/// sentence's figures, and the chart; `None` when the run did not measure it.
fn portability(run: &RunData) -> Option<(Value, Chart)> {
    let t = "portability";
    if !run.has(t) {
        return None;
    }
    let level = run.numbers(t, "portability");
    let q = |name: &str| ["p10", "p50", "p90"].map(|k| run.numbers(t, &format!("{name}_{k}")));
    let [s10, s50, s90] = q("incompatible_gpu_hours");
    let [c10, c50, c90] = q("idle_capex_eur");
    let [e10, e50, e90] = q("recovered_eur");
    let range = |a: f64, b: f64, c: f64, f: &dyn Fn(f64) -> String| {
        if b.is_nan() {
            "n/a".to_owned()
        } else {
            format!("{} ({} to {})", f(b), f(a), f(c))
        }
    };
    let rows: Vec<Value> = (0..level.len())
        .map(|i| {
            json!({
                "level": percent(level[i]),
                "stranded": range(s10[i], s50[i], s90[i], &large),
                "idle_capex": range(c10[i], c50[i], c90[i], &money),
                "recovered": range(e10[i], e50[i], e90[i], &money),
            })
        })
        .collect();
    let value = |q: &str| {
        run.num(&format!("portability_value_eur_per_year_{q}"))
            .map(money)
    };
    let hours = |q: &str| {
        run.num(&format!("portability_recovered_gpu_hours_{q}"))
            .map(large)
    };
    let nothing = run
        .num("portability_recovered_gpu_hours_p90")
        .is_none_or(|v| v <= 0.0);
    let headline = json!({
        "nothing": nothing,
        "policy": run.text("dispatch_policy").unwrap_or_default(),
        "value": value("p50"), "value_p10": value("p10"), "value_p90": value("p90"),
        "hours": hours("p50"), "hours_p10": hours("p10"), "hours_p90": hours("p90"),
        "rows": rows,
    });
    let chart = Chart {
        name: t.into(),
        title: "What a portability standard recovers".into(),
        x_label: "share of the unserved demand made portable".into(),
        y_label: "GPU-hours stranded by incompatibility [M]".into(),
        kind: Kind::BarsAndLine {
            categories: level.iter().map(|l| percent(*l)).collect(),
            bars: vec![Series {
                label: "stranded by incompatibility (P50)".into(),
                values: s50.iter().map(|v| v / 1e6).collect(),
            }],
            line: Series {
                label: "recovered at market prices, €m (P50)".into(),
                values: e50
                    .iter()
                    .map(|v| if v.is_nan() { 0.0 } else { v / 1e6 })
                    .collect(),
            },
            line_axis: "€m over the horizon".into(),
            references: Vec::new(),
        },
    };
    Some((headline, chart))
}

/// The flywheel (scenarios with reinvestment rules): the headline figures of `summary.json`, per
/// year the P50s of the `flywheel` table, and the chart; `None` without the table.
/// Each screening proxy, tier and way of running it: detection, latency, what it leaks and blocks,
/// and what screening costs (P50), from the `defence` table.
fn defence(run: &RunData) -> Option<Value> {
    let t = "defence";
    if !run.has(t) {
        return None;
    }
    let [defence, tier, sharing] = ["defence", "tier", "sharing"].map(|c| run.texts(t, c));
    let dispatched = run.flags(t, "dispatched");
    let [detection, latency] = ["detection", "latency_added_ms"].map(|c| run.numbers(t, c));
    let p50 = |name: &str| run.numbers(t, &format!("{name}_p50"));
    let [leaked, blocked, asked, hours, eur, gpus] = [
        "tokens_leaked",
        "tokens_blocked_legit",
        "tokens_asked",
        "screening_gpu_hours",
        "screening_eur",
        "service_gpus",
    ]
    .map(p50);
    let rows: Vec<Value> = (0..run.rows(t))
        .map(|i| {
            json!({
                "defence": defence[i], "tier": tier[i],
                "sharing": if dispatched[i] {
                    format!("{} (run)", sharing[i].replace('_', " "))
                } else {
                    sharing[i].replace('_', " ")
                },
                "detection": percent(detection[i]),
                "latency": format!("{} ms", fixed(latency[i], 1)),
                "asked": large(asked[i]),
                "leaked": large(leaked[i]),
                "blocked": large(blocked[i]),
                "hours": large(hours[i]),
                "eur": if eur[i].is_finite() { money(eur[i]) } else { "—".to_owned() },
                "gpus": count(gpus[i]),
            })
        })
        .collect();
    Some(json!(rows))
}

fn flywheel(run: &RunData) -> Option<(Value, Chart)> {
    let t = "flywheel";
    if !run.has(t) {
        return None;
    }
    let p50 = |name: &str| run.numbers(t, &format!("{name}_p50"));
    let (gpus_with, gpus_without) = (p50("gpus_with"), p50("gpus_without"));
    let (revenue_with, revenue_without) = (p50("revenue_with_eur"), p50("revenue_without_eur"));
    let reinvested = p50("reinvested_eur");
    let year = run.numbers(t, "year");
    let start: i32 = run
        .text("horizon_start_date")
        .and_then(|d| d.get(..4).and_then(|y| y.parse().ok()))
        .unwrap_or(0);
    let label = |y: f64| format!("Y{}", y as i64 + 1);
    let rows: Vec<Value> = (0..year.len())
        .map(|i| {
            json!({
                "year": label(year[i]),
                "gpus_with": count(gpus_with[i]),
                "gpus_without": count(gpus_without[i]),
                "revenue_with": money(revenue_with[i]),
                "revenue_without": money(revenue_without[i]),
                "reinvested": money(reinvested[i]),
            })
        })
        .collect();
    let q = |key: &str, f: &dyn Fn(f64) -> String| {
        ["p50", "p10", "p90"].map(|k| run.num(&format!("{key}_{k}")).map(f))
    };
    let [e50, e10, e90] = q("reinvested_eur", &money);
    let [g50, g10, g90] = q("reinvested_gpus", &count);
    let [r50, r10, r90] = q("flywheel_revenue_gain_eur", &money);
    let [u50, _, _] = q("reinvestment_unspent_eur", &money);
    let headline = json!({
        "start": start,
        "eur": e50, "eur_p10": e10, "eur_p90": e90,
        "gpus": g50, "gpus_p10": g10, "gpus_p90": g90,
        "gain": r50, "gain_p10": r10, "gain_p90": r90,
        "unspent": u50,
        "rows": rows,
    });
    let chart = Chart {
        name: t.into(),
        title: "The flywheel: revenue with and without reinvestment".into(),
        x_label: format!("year of the horizon (Y1 starts {start})"),
        y_label: "revenue [€m]".into(),
        kind: Kind::BarsAndLine {
            categories: year.iter().map(|y| label(*y)).collect(),
            bars: vec![
                Series {
                    label: "revenue with reinvestment (P50)".into(),
                    values: revenue_with.iter().map(|v| v / 1e6).collect(),
                },
                Series {
                    label: "revenue without (P50)".into(),
                    values: revenue_without.iter().map(|v| v / 1e6).collect(),
                },
            ],
            line: Series {
                label: "GPUs working with reinvestment, thousands (P50)".into(),
                values: gpus_with.iter().map(|v| v / 1e3).collect(),
            },
            line_axis: "GPUs working [thousands]".into(),
            references: Vec::new(),
        },
    };
    Some((headline, chart))
}

fn dispatch_rows(run: &RunData) -> Vec<Value> {
    let mut policies = run.texts("dispatch", "policy");
    policies.dedup();
    policies
        .iter()
        .map(|p| {
            let get = |key: &str| {
                ["p50", "p10", "p90"].map(|q| {
                    run.num(&format!("{key}_{p}_{q}"))
                        .or_else(|| {
                            (run.text("dispatch_policy") == Some(p))
                                .then(|| run.num(&format!("{key}_{q}")))
                                .flatten()
                        })
                        .map(percent)
                        .unwrap_or_else(|| "n/a".into())
                })
            };
            let [u50, u10, u90] = get("utilisation_mean");
            let [s50, s10, s90] = get("stranded_gpu_hours_share");
            json!({
                "policy": p,
                "utilisation": format!("{u50} ({u10} to {u90})"),
                "stranded": format!("{s50} ({s10} to {s90})"),
            })
        })
        .collect()
}

fn utilisation(run: &RunData) -> Vec<Value> {
    let t = "utilisation";
    let policy = run.texts(t, "policy");
    let cluster = run.texts(t, "cluster");
    let operator = run.texts(t, "operator");
    let sku = run.texts(t, "sku");
    let u = run.numbers(t, "utilisation_p50");
    let s = run.numbers(t, "stranded_gpu_hours_p50");
    let a = run.numbers(t, "available_gpu_hours_p50");
    (0..run.rows(t))
        .map(|i| {
            json!({
                "policy": policy[i], "cluster": cluster[i], "operator": operator[i], "sku": sku[i],
                "utilisation": percent(u[i]), "stranded": large(s[i]), "available": large(a[i]),
            })
        })
        .collect()
}

fn demand(run: &RunData) -> Vec<Value> {
    let t = "demand";
    let [policy, name, kind, tier] = ["policy", "demand", "kind", "tier"].map(|c| run.texts(t, c));
    let q = ["served_share_p10", "served_share_p50", "served_share_p90"].map(|c| run.numbers(t, c));
    (0..run.rows(t))
        .map(|i| {
            let show = |v: f64| {
                if v.is_finite() {
                    percent(v)
                } else {
                    "n/a".into()
                }
            };
            json!({
                "policy": policy[i], "demand": name[i], "kind": kind[i], "tier": tier[i],
                "p10": show(q[0][i]), "p50": show(q[1][i]), "p90": show(q[2][i]),
            })
        })
        .collect()
}

/// Which operators fail which tier, and why (one row per operator and tier).
fn sovereignty(run: &RunData) -> Vec<Value> {
    let t = "sovereignty";
    let [operator, tier, clauses] = ["operator", "tier", "failed_clauses"].map(|c| run.texts(t, c));
    let qualifies = run.flags(t, "qualifies");
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for i in 0..run.rows(t) {
        if seen.insert((operator[i].clone(), tier[i].clone())) {
            out.push(json!({
                "operator": operator[i], "tier": tier[i],
                "qualifies": if qualifies[i] { "yes" } else { "no" },
                "failed": clauses[i],
            }));
        }
    }
    out
}

/// Each operator at each site: its SEAL per framework objective, its score, and what holds back
/// its weakest objective (one row per distinct assessment, from the `seal` table).
fn seal(run: &RunData) -> Value {
    let t = "seal";
    let [cluster, operator, site, objective, blocking] = [
        "cluster",
        "operator",
        "site",
        "objective",
        "next_level_fails_on",
    ]
    .map(|c| run.texts(t, c));
    let [level, weight, score] = ["seal", "weight_pct", "score_pct"].map(|c| run.numbers(t, c));
    let mut objectives: Vec<String> = Vec::new();
    let mut rows: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut i = 0;
    while i < run.rows(t) {
        let end = (i..run.rows(t))
            .find(|&j| cluster[j] != cluster[i])
            .unwrap_or(run.rows(t));
        if objectives.is_empty() {
            objectives = objective[i..end].to_vec();
        }
        let levels: Vec<String> = level[i..end].iter().map(|v| format!("{v:.0}")).collect();
        // The weakest objective is the one whose shortfall costs the most score.
        let weakest = (i..end)
            .filter(|&j| level[j] < 4.0)
            .max_by(|&a, &b| {
                let gap = |j: usize| weight[j] * (4.0 - level[j]);
                gap(a).total_cmp(&gap(b)).then(b.cmp(&a))
            })
            .map(|j| format!("{}: {}", objective[j], blocking[j]))
            .unwrap_or_default();
        let who = format!("{} at {}", operator[i], site[i]);
        if seen.insert((who.clone(), levels.clone())) {
            rows.push(json!({
                "who": who, "levels": levels,
                "score": format!("{:.0} %", score[i]), "weakest": weakest,
            }));
        }
        i = end;
    }
    json!({ "objectives": objectives, "rows": rows })
}

fn energy(run: &RunData) -> (Vec<Value>, Vec<Chart>) {
    let rows = region_rows(run, "timeseries");
    let dates = run.texts("timeseries", "date");
    let energy = yearly(&dates, &run.numbers("timeseries", "energy_mwh_p50"), &rows);
    let emissions = yearly(
        &dates,
        &run.numbers("timeseries", "emissions_tco2_p50"),
        &rows,
    );
    let p_rows = region_rows(run, "timeseries_power");
    let p_dates = run.texts("timeseries_power", "date");
    let sources = run.texts("timeseries_power", "source");
    let p_energy = run.numbers("timeseries_power", "energy_mwh_p50");
    let mut names: Vec<String> = Vec::new();
    let mut mix: BTreeMap<(String, i32), f64> = BTreeMap::new();
    for &i in &p_rows {
        if !names.contains(&sources[i]) {
            names.push(sources[i].clone());
        }
        if let Some(y) = p_dates[i].get(..4).and_then(|y| y.parse::<i32>().ok()) {
            *mix.entry((sources[i].clone(), y)).or_default() += if p_energy[i].is_finite() {
                p_energy[i]
            } else {
                0.0
            };
        }
    }
    let years: Vec<i32> = energy.keys().copied().collect();
    let table = years
        .iter()
        .map(|y| {
            let mut row = Map::new();
            row.insert("year".into(), json!(y.to_string()));
            row.insert("twh".into(), json!(fixed(energy[y] / 1e6, 2)));
            row.insert(
                "mt".into(),
                json!(fixed(emissions.get(y).copied().unwrap_or(0.0) / 1e6, 2)),
            );
            let total: f64 = names
                .iter()
                .map(|n| mix.get(&(n.clone(), *y)).copied().unwrap_or(0.0))
                .sum();
            let shares: Vec<String> = names
                .iter()
                .map(|n| {
                    let v = mix.get(&(n.clone(), *y)).copied().unwrap_or(0.0);
                    format!(
                        "{n} {}",
                        if total > 0.0 {
                            percent(v / total)
                        } else {
                            "–".into()
                        }
                    )
                })
                .collect();
            row.insert("mix".into(), json!(shares.join(", ")));
            Value::Object(row)
        })
        .collect();
    let categories: Vec<String> = years.iter().map(i32::to_string).collect();
    let charts = vec![
        Chart {
            name: "energy_mix".into(),
            title: "Energy by power source per year, region (P50 of each)".into(),
            x_label: "year".into(),
            y_label: "energy [TWh]".into(),
            kind: Kind::StackedBars {
                categories: categories.clone(),
                series: names
                    .iter()
                    .map(|n| Series {
                        label: n.clone(),
                        values: years
                            .iter()
                            .map(|y| mix.get(&(n.clone(), *y)).copied().unwrap_or(0.0) / 1e6)
                            .collect(),
                    })
                    .collect(),
            },
        },
        Chart {
            name: "emissions".into(),
            title: "Emissions per year, region (P50)".into(),
            x_label: "year".into(),
            y_label: "emissions [MtCO₂]".into(),
            kind: Kind::Lines {
                categories,
                series: vec![Series {
                    label: "emissions (P50)".into(),
                    values: years
                        .iter()
                        .map(|y| emissions.get(y).copied().unwrap_or(0.0) / 1e6)
                        .collect(),
                }],
            },
        },
    ];
    (table, charts)
}

/// Cash-flow columns summed per year, the closing debt at each year's end, and each year's DSCR.
struct Annual {
    years: Vec<i32>,
    sums: BTreeMap<&'static str, Vec<f64>>,
    debt_closing: Vec<f64>,
    dsra: Vec<f64>,
    /// CFADS of what owes service ÷ debt service; NaN in a year without debt service.
    dscr: Vec<f64>,
}

const ANNUAL_COLUMNS: [&str; 17] = [
    "calc_revenue_eur",
    "calc_opex_eur",
    "calc_ebitda_eur",
    "calc_tax_eur",
    "calc_capex_eur",
    "out_cfads_eur",
    "out_debt_service_eur",
    "out_distributions_eur",
    "calc_equity_drawn_eur",
    "calc_debt_drawn_eur",
    "calc_grants_drawn_eur",
    "in_capex_land_eur",
    "in_capex_power_eur",
    "in_capex_shell_eur",
    "in_capex_gpus_eur",
    "in_capex_gpu_refresh_eur",
    "in_capex_gpu_reinvested_eur",
];

fn annual(run: &RunData) -> Annual {
    let t = "cashflows";
    let ends = run.texts(t, "end_date");
    // A period belongs to the year it ends in (its flows fall at its end).
    let year_of_end: Vec<i32> = ends
        .iter()
        .map(|d| {
            let y: i32 = d.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
            // `end_date` is the next period's first day: 2027-01-01 closes 2026.
            if d.get(5..10) == Some("01-01") {
                y - 1
            } else {
                y
            }
        })
        .collect();
    let mut years: Vec<i32> = year_of_end.clone();
    years.dedup();
    let index = |y: i32| years.iter().position(|&v| v == y).unwrap_or(0);
    let mut sums = BTreeMap::new();
    for c in ANNUAL_COLUMNS {
        let values = run.numbers(t, c);
        let mut out = vec![0.0; years.len()];
        for (v, y) in values.iter().zip(&year_of_end) {
            if v.is_finite() {
                out[index(*y)] += v;
            }
        }
        sums.insert(c, out);
    }
    let last = |c: &str| {
        let values = run.numbers(t, c);
        let mut out = vec![0.0; years.len()];
        for (v, y) in values.iter().zip(&year_of_end) {
            out[index(*y)] = *v;
        }
        out
    };
    // The year's DSCR counts the CFADS of what owes service: with phases financed apart, a phase
    // still being built adds CFADS (often negative) but no debt service. A period's served CFADS
    // is its DSCR × its debt service.
    let dscr = run.numbers(t, "out_dscr");
    let service = run.numbers(t, "out_debt_service_eur");
    let mut served = vec![0.0; years.len()];
    let mut owed = vec![0.0; years.len()];
    for ((d, s), y) in dscr.iter().zip(&service).zip(&year_of_end) {
        if d.is_finite() && *s > 0.0 {
            served[index(*y)] += d * s;
            owed[index(*y)] += s;
        }
    }
    let dscr = served
        .iter()
        .zip(&owed)
        .map(|(c, s)| if *s > 0.0 { c / s } else { f64::NAN })
        .collect();
    Annual {
        debt_closing: last("calc_debt_closing_eur"),
        dsra: last("calc_dsra_eur"),
        dscr,
        years,
        sums,
    }
}

fn finance(run: &RunData) -> (Value, Vec<Chart>) {
    let a = annual(run);
    let cats: Vec<String> = a.years.iter().map(i32::to_string).collect();
    let s = |c: &str| a.sums.get(c).cloned().unwrap_or_default();
    let bn = |v: Vec<f64>| v.into_iter().map(|x| x / 1e9).collect::<Vec<f64>>();
    let cfads = s("out_cfads_eur");
    let service = s("out_debt_service_eur");
    let dscr = a.dscr.clone();
    let mut rows = Vec::new();
    for (i, y) in a.years.iter().enumerate() {
        let v = |c: &str| a.sums.get(c).map_or(0.0, |v| v[i]);
        rows.push(json!({
            "year": y.to_string(),
            "revenue": money(v("calc_revenue_eur")),
            "opex": money(v("calc_opex_eur")),
            "ebitda": money(v("calc_ebitda_eur")),
            "tax": money(v("calc_tax_eur")),
            "capex": money(v("calc_capex_eur")),
            "cfads": money(v("out_cfads_eur")),
            "debt_service": money(v("out_debt_service_eur")),
            "dscr": if dscr[i].is_finite() { times(dscr[i]) } else { "–".into() },
            "distributions": money(v("out_distributions_eur")),
            "debt": money(a.debt_closing[i]),
        }));
    }
    let side = run.texts("sources_uses", "side");
    let item = run.texts("sources_uses", "item");
    let eur = run.numbers("sources_uses", "eur");
    let share = run.numbers("sources_uses", "share");
    let su = |which: &str| -> Vec<Value> {
        (0..side.len())
            .filter(|&i| side[i] == which)
            .map(|i| json!({"item": item[i].replace('_', " "), "eur": money(eur[i]), "share": percent(share[i])}))
            .collect()
    };
    let covenant = run.num("dscr_covenant");
    let contracts: Vec<Value> = {
        let t = "contracts";
        let [id, counterparty, start] =
            ["contract", "counterparty", "start"].map(|c| run.texts(t, c));
        let [gpus, price, term, top, prepaid, value, revenue, per_hour] = [
            "gpus",
            "price_eur_per_gpu_hour",
            "term_years",
            "take_or_pay",
            "prepayment",
            "value_eur",
            "revenue_eur",
            "revenue_eur_per_gpu_hour",
        ]
        .map(|c| run.numbers(t, c));
        (0..id.len())
            .map(|i| {
                json!({
                    "id": id[i],
                    "counterparty": counterparty[i],
                    "gpus": count(gpus[i]),
                    "price": euros(price[i], 2),
                    "start": start[i],
                    "term": if term[i].fract() == 0.0 { format!("{} y", term[i]) } else { format!("{} y", fixed(term[i], 1)) },
                    "take_or_pay": percent(top[i]),
                    "prepayment": percent(prepaid[i]),
                    "value": money(value[i]),
                    "revenue": money(revenue[i]),
                    "per_hour": if per_hour[i].is_finite() { euros(per_hour[i], 2) } else { "–".into() },
                })
            })
            .collect()
    };
    // A coverage ratio, or a dash where there is none.
    let ratio = |v: f64| -> String {
        if v.is_finite() {
            times(v)
        } else {
            "–".into()
        }
    };
    let phases: Vec<Value> = {
        let t = "phases";
        let [name, cod, long_stop, maturity, binding] = [
            "phase",
            "cod_date",
            "long_stop_date",
            "maturity_date",
            "debt_sizing_binding",
        ]
        .map(|c| run.texts(t, c));
        let [debt, dscr, p50, breach, late] = [
            "debt_eur",
            "dscr_min",
            "dscr_min_p50",
            "dscr_min_below_covenant_probability",
            "long_stop_breach_probability",
        ]
        .map(|c| run.numbers(t, c));
        (0..name.len())
            .map(|i| {
                json!({
                    "name": name[i],
                    "cod": cod[i],
                    "long_stop": long_stop[i],
                    "maturity": maturity[i],
                    "binding": binding[i],
                    "debt": money(debt[i]),
                    "dscr": ratio(dscr[i]),
                    "dscr_p50": ratio(p50[i]),
                    "breach": percent(breach[i]),
                    "late": percent(late[i]),
                })
            })
            .collect()
    };
    let tranches: Vec<Value> = {
        let t = "tranches";
        let [phase, tranche, binding, first, maturity] = [
            "phase",
            "tranche",
            "sizing_binding",
            "first_draw_date",
            "maturity_date",
        ]
        .map(|c| run.texts(t, c));
        let [rate, tenor, commitment, drawn, dscr] = [
            "rate",
            "tenor_years",
            "commitment_eur",
            "drawn_eur",
            "dscr_min",
        ]
        .map(|c| run.numbers(t, c));
        (0..phase.len())
            .map(|i| {
                json!({
                    "phase": phase[i],
                    "tranche": if tranche[i] == "gpus" { "GPU facility" } else { "infrastructure" },
                    "rate": percent(rate[i]),
                    "tenor": if tranche[i] == "gpus" { format!("{} y per draw", fixed(tenor[i], 0)) } else { format!("{} y", fixed(tenor[i], 0)) },
                    "binding": binding[i].replace('_', " "),
                    "commitment": money(commitment[i]),
                    "drawn": money(drawn[i]),
                    "first": if first[i].is_empty() { "–".to_owned() } else { first[i].clone() },
                    "maturity": if maturity[i].is_empty() { "–".to_owned() } else { maturity[i].clone() },
                    "cover": ratio(dscr[i]),
                })
            })
            .collect()
    };
    let mut references = Vec::new();
    // The DSCR levels the scenario states, as the assumptions table lists them.
    let [subjects, fields, values] =
        ["subject", "field", "value"].map(|c| run.texts("assumptions", c));
    let assumption = |field: &str| {
        (0..fields.len())
            .find(|&i| subjects[i] == "finance" && fields[i] == field)
            .and_then(|i| values[i].parse::<f64>().ok())
    };
    if let Some(t) = assumption("target_dscr") {
        references.push((format!("target DSCR {}", times(t)), t));
    }
    if let Some(l) = assumption("lockup_dscr") {
        references.push((format!("lock-up {}", times(l)), l));
    }
    if let Some(c) = covenant {
        references.push((format!("covenant {}", times(c)), c));
    }
    let capex_series = [
        ("land", "in_capex_land_eur"),
        ("power", "in_capex_power_eur"),
        ("halls", "in_capex_shell_eur"),
        ("GPUs", "in_capex_gpus_eur"),
        ("GPU refresh", "in_capex_gpu_refresh_eur"),
        ("GPUs reinvested", "in_capex_gpu_reinvested_eur"),
    ]
    .iter()
    .map(|(label, c)| Series {
        label: (*label).into(),
        values: bn(s(c)),
    })
    .filter(|s| s.values.iter().any(|v| *v != 0.0))
    .collect();
    let charts = vec![
        Chart {
            name: "capex_by_component".into(),
            title: "Capital expenditure by component per year (base case)".into(),
            x_label: "year".into(),
            y_label: "capex [€bn]".into(),
            kind: Kind::StackedBars {
                categories: cats.clone(),
                series: capex_series,
            },
        },
        Chart {
            name: "drawdown".into(),
            title: "Funding drawn per year: grants, equity and debt (base case)".into(),
            x_label: "year".into(),
            y_label: "funds drawn [€bn]".into(),
            kind: Kind::StackedBars {
                categories: cats.clone(),
                series: vec![
                    Series {
                        label: "grants".into(),
                        values: bn(s("calc_grants_drawn_eur")),
                    },
                    Series {
                        label: "equity".into(),
                        values: bn(s("calc_equity_drawn_eur")),
                    },
                    Series {
                        label: "senior debt".into(),
                        values: bn(s("calc_debt_drawn_eur")),
                    },
                ],
            },
        },
        Chart {
            name: "cfads_dscr".into(),
            title: "CFADS and debt service per year, with the DSCR (base case)".into(),
            x_label: "year".into(),
            y_label: "€bn".into(),
            kind: Kind::BarsAndLine {
                categories: cats.clone(),
                bars: vec![
                    Series {
                        label: "CFADS".into(),
                        values: bn(cfads),
                    },
                    Series {
                        label: "debt service".into(),
                        values: bn(service),
                    },
                ],
                line: Series {
                    label: "DSCR".into(),
                    values: dscr,
                },
                line_axis: "DSCR [×]".into(),
                references,
            },
        },
        Chart {
            name: "debt_balance".into(),
            title: "Senior debt and DSRA at each year's end (base case)".into(),
            x_label: "year".into(),
            y_label: "€bn".into(),
            kind: Kind::Lines {
                categories: cats,
                series: vec![
                    Series {
                        label: "senior debt outstanding".into(),
                        values: bn(a.debt_closing.clone()),
                    },
                    Series {
                        label: "DSRA balance".into(),
                        values: bn(a.dsra.clone()),
                    },
                ],
            },
        },
    ];
    let text = |k: &str| run.text(k).unwrap_or_default().to_owned();
    let value = json!({
        "basis": text("finance_basis"),
        "cod": text("cod_date"),
        "maturity": text("debt_maturity_date"),
        "binding": text("debt_sizing_binding"),
        "debt": run.num("debt_eur").map(money),
        "debt_sculpted": run.num("debt_sculpted_eur").map(money),
        "debt_gearing_cap": run.num("debt_gearing_cap_eur").map(money),
        "equity": run.num("equity_eur").map(money),
        "npv": run.num("npv_eur").map(money),
        "project_irr": run.num("project_irr").map_or("n/a".into(), percent),
        "equity_irr": run.num("equity_irr").map_or("n/a".into(), percent),
        "dscr_min": run.num("dscr_min").map_or("n/a".into(), times),
        "dscr_avg": run.num("dscr_avg").map_or("n/a".into(), times),
        "llcr_min": run.num("llcr_min").map_or("n/a".into(), times),
        "covenant": covenant.map(times),
        "breach_probability": run.num("dscr_min_below_covenant_probability").map(percent),
        "lcoc": run.num("lcoc_eur_per_gpu_hour").map(|v| format!("{}/GPU-h", euros(v, 2))),
        "uses": su("uses"),
        "sources": su("sources"),
        "contracts": contracts,
        "reference_price": run.num("reference_gpu_hour_price_eur").map(|v| format!("{}/GPU-h", euros(v, 2))),
        "gap_npv": run.num("viability_gap_npv_eur").map(money),
        "gap_equity": run.num("viability_gap_equity_eur").map(money),
        "hurdle": assumption("equity_hurdle_rate").map(percent),
        "sovereign_costs": run
            .summary
            .iter()
            .filter_map(|(k, v)| {
                let tier = k.strip_prefix("cost_eur_per_sovereign_gpu_hour_")?;
                Some(json!({"tier": tier, "cost": v.as_f64().map_or("–".into(), |c| format!("{}/GPU-h", euros(c, 2)))}))
            })
            .collect::<Vec<Value>>(),
        "phases": phases,
        "tranches": tranches,
        "phasing": text("phasing"),
        "contracted_share": run.num("revenue_contracted_share").map(percent),
        "long_stop_probability": run.num("long_stop_breach_probability").map(percent),
        "annual": rows,
    });
    (value, charts)
}

fn risk(run: &RunData) -> Vec<Chart> {
    let mut charts = Vec::new();
    let rows = region_rows(run, "timeseries");
    let dates = run.texts("timeseries", "date");
    let x: Vec<f64> = rows.iter().filter_map(|&i| year_of(&dates[i])).collect();
    for (column, name, title, unit, scale) in [
        (
            "it_online_mw",
            "fan_it_online",
            "IT capacity online, region: P10 to P90 over replications",
            "IT online [GW]",
            1e-3,
        ),
        (
            "gpus_operational",
            "fan_gpus",
            "GPUs working, region: P10 to P90 over replications",
            "GPUs working [thousands]",
            1e-3,
        ),
    ] {
        let pick = |q: &str| {
            let v = run.numbers("timeseries", &format!("{column}_{q}"));
            rows.iter().map(|&i| v[i] * scale).collect::<Vec<f64>>()
        };
        if x.len() == rows.len() && !x.is_empty() {
            charts.push(Chart {
                name: name.into(),
                title: title.into(),
                x_label: "year".into(),
                y_label: unit.into(),
                kind: Kind::Fan {
                    x: x.clone(),
                    p10: pick("p10"),
                    p50: pick("p50"),
                    p90: pick("p90"),
                },
            });
        }
    }
    for (column, name, title, unit, scale) in [
        (
            "npv_eur",
            "histogram_npv",
            "NPV over replications",
            "NPV [€bn]",
            1e-9,
        ),
        (
            "equity_irr",
            "histogram_equity_irr",
            "Equity IRR over replications",
            "equity IRR [%]",
            100.0,
        ),
    ] {
        let values: Vec<f64> = run
            .numbers("replications", column)
            .into_iter()
            .filter(|v| v.is_finite())
            .map(|v| v * scale)
            .collect();
        if values.is_empty() {
            continue;
        }
        let marks = ["p10", "p50", "p90"]
            .iter()
            .filter_map(|q| {
                let v = run.num(&format!("{column}_{q}"))?;
                Some((
                    format!("{} {}", q.to_uppercase(), headline_format(column)(v)),
                    v * scale,
                ))
            })
            .collect();
        charts.push(Chart {
            name: name.into(),
            title: title.into(),
            x_label: unit.into(),
            y_label: "replications".into(),
            kind: Kind::Histogram {
                values,
                bins: 30,
                marks,
            },
        });
    }
    charts
}

/// The cases table (formatted) and the tornado of equity IRR, from the `cases` and `tornado` tables.
fn sensitivities(run: &RunData) -> (Vec<Value>, Option<Chart>) {
    let c = "cases";
    let [case, description, changes] = ["case", "description", "changes"].map(|k| run.texts(c, k));
    let [npv, equity, dscr, llcr] =
        ["npv_eur", "equity_irr", "dscr_min", "llcr_min"].map(|k| run.numbers(c, k));
    let first_gw = run.texts(c, "first_gw_date");
    let breached = run.flags(c, "covenant_breached");
    let shown = |v: f64, f: fn(f64) -> String| {
        if v.is_finite() {
            f(v)
        } else {
            "—".to_owned()
        }
    };
    let cases = (0..run.rows(c))
        .map(|i| {
            json!({
                "case": case[i],
                "description": description[i],
                "changes": changes[i],
                "npv": shown(npv[i], money),
                "equity_irr": shown(equity[i], percent),
                "dscr_min": shown(dscr[i], times),
                "llcr_min": shown(llcr[i], times),
                "first_gw": month(Some(first_gw[i].as_str()).filter(|d| !d.is_empty())),
                "covenant_breached": if breached.get(i).copied().unwrap_or(false) { "yes" } else { "no" },
            })
        })
        .collect();
    let t = "tornado";
    let [input, low, high] = ["input", "low_change", "high_change"].map(|k| run.texts(t, k));
    let [base, at_low, at_high] =
        ["equity_irr_base", "equity_irr_low", "equity_irr_high"].map(|k| run.numbers(t, k));
    let swing = run.numbers(t, "equity_irr_swing");
    let mut order: Vec<usize> = (0..run.rows(t)).collect();
    // Largest swing first; undefined swings last (the table is ranked by this output already).
    order.sort_by(|a, b| {
        let key = |i: usize| {
            if swing[i].is_finite() {
                swing[i]
            } else {
                f64::NEG_INFINITY
            }
        };
        key(*b).total_cmp(&key(*a))
    });
    let chart = base.first().filter(|b| b.is_finite()).map(|b| Chart {
        name: "tornado_equity_irr".into(),
        title: "Equity IRR: each input moved alone, debt sized on the base case".into(),
        x_label: "equity IRR [%]".into(),
        y_label: String::new(),
        kind: Kind::Tornado {
            base: b * 100.0,
            bars: order
                .iter()
                .map(|&i| TornadoBar {
                    label: format!("{} {} / {}", input[i], low[i], high[i]),
                    low: at_low[i] * 100.0,
                    high: at_high[i] * 100.0,
                })
                .collect(),
        },
    });
    (cases, chart)
}

/// How far to trust the run: its inputs by origin, and the published figures sovsim reproduces
/// with the catalog the run used (`summary.json` and the `validation` table).
fn trust(run: &RunData) -> Value {
    let n = |k: &str| run.num(k).map(count);
    let t = "validation";
    let [figure, unit, basis] = ["figure", "unit", "basis"].map(|c| run.texts(t, c));
    let [low, high, sovsim, difference, tolerance] = [
        "published_low",
        "published_high",
        "sovsim",
        "difference",
        "tolerance",
    ]
    .map(|c| run.numbers(t, c));
    let passes = run.flags(t, "passes");
    let cases: Vec<Value> = (0..run.rows(t))
        .map(|i| {
            let published = if low[i] == high[i] {
                significant(low[i])
            } else {
                format!("{}–{}", significant(low[i]), significant(high[i]))
            };
            json!({
                "figure": format!("{} [{}]", figure[i], unit[i]),
                "published": published,
                "sovsim": significant(sovsim[i]),
                "difference": format!("{}{}", if difference[i] >= 0.0 { "+" } else { "" }, percent(difference[i])),
                "tolerance": format!("±{}", percent(tolerance[i])),
                "pass": if passes[i] { "yes" } else { "NO" },
                "basis": basis[i],
            })
        })
        .collect();
    json!({
        "stated": n("inputs_stated"),
        "stated_estimates": n("inputs_stated_estimates"),
        "stated_unsourced": n("inputs_stated_unsourced"),
        "catalog": n("inputs_catalog"),
        "catalog_estimates": n("inputs_catalog_estimates"),
        "estimated_share": run.num("inputs_estimated_share").map(percent),
        "validation_cases": n("validation_cases"),
        "validation_passed": n("validation_passed"),
        "cases": cases,
    })
}

/// The assumptions, one row per subject and source: a catalog row's figures share its source.
fn assumptions(run: &RunData) -> Vec<Value> {
    let t = "assumptions";
    let [subject, field, value, unit, source, date] =
        ["subject", "field", "value", "unit", "source", "source_date"].map(|c| run.texts(t, c));
    let estimate = run.flags(t, "estimate");
    let mut groups: Vec<(String, String, String, Vec<String>)> = Vec::new();
    for i in 0..run.rows(t) {
        let unit = match unit[i].as_str() {
            "-" | "" => String::new(),
            u => format!(" {u}"),
        };
        let mark = if estimate[i] { " (ESTIMATE)" } else { "" };
        let figure = format!("{} = {}{unit}{mark}", field[i], value[i]);
        let same = groups
            .last()
            .is_some_and(|(s, src, d, _)| *s == subject[i] && *src == source[i] && *d == date[i]);
        if same {
            if let Some(g) = groups.last_mut() {
                g.3.push(figure);
            }
        } else {
            groups.push((
                subject[i].clone(),
                source[i].clone(),
                date[i].clone(),
                vec![figure],
            ));
        }
    }
    groups
        .into_iter()
        .map(|(subject, source, date, figures)| {
            json!({"subject": subject, "figures": figures.join("; "), "source": source, "date": date})
        })
        .collect()
}

fn checks(run: &RunData) -> Vec<Value> {
    let t = "finance_checks";
    let [check, meaning] = ["check", "meaning"].map(|c| run.texts(t, c));
    let passed = run.flags(t, "base_case_passed");
    let failed = run.numbers(t, "replications_failed");
    (0..run.rows(t))
        .map(|i| {
            json!({
                "check": check[i], "meaning": meaning[i],
                "base_case": if passed[i] { "pass" } else { "FAIL" },
                "replications_failed": count(failed[i]),
            })
        })
        .collect()
}
