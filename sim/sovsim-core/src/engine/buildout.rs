//! One replication of a buildout: land → permit → grid and on-site power → shell phases → GPUs
//! delivered, installed, energised, failing, repaired, retired and refreshed, as a discrete-event
//! simulation.
//!
//! Rules:
//! - A site's permit follows land acquisition; grid queues, on-site power construction and shell
//!   phases without a start date start when the permit is granted (a phase or asset with a start
//!   date starts at the later of that date and the permit).
//! - Firm power of a site = connected grid capacity + commissioned dispatchable on-site capacity ×
//!   availability (the expected share of time not in planned or forced outage) — or, for a plant
//!   whose scenario gives `outage_days`, its full capacity while up and nothing while down: outages
//!   then start and end as events, and GPUs that the remaining firm power cannot carry are curtailed
//!   (powered down, latest clusters first) until it comes back. Weather-driven sources
//!   (solar, wind) supply energy at their capacity factor but no firm capacity, so they never allow a
//!   GPU to be energised on their own.
//! - A cluster's GPUs are delivered `lead_time` after the order, unless a supply cap on the site's
//!   country holds them back: each calendar year the cap lets through its quota of H100-equivalents
//!   and the rest waits for the next year (or the cap's end). They are then installed and burnt in,
//!   and energised as soon as, and as far as, their hall's completed IT capacity and their site's
//!   firm power allow (IT × PUE ≤ firm power): energisation is partial. Clusters are served in
//!   scenario order.
//! - Energised GPUs fail at the catalog's rate per GPU-day: each day N ~ Poisson(rate × energised)
//!   fail, and are repaired together after a drawn repair time. A cluster's energised count does not
//!   depend on its failures, so failures are not events: each month's are drawn at its end from the
//!   counts the cluster had (`failures`: the daily law, with work per month), and the GPU-hours
//!   they took come off the month's operational GPU-hours and, at the GPUs' power × PUE, off its
//!   energy — from the source that served the load last (the grid, then on-site plants in reverse
//!   order). A failed GPU keeps its place in the hall and its share of firm power (it comes back)
//!   but draws no power; within a month, decisions that read GPUs in repair (how many working GPUs
//!   a curtailment may power down, which GPUs retire) read those at the month's start.
//! - Energised GPUs retire `useful_life_years` after they were energised, freeing capacity. Where
//!   the scenario plans a refresh, each retirement orders replacement GPUs drawing the same IT power.
//! - Energy: each site's facility load (operational GPUs at all-in power × PUE) is met first by its
//!   weather-driven sources (at most their average output), then by its dispatchable on-site plants
//!   (at most capacity × availability, in scenario order), and the rest by the grid. Emissions are
//!   energy × each source's carbon intensity.
//! - Whatever installed GPUs wait for is recorded in GPU-hours, by cause: the permit, the grid, on-site
//!   power, firm power that no pending source will provide, or the shell; and GPUs still in transit
//!   after the date their median lead and installation times promised are recorded as waiting for GPUs.

use std::collections::BTreeMap;

use super::failures::{ClusterFailures, DAY_HOURS, RepairLaw};
use super::queue::EventQueue;
use super::random::Stream;
pub use super::record::{
    Asset, Event, GpuCounts, Layout, Outlay, Produced, Replication, SITE_STAGES, SiteState,
    SkuState, WaitCause, Waits,
};
use super::sample::FactorDraws;
use super::time::SimTime;
use crate::model::{ClusterId, GridConnectionId, PowerAssetId, Scenario, ShellId, SiteId};
use crate::units::Date;

/// Per-cluster random streams: a cluster's successive draws differ, and do not depend on others.
struct ClusterStreams {
    delivery: Stream,
    install: Stream,
    failure: Stream,
    repair: Stream,
}

struct Sim<'a> {
    scenario: &'a Scenario,
    seed: u64,
    replication: u64,
    factors: FactorDraws,
    queue: EventQueue<Event>,
    keep_events: bool,
    log: Vec<(SimTime, Event)>,
    stages: Vec<[Option<SimTime>; SITE_STAGES.len()]>,
    layout: Layout,
    // Indices by site and hall, so that an event costs in proportion to its site.
    site_clusters: Vec<Vec<usize>>,
    site_grid: Vec<Vec<usize>>,
    site_assets: Vec<Vec<usize>>,
    hall_clusters: Vec<Vec<usize>>,
    asset_source: Vec<usize>,
    cluster_sku: Vec<usize>,
    refresh_by: Vec<Option<usize>>,
    streams: Vec<ClusterStreams>,
    permit: Vec<bool>,
    grid_on: Vec<bool>,
    power_on: Vec<bool>,
    asset_up: Vec<bool>,
    outage_streams: Vec<Stream>,
    phase_done: Vec<Vec<bool>>,
    gpus: Vec<GpuCounts>,
    ever_energised: Vec<u64>,
    planned_ready: Vec<Option<SimTime>>,
    /// Per cluster, its failures since the last month's end, and its repair law.
    failures: Vec<ClusterFailures>,
    repair_laws: Vec<RepairLaw>,
    /// The last month's end: failures are drawn from it to the next.
    month_start: SimTime,
    /// Per cluster, powered GPU-hours since the last month's end (what its repairs can take).
    month_powered_gpu_hours: Vec<f64>,
    /// Energy each on-site plant (first) and grid connection (after) delivered since the last
    /// month's end [MWh]: what the month's repairs saved comes off them.
    month_supplied_mwh: Vec<f64>,
    /// Per site, load no source could serve since the last month's end (GPUs in repair during an
    /// outage) [MWh]: already not delivered, so not taken back again.
    month_unserved_mwh: Vec<f64>,
    refresh_requested: Vec<u64>,
    quota_used: Vec<BTreeMap<i32, f64>>,
    waits: Vec<Waits>,
    energy_mwh: Vec<f64>,
    energy_by_source: Vec<Vec<f64>>,
    emissions_t: Vec<f64>,
    operational_gpu_hours: Vec<f64>,
    outlays: Vec<Outlay>,
    retirements: Vec<(SimTime, ClusterId, u64)>,
    last_time: SimTime,
}

