//! Ports for the payment providers and their HTTP clients (ARCHITECTURE.md: `juchu-providers`).
//!
//! One async trait per kind of provider — [`CardGateway`], [`DeferredPayment`], [`AmazonPay`],
//! [`Bank`] —
//! each with an HTTP client to a configured base URL ([`ProvidersConfig`]). Every client has a
//! per-call timeout, retries with exponential backoff on transport errors, timeouts and 5xx (never
//! on business declines), and sends the same idempotency key on every retry of a mutating call.
//! Provider statuses and error codes are mapped into our types; failures are a typed
//! [`ProviderError`]. See docs/providers.md.

pub mod amazon;
pub mod bank;
pub mod card;
pub mod config;
pub mod deferred;
pub mod error;
pub mod transport;

pub use amazon::{AmazonPay, AmazonPayClient, Charge, ChargePermission, ChargeState, Refund};
pub use bank::{Bank, BankClient, PayoutRequest, StatementLayout, VirtualAccount};
pub use card::{
    CardAuthRef, CardAuthorization, CardGateway, CardSource, CardTrade, CardTradeStatus,
    GmoCardGateway,
};
pub use config::{
    AmazonPayConfig, BankConfig, CardConfig, DeferredConfig, HttpSettings, ProvidersConfig, Secret,
};
pub use deferred::{
    DeferredDecision, DeferredPayment, DeferredRegistration, DeferredTransaction,
    NpDeferredPayment, np_carrier_code,
};
pub use error::{Provider, ProviderError};
pub use transport::{IdempotencyKey, TransportStats};

/// The clients built from one configuration.
#[derive(Debug, Clone)]
pub struct Providers {
    pub card: GmoCardGateway,
    pub deferred: NpDeferredPayment,
    pub amazon_pay: AmazonPayClient,
    pub bank: BankClient,
}

impl Providers {
    pub fn new(config: &ProvidersConfig) -> Result<Self, ProviderError> {
        Ok(Providers {
            card: GmoCardGateway::new(config.card.clone(), config.card_http())?,
            deferred: NpDeferredPayment::new(config.deferred.clone(), config.deferred_http())?,
            amazon_pay: AmazonPayClient::new(config.amazon_pay.clone(), config.amazon_pay_http())?,
            bank: BankClient::new(config.bank.clone(), config.bank_http())?,
        })
    }

    /// The clients' attempts and transient failures added up.
    pub fn stats(&self) -> TransportStats {
        [
            self.card.stats(),
            self.deferred.stats(),
            self.amazon_pay.stats(),
            self.bank.stats(),
        ]
        .iter()
        .fold(TransportStats::default(), |a, s| TransportStats {
            attempts: a.attempts + s.attempts,
            transient_failures: a.transient_failures + s.transient_failures,
        })
    }
}
