//! The inference defence ("Iron Dome"): a screening proxy's overhead, blocks and leaks worked out
//! by hand on two clusters, the shared service against each provider alone, and its diagnostics.

use super::dispatch::{TWO_CLUSTERS, close, run};
use super::parse;
use sovsim_core::model::{Policy, Scenario, Sharing};
use sovsim_core::study::defence;

/// DeepSeek-V3 on GB300: 5,800 output tokens/s/GPU in the catalog, a day's worth.
const TOKENS_PER_GPU_DAY: f64 = 5800.0 * 86_400.0;

/// `commerce` asks for `gpus` GPUs' worth of DeepSeek-V3 tokens on the `resident` tier, which both
/// clusters (1,000 GPUs each) qualify for; `defence` is appended as written.
fn screened(gpus: f64, defence: &str) -> Scenario {
    parse(&format!(
        r#"{TWO_CLUSTERS}
[[demand.inference]]
id = "commerce"
tier = "resident"
model = "deepseek-v3"
operators = ["eu-op", "us-cloud"]
tokens_per_day = {}
{defence}"#,
        gpus * TOKENS_PER_GPU_DAY
    ))
}

fn iron_dome(overhead: f64, attack: f64, false_block: f64, sharing: &str) -> String {
    format!(
        r#"
[[defences]]
id = "dome"
tiers = ["resident"]
sharing = "{sharing}"
screening_overhead = {overhead}
false_block_rate = {false_block}
latency_ms = 10
attack_share = {attack}
detection_rate = 0.5
detection_lag_days = 15
campaign_days = 60
providers = 3
pooling_elasticity = 0.5
"#
    )
}

#[test]
fn a_screening_overhead_of_x_reduces_the_tokens_a_full_fleet_serves_by_1_over_1_plus_x() {
    // 3,000 GPUs' worth of demand on 2,000 GPUs: the fleet is full either way. Screening at 10 %
    // makes every token take 1.1× the GPU-hours, so the fleet serves 2,000 ÷ 1.1 GPUs' worth, and
    // 0.1 ÷ 1.1 of its GPU-hours screen.
    let bare = screened(3000.0, "");
    let dome = screened(3000.0, &iron_dome(0.10, 0.0, 0.0, "shared"));
    let gpus = [1000.0, 1000.0];
    let a = run(&bare, Policy::Grid, &gpus);
    let b = run(&dome, Policy::Grid, &gpus);
    let (served_bare, served_dome) = (a.demand_tokens[0].1, b.demand_tokens[0].1);
    assert!(served_bare > 0.0);
    assert!(
        close(served_dome, served_bare / 1.1),
        "{served_dome} vs {}",
        served_bare / 1.1
    );
    // The fleet is as busy; a tenth over 1.1 of it screened.
    assert!(close(b.used_gpu_hours(), a.used_gpu_hours()));
    assert!(close(
        b.screened[0].screening_gpu_hours,
        b.used_gpu_hours() * 0.1 / 1.1
    ));
    // Nothing blocked or leaked without attack traffic or false blocks.
    assert_eq!(b.screened[0].blocked_attack_tokens, 0.0);
    assert_eq!(b.screened[0].leaked_tokens, 0.0);
}

#[test]
fn the_proxy_blocks_and_leaks_the_shares_worked_out_by_hand() {
    // 500 GPUs' worth on 2,000: everything let through is served. Attack traffic 10 %, one provider
    // detects half the campaigns, 15 of a campaign's 60 days pass before the block:
    //   attack blocked = 0.1 × 0.5 × (1 − 15/60) = 3.75 % of the demand,
    //   legitimate blocked = 0.9 × 1 % = 0.9 %,
    //   served = 95.35 %, of which leaked = 0.1 × (1 − 0.375) = 6.25 % of the demand.
    // Shared among 3 providers at elasticity 0.5: 1 − 0.5^(1 + 0.5·2) = 75 % detected, so
    //   attack blocked = 0.1 × 0.75 × 0.75 = 5.625 %, leaked = 0.1 − 0.05625 = 4.375 %.
    let s = screened(500.0, &iron_dome(0.01, 0.1, 0.01, "per_provider"));
    let out = run(&s, Policy::Grid, &[1000.0, 1000.0]);
    let sc = out.screened[0];
    let asked = out.demand_tokens[0].0 + sc.blocked_attack_tokens + sc.blocked_legit_tokens;
    assert!(close(sc.blocked_attack_tokens, 0.0375 * asked));
    assert!(close(sc.blocked_legit_tokens, 0.009 * asked));
    assert!(close(out.demand_tokens[0].1, 0.9535 * asked));
    assert!(close(sc.leaked_tokens, 0.0625 * asked));
    let d = &s.defences[0];
    assert!(close(d.detection(Sharing::Shared), 0.75));
    assert!(
        close(d.latency_added_ms(Sharing::Shared), 11.0),
        "10 ms + the 1 ms hop"
    );
    // The shared service worked out from the same replication: same service rate (all served).
    let point = defence::point(&s, &out, None);
    let [per_provider, shared] = point[0];
    assert!(close(per_provider[4], 0.0625 * asked));
    assert!(close(shared[4], 0.04375 * asked));
    assert!(close(shared[1], 0.05625 * asked));
    // Screening follows the tokens served: fewer served when more attack traffic is blocked.
    assert!(close(
        shared[5],
        per_provider[5] * (1.0 - 0.05625 - 0.009) / 0.9535
    ));
    assert!(shared[6].is_nan(), "no prices without [finance]");
}

#[test]
fn bad_defence_fields_get_every_problem_at_once_each_at_its_field() {
    let text = format!(
        "{TWO_CLUSTERS}\n[[demand.inference]]\nid = \"c\"\ntier = \"resident\"\nmodel = \"deepseek-v3\"\ntokens_per_day = 1e9\n{}{}",
        iron_dome(1.5, 1.2, 0.01, "pooled").replace(
            "tiers = [\"resident\"]",
            "tiers = [\"residnt\", \"eu-immune\"]"
        ),
        iron_dome(0.01, 0.1, 0.01, "shared")
            .replace("id = \"dome\"", "id = \"dome2\"")
            .replace("tiers = [\"resident\"]", "tiers = [\"eu-immune\"]")
            .replace("campaign_days = 60", "campaign_days = 0")
            .replace("providers = 3", "providers = 0"),
    );
    let found = super::diagnostics(&text);
    super::located(
        &found,
        &[
            ("unknown-reference", "defences[0].tiers[0]"),
            ("screen-without-demand", "defences[0].tiers[1]"),
            ("unknown-sharing", "defences[0].sharing"),
            ("out-of-range", "defences[0].screening_overhead"),
            ("not-a-fraction", "defences[0].attack_share"),
            ("screened-twice", "defences[1].tiers[0]"),
            ("zero", "defences[1].campaign_days"),
            ("zero", "defences[1].providers"),
        ],
    );
}
