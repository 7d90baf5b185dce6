//! The scenario file format: serde "wire" structs that mirror the TOML exactly.
//!
//! Every struct denies unknown fields and nothing is flattened, so that serde's messages name the
//! offending key. Units are in the key names. These types are converted into the validated domain
//! model (`crate::model`) by `convert`; nothing outside the scenario module sees them, and the
//! JSON Schema printed by `sovsim schema` is generated from them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Catalog fields to override on one entity: `{ all_in_power_kw = 1.9 }`. Keys are catalog columns.
pub type Overrides = BTreeMap<String, toml::Value>;

/// A whole scenario file.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Path of a base scenario this file modifies, relative to this file. Tables merge key by key;
    /// arrays of entities merge by `id`; other values are replaced.
    pub extends: Option<String>,
    /// Named overrides (from this file or its bases) to apply, in order, after merging.
    pub apply: Option<Vec<String>>,
    /// Named partial scenarios, applied with `apply` or `sovsim … --override NAME`.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<BTreeMap<String, toml::Table>>,
    /// Name, dates, horizon, currency, discount rate, seed.
    pub scenario: Meta,
    /// Who runs each cluster.
    #[serde(default)]
    pub operators: Vec<Operator>,
    /// Candidate or committed sites.
    #[serde(default)]
    pub sites: Vec<Site>,
    /// Grid connections of sites.
    #[serde(default)]
    pub grid_connections: Vec<GridConnection>,
    /// On-site generation and power contracts.
    #[serde(default)]
    pub power_assets: Vec<PowerAsset>,
    /// Datacenter halls, built in phases.
    #[serde(default)]
    pub shells: Vec<Shell>,
    /// Accelerator procurements.
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// Caps on GPU deliveries, e.g. an export-control quota per country and year.
    #[serde(default)]
    pub supply_shocks: Vec<SupplyShock>,
    /// Sovereignty tiers as rules over operator and site attributes.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// Open-weight models deployed (catalog ids, with overrides).
    #[serde(default)]
    pub models: Vec<ModelUse>,
    /// Training campaigns and inference demand.
    #[serde(default)]
    pub demand: Demand,
    /// How GPU capacity is matched to demand.
    pub dispatch: Option<Dispatch>,
    /// Financing assumptions.
    pub finance: Option<Finance>,
    /// Offtake contracts: GPU-hours of some clusters sold to a counterparty at a price for a term.
    /// GPU-hours under no contract are merchant.
    #[serde(default)]
    pub contracts: Vec<Contract>,
    /// Rules by which operators buy GPUs from what their operations earn (the flywheel).
    #[serde(default)]
    pub reinvestments: Vec<Reinvestment>,
    /// Screening proxies inference of some tiers passes (a shared "Iron Dome" against
    /// distillation, or each provider's own).
    #[serde(default)]
    pub defences: Vec<Defence>,
    /// Capacity that may be rented from existing cloud regions, which `sovsim optimize` weighs
    /// against building.
    #[serde(default)]
    pub cloud_offers: Vec<CloudOffer>,
    /// Named risk factors and their correlation.
    pub uncertainty: Option<Uncertainty>,
    /// What `sovsim optimize` plans: objective, periods, limits, what is already committed.
    pub optimize: Option<Optimize>,
    /// The inputs `sovsim sensitivity` moves one at a time, and their ranges.
    pub sensitivity: Option<Sensitivity>,
    /// Named cases (`downside`, `upside`, `combined`…): input changes and named overrides, run
    /// with `sovsim run --case NAME` and tabled in the report.
    pub cases: Option<BTreeMap<String, Case>>,
}

/// One-at-a-time sensitivities: which inputs a tornado moves, and over what.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    /// Inputs to move (`gpu_rent`, `energy_price`, `gpu_capex`, `facility_capex`, `opex`,
    /// `base_rate`, `permit_delay_months`, `grid_delay_months`, `construction_delay_months`,
    /// `gpu_delay_months`, `demand`); default: every one.
    pub inputs: Option<Vec<String>>,
    /// `[low, high]` change of an input from the scenario, e.g. `gpu_rent = [-0.5, 0.1]` (relative),
    /// `base_rate = [0, 0.04]` (added to the rate), `grid_delay_months = [0, 18]`; default from
    /// `data/defaults.csv`.
    #[serde(default)]
    pub ranges: BTreeMap<String, [f64; 2]>,
}

