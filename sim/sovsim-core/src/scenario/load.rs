//! Loading a scenario: read the `extends` chain, parse every file, merge, apply named overrides,
//! deserialize into the wire structs collecting every error, then convert into the domain model.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::convert;
use super::tree::{self, Node, Seg};
use super::wire::ScenarioFile;
use crate::catalog::Catalog;
use crate::diagnostic::{Diagnostic, SourceMap, did_you_mean};
use crate::model::Scenario;

/// Where scenario files come from; the binary reads the file system, tests use memory.
pub trait SourceReader {
    /// The text of the file at `path`, or a reason it cannot be read.
    ///
    /// # Errors
    /// A human-readable reason (e.g. "No such file or directory").
    fn read(&self, path: &Path) -> Result<String, String>;

    /// The bytes of the file at `path`: what loading reads, so that text that is not UTF-8 gets a
    /// diagnostic at its first invalid byte. Defaults to [`SourceReader::read`].
    ///
    /// # Errors
    /// As [`SourceReader::read`]; the reason never quotes the file's contents.
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.read(path).map(String::into_bytes)
    }
}

/// Files held in memory, by path: a scenario just written (a plan), or a test's text.
#[derive(Clone, Debug, Default)]
pub struct InMemory(pub std::collections::BTreeMap<PathBuf, String>);

impl SourceReader for InMemory {
    fn read(&self, path: &Path) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_owned())
    }
}

/// Everything loading produced: the files read, the scenario if valid, and every problem found.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The scenario, if there was no error.
    pub scenario: Option<Scenario>,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// SHA-256 of every file read, in reading order (hex).
    pub hash: String,
    /// The merged file (bases, overrides) the scenario came from, if it was valid: what a plan
    /// rewrites into a scenario file of its own.
    pub resolved: Option<super::plan::Resolved>,
}

impl Loaded {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Errors collected from one document before giving up on it: enough for any real file.
const MAX_WIRE_ERRORS: usize = 200;

/// Loads the scenario at `path`, applying the named overrides `extra_overrides` after those it lists.
pub fn load(
    path: &Path,
    reader: &dyn SourceReader,
    catalog: &Catalog,
    extra_overrides: &[String],
) -> Loaded {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    read_chain(path, reader, &mut sources, &mut diagnostics);
    finish(sources, diagnostics, catalog, extra_overrides)
}

/// The files `loaded` read, loaded again with the named overrides `extra_overrides` (after those
/// the files list) from the texts already in memory: no file is read twice.
pub fn reload(loaded: &Loaded, catalog: &Catalog, extra_overrides: &[String]) -> Loaded {
    finish(loaded.sources.clone(), Vec::new(), catalog, extra_overrides)
}

/// Parses, merges and converts the files read into `sources`.
fn finish(
    sources: SourceMap,
    mut diagnostics: Vec<Diagnostic>,
    catalog: &Catalog,
    extra_overrides: &[String],
) -> Loaded {
    let hash = {
        let mut hasher = Sha256::new();
        for file in sources.files() {
            hasher.update(file.text.as_bytes());
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let (scenario, file) = if diagnostics.is_empty() {
        parse_and_convert(&sources, catalog, extra_overrides, &mut diagnostics)
    } else {
        (None, None)
    };
    diagnostics.sort_by_key(|d| (d.span.as_ref().map_or(usize::MAX, |s| s.start), d.severity));
    let scenario = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        scenario
    };
    let resolved = scenario.as_ref().and(file).map(super::plan::Resolved);
    Loaded {
        sources,
        scenario,
        diagnostics,
        hash,
        resolved,
    }
}

/// Reads the file and every base it extends, child first.
fn read_chain(
    path: &Path,
    reader: &dyn SourceReader,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut current = path.to_path_buf();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut extended_from: Option<std::ops::Range<usize>> = None;
    loop {
        let normal = normalize(&current);
        if seen.contains(&normal) {
            diagnostics.push(
                Diagnostic::error(
                    "extends-cycle",
                    format!(
                        "`{}` extends itself through its bases",
                        normalize(&current).display()
                    ),
                )
                .at(extended_from.clone())
                .field("extends")
                .expected("a chain of bases that ends")
                .hint("remove `extends` from one of the files in the cycle"),
            );
            return;
        }
        let text = match reader.read_bytes(&current) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    // Keep the file (its invalid bytes replaced) so that the problem has a place.
                    let at = e.utf8_error().valid_up_to();
                    let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let base = sources.add(current.display().to_string(), lossy);
                    diagnostics.push(
                        Diagnostic::error(
                            "not-utf8",
                            format!("`{}` is not UTF-8 text", current.display()),
                        )
                        .at(Some(base + at..base + at + 1))
                        .expected("UTF-8 text")
                        .hint("save the file as UTF-8; the byte marked here is not a character"),
                    );
                    return;
                }
            },
            Err(reason) => {
                let message = format!("cannot read `{}`: {reason}", current.display());
                let mut d = Diagnostic::error("file-unreadable", message).at(extended_from.clone());
                if extended_from.is_some() {
                    d = d
                        .field("extends")
                        .hint("the path is relative to the file that contains `extends`");
                }
                diagnostics.push(d);
                return;
            }
        };
        seen.push(normal);
        let base = sources.add(current.display().to_string(), text.clone());
        let (doc, _) = DeTable::parse_recoverable(&text);
        let Some(extends) = doc.get_ref().get("extends") else {
            return;
        };
        let Some(relative) = extends.get_ref().as_str() else {
            return;
        };
        let span = extends.span();
        extended_from = Some(base + span.start..base + span.end);
        current = current.parent().unwrap_or(Path::new("")).join(relative);
    }
}

