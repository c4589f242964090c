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
//! A flush from h2 only marks the buffer as wanted out; the buffer goes at the end of
//! the poll or, past `HOLD_AT_MOST`, at once. Nothing is held across polls: a poll
//! ends with the buffer written out, or waiting for the socket, which wakes the task.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Past this many bytes held, a write first writes the buffer out (back-pressure).
const HOLD_AT_MOST: usize = 64 * 1024;

/// A buffer larger than this is let go once written out, so that an idle connection
/// keeps no more than h2's own buffer does (16 KB).
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
    /// A write-out's failure, given to hyper at its next read or write.
    failed: Option<io::Error>,
}

/// Wraps `io`: hyper gets the stream, the connection's task the means to write it out.
pub fn hold<T>(io: T) -> (HeldWrites<T>, Flush<T>) {
    let state = Arc::new(Mutex::new(State {
        io,
        held: Vec::new(),
        written: 0,
        failed: None,
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
    /// Writes what is held to the stream, and flushes it.
    fn write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.held.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.held[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        if self.held.capacity() > KEEP_AT_MOST {
            self.held = Vec::new();
        } else {
            self.held.clear();
        }
        self.written = 0;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn take_failure(&mut self) -> io::Result<()> {
        self.failed.take().map_or(Ok(()), Err)
    }
}

impl<T: AsyncWrite + Unpin> Flush<T> {
    /// Writes out what the poll's requests wrote. A failure is kept for hyper, which
    /// then ends the connection as it would have on the write itself.
    pub fn write_out(&self, cx: &mut Context<'_>) {
        let mut state = lock(&self.state);
        if let Poll::Ready(Err(e)) = state.write_out(cx) {
            state.failed = Some(e);
            // hyper reads or writes in the next poll, and ends the connection.
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
        state.take_failure()?;
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
        state.take_failure()?;
        if state.held.len() >= HOLD_AT_MOST {
            ready!(state.write_out(cx))?;
        }
        let mut taken = 0;
        for buf in bufs {
            state.held.extend_from_slice(buf);
            taken += buf.len();
        }
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Held for the end of the poll (`Flush::write_out`).
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.state).take_failure().into()
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = lock(&self.state);
        state.take_failure()?;
        ready!(state.write_out(cx))?;
        Pin::new(&mut state.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_wait_for_the_end_of_the_poll_and_go_out_whole() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let (mut held, flush) = hold(ours);
        held.write_all(b"one ").await.unwrap();
        held.write_all(b"two").await.unwrap();
        held.flush().await.unwrap();
        let mut read = [0; 16];
        let nothing_yet = std::future::poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut read);
            Poll::Ready(Pin::new(&mut theirs).poll_read(cx, &mut buf).is_pending())
        });
        assert!(nothing_yet.await, "nothing is written before the poll ends");
        std::future::poll_fn(|cx| {
            flush.write_out(cx);
            Poll::Ready(())
        })
        .await;
        let n = theirs.read(&mut read).await.unwrap();
        assert_eq!(&read[..n], b"one two");
    }

    #[tokio::test]
    async fn more_than_the_pipe_holds_goes_out_as_it_drains_and_a_failure_reaches_hyper() {
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let (mut held, flush) = hold(ours);
        let body: Vec<u8> = (0..200_000u32).map(|n| n as u8).collect();
        let writer = async {
            // Past HOLD_AT_MOST a write waits for the pipe: the flush-out drives it.
            held.write_all(&body).await.unwrap();
            std::future::poll_fn(|cx| {
                let mut state = lock(&flush.state);
                state.write_out(cx)
            })
            .await
            .unwrap();
            held
        };
        let reader = async {
            let mut got = vec![0; body.len()];
            theirs.read_exact(&mut got).await.unwrap();
            (got, theirs)
        };
        let (mut held, (got, theirs)) = tokio::join!(writer, reader);
        assert_eq!(got, body);
        // The other side has gone: the write-out fails, and hyper hears it next time.
        drop(theirs);
        held.write_all(b"late").await.unwrap();
        std::future::poll_fn(|cx| {
            flush.write_out(cx);
            Poll::Ready(())
        })
        .await;
        assert!(held.write_all(b"again").await.is_err());
    }
}
