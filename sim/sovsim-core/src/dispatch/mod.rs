//! Dispatch — the compute grid: each month, the GPU-hours the engine made available are matched to
//! training runs and inference demand, under the scenario's sovereignty tiers, the workload ×
//! accelerator efficiencies, and a policy (`siloed` or `grid`).
//!
//! # Rules
//!
//! - **Capacity.** A cluster's GPU-hours in month *m* are its operational GPU-hours (energised, not
//!   in repair, not curtailed) integrated over the month by the engine.
//! - **Who may use a cluster.** A demand may use cluster *c* when *c* qualifies for the demand's tier
//!   (every clause holds, see [`crate::sovereignty`]), the workload's efficiency on *c*'s SKU is above
//!   0, and — under `siloed` only — *c*'s operator is one of the demand's `operators`.
//! - **Training.** A run needs `gpus` GPUs of one architecture on one site (clusters of the same
//!   architecture on a site join one block) for its whole length. Runs queue first in, first out by
//!   arrival; at each month start, and at its arrival within the month, a waiting run takes the
//!   eligible block with the fewest free GPUs that still fits it (best fit), or lets later runs
//!   that fit go first (backfill). It progresses at Σ GPUs × BF16 peak × MFU × efficiency; it keeps
//!   its GPUs until done, slowing down in proportion when failures leave its clusters short, and goes
//!   back to the head of the queue if its clusters have nothing left. Runs still waiting at the end
//!   of the horizon are *cancelled*; queueing delay is start − arrival.
//! - **Inference** fills what training leaves. Tokens demanded in a month are
//!   `tokens_per_day × (1 + growth)^years` integrated over the month from the demand's start date.
//!   A cluster serves a demand at its serving rate (catalog or roofline, see [`crate::workload`]) ×
//!   the inference efficiency. Demands are served in order of how few clusters they may use (the
//!   most constrained first, then scenario order); each takes clusters in order of how few other
//!   demands may use them, then fastest first. The allocation is greedy and deterministic, costs
//!   O(demands × clusters) a month, and solves no LP.
//! - **Stranded GPU-hours** of a month are the GPU-hours left idle under the policy that the demand
//!   left unserved under that policy could have used under pooling: after dispatch, the unserved
//!   demand (training runs still waiting, then inference tokens) is placed on the idle GPU-hours by
//!   the same rules with the `grid` eligibility; the GPU-hours it would take are stranded. Under
//!   `grid` they are zero by construction — an unserved demand has already used every idle GPU-hour it
//!   may — so stranding measures exactly what pooling recovers from silos. Capacity idle because no
//!   demand may use it at all (tier, efficiency, or no demand) is idle, not stranded.
//! - **Compute served per tier** is counted in FLOP so that training and inference add up: an
//!   inference token costs 2 · active parameters; a run costs its catalog FLOPs. Demanded compute is
//!   that of the tokens asked for and of the runs that arrived within the horizon.
//!
//! No I/O; a replication's dispatch depends only on the scenario, the replication index and the
//! engine's results, so it is reproducible and thread-independent like the engine.

pub mod summary;

use crate::engine::random::Stream;
use crate::engine::sample::FactorDraws;
use crate::engine::time::{HOURS_PER_MONTH, SimTime};
use crate::model::{Arrivals, Home, Policy, Portability, Scenario, is_home};
use crate::sovereignty;

/// Portability levels the value of a standard is read at: the share of the runs still queued and
/// of the tokens left unserved whose code could move across architectures and vendors.
pub const PORTABILITY_LEVELS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// Hours in an average Gregorian year.
pub const HOURS_PER_YEAR: f64 = 12.0 * HOURS_PER_MONTH;

/// Static facts of one scenario under one policy: who may use what, at which rate.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The policy these rules apply.
    pub policy: Policy,
    /// Per block: its clusters, in scenario order.
    blocks: Vec<Vec<usize>>,
    /// Per site: its clusters, in scenario order — the block a portable run may take.
    site_blocks: Vec<Vec<usize>>,
    /// Per cluster: training FLOP per GPU-hour before the MFU (BF16 peak × efficiency × 3,600 s).
    training_flop_per_gpu_hour: Vec<f64>,
    /// Per campaign: which clusters its runs may use, under the policy and under pooling.
    training: Vec<Access>,
    /// Per inference demand: tokens per GPU-hour on each cluster (0: may not use it), under the
    /// policy and under pooling, with the order in which it takes clusters.
    inference: Vec<Rates>,
    /// Inference demands in the order they are served, under the policy and under pooling.
    order: Vec<usize>,
    pooled_order: Vec<usize>,
    /// FLOP per token of each inference demand (2 · active parameters).
    flop_per_token: Vec<f64>,
    /// Share of training runs, and of inference demand left unserved at home, that move off their
    /// home architectures.
    training_share: f64,
    inference_share: f64,
    /// Whether to measure what portability would recover ([`Outcome::recoverable_gpu_hours`]).
    measure_portability: bool,
    /// Per inference demand: the screening proxy it passes, if its tier has one.
    screens: Vec<Option<Screen>>,
}

/// What a screening proxy does to one demand: shares of its tokens blocked and let through, and
/// the compute screening adds to serving.
#[derive(Clone, Copy, Debug)]
struct Screen {
    /// Extra GPU-hours per GPU-hour of serving.
    overhead: f64,
    /// Shares of the demand blocked as attack traffic and as legitimate traffic.
    blocked_attack: f64,
    blocked_legit: f64,
    /// Of the tokens let through, the share that is attack traffic.
    leaked_of_passed: f64,
}

impl Screen {
    fn of(scenario: &Scenario, demand: &crate::model::InferenceDemand) -> Option<Self> {
        let f = scenario
            .defences
            .iter()
            .find(|f| f.tiers.contains(&demand.tier))?;
        Some(Screen {
            overhead: f.screening_overhead,
            blocked_attack: f.attack_share * f.attack_blocked(f.sharing),
            blocked_legit: (1.0 - f.attack_share) * f.false_block_rate,
            leaked_of_passed: f.leaked_of_passed(f.sharing),
        })
    }

    /// Share of the GPU-hours serving the demand that screening takes: overhead ÷ (1 + overhead).
    fn screening_share(&self) -> f64 {
        self.overhead / (1.0 + self.overhead)
    }

    /// Share of the demand let through to the GPUs.
    fn passed(&self) -> f64 {
        1.0 - self.blocked_attack - self.blocked_legit
    }
}

