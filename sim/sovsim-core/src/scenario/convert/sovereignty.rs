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
        });
    }
    out
}
pub(super) fn convert_tiers(ctx: &mut Ctx, tiers: &[wire::Tier]) -> Vec<m::Tier> {
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
                let value = match row.value.as_str() {
                    "true" => wire::ClauseValue::Bool(true),
                    "false" => wire::ClauseValue::Bool(false),
                    v => v.parse::<f64>().map_or_else(
                        |_| wire::ClauseValue::Text(v.to_owned()),
                        wire::ClauseValue::Number,
                    ),
                };
                let p = path!("tiers", i, "preset");
                if let Some(c) =
                    convert_clause(ctx, &p, &p, &row.attribute, &row.op, &value, &row.source)
                {
                    clauses.push(c);
                }
            }
        }
        for (j, c) in t.clauses.iter().enumerate() {
            let base = path!("tiers", i, "clauses", j);
            let attr = [base.clone(), path!("attribute")].concat();
            if let Some(c) =
                convert_clause(ctx, &attr, &base, &c.attribute, &c.op, &c.value, "scenario")
            {
                clauses.push(c);
            }
        }
        if t.preset.is_none() && t.clauses.is_empty() {
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
pub(super) fn convert_clause(
    ctx: &mut Ctx,
    attr_path: &[Seg],
    base: &[Seg],
    attribute: &str,
    op: &str,
    value: &wire::ClauseValue,
    source: &str,
) -> Option<m::Clause> {
    let Some(attr) = Attribute::parse(attribute) else {
        let names: Vec<&str> = Attribute::ALL.iter().map(|(_, n)| *n).collect();
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
    let allowed: &[&str] = match attr.kind() {
        AttributeKind::Jurisdiction => &["in", "not_in"],
        AttributeKind::Jurisdictions => &["all_in", "none_in"],
        AttributeKind::Percent => &["le", "lt", "ge", "gt"],
        AttributeKind::Flag => &["eq"],
    };
    if !allowed.contains(&op) {
        let d = ctx.error(
            "bad-operator",
            &op_path,
            format!("`{op}` cannot compare `{attribute}`"),
        );
        *d = d.clone().expected(format!("one of {}", list(allowed)));
        return None;
    }
    let codes = |ctx: &mut Ctx, v: &wire::ClauseValue| -> Option<Vec<String>> {
        let items = match v {
            wire::ClauseValue::Text(s) => vec![s.clone()],
            wire::ClauseValue::List(l) => l.clone(),
            _ => {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is compared with countries"),
                );
                *d = d
                    .clone()
                    .expected("a country code, `EU`, or a list of them");
                return None;
            }
        };
        let ok = items.iter().all(|c| ctx.jurisdiction(&value_path, c));
        ok.then_some(items)
    };
    let test = match (attr.kind(), op) {
        (AttributeKind::Jurisdiction, "in") => Test::In(codes(ctx, value)?),
        (AttributeKind::Jurisdiction, _) => Test::NotIn(codes(ctx, value)?),
        (AttributeKind::Jurisdictions, "all_in") => Test::AllIn(codes(ctx, value)?),
        (AttributeKind::Jurisdictions, _) => Test::NoneIn(codes(ctx, value)?),
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
        (AttributeKind::Percent, op) => {
            let wire::ClauseValue::Number(v) = value else {
                let d = ctx.error(
                    "bad-clause-value",
                    &value_path,
                    format!("`{attribute}` is a percentage"),
                );
                *d = d.clone().expected("a number from 0 to 100");
                return None;
            };
            let v = ctx.quantity(&value_path, *v)?;
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
