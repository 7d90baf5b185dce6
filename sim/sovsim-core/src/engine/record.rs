//! What one replication of the buildout records, apart from how it is simulated: the events as
//! facts in the past tense, why GPUs waited, GPU counts and site states month by month, the
//! layout of its series, milestones, outlays and retirements — what the aggregate, the dispatch
//! and the financial model read.

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
    /// An on-site plant went down (planned or forced outage).
    PowerOutageStarted { asset: PowerAssetId },
    /// An on-site plant came back from an outage.
    PowerRestored { asset: PowerAssetId },
    /// A construction phase of a hall was completed.
    ShellPhaseCompleted { shell: ShellId, phase: usize },
    /// GPUs were ordered.
    GpusOrdered { cluster: ClusterId, gpus: u64 },
    /// GPUs arrived on site.
    GpusDelivered { cluster: ClusterId, gpus: u64 },
    /// GPUs due for delivery were held back by a supply cap until its next quota.
    GpusHeld { cluster: ClusterId, gpus: u64 },
    /// GPUs were installed and burnt in.
    GpusInstalled { cluster: ClusterId, gpus: u64 },
    /// Installed GPUs were powered on.
    ClusterEnergised { cluster: ClusterId, gpus: u64 },
    /// Energised GPUs failed in the month ending now (failures are tallied a month at a time).
    GpusFailed { cluster: ClusterId, gpus: u64 },
    /// Failed GPUs were repaired or replaced and came back into service in the month ending now.
    GpusRepaired { cluster: ClusterId, gpus: u64 },
    /// GPUs in repair were out of service for `gpu_hours` GPU-hours in the month ending now: the
    /// cluster's load, integrated between events, is that much lower over the month.
    GpuHoursLost { cluster: ClusterId, gpu_hours: f64 },
    /// Working GPUs were powered down because the site's firm power fell below their load.
    GpusCurtailed { cluster: ClusterId, gpus: u64 },
    /// Curtailed GPUs were powered up again.
    GpusRestored { cluster: ClusterId, gpus: u64 },
    /// Energised GPUs reached the end of their useful life.
    ClusterRetired { cluster: ClusterId, gpus: u64 },
}

impl Event {
    /// The cluster a GPU event concerns.
    pub fn cluster(&self) -> Option<ClusterId> {
        match *self {
            Event::GpusOrdered { cluster, .. }
            | Event::GpusDelivered { cluster, .. }
            | Event::GpusHeld { cluster, .. }
            | Event::GpusInstalled { cluster, .. }
            | Event::ClusterEnergised { cluster, .. }
            | Event::GpusFailed { cluster, .. }
            | Event::GpusRepaired { cluster, .. }
            | Event::GpuHoursLost { cluster, .. }
            | Event::GpusCurtailed { cluster, .. }
            | Event::GpusRestored { cluster, .. }
            | Event::ClusterRetired { cluster, .. } => Some(cluster),
            _ => None,
        }
    }

    /// The GPUs a GPU event counts.
    pub fn gpus(&self) -> Option<u64> {
        match *self {
            Event::GpusOrdered { gpus, .. }
            | Event::GpusDelivered { gpus, .. }
            | Event::GpusHeld { gpus, .. }
            | Event::GpusInstalled { gpus, .. }
            | Event::ClusterEnergised { gpus, .. }
            | Event::GpusFailed { gpus, .. }
            | Event::GpusRepaired { gpus, .. }
            | Event::GpusCurtailed { gpus, .. }
            | Event::GpusRestored { gpus, .. }
            | Event::ClusterRetired { gpus, .. } => Some(gpus),
            _ => None,
        }
    }

    /// The event's name, as written in the event log.
    pub fn name(&self) -> &'static str {
        match self {
            Event::LandAcquired { .. } => "LandAcquired",
            Event::PermitGranted { .. } => "PermitGranted",
            Event::GridConnected { .. } => "GridConnected",
            Event::PowerCommissioned { .. } => "PowerCommissioned",
            Event::PowerOutageStarted { .. } => "PowerOutageStarted",
            Event::PowerRestored { .. } => "PowerRestored",
            Event::ShellPhaseCompleted { .. } => "ShellPhaseCompleted",
            Event::GpusOrdered { .. } => "GpusOrdered",
            Event::GpusDelivered { .. } => "GpusDelivered",
            Event::GpusHeld { .. } => "GpusHeld",
            Event::GpusInstalled { .. } => "GpusInstalled",
            Event::ClusterEnergised { .. } => "ClusterEnergised",
            Event::GpusFailed { .. } => "GpusFailed",
            Event::GpusRepaired { .. } => "GpusRepaired",
            Event::GpuHoursLost { .. } => "GpuHoursLost",
            Event::GpusCurtailed { .. } => "GpusCurtailed",
            Event::GpusRestored { .. } => "GpusRestored",
            Event::ClusterRetired { .. } => "ClusterRetired",
        }
    }
}

