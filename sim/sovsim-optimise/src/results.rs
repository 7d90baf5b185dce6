//! Reading a solved model: the plan (as rows and as edits to the scenario file), the objective's
//! parts, shortfalls explained in words, deterministic milestone dates, and shadow prices.

use std::collections::{BTreeMap, BTreeSet};

use sovsim_core::model::{Objective, Scenario};
use sovsim_core::scenario::plan::{PlanEdits, PlannedCluster};
use sovsim_core::units::Date;

use crate::Solved;
use crate::formulation::{
    EUR_PER_UNIT, Family, GPU_HOURS_PER_UNIT, GPUS_PER_UNIT, Part, Row, Settings, Vars,
};
use crate::instance::Instance;

/// How the solver finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Proven optimal.
    Optimal,
    /// Within the MIP gap asked for.
    WithinGap,
    /// Stopped at the time limit with a feasible plan.
    TimeLimit,
}

impl Status {
    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::WithinGap => "within_gap",
            Status::TimeLimit => "time_limit",
        }
    }
}

/// Size of the MILP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    /// Constraints.
    pub rows: usize,
    /// Variables.
    pub columns: usize,
    /// Integer (and binary) variables.
    pub integer_columns: usize,
    /// Non-zeros of the constraint matrix.
    pub non_zeros: usize,
}

/// One line of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRow {
    /// Calendar year the period starts in.
    pub year: i32,
    /// `site`, `grid`, `power`, `hall` or `gpus`.
    pub kind: &'static str,
    /// Entity id in the plan file.
    pub id: String,
    /// Site id.
    pub site: String,
    /// What is built (technology, hall type, SKU).
    pub what: String,
    /// Quantity.
    pub quantity: f64,
    /// Its unit.
    pub unit: &'static str,
    /// First year it is usable.
    pub usable_year: i32,
    /// Whether the scenario committed it.
    pub committed: bool,
}

/// One part of the objective.
#[derive(Clone, Debug, PartialEq)]
pub struct CostPart {
    /// Name.
    pub name: &'static str,
    /// Value [EUR, NPV] (`max_sovereign`: GPU-hours of the fastest eligible cluster, negative).
    pub value: f64,
}

/// Demand left unserved in one period, for one tier.
#[derive(Clone, Debug, PartialEq)]
pub struct Shortfall {
    /// Tier id.
    pub tier: String,
    /// Year.
    pub year: i32,
    /// GPU-hours short, on the fastest cluster each demand may use.
    pub gpu_hours: f64,
    /// IT capacity that would have served it [GW].
    pub it_gw: f64,
}

/// The value of one more unit of a limit.
#[derive(Clone, Debug, PartialEq)]
pub struct ShadowPrice {
    /// Family of constraints.
    pub family: &'static str,
    /// Entity (site, connection, asset, hall, cluster, demand, tier) or empty.
    pub entity: String,
    /// Year, if the limit is per period.
    pub year: Option<i32>,
    /// Value [unit].
    pub value: f64,
    /// Unit of the value.
    pub unit: &'static str,
}

/// A milestone date of the plan, deterministic (medians and the planning quantile).
#[derive(Clone, Debug, PartialEq)]
pub struct Milestone {
    /// Site id, or `None` for the region.
    pub site: Option<String>,
    /// Name, as the simulation's milestones (`first_gpu`, `gw_1`, `grid`, …).
    pub name: String,
    /// Date (the start of the period it happens in; a site's permit and grid at their month).
    pub date: Date,
}

/// GPU-hours rented from one cloud offer in one period.
#[derive(Clone, Debug, PartialEq)]
pub struct Rented {
    /// Offer id.
    pub offer: String,
    /// Year the period starts in.
    pub year: i32,
    /// GPU-hours rented.
    pub gpu_hours: f64,
    /// Their price [EUR, undiscounted].
    pub eur: f64,
    /// GPUs rented on average over the period.
    pub gpus: f64,
}

