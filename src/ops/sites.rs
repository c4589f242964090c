//! Several sites in one process, as operators run them: opening every site at start-up,
//! `trangtin site add|list|archive|unarchive|remove`, and the process's own control
//! socket (`DATA/trangtin.sock` of the main configuration), through which a change
//! takes effect without a restart. Each change is written to the audit trail of the
//! site it concerns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::sites::{self as layout, SiteFile};
use crate::config::{Archive, Config};
use crate::http::sites::{Site, Sites};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] crate::config::Error),
    #[error("{0}")]
    Refused(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the process knows of its sites: the main configuration and where it came from.
pub struct Host {
    pub main: Config,
    pub main_path: PathBuf,
    pub sites: Arc<Sites>,
    pub https_port: u16,
    /// The turns for scheduled heavy work, shared by every site (`App::scheduled_work`).
    pub scheduled_work: crate::ops::jobs::Turns,
}

/// Opens every site the site files name (blocking). A site whose file is invalid or
/// whose certificate will not load is left out and logged; one whose store will not
/// open answers 503. Errors only when no site can be served at all.
pub fn open_all(
    main: &Config,
    main_path: &Path,
    https_port: u16,
    scheduled_work: &crate::ops::jobs::Turns,
) -> Result<Vec<Site>, Error> {
    let files = layout::files(Some(main_path))?;
    let count = files.len();
    let mut opened = Vec::new();
    for file in &files {
        match open_one(main, file, count, https_port, scheduled_work.clone()) {
            Ok(site) => opened.push(site),
            Err(e) => tracing::error!(site = %file.name, "site not served: {e}"),
        }
    }
    if opened.is_empty() {
        return Err(Error::Refused(format!(
            "none of the {count} sites in {} could be opened",
            layout::dir(main_path).display()
        )));
    }
    Ok(opened)
}

fn open_one(
    main: &Config,
    file: &SiteFile,
    count: usize,
    https_port: u16,
    scheduled_work: crate::ops::jobs::Turns,
) -> Result<Site, Error> {
    let config = layout::load(main, file, count)?;
    Site::open(config, https_port, scheduled_work).map_err(|e| Error::Refused(e.to_string()))
}

/// A change the control socket is told of, after the CLI wrote the site files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Change {
    Added,
    Archived,
    Unarchived,
    Removed,
}

impl Change {
    fn action(&self) -> &'static str {
        match self {
            Change::Added => "site_added",
            Change::Archived => "site_archived",
            Change::Unarchived => "site_unarchived",
            Change::Removed => "site_removed",
        }
    }
}

