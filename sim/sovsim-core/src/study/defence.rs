//! The inference defence side by side: for each screening proxy and tier it screens, what running
//! it per provider and as a shared service costs (GPU-hours, €, latency, the service's GPUs) and
//! what each lets through (tokens served, blocked, leaked to attackers) — over replications,
//! P10/P50/P90.
//!
//! The dispatch runs the way the scenario states; the other way is worked out from the same
//! replication: of the demand asked, its proxy blocks a different share of the attack traffic,
//! and what it lets through is served at the same rate (served ÷ let through) the dispatch
//! achieved, with screening GPU-hours in proportion to the tokens served. The capacity a
//! difference in blocking would free is not re-dispatched.

use crate::dispatch::Outcome;
use crate::engine::quantiles::Quantiles;
use crate::engine::time::SimTime;
use crate::model::{Scenario, Sharing, TierId};

/// The figures of one defence, tier and way of running it, in output order.
pub const DEFENCE_FIGURES: [(&str, &str, &str); 8] = [
    (
        "tokens_asked",
        "tokens",
        "inference tokens the tier's demand asked for, attack traffic included, before the proxy",
    ),
    (
        "tokens_blocked_attack",
        "tokens",
        "attack tokens the proxy blocked: detected campaigns after the detection lag",
    ),
    (
        "tokens_blocked_legit",
        "tokens",
        "legitimate tokens the proxy blocked (false blocks)",
    ),
    (
        "tokens_served",
        "tokens",
        "tokens served after the proxy, attack tokens it missed included",
    ),
    (
        "tokens_leaked",
        "tokens",
        "attack tokens served: what the campaigns extracted",
    ),
    (
        "screening_gpu_hours",
        "GPU-hours",
        "GPU-hours the screening took, within those serving the tier",
    ),
    (
        "screening_eur",
        "EUR",
        "those GPU-hours at each serving cluster's market GPU-hour price that month (their revenue forgone); empty without `[finance]`",
    ),
    (
        "service_gpus",
        "GPUs",
        "GPUs the screening keeps busy in its busiest month (screening GPU-hours ÷ hours): the shared service's capacity, or all providers' together",
    ),
];

/// One replication's figures for every (defence, tier) row, each way of running it
/// (`Sharing::ALL` order); `screening_eur` is NaN without prices.
pub type DefencePoint = Vec<[[f64; DEFENCE_FIGURES.len()]; 2]>;

/// The (defence, tier) rows of `scenario`, in file order.
pub fn rows(scenario: &Scenario) -> Vec<(usize, TierId)> {
    scenario
        .defences
        .iter()
        .enumerate()
        .flat_map(|(f, d)| d.tiers.iter().map(move |t| (f, *t)))
        .collect()
}

/// The figures of one replication's dispatch `outcome`; `gpu_hour_eur` (per month, per SKU) values
/// screening GPU-hours.
pub fn point(
    scenario: &Scenario,
    outcome: &Outcome,
    gpu_hour_eur: Option<&[Vec<f64>]>,
) -> DefencePoint {
    let clusters = scenario.clusters.len();
    let months = outcome.screening_gpu_hours.len();
    let month_hours = |m: usize| {
        (SimTime::ZERO.after_months((m + 1) as f64).0 - SimTime::ZERO.after_months(m as f64).0)
            as f64
    };
    rows(scenario)
        .into_iter()
        .map(|(f, tier)| {
            let defence = &scenario.defences[f];
            let demands: Vec<usize> = (0..scenario.inference.len())
                .filter(|&i| scenario.inference[i].tier == tier)
                .collect();
            // Per replication, as run.
            let mut asked = 0.0;
            let mut passed = 0.0;
            let mut served = 0.0;
            let mut screening = 0.0;
            for &i in &demands {
                let s = &outcome.screened[i];
                let (let_through, done) = outcome.demand_tokens[i];
                asked += let_through + s.blocked_attack_tokens + s.blocked_legit_tokens;
                passed += let_through;
                served += done;
                screening += s.screening_gpu_hours;
            }
            let eur = gpu_hour_eur.map(|prices| {
                let mut eur = 0.0;
                for (m, hours) in outcome.screening_gpu_hours.iter().enumerate() {
                    for &i in &demands {
                        for c in 0..clusters {
                            let h = hours[i * clusters + c];
                            if h > 0.0 {
                                eur += h * prices[m][scenario.clusters[c].sku.index()];
                            }
                        }
                    }
                }
                eur
            });
            let peak = (0..months)
                .map(|m| {
                    let hours = &outcome.screening_gpu_hours[m];
                    let h: f64 = demands
                        .iter()
                        .flat_map(|&i| &hours[i * clusters..(i + 1) * clusters])
                        .sum();
                    h / month_hours(m)
                })
                .fold(0.0, f64::max);
            let rate = if passed > 0.0 { served / passed } else { 0.0 };
            Sharing::ALL.map(|sharing| {
                let a = defence.attack_share;
                let served_o = asked * defence.passed(sharing) * rate;
                // Screening scales with the tokens served, as does its cost and busiest month.
                let scale = if served > 0.0 { served_o / served } else { 0.0 };
                [
                    asked,
                    asked * a * defence.attack_blocked(sharing),
                    asked * (1.0 - a) * defence.false_block_rate,
                    served_o,
                    served_o * defence.leaked_of_passed(sharing),
                    screening * scale,
                    eur.map_or(f64::NAN, |e| e * scale),
                    peak * scale,
                ]
            })
        })
        .collect()
}

/// The defence over replications.
#[derive(Clone, Debug, Default)]
pub struct DefenceSummary {
    /// Per row, per way of running it, per figure.
    cells: Vec<[[Quantiles; DEFENCE_FIGURES.len()]; 2]>,
    /// Per way of running it, per figure: the sum over rows of each replication.
    totals: [[Quantiles; DEFENCE_FIGURES.len()]; 2],
    priced: bool,
}

impl DefenceSummary {
    /// Adds one replication.
    pub fn add(&mut self, point: &DefencePoint) {
        if self.cells.is_empty() {
            self.cells = vec![Default::default(); point.len()];
            self.priced = point.iter().all(|r| r.iter().all(|o| !o[6].is_nan()));
        }
        for (cells, row) in self.cells.iter_mut().zip(point) {
            for (q, values) in cells.iter_mut().zip(row) {
                for (q, v) in q.iter_mut().zip(values) {
                    q.add(*v);
                }
            }
        }
        for (o, totals) in self.totals.iter_mut().enumerate() {
            for (k, q) in totals.iter_mut().enumerate() {
                q.add(point.iter().map(|row| row[o][k]).sum());
            }
        }
    }

    /// P10/P50/P90 over replications of figure `figure` summed over every row, run `sharing`'s way.
    pub fn total(&self, sharing: Sharing, figure: usize) -> [f64; 3] {
        let o = Sharing::ALL.iter().position(|s| *s == sharing).unwrap_or(0);
        self.totals[o][figure].get()
    }

    /// Rows tabled.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether any replication was added (the scenario screens some demand).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Whether screening is valued in euros (the scenario has `[finance]`).
    pub fn priced(&self) -> bool {
        self.priced
    }

    /// P10/P50/P90 of figure `figure` of row `row` run `sharing`'s way.
    pub fn cell(&self, row: usize, sharing: Sharing, figure: usize) -> [f64; 3] {
        let o = Sharing::ALL.iter().position(|s| *s == sharing).unwrap_or(0);
        self.cells[row][o][figure].get()
    }
}
