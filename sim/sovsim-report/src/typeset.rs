//! Typesetting the report with the typst compiler used as a library: a closed world that holds
//! the template, the report's data (`/data.json`), the charts (`/charts/*.svg`) and the fonts
//! shipped in the binary. Nothing is fetched: no system fonts, no packages, no network, and no
//! clock (the PDF carries no date), so the same run gives the same PDF bytes.
//!
//! Files a template names besides these (a logo, an imported layout) are read from the template's
//! own directory, and never from outside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::layout::FrameItem;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

use crate::ReportError;

/// The template shipped with sovsim (`reports/templates/report.typ`).
pub const DEFAULT_TEMPLATE: &str = include_str!("../../../reports/templates/report.typ");

/// The comparison template shipped with sovsim (`reports/templates/compare.typ`).
pub const COMPARE_TEMPLATE: &str = include_str!("../../../reports/templates/compare.typ");

/// The shipped sweep template.
pub const SWEEP_TEMPLATE: &str = include_str!("../../../reports/templates/sweep.typ");

/// A template: its text and the directory its other files are read from.
#[derive(Clone, Debug)]
pub struct Template {
    /// Typst source.
    pub text: String,
    /// Where a file the template names (`image("logo.svg")`) is looked for; `None`: nowhere.
    pub dir: Option<PathBuf>,
    /// Shown in error messages.
    pub name: String,
}

impl Template {
    /// The shipped template.
    pub fn shipped() -> Self {
        Self {
            text: DEFAULT_TEMPLATE.to_owned(),
            dir: None,
            name: "reports/templates/report.typ (built in)".to_owned(),
        }
    }

    /// The shipped comparison template.
    pub fn compare() -> Self {
        Self {
            text: COMPARE_TEMPLATE.to_owned(),
            dir: None,
            name: "reports/templates/compare.typ (built in)".to_owned(),
        }
    }

    /// The shipped sweep template.
    pub fn sweep() -> Self {
        Self {
            text: SWEEP_TEMPLATE.to_owned(),
            dir: None,
            name: "reports/templates/sweep.typ (built in)".to_owned(),
        }
    }

    /// The template at `path`.
    ///
    /// # Errors
    /// If it cannot be read.
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let text = read_bounded(path, MAX_TEMPLATE_FILE_BYTES)
            .and_then(|b| String::from_utf8(b).map_err(|_| std::io::Error::other("not UTF-8 text")))
            .map_err(|e| {
                ReportError::new(format!(
                    "cannot read the template `{}`: {e}",
                    path.display()
                ))
            })?;
        Ok(Self {
            text,
            dir: path.parent().map(Path::to_path_buf),
            name: path.display().to_string(),
        })
    }
}

/// Largest file a template reads, itself included [bytes]: far above any template or logo, far
/// below what would exhaust memory.
pub const MAX_TEMPLATE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The bytes of `path` if it is a regular file of at most `limit` bytes: a FIFO or a device (or
/// a symlink to one) is refused before it is opened, and the read itself is bounded (a file may
/// grow; `/proc` files report no size). Every file sovsim reads from a user goes through here.
///
/// # Errors
/// The file is missing, not a regular file, over the limit, or unreadable.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a directory, FIFO or device is never read)",
        ));
    }
    let over = || std::io::Error::other(format!("over sovsim's limit of {limit} bytes per file"));
    if meta.len() > limit {
        return Err(over());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(over());
    }
    Ok(bytes)
}

/// The fonts shipped in the binary: typst's own (serif, maths, mono) and DejaVu Sans.
fn fonts() -> Vec<Font> {
    let dejavu = [
        dejavu::sans::regular(),
        dejavu::sans::bold(),
        dejavu::sans::oblique(),
        dejavu::sans::bold_oblique(),
    ];
    typst_assets::fonts()
        .chain(dejavu)
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect()
}

struct ReportWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    source: Source,
    files: BTreeMap<String, Bytes>,
    dir: Option<PathBuf>,
}

impl ReportWorld {
    fn new(template: &Template, files: BTreeMap<String, Bytes>) -> Self {
        Self::with_library(template, files, Library::default())
    }

    fn with_library(template: &Template, files: BTreeMap<String, Bytes>, library: Library) -> Self {
        let fonts = fonts();
        let main = RootedPath::new(
            VirtualRoot::Project,
            VirtualPath::new("/main.typ").expect("`/main.typ` is a valid virtual path"),
        )
        .intern();
        Self {
            library: LazyHash::new(library),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main,
            source: Source::new(main, template.text.clone()),
            files,
            dir: template.dir.clone(),
        }
    }

