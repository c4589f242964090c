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
//!
//! Each thread can be kept on a core of its own (`pin`), and a connection then goes to
//! the thread on the core its packets come in on (`run_near`; see `affinity`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::affinity::Cores;

/// What a connection thread runs: made on that thread, so that its socket and timers
/// register with that thread's event loop.
pub type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

pub struct ConnThreads {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
    /// How many connections each thread holds.
    open: Arc<[AtomicUsize]>,
    /// The core each thread is kept on, once `pin`ned.
    cores: Option<Vec<usize>>,
    threads: Vec<JoinHandle<()>>,
    /// The cores the process may use, as the threads started.
    allowed: Option<Cores>,
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

/// How many connections more than the least busy thread's a thread may hold and still
/// take one that comes in on its core. A client opens its connections in a burst from
/// one core: with room for two, the rest of a burst of eight went to the other thread,
/// whose answers then waited for the other core (the benchmark's p99 at 16 connections
/// was 0.6–3.6 ms; with 8, 0.45). With room for 16, all of `h2load`'s 16 connections
/// could land on one thread, which then served them alone (0.93× nginx once). With one
/// network queue, whose packets all come in on one core, the threads still share a
/// busy site's hundreds of connections within this many.
const NEAR_SLACK: usize = 8;

/// A connection counted in its thread's `open` until dropped.
struct Held {
    open: Arc<[AtomicUsize]>,
    thread: usize,
}

impl Held {
    fn new(open: Arc<[AtomicUsize]>, thread: usize) -> Held {
        open[thread].fetch_add(1, Ordering::Relaxed);
        Held { open, thread }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.open[self.thread].fetch_sub(1, Ordering::Relaxed);
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
        let allowed = Cores::allowed()
            .inspect_err(|e| tracing::warn!("cannot read which cores this process may use: {e}"))
            .ok();
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
                        // A blocking thread inherits its starter's cores: once this
                        // thread is pinned (`pin`), its store reads and compression
                        // would be kept on its core too. They get all cores back.
                        .on_thread_start(move || {
                            if let Some(allowed) = allowed {
                                let _ = allowed.apply_here();
                            }
                        })
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
            open: (0..count).map(|_| AtomicUsize::new(0)).collect(),
            cores: None,
            threads,
            allowed,
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

    /// Keeps each thread on a core of its own, when there is one thread per core the
    /// process may use (`limits.pin_threads`; see `affinity`). Returns the cores, or
    /// None when the threads are left free to move.
    pub fn pin(&mut self) -> Option<Vec<usize>> {
        let cores = self.allowed.as_ref()?.list();
        if cores.len() != self.threads.len() || cores.len() < 2 {
            return None;
        }
        for (thread, &core) in self.threads.iter().zip(&cores) {
            if let Err(e) = Cores::only(core).apply_to(thread) {
                tracing::warn!(
                    "cannot keep a connection thread on core {core}, leaving all free: {e}"
                );
                self.unpin();
                return None;
            }
        }
        self.cores = Some(cores.clone());
        Some(cores)
    }

    fn unpin(&self) {
        if let Some(allowed) = &self.allowed {
            for thread in &self.threads {
                let _ = allowed.apply_to(thread);
            }
        }
    }

    /// When each thread last ran its event loop.
    pub fn heartbeats(&self) -> Heartbeats {
        self.heartbeats.clone()
    }

    /// Runs a connection's `job` on the thread kept on `core`, the core its packets
    /// come in on (`affinity::incoming_core`), so that they are taken in and answered
    /// on one core and neither thread waits for the other's. Without a core, or when
    /// that thread already holds more than its share, on the thread holding the fewest
    /// connections (the next in turn among equals). False if that thread has ended.
    pub fn run_near(&self, core: Option<usize>, job: Job) -> bool {
        let near = core.and_then(|core| self.cores.as_ref()?.iter().position(|&c| c == core));
        let least = self.least_busy();
        let n = match near {
            Some(near) if self.held(near) <= self.held(least) + NEAR_SLACK => near,
            _ => least,
        };
        self.run_on(n, job)
    }

    fn held(&self, n: usize) -> usize {
        self.open[n].load(Ordering::Relaxed)
    }

    fn least_busy(&self) -> usize {
        let count = self.senders.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % count;
        (start..start + count)
            .map(|n| n % count)
            .min_by_key(|&n| self.held(n))
            .unwrap_or(0)
    }

    fn run_on(&self, n: usize, job: Job) -> bool {
        let held = Held::new(self.open.clone(), n);
        let job: Job = Box::new(move || {
            let connection = job();
            Box::pin(async move {
                let _held = held;
                connection.await;
            })
        });
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
            assert!(threads.run_near(
                None,
                Box::new(move || {
                    Box::pin(async move {
                        let name = || std::thread::current().name().unwrap_or("").to_string();
                        let before = name();
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        let _ = seen.send((before, name()));
                    })
                })
            ));
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
        assert!(threads.run_near(
            None,
            Box::new(move || {
                Box::pin(async move {
                    let _guard = Dropped(dropped);
                    let _ = running.send(());
                    std::future::pending::<()>().await;
                })
            })
        ));
        is_running.recv().unwrap();
        assert!(was_dropped.try_recv().is_err());
        threads.close();
        assert!(was_dropped.try_recv().is_ok());
    }

    /// A connection goes to the thread kept on the core its packets come in on, until
    /// that thread holds more than its share; the others go to the least busy thread,
    /// and a thread's count drops when its connection ends.
    #[test]
    fn a_connection_goes_to_the_thread_on_its_core_within_its_share() {
        let mut threads = ConnThreads::start(2).unwrap();
        threads.cores = Some(vec![4, 6]);
        let (seen, saw) = std::sync::mpsc::channel::<String>();
        let (end, ended) = watch::channel(false);
        let open = |threads: &ConnThreads, core: Option<usize>| {
            let (seen, mut ended) = (seen.clone(), ended.clone());
            assert!(threads.run_near(
                core,
                Box::new(move || {
                    Box::pin(async move {
                        let name = std::thread::current().name().unwrap_or("").to_string();
                        let _ = seen.send(name);
                        let _ = ended.wait_for(|end| *end).await;
                    })
                })
            ));
            saw.recv().unwrap()
        };
        // Core 6 is thread 1's: it takes up to NEAR_SLACK more than thread 0 holds
        // (none), then the next goes to thread 0.
        for _ in 0..=NEAR_SLACK {
            assert_eq!(open(&threads, Some(6)), "trangtin-conn-1");
        }
        assert_eq!(open(&threads, Some(6)), "trangtin-conn-0");
        // A core no thread is kept on, or none known: the least busy.
        assert_eq!(open(&threads, Some(5)), "trangtin-conn-0");
        assert_eq!(open(&threads, None), "trangtin-conn-0");
        assert_eq!((threads.held(0), threads.held(1)), (3, NEAR_SLACK + 1));
        let _ = end.send(true);
        for _ in 0..100 {
            if (threads.held(0), threads.held(1)) == (0, 0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!((threads.held(0), threads.held(1)), (0, 0));
        threads.close();
    }

    /// Pinned, each thread runs on a core of its own, and the blocking work it starts
    /// (store reads, compression) may run on every core.
    #[test]
    fn pinned_threads_keep_a_core_each_and_their_blocking_work_does_not() {
        let allowed = Cores::allowed().unwrap().list();
        let mut threads = ConnThreads::start(allowed.len()).unwrap();
        let Some(cores) = threads.pin() else {
            assert!(allowed.len() < 2, "{allowed:?}");
            eprintln!("one core only: nothing to pin");
            return;
        };
        assert_eq!(cores, allowed);
        let (seen, saw) = std::sync::mpsc::channel();
        for &core in &cores {
            let seen = seen.clone();
            assert!(threads.run_near(
                Some(core),
                Box::new(move || {
                    Box::pin(async move {
                        let here = Cores::allowed().unwrap().list();
                        let blocking =
                            tokio::task::spawn_blocking(|| Cores::allowed().unwrap().list());
                        let _ = seen.send((core, here, blocking.await.unwrap()));
                    })
                })
            ));
        }
        for _ in &cores {
            let (core, here, blocking) = saw.recv().unwrap();
            assert_eq!(here, [core]);
            assert_eq!(blocking, allowed);
        }
        threads.close();
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
        assert!(threads.run_near(
            None,
            Box::new(move || {
                Box::pin(async move {
                    let _ = wedged.recv_timeout(Duration::from_secs(20));
                })
            })
        ));
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
