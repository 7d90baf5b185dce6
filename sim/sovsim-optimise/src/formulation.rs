//! The MILP, one `define_*` function per component (the maths is in the crate docs). Rows are
//! kept as plain term lists with their family and place, so the problem size is counted exactly
//! and every dual can be named; they become good_lp constraints only when the model is handed
//! to HiGHS.

use good_lp::{Expression, ProblemVariables, Variable, variable};

use crate::instance::Instance;
use sovsim_core::model::Objective;

/// Scale of the model's units: MW, thousands of GPUs, millions of GPU-hours, GWh, tCO₂, € millions.
pub const EUR_PER_UNIT: f64 = 1e6;
/// GPUs per GPU variable unit.
pub const GPUS_PER_UNIT: f64 = 1e3;
/// GPU-hours per work unit.
pub const GPU_HOURS_PER_UNIT: f64 = 1e6;

/// Families of constraints, for shadow prices and the shortfall explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Site IT limit.
    SiteIt,
    /// Site land area.
    Land,
    /// Grid connection capacity.
    GridCap,
    /// On-site power asset capacity.
    PowerCap,
    /// Hall size stated by the scenario.
    HallCap,
    /// Hall IT load within completed capacity.
    HallIt,
    /// Facility power within available power, per site and period.
    SitePower,
    /// Energy drawn equals energy supplied.
    EnergyBalance,
    /// Energy of one source within its capacity.
    SourceEnergy,
    /// GPU-hours given within GPU-hours working.
    GpuHours,
    /// Demand met (elastic).
    Demand,
    /// Capex budget per year (elastic).
    Budget,
    /// Carbon cap per year (elastic).
    Carbon,
    /// Minimum sovereign share of GPU IT power.
    SovereignShare,
    /// Committed entities fixed.
    Committed,
    /// GPU-hours rented from a cloud offer within the GPUs it offers.
    OfferCap,
}

impl Family {
    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Family::SiteIt => "site_it",
            Family::Land => "land",
            Family::GridCap => "grid_capacity",
            Family::PowerCap => "power_capacity",
            Family::HallCap => "hall_capacity",
            Family::HallIt => "hall_it",
            Family::SitePower => "site_power",
            Family::EnergyBalance => "energy_balance",
            Family::SourceEnergy => "source_energy",
            Family::GpuHours => "gpu_hours",
            Family::Demand => "demand",
            Family::Budget => "budget",
            Family::Carbon => "carbon",
            Family::SovereignShare => "sovereign_share",
            Family::Committed => "committed",
            Family::OfferCap => "offer_capacity",
        }
    }

    /// What one more unit of the row's limit is, and the factor from the dual (€M per model unit)
    /// to that unit's value in euros.
    pub fn unit(self) -> (&'static str, f64) {
        match self {
            Family::SiteIt | Family::GridCap | Family::PowerCap | Family::HallIt => {
                ("EUR per MW", EUR_PER_UNIT)
            }
            Family::SitePower => ("EUR per MW in the period", EUR_PER_UNIT),
            Family::Land => ("EUR per ha", EUR_PER_UNIT),
            Family::HallCap => ("EUR per block", EUR_PER_UNIT),
            Family::EnergyBalance | Family::SourceEnergy => ("EUR per MWh", EUR_PER_UNIT / 1e3),
            Family::GpuHours | Family::Demand | Family::OfferCap => {
                ("EUR per GPU-hour", EUR_PER_UNIT / GPU_HOURS_PER_UNIT)
            }
            Family::Budget => ("EUR per EUR", 1.0),
            Family::Carbon => ("EUR per tCO2", EUR_PER_UNIT),
            Family::SovereignShare => ("EUR per MW", EUR_PER_UNIT),
            Family::Committed => ("EUR per unit", EUR_PER_UNIT),
        }
    }
}

/// Sense of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    Le,
    Ge,
    Eq,
}

/// One constraint: Σ terms (sense) rhs.
#[derive(Clone, Debug)]
pub struct Row {
    pub terms: Vec<(Variable, f64)>,
    pub sense: Sense,
    pub rhs: f64,
    pub family: Family,
    /// Index of the site, connection, asset, hall, cluster or demand it concerns (family-specific).
    pub entity: Option<usize>,
    pub period: Option<usize>,
}

/// A linear expression as terms plus a constant.
#[derive(Clone, Debug, Default)]
pub struct Lin {
    pub terms: Vec<(Variable, f64)>,
    pub constant: f64,
}

impl Lin {
    fn add(&mut self, v: Variable, c: f64) {
        if c != 0.0 {
            self.terms.push((v, c));
        }
    }

    fn extend(&mut self, other: &Lin, factor: f64) {
        for &(v, c) in &other.terms {
            self.add(v, c * factor);
        }
        self.constant += other.constant * factor;
    }

    /// As a good_lp expression.
    pub fn expression(&self) -> Expression {
        let mut e = Expression::with_capacity(self.terms.len());
        for &(v, c) in &self.terms {
            e.add_mul(c, v);
        }
        e + self.constant
    }
}

