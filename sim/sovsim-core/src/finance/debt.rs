//! The financing terms and the debt: sized once on the base case (sculpted to the target DSCR,
//! capped by gearing, iterated to a fixed point) and carried unchanged by every replication.

use super::inputs::Inputs;
use super::waterfall::run;
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

/// The debt as sized on the base case, applied unchanged to every replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Debt {
    /// Facility commitment [EUR].
    pub commitment_eur: f64,
    /// Debt the base case's CFADS supports at the target DSCR [EUR].
    pub sculpted_eur: f64,
    /// Max gearing × total uses [EUR].
    pub gearing_cap_eur: f64,
    /// The limit that binds.
    pub binding: Binding,
    /// Share of each construction funding need (after grants) the facility pays.
    pub debt_share: f64,
    /// Last construction period (COD at its end).
    pub construction_end: usize,
    /// Last repayment period.
    pub maturity: usize,
    /// Per period: scheduled principal as a share of the balance converted at COD (negative:
    /// interest capitalised in a period whose base-case CFADS was not positive).
    pub repayment: Vec<f64>,
    /// Per period: whether the base case's CFADS was not positive, so that the term sheet
    /// capitalises whatever interest accrues and no debt service falls due.
    pub capitalising: Vec<bool>,
    /// Sizing iterations.
    pub iterations: u32,
    /// Whether sizing reached its fixed point.
    pub converged: bool,
}

impl Debt {
    /// No debt: everything funded by grants and equity.
    pub fn none(periods: usize, construction_end: usize) -> Self {
        Debt {
            commitment_eur: 0.0,
            sculpted_eur: 0.0,
            gearing_cap_eur: 0.0,
            binding: Binding::Gearing,
            debt_share: 0.0,
            construction_end,
            maturity: construction_end,
            repayment: vec![0.0; periods],
            capitalising: vec![false; periods],
            iterations: 0,
            converged: true,
        }
    }

    /// Scheduled debt service per period for one euro converted at COD, with the balance left
    /// after each period (the unit profile).
    pub(super) fn unit_profile(&self, rate: f64) -> (Vec<f64>, Vec<f64>) {
        let n = self.repayment.len();
        let mut service = vec![0.0; n];
        let mut left = vec![0.0; n];
        let mut balance = 1.0;
        for p in self.construction_end + 1..n.min(self.maturity + 1) {
            let interest = balance * rate;
            service[p] = interest + self.repayment[p];
            balance -= self.repayment[p];
            left[p] = balance;
        }
        (service, left)
    }
}

/// Sizes the debt on `base` (the base-case inputs): sculpted to the target DSCR, capped by gearing.
pub fn size(base: &Inputs, terms: &Terms) -> Debt {
    const MAX_ITERATIONS: u32 = 200;
    let n = base.periods();
    let cod = base.construction_end();
    let per_year = terms.periods_per_year;
    let maturity = (cod + (terms.tenor_years * per_year).round() as usize).min(n.saturating_sub(1));
    let rate = terms.term_rate_per_period();
    let mut debt = Debt::none(n, cod);
    debt.maturity = maturity;
    if terms.max_gearing <= 0.0 || maturity <= cod {
        // No tenor within the horizon, or no debt allowed.
        return debt;
    }
    for iteration in 1..=MAX_ITERATIONS {
        let flows = run(base, terms, &debt);
        let cfads_pv: f64 = (cod + 1..=maturity)
            .map(|p| flows.rows[p].cfads_eur.max(0.0) / (1.0 + rate).powi((p - cod) as i32))
            .sum();
        let sculpted = cfads_pv / terms.target_dscr;
        let cap = terms.max_gearing * flows.uses.total();
        let (amount, binding) = if sculpted <= cap {
            (sculpted, Binding::Sculpting)
        } else {
            (cap, Binding::Gearing)
        };
        let mut repayment = vec![0.0; n];
        let capitalising: Vec<bool> = (0..n)
            .map(|p| p > cod && p < maturity && flows.rows[p].cfads_eur <= 0.0)
            .collect();
        if amount > 0.0 && cfads_pv > 0.0 {
            // Debt service ∝ CFADS, scaled so that its PV at the loan rate is the debt.
            let mut balance = 1.0;
            for (p, r) in repayment
                .iter_mut()
                .enumerate()
                .take(maturity + 1)
                .skip(cod + 1)
            {
                let service = flows.rows[p].cfads_eur.max(0.0) / cfads_pv;
                *r = service - balance * rate;
                balance -= *r;
            }
        }
        let need = flows.funding_need_after_grants_eur;
        let share = if need > 0.0 {
            (amount / need).min(1.0)
        } else {
            0.0
        };
        let tolerance = 1e-9 * amount.max(1.0);
        let converged = (amount - debt.commitment_eur).abs() <= tolerance
            && (share - debt.debt_share).abs() <= 1e-10;
        debt = Debt {
            commitment_eur: amount,
            sculpted_eur: sculpted,
            gearing_cap_eur: cap,
            binding,
            debt_share: share,
            construction_end: cod,
            maturity,
            repayment,
            capitalising,
            iterations: iteration,
            converged,
        };
        if converged {
            break;
        }
    }
    debt
}
