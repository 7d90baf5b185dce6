//! The investor's questions on one scenario: its inputs moved one at a time (a tornado), as named
//! cases, or until an output reaches a target (a break-even), each variant read through the
//! financial model with the debt sized once on the unchanged scenario's base case.
//!
//! Why the debt stays: a lender sizes the loan on the base case and then asks what the loan
//! survives. Re-sizing it on each variant would sculpt every variant back to the target DSCR and
//! hide the very risk the question is about (FINANCE.md: cases, tornado, break-even).
//!
//! An *input* is a lever over many scenario figures at once (every GPU-hour price, every hall's
//! capex…), moved by a relative change (−0.4: 40 % lower), an absolute change of a rate (+0.04:
//! four points higher) or a delay in months added to every duration of its kind. A variant is
//! evaluated either deterministically — the scenario at its medians, as the base case is — or as a
//! quantile over replications with the scenario's seeds, so variants share their random numbers
//! and differences are not noise.
//!
//! The engine, dispatch and this module do no I/O.

use rayon::prelude::*;

use crate::dispatch;
use crate::engine::buildout::{self, Replication};
use crate::engine::replicate::{ThreadPoolError, nearest_rank, replicate};
use crate::finance::{self, BaseCase, Metrics, Terms};
use crate::model::{Policy, Scenario, Uncertain};

/// How an input's value changes the figures it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Multiplies them by (1 + value); the value is above −1.
    Relative,
    /// Adds the value to a rate [fraction per year].
    Rate,
    /// Adds the value to durations [months]; a duration never falls below zero.
    Months,
}

/// A lever over the scenario's figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// Every contracted GPU-hour price (and the spot price, which follows it) and the token price.
    GpuRent,
    /// Every grid energy price and on-site energy price.
    EnergyPrice,
    /// The price per GPU of every cluster and refresh.
    GpuCapex,
    /// The capex of halls, on-site power plants and land.
    FacilityCapex,
    /// Maintenance, insurance, staff and network costs.
    Opex,
    /// The base interest rate under both facilities.
    BaseRate,
    /// Months added to every site's permit.
    PermitDelay,
    /// Months added to every grid connection's queue wait.
    GridDelay,
    /// Months added to every hall phase's and on-site plant's build time.
    ConstructionDelay,
    /// Months added to every GPU order's lead time.
    GpuDelay,
    /// Inference tokens per day and training runs per year.
    Demand,
}

impl Input {
    /// Every input, in the order tables list them.
    pub const ALL: [Input; 11] = [
        Input::GpuRent,
        Input::EnergyPrice,
        Input::GpuCapex,
        Input::FacilityCapex,
        Input::Opex,
        Input::BaseRate,
        Input::PermitDelay,
        Input::GridDelay,
        Input::ConstructionDelay,
        Input::GpuDelay,
        Input::Demand,
    ];

