//! SIGINT and SIGTERM to a [`ShutdownHandle`]: the first stops dispatching, the second aborts.

use crate::runner::ShutdownHandle;

/// Listens on the current tokio runtime until the runtime ends.
pub fn listen(handle: ShutdownHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, name) in [(SignalKind::interrupt(), "SIGINT"), (SignalKind::terminate(), "SIGTERM")] {
            let Ok(mut stream) = signal(kind) else { continue };
            let handle = handle.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    handle.escalate(name);
                    eprintln!(
                        "{name}: stopping — cases in flight may finish; {name} again abandons them (the report is written either way)"
                    );
                }
            });
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                handle.escalate("SIGINT");
            }
        });
    }
}

/// The exit code of a run stopped by `signal`: 128 + its number, as shells report it.
pub fn exit_code(signal: &str) -> u8 {
    match signal {
        "SIGTERM" => 143,
        _ => 130,
    }
}
