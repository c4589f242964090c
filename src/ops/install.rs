//! `trangtin install` and `uninstall`: one command on a Debian or Ubuntu server. Every
//! step says what it does, is skipped when already done (a second run upgrades the
//! binary and keeps data and configuration), and `--dry-run` only prints the steps.
//! `--root DIR` installs into a staging root (tests, packaging): no user, no systemctl.

use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = include_str!("../../packaging/systemd/trangtin.service");
const EXAMPLE_CONFIG: &str = include_str!("../../packaging/trangtin.example.toml");
const USER: &str = "trangtin";

#[derive(Debug, Clone)]
pub struct Options {
    pub domain: String,
    /// A staging root: paths are written under it and the system is not touched.
    pub root: Option<PathBuf>,
    pub dry_run: bool,
    /// Do not enable and start the service.
    pub no_start: bool,
    /// Take the certificate from Let's Encrypt (ACME) with this contact address.
    pub acme_contact: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Auth(#[from] crate::auth::Error),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// Where things go, under the root.
struct Layout {
    root: PathBuf,
}

impl Layout {
    fn path(&self, absolute: &str) -> PathBuf {
        self.root.join(absolute.trim_start_matches('/'))
    }
    fn config(&self) -> PathBuf {
        self.path("/etc/trangtin/trangtin.toml")
    }
    fn data(&self) -> PathBuf {
        self.path("/var/lib/trangtin")
    }
    fn binary(&self) -> PathBuf {
        self.path("/usr/local/bin/trangtin")
    }
    fn unit(&self) -> PathBuf {
        self.path("/etc/systemd/system/trangtin.service")
    }
}

/// A valid host name for the site (the certificate and `hosts` use it).
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The production configuration for `domain`: the packaged example with the domain
/// filled in and certificate files left to add (a self-signed one serves meanwhile).
/// The example configuration with this domain, and either a self-signed certificate
/// (until the operator sets certificate files) or, given a contact address, ACME.
pub fn production_config(domain: &str, acme_contact: Option<&str>) -> String {
    let mut text = String::from(
        "# Written by `trangtin install`. Fill in the agency fields under [site] before the\n\
         # first start of a new site; see `trangtin check-config`.\n",
    );
    for line in EXAMPLE_CONFIG.lines() {
        let line = if line.starts_with("base_url = ") {
            format!("base_url = \"https://{domain}\"")
        } else if line.starts_with("cert = ") || line.starts_with("key = ") {
            format!("# {line}")
        } else if line.starts_with("mode = \"files\"") {
            match acme_contact {
                Some(_) => "mode = \"acme\"                 # see [tls.acme] below".to_string(),
                None => "mode = \"self-signed\"         # until cert and key below are set and mode is \"files\"".to_string(),
            }
        } else if let Some(email) = acme_contact
            && line == "# [tls.acme]"
        {
            format!("[tls.acme]\ncontact = [\"mailto:{email}\"]")
        } else {
            line.to_string()
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn say(dry_run: bool, step: &str) {
    if dry_run {
        println!("would: {step}");
    } else {
        println!("{step}");
    }
}

fn run(command: &str, args: &[&str]) -> Result<String, Error> {
    let out = Command::new(command)
        .args(args)
        .output()
        .map_err(|e| Error::Command {
            command: format!("{command} {}", args.join(" ")),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(Error::Command {
            command: format!("{command} {}", args.join(" ")),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Writes `bytes` to `path` unless it already holds them; atomically, by rename.
fn put_file(path: &Path, bytes: &[u8], mode: u32, dry_run: bool, what: &str) -> Result<(), Error> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        println!("unchanged: {what} {}", path.display());
        return Ok(());
    }
    say(
        dry_run,
        &format!("write {what} {} (mode {mode:o})", path.display()),
    );
    if dry_run {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    let pending = path.with_extension("trangtin-new");
    std::fs::write(&pending, bytes).map_err(io(format!("cannot write {}", pending.display())))?;
    set_mode(&pending, mode)?;
    std::fs::rename(&pending, path).map_err(io(format!("cannot write {}", path.display())))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(io(format!("cannot set the mode of {}", path.display())))
}

/// Installs or upgrades; prints each step, the URL and, on a new site, the first
/// administrator's one-time password.
pub fn install(options: &Options) -> Result<(), Error> {
    if !valid_domain(&options.domain) {
        return Err(Error::Invalid(format!(
            "{:?} is not a domain name (like skhcn.example.gov.vn)",
            options.domain
        )));
    }
    if let Some(email) = &options.acme_contact
        && (!email.contains('@') || email.contains(|c: char| c.is_whitespace() || c == '"'))
    {
        return Err(Error::Invalid(format!(
            "{email:?} is not an email address (--acme-email)"
        )));
    }
    let staging = options.root.is_some();
    let layout = Layout {
        root: options.root.clone().unwrap_or_else(|| PathBuf::from("/")),
    };
    let dry = options.dry_run;
    if !staging && !dry && !is_root() {
        return Err(Error::Invalid(
            "install changes the system: run it with sudo (or use --root DIR or --dry-run)".into(),
        ));
    }

    // 1. The system user.
    if staging {
        println!("skipped: system user `{USER}` (staging root)");
    } else if run("id", &["-u", USER]).is_ok() {
        println!("unchanged: system user `{USER}`");
    } else {
        say(dry, &format!("create the system user `{USER}`"));
        if !dry {
            run(
                "useradd",
                &[
                    "--system",
                    "--home-dir",
                    "/var/lib/trangtin",
                    "--shell",
                    "/usr/sbin/nologin",
                    USER,
                ],
            )?;
        }
    }

    // 2. The configuration: written once, never overwritten.
    let config = layout.config();
    if config.exists() {
        println!(
            "unchanged: configuration {} (kept as it is)",
            config.display()
        );
    } else {
        put_file(
            &config,
            production_config(&options.domain, options.acme_contact.as_deref()).as_bytes(),
            0o640,
            dry,
            "configuration",
        )?;
    }

    // 3. The data folder, with the first administrator.
    let data = layout.data();
    let new_site = !data.join("trangtin.redb").exists();
    if data.is_dir() {
        println!("unchanged: data folder {} (kept)", data.display());
    } else {
        say(
            dry,
            &format!("create the data folder {} (mode 700)", data.display()),
        );
    }
    let mut one_time = None;
    if !dry {
        std::fs::create_dir_all(&data).map_err(io(format!("cannot create {}", data.display())))?;
        set_mode(&data, 0o700)?;
        let (store, _) = crate::store::Store::open(&data)?;
        let now = jiff::Timestamp::now();
        one_time = store.write_blocking(|tx| crate::auth::bootstrap::ensure_admin(tx, now))?;
        drop(store);
        if !staging {
            run(
                "chown",
                &["-R", &format!("{USER}:{USER}"), &data.display().to_string()],
            )?;
            if let Some(dir) = config.parent() {
                run(
                    "chown",
                    &["-R", &format!("root:{USER}"), &dir.display().to_string()],
                )?;
            }
        }
    }

    // 4. The binary: replaced only when it differs (an upgrade).
    let me = std::env::current_exe().map_err(io("cannot find this program"))?;
    let bytes = std::fs::read(&me).map_err(io(format!("cannot read {}", me.display())))?;
    let upgrading = layout.binary().exists();
    put_file(&layout.binary(), &bytes, 0o755, dry, "program")?;

    // 5. The systemd unit.
    put_file(&layout.unit(), UNIT.as_bytes(), 0o644, dry, "systemd unit")?;

    // 6. Enable, (re)start, and wait until it answers.
    if staging || options.no_start {
        println!("skipped: enabling and starting the service");
    } else {
        say(
            dry,
            "systemctl daemon-reload, enable and (re)start trangtin",
        );
        if !dry {
            run("systemctl", &["daemon-reload"])?;
            run("systemctl", &["enable", "trangtin"])?;
            run(
                "systemctl",
                &[if upgrading { "restart" } else { "start" }, "trangtin"],
            )?;
            wait_until_serving(&data)?;
        }
    }

    println!();
    println!("The site: https://{}/", options.domain);
    println!("The admin pages: https://{}/quan-tri", options.domain);
    match one_time {
        Some(admin) => {
            println!(
                "First administrator: login `{}`, one-time password: {}",
                admin.login, admin.password
            );
            println!("(shown only now; it must be changed at the first login)");
        }
        None if !dry && !new_site => {
            println!(
                "The administrator account exists already (trangtin user passwd admin resets it)."
            );
        }
        None => {}
    }
    match options.acme_contact {
        Some(_) => println!(
            "Next: fill in [site] in {}. The certificate comes from Let's Encrypt once {} reaches this server on port 80.",
            config.display(),
            options.domain
        ),
        None => println!(
            "Next: fill in [site] in {} and add certificate files under [tls] (or set mode = \"acme\").",
            config.display()
        ),
    }
    Ok(())
}

fn is_root() -> bool {
    run("id", &["-u"]).is_ok_and(|uid| uid == "0")
}

/// `systemctl start` returns before the server listens: wait for its control socket.
fn wait_until_serving(data: &Path) -> Result<(), Error> {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(300) {
        if crate::ops::control::server_running(data) {
            println!("the service is up");
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Err(Error::Invalid(
        "the service did not come up within 5 minutes: see journalctl -u trangtin".into(),
    ))
}

/// Removes the program and the unit; with `purge`, the data, configuration and user.
pub fn uninstall(root: Option<&Path>, purge: bool, dry: bool) -> Result<(), Error> {
    let staging = root.is_some();
    let layout = Layout {
        root: root.map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
    };
    if !staging && !dry && !is_root() {
        return Err(Error::Invalid(
            "uninstall changes the system: run it with sudo".into(),
        ));
    }
    if !staging {
        say(dry, "systemctl disable --now trangtin");
        if !dry {
            let _ = run("systemctl", &["disable", "--now", "trangtin"]);
        }
    }
    let mut remove = vec![layout.unit(), layout.binary()];
    if purge {
        remove.push(layout.data());
        remove.push(layout.path("/etc/trangtin"));
    }
    for path in remove {
        if !path.exists() {
            continue;
        }
        say(dry, &format!("remove {}", path.display()));
        if !dry {
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(io(format!("cannot remove {}", path.display())))?;
        }
    }
    if !purge {
        println!(
            "kept: the data {} and the configuration {} (add --purge to remove them)",
            layout.data().display(),
            layout.path("/etc/trangtin").display()
        );
    } else if !staging {
        say(dry, &format!("remove the system user `{USER}`"));
        if !dry {
            let _ = run("userdel", &[USER]);
        }
    }
    if !staging && !dry {
        let _ = run("systemctl", &["daemon-reload"]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_configuration_is_valid_and_names_the_domain() {
        let text = production_config("skhcn.example.gov.vn", None);
        let config =
            crate::config::Config::from_toml(&text, &crate::config::Overrides::default()).unwrap();
        assert_eq!(
            config.base_url.as_deref(),
            Some("https://skhcn.example.gov.vn")
        );
        assert!(!config.demo);
        assert!(matches!(config.tls, crate::config::TlsSource::SelfSigned));
        let text = production_config("skhcn.example.gov.vn", Some("it@example.gov.vn"));
        let config =
            crate::config::Config::from_toml(&text, &crate::config::Overrides::default()).unwrap();
        let crate::config::TlsSource::Acme(acme) = config.tls else {
            panic!("--acme-email asks for ACME: {text}");
        };
        assert_eq!(acme.domains, ["skhcn.example.gov.vn"]);
        assert_eq!(acme.contact, ["mailto:it@example.gov.vn"]);
        assert!(valid_domain("skhcn.example.gov.vn"));
        for bad in ["", "localhost", "a..b", "-a.vn", "sở.vn", "a b.vn"] {
            assert!(!valid_domain(bad), "{bad}");
        }
    }
}
