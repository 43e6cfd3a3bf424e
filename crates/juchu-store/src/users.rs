//! Storage port for console users and their sessions (issue 8). A supertrait of `Store`, SQL in
//! each backend's `users.rs`. Passwords are stored as argon2 PHC strings and sessions by the
//! SHA-256 of their cookie secret, so a copy of the database signs nobody in.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    /// Lower case; unique.
    pub email: String,
    /// An argon2 PHC string (`$argon2id$v=19$…`).
    pub password_hash: String,
    pub role: Role,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 (hex) of the cookie secret.
    pub id: String,
    pub user_id: String,
    /// The token every form of the session sends back.
    pub csrf: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Adds a user; `StoreError::Conflict` when the e-mail is taken.
    async fn insert_user(&self, user: &UserRecord) -> Result<()>;
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;
    /// Every user, by e-mail.
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    /// Replaces a user's password hash (and ends their sessions); `false` when no such user.
    async fn set_user_password(&self, email: &str, password_hash: &str) -> Result<bool>;
    async fn insert_session(&self, session: &SessionRecord) -> Result<()>;
    /// The session with this id and its user, unless it expired before `now`.
    async fn live_session(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<(SessionRecord, UserRecord)>>;
    async fn delete_session(&self, id: &str) -> Result<()>;
    /// Deletes sessions that expired before `now`; how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64>;
}
