//! The `[carriers]` section of the config file: read for the label files, invisible to the
//! policies (which refuse unknown keys), typos in it refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

fn file(toml: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(toml.as_bytes()).unwrap();
    f
}

#[test]
fn carriers_section_is_read_and_policies_ignore_it() {
    let f = file(
        r#"
bank_transfer_due_days = 5

[carriers]
webhook_secret = "s3cret"

[carriers.shipper]
name = "株式会社ジュチュウ商店"
phone = "03-1234-5678"
postal_code = "1500001"
address = "東京都渋谷区神宮前1-2-3"

[carriers.yamato]
customer_code = "012345678901"
freight_code = "02"
"#,
    );
    let c = juchu::carriers::load_carriers(Some(f.path())).unwrap();
    assert_eq!(c.shipper.name, "株式会社ジュチュウ商店");
    assert_eq!(c.shipper.building, "");
    assert_eq!(c.yamato.freight_code, "02");
    assert_eq!(c.webhook_secret, "s3cret");
    let p = juchu::config::load_policies(Some(f.path())).unwrap();
    assert_eq!(p.bank_transfer_due_days, 5);

    assert!(
        juchu::carriers::load_carriers(Some(file("[carriers.shiper]\nname = \"x\"\n").path()))
            .is_err()
    );
    assert!(
        juchu::config::load_policies(Some(file("bank_transfer_due_dayz = 1\n").path())).is_err()
    );
    let defaults = juchu::carriers::load_carriers(Some(file("").path())).unwrap();
    assert_eq!(defaults, juchu_formats::CarrierConfig::default());
}
