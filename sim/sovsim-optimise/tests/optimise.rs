//! Laws of the optimiser on instances whose answer is known by hand, and on the EU scenario.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sovsim_core::catalog::Catalog;
use sovsim_core::model::Scenario;
use sovsim_core::scenario::{self, Loaded, SourceReader};

struct Memory(BTreeMap<PathBuf, String>);

impl SourceReader for Memory {
    fn read(&self, path: &Path) -> Result<String, String> {
        match self.0.get(path) {
            Some(t) => Ok(t.clone()),
            None => std::fs::read_to_string(path).map_err(|e| e.to_string()),
        }
    }
}

fn load_text(text: &str) -> (Loaded, Catalog) {
    let catalog = Catalog::embedded().expect("embedded catalog");
    let reader = Memory(BTreeMap::from([(PathBuf::from("t.toml"), text.to_owned())]));
    let loaded = scenario::load(Path::new("t.toml"), &reader, &catalog, &[]);
    (loaded, catalog)
}

fn scenario_of(text: &str) -> Scenario {
    let (loaded, _) = load_text(text);
    assert!(
        !loaded.has_errors(),
        "{}",
        loaded.sources.render(&loaded.diagnostics)
    );
    loaded.scenario.expect("valid")
}

fn eu() -> (Loaded, Scenario) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/eu-sovereign-2030.toml");
    let catalog = Catalog::embedded().expect("embedded catalog");
    let loaded = scenario::load(&root, &Memory(BTreeMap::new()), &catalog, &[]);
    let s = loaded.scenario.clone().expect("valid");
    (loaded, s)
}

/// Two sites, identical but for land price and grid queue: `cheap` has the cheaper land and a
/// 36-month queue, `quick` the dearer land and a 6-month one. Permits take 12 months.
fn two_sites(demand_start: &str) -> String {
    format!(
        r#"
[scenario]
name = "two-sites"
description = "hand-checkable"
start_date = 2026-01-01
horizon_years = 8
period_months = 3
currency = "EUR"
discount_rate = 0.05
seed = 1

[[operators]]
id = "op"
parent_jurisdiction = "FR"
ownership_pct = {{ FR = 100 }}
key_custody_jurisdiction = "FR"
staff_jurisdictions = ["FR"]

[[sites]]
id = "cheap"
country = "FR"
area_ha = 100
land_price_eur_per_ha = 100000
max_it_mw = 100
permit_months = 12

[[grid_connections]]
id = "cheap-grid"
site = "cheap"
capacity_mw = 150
queue_wait_months = 36

[[shells]]
id = "cheap-hall"
site = "cheap"
type = "liquid-hall"
phases = [{{ it_mw = 100, build_months = 12 }}]

[[clusters]]
id = "cheap-gpus"
shell = "cheap-hall"
operator = "op"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2027-01-01
repair_days = 3
lead_time_months = 6

[[sites]]
id = "quick"
country = "FR"
area_ha = 100
land_price_eur_per_ha = 5000000
max_it_mw = 100
permit_months = 12

[[grid_connections]]
id = "quick-grid"
site = "quick"
capacity_mw = 150
queue_wait_months = 6

[[shells]]
id = "quick-hall"
site = "quick"
type = "liquid-hall"
phases = [{{ it_mw = 100, build_months = 12 }}]

[[clusters]]
id = "quick-gpus"
shell = "quick-hall"
operator = "op"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2027-01-01
repair_days = 3
lead_time_months = 6

[[tiers]]
id = "eu-resident"
preset = "eu-data-residency"

[[models]]
id = "deepseek-v3"

[[demand.inference]]
id = "d"
tier = "eu-resident"
model = "deepseek-v3"
operators = ["op"]
tokens_per_day = 1e13
growth_per_year = 0
start_date = {demand_start}

[finance]
eur_per_currency = {{ USD = 0.87 }}
base_rate = 0.02
construction_margin = 0.03
term_margin = 0.02
target_dscr = 1.3
max_gearing = 0.6
tenor_years = 5
tax_rate = 0.25
gpu_depreciation_years = 6
gpu_hour_price_eur = {{ gb300-nvl72 = 3.0 }}
maintenance_pct_per_year = 2.0
insurance_pct_per_year = 0.3
staff_eur_per_mw_year = 50000
network_eur_per_gpu_year = 500
"#
    )
}

