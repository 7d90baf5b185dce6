//! The validated domain model of a scenario: what the engine, dispatch, finance and optimiser read.
//!
//! It knows nothing of TOML: entities refer to each other by typed indices, quantities carry their
//! units in their names (and newtypes where mixing would be a bug), and catalog values are already
//! resolved and overridden. Every value here has passed the checks in `scenario::convert`.

use std::collections::BTreeMap;

use nalgebra::DMatrix;

mod distribution;
mod lever;
mod room;

pub use distribution::{Distribution, Uncertain};
pub use lever::{CaseSpec, Change, Input, Range};
pub use room::Room;

use crate::catalog::{Accelerator, Country, OpenModel, PowerTech, ShellType};
use crate::units::{Date, Eur, Mw};

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// Position of the entity in its list.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

typed_id!(
    /// Index into [`Scenario::sites`].
    SiteId,
    /// Index into [`Scenario::operators`].
    OperatorId,
    /// Index into [`Scenario::shells`].
    ShellId,
    /// Index into [`Scenario::clusters`].
    ClusterId,
    /// Index into [`Scenario::power_assets`].
    PowerAssetId,
    /// Index into [`Scenario::grid_connections`].
    GridConnectionId,
    /// Index into [`Scenario::tiers`].
    TierId,
    /// Index into [`Scenario::models`].
    ModelId,
    /// Index into [`Uncertainty::factors`].
    FactorId,
    /// Index into [`Scenario::skus`]: an accelerator the clusters use.
    SkuId,
);

/// A whole scenario, validated.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Metadata.
    pub meta: Meta,
    /// Operators.
    pub operators: Vec<Operator>,
    /// Sites.
    pub sites: Vec<Site>,
    /// Grid connections.
    pub grid_connections: Vec<GridConnection>,
    /// On-site generation and power contracts.
    pub power_assets: Vec<PowerAsset>,
    /// Halls.
    pub shells: Vec<Shell>,
    /// Accelerator procurements; refreshes follow the clusters they replace.
    pub clusters: Vec<Cluster>,
    /// Catalog ids of the accelerators the clusters use, in order of first use ([`SkuId`]).
    pub skus: Vec<String>,
    /// Caps on GPU deliveries.
    pub supply_shocks: Vec<SupplyShock>,
    /// Sovereignty tiers.
    pub tiers: Vec<Tier>,
    /// Country codes of the EU member states (from the catalog), for rules that name `EU`.
    pub eu_members: Vec<String>,
    /// The Cloud Sovereignty Framework's objectives and criteria (from the catalog), which every
    /// cluster is assessed against.
    pub framework: Framework,
    /// Open-weight models.
    pub models: Vec<Model>,
    /// Training campaigns.
    pub training: Vec<TrainingCampaign>,
    /// Inference demand.
    pub inference: Vec<InferenceDemand>,
    /// How capacity is matched to demand, with every rate resolved.
    pub dispatch: DispatchRules,
    /// Financing assumptions, if the scenario is to be financed.
    pub finance: Option<Finance>,
    /// Risk factors and their correlation.
    pub uncertainty: Uncertainty,
    /// Keys of the catalog's `defaults.csv` that filled fields the scenario left out, in order.
    pub defaults_used: Vec<String>,
    /// The figures the scenario file states about the world, with what their lines say of their
    /// origin, in file order (empty for a scenario built in memory).
    pub stated: Vec<StatedFigure>,
    /// What `sovsim optimize` plans (defaults filled in when the scenario has no `[optimize]`).
    pub optimize: OptimizeSpec,
    /// The inputs a tornado moves and their ranges (defaults filled in), in [`Input::ALL`] order.
    pub sensitivity: Vec<Range>,
    /// Named cases, in name order.
    pub cases: Vec<CaseSpec>,
    /// Rules by which operators buy GPUs from what their operations earn, in file order.
    pub reinvestments: Vec<Reinvestment>,
    /// Screening proxies inference passes, in file order.
    pub defences: Vec<Defence>,
    /// Capacity that may be rented from existing cloud regions, in file order.
    pub cloud_offers: Vec<CloudOffer>,
}

/// Capacity rented from an existing cloud region at a GPU-hour price: the alternative a planner
/// has to building, available at once up to a volume. `sovsim optimize` weighs it against
/// building (a tier's rule decides whether a demand may use it, as for a cluster); `sovsim run`
/// simulates the capacity the scenario builds.
#[derive(Clone, Debug)]
pub struct CloudOffer {
    /// Identifier in the scenario.
    pub id: String,
    /// Who runs the region (its evidence is what the tiers read).
    pub operator: OperatorId,
    /// Country of the region.
    pub country: Country,
    /// Accelerator rented, from the catalog.
    pub accelerator: Accelerator,
    /// Its SKU among the scenario's (an offer rents a generation a cluster of the scenario uses).
    pub sku: SkuId,
    /// Most GPUs rentable at once.
    pub gpus: u64,
    /// Price per GPU-hour [EUR]; `None`: the financial model's market price of the SKU.
    pub price_eur_per_gpu_hour: Option<f64>,
    /// First day it may be rented.
    pub from_date: Date,
}

/// How a screening proxy is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// One service for every provider, pooling their detection signals.
    Shared,
    /// Each provider screens its own traffic alone.
    PerProvider,
}

impl Sharing {
    /// Both, in the order the outputs show them.
    pub const ALL: [Sharing; 2] = [Sharing::PerProvider, Sharing::Shared];

    /// Name in scenario files and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Sharing::Shared => "shared",
            Sharing::PerProvider => "per_provider",
        }
    }
}

/// A screening proxy ("Iron Dome") the inference demand of some tiers passes: it blocks the
/// attack traffic it detects and some legitimate requests, and costs GPU-hours and latency.
#[derive(Clone, Debug)]
pub struct Defence {
    /// Identifier in the scenario.
    pub id: String,
    /// Tiers screened.
    pub tiers: Vec<TierId>,
    /// How the dispatch runs it.
    pub sharing: Sharing,
    /// Extra GPU-hours of screening per GPU-hour of serving [fraction].
    pub screening_overhead: f64,
    /// Latency of the screen per request [ms].
    pub latency_ms: f64,
    /// Network hop to a shared service [ms].
    pub shared_hop_ms: f64,
    /// Legitimate requests blocked [fraction].
    pub false_block_rate: f64,
    /// Attack traffic in the demand [fraction].
    pub attack_share: f64,
    /// Share of campaigns one provider detects alone [fraction].
    pub detection_rate: f64,
    /// Days from a campaign's start to its block once detected.
    pub detection_lag_days: f64,
    /// Days an undetected campaign runs.
    pub campaign_days: f64,
    /// Providers pooling signals in the shared service.
    pub providers: u32,
    /// Extra independent detectors each other provider's signals amount to [fraction].
    pub pooling_elasticity: f64,
}

