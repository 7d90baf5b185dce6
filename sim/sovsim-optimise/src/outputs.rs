//! What an optimisation writes and says: the plan as a scenario file, its tables (`plan`,
//! `objective_parts`, `shadow_prices`, `sovereignty_cost`, `plan_milestones`), `optimize.json`,
//! the summary for the terminal, and the plan's dates beside its simulation. Values only: the
//! binary writes and prints them.

use std::fmt::Write as _;

use serde_json::json;
use sovsim_core::engine::aggregate::Aggregate;
use sovsim_core::model::{Objective, Scenario};
use sovsim_core::rundir::{Contents, Table, Values};
use sovsim_core::scenario::Loaded;
use sovsim_core::text::format::{money, power_mw};

use crate::{CurvePoint, Outcome, SovereigntyCost};

/// The objective in words for people.
fn objective_text(scenario: &Scenario, v: f64) -> String {
    match scenario.optimize.objective {
        Objective::MinCost => money(v),
        Objective::MaxSovereign => format!("{:.3e} GPU-hours of sovereign work served", -v),
    }
}

/// The plan as a scenario file of its own, which `sovsim run` simulates under uncertainty.
///
/// # Errors
/// If the scenario has no resolved file to plan from, or the plan cannot be written into it.
pub fn plan_file(
    scenario: &Scenario,
    loaded: &Loaded,
    outcome: &Outcome,
) -> Result<String, String> {
    let resolved = loaded
        .resolved
        .as_ref()
        .ok_or_else(|| "the scenario has no resolved file to plan from".to_owned())?;
    let header = format!(
        "#:schema ../../scenarios/sovsim-scenario.schema.json\n# {name}: written by `sovsim optimize` ({objective}, {status}) from `{src}`.\n# Sizes and dates are the optimiser's; durations keep the scenario's distributions, so\n# `sovsim run` on this file simulates the plan under uncertainty.\n\n",
        name = outcome.edits.name,
        objective = scenario.optimize.objective.name(),
        status = outcome.status.name(),
        src = scenario.meta.name,
    );
    resolved.plan_file(&outcome.edits, &header)
}

