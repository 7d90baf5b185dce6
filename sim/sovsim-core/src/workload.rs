//! Compute that training campaigns need: FLOPs per run and how long a run takes on a given block
//! of GPUs.
//!
//! - Pre-training compute: the catalog's `training_flop` where it has one, else 6·N·D with N the
//!   model's active parameters (a mixture-of-experts model trains only its active experts per
//!   token) and D its training tokens.
//! - A run = pre-training × (1 + the campaign's post-training share).
//! - Duration = FLOPs ÷ (GPUs × dense BF16 peak × MFU): the MFU the Llama 3 run measured is a BF16
//!   figure, so the BF16 peak is the one it applies to.

use crate::catalog::{Accelerator, OpenModel};
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
}
