//! What every console page gets: the app, the signed-in user, the language and the CSRF token.

use crate::error::ConsoleError;
use crate::i18n::Lang;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use juchu_app::App;
use juchu_domain::{Actor, Role};

/// Shared by every console handler.
#[derive(Clone)]
pub struct ConsoleState {
    pub app: App,
}

impl ConsoleState {
    pub fn new(app: App) -> Self {
        ConsoleState { app }
    }
}

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub id: String,
    pub email: String,
    pub role: Role,
}

/// The request context of a signed-in page: who, in which language, and the CSRF token every
/// form on the page must send back (`<input type="hidden" name="csrf" value="{{ page.csrf }}">`).
#[derive(Debug, Clone)]
pub struct Page {
    pub user: ConsoleUser,
    pub lang: Lang,
    pub csrf: String,
    /// The path of this request (for the language toggle's return address and the nav highlight).
    pub path: String,
}

impl Page {
    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.user.id.clone(),
            role: self.user.role,
        }
    }

    /// Shorthand for templates: `{{ page.t("受注", "Orders") }}`.
    pub fn t<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        self.lang.t(ja, en)
    }

    /// Refuses unless the user has one of `roles` (admin always may), like the API's keys.
    pub fn require(&self, roles: &[Role]) -> Result<(), ConsoleError> {
        if self.user.role == Role::Admin || roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(self.user.role))
        }
    }
}

impl FromRequestParts<ConsoleState> for Page {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        crate::pages::session::page_of(parts, state).await
    }
}
