//! Provider simulators served over HTTP (ARCHITECTURE.md: `juchu-sandbox`): a GMO-PG-style card
//! gateway, an NP後払い-style deferred-payment service, Amazon Pay API v2, and a bank with virtual
//! accounts, signed deposit webhooks and Zengin statements. Every applied money movement lands in a
//! ledger (`GET /_sandbox/ledger`); faults (failures, timeouts, duplicate and out-of-order webhooks)
//! are configurable and seeded. docs/sandbox.md lists every endpoint.

// Handlers return early with a ready `Response` as the error; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod amazon;
mod bank;
mod card;
mod deferred;
mod faults;
mod idempotency;
mod ledger;

pub use bank::WEBHOOK_SIGNATURE_HEADER;
pub use faults::FaultConfig;
pub use ledger::{LedgerEntry, MovementKind, Totals, totals};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything the sandbox can be told at start (TOML / JSON via serde; every field has a default).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port (tests). `juchu sandbox` defaults to 127.0.0.1:9800.
    pub addr: String,
    pub card: CardConfig,
    pub deferred: DeferredConfig,
    pub amazon: AmazonConfig,
    pub bank: BankConfig,
    pub faults: FaultConfig,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: "127.0.0.1:0".into(),
            card: CardConfig::default(),
            deferred: DeferredConfig::default(),
            amazon: AmazonConfig::default(),
            bank: BankConfig::default(),
            faults: FaultConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardConfig {
    /// 仮売上 (AUTH) validity: a SALES after this many days fails with `E01420010`.
    pub auth_expiry_days: i64,
}