    /// The name scenarios and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Input::GpuRent => "gpu_rent",
            Input::EnergyPrice => "energy_price",
            Input::GpuCapex => "gpu_capex",
            Input::FacilityCapex => "facility_capex",
            Input::Opex => "opex",
            Input::BaseRate => "base_rate",
            Input::PermitDelay => "permit_delay_months",
            Input::GridDelay => "grid_delay_months",
            Input::ConstructionDelay => "construction_delay_months",
            Input::GpuDelay => "gpu_delay_months",
            Input::Demand => "demand",
        }
    }

    /// The input called `name`.
    pub fn parse(name: &str) -> Option<Input> {
        Input::ALL.into_iter().find(|i| i.name() == name)
    }

    /// How its value applies.
    pub fn change(self) -> Change {
        match self {
            Input::BaseRate => Change::Rate,
            Input::PermitDelay | Input::GridDelay | Input::ConstructionDelay | Input::GpuDelay => {
                Change::Months
            }
            _ => Change::Relative,
        }
    }

    /// What it moves, in words.
    pub fn meaning(self) -> &'static str {
        match self {
            Input::GpuRent => "every GPU-hour price (contracted and spot) and the token price",
            Input::EnergyPrice => "every grid and on-site energy price",
            Input::GpuCapex => "the price per GPU of every cluster and refresh",
            Input::FacilityCapex => "the capex of halls, on-site power plants and land",
            Input::Opex => "maintenance, insurance, staff and network costs",
            Input::BaseRate => "the base interest rate of both facilities",
            Input::PermitDelay => "months added to every site's permit",
            Input::GridDelay => "months added to every grid connection's queue wait",
            Input::ConstructionDelay => {
                "months added to every hall phase's and on-site plant's build time"
            }
            Input::GpuDelay => "months added to every GPU order's lead time",
            Input::Demand => "inference tokens per day and training runs per year",
        }
    }

    /// The unit of its value.
    pub fn unit(self) -> &'static str {
        match self.change() {
            Change::Relative => "fraction (−0.4: 40 % lower)",
            Change::Rate => "fraction per year added (0.04: +4 points)",
            Change::Months => "months added",
        }
    }

    /// Keys of `data/defaults.csv` holding its default range.
    pub fn default_keys(self) -> (String, String) {
        (
            format!("sensitivity_{}_low", self.name()),
            format!("sensitivity_{}_high", self.name()),
        )
    }

    /// The level the input moves, when it has one a distance in % can be measured from: the base
    /// rate. A relative input's value is itself that distance; a delay has no level.
    pub fn level(self, scenario: &Scenario) -> Option<f64> {
        match self {
            Input::BaseRate => scenario.finance.as_ref().map(|f| f.base_rate),
            _ => None,
        }
    }

    /// How far `value` moves the input from the scenario, in % of its level: the value itself for
    /// a relative input, the change over the base rate for the rate; `None` for a delay.
    pub fn distance_pct(self, scenario: &Scenario, value: f64) -> Option<f64> {
        match self.change() {
            Change::Relative => Some(value * 100.0),
            Change::Rate => self
                .level(scenario)
                .filter(|l| *l != 0.0)
                .map(|l| value / l * 100.0),
            Change::Months => None,
        }
    }

    /// Whether `value` is one this input can take.
    pub fn accepts(self, value: f64) -> bool {
        value.is_finite() && (self.change() != Change::Relative || value > -1.0)
    }

    /// `value` in words: "−40 %", "+4.00 points", "+6.0 months".
    pub fn describe(self, value: f64) -> String {
        let sign = if value < 0.0 { "−" } else { "+" };
        match self.change() {
            Change::Relative => format!("{sign}{} %", trim(value.abs() * 100.0)),
            Change::Rate => format!("{sign}{} points", trim(value.abs() * 100.0)),
            Change::Months => format!("{sign}{} months", trim(value.abs())),
        }
    }

    /// Moves the scenario's figures by `value`.
    pub fn apply(self, s: &mut Scenario, value: f64) {
        let k = 1.0 + value;
        let scale = |u: &mut Uncertain| u.dist = u.dist.scaled(k);
        let delay = |u: &mut Uncertain| u.dist = u.dist.shifted(value);
        match self {
            Input::GpuRent => {
                if let Some(f) = &mut s.finance {
                    f.gpu_hour_price_eur.values_mut().for_each(scale);
                    f.token_price_eur_per_mtok.as_mut().map(scale);
                }
            }
            Input::EnergyPrice => {
                for g in &mut s.grid_connections {
                    scale(&mut g.price_eur_per_mwh);
                }
                for a in &mut s.power_assets {
                    a.energy_price_eur_per_mwh.as_mut().map(scale);
                }
            }
            Input::GpuCapex => {
                for c in &mut s.clusters {
                    c.accelerator.price_per_gpu = c.accelerator.price_per_gpu.map(|p| p * k);
                }
            }
            Input::FacilityCapex => {
                for h in &mut s.shells {
                    h.kind.capex_per_mw *= k;
                }
                for a in &mut s.power_assets {
                    a.tech.capex_per_kw = a.tech.capex_per_kw.map(|c| c * k);
                }
                for site in &mut s.sites {
                    site.land_cost.0 *= k;
                }
            }
            Input::Opex => {
                if let Some(f) = &mut s.finance {
                    f.maintenance_per_year *= k;
                    f.insurance_per_year *= k;
                    f.staff_eur_per_mw_year *= k;
                    f.network_eur_per_gpu_year *= k;
                }
            }
            Input::BaseRate => {
                if let Some(f) = &mut s.finance {
                    f.base_rate += value;
                }
            }
            Input::PermitDelay => s.sites.iter_mut().for_each(|x| delay(&mut x.permit_months)),
            Input::GridDelay => s
                .grid_connections
                .iter_mut()
                .for_each(|g| delay(&mut g.queue_wait_months)),
            Input::ConstructionDelay => {
                for phase in s.shells.iter_mut().flat_map(|h| &mut h.phases) {
                    delay(&mut phase.build_months);
                }
                for a in &mut s.power_assets {
                    delay(&mut a.build_months);
                }
            }
            Input::GpuDelay => s
                .clusters
                .iter_mut()
                .for_each(|c| delay(&mut c.lead_time_months)),
            Input::Demand => {
                for d in &mut s.inference {
                    scale(&mut d.tokens_per_day);
                }
                for t in &mut s.training {
                    scale(&mut t.runs_per_year);
                }
            }
        }
    }
}