/// One named part of the objective.
#[derive(Clone, Debug)]
pub struct Part {
    pub name: &'static str,
    pub lin: Lin,
}

/// The variables of the model, by index of entity and period (`None`: no such variable).
#[derive(Clone, Debug, Default)]
pub struct Vars {
    pub acquire: Vec<Variable>,
    pub grid: Vec<Variable>,
    pub power: Vec<Vec<Option<Variable>>>,
    pub blocks: Vec<Vec<Option<Variable>>>,
    /// Per cluster: (hall, per period GPUs ordered [thousands]).
    pub gpus: Vec<Vec<(usize, Vec<Variable>)>>,
    /// Per demand, per cluster it may use: per period work given [million GPU-hours].
    pub work: Vec<Vec<(usize, Vec<Variable>)>>,
    /// Per demand, per cloud offer it may use: per period GPU-hours rented [million].
    pub rent: Vec<Vec<(usize, Vec<Variable>)>>,
    /// Per grid connection and per power asset: energy per period [GWh].
    pub grid_energy: Vec<Vec<Variable>>,
    pub power_energy: Vec<Vec<Variable>>,
    pub short: Vec<Vec<Variable>>,
    pub over_budget: Vec<Variable>,
    pub over_carbon: Vec<Variable>,
}

/// Which rules apply and how integers are treated.
#[derive(Clone, Debug)]
pub struct Settings {
    pub objective: Objective,
    pub budget_eur_per_year: Option<f64>,
    pub carbon_cap_t_per_year: Option<f64>,
    pub sovereign_tiers: Vec<usize>,
    pub min_sovereign_share: Option<(usize, f64)>,
    pub shortfall_penalty_factor: f64,
    /// Integer values to fix (site acquisitions, hall blocks), turning the MILP into the LP whose
    /// duals are the shadow prices.
    pub fixed: Option<Fixed>,
}

/// Values of the integer variables of a solved MILP.
#[derive(Clone, Debug)]
pub struct Fixed {
    pub acquire: Vec<f64>,
    pub blocks: Vec<Vec<Option<f64>>>,
}

/// A column as created: its bounds and whether it is integer (what a model file states).
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub variable: Variable,
    pub lower: f64,
    pub upper: f64,
    pub integer: bool,
}

/// The model before solving.
pub struct Model {
    pub problem: ProblemVariables,
    pub vars: Vars,
    pub rows: Vec<Row>,
    pub parts: Vec<Part>,
    /// Every column, in creation order.
    pub column_list: Vec<Column>,
    pub columns: usize,
    pub integer_columns: usize,
    /// Penalty per unit of shortfall [€M per million GPU-hours of the fastest eligible cluster].
    pub shortfall_penalty: f64,
}

/// The objective: the sum of its parts.
pub fn objective(parts: &[Part]) -> Lin {
    let mut all = Lin::default();
    for p in parts {
        all.extend(&p.lin, 1.0);
    }
    all
}

impl Model {
    /// Rows, columns, integer columns and non-zeros.
    pub fn size(&self) -> crate::Size {
        crate::Size {
            rows: self.rows.len(),
            columns: self.columns,
            integer_columns: self.integer_columns,
            non_zeros: self.rows.iter().map(|r| r.terms.len()).sum(),
        }
    }

    fn row(
        &mut self,
        terms: Vec<(Variable, f64)>,
        sense: Sense,
        rhs: f64,
        family: Family,
        entity: Option<usize>,
        period: Option<usize>,
    ) {
        self.rows.push(Row {
            terms,
            sense,
            rhs,
            family,
            entity,
            period,
        });
    }

    fn column(&mut self, variable: Variable, lower: f64, upper: f64, integer: bool) -> Variable {
        self.columns += 1;
        self.column_list.push(Column {
            variable,
            lower,
            upper,
            integer,
        });
        variable
    }

    fn continuous(&mut self, max: f64) -> Variable {
        let v = if max.is_finite() {
            self.problem.add(variable().min(0.0).max(max))
        } else {
            self.problem.add(variable().min(0.0))
        };
        self.column(v, 0.0, max, false)
    }

    fn integer(&mut self, max: f64, fixed: Option<f64>) -> Variable {
        match fixed {
            Some(x) => {
                let v = self.problem.add(variable().min(x).max(x));
                self.column(v, x, x, false)
            }
            None => {
                self.integer_columns += 1;
                let v = self.problem.add(variable().integer().min(0.0).max(max));
                self.column(v, 0.0, max, true)
            }
        }
    }
}

