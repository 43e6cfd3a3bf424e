use juchu_domain::{DomainError, FieldError, OrderStatus};
use juchu_store::StoreError;

/// Why a use case refused or failed. Every refusal leaves the data as it was.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{detail}")]
    InvalidTransition {
        status: Option<OrderStatus>,
        detail: String,
    },
    #[error("the order has changed (version {current}); reload it and try again")]
    VersionConflict { current: i64 },
    #[error("not enough stock of {sku} in {warehouse}")]
    InsufficientStock { warehouse: String, sku: String },
    #[error("customer {customer_id} has {balance} points, fewer than the {wanted} asked for")]
    InsufficientPoints {
        customer_id: String,
        balance: i64,
        wanted: i64,
    },
    #[error("an order with this channel and external id exists")]
    DuplicateOrder { order_id: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("the request conflicts with concurrent work; retry")]
    Busy,
    /// A provider (payment gateway, SMTP server, …) cannot be reached now; retried later.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(StoreError),
    /// Sending a customer e-mail failed (the worker retries it).
    #[error("mail: {0}")]
    Mail(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// The error as one line (every invalid field named), for a row of an import's result or a
    /// message on a page.
    pub fn one_line(&self) -> String {
        match self {
            AppError::Invalid(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InsufficientStock { warehouse, sku } => {
                AppError::InsufficientStock { warehouse, sku }
            }
            StoreError::InsufficientPoints {
                customer_id,
                balance,
                wanted,
            } => AppError::InsufficientPoints {
                customer_id,
                balance,
                wanted,
            },
            StoreError::DuplicateOrder { existing } => {
                AppError::DuplicateOrder { order_id: existing }
            }
            StoreError::VersionConflict { .. }
            | StoreError::Conflict(_)
            | StoreError::LeaseLost => AppError::Busy,
            other => AppError::Store(other),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::InvalidTransition { from, .. } => AppError::InvalidTransition {
                status: Some(from),
                detail: e.to_string(),
            },
            DomainError::NotAllowed { status, .. } => AppError::InvalidTransition {
                status: Some(status),
                detail: e.to_string(),
            },
            DomainError::Invalid { field, message } => {
                AppError::Invalid(vec![FieldError { field, message }])
            }
            DomainError::NotFound(what) => AppError::NotFound(what),
        }
    }
}
