//! The authorisation matrix (docs/security.md "Roles"): every operation of the OpenAPI document ×
//! every role, and no key or an unknown key. Allowed means neither 401 nor 403; refused means 403;
//! no key (or an unknown one) means 401. The table below mirrors `roles` in
//! crates/juchu-http/src/auth.rs and the roles table of docs/API.md; an operation missing from it
//! fails the test, so a new endpoint cannot be forgotten.

use futures::future::join_all;
use juchu_testkit::{Backend, TestApp, on_both_backends};
use std::collections::BTreeSet;

on_both_backends!(every_endpoint_refuses_the_roles_it_should);

/// Who may call an operation.
#[derive(Clone, Copy)]
enum Access {
    /// API keys of these roles (admin always may).
    Keys(&'static [&'static str]),
    /// Only a signed delivery (docs/security.md "Webhook signatures"); no API key is accepted.
    Signed,
}
use Access::*;

// The sets of `juchu_http::auth::roles`, by name (the console's matrix uses them too).
pub(crate) const READ: &[&str] = &["operator", "warehouse", "storefront", "accounting"];
pub(crate) const MASTER_WRITE: &[&str] = &["operator"];
pub(crate) const STOCK_WRITE: &[&str] = &["operator", "warehouse"];
pub(crate) const ORDER_CREATE: &[&str] = &["operator", "storefront"];
pub(crate) const ORDER_CANCEL: &[&str] = &["operator", "storefront"];
pub(crate) const ORDER_REVIEW: &[&str] = &["operator"];
pub(crate) const PAYMENT_CONFIRM: &[&str] = &["operator", "accounting"];
pub(crate) const SHIPPING: &[&str] = &["operator", "warehouse"];
pub(crate) const RETURN_REQUEST: &[&str] = &["operator", "storefront", "warehouse"];
const ACCOUNTING: &[&str] = &["operator", "accounting"];
const ADMIN: &[&str] = &[];
const MONITOR: &[&str] = &["operator"];
const AUDIT: &[&str] = &["operator"];
// Purchase orders (routes/purchasing.rs).
const PO_WRITE: &[&str] = &["operator"];
const PO_RECEIVE: &[&str] = &["operator", "warehouse"];

