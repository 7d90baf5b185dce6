//! One replication of a buildout: land → permit → grid and on-site power → shell phases → GPUs
//! delivered, installed and energised, as a discrete-event simulation.
//!
//! Rules:
//! - A site's permit follows land acquisition; grid queues, on-site power construction and shell
//!   phases without a start date start when the permit is granted (a phase with a start date starts
//!   at the later of that date and the permit).
//! - Firm power of a site = connected grid capacity + commissioned dispatchable on-site capacity ×
//!   availability. Weather-driven sources (solar, wind) supply energy but no firm capacity, so they
//!   never allow a GPU to be energised on their own.
//! - A cluster's GPUs are delivered `lead_time` after the order, then installed and burnt in. They are
//!   energised as soon as, and as far as, their hall's completed IT capacity and their site's firm
//!   power allow (IT load × PUE ≤ firm power): energisation is partial. Clusters are served in
//!   scenario order.
//! - Energised GPUs retire `useful_life_years` after they were energised, freeing capacity.
//! - While installed GPUs wait, the wait is recorded against its cause (shell or power), in GPU-hours.
//!
//! Failures and repairs, supply shocks and refreshes are not modelled yet.

use super::queue::EventQueue;
use super::random::Stream;
use super::sample::FactorDraws;
use super::time::SimTime;
use crate::model::{ClusterId, GridConnectionId, PowerAssetId, Scenario, ShellId, SiteId};

/// Something that happened, at the time it happened.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)] // Fields are named by what they identify or count.
pub enum Event {
    /// The site's land was acquired.
    LandAcquired { site: SiteId },
    /// The site's zoning and building permits were granted.
    PermitGranted { site: SiteId },
    /// A grid connection came into service.
    GridConnected { connection: GridConnectionId },
    /// On-site generation or a power contract started delivering.
    PowerCommissioned { asset: PowerAssetId },
    /// A construction phase of a hall was completed.
    ShellPhaseCompleted { shell: ShellId, phase: usize },
    /// A cluster's order was placed.
    GpusOrdered { cluster: ClusterId, gpus: u64 },
    /// A cluster's GPUs arrived on site.
    GpusDelivered { cluster: ClusterId, gpus: u64 },
    /// A cluster's GPUs were installed and burnt in.
    GpusInstalled { cluster: ClusterId, gpus: u64 },
    /// Some of a cluster's installed GPUs were powered on.
    ClusterEnergised { cluster: ClusterId, gpus: u64 },
    /// Energised GPUs reached the end of their useful life.
    ClusterRetired { cluster: ClusterId, gpus: u64 },
}

/// What installed GPUs waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitCause {
    /// Completed IT capacity of the hall.
    Shell,
    /// Firm power at the site.
    Power,
}

/// GPU counts of one cluster; `ordered = in_transit + installed + retired` holds after every event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuCounts {
    /// Ordered so far.
    pub ordered: u64,
    /// Ordered but not yet installed (in delivery or being installed).
    pub in_transit: u64,
    /// Installed and not retired.
    pub installed: u64,
    /// Installed and powered on (a subset of `installed`).
    pub energised: u64,
    /// Retired.
    pub retired: u64,
}

/// State of one site at one instant, as recorded at month boundaries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteState {
    /// Firm power available [MW].
    pub firm_power_mw: f64,
    /// IT capacity of completed shell phases [MW].
    pub shell_it_mw: f64,
    /// GPUs installed.
    pub gpus_installed: u64,
    /// GPUs powered on.
    pub gpus_energised: u64,
    /// IT load of energised GPUs [MW].
    pub it_load_mw: f64,
    /// Facility load: IT load × PUE [MW].
    pub facility_load_mw: f64,
    /// Facility energy used since the start [MWh].
    pub energy_mwh: f64,
}

/// Results of one replication.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Every event, in the order it happened.
    pub events: Vec<(SimTime, Event)>,
    /// Per month boundary (month 0 is the start), per site.
    pub monthly: Vec<Vec<SiteState>>,
    /// First time each site had firm power.
    pub first_power: Vec<Option<SimTime>>,
    /// First time each site had a GPU energised.
    pub first_gpu: Vec<Option<SimTime>>,
    /// Time the region's IT load first reached each whole GW (index 0 = 1 GW).
    pub gw_reached: Vec<SimTime>,
    /// Time every ordered GPU had been energised at least once, if within the horizon.
    pub full_capacity: Option<SimTime>,
    /// Installed-GPU-hours spent waiting, per cluster, for (shell, power).
    pub waits_gpu_hours: Vec<(f64, f64)>,
    /// Final GPU counts per cluster.
    pub gpus: Vec<GpuCounts>,
}