/// Brings the running sites in line with the site files: a new file is opened and
/// served, a file gone stops its site, and an archive setting that changed takes
/// effect. Writes `change` to the audit trail of `name`. Returns what was done.
pub async fn apply(host: &Host, name: &str, change: Change) -> Result<String, Error> {
    let file = layout::file_of(&host.main_path, name);
    let files = layout::files(Some(&host.main_path))?;
    let count = files.len().max(1);
    let running = host.sites.get(name);
    match (files.iter().any(|f| f.name == name), running) {
        (true, None) => {
            let (main, port, turn) = (
                host.main.clone(),
                host.https_port,
                host.scheduled_work.clone(),
            );
            let site =
                tokio::task::spawn_blocking(move || open_one(&main, &file, count, port, turn))
                    .await
                    .map_err(|e| Error::Refused(e.to_string()))??;
            let site = Arc::new(site);
            audit(&site, &change).await;
            site.start();
            host.sites.insert(site.clone());
            tracing::info!(
                site = name,
                hosts = site.config.hosts.join(", "),
                "site added"
            );
            Ok(format!(
                "site {name} is served at https://{}",
                site.config.hosts.first().map_or("", String::as_str)
            ))
        }
        (true, Some(site)) => {
            let config = layout::load(&host.main, &file, count)?;
            if let Some(app) = &site.app {
                app.set_archive(config.archive.clone());
            }
            audit(&site, &change).await;
            let state = if config.archive.is_some() {
                "archived (read-only)"
            } else {
                "open for updates"
            };
            tracing::info!(site = name, state, "site changed");
            Ok(format!("site {name} is {state}"))
        }
        (false, Some(site)) => {
            audit(&site, &change).await;
            host.sites.remove(name);
            site.stop().await;
            // The answer waits until the site's app is gone (its last connection
            // closed, a daily backup or check it had begun finished, its store shut, its
            // request log written out), so that whoever asked may move or delete its
            // folder. A minute at most.
            let app = site.app.as_ref().map(Arc::downgrade);
            drop(site);
            let mut released = true;
            if let Some(app) = app {
                released = false;
                for _ in 0..1200 {
                    if app.upgrade().is_none() {
                        released = true;
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
            tracing::info!(site = name, released, "site removed; its data is kept");
            Ok(if released {
                format!("site {name} is no longer served")
            } else {
                format!("site {name} is no longer served; connections to it are still closing")
            })
        }
        (false, None) => Err(Error::Refused(format!("no site named {name}"))),
    }
}

async fn audit(site: &Site, change: &Change) {
    let Some(app) = site.app.clone() else { return };
    let (action, name) = (change.action(), site.name().to_string());
    let now = app.clock.now();
    let written = app
        .store
        .write(move |tx| {
            crate::audit::append(tx, crate::audit::Event::new("cli", action, &name), now)
        })
        .await;
    if let Err(e) = written {
        tracing::error!(site = %site.name(), "cannot write the site change to its audit trail: {e}");
    }
}

/// The text of a new site's settings file.
pub fn new_site_file(name: &str, domain: &str, data: &Path, template: &str) -> String {
    let data = toml::Value::String(data.display().to_string());
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(crate::format::vietnam())
        .date();
    format!(
        "# Site {name}, added by `trangtin site add` on {today}.\n\
         # Listen addresses, limits, the page-cache budget and the log filter are set for\n\
         # all sites in the main configuration file.\n\
         hosts = [{domain:?}]\n\
         base_url = \"https://{domain}\"\n\
         demo = false\n\
         sections = {template:?}\n\
         data = {data}\n\
         \n\
         [tls]\n\
         # A self-signed certificate until one is set: mode = \"acme\", or cert and key files.\n\
         mode = \"self-signed\"\n"
    )
}

/// Sets or clears `[archive]` in a site file, keeping the rest of it.
pub fn write_archive(file: &SiteFile, archive: Option<&Archive>) -> Result<(), Error> {
    let text = std::fs::read_to_string(&file.path).map_err(|source| Error::Write {
        path: file.path.clone(),
        source,
    })?;
    let mut table: toml::Table = toml::from_str(&text)
        .map_err(|e| Error::Refused(format!("{} is not valid TOML: {e}", file.path.display())))?;
    match archive {
        None => {
            table.remove("archive");
        }
        Some(archive) => {
            let mut section = toml::Table::new();
            section.insert("since".into(), archive.since.to_string().into());
            if let Some(successor) = &archive.successor {
                section.insert("successor".into(), successor.clone().into());
            }
            if !archive.redirect_prefixes.is_empty() {
                section.insert(
                    "redirect_prefixes".into(),
                    toml::Value::Array(
                        archive
                            .redirect_prefixes
                            .iter()
                            .map(|p| p.clone().into())
                            .collect(),
                    ),
                );
            }
            table.insert("archive".into(), section.into());
        }
    }
    let text = toml::to_string(&table).map_err(|e| Error::Refused(e.to_string()))?;
    write_atomically(&file.path, &text, &file.path)
}

/// Gives `path` the owner, group and permissions of `like`: a file root writes into
/// `/etc/trangtin` or the data folder must stay readable by the service's user, and no
/// more. A user that may not change owners (not root) keeps its own, which is then the
/// service's anyway.
pub fn own_like(path: &Path, like: &Path) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(model) = std::fs::metadata(like) else {
        return;
    };
    let _ = std::os::unix::fs::chown(path, Some(model.uid()), Some(model.gid()));
    let _ = std::fs::set_permissions(
        path,
        std::fs::Permissions::from_mode(model.permissions().mode() & 0o7777),
    );
}

/// Makes the folder `dir` (and its parents) owned like `like`.
pub fn make_dir_like(dir: &Path, like: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    own_like(dir, like);
    Ok(())
}

/// Writes `text` to `path` through a temporary file, so a crash leaves the old file or
/// the new one, never half of one. The file gets the owner and mode of `like` (the main
/// configuration file, for a site's).
pub fn write_atomically(path: &Path, text: &str, like: &Path) -> Result<(), Error> {
    let temporary = path.with_extension("toml.tmp");
    let written = std::fs::write(&temporary, text)
        .and_then(|()| {
            own_like(&temporary, like);
            std::fs::File::open(&temporary)?.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    written.map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// What the CLI asks of the process's control socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notice {
    pub site: String,
    pub change: Change,
}

/// The process's control socket: `MAIN_DATA/trangtin.sock`, mode 0600, as a site's.
pub fn socket_path(main: &Config) -> PathBuf {
    crate::ops::control::socket_path(&main.data)
}

/// Tells a running process of a change; `Ok(None)` when no process listens.
pub fn notify(
    main: &Config,
    notice: &Notice,
) -> Result<Option<crate::ops::control::Response>, String> {
    use std::io::{BufRead, Write};
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket_path(main)) else {
        return Ok(None);
    };
    let mut line = serde_json::to_string(notice).map_err(|e| e.to_string())?;
    line.push('\n');
    stream
        .write_all(line.as_bytes())
        .map_err(|e| format!("cannot reach the server: {e}"))?;
    let mut answer = String::new();
    std::io::BufReader::new(stream)
        .read_line(&mut answer)
        .map_err(|e| format!("the server did not answer: {e}"))?;
    serde_json::from_str(&answer)
        .map(Some)
        .map_err(|e| format!("the server's answer is not understood: {e}"))
}

/// Serves the process's control socket until `stop` turns true.
#[cfg(unix)]
pub async fn serve_socket(
    host: Arc<Host>,
    listener: tokio::net::UnixListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let path = socket_path(&host.main);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = stop.changed() => break,
        };
        // One change at a time: they rewrite the table of sites.
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let mut reader = BufReader::new(read).take(64 * 1024);
        // A client that connects and says nothing must not hold up the next change.
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            reader.read_line(&mut line),
        )
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("no request within 10 seconds")));
        let response = match read {
            Ok(_) => match serde_json::from_str::<Notice>(&line) {
                Ok(notice) => match apply(&host, &notice.site, notice.change).await {
                    Ok(message) => crate::ops::control::Response::ok(message),
                    Err(e) => crate::ops::control::Response::refused(e.to_string()),
                },
                Err(e) => crate::ops::control::Response::refused(format!("bad request: {e}")),
            },
            Err(e) => {
                crate::ops::control::Response::refused(format!("cannot read the request: {e}"))
            }
        };
        if let Ok(mut text) = serde_json::to_string(&response) {
            text.push('\n');
            let _ = write.write_all(text.as_bytes()).await;
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// One line of `site list`.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub hosts: Vec<String>,
    pub data: PathBuf,
    pub bytes: u64,
    pub last_backup: Option<String>,
    /// "active", "archived since …", "removed", or why its file is invalid.
    pub state: String,
}

