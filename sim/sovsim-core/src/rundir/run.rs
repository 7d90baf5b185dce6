//! The run directory of `sovsim run`, built from its results: `summary.json` and every table.

use serde_json::{Map, Value};

use super::table::{Table, Values, quantile_columns, tidy};
use super::{Contents, dispatch, finance, model, sensitivity};
use crate::assumptions::Assumption;
use crate::engine::aggregate::{
    Aggregate, DelaySummary, SITE_SERIES, SKU_SERIES, SOURCE_SERIES, SiteSeries,
};
use crate::engine::buildout::{Event, Replication, WaitCause};
use crate::engine::replicate::Percentiles;
use crate::engine::time::SimTime;
use crate::model::{Scenario, Sharing, TierId};
use crate::sovereignty::{Eligibility, SealAssessment};
use crate::study::defence::{DEFENCE_FIGURES, DefenceSummary};
use crate::study::flywheel::{FLYWHEEL_FIGURES, FlywheelSummary};
use crate::study::run::RunResults;
use crate::units::Date;
use crate::validation::{Basis, Checked, Published, Validation};

/// Adds the keys of what the reinvestment rules did.
fn flywheel_summary(m: &mut Map<String, Value>, f: &FlywheelSummary) {
    let [reinvested, gpus, unspent, gain] = f.totals();
    dispatch::put_q(m, "reinvested_eur", Some(reinvested));
    dispatch::put_q(m, "reinvested_gpus", Some(gpus));
    dispatch::put_q(m, "reinvestment_unspent_eur", Some(unspent));
    dispatch::put_q(m, "flywheel_revenue_gain_eur", Some(gain));
}

fn defence_summary(m: &mut Map<String, Value>, scenario: &Scenario, d: &DefenceSummary) {
    let Some(run) = scenario.defences.first().map(|f| f.sharing) else {
        return;
    };
    dispatch::put_q(m, "defence_screening_gpu_hours", Some(d.total(run, 5)));
    dispatch::put_q(
        m,
        "defence_screening_eur",
        d.priced().then(|| d.total(run, 6)),
    );
    dispatch::put_q(
        m,
        "defence_tokens_leaked_per_provider",
        Some(d.total(Sharing::PerProvider, 4)),
    );
    dispatch::put_q(
        m,
        "defence_tokens_leaked_shared",
        Some(d.total(Sharing::Shared, 4)),
    );
}

/// The `defence` table: per screening proxy, tier and way of running it, cost and leakage.
fn defence(scenario: &Scenario, d: &DefenceSummary) -> Table {
    let rows: Vec<((usize, TierId), Sharing, usize)> = crate::study::defence::rows(scenario)
        .into_iter()
        .enumerate()
        .flat_map(|(r, row)| Sharing::ALL.map(|s| (row, s, r)))
        .collect();
    let defence = |f: usize| &scenario.defences[f];
    let mut table = Table::new()
        .column(
            "defence",
            Values::Text(
                rows.iter()
                    .map(|((f, _), _, _)| defence(*f).id.clone())
                    .collect(),
            ),
        )
        .column(
            "tier",
            Values::Text(
                rows.iter()
                    .map(|((_, t), _, _)| scenario.tiers[t.index()].id.clone())
                    .collect(),
            ),
        )
        .column(
            "sharing",
            Values::Text(rows.iter().map(|(_, s, _)| s.name().to_owned()).collect()),
        )
        .column(
            "dispatched",
            Values::Bool(
                rows.iter()
                    .map(|((f, _), s, _)| defence(*f).sharing == *s)
                    .collect(),
            ),
        )
        .column(
            "detection",
            Values::F64(
                rows.iter()
                    .map(|((f, _), s, _)| defence(*f).detection(*s))
                    .collect(),
            ),
        )
        .column(
            "latency_added_ms",
            Values::F64(
                rows.iter()
                    .map(|((f, _), s, _)| defence(*f).latency_added_ms(*s))
                    .collect(),
            ),
        );
    for (k, (name, _, _)) in DEFENCE_FIGURES.iter().enumerate() {
        let cells: Vec<[f64; 3]> = rows
            .iter()
            .map(|(_, s, r)| {
                let q = d.cell(*r, *s, k);
                if k == 6 && !d.priced() {
                    [f64::NAN; 3]
                } else {
                    q
                }
            })
            .collect();
        table = quantile_columns(table, name, &cells);
    }
    table
}

