//! The investor's questions on one scenario: `sovsim sensitivity` (a tornado), `sovsim breakeven`,
//! the named cases (`sovsim run --case`, and the cases table of every financed run), written as
//! tables and charts and told in words.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sovsim_core::catalog::Catalog;
use sovsim_core::engine::time::SimTime;
use sovsim_core::model::Scenario;
use sovsim_core::scenario;
use sovsim_core::sensitivity::{self, Bar, BreakEven, CaseSpec, Evaluator, Output, Outputs};
use sovsim_report::charts::{Chart, Kind, TornadoBar};
use sovsim_report::{RunDir, Table, Values, format};

use crate::progress::Progress;
use crate::run::Column;
use crate::{Failure, FsReader};

/// Tables about sensitivities and cases that every financed run writes.
pub(crate) const TABLES: &[(&str, &str, &[Column])] = &[
    (
        "tornado",
        "one input moved alone over its range (`[sensitivity]`, defaults from `data/defaults.csv`), the rest at the base case, with the debt sized on the base case; rows by decreasing swing of the ranked output",
        TORNADO_COLUMNS,
    ),
    (
        "cases",
        "the base case or a named case (`[cases.NAME]`), at its medians, with the debt sized on the base case",
        &[
            ("case", "`base`, or the case's name"),
            ("description", "the case's description"),
            ("changes", "its input changes and overrides, in words"),
            (
                "npv_eur, project_irr, equity_irr, dscr_min, llcr_min",
                "as the summary keys of the same names, for this case (empty where undefined)",
            ),
            (
                "first_gw_date",
                "energised IT capacity first reaches 1 GW (empty if never)",
            ),
            (
                "covenant_breached",
                "whether the minimum DSCR falls below the covenant (`dscr_covenant`)",
            ),
        ],
    ),
];

const TORNADO_COLUMNS: &[Column] = &[
    (
        "rank",
        "position by decreasing swing of `ranked_by`, from 1",
    ),
    ("ranked_by", "the output ranked"),
    (
        "input",
        "the input's name (`sovsim sensitivity --help` lists them)",
    ),
    ("meaning", "what it moves"),
    ("unit", "unit of `low` and `high`"),
    (
        "low, high",
        "ends of its range, as changes from the scenario",
    ),
    ("low_change, high_change", "those ends in words"),
    (
        "{output}_base, {output}_low, {output}_high, {output}_swing",
        "for each output (`npv` EUR, `project_irr`, `equity_irr`, `dscr_min`, `llcr_min`, `first_gw` in months from the start): its base value, its value at each end, and |high − low| (empty where undefined)",
    ),
];

/// How a variant is read: its medians, or a quantile over replications with the scenario's seeds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
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
    /// The outputs of `variant`.
    pub(crate) fn evaluate(self, evaluator: &Evaluator, variant: &Scenario) -> Outputs {
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
    pub(crate) fn describe(self) -> String {
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

/// An output's value for people: money, a percentage, a ratio or a date.
pub(crate) fn value_text(output: Output, value: Option<f64>, scenario: &Scenario) -> String {
    let Some(v) = value else {
        return match output {
            Output::FirstGw => "never".to_owned(),
            _ => "undefined".to_owned(),
        };
    };
    match output {
        Output::Npv => format::money(v),
        Output::ProjectIrr | Output::EquityIrr => format::percent(v),
        Output::DscrMin | Output::LlcrMin => format::times(v),
        Output::FirstGw => first_gw_date(v, scenario),
    }
}

fn first_gw_date(months: f64, scenario: &Scenario) -> String {
    SimTime::ZERO
        .after_months(months)
        .date(scenario.meta.start_date)
        .to_string()
}

/// A change of an output for people: "+€1.20bn", "−2.3 points", "+0.15×", "+4.0 months".
fn change_text(output: Output, delta: f64) -> String {
    let sign = if delta < 0.0 { "−" } else { "+" };
    let a = delta.abs();
    match output {
        Output::Npv => format!("{sign}{}", format::money(a)),
        Output::ProjectIrr | Output::EquityIrr => {
            format!("{sign}{} points", format::fixed(a * 100.0, 1))
        }
        Output::DscrMin | Output::LlcrMin => format!("{sign}{}", format::times(a)),
        Output::FirstGw => format!("{sign}{} months", format::fixed(a, 1)),
    }
}

/// Evaluates the tornado of `scenario` over its `[sensitivity]` ranges, on `threads` threads.
pub(crate) fn tornado(
    scenario: &Scenario,
    evaluator: &Evaluator,
    mode: Mode,
    threads: usize,
    progress: &Progress,
) -> Result<(Outputs, Vec<Bar>), Failure> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure(format!("cannot start the worker threads: {e}")))?;
    Ok(pool.install(|| {
        let base = mode.evaluate(evaluator, scenario);
        progress.tick();
        let bars = sensitivity::tornado(scenario, &scenario.sensitivity, &|v| {
            let out = mode.evaluate(evaluator, v);
            progress.tick();
            out
        });
        (base, bars)
    }))
}

