//! Dispatch over replications: P10/P50/P90 of utilisation, stranding, service per tier and queueing,
//! month by month, per cluster, per SKU and year, and per demand, in bounded sketches.
//!
//! Replications arrive in order with one outcome per policy; where both `siloed` and `grid` are
//! dispatched, what pooling recovers is computed per replication (common random numbers: same
//! buildout, same demand) before its quantiles are taken.

use super::{Outcome, PORTABILITY_LEVELS};
use crate::engine::buildout::Layout;
use crate::engine::quantiles::Quantiles;
use crate::model::{Policy, Scenario};

/// Monthly series, region-wide: (name, meaning).
pub const MONTH_SERIES: [(&str, &str); 6] = [
    ("available_gpu_hours", "operational GPU-hours"),
    ("training_gpu_hours", "GPU-hours used by training runs"),
    ("inference_gpu_hours", "GPU-hours used serving tokens"),
    (
        "stranded_gpu_hours",
        "GPU-hours idle that unserved demand could have used under pooling",
    ),
    ("tokens_demanded", "output tokens asked for"),
    ("tokens_served", "output tokens served"),
];

/// Per-replication scalars: (name, meaning).
pub const SCALARS: [(&str, &str); 10] = [
    (
        "utilisation_mean",
        "GPU-hours used ÷ operational GPU-hours over the horizon",
    ),
    ("stranded_gpu_hours", "stranded GPU-hours over the horizon"),
    (
        "stranded_gpu_hours_share",
        "stranded ÷ operational GPU-hours over the horizon",
    ),
    (
        "gpu_hours_sold_total",
        "GPU-hours used by training and inference over the horizon",
    ),
    (
        "tokens_served_total",
        "inference output tokens served over the horizon",
    ),
    (
        "tokens_unserved_total",
        "inference output tokens asked for and not served",
    ),
    (
        "training_queue_delay_days_mean",
        "mean days a started training run waited for its block (replications where a run started)",
    ),
    (
        "training_queue_delay_days_p90",
        "P90 over runs of that wait, per replication",
    ),
    (
        "training_runs_completed",
        "training runs finished within the horizon",
    ),
    (
        "training_runs_cancelled",
        "training runs that arrived but never found a block within the horizon",
    ),
];

/// A scalar of [`SCALARS`], by name: a typo is a compile error, not a figure printed as missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scalar(usize);

impl Scalar {
    /// `utilisation_mean`.
    pub const UTILISATION_MEAN: Scalar = Scalar(0);
    /// `stranded_gpu_hours_share`.
    pub const STRANDED_GPU_HOURS_SHARE: Scalar = Scalar(2);
    /// `training_queue_delay_days_mean`.
    pub const TRAINING_QUEUE_DELAY_DAYS_MEAN: Scalar = Scalar(6);
    /// `training_runs_cancelled`.
    pub const TRAINING_RUNS_CANCELLED: Scalar = Scalar(9);

    /// Every scalar, in [`SCALARS`] order.
    pub fn all() -> impl Iterator<Item = Scalar> {
        (0..SCALARS.len()).map(Scalar)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        SCALARS[self.0].0
    }
}

/// Sketches of one policy's dispatch.
#[derive(Clone, Debug)]
pub struct PolicySummary {
    /// The policy.
    pub policy: Policy,
    scalars: Vec<Quantiles>,
    /// Per tier: share of demanded compute served.
    served: Vec<Quantiles>,
    /// Per month, per `MONTH_SERIES` entry.
    months: Vec<[Quantiles; 6]>,
    /// Per cluster: (utilisation, stranded GPU-hours, operational GPU-hours).
    clusters: Vec<[Quantiles; 3]>,
    /// Per year, per SKU: (GPU-hours sold, tokens served).
    sold: Vec<Vec<[Quantiles; 2]>>,
    /// Per inference demand: share of tokens served; per campaign: (runs arrived, cancelled, mean delay).
    demand: Vec<Quantiles>,
    campaigns: Vec<[Quantiles; 3]>,
}

impl PolicySummary {
    fn new(scenario: &Scenario, policy: Policy, months: usize, skus: usize) -> Self {
        let years = months.div_ceil(12);
        PolicySummary {
            policy,
            scalars: vec![Quantiles::default(); SCALARS.len()],
            served: vec![Quantiles::default(); scenario.tiers.len()],
            months: vec![Default::default(); months],
            clusters: vec![Default::default(); scenario.clusters.len()],
            sold: vec![vec![Default::default(); skus]; years],
            demand: vec![Quantiles::default(); scenario.inference.len()],
            campaigns: vec![Default::default(); scenario.training.len()],
        }
    }