/// Builds the whole model.
pub fn build(inst: &Instance, settings: &Settings) -> Model {
    let mut m = Model {
        problem: ProblemVariables::new(),
        vars: Vars::default(),
        rows: Vec::new(),
        parts: Vec::new(),
        column_list: Vec::new(),
        columns: 0,
        integer_columns: 0,
        shortfall_penalty: 0.0,
    };
    define_sites(&mut m, inst, settings);
    define_grid(&mut m, inst);
    define_power(&mut m, inst);
    define_halls(&mut m, inst, settings);
    define_cooling_and_gpus(&mut m, inst);
    let online = define_lead_times(&m, inst);
    define_facility_power(&mut m, inst, &online);
    define_energy(&mut m, inst, &online);
    define_demand(&mut m, inst, settings, &online);
    define_budget(&mut m, inst, settings);
    define_carbon(&mut m, inst, settings);
    define_sovereign_share(&mut m, inst, settings, &online);
    define_objective(&mut m, inst, settings, &online);
    m
}

/// Site acquisition (binary), its IT limit and its land.
fn define_sites(m: &mut Model, inst: &Instance, settings: &Settings) {
    for (s, site) in inst.sites.iter().enumerate() {
        let fixed = settings
            .fixed
            .as_ref()
            .map(|f| f.acquire[s])
            .or(site.committed.then_some(1.0));
        let y = m.integer(1.0, fixed);
        m.vars.acquire.push(y);
    }
}

/// Grid connection MW per connection, capped and only on acquired sites.
fn define_grid(m: &mut Model, inst: &Instance) {
    for (g, grid) in inst.grid.iter().enumerate() {
        let v = m.continuous(grid.cap_mw);
        m.vars.grid.push(v);
        let y = m.vars.acquire[grid.site];
        if grid.committed {
            m.row(
                vec![(v, 1.0)],
                Sense::Eq,
                grid.cap_mw,
                Family::Committed,
                Some(g),
                None,
            );
        }
        m.row(
            vec![(v, 1.0), (y, -grid.cap_mw)],
            Sense::Le,
            0.0,
            Family::GridCap,
            Some(g),
            None,
        );
    }
}

/// On-site power MW built per asset and period, from its earliest start, capped in total.
fn define_power(m: &mut Model, inst: &Instance) {
    for (a, p) in inst.power.iter().enumerate() {
        let vars: Vec<Option<Variable>> = (0..inst.periods)
            .map(|t| (t >= p.earliest || p.committed == Some(t)).then(|| m.continuous(p.cap_mw)))
            .collect();
        let mut cap: Vec<(Variable, f64)> = vars.iter().flatten().map(|&v| (v, 1.0)).collect();
        if let Some(t0) = p.committed {
            for (t, v) in vars.iter().enumerate() {
                if let Some(v) = v {
                    let value = if t == t0 { p.cap_mw } else { 0.0 };
                    m.row(
                        vec![(*v, 1.0)],
                        Sense::Eq,
                        value,
                        Family::Committed,
                        Some(a),
                        Some(t),
                    );
                }
            }
        }
        cap.push((m.vars.acquire[p.site], -p.cap_mw));
        m.row(cap, Sense::Le, 0.0, Family::PowerCap, Some(a), None);
        m.vars.power.push(vars);
    }
}

/// Hall blocks started per period (integer), the site's IT limit and land.
fn define_halls(m: &mut Model, inst: &Instance, settings: &Settings) {
    for (h, hall) in inst.halls.iter().enumerate() {
        let ready = inst.sites[hall.site].ready;
        let vars: Vec<Option<Variable>> = (0..inst.periods)
            .map(|t| {
                let committed = hall.committed.as_ref().map(|c| c[t]);
                let fixed = settings
                    .fixed
                    .as_ref()
                    .and_then(|f| f.blocks[h][t])
                    .or(committed);
                (t >= ready || committed.is_some_and(|b| b > 0.0))
                    .then(|| m.integer(hall.max_blocks, fixed))
            })
            .collect();
        let terms: Vec<(Variable, f64)> = vars.iter().flatten().map(|&v| (v, 1.0)).collect();
        m.row(
            terms,
            Sense::Le,
            hall.max_blocks,
            Family::HallCap,
            Some(h),
            None,
        );
        m.vars.blocks.push(vars);
    }
    for (s, site) in inst.sites.iter().enumerate() {
        let mut it = Vec::new();
        let mut land = Vec::new();
        for (h, hall) in inst.halls.iter().enumerate().filter(|(_, h)| h.site == s) {
            for v in m.vars.blocks[h].iter().flatten() {
                it.push((*v, hall.block_mw));
                land.push((*v, hall.block_mw * hall.land_ha_per_mw));
            }
        }
        let y = m.vars.acquire[s];
        it.push((y, -site.max_it_mw));
        m.row(it, Sense::Le, 0.0, Family::SiteIt, Some(s), None);
        if !land.is_empty() {
            land.push((y, -site.area_ha));
            m.row(land, Sense::Le, 0.0, Family::Land, Some(s), None);
        }
    }
}