/// Every operation of the API and who may call it.
const MATRIX: &[(&str, &str, Access)] = &[
    ("GET", "/api/v1/accounting/closes", Keys(ACCOUNTING)),
    ("POST", "/api/v1/accounting/closes", Keys(ACCOUNTING)),
    ("GET", "/api/v1/accounting/journal", Keys(ACCOUNTING)),
    ("GET", "/api/v1/accounting/summary", Keys(ACCOUNTING)),
    ("GET", "/api/v1/admin/invariants", Keys(ADMIN)),
    ("GET", "/api/v1/admin/jobs", Keys(MONITOR)),
    ("POST", "/api/v1/api-keys", Keys(ADMIN)),
    ("GET", "/api/v1/audit", Keys(AUDIT)),
    ("GET", "/api/v1/bank/deposits", Keys(PAYMENT_CONFIRM)),
    ("POST", "/api/v1/bank/statements", Keys(PAYMENT_CONFIRM)),
    ("GET", "/api/v1/blacklist", Keys(ORDER_REVIEW)),
    ("POST", "/api/v1/blacklist", Keys(ORDER_REVIEW)),
    ("DELETE", "/api/v1/blacklist/{id}", Keys(ORDER_REVIEW)),
    ("GET", "/api/v1/customers/{id}/points", Keys(READ)),
    (
        "POST",
        "/api/v1/customers/{id}/points/adjust",
        Keys(MASTER_WRITE),
    ),
    ("GET", "/api/v1/orders", Keys(READ)),
    ("POST", "/api/v1/orders", Keys(ORDER_CREATE)),
    ("GET", "/api/v1/orders/counts", Keys(READ)),
    ("GET", "/api/v1/orders/{id}", Keys(READ)),
    ("PATCH", "/api/v1/orders/{id}", Keys(ORDER_CREATE)),
    ("POST", "/api/v1/orders/{id}/cancel", Keys(ORDER_CANCEL)),
    ("GET", "/api/v1/orders/{id}/events", Keys(READ)),
    ("POST", "/api/v1/orders/{id}/holds", Keys(ORDER_REVIEW)),
    (
        "POST",
        "/api/v1/orders/{id}/holds/{code}/release",
        Keys(ORDER_REVIEW),
    ),
    (
        "POST",
        "/api/v1/orders/{id}/payments/confirm",
        Keys(PAYMENT_CONFIRM),
    ),
    (
        "POST",
        "/api/v1/orders/{id}/payouts/{payout_id}/confirm",
        Keys(PAYMENT_CONFIRM),
    ),
    (
        "POST",
        "/api/v1/orders/{id}/payouts/{payout_id}/execute",
        Keys(PAYMENT_CONFIRM),
    ),
    ("POST", "/api/v1/orders/{id}/priority", Keys(ORDER_REVIEW)),
    ("POST", "/api/v1/orders/{id}/returns", Keys(RETURN_REQUEST)),
    (
        "POST",
        "/api/v1/orders/{id}/returns/{return_id}/receive",
        Keys(SHIPPING),
    ),
    ("POST", "/api/v1/orders/{id}/split", Keys(ORDER_REVIEW)),
    (
        "POST",
        "/api/v1/orders/{id}/split-allocated",
        Keys(ORDER_REVIEW),
    ),
    ("GET", "/api/v1/payouts", Keys(PAYMENT_CONFIRM)),
    ("GET", "/api/v1/postal-codes/{code}", Keys(READ)),
    ("GET", "/api/v1/purchase-orders", Keys(READ)),
    ("POST", "/api/v1/purchase-orders", Keys(PO_WRITE)),
    ("GET", "/api/v1/purchase-orders/{id}", Keys(READ)),
    (
        "POST",
        "/api/v1/purchase-orders/{id}/cancel",
        Keys(PO_WRITE),
    ),
    ("GET", "/api/v1/purchase-orders/{id}/export", Keys(READ)),
    (
        "POST",
        "/api/v1/purchase-orders/{id}/receipts",
        Keys(PO_RECEIVE),
    ),
    ("POST", "/api/v1/purchase-orders/{id}/send", Keys(PO_WRITE)),
    ("POST", "/api/v1/purchase-orders/{id}/ship", Keys(SHIPPING)),
    ("GET", "/api/v1/review/rules", Keys(ORDER_REVIEW)),
    ("PUT", "/api/v1/review/rules", Keys(ORDER_REVIEW)),
    ("GET", "/api/v1/shipments", Keys(READ)),
    ("POST", "/api/v1/shipments/tracking-import", Keys(SHIPPING)),
    (
        "POST",
        "/api/v1/shipments/{id}/cancel/confirm",
        Keys(SHIPPING),
    ),
    (
        "POST",
        "/api/v1/shipments/{id}/cancel/refuse",
        Keys(SHIPPING),
    ),
    ("POST", "/api/v1/shipments/{id}/deliver", Keys(SHIPPING)),
    (
        "POST",
        "/api/v1/shipments/{id}/delivery-correction",
        Keys(ORDER_REVIEW),
    ),
    ("POST", "/api/v1/shipments/{id}/ship", Keys(SHIPPING)),
    ("POST", "/api/v1/shipping-instructions", Keys(SHIPPING)),
    (
        "GET",
        "/api/v1/shipping-instructions/{id}/export",
        Keys(SHIPPING),
    ),
    ("GET", "/api/v1/skus", Keys(READ)),
    ("PUT", "/api/v1/skus/{sku}", Keys(MASTER_WRITE)),
    ("GET", "/api/v1/stock", Keys(READ)),
    ("POST", "/api/v1/stock/adjustments", Keys(STOCK_WRITE)),
    ("GET", "/api/v1/stock/movements", Keys(READ)),
    ("GET", "/api/v1/warehouses", Keys(READ)),
    ("PUT", "/api/v1/warehouses/{code}", Keys(MASTER_WRITE)),
    ("POST", "/webhooks/bank/deposits", Signed),
    // A carrier integration may also sign instead of holding a key (tested in security.rs).
    ("POST", "/webhooks/carriers/{carrier}", Keys(SHIPPING)),
];

