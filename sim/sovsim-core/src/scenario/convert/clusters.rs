//! GPU clusters and their refreshes, supply shocks, the SKUs in use, and whether sites, halls and
//! power can hold what is ordered.

use super::ctx::*;

pub(super) fn convert_supply_shocks(
    ctx: &mut Ctx,
    shocks: &[wire::SupplyShock],
) -> Vec<m::SupplyShock> {
    ctx.unique_ids("supply_shocks", shocks.iter().map(|s| s.id.as_str()));
    let mut out = Vec::new();
    for (i, w) in shocks.iter().enumerate() {
        let at = |k: &str| path!("supply_shocks", i, k);
        let country = ctx.country(&at("country"), &w.country);
        let from = ctx.date(&at("from_date"), &w.from_date);
        let until = w
            .until_date
            .as_ref()
            .map(|d| ctx.date(&at("until_date"), d));
        let cap = ctx.quantity(&at("cap_h100e_per_year"), w.cap_h100e_per_year);
        if let (Some(from), Some(Some(until))) = (from, until)
            && until <= from
        {
            let d = ctx.error(
                "out-of-range",
                &at("until_date"),
                format!("the cap is lifted on {until}, before it applies ({from})"),
            );
            *d = d.clone().expected("a date after `from_date`");
        }
        if let (Some(country), Some(from), Some(cap)) = (country, from, cap) {
            out.push(m::SupplyShock {
                id: w.id.clone(),
                country: country.code,
                from_date: from,
                until_date: until.flatten(),
                cap_h100e_per_year: cap,
            });
        }
    }
    out
}
pub(super) fn convert_clusters(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    shells: &[Option<m::Shell>],
) -> Vec<m::Cluster> {
    ctx.unique_ids("clusters", file.clusters.iter().map(|c| c.id.as_str()));
    let shell_ids: Vec<&str> = file.shells.iter().map(|s| s.id.as_str()).collect();
    let operator_ids: Vec<&str> = file.operators.iter().map(|o| o.id.as_str()).collect();
    let mut out = Vec::new();
    for (i, c) in file.clusters.iter().enumerate() {
        let at = |k: &str| path!("clusters", i, k);
        let shell = ctx.reference(&at("shell"), &c.shell, "shells", &shell_ids);
        let operator = ctx.reference(&at("operator"), &c.operator, "operators", &operator_ids);
        let catalog = ctx.catalog;
        let sku = ctx.catalog_ref(
            &at("sku"),
            &c.sku,
            "accelerators",
            &catalog.accelerators,
            |a| a.id.as_str(),
        );
        let Some(sku) = sku else { continue };
        let (accelerator, overridden) =
            ctx.apply_overrides(&path!("clusters", i), sku, c.overrides.as_ref());
        if accelerator.all_in_power_kw <= 0.0 || !accelerator.all_in_power_kw.is_finite() {
            let d = ctx.error(
                "zero",
                &path!("clusters", i, "overrides", "all_in_power_kw"),
                "all-in power per GPU must be above zero",
            );
            *d = d.clone().expected("kW per GPU above zero");
        }
        if c.gpus == 0 {
            let d = ctx.error(
                "zero",
                &at("gpus"),
                format!("cluster `{}` has no GPUs", c.id),
            );
            *d = d.clone().expected("one GPU or more");
        }
        let order = ctx.date_in_horizon(&at("order_date"), &c.order_date);
        let (lead, install, life, repair) = gpu_times(
            ctx,
            &path!("clusters", i),
            GivenTimes {
                lead_time_months: c.lead_time_months.as_ref(),
                install_months: c.install_months.as_ref(),
                useful_life_years: c.useful_life_years,
                repair_days: c.repair_days.as_ref(),
            },
            &accelerator,
            "cluster",
        );
        let resale = match c.resale_fraction {
            Some(v) => ctx
                .fraction(&at("resale_fraction"), v)
                .map(m::Resale::Fraction),
            None => Some(m::Resale::Retention {
                per_year: ctx.default("gpu_resale_retention_per_year"),
            }),
        };
        // Cooling: a liquid-only accelerator cannot go into an air-cooled hall.
        let hall = shell.and_then(|s| shells.get(s).and_then(Option::as_ref));
        if let Some(hall) = hall
            && accelerator.cooling == Cooling::Liquid
            && hall.kind.cooling == Cooling::Air
        {
            let d = ctx.error(
                "cooling-mismatch",
                &at("sku"),
                format!(
                    "`{}` needs liquid cooling but hall `{}` is air-cooled (`{}`)",
                    accelerator.id, hall.id, hall.kind.id
                ),
            );
            *d = d.clone().expected("a hall whose type has `cooling = liquid`").hint("put the cluster in a liquid-cooled hall such as `liquid-hall`, or choose an air-cooled SKU");
        }
        if let (
            Some(shell),
            Some(hall),
            Some(operator),
            Some(order),
            Some(lead),
            Some(install),
            Some(life),
            Some(resale),
            Some(repair),
        ) = (
            shell, hall, operator, order, lead, install, life, resale, repair,
        ) {
            out.push(m::Cluster {
                // Numbered once every cluster exists (`number_skus`); priced in EUR once the
                // finance section's rates are known (`price_in_eur`).
                sku: m::SkuId(0),
                price_eur_per_gpu: None,
                id: c.id.clone(),
                shell: m::ShellId(shell as u32),
                site: hall.site,
                operator: m::OperatorId(operator as u32),
                useful_life_years: life,
                resale,
                failure_rate_per_gpu_day: accelerator.failure_rate_per_gpu_day.unwrap_or(0.0),
                repair_days: repair,
                h100e_per_gpu: h100e_per_gpu(ctx, &accelerator),
                refresh_of: None,
                reinvested_by: None,
                accelerator,
                gpus: c.gpus,
                order_date: order,
                lead_time_months: lead,
                install_months: install,
                overridden,
            });
        }
    }
    let originals = out.len();
    for (i, c) in file.clusters.iter().enumerate() {
        let Some(index) = out[..originals].iter().position(|o| o.id == c.id) else {
            continue;
        };
        // One refresh, or a sequence: each generation replaces the one before.
        let sequence: Vec<(Vec<Seg>, &wire::Refresh)> = match (&c.refresh, c.refreshes.as_slice()) {
            (Some(_), [_, ..]) => {
                let d = ctx.error(
                    "refresh-twice",
                    &path!("clusters", i, "refreshes"),
                    format!("cluster `{}` states both `refresh` and `refreshes`", c.id),
                );
                *d = d
                    .clone()
                    .expected("one of them")
                    .hint("list every generation in `refreshes`, in the order they follow");
                continue;
            }
            (Some(r), []) => vec![(path!("clusters", i, "refresh"), r)],
            (None, list) => list
                .iter()
                .enumerate()
                .map(|(k, r)| (path!("clusters", i, "refreshes", k), r))
                .collect(),
        };
        let mut previous = index;
        for (k, (at, r)) in sequence.into_iter().enumerate() {
            let id = match k {
                0 => format!("{}.refresh", c.id),
                _ => format!("{}.refresh{}", c.id, k + 1),
            };
            let Some(refresh) = convert_refresh(ctx, &at, r, &out[previous], previous, id, shells)
            else {
                break;
            };
            out.push(refresh);
            previous = out.len() - 1;
        }
    }
    out
}

