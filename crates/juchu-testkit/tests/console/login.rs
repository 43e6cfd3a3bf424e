//! Users, login, logout, CSRF and the login rate limit.

use juchu_domain::Role;
use juchu_testkit::{Backend, Browser, ConsoleHttp, TestApp};

/// An operator signs in with the right password, sees the console, and logs out; the wrong
/// password is refused with a message and no session.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_and_logout_in_the_browser() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let (email, password) = t.console_user(Role::Operator).await;
    let b = Browser::start(&t.url()).await;

    // Signed out, a console page sends you to the login form (and back afterwards).
    b.goto("/orders?status=allocated").await;
    b.wait_for("#email").await;
    assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
    b.fill("#email", &email).await;
    b.fill("#password", "not the password").await;
    b.click("form[action='/login'] button[type=submit]").await;
    let err = b.text("#login-error").await;
    assert!(err.contains("パスワードが違います"), "{err}");

    b.fill("#password", &password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    let who = b.text("header.top .user").await;
    assert!(who.contains(&email) && who.contains("operator"), "{who}");
    assert_eq!(b.path().await, "/orders?status=allocated");

    // The language toggle switches the page to English and back.
    b.click("form[action='/lang'] button").await;
    b.wait_for("html[lang=en]").await;
    assert!(b.page_text().await.contains("Log out"));
    b.click("form[action='/lang'] button").await;
    b.wait_for("html[lang=ja]").await;

    b.click("form[action='/logout'] button").await;
    let flash = b.text(".flash.ok").await;
    assert!(flash.contains("ログアウトしました"), "{flash}");
    b.goto("/").await;
    b.wait_for("#email").await;
    b.quit().await;
    t.stop().await;
}

/// A form posted without the session's CSRF token is refused with 403 and does nothing; the
/// session cookie is HttpOnly, SameSite and Secure.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forms_without_the_csrf_token_are_refused() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let (email, password) = t.console_user(Role::Admin).await;
    let mut c = ConsoleHttp::new(&t.url());

    // The login form itself needs its token.
    c.get("/login").await;
    let r = c
        .post(
            "/login",
            &[("email", email.as_str()), ("password", password.as_str())],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let r = c.login(&email, &password).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let set: Vec<String> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set
        .iter()
        .find(|v| v.starts_with("juchu_session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }

    // Logout without the token: refused, still signed in.
    let r = c.post("/logout", &[]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Form expired"), "{}", r.body);
    let r = c.get("/").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // With a wrong token: refused too.
    let r = c.post("/logout", &[("csrf", "0000")]).await;
    assert_eq!(r.status, 403);
    // With the page's token: logged out.
    let csrf = c.get("/").await.hidden("csrf").expect("token");
    let r = c.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    let r = c.get("/").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().starts_with("/login"));
    t.stop().await;
}

/// Five failed logins for one e-mail within the window: the sixth try is refused with 429, even
/// with the right password; other users are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn repeated_failed_logins_are_rate_limited() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let (email, password) = t.console_user(Role::Operator).await;
    let (other, other_password) = t.console_user(Role::Warehouse).await;
    let mut c = ConsoleHttp::new(&t.url());
    for _ in 0..5 {
        let r = c.login(&email, "wrong password!").await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let r = c.login(&email, &password).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("ログインの失敗が続いた"), "{}", r.body);
    assert!(r.headers.get("retry-after").is_some());
    assert!(!c.cookies.contains_key("juchu_session"));

    let mut c2 = ConsoleHttp::new(&t.url());
    let r = c2.login(&other, &other_password).await;
    assert_eq!(r.status, 303, "{}", r.body);
    t.stop().await;
}
