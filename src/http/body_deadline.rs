//! Deadlines and a cap for request bodies.
//!
//! A client that declares a body and then sends it slowly (or not at all) holds a
//! connection, a task and a slot under the per-address cap for as long as it likes.
//! Every request body therefore gets two deadlines: a total time limit, and a minimum
//! rate (after a short grace, the bytes received must keep up with `min_rate`). A body
//! that misses either ends with an error; the frame sees `BodyWatch::expired` and
//! answers 408 with `Connection: close`.
//!
//! Bodies still arriving also count against caps of their own, in all and per address,
//! so a few addresses cannot park a thousand stalled uploads: a request over the cap is
//! answered 503 at once (`BodyRefused`), before anything of its body is read.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How long a body may take before its rate is measured: a phone on a weak signal
/// often pauses for seconds before the first bytes of an upload leave it.
const GRACE: Duration = Duration::from_secs(10);

/// How fast bodies must arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyPolicy {
    /// The most time a body may take in all.
    pub total: Duration,
    /// Bytes per second a body must average once the grace has passed.
    pub min_rate: u64,
}

impl BodyPolicy {
    /// When a body that started at `started` and has delivered `received` bytes runs
    /// out of time.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        let earned = Duration::from_secs_f64(received as f64 / self.min_rate.max(1) as f64);
        started + (GRACE + earned).min(self.total)
    }
}

/// Bodies being received right now, in all and per remote address.
pub struct PendingBodies {
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
    max: usize,
    max_per_address: usize,
}

/// One body's place under the caps, given back when the body ends or is dropped.
pub struct BodySlot {
    pending: Arc<PendingBodies>,
    ip: IpAddr,
}

impl PendingBodies {
    pub fn new(max: usize, max_per_address: usize) -> Arc<PendingBodies> {
        Arc::new(PendingBodies {
            counts: Mutex::new((0, HashMap::new())),
            max,
            max_per_address,
        })
    }

    /// A slot for a body from `ip`, or `None` when either cap is reached.
    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<BodySlot> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, by_address) = &mut *counts;
        let from_ip = by_address.entry(ip).or_insert(0);
        if *total >= self.max || *from_ip >= self.max_per_address {
            if *from_ip == 0 {
                by_address.remove(&ip);
            }
            return None;
        }
        *from_ip += 1;
        *total += 1;
        Some(BodySlot {
            pending: self.clone(),
            ip,
        })
    }

    /// Bodies being received now.
    pub fn count(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).0
    }
}

impl Drop for BodySlot {
    fn drop(&mut self) {
        let mut counts = self
            .pending
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (total, by_address) = &mut *counts;
        *total = total.saturating_sub(1);
        if let Some(count) = by_address.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                by_address.remove(&self.ip);
            }
        }
    }
}

/// Put into a request's extensions: whether its body ran out of time.
#[derive(Debug, Clone, Default)]
pub struct BodyWatch(Arc<AtomicBool>);

impl BodyWatch {
    pub fn expired(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Put into a request's extensions when too many bodies are being received already.
#[derive(Debug, Clone, Copy)]
pub struct BodyRefused;

/// The error a body that missed its deadline ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct TooSlow;

/// A request body with deadlines, holding its slot until it ends.
pub struct DeadlineBody<B> {
    inner: B,
    policy: BodyPolicy,
    started: Instant,
    received: u64,
    sleep: Pin<Box<Sleep>>,
    watch: BodyWatch,
    slot: Option<BodySlot>,
}

impl<B> DeadlineBody<B> {
    pub fn new(inner: B, policy: BodyPolicy, slot: Option<BodySlot>) -> (Self, BodyWatch) {
        let started = Instant::now();
        let watch = BodyWatch::default();
        let body = DeadlineBody {
            inner,
            policy,
            started,
            received: 0,
            sleep: Box::pin(tokio::time::sleep_until(policy.deadline(started, 0))),
            watch: watch.clone(),
            slot,
        };
        (body, watch)
    }

    fn expire(&mut self) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        self.watch.0.store(true, Ordering::Release);
        self.slot = None;
        Poll::Ready(Some(Err(Box::new(TooSlow))))
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.watch.expired() {
            return Poll::Ready(Some(Err(Box::new(TooSlow))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.slot = None;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.slot = None;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                this.slot = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let deadline = this.policy.deadline(this.started, this.received);
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                if this.sleep.as_mut().poll(cx).is_ready() {
                    return this.expire();
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caps_count_in_all_and_per_address_and_give_back() {
        let pending = PendingBodies::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = pending.enter(a).unwrap();
        let _second = pending.enter(a).unwrap();
        assert!(pending.enter(a).is_none(), "per-address cap");
        let _third = pending.enter(b).unwrap();
        assert!(pending.enter(b).is_none(), "total cap");
        drop(first);
        let fourth = pending.enter(b);
        assert!(fourth.is_some());
        assert_eq!(pending.count(), 3);
    }

    #[test]
    fn the_deadline_grows_with_what_arrived_up_to_the_total() {
        let policy = BodyPolicy {
            total: Duration::from_secs(60),
            min_rate: 1000,
        };
        let start = Instant::now();
        assert_eq!(policy.deadline(start, 0), start + GRACE);
        assert_eq!(
            policy.deadline(start, 5_000),
            start + GRACE + Duration::from_secs(5)
        );
        assert_eq!(
            policy.deadline(start, 10_000_000),
            start + Duration::from_secs(60)
        );
    }

    /// A body whose bytes never come.
    struct Stalled;

    impl Body for Stalled {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_stalled_body_expires_and_gives_its_slot_back() {
        let pending = PendingBodies::new(1, 1);
        let slot = pending.enter("192.0.2.1".parse().unwrap());
        let policy = BodyPolicy {
            total: Duration::from_millis(100),
            min_rate: 1024,
        };
        let (body, watch) = DeadlineBody::new(Stalled, policy, slot);
        let collected = http_body_util::BodyExt::collect(body).await;
        assert!(collected.is_err());
        assert!(watch.expired());
        assert_eq!(pending.count(), 0);
    }
}
