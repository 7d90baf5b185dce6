//! A run directory read back: `summary.json`, `manifest.json` and the Parquet tables the report
//! draws on. The report is made from these files alone, so `sovsim report` re-renders a run
//! without simulating it again, and every printed figure is one a reader can find in the files.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{Map, Value};

use crate::ReportError;

/// Tables the report reads, when the run wrote them (finance tables exist only with `[finance]`).
const TABLES: [&str; 18] = [
    "timeseries",
    "timeseries_power",
    "timeseries_gpus",
    "milestones",
    "delays",
    "sovereignty",
    "dispatch",
    "utilisation",
    "demand",
    "sold",
    "cashflows",
    "sources_uses",
    "finance_checks",
    "replications",
    "assumptions",
    "events",
    "tornado",
    "cases",
];

/// A run directory's contents, as the report needs them.
#[derive(Debug)]
pub struct RunData {
    /// The directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: Map<String, Value>,
    /// `manifest.json`.
    pub manifest: Map<String, Value>,
    tables: BTreeMap<&'static str, DataFrame>,
}

impl RunData {
    /// Reads the run directory `dir`.
    ///
    /// # Errors
    /// If `summary.json` or `manifest.json` is missing or unreadable, or a table is corrupt.
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        let json = |name: &str| -> Result<Map<String, Value>, ReportError> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ReportError::new(format!(
                    "cannot read `{}`: {e}; is `{}` a directory written by `sovsim run`?",
                    path.display(),
                    dir.display()
                ))
            })?;
            match serde_json::from_str(&text) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err(ReportError::new(format!(
                    "`{}` is not a JSON object",
                    path.display()
                ))),
                Err(e) => Err(ReportError::new(format!("`{}`: {e}", path.display()))),
            }
        };
        let summary = json("summary.json")?;
        let manifest = json("manifest.json")?;
        let mut tables = BTreeMap::new();
        for name in TABLES {
            let path = dir.join(format!("{name}.parquet"));
            if !path.exists() {
                continue;
            }
            let file = File::open(&path)
                .map_err(|e| ReportError::new(format!("cannot read `{}`: {e}", path.display())))?;
            let frame = ParquetReader::new(file)
                .finish()
                .map_err(|e| ReportError::new(format!("`{}`: {e}", path.display())))?;
            tables.insert(name, frame);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            summary,
            manifest,
            tables,
        })
    }

    /// Whether the run wrote table `name`.
    pub fn has(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }

    /// Rows of table `name` (0 if absent).
    pub fn rows(&self, name: &str) -> usize {
        self.tables.get(name).map_or(0, DataFrame::height)
    }

    /// A numeric column (missing values as NaN); empty if the table or column is absent.
    pub fn numbers(&self, table: &str, column: &str) -> Vec<f64> {
        let Some(c) = self.column(table, column) else {
            return Vec::new();
        };
        match c.cast(&DataType::Float64) {
            Ok(c) => c
                .f64()
                .map(|ca| ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    /// A text column (missing values empty); empty if the table or column is absent.
    pub fn texts(&self, table: &str, column: &str) -> Vec<String> {
        let Some(c) = self.column(table, column) else {
            return Vec::new();
        };
        match c.cast(&DataType::String) {
            Ok(c) => c
                .str()
                .map(|ca| {
                    ca.iter()
                        .map(|v| v.unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    /// A boolean column; empty if absent.
    pub fn flags(&self, table: &str, column: &str) -> Vec<bool> {
        self.column(table, column)
            .and_then(|c| {
                c.bool()
                    .ok()
                    .map(|ca| ca.iter().map(|v| v.unwrap_or(false)).collect())
            })
            .unwrap_or_default()
    }

    /// Names of the columns of `table`.
    pub fn columns(&self, table: &str) -> Vec<String> {
        self.tables.get(table).map_or_else(Vec::new, |f| {
            f.get_column_names()
                .into_iter()
                .map(|n| n.to_string())
                .collect()
        })
    }

    /// Whether a column holds numbers (and not text or flags).
    pub fn is_numeric(&self, table: &str, column: &str) -> bool {
        self.column(table, column)
            .is_some_and(|c| c.dtype().is_primitive_numeric())
    }

    /// Whether a column holds true/false flags.
    pub fn is_flag(&self, table: &str, column: &str) -> bool {
        self.column(table, column)
            .is_some_and(|c| c.dtype() == &DataType::Boolean)
    }

    fn column(&self, table: &str, column: &str) -> Option<&Column> {
        self.tables.get(table)?.column(column).ok()
    }

    /// A number from `summary.json`.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.summary.get(key).and_then(Value::as_f64)
    }

    /// A text (or date) from `summary.json`.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.summary.get(key).and_then(Value::as_str)
    }

    /// Whether the run was financed.
    pub fn financed(&self) -> bool {
        self.summary.contains_key("npv_eur")
    }
}