/// The `flywheel` table: per year, GPUs and revenue with and without reinvestment.
fn flywheel(f: &FlywheelSummary) -> Table {
    let years = f.years();
    let mut table = Table::new().column("year", Values::U64((0..years as u64).collect()));
    for (k, (name, _, _)) in FLYWHEEL_FIGURES.iter().enumerate() {
        let cells: Vec<[f64; 3]> = (0..years).map(|y| f.cell(k, y)).collect();
        table = quantile_columns(table, name, &cells);
    }
    table
}

/// Every file of a run's directory but the manifest and the report.
pub fn contents(r: &RunResults) -> Contents {
    let scenario = &r.scenario;
    let a = &r.aggregate;
    let summary = summary_json(r);
    let mut tables = vec![
        ("timeseries", timeseries(scenario, a)),
        ("timeseries_power", power_series(scenario, a)),
        ("timeseries_gpus", gpu_series(scenario, a)),
        ("milestones", milestones(scenario, a)),
        ("delays", delays(scenario, a)),
        (
            "events",
            events(
                scenario,
                r.representative.index,
                &r.representative.replication,
            ),
        ),
        ("sovereignty", sovereignty_table(scenario, &r.eligibility)),
        ("seal", seal_table(scenario, &r.seals)),
        ("dispatch", dispatch::monthly(scenario, &r.dispatch)),
        ("utilisation", dispatch::utilisation(scenario, &r.dispatch)),
        ("demand", dispatch::demand(scenario, &r.dispatch)),
        ("sold", dispatch::sold(scenario, &r.dispatch)),
        (
            "training_runs",
            dispatch::training_runs(scenario, &r.representative.outcomes),
        ),
    ];
    tables.push(("forgone", dispatch::forgone(scenario, &r.forgone)));
    if let Some(p) = &r.portability {
        tables.push(("portability", dispatch::portability(&r.dispatch, p)));
    }
    if !r.flywheel.is_empty() {
        tables.push(("flywheel", flywheel(&r.flywheel)));
    }
    if !r.defence.is_empty() {
        tables.push(("defence", defence(scenario, &r.defence)));
    }
    if let Some(f) = &r.finance {
        tables.push(("cashflows", finance::cashflows(scenario, &f.base)));
        tables.push(("sources_uses", finance::sources_uses(&f.base)));
        tables.push(("phases", finance::phases(scenario, &f.base, &f.summary)));
        tables.push(("tranches", finance::tranches(scenario, &f.base)));
        tables.push(("contracts", finance::contracts(scenario, &f.base)));
        tables.push(("finance_checks", finance::checks(&f.base, &f.summary)));
        tables.push(("replications", finance::replications(&f.summary)));
        let (scalars, series) = model::tables(scenario, &f.base);
        tables.push(("model_scalars", scalars));
        tables.push(("model_series", series));
    }
    if let Some(i) = &r.investor {
        tables.push((
            "tornado",
            sensitivity::tornado_table(&i.tornado, crate::study::sensitivity::Output::EquityIrr),
        ));
        tables.push(("cases", sensitivity::cases_table(i)));
    }
    tables.push(("assumptions", assumptions(&r.assumptions)));
    if let Ok(v) = &r.validation {
        tables.push(("validation", validation_table(v)));
    }
    Contents {
        json: vec![("summary.json", super::json_text(&summary))],
        tables,
    }
}

/// The keys of a run's `summary.json`: what a sweep keeps of each case.
pub fn summary_json(r: &RunResults) -> Map<String, Value> {
    let scenario = &r.scenario;
    let mut summary = summary(scenario, &r.aggregate, r.representative.index);
    dispatch::summary(&mut summary, scenario, &r.dispatch);
    dispatch::forgone_summary(&mut summary, &r.forgone);
    if let Some(p) = &r.portability {
        dispatch::portability_summary(&mut summary, p);
    }
    if !r.flywheel.is_empty() {
        flywheel_summary(&mut summary, &r.flywheel);
    }
    if !r.defence.is_empty() {
        defence_summary(&mut summary, scenario, &r.defence);
    }
    if let Some(f) = &r.finance {
        finance::summary(&mut summary, scenario, &f.base, &f.summary);
        finance::viability(&mut summary, scenario, &f.viability);
    }
    summary.insert("case".into(), r.case.as_deref().unwrap_or("base").into());
    trust(&mut summary, r);
    seal_summary(&mut summary, scenario, &r.seals);
    summary
}