/// Collapses `a/./b/../c` to `a/c` without touching the file system, to detect cycles.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn parse_and_convert(
    sources: &SourceMap,
    catalog: &Catalog,
    extra_overrides: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> (Option<Scenario>, Option<ScenarioFile>) {
    // Parse every file; bases were read after their children, so merge from the last one back.
    let mut trees = Vec::new();
    for file in sources.files() {
        let (doc, errors) = DeTable::parse_recoverable(&file.text);
        diagnostics.extend(errors.iter().map(|e| syntax(e, file.base)));
        let span = doc.span();
        let node: Node<'_> = toml::Spanned::new(span, DeValue::Table(doc.into_inner()));
        trees.push(tree::shift(node, file.base));
    }
    if !diagnostics.is_empty() {
        return (None, None);
    }
    let Some(mut root) = trees.pop() else {
        return (None, None);
    };
    while let Some(child) = trees.pop() {
        tree::merge(&mut root, child);
    }
    apply_overrides(&mut root, extra_overrides, diagnostics);
    let pruned = deserialize_collecting(&root, diagnostics);
    let removed = convert::Removed {
        ids: &pruned.removed_ids,
        paths: &pruned.removed_paths,
    };
    let Some(file) = pruned.file else {
        return (None, None);
    };
    let scenario =
        convert::convert(&file, &pruned.tree, catalog, &removed, diagnostics).map(|mut s| {
            s.stated = super::stated::figures(&root, sources);
            s
        });
    (scenario, Some(file))
}

/// A TOML syntax error of the file whose first byte is at `base`, located, as a diagnostic:
/// scenario files and sweep files alike.
pub(crate) fn syntax(e: &toml::de::Error, base: usize) -> Diagnostic {
    let span = e
        .span()
        .map(|s| base + s.start..base + s.end.max(s.start + 1));
    Diagnostic::error(
        "syntax",
        format!("TOML syntax: {}", first_line(e.message())),
    )
    .at(span)
    .hint("see https://toml.io for the syntax; strings need quotes, dates look like 2027-01-01")
}

fn first_line(message: &str) -> &str {
    message
        .lines()
        .next()
        .unwrap_or(message)
        .trim_end_matches('.')
}

