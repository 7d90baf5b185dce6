//! The inputs of the live financial model (`model.xlsx`): the base case's simulated quantities and
//! the debt as sized, per phase, in the two tables the workbook's formulas are written on —
//! `model_scalars` (one value each) and `model_series` (one value per period).
//!
//! Revenue enters as quantity × price so that a price changed in the workbook moves revenue as the
//! same change in the scenario does: each contract's invoiced GPU-hours (escalation and take-or-pay
//! included) at its first-year price, each generation's merchant GPU-hours (age decline included)
//! at its price when new, tokens (decline included) at the token price. Prepayments scale with
//! their contract's price. Everything else the simulation decides (capex timing, opex, resale, the
//! term sheet sized on the base case) is an input in EUR or a share, unrounded.

use super::table::{Table, Values};
use crate::finance::{BaseCase, Class, draw_prices};
use crate::model::Scenario;

/// Every name in `model_scalars` and `model_series`: (name, unit, meaning). A name with `[item]`
/// has one entry per item (a contract, a SKU, a capex line, a draw).
pub const MODEL_LINES: &[(&str, &str, &str)] = &[
    ("periods_per_year", "per year", "periods in a year"),
    ("discount_rate", "per year", "discount rate of the NPV"),
    ("base_rate", "per year", "base rate of every facility"),
    (
        "construction_margin",
        "per year",
        "infrastructure facility: margin until COD",
    ),
    (
        "term_margin",
        "per year",
        "infrastructure facility: margin after COD",
    ),
    (
        "gpu_margin",
        "per year",
        "GPU facility: margin (0 without one)",
    ),
    ("tax_rate", "share", "corporate tax rate"),
    (
        "arrangement_fee",
        "share",
        "arrangement fee on every commitment, paid at financial close",
    ),
    (
        "cash_sweep_share",
        "share",
        "share of free cash that prepays the infrastructure facility",
    ),
    (
        "lockup_applies",
        "0/1",
        "whether a lock-up covenant applies",
    ),
    (
        "lockup_dscr",
        "ratio",
        "DSCR below which distributions are locked up",
    ),
    (
        "dsra_periods",
        "periods",
        "DSRA target: periods of scheduled debt service",
    ),
    (
        "target_dscr",
        "ratio",
        "DSCR the debt was sized to (information: the debt is an input)",
    ),
    (
        "contract_price_eur_per_gpu_hour",
        "EUR per GPU-hour",
        "[contract] first-year price",
    ),
    (
        "market_price_eur_per_gpu_hour",
        "EUR per GPU-hour",
        "[SKU] market price when new (base case)",
    ),
    (
        "token_price_eur_per_mtok",
        "EUR per million tokens",
        "token price at the start (0: not priced)",
    ),
    (
        "cod_period",
        "period",
        "COD at the end of this period (the base case's)",
    ),
    (
        "maturity_period",
        "period",
        "infrastructure facility's last repayment period",
    ),
    (
        "infra_commitment_eur",
        "EUR",
        "infrastructure facility commitment, as sized",
    ),
    (
        "infra_debt_share",
        "share",
        "share of each construction funding need the infrastructure facility pays",
    ),
    (
        "gpu_commitment_eur",
        "EUR",
        "GPU facility commitment, as sized",
    ),
    (
        "gpu_draw_share",
        "share",
        "GPU facility drawn per euro of initial GPUs",
    ),
    (
        "gpu_tenor_periods",
        "periods",
        "GPU facility: periods from a draw to its maturity",
    ),
    (
        "gpu_draw_period",
        "period",
        "[draw] a period the base case buys initial GPUs in",
    ),
    ("grants_eur", "EUR", "the phase's share of the grants"),
    (
        "capex_life_periods",
        "periods",
        "[capex line] straight-line life (0: not depreciated)",
    ),
    (
        "contract_gpu_hours_at_base_price",
        "GPU-hours",
        "[contract] revenue ÷ first-year price: GPU-hours invoiced, escalation and take-or-pay included",
    ),
    (
        "prepayment_received_gpu_hours",
        "GPU-hours",
        "[contract] prepayment received ÷ first-year price",
    ),
    (
        "prepayment_applied_gpu_hours",
        "GPU-hours",
        "[contract] prepayment credited ÷ first-year price",
    ),
    (
        "merchant_gpu_hours_at_new_price",
        "GPU-hours",
        "[SKU] merchant revenue ÷ price when new: GPU-hours sold, age decline included",
    ),
    (
        "tokens_at_start_price_mtok",
        "million tokens",
        "token revenue ÷ token price: tokens sold, decline included",
    ),
    ("resale_eur", "EUR", "resale of retired GPUs"),
    ("opex_energy_eur", "EUR", "energy"),
    ("opex_power_om_eur", "EUR", "fixed O&M of on-site plants"),
    ("opex_maintenance_eur", "EUR", "maintenance"),
    ("opex_staff_eur", "EUR", "staff"),
    ("opex_network_eur", "EUR", "network"),
    ("opex_insurance_eur", "EUR", "insurance"),
    (
        "capex_eur",
        "EUR",
        "[capex line] capital expenditure (`gpus`: the initial GPUs the GPU facility draws on)",
    ),
    (
        "infra_repayment_share",
        "share",
        "infrastructure facility: principal due, as a share of the balance at COD (term sheet)",
    ),
    (
        "infra_capitalising",
        "0/1",
        "infrastructure facility: interest capitalises, no service due (term sheet)",
    ),
    (
        "gpu_profile_eur",
        "EUR",
        "GPU facility: repayment shape, the base case's contracted cash flow (term sheet)",
    ),
    (
        "gpu_hours",
        "GPU-hours",
        "operational GPU-hours (information)",
    ),
    (
        "contracted_gpu_hours",
        "GPU-hours",
        "GPU-hours billed under contracts (information)",
    ),
];

