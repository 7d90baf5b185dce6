//! The financial model's inputs from one simulated replication: capex on the simulated schedule,
//! revenue from dispatched GPU-hours and tokens, opex from simulated energy and capacity.
//!
//! Rules:
//! - Capex: land when acquired; plants and hall phases evenly over their construction (spending
//!   after the horizon is not counted); GPUs when delivered, at the prices the model holds in EUR.
//! - Revenue, per cluster and month: the contracted share (1 − spot share) of operational GPU-hours
//!   is paid for whether used or not (take-or-pay) at the SKU's price; the spot share earns only on
//!   what dispatch used, at the spot price (price × spot ratio) for GPU-hours, or — when the scenario
//!   prices tokens — at the token price for what it served of inference. GPU-hour and token prices
//!   fall each year by the decline rate from the start. Retired GPUs are resold at the cluster's
//!   resale fraction.
//! - Opex: energy of each source of each site at its price (grid: the capacity-weighted price of the
//!   site's connections; plants: their energy price, else their catalog variable O&M); fixed O&M of
//!   commissioned plants at the catalog's % of capex; maintenance and insurance at the scenario's % of
//!   capex in service (maintenance on halls and GPUs, insurance on everything but land); staff per MW
//!   of completed hall IT; network per installed GPU.

use super::{CapexLine, Class, Inputs};
use crate::dispatch::Outcome;
use crate::engine::buildout::{Asset, Replication};
use crate::engine::random::Stream;
use crate::engine::sample::FactorDraws;
use crate::engine::time::SimTime;
use crate::model::{Finance, Scenario};

/// The uncertain prices of one replication, drawn once.
#[derive(Clone, Debug, PartialEq)]
pub struct Prices {
    /// Per cluster: contracted price of a GPU-hour at the start [EUR].
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
    let sku_price: Vec<f64> = scenario
        .skus
        .iter()
        .zip(&f.gpu_hour_price_eur)
        .map(|(sku, u)| draw(&format!("gpu-hour:{sku}"), u))
        .collect();
    Some(Prices {
        gpu_hour_eur: scenario
            .clusters
            .iter()
            .map(|c| sku_price[c.sku.index()])
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
/// policy; `None` without a finance section.
pub fn inputs(
    scenario: &Scenario,
    rep: &Replication,
    outcome: &Outcome,
    prices: &Prices,
) -> Option<Inputs> {
    let f = scenario.finance.as_ref()?;
    let pm = scenario.meta.period_months as usize;
    let months = outcome.months.len();
    let n = months.div_ceil(pm);
    let mut out = Inputs::zeros(n, pm as u32);
    let boundary = |m: usize| SimTime::ZERO.after_months(m as f64).0 as f64;
    let period_hours: Vec<(f64, f64)> = (0..n)
        .map(|p| (boundary(p * pm), boundary(((p + 1) * pm).min(months))))
        .collect();
    let horizon = boundary(months);

    // Capex, and what is in service (for O&M, maintenance and insurance), per period.
    let mut in_service_plants = vec![0.0; n]; // capex × fixed O&M rate per year
    let mut in_service_maintained = vec![0.0; n];
    let mut in_service_insured = vec![0.0; n];
    for outlay in &rep.outlays {
        let (amount, class, life) = cost(scenario, f, outlay.asset);
        if amount == 0.0 {
            continue;
        }
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
            in_service_plants[p] += amount * om * share;
            if matches!(class, Class::Shell | Class::Gpus | Class::GpuRefresh) {
                in_service_maintained[p] += amount * share;
            }
            if class != Class::Land {
                in_service_insured[p] += amount * share;
            }
        }
    }
    for &(t, c, gpus) in &rep.retirements {
        let cluster = &scenario.clusters[c.index()];
        let value = cluster.price_eur_per_gpu.unwrap_or(0.0) * gpus as f64;
        let t = t.0 as f64;
        for (p, &(lo, hi)) in period_hours.iter().enumerate() {
            let share = ((hi - t.max(lo)) / (hi - lo)).clamp(0.0, 1.0);
            in_service_maintained[p] -= value * share;
            in_service_insured[p] -= value * share;
            if t >= lo && t < hi {
                out.revenue_resale_eur[p] += value * cluster.resale_fraction;
            }
        }
    }
    let years = pm as f64 / 12.0;
    for p in 0..n {
        out.opex_power_om_eur[p] = in_service_plants[p] * years;
        out.opex_maintenance_eur[p] =
            in_service_maintained[p].max(0.0) * f.maintenance_per_year * years;
        out.opex_insurance_eur[p] = in_service_insured[p].max(0.0) * f.insurance_per_year * years;
    }

    // Energy prices per site and source (as the engine's layout).
    let layout = crate::engine::buildout::Layout::of(scenario);
    let sites = scenario.sites.len();
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
    let s_share = f.spot_share;
    for m in 0..months {
        let p = m / pm;
        let month_years = 1.0 / 12.0;
        let (before, after) = (&rep.monthly[m], &rep.monthly[m + 1]);
        for s in 0..sites {
            for (k, price) in source_price[s].iter().enumerate() {
                let mwh = after[s].energy_mwh_by_source[k] - before[s].energy_mwh_by_source[k];
                out.opex_energy_eur[p] += mwh * price;
            }
            let it_mw = 0.5 * (before[s].shell_it_mw + after[s].shell_it_mw);
            let gpus = 0.5 * (before[s].gpus_installed + after[s].gpus_installed) as f64;
            out.opex_staff_eur[p] += it_mw * f.staff_eur_per_mw_year * month_years;
            out.opex_network_eur[p] += gpus * f.network_eur_per_gpu_year * month_years;
        }
        let mid_years = (m as f64 + 0.5) / 12.0;
        let decline = (1.0 - f.price_decline_per_year).powf(mid_years);
        for c in 0..scenario.clusters.len() {
            let operational =
                (rep.operational_gpu_hours[m + 1][c] - rep.operational_gpu_hours[m][c]).max(0.0);
            let used = outcome.used_gpu_hours[m][c];
            let training = outcome.training_gpu_hours[m][c];
            let tokens = outcome.tokens[m][c];
            let price = prices.gpu_hour_eur[c] * decline;
            out.revenue_contracted_eur[p] += (1.0 - s_share) * operational * price;
            match prices.token_eur_per_mtok {
                Some(per_mtok) => {
                    out.revenue_spot_eur[p] += s_share * training * price * f.spot_price_ratio;
                    out.revenue_tokens_eur[p] += s_share * tokens * per_mtok * decline / 1e6;
                }
                None => {
                    out.revenue_spot_eur[p] += s_share * used * price * f.spot_price_ratio;
                }
            }
            out.gpu_hours[p] += operational;
            out.inference_gpu_hours[p] += used - training;
            out.tokens[p] += tokens;
        }
    }
    Some(out)
}
