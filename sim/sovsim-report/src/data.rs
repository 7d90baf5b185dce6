//! A run directory read back: `summary.json`, `manifest.json` and the Parquet tables the report
//! draws on, each checked against the run-directory schema (`sovsim_core::rundir::schema`). The
//! report is made from these files alone, so `sovsim report` re-renders a run without simulating
//! it again, and every printed figure is one a reader can find in the files.
//!
//! A file that lacks a column of the schema is refused when the directory is read, naming the
//! column. A lookup of a table, column or key the schema does not declare (a defect: a name
//! misspelt in the report) is recorded, and [`RunData::check`] turns it into an error, so that a
//! renamed column fails the report instead of drawing an empty chart.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{Map, Value};
use sovsim_core::rundir::schema::{self, Dir, Kind, TableSpec};

use crate::ReportError;

/// A run directory's contents, as the report needs them.
#[derive(Debug)]
pub struct RunData {
    /// The directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: Map<String, Value>,
    /// `manifest.json`.
    pub manifest: Map<String, Value>,
    specs: BTreeMap<&'static str, &'static TableSpec>,
    tables: BTreeMap<&'static str, DataFrame>,
    unknown: RefCell<Vec<String>>,
}

impl RunData {
    /// Reads the run directory `dir`.
    ///
    /// # Errors
    /// If `summary.json` or `manifest.json` is missing or unreadable, or a table is corrupt or
    /// lacks a column of the schema.
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
        let specs: BTreeMap<&'static str, &'static TableSpec> = schema::tables()
            .iter()
            .filter(|t| t.dirs.contains(&Dir::Run))
            .map(|t| (t.stem, t))
            .collect();
        let mut tables = BTreeMap::new();
        for (stem, spec) in &specs {
            let path = dir.join(format!("{stem}.parquet"));
            if !path.exists() {
                continue;
            }
            let file = File::open(&path)
                .map_err(|e| ReportError::new(format!("cannot read `{}`: {e}", path.display())))?;
            let frame = ParquetReader::new(file)
                .finish()
                .map_err(|e| ReportError::new(format!("`{}`: {e}", path.display())))?;
            for c in spec.columns() {
                let found = frame.column(&c.name).ok().map(|f| f.dtype().clone());
                let fits = match (&found, c.kind) {
                    (None, _) => false,
                    (Some(DataType::Null), _) => true,
                    (Some(t), Kind::F64 | Kind::U64 | Kind::OptF64) => t.is_primitive_numeric(),
                    (Some(t), Kind::Text | Kind::OptText) => t == &DataType::String,
                    (Some(t), Kind::Bool) => t == &DataType::Boolean,
                };
                if !fits {
                    return Err(ReportError::new(format!(
                        "`{}` {} column `{}` ({:?}) that sovsim {} reads; was `{}` written by another version of sovsim?",
                        path.display(),
                        if found.is_some() {
                            "has the wrong type in"
                        } else {
                            "has no"
                        },
                        c.name,
                        c.kind,
                        sovsim_core::VERSION,
                        dir.display()
                    )));
                }
            }
            tables.insert(*stem, frame);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            summary,
            manifest,
            specs,
            tables,
            unknown: RefCell::new(Vec::new()),
        })
    }

    /// Whether every lookup so far named a table, column or key of the schema.
    ///
    /// # Errors
    /// Naming each lookup the schema does not declare.
    pub fn check(&self) -> Result<(), ReportError> {
        let unknown = self.unknown.borrow();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(ReportError::new(format!(
                "the report reads what the run-directory schema does not declare (a defect): {}",
                unknown.join(", ")
            )))
        }
    }

    fn unknown(&self, what: String) {
        let mut unknown = self.unknown.borrow_mut();
        if !unknown.contains(&what) {
            unknown.push(what);
        }
    }

    /// Whether the run wrote table `name`.
    pub fn has(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }

    /// Rows of table `name` (0 if absent).
    pub fn rows(&self, name: &str) -> usize {
        self.tables.get(name).map_or(0, DataFrame::height)
    }

    /// A numeric column (missing values as NaN); empty if the run did not write the table.
    pub fn numbers(&self, table: &str, column: &str) -> Vec<f64> {
        self.column(table, column).map_or_else(Vec::new, numbers_of)
    }

    /// A text column (missing values empty); empty if the run did not write the table.
    pub fn texts(&self, table: &str, column: &str) -> Vec<String> {
        self.column(table, column).map_or_else(Vec::new, texts_of)
    }

    /// A boolean column; empty if the run did not write the table.
    pub fn flags(&self, table: &str, column: &str) -> Vec<bool> {
        self.column(table, column).map_or_else(Vec::new, flags_of)
    }

    /// Names of the columns of `table`, in the schema's order; empty if the run did not write it.
    pub fn columns(&self, table: &str) -> Vec<String> {
        match (self.spec(table), self.tables.contains_key(table)) {
            (Some(spec), true) => spec.columns().map(|c| c.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether a column holds numbers (and not text or flags).
    pub fn is_numeric(&self, table: &str, column: &str) -> bool {
        self.kind(table, column).is_some_and(Kind::is_numeric)
    }

    /// Whether a column holds true/false flags.
    pub fn is_flag(&self, table: &str, column: &str) -> bool {
        self.kind(table, column) == Some(Kind::Bool)
    }

    fn spec(&self, table: &str) -> Option<&TableSpec> {
        let spec = self.specs.get(table).copied();
        if spec.is_none() {
            self.unknown(format!("table `{table}`"));
        }
        spec
    }

    fn kind(&self, table: &str, column: &str) -> Option<Kind> {
        let kind = self.spec(table)?.column(column).map(|c| c.kind);
        if kind.is_none() {
            self.unknown(format!("column `{table}.{column}`"));
        }
        kind
    }

    fn column(&self, table: &str, column: &str) -> Option<&Column> {
        self.kind(table, column)?;
        self.tables.get(table)?.column(column).ok()
    }

    fn key(&self, key: &str) -> Option<&Value> {
        if !schema::is_summary_key(key) {
            self.unknown(format!("summary key `{key}`"));
            return None;
        }
        self.summary.get(key)
    }

    /// A number from `summary.json`.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.key(key).and_then(Value::as_f64)
    }

    /// A text (or date) from `summary.json`.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.key(key).and_then(Value::as_str)
    }

    /// Whether the run was financed.
    pub fn financed(&self) -> bool {
        self.summary.contains_key("npv_eur")
    }
}

