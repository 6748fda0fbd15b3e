//! The `parley` command: parses the command line, loads the config, and calls the library.

mod cli;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parley::config::{Config, LogFormat};
use parley::domain::Role;
use parley::tasks::Shutdown;

#[derive(Parser)]
#[command(name = "parley", version, about = "A self-hosted SMS contact center")]
struct Cli {
    /// TOML config file (every key can also be set as PARLEY_<KEY>, `__` for nesting).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Where the data lives (overrides the config).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on (overrides the config).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// On first run, fill the data dir with demo agents, contacts and a campaign.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve {
        #[arg(long)]
        listen: Option<SocketAddr>,
        #[arg(long)]
        demo: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage read-only API tokens (for the JSON API).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Rebuild the search index from the store (Parley must not be running).
    Reindex,
    /// Write a consistent copy of the store to FILE: from the running Parley (through
    /// `parley.sock` in the data dir, ingest goes on), or from the store when it is stopped.
    Backup {
        /// Where to write the backup (a redb file, as `parley restore` takes it).
        file: PathBuf,
    },
    /// Put a backup in place of the data dir's store and rebuild the search index (Parley
    /// must not be running; the old store is kept beside it, not deleted).
    Restore {
        /// A file written by `parley backup` or downloaded from /admin/backup.
        file: PathBuf,
    },
    /// Check the store (every table decodes, indexes and counters agree) and the search
    /// index against it (Parley must not be running); exits non-zero when anything disagrees.
    Check {
        /// Set aside write-ahead log records that cannot be decoded (each into a file in the
        /// data dir) instead of refusing to open the store.
        #[arg(long)]
        repair: bool,
    },
    /// Import data (Parley must not be running).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a CSV lead list into a predictive campaign.
    Leads {
        /// The CSV file; its first line names the columns.
        file: PathBuf,
        /// The predictive campaign's name.
        #[arg(long)]
        campaign: String,
        /// Map a column by its header: `--map "Cell=phone"`, `--map "Plan=custom:plan"`,
        /// `--map "Notes=ignore"` (fields: phone, first_name, last_name, time_zone, channel).
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// Where to write the refused rows as CSV (default: next to the file,
        /// `<file>.errors.csv`, when any row was refused).
        #[arg(long)]
        errors: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token acting as an existing user; prints it once.
    Create {
        /// The user the token acts as (its role decides what it may read).
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; prints a random password unless --password-stdin is given.
    Add {
        username: String,
        #[arg(long, default_value = "agent")]
        role: Role,
        /// Name shown to colleagues.
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (Parley must not be running); prints a random one unless
    /// --password-stdin is given. The user's sessions end.
    Passwd {
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The config says how to log, so it is read first; its errors go straight to stderr.
    let mut config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("parley: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("parley: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        None => runtime.block_on(serve(config, cli.listen, cli.demo)),
        Some(Command::Serve { listen, demo }) => {
            runtime.block_on(serve(config, listen.or(cli.listen), demo || cli.demo))
        }
        Some(Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    name,
                    password_stdin,
                },
        }) => runtime.block_on(cli::accounts::user_add(
            config,
            &username,
            role,
            &name,
            password_stdin,
        )),
        Some(Command::User {
            command:
                UserCommand::Passwd {
                    username,
                    password_stdin,
                },
        }) => runtime.block_on(cli::accounts::user_passwd(
            config,
            &username,
            password_stdin,
        )),
        Some(Command::Token {
            command: TokenCommand::Create { user, label },
        }) => runtime.block_on(cli::accounts::token_create(config, &user, &label)),
        Some(Command::Reindex) => runtime.block_on(reindex(config)),
        Some(Command::Backup { file }) => runtime.block_on(cli::backup::backup(config, &file)),
        Some(Command::Restore { file }) => {
            cli::restore::restore(&config, &file).and_then(|()| runtime.block_on(reindex(config)))
        }
        Some(Command::Check { repair }) => runtime.block_on(cli::check::check(config, repair)),
        Some(Command::Import {
            command:
                ImportCommand::Leads {
                    file,
                    campaign,
                    map,
                    errors,
                },
        }) => runtime.block_on(import_leads(config, &file, &campaign, &map, errors)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parley: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard output, filtered by `PARLEY_LOG` (default `info`), as text or as one
/// JSON object per line.
fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("PARLEY_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}

async fn serve(
    mut config: Config,
    listen: Option<SocketAddr>,
    demo: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(addr) = listen {
        config.listen = addr;
    }
    // Opened once: reading the store back (its newest fingerprints, any log to replay) is
    // the bulk of a start.
    let (store, writer) = parley::open_store(&config)?;
    let logins = parley::bootstrap::first_run(&store, demo).await?;
    print_logins(&logins, demo);
    // Whether any campaign sends through the simulator, so its page exists.
    let default = config.sms.provider.name();
    let simulated = store
        .read(parley::store::all_campaigns)
        .await?
        .iter()
        .any(|c| c.sends_through(default) == parley::sms::simulator::NAME);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let shutdown = Shutdown::default();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            shutdown.trigger();
        }
    });
    let url = format!("http://{}", listener.local_addr()?);
    if simulated {
        println!(
            "Parley is running at {url}  (agents: {url}/workspace, customer phone: {url}/simulator)"
        );
    } else {
        println!("Parley is running at {url}  (agents: {url}/workspace)");
    }
    let options = parley::Options {
        store: Some((store, writer)),
        ..Default::default()
    };
    parley::run_with(config, listener, shutdown, options).await?;
    Ok(())
}

fn print_logins(logins: &[parley::bootstrap::Credential], demo: bool) {
    if logins.is_empty() {
        return;
    }
    println!("\nFirst run: these logins were created. The passwords are shown only now.");
    for l in logins {
        println!(
            "  {:<10} {:<8} password: {}",
            l.role.as_str(),
            l.username,
            l.password
        );
    }
    if demo {
        println!(
            "Demo: text the center from {} on the simulator page. Our numbers: {} (Support \
             line), {} (Follow-ups, outbound), {} (Spring offer, predictive).",
            parley::bootstrap::DEMO_CUSTOMER,
            parley::bootstrap::DEMO_NUMBER,
            parley::bootstrap::DEMO_OUTBOUND_NUMBER,
            parley::bootstrap::DEMO_PREDICTIVE_NUMBER,
        );
    }
    println!();
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Rebuilds the search index with a progress bar.
async fn reindex(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let (store, writer) = parley::open_store(&config)?;
    let dir = parley::search::index_dir(&config.data_dir);
    let started = std::time::Instant::now();
    let (docs, seq) = tokio::task::spawn_blocking(move || {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} records ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let done = parley::search::reindex(&dir, &store, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        bar.finish();
        done
    })
    .await??;
    writer.join().ok();
    println!(
        "Search index rebuilt: {docs} documents up to store sequence {seq} in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn import_leads(
    config: Config,
    file: &std::path::Path,
    campaign: &str,
    map: &[String],
    errors: Option<PathBuf>,
) -> Result<(), Box<dyn std::error::Error>> {
    use parley::campaigns::{import, leads};
    let overrides = map
        .iter()
        .map(|m| {
            let (header, field) = m
                .split_once('=')
                .ok_or_else(|| format!("--map wants HEADER=FIELD, not “{m}”"))?;
            Ok((header.to_owned(), import::Column::parse(field)?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let started = std::time::Instant::now();
    let parsed = leads::parse(&bytes, &overrides)?;
    let (store, writer) = parley::open_store(&config)?;
    let result = async {
        let id = leads::predictive_campaign(&store, campaign).await?;
        let bar = indicatif::ProgressBar::new(parsed.rows.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} leads ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let report = leads::store_rows(&store, id, parsed, chrono::Utc::now(), |done, _| {
            bar.set_position(done)
        })
        .await;
        bar.finish();
        report
    }
    .await;
    drop(store);
    writer.join().ok();
    let report = result?;
    println!(
        "Imported {} leads into “{campaign}” in {:.1} s; {} rows refused.",
        report.added,
        started.elapsed().as_secs_f64(),
        report.errors.len()
    );
    if !report.errors.is_empty() {
        let path = errors.unwrap_or_else(|| {
            let mut p = file.as_os_str().to_owned();
            p.push(".errors.csv");
            PathBuf::from(p)
        });
        std::fs::write(&path, import::errors_csv(&report.errors))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("The refused rows and why: {}", path.display());
    }
    Ok(())
}
