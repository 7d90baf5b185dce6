//! Revenue as GPU capacity is sold: offtake contracts (computed by hand, independent of dispatch),
//! merchant GPU-hours at the market price of their generation, the generation's price by age,
//! resale of retired GPUs on the catalog's curve, prepayments, and the retired `spot_share`.

use sovsim_core::dispatch::{self, Outcome};
use sovsim_core::engine::buildout::{Replication, simulate};
use sovsim_core::engine::time::SimTime;
use sovsim_core::finance::{self, Inputs, Prices};
use sovsim_core::model::{Resale, Scenario};

use crate::{catalog, parse, repo};

/// Quickstart with `contract` (TOML) inserted before its own anchor contract, so it claims the
/// cluster's GPUs first, and the anchor cut to the 90,000 GPUs left.
fn quickstart_with_contract(contract: &str) -> Scenario {
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("read");
    let anchor = "[[contracts]]\nid = \"public-anchor\"";
    assert!(text.contains(anchor));
    parse(
        &text
            .replace(anchor, &format!("{contract}\n{anchor}"))
            .replace(
                "price_eur_per_gpu_hour = 3.20",
                "gpus = 90000\nprice_eur_per_gpu_hour = 3.20",
            ),
    )
}

/// The base case's replication, dispatch and prices.
fn base_case(s: &Scenario) -> (Scenario, Replication, Outcome, Prices) {
    let base = s.at_medians();
    let rep = simulate(&base, 0, false);
    let setup = dispatch::Setup::new(&base, base.dispatch.policy);
    let outcome = dispatch::dispatch(
        &base,
        &setup,
        &rep.operational_gpu_hours,
        &dispatch::draw(&base, 0),
    );
    let prices = finance::draw_prices(&base, 0).expect("financed");
    (base, rep, outcome, prices)
}

fn inputs(s: &Scenario, rep: &Replication, outcome: &Outcome, prices: &Prices) -> Inputs {
    finance::inputs(s, rep, outcome, prices).expect("financed")
}

/// Months from the start of a date (as the engine counts them).
fn month_of(s: &Scenario, y: i32, m: u8) -> f64 {
    let date = sovsim_core::units::Date::new(y, m, 1).expect("a date");
    SimTime::from_date(date, s.meta.start_date).months()
}

const FIXED: &str = r#"[[contracts]]
id = "fixed"
counterparty = "Test buyer"
clusters = ["gb300-a"]
gpus = 10000
price_eur_per_gpu_hour = 2.5
start = 2031-07-01
term_years = 2
"#;

#[test]
fn a_contract_earns_its_fixed_price_over_its_term_whatever_dispatch_uses() {
    let s = quickstart_with_contract(FIXED);
    let (base, rep, outcome, prices) = base_case(&s);
    // Its 10,000 GPUs are operational throughout the term (otherwise it bills fewer).
    let (from, to) = (month_of(&base, 2031, 7), month_of(&base, 2033, 7));
    for m in from.floor() as usize..to.ceil() as usize {
        let hours = rep.operational_gpu_hours[m + 1][0] - rep.operational_gpu_hours[m][0];
        assert!(
            hours > 10000.0 * 731.0,
            "month {m}: {hours} operational GPU-hours"
        );
    }
    let with = inputs(&base, &rep, &outcome, &prices);
    // By hand: 10,000 GPUs × 2 years × 8,765.82 h × €2.50 = €438.29M, to the hour the engine's
    // month grid rounds to (each month boundary is a whole hour).
    let by_hand = 10000.0 * 2.0 * 8765.82 * 2.5;
    let earned: f64 = with.revenue_by_contract_eur[0].iter().sum();
    assert!(
        (earned - by_hand).abs() <= 10000.0 * 2.5 * 2.0,
        "{earned} vs {by_hand} by hand"
    );
    let billed: f64 = with.gpu_hours_by_contract[0].iter().sum();
    assert!(
        (earned - billed * 2.5).abs() < 1e-3,
        "a fixed price: {earned} = {billed} × 2.5"
    );
    // Nothing before the term starts or after it ends.
    let pm = base.meta.period_months as f64;
    for (p, v) in with.revenue_by_contract_eur[0].iter().enumerate() {
        let (lo, hi) = (p as f64 * pm, (p + 1) as f64 * pm);
        if hi <= from || lo >= to {
            assert_eq!(*v, 0.0, "period {p} lies outside the term");
        }
    }
    // Law: take-or-pay revenue does not depend on dispatch — nothing used, the same revenue.
    let mut idle = outcome.clone();
    for month in &mut idle.used_gpu_hours {
        month.iter_mut().for_each(|h| *h = 0.0);
    }
    for month in &mut idle.training_gpu_hours {
        month.iter_mut().for_each(|h| *h = 0.0);
    }
    for month in &mut idle.tokens {
        month.iter_mut().for_each(|t| *t = 0.0);
    }
    let without = inputs(&base, &rep, &idle, &prices);
    assert_eq!(with.revenue_contracted_eur, without.revenue_contracted_eur);
    assert!(without.revenue_merchant_eur.iter().all(|v| *v == 0.0));
    // A contract paid only as used (take-or-pay 0) earns nothing when nothing is used.
    let as_used = quickstart_with_contract(
        &FIXED.replace("term_years = 2", "term_years = 2\ntake_or_pay = 0"),
    );
    let (b, r, _, p) = base_case(&as_used);
    let idle_use = inputs(&b, &r, &idle, &p);
    assert!(
        idle_use.revenue_by_contract_eur[0]
            .iter()
            .all(|v| *v == 0.0)
    );
}

