//! The financial model: one-asset projects whose figures are computed by hand (the arithmetic is
//! written out next to each assertion), and the laws every run must obey, on synthetic projects and
//! on simulated replications of shipped scenarios.

use sovsim_core::dispatch;
use sovsim_core::engine::buildout::simulate;
use sovsim_core::finance::{
    self, Binding, CHECKS, CapexLine, Cashflows, Class, Debt, Inputs, Metrics, Terms,
};

/// Terms with no tax, fees, DSRA, grants, lock-up or sweep, so that each test adds only what it checks.
fn terms(periods_per_year: f64) -> Terms {
    Terms {
        periods_per_year,
        construction_rate: 0.05,
        term_rate: 0.06,
        target_dscr: 1.25,
        lockup_dscr: None,
        covenant_dscr: 1.0,
        max_gearing: 1.0,
        tenor_years: 5.0,
        dsra_months: 0.0,
        tax_rate: 0.0,
        arrangement_fee: 0.0,
        cash_sweep_share: 0.0,
        discount_rate: 0.08,
        grants_eur: 0.0,
        equity_committed_eur: None,
        completion_share: 0.95,
        phasing: sovsim_core::model::Phasing::Programme,
        long_stop_months: 12.0,
        gpu: None,
    }
}

/// One hall bought in period 0 for `capex`, then `revenue[p]` a period (no opex).
fn one_asset(capex: f64, revenue: &[f64], period_months: u32) -> Inputs {
    let n = revenue.len();
    let mut inputs = Inputs::zeros(n, period_months);
    let mut spend = vec![0.0; n];
    spend[0] = capex;
    inputs.capex.push(CapexLine {
        class: Class::Shell,
        life_years: Some(10.0),
        eur: spend,
    });
    inputs.revenue_contracted_eur = revenue.to_vec();
    inputs.gpu_hours = vec![1000.0; n];
    inputs
}

/// The financial inputs of replication `rep` of `s`, dispatched under its policy.
fn simulated_inputs(s: &sovsim_core::model::Scenario, rep: u64) -> Inputs {
    let r = simulate(s, rep, false);
    let setup = dispatch::Setup::new(s, s.dispatch.policy);
    let outcome = dispatch::dispatch(s, &setup, &r.operational_gpu_hours, &dispatch::draw(s, rep));
    let prices = finance::draw_prices(s, rep).expect("financed");
    finance::inputs(s, &r, &outcome, &prices).expect("financed")
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs().max(1.0)
}

fn sized(inputs: &Inputs, terms: &Terms) -> (Debt, Cashflows, Metrics) {
    let debt = finance::size(inputs, terms);
    let flows = finance::run(inputs, terms, &debt);
    let metrics = Metrics::of(inputs, terms, &debt, &flows);
    (debt, flows, metrics)
}

#[test]
fn flat_cfads_gives_an_annuity_sized_at_the_target_dscr() {
    // Yearly periods; 1,000 spent in year 0; 200 of CFADS in each of years 1-5; 6 %, 5 years, 1.25×.
    let inputs = one_asset(1000.0, &[0.0, 200.0, 200.0, 200.0, 200.0, 200.0], 12);
    let t = terms(1.0);
    let (debt, flows, metrics) = sized(&inputs, &t);
    // Debt service = 200 / 1.25 = 160 a year; debt = 160 × (1 − 1.06⁻⁵) / 0.06 = 673.978…
    let annuity = 160.0 * (1.0 - 1.06f64.powi(-5)) / 0.06;
    assert!(
        close(debt.commitment_eur, annuity, 1e-9),
        "{} vs {annuity}",
        debt.commitment_eur
    );
    assert_eq!(debt.binding, Binding::Sculpting, "the gearing cap is 1,000");
    assert!(close(metrics.debt_eur, annuity, 1e-9));
    for p in 1..=5 {
        let row = &flows.rows[p];
        assert!(
            close(row.debt_service_eur, 160.0, 1e-9),
            "year {p}: {}",
            row.debt_service_eur
        );
        assert!(close(row.dscr.expect("defined here"), 1.25, 1e-9));
    }
    // An annuity's principal grows at the loan rate: 160 − 0.06 × 673.978 = 119.561, then × 1.06.
    let first = 160.0 - 0.06 * annuity;
    for p in 1..=5 {
        let expected = first * 1.06f64.powi(p as i32 - 1);
        assert!(
            close(flows.rows[p].principal_eur, expected, 1e-9),
            "year {p}"
        );
    }
    assert!(flows.rows[5].debt_closing_eur.abs() < 1e-6);
    assert!(metrics.all_checks_pass(), "{:?}", metrics.checks);
}

