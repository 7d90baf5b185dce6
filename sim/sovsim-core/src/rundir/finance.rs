//! The financial part of a run directory: its `summary.json` keys (the base case and P10/P50/P90
//! over replications) and the `cashflows`, `sources_uses`, `finance_checks` and `replications`
//! tables.

use serde_json::{Map, Value};

use super::run::boundary_date;
use super::schema::{SOURCES, USES};
use super::table::{Table, Values, tidy};
use crate::finance::summary::{FIGURES, Figure, FinanceSummary};
use crate::finance::{BaseCase, CHECKS, Class, Row, Viability};
use crate::model::Scenario;

/// How every money figure is stated.
pub const BASIS: &str = "EUR, constant prices (no indexation; a GPU generation's market price falls with its age, contract prices hold or escalate as stated), flows at period ends, discounted from the start; IRRs post-tax (project unlevered)";

fn opt(v: Option<f64>) -> Value {
    v.filter(|v| v.is_finite())
        .map_or(Value::Null, |v| tidy(v).into())
}

pub(crate) fn period_date(scenario: &Scenario, period: usize) -> String {
    boundary_date(
        period * scenario.meta.period_months as usize,
        scenario.meta.start_date,
    )
}

/// The base case's uses, in `USES` order.
pub(crate) fn uses(base: &BaseCase) -> [f64; USES.len()] {
    let u = &base.case.flows.uses;
    let capex = |c: Class| {
        u.capex_eur
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(0.0, |(_, v)| *v)
    };
    [
        capex(Class::Land),
        capex(Class::Power),
        capex(Class::Shell),
        capex(Class::Gpus),
        capex(Class::GpuRefresh),
        capex(Class::GpuReinvested),
        u.idc_eur,
        u.fees_eur,
        u.dsra_eur,
        u.tax_eur,
        u.total(),
    ]
}

/// The base case's sources, in `SOURCES` order.
pub(crate) fn sources(base: &BaseCase) -> [f64; SOURCES.len()] {
    let s = &base.case.flows.sources;
    [
        s.grants_eur,
        s.equity_eur,
        s.debt_eur,
        s.gpu_debt_eur,
        s.prepayments_eur,
        s.operations_eur,
        s.total(),
    ]
}

/// Adds the finance keys to `summary.json`.
pub(super) fn summary(
    m: &mut Map<String, Value>,
    scenario: &Scenario,
    base: &BaseCase,
    s: &FinanceSummary,
) {
    m.insert("finance_basis".into(), BASIS.into());
    for (figure, v) in Figure::all().zip(base.case.metrics.values()) {
        let name = figure.name();
        m.insert(name.into(), opt(v));
        for (label, q) in ["p10", "p50", "p90"].iter().zip(s.quantiles(figure)) {
            m.insert(format!("{name}_{label}"), opt(q));
        }
    }
    let fin = &base.financing;
    m.insert("debt_sizing_binding".into(), fin.binding().into());
    m.insert(
        "debt_sculpted_eur".into(),
        opt(Some(fin.total(|d| d.sculpted_eur))),
    );
    m.insert(
        "debt_gearing_cap_eur".into(),
        opt(Some(fin.total(|d| d.gearing_cap_eur))),
    );
    m.insert(
        "debt_commitment_eur".into(),
        opt(Some(fin.total(|d| d.total_commitment_eur()))),
    );
    m.insert(
        "debt_gpu_commitment_eur".into(),
        opt(Some(fin.total(|d| d.gpu.commitment_eur))),
    );
    m.insert("debt_gpu_binding".into(), fin.gpu_binding().into());
    let share = match fin.phases.as_slice() {
        [one] => one.debt.debt_share,
        _ => {
            let need = base.case.flows.funding_need_after_grants_eur;
            if need > 0.0 {
                base.case.flows.sources.debt_eur / need
            } else {
                0.0
            }
        }
    };
    m.insert("debt_share".into(), opt(Some(share)));
    m.insert("phasing".into(), base.terms.phasing.name().into());
    let inputs = &base.case.inputs;
    let revenue: f64 = (0..inputs.periods()).map(|p| inputs.revenue(p)).sum();
    let contracted: f64 = inputs.revenue_contracted_eur.iter().sum();
    m.insert(
        "revenue_contracted_share".into(),
        opt((revenue > 0.0).then(|| contracted / revenue)),
    );
    m.insert("phases".into(), (fin.phases.len() as u64).into());
    if let Some(last) = fin.last() {
        m.insert(
            "cod_date".into(),
            period_date(scenario, last.debt.construction_end + 1).into(),
        );
        m.insert(
            "cod_long_stop_date".into(),
            period_date(scenario, last.debt.long_stop + 1).into(),
        );
    }
    let maturity = fin
        .phases
        .iter()
        .map(|p| p.debt.maturity)
        .max()
        .unwrap_or(0);
    m.insert(
        "debt_maturity_date".into(),
        period_date(scenario, maturity + 1).into(),
    );
    m.insert("dscr_covenant".into(), opt(Some(base.terms.covenant_dscr)));
    m.insert(
        "dscr_min_below_covenant_probability".into(),
        opt(s.covenant_breach_probability()),
    );
    m.insert(
        "long_stop_breach_probability".into(),
        opt(s.long_stop_breach_probability()),
    );
    let rows = &base.case.flows.rows;
    let total = |f: fn(&Row) -> f64| opt(Some(rows.iter().map(f).sum()));
    m.insert("revenue_total_eur".into(), total(|r| r.revenue_eur));
    m.insert("opex_total_eur".into(), total(|r| r.opex_eur));
    m.insert("tax_total_eur".into(), total(|r| r.tax_eur));
    m.insert(
        "distributions_total_eur".into(),
        total(|r| r.distributions_eur),
    );
    m.insert(
        "terminal_value_eur".into(),
        opt(Some(base.case.flows.terminal_value_eur)),
    );
    for (key, v) in USES.iter().zip(uses(base)) {
        m.insert(format!("uses_{key}_eur"), opt(Some(v)));
    }
    for (key, v) in SOURCES.iter().zip(sources(base)) {
        m.insert(format!("sources_{key}_eur"), opt(Some(v)));
    }
    m.insert(
        "finance_checks_passed".into(),
        base.case.metrics.all_checks_pass().into(),
    );
    m.insert(
        "finance_check_failures".into(),
        s.replications_failing_a_check.into(),
    );
}

