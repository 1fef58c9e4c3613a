use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::results::CaseStatus;

/// A progress bar on a terminal; on CI, one line per case that needs attention.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        let bar = (std::io::stderr().is_terminal() && !super::quiet()).then(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Progress { bar }
    }

    pub fn case_finished(&self, status: CaseStatus, id: &str, reason: Option<&str>) {
        let line = matches!(status, CaseStatus::Fail | CaseStatus::Xpass | CaseStatus::Error).then(|| {
            let line = format!("{:<7} {id}: {}", status.as_str().to_uppercase(), reason.unwrap_or(""));
            llm_conform_core::secrets::scrub(&line).into_owned()
        });
        match &self.bar {
            Some(b) => {
                b.inc(1);
                if let Some(l) = line {
                    b.println(l);
                }
            }
            None => {
                if let Some(l) = line.filter(|_| !super::quiet()) {
                    eprintln!("{l}");
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
