//! Starting a gateway in front of fake providers, and reading what it answers.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use llm_conform_core::providers::{Catalog, WireFamily};
use llm_conform_core::router::RouterPolicy;
use llm_conform_core::secrets::{KeyRef, KeyStore, Secret};
use llm_conform_core::transport::TransportConfig;
use llm_conform_fakes::{AnswerBook, CASE_HEADER, FakeProvider, MockAnswer};
use llm_conform_gateway::{ClientKeys, Gateway, GatewaySetup, LogSink, ServeConfig, ServeSummary};

/// A key every fake provider is given; tests check it never comes back.
pub const PROVIDER_CANARY: &str = "sk-provider-canary-7f3a9c1e5b";
pub const CLIENT_KEY: &str = "client-key-for-tests-0042";

/// Mocks by case header.
#[derive(Default)]
pub struct Book(pub HashMap<String, MockAnswer>);

impl AnswerBook for Book {
    fn answer(&self, case: &str) -> Option<&MockAnswer> {
        self.0.get(case)
    }
}

pub fn book(entries: &[(&str, MockAnswer)]) -> Arc<Book> {
    Arc::new(Book(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()))
}

pub fn text(t: &str) -> MockAnswer {
    MockAnswer { text: Some(t.into()), ..Default::default() }
}

/// How to build one gateway.
pub struct Spec {
    pub serve: ServeConfig,
    pub overrides: toml::Table,
    pub policy: RouterPolicy,
    pub client_keys: Vec<&'static str>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Spec {
    pub fn new() -> Spec {
        let serve = ServeConfig { forward_headers: vec![CASE_HEADER.to_string()], ..ServeConfig::default() };
        Spec {
            serve,
            overrides: toml::Table::new(),
            policy: toml::from_str("[retry]\nbase_ms = 1\nmax_ms = 2\n").unwrap(),
            client_keys: vec![CLIENT_KEY],
            log: Arc::default(),
        }
    }

    /// Points `provider` at `uri` (keeping its path) with the canary as its key.
    pub fn provider(mut self, provider: &str, uri: &str) -> Spec {
        let mut spec = Catalog::builtin().get(provider).unwrap().clone();
        spec.rebase(uri);
        let mut t = toml::Table::new();
        t.insert("base_url".into(), spec.base_url.into());
        t.insert("key".into(), format!("env:GATEWAY_TEST_{}", provider.to_uppercase().replace('-', "_")).into());
        self.overrides.insert(provider.into(), t.into());
        self
    }

    pub fn policy(mut self, text: &str) -> Spec {
        self.policy = toml::from_str(text).unwrap();
        self
    }

    pub async fn start(self) -> Running {
        let catalog = Catalog::with_overrides(&self.overrides, "test").unwrap();
        let keys = KeyStore::new(Duration::from_secs(1));
        for name in self.overrides.keys() {
            let r = KeyRef::parse(&format!("env:GATEWAY_TEST_{}", name.to_uppercase().replace('-', "_"))).unwrap();
            keys.insert(r, Secret::new(PROVIDER_CANARY));
        }
        let providers: Vec<String> = self.overrides.keys().cloned().collect();
        let policy = self.policy.with_catalog_tiers(&catalog, &providers);
        let log = self.log.clone();
        let sink: LogSink = Arc::new(move |l: &str| log.lock().unwrap().push(l.to_string()));
        let setup = GatewaySetup {
            serve: self.serve,
            listen: "127.0.0.1:0".into(),
            catalog,
            policy,
            provider_keys: Arc::new(keys),
            client_keys: ClientKeys::from_secrets(self.client_keys.iter().map(|k| Secret::new(*k)).collect()),
            transport: TransportConfig::default(),
            log: Some(sink),
        };
        let gw = Gateway::bind(setup).await.unwrap();
        let url = format!("http://{}", gw.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(gw.serve(async move {
            let _ = rx.await;
        }));
        Running { url, stop: Some(tx), handle: Some(handle), log: self.log }
    }
}

/// A gateway serving in the background.
pub struct Running {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<Result<ServeSummary, llm_conform_gateway::GatewayError>>>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Running {
    pub fn client() -> reqwest::Client {
        reqwest::Client::new()
    }

