//! The cash-flow waterfall of one set of inputs with a given debt: construction funding with IDC,
//! debt service, the DSRA, lock-up and sweep, tax with losses carried forward, coverage ratios.

use super::debt::{Debt, Schedule, Terms};
use super::inputs::{Class, Inputs};

/// One period of the model (the FAST "calculations" and "outputs").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// Revenue [EUR].
    pub revenue_eur: f64,
    /// Opex [EUR].
    pub opex_eur: f64,
    /// Revenue − opex [EUR].
    pub ebitda_eur: f64,
    /// Capex [EUR].
    pub capex_eur: f64,
    /// Of which GPUs a reinvestment rule bought, paid below debt service [EUR].
    pub reinvested_eur: f64,
    /// Depreciation [EUR].
    pub depreciation_eur: f64,
    /// Interest accrued (IDC during construction) [EUR].
    pub interest_eur: f64,
    /// Fees [EUR].
    pub fees_eur: f64,
    /// Taxable income before losses [EUR].
    pub taxable_income_eur: f64,
    /// Losses carried forward at the end of the period [EUR].
    pub losses_carried_eur: f64,
    /// Tax paid [EUR].
    pub tax_eur: f64,
    /// Net income [EUR].
    pub net_income_eur: f64,
    /// Cash flow available for debt service [EUR].
    pub cfads_eur: f64,
    /// Grants drawn [EUR].
    pub grants_drawn_eur: f64,
    /// Equity paid in, injections included [EUR].
    pub equity_drawn_eur: f64,
    /// Debt drawn, every tranche [EUR].
    pub debt_drawn_eur: f64,
    /// Of which the GPU facility [EUR].
    pub gpu_drawn_eur: f64,
    /// Interest accrued on the GPU facility (included in `interest_eur`) [EUR].
    pub gpu_interest_eur: f64,
    /// Principal of the GPU facility repaid (included in `principal_eur`) [EUR].
    pub gpu_principal_eur: f64,
    /// GPU facility outstanding at the end of the period (included in `debt_closing_eur`) [EUR].
    pub gpu_closing_eur: f64,
    /// Debt at the start of the period [EUR].
    pub debt_opening_eur: f64,
    /// Principal repaid on schedule (negative: interest capitalised) [EUR].
    pub principal_eur: f64,
    /// Prepaid by the cash sweep [EUR].
    pub sweep_eur: f64,
    /// Debt at the end of the period [EUR].
    pub debt_closing_eur: f64,
    /// Interest + scheduled principal after COD [EUR].
    pub debt_service_eur: f64,
    /// Paid into (+) or out of (−) the DSRA [EUR].
    pub dsra_flow_eur: f64,
    /// DSRA at the end of the period [EUR].
    pub dsra_eur: f64,
    /// Distributions to equity [EUR].
    pub distributions_eur: f64,
    /// Cash held (trapped or retained) at the end of the period [EUR].
    pub cash_eur: f64,
    /// Whether distributions were locked up.
    pub locked_up: bool,
    /// CFADS ÷ debt service, where there is debt service.
    pub dscr: Option<f64>,
    /// Loan life coverage ratio, where debt is outstanding.
    pub llcr: Option<f64>,
    /// Project life coverage ratio, where debt is outstanding.
    pub plcr: Option<f64>,
    /// Net book value of the assets at the end of the period [EUR].
    pub book_value_eur: f64,
    /// Prepayments received and not yet credited against invoices, at the period's end [EUR].
    pub deferred_revenue_eur: f64,
    /// Unlevered post-tax project cash flow (terminal value in the last period) [EUR].
    pub project_cf_eur: f64,
    /// Equity cash flow: distributions − equity paid in (terminal claim in the last period) [EUR].
    pub equity_cf_eur: f64,
    /// Assets − (debt + deferred revenue + paid-in capital + retained earnings) [EUR]; zero when
    /// the books balance.
    pub balance_gap_eur: f64,
}

/// Sources and uses of funds over construction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Uses {
    /// Hard costs per class [EUR].
    pub capex_eur: Vec<(Class, f64)>,
    /// Interest during construction [EUR].
    pub idc_eur: f64,
    /// Financing fees [EUR].
    pub fees_eur: f64,
    /// Initial DSRA [EUR].
    pub dsra_eur: f64,
    /// Tax paid during construction [EUR].
    pub tax_eur: f64,
}