/// GPUs ordered per cluster, hall and period. Cooling compatibility decides which halls a
/// cluster may go in: any hall on its site, except that liquid-cooled SKUs need liquid halls.
fn define_cooling_and_gpus(m: &mut Model, inst: &Instance) {
    for (c, cl) in inst.clusters.iter().enumerate() {
        let mut per_hall = Vec::new();
        for (h, hall) in inst.halls.iter().enumerate() {
            if hall.site != cl.site || (cl.liquid && !hall.liquid) {
                continue;
            }
            let vars: Vec<Variable> = (0..inst.periods)
                .map(|_| m.continuous(f64::INFINITY))
                .collect();
            if let Some((t0, gpus)) = cl.committed.filter(|_| h == cl.hall)
                && let Some(v) = vars.get(t0)
            {
                m.row(
                    vec![(*v, 1.0)],
                    Sense::Ge,
                    gpus / GPUS_PER_UNIT,
                    Family::Committed,
                    Some(c),
                    Some(t0),
                );
            }
            per_hall.push((h, vars));
        }
        m.vars.gpus.push(per_hall);
    }
}

/// GPUs of one cluster in one hall: (hall, working per period, arrived per period 0..=T).
pub type HallGpus = (usize, Vec<Lin>, Vec<Lin>);

/// What is usable in each period: built in period t, usable from t + lead time; GPUs retire
/// after their useful life.
pub struct Online {
    /// Per cluster, hall: per period GPUs working [thousands]; per period 0..=T GPUs arrived,
    /// retired or not (index T: every order). Halls and power are sized for every GPU ever
    /// installed — retired GPUs are not replaced in their racks, which keeps the plan a scenario
    /// whose halls hold all of its clusters.
    pub gpus: Vec<Vec<HallGpus>>,
    /// Per hall and period 0..=T: IT capacity completed [MW] (index T: every block started).
    pub shell_mw: Vec<Vec<Lin>>,
    /// Per asset and period 0..=T: capacity delivered [MW] (index T: everything built).
    pub power_mw: Vec<Vec<Lin>>,
}

impl Online {
    /// GPUs of cluster `c` online in period `t`, all halls.
    pub fn cluster(&self, c: usize, t: usize) -> Lin {
        let mut l = Lin::default();
        for (_, per, _) in &self.gpus[c] {
            l.extend(&per[t], 1.0);
        }
        l
    }
}

fn define_lead_times(m: &Model, inst: &Instance) -> Online {
    let periods = inst.periods;
    let gpus = inst
        .clusters
        .iter()
        .enumerate()
        .map(|(c, cl)| {
            m.vars.gpus[c]
                .iter()
                .map(|(h, vars)| {
                    let per = (0..periods)
                        .map(|t| {
                            let mut l = Lin::default();
                            for (tau, v) in vars.iter().enumerate() {
                                if tau + cl.lag <= t && t < tau + cl.lag + cl.life {
                                    l.add(*v, 1.0);
                                }
                            }
                            l
                        })
                        .collect();
                    // Arrived by t, retired or not; at index T, every order of the horizon.
                    let arrived = (0..=periods)
                        .map(|t| {
                            let mut l = Lin::default();
                            for (tau, v) in vars.iter().enumerate() {
                                if tau + cl.lag <= t || t == periods {
                                    l.add(*v, 1.0);
                                }
                            }
                            l
                        })
                        .collect();
                    (*h, per, arrived)
                })
                .collect()
        })
        .collect();
    let shell_mw = inst
        .halls
        .iter()
        .enumerate()
        .map(|(h, hall)| delivered(&m.vars.blocks[h], hall.lag, hall.block_mw, periods))
        .collect();
    let power_mw = inst
        .power
        .iter()
        .enumerate()
        .map(|(a, p)| delivered(&m.vars.power[a], p.lag, 1.0, periods))
        .collect();
    Online {
        gpus,
        shell_mw,
        power_mw,
    }
}

/// What builds started per period deliver by each period 0..=T, `lag` periods after they start
/// (index T: everything started), each unit worth `per_unit`.
fn delivered(started: &[Option<Variable>], lag: usize, per_unit: f64, periods: usize) -> Vec<Lin> {
    (0..=periods)
        .map(|t| {
            let mut l = Lin::default();
            for (tau, v) in started.iter().enumerate() {
                if let Some(v) = v
                    && (tau + lag <= t || t == periods)
                {
                    l.add(*v, per_unit);
                }
            }
            l
        })
        .collect()
}

/// IT load of a hall in period t [MW] (thousands of GPUs × kW per GPU = MW): of the GPUs
/// working, or (`installed`) of every GPU that arrived, for sizing halls and power.
fn hall_it(inst: &Instance, online: &Online, h: usize, t: usize, installed: bool) -> Lin {
    let mut l = Lin::default();
    for (c, cl) in inst.clusters.iter().enumerate() {
        for (hh, working, arrived) in &online.gpus[c] {
            if *hh == h {
                l.extend(
                    if installed { &arrived[t] } else { &working[t] },
                    cl.kw_per_gpu,
                );
            }
        }
    }
    l
}

