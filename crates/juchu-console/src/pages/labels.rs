//! Names shown on the order pages, Japanese first (then English): statuses, holds, payments,
//! shipments, carriers and the kinds of the order's events; and how amounts, times and delivery
//! slots are written.

use crate::i18n::Lang;
use jiff::Timestamp;
use jiff::tz::{TimeZone, offset};
use juchu_domain::carrier::Carrier;
use juchu_domain::payment::{PaymentMethod, PaymentStatus};
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::{HoldCode, Money, OrderStatus};

/// ¥1,234 (the domain's way of writing an amount).
pub fn yen(m: Money) -> String {
    m.to_string()
}

/// `2026-05-01 14:03` in Japan time (JST has no daylight saving, so a fixed +09:00 is exact).
pub fn jst(at: Timestamp) -> String {
    at.to_zoned(TimeZone::fixed(offset(9)))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A carrier time-slot code as people read it: `0812` → 午前中, `1416` → 14–16時.
pub fn time_slot(lang: Lang, slot: &str) -> String {
    if slot == "0812" {
        return format!("{} ({slot})", lang.t("午前中", "morning"));
    }
    match (slot.get(0..2), slot.get(2..4)) {
        (Some(a), Some(b)) if slot.len() == 4 && slot.bytes().all(|c| c.is_ascii_digit()) => {
            format!("{a}:00–{b}:00 ({slot})")
        }
        _ => slot.to_owned(),
    }
}

/// 〒100-0001
pub fn postal(code: &str) -> String {
    match (code.get(0..3), code.get(3..)) {
        (Some(a), Some(b)) if code.len() == 7 => format!("〒{a}-{b}"),
        _ => format!("〒{code}"),
    }
}

pub fn status(lang: Lang, s: OrderStatus) -> String {
    match lang {
        Lang::Ja => s.label_ja().to_owned(),
        Lang::En => s.as_str().replace('_', " "),
    }
}

pub fn hold(lang: Lang, c: HoldCode) -> &'static str {
    use HoldCode::*;
    let (ja, en) = match c {
        Notes => ("備考確認", "customer notes"),
        RemoteArea => ("離島", "remote area"),
        Blacklist => ("ブラックリスト", "blacklist"),
        HighAmount => ("高額注文", "high amount"),
        PaymentDeclined => ("決済エラー", "payment declined"),
        FraudReview => ("不正検知", "fraud review"),
        Manual => ("手動保留", "manual hold"),
        DeliveryFailed => ("配達不能", "delivery failed"),
        ReturnedToSender => ("返送", "returned to sender"),
        Suspicious => ("要確認", "suspicious"),
        AddressMismatch => ("住所不一致", "address mismatch"),
        DeliveryDate => ("配達希望日", "delivery date"),
        PaymentMismatch => ("入金額不一致", "payment mismatch"),
        PaymentPending => ("与信審査中", "credit check pending"),
    };
    lang.t(ja, en)
}

pub fn payment_method(lang: Lang, m: PaymentMethod) -> &'static str {
    use PaymentMethod::*;
    let (ja, en) = match m {
        CreditCard => ("クレジットカード", "credit card"),
        BankTransfer => ("銀行振込", "bank transfer"),
        Deferred => ("後払い", "deferred payment"),
        AmazonPay => ("Amazon Pay", "Amazon Pay"),
        Cod => ("代金引換", "cash on delivery"),
    };
    lang.t(ja, en)
}

pub fn payment_status(lang: Lang, s: PaymentStatus) -> &'static str {
    use PaymentStatus::*;
    let (ja, en) = match s {
        Pending => ("未処理", "pending"),
        Authorized => ("与信済", "authorized"),
        AwaitingPayment => ("入金待ち", "awaiting payment"),
        Paid => ("入金済", "paid"),
        Captured => ("売上確定", "captured"),
        PartiallyRefunded => ("一部返金", "partially refunded"),
        Refunded => ("返金済", "refunded"),
        Voided => ("取消済", "voided"),
        Declined => ("決済拒否", "declined"),
        OnDelivery => ("代引", "on delivery"),
    };
    lang.t(ja, en)
}

