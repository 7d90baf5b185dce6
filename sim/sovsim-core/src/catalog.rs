//! The reference catalog: accelerators, power technologies, shells, countries, open-weight models and
//! sovereignty presets, read from the CSV files in `data/`, every row carrying its source.
//!
//! The shipped files are embedded in the binary (`Catalog::embedded`) so sovsim works from any directory;
//! `--data DIR` replaces them with a user's copy, read by the binary and parsed here.
//! Column documentation lives in [`TABLES`] and is what `data/README.md` is generated from.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, SourceMap};

/// Cooling a hall provides or an accelerator requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cooling {
    /// Air cooling; liquid-only accelerators cannot go here.
    Air,
    /// Direct-to-chip liquid cooling; hosts air-cooled servers too.
    Liquid,
}

/// One accelerator SKU, per GPU (or per GPU package for rack-scale systems).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // Columns are documented once, in `TABLES`.
pub struct Accelerator {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub vendor_jurisdiction: String,
    pub architecture: String,
    pub tdp_w: Option<f64>,
    pub all_in_power_kw: f64,
    pub gpus_per_rack: Option<u32>,
    pub bf16_dense_tflops: Option<f64>,
    pub fp8_dense_tflops: Option<f64>,
    pub fp4_dense_tflops: Option<f64>,
    pub hbm_gb: Option<f64>,
    pub hbm_bandwidth_tbps: Option<f64>,
    pub price_per_gpu: Option<f64>,
    pub currency: String,
    pub lead_time_months: Option<f64>,
    pub cooling: Cooling,
    pub release_year: i32,
    pub failure_rate_per_gpu_day: Option<f64>,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// Kind of power supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PowerKind {
    Grid,
    Ccgt,
    Ocgt,
    Recip,
    SolarBattery,
    Wind,
    NuclearPpa,
    Smr,
}

/// One power technology.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PowerTech {
    pub id: String,
    pub name: String,
    pub kind: PowerKind,
    pub dispatchable: bool,
    pub capex_per_kw: Option<f64>,
    pub currency: String,
    pub fixed_om_pct_per_year: Option<f64>,
    pub variable_om_per_mwh: Option<f64>,
    pub efficiency: Option<f64>,
    pub availability: Option<f64>,
    pub carbon_intensity_g_per_kwh: Option<f64>,
    pub build_time_months: Option<f64>,
    pub life_years: Option<f64>,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// One datacenter hall type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ShellType {
    pub id: String,
    pub name: String,
    pub cooling: Cooling,
    pub pue: f64,
    pub capex_per_mw: f64,
    pub currency: String,
    pub build_time_months: f64,
    pub wue_l_per_kwh: Option<f64>,
    pub land_ha_per_100mw: Option<f64>,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// One country (or jurisdiction).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Country {
    pub code: String,
    pub name: String,
    pub eu_member: bool,
    pub grid_carbon_g_per_kwh: Option<f64>,
    pub grid_carbon_year: Option<i32>,
    pub industrial_power_price_per_kwh: Option<f64>,
    /// Empty when the row has no price.
    pub currency: String,
    pub grid_wait_months_min: Option<f64>,
    pub grid_wait_months_max: Option<f64>,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// One open-weight model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OpenModel {
    pub id: String,
    pub name: String,
    pub params_b: f64,
    pub active_params_b: f64,
    pub training_tokens_t: Option<f64>,
    pub training_flop: Option<f64>,
    pub release_date: String,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// One clause of a shipped sovereignty preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PresetClause {
    pub preset: String,
    pub attribute: String,
    pub op: String,
    pub value: String,
    pub description: String,
    pub source: String,
    pub source_date: String,
}

/// One objective of the European Commission's Cloud Sovereignty Framework, with its weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CsfObjective {
    pub objective: String,
    pub name: String,
    pub weight_pct: f64,
    pub question: String,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// One criterion of a SEAL level of one objective: an attribute test, as in a preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CsfCriterion {
    pub objective: String,
    pub seal: u8,
    pub attribute: String,
    pub op: String,
    pub value: String,
    pub description: String,
    pub source: String,
    pub source_date: String,
}

/// A certification or label an operator may hold, as evidence criteria read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Certification {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub attests: String,
    pub source: String,
    pub source_date: String,
}

/// A kind of work the dispatch places on GPUs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Training runs (pre-training and post-training) on a homogeneous block of GPUs.
    Training,
    /// Serving tokens of an open-weight model.
    Inference,
}

