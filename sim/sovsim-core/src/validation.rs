//! Reference cases: published figures sovsim should reproduce, each computed through sovsim's own
//! code (the catalog, the loader, the workload formulas, the engine), with its source, a tolerance
//! and the reason for it. `VALIDATION.md` is generated from these (`text::validation`); a test
//! fails when one drifts.
//!
//! Rules:
//! - A case passes when sovsim's figure lies within the tolerance of the published value, or of the
//!   published range (its difference is then measured from the nearer end, 0 inside).
//! - A case is *independent* when no catalog figure it uses was derived from the source it is
//!   compared with; *calibrated* when one was (then the case guards that calibration against drift
//!   and checks that the code applies it as the source did, but it is not evidence on its own).
//! - Published figures sovsim does not reproduce are listed apart ([`DISAGREEMENTS`]), with why:
//!   they say where not to trust it.
//! - The validation scenarios live in `validation/` and are compiled in, so the check needs no file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::catalog::{Accelerator, Catalog, OpenModel};
use crate::engine::buildout::{self, Event};
use crate::engine::time::SimTime;
use crate::model::Scenario;
use crate::scenario::{self, InMemory};
use crate::workload;

/// The validation scenarios, by file name, as shipped in `validation/`.
pub const SCENARIOS: [(&str, &str); 3] = [
    (
        "llama3-405b.toml",
        include_str!("../../../validation/llama3-405b.toml"),
    ),
    (
        "deepseek-v3.toml",
        include_str!("../../../validation/deepseek-v3.toml"),
    ),
    (
        "gigawatt-campus.toml",
        include_str!("../../../validation/gigawatt-campus.toml"),
    ),
];

/// Replications behind the engine's figures: enough that sampling noise is well inside the
/// tolerances (the interruption count's standard error is then ≈ 1 %).
const REPLICATIONS: u64 = 200;

/// A published figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Published {
    /// One value.
    Value(f64),
    /// A range, both ends included.
    Range(f64, f64),
}

/// Whether the case is evidence on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// No catalog figure it uses was derived from its source.
    Independent,
    /// A catalog figure it uses was derived from its source: it guards that calibration.
    Calibrated,
}

/// One reference case, checked.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Identifier (stable; used in tests and the report).
    pub id: &'static str,
    /// What is compared, in words.
    pub figure: &'static str,
    /// Unit of both figures.
    pub unit: &'static str,
    /// The published figure.
    pub published: Published,
    /// sovsim's figure.
    pub sovsim: f64,
    /// How sovsim's figure was obtained, and any spread (e.g. P10–P90).
    pub how: String,
    /// Relative tolerance [fraction].
    pub tolerance: f64,
    /// Why that tolerance.
    pub reason: &'static str,
    /// Where the published figure comes from.
    pub source: &'static str,
    /// Independent or calibrated.
    pub basis: Basis,
}

impl Checked {
    /// Relative difference of sovsim's figure from the published one (from the nearer end of a
    /// range, 0 inside it).
    pub fn difference(&self) -> f64 {
        match self.published {
            Published::Value(v) => self.sovsim / v - 1.0,
            Published::Range(lo, _) if self.sovsim < lo => self.sovsim / lo - 1.0,
            Published::Range(_, hi) if self.sovsim > hi => self.sovsim / hi - 1.0,
            Published::Range(..) => 0.0,
        }
    }

    /// Within tolerance.
    pub fn passes(&self) -> bool {
        self.sovsim.is_finite() && self.difference().abs() <= self.tolerance + 1e-12
    }
}

/// A published figure sovsim does not reproduce, and why.
#[derive(Clone, Debug)]
pub struct Disagreement {
    /// What the source says.
    pub published: &'static str,
    /// What sovsim gives instead, computed as the cases are.
    pub sovsim: String,
    /// Why, and what a user should do about it.
    pub why: &'static str,
}

/// Everything the validation found.
#[derive(Clone, Debug)]
pub struct Validation {
    /// The reference cases, checked.
    pub cases: Vec<Checked>,
    /// Published figures sovsim does not reproduce.
    pub disagreements: Vec<Disagreement>,
}

impl Validation {
    /// Every case within its tolerance.
    pub fn passes(&self) -> bool {
        self.cases.iter().all(Checked::passes)
    }
}

