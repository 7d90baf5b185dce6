//! The buildout optimiser: the least-cost (or most sovereign) plan of sites, grid, on-site power,
//! halls and GPUs over yearly periods, as a mixed-integer linear program solved with HiGHS.
//!
//! # Candidates
//!
//! The scenario's entities are the candidates (a *superstructure*, as in PyPSA's extendable
//! components): each site may be acquired; each grid connection, power asset and hall may be
//! built up to the size the scenario states; each cluster is a GPU procurement (operator, SKU,
//! durations) the plan may order any number of times. Entities listed in `[optimize] committed`
//! are fixed as stated. Durations are taken at their medians, grid queue waits at
//! `grid_wait_quantile`; `--then-run` simulates the plan with the full distributions.
//!
//! # Notation
//!
//! | symbol | meaning | unit |
//! |---|---|---|
//! | t ∈ 0..T | periods of Y years; H = Y × 8,766 hours | |
//! | s, g, a, h, c, j | site, grid connection, power asset, hall, cluster, demand | |
//! | y_s ∈ {0,1} | site acquired | |
//! | G_g ∈ [0, Ḡ_g] | grid MW contracted, delivering from period t_g (permit + queue wait quantile) | MW |
//! | P_{a,t} ≥ 0 | on-site MW whose construction starts in t (t ≥ asset start, site ready) | MW |
//! | b_{h,t} ∈ ℤ≥0 | hall blocks (the hall's smallest phase, β_h MW) started in t (t ≥ site ready) | blocks |
//! | n_{c,h,t} ≥ 0 | GPUs of cluster c ordered in t for hall h (continuous; rounded to racks in the plan) | 10³ GPUs |
//! | x_{j,c,t} ≥ 0 | GPU-hours of c given to demand j | 10⁶ GPU-h |
//! | z_{j,o,t} ≥ 0 | GPU-hours rented from cloud offer o for demand j (0 before the offer opens) | 10⁶ GPU-h |
//! | e_{·,t} ≥ 0 | energy from a connection or asset | GWh |
//! | u_{j,t}, o^B_t, o^C_t ≥ 0 | elastic slack: demand short, budget over, carbon over | |
//! | L_c, ℓ_c, L_h, L_a | lead times and GPU life in periods (medians, rounded up) | periods |
//! | N_{c,h,t} = Σ_{τ: τ+L_c ≤ t < τ+L_c+ℓ_c} n_{c,h,τ} | GPUs working in t | 10³ GPUs |
//! | S_{h,t} = β_h Σ_{τ+L_h ≤ t} b_{h,τ};  Q_{a,t} = Σ_{τ+L_a ≤ t} P_{a,τ} | completed IT; delivered power | MW |
//! | IT_{h,t} = Σ_c k_c N_{c,h,t} | IT load (k_c all-in kW per GPU) | MW |
//!
//! # Constraints
//!
//! - **Sites** (`define_sites`, `define_halls`): Σ_h β_h Σ_t b_{h,t} ≤ IT̄_s y_s; land
//!   Σ_h λ_h β_h Σ_t b_{h,t} ≤ A_s y_s; Σ_t b_{h,t} ≤ hall's stated size; Σ_t P_{a,t} ≤ P̄_a y_s;
//!   G_g ≤ Ḡ_g y_s.
//! - **Cooling** (`define_cooling_and_gpus`): n_{c,h,t} exists only for halls on c's site whose
//!   cooling suits c's SKU (liquid-cooled SKUs need liquid halls).
//! - **Lead times** (`define_lead_times`): built in t, usable from t + L (the sums above).
//! - **Facility power** (`define_facility_power`): IT_{h,t} ≤ S_{h,t};
//!   Σ_h PUE_h IT_{h,t} ≤ Σ_{g: t ≥ t_g} G_g + Σ_a α_a Q_{a,t} (α: availability).
//! - **Energy** (`define_energy`): Σ_h PUE_h IT_{h,t} H = Σ e (online GPUs draw all-in power
//!   all period long, conservatively); e_{g,t} ≤ G_g H [t ≥ t_g]; e_{a,t} ≤ α_a Q_{a,t} H.
//! - **Demand** (`define_demand`): Σ_c (r_{j,c}/r*_j) x_{j,c,t} + u_{j,t} ≥ W_{j,t}/r*_j, where
//!   r_{j,c} is c's work per GPU-hour for j (training FLOP = BF16 peak × efficiency × MFU;
//!   inference tokens = serving rate × efficiency; 0 unless c qualifies for j's tier and
//!   its SKU can run the workload; one planner serves the region, so the `grid` policy applies
//!   and `[dispatch] policy` only when the plan is simulated) and r*_j the best of them, so work is counted in
//!   GPU-hours of the fastest eligible cluster. W is the median demand: training runs × FLOP per
//!   run; inference tokens integrated with growth. Training is treated as divisible compute.
//!   Σ_j x_{j,c,t} ≤ a_c H N_{c,t} (a_c: the share of time a GPU is not in repair). Rented
//!   GPU-hours count the same way, at the offer's rate for j (its SKU's, 0 unless the offer — its
//!   operator's evidence in its country — qualifies for j's tier): Σ_j z_{j,o,t} ≤ Ō_o H
//!   (**offer capacity**, `OfferCap`). A demand no candidate may serve is counted in GPU-hours
//!   of the fastest candidate whatever the rule, so it is short, not free.
//! - **Budget** (`define_budget`): capex_t − o^B_t ≤ B × Y; **carbon** (`define_carbon`):
//!   Σ e × gCO₂/kWh − o^C_t ≤ C × Y; **sovereign share** (`define_sovereign_share`):
//!   Σ_{c qualifies} k_c N_{c,t} ≥ σ Σ_c k_c N_{c,t}.
//! - **Committed** entities are fixed by equalities (their stated sizes and dates).
//!
//! # Objective (`define_objective`)
//!
//! `min_cost`: NPV at the scenario's discount rate of land (period 0), hall, power and GPU capex
//! (at the start of the period a build starts), energy, power fixed O&M, maintenance and
//! insurance, staff and network (mid-period, rates from `[finance]`), **less the terminal value**:
//! each asset's straight-line book value left at the end of the horizon (halls over the finance
//! section's shell life, power over the technology's life, GPUs over their useful life; land at
//! cost), discounted from the end. Without it, a plan would be charged for assets whose service
//! outlives the horizon. Penalties: a GPU-hour short costs `shortfall_penalty_factor` × the
//! dearest candidate GPU's price over one period's hours; a € over budget costs that factor ×
//! (T + 1), more than all the shortfall the € could avoid; a tCO₂ over the cap costs the factor ×
//! the shortfall penalty of the GPU-hours one tonne powers at the cleanest emitting source.
//! The GPUs and halls an operator builds are charged at its cost of capital: capex (and the book
//! value left) × CRF(its rate, the asset's life) ÷ CRF(the planner's discount rate, that life) —
//! the level annuity that repays the operator, valued at the planner's rate (`instance::
//! capital_factor`); its `build_cost_factor` and `grid_wait_factor` already scaled the hall's capex
//! and the connection's wait when the scenario loaded, for the simulation too.
//! Renting costs Σ z × the offer's GPU-hour price (stated, or the financial model's market price
//! of the SKU declining with age), mid-period; a budget pays for rent as for capex.
//!
//! # The cost of sovereignty
//!
//! [`cost_of_sovereignty`] re-optimises with one tier's rule removed: the premium is the
//! difference of objectives, also per GPU-hour the tier is served, with the GPU-hours rented and
//! the first year its demand is met either way. [`seal_curve`] replaces every tier's rule by a
//! least SEAL on one framework objective, level by level.
//! `max_sovereign`: minimise −(work served to the sovereign tiers' demand, in fastest-GPU-hours)
//! plus the same budget and carbon penalties. The objective is the sum of its parts by
//! construction, and each part is reported.
//!
//! # Duals
//!
//! Shadow prices come from the LP left when the integer decisions are fixed at their optimum:
//! the value of one more unit of each limit, at that plan (NPV euros).