/// Where a campaign's runs may go. `policy` and `pooled` are its home architectures only (today's
/// market: a block of one architecture); `portable` and `portable_pooled` any architecture its
/// tier and the efficiencies allow, on a site's mixed block, at `kept` of the home throughput.
#[derive(Clone, Debug)]
struct Access {
    policy: Vec<bool>,
    pooled: Vec<bool>,
    portable: Vec<bool>,
    portable_pooled: Vec<bool>,
    kept: Vec<f64>,
}

/// A demand's tokens per GPU-hour on each cluster: at home (`policy`, `pooled`) and off it
/// (`portable`, `portable_pooled`: 0 at home, the penalty applied elsewhere), each with the order in
/// which the demand takes clusters.
#[derive(Clone, Debug)]
struct Rates {
    policy: Vec<f64>,
    pooled: Vec<f64>,
    policy_order: Vec<usize>,
    pooled_order: Vec<usize>,
    portable: Vec<f64>,
    portable_pooled: Vec<f64>,
    portable_order: Vec<usize>,
    portable_pooled_order: Vec<usize>,
}

impl Setup {
    /// The rules of `scenario` under `policy`, with the scenario's portability.
    pub fn new(scenario: &Scenario, policy: Policy) -> Self {
        Setup::with(scenario, policy, &scenario.dispatch.portability)
    }

    /// The rules of `scenario` under `policy` with both shares of portability at `level`.
    pub fn at_portability(scenario: &Scenario, policy: Policy, level: f64) -> Self {
        Setup::with(scenario, policy, &scenario.dispatch.portability.at(level))
    }

    /// The same rules, also measuring what a further share of portability would recover
    /// ([`Outcome::recoverable_gpu_hours`]); the dispatch itself is unchanged.
    pub fn measuring_portability(mut self) -> Self {
        self.measure_portability = true;
        self
    }