impl Sim<'_> {
    /// `from` plus a draw of `figure`, from the stream of `entity` in `subsystem`.
    fn after(
        &self,
        from: SimTime,
        subsystem: &str,
        entity: &str,
        figure: &crate::model::Uncertain,
    ) -> SimTime {
        let mut stream = Stream::new(self.seed, self.replication, subsystem, entity);
        from.after_months(self.factors.sample(figure, &mut stream))
    }

    fn at(&mut self, t: SimTime, event: Event) {
        // Times come from sampled, non-negative durations added to the present, so never the past.
        let t = t.max(self.queue.now());
        let _ = self.queue.schedule(t, event);
    }

    fn record(&mut self, t: SimTime, event: Event) {
        let s = self.scenario;
        let stage = match event {
            Event::PermitGranted { site } => Some((site.index(), 0)),
            Event::GridConnected { connection } => {
                Some((s.grid_connections[connection.index()].site.index(), 1))
            }
            Event::PowerCommissioned { asset } => {
                Some((s.power_assets[asset.index()].site.index(), 2))
            }
            Event::ShellPhaseCompleted { shell, .. } => {
                Some((s.shells[shell.index()].site.index(), 3))
            }
            Event::GpusDelivered { cluster, .. } => {
                Some((s.clusters[cluster.index()].site.index(), 4))
            }
            _ => None,
        };
        if let Some((site, stage)) = stage {
            // Events are recorded in time order: the first one is the earliest.
            self.stages[site][stage].get_or_insert(t);
        }
        if self.keep_events {
            self.log.push((t, event));
        }
    }

    fn start(&self) -> Date {
        self.scenario.meta.start_date
    }

    fn kw_per_gpu(&self, c: usize) -> f64 {
        self.scenario.clusters[c].accelerator.all_in_power_kw
    }

    fn pue(&self, c: usize) -> f64 {
        self.scenario.shells[self.scenario.clusters[c].shell.index()]
            .kind
            .pue
    }

    fn firm_power_mw(&self, site: usize) -> f64 {
        let s = self.scenario;
        let grid: f64 = self.site_grid[site]
            .iter()
            .filter(|&&g| self.grid_on[g])
            .map(|&g| s.grid_connections[g].capacity.0)
            .sum();
        let onsite: f64 = self.site_assets[site]
            .iter()
            .filter(|&&a| self.power_on[a] && s.power_assets[a].tech.dispatchable)
            .map(|&a| self.asset_output_mw(a))
            .sum();
        grid + onsite
    }

    /// Dispatchable plants: capacity × availability; weather-driven: capacity × capacity factor
    /// (the catalog keeps both in `availability`).
    fn asset_output_mw(&self, a: usize) -> f64 {
        let asset = &self.scenario.power_assets[a];
        if self.asset_up[a] {
            asset.output_up_mw()
        } else {
            0.0
        }
    }

    /// Schedules the next outage of plant `a`, up from `t` for an exponential spell whose mean makes
    /// its share of time up equal its availability.
    fn schedule_outage(&mut self, a: usize, t: SimTime) {
        let asset = &self.scenario.power_assets[a];
        let (Some(down_days), Some(availability)) = (asset.outage_days, asset.tech.availability)
        else {
            return;
        };
        let up_days = down_days * availability / (1.0 - availability);
        let days = -self.outage_streams[a].uniform().ln() * up_days;
        let at = SimTime(t.0 + (days * DAY_HOURS as f64).round().max(1.0) as i64);
        self.at(
            at,
            Event::PowerOutageStarted {
                asset: PowerAssetId(a as u32),
            },
        );
    }

    /// Curtails working GPUs at `site`, latest clusters first, until the load whose power is
    /// reserved fits its firm power.
    fn curtail(&mut self, site: usize, t: SimTime) {
        let reserved: f64 = self.site_clusters[site]
            .iter()
            .map(|&c| self.powered_it_mw(c) * self.pue(c))
            .sum();
        let mut excess = reserved - self.firm_power_mw(site);
        let clusters = self.site_clusters[site].clone();
        for &c in clusters.iter().rev() {
            if excess <= 1e-9 {
                break;
            }
            let per_gpu = self.kw_per_gpu(c) / 1000.0 * self.pue(c);
            let need = (excess / per_gpu - 1e-9).ceil().max(0.0) as u64;
            let n = need.min(self.gpus[c].operational());
            if n == 0 {
                continue;
            }
            self.gpus[c].curtailed += n;
            excess -= n as f64 * per_gpu;
            self.record(
                t,
                Event::GpusCurtailed {
                    cluster: ClusterId(c as u32),
                    gpus: n,
                },
            );
        }
    }

    fn shell_it_mw(&self, shell: usize) -> f64 {
        self.scenario.shells[shell]
            .phases
            .iter()
            .zip(&self.phase_done[shell])
            .filter(|(_, done)| **done)
            .map(|(p, _)| p.it.0)
            .sum()
    }

    /// IT capacity held by energised GPUs (working or in repair) [MW].
    fn energised_it_mw(&self, c: usize) -> f64 {
        self.gpus[c].energised as f64 * self.kw_per_gpu(c) / 1000.0
    }

    /// IT capacity whose power is reserved: energised GPUs not curtailed [MW].
    fn powered_it_mw(&self, c: usize) -> f64 {
        self.gpus[c].powered() as f64 * self.kw_per_gpu(c) / 1000.0
    }

    /// IT load drawn by working GPUs [MW].
    fn it_load_mw(&self, c: usize) -> f64 {
        self.gpus[c].operational() as f64 * self.kw_per_gpu(c) / 1000.0
    }

    fn facility_load_mw(&self, site: usize) -> f64 {
        self.site_clusters[site]
            .iter()
            .map(|&c| self.it_load_mw(c) * self.pue(c))
            .sum()
    }

    /// Facility load of the powered GPUs, those in repair included: what is integrated between
    /// events, the month's repairs being taken off at its end [MW].
    fn powered_load_mw(&self, site: usize) -> f64 {
        self.site_clusters[site]
            .iter()
            .map(|&c| self.powered_it_mw(c) * self.pue(c))
            .sum()
    }

    fn site_state(&self, site: usize) -> SiteState {
        let s = self.scenario;
        let clusters = &self.site_clusters[site];
        let mut available_mw = vec![0.0; self.layout.sources.len()];
        available_mw[0] = self.site_grid[site]
            .iter()
            .filter(|&&g| self.grid_on[g])
            .map(|&g| s.grid_connections[g].capacity.0)
            .sum();
        for &a in &self.site_assets[site] {
            if self.power_on[a] {
                available_mw[self.asset_source[a]] += self.asset_output_mw(a);
            }
        }
        let mut skus = vec![SkuState::default(); self.layout.skus.len()];
        for &c in clusters {
            let sku = &mut skus[self.cluster_sku[c]];
            sku.installed += self.gpus[c].installed;
            sku.operational += self.gpus[c].operational();
            sku.in_repair += self.gpus[c].in_repair;
        }
        SiteState {
            firm_power_mw: self.firm_power_mw(site),
            available_mw,
            shell_it_mw: (0..s.shells.len())
                .filter(|&h| s.shells[h].site.index() == site)
                .map(|h| self.shell_it_mw(h))
                .sum(),
            gpus_installed: clusters.iter().map(|&c| self.gpus[c].installed).sum(),
            gpus_energised: clusters.iter().map(|&c| self.gpus[c].energised).sum(),
            gpus_operational: clusters.iter().map(|&c| self.gpus[c].operational()).sum(),
            gpus_in_repair: clusters.iter().map(|&c| self.gpus[c].in_repair).sum(),
            gpus_curtailed: clusters.iter().map(|&c| self.gpus[c].curtailed).sum(),
            skus,
            it_online_mw: clusters.iter().map(|&c| self.energised_it_mw(c)).sum(),
            it_load_mw: clusters.iter().map(|&c| self.it_load_mw(c)).sum(),
            facility_load_mw: self.facility_load_mw(site),
            energy_mwh: self.energy_mwh[site],
            energy_mwh_by_source: self.energy_by_source[site].clone(),
            emissions_t: self.emissions_t[site],
        }
    }

    /// The state of every site at month boundary `b`, energy, waits and the month's failures
    /// brought up to it.
    fn snapshot(&mut self, b: SimTime) -> Vec<SiteState> {
        self.advance(b);
        if b > self.month_start {
            self.tally_failures(b);
        }
        (0..self.scenario.sites.len())
            .map(|s| self.site_state(s))
            .collect()
    }

    /// Draws every cluster's failures of the month ending at `b`, takes the GPU-hours they cost
    /// off its operational GPU-hours and their energy off its site's, and books them.
    fn tally_failures(&mut self, b: SimTime) {
        let s = self.scenario;
        let from = self.month_start;
        let mut saved_mwh = vec![0.0; s.sites.len()];
        let mut repaired_at = vec![false; s.sites.len()];
        for c in 0..s.clusters.len() {
            let streams = &mut self.streams[c];
            let tally = self.failures[c].tally(
                from,
                b,
                s.clusters[c].failure_rate_per_gpu_day,
                &self.repair_laws[c],
                &mut streams.failure,
                &mut streams.repair,
            );
            let lost = tally.gpu_hours_lost.min(self.month_powered_gpu_hours[c]);
            self.month_powered_gpu_hours[c] = 0.0;
            self.operational_gpu_hours[c] -= lost;
            saved_mwh[s.clusters[c].site.index()] +=
                lost * self.kw_per_gpu(c) / 1000.0 * self.pue(c);
            let counts = &mut self.gpus[c];
            let back = tally.in_repair < counts.in_repair;
            counts.in_repair = tally.in_repair.min(counts.energised - counts.curtailed);
            if back {
                repaired_at[s.clusters[c].site.index()] = true;
            }
            let cluster = ClusterId(c as u32);
            if tally.failed > 0 {
                self.record(
                    b,
                    Event::GpusFailed {
                        cluster,
                        gpus: tally.failed,
                    },
                );
            }
            if tally.repaired > 0 {
                self.record(
                    b,
                    Event::GpusRepaired {
                        cluster,
                        gpus: tally.repaired,
                    },
                );
            }
            if lost > 0.0 {
                self.record(
                    b,
                    Event::GpuHoursLost {
                        cluster,
                        gpu_hours: lost,
                    },
                );
            }
        }
        for (site, mwh) in saved_mwh.into_iter().enumerate() {
            let unserved = std::mem::take(&mut self.month_unserved_mwh[site]);
            self.take_back(site, mwh - unserved);
            if repaired_at[site] {
                // GPUs back from repair while their site is short of power stay off.
                self.curtail(site, b);
            }
        }
        self.month_supplied_mwh.iter_mut().for_each(|m| *m = 0.0);
        self.month_start = b;
    }

    /// Takes `mwh` the month did not use off `site`'s deliveries, from the source that served its
    /// load last: the grid connections, then the dispatchable plants, then weather-driven ones,
    /// each in reverse order.
    fn take_back(&mut self, site: usize, mwh: f64) {
        if mwh <= 0.0 {
            return;
        }
        let s = self.scenario;
        let plants = s.power_assets.len();
        let dispatchable = |a: &usize| s.power_assets[*a].tech.dispatchable;
        let order: Vec<(usize, usize, f64)> = self.site_grid[site]
            .iter()
            .rev()
            .map(|&g| (plants + g, 0, s.grid_connections[g].carbon_g_per_kwh))
            .chain(
                (self.site_assets[site]
                    .iter()
                    .rev()
                    .filter(|a| dispatchable(a)))
                .chain(
                    self.site_assets[site]
                        .iter()
                        .rev()
                        .filter(|a| !dispatchable(a)),
                )
                .map(|&a| (a, self.asset_source[a], s.power_assets[a].carbon_g_per_kwh)),
            )
            .collect();
        let mut rest = mwh;
        for (k, source, carbon) in order {
            if rest <= 0.0 {
                break;
            }
            let take = rest.min(self.month_supplied_mwh[k]);
            rest -= take;
            self.energy_by_source[site][source] -= take;
            self.energy_mwh[site] -= take;
            self.emissions_t[site] -= carbon * take / 1000.0;
        }
    }

    /// Brings energy, emissions and waiting totals up to `t`; the state is constant between events.
    fn advance(&mut self, t: SimTime) {
        let from = self.last_time;
        let hours = (t.0 - from.0) as f64;
        self.last_time = t;
        if hours <= 0.0 {
            return;
        }
        for site in 0..self.scenario.sites.len() {
            let load = self.powered_load_mw(site);
            if load > 0.0 {
                self.supply(site, load, hours);
            }
        }
        for c in 0..self.scenario.clusters.len() {
            let powered = self.gpus[c].powered() as f64 * hours;
            self.operational_gpu_hours[c] += powered;
            self.month_powered_gpu_hours[c] += powered;
            let waiting = (self.gpus[c].installed - self.gpus[c].energised) as f64;
            if waiting > 0.0 {
                let cause = self.cause(c);
                self.waits[c][cause.index()] += waiting * hours;
            }
            let in_transit = self.gpus[c].in_transit as f64;
            if let Some(planned) = self.planned_ready[c]
                && in_transit > 0.0
                && t > planned
            {
                let late = (t.0 - from.0.max(planned.0)) as f64;
                self.waits[c][WaitCause::Gpus.index()] += in_transit * late;
            }
        }
    }

    /// Meets `load` MW at `site` for `hours`: weather-driven sources first, then dispatchable plants,
    /// then the grid.
    fn supply(&mut self, site: usize, load: f64, hours: f64) {
        let s = self.scenario;
        let mut rest = load;
        let served = |rest: &mut f64, available: f64| -> f64 {
            let take = rest.min(available).max(0.0);
            *rest -= take;
            take
        };
        let weather: f64 = self.site_assets[site]
            .iter()
            .filter(|&&a| self.power_on[a] && !s.power_assets[a].tech.dispatchable)
            .map(|&a| self.asset_output_mw(a))
            .sum();
        let from_weather = served(&mut rest, weather);
        // Indices rather than iterators: this runs at every event, so it must not allocate.
        for k in 0..self.site_assets[site].len() {
            let a = self.site_assets[site][k];
            let asset = &s.power_assets[a];
            if !self.power_on[a] {
                continue;
            }
            let mw = if asset.tech.dispatchable {
                served(&mut rest, self.asset_output_mw(a))
            } else if weather > 0.0 {
                // Weather-driven output shares the load it serves in proportion to its output.
                from_weather * self.asset_output_mw(a) / weather
            } else {
                0.0
            };
            self.month_supplied_mwh[a] += mw * hours;
            self.deliver(
                site,
                self.asset_source[a],
                mw * hours,
                asset.carbon_g_per_kwh,
            );
        }
        for k in 0..self.site_grid[site].len() {
            let g = self.site_grid[site][k];
            if self.grid_on[g] {
                let conn = &s.grid_connections[g];
                let mw = served(&mut rest, conn.capacity.0);
                self.month_supplied_mwh[s.power_assets.len() + g] += mw * hours;
                self.deliver(site, 0, mw * hours, conn.carbon_g_per_kwh);
            }
        }
        // The load of working GPUs never exceeds firm power; GPUs in repair, integrated as powered
        // until the month's end, may during a plant's outage: what no source served is theirs.
        self.month_unserved_mwh[site] += rest.max(0.0) * hours;
    }

    /// Books `mwh` from `source` at `site`, with its emissions.
    fn deliver(&mut self, site: usize, source: usize, mwh: f64, carbon_g_per_kwh: f64) {
        self.energy_by_source[site][source] += mwh;
        self.energy_mwh[site] += mwh;
        // g/kWh × MWh = kg; a thousand kg to the tonne.
        self.emissions_t[site] += carbon_g_per_kwh * mwh / 1000.0;
    }

    /// What installed GPUs of cluster `c` wait for now.
    fn cause(&self, c: usize) -> WaitCause {
        let site = self.scenario.clusters[c].site.index();
        if !self.permit[site] {
            return WaitCause::Permit;
        }
        let (shell_room, power_room) = self.room(c);
        if shell_room <= power_room {
            return WaitCause::Shell;
        }
        if self.site_grid[site].iter().any(|&g| !self.grid_on[g]) {
            WaitCause::Grid
        } else if self.site_assets[site]
            .iter()
            .any(|&a| !self.power_on[a] && self.scenario.power_assets[a].tech.dispatchable)
        {
            WaitCause::OnsitePower
        } else {
            WaitCause::PowerShortfall
        }
    }

    /// Room for more GPUs of cluster `c` [GPUs], in its hall and under its site's firm power.
    fn room(&self, c: usize) -> (f64, f64) {
        let s = self.scenario;
        let shell = s.clusters[c].shell.index();
        let site = s.clusters[c].site.index();
        let hall_used: f64 = self.hall_clusters[shell]
            .iter()
            .map(|&o| self.energised_it_mw(o))
            .sum();
        let site_used: f64 = self.site_clusters[site]
            .iter()
            .map(|&o| self.powered_it_mw(o) * self.pue(o))
            .sum();
        let mw = self.kw_per_gpu(c) / 1000.0;
        let shell_room = ((self.shell_it_mw(shell) - hall_used) / mw).max(0.0);
        let power_room = ((self.firm_power_mw(site) - site_used) / (mw * self.pue(c))).max(0.0);
        // A hair of tolerance so that exact fits are not lost to rounding.
        ((shell_room + 1e-9).floor(), (power_room + 1e-9).floor())
    }

    /// Energises waiting GPUs wherever there is room, in scenario order; whether any were.
    fn energise(&mut self, t: SimTime) -> bool {
        // Curtailed GPUs come back before new ones are powered on.
        for c in 0..self.scenario.clusters.len() {
            if self.gpus[c].curtailed == 0 {
                continue;
            }
            let (_, power_room) = self.room(c);
            let n = (self.gpus[c].curtailed as f64).min(power_room) as u64;
            if n > 0 {
                self.gpus[c].curtailed -= n;
                self.record(
                    t,
                    Event::GpusRestored {
                        cluster: ClusterId(c as u32),
                        gpus: n,
                    },
                );
            }
        }
        let mut any = false;
        for c in 0..self.scenario.clusters.len() {
            let waiting = self.gpus[c].installed - self.gpus[c].energised;
            if waiting == 0 {
                continue;
            }
            let (shell_room, power_room) = self.room(c);
            let n = (waiting as f64).min(shell_room).min(power_room) as u64;
            if n == 0 {
                continue;
            }
            any = true;
            self.gpus[c].energised += n;
            let cluster = ClusterId(c as u32);
            self.record(t, Event::ClusterEnergised { cluster, gpus: n });
            // A GPU is energised once: retired GPUs leave `installed` for good.
            self.ever_energised[c] += n;
            let life = self.scenario.clusters[c].useful_life_years * 12.0;
            self.at(
                t.after_months(life),
                Event::ClusterRetired { cluster, gpus: n },
            );
            self.failures[c].energised(t, self.gpus[c].energised);
        }
        any
    }

    /// GPUs of cluster `c` that a supply cap lets through at `t`, out of `gpus`; the quota they use
    /// is booked.
    fn allowed_by_caps(&mut self, c: usize, gpus: u64, t: SimTime) -> (u64, Option<SimTime>) {
        let s = self.scenario;
        let date = t.date(self.start());
        let country = &s.sites[s.clusters[c].site.index()].country.code;
        let weight = s.clusters[c].h100e_per_gpu.max(1e-9);
        let mut allowed = gpus;
        let mut retry: Option<SimTime> = None;
        let active: Vec<usize> = (0..s.supply_shocks.len())
            .filter(|&k| {
                let shock = &s.supply_shocks[k];
                &shock.country == country
                    && shock.from_date <= date
                    && shock.until_date.is_none_or(|u| date < u)
            })
            .collect();
        for &k in &active {
            let shock = &s.supply_shocks[k];
            let used = self.quota_used[k].get(&date.year).copied().unwrap_or(0.0);
            let left = (shock.cap_h100e_per_year - used).max(0.0);
            let fits = ((left / weight) + 1e-9).floor() as u64;
            if fits < allowed {
                allowed = fits;
                let next_year = Date::new(date.year + 1, 1, 1).unwrap_or(date);
                let mut when = SimTime::from_date(next_year, self.start());
                if let Some(until) = shock.until_date {
                    when = when.min(SimTime::from_date(until, self.start()));
                }
                retry = Some(retry.map_or(when, |r: SimTime| r.max(when)));
            }
        }
        for &k in &active {
            *self.quota_used[k].entry(date.year).or_insert(0.0) += allowed as f64 * weight;
        }
        (allowed, retry)
    }
}

