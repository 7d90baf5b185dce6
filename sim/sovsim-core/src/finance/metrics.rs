//! The figures lenders read off a waterfall: IRRs, NPV, payback, coverage, levelised cost of
//! compute, the accounting checks.

use super::debt::{Debt, Terms};
use super::inputs::Inputs;
use super::waterfall::Cashflows;

/// The internal rate of return of `flows` (one per period, at period ends), per period, if the
/// flows change sign: the lowest root above −50 % a period, bracketed on a grid and bisected to
/// machine precision.
///
/// Why the lowest: flows that change sign more than once have several roots. A prepayment received
/// before construction (an inflow, then capex, then revenue) adds a root at an absurd rate, where
/// the discounting has erased everything but the first inflow; the lowest root is the return on
/// the money the project actually puts at risk, and for ordinary flows (one change of sign) it is
/// the only one.
pub fn irr_per_period(flows: &[f64]) -> Option<f64> {
    let npv = |r: f64| -> f64 {
        let mut df = 1.0;
        let mut sum = 0.0;
        for &cf in flows {
            df /= 1.0 + r;
            sum += cf * df;
        }
        sum
    };
    // −50 % a period is the floor: lower rates would overflow the discount factors of long series.
    // The grid is fine where returns live (1 % a period up to 100 %), then doubles up to 10⁶.
    let mut lo = -0.5;
    let mut f_lo = npv(lo);
    let (mut hi, mut f_hi) = (lo, f_lo);
    let mut found = false;
    while hi < 1e6 {
        hi = if hi < 1.0 { hi + 0.01 } else { hi * 2.0 };
        f_hi = npv(hi);
        if f_hi == 0.0 {
            return Some(hi);
        }
        if f_lo.signum() != f_hi.signum() {
            found = true;
            break;
        }
        (lo, f_lo) = (hi, f_hi);
    }
    if !found || !f_lo.is_finite() || !f_hi.is_finite() {
        return None;
    }
    for _ in 0..400 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let f = npv(mid);
        if f == 0.0 {
            return Some(mid);
        }
        if f.signum() == f_lo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Net present value at `annual_rate` of per-period `flows` at period ends.
pub fn npv(flows: &[f64], annual_rate: f64, periods_per_year: f64) -> f64 {
    flows
        .iter()
        .enumerate()
        .map(|(p, cf)| cf / (1.0 + annual_rate).powf((p + 1) as f64 / periods_per_year))
        .sum()
}

/// The headline figures of one run of the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Capex over the horizon [EUR].
    pub capex_total_eur: f64,
    /// NPV of the project cash flows at the discount rate [EUR].
    pub npv_eur: f64,
    /// Project IRR (post-tax, unlevered) [fraction per year].
    pub project_irr: Option<f64>,
    /// Equity IRR (post-tax) [fraction per year].
    pub equity_irr: Option<f64>,
    /// Smallest DSCR over the loan life.
    pub dscr_min: Option<f64>,
    /// Mean DSCR over the loan life.
    pub dscr_avg: Option<f64>,
    /// Smallest LLCR.
    pub llcr_min: Option<f64>,
    /// Debt converted at COD [EUR].
    pub debt_eur: f64,
    /// Equity paid in, injections included [EUR].
    pub equity_eur: f64,
    /// Years from the start until cumulative project cash flow turns non-negative for good.
    pub payback_years: Option<f64>,
    /// Levelised cost of compute [EUR per operational GPU-hour].
    pub lcoc_eur_per_gpu_hour: Option<f64>,
    /// Levelised cost of a million output tokens at the fleet's serving rate [EUR].
    pub cost_eur_per_mtok: Option<f64>,
    /// Whether the minimum DSCR fell below the covenant.
    pub covenant_breached: bool,
    /// Whether commercial operation came after the long-stop (an event of default).
    pub long_stop_passed: bool,
    /// Checks, in `CHECKS` order.
    pub checks: [bool; CHECKS.len()],
}

/// Index in [`CHECKS`] of the debt sizing's convergence.
pub(super) const SIZING_CONVERGED: usize = 4;
/// Index in [`CHECKS`] of the equity paid in against the sponsors' commitment.
pub(super) const EQUITY_WITHIN_COMMITMENT: usize = 5;

/// The model's checks: (name, what must hold).
pub const CHECKS: [(&str, &str); 6] = [
    (
        "sources_equal_uses",
        "sources of funds equal uses over construction",
    ),
    (
        "cash_never_negative",
        "cash, DSRA and trapped cash are never negative",
    ),
    (
        "debt_repaid_by_maturity",
        "no tranche outstanding after its maturity (each GPU draw after its own)",
    ),
    (
        "balance_sheet_balances",
        "assets = debt + paid-in capital + retained earnings, every period",
    ),
    ("sizing_converged", "debt sizing reached its fixed point"),
    (
        "equity_within_commitment",
        "equity paid in ≤ equity committed (when the scenario states it)",
    ),
];

