//! `juchu serve`: the HTTP API and the worker in one process, with graceful shutdown.

use anyhow::Context;
use juchu_app::{App, Worker, WorkerOptions, WorkerStats};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running server (and its worker). Dropping it does not stop it; call [`ServerHandle::stop`].
pub struct ServerHandle {
    pub addr: SocketAddr,
    pub app: App,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    worker: Option<JoinHandle<WorkerStats>>,
}

impl ServerHandle {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets running ones finish, stops the worker, writes the audit
    /// entries still queued; returns what the worker did (none when it ran without one).
    pub async fn stop(self) -> Option<WorkerStats> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits until the server stops (Ctrl-C or SIGTERM in `juchu serve`).
    pub async fn wait(self) -> Option<WorkerStats> {
        for t in self.tasks {
            let _ = t.await;
        }
        let stats = match self.worker {
            Some(w) => w.await.ok(),
            None => None,
        };
        flush_audit(&self.app).await;
        stats
    }
}

/// The last requests may have finished after the audit writer's final write.
async fn flush_audit(app: &App) {
    if let Err(e) = app.flush_audit().await {
        tracing::warn!(error = %e, "writing the audit log at shutdown failed");
    }
}

/// Binds `listen` (port 0 picks a free port) and starts serving `app`; with `worker`, also runs the
/// background worker in this process. The console has its default `[console]` settings.
pub async fn start(app: App, listen: &str, worker: bool) -> anyhow::Result<ServerHandle> {
    start_with(app, listen, worker, juchu_console::ConsoleConfig::default()).await
}

/// `start` with the console's `[console]` settings.
pub async fn start_with(
    app: App,
    listen: &str,
    worker: bool,
    console: juchu_console::ConsoleConfig,
) -> anyhow::Result<ServerHandle> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    // 月次締め runs in the worker; make sure the next one is scheduled (a no-op when it is).
    if let Err(e) = app.schedule_month_close().await {
        tracing::warn!(error = %e, "scheduling the monthly close failed");
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    // The API (with its problem+json layers) and the console (HTML) side by side.
    let router =
        juchu_http::router(app.clone()).merge(juchu_console::router_with(app.clone(), console));
    let mut rx = stop_rx.clone();
    let http = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        // The peer address feeds the console's login rate limit.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    // Audit entries are queued by the HTTP layer and the console, and written here in batches.
    let audit = tokio::spawn(app.clone().run_audit_writer(stop_rx.clone()));
    let worker = worker.then(|| {
        let w = Worker::new(app.clone(), WorkerOptions::default());
        tokio::spawn(w.run(stop_rx))
    });
    tracing::info!(%addr, worker = worker.is_some(), "juchu is serving");
    Ok(ServerHandle {
        addr,
        app,
        stop: stop_tx,
        tasks: vec![http, audit],
        worker,
    })
}

/// The line `juchu serve` and `juchu worker` print when their worker stops: "worker stopped:
/// claimed N jobs, done M, failed F" (the multi-process tests add these up).
pub fn worker_summary(stats: &WorkerStats) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    format!(
        "worker stopped: claimed {} jobs, done {}, failed {}",
        stats.claimed.load(Relaxed),
        stats.done.load(Relaxed),
        stats.failed.load(Relaxed)
    )
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
