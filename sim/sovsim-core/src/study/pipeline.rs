//! One replication through the stages — the engine's buildout, the dispatch under each policy,
//! the financial model carrying a debt sized on a base case — and the lender's base case itself.
//! The only place the stages are chained.

use crate::dispatch::summary::{self, MarketPrices, PortabilityPoint};
use crate::dispatch::{self, Dispatcher, Outcome, Setup};
use crate::engine::buildout::{self, Replication, Stepper};
use crate::finance::{self, BaseCase, Case, Financing, Inputs, PhaseInputs, Prices, Terms};
use crate::model::{Policy, Room, Scenario};

use super::flywheel::{Flywheel, Reinvested, ReinvestmentOrder};

/// What one replication's dispatch left on the table (see [`Pipeline::forgone`]).
#[derive(Clone, Debug)]
pub struct Forgone {
    /// Per owner (inference demands, then campaigns), per year: (GPU-hours, EUR) forgone.
    pub by_owner: Vec<Vec<(f64, Option<f64>)>>,
    /// What portability would recover, per level.
    pub portability: Vec<PortabilityPoint>,
    /// What the screening proxies cost and let through (empty without defences).
    pub defence: super::defence::DefencePoint,
}

/// The stages one scenario's replications go through, set up once.
#[derive(Clone, Debug)]
pub struct Pipeline<'a> {
    scenario: &'a Scenario,
    setups: Vec<Setup>,
    financing: Option<(Terms, &'a Financing)>,
    /// The room the planned build leaves, which reinvestment rules order into.
    room: Room,
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
            room: Room::left(
                scenario.sites.len(),
                &scenario.shells,
                &scenario.grid_connections,
                &scenario.power_assets,
                &scenario.clusters,
            ),
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
            defence: super::defence::point(self.scenario, outcome, gpu.as_deref()),
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &'a Scenario {
        self.scenario
    }

    /// Simulates replication `replication`: the engine alone, or — when the scenario has
    /// reinvestment rules and is financed — the engine, the first policy's dispatch and the
    /// financial model's inputs advanced together a month at a time, so that orders placed from
    /// the cash each period earned obey lead times, supply caps, room and power like any order.
    ///
    /// At the end of each financial period before the horizon, each rule (in file order) sets
    /// aside its share of the period's basis (of a positive basis: a loss sets nothing aside and
    /// takes nothing back; once its halls have no room for an order, nothing) and, hall by hall in the order it names them, orders as many GPUs as
    /// the fund pays for and the room left holds, when that is at least its minimum order. GPUs
    /// whose median lead and installation would not end before the horizon are not ordered.
    pub fn simulate(&self, replication: u64, keep_events: bool) -> (Replication, Reinvested) {
        let scenario = self.scenario;
        let rules = &scenario.reinvestments;
        let coupled = match (rules.is_empty(), self.setups.first()) {
            (false, Some(setup)) => finance::draw_prices(scenario, replication).map(|p| (setup, p)),
            _ => None,
        };
        let Some((setup, prices)) = coupled else {
            return (
                buildout::simulate(scenario, replication, keep_events),
                Reinvested::default(),
            );
        };
        let draws = dispatch::draw(scenario, replication);
        let mut stepper = Stepper::new(scenario, replication, keep_events);
        let months = stepper.months();
        let mut dispatcher = Dispatcher::new(scenario, setup, &draws, months);
        let pm = (scenario.meta.period_months as usize).max(1);
        let mut room = self.room.clone();
        let mut fund = vec![0.0; rules.len()];
        let mut ordered = vec![0u64; scenario.clusters.len()];
        let mut done = Reinvested {
            basis_eur: vec![Vec::new(); rules.len()],
            set_aside_eur: vec![0.0; rules.len()],
            ..Reinvested::default()
        };
        for m in 0..months {
            stepper.run_to_month(m + 1);
            let cumulative = stepper.operational_gpu_hours();
            dispatcher.month(&cumulative[m], &cumulative[m + 1]);
            let boundary = m + 1;
            if boundary % pm != 0 || boundary >= months {
                continue;
            }
            let Some(sites) = finance::inputs_by_site(
                scenario,
                stepper.produced(),
                dispatcher.outcome(),
                &prices,
            ) else {
                continue;
            };
            let p = boundary / pm - 1;
            for (k, rule) in rules.iter().enumerate() {
                let basis = finance::reinvestment_basis_eur(scenario, rule, &sites, p);
                done.basis_eur[k].push(basis);
                // Nothing is set aside once the rule's halls have no room for an order left.
                let room_left = rule.clusters.iter().any(|&c| {
                    let cluster = &scenario.clusters[c.index()];
                    room.gpus_for(&scenario.shells, cluster)
                        .min(cluster.gpus.saturating_sub(ordered[c.index()]))
                        >= rule.min_order_gpus
                });
                let set_aside = if room_left {
                    rule.share * basis.max(0.0)
                } else {
                    0.0
                };
                fund[k] += set_aside;
                done.set_aside_eur[k] += set_aside;
                for &c in &rule.clusters {
                    let cluster = &scenario.clusters[c.index()];
                    let price = cluster.price_eur_per_gpu.unwrap_or(0.0);
                    let ready = cluster.lead_time_months.dist.median()
                        + cluster.install_months.dist.median();
                    if price <= 0.0 || boundary as f64 + ready >= months as f64 {
                        continue;
                    }
                    let afford = (fund[k] / price + 1e-9).floor() as u64;
                    let gpus = afford
                        .min(room.gpus_for(&scenario.shells, cluster))
                        .min(cluster.gpus.saturating_sub(ordered[c.index()]));
                    if gpus < rule.min_order_gpus {
                        continue;
                    }
                    let eur = gpus as f64 * price;
                    stepper.order(c, gpus);
                    room.take(&scenario.shells, cluster, gpus);
                    ordered[c.index()] += gpus;
                    fund[k] = (fund[k] - eur).max(0.0);
                    done.orders.push(ReinvestmentOrder {
                        month: boundary,
                        rule: k,
                        cluster: c,
                        gpus,
                        eur,
                    });
                }
            }
        }
        done.unspent_eur = fund;
        (stepper.finish(), done)
    }

    /// Replication `replication` with its reinvestment rules (`with`, its financial inputs
    /// `with_inputs` — the programme's, as [`Pipeline::finance`]'s case holds them — the rules
    /// having done `reinvested`) and without them (the same replication, nothing ordered): GPUs,
    /// revenue and what was reinvested per year; `None` without rules or finance.
    pub fn flywheel(
        &self,
        replication: u64,
        with: &Replication,
        with_inputs: &Inputs,
        reinvested: &Reinvested,
    ) -> Option<Flywheel> {
        let scenario = self.scenario;
        if scenario.reinvestments.is_empty() {
            return None;
        }
        let prices = finance::draw_prices(scenario, replication)?;
        let without = buildout::simulate(scenario, replication, false);
        let setup = self.setups.first()?;
        let plain = dispatch::dispatch(
            scenario,
            setup,
            &without.operational_gpu_hours,
            &dispatch::draw(scenario, replication),
        );
        let inputs_without = finance::inputs(scenario, &without, &plain, &prices)?;
        Some(Flywheel::of(
            scenario,
            (with.into(), with_inputs),
            ((&without).into(), &inputs_without),
            reinvested,
        ))
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
/// dispatched under `policy`, with the debt sized on it; `None` without a finance section. The
/// debt is sized on the planned build: GPUs reinvestment rules would buy are the sponsors'
/// discretionary expansion, paid after debt service, so a lender does not lend against their
/// cash flow; the base case itself includes them.
pub fn base_case(scenario: &Scenario, policy: Policy) -> Option<BaseCase> {
    let terms = Terms::of(scenario)?;
    let base = scenario.at_medians();
    let pipeline = Pipeline::new(&base, &[policy], None);
    let prices = finance::draw_prices(&base, 0)?;
    let (rep, _) = pipeline.simulate(0, false);
    let outcome = pipeline.dispatch(0, &rep).pop()?;
    let parts = phase_inputs(&base, &terms, &rep, &outcome, &prices)?;
    let financing = if base.reinvestments.is_empty() {
        finance::size_phases(&parts, &terms)
    } else {
        let planned = buildout::simulate(&base, 0, false);
        let outcome = pipeline.dispatch(0, &planned).pop()?;
        let parts = phase_inputs(&base, &terms, &planned, &outcome, &prices)?;
        finance::size_phases(&parts, &terms)
    };
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
