//! The invariants of `ARCHITECTURE.md` that are absences, checked on the source tree (rust-analyzer's
//! tidy tests): every file says what it is for; no module circle in any crate and, in the core,
//! no import running back up its layers; no I/O or printing outside the binary; heavy
//! dependencies only in the crates that own them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::repo;

/// The Rust files under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("readable")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The folder name of a crate under `sim/`, which is its package name.
fn crate_name(krate: &Path) -> String {
    krate
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}

fn crates() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("sim"))
        .expect("sim/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    out.sort();
    out
}

/// Source without `//` comments (doc comments included), so that words in prose do not count.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_rust_file_opens_with_a_line_saying_what_it_is_for() {
    let mut missing = Vec::new();
    for krate in crates() {
        for file in rust_files(&krate) {
            let text = std::fs::read_to_string(&file).expect("readable");
            if !text.starts_with("//!") {
                missing.push(file.display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a `//!` first line: {missing:#?}"
    );
}

/// The module path of each file of a crate's `src/` (`engine::buildout`), with its text.
fn modules(krate: &Path) -> BTreeMap<String, String> {
    let src = krate.join("src");
    rust_files(&src)
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).expect("under src");
            let mut parts: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts
                .last()
                .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
            {
                parts.pop();
            }
            (
                parts.join("::"),
                std::fs::read_to_string(&f).expect("readable"),
            )
        })
        .collect()
}

/// Edges from each module to the modules its `crate::…` and `super::…` paths name (the longest
/// module prefix). Edges to a module's own ancestors are left out: a parent declares its children,
/// and a child reading its parent's items is not a circle of design.
fn imports(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (m, text) in mods {
        let code = code(text);
        let mut to = BTreeSet::new();
        let segs_of = |m: &str| -> Vec<String> {
            m.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut paths: Vec<(Vec<String>, String)> = Vec::new();
        for (i, _) in code.match_indices("crate::") {
            paths.push((Vec::new(), code[i + "crate::".len()..].to_owned()));
        }
        for (i, _) in code.match_indices("super::") {
            // Only the first `super::` of a chain starts a path.
            if code[..i].ends_with("super::") {
                continue;
            }
            let mut rest = &code[i..];
            let mut base = segs_of(m);
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            paths.push((base, rest.to_owned()));
        }
        for (base, rest) in paths {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut targets = vec![path.trim_end_matches(':').to_owned()];
            // `…::a::{b, c::d}`: each member too.
            let after = &rest[path.len()..];
            if path.ends_with("::") && after.starts_with('{') {
                let inner = after[1..].split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let item = item.trim().split(" as ").next().unwrap_or("").trim();
                    targets.push(format!("{path}{item}"));
                }
            }
            for t in targets {
                let mut segs = base.clone();
                segs.extend(segs_of(&t));
                if let Some(target) = (1..=segs.len())
                    .rev()
                    .map(|n| segs[..n].join("::"))
                    .find(|p| mods.contains_key(p))
                    && target != *m
                    && !m.starts_with(&format!("{target}::"))
                {
                    to.insert(target);
                }
            }
        }
        edges.insert(m.clone(), to);
    }
    edges
}

/// Strongly connected sets of more than one module (Tarjan), each sorted.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut set = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                set.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if set.len() > 1 {
                set.sort();
                s.out.push(set);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_circle_finder_finds_a_circle_and_only_it() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &["a"][..]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
    .collect();
    assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
    let mods: BTreeMap<String, String> = [
        (
            "model".to_owned(),
            "//! m\nuse crate::study::run;".to_owned(),
        ),
        (
            "study::run".to_owned(),
            "//! r\nuse crate::model::{Scenario, lever::Input};".to_owned(),
        ),
    ]
    .into();
    let found = imports(&mods);
    assert!(found["model"].contains("study::run") && found["study::run"].contains("model"));
}

#[test]
fn no_module_circle_in_any_crate() {
    let mut found = Vec::new();
    for krate in crates() {
        for circle in circles(&imports(&modules(&krate))) {
            found.push(format!("{}: {}", krate.display(), circle.join(" → ")));
        }
    }
    assert!(found.is_empty(), "module circles: {found:#?}");
}

