//! Console users (issue 8): argon2id password hashes, and sessions whose cookie secret is random
//! and stored only as its SHA-256, like API keys.

use crate::keys::hash_secret;
use crate::{App, AppError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jiff::{SignedDuration, Timestamp};
use juchu_domain::Role;
use juchu_store::{SessionRecord, StoreError, UserRecord};
use rand::RngCore;
use std::sync::OnceLock;

/// Shortest password `create_user` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
}

impl From<UserRecord> for UserView {
    fn from(u: UserRecord) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            role: u.role,
            created_at: u.created_at,
        }
    }
}

/// A session just started: the secret goes into the cookie and is not stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// A signed-in session found by its cookie secret.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user: UserView,
    pub csrf: String,
    pub expires_at: Timestamp,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Lower-cased, trimmed e-mail, or why it is not one.
fn normalize_email(email: &str) -> Result<String, AppError> {
    let e = email.trim().to_lowercase();
    let ok = e.chars().count() <= 254
        && !e.chars().any(char::is_whitespace)
        && matches!(e.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if ok {
        Ok(e)
    } else {
        Err(AppError::invalid("email", "is not an e-mail address"))
    }
}

fn check_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=1024).contains(&n) {
        return Err(AppError::invalid(
            "password",
            format!("must be {MIN_PASSWORD_CHARS}–1024 characters"),
        ));
    }
    Ok(())
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's recommendation). CPU-heavy on
/// purpose, so it runs on the blocking pool.
async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("password hashing: {e}")))?
    .map_err(|e| AppError::Unavailable(format!("password hashing: {e}")))
}

async fn verify_password(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches, checked when the e-mail is unknown so that a wrong e-mail takes as
/// long as a wrong password (the response time does not tell which e-mails exist).
async fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if DUMMY.get().is_none() {
        let h = hash_password(&random_hex(16)).await.ok()?;
        let _ = DUMMY.set(h);
    }
    DUMMY.get().map(String::as_str)
}

impl App {
    /// Adds a console user (`juchu user create`).
    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<UserView, AppError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let rec = UserRecord {
            id: format!("usr_{}", uuid::Uuid::now_v7().simple()),
            email,
            password_hash: hash_password(password).await?,
            role,
            created_at: self.now(),
        };
        match self.store.insert_user(&rec).await {
            Ok(()) => Ok(rec.into()),
            Err(StoreError::Conflict(_)) => {
                Err(AppError::invalid("email", "a user with this e-mail exists"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sets a new password; the user's sessions end.
    pub async fn set_user_password(&self, email: &str, password: &str) -> Result<(), AppError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let hash = hash_password(password).await?;
        if self.store.set_user_password(&email, &hash).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("user {email}")))
        }
    }

    pub async fn list_users(&self) -> Result<Vec<UserView>, AppError> {
        Ok(self
            .store
            .list_users()
            .await?
            .into_iter()
            .map(UserView::from)
            .collect())
    }

    /// The user these credentials belong to, or `None` (the same for an unknown e-mail and a
    /// wrong password).
    pub async fn verify_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<UserView>, AppError> {
        let user = match normalize_email(email) {
            Ok(e) => self.store.user_by_email(&e).await?,
            Err(_) => None,
        };
        match user {
            Some(u) if verify_password(password, &u.password_hash).await => Ok(Some(u.into())),
            Some(_) => Ok(None),
            None => {
                if let Some(h) = dummy_hash().await {
                    verify_password(password, h).await;
                }
                Ok(None)
            }
        }
    }

    /// Starts a session of `ttl` for a user who just signed in; expired sessions are swept.
    pub async fn start_session(
        &self,
        user: &UserView,
        ttl: SignedDuration,
    ) -> Result<NewSession, AppError> {
        let now = self.now();
        self.store.delete_expired_sessions(now).await?;
        let secret = random_hex(32);
        let rec = SessionRecord {
            id: hash_secret(&secret),
            user_id: user.id.clone(),
            csrf: random_hex(24),
            created_at: now,
            expires_at: now
                .checked_add(ttl)
                .map_err(|e| AppError::invalid("session_hours", e.to_string()))?,
        };
        self.store.insert_session(&rec).await?;
        Ok(NewSession {
            secret,
            csrf: rec.csrf,
            expires_at: rec.expires_at,
        })
    }

    /// The live session a cookie secret names.
    pub async fn session(&self, secret: &str) -> Result<Option<LiveSession>, AppError> {
        let found = self
            .store
            .live_session(&hash_secret(secret), self.now())
            .await?;
        Ok(found.map(|(s, u)| LiveSession {
            user: u.into(),
            csrf: s.csrf,
            expires_at: s.expires_at,
        }))
    }

    /// Logs out: the session is deleted, its cookie is worth nothing from now on.
    pub async fn end_session(&self, secret: &str) -> Result<(), AppError> {
        Ok(self.store.delete_session(&hash_secret(secret)).await?)
    }
}
