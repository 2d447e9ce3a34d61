//! Reachability of each destination: a TCP connect to its host and port, run in the
//! background at most once per probe interval and cached, so `/health` never waits on it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::watch;

/// Longest a single connect attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The last probe of one destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reachability {
    /// True when the TCP connect succeeded; `None` before the first probe finished, or when
    /// the endpoint is not a URL with a host (a custom destination).
    pub reachable: Option<bool>,
    /// `host:port` probed.
    pub target: String,
    /// When the probe finished, milliseconds since the Unix epoch.
    pub checked_at_unix_ms: Option<u64>,
    /// How long the connect took, milliseconds.
    pub connect_ms: Option<f64>,
    /// Why it failed.
    pub error: Option<String>,
}

#[derive(Debug, Default)]
struct ProbeState {
    results: HashMap<String, Reachability>,
    last_started: Option<Instant>,
    running: bool,
}

/// The cache, shared by every clone of the router.
#[derive(Debug)]
pub(crate) struct ProbeCache {
    /// (destination name, endpoint URL).
    targets: Vec<(String, String)>,
    interval: Duration,
    state: Mutex<ProbeState>,
    /// Bumped each time a round of probes finishes.
    rounds: watch::Sender<u64>,
}

impl ProbeCache {
    pub(crate) fn new(targets: Vec<(String, String)>, interval: Duration) -> Self {
        let (rounds, _) = watch::channel(0);
        Self {
            targets,
            interval,
            state: Mutex::new(ProbeState::default()),
            rounds,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ProbeState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached results, starting a background refresh when they are older than the
    /// interval. Before the very first round has finished, waits for it up to `first_wait`
    /// (one round serves every concurrent caller).
    pub(crate) async fn current(
        self: &Arc<Self>,
        first_wait: Duration,
    ) -> Vec<(String, Reachability)> {
        let mut rounds = self.rounds.subscribe();
        self.refresh_if_stale();
        if *rounds.borrow_and_update() == 0 && !first_wait.is_zero() {
            let _ = tokio::time::timeout(first_wait, rounds.wait_for(|n| *n > 0)).await;
        }
        self.cached()
    }

    /// The cached results without waiting (a refresh is started when stale).
    pub(crate) fn cached_now(self: &Arc<Self>) -> Vec<(String, Reachability)> {
        self.refresh_if_stale();
        self.cached()
    }

    fn cached(&self) -> Vec<(String, Reachability)> {
        let state = self.lock();
        self.targets
            .iter()
            .map(|(name, endpoint)| {
                let r = state
                    .results
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| Reachability {
                        reachable: None,
                        target: target_of(endpoint).unwrap_or_else(|e| e),
                        checked_at_unix_ms: None,
                        connect_ms: None,
                        error: None,
                    });
                (name.clone(), r)
            })
            .collect()
    }

    fn refresh_if_stale(self: &Arc<Self>) {
        {
            let mut state = self.lock();
            let fresh = state
                .last_started
                .is_some_and(|t| t.elapsed() < self.interval);
            // A round that never reported back (its runtime went away) does not block
            // later rounds for long.
            let running = state.running
                && state
                    .last_started
                    .is_some_and(|t| t.elapsed() < CONNECT_TIMEOUT * 4);
            if running || fresh {
                return;
            }
            state.running = true;
            state.last_started = Some(Instant::now());
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.lock().running = false;
            return;
        };
        let cache = Arc::clone(self);
        runtime.spawn(async move {
            // Few destinations: one task each, so a slow one does not delay the others.
            let handles: Vec<_> = cache
                .targets
                .iter()
                .cloned()
                .map(|(name, endpoint)| tokio::spawn(async move { (name, probe(&endpoint).await) }))
                .collect();
            let mut results = Vec::with_capacity(handles.len());
            for handle in handles {
                if let Ok(result) = handle.await {
                    results.push(result);
                }
            }
            {
                let mut state = cache.lock();
                state.results.extend(results);
                state.running = false;
            }
            cache.rounds.send_modify(|n| *n += 1);
        });
    }
}

/// `host:port` of an endpoint URL (default port from the scheme).
fn target_of(endpoint: &str) -> Result<String, String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("{endpoint}: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("{endpoint}: no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("{endpoint}: no port"))?;
    Ok(format!("{host}:{port}"))
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// One TCP connect to the endpoint's host and port (every resolved address is tried).
pub(crate) async fn probe(endpoint: &str) -> Reachability {
    let failed = |target: String, error: String| Reachability {
        reachable: Some(false),
        target,
        checked_at_unix_ms: Some(now_unix_ms()),
        connect_ms: None,
        error: Some(error),
    };
    let target = match target_of(endpoint) {
        Ok(t) => t,
        // A custom destination may name something other than a URL: nothing to probe.
        Err(e) => {
            return Reachability {
                reachable: None,
                target: endpoint.to_owned(),
                checked_at_unix_ms: Some(now_unix_ms()),
                connect_ms: None,
                error: Some(format!("not probed: {e}")),
            };
        }
    };
    let lookup = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host(target.clone()));
    let addrs: Vec<SocketAddr> = match lookup.await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => return failed(target, format!("DNS: cannot resolve the host: {e}")),
        Err(_) => return failed(target, "DNS: no answer within 3s".to_owned()),
    };
    let started = Instant::now();
    let mut last_error = "DNS: the host resolved to no address".to_owned();
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_stream)) => {
                return Reachability {
                    reachable: Some(true),
                    target,
                    checked_at_unix_ms: Some(now_unix_ms()),
                    connect_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                    error: None,
                };
            }
            Ok(Err(e)) => last_error = format!("cannot connect to {addr}: {e}"),
            Err(_) => last_error = format!("no answer from {addr} within 3s"),
        }
    }
    failed(target, last_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_endpoint_that_is_not_a_url_is_not_probed() {
        let r = probe("stdout").await;
        assert_eq!(r.reachable, None);
        assert!(r.error.is_some_and(|e| e.starts_with("not probed")));
    }

    #[tokio::test]
    async fn a_listening_port_is_reachable() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let r = probe(&format!("http://127.0.0.1:{port}/v1/traces")).await;
        assert_eq!(r.reachable, Some(true), "{r:?}");
        assert_eq!(r.target, format!("127.0.0.1:{port}"));
    }

    #[test]
    fn default_ports_come_from_the_scheme() {
        assert_eq!(
            target_of("https://cloud.langfuse.com/api").as_deref(),
            Ok("cloud.langfuse.com:443")
        );
        assert_eq!(target_of("http://[::1]:4318").as_deref(), Ok("[::1]:4318"));
    }
}
