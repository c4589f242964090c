//! The sites one process serves (DESIGN section 12), and how a connection finds its own.
//!
//! The server shares the listeners, the TLS acceptor, the connection limits and the
//! page-cache budget; each `Site` has its own configuration, store, keys, renderer and
//! jobs. The TLS handshake's server name (SNI) picks the certificate and the site; a
//! connection without one (an address typed in, a test) is routed by each request's
//! Host. A site then answers 421 to a Host that is not its own, as one site always did,
//! so nothing of one site is ever served under another's name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::tls::CertSwitch;
use crate::app::App;
use crate::config::Config;

/// One site the process serves.
pub struct Site {
    /// Its settings; `config.name` is its name in `sites/NAME.toml` (empty for the one
    /// site of a single-site install).
    pub config: Config,
    pub certs: Arc<CertSwitch>,
    /// `None` when its store could not be opened: it then answers 503 (the cause is
    /// in the log).
    pub app: Option<Arc<App>>,
    pub(super) router: Router,
    pub(super) redirect: Router,
    /// Stops this site's jobs (and its pinned connections) without stopping the others.
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("name", &self.name())
            .field("hosts", &self.config.hosts)
            .field("open", &self.app.is_some())
            .finish_non_exhaustive()
    }
}

impl Site {
    /// A site whose app is open, with its routers; its jobs start with `start`.
    pub fn serving(app: Arc<App>, certs: Arc<CertSwitch>, https_port: u16) -> Site {
        let (stop, _) = watch::channel(false);
        Site {
            config: app.config.clone(),
            router: super::router(app.clone()),
            redirect: super::redirect::router(app.clone(), https_port, certs.clone()),
            certs,
            app: Some(app),
            stop,
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// A site whose store would not open: every request gets 503 and a page that says
    /// so, while the other sites serve on.
    pub fn broken(config: Config, certs: Arc<CertSwitch>) -> Site {
        let (stop, _) = watch::channel(false);
        let router = super::unavailable::router(&config);
        Site {
            redirect: router.clone(),
            router,
            config,
            certs,
            app: None,
            stop,
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Opens the site `config` describes (blocking: it may seed or migrate a store).
    /// Only a certificate that cannot be loaded is an error: a store that does not
    /// open gives a site that answers 503. `scheduled_work` is the turn for scheduled
    /// heavy work the process's sites share (`App::scheduled_work`).
    pub fn open(
        config: Config,
        https_port: u16,
        scheduled_work: crate::ops::jobs::Turns,
    ) -> Result<Site, super::tls::Error> {
        let certs = Arc::new(CertSwitch::load(&config)?);
        let name = config.name.clone();
        match App::open(config.clone()) {
            Ok(mut app) => {
                app.scheduled_work = scheduled_work;
                Ok(Site::serving(Arc::new(app), certs, https_port))
            }
            Err(e) => {
                tracing::error!(site = %name, "the site's data folder would not open: {e}");
                Ok(Site::broken(config, certs))
            }
        }
    }

    /// Starts the site's jobs: the scheduler, mail, its control socket, certificate
    /// renewal, cache warming and self-healing.
    pub fn start(&self) {
        let Some(app) = &self.app else { return };
        let handles = super::server::start_site_tasks(
            app,
            &self.router,
            &self.certs,
            &self.stop.subscribe(),
            // With several sites, each one's log lines name it.
            (!self.name().is_empty()).then(|| tracing::info_span!("site", name = %self.name())),
        );
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.extend(handles);
        }
    }

    /// Ends the site's jobs and its pinned connections, and waits for the jobs.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        if let Some(app) = self.app.clone() {
            let _ = tokio::task::spawn_blocking(move || app.search_repair.stop()).await;
        }
        let tasks: Vec<_> = match self.tasks.lock() {
            Ok(mut tasks) => tasks.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Turns true when the site is stopped.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Its name in `sites/NAME.toml`; empty for the one site of a single-site install.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The host names that lead here: its own and its old ones (which redirect).
    fn names(&self) -> impl Iterator<Item = &String> {
        self.config.hosts.iter().chain(&self.config.old_hosts)
    }
}

/// The sites being served, by name and by host name. Cheap to read: a connection takes
/// the current table and looks once.
#[derive(Default)]
pub struct Sites {
    table: RwLock<Arc<Table>>,
}

#[derive(Default)]
struct Table {
    list: Vec<Arc<Site>>,
    by_host: HashMap<String, Arc<Site>>,
}

impl Table {
    fn of(list: Vec<Arc<Site>>) -> Table {
        let mut by_host = HashMap::new();
        for site in &list {
            for host in site.names() {
                let host = host.to_ascii_lowercase();
                if let Some(first) = by_host.get(&host) {
                    let first: &Arc<Site> = first;
                    tracing::warn!(
                        host,
                        site = %site.name(),
                        kept = %first.name(),
                        "two sites name the same host; the first keeps it"
                    );
                    continue;
                }
                by_host.insert(host, site.clone());
            }
        }
        Table { list, by_host }
    }
}

impl std::fmt::Debug for Sites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.all()).finish()
    }
}

