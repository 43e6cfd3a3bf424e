//! `juchu` — the command line: serve, worker, migrate, api-key, check, demo, bench.

use anyhow::Context;
use clap::{Parser, Subcommand};
use juchu::server;
use juchu_app::{App, SystemClock, Worker, WorkerOptions};
use juchu_domain::Role;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "juchu",
    version,
    about = "受注管理 — order management for Japanese e-commerce"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://FILE (created when missing) or postgres://…
    #[arg(
        long = "database",
        env = "JUCHU_DATABASE_URL",
        default_value = "sqlite://juchu.db"
    )]
    database: String,
    /// TOML file of shop policies.
    #[arg(long, env = "JUCHU_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API, the console and the background worker.
    Serve {
        #[arg(long, env = "JUCHU_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        db: DbArgs,
        /// Serve HTTP only; run the worker elsewhere (`juchu worker`).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the background worker.
    Worker {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create or upgrade the database schema.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage console users (the operator console at `/`).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the stock and order invariants (DOMAIN.md §4) against the database.
    Check {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Start a server on a fresh sample database and print its address and an admin token.
    Demo(juchu::demo::DemoArgs),
    /// Import a file: postal data, bank statements, tracking numbers.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export a file: a shipping-instruction batch for the warehouse or the carrier.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Serve the provider sandbox (card, deferred, Amazon Pay, bank simulators; docs/sandbox.md).
    Sandbox(juchu::sandbox_cmd::SandboxArgs),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: juchu::bench::BenchCommand,
    },
}

/// One enum for every `juchu import …` (each engineer adds a variant here).
#[derive(Subcommand)]
enum ImportCommand {
    /// A Zengin deposit statement (振込入金通知 01 or 入出金取引明細 03), matched to orders.
    BankStatement {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Japan Post's KEN_ALL.CSV (Shift_JIS) or utf_ken_all.csv (UTF-8), optionally `.gz`;
    /// replaces the postal data.
    PostalCodes {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Tracking numbers from a carrier file; each row ships its shipment (re-importing changes nothing).
    Tracking {
        file: PathBuf,
        /// yamato-b2 (B2 issued data), sagawa-ehiden (e飛伝 re-export), japanpost-history (ゆうプリR 発送履歴; also records deliveries) or csv
        /// (`shipment_id,carrier,tracking_number[,shipped_at]`).
        #[arg(long)]
        format: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The file of a shipping-instruction batch (the same bytes as the HTTP export).
    Shipping {
        /// The batch id (`batches[].id` of `POST /api/v1/shipping-instructions`).
        batch: String,
        /// json, csv, yamato-b2, sagawa-ehiden, japanpost-yupri or clickpost.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The accounting journal of a period (the same bytes as `GET /api/v1/accounting/journal`).
    Journal {
        /// First day, YYYY-MM-DD (Asia/Tokyo).
        #[arg(long)]
        from: String,
        /// Last day, included, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// json, yayoi, freee or moneyforward.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; prints its secret alone on the last line.
    Create {
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a console user who signs in with this e-mail address and password.
    Create {
        #[arg(long)]
        email: String,
        /// At least 12 characters. Prefer the environment variable: a command line is visible to
        /// other users of the machine and stays in the shell's history.
        #[arg(long, env = "JUCHU_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// admin, operator, warehouse, storefront or accounting.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a user's password; their sessions end.
    Password {
        #[arg(long)]
        email: String,
        #[arg(long, env = "JUCHU_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the console users.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

async fn user_command(command: UserCommand) -> anyhow::Result<()> {
    let problem = |e: juchu_app::AppError| match e {
        juchu_app::AppError::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("--{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        e => anyhow::anyhow!("{e}"),
    };
    match command {
        UserCommand::Create {
            email,
            password,
            role,
            db,
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let app = open_app(&db).await?;
            let u = app
                .create_user(&email, &password, role)
                .await
                .map_err(problem)?;
            println!(
                "created user {} ({}, role {})",
                u.id,
                u.email,
                u.role.as_str()
            );
        }
        UserCommand::Password {
            email,
            password,
            db,
        } => {
            let app = open_app(&db).await?;
            app.set_user_password(&email, &password)
                .await
                .map_err(problem)?;
            println!("password of {email} changed; their sessions ended");
        }
        UserCommand::List { db } => {
            let app = open_app(&db).await?;
            for u in app.list_users().await.map_err(problem)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    u.created_at
                );
            }
        }
    }
    Ok(())
}

async fn open_app(db: &DbArgs) -> anyhow::Result<App> {
    let policies = juchu::config::load_policies(db.config.as_deref())?;
    let store = juchu::open_store(&db.database)
        .await
        .with_context(|| format!("opening {}", juchu::redact_url(&db.database)))?;
    let carriers = juchu::carriers::load_carriers(db.config.as_deref())?;
    let accounting = juchu::accounting::load_accounting(db.config.as_deref())?;
    let (shop, mail) = juchu::config::load_mail(db.config.as_deref())?;
    let mut app = App::new(store, Arc::new(SystemClock), policies)
        .with_carriers(carriers)
        .with_accounting(accounting)
        .with_mail(shop, &mail)
        .map_err(|e| anyhow::anyhow!("[mail] in the config file: {e:?}"))?;
    if let Some(cfg) = juchu::config::load_providers(db.config.as_deref())? {
        app = app.with_providers(
            juchu_providers::Providers::new(&cfg).context("building the [providers] clients")?,
        );
    }
    Ok(app)
}

async fn admin_token(app: &App) -> anyhow::Result<()> {
    if let Ok(token) = std::env::var("JUCHU_ADMIN_TOKEN") {
        app.ensure_admin_token(&token)
            .await
            .map_err(|e| anyhow::anyhow!("JUCHU_ADMIN_TOKEN: {e:?}"))?;
    }
    Ok(())
}

/// `default` applies when `JUCHU_LOG` is not set.
fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("JUCHU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let json = std::env::var("JUCHU_LOG_FORMAT").is_ok_and(|v| v == "json");
    if json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The in-process benches run the app and its worker: an info line per job would drown the figures.
    init_tracing(match cli.command {
        Command::Bench { .. } => "warn",
        _ => "info,sqlx=warn",
    });
    match cli.command {
        Command::Serve {
            listen,
            db,
            no_worker,
        } => {
            let app = open_app(&db).await?;
            admin_token(&app).await?;
            let console = juchu::config::load_console(db.config.as_deref())?;
            let handle = server::start_with(app, &listen, !no_worker, console).await?;
            println!("juchu listening on {}", handle.url());
            server::shutdown_signal().await;
            if let Some(stats) = handle.stop().await {
                println!("{}", server::worker_summary(&stats));
            }
        }
        Command::Worker { db } => {
            let app = open_app(&db).await?;
            let (tx, rx) = tokio::sync::watch::channel(false);
            let run = tokio::spawn(Worker::new(app, WorkerOptions::default()).run(rx));
            server::shutdown_signal().await;
            let _ = tx.send(true);
            if let Ok(stats) = run.await {
                println!("{}", server::worker_summary(&stats));
            }
        }
        Command::Migrate { db } => {
            open_app(&db).await?;
            println!(
                "database is up to date: {}",
                juchu::redact_url(&db.database)
            );
        }
        Command::ApiKey {
            command: ApiKeyCommand::Create { role, name, db },
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let app = open_app(&db).await?;
            let key = app
                .create_api_key(&name, role)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!(
                "created API key {} ({}, role {})",
                key.id,
                key.name,
                key.role.as_str()
            );
            println!("{}", key.secret);
        }
        Command::User { command } => user_command(command).await?,
        Command::Check { db } => {
            let app = open_app(&db).await?;
            let problems = app.store.check_invariants().await?;
            if problems.is_empty() {
                println!("invariants hold");
            } else {
                for p in &problems {
                    println!("{p}");
                }
                anyhow::bail!("{} invariant violations", problems.len());
            }
        }
        Command::Demo(args) => juchu::demo::run(args).await?,
        Command::Import {
            command: ImportCommand::PostalCodes { file, db },
        } => {
            let app = open_app(&db).await?;
            let stats = juchu::postal::import(app.store.as_ref(), &file, true).await?;
            println!(
                "imported {} postal-code rows in {:.1}s ({:.0} rows/s)",
                stats.rows,
                stats.seconds,
                stats.rows_per_second()
            );
        }
        Command::Bench { command } => juchu::bench::run(command).await?,
        Command::Sandbox(args) => juchu::sandbox_cmd::run(args).await?,
        Command::Export {
            command:
                ExportCommand::Shipping {
                    batch,
                    format,
                    output,
                    db,
                },
        } => {
            let app = open_app(&db).await?;
            let n =
                juchu::carriers::export_shipping(&app, &batch, &format, output.as_deref()).await?;
            if let Some(p) = output {
                eprintln!("wrote {n} bytes to {}", p.display());
            }
        }
        Command::Export {
            command:
                ExportCommand::Journal {
                    from,
                    to,
                    format,
                    output,
                    db,
                },
        } => {
            let app = open_app(&db).await?;
            let n = juchu::accounting::export_journal(&app, &from, &to, &format, output.as_deref())
                .await?;
            if let Some(p) = output {
                eprintln!("wrote {n} bytes to {}", p.display());
            }
        }
        Command::Import {
            command: ImportCommand::Tracking { file, format, db },
        } => juchu::carriers::import_tracking(&open_app(&db).await?, &file, &format).await?,
        Command::Import {
            command: ImportCommand::BankStatement { file, db },
        } => juchu::import::bank_statement(&open_app(&db).await?, &file).await?,
    }
    Ok(())
}
