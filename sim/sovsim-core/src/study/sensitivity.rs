//! The investor's questions on one scenario: its inputs moved one at a time (a tornado), as named
//! cases, or until an output reaches a target (a break-even), each variant read through the
//! financial model with the debt sized once on the unchanged scenario's base case.
//!
//! Why the debt stays: a lender sizes the loan on the base case and then asks what the loan
//! survives. Re-sizing it on each variant would sculpt every variant back to the target DSCR and
//! hide the very risk the question is about (FINANCE.md: cases, tornado, break-even).
//!
//! The inputs are the levers of [`crate::model::Input`]. A variant is evaluated either
//! deterministically — the scenario at its medians, as the base case is — or as a quantile over
//! replications with the scenario's seeds, so variants share their random numbers and
//! differences are not noise.
//!
//! No I/O.

use rayon::prelude::*;

use super::pipeline::{self, Pipeline};
use super::{Progress, StudyError, pool};
use crate::catalog::Catalog;
use crate::engine::buildout::Replication;
use crate::engine::replicate::{ThreadPoolError, chunk_size, nearest_rank, replicate_with};
use crate::engine::time::SimTime;
use crate::finance::{BaseCase, Terms};
use crate::model::{CaseSpec, Input, Policy, Range, Scenario};
use crate::units::Date;

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

    /// What it is, in words.
    pub fn meaning(self) -> &'static str {
        match self {
            Output::Npv => "NPV of the project cash flows [EUR]",
            Output::ProjectIrr => "project IRR, post-tax, unlevered",
            Output::EquityIrr => "equity IRR, post-tax",
            Output::DscrMin => "smallest DSCR over the loan life",
            Output::LlcrMin => "smallest LLCR",
            Output::FirstGw => "when energised IT capacity first reaches 1 GW",
        }
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
            sized: pipeline::base_case(scenario, policy)?,
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
        let pipeline = self.pipeline(&base);
        let (rep, _) = pipeline.simulate(0, false);
        let case = pipeline.through(0, &rep).1?;
        Some(BaseCase {
            terms: Terms::of(&base)?,
            financing: self.sized.financing.clone(),
            case,
        })
    }

    /// The outputs of `variant` at its medians (replication 0), as the base case is read.
    pub fn deterministic(&self, variant: &Scenario) -> Outputs {
        let base = variant.at_medians();
        let pipeline = self.pipeline(&base);
        let (rep, _) = pipeline.simulate(0, false);
        outputs(&pipeline, 0, &rep)
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
        // One pipeline (its dispatch setup) serves every replication: it depends on the scenario alone.
        let pipeline = self.pipeline(variant);
        let values = replicate_with(
            runs,
            threads,
            chunk_size(variant),
            |r| pipeline.simulate(r, false).0,
            Vec::new(),
            |all: &mut Vec<Outputs>, first, chunk: Vec<Replication>| {
                let chunk: Vec<Outputs> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(i, r)| outputs(&pipeline, first + i as u64, r))
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

    fn pipeline<'a>(&'a self, scenario: &'a Scenario) -> Pipeline<'a> {
        Pipeline::new(scenario, &[self.policy], Some(&self.sized.financing))
    }
}

/// The outputs of one replication through `pipeline`.
fn outputs(pipeline: &Pipeline, replication: u64, rep: &Replication) -> Outputs {
    let first_gw = rep.gw_reached.first().map(|t| t.months());
    match pipeline.through(replication, rep).1.map(|c| c.metrics) {
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

/// How a variant is read: its medians, or a quantile over replications with the scenario's seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// At its medians (replication 0), as the base case.
    Deterministic,
    /// A quantile (0 to 1) over `runs` replications on `threads` threads.
    Quantile {
        /// The quantile.
        q: f64,
        /// Replications.
        runs: u64,
        /// Worker threads (0: one per core).
        threads: usize,
    },
}

impl Mode {
    /// Deterministic without a quantile; else that quantile, which must lie in [0, 1].
    ///
    /// # Errors
    /// If the quantile is outside [0, 1].
    pub fn new(quantile: Option<f64>, runs: u64, threads: usize) -> Result<Mode, StudyError> {
        match quantile {
            None => Ok(Mode::Deterministic),
            Some(q) if (0.0..=1.0).contains(&q) => Ok(Mode::Quantile { q, runs, threads }),
            Some(q) => Err(StudyError(format!(
                "`--quantile {q}` is not between 0 and 1 (0.1 for the P10)"
            ))),
        }
    }

    /// The outputs of `variant`.
    pub fn evaluate(self, evaluator: &Evaluator, variant: &Scenario) -> Outputs {
        match self {
            Mode::Deterministic => evaluator.deterministic(variant),
            // A thread pool the system refuses to start leaves every output undefined, which
            // tables and summaries then show as "undefined".
            Mode::Quantile { q, runs, threads } => evaluator
                .quantile(variant, runs, q, threads)
                .unwrap_or([None; 6]),
        }
    }

    /// In words, for tables and summaries.
    pub fn describe(self) -> String {
        match self {
            Mode::Deterministic => {
                "deterministic: every uncertain input at its median (the base case)".to_owned()
            }
            Mode::Quantile { q, runs, .. } => format!(
                "P{} over {runs} replications with the scenario's seeds",
                (q * 100.0).round()
            ),
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
pub fn bars(
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
        .map(|(i, v)| evaluate(&scenario.with_changes(&[(ranges[*i].input, *v)])))
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

/// A tornado: the outputs of the unchanged scenario and each input's bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Tornado {
    /// Outputs of the unchanged scenario, read as the bars are.
    pub base: Outputs,
    /// One bar per `[sensitivity]` range, in the scenario's order.
    pub bars: Vec<Bar>,
    /// How every variant was read.
    pub mode: Mode,
}

/// The tornado of `scenario` over its `[sensitivity]` ranges, each variant read by `mode` with
/// the debt `evaluator` sized, on `threads` threads.
///
/// # Errors
/// If the thread pool cannot be built.
pub fn tornado(
    scenario: &Scenario,
    evaluator: &Evaluator,
    mode: Mode,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Tornado, StudyError> {
    progress.start(1 + 2 * scenario.sensitivity.len() as u64, "evaluations");
    let (base, bars) = pool(threads)?.install(|| {
        let base = mode.evaluate(evaluator, scenario);
        progress.advance(1);
        let bars = bars(scenario, &scenario.sensitivity, &|v| {
            let out = mode.evaluate(evaluator, v);
            progress.advance(1);
            out
        });
        (base, bars)
    });
    progress.finish();
    Ok(Tornado { base, bars, mode })
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

/// A break-even target: an output and the value it should reach.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The output.
    pub output: Output,
    /// The value.
    pub value: f64,
    /// How the value was named (`1.0`, `lockup`, `hurdle`).
    pub named: String,
}

impl Target {
    /// Parses `OUTPUT=VALUE`; VALUE is a number, a date for `first_gw`, or a level the scenario
    /// states: `lockup`, `covenant`, `target` (DSCRs), `hurdle` (equity IRR).
    ///
    /// # Errors
    /// What is wrong with `text`, in words.
    pub fn parse(text: &str, scenario: &Scenario) -> Result<Target, StudyError> {
        let outputs: Vec<&str> = Output::ALL.iter().map(|o| o.name()).collect();
        let Some((name, value)) = text.split_once('=') else {
            return Err(StudyError(format!(
                "`--target {text}` is not OUTPUT=VALUE; e.g. `dscr_min=1.0`, `dscr_min=lockup`, `equity_irr=hurdle`, `npv=0`"
            )));
        };
        let (name, value) = (name.trim(), value.trim());
        let Some(output) = Output::parse(name) else {
            return Err(StudyError(format!(
                "`{name}` is not an output; expected one of {}",
                outputs.join(", ")
            )));
        };
        let finance = scenario.finance.as_ref();
        let stated = |level: Option<f64>, field: &str| {
            level.ok_or_else(|| {
                StudyError(format!(
                    "`{value}` names `[finance] {field}`, which `{}` does not set; set it, or give a number",
                    scenario.meta.name
                ))
            })
        };
        let v = match (output, value) {
            (Output::DscrMin | Output::LlcrMin, "lockup") => {
                stated(finance.and_then(|f| f.lockup_dscr), "lockup_dscr")?
            }
            (Output::DscrMin | Output::LlcrMin, "target") => {
                stated(finance.map(|f| f.target_dscr), "target_dscr")?
            }
            (Output::DscrMin | Output::LlcrMin, "covenant") => finance
                .map(|f| f.default_dscr.or(f.lockup_dscr).unwrap_or(1.0))
                .unwrap_or(1.0),
            (Output::EquityIrr, "hurdle") => stated(
                finance.and_then(|f| f.equity_hurdle_rate),
                "equity_hurdle_rate",
            )?,
            (Output::FirstGw, date) if date.contains('-') => {
                let d = date.parse::<Date>().map_err(StudyError)?;
                SimTime::from_date(d, scenario.meta.start_date).months()
            }
            (_, number) => number
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    StudyError(format!(
                        "`{number}` is not a number{}",
                        match output {
                            Output::DscrMin | Output::LlcrMin => {
                                " or `lockup`, `covenant`, `target`"
                            }
                            Output::EquityIrr => " or `hurdle`",
                            Output::FirstGw => " or a date",
                            _ => "",
                        }
                    ))
                })?,
        };
        Ok(Target {
            output,
            value: v,
            named: value.to_owned(),
        })
    }
}

/// The range a break-even searches for `input`: `text` (`LOW,HIGH`) if given, else the
/// scenario's `[sensitivity]` range, else the catalog's default range.
///
/// # Errors
/// If `text` is not a valid range for the input, or no range is known.
pub fn search_range(
    scenario: &Scenario,
    catalog: &Catalog,
    input: Input,
    text: Option<&str>,
) -> Result<(f64, f64), StudyError> {
    if let Some(text) = text {
        let bad = || {
            StudyError(format!(
                "`--range {text}` is not LOW,HIGH with LOW ≤ HIGH for `{}` ({})",
                input.name(),
                input.unit()
            ))
        };
        let (low, high) = text.split_once(',').ok_or_else(bad)?;
        let low: f64 = low.trim().parse().map_err(|_| bad())?;
        let high: f64 = high.trim().parse().map_err(|_| bad())?;
        if low > high || !input.accepts(low) || !input.accepts(high) {
            return Err(bad());
        }
        return Ok((low, high));
    }
    scenario
        .sensitivity
        .iter()
        .find(|r| r.input == input)
        .map(|r| (r.low, r.high))
        .or_else(|| {
            let (l, h) = input.default_keys();
            catalog.default_value(&l).zip(catalog.default_value(&h))
        })
        .ok_or_else(|| {
            StudyError(format!(
                "no range for `{}`; give `--range LOW,HIGH`",
                input.name()
            ))
        })
}

/// What a break-even search found, and the scenario's own outputs read the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    /// The input moved.
    pub input: Input,
    /// The target.
    pub target: Target,
    /// The range searched.
    pub range: (f64, f64),
    /// Outputs of the unchanged scenario.
    pub base: Outputs,
    /// The answer.
    pub found: BreakEven,
    /// How every variant was read.
    pub mode: Mode,
}

/// What a break-even search is asked: the input moved, the target, the range searched.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// The input moved.
    pub input: Input,
    /// The target.
    pub target: Target,
    /// The range searched.
    pub range: (f64, f64),
}

/// Searches the question's range for the value of its input at which its target is reached, each
/// variant read by `mode` with the debt `evaluator` sized, on `threads` threads.
///
/// # Errors
/// If the thread pool cannot be built.
pub fn search(
    scenario: &Scenario,
    evaluator: &Evaluator,
    question: Question,
    mode: Mode,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Search, StudyError> {
    let Question {
        input,
        target,
        range,
    } = question;
    progress.start(SCAN_POINTS as u64 + 2, "evaluations");
    let (base, found) = pool(threads)?.install(|| {
        let base = mode.evaluate(evaluator, scenario);
        let mut done = 0u64;
        let found = breakeven(
            |x| {
                done += 1;
                if done > SCAN_POINTS as u64 + 1 {
                    progress.extend(1);
                }
                progress.advance(1);
                let variant = scenario.with_changes(&[(input, x)]);
                target.output.of(&mode.evaluate(evaluator, &variant))
            },
            range.0,
            range.1,
            target.value,
            1e-9 * (range.1 - range.0).abs().max(1e-9),
        );
        (base, found)
    });
    progress.finish();
    Ok(Search {
        input,
        target,
        range,
        base,
        found,
        mode,
    })
}

/// A case read at its medians with the debt sized on the base case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseOutcome {
    /// `base`, or the case's name.
    pub name: String,
    /// What it represents.
    pub description: String,
    /// Its changes in words.
    pub changes: String,
    /// Its outputs.
    pub outputs: Outputs,
}

/// The base case (whose outputs, read deterministically, are `base`) and every case, read
/// deterministically with the debt sized on the base case.
pub fn cases(
    evaluator: &Evaluator,
    base: &Outputs,
    cases: &[(CaseSpec, Scenario)],
) -> Vec<CaseOutcome> {
    let mut rows = vec![CaseOutcome {
        name: "base".to_owned(),
        description: "every input as the scenario states it".to_owned(),
        changes: "no change".to_owned(),
        outputs: *base,
    }];
    for (spec, s) in cases {
        rows.push(CaseOutcome {
            name: spec.name.clone(),
            description: spec.description.clone(),
            changes: spec.describe(),
            outputs: evaluator.deterministic(s),
        });
    }
    rows
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