    fn with(scenario: &Scenario, policy: Policy, portability: &Portability) -> Self {
        let eligibility = sovereignty::evaluate(scenario);
        let clusters = &scenario.clusters;
        let mut keys: Vec<(usize, &str)> = Vec::new();
        let mut blocks: Vec<Vec<usize>> = Vec::new();
        let mut site_blocks: Vec<Vec<usize>> = vec![Vec::new(); scenario.sites.len()];
        for (c, cluster) in clusters.iter().enumerate() {
            let key = (
                cluster.site.index(),
                cluster.accelerator.architecture.as_str(),
            );
            let b = match keys.iter().position(|k| *k == key) {
                Some(b) => b,
                None => {
                    keys.push(key);
                    blocks.push(Vec::new());
                    keys.len() - 1
                }
            };
            blocks[b].push(c);
            site_blocks[cluster.site.index()].push(c);
        }
        site_blocks.retain(|b| !b.is_empty());
        let efficiency = |c: usize| scenario.dispatch.efficiency(clusters[c].sku);
        let training_flop_per_gpu_hour = (0..clusters.len())
            .map(|c| {
                let peak = clusters[c].accelerator.bf16_dense_tflops.unwrap_or(0.0) * 1e12;
                peak * efficiency(c).map_or(0.0, |e| e.training) * 3600.0
            })
            .collect::<Vec<f64>>();
        let qualifies = |c: usize, tier: usize| eligibility[c].qualifies[tier];
        let owned = |c: usize, operators: &[crate::model::OperatorId]| {
            policy == Policy::Grid || operators.contains(&clusters[c].operator)
        };
        let home = |c: usize, h: Option<&Home>| is_home(h, &clusters[c].accelerator);
        let training = scenario
            .training
            .iter()
            .map(|k| {
                let portable_pooled: Vec<bool> = (0..clusters.len())
                    .map(|c| qualifies(c, k.tier.index()) && training_flop_per_gpu_hour[c] > 0.0)
                    .collect();
                let portable: Vec<bool> = (0..clusters.len())
                    .map(|c| portable_pooled[c] && owned(c, &k.operators))
                    .collect();
                let at_home = |v: &[bool]| -> Vec<bool> {
                    (0..clusters.len())
                        .map(|c| v[c] && home(c, k.home.as_ref()))
                        .collect()
                };
                Access {
                    policy: at_home(&portable),
                    pooled: at_home(&portable_pooled),
                    kept: clusters
                        .iter()
                        .map(|cl| {
                            Portability::kept(
                                portability.training_penalty,
                                k.home.as_ref(),
                                &cl.accelerator,
                            )
                        })
                        .collect(),
                    portable,
                    portable_pooled,
                }
            })
            .collect();
        let screens: Vec<Option<Screen>> = scenario
            .inference
            .iter()
            .map(|d| Screen::of(scenario, d))
            .collect();
        // Every rate a demand could have, off home at the penalty; split below into home and away.
        // A screened demand's tokens also take the screen's compute: fewer per GPU-hour.
        let any_rates: Vec<Vec<f64>> = scenario
            .inference
            .iter()
            .zip(&screens)
            .map(|(d, screen)| {
                let screened = 1.0 / (1.0 + screen.map_or(0.0, |s| s.overhead));
                (0..clusters.len())
                    .map(|c| {
                        let rate = scenario
                            .dispatch
                            .serving(d.model, clusters[c].sku)
                            .map_or(0.0, |r| r.tokens_per_s_per_gpu);
                        let e = efficiency(c).map_or(0.0, |e| e.inference);
                        if qualifies(c, d.tier.index()) {
                            rate * e * 3600.0 * screened
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let split = |pick_home: bool, pooled: bool| -> Vec<Vec<f64>> {
            scenario
                .inference
                .iter()
                .zip(&any_rates)
                .map(|(d, rates)| {
                    rates
                        .iter()
                        .enumerate()
                        .map(|(c, r)| {
                            let at_home = home(c, d.home.as_ref());
                            if at_home != pick_home || !(pooled || owned(c, &d.operators)) {
                                0.0
                            } else if at_home {
                                *r
                            } else {
                                let kept = Portability::kept(
                                    portability.inference_penalty,
                                    d.home.as_ref(),
                                    &clusters[c].accelerator,
                                );
                                *r * kept
                            }
                        })
                        .collect()
                })
                .collect()
        };
        let pooled_rates = split(true, true);
        let policy_rates = split(true, false);
        let portable_rates = split(false, false);
        let portable_pooled_rates = split(false, true);
        let inference = (0..scenario.inference.len())
            .map(|i| Rates {
                policy_order: cluster_order(&policy_rates[i], &policy_rates),
                pooled_order: cluster_order(&pooled_rates[i], &pooled_rates),
                portable_order: cluster_order(&portable_rates[i], &portable_rates),
                portable_pooled_order: cluster_order(
                    &portable_pooled_rates[i],
                    &portable_pooled_rates,
                ),
                policy: policy_rates[i].clone(),
                pooled: pooled_rates[i].clone(),
                portable: portable_rates[i].clone(),
                portable_pooled: portable_pooled_rates[i].clone(),
            })
            .collect();
        let flop_per_token = scenario
            .inference
            .iter()
            .map(|d| 2.0 * scenario.models[d.model.index()].spec.active_params_b * 1e9)
            .collect();
        Setup {
            policy,
            blocks,
            site_blocks,
            training_flop_per_gpu_hour,
            training,
            order: demand_order(&policy_rates),
            pooled_order: demand_order(&pooled_rates),
            inference,
            flop_per_token,
            training_share: portability.training_share,
            inference_share: portability.inference_share,
            measure_portability: false,
            screens,
        }
    }

    /// Training FLOP one GPU-hour of cluster `cluster` delivers to campaign `campaign` under the
    /// policy (BF16 peak × efficiency × the campaign's MFU × 3,600 s); 0 when the campaign may
    /// not use the cluster.
    pub fn training_rate(&self, scenario: &Scenario, campaign: usize, cluster: usize) -> f64 {
        if self.training[campaign].policy[cluster] {
            self.training_flop_per_gpu_hour[cluster] * scenario.training[campaign].mfu
        } else {
            0.0
        }
    }

    /// Where `request` would start with `free` GPUs per cluster: the best-fitting block of one
    /// home architecture among the clusters `home` allows; failing that, if the run is portable,
    /// the best-fitting site among those `away` allows. The block's clusters, and which it may use.
    fn place<'s>(
        &'s self,
        request: &RunRequest,
        home: &'s [bool],
        away: &'s [bool],
        free: &[u64],
    ) -> Option<(&'s [usize], &'s [bool])> {
        best_block(&self.blocks, home, free, request.gpus)
            .map(|b| (self.blocks[b].as_slice(), home))
            .or_else(|| {
                (request.portable_draw < self.training_share)
                    .then(|| best_block(&self.site_blocks, away, free, request.gpus))
                    .flatten()
                    .map(|b| (self.site_blocks[b].as_slice(), away))
            })
    }

    /// The fastest cluster inference demand `demand` may use at home under pooling, with its
    /// tokens per GPU-hour: what its unserved tokens would have needed; `None` if it may use none.
    pub fn best_inference(&self, demand: usize) -> Option<(usize, f64)> {
        let rates = &self.inference[demand];
        rates
            .pooled_order
            .iter()
            .map(|&c| (c, rates.pooled[c]))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    }

    /// The fastest cluster campaign `campaign`'s runs may use at home under pooling, with its
    /// training FLOP per GPU-hour (MFU included); `None` if they may use none.
    pub fn best_training(&self, scenario: &Scenario, campaign: usize) -> Option<(usize, f64)> {
        let access = &self.training[campaign];
        let mfu = scenario.training[campaign].mfu;
        (0..access.pooled.len())
            .filter(|&c| access.pooled[c])
            .map(|c| (c, self.training_flop_per_gpu_hour[c] * mfu))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    }

    /// Tokens one GPU-hour of cluster `cluster` serves to inference demand `demand` under the
    /// policy; 0 when the demand may not use the cluster.
    pub fn inference_rate(&self, demand: usize, cluster: usize) -> f64 {
        self.inference[demand].policy[cluster]
    }
}

/// Clusters a demand may use (positive rate), fewest other users first, then fastest, then index.
fn cluster_order(rates: &[f64], all: &[Vec<f64>]) -> Vec<usize> {
    let users = |c: usize| all.iter().filter(|r| r[c] > 0.0).count();
    let mut order: Vec<usize> = (0..rates.len()).filter(|&c| rates[c] > 0.0).collect();
    order.sort_by(|&a, &b| {
        users(a)
            .cmp(&users(b))
            .then(rates[b].total_cmp(&rates[a]))
            .then(a.cmp(&b))
    });
    order
}

/// Demands, fewest usable clusters first, then scenario order.
fn demand_order(rates: &[Vec<f64>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rates.len()).collect();
    order.sort_by_key(|&i| (rates[i].iter().filter(|r| **r > 0.0).count(), i));
    order
}

/// What a screening proxy did to one demand's tokens over the horizon. Blocked tokens never reach
/// the GPUs, so the demand's `demand_tokens` count only what the proxy let through.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Screened {
    /// Attack tokens the proxy blocked.
    pub blocked_attack_tokens: f64,
    /// Legitimate tokens it blocked.
    pub blocked_legit_tokens: f64,
    /// Attack tokens served: leaked to attackers.
    pub leaked_tokens: f64,
    /// GPU-hours of screening, within the GPU-hours serving the demand took.
    pub screening_gpu_hours: f64,
}

/// One training run asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// Campaign index.
    pub campaign: usize,
    /// Arrival [hours since the start].
    pub arrival_hours: f64,
    /// GPUs it needs, of one architecture on one site.
    pub gpus: u64,
    /// Uniform draw in [0, 1) of its own stream: the run's code is portable when this is below the
    /// share of portable runs (so a higher share makes portable a superset of the same runs).
    pub portable_draw: f64,
}

/// The demand of one replication: volumes and growth drawn once, runs drawn one by one.
#[derive(Clone, Debug, PartialEq)]
pub struct Draws {
    /// Per inference demand: tokens per day at its start.
    pub tokens_per_day: Vec<f64>,
    /// Per inference demand: growth per year.
    pub growth_per_year: Vec<f64>,
    /// Every run arriving within the horizon, by arrival (ties: campaign, then order).
    pub runs: Vec<RunRequest>,
}

/// Draws the demand of replication `replication`, from streams of its own (subsystem `demand`,
/// keyed by the demand's id) and the replication's risk factors, shared with the engine.
pub fn draw(scenario: &Scenario, replication: u64) -> Draws {
    let seed = scenario.meta.seed;
    let mut factor_stream = Stream::new(seed, replication, "copula", "factors");
    let factors = FactorDraws::draw(
        scenario.uncertainty.factors.len(),
        scenario.uncertainty.cholesky.as_ref(),
        &mut factor_stream,
    );
    let start = scenario.meta.start_date;
    let end_hours = SimTime::ZERO
        .after_months(scenario.meta.horizon_years as f64 * 12.0)
        .0 as f64;
    let mut tokens_per_day = Vec::new();
    let mut growth_per_year = Vec::new();
    for d in &scenario.inference {
        let mut stream = Stream::new(seed, replication, "demand", &d.id);
        tokens_per_day.push(factors.sample(&d.tokens_per_day, &mut stream).max(0.0));
        growth_per_year.push(factors.sample(&d.growth_per_year, &mut stream).max(-0.99));
    }
    let mut runs = Vec::new();
    for (k, campaign) in scenario.training.iter().enumerate() {
        let mut stream = Stream::new(seed, replication, "demand", &campaign.id);
        // A stream of its own, so that drawing portability leaves every other draw unchanged.
        let mut portable = Stream::new(seed, replication, "portability", &campaign.id);
        let rate = factors.sample(&campaign.runs_per_year, &mut stream);
        if rate.is_nan() || rate <= 0.0 {
            continue;
        }
        let mean_gap = HOURS_PER_YEAR / rate;
        let mut t = SimTime::from_date(campaign.start_date, start).0 as f64;
        if campaign.arrivals == Arrivals::Poisson {
            t += -(1.0 - stream.uniform()).ln() * mean_gap;
        }
        while t < end_hours {
            let gpus = match &campaign.run_gpus {
                Some(u) => factors.sample(u, &mut stream).round().max(0.0) as u64,
                None => campaign.min_cluster_gpus,
            };
            runs.push(RunRequest {
                campaign: k,
                arrival_hours: t,
                gpus: gpus.max(campaign.min_cluster_gpus),
                portable_draw: portable.uniform(),
            });
            t += match campaign.arrivals {
                Arrivals::Scheduled => mean_gap,
                Arrivals::Poisson => -(1.0 - stream.uniform()).ln() * mean_gap,
            };
        }
    }
    // Stable: equal arrivals keep campaign order, then their own order.
    runs.sort_by(|a, b| a.arrival_hours.total_cmp(&b.arrival_hours));
    Draws {
        tokens_per_day,
        growth_per_year,
        runs,
    }
}

/// One month of dispatch, region-wide.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Month {
    /// Operational GPU-hours.
    pub available_gpu_hours: f64,
    /// GPU-hours training runs used.
    pub training_gpu_hours: f64,
    /// GPU-hours inference used.
    pub inference_gpu_hours: f64,
    /// GPU-hours idle that unserved demand could have used under pooling.
    pub stranded_gpu_hours: f64,
    /// Inference tokens asked for.
    pub tokens_demanded: f64,
    /// Inference tokens served.
    pub tokens_served: f64,
}

/// What became of one training run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    /// The request.
    pub request: RunRequest,
    /// Compute the run needs [FLOP].
    pub flop: f64,
    /// First start [hours], if it started within the horizon.
    pub start_hours: Option<f64>,
    /// Completion [hours], if it finished within the horizon.
    pub end_hours: Option<f64>,
    /// A cluster of the block it (last) ran on: the block is that cluster's site and architecture.
    pub cluster: Option<usize>,
    /// Compute delivered within the horizon [FLOP].
    pub flop_done: f64,
}

