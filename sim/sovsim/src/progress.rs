//! Progress of long commands on stderr (indicatif), drawn only when stderr is a terminal: piped or
//! redirected output, and CI logs, stay free of escape codes.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar counting steps of one task; hidden when stderr is not a terminal.
#[derive(Clone, Debug)]
pub(crate) struct Progress(ProgressBar);

impl Progress {
    /// A bar of `steps` steps, labelled `what` ("replications", "evaluations").
    pub(crate) fn new(steps: u64, what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
        // The template is a constant: should it ever fail to parse, the default style is kept.
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {what} (ETA {{eta}})"
        )) {
            bar.set_style(style);
        }
        Self(bar)
    }

    /// One more step done.
    pub(crate) fn tick(&self) {
        self.0.inc(1);
    }

    /// `n` more steps done.
    pub(crate) fn advance(&self, n: u64) {
        self.0.inc(n);
    }

    /// Adds `n` steps to the total (a search that needs more than it first counted).
    pub(crate) fn extend(&self, n: u64) {
        self.0.inc_length(n);
    }

    /// Removes the bar from the terminal.
    pub(crate) fn finish(&self) {
        self.0.finish_and_clear();
    }
}
