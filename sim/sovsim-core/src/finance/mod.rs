//! The financial model: a project-finance cash-flow waterfall over the scenario's periods, with debt
//! sculpted to a target DSCR on the lender's base case, and the figures lenders read (CFADS, DSCR,
//! LLCR, PLCR, IRRs, NPV, payback, levelised cost of compute, sources & uses, checks).
//!
//! Conventions (stated in every output):
//! - **Money**: EUR, at constant prices (no indexation; GPU-hour prices fall by the scenario's decline
//!   rate). Catalog prices are converted with the scenario's `eur_per_currency`.
//! - **Timing**: every flow falls at the end of its period; discounting is from the scenario start at
//!   `(1 + r)^(t in years)`; interest accrues at `annual rate × period months / 12` on the opening
//!   balance.
//! - **Construction** runs from the start to the end of the last period with capital expenditure on
//!   the initial build (refreshes excluded): the commercial operation date (COD) closes that period.
//!   Each construction period's funding need (capex, interest during construction (IDC), the
//!   arrangement fee at financial close, the initial DSRA at COD and tax, less what operations
//!   already earn) is met by cash retained earlier, then grants until spent, then debt and equity
//!   pro rata at the debt share, the debt up to its commitment, equity for the rest.
//! - **Term loan**: the construction facility converts at COD and is repaid over the tenor (clipped
//!   to the horizon) on a schedule of repayments in % of the converted balance — the sculpted
//!   profile of the base case, as a term sheet would state it. Interest is on the actual balance;
//!   in periods where the base case's CFADS was not positive, every case capitalises the interest
//!   it accrues, so no debt service falls due there.
//! - **Debt sizing** (on the base case, `Scenario::at_medians`): sculpted debt = PV at the term rate
//!   of base-case CFADS over the tenor ÷ target DSCR; the gearing cap = max gearing × total uses. The
//!   lower binds. When the cap binds, debt service is CFADS × debt ÷ PV(CFADS), so the DSCR is flat
//!   above target. Both depend on the debt itself (IDC, fees, DSRA, tax shield), so sizing iterates to
//!   a fixed point, and says whether it converged (a check).
//! - **Waterfall** after COD, per period: CFADS = revenue − opex − tax − capex (capex after COD is
//!   funded from cash flow) → interest → scheduled principal → DSRA top-up (target: the next
//!   `dsra_months` of scheduled debt service) → cash sweep → distributions, unless the period's DSCR
//!   is below the lock-up level, in which case cash is trapped until a period passes. A shortfall is
//!   met from the DSRA, then trapped cash, then a sponsor injection (an equity contribution), so cash
//!   is never negative; such a period has a DSCR below 1.
//! - **Tax**: rate × taxable income (revenue − opex − depreciation − interest − fees), losses carried
//!   forward without limit or expiry; paid in the period. Project IRR uses unlevered tax (no interest
//!   deduction, its own losses).
//! - **Depreciation**: straight line from the period after spending, land never; grants are paid-in
//!   capital.
//! - **Terminal value**: the book value of the assets at the horizon, received in the last period by
//!   the project (and by equity, less the debt outstanding, plus cash and the DSRA).
//! - **Project IRR** is post-tax and unlevered; **equity IRR** is post-tax, on equity paid in
//!   (including injections) against distributions.
//!
//! The engine, dispatch and this module do no I/O.

mod build;
pub mod summary;

pub use build::{Prices, draw_prices, eur, inputs};

use crate::model::Scenario;

/// A class of capital expenditure, each with its own book life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Land: never depreciated.
    Land,
    /// On-site power plants.
    Power,
    /// Datacenter halls.
    Shell,
    /// GPUs of the initial build.
    Gpus,
    /// GPUs replacing retired ones (after construction, funded from cash flow).
    GpuRefresh,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 5] = [
        Class::Land,
        Class::Power,
        Class::Shell,
        Class::Gpus,
        Class::GpuRefresh,
    ];

    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Class::Land => "land",
            Class::Power => "power",
            Class::Shell => "shell",
            Class::Gpus => "gpus",
            Class::GpuRefresh => "gpu_refresh",
        }
    }

    /// Whether this spending belongs to the initial build (and so to construction).
    pub fn initial(self) -> bool {
        self != Class::GpuRefresh
    }
}