impl RunOutcome {
    /// Days between arrival and first start, for runs that started.
    pub fn queue_delay_days(&self) -> Option<f64> {
        self.start_hours
            .map(|s| (s - self.request.arrival_hours) / 24.0)
    }
}

/// Dispatch of one replication under one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The policy applied.
    pub policy: Policy,
    /// Per month, region-wide.
    pub months: Vec<Month>,
    /// Per month, per cluster: GPU-hours used (training and inference).
    pub used_gpu_hours: Vec<Vec<f64>>,
    /// Per month, per cluster: GPU-hours training runs used (the rest of `used_gpu_hours` served
    /// inference).
    pub training_gpu_hours: Vec<Vec<f64>>,
    /// Per month, per cluster: inference tokens served.
    pub tokens: Vec<Vec<f64>>,
    /// Per cluster over the horizon: operational GPU-hours.
    pub cluster_available_gpu_hours: Vec<f64>,
    /// Per cluster over the horizon: stranded GPU-hours.
    pub cluster_stranded_gpu_hours: Vec<f64>,
    /// Per level of [`PORTABILITY_LEVELS`], per month, per cluster: GPU-hours left idle under the
    /// policy that the demand left unserved could have used had that share of it been portable
    /// (a counterfactual, like stranding: nothing is served). Measured only with
    /// [`Setup::measuring_portability`]; empty otherwise. The GPU-hours stranded by
    /// incompatibility at a level are those at full portability less those at the level.
    pub recoverable_gpu_hours: Vec<Vec<Vec<f64>>>,
    /// Per inference demand over the horizon: (tokens demanded, tokens served).
    pub demand_tokens: Vec<(f64, f64)>,
    /// Per month, per inference demand: tokens asked for and not served.
    pub unserved_tokens: Vec<Vec<f64>>,
    /// Per tier over the horizon: (FLOP demanded, FLOP served).
    pub tier_flop: Vec<(f64, f64)>,
    /// Per inference demand over the horizon: what its screening proxy did (zero without one).
    pub screened: Vec<Screened>,
    /// Per month, per inference demand × cluster (`demand · clusters + cluster`): GPU-hours spent
    /// screening (empty when no tier is screened).
    pub screening_gpu_hours: Vec<Vec<f64>>,
    /// Every run that arrived within the horizon.
    pub runs: Vec<RunOutcome>,
}

impl Outcome {
    /// GPU-hours of cluster `cluster` in month `month` a customer pays for: those used, less those
    /// a screening proxy spent on the provider's own account.
    pub fn billable_gpu_hours(&self, month: usize, cluster: usize) -> f64 {
        let used = self.used_gpu_hours[month][cluster];
        let clusters = self.used_gpu_hours[month].len();
        let screening: f64 = self.screening_gpu_hours.get(month).map_or(0.0, |s| {
            s.iter().skip(cluster).step_by(clusters.max(1)).sum()
        });
        (used - screening).max(0.0)
    }

