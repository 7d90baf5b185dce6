//! Sensitivities and break-evens: levers that equal the same change written in a scenario, a
//! break-even checked against the cash-flow statement by hand, and searches that end.

use sovsim_core::model::{Input, Scenario};
use sovsim_core::study::sensitivity::{self, BreakEven, Evaluator, Output};

use crate::{parse, repo};

/// The one-site fixture (quickstart before issue 19: one site, one hall, one cluster) with `edits`
/// (find, replace) applied.
fn quickstart_with(edits: &[(&str, &str)]) -> Scenario {
    let mut text =
        std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("read");
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
    // contracted revenue is proportional to the contract's price (no prepayment here). So
    // NPV(price × (1 + x)) = NPV + x × PV(contracted revenue), zero at x = −NPV / PV(contracted
    // revenue), with PV at the scenario's rate and flows at period ends.
    let s = quickstart_with(&[UNTAXED]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let base = &evaluator.sized().case;
    let r = s.meta.discount_rate;
    let ppy = 12.0 / s.meta.period_months as f64;
    let pv_contracted: f64 = base
        .inputs
        .revenue_contracted_eur
        .iter()
        .enumerate()
        .map(|(p, v)| v / (1.0 + r).powf((p + 1) as f64 / ppy))
        .sum();
    let by_hand = -base.metrics.npv_eur / pv_contracted;
    let found = sensitivity::breakeven(
        |x| Output::Npv.of(&evaluator.deterministic(&s.with_changes(&[(Input::ContractPrice, x)]))),
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

/// Quickstart with a four-input `[sensitivity]` and, for each end of each range, the same change
/// written out as a named override, so that separate base cases can price it; and a case.
const SENSITIVE: &str = r#"
extends = "QUICKSTART"

[scenario]
name = "quickstart-sensitive"

[sensitivity]
inputs = ["gpu_rent", "opex", "construction_delay_months", "base_rate"]
ranges = { gpu_rent = [-0.4, 0.1], opex = [-0.2, 0.2], construction_delay_months = [0, 6], base_rate = [0, 0.04] }

[overrides.gpu_rent-low.finance]
gpu_hour_price_eur = { gb300-nvl72 = { dist = "triangular", min = 1.5, mode = 2.4, max = 3.3 } }

[overrides.gpu_rent-high.finance]
gpu_hour_price_eur = { gb300-nvl72 = { dist = "triangular", min = 2.75, mode = 4.4, max = 6.05 } }

[overrides.opex-low.finance]
maintenance_pct_per_year = 1.6
insurance_pct_per_year = 0.24
staff_eur_per_mw_year = 40000
network_eur_per_gpu_year = 400

[overrides.opex-high.finance]
maintenance_pct_per_year = 2.4
insurance_pct_per_year = 0.36
staff_eur_per_mw_year = 60000
network_eur_per_gpu_year = 600

[[overrides.construction_delay_months-high.shells]]
id = "saclay-hall"
phases = [
  { it_mw = 100, build_months = { dist = "triangular", min = 24, mode = 30, max = 42 } },
  { it_mw = 100, build_months = { dist = "triangular", min = 24, mode = 30, max = 42 } },
]

[overrides.base_rate-high.finance]
base_rate = 0.065

[cases.dear]
description = "rents down, rates up"
inputs = { gpu_rent = -0.1, base_rate = 0.04 }
"#;

/// The sensitive scenario, loaded from memory beside the shipped quickstart it extends.
fn sensitive() -> sovsim_core::scenario::Loaded {
    use sovsim_core::scenario::{self, InMemory};
    let quickstart = repo().join("sim/sovsim-core/tests/fixtures/one-site.toml");
    let path = repo().join("scenarios/sensitive.toml");
    let text = SENSITIVE.replace("QUICKSTART", "quickstart.toml");
    let files = InMemory(
        [
            (path.clone(), text),
            (
                // The fixture, where the `extends` of a scenario in scenarios/ finds it.
                repo().join("scenarios/quickstart.toml"),
                std::fs::read_to_string(&quickstart).expect("read"),
            ),
        ]
        .into(),
    );
    let loaded = scenario::load(&path, &files, &crate::catalog(), &[]);
    assert!(
        loaded.scenario.is_some(),
        "{}",
        loaded.sources.render(&loaded.diagnostics)
    );
    loaded
}

#[test]
fn a_tornado_ranks_inputs_as_separately_stated_scenarios_do() {
    use sovsim_core::study::{Silent, pipeline};
    let loaded = sensitive();
    let s = loaded.scenario.clone().expect("valid");
    let evaluator = Evaluator::new(&s).expect("financed");
    let tornado =
        sensitivity::tornado(&s, &evaluator, sensitivity::Mode::Deterministic, 2, &Silent)
            .expect("pool");
    let order = sensitivity::rank(&tornado.bars, Output::Npv);
    let ranking: Vec<(&str, f64)> = order
        .iter()
        .map(|i| {
            let b = &tornado.bars[*i];
            (b.range.input.name(), b.swing(Output::Npv).expect("defined"))
        })
        .collect();
    // Separately: the base case's NPV (project cash flows, so the debt does not enter) of the
    // scenario with each end written out as an override.
    let npv_with = |overrides: &[&str]| -> f64 {
        let names: Vec<String> = overrides.iter().map(|o| (*o).to_owned()).collect();
        let again = sovsim_core::scenario::reload(&loaded, &crate::catalog(), &names);
        let v = again.scenario.expect("valid with its overrides");
        pipeline::base_case(&v, v.dispatch.policy)
            .expect("financed")
            .case
            .metrics
            .npv_eur
    };
    let base = npv_with(&[]);
    let end = |name: &str, side: &str| -> f64 {
        let key = format!("{name}-{side}");
        let defined = SENSITIVE.contains(&format!("[overrides.{key}"))
            || SENSITIVE.contains(&format!("[[overrides.{key}"));
        if defined { npv_with(&[&key]) } else { base }
    };
    let mut separate: Vec<(&str, f64)> =
        ["gpu_rent", "opex", "construction_delay_months", "base_rate"]
            .iter()
            .map(|n| (*n, (end(n, "high") - end(n, "low")).abs()))
            .collect();
    separate.sort_by(|a, b| b.1.total_cmp(&a.1));
    let names = |v: &[(&str, f64)]| v.iter().map(|x| x.0.to_owned()).collect::<Vec<_>>();
    assert_eq!(
        names(&ranking),
        names(&separate),
        "{ranking:?} vs {separate:?}"
    );
    for ((_, a), (_, b)) in ranking.iter().zip(&separate) {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{ranking:?} vs {separate:?}"
        );
    }
    assert_eq!(
        ranking.last().map(|r| r.1),
        Some(0.0),
        "the base rate does not move project NPV"
    );
}

#[test]
fn a_case_runs_with_the_base_case_debt_and_every_case_is_tabled() {
    use sovsim_core::study::{self, Silent};
    let loaded = sensitive();
    let stated = loaded.scenario.clone().expect("valid");
    let catalog = crate::catalog();
    let cases = study::cases::scenarios(&loaded, &catalog, &[], &stated, &Default::default())
        .expect("cases");
    let run = |case: Option<&str>| {
        let request = study::run::Request {
            runs: 2,
            threads: 1,
            compare_dispatch: false,
            case: case.map(str::to_owned),
            summary_only: false,
        };
        study::run::run(&stated, &cases, &catalog, &request, &Silent).expect("runs")
    };
    let (base, dear) = (run(None), run(Some("dear")));
    let financed = |r: &study::run::RunResults| r.finance.clone().expect("financed").base;
    let (b, d) = (financed(&base), financed(&dear));
    assert_eq!(b.financing, d.financing, "debt sized on the base case");
    assert!(d.case.metrics.dscr_min < b.case.metrics.dscr_min);
    let investor = base.investor.expect("financed");
    let names: Vec<&str> = investor.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["base", "dear"]);
    assert_eq!(
        Output::DscrMin.of(&investor.cases[1].outputs),
        d.case.metrics.dscr_min,
        "the cases table reads the case's own base case"
    );
    let typo = study::cases::find(&stated, &cases, "deer").expect_err("no such case");
    assert!(typo.0.contains("did you mean `dear`?"), "{typo}");
}

#[test]
fn a_break_even_is_found_or_said_to_be_out_of_range() {
    use sovsim_core::study::Silent;
    use sovsim_core::study::sensitivity::{Mode, Question, Target};
    let s = quickstart_with(&[]);
    let evaluator = Evaluator::new(&s).expect("financed");
    let search = |target: &str, range: (f64, f64)| {
        let question = Question {
            input: Input::ContractPrice,
            target: Target::parse(target, &s).expect("a target"),
            range,
        };
        sensitivity::search(&s, &evaluator, question, Mode::Deterministic, 2, &Silent)
            .expect("pool")
    };
    let found = search("dscr_min=lockup", (-0.9, 0.5));
    let BreakEven::Found { value, output, .. } = found.found else {
        panic!("{found:?}")
    };
    assert!((-0.4..0.0).contains(&value), "{value}");
    let lockup = s
        .finance
        .as_ref()
        .and_then(|f| f.lockup_dscr)
        .expect("stated");
    assert!((output - lockup).abs() < 1e-6, "{output} vs {lockup}");
    assert_eq!(
        s.distance_pct(Input::ContractPrice, value),
        Some(value * 100.0)
    );
    let none = search("dscr_min=0.1", (0.0, 0.1));
    assert!(
        matches!(none.found, BreakEven::NotReached { .. }),
        "{none:?}"
    );
    let hurdle = Target::parse("equity_irr=hurdle", &s).expect_err("not stated");
    assert!(hurdle.0.contains("equity_hurdle_rate"), "{hurdle}");
}
