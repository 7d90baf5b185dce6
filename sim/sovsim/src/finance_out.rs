//! Financial outputs of `sovsim run`: summary keys (the base case and P10/P50/P90 over replications),
//! the `cashflows`, `sources_uses` and `finance_checks` tables, and the finance section of the human
//! summary.

use serde_json::{Map, Value};
use sovsim_core::finance::summary::{FIGURES, FinanceSummary};
use sovsim_core::finance::{BaseCase, CHECKS, Class};
use sovsim_core::model::Scenario;
use sovsim_report::format::{self, money};
use sovsim_report::{Table, Values};

use crate::run::{Column, boundary_date, tidy};

/// How every money figure is stated.
pub(crate) const BASIS: &str = "EUR, constant prices (no indexation; GPU-hour prices fall at the scenario's decline rate), flows at period ends, discounted from the start; IRRs post-tax (project unlevered)";

/// Summary keys the financial model adds when the scenario has a `[finance]` section.
pub(crate) const SUMMARY_KEYS: &[(&str, &str, &str)] = &[
    (
        "finance_basis",
        "—",
        "currency, prices (nominal or constant) and tax basis of every money figure",
    ),
    (
        "capex_total_eur",
        "EUR",
        "base case (every uncertain input at its median; the case debt is sized on, and the `cashflows` table): capital expenditure over the horizon",
    ),
    (
        "capex_total_eur_{q}",
        "EUR",
        "capital expenditure over the horizon, over replications",
    ),
    (
        "npv_eur",
        "EUR",
        "base case: NPV of post-tax unlevered project cash flows (terminal value = book value at the horizon) at the scenario's discount rate",
    ),
    ("npv_eur_{q}", "EUR", "that NPV, over replications"),
    (
        "project_irr",
        "fraction/yr",
        "base case: project IRR, post-tax, unlevered; null if the flows never change sign",
    ),
    (
        "project_irr_{q}",
        "fraction/yr",
        "project IRR, over replications",
    ),
    (
        "equity_irr",
        "fraction/yr",
        "base case: equity IRR, post-tax, on equity paid in (injections included) against distributions",
    ),
    (
        "equity_irr_{q}",
        "fraction/yr",
        "equity IRR, over replications",
    ),
    (
        "dscr_min",
        "ratio",
        "base case: smallest CFADS ÷ debt service over the loan life; null without debt service",
    ),
    ("dscr_min_{q}", "ratio", "smallest DSCR, over replications"),
    (
        "dscr_avg",
        "ratio",
        "base case: mean DSCR over the loan life",
    ),
    ("dscr_avg_{q}", "ratio", "mean DSCR, over replications"),
    (
        "llcr_min",
        "ratio",
        "base case: smallest LLCR (PV of CFADS to maturity at the loan rate, plus the DSRA, ÷ debt outstanding)",
    ),
    ("llcr_min_{q}", "ratio", "smallest LLCR, over replications"),
    (
        "debt_eur",
        "EUR",
        "base case: senior debt outstanding at COD (draws and capitalised IDC)",
    ),
    ("debt_eur_{q}", "EUR", "debt at COD, over replications"),
    (
        "equity_eur",
        "EUR",
        "base case: equity paid in over the horizon, sponsor injections included",
    ),
    ("equity_eur_{q}", "EUR", "equity paid in, over replications"),
    (
        "payback_years",
        "years",
        "base case: years from the start until cumulative project cash flow turns non-negative; null if never",
    ),
    ("payback_years_{q}", "years", "payback, over replications"),
    (
        "lcoc_eur_per_gpu_hour",
        "EUR/GPU-hour",
        "base case: levelised cost of compute, PV(capex + opex − terminal value) ÷ PV(operational GPU-hours) at the discount rate",
    ),
    (
        "lcoc_eur_per_gpu_hour_{q}",
        "EUR/GPU-hour",
        "levelised cost of compute, over replications",
    ),
    (
        "cost_eur_per_mtok",
        "EUR/Mtok",
        "base case: levelised cost of a million output tokens = LCOC × inference GPU-hours ÷ tokens served × 10⁶; null if none served",
    ),
    (
        "cost_eur_per_mtok_{q}",
        "EUR/Mtok",
        "cost per million tokens, over replications",
    ),
    (
        "debt_sizing_binding",
        "—",
        "which limit sized the debt: `sculpting` (CFADS at the target DSCR) or `gearing` (max gearing × total uses)",
    ),
    (
        "debt_sculpted_eur",
        "EUR",
        "debt the base case's CFADS supports at the target DSCR: PV at the loan rate of CFADS over the tenor ÷ target",
    ),
    (
        "debt_gearing_cap_eur",
        "EUR",
        "max gearing × total uses of the base case",
    ),
    (
        "debt_commitment_eur",
        "EUR",
        "the facility: the lower of the two",
    ),
    (
        "debt_share",
        "fraction",
        "share of each construction funding need, after grants, the facility pays (equity the rest)",
    ),
    (
        "cod_date",
        "date",
        "commercial operation date: end of the last period with spending on the initial build",
    ),
    (
        "debt_maturity_date",
        "date",
        "end of the last repayment period (the tenor after COD, within the horizon)",
    ),
    (
        "dscr_covenant",
        "ratio",
        "DSCR the risk figure tests: `default_dscr`, else `lockup_dscr`, else 1.0",
    ),
    (
        "dscr_min_below_covenant_probability",
        "fraction",
        "share of replications whose smallest DSCR falls below the covenant (replications without debt service count as not breaching)",
    ),
    (
        "revenue_total_eur",
        "EUR",
        "base case: revenue over the horizon",
    ),
    ("opex_total_eur", "EUR", "base case: opex over the horizon"),
    (
        "tax_total_eur",
        "EUR",
        "base case: tax paid over the horizon",
    ),
    (
        "distributions_total_eur",
        "EUR",
        "base case: distributions to equity over the horizon",
    ),
    (
        "terminal_value_eur",
        "EUR",
        "base case: book value of the assets at the horizon, counted in the last period",
    ),
    (
        "uses_{use}_eur",
        "EUR",
        "base case, construction: each use of funds (`capex_land`, `capex_power`, `capex_shell`, `capex_gpus`, `capex_gpu_refresh`, `idc`, `fees`, `dsra`, `tax`) and `total`",
    ),
    (
        "sources_{source}_eur",
        "EUR",
        "base case, construction: each source of funds (`grants`, `equity`, `debt`, `operations`) and `total`",
    ),
    (
        "finance_checks_passed",
        "bool",
        "every check of the base case holds (the `finance_checks` table lists them)",
    ),
    (
        "finance_check_failures",
        "replications",
        "replications failing at least one check",
    ),
];

