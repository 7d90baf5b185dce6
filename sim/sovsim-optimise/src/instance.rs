//! The numbers of one optimisation, read off the scenario: periods, earliest periods and lead
//! times, prices in euros, serving rates and demand per period. No solver types here.

use sovsim_core::dispatch::{HOURS_PER_YEAR, Setup, tokens_between};
use sovsim_core::model::{Finance, Scenario};
use sovsim_core::sovereignty;
use sovsim_core::units::Date;

/// Why a scenario cannot be optimised.
#[derive(Clone, Debug, PartialEq)]
pub struct MissingFigure(pub String);

/// A candidate site.
#[derive(Clone, Debug)]
pub struct SiteData {
    pub land_eur: f64,
    pub max_it_mw: f64,
    pub area_ha: f64,
    /// First period construction may start (land acquired, permit granted, at their medians).
    pub ready: usize,
    /// Months from the start to the permit, at the medians.
    pub ready_months: f64,
    pub country: String,
    pub committed: bool,
}

/// A candidate grid connection.
#[derive(Clone, Debug)]
pub struct GridData {
    pub site: usize,
    pub cap_mw: f64,
    /// First period it delivers power (permit plus queue wait at the planning quantile).
    pub from: usize,
    pub months: f64,
    pub price_eur_per_mwh: f64,
    pub carbon_g_per_kwh: f64,
    pub committed: bool,
}

/// A candidate on-site power asset.
#[derive(Clone, Debug)]
pub struct PowerData {
    pub site: usize,
    pub cap_mw: f64,
    /// First period construction may start.
    pub earliest: usize,
    /// Periods from construction start to delivery.
    pub lag: usize,
    pub availability: f64,
    pub capex_eur_per_mw: f64,
    pub fixed_om_per_year: f64,
    pub energy_eur_per_mwh: f64,
    pub carbon_g_per_kwh: f64,
    pub life_years: Option<f64>,
    /// Committed: capacity built in this period.
    pub committed: Option<usize>,
}

/// A candidate hall.
#[derive(Clone, Debug)]
pub struct HallData {
    pub site: usize,
    pub liquid: bool,
    pub pue: f64,
    pub block_mw: f64,
    pub max_blocks: f64,
    pub capex_eur_per_mw: f64,
    pub land_ha_per_mw: f64,
    pub lag: usize,
    /// Committed: blocks started per period.
    pub committed: Option<Vec<f64>>,
    /// Its capex as the planner pays it: its builder's capital recovery over the planner's
    /// (see [`capital_factor`]).
    pub capital_factor: f64,
}

/// A candidate GPU procurement (a scenario cluster: operator, SKU, durations).
#[derive(Clone, Debug)]
pub struct ClusterData {
    pub site: usize,
    pub hall: usize,
    pub liquid: bool,
    pub kw_per_gpu: f64,
    pub price_eur: f64,
    pub lag: usize,
    pub life: usize,
    pub life_years: f64,
    pub availability: f64,
    pub gpus_per_rack: u64,
    /// Per tier: whether the cluster qualifies.
    pub qualifies: Vec<bool>,
    /// Its capex as the planner pays it (see [`capital_factor`]).
    pub capital_factor: f64,
    /// Committed: (period, GPUs).
    pub committed: Option<(usize, f64)>,
}

/// Capacity for rent in an existing cloud region (a scenario's cloud offer).
#[derive(Clone, Debug)]
pub struct OfferData {
    /// Most GPUs rentable at once.
    pub gpus: f64,
    /// First period it may be rented.
    pub from: usize,
    /// Per period: price of a GPU-hour [EUR].
    pub price_eur_per_gpu_hour: Vec<f64>,
}

/// A demand: a training campaign or an inference demand.
#[derive(Clone, Debug)]
pub struct DemandData {
    pub id: String,
    pub tier: usize,
    /// Per period: work asked for (FLOP or tokens).
    pub work: Vec<f64>,
    /// Per cluster: work per GPU-hour (0: may not use it).
    pub rate: Vec<f64>,
    /// Per cloud offer: work per rented GPU-hour (0: may not use it).
    pub offer_rate: Vec<f64>,
    /// The best rate of any candidate cluster, whatever the tier's rule, and that cluster's IT
    /// power per working GPU [kW]: what a demand no candidate may serve is counted in.
    pub ungated: (f64, f64),
}