/// Checks every reference case.
///
/// # Errors
/// When a validation scenario does not load or the catalog lacks a figure a case needs (a catalog
/// given with `--data` may).
pub fn check(catalog: &Catalog) -> Result<Validation, String> {
    let llama = load("llama3-405b.toml", catalog)?;
    let deepseek = load("deepseek-v3.toml", catalog)?;
    let campus = load("gigawatt-campus.toml", catalog)?;
    let acc = |id: &str| {
        catalog
            .accelerator(id)
            .ok_or_else(|| format!("the catalog has no accelerator `{id}`"))
    };
    let model = |id: &str| {
        catalog
            .model(id)
            .ok_or_else(|| format!("the catalog has no model `{id}`"))
    };
    let default = |key: &str| {
        catalog
            .default_value(key)
            .ok_or_else(|| format!("the catalog has no default `{key}`"))
    };
    let gb200 = acc("gb200-nvl72")?;
    let gb300 = acc("gb300-nvl72")?;
    let h100 = acc("h100-sxm")?;
    let b200 = acc("b200-hgx")?;
    let liquid = catalog
        .shell("liquid-hall")
        .ok_or("the catalog has no hall type `liquid-hall`")?;
    let mut out = Vec::new();

    out.push(Checked {
        id: "gpus-per-gw-gb200",
        figure: "GB200 NVL72 GPUs per GW of IT",
        unit: "GPUs",
        published: Published::Range(1e6 / (132.0 / 72.0), 1e6 / (120.0 / 72.0)),
        sovsim: 1e6 / it_kw(gb200)?,
        how: "1 GW ÷ the catalog's all-in IT power per GPU".into(),
        tolerance: 0.02,
        reason: "Rack power is published as a range (120 kW ServeTheHome, 132 kW NVIDIA); 2 % for rounding",
        source: "NVIDIA GB200 NVL72 specification (~132 kW per rack); ServeTheHome (~120 kW)",
        basis: Basis::Calibrated,
    });
    out.push(Checked {
        id: "gpus-per-gw-gb300",
        figure: "GB300 NVL72 GPUs per GW of IT",
        unit: "GPUs",
        published: Published::Range(1e6 / (140.0 / 72.0), 1e6 / (120.0 / 72.0)),
        sovsim: 1e6 / it_kw(gb300)?,
        how: "1 GW ÷ the catalog's all-in IT power per GPU".into(),
        tolerance: 0.02,
        reason: "Rack power is published as a range (120–140 kW); 2 % for rounding",
        source: "Press and vendor figures of 120–140 kW per GB300 NVL72 rack (REFERENCE-DATA 1.2)",
        basis: Basis::Calibrated,
    });

    // Capex per GW of facility power, in US$ as both catalog rows are: GPUs at the rack price and
    // liquid halls at their cost per MW of IT.
    let facility_it_mw = 1000.0 / liquid.pue;
    let gpus = facility_it_mw * 1000.0 / it_kw(gb200)?;
    let gpu_usd = gpus * price(gb200)?;
    let shell_usd = facility_it_mw * liquid.capex_per_mw;
    out.push(Checked {
        id: "capex-per-gw-bernstein",
        figure: "Capex per GW of facility power, GB200 NVL72 in liquid-cooled halls",
        unit: "US$bn",
        published: Published::Value(35.0),
        sovsim: (gpu_usd + shell_usd) / 1e9,
        how: format!(
            "{:.0}k GPUs × catalog rack price ({:.1}bn) + {:.0} MW of IT × liquid-hall capex ({:.1}bn)",
            gpus / 1e3,
            gpu_usd / 1e9,
            facility_it_mw,
            shell_usd / 1e9
        ),
        tolerance: 0.20,
        reason: "The rack price is a press estimate (US$2–3M, catalog 3M against Bernstein's 3.4M of compute) and sovsim's capex leaves out scale-out networking (≈13 % of Bernstein's total)",
        source: "Bernstein research note, Oct 2025 (≈US$35bn per GW; US$5.9M per NVL72 rack), via a report mirror (REFERENCE-DATA 11.2)",
        basis: Basis::Independent,
    });
    out.push(Checked {
        id: "shell-per-gw-abilene",
        figure: "Buildings, power distribution and cooling per GW (Stargate Abilene, Crusoe's part)",
        unit: "US$bn",
        published: Published::Value(15.0 / 1.2),
        sovsim: 1000.0 * liquid.capex_per_mw / 1e9,
        how: "1,000 MW of IT × the catalog's liquid-hall capex per MW".into(),
        tolerance: 0.20,
        reason: "Crusoe's ≈US$15bn for ≈1.2 GW includes substations and gas generators, and whether the GW is IT or facility power is not stated",
        source: "Stargate Abilene, ≈US$15bn for buildings, power and cooling, servers excluded (secondary; REFERENCE-DATA 11.2, 7.3)",
        basis: Basis::Independent,
    });

    // Training: the campaign as the loader resolves it (defaults for MFU and post-training share).
    let llama_model = model("llama-3.1-405b")?;
    let six_nd = workload::pretraining_flop(&OpenModel {
        training_flop: None,
        ..llama_model.clone()
    })
    .ok_or("Llama 3.1 405B has no training tokens in the catalog")?;
    out.push(Checked {
        id: "llama-405b-flop",
        figure: "Llama 3.1 405B pre-training compute by 6·N·D",
        unit: "FLOP",
        published: Published::Value(3.8e25),
        sovsim: six_nd,
        how: "6 × 405e9 parameters × 15.6e12 tokens (catalog)".into(),
        tolerance: 0.02,
        reason: "The paper rounds to two significant figures",
        source: "Llama Team, The Llama 3 Herd of Models, arXiv:2407.21783",
        basis: Basis::Independent,
    });
    let (llama_gpu_hours, llama_how) = run_gpu_hours(&llama, h100)?;
    out.push(Checked {
        id: "llama-405b-gpu-hours",
        figure: "Llama 3.1 405B training GPU-hours on H100",
        unit: "GPU-hours",
        published: Published::Value(30.84e6),
        sovsim: llama_gpu_hours,
        how: llama_how,
        tolerance: 0.10,
        reason: "Meta's total includes restarts and evaluation that MFU leaves out, and its post-training share is not published (sovsim's default is 15 %)",
        source: "Llama 3.1 MODEL_CARD.md (30.84M H100-80GB GPU-hours), github.com/meta-llama/llama-models",
        basis: Basis::Independent,
    });
    out.push(Checked {
        id: "llama-405b-mfu",
        figure: "Model FLOPs utilisation of large BF16 training runs (sovsim's default)",
        unit: "fraction",
        published: Published::Range(0.38, 0.43),
        sovsim: default("mfu")?,
        how: "the catalog default `mfu`".into(),
        tolerance: 0.0,
        reason: "The default must lie in the measured range",
        source: "arXiv:2407.21783, Table 4 (38–43 % at 8,192–16,384 H100)",
        basis: Basis::Calibrated,
    });
    let (deepseek_gpu_hours, deepseek_how) = run_gpu_hours(&deepseek, h100)?;
    out.push(Checked {
        id: "deepseek-v3-gpu-hours",
        figure: "DeepSeek-V3 training GPU-hours on 2,048 H800",
        unit: "GPU-hours",
        published: Published::Value(2.788e6),
        sovsim: deepseek_gpu_hours,
        how: deepseek_how,
        tolerance: 0.15,
        reason: "DeepSeek trained in FP8, which sovsim's BF16 peak × MFU does not model; its compute is not disclosed (6·N_active·D is an estimate); the H800 is taken as the H100",
        source: "DeepSeek-AI, arXiv:2412.19437 (2.788M H800 GPU-hours, whole run)",
        basis: Basis::Independent,
    });

    // Failures: the engine's count over Meta's 54-day snapshot, averaged over replications.
    let (interruptions, spread) = interruptions_in(&llama, 54.0)?;
    out.push(Checked {
        id: "llama3-interruptions",
        figure: "Unexpected interruptions on 16,384 H100 in 54 days",
        unit: "interruptions",
        published: Published::Value(419.0),
        sovsim: interruptions,
        how: format!(
            "GPU failures the engine drew per energised GPU-day over a year, × 16,384 GPUs × 54 days, mean of {REPLICATIONS} replications (P10–P90 {spread})"
        ),
        tolerance: 0.05,
        reason: "A year of failures on 16,384 GPUs is a Poisson count of ≈2,800, within ≈2 % per replication; the mean of 200 replications is within ≈0.2 %",
        source: "arXiv:2407.21783, §3.3.4 (466 interruptions, 419 unexpected)",
        basis: Basis::Calibrated,
    });

    // Serving: the rate the loader resolved for the dispatch, and the roofline on another generation.
    let node = serving_rate(&deepseek, "deepseek-v3")? * 8.0;
    out.push(Checked {
        id: "deepseek-v3-serving-node",
        figure: "DeepSeek-V3 output tokens per second per 8-GPU H800 node in production",
        unit: "tokens/s",
        published: Published::Value(14.8e3),
        sovsim: node,
        how: "sovsim's serving rate for deepseek-v3 on h100-sxm × 8".into(),
        tolerance: 0.02,
        reason: "The catalog figure is this measurement ÷ 8",
        source: "DeepSeek, open-infra-index, Day 6: DeepSeek-V3/R1 Inference System Overview (1 Mar 2025)",
        basis: Basis::Calibrated,
    });
    let sequences = default("roofline_sequences_per_gpu")?;
    let deepseek_model = model("deepseek-v3")?;
    let (roofline, _) = workload::roofline_tokens_per_s(deepseek_model, gb300, sequences)
        .ok_or("GB300 has no tensor peak in the catalog")?;
    out.push(Checked {
        id: "roofline-deepseek-gb300",
        figure: "DeepSeek (V3/R1 architecture) output tokens/s per GB300 GPU, roofline against MLPerf",
        unit: "tokens/s",
        published: Published::Value(420e3 / 72.0),
        sovsim: roofline,
        how: format!("roofline at {sequences} sequences, calibrated on the H800 only"),
        tolerance: 0.30,
        reason: "The roofline is calibrated on one H800 measurement; MLPerf's server scenario batches differently from production, and the figure is secondary",
        source: "NVIDIA MLPerf Inference v5.1 summary: DeepSeek-R1 ≈420k tokens/s per GB300 NVL72 (secondary)",
        basis: Basis::Independent,
    });

    // Build speed: months from construction start to 1 GW of facility load.
    let (months, spread) = months_to_gigawatt(&campus)?;
    out.push(Checked {
        id: "gigawatt-build-speed",
        figure: "Months from construction start to 1 GW of facility power, US campus on grid and on-site gas",
        unit: "months",
        published: Published::Range(12.0, 24.0),
        sovsim: months,
        how: format!("P50 of {REPLICATIONS} replications of validation/gigawatt-campus.toml (P10–P90 {spread})"),
        tolerance: 0.0,
        reason: "The median must lie in the published band",
        source: "Epoch AI, Frontier Data Centers hub, data insight on build-out speeds (Nov 2025): New Carlisle, Colossus 2, Abilene",
        basis: Basis::Independent,
    });

    // Rents: the catalog's market price curve.
    let decline = default("gpu_hour_price_decline_per_year")?;
    let premium = default("gpu_hour_launch_premium")?;
    let h100_launch_usd = 4.70;
    let curve = |launch: f64, years: f64| launch * (1.0 - decline).powf(years);
    out.push(Checked {
        id: "h100-rent-2026",
        figure: "H100 on-demand GPU-hour, May 2026",
        unit: "US$/GPU-hour",
        published: Published::Value(2.95),
        sovsim: curve(h100_launch_usd, 3.2),
        how: format!("US$4.70 at launch (2023) × (1 − {decline})^3.2 years"),
        tolerance: 0.05,
        reason: "The decline rate was fitted to these two points",
        source: "AIMultiple GPU price index, median of 37 providers (20 May 2026); launch price: Latent Space (Cheah, Oct 2024)",
        basis: Basis::Calibrated,
    });
    let b200_launch = h100_launch_usd * premium;
    out.push(Checked {
        id: "b200-rent-launch",
        figure: "B200 GPU-hour when new (list price)",
        unit: "US$/GPU-hour",
        published: Published::Value(6.03),
        sovsim: b200_launch,
        how: format!("H100's US$4.70 at launch × the launch premium {premium}"),
        tolerance: 0.02,
        reason: "The premium was fitted to this list price",
        source: "Spheron price list, Mar 2026 (REFERENCE-DATA 11.4)",
        basis: Basis::Calibrated,
    });
    let b200_age = 2026.0 + 2.0 / 12.0 - (f64::from(b200.release_year) + 0.5);
    out.push(Checked {
        id: "b200-rent-2026",
        figure: "B200 GPU-hour, early 2026 (rental index)",
        unit: "US$/GPU-hour",
        published: Published::Value(5.30),
        sovsim: curve(b200_launch, b200_age),
        how: format!(
            "US${b200_launch:.2} when new (mid-{}) × (1 − {decline})^{b200_age:.2} years",
            b200.release_year
        ),
        tolerance: 0.20,
        reason: "One weak source; the index rose 24 % in Mar 2026 alone",
        source: "Silicon Data SDB200RT index ≈US$5.30 (weak; REFERENCE-DATA 2.4)",
        basis: Basis::Independent,
    });

    let llama_on_gb300 =
        workload::roofline_tokens_per_s(llama_model, gb300, sequences).map_or(f64::NAN, |(r, _)| r);
    let disagreements = vec![
        Disagreement {
            published: "One-year H100 contracts ≈US$2.35/GPU-hour in Mar 2026, up from ≈US$1.70 in Oct 2025 (SemiAnalysis rental index, secondary)",
            sovsim: format!(
                "The market curve gives US${:.2} for an H100 in Mar 2026 and only falls with age",
                curve(h100_launch_usd, 3.0)
            ),
            why: "The curve describes on-demand merchant prices (it reproduces the May 2026 median); term contracts trade below on-demand, and 2025–26 rents rose for months. sovsim prices contracts from the scenario's `[[contracts]]`, never from the curve: state them.",
        },
        Disagreement {
            published: "≈US$50–60bn per GW all-in, of which ≈US$35bn NVIDIA content (NVIDIA, Q2 FY2026 call)",
            sovsim: format!(
                "US${:.1}bn per GW of facility power for GB200 racks and liquid halls (US${:.1}bn of it GPUs), before power plants, land and scale-out networking",
                (gpu_usd + shell_usd) / 1e9,
                gpu_usd / 1e9
            ),
            why: "NVIDIA's figure is forward-looking (Rubin-era racks) and includes networking, storage and generation; the catalog's rack price is a 2024 press estimate (US$3M, range 2–3M). Bernstein's ≈US$35bn, which sovsim reproduces, is the like-for-like figure.",
        },
        Disagreement {
            published: "Llama 3.1 405B on GB300 NVL72 ≈222 output tokens/s per GPU (MLPerf Inference v5.1, secondary)",
            sovsim: format!(
                "The roofline would give {llama_on_gb300:.0} tokens/s per GPU (bandwidth-bound at {sequences} sequences)"
            ),
            why: "The roofline ignores the latency limits of MLPerf's server scenario for a dense 405B model; the catalog therefore carries the measured figure, which sovsim uses. Pairs without a measured row rely on the roofline and inherit this error.",
        },
    ];
    Ok(Validation {
        cases: out,
        disagreements,
    })
}