fn acquired(o: &sovsim_optimise::Outcome) -> Vec<String> {
    o.plan
        .iter()
        .filter(|r| r.kind == "site")
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn the_cheaper_site_wins_unless_its_grid_wait_misses_the_demand() {
    // Demand from 2031: both grids are connected by then (cheap: 12 + 36 months = 2030-01),
    // so only the land price differs — the cheap site, by €490m of land.
    let late = sovsim_optimise::optimise(&scenario_of(&two_sites("2031-01-01"))).expect("solves");
    assert_eq!(acquired(&late), ["cheap"]);
    assert!(late.explanation.is_empty(), "{:?}", late.explanation);
    // Demand from 2028: the cheap site's grid arrives in 2030, two years of demand short; the
    // penalty makes the quick site worth its dearer land.
    let early = sovsim_optimise::optimise(&scenario_of(&two_sites("2028-01-01"))).expect("solves");
    assert!(
        acquired(&early).contains(&"quick".to_owned()),
        "{:?}",
        acquired(&early)
    );
    // By hand: the late plan costs the early plan's hardware minus nothing but land and timing;
    // the land alone of `quick` over `cheap` is (5,000,000 − 100,000) × 100 ha = €490m, and the
    // late plan must not pay it.
    let land = late
        .parts
        .iter()
        .find(|p| p.name == "land")
        .expect("land part")
        .value;
    assert!((land - 100.0 * 100_000.0).abs() < 1.0, "land {land}");
}

#[test]
fn the_gpus_bought_serve_exactly_the_demand_known_by_hand() {
    // 1e13 tokens a day, flat, from 2031: GPUs needed = tokens per hour / (tokens per GPU-hour ×
    // share of time not in repair). Both figures come from the scenario and catalog.
    let s = scenario_of(&two_sites("2031-01-01"));
    let setup = sovsim_core::dispatch::Setup::new(&s, sovsim_core::model::Policy::Grid);
    let rate = setup.inference_rate(0, 0);
    let c = &s.clusters[0];
    let availability = 1.0 - c.failure_rate_per_gpu_day * 3.0;
    let needed = 1e13 / 24.0 / (rate * availability);
    let o = sovsim_optimise::optimise(&s).expect("solves");
    let bought: f64 = o
        .plan
        .iter()
        .filter(|r| r.kind == "gpus")
        .map(|r| r.quantity)
        .sum();
    // Rounded to whole racks of 72 (plus one rack of slack from the solver's gap).
    assert!(
        (bought - needed).abs() <= 72.0 + needed * s.optimize.mip_gap,
        "bought {bought}, needed {needed}"
    );
}

#[test]
fn the_objective_is_the_sum_of_its_parts() {
    let (_, s) = eu();
    let o = sovsim_optimise::optimise(&s).expect("solves");
    let sum: f64 = o.parts.iter().map(|p| p.value).sum();
    assert_eq!(o.objective, sum);
    assert!(
        o.parts
            .iter()
            .any(|p| p.name == "terminal_value" && p.value < 0.0)
    );
    let size = o.size;
    assert!(size.rows > 0 && size.columns > size.integer_columns && size.non_zeros > size.rows);
}

#[test]
fn relaxing_a_sovereignty_rule_never_costs_more() {
    let (_, s) = eu();
    let strict = sovsim_optimise::optimise(&s).expect("solves");
    let costs = sovsim_optimise::cost_of_sovereignty(&s, &strict).expect("solves");
    assert_eq!(costs.len(), 3, "every tier with clauses and demand");
    for c in costs {
        // Both solves stop within the relative MIP gap of their optimum.
        let tolerance = s.optimize.mip_gap * (c.strict_objective.abs() + c.relaxed_objective.abs());
        assert!(
            c.relaxed_objective <= c.strict_objective + tolerance,
            "{c:?}"
        );
    }
}

#[test]
fn the_plan_is_a_scenario_that_loads() {
    let (loaded, s) = eu();
    let o = sovsim_optimise::optimise(&s).expect("solves");
    let text = loaded
        .resolved
        .as_ref()
        .expect("resolved")
        .plan_file(&o.edits, "# plan\n")
        .expect("writes");
    let plan = scenario_of(&text);
    let gpus: u64 = plan.clusters.iter().map(|c| c.gpus).sum();
    let planned: f64 = o
        .plan
        .iter()
        .filter(|r| r.kind == "gpus")
        .map(|r| r.quantity)
        .sum();
    assert_eq!(gpus as f64, planned);
    assert_eq!(
        plan.sites.len(),
        o.plan.iter().filter(|r| r.kind == "site").count()
    );
}

#[test]
fn an_impossible_target_is_a_slack_plan_with_the_shortfall_in_words() {
    // Demand from the first day: nothing can be built before the permit.
    let o = sovsim_optimise::optimise(&scenario_of(&two_sites("2026-01-01"))).expect("solves");
    assert!(!o.explanation.is_empty());
    assert!(
        o.explanation[0].starts_with("short "),
        "{:?}",
        o.explanation
    );
    assert!(
        o.explanation[0].contains("`eu-resident`"),
        "{:?}",
        o.explanation
    );
    assert!(
        o.explanation[0].contains("land and permits in FR"),
        "{:?}",
        o.explanation
    );
}

#[test]
fn a_committed_site_is_kept_even_when_another_is_cheaper() {
    // Demand from 2031: left free, the optimiser acquires the cheap site only (see above);
    // `committed` names the dear one, which the plan must then acquire as stated.
    let text = two_sites("2031-01-01") + "\n[optimize]\ncommitted = [\"quick\"]\n";
    let s = scenario_of(&text);
    assert_eq!(
        s.optimize.committed,
        [sovsim_core::model::Committed::Site(
            sovsim_core::model::SiteId(1)
        )],
        "resolved to the site `quick`, by index"
    );
    let plan = sovsim_optimise::optimise(&s).expect("solves");
    assert!(
        acquired(&plan).contains(&"quick".to_owned()),
        "{:?}",
        acquired(&plan)
    );
    assert!(
        plan.plan
            .iter()
            .any(|r| r.kind == "site" && r.id == "quick" && r.committed),
        "the plan says it was committed"
    );
}

/// A free MPS file read into HiGHS directly (no good_lp, no sovsim model): its columns with
/// costs, bounds and integrality, its rows, and the objective's constant.
fn highs_of_mps(text: &str) -> (highs::RowProblem, f64) {
    #[derive(Default)]
    struct Column {
        cost: f64,
        lower: f64,
        upper: f64,
        integer: bool,
        entries: Vec<(String, f64)>,
    }
    let (mut section, mut objective, mut integer) = ("", String::new(), false);
    let mut rows: Vec<(String, char)> = Vec::new();
    let mut rhs: BTreeMap<String, f64> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut columns: BTreeMap<String, Column> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('*') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with(' ') {
            section = f[0];
            continue;
        }
        let number = |s: &str| s.parse::<f64>().expect("a number");
        match section {
            "ROWS" if f[0] == "N" => objective = f[1].to_owned(),
            "ROWS" => rows.push((f[1].to_owned(), f[0].chars().next().expect("a type"))),
            "COLUMNS" if f.get(1) == Some(&"'MARKER'") => integer = f[2] == "'INTORG'",
            "COLUMNS" => {
                let c = columns.entry(f[0].to_owned()).or_insert_with(|| {
                    order.push(f[0].to_owned());
                    Column {
                        upper: f64::INFINITY,
                        integer,
                        ..Column::default()
                    }
                });
                for pair in f[1..].chunks(2) {
                    if pair[0] == objective {
                        c.cost += number(pair[1]);
                    } else {
                        c.entries.push((pair[0].to_owned(), number(pair[1])));
                    }
                }
            }
            "RHS" => {
                rhs.insert(f[1].to_owned(), number(f[2]));
            }
            "BOUNDS" => {
                let c = columns.get_mut(f[2]).expect("a bounded column exists");
                match f[0] {
                    "UP" => c.upper = number(f[3]),
                    "LO" => c.lower = number(f[3]),
                    "FX" => (c.lower, c.upper) = (number(f[3]), number(f[3])),
                    "PL" => c.upper = f64::INFINITY,
                    other => panic!("bound type {other}"),
                }
            }
            _ => {}
        }
    }
    let mut problem = highs::RowProblem::default();
    let mut cols = BTreeMap::new();
    let mut by_row: BTreeMap<String, Vec<(highs::Col, f64)>> = BTreeMap::new();
    for name in &order {
        let c = &columns[name];
        let col = match (c.integer, c.upper.is_finite()) {
            (true, true) => problem.add_integer_column(c.cost, c.lower..=c.upper),
            (true, false) => problem.add_integer_column(c.cost, c.lower..),
            (false, true) => problem.add_column(c.cost, c.lower..=c.upper),
            (false, false) => problem.add_column(c.cost, c.lower..),
        };
        cols.insert(name.clone(), col);
        for (row, v) in &c.entries {
            by_row.entry(row.clone()).or_default().push((col, *v));
        }
    }
    for (name, kind) in &rows {
        let b = rhs.get(name).copied().unwrap_or(0.0);
        let terms = by_row.remove(name).unwrap_or_default();
        match kind {
            'L' => problem.add_row(..=b, &terms),
            'G' => problem.add_row(b.., &terms),
            _ => problem.add_row(b..=b, &terms),
        }
    }
    (problem, -rhs.get(&objective).copied().unwrap_or(0.0))
}

