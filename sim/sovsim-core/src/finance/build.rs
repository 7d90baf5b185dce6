//! The financial model's inputs from one simulated replication: capex on the simulated schedule,
//! revenue from dispatched GPU-hours and tokens, opex from simulated energy and capacity.
//!
//! Rules:
//! - Capex: land when acquired; plants and hall phases evenly over their construction (spending
//!   after the horizon is not counted); GPUs when delivered, at the prices the model holds in EUR.
//! - Revenue, month by month. **Contracts**, in file order, claim the operational GPU-hours of their
//!   clusters (each in proportion to the hours it has free) up to their volume (ramped) while their
//!   term runs; the
//!   term starts on its date, or in the month the first contracted GPU is energised. A contract is
//!   paid its take-or-pay share of the GPU-hours it claimed whether used or not, and the rest as
//!   used, at its own price (escalated yearly from its start): dispatch's use of a cluster serves
//!   its contracts first. Prepayments arrive at signing and are credited against invoices at the
//!   prepaid share. **Merchant** GPU-hours (used, under no contract) earn the market price of their
//!   generation — the SKU's price when new, falling by the decline rate with the generation's age
//!   from its release (or from the start for one released earlier) — or, when the scenario prices
//!   tokens, training at that price and inference at the token price (falling from the start).
//!   Retired GPUs resell at the cluster's resale curve for their years in service.
//! - Opex: energy of each source of each site at its price (grid: the capacity-weighted price of the
//!   site's connections; plants: their energy price, else their catalog variable O&M); fixed O&M of
//!   commissioned plants at the catalog's % of capex; maintenance and insurance at the scenario's % of
//!   capex in service (maintenance on halls and GPUs, insurance on everything but land); staff per MW
//!   of completed hall IT; network per installed GPU.

use super::{CapexLine, Class, Inputs};
use crate::dispatch::Outcome;
use crate::engine::buildout::{Asset, Produced};
use crate::engine::random::Stream;
use crate::engine::sample::FactorDraws;
use crate::engine::time::{HOURS_PER_MONTH, SimTime};
use crate::model::{Contract, ContractStart, Finance, Scenario};

/// The uncertain prices of one replication, drawn once.
#[derive(Clone, Debug, PartialEq)]
pub struct Prices {
    /// Per SKU: market price of a GPU-hour when its generation is new [EUR].
    pub gpu_hour_eur: Vec<f64>,
    /// Per grid connection [EUR/MWh].
    pub grid_eur_per_mwh: Vec<f64>,
    /// Per power asset: energy price, if stated [EUR/MWh].
    pub power_eur_per_mwh: Vec<Option<f64>>,
    /// Per million tokens, if priced [EUR].
    pub token_eur_per_mtok: Option<f64>,
}

/// Draws the prices of replication `replication`: on the same risk factors as the engine (the same
/// copula stream), so that e.g. GPU rents move with GPU supply; each price has its own stream.
pub fn draw_prices(scenario: &Scenario, replication: u64) -> Option<Prices> {
    let f = scenario.finance.as_ref()?;
    let seed = scenario.meta.seed;
    let factors = FactorDraws::draw(
        scenario.uncertainty.factors.len(),
        scenario.uncertainty.cholesky.as_ref(),
        &mut Stream::new(seed, replication, "copula", "factors"),
    );
    let draw = |entity: &str, u: &crate::model::Uncertain| {
        factors.sample(u, &mut Stream::new(seed, replication, "price", entity))
    };
    // One draw per SKU, shared by its clusters: a market price.
    Some(Prices {
        gpu_hour_eur: scenario
            .skus
            .iter()
            .zip(&f.gpu_hour_price_eur)
            .map(|(sku, u)| draw(&format!("gpu-hour:{sku}"), u))
            .collect(),
        grid_eur_per_mwh: scenario
            .grid_connections
            .iter()
            .map(|g| draw(&g.id, &g.price_eur_per_mwh))
            .collect(),
        power_eur_per_mwh: scenario
            .power_assets
            .iter()
            .map(|a| a.energy_price_eur_per_mwh.as_ref().map(|u| draw(&a.id, u)))
            .collect(),
        token_eur_per_mtok: f
            .token_price_eur_per_mtok
            .as_ref()
            .map(|u| draw("tokens", u)),
    })
}