/// Facility power (IT × PUE) of a site ≤ grid MW (once connected) + Σ availability × on-site MW;
/// each hall's IT load ≤ its completed IT capacity.
fn define_facility_power(m: &mut Model, inst: &Instance, online: &Online) {
    // Period T stands for the end state: every block, asset and GPU order of the horizon.
    for t in 0..=inst.periods {
        let period = (t < inst.periods).then_some(t);
        for h in 0..inst.halls.len() {
            let mut terms = hall_it(inst, online, h, t, true).terms;
            terms.extend(online.shell_mw[h][t].terms.iter().map(|&(v, c)| (v, -c)));
            m.row(terms, Sense::Le, 0.0, Family::HallIt, Some(h), period);
        }
        for s in 0..inst.sites.len() {
            let mut terms = Vec::new();
            for (h, hall) in inst.halls.iter().enumerate().filter(|(_, h)| h.site == s) {
                terms.extend(
                    hall_it(inst, online, h, t, true)
                        .terms
                        .into_iter()
                        .map(|(v, c)| (v, c * hall.pue)),
                );
            }
            if terms.is_empty() {
                continue;
            }
            for (g, grid) in inst.grid.iter().enumerate().filter(|(_, g)| g.site == s) {
                if t >= grid.from || t == inst.periods {
                    terms.push((m.vars.grid[g], -1.0));
                }
            }
            for (a, p) in inst.power.iter().enumerate().filter(|(_, p)| p.site == s) {
                terms.extend(
                    online.power_mw[a][t]
                        .terms
                        .iter()
                        .map(|&(v, c)| (v, -c * p.availability)),
                );
            }
            m.row(terms, Sense::Le, 0.0, Family::SitePower, Some(s), period);
        }
    }
}

/// Energy per source [GWh]: the facility load of every online GPU (all-in power × PUE, all
/// period long) comes from the site's connections and assets, each within its capacity.
fn define_energy(m: &mut Model, inst: &Instance, online: &Online) {
    let gwh_per_mw = inst.hours() / 1e3;
    m.vars.grid_energy = inst
        .grid
        .iter()
        .map(|_| {
            (0..inst.periods)
                .map(|_| m.continuous(f64::INFINITY))
                .collect()
        })
        .collect();
    m.vars.power_energy = inst
        .power
        .iter()
        .map(|_| {
            (0..inst.periods)
                .map(|_| m.continuous(f64::INFINITY))
                .collect()
        })
        .collect();
    for t in 0..inst.periods {
        for (g, grid) in inst.grid.iter().enumerate() {
            let e = m.vars.grid_energy[g][t];
            let mut terms = vec![(e, 1.0)];
            if t >= grid.from {
                terms.push((m.vars.grid[g], -gwh_per_mw));
            }
            m.row(
                terms,
                Sense::Le,
                0.0,
                Family::SourceEnergy,
                Some(g),
                Some(t),
            );
        }
        for (a, p) in inst.power.iter().enumerate() {
            let e = m.vars.power_energy[a][t];
            let mut terms = vec![(e, 1.0)];
            terms.extend(
                online.power_mw[a][t]
                    .terms
                    .iter()
                    .map(|&(v, c)| (v, -c * p.availability * gwh_per_mw)),
            );
            m.row(
                terms,
                Sense::Le,
                0.0,
                Family::SourceEnergy,
                Some(inst.grid.len() + a),
                Some(t),
            );
        }
        for s in 0..inst.sites.len() {
            let mut terms = Vec::new();
            for (h, hall) in inst.halls.iter().enumerate().filter(|(_, h)| h.site == s) {
                terms.extend(
                    hall_it(inst, online, h, t, false)
                        .terms
                        .into_iter()
                        .map(|(v, c)| (v, c * hall.pue * gwh_per_mw)),
                );
            }
            if terms.is_empty() {
                continue;
            }
            for (g, _) in inst.grid.iter().enumerate().filter(|(_, g)| g.site == s) {
                terms.push((m.vars.grid_energy[g][t], -1.0));
            }
            for (a, _) in inst.power.iter().enumerate().filter(|(_, p)| p.site == s) {
                terms.push((m.vars.power_energy[a][t], -1.0));
            }
            m.row(
                terms,
                Sense::Eq,
                0.0,
                Family::EnergyBalance,
                Some(s),
                Some(t),
            );
        }
    }
}

