//! A case through the financial model — inputs, waterfall and figures, the programme's and each
//! phase's — and the lender's base case, on which the debt every case carries is sized.

use super::debt::{Debt, Terms};
use super::inputs::Inputs;
use super::metrics::Metrics;
use super::phases::{Financing, PhaseCase, PhaseInputs, run_phases};
use super::waterfall::{Cashflows, run};

/// One replication through the model: its inputs, cash flows and figures, the programme's and
/// each phase's.
#[derive(Clone, Debug)]
pub struct Case {
    /// Inputs from the simulation (the programme's).
    pub inputs: Inputs,
    /// The waterfall (the programme's: its phases consolidated).
    pub flows: Cashflows,
    /// Headline figures.
    pub metrics: Metrics,
    /// Each phase.
    pub phases: Vec<PhaseCase>,
}

impl Case {
    /// Runs `inputs`, one project, through the waterfall with `terms` and `debt`.
    pub fn of(inputs: Inputs, terms: &Terms, debt: &Debt) -> Case {
        let flows = run(&inputs, terms, debt);
        let metrics = Metrics::of(&inputs, terms, debt, &flows);
        Case {
            inputs,
            flows,
            metrics,
            phases: Vec::new(),
        }
    }

    /// Runs each phase with its financing and consolidates them.
    pub fn phased(parts: Vec<PhaseInputs>, terms: &Terms, financing: &Financing) -> Case {
        let (inputs, flows, metrics, phases) = run_phases(parts, terms, financing);
        Case {
            inputs,
            flows,
            metrics,
            phases,
        }
    }
}

/// The lender's base case: the scenario at its medians (replication 0), dispatched under its
/// policy, with the debt sized on it (made by `study::pipeline::base_case`).
#[derive(Clone, Debug)]
pub struct BaseCase {
    /// The financing terms.
    pub terms: Terms,
    /// Each phase's debt, as every replication then carries it.
    pub financing: Financing,
    /// The base case itself.
    pub case: Case,
}