/// What relaxing one tier's rule changes.
#[derive(Clone, Debug, PartialEq)]
pub struct SovereigntyCost {
    /// Tier id.
    pub tier: String,
    /// Clauses relaxed.
    pub clauses: usize,
    /// Objective with the rule.
    pub strict_objective: f64,
    /// Objective without it.
    pub relaxed_objective: f64,
    /// Strict − relaxed (≥ 0 up to the MIP gap).
    pub delta_objective: f64,
    /// IT capacity online at the end of the horizon with the rule [GW].
    pub strict_it_gw: f64,
    /// Without it [GW].
    pub relaxed_it_gw: f64,
    /// Strict − relaxed [GW].
    pub delta_it_gw: f64,
    /// Largest yearly shortfall with the rule [GW].
    pub strict_shortfall_gw: f64,
    /// Without it [GW].
    pub relaxed_shortfall_gw: f64,
    /// GPU-hours the tier's demand is served with the rule (of its fastest eligible GPU).
    pub served_gpu_hours: f64,
    /// The premium per GPU-hour served: Δ objective ÷ those GPU-hours [EUR].
    pub premium_eur_per_gpu_hour: f64,
    /// GPU-hours rented from cloud offers with the rule.
    pub strict_rented_gpu_hours: f64,
    /// Without it.
    pub relaxed_rented_gpu_hours: f64,
    /// First year from which the tier's demand is met with the rule (`None`: not within the
    /// horizon).
    pub strict_met_from: Option<i32>,
    /// Without it.
    pub relaxed_met_from: Option<i32>,
}

impl SovereigntyCost {
    /// Years the rule delays meeting the tier's demand; `None` if the rule keeps it from being
    /// met within the horizon, or neither plan meets it.
    pub fn delay_years(&self) -> Option<i32> {
        match (self.strict_met_from, self.relaxed_met_from) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        }
    }
}

/// One point of the cost-of-sovereignty curve: every tier's rule replaced by a least SEAL on one
/// framework objective, and the plan optimised again.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    /// Objective id (`SOV-2`).
    pub objective: String,
    /// SEAL required, 0 (no rule) to 4.
    pub seal: u8,
    /// Candidate clusters that qualify.
    pub clusters_qualifying: usize,
    /// Cloud offers that qualify.
    pub offers_qualifying: usize,
    /// The optimiser's objective [EUR NPV, penalties included].
    pub objective_eur: f64,
    /// Its cost less terminal value, penalties excluded [EUR NPV].
    pub npv_cost_eur: f64,
    /// Objective over that of no rule [EUR].
    pub premium_eur: f64,
    /// GW delivered: the most IT capacity of working GPUs in any year [GW].
    pub it_gw_peak: f64,
    /// GPU-hours rented over the horizon.
    pub rented_gpu_hours: f64,
    /// Largest yearly shortfall [GW].
    pub shortfall_gw_max: f64,
}

/// Everything one optimisation produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Objective (`min_cost`: EUR NPV; `max_sovereign`: −GPU-hours served) — the sum of `parts`.
    pub objective: f64,
    /// The objective's parts.
    pub parts: Vec<CostPart>,
    /// NPV of the plan's costs less its terminal value [EUR], whatever the objective.
    pub npv_cost_eur: f64,
    /// How the solver finished.
    pub status: Status,
    /// The plan, by year.
    pub plan: Vec<PlanRow>,
    /// The plan as edits of the scenario file.
    pub edits: PlanEdits,
    /// Per year: IT capacity of GPUs working [GW].
    pub it_gw: Vec<(i32, f64)>,
    /// At the end of the horizon [GW].
    pub it_gw_end: f64,
    /// GPU-hours rented from cloud offers, per offer and year.
    pub rented: Vec<Rented>,
    /// Shortfalls per tier and year.
    pub shortfalls: Vec<Shortfall>,
    /// Per tier: GPU-hours its demand is served (of the fastest eligible GPU).
    pub tier_served_gpu_hours: Vec<f64>,
    /// Largest yearly shortfall, all tiers [GW].
    pub shortfall_gw_max: f64,
    /// Budget overruns per year [EUR].
    pub over_budget: Vec<(i32, f64)>,
    /// Carbon overruns per year [tCO₂].
    pub over_carbon: Vec<(i32, f64)>,
    /// The targets missed, in words; empty when every target is met.
    pub explanation: Vec<String>,
    /// Deterministic milestones.
    pub milestones: Vec<Milestone>,
    /// Shadow prices of binding limits.
    pub shadow_prices: Vec<ShadowPrice>,
    /// Problem size.
    pub size: Size,
    /// Seconds to build the model.
    pub build_s: f64,
    /// Seconds HiGHS took.
    pub solve_s: f64,
}

