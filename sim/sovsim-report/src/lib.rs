//! sovsim's output layer: directories of the output contract written and read back, and the report
//! (PDF, charts, workbook) made from them.
//!
//! Only this crate knows polars, plotters, typst and rust_xlsxwriter. What a directory holds is
//! decided in `sovsim_core::rundir` (its schema and builders); this crate encodes tables as Parquet
//! and CSV, refusing any that does not match the schema, and reads them back checked against it.
//! A file is first written to a temporary name in the same directory and then renamed over the
//! target, so an interrupted run never leaves a half-written file.

pub mod charts;
pub mod compare;
pub mod data;
pub mod document;
pub mod html;
pub mod live;
pub mod plots;
pub mod sensitivity;
pub mod staging;
pub mod sweep;
pub mod typeset;
pub mod workbook;

pub use sovsim_core::rundir::{Contents, Table, Values};
pub use sovsim_core::text::format;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;
use sovsim_core::rundir::schema;

/// `table` as a polars frame.
fn to_frame(table: &Table) -> io::Result<DataFrame> {
    let lengths: Vec<usize> = table.columns().iter().map(|(_, v)| v.len()).collect();
    if lengths.windows(2).any(|w| w[0] != w[1]) {
        return Err(io::Error::other(format!(
            "table columns have different lengths: {lengths:?}"
        )));
    }
    let columns: Vec<Column> = table
        .columns()
        .iter()
        .map(|(name, values)| match values {
            Values::F64(v) => Column::new(name.into(), v),
            Values::U64(v) => Column::new(name.into(), v),
            Values::Text(v) => Column::new(name.into(), v),
            Values::OptText(v) => Column::new(name.into(), v),
            Values::OptF64(v) => Column::new(name.into(), v),
            Values::Bool(v) => Column::new(name.into(), v),
        })
        .collect();
    DataFrame::new_infer_height(columns).map_err(io::Error::other)
}

/// A run directory being written.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates the directory (and its parents) if needed.
    ///
    /// # Errors
    /// If the directory cannot be created.
    pub fn create(path: &Path) -> io::Result<Self> {
        fs::create_dir_all(path)?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `value` as pretty JSON to `name`, atomically.
    ///
    /// # Errors
    /// If serialising or writing fails.
    pub fn write_json(&self, name: &str, value: &impl Serialize) -> io::Result<PathBuf> {
        let mut bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        bytes.push(b'\n');
        self.write_bytes(name, &bytes)
    }

    /// Writes every file of `contents`: JSON documents, then tables.
    ///
    /// # Errors
    /// If a table does not match the schema or writing fails.
    pub fn write_contents(&self, contents: &Contents) -> io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (name, text) in &contents.json {
            written.push(self.write_bytes(name, text.as_bytes())?);
        }
        for (stem, table) in &contents.tables {
            written.extend(self.write_table(stem, table)?);
        }
        Ok(written)
    }

    /// Writes a table as `name.parquet` and `name.csv`, atomically, after checking it against the
    /// schema of table `name`.
    ///
    /// # Errors
    /// If the table is not in the schema or does not match it (a defect), its columns have
    /// different lengths, or writing fails.
    pub fn write_table(&self, name: &str, table: &Table) -> io::Result<Vec<PathBuf>> {
        let spec = schema::table(name).ok_or_else(|| {
            io::Error::other(format!("table `{name}` is not in the run-directory schema"))
        })?;
        self.write_table_as(spec, table)
    }

    /// Writes a table as `STEM.parquet` and `STEM.csv` after checking it against `spec`: for
    /// tables whose columns depend on the question (a sweep's), with the schema made for it.
    ///
    /// # Errors
    /// As [`RunDir::write_table`].
    pub fn write_table_as(
        &self,
        spec: &schema::TableSpec,
        table: &Table,
    ) -> io::Result<Vec<PathBuf>> {
        let name = spec.stem;
        spec.check(table.columns().iter().map(|(n, v)| (n.as_str(), v.kind())))
            .map_err(|problems| {
                io::Error::other(format!(
                    "table `{name}` does not match its schema: {}",
                    problems.join("; ")
                ))
            })?;
        let mut frame = to_frame(table)?;
        // Straight to the files: a continent's tables run to a hundred megabytes of CSV, which
        // need not sit in memory too.
        let parquet = self.path.join(format!("{name}.parquet"));
        write_atomic_with(&parquet, |file| {
            ParquetWriter::new(file)
                .finish(&mut frame)
                .map(drop)
                .map_err(io::Error::other)
        })?;
        let csv = self.path.join(format!("{name}.csv"));
        write_atomic_with(&csv, |file| {
            CsvWriter::new(file)
                .include_header(true)
                .finish(&mut frame)
                .map_err(io::Error::other)
        })?;
        Ok(vec![parquet, csv])
    }

    /// Writes bytes to `name` in the directory, atomically.
    ///
    /// # Errors
    /// If writing or renaming fails.
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let target = self.path.join(name);
        write_atomic(&target, bytes)?;
        Ok(target)
    }
}