impl Defence {
    /// Share of campaigns detected: one provider's rate alone, or, shared, as if each of the other
    /// providers' pooled signals were `pooling_elasticity` of an independent detector:
    /// 1 − (1 − p)^(1 + e·(n − 1)).
    pub fn detection(&self, sharing: Sharing) -> f64 {
        match sharing {
            Sharing::PerProvider => self.detection_rate,
            Sharing::Shared => {
                let detectors =
                    1.0 + self.pooling_elasticity * f64::from(self.providers.saturating_sub(1));
                1.0 - (1.0 - self.detection_rate).powf(detectors)
            }
        }
    }

    /// Share of attack tokens blocked: a detected campaign is served until the lag has passed.
    pub fn attack_blocked(&self, sharing: Sharing) -> f64 {
        let served_before_block = if self.campaign_days > 0.0 {
            (self.detection_lag_days / self.campaign_days).min(1.0)
        } else {
            1.0
        };
        self.detection(sharing) * (1.0 - served_before_block)
    }

    /// Share of the demand the screen lets through: attack traffic not blocked and legitimate
    /// traffic not falsely blocked.
    pub fn passed(&self, sharing: Sharing) -> f64 {
        self.attack_share * (1.0 - self.attack_blocked(sharing))
            + (1.0 - self.attack_share) * (1.0 - self.false_block_rate)
    }

    /// Of the tokens let through, the share that is attack traffic (leaked to attackers).
    pub fn leaked_of_passed(&self, sharing: Sharing) -> f64 {
        let passed = self.passed(sharing);
        if passed > 0.0 {
            self.attack_share * (1.0 - self.attack_blocked(sharing)) / passed
        } else {
            0.0
        }
    }

    /// Latency added per request [ms]: the screen, plus a network hop when shared.
    pub fn latency_added_ms(&self, sharing: Sharing) -> f64 {
        match sharing {
            Sharing::PerProvider => self.latency_ms,
            Sharing::Shared => self.latency_ms + self.shared_hop_ms,
        }
    }
}

/// A rule by which an operator buys GPUs from what its operations earn — the flywheel: at the end
/// of each financial period it sets aside `share` of the period's `basis`, and whenever that fund
/// buys `min_order_gpus` GPUs or more it orders as many as it buys and its halls have room for.
#[derive(Clone, Debug)]
pub struct Reinvestment {
    /// Identifier in the scenario.
    pub id: String,
    /// Whose cash is reinvested.
    pub operator: OperatorId,
    /// What the share is a share of.
    pub basis: ReinvestmentBasis,
    /// Share of the basis set aside each period (of a positive basis: a loss sets nothing aside).
    pub share: f64,
    /// Smallest order placed [GPUs].
    pub min_order_gpus: u64,
    /// The clusters its orders go to, one per hall it may fill, in the order it names the halls
    /// (each cluster holds no GPUs until ordered; its `gpus` is the most the hall and its site's
    /// firm power have room for).
    pub clusters: Vec<ClusterId>,
}

/// What a reinvestment rule sets a share of aside.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReinvestmentBasis {
    /// Revenue less opex (EBITDA) of the operator's share of its sites.
    OperatingCash,
    /// Inference revenue less the opex of the GPU-hours that served it, of the operator's share.
    InferenceMargin,
}

/// Where a figure a scenario states comes from, by the comment on its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureOrigin {
    /// The comment says `ESTIMATE`.
    Estimate,
    /// The comment names a source.
    Sourced,
    /// The line has no comment.
    Unstated,
}

impl FigureOrigin {
    /// Name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            FigureOrigin::Estimate => "estimate",
            FigureOrigin::Sourced => "sourced",
            FigureOrigin::Unstated => "unstated",
        }
    }
}

/// A figure a scenario file states (a number, or a distribution as one figure).
#[derive(Clone, Debug, PartialEq)]
pub struct StatedFigure {
    /// Field path, as diagnostics show it: `grid_connections[0].queue_wait_months`.
    pub path: String,
    /// The value as written.
    pub value: String,
    /// `file:line`.
    pub location: String,
    /// The comment on its line (empty if none).
    pub comment: String,
    /// Estimate, sourced or unstated.
    pub origin: FigureOrigin,
    /// Global offset of the value in the files read (orders figures as in the files).
    pub offset: usize,
}

/// What the buildout optimiser minimises or maximises.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Least NPV of capex and opex (less terminal value) that meets every demand.
    #[default]
    MinCost,
    /// Most demand of the sovereign tiers served, within the capex budget.
    MaxSovereign,
}

impl Objective {
    /// The name in scenarios and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Objective::MinCost => "min_cost",
            Objective::MaxSovereign => "max_sovereign",
        }
    }
}

/// The optimiser's settings, validated.
#[derive(Clone, Debug)]
pub struct OptimizeSpec {
    /// What is optimised.
    pub objective: Objective,
    /// Length of a period [years].
    pub period_years: u32,
    /// Number of periods.
    pub periods: u32,
    /// Quantile of grid queue waits planned on.
    pub grid_wait_quantile: f64,
    /// Most capex per year [EUR].
    pub budget_eur_per_year: Option<f64>,
    /// Most CO₂ per year [t].
    pub carbon_cap_t_per_year: Option<f64>,
    /// Tiers `max_sovereign` serves.
    pub sovereign_tiers: Vec<TierId>,
    /// Least share of GPU IT power qualifying for a tier.
    pub min_sovereign_share: Option<(TierId, f64)>,
    /// Entities kept as stated.
    pub committed: Vec<Committed>,
    /// Relative MIP gap.
    pub mip_gap: f64,
    /// Longest solve [s].
    pub time_limit_s: f64,
    /// Cost of unmet demand as a multiple of the dearest way to serve it.
    pub shortfall_penalty_factor: f64,
}

/// An entity the optimiser keeps as the scenario states it (`[optimize] committed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Committed {
    /// A site, acquired.
    Site(SiteId),
    /// A grid connection, built.
    GridConnection(GridConnectionId),
    /// An on-site plant or power contract, built or signed.
    PowerAsset(PowerAssetId),
    /// A hall, built in its phases.
    Shell(ShellId),
    /// A cluster, ordered.
    Cluster(ClusterId),
}

impl Scenario {
    /// The scenario id of a committed entity.
    pub fn committed_id(&self, c: Committed) -> &str {
        match c {
            Committed::Site(i) => &self.sites[i.index()].id,
            Committed::GridConnection(i) => &self.grid_connections[i.index()].id,
            Committed::PowerAsset(i) => &self.power_assets[i.index()].id,
            Committed::Shell(i) => &self.shells[i.index()].id,
            Committed::Cluster(i) => &self.clusters[i.index()].id,
        }
    }

