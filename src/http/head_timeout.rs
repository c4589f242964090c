//! A deadline on idle HTTP/1 connections and slow request heads, answered with 408.
//!
//! hyper's own header timeout closes the socket without a word; a client that sent half
//! a request deserves a `408 Request Timeout`. The clock runs only while the connection
//! has no request in flight: `ConnState` is shared with the service, which marks when a
//! request begins and when its response body is finished (or dropped). When the clock
//! runs out and bytes of a new head have arrived, the wrapper writes the 408 itself and
//! reports end-of-file so hyper closes; an idle keep-alive connection that sent nothing
//! is closed quietly. A slow download is never cut: the clock is stopped meanwhile.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

const BODY_408: &str = "Quá thời gian chờ yêu cầu (request timeout).\n";

fn response_408() -> Vec<u8> {
    format!(
        "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\
         content-type: text/plain; charset=utf-8\r\nx-content-type-options: nosniff\r\n\
         content-length: {}\r\n\r\n{BODY_408}",
        BODY_408.len()
    )
    .into_bytes()
}

/// What a connection's IO and its service both know: requests in flight, and since
/// when it has been idle.
pub struct ConnState {
    start: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `start` when the last response finished.
    idle_since_ms: AtomicU64,
    /// Bytes read while no request was in flight (the start of the next head).
    idle_bytes: AtomicUsize,
}

impl ConnState {
    pub fn new() -> Arc<ConnState> {
        Arc::new(ConnState {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
            idle_bytes: AtomicUsize::new(0),
        })
    }

    /// A request reached the service; returns the guard that ends it.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        RequestGuard(self.clone())
    }

    /// When the connection became idle, if it is.
    pub fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let ms = self.idle_since_ms.load(Ordering::Acquire);
        Some(self.start + Duration::from_millis(ms))
    }
}

/// Held by a response body; dropping it (body finished or abandoned) ends the request.
pub struct RequestGuard(Arc<ConnState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let state = &self.0;
        let ms = u64::try_from(state.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        state.idle_since_ms.store(ms, Ordering::Release);
        state.idle_bytes.store(0, Ordering::Release);
        state.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

pub struct HeadTimeout<T> {
    inner: T,
    state: Arc<ConnState>,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
}

impl<T> HeadTimeout<T> {
    pub fn new(inner: T, state: Arc<ConnState>, timeout: Duration) -> Self {
        HeadTimeout {
            inner,
            state,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired: false,
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for HeadTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.expired {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                if this.state.in_flight.load(Ordering::Acquire) == 0 {
                    this.state.idle_bytes.fetch_add(read, Ordering::AcqRel);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                // hyper also reads while a request is in flight (to notice a closed
                // peer); the clock only runs while the connection is idle.
                let Some(idle_since) = this.state.idle_since() else {
                    return Poll::Pending;
                };
                let deadline = idle_since + this.timeout;
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                if this.sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.expired = true;
                if this.state.idle_bytes.load(Ordering::Acquire) > 0 {
                    tracing::info!("request head not received in time; answering 408");
                    // Best effort: the socket buffer takes a response this small.
                    let _ = Pin::new(&mut this.inner).poll_write(cx, &response_408());
                    let _ = Pin::new(&mut this.inner).poll_flush(cx);
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for HeadTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_408_body_length_is_right() {
        let bytes = response_408();
        let text = std::str::from_utf8(&bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
    }

    #[tokio::test]
    async fn the_clock_stops_while_a_request_is_in_flight() {
        let state = ConnState::new();
        assert!(state.idle_since().is_some());
        let a = state.begin();
        let b = state.begin();
        assert!(state.idle_since().is_none());
        drop(a);
        assert!(
            state.idle_since().is_none(),
            "a pipelined request is still open"
        );
        drop(b);
        assert!(state.idle_since().is_some());
    }
}