#[test]
fn sculpted_repayments_follow_cfads_and_hold_the_dscr_at_target() {
    // CFADS 100, 200, 300 in years 1-3; 10 %; 3-year tenor; 1.5×.
    let inputs = one_asset(1000.0, &[0.0, 100.0, 200.0, 300.0], 12);
    let mut t = terms(1.0);
    t.term_rate = 0.10;
    t.tenor_years = 3.0;
    t.target_dscr = 1.5;
    let (debt, flows, metrics) = sized(&inputs, &t);
    // Debt = (100/1.1 + 200/1.21 + 300/1.331) / 1.5 = (90.909 + 165.289 + 225.394) / 1.5 = 321.062.
    let expected = (100.0 / 1.1 + 200.0 / 1.21 + 300.0 / 1.331) / 1.5;
    assert!(close(debt.commitment_eur, expected, 1e-9));
    // Year 1: service 100 / 1.5 = 66.667; interest 32.106; principal 34.560.
    let p1 = 100.0 / 1.5 - 0.1 * expected;
    assert!(close(flows.rows[1].principal_eur, p1, 1e-9));
    // Year 2: service 133.333; interest 0.1 × (321.062 − 34.560) = 28.650; principal 104.683.
    let p2 = 200.0 / 1.5 - 0.1 * (expected - p1);
    assert!(close(flows.rows[2].principal_eur, p2, 1e-9));
    for p in 1..=3 {
        assert!(
            close(flows.rows[p].dscr.expect("defined here"), 1.5, 1e-9),
            "year {p}"
        );
    }
    assert!(close(metrics.dscr_min.expect("defined here"), 1.5, 1e-9));
    assert!(close(metrics.dscr_avg.expect("defined here"), 1.5, 1e-9));
    // LLCR at year 1 = PV(CFADS over the remaining life) / debt = 1.5 × debt / debt.
    assert!(close(flows.rows[1].llcr.expect("defined here"), 1.5, 1e-9));
    assert!(flows.rows[3].debt_closing_eur.abs() < 1e-6);
}

#[test]
fn interest_during_construction_is_capitalised_and_funded_pro_rata() {
    // Quarters; 100 spent in each of quarters 0 and 1; 8 % a year = 2 % a quarter; gearing 50 % binds.
    let mut revenue = vec![0.0; 6];
    revenue[2..].fill(1000.0);
    let mut inputs = one_asset(100.0, &revenue, 3);
    inputs.capex[0].eur[1] = 100.0;
    let mut t = terms(4.0);
    t.construction_rate = 0.08;
    t.max_gearing = 0.5;
    t.tenor_years = 1.0;
    let (debt, flows, metrics) = sized(&inputs, &t);
    assert_eq!(debt.binding, Binding::Gearing);
    // Quarter 0: draw 50 % × 100 = 50. Quarter 1: IDC 2 % × 50 = 1; draw 50 % × (100 + 1) = 50.5.
    assert!(close(flows.rows[0].debt_drawn_eur, 50.0, 1e-9));
    assert!(close(flows.rows[1].interest_eur, 1.0, 1e-9));
    assert!(close(flows.uses.idc_eur, 1.0, 1e-9));
    assert!(close(flows.rows[1].debt_drawn_eur, 50.5, 1e-9));
    // Debt = 50 % × uses (200 + 1) = 100.5; equity the other half.
    assert!(close(metrics.debt_eur, 100.5, 1e-9));
    assert!(close(flows.uses.total(), 201.0, 1e-9));
    assert!(close(flows.sources.equity_eur, 100.5, 1e-9));
    assert!(metrics.all_checks_pass(), "{:?}", metrics.checks);
}

#[test]
fn a_tax_loss_is_carried_forward_against_later_profits() {
    // No debt; years: −100, +60, +60, +60 before tax; 25 %.
    let mut inputs = Inputs::zeros(4, 12);
    inputs.revenue_contracted_eur = vec![0.0, 60.0, 60.0, 60.0];
    inputs.opex_staff_eur = vec![100.0, 0.0, 0.0, 0.0];
    let mut t = terms(1.0);
    t.tax_rate = 0.25;
    t.max_gearing = 0.0;
    let (_, flows, metrics) = sized(&inputs, &t);
    let tax: Vec<f64> = flows.rows.iter().map(|r| r.tax_eur).collect();
    // Year 1 uses 60 of the 100 lost (40 left); year 2 uses 40 and pays 25 % × 20 = 5; year 3 pays 15.
    assert_eq!(tax, vec![0.0, 0.0, 5.0, 15.0]);
    let carried: Vec<f64> = flows.rows.iter().map(|r| r.losses_carried_eur).collect();
    assert_eq!(carried, vec![100.0, 40.0, 0.0, 0.0]);
    assert!(metrics.all_checks_pass(), "{:?}", metrics.checks);
}

