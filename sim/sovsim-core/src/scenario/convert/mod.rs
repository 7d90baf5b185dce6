//! Conversion of the wire structs into the domain model, with every semantic check: references,
//! catalog ids and overrides, quantities, dates, distributions, ownership, cooling, power and
//! correlation. Problems are collected; a scenario is returned only if there were none.
//!
//! One file per section of the scenario format; `ctx.rs` holds the checks they share.

// `path!` builds a Vec because most paths are extended with `concat`; borrowing one as a slice is fine.
#![allow(clippy::useless_vec)]

macro_rules! path {
    ($($seg:expr),* $(,)?) => { vec![$(Seg::from($seg)),*] };
}

mod clusters;
mod contracts;
mod ctx;
mod defence;
mod demand;
mod finance;
mod levers;
mod meta;
mod offers;
mod reinvest;
mod sites;
mod sovereignty;

use clusters::{check_capacity, convert_clusters, convert_supply_shocks, number_skus};
pub use ctx::Removed;
use ctx::*;
use defence::convert_defences;
use demand::{convert_demand, convert_dispatch, convert_models};
use finance::convert_finance;
use levers::{convert_cases, convert_optimize, convert_sensitivity};
use meta::{convert_meta, convert_uncertainty};
use offers::convert_offers;
use reinvest::convert_reinvestments;
use sites::{convert_grid, convert_power, convert_shells, convert_sites};
use sovereignty::{convert_framework, convert_operators, convert_tiers};

/// Converts and checks; returns the scenario only if no error was found.
pub fn convert(
    file: &wire::ScenarioFile,
    root: &Node<'_>,
    catalog: &Catalog,
    removed: &Removed<'_>,
    out: &mut Vec<Diagnostic>,
) -> Option<m::Scenario> {
    let errors_before = out.iter().filter(|d| d.is_error()).count();
    let mut ctx = Ctx {
        root,
        catalog,
        out,
        start: Date {
            year: 2000,
            month: 1,
            day: 1,
        },
        end: Date {
            year: 9999,
            month: 12,
            day: 31,
        },
        factors: Vec::new(),
        discarded: Diagnostic::error("discarded", ""),
        removed,
        defaults_used: Default::default(),
    };
    let meta = convert_meta(&mut ctx, &file.scenario);
    if let Some(meta) = &meta {
        ctx.start = meta.start_date;
        ctx.end = meta.end_date();
    }
    let uncertainty = convert_uncertainty(&mut ctx, file.uncertainty.as_ref());
    let operators = convert_operators(&mut ctx, &file.operators);
    let sites = convert_sites(&mut ctx, &file.sites);
    let site_ids: Vec<&str> = file.sites.iter().map(|s| s.id.as_str()).collect();
    let rates = file.finance.as_ref().map(|f| &f.eur_per_currency);
    let grid = convert_grid(&mut ctx, &file.grid_connections, &site_ids, &sites, rates);
    let power = convert_power(&mut ctx, &file.power_assets, &site_ids);
    let shells = convert_shells(&mut ctx, &file.shells, &site_ids);
    let mut clusters = convert_clusters(&mut ctx, file, &shells);
    let reinvestments = convert_reinvestments(
        &mut ctx,
        file,
        (&sites, &grid, &power),
        &shells,
        &mut clusters,
    );
    let skus = number_skus(&mut clusters);
    let cloud_offers = convert_offers(&mut ctx, file, &skus);
    let framework = convert_framework(&mut ctx);
    let tiers = convert_tiers(&mut ctx, &file.tiers, &framework);
    let models = convert_models(&mut ctx, &file.models);
    let (training, inference) = convert_demand(&mut ctx, file, &models);
    let tier_ids: Vec<&str> = file.tiers.iter().map(|t| t.id.as_str()).collect();
    let demanded: Vec<bool> = (0..tier_ids.len())
        .map(|t| inference.iter().any(|d| d.tier.index() == t))
        .collect();
    let defences = convert_defences(&mut ctx, &file.defences, &tier_ids, &demanded);
    let dispatch = convert_dispatch(&mut ctx, file, &clusters, &models, &inference);
    let finance = file
        .finance
        .as_ref()
        .and_then(|f| convert_finance(&mut ctx, file, f, &clusters, &skus, &power, &shells));
    if file.finance.is_none() && !file.contracts.is_empty() {
        let d = ctx.error(
            "contracts-without-finance",
            &path!("contracts", 0, "id"),
            "contracts are priced by the financial model, and this scenario has no `[finance]`",
        );
        *d = d.clone().expected("a `[finance]` section").hint(
            "or remove `[[contracts]]`: a scenario without finance simulates the buildout only",
        );
    }
    // Refreshes replace the GPUs of the cluster they follow, so they take no capacity of their own.
    let originals = clusters.iter().filter(|c| c.planned()).count();
    check_capacity(
        &mut ctx,
        file,
        &sites,
        &grid,
        &power,
        &shells,
        &clusters[..originals],
    );
    let supply_shocks = convert_supply_shocks(&mut ctx, &file.supply_shocks);
    let optimize = convert_optimize(&mut ctx, file, meta.as_ref(), &tiers);
    let sensitivity = convert_sensitivity(&mut ctx, file);
    let cases = convert_cases(&mut ctx, file);

    let errors_after = ctx.out.iter().filter(|d| d.is_error()).count();
    if errors_after > errors_before {
        return None;
    }
    let mut scenario = m::Scenario {
        meta: meta?,
        operators,
        sites: sites.into_iter().collect::<Option<Vec<_>>>()?,
        grid_connections: grid,
        power_assets: power,
        shells: shells.into_iter().collect::<Option<Vec<_>>>()?,
        clusters,
        skus,
        supply_shocks,
        tiers,
        eu_members: catalog
            .countries
            .iter()
            .filter(|c| c.eu_member)
            .map(|c| c.code.clone())
            .collect(),
        framework,
        models,
        training,
        inference,
        dispatch,
        finance,
        uncertainty,
        defaults_used: ctx.defaults_used.take().into_iter().collect(),
        stated: Vec::new(),
        optimize,
        reinvestments,
        defences,
        cloud_offers,
        sensitivity,
        cases,
    };
    scenario.price_in_eur();
    scenario.apply_grid_access();
    // Every id was checked when `[optimize]` was converted.
    scenario.optimize.committed = file
        .optimize
        .iter()
        .flat_map(|o| &o.committed)
        .filter_map(|id| scenario.committable(id))
        .collect();
    Some(scenario)
}
