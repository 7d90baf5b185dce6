//! Dispatch: hand-computed cases (stranding under silos, a run no single generation can hold) and
//! the laws every dispatch obeys (capacity, eligibility, demand).

use super::{parse, shipped};
use sovsim_core::dispatch::{self, Outcome, Setup};
use sovsim_core::engine::buildout;
use sovsim_core::engine::time::SimTime;
use sovsim_core::model::{Policy, Scenario};

/// Two clusters of 1,000 GB300 on one French site: `a` run by an EU operator (qualifies for
/// `eu-immune` and `resident`), `b` by a US cloud (`resident` only). Each owner has its own demand.
pub(super) const TWO_CLUSTERS: &str = r#"
[scenario]
name = "two-clusters"
start_date = 2026-01-01
horizon_years = 2
period_months = 1
currency = "EUR"
discount_rate = 0.08
seed = 1

[[operators]]
id = "eu-op"
parent_jurisdiction = "FR"
ownership_pct = { FR = 100 }
key_custody_jurisdiction = "FR"
staff_jurisdictions = ["FR"]

[[operators]]
id = "us-cloud"
parent_jurisdiction = "US"
ownership_pct = { US = 100 }
key_custody_jurisdiction = "US"
staff_jurisdictions = ["US"]

[[sites]]
id = "site"
country = "FR"
area_ha = 40
land_price_eur_per_ha = 100000
max_it_mw = 100
acquisition_months = 2
permit_months = 4

[[grid_connections]]
id = "grid"
site = "site"
capacity_mw = 120
queue_wait_months = 12

[[shells]]
id = "hall"
site = "site"
type = "liquid-hall"
phases = [{ it_mw = 100, build_months = 10 }]

[[clusters]]
id = "a"
shell = "hall"
operator = "eu-op"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2026-03-01
lead_time_months = 9
repair_days = 3

[[clusters]]
id = "b"
shell = "hall"
operator = "us-cloud"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2026-03-01
lead_time_months = 9
repair_days = 3

[[tiers]]
id = "eu-immune"
preset = "secnumcloud-3.2"

[[tiers]]
id = "resident"
preset = "eu-data-residency"

[[models]]
id = "deepseek-v3"

[[models]]
id = "llama-3.1-8b"

[[models]]
id = "llama-3.1-70b"
"#;

/// DeepSeek-V3 on GB300: 5,800 output tokens/s/GPU in the catalog (MLPerf v5.1), a day's worth.
const TOKENS_PER_GPU_DAY: f64 = 5800.0 * 86_400.0;

/// `gpus[c]` GPUs working every hour of every month of a `months`-month horizon.
pub(super) fn flat_capacity(gpus: &[f64], months: usize) -> Vec<Vec<f64>> {
    (0..=months)
        .map(|b| {
            let hours = SimTime::ZERO.after_months(b as f64).0 as f64;
            gpus.iter().map(|g| g * hours).collect()
        })
        .collect()
}

fn horizon_hours(s: &Scenario) -> f64 {
    SimTime::ZERO
        .after_months(f64::from(s.meta.horizon_years) * 12.0)
        .0 as f64
}