    pub fn chat(&self, case: &str, body: Value) -> reqwest::RequestBuilder {
        Running::client()
            .post(format!("{}/v1/chat/completions", self.url))
            .bearer_auth(CLIENT_KEY)
            .header(CASE_HEADER, case)
            .json(&body)
    }

    /// Starts the shutdown; `stopped` waits for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub async fn stopped(&mut self) -> ServeSummary {
        self.begin_shutdown();
        let h = self.handle.take().expect("not stopped yet");
        h.await.unwrap().unwrap()
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

pub fn request(model: &str, stream: bool) -> Value {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hello."}],
        "stream": stream,
    })
}

/// A fake provider of `provider`'s family answering `entries` by case header.
pub async fn fake(provider: &str, entries: &[(&str, MockAnswer)]) -> FakeProvider {
    let family: WireFamily = Catalog::builtin().get(provider).unwrap().family;
    FakeProvider::start(provider, family, book(entries)).await
}

/// The `data:` payloads of an SSE body, checking OpenAI's framing on the way: no `event:`
/// lines, every event one `data:` line followed by a blank line.
pub fn sse_data(body: &str) -> Vec<String> {
    assert!(body.ends_with("\n\n"), "stream does not end with a blank line: {body:?}");
    body.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            assert!(!e.contains('\n'), "event has more than one line: {e:?}");
            e.strip_prefix("data: ").unwrap_or_else(|| panic!("not a data line: {e:?}")).to_string()
        })
        .collect()
}

/// A provider stand-in whose answers the test scripts: a JSON body, or a stream whose frames the
/// test sends one by one. Requests are recorded.
#[derive(Clone, Default)]
pub struct Scripted {
    scripts: Arc<Mutex<VecDeque<Script>>>,
    pub requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

pub enum Script {
    Json(u16, Vec<(&'static str, String)>, Value),
    Stream(mpsc::Receiver<Bytes>),
}

impl Scripted {
    pub async fn start(&self) -> String {
        let app = axum::Router::new().fallback(answer).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        uri
    }

    pub fn push(&self, s: Script) {
        self.scripts.lock().unwrap().push_back(s);
    }

    /// Queues a stream and returns the sender that feeds it.
    pub fn push_stream(&self) -> mpsc::Sender<Bytes> {
        let (tx, rx) = mpsc::channel(64);
        self.push(Script::Stream(rx));
        tx
    }
}

async fn answer(State(s): State<Scripted>, headers: HeaderMap, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.requests.lock().unwrap().push((headers, v));
    let next = s.scripts.lock().unwrap().pop_front();
    match next {
        Some(Script::Json(status, headers, body)) => {
            let mut r = (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
            r.headers_mut().insert("content-type", "application/json".parse().unwrap());
            for (k, v) in headers {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            r
        }
        Some(Script::Stream(mut rx)) => {
            let body =
                futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|f| f.map(Ok::<_, std::convert::Infallible>)));
            let mut r = (StatusCode::OK, Body::from_stream(body)).into_response();
            r.headers_mut().insert("content-type", "text/event-stream".parse().unwrap());
            r
        }
        None => (StatusCode::INTERNAL_SERVER_ERROR, "no script left").into_response(),
    }
}

/// An OpenAI chunk event carrying `text`.
pub fn openai_chunk(text: &str) -> Bytes {
    let v = serde_json::json!({
        "id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]
    });
    Bytes::from(format!("data: {v}\n\n"))
}

pub fn openai_finish() -> Bytes {
    let v = serde_json::json!({
        "id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    });
    Bytes::from(format!("data: {v}\n\ndata: [DONE]\n\n"))
}

/// Reads a response body chunk by chunk until `pred` holds for what arrived so far.
pub async fn read_until(resp: &mut reqwest::Response, acc: &mut String, pred: impl Fn(&str) -> bool) {
    let wait = async {
        while !pred(acc) {
            match resp.chunk().await.unwrap() {
                Some(b) => acc.push_str(&String::from_utf8_lossy(&b)),
                None => break,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.expect("the awaited bytes never arrived");
}
