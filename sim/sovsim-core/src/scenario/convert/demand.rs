//! Open models, training campaigns and inference demand, and the dispatch rules: efficiencies of
//! each workload on each accelerator in use and serving rates of each model.

use super::ctx::*;

/// Largest yearly growth of demand [fraction per year]: 10 is 1,000 % a year, every year.
const MAX_GROWTH_PER_YEAR: f64 = 10.0;

pub(super) fn convert_models(ctx: &mut Ctx, models: &[wire::ModelUse]) -> Vec<m::Model> {
    ctx.unique_ids("models", models.iter().map(|m| m.id.as_str()));
    let mut out = Vec::new();
    for (i, w) in models.iter().enumerate() {
        let catalog = ctx.catalog;
        let Some(spec) = ctx.catalog_ref(
            &path!("models", i, "id"),
            &w.id,
            "models",
            &catalog.models,
            |m| m.id.as_str(),
        ) else {
            continue;
        };
        let (spec, overridden) =
            ctx.apply_overrides(&path!("models", i), spec, w.overrides.as_ref());
        if spec.active_params_b > spec.params_b {
            let d = ctx.error(
                "out-of-range",
                &path!("models", i, "overrides"),
                format!("`{}` has more active than total parameters", spec.id),
            );
            *d = d.clone().expected("active_params_b ≤ params_b");
        }
        out.push(m::Model { spec, overridden });
    }
    out
}
/// The operators a demand's owner uses under `siloed`: at least one, each declared.
pub(super) fn demand_operators(
    ctx: &mut Ctx,
    path: &[Seg],
    ids: &[String],
    operator_ids: &[&str],
) -> Option<Vec<m::OperatorId>> {
    if ids.is_empty() {
        let d = ctx.error("empty", path, "a demand needs the operators its owner uses");
        *d = d
            .clone()
            .expected("one operator id or more")
            .hint("under the `siloed` policy a demand runs only on its own operators' clusters");
        return None;
    }
    let found: Vec<Option<usize>> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let at = [path.to_vec(), path!(k)].concat();
            ctx.reference(&at, id, "operators", operator_ids)
        })
        .collect();
    found
        .into_iter()
        .map(|o| o.map(|i| m::OperatorId(i as u32)))
        .collect()
}
/// The architectures a demand's code is written for, each known to the catalog, with their vendors.
fn home(ctx: &mut Ctx, path: &[Seg], architectures: Option<&[String]>) -> Option<Option<m::Home>> {
    let Some(names) = architectures else {
        return Some(None);
    };
    let catalog = ctx.catalog;
    let known: Vec<&str> = {
        let mut all: Vec<&str> = catalog
            .accelerators
            .iter()
            .map(|a| a.architecture.as_str())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    if names.is_empty() {
        let d = ctx.error(
            "empty",
            path,
            "a workload runs on at least one architecture",
        );
        *d = d
            .clone()
            .expected("one architecture or more")
            .hint("leave `architectures` out for a workload that runs on every architecture");
        return None;
    }
    let mut ok = true;
    for (k, name) in names.iter().enumerate() {
        if known.contains(&name.as_str()) {
            continue;
        }
        ok = false;
        let at = [path.to_vec(), path!(k)].concat();
        let d = ctx.error(
            "unknown-architecture",
            &at,
            format!("no accelerator in the catalog has the architecture `{name}`"),
        );
        let fixed = d.clone().expected(format!("one of {}", list(&known)));
        *d = match did_you_mean(name, known.iter().copied()) {
            Some(close) => fixed.hint(format!("did you mean `{close}`?")),
            None => {
                fixed.hint("`sovsim catalog accelerators` lists each accelerator's architecture")
            }
        };
    }
    if !ok {
        return None;
    }
    let mut vendors: Vec<String> = catalog
        .accelerators
        .iter()
        .filter(|a| names.contains(&a.architecture))
        .map(|a| a.vendor.clone())
        .collect();
    vendors.sort_unstable();
    vendors.dedup();
    Some(Some(m::Home {
        architectures: names.to_vec(),
        vendors,
    }))
}

pub(super) fn convert_demand(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    models: &[m::Model],
) -> (Vec<m::TrainingCampaign>, Vec<m::InferenceDemand>) {
    let tier_ids: Vec<&str> = file.tiers.iter().map(|t| t.id.as_str()).collect();
    let operator_ids: Vec<&str> = file.operators.iter().map(|o| o.id.as_str()).collect();
    let model_ids: Vec<&str> = file.models.iter().map(|m| m.id.as_str()).collect();
    let ids = file
        .demand
        .training
        .iter()
        .map(|t| t.id.as_str())
        .chain(file.demand.inference.iter().map(|d| d.id.as_str()));
    let mut seen = Vec::new();
    for (n, id) in ids.enumerate() {
        if seen.contains(&id) {
            let (section, i) = if n < file.demand.training.len() {
                ("training", n)
            } else {
                ("inference", n - file.demand.training.len())
            };
            let d = ctx.error(
                "duplicate-id",
                &path!("demand", section, i, "id"),
                format!("demand `{id}` is defined twice"),
            );
            *d = d
                .clone()
                .expected("a unique id across training and inference demand");
        }
        seen.push(id);
    }
    let mut training = Vec::new();
    for (i, t) in file.demand.training.iter().enumerate() {
        let at = |k: &str| path!("demand", "training", i, k);
        let tier = ctx.reference(&at("tier"), &t.tier, "tiers", &tier_ids);
        let model = ctx.reference(&at("model"), &t.model, "models", &model_ids);
        let runs = ctx.uncertain(&at("runs_per_year"), &t.runs_per_year);
        let operators = demand_operators(ctx, &at("operators"), &t.operators, &operator_ids);
        let run_gpus = match &t.gpus {
            Some(u) => ctx.uncertain(&at("gpus"), u).map(Some),
            None => Some(None),
        };
        let post = ctx.fraction(
            &at("post_training_share"),
            t.post_training_share
                .unwrap_or_else(|| ctx.default("post_training_share")),
        );
        let mfu = ctx.fraction(&at("mfu"), t.mfu.unwrap_or_else(|| ctx.default("mfu")));
        let home = home(ctx, &at("architectures"), t.architectures.as_deref());
        let start = match &t.start_date {
            Some(d) => ctx.date_in_horizon(&at("start_date"), d),
            None => Some(ctx.start),
        };
        if t.min_cluster_gpus == 0 {
            let d = ctx.error(
                "zero",
                &at("min_cluster_gpus"),
                "a training run needs at least one GPU",
            );
            *d = d.clone().expected("one GPU or more");
        }
        // The model's compute; `models` lacks entries that failed, whose errors are already out.
        let flop = match (model, post) {
            (Some(k), Some(post)) => models.get(k).and_then(|m| {
                let flop = crate::workload::pretraining_flop(&m.spec).map(|f| f * (1.0 + post));
                if flop.is_none() {
                    let d = ctx.error(
                        "no-training-compute",
                        &at("model"),
                        format!("the catalog gives neither training FLOPs nor training tokens for `{}`", m.spec.id),
                    );
                    *d = d.clone().hint(format!(
                        "set them in the model entry: `overrides = {{ training_tokens_t = … }}` for `{}`",
                        m.spec.id
                    ));
                }
                flop
            }),
            _ => None,
        };
        if let (
            Some(tier),
            Some(model),
            Some(runs),
            Some(operators),
            Some(run_gpus),
            Some(run_flop),
            Some(post),
            Some(mfu),
            Some(start),
            Some(home),
        ) = (
            tier, model, runs, operators, run_gpus, flop, post, mfu, start, home,
        ) {
            training.push(m::TrainingCampaign {
                id: t.id.clone(),
                tier: m::TierId(tier as u32),
                model: m::ModelId(model as u32),
                operators,
                runs_per_year: runs,
                arrivals: t.arrivals.unwrap_or_default(),
                run_gpus,
                run_flop,
                post_training_share: post,
                min_cluster_gpus: t.min_cluster_gpus,
                mfu,
                start_date: start,
                home,
            });
        }
    }
    let mut inference = Vec::new();
    let any_context = file
        .demand
        .inference
        .iter()
        .any(|d| d.context_elasticity.is_some());
    for (i, d) in file.demand.inference.iter().enumerate() {
        let at = |k: &str| path!("demand", "inference", i, k);
        let tier = ctx.reference(&at("tier"), &d.tier, "tiers", &tier_ids);
        let model = ctx.reference(&at("model"), &d.model, "models", &model_ids);
        let tokens = ctx.uncertain(&at("tokens_per_day"), &d.tokens_per_day);
        let operators = demand_operators(ctx, &at("operators"), &d.operators, &operator_ids);
        let growth = match &d.growth_per_year {
            Some(u) => ctx.uncertain(&at("growth_per_year"), u).filter(|g| {
                // Demand compounds over the horizon: a growth of thousands of percent a year
                // overflows within decades (and is a percentage written as a fraction).
                let top = g.dist.quantile(0.999);
                top <= MAX_GROWTH_PER_YEAR
                    || ctx
                        .at_most(
                            &at("growth_per_year"),
                            top,
                            MAX_GROWTH_PER_YEAR,
                            "a growth of 0.5 is 50 % a year",
                        )
                        .is_some()
            }),
            None => Some(m::Uncertain::fixed(0.0)),
        };
        let start = match &d.start_date {
            Some(x) => ctx.date_in_horizon(&at("start_date"), x),
            None => Some(ctx.start),
        };
        let home = home(ctx, &at("architectures"), d.architectures.as_deref());
        let elasticity = match d.context_elasticity {
            Some(e) => ctx.fraction(&at("context_elasticity"), e),
            // The default is a figure only where the scenario models context at all.
            None if any_context => Some(ctx.default("context_elasticity")),
            None => Some(0.0),
        };
        if let (
            Some(tier),
            Some(model),
            Some(tokens),
            Some(growth),
            Some(start),
            Some(operators),
            Some(home),
            Some(context_elasticity),
        ) = (
            tier, model, tokens, growth, start, operators, home, elasticity,
        ) {
            inference.push(m::InferenceDemand {
                id: d.id.clone(),
                tier: m::TierId(tier as u32),
                model: m::ModelId(model as u32),
                operators,
                tokens_per_day: tokens,
                growth_per_year: growth,
                start_date: start,
                home,
                context_elasticity,
            });
        }
    }
    (training, inference)
}
/// The dispatch rules: policy, the efficiency of each accelerator in use (catalog, then the
/// scenario's changes), and the serving rate of every inference model on every accelerator in use.
pub(super) fn convert_dispatch(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    clusters: &[m::Cluster],
    models: &[m::Model],
    inference: &[m::InferenceDemand],
) -> m::DispatchRules {
    use crate::catalog::Workload;
    let empty = Vec::new();
    let overrides = file.dispatch.as_ref().map_or(&empty, |d| &d.efficiency);
    for (i, o) in overrides.iter().enumerate() {
        let at = |k: &str| path!("dispatch", "efficiency", i, k);
        if ctx.catalog.accelerator(&o.accelerator).is_none() {
            let ids: Vec<&str> = ctx
                .catalog
                .accelerators
                .iter()
                .map(|a| a.id.as_str())
                .collect();
            ctx.reference(
                &at("accelerator"),
                &o.accelerator,
                "accelerators (catalog)",
                &ids,
            );
        }
        ctx.fraction(&at("efficiency"), o.efficiency);
    }
    // The first cluster of each SKU stands for it (in `SkuId` order).
    let mut skus: Vec<&crate::catalog::Accelerator> = Vec::new();
    for c in clusters {
        if c.sku.index() == skus.len() {
            skus.push(&c.accelerator);
        }
    }
    let efficiency = skus
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let set = |w: Workload| {
                overrides
                    .iter()
                    .rev()
                    .find(|o| o.workload == w && o.accelerator == a.id)
                    .map(|o| o.efficiency)
            };
            let catalog = |w: Workload| ctx.catalog.efficiency(w, &a.id).unwrap_or(1.0);
            m::SkuEfficiency {
                sku: m::SkuId(k as u32),
                training: set(Workload::Training).unwrap_or_else(|| catalog(Workload::Training)),
                inference: set(Workload::Inference).unwrap_or_else(|| catalog(Workload::Inference)),
                overridden: set(Workload::Training).is_some() || set(Workload::Inference).is_some(),
            }
        })
        .collect();
    let mut serving: Vec<m::ServingRate> = Vec::new();
    for d in inference {
        let Some(model) = models.get(d.model.index()).map(|m| &m.spec) else {
            continue;
        };
        for (k, a) in skus.iter().enumerate() {
            let sku = m::SkuId(k as u32);
            if serving.iter().any(|r| r.model == d.model && r.sku == sku) {
                continue;
            }
            let rate = match ctx.catalog.throughput(&model.id, &a.id) {
                Some(t) => Some((t.output_tokens_per_s_per_gpu, m::RateBasis::Catalog)),
                None => crate::workload::roofline_tokens_per_s(
                    model,
                    a,
                    ctx.default("roofline_sequences_per_gpu"),
                ),
            };
            if let Some((tokens_per_s_per_gpu, basis)) = rate {
                serving.push(m::ServingRate {
                    model: d.model,
                    sku,
                    tokens_per_s_per_gpu,
                    basis,
                });
            }
        }
    }
    let rule = file.dispatch.as_ref().and_then(|d| d.portability.as_ref());
    let at = |k: &str| path!("dispatch", "portability", k);
    let share = |ctx: &mut Ctx, k: &str, v: Option<f64>| {
        v.map_or(0.0, |v| ctx.fraction(&at(k), v).unwrap_or(0.0))
    };
    let training_share = share(ctx, "training", rule.and_then(|r| r.training));
    let inference_share = share(ctx, "inference", rule.and_then(|r| r.inference));
    // Penalties matter only where some workload is written for named architectures: elsewhere
    // every accelerator is home, and no default is read (nor listed among the assumptions).
    let restricted = file
        .demand
        .training
        .iter()
        .any(|t| t.architectures.is_some())
        || file
            .demand
            .inference
            .iter()
            .any(|d| d.architectures.is_some());
    if rule.is_some() && !restricted {
        let d = ctx.warning(
            "no-effect",
            &path!("dispatch", "portability"),
            "no training campaign or inference demand states `architectures`: every workload already runs on every architecture",
        );
        *d = d.clone().hint(
            "name the architectures a workload's code is written for, e.g. `architectures = [\"rubin\"]`",
        );
    }
    let penalty = |ctx: &mut Ctx, k: &str, v: Option<f64>| {
        if !restricted {
            return 0.0;
        }
        let key = format!("portability_{k}");
        let v = v.unwrap_or_else(|| ctx.default(&key));
        ctx.fraction(&at(k), v).unwrap_or(0.0)
    };
    let [
        training_architecture,
        training_vendor,
        inference_architecture,
        inference_vendor,
    ] = [
        (
            "training_architecture_penalty",
            rule.and_then(|r| r.training_architecture_penalty),
        ),
        (
            "training_vendor_penalty",
            rule.and_then(|r| r.training_vendor_penalty),
        ),
        (
            "inference_architecture_penalty",
            rule.and_then(|r| r.inference_architecture_penalty),
        ),
        (
            "inference_vendor_penalty",
            rule.and_then(|r| r.inference_vendor_penalty),
        ),
    ]
    .map(|(k, v)| penalty(ctx, k, v));
    let portability = m::Portability {
        training_share,
        inference_share,
        training_penalty: [training_architecture, training_vendor],
        inference_penalty: [inference_architecture, inference_vendor],
    };
    m::DispatchRules {
        portability,
        policy: file
            .dispatch
            .as_ref()
            .and_then(|d| d.policy)
            .unwrap_or_default(),
        efficiency,
        serving,
    }
}