/// Applies the overrides named in `apply`, then those named on the command line.
fn apply_overrides(root: &mut Node<'_>, extra: &[String], diagnostics: &mut Vec<Diagnostic>) {
    let mut names: Vec<(String, Option<std::ops::Range<usize>>, Vec<Seg>)> = Vec::new();
    if let Some(apply) = root
        .get_ref()
        .get("apply")
        .and_then(|a| a.get_ref().as_array())
    {
        for (i, item) in apply.iter().enumerate() {
            if let Some(name) = item.get_ref().as_str() {
                names.push((
                    name.to_owned(),
                    Some(item.span()),
                    vec![Seg::Key("apply".into()), Seg::Index(i)],
                ));
            }
        }
    }
    names.extend(
        extra
            .iter()
            .map(|n| (n.clone(), None, vec![Seg::Key("--override".into())])),
    );
    for (name, span, path) in names {
        let body = root
            .get_ref()
            .get("overrides")
            .and_then(|o| o.get_ref().get(name.as_str()))
            .cloned();
        match body {
            Some(body) => tree::merge(root, body),
            None => {
                let known: Vec<String> = root
                    .get_ref()
                    .get("overrides")
                    .and_then(|o| o.get_ref().as_table())
                    .map(|t| t.iter().map(|(k, _)| k.get_ref().to_string()).collect())
                    .unwrap_or_default();
                let mut d =
                    Diagnostic::error("unknown-override", format!("no override named `{name}`"))
                        .at(span)
                        .field(tree::path_string(&path))
                        .expected(if known.is_empty() {
                            "the name of an `[overrides.NAME]` table (this scenario defines none)"
                                .to_owned()
                        } else {
                            format!("one of {}", quoted(known.iter().map(String::as_str)))
                        });
                if let Some(close) = did_you_mean(&name, known.iter().map(String::as_str)) {
                    d = d.hint(format!("did you mean `{close}`?"));
                }
                diagnostics.push(d);
            }
        }
    }
}

/// The wire structs of what is left of a document once every broken part is removed.
struct Pruned<'i> {
    file: Option<ScenarioFile>,
    tree: Node<'i>,
    removed_ids: Vec<String>,
    removed_paths: Vec<String>,
}

/// Deserializes the wire structs; on each error, records it, removes the offending key and tries
/// again, so that one run reports every problem rather than the first. What survives is returned,
/// so that the semantic checks can run on it too.
fn deserialize_collecting<'i>(root: &Node<'i>, diagnostics: &mut Vec<Diagnostic>) -> Pruned<'i> {
    let mut work = root.clone();
    let mut explained: Vec<String> = Vec::new();
    let mut removed_ids = Vec::new();
    for _ in 0..MAX_WIRE_ERRORS {
        let error = match ScenarioFile::deserialize(ValueDeserializer::from(work.clone())) {
            Ok(file) => {
                return Pruned {
                    file: Some(file),
                    tree: work,
                    removed_ids,
                    removed_paths: explained,
                };
            }
            Err(e) => e,
        };
        let at = error.span().unwrap_or(work.span());
        let (path, span) = tree::locate(&work, &at);
        let field = tree::path_string(&path);
        let parent = tree::path_string(&path[..path.len().saturating_sub(1)]);
        let message = first_line(error.message()).to_owned();
        let missing = missing_field(&message).map(|f| join(&field, f));
        // A field reported missing because an earlier error removed or misspelt it is not news.
        if !missing.as_ref().is_some_and(|m| explained.contains(m)) {
            let mut d = translate(&message, &path, span.clone(), &at);
            if missing.is_some()
                && let Some(intended) = misspelt_id(&work, &path)
            {
                d = d.hint(format!(
                    "an entry with a new id is a new entity and needs every field; did you mean `{intended}`, which is already defined?"
                ));
            }
            if let Some(close) = d
                .hint
                .as_deref()
                .and_then(|h| h.strip_prefix("did you mean `"))
            {
                explained.push(join(&parent, close.trim_end_matches("`?")));
            }
            diagnostics.push(d);
        }
        explained.push(field.clone());
        let element_id = tree::get(&work, &path)
            .and_then(|n| n.get_ref().get("id"))
            .and_then(|v| v.get_ref().as_str())
            .map(str::to_owned);
        if span == work.span() || !tree::remove_at(&mut work, &span) {
            break;
        }
        if missing.is_some() {
            removed_ids.extend(element_id);
        }
    }
    Pruned {
        file: None,
        tree: work,
        removed_ids,
        removed_paths: explained,
    }
}