/// The uses of funds, by key, in report order.
pub(crate) const USES: [&str; 10] = [
    "capex_land",
    "capex_power",
    "capex_shell",
    "capex_gpus",
    "capex_gpu_refresh",
    "idc",
    "fees",
    "dsra",
    "tax",
    "total",
];

/// The sources of funds, by key.
pub(crate) const SOURCES: [&str; 5] = ["grants", "equity", "debt", "operations", "total"];

/// Tables the financial model writes.
pub(crate) const TABLES: &[(&str, &str, &[Column])] = &[
    (
        "cashflows",
        "one period of the base case (FAST order: `in_` inputs, then `calc_` calculations, then `out_` outputs; EUR at period end)",
        CASHFLOW_COLUMNS,
    ),
    (
        "sources_uses",
        "one source or use of funds over construction, base case",
        &[
            ("side", "`uses` or `sources`"),
            ("item", "as in the `uses_*` and `sources_*` summary keys"),
            ("eur", "EUR"),
            ("share", "of the side's total"),
        ],
    ),
    (
        "finance_checks",
        "one check of the financial model",
        &[
            ("check", "name"),
            ("meaning", "what must hold"),
            ("base_case_passed", "whether it holds in the base case"),
            ("replications_failed", "replications where it does not hold"),
        ],
    ),
    (
        "replications",
        "one replication's headline financial figures (the distribution behind each `_p10/_p50/_p90` key; empty where undefined)",
        &[
            ("replication", "replication index"),
            (
                "capex_total_eur, npv_eur, project_irr, equity_irr, dscr_min, dscr_avg, llcr_min, debt_eur, equity_eur, payback_years, lcoc_eur_per_gpu_hour, cost_eur_per_mtok",
                "as the summary keys of the same names",
            ),
        ],
    ),
];