/// A validation scenario, loaded against `catalog`.
fn load(name: &str, catalog: &Catalog) -> Result<Scenario, String> {
    let text = SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("no validation scenario `{name}`"))?;
    let path = PathBuf::from("validation").join(name);
    let reader = InMemory(BTreeMap::from([(path.clone(), text.to_owned())]));
    let loaded = scenario::load(&path, &reader, catalog, &[]);
    loaded.scenario.ok_or_else(|| {
        format!(
            "validation/{name} does not load:\n{}",
            loaded.sources.render(&loaded.diagnostics)
        )
    })
}

/// All-in IT power of one GPU [kW].
fn it_kw(a: &Accelerator) -> Result<f64, String> {
    Some(a.all_in_power_kw)
        .filter(|p| *p > 0.0)
        .ok_or_else(|| format!("`{}` has no all-in power", a.id))
}

/// Price of one GPU, in the row's currency.
fn price(a: &Accelerator) -> Result<f64, String> {
    a.price_per_gpu
        .ok_or_else(|| format!("`{}` has no price in the catalog", a.id))
}

/// GPU-hours of the scenario's first training campaign on its first cluster, as the dispatch sizes
/// a run: run FLOPs ÷ (GPUs × BF16 peak × MFU), times the GPUs.
fn run_gpu_hours(s: &Scenario, accelerator: &Accelerator) -> Result<(f64, String), String> {
    let campaign = s.training.first().ok_or("no training campaign")?;
    let gpus = s.clusters.first().ok_or("no cluster")?.gpus;
    let hours = workload::run_hours(campaign.run_flop, gpus, accelerator, campaign.mfu)
        .ok_or("no BF16 peak")?;
    let how = format!(
        "{:.3e} FLOP (post-training share {}) on {gpus} GPUs at MFU {}: {:.0} days",
        campaign.run_flop,
        campaign.post_training_share,
        campaign.mfu,
        hours / 24.0
    );
    Ok((hours * gpus as f64, how))
}

