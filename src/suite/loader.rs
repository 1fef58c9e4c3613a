//! Reads suite files, reporting every problem with its file, line and column. A suite with any
//! problem is rejected whole: a silently dropped scenario is a case nobody knows is not run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Expect, MockAnswer, Mode, RouteSpec, Scenario, Suite, Xfail};
use crate::toml_location::{LineIndex, line_col, located};
use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::Catalog;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
    }
}

/// Every problem found while loading suites.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SuiteError {
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for SuiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failed to load suites ({} problem(s)):", self.problems.len())?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    suite: Option<RawSuiteMeta>,
    #[serde(default)]
    scenario: Vec<RawScenario>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuiteMeta {
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    modes: Option<Vec<Mode>>,
    #[serde(default)]
    providers: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    replay_only: bool,
    #[serde(default)]
    timeout_s: Option<Spanned<f64>>,
    #[serde(default)]
    key: Option<Spanned<String>>,
    request: Spanned<toml::Value>,
    #[serde(default)]
    expect: Expect,
    #[serde(default)]
    xfail: Vec<Spanned<Xfail>>,
    #[serde(default)]
    mock: Option<MockAnswer>,
    #[serde(default)]
    mock_for: BTreeMap<String, MockAnswer>,
    #[serde(default)]
    mock_seq: BTreeMap<String, Vec<MockAnswer>>,
    #[serde(default)]
    route: Option<Spanned<RouteSpec>>,
}

/// A suite file larger than this is refused: suites are written by hand.
const MAX_SUITE_BYTES: u64 = 16 * 1024 * 1024;

/// Editors' swap and lock files (`.basics.toml.swp` never matches, `.#basics.toml` would).
fn is_hidden(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Loads every `*.toml` in `dir`, sorted by name.
pub fn load_dir(dir: &Path, catalog: &Catalog) -> Result<Vec<Suite>, SuiteError> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && !is_hidden(p))
            .collect(),
        Err(e) => {
            return Err(SuiteError {
                problems: vec![Problem {
                    file: dir.to_path_buf(),
                    line: 0,
                    column: 0,
                    message: format!("failed to read suite directory: {e}"),
                }],
            });
        }
    };
    files.sort();
    let mut suites = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        match load_file(&f, catalog) {
            Ok(s) => suites.push(s),
            Err(e) => problems.extend(e.problems),
        }
    }
    if problems.is_empty() { Ok(suites) } else { Err(SuiteError { problems }) }
}

pub fn load_file(path: &Path, catalog: &Catalog) -> Result<Suite, SuiteError> {
    let fail = |message: String| SuiteError {
        problems: vec![Problem { file: path.to_path_buf(), line: 0, column: 0, message }],
    };
    let text = crate::regular_file::read_to_string(path, MAX_SUITE_BYTES).map_err(|e| fail(e.to_string()))?;
    let name = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    load_str(&text, &name, path, catalog)
}

