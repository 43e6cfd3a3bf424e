//! Who did something: a user, an API key, a system job or an external service.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Roles of API keys and console users (API.md "Conventions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Operator,
    Warehouse,
    Storefront,
    Accounting,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Warehouse,
        Role::Storefront,
        Role::Accounting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Warehouse => "warehouse",
            Role::Storefront => "storefront",
            Role::Accounting => "accounting",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (admin, operator, warehouse, storefront, accounting)")
            })
    }
}

/// Who may do what (API.md "Conventions"): a key or console user may do only what its role needs
/// (admin always may). The API (`juchu-http`) and the console check the same sets.
pub mod roles {
    use super::Role::{self, *};
    pub const READ: &[Role] = &[Operator, Warehouse, Storefront, Accounting];
    pub const MASTER_WRITE: &[Role] = &[Operator];
    pub const STOCK_WRITE: &[Role] = &[Operator, Warehouse];
    pub const ORDER_CREATE: &[Role] = &[Operator, Storefront];
    pub const ORDER_CANCEL: &[Role] = &[Operator, Storefront];
    pub const ORDER_REVIEW: &[Role] = &[Operator];
    pub const PAYMENT_CONFIRM: &[Role] = &[Operator, Accounting];
    pub const SHIPPING: &[Role] = &[Operator, Warehouse];
    /// Announcing a return: the shop, the customer's storefront, or the warehouse that got it.
    pub const RETURN_REQUEST: &[Role] = &[Operator, Storefront, Warehouse];
    pub const ACCOUNTING: &[Role] = &[Operator, Accounting];
    pub const ADMIN: &[Role] = &[];
    pub const MONITOR: &[Role] = &[Operator];
    /// Reading the audit log (who did what).
    pub const AUDIT: &[Role] = &[Operator];
}

/// The author of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// An API key (by id and role).
    ApiKey { id: String, role: Role },
    /// A console user.
    User { id: String, role: Role },
    /// A background job of juchu itself.
    System { job: String },
    /// An external service (payment gateway, bank, carrier).
    Service { name: String },
}

impl Actor {
    /// `api_key:…`, `user:…`, `system:…` or `service:…`: who did it, for records.
    pub fn label(&self) -> String {
        match self {
            Actor::ApiKey { id, .. } => format!("api_key:{id}"),
            Actor::User { id, .. } => format!("user:{id}"),
            Actor::System { job } => format!("system:{job}"),
            Actor::Service { name } => format!("service:{name}"),
        }
    }
}

impl Actor {
    pub fn system(job: &str) -> Self {
        Actor::System {
            job: job.to_owned(),
        }
    }

    /// The role this actor acts with, if it is a person or key.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::ApiKey { role, .. } | Actor::User { role, .. } => Some(*role),
            Actor::System { .. } | Actor::Service { .. } => None,
        }
    }

    /// Whether the actor acts as the customer (storefront keys do).
    pub fn is_customer(&self) -> bool {
        self.role() == Some(Role::Storefront)
    }
}
