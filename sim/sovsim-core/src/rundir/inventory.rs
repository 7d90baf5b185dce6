//! The directory of `sovsim inventory`: the resolved buildout of a scenario — what every site,
//! hall, power asset and cluster is once catalog defaults and overrides are applied, and the
//! headline sizes and costs that follow directly from it (no simulation).

use serde::Serialize;

use super::Contents;
use super::table::{Table, Values, tidy};
use crate::catalog::Cooling;
use crate::model::{Cluster, Scenario};

/// Headline figures, flat keys with units in the names.
#[derive(Serialize)]
struct Summary {
    scenario_name: String,
    sites_count: usize,
    clusters_count: usize,
    gpus_total: u64,
    refresh_gpus_total: u64,
    hall_it_capacity_mw: f64,
    cluster_it_power_mw: f64,
    cluster_facility_power_mw: f64,
    supply_capacity_mw: f64,
    grid_capacity_mw: f64,
    onsite_power_capacity_mw: f64,
    land_area_ha: f64,
    land_cost_eur: f64,
    capex_gpus_eur: Option<f64>,
    capex_refresh_gpus_eur: Option<f64>,
    capex_halls_eur: Option<f64>,
    capex_power_eur: Option<f64>,
}

/// The inventory's `summary.json` and tables.
pub fn contents(scenario: &Scenario) -> Contents {
    let mut tables = Vec::new();

    let site_name = |i: usize| scenario.sites[i].id.clone();
    let sites = Table::new()
        .column(
            "site",
            Values::Text(scenario.sites.iter().map(|s| s.id.clone()).collect()),
        )
        .column(
            "country",
            Values::Text(
                scenario
                    .sites
                    .iter()
                    .map(|s| s.country.code.clone())
                    .collect(),
            ),
        )
        .column(
            "area_ha",
            Values::F64(scenario.sites.iter().map(|s| s.area_ha).collect()),
        )
        .column(
            "land_cost_eur",
            Values::F64(scenario.sites.iter().map(|s| s.land_cost.0).collect()),
        )
        .column(
            "max_it_mw",
            Values::F64(scenario.sites.iter().map(|s| s.max_it.0).collect()),
        )
        .column(
            "permit_months_p50",
            Values::F64(
                scenario
                    .sites
                    .iter()
                    .map(|s| s.permit_months.dist.median())
                    .collect(),
            ),
        );
    tables.push(("inventory_sites", sites));

    let halls = &scenario.shells;
    let shells = Table::new()
        .column(
            "shell",
            Values::Text(halls.iter().map(|h| h.id.clone()).collect()),
        )
        .column(
            "site",
            Values::Text(halls.iter().map(|h| site_name(h.site.index())).collect()),
        )
        .column(
            "type",
            Values::Text(halls.iter().map(|h| h.kind.id.clone()).collect()),
        )
        .column(
            "cooling",
            Values::Text(
                halls
                    .iter()
                    .map(|h| cooling(h.kind.cooling).to_owned())
                    .collect(),
            ),
        )
        .column(
            "phases",
            Values::U64(halls.iter().map(|h| h.phases.len() as u64).collect()),
        )
        .column(
            "it_mw",
            Values::F64(halls.iter().map(|h| h.it().0).collect()),
        )
        .column(
            "pue",
            Values::F64(halls.iter().map(|h| h.kind.pue).collect()),
        )
        .column(
            "capex_per_mw",
            Values::F64(halls.iter().map(|h| h.kind.capex_per_mw).collect()),
        )
        .column(
            "currency",
            Values::Text(halls.iter().map(|h| h.kind.currency.clone()).collect()),
        )
        .column(
            "overridden_fields",
            Values::Text(halls.iter().map(|h| h.overridden.join(";")).collect()),
        )
        .column(
            "source",
            Values::Text(halls.iter().map(|h| h.kind.source.clone()).collect()),
        );
    tables.push(("inventory_shells", shells));

    let assets = &scenario.power_assets;
    let power = Table::new()
        .column(
            "asset",
            Values::Text(assets.iter().map(|a| a.id.clone()).collect()),
        )
        .column(
            "site",
            Values::Text(assets.iter().map(|a| site_name(a.site.index())).collect()),
        )
        .column(
            "tech",
            Values::Text(assets.iter().map(|a| a.tech.id.clone()).collect()),
        )
        .column(
            "capacity_mw",
            Values::F64(assets.iter().map(|a| a.capacity.0).collect()),
        )
        .column(
            "build_months_p50",
            Values::F64(
                assets
                    .iter()
                    .map(|a| a.build_months.dist.median())
                    .collect(),
            ),
        )
        .column(
            "overridden_fields",
            Values::Text(assets.iter().map(|a| a.overridden.join(";")).collect()),
        )
        .column(
            "source",
            Values::Text(assets.iter().map(|a| a.tech.source.clone()).collect()),
        );
    tables.push(("inventory_power", power));

    let cl = &scenario.clusters;
    let pue = |c: &crate::model::Cluster| scenario.shells[c.shell.index()].kind.pue;
    let clusters = Table::new()
        .column(
            "cluster",
            Values::Text(cl.iter().map(|c| c.id.clone()).collect()),
        )
        .column(
            "site",
            Values::Text(cl.iter().map(|c| site_name(c.site.index())).collect()),
        )
        .column(
            "shell",
            Values::Text(
                cl.iter()
                    .map(|c| scenario.shells[c.shell.index()].id.clone())
                    .collect(),
            ),
        )
        .column(
            "operator",
            Values::Text(
                cl.iter()
                    .map(|c| scenario.operators[c.operator.index()].id.clone())
                    .collect(),
            ),
        )
        .column(
            "sku",
            Values::Text(cl.iter().map(|c| c.accelerator.id.clone()).collect()),
        )
        .column("gpus", Values::U64(cl.iter().map(|c| c.gpus).collect()))
        .column(
            "all_in_power_kw",
            Values::F64(cl.iter().map(|c| c.accelerator.all_in_power_kw).collect()),
        )
        .column(
            "it_power_mw",
            Values::F64(cl.iter().map(|c| c.it_power().0).collect()),
        )
        .column(
            "facility_power_mw",
            Values::F64(cl.iter().map(|c| c.it_power().0 * pue(c)).collect()),
        )
        .column(
            "order_date",
            Values::Text(cl.iter().map(|c| c.order_date.to_string()).collect()),
        )
        .column(
            "lead_time_months_p50",
            Values::F64(
                cl.iter()
                    .map(|c| c.lead_time_months.dist.median())
                    .collect(),
            ),
        )
        .column(
            "refresh_of",
            Values::OptText(
                cl.iter()
                    .map(|c| c.refresh_of.map(|o| cl[o.index()].id.clone()))
                    .collect(),
            ),
        )
        .column(
            "overridden_fields",
            Values::Text(cl.iter().map(|c| c.overridden.join(";")).collect()),
        )
        .column(
            "source",
            Values::Text(cl.iter().map(|c| c.accelerator.source.clone()).collect()),
        );
    tables.push(("inventory_clusters", clusters));

    let sum = |xs: Vec<Option<f64>>| xs.into_iter().sum::<Option<f64>>().map(tidy);
    // Refreshes replace GPUs as they retire: totals describe the buildout the scenario orders
    // (a reinvestment rule's clusters hold nothing until the simulation orders from cash).
    let own: Vec<&Cluster> = cl.iter().filter(|c| c.planned()).collect();
    let refreshes: Vec<&Cluster> = cl.iter().filter(|c| c.refresh_of.is_some()).collect();
    let gpu_capex = |clusters: &[&Cluster]| -> Option<f64> {
        sum(clusters
            .iter()
            .map(|c| c.price_eur_per_gpu.map(|p| p * c.gpus as f64))
            .collect())
    };
    let grid_capacity_mw: f64 = scenario.grid_connections.iter().map(|g| g.capacity.0).sum();
    let onsite_power_capacity_mw: f64 = assets.iter().map(|a| a.capacity.0).sum();
    let summary = Summary {
        scenario_name: scenario.meta.name.clone(),
        sites_count: scenario.sites.len(),
        clusters_count: own.len(),
        gpus_total: own.iter().map(|c| c.gpus).sum(),
        refresh_gpus_total: refreshes.iter().map(|c| c.gpus).sum(),
        hall_it_capacity_mw: tidy(halls.iter().map(|h| h.it().0).sum()),
        cluster_it_power_mw: tidy(own.iter().map(|c| c.it_power().0).sum()),
        cluster_facility_power_mw: tidy(own.iter().map(|c| c.it_power().0 * pue(c)).sum()),
        supply_capacity_mw: tidy(grid_capacity_mw + onsite_power_capacity_mw),
        grid_capacity_mw: tidy(grid_capacity_mw),
        onsite_power_capacity_mw: tidy(onsite_power_capacity_mw),
        land_area_ha: tidy(scenario.sites.iter().map(|s| s.area_ha).sum()),
        land_cost_eur: tidy(scenario.sites.iter().map(|s| s.land_cost.0).sum()),
        capex_gpus_eur: gpu_capex(&own),
        capex_refresh_gpus_eur: gpu_capex(&refreshes),
        capex_halls_eur: sum(halls
            .iter()
            .map(|h| h.capex_eur_per_mw.map(|c| c * h.it().0))
            .collect()),
        capex_power_eur: sum(assets
            .iter()
            .map(|a| match (a.capex_eur_per_kw, a.tech.capex_per_kw) {
                (Some(c), _) => Some(c * a.capacity.0 * 1000.0),
                // A contract (no capex in the catalog) costs nothing to build.
                (None, None) => Some(0.0),
                (None, Some(_)) => None,
            })
            .collect()),
    };
    Contents {
        json: vec![("summary.json", super::json_text(&summary))],
        tables,
    }
}

fn cooling(c: Cooling) -> &'static str {
    match c {
        Cooling::Air => "air",
        Cooling::Liquid => "liquid",
    }
}