/// The tables and `optimize.json` of one optimisation.
pub fn contents(
    scenario: &Scenario,
    outcome: &Outcome,
    sovereignty: &[SovereigntyCost],
    curve: &[CurvePoint],
) -> Contents {
    let p = &outcome.plan;
    let mut tables = Vec::new();
    tables.push((
        "plan",
        Table::new()
            .column(
                "year",
                Values::U64(p.iter().map(|r| r.year as u64).collect()),
            )
            .column(
                "kind",
                Values::Text(p.iter().map(|r| r.kind.to_owned()).collect()),
            )
            .column("id", Values::Text(p.iter().map(|r| r.id.clone()).collect()))
            .column(
                "site",
                Values::Text(p.iter().map(|r| r.site.clone()).collect()),
            )
            .column(
                "what",
                Values::Text(p.iter().map(|r| r.what.clone()).collect()),
            )
            .column(
                "quantity",
                Values::F64(p.iter().map(|r| r.quantity).collect()),
            )
            .column(
                "unit",
                Values::Text(p.iter().map(|r| r.unit.to_owned()).collect()),
            )
            .column(
                "usable_year",
                Values::U64(p.iter().map(|r| r.usable_year as u64).collect()),
            )
            .column(
                "committed",
                Values::Bool(p.iter().map(|r| r.committed).collect()),
            ),
    ));
    let parts = &outcome.parts;
    tables.push((
        "objective_parts",
        Table::new()
            .column(
                "part",
                Values::Text(parts.iter().map(|x| x.name.to_owned()).collect()),
            )
            .column(
                "value",
                Values::F64(parts.iter().map(|x| x.value).collect()),
            ),
    ));
    let sp = &outcome.shadow_prices;
    tables.push((
        "shadow_prices",
        Table::new()
            .column(
                "family",
                Values::Text(sp.iter().map(|x| x.family.to_owned()).collect()),
            )
            .column(
                "entity",
                Values::Text(sp.iter().map(|x| x.entity.clone()).collect()),
            )
            .column(
                "year",
                Values::OptF64(sp.iter().map(|x| x.year.map(f64::from)).collect()),
            )
            .column("value", Values::F64(sp.iter().map(|x| x.value).collect()))
            .column(
                "unit",
                Values::Text(sp.iter().map(|x| x.unit.to_owned()).collect()),
            ),
    ));
    tables.push((
        "sovereignty_cost",
        Table::new()
            .column(
                "tier",
                Values::Text(sovereignty.iter().map(|x| x.tier.clone()).collect()),
            )
            .column(
                "clauses_relaxed",
                Values::U64(sovereignty.iter().map(|x| x.clauses as u64).collect()),
            )
            .column(
                "strict_objective",
                Values::F64(sovereignty.iter().map(|x| x.strict_objective).collect()),
            )
            .column(
                "relaxed_objective",
                Values::F64(sovereignty.iter().map(|x| x.relaxed_objective).collect()),
            )
            .column(
                "delta_objective",
                Values::F64(sovereignty.iter().map(|x| x.delta_objective).collect()),
            )
            .column(
                "strict_it_gw",
                Values::F64(sovereignty.iter().map(|x| x.strict_it_gw).collect()),
            )
            .column(
                "relaxed_it_gw",
                Values::F64(sovereignty.iter().map(|x| x.relaxed_it_gw).collect()),
            )
            .column(
                "delta_it_gw",
                Values::F64(sovereignty.iter().map(|x| x.delta_it_gw).collect()),
            )
            .column(
                "served_gpu_hours",
                Values::F64(sovereignty.iter().map(|x| x.served_gpu_hours).collect()),
            )
            .column(
                "premium_eur_per_gpu_hour",
                Values::F64(
                    sovereignty
                        .iter()
                        .map(|x| x.premium_eur_per_gpu_hour)
                        .collect(),
                ),
            )
            .column(
                "strict_rented_gpu_hours",
                Values::F64(
                    sovereignty
                        .iter()
                        .map(|x| x.strict_rented_gpu_hours)
                        .collect(),
                ),
            )
            .column(
                "relaxed_rented_gpu_hours",
                Values::F64(
                    sovereignty
                        .iter()
                        .map(|x| x.relaxed_rented_gpu_hours)
                        .collect(),
                ),
            )
            .column(
                "strict_met_from",
                Values::OptF64(
                    sovereignty
                        .iter()
                        .map(|x| x.strict_met_from.map(f64::from))
                        .collect(),
                ),
            )
            .column(
                "relaxed_met_from",
                Values::OptF64(
                    sovereignty
                        .iter()
                        .map(|x| x.relaxed_met_from.map(f64::from))
                        .collect(),
                ),
            )
            .column(
                "delay_years",
                Values::OptF64(
                    sovereignty
                        .iter()
                        .map(|x| x.delay_years().map(f64::from))
                        .collect(),
                ),
            ),
    ));
    let r = &outcome.rented;
    tables.push((
        "rented",
        Table::new()
            .column(
                "offer",
                Values::Text(r.iter().map(|x| x.offer.clone()).collect()),
            )
            .column(
                "year",
                Values::U64(r.iter().map(|x| x.year as u64).collect()),
            )
            .column(
                "gpu_hours",
                Values::F64(r.iter().map(|x| x.gpu_hours).collect()),
            )
            .column("gpus", Values::F64(r.iter().map(|x| x.gpus).collect()))
            .column("eur", Values::F64(r.iter().map(|x| x.eur).collect())),
    ));
    tables.push((
        "seal_curve",
        Table::new()
            .column(
                "objective",
                Values::Text(curve.iter().map(|x| x.objective.clone()).collect()),
            )
            .column(
                "seal",
                Values::U64(curve.iter().map(|x| u64::from(x.seal)).collect()),
            )
            .column(
                "clusters_qualifying",
                Values::U64(curve.iter().map(|x| x.clusters_qualifying as u64).collect()),
            )
            .column(
                "offers_qualifying",
                Values::U64(curve.iter().map(|x| x.offers_qualifying as u64).collect()),
            )
            .column(
                "objective_eur",
                Values::F64(curve.iter().map(|x| x.objective_eur).collect()),
            )
            .column(
                "npv_cost_eur",
                Values::F64(curve.iter().map(|x| x.npv_cost_eur).collect()),
            )
            .column(
                "premium_eur",
                Values::F64(curve.iter().map(|x| x.premium_eur).collect()),
            )
            .column(
                "it_gw_peak",
                Values::F64(curve.iter().map(|x| x.it_gw_peak).collect()),
            )
            .column(
                "rented_gpu_hours",
                Values::F64(curve.iter().map(|x| x.rented_gpu_hours).collect()),
            )
            .column(
                "shortfall_gw_max",
                Values::F64(curve.iter().map(|x| x.shortfall_gw_max).collect()),
            ),
    ));
    let ms = &outcome.milestones;
    tables.push((
        "plan_milestones",
        Table::new()
            .column(
                "site",
                Values::Text(
                    ms.iter()
                        .map(|m| m.site.clone().unwrap_or_else(|| "region".to_owned()))
                        .collect(),
                ),
            )
            .column(
                "milestone",
                Values::Text(ms.iter().map(|m| m.name.clone()).collect()),
            )
            .column(
                "date",
                Values::Text(ms.iter().map(|m| m.date.to_string()).collect()),
            ),
    ));
    let size = outcome.size;
    let summary = json!({
        "scenario": scenario.meta.name,
        "objective": scenario.optimize.objective.name(),
        "objective_value": outcome.objective,
        "objective_unit": match scenario.optimize.objective {
            Objective::MinCost => "EUR (NPV)",
            Objective::MaxSovereign => "GPU-hours (negative: served)",
        },
        "npv_cost_eur": if outcome.npv_cost_eur.is_finite() { json!(outcome.npv_cost_eur) } else { json!(null) },
        "status": outcome.status.name(),
        "parts": outcome.parts.iter().map(|x| (x.name, x.value)).collect::<std::collections::BTreeMap<_, _>>(),
        "rows": size.rows,
        "columns": size.columns,
        "integer_columns": size.integer_columns,
        "non_zeros": size.non_zeros,
        "periods": scenario.optimize.periods,
        "period_years": scenario.optimize.period_years,
        "mip_gap": scenario.optimize.mip_gap,
        "time_limit_s": scenario.optimize.time_limit_s,
        "grid_wait_quantile": scenario.optimize.grid_wait_quantile,
        "it_gw_by_year": outcome.it_gw.iter().map(|(y, g)| (y.to_string(), *g)).collect::<std::collections::BTreeMap<_, _>>(),
        "targets_met": outcome.explanation.is_empty(),
        "rented_gpu_hours_total": outcome.rented_gpu_hours(),
        "rented_eur_total": outcome.rented.iter().map(|r| r.eur).sum::<f64>(),
        "shortfalls": outcome.explanation,
    });
    Contents {
        json: vec![("optimize.json", sovsim_core::rundir::json_text(&summary))],
        tables,
    }
}

