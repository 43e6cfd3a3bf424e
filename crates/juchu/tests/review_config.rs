//! The `[review]` section of the policies file: defaults kept for what it does not say, unknown
//! keys refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

fn load(toml: &str) -> anyhow::Result<juchu_domain::policy::Policies> {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(toml.as_bytes()).unwrap();
    juchu::config::load_policies(Some(f.path()))
}

#[test]
fn review_section_overrides_defaults() {
    let p = load(
        r#"
[review]
high_amount = 50000
max_units_per_sku = 10
billing_mismatch = true

[review.surcharges]
"沖縄県" = 1200

[[review.remote_areas]]
name = "佐渡"
municipalities = ["15224"]
"#,
    )
    .unwrap();
    let r = &p.review;
    assert_eq!(r.high_amount, Some(50000));
    assert_eq!(r.max_units_per_sku, Some(10));
    assert!(r.billing_mismatch && r.notes && r.blacklist);
    assert_eq!(r.surcharges.get("沖縄県"), Some(&1200));
    assert_eq!(
        r.remote_areas.len(),
        1,
        "a list in the file replaces the built-in one"
    );
    assert!(r.remote_areas[0].hold);

    let defaults = load("").unwrap().review;
    assert_eq!(defaults.high_amount, Some(100_000));
    assert_eq!(defaults.remote_areas.len(), 3);
    assert!(load("[review]\nhigh_amout = 1\n").is_err());
}
