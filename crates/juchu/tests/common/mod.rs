//! What the process tests share: `juchu` child processes (start, SIGTERM, SIGKILL) and the
//! invariant check of `juchu check`. Each test binary uses part of it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The admin token every process of a test is started with (`JUCHU_ADMIN_TOKEN`).
pub const ADMIN: &str = "processes-test-admin-token-0123456789";

/// A running `juchu` process; killed when dropped (also when a test fails, and then its output is
/// printed).
pub struct Proc {
    pub name: String,
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    lines: mpsc::UnboundedReceiver<String>,
    pumps: Vec<JoinHandle<()>>,
}

fn pump<R: AsyncRead + Unpin + Send + 'static>(
    r: R,
    tx: mpsc::UnboundedSender<String>,
    output: Arc<Mutex<Vec<String>>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(r).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            output.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    })
}

impl Proc {
    pub fn spawn(name: &str, args: &[&str]) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_juchu"))
            .args(args)
            .env("JUCHU_ADMIN_TOKEN", ADMIN)
            .env("JUCHU_LOG", "warn,sqlx=warn")
            .env_remove("JUCHU_CONFIG")
            .env_remove("JUCHU_DATABASE_URL")
            .env_remove("JUCHU_LISTEN")
            .env_remove("JUCHU_LOG_FORMAT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start juchu");
        let (tx, lines) = mpsc::unbounded_channel();
        let output = Arc::new(Mutex::new(Vec::new()));
        let pumps = vec![
            pump(child.stdout.take().unwrap(), tx.clone(), output.clone()),
            pump(child.stderr.take().unwrap(), tx, output.clone()),
        ];
        Proc {
            name: name.to_owned(),
            child,
            output,
            lines,
            pumps,
        }
    }

    /// `juchu serve` on a free port; returns it and its base URL.
    pub async fn serve(name: &str, database: &str, worker: bool) -> (Proc, String) {
        let mut args = vec!["--database", database];
        if !worker {
            args.push("--no-worker");
        }
        Proc::serve_with(name, &args).await
    }

    /// `juchu serve --listen 127.0.0.1:0 ARGS…`; returns the process and the base URL it printed.
    pub async fn serve_with(name: &str, args: &[&str]) -> (Proc, String) {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut p = Proc::spawn(name, &all);
        let line = p.wait_line(|l| l.starts_with("juchu listening on ")).await;
        let url = line["juchu listening on ".len()..].trim().to_owned();
        (p, url)
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    pub async fn wait_line(&mut self, want: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) if want(&line) => return line,
                Ok(Some(_)) => {}
                Ok(None) => panic!("{} exited early:\n{}", self.name, self.output()),
                Err(_) => panic!("{} printed no such line:\n{}", self.name, self.output()),
            }
        }
    }

    fn sigterm(&self) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Sends SIGTERM, waits for a clean exit, and returns everything the process printed.
    pub async fn stop(mut self) -> String {
        self.sigterm();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} ignored SIGTERM:\n{}", self.name, self.output()))
            .expect("wait");
        self.drain().await;
        assert!(
            status.success(),
            "{} exited with {status}:\n{}",
            self.name,
            self.output()
        );
        self.output()
    }

    /// SIGKILL (`Child::kill`): the process gets no chance to finish anything. Returns what it
    /// printed.
    pub async fn kill(mut self) -> String {
        self.child.kill().await.expect("SIGKILL");
        self.drain().await;
        self.output()
    }

    async fn drain(&mut self) {
        for p in std::mem::take(&mut self.pumps) {
            let _ = p.await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {} printed:\n{}\n---", self.name, self.output());
        }
    }
}

/// `(claimed, done, failed)` from "worker stopped: claimed N jobs, done M, failed F".
pub fn worker_stats(name: &str, output: &str) -> (u64, u64, u64) {
    let line = output
        .lines()
        .find(|l| l.starts_with("worker stopped: claimed "))
        .unwrap_or_else(|| panic!("{name} printed no stats:\n{output}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(n.len(), 3, "{line}");
    (n[0], n[1], n[2])
}

/// No storage failure (a 5xx) and no failed job was logged.
pub fn no_errors_logged(name: &str, output: &str) {
    let bad: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("job failed"))
        .collect();
    assert!(bad.is_empty(), "{name} logged:\n{}", bad.join("\n"));
}

/// `juchu check --database URL`: the invariants of DOMAIN.md §4 hold on the stored data.
pub async fn run_check(database: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_juchu"))
        .args(["check", "--database", database])
        .env("JUCHU_LOG", "warn")
        .env_remove("JUCHU_CONFIG")
        .output()
        .await
        .expect("juchu check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("invariants hold"),
        "juchu check: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