#[test]
fn repayments_run_from_the_actual_cod_and_a_cod_past_the_long_stop_is_a_default() {
    // Quarterly; 1,000 spent in quarter 0; CFADS 100 a quarter from quarter 1; 2-year tenor.
    let revenue = [
        0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 0.0, 0.0, 0.0,
    ];
    // Its GPUs pass the completion test at the end of quarter 0 and earn from quarter 1.
    let late = |quarters: usize| {
        let mut shifted = vec![0.0; quarters];
        shifted.extend_from_slice(&revenue[..revenue.len() - quarters]);
        let mut i = one_asset(1000.0, &shifted, 3);
        i.initial_gpus = 1.0;
        i.completion = (0..revenue.len())
            .map(|p| if p >= quarters { 1.0 } else { 0.0 })
            .collect();
        i
    };
    let base = late(0);
    let mut t = terms(4.0);
    t.tenor_years = 2.0;
    t.long_stop_months = 6.0;
    let (debt, flows, _) = sized(&base, &t);
    assert_eq!(
        (debt.construction_end, debt.long_stop, debt.maturity),
        (0, 2, 8)
    );
    assert_eq!(flows.schedule.cod, 0);
    // The same project whose GPUs work a quarter late (paid for on time).
    let one = finance::run(&late(1), &t, &debt);
    assert_eq!(
        (
            one.schedule.cod,
            one.schedule.maturity,
            one.schedule.long_stop_passed
        ),
        (1, 9, false)
    );
    assert_eq!(
        one.rows[1].debt_service_eur, 0.0,
        "nothing is owed before it earns"
    );
    // Its DSCRs are the base case's a quarter later, less one more quarter of interest accrued
    // on the balance before conversion (a larger balance, the same profile): never below 1.
    for p in 1..=8 {
        let (b, l) = (
            flows.rows[p].dscr.expect("service"),
            one.rows[p + 1].dscr.expect("service"),
        );
        assert!(
            l <= b && l >= b / (1.0 + t.construction_rate / 4.0) - 1e-9,
            "{p}: {l} vs {b}"
        );
    }
    // Three quarters late is past the six-month long-stop: the loan converts at the long-stop,
    // owes service before it earns, and the delay is an event of default.
    let three = finance::run(&late(3), &t, &debt);
    assert_eq!(
        (three.schedule.cod, three.schedule.long_stop_passed),
        (2, true)
    );
    let m = Metrics::of(&late(3), &t, &debt, &three);
    assert!(m.long_stop_passed);
    assert!(m.covenant_breached, "it owes service before it earns");
}

#[test]
fn two_phases_have_two_cods_and_two_term_loans_each_sized_on_its_own_cash_flows() {
    // Yearly periods. Phase A: 1,000 spent in year 0, CFADS 200 in years 1-5. Phase B, built two
    // years later: 1,000 in year 2, CFADS 200 in years 3-7. 6 %, 5 years, 1.25× (as the annuity test).
    let a = one_asset(
        1000.0,
        &[0.0, 200.0, 200.0, 200.0, 200.0, 200.0, 0.0, 0.0],
        12,
    );
    let mut b = one_asset(0.0, &[0.0, 0.0, 0.0, 200.0, 200.0, 200.0, 200.0, 200.0], 12);
    b.capex[0].eur[2] = 1000.0;
    let mut t = terms(1.0);
    t.grants_eur = 100.0;
    let parts = vec![
        finance::PhaseInputs {
            name: "a".into(),
            inputs: a,
        },
        finance::PhaseInputs {
            name: "b".into(),
            inputs: b,
        },
    ];
    let financing = finance::size_phases(&parts, &t);
    let [pa, pb] = financing.phases.as_slice() else {
        panic!("two phases")
    };
    assert_eq!((pa.debt.construction_end, pb.debt.construction_end), (0, 2));
    assert_eq!((pa.debt.maturity, pb.debt.maturity), (5, 7));
    // Grants shared by capex: 50 each; each loan sized on its own 200 a year: the annuity of 160.
    assert_eq!((pa.grants_share, pb.grants_share), (0.5, 0.5));
    let annuity = 160.0 * (1.0 - 1.06f64.powi(-5)) / 0.06;
    for p in [pa, pb] {
        assert!(close(p.debt.commitment_eur, annuity, 1e-9), "{}", p.name);
    }
    let case = finance::Case::phased(parts, &t, &financing);
    let (ra, rb, r) = (
        &case.phases[0].flows.rows,
        &case.phases[1].flows.rows,
        &case.flows.rows,
    );
    // Phase A repays in years 1-5, phase B in years 3-7: 160 a year each.
    for (p, row) in ra.iter().enumerate().take(6).skip(1) {
        assert!(close(row.debt_service_eur, 160.0, 1e-9), "A, year {p}");
    }
    for (p, row) in rb.iter().enumerate().skip(3) {
        assert!(close(row.debt_service_eur, 160.0, 1e-9), "B, year {p}");
    }
    assert_eq!(rb[1].debt_service_eur, 0.0, "B is still being built");
    // The programme adds them up: 320 of service in years 3-5, DSCR (200 + 200) ÷ 320 = 1.25.
    for ((x, a), b) in r.iter().zip(ra).zip(rb) {
        assert!(close(
            x.debt_service_eur,
            a.debt_service_eur + b.debt_service_eur,
            1e-12
        ));
        assert!(close(x.cfads_eur, a.cfads_eur + b.cfads_eur, 1e-12));
    }
    assert!(close(r[4].debt_service_eur, 320.0, 1e-9));
    assert!(close(r[4].dscr.expect("service"), 1.25, 1e-9));
    assert!(close(case.metrics.debt_eur, 2.0 * annuity, 1e-9));
    assert!(close(case.flows.sources.grants_eur, 100.0, 1e-9));
    assert!(case.metrics.all_checks_pass(), "{:?}", case.metrics.checks);
    // Laws per phase and for the tranches together: sources = uses; the phases add up to the debt.
    for c in &case.phases {
        let f = &c.flows;
        assert!(
            close(f.sources.total(), f.uses.total(), 1e-12),
            "{}",
            c.name
        );
    }
    assert!(close(
        case.flows.sources.debt_eur,
        case.phases.iter().map(|c| c.flows.sources.debt_eur).sum(),
        1e-12
    ));
}