/// Capex of one asset [EUR], its class and book life.
fn cost(scenario: &Scenario, f: &Finance, asset: Asset) -> (f64, Class, Option<f64>) {
    match asset {
        Asset::Land(s) => (scenario.sites[s.index()].land_cost.0, Class::Land, None),
        Asset::Power(a) => {
            let a = &scenario.power_assets[a.index()];
            let per_kw = a.capex_eur_per_kw.unwrap_or(0.0);
            (
                per_kw * a.capacity.0 * 1000.0,
                Class::Power,
                a.tech.life_years,
            )
        }
        Asset::ShellPhase(h, p) => {
            let hall = &scenario.shells[h.index()];
            (
                hall.capex_eur_per_mw.unwrap_or(0.0) * hall.phases[p].it.0,
                Class::Shell,
                Some(f.shell_depreciation_years),
            )
        }
        Asset::Gpus(c, gpus) => {
            let cluster = &scenario.clusters[c.index()];
            let class = if cluster.refresh_of.is_some() {
                Class::GpuRefresh
            } else if cluster.reinvested_by.is_some() {
                Class::GpuReinvested
            } else {
                Class::Gpus
            };
            (
                cluster.price_eur_per_gpu.unwrap_or(0.0) * gpus as f64,
                class,
                Some(f.gpu_depreciation_years),
            )
        }
    }
}

/// The inputs of the financial model for one replication and its dispatch under the scenario's
/// policy, the whole programme's; `None` without a finance section.
pub fn inputs<'r>(
    scenario: &Scenario,
    rep: impl Into<Produced<'r>>,
    outcome: &Outcome,
    prices: &Prices,
) -> Option<Inputs> {
    inputs_by_site(scenario, rep, outcome, prices).map(|sites| Inputs::sum(&sites))
}

/// The site of an asset.
fn site_of(scenario: &Scenario, asset: Asset) -> usize {
    match asset {
        Asset::Land(s) => s.index(),
        Asset::Power(a) => scenario.power_assets[a.index()].site.index(),
        Asset::ShellPhase(h, _) => scenario.shells[h.index()].site.index(),
        Asset::Gpus(c, _) => scenario.clusters[c.index()].site.index(),
    }
}