/// GPU failures the engine draws in `days` days of the scenario's GPUs: its failures over the
/// horizon per energised GPU-day (failures are tallied a month at a time, so a window of days is
/// read as this rate), times the GPUs and `days`; the mean and the P10–P90 over replications.
fn interruptions_in(s: &Scenario, days: f64) -> Result<(f64, String), String> {
    let end = SimTime::ZERO.after_months(s.meta.horizon_years as f64 * 12.0);
    let gpus: u64 = s.clusters.iter().map(|c| c.gpus).sum();
    let counts: Vec<f64> = (0..REPLICATIONS)
        .map(|r| {
            let (mut failed, mut gpu_hours) = (0.0, 0.0);
            for (t, e) in &buildout::run(s, r).events {
                let left = (end.0 - t.0).max(0) as f64;
                match *e {
                    Event::GpusFailed { gpus, .. } => failed += gpus as f64,
                    Event::ClusterEnergised { gpus, .. } => gpu_hours += gpus as f64 * left,
                    Event::ClusterRetired { gpus, .. } => gpu_hours -= gpus as f64 * left,
                    _ => {}
                }
            }
            if gpu_hours > 0.0 {
                failed / (gpu_hours / 24.0) * gpus as f64 * days
            } else {
                0.0
            }
        })
        .collect();
    if counts.iter().all(|c| *c == 0.0) {
        return Err("the validation cluster never failed".into());
    }
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    Ok((mean, spread(counts, "")))
}