/// A named case: inputs changed together, and named overrides.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case represents.
    pub description: Option<String>,
    /// Change of each input, as in `[sensitivity] ranges`, e.g. `{ gpu_rent = -0.1, base_rate = 0.04 }`.
    #[serde(default)]
    pub inputs: BTreeMap<String, f64>,
    /// Names of `[overrides.NAME]` tables the case applies, in order.
    #[serde(default)]
    pub overrides: Vec<String>,
}

/// Scenario metadata.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name, lowercase letters, digits and dashes; names the output folder.
    pub name: String,
    /// What the scenario represents, and where its figures come from.
    pub description: Option<String>,
    /// First day of the horizon (TOML date, e.g. `2026-07-01`).
    #[schemars(with = "String")]
    pub start_date: toml::value::Datetime,
    /// Length of the horizon [years].
    pub horizon_years: u32,
    /// Length of one reporting period [months]; must divide 12.
    pub period_months: u32,
    /// Reporting currency (`EUR` or `USD`); money inputs in the scenario are in EUR (`_eur` keys).
    pub currency: String,
    /// Nominal annual discount rate [fraction per year].
    pub discount_rate: f64,
    /// Seed of every random stream.
    pub seed: u64,
}

/// An operator: the company running clusters, and who controls it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Identifier referenced by clusters.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Country of the ultimate parent (ISO 3166-1 alpha-2).
    pub parent_jurisdiction: String,
    /// Ownership shares by jurisdiction of the holders [%]; must sum to 100.
    pub ownership_pct: BTreeMap<String, f64>,
    /// Country of the party holding the encryption keys.
    pub key_custody_jurisdiction: String,
    /// Countries where staff with data access work.
    pub staff_jurisdictions: Vec<String>,
    /// Countries of shareholders holding a veto or appointing a majority of the board.
    #[serde(default)]
    pub veto_jurisdictions: Vec<String>,
    /// Country of the legal entity that runs the service (the Cloud Sovereignty Framework's
    /// evidence); default: `parent_jurisdiction`.
    pub operating_jurisdiction: Option<String>,
    /// Countries of the suppliers of software and services with access to the platform;
    /// default: `[parent_jurisdiction]`.
    pub supplier_jurisdictions: Option<Vec<String>>,
    /// Certifications and labels held, ids from `sovsim catalog certifications`; default: none.
    #[serde(default)]
    pub certifications: Vec<String>,
    /// Share of the software stack that is open source the operator can run without its vendor
    /// [%]; default 0 (no evidence of an exit path).
    pub open_source_stack_pct: Option<f64>,
    /// Rate at which the operator's capital is paid for [fraction per year]: `sovsim optimize`
    /// charges the GPUs and halls it builds at this rate; default: the scenario's discount rate.
    pub cost_of_capital: Option<f64>,
    /// What the operator pays per MW of hall, relative to the hall type's capex [ratio]; default 1.
    pub build_cost_factor: Option<f64>,
    /// The operator's wait in a grid queue, relative to the connection's [ratio]; default 1.
    pub grid_wait_factor: Option<f64>,
}

/// A site: land with a country, an area and a maximum IT load.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country: String,
    /// Land area [ha].
    pub area_ha: f64,
    /// Land price [EUR/ha].
    pub land_price_eur_per_ha: f64,
    /// Largest IT load the site can ever host [MW].
    pub max_it_mw: f64,
    /// Water the site may draw [m³/day].
    pub water_m3_per_day_max: Option<f64>,
    /// Time to acquire the land [months]; default 0 (the land is already held).
    pub acquisition_months: Option<Uncertain>,
    /// Time to obtain zoning and building permits [months]; default 0 (already permitted).
    pub permit_months: Option<Uncertain>,
}

/// A grid connection of a site; several connections on one site are capacity steps.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridConnection {
    /// Identifier.
    pub id: String,
    /// Site connected.
    pub site: String,
    /// Import capacity [MW].
    pub capacity_mw: f64,
    /// Wait in the connection queue after the permit [months]; default from the country catalog.
    pub queue_wait_months: Option<Uncertain>,
    /// Energy price [EUR/MWh]; default from the country's industrial price.
    pub price_eur_per_mwh: Option<Uncertain>,
    /// Carbon intensity of the electricity imported [gCO₂/kWh]; default: the country's latest
    /// figure in the catalog, held for the whole horizon.
    pub carbon_g_per_kwh: Option<f64>,
}

