//! Reads suite files, reporting every problem with its file, line and column. A suite with any
//! problem is rejected whole: a silently dropped scenario is a case nobody knows is not run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Expect, MockAnswer, Mode, ProviderOverride, RouteSpec, Scenario, Suite, Xfail};
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
    #[serde(default)]
    provider_overrides: BTreeMap<String, Spanned<ProviderOverride>>,
    #[serde(default)]
    family_overrides: BTreeMap<String, Spanned<ProviderOverride>>,
    #[serde(default)]
    warm_up: bool,
}

/// The wire families a `family_overrides` key may name.
const FAMILIES: &[&str] = &["openai", "anthropic", "gemini", "cohere"];

/// Body fields an override may not set: the scenario's modes decide streaming, and the model is
/// the scenario's or the tier's (it also shapes the URL and the quirks the request was encoded by).
const RESERVED_BODY_FIELDS: &[&str] = &["stream", "model"];

/// Headers an override may not set: credentials never live in suite files, and the case header
/// is the harness's.
const RESERVED_HEADERS: &[&str] =
    &["authorization", "x-api-key", "api-key", "x-goog-api-key", "content-type", llm_conform_mock::CASE_HEADER];

type Overrides = BTreeMap<String, ProviderOverride>;

/// Collects every problem of one suite file, located; a scenario with problems is still
/// checked whole, so one run of the loader names all of them.
struct SuiteChecker<'a> {
    text: &'a str,
    /// Where lines start, so a scenario's line is found without counting from the top.
    lines: LineIndex,
    path: &'a Path,
    catalog: &'a Catalog,
    known: Vec<String>,
    seen: HashSet<String>,
    problems: Vec<Problem>,
}

impl<'a> SuiteChecker<'a> {
    fn new(text: &'a str, path: &'a Path, catalog: &'a Catalog) -> Self {
        SuiteChecker {
            text,
            lines: LineIndex::new(text),
            path,
            catalog,
            known: catalog.names(),
            seen: HashSet::new(),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, offset: usize, message: String) {
        let (line, column) = line_col(self.text, offset);
        self.problems.push(Problem { file: self.path.to_path_buf(), line, column, message });
    }

    fn provider(&mut self, p: &str, offset: usize, what: &str) {
        if !self.known.iter().any(|k| k == p) {
            let message = format!("unknown provider `{p}` in {what}; known providers: {}", self.known.join(", "));
            self.problem(offset, message);
        }
    }

    /// One scenario, checked; `None` when its request cannot be built (the problem is kept).
    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        let id_at = raw.id.span().start;
        let id = raw.id.into_inner();
        if !is_slug(&id) {
            self.problem(id_at, format!("scenario id `{id}` must be lowercase letters, digits, `-` or `_`"));
        }
        if !self.seen.insert(id.clone()) {
            self.problem(id_at, format!("duplicate scenario id `{id}`"));
        }
        let req_at = raw.request.span().start;
        let request = match to_request(raw.request.into_inner()) {
            Ok(r) => Some(r),
            Err(m) => {
                self.problem(req_at, format!("scenario `{id}`: invalid request: {m}"));
                None
            }
        };
        let providers = match raw.providers {
            Some(p) => {
                let at = p.span().start;
                let list = p.into_inner();
                for name in &list {
                    self.provider(name, at, &format!("scenario `{id}` providers"));
                }
                list
            }
            None => Vec::new(),
        };
        let xfail = self.xfail(&id, raw.xfail);
        for name in raw.mock_for.keys() {
            self.provider(name, id_at, &format!("scenario `{id}` mock_for"));
        }
        for name in raw.mock_seq.keys() {
            self.provider(name, id_at, &format!("scenario `{id}` mock_seq"));
        }
        let route = raw.route.map(|r| {
            let at = r.span().start;
            let r = r.into_inner();
            if let Some(msg) = check_route(&r, self.catalog) {
                self.problem(at, format!("scenario `{id}`: {msg}"));
            }
            r
        });
        let (provider_overrides, family_overrides) =
            self.overrides(&id, raw.provider_overrides, raw.family_overrides, &providers);
        if raw.warm_up && route.is_some() {
            self.problem(
                id_at,
                format!("scenario `{id}`: `warm_up` is for direct calls; a routed scenario sends again with `route.requests`"),
            );
        }
        let modes = raw.modes.unwrap_or_else(|| vec![Mode::NonStream, Mode::Stream]);
        if modes.is_empty() {
            self.problem(id_at, format!("scenario `{id}`: `modes` is empty, so it would never run"));
        }
        self.settings(&id, id_at, &raw.expect, raw.key.as_ref(), raw.timeout_s.as_ref());
        let schema = request.as_ref().and_then(|r| r.response_format.as_ref()).and_then(|f| f.schema());
        self.schemas(&id, id_at, raw.expect.json_schema.as_ref(), schema);
        let tier = raw.tier.unwrap_or_else(|| "cheap".into());
        if !matches!(tier.as_str(), "cheap" | "default" | "premium") {
            self.problem(id_at, format!("scenario `{id}`: unknown tier `{tier}` (cheap, default or premium)"));
        }
        Some(Scenario {
            id,
            description: raw.description,
            tags: raw.tags,
            modes,
            providers,
            tier,
            replay_only: raw.replay_only,
            timeout_s: raw.timeout_s.map(Spanned::into_inner),
            key: raw.key.map(Spanned::into_inner),
            request: request?,
            expect: raw.expect,
            xfail,
            mock: raw.mock,
            mock_for: raw.mock_for,
            mock_seq: raw.mock_seq,
            route,
            provider_overrides,
            family_overrides,
            warm_up: raw.warm_up,
            line: self.lines.line(id_at),
        })
    }

