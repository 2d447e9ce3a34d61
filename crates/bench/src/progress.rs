//! Progress on stderr: a line per phase always, a bar for long phases when stderr is a
//! terminal (indicatif hides bars by itself otherwise, e.g. in CI logs).

#![allow(clippy::print_stderr)] // reporting progress is this module's job

use indicatif::{ProgressBar, ProgressStyle};

/// Whether bars are drawn at all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    bars: bool,
}

impl Progress {
    pub(crate) fn new(bars: bool) -> Self {
        Self { bars }
    }

    /// Announces a phase.
    pub(crate) fn phase(&self, text: &str) {
        eprintln!("bench: {text}");
    }

    /// A note inside a phase.
    pub(crate) fn note(&self, text: &str) {
        eprintln!("bench:   {text}");
    }

    /// A bar of `len` steps (hidden when bars are off).
    pub(crate) fn bar(&self, what: &str, len: u64) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        let style = ProgressStyle::with_template(
            "bench:   {msg:<22} [{bar:36}] {pos:>7}/{len:7} {elapsed_precise} (eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what.to_owned());
        bar
    }
}