/// A column's values as numbers (missing: NaN; empty if it holds none).
pub(crate) fn numbers_of(c: &Column) -> Vec<f64> {
    match c.cast(&DataType::Float64) {
        Ok(c) => c
            .f64()
            .map(|ca| ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// A column's values as text (missing: empty).
pub(crate) fn texts_of(c: &Column) -> Vec<String> {
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

/// A column's values as flags (missing: false).
pub(crate) fn flags_of(c: &Column) -> Vec<bool> {
    c.bool()
        .ok()
        .map(|ca| ca.iter().map(|v| v.unwrap_or(false)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temporary directory");
        for name in ["summary.json", "manifest.json"] {
            std::fs::write(dir.path().join(name), "{\"scenario_name\": \"x\"}").expect("write");
        }
        dir
    }

    #[test]
    fn a_table_without_a_column_of_the_schema_is_refused_naming_it() {
        let dir = directory();
        let run = crate::RunDir::create(dir.path()).expect("create");
        // A `delays` table written by a sovsim that called `months_mean` something else.
        let mut frame = df!(
            "site" => ["a"],
            "cause" => ["grid"],
            "months_average" => [1.0],
            "months_p10" => [1.0],
            "months_p50" => [1.0],
            "months_p90" => [1.0],
        )
        .expect("frame");
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut frame)
            .expect("parquet");
        run.write_bytes("delays.parquet", &bytes).expect("write");
        let e = RunData::load(dir.path()).expect_err("refused");
        assert!(e.0.contains("has no column `months_mean`"), "{e}");
    }

    #[test]
    fn a_lookup_outside_the_schema_is_an_error_naming_it() {
        let dir = directory();
        let run = RunData::load(dir.path()).expect("read");
        assert!(run.check().is_ok());
        assert!(
            run.numbers("delays", "months_mean").is_empty(),
            "not written"
        );
        assert!(run.check().is_ok(), "a declared column of an absent table");
        let _ = run.numbers("delays", "months_average");
        let _ = run.num("npv_euro");
        let _ = run.num("npv_eur_p50");
        let e = run.check().expect_err("unknown names");
        assert!(e.0.contains("column `delays.months_average`"), "{e}");
        assert!(e.0.contains("summary key `npv_euro`"), "{e}");
        assert!(!e.0.contains("npv_eur_p50"), "{e}");
    }
}