/// Every site, removed ones included, as `site list` shows them.
pub fn list(main: &Config, main_path: &Path) -> Result<Vec<Listed>, Error> {
    let files = layout::files(Some(main_path))?;
    let count = files.len();
    let mut listed = Vec::new();
    for file in &files {
        listed.push(match layout::load(main, file, count) {
            Ok(config) => describe(&config, None),
            Err(e) => Listed {
                name: file.name.clone(),
                hosts: Vec::new(),
                data: layout::default_data(main, &file.name),
                bytes: 0,
                last_backup: None,
                state: format!("invalid: {e}"),
            },
        });
    }
    if let Ok(entries) = std::fs::read_dir(layout::dir(main_path)) {
        let mut removed: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".toml.removed"))
                    .map(str::to_string)
            })
            .collect();
        removed.sort();
        for name in removed {
            let file = SiteFile {
                path: layout::dir(main_path).join(format!("{name}.toml.removed")),
                name: name.clone(),
            };
            if let Ok(mut config) = layout::load(main, &file, count.max(1)) {
                config.name = name;
                listed.push(describe(&config, Some("removed (data kept)")));
            }
        }
    }
    Ok(listed)
}

fn describe(config: &Config, state: Option<&str>) -> Listed {
    let last_backup = crate::backup::status::list(&config.backup.dir(&config.data))
        .into_iter()
        .next()
        .and_then(|(path, _)| path.file_name().map(|n| n.to_string_lossy().into_owned()));
    let state = match (state, &config.archive) {
        (Some(state), _) => state.to_string(),
        (None, Some(archive)) => format!("archived since {}", archive.since),
        (None, None) => "active".to_string(),
    };
    Listed {
        name: config.name.clone(),
        hosts: config.hosts.clone(),
        data: config.data.clone(),
        bytes: folder_size(&config.data),
        last_backup,
        state,
    }
}