/// Up to two decimals, trailing zeros dropped ("40", "2.5", "0.25").
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `scenario` with each `(input, value)` applied in turn.
pub fn apply(scenario: &Scenario, changes: &[(Input, f64)]) -> Scenario {
    let mut s = scenario.clone();
    for (input, value) in changes {
        input.apply(&mut s, *value);
    }
    s
}

/// The range a tornado moves an input over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The input.
    pub input: Input,
    /// Low end of its change.
    pub low: f64,
    /// High end of its change.
    pub high: f64,
}

/// A named case: a set of input changes, and named overrides applied when the scenario is loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseSpec {
    /// Name (`downside`, `upside`, `combined`…).
    pub name: String,
    /// What it represents.
    pub description: String,
    /// Input changes, in the order of [`Input::ALL`].
    pub changes: Vec<(Input, f64)>,
    /// Names of `[overrides.NAME]` tables the case applies.
    pub overrides: Vec<String>,
}

impl CaseSpec {
    /// The changes in words: "gpu_rent −10 %, base_rate +4 points".
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .changes
            .iter()
            .map(|(i, v)| format!("{} {}", i.name(), i.describe(*v)))
            .collect();
        parts.extend(self.overrides.iter().map(|o| format!("override `{o}`")));
        if parts.is_empty() {
            "no change".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// An output a sensitivity reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Output {
    /// NPV of the project cash flows [EUR].
    Npv,
    /// Project IRR [fraction per year].
    ProjectIrr,
    /// Equity IRR [fraction per year].
    EquityIrr,
    /// Smallest DSCR over the loan life.
    DscrMin,
    /// Smallest LLCR.
    LlcrMin,
    /// When energised IT capacity first reaches 1 GW [months from the start].
    FirstGw,
}

/// The value of every output of one evaluation, in [`Output::ALL`] order; `None` where undefined
/// (an IRR without a sign change, a GW never reached).
pub type Outputs = [Option<f64>; 6];

impl Output {
    /// Every output.
    pub const ALL: [Output; 6] = [
        Output::Npv,
        Output::ProjectIrr,
        Output::EquityIrr,
        Output::DscrMin,
        Output::LlcrMin,
        Output::FirstGw,
    ];

    /// Its name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Output::Npv => "npv",
            Output::ProjectIrr => "project_irr",
            Output::EquityIrr => "equity_irr",
            Output::DscrMin => "dscr_min",
            Output::LlcrMin => "llcr_min",
            Output::FirstGw => "first_gw",
        }
    }

    /// The output called `name`.
    pub fn parse(name: &str) -> Option<Output> {
        Output::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Its unit.
    pub fn unit(self) -> &'static str {
        match self {
            Output::Npv => "EUR",
            Output::ProjectIrr | Output::EquityIrr => "fraction per year",
            Output::DscrMin | Output::LlcrMin => "ratio",
            Output::FirstGw => "months from the start",
        }
    }

    /// Its position in [`Outputs`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its value in `outputs`.
    pub fn of(self, outputs: &Outputs) -> Option<f64> {
        outputs[self.index()]
    }
}

/// Reads variants of a scenario through the financial model, carrying the debt sized on the
/// scenario's own base case.
#[derive(Clone, Debug)]
pub struct Evaluator {
    sized: BaseCase,
    policy: Policy,
}

impl Evaluator {
    /// Sizes the debt on `scenario`'s base case; `None` without a finance section.
    pub fn new(scenario: &Scenario) -> Option<Evaluator> {
        let policy = scenario.dispatch.policy;
        Some(Evaluator {
            sized: BaseCase::of(scenario, policy)?,
            policy,
        })
    }

