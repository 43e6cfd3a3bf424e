//! API keys with roles: `Authorization: Bearer <secret>`. No key → 401; wrong role → 403.

use crate::audit::AuditNote;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use juchu_domain::{Actor, Role};

/// The caller, authenticated.
#[derive(Debug, Clone)]
pub struct Auth {
    pub key_id: String,
    pub role: Role,
}

impl Auth {
    pub fn actor(&self) -> Actor {
        Actor::ApiKey {
            id: self.key_id.clone(),
            role: self.role,
        }
    }

    /// Refuses with 403 unless the caller has one of `roles` (admin always may).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "a {} key may not do this; it needs one of: admin, {}",
                self.role.as_str(),
                allowed.join(", ")
            )))
        }
    }
}

/// Who may do what: the role sets live in the domain, shared with the console's users.
pub use juchu_domain::actor::roles;

/// The secret of `Authorization: Bearer <secret>`, when the header is well-formed.
pub(crate) fn bearer_secret(v: &HeaderValue) -> Option<&str> {
    let v = v.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 256)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(bearer_secret)
            .ok_or(ApiError::Unauthorized)?;
        let note = parts.extensions.get::<AuditNote>().cloned();
        if let Some(hit) = state.key_cache.get(secret) {
            if let Some(n) = note {
                n.actor(hit.actor().label());
            }
            return Ok(hit);
        }
        let key = state
            .app
            .authenticate(secret)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let auth = Auth {
            key_id: key.id,
            role: key.role,
        };
        state.key_cache.put(secret, auth.clone());
        if let Some(n) = note {
            n.actor(auth.actor().label());
        }
        Ok(auth)
    }
}