fn date_of(t: Option<SimTime>, start: Date) -> Option<String> {
    t.map(|t| t.date(start).to_string())
}

pub(crate) fn boundary_date(month: usize, start: Date) -> String {
    SimTime::ZERO
        .after_months(month as f64)
        .date(start)
        .to_string()
}

fn summary(scenario: &Scenario, a: &Aggregate, representative: u64) -> Map<String, Value> {
    let start = scenario.meta.start_date;
    let own = scenario.clusters.iter().filter(|c| c.planned());
    let mut m = Map::new();
    let mut put = |k: String, v: Value| {
        m.insert(k, v);
    };
    put("scenario_name".into(), scenario.meta.name.clone().into());
    put("runs".into(), a.runs().into());
    put("seed".into(), scenario.meta.seed.into());
    put("representative_replication".into(), representative.into());
    put("horizon_start_date".into(), start.to_string().into());
    put(
        "horizon_end_date".into(),
        boundary_date(a.months(), start).into(),
    );
    put(
        "planned_gpus".into(),
        own.clone().map(|c| c.gpus).sum::<u64>().into(),
    );
    put(
        "planned_it_capacity_mw".into(),
        tidy(own.map(|c| c.it_power().0).sum()).into(),
    );
    let triples: [(&str, [f64; 3]); 5] = [
        (
            "it_capacity_mw_end",
            a.region_at_end(SiteSeries::IT_ONLINE_MW),
        ),
        (
            "gpus_operational_end",
            a.region_at_end(SiteSeries::GPUS_OPERATIONAL),
        ),
        (
            "gpus_installed_end",
            a.region_at_end(SiteSeries::GPUS_INSTALLED),
        ),
        ("energy_twh_total", a.energy_twh_total()),
        ("emissions_mtco2_total", a.emissions_mtco2_total()),
    ];
    for (name, q) in triples {
        for (label, v) in ["p10", "p50", "p90"].iter().zip(q) {
            put(format!("{name}_{label}"), tidy(v).into());
        }
    }
    let milestones = a.milestones();
    for (key, name) in [
        ("date_first_power", "first_power"),
        ("date_first_gpu", "first_gpu"),
        ("date_first_gw", "gw_1"),
        ("date_full_capacity", "full_capacity"),
    ] {
        let p = milestones
            .iter()
            .find(|m| m.site.is_none() && m.name == name)
            .map(|m| m.percentiles);
        for (label, t) in [
            ("p10", p.and_then(|p| p.p10)),
            ("p50", p.and_then(|p| p.p50)),
            ("p90", p.and_then(|p| p.p90)),
        ] {
            put(
                format!("{key}_{label}"),
                date_of(t, start).map_or(Value::Null, Value::from),
            );
        }
    }
    m
}

/// Rows: every month boundary × every site, then the region.
fn places(scenario: &Scenario, a: &Aggregate) -> Vec<(usize, usize)> {
    (0..=a.months())
        .flat_map(|m| (0..=scenario.sites.len()).map(move |p| (m, p)))
        .collect()
}

fn place_name(scenario: &Scenario, place: usize) -> String {
    scenario
        .sites
        .get(place)
        .map_or_else(|| "region".to_owned(), |s| s.id.clone())
}

fn keyed(scenario: &Scenario, rows: &[(usize, usize)]) -> Table {
    let start = scenario.meta.start_date;
    Table::new()
        .column(
            "month",
            Values::U64(rows.iter().map(|r| r.0 as u64).collect()),
        )
        .column(
            "date",
            Values::Text(rows.iter().map(|r| boundary_date(r.0, start)).collect()),
        )
        .column(
            "site",
            Values::Text(rows.iter().map(|r| place_name(scenario, r.1)).collect()),
        )
}

fn timeseries(scenario: &Scenario, a: &Aggregate) -> Table {
    let rows = places(scenario, a);
    let mut table = keyed(scenario, &rows);
    for (v, (name, _)) in SITE_SERIES.iter().enumerate() {
        let values: Vec<[f64; 3]> = rows.iter().map(|&(m, p)| a.site_series(m, p, v)).collect();
        table = quantile_columns(table, name, &values);
    }
    table
}

