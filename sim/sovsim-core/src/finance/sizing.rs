//! Sizing the debt on the base case: the GPU facility on the contracted cash flows, capped by its
//! advance rate; the infrastructure facility sculpted to the target DSCR on what the GPU facility's
//! service leaves, capped by gearing. Both depend on the debt itself (IDC, fees, DSRA, tax
//! shield), so sizing iterates the waterfall to a fixed point and says whether it got there.

use super::debt::{Binding, Debt, Terms};
use super::gpu::{GpuBinding, GpuTranche, life};
use super::inputs::{Class, Inputs};
use super::waterfall::{Cashflows, contracted_cfads, run};

/// The GPU facility sized on `flows` (the base case with the current debt), for a COD at the end
/// of `cod`: the lower of the advance rate × the initial GPUs' cost and what the contracted cash
/// flow covers at the target DSCR, each draw repaid on it within its own life (a draw whose life
/// holds no contracted cash gets no cover) — lenders advance on the GPUs and size on the
/// contracts, not on merchant hours.
fn size_gpu(base: &Inputs, terms: &Terms, flows: &Cashflows, cod: usize) -> GpuTranche {
    let Some(g) = &terms.gpu else {
        return GpuTranche::none();
    };
    let n = base.periods();
    let tenor = ((g.tenor_years * terms.periods_per_year).round() as usize).max(1);
    let rate = g.rate / terms.periods_per_year;
    // The term sheet's shape: the contracted cash flow of each period after COD, over one tenor.
    let profile: Vec<f64> = (cod + 1..cod + 1 + tenor)
        .map(|p| {
            if p < n {
                contracted_cfads(base, &flows.rows[p], p)
            } else {
                0.0
            }
        })
        .collect();
    // Each draw of the base case, repaid on the profile within its own life: the contracted cash
    // flow covers them all at the target DSCR when Σ draw ÷ PV(profile over its life) ≤ 1 ÷ target.
    let mut per_euro = 0.0; // Σ over draws of capex ÷ PV of its window
    let mut gpus = 0.0;
    for p in 0..n {
        let spent = base.capex_in(p, Class::Gpus);
        if spent <= 0.0 {
            continue;
        }
        gpus += spent;
        let (converted, maturity) = life(p, tenor, cod);
        let window = maturity - converted;
        let offset = converted - cod;
        let pv: f64 = (0..window)
            .map(|j| {
                profile.get(offset + j).copied().unwrap_or(0.0) / (1.0 + rate).powi(j as i32 + 1)
            })
            .sum();
        per_euro += if pv > 0.0 { spent / pv } else { f64::INFINITY };
    }
    let cover = if per_euro.is_finite() && per_euro > 0.0 {
        gpus / (terms.target_dscr * per_euro)
    } else {
        0.0
    };
    let advance = g.advance_rate * gpus;
    let (commitment, binding) = if advance <= cover {
        (advance, GpuBinding::Advance)
    } else {
        (cover, GpuBinding::ContractCover)
    };
    GpuTranche {
        commitment_eur: commitment,
        advance_cap_eur: advance,
        cover_cap_eur: cover,
        binding,
        draw_share: if gpus > 0.0 { commitment / gpus } else { 0.0 },
        tenor_periods: tenor,
        rate_per_period: rate,
        profile,
    }
}

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
        let gpu = size_gpu(base, terms, &flows, cod);
        // What the infrastructure facility is sculpted on: CFADS less what the GPU facility's
        // service takes at the target DSCR, so that the two together are covered at the target.
        let cover: Vec<f64> = flows
            .rows
            .iter()
            .map(|r| r.cfads_eur - terms.target_dscr * (r.gpu_interest_eur + r.gpu_principal_eur))
            .collect();
        let cfads_pv: f64 = (cod + 1..=maturity)
            .map(|p| cover[p].max(0.0) / (1.0 + rate).powi((p - cod) as i32))
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
            .map(|p| p < maturity && cover[p] <= 0.0)
            .collect();
        if amount > 0.0 && cfads_pv > 0.0 {
            // Debt service ∝ CFADS, scaled so that its PV at the loan rate is the debt.
            let mut balance = 1.0;
            for (k, r) in repayment.iter_mut().enumerate() {
                let service = cover[cod + 1 + k].max(0.0) / cfads_pv;
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
            && (share - debt.debt_share).abs() <= 1e-10
            && (gpu.commitment_eur - debt.gpu.commitment_eur).abs()
                <= 1e-9 * gpu.commitment_eur.max(1.0)
            && gpu
                .profile
                .iter()
                .zip(&debt.gpu.profile)
                .all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(1.0));
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
            gpu,
            ..debt
        };
        if converged {
            break;
        }
    }
    debt
}