/// The bytes of every file under `dir`.
pub fn folder_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => folder_size(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// "1.2 GB", "830.0 MB", "12 KB": sizes for the operator (English, decimal point).
pub fn size_text(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KB * KB * KB {
        format!("{:.1} GB", b / KB / KB / KB)
    } else if b >= KB * KB {
        format!("{:.1} MB", b / KB / KB)
    } else {
        format!("{:.0} KB", b / KB)
    }
}

/// The keys of a path, in a site's settings, that are relative to the file holding them.
const PATH_KEYS: [&str; 8] = [
    "data",
    "cert",
    "key",
    "dir",
    "copy_to",
    "passphrase_file",
    "password_file",
    "ca_file",
];

/// Makes every relative path of `table` (by key, at any depth) absolute against `base`,
/// so it still names the same file from another folder.
fn absolute_paths(table: &mut toml::Table, base: &Path) {
    for (key, value) in table.iter_mut() {
        match value {
            toml::Value::Table(inner) => absolute_paths(inner, base),
            toml::Value::String(text)
                if PATH_KEYS.contains(&key.as_str()) && Path::new(text.as_str()).is_relative() =>
            {
                *text = base.join(text.as_str()).display().to_string();
            }
            toml::Value::Array(items) if key == "ca_roots" => {
                for item in items {
                    if let toml::Value::String(text) = item
                        && Path::new(text.as_str()).is_relative()
                    {
                        *text = base.join(text.as_str()).display().to_string();
                    }
                }
            }
            _ => {}
        }
    }
}

fn read_table(path: &Path) -> Result<(String, toml::Table), Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    let table = toml::from_str(&text)
        .map_err(|e| Error::Refused(format!("{} is not valid TOML: {e}", path.display())))?;
    Ok((text, table))
}

/// Where `migrate` keeps the main file as it was, for `unmigrate`.
fn single_copy(main_path: &Path) -> PathBuf {
    main_path.with_extension("toml.single")
}