pub mod files;
mod formulation;
mod instance;
pub mod outputs;
mod results;

pub use formulation::Family;
pub use instance::MissingFigure;
pub use results::{
    CostPart, CurvePoint, Milestone, Outcome, PlanRow, Rented, ShadowPrice, Shortfall, Size,
    SovereigntyCost, Status,
};

use std::time::Instant;

use good_lp::solvers::highs::highs;
use good_lp::{DualValues, Solution, SolutionStatus, SolutionWithDual, SolverModel};
use sovsim_core::model::Scenario;

use formulation::{Fixed, Model, Sense, Settings};

/// Why no plan came out.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimiseError {
    /// The scenario lacks figures the formulation needs.
    Missing(Vec<MissingFigure>),
    /// Even with every slack, no plan satisfies the fixed rules (committed entities that do not
    /// fit their site, for instance).
    Infeasible(String),
    /// HiGHS failed or found no solution in its time limit.
    Solver(String),
}

impl std::fmt::Display for OptimiseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptimiseError::Missing(list) => {
                let list: Vec<&str> = list.iter().map(|m| m.0.as_str()).collect();
                write!(f, "{}", list.join("; "))
            }
            OptimiseError::Infeasible(why) | OptimiseError::Solver(why) => write!(f, "{why}"),
        }
    }
}