/// Adds the public-money keys to `summary.json`.
pub(super) fn viability(m: &mut Map<String, Value>, scenario: &Scenario, v: &Viability) {
    m.insert("viability_gap_npv_eur".into(), opt(Some(v.gap_npv_eur)));
    m.insert("viability_gap_equity_eur".into(), opt(v.gap_equity_eur));
    m.insert(
        "reference_gpu_hour_price_eur".into(),
        opt(v.reference_eur_per_gpu_hour),
    );
    for (tier, cost) in scenario.tiers.iter().zip(&v.cost_per_tier_eur_per_gpu_hour) {
        m.insert(
            format!("cost_eur_per_sovereign_gpu_hour_{}", tier.id),
            opt(*cost),
        );
    }
}

/// The `cashflows` table: the base case, period by period.
pub(super) fn cashflows(scenario: &Scenario, base: &BaseCase) -> Table {
    let inputs = &base.case.inputs;
    let rows = &base.case.flows.rows;
    let n = rows.len();
    let f = |v: &[f64]| Values::F64(v.iter().map(|x| tidy(*x)).collect());
    let of = |g: fn(&Row) -> f64| Values::F64(rows.iter().map(|r| tidy(g(r))).collect());
    let ratio =
        |g: fn(&Row) -> Option<f64>| Values::OptF64(rows.iter().map(|r| g(r).map(tidy)).collect());
    let mut t = Table::new()
        .column("period", Values::U64((0..n as u64).collect()))
        .column(
            "start_date",
            Values::Text((0..n).map(|p| period_date(scenario, p)).collect()),
        )
        .column(
            "end_date",
            Values::Text((0..n).map(|p| period_date(scenario, p + 1)).collect()),
        )
        .column(
            "construction",
            Values::Bool((0..n).map(|p| p <= base.case.flows.schedule.cod).collect()),
        )
        .column(
            "in_revenue_contracted_eur",
            f(&inputs.revenue_contracted_eur),
        )
        .column("in_revenue_merchant_eur", f(&inputs.revenue_merchant_eur))
        .column("in_revenue_tokens_eur", f(&inputs.revenue_tokens_eur))
        .column("in_revenue_resale_eur", f(&inputs.revenue_resale_eur))
        .column(
            "in_prepayment_received_eur",
            f(&inputs.prepayment_received_eur),
        )
        .column(
            "in_prepayment_applied_eur",
            f(&inputs.prepayment_applied_eur),
        )
        .column("in_opex_energy_eur", f(&inputs.opex_energy_eur))
        .column("in_opex_power_om_eur", f(&inputs.opex_power_om_eur))
        .column("in_opex_maintenance_eur", f(&inputs.opex_maintenance_eur))
        .column("in_opex_staff_eur", f(&inputs.opex_staff_eur))
        .column("in_opex_network_eur", f(&inputs.opex_network_eur))
        .column("in_opex_insurance_eur", f(&inputs.opex_insurance_eur));
    for class in Class::ALL {
        let spent: Vec<f64> = (0..n).map(|p| inputs.capex_in(p, class)).collect();
        t = t.column(&format!("in_capex_{}_eur", class.name()), f(&spent));
    }
    t.column("in_gpu_hours", f(&inputs.gpu_hours))
        .column("in_contracted_gpu_hours", f(&inputs.contracted_gpu_hours))
        .column("in_merchant_gpu_hours", f(&inputs.merchant_gpu_hours))
        .column("in_inference_gpu_hours", f(&inputs.inference_gpu_hours))
        .column("in_tokens", f(&inputs.tokens))
        .column("calc_revenue_eur", of(|r| r.revenue_eur))
        .column("calc_opex_eur", of(|r| r.opex_eur))
        .column("calc_ebitda_eur", of(|r| r.ebitda_eur))
        .column("calc_capex_eur", of(|r| r.capex_eur))
        .column("calc_reinvested_eur", of(|r| r.reinvested_eur))
        .column("calc_depreciation_eur", of(|r| r.depreciation_eur))
        .column("calc_interest_eur", of(|r| r.interest_eur))
        .column("calc_fees_eur", of(|r| r.fees_eur))
        .column("calc_taxable_income_eur", of(|r| r.taxable_income_eur))
        .column("calc_losses_carried_eur", of(|r| r.losses_carried_eur))
        .column("calc_tax_eur", of(|r| r.tax_eur))
        .column("calc_net_income_eur", of(|r| r.net_income_eur))
        .column("calc_grants_drawn_eur", of(|r| r.grants_drawn_eur))
        .column("calc_equity_drawn_eur", of(|r| r.equity_drawn_eur))
        .column("calc_debt_drawn_eur", of(|r| r.debt_drawn_eur))
        .column("calc_gpu_debt_drawn_eur", of(|r| r.gpu_drawn_eur))
        .column("calc_gpu_interest_eur", of(|r| r.gpu_interest_eur))
        .column("calc_gpu_principal_eur", of(|r| r.gpu_principal_eur))
        .column("calc_gpu_debt_closing_eur", of(|r| r.gpu_closing_eur))
        .column("calc_debt_opening_eur", of(|r| r.debt_opening_eur))
        .column("calc_principal_eur", of(|r| r.principal_eur))
        .column("calc_sweep_eur", of(|r| r.sweep_eur))
        .column("calc_debt_closing_eur", of(|r| r.debt_closing_eur))
        .column("calc_dsra_flow_eur", of(|r| r.dsra_flow_eur))
        .column("calc_dsra_eur", of(|r| r.dsra_eur))
        .column("calc_cash_eur", of(|r| r.cash_eur))
        .column("calc_book_value_eur", of(|r| r.book_value_eur))
        .column("calc_deferred_revenue_eur", of(|r| r.deferred_revenue_eur))
        .column("calc_balance_gap_eur", of(|r| r.balance_gap_eur))
        .column("out_cfads_eur", of(|r| r.cfads_eur))
        .column("out_debt_service_eur", of(|r| r.debt_service_eur))
        .column("out_dscr", ratio(|r| r.dscr))
        .column("out_llcr", ratio(|r| r.llcr))
        .column("out_plcr", ratio(|r| r.plcr))
        .column(
            "out_locked_up",
            Values::Bool(rows.iter().map(|r| r.locked_up).collect()),
        )
        .column("out_distributions_eur", of(|r| r.distributions_eur))
        .column("out_project_cf_eur", of(|r| r.project_cf_eur))
        .column("out_equity_cf_eur", of(|r| r.equity_cf_eur))
}

