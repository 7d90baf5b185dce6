//! Monte Carlo aggregation: P10/P50/P90 of every monthly series, milestone and delay over
//! replications, in memory that does not grow with the number of replications.
//!
//! Each quantity is summarised by a [`Quantiles`] sketch of at most [`SKETCH_CAPACITY`] weighted
//! values, fed in replication order so that results do not depend on threads. Up to that many
//! replications the percentiles are exact; beyond, the sketch halves itself by merging neighbours,
//! so every reported value is one that some replication produced (a fleet of 100,000 GPUs never
//! has a P10 of 2.1 GPUs), with a rank error that stays a fraction of a percent.

use rayon::prelude::*;

use super::buildout::{Layout, Replication, SiteState, WaitCause, Waits};
pub use super::quantiles::{Quantiles, SKETCH_CAPACITY};
use super::replicate::Percentiles;
use super::time::{HOURS_PER_MONTH, SimTime};
use crate::model::Scenario;

/// Values, at 8 bytes each, the sketches of every site's monthly series may hold together (512 MB),
/// at the most replications a run accepts: a continent's sites share it, while a scenario of a
/// few dozen sites keeps the region's size ([`SKETCH_CAPACITY`]) everywhere. The region's own
/// series, milestones, delays and totals keep that size whatever the number of sites: they are
/// what the report and summary read.
pub const SITE_SKETCH_VALUES: usize = 64_000_000;

/// Smallest top-level size a site's sketch gets, however many sites share the budget: below it the
/// rank error would exceed the Monte Carlo error of a P50 over 1,000 replications (±1.6 % of rank),
/// so memory grows past the budget instead (beyond ~240 sites like `europe-200-sites`': sixteen
/// series each over twelve years).
pub const MIN_SITE_SKETCH: usize = 48;

/// Most replications a run accepts: a million replications of the EU scenario take hours on a
/// laptop; beyond that a sweep on a cluster is the tool.
pub const MAX_RUNS: u64 = 1_000_000;

/// Replications considered when choosing the representative one (the first ones, in order).
const REPRESENTATIVE_CANDIDATES: usize = 1024;

/// Per-site series: name (with unit) and meaning; energy and emissions are over the month ending
/// at the row's date.
pub const SITE_SERIES: [(&str, &str); 11] = [
    (
        "firm_power_mw",
        "firm power available: grid + dispatchable on-site × availability",
    ),
    ("shell_it_mw", "IT capacity of completed hall phases"),
    (
        "it_online_mw",
        "IT capacity of energised GPUs (working or in repair)",
    ),
    ("it_load_mw", "IT load of working GPUs at all-in power"),
    ("facility_load_mw", "IT load × PUE"),
    ("gpus_installed", "GPUs installed and not retired"),
    ("gpus_operational", "GPUs energised and working"),
    ("gpus_in_repair", "GPUs failed and not yet repaired"),
    (
        "gpus_curtailed",
        "GPUs powered down while an on-site plant is out",
    ),
    ("energy_mwh", "facility energy used in the month"),
    (
        "emissions_tco2",
        "emissions of that energy (grid: location-based; on-site: direct)",
    ),
];

/// A series of [`SITE_SERIES`] by name: a typo is a compile error, not a column of zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteSeries(usize);

impl SiteSeries {
    /// `it_online_mw`.
    pub const IT_ONLINE_MW: SiteSeries = SiteSeries(2);
    /// `gpus_installed`.
    pub const GPUS_INSTALLED: SiteSeries = SiteSeries(5);
    /// `gpus_operational`.
    pub const GPUS_OPERATIONAL: SiteSeries = SiteSeries(6);

    /// Its name in [`SITE_SERIES`] (and its table columns).
    pub fn name(self) -> &'static str {
        SITE_SERIES[self.0].0
    }
}

