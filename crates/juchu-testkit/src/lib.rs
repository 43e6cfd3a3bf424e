//! Test kit: boots the real thing — `juchu` on port 0 with its own fresh database (SQLite file or a
//! new PostgreSQL database), real HTTP — and helpers that speak the public API.
//!
//! PostgreSQL tests use `JUCHU_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create and drop their databases; they fail
//! loudly when it cannot be reached.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
mod client;
pub mod console_http;
mod db;
pub mod smtp_sink;
mod zengin;

pub use browser::Browser;
pub use client::{Api, Resp, order_body};
pub use console_http::ConsoleHttp;
pub use db::{Backend, TestDb};
pub use smtp_sink::{Received, SmtpSink};
pub use zengin::zengin_statement;

use juchu::server::ServerHandle;
use juchu_app::mail::{MailSettings, ShopInfo, SmtpTls};
use juchu_app::{App, SystemClock};
use juchu_domain::policy::Policies;
use std::sync::Arc;

/// A running juchu with its own database.
pub struct TestApp {
    pub db: TestDb,
    pub api: Api,
    /// An admin key's secret.
    pub admin: String,
    /// The SMTP server the app sends customer e-mails to (every test app has one).
    pub smtp: SmtpSink,
    /// The provider sandbox the app's payments go to (`spawn_with_sandbox`).
    pub sandbox: Option<juchu_sandbox::SandboxHandle>,
    server: Option<ServerHandle>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Policies::default()).await
    }

    pub async fn spawn_with(backend: Backend, policies: Policies) -> TestApp {
        Self::spawn_with_clock(backend, policies, Arc::new(SystemClock)).await
    }

    /// With a clock the test controls (a `FakeClock`): the worker runs jobs when it says they are due.
    pub async fn spawn_with_clock(
        backend: Backend,
        policies: Policies,
        clock: Arc<dyn juchu_app::Clock>,
    ) -> TestApp {
        Self::start(
            backend,
            policies,
            clock,
            None,
            SmtpSink::start().await,
            None,
        )
        .await
    }

    /// With the payment providers over HTTP: a `juchu-sandbox` on port 0 (its config as given)
    /// that card, deferred and Amazon Pay payments go to.
    pub async fn spawn_with_sandbox(
        backend: Backend,
        policies: Policies,
        sandbox: juchu_sandbox::SandboxConfig,
    ) -> TestApp {
        let sandbox = juchu_sandbox::Sandbox::start(sandbox)
            .await
            .expect("start sandbox");
        let smtp = SmtpSink::start().await;
        Self::start(
            backend,
            policies,
            Arc::new(SystemClock),
            Some(sandbox),
            smtp,
            None,
        )
        .await
    }

    /// With the mail server down from the start (every transaction refused with 451), until the
    /// test calls `t.smtp.fail_with(None)`.
    pub async fn spawn_with_mail_down(backend: Backend) -> TestApp {
        let smtp = SmtpSink::start().await;
        smtp.fail_with(Some(451));
        Self::start(
            backend,
            Policies::default(),
            Arc::new(SystemClock),
            None,
            smtp,
            None,
        )
        .await
    }

    /// With mail not configured (no `[mail] host`): mail jobs are completed as skipped. The sink
    /// runs but nothing is sent to it.
    pub async fn spawn_without_mail(backend: Backend) -> TestApp {
        let smtp = SmtpSink::start().await;
        let mut settings = test_mail(smtp.port());
        settings.host = String::new();
        let clock = Arc::new(SystemClock);
        Self::start(
            backend,
            Policies::default(),
            clock,
            None,
            smtp,
            Some(settings),
        )
        .await
    }

    /// With the app changed by `configure` before it starts (e.g. `App::with_carriers`).
    pub async fn spawn_configured(
        backend: Backend,
        policies: Policies,
        configure: impl FnOnce(App) -> App,
    ) -> TestApp {
        let smtp = SmtpSink::start().await;
        let clock = Arc::new(SystemClock);
        Self::start_with(backend, policies, clock, None, smtp, None, configure).await
    }

    /// `mail`: the `[mail]` settings, by default plain SMTP to `smtp`.
    async fn start(
        backend: Backend,
        policies: Policies,
        clock: Arc<dyn juchu_app::Clock>,
        sandbox: Option<juchu_sandbox::SandboxHandle>,
        smtp: SmtpSink,
        mail: Option<MailSettings>,
    ) -> TestApp {
        Self::start_with(backend, policies, clock, sandbox, smtp, mail, |a| a).await
    }

    async fn start_with(
        backend: Backend,
        policies: Policies,
        clock: Arc<dyn juchu_app::Clock>,
        sandbox: Option<juchu_sandbox::SandboxHandle>,
        smtp: SmtpSink,
        mail: Option<MailSettings>,
        configure: impl FnOnce(App) -> App,
    ) -> TestApp {
        let db = TestDb::create(backend).await;
        let store = juchu::open_store(&db.url).await.expect("open store");
        let mail = mail.unwrap_or_else(|| test_mail(smtp.port()));
        let mut app = App::new(store, clock, policies)
            .with_mail(test_shop(), &mail)
            .expect("mail settings");
        if let Some(sb) = &sandbox {
            let mut cfg = juchu_providers::ProvidersConfig::for_sandbox(&sb.url());
            // Tests with faults want quick retries.
            cfg.http.timeout_ms = 2_000;
            app = app.with_providers(juchu_providers::Providers::new(&cfg).expect("providers"));
        }
        let app = configure(app);
        let admin = app
            .create_api_key("test admin", juchu_domain::Role::Admin)
            .await
            .expect("admin key")
            .secret;
        let server = juchu::server::start(app, "127.0.0.1:0", true)
            .await
            .expect("start server");
        let api = Api::new(server.url());
        TestApp {
            db,
            api,
            admin,
            smtp,
            sandbox,
            server: Some(server),
        }
    }

    pub fn app(&self) -> &App {
        &self.server.as_ref().expect("running").app
    }

    pub fn url(&self) -> String {
        self.api.base.clone()
    }

    /// A new console user of `role`; returns its e-mail and password.
    pub async fn console_user(&self, role: juchu_domain::Role) -> (String, String) {
        let email = format!(
            "{}-{}@example.jp",
            role.as_str(),
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let password = format!("pw-{}", uuid::Uuid::now_v7().simple());
        self.app()
            .create_user(&email, &password, role)
            .await
            .expect("create console user");
        (email, password)
    }

    /// A headless Chromium (its own chromedriver) signed in as a new console user of `role`.
    pub async fn browser_as(&self, role: juchu_domain::Role) -> Browser {
        let (email, password) = self.console_user(role).await;
        let b = Browser::start(&self.url()).await;
        b.login(&email, &password).await;
        b
    }

    /// Stops the server and drops the database.
    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        if let Some(sb) = self.sandbox.take() {
            sb.stop().await;
        }
        self.db.drop_now().await;
    }
}

/// The shop of every test app (the footer of its e-mails).
pub fn test_shop() -> ShopInfo {
    ShopInfo {
        name: "テスト商店".into(),
        company: "株式会社テスト".into(),
        address: "東京都千代田区千代田1-1".into(),
        phone: "03-1234-5678".into(),
        email: "shop@example.jp".into(),
        url: "https://shop.example.jp".into(),
        ..ShopInfo::default()
    }
}

/// Plain SMTP to the test kit's sink.
pub fn test_mail(port: u16) -> MailSettings {
    MailSettings {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        timeout_secs: 5,
        ..MailSettings::default()
    }
}

/// Declares each listed `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`: the conformance suite runs against both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await;
                }
            )*
        }
    };
}
