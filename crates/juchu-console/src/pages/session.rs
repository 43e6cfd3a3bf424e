//! Login, logout, the language toggle and the session behind every signed-in page.
//!
//! The session cookie holds a random secret; the database holds its SHA-256, the user and the
//! session's CSRF token. Forms shown before signing in (login, language) use a double-submit token
//! instead: a random `juchu_login` cookie repeated in a hidden field.

use crate::ctx::{ConsoleState, ConsoleUser, CsrfForm, Flash, Page, same_secret, see_other};
use crate::error::ConsoleError;
use crate::i18n::Lang;
use crate::routes::Routes;
use crate::{cookies, render};
use askama::Template;
use axum::extract::{ConnectInfo, Form, FromRequest, Query, State};
use axum::http::Request;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use rand::RngCore;
use serde::Deserialize;
use std::net::SocketAddr;

pub fn router() -> Routes {
    Routes::default()
        .get("/login", login_form)
        .post("/login", login)
        .post("/logout", logout)
        .post("/lang", set_lang)
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_cookie(cookies::get(headers, cookies::LANG).as_deref())
}

/// The signed-in page context of a request, or a redirect to the login page.
pub async fn page_of(parts: &Parts, state: &ConsoleState) -> Result<Page, ConsoleError> {
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    // After signing in, come back to the page asked for (a form post cannot be repeated: home).
    let next = if parts.method == Method::GET {
        uri.clone()
    } else {
        "/".to_owned()
    };
    let Some(secret) = cookies::get(&parts.headers, cookies::SESSION) else {
        return Err(ConsoleError::Login { next });
    };
    let Some(session) = state.app.session(&secret).await? else {
        return Err(ConsoleError::Login { next });
    };
    Ok(Page {
        user: ConsoleUser {
            id: session.user.id,
            email: session.user.email,
            role: session.user.role,
        },
        lang: lang_of(&parts.headers),
        csrf: session.csrf,
        path: parts.uri.path().to_owned(),
        uri,
        flash: cookies::get(&parts.headers, cookies::FLASH)
            .as_deref()
            .and_then(Flash::from_cookie),
    })
}

/// `next` when it is a path of this site, else `/` (no open redirect to another host).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    flash: Option<Flash>,
}

impl LoginPage {
    pub fn t<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        self.lang.t(ja, en)
    }
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

fn new_token() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The login form's token: the browser's `juchu_login` cookie, or a new one (set on the response).
fn login_token(headers: &HeaderMap) -> (String, bool) {
    match cookies::get(headers, cookies::LOGIN_CSRF) {
        Some(t) if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) => (t, false),
        _ => (new_token(), true),
    }
}

fn login_response(
    s: &ConsoleState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let (csrf, fresh) = login_token(headers);
    let flash = cookies::get(headers, cookies::FLASH)
        .as_deref()
        .and_then(Flash::from_cookie);
    let page = LoginPage {
        lang: lang_of(headers),
        csrf: csrf.clone(),
        next: safe_next(next).to_owned(),
        email: email.to_owned(),
        error,
        flash,
    };
    let mut r = (status, render(&page)?).into_response();
    if fresh {
        r.headers_mut().append(
            SET_COOKIE,
            cookies::set(&s.config, cookies::LOGIN_CSRF, &csrf, None),
        );
    }
    Ok(r)
}