/// Per-site, per-source series.
pub const SOURCE_SERIES: [(&str, &str); 2] = [
    (
        "available_mw",
        "connected grid capacity, dispatchable capacity × availability, or weather-driven capacity × capacity factor",
    ),
    (
        "energy_mwh",
        "energy delivered to the facility in the month",
    ),
];

/// Per-site, per-SKU series.
pub const SKU_SERIES: [(&str, &str); 3] = [
    ("gpus_installed", "GPUs installed and not retired"),
    ("gpus_operational", "GPUs energised and working"),
    ("gpus_in_repair", "GPUs failed and not yet repaired"),
];

/// Percentiles of milestone times from a sketch where "not reached" is stored as +∞.
fn time_percentiles(q: &Quantiles) -> Percentiles {
    let [p10, p50, p90] = q
        .quantiles([0.1, 0.5, 0.9])
        .map(|v| v.filter(|v| v.is_finite()).map(|v| SimTime(v as i64)));
    Percentiles { p10, p50, p90 }
}

/// A milestone's percentiles; `site` is `None` for the region.
#[derive(Clone, Debug, PartialEq)]
pub struct MilestoneSummary {
    /// Site index, or `None` for the region.
    pub site: Option<usize>,
    /// `first_power`, `first_gpu`, `gw_1`, `gw_2`, …, `full_capacity`.
    pub name: String,
    /// Over replications.
    pub percentiles: Percentiles,
}

/// How late a site's GPUs came online, on average per GPU, for one cause (or all).
#[derive(Clone, Debug, PartialEq)]
pub struct DelaySummary {
    /// Site index.
    pub site: usize,
    /// The cause, or `None` for the total.
    pub cause: Option<WaitCause>,
    /// Mean over replications [months]; means of causes add up to the mean total.
    pub mean_months: f64,
    /// P10, P50, P90 over replications [months].
    pub quantiles_months: [f64; 3],
}

/// Milestone times of one replication, in the order of `Aggregate::milestone_names`.
type MilestoneTimes = Vec<Option<SimTime>>;

/// The running aggregate of replications.
pub struct Aggregate {
    /// The scenario's sources and SKUs.
    pub layout: Layout,
    months: usize,
    sites: usize,
    site_gpus: Vec<u64>,
    cluster_sites: Vec<usize>,
    gw_milestones: usize,
    cells: Vec<Quantiles>,
    width: usize,
    /// Top-level size of a site cell's sketch (the region's is [`SKETCH_CAPACITY`]).
    site_sketch: usize,
    /// Per site, per cell of a place: whether it can vary (and so counts in the budget).
    varying: Vec<Vec<bool>>,
    /// Site cells, over every month, that can vary.
    varying_cells: usize,
    milestones: Vec<Quantiles>,
    /// Region milestones of the first replications, to pick the representative one.
    candidates: Vec<MilestoneTimes>,
    delay_sums: Vec<f64>,
    delay_quantiles: Vec<Quantiles>,
    end_energy_twh: Quantiles,
    end_emissions_mt: Quantiles,
    runs: u64,
}