/// What a procurement (a cluster, a reinvestment rule) states about its GPUs' times.
pub(super) struct GivenTimes<'w> {
    pub(super) lead_time_months: Option<&'w wire::Uncertain>,
    pub(super) install_months: Option<&'w wire::Uncertain>,
    pub(super) useful_life_years: Option<f64>,
    pub(super) repair_days: Option<&'w wire::Uncertain>,
}

/// The lead time (the scenario's, else the catalog's), installation (default 0), useful life and
/// repair time of a `place`'s GPUs written at `base`, each checked and reported on its own.
pub(super) fn gpu_times(
    ctx: &mut Ctx,
    base: &[Seg],
    given: GivenTimes,
    accelerator: &crate::catalog::Accelerator,
    place: &str,
) -> (
    Option<m::Uncertain>,
    Option<m::Uncertain>,
    Option<f64>,
    Option<m::Uncertain>,
) {
    let at = |k: &str| [base, &path!(k)].concat();
    let lead = lead_time(
        ctx,
        &at("lead_time_months"),
        given.lead_time_months,
        accelerator,
        place,
    );
    let install = match given.install_months {
        Some(u) => ctx.uncertain(&at("install_months"), u),
        None => Some(m::Uncertain::fixed(0.0)),
    };
    let life = useful_life(ctx, &at("useful_life_years"), given.useful_life_years);
    let repair = repair_days(ctx, &at("repair_days"), given.repair_days, accelerator);
    (lead, install, life, repair)
}

