//! A full run: Monte Carlo replications of the buildout, each dispatched and financed with the debt
//! sized once on the lender's base case; the representative replication run again with its event
//! log; and, when financed, the tornado and the named cases on the base case.

use rayon::prelude::*;

use super::defence::DefenceSummary;
use super::flywheel::{Flywheel, FlywheelSummary, Reinvested};
use super::pipeline::{Forgone, Pipeline};
use super::sensitivity::{self, CaseOutcome, Evaluator, Mode, Tornado};
use super::{Progress, StudyError, cases};
use crate::assumptions::{self, Assumption, Provenance};
use crate::catalog::Catalog;
use crate::dispatch::Outcome;
use crate::dispatch::summary::{DispatchSummary, ForgoneSummary, PortabilitySummary};
use crate::engine::aggregate::Aggregate;
use crate::engine::buildout::Replication;
use crate::engine::replicate::{chunk_size, replicate_with};
use crate::finance::summary::FinanceSummary;
use crate::finance::{self, BaseCase, Metrics, Viability};
use crate::model::{CaseSpec, Policy, Scenario};
use crate::sovereignty::{self, Eligibility, SealAssessment};
use crate::units::Date;
use crate::validation::{self, Validation};

/// One replication's financial figures: the programme's, and each phase's.
type Figures = (Metrics, Vec<Metrics>);

/// What a run is asked.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Replications.
    pub runs: u64,
    /// Worker threads (0: one per core); results do not depend on it.
    pub threads: usize,
    /// Dispatch under both policies, the scenario's first.
    pub compare_dispatch: bool,
    /// The case simulated (`[cases.NAME]`), if not the scenario as stated.
    pub case: Option<String>,
    /// Only what `summary.json` reports (a sweep's case): no tornado and no named cases, which
    /// re-evaluate the base case dozens of times and enter no summary figure.
    pub summary_only: bool,
}

/// The replication whose milestones lie closest to their P50, run again with its event log.
#[derive(Clone, Debug)]
pub struct Representative {
    /// Its index.
    pub index: u64,
    /// The replication, events included.
    pub replication: Replication,
    /// Its dispatch under each policy.
    pub outcomes: Vec<Outcome>,
}

/// The financial model over the run.
#[derive(Clone, Debug)]
pub struct Financed {
    /// The base case of the simulated scenario, carrying the debt sized on the stated one.
    pub base: BaseCase,
    /// Every replication's figures.
    pub summary: FinanceSummary,
    /// What the base case asks of public money, and what a sovereign GPU-hour costs.
    pub viability: Viability,
}

/// The investor's views every financed run carries: the tornado and the cases, on the scenario as
/// stated, read at its medians with the debt sized on its base case.
#[derive(Clone, Debug)]
pub struct Investor {
    /// The tornado.
    pub tornado: Tornado,
    /// The base case and every named case.
    pub cases: Vec<CaseOutcome>,
    /// The DSCR a case breaches below.
    pub covenant_dscr: f64,
    /// First day of the scenario as stated, from which `first_gw` months count.
    pub start_date: Date,
}

/// Everything a run found.
pub struct RunResults {
    /// The scenario simulated (the case's, when one was asked for).
    pub scenario: Scenario,
    /// The case simulated, if not the scenario as stated.
    pub case: Option<String>,
    /// Policies dispatched, the scenario's first.
    pub policies: Vec<Policy>,
    /// Milestones, delays and monthly series over replications.
    pub aggregate: Aggregate,
    /// The dispatch over replications.
    pub dispatch: DispatchSummary,
    /// What portability recovers, from none to full, under the first policy (`--compare-dispatch`).
    pub portability: Option<PortabilitySummary>,
    /// Revenue forgone for lack of compute under the first policy.
    pub forgone: ForgoneSummary,
    /// GPUs and revenue with and without reinvestment (empty without reinvestment rules).
    pub flywheel: FlywheelSummary,
    /// What each screening proxy costs and lets through, per provider and shared (empty without
    /// defences).
    pub defence: DefenceSummary,
    /// The financial model, with a `[finance]` section.
    pub finance: Option<Financed>,
    /// The representative replication.
    pub representative: Representative,
    /// Which clusters qualify for which tiers.
    pub eligibility: Vec<Eligibility>,
    /// Each cluster's SEAL per Cloud Sovereignty Framework objective, and its weighted score.
    pub seals: Vec<SealAssessment>,
    /// Tornado and cases, with a `[finance]` section.
    pub investor: Option<Investor>,
    /// Every figure the scenario used, with its source.
    pub assumptions: Vec<Assumption>,
    /// How many of those figures are estimates.
    pub provenance: Provenance,
    /// The published figures sovsim reproduces with the catalog this run used, or why they could
    /// not be checked (a catalog given with `--data` may lack a figure a case needs).
    pub validation: Result<Validation, String>,
}

/// The policies to dispatch: the scenario's, and the other one when comparing.
pub fn policies(scenario: &Scenario, compare: bool) -> Vec<Policy> {
    let first = scenario.dispatch.policy;
    let mut all = vec![first];
    if compare {
        all.extend(Policy::ALL.into_iter().filter(|p| *p != first));
    }
    all
}

