//! The console's authorisation matrix (docs/security.md "Roles"): every console route × every
//! role, and a visitor who has not signed in, over real HTTP with a session and its CSRF token.
//!
//! - A visitor: a `GET` page redirects (303) to `/login?next=<the page>`; a `POST` redirects to
//!   `/login?next=/` and does nothing.
//! - A role without the right: 403 with the console's "権限がありません / Forbidden" page (not
//!   the CSRF refusal, which is also a 403: every form carries the session's valid token, so the
//!   check reached is the role check).
//! - Allowed: neither of those; a `GET` page also answers below 400.
//!
//! The routes come from `juchu_console::routes()`, the list the console's router is built from: a
//! route missing from `MATRIX` fails the test, so whoever adds a page must say who may use it.
//! The expected access is written from the role sets of `juchu_domain::actor::roles`, by name (the
//! API matrix's, `authz.rs`), not read from the console, so a page that checks the wrong set fails.
//!
//! Path parameters: `GET` pages get ids that exist (an order, its shipping batch, a purchase
//! order, a SKU), so an allowed role really sees the page. `POST` actions get well-formed ids of
//! nothing, so no action changes what the next row reads; an allowed role then gets 404 (or 422
//! for an empty form), which counts as allowed because every console `POST` handler checks the
//! role before it looks anything up. A handler that looked up first would answer a refused role
//! 404 instead of 403, and this test would fail.
//!
//! Both backends: the role checks are the console's own, but who is signed in (users, sessions
//! and their CSRF tokens) comes from each backend's user store.

use super::authz::{
    MASTER_WRITE, ORDER_CANCEL, ORDER_CREATE, ORDER_REVIEW, PAYMENT_CONFIRM, READ, RETURN_REQUEST,
    SHIPPING, STOCK_WRITE, assert_same_routes,
};
use juchu_testkit::{Backend, ConsoleHttp, TestApp, on_both_backends, order_body};
use serde_json::json;

on_both_backends!(every_console_route_refuses_the_roles_it_should);

/// Who may use a console route.
#[derive(Clone, Copy)]
enum Access {
    /// Anyone, signed in or not (the login and language forms, CSS and JavaScript).
    Public,
    /// Anyone signed in, whatever the role.
    SignedIn,
    /// Users of these roles (admin always may).
    Roles(&'static [&'static str]),
}
use Access::*;

/// The bulk page: its shipping part (`SHIPPING`) or its bank statement part (`PAYMENT_CONFIRM`).
const SHIPPING_OR_PAYMENT: &[&str] = &["operator", "warehouse", "accounting"];

