//! Binding, the HTTP routes, and serving until a shutdown signal, then draining.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router as Routes;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::access_log::{LogSink, stderr_sink};
use crate::app::App;
use crate::in_flight::InFlight;
use crate::metrics::Metrics;
use crate::upstream::Upstream;
use crate::{ApiError, ClientKeys, GatewayError, ServeConfig, Targets};
use llm_conform_core::providers::Catalog;
use llm_conform_core::router::{Router, RouterPolicy};
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::{HttpTransport, TransportConfig};

/// Everything the gateway is built from.
pub struct GatewaySetup {
    pub serve: ServeConfig,
    /// `HOST:PORT`; port 0 picks a free one.
    pub listen: String,
    pub catalog: Catalog,
    /// The routing policy, tiers already filled in (`RouterPolicy::with_catalog_tiers`).
    pub policy: RouterPolicy,
    /// Where provider keys come from; every provider's is resolved at start-up.
    pub provider_keys: Arc<KeyStore>,
    pub client_keys: ClientKeys,
    pub transport: TransportConfig,
    /// Where the access log goes; standard error when `None`.
    pub log: Option<LogSink>,
}

/// A bound, not yet serving, gateway.
pub struct Gateway {
    listener: TcpListener,
    app: Arc<App>,
    grace: Duration,
}

/// How serving ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSummary {
    /// Requests still in flight when the grace period ran out (0 for a clean drain).
    pub cut: usize,
}

impl Gateway {
    /// Validates the settings, resolves keys, builds the router and binds the address. An open
    /// gateway (no client keys) binds only to loopback addresses.
    pub async fn bind(setup: GatewaySetup) -> Result<Gateway, GatewayError> {
        setup.serve.validate()?;
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&setup.listen)
            .await
            .map_err(|_| GatewayError::Address { addr: setup.listen.clone() })?
            .collect();
        if addrs.is_empty() {
            return Err(GatewayError::Address { addr: setup.listen.clone() });
        }
        if setup.client_keys.is_open()
            && let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback())
        {
            return Err(GatewayError::Unauthenticated { addr: *a });
        }
        let listener = TcpListener::bind(addrs.as_slice())
            .await
            .map_err(|source| GatewayError::Bind { addr: setup.listen.clone(), source })?;
        let transport = HttpTransport::new(setup.transport).map_err(GatewayError::Transport)?;
        let (policy, targets) = Targets::expand(setup.policy);
        let upstream =
            Upstream::new(setup.catalog.clone(), &setup.provider_keys, transport, setup.client_keys.values());
        let app = App {
            router: Router::new(policy, setup.catalog),
            targets,
            upstream,
            auth: setup.client_keys,
            metrics: Metrics::default(),
            in_flight: InFlight::default(),
            deadline: Duration::from_secs_f64(setup.serve.deadline_s),
            max_body_bytes: setup.serve.max_body_bytes,
            forward_headers: setup.serve.forwarded_names(),
            access_log: setup.serve.access_log,
            log: setup.log.unwrap_or_else(stderr_sink),
            draining: AtomicBool::new(false),
        };
        Ok(Gateway { listener, app: Arc::new(app), grace: Duration::from_secs_f64(setup.serve.grace_s) })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` resolves; then stops accepting, lets requests and streams in
    /// flight finish for up to the grace period, and returns.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<ServeSummary, GatewayError> {
        let app = self.app.clone();
        let routes = routes(self.app.clone());
        let (tx, rx) = tokio::sync::watch::channel(false);
        let signalled = {
            let app = app.clone();
            async move {
                shutdown.await;
                app.draining.store(true, Ordering::Relaxed);
                let _ = tx.send(true);
            }
        };
        // Stream frames are small writes: without TCP_NODELAY, Nagle's algorithm holds each one
        // back until the client's delayed ACK (~40 ms) and streams stall frame by frame.
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(listener, routes).with_graceful_shutdown(signalled);
        let grace = self.grace;
        let mut rx2 = rx.clone();
        let grace_over = async move {
            let _ = rx2.wait_for(|v| *v).await;
            let start = Instant::now();
            tokio::time::sleep(grace).await;
            start
        };
        tokio::select! {
            r = server => {
                r.map_err(GatewayError::Serve)?;
                // Streams hold no connection future once the response is sent; wait for them too.
                let deadline = Instant::now() + grace;
                while app.in_flight.count() > 0 && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(ServeSummary { cut: app.in_flight.count() })
            }
            _ = grace_over => Ok(ServeSummary { cut: app.in_flight.count() }),
        }
    }
}

fn routes(app: Arc<App>) -> Routes {
    Routes::new()
        .route("/v1/chat/completions", post(crate::chat::completions))
        .route("/chat/completions", post(crate::chat::completions))
        .route("/v1/models", get(crate::models::list))
        .route("/models", get(crate::models::list))
        .route("/health", get(crate::health::health))
        .route("/metrics", get(crate::health::metrics))
        .fallback(|req: Request| async move { ApiError::no_route(req.uri().path()).into_response() })
        // The chat handler reads its body under its own cap and answers 413 in OpenAI's format.
        .layer(DefaultBodyLimit::disable())
        .with_state(app)
}