/// The `contracts` table: each offtake contract as stated, and what it earns in the base case.
pub(super) fn contracts(scenario: &Scenario, base: &BaseCase) -> Table {
    let empty = Vec::new();
    let list = scenario.finance.as_ref().map_or(&empty, |f| &f.contracts);
    let inputs = &base.case.inputs;
    let total = |v: Option<&Vec<f64>>| v.map_or(0.0, |v| v.iter().sum::<f64>());
    let revenue: Vec<f64> = (0..list.len())
        .map(|k| total(inputs.revenue_by_contract_eur.get(k)))
        .collect();
    let hours: Vec<f64> = (0..list.len())
        .map(|k| total(inputs.gpu_hours_by_contract.get(k)))
        .collect();
    let text =
        |f: &dyn Fn(&crate::model::Contract) -> String| Values::Text(list.iter().map(f).collect());
    let num = |f: &dyn Fn(&crate::model::Contract) -> f64| {
        Values::F64(list.iter().map(|c| tidy(f(c))).collect())
    };
    Table::new()
        .column("contract", text(&|c| c.id.clone()))
        .column("counterparty", text(&|c| c.counterparty.clone()))
        .column(
            "clusters",
            text(&|c| {
                c.clusters
                    .iter()
                    .map(|k| scenario.clusters[k.index()].id.as_str())
                    .collect::<Vec<_>>()
                    .join(";")
            }),
        )
        .column("gpus", Values::U64(list.iter().map(|c| c.gpus).collect()))
        .column("price_eur_per_gpu_hour", num(&|c| c.price_eur_per_gpu_hour))
        .column("escalation_per_year", num(&|c| c.escalation_per_year))
        .column(
            "start",
            text(&|c| match c.start {
                crate::model::ContractStart::Energised => "energised".to_owned(),
                crate::model::ContractStart::On(d) => d.to_string(),
            }),
        )
        .column("term_years", num(&|c| c.term_years))
        .column("take_or_pay", num(&|c| c.take_or_pay))
        .column("prepayment", num(&|c| c.prepayment))
        .column("value_eur", num(&|c| crate::finance::contract_value_eur(c)))
        .column(
            "revenue_eur",
            Values::F64(revenue.iter().map(|v| tidy(*v)).collect()),
        )
        .column(
            "gpu_hours",
            Values::F64(hours.iter().map(|v| tidy(*v)).collect()),
        )
        .column(
            "revenue_eur_per_gpu_hour",
            Values::OptF64(
                revenue
                    .iter()
                    .zip(&hours)
                    .map(|(r, h)| (*h > 0.0).then(|| tidy(r / h)))
                    .collect(),
            ),
        )
}

