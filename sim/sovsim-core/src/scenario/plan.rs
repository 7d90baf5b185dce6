//! A plan written back as a scenario file: the optimiser's sizes and dates applied to the merged
//! scenario it started from, so that `sovsim run` simulates the plan under uncertainty.
//!
//! The file stands alone (no `extends`, `apply` or named overrides: they were already applied).
//! Everything the plan does not decide — operators, tiers, models, demand, dispatch, finance,
//! uncertainty, and the distributions of every duration — is copied unchanged, so the simulation
//! of the plan draws its durations from the same distributions the optimiser took medians or
//! quantiles of. Sites not acquired are dropped with everything on them.

use std::collections::{BTreeMap, BTreeSet};

use super::wire::{self, ScenarioFile};
use crate::units::Date;

/// The merged file a valid scenario came from (opaque outside the scenario module).
#[derive(Debug)]
pub struct Resolved(pub(super) ScenarioFile);

/// What a plan decides, by entity id.
#[derive(Clone, Debug, Default)]
pub struct PlanEdits {
    /// Name of the plan scenario.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Sites acquired; every other site is dropped with its connections, assets, halls and clusters.
    pub sites: BTreeSet<String>,
    /// Entities kept exactly as the scenario states them (committed).
    pub committed: BTreeSet<String>,
    /// Grid connection id → capacity [MW]; connections not listed are dropped.
    pub grid_mw: BTreeMap<String, f64>,
    /// Power asset id → (capacity [MW], construction start); assets not listed are dropped.
    pub power: BTreeMap<String, (f64, Date)>,
    /// Hall id → phases (IT [MW], construction start); halls not listed are dropped.
    pub shells: BTreeMap<String, Vec<(f64, Date)>>,
    /// GPU orders; each copies the cluster it was planned from, which is dropped unless committed.
    pub clusters: Vec<PlannedCluster>,
}

/// One GPU order of a plan.
#[derive(Clone, Debug)]
pub struct PlannedCluster {
    /// Id of the scenario cluster whose operator, SKU, durations and overrides the order takes.
    pub template: String,
    /// Id of the new cluster.
    pub id: String,
    /// Hall it is installed in.
    pub shell: String,
    /// GPUs ordered.
    pub gpus: u64,
    /// Order date.
    pub order_date: Date,
}

fn datetime(d: Date) -> toml::value::Datetime {
    toml::value::Datetime {
        date: Some(toml::value::Date {
            year: d.year as u16,
            month: d.month,
            day: d.day,
        }),
        time: None,
        offset: None,
    }
}

impl Resolved {
    /// The plan as the text of a scenario file, `header` (comment lines) first.
    ///
    /// # Errors
    /// A template cluster named by the plan is not in the scenario, or TOML serialisation failed.
    pub fn plan_file(&self, edits: &PlanEdits, header: &str) -> Result<String, String> {
        let src = &self.0;
        // Serialise and read back: a deep copy of the wire file without deriving Clone on it.
        let text = toml::to_string(src).map_err(|e| e.to_string())?;
        let mut f: ScenarioFile = toml::from_str(&text).map_err(|e| e.to_string())?;
        f.extends = None;
        f.apply = None;
        f.overrides = None;
        f.optimize = None;
        f.scenario.name = edits.name.clone();
        f.scenario.description = Some(edits.description.clone());
        let kept = |id: &str| edits.committed.contains(id);
        f.sites.retain(|s| edits.sites.contains(&s.id));
        f.grid_connections.retain_mut(|g| {
            if kept(&g.id) {
                return edits.sites.contains(&g.site);
            }
            match edits.grid_mw.get(&g.id) {
                Some(&mw) if mw > 0.0 => {
                    g.capacity_mw = mw;
                    true
                }
                _ => false,
            }
        });
        f.power_assets.retain_mut(|a| {
            if kept(&a.id) {
                return edits.sites.contains(&a.site);
            }
            match edits.power.get(&a.id) {
                Some(&(mw, start)) if mw > 0.0 => {
                    a.capacity_mw = mw;
                    a.start_date = Some(datetime(start));
                    true
                }
                _ => false,
            }
        });
        f.shells.retain_mut(|h| {
            if kept(&h.id) {
                return edits.sites.contains(&h.site);
            }
            let Some(phases) = edits.shells.get(&h.id).filter(|p| !p.is_empty()) else {
                return false;
            };
            // Every planned phase takes the first stated phase's construction time.
            let build = h.phases.first().and_then(|p| p.build_months.clone());
            h.phases = phases
                .iter()
                .map(|&(it_mw, start)| wire::ShellPhase {
                    it_mw,
                    start_date: Some(datetime(start)),
                    build_months: build.clone(),
                })
                .collect();
            true
        });
        let halls: BTreeSet<String> = f.shells.iter().map(|h| h.id.clone()).collect();
        let mut planned = Vec::new();
        for order in &edits.clusters {
            let template = src
                .clusters
                .iter()
                .find(|c| c.id == order.template)
                .ok_or_else(|| format!("no cluster `{}` to plan from", order.template))?;
            let text = toml::to_string(template).map_err(|e| e.to_string())?;
            let mut c: wire::Cluster = toml::from_str(&text).map_err(|e| e.to_string())?;
            c.id = order.id.clone();
            c.shell = order.shell.clone();
            c.gpus = order.gpus;
            c.order_date = datetime(order.order_date);
            // The plan retires and replaces GPUs itself, period by period.
            c.refresh = None;
            planned.push(c);
        }
        f.clusters
            .retain(|c| kept(&c.id) && halls.contains(&c.shell));
        // Contracts follow their GPUs: a cluster the plan replaced by orders becomes those orders
        // (their terms start as each is energised); a contract left with no GPUs is dropped, and
        // one stating more GPUs than the plan orders sells what it orders.
        for c in &mut f.contracts {
            let mut clusters = Vec::new();
            for id in &c.clusters {
                if f.clusters.iter().any(|x| x.id == *id) {
                    clusters.push(id.clone());
                }
                clusters.extend(
                    planned
                        .iter()
                        .zip(&edits.clusters)
                        .filter(|(_, order)| order.template == *id)
                        .map(|(p, _)| p.id.clone()),
                );
            }
            c.clusters = clusters;
        }
        f.clusters.extend(planned);
        let clusters = &f.clusters;
        f.contracts.retain_mut(|c| {
            let held: u64 = clusters
                .iter()
                .filter(|x| match &c.sku {
                    Some(sku) => x.sku == *sku,
                    None => c.clusters.contains(&x.id),
                })
                .map(|x| x.gpus)
                .sum();
            if let Some(g) = &mut c.gpus {
                *g = (*g).min(held);
            }
            held > 0 && c.gpus != Some(0)
        });
        let body = toml::to_string(&f).map_err(|e| e.to_string())?;
        Ok(format!("{header}{body}"))
    }
}
