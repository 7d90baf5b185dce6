//! `model.xlsx` recalculated by an independent spreadsheet engine (LibreOffice, headless): its
//! formulas give the base case's CFADS, debt service, DSCR per period and IRRs as sovsim does, and
//! input cells changed in the workbook move them as the same change in the scenario does.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

mod common;
use common::{repo, sovsim};

/// One sheet as text, row by row.
type Sheet = Vec<Vec<String>>;

/// Every sheet of `xlsx`, recalculated by LibreOffice: a profile of its own told to recalculate
/// every formula on load (by default it trusts the values cached in the file).
fn recalculate(xlsx: &Path, work: &Path) -> BTreeMap<String, Sheet> {
    let profile = work.join("lo-profile");
    std::fs::create_dir_all(profile.join("user")).expect("files as the test and sovsim wrote them");
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .expect("files as the test and sovsim wrote them");
    let out = work.join("csv");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new("soffice")
        .arg("--headless")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        // Comma-separated UTF-8, raw values (not as shown), every sheet to its own file.
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
        ])
        .arg(&out)
        .arg(xlsx)
        .output()
        .expect("LibreOffice is installed (`./dev setup` installs libreoffice-calc-nogui)");
    assert!(status.status.success(), "{status:?}");
    let stem = xlsx
        .file_stem()
        .expect("files as the test and sovsim wrote them")
        .to_string_lossy()
        .into_owned();
    let mut sheets = BTreeMap::new();
    for entry in std::fs::read_dir(&out).expect("files as the test and sovsim wrote them") {
        let path = entry
            .expect("files as the test and sovsim wrote them")
            .path();
        let name = path
            .file_stem()
            .expect("files as the test and sovsim wrote them")
            .to_string_lossy()
            .into_owned();
        let Some(sheet) = name.strip_prefix(&format!("{stem}-")) else {
            continue;
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path)
            .expect("files as the test and sovsim wrote them");
        let rows: Sheet = reader
            .records()
            .map(|r| {
                r.expect("files as the test and sovsim wrote them")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        sheets.insert(sheet.to_owned(), rows);
    }
    sheets
}

/// A spreadsheet value as a number (`12.5%` is 0.125); `None` if empty or text.
fn number(cell: &str) -> Option<f64> {
    match cell.strip_suffix('%') {
        Some(p) => p.parse::<f64>().ok().map(|v| v / 100.0),
        None => cell.parse().ok(),
    }
}

/// The row of `sheet` labelled `label` (column A).
fn row<'a>(sheet: &'a Sheet, label: &str) -> &'a [String] {
    sheet
        .iter()
        .find(|r| r.first().is_some_and(|c| c == label))
        .unwrap_or_else(|| panic!("no row `{label}`"))
}

/// The single value (column C) of the row labelled `label`.
fn value(sheet: &Sheet, label: &str) -> Option<f64> {
    number(&row(sheet, label)[2])
}

/// The period values (from column E) of the row labelled `label`.
fn periods(sheet: &Sheet, label: &str) -> Vec<Option<f64>> {
    row(sheet, label)[4..].iter().map(|c| number(c)).collect()
}

/// A column of a run's `cashflows.csv`.
fn cashflows(run: &Path, column: &str) -> Vec<Option<f64>> {
    let mut reader = csv::Reader::from_path(run.join("cashflows.csv"))
        .expect("files as the test and sovsim wrote them");
    let at = reader
        .headers()
        .expect("files as the test and sovsim wrote them")
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    reader
        .records()
        .map(|r| {
            r.expect("files as the test and sovsim wrote them")[at]
                .parse()
                .ok()
        })
        .collect()
}

fn summary(run: &Path, key: &str) -> f64 {
    let text = std::fs::read_to_string(run.join("summary.json"))
        .expect("files as the test and sovsim wrote them");
    let start = text
        .find(&format!("\"{key}\":"))
        .expect("files as the test and sovsim wrote them")
        + key.len()
        + 3;
    let end = start
        + text[start..]
            .find([',', '\n', '}'])
            .expect("files as the test and sovsim wrote them");
    text[start..end]
        .trim()
        .parse()
        .expect("files as the test and sovsim wrote them")
}

/// The workbook's programme against the run's own figures: every period's CFADS, debt service and
/// DSCR, and the IRRs (the run's files are rounded to 1e-6).
fn assert_reproduces(book: &BTreeMap<String, Sheet>, run: &Path) {
    let programme = &book["Programme"];
    for (label, column, absolute) in [
        ("CFADS", "out_cfads_eur", 1e-3),
        ("Debt service", "out_debt_service_eur", 1e-3),
        ("DSCR (the phases owing service)", "out_dscr", 2e-6),
        ("Equity cash flow", "out_equity_cf_eur", 1e-3),
        ("Project cash flow", "out_project_cf_eur", 1e-3),
    ] {
        let ours = periods(programme, label);
        let theirs = cashflows(run, column);
        assert_eq!(ours.len(), theirs.len(), "{label}: periods");
        for (p, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            match (a, b) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= absolute + 1e-9 * b.abs(),
                    "{label}, period {p}: workbook {a}, sovsim {b} ({})",
                    run.display()
                ),
                (None, None) => {}
                _ => panic!("{label}, period {p}: workbook {a:?}, sovsim {b:?}"),
            }
        }
    }
    for (label, key) in [("Project IRR", "project_irr"), ("Equity IRR", "equity_irr")] {
        let (a, b) = (
            value(programme, label).expect("files as the test and sovsim wrote them"),
            summary(run, key),
        );
        assert!((a - b).abs() <= 2e-6, "{label}: workbook {a}, sovsim {b}");
    }
    let (a, b) = (
        value(programme, "Smallest DSCR of any phase")
            .expect("files as the test and sovsim wrote them"),
        summary(run, "dscr_min"),
    );
    assert!(
        (a - b).abs() <= 2e-6,
        "smallest DSCR: workbook {a}, sovsim {b}"
    );
}

