//! The dispatch part of a run directory: its `summary.json` keys and the `dispatch`,
//! `utilisation`, `demand`, `sold` and `training_runs` tables.

use serde_json::{Map, Value};

use super::run::boundary_date;
use super::table::{Table, Values, quantile_columns, tidy};
use crate::dispatch::PORTABILITY_LEVELS;
use crate::dispatch::summary::{
    DispatchSummary, ForgoneSummary, MONTH_SERIES, PORTABILITY_FIGURES, PolicySummary,
    PortabilitySummary, Scalar,
};
use crate::dispatch::{self, Outcome};
use crate::engine::buildout::Layout;
use crate::engine::time::SimTime;
use crate::model::Scenario;

pub(super) fn put_q(m: &mut Map<String, Value>, key: &str, q: Option<[f64; 3]>) {
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        m.insert(
            format!("{key}_{label}"),
            q.map_or(Value::Null, |q| tidy(q[k]).into()),
        );
    }
}

fn policy_keys(m: &mut Map<String, Value>, scenario: &Scenario, p: &PolicySummary, suffix: &str) {
    for scalar in Scalar::all() {
        put_q(m, &format!("{}{suffix}", scalar.name()), p.scalar(scalar));
    }
    for (t, tier) in scenario.tiers.iter().enumerate() {
        put_q(
            m,
            &format!("sovereign_demand_served_share_{}{suffix}", tier.id),
            p.served_share(t),
        );
    }
}

/// Adds the dispatch keys to `summary.json`.
pub(super) fn summary(m: &mut Map<String, Value>, scenario: &Scenario, d: &DispatchSummary) {
    let Some(first) = d.policies.first() else {
        return;
    };
    m.insert("dispatch_policy".into(), first.policy.name().into());
    policy_keys(m, scenario, first, "");
    if d.policies.len() > 1 {
        for p in &d.policies {
            policy_keys(m, scenario, p, &format!("_{}", p.policy.name()));
        }
        let recovered = d.recovered();
        put_q(m, "grid_recovered_gpu_hours", recovered.map(|r| r.0));
        put_q(m, "grid_recovered_share", recovered.map(|r| r.1));
    }
}

/// Adds the keys of the demand forgone for lack of compute.
pub(super) fn forgone_summary(m: &mut Map<String, Value>, f: &ForgoneSummary) {
    let (hours, eur) = f.total();
    put_q(m, "compute_forgone_gpu_hours", hours);
    put_q(m, "revenue_forgone_eur", eur);
}

/// The `forgone` table: per owner and year.
pub(super) fn forgone(scenario: &Scenario, f: &ForgoneSummary) -> Table {
    let owners: Vec<(&str, &str)> = scenario
        .inference
        .iter()
        .map(|d| (d.id.as_str(), "inference"))
        .chain(
            scenario
                .training
                .iter()
                .map(|k| (k.id.as_str(), "training")),
        )
        .collect();
    let years = f.years();
    let rows: Vec<(usize, usize)> = (0..owners.len())
        .flat_map(|o| (0..years).map(move |y| (o, y)))
        .collect();
    let cells: Vec<_> = rows.iter().map(|&(o, y)| f.cell(o, y)).collect();
    let hours: Vec<[f64; 3]> = cells.iter().map(|c| c.0).collect();
    let eur: Vec<Option<[f64; 3]>> = cells.iter().map(|c| c.1).collect();
    let table = Table::new()
        .column(
            "owner",
            Values::Text(rows.iter().map(|r| owners[r.0].0.to_owned()).collect()),
        )
        .column(
            "kind",
            Values::Text(rows.iter().map(|r| owners[r.0].1.to_owned()).collect()),
        )
        .column(
            "year",
            Values::U64(rows.iter().map(|r| r.1 as u64).collect()),
        );
    let table = quantile_columns(table, "gpu_hours", &hours);
    super::table::optional_quantile_columns(table, "revenue_eur", &eur)
}

/// Adds the keys of the value of a portability standard (`--compare-dispatch`).
pub(super) fn portability_summary(m: &mut Map<String, Value>, p: &PortabilitySummary) {
    put_q(m, "portability_value_eur_per_year", p.value_eur_per_year());
    put_q(
        m,
        "portability_recovered_gpu_hours",
        p.recovered_gpu_hours(),
    );
}

