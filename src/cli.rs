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
    /// The site a command is for, when the server has several (`sites/NAME.toml` beside
    /// the --config file)
    #[arg(long, global = true, env = "TRANGTIN_SITE", value_name = "NAME")]
    pub site: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Add a site served by the same process: writes sites/NAME.toml and its data folder
    /// DATA/sites/NAME, and the running server serves it at once
    Add {
        name: String,
        /// Its domain, e.g. xaphuocson.gialai.gov.vn
        #[arg(long)]
        domain: String,
        /// The section tree it starts with: `so` (a department) or `xa` (a commune)
        #[arg(long, default_value = "so")]
        template: String,
    },
    /// List the sites with their host names, size, last backup and state
    List,
    /// Keep a site online read-only: a notice on every page, forms closed, only
    /// administrators sign in
    Archive {
        name: String,
        /// The site that carries on its work (https://…), named in the notice
        #[arg(long, value_name = "URL")]
        successor: Option<String>,
        /// The last day it was updated [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        /// An old address (path prefix) to send to the same address on the successor;
        /// repeat for several
        #[arg(long = "redirect", value_name = "PATH")]
        redirect_prefixes: Vec<String>,
    },
    /// Open an archived site for updates again
    Unarchive { name: String },
    /// Move the one site of a single-site install into sites/NAME (backed up first; the
    /// server must be stopped), so that more can be added
    Migrate { name: String },
    /// Undo `migrate` while there is one site: back to the single-site layout
    Unmigrate,
    /// Stop serving a site; its data stays unless --purge
    Remove {
        name: String,
        /// Also delete its data folder and backups
        #[arg(long)]
        purge: bool,
    },
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
    /// Several sites in one process: add, list, archive, unarchive, remove
    #[command(subcommand)]
    Site(SiteCommand),
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

/// glibc gives a thread that meets contention in the allocator an arena of its own, up
/// to eight per core, and each arena keeps what is freed in it. With the runtime's
/// threads, the blocking pool and the search threads, a day's peaks add up to tens of
/// megabytes that stay resident: on a million-entry site, capping them cut 17 MB after
/// the benchmark's requests and 43 MB at the peak of a backup.
///
/// The cap is one arena per connection thread (one per core) plus the main thread's.
/// The connection threads, which serve every request, are started and allocate first
/// (`ConnThreads::prestart`), so each takes an arena of its own, and the later threads
/// (the runtime's workers, which accept and run the daily jobs, and the blocking pools)
/// share theirs. When two busy threads shared one arena, every allocation that missed
/// the thread's cache waited for the other core: a process that drew it served HTTP/2
/// a fifth slower for its whole life (one start in five; with a single arena, every
/// start). A second arena per core (for the workers) kept 30 MB more after the
/// million-entry benchmark's requests and 37 MB more at a backup's peak. An operator's
/// own `MALLOC_ARENA_MAX` is kept.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = crate::http::conn_threads::cores();
        let arenas = i32::try_from(cores + 1).unwrap_or(i32::MAX);
        // SAFETY: `mallopt` sets a tunable of the allocator and touches no memory of
        // ours; it runs first thing in `main`, before any other thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }
    keep_large_blocks_mapped();
}

/// glibc serves a block of 128 KB or more with its own mapping, returned to the system
/// when freed; but each time such a block is freed it raises that threshold, up to 32
/// MB, and from then on blocks that size come from the arenas, where what is freed
/// stays resident between live neighbours. With a connection thread per core the arenas
/// kept 24 MB more after the million-entry benchmark's requests, which the backup's
/// peak then carried past 256 MB (180 and 262 MB). Fixed at 1 MB: 155 and 249 MB, and
/// the same speeds. Lower costs speed: at 128 KB (155 and 223 MB) and at 256 KB, a list
/// page took 1 ms more (2.2–2.4 ms against 1.2–1.4), each request mapping and unmapping
/// its larger buffers.
///
/// Fixing that threshold also stops glibc's matching rule for the trim threshold (twice
/// the mmap threshold), leaving it at 128 KB: every page render then freed its
/// compressor's tables (a few hundred KB) at the top of the heap, glibc gave them back
/// to the system, and the next render faulted them in again, page by page, with a TLB
/// shootdown on the other core each time. An uncached article took a median of 1.21 ms
/// instead of 0.90 (`bench/render.sh`). Twice the mmap threshold, as glibc's own rule
/// would set it, keeps at most 2 MB free at the top of each arena. An operator who sets
/// `MALLOC_MMAP_THRESHOLD_` or `MALLOC_TRIM_THRESHOLD_` keeps glibc's own handling of both.
fn keep_large_blocks_mapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: i32 = 1024 * 1024;
        // An operator who set either threshold has chosen the pair.
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some()
            || std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some()
        {
            return;
        }
        // SAFETY: as above; setting them also turns glibc's moving thresholds off.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD);
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message to ADDRESS now; exit 1 with the relay's answer if it fails
    Test { address: String },
}

