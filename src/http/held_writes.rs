//! An HTTP/2 connection's writes, held until its task has run its requests.
//!
//! h2 writes each response body's DATA frame with the frames queued before it in one
//! vectored write, and then flushes before it takes the next frame (a frame larger than
//! 256 bytes is chained, not copied). Ten requests that arrived together thus went out
//! in ten writes: ten TLS records, ten system calls, and ten wake-ups of the client.
//! Here the writes of one poll of the connection's task are copied into one buffer,
//! and go to the TLS stream at the end of that poll (`WithRequests` calls
//! `Flush::write_out`), in one write of as few records as TLS allows. nginx writes an
//! HTTP/2 connection's frames the same way, through a 16 KB buffer.
//!
//! A flush from h2 returns at once; the buffer goes at the end of the poll or, past
//! `HOLD_AT_MOST`, at once. Nothing is held across polls: a poll ends with the buffer
//! written out, or waiting for the socket, which wakes the task. A failed write-out is
//! final: what is held is dropped, and every later read or write fails, so that hyper
//! ends the connection (the client has gone).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Past this many bytes held, a write first writes the buffer out (back-pressure).
const HOLD_AT_MOST: usize = 64 * 1024;

/// A buffer larger than this is let go after a write-out of less than this (a small
/// answer, a ping, a window update): a busy connection keeps its buffer, and one gone
/// quiet keeps no more than h2's own (16 KB) after its next small write, at most a
/// keep-alive ping away.
const KEEP_AT_MOST: usize = 16 * 1024;

/// The stream hyper reads and writes through.
pub struct HeldWrites<T> {
    state: Arc<Mutex<State<T>>>,
}

/// The connection task's handle on the held writes.
pub struct Flush<T> {
    state: Arc<Mutex<State<T>>>,
}

struct State<T> {
    io: T,
    held: Vec<u8>,
    /// How much of `held` is already written.
    written: usize,
    /// Why a write-out failed: every later read and write fails the same way.
    broken: Option<io::ErrorKind>,
}

/// Wraps `io`: hyper gets the stream, the connection's task the means to write it out.
pub fn hold<T>(io: T) -> (HeldWrites<T>, Flush<T>) {
    let state = Arc::new(Mutex::new(State {
        io,
        held: Vec::new(),
        written: 0,
        broken: None,
    }));
    (
        HeldWrites {
            state: state.clone(),
        },
        Flush { state },
    )
}

fn lock<T>(state: &Mutex<State<T>>) -> MutexGuard<'_, State<T>> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: AsyncWrite + Unpin> State<T> {
    /// Writes what is held to the stream, and flushes it. A failure is final.
    fn write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        let done = self.try_write_out(cx);
        if let Poll::Ready(Err(e)) = &done {
            self.broken = Some(e.kind());
            self.held = Vec::new();
            self.written = 0;
        }
        done
    }

    fn try_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let wrote = self.held.len();
        while self.written < self.held.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.held[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        if wrote < KEEP_AT_MOST && self.held.capacity() > KEEP_AT_MOST {
            self.held = Vec::new();
        } else {
            self.held.clear();
        }
        self.written = 0;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn check(&self) -> io::Result<()> {
        match self.broken {
            Some(kind) => Err(io::Error::new(
                kind,
                "the connection failed while writing an earlier answer",
            )),
            None => Ok(()),
        }
    }
}

