//! Reinvestment (the flywheel): orders placed from the cash each period earned. Its laws, one at a
//! time — what is read is what the finished replication earned (causality), every euro set aside
//! is spent on GPUs × price or still held, the GPUs bought are those ordered and paid for, the
//! waterfall pays for them below debt service — a second order worked out from the rule by hand,
//! and a rule that sets nothing aside changes nothing.

use super::{diagnostics, located, parse};
use sovsim_core::finance::{self, Class};
use sovsim_core::model::Scenario;
use sovsim_core::study::flywheel::Reinvested;
use sovsim_core::study::pipeline::{self, Pipeline};

/// The one-site fixture (100,000 GB300 in a 200 MW hall: 20 MW of IT left, 11,111 GB300) with a
/// rule reinvesting `share` of `basis` into GB300 there.
fn flywheel(share: f64, basis: &str) -> String {
    let base =
        std::fs::read_to_string(crate::repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("read");
    format!(
        r#"{base}
[[reinvestments]]
id = "flywheel"
operator = "eu-operator"
basis = "{basis}"
share = {share}
sku = "gb300-nvl72"
min_order_gpus = 72
halls = ["saclay-hall"]
lead_time_months = 6
repair_days = 3
"#
    )
}

/// [`flywheel`] without the anchor contract: every GPU-hour merchant, so inference earns.
fn merchant(share: f64, basis: &str) -> String {
    let text = flywheel(share, basis);
    let cut = text.find("\n[[contracts]]").expect("a contract");
    let end = text[cut + 1..]
        .find("\n[")
        .map_or(text.len(), |e| cut + 1 + e);
    format!("{}{}", &text[..cut], &text[end..])
}

/// The cluster the rule fills.
fn slot(s: &Scenario) -> usize {
    s.clusters
        .iter()
        .position(|c| c.reinvested_by.is_some())
        .expect("the rule's cluster")
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_rule_gets_one_cluster_per_hall_as_large_as_the_room_left() {
    let s = parse(&flywheel(0.1, "operating_cash"));
    let c = &s.clusters[slot(&s)];
    assert_eq!(c.id, "flywheel@saclay-hall");
    // 200 MW of hall − 100,000 × 1.8 kW = 20 MW; firm power 240 MW − 180 × 1.15 = 33 MW → 28.7
    // MW of IT: the hall binds, 20,000 kW ÷ 1.8 kW = 11,111 GPUs.
    let kw = c.accelerator.all_in_power_kw;
    assert_eq!(c.gpus, (20_000.0 / kw + 1e-9).floor() as u64);
    assert!(!c.planned());
}

#[test]
fn what_each_period_sets_aside_is_what_the_finished_replication_earned_then() {
    for (basis, text) in [
        ("operating_cash", flywheel(0.05, "operating_cash")),
        ("inference_margin", merchant(0.05, "inference_margin")),
    ] {
        let s = parse(&text);
        let p = Pipeline::new(&s, &[s.dispatch.policy], None);
        for replication in 0..2 {
            let (rep, done) = p.simulate(replication, false);
            let outcome = p.dispatch(replication, &rep).remove(0);
            let prices = finance::draw_prices(&s, replication).expect("financed");
            let sites = finance::inputs_by_site(&s, &rep, &outcome, &prices).expect("financed");
            let rule = &s.reinvestments[0];
            assert!(
                done.basis_eur[0].iter().any(|b| *b > 0.0),
                "{basis}: it earns"
            );
            for (period, read) in done.basis_eur[0].iter().enumerate() {
                let finished = finance::reinvestment_basis_eur(&s, rule, &sites, period);
                assert!(
                    close(*read, finished, 1e-9),
                    "{basis}, replication {replication}, period {period}: read {read}, finished {finished}"
                );
            }
        }
    }
}

#[test]
fn every_euro_set_aside_buys_gpus_at_their_price_or_is_still_held() {
    let s = parse(&flywheel(0.05, "operating_cash"));
    let p = Pipeline::new(&s, &[s.dispatch.policy], None);
    let c = slot(&s);
    let price = s.clusters[c].price_eur_per_gpu.expect("priced");
    for replication in 0..3 {
        let (rep, done) = p.simulate(replication, false);
        let rule = &s.reinvestments[0];
        let share_of_all: f64 = done.basis_eur[0]
            .iter()
            .map(|b| rule.share * b.max(0.0))
            .sum();
        let set_aside = done.set_aside_eur[0];
        // The share of every positive period, while the hall has room for an order.
        let ordered: u64 = done.orders.iter().map(|o| o.gpus).sum();
        if ordered + rule.min_order_gpus <= s.clusters[c].gpus {
            assert!(close(set_aside, share_of_all, 1e-12));
        } else {
            assert!(set_aside <= share_of_all * (1.0 + 1e-12));
        }
        let spent: f64 = done.orders.iter().map(|o| o.eur).sum();
        assert!(
            (spent + done.unspent_eur[0] - set_aside).abs() < 0.01,
            "spent {spent} + held {} = set aside {set_aside}, to the cent",
            done.unspent_eur[0]
        );
        for o in &done.orders {
            assert_eq!(o.eur, o.gpus as f64 * price, "GPUs × price");
            assert!(o.gpus >= rule.min_order_gpus);
        }
        // The GPUs ordered are the cluster's, and what was delivered within the horizon is its
        // capex, to the cent.
        let gpus: u64 = done.orders.iter().map(|o| o.gpus).sum();
        assert!(gpus > 0, "replication {replication} reinvests");
        assert_eq!(rep.gpus[c].ordered, gpus);
        assert!(gpus <= s.clusters[c].gpus, "never beyond the room");
        let outcome = p.dispatch(replication, &rep).remove(0);
        let prices = finance::draw_prices(&s, replication).expect("financed");
        let inputs = finance::inputs(&s, &rep, &outcome, &prices).expect("financed");
        let capex: f64 = (0..inputs.periods())
            .map(|q| inputs.capex_in(q, Class::GpuReinvested))
            .sum();
        let paid: u64 = rep
            .outlays
            .iter()
            .filter_map(|o| match o.asset {
                sovsim_core::engine::buildout::Asset::Gpus(cl, g) if cl.index() == c => Some(g),
                _ => None,
            })
            .sum();
        assert!((capex - paid as f64 * price).abs() < 0.01);
        assert_eq!(paid, gpus, "every order arrives within the horizon here");
        assert!(
            (capex - spent).abs() < 0.01,
            "capex {capex} = reinvested {spent}"
        );
    }
}

/// Orders of replication 0 of `s`.
fn orders(s: &Scenario) -> Reinvested {
    Pipeline::new(s, &[s.dispatch.policy], None)
        .simulate(0, false)
        .1
}

#[test]
fn the_second_order_is_the_fund_left_after_the_first_plus_what_came_since() {
    let s = parse(&flywheel(0.05, "operating_cash"));
    let done = orders(&s);
    let price = s.clusters[slot(&s)].price_eur_per_gpu.expect("priced");
    let pm = s.meta.period_months as usize;
    let [first, second, ..] = done.orders.as_slice() else {
        panic!("two orders at least: {:?}", done.orders);
    };
    // Set aside up to each order's period: 5 % of each period's positive operating cash.
    let by = |month: usize| -> f64 {
        done.basis_eur[0][..month / pm]
            .iter()
            .map(|b| 0.05 * b.max(0.0))
            .sum()
    };
    assert_eq!(first.gpus, (by(first.month) / price).floor() as u64);
    let fund = by(second.month) - first.gpus as f64 * price;
    assert_eq!(second.gpus, (fund / price).floor() as u64);
    assert!(second.month > first.month);
}

#[test]
fn a_rule_that_sets_nothing_aside_changes_nothing() {
    let with = parse(&flywheel(0.0, "operating_cash"));
    let without = parse(
        &std::fs::read_to_string(
            crate::repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"),
        )
        .expect("read"),
    );
    assert!(orders(&with).orders.is_empty());
    let policy = with.dispatch.policy;
    let (a, b) = (
        pipeline::base_case(&with, policy).expect("financed"),
        pipeline::base_case(&without, policy).expect("financed"),
    );
    assert_eq!(a.case.metrics, b.case.metrics);
    let pa = Pipeline::new(&with, &[policy], Some(&a.financing));
    let pb = Pipeline::new(&without, &[policy], Some(&b.financing));
    for replication in 0..2 {
        let (ra, _) = pa.simulate(replication, false);
        let (rb, _) = pb.simulate(replication, false);
        let (oa, ca) = pa.through(replication, &ra);
        let (ob, cb) = pb.through(replication, &rb);
        assert_eq!(oa[0].months, ob[0].months);
        assert_eq!(ca.expect("financed").metrics, cb.expect("financed").metrics);
    }
}

#[test]
fn reinvestment_is_paid_below_debt_service_and_by_no_facility() {
    let s = parse(&flywheel(0.3, "operating_cash"));
    let policy = s.dispatch.policy;
    let base = pipeline::base_case(&s, policy).expect("financed");
    let p = Pipeline::new(&s, &[policy], Some(&base.financing));
    for replication in 0..2 {
        let (rep, done) = p.simulate(replication, false);
        let case = p.through(replication, &rep).1.expect("financed");
        let rows = &case.flows.rows;
        let reinvested: f64 = rows.iter().map(|r| r.reinvested_eur).sum();
        let capex: f64 = (0..case.inputs.periods())
            .map(|q| case.inputs.capex_in(q, Class::GpuReinvested))
            .sum();
        assert!(reinvested > 0.0 && (reinvested - capex).abs() < 0.01);
        assert!(!done.orders.is_empty());
        let cod = case.flows.schedule.cod;
        for (q, r) in rows.iter().enumerate() {
            let deferred = case.inputs.deferred_revenue_change(q);
            if q > cod {
                // CFADS leaves reinvestment out.
                let cfads = r.ebitda_eur + deferred - r.tax_eur - (r.capex_eur - r.reinvested_eur);
                assert!(close(r.cfads_eur, cfads, 1e-9), "period {q}");
            }
            // No facility draws on it: the GPU facility finances the initial build's GPUs only.
            assert!(r.gpu_drawn_eur <= case.inputs.capex_in(q, Class::Gpus) + 0.01);
            assert!(r.balance_gap_eur.abs() < 1e-3 * r.book_value_eur.abs().max(1.0));
        }
        assert!(case.metrics.checks.iter().all(|c| *c), "{:?}", case.metrics);
    }
}

/// The diagnostics of loading `text`.
#[test]
fn a_bad_rule_gets_every_problem_at_once_each_at_its_field() {
    let text = flywheel(1.5, "operating_cash")
        .replace("min_order_gpus = 72", "min_order_gpus = 0")
        .replace(
            "halls = [\"saclay-hall\"]",
            "halls = [\"saclay-hal\", \"saclay-hall\"]",
        )
        .replace(
            "operator = \"eu-operator\"\nbasis",
            "operator = \"eu-operatr\"\nbasis",
        );
    let found = diagnostics(&text);
    for d in located(
        &found,
        &[
            ("not-a-fraction", "reinvestments[0].share"),
            ("zero", "reinvestments[0].min_order_gpus"),
            ("unknown-reference", "reinvestments[0].halls[0]"),
            ("unknown-reference", "reinvestments[0].operator"),
        ],
    ) {
        assert!(d.span.is_some() && d.hint.is_some(), "{d:?}");
    }
    // A hall the planned build fills gets a warning that says what is free.
    let full = flywheel(0.1, "operating_cash").replace("gpus = 100000", "gpus = 111111");
    let found = diagnostics(&full);
    let d = found
        .iter()
        .find(|d| d.code == "no-room")
        .unwrap_or_else(|| panic!("no `no-room` in {found:?}"));
    assert_eq!(d.field, "reinvestments[0].halls[0]");
    assert!(d.message.contains("IT 0.0 MW free"), "{}", d.message);
    // Without finance there is no cash to reinvest.
    let text = flywheel(0.1, "operating_cash");
    let cut = text.find("\n[finance]").expect("finance");
    let end = text[cut + 1..]
        .find("\n[[reinvestments]]")
        .map_or(text.len(), |e| cut + 1 + e);
    let found = diagnostics(&format!("{}{}", &text[..cut], &text[end..]));
    assert!(
        found
            .iter()
            .any(|d| d.code == "reinvestment-without-finance"),
        "{found:?}"
    );
}

/// One site, one hall, 1,000 GB300 that never fail, one inference demand far above them, a
/// GPU-hour at a fixed €4 with no decline, no opex, GPUs at €50,000: every number of the
/// flywheel can be worked out by hand.
const BY_HAND: &str = r#"
[scenario]
name = "by-hand"
start_date = 2026-01-01
horizon_years = 3
period_months = 3
currency = "EUR"
discount_rate = 0.08
seed = 1

[[operators]]
id = "op"
parent_jurisdiction = "FR"
ownership_pct = { FR = 100 }
key_custody_jurisdiction = "FR"
staff_jurisdictions = ["FR"]

[[sites]]
id = "site"
country = "FR"
area_ha = 40
land_price_eur_per_ha = 0
max_it_mw = 50
acquisition_months = 1
permit_months = 1

[[grid_connections]]
id = "grid"
site = "site"
capacity_mw = 100
queue_wait_months = 1
price_eur_per_mwh = 0

[[shells]]
id = "hall"
site = "site"
type = "liquid-hall"
phases = [{ it_mw = 50, build_months = 1 }]

[[clusters]]
id = "planned"
shell = "hall"
operator = "op"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2026-01-01
lead_time_months = 2
overrides = { failure_rate_per_gpu_day = 0, price_per_gpu = 50000 }

[[tiers]]
id = "resident"
preset = "eu-data-residency"

[[models]]
id = "deepseek-v3"

[[demand.inference]]
id = "demand"
tier = "resident"
model = "deepseek-v3"
operators = ["op"]
tokens_per_day = 1e15
growth_per_year = 0

[finance]
eur_per_currency = { USD = 1.0 }
base_rate = 0.025
construction_margin = 0.045
term_margin = 0.025
target_dscr = 1.30
max_gearing = 0.6
tenor_years = 2
tax_rate = 0.25
gpu_depreciation_years = 6
gpu_hour_price_eur = { gb300-nvl72 = 4.0 }
gpu_hour_price_decline_per_year = 0
maintenance_pct_per_year = 0
insurance_pct_per_year = 0
staff_eur_per_mw_year = 0
network_eur_per_gpu_year = 0

[[reinvestments]]
id = "half"
operator = "op"
basis = "inference_margin"
share = 0.5
sku = "gb300-nvl72"
min_order_gpus = 72
halls = ["hall"]
lead_time_months = 2
overrides = { failure_rate_per_gpu_day = 0, price_per_gpu = 50000 }
"#;

#[test]
fn the_second_order_of_half_the_margin_worked_out_by_hand() {
    use sovsim_core::engine::time::SimTime;
    let s = parse(BY_HAND);
    let done = orders(&s);
    let hours = |a: usize, b: usize| {
        (SimTime::ZERO.after_months(b as f64).0 - SimTime::ZERO.after_months(a as f64).0) as f64
    };
    // Land at month 1, permit at 2, grid and hall at 3: the 1,000 GPUs (delivered at 2) work from
    // month 3. No opex and every hour sold for inference: the first quarter's margin is 0, the
    // second's 1,000 × hours(3..6) × €4.
    let margin_2 = 1000.0 * hours(3, 6) * 4.0;
    assert!(
        close(done.basis_eur[0][1], margin_2, 1e-12),
        "{:?}",
        done.basis_eur
    );
    // First order, at the end of the second quarter (month 6): half of it, in €50,000 GPUs.
    let first = (0.5 * margin_2 / 50_000.0).floor();
    let [a, b, ..] = done.orders.as_slice() else {
        panic!("two orders: {:?}", done.orders);
    };
    assert_eq!((a.month, a.gpus), (6, first as u64));
    // They arrive two months later (month 8) and work at once: the third quarter's margin is
    // 1,000 × hours(6..9) + first × hours(8..9), at €4; the second order (month 9) is what is
    // left of the fund plus half of it.
    let margin_3 = (1000.0 * hours(6, 9) + first * hours(8, 9)) * 4.0;
    let fund = 0.5 * margin_2 - first * 50_000.0 + 0.5 * margin_3;
    assert_eq!((b.month, b.gpus), (9, (fund / 50_000.0).floor() as u64));
    assert!(close(done.basis_eur[0][2], margin_3, 1e-12));
}

#[test]
fn the_coupled_loop_only_decides_orders_replaying_them_gives_the_same_replication() {
    use sovsim_core::engine::buildout::Stepper;
    let s = parse(&flywheel(0.3, "operating_cash"));
    let p = Pipeline::new(&s, &[s.dispatch.policy], None);
    for replication in 0..2 {
        let (coupled, done) = p.simulate(replication, true);
        assert!(done.orders.len() > 1);
        let mut stepper = Stepper::new(&s, replication, true);
        for o in &done.orders {
            stepper.run_to_month(o.month);
            stepper.order(o.cluster, o.gpus);
        }
        let replayed = stepper.finish();
        assert_eq!(format!("{coupled:?}"), format!("{replayed:?}"));
    }
}