/// Each demand's work per period is met by GPU-hours of the clusters it may use (its tier's
/// eligibility and, under `siloed`, its operators), at each cluster's rate; shortfall is elastic.
/// Work is measured in GPU-hours of the fastest cluster the demand may use, so rows are O(1).
fn define_demand(m: &mut Model, inst: &Instance, settings: &Settings, online: &Online) {
    let hours = inst.hours();
    // The dearest way to serve a GPU-hour: a GPU's price spread over one period.
    let dearest = inst
        .clusters
        .iter()
        .map(|c| c.price_eur / hours)
        .fold(0.0, f64::max);
    m.shortfall_penalty =
        settings.shortfall_penalty_factor * dearest * GPU_HOURS_PER_UNIT / EUR_PER_UNIT;
    let mut users: Vec<Vec<(usize, usize)>> = vec![Vec::new(); inst.clusters.len()];
    let mut renters: Vec<Vec<(usize, usize)>> = vec![Vec::new(); inst.offers.len()];
    for (j, d) in inst.demands.iter().enumerate() {
        let counted =
            settings.objective == Objective::MinCost || settings.sovereign_tiers.contains(&d.tier);
        let best = d.best_rate();
        let mut per_cluster = Vec::new();
        for (c, &rate) in d.rate.iter().enumerate() {
            if rate > 0.0 && counted {
                let vars: Vec<Variable> = (0..inst.periods)
                    .map(|_| m.continuous(f64::INFINITY))
                    .collect();
                users[c].push((j, per_cluster.len()));
                per_cluster.push((c, vars));
            }
        }
        // Rented GPU-hours, from the period an offer opens (none before).
        let mut per_offer = Vec::new();
        for (o, &rate) in d.offer_rate.iter().enumerate() {
            if rate > 0.0 && counted {
                let vars: Vec<Variable> = (0..inst.periods)
                    .map(|t| {
                        let open = t >= inst.offers[o].from;
                        m.continuous(if open { f64::INFINITY } else { 0.0 })
                    })
                    .collect();
                renters[o].push((j, per_offer.len()));
                per_offer.push((o, vars));
            }
        }
        let short: Vec<Variable> = (0..inst.periods)
            .map(|_| m.continuous(f64::INFINITY))
            .collect();
        if counted {
            for t in 0..inst.periods {
                let asked = if best > 0.0 {
                    d.work[t] / best / GPU_HOURS_PER_UNIT
                } else {
                    0.0
                };
                let mut terms: Vec<(Variable, f64)> = per_cluster
                    .iter()
                    .map(|(c, v)| (v[t], d.rate[*c] / best))
                    .collect();
                terms.extend(
                    per_offer
                        .iter()
                        .map(|(o, v)| (v[t], d.offer_rate[*o] / best)),
                );
                terms.push((short[t], 1.0));
                m.row(terms, Sense::Ge, asked, Family::Demand, Some(j), Some(t));
            }
        }
        m.vars.work.push(per_cluster);
        m.vars.rent.push(per_offer);
        m.vars.short.push(short);
    }
    // An offer rents at most its GPUs, every hour of the period.
    for (o, offer) in inst.offers.iter().enumerate() {
        if renters[o].is_empty() {
            continue;
        }
        for t in offer.from..inst.periods {
            let terms: Vec<(Variable, f64)> = renters[o]
                .iter()
                .map(|&(j, k)| (m.vars.rent[j][k].1[t], 1.0))
                .collect();
            let cap = offer.gpus * hours / GPU_HOURS_PER_UNIT;
            m.row(terms, Sense::Le, cap, Family::OfferCap, Some(o), Some(t));
        }
    }
    let units_per_gpu = hours * GPUS_PER_UNIT / GPU_HOURS_PER_UNIT;
    for (c, cl) in inst.clusters.iter().enumerate() {
        if users[c].is_empty() {
            continue;
        }
        for t in 0..inst.periods {
            let mut terms: Vec<(Variable, f64)> = users[c]
                .iter()
                .map(|&(j, k)| (m.vars.work[j][k].1[t], 1.0))
                .collect();
            terms.extend(
                online
                    .cluster(c, t)
                    .terms
                    .into_iter()
                    .map(|(v, k)| (v, -k * cl.availability * units_per_gpu)),
            );
            m.row(terms, Sense::Le, 0.0, Family::GpuHours, Some(c), Some(t));
        }
    }
}

/// Capex of each period [€M, undiscounted]: land when acquired (period 0), halls when started,
/// power when built, GPUs when ordered.
pub fn capex(m: &Model, inst: &Instance, t: usize) -> Lin {
    let mut l = Lin::default();
    if t == 0 {
        for (s, site) in inst.sites.iter().enumerate() {
            l.add(m.vars.acquire[s], site.land_eur / EUR_PER_UNIT);
        }
    }
    for (h, hall) in inst.halls.iter().enumerate() {
        if let Some(v) = m.vars.blocks[h][t] {
            l.add(v, hall.capex_eur_per_mw * hall.block_mw / EUR_PER_UNIT);
        }
    }
    for (a, p) in inst.power.iter().enumerate() {
        if let Some(v) = m.vars.power[a][t] {
            l.add(v, p.capex_eur_per_mw / EUR_PER_UNIT);
        }
    }
    for (c, cl) in inst.clusters.iter().enumerate() {
        for (_, vars) in &m.vars.gpus[c] {
            l.add(vars[t], cl.price_eur * GPUS_PER_UNIT / EUR_PER_UNIT);
        }
    }
    l
}