/// Delivery lead time of a `place` (cluster or refresh): the scenario's, else the catalog's.
pub(super) fn lead_time(
    ctx: &mut Ctx,
    path: &[Seg],
    given: Option<&wire::Uncertain>,
    accelerator: &crate::catalog::Accelerator,
    place: &str,
) -> Option<m::Uncertain> {
    match (given, accelerator.lead_time_months) {
        (Some(u), _) => ctx.uncertain(path, u),
        (None, Some(v)) => Some(m::Uncertain::fixed(v)),
        (None, None) => {
            let d = ctx.error(
                "missing-catalog-value",
                path,
                format!("the catalog has no lead time for `{}`", accelerator.id),
            );
            *d = d.clone().expected(format!("`lead_time_months` in this {place}")).hint("no public lead time was found for this SKU; state your own and mark it as an estimate");
            None
        }
    }
}

/// Useful life of GPUs [years]: the scenario's, else the default.
pub(super) fn useful_life(ctx: &mut Ctx, path: &[Seg], given: Option<f64>) -> Option<f64> {
    match given {
        Some(v) => ctx.positive(path, v),
        None => Some(ctx.default("gpu_useful_life_years")),
    }
}

/// Repair time of a cluster's GPUs: required when the catalog has a failure rate for the SKU.
pub(super) fn repair_days(
    ctx: &mut Ctx,
    path: &[Seg],
    given: Option<&wire::Uncertain>,
    accelerator: &crate::catalog::Accelerator,
) -> Option<m::Uncertain> {
    match (given, accelerator.failure_rate_per_gpu_day) {
        (Some(u), _) => ctx.uncertain(path, u),
        // GPUs that never fail need no repair time.
        (None, None) => Some(m::Uncertain::fixed(0.0)),
        (None, Some(rate)) if rate <= 0.0 => Some(m::Uncertain::fixed(0.0)),
        (None, Some(rate)) => {
            let d = ctx.error(
                "missing-field",
                path,
                format!(
                    "`{}` fails about {} times per GPU per day (catalog) but the cluster does not say how long a repair takes",
                    accelerator.id,
                    num(rate)
                ),
            );
            *d = d
                .clone()
                .expected("`repair_days = …` (days to repair or replace a failed GPU)")
                .hint("no sourced repair time exists; state your own, e.g. a distribution, and mark it as an estimate");
            None
        }
    }
}

/// GPUs weighted by dense BF16 throughput relative to the H100 SXM, as export quotas count them.
pub(super) fn h100e_per_gpu(ctx: &Ctx, accelerator: &crate::catalog::Accelerator) -> f64 {
    let h100 = ctx
        .catalog
        .accelerators
        .iter()
        .find(|a| a.id == "h100-sxm")
        .and_then(|a| a.bf16_dense_tflops);
    match (accelerator.bf16_dense_tflops, h100) {
        (Some(x), Some(h)) if h > 0.0 => x / h,
        // Without throughput figures a GPU counts as one H100: the quota still binds.
        _ => 1.0,
    }
}