#[test]
fn a_gpu_draw_matures_five_years_after_it_repaid_on_the_contracts_beside_the_infrastructure_loan() {
    // Quarterly, 40 quarters. Halls: 200 in quarter 0. GPUs: 1,000 in quarter 1 and 500 in
    // quarter 3 (COD at its end). Contracts pay 100 a quarter from quarter 4.
    let n = 40;
    let revenue: Vec<f64> = (0..n).map(|p| if p >= 4 { 100.0 } else { 0.0 }).collect();
    let mut inputs = one_asset(200.0, &revenue, 3);
    inputs.capex.push(CapexLine {
        class: Class::Gpus,
        life_years: Some(6.0),
        eur: (0..n)
            .map(|p| match p {
                1 => 1000.0,
                3 => 500.0,
                _ => 0.0,
            })
            .collect(),
    });
    let mut t = terms(4.0);
    t.tenor_years = 4.0;
    t.gpu = Some(finance::GpuTerms {
        rate: 0.08,
        advance_rate: 0.5,
        tenor_years: 5.0,
    });
    let (debt, flows, m) = sized(&inputs, &t);
    // The contracts cover far more than half the GPUs' cost: the advance rate binds, 750.
    assert_eq!(debt.gpu.binding, finance::GpuBinding::Advance);
    assert!(close(debt.gpu.commitment_eur, 750.0, 1e-12));
    assert_eq!(flows.schedule.cod, 3);
    let r = &flows.rows;
    assert_eq!((r[1].gpu_drawn_eur, r[3].gpu_drawn_eur), (500.0, 250.0));
    // Before COD the first draw accrues 2 % a quarter, funded as IDC.
    assert!(close(r[2].gpu_interest_eur, 10.0, 1e-12) && close(r[3].gpu_interest_eur, 10.0, 1e-12));
    // Each draw converts at COD and is repaid on the contracted cash flow — flat here, so in level
    // instalments — until 20 quarters after it: the first over 18 quarters (4-21), the second
    // over 20 (4-23).
    let level = |amount: f64, k: i32| amount * 0.02 / (1.0 - 1.02f64.powi(-k));
    let service = level(500.0, 18) + level(250.0, 20);
    for (p, row) in r.iter().enumerate().take(22).skip(4) {
        assert!(
            close(row.gpu_interest_eur + row.gpu_principal_eur, service, 1e-9),
            "quarter {p}"
        );
    }
    assert!(close(
        r[22].gpu_interest_eur + r[22].gpu_principal_eur,
        level(250.0, 20),
        1e-9
    ));
    assert!(r[22].gpu_closing_eur > 0.0 && r[23].gpu_closing_eur.abs() < 1e-9);
    assert_eq!(
        flows
            .gpu_draws
            .iter()
            .map(|d| (d.period, d.maturity))
            .collect::<Vec<_>>(),
        vec![(1, 21), (3, 23)],
        "each draw matures five years (20 quarters) after it"
    );
    // The infrastructure loan is sculpted on what the GPU service leaves: together they are
    // covered at the target wherever the infrastructure loan owes service.
    assert_eq!(debt.binding, Binding::Sculpting);
    for (p, row) in r.iter().enumerate().take(20).skip(4) {
        let infra = row.debt_service_eur - row.gpu_interest_eur - row.gpu_principal_eur;
        assert!(infra > 0.0, "quarter {p}");
        assert!(close(row.dscr.expect("served"), 1.25, 1e-9), "quarter {p}");
    }
    // The tranches add up to the debt; sources = uses; every tranche repaid by its maturity.
    assert!(close(m.debt_eur, r[3].debt_closing_eur, 1e-12));
    assert!(close(flows.sources.gpu_debt_eur, 750.0, 1e-12));
    assert_laws(&inputs, &t, &debt, &flows, "GPU facility");
    assert!(m.all_checks_pass(), "{:?}", m.checks);
}

#[test]
fn a_contract_ending_before_a_draws_maturity_repays_it_first_and_sizes_it() {
    // Quarterly, 30 quarters. GPUs: 1,000 in quarter 1 (COD at its end). A contract pays 100 a
    // quarter in quarters 2-9; merchant hours earn 100 a quarter after it. GPU facility: 8 %,
    // advance 0.8, five years.
    let n = 30;
    let mut inputs = one_asset(0.0, &vec![0.0; n], 3);
    inputs.capex[0].class = Class::Gpus;
    inputs.capex[0].eur[1] = 1000.0;
    for p in 2..n {
        if p <= 9 {
            inputs.revenue_contracted_eur[p] = 100.0;
            inputs.contracted_gpu_hours[p] = 1000.0;
        } else {
            inputs.revenue_merchant_eur[p] = 100.0;
        }
    }
    let mut t = terms(4.0);
    t.gpu = Some(finance::GpuTerms {
        rate: 0.08,
        advance_rate: 0.8,
        tenor_years: 5.0,
    });
    let debt = finance::size(&inputs, &t);
    let flows = finance::run(&inputs, &t, &debt);
    // The contract covers PV(100 over 8 quarters at 2 %) ÷ 1.25 — less than 800: it binds.
    let cover = 100.0 * (1.0 - 1.02f64.powi(-8)) / 0.02 / 1.25;
    assert_eq!(debt.gpu.binding, finance::GpuBinding::ContractCover);
    assert!(close(debt.gpu.commitment_eur, cover, 1e-9));
    let r = &flows.rows;
    // Repaid on the contract, at the target cover, before the contract ends; nothing owed after,
    // though the draw's legal maturity is quarter 21.
    for (p, row) in r.iter().enumerate().take(10).skip(2) {
        let service = row.gpu_interest_eur + row.gpu_principal_eur;
        assert!(close(service, 100.0 / 1.25, 1e-9), "quarter {p}: {service}");
    }
    assert!(r[9].gpu_closing_eur.abs() < 1e-9 && r[10].gpu_principal_eur.abs() < 1e-9);
    assert_eq!(flows.gpu_draws[0].maturity, 21);
    // The infrastructure facility finances the rest on the merchant hours after the contract,
    // and owes nothing while the contract's cash goes to the GPU facility.
    assert!(debt.commitment_eur > 0.0);
    assert!(close(
        r[2].debt_service_eur,
        r[2].gpu_interest_eur + r[2].gpu_principal_eur,
        1e-9
    ));
    assert_laws(&inputs, &t, &debt, &flows, "a contract ending early");
}

