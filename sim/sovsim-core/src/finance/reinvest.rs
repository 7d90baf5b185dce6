//! What a reinvestment rule sets a share of aside in one period: the operating cash or inference
//! margin of the operator's share of each site, read from the financial model's own inputs.

use super::Inputs;
use crate::model::{Reinvestment, ReinvestmentBasis, Scenario};

/// The basis of `rule` in period `p` [EUR], from `sites`, the inputs of each site in scenario
/// order (those of a replication run to the end of period `p` at least). The operator's share of
/// a site is its clusters' share of the site's operational GPU-hours in the period: a site it
/// shares with others earns and spends for it in proportion to the capacity it runs there.
/// - `OperatingCash`: revenue (resale of retired GPUs included) − opex.
/// - `InferenceMargin`: inference revenue − the opex of the GPU-hours that served inference (opex
///   × inference GPU-hours ÷ operational GPU-hours).
pub fn reinvestment_basis_eur(
    scenario: &Scenario,
    rule: &Reinvestment,
    sites: &[Inputs],
    p: usize,
) -> f64 {
    let mut basis = 0.0;
    for (s, inputs) in sites.iter().enumerate() {
        let hours = inputs.gpu_hours[p];
        if hours <= 0.0 {
            continue;
        }
        let mine: f64 = scenario
            .clusters
            .iter()
            .zip(&inputs.gpu_hours_by_cluster)
            .filter(|(c, _)| c.operator == rule.operator && c.site.index() == s)
            .map(|(_, h)| h[p])
            .sum();
        let share = mine / hours;
        let opex = inputs.opex(p);
        basis += share
            * match rule.basis {
                ReinvestmentBasis::OperatingCash => inputs.revenue(p) - opex,
                ReinvestmentBasis::InferenceMargin => {
                    inputs.revenue_inference_eur[p] - opex * inputs.inference_gpu_hours[p] / hours
                }
            };
    }
    basis
}
