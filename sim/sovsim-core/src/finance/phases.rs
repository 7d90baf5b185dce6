//! Financing per phase: each site (or the whole programme as one) is a project of its own — its
//! capex, its cash flows, its COD, its term loan sized on its own base case, its DSRA, its
//! sources and uses — and the programme's figures consolidate them.
//!
//! Why per site: a programme's sites are built years apart. One COD for all of them makes the
//! earliest sites accrue construction interest, and owe nothing, until the last one is done, while
//! the debt's schedule then outlives the contracts of the early ones. Lenders finance a phase when
//! it is built, on its own cash flows (ring-fenced project companies).

use super::debt::{Debt, Schedule, Terms};
use super::inputs::Inputs;
use super::metrics::{EQUITY_WITHIN_COMMITMENT, Metrics, SIZING_CONVERGED};
use super::sizing::size;
use super::waterfall::{Cashflows, Row, Sources, Uses, run};
use crate::model::Phasing;

/// One phase's inputs: its name (a site id, or `programme`) and its cash flows.
#[derive(Clone, Debug)]
pub struct PhaseInputs {
    /// Site id, or `programme`.
    pub name: String,
    /// Its inputs.
    pub inputs: Inputs,
}

/// The phases of a programme from its inputs by site (scenario order): one per site that spends
/// or earns anything, or one for the whole programme.
pub fn phases(site_ids: &[String], by_site: Vec<Inputs>, phasing: Phasing) -> Vec<PhaseInputs> {
    match phasing {
        Phasing::Programme => vec![PhaseInputs {
            name: "programme".to_owned(),
            inputs: Inputs::sum(&by_site),
        }],
        Phasing::Site => {
            let mut out: Vec<PhaseInputs> = site_ids
                .iter()
                .zip(by_site)
                .filter(|(_, i)| (0..i.periods()).any(|p| i.capex(p) != 0.0 || i.revenue(p) != 0.0))
                .map(|(name, inputs)| PhaseInputs {
                    name: name.clone(),
                    inputs,
                })
                .collect();
            if out.is_empty() {
                // Nothing spent or earned anywhere: still one (empty) phase to report.
                out.push(PhaseInputs {
                    name: "programme".to_owned(),
                    inputs: Inputs::sum(&[]),
                });
            }
            out
        }
    }
}

/// One phase's financing, as sized on the base case.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// Site id, or `programme`.
    pub name: String,
    /// Its share of the programme's grants (by initial capex).
    pub grants_share: f64,
    /// Its debt.
    pub debt: Debt,
}

impl Phase {
    /// The phase's terms within the programme's `terms`.
    pub fn terms(&self, terms: &Terms) -> Terms {
        phase_terms(terms, self.grants_share)
    }
}

/// A phase's terms within the programme's `terms`: its share of the grants; the sponsors'
/// commitment is to the programme, so it is checked on the total.
fn phase_terms(terms: &Terms, grants_share: f64) -> Terms {
    Terms {
        grants_eur: terms.grants_eur * grants_share,
        equity_committed_eur: None,
        ..terms.clone()
    }
}

/// The financing of every phase, as sized on the base case and carried by every case.
#[derive(Clone, Debug, PartialEq)]
pub struct Financing {
    /// The phases, in scenario order.
    pub phases: Vec<Phase>,
}

impl Financing {
    /// A figure of the phases' debts added up [EUR].
    pub fn total(&self, figure: fn(&Debt) -> f64) -> f64 {
        self.phases.iter().map(|p| figure(&p.debt)).sum()
    }

    /// The limit that sized every phase's debt, or `mixed`.
    pub fn binding(&self) -> &'static str {
        let first = self.phases.first().map(|p| p.debt.binding);
        if self.phases.iter().all(|p| Some(p.debt.binding) == first) {
            first.map_or("gearing", |b| b.name())
        } else {
            "mixed"
        }
    }

    /// The limit that sized every phase's GPU facility, `mixed`, or `none` without one.
    pub fn gpu_binding(&self) -> &'static str {
        let with: Vec<_> = self
            .phases
            .iter()
            .filter(|p| p.debt.gpu.advance_cap_eur > 0.0)
            .map(|p| p.debt.gpu.binding)
            .collect();
        match with.first() {
            None => "none",
            Some(first) if with.iter().all(|b| b == first) => first.name(),
            Some(_) => "mixed",
        }
    }

    /// The phase that completes last (the programme's COD), if any.
    pub fn last(&self) -> Option<&Phase> {
        self.phases.iter().max_by_key(|p| p.debt.construction_end)
    }
}