pub fn shipment_status(lang: Lang, s: ShipmentStatus) -> &'static str {
    use ShipmentStatus::*;
    let (ja, en) = match s {
        Pending => ("未指示", "pending"),
        Instructed => ("出荷指示済", "instructed"),
        CancelRequested => ("キャンセル依頼中", "cancel requested"),
        Shipped => ("出荷済", "shipped"),
        Delivered => ("着荷済", "delivered"),
        Cancelled => ("キャンセル", "cancelled"),
    };
    lang.t(ja, en)
}

/// Carriers in the order the ship form offers them, with their form value.
pub const CARRIERS: [(Carrier, &str); 6] = [
    (Carrier::Yamato, "yamato"),
    (Carrier::Sagawa, "sagawa"),
    (Carrier::Japanpost, "japanpost"),
    (Carrier::Seino, "seino"),
    (Carrier::Fukuyama, "fukuyama"),
    (Carrier::Other, "other"),
];

pub fn carrier(lang: Lang, c: Carrier) -> &'static str {
    use Carrier::*;
    let (ja, en) = match c {
        Yamato => ("ヤマト運輸", "Yamato"),
        Sagawa => ("佐川急便", "Sagawa"),
        Japanpost => ("日本郵便", "Japan Post"),
        Seino => ("西濃運輸", "Seino"),
        Fukuyama => ("福山通運", "Fukuyama"),
        Other => ("その他", "other"),
    };
    lang.t(ja, en)
}

/// The Japanese name of an event kind (`order.cancelled` → キャンセル); unknown kinds show as they are.
pub fn event_kind(lang: Lang, kind: &str) -> String {
    let ja = match kind {
        "order.received" => "受注",
        "order.status_changed" => "ステータス変更",
        "order.modified" => "注文変更",
        "order.split" => "注文分割",
        "order.created_by_split" => "分割で作成",
        "order.cancelled" => "キャンセル",
        "order.cancel_requested" => "キャンセル依頼",
        "order.cancel_refused" => "キャンセル不可",
        "order.priority_changed" => "優先度変更",
        "order.shipping_fee_recalculated" => "送料再計算",
        "order.recognized" => "売上計上",
        "hold.placed" => "保留",
        "hold.released" => "保留解除",
        "hold.updated" => "保留更新",
        "allocation.reserved" => "引当",
        "allocation.released" => "引当解除",
        "payment.authorized" => "与信",
        "payment.captured" => "売上確定",
        "payment.captured.confirmed" => "売上確定（決済会社）",
        "payment.refunded" => "返金",
        "payment.refunded.confirmed" => "返金（決済会社）",
        "payment.voided" => "与信取消",
        "payment.declined" => "決済拒否",
        "payment.awaiting" => "入金待ち",
        "payment.confirmed" => "入金確認",
        "payment.deposit_received" => "入金",
        "payment.on_delivery" => "代引",
        "payment.collected" => "代引回収",
        "payment.collection_reversed" => "代引回収取消",
        "payment.pending" => "与信審査中",
        "payment.overdue" => "入金期限切れ",
        "payment.reminder" => "入金督促",
        "payment.amount_changed" => "決済金額変更",
        "payout.requested" => "返金振込依頼",
        "payout.paid" => "返金振込済",
        "shipment.instructed" => "出荷指示",
        "shipment.shipped" => "出荷",
        "shipment.delivered" => "着荷",
        "shipment.deemed_delivered" => "みなし着荷",
        "shipment.delivery_corrected" => "配達記録訂正",
        "shipment.cancel_confirmed" => "倉庫キャンセル確定",
        "shipment.combined" => "同梱",
        "shipment.uncombined" => "同梱解除",
        "return.requested" => "返品依頼",
        "return.received" => "返品受領",
        "revenue.recognized" => "売上計上",
        "revenue.reversed" => "売上取消",
        "points.granted" => "ポイント付与",
        "points.expired" => "ポイント失効",
        _ => "",
    };
    match lang {
        Lang::Ja if !ja.is_empty() => ja.to_owned(),
        _ => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_postal_codes() {
        assert_eq!(time_slot(Lang::Ja, "0812"), "午前中 (0812)");
        assert_eq!(time_slot(Lang::En, "1416"), "14:00–16:00 (1416)");
        assert_eq!(time_slot(Lang::En, "x"), "x");
        assert_eq!(postal("1000001"), "〒100-0001");
    }

    #[test]
    fn every_hold_has_a_name() {
        for c in HoldCode::ALL {
            assert!(!hold(Lang::Ja, c).is_empty());
        }
    }
}