/// Rows of a per-site series broken down by `labels` (sources or SKUs).
fn broken_down(
    scenario: &Scenario,
    a: &Aggregate,
    key: &str,
    labels: &[String],
    series: &[(&str, &str)],
    value: impl Fn(usize, usize, usize, usize) -> [f64; 3],
) -> Table {
    let rows: Vec<(usize, usize, usize)> = places(scenario, a)
        .into_iter()
        .flat_map(|(m, p)| (0..labels.len()).map(move |l| (m, p, l)))
        .collect();
    let pairs: Vec<(usize, usize)> = rows.iter().map(|r| (r.0, r.1)).collect();
    let mut table = keyed(scenario, &pairs).column(
        key,
        Values::Text(rows.iter().map(|r| labels[r.2].clone()).collect()),
    );
    for (v, (name, _)) in series.iter().enumerate() {
        let values: Vec<[f64; 3]> = rows.iter().map(|&(m, p, l)| value(m, p, l, v)).collect();
        table = quantile_columns(table, name, &values);
    }
    table
}

fn power_series(scenario: &Scenario, a: &Aggregate) -> Table {
    broken_down(
        scenario,
        a,
        "source",
        &a.layout.sources,
        &SOURCE_SERIES,
        |m, p, l, v| a.source_series(m, p, l, v),
    )
}

fn gpu_series(scenario: &Scenario, a: &Aggregate) -> Table {
    broken_down(
        scenario,
        a,
        "sku",
        &a.layout.skus,
        &SKU_SERIES,
        |m, p, l, v| a.sku_series(m, p, l, v),
    )
}

fn milestones(scenario: &Scenario, a: &Aggregate) -> Table {
    let start = scenario.meta.start_date;
    let all = a.milestones();
    let dates = |f: fn(&Percentiles) -> Option<SimTime>| {
        Values::OptText(
            all.iter()
                .map(|m| date_of(f(&m.percentiles), start))
                .collect(),
        )
    };
    Table::new()
        .column(
            "site",
            Values::Text(
                all.iter()
                    .map(|m| place_name(scenario, m.site.unwrap_or(usize::MAX)))
                    .collect(),
            ),
        )
        .column(
            "milestone",
            Values::Text(all.iter().map(|m| m.name.clone()).collect()),
        )
        .column("date_p10", dates(|p| p.p10))
        .column("date_p50", dates(|p| p.p50))
        .column("date_p90", dates(|p| p.p90))
}

/// How far to trust the run: how many of its inputs are estimates, and how many published figures
/// sovsim reproduces with the catalog it used.
fn trust(summary: &mut Map<String, Value>, r: &RunResults) {
    let p = &r.provenance;
    let mut put = |k: &str, v: Value| {
        summary.insert(k.into(), v);
    };
    put("inputs_stated", p.stated.into());
    put("inputs_stated_estimates", p.stated_estimates.into());
    put("inputs_stated_unsourced", p.stated_unsourced.into());
    put("inputs_catalog", p.catalog.into());
    put("inputs_catalog_estimates", p.catalog_estimates.into());
    put(
        "inputs_estimated_share",
        p.estimated_share().map(tidy).into(),
    );
    if let Ok(v) = &r.validation {
        put("validation_cases", v.cases.len().into());
        put(
            "validation_passed",
            v.cases.iter().filter(|c| c.passes()).count().into(),
        );
    }
}

/// The `validation` table: one published figure sovsim reproduces, checked.
fn validation_table(v: &Validation) -> Table {
    let c = &v.cases;
    let text = |f: fn(&Checked) -> String| Values::Text(c.iter().map(f).collect());
    let num = |f: fn(&Checked) -> f64| Values::F64(c.iter().map(|x| tidy(f(x))).collect());
    Table::new()
        .column("case", text(|x| x.id.to_owned()))
        .column("figure", text(|x| x.figure.to_owned()))
        .column("unit", text(|x| x.unit.to_owned()))
        .column(
            "published_low",
            num(|x| match x.published {
                Published::Value(v) | Published::Range(v, _) => v,
            }),
        )
        .column(
            "published_high",
            num(|x| match x.published {
                Published::Value(v) | Published::Range(_, v) => v,
            }),
        )
        .column("sovsim", num(|x| x.sovsim))
        .column("difference", num(Checked::difference))
        .column("tolerance", num(|x| x.tolerance))
        .column(
            "passes",
            Values::Bool(c.iter().map(Checked::passes).collect()),
        )
        .column(
            "basis",
            text(|x| {
                match x.basis {
                    Basis::Independent => "independent",
                    Basis::Calibrated => "calibrated",
                }
                .to_owned()
            }),
        )
        .column("source", text(|x| x.source.to_owned()))
}

