//! One replication through the stages — the engine's buildout, the dispatch under each policy,
//! the financial model carrying a debt sized on a base case — and the lender's base case itself.
//! The only place the stages are chained.

use crate::dispatch::{self, Outcome, Setup};
use crate::engine::buildout::{self, Replication};
use crate::finance::{self, BaseCase, Case, Debt, Terms};
use crate::model::{Policy, Scenario};

/// The stages one scenario's replications go through, set up once.
#[derive(Clone, Debug)]
pub struct Pipeline<'a> {
    scenario: &'a Scenario,
    setups: Vec<Setup>,
    financing: Option<(Terms, &'a Debt)>,
}

impl<'a> Pipeline<'a> {
    /// Dispatches under each of `policies` (the first one is financed) and, when `debt` is given
    /// and the scenario has a finance section, finances with that debt and the scenario's terms.
    pub fn new(scenario: &'a Scenario, policies: &[Policy], debt: Option<&'a Debt>) -> Self {
        Pipeline {
            scenario,
            setups: policies.iter().map(|p| Setup::new(scenario, *p)).collect(),
            financing: debt.and_then(|d| Terms::of(scenario).map(|t| (t, d))),
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &'a Scenario {
        self.scenario
    }

    /// Dispatches replication `replication` (simulated as `rep`) under every policy, on the same
    /// demand draws.
    pub fn dispatch(&self, replication: u64, rep: &Replication) -> Vec<Outcome> {
        let draws = dispatch::draw(self.scenario, replication);
        self.setups
            .iter()
            .map(|s| dispatch::dispatch(self.scenario, s, &rep.operational_gpu_hours, &draws))
            .collect()
    }

    /// The financial model of replication `replication` dispatched as `outcome`; `None` when
    /// nothing is financed.
    pub fn finance(&self, replication: u64, rep: &Replication, outcome: &Outcome) -> Option<Case> {
        let (terms, debt) = self.financing.as_ref()?;
        let prices = finance::draw_prices(self.scenario, replication)?;
        let inputs = finance::inputs(self.scenario, rep, outcome, &prices)?;
        Some(Case::of(inputs, terms, debt))
    }

    /// Dispatch under every policy, then the financial model of the first.
    pub fn through(&self, replication: u64, rep: &Replication) -> (Vec<Outcome>, Option<Case>) {
        let outcomes = self.dispatch(replication, rep);
        let case = outcomes
            .first()
            .and_then(|o| self.finance(replication, rep, o));
        (outcomes, case)
    }
}

/// The lender's base case of `scenario`: every uncertain input at its median (replication 0),
/// dispatched under `policy`, with the debt sized on it; `None` without a finance section.
pub fn base_case(scenario: &Scenario, policy: Policy) -> Option<BaseCase> {
    let terms = Terms::of(scenario)?;
    let base = scenario.at_medians();
    let rep = buildout::simulate(&base, 0, false);
    let outcome = Pipeline::new(&base, &[policy], None)
        .dispatch(0, &rep)
        .pop()?;
    let inputs = finance::inputs(&base, &rep, &outcome, &finance::draw_prices(&base, 0)?)?;
    let debt = finance::size(&inputs, &terms);
    let case = Case::of(inputs, &terms, &debt);
    Some(BaseCase { terms, debt, case })
}