fn settings(scenario: &Scenario) -> Settings {
    let o = &scenario.optimize;
    Settings {
        objective: o.objective,
        budget_eur_per_year: o.budget_eur_per_year,
        carbon_cap_t_per_year: o.carbon_cap_t_per_year,
        sovereign_tiers: o.sovereign_tiers.iter().map(|t| t.index()).collect(),
        min_sovereign_share: o.min_sovereign_share.map(|(t, s)| (t.index(), s)),
        shortfall_penalty_factor: o.shortfall_penalty_factor,
        fixed: None,
    }
}

/// The solved model: variable values.
pub(crate) struct Solved {
    pub inner: good_lp::solvers::highs::HighsSolution,
    pub duals: Option<Vec<f64>>,
    pub status: Status,
}

impl Solved {
    /// A variable's value; solvers return −0.0, which would print as "-0".
    pub fn value(&self, variable: good_lp::Variable) -> f64 {
        self.inner.value(variable) + 0.0
    }
}

fn solve(
    model: Model,
    gap: f64,
    time_limit_s: f64,
    with_duals: bool,
) -> Result<
    (
        Solved,
        formulation::Vars,
        Vec<formulation::Row>,
        Vec<formulation::Part>,
    ),
    OptimiseError,
> {
    let Model {
        problem,
        vars,
        rows,
        parts,
        ..
    } = model;
    let all = formulation::objective(&parts);
    let mut lp = problem
        .minimise(all.expression())
        .using(highs)
        .set_time_limit(time_limit_s)
        .set_threads(1);
    lp = lp
        .set_mip_rel_gap(gap as f32)
        .map_err(|e| OptimiseError::Solver(e.to_string()))?;
    let mut refs = Vec::with_capacity(rows.len());
    for r in &rows {
        let lin = formulation::Lin {
            terms: r.terms.clone(),
            constant: 0.0,
        };
        let e = lin.expression();
        let c = match r.sense {
            Sense::Le => e.leq(r.rhs),
            Sense::Ge => e.geq(r.rhs),
            Sense::Eq => e.eq(r.rhs),
        };
        refs.push(lp.add_constraint(c));
    }
    let solution = lp.solve().map_err(|e| match e {
        good_lp::ResolutionError::Infeasible => OptimiseError::Infeasible(
            "no plan satisfies the fixed rules even with slack on demand, budget and carbon: check that committed halls, clusters and power fit their sites".to_owned(),
        ),
        other => OptimiseError::Solver(other.to_string()),
    })?;
    let status = match solution.status() {
        SolutionStatus::Optimal => Status::Optimal,
        SolutionStatus::GapLimit => Status::WithinGap,
        SolutionStatus::TimeLimit => Status::TimeLimit,
    };
    let mut inner = solution;
    let duals = with_duals.then(|| {
        let d = inner.compute_dual();
        refs.iter().map(|r| d.dual(r.clone())).collect()
    });
    Ok((
        Solved {
            inner,
            duals,
            status,
        },
        vars,
        rows,
        parts,
    ))
}

