//! One replication through the stages — the engine's buildout, the dispatch under each policy,
//! the financial model carrying a debt sized on a base case — and the lender's base case itself.
//! The only place the stages are chained.

use crate::dispatch::summary::{self, MarketPrices, PortabilityPoint};
use crate::dispatch::{self, Outcome, Setup};
use crate::engine::buildout::{self, Replication};
use crate::finance::{self, BaseCase, Case, Financing, PhaseInputs, Prices, Terms};
use crate::model::{Policy, Scenario};

/// What one replication's dispatch left on the table (see [`Pipeline::forgone`]).
#[derive(Clone, Debug)]
pub struct Forgone {
    /// Per owner (inference demands, then campaigns), per year: (GPU-hours, EUR) forgone.
    pub by_owner: Vec<Vec<(f64, Option<f64>)>>,
    /// What portability would recover, per level.
    pub portability: Vec<PortabilityPoint>,
}

/// The stages one scenario's replications go through, set up once.
#[derive(Clone, Debug)]
pub struct Pipeline<'a> {
    scenario: &'a Scenario,
    setups: Vec<Setup>,
    financing: Option<(Terms, &'a Financing)>,
}

impl<'a> Pipeline<'a> {
    /// Dispatches under each of `policies` (the first one is financed) and, when `financing` is
    /// given and the scenario has a finance section, finances with it and the scenario's terms.
    pub fn new(
        scenario: &'a Scenario,
        policies: &[Policy],
        financing: Option<&'a Financing>,
    ) -> Self {
        Pipeline {
            scenario,
            setups: policies.iter().map(|p| Setup::new(scenario, *p)).collect(),
            financing: financing.and_then(|d| Terms::of(scenario).map(|t| (t, d))),
        }
    }

    /// Also measures, under the first policy, what portability would recover (see
    /// [`Pipeline::portability`]); the dispatch is unchanged.
    pub fn with_portability(mut self) -> Self {
        if let Some(first) = self.setups.first_mut() {
            *first = first.clone().measuring_portability();
        }
        self
    }

    /// What the first policy's dispatch `outcome` of replication `replication` left on the table:
    /// the revenue its unserved demand forgoes for lack of compute (see [`summary::forgone`]), and
    /// what portability would recover (a point per level; empty unless
    /// [`Pipeline::with_portability`]); priced at each month's market prices when financed.
    pub fn forgone(&self, replication: u64, outcome: &Outcome) -> Forgone {
        let months = outcome.months.len();
        let prices = finance::draw_prices(self.scenario, replication);
        let gpu = prices
            .as_ref()
            .and_then(|p| finance::gpu_hour_prices_eur(self.scenario, p, months));
        let tokens = prices
            .as_ref()
            .and_then(|p| finance::token_prices_eur_per_mtok(self.scenario, p, months));
        let market = gpu.as_deref().map(|g| MarketPrices {
            gpu_hour_eur: g,
            tokens_eur_per_mtok: tokens.as_deref(),
        });
        let setup = self.setups.iter().find(|s| s.policy == outcome.policy);
        Forgone {
            by_owner: setup.map_or_else(Vec::new, |s| {
                summary::forgone(self.scenario, s, outcome, market.as_ref())
            }),
            portability: PortabilityPoint::of(self.scenario, outcome, gpu.as_deref()),
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
        let (terms, financing) = self.financing.as_ref()?;
        let prices = finance::draw_prices(self.scenario, replication)?;
        let parts = phase_inputs(self.scenario, terms, rep, outcome, &prices)?;
        Some(Case::phased(parts, terms, financing))
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
    let prices = finance::draw_prices(&base, 0)?;
    let parts = phase_inputs(&base, &terms, &rep, &outcome, &prices)?;
    let financing = finance::size_phases(&parts, &terms);
    let case = Case::phased(parts, &terms, &financing);
    Some(BaseCase {
        terms,
        financing,
        case,
    })
}

/// The inputs of each phase the scenario is financed in.
fn phase_inputs(
    scenario: &Scenario,
    terms: &Terms,
    rep: &Replication,
    outcome: &Outcome,
    prices: &Prices,
) -> Option<Vec<PhaseInputs>> {
    let by_site = finance::inputs_by_site(scenario, rep, outcome, prices)?;
    let ids: Vec<String> = scenario.sites.iter().map(|s| s.id.clone()).collect();
    Some(finance::phases(&ids, by_site, terms.phasing))
}
