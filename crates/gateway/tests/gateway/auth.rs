//! Client keys: `Authorization: Bearer`, and no open gateway beyond loopback.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::TransportConfig;
use llm_conform_gateway::{ClientKeys, Gateway, GatewayError, GatewaySetup, ServeConfig};

#[tokio::test]
async fn requests_need_a_configured_key() {
    let fake = fake("openai", &[("c1", text("hi"))]).await;
    let gw = Spec::new().provider("openai", &fake.uri()).start().await;
    let url = format!("{}/v1/chat/completions", gw.url);
    let c = Running::client();
    for (auth, want) in [(None, 401), (Some("Bearer wrong-key"), 401), (Some(&*format!("Bearer {CLIENT_KEY}")), 200)] {
        let mut r = c.post(&url).header(llm_conform_fakes::CASE_HEADER, "c1").json(&request("cheap", false));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let resp = r.send().await.unwrap();
        assert_eq!(resp.status(), want, "{auth:?}");
        if want == 401 {
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "invalid_api_key");
            assert_eq!(body["error"]["type"], "invalid_request_error");
        }
    }
    let models = c.get(format!("{}/v1/models", gw.url)).send().await.unwrap();
    assert_eq!(models.status(), 401);
}

fn open_setup(listen: &str) -> GatewaySetup {
    GatewaySetup {
        serve: ServeConfig::default(),
        listen: listen.into(),
        catalog: Catalog::builtin(),
        policy: Default::default(),
        provider_keys: Arc::new(KeyStore::new(Duration::from_secs(1))),
        client_keys: ClientKeys::default(),
        transport: TransportConfig::default(),
        log: None,
    }
}

#[tokio::test]
async fn an_open_gateway_refuses_a_non_loopback_address() {
    let err = Gateway::bind(open_setup("0.0.0.0:0")).await.err().expect("must refuse");
    assert!(matches!(err, GatewayError::Unauthenticated { .. }), "{err}");
    assert!(err.to_string().contains("[serve] keys"), "{err}");
    // On loopback it starts, and takes requests without a key.
    let gw = Gateway::bind(open_setup("127.0.0.1:0")).await.unwrap();
    let url = format!("http://{}/v1/models", gw.local_addr());
    tokio::spawn(gw.serve(std::future::pending()));
    assert_eq!(Running::client().get(url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn bad_listen_addresses_are_reported() {
    let err = Gateway::bind(open_setup("not an address")).await.err().unwrap();
    assert!(matches!(err, GatewayError::Address { .. }), "{err}");
}