/// The tornado as a table, rows ranked by `output`.
pub(crate) fn tornado_table(base: &Outputs, bars: &[Bar], output: Output) -> Table {
    let order = sensitivity::rank(bars, output);
    let pick =
        |f: &dyn Fn(&Bar) -> f64| -> Vec<f64> { order.iter().map(|i| f(&bars[*i])).collect() };
    let text = |f: &dyn Fn(&Bar) -> String| -> Vec<String> {
        order.iter().map(|i| f(&bars[*i])).collect()
    };
    let mut t = Table::new()
        .column("rank", Values::U64((1..=order.len() as u64).collect()))
        .column(
            "ranked_by",
            Values::Text(vec![output.name().to_owned(); order.len()]),
        )
        .column(
            "input",
            Values::Text(text(&|b| b.range.input.name().to_owned())),
        )
        .column(
            "meaning",
            Values::Text(text(&|b| b.range.input.meaning().to_owned())),
        )
        .column(
            "unit",
            Values::Text(text(&|b| b.range.input.unit().to_owned())),
        )
        .column("low", Values::F64(pick(&|b| b.range.low)))
        .column("high", Values::F64(pick(&|b| b.range.high)))
        .column(
            "low_change",
            Values::Text(text(&|b| b.range.input.describe(b.range.low))),
        )
        .column(
            "high_change",
            Values::Text(text(&|b| b.range.input.describe(b.range.high))),
        );
    for o in Output::ALL {
        let column = |f: &dyn Fn(&Bar) -> Option<f64>| -> Values {
            Values::OptF64(order.iter().map(|i| f(&bars[*i])).collect())
        };
        t = t
            .column(&format!("{}_base", o.name()), column(&|_| o.of(base)))
            .column(&format!("{}_low", o.name()), column(&|b| o.of(&b.low)))
            .column(&format!("{}_high", o.name()), column(&|b| o.of(&b.high)))
            .column(&format!("{}_swing", o.name()), column(&|b| b.swing(o)));
    }
    t
}

/// The tornado chart of `output`.
pub(crate) fn tornado_chart(
    scenario: &Scenario,
    base: &Outputs,
    bars: &[Bar],
    output: Output,
) -> Option<Chart> {
    let base_value = output.of(base)?;
    let order = sensitivity::rank(bars, output);
    let (scale, unit) = match output {
        Output::Npv => (1.0, "EUR"),
        Output::ProjectIrr | Output::EquityIrr => (100.0, "%"),
        Output::DscrMin | Output::LlcrMin => (1.0, "×"),
        Output::FirstGw => (1.0, "months from the start"),
    };
    let bars: Vec<TornadoBar> = order
        .iter()
        .map(|i| &bars[*i])
        .map(|b| TornadoBar {
            label: format!(
                "{} {} / {}",
                b.range.input.name(),
                b.range.input.describe(b.range.low),
                b.range.input.describe(b.range.high)
            ),
            low: output.of(&b.low).map_or(f64::NAN, |v| v * scale),
            high: output.of(&b.high).map_or(f64::NAN, |v| v * scale),
        })
        .collect();
    Some(Chart {
        name: format!("tornado_{}", output.name()),
        title: format!("{}: what moves {} most", scenario.meta.name, output.name()),
        x_label: format!("{} [{unit}]", output.name()),
        y_label: String::new(),
        kind: Kind::Tornado {
            base: base_value * scale,
            bars,
        },
    })
}

/// The tornado ranked by `output`, in words.
pub(crate) fn tornado_human(
    scenario: &Scenario,
    base: &Outputs,
    bars: &[Bar],
    output: Output,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Tornado of {} (base {}), inputs by decreasing swing:",
        output.name(),
        value_text(output, output.of(base), scenario)
    );
    for (k, i) in sensitivity::rank(bars, output).into_iter().enumerate() {
        let b = &bars[i];
        let input = b.range.input;
        let swing = b.swing(output).map_or("undefined".to_owned(), |v| {
            change_text(output, v).replacen('+', "", 1)
        });
        let _ = writeln!(
            s,
            "  {:>2}. {:<26} {:>12} → {:<12} {:>12} → {:<12} swing {swing}",
            k + 1,
            input.name(),
            input.describe(b.range.low),
            value_text(output, output.of(&b.low), scenario),
            input.describe(b.range.high),
            value_text(output, output.of(&b.high), scenario),
        );
    }
    s
}

