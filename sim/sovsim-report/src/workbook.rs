//! The workbook a lender's model auditor opens first (`model.xlsx`): a summary, the live model
//! (inputs, each phase's calculations and the programme as formulas: see [`crate::live`]), the
//! assumptions with their sources, sovsim's cash flows, sources & uses, contracts, phases,
//! tranches and the checks, each on its own sheet with number formats. Written from the run
//! directory, like the PDF.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use crate::ReportError;
use crate::data::RunData;

/// The number format of a column or key, from the unit at the end of its name (a `_p10`,
/// `_p50` or `_p90` suffix aside).
fn number_format(name: &str) -> Format {
    let f = Format::new();
    let unit = ["_p10", "_p50", "_p90"]
        .iter()
        .find_map(|q| name.strip_suffix(q))
        .unwrap_or(name);
    if unit.ends_with("_eur") || unit == "eur" {
        f.set_num_format("#,##0;[Red]-#,##0")
    } else if unit.contains("_eur_per_") {
        // Prices per GPU-hour or per million tokens: cents matter.
        f.set_num_format("#,##0.000")
    } else if name.contains("irr") || name.contains("share") || name.contains("probability") {
        f.set_num_format("0.0%")
    } else if name.contains("dscr") || name.contains("llcr") || name.contains("plcr") {
        f.set_num_format("0.00\"×\"")
    } else if name.contains("gpu_hours") || name.contains("tokens") {
        f.set_num_format("#,##0")
    } else {
        f.set_num_format("General")
    }
}

fn header() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(0xDCE6F1)
        .set_text_wrap()
}

fn xlsx(e: XlsxError) -> ReportError {
    ReportError::new(format!("cannot write the workbook: {e}"))
}

/// Writes `table` of the run onto a new sheet `name`, header row frozen.
fn table_sheet(
    book: &mut Workbook,
    run: &RunData,
    name: &str,
    table: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<(), ReportError> {
    let columns: Vec<String> = run.columns(table).into_iter().filter(|c| keep(c)).collect();
    if columns.is_empty() {
        return Ok(());
    }
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(xlsx)?;
    let head = header();
    for (j, c) in columns.iter().enumerate() {
        let col = j as u16;
        sheet
            .write_string_with_format(0, col, c, &head)
            .map_err(xlsx)?;
        if run.is_flag(table, c) {
            for (i, v) in run.flags(table, c).into_iter().enumerate() {
                sheet.write_boolean(i as u32 + 1, col, v).map_err(xlsx)?;
            }
        } else if run.is_numeric(table, c) {
            let format = number_format(c);
            for (i, v) in run.numbers(table, c).into_iter().enumerate() {
                if v.is_finite() {
                    sheet
                        .write_number_with_format(i as u32 + 1, col, v, &format)
                        .map_err(xlsx)?;
                }
            }
        } else {
            for (i, v) in run.texts(table, c).into_iter().enumerate() {
                sheet.write_string(i as u32 + 1, col, v).map_err(xlsx)?;
            }
        }
        sheet
            .set_column_width(col, (c.len() as f64 * 0.9).clamp(10.0, 22.0))
            .map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 1).map_err(xlsx)?;
    Ok(())
}

fn summary_sheet(sheet: &mut Worksheet, run: &RunData) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let head = header();
    sheet.write_string_with_format(0, 0, "key", &head)?;
    sheet.write_string_with_format(0, 1, "value", &head)?;
    for (i, (key, value)) in run.summary.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, key)?;
        match value {
            Value::Number(n) => {
                if let Some(v) = n.as_f64() {
                    sheet.write_number_with_format(row, 1, v, &number_format(key))?;
                }
            }
            Value::Bool(b) => {
                sheet.write_boolean(row, 1, *b)?;
            }
            Value::String(s) => {
                sheet.write_string(row, 1, s)?;
            }
            Value::Null => {
                sheet.write_string(row, 1, "n/a")?;
            }
            other => {
                sheet.write_string(row, 1, other.to_string())?;
            }
        }
    }
    sheet.set_column_width(0, 44)?;
    sheet.set_column_width(1, 24)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The workbook's bytes.
///
/// # Errors
/// If the workbook cannot be assembled.
pub fn build(run: &RunData) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    // A fixed creation date: the same run gives the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xlsx)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "sovsim model: {}",
                run.text("scenario_name").unwrap_or_default()
            ))
            .set_creation_datetime(&created),
    );
    summary_sheet(book.add_worksheet(), run).map_err(xlsx)?;
    // The live model: inputs, each phase's calculations and the programme, as formulas.
    crate::live::add(&mut book, run)?;
    table_sheet(&mut book, run, "Assumptions", "assumptions", |_| true)?;
    // sovsim's own figures of the base case, period by period (what the live model reproduces).
    table_sheet(&mut book, run, "Cash flows", "cashflows", |_| true)?;
    table_sheet(&mut book, run, "Sources & uses", "sources_uses", |_| true)?;
    table_sheet(&mut book, run, "Contracts", "contracts", |_| true)?;
    table_sheet(&mut book, run, "Phases", "phases", |_| true)?;
    table_sheet(&mut book, run, "Tranches", "tranches", |_| true)?;
    table_sheet(&mut book, run, "Checks", "finance_checks", |_| true)?;
    table_sheet(&mut book, run, "Replications", "replications", |_| true)?;
    book.save_to_buffer().map_err(xlsx)
}