/// Capital expenditure of one class and book life, per period [EUR].
#[derive(Clone, Debug, PartialEq)]
pub struct CapexLine {
    /// Class.
    pub class: Class,
    /// Book life [years]; `None`: not depreciated.
    pub life_years: Option<f64>,
    /// Spending per period [EUR].
    pub eur: Vec<f64>,
}

/// The model's inputs, one entry per period (the FAST "inputs" block).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    /// Length of a period [months].
    pub period_months: u32,
    /// Capital expenditure.
    pub capex: Vec<CapexLine>,
    /// Contracted GPU-hours × price [EUR].
    pub revenue_contracted_eur: Vec<f64>,
    /// Spot GPU-hours × spot price [EUR].
    pub revenue_spot_eur: Vec<f64>,
    /// Tokens sold × price per million [EUR].
    pub revenue_tokens_eur: Vec<f64>,
    /// Resale of retired GPUs [EUR].
    pub revenue_resale_eur: Vec<f64>,
    /// Energy: grid, power contracts and on-site fuel [EUR].
    pub opex_energy_eur: Vec<f64>,
    /// Fixed O&M of on-site plants [EUR].
    pub opex_power_om_eur: Vec<f64>,
    /// Maintenance of halls and GPUs [EUR].
    pub opex_maintenance_eur: Vec<f64>,
    /// Staff [EUR].
    pub opex_staff_eur: Vec<f64>,
    /// Network [EUR].
    pub opex_network_eur: Vec<f64>,
    /// Insurance [EUR].
    pub opex_insurance_eur: Vec<f64>,
    /// Operational GPU-hours.
    pub gpu_hours: Vec<f64>,
    /// GPU-hours used serving inference.
    pub inference_gpu_hours: Vec<f64>,
    /// Output tokens served.
    pub tokens: Vec<f64>,
}

impl Inputs {
    /// Empty inputs of `periods` periods of `period_months` months.
    pub fn zeros(periods: usize, period_months: u32) -> Self {
        let z = vec![0.0; periods];
        Self {
            period_months,
            capex: Vec::new(),
            revenue_contracted_eur: z.clone(),
            revenue_spot_eur: z.clone(),
            revenue_tokens_eur: z.clone(),
            revenue_resale_eur: z.clone(),
            opex_energy_eur: z.clone(),
            opex_power_om_eur: z.clone(),
            opex_maintenance_eur: z.clone(),
            opex_staff_eur: z.clone(),
            opex_network_eur: z.clone(),
            opex_insurance_eur: z.clone(),
            gpu_hours: z.clone(),
            inference_gpu_hours: z.clone(),
            tokens: z,
        }
    }

    /// Number of periods.
    pub fn periods(&self) -> usize {
        self.revenue_contracted_eur.len()
    }

    /// Total revenue of period `p`.
    pub fn revenue(&self, p: usize) -> f64 {
        self.revenue_contracted_eur[p]
            + self.revenue_spot_eur[p]
            + self.revenue_tokens_eur[p]
            + self.revenue_resale_eur[p]
    }

    /// Total opex of period `p`.
    pub fn opex(&self, p: usize) -> f64 {
        self.opex_energy_eur[p]
            + self.opex_power_om_eur[p]
            + self.opex_maintenance_eur[p]
            + self.opex_staff_eur[p]
            + self.opex_network_eur[p]
            + self.opex_insurance_eur[p]
    }

    /// Capex of period `p`, all classes.
    pub fn capex(&self, p: usize) -> f64 {
        self.capex.iter().map(|l| l.eur[p]).sum()
    }