impl Workload {
    /// Both workloads, in table order.
    pub const ALL: [Workload; 2] = [Workload::Training, Workload::Inference];

    /// The name used in the catalog and scenarios.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Training => "training",
            Workload::Inference => "inference",
        }
    }
}

/// Measured (or derived) serving throughput of one model on one accelerator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct InferenceThroughput {
    pub model: String,
    pub accelerator: String,
    pub output_tokens_per_s_per_gpu: f64,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// How well a workload runs on an accelerator, relative to its nominal rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct WorkloadEfficiency {
    pub workload: Workload,
    pub accelerator: String,
    pub efficiency: f64,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// A default value for a field a scenario leaves out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DefaultValue {
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub meaning: String,
    pub estimated_fields: String,
    pub source: String,
    pub source_date: String,
}

/// A documented catalog column.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Header in the CSV file.
    pub name: &'static str,
    /// Unit, or `-` for text and flags.
    pub unit: &'static str,
    /// What the column means.
    pub meaning: &'static str,
}

/// A documented catalog table.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    /// Name used by `sovsim catalog NAME`.
    pub name: &'static str,
    /// File under `data/`.
    pub file: &'static str,
    /// What a row is.
    pub about: &'static str,
    /// The columns, in file order.
    pub columns: &'static [Column],
}

const fn col(name: &'static str, unit: &'static str, meaning: &'static str) -> Column {
    Column {
        name,
        unit,
        meaning,
    }
}

const PROVENANCE: [Column; 3] = [
    col(
        "estimated_fields",
        "-",
        "semicolon-separated columns of this row that are ESTIMATES (derived, not read from the source)",
    ),
    col(
        "source",
        "-",
        "where the figures come from; `(secondary)` and `(weak)` as in REFERENCE-DATA.md",
    ),
    col(
        "source_date",
        "YYYY-MM",
        "date of the source or of the event",
    ),
];

