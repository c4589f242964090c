//! The way back from a failed write. When the database file fails a write (a full
//! disk), redb refuses every later transaction until the file is closed and opened
//! again, and the store refuses writes from then on (`Store::write_fault`). This task
//! looks every two seconds; once the data folder takes a test write again, it reopens
//! the file and verifies it (`Store::reopen`), and writes resume without a restart. If
//! the file will not reopen and verify while there is room, the process exits non-zero
//! and systemd starts it afresh.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;

/// Failed reopen attempts (with room on the disk) before the process gives up.
const ATTEMPTS: u32 = 3;
/// The test write: about what a few transactions need.
const PROBE_BYTES: usize = 1024 * 1024;

/// Runs until `stop` turns true.
pub async fn watch(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failed_attempts = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if app.store.write_fault().is_none() {
            failed_attempts = 0;
            continue;
        }
        let data = app.config.data.clone();
        if !matches!(
            tokio::task::spawn_blocking(move || has_room(&data)).await,
            Ok(true)
        ) {
            continue;
        }
        let store = app.store.clone();
        let problem = match tokio::task::spawn_blocking(move || store.reopen()).await {
            Ok(Ok(examination)) if examination.is_sound() => continue,
            Ok(Ok(examination)) => examination.summary(),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        failed_attempts += 1;
        tracing::error!(
            attempt = failed_attempts,
            "the database file did not reopen cleanly after a write failure: {problem}"
        );
        if failed_attempts >= ATTEMPTS {
            tracing::error!(
                "giving up on reopening the database; exiting so that systemd restarts the service"
            );
            std::process::exit(75);
        }
    }
}

/// Whether the data folder takes a small file again (written, synced, removed).
fn has_room(data: &Path) -> bool {
    let probe = data.join(".heal-probe");
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(&vec![0u8; PROBE_BYTES])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.is_ok()
}
