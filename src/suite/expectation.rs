use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fingerprint::{Fingerprint, Outcome};
use llm_conform_core::api::{ErrorKind, FinishReason};

/// What a scenario requires of every provider. Checked against the fingerprint only, so the
/// verdict is the same live and in replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `success` (the default) or `error`.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The finish reason must be one of these.
    #[serde(default)]
    pub finish_reason: Option<Vec<FinishReason>>,
    #[serde(default)]
    pub content: Option<Presence>,
    #[serde(default)]
    pub reasoning: Option<Presence>,
    #[serde(default)]
    pub tool_calls: Option<ToolCallsExpect>,
    /// No tool calls at all.
    #[serde(default)]
    pub no_tool_calls: bool,
    /// The content parses as JSON.
    #[serde(default)]
    pub json: bool,
    /// The content matches the request's `response_format` schema.
    #[serde(default)]
    pub matches_schema: bool,
    /// The content matches this schema.
    #[serde(default)]
    pub json_schema: Option<Value>,
    /// The error kind must be one of these (implies `outcome = "error"`).
    #[serde(default)]
    pub error_kind: Option<Vec<ErrorKind>>,
    #[serde(default)]
    pub status: Option<u16>,
    /// Whether the error carries a retry hint.
    #[serde(default)]
    pub retry_after: Option<Presence>,
    #[serde(default)]
    pub usage: Option<Presence>,
    /// Whether usage counts reasoning tokens.
    #[serde(default)]
    pub reasoning_tokens: Option<Presence>,
    /// Whether usage counts cached prompt tokens.
    #[serde(default)]
    pub cached_tokens: Option<Presence>,
    /// Whether the answer cites sources (`annotations`).
    #[serde(default)]
    pub citations: Option<Presence>,
    /// A streamed run reassembles to the same fingerprint as the non-streamed one. On by default
    /// for scenarios run in both modes.
    #[serde(default)]
    pub stream_matches_non_stream: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Present,
    Absent,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallsExpect {
    /// The called functions, in order.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub min_count: Option<usize>,
    /// For each function name, the argument keys it must have (more are allowed).
    #[serde(default)]
    pub argument_keys: BTreeMap<String, Vec<String>>,
    /// Whether every call's arguments must be a JSON object. Checked by default, even without
    /// a `tool_calls` expectation; `false` says the scenario expects arguments that are not an
    /// object (a provider sending `true`, a number, an array or broken JSON), and the check is
    /// skipped.
    #[serde(default)]
    pub arguments_parse: Option<bool>,
}

impl Expect {
    pub fn expected_outcome(&self) -> Outcome {
        match (self.outcome, &self.error_kind, self.status) {
            (Some(o), _, _) => o,
            (None, Some(_), _) => Outcome::Error,
            (None, None, Some(s)) if s >= 400 => Outcome::Error,
            _ => Outcome::Success,
        }
    }

    /// Whether the content must be checked as JSON.
    pub fn wants_json(&self) -> bool {
        self.json || self.matches_schema || self.json_schema.is_some()
    }

    /// Every way `fp` falls short, as readable sentences; empty when it conforms.
    pub fn check(&self, fp: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        let want = self.expected_outcome();
        if fp.outcome != want {
            out.push(outcome_mismatch(fp, want));
            return out;
        }
        self.check_error(fp, &mut out);
        if want == Outcome::Success {
            self.check_answer(fp, &mut out);
            self.check_presences(fp, &mut out);
            self.check_calls(fp, &mut out);
            self.check_json(fp, &mut out);
        }
        out
    }
}

/// The one message when the call succeeded or failed against the expectation; nothing else
/// is checked then, since every other check assumes the expected outcome.
fn outcome_mismatch(fp: &Fingerprint, want: Outcome) -> String {
    match (&fp.error, want) {
        (Some(e), Outcome::Success) => format!(
            "expected success, got error {}{}",
            e.kind,
            e.status.map(|s| format!(" (status {s})")).unwrap_or_default()
        ),
        _ => format!("expected an error, got success (finish_reason {})", show_opt(fp.finish_reason)),
    }
}

/// `what: expected present, got none` and its converse, the shape of every presence check.
fn check_presence(what: &str, want: Option<Presence>, got: bool, out: &mut Vec<String>) {
    match want {
        Some(Presence::Present) if !got => out.push(format!("{what}: expected present, got none")),
        Some(Presence::Absent) if got => out.push(format!("{what}: expected absent, got some")),
        _ => {}
    }
}

impl Expect {
    /// Error kind, status and retry hint (the last also on a success, where it must be absent
    /// if the scenario says so).
    fn check_error(&self, fp: &Fingerprint, out: &mut Vec<String>) {
        if let Some(kinds) = &self.error_kind
            && let Some(e) = &fp.error
            && !kinds.contains(&e.kind)
        {
            out.push(format!("error kind: expected {}, got {}", list(kinds), e.kind));
        }
        if let Some(status) = self.status {
            let got = fp.error.as_ref().and_then(|e| e.status);
            if got != Some(status) {
                out.push(format!("status: expected {status}, got {}", got.map_or("none".into(), |s| s.to_string())));
            }
        }
        let hint = fp.error.as_ref().is_some_and(|e| e.retry_after);
        match self.retry_after {
            Some(Presence::Present) if !hint => out.push("retry_after: expected a retry hint, got none".into()),
            Some(Presence::Absent) if hint => out.push("retry_after: expected no retry hint, got one".into()),
            _ => {}
        }
    }