/// The inputs of the financial model, one set per site (in scenario order): each site's capex,
/// opex and the revenue of its clusters — the cash flows of a phase financed on its own. A
/// contract's prepayment is shared between its clusters' sites by their GPUs. `rep` may be what a
/// replication produced so far, with `outcome` dispatched as far: each period then holds what the
/// finished replication's would, up to the last month dispatched.
pub fn inputs_by_site<'r>(
    scenario: &Scenario,
    rep: impl Into<Produced<'r>>,
    outcome: &Outcome,
    prices: &Prices,
) -> Option<Vec<Inputs>> {
    let rep: Produced = rep.into();
    let f = scenario.finance.as_ref()?;
    let pm = scenario.meta.period_months as usize;
    let months = outcome.months.len();
    let n = months.div_ceil(pm);
    let sites = scenario.sites.len();
    let mut outs = vec![Inputs::zeros(n, pm as u32); sites];
    let site_of_cluster: Vec<usize> = scenario.clusters.iter().map(|c| c.site.index()).collect();
    let boundary = |m: usize| SimTime::ZERO.after_months(m as f64).0 as f64;
    let period_hours: Vec<(f64, f64)> = (0..n)
        .map(|p| (boundary(p * pm), boundary(((p + 1) * pm).min(months))))
        .collect();
    let horizon = boundary(months);

    // Capex, and what is in service (for O&M, maintenance and insurance), per site and period.
    let mut in_service_plants = vec![vec![0.0; n]; sites]; // capex × fixed O&M rate per year
    let mut in_service_maintained = vec![vec![0.0; n]; sites];
    let mut in_service_insured = vec![vec![0.0; n]; sites];
    for outlay in rep.outlays {
        let (amount, class, life) = cost(scenario, f, outlay.asset);
        if amount == 0.0 {
            continue;
        }
        let s = site_of(scenario, outlay.asset);
        let out = &mut outs[s];
        let line = match out
            .capex
            .iter()
            .position(|l| l.class == class && l.life_years == life)
        {
            Some(i) => i,
            None => {
                out.capex.push(CapexLine {
                    class,
                    life_years: life,
                    eur: vec![0.0; n],
                });
                out.capex.len() - 1
            }
        };
        let (a, b) = (outlay.start.0 as f64, outlay.end.0 as f64);
        for (p, &(lo, hi)) in period_hours.iter().enumerate() {
            let share = if b > a {
                ((b.min(hi) - a.max(lo)) / (b - a)).max(0.0)
            } else if a >= lo && (a < hi || (p == n - 1 && a <= hi)) && a < horizon {
                1.0
            } else {
                0.0
            };
            out.capex[line].eur[p] += amount * share;
        }
        // In service from completion until the horizon (GPUs retire: taken off below).
        let om = match outlay.asset {
            Asset::Power(a) => {
                scenario.power_assets[a.index()]
                    .tech
                    .fixed_om_pct_per_year
                    .unwrap_or(0.0)
                    / 100.0
            }
            _ => 0.0,
        };
        for (p, &(lo, hi)) in period_hours.iter().enumerate() {
            let share = ((hi - b.max(lo)) / (hi - lo)).clamp(0.0, 1.0);
            in_service_plants[s][p] += amount * om * share;
            if matches!(
                class,
                Class::Shell | Class::Gpus | Class::GpuRefresh | Class::GpuReinvested
            ) {
                in_service_maintained[s][p] += amount * share;
            }
            if class != Class::Land {
                in_service_insured[s][p] += amount * share;
            }
        }
    }
    for &(t, c, gpus) in rep.retirements {
        let cluster = &scenario.clusters[c.index()];
        let s = site_of_cluster[c.index()];
        let value = cluster.price_eur_per_gpu.unwrap_or(0.0) * gpus as f64;
        let t = t.0 as f64;
        for (p, &(lo, hi)) in period_hours.iter().enumerate() {
            let share = ((hi - t.max(lo)) / (hi - lo)).clamp(0.0, 1.0);
            in_service_maintained[s][p] -= value * share;
            in_service_insured[s][p] -= value * share;
            if t >= lo && t < hi {
                // GPUs retire at the end of their useful life: that is their age when sold.
                outs[s].revenue_resale_eur[p] +=
                    value * cluster.resale.fraction_at(cluster.useful_life_years);
            }
        }
    }
    let years = pm as f64 / 12.0;
    for (s, out) in outs.iter_mut().enumerate() {
        for p in 0..n {
            out.opex_power_om_eur[p] = in_service_plants[s][p] * years;
            out.opex_maintenance_eur[p] =
                in_service_maintained[s][p].max(0.0) * f.maintenance_per_year * years;
            out.opex_insurance_eur[p] =
                in_service_insured[s][p].max(0.0) * f.insurance_per_year * years;
        }
    }

    // Energy prices per site and source (as the engine's layout).
    let layout = crate::engine::buildout::Layout::of(scenario);
    let mut source_price = vec![vec![0.0; layout.sources.len()]; sites];
    let mut weight = vec![vec![0.0; layout.sources.len()]; sites];
    for (g, conn) in scenario.grid_connections.iter().enumerate() {
        let s = conn.site.index();
        source_price[s][0] += prices.grid_eur_per_mwh[g] * conn.capacity.0;
        weight[s][0] += conn.capacity.0;
    }
    for (a, asset) in scenario.power_assets.iter().enumerate() {
        let s = asset.site.index();
        let k = layout
            .sources
            .iter()
            .position(|x| *x == asset.tech.id)
            .unwrap_or(0);
        let per_mwh = prices.power_eur_per_mwh[a]
            .unwrap_or_else(|| asset.variable_om_eur_per_mwh.unwrap_or(0.0));
        source_price[s][k] += per_mwh * asset.capacity.0;
        weight[s][k] += asset.capacity.0;
    }
    for (prices, weights) in source_price.iter_mut().zip(&weight) {
        for (p, w) in prices.iter_mut().zip(weights) {
            if *w > 0.0 {
                *p /= w;
            }
        }
    }

    // Month by month: energy, staff, network, revenue, hours.
    let contracts = Contracts::new(scenario, f, &rep, months);
    for (c, cluster) in scenario.clusters.iter().enumerate() {
        if cluster.planned() {
            outs[site_of_cluster[c]].initial_gpus += cluster.gpus as f64;
        }
    }
    for out in &mut outs {
        out.revenue_by_contract_eur = vec![vec![0.0; n]; f.contracts.len()];
        out.gpu_hours_by_contract = vec![vec![0.0; n]; f.contracts.len()];
        out.gpu_hours_by_cluster = vec![vec![0.0; n]; scenario.clusters.len()];
        out.revenue_merchant_by_sku_eur = vec![vec![0.0; n]; scenario.skus.len()];
        out.prepayment_received_by_contract_eur = vec![vec![0.0; n]; f.contracts.len()];
        out.prepayment_applied_by_contract_eur = vec![vec![0.0; n]; f.contracts.len()];
    }
    // Per contract and site: the share of its prepayment the site receives (by the GPUs of its
    // clusters), and what is left to credit.
    let mut prepaid_left: Vec<Vec<f64>> = Vec::new();
    for (k, c) in f.contracts.iter().enumerate() {
        let mut shares = vec![0.0; sites];
        let total: f64 = c
            .clusters
            .iter()
            .map(|cl| scenario.clusters[cl.index()].gpus as f64)
            .sum();
        for cl in &c.clusters {
            shares[site_of_cluster[cl.index()]] +=
                scenario.clusters[cl.index()].gpus as f64 / total.max(1.0);
        }
        let signed = SimTime::from_date(c.signed, scenario.meta.start_date).months();
        let p = ((signed.max(0.0) as usize).min(months.saturating_sub(1))) / pm;
        let value = c.prepayment * contract_value_eur(c);
        for (s, share) in shares.iter_mut().enumerate() {
            *share *= value;
            outs[s].prepayment_received_eur[p] += *share;
            outs[s].prepayment_received_by_contract_eur[k][p] += *share;
        }
        prepaid_left.push(shares);
    }
    let mut claimed = vec![0.0; scenario.clusters.len()];
    let mut billed: Vec<Vec<(usize, f64)>> = vec![Vec::new(); f.contracts.len()];
    let mut working = vec![0.0; sites];
    for m in 0..months {
        let p = m / pm;
        let month_years = 1.0 / 12.0;
        let (before, after) = (&rep.monthly[m], &rep.monthly[m + 1]);
        for (s, out) in outs.iter_mut().enumerate() {
            for (k, price) in source_price[s].iter().enumerate() {
                let mwh = after[s].energy_mwh_by_source[k] - before[s].energy_mwh_by_source[k];
                out.opex_energy_eur[p] += mwh * price;
            }
            let it_mw = 0.5 * (before[s].shell_it_mw + after[s].shell_it_mw);
            let gpus = 0.5 * (before[s].gpus_installed + after[s].gpus_installed) as f64;
            out.opex_staff_eur[p] += it_mw * f.staff_eur_per_mw_year * month_years;
            out.opex_network_eur[p] += gpus * f.network_eur_per_gpu_year * month_years;
        }
        let operational: Vec<f64> = (0..scenario.clusters.len())
            .map(|c| {
                (rep.operational_gpu_hours[m + 1][c] - rep.operational_gpu_hours[m][c]).max(0.0)
            })
            .collect();
        // Contracts claim capacity in file order.
        claimed.iter_mut().for_each(|x| *x = 0.0);
        let hours = boundary(m + 1) - boundary(m);
        for (k, c) in f.contracts.iter().enumerate() {
            billed[k].clear();
            // A contract over several clusters bills each in proportion to the GPU-hours it has
            // free: a framework contract is served by every site it names, not the first ones.
            let volume = contracts.gpus_billable(k, m) * hours;
            let free: f64 = c
                .clusters
                .iter()
                .map(|cl| (operational[cl.index()] - claimed[cl.index()]).max(0.0))
                .sum();
            if volume <= 0.0 || free <= 0.0 {
                continue;
            }
            let share = (volume / free).min(1.0);
            for &cl in &c.clusters {
                let i = cl.index();
                let take = (operational[i] - claimed[i]).max(0.0) * share;
                if take > 0.0 {
                    billed[k].push((i, take));
                    claimed[i] += take;
                }
            }
        }
        for (k, c) in f.contracts.iter().enumerate() {
            let price = contracts.price_eur(k, m);
            for &(i, hours) in &billed[k] {
                // Dispatch's use of a cluster serves its contracts first, pro rata of their claims.
                let used_share = outcome.billable_gpu_hours(m, i).min(claimed[i]) / claimed[i];
                let revenue = price * hours * (c.take_or_pay + (1.0 - c.take_or_pay) * used_share);
                let s = site_of_cluster[i];
                let out = &mut outs[s];
                out.contracted_gpu_hours[p] += hours;
                out.gpu_hours_by_contract[k][p] += hours;
                out.revenue_by_contract_eur[k][p] += revenue;
                out.revenue_contracted_eur[p] += revenue;
                let applied = (c.prepayment * revenue).min(prepaid_left[k][s]);
                prepaid_left[k][s] -= applied;
                out.prepayment_applied_eur[p] += applied;
                out.prepayment_applied_by_contract_eur[k][p] += applied;
            }
        }
        let mid_years = (m as f64 + 0.5) / 12.0;
        let token_decline = (1.0 - f.price_decline_per_year).powf(mid_years);
        // One market price per generation this month, shared by its clusters.
        let sku_price: Vec<f64> = (0..scenario.skus.len())
            .map(|k| market_price_eur(f, prices, k, mid_years))
            .collect();
        working.iter_mut().for_each(|w| *w = 0.0);
        for (c, cluster) in scenario.clusters.iter().enumerate() {
            let out = &mut outs[site_of_cluster[c]];
            // Screening GPU-hours are the provider's cost, not a customer's purchase.
            let used = outcome.billable_gpu_hours(m, c);
            let training = outcome.training_gpu_hours[m][c];
            let tokens = outcome.tokens[m][c];
            let merchant = used - used.min(claimed[c]);
            let sku = cluster.sku.index();
            let price = sku_price[sku];
            let merchant_revenue = match prices.token_eur_per_mtok {
                Some(per_mtok) if used > 0.0 => {
                    let share = merchant / used;
                    let sold = share * tokens * per_mtok * token_decline / 1e6;
                    out.revenue_tokens_eur[p] += sold;
                    out.revenue_inference_eur[p] += sold;
                    share * training * price
                }
                Some(_) => 0.0,
                None => {
                    if used > 0.0 {
                        // Merchant hours serve training and inference pro rata.
                        out.revenue_inference_eur[p] += merchant * (used - training) / used * price;
                    }
                    merchant * price
                }
            };
            out.revenue_merchant_eur[p] += merchant_revenue;
            out.revenue_merchant_by_sku_eur[sku][p] += merchant_revenue;
            out.merchant_gpu_hours[p] += merchant;
            out.gpu_hours[p] += operational[c];
            out.gpu_hours_by_cluster[c][p] += operational[c];
            out.market_value_eur[p] += operational[c] * price;
            out.inference_gpu_hours[p] += used - training;
            out.tokens[p] += tokens;
            if cluster.planned() {
                working[site_of_cluster[c]] += operational[c] / hours;
            }
        }
        // Completion: the share of the initial build's GPUs working, read in each period's last month.
        if (m + 1) % pm == 0 || m + 1 == months {
            for (out, w) in outs.iter_mut().zip(&working) {
                if out.initial_gpus > 0.0 {
                    out.completion[p] = w / out.initial_gpus;
                }
            }
        }
    }
    Some(outs)
}

