//! The financing terms and the debt as a term sheet states it: commitment, repayment profile and
//! the periods that capitalise interest, carried unchanged by every replication.

use super::gpu::{GpuTerms, GpuTranche};
use crate::model::Scenario;

/// The financing terms, from the scenario (the FAST "inputs" of the financing).
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    /// Periods per year.
    pub periods_per_year: f64,
    /// Construction facility rate: base + margin [fraction per year].
    pub construction_rate: f64,
    /// Term loan rate: base + margin [fraction per year].
    pub term_rate: f64,
    /// DSCR the loan is sculpted to.
    pub target_dscr: f64,
    /// DSCR below which distributions are locked up.
    pub lockup_dscr: Option<f64>,
    /// DSCR the risk figures test: the default level, else the lock-up level, else 1.
    pub covenant_dscr: f64,
    /// Largest debt ÷ total uses.
    pub max_gearing: f64,
    /// Term loan tenor [years].
    pub tenor_years: f64,
    /// DSRA target [months of scheduled debt service].
    pub dsra_months: f64,
    /// Tax rate.
    pub tax_rate: f64,
    /// Arrangement fee [fraction of the commitment], paid at financial close (period 0).
    pub arrangement_fee: f64,
    /// Share of free cash that prepays debt.
    pub cash_sweep_share: f64,
    /// Discount rate of NPV and levelised costs [fraction per year].
    pub discount_rate: f64,
    /// Grants available [EUR].
    pub grants_eur: f64,
    /// Equity the sponsors committed [EUR], if stated.
    pub equity_committed_eur: Option<f64>,
    /// Share of the initial build's GPUs that must work for commercial operation.
    pub completion_share: f64,
    /// Whether each site is financed on its own or the programme as one.
    pub phasing: crate::model::Phasing,
    /// Months after the scheduled COD by which commercial operation must come; later, the loan
    /// converts at this date and the delay is an event of default.
    pub long_stop_months: f64,
    /// The GPU facility's terms, if the GPUs are financed apart.
    pub gpu: Option<GpuTerms>,
}

impl Terms {
    /// The terms of `scenario`, if it has a finance section.
    pub fn of(scenario: &Scenario) -> Option<Terms> {
        let f = scenario.finance.as_ref()?;
        Some(Terms {
            periods_per_year: 12.0 / scenario.meta.period_months as f64,
            construction_rate: f.base_rate + f.construction_margin,
            term_rate: f.base_rate + f.term_margin,
            target_dscr: f.target_dscr,
            lockup_dscr: f.lockup_dscr,
            covenant_dscr: f.default_dscr.or(f.lockup_dscr).unwrap_or(1.0),
            max_gearing: f.max_gearing,
            tenor_years: f.tenor_years as f64,
            dsra_months: f.dsra_months as f64,
            tax_rate: f.tax_rate,
            arrangement_fee: f.arrangement_fee,
            cash_sweep_share: f.cash_sweep_share,
            discount_rate: scenario.meta.discount_rate,
            grants_eur: f.grants.0,
            equity_committed_eur: f.equity.map(|e| e.0),
            completion_share: f.completion_share,
            phasing: f.phasing,
            long_stop_months: f.long_stop_months,
            gpu: GpuTerms::of(scenario),
        })
    }

    pub(super) fn term_rate_per_period(&self) -> f64 {
        self.term_rate / self.periods_per_year
    }

    pub(super) fn construction_rate_per_period(&self) -> f64 {
        self.construction_rate / self.periods_per_year
    }
}

/// Which limit sized the debt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// CFADS at the target DSCR.
    Sculpting,
    /// Maximum gearing.
    Gearing,
}

impl Binding {
    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Binding::Sculpting => "sculpting",
            Binding::Gearing => "gearing",
        }
    }
}