impl Default for CardConfig {
    fn default() -> Self {
        CardConfig {
            auth_expiry_days: 60,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeferredConfig {
    /// Billed amounts above this are declined (`20`, `RE001` 金額超過). None: no limit.
    pub amount_limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmazonConfig {
    /// An Authorized charge not captured within this many days becomes Canceled (`ExpiredUnused`).
    pub auth_expiry_days: i64,
}

impl Default for AmazonConfig {
    fn default() -> Self {
        AmazonConfig {
            auth_expiry_days: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankConfig {
    /// Where deposit webhooks go (juchu: `http://HOST/webhooks/bank/deposits`). None: not sent.
    pub webhook_url: Option<String>,
    /// HMAC-SHA256 key of the webhook signature (juchu's `[bank] webhook_secret`).
    pub webhook_secret: String,
    pub bank_code: String,
    /// Half-width kana, as in Zengin headers.
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    /// The virtual-account pool, inclusive.
    pub first_account: i64,
    pub last_account: i64,
    /// Delivery attempts per webhook (1 s, 2 s, … between them) before it is given up.
    pub webhook_attempts: u32,
}

impl Default for BankConfig {
    fn default() -> Self {
        BankConfig {
            webhook_url: None,
            webhook_secret: "sandbox-secret".into(),
            bank_code: "0310".into(),
            bank_name: "ｼﾞｰｴﾑｵｰｱｵｿﾞﾗﾈｯﾄ".into(),
            branch_code: "101".into(),
            branch_name: "ﾎｳｼﾞﾝﾀﾞｲｲﾁ".into(),
            first_account: 1_000_001,
            last_account: 1_099_999,
            webhook_attempts: 5,
        }
    }
}

/// The whole simulated world, behind one lock (never held across an await).
pub(crate) struct World {
    pub cfg: SandboxConfig,
    /// How far the sandbox clock is ahead of the real one (`POST /_sandbox/clock`).
    pub offset: SignedDuration,
    /// Fault rolls only, so a seed gives the same faults whatever else the calls do.
    pub rng: StdRng,
    /// Access keys and other random ids.
    pub ids: StdRng,
    pub ledger: ledger::Ledger,
    pub idem: idempotency::Store,
    pub card: card::Cards,
    pub deferred: deferred::Deferred,
    pub amazon: amazon::Amazon,
    pub bank: bank::Bank,
}

impl World {
    pub fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(self.offset)
            .unwrap_or_else(|_| Timestamp::now())
    }
}

pub(crate) struct Shared {
    world: Mutex<World>,
    /// Serialises "look up the idempotency key, apply, store the response".
    pub apply: tokio::sync::Mutex<()>,
    pub webhooks: tokio::sync::mpsc::UnboundedSender<bank::Delivery>,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock would be a sandbox bug; keep serving what is there.
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(crate) type S = Arc<Shared>;

/// Starts sandboxes.
pub struct Sandbox;

/// A running sandbox: its base URL, and `stop()`.
pub struct SandboxHandle {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    shared: S,
}

impl Sandbox {
    /// Binds `config.addr` and serves until `stop()` (or the handle is dropped).
    pub async fn start(config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(&config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("sandbox: cannot listen on {}: {e}", config.addr))?;
        let addr = listener.local_addr()?;
        let shared = build(config)?;
        let app = router(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("sandbox server: {e}");
            }
        });
        Ok(SandboxHandle {
            addr,
            shutdown: Some(tx),
            task,
            shared,
        })
    }
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every applied money movement so far (the same as `GET /_sandbox/ledger`).
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.shared.world().ledger.entries.clone()
    }

    /// Stops accepting requests and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Serves until the process is interrupted (Ctrl-C), then stops.
    pub async fn run_until_ctrl_c(self) -> anyhow::Result<()> {
        tokio::signal::ctrl_c().await?;
        self.stop().await;
        Ok(())
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn build(cfg: SandboxConfig) -> anyhow::Result<S> {
    cfg.faults.validate().map_err(|e| anyhow::anyhow!(e))?;
    if cfg.bank.first_account > cfg.bank.last_account
        || cfg.bank.first_account < 1
        || cfg.bank.last_account > 9_999_999
    {
        anyhow::bail!(
            "sandbox: bank.first_account..last_account must be a range within 1..=9999999"
        );
    }
    let rng = match cfg.faults.seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_os_rng(),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let world = World {
        bank: bank::Bank::new(&cfg.bank),
        cfg,
        offset: SignedDuration::ZERO,
        rng,
        ids: StdRng::from_os_rng(),
        ledger: ledger::Ledger::default(),
        idem: idempotency::Store::default(),
        card: card::Cards::default(),
        deferred: deferred::Deferred::default(),
        amazon: amazon::Amazon::default(),
    };
    let shared = Arc::new(Shared {
        world: Mutex::new(world),
        apply: tokio::sync::Mutex::new(()),
        webhooks: tx,
    });
    tokio::spawn(bank::deliver_webhooks(Arc::downgrade(&shared), rx));
    Ok(shared)
}

/// The whole HTTP surface; see docs/sandbox.md.
fn router(s: S) -> Router {
    Router::new()
        .merge(card::routes())
        .merge(deferred::routes())
        .merge(amazon::routes())
        .merge(bank::routes())
        .route("/_sandbox/ledger", get(get_ledger))
        .route("/_sandbox/clock", get(get_clock).post(advance_clock))
        .route(
            "/_sandbox/faults",
            get(faults::get_faults).post(faults::set_faults),
        )
        .route("/_sandbox/health", get(|| async { "ok" }))
        .route("/_sandbox/reset-idempotency", post(reset_idempotency))
        .fallback(
            |method: axum::http::Method, uri: axum::http::Uri| async move {
                json_error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    &format!("no sandbox endpoint {method} {uri} (see docs/sandbox.md)"),
                )
            },
        )
        .layer(axum::middleware::from_fn_with_state(
            s.clone(),
            idempotency::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            s.clone(),
            faults::middleware,
        ))
        .with_state(s)
}

#[derive(Serialize)]
struct LedgerOut {
    entries: Vec<LedgerEntry>,
    /// Per (provider, reference): the sums of each kind, for "nothing captured or refunded twice".
    totals: Vec<ledger::Totals>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerQuery {
    provider: Option<String>,
    reference: Option<String>,
}

async fn get_ledger(
    State(s): State<S>,
    axum::extract::Query(q): axum::extract::Query<LedgerQuery>,
) -> axum::Json<LedgerOut> {
    let entries: Vec<LedgerEntry> = s
        .world()
        .ledger
        .entries
        .iter()
        .filter(|e| q.provider.as_ref().is_none_or(|p| *p == e.provider))
        .filter(|e| q.reference.as_ref().is_none_or(|r| *r == e.reference))
        .cloned()
        .collect();
    let totals = ledger::totals(&entries);
    axum::Json(LedgerOut { entries, totals })
}

#[derive(Serialize)]
struct ClockOut {
    now: Timestamp,
    offset_seconds: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockIn {
    #[serde(default)]
    advance_days: i64,
    #[serde(default)]
    advance_seconds: i64,
}

fn clock_out(w: &World) -> ClockOut {
    ClockOut {
        now: w.now(),
        offset_seconds: w.offset.as_secs(),
    }
}

async fn get_clock(State(s): State<S>) -> axum::Json<ClockOut> {
    axum::Json(clock_out(&s.world()))
}

async fn advance_clock(State(s): State<S>, body: axum::body::Bytes) -> Response {
    let input: ClockIn = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                &e.to_string(),
            );
        }
    };
    if input.advance_days < 0 || input.advance_seconds < 0 {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "the clock only moves forward: advance_days and advance_seconds must be ≥ 0",
        );
    }
    let by = SignedDuration::from_hours(input.advance_days.saturating_mul(24))
        .saturating_add(SignedDuration::from_secs(input.advance_seconds));
    let mut w = s.world();
    w.offset = w.offset.saturating_add(by);
    axum::Json(clock_out(&w)).into_response()
}

async fn reset_idempotency(State(s): State<S>) -> StatusCode {
    s.world().idem = idempotency::Store::default();
    StatusCode::NO_CONTENT
}

/// The sandbox's own JSON error (control endpoints and the bank): `{error, message}`.
pub(crate) fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": code, "message": message})),
    )
        .into_response()
}

/// A JSON body or a 422 naming what was wrong.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}