#[test]
fn merchant_gpu_hours_earn_at_most_the_market_price_of_their_generation() {
    let s = quickstart_with_contract(FIXED);
    let (base, rep, outcome, prices) = base_case(&s);
    let f = base.finance.as_ref().expect("financed");
    let i = inputs(&base, &rep, &outcome, &prices);
    let pm = base.meta.period_months as f64;
    let mut merchant_hours = 0.0;
    for p in 0..i.periods() {
        // The market price falls with age: its highest in a period is at the period's start.
        let highest = finance::market_price_eur(f, &prices, 0, p as f64 * pm / 12.0);
        assert!(
            i.revenue_merchant_eur[p] <= highest * i.merchant_gpu_hours[p] * (1.0 + 1e-12),
            "period {p}: {} > {highest} × {}",
            i.revenue_merchant_eur[p],
            i.merchant_gpu_hours[p]
        );
        merchant_hours += i.merchant_gpu_hours[p];
        // Contracted and merchant GPU-hours never exceed what is operational.
        assert!(
            i.contracted_gpu_hours[p] + i.merchant_gpu_hours[p] <= i.gpu_hours[p] * (1.0 + 1e-12)
        );
    }
    let used: f64 = outcome.used_gpu_hours.iter().flatten().sum();
    assert!(merchant_hours <= used * (1.0 + 1e-12));
    assert!(
        merchant_hours > 0.0,
        "after the anchor's five years, quickstart sells merchant"
    );
}

#[test]
fn a_generation_is_priced_by_its_age_from_release_not_by_the_scenario_calendar() {
    // GB300 (catalog release 2025) stated as released on 2027-07-01 in a scenario starting on
    // 2026-07-01: new at one year in, then 13.5 % cheaper each year of its age.
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("read");
    let text = text.replace(
        "gpu_hour_price_eur = { gb300-nvl72 = { dist = \"triangular\", min = 2.5, mode = 4.0, max = 5.5 } }",
        "gpu_hour_price_eur = { gb300-nvl72 = 4.0 }\ngpu_release_date = { gb300-nvl72 = 2027-07-01 }",
    );
    let s = parse(&text);
    let f = s.finance.as_ref().expect("financed");
    let years = f.price_anchor_years[0];
    assert!((years - 1.0).abs() < 0.01, "released a year in: {years}");
    let prices = finance::draw_prices(&s, 0).expect("financed");
    let at = |y: f64| finance::market_price_eur(f, &prices, 0, y);
    assert_eq!(at(0.5), 4.0, "before its release a generation is new");
    assert_eq!(at(years), 4.0);
    let two = at(years + 2.0);
    assert!(
        (two - 4.0 * 0.865 * 0.865).abs() < 1e-12,
        "{two} at two years old"
    );
    // A generation released before the start declines from the start.
    let old = parse(
        &std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("read"),
    );
    assert_eq!(
        old.finance.as_ref().expect("financed").price_anchor_years,
        [0.0]
    );
}

#[test]
fn a_refresh_into_an_unpriced_generation_takes_its_predecessors_price_times_the_launch_premium() {
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("read")
        .replace(
            "install_months = 2",
            "install_months = 2\nrefresh = { sku = \"vera-rubin-nvl72\", lead_time_months = 6, overrides = { price_per_gpu = 60000 } }",
        )
        .replace(
            "gpu_hour_price_eur = { gb300-nvl72 = { dist = \"triangular\", min = 2.5, mode = 4.0, max = 5.5 } }",
            "gpu_hour_price_eur = { gb300-nvl72 = 4.0 }",
        );
    let s = parse(&text);
    let f = s.finance.as_ref().expect("financed");
    let premium = catalog()
        .default_value("gpu_hour_launch_premium")
        .expect("in defaults.csv");
    let vera = s
        .skus
        .iter()
        .position(|k| k == "vera-rubin-nvl72")
        .expect("in use");
    let prices = finance::draw_prices(&s, 0).expect("financed");
    assert!((prices.gpu_hour_eur[vera] - 4.0 * premium).abs() < 1e-12);
    assert!(
        s.defaults_used
            .iter()
            .any(|k| k == "gpu_hour_launch_premium")
    );
    // The new generation is new at its own release (2026, as 1 July), after the start.
    assert_eq!(
        f.price_anchor_years[vera], 0.0,
        "released on the start date"
    );
}

