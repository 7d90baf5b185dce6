//! Dispatch outputs of `sovsim run`: summary keys, the `dispatch`, `utilisation`, `demand`,
//! `sold` and `training_runs` tables, and the lines of the human summary that compare policies.

use serde_json::{Map, Value};
use sovsim_core::dispatch::summary::{DispatchSummary, MONTH_SERIES, PolicySummary, SCALARS};
use sovsim_core::dispatch::{self, Outcome, Setup};
use sovsim_core::engine::buildout::{Layout, Replication};
use sovsim_core::engine::time::SimTime;
use sovsim_core::model::{Policy, Scenario};
use sovsim_report::{Table, Values};

use crate::run::{Column, boundary_date, quantile_columns, tidy};

/// Summary keys the dispatch adds (`{q}`: p10, p50, p90; `{tier}`: each tier id).
pub(crate) const SUMMARY_KEYS: &[(&str, &str, &str)] = &[
    (
        "dispatch_policy",
        "—",
        "policy of the dispatch keys below: `siloed` (each demand on its own operators' clusters) or `grid` (pooled)",
    ),
    (
        "utilisation_mean_{q}",
        "fraction",
        "GPU-hours used ÷ operational GPU-hours over the horizon, region",
    ),
    (
        "stranded_gpu_hours_{q}",
        "GPU-hours",
        "GPU-hours idle under the policy that demand it left unserved could have used under pooling (tier rules and efficiencies respected); 0 under `grid`",
    ),
    (
        "stranded_gpu_hours_share_{q}",
        "fraction",
        "stranded ÷ operational GPU-hours over the horizon",
    ),
    (
        "gpu_hours_sold_total_{q}",
        "GPU-hours",
        "GPU-hours used by training and inference over the horizon",
    ),
    (
        "tokens_served_total_{q}",
        "tokens",
        "inference output tokens served over the horizon",
    ),
    (
        "tokens_unserved_total_{q}",
        "tokens",
        "inference output tokens asked for and not served",
    ),
    (
        "training_queue_delay_days_mean_{q}",
        "days",
        "mean wait of started training runs for a block of one generation; null if no run started",
    ),
    (
        "training_queue_delay_days_p90_{q}",
        "days",
        "P90 over runs of that wait within a replication; null if no run started",
    ),
    (
        "training_runs_completed_{q}",
        "runs",
        "training runs finished within the horizon",
    ),
    (
        "training_runs_cancelled_{q}",
        "runs",
        "training runs that arrived but found no block within the horizon",
    ),
    (
        "sovereign_demand_served_share_{tier}_{q}",
        "fraction",
        "share of the tier's demanded compute served (FLOP: 2 · active parameters per token, catalog FLOPs per run); null for a tier nobody asks for",
    ),
];

/// Keys added by `--compare-dispatch`.
pub(crate) const COMPARE_KEYS: &[(&str, &str, &str)] = &[
    (
        "{key}_siloed_{q}, {key}_grid_{q}",
        "as `{key}`",
        "every dispatch key above (but `dispatch_policy`) under each policy, same replications and demand",
    ),
    (
        "grid_recovered_gpu_hours_{q}",
        "GPU-hours",
        "GPU-hours used under `grid` minus under `siloed`, per replication: what the compute grid recovers",
    ),
    (
        "grid_recovered_share_{q}",
        "fraction",
        "that ÷ operational GPU-hours",
    ),
];

/// Tables the dispatch writes: (stem, what a row is, columns).
pub(crate) const TABLES: &[(&str, &str, &[Column])] = &[
    (
        "dispatch",
        "one policy × one month, region-wide",
        &[
            ("policy", "`siloed` or `grid`"),
            (
                "month, date",
                "months since the start, and the month's first day",
            ),
        ],
    ),
    (
        "utilisation",
        "one policy × one cluster",
        &[
            ("policy", "`siloed` or `grid`"),
            ("cluster, operator, site, sku", "ids"),
            (
                "utilisation_p10, utilisation_p50, utilisation_p90",
                "GPU-hours used ÷ operational GPU-hours of the cluster over the horizon",
            ),
            (
                "stranded_gpu_hours_p10, …_p50, …_p90",
                "its stranded GPU-hours over the horizon",
            ),
            (
                "available_gpu_hours_p10, …_p50, …_p90",
                "its operational GPU-hours over the horizon",
            ),
        ],
    ),
    (
        "demand",
        "one policy × one inference demand or training campaign",
        &[
            ("policy", "`siloed` or `grid`"),
            (
                "demand, kind, tier",
                "demand id, `inference` or `training`, tier id",
            ),
            (
                "served_share_p10, …_p50, …_p90",
                "inference: share of tokens served; empty for training",
            ),
            (
                "runs_p50, runs_cancelled_p50",
                "training: runs arrived within the horizon, and those never started (P50)",
            ),
            (
                "queue_delay_days_mean_p10, …_p50, …_p90",
                "training: mean wait of started runs; empty if none started",
            ),
        ],
    ),
    (
        "sold",
        "one policy × one year of the horizon × one accelerator SKU: what the financial model sells",
        &[
            ("policy", "`siloed` or `grid`"),
            (
                "year, sku",
                "year of the horizon (0 = the first twelve months) and accelerator id",
            ),
            (
                "gpu_hours_p10, …_p50, …_p90",
                "GPU-hours used (training and inference)",
            ),
            ("tokens_p10, …_p50, …_p90", "output tokens served"),
        ],
    ),
    (
        "training_runs",
        "one policy × one training run of the representative replication",
        &[
            ("policy", "`siloed` or `grid`"),
            (
                "campaign, arrival_date, gpus",
                "campaign id, arrival, GPUs the run needs",
            ),
            (
                "start_date, end_date",
                "first start and completion; empty if not within the horizon",
            ),
            (
                "queue_delay_days",
                "days from arrival to first start; empty if it never started",
            ),
            ("site, architecture", "the block it ran on"),
        ],
    ),
];