    /// The base case the debt was sized on.
    pub fn sized(&self) -> &BaseCase {
        &self.sized
    }

    /// The base case of `variant` (its medians, replication 0) carrying the sized debt.
    pub fn base_case(&self, variant: &Scenario) -> Option<BaseCase> {
        let base = variant.at_medians();
        let rep = buildout::simulate(&base, 0, false);
        let setup = dispatch::Setup::new(&base, self.policy);
        let case = self.case(&base, &setup, 0, &rep)?;
        Some(BaseCase {
            terms: Terms::of(&base)?,
            debt: self.sized.debt.clone(),
            case,
        })
    }

    /// The outputs of `variant` at its medians (replication 0), as the base case is read.
    pub fn deterministic(&self, variant: &Scenario) -> Outputs {
        let base = variant.at_medians();
        let rep = buildout::simulate(&base, 0, false);
        let setup = dispatch::Setup::new(&base, self.policy);
        self.outputs(&base, &setup, 0, &rep)
    }

    /// The `quantile` (0 to 1) of each output of `variant` over replications `0..runs` with the
    /// scenario's seeds (nearest rank, over the replications where the output is defined; a GW
    /// never reached counts as later than any date).
    ///
    /// # Errors
    /// If the thread pool cannot be built.
    pub fn quantile(
        &self,
        variant: &Scenario,
        runs: u64,
        quantile: f64,
        threads: usize,
    ) -> Result<Outputs, ThreadPoolError> {
        // One dispatch setup serves every replication: it depends on the scenario alone.
        let setup = dispatch::Setup::new(variant, self.policy);
        let values = replicate(
            variant,
            runs,
            threads,
            Vec::new(),
            |all: &mut Vec<Outputs>, first, chunk| {
                let chunk: Vec<Outputs> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(i, r)| self.outputs(variant, &setup, first + i as u64, r))
                    .collect();
                all.extend(chunk);
            },
        )?;
        let mut out: Outputs = [None; 6];
        for o in Output::ALL {
            let mut v: Vec<f64> = values.iter().filter_map(|x| o.of(x)).collect();
            if o == Output::FirstGw {
                // Not reached: later than any date, so it still counts in the ranking.
                v.resize(values.len(), f64::INFINITY);
            }
            v.sort_by(f64::total_cmp);
            out[o.index()] = nearest_rank(&v, quantile).filter(|x| x.is_finite());
        }
        Ok(out)
    }

    fn case(
        &self,
        scenario: &Scenario,
        setup: &dispatch::Setup,
        replication: u64,
        rep: &Replication,
    ) -> Option<finance::Case> {
        let draws = dispatch::draw(scenario, replication);
        let outcome = dispatch::dispatch(scenario, setup, &rep.operational_gpu_hours, &draws);
        let terms = Terms::of(scenario)?;
        let prices = finance::draw_prices(scenario, replication)?;
        let inputs = finance::inputs(scenario, rep, &outcome, &prices)?;
        let flows = finance::run(&inputs, &terms, &self.sized.debt);
        let metrics = Metrics::of(&inputs, &terms, &self.sized.debt, &flows);
        Some(finance::Case {
            inputs,
            flows,
            metrics,
        })
    }

    fn outputs(
        &self,
        scenario: &Scenario,
        setup: &dispatch::Setup,
        replication: u64,
        rep: &Replication,
    ) -> Outputs {
        let first_gw = rep.gw_reached.first().map(|t| t.months());
        match self
            .case(scenario, setup, replication, rep)
            .map(|c| c.metrics)
        {
            Some(m) => [
                Some(m.npv_eur),
                m.project_irr,
                m.equity_irr,
                m.dscr_min,
                m.llcr_min,
                first_gw,
            ],
            None => [None, None, None, None, None, first_gw],
        }
    }
}

/// One input's bar of a tornado: the outputs at each end of its range.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The input and its range.
    pub range: Range,
    /// Outputs at the low end.
    pub low: Outputs,
    /// Outputs at the high end.
    pub high: Outputs,
}

impl Bar {
    /// |output at the high end − output at the low end|; `None` if either is undefined.
    pub fn swing(&self, output: Output) -> Option<f64> {
        Some((output.of(&self.high)? - output.of(&self.low)?).abs())
    }
}