/// The optimisation told for the terminal; `plan_path` is where the plan file was written.
pub fn summary(
    scenario: &Scenario,
    outcome: &Outcome,
    sovereignty: &[SovereigntyCost],
    curve: &[CurvePoint],
    plan_path: &str,
) -> String {
    let p = &outcome.plan;
    let parts = &outcome.parts;
    let sp = &outcome.shadow_prices;
    let size = outcome.size;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Optimised {} ({}): {} — {}",
        scenario.meta.name,
        scenario.optimize.objective.name(),
        objective_text(scenario, outcome.objective),
        outcome.status.name()
    );
    let _ = writeln!(
        s,
        "MILP: {} rows, {} columns ({} integer), {} non-zeros; built in {:.2} s, solved in {:.2} s",
        size.rows,
        size.columns,
        size.integer_columns,
        size.non_zeros,
        outcome.build_s,
        outcome.solve_s
    );
    let _ = writeln!(s, "\nPlan (year built → usable):");
    for r in p {
        let q = match r.unit {
            "MW" => power_mw(r.quantity),
            "GPUs" => format!("{} GPUs", r.quantity.round()),
            _ => format!("{} {}", r.quantity, r.unit),
        };
        let _ = writeln!(
            s,
            "  {} → {}  {:<6} {:<28} {:<14} {}{}",
            r.year,
            r.usable_year,
            r.kind,
            r.id,
            r.what,
            q,
            if r.committed { " (committed)" } else { "" }
        );
    }
    let _ = writeln!(s, "\nIT capacity of working GPUs by year:");
    let line: Vec<String> = outcome
        .it_gw
        .iter()
        .map(|(y, g)| format!("{y} {g:.2} GW"))
        .collect();
    let _ = writeln!(s, "  {}", line.join(", "));
    let _ = writeln!(s, "\nObjective by part:");
    for x in parts {
        let v = match scenario.optimize.objective {
            Objective::MinCost => money(x.value),
            Objective::MaxSovereign if x.name == "sovereign_work_served" => {
                format!("{:.3e} GPU-hours", x.value)
            }
            Objective::MaxSovereign => format!("{:.3e}", x.value),
        };
        let _ = writeln!(s, "  {:<24} {v}", x.name);
    }
    let _ = writeln!(
        s,
        "  {:<24} {}",
        "total",
        objective_text(scenario, outcome.objective)
    );
    if !sovereignty.is_empty() {
        let _ = writeln!(
            s,
            "\nCost of sovereignty (each tier's rule relaxed, re-optimised):"
        );
        for c in sovereignty {
            let _ = writeln!(
                s,
                "  {:<14} {} clause(s): Δ objective {}, Δ IT {:+.2} GW (strict {:.2} GW, relaxed {:.2} GW)",
                c.tier,
                c.clauses,
                objective_text(scenario, c.delta_objective)
                    .replace("GPU-hours of sovereign work served", "GPU-hours"),
                c.delta_it_gw,
                c.strict_it_gw,
                c.relaxed_it_gw
            );
            if scenario.optimize.objective == Objective::MinCost {
                let premium = if c.premium_eur_per_gpu_hour.is_finite() {
                    sovsim_core::text::format::euros(c.premium_eur_per_gpu_hour, 2)
                } else {
                    "—".to_owned()
                };
                let met = |y: Option<i32>| y.map_or("never".to_owned(), |y| y.to_string());
                let _ = writeln!(
                    s,
                    "  {:<14} {premium} per GPU-hour served; demand met from {} (relaxed {}); rented {} GPU-hours (relaxed {})",
                    "",
                    met(c.strict_met_from),
                    met(c.relaxed_met_from),
                    sovsim_core::text::format::large(c.strict_rented_gpu_hours),
                    sovsim_core::text::format::large(c.relaxed_rented_gpu_hours),
                );
            }
        }
    }
    if !outcome.rented.is_empty() {
        let _ = writeln!(s, "\nRented from cloud offers (GPUs on average, year):");
        for r in &outcome.rented {
            let _ = writeln!(
                s,
                "  {} {:<24} {:>10.0} GPUs  {}",
                r.year,
                r.offer,
                r.gpus,
                money(r.eur)
            );
        }
    }
    if !curve.is_empty() {
        let _ = writeln!(
            s,
            "\nCost of sovereignty by SEAL (every tier's rule replaced by a least SEAL on one objective; premium over no rule, GW delivered at peak):"
        );
        let mut objectives: Vec<&str> = curve.iter().map(|c| c.objective.as_str()).collect();
        objectives.dedup();
        for o in objectives {
            let cells: Vec<String> = curve
                .iter()
                .filter(|c| c.objective == o)
                .map(|c| format!("{} {} {:.2} GW", c.seal, money(c.premium_eur), c.it_gw_peak))
                .collect();
            let _ = writeln!(s, "  {o:<6} {}", cells.join(" | "));
        }
    }
    let _ = writeln!(
        s,
        "\nShadow prices (largest per family; all in shadow_prices.csv):"
    );
    let mut families: Vec<&str> = sp.iter().map(|x| x.family).collect();
    families.dedup();
    families.sort_unstable();
    families.dedup();
    for f in families {
        if let Some(top) = sp
            .iter()
            .filter(|x| x.family == f)
            .max_by(|a, b| a.value.total_cmp(&b.value))
        {
            let year = top.year.map_or(String::new(), |y| format!(" in {y}"));
            let _ = writeln!(
                s,
                "  {:<16} {:>14.2} {} ({}{year})",
                f, top.value, top.unit, top.entity
            );
        }
    }
    if outcome.explanation.is_empty() {
        let _ = writeln!(s, "\nEvery target is met.");
    } else {
        let _ = writeln!(s, "\nTargets missed:");
        for e in &outcome.explanation {
            let _ = writeln!(s, "  - {e}");
        }
    }
    let _ = writeln!(
        s,
        "\nPlan scenario: {} (simulate it with `sovsim run`)",
        plan_path
    );
    s
}