const CASHFLOW_COLUMNS: &[Column] = &[
    ("period", "index, from 0"),
    (
        "start_date, end_date",
        "the period's first day, and the next period's",
    ),
    ("construction", "whether the period is before COD"),
    (
        "in_revenue_contracted_eur",
        "contracted share of operational GPU-hours × price",
    ),
    (
        "in_revenue_spot_eur",
        "spot share of used GPU-hours × spot price",
    ),
    (
        "in_revenue_tokens_eur",
        "spot share's tokens × price per million, if priced",
    ),
    ("in_revenue_resale_eur", "resale of retired GPUs"),
    (
        "in_opex_energy_eur",
        "energy from the grid, contracts and on-site fuel",
    ),
    ("in_opex_power_om_eur", "fixed O&M of on-site plants"),
    ("in_opex_maintenance_eur", "maintenance of halls and GPUs"),
    ("in_opex_staff_eur", "staff"),
    ("in_opex_network_eur", "network"),
    ("in_opex_insurance_eur", "insurance"),
    (
        "in_capex_land_eur … in_capex_gpu_refresh_eur",
        "capital expenditure by class, on the simulated schedule",
    ),
    ("in_gpu_hours", "operational GPU-hours"),
    ("in_inference_gpu_hours", "GPU-hours used serving tokens"),
    ("in_tokens", "output tokens served"),
    (
        "calc_revenue_eur, calc_opex_eur, calc_ebitda_eur",
        "totals; EBITDA = revenue − opex",
    ),
    ("calc_capex_eur", "capex, all classes"),
    (
        "calc_depreciation_eur",
        "straight line from the period after spending",
    ),
    (
        "calc_interest_eur",
        "interest on the opening balance (IDC before COD)",
    ),
    ("calc_fees_eur", "arrangement fee at financial close"),
    (
        "calc_taxable_income_eur",
        "EBITDA − depreciation − interest − fees",
    ),
    (
        "calc_losses_carried_eur",
        "tax losses carried forward at the period's end",
    ),
    ("calc_tax_eur", "tax paid"),
    ("calc_net_income_eur", "taxable income − tax"),
    (
        "calc_grants_drawn_eur, calc_equity_drawn_eur, calc_debt_drawn_eur",
        "funding drawn (equity includes sponsor injections after COD)",
    ),
    (
        "calc_debt_opening_eur, calc_debt_closing_eur",
        "senior debt at the period's start and end",
    ),
    (
        "calc_principal_eur",
        "scheduled principal (negative: interest capitalised)",
    ),
    ("calc_sweep_eur", "prepaid by the cash sweep"),
    (
        "calc_dsra_flow_eur, calc_dsra_eur",
        "paid into (+) or out of (−) the DSRA, and its balance",
    ),
    (
        "calc_cash_eur",
        "cash held at the period's end (trapped by a lock-up, or retained before COD)",
    ),
    ("calc_book_value_eur", "net book value of the assets"),
    (
        "calc_balance_gap_eur",
        "assets − (debt + paid-in capital + retained earnings): zero when the books balance",
    ),
    (
        "out_cfads_eur",
        "cash flow available for debt service: revenue − opex − tax − capex after COD",
    ),
    (
        "out_debt_service_eur",
        "interest + scheduled principal after COD",
    ),
    (
        "out_dscr",
        "CFADS ÷ debt service; null without debt service",
    ),
    (
        "out_llcr, out_plcr",
        "loan and project life coverage ratios; null without debt outstanding",
    ),
    ("out_locked_up", "whether distributions were locked up"),
    ("out_distributions_eur", "distributions to equity"),
    (
        "out_project_cf_eur",
        "post-tax unlevered project cash flow (terminal value in the last period)",
    ),
    (
        "out_equity_cf_eur",
        "distributions − equity paid in (terminal claim in the last period)",
    ),
];

fn opt(v: Option<f64>) -> Value {
    v.filter(|v| v.is_finite())
        .map_or(Value::Null, |v| tidy(v).into())
}

fn period_date(scenario: &Scenario, period: usize) -> String {
    boundary_date(
        period * scenario.meta.period_months as usize,
        scenario.meta.start_date,
    )
}

/// The base case's uses, in `USES` order.
fn uses(base: &BaseCase) -> [f64; USES.len()] {
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
        u.idc_eur,
        u.fees_eur,
        u.dsra_eur,
        u.tax_eur,
        u.total(),
    ]
}

/// The base case's sources, in `SOURCES` order.
fn sources(base: &BaseCase) -> [f64; SOURCES.len()] {
    let s = &base.case.flows.sources;
    [
        s.grants_eur,
        s.equity_eur,
        s.debt_eur,
        s.operations_eur,
        s.total(),
    ]
}

