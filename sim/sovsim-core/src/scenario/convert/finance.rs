//! The `[finance]` section: debt terms, tax, prices, opex and grants, defaults filled from the
//! catalog, and every figure the financial model will need checked present.

use super::clusters::ctx_cluster_index;
use super::ctx::*;

pub(super) fn convert_finance(
    ctx: &mut Ctx,
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
    let spot_share = frac(
        ctx,
        "spot_share",
        f.spot_share.unwrap_or_else(|| ctx.default("spot_share")),
    );
    let decline = frac(
        ctx,
        "gpu_hour_price_decline_per_year",
        f.gpu_hour_price_decline_per_year
            .unwrap_or_else(|| ctx.default("gpu_hour_price_decline_per_year")),
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
        } else if ctx.positive(&at(k), v).is_none() {
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
    let spot_price_ratio = f
        .spot_price_ratio
        .unwrap_or_else(|| ctx.default("spot_price_ratio"));
    ok &= ctx
        .quantity(&at("spot_price_ratio"), spot_price_ratio)
        .is_some();
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
    // Every SKU in use earns at a stated price: the catalog has no rents (they move too fast).
    let mut unpriced: Vec<&str> = clusters
        .iter()
        .map(|c| c.accelerator.id.as_str())
        .filter(|sku| !f.gpu_hour_price_eur.contains_key(*sku))
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
                "`{sku} = …` (EUR per GPU-hour at the start) in `finance.gpu_hour_price_eur`"
            ))
            .hint("a figure or a distribution; REFERENCE-DATA 2.4 lists observed rents");
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
    for c in clusters {
        if c.accelerator.price_per_gpu.is_none() {
            let path = match c.refresh_of {
                Some(o) => path!(
                    "clusters",
                    ctx_cluster_index(ctx, &clusters[o.index()].id),
                    "refresh",
                    "sku"
                ),
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
    if !ok {
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
        spot_share,
        spot_price_ratio,
        price_decline_per_year: decline,
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
