//! The scenario language: TOML files (with `extends` and named overrides) turned into a validated
//! [`crate::model::Scenario`], or into every problem found, located.

mod convert;
mod load;
mod tree;
pub mod wire;

pub use load::{Loaded, SourceReader, load};

/// The JSON Schema of the scenario format, generated from the wire types.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(wire::ScenarioFile);
    serde_json::to_value(&schema).unwrap_or(serde_json::Value::Null)
}