    fn check_answer(&self, fp: &Fingerprint, out: &mut Vec<String>) {
        if let Some(reasons) = &self.finish_reason
            && !fp.finish_reason.is_some_and(|f| reasons.contains(&f))
        {
            out.push(format!("finish_reason: expected {}, got {}", list(reasons), show_opt(fp.finish_reason)));
        }
    }

    /// Content, reasoning, usage, reasoning tokens, cached tokens and citations, present or
    /// absent as expected.
    fn check_presences(&self, fp: &Fingerprint, out: &mut Vec<String>) {
        let content = fp.content.as_ref().is_some_and(|c| c.present);
        for (what, want, got) in [
            ("content", self.content, content),
            ("reasoning", self.reasoning, fp.reasoning),
            ("usage", self.usage, fp.usage == Some(true)),
            ("reasoning_tokens", self.reasoning_tokens, fp.reasoning_tokens),
            ("cached_tokens", self.cached_tokens, fp.cached_tokens),
            ("citations", self.citations, fp.citations),
        ] {
            check_presence(what, want, got, out);
        }
    }

    fn check_calls(&self, fp: &Fingerprint, out: &mut Vec<String>) {
        if self.no_tool_calls && !fp.tool_calls.is_empty() {
            let names: Vec<&str> = fp.tool_calls.iter().map(|c| c.name.as_str()).collect();
            out.push(format!("tool_calls: expected none, got {}", names.join(", ")));
        }
        if let Some(tc) = &self.tool_calls {
            check_tool_calls(tc, fp, out);
        }
        // Checked whether or not the scenario speaks of tool calls: arguments that are not a
        // JSON object are a broken answer unless the scenario says it expects one.
        if self.tool_calls.as_ref().and_then(|tc| tc.arguments_parse).unwrap_or(true) {
            for (i, call) in fp.tool_calls.iter().enumerate().filter(|(_, c)| !c.arguments_parse) {
                out.push(format!("tool_calls[{i}] {}: arguments are not a JSON object", call.name));
            }
        }
    }

    fn check_json(&self, fp: &Fingerprint, out: &mut Vec<String>) {
        if !self.wants_json() {
            return;
        }
        match fp.content.as_ref().and_then(|c| c.json.as_ref()) {
            None => out.push("json: expected JSON content, got none".into()),
            Some(j) if !j.valid => out.push("json: content is not valid JSON".into()),
            Some(j) if (self.matches_schema || self.json_schema.is_some()) && j.schema_valid != Some(true) => {
                out.push("json: content does not match the schema".into())
            }
            _ => {}
        }
    }
}

fn check_tool_calls(tc: &ToolCallsExpect, fp: &Fingerprint, out: &mut Vec<String>) {
    let names: Vec<&str> = fp.tool_calls.iter().map(|c| c.name.as_str()).collect();
    if let Some(want) = &tc.names
        && names != want.iter().map(String::as_str).collect::<Vec<_>>()
    {
        out.push(format!("tool_calls: expected [{}], got [{}]", want.join(", "), names.join(", ")));
    }
    if let Some(n) = tc.count
        && names.len() != n
    {
        out.push(format!("tool_calls: expected {n} call(s), got {}", names.len()));
    }
    if let Some(n) = tc.min_count
        && names.len() < n
    {
        out.push(format!("tool_calls: expected at least {n} call(s), got {}", names.len()));
    }
    for (name, keys) in &tc.argument_keys {
        for call in fp.tool_calls.iter().filter(|c| &c.name == name) {
            let missing: Vec<&str> =
                keys.iter().filter(|k| !call.argument_keys.contains(k)).map(String::as_str).collect();
            if !missing.is_empty() {
                out.push(format!("tool_calls: {name} lacks argument(s) {}", missing.join(", ")));
            }
        }
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    let v: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    if v.len() == 1 { v[0].clone() } else { format!("one of [{}]", v.join(", ")) }
}

fn show_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("none".into(), |x| x.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::ToolCallShape;

    fn fp_with_call(arguments_parse: bool) -> Fingerprint {
        Fingerprint {
            outcome: Outcome::Success,
            finish_reason: Some(FinishReason::ToolCalls),
            content: None,
            reasoning: false,
            tool_calls: vec![ToolCallShape { name: "get_weather".into(), argument_keys: Vec::new(), arguments_parse }],
            usage: Some(true),
            reasoning_tokens: false,
            cached_tokens: false,
            citations: false,
            stream: None,
            error: None,
            route: Vec::new(),
        }
    }

    #[test]
    fn non_object_arguments_fail_even_without_a_tool_calls_expectation() {
        let failures = Expect::default().check(&fp_with_call(false));
        assert_eq!(failures, vec!["tool_calls[0] get_weather: arguments are not a JSON object".to_string()]);
        assert!(Expect::default().check(&fp_with_call(true)).is_empty());
    }

    #[test]
    fn a_scenario_expecting_non_object_arguments_is_not_failed_for_them() {
        let expect = Expect {
            tool_calls: Some(ToolCallsExpect { arguments_parse: Some(false), ..Default::default() }),
            ..Default::default()
        };
        assert!(expect.check(&fp_with_call(false)).is_empty());
    }
}