/// Per month of a `months`-month horizon, per SKU: the market price of a GPU-hour mid-month [EUR];
/// `None` without a finance section.
pub fn gpu_hour_prices_eur(
    scenario: &Scenario,
    prices: &Prices,
    months: usize,
) -> Option<Vec<Vec<f64>>> {
    let f = scenario.finance.as_ref()?;
    Some(
        (0..months)
            .map(|m| {
                let mid_years = (m as f64 + 0.5) / 12.0;
                (0..scenario.skus.len())
                    .map(|k| market_price_eur(f, prices, k, mid_years))
                    .collect()
            })
            .collect(),
    )
}

/// Per month of a `months`-month horizon: the price of a million output tokens mid-month [EUR],
/// declining as GPU-hours do; `None` without a finance section or a token price.
pub fn token_prices_eur_per_mtok(
    scenario: &Scenario,
    prices: &Prices,
    months: usize,
) -> Option<Vec<f64>> {
    let f = scenario.finance.as_ref()?;
    let per_mtok = prices.token_eur_per_mtok?;
    Some(
        (0..months)
            .map(|m| {
                let mid_years = (m as f64 + 0.5) / 12.0;
                per_mtok * (1.0 - f.price_decline_per_year).powf(mid_years)
            })
            .collect(),
    )
}