/// Sizes each phase's debt on its base-case inputs, the grants shared by initial capex.
pub fn size_phases(base: &[PhaseInputs], terms: &Terms) -> Financing {
    let initial = |i: &Inputs| -> f64 {
        i.capex
            .iter()
            .filter(|l| l.class.initial())
            .flat_map(|l| &l.eur)
            .sum()
    };
    let total: f64 = base.iter().map(|p| initial(&p.inputs)).sum();
    Financing {
        phases: base
            .iter()
            .map(|p| {
                let share = if total > 0.0 {
                    initial(&p.inputs) / total
                } else {
                    1.0 / base.len() as f64
                };
                Phase {
                    name: p.name.clone(),
                    grants_share: share,
                    debt: size(&p.inputs, &phase_terms(terms, share)),
                }
            })
            .collect(),
    }
}

/// One phase of a case: its inputs, its waterfall and its figures.
#[derive(Clone, Debug)]
pub struct PhaseCase {
    /// Site id, or `programme`.
    pub name: String,
    /// Its inputs.
    pub inputs: Inputs,
    /// Its waterfall.
    pub flows: Cashflows,
    /// Its figures.
    pub metrics: Metrics,
}

/// Runs each phase with its financing and consolidates: flows added period by period, the
/// programme's figures read off the sum (IRRs, NPV, LCOC) or taken as the weakest phase's
/// (minimum DSCR and LLCR, covenant and long-stop breaches), checks holding in every phase.
pub fn run_phases(
    parts: Vec<PhaseInputs>,
    terms: &Terms,
    financing: &Financing,
) -> (Inputs, Cashflows, Metrics, Vec<PhaseCase>) {
    let cases: Vec<PhaseCase> = parts
        .into_iter()
        .zip(&financing.phases)
        .map(|(p, phase)| {
            let t = phase.terms(terms);
            let flows = run(&p.inputs, &t, &phase.debt);
            let metrics = Metrics::of(&p.inputs, &t, &phase.debt, &flows);
            PhaseCase {
                name: p.name,
                inputs: p.inputs,
                flows,
                metrics,
            }
        })
        .collect();
    if let [one] = cases.as_slice() {
        // One phase is the programme: its own figures, with the sponsors' commitment checked.
        let mut metrics = one.metrics.clone();
        metrics.checks[EQUITY_WITHIN_COMMITMENT] = terms
            .equity_committed_eur
            .is_none_or(|c| metrics.equity_eur <= c * (1.0 + 1e-9));
        return (one.inputs.clone(), one.flows.clone(), metrics, cases);
    }
    let inputs = Inputs::sum(&cases.iter().map(|c| c.inputs.clone()).collect::<Vec<_>>());
    let flows = consolidate(&cases);
    let debt = Debt {
        converged: cases.iter().all(|c| c.metrics.checks[SIZING_CONVERGED]),
        ..Debt::none(flows.schedule.cod)
    };
    let mut m = Metrics::of(&inputs, terms, &debt, &flows);
    let min = |f: fn(&Metrics) -> Option<f64>| {
        cases.iter().filter_map(|c| f(&c.metrics)).reduce(f64::min)
    };
    m.dscr_min = min(|m| m.dscr_min);
    m.llcr_min = min(|m| m.llcr_min);
    m.debt_eur = cases.iter().map(|c| c.metrics.debt_eur).sum();
    m.covenant_breached = cases.iter().any(|c| c.metrics.covenant_breached);
    m.long_stop_passed = cases.iter().any(|c| c.metrics.long_stop_passed);
    // Every check but the sponsors' commitment (read on the total above) must hold in each phase.
    for (k, check) in m.checks.iter_mut().enumerate() {
        if k != EQUITY_WITHIN_COMMITMENT {
            *check &= cases.iter().all(|c| c.metrics.checks[k]);
        }
    }
    (inputs, flows, m, cases)
}