    fn xfail(&mut self, id: &str, raw: Vec<Spanned<Xfail>>) -> Vec<Xfail> {
        let mut xfail = Vec::new();
        for x in raw {
            let at = x.span().start;
            let x = x.into_inner();
            self.provider(&x.provider, at, &format!("scenario `{id}` xfail"));
            if x.reason.trim().is_empty() {
                self.problem(at, format!("scenario `{id}`: xfail for `{}` needs a reason", x.provider));
            }
            xfail.push(x);
        }
        xfail
    }

    /// Expectations that contradict themselves, the deliberately wrong key, the deadline.
    fn settings(
        &mut self,
        id: &str,
        id_at: usize,
        expect: &Expect,
        key: Option<&Spanned<String>>,
        timeout_s: Option<&Spanned<f64>>,
    ) {
        if expect.error_kind.is_some() && expect.outcome == Some(crate::fingerprint::Outcome::Success) {
            self.problem(id_at, format!("scenario `{id}`: `error_kind` contradicts `outcome = \"success\"`"));
        }
        if let Some(k) = key
            && k.get_ref() != "invalid"
        {
            self.problem(k.span().start, format!("scenario `{id}`: `key` may only be \"invalid\""));
        }
        if let Some(t) = timeout_s
            && !(t.get_ref().is_finite() && *t.get_ref() > 0.0 && *t.get_ref() <= 3600.0)
        {
            self.problem(
                t.span().start,
                format!("scenario `{id}`: `timeout_s` must be seconds, more than 0 and at most 3600"),
            );
        }
    }

    /// Both schemas compiled now, so a broken one is a load error and not a failed case.
    fn schemas(
        &mut self,
        id: &str,
        id_at: usize,
        expected: Option<&serde_json::Value>,
        requested: Option<&serde_json::Value>,
    ) {
        for (what, schema) in
            [("expect.json_schema", expected), ("request.response_format.json_schema.schema", requested)]
        {
            if let Some(schema) = schema
                && let Err(e) = jsonschema::validator_for(schema)
            {
                self.problem(id_at, format!("scenario `{id}`: `{what}` is not a usable JSON schema: {e}"));
            }
        }
    }

    /// A scenario's provider and family overrides, each checked: a known provider the scenario
    /// runs on (or a known family), and nothing an override may not set.
    fn overrides(
        &mut self,
        id: &str,
        by_provider: BTreeMap<String, Spanned<ProviderOverride>>,
        by_family: BTreeMap<String, Spanned<ProviderOverride>>,
        providers: &[String],
    ) -> (Overrides, Overrides) {
        let mut provider_overrides = BTreeMap::new();
        for (name, o) in by_provider {
            let at = o.span().start;
            if !self.known.contains(&name) {
                let known = self.known.join(", ");
                self.problem(
                    at,
                    format!(
                        "unknown provider `{name}` in scenario `{id}` provider_overrides; known providers: {known}"
                    ),
                );
            } else if !providers.is_empty() && !providers.contains(&name) {
                self.problem(
                    at,
                    format!(
                        "scenario `{id}`: provider_overrides.{name} is for a provider the scenario does not run on"
                    ),
                );
            }
            for m in override_problems(o.get_ref()) {
                self.problem(at, format!("scenario `{id}`: provider_overrides.{name}: {m}"));
            }
            provider_overrides.insert(name, o.into_inner());
        }
        let mut family_overrides = BTreeMap::new();
        for (name, o) in by_family {
            let at = o.span().start;
            if !FAMILIES.contains(&name.as_str()) {
                let families = FAMILIES.join(", ");
                self.problem(
                    at,
                    format!("scenario `{id}`: unknown wire family `{name}` in family_overrides; families: {families}"),
                );
            }
            for m in override_problems(o.get_ref()) {
                self.problem(at, format!("scenario `{id}`: family_overrides.{name}: {m}"));
            }
            family_overrides.insert(name, o.into_inner());
        }
        (provider_overrides, family_overrides)
    }
}

