//! The control socket: redb lets one process open the database, so while a server runs,
//! commands such as `trangtin user add` send their work to it over `data/trangtin.sock`
//! (mode 0600, so only the service account and root can use it). With no server
//! running, the command opens the store itself. Either way the same `handle` runs.
//!
//! Protocol: one JSON request line, one JSON response line.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::auth::{self, NewUser, accounts, password};
use crate::store::Store;
use crate::workflow::{Actor, Role};

pub const SOCKET: &str = "trangtin.sock";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    UserAdd {
        login: String,
        name: String,
        unit: Option<String>,
        roles: Vec<String>,
        password: String,
    },
    UserPasswd {
        login: String,
        password: String,
    },
    UserList,
    /// Remove a person's second factor (a lost phone and no recovery codes left).
    UserReset2fa {
        login: String,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Write a static mirror of the public site into `out`.
    Export {
        out: PathBuf,
    },
    /// What `doctor` needs from the store: the last backup and integrity check.
    Facts,
    /// Run the integrity check now.
    Verify {
        #[serde(default)]
        on_mismatch: crate::integrity::OnMismatch,
    },
    /// Write a backup (into `dir`, or the data folder's `backups/`).
    Backup {
        dir: Option<PathBuf>,
        passphrase: Option<String>,
    },
    /// Import an old site into a batch; progress lines precede the answer.
    Import {
        job: crate::import::Job,
        dry_run: bool,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserLine {
    pub login: String,
    pub name: String,
    pub unit: String,
    pub roles: Vec<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    /// What happened, or why not (English, for operators).
    pub message: String,
    #[serde(default)]
    pub users: Vec<UserLine>,
    /// The report of an integrity check.
    #[serde(default)]
    pub report: Option<crate::integrity::Report>,
    #[serde(default)]
    pub facts: Option<Facts>,
    /// An import's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Box<crate::import::Report>>,
    /// A progress line (not the answer: more lines follow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<crate::import::Progress>,
}

/// The state `doctor` checks, read from the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Facts {
    pub last_backup: Option<crate::backup::schedule::LastRun>,
    pub latest_check: Option<crate::integrity::Report>,
    /// The newest audit record's time (a clock that went back shows here).
    pub newest_audit: Option<Timestamp>,
    /// The database file as `Store::examine` found it just now.
    #[serde(default)]
    pub storage: crate::store::Examination,
    /// What the first-run checklist finds in the store.
    #[serde(default)]
    pub checklist: Option<crate::ops::checklist::State>,
}

impl Response {
    pub fn ok(message: impl Into<String>) -> Response {
        Response {
            ok: true,
            message: message.into(),
            users: Vec::new(),
            report: None,
            facts: None,
            import: None,
            progress: None,
        }
    }

    fn report(report: crate::integrity::Report) -> Response {
        Response {
            ok: true,
            message: String::new(),
            users: Vec::new(),
            report: Some(report),
            facts: None,
            import: None,
            progress: None,
        }
    }

    pub fn refused(message: impl Into<String>) -> Response {
        Response {
            ok: false,
            message: message.into(),
            users: Vec::new(),
            report: None,
            facts: None,
            import: None,
            progress: None,
        }
    }
}

/// Carries out a request against the store (blocking: hashes passwords). `search` is
/// the running server's index, if any; without one, `Reindex` opens the index folder.
pub fn handle(
    store: &Store,
    search: Option<&crate::app::SearchRepair>,
    request: Request,
    now: Timestamp,
) -> Response {
    if let Request::Reindex = request {
        return reindex(store, search);
    }
    if let Request::Import { job, dry_run } = request {
        return import(store, &job, dry_run, now, &mut |_| {});
    }
    match handle_inner(store, request, now) {
        Ok(response) => response,
        Err(e) => Response::refused(format!("internal error: {e}")),
    }
}

/// Runs an import, handing each progress line to `progress`.
pub fn import(
    store: &Store,
    job: &crate::import::Job,
    dry_run: bool,
    now: Timestamp,
    progress: &mut dyn FnMut(&crate::import::Progress),
) -> Response {
    match crate::import::run(store, job, dry_run, "cli", now, progress) {
        Ok(report) => {
            let mut response = Response::ok(report.text());
            response.import = Some(Box::new(report));
            response
        }
        Err(e) => Response::refused(format!("import failed: {e}")),
    }
}

fn reindex(store: &Store, running: Option<&crate::app::SearchRepair>) -> Response {
    let rebuilt = match running {
        Some(search) => search.reindex(),
        None => crate::search::Search::open(&store.data_dir().join("search"))
            .and_then(|(search, _)| search.rebuild(store)),
    };
    match rebuilt {
        Ok(count) => Response::ok(format!("search index rebuilt: {count} entries")),
        Err(e) => Response::refused(format!("reindex failed: {e}")),
    }
}

fn check_password(password: &str, login: &str) -> Option<Response> {
    password::policy(password, login, false).err().map(|_| {
        Response::refused(format!(
            "password refused: use at least {} characters, not containing the login and not a common password",
            password::MIN_LEN_WITHOUT_2FA
        ))
    })
}

fn handle_inner(store: &Store, request: Request, now: Timestamp) -> Result<Response, auth::Error> {
    match request {
        Request::UserAdd {
            login,
            name,
            unit,
            roles,
            password,
        } => {
            let mut parsed = Vec::new();
            for role in &roles {
                if let Some(r) = Role::parse(role) {
                    parsed.push(r);
                } else {
                    let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                    return Ok(Response::refused(format!(
                        "unknown role {role:?}; roles are {}",
                        known.join(", ")
                    )));
                }
            }
            if parsed.is_empty() {
                return Ok(Response::refused("give at least one --role"));
            }
            if let Some(refusal) = check_password(&password, &login) {
                return Ok(refusal);
            }
            let hash = password::hash(&password).map_err(auth::Error::Hash)?;
            let name = if name.trim().is_empty() {
                login.clone()
            } else {
                name
            };
            let unit = match unit.as_deref() {
                None => None,
                Some(u) => {
                    if let Some(found) = store.read_blocking(|tx| auth::find_unit(tx, u))? {
                        Some(found.id)
                    } else {
                        let known: Vec<String> = store
                            .read_blocking(auth::units)?
                            .into_iter()
                            .map(|u| u.name)
                            .collect();
                        return Ok(Response::refused(format!(
                            "unknown unit {u:?}; units are: {}",
                            known.join("; ")
                        )));
                    }
                }
            };
            let new = NewUser {
                login: login.clone(),
                name,
                unit,
                roles: parsed,
            };
            let operator = Actor::operator();
            match store.write_blocking(|tx| accounts::create(tx, &operator, new, hash, false, now))
            {
                Ok(user) => Ok(Response::ok(format!("created user {}", user.login))),
                Err(auth::Error::Invalid { field, .. }) => Ok(Response::refused(format!(
                    "invalid {field}: logins are 2-32 characters of a-z, 0-9, '.', '_' or '-' and must be unused; the name must not be empty"
                ))),
                Err(e) => Err(e),
            }
        }
        Request::UserPasswd { login, password } => {
            if let Some(refusal) = check_password(&password, &login) {
                return Ok(refusal);
            }
            let hash = password::hash(&password).map_err(auth::Error::Hash)?;
            let operator = Actor::operator();
            match store.write_blocking(|tx| {
                accounts::set_password(tx, &operator, &login, &password, hash, now)
            }) {
                Ok(()) => Ok(Response::ok(format!(
                    "password of {login} changed; their sessions were ended"
                ))),
                Err(auth::Error::NoSuchUser) => Ok(Response::refused(format!("no user {login:?}"))),
                Err(auth::Error::PasswordReused) => Ok(Response::refused(
                    "password refused: it is the current or one of the last 4 passwords",
                )),
                Err(e) => Err(e),
            }
        }
        Request::UserReset2fa { login } => {
            let Some(user) = store.read_blocking(|tx| auth::find_by_login(tx, &login))? else {
                return Ok(Response::refused(format!("no user {login:?}")));
            };
            let operator = Actor::operator();
            match store
                .write_blocking(|tx| accounts::reset_second_factor(tx, &operator, user.id, now))
            {
                Ok(()) => Ok(Response::ok(format!(
                    "second factor of {login} removed and their sessions ended; they enrol again at their next login"
                ))),
                Err(auth::Error::NoSecondFactor) => Ok(Response::refused(format!(
                    "{login} has no second factor to reset"
                ))),
                Err(e) => Err(e),
            }
        }
        Request::Reindex => Ok(reindex(store, None)),
        Request::Export { .. } => Ok(Response::refused(
            "export renders pages, which needs the app: run it with the server stopped, or through a running server",
        )),
        Request::Facts => {
            let mut storage = store.examine();
            let read = store.read_blocking(|tx| -> Result<_, auth::Error> {
                Ok((
                    crate::backup::schedule::last_run(tx)?,
                    crate::integrity::latest(tx)?,
                    crate::audit::newest(tx)?.map(|r| r.at),
                    crate::ops::checklist::state(tx)?,
                ))
            });
            // A damaged file still gets its examination reported.
            let (last_backup, latest_check, newest_audit, checklist) = match read {
                Ok((backup, check, audit, checklist)) => (backup, check, audit, Some(checklist)),
                Err(e) => {
                    storage
                        .problems
                        .push(format!("reading the backup and check records failed: {e}"));
                    (None, None, None, None)
                }
            };
            Ok(Response {
                ok: true,
                message: String::new(),
                users: Vec::new(),
                report: None,
                facts: Some(Facts {
                    last_backup,
                    latest_check,
                    newest_audit,
                    storage,
                    checklist,
                }),
                import: None,
                progress: None,
            })
        }
        // Answered by `import`, with its progress.
        Request::Import { job, dry_run } => Ok(import(store, &job, dry_run, now, &mut |_| {})),
        Request::Verify { on_mismatch } => Ok(
            match crate::integrity::check(store, on_mismatch, "cli", now) {
                Ok((report, _)) => Response::report(report),
                Err(e) => Response::refused(format!("the integrity check could not run: {e}")),
            },
        ),
        Request::Backup { dir, passphrase } => {
            let dir = dir.unwrap_or_else(|| crate::backup::default_dir(store.data_dir()));
            let options = crate::backup::Options { passphrase };
            Ok(
                match crate::backup::take(store, &dir, &options, "cli", now) {
                    Ok(status) => Response::ok(dir.join(&status.file).display().to_string()),
                    Err(e) => Response::refused(format!("backup failed: {e}")),
                },
            )
        }
        Request::UserList => store.read_blocking(|tx| {
            let units = auth::units(tx)?;
            let users = auth::users(tx)?
                .into_iter()
                .map(|u| UserLine {
                    unit: u
                        .unit
                        .and_then(|id| units.iter().find(|x| x.id == id))
                        .map(|x| x.name.clone())
                        .unwrap_or_default(),
                    login: u.login,
                    name: u.name,
                    roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
                    enabled: u.enabled,
                })
                .collect();
            Ok(Response {
                ok: true,
                message: String::new(),
                users,
                report: None,
                facts: None,
                import: None,
                progress: None,
            })
        }),
    }
}

pub fn socket_path(data: &Path) -> PathBuf {
    data.join(SOCKET)
}

/// Whether a server answers on the data folder's control socket.
pub fn server_running(data: &Path) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::net::UnixStream::connect(socket_path(data)).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = data;
        false
    }
}

