//! Sensitivities and break-evens: levers that equal the same change written in a scenario, a
//! break-even checked against the cash-flow statement by hand, and searches that end.

use sovsim_core::model::{Input, Scenario};
use sovsim_core::study::sensitivity::{self, BreakEven, Evaluator, Output};

use crate::{parse, repo};

/// The quickstart scenario (one site, one hall, one cluster) with `edits` (find, replace) applied.
fn quickstart_with(edits: &[(&str, &str)]) -> Scenario {
    let mut text = std::fs::read_to_string(repo().join("scenarios/quickstart.toml")).expect("read");
    for (from, to) in edits {
        assert!(text.contains(from), "quickstart has no `{from}`");
        text = text.replace(from, to);
    }
    parse(&text)
}

const UNTAXED: (&str, &str) = ("tax_rate = 0.25", "tax_rate = 0");

#[test]
fn npv_breaks_even_where_the_cash_flow_statement_says() {
    // Without tax the project cash flow is revenue − opex − capex (+ book value at the end), and
    // revenue is proportional to every GPU-hour price. So NPV(rent × (1 + x)) = NPV + x × PV(revenue),
    // zero at x = −NPV / PV(revenue), with PV at the scenario's rate and flows at period ends.
    let s = quickstart_with(&[UNTAXED]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let base = &evaluator.sized().case;
    let r = s.meta.discount_rate;
    let ppy = 12.0 / s.meta.period_months as f64;
    let pv_revenue: f64 = base
        .flows
        .rows
        .iter()
        .enumerate()
        .map(|(p, row)| row.revenue_eur / (1.0 + r).powf((p + 1) as f64 / ppy))
        .sum();
    let by_hand = -base.metrics.npv_eur / pv_revenue;
    let found = sensitivity::breakeven(
        |x| Output::Npv.of(&evaluator.deterministic(&s.with_changes(&[(Input::GpuRent, x)]))),
        -0.9,
        1.0,
        0.0,
        1e-9,
    );
    let BreakEven::Found { value, .. } = found else {
        panic!("{found:?}")
    };
    assert!(
        (value - by_hand).abs() <= 1e-3 * by_hand.abs(),
        "break-even {value} vs {by_hand} by hand"
    );
}

#[test]
fn an_unreachable_target_is_reported_not_searched_forever() {
    let s = quickstart_with(&[]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let mut calls = 0;
    let found = sensitivity::breakeven(
        |x| {
            calls += 1;
            Output::DscrMin.of(&evaluator.deterministic(&s.with_changes(&[(Input::GpuRent, x)])))
        },
        0.0,
        0.1,
        0.5,
        1e-9,
    );
    assert!(matches!(found, BreakEven::NotReached { .. }), "{found:?}");
    assert!(calls <= sensitivity::SCAN_POINTS);
}

#[test]
fn no_change_reproduces_the_base_case_the_debt_was_sized_on() {
    let s = quickstart_with(&[]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let m = &evaluator.sized().case.metrics;
    let outputs = evaluator.deterministic(&s.with_changes(&[]));
    assert_eq!(Output::Npv.of(&outputs), Some(m.npv_eur));
    assert_eq!(Output::EquityIrr.of(&outputs), m.equity_irr);
    assert_eq!(Output::DscrMin.of(&outputs), m.dscr_min);
}

#[test]
fn a_lever_equals_the_same_change_written_in_the_scenario() {
    let s = quickstart_with(&[]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let cases: [(Input, f64, (&str, &str)); 3] = [
        (
            Input::BaseRate,
            0.04,
            ("base_rate = 0.025", "base_rate = 0.065"),
        ),
        (
            Input::GpuRent,
            -0.4,
            (
                "min = 2.5, mode = 4.0, max = 5.5 } }",
                "min = 1.5, mode = 2.4, max = 3.3 } }",
            ),
        ),
        (
            Input::ConstructionDelay,
            6.0,
            (
                "{ it_mw = 100, build_months = { dist = \"triangular\", min = 18, mode = 24, max = 36 } },\n  { it_mw = 100, build_months = { dist = \"triangular\", min = 18, mode = 24, max = 36 } },",
                "{ it_mw = 100, build_months = { dist = \"triangular\", min = 24, mode = 30, max = 42 } },\n  { it_mw = 100, build_months = { dist = \"triangular\", min = 24, mode = 30, max = 42 } },",
            ),
        ),
    ];
    for (input, value, edit) in cases {
        let lever = evaluator.deterministic(&s.with_changes(&[(input, value)]));
        let written = evaluator.deterministic(&quickstart_with(&[edit]));
        for o in Output::ALL {
            let (a, b) = (o.of(&lever), o.of(&written));
            assert!(
                a.zip(b)
                    .is_some_and(|(a, b)| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
                    || a == b,
                "{} {value}: {} {a:?} by lever, {b:?} written",
                input.name(),
                o.name()
            );
        }
        assert_ne!(
            Output::EquityIrr.of(&lever),
            Output::EquityIrr.of(&evaluator.deterministic(&s)),
            "{} moves the equity IRR",
            input.name()
        );
    }
}

#[test]
fn quantiles_do_not_depend_on_the_thread_count() {
    let s = quickstart_with(&[]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let variant = s.with_changes(&[(Input::GpuRent, -0.1)]);
    let one = evaluator.quantile(&variant, 24, 0.5, 1).expect("pool");
    let two = evaluator.quantile(&variant, 24, 0.5, 2).expect("pool");
    assert_eq!(one, two);
    assert!(Output::Npv.of(&one).is_some());
}
