//! What a public programme asks of the public purse: the viability gap — the grant that brings the
//! project's NPV to zero, or the sponsors' equity IRR to their hurdle — and what a sovereign
//! GPU-hour costs against the market price of the same capacity.

use super::case::{BaseCase, Case};
use super::debt::Terms;
use super::metrics::npv;
use super::phases::{PhaseInputs, size_phases};

/// The public-money figures of a base case.
#[derive(Clone, Debug, PartialEq)]
pub struct Viability {
    /// Grant at the start that brings the project's NPV at the discount rate to zero [EUR];
    /// zero when the NPV is not negative.
    pub gap_npv_eur: f64,
    /// Grant, beyond those stated, that brings the base case's equity IRR to the sponsors' hurdle
    /// (debt re-sized with it) [EUR]; zero when already met; `None` without a hurdle, or when no
    /// grant up to the whole funding need reaches it.
    pub gap_equity_eur: Option<f64>,
    /// Market value of the capacity per GPU-hour: PV(operational GPU-hours × the market price of
    /// their generation) ÷ PV(operational GPU-hours) [EUR/GPU-hour].
    pub reference_eur_per_gpu_hour: Option<f64>,
    /// Per tier (scenario order): the programme's levelised cost carried by the GPU-hours of the
    /// clusters that qualify — PV(capex + opex − terminal value) ÷ PV(their GPU-hours)
    /// [EUR/GPU-hour]; `None` if no qualifying GPU works.
    pub cost_per_tier_eur_per_gpu_hour: Vec<Option<f64>>,
}

/// The viability figures of `base`; `qualifies[t][c]`: whether cluster `c` qualifies for tier `t`.
pub fn viability(base: &BaseCase, hurdle: Option<f64>, qualifies: &[Vec<bool>]) -> Viability {
    let terms = &base.terms;
    let case = &base.case;
    let inputs = &case.inputs;
    let discount = |v: &[f64]| npv(v, terms.discount_rate, terms.periods_per_year);
    let hours_pv = discount(&inputs.gpu_hours);
    let cost_pv = case
        .metrics
        .lcoc_eur_per_gpu_hour
        .map(|l| l * hours_pv)
        .unwrap_or(0.0);
    let reference = (hours_pv > 0.0).then(|| discount(&inputs.market_value_eur) / hours_pv);
    let cost_per_tier = qualifies
        .iter()
        .map(|tier| {
            let n = inputs.periods();
            let hours: Vec<f64> = (0..n)
                .map(|p| {
                    inputs
                        .gpu_hours_by_cluster
                        .iter()
                        .zip(tier)
                        .filter(|(_, q)| **q)
                        .map(|(h, _)| h[p])
                        .sum()
                })
                .collect();
            let pv = discount(&hours);
            (pv > 0.0 && case.metrics.lcoc_eur_per_gpu_hour.is_some()).then(|| cost_pv / pv)
        })
        .collect();
    Viability {
        gap_npv_eur: (-case.metrics.npv_eur).max(0.0),
        gap_equity_eur: hurdle.and_then(|h| equity_gap(case, terms, h)),
        reference_eur_per_gpu_hour: reference,
        cost_per_tier_eur_per_gpu_hour: cost_per_tier,
    }
}

/// The extra grant that brings the equity IRR of `case` to `hurdle`, by bisection on the equity's
/// NPV at the hurdle rate (it rises with the grant: less equity for the same distributions).
fn equity_gap(case: &Case, terms: &Terms, hurdle: f64) -> Option<f64> {
    let parts: Vec<PhaseInputs> = case
        .phases
        .iter()
        .map(|p| PhaseInputs {
            name: p.name.clone(),
            inputs: p.inputs.clone(),
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let meets = |grant: f64| -> bool {
        let t = Terms {
            grants_eur: terms.grants_eur + grant,
            ..terms.clone()
        };
        let financing = size_phases(&parts, &t);
        let case = Case::phased(parts.clone(), &t, &financing);
        // The equity cash flows worth at least nothing at the hurdle rate: the IRR reaches the
        // hurdle, and the test still reads when the sponsors put in so little that no IRR exists.
        let equity: Vec<f64> = case.flows.rows.iter().map(|r| r.equity_cf_eur).collect();
        npv(&equity, hurdle, terms.periods_per_year) >= 0.0
    };
    if meets(0.0) {
        return Some(0.0);
    }
    // At most the whole funding need: beyond it, the sponsors put nothing in.
    let mut high = case.flows.uses.total().max(1.0);
    if !meets(high) {
        return None;
    }
    let mut low = 0.0;
    while high - low > 1e-6 * high {
        let mid = 0.5 * (low + high);
        if meets(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high)
}