impl Uses {
    /// Total uses [EUR].
    pub fn total(&self) -> f64 {
        self.capex_eur.iter().map(|(_, v)| v).sum::<f64>()
            + self.idc_eur
            + self.fees_eur
            + self.dsra_eur
            + self.tax_eur
    }
}

/// Sources of funds over construction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sources {
    /// Grants [EUR].
    pub grants_eur: f64,
    /// Equity [EUR].
    pub equity_eur: f64,
    /// Senior debt: the infrastructure facility [EUR].
    pub debt_eur: f64,
    /// Senior debt: the GPU facility [EUR].
    pub gpu_debt_eur: f64,
    /// Contract prepayments received over construction, less those already credited [EUR].
    pub prepayments_eur: f64,
    /// Operating cash flow (revenue − opex) during construction, less what is still held at COD [EUR].
    pub operations_eur: f64,
}

impl Sources {
    /// Total sources [EUR].
    pub fn total(&self) -> f64 {
        self.grants_eur
            + self.equity_eur
            + self.debt_eur
            + self.gpu_debt_eur
            + self.prepayments_eur
            + self.operations_eur
    }
}

/// The model's results for one set of inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Cashflows {
    /// One row per period.
    pub rows: Vec<Row>,
    /// Uses over construction.
    pub uses: Uses,
    /// Sources over construction.
    pub sources: Sources,
    /// Construction funding need after grants and operating cash [EUR] (what debt and equity share).
    pub funding_need_after_grants_eur: f64,
    /// Terminal value: book value at the horizon [EUR].
    pub terminal_value_eur: f64,
    /// When this case's term loan ran: its actual COD and maturity.
    pub schedule: Schedule,
    /// The GPU facility's draws, each with its conversion and maturity.
    pub gpu_draws: Vec<super::gpu::Draw>,
}

/// The contracted cash flow of period `p` ([`Row`] of the same case): contract revenue less what
/// prepayments already paid for, the contracted GPU-hours' share of opex and the contracts' share
/// of tax, never negative — the cash a GPU lender's security produces in the period, whatever
/// the merchant hours beside it earn or lose.
pub fn contracted_cfads(inputs: &Inputs, row: &Row, p: usize) -> f64 {
    let revenue = inputs.revenue(p);
    let contracted = inputs.revenue_contracted_eur[p];
    if contracted <= 0.0 {
        return 0.0;
    }
    let hours = if inputs.gpu_hours[p] > 0.0 {
        (inputs.contracted_gpu_hours[p] / inputs.gpu_hours[p]).clamp(0.0, 1.0)
    } else {
        1.0
    };
    (contracted
        - inputs.prepayment_applied_eur[p]
        - row.opex_eur * hours
        - row.tax_eur * contracted / revenue)
        .max(0.0)
}

/// Tax on `taxable` with `losses` carried forward (updated).
pub(super) fn tax(taxable: f64, losses: &mut f64, rate: f64) -> f64 {
    if taxable <= 0.0 {
        *losses -= taxable;
        return 0.0;
    }
    let used = losses.min(taxable);
    *losses -= used;
    (taxable - used) * rate
}

