//! Master data in the browser: create a SKU in the form (and not twice), adjust its stock, see it
//! listed with on hand / allocated / available; the stock the API sees is the same. A refused
//! adjustment changes nothing. The policies page shows the keys in force.

use juchu_domain::Role;
use juchu_testkit::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_a_sku_adjust_its_stock_and_see_it_listed() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let operator = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    let b = t.browser_as(Role::Operator).await;

    b.goto("/master").await;
    b.click("a[href='/master/skus']").await;
    b.fill("#sku-code", "MATCHA-100").await;
    b.fill("#sku-name", "抹茶 100g").await;
    b.select("#sku-tax", "8").await;
    b.fill("#sku-supplier", "UJI-EN").await;
    b.fill("#sku-lead", "5").await;
    b.click("form[method=post][action='/master/skus'] button[type=submit]")
        .await;
    let flash = b.text(".flash.ok").await;
    assert!(flash.contains("MATCHA-100"), "{flash}");
    let row = b.text("#skus tbody tr").await;
    assert!(
        row.contains("MATCHA-100") && row.contains("抹茶 100g") && row.contains("8%"),
        "{row}"
    );
    let skus = t.api.get("/api/v1/skus", &operator).await;
    let sku = skus
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["sku"] == "MATCHA-100");
    assert_eq!(sku.unwrap()["tax_rate"], 8);
    assert_eq!(sku.unwrap()["lead_time_days"], 5);

    // The same code again is refused: the new-SKU form never overwrites one.
    b.goto("/master/skus").await;
    b.fill("#sku-code", "MATCHA-100").await;
    b.fill("#sku-name", "上書き").await;
    b.click("form[method=post][action='/master/skus'] button[type=submit]")
        .await;
    let flash = b.text(".flash.error").await;
    assert!(flash.contains("登録済み"), "{flash}");
    let skus = t.api.get("/api/v1/skus", &operator).await;
    assert!(skus.text.contains("抹茶 100g") && !skus.text.contains("上書き"));

    // Goods in: +25 at TKY.
    b.goto("/master/stock?sku=MATCHA-100").await;
    b.select("#adj-wh", "TKY").await;
    b.fill("#adj-sku", "MATCHA-100").await;
    b.fill("#adj-delta", "25").await;
    b.fill("#adj-reason", "初回入荷").await;
    b.click("form[action='/master/stock/adjust'] button[type=submit]")
        .await;
    b.accept_confirm().await;
    let flash = b.text(".flash.ok").await;
    assert!(
        flash.contains("MATCHA-100") && flash.contains("25"),
        "{flash}"
    );
    let cells: Vec<String> = {
        let mut out = Vec::new();
        for c in b.all("#stock tbody tr td").await {
            out.push(c.text().await.unwrap());
        }
        out
    };
    assert_eq!(cells, ["MATCHA-100", "TKY", "25", "0", "25"]);
    assert_eq!(
        t.api.stock_level(&operator, "TKY", "MATCHA-100").await,
        (25, 0)
    );
    let moves = b.text("#movements").await;
    assert!(moves.contains("初回入荷"), "{moves}");

    // Taking out more than is there is refused, and the stock stays.
    b.fill("#adj-delta", "-30").await;
    b.fill("#adj-reason", "破損").await;
    b.click("form[action='/master/stock/adjust'] button[type=submit]")
        .await;
    b.accept_confirm().await;
    let flash = b.text(".flash.error").await;
    assert!(flash.contains("MATCHA-100"), "{flash}");
    assert_eq!(
        t.api.stock_level(&operator, "TKY", "MATCHA-100").await,
        (25, 0)
    );

    // The policies in force, each with a description.
    b.goto("/master/policies").await;
    let policies = b.text("#policies").await;
    assert!(
        policies.contains("bank_transfer_due_days")
            && policies.contains("Days a bank transfer may take")
            && !policies.contains("webhook_secret"),
        "{policies}"
    );
    b.quit().await;
    t.stop().await;
}

/// A warehouse user may adjust stock but not edit SKUs: the form is not offered, and posting it
/// anyway is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn warehouse_role_adjusts_stock_but_does_not_edit_skus() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let operator = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    let b = t.browser_as(Role::Warehouse).await;
    b.goto("/master/skus").await;
    b.wait_for("#skus").await;
    assert!(b.all("#sku-code").await.is_empty(), "no new-SKU form");
    b.goto("/master/skus/TOWEL").await;
    let page = b.page_text().await;
    assert!(page.contains("403") || page.contains("権限"), "{page}");
    b.goto("/master/stock").await;
    b.wait_for("#adj-delta").await;
    b.quit().await;
    t.stop().await;
}
