//! Talking to systemd (`Type=notify`): "ready" once the listeners are bound and the
//! store is open, "stopping" at shutdown, and watchdog pings while the server can still
//! read its store and write its data folder, so a wedged process gets restarted. Outside
//! systemd (no `NOTIFY_SOCKET`) every call does nothing.

use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::sync::watch;

use crate::http::conn_threads::Heartbeats;
use crate::http::sites::Sites;

pub fn ready() {
    if let Err(e) = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status("serving")]) {
        tracing::warn!("could not tell systemd the service is ready: {e}");
    }
}

pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}

/// A connection thread whose event loop has not run for this long is wedged.
const STALLED: Duration = Duration::from_secs(15);

/// Pings the watchdog at half its interval while the server is ready; a server that is
/// not (store or disk failing) stops pinging and systemd restarts it. With several sites,
/// one failing site does not restart the others: pings stop only when none is ready.
/// A wedged connection thread stops them too: its connections hang, whichever site.
pub async fn watchdog(sites: Arc<Sites>, threads: Heartbeats, mut stop: watch::Receiver<bool>) {
    let Some(interval) = sd_notify::watchdog_enabled() else {
        return;
    };
    let mut tick = tokio::time::interval(interval / 2);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let mut problems = Vec::new();
                let mut ready = false;
                for app in sites.all().iter().filter_map(|s| s.app.clone()) {
                    let found = crate::http::health::readiness(&app).await;
                    ready |= found.is_empty();
                    problems.extend(found);
                }
                let stalled = threads.stalled(STALLED);
                if !stalled.is_empty() {
                    tracing::error!(problems = stalled.join("; "), "withholding the watchdog ping");
                } else if ready || problems.is_empty() {
                    let _ = sd_notify::notify(&[NotifyState::Watchdog]);
                } else {
                    tracing::error!(problems = problems.join("; "), "not ready: withholding the watchdog ping");
                }
            }
            _ = stop.changed() => return,
        }
    }
}