/// The market price of a GPU-hour of SKU `sku` at `years` from the start [EUR]: its price when
/// new, declining with the generation's age from its release (or the start).
pub fn market_price_eur(f: &Finance, prices: &Prices, sku: usize, years: f64) -> f64 {
    aged_price_eur(f, prices.gpu_hour_eur[sku], sku, years)
}

/// A GPU-hour of SKU `sku` priced `new_eur` when new, `years` from the start: declined with the
/// generation's age from its release (or the start) [EUR].
pub fn aged_price_eur(f: &Finance, new_eur: f64, sku: usize, years: f64) -> f64 {
    let age = (years - f.price_anchor_years.get(sku).copied().unwrap_or(0.0)).max(0.0);
    new_eur * (1.0 - f.price_decline_per_year).powf(age)
}

/// The contracts of one replication: when each term starts and how many GPUs it bills each month.
/// A contract starting on a date bills its volume for its term from that date. One starting
/// "energised" is a framework of cohorts: each contracted GPU's term starts when it is first
/// energised, as GPU deals bill per delivered phase, so a contract over clusters energised years
/// apart is not cut short for the later ones.
struct Contracts<'a> {
    finance: &'a Finance,
    /// Per contract: month (from the start, fractional) its first term starts; infinite if never.
    start_month: Vec<f64>,
    /// Per contract and month: GPUs billable (before ramp and capacity limits).
    active_gpus: Vec<Vec<f64>>,
}