/// Parses one suite's text; `path` is only used in messages.
pub fn load_str(text: &str, name: &str, path: &Path, catalog: &Catalog) -> Result<Suite, SuiteError> {
    let problem = |offset: usize, message: String| {
        let (line, column) = line_col(text, offset);
        Problem { file: path.to_path_buf(), line, column, message }
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        let message = located(text, &e);
        let message =
            message.split_once(": ").filter(|_| e.span().is_some()).map_or(message.clone(), |(_, m)| m.to_string());
        SuiteError { problems: vec![Problem { file: path.to_path_buf(), line, column, message }] }
    })?;
    let mut problems = Vec::new();
    if !is_slug(name) {
        problems.push(problem(0, format!("suite file name `{name}` must be lowercase letters, digits, `-` or `_`")));
    }
    let known = catalog.names();
    let check_provider = |p: &str, offset: usize, what: &str, problems: &mut Vec<Problem>| {
        if !known.iter().any(|k| k == p) {
            problems.push(problem(
                offset,
                format!("unknown provider `{p}` in {what}; known providers: {}", known.join(", ")),
            ));
        }
    };
    let lines = LineIndex::new(text);
    let mut seen = HashSet::new();
    let mut scenarios = Vec::new();
    for raw in raw.scenario {
        let id_at = raw.id.span().start;
        let id = raw.id.into_inner();
        if !is_slug(&id) {
            problems.push(problem(id_at, format!("scenario id `{id}` must be lowercase letters, digits, `-` or `_`")));
        }
        if !seen.insert(id.clone()) {
            problems.push(problem(id_at, format!("duplicate scenario id `{id}`")));
        }
        let req_at = raw.request.span().start;
        let request = match to_request(raw.request.into_inner()) {
            Ok(r) => Some(r),
            Err(m) => {
                problems.push(problem(req_at, format!("scenario `{id}`: invalid request: {m}")));
                None
            }
        };
        let providers = match raw.providers {
            Some(p) => {
                let at = p.span().start;
                let list = p.into_inner();
                for name in &list {
                    check_provider(name, at, &format!("scenario `{id}` providers"), &mut problems);
                }
                list
            }
            None => Vec::new(),
        };
        let mut xfail = Vec::new();
        for x in raw.xfail {
            let at = x.span().start;
            let x = x.into_inner();
            check_provider(&x.provider, at, &format!("scenario `{id}` xfail"), &mut problems);
            if x.reason.trim().is_empty() {
                problems.push(problem(at, format!("scenario `{id}`: xfail for `{}` needs a reason", x.provider)));
            }
            xfail.push(x);
        }
        for name in raw.mock_for.keys() {
            check_provider(name, id_at, &format!("scenario `{id}` mock_for"), &mut problems);
        }
        for name in raw.mock_seq.keys() {
            check_provider(name, id_at, &format!("scenario `{id}` mock_seq"), &mut problems);
        }
        let route = raw.route.map(|r| {
            let at = r.span().start;
            let r = r.into_inner();
            if let Some(msg) = check_route(&r, catalog) {
                problems.push(problem(at, format!("scenario `{id}`: {msg}")));
            }
            r
        });
        let modes = raw.modes.unwrap_or_else(|| vec![Mode::NonStream, Mode::Stream]);
        if modes.is_empty() {
            problems.push(problem(id_at, format!("scenario `{id}`: `modes` is empty, so it would never run")));
        }
        if let Some(kinds) = &raw.expect.error_kind
            && raw.expect.outcome == Some(crate::fingerprint::Outcome::Success)
        {
            let _ = kinds;
            problems.push(problem(id_at, format!("scenario `{id}`: `error_kind` contradicts `outcome = \"success\"`")));
        }
        if let Some(k) = &raw.key
            && k.get_ref() != "invalid"
        {
            problems.push(problem(k.span().start, format!("scenario `{id}`: `key` may only be \"invalid\"")));
        }
        if let Some(t) = &raw.timeout_s
            && !(t.get_ref().is_finite() && *t.get_ref() > 0.0 && *t.get_ref() <= 3600.0)
        {
            problems.push(problem(
                t.span().start,
                format!("scenario `{id}`: `timeout_s` must be seconds, more than 0 and at most 3600"),
            ));
        }
        let schemas = [
            ("expect.json_schema", raw.expect.json_schema.as_ref()),
            (
                "request.response_format.json_schema.schema",
                request.as_ref().and_then(|r| r.response_format.as_ref()).and_then(|f| f.schema()),
            ),
        ];
        for (what, schema) in schemas {
            if let Some(schema) = schema
                && let Err(e) = jsonschema::validator_for(schema)
            {
                problems.push(problem(id_at, format!("scenario `{id}`: `{what}` is not a usable JSON schema: {e}")));
            }
        }
        let tier = raw.tier.unwrap_or_else(|| "cheap".into());
        if !matches!(tier.as_str(), "cheap" | "default" | "premium") {
            problems
                .push(problem(id_at, format!("scenario `{id}`: unknown tier `{tier}` (cheap, default or premium)")));
        }
        if let Some(request) = request {
            scenarios.push(Scenario {
                id,
                description: raw.description,
                tags: raw.tags,
                modes,
                providers,
                tier,
                replay_only: raw.replay_only,
                timeout_s: raw.timeout_s.map(Spanned::into_inner),
                key: raw.key.map(Spanned::into_inner),
                request,
                expect: raw.expect,
                xfail,
                mock: raw.mock,
                mock_for: raw.mock_for,
                mock_seq: raw.mock_seq,
                route,
                line: lines.line(id_at),
            });
        }
    }
    if !problems.is_empty() {
        return Err(SuiteError { problems });
    }
    Ok(Suite {
        name: name.to_string(),
        description: raw.suite.map(|s| s.description).unwrap_or_default(),
        path: path.to_path_buf(),
        scenarios,
    })
}