/// On-site generation or a power purchase agreement.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerAsset {
    /// Identifier.
    pub id: String,
    /// Site supplied.
    pub site: String,
    /// Power technology (catalog id, e.g. `ccgt`).
    pub tech: String,
    /// Capacity [MW].
    pub capacity_mw: f64,
    /// Date construction starts or the contract is signed; default: the scenario start.
    #[schemars(with = "Option<String>")]
    pub start_date: Option<toml::value::Datetime>,
    /// Construction or delivery time [months]; default from the catalog.
    pub build_months: Option<Uncertain>,
    /// Fuel or contract energy price [EUR/MWh].
    pub energy_price_eur_per_mwh: Option<Uncertain>,
    /// Mean length of an outage, planned or forced [days]. When set, the plant goes down and comes
    /// back as events (exponential spells, up long enough on average for its share of time up to
    /// equal its availability) and GPUs it powers are curtailed while it is down; when unset, its
    /// firm capacity is derated by its availability.
    pub outage_days: Option<f64>,
    /// Catalog fields to override for this asset.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<Overrides>,
}

/// A datacenter hall, built in phases.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shell {
    /// Identifier referenced by clusters.
    pub id: String,
    /// Site the hall stands on.
    pub site: String,
    /// Hall type (catalog id, e.g. `liquid-hall`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Construction phases, each adding IT capacity.
    pub phases: Vec<ShellPhase>,
    /// Catalog fields to override for this hall.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<Overrides>,
}

/// One construction phase of a hall.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShellPhase {
    /// IT capacity the phase adds [MW].
    pub it_mw: f64,
    /// Date construction starts; default: when the permit is granted.
    #[schemars(with = "Option<String>")]
    pub start_date: Option<toml::value::Datetime>,
    /// Construction time [months]; default from the catalog.
    pub build_months: Option<Uncertain>,
}

/// A procurement of accelerators installed in a hall.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Identifier.
    pub id: String,
    /// Hall the cluster is installed in (its site follows).
    pub shell: String,
    /// Operator running the cluster.
    pub operator: String,
    /// Accelerator SKU (catalog id, e.g. `gb300-nvl72`).
    pub sku: String,
    /// Number of GPUs [GPUs].
    pub gpus: u64,
    /// Date the order is placed.
    #[schemars(with = "String")]
    pub order_date: toml::value::Datetime,
    /// Delivery lead time [months]; default from the catalog.
    pub lead_time_months: Option<Uncertain>,
    /// Installation and burn-in [months]; default 0.
    pub install_months: Option<Uncertain>,
    /// Useful life before retirement [years]; default from `data/defaults.csv`.
    pub useful_life_years: Option<f64>,
    /// Resale value at retirement [fraction of purchase price]; default: the catalog's resale
    /// curve by age (`gpu_resale_retention_per_year` in `data/defaults.csv`).
    pub resale_fraction: Option<f64>,
    /// Time to repair or replace a failed GPU [days]; required when the SKU has a failure rate in
    /// the catalog (no sourced default exists).
    pub repair_days: Option<Uncertain>,
    /// Replacement by a newer generation as the GPUs retire.
    pub refresh: Option<Refresh>,
    /// Refreshes in sequence, or use `refresh` for one: each generation replaces the one before as
    /// its GPUs retire, in the same hall at the same IT power.
    #[serde(default)]
    pub refreshes: Vec<Refresh>,
    /// Catalog fields to override for this cluster's SKU, e.g. `{ price_per_gpu = 45000 }`.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<Overrides>,
}

/// A reinvestment rule: at the end of each financial period the operator sets aside `share` of
/// the period's `basis`, and whenever the fund buys `min_order_gpus` GPUs of `sku` or more it
/// orders them for its `halls`, as far as their room and their sites' firm power allow. Orders
/// wait for lead time, supply caps, installation and power like any other; the GPUs are paid on
/// delivery, below debt service.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reinvestment {
    /// Identifier; the clusters it fills are named `ID@HALL`.
    pub id: String,
    /// Operator whose cash is reinvested and who runs what it buys.
    pub operator: String,
    /// `operating_cash` (revenue − opex) or `inference_margin` (inference revenue − the opex of
    /// the GPU-hours that served it), of the operator's share of its sites (by operational
    /// GPU-hours).
    pub basis: crate::model::ReinvestmentBasis,
    /// Share of the basis set aside each financial period [fraction]; a loss sets nothing aside.
    pub share: f64,
    /// Accelerator bought (catalog id).
    pub sku: String,
    /// Smallest order [GPUs]: the fund waits until it buys this many.
    pub min_order_gpus: u64,
    /// Halls the GPUs go to, filled in this order; each takes what its phases and its site's
    /// firm power leave after the planned clusters.
    pub halls: Vec<String>,
    /// Delivery lead time [months]; default from the catalog.
    pub lead_time_months: Option<Uncertain>,
    /// Installation and burn-in [months]; default 0.
    pub install_months: Option<Uncertain>,
    /// Useful life before retirement [years]; default from `data/defaults.csv`.
    pub useful_life_years: Option<f64>,
    /// Time to repair or replace a failed GPU [days]; required when the SKU has a failure rate in
    /// the catalog.
    pub repair_days: Option<Uncertain>,
    /// Catalog fields to override for the SKU bought, e.g. `{ price_per_gpu = 45000 }`.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<Overrides>,
}