    /// The entity called `id`, among those `[optimize] committed` may name.
    pub(crate) fn committable(&self, id: &str) -> Option<Committed> {
        fn at<'a>(mut ids: impl Iterator<Item = &'a String>, id: &str) -> Option<u32> {
            ids.position(|x| x == id).map(|i| i as u32)
        }
        at(self.sites.iter().map(|x| &x.id), id)
            .map(|i| Committed::Site(SiteId(i)))
            .or_else(|| {
                at(self.grid_connections.iter().map(|x| &x.id), id)
                    .map(|i| Committed::GridConnection(GridConnectionId(i)))
            })
            .or_else(|| {
                at(self.power_assets.iter().map(|x| &x.id), id)
                    .map(|i| Committed::PowerAsset(PowerAssetId(i)))
            })
            .or_else(|| {
                at(self.shells.iter().map(|x| &x.id), id).map(|i| Committed::Shell(ShellId(i)))
            })
            .or_else(|| {
                at(self.clusters.iter().map(|x| &x.id), id)
                    .map(|i| Committed::Cluster(ClusterId(i)))
            })
    }
}

/// Scenario metadata.
#[derive(Clone, Debug)]
pub struct Meta {
    /// Short name (lowercase, digits, dashes).
    pub name: String,
    /// Description.
    pub description: String,
    /// First day of the horizon.
    pub start_date: Date,
    /// Horizon [years].
    pub horizon_years: u32,
    /// Reporting period [months].
    pub period_months: u32,
    /// Reporting currency.
    pub currency: Currency,
    /// Nominal discount rate [fraction per year].
    pub discount_rate: f64,
    /// Seed of every random stream.
    pub seed: u64,
}

impl Meta {
    /// Last day of the horizon (exclusive).
    pub fn end_date(&self) -> Date {
        self.start_date.add_months(self.horizon_years as i32 * 12)
    }
}

/// Reporting currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Currency {
    /// Euro.
    Eur,
    /// US dollar.
    Usd,
}

/// An operator and who controls it.
#[derive(Clone, Debug)]
pub struct Operator {
    /// Identifier in the scenario.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country of the ultimate parent.
    pub parent_jurisdiction: String,
    /// Ownership by jurisdiction [%], summing to 100.
    pub ownership_pct: BTreeMap<String, f64>,
    /// Country of the key holder.
    pub key_custody_jurisdiction: String,
    /// Countries of staff with data access.
    pub staff_jurisdictions: Vec<String>,
    /// Countries of holders of a veto.
    pub veto_jurisdictions: Vec<String>,
    /// Country of the legal entity that runs the service.
    pub operating_jurisdiction: String,
    /// Countries of the suppliers of software and services with access to the platform.
    pub supplier_jurisdictions: Vec<String>,
    /// Certifications and labels held (ids from the catalog).
    pub certifications: Vec<String>,
    /// Share of the software stack that is open source the operator can run without its vendor [%].
    pub open_source_stack_pct: f64,
    /// Rate at which its capital is paid for [fraction per year]; `None`: the scenario's discount
    /// rate.
    pub cost_of_capital: Option<f64>,
    /// What it pays per MW of hall, relative to the hall type's capex [ratio].
    pub build_cost_factor: f64,
    /// Its wait in a grid queue, relative to the connection's [ratio].
    pub grid_wait_factor: f64,
}

/// A site.
#[derive(Clone, Debug)]
pub struct Site {
    /// Identifier in the scenario.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country, resolved from the catalog.
    pub country: Country,
    /// Land area [ha].
    pub area_ha: f64,
    /// Land cost [EUR].
    pub land_cost: Eur,
    /// Largest IT load the site can host.
    pub max_it: Mw,
    /// Water the site may draw [m³/day].
    pub water_m3_per_day_max: Option<f64>,
    /// Land acquisition [months].
    pub acquisition_months: Uncertain,
    /// Permitting [months].
    pub permit_months: Uncertain,
}

/// A grid connection.
#[derive(Clone, Debug)]
pub struct GridConnection {
    /// Identifier in the scenario.
    pub id: String,
    /// Site connected.
    pub site: SiteId,
    /// Import capacity.
    pub capacity: Mw,
    /// Queue wait after the permit [months].
    pub queue_wait_months: Uncertain,
    /// Energy price [EUR/MWh].
    pub price_eur_per_mwh: Uncertain,
    /// Carbon intensity of the electricity imported [gCO₂/kWh].
    pub carbon_g_per_kwh: f64,
}

/// On-site generation or a PPA.
#[derive(Clone, Debug)]
pub struct PowerAsset {
    /// Identifier in the scenario.
    pub id: String,
    /// Site supplied.
    pub site: SiteId,
    /// Technology, with overrides applied.
    pub tech: PowerTech,
    /// The technology's capex [EUR/kW], in EUR ([`Scenario::price_in_eur`]).
    pub capex_eur_per_kw: Option<f64>,
    /// Its variable O&M [EUR/MWh], in EUR ([`Scenario::price_in_eur`]).
    pub variable_om_eur_per_mwh: Option<f64>,
    /// Capacity.
    pub capacity: Mw,
    /// Construction start or contract signature.
    pub start_date: Date,
    /// Build or delivery time [months].
    pub build_months: Uncertain,
    /// Energy price [EUR/MWh], if any.
    pub energy_price_eur_per_mwh: Option<Uncertain>,
    /// Mean outage length [days], when outages are simulated as events rather than as a derating.
    pub outage_days: Option<f64>,
    /// Direct emissions of the energy delivered [gCO₂/kWh]: the catalog's or the scenario's figure,
    /// else, for gas plants, the IPCC default emission factor of natural gas ÷ efficiency, else 0
    /// for plants that burn nothing.
    pub carbon_g_per_kwh: f64,
    /// Catalog fields the scenario overrode.
    pub overridden: Vec<String>,
}

/// A hall.
#[derive(Clone, Debug)]
pub struct Shell {
    /// Identifier in the scenario.
    pub id: String,
    /// Site.
    pub site: SiteId,
    /// Hall type, with overrides applied.
    pub kind: ShellType,
    /// Its capex [EUR per MW of IT], in EUR ([`Scenario::price_in_eur`]).
    pub capex_eur_per_mw: Option<f64>,
    /// Construction phases.
    pub phases: Vec<ShellPhase>,
    /// Catalog fields the scenario overrode.
    pub overridden: Vec<String>,
}

impl Shell {
    /// IT capacity of all phases.
    pub fn it(&self) -> Mw {
        self.phases.iter().map(|p| p.it).sum()
    }
}

/// One construction phase.
#[derive(Clone, Debug)]
pub struct ShellPhase {
    /// IT capacity added.
    pub it: Mw,
    /// Construction start; `None`: as soon as the site's permit is granted.
    pub start_date: Option<Date>,
    /// Construction time [months].
    pub build_months: Uncertain,
}