/// The item name of a capex line: its class, with its life when the class has several lines.
fn capex_item(class: Class, life: Option<f64>, several: bool) -> String {
    match (several, life) {
        (true, Some(l)) => format!("{}/{l}y", class.name()),
        _ => class.name().to_owned(),
    }
}

#[derive(Default)]
struct Scalars {
    phase: Vec<String>,
    name: Vec<String>,
    item: Vec<String>,
    value: Vec<f64>,
}

impl Scalars {
    fn push(&mut self, phase: &str, name: &str, item: &str, value: f64) {
        debug_assert!(MODEL_LINES.iter().any(|l| l.0 == name), "{name}");
        self.phase.push(phase.to_owned());
        self.name.push(name.to_owned());
        self.item.push(item.to_owned());
        self.value.push(value);
    }
}

#[derive(Default)]
struct Series {
    phase: Vec<String>,
    name: Vec<String>,
    item: Vec<String>,
    period: Vec<u64>,
    value: Vec<f64>,
}

impl Series {
    fn push(&mut self, phase: &str, name: &str, item: &str, values: &[f64]) {
        debug_assert!(MODEL_LINES.iter().any(|l| l.0 == name), "{name}");
        for (p, v) in values.iter().enumerate() {
            self.phase.push(phase.to_owned());
            self.name.push(name.to_owned());
            self.item.push(item.to_owned());
            self.period.push(p as u64);
            self.value.push(*v);
        }
    }
}

/// `revenue ÷ price` per period (0 where the price is 0: no revenue either).
fn per_unit(revenue: &[f64], price: f64) -> Vec<f64> {
    revenue
        .iter()
        .map(|r| if price != 0.0 { r / price } else { 0.0 })
        .collect()
}