/// A refresh: as each batch of a cluster's GPUs retires, GPUs of a newer SKU drawing the same IT
/// power are ordered for the same hall.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// Accelerator SKU of the replacement (catalog id).
    pub sku: String,
    /// Delivery lead time [months]; default from the catalog.
    pub lead_time_months: Option<Uncertain>,
    /// Installation and burn-in [months]; default: the original cluster's.
    pub install_months: Option<Uncertain>,
    /// Useful life before retirement [years]; default from `data/defaults.csv`.
    pub useful_life_years: Option<f64>,
    /// Time to repair or replace a failed GPU [days]; default: the original cluster's.
    pub repair_days: Option<Uncertain>,
    /// Catalog fields to override for the replacement SKU.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<Overrides>,
}

/// A cap on GPU deliveries to the sites of one country, per calendar year.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyShock {
    /// Identifier.
    pub id: String,
    /// What the cap represents and its source.
    pub description: Option<String>,
    /// Country whose sites the cap applies to (ISO code, e.g. `PL`).
    pub country: String,
    /// First day the cap applies.
    #[schemars(with = "String")]
    pub from_date: toml::value::Datetime,
    /// Day the cap is lifted; default: never.
    #[schemars(with = "Option<String>")]
    pub until_date: Option<toml::value::Datetime>,
    /// Deliveries allowed per calendar year [H100-equivalents: GPUs weighted by dense BF16 TFLOPS
    /// relative to the H100 SXM].
    pub cap_h100e_per_year: f64,
}

/// Capacity rented from an existing cloud region: GPUs of one SKU, up to a number at once, at a
/// GPU-hour price.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudOffer {
    /// Identifier.
    pub id: String,
    /// Operator running the region (its jurisdiction and evidence decide the tiers it serves).
    pub operator: String,
    /// Country of the region (ISO 3166-1 alpha-2).
    pub country: String,
    /// Accelerator rented (catalog id); one a cluster of the scenario uses, whose serving and
    /// training rates the scenario resolves.
    pub sku: String,
    /// Most GPUs rentable at once.
    pub gpus: u64,
    /// Price per GPU-hour, in `currency`; default: the financial model's market price of the
    /// SKU, declining with its age as the scenario's `[finance]` states.
    pub price_per_gpu_hour: Option<f64>,
    /// Currency of the price; default EUR.
    pub currency: Option<String>,
    /// First day it may be rented; default: the start.
    #[schemars(with = "Option<String>")]
    pub from_date: Option<toml::value::Datetime>,
}

/// A screening proxy that the inference demand of some tiers passes before it reaches GPUs.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defence {
    /// Identifier.
    pub id: String,
    /// Tiers whose inference demand is screened (a tier passes at most one defence).
    pub tiers: Vec<String>,
    /// `shared` (one service pooling every provider's detection signals) or `per_provider`
    /// (each provider screens alone); the report shows both, the dispatch runs this one.
    pub sharing: String,
    /// Extra compute of screening per token served [fraction of the serving GPU-hours]; default
    /// from the catalog (a cascaded classifier with probes).
    pub screening_overhead: Option<f64>,
    /// Latency the screen adds to a request [ms].
    pub latency_ms: f64,
    /// Network hop to a shared service [ms]; default from the catalog.
    pub shared_hop_ms: Option<f64>,
    /// Legitimate requests blocked [fraction]; default from the catalog.
    pub false_block_rate: Option<f64>,
    /// Attack traffic (distillation campaigns posing as customers) in the demand [fraction].
    pub attack_share: f64,
    /// Share of campaigns one provider detects alone [fraction].
    pub detection_rate: f64,
    /// Days from a campaign's start to its block once detected.
    pub detection_lag_days: f64,
    /// Days an undetected campaign runs.
    pub campaign_days: f64,
    /// Providers pooling signals in the shared service.
    pub providers: u32,
    /// Extra independent detectors each other provider's pooled signals amount to [fraction].
    pub pooling_elasticity: f64,
}