/// Runs `stated` (or the case `request.case` of it, among `cases`: see [`cases::scenarios`]).
///
/// # Errors
/// If the case is unknown or the thread pool cannot be built.
pub fn run(
    stated: &Scenario,
    cases: &[(CaseSpec, Scenario)],
    catalog: &Catalog,
    request: &Request,
    progress: &dyn Progress,
) -> Result<RunResults, StudyError> {
    let scenario = match &request.case {
        None => stated,
        Some(name) => cases::find(stated, cases, name)?,
    };
    let policies = policies(scenario, request.compare_dispatch);
    // Debt is sized once, on the base case of the scenario as stated; every replication (and a
    // case, with its own inputs) then carries that debt.
    let evaluator = Evaluator::new(stated);
    let base = match (&evaluator, &request.case) {
        (Some(e), Some(_)) => e.base_case(scenario),
        (Some(e), None) => Some(e.sized().clone()),
        (None, _) => None,
    };
    let mut pipeline = Pipeline::new(scenario, &policies, base.as_ref().map(|b| &b.financing));
    if request.compare_dispatch {
        pipeline = pipeline.with_portability();
    }
    progress.start(request.runs, "replications");
    let (aggregate, dispatched, financed, (portable, forgone, flywheel, defence)) = replicate_with(
        request.runs,
        request.threads,
        chunk_size(scenario),
        |r| pipeline.simulate(r, false),
        (
            Aggregate::new(scenario),
            DispatchSummary::new(scenario, &policies),
            FinanceSummary::new(),
            (
                PortabilitySummary::new(),
                ForgoneSummary::new(scenario),
                FlywheelSummary::default(),
                DefenceSummary::default(),
            ),
        ),
        |(a, d, f, (p, g, w, s)), first, chunk| {
            let (chunk, reinvested): (Vec<Replication>, Vec<Reinvested>) =
                chunk.into_iter().unzip();
            a.add_chunk(&chunk);
            // Dispatch and finance are parallel across the chunk and folded in replication order.
            type Done = (
                Vec<Outcome>,
                Option<Figures>,
                Option<Forgone>,
                Option<Flywheel>,
            );
            let results: Vec<Done> = chunk
                .par_iter()
                .zip(&reinvested)
                .enumerate()
                .map(|(i, (r, done))| {
                    let replication = first + i as u64;
                    let (outcomes, case) = pipeline.through(replication, r);
                    let left = outcomes.first().map(|o| pipeline.forgone(replication, o));
                    let wheel = case
                        .as_ref()
                        .and_then(|c| pipeline.flywheel(replication, r, &c.inputs, done));
                    let figures = case.map(|c| {
                        let phases = c.phases.into_iter().map(|p| p.metrics).collect();
                        (c.metrics, phases)
                    });
                    (outcomes, figures, left, wheel)
                })
                .collect();
            for (o, m, left, wheel) in &results {
                if let Some(wheel) = wheel {
                    w.add(wheel);
                }
                d.add(o);
                if let Some((m, phases)) = m {
                    f.add(m, phases);
                }
                if let Some(left) = left {
                    g.add(&left.by_owner);
                    if !left.defence.is_empty() {
                        s.add(&left.defence);
                    }
                    if !left.portability.is_empty() {
                        p.add(&left.portability);
                    }
                }
            }
            progress.advance(chunk.len() as u64);
        },
    )?;
    progress.finish();
    let index = aggregate.representative();
    let (replication, _) = pipeline.simulate(index, true);
    let outcomes = pipeline.dispatch(index, &replication);
    let investor = match &evaluator {
        Some(e) if !request.summary_only => {
            let tornado =
                sensitivity::tornado(stated, e, Mode::Deterministic, request.threads, progress)?;
            let cases = sensitivity::cases(e, &tornado.base, cases);
            Some(Investor {
                tornado,
                cases,
                covenant_dscr: e.sized().terms.covenant_dscr,
                start_date: stated.meta.start_date,
            })
        }
        _ => None,
    };
    let eligibility = sovereignty::evaluate(scenario);
    let seals = sovereignty::assess(scenario);
    let assumptions = assumptions::list(scenario, catalog);
    Ok(RunResults {
        scenario: scenario.clone(),
        case: request.case.clone(),
        policies,
        aggregate,
        dispatch: dispatched,
        portability: request.compare_dispatch.then_some(portable),
        forgone,
        flywheel,
        defence,
        finance: base.map(|base| {
            let qualifies: Vec<Vec<bool>> = (0..scenario.tiers.len())
                .map(|t| eligibility.iter().map(|e| e.qualifies[t]).collect())
                .collect();
            let hurdle = scenario.finance.as_ref().and_then(|f| f.equity_hurdle_rate);
            Financed {
                viability: finance::viability(&base, hurdle, &qualifies),
                base,
                summary: financed,
            }
        }),
        representative: Representative {
            index,
            replication,
            outcomes,
        },
        eligibility,
        seals,
        investor,
        provenance: Provenance::of(scenario, &assumptions),
        assumptions,
        validation: validation::check(catalog),
    })
}