/// Monthly series of the `dispatch` table.
pub(crate) const SERIES: &[Column] = &MONTH_SERIES;

/// The policies to dispatch: the scenario's (or the command line's), and the other one when comparing.
pub(crate) fn policies(scenario: &Scenario, compare: bool) -> Vec<Policy> {
    let first = scenario.dispatch.policy;
    let mut all = vec![first];
    if compare {
        all.extend(Policy::ALL.into_iter().filter(|p| *p != first));
    }
    all
}

/// Dispatches one replication under every setup.
pub(crate) fn outcomes(
    scenario: &Scenario,
    setups: &[Setup],
    replication: u64,
    r: &Replication,
) -> Vec<Outcome> {
    let draws = dispatch::draw(scenario, replication);
    setups
        .iter()
        .map(|s| dispatch::dispatch(scenario, s, &r.operational_gpu_hours, &draws))
        .collect()
}

fn put_q(m: &mut Map<String, Value>, key: &str, q: Option<[f64; 3]>) {
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        m.insert(
            format!("{key}_{label}"),
            q.map_or(Value::Null, |q| tidy(q[k]).into()),
        );
    }
}

fn policy_keys(m: &mut Map<String, Value>, scenario: &Scenario, p: &PolicySummary, suffix: &str) {
    for (name, _) in SCALARS {
        put_q(m, &format!("{name}{suffix}"), p.scalar(name));
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
pub(crate) fn summary(m: &mut Map<String, Value>, scenario: &Scenario, d: &DispatchSummary) {
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
pub(crate) fn monthly(scenario: &Scenario, d: &DispatchSummary) -> Table {
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
pub(crate) fn utilisation(scenario: &Scenario, d: &DispatchSummary) -> Table {
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
pub(crate) fn demand(scenario: &Scenario, d: &DispatchSummary) -> Table {
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
pub(crate) fn sold(scenario: &Scenario, d: &DispatchSummary) -> Table {
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
pub(crate) fn training_runs(scenario: &Scenario, outcomes: &[Outcome]) -> Table {
    let start = scenario.meta.start_date;
    let rows: Vec<(&Outcome, &dispatch::RunOutcome)> = outcomes
        .iter()
        .flat_map(|o| o.runs.iter().map(move |r| (o, r)))
        .collect();
    let date = |h: f64| SimTime(h.round() as i64).date(start).to_string();
    let place = |r: &dispatch::RunOutcome, f: &dyn Fn(&sovsim_core::model::Cluster) -> String| {
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

/// Human lines: utilisation, stranding and service per tier under each policy, and what pooling recovers.
pub(crate) fn human(scenario: &Scenario, d: &DispatchSummary) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let pct = |q: Option<[f64; 3]>| {
        q.map_or("—".to_owned(), |q| {
            format!(
                "{:.1} % ({:.1}–{:.1})",
                100.0 * q[1],
                100.0 * q[0],
                100.0 * q[2]
            )
        })
    };
    let _ = writeln!(s, "\nDispatch (P50, with P10 to P90)");
    for p in &d.policies {
        let _ = writeln!(
            s,
            "  {:<7} utilisation {}, stranded {} of GPU-hours",
            p.policy.name(),
            pct(p.scalar("utilisation_mean")),
            pct(p.scalar("stranded_gpu_hours_share")),
        );
        for (t, tier) in scenario.tiers.iter().enumerate() {
            if let Some(q) = p.served_share(t) {
                let _ = writeln!(
                    s,
                    "          {:<14} demand served {}",
                    tier.id,
                    pct(Some(q))
                );
            }
        }
        if let Some(q) = p.scalar("training_queue_delay_days_mean") {
            let cancelled = p.scalar("training_runs_cancelled").map_or(0.0, |q| q[1]);
            let _ = writeln!(
                s,
                "          training runs wait {:.0} days on average (P50; {:.0}–{:.0}), {cancelled:.0} never start",
                q[1], q[0], q[2]
            );
        }
    }
    if let Some((gpu_hours, share)) = d.recovered() {
        let _ = writeln!(
            s,
            "  The compute grid recovers {} GPU-hours (P50; {} to {}), {} of operational GPU-hours",
            count(gpu_hours[1]),
            count(gpu_hours[0]),
            count(gpu_hours[2]),
            pct(Some(share))
        );
    }
    s
}

/// A large count for people: `1.23 bn`, `45.6 M`, `7.8 k`.
fn count(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2} bn", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}