/// The size of the scenario's model, built but not solved (for benchmarks and reports).
///
/// # Errors
/// Missing figures.
pub fn model_size(scenario: &Scenario) -> Result<Size, OptimiseError> {
    let inst = instance::build(scenario).map_err(OptimiseError::Missing)?;
    Ok(formulation::build(&inst, &settings(scenario)).size())
}

/// The scenario's model — the MILP [`optimise`] hands to HiGHS, before solving — as a file of
/// `format` (free MPS or CPLEX LP) with readable row and column names.
///
/// # Errors
/// Missing figures.
pub fn write_model(scenario: &Scenario, format: files::Format) -> Result<String, OptimiseError> {
    let inst = instance::build(scenario).map_err(OptimiseError::Missing)?;
    let model = formulation::build(&inst, &settings(scenario));
    Ok(files::write(scenario, &inst, &model, format))
}

/// Optimises the scenario's buildout: the plan, its cost parts, shortfalls in words and shadow
/// prices.
///
/// # Errors
/// Missing figures, a plan infeasible even with slack, or a solver failure.
pub fn optimise(scenario: &Scenario) -> Result<Outcome, OptimiseError> {
    let inst = instance::build(scenario).map_err(OptimiseError::Missing)?;
    let spec = &scenario.optimize;
    let settings = settings(scenario);
    let started = Instant::now();
    let model = formulation::build(&inst, &settings);
    let size = model.size();
    let build_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (solved, vars, _, parts) = solve(model, spec.mip_gap, spec.time_limit_s, false)?;
    let solve_s = started.elapsed().as_secs_f64();
    // Fix the integers and re-solve the LP for shadow prices.
    let fixed = Fixed {
        acquire: vars
            .acquire
            .iter()
            .map(|v| solved.value(*v).round())
            .collect(),
        blocks: vars
            .blocks
            .iter()
            .map(|per| {
                per.iter()
                    .map(|v| v.map(|v| solved.value(v).round()))
                    .collect()
            })
            .collect(),
    };
    let lp = formulation::build(
        &inst,
        &Settings {
            fixed: Some(fixed),
            ..settings.clone()
        },
    );
    let (dual_solved, _, dual_rows, _) = solve(lp, spec.mip_gap, spec.time_limit_s, true)?;
    let mut outcome = results::read(scenario, &inst, &settings, &solved, &vars, &parts);
    outcome.shadow_prices = results::shadow_prices(
        scenario,
        &inst,
        &dual_rows,
        dual_solved.duals.as_deref().unwrap_or(&[]),
    );
    outcome.size = size;
    outcome.build_s = build_s;
    outcome.solve_s = solve_s;
    Ok(outcome)
}