impl DemandData {
    /// The best rate: work is measured in GPU-hours of the fastest cluster or offer it may use,
    /// or, where its tier's rule admits none, of the fastest candidate whatever the rule — so a
    /// rule nobody meets leaves the demand short, not free.
    pub fn best_rate(&self) -> f64 {
        let eligible = self
            .rate
            .iter()
            .chain(&self.offer_rate)
            .copied()
            .fold(0.0, f64::max);
        if eligible > 0.0 {
            eligible
        } else {
            self.ungated.0
        }
    }
}

/// Opex rates of the financial model (zero without a `[finance]` section).
#[derive(Clone, Debug, Default)]
pub struct Opex {
    /// Maintenance and insurance [fraction of capex in service per year].
    pub upkeep_per_year: f64,
    pub staff_eur_per_mw_year: f64,
    pub network_eur_per_gpu_year: f64,
    pub shell_life_years: f64,
}

/// Everything the formulation needs.
#[derive(Clone, Debug)]
pub struct Instance {
    pub periods: usize,
    pub period_years: f64,
    pub start: Date,
    pub discount_rate: f64,
    pub sites: Vec<SiteData>,
    pub grid: Vec<GridData>,
    pub power: Vec<PowerData>,
    pub halls: Vec<HallData>,
    pub clusters: Vec<ClusterData>,
    /// Scenario index of each candidate cluster (refreshes are not candidates).
    pub cluster_index: Vec<usize>,
    pub demands: Vec<DemandData>,
    pub offers: Vec<OfferData>,
    pub opex: Opex,
    pub tiers: Vec<String>,
}

impl Instance {
    /// Hours in one period.
    pub fn hours(&self) -> f64 {
        self.period_years * HOURS_PER_YEAR
    }

    /// First day of period `t`.
    pub fn period_start(&self, t: usize) -> Date {
        self.start
            .add_months((12.0 * self.period_years * t as f64).round() as i32)
    }

    /// Calendar year period `t` starts in.
    pub fn year(&self, t: usize) -> i32 {
        self.period_start(t).year
    }

    /// Discount factor at the start of period `t` (capex is paid when a build starts).
    pub fn df_start(&self, t: usize) -> f64 {
        (1.0 + self.discount_rate).powf(-(t as f64) * self.period_years)
    }

    /// Discount factor at the middle of period `t` (opex accrues through the period).
    pub fn df_mid(&self, t: usize) -> f64 {
        (1.0 + self.discount_rate).powf(-(t as f64 + 0.5) * self.period_years)
    }

    /// Discount factor at the end of the horizon (terminal value).
    pub fn df_end(&self) -> f64 {
        (1.0 + self.discount_rate).powf(-(self.periods as f64) * self.period_years)
    }

    /// The first period that starts once `months` have passed.
    pub fn period_after(&self, months: f64) -> usize {
        (months.max(0.0) / (12.0 * self.period_years) - 1e-9).ceil() as usize
    }

    /// Periods a duration of `months` takes, rounded up.
    pub fn lag(&self, months: f64) -> usize {
        self.period_after(months)
    }

    /// The period containing `date` (0 before the start).
    pub fn period_of(&self, date: Date) -> usize {
        let months = (date.year - self.start.year) * 12 + i32::from(date.month)
            - i32::from(self.start.month);
        (f64::from(months.max(0)) / (12.0 * self.period_years)).floor() as usize
    }

    /// Years from the start of period `t` to the end of the horizon.
    pub fn years_left(&self, t: usize) -> f64 {
        (self.periods - t) as f64 * self.period_years
    }
}

/// Months from `start` to `date` (negative before the start).
fn months_from(start: Date, date: Date) -> f64 {
    sovsim_core::engine::time::SimTime::from_date(date, start).months()
}

/// Capital recovery factor: the level yearly payment that repays 1 over `years` at `rate`.
fn capital_recovery(rate: f64, years: f64) -> f64 {
    if rate.abs() < 1e-12 {
        1.0 / years
    } else {
        rate / (1.0 - (1.0 + rate).powf(-years))
    }
}

/// What one euro of capex an operator with cost of capital `operator_rate` puts in costs a planner
/// who discounts at `planner_rate`, over an asset life of `years`: the operator recovers its
/// capital as a level annuity at its rate, which the planner values at its own —
/// CRF(operator) ÷ CRF(planner). Cheaper capital (a hyperscaler's) makes the same asset cheaper.
pub fn capital_factor(operator_rate: Option<f64>, planner_rate: f64, years: f64) -> f64 {
    match operator_rate {
        Some(w) if years > 0.0 => {
            capital_recovery(w, years) / capital_recovery(planner_rate, years)
        }
        _ => 1.0,
    }
}

fn median(u: &sovsim_core::model::Uncertain) -> f64 {
    u.dist.median()
}