/// Moves the one site of a single-site install into `DATA/sites/NAME` and
/// `sites/NAME.toml`, after a verified backup; the server must be stopped. The main
/// file keeps only what the process shares; its old text is kept beside it for
/// `unmigrate`. Every step is a rename or an atomic write.
pub fn migrate(main: &Config, main_path: &Path, name: &str) -> Result<String, Error> {
    layout::check_name(name).map_err(Error::Refused)?;
    if crate::ops::control::server_running(&main.data) {
        return Err(Error::Refused(
            "the server is running: stop it first (systemctl stop trangtin)".to_string(),
        ));
    }
    // The marker makes an interrupted move finish when run again, and keeps the server
    // from starting on a half-moved folder meanwhile (`interrupted_move`).
    let marker = main.data.join(format!("{MARKER}{name}"));
    let resuming = marker.exists();
    if !resuming && let Some(why) = interrupted_move(main) {
        return Err(Error::Refused(why));
    }
    let mut backed_up = String::new();
    if !resuming {
        let backups = main.backup.dir(&main.data);
        if !main.db_path().exists() {
            return Err(Error::Refused(format!(
                "{} holds no site to move (no trangtin.redb)",
                main.data.display()
            )));
        }
        if !layout::files(Some(main_path))?.is_empty() {
            return Err(Error::Refused(format!(
                "{} has site files already: this install serves several sites",
                layout::dir(main_path).display()
            )));
        }
        // 1. A verified backup of the site as it is.
        let store = crate::backup::open_store(&main.data, &backups)
            .map_err(|e| Error::Refused(format!("cannot open the store to back it up: {e}")))?;
        let status = crate::backup::take(
            &store,
            &backups,
            &crate::backup::Options::default(),
            "migration",
            jiff::Timestamp::now(),
        )
        .map_err(|e| Error::Refused(format!("the backup before moving failed: {e}")))?;
        drop(store);
        backed_up = status.file;
        let (text, _) = read_table(main_path)?;
        write_atomically(&single_copy(main_path), &text, main_path)?;
        write_atomically(&marker, name, &main.db_path())?;
    }
    // 2. The site's settings go to its own file; the main file keeps what is shared.
    let (_, table) = read_table(&single_copy(main_path))?;
    let base = main_path.parent().unwrap_or_else(|| Path::new("."));
    let target = layout::default_data(main, name);
    // Written into the site's file, which lies elsewhere: never relative.
    let target = std::path::absolute(&target).unwrap_or(target);
    let mut site = toml::Table::new();
    let mut shared = toml::Table::new();
    for (key, value) in table {
        if layout::SHARED_KEYS.contains(&key.as_str()) || key == "data" {
            shared.insert(key, value);
        } else {
            site.insert(key, value);
        }
    }
    absolute_paths(&mut site, base);
    site.insert("data".into(), target.display().to_string().into());
    // 3. The data folder's entries move into sites/NAME (renames on one file system).
    make_dir_like(&main.data.join("sites"), &main.data)?;
    make_dir_like(&target, &main.data)?;
    let marker_name = format!("{MARKER}{name}");
    move_entries(&main.data, &target, &["sites", &marker_name])?;
    make_dir_like(
        &layout::dir(main_path),
        main_path.parent().unwrap_or_else(|| Path::new(".")),
    )?;
    let file = layout::file_of(main_path, name);
    let site_text = format!(
        "# Site {name}, moved here from {} by `trangtin site migrate`.\n{}",
        main_path.display(),
        toml::to_string(&site).map_err(|e| Error::Refused(e.to_string()))?
    );
    write_atomically(&file.path, &site_text, main_path)?;
    let shared_text = format!(
        "# What every site of this process shares; each site has sites/NAME.toml.\n\
         # The single-site file this replaced: {}\n{}",
        single_copy(main_path).display(),
        toml::to_string(&shared).map_err(|e| Error::Refused(e.to_string()))?
    );
    write_atomically(main_path, &shared_text, main_path)?;
    std::fs::remove_file(&marker).map_err(|source| Error::Write {
        path: marker.clone(),
        source,
    })?;
    let backed_up = if backed_up.is_empty() {
        String::new()
    } else {
        format!(" (backed up first: {backed_up}, with the site's backups)")
    };
    Ok(format!(
        "moved the site into {} and {}{backed_up}; start the server again",
        target.display(),
        file.path.display(),
    ))
}

/// The name an unfinished `migrate` leaves in the main data folder.
const MARKER: &str = ".moving-to-sites-";

/// The name an unfinished `unmigrate` leaves in the main data folder.
const BACK_MARKER: &str = ".moving-back-from-sites-";

