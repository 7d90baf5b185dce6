//! The schema of every directory sovsim writes: each table with its columns (name, kind, meaning)
//! and each `summary.json` key (pattern, unit, meaning). Declared once: the builders in this module
//! make tables that must match it, the writer refuses a table that does not, the reader refuses a
//! file that lacks a column, and `sovsim outputs` and `reports/README.md` print it.

use crate::dispatch::summary::{MONTH_SERIES, PORTABILITY_FIGURES};
use crate::engine::aggregate::{SITE_SERIES, SKU_SERIES, SOURCE_SERIES};
use crate::finance::Class;
use crate::finance::summary::FIGURES;
use crate::study::sensitivity::Output;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Numbers.
    F64,
    /// Counts.
    U64,
    /// Text.
    Text,
    /// Text that may be missing.
    OptText,
    /// Numbers that may be missing.
    OptF64,
    /// True or false.
    Bool,
}

impl Kind {
    /// Whether the column holds numbers.
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::F64 | Kind::U64 | Kind::OptF64)
    }
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name, unit last (`capacity_mw`).
    pub name: String,
    /// What it holds.
    pub kind: Kind,
}

/// Columns documented together: `cluster, operator, site` — ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// How the documentation names them.
    pub label: String,
    /// What they mean.
    pub meaning: String,
    /// The columns, in table order.
    pub columns: Vec<Column>,
}

/// Which directory holds a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// `sovsim run`.
    Run,
    /// `sovsim sensitivity` (and the `tornado` of every financed run).
    Sensitivity,
    /// `sovsim inventory`.
    Inventory,
    /// `sovsim optimize`.
    Plan,
    /// `sovsim compare`.
    Compare,
    /// `sovsim sweep merge`.
    Sweep,
}

/// A table: its file stem, what a row is, its columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// File stem: `NAME.parquet` and `NAME.csv`.
    pub stem: &'static str,
    /// What a row is.
    pub row: &'static str,
    /// The columns, documented in groups, in table order.
    pub groups: Vec<Group>,
    /// The directories that hold it.
    pub dirs: &'static [Dir],
}

impl TableSpec {
    /// Every column, in order.
    pub fn columns(&self) -> impl Iterator<Item = &Column> {
        self.groups.iter().flat_map(|g| &g.columns)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns().find(|c| c.name == name)
    }