/// Every console route and who may use it (the API's set for the same work).
const MATRIX: &[(&str, &str, Access)] = &[
    ("GET", "/static/console.css", Public),
    ("GET", "/static/console.js", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/lang", Public),
    ("POST", "/logout", SignedIn),
    ("GET", "/", Roles(READ)),
    ("GET", "/orders", Roles(READ)),
    ("GET", "/orders/{id}", Roles(READ)),
    ("POST", "/orders/{id}/holds/release", Roles(ORDER_REVIEW)),
    ("POST", "/orders/{id}/edit", Roles(ORDER_CREATE)),
    ("POST", "/orders/{id}/split", Roles(ORDER_REVIEW)),
    ("POST", "/orders/{id}/split-allocated", Roles(ORDER_REVIEW)),
    ("POST", "/orders/{id}/cancel", Roles(ORDER_CANCEL)),
    (
        "POST",
        "/orders/{id}/payment/confirm",
        Roles(PAYMENT_CONFIRM),
    ),
    ("POST", "/orders/{id}/allocate", Roles(ORDER_REVIEW)),
    ("POST", "/orders/{id}/instruct", Roles(SHIPPING)),
    ("POST", "/orders/{id}/shipments/{sid}/ship", Roles(SHIPPING)),
    (
        "POST",
        "/orders/{id}/shipments/{sid}/deliver",
        Roles(SHIPPING),
    ),
    (
        "POST",
        "/orders/{id}/shipments/{sid}/delivery-correction",
        Roles(ORDER_REVIEW),
    ),
    (
        "POST",
        "/orders/{id}/shipments/{sid}/cancel/confirm",
        Roles(SHIPPING),
    ),
    (
        "POST",
        "/orders/{id}/shipments/{sid}/cancel/refuse",
        Roles(SHIPPING),
    ),
    ("POST", "/orders/{id}/returns", Roles(RETURN_REQUEST)),
    (
        "POST",
        "/orders/{id}/returns/{rid}/receive",
        Roles(SHIPPING),
    ),
    ("GET", "/bulk", Roles(SHIPPING_OR_PAYMENT)),
    ("POST", "/bulk/instruct", Roles(SHIPPING)),
    ("GET", "/bulk/batches/{id}", Roles(SHIPPING)),
    ("GET", "/bulk/batches/{id}/export", Roles(SHIPPING)),
    ("POST", "/bulk/tracking", Roles(SHIPPING)),
    ("POST", "/bulk/bank", Roles(PAYMENT_CONFIRM)),
    ("GET", "/master", Roles(READ)),
    ("GET", "/master/policies", Roles(READ)),
    ("GET", "/master/skus", Roles(READ)),
    ("POST", "/master/skus", Roles(MASTER_WRITE)),
    // The edit form.
    ("GET", "/master/skus/{code}", Roles(MASTER_WRITE)),
    ("POST", "/master/skus/{code}", Roles(MASTER_WRITE)),
    ("GET", "/master/stock", Roles(READ)),
    ("POST", "/master/stock/adjust", Roles(STOCK_WRITE)),
    ("POST", "/master/warehouses", Roles(MASTER_WRITE)),
    ("GET", "/master/purchase-orders", Roles(READ)),
    ("POST", "/master/purchase-orders", Roles(MASTER_WRITE)),
    ("GET", "/master/purchase-orders/{id}", Roles(READ)),
    (
        "POST",
        "/master/purchase-orders/{id}/send",
        Roles(MASTER_WRITE),
    ),
    (
        "POST",
        "/master/purchase-orders/{id}/receive",
        Roles(STOCK_WRITE),
    ),
    (
        "POST",
        "/master/purchase-orders/{id}/cancel",
        Roles(MASTER_WRITE),
    ),
    ("GET", "/master/blacklist", Roles(ORDER_REVIEW)),
    ("POST", "/master/blacklist", Roles(ORDER_REVIEW)),
    ("POST", "/master/blacklist/{id}/delete", Roles(ORDER_REVIEW)),
    // The fraud screen's thresholds: operators only, as `GET /api/v1/review/rules`.
    ("GET", "/master/review", Roles(ORDER_REVIEW)),
    ("POST", "/master/review", Roles(ORDER_REVIEW)),
];

/// Form fields beyond the CSRF token.
type Fields = &'static [(&'static str, &'static str)];

/// Forms whose fields narrow who may send them: a return received at once is warehouse work.
const WITH_FIELDS: &[(&str, Fields, Access)] = &[(
    "/orders/{id}/returns",
    &[("received", "on")],
    Roles(SHIPPING),
)];

/// The upload forms, posted as `multipart/form-data`.
const UPLOADS: &[&str] = &["/bulk/tracking", "/bulk/bank"];

const WHO: &[&str] = &[
    "visitor",
    "admin",
    "operator",
    "warehouse",
    "storefront",
    "accounting",
];

/// The double-submit token a client shows the login and language forms (any 32 hex digits).
const LOGIN_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// What exists for the `GET` pages to show.
struct Fixture {
    order: String,
    batch: String,
    purchase_order: String,
    sku: &'static str,
}

/// A client of the console: signed in as a role (with its session's CSRF token), or the visitor.
struct Client {
    who: &'static str,
    http: ConsoleHttp,
    csrf: Option<String>,
    login: Option<(String, String)>,
}

impl Client {
    async fn sign_in(&mut self) {
        let Some((email, password)) = &self.login else {
            return;
        };
        let r = self.http.login(email, password).await;
        assert_eq!(r.status, 303, "{} signs in: {}", self.who, r.body);
        let home = self.http.get("/").await;
        self.csrf = Some(home.hidden("csrf").expect("the page's CSRF token"));
        // The login form's own token, which every browser holds once it has seen that form.
        self.http
            .cookies
            .insert("juchu_login".into(), LOGIN_TOKEN.into());
    }

    /// The token a form posted to `path` carries: the login form's, else the session's.
    fn token(&self, path: &str) -> &str {
        match &self.csrf {
            Some(t) if path != "/login" => t,
            _ => LOGIN_TOKEN,
        }
    }
}

/// A path for a template: `GET` pages get ids that exist, `POST` actions well-formed ids of
/// nothing (see the top of this file).
fn concrete(method: &str, template: &str, f: &Fixture) -> String {
    let nothing = "0190aaaa-0000-7000-8000-000000000000";
    let id = if method != "GET" {
        nothing
    } else if template.starts_with("/orders/") {
        &f.order
    } else if template.starts_with("/bulk/batches/") {
        &f.batch
    } else if template.starts_with("/master/purchase-orders/") {
        &f.purchase_order
    } else {
        nothing
    };
    let code = if method == "GET" { f.sku } else { "AUTHZ-NONE" };
    template
        .replace("{id}", id)
        .replace("{sid}", nothing)
        .replace("{rid}", nothing)
        .replace("{code}", code)
}

/// Whether `who` may use a route of `access`.
fn allowed(access: Access, who: &str) -> bool {
    match access {
        Public => true,
        SignedIn => who != "visitor",
        Roles(roles) => who == "admin" || roles.contains(&who),
    }
}

/// What was wrong with the answer `r` to `who`, if anything.
fn verdict(
    method: &str,
    access: Access,
    who: &str,
    r: &juchu_testkit::console_http::Page,
) -> Option<String> {
    let to_login = r.status == 303
        && r.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login?next="));
    let forbidden = r.status == 403 && r.body.contains("権限がありません / Forbidden");
    let expected = if allowed(access, who) {
        "allowed"
    } else if who == "visitor" {
        "a redirect to the login page"
    } else {
        "403 Forbidden"
    };
    let ok = match expected {
        "allowed" => !to_login && r.status != 403 && (method != "GET" || r.status < 400),
        "403 Forbidden" => forbidden,
        _ => to_login,
    };
    (!ok).then(|| {
        format!(
            "got {} {:?} (expected {expected}): {}",
            r.status,
            r.location,
            r.body.chars().take(160).collect::<String>()
        )
    })
}

async fn fixture(t: &TestApp) -> Fixture {
    let api = &t.api;
    api.warehouse(&t.admin, "TKY", 1).await;
    api.sku(&t.admin, "AUTHZ-TEA", 8).await;
    assert_eq!(
        api.stock(&t.admin, "TKY", "AUTHZ-TEA", 10).await.status,
        201
    );
    let body = order_body("AUTHZ-1", &[("AUTHZ-TEA", 1, 1080)], "credit_card");
    let r = api.post("/api/v1/orders", &t.admin, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let order = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&t.admin, &order, "allocated").await;
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &t.admin,
            &json!({"order_ids": [order]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let batch = r.body["batches"][0]["id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            "/api/v1/purchase-orders",
            &t.admin,
            &json!({"supplier": "ACME", "warehouse": "TKY",
                    "lines": [{"sku": "AUTHZ-TEA", "quantity": 5}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let purchase_order = r.body["id"].as_str().unwrap().to_owned();
    Fixture {
        order,
        batch,
        purchase_order,
        sku: "AUTHZ-TEA",
    }
}

async fn every_console_route_refuses_the_roles_it_should(b: Backend) {
    // The table and the router name the same routes.
    let routes = juchu_console::routes()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_same_routes(
        "the console",
        routes,
        MATRIX.iter().map(|(m, p, _)| (*m, *p)),
    );

    let t = TestApp::spawn(b).await;
    let f = fixture(&t).await;
    let mut clients = Vec::new();
    for &who in WHO {
        let login = match who.parse::<juchu_domain::Role>() {
            Ok(role) => Some(t.console_user(role).await),
            Err(_) => None,
        };
        let mut c = Client {
            who,
            http: ConsoleHttp::new(&t.url()),
            csrf: None,
            login,
        };
        c.sign_in().await;
        if c.login.is_none() {
            c.http
                .cookies
                .insert("juchu_login".into(), LOGIN_TOKEN.into());
        }
        clients.push(c);
    }

    let rows = MATRIX.iter().map(|&(m, p, a)| (m, p, &[][..], a)).chain(
        WITH_FIELDS
            .iter()
            .map(|&(p, extra, a)| ("POST", p, extra, a)),
    );
    let mut wrong = Vec::new();
    for (method, template, extra, access) in rows {
        let path = concrete(method, template, &f);
        for c in &mut clients {
            let r = if method == "GET" {
                c.http.get(&path).await
            } else {
                let mut form = vec![("csrf", c.token(template))];
                form.extend_from_slice(extra);
                match template {
                    "/lang" => form.extend([("lang", "ja"), ("next", "/")]),
                    "/login" => form.extend([("email", ""), ("password", "")]),
                    _ => {}
                }
                let form: Vec<(&str, String)> =
                    form.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                if UPLOADS.contains(&template) {
                    c.http.post_multipart(&path, &form).await
                } else {
                    c.http.post(&path, &form).await
                }
            };
            if let Some(why) = verdict(method, access, c.who, &r) {
                wrong.push(format!("{method} {template} {extra:?} as {}: {why}", c.who));
            }
            if template == "/logout" {
                c.sign_in().await;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The policies page shows the config file's review rules (`review.*`) only to those who may
    // open `/master/review`.
    for c in clients.iter_mut().filter(|c| c.who != "visitor") {
        let page = c.http.get("/master/policies").await;
        let shows = page.body.contains("<code>review.");
        assert_eq!(
            shows,
            allowed(Roles(ORDER_REVIEW), c.who),
            "{}: /master/policies",
            c.who
        );
    }
    t.stop().await;
}
