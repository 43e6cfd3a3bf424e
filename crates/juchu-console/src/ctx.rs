//! What every console page gets: the app, the signed-in user, the language, the CSRF token and
//! the flash message of the previous POST; and `CsrfForm`, the extractor of every form post.

use crate::config::ConsoleConfig;
use crate::cookies;
use crate::error::ConsoleError;
use crate::i18n::Lang;
use crate::ratelimit::LoginLimiter;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use juchu_app::App;
use juchu_domain::{Actor, Role};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Largest form body `CsrfForm` reads (uploads use multipart and their own limit).
const FORM_LIMIT: usize = 1 << 20;

/// Shared by every console handler.
#[derive(Clone)]
pub struct ConsoleState {
    pub app: App,
    pub config: Arc<ConsoleConfig>,
    pub limiter: Arc<LoginLimiter>,
}

impl ConsoleState {
    pub fn new(app: App, config: ConsoleConfig) -> Self {
        ConsoleState {
            app,
            limiter: Arc::new(LoginLimiter::new(&config)),
            config: Arc::new(config),
        }
    }

    /// Redirect after POST (303) to `to`, where the next page shows `flash`.
    pub fn redirect_flash(&self, to: &str, flash: Flash) -> Response {
        let mut r = see_other(to);
        r.headers_mut().append(
            SET_COOKIE,
            cookies::set(&self.config, cookies::FLASH, &flash.cookie_value(), None),
        );
        r
    }
}

/// A 303 See Other to a local path.
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// A one-shot message for the page after a redirect: what was done, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

impl Flash {
    pub fn ok(text: impl Into<String>) -> Flash {
        Flash {
            ok: true,
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash {
            ok: false,
            text: text.into(),
        }
    }

    /// CSS class: `flash ok` or `flash error`.
    pub fn class(&self) -> &'static str {
        if self.ok { "ok" } else { "error" }
    }

    fn cookie_value(&self) -> String {
        // Long messages would overflow the cookie; the page says the rest.
        let text: String = self.text.chars().take(600).collect();
        format!("{}:{text}", if self.ok { "ok" } else { "error" })
    }

    pub(crate) fn from_cookie(v: &str) -> Option<Flash> {
        match v.split_once(':') {
            Some(("ok", t)) => Some(Flash::ok(t)),
            Some(("error", t)) => Some(Flash::error(t)),
            _ => None,
        }
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
    /// The path of this request (for the nav highlight).
    pub path: String,
    /// Path and query of this request (the language toggle's return address).
    pub uri: String,
    /// The message of the POST that redirected here, shown once by the layout.
    pub flash: Option<Flash>,
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
        if self.can(roles) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(self.user.role))
        }
    }

    /// Whether the user has one of `roles` (admin always has): to show only the actions they may take.
    pub fn can(&self, roles: &[Role]) -> bool {
        self.user.role == Role::Admin || roles.contains(&self.user.role)
    }

    /// Refuses (403) unless `token` is this session's CSRF token. `CsrfForm` calls it for
    /// url-encoded forms; a multipart handler calls it with its `csrf` field before it acts on
    /// any file.
    pub fn check_csrf(&self, token: &str) -> Result<(), ConsoleError> {
        if same_secret(token, &self.csrf) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

/// Constant-time comparison of two tokens (no timing hint of how much of a guess was right).
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl FromRequestParts<ConsoleState> for Page {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        // Looked up once per request: `CsrfForm` and the handler's `page` share it.
        if let Some(p) = parts.extensions.get::<Page>() {
            return Ok(p.clone());
        }
        let page = crate::pages::session::page_of(parts, state).await?;
        parts.extensions.insert(page.clone());
        Ok(page)
    }
}

/// A url-encoded form of a signed-in page whose `csrf` field matched the session's token (else
/// 403, and nothing was done). Repeated fields (`order=a&order=b`) fill a `Vec`.
/// Take it last among a handler's arguments (it reads the body): `page: Page, CsrfForm(f): CsrfForm<F>`.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<ConsoleState> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &ConsoleState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let page = Page::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| ConsoleError::BadRequest("the form is too large".into()))?;
        let token: CsrfField =
            serde_html_form::from_bytes(&bytes).map_err(|_| ConsoleError::Csrf)?;
        page.check_csrf(&token.csrf)?;
        let form = serde_html_form::from_bytes(&bytes)
            .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
        Ok(CsrfForm(form))
    }
}
