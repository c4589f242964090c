//! Work that must not slow the answers. Compressing a day's request log, a backup and
//! an integrity check each read a whole file or store and take a core for seconds (a
//! minute or more on a large site); on a 2-core server the pages waiting behind them
//! should not. Each runs on a thread of its own at a lower priority (nice 10): the
//! connection threads get the cores first, and an idle server gives the work all of
//! them.

/// Makes the calling thread yield the CPU to the request threads (nice 10). On Linux,
/// `setpriority` with `PRIO_PROCESS` and 0 sets the calling thread's priority alone,
/// which is why the work gets a thread of its own: a pool's thread would keep it.
pub fn lower_priority(what: &str) {
    // SAFETY: a plain system call on the calling thread; no memory is shared.
    let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) } != 0;
    if failed {
        tracing::debug!(
            "the {what} thread keeps its priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Runs `work` on a new thread named `name` at a lower priority, and waits for it
/// without holding up the caller's event loop. An error if the thread could not start,
/// or stopped (panicked) before it finished.
pub async fn run<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<T> {
    let (sender, result) = tokio::sync::oneshot::channel();
    let what = name.to_string();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            lower_priority(&what);
            let _ = sender.send(work());
        })?;
    result
        .await
        .map_err(|_| std::io::Error::other(format!("the {name} thread stopped before it finished")))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn work_runs_at_a_lower_priority_and_a_panic_is_an_error() {
        let niceness = super::run("test-work", || {
            // SAFETY: reads the calling thread's priority.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
        })
        .await
        .unwrap();
        assert_eq!(niceness, 10);
        // SAFETY: as above, for this (test) thread, which keeps its own priority.
        assert_eq!(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }, 0);
        let failed = super::run("test-panic", || -> u8 { panic!("on purpose") }).await;
        assert!(failed.unwrap_err().to_string().contains("test-panic"));
    }
}
