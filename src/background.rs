//! Work that must not slow the answers. Compressing a day's request log, a backup and
//! an integrity check each read a whole file or store and take a core for seconds (a
//! minute or more on a large site); on a 2-core server the pages waiting behind them
//! should not. Each runs on a thread of its own at a lower priority (10 nice levels
//! below the server): the connection threads get the cores first, and an idle server
//! gives the work what it can use.

/// How much lower than the process's priority the work runs.
const LOWER_BY: i32 = 10;

/// Makes the calling thread yield the CPU to the request threads: 10 nice levels below
/// the process (at most 19). On Linux, `setpriority` with `PRIO_PROCESS` and 0 sets the
/// calling thread's priority alone, which is why the work gets a thread of its own: a
/// pool's thread would keep it.
pub fn lower_priority(what: &str) {
    // SAFETY: plain system calls on the calling thread; no memory is shared. errno is
    // cleared first because -1 is also a valid priority.
    let failed = unsafe {
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, 0);
        let now = if now == -1 && *libc::__errno_location() != 0 {
            0
        } else {
            now
        };
        libc::setpriority(libc::PRIO_PROCESS, 0, (now + LOWER_BY).min(19)) != 0
    };
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
    let what = name.to_string();
    run_as_is(name, move || {
        lower_priority(&what);
        work()
    })
    .await
}

/// As `run`, at the server's priority: for work that holds what the pages wait for
/// (a store-wide lock) before it can yield; it calls `lower_priority` itself after.
pub async fn run_as_is<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<T> {
    let (sender, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _ = sender.send(work());
        })?;
    result
        .await
        .map_err(|_| std::io::Error::other(format!("the {name} thread stopped before it finished")))
}

#[cfg(test)]
mod tests {
    fn priority() -> i32 {
        // SAFETY: reads the calling thread's priority.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[tokio::test]
    async fn work_runs_at_a_lower_priority_and_a_panic_is_an_error() {
        let ours = priority();
        let theirs = super::run("test-work", priority).await.unwrap();
        assert_eq!(theirs, (ours + super::LOWER_BY).min(19));
        // This thread keeps its own.
        assert_eq!(priority(), ours);
        let failed = super::run("test-panic", || -> u8 { panic!("on purpose") }).await;
        assert!(failed.unwrap_err().to_string().contains("test-panic"));
    }
}
