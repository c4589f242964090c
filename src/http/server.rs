//! The accept loops: HTTPS (TLS, then HTTP/2 or HTTP/1.1 by ALPN) and the plain-HTTP
//! redirect listener, with connection caps (total and per address), handshake, head and
//! idle timeouts, certificate reload on SIGHUP and a graceful shutdown that lets
//! in-flight requests finish.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::body_deadline::{BodyPolicy, BodyRefused, DeadlineBody, PendingBodies};
use super::conn_threads::ConnThreads;
use super::head_timeout::{ConnState, HeadTimeout, RequestGuard};
use super::sites::{Site, SiteCertificates, Sites};
use super::tls::{self, CertSwitch};
use crate::app::App;
use crate::config::Limits;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] tls::Error),
    #[error("cannot watch for signals: {0}")]
    Signal(std::io::Error),
    #[error("cannot start the connection threads: {0}")]
    Threads(std::io::Error),
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every open request finished.
    Clean,
    /// The grace period ended with requests still open.
    GraceExpired,
}

/// The remote address of a connection, put into every request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// How long a removed site's open connections get to finish before they are cut.
const SITE_GRACE: Duration = Duration::from_secs(5);

/// An HTTP/2 connection with no request for this long is closed.
const H2_IDLE: Duration = Duration::from_secs(120);

