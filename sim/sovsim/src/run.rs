//! `sovsim run`: Monte Carlo replications of the buildout, written as a run directory (summary,
//! monthly series with P10/P50/P90, milestones, delays by cause, the event log of a representative
//! replication) and told in a short human summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{Map, Value};
use sovsim_core::catalog::Catalog;
use sovsim_core::dispatch::summary::DispatchSummary;
use sovsim_core::dispatch::{Outcome, Setup};
use sovsim_core::engine::aggregate::{
    Aggregate, DelaySummary, SITE_SERIES, SKU_SERIES, SOURCE_SERIES,
};
use sovsim_core::engine::buildout::{self, Event, Replication, WaitCause};
use sovsim_core::engine::replicate::{Percentiles, replicate};
use sovsim_core::engine::time::SimTime;
use sovsim_core::finance::Metrics;
use sovsim_core::finance::summary::FinanceSummary;
use sovsim_core::model::Scenario;
use sovsim_core::scenario::Loaded;
use sovsim_core::sovereignty::{self, Eligibility};
use sovsim_core::units::Date;
use sovsim_report::{RunDir, Table, Values};

use sovsim_core::sensitivity::{CaseSpec, Evaluator, Output};

use crate::progress::Progress;
use crate::{Failure, dispatch_out, finance_out, manifest, sensitivity_out};

/// Every key of `summary.json` written by `sovsim run`: name (`{q}` stands for `p10`, `p50` and
/// `p90`), unit, meaning. `sovsim outputs` and `reports/README.md` list this table; a test keeps the
/// two equal, and another checks that `summary.json` has exactly these keys.
pub(crate) const SUMMARY_KEYS: &[(&str, &str, &str)] = &[
    ("scenario_name", "—", "the scenario's `name`"),
    (
        "case",
        "—",
        "`base`, or the case simulated with `--case` (its inputs and overrides applied; debt sized on the base case)",
    ),
    ("runs", "replications", "Monte Carlo replications run"),
    ("seed", "—", "seed of every random stream"),
    (
        "representative_replication",
        "index",
        "replication whose region milestones lie closest to their P50; its events are in `events.parquet`",
    ),
    ("horizon_start_date", "date", "first day simulated"),
    ("horizon_end_date", "date", "last month boundary simulated"),
    (
        "planned_gpus",
        "GPUs",
        "GPUs the scenario orders (refreshes aside)",
    ),
    (
        "planned_it_capacity_mw",
        "MW",
        "IT power of those GPUs at all-in power",
    ),
    (
        "it_capacity_mw_end_{q}",
        "MW",
        "IT capacity online (energised GPUs, working or in repair) at the end of the horizon, region",
    ),
    (
        "gpus_operational_end_{q}",
        "GPUs",
        "GPUs energised and working at the end of the horizon, region",
    ),
    (
        "gpus_installed_end_{q}",
        "GPUs",
        "GPUs installed and not retired at the end of the horizon, region",
    ),
    (
        "energy_twh_total_{q}",
        "TWh",
        "facility energy over the horizon, region",
    ),
    (
        "emissions_mtco2_total_{q}",
        "MtCO₂",
        "emissions of that energy: grid at the country's location-based intensity, on-site plants' direct emissions",
    ),
    (
        "date_first_power_{q}",
        "date",
        "first firm power at any site; null if not reached within the horizon at that percentile",
    ),
    (
        "date_first_gpu_{q}",
        "date",
        "first GPU energised anywhere; null if not reached",
    ),
    (
        "date_first_gw_{q}",
        "date",
        "energised IT capacity first reaches 1 GW; null if not reached (or if the scenario plans less)",
    ),
    (
        "date_full_capacity_{q}",
        "date",
        "every GPU the scenario orders has been energised; null if not reached",
    ),
];

/// What `sovsim run` was asked.
pub(crate) struct Request<'a> {
    /// Replications.
    pub runs: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Output directory.
    pub out: &'a Path,
    /// Dispatch under both policies.
    pub compare_dispatch: bool,
    /// The scenario as stated (before `--case`): its base case sizes the debt, and its tornado
    /// and cases are tabled.
    pub stated: &'a Scenario,
    /// The case simulated (`--case`), if not the base.
    pub case: Option<&'a str>,
    /// Every declared case, as a scenario.
    pub cases: &'a [(CaseSpec, Scenario)],
}