    fn total(&self, f: impl Fn(&Month) -> f64) -> f64 {
        self.months.iter().map(f).sum()
    }

    /// Operational GPU-hours over the horizon.
    pub fn available_gpu_hours(&self) -> f64 {
        self.total(|m| m.available_gpu_hours)
    }

    /// GPU-hours used over the horizon.
    pub fn used_gpu_hours(&self) -> f64 {
        self.total(|m| m.training_gpu_hours + m.inference_gpu_hours)
    }

    /// Stranded GPU-hours over the horizon.
    pub fn stranded_gpu_hours(&self) -> f64 {
        self.total(|m| m.stranded_gpu_hours)
    }

    /// GPU-hours used ÷ available over the horizon; `None` with no capacity at all.
    pub fn utilisation(&self) -> Option<f64> {
        let available = self.available_gpu_hours();
        (available > 0.0).then(|| self.used_gpu_hours() / available)
    }

    /// Stranded ÷ available GPU-hours over the horizon; `None` with no capacity at all.
    pub fn stranded_share(&self) -> Option<f64> {
        let available = self.available_gpu_hours();
        (available > 0.0).then(|| self.stranded_gpu_hours() / available)
    }

    /// Share of tier `tier`'s demanded compute served; `None` if it asked for none.
    pub fn served_share(&self, tier: usize) -> Option<f64> {
        let (demanded, served) = self.tier_flop[tier];
        (demanded > 0.0).then(|| served / demanded)
    }

    /// Mean queueing delay of the runs that started [days]; `None` if none did.
    pub fn queue_delay_days_mean(&self) -> Option<f64> {
        let delays: Vec<f64> = self
            .runs
            .iter()
            .filter_map(RunOutcome::queue_delay_days)
            .collect();
        (!delays.is_empty()).then(|| delays.iter().sum::<f64>() / delays.len() as f64)
    }

    /// P90 (nearest rank) of the queueing delay of the runs that started [days].
    pub fn queue_delay_days_p90(&self) -> Option<f64> {
        let mut delays: Vec<f64> = self
            .runs
            .iter()
            .filter_map(RunOutcome::queue_delay_days)
            .collect();
        delays.sort_by(f64::total_cmp);
        let n = delays.len();
        (n > 0).then(|| delays[((0.9 * n as f64).ceil() as usize).clamp(1, n) - 1])
    }

    /// Runs that never started within the horizon.
    pub fn runs_cancelled(&self) -> usize {
        self.runs.iter().filter(|r| r.start_hours.is_none()).count()
    }

    /// Runs that finished within the horizon.
    pub fn runs_completed(&self) -> usize {
        self.runs.iter().filter(|r| r.end_hours.is_some()).count()
    }
}

/// A run holding GPUs.
struct Active {
    run: usize,
    /// (cluster, GPUs) it holds.
    hold: Vec<(usize, u64)>,
    /// Per entry of `hold`: the share of home throughput it keeps there.
    kept: Vec<f64>,
    remaining_flop: f64,
    mfu: f64,
}

/// Tokens a demand asks for between hours `a` and `b` (hours since the scenario start), growing
/// continuously from its start hour `start`.
pub fn tokens_between(tokens_per_day: f64, growth: f64, start: f64, a: f64, b: f64) -> f64 {
    let (a, b) = (a.max(start), b);
    if b <= a {
        return 0.0;
    }
    let per_hour = tokens_per_day / 24.0;
    let lambda = (1.0 + growth).ln() / HOURS_PER_YEAR;
    if lambda.abs() < 1e-15 {
        return per_hour * (b - a);
    }
    per_hour * (((b - start) * lambda).exp() - ((a - start) * lambda).exp()) / lambda
}

/// Dispatches one replication: `cumulative[b][c]` is cluster `c`'s operational GPU-hours from the
/// start to month boundary `b` (the engine's `Replication::operational_gpu_hours`).
pub fn dispatch(
    scenario: &Scenario,
    setup: &Setup,
    cumulative: &[Vec<f64>],
    draws: &Draws,
) -> Outcome {
    let months = cumulative.len().saturating_sub(1);
    let mut dispatcher = Dispatcher::new(scenario, setup, draws, months);
    for m in 0..months {
        dispatcher.month(&cumulative[m], &cumulative[m + 1]);
    }
    dispatcher.finish()
}

/// One replication's dispatch advanced a month at a time, so that a month may be dispatched as
/// soon as the engine has produced it: [`dispatch`] steps it over every month.
pub struct Dispatcher<'a> {
    scenario: &'a Scenario,
    setup: &'a Setup,
    draws: &'a Draws,
    /// Per inference demand: its first hour.
    demand_start: Vec<f64>,
    out: Outcome,
    /// Runs waiting, in queue order, with the compute they still need.
    queue: Vec<(usize, f64)>,
    next_arrival: usize,
    active: Vec<Active>,
    // Per-month scratch, kept to avoid allocating each month.
    avail: Vec<f64>,
    reserved: Vec<u64>,
    trained: Vec<f64>,
    idle: Vec<f64>,
    tokens: Vec<f64>,
    served: Vec<f64>,
    asked: Vec<f64>,
    /// Per model: (tokens its demands were served, tokens they were stated to ask) so far — the
    /// context it has collected, against the plan's.
    context: Vec<(f64, f64)>,
    /// The next month to dispatch.
    month: usize,
}