#[test]
fn retired_gpus_resell_on_the_catalogs_curve_for_their_years_in_service() {
    let retention = catalog()
        .default_value("gpu_resale_retention_per_year")
        .expect("in defaults.csv");
    let r = Resale::Retention {
        per_year: retention,
    };
    assert!((r.fraction_at(6.0) - 0.78f64.powi(6)).abs() < 1e-15);
    assert_eq!(Resale::Fraction(0.1).fraction_at(6.0), 0.1);
    // Quickstart's GPUs live 6 years: those energised early enough retire within its 10 years.
    let short =
        std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("read")
            .replace(
                "install_months = 2",
                "install_months = 2\nuseful_life_years = 3",
            );
    let s = parse(&short);
    let (base, rep, outcome, prices) = base_case(&s);
    let c = &base.clusters[0];
    assert_eq!(c.resale, r, "the default is the catalog's curve");
    let i = inputs(&base, &rep, &outcome, &prices);
    let retired: u64 = rep.retirements.iter().map(|(_, _, n)| n).sum();
    assert!(retired > 0, "some GPUs retire within the horizon");
    let by_hand = retired as f64 * c.price_eur_per_gpu.expect("priced") * retention.powf(3.0);
    let resold: f64 = i.revenue_resale_eur.iter().sum();
    assert!(
        (resold - by_hand).abs() < 1e-6 * by_hand,
        "{resold} vs {by_hand}"
    );
}

#[test]
fn a_prepayment_arrives_at_signing_and_is_credited_against_invoices() {
    let s = quickstart_with_contract(&FIXED.replace(
        "term_years = 2",
        "term_years = 2\nprepayment = 0.2\nsigned = 2027-01-01",
    ));
    let (base, rep, outcome, prices) = base_case(&s);
    let i = inputs(&base, &rep, &outcome, &prices);
    let f = base.finance.as_ref().expect("financed");
    let value = finance::contract_value_eur(&f.contracts[0]);
    let by_hand = 10000.0 * 2.0 * 8765.82 * 2.5;
    assert!((value - by_hand).abs() < 1.0, "{value} vs {by_hand}");
    let received: f64 = i.prepayment_received_eur.iter().sum();
    assert!((received - 0.2 * value).abs() < 1e-6);
    let signed = (month_of(&base, 2027, 1) / base.meta.period_months as f64) as usize;
    assert!(
        i.prepayment_received_eur[signed] > 0.0,
        "received in the period it is signed"
    );
    // Credited at 20 % of each invoice: all of it, as the term is served in full.
    let applied: f64 = i.prepayment_applied_eur.iter().sum();
    let earned: f64 = i.revenue_by_contract_eur[0].iter().sum();
    assert!((applied - 0.2 * earned).abs() < 1e-3 * earned);
    // The waterfall keeps the books: the checks hold, and the prepayment is a source of funds.
    let t = finance::Terms::of(&base).expect("financed");
    let debt = finance::size(&i, &t);
    let case = finance::Case::of(i, &t, &debt);
    assert!(case.metrics.all_checks_pass(), "{:?}", case.metrics.checks);
    assert!(case.flows.sources.prepayments_eur > 0.0);
}

#[test]
fn spot_share_is_retired_with_a_diagnostic_that_says_what_to_write() {
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("read")
        .replace(
            "tax_rate = 0.25",
            "tax_rate = 0.25\nspot_share = 0.3\nspot_price_ratio = 1.2",
        );
    let loaded = crate::load_text(&text);
    assert!(loaded.scenario.is_none());
    let retired: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == "retired-field")
        .collect();
    assert_eq!(retired.len(), 2, "both fields, at once");
    let text = loaded.sources.render(&loaded.diagnostics);
    assert!(text.contains("[[contracts]]"), "{text}");
    assert!(text.contains("finance.spot_share"), "{text}");
}

#[test]
fn contracts_that_claim_more_gpus_than_the_cluster_has_are_warned_about() {
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("read")
        .replace(
            "price_eur_per_gpu_hour = 3.20",
            "gpus = 100000\nprice_eur_per_gpu_hour = 3.20",
        );
    let extra = FIXED.replace("id = \"fixed\"", "id = \"extra\"");
    let loaded = crate::load_text(&format!("{text}\n{extra}"));
    // Terms may follow one another on the same GPUs: a warning, and later contracts bill only
    // what earlier ones leave.
    assert!(loaded.scenario.is_some());
    let text = loaded.sources.render(&loaded.diagnostics);
    assert!(text.contains("claim 110000 GPUs; it has 100000"), "{text}");
}