/// Served without a key, outside the OpenAPI document.
const PUBLIC: &[&str] = &["/healthz", "/metrics", "/api/v1/openapi.json"];

const ROLES: &[&str] = &["admin", "operator", "warehouse", "storefront", "accounting"];

/// The operations the server documents, as `(METHOD, path template)`.
fn documented() -> BTreeSet<(String, String)> {
    let doc = juchu_http::openapi();
    let mut ops = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("PUT", item.put.is_some()),
            ("POST", item.post.is_some()),
            ("DELETE", item.delete.is_some()),
            ("PATCH", item.patch.is_some()),
            ("HEAD", item.head.is_some()),
            ("OPTIONS", item.options.is_some()),
            ("TRACE", item.trace.is_some()),
        ];
        for (m, present) in methods {
            if present {
                ops.insert((m.to_owned(), path.clone()));
            }
        }
    }
    ops
}

/// Fails unless a matrix (`listed`) names exactly the routes `what` serves, each once: a route it
/// does not list has nobody saying who may use it.
pub(crate) fn assert_same_routes<'a>(
    what: &str,
    served: BTreeSet<(String, String)>,
    listed: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let listed: Vec<(String, String)> = listed
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    let table: BTreeSet<(String, String)> = listed.iter().cloned().collect();
    let missing: Vec<_> = served.difference(&table).collect();
    let stale: Vec<_> = table.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes of {what} with no entry in MATRIX (say who may use them): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "MATRIX entries {what} does not have: {stale:?}"
    );
    assert_eq!(
        table.len(),
        listed.len(),
        "a route is listed twice in MATRIX"
    );
}

/// A concrete path for a template: every parameter gets a well-formed value nothing exists for.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| match seg {
            "{carrier}" => "yamato",
            "{code}" => "1000001",
            s if s.starts_with('{') => "authz-nothing",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What `who` (a role, `no key` or `unknown key`) should get: Ok(()) for allowed, Err(status).
fn expected(access: Access, who: &str) -> Result<(), u16> {
    match (access, who) {
        (_, "no key" | "unknown key") => Err(401),
        (Signed, _) => Err(401),
        (Keys(_), "admin") => Ok(()),
        (Keys(roles), role) if roles.contains(&role) => Ok(()),
        (Keys(_), _) => Err(403),
    }
}

async fn every_endpoint_refuses_the_roles_it_should(b: Backend) {
    // The table and the document name the same operations.
    assert_same_routes(
        "the API",
        documented(),
        MATRIX.iter().map(|(m, p, _)| (*m, *p)),
    );

    let t = TestApp::spawn(b).await;
    let mut keys: Vec<(&str, Option<String>)> = vec![("admin", Some(t.admin.clone()))];
    for role in &ROLES[1..] {
        keys.push((role, Some(t.api.key(&t.admin, role).await)));
    }
    keys.push(("no key", None));
    keys.push((
        "unknown key",
        Some("jk_000000000000000000000000000000000000000000000000".into()),
    ));

    let mut wrong = Vec::new();
    for (method, template, access) in MATRIX {
        let path = concrete(template);
        let m: reqwest::Method = method.parse().unwrap();
        let body = (*method != "GET" && *method != "DELETE").then(|| serde_json::json!({}));
        let calls = keys.iter().map(|(who, key)| {
            let (m, path, body) = (m.clone(), path.clone(), body.clone());
            let api = &t.api;
            async move {
                let r = api.send(m, &path, key.as_deref(), body.as_ref(), &[]).await;
                (*who, r)
            }
        });
        for (who, r) in join_all(calls).await {
            let ok = match expected(*access, who) {
                Ok(()) => r.status != 401 && r.status != 403,
                Err(status) => r.status == status,
            };
            if !ok {
                wrong.push(format!(
                    "{method} {template} as {who}: got {} (expected {}): {}",
                    r.status,
                    match expected(*access, who) {
                        Ok(()) => "allowed".to_owned(),
                        Err(s) => s.to_string(),
                    },
                    r.text.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    for path in PUBLIC {
        let r = t
            .api
            .send(reqwest::Method::GET, path, None, None, &[])
            .await;
        assert_eq!(r.status, 200, "{path} needs no key: {}", r.text);
    }
    t.stop().await;
}
