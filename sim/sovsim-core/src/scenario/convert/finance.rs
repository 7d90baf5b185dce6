//! The `[finance]` section: debt terms, tax, prices, opex and grants, defaults filled from the
//! catalog, and every figure the financial model will need checked present.

use super::clusters::ctx_cluster_index;
use super::contracts::convert_contracts;
use super::ctx::*;

/// Largest DSCR a term sheet may state: covenants sit between 1.0× and about 2×.
const MAX_DSCR: f64 = 10.0;

pub(super) fn convert_finance(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    f: &wire::Finance,
    clusters: &[m::Cluster],
    skus: &[String],
    power: &[m::PowerAsset],
    shells: &[Option<m::Shell>],
) -> Option<m::Finance> {
    let at = |k: &str| path!("finance", k);
    let mut ok = true;
    let mut frac = |ctx: &mut Ctx, k: &str, v: f64| -> f64 {
        ctx.fraction(&at(k), v).unwrap_or_else(|| {
            ok = false;
            0.0
        })
    };
    let base_rate = frac(ctx, "base_rate", f.base_rate);
    let construction_margin = frac(ctx, "construction_margin", f.construction_margin);
    let term_margin = frac(ctx, "term_margin", f.term_margin);
    let max_gearing = frac(ctx, "max_gearing", f.max_gearing);
    let tax_rate = frac(ctx, "tax_rate", f.tax_rate);
    // Retired fields: say what to write instead, rather than silently pricing another way.
    let mut retired_ok = true;
    for (k, present, instead) in [
        (
            "spot_share",
            f.spot_share.is_some(),
            "`[[contracts]]` for the GPUs sold under contract (counterparty, clusters or sku, gpus, \
             price_eur_per_gpu_hour, term_years, take_or_pay); GPU-hours under no contract are \
             merchant and earn on what dispatch uses",
        ),
        (
            "spot_price_ratio",
            f.spot_price_ratio.is_some(),
            "nothing: merchant GPU-hours earn the market price `gpu_hour_price_eur` of their \
             generation, and contracts state their own price",
        ),
    ] {
        if present {
            retired_ok = false;
            let d = ctx.error(
                "retired-field",
                &at(k),
                format!(
                    "`finance.{k}` is retired: revenue now comes from contracts and the market"
                ),
            );
            *d = d.clone().expected(instead).hint(
                "capacity was split into take-or-pay and spot shares; real deals are contracts \
                 with a counterparty, a volume, a price and a term",
            );
        }
    }
    let decline = frac(
        ctx,
        "gpu_hour_price_decline_per_year",
        f.gpu_hour_price_decline_per_year
            .unwrap_or_else(|| ctx.default("gpu_hour_price_decline_per_year")),
    );
    let completion_share = frac(
        ctx,
        "completion_share",
        f.completion_share
            .unwrap_or_else(|| ctx.default("completion_share")),
    );
    let cash_sweep_share = frac(
        ctx,
        "cash_sweep_share",
        f.cash_sweep_share
            .unwrap_or_else(|| ctx.default("cash_sweep_share")),
    );
    let equity_hurdle_rate = f
        .equity_hurdle_rate
        .map(|v| frac(ctx, "equity_hurdle_rate", v));
    // Percentages: any non-negative figure (a fee or a rate above 100 % is odd but not absurd).
    let mut pct = |ctx: &mut Ctx, k: &str, v: f64| -> f64 {
        ctx.quantity(&at(k), v).unwrap_or_else(|| {
            ok = false;
            0.0
        }) / 100.0
    };
    let maintenance = pct(ctx, "maintenance_pct_per_year", f.maintenance_pct_per_year);
    let insurance = pct(ctx, "insurance_pct_per_year", f.insurance_pct_per_year);
    let fee = pct(
        ctx,
        "arrangement_fee_pct",
        f.arrangement_fee_pct
            .unwrap_or_else(|| ctx.default("arrangement_fee_pct")),
    );
    for (k, v) in [
        ("target_dscr", Some(f.target_dscr)),
        ("lockup_dscr", f.lockup_dscr),
        ("default_dscr", f.default_dscr),
    ] {
        let Some(v) = v else { continue };
        if v.is_finite() && v < 1.0 {
            ok = false;
            let d = ctx.error(
                "out-of-range",
                &at(k),
                format!("a DSCR of {v} means debt service exceeds cash flow"),
            );
            *d = d
                .clone()
                .expected("a ratio of 1.0 or more, e.g. 1.30")
                .hint("lenders size debt so that CFADS covers debt service with a margin");
        } else if ctx
            .at_most(
                &at(k),
                v,
                MAX_DSCR,
                "covenants are written between 1.0× and a few times; a larger ratio is likely a percentage",
            )
            .is_none()
        {
            ok = false;
        }
    }
    ok &= ctx
        .positive(&at("gpu_depreciation_years"), f.gpu_depreciation_years)
        .is_some();
    let shell_years = f
        .shell_depreciation_years
        .unwrap_or_else(|| ctx.default("shell_depreciation_years"));
    ok &= ctx
        .positive(&at("shell_depreciation_years"), shell_years)
        .is_some();
    let phasing = match f.phasing.as_deref() {
        None => m::Phasing::Site,
        Some(name) => m::Phasing::parse(name).unwrap_or_else(|| {
            ok = false;
            let d = ctx.error(
                "unknown-phasing",
                &at("phasing"),
                format!("`phasing = \"{name}\"` is not a way to finance a programme"),
            );
            *d = d.clone().expected("\"site\" or \"programme\"").hint(
                "\"site\" finances each site on its own (its COD, its loan); \"programme\" all as one",
            );
            m::Phasing::Site
        }),
    };
    let gpu_facility = f.gpu_facility.as_ref().map(|g| {
        let at = |k: &str| path!("finance", "gpu_facility", k);
        let margin = g
            .margin
            .unwrap_or_else(|| ctx.default("gpu_facility_margin"));
        let advance = g
            .advance_rate
            .unwrap_or_else(|| ctx.default("gpu_facility_advance_rate"));
        let tenor = g
            .tenor_years
            .unwrap_or_else(|| ctx.default("gpu_facility_tenor_years"));
        let margin = ctx.fraction(&at("margin"), margin);
        let advance = ctx.fraction(&at("advance_rate"), advance);
        let tenor = ctx.positive(&at("tenor_years"), tenor);
        Some(m::GpuFacility {
            margin: margin?,
            advance_rate: advance?,
            tenor_years: tenor?,
        })
    });
    if matches!(gpu_facility, Some(None)) {
        ok = false;
    }
    let long_stop = f
        .long_stop_months
        .unwrap_or_else(|| ctx.default("long_stop_months"));
    ok &= ctx.quantity(&at("long_stop_months"), long_stop).is_some();
    let staff = ctx.quantity(&at("staff_eur_per_mw_year"), f.staff_eur_per_mw_year);
    let network = ctx.quantity(&at("network_eur_per_gpu_year"), f.network_eur_per_gpu_year);
    ok &= staff.is_some() && network.is_some();
    let token_price = f
        .token_price_eur_per_mtok
        .as_ref()
        .map(|u| ctx.uncertain(&at("token_price_eur_per_mtok"), u));
    if matches!(token_price, Some(None)) {
        ok = false;
    }
    if f.tenor_years == 0 {
        ok = false;
        let d = ctx.error("zero", &at("tenor_years"), "a term loan needs a tenor");
        *d = d.clone().expected("one year or more");
    }
    let equity = f.equity_eur.map(|v| ctx.quantity(&at("equity_eur"), v));
    let grants = f.grants_eur.map(|v| ctx.quantity(&at("grants_eur"), v));
    for (cur, rate) in &f.eur_per_currency {
        ok &= ctx
            .positive(&path!("finance", "eur_per_currency", cur.as_str()), *rate)
            .is_some();
    }
    let mut prices = BTreeMap::new();
    let catalog = ctx.catalog;
    for (sku, price) in &f.gpu_hour_price_eur {
        let p = path!("finance", "gpu_hour_price_eur", sku.as_str());
        ok &= ctx
            .catalog_ref(&p, sku, "accelerators", &catalog.accelerators, |a| {
                a.id.as_str()
            })
            .is_some();
        match ctx.uncertain(&p, price) {
            Some(u) => {
                prices.insert(sku.clone(), u);
            }
            None => ok = false,
        }
    }
    // Every price the model will convert must have an exchange rate.
    let mut needed: Vec<(String, String)> = Vec::new();
    needed.extend(
        clusters
            .iter()
            .filter(|c| c.accelerator.price_per_gpu.is_some())
            .map(|c| (c.accelerator.currency.clone(), c.accelerator.id.clone())),
    );
    needed.extend(
        power
            .iter()
            .filter(|p| p.tech.capex_per_kw.is_some())
            .map(|p| (p.tech.currency.clone(), p.tech.id.clone())),
    );
    needed.extend(
        shells
            .iter()
            .flatten()
            .map(|s| (s.kind.currency.clone(), s.kind.id.clone())),
    );
    needed.sort();
    needed.dedup_by(|a, b| a.0 == b.0);
    for (currency, example) in needed {
        if currency != "EUR" && !f.eur_per_currency.contains_key(&currency) {
            ok = false;
            let d = ctx.error(
                "missing-exchange-rate",
                &at("eur_per_currency"),
                format!(
                    "no exchange rate for {currency}, the currency of catalog entry `{example}`"
                ),
            );
            *d = d.clone().expected(format!("`{currency} = …` (EUR per {currency}) in `finance.eur_per_currency`")).hint("the catalog keeps prices in the currency they were published in; state the rate you plan with");
        }
    }
    // A refresh into a generation the scenario does not price takes the price of the generation it
    // replaces, when new, times the launch premium of a new generation (repeated down a chain).
    loop {
        let derived: Vec<(String, m::Uncertain)> = clusters
            .iter()
            .filter(|c| !prices.contains_key(&c.accelerator.id))
            .filter_map(|c| {
                let before = &clusters[c.refresh_of?.index()];
                let price = prices.get(&before.accelerator.id)?;
                Some((c.accelerator.id.clone(), price.clone()))
            })
            .collect();
        if derived.is_empty() {
            break;
        }
        let premium = ctx.default("gpu_hour_launch_premium");
        for (sku, mut price) in derived {
            price.dist = price.dist.scaled(premium);
            prices.entry(sku).or_insert(price);
        }
    }
    // Every SKU in use earns at a price: the catalog has no rents (they move too fast).
    let mut unpriced: Vec<&str> = clusters
        .iter()
        .map(|c| c.accelerator.id.as_str())
        .filter(|sku| !prices.contains_key(*sku))
        .collect();
    unpriced.sort_unstable();
    unpriced.dedup();
    for sku in unpriced {
        ok = false;
        let d = ctx.error(
            "missing-gpu-hour-price",
            &at("gpu_hour_price_eur"),
            format!("no GPU-hour price for `{sku}`, which clusters use"),
        );
        *d = d
            .clone()
            .expected(format!(
                "`{sku} = …` (market EUR per GPU-hour when new, or at the start) in \
                 `finance.gpu_hour_price_eur`"
            ))
            .hint("a figure or a distribution; REFERENCE-DATA 2.4 lists observed rents (a refresh into it would take the price of the generation it replaces × the launch premium)");
    }
    // What finance needs of every plant: its capex and book life unless it is a contract, and the
    // price of its energy if it burns fuel (the catalog has no fuel prices).
    for (i, a) in power.iter().enumerate() {
        use crate::catalog::PowerKind as K;
        let contract = matches!(a.tech.kind, K::Grid | K::NuclearPpa);
        let mut missing = Vec::new();
        if !contract && a.tech.capex_per_kw.is_none() {
            missing.push(("capex_per_kw", "overrides = { capex_per_kw = … }"));
        }
        if !contract && a.tech.capex_per_kw.is_some() && a.tech.life_years.is_none() {
            missing.push(("life_years", "overrides = { life_years = … }"));
        }
        for (field, fix) in missing {
            ok = false;
            let d = ctx.error(
                "missing-catalog-value",
                &path!("power_assets", i, "tech"),
                format!("the catalog has no `{field}` for `{}`", a.tech.id),
            );
            *d = d
                .clone()
                .expected(format!("`{fix}` in this power asset"))
                .hint("finance needs it; state your own figure and mark it as an estimate");
        }
        let burns_fuel = matches!(a.tech.kind, K::Ccgt | K::Ocgt | K::Recip);
        if burns_fuel && a.energy_price_eur_per_mwh.is_none() {
            ok = false;
            let d = ctx.error(
                "missing-energy-price",
                &path!("power_assets", i, "tech"),
                format!(
                    "`{}` burns fuel, and the catalog has no fuel price",
                    a.tech.id
                ),
            );
            *d = d
                .clone()
                .expected("`energy_price_eur_per_mwh = …` in this power asset")
                .hint(
                    "fuel and variable O&M together per MWh delivered; a figure or a distribution",
                );
        }
    }
    // A reinvestment rule's clusters are checked for a price where the rule is converted.
    for c in clusters.iter().filter(|c| c.reinvested_by.is_none()) {
        if c.accelerator.price_per_gpu.is_none() {
            let path = match c.refresh_of {
                Some(_) => {
                    // Walk back to the original: the k-th generation after it.
                    let (mut root, mut k) = (c, 0);
                    while let Some(o) = root.refresh_of {
                        root = &clusters[o.index()];
                        k += 1;
                    }
                    let i = ctx_cluster_index(ctx, &root.id);
                    let listed = file
                        .clusters
                        .get(i)
                        .is_some_and(|f| !f.refreshes.is_empty());
                    if listed {
                        path!("clusters", i, "refreshes", k - 1, "sku")
                    } else {
                        path!("clusters", i, "refresh", "sku")
                    }
                }
                None => path!("clusters", ctx_cluster_index(ctx, &c.id), "sku"),
            };
            let d = ctx.error(
                "missing-catalog-value",
                &path,
                format!("the catalog has no price for `{}`", c.accelerator.id),
            );
            let place = if c.refresh_of.is_some() {
                "this refresh"
            } else {
                "this cluster"
            };
            *d = d.clone().expected(format!("`overrides = {{ price_per_gpu = … }}` in {place}")).hint("no public price was found for this SKU; state your own and mark it as an estimate");
            ok = false;
        }
    }
    let anchors = release_anchors(ctx, f, skus);
    let contracts = convert_contracts(ctx, &file.contracts, clusters);
    if !ok || !retired_ok {
        return None;
    }
    Some(m::Finance {
        eur_per_currency: f.eur_per_currency.clone(),
        base_rate,
        construction_margin,
        term_margin,
        target_dscr: f.target_dscr,
        lockup_dscr: f.lockup_dscr,
        default_dscr: f.default_dscr,
        max_gearing,
        tenor_years: f.tenor_years,
        phasing,
        gpu_facility: gpu_facility.flatten(),
        completion_share,
        long_stop_months: long_stop,
        dsra_months: f
            .dsra_months
            .unwrap_or_else(|| ctx.default("dsra_months") as u32),
        tax_rate,
        gpu_depreciation_years: f.gpu_depreciation_years,
        equity: equity.flatten().map(Eur),
        grants: Eur(grants.flatten().unwrap_or(0.0)),
        // Every SKU in use has a price (checked above); prices of SKUs no cluster uses go.
        gpu_hour_price_eur: skus
            .iter()
            .map(|sku| prices.get(sku).cloned())
            .collect::<Option<Vec<_>>>()?,
        price_anchor_years: anchors?,
        price_decline_per_year: decline,
        contracts: contracts?,
        token_price_eur_per_mtok: token_price.flatten(),
        maintenance_per_year: maintenance,
        insurance_per_year: insurance,
        staff_eur_per_mw_year: staff.unwrap_or(0.0),
        network_eur_per_gpu_year: network.unwrap_or(0.0),
        arrangement_fee: fee,
        shell_depreciation_years: shell_years,
        cash_sweep_share,
        equity_hurdle_rate,
    })
}