/// An accelerator procurement.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Identifier in the scenario.
    pub id: String,
    /// Hall.
    pub shell: ShellId,
    /// Site (the hall's).
    pub site: SiteId,
    /// Operator.
    pub operator: OperatorId,
    /// Accelerator, with overrides applied.
    pub accelerator: Accelerator,
    /// Its SKU among the scenario's.
    pub sku: SkuId,
    /// The accelerator's price [EUR per GPU], in EUR ([`Scenario::price_in_eur`]).
    pub price_eur_per_gpu: Option<f64>,
    /// GPUs ordered.
    pub gpus: u64,
    /// Order date.
    pub order_date: Date,
    /// Delivery lead time [months].
    pub lead_time_months: Uncertain,
    /// Installation and burn-in [months].
    pub install_months: Uncertain,
    /// Useful life [years].
    pub useful_life_years: f64,
    /// What a retired GPU sells for.
    pub resale: Resale,
    /// Unexpected failures [per GPU per day]; 0 when the catalog has no rate for the SKU.
    pub failure_rate_per_gpu_day: f64,
    /// Time to repair or replace a failed GPU [days].
    pub repair_days: Uncertain,
    /// H100-equivalents per GPU (dense BF16 TFLOPS relative to the H100 SXM), for supply caps.
    pub h100e_per_gpu: f64,
    /// The cluster this one refreshes: its GPUs are ordered as that cluster's retire, so
    /// `order_date` is only the date planned from median durations.
    pub refresh_of: Option<ClusterId>,
    /// The reinvestment rule (index in [`Scenario::reinvestments`]) whose orders this cluster
    /// takes: nothing is ordered at the start, and `gpus` is the most it may hold.
    pub reinvested_by: Option<usize>,
    /// Catalog fields the scenario overrode.
    pub overridden: Vec<String>,
}

/// A cap on GPU deliveries to the sites of one country, per calendar year.
#[derive(Clone, Debug)]
pub struct SupplyShock {
    /// Identifier in the scenario.
    pub id: String,
    /// Country code of the sites concerned.
    pub country: String,
    /// First day the cap applies.
    pub from_date: Date,
    /// Day the cap is lifted, if ever.
    pub until_date: Option<Date>,
    /// Deliveries allowed per calendar year [H100-equivalents].
    pub cap_h100e_per_year: f64,
}

/// What a retired GPU sells for, as a fraction of its purchase price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resale {
    /// A fixed fraction, whatever its age (the scenario states it).
    Fraction(f64),
    /// A share kept per year of age: `retention^age` (the catalog's curve).
    Retention {
        /// Share of its value a GPU keeps each year [fraction].
        per_year: f64,
    },
}

impl Resale {
    /// Resale value of a GPU `age_years` old [fraction of its purchase price].
    pub fn fraction_at(self, age_years: f64) -> f64 {
        match self {
            Resale::Fraction(f) => f,
            Resale::Retention { per_year } => per_year.powf(age_years.max(0.0)),
        }
    }
}

impl Cluster {
    /// Whether the cluster belongs to the planned build: ordered on its date, neither a refresh
    /// nor orders a reinvestment rule may place.
    pub fn planned(&self) -> bool {
        self.refresh_of.is_none() && self.reinvested_by.is_none()
    }

    /// IT power of the whole cluster.
    pub fn it_power(&self) -> Mw {
        Mw(self.gpus as f64 * self.accelerator.all_in_power_kw / 1000.0)
    }
}

/// Attributes a sovereignty clause can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// `operator.parent_jurisdiction`: country of the ultimate parent.
    ParentJurisdiction,
    /// `operator.key_custody_jurisdiction`: country of the key holder.
    KeyCustodyJurisdiction,
    /// `operator.staff_jurisdictions`: countries of staff with data access.
    StaffJurisdictions,
    /// `operator.veto_jurisdictions`: countries of veto holders.
    VetoJurisdictions,
    /// `operator.largest_non_eu_holding_pct`: largest single non-EU holding [%].
    LargestNonEuHoldingPct,
    /// `operator.total_non_eu_holding_pct`: all non-EU holdings together [%].
    TotalNonEuHoldingPct,
    /// `operator.us_holding_pct`: US holdings [%].
    UsHoldingPct,
    /// `operator.us_controlled`: US parent, US majority, or US key custody.
    UsControlled,
    /// `operator.operating_jurisdiction`: country of the entity that runs the service.
    OperatingJurisdiction,
    /// `operator.supplier_jurisdictions`: countries of suppliers with access to the platform.
    SupplierJurisdictions,
    /// `operator.certifications`: certifications and labels held.
    Certifications,
    /// `operator.open_source_stack_pct`: open-source share of the software stack [%].
    OpenSourceStackPct,
    /// `operator.fisa_702_exposed`: US-controlled, or staff or a supplier with access in the US.
    Fisa702Exposed,
    /// `site.country`: country of the site.
    SiteCountry,
    /// `site.eu_member`: whether the site is in an EU member state.
    SiteEuMember,
    /// `site.grid_carbon_g_per_kwh`: carbon intensity of the site's country's grid [gCO₂/kWh].
    SiteGridCarbon,
    /// `accelerator.vendor_jurisdiction`: country of the accelerator's manufacturer.
    AcceleratorVendorJurisdiction,
    /// `seal.<objective>`: the SEAL level the cluster reaches on an objective of the framework
    /// (index into [`Framework::objectives`]).
    Seal(u8),
}

/// What kind of value an attribute has, which decides the comparisons allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeKind {
    /// One country.
    Jurisdiction,
    /// A set of countries.
    Jurisdictions,
    /// A percentage.
    Percent,
    /// True or false.
    Flag,
    /// A set of certification ids.
    Labels,
    /// A carbon intensity [gCO₂/kWh].
    Carbon,
    /// A SEAL level, 0 to 4.
    Level,
}

impl AttributeKind {
    /// The comparisons allowed on a value of this kind, as written in scenario files.
    pub fn ops(self) -> &'static [&'static str] {
        match self {
            AttributeKind::Jurisdiction => &["in", "not_in"],
            AttributeKind::Jurisdictions => &["all_in", "none_in"],
            AttributeKind::Percent | AttributeKind::Carbon | AttributeKind::Level => {
                &["le", "lt", "ge", "gt"]
            }
            AttributeKind::Flag => &["eq"],
            AttributeKind::Labels => &["has_any", "has_none"],
        }
    }
}