/// The `portability` table: per level, under the first policy.
pub(super) fn portability(d: &DispatchSummary, p: &PortabilitySummary) -> Table {
    let n = PORTABILITY_LEVELS.len();
    let policy = d.policies.first().map_or("", |p| p.policy.name());
    let mut table = Table::new()
        .column("policy", Values::Text(vec![policy.to_owned(); n]))
        .column("portability", Values::F64(PORTABILITY_LEVELS.to_vec()));
    for (f, (name, _, _)) in PORTABILITY_FIGURES.iter().enumerate() {
        let values: Vec<Option<[f64; 3]>> = (0..n).map(|l| p.figure(l, f)).collect();
        table = if *name == "recovered_eur" {
            super::table::optional_quantile_columns(table, name, &values)
        } else {
            let values: Vec<[f64; 3]> = values.iter().map(|v| v.unwrap_or([0.0; 3])).collect();
            quantile_columns(table, name, &values)
        };
    }
    table
}

/// Repeats each policy's name once per row it has.
fn policy_column(d: &DispatchSummary, rows: usize) -> Values {
    Values::Text(
        d.policies
            .iter()
            .flat_map(|p| std::iter::repeat_n(p.policy.name().to_owned(), rows))
            .collect(),
    )
}

/// The `dispatch` table: region-wide monthly series per policy.
pub(super) fn monthly(scenario: &Scenario, d: &DispatchSummary) -> Table {
    let start = scenario.meta.start_date;
    let months = d.policies.first().map_or(0, PolicySummary::months);
    let mut table = Table::new()
        .column("policy", policy_column(d, months))
        .column(
            "month",
            Values::U64(
                d.policies
                    .iter()
                    .flat_map(|_| (0..months as u64).collect::<Vec<_>>())
                    .collect(),
            ),
        )
        .column(
            "date",
            Values::Text(
                d.policies
                    .iter()
                    .flat_map(|_| (0..months).map(|m| boundary_date(m, start)))
                    .collect(),
            ),
        );
    for (var, (name, _)) in MONTH_SERIES.iter().enumerate() {
        let values: Vec<[f64; 3]> = d
            .policies
            .iter()
            .flat_map(|p| (0..months).map(move |m| p.month(m, var)))
            .collect();
        table = quantile_columns(table, name, &values);
    }
    table
}

/// The `utilisation` table: per policy and cluster.
pub(super) fn utilisation(scenario: &Scenario, d: &DispatchSummary) -> Table {
    let n = scenario.clusters.len();
    let ids = |f: &dyn Fn(usize) -> String| {
        Values::Text(d.policies.iter().flat_map(|_| (0..n).map(f)).collect())
    };
    let clusters = &scenario.clusters;
    let mut table = Table::new()
        .column("policy", policy_column(d, n))
        .column("cluster", ids(&|c| clusters[c].id.clone()))
        .column(
            "operator",
            ids(&|c| scenario.operators[clusters[c].operator.index()].id.clone()),
        )
        .column(
            "site",
            ids(&|c| scenario.sites[clusters[c].site.index()].id.clone()),
        )
        .column("sku", ids(&|c| clusters[c].accelerator.id.clone()));
    for (k, name) in ["utilisation", "stranded_gpu_hours", "available_gpu_hours"]
        .iter()
        .enumerate()
    {
        let values: Vec<[f64; 3]> = d
            .policies
            .iter()
            .flat_map(|p| (0..n).map(move |c| p.cluster(c)[k]))
            .collect();
        table = quantile_columns(table, name, &values);
    }
    table
}

/// The `demand` table: per policy, inference demands then training campaigns.
pub(super) fn demand(scenario: &Scenario, d: &DispatchSummary) -> Table {
    let (ni, nt) = (scenario.inference.len(), scenario.training.len());
    let rows = ni + nt;
    let per_row = |f: &dyn Fn(&PolicySummary, usize) -> Option<f64>| -> Vec<Option<f64>> {
        d.policies
            .iter()
            .flat_map(|p| (0..rows).map(move |r| f(p, r)))
            .collect()
    };
    let text = |f: &dyn Fn(usize) -> String| {
        Values::Text(d.policies.iter().flat_map(|_| (0..rows).map(f)).collect())
    };
    let tier = |r: usize| {
        let t = if r < ni {
            scenario.inference[r].tier
        } else {
            scenario.training[r - ni].tier
        };
        scenario.tiers[t.index()].id.clone()
    };
    let mut table = Table::new()
        .column("policy", policy_column(d, rows))
        .column(
            "demand",
            text(&|r| {
                if r < ni {
                    scenario.inference[r].id.clone()
                } else {
                    scenario.training[r - ni].id.clone()
                }
            }),
        )
        .column(
            "kind",
            text(&|r| if r < ni { "inference" } else { "training" }.to_owned()),
        )
        .column("tier", text(&tier));
    let optional =
        |v: Vec<Option<f64>>| Values::OptF64(v.into_iter().map(|v| v.map(tidy)).collect());
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        table = table.column(
            &format!("served_share_{label}"),
            optional(per_row(&|p, r| {
                (r < ni).then(|| p.demand_served(r)).flatten().map(|q| q[k])
            })),
        );
    }
    table = table
        .column(
            "runs_p50",
            optional(per_row(&|p, r| (r >= ni).then(|| p.campaign(r - ni).0[1]))),
        )
        .column(
            "runs_cancelled_p50",
            optional(per_row(&|p, r| (r >= ni).then(|| p.campaign(r - ni).1[1]))),
        );
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        table = table.column(
            &format!("queue_delay_days_mean_{label}"),
            optional(per_row(&|p, r| {
                (r >= ni)
                    .then(|| p.campaign(r - ni).2)
                    .flatten()
                    .map(|q| q[k])
            })),
        );
    }
    table
}

