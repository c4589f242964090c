//! The command line (DESIGN section 3). Messages here are in English, for operators.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::config::{Config, Overrides};
use crate::http::server::{self, Listeners};
use crate::http::tls::CertSwitch;
use crate::ops::control;

#[derive(Debug, Parser)]
#[command(
    name = "trangtin",
    version,
    about = "A state agency's website in one binary: public site, admin pages and all state.",
    long_about = "A state agency's website in one binary: the public site citizens read, the \
admin pages editors work in, and every byte of state in one data folder.\n\n\
Settings come from built-in defaults, then the TOML file named by --config (or \
TRANGTIN_CONFIG), then TRANGTIN_* environment variables, then flags."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Data folder (database, uploads, certificates) [default: ./data]
    #[arg(long, global = true, env = "TRANGTIN_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// TOML configuration file
    #[arg(long, global = true, env = "TRANGTIN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// HTTPS address, e.g. 127.0.0.1:8443 or [::]:443 [default: 127.0.0.1:8443]
    #[arg(long, global = true, env = "TRANGTIN_HTTPS", value_name = "ADDR")]
    pub https: Option<String>,
    /// Plain-HTTP redirect address, or "off" [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "TRANGTIN_HTTP", value_name = "ADDR")]
    pub http: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A WordPress export (Tools → Export → All content, WXR 1.0–1.2)
    Wordpress {
        /// The export file (.xml)
        export: PathBuf,
        /// A copy of the old site's wp-content/uploads folder (else files are fetched
        /// from their addresses)
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// A TOML map: categories to sections, authors to accounts, old host names
        #[arg(long, value_name = "FILE")]
        map: Option<PathBuf>,
        #[command(flatten)]
        common: ImportArgs,
    },
    /// Crawl an old portal that exports nothing, as MAP.toml describes it
    Crawl {
        /// Where to start (the old site's news list, say)
        url: String,
        #[arg(long, value_name = "MAP.toml")]
        map: PathBuf,
        #[command(flatten)]
        common: ImportArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Print what would be imported without writing anything
    #[arg(long)]
    dry_run: bool,
    /// Also write the report as JSON to this file
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site over HTTPS, with a plain-HTTP listener that redirects (the default)
    Serve,
    /// Check the configuration and print it as resolved; exit 2 if it is invalid
    CheckConfig,
    /// Manage accounts (through the running server if there is one)
    #[command(subcommand)]
    User(UserCommand),
    /// Rebuild the search index (through the running server if there is one)
    Reindex,
    /// E-mail through the relay in [mail]
    #[command(subcommand)]
    Mail(MailCommand),
    /// Bring an old site in as one batch for the Board head to approve (through the
    /// running server if there is one): exit 0 when every item came in, 3 when some
    /// failed (listed in the report), 1 when the import could not run
    #[command(subcommand)]
    Import(ImportCommand),
    /// Install or upgrade on this server (Debian or Ubuntu): system user, configuration,
    /// data folder, program, hardened systemd unit; then start it and print the URL and
    /// the first administrator's one-time password
    Install {
        /// The site's domain, e.g. skhcn.example.gov.vn
        #[arg(long)]
        domain: String,
        /// Install into this staging folder instead of / (no user, no systemctl)
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Print every step without doing it
        #[arg(long)]
        dry_run: bool,
        /// Do not enable and start the service
        #[arg(long)]
        no_start: bool,
        /// Get the certificate from Let's Encrypt (ACME, HTTP-01 on port 80) with this
        /// contact address; without it a self-signed certificate serves until you set one
        #[arg(long, value_name = "EMAIL")]
        acme_email: Option<String>,
    },
    /// Remove the program and its systemd unit; the data and configuration stay unless
    /// --purge
    Uninstall {
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        #[arg(long)]
        purge: bool,
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a static mirror of the public site (HTML, assets, files, feeds, sitemap)
    /// into an empty folder, for any web server, object store or CDN
    Export {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Check configuration, permissions, free disk, the clock, the certificate, the
    /// last backup, the last verified restore and the last integrity check; exit 1 on
    /// any failure
    Doctor,
    /// Run the integrity check now (through the running server if there is one); prints
    /// the report as JSON; exit 1 if anything is not as approved
    Verify,
    /// Write a verified backup (through the running server if there is one); prints its
    /// path. `backup verify FILE` checks an archive
    Backup(BackupArgs),
    /// Restore a backup into the data folder (--data); verifies it first and refuses a
    /// folder that is not empty without --force
    Restore {
        /// The archive (.tar.zst, or .tar.zst.enc)
        file: PathBuf,
        /// Replace a data folder that is not empty (the old one is kept beside it)
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// Folder to write into [default: DATA/backups]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Encrypt with a passphrase from `TRANGTIN_BACKUP_PASSPHRASE`, or else the first
    /// line of standard input
    #[arg(long)]
    pub encrypt: bool,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Check every file of an archive against its manifest; exit 0 only if all match.
    /// An encrypted archive takes its passphrase as `backup --encrypt` does
    Verify { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input
    Add {
        /// Login name: 2-32 characters of a-z, 0-9, '.', '_', '-'
        login: String,
        /// Roles, comma-separated: contributor, compiler, `board_member`, `board_head`,
        /// publisher, leadership, administrator
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// The unit (phòng, đơn vị), by name or number
        #[arg(long)]
        unit: Option<String>,
        /// Full name as shown in the admin pages and the editorial record
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a new password, read from standard input; ends the person's sessions
    Passwd { login: String },
    /// List accounts
    List,
    /// Remove a person's second factor (lost phone, no recovery codes); ends their
    /// sessions, and they enrol again at their next login
    #[command(name = "reset-2fa")]
    Reset2fa { login: String },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message to ADDRESS now; exit 1 with the relay's answer if it fails
    Test { address: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Serve) => serve(&cli.global),
        Some(Command::CheckConfig) => check_config(&cli.global),
        Some(Command::User(command)) => user(&cli.global, command),
        Some(Command::Reindex) => run_request(&cli.global, control::Request::Reindex),
        Some(Command::Mail(MailCommand::Test { address })) => mail_test(&cli.global, &address),
        Some(Command::Import(command)) => import(&cli.global, command),
        Some(Command::Backup(args)) => backup(&cli.global, args),
        Some(Command::Verify) => verify(&cli.global),
        Some(Command::Doctor) => doctor(&cli.global),
        Some(Command::Export { out }) => export(&cli.global, out),
        Some(Command::Install {
            domain,
            root,
            dry_run,
            no_start,
            acme_email,
        }) => report(crate::ops::install::install(
            &crate::ops::install::Options {
                domain,
                root,
                dry_run,
                no_start,
                acme_contact: acme_email,
            },
        )),
        Some(Command::Uninstall {
            root,
            purge,
            dry_run,
        }) => report(crate::ops::install::uninstall(
            root.as_deref(),
            purge,
            dry_run,
        )),
        Some(Command::Restore { file, force }) => restore(&cli.global, &file, force),
    }
}

fn mail_test(global: &Global, address: &str) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let Some(settings) = &config.mail else {
        eprintln!("error: no mail relay is configured: set [mail] host, port, security and from");
        return ExitCode::FAILURE;
    };
    match crate::mail::relay::send_test_blocking(settings, address, &config.new_origin()) {
        Ok(()) => {
            println!(
                "sent a test message to {address} through {}:{}",
                settings.host, settings.port
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: the test message was not sent: {failure}");
            ExitCode::FAILURE
        }
    }
}

fn export(global: &Global, out: PathBuf) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let out = std::path::absolute(&out).unwrap_or(out);
    if control::server_running(&config.data) {
        return run_request(global, control::Request::Export { out });
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done = runtime.block_on(async move {
        let app = tokio::task::spawn_blocking(move || App::open(config))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        crate::ops::export::export(&Arc::new(app), &out)
            .await
            .map(|done| (done, out))
            .map_err(|e| e.to_string())
    });
    match done {
        Ok((done, out)) => {
            println!(
                "exported {} pages and {} files ({} bytes) into {}",
                done.pages,
                done.files,
                done.bytes,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Exit 0, or print the error and exit 2.
fn report(result: Result<(), crate::ops::install::Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn doctor(global: &Global) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let facts = match send_or_run(&config, control::Request::Facts) {
        Ok(response) => response.facts,
        Err(Unanswered::Damaged(why)) => Some(control::Facts {
            storage: crate::store::Examination {
                problems: vec![format!("{why}; it cannot be opened")],
                ..Default::default()
            },
            ..Default::default()
        }),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    };
    let checks = crate::ops::doctor::run(&config, facts.as_ref(), jiff::Timestamp::now());
    let mut failed = false;
    for check in &checks {
        let mark = match check.level {
            crate::ops::doctor::Level::Ok => "[ok]  ",
            crate::ops::doctor::Level::Warn => "[warn]",
            crate::ops::doctor::Level::Fail => {
                failed = true;
                "[FAIL]"
            }
        };
        println!("{mark} {}", check.what);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn verify(global: &Global) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let request = control::Request::Verify {
        on_mismatch: config.integrity.on_mismatch,
    };
    let response = match send_or_run(&config, request) {
        Ok(response) => response,
        Err(Unanswered::Damaged(why)) => {
            // A file too damaged to open is what the check exists to find.
            eprintln!("mismatch: the database file: {why}; it cannot be opened");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match response.report {
        Some(report) if response.ok => {
            match serde_json::to_string_pretty(&report) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("error: {e}"),
            }
            for m in &report.mismatches {
                eprintln!("mismatch: {} (since {})", m.message, m.since);
            }
            if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        _ => {
            eprintln!("error: {}", response.message);
            ExitCode::from(2)
        }
    }
}

/// The backup passphrase: `TRANGTIN_BACKUP_PASSPHRASE`, or the first line of stdin.
fn read_passphrase() -> Result<String, String> {
    let passphrase = match std::env::var("TRANGTIN_BACKUP_PASSPHRASE") {
        Ok(p) if !p.is_empty() => p,
        _ => read_password().map_err(|e| e.replace("password", "passphrase"))?,
    };
    Ok(passphrase)
}

fn backup(global: &Global, args: BackupArgs) -> ExitCode {
    match args.command {
        Some(BackupCommand::Verify { file }) => {
            let passphrase = if is_encrypted(&file) {
                match read_passphrase() {
                    Ok(p) => Some(p),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                }
            } else {
                None
            };
            match crate::backup::verify(&file, passphrase.as_deref()) {
                Ok(manifest) => {
                    println!(
                        "{}: OK, {} files verified (schema {}, {} blobs, made {})",
                        file.display(),
                        manifest.members.len() + 1,
                        manifest.schema_version,
                        manifest.blob_count,
                        manifest.created_at
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        None => {
            let passphrase = if args.encrypt {
                match read_passphrase() {
                    Ok(p) if p.chars().count() >= crate::backup::seal::MIN_PASSPHRASE => Some(p),
                    Ok(_) => {
                        eprintln!(
                            "error: the passphrase must have at least {} characters",
                            crate::backup::seal::MIN_PASSPHRASE
                        );
                        return ExitCode::from(2);
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                }
            } else {
                None
            };
            let dir = args.out.map(|d| std::path::absolute(&d).unwrap_or(d));
            run_request(global, control::Request::Backup { dir, passphrase })
        }
    }
}

fn is_encrypted(file: &std::path::Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 8];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| crate::backup::seal::is_sealed(&magic))
}

fn restore(global: &Global, file: &std::path::Path, force: bool) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let passphrase = if is_encrypted(file) {
        match read_passphrase() {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    match crate::backup::restore(
        file,
        &config.data,
        force,
        passphrase.as_deref(),
        jiff::Timestamp::now(),
    ) {
        Ok(restored) => {
            println!(
                "restored {} into {} (schema {}, {} blobs, audit trail of {} records verified)",
                file.display(),
                config.data.display(),
                restored.manifest.schema_version,
                restored.manifest.blob_count,
                restored.audit_records
            );
            if let Some(previous) = restored.previous {
                println!("the folder it replaced is kept at {}", previous.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password)
}

fn user(global: &Global, command: UserCommand) -> ExitCode {
    let request = match command {
        UserCommand::Add {
            login,
            roles,
            unit,
            name,
        } => match read_password() {
            Ok(password) => control::Request::UserAdd {
                name: name.unwrap_or_default(),
                login,
                unit,
                roles,
                password,
            },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        UserCommand::Passwd { login } => match read_password() {
            Ok(password) => control::Request::UserPasswd { login, password },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        UserCommand::List => control::Request::UserList,
        UserCommand::Reset2fa { login } => control::Request::UserReset2fa { login },
    };
    run_request(global, request)
}

/// Sends a control request and prints the answer; exit 2 if it was refused.
fn run_request(global: &Global, request: control::Request) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let response = match send_or_run(&config, request) {
        Ok(response) => response,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for u in &response.users {
        println!(
            "{:<12} {:<28} {:<40} {}{}",
            u.login,
            u.name,
            u.unit,
            u.roles.join(","),
            if u.enabled { "" } else { " (disabled)" }
        );
    }
    if response.ok {
        if !response.message.is_empty() {
            println!("{}", response.message);
        }
        ExitCode::SUCCESS
    } else {
        eprintln!("error: {}", response.message);
        ExitCode::from(2)
    }
}

/// Through the running server's socket, or straight on the store when none runs.
/// Why a request got no answer: the store would not open, or the file is damaged
/// (which `verify` reports as a finding, not as a failure to run).
#[derive(Debug, thiserror::Error)]
enum Unanswered {
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Damaged(String),
}

impl From<String> for Unanswered {
    fn from(message: String) -> Self {
        Unanswered::Failed(message)
    }
}

fn send_or_run(
    config: &Config,
    request: control::Request,
) -> Result<control::Response, Unanswered> {
    send_or_run_with_progress(config, request, &mut |_| {})
}

fn send_or_run_with_progress(
    config: &Config,
    request: control::Request,
    progress: &mut dyn FnMut(&crate::import::Progress),
) -> Result<control::Response, Unanswered> {
    let socket = control::socket_path(&config.data);
    #[cfg(unix)]
    if socket.exists() {
        match control::unix::send_with_progress(&socket, &request, progress) {
            Ok(response) => return Ok(response),
            Err(e) => tracing::debug!("control socket not answering: {e}"),
        }
    }
    let _ = &socket;
    if !config.db_path().exists() {
        return Err(Unanswered::Failed(format!(
            "no data folder at {} (start the server once, or pass --data)",
            config.data.display()
        )));
    }
    let store = crate::backup::open_store(&config.data, &config.backup.dir(&config.data)).map_err(
        |e| match e {
            crate::backup::Error::Store(crate::store::Error::Locked(_)) => {
                Unanswered::Failed(format!(
                    "the data folder {} is in use by a server whose control socket does not answer",
                    config.data.display()
                ))
            }
            crate::backup::Error::Store(damaged @ crate::store::Error::Damaged(_)) => {
                Unanswered::Damaged(damaged.to_string())
            }
            other => Unanswered::Failed(other.to_string()),
        },
    )?;
    if let control::Request::Import { job, dry_run } = &request {
        return Ok(control::import(
            &store,
            job,
            *dry_run,
            jiff::Timestamp::now(),
            progress,
        ));
    }
    Ok(control::handle(
        &store,
        None,
        request,
        jiff::Timestamp::now(),
    ))
}

/// `import wordpress|crawl`: through the running server if there is one, with a
/// progress bar on the terminal and the report at the end.
fn import(global: &Global, command: ImportCommand) -> ExitCode {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    // The server reads these paths itself: give it absolute ones.
    let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
    let (job, common) = match command {
        ImportCommand::Wordpress {
            export,
            uploads,
            map,
            common,
        } => (
            crate::import::Job::Wordpress {
                export: absolute(export),
                uploads: uploads.map(absolute),
                map: map.map(absolute),
            },
            common,
        ),
        ImportCommand::Crawl { url, map, common } => (
            crate::import::Job::Crawl {
                url,
                map: absolute(map),
            },
            common,
        ),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:>6} [{bar:30}] {pos}/{len} · files {prefix} · {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    // Without a terminal (a log, a script), a line now and then instead of a bar.
    let mut last_line = (String::new(), 0u64);
    let mut on_progress = |p: &crate::import::Progress| {
        if bar.is_hidden() {
            if p.phase != last_line.0 || p.done >= last_line.1 + 100 {
                eprintln!(
                    "progress: {} {}/{}, files {}, errors {}",
                    p.phase,
                    p.done,
                    p.total.map_or_else(|| "?".to_string(), |t| t.to_string()),
                    p.files,
                    p.errors
                );
                last_line = (p.phase.clone(), p.done);
            }
            return;
        }
        bar.set_message(p.phase.clone());
        bar.set_length(p.total.unwrap_or(p.done));
        bar.set_position(p.done);
        bar.set_prefix(if p.errors > 0 {
            format!("{} · errors {}", p.files, p.errors)
        } else {
            p.files.to_string()
        });
    };
    let request = control::Request::Import {
        job,
        dry_run: common.dry_run,
    };
    let answered = send_or_run_with_progress(&config, request, &mut on_progress);
    bar.finish_and_clear();
    let response = match answered {
        Ok(response) => response,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if !response.ok {
        eprintln!("error: {}", response.message);
        return ExitCode::from(1);
    }
    print!("{}", response.message);
    let Some(report) = response.import else {
        return ExitCode::from(1);
    };
    if let Some(path) = &common.report {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(path, json));
        if let Err(e) = written {
            eprintln!("error: cannot write the report {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}

fn load_config(global: &Global) -> Result<Config, ExitCode> {
    let overrides = Overrides {
        config: global.config.clone(),
        data: global.data.clone(),
        https: global.https.clone(),
        http: global.http.clone(),
    };
    Config::load(&overrides).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

/// The configuration, checked for serving: also the certificate files, before anything
/// (the data folder included) is touched.
fn load_config_for_serving(global: &Global) -> Result<Config, ExitCode> {
    let config = load_config(global)?;
    if let Err(message) = crate::http::tls::check_files(&config) {
        eprintln!("error: {message}");
        return Err(ExitCode::from(2));
    }
    Ok(config)
}

/// Whether each listening address can be bound now, as far as this process can tell: a
/// port held by the server already running on this data folder is fine (a check before
/// a restart); one held by anything else, or one this user may not bind, is not.
fn check_ports(config: &Config) -> Result<(), String> {
    let running = control::server_running(&config.data);
    for (key, addr) in [
        ("listen.https", Some(config.https)),
        ("listen.http", config.http),
    ] {
        let Some(addr) = addr.filter(|a| a.port() != 0) else {
            continue;
        };
        match std::net::TcpListener::bind(addr) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && running => {
                println!("{key} {addr}: in use by the server running on this data folder");
            }
            Err(e) => {
                let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                    " (ports below 1024 need root or CAP_NET_BIND_SERVICE, which the systemd unit grants)"
                } else {
                    ""
                };
                return Err(format!("{key} = {addr} cannot be bound: {e}{hint}"));
            }
        }
    }
    Ok(())
}

fn check_config(global: &Global) -> ExitCode {
    match load_config_for_serving(global) {
        Ok(config) => {
            if let Err(message) = check_ports(&config) {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
            if let Some(message) = crate::ops::doctor::missing_base_url(&config) {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
            println!("configuration is valid");
            println!("data: {}", config.data.display());
            println!("https: {}", config.https);
            match config.http {
                Some(addr) => println!("http: {addr}"),
                None => println!("http: off"),
            }
            println!("hosts: {}", config.hosts.join(", "));
            println!("demo content for a new data folder: {}", config.demo);
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn serve(global: &Global) -> ExitCode {
    let config = match load_config_for_serving(global) {
        Ok(config) => config,
        Err(code) => return code,
    };
    init_logging(&config.log);
    // Blocking work (store transactions, compression, password hashing) is short and
    // bounded; a small pool keeps memory (thread stacks, allocator arenas) small too.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        // From here on a SIGHUP (certificate reload) cannot kill the process, even
        // while a new data folder is still being seeded.
        let _hangup = server::hangup_signal().map_err(|e| e.to_string())?;
        let stop = server::stop_signal();
        let listeners = Listeners::bind(config.https, config.http)
            .await
            .map_err(|e| e.to_string())?;
        let app = tokio::task::spawn_blocking(move || App::open(config))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let certs = CertSwitch::load(&app.config).map_err(|e| e.to_string())?;
        let app = Arc::new(app);
        server::serve(app, listeners, Arc::new(certs), stop)
            .await
            .map_err(|e| e.to_string())
    });
    // Dropping the runtime drops the tasks still holding the app, and with the last
    // handle the database closes before the process exits.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(server::Stopped::Clean) => {
            tracing::info!("stopped cleanly");
            ExitCode::SUCCESS
        }
        Ok(server::Stopped::GraceExpired) => {
            tracing::warn!("stopped; some requests were cut off when the grace period ended");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