struct Sim<'a> {
    scenario: &'a Scenario,
    seed: u64,
    replication: u64,
    factors: FactorDraws,
    queue: EventQueue<Event>,
    log: Vec<(SimTime, Event)>,
    end: SimTime,
    grid_on: Vec<bool>,
    power_on: Vec<bool>,
    phase_done: Vec<Vec<bool>>,
    gpus: Vec<GpuCounts>,
    ever_energised: Vec<u64>,
    waits: Vec<(f64, f64)>,
    energy_mwh: Vec<f64>,
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
        let grid: f64 = s
            .grid_connections
            .iter()
            .enumerate()
            .filter(|(i, g)| g.site.index() == site && self.grid_on[*i])
            .map(|(_, g)| g.capacity.0)
            .sum();
        let onsite: f64 = s
            .power_assets
            .iter()
            .enumerate()
            .filter(|(i, a)| a.site.index() == site && self.power_on[*i] && a.tech.dispatchable)
            .map(|(_, a)| a.capacity.0 * a.tech.availability.unwrap_or(1.0))
            .sum();
        grid + onsite
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

    fn it_load_mw(&self, c: usize) -> f64 {
        self.gpus[c].energised as f64 * self.kw_per_gpu(c) / 1000.0
    }

    fn site_state(&self, site: usize) -> SiteState {
        let s = self.scenario;
        let clusters: Vec<usize> = (0..s.clusters.len())
            .filter(|&c| s.clusters[c].site.index() == site)
            .collect();
        SiteState {
            firm_power_mw: self.firm_power_mw(site),
            shell_it_mw: (0..s.shells.len())
                .filter(|&h| s.shells[h].site.index() == site)
                .map(|h| self.shell_it_mw(h))
                .sum(),
            gpus_installed: clusters.iter().map(|&c| self.gpus[c].installed).sum(),
            gpus_energised: clusters.iter().map(|&c| self.gpus[c].energised).sum(),
            it_load_mw: clusters.iter().map(|&c| self.it_load_mw(c)).sum(),
            facility_load_mw: clusters
                .iter()
                .map(|&c| self.it_load_mw(c) * self.pue(c))
                .sum(),
            energy_mwh: self.energy_mwh[site],
        }
    }

    /// The state of every site at month boundary `b`, energy and waits brought up to it.
    fn snapshot(&mut self, b: SimTime) -> Vec<SiteState> {
        self.advance(b);
        (0..self.scenario.sites.len())
            .map(|s| self.site_state(s))
            .collect()
    }

    /// Brings energy and waiting totals up to `t`; the state is constant between events.
    fn advance(&mut self, t: SimTime) {
        let hours = (t.0 - self.last_time.0) as f64;
        if hours > 0.0 {
            for site in 0..self.scenario.sites.len() {
                let load = self.site_state(site).facility_load_mw;
                self.energy_mwh[site] += load * hours;
            }
            for c in 0..self.scenario.clusters.len() {
                let waiting = (self.gpus[c].installed - self.gpus[c].energised) as f64;
                if waiting > 0.0 {
                    match self.binding(c) {
                        WaitCause::Shell => self.waits[c].0 += waiting * hours,
                        WaitCause::Power => self.waits[c].1 += waiting * hours,
                    }
                }
            }
        }
        self.last_time = t;
    }

    /// What limits cluster `c` now: the one of shell and power with less room left.
    fn binding(&self, c: usize) -> WaitCause {
        let (shell_room, power_room) = self.room(c);
        if shell_room <= power_room {
            WaitCause::Shell
        } else {
            WaitCause::Power
        }
    }

    /// Room for more GPUs of cluster `c` [GPUs], in its hall and under its site's firm power.
    fn room(&self, c: usize) -> (f64, f64) {
        let s = self.scenario;
        let shell = s.clusters[c].shell.index();
        let site = s.clusters[c].site.index();
        let hall_used: f64 = (0..s.clusters.len())
            .filter(|&o| s.clusters[o].shell.index() == shell)
            .map(|o| self.it_load_mw(o))
            .sum();
        let site_used: f64 = (0..s.clusters.len())
            .filter(|&o| s.clusters[o].site.index() == site)
            .map(|o| self.it_load_mw(o) * self.pue(o))
            .sum();
        let mw = self.kw_per_gpu(c) / 1000.0;
        let shell_room = ((self.shell_it_mw(shell) - hall_used) / mw).max(0.0);
        let power_room = ((self.firm_power_mw(site) - site_used) / (mw * self.pue(c))).max(0.0);
        // A hair of tolerance so that exact fits are not lost to rounding.
        ((shell_room + 1e-9).floor(), (power_room + 1e-9).floor())
    }

    /// Energises waiting GPUs wherever there is room, in scenario order.
    fn energise(&mut self, t: SimTime) {
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
            self.gpus[c].energised += n;
            let cluster = ClusterId(c as u32);
            self.log
                .push((t, Event::ClusterEnergised { cluster, gpus: n }));
            // A GPU is energised once: retired GPUs leave `installed` for good.
            self.ever_energised[c] += n;
            let life = self.scenario.clusters[c].useful_life_years * 12.0;
            self.at(
                t.after_months(life),
                Event::ClusterRetired { cluster, gpus: n },
            );
        }
    }
}

