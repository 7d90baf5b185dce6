//! Compute that training campaigns need: FLOPs per run and how long a run takes on a given block
//! of GPUs.
//!
//! - Pre-training compute: the catalog's `training_flop` where it has one, else 6·N·D with N the
//!   model's active parameters (a mixture-of-experts model trains only its active experts per
//!   token) and D its training tokens.
//! - A run = pre-training × (1 + the campaign's post-training share).
//! - Duration = FLOPs ÷ (GPUs × dense BF16 peak × MFU): the MFU the Llama 3 run measured is a BF16
//!   figure, so the BF16 peak is the one it applies to.
//! - Serving rate where the catalog has no measured figure: the roofline, the lower of
//!   - compute-bound: peak FLOP/s ÷ (2 · active parameters), at the FP8 peak (BF16 without FP8),
//!   - bandwidth-bound: HBM bandwidth × sequences decoded together ÷ bytes of active weights
//!     (1 byte per parameter at FP8, 2 at BF16): each decoding step reads the active weights once
//!     for every sequence in the batch.
//!
//!   The number of sequences is a catalog default calibrated on DeepSeek's production figure, so
//!   the roofline reproduces that one measurement; for other pairs it is an estimate.

use crate::catalog::{Accelerator, OpenModel};
use crate::model::RateBasis;
use crate::model::TrainingCampaign;

/// Seconds in an hour.
const SECONDS_PER_HOUR: f64 = 3600.0;

/// Pre-training compute of `model` [FLOP], if the catalog gives it or its tokens.
pub fn pretraining_flop(model: &OpenModel) -> Option<f64> {
    model.training_flop.or_else(|| {
        model
            .training_tokens_t
            .map(|tokens_t| 6.0 * model.active_params_b * 1e9 * tokens_t * 1e12)
    })
}

/// Compute of one run of `campaign` on `model`, post-training included [FLOP].
pub fn run_flop(campaign: &TrainingCampaign, model: &OpenModel) -> Option<f64> {
    pretraining_flop(model).map(|f| f * (1.0 + campaign.post_training_share))
}

/// Hours a run of `flop` takes on `gpus` GPUs of `accelerator` at `mfu`; `None` where the catalog
/// has no BF16 peak for the SKU or there is nothing to run it on.
pub fn run_hours(flop: f64, gpus: u64, accelerator: &Accelerator, mfu: f64) -> Option<f64> {
    let peak_flop_per_s = accelerator.bf16_dense_tflops? * 1e12;
    let rate = gpus as f64 * peak_flop_per_s * mfu;
    (rate > 0.0).then(|| flop / rate / SECONDS_PER_HOUR)
}