#[test]
fn the_dsra_is_funded_at_cod_with_the_first_quarters_that_owe_service() {
    // Quarterly; nothing earned in the first quarter after COD (it capitalises), then 100 a quarter.
    let revenue = [0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0];
    let inputs = one_asset(1000.0, &revenue, 3);
    let mut t = terms(4.0);
    t.tenor_years = 2.0;
    t.dsra_months = 6.0;
    let (debt, flows, metrics) = sized(&inputs, &t);
    assert!(
        debt.capitalising[0],
        "the first quarter after COD earns nothing"
    );
    let r = &flows.rows;
    assert_eq!(r[1].debt_service_eur, 0.0);
    // At COD the reserve holds the two quarters of service that follow the capitalised one.
    let next_two = r[2].debt_service_eur + r[3].debt_service_eur;
    assert!(next_two > 0.0);
    assert!(
        close(r[0].dsra_eur, next_two, 1e-9),
        "{} vs {next_two}",
        r[0].dsra_eur
    );
    assert!(close(flows.uses.dsra_eur, next_two, 1e-9));
    assert!(metrics.all_checks_pass(), "{:?}", metrics.checks);
}

fn assert_laws(inputs: &Inputs, t: &Terms, debt: &Debt, flows: &Cashflows, what: &str) {
    let metrics = Metrics::of(inputs, t, debt, flows);
    let scale = flows.uses.total().max(1.0);
    // Sources = uses.
    assert!(
        (flows.sources.total() - flows.uses.total()).abs() <= 1e-9 * scale,
        "{what}: sources {} ≠ uses {}",
        flows.sources.total(),
        flows.uses.total()
    );
    // The tranches add up to the debt: what each drew over construction is its source.
    let cod = flows.schedule.cod;
    let drawn = |f: fn(&finance::Row) -> f64| flows.rows[..=cod].iter().map(f).sum::<f64>();
    assert!(
        (drawn(|r| r.debt_drawn_eur) - flows.sources.debt_eur - flows.sources.gpu_debt_eur).abs()
            <= 1e-9 * scale
            && (drawn(|r| r.gpu_drawn_eur) - flows.sources.gpu_debt_eur).abs() <= 1e-9 * scale,
        "{what}: the tranches' draws are not the debt's sources"
    );
    for (p, r) in flows.rows.iter().enumerate() {
        // Opening debt + draws − repayments = closing debt, in total and for the GPU facility.
        let closing = r.debt_opening_eur + r.debt_drawn_eur - r.principal_eur - r.sweep_eur;
        assert!(
            (closing - r.debt_closing_eur).abs() <= 1e-9 * scale,
            "{what}: debt roll-forward breaks in period {p}"
        );
        let gpu_opening = p
            .checked_sub(1)
            .map_or(0.0, |q| flows.rows[q].gpu_closing_eur);
        assert!(
            (gpu_opening + r.gpu_drawn_eur - r.gpu_principal_eur - r.gpu_closing_eur).abs()
                <= 1e-9 * scale,
            "{what}: the GPU facility's roll-forward breaks in period {p}"
        );
        assert!(
            r.gpu_closing_eur <= r.debt_closing_eur + 1e-9 * scale,
            "{what}: the GPU facility is part of the debt"
        );
        // After COD the waterfall hands out exactly the cash available: CFADS and injections, less
        // debt service, DSRA movements, sweep and what stays trapped.
        if p > flows.schedule.cod {
            let opening_cash = flows.rows[p - 1].cash_eur;
            let available = r.cfads_eur + r.equity_drawn_eur + opening_cash
                - r.debt_service_eur
                - r.dsra_flow_eur
                - r.sweep_eur;
            assert!(
                (available - r.distributions_eur - r.cash_eur).abs() <= 1e-9 * scale,
                "{what}: period {p} distributes {} + holds {} of {available}",
                r.distributions_eur,
                r.cash_eur
            );
        }
        assert!(
            r.balance_gap_eur.abs() <= 1e-9 * scale,
            "{what}: books off in period {p}"
        );
    }
    // NPV at the IRR is zero.
    for (irr, flows_of) in [
        (
            metrics.project_irr,
            flows
                .rows
                .iter()
                .map(|r| r.project_cf_eur)
                .collect::<Vec<_>>(),
        ),
        (
            metrics.equity_irr,
            flows.rows.iter().map(|r| r.equity_cf_eur).collect(),
        ),
    ] {
        if let Some(irr) = irr {
            let gross: f64 = flows_of.iter().map(|c| c.abs()).sum();
            let at_irr = finance::npv(&flows_of, irr, t.periods_per_year);
            assert!(
                at_irr.abs() <= 1e-9 * gross,
                "{what}: NPV at the IRR is {at_irr}"
            );
        }
    }
    // The accounting checks always hold (sizing convergence and the equity commitment are findings).
    assert!(
        metrics.checks[..4].iter().all(|c| *c),
        "{what}: {:?}",
        metrics.checks
    );
}