/// Reads the instance off `scenario`.
///
/// # Errors
/// A figure the formulation needs is missing (a GPU price, a currency rate).
pub fn build(scenario: &Scenario) -> Result<Instance, Vec<MissingFigure>> {
    let spec = &scenario.optimize;
    let missing = std::cell::RefCell::new(Vec::new());
    let no_finance = Finance::default();
    let finance = scenario.finance.as_ref().unwrap_or(&no_finance);
    // Prices arrive in EUR; one the catalog has but the model could not convert lacks a rate.
    let in_eur = |what: &str, eur: Option<f64>, catalog: Option<f64>, currency: &str| match eur {
        Some(v) => v,
        None if catalog.is_some() => {
            missing.borrow_mut().push(MissingFigure(format!(
                "{what} is priced in {currency} but the scenario has no rate for it; set `[finance] eur_per_currency = {{ {currency} = … }}`"
            )));
            0.0
        }
        None => 0.0,
    };
    use sovsim_core::model::{
        ClusterId, Committed, GridConnectionId, PowerAssetId, ShellId, SiteId,
    };
    let committed = |c: Committed| spec.committed.contains(&c);
    let mut inst = Instance {
        periods: spec.periods as usize,
        period_years: f64::from(spec.period_years),
        start: scenario.meta.start_date,
        discount_rate: scenario.meta.discount_rate,
        sites: Vec::new(),
        grid: Vec::new(),
        power: Vec::new(),
        halls: Vec::new(),
        clusters: Vec::new(),
        cluster_index: Vec::new(),
        demands: Vec::new(),
        offers: Vec::new(),
        opex: Opex {
            upkeep_per_year: finance.maintenance_per_year + finance.insurance_per_year,
            staff_eur_per_mw_year: finance.staff_eur_per_mw_year,
            network_eur_per_gpu_year: finance.network_eur_per_gpu_year,
            shell_life_years: finance.shell_depreciation_years,
        },
        tiers: scenario.tiers.iter().map(|t| t.id.clone()).collect(),
    };
    for (i, s) in scenario.sites.iter().enumerate() {
        let ready_months = median(&s.acquisition_months) + median(&s.permit_months);
        inst.sites.push(SiteData {
            land_eur: s.land_cost.0,
            max_it_mw: s.max_it.0,
            area_ha: s.area_ha,
            ready: inst.period_after(ready_months),
            ready_months,
            country: s.country.code.clone(),
            committed: committed(Committed::Site(SiteId(i as u32))),
        });
    }
    for (i, g) in scenario.grid_connections.iter().enumerate() {
        let site = &inst.sites[g.site.index()];
        let months = site.ready_months + g.queue_wait_months.dist.quantile(spec.grid_wait_quantile);
        inst.grid.push(GridData {
            site: g.site.index(),
            cap_mw: g.capacity.0,
            from: inst.period_after(months),
            months,
            price_eur_per_mwh: median(&g.price_eur_per_mwh),
            carbon_g_per_kwh: g.carbon_g_per_kwh,
            committed: committed(Committed::GridConnection(GridConnectionId(i as u32))),
        });
    }
    for (i, a) in scenario.power_assets.iter().enumerate() {
        let capex_per_kw = in_eur(
            &format!("power asset `{}`", a.id),
            a.capex_eur_per_kw,
            a.tech.capex_per_kw,
            &a.tech.currency,
        );
        let site = &inst.sites[a.site.index()];
        let earliest =
            inst.period_after(months_from(inst.start, a.start_date).max(site.ready_months));
        // As the financial model: the contract or fuel price if stated, else variable O&M.
        let energy = a
            .energy_price_eur_per_mwh
            .as_ref()
            .map_or(a.variable_om_eur_per_mwh.unwrap_or(0.0), median);
        inst.power.push(PowerData {
            site: a.site.index(),
            cap_mw: a.capacity.0,
            earliest,
            lag: inst.lag(median(&a.build_months)),
            availability: a.tech.availability.unwrap_or(1.0),
            capex_eur_per_mw: capex_per_kw * 1000.0,
            fixed_om_per_year: a.tech.fixed_om_pct_per_year.unwrap_or(0.0) / 100.0,
            energy_eur_per_mwh: energy,
            carbon_g_per_kwh: a.carbon_g_per_kwh,
            life_years: a.tech.life_years,
            committed: committed(Committed::PowerAsset(PowerAssetId(i as u32)))
                .then(|| inst.period_of(a.start_date)),
        });
    }
    for (i, h) in scenario.shells.iter().enumerate() {
        let block = h
            .phases
            .iter()
            .map(|p| p.it.0)
            .fold(f64::INFINITY, f64::min);
        let block = if block.is_finite() && block > 0.0 {
            block
        } else {
            1.0
        };
        let site = &inst.sites[h.site.index()];
        let lag = inst.lag(h.phases.first().map_or(0.0, |p| median(&p.build_months)));
        let committed = committed(Committed::Shell(ShellId(i as u32))).then(|| {
            let mut blocks = vec![0.0; inst.periods];
            for p in &h.phases {
                let t = p.start_date.map_or(site.ready, |d| inst.period_of(d));
                if let Some(b) = blocks.get_mut(t) {
                    *b += (p.it.0 / block).round();
                }
            }
            blocks
        });
        inst.halls.push(HallData {
            site: h.site.index(),
            liquid: h.kind.cooling == sovsim_core::catalog::Cooling::Liquid,
            pue: h.kind.pue,
            block_mw: block,
            max_blocks: (h.it().0 / block - 1e-9).ceil(),
            capex_eur_per_mw: in_eur(
                &format!("hall `{}`", h.id),
                h.capex_eur_per_mw,
                Some(h.kind.capex_per_mw),
                &h.kind.currency,
            ),
            land_ha_per_mw: h.kind.land_ha_per_100mw.unwrap_or(0.0) / 100.0,
            lag,
            committed,
            capital_factor: capital_factor(
                scenario
                    .builder_of_shell(i)
                    .and_then(|o| scenario.operators[o.index()].cost_of_capital),
                scenario.meta.discount_rate,
                finance.shell_depreciation_years,
            ),
        });
    }
    let eligibility = sovereignty::evaluate(scenario);
    for (c, cl) in scenario.clusters.iter().enumerate() {
        if !cl.planned() {
            continue;
        }
        if cl.accelerator.price_per_gpu.is_none() {
            missing.borrow_mut().push(MissingFigure(format!(
                "cluster `{}`: the catalog has no price for `{}`; set `overrides = {{ price_per_gpu = … }}` on the cluster",
                cl.id, cl.accelerator.id
            )));
            continue;
        }
        let life = inst.lag(12.0 * cl.useful_life_years).max(1);
        inst.cluster_index.push(c);
        inst.clusters.push(ClusterData {
            site: cl.site.index(),
            hall: cl.shell.index(),
            liquid: cl.accelerator.cooling == sovsim_core::catalog::Cooling::Liquid,
            kw_per_gpu: cl.accelerator.all_in_power_kw,
            price_eur: in_eur(
                &format!("cluster `{}`", cl.id),
                cl.price_eur_per_gpu,
                cl.accelerator.price_per_gpu,
                &cl.accelerator.currency,
            ),
            lag: inst.lag(median(&cl.lead_time_months) + median(&cl.install_months)),
            life,
            life_years: cl.useful_life_years,
            // Failed GPUs wait for repair: the share of time a GPU works.
            availability: (1.0 - cl.failure_rate_per_gpu_day * median(&cl.repair_days))
                .clamp(0.0, 1.0),
            gpus_per_rack: u64::from(cl.accelerator.gpus_per_rack.unwrap_or(1).max(1)),
            qualifies: eligibility[c].qualifies.clone(),
            capital_factor: capital_factor(
                scenario.operators[cl.operator.index()].cost_of_capital,
                scenario.meta.discount_rate,
                cl.useful_life_years,
            ),
            committed: committed(Committed::Cluster(ClusterId(c as u32)))
                .then(|| (inst.period_of(cl.order_date), cl.gpus as f64)),
        });
    }
    // Offers: the financial model's market price of their SKU, declining with its age, unless the
    // offer states its own; qualification as for a cluster of its operator in its country.
    let offer_rules = sovereignty::evaluate_offers(scenario);
    for o in &scenario.cloud_offers {
        let k = o.sku.index();
        let price = (0..inst.periods)
            .map(|t| match o.price_eur_per_gpu_hour {
                Some(p) => p,
                None => {
                    let new = finance.gpu_hour_price_eur.get(k).map_or(0.0, median);
                    let mid_years = (t as f64 + 0.5) * inst.period_years;
                    sovsim_core::finance::aged_price_eur(finance, new, k, mid_years)
                }
            })
            .collect();
        inst.offers.push(OfferData {
            gpus: o.gpus as f64,
            from: inst.period_of(o.from_date),
            price_eur_per_gpu_hour: price,
        });
    }
    let offer_ok = |o: usize, tier: usize| offer_rules[o].qualifies[tier];
    let offer_home = |o: usize, home: Option<&sovsim_core::model::Home>| {
        sovsim_core::model::is_home(home, &scenario.cloud_offers[o].accelerator)
    };
    // One planner decides for the region: a demand may use every cluster its tier allows (the
    // `grid` policy). `[dispatch] policy` applies when the plan is simulated.
    let setup = Setup::new(scenario, sovsim_core::model::Policy::Grid);
    // The fastest candidate at `rate`, whatever the rules: (rate, its kW per working GPU).
    let fastest = |rate: &dyn Fn(usize) -> f64| -> (f64, f64) {
        inst.cluster_index
            .iter()
            .zip(&inst.clusters)
            .map(|(&c, cl)| (rate(c), cl.kw_per_gpu / cl.availability.max(1e-9)))
            .fold((0.0, 0.0), |best, x| if x.0 > best.0 { x } else { best })
    };
    let hours = inst.hours();
    let bounds = |t: usize| (t as f64 * hours, (t + 1) as f64 * hours);
    let hour_of = |d: Date| months_from(inst.start, d) * sovsim_core::engine::time::HOURS_PER_MONTH;
    for (k, camp) in scenario.training.iter().enumerate() {
        let from = hour_of(camp.start_date);
        let runs = median(&camp.runs_per_year);
        let work = (0..inst.periods)
            .map(|t| {
                let (a, b) = bounds(t);
                (b - a.max(from)).max(0.0) / HOURS_PER_YEAR * runs * camp.run_flop
            })
            .collect();
        // FLOP a GPU-hour of an accelerator delivers: BF16 peak × efficiency × MFU.
        let trains = |sku: sovsim_core::model::SkuId, a: &sovsim_core::catalog::Accelerator| {
            let e = scenario
                .dispatch
                .efficiency(sku)
                .map_or(0.0, |e| e.training);
            a.bf16_dense_tflops.unwrap_or(0.0) * 1e12 * e * camp.mfu * 3600.0
        };
        let ungated = fastest(&|c: usize| {
            let cl = &scenario.clusters[c];
            trains(cl.sku, &cl.accelerator)
        });
        inst.demands.push(DemandData {
            id: camp.id.clone(),
            tier: camp.tier.index(),
            ungated,
            work,
            rate: inst
                .cluster_index
                .iter()
                .map(|&c| setup.training_rate(scenario, k, c))
                .collect(),
            // A rented GPU trains at the rate a cluster of its SKU would: BF16 peak × efficiency ×
            // MFU.
            offer_rate: scenario
                .cloud_offers
                .iter()
                .enumerate()
                .map(|(o, offer)| {
                    if offer_ok(o, camp.tier.index()) && offer_home(o, camp.home.as_ref()) {
                        trains(offer.sku, &offer.accelerator)
                    } else {
                        0.0
                    }
                })
                .collect(),
        });
    }
    for (d, dem) in scenario.inference.iter().enumerate() {
        let from = hour_of(dem.start_date);
        let (tpd, growth) = (median(&dem.tokens_per_day), median(&dem.growth_per_year));
        let work = (0..inst.periods)
            .map(|t| {
                let (a, b) = bounds(t);
                tokens_between(tpd, growth, from, a, b)
            })
            .collect();
        // Tokens a GPU-hour of a SKU serves, whatever the rule.
        let serves = |sku: sovsim_core::model::SkuId| {
            let rate = scenario
                .dispatch
                .serving(dem.model, sku)
                .map_or(0.0, |r| r.tokens_per_s_per_gpu);
            let e = scenario
                .dispatch
                .efficiency(sku)
                .map_or(0.0, |e| e.inference);
            rate * e * 3600.0
        };
        let ungated = fastest(&|c: usize| serves(scenario.clusters[c].sku));
        inst.demands.push(DemandData {
            id: dem.id.clone(),
            tier: dem.tier.index(),
            ungated,
            work,
            rate: inst
                .cluster_index
                .iter()
                .map(|&c| setup.inference_rate(d, c))
                .collect(),
            // A rented GPU serves at the rate the scenario resolved for its SKU.
            offer_rate: scenario
                .cloud_offers
                .iter()
                .enumerate()
                .map(|(o, offer)| {
                    if offer_ok(o, dem.tier.index()) && offer_home(o, dem.home.as_ref()) {
                        serves(offer.sku)
                    } else {
                        0.0
                    }
                })
                .collect(),
        });
    }
    let missing = missing.into_inner();
    if missing.is_empty() {
        Ok(inst)
    } else {
        Err(missing)
    }
}
