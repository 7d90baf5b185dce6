//! The `[[contracts]]` section: offtake contracts resolved to the clusters they claim, their
//! volume in GPUs, price, term, take-or-pay share, prepayment and start, each checked.

use super::ctx::*;

pub(super) fn convert_contracts(
    ctx: &mut Ctx,
    contracts: &[wire::Contract],
    clusters: &[m::Cluster],
) -> Option<Vec<m::Contract>> {
    ctx.unique_ids("contracts", contracts.iter().map(|c| c.id.as_str()));
    let ids: Vec<&str> = clusters.iter().map(|c| c.id.as_str()).collect();
    let mut out = Vec::new();
    let mut ok = true;
    for (i, c) in contracts.iter().enumerate() {
        match contract(ctx, i, c, clusters, &ids) {
            Some(contract) => out.push(contract),
            None => ok = false,
        }
    }
    // Contracts claim GPUs in file order. More than a cluster holds is fine if their terms follow
    // one another, but a mistake if they overlap: a warning, as terms may start when energised.
    for (k, cluster) in clusters.iter().enumerate() {
        let claims: Vec<&m::Contract> = out
            .iter()
            .filter(|c| c.clusters.len() == 1 && c.clusters[0].index() == k)
            .collect();
        let claimed: u64 = claims.iter().map(|c| c.gpus).sum();
        if claimed > cluster.gpus {
            let last = claims.last().map_or("", |c| c.id.as_str());
            let i = contracts.iter().position(|c| c.id == last).unwrap_or(0);
            let d = ctx.warning(
                "over-contracted",
                &path!("contracts", i, "gpus"),
                format!(
                    "contracts on cluster `{}` claim {claimed} GPUs; it has {}",
                    cluster.id, cluster.gpus
                ),
            );
            *d = d
                .clone()
                .expected(format!(
                    "{} GPUs or fewer in all while terms overlap",
                    cluster.gpus
                ))
                .hint("where terms overlap, later contracts bill only the GPUs earlier ones leave");
        }
    }
    ok.then_some(out)
}

