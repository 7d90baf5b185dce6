//! The financing terms and the debt as a term sheet states it: commitment, repayment profile and
//! the periods that capitalise interest, carried unchanged by every replication.

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
