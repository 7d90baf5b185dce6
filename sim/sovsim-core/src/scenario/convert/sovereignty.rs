//! Operators and who controls them, and sovereignty tiers as clauses over operator and site
//! attributes (presets from the catalog, or rules written in the scenario).

use super::ctx::*;

pub(super) fn convert_operators(ctx: &mut Ctx, ops: &[wire::Operator]) -> Vec<m::Operator> {
    ctx.unique_ids("operators", ops.iter().map(|o| o.id.as_str()));
    let mut out = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        let at = |k: &str| path!("operators", i, k);
        ctx.country(&at("parent_jurisdiction"), &o.parent_jurisdiction);
        ctx.country(&at("key_custody_jurisdiction"), &o.key_custody_jurisdiction);
        for (j, s) in o.staff_jurisdictions.iter().enumerate() {
            ctx.jurisdiction(&path!("operators", i, "staff_jurisdictions", j), s);
        }
        for (j, s) in o.veto_jurisdictions.iter().enumerate() {
            ctx.jurisdiction(&path!("operators", i, "veto_jurisdictions", j), s);
        }
        if let Some(j) = &o.operating_jurisdiction {
            ctx.country(&at("operating_jurisdiction"), j);
        }
        for (j, s) in o.supplier_jurisdictions.iter().flatten().enumerate() {
            ctx.jurisdiction(&path!("operators", i, "supplier_jurisdictions", j), s);
        }
        for (j, c) in o.certifications.iter().enumerate() {
            certification(ctx, &path!("operators", i, "certifications", j), c);
        }
        let open_source_stack_pct = match o.open_source_stack_pct {
            Some(v) => match ctx.quantity(&at("open_source_stack_pct"), v) {
                Some(v) if v <= 100.0 => v,
                Some(v) => {
                    let d = ctx.error(
                        "out-of-range",
                        &at("open_source_stack_pct"),
                        format!("an open-source share of {v} %"),
                    );
                    *d = d.clone().expected("a percentage from 0 to 100");
                    0.0
                }
                None => 0.0,
            },
            None => 0.0,
        };
        let mut total = 0.0;
        let mut ok = true;
        for (jur, pct) in &o.ownership_pct {
            let p = path!("operators", i, "ownership_pct", jur.as_str());
            ok &= ctx.country(&p, jur).is_some();
            match ctx.quantity(&p, *pct) {
                Some(v) if v <= 100.0 => total += v,
                Some(v) => {
                    ok = false;
                    let d = ctx.error("out-of-range", &p, format!("a holding of {v} %"));
                    *d = d.clone().expected("a percentage from 0 to 100");
                }
                None => ok = false,
            }
        }
        if ok && (total - 100.0).abs() > OWNERSHIP_TOLERANCE_PCT {
            let d = ctx.error(
                "ownership-sum",
                &at("ownership_pct"),
                format!("ownership shares of `{}` sum to {total} %", o.id),
            );
            let hint = if total < 100.0 {
                format!("{:.2} % is unaccounted for", 100.0 - total)
            } else {
                format!("{:.2} % too much", total - 100.0)
            };
            *d = d.clone().expected("shares summing to 100 %").hint(hint);
        }
        out.push(m::Operator {
            id: o.id.clone(),
            name: o.name.clone().unwrap_or_else(|| o.id.clone()),
            parent_jurisdiction: o.parent_jurisdiction.clone(),
            ownership_pct: o.ownership_pct.clone(),
            key_custody_jurisdiction: o.key_custody_jurisdiction.clone(),
            staff_jurisdictions: o.staff_jurisdictions.clone(),
            veto_jurisdictions: o.veto_jurisdictions.clone(),
            operating_jurisdiction: o
                .operating_jurisdiction
                .clone()
                .unwrap_or_else(|| o.parent_jurisdiction.clone()),
            supplier_jurisdictions: o
                .supplier_jurisdictions
                .clone()
                .unwrap_or_else(|| vec![o.parent_jurisdiction.clone()]),
            certifications: o.certifications.clone(),
            open_source_stack_pct,
            cost_of_capital: o.cost_of_capital.and_then(|v| {
                ctx.at_most(
                    &at("cost_of_capital"),
                    v,
                    1.0,
                    "a rate per year as a fraction: 8 % is `0.08`",
                )
            }),
            build_cost_factor: o
                .build_cost_factor
                .map_or(Some(1.0), |v| ctx.positive(&at("build_cost_factor"), v))
                .unwrap_or(1.0),
            grid_wait_factor: o
                .grid_wait_factor
                .map_or(Some(1.0), |v| {
                    ctx.at_most(
                        &at("grid_wait_factor"),
                        v,
                        10.0,
                        "a ratio to the connection's wait: 0.5 halves it",
                    )
                })
                .unwrap_or(1.0),
        });
    }
    out
}
/// A certification id the catalog knows, or a located error with the closest id.
fn certification(ctx: &mut Ctx, at: &[Seg], id: &str) -> bool {
    if ctx.catalog.certifications.iter().any(|c| c.id == id) {
        return true;
    }
    let ids: Vec<String> = ctx
        .catalog
        .certifications
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let d = ctx.error(
        "unknown-certification",
        at,
        format!("no certification named `{id}` in the catalog"),
    );
    let mut fixed = d.clone().expected(format!("one of {}", list(&ids)));
    if let Some(close) = did_you_mean(id, ids.iter().map(String::as_str)) {
        fixed = fixed.hint(format!("did you mean `{close}`?"));
    }
    *d = fixed;
    false
}