/// If the element at `path` has an id close to a sibling's, that sibling's id: a variant file that
/// misspells the id of the entity it meant to modify creates a new, incomplete one instead.
fn misspelt_id(root: &Node<'_>, path: &[Seg]) -> Option<String> {
    let (Seg::Index(index), parent) = path.split_last()? else {
        return None;
    };
    let siblings = tree::get(root, parent)?.get_ref().as_array()?;
    let id = siblings
        .get(*index)?
        .get_ref()
        .get("id")?
        .get_ref()
        .as_str()?;
    let others: Vec<&str> = siblings
        .iter()
        .enumerate()
        .filter(|(i, _)| i != index)
        .filter_map(|(_, s)| s.get_ref().get("id")?.get_ref().as_str())
        .collect();
    did_you_mean(id, others).map(str::to_owned)
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn quoted<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns serde's message into a diagnostic with an expectation and, for typos, a suggestion.
fn translate(
    message: &str,
    path: &[Seg],
    span: std::ops::Range<usize>,
    at: &std::ops::Range<usize>,
) -> Diagnostic {
    let field = &tree::path_string(path);
    if let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    {
        let is_field = message.starts_with("unknown field");
        let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let options: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let (code, what) = if is_field {
            ("unknown-field", "field")
        } else {
            ("unknown-variant", "value")
        };
        let mut d = Diagnostic::error(code, format!("unknown {what} `{name}`"))
            .at(Some(if is_field { span } else { at.clone() }))
            .field(field);
        d = if options.is_empty() {
            d.expected("no fields here")
        } else {
            d.expected(format!("one of {}", quoted(options.iter().copied())))
        };
        if let Some(close) = did_you_mean(name, options.iter().copied()) {
            d = d.hint(format!("did you mean `{close}`?"));
        } else if is_field {
            d = d.hint("remove it, or check the spelling against `sovsim schema`");
        }
        return d;
    }
    if let Some(name) = missing_field(message) {
        return Diagnostic::error("missing-field", format!("missing field `{name}`"))
            .at(Some(at.start..at.start + 1))
            .field(join(field, name))
            .expected(format!("`{name} = …` in this table"))
            .hint(
                match super::field_doc(&[path, &[Seg::Key(name.to_owned())]].concat()) {
                    Some(doc) => {
                        format!("`{name}`: {}", doc.replace('\n', " ").trim_end_matches('.'))
                    }
                    None => "every required field is listed in `sovsim schema`".to_owned(),
                },
            );
    }
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        return Diagnostic::error("wrong-type", format!("`{field}` has the wrong type: found {found}"))
            .at(Some(at.clone()))
            .field(field)
            .expected(plain_type(expected))
            .hint("numbers are written without quotes and units go in the key name, e.g. `capacity_mw = 300`");
    }
    if message.contains("did not match any variant of untagged enum ClauseValue") {
        return Diagnostic::error("wrong-type", format!("`{field}` is not a clause value"))
            .at(Some(at.clone()))
            .field(field)
            .expected("a number, `true`/`false`, a country code, `EU`, or a list of them");
    }
    Diagnostic::error("invalid", message.to_owned())
        .at(Some(at.clone()))
        .field(field)
}

/// Rust type names in serde's messages, said the way a scenario author thinks of them.
fn plain_type(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".to_owned(),
        "u64" | "u32" | "u16" | "u8" => "a whole number, zero or more".to_owned(),
        "i64" | "i32" => "a whole number".to_owned(),
        "a string" | "a boolean" | "a sequence" => {
            expected.replace("a sequence", "an array").to_owned()
        }
        e if e.starts_with("struct ") => "a table".to_owned(),
        e if e.starts_with("a map") => "a table".to_owned(),
        "a TOML datetime" => "a date such as 2027-01-01".to_owned(),
        e => e.to_owned(),
    }
}