/// Each declared case of `stated` as a scenario: its overrides applied by loading `file` again, then
/// its input changes; the seed and dispatch policy as in `stated`.
pub(crate) fn case_scenarios(
    file: &Path,
    overrides: &[String],
    stated: &Scenario,
    catalog: &Catalog,
) -> Result<Vec<(CaseSpec, Scenario)>, Failure> {
    let mut out = Vec::new();
    for case in &stated.cases {
        let mut s = if case.overrides.is_empty() {
            stated.clone()
        } else {
            let all: Vec<String> = overrides.iter().chain(&case.overrides).cloned().collect();
            let loaded = scenario::load(file, &FsReader, catalog, &all);
            let Some(s) = loaded.scenario else {
                eprint!("{}", loaded.sources.render(&loaded.diagnostics));
                return Err(Failure(format!(
                    "case `{}` of `{}` is not valid with its overrides",
                    case.name,
                    file.display()
                )));
            };
            s
        };
        s.meta.seed = stated.meta.seed;
        s.dispatch.policy = stated.dispatch.policy;
        let s = sensitivity::apply(&s, &case.changes);
        out.push((case.clone(), s));
    }
    Ok(out)
}

/// The base case (whose outputs, read deterministically, are `base`) and every case, read
/// deterministically with the debt sized on the base case.
pub(crate) fn cases_table(
    stated: &Scenario,
    evaluator: &Evaluator,
    base: &Outputs,
    cases: &[(CaseSpec, Scenario)],
) -> Table {
    let covenant = evaluator.sized().terms.covenant_dscr;
    let mut rows: Vec<(String, String, String, Outputs)> = vec![(
        "base".to_owned(),
        "every input as the scenario states it".to_owned(),
        "no change".to_owned(),
        *base,
    )];
    for (spec, s) in cases {
        rows.push((
            spec.name.clone(),
            spec.description.clone(),
            spec.describe(),
            evaluator.deterministic(s),
        ));
    }
    let mut t = Table::new()
        .column(
            "case",
            Values::Text(rows.iter().map(|r| r.0.clone()).collect()),
        )
        .column(
            "description",
            Values::Text(rows.iter().map(|r| r.1.clone()).collect()),
        )
        .column(
            "changes",
            Values::Text(rows.iter().map(|r| r.2.clone()).collect()),
        );
    let names = [
        "npv_eur",
        "project_irr",
        "equity_irr",
        "dscr_min",
        "llcr_min",
    ];
    for (o, name) in Output::ALL.into_iter().zip(names) {
        t = t.column(
            name,
            Values::OptF64(rows.iter().map(|r| o.of(&r.3)).collect()),
        );
    }
    t.column(
        "first_gw_date",
        Values::OptText(
            rows.iter()
                .map(|r| Output::FirstGw.of(&r.3).map(|m| first_gw_date(m, stated)))
                .collect(),
        ),
    )
    .column(
        "covenant_breached",
        Values::Bool(
            rows.iter()
                .map(|r| Output::DscrMin.of(&r.3).is_some_and(|d| d < covenant))
                .collect(),
        ),
    )
}

/// A break-even target: an output and the value it should reach.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The output.
    pub output: Output,
    /// The value.
    pub value: f64,
    /// How the value was named (`1.0`, `lockup`, `hurdle`).
    pub named: String,
}

