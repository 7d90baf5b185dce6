//! The investor's answers in words: a tornado ranked by an output, a break-even and its distance
//! from the scenario, and the values and changes of outputs for people.

use std::fmt::Write as _;

use super::format;
use crate::model::{Change, Scenario};
use crate::rundir::sensitivity::months_to_date;
use crate::study::sensitivity::{BreakEven, Output, Search, Tornado};

/// An output's value for people: money, a percentage, a ratio or a date.
pub fn value_text(output: Output, value: Option<f64>, scenario: &Scenario) -> String {
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
        Output::FirstGw => months_to_date(v, scenario.meta.start_date),
    }
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

/// The tornado ranked by `output`, in words.
pub fn tornado(scenario: &Scenario, tornado: &Tornado, output: Output) -> String {
    let (base, bars) = (&tornado.base, &tornado.bars);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Tornado of {} (base {}), inputs by decreasing swing:",
        output.name(),
        value_text(output, output.of(base), scenario)
    );
    for (k, i) in crate::study::sensitivity::rank(bars, output)
        .into_iter()
        .enumerate()
    {
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

/// What `sovsim breakeven` found, in words.
pub fn breakeven(scenario: &Scenario, s: &Search) -> String {
    let (input, target, range, base, mode) = (s.input, &s.target, s.range, &s.base, s.mode);
    let o = target.output;
    let goal = value_text(o, Some(target.value), scenario);
    let named = if target.named.parse::<f64>().is_ok() || o == Output::FirstGw {
        goal.clone()
    } else {
        format!("{goal} ({})", target.named)
    };
    match &s.found {
        BreakEven::Found {
            value, evaluations, ..
        } => {
            let distance = scenario.distance_pct(input, *value);
            let level = scenario.level(input).map_or(String::new(), |l| {
                format!(
                    " (from {} to {})",
                    format::percent(l),
                    format::percent(l + value)
                )
            });
            let distance = match (input.change(), distance) {
                // A relative change already is its distance from the base value.
                (Change::Relative, _) => String::new(),
                (_, Some(d)) => format!(", {} % from its base value", format::fixed(d, 2)),
                (_, None) => {
                    " (a delay: it has no base level to measure a distance in % from)".to_owned()
                }
            };
            format!(
                "{} reaches {named} when {} is {}{level}{distance}.\n  Base {}; {}; {evaluations} evaluations; debt sized on the base case.\n",
                o.name(),
                input.name(),
                input.describe(*value),
                value_text(o, o.of(base), scenario),
                mode.describe(),
            )
        }
        BreakEven::NotReached { seen, .. } => {
            let seen_text = seen.map_or("is undefined across the range".to_owned(), |(lo, hi)| {
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
    }
}