pub fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Serve) => serve(&cli.global),
        Some(Command::CheckConfig) => check_config(&cli.global),
        Some(Command::Site(command)) => site(&cli.global, command),
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
            Err(control::unix::SendError::NotSent(e)) => {
                tracing::debug!("control socket not answering: {e}");
            }
            // Not run again on the store once the server has gone: that could do it
            // twice (two backups, a password set twice, an import repeated).
            Err(control::unix::SendError::Unanswered(e)) => {
                return Err(Unanswered::Failed(format!(
                    "the server stopped before it answered ({e}); it may or may not have carried the command out: check, and run it again if needed"
                )));
            }
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

/// The configuration a command for one site runs with: the main file's, or with several
/// sites, that of the site `--site` names (or the only one).
fn load_config(global: &Global) -> Result<Config, ExitCode> {
    let main = load_main_config(global)?;
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let files =
        crate::config::sites::files(global.config.as_deref()).map_err(|e| fail(e.to_string()))?;
    if files.is_empty() {
        return match &global.site {
            Some(name) => Err(fail(format!(
                "--site {name}: this install serves one site (no sites/ folder beside the \
                 configuration file); leave --site out"
            ))),
            None => Ok(main),
        };
    }
    let names = || {
        files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let file = match &global.site {
        Some(name) => files
            .iter()
            .find(|f| &f.name == name)
            .ok_or_else(|| fail(format!("no site named {name}; the sites are: {}", names())))?,
        None if files.len() == 1 => &files[0],
        None => {
            return Err(fail(format!(
                "this server has {} sites ({}): pass --site NAME",
                files.len(),
                names()
            )));
        }
    };
    let mut config =
        crate::config::sites::load(&main, file, files.len()).map_err(|e| fail(e.to_string()))?;
    // `--data` names the folder the command works on: here, the site's (a restore into
    // a spare folder, say).
    if let Some(data) = &global.data {
        config.data.clone_from(data);
    }
    Ok(config)
}

/// The main configuration: the one site's, or with several, what they share.
fn load_main_config(global: &Global) -> Result<Config, ExitCode> {
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
    match several_sites(global) {
        Ok(true) => return check_several(global),
        Ok(false) => {}
        Err(code) => return code,
    }
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

/// `check-config` with several sites: the shared file, then each site's.
fn check_several(global: &Global) -> ExitCode {
    let main = match load_main_config(global) {
        Ok(main) => main,
        Err(code) => return code,
    };
    if let Err(message) = check_ports(&main) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let files = crate::config::sites::files(global.config.as_deref()).unwrap_or_default();
    let mut failed = false;
    for file in &files {
        let checked = crate::config::sites::load(&main, file, files.len())
            .map_err(|e| e.to_string())
            .and_then(|config| crate::http::tls::check_files(&config).map(|()| config));
        match checked {
            Ok(config) => println!(
                "site {}: valid; hosts {}; data {}",
                file.name,
                config.hosts.join(", "),
                config.data.display()
            ),
            Err(message) => {
                failed = true;
                eprintln!("error: site {}: {message}", file.name);
            }
        }
    }
    println!("https: {}", main.https);
    match main.http {
        Some(addr) => println!("http: {addr}"),
        None => println!("http: off"),
    }
    if failed {
        ExitCode::from(2)
    } else {
        println!("configuration is valid ({} sites)", files.len());
        ExitCode::SUCCESS
    }
}

/// Whether the configuration file has site files beside it (several sites).
fn several_sites(global: &Global) -> Result<bool, ExitCode> {
    crate::config::sites::files(global.config.as_deref())
        .map(|files| !files.is_empty())
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })
}

