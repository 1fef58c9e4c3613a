//! How the terminal output looks: colour where a person reads it (a terminal, `NO_COLOR` unset,
//! or `--color always`), plain text in CI logs and pipes; and how much of it there is
//! (`--quiet` keeps errors, the totals and the regressions).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::results::CaseStatus;

static COLOR: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);

/// `--color`: `auto` colours only a terminal, and only when `NO_COLOR` is unset or empty.
pub fn set_color(choice: &str) {
    let auto = || {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").map_or(true, |t| t != "dumb")
    };
    let on = match choice {
        "always" => true,
        "never" => false,
        _ => auto(),
    };
    COLOR.store(on, Ordering::Relaxed);
}

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `text` in the colour of `status`, when colour is on.
pub fn paint(status: CaseStatus, text: &str) -> String {
    if !COLOR.load(Ordering::Relaxed) {
        return text.to_string();
    }
    let code = match status {
        CaseStatus::Pass => "32",
        CaseStatus::Fail | CaseStatus::Error => "31;1",
        CaseStatus::Xfail => "35",
        CaseStatus::Xpass => "33;1",
        CaseStatus::Flaky => "36",
        CaseStatus::Unavailable | CaseStatus::Skipped => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
