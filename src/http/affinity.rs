//! Which cores a thread may run on (Linux's CPU affinity), so that each connection
//! thread can keep a core of its own.
//!
//! Left to itself, the kernel wakes a thread on the core of the thread that woke it:
//! under load both connection threads end up queued on one core, behind a client's
//! thread, while the other core idles, and their connections wait a scheduler tick
//! (4 ms) or more. nginx offers the same cure (`worker_cpu_affinity auto`).

use std::io;
use std::os::unix::thread::JoinHandleExt;
use std::thread::JoinHandle;

/// How many cores a set can name.
const MAX_CORES: usize = 8 * std::mem::size_of::<libc::cpu_set_t>();

/// A set of cores.
#[derive(Clone, Copy)]
pub struct Cores(libc::cpu_set_t);

impl Cores {
    /// The cores the calling thread may run on: for a thread started early, those the
    /// process was given (by `taskset`, systemd's `CPUAffinity=` or a cpuset).
    pub fn allowed() -> io::Result<Cores> {
        // SAFETY: cpu_set_t is plain bits; all zeros is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the size given is that of `set`, which the call fills.
        let failed = unsafe {
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &raw mut set)
        };
        if failed != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Cores(set))
    }

    /// The one core `cpu` (a number `list` gave).
    pub fn only(cpu: usize) -> Cores {
        // SAFETY: as above.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        if cpu < MAX_CORES {
            // SAFETY: `cpu` is within the set's bits.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        Cores(set)
    }

    /// The cores' numbers, in order.
    pub fn list(&self) -> Vec<usize> {
        // SAFETY: each `cpu` is within the set's bits.
        (0..MAX_CORES)
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &self.0) })
            .collect()
    }

    /// Lets the calling thread run on these cores only.
    pub fn apply_here(&self) -> io::Result<()> {
        // SAFETY: the size given is that of the set passed.
        let failed = unsafe {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &raw const self.0)
        };
        if failed != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Lets `thread` run on these cores only.
    pub fn apply_to<T>(&self, thread: &JoinHandle<T>) -> io::Result<()> {
        // SAFETY: the thread is alive while its handle is held unjoined (a finished
        // thread's id stays valid until joined), and the size is that of the set.
        let error = unsafe {
            libc::pthread_setaffinity_np(
                thread.as_pthread_t(),
                std::mem::size_of::<libc::cpu_set_t>(),
                &raw const self.0,
            )
        };
        if error != 0 {
            return Err(io::Error::from_raw_os_error(error));
        }
        Ok(())
    }
}

/// The core that last took in a packet of this socket (`SO_INCOMING_CPU`): where its
/// network card's queue, or on loopback its client, runs. None if the kernel does not
/// know yet.
pub fn incoming_core(socket: &impl std::os::fd::AsRawFd) -> Option<usize> {
    let mut core: libc::c_int = -1;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the option is an int, and `len` is its size.
    let failed = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_INCOMING_CPU,
            (&raw mut core).cast(),
            &raw mut len,
        )
    };
    if failed != 0 {
        return None;
    }
    usize::try_from(core).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread kept on one core reports that core alone, and may be given back the
    /// cores it had.
    #[test]
    fn a_thread_is_kept_on_one_core_and_given_back_the_rest() {
        let allowed = Cores::allowed().unwrap();
        let cores = allowed.list();
        assert!(!cores.is_empty());
        let last = *cores.last().unwrap();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = wait.recv();
            let pinned = Cores::allowed().unwrap().list();
            allowed.apply_here().unwrap();
            (pinned, Cores::allowed().unwrap().list())
        });
        Cores::only(last).apply_to(&thread).unwrap();
        go.send(()).unwrap();
        let (pinned, restored) = thread.join().unwrap();
        assert_eq!(pinned, [last]);
        assert_eq!(restored, cores);
    }
}