/// Parses `OUTPUT=VALUE`; VALUE is a number, a date for `first_gw`, or a level the scenario
/// states: `lockup`, `covenant`, `target` (DSCRs), `hurdle` (equity IRR).
pub(crate) fn parse_target(text: &str, scenario: &Scenario) -> Result<Target, Failure> {
    let outputs: Vec<&str> = Output::ALL.iter().map(|o| o.name()).collect();
    let Some((name, value)) = text.split_once('=') else {
        return Err(Failure(format!(
            "`--target {text}` is not OUTPUT=VALUE; e.g. `dscr_min=1.0`, `dscr_min=lockup`, `equity_irr=hurdle`, `npv=0`"
        )));
    };
    let (name, value) = (name.trim(), value.trim());
    let Some(output) = Output::parse(name) else {
        return Err(Failure(format!(
            "`{name}` is not an output; expected one of {}",
            outputs.join(", ")
        )));
    };
    let finance = scenario.finance.as_ref();
    let stated = |level: Option<f64>, field: &str| {
        level.ok_or_else(|| {
            Failure(format!(
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
            let d = date.parse::<sovsim_core::units::Date>().map_err(Failure)?;
            SimTime::from_date(d, scenario.meta.start_date).months()
        }
        (_, number) => number
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                Failure(format!(
                    "`{number}` is not a number{}",
                    match output {
                        Output::DscrMin | Output::LlcrMin => " or `lockup`, `covenant`, `target`",
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

/// What `sovsim breakeven` found, in words and as JSON.
pub(crate) fn breakeven_report(
    scenario: &Scenario,
    input: sensitivity::Input,
    target: &Target,
    range: (f64, f64),
    base: &Outputs,
    found: &BreakEven,
    mode: Mode,
) -> (String, Value) {
    let o = target.output;
    let goal = value_text(o, Some(target.value), scenario);
    let named = if target.named.parse::<f64>().is_ok() || o == Output::FirstGw {
        goal.clone()
    } else {
        format!("{goal} ({})", target.named)
    };
    let mut json = Map::new();
    json.insert("scenario_name".into(), scenario.meta.name.clone().into());
    json.insert("input".into(), input.name().into());
    json.insert("input_unit".into(), input.unit().into());
    json.insert("output".into(), o.name().into());
    json.insert("target".into(), target.value.into());
    json.insert("target_named".into(), target.named.clone().into());
    json.insert("range".into(), json!([range.0, range.1]));
    json.insert("mode".into(), mode.describe().into());
    json.insert("base_output".into(), o.of(base).into());
    let text = match found {
        BreakEven::Found {
            value, evaluations, ..
        } => {
            let distance = input.distance_pct(scenario, *value);
            json.insert("found".into(), true.into());
            json.insert("value".into(), (*value).into());
            json.insert("distance_from_base_pct".into(), distance.into());
            json.insert("evaluations".into(), (*evaluations).into());
            let level = input.level(scenario).map_or(String::new(), |l| {
                format!(
                    " (from {} to {})",
                    format::percent(l),
                    format::percent(l + value)
                )
            });
            let distance = distance.map_or(
                " (a delay: it has no base level to measure a distance in % from)".to_owned(),
                |d| format!(", {} % from its base value", format::fixed(d, 2)),
            );
            format!(
                "{} reaches {named} when {} is {}{level}{distance}.\n  Base {}; {}; {evaluations} evaluations; debt sized on the base case.\n",
                o.name(),
                input.name(),
                input.describe(*value),
                value_text(o, o.of(base), scenario),
                mode.describe(),
            )
        }
        BreakEven::NotReached { seen, evaluations } => {
            json.insert("found".into(), false.into());
            json.insert("evaluations".into(), (*evaluations).into());
            let seen_text = seen.map_or("undefined across the range".to_owned(), |(lo, hi)| {
                format!(
                    "ranges from {} (at {}) to {} (at {})",
                    value_text(o, Some(lo.1), scenario),
                    input.describe(lo.0),
                    value_text(o, Some(hi.1), scenario),
                    input.describe(hi.0)
                )
            });
            format!(
                "no value of {} in [{}, {}] brings {} to {named}: it {seen_text}.\n  Widen the search with `--range LOW,HIGH`.\n",
                input.name(),
                input.describe(range.0),
                input.describe(range.1),
                o.name(),
            )
        }
    };
    (text, Value::Object(json))
}

/// Writes the tornado of `sovsim sensitivity` into `out`: table, chart, `sensitivity.json`.
pub(crate) fn write_tornado(
    out: &Path,
    scenario: &Scenario,
    base: &Outputs,
    bars: &[Bar],
    output: Output,
    mode: Mode,
) -> Result<Vec<PathBuf>, Failure> {
    let dir = RunDir::create(out)
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", out.display())))?;
    let mut written = dir.write_table("tornado", &tornado_table(base, bars, output))?;
    if let Some(chart) = tornado_chart(scenario, base, bars, output) {
        written.extend(
            sovsim_report::write_chart(&dir, &chart)
                .map_err(|e| Failure(e.0))?
                .1,
        );
    }
    let ranking: Vec<Value> = sensitivity::rank(bars, output)
        .into_iter()
        .map(|i| {
            let b = &bars[i];
            json!({
                "input": b.range.input.name(),
                "low": b.range.low,
                "high": b.range.high,
                "output_low": output.of(&b.low),
                "output_high": output.of(&b.high),
                "swing": b.swing(output),
            })
        })
        .collect();
    let base_json: Map<String, Value> = Output::ALL
        .iter()
        .map(|o| (o.name().to_owned(), o.of(base).into()))
        .collect();
    written.push(dir.write_json(
        "sensitivity.json",
        &json!({
            "scenario_name": scenario.meta.name,
            "output": output.name(),
            "mode": mode.describe(),
            "debt": "sized once on the base case; every variant carries it",
            "base": base_json,
            "ranking": ranking,
        }),
    )?);
    Ok(written)
}