/// Serving rate the loader resolved for `model` on the scenario's first SKU.
fn serving_rate(s: &Scenario, model: &str) -> Result<f64, String> {
    let m = s
        .models
        .iter()
        .position(|x| x.spec.id == model)
        .ok_or_else(|| format!("no model `{model}`"))?;
    s.dispatch
        .serving
        .iter()
        .find(|r| r.model.index() == m)
        .map(|r| r.tokens_per_s_per_gpu)
        .ok_or_else(|| format!("no serving rate for `{model}`"))
}

/// P50 over replications of the months from the first site's permit to the first month boundary
/// whose facility load reaches 1 GW, with the P10–P90.
fn months_to_gigawatt(s: &Scenario) -> Result<(f64, String), String> {
    let mut months = Vec::new();
    for r in 0..REPLICATIONS {
        let rep = buildout::simulate(s, r, false);
        let permit = rep
            .stages
            .first()
            .and_then(|st| st[0])
            .ok_or("the campus never got its permit")?;
        let reached = rep
            .monthly
            .iter()
            .position(|sites| sites.iter().map(|x| x.facility_load_mw).sum::<f64>() >= 1000.0)
            .ok_or("the campus never reached 1 GW of facility load")?;
        months.push(reached as f64 - permit.months());
    }
    let p50 = quantile(&months, 0.5);
    Ok((p50, spread(months, " months")))
}

/// "P10–P90" of `values`, rounded.
fn spread(values: Vec<f64>, unit: &str) -> String {
    format!(
        "{:.0}–{:.0}{unit}",
        quantile(&values, 0.1),
        quantile(&values, 0.9)
    )
}

/// The `q` quantile of `values` (nearest rank on the sorted values).
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}