/// The cost of each sovereignty rule: the scenario re-optimised with one tier's clauses removed
/// (every cluster then qualifies for it), against the strict optimum.
///
/// # Errors
/// As [`optimise`], for any of the relaxed problems.
pub fn cost_of_sovereignty(
    scenario: &Scenario,
    strict: &Outcome,
) -> Result<Vec<SovereigntyCost>, OptimiseError> {
    let mut out = Vec::new();
    for (k, tier) in scenario.tiers.iter().enumerate() {
        let used = scenario.training.iter().any(|d| d.tier.index() == k)
            || scenario.inference.iter().any(|d| d.tier.index() == k)
            || scenario
                .optimize
                .min_sovereign_share
                .is_some_and(|(t, _)| t.index() == k);
        if tier.clauses.is_empty() || !used {
            continue;
        }
        let mut relaxed = scenario.clone();
        relaxed.tiers[k].clauses.clear();
        let r = optimise(&relaxed)?;
        let years: Vec<i32> = strict.it_gw.iter().map(|(y, _)| *y).collect();
        let served = strict.tier_served_gpu_hours.get(k).copied().unwrap_or(0.0);
        let delta = strict.objective - r.objective;
        out.push(SovereigntyCost {
            served_gpu_hours: served,
            premium_eur_per_gpu_hour: if served > 0.0 {
                delta / served
            } else {
                f64::NAN
            },
            strict_rented_gpu_hours: strict.rented_gpu_hours(),
            relaxed_rented_gpu_hours: r.rented_gpu_hours(),
            strict_met_from: strict.met_from(&tier.id, &years),
            relaxed_met_from: r.met_from(&tier.id, &years),
            tier: tier.id.clone(),
            clauses: tier.clauses.len(),
            strict_objective: strict.objective,
            relaxed_objective: r.objective,
            delta_objective: delta,
            strict_it_gw: strict.it_gw_end,
            relaxed_it_gw: r.it_gw_end,
            // Rounded to the MW: the difference of two solver answers carries their noise.
            delta_it_gw: ((strict.it_gw_end - r.it_gw_end) * 1e3).round() / 1e3 + 0.0,
            strict_shortfall_gw: strict.shortfall_gw_max,
            relaxed_shortfall_gw: r.shortfall_gw_max,
        });
    }
    Ok(out)
}

/// The cost of sovereignty as the required level rises: for each objective of the Cloud
/// Sovereignty Framework and each SEAL from 0 (no rule) to 4, every tier's rule is replaced by
/// that least SEAL on that objective and the plan optimised again. Levels that admit the same
/// clusters and offers share one solve.
///
/// # Errors
/// As [`optimise`], for any of the problems.
pub fn seal_curve(scenario: &Scenario) -> Result<Vec<CurvePoint>, OptimiseError> {
    use sovsim_core::model::{Attribute, Clause, SEAL_MAX, Test};
    let mut solved: Vec<(Vec<Vec<bool>>, Outcome)> = Vec::new();
    let mut out = Vec::new();
    let mut base = None;
    for (o, objective) in scenario.framework.objectives.iter().enumerate() {
        for seal in 0..=SEAL_MAX {
            let mut s = scenario.clone();
            for tier in &mut s.tiers {
                tier.clauses = if seal == 0 {
                    Vec::new()
                } else {
                    vec![Clause {
                        attribute: Attribute::Seal(o as u8),
                        test: Test::AtLeast(f64::from(seal)),
                        source: format!("SEAL-{seal} on {}", objective.id),
                    }]
                };
            }
            let clusters: Vec<bool> = sovsim_core::sovereignty::evaluate(&s)
                .into_iter()
                .zip(&s.clusters)
                .filter(|(_, c)| c.planned())
                .map(|(e, _)| e.qualifies.first().copied().unwrap_or(true))
                .collect();
            let offers: Vec<bool> = sovsim_core::sovereignty::evaluate_offers(&s)
                .into_iter()
                .map(|e| e.qualifies.first().copied().unwrap_or(true))
                .collect();
            let key = vec![clusters.clone(), offers.clone()];
            let outcome = match solved.iter().find(|(k, _)| *k == key) {
                Some((_, r)) => r.clone(),
                None => {
                    let r = optimise(&s)?;
                    solved.push((key, r.clone()));
                    r
                }
            };
            let base_objective = *base.get_or_insert(outcome.objective);
            out.push(CurvePoint {
                objective: objective.id.clone(),
                seal,
                clusters_qualifying: clusters.iter().filter(|q| **q).count(),
                offers_qualifying: offers.iter().filter(|q| **q).count(),
                objective_eur: outcome.objective,
                npv_cost_eur: outcome.npv_cost_eur,
                premium_eur: outcome.objective - base_objective,
                it_gw_peak: outcome.it_gw.iter().map(|(_, g)| *g).fold(0.0, f64::max),
                rented_gpu_hours: outcome.rented_gpu_hours(),
                shortfall_gw_max: outcome.shortfall_gw_max,
            });
        }
    }
    Ok(out)
}