#[cfg(unix)]
pub mod unix {
    //! The socket itself.

    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::sync::Arc;

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{UnixListener, UnixStream};
    use tokio::sync::watch;

    use super::{Request, Response, handle};
    use crate::app::App;

    /// Longest request line accepted.
    const MAX_LINE: usize = 64 * 1024;

    /// Binds the socket (mode 0600). A socket left by a crash, which nobody answers,
    /// is replaced. `None` (logged) if it cannot be made.
    pub fn bind(data: &Path) -> Option<UnixListener> {
        let path = super::socket_path(data);
        if path.exists() && std::os::unix::net::UnixStream::connect(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
        let listener = match UnixListener::bind(&path) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(path = %path.display(), "control socket unavailable: {e}");
                return None;
            }
        };
        if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            tracing::error!("cannot restrict the control socket: {e}");
            let _ = std::fs::remove_file(&path);
            return None;
        }
        Some(listener)
    }

    /// Serves the control socket until `stop` turns true; removes it afterwards.
    pub async fn serve(app: Arc<App>, listener: UnixListener, mut stop: watch::Receiver<bool>) {
        let path = super::socket_path(&app.config.data);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        let app = app.clone();
                        tokio::spawn(async move { answer(app, stream).await });
                    }
                }
                _ = stop.changed() => break,
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    async fn answer(app: Arc<App>, stream: UnixStream) {
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let mut reader = BufReader::new(read).take(MAX_LINE as u64);
        let response = match reader.read_line(&mut line).await {
            Ok(_) => match serde_json::from_str::<Request>(&line) {
                Ok(Request::Export { out }) => match crate::ops::export::export(&app, &out).await {
                    Ok(done) => Response::ok(format!(
                        "exported {} pages and {} files ({} bytes) into {}",
                        done.pages,
                        done.files,
                        done.bytes,
                        out.display()
                    )),
                    Err(e) => Response::refused(format!("export failed: {e}")),
                },
                Ok(Request::Import { job, dry_run }) => {
                    let Some(guard) = crate::ops::jobs::Exclusive::take(&app.import_running) else {
                        return reply(
                            &mut write,
                            Response::refused(
                                "another import is running on this server; wait for it to finish",
                            ),
                        )
                        .await;
                    };
                    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
                    let (store, now) = (app.store.clone(), app.clock.now());
                    let task = tokio::task::spawn_blocking(move || {
                        let _guard = guard;
                        super::import(&store, &job, dry_run, now, &mut |p| {
                            let _ = sender.send(p.clone());
                        })
                    });
                    while let Some(progress) = receiver.recv().await {
                        let mut line = Response::ok("");
                        line.progress = Some(progress);
                        reply(&mut write, line).await;
                    }
                    task.await
                        .unwrap_or_else(|e| Response::refused(format!("internal error: {e}")))
                }
                // The server's own check also refreshes cached pages it affects.
                Ok(Request::Verify { .. }) => match app.check_integrity("cli").await {
                    Ok(report) => Response::report(report),
                    Err(e) => Response::refused(format!("the integrity check could not run: {e}")),
                },
                Ok(request) => {
                    // One backup, and one rebuild of the index, at a time.
                    let exclusive = match request {
                        Request::Backup { .. } => Some((
                            crate::ops::jobs::Exclusive::take(&app.backup_running),
                            "another backup is running; try again later",
                        )),
                        Request::Reindex => Some((
                            app.search_repair.hold(),
                            "the search index is being built or rebuilt already; try again when the server logs that it was built",
                        )),
                        _ => None,
                    };
                    let guard = match exclusive {
                        Some((None, busy)) => {
                            return reply(&mut write, Response::refused(busy)).await;
                        }
                        Some((held, _)) => held,
                        None => None,
                    };
                    let (store, search, now) = (
                        app.store.clone(),
                        app.search_repair.clone(),
                        app.clock.now(),
                    );
                    // An operator's backup or reindex reads the whole store: behind
                    // the pages, as the scheduled backup is.
                    crate::background::run("control", move || {
                        let _guard = guard;
                        handle(&store, Some(&search), request, now)
                    })
                    .await
                    .unwrap_or_else(|e| Response::refused(format!("internal error: {e}")))
                }
                Err(e) => Response::refused(format!("bad request: {e}")),
            },
            Err(e) => Response::refused(format!("cannot read the request: {e}")),
        };
        reply(&mut write, response).await;
    }

    async fn reply(write: &mut tokio::net::unix::OwnedWriteHalf, response: Response) {
        if let Ok(mut text) = serde_json::to_string(&response) {
            text.push('\n');
            let _ = write.write_all(text.as_bytes()).await;
        }
    }

    /// Why a request got no answer from the socket.
    #[derive(Debug, thiserror::Error)]
    pub enum SendError {
        /// No server took the request (none listens, or the request could not be
        /// written): nothing was done, and the command can run on the store instead.
        #[error("{0}")]
        NotSent(std::io::Error),
        /// The server had the request and went before answering (a shutdown, a
        /// crash): it may or may not have carried it out, so running it again on the
        /// store could do it twice.
        #[error("{0}")]
        Unanswered(std::io::Error),
    }

    /// Sends a request to a running server, handing each progress line to `progress`
    /// until the answer comes.
    pub fn send_with_progress(
        path: &Path,
        request: &Request,
        progress: &mut dyn FnMut(&crate::import::Progress),
    ) -> Result<Response, SendError> {
        use std::io::{BufRead, Write};
        let mut stream =
            std::os::unix::net::UnixStream::connect(path).map_err(SendError::NotSent)?;
        let mut text = serde_json::to_string(request)
            .map_err(|e| SendError::NotSent(std::io::Error::other(e)))?;
        text.push('\n');
        stream
            .write_all(text.as_bytes())
            .map_err(SendError::NotSent)?;
        let mut reader = std::io::BufReader::new(stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).map_err(SendError::Unanswered)? == 0 {
                return Err(SendError::Unanswered(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection without an answer",
                )));
            }
            let response: Response = serde_json::from_str(&line)
                .map_err(|e| SendError::Unanswered(std::io::Error::other(e)))?;
            match &response.progress {
                Some(p) => progress(p),
                None => return Ok(response),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// No listener: not sent, so the command may run on the store. A server that
        /// reads the request and goes without answering: unanswered, so it must not.
        #[test]
        fn a_request_the_server_took_but_never_answered_is_not_taken_for_unsent() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("control.sock");
            assert!(matches!(
                send_with_progress(&path, &Request::UserList, &mut |_| {}),
                Err(SendError::NotSent(_))
            ));
            let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
            let server = std::thread::spawn(move || {
                use std::io::BufRead;
                let (stream, _) = listener.accept().unwrap();
                let mut line = String::new();
                std::io::BufReader::new(stream)
                    .read_line(&mut line)
                    .unwrap();
                line
            });
            let sent = send_with_progress(&path, &Request::UserList, &mut |_| {});
            assert!(matches!(sent, Err(SendError::Unanswered(_))), "{sent:?}");
            assert!(server.join().unwrap().contains("user_list"));
        }
    }
}