impl Attribute {
    /// Every attribute but the SEAL levels, with its name in scenario files.
    pub const ALL: [(Attribute, &'static str); 17] = [
        (
            Attribute::ParentJurisdiction,
            "operator.parent_jurisdiction",
        ),
        (
            Attribute::KeyCustodyJurisdiction,
            "operator.key_custody_jurisdiction",
        ),
        (
            Attribute::StaffJurisdictions,
            "operator.staff_jurisdictions",
        ),
        (Attribute::VetoJurisdictions, "operator.veto_jurisdictions"),
        (
            Attribute::LargestNonEuHoldingPct,
            "operator.largest_non_eu_holding_pct",
        ),
        (
            Attribute::TotalNonEuHoldingPct,
            "operator.total_non_eu_holding_pct",
        ),
        (Attribute::UsHoldingPct, "operator.us_holding_pct"),
        (Attribute::UsControlled, "operator.us_controlled"),
        (
            Attribute::OperatingJurisdiction,
            "operator.operating_jurisdiction",
        ),
        (
            Attribute::SupplierJurisdictions,
            "operator.supplier_jurisdictions",
        ),
        (Attribute::Certifications, "operator.certifications"),
        (
            Attribute::OpenSourceStackPct,
            "operator.open_source_stack_pct",
        ),
        (Attribute::Fisa702Exposed, "operator.fisa_702_exposed"),
        (Attribute::SiteCountry, "site.country"),
        (Attribute::SiteEuMember, "site.eu_member"),
        (Attribute::SiteGridCarbon, "site.grid_carbon_g_per_kwh"),
        (
            Attribute::AcceleratorVendorJurisdiction,
            "accelerator.vendor_jurisdiction",
        ),
    ];

    /// The attribute named `name` in a scenario file; `seal.SOV-2` names the SEAL level on the
    /// framework objective `SOV-2`.
    pub fn parse(name: &str, framework: &Framework) -> Option<Self> {
        if let Some(objective) = name.strip_prefix("seal.") {
            return framework
                .objectives
                .iter()
                .position(|o| o.id == objective)
                .and_then(|i| u8::try_from(i).ok())
                .map(Attribute::Seal);
        }
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(a, _)| *a)
    }

    /// Kind of value.
    pub fn kind(self) -> AttributeKind {
        match self {
            Attribute::ParentJurisdiction
            | Attribute::KeyCustodyJurisdiction
            | Attribute::OperatingJurisdiction
            | Attribute::SiteCountry
            | Attribute::AcceleratorVendorJurisdiction => AttributeKind::Jurisdiction,
            Attribute::StaffJurisdictions
            | Attribute::VetoJurisdictions
            | Attribute::SupplierJurisdictions => AttributeKind::Jurisdictions,
            Attribute::LargestNonEuHoldingPct
            | Attribute::TotalNonEuHoldingPct
            | Attribute::UsHoldingPct
            | Attribute::OpenSourceStackPct => AttributeKind::Percent,
            Attribute::UsControlled | Attribute::SiteEuMember | Attribute::Fisa702Exposed => {
                AttributeKind::Flag
            }
            Attribute::Certifications => AttributeKind::Labels,
            Attribute::SiteGridCarbon => AttributeKind::Carbon,
            Attribute::Seal(_) => AttributeKind::Level,
        }
    }
}

/// The European Commission's Cloud Sovereignty Framework as the catalog states it: objectives with
/// weights, and the criteria that set each objective's SEAL level.
#[derive(Clone, Debug, Default)]
pub struct Framework {
    /// Objectives, in catalog order (`SOV-1` … `SOV-8`).
    pub objectives: Vec<SovObjective>,
    /// Criteria, in catalog order.
    pub criteria: Vec<Criterion>,
}

/// One objective of the framework.
#[derive(Clone, Debug)]
pub struct SovObjective {
    /// Id, e.g. `SOV-2`.
    pub id: String,
    /// Name, e.g. `Legal and jurisdictional`.
    pub name: String,
    /// Weight in the sovereignty score [%].
    pub weight_pct: f64,
}

/// One criterion of one SEAL level of one objective.
#[derive(Clone, Debug)]
pub struct Criterion {
    /// Objective, index into [`Framework::objectives`].
    pub objective: usize,
    /// Level the criterion belongs to, 1 to 4.
    pub seal: u8,
    /// The test, over the same attributes as a tier's clauses (never a SEAL level).
    pub clause: Clause,
    /// The criterion in words.
    pub description: String,
}

/// The highest SEAL level of the framework.
pub const SEAL_MAX: u8 = 4;

/// A comparison in a clause, with its right-hand side.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The jurisdiction is one of these (`EU` stands for every member state).
    In(Vec<String>),
    /// The jurisdiction is none of these.
    NotIn(Vec<String>),
    /// Every jurisdiction of the set is one of these (an empty set passes).
    AllIn(Vec<String>),
    /// No jurisdiction of the set is one of these.
    NoneIn(Vec<String>),
    /// The flag equals this.
    Is(bool),
    /// The percentage is at most this.
    AtMost(f64),
    /// The percentage is below this.
    Below(f64),
    /// The percentage is at least this.
    AtLeast(f64),
    /// The percentage is above this.
    Above(f64),
    /// At least one of these labels is held.
    HasAny(Vec<String>),
    /// None of these labels is held.
    HasNone(Vec<String>),
}

/// One clause of a tier.
#[derive(Clone, Debug)]
pub struct Clause {
    /// Attribute tested.
    pub attribute: Attribute,
    /// Comparison.
    pub test: Test,
    /// Where the clause comes from: `scenario` or the preset's legal source.
    pub source: String,
}

/// A sovereignty tier.
#[derive(Clone, Debug)]
pub struct Tier {
    /// Identifier in the scenario.
    pub id: String,
    /// Description.
    pub description: String,
    /// Clauses, all of which must hold.
    pub clauses: Vec<Clause>,
}

/// An open-weight model in use.
#[derive(Clone, Debug)]
pub struct Model {
    /// Catalog entry, with overrides applied.
    pub spec: OpenModel,
    /// Catalog fields the scenario overrode.
    pub overridden: Vec<String>,
}

/// A training campaign.
#[derive(Clone, Debug)]
pub struct TrainingCampaign {
    /// Identifier in the scenario.
    pub id: String,
    /// Tier required.
    pub tier: TierId,
    /// Model trained.
    pub model: ModelId,
    /// Operators whose clusters serve the campaign under `siloed`.
    pub operators: Vec<OperatorId>,
    /// Runs per year, drawn once per replication.
    pub runs_per_year: Uncertain,
    /// How runs arrive.
    pub arrivals: Arrivals,
    /// GPUs per run, drawn per run (`None`: `min_cluster_gpus`).
    pub run_gpus: Option<Uncertain>,
    /// Compute of one run, post-training included [FLOP].
    pub run_flop: f64,
    /// Post-training compute / pre-training compute [fraction].
    pub post_training_share: f64,
    /// Smallest homogeneous cluster [GPUs].
    pub min_cluster_gpus: u64,
    /// Model FLOPs utilisation [fraction].
    pub mfu: f64,
    /// First day runs may start.
    pub start_date: Date,
    /// Accelerator architectures its code is written for (`None`: every one).
    pub home: Option<Home>,
}