    fn add(&mut self, sku_of: &[usize], o: &Outcome) {
        let unserved: f64 = o.demand_tokens.iter().map(|(d, s)| d - s).sum();
        let served: f64 = o.demand_tokens.iter().map(|(_, s)| s).sum();
        let values = [
            o.utilisation(),
            Some(o.stranded_gpu_hours()),
            o.stranded_share(),
            Some(o.used_gpu_hours()),
            Some(served),
            Some(unserved),
            o.queue_delay_days_mean(),
            o.queue_delay_days_p90(),
            Some(o.runs_completed() as f64),
            Some(o.runs_cancelled() as f64),
        ];
        for (q, v) in self.scalars.iter_mut().zip(values) {
            if let Some(v) = v {
                q.add(v);
            }
        }
        for (t, q) in self.served.iter_mut().enumerate() {
            if let Some(v) = o.served_share(t) {
                q.add(v);
            }
        }
        for (q, m) in self.months.iter_mut().zip(&o.months) {
            let v = [
                m.available_gpu_hours,
                m.training_gpu_hours,
                m.inference_gpu_hours,
                m.stranded_gpu_hours,
                m.tokens_demanded,
                m.tokens_served,
            ];
            q.iter_mut().zip(v).for_each(|(q, v)| q.add(v));
        }
        for (c, q) in self.clusters.iter_mut().enumerate() {
            let available = o.cluster_available_gpu_hours[c];
            let used: f64 = o.used_gpu_hours.iter().map(|m| m[c]).sum();
            q[0].add(if available > 0.0 {
                used / available
            } else {
                0.0
            });
            q[1].add(o.cluster_stranded_gpu_hours[c]);
            q[2].add(available);
        }
        let mut sold = vec![vec![[0.0; 2]; self.sold.first().map_or(0, Vec::len)]; self.sold.len()];
        for (m, (used, tokens)) in o.used_gpu_hours.iter().zip(&o.tokens).enumerate() {
            for c in 0..used.len() {
                sold[m / 12][sku_of[c]][0] += used[c];
                sold[m / 12][sku_of[c]][1] += tokens[c];
            }
        }
        for (q, v) in self.sold.iter_mut().flatten().zip(sold.iter().flatten()) {
            q[0].add(v[0]);
            q[1].add(v[1]);
        }
        for (q, (d, s)) in self.demand.iter_mut().zip(&o.demand_tokens) {
            if *d > 0.0 {
                q.add(s / d);
            }
        }
        for (k, q) in self.campaigns.iter_mut().enumerate() {
            let runs: Vec<_> = o.runs.iter().filter(|r| r.request.campaign == k).collect();
            q[0].add(runs.len() as f64);
            q[1].add(runs.iter().filter(|r| r.start_hours.is_none()).count() as f64);
            let delays: Vec<f64> = runs.iter().filter_map(|r| r.queue_delay_days()).collect();
            if !delays.is_empty() {
                q[2].add(delays.iter().sum::<f64>() / delays.len() as f64);
            }
        }
    }

    /// P10/P50/P90 of `scalar`; `None` if no replication had a value.
    pub fn scalar(&self, scalar: Scalar) -> Option<[f64; 3]> {
        quantiles(&self.scalars[scalar.0])
    }

    /// P10/P50/P90 of the share of tier `tier`'s demanded compute served; `None` without demand.
    pub fn served_share(&self, tier: usize) -> Option<[f64; 3]> {
        quantiles(&self.served[tier])
    }

    /// P10/P50/P90 of monthly series `var` (index into [`MONTH_SERIES`]) in month `month`.
    pub fn month(&self, month: usize, var: usize) -> [f64; 3] {
        self.months[month][var].get()
    }

    /// Months dispatched.
    pub fn months(&self) -> usize {
        self.months.len()
    }

    /// P10/P50/P90 of cluster `c`'s (utilisation, stranded GPU-hours, operational GPU-hours).
    pub fn cluster(&self, c: usize) -> [[f64; 3]; 3] {
        self.clusters[c].each_ref().map(Quantiles::get)
    }

    /// P10/P50/P90 of (GPU-hours sold, tokens served) by SKU `sku` in year `year` of the horizon.
    pub fn sold(&self, year: usize, sku: usize) -> [[f64; 3]; 2] {
        self.sold[year][sku].each_ref().map(Quantiles::get)
    }

    /// Years of the horizon (a partial last year counts).
    pub fn years(&self) -> usize {
        self.sold.len()
    }

