//! A deadline on reading an HTTP/1 request head, answered with 408.
//!
//! hyper's own header timeout closes the socket without a word; a client that sent half
//! a request deserves a `408 Request Timeout`. This wrapper watches the bytes hyper
//! reads: from the end of one response (or the connection's start) until the blank line
//! that ends the next head, the clock runs. When it runs out mid-head the wrapper writes
//! the 408 itself and reports end-of-file, so hyper closes the connection. An idle
//! keep-alive connection that sent nothing is closed quietly instead.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

const BODY_408: &str = "Quá thời gian chờ yêu cầu (request timeout).\n";

fn response_408() -> Vec<u8> {
    format!(
        "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\
         content-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\r\n{BODY_408}",
        BODY_408.len()
    )
    .into_bytes()
}

pub struct HeadTimeout<T> {
    inner: T,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    awaiting_head: bool,
    /// Bytes of the current head seen so far (capped; only "any" matters).
    head_bytes: usize,
    /// The last bytes read, to find "\r\n\r\n" across read boundaries.
    tail: [u8; 3],
    expired: bool,
}

impl<T> HeadTimeout<T> {
    pub fn new(inner: T, timeout: Duration) -> Self {
        HeadTimeout {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            awaiting_head: true,
            head_bytes: 0,
            tail: [0; 3],
            expired: false,
        }
    }

    /// Notes bytes hyper read; returns when the blank line ending a head went past.
    fn observe(&mut self, bytes: &[u8]) {
        if !self.awaiting_head || bytes.is_empty() {
            return;
        }
        // Leading CRLFs between pipelined requests are not a head yet.
        let start = if self.head_bytes == 0 {
            bytes
                .iter()
                .position(|b| *b != b'\r' && *b != b'\n')
                .unwrap_or(bytes.len())
        } else {
            0
        };
        let bytes = &bytes[start..];
        if bytes.is_empty() {
            return;
        }
        // The blank line may straddle reads: join the kept tail with the first bytes.
        let kept = self.head_bytes.min(3);
        let mut seam = [0u8; 6];
        seam[..kept].copy_from_slice(&self.tail[3 - kept..]);
        let head = bytes.len().min(3);
        seam[kept..kept + head].copy_from_slice(&bytes[..head]);
        let found = seam[..kept + head].windows(4).any(|w| w == b"\r\n\r\n")
            || bytes.windows(4).any(|w| w == b"\r\n\r\n");
        if found {
            self.awaiting_head = false;
            self.head_bytes = 0;
            return;
        }
        // Keep the last three bytes of everything seen so far, right-aligned.
        let mut joined = [0u8; 6];
        joined[..3].copy_from_slice(&self.tail);
        let take = bytes.len().min(3);
        joined[3..3 + take].copy_from_slice(&bytes[bytes.len() - take..]);
        self.tail.copy_from_slice(&joined[take..take + 3]);
        self.head_bytes = self.head_bytes.saturating_add(bytes.len());
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
                this.observe(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.awaiting_head && this.deadline.as_mut().poll(cx).is_ready() {
                    this.expired = true;
                    if this.head_bytes > 0 {
                        tracing::info!("request head not received in time; answering 408");
                        // Best effort: the socket buffer takes a response this small.
                        let _ = Pin::new(&mut this.inner).poll_write(cx, &response_408());
                        let _ = Pin::new(&mut this.inner).poll_flush(cx);
                    }
                    // End of file: hyper closes the connection.
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
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
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &result
            && *n > 0
        {
            // A response is going out: the clock for the next head starts (again) now.
            this.awaiting_head = true;
            this.head_bytes = 0;
            let deadline = Instant::now() + this.timeout;
            this.deadline.as_mut().reset(deadline);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &result
            && *n > 0
        {
            this.awaiting_head = true;
            this.head_bytes = 0;
            let deadline = Instant::now() + this.timeout;
            this.deadline.as_mut().reset(deadline);
        }
        result
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

    fn fresh() -> HeadTimeout<tokio::io::DuplexStream> {
        let (a, _b) = tokio::io::duplex(64);
        HeadTimeout::new(a, Duration::from_secs(1))
    }

    #[tokio::test]
    async fn the_end_of_a_head_is_found_across_reads() {
        let mut t = fresh();
        t.observe(b"GET / HTTP/1.1\r\nHost: x\r");
        assert!(t.awaiting_head);
        t.observe(b"\n\r");
        assert!(t.awaiting_head);
        t.observe(b"\n");
        assert!(!t.awaiting_head);
    }

    #[tokio::test]
    async fn leading_blank_lines_do_not_count_as_a_head() {
        let mut t = fresh();
        t.observe(b"\r\n");
        assert_eq!(t.head_bytes, 0);
        t.observe(b"GET / HTTP/1.1\r\n\r\n");
        assert!(!t.awaiting_head);
    }

    #[test]
    fn the_408_body_length_is_right() {
        let bytes = response_408();
        let text = std::str::from_utf8(&bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
    }
}