impl Sites {
    pub fn new(list: Vec<Arc<Site>>) -> Sites {
        Sites {
            table: RwLock::new(Arc::new(Table::of(list))),
        }
    }

    fn current(&self) -> Arc<Table> {
        self.table
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn all(&self) -> Vec<Arc<Site>> {
        self.current().list.clone()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Site>> {
        self.current()
            .list
            .iter()
            .find(|s| s.name() == name)
            .cloned()
    }

    /// The site that answers to `host` (no port), if one does.
    pub fn for_host(&self, host: &str) -> Option<Arc<Site>> {
        let table = self.current();
        if let [only] = table.list.as_slice() {
            // One site answers everything, as it always did: a Host it does not know
            // gets its 421.
            return Some(only.clone());
        }
        let host = host.trim_end_matches('.');
        table
            .by_host
            .get(host)
            .or_else(|| table.by_host.get(&host.to_ascii_lowercase()))
            .cloned()
    }

    /// The site that answers what no site claims (with a 421): the first one.
    pub fn fallback(&self) -> Option<Arc<Site>> {
        self.current().list.first().cloned()
    }

    /// Adds `site`, or puts it in place of the one with its name; returns that one.
    pub fn insert(&self, site: Arc<Site>) -> Option<Arc<Site>> {
        let mut table = self
            .table
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut list = table.list.clone();
        let old = if let Some(at) = list.iter().position(|s| s.name() == site.name()) {
            Some(std::mem::replace(&mut list[at], site))
        } else {
            list.push(site);
            None
        };
        *table = Arc::new(Table::of(list));
        old
    }

    /// Takes the site named `name` out; new connections no longer reach it.
    pub fn remove(&self, name: &str) -> Option<Arc<Site>> {
        let mut table = self
            .table
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut list = table.list.clone();
        let at = list.iter().position(|s| s.name() == name)?;
        let old = list.remove(at);
        *table = Arc::new(Table::of(list));
        Some(old)
    }

    /// Whether any site answers ACME TLS-ALPN-01 validations.
    pub fn answers_tls_alpn(&self) -> bool {
        self.current()
            .list
            .iter()
            .any(|s| s.certs.answers_tls_alpn())
    }
}

/// The certificate for a handshake: the named site's, or the fallback's for a name no
/// site claims (whose requests then get 421).
#[derive(Debug)]
pub struct SiteCertificates(pub Arc<Sites>);

impl ResolvesServerCert for SiteCertificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let site = hello
            .server_name()
            .and_then(|name| self.0.for_host(name))
            .or_else(|| self.0.fallback())?;
        site.certs.resolve(hello)
    }
}