/// Evaluates each range's ends with `evaluate` (in parallel; results in the order of `ranges`).
pub fn tornado(
    scenario: &Scenario,
    ranges: &[Range],
    evaluate: &(impl Fn(&Scenario) -> Outputs + Sync),
) -> Vec<Bar> {
    let ends: Vec<(usize, f64)> = ranges
        .iter()
        .enumerate()
        .flat_map(|(i, r)| [(i, r.low), (i, r.high)])
        .collect();
    let values: Vec<Outputs> = ends
        .par_iter()
        .map(|(i, v)| evaluate(&apply(scenario, &[(ranges[*i].input, *v)])))
        .collect();
    ranges
        .iter()
        .zip(values.chunks(2))
        .map(|(r, v)| Bar {
            range: *r,
            low: v[0],
            high: v[1],
        })
        .collect()
}

/// Indices of `bars` by decreasing swing of `output`; undefined swings last; ties keep the
/// declared order.
pub fn rank(bars: &[Bar], output: Output) -> Vec<usize> {
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (bars[*a].swing(output), bars[*b].swing(output));
        match (x, y) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    });
    order
}

/// Points a break-even search first evaluates across its range, to find where the output crosses
/// the target; a crossing between two of them that cancels out is not seen (the search says which
/// range it scanned).
pub const SCAN_POINTS: usize = 17;

/// Most refinements of a crossing: each at least halves the bracket every other step.
pub const MAX_REFINEMENTS: usize = 100;

/// Where an output reaches a target.
#[derive(Clone, Debug, PartialEq)]
pub enum BreakEven {
    /// The input value at which the output equals the target (to the tolerance).
    Found {
        /// The input's value.
        value: f64,
        /// The output there.
        output: f64,
        /// Evaluations made.
        evaluations: usize,
    },
    /// No value in the range reaches the target.
    NotReached {
        /// The smallest and largest output seen across the range, with the input values there.
        seen: Option<((f64, f64), (f64, f64))>,
        /// Evaluations made.
        evaluations: usize,
    },
}