    /// Capex of one class in period `p`.
    pub fn capex_in(&self, p: usize, class: Class) -> f64 {
        self.capex
            .iter()
            .filter(|l| l.class == class)
            .map(|l| l.eur[p])
            .sum()
    }

    /// The last period with spending on the initial build (0 if none): the end of construction.
    pub fn construction_end(&self) -> usize {
        (0..self.periods())
            .rev()
            .find(|&p| {
                self.capex
                    .iter()
                    .any(|l| l.class.initial() && l.eur[p] > 0.0)
            })
            .unwrap_or(0)
    }

    /// Depreciation per period: straight line over each line's life, from the period after spending.
    pub fn depreciation(&self) -> Vec<f64> {
        let n = self.periods();
        let per_year = 12.0 / self.period_months as f64;
        let mut dep = vec![0.0; n];
        for line in &self.capex {
            let Some(life) = line.life_years else {
                continue;
            };
            let span = ((life * per_year).round() as usize).max(1);
            for (p, &spent) in line.eur.iter().enumerate() {
                if spent == 0.0 {
                    continue;
                }
                for d in dep.iter_mut().skip(p + 1).take(span) {
                    *d += spent / span as f64;
                }
            }
        }
        dep
    }
}

/// The financing terms, from the scenario (the FAST "inputs" of the financing).
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    /// Periods per year.
    pub periods_per_year: f64,
    /// Construction facility rate: base + margin [fraction per year].
    pub construction_rate: f64,
    /// Term loan rate: base + margin [fraction per year].
    pub term_rate: f64,
    /// DSCR the loan is sculpted to.
    pub target_dscr: f64,
    /// DSCR below which distributions are locked up.
    pub lockup_dscr: Option<f64>,
    /// DSCR the risk figures test: the default level, else the lock-up level, else 1.
    pub covenant_dscr: f64,
    /// Largest debt ÷ total uses.
    pub max_gearing: f64,
    /// Term loan tenor [years].
    pub tenor_years: f64,
    /// DSRA target [months of scheduled debt service].
    pub dsra_months: f64,
    /// Tax rate.
    pub tax_rate: f64,
    /// Arrangement fee [fraction of the commitment], paid at financial close (period 0).
    pub arrangement_fee: f64,
    /// Share of free cash that prepays debt.
    pub cash_sweep_share: f64,
    /// Discount rate of NPV and levelised costs [fraction per year].
    pub discount_rate: f64,
    /// Grants available [EUR].
    pub grants_eur: f64,
    /// Equity the sponsors committed [EUR], if stated.
    pub equity_committed_eur: Option<f64>,
}

impl Terms {
    /// The terms of `scenario`, if it has a finance section.
    pub fn of(scenario: &Scenario) -> Option<Terms> {
        let f = scenario.finance.as_ref()?;
        Some(Terms {
            periods_per_year: 12.0 / scenario.meta.period_months as f64,
            construction_rate: f.base_rate + f.construction_margin,
            term_rate: f.base_rate + f.term_margin,
            target_dscr: f.target_dscr,
            lockup_dscr: f.lockup_dscr,
            covenant_dscr: f.default_dscr.or(f.lockup_dscr).unwrap_or(1.0),
            max_gearing: f.max_gearing,
            tenor_years: f.tenor_years as f64,
            dsra_months: f.dsra_months as f64,
            tax_rate: f.tax_rate,
            arrangement_fee: f.arrangement_fee,
            cash_sweep_share: f.cash_sweep_share,
            discount_rate: scenario.meta.discount_rate,
            grants_eur: f.grants.0,
            equity_committed_eur: f.equity.map(|e| e.0),
        })
    }

    fn term_rate_per_period(&self) -> f64 {
        self.term_rate / self.periods_per_year
    }

    fn construction_rate_per_period(&self) -> f64 {
        self.construction_rate / self.periods_per_year
    }
}

/// Which limit sized the debt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// CFADS at the target DSCR.
    Sculpting,
    /// Maximum gearing.
    Gearing,
}