impl<T: AsyncWrite + Unpin> Flush<T> {
    /// Writes out what the poll's requests wrote. A failure is given to hyper at its
    /// next read or write, which ends the connection: the task is woken once for it.
    pub fn write_out(&self, cx: &mut Context<'_>) {
        let mut state = lock(&self.state);
        if state.broken.is_some() {
            return;
        }
        if let Poll::Ready(Err(_)) = state.write_out(cx) {
            cx.waker().wake_by_ref();
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for HeldWrites<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut state = lock(&self.state);
        state.check()?;
        Pin::new(&mut state.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeldWrites<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut state = lock(&self.state);
        state.check()?;
        if state.held.len() >= HOLD_AT_MOST {
            ready!(state.write_out(cx))?;
        }
        // At most up to the bound: a DATA frame can be as large as the client allows
        // (16 MB), and h2 writes the rest next time.
        let mut room = HOLD_AT_MOST - state.held.len();
        let mut taken = 0;
        for buf in bufs {
            let part = &buf[..buf.len().min(room)];
            state.held.extend_from_slice(part);
            taken += part.len();
            room -= part.len();
            if room == 0 {
                break;
            }
        }
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Held for the end of the poll (`Flush::write_out`).
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.state).check().into()
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = lock(&self.state);
        ready!(state.write_out(cx))?;
        Pin::new(&mut state.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Writes out once, as `WithRequests` does at the end of a poll.
    async fn end_of_poll<T: AsyncWrite + Unpin>(flush: &Flush<T>) {
        std::future::poll_fn(|cx| {
            flush.write_out(cx);
            Poll::Ready(())
        })
        .await;
    }

    fn nothing_to_read(theirs: &mut tokio::io::DuplexStream) -> impl Future<Output = bool> {
        std::future::poll_fn(move |cx| {
            let mut read = [0; 16];
            let mut buf = ReadBuf::new(&mut read);
            Poll::Ready(Pin::new(&mut *theirs).poll_read(cx, &mut buf).is_pending())
        })
    }

    #[tokio::test]
    async fn writes_wait_for_the_end_of_the_poll_and_go_out_whole() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let (mut held, flush) = hold(ours);
        held.write_all(b"one ").await.unwrap();
        held.write_all(b"two").await.unwrap();
        held.flush().await.unwrap();
        assert!(
            nothing_to_read(&mut theirs).await,
            "nothing is written before the poll ends"
        );
        end_of_poll(&flush).await;
        let mut read = [0; 16];
        let n = theirs.read(&mut read).await.unwrap();
        assert_eq!(&read[..n], b"one two");
        // A shutdown writes out what is held first.
        held.write_all(b" three").await.unwrap();
        held.shutdown().await.unwrap();
        let mut rest = Vec::new();
        theirs.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b" three");
    }

    #[tokio::test]
    async fn past_the_bound_a_write_waits_for_the_socket() {
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let (mut held, flush) = hold(ours);
        // One write larger than the bound is taken in part.
        let big = vec![7u8; 3 * HOLD_AT_MOST];
        let taken = held.write(&big).await.unwrap();
        assert_eq!(taken, HOLD_AT_MOST);
        // Full, with the pipe not read: the next write waits.
        let waits = std::future::poll_fn(|cx| {
            Poll::Ready(Pin::new(&mut held).poll_write(cx, b"more").is_pending())
        });
        assert!(waits.await, "a write past the bound waits for the socket");
        // As the other side reads, everything goes through, in order.
        let body: Vec<u8> = (0..200_000u32).map(|n| n as u8).collect();
        let writer = async {
            for chunk in body.chunks(16 * 1024) {
                held.write_all(chunk).await.unwrap();
            }
            std::future::poll_fn(|cx| lock(&flush.state).write_out(cx))
                .await
                .unwrap();
        };
        let reader = async {
            let mut got = vec![0; taken + body.len()];
            theirs.read_exact(&mut got).await.unwrap();
            got
        };
        let ((), got) = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(writer, reader)
        })
        .await
        .expect("the writes go through as the pipe drains");
        assert_eq!(&got[..taken], &big[..taken]);
        assert_eq!(&got[taken..], &body[..]);
        assert!(lock(&flush.state).held.capacity() <= 2 * HOLD_AT_MOST);
    }

    #[tokio::test]
    async fn a_failed_write_out_is_final_and_reaches_hyper() {
        let (ours, theirs) = tokio::io::duplex(1024);
        let (mut held, flush) = hold(ours);
        drop(theirs);
        held.write_all(b"late").await.unwrap();
        end_of_poll(&flush).await;
        assert!(
            lock(&flush.state).held.is_empty(),
            "what was held is dropped"
        );
        assert!(held.write_all(b"again").await.is_err());
        let mut read = [0; 4];
        assert!(held.read(&mut read).await.is_err());
        assert!(held.flush().await.is_err());
        // Later write-outs do nothing (and wake nobody).
        end_of_poll(&flush).await;
        assert!(lock(&flush.state).held.is_empty());
    }
}