#[test]
fn the_laws_hold_on_synthetic_projects_with_every_feature_on() {
    let mut revenue = vec![0.0; 24];
    for (p, r) in revenue.iter_mut().enumerate().skip(3) {
        *r = 60.0 + 10.0 * ((p * 7) % 5) as f64;
    }
    let mut inputs = one_asset(500.0, &revenue, 3);
    inputs.capex[0].eur[1] = 300.0;
    inputs.capex[0].eur[2] = 200.0;
    inputs.capex.push(CapexLine {
        class: Class::GpuRefresh,
        life_years: Some(4.0),
        eur: (0..24).map(|p| if p == 12 { 150.0 } else { 0.0 }).collect(),
    });
    inputs.opex_energy_eur = vec![12.0; 24];
    let mut t = terms(4.0);
    t.tax_rate = 0.25;
    t.arrangement_fee = 0.0125;
    t.dsra_months = 6.0;
    t.lockup_dscr = Some(1.4);
    t.cash_sweep_share = 0.2;
    t.grants_eur = 100.0;
    t.max_gearing = 0.7;
    t.tenor_years = 3.0;
    // The same project with its GPUs bought in quarters 1 and 2 on a GPU facility of two-year draws.
    let mut with_gpus = inputs.clone();
    with_gpus.capex.push(CapexLine {
        class: Class::Gpus,
        life_years: Some(5.0),
        eur: (0..24)
            .map(|p| [0.0, 250.0, 150.0][..].get(p).copied().unwrap_or(0.0))
            .collect(),
    });
    let mut tg = t.clone();
    tg.gpu = Some(finance::GpuTerms {
        rate: 0.09,
        advance_rate: 0.6,
        tenor_years: 2.0,
    });
    let debt = finance::size(&with_gpus, &tg);
    assert!(debt.converged && debt.gpu.commitment_eur > 0.0);
    let flows = finance::run(&with_gpus, &tg, &debt);
    assert_laws(&with_gpus, &tg, &debt, &flows, "with a GPU facility");
    let debt = finance::size(&inputs, &t);
    assert!(
        debt.converged,
        "sizing converged in {} iterations",
        debt.iterations
    );
    let base = finance::run(&inputs, &t, &debt);
    assert_laws(&inputs, &t, &debt, &base, "base case");
    // The same debt under a downside (revenue −40 %) still balances, and now breaches.
    let mut down = inputs.clone();
    down.revenue_contracted_eur
        .iter_mut()
        .for_each(|r| *r *= 0.6);
    let flows = finance::run(&down, &t, &debt);
    assert_laws(&down, &t, &debt, &flows, "downside");
    let m = Metrics::of(&down, &t, &debt, &flows);
    assert!(
        m.dscr_min.expect("defined here") < 1.25,
        "a 40 % revenue cut takes the DSCR below target"
    );
    assert!(
        flows.rows.iter().any(|r| r.locked_up),
        "and locks distributions up"
    );
}

#[test]
fn leverage_raises_equity_irr_when_debt_is_cheaper_than_the_project_and_lowers_it_otherwise() {
    let mut revenue = vec![180.0; 11];
    revenue[0] = 0.0;
    let inputs = one_asset(1000.0, &revenue, 12);
    let mut t = terms(1.0);
    t.max_gearing = 0.6;
    t.tenor_years = 8.0;
    t.target_dscr = 1.2;
    let (_, _, cheap) = sized(&inputs, &t);
    let project = cheap.project_irr.expect("defined here");
    assert!(project > 0.1, "the project returns {project}");
    t.term_rate = 0.04;
    t.construction_rate = 0.04;
    let (_, _, cheap) = sized(&inputs, &t);
    assert!(
        cheap.equity_irr.expect("defined here") > project,
        "{:?} vs {project}",
        cheap.equity_irr
    );
    t.term_rate = project + 0.08;
    t.construction_rate = project + 0.08;
    let (_, _, dear) = sized(&inputs, &t);
    assert!(
        dear.equity_irr.expect("defined here") < project,
        "{:?} vs {project}",
        dear.equity_irr
    );
}

