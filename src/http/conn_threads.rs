//! Connection threads: each accepted connection lives its whole life on one thread,
//! which runs an event loop of its own (a current-thread tokio runtime), one thread
//! per core, as nginx's worker processes do.
//!
//! In tokio's shared, work-stealing runtime a connection's task moved between the
//! workers: the one that polled the I/O driver woke it, and parked workers were woken
//! to steal. Here a connection's readiness, its timers and its task stay on one thread.
//! That served 8–28% more requests per second and halved the tail at a fixed load; it
//! costs a miss about 0.1–0.3 ms (its store read on the blocking pool must wake the
//! thread), and at a saturating load a thread that loses its core keeps its share of the
//! connections waiting (README, Performance). The accept loop and the sites' jobs stay
//! on the shared runtime; blocking work from a connection runs on its thread's own pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

/// What a connection thread runs: made on that thread, so that its socket and timers
/// register with that thread's event loop.
pub type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

pub struct ConnThreads {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
    threads: Vec<JoinHandle<()>>,
    /// Turns true when the threads must drop what they still run and end.
    end: watch::Sender<bool>,
    heartbeats: Heartbeats,
}

/// When each thread's event loop last ran its heartbeat task: a thread wedged by a
/// handler that never yields keeps its share of the connections waiting, and the
/// watchdog, on the shared runtime, would not notice otherwise.
#[derive(Clone)]
pub struct Heartbeats {
    since: Instant,
    /// Milliseconds after `since`, per thread.
    last: Arc<[AtomicU64]>,
}

/// How often each thread records its heartbeat.
const HEARTBEAT: Duration = Duration::from_secs(1);

