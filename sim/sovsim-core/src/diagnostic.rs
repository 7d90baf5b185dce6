//! Diagnostics: every problem found in a scenario, with where it is, what was expected and a hint.
//!
//! Problems are collected, never thrown: loading a scenario returns all of them at once.
//! Spans are byte ranges in a [`SourceMap`], which concatenates every file read (a scenario and the
//! bases it extends) so that one number locates a byte in any of them.

use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{self as csf, Files};
use codespan_reporting::term;
use serde::Serialize;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The scenario cannot be used.
    Error,
    /// The scenario can be used but is probably not what its author meant.
    Warning,
}

/// One problem in a scenario or a catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Stable, kebab-case identifier of the kind of problem, e.g. `unknown-field`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Byte range in the [`SourceMap`]; `None` when the problem has no place in a file.
    pub span: Option<Range<usize>>,
    /// Path of the field in the scenario, e.g. `sites[1].max_it_mw`; empty for file-level problems.
    pub field: String,
    /// What is wrong, in one line.
    pub message: String,
    /// What would have been accepted.
    pub expected: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error with a message; add the rest with the builder methods.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            span: None,
            field: String::new(),
            message: message.into(),
            expected: None,
            hint: None,
        }
    }

    /// A warning with a message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    /// Where the problem is.
    #[must_use]
    pub fn at(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    /// Which field the problem is in.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }

    /// What would have been accepted.
    #[must_use]
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// How to fix it.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// One file of a [`SourceMap`].
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as resolved from `extends`), for display.
    pub name: String,
    /// The file's text.
    pub text: String,
    /// Global offset of the file's first byte.
    pub base: usize,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// The line holding byte `local` of this file: its 1-based number and its text without the
    /// line break. Read from the line index built once when the file was added, so that naming
    /// the line of every figure in a long scenario does not rescan the file each time.
    pub fn line_at(&self, local: usize) -> (usize, &str) {
        let line = self.line_index(local);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        (line + 1, self.text.get(start..end).unwrap_or_default())
    }

    /// The 0-based line holding byte `local`.
    fn line_index(&self, local: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= local)
            .saturating_sub(1)
    }
}

/// All files read while loading a scenario, laid end to end in one global byte space.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

/// A position for people: file, 1-based line and 1-based column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// File name as displayed.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl SourceMap {
    /// Adds a file and returns the global offset of its first byte.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        let text = text.into();
        // One byte of gap between files so that an empty file still owns an offset.
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        let line_starts = csf::line_starts(&text).collect();
        self.files.push(SourceFile {
            name: name.into(),
            text,
            base,
            line_starts,
        });
        base
    }

    /// The files, in the order they were added.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Which file holds a global offset, and the offset within it.
    pub fn file_of(&self, offset: usize) -> Option<(usize, usize)> {
        let index = self
            .files
            .partition_point(|f| f.base <= offset)
            .checked_sub(1)?;
        let file = &self.files[index];
        (offset <= file.base + file.text.len()).then(|| (index, offset - file.base))
    }

    /// File, line and column of a global offset.
    pub fn locate(&self, offset: usize) -> Option<Location> {
        let (index, local) = self.file_of(offset)?;
        let file = &self.files[index];
        let line = file.line_index(local);
        let start = file.line_starts[line];
        let column = file
            .text
            .get(start..local)
            .map_or(local - start, |s| s.chars().count())
            + 1;
        Some(Location {
            file: file.name.clone(),
            line: line + 1,
            column,
        })
    }

    /// Renders diagnostics as text with the source line and a caret, readable without colour.
    pub fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let config = term::Config::default();
        let mut out = String::new();
        for diagnostic in diagnostics {
            let rendered = term::emit_into_string(&config, self, &self.to_codespan(diagnostic));
            // Rendering fails only for a span outside every file, which `to_codespan` excludes;
            // fall back to a plain line rather than lose the problem.
            out.push_str(&rendered.unwrap_or_else(|_| format!("error: {}\n", diagnostic.message)));
        }
        out
    }

    fn to_codespan(&self, d: &Diagnostic) -> cs::Diagnostic<usize> {
        let severity = match d.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let mut out = cs::Diagnostic::new(severity)
            .with_code(d.code)
            .with_message(&d.message);
        if let Some((file, range)) = d.span.as_ref().and_then(|s| self.local_range(s)) {
            let label = d
                .expected
                .as_ref()
                .map_or_else(String::new, |e| format!("expected {e}"));
            out = out.with_labels(vec![cs::Label::primary(file, range).with_message(label)]);
        }
        let mut notes = Vec::new();
        if !d.field.is_empty() {
            notes.push(format!("field: {}", d.field));
        }
        if let Some(hint) = &d.hint {
            notes.push(format!("hint: {hint}"));
        }
        out.with_notes(notes)
    }

    fn local_range(&self, span: &Range<usize>) -> Option<(usize, Range<usize>)> {
        let (file, start) = self.file_of(span.start)?;
        let len = self.files[file].text.len();
        let end = (start + span.end.saturating_sub(span.start)).min(len);
        Some((file, start.min(len)..end))
    }

    /// The same diagnostics as data, for `--format json`.
    pub fn to_json(&self, diagnostics: &[Diagnostic]) -> Vec<DiagnosticJson> {
        diagnostics
            .iter()
            .map(|d| {
                let location = d.span.as_ref().and_then(|s| self.locate(s.start));
                DiagnosticJson {
                    severity: d.severity,
                    code: d.code,
                    file: location.as_ref().map(|l| l.file.clone()),
                    line: location.as_ref().map(|l| l.line),
                    column: location.as_ref().map(|l| l.column),
                    field: d.field.clone(),
                    message: d.message.clone(),
                    expected: d.expected.clone(),
                    hint: d.hint.clone(),
                }
            })
            .collect()
    }
}

