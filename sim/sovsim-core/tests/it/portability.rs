//! The portability lever: hand-computed cases (a run spanning two architectures, inference served
//! off its home architecture at the penalty) and its laws — none reproduces today's dispatch, and
//! the GPU-hours stranded by incompatibility never rise as portability does.

use super::dispatch::{TWO_CLUSTERS, close, flat_capacity, run};
use super::{parse, shipped};
use sovsim_core::dispatch::summary::PortabilityPoint;
use sovsim_core::dispatch::{self, Setup};
use sovsim_core::engine::buildout;
use sovsim_core::model::Policy;

/// Two NVIDIA clusters of `gpus` each, `a` of `sku_a`, `b` of `sku_b`, with a campaign of
/// 1,000-GPU Llama 3.1 8B runs written for `home`, and `portability`.
fn two_generations(sku_a: &str, sku_b: &str, gpus: u64, home: &str, portability: &str) -> String {
    let text = TWO_CLUSTERS
        .replacen(
            "sku = \"gb300-nvl72\"\ngpus = 1000",
            &format!("sku = \"{sku_a}\"\ngpus = {gpus}"),
            1,
        )
        .replacen(
            "sku = \"gb300-nvl72\"\ngpus = 1000",
            &format!("sku = \"{sku_b}\"\ngpus = {gpus}"),
            1,
        );
    format!(
        r#"{text}
[[demand.training]]
id = "runs"
tier = "resident"
model = "llama-3.1-8b"
operators = ["eu-op", "us-cloud"]
runs_per_year = 0.4
post_training_share = 0
min_cluster_gpus = 1000
mfu = 0.4
architectures = [{home}]

[dispatch]
policy = "grid"
portability = {{ {portability} }}
"#
    )
}

#[test]
fn a_portable_run_spans_two_architectures_at_the_penalty_off_home() {
    // 600 B200 (Blackwell, home) + 600 H100 (Hopper, same vendor): no 1,000 of one architecture,
    // so today the run never starts (dispatch.rs); portable, it takes all 600 B200 and 400 H100.
    let none = parse(&two_generations(
        "b200-hgx",
        "h100-sxm",
        600,
        r#""blackwell""#,
        "training = 0",
    ));
    let out = run(&none, Policy::Grid, &[600.0, 600.0]);
    assert_eq!(out.runs[0].start_hours, None);
    let s = parse(&two_generations(
        "b200-hgx",
        "h100-sxm",
        600,
        r#""blackwell""#,
        "training = 1",
    ));
    let out = run(&s, Policy::Grid, &[600.0, 600.0]);
    let r = &out.runs[0];
    assert_eq!(r.start_hours, Some(0.0));
    // FLOP/s: 600 × 2,250e12 × 0.4 at home + 400 × 989e12 × 0.4 × (1 − 0.15), the default penalty
    // for another architecture of the same vendor (data/defaults.csv).
    let rate = 600.0 * 2250e12 * 0.4 + 400.0 * 989e12 * 0.4 * 0.85;
    let hours = 7.2e23 / rate / 3600.0;
    assert!(
        close(r.end_hours.unwrap_or(0.0), hours),
        "{:?} vs {hours}",
        r.end_hours
    );
    assert!(close(out.used_gpu_hours(), 1000.0 * hours));
    // A stated penalty replaces the default.
    let s = parse(&two_generations(
        "b200-hgx",
        "h100-sxm",
        600,
        r#""blackwell""#,
        "training = 1, training_architecture_penalty = 0.5",
    ));
    let out = run(&s, Policy::Grid, &[600.0, 600.0]);
    let rate = 600.0 * 2250e12 * 0.4 + 400.0 * 989e12 * 0.4 * 0.5;
    assert!(close(
        out.runs[0].end_hours.unwrap_or(0.0),
        7.2e23 / rate / 3600.0
    ));
}

/// `base` with one DeepSeek-V3 demand of `eu-op` asking 1.5 times what 1,000 GB300 serve (5,800
/// tokens/s each, catalog), its entry ending with `rest`.
fn chat_at_one_and_a_half_times_a(base: &str, rest: &str) -> sovsim_core::model::Scenario {
    let per_day = 1.5 * 1000.0 * 5800.0 * 86_400.0;
    parse(&format!(
        r#"{base}
[[demand.inference]]
id = "chat"
tier = "resident"
model = "deepseek-v3"
operators = ["eu-op"]
tokens_per_day = {per_day}
{rest}
"#
    ))
}