/// The programme's waterfall: every flow and balance added period by period; its DSCR is the
/// phases' CFADS over their debt service where they owe some, its LLCR and PLCR the phases'
/// discounted CFADS and reserves over their debt, and its schedule ends with the last phase.
fn consolidate(cases: &[PhaseCase]) -> Cashflows {
    let n = cases.first().map_or(0, |c| c.flows.rows.len());
    let mut rows = vec![Row::default(); n];
    for (p, r) in rows.iter_mut().enumerate() {
        let (mut served_cfads, mut llcr_num, mut plcr_num, mut opening) = (0.0, 0.0, 0.0, 0.0);
        for c in cases {
            let x = &c.flows.rows[p];
            for (to, from) in [
                (&mut r.revenue_eur, x.revenue_eur),
                (&mut r.opex_eur, x.opex_eur),
                (&mut r.ebitda_eur, x.ebitda_eur),
                (&mut r.capex_eur, x.capex_eur),
                (&mut r.reinvested_eur, x.reinvested_eur),
                (&mut r.depreciation_eur, x.depreciation_eur),
                (&mut r.interest_eur, x.interest_eur),
                (&mut r.fees_eur, x.fees_eur),
                (&mut r.taxable_income_eur, x.taxable_income_eur),
                (&mut r.losses_carried_eur, x.losses_carried_eur),
                (&mut r.tax_eur, x.tax_eur),
                (&mut r.net_income_eur, x.net_income_eur),
                (&mut r.cfads_eur, x.cfads_eur),
                (&mut r.grants_drawn_eur, x.grants_drawn_eur),
                (&mut r.equity_drawn_eur, x.equity_drawn_eur),
                (&mut r.debt_drawn_eur, x.debt_drawn_eur),
                (&mut r.gpu_drawn_eur, x.gpu_drawn_eur),
                (&mut r.gpu_interest_eur, x.gpu_interest_eur),
                (&mut r.gpu_principal_eur, x.gpu_principal_eur),
                (&mut r.gpu_closing_eur, x.gpu_closing_eur),
                (&mut r.debt_opening_eur, x.debt_opening_eur),
                (&mut r.principal_eur, x.principal_eur),
                (&mut r.sweep_eur, x.sweep_eur),
                (&mut r.debt_closing_eur, x.debt_closing_eur),
                (&mut r.debt_service_eur, x.debt_service_eur),
                (&mut r.dsra_flow_eur, x.dsra_flow_eur),
                (&mut r.dsra_eur, x.dsra_eur),
                (&mut r.distributions_eur, x.distributions_eur),
                (&mut r.cash_eur, x.cash_eur),
                (&mut r.book_value_eur, x.book_value_eur),
                (&mut r.deferred_revenue_eur, x.deferred_revenue_eur),
                (&mut r.project_cf_eur, x.project_cf_eur),
                (&mut r.equity_cf_eur, x.equity_cf_eur),
                (&mut r.balance_gap_eur, x.balance_gap_eur),
            ] {
                *to += from;
            }
            r.locked_up |= x.locked_up;
            if x.dscr.is_some() {
                served_cfads += x.cfads_eur;
            }
            if let (Some(l), Some(pl)) = (x.llcr, x.plcr) {
                llcr_num += l * x.debt_opening_eur;
                plcr_num += pl * x.debt_opening_eur;
                opening += x.debt_opening_eur;
            }
        }
        if r.debt_service_eur > 0.0 && cases.iter().any(|c| c.flows.rows[p].dscr.is_some()) {
            r.dscr = Some(served_cfads / r.debt_service_eur);
        }
        if opening > 0.0 {
            r.llcr = Some(llcr_num / opening);
            r.plcr = Some(plcr_num / opening);
        }
    }
    let sum = |f: fn(&Cashflows) -> f64| cases.iter().map(|c| f(&c.flows)).sum::<f64>();
    let mut capex: Vec<(super::inputs::Class, f64)> = Vec::new();
    for c in cases {
        for (class, v) in &c.flows.uses.capex_eur {
            match capex.iter_mut().find(|(k, _)| k == class) {
                Some((_, total)) => *total += v,
                None => capex.push((*class, *v)),
            }
        }
    }
    Cashflows {
        rows,
        uses: Uses {
            capex_eur: capex,
            idc_eur: sum(|f| f.uses.idc_eur),
            fees_eur: sum(|f| f.uses.fees_eur),
            dsra_eur: sum(|f| f.uses.dsra_eur),
            tax_eur: sum(|f| f.uses.tax_eur),
        },
        sources: Sources {
            grants_eur: sum(|f| f.sources.grants_eur),
            equity_eur: sum(|f| f.sources.equity_eur),
            debt_eur: sum(|f| f.sources.debt_eur),
            gpu_debt_eur: sum(|f| f.sources.gpu_debt_eur),
            prepayments_eur: sum(|f| f.sources.prepayments_eur),
            operations_eur: sum(|f| f.sources.operations_eur),
        },
        funding_need_after_grants_eur: sum(|f| f.funding_need_after_grants_eur),
        terminal_value_eur: sum(|f| f.terminal_value_eur),
        schedule: Schedule {
            cod: cases
                .iter()
                .map(|c| c.flows.schedule.cod)
                .max()
                .unwrap_or(0),
            maturity: cases
                .iter()
                .map(|c| c.flows.schedule.maturity)
                .max()
                .unwrap_or(0),
            long_stop_passed: cases.iter().any(|c| c.flows.schedule.long_stop_passed),
        },
        gpu_draws: cases
            .iter()
            .flat_map(|c| c.flows.gpu_draws.iter().cloned())
            .collect(),
    }
}