/// `xlsx` with the Inputs sheet's cells in column C rewritten by `change` (by label), as a user
/// would type them, saved as `to`.
fn edit_inputs(
    xlsx: &Path,
    inputs: &Sheet,
    change: impl Fn(&str, f64) -> Option<f64>,
    to: &Path,
) -> usize {
    let mut archive = zip::ZipArchive::new(
        std::fs::File::open(xlsx).expect("files as the test and sovsim wrote them"),
    )
    .expect("files as the test and sovsim wrote them");
    // Sheets are written in order: the summary, then the inputs.
    let name = "xl/worksheets/sheet2.xml";
    let mut xml = String::new();
    archive
        .by_name(name)
        .expect("files as the test and sovsim wrote them")
        .read_to_string(&mut xml)
        .expect("files as the test and sovsim wrote them");
    let mut changed = 0;
    for (i, r) in inputs.iter().enumerate() {
        let (Some(label), Some(old)) = (r.first(), r.get(2).and_then(|c| number(c))) else {
            continue;
        };
        let Some(new) = change(label, old) else {
            continue;
        };
        let cell = format!("<c r=\"C{}\"", i + 1);
        let at = xml
            .find(&cell)
            .unwrap_or_else(|| panic!("no cell for {label}"));
        let v = at
            + xml[at..]
                .find("<v>")
                .expect("files as the test and sovsim wrote them")
            + 3;
        let end = v + xml[v..]
            .find("</v>")
            .expect("files as the test and sovsim wrote them");
        xml.replace_range(v..end, &format!("{new:?}"));
        changed += 1;
    }
    let mut writer = zip::ZipWriter::new(
        std::fs::File::create(to).expect("files as the test and sovsim wrote them"),
    );
    for k in 0..archive.len() {
        let file = archive
            .by_index_raw(k)
            .expect("files as the test and sovsim wrote them");
        if file.name() == name {
            continue;
        }
        writer
            .raw_copy_file(file)
            .expect("files as the test and sovsim wrote them");
    }
    writer
        .start_file(name, zip::write::SimpleFileOptions::default())
        .expect("files as the test and sovsim wrote them");
    writer
        .write_all(xml.as_bytes())
        .expect("files as the test and sovsim wrote them");
    writer
        .finish()
        .expect("files as the test and sovsim wrote them");
    changed
}

#[test]
fn the_workbook_recalculated_by_libreoffice_gives_sovsims_figures_and_moves_with_its_inputs() {
    let work = tempfile::tempdir().expect("files as the test and sovsim wrote them");
    let work = work.path();
    // The neocloud: two phases, a contract, an infrastructure and a GPU facility, a DSRA, tax,
    // lock-up, merchant hours of three generations. The case moves the inputs the workbook holds
    // as cells: the contract price, every generation's market price, the base rate.
    let text = std::fs::read_to_string(repo().join("scenarios/neocloud-1.3gw.toml"))
        .expect("files as the test and sovsim wrote them");
    let scenario = work.join("neocloud.toml");
    std::fs::write(
        &scenario,
        format!(
            "{text}\n[cases.workbook]\ndescription = \"contract +10 %, market rents −10 %, base rate +1 point\"\ninputs = {{ contract_price = 0.10, gpu_rent = -0.10, base_rate = 0.01 }}\n"
        ),
    )
    .expect("files as the test and sovsim wrote them");
    let (base, case) = (work.join("base"), work.join("case"));
    let s = scenario
        .to_str()
        .expect("files as the test and sovsim wrote them");
    sovsim(&[
        "run",
        s,
        "--runs",
        "1",
        "--out",
        base.to_str()
            .expect("files as the test and sovsim wrote them"),
    ]);
    sovsim(&[
        "run",
        s,
        "--runs",
        "1",
        "--case",
        "workbook",
        "--out",
        case.to_str()
            .expect("files as the test and sovsim wrote them"),
    ]);

    let book = recalculate(&base.join("model.xlsx"), &work.join("base-lo"));
    for sheet in ["Inputs", "Calc north-sweden", "Calc kainuu", "Programme"] {
        assert!(book.contains_key(sheet), "sheet {sheet}: {:?}", book.keys());
    }
    assert_reproduces(&book, &base);

    // The same change typed into the workbook's input cells.
    let edited = work.join("edited.xlsx");
    let changed = edit_inputs(
        &base.join("model.xlsx"),
        &book["Inputs"],
        |label, v| {
            if label.ends_with(": first-year price") {
                Some(v * 1.1)
            } else if label.ends_with(": market price when new (base case)") {
                Some(v * 0.9)
            } else if label == "base rate of every facility" {
                Some(v + 0.01)
            } else {
                None
            }
        },
        &edited,
    );
    assert_eq!(
        changed,
        1 + 3 + 1,
        "one contract, three generations, the base rate"
    );
    let moved = recalculate(&edited, &work.join("edited-lo"));
    assert_reproduces(&moved, &case);
    // And the change matters: the equity IRR moved.
    let irr = |b: &BTreeMap<String, Sheet>| {
        value(&b["Programme"], "Equity IRR").expect("files as the test and sovsim wrote them")
    };
    assert!((irr(&moved) - irr(&book)).abs() > 1e-3);
}