#[test]
fn inference_left_unserved_at_home_moves_off_it_by_its_share() {
    // `a`: 1,000 GB300 (home), `b`: 1,000 H100 (Hopper, same vendor: 10 % penalty by default).
    // DeepSeek-V3: 5,800 tokens/s a GB300, 1,850 an H100 (catalog). Asked: 1.5 × what `a` serves.
    let base = TWO_CLUSTERS.replacen(
        "sku = \"gb300-nvl72\"\ngpus = 1000\norder_date = 2026-03-01\nlead_time_months = 9\nrepair_days = 3\n\n[[tiers]]",
        "sku = \"h100-sxm\"\ngpus = 1000\norder_date = 2026-03-01\nlead_time_months = 9\nrepair_days = 3\n\n[[tiers]]",
        1,
    );
    let with = |share: f64| {
        chat_at_one_and_a_half_times_a(
            &base,
            &format!(
                "architectures = [\"blackwell-ultra\"]\n\n[dispatch]\npolicy = \"grid\"\nportability = {{ inference = {share} }}"
            ),
        )
    };
    let month_hours = |o: &dispatch::Outcome| o.months[0].available_gpu_hours / 2000.0;
    let home = |h: f64| 1000.0 * h * 5800.0 * 3600.0;
    let b_rate = 1850.0 * 3600.0 * 0.9;
    // None: `a` full, `b` idle; idle, not stranded by incompatibility's measure of the policy.
    let out = run(&with(0.0), Policy::Grid, &[1000.0, 1000.0]);
    let h = month_hours(&out);
    assert!(close(out.months[0].tokens_served, home(h)));
    assert!(close(out.used_gpu_hours[0][1], 0.0));
    // Measured on that dispatch, a share L of the unserved half could have used L/2 of `a`'s
    // tokens on `b`, at 0.9 of its rate, up to `b`'s idle hours.
    let s = with(0.0);
    let months = s.meta.horizon_years as usize * 12;
    let setup = Setup::new(&s, Policy::Grid).measuring_portability();
    let capacity = flat_capacity(&[1000.0, 1000.0], months);
    let measured = dispatch::dispatch(&s, &setup, &capacity, &dispatch::draw(&s, 0));
    for (l, level) in dispatch::PORTABILITY_LEVELS.iter().enumerate() {
        let expected = (level * 0.5 * home(h) / b_rate).min(1000.0 * h);
        let got = measured.recoverable_gpu_hours[l][0][1];
        assert!(close(got, expected), "level {level}: {got} vs {expected}");
    }
    // What it forgoes: half of its tokens, as GPU-hours of `a` (the fastest it may use).
    let year = dispatch::summary::forgone(&s, &setup, &measured, None)[0][0].0;
    let twelve_months = sovsim_core::engine::time::SimTime::ZERO
        .after_months(12.0)
        .0 as f64;
    assert!(close(year, 500.0 * twelve_months), "{year}");
    // Half: half of the unserved half moves to `b` at 0.9 of its rate.
    let out = run(&with(0.5), Policy::Grid, &[1000.0, 1000.0]);
    assert!(close(out.months[0].tokens_served, 1.25 * home(h)));
    assert!(close(out.used_gpu_hours[0][1], 0.25 * home(h) / b_rate));
    // All: `b` cannot take the whole unserved half, and fills.
    let out = run(&with(1.0), Policy::Grid, &[1000.0, 1000.0]);
    assert!(close(out.used_gpu_hours[0][1], 1000.0 * h));
    assert!(close(
        out.months[0].tokens_served,
        home(h) + 1000.0 * h * b_rate
    ));
}

