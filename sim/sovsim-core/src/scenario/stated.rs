//! The figures a scenario file states about the world, each with what its line says of where it
//! comes from: what the report counts to say how much of a scenario is estimated.
//!
//! Rules:
//! - A figure is a number, or a distribution (`{ dist = … }`, one figure), in the sections that
//!   describe the world: operators, sites, grid connections, power assets, halls, clusters, supply
//!   shocks, model overrides, demand, finance and contracts. The scenario's own settings (dates of
//!   the study, seed, dispatch, uncertainty, sensitivity ranges, cases, optimiser settings) are
//!   modelling choices, not figures about the world, and the unapplied `[overrides.*]` are not used.
//! - Its origin is the comment on its own line: an estimate when the comment says `ESTIMATE`
//!   (the convention of every shipped scenario), sourced when it says anything else, and unstated
//!   when the line has no comment.

use super::tree::{Node, Seg, path_string};
use crate::diagnostic::SourceMap;
use crate::model::{FigureOrigin, StatedFigure};
use toml::de::DeValue;

/// Top-level keys whose numbers are figures about the world.
const WORLD: [&str; 12] = [
    "operators",
    "sites",
    "grid_connections",
    "power_assets",
    "shells",
    "clusters",
    "supply_shocks",
    "models",
    "demand",
    "finance",
    "contracts",
    "scenario",
];

/// Keys of `[scenario]` that are figures about the world (the rest set up the study).
const SCENARIO_FIGURES: [&str; 1] = ["discount_rate"];

/// Every figure the merged document `root` states, in document order, with its origin read from
/// `sources`.
pub fn figures(root: &Node<'_>, sources: &SourceMap) -> Vec<StatedFigure> {
    let mut out = Vec::new();
    if let DeValue::Table(table) = root.get_ref() {
        for (key, value) in table.iter() {
            let name = key.get_ref().to_string();
            if !WORLD.contains(&name.as_str()) {
                continue;
            }
            let mut path = vec![Seg::Key(name.clone())];
            if name == "scenario" {
                if let DeValue::Table(meta) = value.get_ref() {
                    for (k, v) in meta.iter() {
                        if SCENARIO_FIGURES.contains(&k.get_ref().as_ref()) {
                            path.push(Seg::Key(k.get_ref().to_string()));
                            walk(v, &mut path, sources, &mut out);
                            path.pop();
                        }
                    }
                }
                continue;
            }
            walk(value, &mut path, sources, &mut out);
        }
    }
    out.sort_by_key(|f| f.offset);
    out
}

fn walk(node: &Node<'_>, path: &mut Vec<Seg>, sources: &SourceMap, out: &mut Vec<StatedFigure>) {
    match node.get_ref() {
        DeValue::Table(t) if t.get("dist").is_some() => out.push(figure(node, path, sources)),
        DeValue::Table(t) => {
            for (k, v) in t.iter() {
                path.push(Seg::Key(k.get_ref().to_string()));
                walk(v, path, sources, out);
                path.pop();
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(v, path, sources, out);
                path.pop();
            }
        }
        DeValue::Integer(_) | DeValue::Float(_) => out.push(figure(node, path, sources)),
        _ => {}
    }
}

fn figure(node: &Node<'_>, path: &[Seg], sources: &SourceMap) -> StatedFigure {
    let span = node.span();
    let (text, location, comment) = match sources.file_of(span.start) {
        Some((index, local)) => {
            let file = &sources.files()[index];
            let end = (local + span.len()).min(file.text.len());
            let value = file.text.get(local..end).unwrap_or_default().to_owned();
            let (line_no, line) = file.line_at(local);
            let comment = comment_of(line);
            (value, format!("{}:{line_no}", file.name), comment)
        }
        None => (String::new(), String::new(), String::new()),
    };
    let origin = if comment.contains("ESTIMATE") {
        FigureOrigin::Estimate
    } else if comment.is_empty() {
        FigureOrigin::Unstated
    } else {
        FigureOrigin::Sourced
    };
    StatedFigure {
        path: path_string(path),
        value: text.split_whitespace().collect::<Vec<_>>().join(" "),
        location,
        comment,
        origin,
        offset: span.start,
    }
}

/// The comment of a TOML line: after the first `#` outside a string, trimmed.
fn comment_of(line: &str) -> String {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return line[i + 1..].trim().to_owned(),
            None => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::comment_of;

    #[test]
    fn a_comment_starts_at_the_first_hash_outside_a_string() {
        assert_eq!(
            comment_of("x = 1   # ESTIMATE: a guess"),
            "ESTIMATE: a guess"
        );
        assert_eq!(comment_of(r#"name = "A # B" # sourced"#), "sourced");
        assert_eq!(comment_of(r#"name = "a \" # b""#), "");
        assert_eq!(comment_of("x = 1"), "");
    }
}
