//! The accept loops: HTTPS (TLS, then HTTP/1.1 or HTTP/2 by ALPN) and the plain-HTTP
//! redirect listener, with a connection cap, handshake and head timeouts, certificate
//! reload on SIGHUP and a graceful shutdown that lets in-flight requests finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::head_timeout::HeadTimeout;
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
}

/// The remote address of a connection, put into every request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

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

/// Serves until `shutdown` resolves, then stops accepting and gives open requests
/// `limits.shutdown_grace` to finish.
pub async fn serve(
    app: Arc<App>,
    listeners: Listeners,
    certs: Arc<CertSwitch>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let acceptor = TlsAcceptor::from(tls::server_config(certs.clone())?);
    let https_port = listeners.https_addr().map(|a| a.port()).unwrap_or(443);
    let site = super::router(app.clone());
    let redirect = super::redirect::router(app.clone(), https_port);
    let limits = app.config.limits.clone();
    let builder = Arc::new(connection_builder(&limits));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut hangup = hangup_signal()?;
    let Listeners { https, http } = listeners;
    tokio::pin!(shutdown);

    for (scheme, listener) in [("https", Some(&https)), ("http", http.as_ref())] {
        if let Some(addr) = listener.and_then(|l| l.local_addr().ok()) {
            tracing::info!("listening on {scheme}://{addr}");
        }
    }

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = https.accept() => {
                let Some((tcp, peer)) = accepted_or_log(accepted).await else { continue };
                let Some(permit) = permits.clone().try_acquire_owned().ok() else {
                    tracing::warn!(%peer, "connection limit reached; refusing a connection");
                    continue;
                };
                let conn = HttpsConn {
                    acceptor: acceptor.clone(),
                    builder: builder.clone(),
                    router: site.clone(),
                    limits: limits.clone(),
                    watcher: graceful.watcher(),
                };
                tokio::spawn(async move {
                    conn.run(tcp, peer).await;
                    drop(permit);
                });
            }
            accepted = accept_optional(http.as_ref()) => {
                let Some((tcp, peer)) = accepted_or_log(accepted).await else { continue };
                let Some(permit) = permits.clone().try_acquire_owned().ok() else { continue };
                let watcher = graceful.watcher();
                let (builder, router, timeout) = (builder.clone(), redirect.clone(), limits.header_timeout);
                tokio::spawn(async move {
                    let io = HeadTimeout::new(tcp, timeout);
                    serve_connection(&builder, io, router, peer, watcher).await;
                    drop(permit);
                });
            }
            _ = hangup.recv() => match certs.reload() {
                Ok(()) => tracing::info!(cert = %certs.cert_path().display(), "reloaded the TLS certificate"),
                Err(e) => tracing::error!("kept the old TLS certificate: {e}"),
            },
        }
    }

    drop(https);
    drop(http);
    tracing::info!(
        open_connections = graceful.count(),
        "shutting down: no longer accepting connections"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period ended with requests still open");
    }
    Ok(())
}

fn connection_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Our HeadTimeout answers 408 first; hyper's own timeout is the backstop.
        .header_read_timeout(limits.header_timeout * 2)
        .max_buf_size(32 * 1024)
        .max_headers(100);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(128)
        .max_header_list_size(32 * 1024)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    builder
}

struct HttpsConn {
    acceptor: TlsAcceptor,
    builder: Arc<auto::Builder<TokioExecutor>>,
    router: Router,
    limits: Limits,
    watcher: Watcher,
}

impl HttpsConn {
    async fn run(self, tcp: TcpStream, peer: SocketAddr) {
        let _ = tcp.set_nodelay(true);
        let handshake =
            tokio::time::timeout(self.limits.handshake_timeout, self.acceptor.accept(tcp));
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
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        if h2 {
            serve_connection(&self.builder, tls, self.router, peer, self.watcher).await;
        } else {
            let io = HeadTimeout::new(tls, self.limits.header_timeout);
            serve_connection(&self.builder, io, self.router, peer, self.watcher).await;
        }
    }
}

async fn serve_connection<I>(
    builder: &auto::Builder<TokioExecutor>,
    io: I,
    router: Router,
    peer: SocketAddr,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = router.map_request(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(Peer(peer));
        req
    });
    let conn = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    if let Err(e) = watcher.watch(conn.into_owned()).await {
        tracing::debug!(%peer, "connection ended: {e}");
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
) -> Option<(TcpStream, SocketAddr)> {
    match accepted {
        Ok(pair) => Some(pair),
        Err(e) => {
            // Usually EMFILE: keep serving the connections we have, and pause rather
            // than spin on an error that repeats until one of them closes.
            tracing::warn!("accept failed: {e}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

#[cfg(unix)]
fn hangup_signal() -> Result<tokio::signal::unix::Signal, Error> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).map_err(Error::Signal)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
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
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
