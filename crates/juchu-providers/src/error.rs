//! The one error type every port returns: it says which provider, what was asked and what was
//! wrong, and whether asking again could help.

use std::fmt;

/// Which provider answered (or failed to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// The card gateway (GMO-PG idPass protocol).
    Card,
    /// The deferred-payment service (NP後払い REST v1).
    Deferred,
    /// Amazon Pay API v2.
    AmazonPay,
    /// The bank (virtual accounts, statements, payouts).
    Bank,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Card => "card gateway",
            Provider::Deferred => "deferred payment",
            Provider::AmazonPay => "Amazon Pay",
            Provider::Bank => "bank",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong with a provider call. Only [`ProviderError::Unavailable`] is worth retrying
/// later (with the same idempotency key); every other variant is the provider's final word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// A business decline: the issuer, the credit check or the wallet said no. Not retried.
    #[error("{provider}: {operation} declined ({code}): {message}")]
    Declined {
        provider: Provider,
        operation: &'static str,
        code: String,
        message: String,
    },
    /// The authorisation ran out (仮売上有効期間超過): authorise again with the stored card.
    #[error("{provider}: {operation} refused, the authorisation has expired ({code})")]
    Expired {
        provider: Provider,
        operation: &'static str,
        code: String,
    },
    /// The transaction exists but is in a state that does not allow this (capture after void,
    /// update after the shipment report, an amount above what was authorised, a reused order id).
    #[error(
        "{provider}: {operation} refused in the transaction's current state ({code}): {message}"
    )]
    Rejected {
        provider: Provider,
        operation: &'static str,
        code: String,
        message: String,
    },
    /// The provider does not know the transaction.
    #[error("{provider}: {operation}: no such transaction ({code}): {message}")]
    NotFound {
        provider: Provider,
        operation: &'static str,
        code: String,
        message: String,
    },
    /// The request was refused as malformed (bad field, bad credentials), or we refused to send it.
    #[error("{provider}: {operation}: invalid request ({code}): {message}")]
    Invalid {
        provider: Provider,
        operation: &'static str,
        code: String,
        message: String,
    },
    /// Transport errors, timeouts or 5xx on every attempt. The effect may or may not have been
    /// applied: retry with the same idempotency key to find out without applying it twice.
    #[error("{provider}: {operation} unavailable after {attempts} attempt(s): {detail}")]
    Unavailable {
        provider: Provider,
        operation: &'static str,
        attempts: u32,
        detail: String,
    },
    /// The provider answered something we cannot read.
    #[error("{provider}: {operation}: unexpected answer: {detail}")]
    Protocol {
        provider: Provider,
        operation: &'static str,
        detail: String,
    },
}

impl ProviderError {
    /// Whether calling again (later, with the same idempotency key) could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::Unavailable { .. })
    }

    /// Whether this is a business decline (a hold on the order, not an incident).
    pub fn is_decline(&self) -> bool {
        matches!(self, ProviderError::Declined { .. })
    }

    pub fn provider(&self) -> Provider {
        match self {
            ProviderError::Declined { provider, .. }
            | ProviderError::Expired { provider, .. }
            | ProviderError::Rejected { provider, .. }
            | ProviderError::NotFound { provider, .. }
            | ProviderError::Invalid { provider, .. }
            | ProviderError::Unavailable { provider, .. }
            | ProviderError::Protocol { provider, .. } => *provider,
        }
    }

    /// The provider's own code, where it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ProviderError::Declined { code, .. }
            | ProviderError::Expired { code, .. }
            | ProviderError::Rejected { code, .. }
            | ProviderError::NotFound { code, .. }
            | ProviderError::Invalid { code, .. } => Some(code),
            ProviderError::Unavailable { .. } | ProviderError::Protocol { .. } => None,
        }
    }

    pub(crate) fn invalid(
        provider: Provider,
        operation: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ProviderError::Invalid {
            provider,
            operation,
            code: "client".into(),
            message: message.into(),
        }
    }

    pub(crate) fn protocol(
        provider: Provider,
        operation: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ProviderError::Protocol {
            provider,
            operation,
            detail: detail.into(),
        }
    }
}