/// What GPUs waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WaitCause {
    /// The site's permit: nothing is built before it.
    Permit,
    /// A grid connection still in the queue.
    Grid,
    /// On-site generation still being built.
    OnsitePower,
    /// Firm power that no pending source will bring: the scenario plans too little.
    PowerShortfall,
    /// Completed IT capacity of the hall.
    Shell,
    /// The GPUs themselves: still in transit after their planned date (lead time, supply cap).
    Gpus,
}

impl WaitCause {
    /// Every cause, in the order of `Replication::waits_gpu_hours`.
    pub const ALL: [WaitCause; 6] = [
        WaitCause::Permit,
        WaitCause::Grid,
        WaitCause::OnsitePower,
        WaitCause::PowerShortfall,
        WaitCause::Shell,
        WaitCause::Gpus,
    ];

    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            WaitCause::Permit => "permit",
            WaitCause::Grid => "grid",
            WaitCause::OnsitePower => "onsite_power",
            WaitCause::PowerShortfall => "power_shortfall",
            WaitCause::Shell => "shell",
            WaitCause::Gpus => "gpus",
        }
    }

    /// Words for people: "waiting for the grid".
    pub fn phrase(self) -> &'static str {
        match self {
            WaitCause::Permit => "the permit",
            WaitCause::Grid => "the grid",
            WaitCause::OnsitePower => "on-site power",
            WaitCause::PowerShortfall => "power no source will bring",
            WaitCause::Shell => "the shell",
            WaitCause::Gpus => "GPU deliveries",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// GPU-hours waited, by cause (indexed as `WaitCause::ALL`).
pub type Waits = [f64; 6];

/// GPU counts of one cluster; `ordered = in_transit + installed + retired` holds after every event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuCounts {
    /// Ordered so far.
    pub ordered: u64,
    /// Ordered but not yet installed (in delivery, held by a supply cap, or being installed).
    pub in_transit: u64,
    /// Installed and not retired.
    pub installed: u64,
    /// Installed and powered on (a subset of `installed`), including those failed and in repair.
    pub energised: u64,
    /// Energised but failed and not yet repaired (a subset of `energised`).
    pub in_repair: u64,
    /// Energised and working but powered down for lack of firm power (a subset of `energised`,
    /// apart from `in_repair`).
    pub curtailed: u64,
    /// Retired.
    pub retired: u64,
}

impl GpuCounts {
    /// Energised, working and powered.
    pub fn operational(&self) -> u64 {
        self.energised - self.in_repair - self.curtailed
    }

    /// Energised GPUs whose power is reserved: all but the curtailed (a GPU in repair comes back).
    pub(crate) fn powered(&self) -> u64 {
        self.energised - self.curtailed
    }
}

/// GPU counts of one SKU at one site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkuState {
    /// Installed and not retired.
    pub installed: u64,
    /// Energised and working.
    pub operational: u64,
    /// Failed and in repair.
    pub in_repair: u64,
}

/// State of one site at one instant, as recorded at month boundaries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteState {
    /// Firm power available [MW].
    pub firm_power_mw: f64,
    /// Power available per source (as `Layout::sources`) [MW]: connected grid capacity,
    /// dispatchable capacity × availability, or weather-driven capacity × capacity factor.
    pub available_mw: Vec<f64>,
    /// IT capacity of completed shell phases [MW].
    pub shell_it_mw: f64,
    /// GPUs installed.
    pub gpus_installed: u64,
    /// GPUs powered on (operational or in repair).
    pub gpus_energised: u64,
    /// GPUs working.
    pub gpus_operational: u64,
    /// GPUs failed and in repair.
    pub gpus_in_repair: u64,
    /// GPUs powered down for lack of firm power.
    pub gpus_curtailed: u64,
    /// Per SKU (as `Layout::skus`).
    pub skus: Vec<SkuState>,
    /// IT capacity online: energised GPUs (working or in repair) at all-in power [MW].
    pub it_online_mw: f64,
    /// IT load of operational GPUs [MW].
    pub it_load_mw: f64,
    /// Facility load: IT load × PUE [MW].
    pub facility_load_mw: f64,
    /// Facility energy used since the start [MWh].
    pub energy_mwh: f64,
    /// Energy since the start per source (as `Layout::sources`) [MWh].
    pub energy_mwh_by_source: Vec<f64>,
    /// Emissions since the start [tCO₂].
    pub emissions_t: f64,
}

