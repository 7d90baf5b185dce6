//! What reinvestment rules did in one replication, and the flywheel side by side: per year, the GPUs working and the revenue of each replication with
//! its reinvestment rules and without them (the same replication, nothing reinvested), and what
//! was reinvested — over replications, P10/P50/P90.

use crate::engine::buildout::Produced;
use crate::engine::quantiles::Quantiles;
use crate::engine::time::SimTime;
use crate::finance::Inputs;
use crate::model::{ClusterId, Scenario};

/// An order a reinvestment rule placed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReinvestmentOrder {
    /// Month boundary it was placed at (months from the start).
    pub month: usize,
    /// The rule (index in [`Scenario::reinvestments`]).
    pub rule: usize,
    /// The cluster the GPUs go to.
    pub cluster: ClusterId,
    /// GPUs ordered.
    pub gpus: u64,
    /// What they cost: GPUs × the cluster's price per GPU [EUR].
    pub eur: f64,
}

/// What one replication's reinvestment rules did (empty without rules).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reinvested {
    /// Every order, in the order placed.
    pub orders: Vec<ReinvestmentOrder>,
    /// Per rule, per financial period decided on (every period ending before the horizon): the
    /// basis the share was taken of [EUR].
    pub basis_eur: Vec<Vec<f64>>,
    /// Per rule: set aside over the horizon [EUR] (while its halls had room for an order).
    pub set_aside_eur: Vec<f64>,
    /// Per rule: set aside and not spent at the horizon [EUR].
    pub unspent_eur: Vec<f64>,
}

/// The figures of [`Flywheel`], per year.
pub const FLYWHEEL_FIGURES: [(&str, &str, &str); 5] = [
    (
        "gpus_with",
        "GPUs",
        "GPUs working on average over the year (operational GPU-hours ÷ hours), with reinvestment",
    ),
    ("gpus_without", "GPUs", "the same, without reinvestment"),
    (
        "revenue_with_eur",
        "EUR",
        "revenue of the year (contracts, merchant, tokens, resale), with reinvestment",
    ),
    (
        "revenue_without_eur",
        "EUR",
        "the same, without reinvestment",
    ),
    (
        "reinvested_eur",
        "EUR",
        "GPUs ordered by the reinvestment rules in the year × their price",
    ),
];

/// One replication with and without its reinvestment rules, per year: each of
/// [`FLYWHEEL_FIGURES`].
#[derive(Clone, Debug, PartialEq)]
pub struct Flywheel {
    /// Per figure, per year.
    pub years: [Vec<f64>; FLYWHEEL_FIGURES.len()],
    /// GPUs ordered over the horizon.
    pub gpus_ordered: u64,
    /// Set aside and not spent at the horizon [EUR].
    pub unspent_eur: f64,
}

impl Flywheel {
    /// The flywheel of one replication: `with` and `without` what the replication produced with
    /// its rules and without, and their financial inputs (the programme's); `reinvested`, what the
    /// rules did.
    pub fn of(
        scenario: &Scenario,
        with: (Produced, &Inputs),
        without: (Produced, &Inputs),
        reinvested: &Reinvested,
    ) -> Flywheel {
        let months = scenario.meta.horizon_years as usize * 12;
        let years = months.div_ceil(12);
        let gpus = |p: &Produced| -> Vec<f64> {
            (0..years)
                .map(|y| {
                    let (a, b) = (y * 12, ((y + 1) * 12).min(months));
                    let hours = (SimTime::ZERO.after_months(b as f64).0
                        - SimTime::ZERO.after_months(a as f64).0)
                        as f64;
                    let used: f64 = p.operational_gpu_hours[b]
                        .iter()
                        .zip(&p.operational_gpu_hours[a])
                        .map(|(x, y)| x - y)
                        .sum();
                    used / hours
                })
                .collect()
        };
        let revenue = |inputs: &Inputs| -> Vec<f64> {
            let pm = inputs.period_months as usize;
            let mut out = vec![0.0; years];
            for p in 0..inputs.periods() {
                out[(p * pm / 12).min(years - 1)] += inputs.revenue(p);
            }
            out
        };
        let mut reinvested_eur = vec![0.0; years];
        for o in &reinvested.orders {
            reinvested_eur[(o.month / 12).min(years - 1)] += o.eur;
        }
        Flywheel {
            years: [
                gpus(&with.0),
                gpus(&without.0),
                revenue(with.1),
                revenue(without.1),
                reinvested_eur,
            ],
            gpus_ordered: reinvested.orders.iter().map(|o| o.gpus).sum(),
            unspent_eur: reinvested.unspent_eur.iter().sum(),
        }
    }
}

/// The flywheel over replications.
#[derive(Clone, Debug, Default)]
pub struct FlywheelSummary {
    /// Per figure, per year.
    cells: Vec<Vec<Quantiles>>,
    /// Per replication: reinvested [EUR], GPUs ordered, unspent [EUR], revenue with − without
    /// over the horizon [EUR].
    totals: [Quantiles; 4],
    replications: u64,
}

impl FlywheelSummary {
    /// Adds one replication.
    pub fn add(&mut self, f: &Flywheel) {
        if self.cells.is_empty() {
            self.cells = f
                .years
                .iter()
                .map(|y| vec![Quantiles::default(); y.len()])
                .collect();
        }
        for (cells, values) in self.cells.iter_mut().zip(&f.years) {
            for (q, v) in cells.iter_mut().zip(values) {
                q.add(*v);
            }
        }
        let [_, _, with, without, reinvested] = &f.years;
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        self.totals[0].add(sum(reinvested));
        self.totals[1].add(f.gpus_ordered as f64);
        self.totals[2].add(f.unspent_eur);
        self.totals[3].add(sum(with) - sum(without));
        self.replications += 1;
    }

    /// Whether any replication was added (the scenario has reinvestment rules).
    pub fn is_empty(&self) -> bool {
        self.replications == 0
    }

    /// Years of the horizon.
    pub fn years(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }

    /// P10/P50/P90 of figure `figure` (in [`FLYWHEEL_FIGURES`] order) in year `year`.
    pub fn cell(&self, figure: usize, year: usize) -> [f64; 3] {
        self.cells[figure][year].get()
    }

    /// P10/P50/P90 over the horizon of: reinvested [EUR], GPUs ordered, set aside and unspent at
    /// the horizon [EUR], and revenue with reinvestment less without [EUR].
    pub fn totals(&self) -> [[f64; 3]; 4] {
        self.totals.clone().map(|q| q.get())
    }
}