impl Aggregate {
    /// An empty aggregate for replications of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let layout = Layout::of(scenario);
        let sites = scenario.sites.len();
        let months = scenario.meta.horizon_years as usize * 12;
        let width = SITE_SERIES.len()
            + SOURCE_SERIES.len() * layout.sources.len()
            + SKU_SERIES.len() * layout.skus.len();
        let own = scenario.clusters.iter().filter(|c| c.planned());
        let planned_gw: f64 = own.clone().map(|c| c.it_power().0).sum::<f64>() / 1000.0;
        let mut site_gpus = vec![0; sites];
        for c in own {
            site_gpus[c.site.index()] += c.gpus;
        }
        let varying = varying_cells(scenario, &layout);
        let varying_cells = varying.iter().flatten().filter(|&&v| v).count() * (months + 1);
        let site_sketch = site_sketch_size(varying_cells);
        let place_cells = |place: usize| {
            let k = if place == sites {
                SKETCH_CAPACITY
            } else {
                site_sketch
            };
            std::iter::repeat_n(Quantiles::with_size(k), width)
        };
        let cells = (0..=months)
            .flat_map(|_| (0..=sites).flat_map(place_cells))
            .collect();
        Self {
            layout,
            months,
            sites,
            site_gpus,
            cluster_sites: scenario.clusters.iter().map(|c| c.site.index()).collect(),
            gw_milestones: (planned_gw + 1e-9).floor() as usize,
            cells,
            width,
            site_sketch,
            varying,
            varying_cells,
            milestones: Vec::new(),
            candidates: Vec::new(),
            delay_sums: vec![0.0; sites * (WaitCause::ALL.len() + 1)],
            delay_quantiles: vec![Quantiles::default(); sites * (WaitCause::ALL.len() + 1)],
            end_energy_twh: Quantiles::default(),
            end_emissions_mt: Quantiles::default(),
            runs: 0,
        }
    }

    /// Top-level size of each site's monthly sketches: [`SKETCH_CAPACITY`] unless many sites
    /// share [`SITE_SKETCH_VALUES`].
    pub fn site_sketch_size(&self) -> usize {
        self.site_sketch
    }

    /// Values the sketches of every monthly series hold now (8 bytes each).
    pub fn values_held(&self) -> usize {
        self.cells.iter().map(Quantiles::values_held).sum()
    }

    /// The most values the sites' monthly sketches can hold, at [`MAX_RUNS`] replications: their
    /// cells that can vary × [`Quantiles::max_values`]; within [`SITE_SKETCH_VALUES`] unless the
    /// sketch size is at its floor.
    pub fn site_values_bound(&self) -> usize {
        self.varying_cells * Quantiles::max_values(self.site_sketch, MAX_RUNS)
    }

    /// Site cells that hold values although the budget counts them as never varying: zero, or
    /// the memory model undercounts.
    pub fn uncounted_cells_holding_values(&self) -> usize {
        let place = |i: usize| (i / self.width) % (self.sites + 1);
        self.cells
            .iter()
            .enumerate()
            .filter(|&(i, q)| {
                let site = place(i);
                site < self.sites && !self.varying[site][i % self.width] && q.values_held() > 0
            })
            .count()
    }

    /// Replications folded in so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Months in the horizon (rows run from month 0 to this).
    pub fn months(&self) -> usize {
        self.months
    }

    /// Adds replications, in replication order.
    pub fn add_chunk(&mut self, chunk: &[Replication]) {
        let rows: Vec<Vec<f64>> = chunk.iter().map(|r| self.cell_values(r)).collect();
        // Cells are independent; each sees the chunk in replication order, whatever the threads.
        self.cells
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, q)| rows.iter().for_each(|row| q.add(row[i])));
        for r in chunk {
            self.add_scalars(r);
        }
    }

    /// Every cell's value in one replication, in cell order.
    fn cell_values(&self, r: &Replication) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.cells.len());
        let mut previous_region: Option<SiteState> = None;
        for m in 0..=self.months {
            let states = &r.monthly[m];
            let region = sum_states(states, &self.layout);
            for (site, state) in states.iter().enumerate() {
                let before = m.checked_sub(1).map(|p| &r.monthly[p][site]);
                self.push_place(&mut out, state, before);
            }
            self.push_place(&mut out, &region, previous_region.as_ref());
            previous_region = Some(region);
        }
        out
    }

    fn push_place(&self, out: &mut Vec<f64>, s: &SiteState, before: Option<&SiteState>) {
        let delta = |now: f64, then: Option<f64>| then.map_or(0.0, |t| now - t);
        out.extend([
            s.firm_power_mw,
            s.shell_it_mw,
            s.it_online_mw,
            s.it_load_mw,
            s.facility_load_mw,
            s.gpus_installed as f64,
            s.gpus_operational as f64,
            s.gpus_in_repair as f64,
            s.gpus_curtailed as f64,
            delta(s.energy_mwh, before.map(|b| b.energy_mwh)),
            delta(s.emissions_t, before.map(|b| b.emissions_t)),
        ]);
        for src in 0..self.layout.sources.len() {
            out.push(s.available_mw[src]);
            out.push(delta(
                s.energy_mwh_by_source[src],
                before.map(|b| b.energy_mwh_by_source[src]),
            ));
        }
        for sku in &s.skus {
            out.extend([
                sku.installed as f64,
                sku.operational as f64,
                sku.in_repair as f64,
            ]);
        }
    }

    fn add_scalars(&mut self, r: &Replication) {
        let times = self.milestone_times(r);
        if self.milestones.is_empty() {
            self.milestones = vec![Quantiles::default(); times.len()];
        }
        for (q, t) in self.milestones.iter_mut().zip(&times) {
            q.add(t.map_or(f64::INFINITY, |t| t.0 as f64));
        }
        if self.candidates.len() < REPRESENTATIVE_CANDIDATES {
            self.candidates.push(times);
        }
        let causes = WaitCause::ALL.len();
        let mut site_waits = vec![[0.0; 6]; self.sites];
        for (c, waits) in r.waits_gpu_hours.iter().enumerate() {
            let site = self.cluster_sites[c];
            for (total, w) in site_waits[site].iter_mut().zip(waits) {
                *total += w;
            }
        }
        for (site, waits) in site_waits.iter().enumerate() {
            let per_gpu = |w: f64| match self.site_gpus[site] {
                0 => 0.0,
                n => w / n as f64 / HOURS_PER_MONTH,
            };
            let months: Waits = waits.map(per_gpu);
            for (k, value) in months
                .iter()
                .copied()
                .chain([months.iter().sum()])
                .enumerate()
            {
                let i = site * (causes + 1) + k;
                self.delay_sums[i] += value;
                self.delay_quantiles[i].add(value);
            }
        }
        let last = r.monthly.last().map(|s| sum_states(s, &self.layout));
        let end = last.unwrap_or_default();
        self.end_energy_twh.add(end.energy_mwh / 1e6);
        self.end_emissions_mt.add(end.emissions_t / 1e6);
        self.runs += 1;
    }

    /// Names of the milestones, as `milestone_times` orders them: the region's, then each site's.
    fn milestone_keys(&self) -> Vec<(Option<usize>, String)> {
        let mut keys: Vec<(Option<usize>, String)> = vec![
            (None, "first_power".to_owned()),
            (None, "first_gpu".to_owned()),
        ];
        keys.extend((1..=self.gw_milestones).map(|g| (None, format!("gw_{g}"))));
        keys.push((None, "full_capacity".to_owned()));
        for site in 0..self.sites {
            for name in super::buildout::SITE_STAGES.iter().chain(&[
                "first_power",
                "first_gpu",
                "full_capacity",
            ]) {
                keys.push((Some(site), (*name).to_owned()));
            }
        }
        keys
    }

    fn milestone_times(&self, r: &Replication) -> MilestoneTimes {
        let mut t: MilestoneTimes = vec![
            r.first_power.iter().flatten().min().copied(),
            r.first_gpu.iter().flatten().min().copied(),
        ];
        t.extend((0..self.gw_milestones).map(|g| r.gw_reached.get(g).copied()));
        t.push(r.full_capacity);
        for (site, stage) in r.stages.iter().enumerate() {
            t.extend(stage);
            t.extend([
                r.first_power[site],
                r.first_gpu[site],
                r.site_full_capacity[site],
            ]);
        }
        t
    }

    /// Percentiles of every milestone: the region's (first power, first GPU, each whole GW of IT
    /// online the scenario plans, full capacity), then each site's.
    pub fn milestones(&self) -> Vec<MilestoneSummary> {
        self.milestone_keys()
            .into_iter()
            .enumerate()
            .map(|(k, (site, name))| MilestoneSummary {
                site,
                name,
                percentiles: self
                    .milestones
                    .get(k)
                    .map(time_percentiles)
                    .unwrap_or(Percentiles {
                        p10: None,
                        p50: None,
                        p90: None,
                    }),
            })
            .collect()
    }

    /// The replication closest to the median one: least total distance of its region milestones
    /// from their P50 (unreached counts as the end of the horizon), among the first
    /// replications; the first such on ties.
    pub fn representative(&self) -> u64 {
        let keys = self.milestone_keys();
        let region: Vec<usize> = (0..keys.len()).filter(|&k| keys[k].0.is_none()).collect();
        let end = SimTime::ZERO.after_months(self.months as f64);
        let p50: Vec<SimTime> = self
            .milestones()
            .iter()
            .map(|m| m.percentiles.p50.unwrap_or(end))
            .collect();
        let distance = |times: &MilestoneTimes| -> i64 {
            region
                .iter()
                .map(|&k| (times[k].unwrap_or(end).0 - p50[k].0).abs())
                .sum()
        };
        let mut best = (i64::MAX, 0);
        for (r, times) in self.candidates.iter().enumerate() {
            let d = distance(times);
            if d < best.0 {
                best = (d, r as u64);
            }
        }
        best.1
    }

    /// How late each site's GPUs came online, per cause and in total.
    pub fn delays(&self) -> Vec<DelaySummary> {
        let causes = WaitCause::ALL.len();
        let runs = self.runs.max(1) as f64;
        let mut out = Vec::new();
        for site in 0..self.sites {
            for k in 0..=causes {
                let i = site * (causes + 1) + k;
                out.push(DelaySummary {
                    site,
                    cause: WaitCause::ALL.get(k).copied(),
                    mean_months: self.delay_sums[i] / runs,
                    quantiles_months: self.delay_quantiles[i].get(),
                });
            }
        }
        out
    }

    fn cell(&self, month: usize, place: usize, offset: usize) -> [f64; 3] {
        self.cells[(month * (self.sites + 1) + place) * self.width + offset].get()
    }

    /// P10/P50/P90 of `SITE_SERIES[var]` at month boundary `month`, for site `place` (`place` =
    /// number of sites: the region).
    pub fn site_series(&self, month: usize, place: usize, var: usize) -> [f64; 3] {
        self.cell(month, place, var)
    }

    /// P10/P50/P90 of the region's `series` at the end of the horizon.
    pub fn region_at_end(&self, series: SiteSeries) -> [f64; 3] {
        self.site_series(self.months, self.sites, series.0)
    }

    /// P10/P50/P90 of `SOURCE_SERIES[var]` for source `source` (as `layout.sources`).
    pub fn source_series(&self, month: usize, place: usize, source: usize, var: usize) -> [f64; 3] {
        self.cell(
            month,
            place,
            SITE_SERIES.len() + source * SOURCE_SERIES.len() + var,
        )
    }

    /// P10/P50/P90 of `SKU_SERIES[var]` for SKU `sku` (as `layout.skus`).
    pub fn sku_series(&self, month: usize, place: usize, sku: usize, var: usize) -> [f64; 3] {
        self.cell(
            month,
            place,
            SITE_SERIES.len()
                + self.layout.sources.len() * SOURCE_SERIES.len()
                + sku * SKU_SERIES.len()
                + var,
        )
    }

    /// P10/P50/P90 of the region's facility energy over the horizon [TWh].
    pub fn energy_twh_total(&self) -> [f64; 3] {
        self.end_energy_twh.get()
    }

    /// P10/P50/P90 of the region's emissions over the horizon [MtCO₂].
    pub fn emissions_mtco2_total(&self) -> [f64; 3] {
        self.end_emissions_mt.get()
    }
}