/// Runs the waterfall of `inputs` with `debt` (sized on the base case).
pub fn run(inputs: &Inputs, terms: &Terms, debt: &Debt) -> Cashflows {
    let n = inputs.periods();
    // The term loan runs from this case's own COD (at the long-stop at the latest): a delay moves
    // its repayments with it, as lenders let interest capitalise until completion.
    let schedule = debt.schedule(inputs.commercial_operation(terms.completion_share), n);
    let (cod, maturity) = (schedule.cod, schedule.maturity);
    let rc = terms.construction_rate_per_period();
    let rt = terms.term_rate_per_period();
    let dsra_periods = (terms.dsra_months * terms.periods_per_year / 12.0).round() as usize;
    let (unit_service, unit_left) = debt.unit_profile(&schedule, n, rt);
    let depreciation = inputs.depreciation();
    // The GPU facility floats on the case's base rate, like the infrastructure facility.
    let rg = terms.gpu.as_ref().map_or(debt.gpu.rate_per_period, |g| {
        g.rate / terms.periods_per_year
    });
    // The GPU facility's scheduled service per period, known once its draws convert (it is never
    // swept, so it is paid as scheduled).
    let mut gpu_service = vec![0.0; n];
    let dsra_target = |p: usize, balance: f64, gpu_service: &[f64]| -> f64 {
        // The next `dsra_periods` periods of scheduled service, for the balance actually
        // outstanding; periods that capitalise interest and owe nothing else are skipped, so the
        // reserve is full at COD even when the first quarters capitalise.
        let scale = if p <= cod {
            balance
        } else if unit_left[p] > 1e-12 {
            balance / unit_left[p]
        } else {
            0.0
        };
        (p + 1..n)
            .map(|q| unit_service[q] * scale + gpu_service[q])
            .filter(|s| *s > 1e-15 * balance.max(1.0))
            .take(dsra_periods)
            .sum::<f64>()
    };

    let mut rows = vec![Row::default(); n];
    let mut uses = Uses {
        capex_eur: Class::ALL.iter().map(|&c| (c, 0.0)).collect(),
        ..Uses::default()
    };
    let mut sources = Sources::default();
    let (mut balance, mut dsra, mut cash) = (0.0, 0.0, 0.0);
    let (mut losses, mut unlevered_losses) = (0.0, 0.0);
    let mut grants_left = terms.grants_eur;
    let mut drawn = 0.0;
    let mut converted = 0.0;
    let mut operations = 0.0;
    let mut need_after_grants = 0.0;
    let (mut capex_total, mut dep_total) = (0.0, 0.0);
    let (mut paid_in, mut retained, mut deferred) = (0.0, 0.0, 0.0);
    let mut prepaid = 0.0;
    let mut draws: Vec<super::gpu::Draw> = Vec::new();
    let (mut gpu_balance, mut gpu_drawn) = (0.0, 0.0);
    for p in 0..n {
        let r = &mut rows[p];
        r.revenue_eur = inputs.revenue(p);
        r.opex_eur = inputs.opex(p);
        r.ebitda_eur = r.revenue_eur - r.opex_eur;
        r.capex_eur = inputs.capex(p);
        // Reinvestment is a restricted payment: out of what equity would receive (or paid in by
        // the sponsors), never out of CFADS, a facility or the construction budget.
        let reinvested = inputs.capex_in(p, Class::GpuReinvested);
        r.reinvested_eur = reinvested;
        r.depreciation_eur = depreciation[p];
        r.debt_opening_eur = balance + gpu_balance;
        let construction = p <= cod;
        // The GPU facility: its draws serve (after conversion) or accrue (before it) at its rate,
        // and a draw follows each purchase of the initial build's GPUs, up to the commitment.
        let (mut gpu_interest, mut gpu_principal) = (0.0, 0.0);
        for d in &mut draws {
            let (i, pr) = if p <= d.converted {
                (d.balance_eur * rg, 0.0)
            } else {
                d.serve(p, rg)
            };
            gpu_interest += i;
            gpu_principal += pr;
        }
        let gpu_draw = (debt.gpu.draw_share * inputs.capex_in(p, Class::Gpus))
            .min(debt.gpu.commitment_eur - gpu_drawn)
            .max(0.0);
        if gpu_draw > 0.0 {
            gpu_drawn += gpu_draw;
            let mut d = super::gpu::Draw::new(p, gpu_draw, debt.gpu.tenor_periods);
            if !construction {
                // Drawn after COD (a late delivery): it amortises from the period after, on the
                // term sheet's profile from there.
                let profile = &debt.gpu.profile;
                d.convert(p, rg, &profile[(p - cod).min(profile.len())..]);
                d.add_service(&mut gpu_service);
            }
            draws.push(d);
        }
        gpu_balance += gpu_draw - gpu_principal;
        r.gpu_drawn_eur = gpu_draw;
        r.gpu_interest_eur = gpu_interest;
        r.gpu_principal_eur = gpu_principal;
        r.gpu_closing_eur = gpu_balance;
        let infra_interest = balance * if construction { rc } else { rt };
        r.interest_eur = infra_interest + gpu_interest;
        if p == 0 {
            r.fees_eur = terms.arrangement_fee * debt.total_commitment_eur();
        }
        r.taxable_income_eur = r.ebitda_eur - r.depreciation_eur - r.interest_eur - r.fees_eur;
        r.tax_eur = tax(r.taxable_income_eur, &mut losses, terms.tax_rate);
        r.losses_carried_eur = losses;
        r.net_income_eur = r.taxable_income_eur - r.tax_eur;
        let unlevered_tax = tax(
            r.ebitda_eur - r.depreciation_eur,
            &mut unlevered_losses,
            terms.tax_rate,
        );
        // Prepayments are cash but not income: working capital, in CFADS and the project's cash.
        let prepayment = inputs.deferred_revenue_change(p);
        deferred += prepayment;
        r.deferred_revenue_eur = deferred;
        r.project_cf_eur = r.ebitda_eur + prepayment - unlevered_tax - r.capex_eur;

        if construction {
            r.cfads_eur = r.ebitda_eur + prepayment - r.tax_eur;
            if p == cod {
                // The GPU facility's draws convert with the infrastructure facility.
                for d in &mut draws {
                    d.convert(cod, rg, &debt.gpu.profile);
                    d.add_service(&mut gpu_service);
                }
            }
            let dsra_fund = if p == cod {
                // Funded at COD for the balance about to convert (the commitment, at the fixed point).
                let infra = if maturity > cod {
                    debt.commitment_eur.max(drawn)
                } else {
                    0.0
                };
                dsra_target(p, infra, &gpu_service)
            } else {
                0.0
            };
            for (class, v) in &mut uses.capex_eur {
                *v += inputs.capex_in(p, *class);
            }
            uses.idc_eur += r.interest_eur;
            uses.fees_eur += r.fees_eur;
            uses.dsra_eur += dsra_fund;
            uses.tax_eur += r.tax_eur;
            operations += r.ebitda_eur;
            prepaid += prepayment;
            // The GPU facility's draw funds its GPUs first; the rest is funded in turn.
            let need =
                r.capex_eur - reinvested + r.interest_eur + r.fees_eur + dsra_fund + r.tax_eur
                    - r.ebitda_eur
                    - prepayment
                    - gpu_draw;
            if need <= cash {
                cash -= need;
            } else {
                let mut rest = need - cash;
                cash = 0.0;
                let g = grants_left.min(rest);
                grants_left -= g;
                rest -= g;
                need_after_grants += rest;
                let d = (debt.debt_share * rest)
                    .min(debt.commitment_eur - drawn)
                    .max(0.0);
                drawn += d;
                r.grants_drawn_eur = g;
                r.debt_drawn_eur = d;
                r.equity_drawn_eur = rest - d;
            }
            let from_cash = cash.min(reinvested);
            cash -= from_cash;
            r.equity_drawn_eur += reinvested - from_cash;
            balance += r.debt_drawn_eur;
            dsra += dsra_fund;
            r.dsra_flow_eur = dsra_fund;
            sources.grants_eur += r.grants_drawn_eur;
            sources.equity_eur += r.equity_drawn_eur;
            sources.debt_eur += r.debt_drawn_eur;
            sources.gpu_debt_eur += gpu_draw;
            r.debt_drawn_eur += gpu_draw;
            if p == cod {
                converted = balance;
                // What operations earned and construction did not spend is still held.
                sources.prepayments_eur = prepaid;
                sources.operations_eur = operations - cash;
            }
        } else {
            let mut free = r.ebitda_eur + prepayment - r.tax_eur - (r.capex_eur - reinvested);
            r.cfads_eur = free;
            // A late GPU purchase drawn on the GPU facility is paid by the draw, not by CFADS.
            free += gpu_draw;
            r.debt_drawn_eur = gpu_draw;
            let scheduled = if p > maturity {
                0.0
            } else if p == maturity {
                balance
            } else if debt.capitalising_at(&schedule, p) {
                // A capitalisation period of the term sheet: whatever interest accrues is added
                // to the loan, so no debt service falls due (a case with a higher rate or a later
                // start would otherwise owe a sliver of service against negative CFADS).
                -infra_interest
            } else {
                (debt.repayment_at(&schedule, p) * converted).min(balance)
            };
            r.principal_eur = scheduled + gpu_principal;
            r.debt_service_eur = r.interest_eur + r.principal_eur;
            if r.debt_service_eur > 1e-9 * (converted + gpu_drawn).max(1.0) {
                r.dscr = Some(r.cfads_eur / r.debt_service_eur);
            }
            free -= r.debt_service_eur;
            balance -= scheduled;
            // DSRA: release above target, top up below it from what is left.
            let infra = if p >= maturity { 0.0 } else { balance };
            let target = dsra_target(p, infra, &gpu_service);
            if dsra > target {
                free += dsra - target;
                r.dsra_flow_eur = target - dsra;
                dsra = target;
            }
            if free < 0.0 {
                // A shortfall: the DSRA, then trapped cash, then the sponsors.
                let from_dsra = dsra.min(-free);
                dsra -= from_dsra;
                r.dsra_flow_eur -= from_dsra;
                free += from_dsra;
                let from_cash = cash.min(-free);
                cash -= from_cash;
                free += from_cash;
                if free < 0.0 {
                    r.equity_drawn_eur = -free;
                    free = 0.0;
                }
            } else if dsra < target {
                let top = free.min(target - dsra);
                dsra += top;
                r.dsra_flow_eur += top;
                free -= top;
            }
            if balance > 0.0 && terms.cash_sweep_share > 0.0 {
                r.sweep_eur = (free * terms.cash_sweep_share).min(balance);
                balance -= r.sweep_eur;
                free -= r.sweep_eur;
            }
            r.locked_up = match (terms.lockup_dscr, r.dscr) {
                (Some(level), Some(dscr)) => dscr < level,
                _ => false,
            };
            if r.locked_up {
                // Nothing may be paid out: the sponsors pay for the GPUs already ordered.
                cash += free;
                r.equity_drawn_eur += reinvested;
            } else {
                let releasable = free + cash;
                let paid = releasable.min(reinvested);
                r.distributions_eur = releasable - paid;
                r.equity_drawn_eur += reinvested - paid;
                cash = 0.0;
            }
        }
        r.debt_closing_eur = balance + gpu_balance;
        r.dsra_eur = dsra;
        r.cash_eur = cash;
        capex_total += r.capex_eur;
        dep_total += r.depreciation_eur;
        r.book_value_eur = capex_total - dep_total;
        paid_in += r.grants_drawn_eur + r.equity_drawn_eur;
        retained += r.net_income_eur - r.distributions_eur;
        r.balance_gap_eur =
            (r.book_value_eur + cash + dsra) - (r.debt_closing_eur + deferred + paid_in + retained);
        r.equity_cf_eur = r.distributions_eur - r.equity_drawn_eur;
    }
    let terminal = rows.last().map_or(0.0, |r| r.book_value_eur);
    if let Some(last) = rows.last_mut() {
        // Prepayments not yet earned at the horizon are owed back: a claim on the terminal value.
        last.project_cf_eur += terminal - last.deferred_revenue_eur;
        last.equity_cf_eur += terminal - last.deferred_revenue_eur - last.debt_closing_eur
            + last.cash_eur
            + last.dsra_eur;
    }
    // Coverage ratios need the CFADS that follow, so they come after the waterfall.
    let last_maturity = draws.iter().map(|d| d.maturity).fold(maturity, usize::max);
    for p in cod + 1..n {
        let opening = rows[p].debt_opening_eur;
        if opening <= 1e-9 * (converted + gpu_drawn).max(1.0) {
            continue;
        }
        let dsra_opening = rows[p - 1].dsra_eur;
        let pv = |to: usize| -> f64 {
            (p..=to)
                .map(|q| rows[q].cfads_eur / (1.0 + rt).powi((q - p + 1) as i32))
                .sum::<f64>()
        };
        let llcr = (pv(last_maturity.clamp(p, n - 1)) + dsra_opening) / opening;
        let plcr = (pv(n - 1) + dsra_opening) / opening;
        rows[p].llcr = Some(llcr);
        rows[p].plcr = Some(plcr);
    }
    Cashflows {
        rows,
        uses,
        sources,
        funding_need_after_grants_eur: need_after_grants,
        terminal_value_eur: terminal,
        schedule,
        gpu_draws: draws,
    }
}
