//! The financial model over replications: P10/P50/P90 of every headline figure, the probability that
//! the minimum DSCR breaks the covenant, and how many replications failed a check.

use super::{CHECKS, Metrics};
use crate::engine::quantiles::Quantiles;

/// Per-replication figures: (name, meaning), in `Metrics::values` order.
pub const FIGURES: [(&str, &str); 12] = [
    (
        "capex_total_eur",
        "capital expenditure over the horizon [EUR]",
    ),
    (
        "npv_eur",
        "NPV of post-tax unlevered project cash flows at the scenario discount rate [EUR]",
    ),
    (
        "project_irr",
        "project IRR, post-tax, unlevered [fraction per year]",
    ),
    ("equity_irr", "equity IRR, post-tax [fraction per year]"),
    ("dscr_min", "smallest DSCR over the loan life"),
    ("dscr_avg", "mean DSCR over the loan life"),
    ("llcr_min", "smallest LLCR over the loan life"),
    ("debt_eur", "senior debt at COD (drawn, IDC included) [EUR]"),
    (
        "equity_eur",
        "equity paid in, sponsor injections included [EUR]",
    ),
    (
        "payback_years",
        "years until cumulative project cash flow turns non-negative",
    ),
    (
        "lcoc_eur_per_gpu_hour",
        "levelised cost of compute: PV(capex + opex − terminal value) ÷ PV(operational GPU-hours) [EUR/GPU-hour]",
    ),
    (
        "cost_eur_per_mtok",
        "levelised cost of a million output tokens at the fleet's serving rate [EUR/Mtok]",
    ),
];

impl Metrics {
    /// The figures in `FIGURES` order (`None` where undefined, e.g. no IRR).
    pub fn values(&self) -> [Option<f64>; FIGURES.len()] {
        [
            Some(self.capex_total_eur),
            Some(self.npv_eur),
            self.project_irr,
            self.equity_irr,
            self.dscr_min,
            self.dscr_avg,
            self.llcr_min,
            Some(self.debt_eur),
            Some(self.equity_eur),
            self.payback_years,
            self.lcoc_eur_per_gpu_hour,
            self.cost_eur_per_mtok,
        ]
    }
}

/// A figure of [`FIGURES`], by name: a typo is a compile error, not a figure printed as missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figure(usize);

impl Figure {
    /// `capex_total_eur`.
    pub const CAPEX_TOTAL_EUR: Figure = Figure(0);
    /// `npv_eur`.
    pub const NPV_EUR: Figure = Figure(1);
    /// `project_irr`.
    pub const PROJECT_IRR: Figure = Figure(2);
    /// `equity_irr`.
    pub const EQUITY_IRR: Figure = Figure(3);
    /// `dscr_min`.
    pub const DSCR_MIN: Figure = Figure(4);

    /// Every figure, in [`FIGURES`] order.
    pub fn all() -> impl Iterator<Item = Figure> {
        (0..FIGURES.len()).map(Figure)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        FIGURES[self.0].0
    }
}

/// Sketches of the financial figures over replications.
#[derive(Clone, Debug, Default)]
pub struct FinanceSummary {
    figures: Vec<Quantiles>,
    /// Replications seen.
    pub runs: u64,
    /// Replications whose minimum DSCR fell below the covenant.
    pub covenant_breaches: u64,
    /// Replications whose commercial operation came after the long-stop.
    pub long_stop_breaches: u64,
    /// Per check: replications that failed it.
    pub check_failures: [u64; CHECKS.len()],
    /// Replications failing at least one check.
    pub replications_failing_a_check: u64,
    /// Every replication's figures, in replication order (`FIGURES` order): the risk histograms.
    /// One row of 12 numbers per replication is the only record that grows with the run.
    pub per_replication: Vec<[Option<f64>; FIGURES.len()]>,
    /// Per phase (financing order): the minimum DSCR over replications, and how many replications
    /// breached the covenant and the long-stop.
    pub phases: Vec<PhaseRisk>,
}

/// One phase's risk over replications.
#[derive(Clone, Debug, Default)]
pub struct PhaseRisk {
    /// Minimum DSCR of each replication that owes service.
    pub dscr_min: Quantiles,
    /// Replications whose minimum DSCR fell below the covenant.
    pub covenant_breaches: u64,
    /// Replications whose COD came after the long-stop.
    pub long_stop_breaches: u64,
}

impl FinanceSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self {
            figures: vec![Quantiles::default(); FIGURES.len()],
            ..Self::default()
        }
    }

    /// Adds one replication's figures, the programme's and its phases'.
    pub fn add(&mut self, m: &Metrics, phases: &[Metrics]) {
        if self.phases.len() < phases.len() {
            self.phases.resize(phases.len(), PhaseRisk::default());
        }
        for (risk, p) in self.phases.iter_mut().zip(phases) {
            if let Some(d) = p.dscr_min.filter(|d| d.is_finite()) {
                risk.dscr_min.add(d);
            }
            risk.covenant_breaches += u64::from(p.covenant_breached);
            risk.long_stop_breaches += u64::from(p.long_stop_passed);
        }
        self.runs += 1;
        let values = m.values();
        self.per_replication.push(values);
        for (sketch, v) in self.figures.iter_mut().zip(values) {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                sketch.add(v);
            }
        }
        self.covenant_breaches += u64::from(m.covenant_breached);
        self.long_stop_breaches += u64::from(m.long_stop_passed);
        for (count, ok) in self.check_failures.iter_mut().zip(m.checks) {
            *count += u64::from(!ok);
        }
        self.replications_failing_a_check += u64::from(!m.all_checks_pass());
    }

    /// P10/P50/P90 of `figure` (over the replications where it exists).
    pub fn quantiles(&self, figure: Figure) -> [Option<f64>; 3] {
        self.figures[figure.0].quantiles([0.1, 0.5, 0.9])
    }

    /// Share of replications whose minimum DSCR fell below the covenant.
    pub fn covenant_breach_probability(&self) -> Option<f64> {
        (self.runs > 0).then(|| self.covenant_breaches as f64 / self.runs as f64)
    }

    /// Share of replications whose commercial operation came after the long-stop.
    pub fn long_stop_breach_probability(&self) -> Option<f64> {
        (self.runs > 0).then(|| self.long_stop_breaches as f64 / self.runs as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::Figure;
    use crate::dispatch::summary::Scalar;

    #[test]
    fn named_figures_and_scalars_are_the_ones_their_names_say() {
        let figures = [
            (Figure::CAPEX_TOTAL_EUR, "capex_total_eur"),
            (Figure::NPV_EUR, "npv_eur"),
            (Figure::PROJECT_IRR, "project_irr"),
            (Figure::EQUITY_IRR, "equity_irr"),
            (Figure::DSCR_MIN, "dscr_min"),
        ];
        for (f, name) in figures {
            assert_eq!(f.name(), name);
        }
        let scalars = [
            (Scalar::UTILISATION_MEAN, "utilisation_mean"),
            (Scalar::STRANDED_GPU_HOURS_SHARE, "stranded_gpu_hours_share"),
            (
                Scalar::TRAINING_QUEUE_DELAY_DAYS_MEAN,
                "training_queue_delay_days_mean",
            ),
            (Scalar::TRAINING_RUNS_CANCELLED, "training_runs_cancelled"),
        ];
        for (s, name) in scalars {
            assert_eq!(s.name(), name);
        }
    }
}