/// Per site, per cell of a place (as `push_place` orders them): whether the cell can vary — the
/// site's own series, and those of the sources and SKUs it has. The others are always zero, so
/// their sketches hold one value and a count, and the memory budget need not count them.
fn varying_cells(scenario: &Scenario, layout: &Layout) -> Vec<Vec<bool>> {
    let (sources, skus) = (layout.sources.len(), layout.skus.len());
    let mut has_source = vec![vec![false; sources]; scenario.sites.len()];
    for g in &scenario.grid_connections {
        has_source[g.site.index()][0] = true;
    }
    for a in &scenario.power_assets {
        if let Some(t) = layout.sources.iter().position(|s| *s == a.tech.id) {
            has_source[a.site.index()][t] = true;
        }
    }
    let mut has_sku = vec![vec![false; skus]; scenario.sites.len()];
    for c in &scenario.clusters {
        has_sku[c.site.index()][c.sku.index()] = true;
    }
    (0..scenario.sites.len())
        .map(|site| {
            let mut cells = vec![true; SITE_SERIES.len()];
            for &has in &has_source[site] {
                cells.extend([has; SOURCE_SERIES.len()]);
            }
            for &has in &has_sku[site] {
                cells.extend([has; SKU_SERIES.len()]);
            }
            cells
        })
        .collect()
}

