//! The scenario language: TOML files (with `extends` and named overrides) turned into a validated
//! [`crate::model::Scenario`], or into every problem found, located.

mod convert;
mod load;
mod tree;
pub mod wire;

pub use load::{Loaded, SourceReader, load};

use serde_json::{Map, Value};

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