    /// P10/P50/P90 of the share of inference demand `i`'s tokens served; `None` if it asked nothing.
    pub fn demand_served(&self, i: usize) -> Option<[f64; 3]> {
        quantiles(&self.demand[i])
    }

    /// P10/P50/P90 of campaign `k`'s (runs arrived, runs cancelled) and of its mean queueing delay
    /// in days (`None` where no run started).
    pub fn campaign(&self, k: usize) -> ([f64; 3], [f64; 3], Option<[f64; 3]>) {
        let q = &self.campaigns[k];
        (q[0].get(), q[1].get(), quantiles(&q[2]))
    }
}

fn quantiles(q: &Quantiles) -> Option<[f64; 3]> {
    let [a, b, c] = q.quantiles([0.1, 0.5, 0.9]);
    Some([a?, b?, c?])
}

/// Dispatch summaries of every policy run, and what pooling recovers where both ran.
#[derive(Clone, Debug)]
pub struct DispatchSummary {
    /// One per policy, in the order dispatched.
    pub policies: Vec<PolicySummary>,
    sku_of: Vec<usize>,
    /// Per replication: grid GPU-hours used − siloed, and that ÷ operational GPU-hours.
    recovered: [Quantiles; 2],
}

impl DispatchSummary {
    /// An empty summary for `policies` over `scenario`'s horizon.
    pub fn new(scenario: &Scenario, policies: &[Policy]) -> Self {
        let months = scenario.meta.horizon_years as usize * 12;
        let layout = Layout::of(scenario);
        let sku_of = layout.cluster_skus(scenario);
        DispatchSummary {
            policies: policies
                .iter()
                .map(|p| PolicySummary::new(scenario, *p, months, layout.skus.len()))
                .collect(),
            sku_of,
            recovered: Default::default(),
        }
    }

    /// Adds one replication: its outcome under each policy, in the order of `policies`.
    pub fn add(&mut self, outcomes: &[Outcome]) {
        for (p, o) in self.policies.iter_mut().zip(outcomes) {
            p.add(&self.sku_of, o);
        }
        let find = |policy: Policy| outcomes.iter().find(|o| o.policy == policy);
        if let (Some(siloed), Some(grid)) = (find(Policy::Siloed), find(Policy::Grid)) {
            let recovered = grid.used_gpu_hours() - siloed.used_gpu_hours();
            self.recovered[0].add(recovered);
            let available = grid.available_gpu_hours();
            self.recovered[1].add(if available > 0.0 {
                recovered / available
            } else {
                0.0
            });
        }
    }

    /// P10/P50/P90 of (GPU-hours pooling recovers, as a share of operational GPU-hours); `None`
    /// unless both policies ran.
    pub fn recovered(&self) -> Option<([f64; 3], [f64; 3])> {
        Some((
            quantiles(&self.recovered[0])?,
            quantiles(&self.recovered[1])?,
        ))
    }
}

/// Per-level figures of the `portability` table: (name, unit, meaning).
pub const PORTABILITY_FIGURES: [(&str, &str, &str); 4] = [
    (
        "incompatible_gpu_hours",
        "GPU-hours",
        "GPU-hours left idle that the demand left unserved could have used had all of it been portable, and that this share of portability does not recover: stranded by incompatibility (0 at full portability)",
    ),
    (
        "idle_capex_eur",
        "EUR",
        "the GPU capex those GPU-hours stand for: each GPU's price ÷ its useful life in hours",
    ),
    (
        "recovered_gpu_hours",
        "GPU-hours",
        "GPU-hours this share of portability puts to use over the horizon",
    ),
    (
        "recovered_eur",
        "EUR",
        "what they sell for at each month's market price of their GPU generation; empty without a `[finance]` section",
    ),
];

/// One replication's dispatch read at one portability level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PortabilityPoint {
    /// GPU-hours stranded by incompatibility over the horizon.
    pub incompatible_gpu_hours: f64,
    /// Their GPU capex [EUR].
    pub idle_capex_eur: f64,
    /// GPU-hours recovered over the horizon.
    pub recovered_gpu_hours: f64,
    /// What they sell for [EUR], when financed.
    pub recovered_eur: Option<f64>,
    /// Years with operational capacity.
    pub operating_years: f64,
}

