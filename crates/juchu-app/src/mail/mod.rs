//! Customer e-mails (docs/mail.md): the outbox and the sender.
//!
//! The job table is the outbox. [`outbox_jobs`] turns the events of an order change into `mail.send`
//! jobs, and [`crate::orders::order_change`] adds them to the same change set, so a mail is enqueued
//! exactly when its change commits. The worker renders the mail from the order as it is then
//! ([`render`]) and sends it over SMTP with lettre; a failed send is retried by the job backoff and
//! never touches the order.

mod render;

pub use render::{Rendered, render};

use crate::{App, AppError};
use juchu_domain::{Event, OrderId};
use juchu_store::{Job, NewJob};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// The job kind of the outbox.
pub const MAIL_JOB: &str = "mail.send";

/// Which e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// 注文確認: when the order is received.
    Confirmation,
    /// お振込のご案内: virtual account, amount and due date (bank transfer).
    BankTransfer,
    /// 入金確認: the deposits reached the total.
    PaymentReceived,
    /// 発送完了: one per shipment, with its carrier, tracking number and link, and its items.
    Shipped,
    /// キャンセル.
    Cancelled,
    /// 返金: a cancellation of a paid order or a received return refunded money.
    Refunded,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Confirmation => "confirmation",
            MailKind::BankTransfer => "bank_transfer",
            MailKind::PaymentReceived => "payment_received",
            MailKind::Shipped => "shipped",
            MailKind::Cancelled => "cancelled",
            MailKind::Refunded => "refunded",
        }
    }
}

/// The shop as the footer of every mail shows it (`[shop]` in the config file; 特定商取引法 表記).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopInfo {
    pub name: String,
    /// 運営会社.
    pub company: String,
    pub address: String,
    pub phone: String,
    /// The shop's address; also the sender when `[mail] from` is not set.
    pub email: String,
    pub url: String,
    /// 入金確認 mails announce shipping within this many days.
    pub ship_within_days: i64,
    /// The cancellation and return policy printed in the order confirmation (a default when empty).
    pub policy: String,
}

impl Default for ShopInfo {
    fn default() -> Self {
        ShopInfo {
            name: "juchu ショップ".into(),
            company: String::new(),
            address: String::new(),
            phone: String::new(),
            email: "shop@example.jp".into(),
            url: String::new(),
            ship_within_days: 3,
            policy: String::new(),
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay, or the test kit's sink).
    None,
    /// STARTTLS on the submission port (587), required.
    #[default]
    Starttls,
    /// Implicit TLS (SMTPS, 465).
    Tls,
}

/// `[mail]` in the config file. Without a `host`, mail is not configured and mail jobs are
/// completed as skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    pub host: String,
    /// 0: the port of the TLS mode (25, 587 or 465).
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    /// Also `JUCHU_SMTP_PASSWORD`.
    #[serde(skip_serializing)]
    pub password: Option<juchu_domain::Secret>,
    /// The sender, e.g. `"ショップ <shop@example.jp>"`; `[shop]` name and e-mail when not set.
    pub from: Option<String>,
    /// Connect and command timeout.
    pub timeout_secs: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            host: String::new(),
            port: 0,
            tls: SmtpTls::default(),
            username: None,
            password: None,
            from: None,
            timeout_secs: 30,
        }
    }
}

/// The configured sender (or none: mail skipped).
#[derive(Default)]
pub struct Mailer {
    pub shop: ShopInfo,
    smtp: Option<Smtp>,
}