pub(super) fn run(s: &Scenario, policy: Policy, gpus: &[f64]) -> Outcome {
    let months = s.meta.horizon_years as usize * 12;
    let setup = Setup::new(s, policy);
    dispatch::dispatch(
        s,
        &setup,
        &flat_capacity(gpus, months),
        &dispatch::draw(s, 0),
    )
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn two_owners(state_gpus: f64, commerce_gpus: f64) -> Scenario {
    parse(&format!(
        r#"{TWO_CLUSTERS}
[[demand.inference]]
id = "state"
tier = "eu-immune"
model = "deepseek-v3"
operators = ["eu-op"]
tokens_per_day = {}

[[demand.inference]]
id = "commerce"
tier = "resident"
model = "deepseek-v3"
operators = ["us-cloud"]
tokens_per_day = {}
"#,
        state_gpus * TOKENS_PER_GPU_DAY,
        commerce_gpus * TOKENS_PER_GPU_DAY
    ))
}

#[test]
fn silos_strand_the_eu_cluster_that_pooling_fills() {
    // The state needs 500 GPUs (only `a` qualifies); commerce needs 1,500 and may use both clusters,
    // but under silos only its own `b`. Hand computation, per hour of the horizon:
    // - siloed: `a` serves 500, `b` serves 1,000; 500 GPUs of `a` idle while commerce lacks 500
    //   that `a` could serve under pooling → 500 stranded GPU-hours an hour, utilisation 1,500/2,000.
    // - grid: the state first (one cluster allowed), then commerce on `b` (fewer other users), then
    //   `a` → everything used, nothing stranded.
    let s = two_owners(500.0, 1500.0);
    let hours = horizon_hours(&s);
    let siloed = run(&s, Policy::Siloed, &[1000.0, 1000.0]);
    assert!(close(siloed.available_gpu_hours(), 2000.0 * hours));
    assert!(
        close(siloed.stranded_gpu_hours(), 500.0 * hours),
        "{}",
        siloed.stranded_gpu_hours()
    );
    assert!(close(siloed.cluster_stranded_gpu_hours[0], 500.0 * hours));
    assert_eq!(siloed.cluster_stranded_gpu_hours[1], 0.0);
    assert!(close(siloed.utilisation().unwrap_or(0.0), 0.75));
    assert!(close(siloed.stranded_share().unwrap_or(0.0), 0.25));
    assert!(close(siloed.served_share(0).unwrap_or(0.0), 1.0));
    assert!(close(siloed.served_share(1).unwrap_or(0.0), 2.0 / 3.0));

    let grid = run(&s, Policy::Grid, &[1000.0, 1000.0]);
    assert!(close(grid.utilisation().unwrap_or(0.0), 1.0));
    assert!(grid.stranded_gpu_hours().abs() < 1e-6 * hours);
    assert!(close(grid.served_share(1).unwrap_or(0.0), 1.0));
    // What pooling recovers is exactly what the silos stranded.
    assert!(close(
        grid.used_gpu_hours() - siloed.used_gpu_hours(),
        500.0 * hours
    ));
}

#[test]
fn demand_outside_a_clusters_tier_leaves_it_idle_not_stranded() {
    // Only the state asks, for 1,500 GPUs: `b` fails `eu-immune`, so it stays idle under either
    // policy, and that idleness is not stranding (no unserved demand may use it).
    let s = two_owners(1500.0, 0.0);
    for policy in Policy::ALL {
        let out = run(&s, policy, &[1000.0, 1000.0]);
        assert!(out.tokens.iter().all(|month| month[1] == 0.0), "{policy:?}");
        assert_eq!(out.stranded_gpu_hours(), 0.0);
        assert!(close(out.served_share(0).unwrap_or(0.0), 1000.0 / 1500.0));
    }
}

/// `base` with one training campaign on the `resident` tier: runs of 1,000 GPUs at 40 % MFU, no
/// post-training.
fn with_campaign(base: &str, model: &str, operators: &str, runs_per_year: f64) -> Scenario {
    parse(&format!(
        r#"{base}
[[demand.training]]
id = "runs"
tier = "resident"
model = "{model}"
operators = [{operators}]
runs_per_year = {runs_per_year}
post_training_share = 0
min_cluster_gpus = 1000
mfu = 0.4
"#
    ))
}

fn one_training_run(second_sku: &str) -> Scenario {
    // Cluster `a` gets `second_sku`, `b` H100; 600 GPUs each.
    let text = TWO_CLUSTERS
        .replace(
            "sku = \"gb300-nvl72\"\ngpus = 1000",
            "sku = \"h100-sxm\"\ngpus = 600",
        )
        .replacen("sku = \"h100-sxm\"", &format!("sku = \"{second_sku}\""), 1);
    with_campaign(&text, "llama-3.1-8b", r#""eu-op", "us-cloud""#, 0.4)
}

#[test]
fn a_run_no_single_generation_can_hold_never_starts() {
    // 600 B200 (Blackwell) + 600 H100 (Hopper): 1,200 GPUs, but no 1,000 of one generation.
    let s = one_training_run("b200-hgx");
    let out = run(&s, Policy::Grid, &[600.0, 600.0]);
    assert_eq!(out.runs.len(), 1, "one run every 2.5 years, in two years");
    assert_eq!(out.runs[0].start_hours, None);
    assert_eq!(out.runs_cancelled(), 1);
    assert_eq!(out.used_gpu_hours(), 0.0);
    // No pooling would help either: idle, not stranded.
    assert_eq!(out.stranded_gpu_hours(), 0.0);
    assert!(close(out.served_share(1).unwrap_or(1.0), 0.0));
}

#[test]
fn a_run_on_one_generation_takes_the_hours_its_flops_need() {
    // 600 H200 + 600 H100, both Hopper at 989 TFLOPS BF16: the run takes 1,000 of them.
    // Llama 3.1 8B: 7.2e23 FLOP / (1,000 × 989e12 × 0.4) s = 505.6 h, inside the first month.
    let s = one_training_run("h200-sxm");
    let out = run(&s, Policy::Grid, &[600.0, 600.0]);
    let r = &out.runs[0];
    assert_eq!(r.start_hours, Some(0.0));
    let hours = 7.2e23 / (1000.0 * 989e12 * 0.4) / 3600.0;
    assert!(
        close(r.end_hours.unwrap_or(0.0), hours),
        "{:?}",
        r.end_hours
    );
    assert!(close(out.used_gpu_hours(), 1000.0 * hours));
    assert!(close(out.months[0].training_gpu_hours, 1000.0 * hours));
    assert_eq!(r.queue_delay_days(), Some(0.0));
    // Under silos the owner is both operators here, so the same.
    let siloed = run(&s, Policy::Siloed, &[600.0, 600.0]);
    assert_eq!(siloed.runs[0].end_hours, r.end_hours);
}

#[test]
fn a_run_waits_for_the_block_another_holds() {
    // Runs of 1,000 GPUs arriving 438.3 h apart (20 a year) on two clusters of 1,000 GB300.
    let s = with_campaign(TWO_CLUSTERS, "llama-3.1-8b", r#""eu-op""#, 20.0);
    // GB300: 2,500 TFLOPS BF16 → 7.2e23 / (1,000 × 2.5e15 × 0.4) / 3600 = 200 h per run, 438.3 h
    // apart: one cluster suffices under silos, and the runs never overlap.
    let siloed = run(&s, Policy::Siloed, &[1000.0, 1000.0]);
    assert!(
        siloed
            .runs
            .iter()
            .all(|r| r.queue_delay_days() == Some(0.0))
    );
    // Llama 3.1 70B (6.3e24 FLOP) takes 1,750 h a run: they overlap. Under silos (one cluster)
    // each waits for the one before; under the grid the next takes `b`.
    let s = with_campaign(TWO_CLUSTERS, "llama-3.1-70b", r#""eu-op""#, 20.0);
    let siloed = run(&s, Policy::Siloed, &[1000.0, 1000.0]);
    let grid = run(&s, Policy::Grid, &[1000.0, 1000.0]);
    let delay = |o: &Outcome| o.queue_delay_days_mean().unwrap_or(0.0);
    assert!(delay(&siloed) > 0.0);
    assert!(delay(&grid) < delay(&siloed));
    assert!(
        siloed.stranded_gpu_hours() > 0.0,
        "a queued run could have used `b`"
    );
}

#[test]
fn the_laws_hold_on_the_eu_scenario_under_both_policies() {
    let s = shipped("eu-sovereign-2030.toml");
    for replication in 0..3 {
        let r = buildout::simulate(&s, replication, false);
        let draws = dispatch::draw(&s, replication);
        for policy in Policy::ALL {
            let setup = Setup::new(&s, policy);
            let out = dispatch::dispatch(&s, &setup, &r.operational_gpu_hours, &draws);
            for (m, used) in out.used_gpu_hours.iter().enumerate() {
                for (c, u) in used.iter().enumerate() {
                    let available =
                        r.operational_gpu_hours[m + 1][c] - r.operational_gpu_hours[m][c];
                    assert!(
                        *u <= available * (1.0 + 1e-9) + 1e-6,
                        "month {m} cluster {c}"
                    );
                    assert!(*u >= -1e-6);
                }
            }
            for (demanded, served) in &out.demand_tokens {
                assert!(*served <= demanded * (1.0 + 1e-12));
            }
            for month in &out.months {
                assert!(month.tokens_served <= month.tokens_demanded * (1.0 + 1e-12));
                assert!(month.stranded_gpu_hours >= -1e-6);
                let used = month.training_gpu_hours + month.inference_gpu_hours;
                assert!(
                    used + month.stranded_gpu_hours
                        <= month.available_gpu_hours * (1.0 + 1e-9) + 1e-6
                );
            }
            for run in &out.runs {
                assert!(run.flop_done <= run.flop * (1.0 + 1e-9));
            }
            if policy == Policy::Grid {
                assert!(out.stranded_gpu_hours() <= 1e-6 * out.available_gpu_hours());
            }
        }
    }
}

#[test]
fn nothing_runs_where_its_efficiency_is_zero() {
    let base = shipped("eu-sovereign-2030.toml");
    let r = buildout::simulate(&base, 0, false);
    let draws = dispatch::draw(&base, 0);
    let text = std::fs::read_to_string(super::repo().join("scenarios/eu-sovereign-2030.toml"))
        .expect("shipped");
    for workload in ["training", "inference"] {
        let s = parse(&text.replace(
            "[dispatch]\npolicy = \"siloed\"",
            &format!(
                "[dispatch]\npolicy = \"grid\"\nefficiency = [{{ workload = \"{workload}\", accelerator = \"vera-rubin-nvl72\", efficiency = 0 }}]"
            ),
        ));
        let out = dispatch::dispatch(
            &s,
            &Setup::new(&s, Policy::Grid),
            &r.operational_gpu_hours,
            &draws,
        );
        let training: f64 = out.months.iter().map(|m| m.training_gpu_hours).sum();
        let tokens: f64 = out.months.iter().map(|m| m.tokens_served).sum();
        match workload {
            "training" => {
                assert_eq!(training, 0.0);
                assert!(out.runs.iter().all(|r| r.start_hours.is_none()));
                assert!(tokens > 0.0);
            }
            _ => {
                assert_eq!(tokens, 0.0);
                assert!(training > 0.0);
            }
        }
    }
}