impl<'a> Dispatcher<'a> {
    /// A dispatch of `draws` under `setup` over `months` months, at its start.
    pub fn new(scenario: &'a Scenario, setup: &'a Setup, draws: &'a Draws, months: usize) -> Self {
        let clusters = scenario.clusters.len();
        let start = scenario.meta.start_date;
        let demand_start: Vec<f64> = scenario
            .inference
            .iter()
            .map(|d| SimTime::from_date(d.start_date, start).0 as f64)
            .collect();
        let out = Outcome {
            policy: setup.policy,
            months: Vec::with_capacity(months),
            used_gpu_hours: Vec::with_capacity(months),
            training_gpu_hours: Vec::with_capacity(months),
            tokens: Vec::with_capacity(months),
            cluster_available_gpu_hours: vec![0.0; clusters],
            cluster_stranded_gpu_hours: vec![0.0; clusters],
            recoverable_gpu_hours: if setup.measure_portability {
                vec![Vec::with_capacity(months); PORTABILITY_LEVELS.len()]
            } else {
                Vec::new()
            },
            demand_tokens: vec![(0.0, 0.0); scenario.inference.len()],
            unserved_tokens: Vec::with_capacity(months),
            tier_flop: vec![(0.0, 0.0); scenario.tiers.len()],
            screened: vec![Screened::default(); scenario.inference.len()],
            screening_gpu_hours: Vec::with_capacity(if scenario.defences.is_empty() {
                0
            } else {
                months
            }),
            runs: draws
                .runs
                .iter()
                .map(|r| RunOutcome {
                    request: r.clone(),
                    flop: scenario.training[r.campaign].run_flop,
                    start_hours: None,
                    end_hours: None,
                    cluster: None,
                    flop_done: 0.0,
                })
                .collect(),
        };
        Dispatcher {
            scenario,
            setup,
            draws,
            demand_start,
            out,
            queue: Vec::new(),
            next_arrival: 0,
            active: Vec::new(),
            avail: vec![0.0; clusters],
            reserved: vec![0u64; clusters],
            trained: vec![0.0; clusters],
            idle: vec![0.0; clusters],
            tokens: vec![0.0; clusters],
            served: vec![0.0; scenario.inference.len()],
            asked: vec![0.0; scenario.inference.len()],
            context: vec![(0.0, 0.0); scenario.models.len()],
            month: 0,
        }
    }

    /// What has been dispatched so far.
    pub fn outcome(&self) -> &Outcome {
        &self.out
    }

    /// The dispatch once every month has been stepped.
    pub fn finish(self) -> Outcome {
        self.out
    }

