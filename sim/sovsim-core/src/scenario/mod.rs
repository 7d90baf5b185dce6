//! The scenario language: TOML files (with `extends` and named overrides) turned into a validated
//! [`crate::model::Scenario`], or into every problem found, located.

mod convert;
mod load;
pub mod plan;
mod stated;
mod tree;
pub mod wire;

pub(crate) use load::syntax;
pub use load::{InMemory, Loaded, SourceReader, load, reload};

use std::sync::OnceLock;

use serde_json::{Map, Value};

use tree::Seg;

/// The documentation of the field at `path`, as written on the wire types (via the schema), so that
/// a hint can say what a missing field means and in which unit.
pub(crate) fn field_doc(path: &[Seg]) -> Option<String> {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    let schema = SCHEMA.get_or_init(json_schema);
    let defs = schema.get("$defs")?;
    // Follows `$ref`s and the `anyOf` that wraps optional fields, to the schema that has `properties` or `items`.
    let resolve = |mut node: &Value| -> Option<Value> {
        for _ in 0..8 {
            if let Some(r) = node.get("$ref").and_then(Value::as_str) {
                node = defs.get(r.strip_prefix("#/$defs/")?)?;
            } else if let Some(any) = node.get("anyOf").and_then(Value::as_array) {
                node = any.iter().find(|v| {
                    v.get("$ref").is_some()
                        || v.get("properties").is_some()
                        || v.get("items").is_some()
                })?;
            } else {
                return Some(node.clone());
            }
        }
        None
    };
    let mut node = defs.get("ScenarioFile")?.clone();
    let mut doc = None;
    for seg in path {
        let container = resolve(&node)?;
        let child = match seg {
            Seg::Key(k) => container.get("properties")?.get(k.as_str())?,
            Seg::Index(_) => container.get("items")?,
        };
        doc = child
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        node = child.clone();
    }
    doc.or_else(|| {
        resolve(&node)?
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// The JSON Schema of the scenario format, generated from the wire types.
///
/// A file that `extends` a base only states what it changes, so for such files every field is
/// optional: the schema holds a strict and a partial copy of each definition and picks one with
/// `if: { required: ["extends"] }`.
pub fn json_schema() -> Value {
    let schema = schemars::schema_for!(wire::ScenarioFile);
    let Ok(Value::Object(mut root)) = serde_json::to_value(&schema) else {
        return Value::Null;
    };
    let mut defs = match root.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    let meta: Vec<&str> = vec!["$schema", "title", "description"];
    let mut strict = Map::new();
    for (key, value) in &root {
        if !meta.contains(&key.as_str()) {
            strict.insert(key.clone(), value.clone());
        }
    }
    let strict = Value::Object(strict);
    let partial: Vec<(String, Value)> = defs
        .iter()
        .map(|(k, v)| (format!("Partial{k}"), partial_copy(v)))
        .collect();
    defs.insert("PartialScenarioFile".into(), partial_copy(&strict));
    defs.insert("ScenarioFile".into(), strict);
    defs.extend(partial);
    let mut out = Map::new();
    for key in meta {
        if let Some(v) = root.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("if".into(), serde_json::json!({ "required": ["extends"] }));
    out.insert(
        "then".into(),
        serde_json::json!({ "$ref": "#/$defs/PartialScenarioFile" }),
    );
    out.insert(
        "else".into(),
        serde_json::json!({ "$ref": "#/$defs/ScenarioFile" }),
    );
    out.insert("$defs".into(), Value::Object(defs));
    Value::Object(out)
}

/// A copy of a schema with nothing required, whose references point at partial copies too.
fn partial_copy(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "required")
                .map(|(k, v)| match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => (
                        k.clone(),
                        Value::String(r.replace("#/$defs/", "#/$defs/Partial")),
                    ),
                    _ => (k.clone(), partial_copy(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(partial_copy).collect()),
        other => other.clone(),
    }
}