/// Sockets bound before the server starts, so tests can bind port 0 and learn the port.
pub struct Listeners {
    pub https: TcpListener,
    pub http: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(https: SocketAddr, http: Option<SocketAddr>) -> Result<Listeners, Error> {
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Bind { addr, source })
        };
        let https = bind(https).await?;
        let http = match http {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        Ok(Listeners { https, http })
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https.local_addr().ok()
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// Everything a connection task needs, shared.
struct Shared {
    acceptor: TlsAcceptor,
    sites: Arc<Sites>,
    limits: Limits,
    /// Request bodies on their way in (HTTPS only: the redirect never reads one).
    bodies: Bodies,
    shutdown: watch::Receiver<bool>,
    /// Each connection task holds a clone; when all are gone, every connection closed.
    alive: mpsc::Sender<()>,
}

/// Serves one site until `shutdown` resolves, then stops accepting and gives open
/// requests `limits.shutdown_grace` to finish.
pub async fn serve(
    app: Arc<App>,
    listeners: Listeners,
    certs: Arc<CertSwitch>,
    shutdown: impl Future<Output = ()>,
) -> Result<Stopped, Error> {
    let https_port = listeners.https_addr().map_or(443, |a| a.port());
    let limits = app.config.limits.clone();
    let site = Arc::new(Site::serving(app, certs, https_port));
    serve_sites(
        Arc::new(Sites::new(vec![site])),
        limits,
        listeners,
        shutdown,
    )
    .await
}

/// Serves every site in `sites` (which may change while it runs: `Sites::insert` and
/// `remove`; a site added must be `start`ed by whoever adds it) until `shutdown`
/// resolves.
pub async fn serve_sites(
    sites: Arc<Sites>,
    limits: Limits,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
) -> Result<Stopped, Error> {
    // A process whose sites can change (it has a sites/ folder) offers acme-tls/1
    // always: a site added later may answer TLS-ALPN-01 validations. Only a CA asks
    // for it.
    let tls_alpn = sites.answers_tls_alpn() || sites.all().iter().any(|s| !s.name().is_empty());
    serve_with(sites, limits, listeners, shutdown, tls_alpn).await
}

async fn serve_with(
    sites: Arc<Sites>,
    limits: Limits,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
    tls_alpn: bool,
) -> Result<Stopped, Error> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let shared = Arc::new(Shared {
        acceptor: TlsAcceptor::from(tls::resolver_config(
            Arc::new(SiteCertificates(sites.clone())),
            tls_alpn,
        )?),
        sites: sites.clone(),
        limits: limits.clone(),
        bodies: Some((
            PendingBodies::new(limits.max_pending_bodies, limits.max_pending_bodies_per_ip),
            BodyPolicy {
                total: limits.body_timeout,
                min_rate: limits.body_min_bytes_per_sec,
            },
        )),
        shutdown: stop_rx.clone(),
        alive: alive_tx,
    });
    let mut conns = ConnThreads::take_or_start().map_err(Error::Threads)?;
    if limits.pin_threads
        && let Some(cores) = conns.pin()
    {
        tracing::info!("connection threads kept one per core, on cores {cores:?}");
    }
    for site in sites.all() {
        site.start();
    }
    let watchdog = tokio::spawn(crate::ops::supervisor::watchdog(
        sites.clone(),
        conns.heartbeats(),
        stop_rx.clone(),
    ));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let per_peer = PeerLimit::new(limits.max_connections_per_ip);
    let mut hangup = hangup_signal()?;
    let Listeners { https, http } = listeners;
    tokio::pin!(shutdown);

    for (scheme, listener) in [("https", Some(&https)), ("http", http.as_ref())] {
        if let Some(addr) = listener.and_then(|l| l.local_addr().ok()) {
            tracing::info!("listening on {scheme}://{addr}");
        }
    }
    crate::ops::supervisor::ready();

    let warnings = crate::logs::Summarised::default();
    // Its summaries of refused connections are written out once a second.
    let mut flush = tokio::time::interval(Duration::from_secs(1));
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (accepted, secure) = tokio::select! {
            () = &mut shutdown => break,
            _ = flush.tick() => {
                warnings.flush_due();
                continue;
            }
            accepted = https.accept() => (accepted, true),
            accepted = accept_optional(http.as_ref()) => (accepted, false),
            _ = hangup.recv() => {
                for site in sites.all() {
                    match site.certs.reload() {
                        Ok(()) => tracing::info!(site = %site.name(), cert = %site.certs.cert_path().display(), "reloaded the TLS certificate"),
                        Err(e) => tracing::error!(site = %site.name(), "kept the old TLS certificate: {e}"),
                    }
                }
                continue;
            }
        };
        let Some((tcp, peer)) = accepted_or_log(accepted, &warnings).await else {
            continue;
        };
        let Some(permit) = permits.clone().try_acquire_owned().ok() else {
            warnings.warn("connection_limit", || {
                format!("connection limit reached; refusing a connection from {peer}")
            });
            continue;
        };
        let Some(peer_slot) = per_peer.acquire(peer.ip()) else {
            warnings.warn("address_limit", || {
                format!("per-address connection limit reached; refusing a connection from {peer}")
            });
            continue;
        };
        let shared = shared.clone();
        let guards = (permit, peer_slot);
        // The socket moves to the thread that serves it, and registers there.
        let tcp = match tcp.into_std() {
            Ok(tcp) => tcp,
            Err(e) => {
                warnings.warn("accept_failed", || format!("accept failed: {e}"));
                continue;
            }
        };
        let core = super::affinity::incoming_core(&tcp);
        let handed = conns.run_near(
            core,
            Box::new(move || {
                Box::pin(async move {
                    match TcpStream::from_std(tcp) {
                        Ok(tcp) => connection(shared, tcp, peer, secure, guards).await,
                        Err(e) => tracing::warn!(%peer, "cannot take over a connection: {e}"),
                    }
                })
            }),
        );
        if !handed {
            tracing::error!(%peer, "a connection thread has ended; the connection was closed");
        }
    }

    drop(https);
    drop(http);
    tracing::info!("shutting down: no longer accepting connections");
    crate::ops::supervisor::stopping();
    let _ = stop_tx.send(true);
    for site in sites.all() {
        site.stop().await;
    }
    let _ = watchdog.await;
    // Only the connection tasks hold senders now.
    drop(shared);
    let all_closed = async { while alive_rx.recv().await.is_some() {} };
    let stopped = if let Ok(()) = tokio::time::timeout(limits.shutdown_grace, all_closed).await {
        Stopped::Clean
    } else {
        tracing::warn!("shutdown grace period ended with requests still open");
        Stopped::GraceExpired
    };
    // The connections still open past the grace are dropped with their threads.
    let _ = tokio::task::spawn_blocking(move || conns.close()).await;
    Ok(stopped)
}