/// A diagnostic as written by `sovsim validate --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct DiagnosticJson {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Kind of problem.
    pub code: &'static str,
    /// File the problem is in.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// Field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub expected: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
}

impl<'a> Files<'a> for SourceMap {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, csf::Error> {
        self.files
            .get(id)
            .map(|f| f.name.as_str())
            .ok_or(csf::Error::FileMissing)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, csf::Error> {
        self.files
            .get(id)
            .map(|f| f.text.as_str())
            .ok_or(csf::Error::FileMissing)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, csf::Error> {
        let file = self.files.get(id).ok_or(csf::Error::FileMissing)?;
        Ok(file.line_index(byte_index))
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, csf::Error> {
        let file = self.files.get(id).ok_or(csf::Error::FileMissing)?;
        let start = *file
            .line_starts
            .get(line_index)
            .ok_or(csf::Error::LineTooLarge {
                given: line_index,
                max: file.line_starts.len() - 1,
            })?;
        let end = file
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(file.text.len());
        Ok(start..end)
    }
}

/// Edit distance between two short strings, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// The closest candidate to `word`, if close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_offsets_across_files() {
        let mut map = SourceMap::default();
        map.add("a.toml", "x = 1\ny = 2\n");
        let base = map.add("b.toml", "z = 3\n");
        assert_eq!(
            map.locate(6),
            Some(Location {
                file: "a.toml".into(),
                line: 2,
                column: 1
            })
        );
        assert_eq!(
            map.locate(base + 4),
            Some(Location {
                file: "b.toml".into(),
                line: 1,
                column: 5
            })
        );
    }

    #[test]
    fn names_the_line_holding_an_offset_without_its_break() {
        let mut map = SourceMap::default();
        map.add("a.toml", "x = 1 # a\r\ny = 2\n\nz = 3");
        let file = &map.files()[0];
        assert_eq!(file.line_at(0), (1, "x = 1 # a\r"));
        // The line break belongs to the line it ends.
        assert_eq!(file.line_at(10), (1, "x = 1 # a\r"));
        assert_eq!(file.line_at(11), (2, "y = 2"));
        assert_eq!(file.line_at(17), (3, ""));
        // The last line has no break; its end is the file's.
        assert_eq!(file.line_at(22), (4, "z = 3"));
        assert_eq!(file.line_at(23), (4, "z = 3"));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("capacty_mw", ["capacity_mw", "country"]),
            Some("capacity_mw")
        );
        assert_eq!(did_you_mean("zzz", ["capacity_mw"]), None);
    }
}
