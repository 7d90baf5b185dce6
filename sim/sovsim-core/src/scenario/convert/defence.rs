//! Screening proxies ("Iron Dome"): which tiers' inference passes them, how they are run, and the
//! figures that set their cost, latency and what they block — published ones defaulted from the
//! catalog, the attack and detection figures (no public source) stated by the scenario.

use super::ctx::*;

/// The defences; `tiers` are the scenario's tier ids, `demanded` whether a tier has inference.
pub(super) fn convert_defences(
    ctx: &mut Ctx,
    defences: &[wire::Defence],
    tiers: &[&str],
    demanded: &[bool],
) -> Vec<m::Defence> {
    ctx.unique_ids("defences", defences.iter().map(|d| d.id.as_str()));
    let mut screened_by: Vec<Option<usize>> = vec![None; tiers.len()];
    let mut out = Vec::new();
    for (i, d) in defences.iter().enumerate() {
        let at = |k: &str| path!("defences", i, k);
        let mut ids = Vec::new();
        for (j, tier) in d.tiers.iter().enumerate() {
            let p = path!("defences", i, "tiers", j);
            let Some(t) = ctx.reference(&p, tier, "tiers", tiers) else {
                continue;
            };
            if let Some(other) = screened_by[t] {
                let e = ctx.error(
                    "screened-twice",
                    &p,
                    format!(
                        "tier `{tier}` is already screened by `{}`",
                        defences[other].id
                    ),
                );
                *e = e
                    .clone()
                    .expected("each tier in one defence at most")
                    .hint("a request passes one proxy; remove the tier from one of them");
                continue;
            }
            screened_by[t] = Some(i);
            if !demanded[t] {
                let w = ctx.warning(
                    "screen-without-demand",
                    &p,
                    format!(
                        "tier `{tier}` has no inference demand, so `{}` screens nothing there",
                        d.id
                    ),
                );
                *w = w
                    .clone()
                    .hint("screening applies to inference; training runs do not pass it");
            }
            ids.push(m::TierId(t as u32));
        }
        if d.tiers.is_empty() {
            let e = ctx.error(
                "empty",
                &at("tiers"),
                format!("defence `{}` screens no tier", d.id),
            );
            *e = e.clone().expected("one tier id or more");
        }
        let sharing = match d.sharing.as_str() {
            "shared" => Some(m::Sharing::Shared),
            "per_provider" => Some(m::Sharing::PerProvider),
            other => {
                let names = m::Sharing::ALL.map(m::Sharing::name);
                let e = ctx.error(
                    "unknown-sharing",
                    &at("sharing"),
                    format!("no way of running a defence named `{other}`"),
                );
                let mut fixed = e.clone().expected(format!("one of {}", list(&names)));
                if let Some(close) = did_you_mean(other, names.iter().copied()) {
                    fixed = fixed.hint(format!("did you mean `{close}`?"));
                }
                *e = fixed;
                None
            }
        };
        let overhead = match d.screening_overhead {
            Some(v) => ctx.at_most(
                &at("screening_overhead"),
                v,
                1.0,
                "published screens cost 1 % (cascaded) to 24 % (heavy classifiers) of serving compute",
            ),
            None => Some(ctx.default("defence_screening_overhead")),
        };
        let false_block = match d.false_block_rate {
            Some(v) => ctx.fraction(&at("false_block_rate"), v),
            None => Some(ctx.default("defence_false_block_rate")),
        };
        let hop = match d.shared_hop_ms {
            Some(v) => ctx.quantity(&at("shared_hop_ms"), v),
            None => Some(ctx.default("defence_shared_hop_ms")),
        };
        let latency = ctx.quantity(&at("latency_ms"), d.latency_ms);
        let attack = ctx.fraction(&at("attack_share"), d.attack_share);
        let detection = ctx.fraction(&at("detection_rate"), d.detection_rate);
        let lag = ctx.quantity(&at("detection_lag_days"), d.detection_lag_days);
        let campaign = ctx.positive(&at("campaign_days"), d.campaign_days);
        let elasticity = ctx.fraction(&at("pooling_elasticity"), d.pooling_elasticity);
        if d.providers == 0 {
            let e = ctx.error(
                "zero",
                &at("providers"),
                format!("defence `{}` pools the signals of no provider", d.id),
            );
            *e = e.clone().expected("one provider or more");
        }
        let (
            Some(sharing),
            Some(screening_overhead),
            Some(false_block_rate),
            Some(shared_hop_ms),
            Some(latency_ms),
            Some(attack_share),
            Some(detection_rate),
            Some(detection_lag_days),
            Some(campaign_days),
            Some(pooling_elasticity),
        ) = (
            sharing,
            overhead,
            false_block,
            hop,
            latency,
            attack,
            detection,
            lag,
            campaign,
            elasticity,
        )
        else {
            continue;
        };
        out.push(m::Defence {
            id: d.id.clone(),
            tiers: ids,
            sharing,
            screening_overhead,
            latency_ms,
            shared_hop_ms,
            false_block_rate,
            attack_share,
            detection_rate,
            detection_lag_days,
            campaign_days,
            providers: d.providers.max(1),
            pooling_elasticity,
        });
    }
    out
}