/// One connection, from its first byte to its close; `guards` (its slots in the
/// connection limits) are released with it.
async fn connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    secure: bool,
    guards: impl Send + 'static,
) {
    let _alive = shared.alive.clone();
    if secure {
        serve_https(&shared, tcp, peer).await;
    } else {
        let state = ConnState::new();
        let io = HeadTimeout::new(tcp, state.clone(), shared.limits.header_timeout);
        let service = tracked_service(
            Pick::ByHost(shared.sites.clone(), Scheme::Http),
            peer,
            state,
            None,
        );
        serve_http1(&shared, io, service, peer, None).await;
    }
    drop(guards);
}

/// Starts one site's jobs, which end when `stop` turns true.
pub(super) fn start_site_tasks(
    app: &Arc<App>,
    router: &Router,
    certs: &Arc<CertSwitch>,
    stop: &watch::Receiver<bool>,
    span: Option<tracing::Span>,
) -> Vec<tokio::task::JoinHandle<()>> {
    use tracing::Instrument as _;
    let span = span.unwrap_or_else(tracing::Span::none);
    let spawn = |task: Pin<Box<dyn Future<Output = ()> + Send>>| {
        tokio::spawn(task.instrument(span.clone()))
    };
    let mut tasks = vec![
        spawn(Box::pin(warm_pages(
            app.clone(),
            router.clone(),
            stop.clone(),
        ))),
        spawn(Box::pin(crate::ops::jobs::scheduler(
            app.clone(),
            stop.clone(),
        ))),
        spawn(Box::pin(crate::mail::sender::run(
            app.clone(),
            stop.clone(),
        ))),
        spawn(Box::pin(refresh_certificates(
            app.clone(),
            certs.clone(),
            stop.clone(),
        ))),
        spawn(Box::pin(crate::ops::heal::watch(app.clone(), stop.clone()))),
    ];
    #[cfg(unix)]
    if let Some(listener) = crate::ops::control::unix::bind(&app.config.data) {
        tasks.push(spawn(Box::pin(crate::ops::control::unix::serve(
            app.clone(),
            listener,
            stop.clone(),
        ))));
    }
    if let crate::config::TlsSource::Acme(settings) = &app.config.tls {
        tasks.push(spawn(Box::pin(super::acme::keep_certificate(
            app.clone(),
            certs.clone(),
            settings.clone(),
            stop.clone(),
        ))));
    }
    tasks
}

/// Which router a connection's requests go to.
#[derive(Clone)]
enum Pick {
    /// The site the handshake named.
    Site(Arc<super::sites::Site>),
    /// Each request's Host picks (a connection without SNI, plain HTTP).
    ByHost(Arc<Sites>, Scheme),
}

/// Whether `Pick::ByHost` takes a site's HTTPS router or its plain-HTTP redirect one.
#[derive(Clone, Copy)]
enum Scheme {
    Https,
    Http,
}

impl Pick {
    /// The site that answers `request`, and how (`Http`: its redirect to HTTPS).
    fn site<B>(&self, request: &hyper::Request<B>) -> Option<(Arc<super::sites::Site>, Scheme)> {
        match self {
            Pick::Site(site) => Some((site.clone(), Scheme::Https)),
            Pick::ByHost(sites, scheme) => {
                let host = request
                    .uri()
                    .host()
                    .or_else(|| {
                        request
                            .headers()
                            .get(axum::http::header::HOST)
                            .and_then(|v| v.to_str().ok())
                            .map(super::frame::host_name)
                    })
                    .map(|h| h.trim_start_matches('[').trim_end_matches(']'));
                let site = host
                    .and_then(|h| sites.for_host(h))
                    .or_else(|| sites.fallback())?;
                Some((site, *scheme))
            }
        }
    }
}