#[test]
fn the_mps_file_solved_by_highs_alone_gives_the_objective_sovsim_reports() {
    use sovsim_optimise::files::Format;
    let (_, s) = eu();
    let mps = sovsim_optimise::write_model(&s, Format::Mps).expect("writes");
    let size = sovsim_optimise::model_size(&s).expect("builds");
    let (problem, constant) = highs_of_mps(&mps);
    assert_eq!(problem.num_rows(), size.rows);
    assert_eq!(problem.num_cols(), size.columns);
    // Readable names: a row per grid connection's capacity, a column per site acquisition.
    assert!(
        mps.contains(" L  grid_capacity[") && mps.contains("acquire["),
        "{}",
        &mps[..400]
    );
    let mut model = problem.optimise(highs::Sense::Minimise);
    model.make_quiet();
    model.set_option("mip_rel_gap", s.optimize.mip_gap);
    let solved = model.solve();
    assert_eq!(solved.status(), highs::HighsModelStatus::Optimal);
    let outside = (solved.objective_value() + constant) * 1e6;
    let o = sovsim_optimise::optimise(&s).expect("solves");
    // Both stop within the relative MIP gap of the same optimum.
    let tolerance = 2.0 * s.optimize.mip_gap * o.objective.abs();
    assert!(
        (outside - o.objective).abs() <= tolerance,
        "HiGHS alone {outside}, sovsim {}",
        o.objective
    );
    // The LP file states the same rows and integer columns.
    let lp = sovsim_optimise::write_model(&s, Format::Lp).expect("writes");
    let subject = lp.split("Subject To").nth(1).expect("constraints");
    let constraints = subject
        .split("Bounds")
        .next()
        .expect("bounds")
        .lines()
        .filter(|l| l.starts_with(' ') && l.contains(':'))
        .count();
    assert_eq!(constraints, size.rows);
    // LP names hold none of the characters the format reads as operators or brackets.
    assert!(
        lp.contains(" grid_capacity(de_brandenburg_grid):") && !subject.contains('['),
        "{}",
        &subject[..400]
    );
    let general = lp.split("General").nth(1).unwrap_or("");
    assert_eq!(
        general.split_whitespace().filter(|w| *w != "End").count(),
        size.integer_columns
    );
}