/// A sovereignty tier: a named rule every clause of which must hold.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Identifier referenced by demand.
    pub id: String,
    /// What the tier protects against.
    pub description: Option<String>,
    /// Shipped preset whose clauses the tier starts from (`secnumcloud-3.2`, …).
    pub preset: Option<String>,
    /// Clauses, added to the preset's.
    #[serde(default)]
    pub clauses: Vec<Clause>,
    /// Least SEAL level (0 to 4) per Cloud Sovereignty Framework objective, e.g.
    /// `{ "SOV-2" = 3, "SOV-3" = 3 }`: the framework's pass/fail gate, added to the clauses.
    #[serde(default)]
    pub min_seal: BTreeMap<String, u8>,
}

/// One test on an operator or site attribute.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Attribute tested, e.g. `operator.parent_jurisdiction` (see the domain docs for the list).
    pub attribute: String,
    /// Comparison: `in`, `not_in`, `all_in`, `none_in`, `eq`, `le`, `lt`, `ge`, `gt`.
    pub op: String,
    /// Value compared with: a number, a boolean, a country code, `EU`, or a list of them.
    pub value: ClauseValue,
}

/// The right-hand side of a clause.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ClauseValue {
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A country code or `EU`.
    Text(String),
    /// Country codes or `EU`.
    List(Vec<String>),
}

/// Use of an open-weight model from the catalog.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelUse {
    /// Catalog id (e.g. `deepseek-v3`).
    pub id: String,
    /// Catalog fields to override.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub overrides: Option<Overrides>,
}

/// Demand for compute.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Training campaigns.
    #[serde(default)]
    pub training: Vec<TrainingCampaign>,
    /// Inference demand streams.
    #[serde(default)]
    pub inference: Vec<InferenceDemand>,
}

/// How GPU capacity is matched to demand each month.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dispatch {
    /// `siloed` (each demand uses only its own operators' clusters; the default) or `grid` (an
    /// independent operator pools all capacity each tier may use). `sovsim run --dispatch` overrides it.
    pub policy: Option<crate::model::Policy>,
    /// Changes to the catalog's workload × accelerator efficiency table (`sovsim catalog efficiency`).
    #[serde(default)]
    pub efficiency: Vec<EfficiencyOverride>,
    /// How far workloads move off the architectures their code is written for (a demand's
    /// `architectures`); default: not at all.
    pub portability: Option<PortabilityRule>,
}

/// The share of workloads a compute portability standard lets move across architectures and
/// vendors, and the throughput lost when they do.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortabilityRule {
    /// Share of training runs whose code runs off its home architectures [fraction]; default 0.
    pub training: Option<f64>,
    /// Share of the inference demand left unserved at home that other architectures may serve
    /// [fraction]; default 0.
    pub inference: Option<f64>,
    /// Training throughput lost on another architecture of a home vendor [fraction]; default from
    /// `data/defaults.csv`.
    pub training_architecture_penalty: Option<f64>,
    /// Training throughput lost on another vendor's accelerator [fraction]; default from `data/defaults.csv`.
    pub training_vendor_penalty: Option<f64>,
    /// Serving throughput lost on another architecture of a home vendor [fraction]; default from
    /// `data/defaults.csv`.
    pub inference_architecture_penalty: Option<f64>,
    /// Serving throughput lost on another vendor's accelerator [fraction]; default from `data/defaults.csv`.
    pub inference_vendor_penalty: Option<f64>,
}

/// The buildout optimiser's settings: the scenario's sites, grid connections, power assets, halls
/// and clusters are the candidates it sizes and times.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Optimize {
    /// `min_cost` (least NPV of capex and opex meeting every demand; the default) or
    /// `max_sovereign` (most demand of the sovereign tiers served within the budget).
    pub objective: Option<crate::model::Objective>,
    /// Length of a period [years]; default 1.
    pub period_years: Option<u32>,
    /// Number of periods; default: as many as fit in the horizon.
    pub periods: Option<u32>,
    /// Quantile of each grid connection's queue wait the plan assumes (0.5: the median; 0.9: a
    /// cautious planner); default from `data/defaults.csv`.
    pub grid_wait_quantile: Option<f64>,
    /// Most capex spent in one year [EUR]; none if left out.
    pub budget_eur_per_year: Option<f64>,
    /// Most CO₂ emitted in one year [tCO₂]; none if left out.
    pub carbon_cap_t_per_year: Option<f64>,
    /// Tiers whose demand `max_sovereign` serves; default: every tier.
    pub sovereign_tiers: Option<Vec<String>>,
    /// Least share of the GPUs' IT power, each period, that qualifies for a tier.
    pub min_sovereign_share: Option<SovereignShare>,
    /// Ids of sites, grid connections, power assets, halls and clusters already committed: the
    /// plan keeps them as the scenario states them.
    #[serde(default)]
    pub committed: Vec<String>,
    /// Relative MIP gap at which the solver stops; default from `data/defaults.csv`.
    pub mip_gap: Option<f64>,
    /// Longest solve [s]; default from `data/defaults.csv`.
    pub time_limit_s: Option<f64>,
}