/// The value of an input in `[low, high]` at which `f` equals `target`: the crossing nearest to
/// zero (the unchanged scenario) among [`SCAN_POINTS`] evaluations, then refined by the Illinois
/// variant of regula falsi until the bracket is narrower than `tolerance` or `f` is within
/// 1e-9 of the target's scale; at most [`MAX_REFINEMENTS`] steps, so it always ends.
pub fn breakeven(
    mut f: impl FnMut(f64) -> Option<f64>,
    low: f64,
    high: f64,
    target: f64,
    tolerance: f64,
) -> BreakEven {
    let mut xs: Vec<f64> = (0..SCAN_POINTS)
        .map(|i| low + (high - low) * i as f64 / (SCAN_POINTS - 1) as f64)
        .collect();
    if low < 0.0 && high > 0.0 {
        xs.push(0.0);
    }
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut evaluations = 0;
    let mut points: Vec<(f64, f64)> = Vec::new();
    for x in xs {
        evaluations += 1;
        if let Some(y) = f(x).filter(|y| y.is_finite()) {
            points.push((x, y));
        }
    }
    let scale = target.abs().max(1e-12);
    let close = |y: f64| (y - target).abs() <= 1e-9 * scale;
    // Crossings between neighbours (or exact hits), nearest to the unchanged scenario first.
    let mut best: Option<((f64, f64), (f64, f64))> = None;
    let distance = |a: f64, b: f64| {
        if a <= 0.0 && b >= 0.0 {
            0.0
        } else {
            a.abs().min(b.abs())
        }
    };
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let crosses = (a.1 - target) * (b.1 - target) <= 0.0;
        if crosses && best.is_none_or(|(p, q)| distance(a.0, b.0) < distance(p.0, q.0)) {
            best = Some((a, b));
        }
    }
    if points.len() == 1 && close(points[0].1) {
        best = Some((points[0], points[0]));
    }
    let Some((mut a, mut b)) = best else {
        let min = points.iter().copied().min_by(|p, q| p.1.total_cmp(&q.1));
        let max = points.iter().copied().max_by(|p, q| p.1.total_cmp(&q.1));
        return BreakEven::NotReached {
            seen: min.zip(max),
            evaluations,
        };
    };
    for end in [a, b] {
        if close(end.1) {
            return BreakEven::Found {
                value: end.0,
                output: end.1,
                evaluations,
            };
        }
    }
    // Illinois: regula falsi that halves the weight of the end it keeps.
    let (mut fa, mut fb) = (a.1 - target, b.1 - target);
    for _ in 0..MAX_REFINEMENTS {
        if (b.0 - a.0).abs() <= tolerance {
            break;
        }
        let x = if fa != fb {
            (a.0 * fb - b.0 * fa) / (fb - fa)
        } else {
            (a.0 + b.0) / 2.0
        };
        // Stay strictly inside; fall back to bisection when the secant leaves the bracket.
        let x = if x > a.0.min(b.0) && x < a.0.max(b.0) {
            x
        } else {
            (a.0 + b.0) / 2.0
        };
        evaluations += 1;
        let Some(y) = f(x).filter(|y| y.is_finite()) else {
            // Undefined inside the bracket (an IRR without a sign change): stop at the bracket.
            break;
        };
        if close(y) {
            return BreakEven::Found {
                value: x,
                output: y,
                evaluations,
            };
        }
        let fx = y - target;
        if fx * fb < 0.0 {
            a = b;
            fa = fb;
        } else {
            fa /= 2.0;
        }
        b = (x, y);
        fb = fx;
    }
    // The bracket is as narrow as asked: report its end nearer the target.
    let end = if (a.1 - target).abs() <= (b.1 - target).abs() {
        a
    } else {
        b
    };
    BreakEven::Found {
        value: end.0,
        output: end.1,
        evaluations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_output_breaks_even_at_its_root() {
        let r = breakeven(|x| Some(1.5 + 2.0 * x), -0.9, 0.5, 1.0, 1e-12);
        let BreakEven::Found { value, .. } = r else {
            panic!("{r:?}")
        };
        assert!((value + 0.25).abs() < 1e-9, "{value}");
    }

    #[test]
    fn a_curved_output_is_refined_to_its_root() {
        // DSCR-like: falls faster as the input falls; root of 0.5 + (1 + x)^3 = 1 at x = 0.5^(1/3) − 1.
        let r = breakeven(|x| Some(0.5 + (1.0 + x).powi(3)), -0.9, 0.5, 1.0, 1e-12);
        let BreakEven::Found {
            value, evaluations, ..
        } = r
        else {
            panic!("{r:?}")
        };
        assert!((value - (0.5f64.cbrt() - 1.0)).abs() < 1e-8, "{value}");
        assert!(evaluations < SCAN_POINTS + MAX_REFINEMENTS);
    }

    #[test]
    fn the_crossing_nearest_the_scenario_is_chosen() {
        // Crosses 0 at −0.5 and at +0.5; the search starts from 0 and both are as near: either is
        // fine, but a crossing at −0.8 and +0.3 must give +0.3.
        let r = breakeven(
            |x| Some((x + 0.8) * (x - 0.3)),
            -1.0 + 1e-9,
            1.0,
            0.0,
            1e-12,
        );
        let BreakEven::Found { value, .. } = r else {
            panic!("{r:?}")
        };
        assert!((value - 0.3).abs() < 1e-8, "{value}");
    }

    #[test]
    fn an_unreachable_target_says_so_and_ends() {
        let mut calls = 0;
        let r = breakeven(
            |x| {
                calls += 1;
                Some(2.0 + x)
            },
            -0.5,
            0.5,
            1.0,
            1e-12,
        );
        assert!(matches!(r, BreakEven::NotReached { .. }), "{r:?}");
        assert!(calls <= SCAN_POINTS + 1);
    }

    #[test]
    fn a_step_output_converges_to_the_step() {
        let r = breakeven(
            |x| Some(if x < 2.5 { 1.3 } else { 0.7 }),
            0.0,
            12.0,
            1.0,
            1e-9,
        );
        let BreakEven::Found {
            value, evaluations, ..
        } = r
        else {
            panic!("{r:?}")
        };
        assert!((value - 2.5).abs() < 1e-6, "{value}");
        assert!(evaluations <= SCAN_POINTS + MAX_REFINEMENTS);
    }

    #[test]
    fn inputs_describe_their_values() {
        assert_eq!(Input::GpuRent.describe(-0.4), "−40 %");
        assert_eq!(Input::BaseRate.describe(0.04), "+4 points");
        assert_eq!(Input::GridDelay.describe(18.0), "+18 months");
        for i in Input::ALL {
            assert_eq!(Input::parse(i.name()), Some(i));
        }
    }
}