/// Every catalog table, with its columns documented once.
pub const TABLES: &[Table] = &[
    Table {
        name: "accelerators",
        file: "accelerators.csv",
        about: "one accelerator SKU; figures are per GPU (per GPU package for rack-scale systems), tensor throughput dense",
        columns: &[
            col(
                "id",
                "-",
                "identifier used by scenarios (`sku = \"gb300-nvl72\"`)",
            ),
            col("name", "-", "product name"),
            col("vendor", "-", "manufacturer"),
            col(
                "vendor_jurisdiction",
                "-",
                "country of the manufacturer's incorporation (ISO 3166-1 alpha-2): the supply-chain evidence the Cloud Sovereignty Framework reads",
            ),
            col(
                "architecture",
                "-",
                "GPU generation; a training run needs one architecture end to end",
            ),
            col("tdp_w", "W", "thermal design power of one GPU"),
            col(
                "all_in_power_kw",
                "kW",
                "IT power per GPU including CPUs, NICs, switches and fans (rack or system power / GPUs)",
            ),
            col("gpus_per_rack", "GPUs", "GPUs per rack or system as sold"),
            col(
                "bf16_dense_tflops",
                "TFLOPS",
                "dense BF16 tensor throughput",
            ),
            col("fp8_dense_tflops", "TFLOPS", "dense FP8 tensor throughput"),
            col(
                "fp4_dense_tflops",
                "TFLOPS",
                "dense FP4 tensor throughput (empty: not supported)",
            ),
            col("hbm_gb", "GB", "high-bandwidth memory per GPU"),
            col("hbm_bandwidth_tbps", "TB/s", "HBM bandwidth per GPU"),
            col(
                "price_per_gpu",
                "currency/GPU",
                "purchase price per GPU, in `currency`, as published (empty: not found)",
            ),
            col("currency", "ISO 4217", "currency of the prices in this row"),
            col(
                "lead_time_months",
                "months",
                "order-to-delivery lead time (empty: not found)",
            ),
            col(
                "cooling",
                "air|liquid",
                "cooling the accelerator requires; `liquid` cannot go into air-cooled halls",
            ),
            col("release_year", "year", "first volume shipments"),
            col(
                "failure_rate_per_gpu_day",
                "1/(GPU·day)",
                "unexpected interruptions per GPU per day",
            ),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "power",
        file: "power_technologies.csv",
        about: "one power technology a site can draw on",
        columns: &[
            col(
                "id",
                "-",
                "identifier used by scenarios (`tech = \"ccgt\"`)",
            ),
            col("name", "-", "description"),
            col(
                "kind",
                "-",
                "grid, ccgt, ocgt, recip, solar_battery, wind, nuclear_ppa or smr",
            ),
            col("dispatchable", "bool", "whether output can follow load"),
            col(
                "capex_per_kw",
                "currency/kW",
                "overnight capital cost per kW of capacity, in `currency`",
            ),
            col(
                "currency",
                "ISO 4217",
                "currency of the money figures in this row",
            ),
            col(
                "fixed_om_pct_per_year",
                "%/yr of capex",
                "fixed operation and maintenance",
            ),
            col(
                "variable_om_per_mwh",
                "currency/MWh",
                "variable O&M, or the contract price for a PPA",
            ),
            col(
                "efficiency",
                "fraction",
                "electrical efficiency (fuel to electricity)",
            ),
            col(
                "availability",
                "fraction",
                "share of hours the capacity can deliver (capacity factor for weather-driven sources)",
            ),
            col(
                "carbon_intensity_g_per_kwh",
                "gCO2e/kWh",
                "emissions per kWh delivered (empty: not yet sourced)",
            ),
            col(
                "build_time_months",
                "months",
                "order or construction to commercial operation",
            ),
            col("life_years", "years", "economic life"),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "shells",
        file: "shells.csv",
        about: "one datacenter hall type (shell, mechanical and electrical fit-out)",
        columns: &[
            col(
                "id",
                "-",
                "identifier used by scenarios (`type = \"liquid-hall\"`)",
            ),
            col("name", "-", "description"),
            col("cooling", "air|liquid", "cooling the hall provides"),
            col(
                "pue",
                "ratio",
                "power usage effectiveness: facility power / IT power",
            ),
            col(
                "capex_per_mw",
                "currency/MW IT",
                "construction cost per MW of IT load, excluding land and IT, in `currency`",
            ),
            col(
                "currency",
                "ISO 4217",
                "currency of the money figures in this row",
            ),
            col(
                "build_time_months",
                "months",
                "construction time of one phase, excluding the grid connection wait",
            ),
            col("wue_l_per_kwh", "L/kWh", "water use per kWh of IT energy"),
            col(
                "land_ha_per_100mw",
                "ha per 100 MW IT",
                "land needed including substations and setbacks",
            ),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "countries",
        file: "countries.csv",
        about: "one country or jurisdiction (sites, ownership, staff, key custody)",
        columns: &[
            col(
                "code",
                "ISO 3166-1 alpha-2",
                "country code used by scenarios",
            ),
            col("name", "-", "country name"),
            col("eu_member", "bool", "member state of the European Union"),
            col(
                "grid_carbon_g_per_kwh",
                "gCO2e/kWh",
                "life-cycle carbon intensity of grid electricity",
            ),
            col(
                "grid_carbon_year",
                "year",
                "year of the carbon-intensity figure",
            ),
            col(
                "industrial_power_price_per_kwh",
                "currency/kWh",
                "non-household electricity price excluding VAT and recoverable taxes, in `currency`, as published",
            ),
            col(
                "currency",
                "ISO 4217",
                "currency of the price (empty when there is no price)",
            ),
            col(
                "grid_wait_months_min",
                "months",
                "shortest typical wait for a new large grid connection",
            ),
            col(
                "grid_wait_months_max",
                "months",
                "longest typical wait for a new large grid connection",
            ),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "models",
        file: "models.csv",
        about: "one open-weight model",
        columns: &[
            col(
                "id",
                "-",
                "identifier used by scenarios (`model = \"deepseek-v3\"`)",
            ),
            col("name", "-", "model name"),
            col("params_b", "billion parameters", "total parameters"),
            col(
                "active_params_b",
                "billion parameters",
                "parameters active per token (equal to params_b for dense models)",
            ),
            col(
                "training_tokens_t",
                "trillion tokens",
                "pre-training tokens (empty: not disclosed)",
            ),
            col(
                "training_flop",
                "FLOP",
                "pre-training compute (≈ 6 · active parameters · tokens where not disclosed)",
            ),
            col("release_date", "YYYY-MM-DD", "public release"),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "sovereignty",
        file: "sovereignty_presets.csv",
        about: "one clause of a shipped sovereignty preset; a tier passes a preset when every clause holds",
        columns: &[
            col(
                "preset",
                "-",
                "preset name used by scenarios (`preset = \"secnumcloud-3.2\"`)",
            ),
            col(
                "attribute",
                "-",
                "operator or site attribute the clause tests (see `sovsim schema`)",
            ),
            col(
                "op",
                "-",
                "comparison: in, not_in, all_in, none_in, eq, le, lt, ge, gt",
            ),
            col(
                "value",
                "-",
                "value compared with; `EU` stands for every EU member state",
            ),
            col("description", "-", "the clause in words"),
            col("source", "-", "legal or regulatory source"),
            col("source_date", "YYYY-MM", "date of the source"),
        ],
    },
    Table {
        name: "csf-objectives",
        file: "csf_objectives.csv",
        about: "one objective of the European Commission's Cloud Sovereignty Framework (v1.2.1) with its weight in the sovereignty score",
        columns: &[
            col(
                "objective",
                "-",
                "objective id, `SOV-1` to `SOV-8`; tiers name it in `min_seal`",
            ),
            col("name", "-", "objective name"),
            col(
                "weight_pct",
                "%",
                "weight in the weighted sovereignty score; the weights sum to 100",
            ),
            col("question", "-", "what the objective asks, in words"),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "csf-criteria",
        file: "csf_criteria.csv",
        about: "one criterion of one SEAL level of one objective: a cluster is at SEAL-n on the objective when every criterion of levels 1 to n holds; a level without criteria cannot be assessed, so it caps the objective below it",
        columns: &[
            col("objective", "-", "objective id from `csf_objectives.csv`"),
            col("seal", "0-4", "SEAL level the criterion belongs to, 1 to 4"),
            col(
                "attribute",
                "-",
                "operator, site or accelerator attribute the criterion tests (as in presets)",
            ),
            col(
                "op",
                "-",
                "comparison: in, not_in, all_in, none_in, has_any, has_none, eq, le, lt, ge, gt",
            ),
            col(
                "value",
                "-",
                "value compared with; `EU` stands for every EU member state; `;` separates list items",
            ),
            col("description", "-", "the criterion in words"),
            col(
                "source",
                "-",
                "framework text and the source of any threshold; `ESTIMATE` marks sovsim's reading",
            ),
            col("source_date", "YYYY-MM", "date of the source"),
        ],
    },
    Table {
        name: "certifications",
        file: "certifications.csv",
        about: "one certification or label an operator may list in `certifications`, as evidence the framework's criteria and presets read",
        columns: &[
            col(
                "id",
                "-",
                "identifier used by scenarios (`certifications = [\"bsi-c5\"]`)",
            ),
            col("name", "-", "name of the certification or label"),
            col("issuer", "-", "body that issues or qualifies it"),
            col("attests", "-", "what holding it shows"),
            col("source", "-", "the scheme's text"),
            col("source_date", "YYYY-MM", "date of the version read"),
        ],
    },
    Table {
        name: "throughput",
        file: "inference_throughput.csv",
        about: "serving throughput of one model on one accelerator; pairs without a row use the roofline estimate (see `roofline_sequences_per_gpu` in defaults.csv)",
        columns: &[
            col("model", "-", "model id from models.csv"),
            col("accelerator", "-", "accelerator id from accelerators.csv"),
            col(
                "output_tokens_per_s_per_gpu",
                "tokens/(s·GPU)",
                "generated (output) tokens per second per GPU under production batching, prompts processed alongside",
            ),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "efficiency",
        file: "workload_efficiency.csv",
        about: "how well a workload runs on an accelerator: 0 where it cannot run, below 1 where it runs slower; every accelerator has one row per workload",
        columns: &[
            col("workload", "training|inference", "kind of work"),
            col("accelerator", "-", "accelerator id from accelerators.csv"),
            col(
                "efficiency",
                "fraction",
                "multiplies the rate: training FLOP/s = BF16 peak × MFU × efficiency; inference tokens/s = throughput × efficiency",
            ),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
    Table {
        name: "defaults",
        file: "defaults.csv",
        about: "one default a scenario gets when it leaves a field out",
        columns: &[
            col("key", "-", "name of the default"),
            col("value", "see `unit`", "the default value"),
            col("unit", "-", "unit of `value`"),
            col(
                "meaning",
                "-",
                "what the default stands for and which scenario field it fills",
            ),
            PROVENANCE[0],
            PROVENANCE[1],
            PROVENANCE[2],
        ],
    },
];

/// The catalog files as text, keyed by file name (`accelerators.csv`, ...).
pub type CatalogSources = BTreeMap<String, String>;

/// The shipped catalog files, compiled into the binary.
pub fn embedded_sources() -> CatalogSources {
    [
        (
            "accelerators.csv",
            include_str!("../../../data/accelerators.csv"),
        ),
        (
            "power_technologies.csv",
            include_str!("../../../data/power_technologies.csv"),
        ),
        ("shells.csv", include_str!("../../../data/shells.csv")),
        ("countries.csv", include_str!("../../../data/countries.csv")),
        ("models.csv", include_str!("../../../data/models.csv")),
        (
            "sovereignty_presets.csv",
            include_str!("../../../data/sovereignty_presets.csv"),
        ),
        (
            "csf_objectives.csv",
            include_str!("../../../data/csf_objectives.csv"),
        ),
        (
            "csf_criteria.csv",
            include_str!("../../../data/csf_criteria.csv"),
        ),
        (
            "certifications.csv",
            include_str!("../../../data/certifications.csv"),
        ),
        (
            "inference_throughput.csv",
            include_str!("../../../data/inference_throughput.csv"),
        ),
        (
            "workload_efficiency.csv",
            include_str!("../../../data/workload_efficiency.csv"),
        ),
        ("defaults.csv", include_str!("../../../data/defaults.csv")),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_owned(), text.to_owned()))
    .collect()
}

/// The reference catalog, parsed and checked.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Accelerator SKUs.
    pub accelerators: Vec<Accelerator>,
    /// Power technologies.
    pub power: Vec<PowerTech>,
    /// Hall types.
    pub shells: Vec<ShellType>,
    /// Countries and jurisdictions.
    pub countries: Vec<Country>,
    /// Open-weight models.
    pub models: Vec<OpenModel>,
    /// Sovereignty preset clauses.
    pub presets: Vec<PresetClause>,
    /// Cloud Sovereignty Framework objectives and weights.
    pub csf_objectives: Vec<CsfObjective>,
    /// Cloud Sovereignty Framework criteria, by objective and SEAL level.
    pub csf_criteria: Vec<CsfCriterion>,
    /// Certifications operators may hold.
    pub certifications: Vec<Certification>,
    /// Serving throughput per model and accelerator.
    pub throughput: Vec<InferenceThroughput>,
    /// Workload × accelerator efficiencies.
    pub efficiency: Vec<WorkloadEfficiency>,
    /// Defaults for fields a scenario leaves out.
    pub defaults: Vec<DefaultValue>,
    /// First 16 hex digits of the SHA-256 of every file, in name order: identifies the catalog in manifests.
    pub version: String,
}

impl Catalog {
    /// The catalog shipped with sovsim.
    ///
    /// # Errors
    /// Only if the shipped files are broken, which the test suite rules out.
    pub fn embedded() -> Result<Self, (SourceMap, Vec<Diagnostic>)> {
        Self::parse(&embedded_sources())
    }

    /// Parses catalog files; every problem in every file is reported, located in the returned map.
    ///
    /// # Errors
    /// All problems found, with the files they refer to.
    pub fn parse(sources: &CatalogSources) -> Result<Self, (SourceMap, Vec<Diagnostic>)> {
        let mut map = SourceMap::default();
        let mut problems = Vec::new();
        let mut hasher = Sha256::new();
        for (name, text) in sources {
            hasher.update(name.as_bytes());
            hasher.update(text.as_bytes());
        }
        let digest = hasher.finalize();
        let version = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let mut ctx = Reader {
            sources,
            map: &mut map,
            problems: &mut problems,
        };
        let catalog = Catalog {
            accelerators: ctx.table(&TABLES[0], |r: &Accelerator| {
                (r.id.clone(), &r.source, &r.source_date)
            }),
            power: ctx.table(&TABLES[1], |r: &PowerTech| {
                (r.id.clone(), &r.source, &r.source_date)
            }),
            shells: ctx.table(&TABLES[2], |r: &ShellType| {
                (r.id.clone(), &r.source, &r.source_date)
            }),
            countries: ctx.table(&TABLES[3], |r: &Country| {
                (r.code.clone(), &r.source, &r.source_date)
            }),
            models: ctx.table(&TABLES[4], |r: &OpenModel| {
                (r.id.clone(), &r.source, &r.source_date)
            }),
            presets: ctx.table(&TABLES[5], |r: &PresetClause| {
                (r.preset.clone(), &r.source, &r.source_date)
            }),
            csf_objectives: ctx.table(&TABLES[6], |r: &CsfObjective| {
                (r.objective.clone(), &r.source, &r.source_date)
            }),
            csf_criteria: ctx.table(&TABLES[7], |r: &CsfCriterion| {
                (
                    format!("{}/SEAL-{}/{}", r.objective, r.seal, r.attribute),
                    &r.source,
                    &r.source_date,
                )
            }),
            certifications: ctx.table(&TABLES[8], |r: &Certification| {
                (r.id.clone(), &r.source, &r.source_date)
            }),
            throughput: ctx.table(&TABLES[9], |r: &InferenceThroughput| {
                (
                    format!("{}/{}", r.model, r.accelerator),
                    &r.source,
                    &r.source_date,
                )
            }),
            efficiency: ctx.table(&TABLES[10], |r: &WorkloadEfficiency| {
                (
                    format!("{}/{}", r.workload.name(), r.accelerator),
                    &r.source,
                    &r.source_date,
                )
            }),
            defaults: ctx.table(&TABLES[11], |r: &DefaultValue| {
                (r.key.clone(), &r.source, &r.source_date)
            }),
            version,
        };
        if problems.is_empty() {
            problems.extend(catalog.cross_references());
        }
        if problems.is_empty() {
            Ok(catalog)
        } else {
            Err((map, problems))
        }
    }

    /// Looks up an accelerator by id.
    pub fn accelerator(&self, id: &str) -> Option<&Accelerator> {
        self.accelerators.iter().find(|a| a.id == id)
    }

    /// Looks up a power technology by id.
    pub fn power_tech(&self, id: &str) -> Option<&PowerTech> {
        self.power.iter().find(|p| p.id == id)
    }

    /// Looks up a hall type by id.
    pub fn shell(&self, id: &str) -> Option<&ShellType> {
        self.shells.iter().find(|s| s.id == id)
    }

    /// Looks up a country by ISO code.
    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.iter().find(|c| c.code == code)
    }

    /// Looks up an open-weight model by id.
    pub fn model(&self, id: &str) -> Option<&OpenModel> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The clauses of a sovereignty preset, empty if there is no such preset.
    pub fn preset(&self, name: &str) -> Vec<&PresetClause> {
        self.presets.iter().filter(|c| c.preset == name).collect()
    }

    /// The default named `key`; every key the code asks for is in the shipped `defaults.csv` (tested).
    pub fn default_value(&self, key: &str) -> Option<f64> {
        self.defaults.iter().find(|d| d.key == key).map(|d| d.value)
    }

    /// The catalog's serving throughput of `model` on `accelerator`, if it has one.
    pub fn throughput(&self, model: &str, accelerator: &str) -> Option<&InferenceThroughput> {
        self.throughput
            .iter()
            .find(|t| t.model == model && t.accelerator == accelerator)
    }

    /// The efficiency of `workload` on `accelerator` (every accelerator has a row; checked on parsing).
    pub fn efficiency(&self, workload: Workload, accelerator: &str) -> Option<f64> {
        self.efficiency
            .iter()
            .find(|e| e.workload == workload && e.accelerator == accelerator)
            .map(|e| e.efficiency)
    }

    /// Rows that name a model or accelerator the catalog lacks, efficiencies outside [0, 1], and
    /// accelerators without an efficiency row for some workload.
    fn cross_references(&self) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        let unknown = |file: &str, kind: &str, id: &str| {
            Diagnostic::error(
                "catalog-reference",
                format!("`{file}` names {kind} `{id}`, which the catalog does not have"),
            )
            .hint("use an id from `sovsim catalog accelerators` or `sovsim catalog models`")
        };
        for t in &self.throughput {
            if self.model(&t.model).is_none() {
                problems.push(unknown("inference_throughput.csv", "model", &t.model));
            }
            if self.accelerator(&t.accelerator).is_none() {
                problems.push(unknown(
                    "inference_throughput.csv",
                    "accelerator",
                    &t.accelerator,
                ));
            }
            if t.output_tokens_per_s_per_gpu.is_nan() || t.output_tokens_per_s_per_gpu <= 0.0 {
                problems.push(Diagnostic::error(
                    "catalog-value",
                    format!(
                        "throughput of `{}` on `{}` is not positive",
                        t.model, t.accelerator
                    ),
                ));
            }
        }
        for e in &self.efficiency {
            if self.accelerator(&e.accelerator).is_none() {
                problems.push(unknown(
                    "workload_efficiency.csv",
                    "accelerator",
                    &e.accelerator,
                ));
            }
            if !(0.0..=1.0).contains(&e.efficiency) {
                problems.push(
                    Diagnostic::error(
                        "catalog-value",
                        format!(
                            "efficiency of {} on `{}` is {}",
                            e.workload.name(),
                            e.accelerator,
                            e.efficiency
                        ),
                    )
                    .expected("a fraction between 0 and 1"),
                );
            }
        }
        for c in &self.countries {
            // A price means nothing without its currency, and a currency without a price is a
            // figure someone meant to enter.
            if c.industrial_power_price_per_kwh.is_some() == c.currency.is_empty() {
                problems.push(
                    Diagnostic::error(
                        "catalog-value",
                        format!("`countries.csv` row `{}` has a price without a currency or a currency without a price", c.code),
                    )
                    .expected("`industrial_power_price_per_kwh` and `currency` both filled, or both empty"),
                );
            }
        }
        problems.extend(self.framework_problems());
        for a in &self.accelerators {
            for w in Workload::ALL {
                if self.efficiency(w, &a.id).is_none() {
                    problems.push(
                        Diagnostic::error(
                            "catalog-missing-row",
                            format!("`workload_efficiency.csv` has no {} row for `{}`", w.name(), a.id),
                        )
                        .hint("every accelerator needs one row per workload; use 1 where it runs at its nominal rate"),
                    );
                }
            }
        }
        problems
    }

    /// Framework weights that do not sum to 100, criteria of an unknown objective or level, and
    /// certifications that criteria or presets name but the catalog lacks.
    fn framework_problems(&self) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        let total: f64 = self.csf_objectives.iter().map(|o| o.weight_pct).sum();
        if (total - 100.0).abs() > 1e-9 {
            problems.push(
                Diagnostic::error(
                    "catalog-value",
                    format!("`csf_objectives.csv` weights sum to {total} %"),
                )
                .expected("weights summing to 100 %"),
            );
        }
        let certified = |attribute: &str, op: &str, value: &str| -> Vec<String> {
            if attribute != "operator.certifications" || !op.starts_with("has") {
                return Vec::new();
            }
            value
                .split(';')
                .map(str::trim)
                .filter(|v| !self.certifications.iter().any(|c| c.id == *v))
                .map(str::to_owned)
                .collect()
        };
        for c in &self.csf_criteria {
            if !self
                .csf_objectives
                .iter()
                .any(|o| o.objective == c.objective)
            {
                problems.push(Diagnostic::error(
                    "catalog-reference",
                    format!(
                        "`csf_criteria.csv` names objective `{}`, which `csf_objectives.csv` does not have",
                        c.objective
                    ),
                ));
            }
            if !(1..=4).contains(&c.seal) {
                problems.push(
                    Diagnostic::error(
                        "catalog-value",
                        format!(
                            "`csf_criteria.csv` has a criterion of `{}` at SEAL-{}",
                            c.objective, c.seal
                        ),
                    )
                    .expected("a level from 1 to 4 (SEAL-0 needs no criterion)"),
                );
            }
            for id in certified(&c.attribute, &c.op, &c.value) {
                problems.push(Diagnostic::error(
                    "catalog-reference",
                    format!("`csf_criteria.csv` names certification `{id}`, which `certifications.csv` does not have"),
                ));
            }
        }
        for p in &self.presets {
            for id in certified(&p.attribute, &p.op, &p.value) {
                problems.push(Diagnostic::error(
                    "catalog-reference",
                    format!("`sovereignty_presets.csv` names certification `{id}`, which `certifications.csv` does not have"),
                ));
            }
        }
        problems
    }

    /// Names of the sovereignty presets, sorted, without repeats.
    pub fn preset_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.presets.iter().map(|c| c.preset.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

struct Reader<'a> {
    sources: &'a CatalogSources,
    map: &'a mut SourceMap,
    problems: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    /// Reads one table; `key` gives a row's id, source and source date for the checks every row must pass.
    fn table<T>(&mut self, table: &Table, key: impl Fn(&T) -> (String, &String, &String)) -> Vec<T>
    where
        T: for<'de> Deserialize<'de>,
    {
        let Some(text) = self.sources.get(table.file) else {
            self.problems.push(
                Diagnostic::error(
                    "catalog-file-missing",
                    format!("catalog file `{}` is missing", table.file),
                )
                .hint("copy it from the `data/` folder of the sovsim repository"),
            );
            return Vec::new();
        };
        let base = self.map.add(format!("data/{}", table.file), text.clone());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let expected: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        match reader.headers() {
            Ok(headers) if headers.iter().eq(expected.iter().copied()) => {}
            Ok(headers) => {
                let found: Vec<&str> = headers.iter().collect();
                self.problems.push(
                    Diagnostic::error(
                        "catalog-columns",
                        format!("`{}` has columns `{}`", table.file, found.join(",")),
                    )
                    .at(Some(base..base + found.join(",").len()))
                    .expected(format!("`{}`", expected.join(",")))
                    .hint("columns and their order are documented in data/README.md"),
                );
                return Vec::new();
            }
            Err(e) => {
                self.problems
                    .push(Diagnostic::error("catalog-csv", e.to_string()).at(Some(base..base)));
                return Vec::new();
            }
        }
        let headers = reader.headers().cloned().unwrap_or_default();
        let mut rows = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let at = e.position().map_or(base, |p| base + p.byte() as usize);
                    self.problems
                        .push(Diagnostic::error("catalog-csv", e.to_string()).at(Some(at..at + 1)));
                    continue;
                }
            };
            let start = base + record.position().map_or(0, |p| p.byte() as usize);
            let line_len = record.as_slice().len() + record.len().saturating_sub(1);
            let span = Some(start..start + line_len.max(1));
            // A number a catalog holds must be a figure: `nan` and `inf` parse as floats but
            // would reach every product, chart and key downstream.
            for (column, field) in headers.iter().zip(record.iter()) {
                if field.trim().parse::<f64>().is_ok_and(|v| !v.is_finite()) {
                    self.problems.push(
                        Diagnostic::error(
                            "catalog-value",
                            format!("`{}` column `{column}` is `{}`", table.file, field.trim()),
                        )
                        .at(span.clone())
                        .expected(
                            "a finite number, or an empty cell where the figure was not found",
                        ),
                    );
                }
            }
            match record.deserialize::<T>(Some(&headers)) {
                Ok(row) => {
                    let (id, source, date) = key(&row);
                    if source.trim().is_empty() || date.trim().is_empty() {
                        self.problems.push(
                            Diagnostic::error("catalog-unsourced", format!("row `{id}` of `{}` has no source", table.file))
                                .at(span.clone())
                                .expected("a non-empty `source` and `source_date`")
                                .hint("every default figure must be traceable; mark derived values in `estimated_fields`"),
                        );
                    }
                    // Preset rows share their preset name; other tables need unique ids.
                    if table.name != "sovereignty" {
                        if ids.contains(&id) {
                            self.problems.push(
                                Diagnostic::error(
                                    "catalog-duplicate-id",
                                    format!("`{id}` appears twice in `{}`", table.file),
                                )
                                .at(span.clone()),
                            );
                        }
                        ids.push(id);
                    }
                    rows.push(row);
                }
                Err(e) => self.problems.push(
                    Diagnostic::error("catalog-value", format!("bad row in `{}`: {e}", table.file))
                        .at(span)
                        .hint("units and allowed values are documented in data/README.md"),
                ),
            }
        }
        rows
    }
}

/// The column documentation as Markdown, as it appears in `data/README.md`.
pub fn columns_markdown() -> String {
    let mut out = String::new();
    for table in TABLES {
        out.push_str(&format!("### `{}` — {}\n\n", table.file, table.about));
        out.push_str("| column | unit | meaning |\n|---|---|---|\n");
        for c in table.columns {
            out.push_str(&format!("| `{}` | {} | {} |\n", c.name, c.unit, c.meaning));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_parses_and_every_row_is_sourced() {
        let catalog = match Catalog::embedded() {
            Ok(c) => c,
            Err((map, problems)) => panic!("{}", map.render(&problems)),
        };
        assert_eq!(catalog.accelerators.len(), 8);
        assert!(
            catalog
                .accelerators
                .iter()
                .all(|a| !a.source.trim().is_empty())
        );
        assert!(catalog.power.iter().all(|a| !a.source.trim().is_empty()));
    }

    #[test]
    fn a_row_without_source_is_rejected() {
        let mut sources = embedded_sources();
        let text = sources.get_mut("models.csv").expect("shipped");
        *text = text.replace("Mistral AI announcement 24 Jul 2024 (123B dense); training tokens and compute not disclosed", "");
        let Err((map, problems)) = Catalog::parse(&sources) else {
            panic!("accepted a row without a source")
        };
        assert_eq!(problems.len(), 1, "{}", map.render(&problems));
        assert_eq!(problems[0].code, "catalog-unsourced");
    }
}
