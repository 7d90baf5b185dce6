//! A table as plain columns, names with their units (`capacity_mw`): what the run directory's
//! builders return and its writer encodes as Parquet and CSV.

/// A column of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Numbers.
    F64(Vec<f64>),
    /// Counts.
    U64(Vec<u64>),
    /// Text.
    Text(Vec<String>),
    /// Text that may be missing (null in Parquet, empty in CSV).
    OptText(Vec<Option<String>>),
    /// Numbers that may be missing (null in Parquet, empty in CSV).
    OptF64(Vec<Option<f64>>),
    /// True or false.
    Bool(Vec<bool>),
}

impl Values {
    /// Rows.
    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::Text(v) => v.len(),
            Values::OptText(v) => v.len(),
            Values::OptF64(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its kind in the schema.
    pub fn kind(&self) -> super::schema::Kind {
        use super::schema::Kind;
        match self {
            Values::F64(_) => Kind::F64,
            Values::U64(_) => Kind::U64,
            Values::Text(_) => Kind::Text,
            Values::OptText(_) => Kind::OptText,
            Values::OptF64(_) => Kind::OptF64,
            Values::Bool(_) => Kind::Bool,
        }
    }
}

/// A table: named columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    columns: Vec<(String, Values)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a column.
    #[must_use]
    pub fn column(mut self, name: &str, values: Values) -> Self {
        self.columns.push((name.to_owned(), values));
        self
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[(String, Values)] {
        &self.columns
    }

    /// The column called `name`.
    pub fn get(&self, name: &str) -> Option<&Values> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Rows (of the first column; the writer checks that all have as many).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, v)| v.len())
    }
}

/// Rounds to a micro-unit: quantile sketches and float sums carry noise in the last digits, and an
/// empty sum is −0.0; neither should reach a file.
pub fn tidy(v: f64) -> f64 {
    (v * 1e6).round() / 1e6 + 0.0
}

/// `table` with the columns `name_p10`, `name_p50`, `name_p90` of `values`, tidied; empty where a
/// row has none.
pub fn optional_quantile_columns(
    mut table: Table,
    name: &str,
    values: &[Option<[f64; 3]>],
) -> Table {
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        table = table.column(
            &format!("{name}_{label}"),
            Values::OptF64(values.iter().map(|q| q.map(|q| tidy(q[k]))).collect()),
        );
    }
    table
}

/// `table` with the columns `name_p10`, `name_p50`, `name_p90` of `values`, tidied.
pub fn quantile_columns(mut table: Table, name: &str, values: &[[f64; 3]]) -> Table {
    for (k, label) in ["p10", "p50", "p90"].iter().enumerate() {
        table = table.column(
            &format!("{name}_{label}"),
            Values::F64(values.iter().map(|q| tidy(q[k])).collect()),
        );
    }
    table
}