/// The plan's deterministic dates beside the P50 and P90 of its simulation (the milestones of
/// `simulated`, the aggregate of a run of the plan).
pub fn milestones_beside(outcome: &Outcome, simulated: &Aggregate, plan: &Scenario) -> String {
    let start = plan.meta.start_date;
    let simulated = simulated.milestones();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nMilestones: optimiser (deterministic) vs simulation of the plan"
    );
    let _ = writeln!(
        s,
        "  {:<22} {:<14} {:<11} {:<11} {:<11}",
        "site", "milestone", "optimiser", "P50", "P90"
    );
    for m in &outcome.milestones {
        let site = m.site.clone().unwrap_or_else(|| "region".to_owned());
        let found = simulated.iter().find(|x| {
            x.name == m.name && x.site.map_or("region", |i| plan.sites[i].id.as_str()) == site
        });
        let cell = |t: Option<sovsim_core::engine::time::SimTime>| {
            t.map_or_else(|| "not reached".to_owned(), |t| t.date(start).to_string())
        };
        let _ = writeln!(
            s,
            "  {:<22} {:<14} {:<11} {:<11} {:<11}",
            site,
            m.name,
            m.date.to_string(),
            cell(found.and_then(|x| x.percentiles.p50)),
            cell(found.and_then(|x| x.percentiles.p90))
        );
    }
    s
}