struct Smtp {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    /// Checks the settings and builds the transport (no connection is made yet). Call it inside
    /// the Tokio runtime: the transport's connection pool runs on it.
    pub fn new(shop: ShopInfo, settings: &MailSettings) -> Result<Mailer, AppError> {
        let host = settings.host.trim();
        if host.is_empty() {
            return Ok(Mailer { shop, smtp: None });
        }
        let from_text = match &settings.from {
            Some(f) if !f.trim().is_empty() => f.trim().to_owned(),
            _ => format!("{} <{}>", shop.name, shop.email),
        };
        let from: Mailbox = match &settings.from {
            Some(f) if !f.trim().is_empty() => f.trim().parse(),
            _ => shop
                .email
                .trim()
                .parse()
                .map(|a| Mailbox::new(Some(shop.name.clone()), a)),
        }
        .map_err(|e| {
            AppError::invalid("mail.from", format!("`{from_text}` is not a mailbox: {e}"))
        })?;
        let port = match (settings.port, settings.tls) {
            (0, SmtpTls::None) => 25,
            (0, SmtpTls::Starttls) => 587,
            (0, SmtpTls::Tls) => 465,
            (p, _) => p,
        };
        let tls = |required: bool| {
            TlsParameters::new(host.to_owned())
                .map(|p| {
                    if required {
                        Tls::Required(p)
                    } else {
                        Tls::Wrapper(p)
                    }
                })
                .map_err(|e| AppError::invalid("mail.tls", format!("TLS for `{host}`: {e}")))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(settings.timeout_secs.max(1))));
        builder = match settings.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::Starttls => builder.tls(tls(true)?),
            SmtpTls::Tls => builder.tls(tls(false)?),
        };
        if let Some(user) = settings.username.as_ref().filter(|u| !u.is_empty()) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                settings
                    .password
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
            ));
        }
        Ok(Mailer {
            shop,
            smtp: Some(Smtp {
                from,
                transport: builder.build(),
            }),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.smtp.is_some()
    }
}

/// The `mail.send` jobs for the events of one order change (the outbox rows of that transaction).
pub(crate) fn outbox_jobs(order: OrderId, events: &[Event]) -> Vec<NewJob> {
    events
        .iter()
        .filter_map(|e| {
            let d = &e.data;
            let (kind, data) = match e.kind.as_str() {
                "order.received" => (MailKind::Confirmation, json!({})),
                "payment.awaiting" => (MailKind::BankTransfer, json!({})),
                "payment.confirmed" | "payment.deposit_received" => {
                    // Only the payment that completes the total: not partial ones, not extra ones.
                    let amount = d["amount"].as_i64().unwrap_or(0);
                    let paid = d["paid_total"].as_i64().unwrap_or(0);
                    let due = d["due"].as_i64().unwrap_or(i64::MAX);
                    if paid < due || paid - amount >= due {
                        return None;
                    }
                    (
                        MailKind::PaymentReceived,
                        json!({"amount": amount, "paid_total": paid}),
                    )
                }
                "shipment.shipped" => (
                    MailKind::Shipped,
                    json!({"shipment_id": d["shipment_id"], "shipped_at": d["shipped_at"]}),
                ),
                "order.cancelled" => (MailKind::Cancelled, json!({"reason": d["reason"]})),
                "payment.refunded" => (
                    MailKind::Refunded,
                    json!({"amount": d["amount"], "return_id": d["return_id"]}),
                ),
                _ => return None,
            };
            Some(NewJob {
                kind: MAIL_JOB.to_owned(),
                payload: json!({"order_id": order, "mail": kind, "data": data}),
                available_at: e.at,
                dedupe_key: None,
            })
        })
        .collect()
}

/// What a `mail.send` job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Mail is not configured, or the order is gone: nothing to send.
    Skipped,
}

impl App {
    /// The same app sending mail as configured (`[shop]`, `[mail]`).
    pub fn with_mail(mut self, shop: ShopInfo, settings: &MailSettings) -> Result<Self, AppError> {
        self.mailer = std::sync::Arc::new(Mailer::new(shop, settings)?);
        Ok(self)
    }