/// A catalog cell as a clause value: `true`, `false`, a number, `a;b` as a list, else one code.
fn catalog_value(cell: &str) -> wire::ClauseValue {
    match cell {
        "true" => wire::ClauseValue::Bool(true),
        "false" => wire::ClauseValue::Bool(false),
        v if v.contains(';') => {
            wire::ClauseValue::List(v.split(';').map(|x| x.trim().to_owned()).collect())
        }
        v => v.parse::<f64>().map_or_else(
            |_| wire::ClauseValue::Text(v.to_owned()),
            wire::ClauseValue::Number,
        ),
    }
}

/// The Cloud Sovereignty Framework from the catalog, its criteria read as clauses. A criterion
/// cannot itself read a SEAL level, so none parses against the framework being built.
pub(super) fn convert_framework(ctx: &mut Ctx) -> m::Framework {
    let objectives: Vec<m::SovObjective> = ctx
        .catalog
        .csf_objectives
        .iter()
        .map(|o| m::SovObjective {
            id: o.objective.clone(),
            name: o.name.clone(),
            weight_pct: o.weight_pct,
        })
        .collect();
    let rows = ctx.catalog.csf_criteria.clone();
    let none = m::Framework::default();
    let mut criteria = Vec::new();
    for row in rows {
        let Some(objective) = objectives.iter().position(|o| o.id == row.objective) else {
            continue; // the catalog's own checks name it
        };
        let value = catalog_value(&row.value);
        let root = path!();
        if let Some(clause) = convert_clause(
            ctx,
            &none,
            &root,
            &root,
            &row.attribute,
            &row.op,
            &value,
            &row.source,
        ) {
            criteria.push(m::Criterion {
                objective,
                seal: row.seal,
                clause,
                description: row.description.clone(),
            });
        }
    }
    m::Framework {
        objectives,
        criteria,
    }
}