/// Runs the replications, writes the run directory and returns the human summary and the files
/// written.
pub(crate) fn run(
    scenario: &Scenario,
    loaded: &Loaded,
    catalog: &Catalog,
    request: &Request,
) -> Result<(String, Vec<PathBuf>), Failure> {
    let started = Instant::now();
    let policies = dispatch_out::policies(scenario, request.compare_dispatch);
    let setups: Vec<Setup> = policies.iter().map(|p| Setup::new(scenario, *p)).collect();
    // Debt is sized once, on the base case of the scenario as stated; every replication (and a
    // case, with its own inputs) then carries that debt.
    let evaluator = Evaluator::new(request.stated);
    let base = match (&evaluator, request.case) {
        (Some(e), Some(_)) => e.base_case(scenario),
        (Some(e), None) => Some(e.sized().clone()),
        (None, _) => None,
    };
    let progress = Progress::new(request.runs, "replications");
    let (aggregate, dispatched, financed) = replicate(
        scenario,
        request.runs,
        request.threads,
        (
            Aggregate::new(scenario),
            DispatchSummary::new(scenario, &policies),
            FinanceSummary::new(),
        ),
        |(a, d, f), first, chunk| {
            a.add_chunk(chunk);
            // Dispatch and finance are parallel across the chunk and folded in replication order.
            let results: Vec<(Vec<Outcome>, Option<Metrics>)> = chunk
                .par_iter()
                .enumerate()
                .map(|(i, r)| {
                    let replication = first + i as u64;
                    let outcomes = dispatch_out::outcomes(scenario, &setups, replication, r);
                    let metrics = base.as_ref().and_then(|b| {
                        b.evaluate(scenario, replication, r, &outcomes[0])
                            .map(|c| c.metrics)
                    });
                    (outcomes, metrics)
                })
                .collect();
            for (o, m) in &results {
                d.add(o);
                if let Some(m) = m {
                    f.add(m);
                }
            }
            progress.advance(chunk.len() as u64);
        },
    )
    .map_err(|e| Failure(e.to_string()))?;
    progress.finish();
    let representative = aggregate.representative();
    let example = buildout::run(scenario, representative);
    let example_dispatch = dispatch_out::outcomes(scenario, &setups, representative, &example);

    let dir = RunDir::create(request.out)
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", request.out.display())))?;
    let mut written = Vec::new();
    let mut summary = summary(scenario, &aggregate, representative);
    dispatch_out::summary(&mut summary, scenario, &dispatched);
    if let Some(base) = &base {
        finance_out::summary(&mut summary, scenario, base, &financed);
    }
    summary.insert("case".into(), request.case.unwrap_or("base").into());
    written.push(dir.write_json("summary.json", &Value::Object(summary))?);
    written.extend(dir.write_table("timeseries", &timeseries(scenario, &aggregate))?);
    written.extend(dir.write_table("timeseries_power", &power_series(scenario, &aggregate))?);
    written.extend(dir.write_table("timeseries_gpus", &gpu_series(scenario, &aggregate))?);
    written.extend(dir.write_table("milestones", &milestones(scenario, &aggregate))?);
    written.extend(dir.write_table("delays", &delays(scenario, &aggregate))?);
    written.extend(dir.write_table("events", &events(scenario, representative, &example))?);
    let eligibility = sovereignty::evaluate(scenario);
    written.extend(dir.write_table("sovereignty", &sovereignty_table(scenario, &eligibility))?);
    written.extend(dir.write_table("dispatch", &dispatch_out::monthly(scenario, &dispatched))?);
    written.extend(dir.write_table(
        "utilisation",
        &dispatch_out::utilisation(scenario, &dispatched),
    )?);
    written.extend(dir.write_table("demand", &dispatch_out::demand(scenario, &dispatched))?);
    written.extend(dir.write_table("sold", &dispatch_out::sold(scenario, &dispatched))?);
    written.extend(dir.write_table(
        "training_runs",
        &dispatch_out::training_runs(scenario, &example_dispatch),
    )?);
    if let Some(base) = &base {
        written.extend(dir.write_table("cashflows", &finance_out::cashflows(scenario, base))?);
        written.extend(dir.write_table("sources_uses", &finance_out::sources_uses(base))?);
        written.extend(dir.write_table("finance_checks", &finance_out::checks(base, &financed))?);
        written.extend(dir.write_table("replications", &finance_out::replications(&financed))?);
    }
    if let Some(e) = &evaluator {
        let steps = 1 + 2 * request.stated.sensitivity.len() as u64;
        let progress = Progress::new(steps, "sensitivities");
        let (outputs, bars) = sensitivity_out::tornado(
            request.stated,
            e,
            sensitivity_out::Mode::Deterministic,
            request.threads,
            &progress,
        )?;
        progress.finish();
        let table = sensitivity_out::tornado_table(&outputs, &bars, Output::EquityIrr);
        written.extend(dir.write_table("tornado", &table)?);
        let cases = sensitivity_out::cases_table(request.stated, e, &outputs, request.cases);
        written.extend(dir.write_table("cases", &cases)?);
    }
    written.extend(dir.write_table("assumptions", &assumptions(scenario, catalog))?);
    let how = manifest::Invocation {
        command: "run",
        runs: Some(request.runs),
        threads: Some(request.threads),
        started,
    };
    written.push(manifest::write(&dir, &how, scenario, loaded, catalog)?);
    let mut told = human(scenario, &aggregate);
    told.push_str(&sovereignty_summary(scenario, &eligibility));
    told.push_str(&dispatch_out::human(scenario, &dispatched));
    if let Some(base) = &base {
        told.push_str(&finance_out::human(scenario, base, &financed));
    }
    told.push_str(&format!("\nWrote {}\n", request.out.display()));
    Ok((told, written))
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

/// Rounds to a micro-unit: P² estimates and float sums carry noise in the last digits.
pub(crate) fn tidy(v: f64) -> f64 {
    (v * 1e6).round() / 1e6 + 0.0
}

fn summary(scenario: &Scenario, a: &Aggregate, representative: u64) -> Map<String, Value> {
    let start = scenario.meta.start_date;
    let own = scenario.clusters.iter().filter(|c| c.refresh_of.is_none());
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
        ("it_capacity_mw_end", a.region_at_end("it_online_mw")),
        ("gpus_operational_end", a.region_at_end("gpus_operational")),
        ("gpus_installed_end", a.region_at_end("gpus_installed")),
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

/// Column names `name_p10`, `name_p50`, `name_p90` with their values.
pub(crate) fn quantile_columns(mut table: Table, name: &str, values: &[[f64; 3]]) -> Table {
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        table = table.column(
            &format!("{name}_{label}"),
            Values::F64(values.iter().map(|q| tidy(q[k])).collect()),
        );
    }
    table
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

/// The `assumptions` table.
fn assumptions(scenario: &Scenario, catalog: &Catalog) -> Table {
    let rows = sovsim_core::assumptions::list(scenario, catalog);
    let text = |f: fn(&sovsim_core::assumptions::Assumption) -> &String| {
        Values::Text(rows.iter().map(|r| f(r).clone()).collect())
    };
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
}

/// Month and year of a date, for people.
fn month_of(t: Option<SimTime>, start: Date) -> String {
    match t {
        Some(t) => {
            let d = t.date(start);
            format!("{}-{:02}", d.year, d.month)
        }
        None => "not reached".to_owned(),
    }
}

fn human(scenario: &Scenario, a: &Aggregate) -> String {
    use std::fmt::Write as _;
    let start = scenario.meta.start_date;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} replications, seed {}, {} to {}",
        scenario.meta.name,
        a.runs(),
        scenario.meta.seed,
        start,
        boundary_date(a.months(), start)
    );
    let _ = writeln!(s, "\nMilestones (P50, with P10 to P90)");
    let all = a.milestones();
    for m in all.iter().filter(|m| m.site.is_none()) {
        let label = match m.name.as_str() {
            "first_power" => "first power".to_owned(),
            "first_gpu" => "first GPU online".to_owned(),
            "full_capacity" => "full capacity".to_owned(),
            gw => format!("{} GW of IT online", gw.trim_start_matches("gw_")),
        };
        let p = m.percentiles;
        let _ = writeln!(
            s,
            "  {label:<22} {}  ({} to {})",
            month_of(p.p50, start),
            month_of(p.p10, start),
            month_of(p.p90, start)
        );
    }
    let _ = writeln!(
        s,
        "\nWhat held each site back (months each GPU came online late, mean over replications)"
    );
    let delays = a.delays();
    for (i, site) in scenario.sites.iter().enumerate() {
        let of_site: Vec<&DelaySummary> = delays.iter().filter(|d| d.site == i).collect();
        let total = of_site
            .iter()
            .find(|d| d.cause.is_none())
            .map_or(0.0, |d| d.mean_months);
        let full = all
            .iter()
            .find(|m| m.site == Some(i) && m.name == "full_capacity")
            .and_then(|m| m.percentiles.p50);
        let mut causes: Vec<&&DelaySummary> = of_site
            .iter()
            .filter(|d| d.cause.is_some() && d.mean_months >= 0.05)
            .collect();
        causes.sort_by(|x, y| y.mean_months.total_cmp(&x.mean_months));
        let parts: Vec<String> = causes
            .iter()
            .map(|d| {
                format!(
                    "{:.1} waiting for {}",
                    d.mean_months,
                    d.cause.map_or("", WaitCause::phrase)
                )
            })
            .collect();
        let reason = if parts.is_empty() {
            "on time".to_owned()
        } else {
            format!("{total:.1} months late: {}", parts.join(", "))
        };
        let _ = writeln!(
            s,
            "  {:<20} full capacity {} (P50); {reason}",
            site.id,
            month_of(full, start)
        );
    }
    let it = a.region_at_end("it_online_mw");
    let gpus = a.region_at_end("gpus_operational");
    let energy = a.energy_twh_total();
    let emissions = a.emissions_mtco2_total();
    let _ = writeln!(
        s,
        "\nAt the end of the horizon (P50): {:.0} MW of IT online, {:.0} GPUs working; {:.1} TWh used, {:.2} MtCO₂ emitted over the horizon",
        it[1], gpus[1], energy[1], emissions[1]
    );
    s
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

/// Which operators fail which tier, and why, once per operator, tier and reasons.
fn sovereignty_summary(scenario: &Scenario, all: &[Eligibility]) -> String {
    use std::fmt::Write as _;
    let mut lines: Vec<String> = Vec::new();
    for e in all {
        let operator = &scenario.operators[scenario.clusters[e.cluster.index()].operator.index()];
        for (t, tier) in scenario.tiers.iter().enumerate() {
            if e.qualifies[t] {
                continue;
            }
            let reasons: Vec<&str> = e
                .failures
                .iter()
                .filter(|f| f.tier == t)
                .map(|f| f.reason.as_str())
                .collect();
            let line = format!(
                "  `{}` fails `{}`: {}",
                operator.id,
                tier.id,
                reasons.join("; ")
            );
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    let mut s = String::new();
    if !scenario.tiers.is_empty() {
        let _ = writeln!(s, "\nSovereignty tiers");
        if lines.is_empty() {
            let _ = writeln!(s, "  every cluster qualifies for every tier");
        }
        for line in lines {
            let _ = writeln!(s, "{line}");
        }
    }
    s
}

/// A documented column: name and meaning.
pub(crate) type Column = (&'static str, &'static str);

/// The tables `sovsim run` writes, with their columns: (file stem, what a row is, columns).
const TABLES: &[(&str, &str, &[Column])] = &[
    (
        "timeseries",
        "one month boundary × one site (and `region`, their sum)",
        &[
            ("month", "months since the start (0 = the start date)"),
            ("date", "the boundary's date"),
            ("site", "site id, or `region`"),
        ],
    ),
    (
        "timeseries_power",
        "one month boundary × one site (and `region`) × one power source (`grid` or an on-site technology id)",
        &[("source", "`grid` or the technology id of on-site power")],
    ),
    (
        "timeseries_gpus",
        "one month boundary × one site (and `region`) × one accelerator SKU",
        &[("sku", "accelerator id")],
    ),
    (
        "milestones",
        "one milestone of the region (`first_power`, `first_gpu`, `gw_1`, `gw_2`, …, `full_capacity`) or of a site (`first_power`, `first_gpu`, `full_capacity`)",
        &[
            ("site", "site id, or `region`"),
            ("milestone", "milestone name"),
            (
                "date_p10, date_p50, date_p90",
                "dates over replications (nearest rank); empty when not reached within the horizon",
            ),
        ],
    ),
    (
        "delays",
        "one site × one cause of delay (`permit`, `grid`, `onsite_power`, `power_shortfall`, `shell`, `gpus`) or `total`",
        &[
            ("site", "site id"),
            (
                "cause",
                "what installed GPUs waited for; `gpus`: GPUs still in transit after the date their median lead and installation times promised",
            ),
            (
                "months_mean",
                "months each GPU of the site came online late, on average over replications; the causes' means add up to the total's",
            ),
            (
                "months_p10, months_p50, months_p90",
                "the same over replications",
            ),
        ],
    ),
    (
        "sovereignty",
        "one cluster × one sovereignty tier of the scenario",
        &[
            ("cluster, operator, site", "ids"),
            ("tier", "tier id"),
            (
                "qualifies",
                "whether every clause of the tier holds for the cluster's operator and site",
            ),
            (
                "failed_clauses",
                "each failing clause in words, e.g. `US holds 30 % (limit 24 %)`, separated by `; `",
            ),
        ],
    ),
    (
        "assumptions",
        "one figure the run used: a catalog value of an entity in the scenario, a default that filled a field the scenario left out, or a financing term the scenario states",
        &[
            ("subject", "`<catalog table> <id>`, `defaults` or `finance`"),
            ("field", "catalog column, default key or finance key"),
            ("value", "as used (finance prices: the median)"),
            ("unit", "unit of the value"),
            (
                "source, source_date",
                "the catalog row's source (`data/`), or `scenario`",
            ),
            (
                "estimate",
                "whether the catalog marks the figure as an ESTIMATE",
            ),
        ],
    ),
    (
        "events",
        "one event of the representative replication, in the order it happened",
        &[
            ("replication", "replication index"),
            ("time_h", "hours since the start date"),
            ("date", "calendar date"),
            (
                "event",
                "`LandAcquired`, `PermitGranted`, `GridConnected`, `PowerCommissioned`, `ShellPhaseCompleted`, `GpusOrdered`, `GpusDelivered`, `GpusHeld` (by a supply cap), `GpusInstalled`, `ClusterEnergised`, `GpusFailed`, `GpusRepaired`, `ClusterRetired`",
            ),
            ("site", "site id"),
            (
                "entity_kind",
                "`site`, `grid_connection`, `power_asset`, `shell_phase` or `cluster`",
            ),
            (
                "entity",
                "its id (`hall#phase` for shell phases, numbered from 1)",
            ),
            ("gpus", "GPUs concerned (0 for other events)"),
        ],
    ),
];

/// The outputs of `sovsim run`, documented in Markdown: the section of `reports/README.md` between
/// its `run-outputs` markers.
pub(crate) fn outputs_markdown() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "### `summary.json`\n");
    let _ = writeln!(
        s,
        "Flat keys; `{{q}}` stands for `p10`, `p50` and `p90` (percentiles over replications).\n"
    );
    let _ = writeln!(s, "| key | unit | meaning |\n|---|---|---|");
    for (key, unit, meaning) in SUMMARY_KEYS
        .iter()
        .chain(dispatch_out::SUMMARY_KEYS)
        .chain(finance_out::SUMMARY_KEYS)
    {
        let _ = writeln!(s, "| `{key}` | {unit} | {meaning} |");
    }
    let _ = writeln!(
        s,
        "\n### `summary.json` with `--compare-dispatch`\n\n| key | unit | meaning |\n|---|---|---|"
    );
    for (key, unit, meaning) in dispatch_out::COMPARE_KEYS {
        let _ = writeln!(s, "| `{key}` | {unit} | {meaning} |");
    }
    let _ = writeln!(
        s,
        "\n### `report.pdf`, `model.xlsx` and `charts/`\n\n\
         Rendered from the files above (again with `sovsim report RUN_DIR [--template PATH]`). \
         `report.pdf` is typeset from `reports/templates/report.typ`; `model.xlsx` has the sheets \
         Summary (`summary.json`), Inputs (`assumptions`), Periods (the `in_` columns of `cashflows`), \
         Cash flows, Sources & uses, Checks and Replications. Each chart is an SVG and a PNG:\n"
    );
    let _ = writeln!(s, "| chart | shows |\n|---|---|");
    for (name, shows) in sovsim_report::document::CHARTS {
        let _ = writeln!(s, "| `{name}` | {shows} |");
    }
    for (stem, row, columns) in TABLES
        .iter()
        .chain(dispatch_out::TABLES)
        .chain(finance_out::TABLES)
        .chain(sensitivity_out::TABLES)
    {
        let _ = writeln!(
            s,
            "\n### `{stem}.parquet` and `{stem}.csv`\n\nA row is {row}.\n"
        );
        let _ = writeln!(s, "| column | meaning |\n|---|---|");
        for (name, meaning) in *columns {
            let _ = writeln!(s, "| `{name}` | {meaning} |");
        }
        let series: &[Column] = match *stem {
            "timeseries" => &SITE_SERIES,
            "timeseries_power" => &SOURCE_SERIES,
            "timeseries_gpus" => &SKU_SERIES,
            "dispatch" => dispatch_out::SERIES,
            _ => &[],
        };
        for (name, meaning) in series {
            let _ = writeln!(
                s,
                "| `{name}_p10`, `{name}_p50`, `{name}_p90` | {meaning} |"
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reports_readme_documents_every_output_of_run() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/README.md");
        let readme = std::fs::read_to_string(&path).expect("reports/README.md exists");
        let begin = "<!-- run-outputs:begin -->\n";
        let end = "<!-- run-outputs:end -->";
        let section = readme.find(begin).and_then(|b| {
            readme[b..]
                .find(end)
                .map(|e| &readme[b + begin.len()..b + e])
        });
        let generated = outputs_markdown();
        assert_eq!(
            section,
            Some(generated.as_str()),
            "reports/README.md is out of date; its section between the run-outputs markers should be:\n{generated}"
        );
    }
}