/// The `sold` table: GPU-hours and tokens per policy, year and SKU.
pub(super) fn sold(scenario: &Scenario, d: &DispatchSummary) -> Table {
    let skus = Layout::of(scenario).skus;
    let years = d.policies.first().map_or(0, PolicySummary::years);
    let cells: Vec<(usize, usize)> = (0..years)
        .flat_map(|y| (0..skus.len()).map(move |s| (y, s)))
        .collect();
    let mut table = Table::new()
        .column("policy", policy_column(d, cells.len()))
        .column(
            "year",
            Values::U64(
                d.policies
                    .iter()
                    .flat_map(|_| cells.iter().map(|c| c.0 as u64))
                    .collect(),
            ),
        )
        .column(
            "sku",
            Values::Text(
                d.policies
                    .iter()
                    .flat_map(|_| cells.iter().map(|c| skus[c.1].clone()))
                    .collect(),
            ),
        );
    for (k, name) in ["gpu_hours", "tokens"].iter().enumerate() {
        let values: Vec<[f64; 3]> = d
            .policies
            .iter()
            .flat_map(|p| cells.iter().map(move |&(y, s)| p.sold(y, s)[k]))
            .collect();
        table = quantile_columns(table, name, &values);
    }
    table
}

/// The `training_runs` table, from the representative replication's outcomes.
pub(super) fn training_runs(scenario: &Scenario, outcomes: &[Outcome]) -> Table {
    let start = scenario.meta.start_date;
    let rows: Vec<(&Outcome, &dispatch::RunOutcome)> = outcomes
        .iter()
        .flat_map(|o| o.runs.iter().map(move |r| (o, r)))
        .collect();
    let date = |h: f64| SimTime(h.round() as i64).date(start).to_string();
    let place = |r: &dispatch::RunOutcome, f: &dyn Fn(&crate::model::Cluster) -> String| {
        r.cluster.map(|c| f(&scenario.clusters[c]))
    };
    Table::new()
        .column(
            "policy",
            Values::Text(
                rows.iter()
                    .map(|(o, _)| o.policy.name().to_owned())
                    .collect(),
            ),
        )
        .column(
            "campaign",
            Values::Text(
                rows.iter()
                    .map(|(_, r)| scenario.training[r.request.campaign].id.clone())
                    .collect(),
            ),
        )
        .column(
            "arrival_date",
            Values::Text(
                rows.iter()
                    .map(|(_, r)| date(r.request.arrival_hours))
                    .collect(),
            ),
        )
        .column(
            "gpus",
            Values::U64(rows.iter().map(|(_, r)| r.request.gpus).collect()),
        )
        .column(
            "start_date",
            Values::OptText(rows.iter().map(|(_, r)| r.start_hours.map(date)).collect()),
        )
        .column(
            "end_date",
            Values::OptText(rows.iter().map(|(_, r)| r.end_hours.map(date)).collect()),
        )
        .column(
            "queue_delay_days",
            Values::OptF64(
                rows.iter()
                    .map(|(_, r)| r.queue_delay_days().map(tidy))
                    .collect(),
            ),
        )
        .column(
            "site",
            Values::OptText(
                rows.iter()
                    .map(|(_, r)| place(r, &|c| scenario.sites[c.site.index()].id.clone()))
                    .collect(),
            ),
        )
        .column(
            "architecture",
            Values::OptText(
                rows.iter()
                    .map(|(_, r)| place(r, &|c| c.accelerator.architecture.clone()))
                    .collect(),
            ),
        )
}