async fn serve_https(shared: &Shared, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let handshake =
        tokio::time::timeout(shared.limits.handshake_timeout, shared.acceptor.accept(tcp));
    let tls = match handshake.await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, "TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    if tls.get_ref().1.alpn_protocol() == Some(super::acme::ACME_TLS_ALPN) {
        // A TLS-ALPN-01 validation ends with the handshake (RFC 8737 section 3).
        tracing::info!(%peer, "answered an ACME TLS-ALPN-01 validation");
        return;
    }
    // The handshake's name picks the site; its connections end when it is removed.
    let named = tls
        .get_ref()
        .1
        .server_name()
        .and_then(|name| shared.sites.for_host(name));
    let (pick, site_stop) = match named {
        Some(site) => {
            let stopped = site.stopped();
            (Pick::Site(site), Some(stopped))
        }
        None => (Pick::ByHost(shared.sites.clone(), Scheme::Https), None),
    };
    let state = ConnState::new();
    if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
        let service = tracked_service(pick, peer, state.clone(), shared.bodies.clone());
        let requests = super::conn_streams::ConnExecutor::default();
        let (tls, writes) = super::held_writes::hold(tls);
        let conn = http2::Builder::new(requests.clone())
            .timer(TokioTimer::new())
            .max_concurrent_streams(128)
            // Past this, h2 refuses the stream without a status; below it, the frame
            // answers an overlong URI (414) or head (431) like HTTP/1.1 does.
            .max_header_list_size(256 * 1024)
            .keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(20))
            .serve_connection(TokioIo::new(tls), service);
        drive(
            super::conn_streams::WithRequests::new(conn, requests, writes),
            shared.shutdown.clone(),
            site_stop,
            peer,
            Some((state, H2_IDLE)),
        )
        .await;
    } else {
        let io = HeadTimeout::new(tls, state.clone(), shared.limits.header_timeout);
        let service = tracked_service(pick, peer, state, shared.bodies.clone());
        serve_http1(shared, io, service, peer, site_stop).await;
    }
}

async fn serve_http1<I>(
    shared: &Shared,
    io: HeadTimeout<I>,
    service: impl hyper::service::Service<
        hyper::Request<Incoming>,
        Response = hyper::Response<TrackedBody>,
        Error = std::convert::Infallible,
        Future = TrackedFuture,
    > + Send
    + 'static,
    peer: SocketAddr,
    site_stop: Option<watch::Receiver<bool>>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // HeadTimeout answers 408 first; hyper's own timeout is the backstop.
        .header_read_timeout(shared.limits.header_timeout * 2)
        // HeadTimeout refuses heads over MAX_HEAD_BYTES before hyper's buffer fills.
        .max_buf_size(2 * super::head_timeout::MAX_HEAD_BYTES)
        .max_headers(100)
        .serve_connection(TokioIo::new(io), service);
    drive(conn, shared.shutdown.clone(), site_stop, peer, None).await;
}