/// The `phases` table: each phase's financing in the base case and its risk over replications.
pub(super) fn phases(scenario: &Scenario, base: &BaseCase, s: &FinanceSummary) -> Table {
    let fin = &base.financing.phases;
    let cases = &base.case.phases;
    let text = |f: &dyn Fn(usize) -> String| Values::Text((0..fin.len()).map(f).collect());
    let num = |f: &dyn Fn(usize) -> f64| Values::F64((0..fin.len()).map(|i| tidy(f(i))).collect());
    let opt = |f: &dyn Fn(usize) -> Option<f64>| {
        Values::OptF64((0..fin.len()).map(|i| f(i).map(tidy)).collect())
    };
    let risk = |i: usize| s.phases.get(i);
    let runs = s.runs.max(1) as f64;
    let q = |i: usize, k: usize| risk(i).and_then(|r| r.dscr_min.quantiles([0.1, 0.5, 0.9])[k]);
    Table::new()
        .column("phase", text(&|i| fin[i].name.clone()))
        .column(
            "cod_date",
            text(&|i| period_date(scenario, fin[i].debt.construction_end + 1)),
        )
        .column(
            "long_stop_date",
            text(&|i| period_date(scenario, fin[i].debt.long_stop + 1)),
        )
        .column(
            "maturity_date",
            text(&|i| period_date(scenario, fin[i].debt.maturity + 1)),
        )
        .column(
            "debt_sizing_binding",
            text(&|i| fin[i].debt.binding.name().to_owned()),
        )
        .column(
            "debt_commitment_eur",
            num(&|i| fin[i].debt.total_commitment_eur()),
        )
        .column(
            "gpu_debt_commitment_eur",
            num(&|i| fin[i].debt.gpu.commitment_eur),
        )
        .column(
            "debt_eur",
            num(&|i| cases.get(i).map_or(0.0, |c| c.metrics.debt_eur)),
        )
        .column(
            "capex_total_eur",
            num(&|i| cases.get(i).map_or(0.0, |c| c.metrics.capex_total_eur)),
        )
        .column(
            "dscr_min",
            opt(&|i| cases.get(i).and_then(|c| c.metrics.dscr_min)),
        )
        .column(
            "llcr_min",
            opt(&|i| cases.get(i).and_then(|c| c.metrics.llcr_min)),
        )
        .column("dscr_min_p10", opt(&|i| q(i, 0)))
        .column("dscr_min_p50", opt(&|i| q(i, 1)))
        .column("dscr_min_p90", opt(&|i| q(i, 2)))
        .column(
            "dscr_min_below_covenant_probability",
            num(&|i| risk(i).map_or(0.0, |r| r.covenant_breaches as f64 / runs)),
        )
        .column(
            "long_stop_breach_probability",
            num(&|i| risk(i).map_or(0.0, |r| r.long_stop_breaches as f64 / runs)),
        )
}