#[test]
fn measuring_leaves_the_dispatch_unchanged_and_the_laws_hold_at_every_level() {
    for name in ["second-source-200mw.toml", "eu-sovereign-2030.toml"] {
        let s = shipped(name);
        for replication in 0..3 {
            let r = buildout::simulate(&s, replication, false);
            let draws = dispatch::draw(&s, replication);
            let cumulative = &r.operational_gpu_hours;
            let setup = Setup::new(&s, Policy::Siloed);
            let today = dispatch::dispatch(&s, &setup, cumulative, &draws);
            // Portability 0 is the dispatch as stated (no share stated is 0).
            let zero = Setup::at_portability(&s, Policy::Siloed, 0.0);
            assert_eq!(dispatch::dispatch(&s, &zero, cumulative, &draws), today);
            // Measuring what portability would recover changes nothing dispatched.
            let measured = setup.measuring_portability();
            let mut out = dispatch::dispatch(&s, &measured, cumulative, &draws);
            let levels = std::mem::take(&mut out.recoverable_gpu_hours);
            assert_eq!(out, today, "{name}: measuring is a counterfactual");
            // What a share of portability recovers never falls as the share rises, cluster by
            // cluster and month by month, and never exceeds what was idle.
            let full = &levels[levels.len() - 1];
            for pair in levels.windows(2) {
                for (m, (low, high)) in pair[0].iter().zip(&pair[1]).enumerate() {
                    for (c, (a, b)) in low.iter().zip(high).enumerate() {
                        assert!(
                            *a >= 0.0 && *a <= b + 1e-6,
                            "{name} month {m} cluster {c}: {a} > {b}"
                        );
                    }
                }
            }
            for (m, month) in full.iter().enumerate() {
                for (c, h) in month.iter().enumerate() {
                    let available = cumulative[m + 1][c] - cumulative[m][c];
                    let used = today.used_gpu_hours[m][c];
                    assert!(
                        h + used <= available * (1.0 + 1e-9) + 1e-6,
                        "{name} month {m} cluster {c}"
                    );
                }
            }
            // So the GPU-hours stranded by incompatibility never rise, and are 0 at full portability.
            let points = PortabilityPoint::of(&s, &out_with(levels.clone(), &today), None);
            for pair in points.windows(2) {
                assert!(pair[1].incompatible_gpu_hours <= pair[0].incompatible_gpu_hours + 1e-6);
                assert!(pair[1].recovered_gpu_hours >= pair[0].recovered_gpu_hours - 1e-6);
            }
            assert_eq!(points[points.len() - 1].incompatible_gpu_hours, 0.0);
        }
    }
}

fn out_with(levels: Vec<Vec<Vec<f64>>>, today: &dispatch::Outcome) -> dispatch::Outcome {
    let mut out = today.clone();
    out.recoverable_gpu_hours = levels;
    out
}

#[test]
fn the_laws_of_dispatch_hold_at_every_stated_portability() {
    let s = shipped("second-source-200mw.toml");
    for replication in 0..2 {
        let r = buildout::simulate(&s, replication, false);
        let draws = dispatch::draw(&s, replication);
        let cumulative = &r.operational_gpu_hours;
        for step in 0..=4 {
            let level = f64::from(step) / 4.0;
            let setup = Setup::at_portability(&s, Policy::Siloed, level);
            let out = dispatch::dispatch(&s, &setup, cumulative, &draws);
            for (m, used) in out.used_gpu_hours.iter().enumerate() {
                for (c, u) in used.iter().enumerate() {
                    let available = cumulative[m + 1][c] - cumulative[m][c];
                    assert!(
                        *u <= available * (1.0 + 1e-9) + 1e-6,
                        "month {m} cluster {c}"
                    );
                }
            }
            for (demanded, served) in &out.demand_tokens {
                assert!(*served <= demanded * (1.0 + 1e-12));
            }
            for run in &out.runs {
                assert!(run.flop_done <= run.flop * (1.0 + 1e-9));
            }
        }
    }
}

#[test]
fn the_shipped_second_source_strands_gpu_hours_a_standard_recovers() {
    let s = shipped("second-source-200mw.toml");
    let r = buildout::simulate(&s, 0, false);
    let draws = dispatch::draw(&s, 0);
    let setup = Setup::new(&s, Policy::Siloed).measuring_portability();
    let out = dispatch::dispatch(&s, &setup, &r.operational_gpu_hours, &draws);
    let points = PortabilityPoint::of(&s, &out, None);
    assert!(
        points[0].incompatible_gpu_hours > 0.0,
        "runs queue for the NVIDIA hall while AMD GPUs sit idle"
    );
    // Dispatched with every run portable, runs wait less for their block.
    let full = Setup::at_portability(&s, Policy::Siloed, 1.0);
    let moved = dispatch::dispatch(&s, &full, &r.operational_gpu_hours, &draws);
    assert!(moved.queue_delay_days_mean() < out.queue_delay_days_mean());
}