/// Runs replication `replication` of `scenario` to the end of its horizon, keeping the event log.
pub fn run(scenario: &Scenario, replication: u64) -> Replication {
    simulate(scenario, replication, true)
}

/// Runs replication `replication` of `scenario` to the end of its horizon; the event log is kept only
/// if `keep_events` (a replication of a large region logs hundreds of thousands of events).
pub fn simulate(scenario: &Scenario, replication: u64, keep_events: bool) -> Replication {
    Stepper::new(scenario, replication, keep_events).finish()
}

/// One replication advanced a month at a time, so that what happens later may depend on what the
/// months before produced (orders placed from the cash they earned): [`simulate`] is
/// `Stepper::new(…).finish()`, and stepping month by month gives the same replication.
pub struct Stepper<'a> {
    sim: Sim<'a>,
    months: usize,
    end: SimTime,
    monthly: Vec<Vec<SiteState>>,
    operational_gpu_hours: Vec<Vec<f64>>,
    first_power: Vec<Option<SimTime>>,
    first_gpu: Vec<Option<SimTime>>,
    site_full_capacity: Vec<Option<SimTime>>,
    gw_reached: Vec<SimTime>,
    full_capacity: Option<SimTime>,
    total_ordered: u64,
}

impl<'a> Stepper<'a> {
    /// Replication `replication` of `scenario` at its start, every first event scheduled.
    pub fn new(scenario: &'a Scenario, replication: u64, keep_events: bool) -> Self {
        let seed = scenario.meta.seed;
        let start = scenario.meta.start_date;
        let months = scenario.meta.horizon_years as usize * 12;
        let end = SimTime::ZERO.after_months(months as f64);
        let mut factor_stream = Stream::new(seed, replication, "copula", "factors");
        let factors = FactorDraws::draw(
            scenario.uncertainty.factors.len(),
            scenario.uncertainty.cholesky.as_ref(),
            &mut factor_stream,
        );
        let layout = Layout::of(scenario);
        let sites = scenario.sites.len();
        let by_site = |of: &dyn Fn(usize) -> usize, n: usize| -> Vec<Vec<usize>> {
            let mut v = vec![Vec::new(); sites];
            for i in 0..n {
                v[of(i)].push(i);
            }
            v
        };
        let clusters = &scenario.clusters;
        let mut hall_clusters = vec![Vec::new(); scenario.shells.len()];
        for (c, cluster) in clusters.iter().enumerate() {
            hall_clusters[cluster.shell.index()].push(c);
        }
        let repair_laws = clusters
            .iter()
            .map(|c| RepairLaw::new(&c.repair_days, &factors))
            .collect();
        let mut sim = Sim {
            scenario,
            seed,
            replication,
            factors,
            queue: EventQueue::new(),
            keep_events,
            log: Vec::new(),
            stages: vec![[None; SITE_STAGES.len()]; scenario.sites.len()],
            site_clusters: by_site(&|c| clusters[c].site.index(), clusters.len()),
            site_grid: by_site(
                &|g| scenario.grid_connections[g].site.index(),
                scenario.grid_connections.len(),
            ),
            site_assets: by_site(
                &|a| scenario.power_assets[a].site.index(),
                scenario.power_assets.len(),
            ),
            hall_clusters,
            asset_source: scenario
                .power_assets
                .iter()
                .map(|a| {
                    layout
                        .sources
                        .iter()
                        .position(|s| *s == a.tech.id)
                        .unwrap_or(0)
                })
                .collect(),
            cluster_sku: layout.cluster_skus(scenario),
            refresh_by: (0..clusters.len())
                .map(|c| {
                    clusters
                        .iter()
                        .position(|r| r.refresh_of.map(|o| o.index()) == Some(c))
                })
                .collect(),
            streams: clusters
                .iter()
                .map(|c| ClusterStreams {
                    delivery: Stream::new(seed, replication, "delivery", &c.id),
                    install: Stream::new(seed, replication, "install", &c.id),
                    failure: Stream::new(seed, replication, "failure", &c.id),
                    repair: Stream::new(seed, replication, "repair", &c.id),
                })
                .collect(),
            permit: vec![false; sites],
            grid_on: vec![false; scenario.grid_connections.len()],
            power_on: vec![false; scenario.power_assets.len()],
            asset_up: vec![true; scenario.power_assets.len()],
            outage_streams: scenario
                .power_assets
                .iter()
                .map(|a| Stream::new(seed, replication, "outage", &a.id))
                .collect(),
            phase_done: scenario
                .shells
                .iter()
                .map(|s| vec![false; s.phases.len()])
                .collect(),
            gpus: vec![GpuCounts::default(); clusters.len()],
            ever_energised: vec![0; clusters.len()],
            planned_ready: vec![None; clusters.len()],
            failures: vec![ClusterFailures::default(); clusters.len()],
            repair_laws,
            month_start: SimTime::ZERO,
            month_powered_gpu_hours: vec![0.0; clusters.len()],
            month_supplied_mwh: vec![
                0.0;
                scenario.power_assets.len() + scenario.grid_connections.len()
            ],
            month_unserved_mwh: vec![0.0; sites],
            refresh_requested: vec![0; clusters.len()],
            quota_used: vec![BTreeMap::new(); scenario.supply_shocks.len()],
            waits: vec![[0.0; 6]; clusters.len()],
            energy_mwh: vec![0.0; sites],
            energy_by_source: vec![vec![0.0; layout.sources.len()]; sites],
            emissions_t: vec![0.0; sites],
            operational_gpu_hours: vec![0.0; clusters.len()],
            outlays: Vec::new(),
            retirements: Vec::new(),
            last_time: SimTime::ZERO,
            layout,
        };

        for (i, site) in scenario.sites.iter().enumerate() {
            let t = sim.after(SimTime::ZERO, "land", &site.id, &site.acquisition_months);
            sim.at(
                t,
                Event::LandAcquired {
                    site: SiteId(i as u32),
                },
            );
        }
        for (i, cluster) in clusters.iter().enumerate() {
            if cluster.planned() {
                let t = SimTime::from_date(cluster.order_date, start);
                sim.at(
                    t,
                    Event::GpusOrdered {
                        cluster: ClusterId(i as u32),
                        gpus: cluster.gpus,
                    },
                );
            }
        }

        let own = |c: &usize| clusters[*c].planned();
        let total_ordered: u64 = (0..clusters.len())
            .filter(own)
            .map(|c| clusters[c].gpus)
            .sum();
        Stepper {
            sim,
            months,
            end,
            monthly: Vec::with_capacity(months + 1),
            operational_gpu_hours: Vec::with_capacity(months + 1),
            first_power: vec![None; sites],
            first_gpu: vec![None; sites],
            site_full_capacity: vec![None; sites],
            gw_reached: Vec::new(),
            full_capacity: None,
            total_ordered,
        }
    }

