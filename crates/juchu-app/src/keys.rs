//! API keys: a random secret shown once; only its SHA-256 is stored.

use crate::{App, AppError};
use juchu_domain::Role;
use juchu_store::{ApiKeyRecord, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Shown once; keep it.
    pub secret: String,
}

/// By hand, so that the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("secret", &"***")
            .finish()
    }
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl App {
    pub async fn create_api_key(&self, name: &str, role: Role) -> Result<NewApiKey, AppError> {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", "must be 1–100 characters"));
        }
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("jk_{}", hex::encode(bytes));
        self.insert_key(name.trim(), role, &secret).await
    }

    async fn insert_key(
        &self,
        name: &str,
        role: Role,
        secret: &str,
    ) -> Result<NewApiKey, AppError> {
        let rec = ApiKeyRecord {
            id: format!("key_{}", uuid::Uuid::now_v7().simple()),
            name: name.to_owned(),
            role,
            secret_hash: hash_secret(secret),
            created_at: self.now(),
        };
        self.store.insert_api_key(&rec).await?;
        Ok(NewApiKey {
            id: rec.id,
            name: rec.name,
            role,
            secret: secret.to_owned(),
        })
    }

    /// `JUCHU_ADMIN_TOKEN`: makes sure an admin key with this secret exists.
    pub async fn ensure_admin_token(&self, secret: &str) -> Result<(), AppError> {
        if secret.len() < 16 {
            return Err(AppError::invalid(
                "JUCHU_ADMIN_TOKEN",
                "must be at least 16 characters",
            ));
        }
        if self
            .store
            .api_key_by_hash(&hash_secret(secret))
            .await?
            .is_some()
        {
            return Ok(());
        }
        match self
            .insert_key("admin (JUCHU_ADMIN_TOKEN)", Role::Admin, secret)
            .await
        {
            Ok(_) => Ok(()),
            // Another process created it at the same moment.
            Err(AppError::Busy) | Err(AppError::Store(StoreError::Conflict(_))) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The key a bearer secret belongs to.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<ApiKeyRecord>, AppError> {
        Ok(self.store.api_key_by_hash(&hash_secret(secret)).await?)
    }
}
