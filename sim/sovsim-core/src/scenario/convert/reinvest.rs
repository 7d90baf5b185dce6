//! Reinvestment rules: whose cash, what share of which basis, the SKU bought and the halls it may
//! fill; and the clusters their orders go to, one per rule and hall, each as large as the room the
//! planned build leaves there.

use super::clusters::{GivenTimes, gpu_times, h100e_per_gpu};
use super::ctx::*;

/// The rules, with their clusters appended to `clusters` (after every planned cluster and refresh).
pub(super) fn convert_reinvestments(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    supply: (&[Option<m::Site>], &[m::GridConnection], &[m::PowerAsset]),
    shells: &[Option<m::Shell>],
    clusters: &mut Vec<m::Cluster>,
) -> Vec<m::Reinvestment> {
    let (sites, grid, power) = supply;
    let rules = &file.reinvestments;
    if rules.is_empty() {
        return Vec::new();
    }
    ctx.unique_ids("reinvestments", rules.iter().map(|r| r.id.as_str()));
    if file.finance.is_none() {
        let d = ctx.error(
            "reinvestment-without-finance",
            &path!("reinvestments", 0, "id"),
            "a reinvestment rule spends operating cash, and this scenario has no `[finance]` to earn it",
        );
        *d = d
            .clone()
            .expected("a `[finance]` section")
            .hint("or remove `[[reinvestments]]`: without finance the buildout is as planned");
    }
    // Room is known only when every hall converted; an error elsewhere already stops the run.
    let halls: Option<Vec<m::Shell>> = shells.iter().cloned().collect();
    let room = halls
        .as_ref()
        .map(|h| m::Room::left(sites.len(), h, grid, power, clusters));
    let shell_ids: Vec<&str> = file.shells.iter().map(|s| s.id.as_str()).collect();
    let operator_ids: Vec<&str> = file.operators.iter().map(|o| o.id.as_str()).collect();
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let at = |k: &str| path!("reinvestments", i, k);
        let operator = ctx.reference(&at("operator"), &r.operator, "operators", &operator_ids);
        let share = ctx.fraction(&at("share"), r.share);
        if r.min_order_gpus == 0 {
            let d = ctx.error(
                "zero",
                &at("min_order_gpus"),
                format!("reinvestment `{}` would order zero GPUs", r.id),
            );
            *d = d
                .clone()
                .expected("one GPU or more")
                .hint("GPUs are bought by the rack or the pod: e.g. 72 for an NVL72 rack");
        }
        if r.halls.is_empty() {
            let d = ctx.error(
                "empty",
                &at("halls"),
                format!("reinvestment `{}` names no hall to put GPUs in", r.id),
            );
            *d = d
                .clone()
                .expected("one hall id or more")
                .hint("name halls with phases the planned clusters do not fill");
        }
        let catalog = ctx.catalog;
        let Some(sku) = ctx.catalog_ref(
            &at("sku"),
            &r.sku,
            "accelerators",
            &catalog.accelerators,
            |a| a.id.as_str(),
        ) else {
            continue;
        };
        let (accelerator, overridden) =
            ctx.apply_overrides(&path!("reinvestments", i), sku, r.overrides.as_ref());
        if accelerator.price_per_gpu.is_none() {
            let d = ctx.error(
                "missing-catalog-value",
                &at("sku"),
                format!("the catalog has no price for `{}`", accelerator.id),
            );
            *d = d.clone().expected("`overrides = { price_per_gpu = … }` in this reinvestment").hint("the rule buys as many GPUs as its cash pays for; state a price and mark it as an estimate");
        }
        if accelerator.all_in_power_kw <= 0.0 || !accelerator.all_in_power_kw.is_finite() {
            let d = ctx.error(
                "zero",
                &path!("reinvestments", i, "overrides", "all_in_power_kw"),
                "all-in power per GPU must be above zero",
            );
            *d = d.clone().expected("kW per GPU above zero");
            continue;
        }
        let (lead, install, life, repair) = gpu_times(
            ctx,
            &path!("reinvestments", i),
            GivenTimes {
                lead_time_months: r.lead_time_months.as_ref(),
                install_months: r.install_months.as_ref(),
                useful_life_years: r.useful_life_years,
                repair_days: r.repair_days.as_ref(),
            },
            &accelerator,
            "reinvestment",
        );
        let rule = out.len();
        let mut fills = Vec::new();
        for (k, hall_id) in r.halls.iter().enumerate() {
            let path = path!("reinvestments", i, "halls", k);
            let Some(h) = ctx.reference(&path, hall_id, "shells", &shell_ids) else {
                continue;
            };
            let Some(hall) = shells.get(h).and_then(Option::as_ref) else {
                continue;
            };
            if accelerator.cooling == Cooling::Liquid && hall.kind.cooling == Cooling::Air {
                let d = ctx.error(
                    "cooling-mismatch",
                    &path,
                    format!(
                        "`{}` needs liquid cooling but hall `{}` is air-cooled (`{}`)",
                        accelerator.id, hall.id, hall.kind.id
                    ),
                );
                *d = d
                    .clone()
                    .expected("a hall whose type has `cooling = liquid`")
                    .hint("name a liquid-cooled hall, or buy an air-cooled SKU");
                continue;
            }
            let (Some(operator), Some(lead), Some(install), Some(life), Some(repair)) =
                (operator, &lead, &install, life, &repair)
            else {
                continue;
            };
            let mut cluster = m::Cluster {
                // Numbered with the others (`number_skus`); priced in EUR with the finance section.
                sku: m::SkuId(0),
                price_eur_per_gpu: None,
                id: format!("{}@{}", r.id, hall.id),
                shell: m::ShellId(h as u32),
                site: hall.site,
                operator: m::OperatorId(operator as u32),
                failure_rate_per_gpu_day: accelerator.failure_rate_per_gpu_day.unwrap_or(0.0),
                repair_days: repair.clone(),
                h100e_per_gpu: h100e_per_gpu(ctx, &accelerator),
                refresh_of: None,
                reinvested_by: Some(rule),
                accelerator: accelerator.clone(),
                gpus: 0,
                // Never ordered on a date: the rule orders as its cash allows.
                order_date: ctx.start,
                lead_time_months: lead.clone(),
                install_months: install.clone(),
                useful_life_years: life,
                resale: m::Resale::Retention {
                    per_year: ctx.default("gpu_resale_retention_per_year"),
                },
                overridden: overridden.clone(),
            };
            if let (Some(room), Some(halls)) = (&room, &halls) {
                cluster.gpus = room.gpus_for(halls, &cluster);
                if cluster.gpus == 0 {
                    let d = ctx.warning(
                        "no-room",
                        &path,
                        format!(
                            "hall `{}` has no room left for `{}` once the planned clusters are in (IT {:.1} MW free, its site's firm power {:.1} MW free)",
                            hall.id,
                            accelerator.id,
                            room.hall_it_mw[h].max(0.0),
                            room.site_firm_mw[hall.site.index()].max(0.0)
                        ),
                    );
                    *d = d.clone().expected("a hall with IT capacity and firm power to spare").hint(
                        "add a phase to the hall or firm power to its site, or name another hall",
                    );
                }
            }
            fills.push(m::ClusterId(clusters.len() as u32));
            clusters.push(cluster);
        }
        if let (Some(operator), Some(share)) = (operator, share) {
            out.push(m::Reinvestment {
                id: r.id.clone(),
                operator: m::OperatorId(operator as u32),
                basis: r.basis,
                share,
                min_order_gpus: r.min_order_gpus,
                clusters: fills,
            });
        }
    }
    out
}
