//! The financial model: a project-finance cash-flow waterfall over the scenario's periods, with debt
//! sculpted to a target DSCR on the lender's base case, and the figures lenders read (CFADS, DSCR,
//! LLCR, PLCR, IRRs, NPV, payback, levelised cost of compute, sources & uses, checks).
//!
//! Conventions (stated in every output):
//! - **Money**: EUR, at constant prices (no indexation; a generation's market GPU-hour price falls
//!   with its age, contract prices hold or escalate as each contract states). Catalog prices arrive
//!   in EUR, converted once at load with `eur_per_currency`.
//! - **Timing**: every flow falls at the end of its period; discounting is from the scenario start at
//!   `(1 + r)^(t in years)`; interest accrues at `annual rate × period months / 12` on the opening
//!   balance.
//! - **Construction** runs from the start to the commercial operation date (COD), the end of the
//!   first period in which the initial build (refreshes excluded) is paid for and passes the
//!   completion test: `completion_share` of its GPUs work. The base case's COD is the scheduled
//!   one; each case has its own, up to the long-stop (`long_stop_months` later), past which the
//!   loan converts anyway and the delay is recorded as an event of default.
//!   Each construction period's funding need (capex, interest during construction (IDC), the
//!   arrangement fee at financial close, the initial DSRA at COD and tax, less what operations
//!   already earn) is met by cash retained earlier, then grants until spent, then debt and equity
//!   pro rata at the debt share, the debt up to its commitment, equity for the rest.
//! - **Term loan**: the construction facility converts at the case's own COD and is repaid over the
//!   tenor on a schedule of repayments in % of the converted balance, counted in periods from COD —
//!   the sculpted profile of the base case, as a term sheet would state it, so a later completion
//!   moves the repayments with it (interest capitalises until then). Interest is on the actual
//!   balance; in periods (after COD) where the base case's CFADS was not positive, every case
//!   capitalises the interest it accrues, so no debt service falls due there. A maturity past the
//!   horizon is not called: what is outstanding there is settled from the terminal value.
//! - **Tranches**: with a GPU facility (`[finance.gpu_facility]`), the initial build's GPUs are
//!   financed apart by a delayed-draw loan: each purchase draws `advance_rate` of its cost (scaled
//!   down to what the contracts cover), each draw accrues interest as IDC until COD (or converts
//!   when drawn, after it) and is repaid by its own maturity, `tenor_years` after the draw, in
//!   service proportional to the base case's contracted cash flow (contract revenue less
//!   prepayments credited and its share of opex and tax) — so a contract ending early repays it
//!   first. It is sized on that cash flow at the target DSCR and never swept; its rate floats on
//!   each case's base rate, as the infrastructure facility's does. What it does not
//!   advance is funded like every other use (cash, grants, then the infrastructure facility and
//!   equity pro rata); the infrastructure facility is the term loan above, sculpted on CFADS less
//!   the target × the GPU facility's service, with gearing over what it, equity and grants fund.
//! - **DSRA**: funded at COD with the next `dsra_months` of periods that owe service (periods that
//!   capitalise are skipped, so the reserve is full when repayments start), topped up after.
//! - **Debt sizing** (on the base case, `Scenario::at_medians`): sculpted debt = PV at the term rate
//!   of base-case CFADS over the tenor ÷ target DSCR; the gearing cap = max gearing × the external
//!   funding need (what debt, equity and grants fund: total uses less operating cash and
//!   prepayments before COD). The lower binds. When the cap binds, debt service is CFADS × debt ÷ PV(CFADS), so the DSCR is flat
//!   above target. Both depend on the debt itself (IDC, fees, DSRA, tax shield), so sizing iterates to
//!   a fixed point, and says whether it converged (a check).
//! - **Prepayments** of contracts are cash, not income: received at signing, deferred revenue until
//!   credited against invoices; the change enters CFADS as working capital and the construction
//!   funding as a source, and what is unearned at the horizon is owed back from the terminal value.
//! - **Waterfall** after COD, per period: CFADS = revenue − opex − tax − capex + prepayments received
//!   − credited (capex after COD is funded from cash flow) → interest → scheduled principal → DSRA top-up (target: the next
//!   `dsra_months` of scheduled debt service) → cash sweep → distributions, unless the period's DSCR
//!   is below the lock-up level, in which case cash is trapped until a period passes. A shortfall is
//!   met from the DSRA, then trapped cash, then a sponsor injection (an equity contribution), so cash
//!   is never negative; such a period has a DSCR below 1.
//! - **Reinvestment** (GPUs a `[[reinvestments]]` rule bought from operating cash) is a restricted
//!   payment, not capex before debt service: CFADS excludes it, and it is paid after the sweep out
//!   of what equity would receive (cash held included), the rest by the sponsors — all of it by
//!   them in a locked-up period, when nothing may be paid out. Before COD it is paid from cash
//!   held, then by the sponsors; it never draws a facility.
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
mod case;
mod debt;
mod gpu;
mod inputs;
mod metrics;
mod phases;
mod public;
mod reinvest;
mod sizing;
pub mod summary;
mod waterfall;

pub use build::{
    Prices, aged_price_eur, contract_value_eur, draw_prices, gpu_hour_prices_eur, inputs,
    inputs_by_site, market_price_eur, token_prices_eur_per_mtok,
};
pub use case::{BaseCase, Case};
pub use debt::{Binding, Debt, Schedule, Terms};
pub use gpu::{Draw, GpuBinding, GpuTerms, GpuTranche};
pub use inputs::{CapexLine, Class, Inputs};
pub use metrics::{CHECKS, Metrics, irr_per_period, npv};
pub use phases::{Financing, Phase, PhaseCase, PhaseInputs, phases, size_phases};
pub use public::{Viability, viability};
pub use reinvest::reinvestment_basis_eur;
pub use sizing::size;
pub use waterfall::{Cashflows, Row, Sources, Uses, contracted_cfads, run};