/// Capex per year ≤ the budget (elastic: overrun is penalised).
fn define_budget(m: &mut Model, inst: &Instance, settings: &Settings) {
    let Some(budget) = settings.budget_eur_per_year else {
        return;
    };
    for t in 0..inst.periods {
        let over = m.continuous(f64::INFINITY);
        m.vars.over_budget.push(over);
        // A budget pays for building and for renting alike: rent is what the planner spends
        // instead of capex.
        let mut terms = capex(m, inst, t).terms;
        for per_offer in &m.vars.rent {
            for (o, vars) in per_offer {
                let price = inst.offers[*o].price_eur_per_gpu_hour[t];
                terms.push((vars[t], price * GPU_HOURS_PER_UNIT / EUR_PER_UNIT));
            }
        }
        terms.push((over, -1.0));
        m.row(
            terms,
            Sense::Le,
            budget * inst.period_years / EUR_PER_UNIT,
            Family::Budget,
            None,
            Some(t),
        );
    }
}

/// Emissions per year ≤ the cap (elastic). GWh × gCO₂/kWh = tCO₂.
fn define_carbon(m: &mut Model, inst: &Instance, settings: &Settings) {
    let Some(cap) = settings.carbon_cap_t_per_year else {
        return;
    };
    for t in 0..inst.periods {
        let over = m.continuous(f64::INFINITY);
        m.vars.over_carbon.push(over);
        let mut terms = emissions(m, inst, t).terms;
        terms.push((over, -1.0));
        m.row(
            terms,
            Sense::Le,
            cap * inst.period_years,
            Family::Carbon,
            None,
            Some(t),
        );
    }
}

/// Emissions of period t [tCO₂].
pub fn emissions(m: &Model, inst: &Instance, t: usize) -> Lin {
    let mut l = Lin::default();
    for (g, grid) in inst.grid.iter().enumerate() {
        l.add(m.vars.grid_energy[g][t], grid.carbon_g_per_kwh);
    }
    for (a, p) in inst.power.iter().enumerate() {
        l.add(m.vars.power_energy[a][t], p.carbon_g_per_kwh);
    }
    l
}

/// IT power of GPUs qualifying for the tier ≥ share × IT power of all GPUs, each period.
fn define_sovereign_share(m: &mut Model, inst: &Instance, settings: &Settings, online: &Online) {
    let Some((tier, share)) = settings.min_sovereign_share else {
        return;
    };
    for t in 0..inst.periods {
        let mut terms = Vec::new();
        for (c, cl) in inst.clusters.iter().enumerate() {
            let k = cl.kw_per_gpu
                * if cl.qualifies[tier] {
                    1.0 - share
                } else {
                    -share
                };
            terms.extend(
                online
                    .cluster(c, t)
                    .terms
                    .into_iter()
                    .map(|(v, x)| (v, x * k)),
            );
        }
        m.row(
            terms,
            Sense::Ge,
            0.0,
            Family::SovereignShare,
            Some(tier),
            Some(t),
        );
    }
}