async fn login_form(
    State(s): State<ConsoleState>,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let next = q.next.unwrap_or_else(|| "/".to_owned());
    // Signed in already: straight on.
    if let Some(secret) = cookies::get(&headers, cookies::SESSION)
        && s.app.session(&secret).await?.is_some()
    {
        return Ok(see_other(safe_next(&next)));
    }
    login_response(&s, &headers, StatusCode::OK, &next, "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The client's address for the rate limit: the TCP peer, or behind a trusted proxy the
/// right-most `X-Forwarded-For` entry.
fn client_ip<B>(s: &ConsoleState, req: &Request<B>) -> Option<String> {
    if s.config.trust_forwarded_for
        && let Some(v) = req.headers().get("x-forwarded-for")
        && let Ok(v) = v.to_str()
        && let Some(last) = v.rsplit(',').next()
        && !last.trim().is_empty()
    {
        return Some(last.trim().to_owned());
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

async fn login(
    State(s): State<ConsoleState>,
    req: axum::extract::Request,
) -> Result<Response, ConsoleError> {
    let ip = client_ip(&s, &req);
    let headers = req.headers().clone();
    let Form(f): Form<LoginForm> = Form::from_request(req, &s)
        .await
        .map_err(|e| ConsoleError::BadRequest(e.body_text()))?;
    let expected = cookies::get(&headers, cookies::LOGIN_CSRF).unwrap_or_default();
    if !same_secret(&f.csrf, &expected) {
        return Err(ConsoleError::Csrf);
    }
    let lang = lang_of(&headers);
    if let Some(wait) = s.limiter.blocked(&f.email, ip.as_deref()) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let msg = match lang {
            Lang::Ja => format!(
                "ログインの失敗が続いたため、一時的にログインを止めています。{minutes}分後にもう一度お試しください。"
            ),
            Lang::En => format!(
                "Too many failed logins: signing in is paused for now. Try again in {minutes} minutes."
            ),
        };
        let mut r = login_response(
            &s,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            &f.next,
            &f.email,
            Some(msg),
        )?;
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let Some(user) = s.app.verify_login(&f.email, &f.password).await? else {
        s.limiter.failed(&f.email, ip.as_deref());
        tracing::info!(ip = ip.as_deref().unwrap_or("-"), "console login refused");
        let msg = lang.t(
            "メールアドレスまたはパスワードが違います。",
            "Wrong e-mail address or password.",
        );
        return login_response(
            &s,
            &headers,
            StatusCode::UNAUTHORIZED,
            &f.next,
            &f.email,
            Some(msg.to_owned()),
        );
    };
    s.limiter.succeeded(&f.email);
    let hours = i64::from(s.config.session_hours.max(1));
    let session = s
        .app
        .start_session(&user, SignedDuration::from_hours(hours))
        .await?;
    tracing::info!(user = %user.id, "console login");
    let mut r = see_other(safe_next(&f.next));
    let h = r.headers_mut();
    h.append(
        SET_COOKIE,
        cookies::set(
            &s.config,
            cookies::SESSION,
            &session.secret,
            Some(hours * 3600),
        ),
    );
    h.append(SET_COOKIE, cookies::clear(&s.config, cookies::LOGIN_CSRF));
    Ok(r)
}

async fn logout(
    State(s): State<ConsoleState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, ConsoleError> {
    if let Some(secret) = cookies::get(&headers, cookies::SESSION) {
        s.app.end_session(&secret).await?;
    }
    let mut r = s.redirect_flash(
        "/login",
        Flash::ok(page.t("ログアウトしました。", "You are logged out.")),
    );
    r.headers_mut()
        .append(SET_COOKIE, cookies::clear(&s.config, cookies::SESSION));
    Ok(r)
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
struct Empty {}

#[derive(Deserialize)]
struct LangForm {
    #[serde(default)]
    csrf: String,
    lang: Lang,
    #[serde(default)]
    next: String,
}

/// The language toggle: signed in, the session's token; on the login page, the login token.
async fn set_lang(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Form(f): Form<LangForm>,
) -> Result<Response, ConsoleError> {
    let session = match cookies::get(&headers, cookies::SESSION) {
        Some(secret) => s.app.session(&secret).await?,
        None => None,
    };
    let expected = match session {
        Some(live) => live.csrf,
        None => cookies::get(&headers, cookies::LOGIN_CSRF).unwrap_or_default(),
    };
    if !same_secret(&f.csrf, &expected) {
        return Err(ConsoleError::Csrf);
    }
    let mut r = see_other(safe_next(&f.next));
    r.headers_mut().append(
        SET_COOKIE,
        cookies::set(
            &s.config,
            cookies::LANG,
            f.lang.code(),
            Some(365 * 24 * 3600),
        ),
    );
    Ok(r)
}