#[test]
fn simulated_replications_of_a_shipped_scenario_obey_the_laws_with_debt_sized_on_the_base_case() {
    let scenario = super::shipped("quickstart.toml");
    let t = Terms::of(&scenario).expect("the scenario has a finance section");
    let base_scenario = scenario.at_medians();
    let base = simulated_inputs(&base_scenario, 0);
    let debt = finance::size(&base, &t);
    assert!(debt.converged);
    let flows = finance::run(&base, &t, &debt);
    assert_laws(&base, &t, &debt, &flows, "base case");
    let m = Metrics::of(&base, &t, &debt, &flows);
    assert!(
        m.capex_total_eur > 5e9,
        "100,000 GB300 and their hall cost billions"
    );
    if debt.binding == Binding::Sculpting {
        let dscr = m.dscr_min.expect("defined here");
        assert!(
            (dscr - t.target_dscr).abs() < 1e-6,
            "base-case DSCR {dscr} is the target"
        );
    }
    for rep in 0..3 {
        let inputs = simulated_inputs(&scenario, rep);
        let flows = finance::run(&inputs, &t, &debt);
        assert_laws(&inputs, &t, &debt, &flows, &format!("replication {rep}"));
        // Capex is the simulated spending, priced.
        let spent: f64 = inputs.capex.iter().flat_map(|l| &l.eur).sum();
        assert!((spent - flows.rows.iter().map(|r| r.capex_eur).sum::<f64>()).abs() < 1.0);
    }
    assert_eq!(CHECKS.len(), m.checks.len());
}

#[test]
fn simulated_replications_with_a_gpu_facility_repay_every_tranche_by_its_maturity() {
    // The neocloud finances each site with an infrastructure facility and a GPU facility.
    let scenario = super::shipped("neocloud-1.3gw.toml");
    let t = Terms::of(&scenario).expect("financed");
    assert!(t.gpu.is_some(), "the neocloud has a GPU facility");
    let by_phase = |s: &sovsim_core::model::Scenario, rep: u64| {
        let r = simulate(s, rep, false);
        let setup = dispatch::Setup::new(s, s.dispatch.policy);
        let outcome =
            dispatch::dispatch(s, &setup, &r.operational_gpu_hours, &dispatch::draw(s, rep));
        let prices = finance::draw_prices(s, rep).expect("financed");
        let sites = finance::inputs_by_site(s, &r, &outcome, &prices).expect("financed");
        let ids: Vec<String> = s.sites.iter().map(|x| x.id.clone()).collect();
        finance::phases(&ids, sites, t.phasing)
    };
    let financing = finance::size_phases(&by_phase(&scenario.at_medians(), 0), &t);
    assert!(
        financing.total(|d| d.gpu.commitment_eur) > 0.0,
        "the anchor contract supports GPU debt"
    );
    for rep in 0..3 {
        for (part, phase) in by_phase(&scenario, rep).iter().zip(&financing.phases) {
            let pt = phase.terms(&t);
            let flows = finance::run(&part.inputs, &pt, &phase.debt);
            let what = format!("replication {rep}, {}", part.name);
            assert_laws(&part.inputs, &pt, &phase.debt, &flows, &what);
            // Every draw is repaid by its own maturity, five years after it.
            for d in &flows.gpu_draws {
                assert_eq!(d.maturity, (d.period + 20).max(d.converted + 1), "{what}");
                if d.maturity < flows.rows.len() {
                    assert!(
                        d.balance_eur.abs() < 1e-3,
                        "{what}: a draw outlives its maturity"
                    );
                }
            }
            let drawn: f64 = flows.gpu_draws.iter().map(|d| d.amount_eur).sum();
            assert!(
                drawn <= phase.debt.gpu.commitment_eur * (1.0 + 1e-12),
                "{what}"
            );
        }
    }
}