    /// Renders and sends the mail of a `mail.send` job. An SMTP failure is an error, so the
    /// worker retries it with backoff (and dead-letters it after the last attempt).
    pub(crate) async fn send_mail(&self, job: &Job) -> Result<MailOutcome, AppError> {
        let id: OrderId = job
            .payload
            .get("order_id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| AppError::invalid("payload", "order_id is missing"))?;
        let kind: MailKind = job
            .payload
            .get("mail")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| AppError::invalid("payload", "mail kind is missing"))?;
        let Some(smtp) = &self.mailer.smtp else {
            tracing::info!(job = job.id, order = %id, mail = kind.as_str(), "mail is not configured; skipped");
            metrics::counter!("juchu_mails_total", "kind" => kind.as_str(), "outcome" => "skipped")
                .increment(1);
            return Ok(MailOutcome::Skipped);
        };
        let Some(order) = self.store.get_order(id).await? else {
            tracing::warn!(job = job.id, order = %id, "mail for an order that does not exist; skipped");
            return Ok(MailOutcome::Skipped);
        };
        let data = job.payload.get("data").cloned().unwrap_or(Value::Null);
        let mail = render(kind, &order, &data, &self.mailer.shop, self.now())?;
        let to_address = order.customer.email.trim().parse().map_err(|e| {
            AppError::invalid(
                "customer.email",
                format!("`{}` is not an address: {e}", order.customer.email),
            )
        })?;
        let to = Mailbox::new(Some(order.customer.name.clone()), to_address);
        let domain = smtp.from.email.domain().to_owned();
        let message = Message::builder()
            .from(smtp.from.clone())
            .to(to)
            .subject(mail.subject)
            // The same id on every attempt, so a receiver can drop a duplicate after a lost reply.
            .message_id(Some(format!(
                "<juchu.{}.{}.{}@{domain}>",
                order.number,
                kind.as_str(),
                job.id
            )))
            .date(std::time::SystemTime::from(self.now()))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| AppError::Mail(format!("building the message: {e}")))?;
        smtp.transport.send(message).await.map_err(|e| {
            let class = if e.is_permanent() {
                "rejected (permanent)"
            } else if e.is_transient() {
                "deferred (temporary)"
            } else {
                "failed"
            };
            AppError::Mail(format!("SMTP {class}: {e}"))
        })?;
        metrics::counter!("juchu_mails_total", "kind" => kind.as_str(), "outcome" => "sent")
            .increment(1);
        tracing::info!(job = job.id, order = %id, mail = kind.as_str(), "mail sent");
        Ok(MailOutcome::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use juchu_domain::Actor;

    fn ev(kind: &str, data: Value) -> Event {
        Event::new(
            kind,
            &Actor::system("test"),
            jiff::Timestamp::UNIX_EPOCH,
            data,
        )
    }

    fn kinds(events: &[Event]) -> Vec<String> {
        outbox_jobs(OrderId::new(), events)
            .into_iter()
            .map(|j| j.payload["mail"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn only_the_payment_that_completes_the_total_is_announced() {
        let paid = |amount: i64, total: i64| {
            ev(
                "payment.deposit_received",
                json!({"amount": amount, "paid_total": total, "due": 5000}),
            )
        };
        assert!(kinds(&[paid(1000, 1000)]).is_empty(), "partial");
        assert_eq!(kinds(&[paid(4000, 5000)]), ["payment_received"]);
        assert_eq!(
            kinds(&[paid(6000, 6000)]),
            ["payment_received"],
            "overpaid at once"
        );
        assert!(kinds(&[paid(100, 5100)]).is_empty(), "extra after paid");
    }

    #[test]
    fn events_map_to_mails_and_others_send_nothing() {
        let events = [
            ev("order.received", json!({})),
            ev("order.status_changed", json!({"to": "unallocated"})),
            ev("payment.awaiting", json!({})),
            ev("shipment.shipped", json!({"shipment_id": "s"})),
            ev("payment.voided", json!({})),
            ev("payment.refunded", json!({"amount": 10})),
            ev("order.cancelled", json!({"reason": "r"})),
        ];
        assert_eq!(
            kinds(&events),
            [
                "confirmation",
                "bank_transfer",
                "shipped",
                "refunded",
                "cancelled"
            ]
        );
        let jobs = outbox_jobs(OrderId::new(), &events[3..4]);
        assert_eq!(jobs[0].kind, MAIL_JOB);
        assert_eq!(jobs[0].payload["data"]["shipment_id"], "s");
        assert_eq!(jobs[0].dedupe_key, None);
    }
}
