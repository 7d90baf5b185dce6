//! The investor's tables: the `tornado` (of every financed run, and of `sovsim sensitivity` with
//! its `sensitivity.json`), the `cases` table, and the JSON answer of `sovsim breakeven`.

use serde_json::{Map, Value, json};

use super::Contents;
use super::schema::CASE_FIGURES;
use super::table::{Table, Values};
use crate::engine::time::SimTime;
use crate::model::Scenario;
use crate::study::run::Investor;
use crate::study::sensitivity::{self, Bar, BreakEven, Output, Search, Tornado};
use crate::units::Date;

/// The tornado as a table, rows ranked by `output`.
pub fn tornado_table(tornado: &Tornado, output: Output) -> Table {
    let bars = &tornado.bars;
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
            .column(
                &format!("{}_base", o.name()),
                column(&|_| o.of(&tornado.base)),
            )
            .column(&format!("{}_low", o.name()), column(&|b| o.of(&b.low)))
            .column(&format!("{}_high", o.name()), column(&|b| o.of(&b.high)))
            .column(&format!("{}_swing", o.name()), column(&|b| b.swing(o)));
    }
    t
}

/// The date `months` after the start of a scenario starting on `start`.
pub fn months_to_date(months: f64, start: Date) -> String {
    SimTime::ZERO.after_months(months).date(start).to_string()
}

/// The `cases` table: the base case and each named case, with the debt sized on the base case.
pub fn cases_table(investor: &Investor) -> Table {
    let rows = &investor.cases;
    let mut t = Table::new()
        .column(
            "case",
            Values::Text(rows.iter().map(|r| r.name.clone()).collect()),
        )
        .column(
            "description",
            Values::Text(rows.iter().map(|r| r.description.clone()).collect()),
        )
        .column(
            "changes",
            Values::Text(rows.iter().map(|r| r.changes.clone()).collect()),
        );
    for (name, o) in CASE_FIGURES {
        t = t.column(
            name,
            Values::OptF64(rows.iter().map(|r| o.of(&r.outputs)).collect()),
        );
    }
    t.column(
        "first_gw_date",
        Values::OptText(
            rows.iter()
                .map(|r| {
                    Output::FirstGw
                        .of(&r.outputs)
                        .map(|m| months_to_date(m, investor.start_date))
                })
                .collect(),
        ),
    )
    .column(
        "covenant_breached",
        Values::Bool(
            rows.iter()
                .map(|r| {
                    Output::DscrMin
                        .of(&r.outputs)
                        .is_some_and(|d| d < investor.covenant_dscr)
                })
                .collect(),
        ),
    )
}

/// The directory of `sovsim sensitivity`: the tornado ranked by `output` and `sensitivity.json`
/// (the chart is drawn by the report layer).
pub fn contents(scenario: &Scenario, tornado: &Tornado, output: Output) -> Contents {
    let bars = &tornado.bars;
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
    let base: Map<String, Value> = Output::ALL
        .iter()
        .map(|o| (o.name().to_owned(), o.of(&tornado.base).into()))
        .collect();
    Contents {
        json: vec![(
            "sensitivity.json",
            super::json_text(&json!({
                "scenario_name": scenario.meta.name,
                "output": output.name(),
                "mode": tornado.mode.describe(),
                "debt": "sized once on the base case; every variant carries it",
                "base": base,
                "ranking": ranking,
            })),
        )],
        tables: vec![("tornado", tornado_table(tornado, output))],
    }
}

/// The answer of `sovsim breakeven` as JSON.
pub fn breakeven_json(scenario: &Scenario, s: &Search) -> Value {
    let o = s.target.output;
    let mut json = Map::new();
    json.insert("scenario_name".into(), scenario.meta.name.clone().into());
    json.insert("input".into(), s.input.name().into());
    json.insert("input_unit".into(), s.input.unit().into());
    json.insert("output".into(), o.name().into());
    json.insert("target".into(), s.target.value.into());
    json.insert("target_named".into(), s.target.named.clone().into());
    json.insert("range".into(), json!([s.range.0, s.range.1]));
    json.insert("mode".into(), s.mode.describe().into());
    json.insert("base_output".into(), o.of(&s.base).into());
    match &s.found {
        BreakEven::Found {
            value, evaluations, ..
        } => {
            json.insert("found".into(), true.into());
            json.insert("value".into(), (*value).into());
            json.insert(
                "distance_from_base_pct".into(),
                scenario.distance_pct(s.input, *value).into(),
            );
            json.insert("evaluations".into(), (*evaluations).into());
        }
        BreakEven::NotReached { evaluations, .. } => {
            json.insert("found".into(), false.into());
            json.insert("evaluations".into(), (*evaluations).into());
        }
    }
    Value::Object(json)
}
