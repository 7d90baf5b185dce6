//! Sites, grid connections, on-site power and halls: land, permits, queue waits, capacity and
//! catalog technologies with their overrides.

use super::ctx::*;
use std::collections::BTreeMap;

pub(super) fn convert_sites(ctx: &mut Ctx, sites: &[wire::Site]) -> Vec<Option<m::Site>> {
    ctx.unique_ids("sites", sites.iter().map(|s| s.id.as_str()));
    sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |k: &str| path!("sites", i, k);
            let country = ctx.country(&at("country"), &s.country);
            let area = ctx.quantity(&at("area_ha"), s.area_ha);
            let price = ctx.quantity(&at("land_price_eur_per_ha"), s.land_price_eur_per_ha);
            let max_it = ctx.positive(&at("max_it_mw"), s.max_it_mw);
            let water = s
                .water_m3_per_day_max
                .map(|w| ctx.quantity(&at("water_m3_per_day_max"), w));
            let acquisition = match &s.acquisition_months {
                Some(u) => ctx.uncertain(&at("acquisition_months"), u),
                None => Some(m::Uncertain::fixed(0.0)),
            };
            let permit = match &s.permit_months {
                Some(u) => ctx.uncertain(&at("permit_months"), u),
                None => Some(m::Uncertain::fixed(0.0)),
            };
            Some(m::Site {
                id: s.id.clone(),
                name: s.name.clone().unwrap_or_else(|| s.id.clone()),
                country: country?,
                area_ha: area?,
                land_cost: Eur(area? * price?),
                max_it: Mw(max_it?),
                water_m3_per_day_max: water.flatten(),
                acquisition_months: acquisition?,
                permit_months: permit?,
            })
        })
        .collect()
}
pub(super) fn convert_grid(
    ctx: &mut Ctx,
    conns: &[wire::GridConnection],
    site_ids: &[&str],
    sites: &[Option<m::Site>],
    rates: Option<&BTreeMap<String, f64>>,
) -> Vec<m::GridConnection> {
    ctx.unique_ids("grid_connections", conns.iter().map(|g| g.id.as_str()));
    let mut out = Vec::new();
    for (i, g) in conns.iter().enumerate() {
        let at = |k: &str| path!("grid_connections", i, k);
        let site = ctx.reference(&at("site"), &g.site, "sites", site_ids);
        let capacity = ctx.positive(&at("capacity_mw"), g.capacity_mw);
        let country = site
            .and_then(|s| sites[s].as_ref())
            .map(|s| s.country.clone());
        let wait = match (&g.queue_wait_months, &country) {
            (Some(u), _) => ctx.uncertain(&at("queue_wait_months"), u),
            (None, Some(c)) => from_country(
                ctx,
                &at("queue_wait_months"),
                c.grid_wait_months_min
                    .zip(c.grid_wait_months_max)
                    .map(|(min, max)| m::Uncertain {
                        dist: Distribution::Uniform { min, max },
                        factor: None,
                    }),
                ("grid-connection wait", &c.code),
                "e.g. `queue_wait_months = { dist = \"pert\", min = 24, mode = 36, max = 60 }`",
            ),
            (None, None) => None,
        };
        let price = match (&g.price_eur_per_mwh, &country) {
            (Some(u), _) => ctx.uncertain(&at("price_eur_per_mwh"), u),
            (None, Some(c)) => from_country(
                ctx,
                &at("price_eur_per_mwh"),
                c.industrial_power_price_per_kwh,
                ("electricity price", &c.code),
                "Eurostat publishes non-household prices per country (dataset nrg_pc_205)",
            )
            .and_then(|p| in_eur(ctx, &at("price_eur_per_mwh"), p, &c.currency, rates))
            .map(|p| m::Uncertain::fixed(p * 1000.0)),
            (None, None) => None,
        };
        let carbon = match (g.carbon_g_per_kwh, &country) {
            (Some(v), _) => ctx.quantity(&at("carbon_g_per_kwh"), v),
            (None, Some(c)) => from_country(
                ctx,
                &at("carbon_g_per_kwh"),
                c.grid_carbon_g_per_kwh,
                ("grid carbon intensity", &c.code),
                "Ember publishes yearly figures per country (carbon_intensity_elec in OWID's energy data)",
            ),
            (None, None) => None,
        };
        if let (Some(site), Some(capacity), Some(wait), Some(price), Some(carbon)) =
            (site, capacity, wait, price, carbon)
        {
            out.push(m::GridConnection {
                id: g.id.clone(),
                site: m::SiteId(site as u32),
                capacity: Mw(capacity),
                queue_wait_months: wait,
                price_eur_per_mwh: price,
                carbon_g_per_kwh: carbon,
            });
        }
    }
    out
}
/// A catalog price in EUR with the scenario's rate for its currency (`finance.eur_per_currency`),
/// or an error asking for the rate: a grid connection's price is needed before finance is read.
fn in_eur(
    ctx: &mut Ctx,
    path: &[Seg],
    amount: f64,
    currency: &str,
    rates: Option<&BTreeMap<String, f64>>,
) -> Option<f64> {
    if currency == "EUR" {
        return Some(amount);
    }
    let rate = rates.and_then(|r| r.get(currency)).copied();
    if rate.is_none() {
        let d = ctx.error(
            "missing-exchange-rate",
            path,
            format!("the catalog's electricity price for this connection is in {currency}, and the scenario has no rate for it"),
        );
        *d = d
            .clone()
            .expected(format!("`{currency} = …` (EUR per {currency}) in `finance.eur_per_currency`, or `price_eur_per_mwh` in this connection"))
            .hint("the catalog keeps prices in the currency they were published in; state the rate you plan with");
    }
    rate.map(|r| amount * r)
}
/// A grid connection's figure taken from its country in the catalog, or, where the catalog has none,
/// an error asking the connection for it. `what` names the figure and the country.
pub(super) fn from_country<T>(
    ctx: &mut Ctx,
    path: &[Seg],
    value: Option<T>,
    what: (&str, &str),
    hint: &str,
) -> Option<T> {
    if value.is_none() {
        let field = tree::path_string(&path[path.len().saturating_sub(1)..]);
        let d = ctx.error(
            "missing-catalog-value",
            path,
            format!("the catalog has no {} for `{}`", what.0, what.1),
        );
        *d = d
            .clone()
            .expected(format!("`{field}` in this connection"))
            .hint(hint);
    }
    value
}
pub(super) fn convert_power(
    ctx: &mut Ctx,
    assets: &[wire::PowerAsset],
    site_ids: &[&str],
) -> Vec<m::PowerAsset> {
    ctx.unique_ids("power_assets", assets.iter().map(|a| a.id.as_str()));
    let mut out = Vec::new();
    for (i, a) in assets.iter().enumerate() {
        let at = |k: &str| path!("power_assets", i, k);
        let site = ctx.reference(&at("site"), &a.site, "sites", site_ids);
        let catalog = ctx.catalog;
        let Some(tech) = ctx.catalog_ref(&at("tech"), &a.tech, "power", &catalog.power, |p| {
            p.id.as_str()
        }) else {
            continue;
        };
        let (tech, overridden) =
            ctx.apply_overrides(&path!("power_assets", i), tech, a.overrides.as_ref());
        let capacity = ctx.positive(&at("capacity_mw"), a.capacity_mw);
        let start = match &a.start_date {
            Some(d) => ctx.date_in_horizon(&at("start_date"), d),
            None => Some(ctx.start),
        };
        let build = match (&a.build_months, tech.build_time_months) {
            (Some(u), _) => ctx.uncertain(&at("build_months"), u),
            (None, Some(v)) => Some(m::Uncertain::fixed(v)),
            (None, None) => {
                let d = ctx.error(
                    "missing-catalog-value",
                    &at("build_months"),
                    format!("the catalog has no build time for `{}`", tech.id),
                );
                *d = d.clone().expected("`build_months` in this asset");
                None
            }
        };
        let price = a
            .energy_price_eur_per_mwh
            .as_ref()
            .map(|u| ctx.uncertain(&at("energy_price_eur_per_mwh"), u));
        let carbon = carbon_g_per_kwh(ctx, &at("tech"), &tech);
        let outage = a.outage_days.and_then(|days| {
            let days = ctx.positive(&at("outage_days"), days)?;
            let availability = tech.availability.unwrap_or(1.0);
            if !tech.dispatchable {
                let d = ctx.error(
                    "not-dispatchable",
                    &at("outage_days"),
                    format!("`{}` is weather-driven: its availability is a capacity factor, not time between outages", tech.id),
                );
                *d = d.clone().expected("no `outage_days` on solar or wind");
                return None;
            }
            if !(availability > 0.0 && availability < 1.0) {
                let d = ctx.error(
                    "out-of-range",
                    &at("outage_days"),
                    format!("`{}` has an availability of {availability}, which leaves no time for outages", tech.id),
                );
                *d = d.clone().expected("an availability strictly between 0 and 1 (`overrides = { availability = … }`)");
                return None;
            }
            Some(days)
        });
        if let (Some(site), Some(capacity), Some(start), Some(build), Some(carbon)) =
            (site, capacity, start, build, carbon)
        {
            out.push(m::PowerAsset {
                // In EUR once the finance section's rates are known (`price_in_eur`).
                capex_eur_per_kw: None,
                variable_om_eur_per_mwh: None,
                id: a.id.clone(),
                site: m::SiteId(site as u32),
                tech,
                capacity: Mw(capacity),
                start_date: start,
                build_months: build,
                energy_price_eur_per_mwh: price.flatten(),
                outage_days: outage,
                carbon_g_per_kwh: carbon,
                overridden,
            });
        }
    }
    out
}
/// Direct emissions of an on-site technology [gCO₂/kWh]: the catalog's (or overridden) figure; for
/// gas plants without one, the IPCC emission factor of natural gas over the plant's efficiency; for
/// plants that burn nothing (sun, wind, nuclear), zero.
pub(super) fn carbon_g_per_kwh(
    ctx: &mut Ctx,
    path: &[Seg],
    tech: &crate::catalog::PowerTech,
) -> Option<f64> {
    if let Some(g) = tech.carbon_intensity_g_per_kwh {
        return Some(g);
    }
    let burns_gas = matches!(
        tech.kind,
        crate::catalog::PowerKind::Ccgt
            | crate::catalog::PowerKind::Ocgt
            | crate::catalog::PowerKind::Recip
    );
    if !burns_gas {
        return Some(0.0);
    }
    match tech.efficiency {
        // kg/GJ of fuel ÷ efficiency = kg/GJ of electricity; × 3.6 GJ/MWh = kg/MWh = g/kWh.
        Some(e) if e > 0.0 => Some(ctx.default("natural_gas_co2_kg_per_gj") * 3.6 / e),
        _ => {
            let d = ctx.error(
                "missing-catalog-value",
                path,
                format!(
                    "the catalog has neither a carbon intensity nor an efficiency for `{}`",
                    tech.id
                ),
            );
            *d = d
                .clone()
                .expected("`overrides = { carbon_intensity_g_per_kwh = … }` or `{ efficiency = … }` in this asset")
                .hint("emissions of gas plants follow from their efficiency; state the plant's");
            None
        }
    }
}
pub(super) fn convert_shells(
    ctx: &mut Ctx,
    shells: &[wire::Shell],
    site_ids: &[&str],
) -> Vec<Option<m::Shell>> {
    ctx.unique_ids("shells", shells.iter().map(|s| s.id.as_str()));
    shells
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |k: &str| path!("shells", i, k);
            let site = ctx.reference(&at("site"), &s.site, "sites", site_ids);
            let catalog = ctx.catalog;
            let kind = ctx.catalog_ref(&at("type"), &s.kind, "shells", &catalog.shells, |t| {
                t.id.as_str()
            });
            let (kind, overridden) = match kind {
                Some(k) => {
                    let (k, o) = ctx.apply_overrides(&path!("shells", i), k, s.overrides.as_ref());
                    (Some(k), o)
                }
                None => (None, Vec::new()),
            };
            if let Some(k) = &kind
                && !(k.pue.is_finite() && k.pue >= 1.0)
            {
                let d = ctx.error(
                    "out-of-range",
                    &path!("shells", i, "overrides", "pue"),
                    format!("a PUE of {}", k.pue),
                );
                *d = d
                    .clone()
                    .expected("1.0 or more: facility power includes the IT power");
            }
            if s.phases.is_empty() {
                let d = ctx.error(
                    "empty",
                    &at("phases"),
                    format!("hall `{}` has no phase", s.id),
                );
                *d = d
                    .clone()
                    .expected("at least one `[[shells.phases]]` with `it_mw`");
            }
            let mut phases = Vec::new();
            for (j, p) in s.phases.iter().enumerate() {
                let pat = |k: &str| path!("shells", i, "phases", j, k);
                let it = ctx.positive(&pat("it_mw"), p.it_mw);
                let start = p
                    .start_date
                    .as_ref()
                    .map(|d| ctx.date_in_horizon(&pat("start_date"), d));
                let build = match (&p.build_months, &kind) {
                    (Some(u), _) => ctx.uncertain(&pat("build_months"), u),
                    (None, Some(k)) => Some(m::Uncertain::fixed(k.build_time_months)),
                    (None, None) => None,
                };
                phases.push(Some(m::ShellPhase {
                    it: Mw(it?),
                    start_date: start.flatten(),
                    build_months: build?,
                }));
            }
            Some(m::Shell {
                // In EUR once the finance section's rates are known (`price_in_eur`).
                capex_eur_per_mw: None,
                id: s.id.clone(),
                site: m::SiteId(site? as u32),
                kind: kind?,
                phases: phases.into_iter().collect::<Option<Vec<_>>>()?,
                overridden,
            })
        })
        .collect()
}
