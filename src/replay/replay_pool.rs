//! Replay servers taken in turn, so that a long offline run holds a bounded amount of memory.
//!
//! wiremock 0.6 keeps a copy of every request a mock matches for as long as its server lives,
//! whatever `disable_request_recording` says, and each copy's headers pin hyper's read buffer:
//! about 9 KB per replayed call, most of a large replay's memory. Its only release, `reset`,
//! removes the mock too and leaves a moment in which a request finds none. So no server here
//! answers more than [`ReplayPool::CALLS_PER_SERVER`] calls: the next call starts a fresh
//! server and is sent there, and the old one stops (and frees what it kept) once the last call
//! it answered has ended. Every call holds a [`ReplayLease`] on the server it went to, so none
//! is cut off and no request ever meets a server without its mock.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;

use super::ReplayServer;

/// The replay servers of one run; calls are sent to the newest.
pub struct ReplayPool {
    fixtures: PathBuf,
    /// The first server's address: the replay catalog's base URLs point there, and a call's URL
    /// is moved to the server it is leased to.
    first_uri: String,
    current: Mutex<Arc<Served>>,
}

/// A server and how many calls it has taken.
struct Served {
    /// Held, not read: dropping it stops the server.
    _server: ReplayServer,
    uri: String,
    calls: AtomicUsize,
}

/// A call's hold on the server it is sent to: the server lives until its last lease is dropped.
pub struct ReplayLease {
    served: Arc<Served>,
}

impl ReplayPool {
    /// Calls one server answers before the next takes over: a few MB of what wiremock keeps,
    /// against a server start (a thread, a bind; about a millisecond) per this many calls.
    pub const CALLS_PER_SERVER: usize = 256;

    pub async fn start(fixtures_root: &Path) -> io::Result<ReplayPool> {
        let first = Self::serve(fixtures_root).await?;
        Ok(ReplayPool {
            fixtures: fixtures_root.to_path_buf(),
            first_uri: first.uri.clone(),
            current: Mutex::new(Arc::new(first)),
        })
    }

    async fn serve(fixtures_root: &Path) -> io::Result<Served> {
        let server = ReplayServer::start(fixtures_root).await?;
        let uri = server.uri();
        Ok(Served { _server: server, uri, calls: AtomicUsize::new(0) })
    }

    /// Where the replay catalog's base URLs point.
    pub fn uri(&self) -> &str {
        &self.first_uri
    }

    /// A lease on the server the next call goes to, starting a fresh one when the current
    /// server has answered its share.
    pub async fn lease(&self) -> io::Result<ReplayLease> {
        let mut current = self.current.lock().await;
        if current.calls.load(Ordering::Relaxed) >= Self::CALLS_PER_SERVER {
            *current = Arc::new(Self::serve(&self.fixtures).await?);
        }
        current.calls.fetch_add(1, Ordering::Relaxed);
        Ok(ReplayLease { served: current.clone() })
    }

    /// `url` (built from the replay catalog) sent to the leased server instead.
    pub fn redirect(&self, url: &str, lease: &ReplayLease) -> String {
        match url.strip_prefix(self.first_uri.as_str()) {
            Some(rest) => format!("{}{rest}", lease.served.uri),
            None => url.to_string(),
        }
    }
}

impl ReplayLease {
    /// The leased server's address.
    pub fn uri(&self) -> &str {
        &self.served.uri
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_takes_its_share_of_calls_then_the_next_one_starts_and_urls_follow() {
        let dir = tempfile::tempdir().unwrap();
        let pool = ReplayPool::start(dir.path()).await.unwrap();
        let first = pool.uri().to_string();
        let url = format!("{first}/v1/chat/completions");
        let mut leases = Vec::new();
        for _ in 0..ReplayPool::CALLS_PER_SERVER {
            let lease = pool.lease().await.unwrap();
            assert_eq!(lease.uri(), first);
            assert_eq!(pool.redirect(&url, &lease), url);
            leases.push(lease);
        }
        // The first server is still held by its leases, so the next one has another address.
        let next = pool.lease().await.unwrap();
        assert_ne!(next.uri(), first);
        assert_eq!(pool.redirect(&url, &next), format!("{}/v1/chat/completions", next.uri()));
        // A URL that is not the replay server's is left alone.
        assert_eq!(pool.redirect("http://elsewhere/x", &next), "http://elsewhere/x");
    }
}