impl Outcome {
    /// GPU-hours rented over the horizon.
    pub fn rented_gpu_hours(&self) -> f64 {
        self.rented.iter().map(|r| r.gpu_hours).sum()
    }

    /// First year from which tier `tier`'s demand is met for good (no shortfall that year or
    /// after); `None` if it is short in the last year.
    pub fn met_from(&self, tier: &str, years: &[i32]) -> Option<i32> {
        let last_short = self
            .shortfalls
            .iter()
            .filter(|s| s.tier == tier)
            .map(|s| s.year)
            .max();
        match last_short {
            None => years.first().copied(),
            Some(y) => years.iter().copied().find(|&x| x > y),
        }
    }
}

/// Slack below this is numerical noise.
const TOLERANCE: f64 = 1e-6;

fn eval(lin: &crate::formulation::Lin, s: &Solved) -> f64 {
    lin.terms.iter().map(|&(v, c)| c * s.value(v)).sum::<f64>() + lin.constant
}

/// Reads the plan and its figures off the solution.
pub(crate) fn read(
    scenario: &Scenario,
    inst: &Instance,
    settings: &Settings,
    s: &Solved,
    vars: &Vars,
    parts: &[Part],
) -> Outcome {
    let scale = if settings.objective == Objective::MinCost {
        EUR_PER_UNIT
    } else {
        GPU_HOURS_PER_UNIT
    };
    let parts: Vec<CostPart> = parts
        .iter()
        .map(|p| CostPart {
            name: p.name,
            value: eval(&p.lin, s) * scale,
        })
        .collect();
    let objective = parts.iter().map(|p| p.value).sum();
    let value = |v: good_lp::Variable| s.value(v);
    let periods = inst.periods;
    let mut plan = Vec::new();
    let mut edits = PlanEdits {
        name: format!("{}-plan", scenario.meta.name),
        description: format!(
            "Plan of `sovsim optimize` ({}) for {}",
            settings.objective.name(),
            scenario.meta.name
        ),
        committed: scenario
            .optimize
            .committed
            .iter()
            .map(|c| scenario.committed_id(*c).to_owned())
            .collect(),
        ..PlanEdits::default()
    };
    let start = |t: usize| inst.period_start(t);
    let acquired: Vec<bool> = vars.acquire.iter().map(|v| value(*v) > 0.5).collect();
    for (s_i, site) in scenario.sites.iter().enumerate() {
        if acquired[s_i] {
            edits.sites.insert(site.id.clone());
            plan.push(PlanRow {
                year: inst.year(0),
                kind: "site",
                id: site.id.clone(),
                site: site.id.clone(),
                what: site.country.code.clone(),
                quantity: site.area_ha,
                unit: "ha",
                usable_year: inst.year(inst.sites[s_i].ready.min(periods)),
                committed: inst.sites[s_i].committed,
            });
        }
    }
    for (g, grid) in scenario.grid_connections.iter().enumerate() {
        let mw = value(vars.grid[g]);
        if mw > TOLERANCE {
            edits.grid_mw.insert(grid.id.clone(), round_to(mw, 1.0));
            plan.push(PlanRow {
                year: inst.year(0),
                kind: "grid",
                id: grid.id.clone(),
                site: scenario.sites[grid.site.index()].id.clone(),
                what: "grid".to_owned(),
                quantity: mw,
                unit: "MW",
                usable_year: inst.year(inst.grid[g].from),
                committed: inst.grid[g].committed,
            });
        }
    }
    for (a, asset) in scenario.power_assets.iter().enumerate() {
        let built: Vec<(usize, f64)> = vars.power[a]
            .iter()
            .enumerate()
            .filter_map(|(t, v)| v.map(|v| (t, value(v))))
            .filter(|(_, mw)| *mw > TOLERANCE)
            .collect();
        if let Some(&(t0, _)) = built.first() {
            // The plan file holds one asset per id: its total, started when the first part is.
            let total: f64 = built.iter().map(|(_, mw)| mw).sum();
            edits.power.insert(
                asset.id.clone(),
                (round_to(total, 1.0), start(t0).max(asset.start_date)),
            );
        }
        for (t, mw) in built {
            plan.push(PlanRow {
                year: inst.year(t),
                kind: "power",
                id: asset.id.clone(),
                site: scenario.sites[asset.site.index()].id.clone(),
                what: asset.tech.id.clone(),
                quantity: mw,
                unit: "MW",
                usable_year: inst.year(t + inst.power[a].lag),
                committed: inst.power[a].committed.is_some(),
            });
        }
    }
    for (h, hall) in scenario.shells.iter().enumerate() {
        let mut phases = Vec::new();
        for (t, v) in vars.blocks[h].iter().enumerate() {
            let Some(v) = v else { continue };
            let blocks = value(*v).round();
            if blocks < 0.5 {
                continue;
            }
            let block = inst.halls[h].block_mw;
            for _ in 0..blocks as usize {
                phases.push((block, start(t)));
            }
            plan.push(PlanRow {
                year: inst.year(t),
                kind: "hall",
                id: hall.id.clone(),
                site: scenario.sites[hall.site.index()].id.clone(),
                what: hall.kind.id.clone(),
                quantity: blocks * block,
                unit: "MW",
                usable_year: inst.year(t + inst.halls[h].lag),
                committed: inst.halls[h].committed.is_some(),
            });
        }
        if !phases.is_empty() {
            edits.shells.insert(hall.id.clone(), phases);
        }
    }
    for (c, cl) in inst.clusters.iter().enumerate() {
        let template = &scenario.clusters[inst.cluster_index[c]];
        for (h, per) in &vars.gpus[c] {
            for (t, v) in per.iter().enumerate() {
                let mut gpus = value(*v) * GPUS_PER_UNIT;
                let committed = cl.committed.is_some_and(|(t0, _)| t0 == t) && *h == cl.hall;
                if committed {
                    gpus -= cl.committed.map_or(0.0, |(_, g)| g);
                }
                // Whole racks: GPUs are continuous in the model and rounded down here, so the plan's
                // clusters fit the halls and power the model sized.
                let rack = cl.gpus_per_rack as f64;
                let racks = (gpus / rack + 1e-6).floor();
                if racks >= 1.0 {
                    let id = format!(
                        "{}-{}-{}",
                        template.id,
                        scenario.shells[*h].id,
                        inst.year(t)
                    );
                    let id = if *h == cl.hall {
                        format!("{}-{}", template.id, inst.year(t))
                    } else {
                        id
                    };
                    edits.clusters.push(PlannedCluster {
                        template: template.id.clone(),
                        id: id.clone(),
                        shell: scenario.shells[*h].id.clone(),
                        gpus: (racks * rack) as u64,
                        order_date: start(t),
                    });
                    plan.push(PlanRow {
                        year: inst.year(t),
                        kind: "gpus",
                        id,
                        site: scenario.sites[cl.site].id.clone(),
                        what: template.accelerator.id.clone(),
                        quantity: racks * rack,
                        unit: "GPUs",
                        usable_year: inst.year(t + cl.lag),
                        committed: false,
                    });
                }
                if committed {
                    plan.push(PlanRow {
                        year: inst.year(t),
                        kind: "gpus",
                        id: template.id.clone(),
                        site: scenario.sites[cl.site].id.clone(),
                        what: template.accelerator.id.clone(),
                        quantity: cl.committed.map_or(0.0, |(_, g)| g),
                        unit: "GPUs",
                        usable_year: inst.year(t + cl.lag),
                        committed: true,
                    });
                }
            }
        }
    }
    // Working IT per period [MW], per site and in total.
    let working = |c: usize, t: usize| -> f64 {
        let cl = &inst.clusters[c];
        vars.gpus[c]
            .iter()
            .map(|(_, per)| {
                per.iter()
                    .enumerate()
                    .filter(|(tau, _)| tau + cl.lag <= t && t < tau + cl.lag + cl.life)
                    .map(|(_, v)| value(*v))
                    .sum::<f64>()
            })
            .sum::<f64>()
            * cl.kw_per_gpu
    };
    let site_it: Vec<Vec<f64>> = (0..inst.sites.len())
        .map(|s_i| {
            (0..periods)
                .map(|t| {
                    (0..inst.clusters.len())
                        .filter(|&c| inst.clusters[c].site == s_i)
                        .map(|c| working(c, t))
                        .sum()
                })
                .collect()
        })
        .collect();
    let total_it: Vec<f64> = (0..periods)
        .map(|t| site_it.iter().map(|s| s[t]).sum())
        .collect();
    let it_gw: Vec<(i32, f64)> = (0..periods)
        .map(|t| (inst.year(t), (total_it[t] / 1e3).max(0.0) + 0.0))
        .collect();
    let it_gw_end = it_gw.last().map_or(0.0, |x| x.1);
    // Shortfalls per tier and period, in GW of the fastest cluster (with its PUE-free IT power).
    let mut shortfalls = Vec::new();
    let hours = inst.hours();
    let mut short_by: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    for (j, d) in inst.demands.iter().enumerate() {
        let best = d.best_rate();
        // Shortfall is counted in GPU-hours of the fastest cluster or offer; it is built in GPUs of
        // the fastest cluster, whose GPU-hours do `best_cluster / best` as much.
        let best_cluster = d.rate.iter().copied().fold(0.0, f64::max);
        let fastest = (0..inst.clusters.len())
            .filter(|&c| d.rate[c] >= best_cluster && best_cluster > 0.0)
            .map(|c| {
                best / best_cluster * inst.clusters[c].kw_per_gpu
                    / inst.clusters[c].availability.max(1e-9)
            })
            .next()
            // No candidate its rule admits: counted in GPUs of the fastest candidate at all.
            .or((d.ungated.0 > 0.0 && best == d.ungated.0).then_some(d.ungated.1));
        for t in 0..periods {
            let counted = settings.objective == Objective::MinCost
                || settings.sovereign_tiers.contains(&d.tier);
            let short = if counted {
                value(vars.short[j][t])
            } else {
                0.0
            };
            // No eligible cluster at all: all of the demand is short.
            let (gpu_hours, kw) = match fastest {
                Some(kw) => (short * GPU_HOURS_PER_UNIT, kw),
                None if d.work[t] > 0.0 => (f64::NAN, f64::NAN),
                None => (0.0, 0.0),
            };
            // Less than 1 MW of IT is rounding, not a finding.
            if gpu_hours / hours * kw / 1e3 >= 1.0 || gpu_hours.is_nan() {
                let e = short_by.entry((d.tier, t)).or_insert((0.0, 0.0));
                e.0 += gpu_hours;
                e.1 += gpu_hours / hours * kw / 1e6;
            }
        }
    }
    let mut tier_served_gpu_hours = vec![0.0; inst.tiers.len()];
    for (j, d) in inst.demands.iter().enumerate() {
        let best = d.best_rate();
        let counted =
            settings.objective == Objective::MinCost || settings.sovereign_tiers.contains(&d.tier);
        if best <= 0.0 || !counted {
            continue;
        }
        for t in 0..periods {
            let asked = d.work[t] / best;
            let short = value(vars.short[j][t]) * GPU_HOURS_PER_UNIT;
            tier_served_gpu_hours[d.tier] += (asked - short).max(0.0);
        }
    }
    for (&(tier, t), &(gh, gw)) in &short_by {
        shortfalls.push(Shortfall {
            tier: inst.tiers[tier].clone(),
            year: inst.year(t),
            gpu_hours: gh,
            it_gw: gw,
        });
    }
    let mut per_year: BTreeMap<i32, f64> = BTreeMap::new();
    for sf in &shortfalls {
        *per_year.entry(sf.year).or_default() += if sf.it_gw.is_nan() { 0.0 } else { sf.it_gw };
    }
    let shortfall_gw_max = per_year.values().copied().fold(0.0, f64::max);
    let over_budget: Vec<(i32, f64)> = vars
        .over_budget
        .iter()
        .enumerate()
        .map(|(t, v)| (inst.year(t), value(*v) * EUR_PER_UNIT))
        .filter(|(_, v)| *v > 1.0)
        .collect();
    let over_carbon: Vec<(i32, f64)> = vars
        .over_carbon
        .iter()
        .enumerate()
        .map(|(t, v)| (inst.year(t), value(*v)))
        .filter(|(_, v)| *v > 1e-3)
        .collect();
    let explanation = explain(
        inst,
        s,
        vars,
        &shortfalls,
        &over_budget,
        &over_carbon,
        &site_it,
    );
    let milestones = milestones(scenario, inst, vars, s, &site_it, &total_it);
    let mut rented = Vec::new();
    for (o, offer) in scenario.cloud_offers.iter().enumerate() {
        for t in 0..periods {
            let hours_rented: f64 = vars
                .rent
                .iter()
                .flat_map(|per| per.iter().filter(|(k, _)| *k == o))
                .map(|(_, v)| value(v[t]) * GPU_HOURS_PER_UNIT)
                .sum();
            if hours_rented > 1.0 {
                rented.push(Rented {
                    offer: offer.id.clone(),
                    year: inst.year(t),
                    gpu_hours: hours_rented,
                    eur: hours_rented * inst.offers[o].price_eur_per_gpu_hour[t],
                    gpus: hours_rented / hours,
                });
            }
        }
    }
    let npv_cost_eur = if settings.objective == Objective::MinCost {
        parts
            .iter()
            .filter(|p| !p.name.starts_with("penalty"))
            .map(|p| p.value)
            .sum()
    } else {
        f64::NAN
    };
    Outcome {
        objective,
        parts,
        npv_cost_eur,
        status: s.status,
        plan,
        edits,
        it_gw,
        it_gw_end,
        rented,
        shortfalls,
        tier_served_gpu_hours,
        shortfall_gw_max,
        over_budget,
        over_carbon,
        explanation,
        milestones,
        shadow_prices: Vec::new(),
        size: Size::default(),
        build_s: 0.0,
        solve_s: 0.0,
    }
}

