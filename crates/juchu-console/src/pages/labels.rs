//! Names shown on the order detail page, Japanese first (then English): shipment states, carriers
//! and the kinds of the order's events; and how delivery slots and postal codes are written.
//! (Order statuses, holds and payments: `crate::i18n`; amounts and times: `crate::format`.)

use crate::i18n::Lang;
use juchu_domain::carrier::Carrier;
use juchu_domain::shipment::ShipmentStatus;

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
}