/// The `tranches` table: each phase's infrastructure facility and GPU facility, as sized and as
/// the base case draws and repays them.
pub(super) fn tranches(scenario: &Scenario, base: &BaseCase) -> Table {
    let t = &base.terms;
    let mut table = TrancheRows::default();
    for (i, phase) in base.financing.phases.iter().enumerate() {
        let Some(case) = base.case.phases.get(i) else {
            continue;
        };
        let (rows, inputs, d) = (&case.flows.rows, &case.inputs, &phase.debt);
        let gpu_service = |r: &Row| r.gpu_interest_eur + r.gpu_principal_eur;
        let first_draw = |drawn: &dyn Fn(&Row) -> f64| {
            rows.iter()
                .position(|r| drawn(r) > 0.0)
                .map(|p| period_date(scenario, p))
                .unwrap_or_default()
        };
        let min = |v: &mut dyn Iterator<Item = f64>| v.reduce(f64::min);
        let tolerance = 1e-9 * case.flows.uses.total().max(1.0);
        // The infrastructure facility: covered by what the GPU facility's service leaves.
        let infra_dscr = min(&mut rows.iter().filter_map(|r| {
            let service = r.debt_service_eur - gpu_service(r);
            (service > tolerance).then(|| (r.cfads_eur - gpu_service(r)) / service)
        }));
        table.push(
            &phase.name,
            "infrastructure",
            t.term_rate,
            t.tenor_years,
            d.binding.name(),
            d.commitment_eur,
            case.flows.sources.debt_eur,
            first_draw(&|r| r.debt_drawn_eur - r.gpu_drawn_eur),
            period_date(scenario, case.flows.schedule.maturity + 1),
            infra_dscr,
            rows.iter()
                .skip(case.flows.schedule.maturity)
                .all(|r| (r.debt_closing_eur - r.gpu_closing_eur).abs() <= tolerance),
        );
        let Some(g) = &t.gpu else {
            continue;
        };
        // The GPU facility: covered by the contracted cash flow.
        // (Interest before COD is funded as IDC, not served from cash flow.)
        let cod = case.flows.schedule.cod;
        let gpu_dscr = min(&mut rows
            .iter()
            .enumerate()
            .skip(cod + 1)
            .filter(|(_, r)| gpu_service(r) > tolerance)
            .map(|(p, r)| crate::finance::contracted_cfads(inputs, r, p) / gpu_service(r)));
        let draws = &case.flows.gpu_draws;
        table.push(
            &phase.name,
            "gpus",
            g.rate,
            g.tenor_years,
            d.gpu.binding.name(),
            d.gpu.commitment_eur,
            draws.iter().map(|x| x.amount_eur).sum(),
            first_draw(&|r| r.gpu_drawn_eur),
            draws
                .iter()
                .map(|x| x.maturity)
                .max()
                .map(|m| period_date(scenario, m + 1))
                .unwrap_or_default(),
            gpu_dscr,
            draws
                .iter()
                .all(|x| x.maturity >= rows.len() || x.balance_eur.abs() <= tolerance),
        );
    }
    table.table()
}