/// Mean length of a Gregorian year [days], as the engine's clock counts years.
const DAYS_PER_YEAR: f64 = 365.2425;

/// Per SKU in use: years from the start to its generation's release, from which its market price
/// declines (0 for one released before the start). The catalog's `release_year` counts as 1 July:
/// "first volume shipments" fall somewhere in that year.
fn release_anchors(ctx: &mut Ctx, f: &wire::Finance, skus: &[String]) -> Option<Vec<f64>> {
    let mut ok = true;
    let mut stated: BTreeMap<&str, Date> = BTreeMap::new();
    for (sku, date) in &f.gpu_release_date {
        let p = path!("finance", "gpu_release_date", sku.as_str());
        let catalog = ctx.catalog;
        ok &= ctx
            .catalog_ref(&p, sku, "accelerators", &catalog.accelerators, |a| {
                a.id.as_str()
            })
            .is_some();
        match ctx.date(&p, date) {
            Some(d) => {
                stated.insert(sku, d);
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let start = ctx.start;
    let anchors = skus
        .iter()
        .map(|sku| {
            let release = stated.get(sku.as_str()).copied().or_else(|| {
                let a = ctx.catalog.accelerators.iter().find(|a| a.id == *sku)?;
                Date::new(a.release_year, 7, 1)
            });
            release.map_or(0.0, |r| {
                if r <= start {
                    0.0
                } else {
                    (r.days_since_epoch() - start.days_since_epoch()) as f64 / DAYS_PER_YEAR
                }
            })
        })
        .collect();
    Some(anchors)
}