/// The `assumptions` table.
fn assumptions(rows: &[Assumption]) -> Table {
    let text =
        |f: fn(&Assumption) -> &String| Values::Text(rows.iter().map(|r| f(r).clone()).collect());
    Table::new()
        .column("subject", text(|r| &r.subject))
        .column("field", text(|r| &r.field))
        .column("value", text(|r| &r.value))
        .column("unit", text(|r| &r.unit))
        .column("source", text(|r| &r.source))
        .column("source_date", text(|r| &r.source_date))
        .column(
            "estimate",
            Values::Bool(rows.iter().map(|r| r.estimate).collect()),
        )
}

fn cause_name(d: &DelaySummary) -> &'static str {
    d.cause.map_or("total", WaitCause::name)
}

fn delays(scenario: &Scenario, a: &Aggregate) -> Table {
    let all = a.delays();
    let table = Table::new()
        .column(
            "site",
            Values::Text(all.iter().map(|d| place_name(scenario, d.site)).collect()),
        )
        .column(
            "cause",
            Values::Text(all.iter().map(|d| cause_name(d).to_owned()).collect()),
        )
        .column(
            "months_mean",
            Values::F64(all.iter().map(|d| tidy(d.mean_months)).collect()),
        );
    let q: Vec<[f64; 3]> = all.iter().map(|d| d.quantiles_months).collect();
    quantile_columns(table, "months", &q)
}

/// The entity an event concerns, by kind, scenario id and site.
fn entity(scenario: &Scenario, event: &Event) -> (&'static str, String, usize) {
    if let Some(c) = event.cluster() {
        let cluster = &scenario.clusters[c.index()];
        return ("cluster", cluster.id.clone(), cluster.site.index());
    }
    match *event {
        Event::GridConnected { connection } => {
            let g = &scenario.grid_connections[connection.index()];
            ("grid_connection", g.id.clone(), g.site.index())
        }
        Event::PowerCommissioned { asset }
        | Event::PowerOutageStarted { asset }
        | Event::PowerRestored { asset } => {
            let a = &scenario.power_assets[asset.index()];
            ("power_asset", a.id.clone(), a.site.index())
        }
        Event::ShellPhaseCompleted { shell, phase } => {
            let h = &scenario.shells[shell.index()];
            (
                "shell_phase",
                format!("{}#{}", h.id, phase + 1),
                h.site.index(),
            )
        }
        Event::LandAcquired { site } | Event::PermitGranted { site } => (
            "site",
            scenario.sites[site.index()].id.clone(),
            site.index(),
        ),
        // GPU events were answered above.
        _ => ("cluster", String::new(), 0),
    }
}

fn events(scenario: &Scenario, replication: u64, r: &Replication) -> Table {
    let start = scenario.meta.start_date;
    let ev = &r.events;
    let entities: Vec<(&str, String, usize)> =
        ev.iter().map(|(_, e)| entity(scenario, e)).collect();
    Table::new()
        .column("replication", Values::U64(vec![replication; ev.len()]))
        .column(
            "time_h",
            Values::U64(ev.iter().map(|(t, _)| t.0.max(0) as u64).collect()),
        )
        .column(
            "date",
            Values::Text(ev.iter().map(|(t, _)| t.date(start).to_string()).collect()),
        )
        .column(
            "event",
            Values::Text(ev.iter().map(|(_, e)| e.name().to_owned()).collect()),
        )
        .column(
            "site",
            Values::Text(
                entities
                    .iter()
                    .map(|e| scenario.sites[e.2].id.clone())
                    .collect(),
            ),
        )
        .column(
            "entity_kind",
            Values::Text(entities.iter().map(|e| e.0.to_owned()).collect()),
        )
        .column(
            "entity",
            Values::Text(entities.iter().map(|e| e.1.clone()).collect()),
        )
        .column(
            "gpus",
            Values::U64(ev.iter().map(|(_, e)| e.gpus().unwrap_or(0)).collect()),
        )
        .column(
            "gpu_hours",
            Values::F64(
                ev.iter()
                    .map(|(_, e)| match *e {
                        Event::GpuHoursLost { gpu_hours, .. } => gpu_hours,
                        _ => 0.0,
                    })
                    .collect(),
            ),
        )
}