    /// Dispatches the next month, from each cluster's operational GPU-hours since the start at its
    /// first (`before`) and last (`after`) boundary.
    pub fn month(&mut self, before: &[f64], after: &[f64]) {
        let Dispatcher {
            scenario,
            setup,
            draws,
            demand_start,
            out,
            queue,
            next_arrival,
            active,
            avail,
            reserved,
            trained,
            idle,
            tokens,
            served,
            asked,
            context,
            month: next_month,
        } = self;
        let (scenario, setup, draws) = (*scenario, *setup, *draws);
        let m = *next_month;
        *next_month += 1;
        let clusters = scenario.clusters.len();
        let t0 = SimTime::ZERO.after_months(m as f64).0 as f64;
        let t1 = SimTime::ZERO.after_months((m + 1) as f64).0 as f64;
        let hours = t1 - t0;
        let mut month = Month::default();
        for c in 0..clusters {
            avail[c] = (after[c] - before[c]).max(0.0);
            out.cluster_available_gpu_hours[c] += avail[c];
            month.available_gpu_hours += avail[c];
            trained[c] = 0.0;
            tokens[c] = 0.0;
        }
        // Arrivals of this month join the queue, and their compute the demand of their tier.
        while *next_arrival < draws.runs.len() && draws.runs[*next_arrival].arrival_hours < t1 {
            let r = &draws.runs[*next_arrival];
            let campaign = &scenario.training[r.campaign];
            out.tier_flop[campaign.tier.index()].0 += campaign.run_flop;
            queue.push((*next_arrival, campaign.run_flop));
            *next_arrival += 1;
        }

        // Runs holding GPUs progress; a run whose clusters have nothing left goes back to the queue.
        reserved.iter_mut().for_each(|r| *r = 0);
        for a in active.iter() {
            for &(c, g) in &a.hold {
                reserved[c] += g;
            }
        }
        let scale: Vec<f64> = (0..clusters)
            .map(|c| {
                if reserved[c] == 0 {
                    1.0
                } else {
                    (avail[c] / hours / reserved[c] as f64).min(1.0)
                }
            })
            .collect();
        let mut requeued = Vec::new();
        // Runs that finish this month, with when and what they release.
        let mut ending: Vec<(f64, Vec<(usize, u64)>)> = Vec::new();
        active.retain_mut(|a| {
            let rate: f64 = a
                .hold
                .iter()
                .zip(&a.kept)
                .map(|(&(c, g), k)| {
                    g as f64 * scale[c] * setup.training_flop_per_gpu_hour[c] * a.mfu * k
                })
                .sum();
            if rate <= 0.0 {
                for &(c, g) in &a.hold {
                    reserved[c] -= g;
                }
                requeued.push((a.run, a.remaining_flop));
                return false;
            }
            let needed = a.remaining_flop / rate;
            let run_hours = needed.min(hours);
            for &(c, g) in &a.hold {
                trained[c] += g as f64 * scale[c] * run_hours;
            }
            let done = rate * run_hours;
            a.remaining_flop -= done;
            out.runs[a.run].flop_done += done;
            let tier = scenario.training[draws.runs[a.run].campaign].tier.index();
            out.tier_flop[tier].1 += done;
            if needed <= hours {
                out.runs[a.run].end_hours = Some(t0 + needed);
                ending.push((t0 + needed, std::mem::take(&mut a.hold)));
                false
            } else {
                true
            }
        });
        for r in requeued.into_iter().rev() {
            queue.insert(0, r);
        }

        // Waiting runs start where a block fits them, first come first served with backfill, at
        // the month start, at their arrival, or when a finishing run frees its GPUs.
        let mut free: Vec<u64> = (0..clusters)
            .map(|c| ((avail[c] / hours).floor() as u64).saturating_sub(reserved[c]))
            .collect();
        let mut now = t0;
        loop {
            ending.retain(|(end, hold)| {
                if *end <= now {
                    for &(c, g) in hold {
                        free[c] += g;
                    }
                    false
                } else {
                    true
                }
            });
            let mut i = 0;
            while i < queue.len() {
                let (run, remaining) = queue[i];
                let request = &draws.runs[run];
                let campaign = &scenario.training[request.campaign];
                let access = &setup.training[request.campaign];
                // A block of a home architecture first; a portable run then takes a site's
                // mixed block, at the throughput it keeps there.
                let placed = if request.arrival_hours <= now {
                    setup.place(request, &access.policy, &access.portable, &free)
                } else {
                    None
                };
                let Some((members, eligible)) = placed else {
                    i += 1;
                    continue;
                };
                queue.remove(i);
                let mut hold = Vec::new();
                let mut rest = request.gpus;
                for &c in members {
                    if rest == 0 {
                        break;
                    }
                    if eligible[c] && free[c] > 0 {
                        let take = free[c].min(rest);
                        free[c] -= take;
                        rest -= take;
                        hold.push((c, take));
                    }
                }
                let kept: Vec<f64> = hold.iter().map(|&(c, _)| access.kept[c]).collect();
                let outcome = &mut out.runs[run];
                outcome.start_hours.get_or_insert(now);
                outcome.cluster = members.first().copied();
                let rate: f64 = hold
                    .iter()
                    .zip(&kept)
                    .map(|(&(c, g), k)| {
                        g as f64 * setup.training_flop_per_gpu_hour[c] * campaign.mfu * k
                    })
                    .sum();
                let needed = remaining / rate;
                let run_hours = needed.min(t1 - now);
                for &(c, g) in &hold {
                    trained[c] += g as f64 * run_hours;
                }
                let done = rate * run_hours;
                outcome.flop_done += done;
                out.tier_flop[campaign.tier.index()].1 += done;
                if needed <= t1 - now {
                    outcome.end_hours = Some(now + needed);
                    ending.push((now + needed, hold));
                } else {
                    active.push(Active {
                        run,
                        hold,
                        kept,
                        remaining_flop: remaining - done,
                        mfu: campaign.mfu,
                    });
                }
            }
            // The next instant something changes: an arrival, or a run finishing.
            let next = queue
                .iter()
                .map(|&(run, _)| draws.runs[run].arrival_hours)
                .chain(ending.iter().map(|(end, _)| *end))
                .filter(|&t| t > now && t < t1)
                .min_by(f64::total_cmp);
            match next {
                Some(t) => now = t,
                None => break,
            }
        }

        // Inference fills what training left: at home, then the portable share of what is left
        // unserved on other architectures, at the throughput kept there.
        for c in 0..clusters {
            idle[c] = (avail[c] - trained[c]).max(0.0);
            month.training_gpu_hours += trained[c];
        }
        // A demand that follows its model's context asks for its stated tokens × (served ÷
        // stated so far)^elasticity, read at the month's start whatever the order of service.
        let stated: Vec<f64> = (0..scenario.inference.len())
            .map(|i| {
                let (tpd, growth) = (draws.tokens_per_day[i], draws.growth_per_year[i]);
                tokens_between(tpd, growth, demand_start[i], t0, t1)
            })
            .collect();
        // What serving takes, at home or off it: GPU-hours of the month, tokens of the cluster, and
        // the screening share of those GPU-hours for the demand being served (`screening`).
        let screening = std::cell::Cell::new((0usize, 0.0f64));
        let screened_any = setup.screens.iter().any(Option::is_some);
        let mut screen_hours = vec![
            0.0;
            if screened_any {
                clusters * scenario.inference.len()
            } else {
                0
            }
        ];
        let mut took = |c: usize, t: f64, h: f64| {
            month.inference_gpu_hours += h;
            tokens[c] += t;
            let (i, share) = screening.get();
            if share > 0.0 {
                screen_hours[i * clusters + c] += h * share;
            }
        };
        let share_of = |i: usize| setup.screens[i].map_or(0.0, |s| s.screening_share());
        for &i in &setup.order {
            let d = &scenario.inference[i];
            asked[i] = stated[i];
            let (served_so_far, stated_so_far) = context[d.model.index()];
            if d.context_elasticity > 0.0 && stated_so_far > 0.0 {
                asked[i] *= (served_so_far / stated_so_far).powf(d.context_elasticity);
            }
            // The proxy blocks what it catches before the GPUs see it.
            if let Some(s) = &setup.screens[i] {
                out.screened[i].blocked_attack_tokens += asked[i] * s.blocked_attack;
                out.screened[i].blocked_legit_tokens += asked[i] * s.blocked_legit;
                asked[i] *= s.passed();
            }
            screening.set((i, share_of(i)));
            let rates = &setup.inference[i];
            served[i] = fill(
                asked[i],
                &rates.policy_order,
                &rates.policy,
                idle,
                &mut took,
            );
        }
        if setup.inference_share > 0.0 {
            for &i in &setup.order {
                screening.set((i, share_of(i)));
                let rates = &setup.inference[i];
                let rest = setup.inference_share * (asked[i] - served[i]);
                served[i] += fill(
                    rest,
                    &rates.portable_order,
                    &rates.portable,
                    idle,
                    &mut took,
                );
            }
        }
        for (i, screen) in setup.screens.iter().enumerate() {
            if let Some(s) = screen {
                out.screened[i].leaked_tokens += served[i] * s.leaked_of_passed;
            }
        }
        if !screen_hours.is_empty() {
            for (i, per_cluster) in screen_hours.chunks(clusters).enumerate() {
                out.screened[i].screening_gpu_hours += per_cluster.iter().sum::<f64>();
            }
            out.screening_gpu_hours.push(screen_hours);
        }
        for &i in &setup.order {
            let model = &mut context[scenario.inference[i].model.index()];
            // Context counts from the first month the model is served: before it has capacity
            // there is nothing to lose demand to, and a demand opening ahead of its GPUs would
            // otherwise be worth nothing for ever.
            if model.0 > 0.0 || served[i] > 0.0 {
                model.0 += served[i];
                model.1 += stated[i];
            }
            month.tokens_demanded += asked[i];
            month.tokens_served += served[i];
            out.demand_tokens[i].0 += asked[i];
            out.demand_tokens[i].1 += served[i];
            let tier = scenario.inference[i].tier.index();
            out.tier_flop[tier].0 += asked[i] * setup.flop_per_token[i];
            out.tier_flop[tier].1 += served[i] * setup.flop_per_token[i];
        }

        // Stranding: what the unserved demand would take of the idle GPU-hours under pooling.
        let before = idle.to_vec();
        let window = (t0, t1);
        let unserved: Vec<f64> = asked
            .iter()
            .zip(served.iter())
            .map(|(a, s)| a - s)
            .collect();
        out.unserved_tokens.push(unserved.clone());
        place_unserved(setup, draws, queue, window, &unserved, idle);
        for c in 0..clusters {
            let stranded = before[c] - idle[c];
            out.cluster_stranded_gpu_hours[c] += stranded;
            month.stranded_gpu_hours += stranded;
        }
        if setup.measure_portability {
            for (l, level) in PORTABILITY_LEVELS.iter().enumerate() {
                let recovered =
                    recoverable(setup, draws, queue, window, &unserved, &before, *level);
                out.recoverable_gpu_hours[l].push(recovered);
            }
        }
        out.used_gpu_hours
            .push((0..clusters).map(|c| avail[c] - before[c]).collect());
        out.training_gpu_hours.push(trained.clone());
        out.tokens.push(tokens.clone());
        out.months.push(month);
    }
}