/// The objective's parts. Under `min_cost`: discounted capex (paid at the start of the period a
/// build starts), opex (mid-period), less the terminal value (straight-line book value left at
/// the end of the horizon, land at cost), plus penalties on slack. Under `max_sovereign`: minus the
/// sovereign work served, plus penalties on budget and carbon overruns.
fn define_objective(m: &mut Model, inst: &Instance, settings: &Settings, online: &Online) {
    let periods = inst.periods;
    let y = inst.period_years;
    let end = inst.df_end();
    let left = |t: usize, life: Option<f64>| match life {
        Some(l) if l > 0.0 => (1.0 - inst.years_left(t) / l).max(0.0),
        _ => 0.0,
    };
    let mut parts: Vec<Part> = Vec::new();
    let mut part = |name: &'static str, lin: Lin| parts.push(Part { name, lin });
    let cost_parts = settings.objective == Objective::MinCost;
    if cost_parts {
        let mut land = Lin::default();
        let mut halls = Lin::default();
        let mut power = Lin::default();
        let mut gpus = Lin::default();
        let mut energy = Lin::default();
        let mut power_om = Lin::default();
        let mut upkeep = Lin::default();
        let mut staff_network = Lin::default();
        let mut terminal = Lin::default();
        for (s, site) in inst.sites.iter().enumerate() {
            let v = m.vars.acquire[s];
            land.add(v, site.land_eur / EUR_PER_UNIT * inst.df_start(0));
            terminal.add(v, -site.land_eur / EUR_PER_UNIT * end);
        }
        for t in 0..periods {
            let (ds, dm) = (inst.df_start(t), inst.df_mid(t));
            for (h, hall) in inst.halls.iter().enumerate() {
                // Capex and the book value left are both charged at the builder's capital cost.
                let per_block =
                    hall.capex_eur_per_mw * hall.block_mw / EUR_PER_UNIT * hall.capital_factor;
                if let Some(v) = m.vars.blocks[h][t] {
                    halls.add(v, per_block * ds);
                    terminal.add(
                        v,
                        -per_block * left(t, Some(inst.opex.shell_life_years)) * end,
                    );
                }
                let per_mw = hall.capex_eur_per_mw / EUR_PER_UNIT;
                upkeep.extend(
                    &online.shell_mw[h][t],
                    per_mw * inst.opex.upkeep_per_year * y * dm,
                );
                staff_network.extend(
                    &online.shell_mw[h][t],
                    inst.opex.staff_eur_per_mw_year / EUR_PER_UNIT * y * dm,
                );
            }
            for (a, p) in inst.power.iter().enumerate() {
                let per_mw = p.capex_eur_per_mw / EUR_PER_UNIT;
                if let Some(v) = m.vars.power[a][t] {
                    power.add(v, per_mw * ds);
                    terminal.add(v, -per_mw * left(t, p.life_years) * end);
                }
                power_om.extend(
                    &online.power_mw[a][t],
                    per_mw * p.fixed_om_per_year * y * dm,
                );
                energy.add(
                    m.vars.power_energy[a][t],
                    p.energy_eur_per_mwh * 1e3 / EUR_PER_UNIT * dm,
                );
            }
            for (g, grid) in inst.grid.iter().enumerate() {
                energy.add(
                    m.vars.grid_energy[g][t],
                    grid.price_eur_per_mwh * 1e3 / EUR_PER_UNIT * dm,
                );
            }
            for (c, cl) in inst.clusters.iter().enumerate() {
                let per_unit = cl.price_eur * GPUS_PER_UNIT / EUR_PER_UNIT;
                let charged = per_unit * cl.capital_factor;
                for (_, vars) in &m.vars.gpus[c] {
                    gpus.add(vars[t], charged * ds);
                    terminal.add(vars[t], -charged * left(t, Some(cl.life_years)) * end);
                }
                let working = online.cluster(c, t);
                upkeep.extend(&working, per_unit * inst.opex.upkeep_per_year * y * dm);
                staff_network.extend(
                    &working,
                    inst.opex.network_eur_per_gpu_year * GPUS_PER_UNIT / EUR_PER_UNIT * y * dm,
                );
            }
        }
        part("land", land);
        part("halls", halls);
        part("power_capex", power);
        part("gpus", gpus);
        part("energy", energy);
        part("power_fixed_om", power_om);
        part("maintenance_insurance", upkeep);
        part("staff_network", staff_network);
        part("terminal_value", terminal);
        let mut rent = Lin::default();
        for per_offer in &m.vars.rent {
            for (o, vars) in per_offer {
                for (t, &v) in vars.iter().enumerate() {
                    let price = inst.offers[*o].price_eur_per_gpu_hour[t];
                    rent.add(
                        v,
                        price * GPU_HOURS_PER_UNIT / EUR_PER_UNIT * inst.df_mid(t),
                    );
                }
            }
        }
        part("cloud_rent", rent);
        let mut short = Lin::default();
        for (j, _) in inst.demands.iter().enumerate() {
            for t in 0..periods {
                short.add(m.vars.short[j][t], m.shortfall_penalty * inst.df_mid(t));
            }
        }
        part("penalty_shortfall", short);
    } else {
        let mut served = Lin::default();
        for (j, d) in inst.demands.iter().enumerate() {
            if !settings.sovereign_tiers.contains(&d.tier) {
                continue;
            }
            for (_, vars) in &m.vars.work[j] {
                for &v in vars {
                    served.add(v, 0.0);
                }
            }
            for t in 0..periods {
                // Served = asked − short; maximising it is minimising short (the constant is the ask).
                let best = d.best_rate();
                let asked = if best > 0.0 {
                    d.work[t] / best / GPU_HOURS_PER_UNIT
                } else {
                    0.0
                };
                served.constant -= asked;
                served.add(m.vars.short[j][t], 1.0);
            }
        }
        part("sovereign_work_served", served);
    }
    // An overrun costs more than every shortfall it could avoid (see the crate docs).
    let budget_penalty = settings.shortfall_penalty_factor * (periods as f64 + 1.0);
    let mut over = Lin::default();
    for &v in &m.vars.over_budget {
        over.add(v, budget_penalty);
    }
    part("penalty_budget", over);
    let intensity = inst
        .clusters
        .iter()
        .flat_map(|c| {
            inst.halls
                .iter()
                .filter(move |h| h.site == c.site)
                .map(move |h| c.kw_per_gpu * h.pue)
        })
        .fold(f64::INFINITY, f64::min);
    let cleanest = inst
        .grid
        .iter()
        .map(|g| g.carbon_g_per_kwh)
        .chain(inst.power.iter().map(|p| p.carbon_g_per_kwh))
        .filter(|g| *g > 0.0)
        .fold(f64::INFINITY, f64::min);
    // tCO₂ per million GPU-hours at the cleanest emitting source: intensity [kW] × 1e6 h = GWh.
    let t_per_unit = intensity * cleanest;
    let carbon_penalty = if t_per_unit.is_finite() && t_per_unit > 0.0 {
        settings.shortfall_penalty_factor * m.shortfall_penalty.max(1.0) / t_per_unit
    } else {
        settings.shortfall_penalty_factor
    };
    let mut over = Lin::default();
    for &v in &m.vars.over_carbon {
        over.add(v, carbon_penalty);
    }
    part("penalty_carbon", over);
    m.parts = parts;
}