/// The debt as sized on the base case, applied unchanged to every replication: the
/// infrastructure facility (a construction loan converting to a sculpted term loan; with no GPU
/// facility, it finances everything) and the GPU facility.
#[derive(Clone, Debug, PartialEq)]
pub struct Debt {
    /// Infrastructure facility commitment [EUR].
    pub commitment_eur: f64,
    /// Debt the base case's CFADS supports at the target DSCR [EUR].
    pub sculpted_eur: f64,
    /// Max gearing × the external funding need (debt, equity and grants) [EUR].
    pub gearing_cap_eur: f64,
    /// The limit that binds.
    pub binding: Binding,
    /// Share of each construction funding need (after grants) the facility pays.
    pub debt_share: f64,
    /// The scheduled COD: the base case's last construction period (COD at its end).
    pub construction_end: usize,
    /// The long-stop: the last period COD may come in; later, the loan converts there anyway.
    pub long_stop: usize,
    /// Repayment periods after COD (the tenor, clipped to the base case's horizon).
    pub tenor_periods: usize,
    /// The scheduled maturity: the base case's last repayment period.
    pub maturity: usize,
    /// Per period after COD (index 0: the first): scheduled principal as a share of the balance
    /// converted at COD (negative: interest capitalised) — the term sheet's profile, which runs
    /// from each case's actual COD.
    pub repayment: Vec<f64>,
    /// Per period after COD: whether the base case's CFADS was not positive, so that the term
    /// sheet capitalises whatever interest accrues and no debt service falls due.
    pub capitalising: Vec<bool>,
    /// Sizing iterations.
    pub iterations: u32,
    /// Whether sizing reached its fixed point.
    pub converged: bool,
    /// The GPU facility (commitment 0 when there is none).
    pub gpu: GpuTranche,
}

impl Debt {
    /// No debt: everything funded by grants and equity.
    pub fn none(construction_end: usize) -> Self {
        Debt {
            commitment_eur: 0.0,
            sculpted_eur: 0.0,
            gearing_cap_eur: 0.0,
            binding: Binding::Gearing,
            debt_share: 0.0,
            construction_end,
            long_stop: construction_end,
            tenor_periods: 0,
            maturity: construction_end,
            repayment: Vec::new(),
            capitalising: Vec::new(),
            iterations: 0,
            converged: true,
            gpu: GpuTranche::none(),
        }
    }

    /// Every tranche's commitment [EUR].
    pub fn total_commitment_eur(&self) -> f64 {
        self.commitment_eur + self.gpu.commitment_eur
    }

    /// The term loan of a case whose commercial operation came at the end of period `cod`
    /// (`None`: not within the horizon), over `periods` periods: the actual COD (at the long-stop
    /// at the latest), the maturity, and whether the long-stop was passed.
    pub fn schedule(&self, cod: Option<usize>, periods: usize) -> Schedule {
        let last = periods.saturating_sub(1);
        let (cod, long_stop_passed) = match cod {
            Some(c) if c <= self.long_stop => (c, false),
            _ => (self.long_stop.min(last), true),
        };
        // A maturity past the horizon stays there: what is outstanding at the horizon is settled
        // from the terminal value, not called as a balloon in the last period.
        Schedule {
            cod,
            maturity: cod + self.tenor_periods,
            long_stop_passed,
        }
    }

    /// Principal due in period `p` as a share of the balance converted, on `schedule`.
    pub fn repayment_at(&self, schedule: &Schedule, p: usize) -> f64 {
        p.checked_sub(schedule.cod + 1)
            .and_then(|k| self.repayment.get(k))
            .copied()
            .unwrap_or(0.0)
    }

    /// Whether period `p` capitalises its interest on `schedule`.
    pub fn capitalising_at(&self, schedule: &Schedule, p: usize) -> bool {
        p.checked_sub(schedule.cod + 1)
            .and_then(|k| self.capitalising.get(k))
            .copied()
            .unwrap_or(false)
    }

    /// Scheduled debt service per period for one euro converted at COD, with the balance left
    /// after each period (the unit profile), on `schedule` over `periods` periods.
    pub(super) fn unit_profile(
        &self,
        schedule: &Schedule,
        periods: usize,
        rate: f64,
    ) -> (Vec<f64>, Vec<f64>) {
        let mut service = vec![0.0; periods];
        let mut left = vec![0.0; periods];
        let mut balance = 1.0;
        for p in schedule.cod + 1..periods.min(schedule.maturity + 1) {
            let repaid = if p == schedule.maturity {
                balance
            } else {
                self.repayment_at(schedule, p)
            };
            let interest = balance * rate;
            service[p] = interest + repaid;
            balance -= repaid;
            left[p] = balance;
        }
        (service, left)
    }
}

/// When one case's term loan runs: its actual COD and maturity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The period at whose end the loan converted (commercial operation, or the long-stop).
    pub cod: usize,
    /// The last repayment period (possibly past the horizon).
    pub maturity: usize,
    /// Whether commercial operation came after the long-stop (or not at all): an event of default.
    pub long_stop_passed: bool,
}
