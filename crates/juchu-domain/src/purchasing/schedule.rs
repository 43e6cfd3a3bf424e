//! When purchase orders go out: at once, or collected and sent at set times of day (Asia/Tokyo).

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::{self, TimeZone};
use serde::{Deserialize, Serialize};

/// The `purchase_orders` policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseOrderMode {
    /// A shortage becomes a purchase order that is sent at once.
    Immediate,
    /// Shortage lines collect in one draft per supplier, sent at `purchase_order_times`.
    Batched,
}

/// Japan has one offset all year (no daylight saving time).
fn jst() -> TimeZone {
    TimeZone::fixed(tz::offset(9))
}

/// The calendar day in Japan at `at`.
pub fn jst_date(at: Timestamp) -> Date {
    at.to_zoned(jst()).date()
}

/// The first of `times` (times of day in Japan) strictly after `now`; `None` when there are none.
pub fn next_send_time(now: Timestamp, times: &[Time]) -> Option<Timestamp> {
    let today = jst_date(now);
    let mut best: Option<Timestamp> = None;
    for day in [Some(today), today.tomorrow().ok()].into_iter().flatten() {
        for t in times {
            let Ok(z) = day.to_datetime(*t).to_zoned(jst()) else {
                continue;
            };
            let at = z.timestamp();
            if at > now && best.is_none_or(|b| at < b) {
                best = Some(at);
            }
        }
    }
    best
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn next_time_is_the_next_slot_in_japan() {
        let times: Vec<Time> = vec!["10:00".parse().unwrap(), "15:00".parse().unwrap()];
        // 09:00 JST → 10:00 JST the same day.
        assert_eq!(
            next_send_time(ts("2026-03-02T00:00:00Z"), &times),
            Some(ts("2026-03-02T01:00:00Z"))
        );
        // Exactly 10:00 JST → 15:00 JST.
        assert_eq!(
            next_send_time(ts("2026-03-02T01:00:00Z"), &times),
            Some(ts("2026-03-02T06:00:00Z"))
        );
        // 16:00 JST → 10:00 JST the next day.
        assert_eq!(
            next_send_time(ts("2026-03-02T07:00:00Z"), &times),
            Some(ts("2026-03-03T01:00:00Z"))
        );
        // 23:30 UTC is 08:30 JST the next day.
        assert_eq!(
            next_send_time(ts("2026-03-02T23:30:00Z"), &times),
            Some(ts("2026-03-03T01:00:00Z"))
        );
        assert_eq!(next_send_time(ts("2026-03-02T00:00:00Z"), &[]), None);
    }

    #[test]
    fn dates_are_japanese_calendar_days() {
        assert_eq!(
            jst_date(ts("2026-03-02T15:30:00Z")).to_string(),
            "2026-03-03"
        );
    }
}