#[test]
fn an_unknown_architecture_and_a_share_above_one_are_both_reported_with_a_hint() {
    let text = two_generations(
        "b200-hgx",
        "h100-sxm",
        600,
        r#""blackwel""#,
        "training = 1.5",
    );
    let loaded = super::load_text(&text);
    assert!(loaded.scenario.is_none());
    let find = |code: &str| {
        loaded
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("no `{code}` in {:?}", loaded.diagnostics))
    };
    let arch = find("unknown-architecture");
    assert_eq!(arch.field, "demand.training[0].architectures[0]");
    assert_eq!(arch.hint.as_deref(), Some("did you mean `blackwell`?"));
    assert!(arch.span.is_some(), "located");
    let share = find("not-a-fraction");
    assert_eq!(share.field, "dispatch.portability.training");
}

#[test]
fn demand_left_unserved_is_valued_at_its_fastest_eligible_cluster() {
    use sovsim_core::dispatch::summary::{MarketPrices, forgone};
    // The B200 + H100 run that never starts today: its whole compute is forgone, as the GPU-hours
    // it needs on the B200 block (2,250 TFLOPS × 0.4 MFU).
    let s = parse(&two_generations(
        "b200-hgx",
        "h100-sxm",
        600,
        r#""blackwell""#,
        "training = 0",
    ));
    let months = s.meta.horizon_years as usize * 12;
    let setup = Setup::new(&s, Policy::Grid);
    let capacity = flat_capacity(&[600.0, 600.0], months);
    let out = dispatch::dispatch(&s, &setup, &capacity, &dispatch::draw(&s, 0));
    assert_eq!(out.runs.len(), 1);
    let price = vec![vec![2.0, 1.0]; months];
    let market = MarketPrices {
        gpu_hour_eur: &price,
        tokens_eur_per_mtok: None,
    };
    let by_owner = forgone(&s, &setup, &out, Some(&market));
    let hours = 7.2e23 / (2250e12 * 0.4 * 3600.0);
    let (got_hours, got_eur) = by_owner[0][0];
    assert!(close(got_hours, hours), "{got_hours} vs {hours}");
    // Priced at the B200's SKU (index 0): €2 a GPU-hour.
    assert!(close(got_eur.unwrap_or(0.0), 2.0 * hours));
    assert!(by_owner[0][1..].iter().all(|(h, _)| *h == 0.0));
    // Without prices, the GPU-hours only.
    assert_eq!(forgone(&s, &setup, &out, None)[0][0], (got_hours, None));
}

#[test]
fn a_model_left_short_of_compute_loses_the_demand_that_follows_its_context() {
    // 1,000 GB300 serve DeepSeek-V3 at 5,800 tokens/s each; the demand asks 1.5 times that.
    let with = |elasticity: f64| {
        chat_at_one_and_a_half_times_a(TWO_CLUSTERS, &format!("context_elasticity = {elasticity}"))
    };
    let capacity = |o: &dispatch::Outcome, m: usize| o.months[m].available_gpu_hours / 2.0;
    let home = |gpu_hours: f64| gpu_hours * 5800.0 * 3600.0;
    // Siloed on `a` alone: month 0 serves two thirds of what is asked, so from month 1 the
    // demand asks 1.5 × (2/3)^ε of its stated volume, and the served share stays at 2/3.
    for (elasticity, kept) in [(0.0, 1.0), (0.5, (2.0_f64 / 3.0).sqrt()), (1.0, 2.0 / 3.0)] {
        let out = run(&with(elasticity), Policy::Siloed, &[1000.0, 1000.0]);
        let first = &out.months[0];
        assert!(close(first.tokens_demanded, 1.5 * home(capacity(&out, 0))));
        assert!(close(first.tokens_served, home(capacity(&out, 0))));
        for m in 1..12 {
            let month = &out.months[m];
            let asked = 1.5 * kept * home(capacity(&out, m));
            assert!(
                close(month.tokens_demanded, asked),
                "ε {elasticity} month {m}: {} vs {asked}",
                month.tokens_demanded
            );
            assert!(close(
                month.tokens_served,
                asked.min(home(capacity(&out, m)))
            ));
        }
    }
}