    /// Months of the horizon.
    pub fn months(&self) -> usize {
        self.months
    }

    /// Month boundaries recorded so far: the state at boundary `b` is known for `b` below this.
    pub fn recorded(&self) -> usize {
        self.monthly.len()
    }

    /// Per month boundary recorded so far, per cluster: operational GPU-hours from the start.
    pub fn operational_gpu_hours(&self) -> &[Vec<f64>] {
        &self.operational_gpu_hours
    }

    /// What was bought so far, and when it is paid.
    pub fn outlays(&self) -> &[Outlay] {
        &self.sim.outlays
    }

    /// What the months run so far produced.
    pub fn produced(&self) -> Produced<'_> {
        Produced {
            monthly: &self.monthly,
            operational_gpu_hours: &self.operational_gpu_hours,
            outlays: &self.sim.outlays,
            retirements: &self.sim.retirements,
        }
    }

    /// Orders `gpus` more GPUs for `cluster` at the last boundary recorded (after it is recorded):
    /// they wait for the cluster's lead time, supply caps, installation, room and power like any
    /// order.
    pub fn order(&mut self, cluster: ClusterId, gpus: u64) {
        let at = SimTime::ZERO.after_months(self.monthly.len().saturating_sub(1) as f64);
        self.sim.at(at, Event::GpusOrdered { cluster, gpus });
    }

    /// Processes every event up to and including month boundary `month` (capped at the horizon)
    /// and records the boundaries up to it.
    pub fn run_to_month(&mut self, month: usize) {
        let month = month.min(self.months);
        let limit = SimTime::ZERO.after_months(month as f64);
        let scenario = self.sim.scenario;
        let clusters = &scenario.clusters;
        let sites = scenario.sites.len();
        let own = |c: &usize| clusters[*c].planned();
        let boundary = |m: usize| SimTime::ZERO.after_months(m as f64);
        while let Some(t) = self.sim.queue.peek_time() {
            if t > self.end || t > limit {
                break;
            }
            // A month boundary records the state after every event up to and including its
            // instant, so record the boundaries strictly before this event's time.
            self.record_before(t);
            let Some((t, due)) = self.sim.queue.pop() else {
                break;
            };
            let sim = &mut self.sim;
            sim.advance(t);
            let changed = apply(sim, t, due);
            if changed.capacity && sim.energise(t) {
                for site in 0..sites {
                    if self.first_gpu[site].is_none()
                        && sim.site_clusters[site]
                            .iter()
                            .any(|&c| sim.gpus[c].energised > 0)
                    {
                        self.first_gpu[site] = Some(t);
                    }
                    if self.site_full_capacity[site].is_none() {
                        let mine = sim.site_clusters[site].iter().filter(|c| own(c));
                        let (ordered, energised) = mine.fold((0, 0), |(o, e), &c| {
                            (o + clusters[c].gpus, e + sim.ever_energised[c])
                        });
                        if ordered > 0 && energised == ordered {
                            self.site_full_capacity[site] = Some(t);
                        }
                    }
                }
                let region_it_gw: f64 = (0..clusters.len())
                    .map(|c| sim.energised_it_mw(c))
                    .sum::<f64>()
                    / 1000.0;
                while region_it_gw + 1e-9 >= (self.gw_reached.len() + 1) as f64 {
                    self.gw_reached.push(t);
                }
                let energised: u64 = (0..clusters.len())
                    .filter(own)
                    .map(|c| sim.ever_energised[c])
                    .sum();
                if self.full_capacity.is_none()
                    && self.total_ordered > 0
                    && energised == self.total_ordered
                {
                    self.full_capacity = Some(t);
                }
            }
            if changed.power {
                for (site, first) in self.first_power.iter_mut().enumerate() {
                    if first.is_none() && sim.firm_power_mw(site) > 0.0 {
                        *first = Some(t);
                    }
                }
            }
        }
        // Nothing else happens up to the limit: its boundaries can be recorded.
        while self.monthly.len() <= month && boundary(self.monthly.len()) <= limit {
            self.record_next();
        }
    }

    /// Records every month boundary strictly before `t`.
    fn record_before(&mut self, t: SimTime) {
        let boundary = |m: usize| SimTime::ZERO.after_months(m as f64);
        while self.monthly.len() <= self.months && boundary(self.monthly.len()) < t {
            self.record_next();
        }
    }

    fn record_next(&mut self) {
        let b = SimTime::ZERO.after_months(self.monthly.len() as f64);
        self.monthly.push(self.sim.snapshot(b));
        self.operational_gpu_hours
            .push(self.sim.operational_gpu_hours.clone());
    }

    /// Runs to the end of the horizon and returns the replication.
    pub fn finish(mut self) -> Replication {
        self.run_to_month(self.months);
        while self.monthly.len() <= self.months {
            self.record_next();
        }
        let sim = self.sim;
        Replication {
            events: sim.log,
            stages: sim.stages,
            monthly: self.monthly,
            first_power: self.first_power,
            first_gpu: self.first_gpu,
            site_full_capacity: self.site_full_capacity,
            gw_reached: self.gw_reached,
            full_capacity: self.full_capacity,
            waits_gpu_hours: sim.waits,
            gpus: sim.gpus,
            operational_gpu_hours: self.operational_gpu_hours,
            outlays: sim.outlays,
            retirements: sim.retirements,
        }
    }
}

