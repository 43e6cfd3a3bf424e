/// Why the store refused or failed. Conflicts are expected under concurrency and mean "nothing was
/// written"; `Backend` is a real fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the order changed meanwhile (expected version {expected})")]
    VersionConflict { expected: i64 },
    #[error("not enough stock of {sku} in {warehouse}")]
    InsufficientStock { warehouse: String, sku: String },
    #[error("customer {customer_id} has {balance} points, fewer than the {wanted} asked for")]
    InsufficientPoints {
        customer_id: String,
        balance: i64,
        wanted: i64,
    },
    #[error("an order with this channel and external id exists: {existing}")]
    DuplicateOrder { existing: String },
    #[error("the job lease was lost")]
    LeaseLost,
    /// A deposit with this source key was stored before (the change set wrote nothing).
    #[error("deposit {0} was received before")]
    DuplicateDeposit(String),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("storage backend: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether retrying the same command with fresh data may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::VersionConflict { .. }
                | StoreError::InsufficientStock { .. }
                | StoreError::InsufficientPoints { .. }
                | StoreError::LeaseLost
        )
    }
}