/// The dimensions of a scenario's per-site state: its power sources and its GPU SKUs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `grid`, then each on-site technology id in order of first appearance.
    pub sources: Vec<String>,
    /// Accelerator ids in order of first appearance among clusters.
    pub skus: Vec<String>,
}

impl Layout {
    /// The layout of `scenario`.
    pub fn of(scenario: &Scenario) -> Self {
        let mut sources = vec!["grid".to_owned()];
        for a in &scenario.power_assets {
            if !sources.contains(&a.tech.id) {
                sources.push(a.tech.id.clone());
            }
        }
        Self {
            sources,
            skus: scenario.skus.clone(),
        }
    }

    /// Per cluster of `scenario`: the index of its SKU in `skus`.
    pub fn cluster_skus(&self, scenario: &Scenario) -> Vec<usize> {
        scenario.clusters.iter().map(|c| c.sku.index()).collect()
    }
}

/// Per-site stages dated by their first event: permit granted, grid connected, on-site power
/// commissioned, first hall phase completed, first GPUs delivered (the report's Gantt).
pub const SITE_STAGES: [&str; 5] = ["permit", "grid", "onsite_power", "shell", "gpus_delivered"];

/// Results of one replication.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Every event, in the order it happened (empty unless asked for).
    pub events: Vec<(SimTime, Event)>,
    /// Per month boundary (month 0 is the start), per site.
    pub monthly: Vec<Vec<SiteState>>,
    /// Per site, when it first passed each of `SITE_STAGES`.
    pub stages: Vec<[Option<SimTime>; SITE_STAGES.len()]>,
    /// First time each site had firm power.
    pub first_power: Vec<Option<SimTime>>,
    /// First time each site had a GPU energised.
    pub first_gpu: Vec<Option<SimTime>>,
    /// First time every GPU first ordered for each site had been energised.
    pub site_full_capacity: Vec<Option<SimTime>>,
    /// Time the region's energised IT capacity first reached each whole GW (index 0 = 1 GW).
    pub gw_reached: Vec<SimTime>,
    /// Time every GPU of the scenario's own orders (refreshes aside) had been energised.
    pub full_capacity: Option<SimTime>,
    /// GPU-hours waited per cluster, by cause.
    pub waits_gpu_hours: Vec<Waits>,
    /// Final GPU counts per cluster.
    pub gpus: Vec<GpuCounts>,
    /// Per month boundary, per cluster: operational GPU-hours since the start (energised, not in
    /// repair, not curtailed); a month's capacity is the difference of two boundaries.
    pub operational_gpu_hours: Vec<Vec<f64>>,
    /// Everything bought, with when it was paid for, in the order it was committed: what finance
    /// turns into capital expenditure. Kept for every replication (a few entries per asset).
    pub outlays: Vec<Outlay>,
    /// GPUs retired: when, from which cluster, how many (finance books their resale).
    pub retirements: Vec<(SimTime, ClusterId, u64)>,
}

/// What a replication has produced up to a month boundary — all of it once finished, or what a
/// [`super::buildout::Stepper`] has run so far: what the financial model reads.
#[derive(Clone, Copy, Debug)]
pub struct Produced<'r> {
    /// As [`Replication::monthly`], up to the boundary.
    pub monthly: &'r [Vec<SiteState>],
    /// As [`Replication::operational_gpu_hours`], up to the boundary.
    pub operational_gpu_hours: &'r [Vec<f64>],
    /// As [`Replication::outlays`], so far.
    pub outlays: &'r [Outlay],
    /// As [`Replication::retirements`], so far.
    pub retirements: &'r [(SimTime, ClusterId, u64)],
}

impl<'r> From<&'r Replication> for Produced<'r> {
    fn from(rep: &'r Replication) -> Self {
        Produced {
            monthly: &rep.monthly,
            operational_gpu_hours: &rep.operational_gpu_hours,
            outlays: &rep.outlays,
            retirements: &rep.retirements,
        }
    }
}

/// An asset paid for over `[start, end]`: land when acquired, GPUs when delivered (`start == end`);
/// power plants and hall phases evenly over their construction, which may run past the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Outlay {
    /// First hour of spending.
    pub start: SimTime,
    /// Last hour of spending (completion, or delivery).
    pub end: SimTime,
    /// What was bought.
    pub asset: Asset,
}

/// What an outlay buys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Asset {
    /// A site's land.
    Land(SiteId),
    /// An on-site plant (power contracts cost nothing up front).
    Power(PowerAssetId),
    /// One construction phase of a hall.
    ShellPhase(ShellId, usize),
    /// GPUs delivered to a cluster.
    Gpus(ClusterId, u64),
}
