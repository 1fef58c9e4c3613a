//! Graceful shutdown: no new connections, in-flight streams finish within the grace period,
//! and what outlives it is cut and counted.

use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn in_flight_streams_drain_after_the_signal() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    let mut gw = Spec::new().provider("openai", &uri).start().await;
    feed.send(openai_chunk("before ")).await.unwrap();
    let mut resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    let mut acc = String::new();
    read_until(&mut resp, &mut acc, |a| a.contains("before ")).await;

    gw.begin_shutdown();
    // The listener closes: a new connection is refused.
    let mut refused = false;
    for _ in 0..500 {
        if reqwest::Client::new().get(format!("{}/health", gw.url)).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "new connections still accepted while draining");

    feed.send(openai_chunk("after")).await.unwrap();
    feed.send(openai_finish()).await.unwrap();
    drop(feed);
    read_until(&mut resp, &mut acc, |a| a.ends_with("data: [DONE]\n\n")).await;
    assert!(acc.contains("after"));
    let summary = tokio::time::timeout(Duration::from_secs(10), gw.stopped()).await.unwrap();
    assert_eq!(summary.cut, 0);
}

#[tokio::test]
async fn streams_outliving_the_grace_period_are_cut_and_counted() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    let mut spec = Spec::new().provider("openai", &uri);
    spec.serve.grace_s = 0.2;
    let mut gw = spec.start().await;
    feed.send(openai_chunk("stuck")).await.unwrap();
    let mut resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    let mut acc = String::new();
    read_until(&mut resp, &mut acc, |a| a.contains("stuck")).await;
    let summary = tokio::time::timeout(Duration::from_secs(10), gw.stopped()).await.expect("grace period not enforced");
    assert_eq!(summary.cut, 1);
    drop(feed);
}
