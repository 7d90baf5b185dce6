//! Cloud offers: capacity rented from existing regions — who runs them, where, which generation,
//! how many GPUs at once and at what price (stated, or the financial model's market price).

use super::ctx::*;

/// The offers; `skus` are the scenario's SKUs (an offer must rent one a cluster uses).
pub(super) fn convert_offers(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    skus: &[String],
) -> Vec<m::CloudOffer> {
    let offers = &file.cloud_offers;
    ctx.unique_ids("cloud_offers", offers.iter().map(|o| o.id.as_str()));
    let operator_ids: Vec<&str> = file.operators.iter().map(|o| o.id.as_str()).collect();
    let rates = file.finance.as_ref().map(|f| &f.eur_per_currency);
    let mut out = Vec::new();
    for (i, o) in offers.iter().enumerate() {
        let at = |k: &str| path!("cloud_offers", i, k);
        let operator = ctx.reference(&at("operator"), &o.operator, "operators", &operator_ids);
        let country = ctx.country(&at("country"), &o.country);
        let catalog = ctx.catalog;
        let accelerator = ctx
            .catalog_ref(
                &at("sku"),
                &o.sku,
                "accelerators",
                &catalog.accelerators,
                |a| a.id.as_str(),
            )
            .cloned();
        let sku = skus.iter().position(|s| *s == o.sku);
        if accelerator.is_some() && sku.is_none() {
            let d = ctx.error(
                "offer-sku-unused",
                &at("sku"),
                format!(
                    "offer `{}` rents `{}`, which no cluster of the scenario uses",
                    o.id, o.sku
                ),
            );
            *d = d
                .clone()
                .expected(format!("one of the scenario's SKUs: {}", list(skus)))
                .hint("serving and training rates are resolved per SKU of the scenario's clusters; add a cluster of that SKU or rent one of these");
        }
        if o.gpus == 0 {
            let d = ctx.error(
                "zero",
                &at("gpus"),
                format!("offer `{}` rents no GPU", o.id),
            );
            *d = d.clone().expected("one GPU or more");
        }
        let currency = o.currency.clone().unwrap_or_else(|| "EUR".to_owned());
        let price = match o.price_per_gpu_hour {
            Some(p) => {
                let p = ctx.positive(&at("price_per_gpu_hour"), p);
                let rate = if currency == "EUR" {
                    Some(1.0)
                } else {
                    let rate = rates.and_then(|r| r.get(&currency)).copied();
                    if rate.is_none() {
                        let d = ctx.error(
                            "missing-rate",
                            &at("currency"),
                            format!("offer `{}` is priced in {currency}, and the scenario has no rate for it", o.id),
                        );
                        *d = d.clone().expected(format!(
                            "`{currency} = …` (EUR per {currency}) in `finance.eur_per_currency`"
                        ));
                    }
                    rate
                };
                p.zip(rate).map(|(p, r)| Some(p * r))
            }
            None if file.finance.is_none() => {
                let d = ctx.error(
                    "no-offer-price",
                    &at("price_per_gpu_hour"),
                    format!("offer `{}` states no price, and without `[finance]` there is no market price to take", o.id),
                );
                *d = d
                    .clone()
                    .expected("`price_per_gpu_hour = …` (with `currency`)")
                    .hint("or add a `[finance]` section: its market GPU-hour price of the SKU is then the offer's");
                None
            }
            None => Some(None),
        };
        let from_date = match &o.from_date {
            Some(d) => ctx.date_in_horizon(&at("from_date"), d),
            None => Some(ctx.start),
        };
        if let (
            Some(operator),
            Some(country),
            Some(accelerator),
            Some(sku),
            Some(price),
            Some(from_date),
        ) = (operator, country, accelerator, sku, price, from_date)
        {
            out.push(m::CloudOffer {
                id: o.id.clone(),
                operator: m::OperatorId(operator as u32),
                country,
                accelerator,
                sku: m::SkuId(sku as u32),
                gpus: o.gpus,
                price_eur_per_gpu_hour: price,
                from_date,
            });
        }
    }
    out
}