impl Heartbeats {
    fn new(count: usize) -> Heartbeats {
        Heartbeats {
            since: Instant::now(),
            last: (0..count).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn beat(&self, thread: usize) {
        let now = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last[thread].store(now, Ordering::Relaxed);
    }

    /// Each thread that has not run its event loop for longer than `limit`, in words.
    pub fn stalled(&self, limit: Duration) -> Vec<String> {
        let now = self.since.elapsed();
        self.last
            .iter()
            .enumerate()
            .filter_map(|(n, last)| {
                let quiet = now.saturating_sub(Duration::from_millis(last.load(Ordering::Relaxed)));
                (quiet > limit).then(|| {
                    format!(
                        "connection thread {n} has not run its event loop for {} s",
                        quiet.as_secs()
                    )
                })
            })
            .collect()
    }
}

/// Threads started before the runtime, waiting for the server (`prestart`).
static PRESTARTED: Mutex<Option<ConnThreads>> = Mutex::new(None);

/// How many cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Blocking work (store transactions, compression) from one connection thread; the
/// pools are per thread, so this is the most one thread's requests hold at once.
const BLOCKING_THREADS: usize = 8;

impl ConnThreads {
    /// Starts `count` threads (at least one), and returns once each has allocated
    /// memory: the allocator gives the first threads to allocate an arena of their
    /// own (see `cli::tune_allocator`), and these are the busiest.
    pub fn start(count: usize) -> std::io::Result<ConnThreads> {
        let count = count.max(1);
        let (end, ended) = watch::channel(false);
        let (started, built) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let heartbeats = Heartbeats::new(count);
        let mut senders = Vec::new();
        let mut threads = Vec::new();
        for n in 0..count {
            let (sender, jobs) = mpsc::unbounded_channel::<Job>();
            let (ended, started, heartbeats) = (ended.clone(), started.clone(), heartbeats.clone());
            let thread = std::thread::Builder::new()
                .name(format!("trangtin-conn-{n}"))
                .spawn(move || {
                    // Built here: a runtime must not be dropped on an async caller's
                    // thread, as it would be if this thread failed to start.
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .max_blocking_threads(BLOCKING_THREADS)
                        .build();
                    match runtime {
                        Ok(runtime) => {
                            let _ = started.send(Ok(()));
                            drop(started);
                            run(runtime, jobs, ended, (heartbeats, n));
                        }
                        Err(e) => {
                            let _ = started.send(Err(e));
                        }
                    }
                })?;
            senders.push(sender);
            threads.push(thread);
        }
        drop(started);
        // Once every thread has built its runtime (and allocated); an error from one
        // ends the others (their job channels close with `senders`).
        for _ in 0..count {
            if let Ok(Err(e)) = built.recv() {
                return Err(e);
            }
        }
        Ok(ConnThreads {
            senders,
            next: AtomicUsize::new(0),
            threads,
            end,
            heartbeats,
        })
    }

    /// One thread per core.
    pub fn per_core() -> std::io::Result<ConnThreads> {
        ConnThreads::start(cores())
    }

    /// Starts the threads now, before the runtime's, for the next server to take
    /// (`take_or_start`): the binary calls it first thing, so that these threads get
    /// the allocator's arenas before the runtime's workers do.
    pub fn prestart() -> std::io::Result<()> {
        let threads = ConnThreads::per_core()?;
        *PRESTARTED.lock().unwrap_or_else(PoisonError::into_inner) = Some(threads);
        Ok(())
    }

    /// The threads `prestart` started, or new ones (tests start many servers in one
    /// process; each takes threads of its own).
    pub fn take_or_start() -> std::io::Result<ConnThreads> {
        let prestarted = PRESTARTED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        prestarted.map_or_else(ConnThreads::per_core, Ok)
    }

    /// When each thread last ran its event loop.
    pub fn heartbeats(&self) -> Heartbeats {
        self.heartbeats.clone()
    }

    /// Runs `job` on the next thread in turn. False if that thread has ended.
    pub fn run(&self, job: Job) -> bool {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len();
        self.senders[n].send(job).is_ok()
    }

    /// Ends the threads: what they still run (connections past the shutdown's grace)
    /// is dropped, and each thread is joined.
    pub fn close(self) {
        let ConnThreads {
            senders,
            threads,
            end,
            ..
        } = self;
        let _ = end.send(true);
        drop(senders);
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// A connection thread: spawns each job it receives until told to end; dropping the
/// runtime then drops the tasks still open.
fn run(
    runtime: tokio::runtime::Runtime,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    mut ended: watch::Receiver<bool>,
    (heartbeats, thread): (Heartbeats, usize),
) {
    runtime.block_on(async move {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                heartbeats.beat(thread);
            }
        });
        loop {
            tokio::select! {
                job = jobs.recv() => match job {
                    Some(job) => {
                        tokio::spawn(job());
                    }
                    None => break,
                },
                _ = ended.wait_for(|end| *end) => return,
            }
        }
        // No more connections come: serve the open ones until told to end.
        let _ = ended.wait_for(|end| *end).await;
    });
    // Blocking work still running (a transaction) gets as long as the binary gives the
    // shared runtime's (`cli::serve`), so that the database closes before it exits.
    runtime.shutdown_timeout(Duration::from_secs(5));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs go to each thread in turn and run there, each on one named thread for
    /// their whole life; closing drops what is still running and joins the threads.
    #[test]
    fn each_job_lives_on_one_thread_and_closing_drops_the_unfinished() {
        let threads = ConnThreads::start(2).unwrap();
        let (seen, saw) = std::sync::mpsc::channel::<(String, String)>();
        for _ in 0..4 {
            let seen = seen.clone();
            assert!(threads.run(Box::new(move || {
                Box::pin(async move {
                    let name = || std::thread::current().name().unwrap_or("").to_string();
                    let before = name();
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    let _ = seen.send((before, name()));
                })
            })));
        }
        let mut names: Vec<String> = (0..4)
            .map(|_| {
                let (before, after) = saw.recv().unwrap();
                assert_eq!(before, after, "a job stays on its thread");
                before
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "trangtin-conn-0",
                "trangtin-conn-0",
                "trangtin-conn-1",
                "trangtin-conn-1"
            ]
        );

        // A connection that never ends is dropped when the threads close.
        struct Dropped(std::sync::mpsc::Sender<()>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let (dropped, was_dropped) = std::sync::mpsc::channel();
        let (running, is_running) = std::sync::mpsc::channel();
        assert!(threads.run(Box::new(move || {
            Box::pin(async move {
                let _guard = Dropped(dropped);
                let _ = running.send(());
                std::future::pending::<()>().await;
            })
        })));
        is_running.recv().unwrap();
        assert!(was_dropped.try_recv().is_err());
        threads.close();
        assert!(was_dropped.try_recv().is_ok());
    }

    /// A handler that blocks its thread stops that thread's heartbeat, which the
    /// watchdog reads; the others beat on, and it beats again once freed.
    #[test]
    fn a_wedged_thread_is_named_by_its_heartbeat() {
        let threads = ConnThreads::start(2).unwrap();
        let beats = threads.heartbeats();
        let limit = HEARTBEAT + Duration::from_millis(500);
        std::thread::sleep(Duration::from_millis(200));
        assert!(beats.stalled(limit).is_empty());
        let (release, wedged) = std::sync::mpsc::channel::<()>();
        assert!(threads.run(Box::new(move || {
            Box::pin(async move {
                let _ = wedged.recv_timeout(Duration::from_secs(20));
            })
        })));
        std::thread::sleep(limit + Duration::from_secs(1));
        let stalled = beats.stalled(limit);
        assert_eq!(stalled.len(), 1, "{stalled:?}");
        assert!(
            stalled[0].starts_with("connection thread 0 "),
            "{stalled:?}"
        );
        release.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(beats.stalled(limit).is_empty());
        threads.close();
    }
}