#[test]
fn a_few_months_of_delay_inside_the_long_stop_leave_the_median_dscr_at_the_base_cases() {
    // Quickstart with every figure fixed but the permit: 10-16 months (base case 13), so each
    // replication is the base case moved by up to a quarter or so, well inside the long-stop.
    let text =
        std::fs::read_to_string(crate::repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("read");
    let mut text = text;
    for (from, to) in [
        (
            r#"permit_months = { dist = "pert", min = 9, mode = 12, max = 24, factor = "permitting" }"#,
            r#"permit_months = { dist = "uniform", min = 10, max = 16 }"#,
        ),
        (
            r#"build_months = { dist = "triangular", min = 18, mode = 24, max = 36 }"#,
            "build_months = 24",
        ),
        (
            r#"lead_time_months = { dist = "uniform", min = 6, max = 12, factor = "gpu-supply" }"#,
            "lead_time_months = 9",
        ),
        (
            r#"repair_days = { dist = "triangular", min = 1, mode = 3, max = 14 }"#,
            "repair_days = 3",
        ),
        (
            "capacity_mw = 240 ",
            "queue_wait_months = 36\nprice_eur_per_mwh = 80\ncapacity_mw = 240 ",
        ),
        (
            r#"tokens_per_day = { dist = "lognormal", p50 = 2e11, p90 = 4e11 }"#,
            "tokens_per_day = 2e11",
        ),
        (
            r#"gb300-nvl72 = { dist = "triangular", min = 2.5, mode = 4.0, max = 5.5 }"#,
            "gb300-nvl72 = 4.0",
        ),
    ] {
        assert!(text.contains(from), "quickstart has no `{from}`");
        text = text.replace(from, to);
    }
    let scenario = crate::parse(&text);
    let t = Terms::of(&scenario).expect("financed");
    let base = simulated_inputs(&scenario.at_medians(), 0);
    let (debt, _, m) = sized(&base, &t);
    let base_dscr = m.dscr_min.expect("debt service");
    let mut mins = Vec::new();
    let mut cods = std::collections::BTreeSet::new();
    for rep in 0..21 {
        let inputs = simulated_inputs(&scenario, rep);
        let flows = finance::run(&inputs, &t, &debt);
        let m = Metrics::of(&inputs, &t, &debt, &flows);
        assert!(
            !m.long_stop_passed,
            "replication {rep} passed the long-stop"
        );
        cods.insert(flows.schedule.cod);
        mins.push(m.dscr_min.expect("debt service"));
    }
    assert!(cods.len() > 1, "the delays move COD: {cods:?}");
    mins.sort_by(f64::total_cmp);
    let median = mins[mins.len() / 2];
    // The stated margin: 10 % of the base case's. Repayments move with COD; what remains is the
    // timing of the tax step (losses used up a quarter earlier or later than the sculpted
    // schedule expects), the interest of a later conversion, and an older generation's price.
    assert!(
        (median - base_dscr).abs() <= 0.10 * base_dscr,
        "median min DSCR {median} vs the base case's {base_dscr}; all {mins:?}"
    );
    assert!(
        mins[0] >= t.covenant_dscr,
        "no replication breaches the covenant: {mins:?}"
    );
}

#[test]
fn the_viability_gap_brings_the_equity_irr_to_the_hurdle_and_the_npv_to_zero() {
    use sovsim_core::study::pipeline::base_case;
    let scenario = super::shipped("iren-microsoft-200mw.toml");
    let base = base_case(&scenario, scenario.dispatch.policy).expect("financed");
    let everyone = vec![vec![true; scenario.clusters.len()]];
    let v = finance::viability(&base, Some(0.15), &everyone);
    let m = &base.case.metrics;
    assert!(
        m.equity_irr.expect("defined") < 0.15,
        "the deal alone misses 15 %"
    );
    assert_eq!(v.gap_npv_eur, (-m.npv_eur).max(0.0));
    // Granted, and the debt re-sized with it, the equity earns its hurdle.
    let gap = v.gap_equity_eur.expect("reachable");
    let parts: Vec<finance::PhaseInputs> = base
        .case
        .phases
        .iter()
        .map(|p| finance::PhaseInputs {
            name: p.name.clone(),
            inputs: p.inputs.clone(),
        })
        .collect();
    let t = Terms {
        grants_eur: base.terms.grants_eur + gap,
        ..base.terms.clone()
    };
    let financing = finance::size_phases(&parts, &t);
    let granted = finance::Case::phased(parts, &t, &financing).metrics;
    let irr = granted.equity_irr.expect("defined");
    assert!(
        (irr - 0.15).abs() < 1e-4,
        "equity IRR {irr} with the gap granted"
    );
    // Every cluster qualifies: the cost per sovereign GPU-hour is the levelised cost of compute.
    assert_eq!(
        v.cost_per_tier_eur_per_gpu_hour,
        vec![m.lcoc_eur_per_gpu_hour]
    );
    // None qualifies: no sovereign GPU-hour to carry it.
    let nobody = finance::viability(&base, None, &[vec![false; scenario.clusters.len()]]);
    assert_eq!(nobody.cost_per_tier_eur_per_gpu_hour, vec![None]);
    assert_eq!(nobody.gap_equity_eur, None, "no hurdle stated");
    // The market reference: the generation's market price, held by its age.
    let reference = v.reference_eur_per_gpu_hour.expect("GPUs work");
    assert!(reference > 1.0 && reference < 4.0, "{reference}");
}

#[test]
fn catalog_prices_arrive_in_euros_and_skus_are_typed_once_loaded() {
    for name in ["quickstart.toml", "neocloud-1.3gw.toml"] {
        let s = crate::shipped(name);
        let f = s.finance.as_ref().expect("financed");
        let rate = |currency: &str| {
            if currency == "EUR" {
                1.0
            } else {
                f.eur_per_currency[currency]
            }
        };
        for c in &s.clusters {
            let a = &c.accelerator;
            assert_eq!(
                c.price_eur_per_gpu,
                a.price_per_gpu.map(|p| p * rate(&a.currency)),
                "{}",
                c.id
            );
            assert_eq!(s.skus[c.sku.index()], a.id, "{}: its SKU", c.id);
        }
        for h in &s.shells {
            assert_eq!(
                h.capex_eur_per_mw,
                Some(h.kind.capex_per_mw * rate(&h.kind.currency))
            );
        }
        assert_eq!(
            f.gpu_hour_price_eur.len(),
            s.skus.len(),
            "a price per SKU in use"
        );
        assert_eq!(
            s.dispatch.efficiency.len(),
            s.skus.len(),
            "an efficiency per SKU"
        );
    }
    // Without `[finance]` there is no rate: a price in dollars stays unconverted, not guessed.
    let mut text =
        std::fs::read_to_string(crate::repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("read");
    // Contracts need a finance section to price them: they go too.
    for section in ["\n[finance]", "\n[[contracts]]"] {
        while let Some(cut) = text.find(section) {
            let end = text[cut + 1..]
                .find("\n[")
                .map_or(text.len(), |e| cut + 1 + e);
            text.replace_range(cut..end, "");
        }
    }
    let s = crate::parse(&text);
    assert!(s.finance.is_none());
    assert!(s.clusters.iter().all(|c| c.price_eur_per_gpu.is_none()));
}