impl<'a> Contracts<'a> {
    fn new(scenario: &Scenario, f: &'a Finance, rep: &Produced, months: usize) -> Self {
        let boundary = |m: usize| SimTime::ZERO.after_months(m as f64).0 as f64;
        let mut start_month = Vec::new();
        let mut active_gpus = Vec::new();
        for c in &f.contracts {
            let term = c.term_years * 12.0;
            match c.start {
                ContractStart::On(date) => {
                    let s = SimTime::from_date(date, scenario.meta.start_date).months();
                    start_month.push(s);
                    active_gpus.push(
                        (0..months)
                            .map(|m| {
                                let (lo, hi) = (m as f64, m as f64 + 1.0);
                                c.gpus as f64 * (hi.min(s + term) - lo.max(s)).clamp(0.0, 1.0)
                            })
                            .collect(),
                    );
                }
                ContractStart::Energised => {
                    // Contracted GPUs delivered by the end of each month: the most ever operational
                    // at once (a repair is not a new delivery), up to the volume.
                    let mut delivered = vec![0.0; months + 1];
                    let mut most: f64 = 0.0;
                    for m in 0..months {
                        let hours = boundary(m + 1) - boundary(m);
                        let operational: f64 = c
                            .clusters
                            .iter()
                            .map(|cl| {
                                rep.operational_gpu_hours[m + 1][cl.index()]
                                    - rep.operational_gpu_hours[m][cl.index()]
                            })
                            .sum::<f64>()
                            / hours;
                        most = most.max(operational);
                        delivered[m + 1] = most.min(c.gpus as f64);
                    }
                    // Delivered by month `x` (fractional: linear within a month).
                    let at = |x: f64| -> f64 {
                        if x <= 0.0 {
                            return 0.0;
                        }
                        let i = (x.floor() as usize).min(months);
                        let next = delivered[(i + 1).min(months)];
                        delivered[i] + (next - delivered[i]) * (x - i as f64)
                    };
                    start_month.push(
                        (0..months)
                            .find(|&m| delivered[m + 1] > 0.0)
                            .map_or(f64::INFINITY, |m| m as f64),
                    );
                    // In service during month m: delivered by its end, less cohorts whose term ended.
                    active_gpus.push(
                        (0..months)
                            .map(|m| (at(m as f64 + 1.0) - at(m as f64 + 1.0 - term)).max(0.0))
                            .collect(),
                    );
                }
            }
        }
        Contracts {
            finance: f,
            start_month,
            active_gpus,
        }
    }