/// Runs a connection until it ends, starting its graceful shutdown when the server
/// or its site stops, or (HTTP/2) when it has carried no request for `idle`.
async fn drive<C: Closable>(
    conn: C,
    mut shutdown: watch::Receiver<bool>,
    site_stop: Option<watch::Receiver<bool>>,
    peer: SocketAddr,
    idle: Option<(Arc<ConnState>, Duration)>,
) {
    tokio::pin!(conn);
    // A connection not pinned to a site waits on a stop that never comes.
    let (_never, unpinned) = watch::channel(false);
    let mut site_stop = site_stop.unwrap_or(unpinned);
    let mut closing = *shutdown.borrow() || *site_stop.borrow();
    if closing {
        conn.as_mut().close();
    }
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    // A removed site's connections get SITE_GRACE to finish, then are cut: a client that
    // keeps an idle connection open must not keep the site's store open.
    let cut = tokio::time::sleep(Duration::from_secs(365 * 24 * 3600));
    tokio::pin!(cut);
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                return;
            }
            _ = shutdown.changed(), if !closing => {
                closing = true;
                conn.as_mut().close();
            }
            Ok(()) = site_stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().close();
                cut.as_mut().reset(tokio::time::Instant::now() + SITE_GRACE);
            }
            () = &mut cut => {
                tracing::debug!(%peer, "closed a connection of a removed site");
                return;
            }
            _ = tick.tick(), if !closing && idle.is_some() => {
                if let Some((state, limit)) = &idle
                    && state.idle_since().is_some_and(|since| since.elapsed() > *limit)
                {
                    closing = true;
                    conn.as_mut().close();
                }
            }
        }
    }
}

/// A connection `drive` runs and, when asked, closes gracefully.
trait Closable: Future<Output = Result<(), Self::Failure>> {
    type Failure: std::fmt::Display;
    fn close(self: Pin<&mut Self>);
}

impl<C: GracefulConnection<Error: std::fmt::Display>> Closable for C {
    type Failure = C::Error;
    fn close(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<C: GracefulConnection<Error: std::fmt::Display>> Closable
    for super::conn_streams::WithRequests<C>
{
    type Failure = C::Error;
    fn close(self: Pin<&mut Self>) {
        self.get_mut().graceful_shutdown();
    }
}

type TrackedFuture = Pin<
    Box<dyn Future<Output = Result<hyper::Response<TrackedBody>, std::convert::Infallible>> + Send>,
>;

/// Where request bodies are counted and how fast they must arrive.
type Bodies = Option<(Arc<PendingBodies>, BodyPolicy)>;

/// The router as a hyper service that records the peer, puts deadlines on request
/// bodies (and refuses one over the caps of bodies in flight), and tells `ConnState`
/// when each request begins and when its response body is done.
fn tracked_service(
    pick: Pick,
    peer: SocketAddr,
    state: Arc<ConnState>,
    bodies: Bodies,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<TrackedBody>,
    Error = std::convert::Infallible,
    Future = TrackedFuture,
> + Clone {
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let site = pick.site(&request);
        // A page the cache holds is answered here, without the router.
        if let Some((site, Scheme::Https)) = &site
            && let Some(app) = &site.app
            && let Some(response) = super::frame::from_cache(app, &request, peer)
        {
            let guard = state.begin();
            return Box::pin(std::future::ready(Ok(response.map(|body| TrackedBody {
                inner: body,
                _guard: guard,
            })))) as TrackedFuture;
        }
        let router = site.map(|(site, scheme)| match scheme {
            Scheme::Https => site.router.clone(),
            Scheme::Http => site.redirect.clone(),
        });
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(Peer(peer));
        let body = match &bodies {
            Some((pending, policy)) => {
                let slot = if hyper::body::Body::is_end_stream(&body) {
                    None
                } else {
                    let slot = pending.enter(peer.ip());
                    if slot.is_none() {
                        parts.extensions.insert(BodyRefused);
                    }
                    slot
                };
                let (body, watch) = DeadlineBody::new(body, *policy, slot);
                parts.extensions.insert(watch);
                Body::new(body)
            }
            None => Body::new(body),
        };
        let guard = state.begin();
        let request = hyper::Request::from_parts(parts, body);
        Box::pin(async move {
            let Some(router) = router else {
                // No site at all (the last one was removed): nothing here to serve.
                let mut response = hyper::Response::new(Body::empty());
                *response.status_mut() = axum::http::StatusCode::MISDIRECTED_REQUEST;
                return Ok(response.map(|body| TrackedBody {
                    inner: body,
                    _guard: guard,
                }));
            };
            let response = router.oneshot(request).await?;
            Ok(response.map(|body| TrackedBody {
                inner: body,
                _guard: guard,
            }))
        }) as TrackedFuture
    })
}

/// A response body that ends its request when it is finished or dropped.
pub struct TrackedBody {
    inner: Body,
    _guard: RequestGuard,
}

impl hyper::body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Open connections per remote address.
#[derive(Clone)]
struct PeerLimit {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max: usize,
}

struct PeerSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PeerLimit {
    fn new(max: usize) -> PeerLimit {
        PeerLimit {
            counts: Arc::new(Mutex::new(HashMap::new())),
            max,
        }
    }