impl Binding {
    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Binding::Sculpting => "sculpting",
            Binding::Gearing => "gearing",
        }
    }
}

/// The debt as sized on the base case, applied unchanged to every replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Debt {
    /// Facility commitment [EUR].
    pub commitment_eur: f64,
    /// Debt the base case's CFADS supports at the target DSCR [EUR].
    pub sculpted_eur: f64,
    /// Max gearing × total uses [EUR].
    pub gearing_cap_eur: f64,
    /// The limit that binds.
    pub binding: Binding,
    /// Share of each construction funding need (after grants) the facility pays.
    pub debt_share: f64,
    /// Last construction period (COD at its end).
    pub construction_end: usize,
    /// Last repayment period.
    pub maturity: usize,
    /// Per period: scheduled principal as a share of the balance converted at COD (negative:
    /// interest capitalised in a period whose base-case CFADS was not positive).
    pub repayment: Vec<f64>,
    /// Per period: whether the base case's CFADS was not positive, so that the term sheet
    /// capitalises whatever interest accrues and no debt service falls due.
    pub capitalising: Vec<bool>,
    /// Sizing iterations.
    pub iterations: u32,
    /// Whether sizing reached its fixed point.
    pub converged: bool,
}

impl Debt {
    /// No debt: everything funded by grants and equity.
    pub fn none(periods: usize, construction_end: usize) -> Self {
        Debt {
            commitment_eur: 0.0,
            sculpted_eur: 0.0,
            gearing_cap_eur: 0.0,
            binding: Binding::Gearing,
            debt_share: 0.0,
            construction_end,
            maturity: construction_end,
            repayment: vec![0.0; periods],
            capitalising: vec![false; periods],
            iterations: 0,
            converged: true,
        }
    }

    /// Scheduled debt service per period for one euro converted at COD, with the balance left
    /// after each period (the unit profile).
    fn unit_profile(&self, rate: f64) -> (Vec<f64>, Vec<f64>) {
        let n = self.repayment.len();
        let mut service = vec![0.0; n];
        let mut left = vec![0.0; n];
        let mut balance = 1.0;
        for p in self.construction_end + 1..n.min(self.maturity + 1) {
            let interest = balance * rate;
            service[p] = interest + self.repayment[p];
            balance -= self.repayment[p];
            left[p] = balance;
        }
        (service, left)
    }
}