/// The core's layers, lowest first: a module imports only from its own layer or those below.
const LAYERS: &[&[&str]] = &[
    &["units", "diagnostic"],
    &["catalog"],
    &["model"],
    &["scenario", "sovereignty", "workload", "assumptions"],
    &["engine"],
    &["dispatch"],
    &["finance"],
    &["study", "validation"],
    &["rundir"],
    &["sweep"],
    &["text"],
];

fn layer(module: &str) -> Option<usize> {
    let top = module.split("::").next().unwrap_or(module);
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn the_core_imports_only_down_its_layers() {
    let mods = modules(&repo().join("sim/sovsim-core"));
    let mut up = Vec::new();
    for (from, to) in imports(&mods) {
        if from.is_empty() {
            continue; // lib.rs declares every module.
        }
        let Some(a) = layer(&from) else {
            up.push(format!("`{from}` is in no layer of this test"));
            continue;
        };
        for t in to {
            if layer(&t).is_some_and(|b| b > a) {
                up.push(format!("`{from}` imports `{t}`, a layer above it"));
            }
        }
    }
    assert!(up.is_empty(), "{up:#?}");
}

#[test]
fn no_io_and_no_printing_outside_the_binary() {
    // The core does no I/O at all; the optimiser and the report print nothing (the report writes
    // run directories, which is its job). Only `sim/sovsim` prints or exits.
    let forbidden_everywhere = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "std::process::exit",
    ];
    let forbidden_in_core = [
        "std::fs",
        "File::open",
        "File::create",
        "std::io::stdin",
        "std::env::args",
        "std::net",
        "std::process",
    ];
    let mut found = Vec::new();
    for krate in crates() {
        let name = crate_name(&krate);
        if name == "sovsim" {
            continue;
        }
        for file in rust_files(&krate.join("src")) {
            let code = code(&std::fs::read_to_string(&file).expect("readable"));
            // Unit tests may read fixtures.
            let code = code.split("#[cfg(test)]").next().unwrap_or("");
            for f in forbidden_everywhere.iter().chain(if name == "sovsim-core" {
                forbidden_in_core.iter()
            } else {
                [].iter()
            }) {
                if code.contains(f) {
                    found.push(format!("{}: `{f}`", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The `[dependencies]` of a crate's manifest, by name.
fn dependencies(krate: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(krate.join("Cargo.toml")).expect("manifest");
    let manifest: toml::Table = text.parse().expect("TOML");
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn heavy_dependencies_live_only_in_the_crates_that_own_them() {
    let owners: [(&str, &[&str]); 4] = [
        (
            "sovsim-report",
            &[
                "polars",
                "typst",
                "typst-pdf",
                "typst-layout",
                "typst-assets",
                "plotters",
                "rust_xlsxwriter",
            ],
        ),
        ("sovsim-optimise", &["good_lp"]),
        ("sovsim", &["clap", "indicatif"]),
        ("sovsim-core", &[]),
    ];
    let mut wrong = Vec::new();
    for krate in crates() {
        let name = crate_name(&krate);
        for dep in dependencies(&krate) {
            if let Some((owner, _)) = owners.iter().find(|(_, deps)| deps.contains(&dep.as_str()))
                && *owner != name
            {
                wrong.push(format!("{name} depends on {dep}, which only {owner} may"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn only_the_scenario_layer_knows_the_file_format() {
    // The wire structs (serde types of scenario files) and TOML stay inside `scenario` (and the
    // sweep file's reader): the domain model and everything above it read validated data only.
    let src = repo().join("sim");
    let scenario_dir = src.join("sovsim-core/src/scenario");
    // The other file format: sweep files, read by walking their TOML tree.
    let sweep_reader = src.join("sovsim-core/src/sweep/spec.rs");
    let mut found = Vec::new();
    for krate in crates() {
        for file in rust_files(&krate.join("src")) {
            if file.starts_with(&scenario_dir) || file == sweep_reader {
                continue;
            }
            let code = code(&std::fs::read_to_string(&file).expect("readable"));
            for name in ["wire::", "toml::", "use toml"] {
                if code.contains(name) {
                    found.push(format!("{}: `{name}`", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