/// Inference demand of one tier.
#[derive(Clone, Debug)]
pub struct InferenceDemand {
    /// Identifier in the scenario.
    pub id: String,
    /// Tier required.
    pub tier: TierId,
    /// Model served.
    pub model: ModelId,
    /// Operators whose clusters serve the demand under `siloed`.
    pub operators: Vec<OperatorId>,
    /// Generated tokens per day at the start [tokens/day].
    pub tokens_per_day: Uncertain,
    /// Growth [fraction per year].
    pub growth_per_year: Uncertain,
    /// First day of demand.
    pub start_date: Date,
    /// Accelerator architectures its serving stack is written for (`None`: every one).
    pub home: Option<Home>,
    /// Elasticity of its volume to its model's context: tokens served ÷ tokens stated so far,
    /// counted from the first month the model is served [fraction]; 0: demand as stated.
    pub context_elasticity: f64,
}

/// The accelerator architectures a workload's code is written for, with their vendors.
#[derive(Clone, Debug, PartialEq)]
pub struct Home {
    /// Architectures (the catalog's `architecture` column).
    pub architectures: Vec<String>,
    /// Their vendors.
    pub vendors: Vec<String>,
}

/// Whether a workload written for `home` (`None`: every architecture) runs natively on `accelerator`.
pub fn is_home(home: Option<&Home>, accelerator: &Accelerator) -> bool {
    home.is_none_or(|h| h.architectures.contains(&accelerator.architecture))
}

/// How the runs of a training campaign arrive.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Evenly spaced: `runs_per_year` runs a year, the first on the start date.
    #[default]
    Scheduled,
    /// A Poisson process with rate `runs_per_year`.
    Poisson,
}

/// How dispatch matches capacity to demand.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Each demand uses only its own operators' clusters.
    #[default]
    Siloed,
    /// An independent operator pools every cluster each tier may use.
    Grid,
}

impl Policy {
    /// Both policies.
    pub const ALL: [Policy; 2] = [Policy::Siloed, Policy::Grid];

    /// The name in scenarios and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Siloed => "siloed",
            Policy::Grid => "grid",
        }
    }
}

/// Where a serving rate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateBasis {
    /// A row of `inference_throughput.csv`.
    Catalog,
    /// The roofline: the lower of the compute-bound and HBM-bandwidth-bound rates.
    Roofline,
    /// The compute-bound rate alone: the catalog has no HBM bandwidth for the SKU.
    ComputeBound,
}

impl RateBasis {
    /// The name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            RateBasis::Catalog => "catalog",
            RateBasis::Roofline => "roofline",
            RateBasis::ComputeBound => "compute-bound",
        }
    }
}

/// Resolved serving rate of one model on one accelerator.
#[derive(Clone, Debug)]
pub struct ServingRate {
    /// Model served.
    pub model: ModelId,
    /// Accelerator.
    pub sku: SkuId,
    /// Output tokens per second per GPU, before the inference efficiency.
    pub tokens_per_s_per_gpu: f64,
    /// Where the figure comes from.
    pub basis: RateBasis,
}

/// Efficiencies of the workloads on one accelerator.
#[derive(Clone, Debug)]
pub struct SkuEfficiency {
    /// Accelerator.
    pub sku: SkuId,
    /// Multiplies BF16 peak × MFU [fraction]; 0: training cannot run there.
    pub training: f64,
    /// Multiplies the serving rate [fraction]; 0: inference cannot run there.
    pub inference: f64,
    /// Whether the scenario changed the catalog's figures.
    pub overridden: bool,
}

/// Dispatch rules with every rate resolved from the catalog and the scenario.
#[derive(Clone, Debug, Default)]
pub struct DispatchRules {
    /// Policy the scenario asks for.
    pub policy: Policy,
    /// One entry per accelerator a cluster uses, indexed by [`SkuId`].
    pub efficiency: Vec<SkuEfficiency>,
    /// One entry per (inference model, accelerator a cluster uses).
    pub serving: Vec<ServingRate>,
    /// How far workloads move off the architectures their code is written for.
    pub portability: Portability,
}

/// How far workloads move off the architectures their code is written for: the lever a compute
/// portability standard moves. A share of 0 is today's market (a run or a token stays on its home
/// architectures); 1 is a standard every workload follows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Portability {
    /// Share of training runs whose code can move to another architecture or vendor [fraction].
    pub training_share: f64,
    /// Share of inference demand left unserved at home that other architectures may serve [fraction].
    pub inference_share: f64,
    /// Throughput lost by a training run off its home architectures: (same vendor, another
    /// vendor) [fraction].
    pub training_penalty: [f64; 2],
    /// Throughput lost serving off the home architectures: (same vendor, another vendor) [fraction].
    pub inference_penalty: [f64; 2],
}

impl Portability {
    /// The same penalties, with both shares at `level`.
    pub fn at(&self, level: f64) -> Portability {
        Portability {
            training_share: level,
            inference_share: level,
            ..self.clone()
        }
    }

    /// Throughput kept [fraction] by a workload with `home` architectures (`None`: every one) on
    /// `accelerator`, given its penalties: 1 at home; 1 − the penalty of the move otherwise.
    pub fn kept(penalty: [f64; 2], home: Option<&Home>, accelerator: &Accelerator) -> f64 {
        match home {
            Some(h) if !is_home(home, accelerator) => {
                1.0 - penalty[usize::from(!h.vendors.contains(&accelerator.vendor))]
            }
            _ => 1.0,
        }
    }
}

impl DispatchRules {
    /// Efficiencies of `sku` (every accelerator in use has an entry).
    pub fn efficiency(&self, sku: SkuId) -> Option<&SkuEfficiency> {
        self.efficiency.get(sku.index())
    }

    /// Serving rate of `model` on `sku`, if it was resolved.
    pub fn serving(&self, model: ModelId, sku: SkuId) -> Option<&ServingRate> {
        self.serving
            .iter()
            .find(|r| r.model == model && r.sku == sku)
    }
}

/// When a contract's term starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ContractStart {
    /// When its first contracted GPU is energised (in each replication).
    Energised,
    /// On a date.
    On(Date),
}

/// An offtake contract: a counterparty buys the GPU-hours of some GPUs at a price for a term.
/// Billed GPU-hours are the contracted volume (ramped) as far as the clusters have GPUs
/// operational to serve it, taken from each in proportion to what it has free; contracts claim
/// capacity in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Contract {
    /// Identifier in the scenario.
    pub id: String,
    /// Who buys.
    pub counterparty: String,
    /// Clusters whose GPUs are contracted.
    pub clusters: Vec<ClusterId>,
    /// GPUs contracted.
    pub gpus: u64,
    /// Price of a GPU-hour in the first year [EUR/GPU-hour].
    pub price_eur_per_gpu_hour: f64,
    /// Yearly escalation of the price [fraction per year].
    pub escalation_per_year: f64,
    /// When the term starts.
    pub start: ContractStart,
    /// Term [years].
    pub term_years: f64,
    /// Share of contracted GPU-hours paid whether used or not [fraction].
    pub take_or_pay: f64,
    /// Share of the contract's value paid at signing and credited against invoices [fraction].
    pub prepayment: f64,
    /// Signing date (when a prepayment is received).
    pub signed: Date,
    /// Months over which the volume ramps linearly to its full level.
    pub ramp_months: f64,
}