fn serve(global: &Global) -> ExitCode {
    let several = match several_sites(global) {
        Ok(several) => several,
        Err(code) => return code,
    };
    let config = if several {
        load_main_config(global)
    } else {
        load_config_for_serving(global)
    };
    let config = match config {
        Ok(config) => config,
        Err(code) => return code,
    };
    if let Some(why) = crate::ops::sites::interrupted_move(&config) {
        eprintln!("error: {why}");
        return ExitCode::from(2);
    }
    init_logging(&config.log);
    // The connection threads first: they take the allocator's first arenas.
    if let Err(e) = crate::http::conn_threads::ConnThreads::prestart() {
        eprintln!("error: cannot start the connection threads: {e}");
        return ExitCode::FAILURE;
    }
    // The shared runtime accepts and runs the daily jobs; requests run on the
    // connection threads, each with a blocking pool of its own. Blocking work (store
    // transactions, backups, checks) is short and bounded; a small pool keeps memory
    // (thread stacks, allocator arenas) small too.
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
    let main_path = global.config.clone().unwrap_or_default();
    let result = runtime.block_on(async move {
        // From here on a SIGHUP (certificate reload) cannot kill the process, even
        // while a new data folder is still being seeded.
        let _hangup = server::hangup_signal().map_err(|e| e.to_string())?;
        let stop = server::stop_signal();
        let listeners = Listeners::bind(config.https, config.http)
            .await
            .map_err(|e| e.to_string())?;
        if several {
            return serve_several(config, main_path, listeners, stop).await;
        }
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

/// Serves every site the site files name, with the process's own control socket.
async fn serve_several(
    main: Config,
    main_path: PathBuf,
    listeners: Listeners,
    stop: impl std::future::Future<Output = ()>,
) -> Result<server::Stopped, String> {
    use crate::ops::sites::{self as several, Host};
    let https_port = listeners.https_addr().map_or(443, |a| a.port());
    let scheduled_work = crate::ops::jobs::Turns::default();
    let opened = {
        let (main, main_path, turn) = (main.clone(), main_path.clone(), scheduled_work.clone());
        tokio::task::spawn_blocking(move || several::open_all(&main, &main_path, https_port, &turn))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let names: Vec<String> = opened.iter().map(|s| s.name().to_string()).collect();
    tracing::info!(sites = names.join(", "), "serving {} sites", names.len());
    let sites = Arc::new(crate::http::sites::Sites::new(
        opened.into_iter().map(Arc::new).collect(),
    ));
    std::fs::create_dir_all(&main.data)
        .map_err(|e| format!("cannot make {}: {e}", main.data.display()))?;
    let limits = main.limits.clone();
    let host = Arc::new(Host {
        main,
        main_path,
        sites: sites.clone(),
        https_port,
        scheduled_work,
    });
    let (stop_socket, socket_stopped) = tokio::sync::watch::channel(false);
    #[cfg(unix)]
    let socket = control::unix::bind(&host.main.data).map(|listener| {
        tokio::spawn(several::serve_socket(
            host.clone(),
            listener,
            socket_stopped,
        ))
    });
    let stopped = server::serve_sites(sites, limits, listeners, stop)
        .await
        .map_err(|e| e.to_string());
    let _ = stop_socket.send(true);
    #[cfg(unix)]
    if let Some(socket) = socket {
        let _ = socket.await;
    }
    stopped
}

/// `trangtin site …`: writes the site files, then tells the running server.
fn site(global: &Global, command: SiteCommand) -> ExitCode {
    use crate::config::sites as layout;
    use crate::ops::sites::{self as several, Change, Notice};
    let Some(main_path) = global.config.clone() else {
        eprintln!(
            "error: several sites need a configuration file: pass --config \
             /etc/trangtin/trangtin.toml (its sites/ folder holds one file per site)"
        );
        return ExitCode::from(2);
    };
    let main = match load_main_config(global) {
        Ok(main) => main,
        Err(code) => return code,
    };
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let tell = |name: &str, change: Change, done: &str| -> ExitCode {
        let notice = Notice {
            site: name.to_string(),
            change,
        };
        match several::notify(&main, &notice) {
            Ok(Some(response)) if response.ok => {
                println!("{}", response.message);
                ExitCode::SUCCESS
            }
            Ok(Some(response)) => fail(format!(
                "{done}, but the running server refused it: {}",
                response.message
            )),
            Ok(None) => {
                println!("{done}; it takes effect when the server starts");
                ExitCode::SUCCESS
            }
            Err(e) => fail(format!("{done}, but {e}")),
        }
    };
    match command {
        SiteCommand::List => match several::list(&main, &main_path) {
            Ok(listed) if listed.is_empty() => {
                println!(
                    "one site, in {} (no sites/ folder beside {})",
                    main.data.display(),
                    main_path.display()
                );
                ExitCode::SUCCESS
            }
            Ok(listed) => {
                println!(
                    "{:<16} {:<36} {:>9}  {:<36} STATE",
                    "NAME", "HOSTS", "SIZE", "LAST BACKUP"
                );
                for site in listed {
                    println!(
                        "{:<16} {:<36} {:>9}  {:<36} {}",
                        site.name,
                        site.hosts.join(","),
                        several::size_text(site.bytes),
                        site.last_backup.as_deref().unwrap_or("never"),
                        site.state
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e.to_string()),
        },
        SiteCommand::Add {
            name,
            domain,
            template,
        } => {
            if let Err(e) = layout::check_name(&name) {
                return fail(e);
            }
            let Some(template) = crate::content::sections::Template::parse(&template) else {
                return fail(format!(
                    "--template {template}: use so (a department) or xa (a commune)"
                ));
            };
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            if domain.is_empty() || domain.contains(['/', ':', ' ']) {
                return fail(format!(
                    "--domain {domain:?}: give a host name such as xa.gialai.gov.vn"
                ));
            }
            if main.db_path().exists() {
                return fail(format!(
                    "{} holds the one site of this install; several sites keep each in \
                     {}/sites/NAME. Move it there first: systemctl stop trangtin; \
                     trangtin --config {} site migrate NAME; systemctl start trangtin",
                    main.data.display(),
                    main.data.display(),
                    main_path.display()
                ));
            }
            let file = layout::file_of(&main_path, &name);
            let removed = file.path.with_extension("toml.removed");
            if file.path.exists() || removed.exists() {
                return fail(format!(
                    "a site named {name} exists already ({})",
                    file.path.display()
                ));
            }
            let files = match layout::files(Some(&main_path)) {
                Ok(files) => files,
                Err(e) => return fail(e.to_string()),
            };
            for other in &files {
                if let Ok(config) = layout::load(&main, other, files.len() + 1)
                    && (config.hosts.contains(&domain) || config.old_hosts.contains(&domain))
                {
                    return fail(format!("{domain} is site {}'s already", other.name));
                }
            }
            let data = layout::default_data(&main, &name);
            // Written into the site's file, which lies elsewhere: never relative.
            let data = std::path::absolute(&data).unwrap_or(data);
            if data.exists() && std::fs::read_dir(&data).is_ok_and(|mut d| d.next().is_some()) {
                return fail(format!(
                    "{} is not empty: a removed site's data? Move it away or choose another name",
                    data.display()
                ));
            }
            if let Err(e) = std::fs::create_dir_all(layout::dir(&main_path)) {
                return fail(format!(
                    "cannot make {}: {e}",
                    layout::dir(&main_path).display()
                ));
            }
            let text = several::new_site_file(&name, &domain, &data, template.as_str());
            if let Err(e) = several::write_atomically(&file.path, &text, &main_path) {
                return fail(e.to_string());
            }
            tell(
                &name,
                Change::Added,
                &format!("wrote {}", file.path.display()),
            )
        }
        SiteCommand::Archive {
            name,
            successor,
            since,
            redirect_prefixes,
        } => {
            let file = layout::file_of(&main_path, &name);
            if !file.path.exists() {
                return fail(format!(
                    "no site named {name} ({} does not exist)",
                    file.path.display()
                ));
            }
            let since = match since {
                Some(text) => match text.trim().parse::<jiff::civil::Date>() {
                    Ok(date) => date,
                    Err(_) => {
                        return fail(format!("--since {text:?}: give a date such as 2025-07-01"));
                    }
                },
                None => jiff::Timestamp::now()
                    .to_zoned_datetime(crate::format::vietnam())
                    .date(),
            };
            let archive = crate::config::Archive {
                since,
                successor: successor.map(|s| s.trim().trim_end_matches('/').to_string()),
                redirect_prefixes,
            };
            let before = match std::fs::read_to_string(&file.path) {
                Ok(text) => text,
                Err(e) => return fail(format!("cannot read {}: {e}", file.path.display())),
            };
            if let Err(e) = several::write_archive(&file, Some(&archive)) {
                return fail(e.to_string());
            }
            // The file is checked as the server will read it; a bad value puts the file
            // back as it was (an earlier archive setting included).
            let sharing = layout::files(Some(&main_path)).map_or(1, |f| f.len());
            if let Err(e) = layout::load(&main, &file, sharing) {
                let _ = several::write_atomically(&file.path, &before, &file.path);
                return fail(e.to_string());
            }
            tell(
                &name,
                Change::Archived,
                &format!("archived {name} in {}", file.path.display()),
            )
        }
        SiteCommand::Migrate { name } => match several::migrate(&main, &main_path, &name) {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e.to_string()),
        },
        SiteCommand::Unmigrate => match several::unmigrate(&main, &main_path) {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e.to_string()),
        },
        SiteCommand::Unarchive { name } => {
            let file = layout::file_of(&main_path, &name);
            if !file.path.exists() {
                return fail(format!("no site named {name}"));
            }
            if let Err(e) = several::write_archive(&file, None) {
                return fail(e.to_string());
            }
            tell(
                &name,
                Change::Unarchived,
                &format!("opened {name} for updates again"),
            )
        }
        SiteCommand::Remove { name, purge } => {
            let file = layout::file_of(&main_path, &name);
            let removed = file.path.with_extension("toml.removed");
            let sharing = layout::files(Some(&main_path)).map_or(1, |f| f.len());
            let (config_path, was_served) = if file.path.exists() {
                (file.path.clone(), true)
            } else if removed.exists() {
                (removed.clone(), false)
            } else {
                return fail(format!("no site named {name}"));
            };
            let data = layout::load(
                &main,
                &crate::config::sites::SiteFile {
                    name: name.clone(),
                    path: config_path.clone(),
                },
                sharing,
            )
            .map_or_else(|_| layout::default_data(&main, &name), |c| c.data);
            if was_served {
                if let Err(e) = std::fs::rename(&file.path, &removed) {
                    return fail(format!("cannot rename {}: {e}", file.path.display()));
                }
                let code = tell(&name, Change::Removed, &format!("removed {name}"));
                if code != ExitCode::SUCCESS {
                    return code;
                }
            }
            if purge {
                // Never a folder a server still has open, nor one holding other sites.
                // Still open in a server (its lock held) means still in use.
                let in_use = control::server_running(&data)
                    || (data.join("trangtin.redb").exists()
                        && matches!(
                            crate::store::Store::open_unmigrated(&data),
                            Err(crate::store::Error::Locked(_))
                        ));
                if in_use {
                    return fail(format!(
                        "{} is still in use by a server; stop it, or try again in a moment",
                        data.display()
                    ));
                }
                let (main_data, doomed) = (
                    std::path::absolute(&main.data).unwrap_or_else(|_| main.data.clone()),
                    std::path::absolute(&data).unwrap_or_else(|_| data.clone()),
                );
                if main_data.starts_with(&doomed)
                    || (!doomed.starts_with(main_data.join("sites"))
                        && doomed.components().count() < 3)
                {
                    return fail(format!(
                        "refusing to delete {}: it holds the main data folder or lies too \
                         near the root; delete it by hand",
                        data.display()
                    ));
                }
                if let Err(e) = std::fs::remove_dir_all(&data)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    return fail(format!("cannot delete {}: {e}", data.display()));
                }
                let _ = std::fs::remove_file(&removed);
                println!("deleted {} and its settings", data.display());
            } else {
                println!(
                    "its data stays in {}; `trangtin site remove {name} --purge` deletes it",
                    data.display()
                );
            }
            ExitCode::SUCCESS
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