/// A minimum share of capacity qualifying for one tier.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SovereignShare {
    /// Tier id.
    pub tier: String,
    /// Least share [fraction].
    pub share: f64,
}

/// One entry of the workload × accelerator efficiency table, set by the scenario.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfficiencyOverride {
    /// `training` or `inference`.
    pub workload: crate::catalog::Workload,
    /// Accelerator id from the catalog.
    pub accelerator: String,
    /// 0 where the workload cannot run, below 1 where it runs slower [fraction].
    pub efficiency: f64,
}

/// A recurring training campaign.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingCampaign {
    /// Identifier.
    pub id: String,
    /// Sovereignty tier the runs need.
    pub tier: String,
    /// Model trained (id of a `[[models]]` entry).
    pub model: String,
    /// Operators whose clusters this campaign's owner uses under the `siloed` policy.
    pub operators: Vec<String>,
    /// Base runs per year [runs/yr], drawn once per replication.
    pub runs_per_year: Uncertain,
    /// `scheduled` (default) or `poisson`.
    pub arrivals: Option<crate::model::Arrivals>,
    /// GPUs one run uses, drawn per run and never below `min_cluster_gpus` [GPUs]; default `min_cluster_gpus`.
    pub gpus: Option<Uncertain>,
    /// Post-training and RL compute as a share of pre-training [fraction].
    pub post_training_share: Option<f64>,
    /// Smallest homogeneous cluster a run needs [GPUs].
    pub min_cluster_gpus: u64,
    /// Model FLOPs utilisation [fraction]; default 0.40 (Llama 3: 38–43 %).
    pub mfu: Option<f64>,
    /// First day runs may start; default: the scenario start.
    #[schemars(with = "Option<String>")]
    pub start_date: Option<toml::value::Datetime>,
    /// Accelerator architectures the runs' code is written for (the catalog's `architecture`, e.g.
    /// `["blackwell", "rubin"]`); default: every one. Elsewhere only with `[dispatch.portability]`.
    pub architectures: Option<Vec<String>>,
}

/// Inference demand of one tier.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InferenceDemand {
    /// Identifier.
    pub id: String,
    /// Sovereignty tier the requests need.
    pub tier: String,
    /// Model served (id of a `[[models]]` entry).
    pub model: String,
    /// Operators whose clusters this demand's owner uses under the `siloed` policy.
    pub operators: Vec<String>,
    /// Generated (output) tokens per day at the start date [tokens/day].
    pub tokens_per_day: Uncertain,
    /// Annual growth of the token volume [fraction per year].
    pub growth_per_year: Option<Uncertain>,
    /// First day of demand; default: the scenario start.
    #[schemars(with = "Option<String>")]
    pub start_date: Option<toml::value::Datetime>,
    /// Accelerator architectures the serving stack is written for (the catalog's `architecture`);
    /// default: every one. Elsewhere only with `[dispatch.portability]`.
    pub architectures: Option<Vec<String>>,
    /// How this demand follows the context its model collects [fraction, 0 to 1]: each month it
    /// asks for its stated tokens × (tokens its model has served so far ÷ tokens its model's
    /// demands were stated to ask so far, both counted from the first month the model is served)^
    /// elasticity, so a model left short of compute loses demand that follows. No public figure exists: state it as an ESTIMATE. Default: 0, demand
    /// as stated.
    pub context_elasticity: Option<f64>,
}