/// Runs replication `replication` of `scenario` to the end of its horizon.
pub fn run(scenario: &Scenario, replication: u64) -> Replication {
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
    let mut sim = Sim {
        scenario,
        seed,
        replication,
        factors,
        queue: EventQueue::new(),
        log: Vec::new(),
        end,
        grid_on: vec![false; scenario.grid_connections.len()],
        power_on: vec![false; scenario.power_assets.len()],
        phase_done: scenario
            .shells
            .iter()
            .map(|s| vec![false; s.phases.len()])
            .collect(),
        gpus: vec![GpuCounts::default(); scenario.clusters.len()],
        ever_energised: vec![0; scenario.clusters.len()],
        waits: vec![(0.0, 0.0); scenario.clusters.len()],
        energy_mwh: vec![0.0; scenario.sites.len()],
        last_time: SimTime::ZERO,
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
    for (i, cluster) in scenario.clusters.iter().enumerate() {
        let t = SimTime::from_date(cluster.order_date, start);
        sim.at(
            t,
            Event::GpusOrdered {
                cluster: ClusterId(i as u32),
                gpus: cluster.gpus,
            },
        );
    }

    let mut monthly: Vec<Vec<SiteState>> = Vec::with_capacity(months + 1);
    let mut first_power = vec![None; scenario.sites.len()];
    let mut first_gpu = vec![None; scenario.sites.len()];
    let mut gw_reached = Vec::new();
    let mut full_capacity = None;
    let total_ordered: u64 = scenario.clusters.iter().map(|c| c.gpus).sum();
    let boundary = |m: usize| SimTime::ZERO.after_months(m as f64);

    while let Some(t) = sim.queue.peek_time() {
        if t > sim.end {
            break;
        }
        // A month boundary records the state after every event up to and including its instant,
        // so record the boundaries strictly before this event's time.
        while monthly.len() <= months && boundary(monthly.len()) < t {
            monthly.push(sim.snapshot(boundary(monthly.len())));
        }
        let Some((t, event)) = sim.queue.pop() else {
            break;
        };
        sim.advance(t);
        apply(&mut sim, t, &event);
        sim.log.push((t, event));
        sim.energise(t);
        for site in 0..scenario.sites.len() {
            let state = sim.site_state(site);
            if first_power[site].is_none() && state.firm_power_mw > 0.0 {
                first_power[site] = Some(t);
            }
            if first_gpu[site].is_none() && state.gpus_energised > 0 {
                first_gpu[site] = Some(t);
            }
        }
        let region_it_gw: f64 = (0..scenario.clusters.len())
            .map(|c| sim.it_load_mw(c))
            .sum::<f64>()
            / 1000.0;
        while region_it_gw + 1e-9 >= (gw_reached.len() + 1) as f64 {
            gw_reached.push(t);
        }
        if full_capacity.is_none()
            && total_ordered > 0
            && sim.ever_energised.iter().sum::<u64>() == total_ordered
        {
            full_capacity = Some(t);
        }
    }
    while monthly.len() <= months {
        monthly.push(sim.snapshot(boundary(monthly.len())));
    }
    Replication {
        events: sim.log,
        monthly,
        first_power,
        first_gpu,
        gw_reached,
        full_capacity,
        waits_gpu_hours: sim.waits,
        gpus: sim.gpus,
    }
}

/// Applies an event's effect on the state and schedules what follows from it.
fn apply(sim: &mut Sim, t: SimTime, event: &Event) {
    let s = sim.scenario;
    let start = s.meta.start_date;
    match *event {
        Event::LandAcquired { site } => {
            let next = sim.after(
                t,
                "permit",
                &s.sites[site.index()].id,
                &s.sites[site.index()].permit_months,
            );
            sim.at(next, Event::PermitGranted { site });
        }
        Event::PermitGranted { site } => {
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
                    sim.at(
                        next,
                        Event::ShellPhaseCompleted {
                            shell: ShellId(h as u32),
                            phase: p,
                        },
                    );
                }
            }
        }
        Event::GridConnected { connection } => sim.grid_on[connection.index()] = true,
        Event::PowerCommissioned { asset } => sim.power_on[asset.index()] = true,
        Event::ShellPhaseCompleted { shell, phase } => sim.phase_done[shell.index()][phase] = true,
        Event::GpusOrdered { cluster, gpus } => {
            let c = &s.clusters[cluster.index()];
            sim.gpus[cluster.index()].ordered += gpus;
            sim.gpus[cluster.index()].in_transit += gpus;
            let next = sim.after(t, "delivery", &c.id, &c.lead_time_months);
            sim.at(next, Event::GpusDelivered { cluster, gpus });
        }
        Event::GpusDelivered { cluster, gpus } => {
            let c = &s.clusters[cluster.index()];
            let next = sim.after(t, "install", &c.id, &c.install_months);
            sim.at(next, Event::GpusInstalled { cluster, gpus });
        }
        Event::GpusInstalled { cluster, gpus } => {
            let counts = &mut sim.gpus[cluster.index()];
            counts.in_transit -= gpus;
            counts.installed += gpus;
        }
        Event::ClusterRetired { cluster, gpus } => {
            let counts = &mut sim.gpus[cluster.index()];
            counts.installed -= gpus;
            counts.energised -= gpus;
            counts.retired += gpus;
        }
        Event::ClusterEnergised { .. } => {}
    }
}