/// `two_sites` with a US cloud's Irish region renting up to `gpus` GB300 at €3.50 a GPU-hour from
/// the start, and the demand on `tier` (`eu-resident` admits the region; `eu-immune`, SecNumCloud,
/// does not).
fn with_offer(demand_start: &str, gpus: u64, tier: &str) -> Scenario {
    let text = two_sites(demand_start)
        .replace(
            "[[tiers]]\nid = \"eu-resident\"",
            "[[operators]]\nid = \"us-cloud\"\nparent_jurisdiction = \"US\"\nownership_pct = { US = 100 }\nkey_custody_jurisdiction = \"US\"\nstaff_jurisdictions = [\"US\", \"IE\"]\n\n[[tiers]]\nid = \"eu-immune\"\npreset = \"secnumcloud-3.2\"\n\n[[tiers]]\nid = \"eu-resident\"",
        )
        .replace("tier = \"eu-resident\"", &format!("tier = \"{tier}\""));
    scenario_of(&format!(
        "{text}\n[[cloud_offers]]\nid = \"us-region\"\noperator = \"us-cloud\"\ncountry = \"IE\"\nsku = \"gb300-nvl72\"\ngpus = {gpus}\nprice_per_gpu_hour = 3.5\n"
    ))
}

fn rented_in(o: &sovsim_optimise::Outcome, year: i32) -> f64 {
    o.rented
        .iter()
        .filter(|r| r.year == year)
        .map(|r| r.gpu_hours)
        .sum()
}