/// Financing assumptions.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Exchange rates used to bring catalog prices into EUR [EUR per unit of the currency], e.g. `{ USD = 0.87 }`.
    #[serde(default)]
    pub eur_per_currency: BTreeMap<String, f64>,
    /// Base interest rate [fraction per year].
    pub base_rate: f64,
    /// Margin of the construction facility over the base rate [fraction per year].
    pub construction_margin: f64,
    /// Margin of the term loan over the base rate [fraction per year].
    pub term_margin: f64,
    /// Target DSCR for sculpting [ratio].
    pub target_dscr: f64,
    /// Lock-up DSCR below which distributions stop [ratio].
    pub lockup_dscr: Option<f64>,
    /// Maximum gearing: debt / total funding [fraction].
    pub max_gearing: f64,
    /// Term-loan tenor [years].
    pub tenor_years: u32,
    /// `"site"` (default): each site financed on its own, with its COD, its loan and its DSRA, as
    /// lenders finance phases built years apart; `"programme"`: one project, one COD when every
    /// site is done.
    pub phasing: Option<String>,
    /// A GPU facility beside the infrastructure facility: the initial build's GPUs are financed
    /// by a delayed-draw loan of their own, each draw maturing a tenor after it; without it, one
    /// facility finances everything.
    pub gpu_facility: Option<GpuFacility>,
    /// Share of the initial build's GPUs that must work for commercial operation (the completion
    /// test the term loan converts on) [fraction]; default from `data/defaults.csv`.
    pub completion_share: Option<f64>,
    /// Months after the scheduled COD (the base case's) by which commercial operation must come;
    /// later, the loan converts then and the delay is an event of default. Default from
    /// `data/defaults.csv`.
    pub long_stop_months: Option<f64>,
    /// Debt-service reserve [months of debt service].
    pub dsra_months: Option<u32>,
    /// Corporate tax rate [fraction].
    pub tax_rate: f64,
    /// Depreciation life of GPUs [years].
    pub gpu_depreciation_years: f64,
    /// Sponsor equity committed [EUR].
    pub equity_eur: Option<f64>,
    /// Grants and other public money [EUR].
    pub grants_eur: Option<f64>,
    /// Market price of one GPU-hour of each SKU when the generation is new: at its release, or at
    /// the start for a SKU released earlier [EUR/GPU-hour]. Merchant GPU-hours earn it, less the
    /// generation's decline with age.
    #[serde(default)]
    pub gpu_hour_price_eur: BTreeMap<String, Uncertain>,
    /// Release date of a SKU's generation, where the catalog's `release_year` (taken as 1 July)
    /// is not the one to plan with.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub gpu_release_date: BTreeMap<String, toml::value::Datetime>,
    /// Retired: contracts are `[[contracts]]`; what no contract covers is merchant.
    #[schemars(skip)]
    pub spot_share: Option<f64>,
    /// Retired: merchant GPU-hours earn the market price `gpu_hour_price_eur`.
    #[schemars(skip)]
    pub spot_price_ratio: Option<f64>,
    /// Yearly fall of a generation's market GPU-hour price with its age [fraction per year].
    pub gpu_hour_price_decline_per_year: Option<f64>,
    /// Price of a million generated tokens sold through an API [EUR/Mtok]; without it, merchant
    /// inference is sold as GPU-hours.
    pub token_price_eur_per_mtok: Option<Uncertain>,
    /// Maintenance of halls and GPUs [% of their capex per year] (plants use their catalog fixed O&M).
    pub maintenance_pct_per_year: f64,
    /// Insurance [% of capex in service per year].
    pub insurance_pct_per_year: f64,
    /// Staff [EUR per MW of completed IT capacity per year].
    pub staff_eur_per_mw_year: f64,
    /// Network and connectivity [EUR per installed GPU per year].
    pub network_eur_per_gpu_year: f64,
    /// Upfront arrangement fee [% of the debt].
    pub arrangement_fee_pct: Option<f64>,
    /// Book life of halls [years].
    pub shell_depreciation_years: Option<f64>,
    /// Share of cash left after debt service and the DSRA that prepays debt [fraction].
    pub cash_sweep_share: Option<f64>,
    /// DSCR below which the loan is in default [ratio]; the covenant the risk figures test.
    pub default_dscr: Option<f64>,
    /// Equity IRR the sponsors require [fraction per year]: the target of
    /// `sovsim breakeven --target equity_irr=hurdle`.
    pub equity_hurdle_rate: Option<f64>,
}

/// A GPU-backed delayed-draw term loan (the GPUs and their contracts are its security).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuFacility {
    /// Margin over the base rate [fraction per year]; default from `data/defaults.csv`.
    pub margin: Option<f64>,
    /// Largest draw per euro of GPUs bought [fraction]; default from `data/defaults.csv`.
    pub advance_rate: Option<f64>,
    /// Years from each draw to its maturity; default from `data/defaults.csv`.
    pub tenor_years: Option<f64>,
}