    /// GPUs contract `k` bills in month `m` (before capacity limits): its GPUs in term, ramped.
    fn gpus_billable(&self, k: usize, m: usize) -> f64 {
        let c = &self.finance.contracts[k];
        self.active_gpus[k][m] * ramp(c, m as f64 + 0.5 - self.start_month[k])
    }

    /// Price of a GPU-hour of contract `k` in month `m` [EUR], escalated each contract year.
    fn price_eur(&self, k: usize, m: usize) -> f64 {
        let c = &self.finance.contracts[k];
        let years = ((m as f64 + 0.5 - self.start_month[k]) / 12.0).max(0.0);
        c.price_eur_per_gpu_hour * (1.0 + c.escalation_per_year).powf(years.floor())
    }
}

/// Share of the contracted volume billable `months_in` months into the term.
fn ramp(c: &Contract, months_in: f64) -> f64 {
    if c.ramp_months > 0.0 {
        (months_in / c.ramp_months).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// A contract's value as signed [EUR]: its volume (ramped) over its whole term at its escalating
/// price, month by month — the base of its prepayment.
pub fn contract_value_eur(c: &Contract) -> f64 {
    let months = c.term_years * 12.0;
    (0..months.ceil() as usize)
        .map(|j| {
            let covered = (months - j as f64).min(1.0);
            let price =
                c.price_eur_per_gpu_hour * (1.0 + c.escalation_per_year).powf((j / 12) as f64);
            c.gpus as f64 * covered * ramp(c, j as f64 + 0.5) * HOURS_PER_MONTH * price
        })
        .sum()
}
