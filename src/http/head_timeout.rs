//! Guards on HTTP/1 request heads: a deadline, answered with 408, and a size limit,
//! answered with 414 or 431 before the connection closes.
//!
//! hyper's own header timeout closes the socket without a word; a client that sent half
//! a request deserves a `408 Request Timeout`. The clock runs only while the connection
//! has no request in flight: `ConnState` is shared with the service, which marks when a
//! request begins and when its response body is finished (or dropped). When the clock
//! runs out and bytes of a new head have arrived, the wrapper writes the 408 itself and
//! reports end-of-file so hyper closes; an idle keep-alive connection that sent nothing
//! is closed quietly. A slow download is never cut: the clock is stopped meanwhile.
//!
//! hyper answers a head larger than its buffer with 431 and closes at once, while the
//! client is still sending: the client's kernel then sees a reset, and the client never
//! reads the answer. So the wrapper measures each head itself. Past `MAX_HEAD_BYTES` it
//! writes 414 (the request line alone is too long) or 431, reads and throws away what
//! the client still sends (up to a bound), and only then reports end-of-file.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The largest request head (request line and header fields) taken, over HTTP/1.1 and
/// HTTP/2 alike (the frame checks HTTP/2's).
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// After refusing an oversized head: what is read and thrown away at most, and for how
/// long, so the close does not turn into a reset before the client reads the answer.
const DISCARD_BYTES: usize = 1024 * 1024;
const DISCARD_TIME: Duration = Duration::from_secs(2);

fn plain_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\n\
         content-type: text/plain; charset=utf-8\r\nx-content-type-options: nosniff\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn response_408() -> Vec<u8> {
    plain_response(
        "408 Request Timeout",
        "Quá thời gian chờ yêu cầu (request timeout).\n",
    )
}

fn response_oversized(request_line_ended: bool) -> Vec<u8> {
    if request_line_ended {
        plain_response(
            "431 Request Header Fields Too Large",
            "Phần đầu của yêu cầu quá lớn (request header fields too large).\n",
        )
    } else {
        plain_response(
            "414 URI Too Long",
            "Địa chỉ trang quá dài (URI too long).\n",
        )
    }
}

/// Where the wrapper is in the head of the request being received.
#[derive(Debug, Default)]
struct HeadScan {
    /// `ConnState::finished` when this scan began: a change starts a new head.
    generation: u64,
    bytes: usize,
    seen_content: bool,
    at_line_start: bool,
    line_ended: bool,
    complete: bool,
}

impl HeadScan {
    /// Reads on through `bytes`; true when the head has grown past the limit.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.complete {
                return false;
            }
            self.bytes += 1;
            match b {
                b'\n' if self.at_line_start && self.seen_content => self.complete = true,
                b'\n' => {
                    self.at_line_start = true;
                    self.line_ended |= self.seen_content;
                }
                b'\r' => {}
                _ => {
                    self.at_line_start = false;
                    self.seen_content = true;
                }
            }
            if !self.complete && self.bytes > MAX_HEAD_BYTES {
                return true;
            }
        }
        false
    }
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
    /// Requests finished so far.
    finished: AtomicU64,
}

impl ConnState {
    pub fn new() -> Arc<ConnState> {
        Arc::new(ConnState {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
            idle_bytes: AtomicUsize::new(0),
            finished: AtomicU64::new(0),
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
        state.finished.fetch_add(1, Ordering::AcqRel);
        state.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

pub struct HeadTimeout<T> {
    inner: T,
    state: Arc<ConnState>,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
    scan: HeadScan,
    /// Bytes thrown away since an oversized head was refused.
    discarding: Option<usize>,
}

impl<T> HeadTimeout<T> {
    pub fn new(inner: T, state: Arc<ConnState>, timeout: Duration) -> Self {
        HeadTimeout {
            inner,
            state,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired: false,
            scan: HeadScan::default(),
            discarding: None,
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
        if this.discarding.is_some() {
            return this.poll_discard(cx);
        }
        let generation = this.state.finished.load(Ordering::Acquire);
        if this.scan.generation != generation {
            this.scan = HeadScan {
                generation,
                ..HeadScan::default()
            };
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                if this.state.in_flight.load(Ordering::Acquire) == 0 {
                    this.state.idle_bytes.fetch_add(read, Ordering::AcqRel);
                    if this.scan.feed(&buf.filled()[before..]) {
                        // hyper never sees these bytes; the refusal is ours.
                        buf.set_filled(before);
                        return this.refuse_oversized(cx);
                    }
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
                    // Debug: a flood of these would be a line per connection.
                    tracing::debug!("request head not received in time; answering 408");
                    // Best effort: the socket buffer takes a response this small.
                    let _ = Pin::new(&mut this.inner).poll_write(cx, &response_408());
                    let _ = Pin::new(&mut this.inner).poll_flush(cx);
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> HeadTimeout<T> {
    fn refuse_oversized(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tracing::debug!(
            bytes = self.scan.bytes,
            "request head over {MAX_HEAD_BYTES} bytes; refusing it"
        );
        // Best effort: the socket buffer takes a response this small.
        let response = response_oversized(self.scan.line_ended);
        let _ = Pin::new(&mut self.inner).poll_write(cx, &response);
        let _ = Pin::new(&mut self.inner).poll_flush(cx);
        self.discarding = Some(0);
        self.sleep.as_mut().reset(Instant::now() + DISCARD_TIME);
        self.poll_discard(cx)
    }

    /// Reads and drops what the client still sends, then reports end-of-file.
    fn poll_discard(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut scratch = [0u8; 8192];
        loop {
            let thrown = self.discarding.unwrap_or(DISCARD_BYTES);
            if thrown >= DISCARD_BYTES || self.sleep.as_mut().poll(cx).is_ready() {
                break;
            }
            let mut sink = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.inner).poll_read(cx, &mut sink) {
                Poll::Ready(Ok(())) if !sink.filled().is_empty() => {
                    self.discarding = Some(thrown + sink.filled().len());
                }
                Poll::Ready(_) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        self.expired = true;
        Poll::Ready(Ok(()))
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
    fn a_head_is_measured_up_to_its_blank_line() {
        let mut scan = HeadScan::default();
        assert!(!scan.feed(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(scan.line_ended && !scan.complete);
        assert!(!scan.feed(b"\r\n"));
        assert!(scan.complete);
        // The body that follows is not counted.
        assert!(!scan.feed(&vec![b'x'; MAX_HEAD_BYTES * 2]));

        let mut long_line = HeadScan::default();
        assert!(long_line.feed(&vec![b'a'; MAX_HEAD_BYTES + 1]));
        assert!(!long_line.line_ended, "414: the request line never ended");
        let mut long_fields = HeadScan::default();
        assert!(!long_fields.feed(b"GET / HTTP/1.1\n"));
        assert!(long_fields.feed(&vec![b'h'; MAX_HEAD_BYTES]));
        assert!(long_fields.line_ended, "431");
    }

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
