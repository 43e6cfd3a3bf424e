use crate::status::OrderStatus;

/// Why the domain refused an action. Nothing has changed when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("order is {from}; it cannot become {to}: {why}")]
    InvalidTransition {
        from: OrderStatus,
        to: OrderStatus,
        why: String,
    },
    #[error("{action} is not possible while the order is {status}: {why}")]
    NotAllowed {
        action: &'static str,
        status: OrderStatus,
        why: String,
    },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0} not found on this order")]
    NotFound(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One invalid field of a request (`errors: [{field, message}]` in a 422).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}