    fn read(&self, id: FileId) -> FileResult<Bytes> {
        let rooted = id.get();
        if !matches!(rooted.root(), VirtualRoot::Project) {
            return Err(FileError::Other(Some(
                "packages are not available: the report is typeset offline".into(),
            )));
        }
        let path = rooted.vpath();
        if let Some(bytes) = self.files.get(path.get_with_slash()) {
            return Ok(bytes.clone());
        }
        let Some(dir) = &self.dir else {
            return Err(FileError::NotFound(PathBuf::from(path.get_with_slash())));
        };
        let real = path.realize(dir).map_err(FileError::Realize)?;
        read_bounded(&real, MAX_TEMPLATE_FILE_BYTES)
            .map(Bytes::new)
            .map_err(|e| FileError::from_io(e, &real))
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            return Ok(self.source.clone());
        }
        let bytes = self.read(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.read(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // No clock: the same run gives the same PDF.
        None
    }
}

/// Lays out `template` with `files` (`/data.json`, `/charts/...`) in its world.
///
/// # Errors
/// The template's errors, each with its line.
pub fn layout(
    template: &Template,
    files: BTreeMap<String, Bytes>,
) -> Result<PagedDocument, ReportError> {
    let world = ReportWorld::new(template, files);
    let compiled = typst::compile::<PagedDocument>(&world);
    compiled
        .output
        .map_err(|errors| ReportError::new(describe(&world, template, &errors)))
}

/// What typst's HTML export may leave out of a page: spacing and page layout, which HTML does
/// by its styles.
const LAYOUT_ONLY: [&str; 6] = ["v", "h", "flush", "pagebreak", "colbreak", "page set rule"];

/// `template` with `files` in its world, exported as HTML (typst's HTML export).
///
/// # Errors
/// The template's errors, each with its line.
pub fn html(template: &Template, files: BTreeMap<String, Bytes>) -> Result<String, ReportError> {
    use typst::{Feature, LibraryExt};
    let library = Library::builder()
        .with_features([Feature::Html].into_iter().collect())
        .build();
    let world = ReportWorld::with_library(template, files, library);
    let compiled = typst::compile::<typst_html::HtmlDocument>(&world);
    // Spacing and page layout have no place in HTML; anything else typst leaves out would be
    // missing from the page, which must say what the PDF says.
    let lost: Vec<String> = compiled
        .warnings
        .iter()
        .filter_map(|w| {
            let what = w.message.strip_suffix(" was ignored during HTML export")?;
            (!LAYOUT_ONLY.contains(&what)).then(|| what.to_owned())
        })
        .collect();
    if !lost.is_empty() {
        return Err(ReportError::new(format!(
            "the template's {} cannot be exported as HTML, so report.html would lack what it shows in the PDF; give it an HTML form with `context if target() == \"html\" {{ … }} else {{ … }}`",
            lost.join(", ")
        )));
    }
    let document = compiled
        .output
        .map_err(|errors| ReportError::new(describe(&world, template, &errors)))?;
    typst_html::html(&document, &typst_html::HtmlOptions { pretty: true })
        .map_err(|errors| ReportError::new(describe(&world, template, &errors)))
}

/// The PDF of a laid-out document.
///
/// # Errors
/// If export fails.
pub fn pdf(document: &PagedDocument, title: &str) -> Result<Vec<u8>, ReportError> {
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(format!("sovsim report {title}")),
        timestamp: None,
        ..typst_pdf::PdfOptions::default()
    };
    typst_pdf::pdf(document, &options).map_err(|errors| {
        ReportError::new(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The text of a laid-out document, page by page, runs separated by spaces (what a reader sees).
pub fn text(document: &PagedDocument) -> Vec<String> {
    fn walk(frame: &typst::layout::Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(g) => walk(&g.frame, out),
                FrameItem::Text(t) => {
                    out.push_str(&t.text);
                    out.push(' ');
                }
                _ => {}
            }
        }
    }
    document
        .pages()
        .iter()
        .map(|p| {
            let mut s = String::new();
            walk(&p.frame, &mut s);
            s
        })
        .collect()
}

fn describe(world: &ReportWorld, template: &Template, errors: &[SourceDiagnostic]) -> String {
    let mut out = format!("the report template `{}` failed:", template.name);
    for e in errors {
        let line = e
            .span
            .id()
            .filter(|id| *id == world.main)
            .and_then(|_| world.range(e.span))
            .and_then(|r| world.source.lines().byte_to_line(r.start))
            .map(|l| format!("line {}: ", l + 1))
            .unwrap_or_default();
        out.push_str(&format!("\n  {line}{}", e.message));
        for hint in &e.hints {
            out.push_str(&format!("\n    hint: {}", hint.v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template {
            text: text.to_owned(),
            dir: None,
            name: "test.typ".to_owned(),
        }
    }

    #[test]
    fn the_html_keeps_what_the_page_says_and_refuses_to_lose_content() {
        let html = html(
            &template("#set page(margin: 1cm)\n= Title\n#v(1cm)\nNPV is *€1.2bn*.\n#pagebreak()\n#table(columns: 2, [a], [b])\n"),
            BTreeMap::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<strong>€1.2bn</strong>"), "{html}");
        assert!(html.contains("<td>b</td>"), "{html}");
        let lost = match super::html(
            &template("#place(top + right)[A figure only the PDF would show]\n"),
            BTreeMap::new(),
        ) {
            Ok(page) => panic!("placed content was dropped silently: {page}"),
            Err(e) => e.to_string(),
        };
        assert!(lost.contains("place"), "{lost}");
    }
}
