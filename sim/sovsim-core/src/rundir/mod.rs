//! The directories sovsim writes — their schema and their contents. The one owner of the output
//! contract: [`schema`] declares every table, column and `summary.json` key with its meaning; the
//! builders here turn a question's typed results into those tables and keys; the writer
//! (sovsim-report) refuses a table that does not match the schema, its reader refuses a file that
//! lacks a column, and `sovsim outputs` and `reports/README.md` print the schema.
//!
//! No I/O: contents are values; encoding them (Parquet, CSV, JSON) and writing them is the
//! output layer's.

mod dispatch;
mod finance;
mod model;
pub use model::MODEL_LINES;
pub mod inventory;
pub mod manifest;
pub mod run;
pub mod schema;
pub mod sensitivity;
pub mod table;

pub use finance::BASIS;
pub(crate) use finance::{period_date, sources, uses};
pub use table::{Table, Values, tidy};

/// The files of a directory, as values: JSON documents by file name and tables by stem.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contents {
    /// JSON documents: (file name, pretty-printed text ending in a newline).
    pub json: Vec<(&'static str, String)>,
    /// Tables: (stem of `STEM.parquet` and `STEM.csv`, table).
    pub tables: Vec<(&'static str, Table)>,
}

/// `value` as the text of a JSON file: pretty-printed, fields in their declared order, ending in
/// a newline.
pub fn json_text(value: &impl serde::Serialize) -> String {
    // Values built here (maps, structs of plain fields) always serialise.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

impl Contents {
    /// The JSON document `name`, parsed.
    pub fn json(&self, name: &str) -> Option<serde_json::Value> {
        self.json
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, text)| serde_json::from_str(text).ok())
    }

    /// The table `stem`.
    pub fn table(&self, stem: &str) -> Option<&Table> {
        self.tables.iter().find(|(n, _)| *n == stem).map(|(_, t)| t)
    }
}