/// Sizes the debt on `base` (the base-case inputs): sculpted to the target DSCR, capped by gearing.
pub fn size(base: &Inputs, terms: &Terms) -> Debt {
    const MAX_ITERATIONS: u32 = 200;
    let n = base.periods();
    let cod = base.construction_end();
    let per_year = terms.periods_per_year;
    let maturity = (cod + (terms.tenor_years * per_year).round() as usize).min(n.saturating_sub(1));
    let rate = terms.term_rate_per_period();
    let mut debt = Debt::none(n, cod);
    debt.maturity = maturity;
    if terms.max_gearing <= 0.0 || maturity <= cod {
        // No tenor within the horizon, or no debt allowed.
        return debt;
    }
    for iteration in 1..=MAX_ITERATIONS {
        let flows = run(base, terms, &debt);
        let cfads_pv: f64 = (cod + 1..=maturity)
            .map(|p| flows.rows[p].cfads_eur.max(0.0) / (1.0 + rate).powi((p - cod) as i32))
            .sum();
        let sculpted = cfads_pv / terms.target_dscr;
        let cap = terms.max_gearing * flows.uses.total();
        let (amount, binding) = if sculpted <= cap {
            (sculpted, Binding::Sculpting)
        } else {
            (cap, Binding::Gearing)
        };
        let mut repayment = vec![0.0; n];
        let capitalising: Vec<bool> = (0..n)
            .map(|p| p > cod && p < maturity && flows.rows[p].cfads_eur <= 0.0)
            .collect();
        if amount > 0.0 && cfads_pv > 0.0 {
            // Debt service ∝ CFADS, scaled so that its PV at the loan rate is the debt.
            let mut balance = 1.0;
            for (p, r) in repayment
                .iter_mut()
                .enumerate()
                .take(maturity + 1)
                .skip(cod + 1)
            {
                let service = flows.rows[p].cfads_eur.max(0.0) / cfads_pv;
                *r = service - balance * rate;
                balance -= *r;
            }
        }
        let need = flows.funding_need_after_grants_eur;
        let share = if need > 0.0 {
            (amount / need).min(1.0)
        } else {
            0.0
        };
        let tolerance = 1e-9 * amount.max(1.0);
        let converged = (amount - debt.commitment_eur).abs() <= tolerance
            && (share - debt.debt_share).abs() <= 1e-10;
        debt = Debt {
            commitment_eur: amount,
            sculpted_eur: sculpted,
            gearing_cap_eur: cap,
            binding,
            debt_share: share,
            construction_end: cod,
            maturity,
            repayment,
            capitalising,
            iterations: iteration,
            converged,
        };
        if converged {
            break;
        }
    }
    debt
}

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
    /// Debt drawn [EUR].
    pub debt_drawn_eur: f64,
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
    /// Unlevered post-tax project cash flow (terminal value in the last period) [EUR].
    pub project_cf_eur: f64,
    /// Equity cash flow: distributions − equity paid in (terminal claim in the last period) [EUR].
    pub equity_cf_eur: f64,
    /// Assets − (debt + paid-in capital + retained earnings) [EUR]; zero when the books balance.
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
    /// Senior debt [EUR].
    pub debt_eur: f64,
    /// Operating cash flow (revenue − opex) during construction, less what is still held at COD [EUR].
    pub operations_eur: f64,
}