/// What is wrong with one override, in sentences.
fn override_problems(o: &ProviderOverride) -> Vec<String> {
    let mut out = Vec::new();
    for field in RESERVED_BODY_FIELDS.iter().filter(|f| o.body.contains_key(**f)) {
        out.push(format!("`body.{field}` may not be overridden"));
    }
    for (name, value) in &o.headers {
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            out.push(format!("header `{name}` may not be overridden"));
        } else if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
            out.push(format!("header name `{name}` is not a valid HTTP header name"));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            out.push(format!("header `{name}` has a line break in its value"));
        }
    }
    out
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
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        let message = located(text, &e);
        let message =
            message.split_once(": ").filter(|_| e.span().is_some()).map_or(message.clone(), |(_, m)| m.to_string());
        SuiteError { problems: vec![Problem { file: path.to_path_buf(), line, column, message }] }
    })?;
    let mut checker = SuiteChecker::new(text, path, catalog);
    if !is_slug(name) {
        checker.problem(0, format!("suite file name `{name}` must be lowercase letters, digits, `-` or `_`"));
    }
    let scenarios: Vec<Scenario> = raw.scenario.into_iter().filter_map(|s| checker.scenario(s)).collect();
    if !checker.problems.is_empty() {
        return Err(SuiteError { problems: checker.problems });
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

    const OVERRIDES: &str = r#"
[[scenario]]
id = "thinking"
providers = ["anthropic", "gemini"]
[scenario.request]
messages = [{ role = "user", content = "hi" }]
[scenario.provider_overrides.anthropic]
body = { thinking = { type = "enabled", budget_tokens = 1024 } }
headers = { "anthropic-beta" = "interleaved-thinking-2025-05-14" }
[scenario.family_overrides.gemini]
body = { generationConfig = { thinkingConfig = { includeThoughts = true } } }
"#;

    #[test]
    fn overrides_load_per_provider_and_family() {
        let s = load(OVERRIDES).unwrap();
        let sc = &s.scenarios[0];
        use llm_conform_core::providers::WireFamily;
        let anthropic: Vec<_> = sc.overrides_for("anthropic", WireFamily::Anthropic).collect();
        assert_eq!(anthropic.len(), 1);
        assert_eq!(anthropic[0].body["thinking"]["budget_tokens"], 1024);
        assert_eq!(anthropic[0].headers["anthropic-beta"], "interleaved-thinking-2025-05-14");
        let gemini: Vec<_> = sc.overrides_for("gemini", WireFamily::Gemini).collect();
        assert_eq!(gemini[0].body["generationConfig"]["thinkingConfig"]["includeThoughts"], true);
        assert_eq!(sc.overrides_for("openai", WireFamily::Openai).count(), 0);
    }

    #[test]
    fn bad_overrides_are_located() {
        let text = OVERRIDES
            .replace("provider_overrides.anthropic]", "provider_overrides.antropic]")
            .replace("family_overrides.gemini]", "family_overrides.gemni]");
        let e = load(&text).unwrap_err();
        let all = e.to_string();
        assert!(all.contains("unknown provider `antropic` in scenario `thinking` provider_overrides"), "{all}");
        assert!(all.contains("unknown wire family `gemni`"), "{all}");
        assert!(e.problems.iter().all(|p| p.line > 0), "{all}");
        let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        assert!(e.problems.iter().any(|p| p.line == line("provider_overrides.antropic]")), "{all}");
        assert_eq!(e.problems.len(), 2, "{all}");

        let text = OVERRIDES.replace(
            "headers = { \"anthropic-beta\" = \"interleaved-thinking-2025-05-14\" }",
            "headers = { \"bad header\" = \"v\" }\nbody2 = 1",
        );
        let all = load(&text).unwrap_err().to_string();
        assert!(all.contains("body2"), "unknown keys are refused: {all}");
        let text = OVERRIDES.replace("\"anthropic-beta\"", "\"bad header\"");
        let all = load(&text).unwrap_err().to_string();
        assert!(all.contains("header name `bad header` is not a valid HTTP header name"), "{all}");
        let text = OVERRIDES.replace("budget_tokens = 1024 }", "budget_tokens = 1024 }, stream = true");
        let all = load(&text).unwrap_err().to_string();
        assert!(all.contains("`body.stream` may not be overridden"), "{all}");
        let text = OVERRIDES.replace("\"anthropic-beta\"", "\"X-Api-Key\"");
        let all = load(&text).unwrap_err().to_string();
        assert!(all.contains("header `X-Api-Key` may not be overridden"), "{all}");
        let text = OVERRIDES.replace("providers = [\"anthropic\", \"gemini\"]", "providers = [\"gemini\"]");
        let all = load(&text).unwrap_err().to_string();
        assert!(all.contains("provider_overrides.anthropic is for a provider the scenario does not run on"), "{all}");
    }

    #[test]
    fn warm_up_is_for_direct_calls() {
        let text = GOOD.replace("modes = [\"non_stream\"]", "modes = [\"non_stream\"]\nwarm_up = true");
        assert!(load(&text).unwrap().scenarios[0].warm_up);
        let routed = format!("{text}[scenario.route]\nmodel = \"openai/gpt-4.1-nano\"\n");
        let e = load(&routed).unwrap_err();
        assert!(e.to_string().contains("`warm_up` is for direct calls"), "{e}");
        assert_eq!(e.problems[0].line, 3, "{e}");
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
