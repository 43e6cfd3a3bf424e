//! The demo data: every status of the flow is represented and the invariants hold.

use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, TestApp};

juchu_testkit::on_both_backends!(demo_data_covers_the_flow);

async fn demo_data_covers_the_flow(b: Backend) {
    // As `juchu demo` runs it: revenue one day after delivery, so both 着荷済 and 計上済 appear.
    let policies = Policies {
        recognition_delay_days: 1,
        ..Policies::default()
    };
    let t = TestApp::spawn_with(b, policies).await;
    juchu::demo::seed(t.app(), 120).await.expect("seed");
    // (The seed runs every due job itself; the recognitions of today's deliveries are due tomorrow.)
    let counts = t.api.get("/api/v1/orders/counts", &t.admin).await.body;
    let total: i64 = counts
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(total, 120, "{counts}");
    // `received` is transient: the worker moves such orders on within milliseconds.
    for status in [
        "unallocated",
        "partially_allocated",
        "allocated",
        "shipping_instructed",
        "shipped",
        "delivered",
        "recognized",
        "cancelled",
    ] {
        assert!(
            counts[status].as_i64().unwrap() > 0,
            "no {status} order in the demo: {counts}"
        );
    }
    t.api.invariants_ok(&t.admin).await;
    t.stop().await;
}