#[test]
fn a_demand_nothing_can_be_built_for_yet_is_rented_exactly_where_its_tier_admits_the_region() {
    // Demand from the first day: no site is permitted before 2027. The Irish region serves
    // `eu-resident`, so 2026's tokens are rented: tokens ÷ tokens per GPU-hour of a GB300.
    let s = with_offer("2026-01-01", 100_000, "eu-resident");
    let o = sovsim_optimise::optimise(&s).expect("solves");
    let rate = sovsim_core::dispatch::Setup::new(&s, sovsim_core::model::Policy::Grid)
        .inference_rate(0, 0);
    let needed = 1e13 * 365.25 / rate;
    let rented = rented_in(&o, 2026);
    // The solve stops within its MIP gap, which may leave a sliver short (2e-5 here).
    assert!(
        (rented - needed).abs() <= 1e-3 * needed,
        "rented {rented}, needed {needed}"
    );
    assert!(
        o.shortfalls.iter().all(|s| s.it_gw < 1e-3),
        "{:?}",
        o.shortfalls
    );
    let rent = o
        .parts
        .iter()
        .find(|p| p.name == "cloud_rent")
        .expect("rent part");
    assert!(rent.value > 0.0);
    // SecNumCloud refuses a US-controlled region: nothing rented, the first year short.
    let strict = with_offer("2026-01-01", 100_000, "eu-immune");
    let o = sovsim_optimise::optimise(&strict).expect("solves");
    assert_eq!(o.rented_gpu_hours(), 0.0);
    assert!(!o.explanation.is_empty());
    // The cost of that rule: relaxed, the plan rents, meets demand from the first year, and the
    // rule's premium per GPU-hour served is positive.
    let costs = sovsim_optimise::cost_of_sovereignty(&strict, &o).expect("solves");
    let c = costs
        .iter()
        .find(|c| c.tier == "eu-immune")
        .expect("priced");
    assert_eq!(c.strict_rented_gpu_hours, 0.0);
    assert!(c.relaxed_rented_gpu_hours > 0.0, "{c:?}");
    assert_eq!(c.relaxed_met_from, Some(2026), "{c:?}");
    assert!(c.strict_met_from > Some(2026), "{c:?}");
    assert!(c.premium_eur_per_gpu_hour > 0.0, "{c:?}");
}

#[test]
fn an_offer_rents_no_more_than_its_gpus() {
    // 100 GPUs cannot carry a demand of thousands: each period rents at most 100 × its hours.
    let s = with_offer("2026-01-01", 100, "eu-resident");
    let o = sovsim_optimise::optimise(&s).expect("solves");
    assert!(!o.rented.is_empty());
    for r in &o.rented {
        assert!(r.gpus <= 100.0 * (1.0 + 1e-9), "{r:?}");
    }
    assert!(!o.explanation.is_empty(), "the rest is short");
}