impl Metrics {
    /// The figures of `flows` (from `inputs`, with `debt`).
    pub fn of(inputs: &Inputs, terms: &Terms, debt: &Debt, flows: &Cashflows) -> Metrics {
        let ppy = terms.periods_per_year;
        let rows = &flows.rows;
        let project: Vec<f64> = rows.iter().map(|r| r.project_cf_eur).collect();
        let equity: Vec<f64> = rows.iter().map(|r| r.equity_cf_eur).collect();
        let annual = |r: Option<f64>| r.map(|r| (1.0 + r).powf(ppy) - 1.0);
        let dscrs: Vec<f64> = rows.iter().filter_map(|r| r.dscr).collect();
        let min = |v: &[f64]| v.iter().copied().reduce(f64::min);
        let llcrs: Vec<f64> = rows.iter().filter_map(|r| r.llcr).collect();
        // Payback: the end of the period after which cumulative cash flow never goes negative
        // again — not a first crossing that a prepayment received before construction can make.
        let mut cumulative = 0.0;
        let mut last_negative = None;
        for (p, cf) in project.iter().enumerate() {
            cumulative += cf;
            if cumulative < 0.0 {
                last_negative = Some(p);
            }
        }
        let payback = last_negative
            .filter(|p| p + 1 < project.len())
            .map(|p| (p + 2) as f64 / ppy);
        let discount = |v: &[f64]| -> f64 { npv(v, terms.discount_rate, ppy) };
        let capex: Vec<f64> = rows.iter().map(|r| r.capex_eur).collect();
        let opex: Vec<f64> = rows.iter().map(|r| r.opex_eur).collect();
        let mut terminal = vec![0.0; rows.len()];
        if let Some(t) = terminal.last_mut() {
            *t = flows.terminal_value_eur;
        }
        let hours_pv = discount(&inputs.gpu_hours);
        let lcoc = (hours_pv > 0.0)
            .then(|| (discount(&capex) + discount(&opex) - discount(&terminal)) / hours_pv);
        let tokens: f64 = inputs.tokens.iter().sum();
        let inference_hours: f64 = inputs.inference_gpu_hours.iter().sum();
        let cost_per_mtok = lcoc
            .filter(|_| tokens > 0.0)
            .map(|l| l * inference_hours / tokens * 1e6);
        let scale = flows.uses.total().max(1.0);
        let tolerance = 1e-9 * scale;
        let equity_paid: f64 = rows.iter().map(|r| r.equity_drawn_eur).sum();
        let checks = [
            (flows.sources.total() - flows.uses.total()).abs() <= tolerance,
            rows.iter()
                .all(|r| r.cash_eur >= -tolerance && r.dsra_eur >= -tolerance),
            // Each tranche by its own maturity (one past the horizon is not tested: the loan is
            // still running): the infrastructure facility by its scheduled one, each GPU draw by
            // its own (its balance is what it owes at the horizon).
            rows.iter()
                .skip(flows.schedule.maturity)
                .all(|r| (r.debt_closing_eur - r.gpu_closing_eur).abs() <= tolerance)
                && flows
                    .gpu_draws
                    .iter()
                    .all(|d| d.maturity >= rows.len() || d.balance_eur.abs() <= tolerance),
            rows.iter().all(|r| r.balance_gap_eur.abs() <= tolerance),
            debt.converged,
            terms
                .equity_committed_eur
                .is_none_or(|c| equity_paid <= c * (1.0 + 1e-9)),
        ];
        let dscr_min = min(&dscrs);
        Metrics {
            capex_total_eur: capex.iter().sum(),
            npv_eur: discount(&project),
            project_irr: annual(irr_per_period(&project)),
            equity_irr: annual(irr_per_period(&equity)),
            dscr_min,
            dscr_avg: (!dscrs.is_empty()).then(|| dscrs.iter().sum::<f64>() / dscrs.len() as f64),
            llcr_min: min(&llcrs),
            debt_eur: rows
                .get(flows.schedule.cod)
                .map_or(0.0, |r| r.debt_closing_eur),
            equity_eur: equity_paid,
            payback_years: payback,
            lcoc_eur_per_gpu_hour: lcoc,
            cost_eur_per_mtok: cost_per_mtok,
            covenant_breached: dscr_min.is_some_and(|d| d < terms.covenant_dscr),
            long_stop_passed: flows.schedule.long_stop_passed && debt.total_commitment_eur() > 0.0,
            checks,
        }
    }

    /// Whether every check holds.
    pub fn all_checks_pass(&self) -> bool {
        self.checks.iter().all(|c| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::{CHECKS, EQUITY_WITHIN_COMMITMENT, SIZING_CONVERGED, irr_per_period};

    #[test]
    fn an_irr_is_the_root_of_ordinary_flows_and_the_lowest_root_after_a_prepayment() {
        // −100 then +110: 10 % a period, the only root.
        let r = irr_per_period(&[-100.0, 110.0]).expect("one sign change");
        assert!((r - 0.10).abs() < 1e-12, "{r}");
        // A prepayment of 30 before −100 and four periods of 25: NPV is positive at 0, negative at
        // 30 %, positive again at absurd rates where only the first inflow survives. The return on
        // the money at risk is the first root (≈21 %).
        let flows = [30.0, -100.0, 25.0, 25.0, 25.0, 25.0];
        let r = irr_per_period(&flows).expect("a root");
        let npv: f64 = flows
            .iter()
            .enumerate()
            .map(|(i, cf)| cf / (1.0 + r).powi(i as i32 + 1))
            .sum();
        assert!(npv.abs() < 1e-9, "{r} is a root");
        assert!(
            r > 0.2 && r < 0.22,
            "{r} is the low root, not the absurd one"
        );
        // No sign change, no IRR.
        assert_eq!(irr_per_period(&[10.0, 20.0]), None);
    }

    #[test]
    fn the_named_check_indices_point_at_their_checks() {
        assert_eq!(CHECKS[SIZING_CONVERGED].0, "sizing_converged");
        assert_eq!(
            CHECKS[EQUITY_WITHIN_COMMITMENT].0,
            "equity_within_commitment"
        );
    }
}