impl Sources {
    /// Total sources [EUR].
    pub fn total(&self) -> f64 {
        self.grants_eur + self.equity_eur + self.debt_eur + self.operations_eur
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
}

/// Tax on `taxable` with `losses` carried forward (updated).
fn tax(taxable: f64, losses: &mut f64, rate: f64) -> f64 {
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
    let cod = debt.construction_end;
    let rc = terms.construction_rate_per_period();
    let rt = terms.term_rate_per_period();
    let dsra_periods = (terms.dsra_months * terms.periods_per_year / 12.0).round() as usize;
    let (unit_service, unit_left) = debt.unit_profile(rt);
    let depreciation = inputs.depreciation();
    let dsra_target = |p: usize, balance: f64| -> f64 {
        // The next `dsra_periods` of scheduled service, for the balance actually outstanding.
        let scale = if p <= cod {
            balance
        } else if unit_left[p] > 1e-12 {
            balance / unit_left[p]
        } else {
            0.0
        };
        let to = (p + dsra_periods).min(debt.maturity);
        (p + 1..=to).map(|q| unit_service[q]).sum::<f64>() * scale
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
    let (mut paid_in, mut retained) = (0.0, 0.0);
    for p in 0..n {
        let r = &mut rows[p];
        r.revenue_eur = inputs.revenue(p);
        r.opex_eur = inputs.opex(p);
        r.ebitda_eur = r.revenue_eur - r.opex_eur;
        r.capex_eur = inputs.capex(p);
        r.depreciation_eur = depreciation[p];
        r.debt_opening_eur = balance;
        let construction = p <= cod;
        r.interest_eur = balance * if construction { rc } else { rt };
        if p == 0 {
            r.fees_eur = terms.arrangement_fee * debt.commitment_eur;
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
        r.project_cf_eur = r.ebitda_eur - unlevered_tax - r.capex_eur;

        if construction {
            r.cfads_eur = r.ebitda_eur - r.tax_eur;
            let dsra_fund = if p == cod && debt.maturity > cod {
                // Funded at COD for the balance about to convert (the commitment, at the fixed point).
                dsra_target(p, debt.commitment_eur.max(drawn))
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
            let need =
                r.capex_eur + r.interest_eur + r.fees_eur + dsra_fund + r.tax_eur - r.ebitda_eur;
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
            balance += r.debt_drawn_eur;
            dsra += dsra_fund;
            r.dsra_flow_eur = dsra_fund;
            sources.grants_eur += r.grants_drawn_eur;
            sources.equity_eur += r.equity_drawn_eur;
            sources.debt_eur += r.debt_drawn_eur;
            if p == cod {
                converted = balance;
                // What operations earned and construction did not spend is still held.
                sources.operations_eur = operations - cash;
            }
        } else {
            let mut free = r.ebitda_eur - r.tax_eur - r.capex_eur;
            r.cfads_eur = free;
            let scheduled = if p > debt.maturity {
                0.0
            } else if p == debt.maturity {
                balance
            } else if debt.capitalising[p] {
                // A capitalisation period of the term sheet: whatever interest accrues is added
                // to the loan, so no debt service falls due (a case with a higher rate or a later
                // start would otherwise owe a sliver of service against negative CFADS).
                -r.interest_eur
            } else {
                (debt.repayment[p] * converted).min(balance)
            };
            r.principal_eur = scheduled;
            r.debt_service_eur = r.interest_eur + scheduled;
            if r.debt_service_eur > 1e-9 * converted.max(1.0) {
                r.dscr = Some(r.cfads_eur / r.debt_service_eur);
            }
            free -= r.debt_service_eur;
            balance -= scheduled;
            // DSRA: release above target, top up below it from what is left.
            let target = if p >= debt.maturity {
                0.0
            } else {
                dsra_target(p, balance)
            };
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
            r.locked_up = p <= debt.maturity
                && match (terms.lockup_dscr, r.dscr) {
                    (Some(level), Some(dscr)) => dscr < level,
                    _ => false,
                };
            if r.locked_up {
                cash += free;
            } else {
                r.distributions_eur = free + cash;
                cash = 0.0;
            }
        }
        r.debt_closing_eur = balance;
        r.dsra_eur = dsra;
        r.cash_eur = cash;
        capex_total += r.capex_eur;
        dep_total += r.depreciation_eur;
        r.book_value_eur = capex_total - dep_total;
        paid_in += r.grants_drawn_eur + r.equity_drawn_eur;
        retained += r.net_income_eur - r.distributions_eur;
        r.balance_gap_eur = (r.book_value_eur + cash + dsra) - (balance + paid_in + retained);
        r.equity_cf_eur = r.distributions_eur - r.equity_drawn_eur;
    }
    let terminal = rows.last().map_or(0.0, |r| r.book_value_eur);
    if let Some(last) = rows.last_mut() {
        last.project_cf_eur += terminal;
        last.equity_cf_eur += terminal - last.debt_closing_eur + last.cash_eur + last.dsra_eur;
    }
    // Coverage ratios need the CFADS that follow, so they come after the waterfall.
    for p in cod + 1..n {
        let opening = rows[p].debt_opening_eur;
        if opening <= 1e-9 * converted.max(1.0) {
            continue;
        }
        let dsra_opening = rows[p - 1].dsra_eur;
        let pv = |to: usize| -> f64 {
            (p..=to)
                .map(|q| rows[q].cfads_eur / (1.0 + rt).powi((q - p + 1) as i32))
                .sum::<f64>()
        };
        let llcr = (pv(debt.maturity.max(p)) + dsra_opening) / opening;
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
    }
}

/// The internal rate of return of `flows` (one per period, at period ends), per period, if the
/// flows change sign; the root is bracketed and bisected to machine precision.
pub fn irr_per_period(flows: &[f64]) -> Option<f64> {
    let npv = |r: f64| -> f64 {
        let mut df = 1.0;
        let mut sum = 0.0;
        for &cf in flows {
            df /= 1.0 + r;
            sum += cf * df;
        }
        sum
    };
    // −50 % a period is the floor: lower rates would overflow the discount factors of long series.
    let (mut lo, mut hi) = (-0.5, 1.0);
    let f_lo = npv(lo);
    // Widen the upper bound until the sign changes (or give up: no IRR).
    let mut f_hi = npv(hi);
    while f_lo.signum() == f_hi.signum() {
        hi *= 2.0;
        if hi > 1e6 {
            return None;
        }
        f_hi = npv(hi);
    }
    for _ in 0..400 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let f = npv(mid);
        if f == 0.0 {
            return Some(mid);
        }
        if f.signum() == f_lo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Net present value at `annual_rate` of per-period `flows` at period ends.
pub fn npv(flows: &[f64], annual_rate: f64, periods_per_year: f64) -> f64 {
    flows
        .iter()
        .enumerate()
        .map(|(p, cf)| cf / (1.0 + annual_rate).powf((p + 1) as f64 / periods_per_year))
        .sum()
}

/// The headline figures of one run of the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Capex over the horizon [EUR].
    pub capex_total_eur: f64,
    /// NPV of the project cash flows at the discount rate [EUR].
    pub npv_eur: f64,
    /// Project IRR (post-tax, unlevered) [fraction per year].
    pub project_irr: Option<f64>,
    /// Equity IRR (post-tax) [fraction per year].
    pub equity_irr: Option<f64>,
    /// Smallest DSCR over the loan life.
    pub dscr_min: Option<f64>,
    /// Mean DSCR over the loan life.
    pub dscr_avg: Option<f64>,
    /// Smallest LLCR.
    pub llcr_min: Option<f64>,
    /// Debt converted at COD [EUR].
    pub debt_eur: f64,
    /// Equity paid in, injections included [EUR].
    pub equity_eur: f64,
    /// Years from the start until cumulative project cash flow turns non-negative.
    pub payback_years: Option<f64>,
    /// Levelised cost of compute [EUR per operational GPU-hour].
    pub lcoc_eur_per_gpu_hour: Option<f64>,
    /// Levelised cost of a million output tokens at the fleet's serving rate [EUR].
    pub cost_eur_per_mtok: Option<f64>,
    /// Whether the minimum DSCR fell below the covenant.
    pub covenant_breached: bool,
    /// Checks, in `CHECKS` order.
    pub checks: [bool; CHECKS.len()],
}

/// The model's checks: (name, what must hold).
pub const CHECKS: [(&str, &str); 6] = [
    (
        "sources_equal_uses",
        "sources of funds equal uses over construction",
    ),
    (
        "cash_never_negative",
        "cash, DSRA and trapped cash are never negative",
    ),
    (
        "debt_repaid_by_maturity",
        "no debt outstanding after the last repayment period",
    ),
    (
        "balance_sheet_balances",
        "assets = debt + paid-in capital + retained earnings, every period",
    ),
    ("sizing_converged", "debt sizing reached its fixed point"),
    (
        "equity_within_commitment",
        "equity paid in ≤ equity committed (when the scenario states it)",
    ),
];

impl Metrics {
    /// The figures of `flows` (from `inputs`, with `debt`).
    pub fn of(inputs: &Inputs, terms: &Terms, debt: &Debt, flows: &Cashflows) -> Metrics {
        let ppy = terms.periods_per_year;
        let rows = &flows.rows;
        let project: Vec<f64> = rows.iter().map(|r| r.project_cf_eur).collect();
        let equity: Vec<f64> = rows.iter().map(|r| r.equity_cf_eur).collect();
        let annual = |r: Option<f64>| r.map(|r| (1.0 + r).powf(ppy) - 1.0);
        let dscrs: Vec<f64> = rows.iter().filter_map(|r| r.dscr).collect();
        let min = |v: &[f64]| v.iter().copied().reduce(f64::min);
        let llcrs: Vec<f64> = rows.iter().filter_map(|r| r.llcr).collect();
        let mut cumulative = 0.0;
        let mut payback = None;
        let mut was_negative = false;
        for (p, cf) in project.iter().enumerate() {
            cumulative += cf;
            was_negative |= cumulative < 0.0;
            if was_negative && cumulative >= 0.0 {
                payback = Some((p + 1) as f64 / ppy);
                break;
            }
        }
        let discount = |v: &[f64]| -> f64 { npv(v, terms.discount_rate, ppy) };
        let capex: Vec<f64> = rows.iter().map(|r| r.capex_eur).collect();
        let opex: Vec<f64> = rows.iter().map(|r| r.opex_eur).collect();
        let mut terminal = vec![0.0; rows.len()];
        if let Some(t) = terminal.last_mut() {
            *t = flows.terminal_value_eur;
        }
        let hours_pv = discount(&inputs.gpu_hours);
        let lcoc = (hours_pv > 0.0)
            .then(|| (discount(&capex) + discount(&opex) - discount(&terminal)) / hours_pv);
        let tokens: f64 = inputs.tokens.iter().sum();
        let inference_hours: f64 = inputs.inference_gpu_hours.iter().sum();
        let cost_per_mtok = lcoc
            .filter(|_| tokens > 0.0)
            .map(|l| l * inference_hours / tokens * 1e6);
        let scale = flows.uses.total().max(1.0);
        let tolerance = 1e-9 * scale;
        let equity_paid: f64 = rows.iter().map(|r| r.equity_drawn_eur).sum();
        let checks = [
            (flows.sources.total() - flows.uses.total()).abs() <= tolerance,
            rows.iter()
                .all(|r| r.cash_eur >= -tolerance && r.dsra_eur >= -tolerance),
            rows.iter()
                .skip(debt.maturity + 1)
                .chain(rows.get(debt.maturity))
                .all(|r| r.debt_closing_eur.abs() <= tolerance),
            rows.iter().all(|r| r.balance_gap_eur.abs() <= tolerance),
            debt.converged,
            terms
                .equity_committed_eur
                .is_none_or(|c| equity_paid <= c * (1.0 + 1e-9)),
        ];
        let dscr_min = min(&dscrs);
        Metrics {
            capex_total_eur: capex.iter().sum(),
            npv_eur: discount(&project),
            project_irr: annual(irr_per_period(&project)),
            equity_irr: annual(irr_per_period(&equity)),
            dscr_min,
            dscr_avg: (!dscrs.is_empty()).then(|| dscrs.iter().sum::<f64>() / dscrs.len() as f64),
            llcr_min: min(&llcrs),
            debt_eur: rows
                .get(debt.construction_end)
                .map_or(0.0, |r| r.debt_closing_eur),
            equity_eur: equity_paid,
            payback_years: payback,
            lcoc_eur_per_gpu_hour: lcoc,
            cost_eur_per_mtok: cost_per_mtok,
            covenant_breached: dscr_min.is_some_and(|d| d < terms.covenant_dscr),
            checks,
        }
    }

    /// Whether every check holds.
    pub fn all_checks_pass(&self) -> bool {
        self.checks.iter().all(|c| *c)
    }
}

/// One replication through the model: its inputs, cash flows and figures.
#[derive(Clone, Debug)]
pub struct Case {
    /// Inputs from the simulation.
    pub inputs: Inputs,
    /// The waterfall.
    pub flows: Cashflows,
    /// Headline figures.
    pub metrics: Metrics,
}

impl Case {
    /// Runs `inputs` through the waterfall with `terms` and `debt`, and reads its figures.
    pub fn of(inputs: Inputs, terms: &Terms, debt: &Debt) -> Case {
        let flows = run(&inputs, terms, debt);
        let metrics = Metrics::of(&inputs, terms, debt, &flows);
        Case {
            inputs,
            flows,
            metrics,
        }
    }
}

/// The lender's base case: the scenario at its medians (replication 0), dispatched under its
/// policy, with the debt sized on it (made by `study::pipeline::base_case`).
#[derive(Clone, Debug)]
pub struct BaseCase {
    /// The financing terms.
    pub terms: Terms,
    /// The debt, as every replication then carries it.
    pub debt: Debt,
    /// The base case itself.
    pub case: Case,
}