/// The top-level size of each site's monthly sketches: the largest, up to [`SKETCH_CAPACITY`] and
/// down to [`MIN_SITE_SKETCH`], at which the `varying` site cells stay within
/// [`SITE_SKETCH_VALUES`] at [`MAX_RUNS`] replications.
fn site_sketch_size(varying: usize) -> usize {
    let fits = |k: usize| varying * Quantiles::max_values(k, MAX_RUNS) <= SITE_SKETCH_VALUES;
    (MIN_SITE_SKETCH..=SKETCH_CAPACITY)
        .rev()
        .find(|&k| fits(k))
        .unwrap_or(MIN_SITE_SKETCH)
}

/// The sum of the sites' states: the region.
fn sum_states(states: &[SiteState], layout: &Layout) -> SiteState {
    let mut total = SiteState {
        available_mw: vec![0.0; layout.sources.len()],
        energy_mwh_by_source: vec![0.0; layout.sources.len()],
        skus: vec![Default::default(); layout.skus.len()],
        ..SiteState::default()
    };
    for s in states {
        total.firm_power_mw += s.firm_power_mw;
        total.shell_it_mw += s.shell_it_mw;
        total.gpus_installed += s.gpus_installed;
        total.gpus_energised += s.gpus_energised;
        total.gpus_operational += s.gpus_operational;
        total.gpus_in_repair += s.gpus_in_repair;
        total.gpus_curtailed += s.gpus_curtailed;
        total.it_online_mw += s.it_online_mw;
        total.it_load_mw += s.it_load_mw;
        total.facility_load_mw += s.facility_load_mw;
        total.energy_mwh += s.energy_mwh;
        total.emissions_t += s.emissions_t;
        for (t, v) in total.available_mw.iter_mut().zip(&s.available_mw) {
            *t += v;
        }
        for (t, v) in total
            .energy_mwh_by_source
            .iter_mut()
            .zip(&s.energy_mwh_by_source)
        {
            *t += v;
        }
        for (t, v) in total.skus.iter_mut().zip(&s.skus) {
            t.installed += v.installed;
            t.operational += v.operational;
            t.in_repair += v.in_repair;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_series_are_the_ones_their_names_say() {
        assert_eq!(SiteSeries::IT_ONLINE_MW.name(), "it_online_mw");
        assert_eq!(SiteSeries::GPUS_INSTALLED.name(), "gpus_installed");
        assert_eq!(SiteSeries::GPUS_OPERATIONAL.name(), "gpus_operational");
    }
}