impl PortabilityPoint {
    /// Each level's figures of `outcome` (dispatched by a [`super::Setup::measuring_portability`]),
    /// priced at `price[month][sku]` [EUR per GPU-hour] when financed; empty if not measured.
    pub fn of(scenario: &Scenario, outcome: &Outcome, price: Option<&[Vec<f64>]>) -> Vec<Self> {
        let levels = &outcome.recoverable_gpu_hours;
        let Some(full) = levels.last() else {
            return Vec::new();
        };
        let total = |by_month: &[Vec<f64>]| -> Vec<f64> {
            let mut sum = vec![0.0; scenario.clusters.len()];
            for month in by_month {
                sum.iter_mut().zip(month).for_each(|(s, v)| *s += v);
            }
            sum
        };
        let full_total = total(full);
        let capex_per_hour: Vec<f64> = scenario
            .clusters
            .iter()
            .map(|c| {
                let life_hours = c.useful_life_years * super::HOURS_PER_YEAR;
                c.price_eur_per_gpu.map_or(0.0, |p| p / life_hours)
            })
            .collect();
        let operating_years = outcome
            .months
            .iter()
            .filter(|m| m.available_gpu_hours > 0.0)
            .count() as f64
            / 12.0;
        levels
            .iter()
            .map(|by_month| {
                let recovered = total(by_month);
                let stranded: Vec<f64> = full_total
                    .iter()
                    .zip(&recovered)
                    .map(|(f, r)| (f - r).max(0.0))
                    .collect();
                let recovered_eur = price.map(|price| {
                    by_month
                        .iter()
                        .zip(price)
                        .map(|(month, p)| {
                            scenario
                                .clusters
                                .iter()
                                .zip(month)
                                .map(|(c, h)| h * p[c.sku.index()])
                                .sum::<f64>()
                        })
                        .sum()
                });
                PortabilityPoint {
                    incompatible_gpu_hours: stranded.iter().sum(),
                    idle_capex_eur: stranded
                        .iter()
                        .zip(&capex_per_hour)
                        .map(|(h, r)| h * r)
                        .sum(),
                    recovered_gpu_hours: recovered.iter().sum(),
                    recovered_eur,
                    operating_years,
                }
            })
            .collect()
    }
}

/// What portability would recover, over replications: each level's figures, and the value of a
/// standard — what full portability recovers, per replication (common random numbers: the same
/// dispatch read at every level, the same runs portable up to their draw).
#[derive(Clone, Debug, Default)]
pub struct PortabilitySummary {
    levels: Vec<[Quantiles; 4]>,
    /// Per replication, at full portability: recovered EUR per operating year; GPU-hours.
    value: [Quantiles; 2],
}

impl PortabilitySummary {
    /// An empty summary over [`PORTABILITY_LEVELS`].
    pub fn new() -> Self {
        PortabilitySummary {
            levels: vec![Default::default(); PORTABILITY_LEVELS.len()],
            value: Default::default(),
        }
    }

    /// Adds one replication: a point per level, in [`PORTABILITY_LEVELS`] order.
    pub fn add(&mut self, points: &[PortabilityPoint]) {
        for (q, p) in self.levels.iter_mut().zip(points) {
            q[0].add(p.incompatible_gpu_hours);
            q[1].add(p.idle_capex_eur);
            q[2].add(p.recovered_gpu_hours);
            if let Some(r) = p.recovered_eur {
                q[3].add(r);
            }
        }
        if let Some(full) = points.last() {
            self.value[1].add(full.recovered_gpu_hours);
            if let Some(eur) = full.recovered_eur {
                self.value[0].add(eur / full.operating_years.max(1.0 / 12.0));
            }
        }
    }

    /// P10/P50/P90 of figure `figure` (index into [`PORTABILITY_FIGURES`]) at level `level`
    /// (index into [`PORTABILITY_LEVELS`]); `None` where no replication had it.
    pub fn figure(&self, level: usize, figure: usize) -> Option<[f64; 3]> {
        quantiles(&self.levels[level][figure])
    }

    /// P10/P50/P90 of the value of a standard [EUR per operating year]; `None` unless financed.
    pub fn value_eur_per_year(&self) -> Option<[f64; 3]> {
        quantiles(&self.value[0])
    }

    /// P10/P50/P90 of the GPU-hours full portability recovers.
    pub fn recovered_gpu_hours(&self) -> Option<[f64; 3]> {
        quantiles(&self.value[1])
    }
}

/// The market prices forgone demand is valued at: per month, per SKU, a GPU-hour [EUR]; and, when
/// the scenario sells tokens, per month, a million output tokens [EUR].
pub struct MarketPrices<'p> {
    /// Per month, per SKU.
    pub gpu_hour_eur: &'p [Vec<f64>],
    /// Per month, when tokens are priced.
    pub tokens_eur_per_mtok: Option<&'p [f64]>,
}