pub(super) fn convert_tiers(
    ctx: &mut Ctx,
    tiers: &[wire::Tier],
    framework: &m::Framework,
) -> Vec<m::Tier> {
    ctx.unique_ids("tiers", tiers.iter().map(|t| t.id.as_str()));
    let mut out = Vec::new();
    for (i, t) in tiers.iter().enumerate() {
        let mut clauses = Vec::new();
        if let Some(preset) = &t.preset {
            let rows: Vec<crate::catalog::PresetClause> =
                ctx.catalog.preset(preset).into_iter().cloned().collect();
            if rows.is_empty() {
                let names: Vec<String> = ctx
                    .catalog
                    .preset_names()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let d = ctx.error(
                    "unknown-preset",
                    &path!("tiers", i, "preset"),
                    format!("no sovereignty preset named `{preset}`"),
                );
                let mut fixed = d.clone().expected(format!("one of {}", list(&names)));
                if let Some(close) = did_you_mean(preset, names.iter().map(String::as_str)) {
                    fixed = fixed.hint(format!("did you mean `{close}`?"));
                }
                *d = fixed;
            }
            for row in rows {
                let value = catalog_value(&row.value);
                let p = path!("tiers", i, "preset");
                if let Some(c) = convert_clause(
                    ctx,
                    framework,
                    &p,
                    &p,
                    &row.attribute,
                    &row.op,
                    &value,
                    &row.source,
                ) {
                    clauses.push(c);
                }
            }
        }
        for (j, c) in t.clauses.iter().enumerate() {
            let base = path!("tiers", i, "clauses", j);
            let attr = [base.clone(), path!("attribute")].concat();
            if let Some(c) = convert_clause(
                ctx,
                framework,
                &attr,
                &base,
                &c.attribute,
                &c.op,
                &c.value,
                "scenario",
            ) {
                clauses.push(c);
            }
        }
        for (objective, level) in &t.min_seal {
            let at = path!("tiers", i, "min_seal", objective.as_str());
            let attribute = format!("seal.{objective}");
            if Attribute::parse(&attribute, framework).is_none() {
                let ids: Vec<&str> = framework.objectives.iter().map(|o| o.id.as_str()).collect();
                let d = ctx.error(
                    "unknown-objective",
                    &at,
                    format!("no Cloud Sovereignty Framework objective named `{objective}`"),
                );
                let mut fixed = d.clone().expected(format!("one of {}", list(&ids)));
                if let Some(close) = did_you_mean(objective, ids.iter().copied()) {
                    fixed = fixed.hint(format!("did you mean `{close}`?"));
                }
                *d = fixed;
                continue;
            }
            let value = wire::ClauseValue::Number(f64::from(*level));
            if let Some(c) = convert_clause(
                ctx, framework, &at, &at, &attribute, "ge", &value, "scenario",
            ) {
                clauses.push(c);
            }
        }
        if t.preset.is_none() && t.clauses.is_empty() && t.min_seal.is_empty() {
            let d = ctx.warning(
                "empty-tier",
                &path!("tiers", i),
                format!("tier `{}` has no clause, so every cluster qualifies", t.id),
            );
            *d = d
                .clone()
                .hint("add `preset = \"secnumcloud-3.2\"` or `[[tiers.clauses]]`");
        }
        out.push(m::Tier {
            id: t.id.clone(),
            description: t.description.clone().unwrap_or_default(),
            clauses,
        });
    }
    out
}
#[allow(clippy::too_many_arguments)] // one clause's text, where it is, and what it may name
pub(super) fn convert_clause(
    ctx: &mut Ctx,
    framework: &m::Framework,
    attr_path: &[Seg],
    base: &[Seg],
    attribute: &str,
    op: &str,
    value: &wire::ClauseValue,
    source: &str,
) -> Option<m::Clause> {
    let Some(attr) = Attribute::parse(attribute, framework) else {
        let mut names: Vec<String> = Attribute::ALL
            .iter()
            .map(|(_, n)| (*n).to_owned())
            .collect();
        names.extend(
            framework
                .objectives
                .iter()
                .map(|o| format!("seal.{}", o.id)),
        );
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let d = ctx.error(
            "unknown-attribute",
            attr_path,
            format!("no operator or site attribute named `{attribute}`"),
        );
        let mut fixed = d.clone().expected(format!("one of {}", list(&names)));
        if let Some(close) = did_you_mean(attribute, names.iter().copied()) {
            fixed = fixed.hint(format!("did you mean `{close}`?"));
        }
        *d = fixed;
        return None;
    };
    let op_path = if base == attr_path {
        base.to_vec()
    } else {
        [base.to_vec(), path!("op")].concat()
    };
    let value_path = if base == attr_path {
        base.to_vec()
    } else {
        [base.to_vec(), path!("value")].concat()
    };
    let allowed = attr.kind().ops();
    if !allowed.contains(&op) {
        let d = ctx.error(
            "bad-operator",
            &op_path,
            format!("`{op}` cannot compare `{attribute}`"),
        );
        *d = d.clone().expected(format!("one of {}", list(allowed)));
        return None;
    }
    // A value that is one id or a list of them; anything else is located where it stands.
    let items = |ctx: &mut Ctx, what: &str, expected: &str| -> Option<Vec<String>> {
        match value {
            wire::ClauseValue::Text(s) => Some(vec![s.clone()]),
            wire::ClauseValue::List(l) => Some(l.clone()),
            _ => {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is compared with {what}"),
                );
                *d = d.clone().expected(expected);
                None
            }
        }
    };
    let codes = |ctx: &mut Ctx| -> Option<Vec<String>> {
        let items = items(ctx, "countries", "a country code, `EU`, or a list of them")?;
        let ok = items.iter().all(|c| ctx.jurisdiction(&value_path, c));
        ok.then_some(items)
    };
    let test = match (attr.kind(), op) {
        (AttributeKind::Jurisdiction, "in") => Test::In(codes(ctx)?),
        (AttributeKind::Jurisdiction, _) => Test::NotIn(codes(ctx)?),
        (AttributeKind::Jurisdictions, "all_in") => Test::AllIn(codes(ctx)?),
        (AttributeKind::Jurisdictions, _) => Test::NoneIn(codes(ctx)?),
        (AttributeKind::Flag, _) => match value {
            wire::ClauseValue::Bool(b) => Test::Is(*b),
            _ => {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is true or false"),
                );
                *d = d.clone().expected("`true` or `false`");
                return None;
            }
        },
        (AttributeKind::Labels, op) => {
            let items = items(
                ctx,
                "certification ids",
                "a certification id or a list of them",
            )?;
            // Every unknown id gets its diagnostic, not only the first.
            let known: Vec<bool> = items
                .iter()
                .map(|c| certification(ctx, &value_path, c))
                .collect();
            if known.contains(&false) {
                return None;
            }
            if op == "has_any" {
                Test::HasAny(items)
            } else {
                Test::HasNone(items)
            }
        }
        (kind, op) => {
            let (what, range) = match kind {
                AttributeKind::Carbon => ("a carbon intensity [gCO₂/kWh]", "a number ≥ 0"),
                AttributeKind::Level => ("a SEAL level", "a whole number from 0 to 4"),
                _ => ("a percentage", "a number from 0 to 100"),
            };
            let wire::ClauseValue::Number(v) = value else {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is {what}"),
                );
                *d = d.clone().expected(range);
                return None;
            };
            let v = ctx.quantity(&value_path, *v)?;
            let seal_max = f64::from(m::SEAL_MAX);
            if kind == AttributeKind::Level && (v.fract() != 0.0 || v > seal_max) {
                let d = ctx.error(
                    "out-of-range",
                    &value_path,
                    format!("SEAL-{v} is not a level of the framework"),
                );
                *d = d.clone().expected(range);
                return None;
            }
            match op {
                "le" => Test::AtMost(v),
                "lt" => Test::Below(v),
                "ge" => Test::AtLeast(v),
                _ => Test::Above(v),
            }
        }
    };
    Some(m::Clause {
        attribute: attr,
        test,
        source: source.to_owned(),
    })
}