/// The `model_scalars` and `model_series` tables of the base case.
pub(super) fn tables(scenario: &Scenario, base: &BaseCase) -> (Table, Table) {
    let mut s = Scalars::default();
    let mut series = Series::default();
    let Some(f) = scenario.finance.as_ref() else {
        return (Table::new(), Table::new());
    };
    let t = &base.terms;
    let g = "";
    s.push(g, "periods_per_year", "", t.periods_per_year);
    s.push(g, "discount_rate", "", t.discount_rate);
    s.push(g, "base_rate", "", f.base_rate);
    s.push(g, "construction_margin", "", f.construction_margin);
    s.push(g, "term_margin", "", f.term_margin);
    let gpu_margin = f.gpu_facility.as_ref().map_or(0.0, |g| g.margin);
    s.push(g, "gpu_margin", "", gpu_margin);
    s.push(g, "tax_rate", "", t.tax_rate);
    s.push(g, "arrangement_fee", "", t.arrangement_fee);
    s.push(g, "cash_sweep_share", "", t.cash_sweep_share);
    s.push(
        g,
        "lockup_applies",
        "",
        f64::from(u8::from(t.lockup_dscr.is_some())),
    );
    s.push(g, "lockup_dscr", "", t.lockup_dscr.unwrap_or(0.0));
    let dsra_periods = (t.dsra_months * t.periods_per_year / 12.0).round();
    s.push(g, "dsra_periods", "", dsra_periods);
    s.push(g, "target_dscr", "", t.target_dscr);
    for c in &f.contracts {
        s.push(
            g,
            "contract_price_eur_per_gpu_hour",
            &c.id,
            c.price_eur_per_gpu_hour,
        );
    }
    // The base case's prices: every uncertain one at its median (replication 0).
    let Some(prices) = draw_prices(&scenario.at_medians(), 0) else {
        return (Table::new(), Table::new());
    };
    for (sku, price) in scenario.skus.iter().zip(&prices.gpu_hour_eur) {
        s.push(g, "market_price_eur_per_gpu_hour", &sku.to_string(), *price);
    }
    let token_price = prices.token_eur_per_mtok.unwrap_or(0.0);
    s.push(g, "token_price_eur_per_mtok", "", token_price);

    for (phase, case) in base.financing.phases.iter().zip(&base.case.phases) {
        let name = phase.name.as_str();
        let (d, inputs, flows) = (&phase.debt, &case.inputs, &case.flows);
        let schedule = flows.schedule;
        let n = inputs.periods();
        s.push(name, "cod_period", "", schedule.cod as f64);
        s.push(name, "maturity_period", "", schedule.maturity as f64);
        s.push(name, "infra_commitment_eur", "", d.commitment_eur);
        s.push(name, "infra_debt_share", "", d.debt_share);
        s.push(name, "gpu_commitment_eur", "", d.gpu.commitment_eur);
        s.push(name, "gpu_draw_share", "", d.gpu.draw_share);
        s.push(name, "gpu_tenor_periods", "", d.gpu.tenor_periods as f64);
        let draws =
            (0..n).filter(|&p| d.gpu.draw_share > 0.0 && inputs.capex_in(p, Class::Gpus) > 0.0);
        for (k, p) in draws.enumerate() {
            s.push(name, "gpu_draw_period", &(k + 1).to_string(), p as f64);
        }
        s.push(name, "grants_eur", "", phase.terms(t).grants_eur);
        for line in &inputs.capex {
            let several = inputs
                .capex
                .iter()
                .filter(|l| l.class == line.class)
                .count()
                > 1;
            let item = capex_item(line.class, line.life_years, several);
            // The depreciation's own rule (0: not depreciated).
            let life = line.life_periods(inputs.period_months).unwrap_or(0) as f64;
            s.push(name, "capex_life_periods", &item, life);
            series.push(name, "capex_eur", &item, &line.eur);
        }
        for (k, c) in f.contracts.iter().enumerate() {
            let price = c.price_eur_per_gpu_hour;
            let unit = |v: &[Vec<f64>]| per_unit(v.get(k).map_or(&[][..], |x| x), price);
            let touches = |v: &[Vec<f64>]| v.get(k).is_some_and(|x| x.iter().any(|&e| e != 0.0));
            // Only the contracts this phase earns from: a continent's 60 contracts over 200
            // sites would otherwise be 36,000 rows of zeros per period.
            if !touches(&inputs.revenue_by_contract_eur)
                && !touches(&inputs.prepayment_received_by_contract_eur)
                && !touches(&inputs.prepayment_applied_by_contract_eur)
            {
                continue;
            }
            series.push(
                name,
                "contract_gpu_hours_at_base_price",
                &c.id,
                &unit(&inputs.revenue_by_contract_eur),
            );
            series.push(
                name,
                "prepayment_received_gpu_hours",
                &c.id,
                &unit(&inputs.prepayment_received_by_contract_eur),
            );
            series.push(
                name,
                "prepayment_applied_gpu_hours",
                &c.id,
                &unit(&inputs.prepayment_applied_by_contract_eur),
            );
        }
        for (k, (sku, price)) in scenario.skus.iter().zip(&prices.gpu_hour_eur).enumerate() {
            let revenue = inputs
                .revenue_merchant_by_sku_eur
                .get(k)
                .map_or(&[][..], |x| x);
            series.push(
                name,
                "merchant_gpu_hours_at_new_price",
                &sku.to_string(),
                &per_unit(revenue, *price),
            );
        }
        series.push(
            name,
            "tokens_at_start_price_mtok",
            "",
            &per_unit(&inputs.revenue_tokens_eur, token_price),
        );
        series.push(name, "resale_eur", "", &inputs.revenue_resale_eur);
        series.push(name, "opex_energy_eur", "", &inputs.opex_energy_eur);
        series.push(name, "opex_power_om_eur", "", &inputs.opex_power_om_eur);
        series.push(
            name,
            "opex_maintenance_eur",
            "",
            &inputs.opex_maintenance_eur,
        );
        series.push(name, "opex_staff_eur", "", &inputs.opex_staff_eur);
        series.push(name, "opex_network_eur", "", &inputs.opex_network_eur);
        series.push(name, "opex_insurance_eur", "", &inputs.opex_insurance_eur);
        let repayment: Vec<f64> = (0..n).map(|p| d.repayment_at(&schedule, p)).collect();
        let capitalising: Vec<f64> = (0..n)
            .map(|p| f64::from(u8::from(d.capitalising_at(&schedule, p))))
            .collect();
        let profile: Vec<f64> = (0..n)
            .map(|p| {
                p.checked_sub(schedule.cod + 1)
                    .and_then(|j| d.gpu.profile.get(j))
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect();
        series.push(name, "infra_repayment_share", "", &repayment);
        series.push(name, "infra_capitalising", "", &capitalising);
        series.push(name, "gpu_profile_eur", "", &profile);
        series.push(name, "gpu_hours", "", &inputs.gpu_hours);
        series.push(
            name,
            "contracted_gpu_hours",
            "",
            &inputs.contracted_gpu_hours,
        );
    }
    (
        Table::new()
            .column("phase", Values::Text(s.phase))
            .column("name", Values::Text(s.name))
            .column("item", Values::Text(s.item))
            .column("value", Values::F64(s.value)),
        Table::new()
            .column("phase", Values::Text(series.phase))
            .column("name", Values::Text(series.name))
            .column("item", Values::Text(series.item))
            .column("period", Values::U64(series.period))
            .column("value", Values::F64(series.value)),
    )
}