    /// Whether `columns` (name and kind, in order) are exactly this table's; else every difference.
    ///
    /// # Errors
    /// The differences in words: missing, unexpected, out of order or of another kind.
    pub fn check<'a>(
        &self,
        columns: impl IntoIterator<Item = (&'a str, Kind)>,
    ) -> Result<(), Vec<String>> {
        let given: Vec<(&str, Kind)> = columns.into_iter().collect();
        let mut problems = Vec::new();
        for c in self.columns() {
            match given.iter().find(|(n, _)| *n == c.name) {
                None => problems.push(format!("no column `{}`", c.name)),
                Some((_, k)) if *k != c.kind => problems.push(format!(
                    "column `{}` holds {k:?}, the schema says {:?}",
                    c.name, c.kind
                )),
                Some(_) => {}
            }
        }
        for (n, _) in &given {
            if self.column(n).is_none() {
                problems.push(format!("column `{n}` is not in the schema"));
            }
        }
        if problems.is_empty()
            && !self
                .columns()
                .map(|c| c.name.as_str())
                .eq(given.iter().map(|g| g.0))
        {
            problems.push("columns are not in the schema's order".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// A `summary.json` key: its pattern (`{q}`: `p10`, `p50`, `p90`; other `{…}`: an id or key),
/// unit and meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// The key, or keys separated by `, `, with placeholders.
    pub pattern: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

impl Key {
    /// Whether `key` is one this pattern stands for.
    pub fn matches(&self, key: &str) -> bool {
        self.pattern.split(", ").any(|p| pattern_matches(p, key))
    }
}

/// Whether `key` fits `pattern`: literal parts equal, `{q}` one of the quantile labels, any other
/// placeholder one or more characters of an id.
fn pattern_matches(pattern: &str, key: &str) -> bool {
    let Some(open) = pattern.find('{') else {
        return pattern == key;
    };
    let Some(close) = pattern[open..].find('}').map(|c| open + c) else {
        return pattern == key;
    };
    let (head, name, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let Some(rest) = key.strip_prefix(head) else {
        return false;
    };
    if name == "q" {
        return ["p10", "p50", "p90"].iter().any(|q| {
            rest.strip_prefix(q)
                .is_some_and(|r| pattern_matches(tail, r))
        });
    }
    // An id or key: try every split, shortest first.
    (1..=rest.len()).any(|n| {
        rest.is_char_boundary(n)
            && rest[..n]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && pattern_matches(tail, &rest[n..])
    })
}

/// Whether `key` is a `summary.json` key of a run.
pub fn is_summary_key(key: &str) -> bool {
    summary_key(key).is_some()
}

/// The documentation of a `summary.json` key of a run.
pub fn summary_key(key: &str) -> Option<&'static Key> {
    SUMMARY_KEYS
        .iter()
        .chain(DISPATCH_KEYS)
        .chain(FINANCE_KEYS)
        .chain(COMPARE_DISPATCH_KEYS)
        .chain(REINVESTMENT_KEYS)
        .chain(DEFENCE_KEYS)
        .find(|k| k.matches(key))
}

/// The run's keys.
pub const SUMMARY_KEYS: &[Key] = &[
    k("scenario_name", "—", "the scenario's `name`"),
    k(
        "case",
        "—",
        "`base`, or the case simulated with `--case` (its inputs and overrides applied; debt sized on the base case)",
    ),
    k("runs", "replications", "Monte Carlo replications run"),
    k(
        "inputs_stated",
        "figures",
        "figures the scenario file states about the world (numbers and distributions in its operators, sites, power, halls, clusters, demand, finance and contracts)",
    ),
    k(
        "inputs_stated_estimates",
        "figures",
        "of those, figures whose line's comment says ESTIMATE",
    ),
    k(
        "inputs_stated_unsourced",
        "figures",
        "of those, figures whose line carries no comment (neither a source nor ESTIMATE)",
    ),
    k(
        "inputs_catalog",
        "figures",
        "catalog figures and defaults the run used (the `assumptions` rows from `data/`)",
    ),
    k(
        "inputs_catalog_estimates",
        "figures",
        "of those, figures the catalog marks as ESTIMATE",
    ),
    k(
        "inputs_estimated_share",
        "fraction",
        "estimates among all the figures the run used, stated and catalog (empty if none)",
    ),
    k(
        "sovereignty_score_pct_mean",
        "%",
        "Cloud Sovereignty Framework score of the planned clusters, weighted by IT power: Σ weight × SEAL ÷ 4 over the eight objectives (the `seal` table); null without planned GPUs",
    ),
    k(
        "sovereignty_score_pct_min",
        "%",
        "the lowest such score of a planned cluster; null without planned GPUs",
    ),
    k(
        "validation_cases",
        "cases",
        "published figures checked against sovsim with the catalog the run used (VALIDATION.md); absent if the catalog lacks a figure a case needs",
    ),
    k(
        "validation_passed",
        "cases",
        "of those, reproduced within their tolerance",
    ),
    k("seed", "—", "seed of every random stream"),
    k(
        "representative_replication",
        "index",
        "replication whose region milestones lie closest to their P50; its events are in `events.parquet`",
    ),
    k("horizon_start_date", "date", "first day simulated"),
    k("horizon_end_date", "date", "last month boundary simulated"),
    k(
        "planned_gpus",
        "GPUs",
        "GPUs the scenario orders (refreshes aside)",
    ),
    k(
        "planned_it_capacity_mw",
        "MW",
        "IT power of those GPUs at all-in power",
    ),
    k(
        "it_capacity_mw_end_{q}",
        "MW",
        "IT capacity online (energised GPUs, working or in repair) at the end of the horizon, region",
    ),
    k(
        "gpus_operational_end_{q}",
        "GPUs",
        "GPUs energised and working at the end of the horizon, region",
    ),
    k(
        "gpus_installed_end_{q}",
        "GPUs",
        "GPUs installed and not retired at the end of the horizon, region",
    ),
    k(
        "energy_twh_total_{q}",
        "TWh",
        "facility energy over the horizon, region",
    ),
    k(
        "emissions_mtco2_total_{q}",
        "MtCO₂",
        "emissions of that energy: grid at the country's location-based intensity, on-site plants' direct emissions",
    ),
    k(
        "date_first_power_{q}",
        "date",
        "first firm power at any site; null if not reached within the horizon at that percentile",
    ),
    k(
        "date_first_gpu_{q}",
        "date",
        "first GPU energised anywhere; null if not reached",
    ),
    k(
        "date_first_gw_{q}",
        "date",
        "energised IT capacity first reaches 1 GW; null if not reached (or if the scenario plans less)",
    ),
    k(
        "date_full_capacity_{q}",
        "date",
        "every GPU the scenario orders has been energised; null if not reached",
    ),
];

/// Keys the dispatch adds (`{tier}`: each tier id).
pub const DISPATCH_KEYS: &[Key] = &[
    k(
        "dispatch_policy",
        "—",
        "policy of the dispatch keys below: `siloed` (each demand on its own operators' clusters) or `grid` (pooled)",
    ),
    k(
        "utilisation_mean_{q}",
        "fraction",
        "GPU-hours used ÷ operational GPU-hours over the horizon, region",
    ),
    k(
        "stranded_gpu_hours_{q}",
        "GPU-hours",
        "GPU-hours idle under the policy that demand it left unserved could have used under pooling (tier rules and efficiencies respected); 0 under `grid`",
    ),
    k(
        "stranded_gpu_hours_share_{q}",
        "fraction",
        "stranded ÷ operational GPU-hours over the horizon",
    ),
    k(
        "gpu_hours_sold_total_{q}",
        "GPU-hours",
        "GPU-hours used by training and inference over the horizon (a defence's screening included, which `[finance]` does not bill)",
    ),
    k(
        "tokens_served_total_{q}",
        "tokens",
        "inference output tokens served over the horizon",
    ),
    k(
        "tokens_unserved_total_{q}",
        "tokens",
        "inference output tokens asked for and not served",
    ),
    k(
        "training_queue_delay_days_mean_{q}",
        "days",
        "mean wait of started training runs for a block of one generation; null if no run started",
    ),
    k(
        "training_queue_delay_days_p90_{q}",
        "days",
        "P90 over runs of that wait within a replication; null if no run started",
    ),
    k(
        "training_runs_completed_{q}",
        "runs",
        "training runs finished within the horizon",
    ),
    k(
        "training_runs_cancelled_{q}",
        "runs",
        "training runs that arrived but found no block within the horizon",
    ),
    k(
        "sovereign_demand_served_share_{tier}_{q}",
        "fraction",
        "share of the tier's demanded compute served (FLOP: 2 · active parameters per token, catalog FLOPs per run); null for a tier nobody asks for",
    ),
    k(
        "compute_forgone_gpu_hours_{q}",
        "GPU-hours",
        "under the scenario's policy, the GPU-hours the demand left unserved would have needed at its fastest eligible cluster, over the horizon (the `forgone` table has each owner and year)",
    ),
    k(
        "revenue_forgone_eur_{q}",
        "EUR",
        "what that demand would have paid at the scenario's market prices (tokens at the token price where the scenario sells tokens): revenue forgone for lack of compute; null without a `[finance]` section",
    ),
];

/// Keys added by `--compare-dispatch`.
pub const COMPARE_DISPATCH_KEYS: &[Key] = &[
    k(
        "{key}_siloed_{q}, {key}_grid_{q}",
        "as `{key}`",
        "every dispatch key above (but `dispatch_policy`) under each policy, same replications and demand",
    ),
    k(
        "grid_recovered_gpu_hours_{q}",
        "GPU-hours",
        "GPU-hours used under `grid` minus under `siloed`, per replication: what the compute grid recovers",
    ),
    k(
        "grid_recovered_share_{q}",
        "fraction",
        "that ÷ operational GPU-hours",
    ),
    k(
        "portability_value_eur_per_year_{q}",
        "EUR per year",
        "the value of a compute portability standard under the scenario's policy: the GPU-hours that making all of the demand left unserved portable would put to use, at each month's market price of their generation, per year with operational capacity (the `portability` table has the levels between); null without a `[finance]` section",
    ),
    k(
        "portability_recovered_gpu_hours_{q}",
        "GPU-hours",
        "those GPU-hours over the horizon",
    ),
];

/// Keys added when the scenario has reinvestment rules (`[[reinvestments]]`).
pub const REINVESTMENT_KEYS: &[Key] = &[
    k(
        "reinvested_eur_{q}",
        "EUR",
        "GPUs the reinvestment rules ordered over the horizon × their price: operating cash turned into compute",
    ),
    k("reinvested_gpus_{q}", "GPUs", "those GPUs"),
    k(
        "reinvestment_unspent_eur_{q}",
        "EUR",
        "set aside and not spent at the horizon (less than a minimum order, or too late to arrive before it)",
    ),
    k(
        "flywheel_revenue_gain_eur_{q}",
        "EUR",
        "revenue over the horizon with reinvestment less the same replication's without it (the `flywheel` table has each year)",
    ),
];

/// Keys a scenario with `[[defences]]` adds: sums over every screened tier of each replication.
pub const DEFENCE_KEYS: &[Key] = &[
    k(
        "defence_screening_gpu_hours_{q}",
        "GPU-hours",
        "GPU-hours the screening proxies took over the horizon, run as the scenario states (the `defence` table has each tier and both ways)",
    ),
    k(
        "defence_screening_eur_{q}",
        "EUR",
        "those GPU-hours at their clusters' market GPU-hour prices; null without `[finance]`",
    ),
    k(
        "defence_tokens_leaked_per_provider_{q}",
        "tokens",
        "attack tokens served over the horizon with each provider screening alone",
    ),
    k(
        "defence_tokens_leaked_shared_{q}",
        "tokens",
        "the same with one shared service pooling the providers' detection signals",
    ),
];

/// Keys the financial model adds when the scenario has a `[finance]` section.
pub const FINANCE_KEYS: &[Key] = &[
    k(
        "finance_basis",
        "—",
        "currency, prices (nominal or constant) and tax basis of every money figure",
    ),
    k(
        "capex_total_eur",
        "EUR",
        "base case (every uncertain input at its median; the case debt is sized on, and the `cashflows` table): capital expenditure over the horizon",
    ),
    k(
        "capex_total_eur_{q}",
        "EUR",
        "capital expenditure over the horizon, over replications",
    ),
    k(
        "npv_eur",
        "EUR",
        "base case: NPV of post-tax unlevered project cash flows (terminal value = book value at the horizon) at the scenario's discount rate",
    ),
    k("npv_eur_{q}", "EUR", "that NPV, over replications"),
    k(
        "project_irr",
        "fraction/yr",
        "base case: project IRR, post-tax, unlevered; null if the flows never change sign",
    ),
    k(
        "project_irr_{q}",
        "fraction/yr",
        "project IRR, over replications",
    ),
    k(
        "equity_irr",
        "fraction/yr",
        "base case: equity IRR, post-tax, on equity paid in (injections included) against distributions",
    ),
    k(
        "equity_irr_{q}",
        "fraction/yr",
        "equity IRR, over replications",
    ),
    k(
        "dscr_min",
        "ratio",
        "base case: smallest CFADS ÷ debt service over the loan life (with several phases, the weakest phase's); null without debt service",
    ),
    k("dscr_min_{q}", "ratio", "smallest DSCR, over replications"),
    k(
        "dscr_avg",
        "ratio",
        "base case: mean DSCR over the loan life",
    ),
    k("dscr_avg_{q}", "ratio", "mean DSCR, over replications"),
    k(
        "llcr_min",
        "ratio",
        "base case: smallest LLCR (PV of CFADS to maturity at the loan rate, plus the DSRA, ÷ debt outstanding)",
    ),
    k("llcr_min_{q}", "ratio", "smallest LLCR, over replications"),
    k(
        "debt_eur",
        "EUR",
        "base case: senior debt outstanding at COD (draws and capitalised IDC)",
    ),
    k("debt_eur_{q}", "EUR", "debt at COD, over replications"),
    k(
        "equity_eur",
        "EUR",
        "base case: equity paid in over the horizon, sponsor injections included",
    ),
    k("equity_eur_{q}", "EUR", "equity paid in, over replications"),
    k(
        "payback_years",
        "years",
        "base case: years from the start until cumulative project cash flow turns non-negative; null if never",
    ),
    k("payback_years_{q}", "years", "payback, over replications"),
    k(
        "lcoc_eur_per_gpu_hour",
        "EUR/GPU-hour",
        "base case: levelised cost of compute, PV(capex + opex − terminal value) ÷ PV(operational GPU-hours) at the discount rate",
    ),
    k(
        "lcoc_eur_per_gpu_hour_{q}",
        "EUR/GPU-hour",
        "levelised cost of compute, over replications",
    ),
    k(
        "cost_eur_per_mtok",
        "EUR/Mtok",
        "base case: levelised cost of a million output tokens = LCOC × inference GPU-hours ÷ tokens served × 10⁶; null if none served",
    ),
    k(
        "cost_eur_per_mtok_{q}",
        "EUR/Mtok",
        "cost per million tokens, over replications",
    ),
    k(
        "debt_sizing_binding",
        "—",
        "which limit sized the debt: `sculpting` (CFADS at the target DSCR) or `gearing` (max gearing × the external funding need); `mixed` when phases differ",
    ),
    k(
        "debt_sculpted_eur",
        "EUR",
        "infrastructure facility: debt the base case's CFADS supports at the target DSCR, after the GPU facility's service at the target: PV at the loan rate of (CFADS − target × GPU service) over the tenor ÷ target (summed over phases, each on its own CFADS)",
    ),
    k(
        "debt_gearing_cap_eur",
        "EUR",
        "infrastructure facility: max gearing × the base case's external funding need: total uses less operating cash, prepayments and GPU-facility draws before COD, i.e. what it, equity and grants fund (summed over phases)",
    ),
    k(
        "debt_commitment_eur",
        "EUR",
        "every tranche: the infrastructure facility (the lower of its two limits) and the GPU facility, per phase, summed",
    ),
    k(
        "debt_gpu_commitment_eur",
        "EUR",
        "the GPU facility (0 without one): the lower of its advance rate × the initial GPUs' cost and the PV of the contracted cash flow (contract revenue less prepayments credited, the contracted GPU-hours' share of opex and the contracts' share of tax) over its draws' lives ÷ the target DSCR, per phase, summed",
    ),
    k(
        "debt_gpu_binding",
        "—",
        "which limit sized the GPU facility: `advance_rate` or `contract_cover`; `mixed` when phases differ; `none` without one",
    ),
    k(
        "debt_share",
        "fraction",
        "share of each construction funding need, after GPU-facility draws and grants, the infrastructure facility pays (equity the rest)",
    ),
    k(
        "phasing",
        "—",
        "`site` (each site financed on its own: its COD, its loan, its DSRA; the `phases` table) or `programme` (one project)",
    ),
    k(
        "phases",
        "count",
        "phases financed (rows of the `phases` table)",
    ),
    k(
        "viability_gap_npv_eur",
        "EUR",
        "base case: the grant at the start that brings the project's NPV at the discount rate to zero (0 if it is not negative) — the viability gap of a public programme",
    ),
    k(
        "viability_gap_equity_eur",
        "EUR",
        "base case: the grant beyond those stated that brings the equity IRR to `equity_hurdle_rate` (debt re-sized with it); 0 if already met; null without a hurdle or if no grant up to the funding need reaches it",
    ),
    k(
        "reference_gpu_hour_price_eur",
        "EUR/GPU-hour",
        "base case: what the capacity would fetch at market prices, PV(operational GPU-hours × the market price of their generation) ÷ PV(operational GPU-hours); held against `lcoc_eur_per_gpu_hour`",
    ),
    k(
        "cost_eur_per_sovereign_gpu_hour_{tier}",
        "EUR/GPU-hour",
        "base case: the programme's levelised cost (PV of capex + opex − terminal value) carried by the GPU-hours of the clusters that qualify for the tier; null if none works",
    ),
    k(
        "revenue_contracted_share",
        "fraction",
        "base case: revenue earned under contracts ÷ all revenue over the horizon (the rest is merchant, tokens and resale); null without revenue",
    ),
    k(
        "cod_date",
        "date",
        "scheduled commercial operation date (the base case's) of the phase completing last: end of the first period in which its initial build is paid for and `completion_share` of its GPUs work; each phase's loan converts at its own COD, and each replication's repayments run from its own",
    ),
    k(
        "cod_long_stop_date",
        "date",
        "the long-stop of that phase: `long_stop_months` after its scheduled COD; a later COD converts the loan then and is an event of default",
    ),
    k(
        "debt_maturity_date",
        "date",
        "end of the base case's last repayment period (the tenor after COD, within the horizon)",
    ),
    k(
        "dscr_covenant",
        "ratio",
        "DSCR the risk figure tests: `default_dscr`, else `lockup_dscr`, else 1.0",
    ),
    k(
        "dscr_min_below_covenant_probability",
        "fraction",
        "share of replications whose smallest DSCR falls below the covenant (replications without debt service count as not breaching)",
    ),
    k(
        "long_stop_breach_probability",
        "fraction",
        "share of replications (with debt) in which some phase's commercial operation comes after its long-stop, or never",
    ),
    k(
        "revenue_total_eur",
        "EUR",
        "base case: revenue over the horizon",
    ),
    k("opex_total_eur", "EUR", "base case: opex over the horizon"),
    k(
        "tax_total_eur",
        "EUR",
        "base case: tax paid over the horizon",
    ),
    k(
        "distributions_total_eur",
        "EUR",
        "base case: distributions to equity over the horizon",
    ),
    k(
        "terminal_value_eur",
        "EUR",
        "base case: book value of the assets at the horizon, counted in the last period",
    ),
    k(
        "uses_{use}_eur",
        "EUR",
        "base case, construction: each use of funds (`capex_land`, `capex_power`, `capex_shell`, `capex_gpus`, `capex_gpu_refresh`, `capex_gpu_reinvested`, `idc`, `fees`, `dsra`, `tax`) and `total`",
    ),
    k(
        "sources_{source}_eur",
        "EUR",
        "base case, construction: each source of funds (`grants`, `equity`, `debt` of the infrastructure facility, `gpu_debt` of the GPU facility, `prepayments` from contracts, `operations`) and `total`",
    ),
    k(
        "finance_checks_passed",
        "bool",
        "every check of the base case holds (the `finance_checks` table lists them)",
    ),
    k(
        "finance_check_failures",
        "replications",
        "replications failing at least one check",
    ),
];

const fn k(pattern: &'static str, unit: &'static str, meaning: &'static str) -> Key {
    Key {
        pattern,
        unit,
        meaning,
    }
}

/// One column documented alone.
fn one(name: &str, kind: Kind, meaning: &str) -> Group {
    some(&[name], kind, meaning)
}

/// Columns of one kind documented together.
fn some(names: &[&str], kind: Kind, meaning: &str) -> Group {
    Group {
        label: names.join(", "),
        meaning: meaning.to_owned(),
        columns: names
            .iter()
            .map(|n| Column {
                name: (*n).to_owned(),
                kind,
            })
            .collect(),
    }
}

/// `name_p10`, `name_p50`, `name_p90`.
fn quantiles(name: &str, kind: Kind, meaning: &str) -> Group {
    let names: Vec<String> = ["p10", "p50", "p90"]
        .iter()
        .map(|q| format!("{name}_{q}"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    some(&refs, kind, meaning)
}

/// Columns documented under one label.
fn labelled(label: &str, meaning: &str, columns: Vec<(String, Kind)>) -> Group {
    Group {
        label: label.to_owned(),
        meaning: meaning.to_owned(),
        columns: columns
            .into_iter()
            .map(|(name, kind)| Column { name, kind })
            .collect(),
    }
}

/// The keys of a monthly table: month, date, site.
fn month_site() -> Vec<Group> {
    vec![
        one(
            "month",
            Kind::U64,
            "months since the start (0 = the start date)",
        ),
        one("date", Kind::Text, "the boundary's date"),
        one("site", Kind::Text, "site id, or `region`"),
    ]
}

fn series(groups: &mut Vec<Group>, series: &[(&str, &str)]) {
    groups.extend(
        series
            .iter()
            .map(|(name, meaning)| quantiles(name, Kind::F64, meaning)),
    );
}

/// Every table of every directory sovsim writes, built once.
pub fn tables() -> &'static [TableSpec] {
    static TABLES: std::sync::LazyLock<Vec<TableSpec>> = std::sync::LazyLock::new(build_tables);
    &TABLES
}

fn build_tables() -> Vec<TableSpec> {
    use Kind::*;
    const RUN: &[Dir] = &[Dir::Run];
    let mut t = Vec::new();

    let mut groups = month_site();
    series(&mut groups, &SITE_SERIES);
    t.push(TableSpec {
        stem: "timeseries",
        row: "one month boundary × one site (and `region`, their sum)",
        groups,
        dirs: RUN,
    });
    let mut groups = month_site();
    groups.push(one(
        "source",
        Text,
        "`grid` or the technology id of on-site power",
    ));
    series(&mut groups, &SOURCE_SERIES);
    t.push(TableSpec {
        stem: "timeseries_power",
        row: "one month boundary × one site (and `region`) × one power source (`grid` or an on-site technology id)",
        groups,
        dirs: RUN,
    });
    let mut groups = month_site();
    groups.push(one("sku", Text, "accelerator id"));
    series(&mut groups, &SKU_SERIES);
    t.push(TableSpec {
        stem: "timeseries_gpus",
        row: "one month boundary × one site (and `region`) × one accelerator SKU",
        groups,
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "milestones",
        row: "one milestone of the region (`first_power`, `first_gpu`, `gw_1`, `gw_2`, …, `full_capacity`) or of a site (`first_power`, `first_gpu`, `full_capacity`)",
        groups: vec![
            one("site", Text, "site id, or `region`"),
            one("milestone", Text, "milestone name"),
            quantiles(
                "date",
                OptText,
                "dates over replications (nearest rank); empty when not reached within the horizon",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "delays",
        row: "one site × one cause of delay (`permit`, `grid`, `onsite_power`, `power_shortfall`, `shell`, `gpus`) or `total`",
        groups: vec![
            one("site", Text, "site id"),
            one(
                "cause",
                Text,
                "what installed GPUs waited for; `gpus`: GPUs still in transit after the date their median lead and installation times promised",
            ),
            one(
                "months_mean",
                F64,
                "months each GPU of the site came online late, on average over replications; the causes' means add up to the total's",
            ),
            quantiles("months", F64, "the same over replications"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "sovereignty",
        row: "one cluster × one sovereignty tier of the scenario",
        groups: vec![
            some(&["cluster", "operator", "site"], Text, "ids"),
            one("tier", Text, "tier id"),
            one(
                "qualifies",
                Bool,
                "whether every clause of the tier holds for the cluster's operator and site",
            ),
            one(
                "failed_clauses",
                Text,
                "each failing clause in words, e.g. `US holds 30 % (limit 24 %)`, separated by `; `",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "seal",
        row: "one cluster × one objective of the European Commission's Cloud Sovereignty Framework (`sovsim catalog csf-objectives`)",
        groups: vec![
            some(&["cluster", "operator", "site"], Text, "ids"),
            one("objective", Text, "objective id, `SOV-1` … `SOV-8`"),
            one("objective_name", Text, "objective name"),
            one("weight_pct", F64, "the objective's weight in the score [%]"),
            one(
                "seal",
                U64,
                "SEAL level reached, 0–4: the highest n at which every criterion of levels 1 to n holds (`sovsim catalog csf-criteria`)",
            ),
            one(
                "next_level_fails_on",
                Text,
                "each criterion of the next level that fails, in words, separated by `; `; empty at SEAL-4",
            ),
            one(
                "score_pct",
                F64,
                "the cluster's weighted score, Σ weight × SEAL ÷ 4 [% of the best], the same on each of its rows (ESTIMATE: the framework scores contributing factors; sovsim scores each objective by its level)",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "assumptions",
        row: "one figure the run used: a catalog value of an entity in the scenario, a default that filled a field the scenario left out, a financing term the scenario states, or another figure its file states",
        groups: vec![
            one(
                "subject",
                Text,
                "`<catalog table> <id>`, `defaults`, `finance` or `scenario`",
            ),
            one(
                "field",
                Text,
                "catalog column, default key, finance key, or the field path in the scenario file (`grid_connections[0].queue_wait_months`)",
            ),
            one(
                "value",
                Text,
                "as used (finance prices: the median); a scenario file's figure as written",
            ),
            one("unit", Text, "unit of the value"),
            some(
                &["source", "source_date"],
                Text,
                "the catalog row's source (`data/`); for a figure of the scenario file, `file:line` and the comment on its line",
            ),
            one(
                "estimate",
                Bool,
                "whether the catalog marks the figure as an ESTIMATE, or the scenario file's comment on its line says ESTIMATE",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "validation",
        row: "one published figure sovsim reproduces through its own code with the catalog the run used (the cases of VALIDATION.md); absent if that catalog lacks a figure a case needs",
        groups: vec![
            one("case", Text, "identifier of the reference case"),
            one("figure", Text, "what is compared, in words"),
            one("unit", Text, "unit of the published figure and of sovsim's"),
            some(
                &["published_low", "published_high"],
                F64,
                "the published range (both the same for one value)",
            ),
            one("sovsim", F64, "sovsim's figure"),
            one(
                "difference",
                F64,
                "sovsim's figure over the published one, minus 1 (from the nearer end of a range, 0 inside it)",
            ),
            one("tolerance", F64, "largest difference that passes, as a fraction"),
            one("passes", Bool, "whether the difference is within the tolerance"),
            one(
                "basis",
                Text,
                "`independent` (no catalog figure used was derived from the source) or `calibrated` (one was: the case guards that calibration)",
            ),
            one("source", Text, "where the published figure comes from"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "events",
        row: "one event of the representative replication, in the order it happened",
        groups: vec![
            one("replication", U64, "replication index"),
            one("time_h", U64, "hours since the start date"),
            one("date", Text, "calendar date"),
            one(
                "event",
                Text,
                "`LandAcquired`, `PermitGranted`, `GridConnected`, `PowerCommissioned`, `PowerOutageStarted`, `PowerRestored`, `ShellPhaseCompleted`, `GpusOrdered`, `GpusDelivered`, `GpusHeld` (by a supply cap), `GpusInstalled`, `ClusterEnergised`, `GpusCurtailed`, `GpusRestored`, `ClusterRetired`; and at each month's end, per cluster, `GpusFailed` and `GpusRepaired` (in the month) and `GpuHoursLost` (GPU-hours in repair in the month)",
            ),
            one("site", Text, "site id"),
            one(
                "entity_kind",
                Text,
                "`site`, `grid_connection`, `power_asset`, `shell_phase` or `cluster`",
            ),
            one(
                "entity",
                Text,
                "its id (`hall#phase` for shell phases, numbered from 1)",
            ),
            one("gpus", U64, "GPUs concerned (0 for other events)"),
            one(
                "gpu_hours",
                F64,
                "GPU-hours GPUs spent in repair in the month ending here (`GpuHoursLost`; 0 for other events)",
            ),
        ],
        dirs: RUN,
    });
    dispatch_tables(&mut t);
    finance_tables(&mut t);
    investor_tables(&mut t);
    inventory_tables(&mut t);
    plan_tables(&mut t);
    t.push(TableSpec {
        stem: "comparison",
        row: "one headline figure × one statistic × one buildout",
        groups: vec![
            one("figure", Text, "the figure, for people"),
            one("key", Text, "its `summary.json` key (or table)"),
            one("unit", Text, "its unit"),
            one(
                "statistic",
                Text,
                "`p10`, `p50`, `p90`, or `base` (the base case)",
            ),
            one("buildout", Text, "the buildout's label"),
            one(
                "value",
                OptF64,
                "its value; empty for a date or where undefined",
            ),
            one("date", OptText, "its value, for a date"),
            one(
                "difference",
                OptF64,
                "value − the first buildout's (days for a date); empty for the first",
            ),
        ],
        dirs: &[Dir::Compare],
    });
    t
}

/// The merged table of a sweep: one row per case, its inputs, then the outputs it keeps. Its
/// columns depend on the sweep: `levers` are the levers its cases move, `outputs` the
/// `summary.json` keys kept, each with the kind its values have (`OptF64` or, for dates,
/// `OptText`).
pub fn sweep_table(levers: &[&str], outputs: &[(&str, Kind)], targets: &[String]) -> TableSpec {
    use Kind::{Text, U64};
    let mut groups = vec![
        one(
            "case_id",
            Text,
            "the case's id: 16 hex digits of the SHA-256 of what it runs (its base scenario's files, overrides, case, lever changes, the sweep's seed); its result is `cases/<case_id>.json`",
        ),
        one("index", U64, "its place in the plan, from 0"),
        one(
            "seed",
            U64,
            "the seed of its replications: derived from its id (`seeds = \"per-case\"`) or the sweep's (`\"common\"`)",
        ),
        one("runs", U64, "its replications"),
        one("scenario", Text, "its base scenario's `name`"),
        one(
            "overrides",
            Text,
            "the named overrides it applies, joined by `+`; `none`",
        ),
        one(
            "case",
            Text,
            "the scenario's named case it runs (`[cases.NAME]`), or `base`",
        ),
    ];
    if !levers.is_empty() {
        groups.push(labelled(
            "{lever}",
            "one column per lever the sweep moves (`sovsim run --change LEVER=VALUE`): its change, in the lever's unit (a fraction, points of a rate, or months added); 0 for a case that leaves it alone",
            levers.iter().map(|l| ((*l).to_owned(), Kind::F64)).collect(),
        ));
    }
    if !outputs.is_empty() {
        groups.push(labelled(
            "{output}",
            "one column per `summary.json` key kept (`outputs`: an output with percentiles gives `_p10`, `_p50` and `_p90`), as `sovsim run` of the case alone writes it; empty where the run leaves it null",
            outputs.iter().map(|(k, kind)| ((*k).to_owned(), *kind)).collect(),
        ));
    }
    if !targets.is_empty() {
        groups.push(labelled(
            "meets_{target}",
            "one column per target (`[[targets]]`): whether the case's output passes its test (`at_least` or `at_most` a number or a date); a null output does not",
            targets.iter().map(|t| (t.clone(), Kind::Bool)).collect(),
        ));
    }
    TableSpec {
        stem: "sweep",
        row: "one case of a sweep, in plan order",
        groups,
        dirs: &[Dir::Sweep],
    }
}

fn policy() -> Group {
    one("policy", Kind::Text, "`siloed` or `grid`")
}

fn dispatch_tables(t: &mut Vec<TableSpec>) {
    use Kind::*;
    const RUN: &[Dir] = &[Dir::Run];
    let mut groups = vec![
        policy(),
        one("month", U64, "months since the start (0 = the start date)"),
        one("date", Text, "the month's first day"),
    ];
    series(&mut groups, &MONTH_SERIES);
    t.push(TableSpec {
        stem: "dispatch",
        row: "one policy × one month, region-wide",
        groups,
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "utilisation",
        row: "one policy × one cluster",
        groups: vec![
            policy(),
            some(&["cluster", "operator", "site", "sku"], Text, "ids"),
            quantiles(
                "utilisation",
                F64,
                "GPU-hours used ÷ operational GPU-hours of the cluster over the horizon",
            ),
            quantiles(
                "stranded_gpu_hours",
                F64,
                "its stranded GPU-hours over the horizon",
            ),
            quantiles(
                "available_gpu_hours",
                F64,
                "its operational GPU-hours over the horizon",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "demand",
        row: "one policy × one inference demand or training campaign",
        groups: vec![
            policy(),
            some(
                &["demand", "kind", "tier"],
                Text,
                "demand id, `inference` or `training`, tier id",
            ),
            quantiles(
                "served_share",
                OptF64,
                "inference: share of tokens served; empty for training",
            ),
            some(
                &["runs_p50", "runs_cancelled_p50"],
                OptF64,
                "training: runs arrived within the horizon, and those never started (P50)",
            ),
            quantiles(
                "queue_delay_days_mean",
                OptF64,
                "training: mean wait of started runs; empty if none started",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "sold",
        row: "one policy × one year of the horizon × one accelerator SKU: what the financial model sells",
        groups: vec![
            policy(),
            one(
                "year",
                U64,
                "year of the horizon (0 = the first twelve months)",
            ),
            one("sku", Text, "accelerator id"),
            quantiles(
                "gpu_hours",
                F64,
                "GPU-hours used (training and inference)",
            ),
            quantiles("tokens", F64, "output tokens served"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "flywheel",
        row: "one year of the horizon, when the scenario has reinvestment rules: the replications with their rules and the same replications without them",
        groups: std::iter::once(one(
            "year",
            U64,
            "year of the horizon (0 = the first twelve months)",
        ))
        .chain(
            crate::study::flywheel::FLYWHEEL_FIGURES
                .iter()
                .map(|(name, unit, meaning)| quantiles(name, F64, &format!("{meaning} [{unit}]"))),
        )
        .collect(),
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "defence",
        row: "one screening proxy × one tier it screens × one way of running it (`per_provider`, `shared`), when the scenario has `[[defences]]`",
        groups: vec![
            some(&["defence", "tier"], Text, "ids"),
            one("sharing", Text, "`per_provider` or `shared`"),
            one(
                "dispatched",
                Bool,
                "whether the dispatch ran this way (the scenario's `sharing`); the other is worked out from the same replications at the same service rate",
            ),
            one(
                "detection",
                F64,
                "share of attack campaigns detected: the provider's rate alone, or shared 1 − (1 − rate)^(1 + elasticity·(providers − 1))",
            ),
            one(
                "latency_added_ms",
                F64,
                "latency added per request: the screen's, plus the network hop when shared",
            ),
        ]
        .into_iter()
        .chain(
            crate::study::defence::DEFENCE_FIGURES
                .iter()
                .map(|(name, unit, meaning)| quantiles(name, F64, &format!("{meaning} [{unit}]"))),
        )
        .collect(),
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "forgone",
        row: "one inference demand or training campaign × one year of the horizon, under the scenario's policy: what its demand left unserved would have needed and paid",
        groups: vec![
            some(&["owner", "kind"], Text, "demand or campaign id; `inference` or `training`"),
            one("year", U64, "year of the horizon (0 = the first twelve months)"),
            quantiles(
                "gpu_hours",
                F64,
                "GPU-hours its unserved tokens, or its runs' unfinished compute (in the year they arrived), would have needed at its fastest eligible cluster",
            ),
            quantiles(
                "revenue_eur",
                OptF64,
                "what they would have paid at that month's market price (tokens at the token price where the scenario sells tokens); empty without a `[finance]` section",
            ),
        ],
        dirs: RUN,
    });
    let mut groups = vec![
        policy(),
        one(
            "portability",
            F64,
            "share of the training runs left queued and of the tokens left unserved whose code could move across architectures and vendors (0: as dispatched; 1: a standard every workload follows)",
        ),
    ];
    for (name, unit, meaning) in PORTABILITY_FIGURES {
        let kind = if name == "recovered_eur" { OptF64 } else { F64 };
        groups.push(quantiles(name, kind, &format!("{meaning} [{unit}]")));
    }
    t.push(TableSpec {
        stem: "portability",
        row: "one portability level (`--compare-dispatch`): what making that share of the demand left unserved portable would recover under the scenario's policy",
        groups,
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "training_runs",
        row: "one policy × one training run of the representative replication",
        groups: vec![
            policy(),
            one("campaign", Text, "campaign id"),
            one("arrival_date", Text, "arrival"),
            one("gpus", U64, "GPUs the run needs"),
            some(
                &["start_date", "end_date"],
                OptText,
                "first start and completion; empty if not within the horizon",
            ),
            one(
                "queue_delay_days",
                OptF64,
                "days from arrival to first start; empty if it never started",
            ),
            some(&["site", "architecture"], OptText, "the block it ran on"),
        ],
        dirs: RUN,
    });
}

/// The `cashflows` inputs, in table order: (column, meaning).
pub const CASHFLOW_INPUTS: [(&str, &str); 12] = [
    (
        "in_revenue_contracted_eur",
        "contracts: take-or-pay share of billed GPU-hours, and the rest as used, × contract price",
    ),
    (
        "in_revenue_merchant_eur",
        "merchant GPU-hours used × the market price of their generation",
    ),
    (
        "in_revenue_tokens_eur",
        "merchant tokens × price per million, if priced",
    ),
    ("in_revenue_resale_eur", "resale of retired GPUs"),
    (
        "in_prepayment_received_eur",
        "contract prepayments received (cash, deferred revenue)",
    ),
    (
        "in_prepayment_applied_eur",
        "prepayments credited against contract invoices",
    ),
    (
        "in_opex_energy_eur",
        "energy from the grid, contracts and on-site fuel",
    ),
    ("in_opex_power_om_eur", "fixed O&M of on-site plants"),
    ("in_opex_maintenance_eur", "maintenance of halls and GPUs"),
    ("in_opex_staff_eur", "staff"),
    ("in_opex_network_eur", "network"),
    ("in_opex_insurance_eur", "insurance"),
];

/// The `cashflows` calculations and outputs after the inputs, in table order: (column, meaning).
pub const CASHFLOW_RESULTS: [(&str, Kind, &str); 37] = [
    ("calc_revenue_eur", Kind::F64, "revenue, all streams"),
    ("calc_opex_eur", Kind::F64, "opex, all kinds"),
    ("calc_ebitda_eur", Kind::F64, "EBITDA = revenue − opex"),
    ("calc_capex_eur", Kind::F64, "capex, all classes"),
    (
        "calc_reinvested_eur",
        Kind::F64,
        "of which GPUs a reinvestment rule bought: paid below debt service, from what equity would receive or by the sponsors",
    ),
    (
        "calc_depreciation_eur",
        Kind::F64,
        "straight line from the period after spending",
    ),
    (
        "calc_interest_eur",
        Kind::F64,
        "interest on the opening balance (IDC before COD)",
    ),
    (
        "calc_fees_eur",
        Kind::F64,
        "arrangement fee at financial close",
    ),
    (
        "calc_taxable_income_eur",
        Kind::F64,
        "EBITDA − depreciation − interest − fees",
    ),
    (
        "calc_losses_carried_eur",
        Kind::F64,
        "tax losses carried forward at the period's end",
    ),
    ("calc_tax_eur", Kind::F64, "tax paid"),
    ("calc_net_income_eur", Kind::F64, "taxable income − tax"),
    ("calc_grants_drawn_eur", Kind::F64, "grants drawn"),
    (
        "calc_equity_drawn_eur",
        Kind::F64,
        "equity drawn, sponsor injections after COD included",
    ),
    (
        "calc_debt_drawn_eur",
        Kind::F64,
        "senior debt drawn, every tranche",
    ),
    (
        "calc_gpu_debt_drawn_eur",
        Kind::F64,
        "of which the GPU facility: a draw per purchase of the initial build's GPUs",
    ),
    (
        "calc_gpu_interest_eur",
        Kind::F64,
        "interest on the GPU facility (part of `calc_interest_eur`)",
    ),
    (
        "calc_gpu_principal_eur",
        Kind::F64,
        "GPU facility principal repaid, each draw in level payments to its maturity (part of `calc_principal_eur`)",
    ),
    (
        "calc_gpu_debt_closing_eur",
        Kind::F64,
        "GPU facility outstanding at the period's end (part of `calc_debt_closing_eur`)",
    ),
    (
        "calc_debt_opening_eur",
        Kind::F64,
        "senior debt at the period's start",
    ),
    (
        "calc_principal_eur",
        Kind::F64,
        "scheduled principal (negative: interest capitalised)",
    ),
    ("calc_sweep_eur", Kind::F64, "prepaid by the cash sweep"),
    (
        "calc_debt_closing_eur",
        Kind::F64,
        "senior debt at the period's end",
    ),
    (
        "calc_dsra_flow_eur",
        Kind::F64,
        "paid into (+) or out of (−) the DSRA",
    ),
    ("calc_dsra_eur", Kind::F64, "the DSRA's balance"),
    (
        "calc_cash_eur",
        Kind::F64,
        "cash held at the period's end (trapped by a lock-up, or retained before COD)",
    ),
    (
        "calc_book_value_eur",
        Kind::F64,
        "net book value of the assets",
    ),
    (
        "calc_deferred_revenue_eur",
        Kind::F64,
        "prepayments received not yet credited against invoices (a liability)",
    ),
    (
        "calc_balance_gap_eur",
        Kind::F64,
        "assets − (debt + deferred revenue + paid-in capital + retained earnings): zero when the books balance",
    ),
    (
        "out_cfads_eur",
        Kind::F64,
        "cash flow available for debt service: revenue − opex − tax − capex after COD + prepayments received − credited",
    ),
    (
        "out_debt_service_eur",
        Kind::F64,
        "interest + scheduled principal after COD",
    ),
    (
        "out_dscr",
        Kind::OptF64,
        "CFADS ÷ debt service; empty without debt service",
    ),
    (
        "out_llcr",
        Kind::OptF64,
        "loan life coverage ratio; empty without debt outstanding",
    ),
    (
        "out_plcr",
        Kind::OptF64,
        "project life coverage ratio; empty without debt outstanding",
    ),
    (
        "out_locked_up",
        Kind::Bool,
        "whether distributions were locked up",
    ),
    (
        "out_distributions_eur",
        Kind::F64,
        "distributions to equity",
    ),
    (
        "out_project_cf_eur",
        Kind::F64,
        "post-tax unlevered project cash flow (terminal value in the last period)",
    ),
];

/// The last `cashflows` column.
pub const CASHFLOW_EQUITY: (&str, &str) = (
    "out_equity_cf_eur",
    "distributions − equity paid in (terminal claim in the last period)",
);

/// The uses of funds, by key, in report order.
pub const USES: [&str; 11] = [
    "capex_land",
    "capex_power",
    "capex_shell",
    "capex_gpus",
    "capex_gpu_refresh",
    "capex_gpu_reinvested",
    "idc",
    "fees",
    "dsra",
    "tax",
    "total",
];

/// The sources of funds, by key.
pub const SOURCES: [&str; 7] = [
    "grants",
    "equity",
    "debt",
    "gpu_debt",
    "prepayments",
    "operations",
    "total",
];

fn finance_tables(t: &mut Vec<TableSpec>) {
    use Kind::*;
    const RUN: &[Dir] = &[Dir::Run];
    let mut groups = vec![
        one("period", U64, "index, from 0"),
        some(
            &["start_date", "end_date"],
            Text,
            "the period's first day, and the next period's",
        ),
        one("construction", Bool, "whether the period is before COD"),
    ];
    groups.extend(
        CASHFLOW_INPUTS
            .iter()
            .map(|(name, meaning)| one(name, F64, meaning)),
    );
    let capex: Vec<(String, Kind)> = Class::ALL
        .iter()
        .map(|c| (format!("in_capex_{}_eur", c.name()), F64))
        .collect();
    groups.push(labelled(
        &format!(
            "{} … {}",
            capex.first().map_or("", |c| c.0.as_str()),
            capex.last().map_or("", |c| c.0.as_str())
        ),
        "capital expenditure by class, on the simulated schedule",
        capex.clone(),
    ));
    groups.push(one("in_gpu_hours", F64, "operational GPU-hours"));
    groups.push(one(
        "in_contracted_gpu_hours",
        F64,
        "GPU-hours billed under contracts",
    ));
    groups.push(one(
        "in_merchant_gpu_hours",
        F64,
        "merchant GPU-hours used (under no contract)",
    ));
    groups.push(one(
        "in_inference_gpu_hours",
        F64,
        "GPU-hours used serving tokens",
    ));
    groups.push(one("in_tokens", F64, "output tokens served"));
    groups.extend(
        CASHFLOW_RESULTS
            .iter()
            .map(|(name, kind, meaning)| one(name, *kind, meaning)),
    );
    groups.push(one(CASHFLOW_EQUITY.0, F64, CASHFLOW_EQUITY.1));
    t.push(TableSpec {
        stem: "cashflows",
        row: "one period of the base case (FAST order: `in_` inputs, then `calc_` calculations, then `out_` outputs; EUR at period end)",
        groups,
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "contracts",
        row: "one offtake contract (`[[contracts]]`), as stated and as it earns in the base case",
        groups: vec![
            one("contract", Text, "contract id"),
            one("counterparty", Text, "who buys"),
            one("clusters", Text, "the clusters it bills, separated by `;`"),
            one("gpus", U64, "GPUs contracted"),
            one(
                "price_eur_per_gpu_hour",
                F64,
                "price in its first year [EUR/GPU-hour]",
            ),
            one("escalation_per_year", F64, "yearly escalation of the price"),
            one(
                "start",
                Text,
                "a date, or `energised` (each GPU's term from when it is energised)",
            ),
            one("term_years", F64, "term [years]"),
            one(
                "take_or_pay",
                F64,
                "share of billed GPU-hours paid whether used or not",
            ),
            one(
                "prepayment",
                F64,
                "share of its value paid at signing, credited against invoices",
            ),
            one(
                "value_eur",
                F64,
                "its value as signed: volume (ramped) × term × escalating price",
            ),
            one(
                "revenue_eur",
                F64,
                "base case: what it earns over the horizon",
            ),
            one(
                "gpu_hours",
                F64,
                "base case: GPU-hours it bills over the horizon",
            ),
            one(
                "revenue_eur_per_gpu_hour",
                OptF64,
                "base case: revenue ÷ billed GPU-hours; empty if it bills none",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "phases",
        row: "one phase the programme is financed in (a site, with `phasing = \"site\"`, or the whole programme): its term loan sized on its own base case, and its risk over replications",
        groups: vec![
            one("phase", Text, "site id, or `programme`"),
            one("cod_date", Text, "scheduled COD (the base case's)"),
            one("long_stop_date", Text, "the long-stop: a later COD is an event of default"),
            one("maturity_date", Text, "end of the base case's last repayment period"),
            one(
                "debt_sizing_binding",
                Text,
                "`sculpting` or `gearing`, as `debt_sizing_binding`",
            ),
            one("debt_commitment_eur", F64, "the phase's tranches"),
            one("gpu_debt_commitment_eur", F64, "of which its GPU facility"),
            one("debt_eur", F64, "base case: its debt at COD"),
            one("capex_total_eur", F64, "base case: its capex over the horizon"),
            some(
                &["dscr_min", "llcr_min"],
                OptF64,
                "base case: its smallest DSCR and LLCR; empty without debt service",
            ),
            some(
                &["dscr_min_p10", "dscr_min_p50", "dscr_min_p90"],
                OptF64,
                "its smallest DSCR over replications",
            ),
            one(
                "dscr_min_below_covenant_probability",
                F64,
                "share of replications whose smallest DSCR of this phase falls below the covenant",
            ),
            one(
                "long_stop_breach_probability",
                F64,
                "share of replications whose COD of this phase comes after its long-stop",
            ),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "tranches",
        row: "one tranche of one phase's debt, base case: the infrastructure facility (land, power and halls; with no GPU facility, everything) and the GPU facility (a delayed-draw loan, each draw maturing its tenor after it)",
        groups: vec![
            one("phase", Text, "site id, or `programme`"),
            one("tranche", Text, "`infrastructure` or `gpus`"),
            one("rate", F64, "base rate + margin (the infrastructure facility's term rate) [fraction per year]"),
            one("tenor_years", F64, "the infrastructure facility's tenor from COD; the GPU facility's from each draw"),
            one(
                "sizing_binding",
                Text,
                "`sculpting` or `gearing` (infrastructure); `advance_rate` or `contract_cover` (GPUs)",
            ),
            one("commitment_eur", F64, "as sized on the base case"),
            one("drawn_eur", F64, "base case: drawn over the horizon"),
            one("first_draw_date", Text, "base case: its first draw (empty if none)"),
            one("maturity_date", Text, "base case: the end of its last repayment period (the last draw's, for the GPU facility)"),
            one(
                "dscr_min",
                OptF64,
                "base case: its own smallest cover — (CFADS − GPU service) ÷ its service for the infrastructure facility; the contracted cash flow ÷ its service for the GPU facility",
            ),
            one("repaid_by_maturity", Bool, "base case: nothing of it outstanding after its maturity (one past the horizon is not tested)"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "model_scalars",
        row: "one single-valued input of the live financial model in `model.xlsx` (base case): a rate, a price, the debt as sized, a period; names and units in `MODEL_LINES` (the workbook's Inputs sheet shows them)",
        groups: vec![
            one("phase", Text, "site id or `programme`; empty for the whole programme's inputs"),
            one("name", Text, "input name, e.g. `contract_price_eur_per_gpu_hour`, `infra_commitment_eur`"),
            one("item", Text, "the contract, SKU, capex line or draw it is for; empty if none"),
            one("value", F64, "unrounded, in the input's unit"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "model_series",
        row: "one period of one per-period input of the live financial model in `model.xlsx` (base case): a simulated quantity (GPU-hours at a base price, opex, capex) or a row of the term sheet",
        groups: vec![
            one("phase", Text, "site id, or `programme`"),
            one("name", Text, "input name, e.g. `contract_gpu_hours_at_base_price`, `capex_eur`"),
            one("item", Text, "the contract, SKU or capex line it is for; empty if none. A phase has rows for the contracts it earns from only"),
            one("period", U64, "period index"),
            one("value", F64, "unrounded, in the input's unit"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "sources_uses",
        row: "one source or use of funds over construction, base case",
        groups: vec![
            one("side", Text, "`uses` or `sources`"),
            one(
                "item",
                Text,
                "as in the `uses_*` and `sources_*` summary keys",
            ),
            one("eur", F64, "EUR"),
            one("share", F64, "of the side's total"),
        ],
        dirs: RUN,
    });
    t.push(TableSpec {
        stem: "finance_checks",
        row: "one check of the financial model",
        groups: vec![
            one("check", Text, "name"),
            one("meaning", Text, "what must hold"),
            one(
                "base_case_passed",
                Bool,
                "whether it holds in the base case",
            ),
            one(
                "replications_failed",
                U64,
                "replications where it does not hold",
            ),
        ],
        dirs: RUN,
    });
    let figures: Vec<(String, Kind)> = FIGURES
        .iter()
        .map(|(n, _)| ((*n).to_owned(), OptF64))
        .collect();
    t.push(TableSpec {
        stem: "replications",
        row: "one replication's headline financial figures (the distribution behind each `_p10/_p50/_p90` key; empty where undefined)",
        groups: vec![
            one("replication", U64, "replication index"),
            labelled(
                &FIGURES.map(|f| f.0).join(", "),
                "as the summary keys of the same names",
                figures,
            ),
        ],
        dirs: RUN,
    });
}

/// The `cases` figures: (column, output).
pub const CASE_FIGURES: [(&str, Output); 5] = [
    ("npv_eur", Output::Npv),
    ("project_irr", Output::ProjectIrr),
    ("equity_irr", Output::EquityIrr),
    ("dscr_min", Output::DscrMin),
    ("llcr_min", Output::LlcrMin),
];

fn investor_tables(t: &mut Vec<TableSpec>) {
    use Kind::*;
    let mut outputs = Vec::new();
    for o in Output::ALL {
        for end in ["base", "low", "high", "swing"] {
            outputs.push((format!("{}_{end}", o.name()), OptF64));
        }
    }
    t.push(TableSpec {
        stem: "tornado",
        row: "one input moved alone over its range (`[sensitivity]`, defaults from `data/defaults.csv`), the rest at the base case, with the debt sized on the base case; rows by decreasing swing of the ranked output",
        groups: vec![
            one(
                "rank",
                U64,
                "position by decreasing swing of `ranked_by`, from 1",
            ),
            one("ranked_by", Text, "the output ranked"),
            one(
                "input",
                Text,
                "the input's name (`sovsim sensitivity --help` lists them)",
            ),
            one("meaning", Text, "what it moves"),
            one("unit", Text, "unit of `low` and `high`"),
            some(
                &["low", "high"],
                F64,
                "ends of its range, as changes from the scenario",
            ),
            some(
                &["low_change", "high_change"],
                Text,
                "those ends in words",
            ),
            labelled(
                "{output}_base, {output}_low, {output}_high, {output}_swing",
                "for each output (`npv` EUR, `project_irr`, `equity_irr`, `dscr_min`, `llcr_min`, `first_gw` in months from the start): its base value, its value at each end, and |high − low| (empty where undefined)",
                outputs,
            ),
        ],
        dirs: &[Dir::Run, Dir::Sensitivity],
    });
    let figures: Vec<(String, Kind)> = CASE_FIGURES
        .iter()
        .map(|(n, _)| ((*n).to_owned(), OptF64))
        .collect();
    t.push(TableSpec {
        stem: "cases",
        row: "the base case or a named case (`[cases.NAME]`), at its medians, with the debt sized on the base case",
        groups: vec![
            one("case", Text, "`base`, or the case's name"),
            one("description", Text, "the case's description"),
            one("changes", Text, "its input changes and overrides, in words"),
            labelled(
                &CASE_FIGURES.map(|f| f.0).join(", "),
                "as the summary keys of the same names, for this case (empty where undefined)",
                figures,
            ),
            one(
                "first_gw_date",
                OptText,
                "energised IT capacity first reaches 1 GW (empty if never)",
            ),
            one(
                "covenant_breached",
                Bool,
                "whether the minimum DSCR falls below the covenant (`dscr_covenant`)",
            ),
        ],
        dirs: &[Dir::Run],
    });
}

fn inventory_tables(t: &mut Vec<TableSpec>) {
    use Kind::*;
    const INVENTORY: &[Dir] = &[Dir::Inventory];
    let overridden = || {
        one(
            "overridden_fields",
            Text,
            "catalog fields the scenario overrides, separated by `;`",
        )
    };
    let source = || one("source", Text, "the catalog row's source");
    t.push(TableSpec {
        stem: "inventory_sites",
        row: "one site",
        groups: vec![
            one("site", Text, "site id"),
            one("country", Text, "country code"),
            one("area_ha", F64, "land area [ha]"),
            one("land_cost_eur", F64, "land price × area [EUR]"),
            one("max_it_mw", F64, "most IT load the site takes [MW]"),
            one("permit_months_p50", F64, "median permit duration [months]"),
        ],
        dirs: INVENTORY,
    });
    t.push(TableSpec {
        stem: "inventory_shells",
        row: "one hall",
        groups: vec![
            some(&["shell", "site"], Text, "ids"),
            one("type", Text, "shell type (catalog id)"),
            one("cooling", Text, "`air` or `liquid`"),
            one("phases", U64, "build phases"),
            one("it_mw", F64, "IT capacity of all its phases [MW]"),
            one("pue", F64, "power usage effectiveness"),
            one(
                "capex_per_mw",
                F64,
                "capex per MW of IT, in `currency` (the catalog's)",
            ),
            one("currency", Text, "currency of `capex_per_mw`"),
            overridden(),
            source(),
        ],
        dirs: INVENTORY,
    });
    t.push(TableSpec {
        stem: "inventory_power",
        row: "one on-site power asset or power contract",
        groups: vec![
            some(&["asset", "site"], Text, "ids"),
            one("tech", Text, "power technology (catalog id)"),
            one("capacity_mw", F64, "nameplate capacity [MW]"),
            one("build_months_p50", F64, "median build time [months]"),
            overridden(),
            source(),
        ],
        dirs: INVENTORY,
    });
    t.push(TableSpec {
        stem: "inventory_clusters",
        row: "one GPU cluster (refreshes included)",
        groups: vec![
            some(&["cluster", "site", "shell", "operator"], Text, "ids"),
            one("sku", Text, "accelerator (catalog id)"),
            one("gpus", U64, "GPUs ordered"),
            one(
                "all_in_power_kw",
                F64,
                "IT power per GPU, rack share included [kW]",
            ),
            one("it_power_mw", F64, "GPUs × all-in power [MW]"),
            one("facility_power_mw", F64, "IT power × the hall's PUE [MW]"),
            one("order_date", Text, "date the GPUs are ordered"),
            one(
                "lead_time_months_p50",
                F64,
                "median delivery lead time [months]",
            ),
            one(
                "refresh_of",
                OptText,
                "the cluster it replaces at retirement; empty for an original order",
            ),
            overridden(),
            source(),
        ],
        dirs: INVENTORY,
    });
}

fn plan_tables(t: &mut Vec<TableSpec>) {
    use Kind::*;
    const PLAN: &[Dir] = &[Dir::Plan];
    t.push(TableSpec {
        stem: "plan",
        row: "one decision of the plan: an entity built, acquired or ordered in a year",
        groups: vec![
            one("year", U64, "calendar year of the decision"),
            one("kind", Text, "`site`, `grid`, `power`, `hall` or `gpus`"),
            some(&["id", "site"], Text, "the entity's id and its site"),
            one("what", Text, "what is decided, in words"),
            one("quantity", F64, "how much, in `unit`"),
            one("unit", Text, "unit of `quantity`"),
            one("usable_year", U64, "first year it can be used"),
            one("committed", Bool, "whether `[optimize] committed` fixed it"),
        ],
        dirs: PLAN,
    });
    t.push(TableSpec {
        stem: "objective_parts",
        row: "one part of the objective; the parts add up to it",
        groups: vec![
            one("part", Text, "name"),
            one("value", F64, "its value, in the objective's unit"),
        ],
        dirs: PLAN,
    });
    t.push(TableSpec {
        stem: "shadow_prices",
        row: "one constraint's dual value in the LP with the integer decisions fixed",
        groups: vec![
            one("family", Text, "constraint family"),
            one("entity", Text, "what it constrains"),
            one(
                "year",
                OptF64,
                "its year; empty for a constraint over the horizon",
            ),
            one("value", F64, "value of one more unit of the limit"),
            one("unit", Text, "unit of `value`"),
        ],
        dirs: PLAN,
    });
    t.push(TableSpec {
        stem: "sovereignty_cost",
        row: "one sovereignty tier whose rule was relaxed and the plan optimised again",
        groups: vec![
            one("tier", Text, "tier id"),
            one("clauses_relaxed", U64, "clauses of its rule dropped"),
            some(
                &["strict_objective", "relaxed_objective", "delta_objective"],
                F64,
                "objective with the rule, without it, and the difference: what the rule costs",
            ),
            some(
                &["strict_it_gw", "relaxed_it_gw", "delta_it_gw"],
                F64,
                "IT capacity built at the horizon [GW], with and without the rule, and the difference",
            ),
            one(
                "served_gpu_hours",
                F64,
                "GPU-hours the tier's demand is served with the rule (of the fastest GPU it may use)",
            ),
            one(
                "premium_eur_per_gpu_hour",
                F64,
                "what the rule costs per GPU-hour served: `delta_objective` ÷ `served_gpu_hours` [EUR]; empty if none is served",
            ),
            some(
                &["strict_rented_gpu_hours", "relaxed_rented_gpu_hours"],
                F64,
                "GPU-hours rented from cloud offers with the rule and without it",
            ),
            some(
                &["strict_met_from", "relaxed_met_from"],
                OptF64,
                "first year from which the tier's demand is met for good, with the rule and without; empty if not within the horizon",
            ),
            one(
                "delay_years",
                OptF64,
                "years the rule delays meeting the tier's demand (`strict_met_from` − `relaxed_met_from`); empty if either is",
            ),
        ],
        dirs: PLAN,
    });
    t.push(TableSpec {
        stem: "rented",
        row: "one cloud offer × one period in which the plan rents from it",
        groups: vec![
            one("offer", Text, "offer id (`[[cloud_offers]]`)"),
            one("year", U64, "year the period starts in"),
            one("gpu_hours", F64, "GPU-hours rented in the period"),
            one("gpus", F64, "GPUs rented on average over the period"),
            one("eur", F64, "their price, undiscounted [EUR]"),
        ],
        dirs: PLAN,
    });
    t.push(TableSpec {
        stem: "seal_curve",
        row: "one objective of the Cloud Sovereignty Framework × one SEAL level: every tier's rule replaced by that least SEAL on that objective (0: no rule) and the plan optimised again",
        groups: vec![
            one("objective", Text, "objective id, `SOV-1` … `SOV-8`"),
            one("seal", U64, "least SEAL required, 0–4"),
            some(
                &["clusters_qualifying", "offers_qualifying"],
                U64,
                "candidate clusters and cloud offers that reach it",
            ),
            one(
                "objective_eur",
                F64,
                "the optimiser's objective, shortfall penalties included [EUR NPV]",
            ),
            one(
                "npv_cost_eur",
                F64,
                "cost less terminal value, penalties excluded [EUR NPV]",
            ),
            one(
                "premium_eur",
                F64,
                "objective over that of no rule: the cost of requiring the level [EUR NPV]",
            ),
            one(
                "it_gw_peak",
                F64,
                "GW delivered: the most IT capacity of working GPUs in any year of the plan [GW]",
            ),
            one("rented_gpu_hours", F64, "GPU-hours rented from cloud offers"),
            one("shortfall_gw_max", F64, "largest yearly shortfall [GW]"),
        ],
        dirs: PLAN,
    });
    t.push(TableSpec {
        stem: "plan_milestones",
        row: "one milestone of the plan's deterministic schedule",
        groups: vec![
            one("site", Text, "site id, or `region`"),
            one("milestone", Text, "milestone name"),
            one("date", Text, "date"),
        ],
        dirs: PLAN,
    });
}

/// The table whose file stem is `stem`.
pub fn table(stem: &str) -> Option<&'static TableSpec> {
    tables().iter().find(|t| t.stem == stem)
}

/// The outputs of `sovsim run`, documented in Markdown: the section of `reports/README.md` between
/// its `run-outputs` markers. `charts` lists the report's charts (they are drawn by sovsim-report).
pub fn run_markdown(charts: &[(&str, &str)]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "### `summary.json`\n");
    let _ = writeln!(
        s,
        "Flat keys; `{{q}}` stands for `p10`, `p50` and `p90` (percentiles over replications).\n"
    );
    keys_markdown(
        &mut s,
        SUMMARY_KEYS.iter().chain(DISPATCH_KEYS).chain(FINANCE_KEYS),
    );
    let _ = writeln!(s, "\n### `summary.json` with `--compare-dispatch`\n");
    keys_markdown(&mut s, COMPARE_DISPATCH_KEYS.iter());
    let _ = writeln!(s, "\n### `summary.json` with reinvestment rules\n");
    keys_markdown(&mut s, REINVESTMENT_KEYS.iter());
    let _ = writeln!(
        s,
        "\n### `summary.json` with screening proxies (`[[defences]]`)\n"
    );
    keys_markdown(&mut s, DEFENCE_KEYS.iter());
    let _ = writeln!(
        s,
        "\n### `report.pdf`, `report.html`, `model.xlsx` and `charts/`\n\n\
         Rendered from the files above (again with `sovsim report RUN_DIR [--template PATH]`). \
         `report.pdf` is typeset from `reports/templates/report.typ`; `report.html` is the same \
         template exported as HTML (typst's HTML export): the same sections, words and figures in \
         one self-contained file, styles, script and charts inline, nothing fetched when opened \
         (about 5 MB, of which plotly.js is 4.7 MB). On screen each chart is an interactive \
         plotly.js figure drawn from the same data (hover for values with units, click a legend \
         entry to hide or show a series, zoom); in print it is the chart's SVG. Tables sort by \
         any column and long ones filter; a list of links opens the page; \
         `model.xlsx` has the sheets \
         Summary (`summary.json`), Inputs (`assumptions`), Periods (the `in_` columns of `cashflows`), \
         Cash flows, Sources & uses, Contracts, Phases, Checks and Replications. Each chart is an SVG and a PNG:\n"
    );
    let _ = writeln!(s, "| chart | shows |\n|---|---|");
    for (name, shows) in charts {
        let _ = writeln!(s, "| `{name}` | {shows} |");
    }
    for spec in tables().iter().filter(|t| t.dirs.contains(&Dir::Run)) {
        table_markdown(&mut s, spec);
    }
    for (dir, heading) in [
        (
            Dir::Inventory,
            "### Written by `sovsim inventory`\n\nBeside `summary.json` (sizes and costs of the resolved buildout) and `manifest.json`:",
        ),
        (
            Dir::Plan,
            "### Written by `sovsim optimize`\n\nBeside `plan.toml` (the plan as a scenario file) and `optimize.json` (objective, size of the program, capacity by year, shortfalls, GPU-hours rented and their price) and `charts/seal_curve.svg` and `.png` (the `seal_curve` table drawn: the premium over no rule per objective as the least SEAL rises):",
        ),
        (
            Dir::Compare,
            "### Written by `sovsim compare`\n\nBeside each buildout's run directory under `runs/`, the overlaid charts, `compare.pdf` and `compare.html` (the same template exported as HTML):",
        ),
    ] {
        let _ = writeln!(s, "\n{heading}");
        for spec in tables().iter().filter(|t| t.dirs.contains(&dir)) {
            table_markdown(&mut s, spec);
        }
    }
    let _ = writeln!(
        s,
        "\n### Written by `sovsim sweep`\n\n`cases/<case_id>.json` holds one case's result \
         (written by `sovsim sweep run`, whole or not at all: its inputs, the `sovsim run` \
         arguments that run it alone, and the outputs kept); `sovsim sweep merge` \
         checks that every case of the plan is there and matches it, then writes:"
    );
    table_markdown(
        &mut s,
        &sweep_table(
            &["{lever}"],
            &[("{output}", Kind::OptF64)],
            &["meets_{target}".to_owned()],
        ),
    );
    s
}

fn keys_markdown<'a>(s: &mut String, keys: impl Iterator<Item = &'a Key>) {
    use std::fmt::Write as _;
    let _ = writeln!(s, "| key | unit | meaning |\n|---|---|---|");
    for key in keys {
        let _ = writeln!(s, "| `{}` | {} | {} |", key.pattern, key.unit, key.meaning);
    }
}

fn table_markdown(s: &mut String, spec: &TableSpec) {
    use std::fmt::Write as _;
    let stem = spec.stem;
    let _ = writeln!(
        s,
        "\n### `{stem}.parquet` and `{stem}.csv`\n\nA row is {}.\n",
        spec.row
    );
    let _ = writeln!(s, "| column | meaning |\n|---|---|");
    for g in &spec.groups {
        let label = if g.columns.len() > 1 && !g.label.contains('{') && !g.label.contains('…') {
            g.columns
                .iter()
                .map(|c| format!("`{}`", c.name))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            format!("`{}`", g.label)
        };
        let _ = writeln!(s, "| {label} | {} |", g.meaning);
    }
}