/// What is wrong with a scenario's route, if anything.
fn check_route(r: &RouteSpec, catalog: &Catalog) -> Option<String> {
    if r.tier.is_some() && r.model.is_some() {
        return Some("route: give `tier` or `model`, not both".into());
    }
    if !(1..=100).contains(&r.requests) {
        return Some("route.requests must be between 1 and 100".into());
    }
    if let Some(m) = &r.model {
        match llm_conform_core::router::Candidate::parse(m) {
            Ok(c) => {
                if let Err(e) = catalog.get(&c.provider) {
                    return Some(format!("route.model: {e}"));
                }
            }
            Err(e) => return Some(format!("route.model: {e}")),
        }
    }
    if let Some(p) = &r.policy {
        let mut p = p.clone();
        if let Some(t) = &r.tier {
            p.default_tier = Some(t.clone());
        }
        if let Err(e) = p.validate(catalog) {
            return Some(format!("route.policy: {e}"));
        }
        if let Some(t) = &r.tier
            && !p.tiers.contains_key(t)
        {
            return Some(format!("route.tier: unknown tier `{t}` in route.policy"));
        }
    }
    None
}

/// A request table to the canonical request; the model may be left out (the provider's tier
/// model is used).
fn to_request(v: toml::Value) -> Result<ChatRequest, String> {
    let mut json = serde_json::to_value(&v).map_err(|e| e.to_string())?;
    if let Some(obj) = json.as_object_mut() {
        obj.entry("model").or_insert_with(|| serde_json::Value::String(String::new()));
    }
    let req: ChatRequest = serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." { inner.to_string() } else { format!("at `{path}`: {inner}") }
    })?;
    if req.messages.is_empty() {
        return Err("`messages` is empty".into());
    }
    if req.stream.is_some() {
        return Err("`stream` is set by the scenario's `modes`, not in the request".into());
    }
    Ok(req)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Suite, SuiteError> {
        load_str(text, "demo", Path::new("suites/demo.toml"), &Catalog::builtin())
    }

    const GOOD: &str = r#"
[[scenario]]
id = "hello"
modes = ["non_stream"]
[scenario.request]
messages = [{ role = "user", content = "hi" }]
[scenario.expect]
finish_reason = ["stop"]
"#;

    #[test]
    fn good_suite_loads() {
        let s = load(GOOD).unwrap();
        assert_eq!(s.scenarios[0].id, "hello");
        assert_eq!(s.scenarios[0].line, 3);
        assert_eq!(s.scenarios[0].request.messages.len(), 1);
    }

    #[test]
    fn syntax_error_is_located() {
        let e = load("[[scenario]]\nid = \"x\"\nfoo\n").unwrap_err();
        assert_eq!(e.problems[0].line, 3, "{e}");
        assert!(e.to_string().contains("suites/demo.toml:3:"), "{e}");
    }

    #[test]
    fn unknown_key_is_located() {
        let e = load(&GOOD.replace("finish_reason", "finish_reasons")).unwrap_err();
        assert!(e.problems[0].message.contains("finish_reasons"), "{e}");
        assert_eq!(e.problems[0].line, 8, "{e}");
    }

    #[test]
    fn unknown_provider_and_duplicate_id_are_all_reported() {
        let text = format!("{GOOD}\n{}", GOOD.replace("modes", "providers = [\"opneai\"]\nmodes"));
        let e = load(&text).unwrap_err();
        let all = e.to_string();
        assert!(all.contains("duplicate scenario id `hello`"), "{all}");
        assert!(all.contains("unknown provider `opneai`") && all.contains("known providers: anthropic"), "{all}");
        assert_eq!(e.problems.len(), 2);
    }

    #[test]
    fn missing_request_field_is_located() {
        let e = load("[[scenario]]\nid = \"x\"\n[scenario.request]\nmax_tokens = 3\n").unwrap_err();
        assert!(e.problems[0].message.contains("missing field `messages`"), "{e}");
        assert_eq!(e.problems[0].line, 3, "the request table's header: {e}");
        let e = load("[[scenario]]\nid = \"x\"\n").unwrap_err();
        assert!(e.problems[0].message.contains("request"), "{e}");
    }
}