/// Writes `bytes` to `target` through a temporary file in the same directory and a rename, so
/// readers see either the old file or the whole new one.
///
/// # Errors
/// If the temporary file cannot be written or renamed.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(target, |file| file.write_all(bytes))
}

/// Writes to `target` what `write` writes, through a temporary file in the same directory and a
/// rename, as [`write_atomic`] does.
///
/// # Errors
/// If `write` fails, or the temporary file cannot be written or renamed.
pub fn write_atomic_with(
    target: &Path,
    write: impl FnOnce(&mut io::BufWriter<fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::other("target has no file name"))?;
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = io::BufWriter::new(fs::File::create(&temporary)?);
        write(&mut file)?;
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&temporary, target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(|e| staging::named(e, target))
}

/// Reads a Parquet file written by [`RunDir::write_table`] back into column names and row count,
/// so that tests can check what was written.
///
/// # Errors
/// If the file cannot be read as Parquet.
pub fn parquet_shape(path: &Path) -> io::Result<(Vec<String>, usize)> {
    let file = fs::File::open(path)?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(io::Error::other)?;
    Ok((
        frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
        frame.height(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_through_parquet_and_csv() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let run = RunDir::create(&dir.path().join("run")).expect("create");
        let table = Table::new()
            .column("part", Values::Text(vec!["capex".into(), "opex".into()]))
            .column("value", Values::F64(vec![1.5, 2.0]));
        run.write_table("objective_parts", &table).expect("write");
        let (names, rows) =
            parquet_shape(&run.path().join("objective_parts.parquet")).expect("read");
        assert_eq!(names, ["part", "value"]);
        assert_eq!(rows, 2);
        let csv = fs::read_to_string(run.path().join("objective_parts.csv")).expect("csv");
        assert_eq!(csv, "part,value\ncapex,1.5\nopex,2.0\n");
        // No temporary file is left behind.
        let leftovers: Vec<_> = fs::read_dir(run.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_table_unlike_its_schema_is_refused_and_not_written() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let run = RunDir::create(dir.path()).expect("create");
        let renamed = Table::new()
            .column("part", Values::Text(vec!["capex".into()]))
            .column("value_eur", Values::F64(vec![1.0]));
        let e = run
            .write_table("objective_parts", &renamed)
            .expect_err("a renamed column is refused");
        assert!(e.to_string().contains("no column `value`"), "{e}");
        assert!(
            e.to_string().contains("`value_eur` is not in the schema"),
            "{e}"
        );
        let unknown = Table::new().column("a", Values::F64(vec![1.0]));
        assert!(run.write_table("not_a_table", &unknown).is_err());
        assert!(!dir.path().join("objective_parts.parquet").exists());
    }

    #[test]
    fn columns_of_different_lengths_are_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let run = RunDir::create(dir.path()).expect("create");
        let table = Table::new()
            .column("part", Values::Text(vec!["a".into()]))
            .column("value", Values::F64(vec![]));
        assert!(run.write_table("objective_parts", &table).is_err());
    }
}

/// What `render` wrote and what the PDF says.
#[derive(Debug)]
pub struct Rendered {
    /// Files written, charts first, then `report.pdf` and `report.html`.
    pub files: Vec<PathBuf>,
    /// The data handed to the template.
    pub data: serde_json::Value,
    /// The text of each page of the PDF.
    pub pages: Vec<String>,
}

/// Renders the report of the run in `dir` from its files: every chart under `charts/` (SVG and
/// PNG), `model.xlsx`, `report.pdf` and `report.html` (the same template exported as HTML),
/// each written atomically.
///
/// # Errors
/// If the run directory cannot be read, the template fails, or a file cannot be written.
pub fn render(dir: &Path, template: &typeset::Template) -> Result<Rendered, ReportError> {
    let run = data::RunData::load(dir)?;
    let doc = document::build(&run);
    let out = RunDir::create(dir)?;
    let Drawn {
        mut files,
        world,
        figures,
        ..
    } = draw(&out, &doc.charts)?;
    let workbook = workbook::build(&run)?;
    // Every figure above was read by name: a name the schema does not declare is a defect.
    run.check()?;
    files.push(out.write_bytes("model.xlsx", &workbook)?);
    // The same template and files make the HTML: the same sections, words and figures.
    let title = run.text("scenario_name").unwrap_or("run");
    let (written, pages) = typeset_into(
        &out,
        "report",
        template,
        (world, &figures),
        &doc.data,
        title,
    )?;
    files.extend(written);
    Ok(Rendered {
        files,
        data: doc.data,
        pages,
    })
}

/// Writes `chart` as `charts/NAME.svg` and `charts/NAME.png` in `dir`, each atomically; returns
/// the SVG text and the files written.
///
/// # Errors
/// If drawing or writing fails.
pub fn write_chart(
    dir: &RunDir,
    chart: &charts::Chart,
) -> Result<(String, Vec<PathBuf>), ReportError> {
    let charts_dir = dir.path().join("charts");
    fs::create_dir_all(&charts_dir).map_err(|e| staging::named(e, &charts_dir))?;
    let svg = chart
        .svg()
        .map_err(|e| ReportError::new(format!("chart `{}`: {e}", chart.name)))?;
    let svg_file = dir.write_bytes(&format!("charts/{}.svg", chart.name), svg.as_bytes())?;
    // plotters writes the PNG itself: draw it under a temporary name, then rename.
    let png = charts_dir.join(format!("{}.png", chart.name));
    let partial = charts_dir.join(format!(".{}.partial.png", chart.name));
    chart.png(&partial).map_err(|e| {
        let _ = fs::remove_file(&partial);
        ReportError::new(format!(
            "chart `{}` (`{}`): {e}",
            chart.name,
            partial.display()
        ))
    })?;
    fs::rename(&partial, &png).map_err(|e| staging::named(e, &png))?;
    Ok((svg, vec![svg_file, png]))
}

/// A document's charts, written and laid in the typst world.
pub(crate) struct Drawn {
    /// The SVG and PNG files written.
    pub files: Vec<PathBuf>,
    /// Each chart's SVG at `/charts/<name>.svg`, for the template.
    pub world: std::collections::BTreeMap<String, typst::foundations::Bytes>,
    /// Each chart's path in the world, by name (what a template's `/data.json` lists).
    pub paths: serde_json::Map<String, serde_json::Value>,
    /// Each chart as an interactive figure, by name, for the HTML page.
    pub figures: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Writes every chart under `dir/charts` (see [`write_chart`]) and lays it in the typst world.
pub(crate) fn draw(dir: &RunDir, charts: &[charts::Chart]) -> Result<Drawn, ReportError> {
    let mut drawn = Drawn {
        files: Vec::new(),
        world: std::collections::BTreeMap::new(),
        paths: serde_json::Map::new(),
        figures: std::collections::BTreeMap::new(),
    };
    for chart in charts {
        let (svg, written) = write_chart(dir, chart)?;
        drawn.files.extend(written);
        let path = format!("/charts/{}.svg", chart.name);
        drawn.paths.insert(chart.name.clone(), path.clone().into());
        drawn
            .world
            .insert(path, typst::foundations::Bytes::new(svg.into_bytes()));
        drawn
            .figures
            .insert(chart.name.clone(), plots::figure(chart));
    }
    Ok(drawn)
}

/// Lays `data` in `world` as `/data.json`, typesets `template` into a PDF titled `title` and
/// exports it as HTML, its charts made the interactive `figures` on screen, and writes them as
/// `STEM.pdf` and `STEM.html` in `dir`: the files and the text of each PDF page.
pub(crate) fn typeset_into(
    dir: &RunDir,
    stem: &str,
    template: &typeset::Template,
    (mut world, figures): (
        std::collections::BTreeMap<String, typst::foundations::Bytes>,
        &std::collections::BTreeMap<String, serde_json::Value>,
    ),
    data: &serde_json::Value,
    title: &str,
) -> Result<(Vec<PathBuf>, Vec<String>), ReportError> {
    let bytes = serde_json::to_vec(data).map_err(|e| ReportError::new(e.to_string()))?;
    world.insert(
        "/data.json".to_owned(),
        typst::foundations::Bytes::new(bytes),
    );
    let page = html::page(&typeset::html(template, world.clone())?, figures);
    let laid_out = typeset::layout(template, world)?;
    let pdf = typeset::pdf(&laid_out, title)?;
    let files = vec![
        dir.write_bytes(&format!("{stem}.pdf"), &pdf)?,
        dir.write_bytes(&format!("{stem}.html"), page.as_bytes())?,
    ];
    Ok((files, typeset::text(&laid_out)))
}

/// A report that could not be made, in words for the user.
#[derive(Debug)]
pub struct ReportError(pub String);

impl ReportError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReportError {}

impl From<io::Error> for ReportError {
    fn from(e: io::Error) -> Self {
        Self(e.to_string())
    }
}

#[cfg(test)]
mod readme {
    use std::path::Path;

    #[test]
    fn the_reports_readme_documents_every_output_of_the_schema() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/README.md");
        let readme = std::fs::read_to_string(&path).expect("reports/README.md exists");
        let begin = "<!-- run-outputs:begin -->\n";
        let end = "<!-- run-outputs:end -->";
        let section = readme.find(begin).and_then(|b| {
            readme[b..]
                .find(end)
                .map(|e| &readme[b + begin.len()..b + e])
        });
        let generated = sovsim_core::rundir::schema::run_markdown(&crate::document::CHARTS);
        assert_eq!(
            section,
            Some(generated.as_str()),
            "reports/README.md is out of date; its section between the run-outputs markers should be what `sovsim outputs` prints"
        );
    }
}
