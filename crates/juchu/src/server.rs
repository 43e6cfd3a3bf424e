//! `juchu serve`: the HTTP API and the worker in one process, with graceful shutdown.

use anyhow::Context;
use juchu_app::{App, Worker, WorkerOptions};
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
}

impl ServerHandle {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets running ones finish, stops the worker, and writes the
    /// audit entries still queued.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        flush_audit(&self.app).await;
    }

    /// Waits until the server stops (Ctrl-C or SIGTERM in `juchu serve`).
    pub async fn wait(self) {
        for t in self.tasks {
            let _ = t.await;
        }
        flush_audit(&self.app).await;
    }
}

/// The last requests may have finished after the audit writer's final write.
async fn flush_audit(app: &App) {
    if let Err(e) = app.flush_audit().await {
        tracing::warn!(error = %e, "writing the audit log at shutdown failed");
    }
}

/// Binds `listen` (port 0 picks a free port) and starts serving `app`; with `worker`, also runs the
/// background worker in this process.
pub async fn start(app: App, listen: &str, worker: bool) -> anyhow::Result<ServerHandle> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    // 月次締め runs in the worker; make sure the next one is scheduled (a no-op when it is).
    if let Err(e) = app.schedule_month_close().await {
        tracing::warn!(error = %e, "scheduling the monthly close failed");
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    // The API (with its problem+json layers) and the console (HTML) side by side.
    let router = juchu_http::router(app.clone()).merge(juchu_console::router(app.clone()));
    let mut rx = stop_rx.clone();
    tasks.push(tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "HTTP server failed");
        }
    }));
    // Audit entries are queued by the HTTP layer and the console, and written here in batches.
    tasks.push(tokio::spawn(app.clone().run_audit_writer(stop_rx.clone())));
    if worker {
        let w = Worker::new(app.clone(), WorkerOptions::default());
        tasks.push(tokio::spawn(async move {
            w.run(stop_rx).await;
        }));
    }
    tracing::info!(%addr, worker, "juchu is serving");
    Ok(ServerHandle {
        addr,
        app,
        stop: stop_tx,
        tasks,
    })
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
