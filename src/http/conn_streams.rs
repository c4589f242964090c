//! An HTTP/2 connection's requests run on the connection's own task.
//!
//! hyper hands each HTTP/2 request to an executor, which with tokio's would make it a
//! task of its own. The request's task and the connection's then meet in h2's shared
//! state for every response: the request hands its headers and body over under h2's
//! lock, wakes the connection's task, often on the other core, which takes the lock to
//! write the frames. Measured on two cores, that hand-off cost a small cached page a
//! fifth of its throughput against nginx. Here the requests are polled by the
//! connection's task, between its own polls, as HTTP/1.1 requests are: the frames a
//! request hands over are written in the same poll, by the same thread.
//!
//! Requests of one connection still run concurrently (a slow one does not hold up the
//! others: each is polled only when it can go on). A panic in one (a handler's is caught
//! in the frame already; this covers response bodies and hyper's own code) resets that
//! request's stream only, as it would end only its own task: it is caught here.
//!
//! The price: a connection's requests share one thread, so a long render holds up the
//! other requests of that connection (HTTP/1.1's are held up the same way).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use hyper_util::server::graceful::GracefulConnection;

type Request = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The executor hyper gives each request to: it queues the request for its connection.
#[derive(Clone, Default)]
pub struct ConnExecutor(Arc<Mutex<Queued>>);

#[derive(Default)]
struct Queued {
    requests: Vec<Request>,
    /// The connection's task, woken when a request is queued from elsewhere.
    waker: Option<Waker>,
}

fn lock(queue: &Mutex<Queued>) -> MutexGuard<'_, Queued> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<F> hyper::rt::Executor<F> for ConnExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, request: F) {
        let request = AssertUnwindSafe(request).catch_unwind().map(|ended| {
            if ended.is_err() {
                tracing::error!("an HTTP/2 request panicked; its stream was reset");
            }
        });
        let mut queued = lock(&self.0);
        queued.requests.push(Box::pin(request));
        if let Some(waker) = queued.waker.take() {
            waker.wake();
        }
    }
}

/// How many rounds of (connection, requests) one poll runs before it yields to other
/// connections on the same thread.
const ROUNDS: usize = 16;

/// A connection and the requests it queued on `ConnExecutor`, run as one future. It
/// ends when the connection has ended and its last request is done.
pub struct WithRequests<C: GracefulConnection> {
    /// Dropped once it has ended: h2 then fails the streams of requests still waiting
    /// on it (for room to send, say), so that they end too.
    conn: Option<Pin<Box<C>>>,
    ended: Option<Result<(), C::Error>>,
    queue: ConnExecutor,
    running: FuturesUnordered<Request>,
    /// What the connection and its requests wrote in a poll goes out at its end.
    writes: Box<dyn WriteOut + Send>,
}

/// Writes out a connection's held writes (`held_writes::Flush`).
pub trait WriteOut {
    fn write_out(&self, cx: &mut Context<'_>);
}

impl<T: tokio::io::AsyncWrite + Unpin> WriteOut for super::held_writes::Flush<T> {
    fn write_out(&self, cx: &mut Context<'_>) {
        super::held_writes::Flush::write_out(self, cx);
    }
}

// Nothing in it is pinned in place: the connection is boxed, the rest is moved freely.
impl<C: GracefulConnection> Unpin for WithRequests<C> {}

impl<C: GracefulConnection> WithRequests<C> {
    pub fn new(
        conn: C,
        queue: ConnExecutor,
        writes: impl WriteOut + Send + 'static,
    ) -> WithRequests<C> {
        WithRequests {
            conn: Some(Box::pin(conn)),
            ended: None,
            queue,
            running: FuturesUnordered::new(),
            writes: Box::new(writes),
        }
    }

    /// Starts the connection's graceful shutdown; requests under way go on to the end.
    pub fn graceful_shutdown(&mut self) {
        if let Some(conn) = &mut self.conn {
            conn.as_mut().graceful_shutdown();
        }
    }

    /// Requests queued since the last call, and the task to wake for the next ones.
    fn take_queued(&self, waker: &Waker) -> Vec<Request> {
        let mut queued = lock(&self.queue.0);
        if !queued.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            queued.waker = Some(waker.clone());
        }
        std::mem::take(&mut queued.requests)
    }
}

impl<C: GracefulConnection> Future for WithRequests<C> {
    type Output = Result<(), C::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut yielded = true;
        for _ in 0..ROUNDS {
            if let Some(conn) = &mut this.conn
                && let Poll::Ready(result) = conn.as_mut().poll(cx)
            {
                this.ended = Some(result);
                this.conn = None;
            }
            let queued = this.take_queued(cx.waker());
            let mut progressed = !queued.is_empty();
            this.running.extend(queued);
            while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {
                progressed = true;
            }
            // A request that started or finished has handed frames to the connection:
            // it writes them in the next round rather than at its next wake-up.
            if !progressed || this.ended.is_some() {
                yielded = false;
                break;
            }
        }
        this.writes.write_out(cx);
        if this.running.is_empty()
            && let Some(result) = this.ended.take()
        {
            return Poll::Ready(result);
        }
        // Out of rounds with work left, or a request queued since the last look: come
        // back after the other tasks on this thread had their turn.
        if yielded || !lock(&this.queue.0).requests.is_empty() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{BodyExt, StreamBody};
    use hyper::body::Frame;
    use hyper_util::rt::TokioIo;

    type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

    /// `/panic` answers with a body that panics when read; anything else says "ok".
    async fn answer(
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Body>, std::convert::Infallible> {
        let body: Body = if request.uri().path() == "/panic" {
            let frames = futures_util::stream::poll_fn(
                |_| -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
                    panic!("a response body that panics")
                },
            );
            BodyExt::boxed(StreamBody::new(frames))
        } else {
            BodyExt::boxed(
                http_body_util::Full::new(Bytes::from_static(b"ok"))
                    .map_err(|never| match never {}),
            )
        };
        Ok(hyper::Response::new(body))
    }

    async fn get(client: &h2::client::SendRequest<Bytes>, path: &str) -> Result<Bytes, h2::Error> {
        let request = hyper::Request::get(format!("https://test{path}"))
            .body(())
            .unwrap();
        let (response, _) = client.clone().ready().await?.send_request(request, true)?;
        let mut body = response.await?.into_body();
        let mut read = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            body.flow_control().release_capacity(chunk.len())?;
            read.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(read))
    }

    #[tokio::test]
    async fn a_panicking_request_resets_its_stream_and_the_connection_goes_on() {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let (server_io, writes) = crate::http::held_writes::hold(server_io);
        let requests = ConnExecutor::default();
        let conn = hyper::server::conn::http2::Builder::new(requests.clone())
            .serve_connection(TokioIo::new(server_io), hyper::service::service_fn(answer));
        let server = tokio::spawn(WithRequests::new(conn, requests, writes));
        let (client, connection) = h2::client::handshake(client_io).await.unwrap();
        tokio::spawn(connection);

        assert_eq!(get(&client, "/").await.unwrap(), "ok");
        let failed = get(&client, "/panic").await;
        assert!(failed.is_err(), "{failed:?}");
        // The connection, and the other requests on it, go on.
        let (a, b) = tokio::join!(get(&client, "/a"), get(&client, "/b"));
        assert_eq!(
            (a.unwrap(), b.unwrap()),
            (Bytes::from("ok"), Bytes::from("ok"))
        );
        drop(client);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
        assert!(ended.is_ok(), "the connection ends when the client goes");
    }
}