/// The rows of the `tranches` table, column by column.
#[derive(Default)]
struct TrancheRows {
    phase: Vec<String>,
    tranche: Vec<String>,
    rate: Vec<f64>,
    tenor_years: Vec<f64>,
    binding: Vec<String>,
    commitment_eur: Vec<f64>,
    drawn_eur: Vec<f64>,
    first_draw_date: Vec<String>,
    maturity_date: Vec<String>,
    dscr_min: Vec<Option<f64>>,
    repaid: Vec<bool>,
}

impl TrancheRows {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        phase: &str,
        tranche: &str,
        rate: f64,
        tenor_years: f64,
        binding: &str,
        commitment_eur: f64,
        drawn_eur: f64,
        first_draw_date: String,
        maturity_date: String,
        dscr_min: Option<f64>,
        repaid: bool,
    ) {
        self.phase.push(phase.to_owned());
        self.tranche.push(tranche.to_owned());
        self.rate.push(tidy(rate));
        self.tenor_years.push(tidy(tenor_years));
        self.binding.push(binding.to_owned());
        self.commitment_eur.push(tidy(commitment_eur));
        self.drawn_eur.push(tidy(drawn_eur));
        self.first_draw_date.push(first_draw_date);
        self.maturity_date.push(maturity_date);
        self.dscr_min
            .push(dscr_min.filter(|v| v.is_finite()).map(tidy));
        self.repaid.push(repaid);
    }

    fn table(self) -> Table {
        Table::new()
            .column("phase", Values::Text(self.phase))
            .column("tranche", Values::Text(self.tranche))
            .column("rate", Values::F64(self.rate))
            .column("tenor_years", Values::F64(self.tenor_years))
            .column("sizing_binding", Values::Text(self.binding))
            .column("commitment_eur", Values::F64(self.commitment_eur))
            .column("drawn_eur", Values::F64(self.drawn_eur))
            .column("first_draw_date", Values::Text(self.first_draw_date))
            .column("maturity_date", Values::Text(self.maturity_date))
            .column("dscr_min", Values::OptF64(self.dscr_min))
            .column("repaid_by_maturity", Values::Bool(self.repaid))
    }
}

/// The `sources_uses` table.
pub(super) fn sources_uses(base: &BaseCase) -> Table {
    let u = uses(base);
    let s = sources(base);
    let (u_total, s_total) = (u[USES.len() - 1], s[SOURCES.len() - 1]);
    let share = |v: f64, total: f64| if total != 0.0 { tidy(v / total) } else { 0.0 };
    let mut side = Vec::new();
    let mut item = Vec::new();
    let mut eur = Vec::new();
    let mut shares = Vec::new();
    for (k, v) in USES.iter().zip(u) {
        side.push("uses".to_owned());
        item.push((*k).to_owned());
        eur.push(tidy(v));
        shares.push(share(v, u_total));
    }
    for (k, v) in SOURCES.iter().zip(s) {
        side.push("sources".to_owned());
        item.push((*k).to_owned());
        eur.push(tidy(v));
        shares.push(share(v, s_total));
    }
    Table::new()
        .column("side", Values::Text(side))
        .column("item", Values::Text(item))
        .column("eur", Values::F64(eur))
        .column("share", Values::F64(shares))
}

/// The `finance_checks` table.
pub(super) fn checks(base: &BaseCase, s: &FinanceSummary) -> Table {
    Table::new()
        .column(
            "check",
            Values::Text(CHECKS.iter().map(|(n, _)| (*n).to_owned()).collect()),
        )
        .column(
            "meaning",
            Values::Text(CHECKS.iter().map(|(_, m)| (*m).to_owned()).collect()),
        )
        .column(
            "base_case_passed",
            Values::Bool(base.case.metrics.checks.to_vec()),
        )
        .column(
            "replications_failed",
            Values::U64(s.check_failures.to_vec()),
        )
}

/// The `replications` table: every replication's figures, in replication order.
pub(super) fn replications(s: &FinanceSummary) -> Table {
    let mut table = Table::new().column(
        "replication",
        Values::U64((0..s.per_replication.len() as u64).collect()),
    );
    for (i, (name, _)) in FIGURES.iter().enumerate() {
        let column = s
            .per_replication
            .iter()
            .map(|row| row[i].filter(|v| v.is_finite()).map(tidy))
            .collect();
        table = table.column(name, Values::OptF64(column));
    }
    table
}
