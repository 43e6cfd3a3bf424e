//! Japanese first, English second: every string on a page is given in both, and the viewer's
//! choice (the `lang` cookie, toggled in the header) picks one.

use juchu_domain::payment::{PaymentMethod, PaymentStatus};
use juchu_domain::{HoldCode, OrderStatus};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Ja,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The other language, for the toggle.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// Picks the string for this language: `t("受注", "Orders")`.
    pub fn t<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

/// 受注, 未引当, … / Received, Unallocated, …
pub fn status_label(lang: Lang, s: OrderStatus) -> &'static str {
    use OrderStatus::*;
    let en = match s {
        Received => "Received",
        Unallocated => "Unallocated",
        PartiallyAllocated => "Partially allocated",
        Allocated => "Allocated",
        ShippingInstructed => "Shipping instructed",
        Shipped => "Shipped",
        Delivered => "Delivered",
        Recognized => "Recognized",
        Cancelled => "Cancelled",
    };
    lang.t(s.label_ja(), en)
}

/// Why an order is on hold, in words.
pub fn hold_label(lang: Lang, c: HoldCode) -> &'static str {
    use HoldCode::*;
    let (ja, en) = match c {
        Notes => ("備考確認", "Customer notes"),
        RemoteArea => ("離島・遠隔地", "Remote area"),
        Blacklist => ("ブラックリスト該当", "Blacklist match"),
        HighAmount => ("高額注文", "High amount"),
        PaymentDeclined => ("決済否認", "Payment declined"),
        FraudReview => ("不正検知", "Fraud review"),
        Manual => ("手動保留", "Manual hold"),
        DeliveryFailed => ("配達不能", "Delivery failed"),
        ReturnedToSender => ("返送", "Returned to sender"),
        Suspicious => ("要注意パターン", "Suspicious pattern"),
        AddressMismatch => ("住所不一致", "Address mismatch"),
        DeliveryDate => ("配達希望日", "Delivery date"),
        PaymentMismatch => ("入金額不一致", "Payment mismatch"),
        PaymentPending => ("与信審査中", "Credit check pending"),
    };
    lang.t(ja, en)
}

pub fn payment_method_label(lang: Lang, m: PaymentMethod) -> &'static str {
    use PaymentMethod::*;
    let (ja, en) = match m {
        CreditCard => ("クレジットカード", "Credit card"),
        BankTransfer => ("銀行振込", "Bank transfer"),
        Deferred => ("後払い", "Deferred payment"),
        AmazonPay => ("Amazon Pay", "Amazon Pay"),
        Cod => ("代金引換", "Cash on delivery"),
    };
    lang.t(ja, en)
}

pub fn payment_status_label(lang: Lang, s: PaymentStatus) -> &'static str {
    use PaymentStatus::*;
    let (ja, en) = match s {
        Pending => ("未処理", "Pending"),
        Authorized => ("与信済", "Authorized"),
        AwaitingPayment => ("入金待ち", "Awaiting payment"),
        Paid => ("入金済", "Paid"),
        Captured => ("売上確定", "Captured"),
        PartiallyRefunded => ("一部返金", "Partially refunded"),
        Refunded => ("返金済", "Refunded"),
        Voided => ("取消", "Voided"),
        Declined => ("否認", "Declined"),
        OnDelivery => ("代引", "On delivery"),
    };
    lang.t(ja, en)
}