/// The IT-power-weighted mean and the lowest sovereignty score of the planned clusters.
fn seal_summary(m: &mut Map<String, Value>, scenario: &Scenario, seals: &[SealAssessment]) {
    let planned: Vec<(f64, f64)> = seals
        .iter()
        .map(|a| (&scenario.clusters[a.cluster.index()], a.score_pct))
        .filter(|(c, _)| c.planned() && c.gpus > 0)
        .map(|(c, s)| (c.it_power().0, s))
        .collect();
    let power: f64 = planned.iter().map(|(p, _)| p).sum();
    let mean = (power > 0.0).then(|| planned.iter().map(|(p, s)| p * s).sum::<f64>() / power);
    let min = planned.iter().map(|(_, s)| *s).reduce(f64::min);
    m.insert("sovereignty_score_pct_mean".into(), mean.into());
    m.insert("sovereignty_score_pct_min".into(), min.into());
}

/// One row per cluster and framework objective: the SEAL reached, why the next level is not, and
/// the cluster's weighted score.
fn seal_table(scenario: &Scenario, seals: &[SealAssessment]) -> Table {
    let objectives = &scenario.framework.objectives;
    let rows: Vec<(&SealAssessment, usize)> = seals
        .iter()
        .flat_map(|a| (0..objectives.len()).map(move |o| (a, o)))
        .collect();
    let cluster = |a: &SealAssessment| &scenario.clusters[a.cluster.index()];
    let text = |f: &dyn Fn(&SealAssessment, usize) -> String| {
        Values::Text(rows.iter().map(|(a, o)| f(a, *o)).collect())
    };
    Table::new()
        .column("cluster", text(&|a, _| cluster(a).id.clone()))
        .column(
            "operator",
            text(&|a, _| scenario.operators[cluster(a).operator.index()].id.clone()),
        )
        .column(
            "site",
            text(&|a, _| scenario.sites[cluster(a).site.index()].id.clone()),
        )
        .column("objective", text(&|_, o| objectives[o].id.clone()))
        .column("objective_name", text(&|_, o| objectives[o].name.clone()))
        .column(
            "weight_pct",
            Values::F64(
                rows.iter()
                    .map(|(_, o)| objectives[*o].weight_pct)
                    .collect(),
            ),
        )
        .column(
            "seal",
            Values::U64(rows.iter().map(|(a, o)| u64::from(a.seals[*o])).collect()),
        )
        .column(
            "next_level_fails_on",
            text(&|a, o| a.blocking[o].join("; ")),
        )
        .column(
            "score_pct",
            Values::F64(rows.iter().map(|(a, _)| a.score_pct).collect()),
        )
}

/// One row per cluster and tier: whether the cluster qualifies and the clauses it fails.
fn sovereignty_table(scenario: &Scenario, all: &[Eligibility]) -> Table {
    let rows: Vec<(&Eligibility, usize)> = all
        .iter()
        .flat_map(|e| (0..scenario.tiers.len()).map(move |t| (e, t)))
        .collect();
    let cluster = |e: &Eligibility| &scenario.clusters[e.cluster.index()];
    Table::new()
        .column(
            "cluster",
            Values::Text(rows.iter().map(|(e, _)| cluster(e).id.clone()).collect()),
        )
        .column(
            "operator",
            Values::Text(
                rows.iter()
                    .map(|(e, _)| scenario.operators[cluster(e).operator.index()].id.clone())
                    .collect(),
            ),
        )
        .column(
            "site",
            Values::Text(
                rows.iter()
                    .map(|(e, _)| scenario.sites[cluster(e).site.index()].id.clone())
                    .collect(),
            ),
        )
        .column(
            "tier",
            Values::Text(
                rows.iter()
                    .map(|(_, t)| scenario.tiers[*t].id.clone())
                    .collect(),
            ),
        )
        .column(
            "qualifies",
            Values::Bool(rows.iter().map(|(e, t)| e.qualifies[*t]).collect()),
        )
        .column(
            "failed_clauses",
            Values::Text(
                rows.iter()
                    .map(|(e, t)| {
                        let reasons: Vec<&str> = e
                            .failures
                            .iter()
                            .filter(|f| f.tier == *t)
                            .map(|f| f.reason.as_str())
                            .collect();
                        reasons.join("; ")
                    })
                    .collect(),
            ),
        )
}