/// An offtake contract: a counterparty buys the GPU-hours of some GPUs at a price for a term.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Identifier.
    pub id: String,
    /// Who buys, e.g. `Microsoft` (shown in reports; concentration is read by counterparty).
    pub counterparty: String,
    /// Clusters whose GPUs are contracted (each serves it in proportion to its free GPU-hours);
    /// or use `sku`.
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Every cluster of this SKU (catalog id), in file order; or use `clusters`.
    pub sku: Option<String>,
    /// GPUs contracted [GPUs]; default: all the GPUs of those clusters. Or use `it_mw`.
    pub gpus: Option<u64>,
    /// IT power contracted [MW], converted to GPUs at the SKU's all-in power per GPU.
    pub it_mw: Option<f64>,
    /// Price of a contracted GPU-hour in its first year [EUR/GPU-hour].
    pub price_eur_per_gpu_hour: f64,
    /// Yearly escalation of the price from the contract's start [fraction per year]; default 0.
    pub escalation_per_year: Option<f64>,
    /// When the term starts: a date, or `"energised"` (default): when its first GPU is energised.
    #[schemars(with = "Option<String>")]
    pub start: Option<toml::Value>,
    /// Term [years].
    pub term_years: f64,
    /// Share of the contracted GPU-hours paid for whether used or not [fraction]; default 1.
    pub take_or_pay: Option<f64>,
    /// Share of the contract's value paid in advance at signing, then credited against its
    /// invoices [fraction]; default 0.
    pub prepayment: Option<f64>,
    /// Date the contract is signed (when a prepayment is received); default: the scenario start.
    #[schemars(with = "Option<String>")]
    pub signed: Option<toml::value::Datetime>,
    /// Months over which the contracted volume ramps linearly to its full level; default 0.
    pub ramp_months: Option<f64>,
}

/// Named risk factors and their correlation.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Uncertainty {
    /// Names of the risk factors distributions may refer to with `factor = "…"`.
    pub factors: Vec<String>,
    /// Correlation matrix between the factors, in the order of `factors`; symmetric positive-definite.
    pub correlation: Option<Vec<Vec<f64>>>,
}

/// A figure that may be uncertain: a plain number, or a distribution table.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Uncertain {
    /// A fixed value.
    Fixed(f64),
    /// A distribution.
    Dist(Dist),
}

/// A probability distribution of a figure.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dist {
    /// `fixed`, `uniform`, `triangular`, `pert` or `lognormal`.
    pub dist: DistKind,
    /// Value of a `fixed` distribution.
    pub value: Option<f64>,
    /// Lower bound (uniform, triangular, pert).
    pub min: Option<f64>,
    /// Most likely value (triangular, pert).
    pub mode: Option<f64>,
    /// Upper bound (uniform, triangular, pert).
    pub max: Option<f64>,
    /// Median (lognormal).
    pub p50: Option<f64>,
    /// 90th percentile (lognormal); at least `p50`.
    pub p90: Option<f64>,
    /// Risk factor driving this figure, so that figures can be correlated.
    pub factor: Option<String>,
}

/// Family of a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum DistKind {
    Fixed,
    Uniform,
    Triangular,
    Pert,
    Lognormal,
}

impl<'de> Deserialize<'de> for Uncertain {
    // Hand-written rather than `untagged` so that a bad distribution table reports its own error
    // ("unknown field `mod`") instead of "did not match any variant".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UncertainVisitor;
        impl<'de> Visitor<'de> for UncertainVisitor {
            type Value = Uncertain;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a distribution table like { dist = \"pert\", min = 1, mode = 2, max = 4 }")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Uncertain, E> {
                Ok(Uncertain::Fixed(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Uncertain, E> {
                Ok(Uncertain::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Uncertain, E> {
                Ok(Uncertain::Fixed(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Uncertain, A::Error> {
                Dist::deserialize(de::value::MapAccessDeserializer::new(map)).map(Uncertain::Dist)
            }
        }
        deserializer.deserialize_any(UncertainVisitor)
    }
}

impl JsonSchema for Uncertain {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Uncertain".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dist = generator.subschema_for::<Dist>();
        schemars::json_schema!({
            "description": "A number, or a distribution table such as { dist = \"pert\", min = 1, mode = 2, max = 4 }.",
            "anyOf": [{ "type": "number" }, dist]
        })
    }
}
