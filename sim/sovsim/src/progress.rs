//! Progress of long commands on stderr (indicatif), drawn only when stderr is a terminal: piped or
//! redirected output, and CI logs, stay free of escape codes.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sovsim_core::study::Progress;

/// A bar per task, one task at a time; hidden when stderr is not a terminal.
#[derive(Debug, Default)]
pub(crate) struct Bar(Mutex<Option<ProgressBar>>);

impl Bar {
    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        // A poisoned lock means a thread panicked while drawing: stop drawing.
        if let Ok(guard) = self.0.lock()
            && let Some(bar) = guard.as_ref()
        {
            f(bar);
        }
    }
}

impl Progress for Bar {
    fn start(&self, steps: u64, what: &'static str) {
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
        // The template is a constant: should it ever fail to parse, the default style is kept.
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {what} (ETA {{eta}})"
        )) {
            bar.set_style(style);
        }
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        self.with(|b| b.inc(n));
    }

    fn extend(&self, n: u64) {
        self.with(|b| b.inc_length(n));
    }

    fn finish(&self) {
        self.with(ProgressBar::finish_and_clear);
    }
}
