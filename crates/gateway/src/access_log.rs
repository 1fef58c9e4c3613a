//! One line per chat request on standard error: enough to follow the route, never a key (every
//! line goes through the redactor) and never a prompt or a completion.

use std::sync::Arc;

use llm_conform_core::secrets::Redactor;

/// Where log lines go: standard error unless the embedder (a test) says otherwise.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The default sink.
pub fn stderr_sink() -> LogSink {
    Arc::new(|line: &str| eprintln!("{line}"))
}

pub struct AccessLine<'a> {
    pub status: u16,
    pub stream: bool,
    pub model: &'a str,
    pub served_by: Option<&'a str>,
    pub path: &'a str,
    pub millis: f64,
    pub error: Option<&'a str>,
}

pub fn write(sink: &LogSink, redactor: &Redactor, line: &AccessLine<'_>) {
    let mut text = format!(
        "serve: {} {} model={:?} served_by={} path=[{}] {:.1}ms",
        line.status,
        if line.stream { "stream" } else { "whole" },
        line.model,
        line.served_by.unwrap_or("-"),
        line.path,
        line.millis
    );
    if let Some(e) = line.error {
        text.push_str(&format!(" error={e:?}"));
    }
    sink(&redactor.redact(&text));
}