/// How a programme is financed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phasing {
    /// Each site on its own: its COD, its loan.
    #[default]
    Site,
    /// The whole programme as one project: one COD (when every site is done), one loan.
    Programme,
}

impl Phasing {
    /// Name in scenarios and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Phasing::Site => "site",
            Phasing::Programme => "programme",
        }
    }

    /// The phasing called `name`.
    pub fn parse(name: &str) -> Option<Phasing> {
        [Phasing::Site, Phasing::Programme]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// A GPU-backed delayed-draw term loan: drawn as the initial build's GPUs are paid for, at an
/// advance rate of their cost, each draw maturing a tenor after it (CoreWeave's DDTL 2.0: five
/// years), sized on the contracted cash flows.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuFacility {
    /// Margin over the base rate [fraction per year].
    pub margin: f64,
    /// Largest draw per euro of GPUs bought [fraction].
    pub advance_rate: f64,
    /// Years from each draw to its maturity.
    pub tenor_years: f64,
}

/// Financing assumptions.
#[derive(Clone, Debug, Default)]
pub struct Finance {
    /// EUR per unit of each currency the catalog's prices are in.
    pub eur_per_currency: BTreeMap<String, f64>,
    /// Base interest rate [fraction per year].
    pub base_rate: f64,
    /// Construction facility margin over the base rate [fraction per year].
    pub construction_margin: f64,
    /// Term loan margin over the base rate [fraction per year].
    pub term_margin: f64,
    /// DSCR the term loan is sculpted to [ratio].
    pub target_dscr: f64,
    /// DSCR below which distributions are locked up [ratio].
    pub lockup_dscr: Option<f64>,
    /// DSCR below which the loan is in default [ratio].
    pub default_dscr: Option<f64>,
    /// Largest debt / total funding [fraction].
    pub max_gearing: f64,
    /// Term loan tenor after construction [years].
    pub tenor_years: u32,
    /// Whether each site is financed on its own or the programme as one.
    pub phasing: Phasing,
    /// The GPU facility beside the infrastructure facility, if the scenario finances its GPUs
    /// apart: a delayed-draw loan backed by the GPUs and their contracts.
    pub gpu_facility: Option<GpuFacility>,
    /// Share of the initial build's GPUs that must work for commercial operation [fraction].
    pub completion_share: f64,
    /// Months after the scheduled COD by which commercial operation must come [months].
    pub long_stop_months: f64,
    /// Debt-service reserve [months of debt service].
    pub dsra_months: u32,
    /// Corporate tax rate [fraction].
    pub tax_rate: f64,
    /// Book life of GPUs [years].
    pub gpu_depreciation_years: f64,
    /// Book life of halls [years].
    pub shell_depreciation_years: f64,
    /// Sponsor equity committed, if stated.
    pub equity: Option<Eur>,
    /// Grants and other public money.
    pub grants: Eur,
    /// Market price of a GPU-hour of each SKU ([`SkuId`]) when its generation is new: at its
    /// release, or at the start for one released earlier [EUR/GPU-hour].
    pub gpu_hour_price_eur: Vec<Uncertain>,
    /// Per SKU: years from the start until the generation's market price starts to decline (its
    /// release; 0 for one released before the start).
    pub price_anchor_years: Vec<f64>,
    /// Yearly fall of a generation's market price with its age [fraction per year].
    pub price_decline_per_year: f64,
    /// Offtake contracts, in file order (the order they claim capacity in).
    pub contracts: Vec<Contract>,
    /// Price of a million generated tokens, if merchant inference is sold as tokens.
    pub token_price_eur_per_mtok: Option<Uncertain>,
    /// Maintenance of halls and GPUs [fraction of their capex per year].
    pub maintenance_per_year: f64,
    /// Insurance [fraction of capex in service per year].
    pub insurance_per_year: f64,
    /// Staff [EUR per MW of completed IT per year].
    pub staff_eur_per_mw_year: f64,
    /// Network [EUR per installed GPU per year].
    pub network_eur_per_gpu_year: f64,
    /// Upfront arrangement fee [fraction of the debt].
    pub arrangement_fee: f64,
    /// Share of free cash that prepays debt [fraction].
    pub cash_sweep_share: f64,
    /// Equity IRR the sponsors require [fraction per year], if stated: the target of
    /// `sovsim breakeven --target equity_irr=hurdle`.
    pub equity_hurdle_rate: Option<f64>,
}

impl Scenario {
    /// This scenario with each `(input, value)` applied in turn.
    pub fn with_changes(&self, changes: &[(Input, f64)]) -> Scenario {
        let mut s = self.clone();
        for (input, value) in changes {
            s.change(*input, *value);
        }
        s
    }

    /// The level `input` moves, when it has one a distance in % can be measured from: the base
    /// rate. A relative input's value is itself that distance; a delay has no level.
    pub fn level(&self, input: Input) -> Option<f64> {
        match input {
            Input::BaseRate => self.finance.as_ref().map(|f| f.base_rate),
            _ => None,
        }
    }

    /// How far `value` moves `input` from this scenario, in % of its level: the value itself for a
    /// relative input, the change over the base rate for the rate; `None` for a delay.
    pub fn distance_pct(&self, input: Input, value: f64) -> Option<f64> {
        match input.change() {
            Change::Relative => Some(value * 100.0),
            Change::Rate => self
                .level(input)
                .filter(|l| *l != 0.0)
                .map(|l| value / l * 100.0),
            Change::Months => None,
        }
    }

    /// The operator that builds hall `shell`: the one whose planned clusters fill it, when they
    /// are all one operator's.
    pub fn builder_of_shell(&self, shell: usize) -> Option<OperatorId> {
        self.sole_operator(|c| c.shell.index() == shell)
    }

    /// The operator that seeks site `site`'s grid connections: the one whose planned clusters
    /// fill its halls, when they are all one operator's.
    pub fn builder_of_site(&self, site: usize) -> Option<OperatorId> {
        self.sole_operator(|c| c.site.index() == site)
    }

    /// The operator of every planned cluster `pick` selects, if there are some and they share one.
    fn sole_operator(&self, pick: impl Fn(&Cluster) -> bool) -> Option<OperatorId> {
        let mut ops = self
            .clusters
            .iter()
            .filter(|c| c.planned() && pick(c))
            .map(|c| c.operator);
        let first = ops.next()?;
        ops.all(|o| o == first).then_some(first)
    }

