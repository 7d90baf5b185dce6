//! A catalog table for people (`sovsim catalog`): aligned columns, estimates marked `~`, and every
//! row's source listed below.

use crate::catalog::Table;

const PROVENANCE: [&str; 3] = ["estimated_fields", "source", "source_date"];

/// Renders one catalog file as aligned columns followed by its sources.
///
/// # Errors
/// If the text is not CSV.
pub fn render(table: &Table, text: &str) -> Result<String, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let shown: Vec<usize> = (0..headers.len())
        .filter(|&i| !PROVENANCE.contains(&headers[i].as_str()))
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut rows: Vec<Vec<String>> = vec![shown.iter().map(|&i| headers[i].clone()).collect()];
    let mut sources = Vec::new();
    for record in reader.records() {
        let record = record?;
        let estimated: Vec<&str> = column("estimated_fields")
            .and_then(|i| record.get(i))
            .unwrap_or("")
            .split(';')
            .collect();
        rows.push(
            shown
                .iter()
                .map(|&i| {
                    let cell = record.get(i).unwrap_or("");
                    let mark = if estimated.contains(&headers[i].as_str()) && !cell.is_empty() {
                        "~"
                    } else {
                        ""
                    };
                    format!("{mark}{cell}")
                })
                .collect(),
        );
        // Rows keyed by a pair (model × accelerator, workload × accelerator) name both.
        let id = match column("accelerator") {
            Some(i) if i > 0 => format!(
                "{}/{}",
                record.get(0).unwrap_or(""),
                record.get(i).unwrap_or("")
            ),
            _ => record.get(0).unwrap_or("").to_owned(),
        };
        let source = column("source").and_then(|i| record.get(i)).unwrap_or("");
        let date = column("source_date")
            .and_then(|i| record.get(i))
            .unwrap_or("");
        sources.push(format!("  {id}: {source} ({date})"));
    }
    let widths: Vec<usize> = (0..shown.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!("{} — {} (data/{})\n", table.name, table.about, table.file);
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str("~ marks an ESTIMATE (derived, not read from the source); empty cells were not found in any source.\nsources:\n");
    for line in sources {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}
