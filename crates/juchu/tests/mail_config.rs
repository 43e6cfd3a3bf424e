//! `[shop]` and `[mail]` in the config file: read for customer e-mails, invisible to the policies
//! (which refuse unknown keys), typos and bad senders refused, no host = not configured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use juchu_app::mail::{Mailer, SmtpTls};
use std::io::Write;

fn file(toml: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(toml.as_bytes()).unwrap();
    f
}

// The transport's connection pool lives on the Tokio runtime.
#[tokio::test]
async fn shop_and_mail_sections_are_read_and_policies_ignore_them() {
    let f = file(
        r#"
bank_transfer_due_days = 5

[carriers]
webhook_secret = "s3cret"

[shop]
name = "ジュチュウ商店"
company = "株式会社ジュチュウ"
email = "info@juchu.example.jp"
url = "https://juchu.example.jp"

[mail]
host = "smtp.example.jp"
tls = "tls"
username = "info@juchu.example.jp"
password = "pw"
"#,
    );
    let (shop, mail) = juchu::config::load_mail(Some(f.path())).unwrap();
    assert_eq!(shop.name, "ジュチュウ商店");
    assert_eq!(shop.company, "株式会社ジュチュウ");
    assert_eq!(shop.ship_within_days, 3);
    assert_eq!(mail.host, "smtp.example.jp");
    assert_eq!(mail.tls, SmtpTls::Tls);
    assert_eq!(mail.port, 0);
    assert_eq!(mail.password.as_ref().map(|p| p.expose()), Some("pw"));
    assert!(Mailer::new(shop, &mail).unwrap().is_configured());
    let p = juchu::config::load_policies(Some(f.path())).unwrap();
    assert_eq!(p.bank_transfer_due_days, 5);
}

#[tokio::test]
async fn no_host_means_not_configured_and_bad_settings_are_refused() {
    let (shop, mail) = juchu::config::load_mail(Some(file("").path())).unwrap();
    assert!(!Mailer::new(shop.clone(), &mail).unwrap().is_configured());
    assert!(juchu::config::load_mail(None).is_ok());
    // A typo in a key, an unknown TLS mode.
    assert!(juchu::config::load_mail(Some(file("[mail]\nhots = \"x\"\n").path())).is_err());
    assert!(juchu::config::load_mail(Some(file("[mail]\ntls = \"ssl\"\n").path())).is_err());
    assert!(juchu::config::load_mail(Some(file("[shop]\nnmae = \"x\"\n").path())).is_err());
    // A sender that is not a mailbox.
    let (_, mut mail) = juchu::config::load_mail(Some(
        file("[mail]\nhost = \"localhost\"\ntls = \"none\"\n").path(),
    ))
    .unwrap();
    mail.from = Some("not an address".into());
    let err = Mailer::new(shop, &mail).err().expect("refused");
    assert!(format!("{err:?}").contains("mail.from"), "{err:?}");
}