/// Roofline estimate of generated tokens per second per GPU of `model` on `accelerator` with
/// `sequences` decoded together; `None` where the catalog has no tensor peak for the SKU.
pub fn roofline_tokens_per_s(
    model: &OpenModel,
    accelerator: &Accelerator,
    sequences: f64,
) -> Option<(f64, RateBasis)> {
    let (peak_tflops, bytes_per_param) =
        match (accelerator.fp8_dense_tflops, accelerator.bf16_dense_tflops) {
            (Some(fp8), _) => (fp8, 1.0),
            (None, Some(bf16)) => (bf16, 2.0),
            (None, None) => return None,
        };
    let active = model.active_params_b * 1e9;
    let compute_bound = peak_tflops * 1e12 / (2.0 * active);
    match accelerator.hbm_bandwidth_tbps {
        Some(tbps) => {
            let bandwidth_bound = tbps * 1e12 * sequences / (active * bytes_per_param);
            Some((compute_bound.min(bandwidth_bound), RateBasis::Roofline))
        }
        None => Some((compute_bound, RateBasis::ComputeBound)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, embedded_sources};

    fn catalog() -> Catalog {
        Catalog::parse(&embedded_sources()).unwrap_or_else(|_| panic!("the shipped catalog parses"))
    }

    #[test]
    fn llama_405b_on_16k_h100_at_40_percent_mfu_takes_the_weeks_the_paper_reports() {
        let catalog = catalog();
        let model = catalog
            .models
            .iter()
            .find(|m| m.id == "llama-3.1-405b")
            .expect("in the catalog");
        let h100 = catalog
            .accelerators
            .iter()
            .find(|a| a.id == "h100-sxm")
            .expect("in the catalog");
        // The catalog's figure from the paper wins over 6·N·D (6 × 405e9 × 15.6e12 = 3.79e25).
        let flop = pretraining_flop(model).expect("known");
        assert_eq!(flop, 3.8e25);
        let hours = run_hours(flop, 16_384, h100, 0.40).expect("BF16 peak known");
        // 3.8e25 / (16,384 × 989e12 × 0.40) s ≈ 1,629 hours ≈ 68 days; the paper's 54-day
        // snapshot was part of a longer run.
        let expected = flop / (16_384.0 * 989e12 * 0.40) / 3600.0;
        assert!((hours - expected).abs() < 1e-9 * expected);
        assert!((50.0 * 24.0..80.0 * 24.0).contains(&hours), "{hours} h");
    }

    #[test]
    fn tokens_give_six_n_d_with_active_parameters_and_no_gpu_runs_nothing() {
        let model = OpenModel {
            id: "moe".into(),
            name: "MoE".into(),
            params_b: 671.0,
            active_params_b: 37.0,
            training_tokens_t: Some(14.8),
            training_flop: None,
            release_date: "2024-12-26".into(),
            estimated_fields: String::new(),
            source: String::new(),
            source_date: String::new(),
        };
        let flop = pretraining_flop(&model).expect("tokens known");
        assert!((flop - 6.0 * 37e9 * 14.8e12).abs() < 1e-6 * flop);
        let catalog = catalog();
        let gb300 = catalog
            .accelerators
            .iter()
            .find(|a| a.id == "gb300-nvl72")
            .expect("in the catalog");
        assert_eq!(run_hours(flop, 0, gb300, 0.4), None);
    }

    #[test]
    fn the_roofline_reproduces_its_calibration_and_is_the_lower_bound() {
        let catalog = catalog();
        let sequences = catalog
            .default_value("roofline_sequences_per_gpu")
            .expect("shipped");
        let deepseek = catalog.model("deepseek-v3").expect("in the catalog");
        let h100 = catalog.accelerator("h100-sxm").expect("in the catalog");
        let measured = catalog
            .throughput("deepseek-v3", "h100-sxm")
            .expect("calibration row")
            .output_tokens_per_s_per_gpu;
        let (rate, basis) = roofline_tokens_per_s(deepseek, h100, sequences).expect("peaks known");
        assert_eq!(basis, RateBasis::Roofline);
        // 3.35e12 × 20.4 / 37e9 = 1,847 tok/s; the compute bound 1979e12 / 74e9 = 26,743 is higher.
        assert!((rate - 3.35e12 * sequences / 37e9).abs() < 1e-6);
        assert!((rate / measured - 1.0).abs() < 0.01, "{rate} vs {measured}");
        // Vera Rubin: bandwidth-bound at its 22 TB/s of HBM4.
        let rubin = catalog
            .accelerator("vera-rubin-nvl72")
            .expect("in the catalog");
        let (rate, basis) = roofline_tokens_per_s(deepseek, rubin, sequences).expect("peak known");
        assert_eq!(basis, RateBasis::Roofline);
        assert!((rate - 22e12 * sequences / 37e9).abs() < 1e-6);
        // Without a bandwidth figure, compute-bound only, at the FP8 peak.
        let no_bandwidth = Accelerator {
            hbm_bandwidth_tbps: None,
            ..rubin.clone()
        };
        let (rate, basis) =
            roofline_tokens_per_s(deepseek, &no_bandwidth, sequences).expect("peak known");
        assert_eq!(basis, RateBasis::ComputeBound);
        assert!((rate - 16_667e12 / (2.0 * 37e9)).abs() < 1e-6);
    }
}