#[test]
fn relaxing_every_rule_on_the_eu_scenario_lets_the_plan_rent_the_region_where_it_is_cheaper() {
    let (_, s) = eu();
    // The Irish region of a US hyperscaler passes `eu-resident` only (US parent, holder and keys).
    let offers = sovsim_core::sovereignty::evaluate_offers(&s);
    let tiers: Vec<&str> = s.tiers.iter().map(|t| t.id.as_str()).collect();
    let admitted: Vec<&str> = tiers
        .iter()
        .zip(&offers[0].qualifies)
        .filter(|(_, q)| **q)
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(admitted, ["eu-resident"]);
    let strict = sovsim_optimise::optimise(&s).expect("solves");
    let mut open = s.clone();
    for tier in &mut open.tiers {
        tier.clauses.clear();
    }
    let relaxed = sovsim_optimise::optimise(&open).expect("solves");
    // Without rules every demand may rent, so the plan rents at least as much and costs no more.
    assert!(strict.rented_gpu_hours() > 0.0);
    assert!(relaxed.rented_gpu_hours() >= strict.rented_gpu_hours() * (1.0 - s.optimize.mip_gap));
    let tolerance = s.optimize.mip_gap * (strict.objective.abs() + relaxed.objective.abs());
    assert!(relaxed.objective <= strict.objective + tolerance);
    // Renting is cheaper than building where it is used: the region is used to its 50,000 GPUs in
    // some year (its capacity row binds).
    assert!(
        relaxed
            .rented
            .iter()
            .any(|r| r.gpus >= 50_000.0 * (1.0 - 1e-6)),
        "{:?}",
        relaxed.rented
    );
}

#[test]
fn an_operators_cost_of_capital_charges_its_gpus_and_halls_by_the_ratio_of_capital_recovery() {
    // `op` pays 10 % for capital where the planner discounts at 5 %: a GPU lasting 6 years costs
    // the planner CRF(10 %, 6) ÷ CRF(5 %, 6) = 0.229607 ÷ 0.197017 = 1.16541 of its price, a hall
    // lasting 25 years CRF(10 %, 25) ÷ CRF(5 %, 25) = 0.110168 ÷ 0.070952 = 1.55271.
    let crf = |r: f64, n: f64| r / (1.0 - (1.0f64 + r).powf(-n));
    let gpu = crf(0.10, 6.0) / crf(0.05, 6.0);
    let hall = crf(0.10, 25.0) / crf(0.05, 25.0);
    assert!((gpu - 1.16541).abs() < 1e-5 && (hall - 1.55271).abs() < 1e-5);
    let text = two_sites("2031-01-01");
    let base = sovsim_optimise::optimise(&scenario_of(&text)).expect("solves");
    let dear = scenario_of(&text.replace(
        "staff_jurisdictions = [\"FR\"]",
        "staff_jurisdictions = [\"FR\"]\ncost_of_capital = 0.10",
    ));
    assert_eq!(dear.operators[0].cost_of_capital, Some(0.10));
    let o = sovsim_optimise::optimise(&dear).expect("solves");
    // The same plan (demand fixes the GPUs, the land price the site); its capex parts scale.
    assert_eq!(acquired(&o), acquired(&base));
    let part = |x: &sovsim_optimise::Outcome, name: &str| {
        x.parts
            .iter()
            .find(|p| p.name == name)
            .map_or(0.0, |p| p.value)
    };
    let ratio = part(&o, "gpus") / part(&base, "gpus");
    assert!((ratio - gpu).abs() < 1e-3 * gpu, "gpus {ratio} vs {gpu}");
    let ratio = part(&o, "halls") / part(&base, "halls");
    assert!(
        (ratio - hall).abs() < 1e-3 * hall,
        "halls {ratio} vs {hall}"
    );
}

#[test]
fn an_operators_build_cost_scales_the_capex_of_the_halls_it_alone_fills() {
    let text = two_sites("2031-01-01");
    let plain = scenario_of(&text);
    let cheap = scenario_of(&text.replace(
        "staff_jurisdictions = [\"FR\"]",
        "staff_jurisdictions = [\"FR\"]\nbuild_cost_factor = 0.8",
    ));
    for (a, b) in plain.shells.iter().zip(&cheap.shells) {
        let (a, b) = (
            a.capex_eur_per_mw.expect("priced"),
            b.capex_eur_per_mw.expect("priced"),
        );
        assert!((b - 0.8 * a).abs() < 1e-9 * a, "{b} vs 0.8 × {a}");
    }
}
