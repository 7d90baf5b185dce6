//! The GPU facility: a delayed-draw term loan drawn as the initial build's GPUs are paid for, each
//! draw a loan of its own that converts at COD (or when drawn, after it) and is repaid by its
//! maturity a tenor after the draw — the hardware's life, not the programme's (CoreWeave's DDTL
//! 2.0: each draw matures five years after its drawdown). Repayments are sculpted to the contracts:
//! each draw's service follows the base case's contracted cash flow, period by period from COD,
//! within its own life, so that a contract ending before a draw's maturity repays it first.

use crate::model::Scenario;

/// The GPU facility's terms, from the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuTerms {
    /// Base + margin [fraction per year].
    pub rate: f64,
    /// Largest draw per euro of GPUs bought [fraction].
    pub advance_rate: f64,
    /// Years from each draw to its maturity.
    pub tenor_years: f64,
}

impl GpuTerms {
    /// The GPU facility of `scenario`, if it finances its GPUs apart.
    pub fn of(scenario: &Scenario) -> Option<GpuTerms> {
        let f = scenario.finance.as_ref()?;
        let g = f.gpu_facility.as_ref()?;
        Some(GpuTerms {
            rate: f.base_rate + g.margin,
            advance_rate: g.advance_rate,
            tenor_years: g.tenor_years,
        })
    }
}

/// Which limit sized the GPU facility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuBinding {
    /// The advance rate on the GPUs' cost.
    Advance,
    /// The contracted cash flows at the target DSCR.
    ContractCover,
}

impl GpuBinding {
    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            GpuBinding::Advance => "advance_rate",
            GpuBinding::ContractCover => "contract_cover",
        }
    }
}

/// The GPU facility as sized on the base case, carried unchanged by every case.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuTranche {
    /// Commitment [EUR]: the lower of the two limits.
    pub commitment_eur: f64,
    /// Advance rate × the base case's initial GPU capex [EUR].
    pub advance_cap_eur: f64,
    /// PV at the facility's rate of the contracted CFADS over its life ÷ the target DSCR [EUR].
    pub cover_cap_eur: f64,
    /// The limit that binds.
    pub binding: GpuBinding,
    /// Drawn per euro of initial GPU capex (the commitment over the base case's GPU capex).
    pub draw_share: f64,
    /// Periods from a draw to its maturity.
    pub tenor_periods: usize,
    /// Rate per period.
    pub rate_per_period: f64,
    /// The term sheet's repayment shape: the base case's contracted cash flow in each period after
    /// COD (index 0: the first), over one tenor [EUR]. A draw's service is proportional to it.
    pub profile: Vec<f64>,
}

impl GpuTranche {
    /// No GPU facility.
    pub fn none() -> Self {
        GpuTranche {
            commitment_eur: 0.0,
            advance_cap_eur: 0.0,
            cover_cap_eur: 0.0,
            binding: GpuBinding::Advance,
            draw_share: 0.0,
            tenor_periods: 0,
            rate_per_period: 0.0,
            profile: Vec::new(),
        }
    }
}

/// When a draw in `period`, maturing `tenor` periods after it, converts at `cod` and matures:
/// converted at COD (or when drawn, after it), and repaid by its maturity — at least one period
/// after conversion, for a construction longer than the tenor.
pub fn life(period: usize, tenor: usize, cod: usize) -> (usize, usize) {
    let converted = period.max(cod);
    (converted, (period + tenor.max(1)).max(converted + 1))
}

/// One draw of the GPU facility in one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Draw {
    /// Period drawn in.
    pub period: usize,
    /// Amount drawn [EUR].
    pub amount_eur: f64,
    /// Period at whose end it converted to amortisation (COD, or the draw itself after COD);
    /// `usize::MAX` until then.
    pub converted: usize,
    /// Last repayment period (possibly past the horizon).
    pub maturity: usize,
    /// Service due in each period after conversion, until maturity [EUR].
    pub service_eur: Vec<f64>,
    /// Outstanding [EUR].
    pub balance_eur: f64,
}

impl Draw {
    /// A draw of `amount` in `period`, maturing `tenor` periods after it.
    pub fn new(period: usize, amount: f64, tenor: usize) -> Draw {
        Draw {
            period,
            amount_eur: amount,
            converted: usize::MAX,
            maturity: period + tenor.max(1),
            service_eur: Vec::new(),
            balance_eur: amount,
        }
    }

    /// Converts at the end of period `at` (not before the draw): from then, service in proportion
    /// to `profile` (by period after conversion) until the maturity, scaled so that its present
    /// value at `rate` is the balance; level payments where the profile has nothing in the
    /// draw's life; in one payment the period after if the maturity has already come (a
    /// construction longer than the tenor).
    pub fn convert(&mut self, at: usize, rate: f64, profile: &[f64]) {
        (self.converted, self.maturity) = life(self.period, self.maturity - self.period, at);
        let k = self.maturity - self.converted;
        let mut shape: Vec<f64> = (0..k)
            .map(|j| profile.get(j).copied().unwrap_or(0.0).max(0.0))
            .collect();
        let pv = |shape: &[f64]| -> f64 {
            shape
                .iter()
                .enumerate()
                .map(|(j, s)| s / (1.0 + rate).powi(j as i32 + 1))
                .sum()
        };
        if pv(&shape) <= 0.0 {
            shape = vec![1.0; k];
        }
        let scale = self.balance_eur / pv(&shape);
        self.service_eur = shape.iter().map(|s| s * scale).collect();
    }

    /// Interest and principal due in period `p` at `rate`, the balance reduced by the principal.
    pub fn serve(&mut self, p: usize, rate: f64) -> (f64, f64) {
        if p <= self.converted || p > self.maturity {
            return (0.0, 0.0);
        }
        let interest = self.balance_eur * rate;
        let principal = if p == self.maturity {
            self.balance_eur
        } else {
            (self.service_at(p) - interest).min(self.balance_eur)
        };
        self.balance_eur -= principal;
        (interest, principal)
    }

    /// Adds its scheduled service to `per_period` (indexed by period; what falls past the end is
    /// not added).
    pub fn add_service(&self, per_period: &mut [f64]) {
        let from = self.converted.saturating_add(1);
        for (s, v) in per_period.iter_mut().skip(from).zip(&self.service_eur) {
            *s += v;
        }
    }

    /// The service it is scheduled to owe in period `q`.
    pub fn service_at(&self, q: usize) -> f64 {
        q.checked_sub(self.converted.saturating_add(1))
            .and_then(|j| self.service_eur.get(j))
            .copied()
            .unwrap_or(0.0)
    }
}
