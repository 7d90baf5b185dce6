//! Sizing the debt on the base case: sculpted to the target DSCR and capped by gearing, both of
//! which depend on the debt itself (IDC, fees, DSRA, tax shield), so it iterates the waterfall to
//! a fixed point and says whether it got there.

use super::debt::{Binding, Debt, Terms};
use super::inputs::Inputs;
use super::waterfall::run;

/// Sizes the debt on `base` (the base-case inputs): sculpted to the target DSCR, capped by gearing.
pub fn size(base: &Inputs, terms: &Terms) -> Debt {
    const MAX_ITERATIONS: u32 = 200;
    let n = base.periods();
    // The scheduled COD is the base case's; a base case that never completes converts at the
    // end of its construction spending (and every case past its long-stop is in default).
    let completed = base.commercial_operation(terms.completion_share);
    let cod = completed.unwrap_or_else(|| base.construction_end());
    let per_year = terms.periods_per_year;
    let maturity = (cod + (terms.tenor_years * per_year).round() as usize).min(n.saturating_sub(1));
    let rate = terms.term_rate_per_period();
    let mut debt = Debt::none(cod);
    debt.long_stop = match completed {
        Some(_) => cod + (terms.long_stop_months / 12.0 * per_year).round() as usize,
        // Not even the base case completes: it converts at the end of spending, in default.
        None => cod,
    };
    debt.tenor_periods = maturity - cod;
    debt.maturity = maturity;
    debt.repayment = vec![0.0; maturity - cod];
    debt.capitalising = vec![false; maturity - cod];
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
        // Gearing is debt over what lenders and sponsors fund (grants count with equity): the
        // uses less what operations already pay for before COD and customers prepay. Over total
        // uses, a programme earning while it builds would be geared far above the cap.
        let funded = flows.funding_need_after_grants_eur + flows.sources.grants_eur;
        let cap = terms.max_gearing * funded;
        let (amount, binding) = if sculpted <= cap {
            (sculpted, Binding::Sculpting)
        } else {
            (cap, Binding::Gearing)
        };
        // By period after COD (index 0: the first).
        let mut repayment = vec![0.0; maturity - cod];
        let capitalising: Vec<bool> = (cod + 1..=maturity)
            .map(|p| p < maturity && flows.rows[p].cfads_eur <= 0.0)
            .collect();
        if amount > 0.0 && cfads_pv > 0.0 {
            // Debt service ∝ CFADS, scaled so that its PV at the loan rate is the debt.
            let mut balance = 1.0;
            for (k, r) in repayment.iter_mut().enumerate() {
                let service = flows.rows[cod + 1 + k].cfads_eur.max(0.0) / cfads_pv;
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
            repayment,
            capitalising,
            iterations: iteration,
            converged,
            ..debt
        };
        if converged {
            break;
        }
    }
    debt
}