/// The cluster `id` replacing `original` (at `index` in the converted list) as its GPUs retire;
/// `base` is where the refresh is written in the file.
pub(super) fn convert_refresh(
    ctx: &mut Ctx,
    base: &[Seg],
    r: &wire::Refresh,
    original: &m::Cluster,
    index: usize,
    id: String,
    shells: &[Option<m::Shell>],
) -> Option<m::Cluster> {
    let at = |k: &str| [base, &path!(k)].concat();
    let catalog = ctx.catalog;
    let sku = ctx.catalog_ref(
        &at("sku"),
        &r.sku,
        "accelerators",
        &catalog.accelerators,
        |a| a.id.as_str(),
    )?;
    let (accelerator, overridden) = ctx.apply_overrides(base, sku, r.overrides.as_ref());
    if accelerator.all_in_power_kw <= 0.0 || !accelerator.all_in_power_kw.is_finite() {
        let d = ctx.error(
            "zero",
            &[base, &path!("overrides", "all_in_power_kw")].concat(),
            "all-in power per GPU must be above zero",
        );
        *d = d.clone().expected("kW per GPU above zero");
        return None;
    }
    let hall = shells
        .get(original.shell.index())
        .and_then(Option::as_ref)?;
    if accelerator.cooling == Cooling::Liquid && hall.kind.cooling == Cooling::Air {
        let d = ctx.error(
            "cooling-mismatch",
            &at("sku"),
            format!(
                "`{}` needs liquid cooling but hall `{}` is air-cooled (`{}`)",
                accelerator.id, hall.id, hall.kind.id
            ),
        );
        *d = d.clone().expected("an air-cooled SKU for this hall").hint(
            "refresh into a SKU the hall can cool, or plan the cluster in a liquid-cooled hall",
        );
        return None;
    }
    let lead = lead_time(
        ctx,
        &at("lead_time_months"),
        r.lead_time_months.as_ref(),
        &accelerator,
        "refresh",
    );
    let install = match &r.install_months {
        Some(u) => ctx.uncertain(&at("install_months"), u),
        None => Some(original.install_months.clone()),
    };
    let life = useful_life(ctx, &at("useful_life_years"), r.useful_life_years);
    let repair = match (&r.repair_days, accelerator.failure_rate_per_gpu_day) {
        (None, Some(_)) if original.failure_rate_per_gpu_day > 0.0 => {
            Some(original.repair_days.clone())
        }
        (given, _) => repair_days(ctx, &at("repair_days"), given.as_ref(), &accelerator),
    };
    let (lead, install, life, repair) = (lead?, install?, life?, repair?);
    // The replacement draws the IT power the original frees, so it fits the same hall and supply.
    let gpus = (original.gpus as f64 * original.accelerator.all_in_power_kw
        / accelerator.all_in_power_kw
        + 1e-9)
        .floor() as u64;
    // Planned from median durations; the engine orders as the original's GPUs actually retire.
    let months = original.lead_time_months.dist.median()
        + original.install_months.dist.median()
        + original.useful_life_years * 12.0;
    let order_date = original.order_date.add_months(months.round() as i32);
    Some(m::Cluster {
        // Numbered once every cluster exists (`number_skus`); priced in EUR once the finance
        // section's rates are known (`price_in_eur`).
        sku: m::SkuId(0),
        price_eur_per_gpu: None,
        id,
        shell: original.shell,
        site: original.site,
        operator: original.operator,
        failure_rate_per_gpu_day: accelerator.failure_rate_per_gpu_day.unwrap_or(0.0),
        repair_days: repair,
        h100e_per_gpu: h100e_per_gpu(ctx, &accelerator),
        refresh_of: Some(m::ClusterId(index as u32)),
        reinvested_by: None,
        accelerator,
        gpus,
        order_date,
        lead_time_months: lead,
        install_months: install,
        useful_life_years: life,
        resale: original.resale,
        overridden,
    })
}
/// The catalog ids of the accelerators `clusters` use, in order of first use, each cluster given
/// the index of its own.
pub(super) fn number_skus(clusters: &mut [m::Cluster]) -> Vec<String> {
    let mut skus: Vec<String> = Vec::new();
    for c in clusters {
        let k = match skus.iter().position(|s| *s == c.accelerator.id) {
            Some(k) => k,
            None => {
                skus.push(c.accelerator.id.clone());
                skus.len() - 1
            }
        };
        c.sku = m::SkuId(k as u32);
    }
    skus
}
pub(super) fn ctx_cluster_index(ctx: &Ctx, id: &str) -> usize {
    let Some(clusters) =
        tree::get(ctx.root, &path!("clusters")).and_then(|c| c.get_ref().as_array())
    else {
        return 0;
    };
    clusters
        .iter()
        .position(|c| c.get_ref().get("id").and_then(|v| v.get_ref().as_str()) == Some(id))
        .unwrap_or(0)
}
/// Cross-entity capacity checks: halls within their site, clusters within their hall, and facility
/// power within the most the site can ever draw.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_capacity(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    sites: &[Option<m::Site>],
    grid: &[m::GridConnection],
    power: &[m::PowerAsset],
    shells: &[Option<m::Shell>],
    clusters: &[m::Cluster],
) {
    for (s, site) in sites.iter().enumerate() {
        let Some(site) = site else { continue };
        let id = m::SiteId(s as u32);
        let halls: Vec<&m::Shell> = shells.iter().flatten().filter(|h| h.site == id).collect();
        let hall_it: f64 = halls.iter().map(|h| h.it().0).sum();
        if hall_it > site.max_it.0 + 1e-9 {
            let d = ctx.error(
                "site-overfull",
                &path!("sites", s, "max_it_mw"),
                format!(
                    "halls on `{}` add up to {hall_it} MW of IT, above its {} MW",
                    site.id, site.max_it.0
                ),
            );
            *d = d
                .clone()
                .expected(format!("halls totalling at most {} MW", site.max_it.0))
                .hint("raise `max_it_mw` if the site allows it, or move a hall");
        }
        let land: f64 = halls
            .iter()
            .filter_map(|h| h.kind.land_ha_per_100mw.map(|r| r * h.it().0 / 100.0))
            .sum();
        if land > site.area_ha + 1e-9 {
            let d = ctx.warning(
                "land-short",
                &path!("sites", s, "area_ha"),
                format!(
                    "halls on `{}` need about {land:.1} ha but the site has {} ha",
                    site.id, site.area_ha
                ),
            );
            *d = d.clone().expected(format!("at least {land:.1} ha")).hint(
                "the land figure per 100 MW is a catalog ESTIMATE; multi-storey builds need less",
            );
        }
        let facility: f64 = clusters
            .iter()
            .filter(|c| c.site == id)
            .map(|c| {
                c.it_power().0
                    * shells
                        .get(c.shell.index())
                        .and_then(Option::as_ref)
                        .map_or(1.0, |h| h.kind.pue)
            })
            .sum();
        let supply: f64 = grid
            .iter()
            .filter(|g| g.site == id)
            .map(|g| g.capacity.0)
            .sum::<f64>()
            + power
                .iter()
                .filter(|p| p.site == id)
                .map(|p| p.capacity.0)
                .sum::<f64>();
        // A supply entity dropped for an earlier error would make this figure wrong, not news.
        let supply_complete = grid.len() == file.grid_connections.len()
            && power.len() == file.power_assets.len()
            && ctx.removed.ids.is_empty();
        if supply_complete && facility > supply + 1e-9 {
            let d = ctx.error(
                "power-shortfall",
                &path!("sites", s, "id"),
                format!("clusters on `{}` draw {facility:.1} MW (IT × PUE) but the site can never have more than {supply:.1} MW", site.id),
            );
            *d = d
                .clone()
                .expected(format!(
                    "grid connections and on-site power of at least {facility:.1} MW"
                ))
                .hint("add a grid connection or a power asset on this site, or move clusters");
        }
    }
    for (h, hall) in shells.iter().enumerate() {
        let Some(hall) = hall else { continue };
        let it: f64 = clusters
            .iter()
            .filter(|c| c.shell.index() == h)
            .map(|c| c.it_power().0)
            .sum();
        if it > hall.it().0 + 1e-9 {
            let index = file
                .clusters
                .iter()
                .position(|c| c.shell == hall.id)
                .unwrap_or(0);
            let d = ctx.error(
                "shell-overfull",
                &path!("clusters", index, "gpus"),
                format!(
                    "clusters in hall `{}` need {it:.1} MW of IT but its phases total {} MW",
                    hall.id,
                    hall.it().0
                ),
            );
            *d = d
                .clone()
                .expected(format!("at most {} MW of IT in this hall", hall.it().0))
                .hint("IT power = GPUs × the SKU's `all_in_power_kw`; add a phase or fewer GPUs");
        }
    }
}
