use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::fake_family::default_status;
use super::prompt_cache::PromptCache;
use super::{FakeBody, FakeCtx, FakeFamily, FakeResponse, family_for};
use crate::{AnswerBook, CASE_HEADER, Fault, INVALID_KEY, MockError};
use llm_conform_core::api::ErrorKind;
use llm_conform_core::providers::{Catalog, ProviderSpec, WireFamily};

/// A running fake provider on 127.0.0.1.
pub struct FakeProvider {
    server: MockServer,
}

impl FakeProvider {
    /// Starts a fake imitating the built-in catalog's `provider` (or, for a name the catalog does
    /// not know, a provider of `family` without quirks), answering from `book`.
    pub async fn start(provider: &str, family: WireFamily, book: Arc<dyn AnswerBook>) -> FakeProvider {
        let spec = match Catalog::builtin().get(provider) {
            Ok(s) if s.family == family => s.clone(),
            _ => bare_spec(provider, family),
        };
        FakeProvider::for_spec(&spec, book).await
    }

    /// Starts a fake imitating the provider `spec` describes: it rejects what the spec's quirks
    /// say the real API rejects, config overrides included.
    pub async fn for_spec(spec: &ProviderSpec, book: Arc<dyn AnswerBook>) -> FakeProvider {
        let server = MockServer::builder().start().await;
        let responder =
            FakeResponder { spec: spec.clone(), family: family_for(spec.family), book, cache: PromptCache::default() };
        Mock::given(any()).respond_with(responder).mount(&server).await;
        FakeProvider { server }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// How many requests it has answered.
    pub async fn request_count(&self) -> usize {
        self.server.received_requests().await.map_or(0, |r| r.len())
    }
}

/// A catalog entry for a provider the built-in catalog does not have: its family's defaults.
fn bare_spec(provider: &str, family: WireFamily) -> ProviderSpec {
    let entry = serde_json::json!({"family": family.as_str(), "base_url": "http://127.0.0.1"});
    let mut spec: ProviderSpec = serde_json::from_value(entry).expect("a family and a base url make a provider");
    spec.name = provider.to_string();
    spec
}

struct FakeResponder {
    spec: ProviderSpec,
    family: &'static dyn FakeFamily,
    book: Arc<dyn AnswerBook>,
    cache: PromptCache,
}

impl Respond for FakeResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        to_template(self.answer(req))
    }
}

impl FakeResponder {
    fn answer(&self, req: &Request) -> FakeResponse {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let path = match req.url.query() {
            Some(q) => format!("{}?{q}", req.url.path()),
            None => req.url.path().to_string(),
        };
        let case = req.headers.get(CASE_HEADER).and_then(|v| v.to_str().ok()).filter(|c| !c.is_empty());
        let seed = case.map_or(0, fnv);
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| path.split("/models/").nth(1).and_then(|r| r.split(':').next()).map(str::to_string))
            .unwrap_or_default();
        let provider = self.spec.name.clone();
        let ctx = FakeCtx { provider, spec: self.spec.clone(), model, request: body.clone(), path: path.clone(), seed };
        if presented_key(req) == Some(INVALID_KEY) {
            let err = MockError { kind: ErrorKind::Authentication, status: None, message: None, retry_after_s: None };
            return self.family.error(&err, &ctx);
        }
        if let Err(rejection) = self.family.validate(&ctx) {
            return rejection;
        }
        let Some(case) = case else {
            return plain_error(400, format!("fake {}: request carries no {CASE_HEADER} header", ctx.provider));
        };
        let Some(mock) = self.book.answer(case) else {
            return plain_error(404, format!("fake {}: no mock for case {case}", ctx.provider));
        };
        let cached_mock;
        let mock = if mock.prompt_cache {
            let mut m = mock.clone();
            m.usage = Some(self.cache.usage(case, &ctx, mock.usage_or_estimate()));
            cached_mock = m;
            &cached_mock
        } else {
            mock
        };
        let stream =
            body.get("stream").and_then(Value::as_bool).unwrap_or(false) || path.contains(":streamGenerateContent");
        let mut resp = match (&mock.fault, &mock.error) {
            (Some(Fault::Html500), _) => html(500, "500 Internal Server Error"),
            (Some(Fault::Html502), _) => html(502, "502 Bad Gateway"),
            (Some(Fault::NotJson), _) => FakeResponse {
                status: 200,
                headers: Vec::new(),
                body: FakeBody::Text {
                    content_type: "text/html".into(),
                    text: "<html><body>Service temporarily in maintenance</body></html>".into(),
                },
                delay_ms: 0,
            },
            (_, Some(err)) => self.family.error(err, &ctx),
            _ => self.family.success(mock, &ctx, stream),
        };
        match mock.fault {
            Some(Fault::CutStream) => {
                if let FakeBody::Events(events) = &mut resp.body {
                    let keep = events.len().div_ceil(2).min(events.len().saturating_sub(1)).max(1);
                    events.truncate(keep);
                }
            }
            Some(Fault::Timeout) => resp.delay_ms = resp.delay_ms.max(30_000),
            _ => {}
        }
        if let Some(d) = mock.delay_ms {
            resp.delay_ms = resp.delay_ms.max(d);
        }
        resp
    }
}

/// The credential the request presented, whichever header carries it.
fn presented_key(req: &Request) -> Option<&str> {
    for name in ["authorization", "x-api-key", "api-key", "x-goog-api-key"] {
        if let Some(v) = req.headers.get(name).and_then(|v| v.to_str().ok()) {
            return Some(v.strip_prefix("Bearer ").unwrap_or(v));
        }
    }
    None
}

fn html(status: u16, title: &str) -> FakeResponse {
    FakeResponse {
        status,
        headers: Vec::new(),
        body: FakeBody::Text {
            content_type: "text/html".into(),
            text: format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
            ),
        },
        delay_ms: 0,
    }
}

fn plain_error(status: u16, message: String) -> FakeResponse {
    FakeResponse::json(status, serde_json::json!({"error": {"message": message, "type": "fake_provider_error"}}))
}

fn to_template(resp: FakeResponse) -> ResponseTemplate {
    let (bytes, content_type) = resp.render();
    let mut t = ResponseTemplate::new(resp.status).set_body_raw(bytes, &content_type);
    for (k, v) in &resp.headers {
        t = t.insert_header(k.as_str(), v.as_str());
    }
    if resp.delay_ms > 0 {
        t = t.set_delay(Duration::from_millis(resp.delay_ms));
    }
    t
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The status a family's fake uses for `err`.
pub fn status_for(err: &MockError) -> u16 {
    err.status.unwrap_or_else(|| default_status(err.kind))
}