    /// The queue waits of each grid connection scaled by the grid access of the operator that
    /// seeks it (done once, at load).
    pub(crate) fn apply_grid_access(&mut self) {
        let factors: Vec<f64> = (0..self.sites.len())
            .map(|s| {
                self.builder_of_site(s)
                    .map_or(1.0, |o| self.operators[o.index()].grid_wait_factor)
            })
            .collect();
        for g in &mut self.grid_connections {
            let k = factors[g.site.index()];
            if k != 1.0 {
                g.queue_wait_months.dist = g.queue_wait_months.dist.scaled(k);
            }
        }
    }

    /// Converts every catalog price the scenario's entities carry into EUR, with the finance
    /// section's rates: done once, at load, so that nothing downstream handles a currency. A price
    /// stays `None` when the catalog has none or, without a `[finance]` section, its currency has
    /// no rate.
    pub(crate) fn price_in_eur(&mut self) {
        let rate = |currency: &str| -> Option<f64> {
            if currency == "EUR" {
                return Some(1.0);
            }
            self.finance
                .as_ref()
                .and_then(|f| f.eur_per_currency.get(currency).copied())
        };
        let eur = |amount: Option<f64>, currency: &str| {
            amount.and_then(|a| rate(currency).map(|r| a * r))
        };
        for c in &mut self.clusters {
            c.price_eur_per_gpu = eur(c.accelerator.price_per_gpu, &c.accelerator.currency);
        }
        let builders: Vec<Option<OperatorId>> = (0..self.shells.len())
            .map(|h| self.builder_of_shell(h))
            .collect();
        for (h, builder) in self.shells.iter_mut().zip(builders) {
            // The operator that builds a hall pays its own cost per MW.
            let factor = builder.map_or(1.0, |o| self.operators[o.index()].build_cost_factor);
            h.capex_eur_per_mw =
                eur(Some(h.kind.capex_per_mw), &h.kind.currency).map(|c| c * factor);
        }
        for a in &mut self.power_assets {
            a.capex_eur_per_kw = eur(a.tech.capex_per_kw, &a.tech.currency);
            a.variable_om_eur_per_mwh = eur(a.tech.variable_om_per_mwh, &a.tech.currency);
        }
    }

    /// Moves the figures `input` stands for by `value`.
    pub fn change(&mut self, input: Input, value: f64) {
        let s = self;
        let k = 1.0 + value;
        let scale = |u: &mut Uncertain| u.dist = u.dist.scaled(k);
        let delay = |u: &mut Uncertain| u.dist = u.dist.shifted(value);
        match input {
            Input::GpuRent => {
                if let Some(f) = &mut s.finance {
                    f.gpu_hour_price_eur.iter_mut().for_each(scale);
                    f.token_price_eur_per_mtok.as_mut().map(scale);
                }
            }
            Input::ContractPrice => {
                if let Some(f) = &mut s.finance {
                    for c in &mut f.contracts {
                        c.price_eur_per_gpu_hour *= k;
                    }
                }
            }
            Input::EnergyPrice => {
                for g in &mut s.grid_connections {
                    scale(&mut g.price_eur_per_mwh);
                }
                for a in &mut s.power_assets {
                    a.energy_price_eur_per_mwh.as_mut().map(scale);
                }
            }
            Input::GpuCapex => {
                for c in &mut s.clusters {
                    c.price_eur_per_gpu = c.price_eur_per_gpu.map(|p| p * k);
                }
            }
            Input::FacilityCapex => {
                for h in &mut s.shells {
                    h.capex_eur_per_mw = h.capex_eur_per_mw.map(|c| c * k);
                }
                for a in &mut s.power_assets {
                    a.capex_eur_per_kw = a.capex_eur_per_kw.map(|c| c * k);
                }
                for site in &mut s.sites {
                    site.land_cost.0 *= k;
                }
            }
            Input::Opex => {
                if let Some(f) = &mut s.finance {
                    f.maintenance_per_year *= k;
                    f.insurance_per_year *= k;
                    f.staff_eur_per_mw_year *= k;
                    f.network_eur_per_gpu_year *= k;
                }
            }
            Input::BaseRate => {
                if let Some(f) = &mut s.finance {
                    f.base_rate += value;
                }
            }
            Input::PermitDelay => s.sites.iter_mut().for_each(|x| delay(&mut x.permit_months)),
            Input::GridDelay => s
                .grid_connections
                .iter_mut()
                .for_each(|g| delay(&mut g.queue_wait_months)),
            Input::ConstructionDelay => {
                for phase in s.shells.iter_mut().flat_map(|h| &mut h.phases) {
                    delay(&mut phase.build_months);
                }
                for a in &mut s.power_assets {
                    delay(&mut a.build_months);
                }
            }
            Input::GpuDelay => s
                .clusters
                .iter_mut()
                .for_each(|c| delay(&mut c.lead_time_months)),
            Input::Demand => {
                for d in &mut s.inference {
                    scale(&mut d.tokens_per_day);
                }
                for t in &mut s.training {
                    scale(&mut t.runs_per_year);
                }
            }
        }
    }

    /// The same scenario with every uncertain input fixed at its median: the lender's base case,
    /// on which debt is sized. Random failures and outages stay random (their rates are not inputs
    /// a lender would take a view on).
    pub fn at_medians(&self) -> Scenario {
        let mut s = self.clone();
        let fix = |u: &mut Uncertain| {
            *u = Uncertain::fixed(u.dist.quantile(0.5));
        };
        for site in &mut s.sites {
            fix(&mut site.acquisition_months);
            fix(&mut site.permit_months);
        }
        for g in &mut s.grid_connections {
            fix(&mut g.queue_wait_months);
            fix(&mut g.price_eur_per_mwh);
        }
        for a in &mut s.power_assets {
            fix(&mut a.build_months);
            a.energy_price_eur_per_mwh.as_mut().map(fix);
        }
        for phase in s.shells.iter_mut().flat_map(|h| &mut h.phases) {
            fix(&mut phase.build_months);
        }
        for c in &mut s.clusters {
            fix(&mut c.lead_time_months);
            fix(&mut c.install_months);
            fix(&mut c.repair_days);
        }
        for t in &mut s.training {
            fix(&mut t.runs_per_year);
            t.run_gpus.as_mut().map(fix);
        }
        for d in &mut s.inference {
            fix(&mut d.tokens_per_day);
            fix(&mut d.growth_per_year);
        }
        if let Some(f) = &mut s.finance {
            f.gpu_hour_price_eur.iter_mut().for_each(fix);
            f.token_price_eur_per_mtok.as_mut().map(fix);
        }
        s
    }
}

/// Risk factors and their correlation.
#[derive(Clone, Debug, Default)]
pub struct Uncertainty {
    /// Factor names.
    pub factors: Vec<String>,
    /// Lower-triangular Cholesky factor L of the correlation matrix (C = L·Lᵀ); identity if none was given.
    pub cholesky: Option<DMatrix<f64>>,
}