/// "2.31 GW" or "420 MW".
fn power_gw(gw: f64) -> String {
    if gw >= 1.0 {
        format!("{gw:.2} GW")
    } else {
        format!("{:.0} MW", gw * 1e3)
    }
}

fn round_to(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

fn joined(items: &BTreeSet<String>) -> String {
    let v: Vec<&str> = items.iter().map(String::as_str).collect();
    match v.len() {
        0 => String::new(),
        1 => v[0].to_owned(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

/// The missed targets in words, with the limits that bind where the short tier could be served.
#[allow(clippy::too_many_arguments)]
fn explain(
    inst: &Instance,
    s: &Solved,
    vars: &Vars,
    shortfalls: &[Shortfall],
    over_budget: &[(i32, f64)],
    over_carbon: &[(i32, f64)],
    site_it: &[Vec<f64>],
) -> Vec<String> {
    let value = |v: good_lp::Variable| s.value(v);
    let mut lines = Vec::new();
    for sf in shortfalls {
        let tier = inst.tiers.iter().position(|t| *t == sf.tier).unwrap_or(0);
        let t = (0..inst.periods)
            .find(|&t| inst.year(t) == sf.year)
            .unwrap_or(0);
        let mut limits: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        let eligible_sites: BTreeSet<usize> = inst
            .demands
            .iter()
            .filter(|d| d.tier == tier)
            .flat_map(|d| (0..inst.clusters.len()).filter(move |&c| d.rate[c] > 0.0))
            .map(|c| inst.clusters[c].site)
            .collect();
        if eligible_sites.is_empty() {
            lines.push(format!(
                "short all `{}` demand in {}: no candidate cluster qualifies for the tier (see `sovsim validate` for each clause that fails)",
                sf.tier, sf.year
            ));
            continue;
        }
        for &si in &eligible_sites {
            let site = &inst.sites[si];
            let country = site.country.clone();
            if t < site.ready {
                limits
                    .entry("land and permits")
                    .or_default()
                    .insert(country.clone());
                continue;
            }
            for (g, grid) in inst.grid.iter().enumerate().filter(|(_, g)| g.site == si) {
                if t < grid.from {
                    limits
                        .entry("grid queues")
                        .or_default()
                        .insert(country.clone());
                } else if value(vars.grid[g]) >= grid.cap_mw - 1e-6 {
                    limits
                        .entry("grid connections")
                        .or_default()
                        .insert(country.clone());
                }
            }
            for (a, p) in inst.power.iter().enumerate().filter(|(_, p)| p.site == si) {
                let built: f64 = vars.power[a].iter().flatten().map(|v| value(*v)).sum();
                if built >= p.cap_mw - 1e-6 {
                    limits
                        .entry("on-site power")
                        .or_default()
                        .insert(country.clone());
                } else if t < p.earliest + p.lag {
                    limits
                        .entry("power build times")
                        .or_default()
                        .insert(country.clone());
                }
            }
            if site_it[si][t] >= site.max_it_mw - 1e-3 {
                limits
                    .entry("site IT limits")
                    .or_default()
                    .insert(country.clone());
            }
            for hall in inst.halls.iter().filter(|h| h.site == si) {
                if t < site.ready + hall.lag {
                    limits
                        .entry("hall construction")
                        .or_default()
                        .insert(country.clone());
                }
            }
            let gpu_lag = inst
                .clusters
                .iter()
                .filter(|c| c.site == si)
                .map(|c| c.lag)
                .min()
                .unwrap_or(0);
            if t < gpu_lag {
                limits
                    .entry("GPU lead times")
                    .or_default()
                    .insert(country.clone());
            }
        }
        // The budget rows exist only when a budget is set; it then limits every year's builds.
        if !vars.over_budget.is_empty() {
            limits.entry("the capex budget").or_default();
        }
        let what = if sf.it_gw.is_nan() {
            format!("short `{}` demand in {}", sf.tier, sf.year)
        } else {
            format!(
                "short {} of `{}` capacity in {}",
                power_gw(sf.it_gw),
                sf.tier,
                sf.year
            )
        };
        let binding: Vec<String> = limits
            .iter()
            .map(|(kind, places)| {
                if places.is_empty() {
                    (*kind).to_owned()
                } else {
                    format!("{kind} in {}", joined(places))
                }
            })
            .collect();
        lines.push(if binding.is_empty() {
            format!("{what}; serving it would cost more than the shortfall penalty")
        } else {
            format!("{what}; the binding limits are {}", binding.join("; "))
        });
    }
    for (year, eur) in over_budget {
        lines.push(format!(
            "over the capex budget by €{:.2}bn in {year}: committed or indispensable spending exceeds it",
            eur / 1e9
        ));
    }
    for (year, t) in over_carbon {
        lines.push(format!(
            "over the carbon cap by {:.3} MtCO₂ in {year}",
            t / 1e6
        ));
    }
    lines
}

fn milestones(
    scenario: &Scenario,
    inst: &Instance,
    vars: &Vars,
    s: &Solved,
    site_it: &[Vec<f64>],
    total_it: &[f64],
) -> Vec<Milestone> {
    let mut out = Vec::new();
    let value = |v: good_lp::Variable| s.value(v);
    let start = inst.start;
    let at_month = |m: f64| start.add_months(m.ceil() as i32);
    let first = |series: &[f64], above: f64| (0..series.len()).find(|&t| series[t] > above);
    if let Some(t) = first(total_it, 1e-6) {
        out.push(Milestone {
            site: None,
            name: "first_gpu".to_owned(),
            date: inst.period_start(t),
        });
    }
    let peak = total_it.iter().copied().fold(0.0, f64::max);
    for g in 1..=(peak / 1e3 + 1e-9).floor() as usize {
        if let Some(t) = first(total_it, g as f64 * 1e3 - 1e-6) {
            out.push(Milestone {
                site: None,
                name: format!("gw_{g}"),
                date: inst.period_start(t),
            });
        }
    }
    if let Some(t) = first(total_it, peak - 1e-3).filter(|_| peak > 0.0) {
        out.push(Milestone {
            site: None,
            name: "full_capacity".to_owned(),
            date: inst.period_start(t),
        });
    }
    for (si, site) in scenario.sites.iter().enumerate() {
        if value(vars.acquire[si]) < 0.5 {
            continue;
        }
        let id = Some(site.id.clone());
        out.push(Milestone {
            site: id.clone(),
            name: "permit".to_owned(),
            date: at_month(inst.sites[si].ready_months),
        });
        if let Some(g) = (0..inst.grid.len())
            .filter(|&g| inst.grid[g].site == si && value(vars.grid[g]) > TOLERANCE)
            .min_by(|&a, &b| inst.grid[a].months.total_cmp(&inst.grid[b].months))
        {
            out.push(Milestone {
                site: id.clone(),
                name: "grid".to_owned(),
                date: at_month(inst.grid[g].months),
            });
        }
        if let Some(t) = first(&site_it[si], 1e-6) {
            out.push(Milestone {
                site: id.clone(),
                name: "first_gpu".to_owned(),
                date: inst.period_start(t),
            });
        }
        let peak = site_it[si].iter().copied().fold(0.0, f64::max);
        if let Some(t) = first(&site_it[si], peak - 1e-3).filter(|_| peak > 0.0) {
            out.push(Milestone {
                site: id,
                name: "full_capacity".to_owned(),
                date: inst.period_start(t),
            });
        }
    }
    out
}

/// The id of what a row concerns (a site, connection, asset, hall, cluster, demand or tier), or
/// nothing for rows of the whole region.
pub(crate) fn row_entity(scenario: &Scenario, inst: &Instance, r: &Row) -> String {
    r.entity.map_or(String::new(), |e| match r.family {
        Family::SiteIt | Family::Land | Family::SitePower => scenario.sites[e].id.clone(),
        Family::GridCap => scenario.grid_connections[e].id.clone(),
        Family::PowerCap => scenario.power_assets[e].id.clone(),
        Family::HallCap | Family::HallIt => scenario.shells[e].id.clone(),
        Family::SourceEnergy => {
            if e < inst.grid.len() {
                scenario.grid_connections[e].id.clone()
            } else {
                scenario.power_assets[e - inst.grid.len()].id.clone()
            }
        }
        Family::GpuHours => scenario.clusters[inst.cluster_index[e]].id.clone(),
        Family::Demand => inst.demands[e].id.clone(),
        Family::SovereignShare => inst.tiers[e].clone(),
        Family::OfferCap => scenario.cloud_offers[e].id.clone(),
        _ => String::new(),
    })
}

/// Shadow prices of the binding limits (non-zero duals of the LP with integers fixed).
pub(crate) fn shadow_prices(
    scenario: &Scenario,
    inst: &Instance,
    rows: &[Row],
    duals: &[f64],
) -> Vec<ShadowPrice> {
    let mut out = Vec::new();
    for (r, &d) in rows.iter().zip(duals) {
        if d.abs() < 1e-9 || r.family == Family::Committed || r.family == Family::EnergyBalance {
            continue;
        }
        let entity = row_entity(scenario, inst, r);
        let (unit, factor) = r.family.unit();
        out.push(ShadowPrice {
            family: r.family.name(),
            entity,
            year: r.period.map(|t| inst.year(t)),
            value: d.abs() * factor,
            unit,
        });
    }
    out
}