/// Why the server must not start (nor another move begin): a move into `sites/`, or
/// back, that did not finish.
pub fn interrupted_move(main: &Config) -> Option<String> {
    let entries = std::fs::read_dir(&main.data).ok()?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(site) = name.strip_prefix(MARKER) {
            return Some(format!(
                "moving the site into sites/{site} did not finish: run `trangtin --config \
                 FILE site migrate {site}` again to finish it before starting the server"
            ));
        }
        if let Some(site) = name.strip_prefix(BACK_MARKER) {
            return Some(format!(
                "moving site {site} back out of sites/ did not finish: run `trangtin \
                 --config FILE site unmigrate` again to finish it before starting the server"
            ));
        }
    }
    None
}

/// Undoes `migrate` while there is still one site: its files go back to `DATA`, and the
/// main file is a single-site one again, made of the site's settings and the shared
/// ones (so an archive setting made since stays). The server must be stopped. A marker
/// makes an interrupted run finish when run again.
pub fn unmigrate(main: &Config, main_path: &Path) -> Result<String, Error> {
    if crate::ops::control::server_running(&main.data) {
        return Err(Error::Refused(
            "the server is running: stop it first (systemctl stop trangtin)".to_string(),
        ));
    }
    let files = layout::files(Some(main_path))?;
    let [file] = files.as_slice() else {
        return Err(Error::Refused(format!(
            "{} sites are configured; only one can go back to the single-site layout",
            files.len()
        )));
    };
    let marker = main.data.join(format!("{BACK_MARKER}{}", file.name));
    let resuming = marker.exists();
    if !resuming && let Some(why) = interrupted_move(main) {
        return Err(Error::Refused(why));
    }
    let config = layout::load(main, file, 1)?;
    let from = std::path::absolute(&config.data).unwrap_or(config.data.clone());
    let to = std::path::absolute(&main.data).unwrap_or(main.data.clone());
    if !resuming {
        if from == to || !from.join("trangtin.redb").exists() {
            return Err(Error::Refused(format!(
                "{} holds no site to move back",
                from.display()
            )));
        }
        // A name in both folders would be overwritten by the move: refuse before it.
        let entries = std::fs::read_dir(&from).map_err(|source| Error::Write {
            path: from.clone(),
            source,
        })?;
        for entry in entries.filter_map(Result::ok) {
            if to.join(entry.file_name()).exists() {
                return Err(Error::Refused(format!(
                    "{} is in both {} and {}: move one away first",
                    entry.file_name().to_string_lossy(),
                    from.display(),
                    to.display()
                )));
            }
        }
        write_atomically(&marker, &file.name, &main.data)?;
    }
    let (_, mut site) = read_table(&file.path)?;
    let (_, shared) = read_table(main_path)?;
    site.remove("data");
    site.extend(shared);
    let text = format!(
        "# One site again, from {} (`trangtin site unmigrate`).\n{}",
        file.path.display(),
        toml::to_string(&site).map_err(|e| Error::Refused(e.to_string()))?
    );
    if from.exists() {
        move_entries(&from, &to, &[])?;
        let _ = std::fs::remove_dir(&from);
    }
    let _ = std::fs::remove_dir(to.join("sites"));
    write_atomically(main_path, &text, main_path)?;
    std::fs::rename(&file.path, file.path.with_extension("toml.migrated")).map_err(|source| {
        Error::Write {
            path: file.path.clone(),
            source,
        }
    })?;
    let _ = std::fs::remove_file(single_copy(main_path));
    std::fs::remove_file(&marker).map_err(|source| Error::Write {
        path: marker.clone(),
        source,
    })?;
    Ok(format!(
        "moved site {} back into {}; start the server again",
        file.name,
        to.display()
    ))
}

/// Renames every entry of `from` (but those named in `keep`) into `to`.
fn move_entries(from: &Path, to: &Path, keep: &[&str]) -> Result<(), Error> {
    let entries = std::fs::read_dir(from).map_err(|source| Error::Write {
        path: from.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Write {
            path: from.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        if keep.iter().any(|k| name == std::ffi::OsStr::new(k)) {
            continue;
        }
        std::fs::rename(entry.path(), to.join(&name)).map_err(|source| Error::Write {
            path: entry.path(),
            source,
        })?;
    }
    Ok(())
}
