//! What the benchmarks share: a scratch database per measurement, `juchu serve` child processes,
//! a small JSON client, and the figures (percentiles, peak RSS).

use anyhow::{Context, bail};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Where scratch PostgreSQL databases are created and dropped (`--postgres`).
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database for one measurement, removed afterwards.
pub struct Scratch {
    pub url: String,
    drop_pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Scratch {
    /// A new SQLite file in a temporary directory, or a new PostgreSQL database on the server that
    /// `postgres` (an admin URL) names.
    pub async fn new(backend: &str, postgres: &str, tag: &str) -> anyhow::Result<Scratch> {
        if backend == "sqlite" {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}/{tag}.db", dir.path().display());
            return Ok(Scratch {
                url,
                drop_pg: None,
                _dir: Some(dir),
            });
        }
        let name = format!("juchu_bench_{tag}_{}", uuid::Uuid::now_v7().simple());
        let admin = sqlx::PgPool::connect(postgres)
            .await
            .with_context(|| format!("connecting to {postgres}"))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        let base = postgres
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(postgres);
        Ok(Scratch {
            url: format!("{base}/{name}"),
            drop_pg: Some((postgres.to_owned(), name)),
            _dir: None,
        })
    }

    pub async fn drop(self) {
        if let Some((admin, name)) = self.drop_pg
            && let Ok(pool) = sqlx::PgPool::connect(&admin).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
        }
    }
}

/// A `juchu serve` child process (API and worker), killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub token: String,
}

impl Server {
    /// Peak resident memory of the process so far.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        peak_rss_mb(self.child.id())
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Starts `juchu serve` (this executable) on a free port against `db`, with an admin key whose
/// secret is `token`, and waits until it is healthy. Several servers may share one PostgreSQL
/// database: start them one after the other, with the same token.
pub async fn spawn_server_with(db: &str, token: &str) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(std::env::current_exe()?)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            db,
        ])
        .env("JUCHU_ADMIN_TOKEN", token)
        .env("JUCHU_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(Server {
                child,
                url,
                token: token.to_owned(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become healthy")
}

/// [`spawn_server_with`] with a fresh admin token.
pub async fn spawn_server(db: &str) -> anyhow::Result<Server> {
    spawn_server_with(db, &format!("bench-{}", uuid::Uuid::now_v7().simple())).await
}

/// A JSON client for one server with the admin key.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
    pub auth: String,
}

impl Api {
    pub fn new(http: &reqwest::Client, server: &Server) -> Api {
        Api {
            http: http.clone(),
            url: server.url.clone(),
            auth: format!("Bearer {}", server.token),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let resp = req.header("authorization", &self.auth).send().await?;
        let status = resp.status();
        let body = resp.text().await?;
        if !status.is_success() {
            bail!("{status}: {body}");
        }
        Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}{path}", self.url)))
            .await
            .with_context(|| format!("GET {path}"))
    }

    pub async fn put(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(self.http.put(format!("{}{path}", self.url)).json(body))
            .await
            .with_context(|| format!("PUT {path}"))
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(self.http.post(format!("{}{path}", self.url)).json(body))
            .await
            .with_context(|| format!("POST {path}"))
    }
}

/// Peak resident memory (`VmHWM`) of a process, in MB.
pub fn peak_rss_mb(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The `p` quantile (0–1) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// Cores this machine has (for the header line of a bench).
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The backends a `--backend` flag names: `sqlite`, `postgres`, or both (`all`).
pub fn backends(flag: &str) -> anyhow::Result<Vec<&'static str>> {
    Ok(match flag {
        "all" => vec!["sqlite", "postgres"],
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        other => bail!("unknown backend `{other}`: sqlite, postgres or all"),
    })
}

/// Peak resident memory of this process, for in-process benches.
pub fn own_peak_rss() -> String {
    mb(peak_rss_mb(Some(std::process::id())))
}

/// `123 MB`, or `n/a` when the figure is unknown.
pub fn mb(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.0} MB"))
        .unwrap_or_else(|| "n/a".into())
}