fn contract(
    ctx: &mut Ctx,
    i: usize,
    c: &wire::Contract,
    clusters: &[m::Cluster],
    ids: &[&str],
) -> Option<m::Contract> {
    let at = |k: &str| path!("contracts", i, k);
    let mut ok = true;
    // Which clusters: a list, or every cluster of a SKU; one or the other.
    let targets: Vec<m::ClusterId> = match (&c.sku, c.clusters.is_empty()) {
        (Some(_), false) | (None, true) => {
            let d = ctx.error(
                "contract-target",
                &path!("contracts", i, "id"),
                format!("contract `{}` needs either `clusters` or `sku`", c.id),
            );
            *d = d
                .clone()
                .expected("`clusters = [\"…\"]` or `sku = \"…\"`, not both")
                .hint("a contract sells the GPUs of named clusters, or of every cluster of a SKU");
            return None;
        }
        (Some(sku), true) => {
            let found: Vec<m::ClusterId> = clusters
                .iter()
                .enumerate()
                .filter(|(_, x)| x.accelerator.id == *sku)
                .map(|(k, _)| m::ClusterId(k as u32))
                .collect();
            if found.is_empty() {
                let used: Vec<&str> = clusters.iter().map(|x| x.accelerator.id.as_str()).collect();
                let d = ctx.error(
                    "unknown-reference",
                    &at("sku"),
                    format!("no cluster uses `{sku}`"),
                );
                *d = d
                    .clone()
                    .expected(format!("one of the SKUs in use: {}", list(&used)));
                return None;
            }
            found
        }
        (None, false) => {
            let mut found = Vec::new();
            for (j, id) in c.clusters.iter().enumerate() {
                match ctx.reference(&path!("contracts", i, "clusters", j), id, "clusters", ids) {
                    Some(k) => found.push(m::ClusterId(k as u32)),
                    None => ok = false,
                }
            }
            found
        }
    };
    let capacity: u64 = targets.iter().map(|k| clusters[k.index()].gpus).sum();
    let gpus = match (c.gpus, c.it_mw) {
        (Some(_), Some(_)) => {
            let d = ctx.error(
                "contract-volume",
                &at("it_mw"),
                "a contract states its volume once",
            );
            *d = d.clone().expected("`gpus` or `it_mw`, not both");
            None
        }
        (Some(g), None) => Some(g),
        (None, Some(mw)) => ctx.positive(&at("it_mw"), mw).and_then(|mw| {
            let mut kw: Vec<f64> = targets
                .iter()
                .map(|k| clusters[k.index()].accelerator.all_in_power_kw)
                .collect();
            kw.dedup();
            match kw.as_slice() {
                [kw] => Some((mw * 1000.0 / kw + 1e-9).floor() as u64),
                _ => {
                    let d = ctx.error(
                        "contract-volume",
                        &at("it_mw"),
                        "these clusters draw different power per GPU",
                    );
                    *d = d
                        .clone()
                        .expected("`gpus = …` for a contract over several SKUs");
                    None
                }
            }
        }),
        (None, None) => Some(capacity),
    };
    if let Some(g) = gpus
        && (g == 0 || g > capacity)
    {
        ok = false;
        let d = ctx.error(
            "contract-volume",
            &at(if c.it_mw.is_some() { "it_mw" } else { "gpus" }),
            format!("{g} GPUs contracted; the clusters named have {capacity}"),
        );
        *d = d
            .clone()
            .expected(format!("1 to {capacity} GPUs"))
            .hint("a contract sells GPUs the clusters hold; add clusters or lower the volume");
    }
    let price = ctx.positive(&at("price_eur_per_gpu_hour"), c.price_eur_per_gpu_hour);
    let term = ctx.positive(&at("term_years"), c.term_years);
    let escalation = match c.escalation_per_year {
        // A de-escalating contract is possible: any rate above −100 %.
        Some(v) if v.is_finite() && v > -1.0 => Some(v),
        None => Some(0.0),
        Some(v) => {
            let d = ctx.error(
                "out-of-range",
                &at("escalation_per_year"),
                format!("an escalation of {v} a year"),
            );
            *d = d
                .clone()
                .expected("a rate above −1, e.g. 0.02 for 2 % a year");
            None
        }
    };
    let take_or_pay = ctx.fraction(&at("take_or_pay"), c.take_or_pay.unwrap_or(1.0));
    let prepayment = ctx.fraction(&at("prepayment"), c.prepayment.unwrap_or(0.0));
    let ramp = ctx.quantity(&at("ramp_months"), c.ramp_months.unwrap_or(0.0));
    let start = match &c.start {
        None => Some(m::ContractStart::Energised),
        Some(toml::Value::String(s)) if s == "energised" => Some(m::ContractStart::Energised),
        Some(toml::Value::Datetime(d)) => ctx
            .date_in_horizon(&at("start"), d)
            .map(m::ContractStart::On),
        Some(other) => {
            let d = ctx.error(
                "bad-contract-start",
                &at("start"),
                format!("`start = {other}` is neither a date nor \"energised\""),
            );
            *d = d
                .clone()
                .expected("a date such as 2028-01-01, or \"energised\"")
                .hint("\"energised\" starts the term when the first contracted GPU is energised");
            None
        }
    };
    let signed = match &c.signed {
        Some(d) => ctx.date_in_horizon(&at("signed"), d),
        None => Some(ctx.start),
    };
    ok &= !c.counterparty.trim().is_empty() || {
        let d = ctx.error("empty", &at("counterparty"), "a contract names who buys");
        *d = d.clone().expected("a name such as \"Microsoft\"");
        false
    };
    if !ok {
        return None;
    }
    Some(m::Contract {
        id: c.id.clone(),
        counterparty: c.counterparty.clone(),
        clusters: targets,
        gpus: gpus?,
        price_eur_per_gpu_hour: price?,
        escalation_per_year: escalation?,
        start: start?,
        term_years: term?,
        take_or_pay: take_or_pay?,
        prepayment: prepayment?,
        signed: signed?,
        ramp_months: ramp?,
    })
}