/// What the demand left unserved in one replication would have needed and paid, per owner
/// (inference demands in scenario order, then training campaigns) and year of the horizon:
/// (GPU-hours at its fastest eligible cluster, revenue at the scenario's prices when financed).
/// Tokens are valued at the token price where the scenario sells tokens, else as the GPU-hours
/// they need at that cluster's market price; a run's unfinished compute as the GPU-hours it needs
/// at its fastest eligible cluster, in the month it arrived. A demand no cluster may serve
/// forgoes nothing here: no GPU-hour of the scenario could have served it.
pub fn forgone(
    scenario: &Scenario,
    setup: &super::Setup,
    outcome: &Outcome,
    prices: Option<&MarketPrices>,
) -> Vec<Vec<(f64, Option<f64>)>> {
    let months = outcome.unserved_tokens.len();
    let years = months.div_ceil(12);
    let owners = scenario.inference.len() + scenario.training.len();
    let mut out = vec![vec![(0.0, prices.map(|_| 0.0)); years]; owners];
    let sku = |c: usize| scenario.clusters[c].sku.index();
    for (m, unserved) in outcome.unserved_tokens.iter().enumerate() {
        for (i, tokens) in unserved.iter().enumerate() {
            let Some((c, rate)) = setup.best_inference(i) else {
                continue;
            };
            let hours = tokens / rate;
            let cell = &mut out[i][m / 12];
            cell.0 += hours;
            if let (Some(eur), Some(p)) = (cell.1.as_mut(), prices) {
                *eur += match p.tokens_eur_per_mtok {
                    Some(t) => tokens * t[m] / 1e6,
                    None => hours * p.gpu_hour_eur[m][sku(c)],
                };
            }
        }
    }
    for run in &outcome.runs {
        let k = run.request.campaign;
        let Some((c, flop_per_hour)) = setup.best_training(scenario, k) else {
            continue;
        };
        let m = ((run.request.arrival_hours / super::HOURS_PER_YEAR * 12.0).floor() as usize)
            .min(months.saturating_sub(1));
        let hours = (run.flop - run.flop_done).max(0.0) / flop_per_hour;
        let cell = &mut out[scenario.inference.len() + k][m / 12];
        cell.0 += hours;
        if let (Some(eur), Some(p)) = (cell.1.as_mut(), prices) {
            *eur += hours * p.gpu_hour_eur[m][sku(c)];
        }
    }
    out
}

/// Revenue forgone for lack of compute, over replications: per owner and year, and in total.
#[derive(Clone, Debug, Default)]
pub struct ForgoneSummary {
    /// Per owner, per year: (GPU-hours, EUR).
    cells: Vec<Vec<[Quantiles; 2]>>,
    /// Per replication over the horizon: (GPU-hours, EUR).
    total: [Quantiles; 2],
}

impl ForgoneSummary {
    /// An empty summary for `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let years = (scenario.meta.horizon_years as usize * 12).div_ceil(12);
        ForgoneSummary {
            cells: vec![
                vec![Default::default(); years];
                scenario.inference.len() + scenario.training.len()
            ],
            total: Default::default(),
        }
    }

    /// Adds one replication's [`forgone`].
    pub fn add(&mut self, forgone: &[Vec<(f64, Option<f64>)>]) {
        let (mut hours, mut eur) = (0.0, Some(0.0));
        for (q, owner) in self.cells.iter_mut().zip(forgone) {
            for (q, (h, e)) in q.iter_mut().zip(owner) {
                q[0].add(*h);
                hours += h;
                match (e, eur.as_mut()) {
                    (Some(e), Some(total)) => {
                        q[1].add(*e);
                        *total += e;
                    }
                    _ => eur = None,
                }
            }
        }
        self.total[0].add(hours);
        if let Some(e) = eur {
            self.total[1].add(e);
        }
    }

    /// Years of the horizon.
    pub fn years(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }

    /// P10/P50/P90 of owner `owner`'s (GPU-hours, EUR) forgone in year `year`; EUR `None` unless
    /// financed.
    pub fn cell(&self, owner: usize, year: usize) -> ([f64; 3], Option<[f64; 3]>) {
        let q = &self.cells[owner][year];
        (q[0].get(), quantiles(&q[1]))
    }

    /// P10/P50/P90 over the horizon of (GPU-hours, EUR) forgone.
    pub fn total(&self) -> (Option<[f64; 3]>, Option<[f64; 3]>) {
        (quantiles(&self.total[0]), quantiles(&self.total[1]))
    }
}