/// Fills `rest` tokens from the clusters in `order`, each at its rate (tokens per GPU-hour), out of
/// their idle GPU-hours; `took(cluster, tokens, GPU-hours)` sees each take. Returns the tokens served.
fn fill(
    mut rest: f64,
    order: &[usize],
    rates: &[f64],
    idle: &mut [f64],
    mut took: impl FnMut(usize, f64, f64),
) -> f64 {
    let mut served = 0.0;
    for &c in order {
        if rest <= 0.0 {
            break;
        }
        let rate = rates[c];
        let take = rest.min(idle[c].max(0.0) * rate);
        if take > 0.0 {
            idle[c] -= take / rate;
            took(c, take, take / rate);
            rest -= take;
            served += take;
        }
    }
    served
}

/// Places the demand left unserved this month (runs still queued, `unserved` tokens) on the `idle`
/// GPU-hours under pooling, with the scenario's portability, reducing them: a counterfactual,
/// nothing is served.
fn place_unserved(
    setup: &Setup,
    draws: &Draws,
    queue: &[(usize, f64)],
    (t0, t1): (f64, f64),
    unserved: &[f64],
    idle: &mut [f64],
) {
    let hours = t1 - t0;
    let mut free: Vec<u64> = idle.iter().map(|i| (i / hours).floor() as u64).collect();
    for &(run, _) in queue {
        let request = &draws.runs[run];
        let access = &setup.training[request.campaign];
        let placed = setup.place(request, &access.pooled, &access.portable_pooled, &free);
        if let Some((members, eligible)) = placed {
            let span = t1 - request.arrival_hours.max(t0);
            let mut rest = request.gpus;
            for &c in members {
                if eligible[c] && rest > 0 {
                    let take = free[c].min(rest);
                    free[c] -= take;
                    idle[c] -= take as f64 * span;
                    rest -= take;
                }
            }
        }
    }
    for &i in &setup.pooled_order {
        let rates = &setup.inference[i];
        let rest = unserved[i]
            - fill(
                unserved[i],
                &rates.pooled_order,
                &rates.pooled,
                idle,
                |_, _, _| {},
            );
        if setup.inference_share > 0.0 {
            fill(
                setup.inference_share * rest,
                &rates.portable_pooled_order,
                &rates.portable_pooled,
                idle,
                |_, _, _| {},
            );
        }
    }
}

/// Per cluster: the GPU-hours of `before` (idle after this month's dispatch) the demand left
/// unserved could use under the policy had a share `level` of it been portable — the runs still
/// queued whose draw is below `level`, and `level` of the tokens left unserved, on other
/// architectures at the throughput they keep there. A counterfactual that grows with `level` by
/// construction: a run offers its GPU-hours for the rest of the month to the site where the most
/// GPUs it may use sat idle (chosen from `before`, whatever the level), and each demand fills
/// clusters in a fixed order, so a higher level only adds volume to the same fills, and a fill
/// never leaves more idle for the ones after it.
#[allow(
    clippy::too_many_arguments,
    reason = "one month's state of the dispatch loop"
)]
fn recoverable(
    setup: &Setup,
    draws: &Draws,
    queue: &[(usize, f64)],
    (t0, t1): (f64, f64),
    unserved: &[f64],
    before: &[f64],
    level: f64,
) -> Vec<f64> {
    let hours = t1 - t0;
    let mut idle = before.to_vec();
    for &(run, _) in queue {
        let request = &draws.runs[run];
        if request.portable_draw >= level {
            continue;
        }
        let eligible = &setup.training[request.campaign].portable;
        let room = |site: &[usize]| -> u64 {
            site.iter()
                .filter(|&&c| eligible[c])
                .map(|&c| (before[c] / hours).floor() as u64)
                .sum()
        };
        let mut best: Option<(u64, usize)> = None;
        for (b, site) in setup.site_blocks.iter().enumerate() {
            let r = room(site);
            if r >= request.gpus && request.gpus > 0 && best.is_none_or(|(top, _)| r > top) {
                best = Some((r, b));
            }
        }
        let Some((_, b)) = best else {
            continue;
        };
        let mut rest = request.gpus as f64 * (t1 - request.arrival_hours.max(t0));
        for &c in &setup.site_blocks[b] {
            if eligible[c] && rest > 0.0 {
                let take = rest.min(idle[c].max(0.0));
                idle[c] -= take;
                rest -= take;
            }
        }
    }
    for &i in &setup.order {
        let rates = &setup.inference[i];
        fill(
            level * unserved[i],
            &rates.portable_order,
            &rates.portable,
            &mut idle,
            |_, _, _| {},
        );
    }
    before.iter().zip(&idle).map(|(b, i)| b - i).collect()
}

/// The eligible block with the fewest free GPUs that still holds `gpus`, lowest index on ties.
fn best_block(blocks: &[Vec<usize>], eligible: &[bool], free: &[u64], gpus: u64) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    for (b, members) in blocks.iter().enumerate() {
        let room: u64 = members
            .iter()
            .filter(|&&c| eligible[c])
            .map(|&c| free[c])
            .sum();
        if room >= gpus && gpus > 0 && best.is_none_or(|(r, _)| room < r) {
            best = Some((room, b));
        }
    }
    best.map(|(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_grow_continuously_and_add_up_over_split_intervals() {
        let whole = tokens_between(24.0, 1.0, 0.0, 0.0, 2.0 * HOURS_PER_YEAR);
        let split = tokens_between(24.0, 1.0, 0.0, 0.0, HOURS_PER_YEAR)
            + tokens_between(24.0, 1.0, 0.0, HOURS_PER_YEAR, 2.0 * HOURS_PER_YEAR);
        assert!((whole - split).abs() < 1e-6 * whole);
        // Doubling each year: the second year asks twice the first.
        let first = tokens_between(24.0, 1.0, 0.0, 0.0, HOURS_PER_YEAR);
        let second = tokens_between(24.0, 1.0, 0.0, HOURS_PER_YEAR, 2.0 * HOURS_PER_YEAR);
        assert!((second / first - 2.0).abs() < 1e-9);
        // Without growth: one token an hour.
        assert!((tokens_between(24.0, 0.0, 10.0, 0.0, 110.0) - 100.0).abs() < 1e-9);
    }
}