/// Adds the finance keys to `summary.json`.
pub(crate) fn summary(
    m: &mut Map<String, Value>,
    scenario: &Scenario,
    base: &BaseCase,
    s: &FinanceSummary,
) {
    m.insert("finance_basis".into(), BASIS.into());
    for ((name, _), v) in FIGURES.iter().zip(base.case.metrics.values()) {
        m.insert((*name).into(), opt(v));
        for (label, q) in ["p10", "p50", "p90"].iter().zip(s.quantiles(name)) {
            m.insert(format!("{name}_{label}"), opt(q));
        }
    }
    let debt = &base.debt;
    m.insert("debt_sizing_binding".into(), debt.binding.name().into());
    m.insert("debt_sculpted_eur".into(), opt(Some(debt.sculpted_eur)));
    m.insert(
        "debt_gearing_cap_eur".into(),
        opt(Some(debt.gearing_cap_eur)),
    );
    m.insert("debt_commitment_eur".into(), opt(Some(debt.commitment_eur)));
    m.insert("debt_share".into(), opt(Some(debt.debt_share)));
    m.insert(
        "cod_date".into(),
        period_date(scenario, debt.construction_end + 1).into(),
    );
    m.insert(
        "debt_maturity_date".into(),
        period_date(scenario, debt.maturity + 1).into(),
    );
    m.insert("dscr_covenant".into(), opt(Some(base.terms.covenant_dscr)));
    m.insert(
        "dscr_min_below_covenant_probability".into(),
        opt(s.covenant_breach_probability()),
    );
    let rows = &base.case.flows.rows;
    let total = |f: fn(&sovsim_core::finance::Row) -> f64| opt(Some(rows.iter().map(f).sum()));
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

/// The `cashflows` table: the base case, period by period.
pub(crate) fn cashflows(scenario: &Scenario, base: &BaseCase) -> Table {
    let inputs = &base.case.inputs;
    let rows = &base.case.flows.rows;
    let n = rows.len();
    let f = |v: &[f64]| Values::F64(v.iter().map(|x| tidy(*x)).collect());
    let of = |g: fn(&sovsim_core::finance::Row) -> f64| {
        Values::F64(rows.iter().map(|r| tidy(g(r))).collect())
    };
    let ratio = |g: fn(&sovsim_core::finance::Row) -> Option<f64>| {
        Values::OptF64(rows.iter().map(|r| g(r).map(tidy)).collect())
    };
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
            Values::Bool((0..n).map(|p| p <= base.debt.construction_end).collect()),
        )
        .column(
            "in_revenue_contracted_eur",
            f(&inputs.revenue_contracted_eur),
        )
        .column("in_revenue_spot_eur", f(&inputs.revenue_spot_eur))
        .column("in_revenue_tokens_eur", f(&inputs.revenue_tokens_eur))
        .column("in_revenue_resale_eur", f(&inputs.revenue_resale_eur))
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
        .column("in_inference_gpu_hours", f(&inputs.inference_gpu_hours))
        .column("in_tokens", f(&inputs.tokens))
        .column("calc_revenue_eur", of(|r| r.revenue_eur))
        .column("calc_opex_eur", of(|r| r.opex_eur))
        .column("calc_ebitda_eur", of(|r| r.ebitda_eur))
        .column("calc_capex_eur", of(|r| r.capex_eur))
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
        .column("calc_debt_opening_eur", of(|r| r.debt_opening_eur))
        .column("calc_principal_eur", of(|r| r.principal_eur))
        .column("calc_sweep_eur", of(|r| r.sweep_eur))
        .column("calc_debt_closing_eur", of(|r| r.debt_closing_eur))
        .column("calc_dsra_flow_eur", of(|r| r.dsra_flow_eur))
        .column("calc_dsra_eur", of(|r| r.dsra_eur))
        .column("calc_cash_eur", of(|r| r.cash_eur))
        .column("calc_book_value_eur", of(|r| r.book_value_eur))
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

/// The `sources_uses` table.
pub(crate) fn sources_uses(base: &BaseCase) -> Table {
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
pub(crate) fn checks(base: &BaseCase, s: &FinanceSummary) -> Table {
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
pub(crate) fn replications(s: &FinanceSummary) -> Table {
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

/// A percentage, or "n/a" where the figure is undefined (no IRR).
fn pct(v: Option<f64>) -> String {
    v.map_or("n/a".into(), format::percent)
}

/// A ratio, or "n/a" where the figure is undefined (no debt service).
fn times(v: Option<f64>) -> String {
    v.map_or("n/a".into(), format::times)
}

/// The finance section of the human summary.
pub(crate) fn human(scenario: &Scenario, base: &BaseCase, s: &FinanceSummary) -> String {
    use std::fmt::Write as _;
    let m = &base.case.metrics;
    let d = &base.debt;
    let t = &base.terms;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\nFinance — base case (every uncertain input at its median); {BASIS}"
    );
    let range = |name: &str, f: &dyn Fn(Option<f64>) -> String| {
        let q = s.quantiles(name);
        format!("P10–P90 {} to {}", f(q[0]), f(q[2]))
    };
    let eur = |v: Option<f64>| v.map_or("n/a".into(), money);
    let _ = writeln!(
        o,
        "  Capex {}   ({})",
        money(m.capex_total_eur),
        range("capex_total_eur", &eur)
    );
    let limit = match d.binding {
        sovsim_core::finance::Binding::Sculpting => format!(
            "sized by sculpting at {:.2}× (gearing cap {} not reached)",
            t.target_dscr,
            money(d.gearing_cap_eur)
        ),
        sovsim_core::finance::Binding::Gearing => format!(
            "capped by {:.1} % gearing (sculpting at {:.2}× would allow {})",
            t.max_gearing * 100.0,
            t.target_dscr,
            money(d.sculpted_eur)
        ),
    };
    let _ = writeln!(
        o,
        "  Debt {} at COD {} — {limit}",
        money(m.debt_eur),
        period_date(scenario, d.construction_end + 1)
    );
    let _ = writeln!(
        o,
        "  Equity paid in {}{}",
        money(m.equity_eur),
        t.equity_committed_eur.map_or(String::new(), |c| format!(
            " (committed {}{})",
            money(c),
            if m.equity_eur > c { ": NOT ENOUGH" } else { "" }
        ))
    );
    let _ = writeln!(
        o,
        "  Project IRR {}   ({})",
        pct(m.project_irr),
        range("project_irr", &pct)
    );
    let _ = writeln!(
        o,
        "  Equity IRR {}   ({})",
        pct(m.equity_irr),
        range("equity_irr", &pct)
    );
    let _ = writeln!(
        o,
        "  NPV at {:.1} % {}   ({})",
        t.discount_rate * 100.0,
        money(m.npv_eur),
        range("npv_eur", &eur)
    );
    let _ = writeln!(
        o,
        "  DSCR min {} avg {}, LLCR min {}   (min DSCR {}); P(min DSCR < {:.2}×) = {}",
        times(m.dscr_min),
        times(m.dscr_avg),
        times(m.llcr_min),
        range("dscr_min", &times),
        t.covenant_dscr,
        pct(s.covenant_breach_probability())
    );
    let _ = writeln!(
        o,
        "  Payback {}; LCOC {} per GPU-hour; {} per million tokens",
        m.payback_years
            .map_or("not within the horizon".into(), |y| format!("{y:.2} years")),
        m.lcoc_eur_per_gpu_hour
            .map_or("n/a".into(), |v| format::euros(v, 2)),
        m.cost_eur_per_mtok
            .map_or("n/a".into(), |v| format::euros(v, 3))
    );
    let _ = writeln!(o, "  Sources & uses (construction):");
    let u = uses(base);
    let so = sources(base);
    let rows = USES.len().max(SOURCES.len());
    for i in 0..rows {
        let left = USES
            .get(i)
            .map_or(String::new(), |k| format!("{k:<18} {:>12}", money(u[i])));
        let right = SOURCES
            .get(i)
            .map_or(String::new(), |k| format!("{k:<11} {:>12}", money(so[i])));
        let _ = writeln!(o, "    {left:<31}   {right}");
    }
    let failed: Vec<&str> = CHECKS
        .iter()
        .zip(m.checks)
        .filter(|(_, ok)| !ok)
        .map(|((n, _), _)| *n)
        .collect();
    if failed.is_empty() {
        let _ = writeln!(o, "  Checks: all {} pass in the base case", CHECKS.len());
    } else {
        let _ = writeln!(o, "  Checks FAILED in the base case: {}", failed.join(", "));
    }
    if s.replications_failing_a_check > 0 {
        let _ = writeln!(
            o,
            "  {} of {} replications fail a check (see finance_checks)",
            s.replications_failing_a_check, s.runs
        );
    }
    o
}