    fn acquire(&self, ip: IpAddr) -> Option<PeerSlot> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            counts: self.counts.clone(),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

async fn accept_optional(
    listener: Option<&TcpListener>,
) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn accepted_or_log(
    accepted: std::io::Result<(TcpStream, SocketAddr)>,
    warnings: &crate::logs::Summarised,
) -> Option<(TcpStream, SocketAddr)> {
    match accepted {
        Ok(pair) => Some(pair),
        Err(e) => {
            // Usually EMFILE: keep serving the connections we have, and pause rather
            // than spin on an error that repeats until one of them closes.
            warnings.warn("accept_failed", || format!("accept failed: {e}"));
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Listens for SIGHUP. Call it early: once installed, a SIGHUP no longer kills the
/// process, even before the server loop runs.
#[cfg(unix)]
pub fn hangup_signal() -> Result<tokio::signal::unix::Signal, Error> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).map_err(Error::Signal)
}

/// Every minute: certificate files changed on disk go into service, and a self-signed
/// certificate near expiry is made anew. A failure keeps the old certificate serving
/// and shows a warning to administrators until it clears.
async fn refresh_certificates(
    app: Arc<App>,
    certs: Arc<CertSwitch>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = app.clock.now();
                let certs = certs.clone();
                let outcome = tokio::task::spawn_blocking(move || certs.refresh(now)).await;
                // Nothing changed: the warning (this task's or the ACME task's) stays.
                let problem = match outcome {
                    Ok(Ok(true)) => {
                        tracing::info!("a new TLS certificate is in service");
                        None
                    }
                    Ok(Ok(false)) => continue,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(problem) = &problem {
                    tracing::error!("kept the old TLS certificate: {problem}");
                }
                if let Ok(mut slot) = app.tls_problem.lock() {
                    *slot = problem;
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not
/// when it is first awaited, so a signal during start-up is not lost (or fatal).
pub fn stop_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match handlers {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => tracing::info!("SIGINT received"),
                        _ = term.recv() => tracing::info!("SIGTERM received"),
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Renders, through the site's own router, the pages a publication asked for
/// (`cache::Warm`): a stale page gets its new version, a dropped one is made again, so
/// the first visitor after a publish finds them ready.
async fn warm_pages(app: Arc<App>, site: Router, mut stop: watch::Receiver<bool>) {
    use tower::ServiceExt as _;
    let host = app
        .config
        .hosts
        .first()
        .cloned()
        .unwrap_or_else(|| "localhost".to_string());
    loop {
        let keys = tokio::select! {
            keys = app.warm.next() => keys,
            _ = stop.changed() => return,
        };
        for key in keys {
            let request = axum::http::Request::get(key.as_str())
                .header(axum::http::header::HOST, host.as_str())
                .header(axum::http::header::ACCEPT_ENCODING, "br, gzip")
                .body(axum::body::Body::empty());
            let Ok(request) = request else { continue };
            let Ok(response) = site.clone().oneshot(request).await;
            // The body is the page, already cached; reading it finishes the work.
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_address_limit_counts_and_releases() {
        let limit = PeerLimit::new(2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = limit.acquire(ip).unwrap();
        let _b = limit.acquire(ip).unwrap();
        assert!(limit.acquire(ip).is_none());
        assert!(limit.acquire("192.0.2.2".parse().unwrap()).is_some());
        drop(a);
        assert!(limit.acquire(ip).is_some());
    }
}
