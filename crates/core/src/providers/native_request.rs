use serde::Serialize;
use serde_json::{Map, Value};

use super::RequestBody;
use crate::secrets::REDACTED;

/// The HTTP request an adapter produced for a provider, before any transport sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NativeRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Names (lowercase) of headers whose value is a credential.
    #[serde(skip)]
    pub secret_headers: Vec<String>,
    /// The JSON body: the bytes sent, and the same body as a `Value` for reading and editing.
    pub body: RequestBody,
    /// What the decoder needs to know about how the request was encoded.
    #[serde(skip)]
    pub hints: ResponseHints,
    /// What the adapter changed about the request to fit the API, in words: a field left out, a
    /// parameter dropped, a response format degraded. Shown by `encode` and kept with attempts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Facts about an encoded request that decoding depends on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseHints {
    /// The tool an adapter added to obtain JSON output (Anthropic): its call is the content.
    pub json_tool: Option<String>,
    /// Whether the request streams.
    pub stream: bool,
    /// The functions the request declared, when it declared any: a call to another name is not
    /// an ordinary tool call (Gemini can produce one).
    pub declared_tools: Option<Vec<String>>,
}

impl NativeRequest {
    pub fn post(url: String, body: impl Into<RequestBody>) -> Self {
        NativeRequest {
            method: "POST".into(),
            url,
            headers: vec![("content-type".into(), "application/json".into())],
            secret_headers: Vec::new(),
            body: body.into(),
            hints: ResponseHints::default(),
            notes: Vec::new(),
        }
    }

    pub fn header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
    }

    pub fn secret_header(&mut self, name: &str, value: impl Into<String>) {
        self.header(name, value);
        self.secret_headers.push(name.to_ascii_lowercase());
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A copy safe to print or store: every credential header replaced by a placeholder.
    pub fn redacted(&self) -> NativeRequest {
        let mut r = self.clone();
        for (name, value) in &mut r.headers {
            if r.secret_headers.iter().any(|s| s == name) {
                *value = redact_credential(value);
            }
        }
        r
    }

    /// The URL path and query, relative to the host: what fixtures match on.
    pub fn path_and_query(&self) -> &str {
        let after_scheme = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    }
}

/// Keeps an auth scheme word (`Bearer`) but never the credential itself.
fn redact_credential(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => format!("{scheme} {REDACTED}"),
        _ => REDACTED.to_string(),
    }
}

impl NativeRequest {
    /// A POST to `url` for `spec`: auth with `key`, the provider's fixed headers and configured
    /// `extra_headers`, and `extra_body` merged into `body`.
    pub fn for_provider(
        spec: &super::ProviderSpec,
        url: String,
        body: impl Into<RequestBody>,
        key: Option<&str>,
    ) -> Result<NativeRequest, super::EncodeError> {
        let mut body = body.into();
        if !spec.extra_body.is_empty() {
            merge_fields(body.value_mut(), &spec.extra_body);
        }
        let mut req = NativeRequest::post(url, body);
        for (k, v) in spec.headers.iter().chain(&spec.extra_headers) {
            req.header(k, v.clone());
        }
        if let Some(key) = key {
            match &spec.auth {
                super::AuthStyle::Bearer => req.secret_header("authorization", format!("Bearer {key}")),
                super::AuthStyle::Header(name) => req.secret_header(name, key),
                super::AuthStyle::None => {}
            }
        }
        Ok(req)
    }
}

impl NativeRequest {
    /// Merges one scenario's or caller's extra fields and headers into the encoded request, as
    /// the catalog's `extra_body` and `extra_headers` are: body fields by [`merge_json`], headers
    /// replacing any of the same name. What is merged is what is sent (and recorded), so a
    /// change to it shows as request drift in replay.
    pub fn apply_overrides<'a>(
        &mut self,
        body: &Map<String, Value>,
        headers: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) {
        if !body.is_empty() {
            merge_fields(self.body.value_mut(), body);
        }
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            self.headers.retain(|(n, _)| *n != name);
            self.headers.push((name, value.clone()));
        }
    }
}

/// Merges `extra` into an encoded body object, field by field.
fn merge_fields(body: &mut Value, extra: &Map<String, Value>) {
    if let Value::Object(map) = body {
        for (k, v) in extra {
            match map.get_mut(k) {
                Some(existing) => merge_json(existing, v),
                None => {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// Merges extra body fields into an encoded body: objects merge key by key, arrays append (a
/// grounding tool joins the encoded function declarations), anything else is replaced.
fn merge_json(base: &mut Value, extra: &Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                match b.get_mut(k) {
                    Some(existing) => merge_json(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(e)) => b.extend(e.iter().cloned()),
        (b, e) => *b = e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overrides_merge_like_extra_body_and_replace_headers() {
        let mut r = NativeRequest::post(
            "http://x/v1".into(),
            json!({"tools": [{"functionDeclarations": []}], "generationConfig": {"temperature": 0.2}}),
        );
        r.header("anthropic-beta", "a");
        let body = json!({"tools": [{"google_search": {}}], "generationConfig": {"thinkingConfig": {"includeThoughts": true}}, "top_k": 3});
        let headers = [("Anthropic-Beta".to_string(), "b".to_string())];
        r.apply_overrides(body.as_object().unwrap(), headers.iter().map(|(k, v)| (k, v)));
        assert_eq!(
            r.body,
            json!({"tools": [{"functionDeclarations": []}, {"google_search": {}}],
                "generationConfig": {"temperature": 0.2, "thinkingConfig": {"includeThoughts": true}}, "top_k": 3})
        );
        assert_eq!(r.header_value("anthropic-beta"), Some("b"));
        assert_eq!(r.headers.iter().filter(|(n, _)| n == "anthropic-beta").count(), 1);
    }
}