/// What an event may have changed.
#[derive(Default)]
struct Changed {
    /// Room or GPUs waiting for it: try to energise.
    capacity: bool,
    /// Firm power.
    power: bool,
}

/// Applies a due event's effect on the state, records what happened and schedules what follows.
fn apply(sim: &mut Sim, t: SimTime, event: Event) -> Changed {
    let s = sim.scenario;
    let start = s.meta.start_date;
    let mut changed = Changed::default();
    match event {
        Event::LandAcquired { site } => {
            sim.outlays.push(Outlay {
                start: t,
                end: t,
                asset: Asset::Land(site),
            });
            let next = sim.after(
                t,
                "permit",
                &s.sites[site.index()].id,
                &s.sites[site.index()].permit_months,
            );
            sim.at(next, Event::PermitGranted { site });
            sim.record(t, event);
        }
        Event::PermitGranted { site } => {
            sim.permit[site.index()] = true;
            for (i, g) in s
                .grid_connections
                .iter()
                .enumerate()
                .filter(|(_, g)| g.site == site)
            {
                let next = sim.after(t, "grid", &g.id, &g.queue_wait_months);
                sim.at(
                    next,
                    Event::GridConnected {
                        connection: GridConnectionId(i as u32),
                    },
                );
            }
            for (i, a) in s
                .power_assets
                .iter()
                .enumerate()
                .filter(|(_, a)| a.site == site)
            {
                let begin = t.max(SimTime::from_date(a.start_date, start));
                let next = sim.after(begin, "power", &a.id, &a.build_months);
                sim.outlays.push(Outlay {
                    start: begin,
                    end: next,
                    asset: Asset::Power(PowerAssetId(i as u32)),
                });
                sim.at(
                    next,
                    Event::PowerCommissioned {
                        asset: PowerAssetId(i as u32),
                    },
                );
            }
            for (h, hall) in s.shells.iter().enumerate().filter(|(_, h)| h.site == site) {
                for (p, phase) in hall.phases.iter().enumerate() {
                    let begin = phase
                        .start_date
                        .map_or(t, |d| t.max(SimTime::from_date(d, start)));
                    let next = sim.after(
                        begin,
                        "shell",
                        &format!("{}#{p}", hall.id),
                        &phase.build_months,
                    );
                    sim.outlays.push(Outlay {
                        start: begin,
                        end: next,
                        asset: Asset::ShellPhase(ShellId(h as u32), p),
                    });
                    sim.at(
                        next,
                        Event::ShellPhaseCompleted {
                            shell: ShellId(h as u32),
                            phase: p,
                        },
                    );
                }
            }
            sim.record(t, event);
        }
        Event::GridConnected { connection } => {
            sim.grid_on[connection.index()] = true;
            changed.capacity = true;
            changed.power = true;
            sim.record(t, event);
        }
        Event::PowerCommissioned { asset } => {
            sim.power_on[asset.index()] = true;
            changed.capacity = true;
            changed.power = true;
            sim.record(t, event);
            sim.schedule_outage(asset.index(), t);
        }
        Event::PowerOutageStarted { asset } => {
            let a = asset.index();
            sim.asset_up[a] = false;
            sim.record(t, event);
            let days = s.power_assets[a].outage_days.unwrap_or(0.0);
            let down = -sim.outage_streams[a].uniform().ln() * days;
            let at = SimTime(t.0 + (down * DAY_HOURS as f64).round().max(1.0) as i64);
            sim.at(at, Event::PowerRestored { asset });
            sim.curtail(s.power_assets[a].site.index(), t);
        }
        Event::PowerRestored { asset } => {
            sim.asset_up[asset.index()] = true;
            changed.capacity = true;
            sim.record(t, event);
            sim.schedule_outage(asset.index(), t);
        }
        Event::ShellPhaseCompleted { shell, phase } => {
            sim.phase_done[shell.index()][phase] = true;
            changed.capacity = true;
            sim.record(t, event);
        }
        Event::GpusOrdered { cluster, gpus } => {
            let c = cluster.index();
            let spec = &s.clusters[c];
            sim.gpus[c].ordered += gpus;
            sim.gpus[c].in_transit += gpus;
            // GPUs bought from operating cash are promised from their own order, not the first.
            if sim.planned_ready[c].is_none() || spec.reinvested_by.is_some() {
                let months =
                    spec.lead_time_months.dist.median() + spec.install_months.dist.median();
                sim.planned_ready[c] = Some(t.after_months(months));
            }
            let lead = sim
                .factors
                .sample(&spec.lead_time_months, &mut sim.streams[c].delivery);
            sim.at(t.after_months(lead), Event::GpusDelivered { cluster, gpus });
            sim.record(t, event);
        }
        Event::GpusDelivered { cluster, gpus } => {
            let c = cluster.index();
            let (allowed, retry) = sim.allowed_by_caps(c, gpus, t);
            if allowed > 0 {
                sim.outlays.push(Outlay {
                    start: t,
                    end: t,
                    asset: Asset::Gpus(cluster, allowed),
                });
                let install = sim
                    .factors
                    .sample(&s.clusters[c].install_months, &mut sim.streams[c].install);
                sim.at(
                    t.after_months(install),
                    Event::GpusInstalled {
                        cluster,
                        gpus: allowed,
                    },
                );
                sim.record(
                    t,
                    Event::GpusDelivered {
                        cluster,
                        gpus: allowed,
                    },
                );
            }
            let held = gpus - allowed;
            if held > 0 {
                let when = retry.unwrap_or(t).max(SimTime(t.0 + 1));
                sim.at(
                    when,
                    Event::GpusDelivered {
                        cluster,
                        gpus: held,
                    },
                );
                sim.record(
                    t,
                    Event::GpusHeld {
                        cluster,
                        gpus: held,
                    },
                );
            }
        }
        Event::GpusInstalled { cluster, gpus } => {
            let counts = &mut sim.gpus[cluster.index()];
            counts.in_transit -= gpus;
            counts.installed += gpus;
            changed.capacity = true;
            sim.record(t, event);
        }
        Event::ClusterRetired { cluster, gpus } => {
            let c = cluster.index();
            let counts = &mut sim.gpus[c];
            counts.installed -= gpus;
            counts.energised -= gpus;
            // Working GPUs retire first, then curtailed ones, then those in repair.
            let excess = (counts.in_repair + counts.curtailed).saturating_sub(counts.energised);
            let from_curtailed = excess.min(counts.curtailed);
            counts.curtailed -= from_curtailed;
            counts.in_repair -= excess - from_curtailed;
            counts.retired += gpus;
            let retired = counts.retired;
            changed.capacity = true;
            sim.retirements.push((t, cluster, gpus));
            sim.record(t, event);
            sim.failures[c].energised(t, sim.gpus[c].energised);
            if let Some(r) = sim.refresh_by[c] {
                // Replacements draw the IT power the retired GPUs freed.
                let kw = s.clusters[c].accelerator.all_in_power_kw;
                let kw_new = s.clusters[r].accelerator.all_in_power_kw;
                let target =
                    ((retired as f64 * kw / kw_new + 1e-9).floor() as u64).min(s.clusters[r].gpus);
                let order = target.saturating_sub(sim.refresh_requested[r]);
                if order > 0 {
                    sim.refresh_requested[r] += order;
                    sim.at(
                        t,
                        Event::GpusOrdered {
                            cluster: ClusterId(r as u32),
                            gpus: order,
                        },
                    );
                }
            }
        }
        Event::ClusterEnergised { .. }
        | Event::GpusFailed { .. }
        | Event::GpusRepaired { .. }
        | Event::GpuHoursLost { .. }
        | Event::GpusHeld { .. }
        | Event::GpusCurtailed { .. }
        | Event::GpusRestored { .. } => {
            // Recorded where they happen (failures at month ends), never scheduled.
        }
    }
    changed
}
