//! Everything the CLI prints goes through here: scrubbed of every known key, and a closed pipe
//! (`llm-conform list | head -1`) ends the command quietly instead of a panic.

use std::io::Write;

use llm_conform_core::secrets::scrub;

/// Standard output was closed by the reader: nothing more to print, not a failure.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct Closed;

/// Writes `text` to standard output.
pub fn write_out(text: &str) -> Result<(), Closed> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(scrub(text).as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed),
        // Any other failure to print is reported once, by the next write to stderr if any.
        Err(_) => Err(Closed),
    }
}

/// Writes one line to standard error; a closed stderr is ignored, a run goes on.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", scrub(text));
}

/// `println!` through [`write_out`]; returns early from the calling command when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::console::write_out(&format!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` through [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::console::write_out(&format!($($arg)*))?
    };
}

/// A line of standard error that `--quiet` leaves out (progress, where things were written).
pub fn note(text: &str) {
    if !crate::report::quiet() {
        err(text);
    }
}

/// `eprintln!` through [`note`]: informational, left out by `--quiet`.
macro_rules! noteln {
    ($($arg:tt)*) => {
        $crate::cli::console::note(&format!($($arg)*))
    };
}

/// `eprintln!` through [`err`].
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::console::err(&format!($($arg)*))
    };
}

pub(crate) use {errln, noteln, out, outln};
